//! C2SP tlog-cosignature (<https://c2sp.org/tlog-cosignature>), the Ed25519 type only
//! (signature type `0x04`):
//!
//! * §Format: a note signature line whose key ID is
//!   `SHA-256(<name> ‖ "\n" ‖ 0x04 ‖ 32-byte Ed25519 public key)[:4]` and whose signature is
//!   a `timestamped_signature`: the `u64` POSIX timestamp, big-endian, then the 64-byte
//!   Ed25519 signature. The timestamp MUST NOT exceed 2^63 − 1.
//! * §Ed25519 signed message: `cosignature/v1\n`, `time <timestamp>\n` (ASCII decimal), then
//!   the whole checkpoint note text (extension lines included, signature lines not).
//!
//! The message does not commit to the cosigner's name: one key must serve one cosigner.

use super::note::{key_id, SigLine, COSIGNATURE_V1};
// Verifying is part of the note's signature check (`VerifierKey::verify`), so it lives
// there; it is named here too, beside signing.
pub use super::note::{cosig_timestamp, cosignature_message, verify_cosig, MAX_TIMESTAMP};
use ed25519_dalek::{Signer as _, SigningKey};

/// A cosignature of `checkpoint_text` (the note text, ending in a newline) by `key` under
/// `name` at `timestamp` (which must be at most [`MAX_TIMESTAMP`]; verifiers refuse more).
pub fn cosign(key: &SigningKey, name: &str, checkpoint_text: &str, timestamp: u64) -> SigLine {
    let sig = key.sign(&cosignature_message(checkpoint_text, timestamp));
    let mut bytes = Vec::with_capacity(72);
    bytes.extend_from_slice(&timestamp.to_be_bytes());
    bytes.extend_from_slice(&sig.to_bytes());
    SigLine {
        name: name.to_string(),
        id: key_id(name, COSIGNATURE_V1, key.verifying_key().as_bytes()),
        sig: bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::super::note::{Note, NoteError, Signer, ED25519};
    use super::*;

    const CHECKPOINT: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn message_is_the_one_of_the_spec() {
        // c2sp.org/tlog-cosignature §Ed25519 signed message, its example.
        let want = "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n\
                    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        assert_eq!(cosignature_message(CHECKPOINT, 1679315147), want.as_bytes());
    }

    #[test]
    fn spec_example_layout() {
        // The example cosignature of c2sp.org/tlog-cosignature (its key is not published):
        // key ID, then the big-endian timestamp of the example message, then 64 bytes.
        let line = SigLine::parse("\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n")
            .expect("line");
        assert_eq!(line.id, 0x8d66cf3f);
        assert_eq!(cosig_timestamp(&line.sig), Ok(1679315147));
        // github.com/transparency-dev/formats TestCosignatureTimestamp ("works").
        let line = SigLine::parse("\u{2014} w ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==")
            .expect("line");
        assert_eq!(cosig_timestamp(&line.sig), Ok(1727964367));
        // Its "wrong type of signature": a 0x01 signature is too short.
        let line = SigLine::parse("\u{2014} w eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY=")
            .expect("line");
        assert!(cosig_timestamp(&line.sig).is_err());
    }

    #[test]
    fn sign_and_verify() {
        let w = Signer::generate_with_type("witness.example/w1", COSIGNATURE_V1).expect("key");
        let vk = w.verifier();
        let line = cosign(
            w.signing_key(),
            "witness.example/w1",
            CHECKPOINT,
            1679315147,
        );
        assert_eq!(line.id, vk.id);
        assert_eq!(line.sig.len(), 72);
        assert_eq!(verify_cosig(&vk, CHECKPOINT, &line.sig), Ok(1679315147));
        // Through a note, as a log client would.
        let note = Note::parse(&format!("{CHECKPOINT}\n{}", line.to_line())).expect("note");
        assert_eq!(note.verify(std::slice::from_ref(&vk)), Ok(vec![vk.clone()]));

        // Another text, another timestamp, another key, a plain key: refused.
        let other_text = CHECKPOINT.replace("20852163", "20852164");
        assert!(verify_cosig(&vk, &other_text, &line.sig).is_err());
        let mut other_ts = line.sig.clone();
        other_ts[7] ^= 1;
        assert_eq!(
            verify_cosig(&vk, CHECKPOINT, &other_ts),
            Err(NoteError::InvalidSignature {
                name: vk.name.clone(),
                id: vk.id
            })
        );
        let other = Signer::generate_with_type("witness.example/w1", COSIGNATURE_V1)
            .expect("key")
            .verifier();
        assert!(verify_cosig(&other, CHECKPOINT, &line.sig).is_err());
        let plain = w.with_type(ED25519).expect("retype").verifier();
        assert!(matches!(
            verify_cosig(&plain, CHECKPOINT, &line.sig),
            Err(NoteError::WrongKeyType { .. })
        ));
        assert!(verify_cosig(&vk, CHECKPOINT, &line.sig[..71]).is_err());
        // The same bytes are no 0x01 note signature either.
        assert!(plain.verify(CHECKPOINT, &line.sig[8..]).is_err());
    }

    #[test]
    fn timestamps_above_2_63_are_refused() {
        let w = Signer::generate_with_type("w", COSIGNATURE_V1).expect("key");
        let line = cosign(w.signing_key(), "w", CHECKPOINT, MAX_TIMESTAMP + 1);
        assert!(matches!(
            verify_cosig(&w.verifier(), CHECKPOINT, &line.sig),
            Err(NoteError::BadCosignature(_))
        ));
        let line = cosign(w.signing_key(), "w", CHECKPOINT, MAX_TIMESTAMP);
        assert_eq!(
            verify_cosig(&w.verifier(), CHECKPOINT, &line.sig),
            Ok(MAX_TIMESTAMP)
        );
    }
}
