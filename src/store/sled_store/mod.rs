//! The embedded backend: an [`EventLog`] in sled 0.34, and the snapshot in a file beside it.
//!
//! Trees:
//! - `log`:  seq (u64 BE) → the event, with its chain hash before it on every 16th
//!   (see `layout.rs`): one key per event, the only durable truth.
//! - `meta`: the log's layout, the id key and the fingerprints of the secrets beside the
//!   store.
//! - `idem`: answers to writes made with an `Idempotency-Key`, written with their event.
//!
//! Beside sled's directory: `db.head`, the last durable head (see `head.rs`; after a
//! failed flush, the fence the next open rolls the log back to: see `fence.rs`), and
//! `db.snapshot`, the [`World`] as of some event (see [`crate::store::snapshot`]).
//! Flushes are grouped: a writer that finds a flush in flight waits for it and the next one
//! covers everybody who arrived meanwhile. sled's own flush writes with `sync_file_range`,
//! which survives a crash of the process but not of the machine, so the flush leader also
//! fdatasyncs sled's file and any blob files (values sled keeps outside its log).

use super::ledger::{entry_hash, Ledger};
use super::log::{AnswerVisit, EventLog, Visit};
use super::snapshot::{self, Snapshot};
use super::StoreError;
use crate::core::event::{Hash, GENESIS};
use crate::core::World;
use crate::tlog::merkle::Tree;
use parking_lot::{Condvar, Mutex};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

mod blobs;
mod bulk;
mod fence;
mod head;
mod layout;
use bulk::{BulkWriter, Pending};
use head::HeadRecord;
use layout::Layout;

/// The durable store: the ledger over sled.
pub type SledStore = Ledger<SledLog>;

#[derive(Debug, Clone)]
pub struct SledConfig {
    pub path: PathBuf,
    /// sled's page cache. Real RSS runs several times this; keep it explicit.
    pub cache_bytes: u64,
    /// How often sled's background thread flushes and then cleans segments (for up to half
    /// the interval). Acknowledged writes never wait for it (group commit flushes and
    /// fdatasyncs). Under a bulk import a shorter interval lets the cleaner keep up: at
    /// S = 1, 100 ms left sled's file ~30 MB smaller than sled's default of 500 ms (see
    /// BENCHMARKS.md), so `boardtrail import` uses [`BULK_FLUSH_MS`].
    pub flush_every_ms: u64,
    /// Start from the snapshot (the default). Off, the whole log is replayed and the
    /// snapshot file is not read at all (`boardtrail reindex`, which then rewrites it).
    pub use_snapshot: bool,
}

impl SledConfig {
    pub fn new(path: impl Into<PathBuf>) -> SledConfig {
        SledConfig {
            path: path.into(),
            cache_bytes: 128 * 1024 * 1024,
            flush_every_ms: 500,
            use_snapshot: true,
        }
    }
}

#[derive(Default)]
struct DurState {
    durable: u64,
    flushing: bool,
    /// Why the last flush failed: every waiter gets it, the ledger stops.
    failed: Option<String>,
}

pub struct SledLog {
    db: sled::Db,
    log: sled::Tree,
    meta_tree: sled::Tree,
    idem: sled::Tree,
    /// The last appended event (written to sled, maybe not yet durable).
    appended: Mutex<(u64, Hash)>,
    applied: AtomicU64,
    dur: Mutex<DurState>,
    dur_cv: Condvar,
    flushes: AtomicU64,
    /// Some while a bulk import runs: staged entries.
    pending: Mutex<Option<Pending>>,
    bulk: AtomicBool,
    /// The chunk writer of a bulk import.
    writer: Mutex<Option<BulkWriter>>,
    /// sled's data file, to fdatasync after a flush.
    data_file: std::fs::File,
    /// sled's directory (for `blobs/`; the head record and the snapshot sit beside it).
    dir: PathBuf,
    blobs: blobs::Blobs,
    /// The head record beside the store (see [`HeadRecord`]).
    head_rec: Mutex<HeadRecord>,
    /// Which entries carry their chain hash in sled (see `layout.rs`).
    layout: Layout,
    /// The `idem` keys written with events not yet durable, with their events' seq: the
    /// fence of a failed flush names them (see `fence.rs`).
    unsynced_answers: Mutex<Vec<(u64, Vec<u8>)>>,
}

