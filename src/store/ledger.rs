//! The backend-independent store: the resident [`World`] over an [`EventLog`].
//!
//! An append seals the event onto the hash chain, asks the world whether it applies
//! ([`World::project`]), hands the entry to the log and only then commits it to the world.
//! A failed append or sync stops the ledger (fail-stop): nothing more is written and the
//! service answers 503/507 until a restart. At open the log's tail is checked, the snapshot
//! loaded (if the log holds its event) and the log after it replayed.

use super::log::{split, EventLog};
use super::{Committed, Failure, Store, StoreError, StoreStats, VerifyReport};
use crate::core::codec;
use crate::core::domain::NodeId;
use crate::core::event::{self, Actor, Event, EventBody, Hash, GENESIS};
use crate::core::World;
use crate::tlog::merkle::Tree;
use parking_lot::{Mutex, RwLock};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

mod follow;
mod verify;

/// Events whose hash chain is checked at every open (the whole log: `verify`).
pub const TAIL_CHECK: u64 = 10_000;
/// The largest log entry: the public log serves entries in C2SP tlog-tiles bundles, which
/// prefix each with a 16-bit length.
pub const MAX_ENTRY: usize = u16::MAX as usize;
/// An open that replayed more events than this after the snapshot writes a new one.
pub const SNAPSHOT_AFTER: u64 = 10_000;
const ID_KEY: &str = "id_key";
/// The secrets whose fingerprints the log keeps (`fp/<name>`).
pub(crate) const SECRETS: [&str; 3] = ["token.key", "qr", "log.key"];
/// The named values of the verifiable log: its origin line and its last signed checkpoint.
pub const LOG_ORIGIN: &str = "tlog/origin";
pub const LOG_CHECKPOINT: &str = "tlog/checkpoint";

/// Every named value a log keeps, as a copy of it must have them.
pub(crate) fn named_values() -> Vec<String> {
    let mut names = vec![
        ID_KEY.to_string(),
        LOG_FORMAT.to_string(),
        LOG_ORIGIN.to_string(),
        LOG_CHECKPOINT.to_string(),
    ];
    names.extend(SECRETS.iter().map(|s| fingerprint_name(s)));
    names
}

fn fingerprint_name(secret: &str) -> String {
    format!("fp/{secret}")
}
/// The layout of the log's entries (see [`crate::core::event`]): kept with the log, so that
/// a log of another layout is refused by name instead of failing its hash chain.
const LOG_FORMAT: &str = "log_format";
const FORMAT: &[u8] = b"2";

struct Head {
    seq: u64,
    hash: Hash,
}

pub struct Ledger<L: EventLog> {
    log: L,
    world: RwLock<World>,
    /// The last appended event; its lock orders appends.
    head: Mutex<Head>,
    id_key: [u8; 32],
    /// Set by the first failed append or sync; `stopped` is its fast path.
    failure: Mutex<Option<Failure>>,
    stopped: AtomicBool,
    /// A bulk import runs: syncs wait for its end.
    bulk: AtomicBool,
    /// The event the saved snapshot was taken at; one snapshot is written at a time.
    snapshot_seq: Mutex<u64>,
    /// The RFC 6962 Merkle tree over the log's entries (leaf `i` is event `i + 1`), grown
    /// with the head (under its lock) and rebuilt with the world.
    tree: RwLock<Tree>,
    /// Every event up to this one is durable: the largest tree a checkpoint may sign.
    durable: AtomicU64,
}

/// The Merkle leaf hash of a stored entry given as its chain hash and encoded event (the
/// leaf is the whole entry, `hash ‖ event`).
pub(crate) fn entry_leaf_hash(hash: &Hash, body: &[u8]) -> crate::tlog::hash::Hash {
    crate::tlog::hash::leaf_hash_parts(&[hash, body])
}

/// The event of the stored entry `raw` of event `seq`.
pub(crate) fn decode(seq: u64, raw: &[u8]) -> Result<Event, StoreError> {
    Ok(codec::decode(split(seq, raw)?.body)?)
}

