//! A C2SP tlog witness (<https://c2sp.org/tlog-witness>): the `add-checkpoint` call as pure
//! logic ([`Witness::add_checkpoint`]), its record ([`WitnessState`], a file) and its HTTP
//! server ([`serve`]). This module does I/O (the state and key files, the network).
//!
//! §add-checkpoint, rule by rule, in the order the checks run:
//! * the body is `old <size>\n`, at most 63 base64 consistency-proof lines, an empty line,
//!   then a checkpoint note; anything else is 400;
//! * a checkpoint origin no trusted log key is named after is 404;
//! * no signature verifying against the origin's trusted keys (unknown keys ignored) is 403;
//! * an old size above the checkpoint size is 400;
//! * an old size other than the size last cosigned (0 if none) is 409, with the body
//!   `<size>\n` and the content type `text/x.tlog.size`;
//! * at equal sizes, another root hash than the one last cosigned is 409 (a fork; the body
//!   says why, in text/plain, so that no client mistakes it for a size to retry from);
//! * a consistency proof (RFC 6962 §2.1.2; empty from size 0) that does not verify is 422;
//! * else the record is updated — persisted before the answer, checked and written under
//!   one lock ([`Witness::add_checkpoint_persisted`]) — and the answer is the cosignature
//!   line (c2sp.org/tlog-cosignature, Ed25519, type `0x04`).
//!
//! Refusals other than the size 409 carry a human reason, so a log that forks or shrinks
//! learns why; such requests are also logged (the spec allows it, as evidence).

#[path = "witness_http.rs"]
mod http;
#[path = "witness_state.rs"]
mod state;

pub use http::{bind, open_witness, serve, WitnessConfig, WitnessServer, DEFAULT_NAME, MAX_BODY};
pub use state::{LogState, StateError, WitnessState};

use super::checkpoint::{parse_decimal, parse_hash, Checkpoint};
use super::cosig::{cosign, MAX_TIMESTAMP};
use super::hash::{empty_root, Hash};
use super::note::{Note, Signer, VerifierKey, COSIGNATURE_V1, ED25519};
use super::proof::verify_consistency;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use std::path::Path;

/// The most consistency-proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;
/// The content type of answers and reasons.
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
/// The content type of the 409 that gives the size last cosigned.
pub const TLOG_SIZE: &str = "text/x.tlog.size";

/// A refused request: the HTTP status, content type and body to answer with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {body}")]
pub struct Refusal {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Refusal {
    /// A refusal with a human reason (text/plain, newline-terminated).
    pub fn new(status: u16, reason: impl Into<String>) -> Refusal {
        let mut body = reason.into();
        body.push('\n');
        Refusal {
            status,
            content_type: TEXT_PLAIN,
            body,
        }
    }

    /// The 409 that tells the size last cosigned.
    pub fn size(size: u64) -> Refusal {
        Refusal {
            status: 409,
            content_type: TLOG_SIZE,
            body: format!("{size}\n"),
        }
    }
}

fn bad_request(reason: impl Into<String>) -> Refusal {
    Refusal::new(400, reason)
}

/// An `add-checkpoint` request body, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    pub old: u64,
    pub proof: Vec<Hash>,
    pub note: Note,
}

/// Reads an `add-checkpoint` body; any malformation is a 400 saying what.
pub fn parse_request(body: &str) -> Result<AddCheckpoint, Refusal> {
    let (first, mut rest) = body
        .split_once('\n')
        .ok_or_else(|| bad_request("the body does not start with an \"old <size>\" line"))?;
    let old = first
        .strip_prefix("old ")
        .and_then(parse_decimal)
        .ok_or_else(|| {
            bad_request(format!(
                "the first line {first:?} is not \"old <size>\" (decimal, no leading zeros)"
            ))
        })?;
    let mut proof = Vec::new();
    loop {
        let (line, r) = rest
            .split_once('\n')
            .ok_or_else(|| bad_request("no empty line between the proof and the checkpoint"))?;
        rest = r;
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err(bad_request(format!(
                "more than {MAX_PROOF_LINES} consistency proof lines"
            )));
        }
        let h = parse_hash(line).ok_or_else(|| {
            bad_request(format!(
                "consistency proof line {} is not the base64 of a 32-byte hash",
                proof.len() + 1
            ))
        })?;
        proof.push(h);
    }
    let note = Note::parse(rest)
        .map_err(|e| bad_request(format!("the checkpoint is not a signed note: {e}")))?;
    Ok(AddCheckpoint { old, proof, note })
}

/// A request that passed every check: what the record becomes, and the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub origin: String,
    pub entry: LogState,
    /// The response body: the cosignature line.
    pub response: String,
}

/// A witness: its cosigning key, the log keys it trusts, its record.
#[derive(Debug)]
pub struct Witness {
    signer: Signer,
    logs: Vec<VerifierKey>,
    state: WitnessState,
}

impl Witness {
    /// `signer` must be a cosigning key (type `0x04`), `logs` Ed25519 log keys (`0x01`),
    /// each trusted for the origin its key name is.
    pub fn new(
        signer: Signer,
        logs: Vec<VerifierKey>,
        state: WitnessState,
    ) -> Result<Witness, String> {
        if signer.sig_type() != COSIGNATURE_V1 {
            return Err(format!(
                "the witness key {} is of type 0x{:02x}; a witness cosigns with type 0x04",
                signer.name(),
                signer.sig_type()
            ));
        }
        if logs.is_empty() {
            return Err("no trusted log key: the witness would refuse every checkpoint".into());
        }
        let mut kept: Vec<VerifierKey> = Vec::new();
        for k in logs {
            if k.sig_type != ED25519 {
                return Err(format!(
                    "log key {}: of type 0x{:02x}; only Ed25519 log keys (0x01) are supported",
                    k.to_vkey(),
                    k.sig_type
                ));
            }
            if kept
                .iter()
                .any(|o| o.name == k.name && o.id == k.id && *o != k)
            {
                return Err(format!("two log keys are {}+{:08x}", k.name, k.id));
            }
            if !kept.contains(&k) {
                kept.push(k);
            }
        }
        Ok(Witness {
            signer,
            logs: kept,
            state,
        })
    }

