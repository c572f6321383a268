//! The verifiable log at work: signing C2SP checkpoints of the store's Merkle tree with the
//! log's Ed25519 key, checking at start that the log still holds what it signed, sending
//! each new checkpoint to the witnesses (C2SP `tlog-witness`) and keeping their
//! cosignatures. The formats themselves are the pure [`crate::tlog`]; this module does the
//! I/O (the checkpoint file, the witnesses' HTTP) and runs on a thread of its own.

mod submit;

use crate::store::ledger::{LOG_CHECKPOINT, LOG_ORIGIN};
use crate::store::{Store, StoreError};
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::note::{Note, SigLine, Signer, VerifierKey};
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use submit::Submission;

/// How the verifiable log is set up.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// The checkpoints' origin line (and the log key's name). Kept with the log at its
    /// first start; a different one later is refused (witnesses know a log by it).
    pub origin: Option<String>,
    /// The witnesses: (submission URL prefix, verifier key `name+id+key` of type 0x04).
    pub witnesses: Vec<(String, String)>,
    /// How often a new checkpoint is signed while the log grows.
    pub every: Duration,
    /// Where the last checkpoint is also kept outside the store (the data dir).
    pub checkpoint_file: PathBuf,
}

/// Why the log cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Diverged(String),
    #[error("the checkpoint file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

/// A witness the log sends its checkpoints to, and what it last answered.
#[derive(Debug, Clone, Serialize)]
pub struct WitnessStatus {
    pub name: String,
    /// Its verifier key (`name+id+base64`, type 0x04).
    pub key: String,
    pub url: String,
    /// The largest tree size it cosigned (as far as this node knows).
    pub cosigned_size: Option<u64>,
    /// When it cosigned that, UTC milliseconds (its cosignature's timestamp).
    pub cosigned_at: Option<i64>,
    /// Its last refusal or failure, if the last attempt did not succeed.
    pub last_error: Option<String>,
}

/// Cosignature lines by the witness's name.
type Cosignatures = Vec<(String, SigLine)>;

/// The published checkpoint: the signed note served at `/log/checkpoint`.
#[derive(Debug, Clone)]
pub struct Published {
    pub checkpoint: Checkpoint,
    /// The whole note: text, the log's signature, the cosignatures collected.
    pub note: String,
    /// Names of the witnesses whose cosignatures it carries.
    pub cosigned_by: Vec<String>,
}

/// The verifiable log of one node.
pub struct Transparency {
    store: Arc<dyn Store>,
    signer: Signer,
    witnesses: Vec<(String, VerifierKey)>,
    every: Duration,
    file: PathBuf,
    published: RwLock<Option<Published>>,
    status: Mutex<Vec<WitnessStatus>>,
    /// One checkpoint is signed at a time.
    signing: Mutex<()>,
    /// When the witnesses were last asked.
    last_try: Mutex<Option<std::time::Instant>>,
}

/// How often a checkpoint some witness has not cosigned is sent again while the log does
/// not grow.
pub const RETRY_EVERY: Duration = Duration::from_secs(10);

