//! C2SP signed notes (<https://c2sp.org/signed-note>), with the key encodings of the Go
//! package `golang.org/x/mod/sumdb/note`:
//!
//! * §Format: a text ending in a newline, a blank line, then one or more signature lines
//!   `— <key name> base64(key ID ‖ signature)`; the text is separated from the signatures
//!   by the *last* blank line; UTF-8 without ASCII control characters other than newline;
//!   key names non-empty, without Unicode spaces or `+`.
//! * §Signatures: a signature is ignored unless both its key name and key ID match a known
//!   key; a known key's signature that fails rejects the note; a note with no verified
//!   signature is rejected. Key ID = `SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]`.
//! * §Signature types: `0x01` Ed25519 over the note text ([`ED25519`]), `0x04` the
//!   timestamped Ed25519 cosignatures of c2sp.org/tlog-cosignature ([`COSIGNATURE_V1`],
//!   verified by [`super::cosig`]).
//! * Verifier keys (vkeys): `<name>+<hex8 key ID>+<base64(type ‖ public key)>`; signer keys
//!   (skeys): `PRIVATE+KEY+<name>+<hex8 key ID>+<base64(type ‖ 32-byte Ed25519 seed)>`.
//!
//! Limits: a note of at most [`MAX_NOTE_SIZE`] bytes and [`MAX_SIGNATURES`] signature
//! lines (the spec asks for at least 16; the Go package refuses more than 100).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;

/// Signature type `0x01`: Ed25519 over the note text.
pub const ED25519: u8 = 0x01;
/// Signature type `0x04`: timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature).
pub const COSIGNATURE_V1: u8 = 0x04;
/// The largest note [`Note::parse`] takes, in bytes.
pub const MAX_NOTE_SIZE: usize = 1 << 20;
/// The most signature lines [`Note::parse`] takes.
pub const MAX_SIGNATURES: usize = 100;

const EM_DASH_SPACE: &str = "\u{2014} ";

/// Why a note, a key or a signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note is {size} bytes, more than the {max} accepted")]
    TooLarge { size: usize, max: usize },
    #[error("the note is not valid UTF-8")]
    InvalidUtf8,
    #[error("the note contains the control character U+{code:04X} at byte {offset}")]
    ControlCharacter { code: u32, offset: usize },
    #[error("the note has no blank line before its signatures")]
    NoSignatureBlock,
    #[error("the note has no signature line (or its last line does not end in a newline)")]
    NoSignatures,
    #[error("the note has more than {max} signature lines")]
    TooManySignatures { max: usize },
    #[error("signature line {line}: {reason}")]
    BadSignatureLine { line: usize, reason: &'static str },
    #[error("invalid key name {0:?}: it must be non-empty, without spaces or '+'")]
    InvalidKeyName(String),
    #[error("the note text must end in a newline")]
    TextWithoutNewline,
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(&'static str),
    #[error("malformed signer key: {0}")]
    MalformedSignerKey(&'static str),
    #[error("key ID mismatch: the key says {stated:08x}, its name and key give {computed:08x}")]
    KeyIdMismatch { stated: u32, computed: u32 },
    #[error(
        "unsupported signature type 0x{0:02x} (supported: 0x01 Ed25519, 0x04 Ed25519 cosignature)"
    )]
    UnsupportedKeyType(u8),
    #[error("key of signature type 0x{got:02x} where 0x{expected:02x} is needed")]
    WrongKeyType { expected: u8, got: u8 },
    #[error("more than one known key is {name}+{id:08x}")]
    AmbiguousKey { name: String, id: u32 },
    #[error("invalid signature for key {name}+{id:08x}")]
    InvalidSignature { name: String, id: u32 },
    #[error("no signature of the note verifies against a known key")]
    NoVerifiedSignature,
    #[error("malformed cosignature: {0}")]
    BadCosignature(&'static str),
    #[error("no randomness for a new key: {0}")]
    Random(String),
}

/// The key ID of a key: `SHA-256(name ‖ 0x0A ‖ sig_type ‖ public_key)[:4]`, big-endian.
pub fn key_id(name: &str, sig_type: u8, public_key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', sig_type]);
    h.update(public_key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Whether `name` may name a key: non-empty, without Unicode spaces, `+` or control
/// characters.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c != '+' && !c.is_whitespace() && !c.is_control())
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if is_valid_key_name(name) {
        Ok(())
    } else {
        Err(NoteError::InvalidKeyName(name.to_string()))
    }
}

fn check_type(sig_type: u8) -> Result<(), NoteError> {
    match sig_type {
        ED25519 | COSIGNATURE_V1 => Ok(()),
        t => Err(NoteError::UnsupportedKeyType(t)),
    }
}

/// `<name>+<hex8 key ID>+<base64(type ‖ key)>`, the common part of vkeys and skeys (the
/// key ID in either case, as the Go package reads it).
fn split_key(s: &str) -> Result<(&str, u32, u8, Vec<u8>), &'static str> {
    let (name, rest) = s.split_once('+').ok_or("no key ID")?;
    let (hex, b64) = rest.split_once('+').ok_or("no key material")?;
    if !is_valid_key_name(name) {
        return Err("invalid key name");
    }
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("the key ID is not 8 hex digits");
    }
    let id = u32::from_str_radix(hex, 16).map_err(|_| "the key ID is not 8 hex digits")?;
    let mut raw = B64
        .decode(b64)
        .map_err(|_| "the key material is not base64")?;
    if raw.is_empty() {
        return Err("empty key material");
    }
    let sig_type = raw.remove(0);
    Ok((name, id, sig_type, raw))
}

