//! The in-memory backend: the same hash-chained log and [`World`] as the sled backend, kept
//! in memory, with storage faults that tests inject. A "crash" keeps only what was made
//! durable ([`MemStore::crash`]), so a simulation can check that replay after a crash gives
//! back exactly the acknowledged state.

use super::{Committed, Failure, Store, StoreError, StoreStats, VerifyReport};
use crate::codec;
use crate::core::World;
use crate::domain::NodeId;
use crate::event::{self, Actor, Event, EventBody, Hash, GENESIS};
use parking_lot::{Mutex, RwLock};
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

#[derive(Default)]
struct Log {
    entries: Vec<Vec<u8>>,
    head: (u64, Hash),
    /// Events up to this seq survive a crash.
    durable: u64,
    idem: HashMap<Vec<u8>, (u64, Vec<u8>)>,
    fingerprints: HashMap<String, [u8; 16]>,
    fault: Option<Fault>,
    failure: Option<Failure>,
}

/// See the module documentation.
pub struct MemStore {
    id_key: [u8; 32],
    log: Mutex<Log>,
    world: RwLock<World>,
}

impl MemStore {
    pub fn new(id_key: [u8; 32]) -> MemStore {
        MemStore {
            id_key,
            log: Mutex::new(Log {
                head: (0, GENESIS),
                ..Log::default()
            }),
            world: RwLock::new(World::default()),
        }
    }

    /// Makes the next append or sync fail.
    pub fn inject(&self, fault: Fault) {
        self.log.lock().fault = Some(fault);
    }

    /// The store as it comes back after a crash: the durable events only (and the answers
    /// recorded with them), replayed into a new world.
    pub fn crash(&self) -> Result<MemStore, StoreError> {
        let log = self.log.lock();
        let kept = &log.entries[..log.durable as usize];
        let fresh = MemStore::new(self.id_key);
        {
            let mut l = fresh.log.lock();
            let mut w = fresh.world.write();
            for raw in kept {
                let entry = event::split_entry(raw)
                    .ok_or_else(|| StoreError::Corrupt("short log entry".into()))?;
                let ev: Event = codec::decode(entry.body)?;
                w.apply(&ev)?;
                l.head = (ev.seq, entry.hash);
                l.entries.push(raw.clone());
            }
            l.durable = l.head.0;
            l.idem = log
                .idem
                .iter()
                .filter(|(_, (seq, _))| *seq <= log.durable)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            l.fingerprints = log.fingerprints.clone();
        }
        Ok(fresh)
    }

    /// The resident state's digest (see [`World::digest`]).
    pub fn digest(&self) -> [u8; 32] {
        self.world.read().digest()
    }

    /// Reads the resident state.
    pub fn with_world<T>(&self, f: impl FnOnce(&World) -> T) -> T {
        f(&self.world.read())
    }

    fn stop(log: &mut Log, reason: &str, disk_full: bool) -> StoreError {
        let f = log
            .failure
            .get_or_insert(Failure {
                reason: reason.to_string(),
                disk_full,
            })
            .clone();
        StoreError::Failed(f)
    }

    fn decode_at(log: &Log, seq: u64) -> Result<Event, StoreError> {
        let raw = log
            .entries
            .get(seq as usize - 1)
            .ok_or_else(|| StoreError::Corrupt(format!("no event {seq}")))?;
        let entry =
            event::split_entry(raw).ok_or_else(|| StoreError::Corrupt("short log entry".into()))?;
        Ok(codec::decode(entry.body)?)
    }
}