/// [`SledConfig::flush_every_ms`] for a bulk import.
pub const BULK_FLUSH_MS: u64 = 100;

/// Values at least this large may become blob files (sled's own threshold is higher).
const BLOB_HINT: usize = 64 * 1024;
/// Trees of earlier layouts (a second copy of every record, its natural keys, the events
/// that touched it), dropped at open: the world holds all of it now.
const OLD_TREES: [&[u8]; 3] = [b"nodes", b"keys", b"touch"];

/// A failed sled transaction as a store error (its abort is already one).
fn tx_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => e.into(),
    }
}

fn seq_of(k: &[u8]) -> Result<u64, StoreError> {
    Ok(u64::from_be_bytes(k.try_into().map_err(|_| {
        StoreError::Corrupt("log key has the wrong length".into())
    })?))
}

impl Ledger<SledLog> {
    /// Opens (or creates) the store at `cfg.path`.
    pub fn open(cfg: &SledConfig) -> Result<SledStore, StoreError> {
        Ledger::over(SledLog::open(cfg)?, cfg.use_snapshot)
    }

    /// Bytes sled uses on disk.
    pub fn disk_bytes(&self) -> u64 {
        self.log().db.size_on_disk().unwrap_or(0)
    }

    /// Number of flushes performed so far (to measure group commit).
    pub fn flush_count(&self) -> u64 {
        self.log().flushes.load(Ordering::Relaxed)
    }
}

fn open_db(cfg: &SledConfig) -> Result<sled::Db, sled::Error> {
    sled::Config::new()
        .path(&cfg.path)
        .cache_capacity(cfg.cache_bytes)
        .mode(sled::Mode::HighThroughput)
        .flush_every_ms(Some(cfg.flush_every_ms.max(1)))
        .open()
}

impl SledLog {
    /// Opens sled at `cfg.path` and closes it again, for after a large import (with every
    /// handle on the store dropped). sled 0.34 writes down where its pages lie (its page
    /// table's snapshot) only when it opens, after reading every log segment written since
    /// it last did: so the first start after an import would read all of them. Done here,
    /// at the end of the import, the next start reads none (at S = 1, an import's 918k
    /// events: see BENCHMARKS.md).
    pub fn settle(cfg: &SledConfig) -> Result<(), StoreError> {
        drop(open_db(cfg)?);
        Ok(())
    }

    /// Opens sled and checks the log against the head record beside it.
    pub fn open(cfg: &SledConfig) -> Result<SledLog, StoreError> {
        let db = open_db(cfg)?;
        for name in OLD_TREES {
            if db.tree_names().iter().any(|n| n.as_ref() == name) {
                tracing::info!(tree = %String::from_utf8_lossy(name), "dropping a tree of an earlier layout");
                db.drop_tree(name)?;
            }
        }
        let log = db.open_tree("log")?;
        let meta_tree = db.open_tree("meta")?;
        let idem = db.open_tree("idem")?;
        let data_file = std::fs::File::open(cfg.path.join("db")).map_err(sled::Error::Io)?;
        let layout = Layout::of(&meta_tree, &log)?;
        data_file.sync_data().map_err(sled::Error::Io)?;
        let (seq, hash) = match layout.last(&log)? {
            Some((seq, v)) => (seq, entry_hash(seq, &v)?),
            None => (0, GENESIS),
        };
        let head_path = cfg.path.with_extension("head");
        let (head_file, fence) = Self::check_head_record(&head_path, &log, layout, seq, &hash)?;
        let (seq, hash) = match &fence {
            Some(f) => {
                Self::roll_back(&db, &log, &idem, &data_file, f, seq)?;
                (f.seq, f.hash)
            }
            None => (seq, hash),
        };
        let me = SledLog {
            db,
            log,
            meta_tree,
            idem,
            appended: Mutex::new((seq, hash)),
            applied: AtomicU64::new(seq),
            dur: Mutex::new(DurState {
                durable: seq,
                ..DurState::default()
            }),
            dur_cv: Condvar::new(),
            flushes: AtomicU64::new(0),
            pending: Mutex::new(None),
            bulk: AtomicBool::new(false),
            writer: Mutex::new(None),
            data_file,
            dir: cfg.path.clone(),
            blobs: blobs::Blobs::default(),
            head_rec: Mutex::new(HeadRecord {
                file: head_file,
                synced_at: None,
                fenced: fence.is_some(),
            }),
            unsynced_answers: Mutex::new(Vec::new()),
            layout,
        };
        me.write_head_record(seq, &hash, true)?;
        Ok(me)
    }