impl Transparency {
    /// Sets up the log over `store` with the log key `seed` (the `log.key` secret): fixes
    /// the origin, and checks that the store still holds every checkpoint signed before
    /// (kept in the store and in the data dir): a log that lost or changed events is refused.
    pub fn open(
        store: Arc<dyn Store>,
        seed: &[u8; 32],
        cfg: &LogConfig,
    ) -> Result<Transparency, LogError> {
        let wanted = cfg.origin.clone().unwrap_or_else(|| default_origin(seed));
        if !crate::tlog::note::is_valid_key_name(&wanted) {
            return Err(LogError::Config(format!(
                "the log origin {wanted:?} cannot be used: it names the log's key, so it must be non-empty, without spaces or '+' (e.g. boardtrail.example.cn/log)"
            )));
        }
        let kept = store.init_named(LOG_ORIGIN, wanted.as_bytes())?;
        let origin = String::from_utf8(kept)
            .map_err(|_| LogError::Config("the log's origin is not UTF-8".into()))?;
        if cfg.origin.as_ref().is_some_and(|o| *o != origin) {
            return Err(LogError::Config(format!(
                "this log's origin is {origin:?}, not {wanted:?}: witnesses and verifiers know the log by it, so it cannot change"
            )));
        }
        let signer = log_signer(&origin, seed).map_err(LogError::Config)?;
        let mut witnesses = Vec::new();
        for (url, vkey) in &cfg.witnesses {
            let key = VerifierKey::parse(vkey)
                .map_err(|e| LogError::Config(format!("witness key {vkey:?}: {e}")))?;
            if key.sig_type != crate::tlog::note::COSIGNATURE_V1 {
                return Err(LogError::Config(format!(
                    "witness key {vkey:?} is not an Ed25519 cosignature key (type 0x04)"
                )));
            }
            let url = url.trim_end_matches('/').to_string();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(LogError::Config(format!(
                    "witness URL {url:?} must start with http:// or https://"
                )));
            }
            witnesses.push((url, key));
        }
        let log = Transparency::assemble(
            store,
            signer,
            witnesses,
            cfg.every,
            cfg.checkpoint_file.clone(),
        );
        log.check_kept()?;
        Ok(log)
    }

    /// The log over `store` signing with `signer`, nothing published yet.
    fn assemble(
        store: Arc<dyn Store>,
        signer: Signer,
        witnesses: Vec<(String, VerifierKey)>,
        every: Duration,
        file: PathBuf,
    ) -> Transparency {
        let status = witnesses
            .iter()
            .map(|(url, key)| WitnessStatus {
                name: key.name.clone(),
                key: key.to_vkey(),
                url: url.clone(),
                cosigned_size: None,
                cosigned_at: None,
                last_error: None,
            })
            .collect();
        Transparency {
            store,
            signer,
            witnesses,
            every,
            file,
            published: RwLock::new(None),
            status: Mutex::new(status),
            signing: Mutex::new(()),
            last_try: Mutex::new(None),
        }
    }

    /// `boardtrail verify`: checks, without writing anything, that the store still holds
    /// the checkpoints kept in it and in `file` (the same check `serve` makes at start).
    /// Returns the newest checkpoint's size, or `None` if the log never signed one.
    pub fn verify_kept(
        store: Arc<dyn Store>,
        seed: &[u8; 32],
        file: PathBuf,
    ) -> Result<Option<u64>, LogError> {
        let Some(origin) = store.named(LOG_ORIGIN)? else {
            return Ok(None);
        };
        let origin = String::from_utf8(origin)
            .map_err(|_| LogError::Config("the log's origin is not UTF-8".into()))?;
        let signer = log_signer(&origin, seed).map_err(LogError::Config)?;
        let log = Transparency::assemble(store, signer, Vec::new(), Duration::from_secs(1), file);
        log.check_kept()?;
        Ok(log.published().map(|p| p.checkpoint.size))
    }

    /// The log's verifier key (`origin+id+base64(0x01 ‖ key)`).
    pub fn vkey(&self) -> String {
        self.signer.verifier().to_vkey()
    }

    pub fn origin(&self) -> &str {
        self.signer.name()
    }

    /// The published checkpoint's size and the witnesses that cosigned it, without copying
    /// the note (the public scan view asks on every request).
    pub fn published_summary(&self) -> Option<(u64, Vec<String>)> {
        self.published
            .read()
            .as_ref()
            .map(|p| (p.checkpoint.size, p.cosigned_by.clone()))
    }

    /// The published checkpoint, if one was signed.
    pub fn published(&self) -> Option<Published> {
        self.published.read().clone()
    }

    /// The witnesses and what each last did.
    pub fn witnesses(&self) -> Vec<WitnessStatus> {
        self.status.lock().clone()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Checks the checkpoints kept in the store and in the data dir against the tree, and
    /// publishes the newest.
    fn check_kept(&self) -> Result<(), LogError> {
        let mut kept = Vec::new();
        if let Some(v) = self.store.named(LOG_CHECKPOINT)? {
            kept.push(("the store", String::from_utf8_lossy(&v).into_owned()));
        }
        match std::fs::read_to_string(&self.file) {
            Ok(s) => kept.push(("the checkpoint file", s)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(LogError::File {
                    path: self.file.display().to_string(),
                    source: e,
                })
            }
        }
        let mut newest: Option<Published> = None;
        for (place, text) in kept {
            let published = self.read_published(&text).map_err(|e| {
                LogError::Diverged(format!("the checkpoint kept in {place} is unreadable: {e}"))
            })?;
            let cp = &published.checkpoint;
            if cp.size > self.store.tree().size() {
                // Another node of a shared log may have signed it since this one opened.
                self.store.catch_up()?;
            }
            let tree = self.store.tree();
            if cp.size > tree.size() {
                return Err(LogError::Diverged(format!(
                    "the log holds {} events but signed a checkpoint of {} (kept in {place}): events were lost; restore the store from a backup",
                    tree.size(),
                    cp.size
                )));
            }
            let root = tree
                .root_at(cp.size)
                .map_err(|e| LogError::Diverged(e.to_string()))?;
            if root != cp.root {
                return Err(LogError::Diverged(format!(
                    "the log's first {} events do not hash to the root of the checkpoint kept in {place}: the log was changed after it was signed; restore the store from a backup",
                    cp.size
                )));
            }
            if newest
                .as_ref()
                .is_none_or(|n| n.checkpoint.size < published.checkpoint.size)
            {
                newest = Some(published);
            }
        }
        if let Some(p) = &newest {
            let mut status = self.status.lock();
            for line in Note::parse(&p.note).map(|n| n.sigs).unwrap_or_default() {
                if let Some(w) = status.iter_mut().find(|w| w.name == line.name) {
                    w.cosigned_size = Some(p.checkpoint.size);
                    w.cosigned_at = crate::tlog::cosig::cosig_timestamp(&line.sig)
                        .ok()
                        .map(|t| (t as i64).saturating_mul(1000));
                }
            }
        }
        *self.published.write() = newest;
        Ok(())
    }

    /// Parses a kept note and checks the log's signature on it.
    fn read_published(&self, text: &str) -> Result<Published, String> {
        let note = Note::parse(text).map_err(|e| e.to_string())?;
        let mut keys = vec![self.signer.verifier()];
        keys.extend(self.witnesses.iter().map(|(_, k)| k.clone()));
        let verified = note.verify(&keys).map_err(|e| e.to_string())?;
        if !verified.iter().any(|k| k.name == self.signer.name()) {
            return Err("it is not signed by this log's key".into());
        }
        let checkpoint = Checkpoint::parse(&note.text).map_err(|e| e.to_string())?;
        if checkpoint.origin != self.signer.name() {
            return Err(format!(
                "it is of the log {:?}, not {:?}",
                checkpoint.origin,
                self.signer.name()
            ));
        }
        let cosigned_by = verified
            .iter()
            .filter(|k| k.name != self.signer.name())
            .map(|k| k.name.clone())
            .collect();
        Ok(Published {
            checkpoint,
            note: text.to_string(),
            cosigned_by,
        })
    }

    /// Signs a checkpoint of the durable tree if it grew since the last one, sends it to
    /// the witnesses, keeps it (store and data dir) and publishes it with the cosignatures
    /// received. If the log did not grow, sends the published checkpoint again to the
    /// witnesses that have not cosigned it (at most every [`RETRY_EVERY`]). Returns the
    /// size signed, or `None` if nothing new was signed.
    pub fn checkpoint_now(&self, now_ms: i64) -> Result<Option<u64>, LogError> {
        let _one = self.signing.lock();
        let size = self.store.durable_size();
        let published = self.published.read().clone();
        if let Some(p) = published.filter(|p| p.checkpoint.size >= size) {
            self.retry_witnesses(p, now_ms)?;
            return Ok(None);
        }
        let root = self
            .store
            .tree()
            .root_at(size)
            .map_err(|e| LogError::Diverged(e.to_string()))?;
        let checkpoint = Checkpoint {
            origin: self.signer.name().to_string(),
            size,
            root,
            extensions: Vec::new(),
        };
        let text = checkpoint.to_text();
        let own = self
            .signer
            .sign(&text)
            .map_err(|e| LogError::Config(format!("signing the checkpoint: {e}")))?;
        let all = vec![true; self.witnesses.len()];
        let (cosigs, done) = self.collect_cosignatures(&checkpoint, &own, &all, now_ms);
        *self.last_try.lock() = Some(std::time::Instant::now());
        self.publish(checkpoint, own, cosigs)?;
        self.mark_cosigned(&done, size);
        tracing::debug!(size, "checkpoint signed");
        Ok(Some(size))
    }

    /// Sends the published checkpoint again to the witnesses that did not cosign it.
    fn retry_witnesses(&self, p: Published, now_ms: i64) -> Result<(), LogError> {
        let wanted: Vec<bool> = self
            .witnesses
            .iter()
            .map(|(_, k)| !p.cosigned_by.contains(&k.name))
            .collect();
        if !wanted.contains(&true)
            || self
                .last_try
                .lock()
                .is_some_and(|t| t.elapsed() < RETRY_EVERY)
        {
            return Ok(());
        }
        *self.last_try.lock() = Some(std::time::Instant::now());
        let note = Note::parse(&p.note).map_err(|e| LogError::Diverged(e.to_string()))?;
        let mut own = None;
        let mut cosigs = Vec::new();
        for line in note.sigs {
            if line.name == self.signer.name() {
                own = Some(line);
            } else if p.cosigned_by.contains(&line.name) {
                cosigs.push((line.name.clone(), line));
            }
        }
        let Some(own) = own else {
            return Err(LogError::Diverged(
                "the published checkpoint lost the log's own signature".into(),
            ));
        };
        let (new, done) = self.collect_cosignatures(&p.checkpoint, &own, &wanted, now_ms);
        if new.is_empty() {
            return Ok(());
        }
        cosigs.extend(new);
        let size = p.checkpoint.size;
        self.publish(p.checkpoint, own, cosigs)?;
        self.mark_cosigned(&done, size);
        Ok(())
    }

    /// Keeps and publishes a checkpoint with its signature and cosignatures.
    fn publish(
        &self,
        checkpoint: Checkpoint,
        own: SigLine,
        cosigs: Vec<(String, SigLine)>,
    ) -> Result<(), LogError> {
        let mut lines = vec![own];
        let mut cosigned_by = Vec::new();
        for (name, line) in cosigs {
            cosigned_by.push(name);
            lines.push(line);
        }
        let note = note_text(&checkpoint.to_text(), &lines);
        self.keep(&note)?;
        *self.published.write() = Some(Published {
            checkpoint,
            note,
            cosigned_by,
        });
        Ok(())
    }

    /// Writes the note to the store and to the checkpoint file (temporary file, fdatasync,
    /// rename, directory fsync).
    fn keep(&self, note: &str) -> Result<(), LogError> {
        self.store.set_named(LOG_CHECKPOINT, note.as_bytes())?;
        let file_err = |e| LogError::File {
            path: self.file.display().to_string(),
            source: e,
        };
        crate::secret::write_atomic(&self.file, note.as_bytes()).map_err(file_err)
    }

    /// Sends the signed checkpoint to every witness (in parallel, each with a timeout) and
    /// returns the cosignatures that verify (by witness name), with the witnesses (by index) and the times
    /// they cosigned at: the caller marks them cosigned once the checkpoint is published
    /// (so `/log/witnesses` never names a size `/log/checkpoint` does not serve yet).
    fn collect_cosignatures(
        &self,
        checkpoint: &Checkpoint,
        own: &SigLine,
        wanted: &[bool],
        now_ms: i64,
    ) -> (Cosignatures, Vec<(usize, u64)>) {
        if !wanted.contains(&true) {
            return (Vec::new(), Vec::new());
        }
        let signed = note_text(&checkpoint.to_text(), std::slice::from_ref(own));
        let signed = signed.as_str();
        let known: Vec<Option<u64>> = self.status.lock().iter().map(|w| w.cosigned_size).collect();
        let results: Vec<Result<(SigLine, u64), String>> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .witnesses
                .iter()
                .zip(&known)
                .zip(wanted)
                .filter(|(_, &want)| want)
                .map(|(((url, key), old), _)| {
                    let sub = Submission {
                        url,
                        key,
                        old: old.unwrap_or(0),
                        checkpoint,
                        signed,
                        tree: self.store.as_ref(),
                    };
                    s.spawn(move || sub.send())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("the submission panicked".into()))
                })
                .collect()
        });
        let mut out = Vec::new();
        let mut done = Vec::new();
        let mut status = self.status.lock();
        let asked = status
            .iter_mut()
            .zip(&self.witnesses)
            .enumerate()
            .zip(wanted)
            .filter(|(_, &want)| want)
            .map(|(w, _)| w);
        for ((i, (w, (_, key))), result) in asked.zip(results) {
            match result {
                Ok((line, ts)) => {
                    w.last_error = None;
                    done.push((i, ts));
                    out.push((key.name.clone(), line));
                }
                Err(e) => {
                    tracing::warn!(witness = %w.name, size = checkpoint.size, error = %e, "no cosignature");
                    let at = chrono::DateTime::from_timestamp_millis(now_ms)
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                        .unwrap_or_default();
                    w.last_error = Some(format!("{e} (at {at})"));
                }
            }
        }
        (out, done)
    }

    /// Marks witnesses as having cosigned `size` (after it is published).
    fn mark_cosigned(&self, done: &[(usize, u64)], size: u64) {
        let mut status = self.status.lock();
        for &(i, ts) in done {
            if let Some(w) = status.get_mut(i) {
                w.cosigned_size = Some(size);
                w.cosigned_at = Some((ts as i64).saturating_mul(1000));
            }
        }
    }

    /// Signs checkpoints every [`LogConfig::every`] while the log grows (ends with the
    /// last reference to the log).
    pub fn spawn(self: &Arc<Transparency>) {
        let weak = Arc::downgrade(self);
        let every = self.every;
        let spawned = std::thread::Builder::new()
            .name("checkpoints".into())
            .spawn(move || loop {
                std::thread::sleep(every);
                let Some(log) = weak.upgrade() else { return };
                if log.store.failure().is_some() {
                    continue;
                }
                if let Err(e) = log.checkpoint_now(chrono::Utc::now().timestamp_millis()) {
                    tracing::warn!(error = %e, "signing a checkpoint failed");
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "no checkpoint thread: no checkpoints are signed");
        }
    }
}

/// A signed note: the text, a blank line, the signature lines.
fn note_text(text: &str, sigs: &[SigLine]) -> String {
    let mut s = String::with_capacity(text.len() + 1 + sigs.len() * 100);
    s.push_str(text);
    s.push('\n');
    for l in sigs {
        s.push_str(&l.to_line());
    }
    s
}

/// The log's Ed25519 note signer, named by its origin.
fn log_signer(origin: &str, seed: &[u8; 32]) -> Result<Signer, String> {
    let key = ed25519_dalek::SigningKey::from_bytes(seed);
    Signer::new(origin, key, crate::tlog::note::ED25519)
        .map_err(|e| format!("the log key under the origin {origin:?}: {e}"))
}

/// The origin of a log that was given none: unique per log key (the first bytes of its
/// public key in hex).
fn default_origin(seed: &[u8; 32]) -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(seed).verifying_key();
    let hex: String = key.as_bytes()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("boardtrail.invalid/log/{hex}")
}
