//! The codes records carry, checked as the standards define them: the USCC (GB 32100-2015)
//! and GS1 keys (GTIN check digits), and free text cleaned to a bounded length.
//!
//! [`Uscc`] and [`Gtin`] can only be built by parsing: a record holding one holds a valid
//! code (decoding a stored record checks it again).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters of the
/// code's alphabet whose last one is the check character of the first 17.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

impl Uscc {
    /// Parses a code as typed: surrounding space trimmed, letters upper-cased.
    pub fn parse(s: &str) -> Result<Uscc, String> {
        let code = s.trim().to_ascii_uppercase();
        validate_uscc(&code)?;
        Ok(Uscc(code))
    }

    /// The code for its first 17 characters, with the check character computed.
    pub fn with_check(first17: &str) -> Result<Uscc, String> {
        let c = uscc_check_char(first17)
            .ok_or_else(|| format!("'{first17}' is not 17 characters of the USCC alphabet"))?;
        Uscc::parse(&format!("{first17}{c}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Uscc {
    type Error = String;
    fn try_from(s: String) -> Result<Uscc, String> {
        validate_uscc(&s)?;
        Ok(Uscc(s))
    }
}

impl From<Uscc> for String {
    fn from(u: Uscc) -> String {
        u.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A GTIN (GS1 Global Trade Item Number) as 14 digits (GTIN-8, -12 and -13 left-padded with
/// zeros, as GS1 Digital Link writes them) with a valid check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Gtin(String);

impl Gtin {
    /// Parses a GTIN-8, -12, -13 or -14 (surrounding space trimmed).
    pub fn parse(s: &str) -> Result<Gtin, String> {
        normalize_gtin(s.trim()).map(Gtin)
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Gtin {
    type Error = String;
    fn try_from(s: String) -> Result<Gtin, String> {
        match normalize_gtin(&s) {
            Ok(g) if g == s => Ok(Gtin(g)),
            Ok(_) => Err(format!("GTIN {s} is not written with 14 digits")),
            Err(e) => Err(e),
        }
    }
}

impl From<Gtin> for String {
    fn from(g: Gtin) -> String {
        g.0
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------------------

const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The GB 32100-2015 check character for the first 17 characters of a USCC.
pub fn uscc_check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, b) in first17.bytes().enumerate() {
        let v = USCC_ALPHABET.iter().position(|&a| a == b)? as u32;
        sum += v * USCC_WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    Some(USCC_ALPHABET[check as usize] as char)
}

/// Validates a unified social credit code (18 characters, GB 32100 alphabet and check).
pub fn validate_uscc(code: &str) -> Result<(), String> {
    if code.len() != 18 || !code.is_ascii() {
        return Err(format!(
            "a unified social credit code has 18 characters (got {})",
            code.chars().count()
        ));
    }
    if let Some(bad) = code.bytes().find(|b| !USCC_ALPHABET.contains(b)) {
        return Err(format!(
            "character '{}' is not allowed in a unified social credit code (alphabet 0-9 and A-Y without I, O, S, V, Z)",
            bad as char
        ));
    }
    let expected = uscc_check_char(&code[..17]).ok_or("invalid characters")?;
    let got = code.as_bytes()[17] as char;
    if expected != got {
        return Err(format!(
            "check character is '{got}' but GB 32100 gives '{expected}' for {}",
            &code[..17]
        ));
    }
    Ok(())
}

/// GS1 check digit of the data digits (everything but the check digit).
pub fn gs1_check_digit(data: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, b) in data.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let d = (b - b'0') as u32;
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// Validates a GTIN-8/12/13/14 and returns it padded to 14 digits.
pub fn normalize_gtin(gtin: &str) -> Result<String, String> {
    if !matches!(gtin.len(), 8 | 12 | 13 | 14) || !gtin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "a GTIN has 8, 12, 13 or 14 digits (got '{}')",
            gtin.chars().take(40).collect::<String>()
        ));
    }
    let padded = format!("{gtin:0>14}");
    let (data, check) = padded.split_at(13);
    let expected = gs1_check_digit(data).ok_or("digits only")?;
    if check.as_bytes()[0] - b'0' != expected {
        return Err(format!(
            "GTIN check digit is {check} but GS1 gives {expected} for {gtin}"
        ));
    }
    Ok(padded)
}

/// Validates a free-text field: trimmed, not empty, at most `max` characters, no control
/// characters. Returns the trimmed text.
pub fn clean_text(field: &str, value: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    let n = v.chars().count();
    if n > max {
        return Err(format!(
            "{field} has {n} characters; at most {max} are allowed"
        ));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(format!("{field} must not contain control characters"));
    }
    Ok(v.to_string())
}

/// Like [`clean_text`], for text of several lines (a question, an answer, a note, a
/// complaint): `min..=max` characters, line breaks (`\r\n` as `\n`) and tabs kept; other
/// control characters refused, and so are the invisible format characters that reorder or
/// hide text (bidirectional overrides and isolates, zero-width characters) from whoever
/// reads it.
pub fn clean_multiline(field: &str, value: &str, min: usize, max: usize) -> Result<String, String> {
    let v = value.trim().replace("\r\n", "\n");
    let n = v.chars().count();
    if n < min.max(1) {
        return Err(if v.is_empty() {
            format!("{field} must not be empty")
        } else {
            format!("{field} needs at least {min} characters")
        });
    }
    if n > max {
        return Err(format!(
            "{field} has {n} characters; at most {max} are allowed"
        ));
    }
    let invisible = |c: char| matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}' | '\u{00AD}');
    if v.chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || invisible(c))
    {
        return Err(format!(
            "{field} must not contain control or invisible formatting characters"
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiline_text_keeps_its_lines_only() {
        assert_eq!(clean_multiline("q", " a\r\nb\n", 1, 10), Ok("a\nb".into()));
        assert_eq!(clean_multiline("q", "a\tb", 1, 10), Ok("a\tb".into()));
        assert!(clean_multiline("q", "a\u{7}", 1, 10).is_err());
        assert!(clean_multiline("q", "a\u{202E}b", 1, 10).is_err());
        assert!(clean_multiline("q", " \n ", 1, 10).is_err());
        assert!(clean_multiline("q", "ab", 3, 10).is_err());
        assert!(clean_text("q", "a\nb", 10).is_err());
    }

    #[test]
    fn codes_are_built_only_by_parsing() {
        let u = Uscc::parse(" 91350100m000100y43 ").unwrap();
        assert_eq!(u.as_str(), "91350100M000100Y43");
        assert_eq!(Uscc::with_check("91350100M000100Y4").unwrap(), u);
        assert!(Uscc::parse("91350100M000100Y44").is_err());
        // Decoding checks again: a stored code that is not valid does not decode.
        let enc = crate::core::codec::encode(&"91350100M000100Y44".to_string()).unwrap();
        assert!(crate::core::codec::decode::<Uscc>(&enc).is_err());
        let ok = crate::core::codec::encode(&u).unwrap();
        assert_eq!(crate::core::codec::decode::<Uscc>(&ok).unwrap(), u);
        let g = Gtin::parse("9506000134352").unwrap();
        assert_eq!(g.as_str(), "09506000134352");
        assert!(Gtin::parse("09506000134353").is_err());
        assert!(Gtin::try_from("9506000134352".to_string()).is_err());
        assert_eq!(serde_json::to_string(&g).unwrap(), "\"09506000134352\"");
    }

    #[test]
    fn uscc_worked_example_from_the_standard() {
        assert_eq!(uscc_check_char("91350100M000100Y4"), Some('3'));
        assert!(validate_uscc("91350100M000100Y43").is_ok());
        let err = validate_uscc("91350100M000100Y44").unwrap_err();
        assert!(err.contains("'3'"), "{err}");
    }

    #[test]
    fn uscc_rejects_bad_alphabet_and_length() {
        assert!(validate_uscc("91350100M000100Y4")
            .unwrap_err()
            .contains("18"));
        assert!(validate_uscc("91350100M000100O43")
            .unwrap_err()
            .contains("'O'"));
        assert!(validate_uscc("91350100m000100Y43").is_err());
    }

    #[test]
    fn gtin_check_digits() {
        assert_eq!(normalize_gtin("09506000134352").unwrap(), "09506000134352");
        assert!(normalize_gtin("09506000134353").is_err());
        // GTIN-13 padded to 14.
        assert_eq!(normalize_gtin("9506000134352").unwrap(), "09506000134352");
        assert!(normalize_gtin("12345").is_err());
        assert!(normalize_gtin("0950600013435a").is_err());
    }

    #[test]
    fn clean_text_limits() {
        assert_eq!(clean_text("name", "  a ", 5).unwrap(), "a");
        assert!(clean_text("name", "   ", 5).is_err());
        assert!(clean_text("name", "abcdef", 5).is_err());
        assert!(clean_text("name", "a\u{0}b", 5).is_err());
    }
}
