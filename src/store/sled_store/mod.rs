//! The embedded backend: sled 0.34 for durability, a resident graph for walks.
//!
//! Trees:
//! - `log`:   seq (u64 BE) → `prev ‖ hash ‖ event` (see [`crate::event`])
//! - `nodes`: id (u32 BE) → encoded [`Record`] (units are derived from their batch)
//! - `keys`:  [`NaturalKey::encode`] → id (u32 BE)
//! - `meta`:  `head` → seq (u64 BE) ‖ hash
//!
//! One sled transaction writes the log entry, the head and the projection of an event, so
//! the log and the projection can never disagree. Flushes are grouped: a writer that finds
//! a flush in flight waits for it and the next one covers everybody who arrived meanwhile.

use super::{Committed, Store, StoreError, StoreStats, VerifyReport};
use crate::codec;
use crate::core::{Projection, World};
use crate::domain::{NodeId, Record};
use crate::event::{self, Actor, Event, EventBody, Hash, GENESIS};
use parking_lot::{Condvar, Mutex, RwLock};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
}

impl SledConfig {
    pub fn new(path: impl Into<PathBuf>) -> SledConfig {
        SledConfig {
            path: path.into(),
            cache_bytes: 128 * 1024 * 1024,
        }
    }
}

/// The `touch` keys of an event that changes existing records: subject id ‖ seq. (Events
/// that create records are found by a binary search of the log: ids grow with seq.)
fn touch_keys(ev: &Event, puts: &[(NodeId, Record)]) -> Vec<[u8; 12]> {
    if matches!(
        ev.body,
        EventBody::Created { .. } | EventBody::CreatedMany { .. }
    ) {
        return vec![];
    }
    puts.iter().map(|(id, _)| touch_key(*id, ev.seq)).collect()
}

fn touch_key(id: NodeId, seq: u64) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..4].copy_from_slice(&id.to_be_bytes());
    k[4..].copy_from_slice(&seq.to_be_bytes());
    k
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
    nodes: sled::Tree,
    keys: sled::Tree,
    meta_tree: sled::Tree,
    /// subject id ‖ seq of events that changed an existing record.
    touch: sled::Tree,
    /// Answers to writes made with an `Idempotency-Key`, written with their event.
    idem: sled::Tree,
    /// The resident state, rebuilt at start; every read is answered from it.
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
    /// sled's directory (for `blobs/`).
    dir: std::path::PathBuf,
    /// The last event that wrote a value large enough for sled to keep as a blob file, and
    /// the event up to which blobs were fdatasynced: the flush leader looks into `blobs/`
    /// only when the first is past the second.
    large_value: AtomicU64,
    blobs_synced: AtomicU64,
    /// The head record beside the store (see [`HeadRecord`]).
    head_rec: Mutex<HeadRecord>,
}

const HEAD_KEY: &[u8] = b"head";
/// Values at least this large may become blob files (sled's own threshold is higher).
const BLOB_HINT: usize = 64 * 1024;
/// Set while `reindex` rebuilds the projection.
const REINDEX_MARK: &[u8] = b"reindexing";
const ID_KEY: &[u8] = b"id_key";

fn decode_head(v: &[u8]) -> Result<(u64, Hash), StoreError> {
    if v.len() != 40 {
        return Err(StoreError::Corrupt("head has the wrong length".into()));
    }
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&v[..8]);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&v[8..]);
    Ok((u64::from_be_bytes(seq), hash))
}

fn encode_head(seq: u64, hash: &Hash) -> Vec<u8> {
    let mut v = Vec::with_capacity(40);
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(hash);
    v
}

fn id_from_bytes(v: &[u8]) -> Result<NodeId, StoreError> {
    let arr: [u8; 4] = v
        .try_into()
        .map_err(|_| StoreError::Corrupt("id has the wrong length".into()))?;
    Ok(NodeId::from_be_bytes(arr))
}

