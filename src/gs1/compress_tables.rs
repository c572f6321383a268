//! The tables and value encodings of the GS1 Digital Link compression algorithm, transcribed from GS1's reference
//! implementation by Mark Harrison: `src/GS1DigitalLinkToolkit.js` in
//! github.com/gs1/GS1DigitalLinkToolkit.js (stored version at commit
//! 52dc9ce0d9308e6413ce663e217809c902b03839, Apache-2.0), whose compression code is that of
//! github.com/gs1/GS1DigitalLinkCompressionPrototype (`src/GS1DigitalLinkToolkit.js`).
//!
//! - [`ai_length`] is the reference's `tableP`: the length of every AI from its first two
//!   digits.
//! - [`format()`] is its `tableF`: how each AI's value is laid out in the bitstream, component
//!   by component (`N14`, `N13+X..17`, …). It was derived by the reference from the GS1
//!   General Specifications, but it is the wire format, so it is followed where it differs
//!   from the AI table used for validation (`ai_table.rs`): `8006` and `8026` are one
//!   `N18`, `7230`-`7239` one `X..30`, `7007` is `N6+N..6`, `8007` is `X..24`.
//!   Two entries of the reference cannot encode valid values and are corrected as GS1's
//!   standard has them (and as the .NET port github.com/Solidsoft-Reply/Gs1DigitalLinkLib
//!   does, whose test vectors confirm it): `235` is `X..28` (the reference has `N3+X..28`),
//!   and `7040` is `N1+X3` (the reference's second component is misspelt `{"E":"X","N":"3"}`
//!   and so skipped).
//! - [`optimisation`] is its `tableOpt`: 2-hex-digit codes (with at least one digit A-F, so
//!   they cannot be an AI) standing for a sequence of AIs whose values follow in that order.
//!   The sequences are as written in the reference source and in GS1's ports. (The
//!   reference's constructor happens to sort these arrays in place while building a reverse
//!   index, so the running JavaScript orders `1A` as 01,10,17,21 and `9D` as 254,414; the
//!   published order is used here.)
//! - [`SAFE_BASE64`] is its `safeBase64Alphabet`, the RFC 4648 URL-safe alphabet.
//!
//! The bit-level pieces of the format are in `compress_bits.rs`; the element structure is
//! in `compress.rs`.

/// One component of an AI's value in the bitstream (an entry of the reference's `tableF`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    /// `{"E":"N","L":n}`: exactly `n` digits as one binary number, no length prefix.
    Num(u8),
    /// `{"E":"N","M":m}`: a length prefix (enough bits for `m`), then the digits as a number.
    NumVar(u8),
    /// `{"E":"X","L":n}`: a 3-bit encoding indicator, then `n` characters.
    Alnum(u8),
    /// `{"E":"X","M":m}`: a 3-bit encoding indicator, a length prefix, then the characters.
    AlnumVar(u8),
}

use Part::{Alnum, AlnumVar, Num, NumVar};

/// An AI or a range of AIs (same length, lexical order) sharing one format.
struct Format {
    first: &'static str,
    last: &'static str,
    parts: &'static [Part],
}

const fn f(first: &'static str, last: &'static str, parts: &'static [Part]) -> Format {
    Format { first, last, parts }
}

const N6: &[Part] = &[Num(6)];
const N13: &[Part] = &[Num(13)];
const N18: &[Part] = &[Num(18)];
const X2: &[Part] = &[Alnum(2)];
const X20: &[Part] = &[AlnumVar(20)];
const X30: &[Part] = &[AlnumVar(30)];
const X35: &[Part] = &[AlnumVar(35)];
const X70: &[Part] = &[AlnumVar(70)];
const N15V: &[Part] = &[NumVar(15)];
const N3N15V: &[Part] = &[Num(3), NumVar(15)];
const N3N12V: &[Part] = &[Num(3), NumVar(12)];
const N3: &[Part] = &[Num(3)];

/// Stems of the 4-digit measure AIs `31nx`-`36nx` whose last digit (the decimal point
/// position) runs 0-5, all `N6` in the reference's `tableF`.
const MEASURE_STEMS: &[&str] = &[
    "310", "311", "312", "313", "314", "315", "316", "320", "321", "322", "323", "324", "325",
    "326", "327", "328", "329", "330", "331", "332", "333", "334", "335", "336", "337", "340",
    "341", "342", "343", "344", "345", "346", "347", "348", "349", "350", "351", "352", "353",
    "354", "355", "356", "357", "360", "361", "362", "363", "364", "365", "366", "367", "368",
    "369",
];

