//! GS1 Application Identifiers (AIs): their formats, check digits and roles in a GS1 Digital
//! Link URI. The data is in [`ai_table`](super::ai_table); see there for its source.

pub use super::ai_def::{AiDef, Check, Component, Cset, Role};
use super::ai_table::AI_TABLE;

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
