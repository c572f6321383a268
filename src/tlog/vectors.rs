//! Offline checking of proof files in the JSON shape of the public RFC 6962 test vectors
//! of transparency-dev/merkle (`testdata/inclusion/*.json` and
//! `testdata/consistency/*.json`), verified with `proof.rs` (RFC 9162 §2.1.3.2 and
//! §2.1.4.2), and writing such files from a [`Tree`].
//!
//! Inclusion: `{"leafIdx": u64, "treeSize": u64, "root": b64, "leafHash": b64,
//! "proof": [b64, ..] | null}` (older vector files spell the index `leafIndex`, which is
//! accepted too). Consistency: `{"size1": u64, "size2": u64, "root1": b64, "root2": b64,
//! "proof": [b64, ..] | null}`. Hashes are standard, padded base64 of 32 bytes. Other
//! fields (the vectors' `desc` and `wantErr`) are ignored.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::hash::Hash;
use super::merkle::{ProofError, Tree};
use super::proof::{verify_consistency, verify_inclusion};

/// A parsed proof file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofFile {
    Inclusion {
        leaf_index: u64,
        tree_size: u64,
        root: Hash,
        leaf_hash: Hash,
        proof: Vec<Hash>,
    },
    Consistency {
        size1: u64,
        size2: u64,
        root1: Hash,
        root2: Hash,
        proof: Vec<Hash>,
    },
}

const INCLUSION_FIELDS: [&str; 5] = ["leafIdx", "leafIndex", "treeSize", "root", "leafHash"];
const CONSISTENCY_FIELDS: [&str; 4] = ["size1", "size2", "root1", "root2"];

/// Parses a proof file, deciding its kind by the fields present.
pub fn parse_proof_file(json: &str) -> Result<ProofFile, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(obj) = value else {
        return Err("a proof file must be a JSON object".to_string());
    };
    let has = |fields: &[&str]| fields.iter().any(|f| obj.contains_key(*f));
    match (has(&INCLUSION_FIELDS), has(&CONSISTENCY_FIELDS)) {
        (true, true) => Err(
            "the file has both inclusion fields (leafIdx, treeSize, root, leafHash) and \
             consistency fields (size1, size2, root1, root2)"
                .to_string(),
        ),
        (false, false) => Err(
            "the file has neither inclusion fields (leafIdx, treeSize, root, leafHash) nor \
             consistency fields (size1, size2, root1, root2)"
                .to_string(),
        ),
        (true, false) => {
            let leaf_index = match (obj.contains_key("leafIdx"), obj.contains_key("leafIndex")) {
                (true, true) => return Err("both leafIdx and leafIndex are present".to_string()),
                (false, true) => get_u64(&obj, "leafIndex")?,
                _ => get_u64(&obj, "leafIdx")?,
            };
            Ok(ProofFile::Inclusion {
                leaf_index,
                tree_size: get_u64(&obj, "treeSize")?,
                root: get_hash(&obj, "root")?,
                leaf_hash: get_hash(&obj, "leafHash")?,
                proof: get_proof(&obj)?,
            })
        }
        (false, true) => Ok(ProofFile::Consistency {
            size1: get_u64(&obj, "size1")?,
            size2: get_u64(&obj, "size2")?,
            root1: get_hash(&obj, "root1")?,
            root2: get_hash(&obj, "root2")?,
            proof: get_proof(&obj)?,
        }),
    }
}

/// Parses and verifies a proof file; `Err` says why it is malformed or does not verify.
pub fn check_proof_file(json: &str) -> Result<(), String> {
    parse_proof_file(json)?.verify()
}

impl ProofFile {
    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion(tree: &Tree, index: u64, size: u64) -> Result<ProofFile, ProofError> {
        let proof = tree.inclusion_proof(index, size)?;
        let leaf_hash = tree
            .leaf_hash_at(index)
            .ok_or(ProofError::IndexOutOfRange { index, size })?;
        Ok(ProofFile::Inclusion {
            leaf_index: index,
            tree_size: size,
            root: tree.root_at(size)?,
            leaf_hash,
            proof,
        })
    }

    /// The consistency proof between the trees of the first `size1` and `size2` leaves.
    pub fn consistency(tree: &Tree, size1: u64, size2: u64) -> Result<ProofFile, ProofError> {
        let proof = tree.consistency_proof(size1, size2)?;
        Ok(ProofFile::Consistency {
            size1,
            size2,
            root1: tree.root_at(size1)?,
            root2: tree.root_at(size2)?,
            proof,
        })
    }

