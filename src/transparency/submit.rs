//! One `add-checkpoint` request to a witness (C2SP `tlog-witness`): the old size the
//! witness is believed to hold, the RFC 6962 consistency proof from it, and the signed
//! checkpoint; the answer is the witness's cosignature, verified before it is kept.

use crate::store::Store;
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::note::{SigLine, VerifierKey};
use std::time::Duration;

/// How long a witness may take to answer.
const TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read from a witness.
const MAX_ANSWER: u64 = 64 * 1024;

/// A checkpoint on its way to one witness.
pub struct Submission<'a> {
    /// The witness's submission prefix (`…/add-checkpoint` is appended).
    pub url: &'a str,
    pub key: &'a VerifierKey,
    /// The size this node believes the witness last cosigned (0: unknown).
    pub old: u64,
    pub checkpoint: &'a Checkpoint,
    /// The checkpoint as a note signed by the log.
    pub signed: &'a str,
    pub tree: &'a dyn Store,
}

impl Submission<'_> {
    /// Sends it; on a 409 that names the size the witness holds, once more from that size.
    /// Returns the verified cosignature line and its timestamp (POSIX seconds).
    pub fn send(&self) -> Result<(SigLine, u64), String> {
        match self.post(self.old)? {
            Answer::Cosigned(line, ts) => Ok((line, ts)),
            Answer::HoldsSize(held) if held != self.old && held <= self.checkpoint.size => {
                match self.post(held)? {
                    Answer::Cosigned(line, ts) => Ok((line, ts)),
                    Answer::HoldsSize(again) => Err(format!(
                        "the witness holds size {again}, then {held}: it moves under us"
                    )),
                }
            }
            Answer::HoldsSize(held) => Err(format!(
                "the witness holds a tree of {held} leaves, larger than or unlike this log's {}: it refuses this checkpoint",
                self.checkpoint.size
            )),
        }
    }

    fn post(&self, old: u64) -> Result<Answer, String> {
        let proof = self
            .tree
            .tree()
            .consistency_proof(old, self.checkpoint.size)
            .map_err(|e| format!("no consistency proof from {old}: {e}"))?;
        let mut body = format!("old {old}\n");
        for h in &proof {
            body.push_str(&crate::tlog::hash::b64(h));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(self.signed);
        let url = format!("{}/add-checkpoint", self.url);
        let resp = ureq::AgentBuilder::new()
            .timeout(TIMEOUT)
            .build()
            .post(&url)
            .set("Content-Type", "text/plain; charset=utf-8")
            .send_string(&body);
        match resp {
            Ok(r) => {
                let text = read_text(r)?;
                self.cosignature(&text)
            }
            Err(ureq::Error::Status(409, r)) => {
                let is_size = r.content_type() == "text/x.tlog.size";
                let text = read_text(r)?;
                match text.trim_end_matches('\n').parse::<u64>() {
                    Ok(n) if is_size => Ok(Answer::HoldsSize(n)),
                    _ => Err(format!("409 from the witness: {}", text.trim())),
                }
            }
            Err(ureq::Error::Status(code, r)) => {
                let text = read_text(r).unwrap_or_default();
                Err(format!("{code} from the witness: {}", text.trim()))
            }
            Err(e) => Err(format!("the witness at {url} did not answer: {e}")),
        }
    }

    /// The witness's cosignature among the lines it answered, checked with its key.
    fn cosignature(&self, text: &str) -> Result<Answer, String> {
        let body = self.checkpoint.to_text();
        for line in text.lines().filter(|l| !l.is_empty()) {
            let Ok(sig) = SigLine::parse(line) else {
                continue;
            };
            if sig.name != self.key.name || sig.id != self.key.id {
                continue;
            }
            let ts = crate::tlog::cosig::verify_cosig(self.key, &body, &sig.sig)
                .map_err(|e| format!("the witness's cosignature does not verify: {e}"))?;
            return Ok(Answer::Cosigned(sig, ts));
        }
        Err("the witness answered without a cosignature of its key".into())
    }
}

enum Answer {
    Cosigned(SigLine, u64),
    /// 409: the witness holds this size.
    HoldsSize(u64),
}

fn read_text(r: ureq::Response) -> Result<String, String> {
    use std::io::Read;
    let mut s = String::new();
    r.into_reader()
        .take(MAX_ANSWER)
        .read_to_string(&mut s)
        .map_err(|e| format!("reading the witness's answer: {e}"))?;
    Ok(s)
}
