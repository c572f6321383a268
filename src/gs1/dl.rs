//! Parsing and validating uncompressed GS1 Digital Link URIs (GS1 Digital Link URI Syntax
//! 1.2+, ISO/IEC 18975) against the AI table in [`super::ai`].
//!
//! A Digital Link is `[scheme://host][/any/prefix]/{key AI}/{value}[/{qualifier AI}/{value}…]
//! [?{attribute AI}={value}&…&linkType=…]`. Rules applied by [`parse`]:
//! - The primary key is the first path segment that is a Digital Link primary key AI (`01`,
//!   `00`, `414`, `8006`, …) and is followed by an odd number of segments (its value, then
//!   AI/value pairs); everything before it is a free path prefix. If no key AI is followed by
//!   an odd number of segments, the first key AI is used, so a missing value is reported.
//! - After the key come only its key qualifiers, in one of its permitted orders
//!   (`dlpkey=22,10,21|235` in the GS1 Syntax Dictionary), each optional and at most once.
//! - Data attributes (AIs that are neither a primary key nor a key qualifier) may appear only
//!   in the query string; keys and qualifiers only in the path. An AI appears at most once
//!   overall. Query parameters whose name is not all digits (`linkType`, `context`, …) are
//!   kept as non-GS1 parameters.
//! - Every value is percent-decoded (strictly: a `%` must start a two-hex-digit escape, and
//!   the result must be UTF-8) and checked against its AI's format: character set, lengths
//!   and check digit (GS1 mod-10) or check character pair (AI 8013). `+` is a literal plus.
//! - One trailing slash is tolerated; other empty segments after the key are errors.
//!
//! Not checked: dates and the other content linters of the Syntax Dictionary, its `req=`/
//! `ex=` pairing rules (e.g. 17 requires a trade item key), legacy alphabetic AI names
//! (`/gtin/…`), GTINs written with fewer than 14 digits (the DL grammar requires 14), and
//! compressed Digital Link URIs.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use thiserror::Error;

use super::ai::{self, AiDef, FormatError, Role};

/// Literal in an encoded value: RFC 3986 unreserved characters; everything else is escaped.
const VALUE_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One AI and its (decoded) value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Element {
    pub ai: String,
    pub value: String,
}

impl Element {
    pub fn def(&self) -> Option<&'static AiDef> {
        ai::lookup(&self.ai)
    }
}

/// A validated GS1 Digital Link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitalLink {
    /// The primary key (`01` and its GTIN).
    pub key: Element,
    /// The key qualifiers, in path order (which is a permitted order).
    pub qualifiers: Vec<Element>,
    /// The data attributes from the query string, in query order.
    pub attributes: Vec<Element>,
    /// Other query parameters (`linkType`, `context`, …), decoded, in query order.
    pub other_params: Vec<(String, String)>,
}