/// The reference's `tableF`, in its order (the measures `31nx`-`36nx` are [`MEASURE_STEMS`]).
static TABLE_F: &[Format] = &[
    f("00", "00", N18),
    f("01", "02", &[Num(14)]),
    f("10", "10", X20),
    f("11", "13", N6),
    f("15", "17", N6),
    f("20", "20", &[Num(2)]),
    f("21", "22", X20),
    f("235", "235", &[AlnumVar(28)]),
    f("240", "241", X30),
    f("242", "242", &[NumVar(6)]),
    f("243", "243", X20),
    f("250", "251", X30),
    f("253", "253", &[Num(13), AlnumVar(17)]),
    f("254", "254", X20),
    f("255", "255", &[Num(13), NumVar(12)]),
    f("30", "30", &[NumVar(8)]),
    f("37", "37", &[NumVar(8)]),
    f("3900", "3909", N15V),
    f("3910", "3919", N3N15V),
    f("3920", "3929", N15V),
    f("3930", "3939", N3N15V),
    f("3940", "3943", &[Num(4)]),
    f("3950", "3959", N6),
    f("400", "401", X30),
    f("402", "402", &[Num(17)]),
    f("403", "403", X30),
    f("410", "417", N13),
    f("420", "420", X20),
    f("421", "421", &[Num(3), AlnumVar(9)]),
    f("422", "422", N3),
    f("423", "423", N3N12V),
    f("424", "424", N3),
    f("425", "425", N3N12V),
    f("426", "426", N3),
    f("427", "427", &[AlnumVar(3)]),
    f("4300", "4301", X35),
    f("4302", "4306", X70),
    f("4307", "4307", X2),
    f("4308", "4308", X30),
    f("4310", "4311", X35),
    f("4312", "4316", X70),
    f("4317", "4317", X2),
    f("4318", "4318", X20),
    f("4319", "4319", X30),
    f("4320", "4320", X35),
    f("4321", "4323", &[Num(1)]),
    f("4324", "4325", &[Num(10)]),
    f("4326", "4326", N6),
    f("7001", "7001", N13),
    f("7002", "7002", X30),
    f("7003", "7003", &[Num(10)]),
    f("7004", "7004", &[NumVar(4)]),
    f("7005", "7005", &[AlnumVar(12)]),
    f("7006", "7006", N6),
    f("7007", "7007", &[Num(6), NumVar(6)]),
    f("7008", "7008", &[AlnumVar(3)]),
    f("7009", "7009", &[AlnumVar(10)]),
    f("7010", "7010", &[AlnumVar(2)]),
    f("7020", "7022", X20),
    f("7023", "7023", X30),
    f("7030", "7039", &[Num(3), AlnumVar(27)]),
    f("7040", "7040", &[Num(1), Alnum(3)]),
    f("710", "714", X20),
    f("7230", "7239", X30),
    f("7240", "7240", X20),
    f("8001", "8001", &[Num(14)]),
    f("8002", "8002", X20),
    f("8003", "8003", &[Num(14), AlnumVar(16)]),
    f("8004", "8004", X30),
    f("8005", "8005", N6),
    f("8006", "8006", N18),
    f("8007", "8007", &[AlnumVar(24)]),
    f("8008", "8008", &[Num(8), NumVar(4)]),
    f("8009", "8009", &[AlnumVar(50)]),
    f("8010", "8010", X30),
    f("8011", "8011", &[NumVar(12)]),
    f("8012", "8012", X20),
    f("8013", "8013", X30),
    f("8017", "8018", N18),
    f("8019", "8019", &[NumVar(10)]),
    f("8020", "8020", &[AlnumVar(25)]),
    f("8026", "8026", N18),
    f("8110", "8110", X70),
    f("8111", "8111", &[Num(4)]),
    f("8112", "8112", X70),
    f("8200", "8200", X70),
    f("90", "90", X30),
    f("91", "99", &[AlnumVar(90)]),
];

/// The components of `ai`'s value in the bitstream, or `None` if the reference's `tableF`
/// has no entry for it.
pub(super) fn format(ai: &str) -> Option<&'static [Part]> {
    if !ai.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if ai.len() == 4 && ai.as_bytes()[3] <= b'5' && MEASURE_STEMS.contains(&&ai[..3]) {
        return Some(N6);
    }
    TABLE_F
        .iter()
        .find(|e| e.first.len() == ai.len() && e.first <= ai && ai <= e.last)
        .map(|e| e.parts)
}

