//! The embedded backend: sled 0.34 keeps the log, a snapshot file the resident state.
//!
//! Trees:
//! - `log`:  seq (u64 BE) → `prev ‖ hash ‖ event` (see [`crate::event`]): one key per event,
//!   the only durable truth.
//! - `meta`: the id key and the fingerprints of the secrets beside the store.
//! - `idem`: answers to writes made with an `Idempotency-Key`, written with their event.
//!
//! Beside sled's directory: `db.head`, the last durable head (see [`head`]), and
//! `db.snapshot`, the [`World`] as of some event (see [`crate::store::snapshot`]). At start the
//! snapshot is loaded and the log after it replayed; every read is answered from the world.
//! Flushes are grouped: a writer that finds a flush in flight waits for it and the next one
//! covers everybody who arrived meanwhile.

use super::{snapshot, Committed, Store, StoreError, StoreStats, VerifyReport};
use crate::codec;
use crate::core::World;
use crate::domain::NodeId;
use crate::event::{self, Actor, Event, EventBody, Hash, GENESIS};
use parking_lot::{Condvar, Mutex, RwLock};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

mod bulk;
mod head;
mod replay;
use bulk::{BulkWriter, Pending};
use head::{HeadRecord, TAIL_CHECK};

#[derive(Debug, Clone)]
pub struct SledConfig {
    pub path: PathBuf,
    /// sled's page cache. Real RSS runs several times this; keep it explicit.
    pub cache_bytes: u64,
    /// Start from the snapshot (the default). Off, the whole log is replayed and the
    /// snapshot file is not read at all (`boardtrail reindex`, which then rewrites it).
    pub use_snapshot: bool,
}

impl SledConfig {
    pub fn new(path: impl Into<PathBuf>) -> SledConfig {
        SledConfig {
            path: path.into(),
            cache_bytes: 128 * 1024 * 1024,
            use_snapshot: true,
        }
    }
}

struct Head {
    seq: u64,
    hash: Hash,
}

#[derive(Default)]
struct DurState {
    durable: u64,
    flushing: bool,
}

pub struct SledStore {
    db: sled::Db,
    log: sled::Tree,
    meta_tree: sled::Tree,
    /// Answers to writes made with an `Idempotency-Key`, written with their event.
    idem: sled::Tree,
    /// The resident state, loaded from the snapshot and the log at start; every read is
    /// answered from it.
    mem: RwLock<World>,
    head: Mutex<Head>,
    /// Highest seq written to sled (not necessarily flushed).
    applied: AtomicU64,
    dur: Mutex<DurState>,
    dur_cv: Condvar,
    flushes: AtomicU64,
    /// Some while a bulk import runs: staged events, visible to reads.
    pending: Mutex<Option<Pending>>,
    bulk: std::sync::atomic::AtomicBool,
    /// sled's data file, to fdatasync after a flush.
    data_file: std::fs::File,
    /// The chunk writer of a bulk import.
    writer: Mutex<Option<BulkWriter>>,
    /// The secret public ids are keyed with (see `crate::ids`).
    id_key: [u8; 32],
    /// Set by the first failed append or flush (fail-stop); `stopped` is its fast path.
    failure: Mutex<Option<super::Failure>>,
    stopped: std::sync::atomic::AtomicBool,
    /// Blob files (values sled keeps outside its log) already fdatasynced.
    synced_blobs: Mutex<std::collections::HashSet<std::ffi::OsString>>,
    /// sled's directory (for `blobs/`; the head record and the snapshot sit beside it).
    dir: std::path::PathBuf,
    /// The last event that wrote a value large enough for sled to keep as a blob file, and
    /// the event up to which blobs were fdatasynced: the flush leader looks into `blobs/`
    /// only when the first is past the second.
    large_value: AtomicU64,
    blobs_synced: AtomicU64,
    /// The head record beside the store (see [`HeadRecord`]).
    head_rec: Mutex<HeadRecord>,
    /// The event the snapshot on disk was taken at; one snapshot is written at a time.
    snapshot_seq: Mutex<u64>,
}