/// The chain hash a stored entry of event `seq` carries.
pub(crate) fn entry_hash(seq: u64, raw: &[u8]) -> Result<Hash, StoreError> {
    split(seq, raw).map(|e| e.hash)
}

impl<L: EventLog> Ledger<L> {
    /// Opens the ledger over `log`: checks the tail of the chain, loads the snapshot (unless
    /// `use_snapshot` is off: then the whole log is replayed and the snapshot not read) and
    /// replays the log after it.
    pub fn over(log: L, use_snapshot: bool) -> Result<Ledger<L>, StoreError> {
        let (seq, hash) = match log.last()? {
            Some((seq, raw)) => (seq, entry_hash(seq, &raw)?),
            None => (0, GENESIS),
        };
        let id_key: [u8; 32] = match log.meta(ID_KEY)? {
            Some(v) => v
                .as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt("the id key has the wrong length".into()))?,
            None if seq == 0 => {
                // A new store: its ids are keyed by a fresh secret, durable before any id
                // is handed out (of nodes starting together on a new shared log, the
                // first one's).
                let key = crate::secret::random32()
                    .map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
                log.init_meta(ID_KEY, &key)?
                    .as_slice()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("the id key has the wrong length".into()))?
            }
            None => {
                return Err(StoreError::Corrupt(
                    "the store holds events but no id key: its ids cannot be named".into(),
                ))
            }
        };
        match log.meta(LOG_FORMAT)? {
            Some(v) if v == FORMAT => {}
            None if seq == 0 && log.init_meta(LOG_FORMAT, FORMAT)? == FORMAT => {}
            found => {
                return Err(StoreError::Corrupt(format!(
                    "the log is in entry format {} but this boardtrail reads format {}: it was written by another version (keep using that one, or move the data with it)",
                    found.map_or("1".to_string(), |v| String::from_utf8_lossy(&v).into_owned()),
                    String::from_utf8_lossy(FORMAT)
                )))
            }
        }
        let ledger = Ledger {
            log,
            world: RwLock::new(World::default()),
            head: Mutex::new(Head { seq, hash }),
            id_key,
            failure: Mutex::new(None),
            stopped: AtomicBool::new(false),
            bulk: AtomicBool::new(false),
            snapshot_seq: Mutex::new(0),
            tree: RwLock::new(Tree::new()),
            durable: AtomicU64::new(0),
        };
        // The tail's hash chain is checked while the snapshot loads (each on its own core);
        // nothing is served unless both succeed.
        let (tail, replayed) = std::thread::scope(|s| {
            let tail = s.spawn(|| ledger.check_tail(TAIL_CHECK));
            let replayed = ledger.load_world(seq, use_snapshot);
            let tail = tail.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            (tail, replayed)
        });
        tail?;
        let replayed = replayed?;
        // What the log holds at open may still sit in the page cache (a process restart, not
        // a machine's): made durable before any checkpoint can sign it.
        ledger.log.sync_all()?;
        ledger.durable.store(seq, Ordering::Release);
        if use_snapshot && replayed > SNAPSHOT_AFTER {
            ledger.save_snapshot()?;
        }
        Ok(ledger)
    }

    /// The log underneath.
    pub fn log(&self) -> &L {
        &self.log
    }

    /// Checks the hash chain of the last `n` events up to the head.
    fn check_tail(&self, n: u64) -> Result<(), StoreError> {
        let (head_seq, head_hash) = {
            let h = self.head.lock();
            (h.seq, h.hash)
        };
        let from = head_seq.saturating_sub(n).max(1);
        // The chain is checked from the hash of the event before the window.
        let mut prev = match from - 1 {
            0 => GENESIS,
            before => self.hash_at(before)?.ok_or_else(|| {
                StoreError::Corrupt(format!("event {before} is missing from the log"))
            })?,
        };
        let mut last = from - 1;
        self.log.scan(from, &mut |seq, raw| {
            let entry = split(seq, raw)?;
            if seq != last + 1 {
                return Err(StoreError::Corrupt(format!(
                    "event {seq} follows event {last}: the log has a gap (run `boardtrail verify`)"
                )));
            }
            if event::chain_hash(&prev, entry.body) != entry.hash {
                return Err(StoreError::Corrupt(format!(
                    "{} does not match its hash: the store is damaged or the event changed (run `boardtrail verify`)",
                    self.changed_at(seq)
                )));
            }
            codec::decode::<Event>(entry.body)
                .map_err(|e| StoreError::Corrupt(format!("event {seq} cannot be decoded: {e}")))?;
            prev = entry.hash;
            last = seq;
            Ok(true)
        })?;
        if last != head_seq || prev != head_hash {
            return Err(StoreError::Corrupt(format!(
                "the head names event {head_seq} but the log ends at event {last}"
            )));
        }
        Ok(())
    }

    /// Loads the snapshot, if there is a usable one, and replays the log after it into the
    /// resident world. Returns the number of events replayed.
    fn load_world(&self, head_seq: u64, use_snapshot: bool) -> Result<u64, StoreError> {
        let snap = if use_snapshot {
            self.log.load_snapshot()?
        } else {
            None
        };
        let (mut world, mut tree, from) = match snap {
            Some(s) if s.seq <= head_seq && self.hash_at(s.seq)? == Some(s.hash) => {
                (s.world, s.tree, s.seq)
            }
            Some(s) => {
                return Err(StoreError::Corrupt(format!(
                    "the snapshot was taken at event {} ({}), which this log does not hold: the log lost events or was replaced (run `boardtrail verify`)",
                    s.seq,
                    event::hex(&s.hash)
                )))
            }
            None => (World::default(), Tree::new(), 0),
        };
        let mut n = 0;
        self.log.scan(from + 1, &mut |seq, raw| {
            world.apply(&decode(seq, raw)?)?;
            tree.push(crate::tlog::hash::leaf_hash(raw));
            n += 1;
            Ok(true)
        })?;
        *self.world.write() = world;
        *self.tree.write() = tree;
        *self.snapshot_seq.lock() = from;
        if n > 0 {
            tracing::info!(from, events = n, "replayed the log after the snapshot");
        }
        Ok(n)
    }

    /// Which events a hash that does not match at `seq` may point to: `seq`, or with a log
    /// that stores a hash with only some entries, one of the events since the last such.
    fn changed_at(&self, seq: u64) -> String {
        match self.log.hash_every() {
            every if every > 1 && seq.is_multiple_of(every) => {
                format!("event {seq} (or one of the {} before it)", every - 1)
            }
            _ => format!("event {seq}"),
        }
    }

    /// The chain hash of event `seq` as stored (GENESIS for 0).
    fn hash_at(&self, seq: u64) -> Result<Option<Hash>, StoreError> {
        if seq == 0 {
            return Ok(Some(GENESIS));
        }
        match self.log.get(seq)? {
            Some(raw) => Ok(Some(entry_hash(seq, &raw)?)),
            None => Ok(None),
        }
    }

    /// Stops the ledger (fail-stop): records why, and turns `e` into the error every later
    /// write gets.
    fn stop(&self, e: StoreError) -> StoreError {
        if let StoreError::Failed(f) = &e {
            let mut slot = self.failure.lock();
            slot.get_or_insert_with(|| f.clone());
            self.stopped.store(true, Ordering::Release);
            return e;
        }
        let failure = Failure {
            reason: e.to_string(),
            disk_full: e.disk_full(),
            recovers: self.log.recoverable(),
        };
        tracing::error!(reason = %failure.reason, disk_full = failure.disk_full, "store stopped");
        let first = self.failure.lock().get_or_insert(failure).clone();
        self.stopped.store(true, Ordering::Release);
        StoreError::Failed(first)
    }

    /// Writes a snapshot of the resident world as of the head, after making everything up
    /// to the head durable (a snapshot never names an event the log could lose). Writers
    /// wait while it is written; readers do not. Returns the event it was taken at.
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
        if let Err(e) = self.log.sync_all() {
            return Err(self.stop(e));
        }
        self.durable.fetch_max(head.seq, Ordering::AcqRel);
        let world = self.world.read();
        let tree = self.tree.read();
        // A snapshot that cannot be written (a full disk) stops nothing: it is derived
        // data and the previous one stays valid.
        self.log
            .save_snapshot(head.seq, &head.hash, &world, &tree)?;
        tracing::info!(seq = head.seq, "snapshot written");
        *at = head.seq;
        Ok(head.seq)
    }

    /// Events appended since the saved snapshot was taken.
    pub fn since_snapshot(&self) -> u64 {
        let at = *self.snapshot_seq.lock();
        self.head.lock().seq.saturating_sub(at)
    }

    /// Makes everything durable and, if the log grew since the snapshot, saves a new one
    /// (a graceful stop: the next open replays nothing).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.log.sync_all()?;
        if self.since_snapshot() > 0 {
            self.save_snapshot()?;
        }
        Ok(())
    }
}

