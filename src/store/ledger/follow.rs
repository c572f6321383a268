//! Following a shared log: taking in the events other nodes appended (their hash chain
//! checked), and serving again after a passing failure of the log.

use super::{entry_hash, Head, Ledger, TAIL_CHECK};
use crate::core::codec;
use crate::core::event::{self, Event, Hash, GENESIS};
use crate::store::log::EventLog;
use crate::store::{Store, StoreError};
use std::sync::atomic::Ordering;

/// Events taken in at a time when catching up with other writers (readers wait at most
/// for one batch).
const CATCH_UP_BATCH: usize = 10_000;
/// An entry another writer appended, read and decoded.
struct Foreign {
    seq: u64,
    hash: Hash,
    body: Vec<u8>,
    event: Event,
}

impl<L: EventLog> Ledger<L> {
    /// Takes in the events other writers appended to a shared log after this node's head
    /// (their hash chain checked), and returns the new head.
    pub fn catch_up(&self) -> Result<u64, StoreError> {
        loop {
            let from = self.head.lock().seq;
            if let Some(f) = self.failure() {
                return Err(StoreError::Failed(f));
            }
            // Read first, lock only to take the entries in: this node's writers are not
            // held up by a round trip that most often finds nothing new.
            let batch = self.read_after(from)?;
            let n = batch.len();
            if n == 0 {
                return Ok(from);
            }
            let mut head = self.head.lock();
            self.take_in(&mut head, batch)?;
            if n < CATCH_UP_BATCH {
                return Ok(head.seq);
            }
        }
    }

    pub(super) fn catch_up_locked(&self, head: &mut Head) -> Result<u64, StoreError> {
        loop {
            let batch = self.read_after(head.seq)?;
            let n = batch.len();
            self.take_in(head, batch)?;
            if n < CATCH_UP_BATCH {
                return Ok(head.seq);
            }
        }
    }

    /// Up to [`CATCH_UP_BATCH`] entries after `seq`, decoded (read without any lock: the
    /// log is shared and may be a database a round trip away).
    fn read_after(&self, seq: u64) -> Result<Vec<Foreign>, StoreError> {
        let mut batch = Vec::new();
        let mut last = seq;
        self.log
            .scan(seq + 1, &mut |seq, raw| {
                let entry = crate::store::log::split(seq, raw)?;
                if seq != last + 1 {
                    return Err(StoreError::Corrupt(format!(
                        "event {seq} follows event {last}: the shared log has a gap"
                    )));
                }
                let event = codec::decode::<Event>(entry.body)?;
                batch.push(Foreign {
                    seq,
                    hash: entry.hash,
                    body: entry.body.to_vec(),
                    event,
                });
                last = seq;
                Ok(batch.len() < CATCH_UP_BATCH)
            })
            .map_err(|e| match e {
                e @ StoreError::Unavailable(_) => e,
                e => self.stop(e),
            })?;
        Ok(batch)
    }

    /// Applies the entries of `batch` that follow `head` (others took some in first),
    /// each checked on the hash chain.
    fn take_in(&self, head: &mut Head, batch: Vec<Foreign>) -> Result<(), StoreError> {
        let mut w = None;
        for Foreign {
            seq,
            hash,
            body,
            event: ev,
        } in batch
        {
            if seq <= head.seq {
                continue;
            }
            if seq != head.seq + 1 {
                return Err(self.stop(StoreError::Corrupt(format!(
                    "event {seq} follows event {}: the shared log has a gap",
                    head.seq
                ))));
            }
            if event::chain_hash(&head.hash, &body) != hash {
                return Err(self.stop(StoreError::Corrupt(format!(
                    "event {seq} does not follow this node's event {} on the hash chain",
                    head.seq
                ))));
            }
            // It applied on the node that appended it; if it does not here, the two
            // worlds differ and this one must not serve.
            let world = w.get_or_insert_with(|| self.world.write());
            world.apply(&ev).map_err(|e| {
                self.stop(StoreError::Corrupt(format!(
                    "event {seq} of another node does not apply here: {e}"
                )))
            })?;
            self.tree.write().push(super::entry_leaf_hash(&hash, &body));
            (head.seq, head.hash) = (seq, hash);
        }
        // Another node's events are committed in the shared log: durable.
        self.durable.fetch_max(head.seq, Ordering::AcqRel);
        Ok(())
    }

    /// After a passing failure of a recoverable log (a database that restarted): reloads
    /// the world from what the log holds (snapshot and events after it, the tail's chain
    /// checked) and serves again. `false` if the log is not recoverable or the ledger is
    /// not stopped.
    pub fn recover(&self) -> Result<bool, StoreError> {
        if !self.log.recoverable() || !self.stopped.load(Ordering::Acquire) {
            return Ok(false);
        }
        let mut head = self.head.lock();
        self.log.reset()?;
        let (seq, hash) = match self.log.last()? {
            Some((seq, raw)) => (seq, entry_hash(seq, &raw)?),
            None => (0, GENESIS),
        };
        (head.seq, head.hash) = (seq, hash);
        drop(head);
        self.check_tail(TAIL_CHECK)?;
        self.load_world(seq, true)?;
        *self.failure.lock() = None;
        self.stopped.store(false, Ordering::Release);
        tracing::warn!(seq, "store recovered: the world was reloaded from the log");
        Ok(true)
    }
}
