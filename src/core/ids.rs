//! Public ids: opaque, keyed, and unrelated to each other.
//!
//! Inside boardtrail every record has a dense `u32` id (its position in the graph). Outside,
//! a record is named `{prefix}_{26 base32 characters}`: the 16-byte block
//! `kind ‖ id (u32 BE) ‖ 11 zero bytes`, enciphered with AES-128 under a key kept in the
//! store (see `Store::id_key` in the store module). AES is a keyed pseudorandom permutation, so
//! two records created back to back get unrelated ids, and an id reveals neither how many
//! records exist, nor when it was made, nor (without the prefix the caller was given) its
//! kind. Decoding deciphers the block and checks the kind byte against the prefix and the
//! eleven zero bytes, so a made-up or altered id is refused with probability 1 - 2^-88:
//! no index is needed, and guessing ids is hopeless.
//!
//! The kind byte inside the block means a lot's id with its prefix changed to `bat_` is
//! not a batch id: it simply does not decode, exactly like an id that never existed.

use crate::core::domain::{Id, Kind, NodeId, NodeKind};
use aes::cipher::{generic_array::GenericArray, BlockDecrypt, BlockEncrypt, KeyInit};
use aes::Aes128;
use data_encoding::{Encoding, Specification};

/// Length of the base32 part of a public id (16 bytes, no padding).
pub const ID_CHARS: usize = 26;

/// A public id held inline: a prefix of at most 4 characters, `_`, and [`ID_CHARS`].
pub type PublicId = arrayvec::ArrayString<31>;

/// Formats and parses public ids under one store's key.
#[derive(Clone)]
pub struct IdCodec {
    cipher: Aes128,
    /// Unit serials, under a key of their own derived from the same secret.
    serials: crate::core::serials::SerialCodec,
    /// RFC 4648 base32, lowercase, no padding (ids are formatted on every read: no
    /// intermediate strings).
    base32: Encoding,
}

/// The block a public id enciphers: `kind ‖ id (u32 BE) ‖ 11 zero bytes`.
fn plain_block(kind: NodeKind, id: NodeId) -> aes::Block {
    let mut block = [0u8; 16];
    block[0] = kind as u8;
    block[1..5].copy_from_slice(&id.to_be_bytes());
    GenericArray::from(block)
}

/// `{prefix}_{code}`, inline.
fn public_id(kind: NodeKind, code: &[u8; ID_CHARS]) -> PublicId {
    let mut out = PublicId::new();
    // A prefix is at most 4 ASCII characters, so the id (at most 31 bytes) always fits;
    // the base32 alphabet is ASCII too.
    let _ = out.try_push_str(kind.prefix());
    let _ = out.try_push('_');
    let _ = out.try_push_str(std::str::from_utf8(code).unwrap_or_default());
    out
}

fn lower_base32() -> Encoding {
    let mut spec = Specification::new();
    spec.symbols.push_str("abcdefghijklmnopqrstuvwxyz234567");
    spec.encoding()
        .unwrap_or_else(|_| data_encoding::BASE32_NOPAD.clone())
}

impl std::fmt::Debug for IdCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdCodec(..)")
    }
}

impl IdCodec {
    /// A codec keyed by a store's 32-byte id secret (the AES key is derived from it, so the
    /// secret itself is never used for two purposes).
    pub fn new(secret: &[u8; 32]) -> IdCodec {
        IdCodec::derived("boardtrail 2026-12 public record ids v1", secret)
    }

    /// A codec whose AES key is derived from `secret` under `context` (a blake3
    /// `derive_key` context: one per purpose, so that two purposes never share a key).
    pub fn derived(context: &str, secret: &[u8; 32]) -> IdCodec {
        let derived = blake3::derive_key(context, secret);
        let cipher = Aes128::new(GenericArray::from_slice(&derived[..16]));
        IdCodec {
            cipher,
            serials: crate::core::serials::SerialCodec::new(secret),
            base32: lower_base32(),
        }
    }

