//! Compressed GS1 Digital Link URIs (`https://example.com/AQnYUc1gmiCNV4JG`): decoding, and
//! encoding for tests and tools. Pure module (no I/O).
//!
//! The algorithm is GS1's ("GS1 Digital Link: compression"), as implemented by GS1's
//! reference toolkit `GS1DigitalLinkToolkit.js` (github.com/gs1/GS1DigitalLinkToolkit.js and
//! github.com/gs1/GS1DigitalLinkCompressionPrototype, Mark Harrison); its tables and value
//! encodings are in `compress_tables.rs` and `compress_bits.rs`. The last path segment is a bitstream written in
//! the reference's URI-safe base64 alphabet (6 bits a character, the last one padded with `0`
//! bits). The bitstream is a sequence of elements, each one of:
//! - an AI as 4-bit decimal digits (its length from the first two, `tableP`), then its value;
//! - an optimisation code, two 4-bit hex digits of which one is A-F (`0B` = AIs 01 and 10),
//!   then the values of its AIs in the table's order;
//! - `F` (`1111`), a 7-bit length, that many 6-bit base64 characters of a non-GS1 query
//!   parameter name, then its value as an alphanumeric component with a 7-bit length.
//!
//! A value is laid out component by component (`tableF`): a fixed-length numeric component as
//! one binary number of `ceil(n·log2 10 + 0.01)` bits; a variable-length numeric one as a
//! length of `ceil(log2 max + 0.01)` bits, then the number; an alphanumeric one as a 3-bit
//! encoding indicator (`000` digits as one number, `001` lower-case hex, `010` upper-case hex,
//! `011` URI-safe base64, `100` 7-bit ASCII), a length if variable, then the characters at 4,
//! 6 or 7 bits each. Decoding stops when at most 8 bits remain; those must be the zero padding.
//!
//! Where the reference is inconsistent with itself this module does what its decoder expects
//! and what GS1's ports (Trust Codes' Python, Solidsoft Reply's .NET) do: a component after
//! the first is appended once (the reference's encoder repeats the bits before it), decoded
//! components are concatenated (its decoder keeps only the last alphanumeric one), and
//! all-digit alphanumeric values keep their leading zeros (padded to their length).
//!
//! [`compress`] follows the reference's defaults (no optimisation codes, non-GS1 parameters
//! left out), which are what its published outputs use; [`compress_with`] can turn both on.
//! A partially compressed link (`/01/{GTIN}/{compressed rest}`) is decoded too.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use thiserror::Error;

use super::ai::{self, Role};
use super::dl::{self, DlError};
use bits::{length_bits, uncompressible, value_bits, Reader, Writer};
use tables::{Part, SAFE_BASE64};

/// Literal in an encoded value: RFC 3986 unreserved characters (as `VALUE_ENCODE_SET` in
/// [`super::dl`]).
const VALUE_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Longest compressed segment accepted (characters), far beyond any real link.
const MAX_SEGMENT: usize = 4096;

