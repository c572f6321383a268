//! The in-memory backend: an [`EventLog`] in a `Vec`, with storage faults that tests inject.
//! A "crash" keeps only what was made durable ([`MemStore::crash`]), so a simulation can
//! check that replay after a crash gives back exactly the acknowledged state.

use super::ledger::Ledger;
use super::log::{AnswerVisit, EventLog, Visit};
use super::snapshot::{self, Snapshot};
use super::StoreError;
use crate::core::event::Hash;
use crate::core::World;
use crate::tlog::merkle::Tree;
use parking_lot::Mutex;
use std::collections::HashMap;

/// A storage fault to inject into the next append or sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The next append fails before anything is written.
    Append,
    /// The next sync fails: what was appended since the last sync is not durable.
    Sync,
    /// Like [`Fault::Sync`], reported as a full device.
    DiskFull,
}

/// The ledger over the in-memory log.
pub type MemStore = Ledger<MemLog>;

#[derive(Default)]
struct Inner {
    entries: Vec<Vec<u8>>,
    /// Entries up to this seq survive a crash.
    durable: u64,
    idem: HashMap<Vec<u8>, (u64, Vec<u8>)>,
    meta: HashMap<String, Vec<u8>>,
    /// The saved snapshot, encoded as on disk, and the event it was taken at.
    snapshot: Option<(u64, Vec<u8>)>,
    fault: Option<Fault>,
}

/// See the module documentation.
#[derive(Default)]
pub struct MemLog {
    inner: Mutex<Inner>,
}

fn injected(what: &str, disk_full: bool) -> StoreError {
    StoreError::Io(if disk_full {
        std::io::Error::from_raw_os_error(28)
    } else {
        std::io::Error::other(format!("injected {what} failure"))
    })
}

impl MemLog {
    /// The log as it comes back after a crash: the durable entries only (and the answers
    /// recorded with them, the named values and the snapshot).
    pub fn crashed(&self) -> MemLog {
        let i = self.inner.lock();
        let durable = i.durable;
        MemLog {
            inner: Mutex::new(Inner {
                entries: i.entries[..durable as usize].to_vec(),
                durable,
                idem: i
                    .idem
                    .iter()
                    .filter(|(_, (seq, _))| *seq <= durable)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                meta: i.meta.clone(),
                snapshot: i.snapshot.clone().filter(|(seq, _)| *seq <= durable),
                fault: None,
            }),
        }
    }
}

impl Ledger<MemLog> {
    /// An empty in-memory store whose ids are keyed with `id_key`.
    pub fn new(id_key: [u8; 32]) -> MemStore {
        let log = MemLog::default();
        log.inner
            .lock()
            .meta
            .insert("id_key".into(), id_key.to_vec());
        // An empty log with its id key holds nothing that could fail to open.
        Ledger::over(log, true).unwrap_or_else(|e| unreachable!("an empty log opens: {e}"))
    }

    /// Makes the next append or sync fail.
    pub fn inject(&self, fault: Fault) {
        self.log().inner.lock().fault = Some(fault);
    }

    /// The store as it comes back after a crash: the durable events only, replayed into a
    /// new world (from the snapshot, if one was saved).
    pub fn crash(&self) -> Result<MemStore, StoreError> {
        Ledger::over(self.log().crashed(), true)
    }

    /// The resident state's digest (see [`World::digest`]) with the Merkle tree's size and root.
    pub fn digest(&self) -> [u8; 32] {
        // The world and the Merkle tree over the log: a replay must give back both.
        let mut h = blake3::Hasher::new();
        h.update(&super::Store::world(self).digest());
        let tree = super::Store::tree(self);
        h.update(&tree.size().to_be_bytes());
        h.update(&tree.root());
        *h.finalize().as_bytes()
    }

    /// Reads the resident state.
    pub fn with_world<T>(&self, f: impl FnOnce(&World) -> T) -> T {
        f(&super::Store::world(self))
    }
}

impl EventLog for MemLog {
    fn last(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let i = self.inner.lock();
        Ok(i.entries
            .last()
            .map(|e| (i.entries.len() as u64, e.clone())))
    }

    fn append(
        &self,
        seq: u64,
        _prev: &Hash,
        entry: Vec<u8>,
        answer: Option<(&[u8], &[u8])>,
    ) -> Result<(), StoreError> {
        let mut i = self.inner.lock();
        if i.fault == Some(Fault::Append) {
            i.fault = None;
            return Err(injected("append", false));
        }
        let head = i.entries.len() as u64;
        if head + 1 != seq {
            return Err(StoreError::HeadMoved {
                expected: seq - 1,
                head,
            });
        }
        i.entries.push(entry);
        if let Some((k, v)) = answer {
            i.idem.insert(k.to_vec(), (seq, v.to_vec()));
        }
        Ok(())
    }