    /// The 26 base32 characters naming record `id` of `kind` (the public id without its
    /// prefix).
    pub fn code(&self, kind: NodeKind, id: NodeId) -> [u8; ID_CHARS] {
        let mut b = plain_block(kind, id);
        self.cipher.encrypt_block(&mut b);
        self.base32_of(&b)
    }

    fn base32_of(&self, block: &aes::Block) -> [u8; ID_CHARS] {
        let mut code = [0u8; ID_CHARS];
        self.base32.encode_mut(block, &mut code);
        code
    }

    /// The public id of record `id` of `kind`.
    pub fn format(&self, kind: NodeKind, id: NodeId) -> String {
        self.with_formatted(kind, id, str::to_string)
    }

    /// Calls `f` with the public id of record `id` of `kind`, formatted on the stack.
    pub fn with_formatted<T>(&self, kind: NodeKind, id: NodeId, f: impl FnOnce(&str) -> T) -> T {
        f(&self.public(kind, id))
    }

    /// The public id of record `id` of `kind`, kept inline (no allocation; views copy it
    /// to every node, edge and supplier that names it).
    pub fn public(&self, kind: NodeKind, id: NodeId) -> PublicId {
        public_id(kind, &self.code(kind, id))
    }

    /// The public ids of many records at once, appended to `out`: their blocks are
    /// enciphered together, which AES-NI pipelines (one block's rounds wait on each other;
    /// a batch's overlap).
    pub fn public_many(&self, items: &[(NodeKind, NodeId)], out: &mut Vec<PublicId>) {
        let mut blocks: Vec<aes::Block> = items
            .iter()
            .map(|&(kind, id)| plain_block(kind, id))
            .collect();
        self.cipher.encrypt_blocks(&mut blocks);
        out.extend(
            items
                .iter()
                .zip(&blocks)
                .map(|(&(kind, _), b)| public_id(kind, &self.base32_of(b))),
        );
    }

    /// The public id of a typed id: its kind comes from its type.
    pub fn id<K: Kind>(&self, id: Id<K>) -> String {
        self.format(K::KIND, id.raw())
    }

    /// The typed id a public id names, if it is a `K` this codec made.
    pub fn parse_id<K: Kind>(&self, s: &str) -> Option<Id<K>> {
        self.parse_kind(s, K::KIND).map(Id::new)
    }

    /// The kind and dense id that 26 lowercase base32 characters name, if this codec made
    /// them (see [`IdCodec::code`]).
    pub fn parse_code(&self, code: &[u8]) -> Option<(NodeKind, NodeId)> {
        if code.len() != ID_CHARS || !code.iter().all(|c| matches!(c, b'a'..=b'z' | b'2'..=b'7')) {
            return None;
        }
        let mut block = [0u8; 16];
        if self.base32.decode_len(ID_CHARS).ok()? != 16 {
            return None;
        }
        // Strict decoding: the two bits past the 128 must be zero, so one block has
        // exactly one spelling.
        self.base32.decode_mut(code, &mut block).ok()?;
        let mut b = GenericArray::from(block);
        self.cipher.decrypt_block(&mut b);
        if b[5..].iter().any(|&x| x != 0) {
            return None;
        }
        let kind = NodeKind::ALL.into_iter().find(|k| *k as u8 == b[0])?;
        let id = NodeId::from_be_bytes([b[1], b[2], b[3], b[4]]);
        Some((kind, id))
    }

    /// The kind and dense id a public id names, if it is one this codec made. Whether the
    /// record exists is the store's business.
    pub fn parse(&self, s: &str) -> Option<(NodeKind, NodeId)> {
        let (prefix, code) = s.split_once('_')?;
        let kind = NodeKind::from_prefix(prefix)?;
        match self.parse_code(code.as_bytes()) {
            Some((k, id)) if k == kind => Some((kind, id)),
            _ => None,
        }
    }

    /// The serial (GS1 AI 21) of unit `n` (0-based) of batch `batch`: see
    /// [`crate::core::serials`].
    pub fn serial(&self, batch: NodeId, n: u32) -> String {
        self.serials.serial(batch, n)
    }