/// `<name>+<hex8 id>+<base64(sig_type ‖ key)>`.
fn encode_key(name: &str, id: u32, sig_type: u8, key: &[u8]) -> String {
    let mut raw = Vec::with_capacity(1 + key.len());
    raw.push(sig_type);
    raw.extend_from_slice(key);
    let s = format!("{name}+{id:08x}+{}", B64.encode(&raw));
    raw.fill(0);
    s
}

/// A private Ed25519 key with its name and signature type (`0x01` to sign notes, `0x04`
/// to cosign checkpoints). Its `Debug` shows no secret.
#[derive(Clone)]
pub struct Signer {
    name: String,
    key: SigningKey,
    sig_type: u8,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Signer({}+{:08x}, type 0x{:02x})",
            self.name,
            self.key_id(),
            self.sig_type
        )
    }
}

impl Signer {
    /// `key` under `name` for signatures of `sig_type` (`0x01` or `0x04`).
    pub fn new(name: &str, key: SigningKey, sig_type: u8) -> Result<Signer, NoteError> {
        check_name(name)?;
        check_type(sig_type)?;
        Ok(Signer {
            name: name.to_string(),
            key,
            sig_type,
        })
    }

    /// A new random Ed25519 note-signing key (type `0x01`).
    pub fn generate(name: &str) -> Result<Signer, NoteError> {
        Self::generate_with_type(name, ED25519)
    }

    /// A new random Ed25519 key for signatures of `sig_type`.
    pub fn generate_with_type(name: &str, sig_type: u8) -> Result<Signer, NoteError> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| NoteError::Random(e.to_string()))?;
        let key = SigningKey::from_bytes(&seed);
        seed.fill(0);
        Self::new(name, key, sig_type)
    }

    /// Reads `PRIVATE+KEY+<name>+<hex8 key ID>+<base64(type ‖ 32-byte seed)>` (type `0x01`
    /// or `0x04`), checking the key ID against the public key derived from the seed.
    pub fn from_skey(skey: &str) -> Result<Signer, NoteError> {
        let bad = NoteError::MalformedSignerKey;
        let rest = skey
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(bad("it does not start with PRIVATE+KEY+"))?;
        let (name, stated, sig_type, mut seed) = split_key(rest).map_err(bad)?;
        check_type(sig_type)?;
        let key = <[u8; 32]>::try_from(seed.as_slice()).map(|s| SigningKey::from_bytes(&s));
        seed.fill(0);
        let signer = Self::new(
            name,
            key.map_err(|_| bad("an Ed25519 seed is 32 bytes"))?,
            sig_type,
        )?;
        let computed = signer.key_id();
        if computed != stated {
            return Err(NoteError::KeyIdMismatch { stated, computed });
        }
        Ok(signer)
    }

    /// The `PRIVATE+KEY+…` form [`Signer::from_skey`] reads. A secret: keep it so.
    pub fn to_skey(&self) -> String {
        let key = encode_key(
            &self.name,
            self.key_id(),
            self.sig_type,
            self.key.as_bytes(),
        );
        format!("PRIVATE+KEY+{key}")
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn sig_type(&self) -> u8 {
        self.sig_type
    }

    /// The key ID for this key's name and signature type.
    pub fn key_id(&self) -> u32 {
        key_id(
            &self.name,
            self.sig_type,
            self.key.verifying_key().as_bytes(),
        )
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The same key for signatures of another type (e.g. a `0x01` key file used as a
    /// cosigner, as github.com/transparency-dev/formats allows).
    pub fn with_type(&self, sig_type: u8) -> Result<Signer, NoteError> {
        Self::new(&self.name, self.key.clone(), sig_type)
    }

    /// The public key, of this key's signature type.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            id: self.key_id(),
            sig_type: self.sig_type,
            key: self.key.verifying_key(),
        }
    }

    /// An Ed25519 note signature (type `0x01`) of `text`, which must end in a newline. A
    /// cosigning key (`0x04`) refuses: the same key must not make both kinds (a text could
    /// be made to look like a cosigned message); see [`super::cosig::cosign`].
    pub fn sign(&self, text: &str) -> Result<SigLine, NoteError> {
        if self.sig_type != ED25519 {
            let got = self.sig_type;
            return Err(NoteError::WrongKeyType {
                expected: ED25519,
                got,
            });
        }
        if !text.ends_with('\n') {
            return Err(NoteError::TextWithoutNewline);
        }
        Ok(SigLine {
            name: self.name.clone(),
            id: self.key_id(),
            sig: self.key.sign(text.as_bytes()).to_bytes().to_vec(),
        })
    }
}