impl<L: EventLog> Store for Ledger<L> {
    fn world(&self) -> parking_lot::RwLockReadGuard<'_, World> {
        self.world.read()
    }

    fn id_key(&self) -> [u8; 32] {
        self.id_key
    }

    fn secret_fingerprint(&self, name: &str) -> Result<Option<[u8; 16]>, StoreError> {
        match self.log.meta(&fingerprint_name(name))? {
            None => Ok(None),
            Some(v) => Ok(Some(v.as_slice().try_into().map_err(|_| {
                StoreError::Corrupt(format!("the fingerprint of {name} has the wrong length"))
            })?)),
        }
    }

    fn record_secret_fingerprint(&self, name: &str, fp: [u8; 16]) -> Result<(), StoreError> {
        // Set once: of nodes starting together on a new shared log, the first one's
        // secret is the store's, and another one is refused like a wrong secret.
        let kept = self.log.init_meta(&fingerprint_name(name), &fp)?;
        if kept != fp {
            return Err(StoreError::Corrupt(format!(
                "the {name} secret is not the one this store was made with (another node recorded a different one): give every node the same secrets"
            )));
        }
        Ok(())
    }

    fn idempotent(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.log.answer(key)
    }

    fn append_with(
        &self,
        at: i64,
        actor: Actor,
        body: EventBody,
        answer: Option<(Vec<u8>, Vec<u8>)>,
        decided_at: Option<u64>,
    ) -> Result<Committed, StoreError> {
        let mut head = self.head.lock();
        if let Some(f) = self.failure() {
            return Err(StoreError::Failed(f));
        }
        if let Some(at) = decided_at.filter(|&at| at != head.seq) {
            // The follower took other nodes' events in while the command was decided:
            // decide again over them (the world has them already).
            return Err(StoreError::HeadMoved {
                expected: at,
                head: head.seq,
            });
        }
        let seq = head.seq + 1;
        let ev = Event {
            seq,
            at,
            actor,
            body,
        };
        let (entry, hash) = event::seal(&head.hash, &ev)?;
        if entry.len() > MAX_ENTRY {
            return Err(StoreError::EntryTooLarge {
                len: entry.len(),
                max: MAX_ENTRY,
            });
        }
        let leaf = crate::tlog::hash::leaf_hash(&entry);
        // Whether the event applies (natural keys, amounts) is the world's to say; the
        // log only keeps it.
        let projection = self.world.read().project(&ev)?;
        let answer = answer.as_ref().map(|(k, v)| (k.as_slice(), v.as_slice()));
        match self.log.append(seq, &head.hash, entry, answer) {
            Ok(()) => {}
            Err(e @ StoreError::HeadMoved { .. }) => {
                // Another node appended first: take its events in, so that the caller
                // decides again over the world as it now is.
                if self.log.shared() {
                    self.catch_up_locked(&mut head)?;
                }
                return Err(e);
            }
            // The database is away and nothing of this node was lost: refuse this write,
            // stay up.
            Err(e @ StoreError::Unavailable(_)) => return Err(e),
            Err(e) => return Err(self.stop(e)),
        }
        self.world.write().commit(&ev, &projection.puts);
        self.tree.write().push(leaf);
        head.seq = seq;
        head.hash = hash;
        Ok(Committed { seq, hash })
    }

    fn begin_bulk(&self) -> Result<(), StoreError> {
        let _head = self.head.lock();
        self.log.begin_bulk()?;
        self.bulk.store(true, Ordering::Release);
        Ok(())
    }

    fn end_bulk(&self) -> Result<(), StoreError> {
        {
            let head = self.head.lock();
            self.bulk.store(false, Ordering::Release);
            if let Err(e) = self.log.end_bulk() {
                return Err(self.stop(e));
            }
            self.durable.fetch_max(head.seq, Ordering::AcqRel);
        }
        // A large import is followed by a snapshot, so the next open loads it instead of
        // replaying the import.
        if self.since_snapshot() > SNAPSHOT_AFTER {
            self.save_snapshot()?;
        }
        Ok(())
    }

    fn sync(&self, seq: u64) -> Result<(), StoreError> {
        if self.bulk.load(Ordering::Acquire) {
            // A bulk import is made durable as a whole by `end_bulk`.
            return Ok(());
        }
        if let Some(f) = self.failure() {
            return Err(StoreError::Failed(f));
        }
        // A failed sync stops the ledger before anyone waiting is answered: what it held
        // is acknowledged to nobody and served to nobody.
        self.log.sync(seq).map_err(|e| self.stop(e))?;
        self.durable.fetch_max(seq, Ordering::AcqRel);
        Ok(())
    }

    fn tree(&self) -> parking_lot::RwLockReadGuard<'_, Tree> {
        self.tree.read()
    }

    fn durable_size(&self) -> u64 {
        // The tree may lag the head by an append in flight: never more than it holds.
        let tree = self.tree.read().size();
        self.durable.load(Ordering::Acquire).min(tree)
    }

    fn entry(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        if seq == 0 || seq > self.head_seq() {
            return Ok(None);
        }
        self.log.get(seq)
    }

    fn named(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.log.meta(name)
    }

    fn set_named(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.log.set_meta(name, value)
    }

    fn init_named(&self, name: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.log.init_meta(name, value)
    }

    fn subject_events(&self, id: NodeId) -> Result<Vec<Event>, StoreError> {
        let mut out = Vec::new();
        if let Some(ev) = self.creating_event(id)? {
            out.push(ev);
        }
        let touched = self.world.read().touched(id).to_vec();
        for seq in touched {
            if let Some(body) = self.log.event_bytes(seq)? {
                out.push(codec::decode(&body)?);
            }
        }
        Ok(out)
    }

    fn events(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        self.log.scan(after.saturating_add(1), &mut |seq, raw| {
            out.push(decode(seq, raw)?);
            Ok(out.len() < limit)
        })?;
        Ok(out)
    }

    fn stats(&self) -> StoreStats {
        let head = self.head.lock();
        let w = self.world.read();
        StoreStats {
            events: head.seq,
            nodes: w.len() as u64,
            edges: w.edge_count(),
            graph_bytes: w.heap_bytes() as u64,
            head_hash: event::hex(&head.hash),
        }
    }

    fn head_seq(&self) -> u64 {
        self.head.lock().seq
    }

    fn catch_up(&self) -> Result<u64, StoreError> {
        if !self.log.shared() {
            return Ok(self.head_seq());
        }
        Ledger::catch_up(self)
    }

    fn recover(&self) -> Result<bool, StoreError> {
        Ledger::recover(self)
    }

    fn release(&self) {
        let _head = self.head.lock();
        self.log.release();
    }

    fn writers_waiting(&self, n: usize) {
        self.log.writers_waiting(n);
    }

    fn failure(&self) -> Option<Failure> {
        if !self.stopped.load(Ordering::Acquire) {
            return None;
        }
        self.failure.lock().clone()
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        self.verify_all()
    }
}
