//! Tests of the witness logic: every rule of c2sp.org/tlog-witness §add-checkpoint, over a
//! small log whose tree and proofs are computed naively from RFC 6962 §2.1.

/// A small log for the tests: leaves `leaf 0`, `leaf 1`, …, a naive RFC 6962 MTH and
/// consistency proof (§2.1, §2.1.2), and checkpoints signed by its key.
pub(crate) mod test_log {
    use crate::tlog::checkpoint::Checkpoint;
    use crate::tlog::hash::{leaf_hash, Hash};
    // The naive RFC 6962 §2.1 MTH and PROOF of the tree's own tests.
    use crate::tlog::merkle::tests::{naive_mth as mth, naive_proof};
    use crate::tlog::note::{Note, Signer};

    pub const ORIGIN: &str = "example.com/log";

    pub struct TestLog {
        pub signer: Signer,
        pub leaves: Vec<Hash>,
    }

    impl TestLog {
        pub fn new(n: usize, salt: &str) -> TestLog {
            TestLog {
                signer: Signer::generate(ORIGIN).expect("log key"),
                leaves: (0..n)
                    .map(|i| leaf_hash(format!("{salt}{i}").as_bytes()))
                    .collect(),
            }
        }

        pub fn root(&self, size: usize) -> Hash {
            mth(&self.leaves[..size])
        }

        pub fn proof(&self, old: usize, size: usize) -> Vec<Hash> {
            naive_proof(old, &self.leaves[..size])
        }

        pub fn checkpoint(&self, size: usize) -> String {
            let text = Checkpoint::new(ORIGIN, size as u64, self.root(size)).to_text();
            let sig = self.signer.sign(&text).expect("sign");
            Note {
                text,
                sigs: vec![sig],
            }
            .to_string()
        }

        /// The `add-checkpoint` body from `old` to `size` with its proof.
        pub fn request(&self, old: usize, size: usize) -> String {
            request(old as u64, &self.proof(old, size), &self.checkpoint(size))
        }
    }

    pub fn request(old: u64, proof: &[Hash], note: &str) -> String {
        use base64::Engine as _;
        let mut b = format!("old {old}\n");
        for h in proof {
            b.push_str(&base64::engine::general_purpose::STANDARD.encode(h));
            b.push('\n');
        }
        b.push('\n');
        b.push_str(note);
        b
    }
}

use self::test_log::{request, TestLog, ORIGIN};
use super::*;

const NOW: u64 = 1_700_000_000;

fn witness(log: &TestLog) -> Witness {
    let signer = Signer::generate_with_type("witness.example/w1", COSIGNATURE_V1).expect("key");
    Witness::new(signer, vec![log.signer.verifier()], WitnessState::default()).expect("new")
}

/// The answer verifies as a cosignature of the checkpoint by the witness key.
fn assert_cosigned(w: &Witness, note: &str, response: &str) {
    assert!(
        response.starts_with('\u{2014}') && response.ends_with('\n'),
        "{response}"
    );
    let both = Note::parse(&format!("{note}{response}")).expect("note and cosignature");
    assert_eq!(both.verify(&[w.verifier()]), Ok(vec![w.verifier()]));
    let line = super::super::note::SigLine::parse(response).expect("line");
    let ts = super::super::cosig::verify_cosig(&w.verifier(), &both.text, &line.sig);
    assert_eq!(ts, Ok(NOW));
}

fn refusal(w: &mut Witness, body: &str) -> Refusal {
    let before = w.state().clone();
    let r = w.add_checkpoint(body, NOW).expect_err("refused");
    assert_eq!(w.state(), &before, "a refusal changes nothing");
    r
}

#[test]
fn spec_example_request_parses() {
    // The example request body of c2sp.org/tlog-witness §add-checkpoint.
    let body = "old 20852014\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\
        jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n\
        /6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\nexample.com/behind-the-sofa\n20852163\n\
        CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\
        \u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
        \u{2014} example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";
    let req = parse_request(body).expect("spec example");
    assert_eq!(
        (req.old, req.proof.len(), req.note.sigs.len()),
        (20852014, 4, 2)
    );
    assert_eq!(
        Checkpoint::parse(&req.note.text).map(|c| c.size),
        Ok(20852163)
    );
    // This witness does not know that log.
    let mut w = witness(&TestLog::new(1, "leaf "));
    assert_eq!(refusal(&mut w, body).status, 404);
}