/// The reference's `tableP`: AI length by the AI's first two digits.
static TABLE_P: &[(&str, usize)] = &[
    ("00", 2),
    ("01", 2),
    ("02", 2),
    ("10", 2),
    ("11", 2),
    ("12", 2),
    ("13", 2),
    ("15", 2),
    ("16", 2),
    ("17", 2),
    ("20", 2),
    ("21", 2),
    ("22", 2),
    ("23", 3),
    ("24", 3),
    ("25", 3),
    ("30", 2),
    ("31", 4),
    ("32", 4),
    ("33", 4),
    ("34", 4),
    ("35", 4),
    ("36", 4),
    ("37", 2),
    ("39", 4),
    ("40", 3),
    ("41", 3),
    ("42", 3),
    ("43", 4),
    ("70", 4),
    ("71", 3),
    ("72", 4),
    ("80", 4),
    ("81", 4),
    ("82", 4),
    ("90", 2),
    ("91", 2),
    ("92", 2),
    ("93", 2),
    ("94", 2),
    ("95", 2),
    ("96", 2),
    ("97", 2),
    ("98", 2),
    ("99", 2),
];

/// The length of the AIs starting with the two digits `prefix`, or `None` if the reference
/// knows no such AI.
pub(super) fn ai_length(prefix: &str) -> Option<usize> {
    TABLE_P.iter().find(|(p, _)| *p == prefix).map(|&(_, l)| l)
}

/// The reference's `tableOpt`: optimisation code and the AIs it stands for, in table order
/// (which is also the order in which the encoder prefers equally good candidates).
pub(super) static TABLE_OPT: &[(&str, &[&str])] = &[
    ("0A", &["01", "22"]),
    ("0B", &["01", "10"]),
    ("0C", &["01", "21"]),
    ("0D", &["01", "17"]),
    ("0E", &["01", "7003"]),
    ("0F", &["01", "30"]),
    ("1A", &["01", "10", "21", "17"]),
    ("1B", &["01", "15"]),
    ("1C", &["01", "11"]),
    ("1D", &["01", "16"]),
    ("1E", &["01", "91"]),
    ("1F", &["01", "10", "15"]),
    ("2A", &["01", "3100"]),
    ("2B", &["01", "3101"]),
    ("2C", &["01", "3102"]),
    ("2D", &["01", "3103"]),
    ("2E", &["01", "3104"]),
    ("2F", &["01", "3105"]),
    ("3A", &["01", "3200"]),
    ("3B", &["01", "3201"]),
    ("3C", &["01", "3202"]),
    ("3D", &["01", "3203"]),
    ("3E", &["01", "3204"]),
    ("3F", &["01", "3205"]),
    ("9A", &["8010", "8011"]),
    ("9B", &["8017", "8019"]),
    ("9C", &["8018", "8019"]),
    ("9D", &["414", "254"]),
    ("A0", &["01", "3920"]),
    ("A1", &["01", "3921"]),
    ("A2", &["01", "3922"]),
    ("A3", &["01", "3923"]),
    ("A4", &["01", "3924"]),
    ("A5", &["01", "3925"]),
    ("A6", &["01", "3926"]),
    ("A7", &["01", "3927"]),
    ("A8", &["01", "3928"]),
    ("A9", &["01", "3929"]),
    ("C0", &["255", "3900"]),
    ("C1", &["255", "3901"]),
    ("C2", &["255", "3902"]),
    ("C3", &["255", "3903"]),
    ("C4", &["255", "3904"]),
    ("C5", &["255", "3905"]),
    ("C6", &["255", "3906"]),
    ("C7", &["255", "3907"]),
    ("C8", &["255", "3908"]),
    ("C9", &["255", "3909"]),
    ("CA", &["255", "3940"]),
    ("CB", &["255", "3941"]),
    ("CC", &["255", "3942"]),
    ("CD", &["255", "3943"]),
];

/// The AIs an optimisation code (`"0B"`) stands for.
pub(super) fn optimisation(code: &str) -> Option<&'static [&'static str]> {
    TABLE_OPT.iter().find(|(c, _)| *c == code).map(|&(_, s)| s)
}

/// The reference's `safeBase64Alphabet`: a character's 6-bit value is its index.
pub(super) const SAFE_BASE64: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The reference's `hexAlphabet`.
pub(super) const HEX: &[u8; 16] = b"0123456789ABCDEF";
