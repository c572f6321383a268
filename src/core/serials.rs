//! Unit serials (GS1 AI 21) that cannot be guessed from each other and are unique by
//! construction.
//!
//! The serial of unit `n` of batch `b` is the 8-byte block `b (u32 BE) ‖ n (u32 BE)`
//! enciphered with Blowfish (a 64-bit block cipher, RustCrypto's `blowfish`) under a key
//! derived from the store's id secret, written as 13 characters of RFC 4648 base32
//! (`A`–`Z`, `2`–`7`: inside GS1's AI character set 82, well under AI 21's 20 characters).
//! A block cipher is a keyed permutation, so:
//! - two units never share a serial (distinct blocks encipher to distinct blocks), across
//!   batches and so across every GTIN;
//! - without the key one unit's serial says nothing about any other's, and a made-up serial
//!   names a unit of a given batch with probability `units / 2^64` (GS1 recommends random,
//!   non-sequential serials for exactly this);
//! - resolving a serial is deciphering it: no index.
//!
//! Every node of a shared log derives the same key from the same store secret.

use crate::core::domain::NodeId;
use blowfish::cipher::{generic_array::GenericArray, BlockDecrypt, BlockEncrypt, KeyInit};
use blowfish::Blowfish;

/// Length of a serial.
pub const SERIAL_CHARS: usize = 13;

/// A serial held inline.
pub type Serial = arrayvec::ArrayString<SERIAL_CHARS>;

#[derive(Clone)]
pub struct SerialCodec {
    cipher: Blowfish,
}

impl std::fmt::Debug for SerialCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SerialCodec(..)")
    }
}

impl SerialCodec {
    /// A codec keyed by a store's 32-byte id secret (through a blake3 key derivation of
    /// its own, so no key serves two purposes).
    pub fn new(secret: &[u8; 32]) -> SerialCodec {
        let key = blake3::derive_key("boardtrail 2026-12 unit serials (GS1 AI 21) v1", secret);
        // Blowfish takes keys of 4 to 56 bytes: 32 always fits.
        let cipher = Blowfish::new_from_slice(&key)
            .unwrap_or_else(|_| Blowfish::new(GenericArray::from_slice(&key[..16])));
        SerialCodec { cipher }
    }

    /// The serial of unit `n` (0-based) of batch `batch`.
    pub fn serial(&self, batch: NodeId, n: u32) -> String {
        self.serial_inline(batch, n).to_string()
    }

    /// [`SerialCodec::serial`], held inline (no allocation).
    pub fn serial_inline(&self, batch: NodeId, n: u32) -> Serial {
        let mut block = [0u8; 8];
        block[..4].copy_from_slice(&batch.to_be_bytes());
        block[4..].copy_from_slice(&n.to_be_bytes());
        let mut b = GenericArray::from(block);
        self.cipher.encrypt_block(&mut b);
        let mut chars = [0u8; SERIAL_CHARS];
        data_encoding::BASE32_NOPAD.encode_mut(&b, &mut chars);
        let mut out = Serial::new();
        // 13 characters of the base32 alphabet: ASCII, and exactly the capacity.
        let _ = out.try_push_str(std::str::from_utf8(&chars).unwrap_or_default());
        out
    }

    /// The batch and unit index a serial names, if this codec made it (upper case; a
    /// lower-case serial is another string and names nothing).
    pub fn parse(&self, serial: &str) -> Option<(NodeId, u32)> {
        if serial.len() != SERIAL_CHARS {
            return None;
        }
        let mut block = [0u8; 8];
        let bytes = data_encoding::BASE32_NOPAD.decode(serial.as_bytes()).ok()?;
        if bytes.len() != 8 {
            return None;
        }
        block.copy_from_slice(&bytes);
        let mut b = GenericArray::from(block);
        self.cipher.decrypt_block(&mut b);
        let batch = NodeId::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let n = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
        Some((batch, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn serials_round_trip_and_are_unique() {
        let c = SerialCodec::new(&[9; 32]);
        let mut seen = HashSet::new();
        for batch in [0, 1, 77, u32::MAX] {
            for n in 0..2000 {
                let s = c.serial(batch, n);
                assert_eq!(s.len(), SERIAL_CHARS);
                assert!(s
                    .chars()
                    .all(|ch| ch.is_ascii_uppercase() || ('2'..='7').contains(&ch)));
                assert_eq!(c.parse(&s), Some((batch, n)), "{s}");
                assert!(seen.insert(s), "unique");
            }
        }
    }

    #[test]
    fn neighbours_are_unrelated_and_keys_differ() {
        let c = SerialCodec::new(&[1; 32]);
        let (a, b) = (c.serial(5, 0), c.serial(5, 1));
        let same = a.bytes().zip(b.bytes()).filter(|(x, y)| x == y).count();
        // 13 random base32 characters agree in ~0.4 positions on average.
        assert!(same < 6, "{a} vs {b}");
        let other = SerialCodec::new(&[2; 32]);
        assert_ne!(other.serial(5, 0), a);
        assert_ne!(other.parse(&a), Some((5, 0)));
    }

    #[test]
    fn malformed_serials_name_nothing() {
        let c = SerialCodec::new(&[3; 32]);
        let s = c.serial(1, 1);
        assert_eq!(c.parse(&s.to_ascii_lowercase()), None);
        assert_eq!(c.parse(&s[..12]), None);
        assert_eq!(c.parse(&format!("{s}A")), None);
        assert_eq!(c.parse("MS-W2603-01-0001"), None);
        // The last character carries one unused bit: only one spelling decodes.
        let mut alt: Vec<u8> = s.clone().into_bytes();
        let last = data_encoding::BASE32_NOPAD
            .specification()
            .symbols
            .as_bytes()
            .iter()
            .position(|&x| x == alt[12])
            .unwrap();
        alt[12] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[last ^ 1];
        assert_eq!(c.parse(std::str::from_utf8(&alt).unwrap()), None);
    }
}
