//! GS1 Application Identifiers (AIs): their formats, check digits and roles in a GS1 Digital
//! Link URI. The data is in [`ai_table`](super::ai_table); see there for its source.

use super::ai_table::AI_TABLE;

/// The character set of one component of an AI's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cset {
    /// Digits `0`-`9` (`N` in the GS1 format notation).
    Numeric,
    /// GS1 AI encodable character set 82 (`X`).
    Cset82,
    /// GS1 AI encodable character set 39 (`Y`): `#`, `-`, `/`, `0`-`9`, `A`-`Z`.
    Cset39,
    /// GS1 AI encodable character set 64 (`Z`): the URL-safe base64 alphabet and `=`.
    Cset64,
}

impl Cset {
    pub fn allows(self, c: char) -> bool {
        match self {
            Cset::Numeric => c.is_ascii_digit(),
            Cset::Cset82 => c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c),
            Cset::Cset39 => c.is_ascii_digit() || c.is_ascii_uppercase() || "#-/".contains(c),
            Cset::Cset64 => c.is_ascii_alphanumeric() || "-_=".contains(c),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Cset::Numeric => "digits only",
            Cset::Cset82 => "GS1 character set 82: A-Z a-z 0-9 !\"%&'()*+,-./:;<=>?_",
            Cset::Cset39 => "GS1 character set 39: A-Z 0-9 # - /",
            Cset::Cset64 => "GS1 character set 64: A-Z a-z 0-9 - _ =",
        }
    }
}

/// The check a component carries in its last character(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    None,
    /// The GS1 mod-10 check digit (last digit), as for GTIN, SSCC, GLN.
    Mod10,
    /// The GS1 check character pair for alphanumeric keys (last two characters), as for
    /// GMN (AI 8013): General Specifications "check character calculation (for
    /// alphanumeric keys)".
    AlphaPair,
}

/// One component of an AI's value: `N14` is `{Numeric, 14, 14}`, `X..20` is
/// `{Cset82, 1, 20}`, `[N6]` is an optional `N6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    pub cset: Cset,
    pub min: u8,
    pub max: u8,
    /// Optional (only ever the last component).
    pub optional: bool,
    pub check: Check,
}

/// What an AI may be in a Digital Link URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A primary key: the first AI of the path.
    PrimaryKey,
    /// A key qualifier of some primary key: in the path, after its key.
    Qualifier,
    /// A data attribute: only in the query string.
    Attribute,
}

/// One AI, or a range of AIs sharing a definition (`3100`-`3105`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AiDef {
    /// First AI of the range.
    pub first: &'static str,
    /// Last AI of the range (equal to `first` for a single AI).
    pub last: &'static str,
    /// Title as in the GS1 Syntax Dictionary (`GTIN`, `BATCH/LOT`, `SERIAL`).
    pub title: &'static str,
    /// The components of the value, in order; only the last may be variable-length or
    /// optional.
    pub components: &'static [Component],
    /// `Some(alternatives)` for a Digital Link primary key: each alternative is an ordered
    /// sequence of optional key qualifiers (`[["22","10","21"], ["235"]]` for AI 01).
    pub dl_key: Option<&'static [&'static [&'static str]]>,
}

/// Why a value does not match its AI's format (without the AI, which the caller adds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    Length { len: usize, min: usize, max: usize },
    Char { ch: char, cset: Cset },
    CheckDigit { got: char, expected: char },
    CheckPair { got: String, expected: String },
}

impl AiDef {
    pub fn covers(&self, ai: &str) -> bool {
        ai.len() == self.first.len() && self.first <= ai && ai <= self.last
    }

    pub fn role(&self) -> Role {
        if self.dl_key.is_some() {
            Role::PrimaryKey
        } else if is_qualifier(self.first) {
            Role::Qualifier
        } else {
            Role::Attribute
        }
    }

    /// Whether `ai` may qualify this key (in some alternative).
    pub fn permits_qualifier(&self, ai: &str) -> bool {
        self.dl_key
            .is_some_and(|alts| alts.iter().any(|alt| alt.contains(&ai)))
    }

    /// Shortest and longest value, in characters.
    pub fn length_range(&self) -> (usize, usize) {
        let min = self
            .components
            .iter()
            .filter(|c| !c.optional)
            .map(|c| usize::from(c.min))
            .sum();
        let max = self.components.iter().map(|c| usize::from(c.max)).sum();
        (min, max)
    }

