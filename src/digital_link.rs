//! GS1 Digital Link URIs (GS1 Digital Link URI Syntax, ISO/IEC 18975) for the GTIN (AI 01)
//! and its key qualifiers, and the RFC 9264 linkset a resolver returns for `linkType=all`.
//!
//! A Digital Link path for a trade item is `/01/{gtin14}[/22/{cpv}][/10/{lot}][/21/{serial}]`:
//! the primary key first, then the key qualifiers, each optional, at most once and in that
//! fixed order. Other attributes (expiry date, AI 17, …) belong in the query string.
//!
//! Parsing and validation are [`crate::gs1::parse`]'s job (every primary key, qualifier
//! orders, the AI table's formats and check digits, strict percent-decoding). This module
//! only narrows its result to the simple [`DigitalLink`] of a GTIN with its qualifiers
//! ([`DigitalLink::from_gs1`]), formats such links ([`format()`]) and builds linksets.
//!
//! Choices made by this module:
//! - [`parse_path`] is `gs1::parse` followed by `from_gs1`, for a *raw* request path that
//!   is still percent-encoded (actix-web's `HttpRequest::path()`); it refuses a path with a
//!   query string or fragment, and otherwise accepts what `gs1::parse` accepts (a free path
//!   prefix before `/01/`, one trailing slash). Do not pass a path that a router has
//!   already decoded.
//! - [`DigitalLink::new`] builds a link from unencoded values and is more lenient than the
//!   parser: it pads a GTIN-8/12/13 to 14 digits and accepts any qualifier text of 1 to 20
//!   characters without control characters (the lot codes recorded by this service may
//!   contain spaces). [`DigitalLink::check_cset82`] applies the strict GS1 rule (AI 22/10/21
//!   values use the 82 characters of GS1 "CSET 82", which has no space and no non-ASCII
//!   characters), which `gs1::parse` enforces: only a link passing it parses back.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use thiserror::Error;

use crate::core::domain::normalize_gtin;

/// Characters that stay literal in a Digital Link path value: RFC 3986 "unreserved" ones
/// (`A–Z a–z 0–9 - . _ ~`). Everything else, including `/`, space and the sub-delimiters
/// GS1 requires to be escaped (`! ' ( ) * + , ; = :` …), is percent-encoded.
const VALUE_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Longest value GS1 allows for AIs 22, 10 and 21 (format `X..20`).
pub const MAX_QUALIFIER_LEN: usize = 20;

/// GS1 "CSET 82": the characters allowed in alphanumeric AI values such as 22, 10 and 21.
const CSET82_PUNCT: &str = "!\"%&'()*+,-./:;<=>?_";

/// The relation-type namespace of GS1 link types (`gs1:pip` is
/// `https://gs1.org/voc/pip` in a linkset).
pub const GS1_VOC: &str = "https://gs1.org/voc/";

/// A parsed or to-be-formatted Digital Link for a trade item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DigitalLink {
    /// GTIN padded to 14 digits, check digit verified (AI 01).
    pub gtin14: String,
    /// Consumer product variant (AI 22).
    pub variant: Option<String>,
    /// Batch or lot number (AI 10).
    pub lot: Option<String>,
    /// Serial number (AI 21).
    pub serial: Option<String>,
}

impl DigitalLink {
    /// The GTIN link of a Digital Link [`crate::gs1::parse`] already validated (so its
    /// values are decoded and checked): the GTIN and the qualifiers records are named by
    /// here (22, 10, 21). Another key (an SSCC, a GLN…) or qualifier (235) is refused.
    pub fn from_gs1(dl: &crate::gs1::DigitalLink) -> Result<DigitalLink, DlError> {
        if dl.key.ai != "01" {
            return Err(DlError::MissingPrimaryKey(format!("/{}/…", dl.key.ai)));
        }
        let mut out = DigitalLink {
            gtin14: dl.key.value.clone(),
            variant: None,
            lot: None,
            serial: None,
        };
        for q in &dl.qualifiers {
            let slot = match q.ai.as_str() {
                "22" => &mut out.variant,
                "10" => &mut out.lot,
                "21" => &mut out.serial,
                other => {
                    return Err(DlError::UnknownAi {
                        ai: other.chars().take(10).collect(),
                    })
                }
            };
            *slot = Some(q.value.clone());
        }
        Ok(out)
    }
}