    /// Verifies the proof with `proof.rs`.
    pub fn verify(&self) -> Result<(), String> {
        match self {
            ProofFile::Inclusion {
                leaf_index,
                tree_size,
                root,
                leaf_hash,
                proof,
            } => verify_inclusion(leaf_hash, *leaf_index, *tree_size, proof, root).map_err(|e| {
                format!("inclusion proof of leaf {leaf_index} in tree size {tree_size}: {e}")
            }),
            ProofFile::Consistency {
                size1,
                size2,
                root1,
                root2,
                proof,
            } => verify_consistency(*size1, *size2, root1, root2, proof)
                .map_err(|e| format!("consistency proof from size {size1} to size {size2}: {e}")),
        }
    }

    /// The file in the vectors' JSON shape (an empty proof is written as `null`, as the
    /// vectors do).
    pub fn to_json(&self) -> String {
        // Standard base64 needs no JSON escaping.
        let b64 = |h: &Hash| format!("\"{}\"", STANDARD.encode(h));
        let proof_json = |p: &[Hash]| {
            if p.is_empty() {
                "null".to_string()
            } else {
                let items: Vec<String> = p.iter().map(b64).collect();
                format!("[{}]", items.join(","))
            }
        };
        match self {
            ProofFile::Inclusion {
                leaf_index,
                tree_size,
                root,
                leaf_hash,
                proof,
            } => format!(
                "{{\"leafIdx\":{leaf_index},\"treeSize\":{tree_size},\"root\":{},\
                 \"leafHash\":{},\"proof\":{}}}",
                b64(root),
                b64(leaf_hash),
                proof_json(proof)
            ),
            ProofFile::Consistency {
                size1,
                size2,
                root1,
                root2,
                proof,
            } => format!(
                "{{\"size1\":{size1},\"size2\":{size2},\"root1\":{},\"root2\":{},\"proof\":{}}}",
                b64(root1),
                b64(root2),
                proof_json(proof)
            ),
        }
    }
}

fn get_u64(obj: &Map<String, Value>, field: &str) -> Result<u64, String> {
    match obj.get(field) {
        None => Err(format!("missing field {field:?}")),
        Some(v) => v
            .as_u64()
            .ok_or_else(|| format!("field {field:?} must be a non-negative integer, got {v}")),
    }
}

fn decode_hash(s: &str, what: &str) -> Result<Hash, String> {
    let bytes = STANDARD
        .decode(s)
        .map_err(|e| format!("{what} is not valid base64: {e}"))?;
    let len = bytes.len();
    Hash::try_from(bytes).map_err(|_| format!("{what} is {len} bytes, a hash is 32"))
}

fn get_hash(obj: &Map<String, Value>, field: &str) -> Result<Hash, String> {
    match obj.get(field) {
        None => Err(format!("missing field {field:?}")),
        Some(Value::String(s)) => decode_hash(s, &format!("field {field:?}")),
        Some(v) => Err(format!("field {field:?} must be a base64 string, got {v}")),
    }
}