    /// Checks a (percent-decoded) value: length, character sets, check digits.
    pub fn check_value(&self, value: &str) -> Result<(), FormatError> {
        let chars: Vec<char> = value.chars().collect();
        let (min, max) = self.length_range();
        if chars.len() < min || chars.len() > max {
            return Err(FormatError::Length {
                len: chars.len(),
                min,
                max,
            });
        }
        let mut rest = &chars[..];
        for (i, comp) in self.components.iter().enumerate() {
            let last = i + 1 == self.components.len();
            if rest.is_empty() && comp.optional {
                break;
            }
            let take = if last {
                rest.len()
            } else {
                usize::from(comp.max).min(rest.len())
            };
            let (part, tail) = rest.split_at(take);
            rest = tail;
            if let Some(&ch) = part.iter().find(|&&ch| !comp.cset.allows(ch)) {
                return Err(FormatError::Char {
                    ch,
                    cset: comp.cset,
                });
            }
            match comp.check {
                Check::None => {}
                Check::Mod10 => check_mod10(part)?,
                Check::AlphaPair => check_pair(part, comp.max)?,
            }
        }
        Ok(())
    }
}

fn check_mod10(part: &[char]) -> Result<(), FormatError> {
    let Some((&got, data)) = part.split_last() else {
        return Ok(());
    };
    let data: String = data.iter().collect();
    if let Some(d) = crate::core::codes::gs1_check_digit(&data) {
        let expected = char::from(b'0' + d);
        if got != expected {
            return Err(FormatError::CheckDigit { got, expected });
        }
    }
    Ok(())
}

/// CSET 82 in ascending order: a character's value is its index.
const CSET82_ORDER: &str =
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
/// CSET 32, the alphabet of the check character pair.
const CSET32: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// The GS1 check character pair of the data characters (all but the last two): the sum of
/// each character's CSET 82 value times the primes 2, 3, 5, 7, … taken from the right,
/// modulo 1021, written as two CSET 32 characters (high 5 bits, low 5 bits).
pub fn check_pair_of(data: &str) -> Option<String> {
    let mut primes = Primes::default();
    let mut sum: u64 = 0;
    for ch in data.chars().rev() {
        let value = CSET82_ORDER.find(ch)? as u64;
        sum += value * primes.next_prime();
    }
    let sum = (sum % 1021) as usize;
    let pair = [CSET32[sum >> 5], CSET32[sum & 31]];
    Some(pair.iter().map(|&b| char::from(b)).collect())
}

fn check_pair(part: &[char], max: u8) -> Result<(), FormatError> {
    if part.len() < 2 {
        return Err(FormatError::Length {
            len: part.len(),
            min: 2,
            max: usize::from(max),
        });
    }
    let (data, got) = part.split_at(part.len() - 2);
    let got: String = got.iter().collect();
    let data: String = data.iter().collect();
    match check_pair_of(&data) {
        Some(expected) if expected != got => Err(FormatError::CheckPair { got, expected }),
        _ => Ok(()),
    }
}

/// Successive primes 2, 3, 5, … (trial division; values are at most 99 characters long).
#[derive(Default)]
struct Primes {
    last: u64,
}

impl Primes {
    fn next_prime(&mut self) -> u64 {
        let mut p = if self.last < 2 { 2 } else { self.last + 1 };
        while (2..p).take_while(|d| d * d <= p).any(|d| p % d == 0) {
            p += 1;
        }
        self.last = p;
        p
    }
}

/// The definition of an AI (`"01"`, `"3103"`), or `None` if GS1 defines no such AI.
pub fn lookup(ai: &str) -> Option<&'static AiDef> {
    if !(2..=4).contains(&ai.len()) || !ai.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    AI_TABLE.iter().find(|d| d.covers(ai))
}

/// Every AI definition, in lexical order.
pub fn all() -> &'static [AiDef] {
    AI_TABLE
}

/// Whether `ai` is a key qualifier of some Digital Link primary key.
pub fn is_qualifier(ai: &str) -> bool {
    AI_TABLE
        .iter()
        .filter_map(|d| d.dl_key)
        .any(|alts| alts.iter().any(|alt| alt.contains(&ai)))
}

#[cfg(test)]
#[path = "ai_tests.rs"]
mod tests;