/// Why a Digital Link is invalid. The messages are meant for API clients (400 responses).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DlError {
    /// Not a GS1 Digital Link at all, or one [`crate::gs1::parse`] refuses.
    #[error(transparent)]
    Gs1(#[from] crate::gs1::DlError),
    #[error("pass the path only, without the query string or fragment")]
    QueryInPath,
    /// A valid Digital Link of another primary key than the GTIN (AI 01).
    #[error("a GS1 Digital Link path starts with /01/{{gtin}}; got '{0}'")]
    MissingPrimaryKey(String),
    /// A valid key qualifier of AI 01 other than 22, 10 and 21 (that is, 235).
    #[error("AI {ai} is not supported here: after /01/{{gtin}} only AI 22 (consumer product variant), 10 (batch/lot) and 21 (serial number) may follow")]
    UnknownAi { ai: String },
    #[error("invalid GTIN in AI 01: {0}")]
    Gtin(String),
    #[error("AI {ai} ({name}) has no value")]
    MissingValue {
        ai: &'static str,
        name: &'static str,
    },
    #[error("AI {ai} ({name}) has {len} characters; GS1 allows at most {max}")]
    TooLong {
        ai: &'static str,
        name: &'static str,
        len: usize,
        max: usize,
    },
    #[error("AI {ai} ({name}) must not contain control characters")]
    ControlChar {
        ai: &'static str,
        name: &'static str,
    },
    #[error("AI {ai} ({name}) contains {ch:?}, which is not in GS1's character set 82 (A-Z a-z 0-9 and !\"%&'()*+,-./:;<=>?_)")]
    NotCset82 {
        ai: &'static str,
        name: &'static str,
        ch: char,
    },
}

/// The key qualifiers of AI 01 this module handles (in path order in [`DigitalLink::qualifiers`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    Variant,
    Lot,
    Serial,
}

impl Qualifier {
    fn ai(self) -> &'static str {
        match self {
            Qualifier::Variant => "22",
            Qualifier::Lot => "10",
            Qualifier::Serial => "21",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Qualifier::Variant => "consumer product variant",
            Qualifier::Lot => "batch/lot",
            Qualifier::Serial => "serial number",
        }
    }
}

impl DigitalLink {
    /// Builds a link from unencoded values: a GTIN-8/12/13/14 with a valid check digit,
    /// padded to 14; qualifiers not empty, at most 20 characters, no control characters.
    /// This is more lenient than [`parse_path`] about the character set: check
    /// [`DigitalLink::check_cset82`] too for a link that must parse back.
    pub fn new(
        gtin: &str,
        variant: Option<&str>,
        lot: Option<&str>,
        serial: Option<&str>,
    ) -> Result<DigitalLink, DlError> {
        let check = |q: Qualifier, v: Option<&str>| -> Result<Option<String>, DlError> {
            v.map(|v| check_value(q, v).map(|()| v.to_string()))
                .transpose()
        };
        Ok(DigitalLink {
            gtin14: normalize_gtin(gtin).map_err(DlError::Gtin)?,
            variant: check(Qualifier::Variant, variant)?,
            lot: check(Qualifier::Lot, lot)?,
            serial: check(Qualifier::Serial, serial)?,
        })
    }

    /// The strict GS1 rule for printed links: every qualifier value uses only the 82
    /// characters of GS1 character set 82 (no space, no non-ASCII letters).
    pub fn check_cset82(&self) -> Result<(), DlError> {
        for (q, v) in self.qualifiers() {
            if let Some(ch) = v.chars().find(|&c| !is_cset82(c)) {
                return Err(DlError::NotCset82 {
                    ai: q.ai(),
                    name: q.name(),
                    ch,
                });
            }
        }
        Ok(())
    }

    /// The qualifiers that are present, in path order.
    fn qualifiers(&self) -> impl Iterator<Item = (Qualifier, &str)> {
        [
            (Qualifier::Variant, &self.variant),
            (Qualifier::Lot, &self.lot),
            (Qualifier::Serial, &self.serial),
        ]
        .into_iter()
        .filter_map(|(q, v)| v.as_deref().map(|v| (q, v)))
    }
}

fn is_cset82(c: char) -> bool {
    c.is_ascii_alphanumeric() || CSET82_PUNCT.contains(c)
}

/// Checks a decoded qualifier value: not empty, at most 20 characters, no control characters.
fn check_value(q: Qualifier, v: &str) -> Result<(), DlError> {
    let (ai, name) = (q.ai(), q.name());
    if v.is_empty() {
        return Err(DlError::MissingValue { ai, name });
    }
    let len = v.chars().count();
    if len > MAX_QUALIFIER_LEN {
        return Err(DlError::TooLong {
            ai,
            name,
            len,
            max: MAX_QUALIFIER_LEN,
        });
    }
    if v.chars().any(char::is_control) {
        return Err(DlError::ControlChar { ai, name });
    }
    Ok(())
}