    pub fn name(&self) -> &str {
        self.signer.name()
    }

    /// The witness's public key (type `0x04`), which logs and clients are configured with.
    pub fn verifier(&self) -> VerifierKey {
        self.signer.verifier()
    }

    pub fn vkey(&self) -> String {
        self.verifier().to_vkey()
    }

    pub fn logs(&self) -> &[VerifierKey] {
        &self.logs
    }

    pub fn state(&self) -> &WitnessState {
        &self.state
    }

    /// The origins trusted, each once, in order.
    pub fn origins(&self) -> Vec<&str> {
        let mut o: Vec<&str> = self.logs.iter().map(|k| k.name.as_str()).collect();
        o.sort_unstable();
        o.dedup();
        o
    }

    /// Runs every check of `add-checkpoint` on `body` and cosigns at `now_unix`, changing
    /// nothing.
    pub fn check(&self, body: &str, now_unix: u64) -> Result<Accepted, Refusal> {
        let req = parse_request(body)?;
        let cp = Checkpoint::parse(&req.note.text)
            .map_err(|e| bad_request(format!("the note is not a checkpoint: {e}")))?;
        let origin = cp.origin.as_str();
        let keys: Vec<VerifierKey> = self
            .logs
            .iter()
            .filter(|k| k.name == origin)
            .cloned()
            .collect();
        if keys.is_empty() {
            return Err(Refusal::new(
                404,
                format!("unknown log: this witness trusts no key for the origin {origin:?}"),
            ));
        }
        if let Err(e) = req.note.verify(&keys) {
            return Err(Refusal::new(
                403,
                format!("the checkpoint is not signed by a key trusted for {origin:?}: {e}"),
            ));
        }
        if req.old > cp.size {
            return Err(bad_request(format!(
                "the old size {} is larger than the checkpoint size {}",
                req.old, cp.size
            )));
        }
        let last = self.state.logs.get(origin);
        let last_size = last.map_or(0, |l| l.size);
        if req.old != last_size {
            return Err(Refusal::size(last_size));
        }
        let last_root = last.map_or_else(empty_root, |l| l.root);
        let misbehaving = |status: u16, reason: String| {
            tracing::warn!(origin, old = req.old, size = cp.size, %reason, request = body,
                "witness: refused an inconsistent checkpoint");
            Refusal::new(status, reason)
        };
        if req.old == cp.size {
            if cp.root != last_root {
                return Err(misbehaving(
                    409,
                    format!(
                        "fork: the checkpoint of {origin:?} has size {} like the one this witness \
                     cosigned last, but the root {} instead of {}",
                        cp.size,
                        B64.encode(cp.root),
                        B64.encode(last_root)
                    ),
                ));
            }
            if !req.proof.is_empty() {
                return Err(misbehaving(
                    422,
                    "the consistency proof between equal sizes is empty".into(),
                ));
            }
        } else if req.old == 0 && !req.proof.is_empty() {
            return Err(misbehaving(
                422,
                "the consistency proof from size 0 is empty".into(),
            ));
        } else if let Err(e) =
            verify_consistency(req.old, cp.size, &last_root, &cp.root, &req.proof)
        {
            return Err(misbehaving(
                422,
                format!(
                "the consistency proof from size {} to {} does not verify ({e}): the checkpoint \
                 does not extend the one this witness cosigned last (root {})",
                req.old,
                cp.size,
                B64.encode(last_root)
            ),
            ));
        }
        if now_unix > MAX_TIMESTAMP {
            return Err(Refusal::new(500, "the witness clock is out of range"));
        }
        // The signer is a type 0x04 key (checked by `new`).
        let line = cosign(
            self.signer.signing_key(),
            self.name(),
            &req.note.text,
            now_unix,
        );
        Ok(Accepted {
            origin: cp.origin.clone(),
            entry: LogState {
                size: cp.size,
                root: cp.root,
                checkpoint: req.note.text.clone(),
                cosigned_at: now_unix,
            },
            response: line.to_line(),
        })
    }

    /// `add-checkpoint` in memory: on success the record is updated and the answer is the
    /// cosignature line. The caller must persist [`Witness::state`] before answering (or use
    /// [`Witness::add_checkpoint_persisted`]).
    pub fn add_checkpoint(&mut self, body: &str, now_unix: u64) -> Result<String, Refusal> {
        let a = self.check(body, now_unix)?;
        self.state.logs.insert(a.origin, a.entry);
        Ok(a.response)
    }

    /// `add-checkpoint` with the new record written to `state_file` before it is adopted
    /// and answered (a failed write is a 500 and changes nothing). Holding `&mut self`
    /// across the check and the write is what makes them atomic.
    pub fn add_checkpoint_persisted(
        &mut self,
        body: &str,
        now_unix: u64,
        state_file: &Path,
    ) -> Result<String, Refusal> {
        let a = self.check(body, now_unix)?;
        let mut next = self.state.clone();
        next.logs.insert(a.origin, a.entry);
        if let Err(e) = next.save(state_file) {
            tracing::error!(error = %e, "witness: cannot persist the state; nothing cosigned");
            return Err(Refusal::new(500, "the witness cannot persist its state"));
        }
        self.state = next;
        Ok(a.response)
    }
}

#[cfg(test)]
#[path = "witness_tests.rs"]
pub(crate) mod tests;