/// Why a Digital Link is invalid, in plain English naming the AI and the offending value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DlError {
    #[error("no GS1 Digital Link primary key (such as /01/{{GTIN}}) in the path '{0}'")]
    NoPrimaryKey(String),
    #[error("unknown AI {0}")]
    UnknownAi(String),
    #[error("empty path segment ('//') in the Digital Link path")]
    EmptySegment,
    #[error("AI {ai} ({title}) has no value")]
    MissingValue { ai: String, title: &'static str },
    #[error("AI {ai} ({title}): {value:?} has {len} characters, {expected}")]
    Length {
        ai: String,
        title: &'static str,
        value: String,
        len: usize,
        expected: String,
    },
    #[error("AI {ai} ({title}): {value:?} contains {ch:?}, which is not allowed ({allowed})")]
    BadChar {
        ai: String,
        title: &'static str,
        value: String,
        ch: char,
        allowed: &'static str,
    },
    #[error("AI {ai} ({title}): check digit {got} is wrong, expected {expected} (in {value})")]
    CheckDigit {
        ai: String,
        title: &'static str,
        value: String,
        got: char,
        expected: char,
    },
    #[error("AI {ai} ({title}): check character pair {got} is wrong, expected {expected} (in {value:?})")]
    CheckPair {
        ai: String,
        title: &'static str,
        value: String,
        got: String,
        expected: String,
    },
    #[error(
        "AI {ai}: malformed percent-escape in {raw:?} ('%' must be followed by two hex digits)"
    )]
    BadEscape { ai: String, raw: String },
    #[error("AI {ai}: {raw:?} is not valid UTF-8 once percent-decoded")]
    NotUtf8 { ai: String, raw: String },
    #[error("AI {first} may not come before AI {then}")]
    OutOfOrder { first: String, then: String },
    #[error("AI {ai} may not be combined with AI {other} as qualifiers of AI {key}; permitted: {permitted}")]
    Exclusive {
        ai: String,
        other: String,
        key: String,
        permitted: String,
    },
    #[error("AI {ai} ({title}) is not a key qualifier of AI {key} ({key_title}); permitted after it: {permitted}")]
    NotQualifierOf {
        ai: String,
        title: &'static str,
        key: String,
        key_title: &'static str,
        permitted: String,
    },
    #[error(
        "AI {ai} ({title}) is a primary key; a Digital Link has one primary key, first in the path"
    )]
    SecondKey { ai: String, title: &'static str },
    #[error("AI {ai} ({title}) is a data attribute; it belongs in the query string, not the path")]
    AttributeInPath { ai: String, title: &'static str },
    #[error("AI {ai} ({title}) is a {role}; it belongs in the path, not the query string")]
    NotInQuery {
        ai: String,
        title: &'static str,
        role: &'static str,
    },
    #[error("AI {ai} ({title}) appears more than once")]
    Repeated { ai: String, title: &'static str },
    #[error("query parameter {0:?} has a malformed percent-escape or is not UTF-8")]
    BadQueryParam(String),
}

/// At most 48 characters of `s`, for messages.
fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(48).collect();
    if s.chars().nth(48).is_some() {
        out.push('…');
    }
    out
}

/// The path of a URI (`https://host/a/b` → `/a/b`); a string without `scheme://` is a path.
fn path_of(s: &str) -> &str {
    if let Some(i) = s.find("://") {
        let scheme = &s[..i];
        let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if valid {
            let rest = &s[i + 3..];
            return rest.find('/').map_or("", |j| &rest[j..]);
        }
    }
    s
}

fn decode_strict(raw: &str) -> Option<Result<String, ()>> {
    let bytes = raw.as_bytes();
    for (i, _) in raw.match_indices('%') {
        let hex = bytes.get(i + 1..i + 3);
        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
            return None;
        }
    }
    Some(
        percent_decode_str(raw)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| ()),
    )
}

/// Decodes a raw value of `ai` and checks it against the AI's format.
fn value_of(ai: &str, def: &AiDef, raw: &str) -> Result<String, DlError> {
    let value = match decode_strict(raw) {
        None => {
            return Err(DlError::BadEscape {
                ai: ai.into(),
                raw: shown(raw),
            })
        }
        Some(Err(())) => {
            return Err(DlError::NotUtf8 {
                ai: ai.into(),
                raw: shown(raw),
            })
        }
        Some(Ok(v)) => v,
    };
    check_value(ai, def, &value)?;
    Ok(value)
}

/// Checks a value (not percent-encoded) of `ai` against the AI's format: what a code
/// printed into a Digital Link must pass to resolve.
pub fn check_element(ai: &str, value: &str) -> Result<(), DlError> {
    let def = crate::gs1::ai::lookup(ai).ok_or_else(|| DlError::UnknownAi(shown(ai)))?;
    check_value(ai, def, value)
}

fn check_value(ai: &str, def: &AiDef, value: &str) -> Result<(), DlError> {
    let (ai, title) = (ai.to_string(), def.title);
    if value.is_empty() {
        return Err(DlError::MissingValue { ai, title });
    }
    let shown_value = shown(value);
    def.check_value(value).map_err(|e| match e {
        FormatError::Length { len, min, max } => DlError::Length {
            ai,
            title,
            value: shown_value,
            len,
            expected: if min == max {
                format!("exactly {min}")
            } else if len > max {
                format!("at most {max}")
            } else {
                format!("at least {min}")
            },
        },
        FormatError::Char { ch, cset } => DlError::BadChar {
            ai,
            title,
            value: shown_value,
            ch,
            allowed: cset.describe(),
        },
        FormatError::CheckDigit { got, expected } => DlError::CheckDigit {
            ai,
            title,
            value: shown_value,
            got,
            expected,
        },
        FormatError::CheckPair { got, expected } => DlError::CheckPair {
            ai,
            title,
            value: shown_value,
            got,
            expected,
        },
    })
}