impl Store for MemStore {
    fn world(&self) -> parking_lot::RwLockReadGuard<'_, World> {
        self.world.read()
    }

    fn id_key(&self) -> [u8; 32] {
        self.id_key
    }

    fn secret_fingerprint(&self, name: &str) -> Result<Option<[u8; 16]>, StoreError> {
        Ok(self.log.lock().fingerprints.get(name).copied())
    }

    fn record_secret_fingerprint(&self, name: &str, fp: [u8; 16]) -> Result<(), StoreError> {
        self.log.lock().fingerprints.insert(name.to_string(), fp);
        Ok(())
    }

    fn idempotent(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.log.lock().idem.get(key).map(|(_, v)| v.clone()))
    }

    fn append_with(
        &self,
        at: i64,
        actor: Actor,
        body: EventBody,
        answer: Option<(Vec<u8>, Vec<u8>)>,
    ) -> Result<Committed, StoreError> {
        let mut log = self.log.lock();
        if let Some(f) = &log.failure {
            return Err(StoreError::Failed(f.clone()));
        }
        if log.fault == Some(Fault::Append) {
            log.fault = None;
            return Err(Self::stop(&mut log, "injected append failure", false));
        }
        let seq = log.head.0 + 1;
        let ev = Event {
            seq,
            at,
            actor,
            body,
        };
        let (entry, hash) = event::seal(&log.head.1, &ev)?;
        let projection = self.world.read().project(&ev)?;
        self.world.write().commit(&ev, &projection.puts);
        log.entries.push(entry);
        log.head = (seq, hash);
        if let Some((k, v)) = answer {
            log.idem.insert(k, (seq, v));
        }
        Ok(Committed { seq, hash })
    }

    fn begin_bulk(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn end_bulk(&self) -> Result<(), StoreError> {
        let mut log = self.log.lock();
        log.durable = log.head.0;
        Ok(())
    }

    fn sync(&self, seq: u64) -> Result<(), StoreError> {
        let mut log = self.log.lock();
        if let Some(f) = &log.failure {
            return Err(StoreError::Failed(f.clone()));
        }
        match log.fault.take() {
            Some(Fault::Sync) => return Err(Self::stop(&mut log, "injected sync failure", false)),
            Some(Fault::DiskFull) => return Err(Self::stop(&mut log, "injected full disk", true)),
            other => log.fault = other,
        }
        log.durable = log.durable.max(seq.min(log.head.0));
        Ok(())
    }

    fn subject_events(&self, id: NodeId) -> Result<Vec<Event>, StoreError> {
        let log = self.log.lock();
        let mut out = Vec::new();
        for seq in 1..=log.head.0 {
            let ev = Self::decode_at(&log, seq)?;
            if crate::core::world::created_range(&ev).is_some_and(|(a, b)| (a..b).contains(&id)) {
                out.push(ev);
                break;
            }
        }
        let touched = self.world.read().touched(id).to_vec();
        for seq in touched {
            out.push(Self::decode_at(&log, seq)?);
        }
        Ok(out)
    }

    fn events(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        let log = self.log.lock();
        (after + 1..=log.head.0)
            .take(limit)
            .map(|s| Self::decode_at(&log, s))
            .collect()
    }

    fn stats(&self) -> StoreStats {
        let log = self.log.lock();
        let w = self.world.read();
        StoreStats {
            events: log.head.0,
            nodes: w.len() as u64,
            edges: w.edge_count(),
            graph_bytes: w.heap_bytes() as u64,
            head_hash: event::hex(&log.head.1),
        }
    }

    fn failure(&self) -> Option<Failure> {
        self.log.lock().failure.clone()
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        let log = self.log.lock();
        let mut report = VerifyReport::default();
        let mut prev = GENESIS;
        let mut replay = World::default();
        for (i, raw) in log.entries.iter().enumerate() {
            report.events += 1;
            let Some(entry) = event::split_entry(raw) else {
                report
                    .problems
                    .push(format!("event {} is truncated", i + 1));
                continue;
            };
            if entry.prev != prev || event::chain_hash(&entry.prev, entry.body) != entry.hash {
                report
                    .problems
                    .push(format!("event {} breaks the hash chain", i + 1));
            }
            prev = entry.hash;
            let ev: Event = codec::decode(entry.body)?;
            if let Err(e) = replay.apply(&ev) {
                report.problems.push(format!("event {}: {e}", i + 1));
            }
        }
        report.records = replay.record_ids().count() as u64;
        if replay.digest() != self.world.read().digest() {
            report
                .problems
                .push("the resident state differs from a replay of the log".into());
        }
        report.head_hash = event::hex(&prev);
        Ok(report)
    }
}