/// Why a compressed Digital Link cannot be decoded (or a Digital Link compressed).
#[derive(Debug, Error)]
pub enum CompressError {
    #[error("no compressed GS1 Digital Link segment at the end of the path '{0}'")]
    NoSegment(String),
    #[error("compressed segment is longer than {MAX_SEGMENT} characters")]
    TooLong,
    #[error("{ch:?} at position {pos} of the compressed segment is not a URI-safe base64 character (A-Z a-z 0-9 - _)")]
    BadBase64 { ch: char, pos: usize },
    #[error("compressed data is truncated: {what} needs {needed} bits at bit {at}, but only {left} remain")]
    Truncated {
        what: String,
        needed: usize,
        at: usize,
        left: usize,
    },
    #[error("compressed data has {0} bits after the last element; only up to 5 zero padding bits may follow it")]
    Trailing(usize),
    #[error("compressed data ends in non-zero padding bits")]
    NonZeroPadding,
    #[error("compressed data contains no elements")]
    Empty,
    #[error("AI {0}… in the compressed data is not all decimal digits")]
    NonNumericAi(String),
    #[error("no GS1 AI starts with {0} (not in the compression AI length table)")]
    UnknownAiPrefix(String),
    #[error("{0:?} is neither an AI nor a known optimisation code")]
    UnknownOptimisation(String),
    #[error("AI {0} has no entry in the compression format table")]
    NoFormat(String),
    #[error("{what}: unknown encoding indicator {indicator} (0-4 are defined)")]
    BadEncoding { what: String, indicator: usize },
    #[error("{what}: numeric component decodes to {got}, more than {max} digits")]
    NumberTooLong {
        what: String,
        got: String,
        max: usize,
    },
    #[error("compressed data has an empty non-GS1 parameter name")]
    EmptyParamName,
    #[error("AI {0} appears more than once")]
    Repeated(String),
    #[error("the compressed Digital Link has no primary key (such as AI 01, GTIN)")]
    NoPrimaryKey,
    #[error("{0:?} is not a valid percent-encoded value")]
    BadEscape(String),
    #[error("invalid GS1 Digital Link: {0}")]
    Invalid(#[from] DlError),
    #[error("cannot compress {what}: {reason}")]
    Uncompressible { what: String, reason: String },
}

/// An AI (or non-GS1 parameter name) and its value.
type Pair = (String, String);

/// Options of [`compress_with`]; the default is the reference's default (and [`compress`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompressOptions {
    /// Use the optimisation codes of `tableOpt` for common AI sequences.
    pub optimise: bool,
    /// Also compress the non-GS1 query parameters (`linkType`, …); otherwise they are dropped.
    pub other_params: bool,
}

// ---- decoding: the elements (the value encodings are in `compress_bits.rs`) ----

impl Reader {
    /// The value of `ai` (the reference's `decodeBinaryValue`).
    fn value(&mut self, ai: &str) -> Result<String, CompressError> {
        let parts = tables::format(ai).ok_or_else(|| CompressError::NoFormat(ai.into()))?;
        let what = || format!("the value of AI {ai}");
        let mut value = String::new();
        for part in parts {
            let s = match *part {
                Part::Num(l) => self.number(value_bits(l.into()), l.into(), &what)?,
                Part::NumVar(m) => {
                    let n = self.uint(length_bits(m.into()), &what)?;
                    self.number(value_bits(n), n, &what)?
                }
                Part::Alnum(l) => {
                    let enc = self.uint(3, &what)?;
                    self.chars(enc, l.into(), &what)?
                }
                Part::AlnumVar(m) => {
                    let enc = self.uint(3, &what)?;
                    let n = self.uint(length_bits(m.into()), &what)?;
                    self.chars(enc, n, &what)?
                }
            };
            value.push_str(&s);
        }
        Ok(value)
    }

    /// All elements (the reference's `decompressBinaryToGS1AIarray`), then the padding.
    fn elements(&mut self) -> Result<Vec<(String, String)>, CompressError> {
        let mut out = Vec::new();
        while self.left() > 8 {
            let what = || "an AI".to_string();
            let (h1, h2) = (self.uint(4, &what)?, self.uint(4, &what)?);
            if h1 <= 9 && h2 <= 9 {
                let mut ai = format!("{h1}{h2}");
                let len = tables::ai_length(&ai)
                    .ok_or_else(|| CompressError::UnknownAiPrefix(ai.clone()))?;
                while ai.len() < len {
                    let d = self.uint(4, &|| format!("AI {ai}…"))?;
                    if d > 9 {
                        return Err(CompressError::NonNumericAi(format!("{ai}{d:X}")));
                    }
                    ai.push(char::from(b'0' + d as u8));
                }
                let v = self.value(&ai)?;
                out.push((ai, v));
            } else if let Some(seq) = tables::optimisation(&format!("{h1:X}{h2:X}")) {
                for ai in seq {
                    let v = self.value(ai)?;
                    out.push((ai.to_string(), v));
                }
            } else if h1 == 0xF {
                let what = || "a non-GS1 parameter".to_string();
                let len = (h2 << 3) | self.uint(3, &what)?;
                let key = self.chars(3, len, &what)?;
                if key.is_empty() {
                    return Err(CompressError::EmptyParamName);
                }
                let what = || format!("the value of parameter {key}");
                let enc = self.uint(3, &what)?;
                let n = self.uint(7, &what)?;
                let v = self.chars(enc, n, &what)?;
                out.push((key, v));
            } else {
                return Err(CompressError::UnknownOptimisation(format!("{h1:X}{h2:X}")));
            }
        }
        if self.left() >= 6 {
            return Err(CompressError::Trailing(self.left()));
        }
        if self.bits[self.pos..].iter().any(|&b| b) {
            return Err(CompressError::NonZeroPadding);
        }
        if out.is_empty() {
            return Err(CompressError::Empty);
        }
        Ok(out)
    }
}