/// A public key a note may be verified with: `0x01` Ed25519 note signatures, or `0x04`
/// Ed25519 cosignatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    pub name: String,
    pub id: u32,
    pub sig_type: u8,
    pub key: VerifyingKey,
}

impl VerifierKey {
    /// `key` under `name` for `sig_type`, its key ID computed.
    pub fn new(name: &str, sig_type: u8, key: VerifyingKey) -> Result<VerifierKey, NoteError> {
        check_name(name)?;
        check_type(sig_type)?;
        Ok(VerifierKey {
            name: name.to_string(),
            id: key_id(name, sig_type, key.as_bytes()),
            sig_type,
            key,
        })
    }

    /// Reads `<name>+<hex8 key ID>+<base64(type ‖ public key)>`, checking the key ID.
    pub fn parse(vkey: &str) -> Result<VerifierKey, NoteError> {
        let bad = NoteError::MalformedVerifierKey;
        let (name, stated, sig_type, key) = split_key(vkey).map_err(bad)?;
        let computed = key_id(name, sig_type, &key);
        if computed != stated {
            return Err(NoteError::KeyIdMismatch { stated, computed });
        }
        check_type(sig_type)?;
        let key = <[u8; 32]>::try_from(key.as_slice())
            .map_err(|_| bad("an Ed25519 public key is 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| bad("not an Ed25519 public key"))?;
        Ok(VerifierKey {
            name: name.to_string(),
            id: stated,
            sig_type,
            key,
        })
    }

    /// The `<name>+<hex8>+<base64>` form.
    pub fn to_vkey(&self) -> String {
        encode_key(&self.name, self.id, self.sig_type, self.key.as_bytes())
    }

    /// Checks `sig` (the signature bytes after the key ID) over the note `text`.
    pub fn verify(&self, text: &str, sig: &[u8]) -> Result<(), NoteError> {
        match self.sig_type {
            ED25519 => {
                let s = <[u8; 64]>::try_from(sig).map_err(|_| self.invalid())?;
                let s = Signature::from_bytes(&s);
                (self.key.verify_strict(text.as_bytes(), &s)).map_err(|_| self.invalid())
            }
            COSIGNATURE_V1 => verify_cosig(self, text, sig).map(|_| ()),
            t => Err(NoteError::UnsupportedKeyType(t)),
        }
    }

    pub(crate) fn invalid(&self) -> NoteError {
        NoteError::InvalidSignature {
            name: self.name.clone(),
            id: self.id,
        }
    }
}

/// One signature line: key name, key ID and the signature bytes after the ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigLine {
    pub name: String,
    pub id: u32,
    pub sig: Vec<u8>,
}

impl SigLine {
    /// `— <name> base64(id ‖ sig)` and a newline.
    pub fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.sig.len());
        raw.extend_from_slice(&self.id.to_be_bytes());
        raw.extend_from_slice(&self.sig);
        format!("{EM_DASH_SPACE}{} {}\n", self.name, B64.encode(raw))
    }

    /// Reads one signature line, with or without its final newline.
    pub fn parse(line: &str) -> Result<SigLine, NoteError> {
        Self::parse_numbered(line.strip_suffix('\n').unwrap_or(line), 1)
    }

    fn parse_numbered(line: &str, n: usize) -> Result<SigLine, NoteError> {
        let bad = |reason| NoteError::BadSignatureLine { line: n, reason };
        let rest = line
            .strip_prefix(EM_DASH_SPACE)
            .ok_or(bad("it does not start with an em dash and a space"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or(bad("no space after the key name"))?;
        check_name(name)?;
        let raw = B64
            .decode(b64)
            .map_err(|_| bad("the signature is not canonical base64"))?;
        if raw.len() < 5 {
            return Err(bad("the signature is shorter than a key ID and one byte"));
        }
        let (id, sig) = raw.split_at(4);
        Ok(SigLine {
            name: name.to_string(),
            id: u32::from_be_bytes([id[0], id[1], id[2], id[3]]),
            sig: sig.to_vec(),
        })
    }
}

/// A signed note: its text (ending in a newline) and its signature lines, verified or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub sigs: Vec<SigLine>,
}

