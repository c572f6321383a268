//! RFC 6962 §2.1 hashing: SHA-256 with one-byte domain separation between leaves
//! (`0x00`) and interior nodes (`0x01`).

use sha2::{Digest, Sha256};

/// A Merkle tree hash (SHA-256).
pub type Hash = [u8; 32];

/// A hash in standard base64 (RFC 4648 §4), as checkpoints, proofs and notes write it.
pub fn b64(h: &Hash) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(h)
}

/// A hash from standard base64; `None` unless it is exactly 32 bytes.
pub fn from_b64(s: &str) -> Option<Hash> {
    use base64::Engine;
    let v = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    v.try_into().ok()
}

/// The root of the empty tree: `SHA-256()` of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// `SHA-256(0x00 ‖ leaf)`.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf);
    h.finalize().into()
}

/// `SHA-256(0x00 ‖ parts…)`: the leaf hash of the concatenation of `parts`, without
/// building it.
pub fn leaf_hash_parts(parts: &[&[u8]]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(h: &Hash) -> String {
        h.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn known_answers() {
        // SHA-256 of the empty string, and of the single byte 0x00 (the empty leaf).
        assert_eq!(
            hex(&empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(
            leaf_hash(b"abcdef"),
            leaf_hash_parts(&[b"ab", b"", b"cdef"])
        );
        assert_ne!(node_hash(&[0; 32], &[1; 32]), node_hash(&[1; 32], &[0; 32]));
    }
}