/// `22, 10, 21 or 235`; `none` for a key without qualifiers.
fn describe_alternatives(alts: &[&[&str]]) -> String {
    if alts.is_empty() {
        return "none".into();
    }
    let alts: Vec<String> = alts.iter().map(|a| a.join(", ")).collect();
    alts.join(" or ")
}

/// Whether `seq` appears in `alt` in order (not necessarily contiguously).
fn is_subsequence(seq: &[&str], alt: &[&str]) -> bool {
    let mut it = alt.iter();
    seq.iter().all(|s| it.any(|a| a == s))
}

/// Checks that qualifier `ai` may follow the qualifiers `before` of a key.
fn check_order(key: &Element, alts: &[&[&str]], before: &[&str], ai: &str) -> Result<(), DlError> {
    let mut seq = before.to_vec();
    seq.push(ai);
    if alts.iter().any(|alt| is_subsequence(&seq, alt)) {
        return Ok(());
    }
    let pos = |alt: &[&str], a: &str| alt.iter().position(|x| *x == a);
    for &p in before {
        let reversed = alts.iter().any(|alt| match (pos(alt, p), pos(alt, ai)) {
            (Some(i), Some(j)) => i > j,
            _ => false,
        });
        if reversed {
            return Err(DlError::OutOfOrder {
                first: p.into(),
                then: ai.into(),
            });
        }
    }
    let other = before
        .iter()
        .find(|p| !alts.iter().any(|alt| alt.contains(p) && alt.contains(&ai)))
        .or(before.first())
        .map_or_else(String::new, |p| p.to_string());
    Err(DlError::Exclusive {
        ai: ai.into(),
        other,
        key: key.ai.clone(),
        permitted: describe_alternatives(alts),
    })
}