impl Note {
    /// Reads a note from bytes (UTF-8 checked), as [`Note::parse`].
    pub fn from_bytes(msg: &[u8]) -> Result<Note, NoteError> {
        Self::parse(std::str::from_utf8(msg).map_err(|_| NoteError::InvalidUtf8)?)
    }

    /// Reads a signed note (signed-note §Format); verifies nothing (see [`Note::verify`]).
    pub fn parse(msg: &str) -> Result<Note, NoteError> {
        if msg.len() > MAX_NOTE_SIZE {
            return Err(NoteError::TooLarge {
                size: msg.len(),
                max: MAX_NOTE_SIZE,
            });
        }
        if let Some((offset, c)) = msg.char_indices().find(|&(_, c)| c < ' ' && c != '\n') {
            return Err(NoteError::ControlCharacter {
                code: c as u32,
                offset,
            });
        }
        let split = msg.rfind("\n\n").ok_or(NoteError::NoSignatureBlock)?;
        let (text, block) = (&msg[..split + 1], &msg[split + 2..]);
        let Some(block) = block.strip_suffix('\n') else {
            return Err(NoteError::NoSignatures);
        };
        let mut sigs = Vec::new();
        for (i, line) in block.split('\n').enumerate() {
            if i >= MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures {
                    max: MAX_SIGNATURES,
                });
            }
            sigs.push(SigLine::parse_numbered(line, i + 1)?);
        }
        Ok(Note {
            text: text.to_string(),
            sigs,
        })
    }

    /// Verifies the signatures of the known keys (signed-note §Signatures): a signature is
    /// looked at only when both its name and key ID match a known key; every such signature
    /// must verify; at least one must. Gives the keys that verified, each once.
    pub fn verify(&self, known: &[VerifierKey]) -> Result<Vec<VerifierKey>, NoteError> {
        let mut verified: Vec<VerifierKey> = Vec::new();
        for sig in &self.sigs {
            let mut matching = known
                .iter()
                .filter(|k| k.name == sig.name && k.id == sig.id);
            let Some(key) = matching.next() else {
                continue;
            };
            if matching.any(|other| other != key) {
                return Err(NoteError::AmbiguousKey {
                    name: sig.name.clone(),
                    id: sig.id,
                });
            }
            key.verify(&self.text, &sig.sig)?;
            if !verified.contains(key) {
                verified.push(key.clone());
            }
        }
        if verified.is_empty() {
            return Err(NoteError::NoVerifiedSignature);
        }
        Ok(verified)
    }
}

/// The text, a blank line, and the signature lines.
impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for s in &self.sigs {
            f.write_str(&s.to_line())?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// C2SP tlog-cosignature, verifying (signing is `super::cosig`)
// ---------------------------------------------------------------------------------------

/// The largest timestamp a cosignature may carry (2^63 − 1).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// The signed message: `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint text.
pub fn cosignature_message(checkpoint_text: &str, timestamp: u64) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(checkpoint_text.as_bytes());
    m
}

/// The timestamp of a `timestamped_signature` (the bytes after the key ID), unverified.
pub fn cosig_timestamp(sig: &[u8]) -> Result<u64, NoteError> {
    if sig.len() != 8 + 64 {
        return Err(NoteError::BadCosignature(
            "an Ed25519 cosignature is 72 bytes after the key ID",
        ));
    }
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&sig[..8]);
    let ts = u64::from_be_bytes(ts);
    if ts > MAX_TIMESTAMP {
        return Err(NoteError::BadCosignature("the timestamp exceeds 2^63 - 1"));
    }
    Ok(ts)
}

/// Verifies the cosignature `sig` (the bytes after the key ID) of `checkpoint_text` by
/// `vk` (a type `0x04` key) and gives its timestamp.
pub fn verify_cosig(vk: &VerifierKey, checkpoint_text: &str, sig: &[u8]) -> Result<u64, NoteError> {
    if vk.sig_type != COSIGNATURE_V1 {
        return Err(NoteError::WrongKeyType {
            expected: COSIGNATURE_V1,
            got: vk.sig_type,
        });
    }
    let ts = cosig_timestamp(sig)?;
    let mut s = [0u8; 64];
    s.copy_from_slice(&sig[8..]);
    vk.key
        .verify_strict(
            &cosignature_message(checkpoint_text, ts),
            &Signature::from_bytes(&s),
        )
        .map_err(|_| vk.invalid())?;
    Ok(ts)
}

#[cfg(test)]
#[path = "note_tests.rs"]
mod tests;