impl SledStore {
    /// Opens (or creates) the store and rebuilds the resident graph from the records.
    pub fn open(cfg: &SledConfig) -> Result<SledStore, StoreError> {
        let db = sled::Config::new()
            .path(&cfg.path)
            .cache_capacity(cfg.cache_bytes)
            .mode(sled::Mode::HighThroughput)
            .open()?;
        let log = db.open_tree("log")?;
        let nodes = db.open_tree("nodes")?;
        let keys = db.open_tree("keys")?;
        let meta_tree = db.open_tree("meta")?;
        let touch = db.open_tree("touch")?;
        let idem = db.open_tree("idem")?;
        let (seq, hash) = match meta_tree.get(HEAD_KEY)? {
            Some(v) => decode_head(&v)?,
            None => (0, GENESIS),
        };
        let last_logged = match log.last()? {
            Some((k, _)) => u64::from_be_bytes(
                k.as_ref()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("log key has the wrong length".into()))?,
            ),
            None => 0,
        };
        if last_logged != seq {
            return Err(StoreError::Corrupt(format!(
                "log ends at event {last_logged} but the head says {seq}"
            )));
        }
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
            nodes,
            keys,
            meta_tree,
            touch,
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
        };
        store.check_tail(TAIL_CHECK)?;
        store.write_head_record(seq, &hash, true)?;
        if store.meta_tree.contains_key(REINDEX_MARK)? {
            tracing::warn!("an interrupted reindex is run again before the store is used");
            store.reindex()?;
        }
        store.rebuild()?;
        Ok(store)
    }

    /// Rebuilds the resident graph and holdings from the `nodes` tree.
    fn rebuild(&self) -> Result<(), StoreError> {
        // The last key bounds the ids (`Tree::len` would scan the whole tree).
        let mut mem = World::with_capacity(match self.nodes.last()? {
            Some((k, _)) => id_from_bytes(&k)? as usize + 1,
            None => 0,
        });
        for item in self.nodes.iter() {
            let (k, v) = item?;
            let id = id_from_bytes(&k)?;
            let record: Record = codec::decode(&v)?;
            mem.load(id, Arc::new(record));
        }
        *self.mem.write() = mem;
        Ok(())
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

    /// Flushes and fdatasyncs everything (used at shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        let head = self.head.lock();
        self.db.flush()?;
        self.sync_file()?;
        self.sync_blobs()?;
        self.write_head_record(head.seq, &head.hash, true)
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
        let projection = self.mem.read().project(&ev)?;
        if self.bulk.load(Ordering::Acquire) {
            let puts = projection.puts.clone();
            let touches = touch_keys(&ev, &puts);
            self.stage(seq, entry, projection, touches)?;
            self.mem.write().commit(&ev.body, &puts);
            head.seq = seq;
            head.hash = hash;
            return Ok(Committed { seq, hash });
        }
        let mut puts = Vec::with_capacity(projection.puts.len());
        for (id, r) in &projection.puts {
            puts.push((id.to_be_bytes(), codec::encode(r)?));
        }
        let head_bytes = encode_head(seq, &hash);
        let touches = touch_keys(&ev, &projection.puts);
        if entry.len() >= BLOB_HINT
            || puts.iter().any(|(_, v)| v.len() >= BLOB_HINT)
            || answer.as_ref().is_some_and(|(_, v)| v.len() >= BLOB_HINT)
        {
            self.large_value.fetch_max(seq, Ordering::AcqRel);
        }
        // The event's writes, shared by the two transactions below.
        let write = |log: &TransactionalTree,
                     nodes: &TransactionalTree,
                     keys: &TransactionalTree,
                     meta: &TransactionalTree,
                     touch: &TransactionalTree|
         -> Result<(), ConflictableTransactionError<StoreError>> {
            for k in &touches {
                touch.insert(k.as_slice(), &[])?;
            }
            for (k, id) in &projection.keys {
                if let Some(existing) = keys.get(k)? {
                    let taken =
                        id_from_bytes(&existing).map_err(ConflictableTransactionError::Abort)?;
                    return Err(ConflictableTransactionError::Abort(StoreError::KeyTaken(
                        taken,
                    )));
                }
                keys.insert(k.as_slice(), &id.to_be_bytes())?;
            }
            for (k, v) in &puts {
                nodes.insert(k, v.as_slice())?;
            }
            log.insert(&seq.to_be_bytes(), entry.as_slice())?;
            meta.insert(HEAD_KEY, head_bytes.as_slice())?;
            Ok(())
        };
        // The answer tree joins the transaction only when there is an answer to record
        // (each tree in a sled transaction costs its locks and validation).
        let res = match &answer {
            None => (
                &self.log,
                &self.nodes,
                &self.keys,
                &self.meta_tree,
                &self.touch,
            )
                .transaction(|(log, nodes, keys, meta, touch)| {
                    write(log, nodes, keys, meta, touch)
                }),
            Some((k, v)) => (
                &self.log,
                &self.nodes,
                &self.keys,
                &self.meta_tree,
                &self.touch,
                &self.idem,
            )
                .transaction(|(log, nodes, keys, meta, touch, idem)| {
                    idem.insert(k.as_slice(), v.as_slice())?;
                    write(log, nodes, keys, meta, touch)
                }),
        };
        match res {
            Ok(()) => {}
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(self.stop(e.into())),
        }
        self.mem.write().commit(&ev.body, &projection.puts);
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