/// Values at least this large may become blob files (sled's own threshold is higher).
const BLOB_HINT: usize = 64 * 1024;
const ID_KEY: &[u8] = b"id_key";
/// Trees of earlier layouts (a second copy of every record, its natural keys, the events
/// that touched it), dropped at open: the world holds all of it now.
const OLD_TREES: [&[u8]; 3] = [b"nodes", b"keys", b"touch"];
/// A start that replayed more events than this after the snapshot writes a new one.
pub const SNAPSHOT_AFTER: u64 = 10_000;

fn seq_of(k: &[u8]) -> Result<u64, StoreError> {
    Ok(u64::from_be_bytes(k.try_into().map_err(|_| {
        StoreError::Corrupt("log key has the wrong length".into())
    })?))
}

impl SledStore {
    /// Opens (or creates) the store: checks the log's head and tail, loads the snapshot and
    /// replays the log after it.
    pub fn open(cfg: &SledConfig) -> Result<SledStore, StoreError> {
        let db = sled::Config::new()
            .path(&cfg.path)
            .cache_capacity(cfg.cache_bytes)
            .mode(sled::Mode::HighThroughput)
            .open()?;
        let log = db.open_tree("log")?;
        let meta_tree = db.open_tree("meta")?;
        let idem = db.open_tree("idem")?;
        let (seq, hash) = match log.last()? {
            Some((k, v)) => (
                seq_of(&k)?,
                event::split_entry(&v)
                    .ok_or_else(|| StoreError::Corrupt("the last event is truncated".into()))?
                    .hash,
            ),
            None => (0, GENESIS),
        };
        let data_file = std::fs::File::open(cfg.path.join("db")).map_err(sled::Error::Io)?;
        let id_key: [u8; 32] = match meta_tree.get(ID_KEY)? {
            Some(v) => v
                .as_ref()
                .try_into()
                .map_err(|_| StoreError::Corrupt("the id key has the wrong length".into()))?,
            None if seq == 0 => {
                // A new store: its ids are keyed by a fresh secret, durable before any id
                // is handed out.
                let key = crate::secret::random32()
                    .map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
                meta_tree.insert(ID_KEY, &key[..])?;
                db.flush()?;
                data_file.sync_data().map_err(sled::Error::Io)?;
                key
            }
            None => {
                return Err(StoreError::Corrupt(
                    "the store holds events but no id key: its ids cannot be named".into(),
                ))
            }
        };
        let head_path = cfg.path.with_extension("head");
        let head_file = Self::check_head_record(&head_path, &log, seq, &hash)?;
        let store = SledStore {
            db,
            log,
            meta_tree,
            idem,
            mem: RwLock::new(World::default()),
            head: Mutex::new(Head { seq, hash }),
            applied: AtomicU64::new(seq),
            dur: Mutex::new(DurState {
                durable: seq,
                flushing: false,
            }),
            dur_cv: Condvar::new(),
            flushes: AtomicU64::new(0),
            pending: Mutex::new(None),
            bulk: std::sync::atomic::AtomicBool::new(false),
            data_file,
            writer: Mutex::new(None),
            id_key,
            failure: Mutex::new(None),
            stopped: std::sync::atomic::AtomicBool::new(false),
            synced_blobs: Mutex::new(Default::default()),
            dir: cfg.path.clone(),
            large_value: AtomicU64::new(0),
            blobs_synced: AtomicU64::new(0),
            head_rec: Mutex::new(HeadRecord {
                file: head_file,
                synced_at: None,
            }),
            snapshot_seq: Mutex::new(0),
        };
        store.check_tail(TAIL_CHECK)?;
        store.write_head_record(seq, &hash, true)?;
        let replayed = store.load_world(cfg.use_snapshot)?;
        if cfg.use_snapshot && replayed > SNAPSHOT_AFTER {
            store.save_snapshot()?;
        }
        for name in OLD_TREES {
            if store.db.tree_names().iter().any(|n| n.as_ref() == name) {
                tracing::info!(tree = %String::from_utf8_lossy(name), "dropping a tree of an earlier layout");
                store.db.drop_tree(name)?;
            }
        }
        Ok(store)
    }

    fn snapshot_path(&self) -> PathBuf {
        self.dir.with_extension("snapshot")
    }