/// Formats `{base}/01/{gtin14}[/22/{cpv}][/10/{lot}][/21/{serial}]`, percent-encoding every
/// value (a lot `A/B 1` becomes `A%2FB%201`). A trailing `/` on `base_url` is ignored.
///
/// The fields are not validated here: a link from [`parse_path`], or one built with
/// [`DigitalLink::new`] that passes [`DigitalLink::check_cset82`], parses back.
pub fn format(base_url: &str, dl: &DigitalLink) -> String {
    let mut out = String::with_capacity(base_url.len() + 80);
    out.push_str(base_url.trim_end_matches('/'));
    out.push_str("/01/");
    out.extend(utf8_percent_encode(&dl.gtin14, VALUE_ENCODE_SET));
    for (q, v) in dl.qualifiers() {
        out.push('/');
        out.push_str(q.ai());
        out.push('/');
        out.extend(utf8_percent_encode(v, VALUE_ENCODE_SET));
    }
    out
}

/// Parses a raw (still percent-encoded) Digital Link path of a GTIN, such as
/// `/01/09506000134352/10/A%2FB1/21/7`, with [`crate::gs1::parse`] (which does all the
/// validation) and [`DigitalLink::from_gs1`]. A path with a query string or fragment is
/// refused ([`DlError::QueryInPath`]).
pub fn parse_path(path: &str) -> Result<DigitalLink, DlError> {
    if path.contains(['?', '#']) {
        return Err(DlError::QueryInPath);
    }
    DigitalLink::from_gs1(&crate::gs1::parse(path)?)
}

/// One link of a linkset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link<'a> {
    /// Link type: a CURIE such as `gs1:traceability` (expanded to
    /// `https://gs1.org/voc/traceability`), a full URI, or a registered relation such as
    /// `describedby`.
    pub rel: &'a str,
    pub href: &'a str,
    /// Human-readable title; omitted from the JSON when empty.
    pub title: &'a str,
    /// Media type of the target (`text/html`, `application/json`, …).
    pub media_type: Option<&'a str>,
    /// Language of the target (`en`, `zh-CN`, …).
    pub hreflang: Option<&'a str>,
}

/// Expands a link type to the relation type used as a linkset member name.
pub fn expand_rel(rel: &str) -> String {
    if let Some(term) = rel.strip_prefix("gs1:") {
        format!("{GS1_VOC}{term}")
    } else if let Some(term) = rel.strip_prefix("schema:") {
        format!("http://schema.org/{term}")
    } else {
        rel.to_string()
    }
}

/// The RFC 9264 linkset (`application/linkset+json`) for a Digital Link, from
/// `(linkType, href, title)` triples; see [`linkset_links`] to add media types and languages.
///
/// ```json
/// {"linkset": [{"anchor": "https://example.com/01/09506000134352",
///               "https://gs1.org/voc/traceability": [{"href": "…", "title": "…"}]}]}
/// ```
pub fn linkset(base_url: &str, dl: &DigitalLink, links: &[(String, String, String)]) -> Value {
    let links: Vec<Link<'_>> = links
        .iter()
        .map(|(rel, href, title)| Link {
            rel,
            href,
            title,
            media_type: None,
            hreflang: None,
        })
        .collect();
    linkset_links(base_url, dl, &links)
}

/// The RFC 9264 linkset for a Digital Link. Its single link context object has the Digital
/// Link URI as `anchor` and one member per relation type, holding an array of target objects
/// (`href`, and `title`, `type`, `hreflang` when known) in the order given. `hreflang` is an
/// array, as RFC 9264 section 4.2.4.1 requires.
pub fn linkset_links(base_url: &str, dl: &DigitalLink, links: &[Link<'_>]) -> Value {
    let mut context = Map::new();
    context.insert("anchor".into(), Value::String(format(base_url, dl)));
    for link in links {
        let mut target = Map::new();
        target.insert("href".into(), Value::String(link.href.to_string()));
        if !link.title.is_empty() {
            target.insert("title".into(), Value::String(link.title.to_string()));
        }
        if let Some(t) = link.media_type {
            target.insert("type".into(), Value::String(t.to_string()));
        }
        if let Some(lang) = link.hreflang {
            target.insert("hreflang".into(), json!([lang]));
        }
        let targets = context
            .entry(expand_rel(link.rel))
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(targets) = targets {
            targets.push(Value::Object(target));
        }
    }
    json!({ "linkset": [Value::Object(context)] })
}

#[cfg(test)]
#[path = "digital_link_tests.rs"]
mod tests;