/// Parses and validates a GS1 Digital Link URI (`https://example.com/01/09506000134352?17=260101`)
/// or its path (`/01/09506000134352/10/ABC`). See the module documentation for the rules.
pub fn parse(uri_or_path: &str) -> Result<DigitalLink, DlError> {
    let s = uri_or_path.split_once('#').map_or(uri_or_path, |(a, _)| a);
    let (before_query, query) = match s.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (s, None),
    };
    let path = path_of(before_query);
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    let segs: Vec<&str> = trimmed.split('/').collect();

    let is_key = |seg: &str| ai::lookup(seg).is_some_and(|d| d.role() == Role::PrimaryKey);
    let start = (0..segs.len())
        .find(|&i| is_key(segs[i]) && (segs.len() - i).is_multiple_of(2))
        .or_else(|| (0..segs.len()).find(|&i| is_key(segs[i])))
        .ok_or_else(|| DlError::NoPrimaryKey(shown(path)))?;
    let mut pairs = segs[start..].chunks(2);

    let mut seen: Vec<String> = Vec::new();
    let mut element = |chunk: &[&str]| -> Result<(Element, &'static AiDef), DlError> {
        let ai = chunk[0];
        if ai.is_empty() {
            return Err(DlError::EmptySegment);
        }
        let def = ai::lookup(ai).ok_or_else(|| DlError::UnknownAi(shown(ai)))?;
        if seen.iter().any(|s| s == ai) {
            return Err(DlError::Repeated {
                ai: ai.into(),
                title: def.title,
            });
        }
        seen.push(ai.into());
        let raw = match chunk.get(1) {
            None | Some(&"") => {
                return Err(DlError::MissingValue {
                    ai: ai.into(),
                    title: def.title,
                })
            }
            Some(raw) => *raw,
        };
        Ok((
            Element {
                ai: ai.into(),
                value: raw.into(),
            },
            def,
        ))
    };

    let (mut key, key_def) = match pairs.next() {
        Some(chunk) => element(chunk)?,
        None => return Err(DlError::NoPrimaryKey(shown(path))),
    };
    key.value = value_of(&key.ai, key_def, &key.value)?;
    let alts = key_def.dl_key.unwrap_or(&[]);

    let mut qualifiers: Vec<Element> = Vec::new();
    for chunk in pairs {
        let (mut q, def) = element(chunk)?;
        let (ai, title) = (q.ai.clone(), def.title);
        match def.role() {
            Role::PrimaryKey => return Err(DlError::SecondKey { ai, title }),
            Role::Attribute => return Err(DlError::AttributeInPath { ai, title }),
            Role::Qualifier => {}
        }
        if !key_def.permits_qualifier(&ai) {
            return Err(DlError::NotQualifierOf {
                ai,
                title,
                key: key.ai.clone(),
                key_title: key_def.title,
                permitted: describe_alternatives(alts),
            });
        }
        let before: Vec<&str> = qualifiers.iter().map(|q| q.ai.as_str()).collect();
        check_order(&key, alts, &before, &ai)?;
        q.value = value_of(&ai, def, &q.value)?;
        qualifiers.push(q);
    }

    let mut attributes = Vec::new();
    let mut other_params = Vec::new();
    for param in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = param.split_once('=').unwrap_or((param, ""));
        let name = match decode_strict(raw_name) {
            Some(Ok(n)) => n,
            _ => return Err(DlError::BadQueryParam(shown(param))),
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
            let value = match decode_strict(raw_value) {
                Some(Ok(v)) => v,
                _ => return Err(DlError::BadQueryParam(shown(param))),
            };
            other_params.push((name, value));
            continue;
        }
        let (a, def) = element(&[name.as_str(), raw_value])?;
        let (ai, title) = (a.ai.clone(), def.title);
        match def.role() {
            Role::PrimaryKey => {
                let role = "primary key";
                return Err(DlError::NotInQuery { ai, title, role });
            }
            Role::Qualifier => {
                let role = "key qualifier";
                return Err(DlError::NotInQuery { ai, title, role });
            }
            Role::Attribute => {}
        }
        let value = value_of(&ai, def, &a.value)?;
        attributes.push(Element { ai, value });
    }

    Ok(DigitalLink {
        key,
        qualifiers,
        attributes,
        other_params,
    })
}

fn push_encoded(out: &mut String, value: &str) {
    out.extend(utf8_percent_encode(value, VALUE_ENCODE_SET));
}

impl DigitalLink {
    /// The definition of the primary key's AI.
    pub fn key_def(&self) -> Option<&'static AiDef> {
        self.key.def()
    }

    /// The uncompressed path `/{key}/{value}[/{qualifier}/{value}…]` with the qualifiers in
    /// the key's permitted order and every value percent-encoded (all but `A-Z a-z 0-9 - . _ ~`).
    pub fn canonical_path(&self) -> String {
        let alts = self.key_def().and_then(|d| d.dl_key).unwrap_or(&[]);
        let rank = |e: &&Element| {
            alts.iter()
                .find_map(|alt| alt.iter().position(|a| *a == e.ai))
                .unwrap_or(usize::MAX)
        };
        let mut quals: Vec<&Element> = self.qualifiers.iter().collect();
        quals.sort_by_key(rank);
        let mut out = String::with_capacity(64);
        for e in std::iter::once(&self.key).chain(quals) {
            out.push('/');
            out.push_str(&e.ai);
            out.push('/');
            push_encoded(&mut out, &e.value);
        }
        out
    }

    /// `{base}{canonical_path}` followed by the data attributes and then the other
    /// parameters as a query string (values percent-encoded). A trailing `/` on `base` is
    /// ignored.
    pub fn to_uri(&self, base: &str) -> String {
        let mut out = base.trim_end_matches('/').to_string();
        out.push_str(&self.canonical_path());
        let params = self
            .attributes
            .iter()
            .map(|e| (e.ai.as_str(), e.value.as_str()))
            .chain(
                self.other_params
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            );
        for (i, (k, v)) in params.enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            push_encoded(&mut out, k);
            out.push('=');
            push_encoded(&mut out, v);
        }
        out
    }
}

#[cfg(test)]
#[path = "dl_tests.rs"]
mod tests;