    fn sync(&self, seq: u64) -> Result<(), StoreError> {
        let mut i = self.inner.lock();
        match i.fault.take() {
            Some(Fault::Sync) => return Err(injected("sync", false)),
            Some(Fault::DiskFull) => return Err(injected("sync", true)),
            other => i.fault = other,
        }
        i.durable = i.durable.max(seq.min(i.entries.len() as u64));
        Ok(())
    }

    fn sync_all(&self) -> Result<(), StoreError> {
        let mut i = self.inner.lock();
        i.durable = i.entries.len() as u64;
        Ok(())
    }

    fn get(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let i = self.inner.lock();
        Ok(seq
            .checked_sub(1)
            .and_then(|n| i.entries.get(n as usize))
            .cloned())
    }

    fn scan(&self, from: u64, f: &mut Visit<'_>) -> Result<(), StoreError> {
        let i = self.inner.lock();
        for (n, e) in i
            .entries
            .iter()
            .enumerate()
            .skip(from.saturating_sub(1) as usize)
        {
            if !f(n as u64 + 1, e)? {
                break;
            }
        }
        Ok(())
    }

    fn answer(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.inner.lock().idem.get(key).map(|(_, v)| v.clone()))
    }

    fn each_answer(&self, f: &mut AnswerVisit<'_>) -> Result<(), StoreError> {
        let answers: Vec<_> = self
            .inner
            .lock()
            .idem
            .iter()
            .map(|(k, (_, v))| (k.clone(), v.clone()))
            .collect();
        for (k, v) in answers {
            f(&k, &v)?;
        }
        Ok(())
    }

    fn import_answer(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.inner
            .lock()
            .idem
            .insert(key.to_vec(), (0, value.to_vec()));
        Ok(())
    }

    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.inner.lock().meta.get(name).cloned())
    }

    fn set_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.inner
            .lock()
            .meta
            .insert(name.to_string(), value.to_vec());
        Ok(())
    }

    fn save_snapshot(
        &self,
        seq: u64,
        hash: &Hash,
        world: &World,
        tree: &Tree,
    ) -> Result<(), StoreError> {
        let mut out = std::io::Cursor::new(Vec::new());
        snapshot::encode(&mut out, seq, hash, world, tree)
            .map_err(|e| StoreError::Snapshot(e.to_string()))?;
        self.inner.lock().snapshot = Some((seq, out.into_inner()));
        Ok(())
    }

    fn load_snapshot(&self) -> Result<Option<Snapshot>, StoreError> {
        let snap = self.inner.lock().snapshot.clone();
        match snap {
            None => Ok(None),
            Some((_, bytes)) => snapshot::decode(&bytes)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("the snapshot: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::event::GENESIS;

    #[test]
    fn an_append_after_another_head_is_refused_and_changes_nothing() {
        let log = MemLog::default();
        log.append(1, &GENESIS, vec![1; 64], None).unwrap();
        for seq in [1, 3] {
            assert!(matches!(
                log.append(seq, &GENESIS, vec![2; 64], Some((b"k", b"v"))),
                Err(StoreError::HeadMoved { head: 1, .. })
            ));
        }
        assert_eq!(log.last().unwrap().map(|(s, _)| s), Some(1));
        assert_eq!(log.answer(b"k").unwrap(), None);
        // Only what was synced survives a crash.
        log.append(2, &GENESIS, vec![3; 64], None).unwrap();
        log.sync(1).unwrap();
        assert_eq!(log.crashed().last().unwrap().map(|(s, _)| s), Some(1));
    }

    #[test]
    fn an_event_too_large_for_a_log_entry_is_refused_and_not_visible() {
        use crate::core::event::{Actor, EventBody};
        use crate::store::Store;
        let store = MemStore::new([3u8; 32]);
        let actor = |n: usize| Actor {
            party: None,
            key: "k".repeat(n),
        };
        let body = || EventBody::KeyRevoked {
            key: crate::core::domain::Id::new(0),
        };
        let err = store.append(1, actor(70_000), body()).expect_err("refused");
        assert!(
            matches!(err, StoreError::EntryTooLarge { max: 65_535, .. }),
            "{err}"
        );
        assert_eq!(store.head_seq(), 0);
        assert_eq!(store.tree().size(), 0);
        assert!(store.failure().is_none(), "a refused event stops nothing");
    }

    #[test]
    fn a_log_of_another_entry_format_is_refused_by_name() {
        let log = MemLog::default();
        log.set_meta("id_key", &[1u8; 32]).unwrap();
        log.append(1, &GENESIS, vec![0; 80], None).unwrap();
        let err = Ledger::over(log, true).err().expect("refused");
        assert!(err.to_string().contains("entry format 1"), "{err}");
        // A new log is marked with the format it is written in.
        let fresh = MemStore::new([2u8; 32]);
        assert_eq!(
            fresh.log().meta("log_format").unwrap().as_deref(),
            Some(&b"2"[..])
        );
    }
}