// ---- encoding ----

impl Writer {
    /// The value of `ai` (the reference's `binaryEncodingOfValue`).
    fn value(&mut self, ai: &str, value: &str) -> Result<(), CompressError> {
        let what = format!("AI {ai}");
        let parts = tables::format(ai).ok_or_else(|| CompressError::NoFormat(ai.into()))?;
        let chars: Vec<char> = value.chars().collect();
        let mut rest = &chars[..];
        for part in parts {
            let take = match *part {
                Part::Num(l) | Part::Alnum(l) => usize::from(l),
                Part::NumVar(_) | Part::AlnumVar(_) => rest.len(),
            };
            if take > rest.len() {
                return Err(uncompressible(&what, format!("{value:?} is too short")));
            }
            let (head, tail) = rest.split_at(take);
            rest = tail;
            let s: String = head.iter().collect();
            match *part {
                Part::Num(_) => self.number(&s, &what)?,
                Part::NumVar(m) => {
                    self.uint(s.len(), length_bits(m.into()), &what)?;
                    self.number(&s, &what)?;
                }
                Part::Alnum(_) => self.chars(&s, None, &what)?,
                Part::AlnumVar(m) => self.chars(&s, Some(length_bits(m.into())), &what)?,
            }
        }
        if !rest.is_empty() {
            return Err(uncompressible(&what, format!("{value:?} is too long")));
        }
        Ok(())
    }

    fn hex_code(&mut self, code: &str) -> Result<(), CompressError> {
        for ch in code.chars() {
            let d = ch
                .to_digit(16)
                .ok_or_else(|| uncompressible(code, "not hex"))?;
            self.uint(d as usize, 4, code)?;
        }
        Ok(())
    }

    /// A non-GS1 query parameter after the `F` flag.
    fn param(&mut self, key: &str, value: &str) -> Result<(), CompressError> {
        let what = format!("parameter {key:?}");
        if key.is_empty() || !key.bytes().all(|b| SAFE_BASE64.contains(&b)) {
            return Err(uncompressible(
                &what,
                "names must be URI-safe base64 characters",
            ));
        }
        self.uint(0xF, 4, &what)?;
        self.uint(key.len(), 7, &what)?;
        for b in key.bytes() {
            let i = SAFE_BASE64.iter().position(|&a| a == b).unwrap_or(0);
            self.uint(i, 6, &what)?;
        }
        self.chars(value, Some(7), &what)
    }
}

