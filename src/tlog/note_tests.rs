//! Tests of the signed-note code against the vectors of golang.org/x/mod/sumdb/note
//! (note_test.go), github.com/transparency-dev/formats and c2sp.org/signed-note.

use super::*;

// The vectors of golang.org/x/mod/sumdb/note (note_test.go: TestNewVerifier, TestSign,
// TestOpen).
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter() -> VerifierKey {
    VerifierKey::parse(PETER_VKEY).expect("peter vkey")
}

fn enoch() -> VerifierKey {
    VerifierKey::parse(ENOCH_VKEY).expect("enoch vkey")
}

#[test]
fn go_vector_sign_matches() {
    let signer = Signer::from_skey(PETER_SKEY).expect("skey");
    assert_eq!(signer.verifier().to_vkey(), PETER_VKEY);
    assert_eq!(signer.key_id(), 0xc74f20a3);
    assert_eq!(signer.to_skey(), PETER_SKEY);
    let line = signer.sign(TEXT).expect("sign");
    assert_eq!(line.to_line(), PETER_SIG);
    let note = Note {
        text: TEXT.into(),
        sigs: vec![line],
    };
    assert_eq!(note.to_string(), format!("{TEXT}\n{PETER_SIG}"));
    assert_eq!(
        signer.sign("no newline"),
        Err(NoteError::TextWithoutNewline)
    );
}

#[test]
fn go_vector_open() {
    let msg = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    let n = Note::parse(&msg).expect("parse");
    assert_eq!(n.text, TEXT);
    assert_eq!(n.sigs.len(), 2);
    assert_eq!(
        (n.sigs[1].name.as_str(), n.sigs[1].id),
        ("EnochRoot", 0xaf0cfe78)
    );
    assert_eq!(n.to_string(), msg);
    assert_eq!(n.verify(&[peter()]), Ok(vec![peter()]));
    assert_eq!(n.verify(&[enoch(), peter()]), Ok(vec![peter(), enoch()]));
    assert_eq!(n.verify(&[]), Err(NoteError::NoVerifiedSignature));
    // The same key twice is not ambiguous; two keys of one name and ID are.
    assert!(n.verify(&[peter(), peter()]).is_ok());
    let mut twin = enoch();
    twin.name = "PeterNeumann".into();
    twin.id = 0xc74f20a3;
    assert!(matches!(
        n.verify(&[peter(), twin]),
        Err(NoteError::AmbiguousKey { .. })
    ));
    // A corrupted signature of a known key rejects the note (Go: "ABCD" spliced in).
    let bad = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    let n = Note::parse(&bad).expect("parse");
    assert_eq!(
        n.verify(&[peter()]),
        Err(NoteError::InvalidSignature {
            name: "PeterNeumann".into(),
            id: 0xc74f20a3
        })
    );
    // ... but not when the key is unknown; then nothing verifies.
    assert_eq!(n.verify(&[enoch()]), Err(NoteError::NoVerifiedSignature));
}

#[test]
fn unknown_name_or_id_is_ignored() {
    let n = Note::parse(&format!("{TEXT}\n{PETER_SIG}")).expect("parse");
    let mut other_name = peter();
    other_name.name = "PeterNeuman".into();
    let mut other_id = peter();
    other_id.id ^= 1;
    assert_eq!(
        n.verify(&[other_name, other_id]),
        Err(NoteError::NoVerifiedSignature)
    );
}

#[test]
fn go_malformed_notes_are_refused() {
    let bad_name = "\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
    let cases = [
        TEXT.to_string(),
        format!("{TEXT}\n"),
        format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
        format!("\x01{TEXT}\n{PETER_SIG}"),
        format!("{TEXT}\n{bad_name}"),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
    ];
    for msg in &cases {
        assert!(Note::parse(msg).is_err(), "accepted {msg:?}");
    }
    assert_eq!(
        Note::from_bytes(format!("\u{ff}{TEXT}\n{PETER_SIG}").as_bytes())
            .map(|_| ())
            .and(Note::from_bytes(b"\xff\n\n")),
        Err(NoteError::InvalidUtf8)
    );
}

#[test]
fn malformed_notes_say_why() {
    let sig = PETER_SIG;
    assert_eq!(
        Note::parse(&format!("{TEXT}{sig}")),
        Err(NoteError::NoSignatureBlock)
    );
    assert_eq!(
        Note::parse(&format!("a\rb\n\n{sig}")),
        Err(NoteError::ControlCharacter {
            code: 13,
            offset: 1
        })
    );
    assert!(matches!(
        Note::parse(&format!("a\tb\n\n{sig}")),
        Err(NoteError::ControlCharacter { code: 9, .. })
    ));
    let plus = sig.replace("PeterNeumann", "Peter+Neumann");
    assert_eq!(
        Note::parse(&format!("{TEXT}\n{plus}")),
        Err(NoteError::InvalidKeyName("Peter+Neumann".into()))
    );
    for b64 in ["x08go/ZJ!", "x08go/ZJkuBS9UG=", "", "AAAA"] {
        let line = format!("\u{2014} PeterNeumann {b64}\n");
        assert!(
            matches!(
                Note::parse(&format!("{TEXT}\n{line}")),
                Err(NoteError::BadSignatureLine { line: 1, .. })
            ),
            "{b64:?}"
        );
    }
    let no_dash = sig.replacen('\u{2014}', "-", 1);
    assert!(matches!(
        Note::parse(&format!("{TEXT}\n{PETER_SIG}{no_dash}")),
        Err(NoteError::BadSignatureLine { line: 2, .. })
    ));
    let huge = format!("{}\n\n{sig}", "a".repeat(MAX_NOTE_SIZE));
    assert!(matches!(
        Note::parse(&huge),
        Err(NoteError::TooLarge { .. })
    ));
}