    /// Loads the snapshot, if there is a usable one, and replays the log after it into the
    /// resident world. Returns the number of events replayed.
    fn load_world(&self, use_snapshot: bool) -> Result<u64, StoreError> {
        let path = self.snapshot_path();
        let head_seq = self.head.lock().seq;
        let snap = if use_snapshot {
            snapshot::load(&path).map_err(|e| {
                StoreError::Corrupt(format!(
                    "{}: {e} (run `boardtrail reindex` to rebuild it from the log)",
                    path.display()
                ))
            })?
        } else {
            None
        };
        let (mut world, from) = match snap {
            Some(s) if s.seq <= head_seq && self.hash_at(s.seq)? == Some(s.hash) => {
                (s.world, s.seq)
            }
            Some(s) => {
                return Err(StoreError::Corrupt(format!(
                    "{} was taken at event {} ({}), which this log does not hold: the log lost events or was replaced (run `boardtrail verify`)",
                    path.display(),
                    s.seq,
                    event::hex(&s.hash)
                )))
            }
            None => (World::default(), 0),
        };
        let mut n = 0;
        for item in self.log.range((from + 1).to_be_bytes()..) {
            let (_, v) = item?;
            let entry = event::split_entry(&v)
                .ok_or_else(|| StoreError::Corrupt("short log entry".into()))?;
            let ev: Event = codec::decode(entry.body)?;
            world.apply(&ev)?;
            n += 1;
        }
        *self.mem.write() = world;
        *self.snapshot_seq.lock() = from;
        if n > 0 {
            tracing::info!(from, events = n, "replayed the log after the snapshot");
        }
        Ok(n)
    }

    /// The chain hash of event `seq` as stored (GENESIS for 0).
    fn hash_at(&self, seq: u64) -> Result<Option<Hash>, StoreError> {
        if seq == 0 {
            return Ok(Some(GENESIS));
        }
        Ok(self
            .log
            .get(seq.to_be_bytes())?
            .and_then(|v| event::split_entry(&v).map(|e| e.hash)))
    }

    /// Writes a snapshot of the resident world as of the head, after making everything up
    /// to the head durable (a snapshot never names an event the log could lose). Atomic: the
    /// old snapshot stays until the new one is complete. Writers wait while it is written;
    /// readers do not. Returns the event it was taken at.
    pub fn save_snapshot(&self) -> Result<u64, StoreError> {
        let mut at = self.snapshot_seq.lock();
        // The head lock keeps appends out, so the world is exactly the head's.
        let head = self.head.lock();
        if self.bulk.load(Ordering::Acquire) {
            return Ok(*at);
        }
        if let Some(f) = self.failure() {
            return Err(StoreError::Failed(f));
        }
        let durable = self
            .db
            .flush()
            .map(|_| ())
            .and_then(|()| self.sync_file())
            .and_then(|()| self.sync_blobs());
        if let Err(e) = durable {
            return Err(self.stop(e.into()));
        }
        let world = self.mem.read();
        let path = self.snapshot_path();
        // A snapshot that cannot be written (a full disk) stops nothing: it is derived
        // data and the previous one stays valid.
        let bytes = snapshot::save(&path, head.seq, &head.hash, &world).map_err(|e| {
            let _ = std::fs::remove_file(path.with_extension("snapshot-new"));
            StoreError::Corrupt(format!("writing the snapshot: {e}"))
        })?;
        tracing::info!(seq = head.seq, bytes, "snapshot written");
        *at = head.seq;
        Ok(head.seq)
    }

    /// Events appended since the snapshot on disk was taken.
    pub fn since_snapshot(&self) -> u64 {
        let at = *self.snapshot_seq.lock();
        self.head.lock().seq.saturating_sub(at)
    }

    /// fdatasync of sled's data file (after a flush has written it).
    fn sync_file(&self) -> Result<(), sled::Error> {
        self.data_file.sync_data().map_err(sled::Error::Io)
    }