    /// [`IdCodec::serial`], held inline.
    pub fn serial_inline(&self, batch: NodeId, n: u32) -> crate::core::serials::Serial {
        self.serials.serial_inline(batch, n)
    }

    /// The batch and unit index a serial names, if this store made it (whether they exist
    /// is the world's business).
    pub fn parse_serial(&self, serial: &str) -> Option<(NodeId, u32)> {
        self.serials.parse(serial)
    }

    /// The dense id of a public id of kind `want`; `None` for anything else.
    pub fn parse_kind(&self, s: &str, want: NodeKind) -> Option<NodeId> {
        match self.parse(s) {
            Some((k, id)) if k == want => Some(id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(seed: u8) -> IdCodec {
        IdCodec::new(&[seed; 32])
    }

    #[test]
    fn inline_ids_and_serials_are_the_formatted_ones() {
        let c = codec(3);
        for kind in NodeKind::ALL {
            for id in [0, 7, 65_536, u32::MAX] {
                let inline = c.public(kind, id);
                assert_eq!(inline.as_str(), c.format(kind, id));
                assert_eq!(c.parse(&inline), Some((kind, id)));
            }
        }
        for (batch, n) in [(0, 0), (12, 3), (u32::MAX, u32::MAX)] {
            let s = c.serial_inline(batch, n);
            assert_eq!(s.len(), crate::core::serials::SERIAL_CHARS);
            assert_eq!(s.as_str(), c.serial(batch, n));
            assert_eq!(c.parse_serial(&s), Some((batch, n)));
        }
    }

    #[test]
    fn round_trip_every_kind() {
        let c = codec(7);
        for kind in NodeKind::ALL {
            for id in [0, 1, 2, 1000, u32::MAX] {
                let s = c.format(kind, id);
                assert!(s.starts_with(&format!("{}_", kind.prefix())), "{s}");
                assert_eq!(s.len(), kind.prefix().len() + 1 + ID_CHARS);
                assert_eq!(c.parse(&s), Some((kind, id)), "{s}");
                assert_eq!(c.parse_kind(&s, kind), Some(id));
            }
        }
    }

    #[test]
    fn neighbours_are_unrelated() {
        let c = codec(1);
        let a = c.format(NodeKind::Lot, 41);
        let b = c.format(NodeKind::Lot, 42);
        let common = a
            .bytes()
            .zip(b.bytes())
            .skip(4)
            .filter(|(x, y)| x == y)
            .count();
        // 26 random base32 characters agree in ~0.8 positions on average.
        assert!(common < 8, "{a} vs {b}");
    }

    #[test]
    fn another_key_another_id() {
        let s = codec(1).format(NodeKind::Batch, 5);
        assert_ne!(s, codec(2).format(NodeKind::Batch, 5));
        assert_eq!(codec(2).parse(&s), None);
    }

    #[test]
    fn changed_prefix_character_or_case_is_refused() {
        let c = codec(3);
        let s = c.format(NodeKind::Lot, 9);
        let as_batch = s.replacen("lot_", "bat_", 1);
        assert_eq!(c.parse(&as_batch), None);
        assert_eq!(c.parse(&s.to_ascii_uppercase()), None);
        let mut chars: Vec<char> = s.chars().collect();
        let last = chars.len() - 1;
        chars[last] = if chars[last] == 'a' { 'b' } else { 'a' };
        let altered: String = chars.into_iter().collect();
        assert_eq!(c.parse(&altered), None);
        for bad in [
            "",
            "lot_",
            "lot_1",
            "lot_00000000000000000000000000",
            "x_y",
            "lot",
        ] {
            assert_eq!(c.parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn random_strings_do_not_decode() {
        let c = codec(4);
        let mut hits = 0;
        for i in 0u32..20_000 {
            let h = blake3::hash(&i.to_le_bytes());
            let s = format!(
                "lot_{}",
                data_encoding::BASE32_NOPAD
                    .encode(&h.as_bytes()[..16])
                    .to_ascii_lowercase()
            );
            if c.parse(&s).is_some() {
                hits += 1;
            }
        }
        assert_eq!(hits, 0);
    }
}