#[test]
fn first_checkpoint_then_growth_are_cosigned() {
    let log = TestLog::new(12, "leaf ");
    let mut w = witness(&log);
    let resp = w.add_checkpoint(&log.request(0, 5), NOW).expect("first");
    assert_cosigned(&w, &log.checkpoint(5), &resp);
    assert_eq!(w.state().size_of(ORIGIN), 5);
    assert_eq!(w.state().logs[ORIGIN].root, log.root(5));
    for (old, size) in [(5, 8), (8, 12), (12, 12)] {
        let resp = w
            .add_checkpoint(&log.request(old, size), NOW)
            .expect("grows");
        assert_cosigned(&w, &log.checkpoint(size), &resp);
        assert_eq!(w.state().size_of(ORIGIN), size as u64);
    }
    assert_eq!(
        w.state().logs[ORIGIN].checkpoint,
        Note::parse(&log.checkpoint(12)).expect("n").text
    );
}

#[test]
fn proofs_of_every_size_pair_verify() {
    // The naive proof generator against proof.rs, so the tests below test the witness.
    let log = TestLog::new(17, "leaf ");
    for size in 1..=17 {
        for old in 1..size {
            let p = log.proof(old, size);
            let (r1, r2) = (log.root(old), log.root(size));
            assert!(verify_consistency(old as u64, size as u64, &r1, &r2, &p).is_ok());
        }
    }
}

#[test]
fn stale_old_size_is_409_with_the_size() {
    let log = TestLog::new(8, "leaf ");
    let mut w = witness(&log);
    w.add_checkpoint(&log.request(0, 5), NOW).expect("first");
    for old in [0, 3] {
        let r = refusal(&mut w, &log.request(old, 8));
        assert_eq!(r, Refusal::size(5));
        assert_eq!(
            (r.status, r.content_type, r.body.as_str()),
            (409, TLOG_SIZE, "5\n")
        );
    }
    // A log that never was cosigned: the size is 0.
    let r = refusal(&mut witness(&log), &log.request(5, 8));
    assert_eq!((r.status, r.body.as_str()), (409, "0\n"));
}

#[test]
fn forks_are_refused_and_change_nothing() {
    let log = TestLog::new(12, "leaf ");
    let mut fork = TestLog::new(12, "other ");
    fork.signer = log.signer.clone();
    let mut w = witness(&log);
    w.add_checkpoint(&log.request(0, 5), NOW).expect("first");
    // Same size, another root.
    let r = refusal(&mut w, &request(5, &[], &fork.checkpoint(5)));
    assert_eq!((r.status, r.content_type), (409, TEXT_PLAIN));
    assert!(r.body.contains("fork"), "{}", r.body);
    // A larger tree that does not extend the one cosigned, with its own proof.
    let r = refusal(&mut w, &fork.request(5, 12));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("does not extend"), "{}", r.body);
    // The right tree with a tampered proof, or a proof between equal sizes.
    let mut proof = log.proof(5, 12);
    proof[0][0] ^= 1;
    assert_eq!(
        refusal(&mut w, &request(5, &proof, &log.checkpoint(12))).status,
        422
    );
    let proof = log.proof(3, 5);
    assert_eq!(
        refusal(&mut w, &request(5, &proof, &log.checkpoint(5))).status,
        422
    );
    assert_eq!(w.state().size_of(ORIGIN), 5);
    assert_eq!(w.state().logs[ORIGIN].root, log.root(5));
}

#[test]
fn a_first_proof_must_be_empty_and_an_empty_tree_have_the_empty_root() {
    let log = TestLog::new(4, "leaf ");
    let mut w = witness(&log);
    let proof = log.proof(2, 4);
    assert_eq!(
        refusal(&mut w, &request(0, &proof, &log.checkpoint(4))).status,
        422
    );
    assert!(w.add_checkpoint(&log.request(0, 0), NOW).is_ok());
    let text = Checkpoint::new(ORIGIN, 0, [1; 32]).to_text();
    let note = Note {
        sigs: vec![log.signer.sign(&text).expect("sign")],
        text,
    };
    assert_eq!(
        refusal(&mut w, &request(0, &[], &note.to_string())).status,
        409
    );
}