    /// fdatasync of the values sled keeps as files in `blobs/` (those over ~128 KiB), which
    /// sled itself never syncs: each new one once, then the directory.
    fn sync_blobs(&self) -> Result<(), sled::Error> {
        let dir = self.dir.join("blobs");
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(sled::Error::Io(e)),
        };
        let mut synced = self.synced_blobs.lock();
        let mut any = false;
        for entry in entries {
            let entry = entry.map_err(sled::Error::Io)?;
            let name = entry.file_name();
            if synced.contains(&name) {
                continue;
            }
            match std::fs::File::open(entry.path()) {
                Ok(f) => f.sync_data().map_err(sled::Error::Io)?,
                // sled removed it (a value replaced): nothing to make durable.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(sled::Error::Io(e)),
            }
            synced.insert(name);
            any = true;
        }
        if any {
            std::fs::File::open(&dir)
                .and_then(|d| d.sync_all())
                .map_err(sled::Error::Io)?;
        }
        Ok(())
    }

    /// Stops the store (fail-stop): records why, and turns `e` into the error every later
    /// write gets.
    fn stop(&self, e: StoreError) -> StoreError {
        let failure = super::Failure {
            reason: e.to_string(),
            disk_full: e.disk_full(),
        };
        tracing::error!(reason = %failure.reason, disk_full = failure.disk_full, "store stopped");
        let mut f = self.failure.lock();
        let first = f.get_or_insert(failure).clone();
        self.stopped.store(true, Ordering::Release);
        StoreError::Failed(first)
    }

    /// Bytes sled uses on disk.
    pub fn disk_bytes(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    /// Number of flushes performed so far (to measure group commit).
    pub fn flush_count(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    /// Flushes and fdatasyncs everything and, if the log grew since, writes a snapshot
    /// (used at shutdown, so the next start replays nothing).
    pub fn flush(&self) -> Result<(), StoreError> {
        {
            let head = self.head.lock();
            self.db.flush()?;
            self.sync_file()?;
            self.sync_blobs()?;
            self.write_head_record(head.seq, &head.hash, true)?;
        }
        if self.since_snapshot() > 0 {
            self.save_snapshot()?;
        }
        Ok(())
    }
}

impl Store for SledStore {
    fn world(&self) -> parking_lot::RwLockReadGuard<'_, World> {
        self.mem.read()
    }

    fn id_key(&self) -> [u8; 32] {
        self.id_key
    }

    fn secret_fingerprint(&self, name: &str) -> Result<Option<[u8; 16]>, StoreError> {
        match self.meta_tree.get(format!("fp/{name}"))? {
            None => Ok(None),
            Some(v) => Ok(Some(v.as_ref().try_into().map_err(|_| {
                StoreError::Corrupt(format!("the fingerprint of {name} has the wrong length"))
            })?)),
        }
    }

    fn record_secret_fingerprint(&self, name: &str, fp: [u8; 16]) -> Result<(), StoreError> {
        self.meta_tree.insert(format!("fp/{name}"), &fp[..])?;
        self.db.flush()?;
        self.sync_file()?;
        Ok(())
    }

    fn failure(&self) -> Option<super::Failure> {
        if !self.stopped.load(Ordering::Acquire) {
            return None;
        }
        self.failure.lock().clone()
    }

    fn idempotent(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.idem.get(key)?.map(|v| v.to_vec()))
    }

    fn append_with(
        &self,
        at: i64,
        actor: Actor,
        body: EventBody,
        answer: Option<(Vec<u8>, Vec<u8>)>,
    ) -> Result<Committed, StoreError> {
        let mut head = self.head.lock();
        if let Some(f) = self.failure.lock().clone() {
            return Err(StoreError::Failed(f));
        }
        let seq = head.seq + 1;
        let ev = Event {
            seq,
            at,
            actor,
            body,
        };
        let (entry, hash) = event::seal(&head.hash, &ev)?;
        // Deciding whether the event applies (natural keys, amounts) is the world's; the
        // store only writes it.
        let projection = self.mem.read().project(&ev)?;
        if self.bulk.load(Ordering::Acquire) {
            self.stage(seq, entry)?;
            self.mem.write().commit(&ev, &projection.puts);
            head.seq = seq;
            head.hash = hash;
            return Ok(Committed { seq, hash });
        }
        if entry.len() >= BLOB_HINT || answer.as_ref().is_some_and(|(_, v)| v.len() >= BLOB_HINT) {
            self.large_value.fetch_max(seq, Ordering::AcqRel);
        }
        // One key per event; the answer to an idempotent write joins it in one transaction.
        let res = match &answer {
            None => self.log.insert(seq.to_be_bytes(), entry).map(|_| ()),
            Some((k, v)) => (&self.log, &self.idem)
                .transaction(|(log, idem)| {
                    idem.insert(k.as_slice(), v.as_slice())?;
                    log.insert(&seq.to_be_bytes(), entry.as_slice())?;
                    Ok::<(), ConflictableTransactionError<StoreError>>(())
                })
                .map_err(|e| match e {
                    TransactionError::Abort(e) => match e {
                        StoreError::Sled(e) => e,
                        e => sled::Error::Unsupported(e.to_string()),
                    },
                    TransactionError::Storage(e) => e,
                }),
        };
        if let Err(e) = res {
            return Err(self.stop(e.into()));
        }
        self.mem.write().commit(&ev, &projection.puts);
        head.seq = seq;
        head.hash = hash;
        self.applied.store(seq, Ordering::Release);
        Ok(Committed { seq, hash })
    }

    fn begin_bulk(&self) -> Result<(), StoreError> {
        self.start_bulk()
    }

    fn end_bulk(&self) -> Result<(), StoreError> {
        self.finish_bulk()
    }

    fn sync(&self, seq: u64) -> Result<(), StoreError> {
        if self.bulk.load(Ordering::Acquire) {
            // A bulk import is made durable as a whole by `end_bulk`.
            return Ok(());
        }
        let mut st = self.dur.lock();
        loop {
            if st.durable >= seq {
                return Ok(());
            }
            if st.flushing {
                self.dur_cv.wait(&mut st);
                continue;
            }
            // Become the leader: flush everything appended so far, for everyone waiting.
            st.flushing = true;
            let target = self.applied.load(Ordering::Acquire);
            drop(st);
            let target_hash = self.applied_hash(target);
            // sled's flush writes with sync_file_range, which survives a crash of the
            // process but not of the machine; fdatasync its file to reach the disk.
            let res = self
                .db
                .flush()
                .map(|_| ())
                .and_then(|()| self.sync_file())
                .and_then(|()| {
                    if self.large_value.load(Ordering::Acquire)
                        > self.blobs_synced.load(Ordering::Acquire)
                    {
                        self.sync_blobs()?;
                        self.blobs_synced.fetch_max(target, Ordering::AcqRel);
                    }
                    Ok(())
                })
                .map_err(StoreError::from)
                .and_then(|()| match target_hash {
                    Some(h) => self.write_head_record(target, &h, false),
                    None => Ok(()),
                });
            self.flushes.fetch_add(1, Ordering::Relaxed);
            // A failed flush stops the store before anyone waiting is answered: what it
            // held is acknowledged to nobody and served to nobody.
            let res = res.map_err(|e| self.stop(e));
            st = self.dur.lock();
            st.flushing = false;
            if res.is_ok() && target > st.durable {
                st.durable = target;
            }
            self.dur_cv.notify_all();
            res?;
            if let Some(f) = self.failure.lock().clone() {
                return Err(StoreError::Failed(f));
            }
        }
    }

    fn subject_events(&self, id: NodeId) -> Result<Vec<Event>, StoreError> {
        self.events_of(id)
    }

    fn events(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        let mut out = Vec::new();
        let start = after.saturating_add(1).to_be_bytes();
        for item in self.log.range(start..).take(limit) {
            let (_, v) = item?;
            let entry = event::split_entry(&v)
                .ok_or_else(|| StoreError::Corrupt("short log entry".into()))?;
            out.push(codec::decode(entry.body)?);
        }
        Ok(out)
    }

    fn stats(&self) -> StoreStats {
        let head = self.head.lock();
        let mem = self.mem.read();
        StoreStats {
            events: head.seq,
            nodes: mem.len() as u64,
            edges: mem.edge_count(),
            graph_bytes: mem.heap_bytes() as u64,
            head_hash: event::hex(&head.hash),
        }
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        self.verify_log()
    }
}