#[test]
fn signature_count_limit() {
    let sixteen = format!("{TEXT}\n{}", PETER_SIG.repeat(16));
    let n = Note::parse(&sixteen).expect("16 signatures are accepted");
    assert_eq!(n.sigs.len(), 16);
    assert_eq!(n.verify(&[peter()]), Ok(vec![peter()]));
    assert!(Note::parse(&format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES))).is_ok());
    assert_eq!(
        Note::parse(&format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES + 1))),
        Err(NoteError::TooManySignatures {
            max: MAX_SIGNATURES
        })
    );
}

#[test]
fn text_is_split_at_the_last_blank_line() {
    // The example of c2sp.org/signed-note (its key is not published: parse only).
    let spec = "Ognuno sta solo sul cuor della terra\n\
                trafitto da un raggio di sole:\n\
                \n\
                ed è subito sera.\n\
                \n\
                \u{2014} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
    let n = Note::parse(spec).expect("spec example");
    assert_eq!(
        n.text,
        "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
    );
    assert_eq!(n.sigs.len(), 1);
    assert_eq!(n.sigs[0].name, "quasimodo.example/salvatore");
    assert_eq!(n.sigs[0].id, 0x367ba04b);
    assert_eq!(n.sigs[0].sig.len(), 64);
    assert_eq!(n.to_string(), spec);
}

#[test]
fn vkey_manglings_are_refused() {
    // As TestNewVerifier: every proper substring and every byte incremented.
    assert_eq!(peter().to_vkey(), PETER_VKEY);
    let b = PETER_VKEY.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i != 0 || j != b.len() {
                let s = &PETER_VKEY[i..j];
                assert!(VerifierKey::parse(s).is_err(), "accepted {s:?}");
            }
        }
    }
    for i in 0..b.len() {
        let mut m = b.to_vec();
        m[i] += 1;
        let s = String::from_utf8(m).expect("ascii");
        assert!(VerifierKey::parse(&s).is_err(), "accepted {s:?}");
    }
    // Go: a wrong-length key and an unknown algorithm, each with a matching key hash.
    for k in [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ] {
        assert!(VerifierKey::parse(k).is_err(), "accepted {k}");
    }
    assert_eq!(
        VerifierKey::parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(NoteError::UnsupportedKeyType(0x65))
    );
}

#[test]
fn skey_manglings_are_refused() {
    let b = PETER_SKEY.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i != 0 || j != b.len() {
                let s = &PETER_SKEY[i..j];
                assert!(Signer::from_skey(s).is_err(), "accepted {s:?}");
            }
        }
    }
    for i in 0..b.len() {
        let mut m = b.to_vec();
        m[i] += 1;
        let s = String::from_utf8(m).expect("ascii");
        assert!(Signer::from_skey(&s).is_err(), "accepted {s:?}");
    }
}

#[test]
fn cosignature_vkeys_of_transparency_dev() {
    // github.com/transparency-dev/formats note_cosigv1_test.go, TestCoSigV1NewVerifier:
    // a native 0x04 key, and a 0x01 one.
    let v =
        VerifierKey::parse("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
            .expect("0x04 vkey");
    assert_eq!((v.sig_type, v.id), (COSIGNATURE_V1, 0xda77ade7));
    let v = VerifierKey::parse("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")
        .expect("0x01 vkey");
    assert_eq!((v.sig_type, v.name.as_str()), (ED25519, "TEST"));
    assert!(VerifierKey::parse("rekor.sigstore.dev+12345678+AwEB").is_err());
}

#[test]
fn generated_keys_round_trip() {
    for t in [ED25519, COSIGNATURE_V1] {
        let s = Signer::generate_with_type("example.com/w1", t).expect("generate");
        let again = Signer::from_skey(&s.to_skey()).expect("skey");
        assert_eq!(again.verifier(), s.verifier());
        assert_eq!(again.sig_type(), t);
        let v = VerifierKey::parse(&s.verifier().to_vkey()).expect("vkey");
        assert_eq!(v, s.verifier());
        assert_eq!(v.id, key_id("example.com/w1", t, v.key.as_bytes()));
        assert!(!format!("{s:?}").contains(&s.to_skey()[30..]));
    }
    let s = Signer::generate("EnochRoot").expect("generate");
    let n = Note {
        text: TEXT.into(),
        sigs: vec![s.sign(TEXT).expect("sign")],
    };
    let parsed = Note::parse(&n.to_string()).expect("parse");
    assert_eq!(parsed, n);
    assert_eq!(parsed.verify(&[s.verifier()]), Ok(vec![s.verifier()]));
    // Another text, or another key of the same name, does not verify.
    let other = Note {
        text: "other\n".into(),
        ..n.clone()
    };
    assert!(other.verify(&[s.verifier()]).is_err());
    assert!(Signer::generate("a b").is_err() && Signer::generate("").is_err());
}

#[test]
fn cosigner_keys_verify_cosignatures_in_notes() {
    let w = Signer::generate_with_type("witness.example/w1", COSIGNATURE_V1).expect("key");
    let text = "example.com/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    assert!(matches!(w.sign(text), Err(NoteError::WrongKeyType { .. })));
    let n = Note {
        text: text.into(),
        sigs: vec![crate::tlog::cosig::cosign(
            w.signing_key(),
            w.name(),
            text,
            1_700_000_000,
        )],
    };
    let n = Note::parse(&n.to_string()).expect("parse");
    assert_eq!(n.verify(&[w.verifier()]), Ok(vec![w.verifier()]));
    // The same key as a 0x01 key has another ID: ignored.
    let plain = w.with_type(ED25519).expect("retype").verifier();
    assert_eq!(n.verify(&[plain]), Err(NoteError::NoVerifiedSignature));
}