/// The reference's choice of optimisation codes: repeatedly the code whose AIs are all
/// present and have the most digits between them (the first in table order on a tie).
fn choose_codes(keys: &mut Vec<&str>) -> Vec<(&'static str, &'static [&'static str])> {
    let digits = |seq: &[&str]| seq.concat().len();
    let mut codes = Vec::new();
    loop {
        let mut best: Option<(&'static str, &'static [&'static str])> = None;
        for &(code, seq) in tables::TABLE_OPT {
            let present = seq.iter().all(|a| keys.contains(a));
            if present && best.is_none_or(|(_, b)| digits(seq) > digits(b)) {
                best = Some((code, seq));
            }
        }
        let Some((code, seq)) = best else {
            return codes;
        };
        keys.retain(|k| !seq.contains(k));
        codes.push((code, seq));
    }
}

/// Encodes AI/value pairs and non-GS1 parameters (no validation; the reference's
/// `compressGS1AIarrayToBinary` and `bin2base64`).
fn encode(
    gs1: &[(String, String)],
    others: &[(String, String)],
    optimise: bool,
) -> Result<String, CompressError> {
    let mut keys: Vec<&str> = gs1.iter().map(|(a, _)| a.as_str()).collect();
    keys.sort_unstable();
    let codes = if optimise {
        choose_codes(&mut keys)
    } else {
        Vec::new()
    };
    let value_of = |ai: &str| {
        gs1.iter()
            .find(|(a, _)| a == ai)
            .map_or("", |(_, v)| v.as_str())
    };
    let mut w = Writer::default();
    for (code, seq) in codes {
        w.hex_code(code)?;
        for ai in seq {
            w.value(ai, value_of(ai))?;
        }
    }
    for ai in keys {
        w.hex_code(ai)?;
        w.value(ai, value_of(ai))?;
    }
    for (k, v) in others {
        w.param(k, v)?;
    }
    Ok(w.to_base64())
}

// ---- URIs ----

/// Path and query of a URI or path (fragment dropped).
fn split_uri(s: &str) -> (&str, Option<&str>) {
    let s = s.split_once('#').map_or(s, |(a, _)| a);
    let (before, query) = match s.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (s, None),
    };
    if let Some(i) = before.find("://") {
        let scheme = &before[..i];
        let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if valid {
            let rest = &before[i + 3..];
            return (rest.find('/').map_or("", |j| &rest[j..]), query);
        }
    }
    (before, query)
}

fn is_primary_key(ai: &str) -> bool {
    ai::lookup(ai).is_some_and(|d| d.role() == Role::PrimaryKey)
}

fn decode_value(raw: &str) -> Result<String, CompressError> {
    let bytes = raw.as_bytes();
    let escapes_ok = raw.match_indices('%').all(|(i, _)| {
        bytes
            .get(i + 1..i + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    });
    let decoded = percent_decode_str(raw).decode_utf8();
    match decoded {
        Ok(v) if escapes_ok => Ok(v.into_owned()),
        _ => Err(CompressError::BadEscape(raw.chars().take(48).collect())),
    }
}

/// The compressed segment (last of the path) and, for a partially compressed link, the
/// uncompressed primary key and raw value before it.
fn locate(path: &str) -> Option<(Option<(&str, &str)>, &str)> {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    let segs: Vec<&str> = trimmed.split('/').collect();
    let last = *segs.last().filter(|s| !s.is_empty())?;
    let n = segs.len();
    let partial = (n >= 3 && is_primary_key(segs[n - 3]) && !segs[n - 2].is_empty())
        .then(|| (segs[n - 3], segs[n - 2]));
    Some((partial, last))
}

/// Whether a URL path (or URI) ends in a compressed GS1 Digital Link: its last segment is
/// URI-safe base64 whose bitstream decodes completely into elements with a primary key
/// (values are not checked here; [`decompress`] does). A path that is an uncompressed
/// Digital Link is not compressed.
pub fn is_compressed(path: &str) -> bool {
    let (path, _) = split_uri(path);
    if dl::parse(path).is_ok() {
        return false;
    }
    let Some((partial, segment)) = locate(path) else {
        return false;
    };
    let Ok(mut reader) = Reader::from_base64(segment) else {
        return false;
    };
    match reader.elements() {
        Ok(items) => partial.is_some() || items.iter().any(|(k, _)| is_primary_key(k)),
        Err(_) => false,
    }
}

/// The pairs of the compressed data (after the uncompressed key of a partially compressed
/// link) and those of the URI's query string, with every AI value checked.
fn decode(uri_or_path: &str) -> Result<(Vec<Pair>, Vec<Pair>), CompressError> {
    let (path, query) = split_uri(uri_or_path);
    let (partial, segment) =
        locate(path).ok_or_else(|| CompressError::NoSegment(path.chars().take(48).collect()))?;
    let mut compressed = Vec::new();
    if let Some((ai, raw)) = partial {
        compressed.push((ai.to_string(), decode_value(raw)?));
    }
    compressed.extend(Reader::from_base64(segment)?.elements()?);
    let mut params = Vec::new();
    for param in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = param.split_once('=').unwrap_or((param, ""));
        params.push((decode_value(k)?, decode_value(v)?));
    }
    let all: Vec<&Pair> = compressed.iter().chain(&params).collect();
    for (i, (k, v)) in all.iter().enumerate() {
        if is_ai(k) {
            if all[..i].iter().any(|(p, _)| p == k) {
                return Err(CompressError::Repeated(k.clone()));
            }
            dl::check_element(k, v)?;
        }
    }
    Ok((compressed, params))
}

fn is_ai(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}

/// Decodes a compressed (or partially compressed) Digital Link URI or path into its AI/value
/// pairs in the encoded order (the uncompressed key of a partially compressed link first),
/// including any compressed non-GS1 parameters, followed by the URI's own query parameters.
/// Every AI value is checked against its AI's format.
pub fn decompress(uri_or_path: &str) -> Result<Vec<(String, String)>, CompressError> {
    let (mut pairs, params) = decode(uri_or_path)?;
    pairs.extend(params);
    Ok(pairs)
}

/// Decodes a compressed Digital Link into the canonical uncompressed path and query:
/// `/{key}/{value}[/{qualifier}/{value}…][?{attribute}={value}&…&{other}={value}]`, with the
/// qualifiers in the key's permitted order, the data attributes in AI order, then the other
/// parameters in their order, and values percent-encoded (RFC 3986 unreserved characters
/// left literal). The result is validated as a Digital Link ([`dl::parse`]); AIs of the URI's
/// own query string stay there, so a key or qualifier in it is an error.
pub fn decompress_to_path(uri_or_path: &str) -> Result<String, CompressError> {
    let (compressed, params) = decode(uri_or_path)?;
    let key_def = compressed
        .iter()
        .find_map(|(k, _)| ai::lookup(k).filter(|d| d.role() == Role::PrimaryKey))
        .ok_or(CompressError::NoPrimaryKey)?;
    let alts = key_def.dl_key.unwrap_or(&[]);
    let rank = |k: &str| {
        let pos = alts.iter().find_map(|alt| alt.iter().position(|a| *a == k));
        (!key_def.covers(k), pos.unwrap_or(usize::MAX))
    };
    let (mut in_path, mut in_query): (Vec<&Pair>, Vec<&Pair>) = compressed
        .iter()
        .partition(|(k, _)| is_ai(k) && ai::lookup(k).is_some_and(|d| d.role() != Role::Attribute));
    in_path.sort_by_key(|(k, _)| rank(k));
    in_query.extend(&params);
    // Data attributes (and AIs from the query string) in AI order, then the others.
    in_query.sort_by_key(|(k, _)| (!is_ai(k), if is_ai(k) { k.as_str() } else { "" }));
    let mut raw = String::new();
    for (k, v) in in_path {
        raw.push('/');
        raw.push_str(k);
        raw.push('/');
        raw.extend(utf8_percent_encode(v, VALUE_ENCODE_SET));
    }
    for (i, (k, v)) in in_query.into_iter().enumerate() {
        raw.push(if i == 0 { '?' } else { '&' });
        raw.extend(utf8_percent_encode(k, VALUE_ENCODE_SET));
        raw.push('=');
        raw.extend(utf8_percent_encode(v, VALUE_ENCODE_SET));
    }
    Ok(dl::parse(&raw)?.to_uri(""))
}

/// Compresses an uncompressed Digital Link URI or path into the compressed path segment
/// (without `/`), as GS1's reference does by default: every AI (key, qualifiers, attributes)
/// in AI order, no optimisation codes, non-GS1 query parameters left out.
pub fn compress(path_or_uri: &str) -> Result<String, CompressError> {
    compress_with(path_or_uri, CompressOptions::default())
}

/// [`compress`] with the reference's options: optimisation codes for common AI sequences,
/// and compression of the non-GS1 query parameters.
pub fn compress_with(path_or_uri: &str, options: CompressOptions) -> Result<String, CompressError> {
    let link = dl::parse(path_or_uri)?;
    let gs1: Vec<(String, String)> = std::iter::once(&link.key)
        .chain(&link.qualifiers)
        .chain(&link.attributes)
        .map(|e| (e.ai.clone(), e.value.clone()))
        .collect();
    let others = if options.other_params {
        link.other_params.as_slice()
    } else {
        &[]
    };
    encode(&gs1, others, options.optimise)
}

#[path = "compress_tables.rs"]
mod tables;

#[path = "compress_bits.rs"]
mod bits;

#[cfg(test)]
#[path = "compress_tests.rs"]
mod tests;
