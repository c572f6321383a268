//! Checking the log's artefacts without the server (`boardtrail proof verify`): a signed
//! checkpoint against the log's and the witnesses' verifier keys, and proof files — as
//! `/log/proof/inclusion` and `/log/proof/consistency` serve them, or in the JSON shape of
//! the RFC 6962 test vectors ([`super::vectors`]).

use super::checkpoint::Checkpoint;
use super::hash::{from_b64, Hash};
use super::note::{Note, VerifierKey, COSIGNATURE_V1, ED25519};
use super::proof::{verify_consistency, verify_inclusion};
use serde_json::Value;

/// A checkpoint whose signatures verified.
#[derive(Debug, Clone)]
pub struct CheckedCheckpoint {
    pub checkpoint: Checkpoint,
    pub cosigned_by: Vec<String>,
}

impl CheckedCheckpoint {
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} at tree size {}, signed by the log",
            self.checkpoint.origin, self.checkpoint.size
        );
        if !self.cosigned_by.is_empty() {
            s.push_str(", cosigned by ");
            s.push_str(&self.cosigned_by.join(", "));
        }
        s
    }
}

/// Checks a signed checkpoint: the log's signature (key `log_vkey`, type 0x01) and a
/// cosignature of every witness key given (type 0x04).
pub fn check_checkpoint(
    text: &str,
    log_vkey: &str,
    witness_vkeys: &[String],
) -> Result<CheckedCheckpoint, String> {
    let log_key = VerifierKey::parse(log_vkey.trim()).map_err(|e| format!("the log key: {e}"))?;
    if log_key.sig_type != ED25519 {
        return Err("the log key is not an Ed25519 note key (type 0x01)".into());
    }
    let mut keys = vec![log_key.clone()];
    for w in witness_vkeys {
        let k = VerifierKey::parse(w.trim()).map_err(|e| format!("witness key {w:?}: {e}"))?;
        if k.sig_type != COSIGNATURE_V1 {
            return Err(format!(
                "witness key {w:?} is not a cosignature key (type 0x04)"
            ));
        }
        keys.push(k);
    }
    let note = Note::parse(text).map_err(|e| e.to_string())?;
    let verified = note.verify(&keys).map_err(|e| e.to_string())?;
    let signed = |k: &VerifierKey| verified.iter().any(|v| v.name == k.name && v.id == k.id);
    if !signed(&log_key) {
        return Err("not signed by the log's key".into());
    }
    let missing: Vec<&str> = keys[1..]
        .iter()
        .filter(|k| !signed(k))
        .map(|k| k.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(format!("no valid cosignature of {}", missing.join(", ")));
    }
    let checkpoint = Checkpoint::parse(&note.text).map_err(|e| e.to_string())?;
    if checkpoint.origin != log_key.name {
        return Err(format!(
            "the checkpoint is of the log {:?} but the key is {:?}'s",
            checkpoint.origin, log_key.name
        ));
    }
    Ok(CheckedCheckpoint {
        checkpoint,
        cosigned_by: keys[1..].iter().map(|k| k.name.clone()).collect(),
    })
}

/// Checks one proof file. A proof of the `trusted` checkpoint's size is checked against
/// its root; otherwise against the root the file names.
pub fn check_proof(json: &str, trusted: Option<&Checkpoint>) -> Result<(), String> {
    let v: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let has = |k: &str| v.get(k).is_some();
    if has("leafIdx") || has("root1") && has("size1") && !has("tree_size") {
        return super::vectors::check_proof_file(json);
    }
    if has("leaf_index") {
        let index = int(&v, "leaf_index")?;
        let size = int(&v, "tree_size")?;
        let leaf = hash(&v, "leaf_hash")?;
        let root = root_for(&v, "root", size, trusted)?;
        verify_inclusion(&leaf, index, size, &hashes(&v)?, &root).map_err(|e| e.to_string())
    } else if has("size1") {
        let (size1, size2) = (int(&v, "size1")?, int(&v, "size2")?);
        let root1 = root_for(&v, "root1", size1, trusted)?;
        let root2 = root_for(&v, "root2", size2, trusted)?;
        verify_consistency(size1, size2, &root1, &root2, &hashes(&v)?).map_err(|e| e.to_string())
    } else {
        Err("neither an inclusion proof (leaf_index, tree_size, leaf_hash, proof) nor a consistency proof (size1, size2, proof)".into())
    }
}

fn int(v: &Value, k: &str) -> Result<u64, String> {
    v.get(k)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("{k} is missing or not a non-negative integer"))
}

fn hash(v: &Value, k: &str) -> Result<Hash, String> {
    let s = v
        .get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{k} is missing"))?;
    from_b64(s).ok_or_else(|| format!("{k} is not a base64 SHA-256 hash"))
}

fn hashes(v: &Value) -> Result<Vec<Hash>, String> {
    match v.get("proof") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|h| {
                h.as_str()
                    .and_then(from_b64)
                    .ok_or_else(|| "a proof hash is not base64 of 32 bytes".to_string())
            })
            .collect(),
        Some(_) => Err("proof is not a list of hashes".into()),
    }
}

/// The root a proof of tree `size` is checked against: the trusted checkpoint's if it is
/// of that size (the file's own must then agree), else the file's.
fn root_for(v: &Value, k: &str, size: u64, trusted: Option<&Checkpoint>) -> Result<Hash, String> {
    let own = v.get(k).map(|_| hash(v, k)).transpose()?;
    match trusted.filter(|c| c.size == size) {
        Some(c) => match own {
            Some(r) if r != c.root => Err(format!(
                "{k} differs from the root of the checkpoint of size {size}"
            )),
            _ => Ok(c.root),
        },
        None if size == 0 => Ok(super::hash::empty_root()),
        None => own.ok_or_else(|| {
            format!("no root for the tree of {size}: give {k}, or --checkpoint of that size")
        }),
    }
}
