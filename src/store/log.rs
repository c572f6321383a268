//! The narrow trait a storage backend implements: an ordered, durable log of sealed events
//! (see [`crate::core::event`]), a snapshot slot, the answers of idempotent writes and a few named
//! values. Everything else — the resident [`World`], deciding whether an event applies,
//! fail-stop, replay, verification — is the backend-independent [`super::Ledger`] on top.
//!
//! Entries are opaque bytes here (`hash ‖ encoded event`): a backend never decodes or
//! judges them, it keeps them in order and makes them durable.

use super::snapshot::Snapshot;
use super::StoreError;
use crate::core::event::Hash;
use crate::core::World;
use crate::tlog::merkle::Tree;

/// Entry `seq` split into its hash and encoded event (an error if it is too short for a
/// hash).
pub(crate) fn split(seq: u64, raw: &[u8]) -> Result<crate::core::event::Entry<'_>, StoreError> {
    crate::core::event::split_entry(raw)
        .ok_or_else(|| StoreError::Corrupt(format!("event {seq} is truncated")))
}

/// What [`EventLog::scan`] calls with each entry (`seq`, bytes); `false` stops the scan.
pub type Visit<'a> = dyn FnMut(u64, &[u8]) -> Result<bool, StoreError> + 'a;
/// What [`EventLog::each_answer`] calls with each answer (key, value).
pub type AnswerVisit<'a> = dyn FnMut(&[u8], &[u8]) -> Result<(), StoreError> + 'a;

pub trait EventLog: Send + Sync + 'static {
    /// The last entry, if any: `(seq, entry)`.
    fn last(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError>;
    /// Appends `entry` as event `seq`, only if the log's head is `seq - 1` with chain hash
    /// `prev` (otherwise [`StoreError::HeadMoved`]: another writer appended first). With
    /// `answer`, also records it (key, value) in the same atomic write; if another writer
    /// recorded an answer under that key first, nothing is appended (`HeadMoved`: the
    /// caller looks again). Not yet durable: see [`Self::sync`].
    fn append(
        &self,
        seq: u64,
        prev: &Hash,
        entry: Vec<u8>,
        answer: Option<(&[u8], &[u8])>,
    ) -> Result<(), StoreError>;
    /// Returns once every entry up to `seq` is durable (fdatasynced). Concurrent callers may
    /// share one flush. An error means the entries after the last successful sync may be
    /// lost: the ledger stops.
    fn sync(&self, seq: u64) -> Result<(), StoreError>;
    /// Makes everything appended so far durable (before a snapshot, at shutdown).
    fn sync_all(&self) -> Result<(), StoreError>;
    /// The entry of event `seq`.
    fn get(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// The encoded event `seq` without its hash (for reading events, not checking them:
    /// a backend that derives hashes need not).
    fn event_bytes(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        match self.get(seq)? {
            None => Ok(None),
            Some(raw) => Ok(Some(split(seq, &raw)?.body.to_vec())),
        }
    }
    /// Every how many entries the stored bytes carry a chain hash of their own (1: each).
    /// Elsewhere a reader derives it from the entries before; a changed event is then found
    /// at the next entry that carries one.
    fn hash_every(&self) -> u64 {
        1
    }
    /// Calls `f` with every entry from `from` on, in order, until it returns `false`.
    fn scan(&self, from: u64, f: &mut Visit<'_>) -> Result<(), StoreError>;
    /// The answer recorded under an idempotency key.
    fn answer(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Calls `f` with every recorded answer (key, value), to copy them to another log.
    fn each_answer(&self, f: &mut AnswerVisit<'_>) -> Result<(), StoreError>;
    /// Records an answer copied from another log (its event is already there).
    fn import_answer(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError>;
    /// A named value kept with the log (the id key, secrets' fingerprints).
    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Sets a named value, durably.
    fn set_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Sets a named value unless it is set, and returns the value kept: of several nodes
    /// starting on one new log, one sets it and all use it.
    fn init_meta(&self, name: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        match self.meta(name)? {
            Some(v) => Ok(v),
            None => {
                self.set_meta(name, value)?;
                Ok(value.to_vec())
            }
        }
    }
    /// Saves `world` (and the Merkle tree over events 1..=seq) as the snapshot taken at
    /// event `seq` with chain hash `hash`, replacing the previous one atomically. The caller
    /// has made every entry up to `seq` durable.
    fn save_snapshot(
        &self,
        seq: u64,
        hash: &Hash,
        world: &World,
        tree: &Tree,
    ) -> Result<(), StoreError>;
    /// The saved snapshot, if any (an error if it is damaged).
    fn load_snapshot(&self) -> Result<Option<Snapshot>, StoreError>;
    /// Other writers (other nodes) may append to this log: the ledger then catches up with
    /// them when an append finds the head moved, and a follower tails it.
    fn shared(&self) -> bool {
        false
    }
    /// A failure of this log can pass (a database that restarts): once it answers again,
    /// the ledger may [`Self::reset`] it and reload its world from it instead of staying
    /// stopped until a restart.
    fn recoverable(&self) -> bool {
        false
    }
    /// An append that found the head moved was not followed by another (the command no
    /// longer applied): let go of what the log held for it (a shared log's append lock).
    fn release(&self) {}
    /// How many other writes wait to be decided behind the next append (see
    /// [`crate::store::Store::writers_waiting`]).
    fn writers_waiting(&self, _n: usize) {}
    /// Forgets everything not durable and reconnects (see [`Self::recoverable`]).
    fn reset(&self) -> Result<(), StoreError> {
        Err(StoreError::Corrupt(
            "this log cannot be reset: restart the service".into(),
        ))
    }
    /// Waits until other writers may have appended (a shared log's notification) or
    /// `timeout` passes; `true` if told so. Nothing may depend on being told: a follower
    /// looks for new entries either way.
    fn wait_for_news(&self, timeout: std::time::Duration) -> Result<bool, StoreError> {
        std::thread::sleep(timeout);
        Ok(false)
    }
    /// A bulk import starts: appends may be staged and written in large chunks, and `sync`
    /// need not wait until [`Self::end_bulk`] made all of them durable.
    fn begin_bulk(&self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Writes what is staged and makes it durable.
    fn end_bulk(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