#[test]
fn unknown_origin_is_404_and_other_keys_403() {
    let log = TestLog::new(5, "leaf ");
    let mut w = witness(&log);
    let stranger = Signer::generate("example.com/stranger").expect("key");
    let text = Checkpoint::new("example.com/stranger", 5, log.root(5)).to_text();
    let note = Note {
        sigs: vec![stranger.sign(&text).expect("sign")],
        text,
    };
    let r = refusal(&mut w, &request(0, &[], &note.to_string()));
    assert_eq!((r.status, r.content_type), (404, TEXT_PLAIN));
    // Signed by another key of the log's name: ignored, so nothing trusted verifies.
    let mut impostor = TestLog::new(5, "leaf ");
    impostor.signer = Signer::generate(ORIGIN).expect("key");
    assert_eq!(refusal(&mut w, &impostor.request(0, 5)).status, 403);
    // The trusted key's ID over a bad signature.
    let mut note = Note::parse(&log.checkpoint(5)).expect("note");
    note.sigs[0].sig[0] ^= 1;
    let r = refusal(&mut w, &request(0, &[], &note.to_string()));
    assert_eq!(r.status, 403);
    assert!(r.body.contains("invalid signature"), "{}", r.body);
    // Signed by a key of another trusted origin: not this origin's key.
    let other = Signer::generate("example.com/other").expect("key");
    let mut w2 = Witness::new(
        Signer::generate_with_type("w", COSIGNATURE_V1).expect("key"),
        vec![log.signer.verifier(), other.verifier()],
        WitnessState::default(),
    )
    .expect("witness");
    let text = Checkpoint::new(ORIGIN, 5, log.root(5)).to_text();
    let mut forged = Note {
        sigs: vec![other.sign(&text).expect("sign")],
        text,
    };
    forged.sigs[0].name = ORIGIN.into();
    assert_eq!(
        refusal(&mut w2, &request(0, &[], &forged.to_string())).status,
        403
    );
    assert_eq!(w2.origins(), vec!["example.com/log", "example.com/other"]);
}

#[test]
fn malformed_requests_are_400() {
    let log = TestLog::new(8, "leaf ");
    let mut w = witness(&log);
    w.add_checkpoint(&log.request(0, 5), NOW).expect("first");
    let r = refusal(&mut w, &request(9, &[], &log.checkpoint(8)));
    assert_eq!(r.status, 400);
    assert!(r.body.contains("larger"), "{}", r.body);
    let cp = log.checkpoint(8);
    let good = log.request(5, 8);
    let too_long = request(5, &vec![[0; 32]; MAX_PROOF_LINES + 1], &cp);
    let cases = [
        String::new(),
        format!("old 05\n\n{cp}"),
        format!("old -5\n\n{cp}"),
        format!("new 5\n\n{cp}"),
        format!("old 5\n{cp}"),
        good.replacen('\n', "\nnot base64!\n", 1),
        too_long,
        good.replace("\n\u{2014}", "\n-"),
        format!("old 0\n\n{}", cp.replacen("\n8\n", "\n08\n", 1)),
        good.trim_end().to_string(),
    ];
    for body in &cases {
        let r = refusal(&mut w, body);
        assert_eq!(
            (r.status, r.content_type),
            (400, TEXT_PLAIN),
            "{body:?}: {}",
            r.body
        );
        assert!(r.body.ends_with('\n') && r.body.len() > 10);
    }
    // 63 proof lines are accepted as a request (and then fail as a proof).
    let max = request(5, &vec![[0; 32]; MAX_PROOF_LINES], &cp);
    assert_eq!(
        parse_request(&max).map(|r| r.proof.len()),
        Ok(MAX_PROOF_LINES)
    );
    assert_eq!(refusal(&mut w, &max).status, 422);
}

#[test]
fn construction_checks_the_keys() {
    let log = TestLog::new(1, "leaf ");
    let plain = Signer::generate("w").expect("key");
    let state = WitnessState::default;
    assert!(Witness::new(plain.clone(), vec![log.signer.verifier()], state()).is_err());
    let cosigner = plain.with_type(COSIGNATURE_V1).expect("retype");
    assert!(Witness::new(cosigner.clone(), vec![], state()).is_err());
    assert!(Witness::new(cosigner.clone(), vec![cosigner.verifier()], state()).is_err());
    let twice = vec![log.signer.verifier(), log.signer.verifier()];
    let w = Witness::new(cosigner, twice, state()).expect("duplicates merge");
    assert_eq!(w.logs().len(), 1);
    assert_eq!(
        VerifierKey::parse(&w.vkey()).map(|k| k.sig_type),
        Ok(COSIGNATURE_V1)
    );
}

#[test]
fn persisted_updates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.json");
    let log = TestLog::new(6, "leaf ");
    let mut w = witness(&log);
    let resp = w
        .add_checkpoint_persisted(&log.request(0, 6), NOW, &path)
        .expect("cosigned");
    assert_cosigned(&w, &log.checkpoint(6), &resp);
    assert_eq!(WitnessState::load(&path).expect("load"), *w.state());
    // A refusal writes nothing; a failed write is a 500 and changes nothing.
    let r = w.add_checkpoint_persisted(&log.request(0, 6), NOW, &path);
    assert_eq!(r.map_err(|r| r.status), Err(409));
    let bad = dir.path().join("no-such-dir").join("state.json");
    let before = w.state().clone();
    let r = w.add_checkpoint_persisted(&log.request(6, 6), NOW, &bad);
    assert_eq!(r.map_err(|r| r.status), Err(500));
    assert_eq!(*w.state(), before);
}