    fn snapshot_path(&self) -> PathBuf {
        self.dir.with_extension("snapshot")
    }

    /// fdatasync of sled's data file (after a flush has written it).
    fn sync_file(&self) -> Result<(), sled::Error> {
        self.data_file.sync_data().map_err(sled::Error::Io)
    }

    /// Takes a flush up to `target` into account: durable, or failed (and fenced: see
    /// `fence.rs`). Called with the durability state locked.
    fn flushed(&self, st: &mut DurState, target: u64, res: &Result<(), StoreError>) {
        match res {
            Ok(()) => {
                st.durable = st.durable.max(target);
                self.unsynced_answers
                    .lock()
                    .retain(|(seq, _)| *seq > st.durable);
            }
            Err(e) => {
                if st.failed.is_none() {
                    self.put_fence(st.durable);
                }
                st.failed = Some(e.to_string());
            }
        }
    }

    /// One group-commit flush: sled's, fdatasync of its file and new blobs, the head record.
    fn flush_to(&self, target: u64, sync_head: bool) -> Result<(), StoreError> {
        self.db.flush()?;
        self.sync_file()?;
        self.blobs.sync_if_needed(&self.dir, target)?;
        let (seq, hash) = *self.appended.lock();
        if seq >= target && target > 0 {
            // The head record names the newest event this flush covered for certain.
            let h = if seq == target {
                Some(hash)
            } else {
                self.layout
                    .get(&self.log, target)?
                    .map(|v| entry_hash(target, &v))
                    .transpose()?
            };
            if let Some(h) = h {
                self.write_head_record(target, &h, sync_head)?;
            }
        }
        self.flushes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

impl EventLog for SledLog {
    fn last(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        self.layout.last(&self.log)
    }

    fn append(
        &self,
        seq: u64,
        prev: &Hash,
        entry: Vec<u8>,
        answer: Option<(&[u8], &[u8])>,
    ) -> Result<(), StoreError> {
        let mut appended = self.appended.lock();
        if appended.0 + 1 != seq {
            return Err(StoreError::HeadMoved {
                expected: seq - 1,
                head: appended.0,
            });
        }
        let hash = entry_hash(seq, &entry)?;
        let entry = self.layout.stored(seq, prev, entry)?;
        if entry.len() >= BLOB_HINT || answer.is_some_and(|(_, v)| v.len() >= BLOB_HINT) {
            self.blobs.note_large(seq);
        }
        if self.bulk.load(Ordering::Acquire) {
            self.stage(seq, entry, answer)?;
            *appended = (seq, hash);
            return Ok(());
        }
        // One key per event; the answer to an idempotent write joins it in one transaction.
        match answer {
            None => {
                self.log.insert(seq.to_be_bytes(), entry)?;
            }
            Some((k, v)) => {
                (&self.log, &self.idem)
                    .transaction(|(log, idem)| {
                        idem.insert(k, v)?;
                        log.insert(&seq.to_be_bytes(), entry.as_slice())?;
                        Ok::<(), ConflictableTransactionError<StoreError>>(())
                    })
                    .map_err(tx_error)?;
                self.unsynced_answers.lock().push((seq, k.to_vec()));
            }
        }
        *appended = (seq, hash);
        self.applied.store(seq, Ordering::Release);
        Ok(())
    }

    fn sync(&self, seq: u64) -> Result<(), StoreError> {
        if self.bulk.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut st = self.dur.lock();
        loop {
            // Durable before a later flush failed: kept (the fence is at or after it), so
            // the write did happen and is answered so.
            if st.durable >= seq {
                return Ok(());
            }
            if let Some(why) = &st.failed {
                return Err(StoreError::Corrupt(format!(
                    "an earlier flush failed: {why}"
                )));
            }
            if st.flushing {
                self.dur_cv.wait(&mut st);
                continue;
            }
            // Become the leader: flush everything appended so far, for everyone waiting.
            st.flushing = true;
            let target = self.applied.load(Ordering::Acquire);
            drop(st);
            let res = self.flush_to(target, false);
            st = self.dur.lock();
            st.flushing = false;
            self.flushed(&mut st, target, &res);
            self.dur_cv.notify_all();
            res?;
        }
    }

    fn sync_all(&self) -> Result<(), StoreError> {
        // One flush at a time, the group commit's included: a flush that fails fences
        // the log, and no later one may write a head record over the fence.
        let mut st = self.dur.lock();
        while st.flushing {
            self.dur_cv.wait(&mut st);
        }
        if let Some(why) = &st.failed {
            // After a failed flush nothing more becomes durable: the next open rolls
            // back to the fence.
            return Err(StoreError::Corrupt(format!(
                "an earlier flush failed: {why}"
            )));
        }
        st.flushing = true;
        drop(st);
        let target = self.appended.lock().0;
        let res = self.flush_to(target, true);
        let mut st = self.dur.lock();
        st.flushing = false;
        self.flushed(&mut st, target, &res);
        self.dur_cv.notify_all();
        res
    }

    fn get(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.layout.get(&self.log, seq)
    }

    fn event_bytes(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.layout.event(&self.log, seq)
    }

    fn hash_every(&self) -> u64 {
        self.layout.every
    }

    fn scan(&self, from: u64, f: &mut Visit<'_>) -> Result<(), StoreError> {
        self.layout.scan(&self.log, from, f)
    }

    fn answer(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.idem.get(key)?.map(|v| v.to_vec()))
    }

    fn each_answer(&self, f: &mut AnswerVisit<'_>) -> Result<(), StoreError> {
        for kv in self.idem.iter() {
            let (k, v) = kv?;
            f(&k, &v)?;
        }
        Ok(())
    }

    fn import_answer(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.idem.insert(key, value)?;
        Ok(())
    }

    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.meta_tree.get(name)?.map(|v| v.to_vec()))
    }

    fn set_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.meta_tree.insert(name, value)?;
        self.db.flush()?;
        self.sync_file()?;
        Ok(())
    }

    fn save_snapshot(
        &self,
        seq: u64,
        hash: &Hash,
        world: &World,
        tree: &Tree,
    ) -> Result<(), StoreError> {
        let path = self.snapshot_path();
        let bytes = snapshot::save(&path, seq, hash, world, tree).map_err(|e| {
            let _ = std::fs::remove_file(path.with_extension("snapshot-new"));
            StoreError::Snapshot(format!("writing {}: {e}", path.display()))
        })?;
        tracing::debug!(seq, bytes, "snapshot file written");
        Ok(())
    }

    fn load_snapshot(&self) -> Result<Option<Snapshot>, StoreError> {
        let path = self.snapshot_path();
        snapshot::load(&path).map_err(|e| {
            StoreError::Corrupt(format!(
                "{}: {e} (run `boardtrail reindex` to rebuild it from the log)",
                path.display()
            ))
        })
    }

    fn begin_bulk(&self) -> Result<(), StoreError> {
        self.start_bulk()
    }

    fn end_bulk(&self) -> Result<(), StoreError> {
        self.finish_bulk()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The LSN of the newest page-table snapshot sled has written (`snap.<hex LSN>`).
    fn newest_snapshot(dir: &std::path::Path) -> u64 {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().ok()?;
                u64::from_str_radix(name.strip_prefix("snap.")?, 16).ok()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn settle_has_sled_record_its_pages_and_keeps_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SledConfig::new(dir.path().join("db"));
        let mut prev = GENESIS;
        {
            let log = SledLog::open(&cfg).unwrap();
            for seq in 1..=2_000u64 {
                let (entry, hash) = super::fence::tests::entry(seq, &prev);
                log.append(seq, &prev, entry, None).unwrap();
                prev = hash;
            }
            log.sync_all().unwrap();
        }
        let before = newest_snapshot(&cfg.path);
        SledLog::settle(&cfg).unwrap();
        let recorded = newest_snapshot(&cfg.path);
        assert!(recorded > before, "{recorded} after {before}");
        // Not while the store is open: sled's lock says so.
        let open = SledLog::open(&cfg).unwrap();
        assert!(SledLog::settle(&cfg).is_err());
        drop(open);
        // Nothing new was written since: settling now records nothing newer, and the log
        // reads as it was.
        SledLog::settle(&cfg).unwrap();
        assert_eq!(newest_snapshot(&cfg.path), recorded);
        let log = SledLog::open(&cfg).unwrap();
        let (seq, last) = log.last().unwrap().unwrap();
        assert_eq!((seq, entry_hash(seq, &last).unwrap()), (2_000, prev));
    }
}
