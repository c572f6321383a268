//! The shape of a GS1 Application Identifier's definition (its value's components, check
//! and Digital Link role): what the table (`ai_table.rs`) is written in and `ai.rs` checks
//! values against.

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