fn get_proof(obj: &Map<String, Value>) -> Result<Vec<Hash>, String> {
    match obj.get("proof") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => decode_hash(s, &format!("proof[{i}]")),
                v => Err(format!("proof[{i}] must be a base64 string, got {v}")),
            })
            .collect(),
        Some(v) => Err(format!("field \"proof\" must be an array or null, got {v}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::hash::leaf_hash;
    use crate::tlog::merkle::tests::{leaves, rfc_leaf_hashes};

    // Contents of transparency-dev/merkle testdata files (path in the comment), with the
    // `desc`/`wantErr` fields left out; `true` = valid.
    const PUBLIC_VECTORS: [(&str, bool); 9] = [
        // testdata/inclusion/1/happy-path.json
        (
            r#"{"leafIdx":0,"treeSize":8,"root":"XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=","leafHash":"bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=","proof":["lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=","Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=","a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ="]}"#,
            true,
        ),
        // testdata/inclusion/1/modified-proof[0]-bit-3.json
        (
            r#"{"leafIdx":0,"treeSize":8,"root":"XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=","leafHash":"bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=","proof":["nqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=","Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=","a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ="]}"#,
            false,
        ),
        // testdata/inclusion/3/happy-path.json
        (
            r#"{"leafIdx":2,"treeSize":3,"root":"rra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=","leafHash":"ApjRIpBtz8EIkstTpzmS/FufST6kybrbJ7eRtBJ6f+c=","proof":["+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU="]}"#,
            true,
        ),
        // testdata/inclusion/0/empty-root.json
        (
            r#"{"leafIdx":0,"treeSize":1,"root":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=","leafHash":"bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=","proof":null}"#,
            false,
        ),
        // testdata/inclusion/1/leafIndex-+-1.json (older spelling of the index field)
        (
            r#"{"leafIndex":1,"treeSize":8,"root":"XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=","leafHash":"bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=","proof":["lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=","Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=","a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ="]}"#,
            false,
        ),
        // testdata/consistency/2/happy-path.json
        (
            r#"{"size1":6,"size2":8,"root1":"duZ9rbzfHhDht03cYIq9L5jfsW+851J3tSMqEn8gh+8=","root2":"XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=","proof":["DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=","yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=","037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="]}"#,
            true,
        ),
        // testdata/consistency/2/modified-proof[1]-bit-4.json
        (
            r#"{"size1":6,"size2":8,"root1":"duZ9rbzfHhDht03cYIq9L5jfsW+851J3tSMqEn8gh+8=","root2":"XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=","proof":["DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=","2oVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=","037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="]}"#,
            false,
        ),
        // testdata/consistency/3/happy-path.json
        (
            r#"{"size1":2,"size2":5,"root1":"+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU=","root2":"Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=","proof":["Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=","vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms="]}"#,
            true,
        ),
        // testdata/consistency/3/wrong-root2.json ("V3JvbmdSb290" is "WrongRoot")
        (
            r#"{"size1":2,"size2":5,"root1":"+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU=","root2":"V3JvbmdSb290","proof":["Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=","vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms="]}"#,
            false,
        ),
    ];

    #[test]
    fn public_vectors() {
        for (json, valid) in PUBLIC_VECTORS {
            let got = check_proof_file(json);
            assert_eq!(got.is_ok(), valid, "{json}: {got:?}");
            if let Err(reason) = got {
                assert!(!reason.is_empty());
            }
        }
    }

    #[test]
    fn public_vectors_equal_our_files() {
        // The happy-path vectors are exactly what our tree over the RFC 6962 test leaves
        // produces.
        let tree = Tree::from_leaf_hashes(rfc_leaf_hashes());
        let ours = [
            ProofFile::inclusion(&tree, 0, 8).unwrap(),
            ProofFile::inclusion(&tree, 2, 3).unwrap(),
            ProofFile::consistency(&tree, 6, 8).unwrap(),
            ProofFile::consistency(&tree, 2, 5).unwrap(),
        ];
        let theirs = [0, 2, 5, 7].map(|i| parse_proof_file(PUBLIC_VECTORS[i].0).unwrap());
        assert_eq!(ours, theirs);
        assert_eq!(ours[0].to_json(), PUBLIC_VECTORS[0].0);
    }

    #[test]
    fn generated_files_round_trip_and_verify() {
        let tree = Tree::from_leaf_hashes(leaves(70));
        for size in 1..=70 {
            for index in [0, size / 2, size - 1] {
                let file = ProofFile::inclusion(&tree, index, size).unwrap();
                let json = file.to_json();
                assert_eq!(parse_proof_file(&json).unwrap(), file);
                check_proof_file(&json).unwrap();
            }
            for size1 in [0, 1, size / 3, size - 1, size] {
                let file = ProofFile::consistency(&tree, size1, size).unwrap();
                let json = file.to_json();
                assert_eq!(parse_proof_file(&json).unwrap(), file);
                check_proof_file(&json).unwrap();
            }
        }
        // The shape: exactly the vectors' fields, proof null when empty.
        let v: Value =
            serde_json::from_str(&ProofFile::inclusion(&tree, 0, 1).unwrap().to_json()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort_unstable();
        assert_eq!(
            keys_sorted,
            ["leafHash", "leafIdx", "proof", "root", "treeSize"]
        );
        assert_eq!(v["proof"], Value::Null);
        let v: Value =
            serde_json::from_str(&ProofFile::consistency(&tree, 3, 9).unwrap().to_json()).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["proof", "root1", "root2", "size1", "size2"]);
        assert!(v["proof"].is_array());
    }

    /// Rewrites one field of a generated file.
    fn with(json: &str, field: &str, value: Value) -> String {
        let mut v: Value = serde_json::from_str(json).unwrap();
        v[field] = value;
        v.to_string()
    }

    fn b64(h: &Hash) -> Value {
        Value::String(STANDARD.encode(h))
    }

    #[test]
    fn tampered_files_fail_with_a_reason() {
        let tree = Tree::from_leaf_hashes(leaves(37));
        let incl = ProofFile::inclusion(&tree, 11, 29).unwrap().to_json();
        let cons = ProofFile::consistency(&tree, 13, 37).unwrap().to_json();
        let ProofFile::Inclusion { proof, .. } = parse_proof_file(&incl).unwrap() else {
            panic!("not inclusion");
        };
        let mut flipped = proof.clone();
        flipped[1][5] ^= 0x10;
        let other = leaf_hash(b"other");
        let bad_incl = [
            with(&incl, "leafIdx", 12.into()),
            with(
                &with(&incl, "treeSize", 30.into()),
                "root",
                b64(&tree.root_at(30).unwrap()),
            ),
            with(&incl, "treeSize", 11.into()),
            with(&incl, "root", b64(&tree.root_at(30).unwrap())),
            with(&incl, "leafHash", b64(&other)),
            with(&incl, "proof", flipped.iter().map(b64).collect()),
            with(&incl, "proof", proof[1..].iter().map(b64).collect()),
            with(
                &incl,
                "proof",
                proof.iter().chain([&other]).map(b64).collect(),
            ),
            with(&incl, "proof", Value::Null),
        ];
        for json in &bad_incl {
            let reason = check_proof_file(json).unwrap_err();
            assert!(reason.starts_with("inclusion proof"), "{reason}");
        }
        let ProofFile::Consistency { proof, .. } = parse_proof_file(&cons).unwrap() else {
            panic!("not consistency");
        };
        let bad_cons = [
            with(
                &with(&cons, "size1", 14.into()),
                "root1",
                b64(&tree.root_at(14).unwrap()),
            ),
            with(
                &with(&cons, "size2", 36.into()),
                "root2",
                b64(&tree.root_at(36).unwrap()),
            ),
            with(&cons, "size1", 38.into()),
            with(&cons, "root1", b64(&tree.root_at(12).unwrap())),
            with(&cons, "root2", b64(&tree.root_at(36).unwrap())),
            with(
                &cons,
                "proof",
                proof[..proof.len() - 1].iter().map(b64).collect(),
            ),
            with(&cons, "proof", Value::Null),
        ];
        for json in &bad_cons {
            let reason = check_proof_file(json).unwrap_err();
            assert!(reason.starts_with("consistency proof"), "{reason}");
        }
    }

    #[test]
    fn malformed_files_are_rejected_clearly() {
        let tree = Tree::from_leaf_hashes(leaves(5));
        let incl = ProofFile::inclusion(&tree, 1, 5).unwrap().to_json();
        let cons = ProofFile::consistency(&tree, 2, 5).unwrap().to_json();
        let cases = [
            ("[]".to_string(), "JSON object"),
            ("{".to_string(), "not valid JSON"),
            (r#"{"desc":"x"}"#.to_string(), "neither"),
            (with(&incl, "size1", 1.into()), "both"),
            (
                with(&incl, "leafIndex", 1.into()),
                "both leafIdx and leafIndex",
            ),
            (with(&incl, "root", "!!!".into()), "not valid base64"),
            (
                with(&incl, "leafHash", "AAAA".into()),
                "is 3 bytes, a hash is 32",
            ),
            (with(&incl, "treeSize", (-1).into()), "non-negative integer"),
            (with(&incl, "treeSize", 1.5.into()), "non-negative integer"),
            (with(&incl, "root", 7.into()), "base64 string"),
            (with(&cons, "proof", "x".into()), "array or null"),
            (
                with(&cons, "proof", vec![Value::from(3)].into()),
                "proof[0]",
            ),
            (
                with(&cons, "root2", Value::String(STANDARD.encode([0u8; 33]))),
                "33 bytes",
            ),
            (
                format!(
                    r#"{{"size1":1,"size2":2,"root1":"{}"}}"#,
                    STANDARD.encode([0u8; 32])
                ),
                "missing field \"root2\"",
            ),
        ];
        for (json, want) in cases {
            let reason = parse_proof_file(&json).unwrap_err();
            assert!(reason.contains(want), "{json}: {reason:?} lacks {want:?}");
            assert_eq!(check_proof_file(&json).unwrap_err(), reason);
        }
    }
}
