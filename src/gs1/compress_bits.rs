//! The bit-level pieces of the GS1 Digital Link compression format, transcribed from GS1's
//! reference implementation (see `compress_tables.rs` for its source): the reference's bit
//! counts (`numberOfValueBits`, `numberOfLengthBits`), binary numbers of any size, its
//! base64 conversion, and [`Reader`]/[`Writer`], which read and write unsigned fields,
//! numbers and characters in the five value encodings (`handleDecodings`,
//! `handleEncodings`, `determineEncoding`).

use super::tables::{HEX, SAFE_BASE64};
use super::CompressError;

// ---- bit counts and binary numbers of the format ----

/// `ceil(log2(max) + 0.01)` as the reference computes it: the bits of a length prefix.
pub(super) fn length_bits(max: usize) -> usize {
    ((max as f64).ln() / 2f64.ln() + 0.01).ceil() as usize
}

/// `ceil(len·log2(10) + 0.01)` as the reference computes it: the bits of a `len`-digit number.
pub(super) fn value_bits(len: usize) -> usize {
    (len as f64 * 10f64.ln() / 2f64.ln() + 0.01).ceil() as usize
}

/// `digits` as a binary number of exactly `width` bits (most significant first), or `None`
/// if it is not all digits or does not fit; numbers may be longer than any machine integer.
pub(super) fn decimal_to_bits(digits: &str, width: usize) -> Option<Vec<bool>> {
    let mut limbs: Vec<u32> = Vec::new();
    for b in digits.bytes() {
        let mut carry = u64::from(b.checked_sub(b'0').filter(|d| *d <= 9)?);
        for limb in limbs.iter_mut() {
            let t = u64::from(*limb) * 10 + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    let bit = |i: usize| limbs.get(i / 32).is_some_and(|l| (l >> (i % 32)) & 1 == 1);
    if (width..limbs.len() * 32).any(bit) {
        return None;
    }
    Some((0..width).rev().map(bit).collect())
}

/// A binary number (most significant bit first) in decimal, without leading zeros.
pub(super) fn bits_to_decimal(bits: &[bool]) -> String {
    let mut limbs: Vec<u32> = Vec::new();
    for &b in bits {
        let mut carry = u64::from(b);
        for limb in limbs.iter_mut() {
            let t = (u64::from(*limb) << 1) | carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    let mut chunks = Vec::new();
    while limbs.iter().any(|&l| l != 0) {
        let mut rem = 0u64;
        for limb in limbs.iter_mut().rev() {
            let t = (rem << 32) | u64::from(*limb);
            *limb = (t / 1_000_000_000) as u32;
            rem = t % 1_000_000_000;
        }
        chunks.push(rem);
    }
    match chunks.split_last() {
        None => "0".into(),
        Some((top, rest)) => {
            let mut s = top.to_string();
            for c in rest.iter().rev() {
                s.push_str(&format!("{c:09}"));
            }
            s
        }
    }
}

/// The reference's `base642bin`: 6 bits a character of [`SAFE_BASE64`], most significant
/// first; `Err((character, position))` for a character outside it.
pub(super) fn base64_to_bits(s: &str) -> Result<Vec<bool>, (char, usize)> {
    let mut bits = Vec::with_capacity(s.len() * 6);
    for (pos, ch) in s.chars().enumerate() {
        let v = u8::try_from(ch)
            .ok()
            .and_then(|b| SAFE_BASE64.iter().position(|&a| a == b))
            .ok_or((ch, pos))?;
        bits.extend((0..6).rev().map(|i| (v >> i) & 1 == 1));
    }
    Ok(bits)
}

/// The reference's `bin2base64`: the bits padded with `0` to a multiple of 6, 6 bits a
/// character of [`SAFE_BASE64`].
pub(super) fn bits_to_base64(bits: &[bool]) -> String {
    bits.chunks(6)
        .map(|c| {
            let v = (0..6).fold(0, |acc, i| {
                (acc << 1) | usize::from(c.get(i) == Some(&true))
            });
            char::from(SAFE_BASE64[v])
        })
        .collect()
}

// ---- reading and writing bits, numbers and characters (the reference's `handleDecodings`,
// `handleEncodings`, `determineEncoding`) ----

/// A bitstream being decoded.
pub(super) struct Reader {
    pub(super) bits: Vec<bool>,
    pub(super) pos: usize,
}

impl Reader {
    pub(super) fn from_base64(segment: &str) -> Result<Self, CompressError> {
        if segment.len() > super::MAX_SEGMENT {
            return Err(CompressError::TooLong);
        }
        let bits =
            base64_to_bits(segment).map_err(|(ch, pos)| CompressError::BadBase64 { ch, pos })?;
        Ok(Reader { bits, pos: 0 })
    }

    pub(super) fn left(&self) -> usize {
        self.bits.len() - self.pos
    }

    pub(super) fn take(
        &mut self,
        n: usize,
        what: &dyn Fn() -> String,
    ) -> Result<&[bool], CompressError> {
        if n > self.left() {
            return Err(CompressError::Truncated {
                what: what(),
                needed: n,
                at: self.pos,
                left: self.left(),
            });
        }
        self.pos += n;
        Ok(&self.bits[self.pos - n..self.pos])
    }

    pub(super) fn uint(
        &mut self,
        n: usize,
        what: &dyn Fn() -> String,
    ) -> Result<usize, CompressError> {
        Ok(self
            .take(n, what)?
            .iter()
            .fold(0, |acc, &b| (acc << 1) | usize::from(b)))
    }

    /// A number of `width` bits as exactly `digits` decimal digits (zero-padded).
    pub(super) fn number(
        &mut self,
        width: usize,
        digits: usize,
        what: &dyn Fn() -> String,
    ) -> Result<String, CompressError> {
        let s = bits_to_decimal(self.take(width, what)?);
        if digits == 0 && s == "0" {
            return Ok(String::new());
        }
        if s.len() > digits {
            return Err(CompressError::NumberTooLong {
                what: what(),
                got: s,
                max: digits,
            });
        }
        Ok(format!("{s:0>digits$}"))
    }

    /// `n` characters in encoding `enc` (the reference's `handleDecodings`).
    pub(super) fn chars(
        &mut self,
        enc: usize,
        n: usize,
        what: &dyn Fn() -> String,
    ) -> Result<String, CompressError> {
        let (bits, alphabet): (usize, &[u8]) = match enc {
            0 => return self.number(value_bits(n), n, what),
            1 | 2 => (4, HEX),
            3 => (6, SAFE_BASE64),
            4 => (7, &[]),
            _ => {
                return Err(CompressError::BadEncoding {
                    what: what(),
                    indicator: enc,
                })
            }
        };
        let mut s = String::with_capacity(n);
        for _ in 0..n {
            let i = self.uint(bits, what)?;
            let b = alphabet.get(i).copied().unwrap_or(i as u8);
            s.push(char::from(if enc == 1 {
                b.to_ascii_lowercase()
            } else {
                b
            }));
        }
        Ok(s)
    }
}

/// A bitstream being encoded.
#[derive(Default)]
pub(super) struct Writer {
    bits: Vec<bool>,
}

pub(super) fn uncompressible(what: &str, reason: impl Into<String>) -> CompressError {
    CompressError::Uncompressible {
        what: what.into(),
        reason: reason.into(),
    }
}

impl Writer {
    pub(super) fn uint(&mut self, v: usize, width: usize, what: &str) -> Result<(), CompressError> {
        if width < usize::BITS as usize && v >> width != 0 {
            return Err(uncompressible(
                what,
                format!("{v} does not fit in {width} bits"),
            ));
        }
        self.bits
            .extend((0..width).rev().map(|i| (v >> i) & 1 == 1));
        Ok(())
    }

    pub(super) fn number(&mut self, digits: &str, what: &str) -> Result<(), CompressError> {
        let bits = decimal_to_bits(digits, value_bits(digits.len()))
            .ok_or_else(|| uncompressible(what, format!("{digits:?} is not all digits")))?;
        self.bits.extend(bits);
        Ok(())
    }

    /// An alphanumeric component: encoding indicator, length prefix (if `len_bits` is set)
    /// and characters (the reference's `determineEncoding` and `handleEncodings`).
    pub(super) fn chars(
        &mut self,
        s: &str,
        len_bits: Option<usize>,
        what: &str,
    ) -> Result<(), CompressError> {
        let all = |f: fn(&u8) -> bool| !s.is_empty() && s.bytes().all(|b| f(&b));
        let enc = if all(u8::is_ascii_digit) {
            0
        } else if all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b)) {
            2
        } else if all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)) {
            1
        } else if all(|b| SAFE_BASE64.contains(b)) {
            3
        } else {
            4
        };
        self.uint(enc, 3, what)?;
        if let Some(w) = len_bits {
            self.uint(s.chars().count(), w, what)?;
        }
        if enc == 0 {
            return self.number(s, what);
        }
        let (bits, alphabet): (usize, &[u8]) = match enc {
            1 | 2 => (4, HEX),
            3 => (6, SAFE_BASE64),
            _ => (7, &[]),
        };
        for ch in s.chars() {
            let b = u8::try_from(ch)
                .ok()
                .filter(u8::is_ascii)
                .ok_or_else(|| uncompressible(what, format!("{ch:?} is not ASCII")))?;
            let upper = b.to_ascii_uppercase();
            let i = match alphabet
                .iter()
                .position(|&a| a == b || (bits == 4 && a == upper))
            {
                Some(i) => i,
                None => usize::from(b),
            };
            self.uint(i, bits, what)?;
        }
        Ok(())
    }

    pub(super) fn to_base64(&self) -> String {
        bits_to_base64(&self.bits)
    }
}
