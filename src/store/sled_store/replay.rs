//! Reading the log back: `verify`, `reindex` and the events of one record.

use super::*;

impl SledStore {
    /// Writes the resident world as the snapshot (`boardtrail reindex`, on a store opened
    /// without its snapshot, i.e. from a replay of the whole log: the way back from a damaged
    /// or lost snapshot). Atomic: the snapshot file is replaced only once the new one is
    /// complete. Returns the number of events the snapshot covers.
    pub fn reindex(&self) -> Result<u64, StoreError> {
        self.save_snapshot()
    }

    /// `Store::subject_events`.
    pub(super) fn events_of(&self, id: NodeId) -> Result<Vec<Event>, StoreError> {
        let decode_at = |seq: u64| -> Result<Option<Event>, StoreError> {
            match self.log.get(seq.to_be_bytes())? {
                Some(v) => {
                    let entry = event::split_entry(&v)
                        .ok_or_else(|| StoreError::Corrupt("short log entry".into()))?;
                    Ok(Some(codec::decode(entry.body)?))
                }
                None => Ok(None),
            }
        };
        let mut out = Vec::new();
        // The creating event: ids grow with seq, so binary-search the log, stepping over
        // events that create nothing.
        let (mut lo, mut hi) = (1u64, self.head.lock().seq);
        while lo <= hi {
            let mid = lo + (hi - lo) / 2;
            let mut probe = mid;
            let mut found = None;
            while probe <= hi {
                let Some(ev) = decode_at(probe)? else { break };
                if let Some(r) = crate::core::world::created_range(&ev) {
                    found = Some((probe, r, ev));
                    break;
                }
                probe += 1;
            }
            match found {
                None => hi = mid.saturating_sub(1),
                Some((_, (first, _), _)) if id < first => hi = mid.saturating_sub(1),
                Some((p, (_, end), _)) if id >= end => lo = p + 1,
                Some((_, _, ev)) => {
                    out.push(ev);
                    break;
                }
            }
            if hi == 0 {
                break;
            }
        }
        // Events that changed it since.
        let touched = self.mem.read().touched(id).to_vec();
        for seq in touched {
            if let Some(ev) = decode_at(seq)? {
                out.push(ev);
            }
        }
        Ok(out)
    }

    /// Checks the snapshot on disk against a replay of the log up to its event.
    fn verify_snapshot(&self, report: &mut VerifyReport) -> Result<(), StoreError> {
        let path = self.snapshot_path();
        let snap = match snapshot::load(&path) {
            Ok(Some(s)) => s,
            Ok(None) => return Ok(()),
            Err(e) => {
                report.problems.push(format!(
                    "{}: {e} (run `boardtrail reindex`)",
                    path.display()
                ));
                return Ok(());
            }
        };
        let mut world = World::default();
        for item in self.log.range(..=snap.seq.to_be_bytes()) {
            let (_, v) = item?;
            if let Some(entry) = event::split_entry(&v) {
                world.apply(&codec::decode::<Event>(entry.body)?)?;
            }
        }
        if self.hash_at(snap.seq)? != Some(snap.hash) || world.digest() != snap.world.digest() {
            report.problems.push(format!(
                "{} (event {}) differs from a replay of the log (run `boardtrail reindex`)",
                path.display(),
                snap.seq
            ));
        }
        Ok(())
    }

    /// `Store::verify`: the whole chain, the resident state and the snapshot against a
    /// replay.
    pub(super) fn verify_log(&self) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport::default();
        let mut prev = GENESIS;
        // The log replayed into a fresh world: the projection must equal it.
        let mut replay = World::default();
        for item in self.log.iter() {
            let (k, v) = item?;
            let seq = u64::from_be_bytes(
                k.as_ref()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("log key has the wrong length".into()))?,
            );
            report.events += 1;
            if seq != report.events {
                report
                    .problems
                    .push(format!("event {} is stored under seq {seq}", report.events));
            }
            let Some(entry) = event::split_entry(&v) else {
                report.problems.push(format!("event {seq} is truncated"));
                continue;
            };
            if entry.prev != prev {
                report.problems.push(format!(
                    "event {seq} does not link to the previous event's hash"
                ));
            }
            if event::chain_hash(&entry.prev, entry.body) != entry.hash {
                report
                    .problems
                    .push(format!("event {seq} does not match its hash"));
            }
            prev = entry.hash;
            match codec::decode::<Event>(entry.body) {
                Ok(ev) => {
                    if ev.seq != seq {
                        report
                            .problems
                            .push(format!("event {seq} says it is event {}", ev.seq));
                    }
                    if let Err(e) = replay.apply(&ev) {
                        report.problems.push(format!("event {seq}: {e}"));
                    }
                }
                Err(e) => report
                    .problems
                    .push(format!("event {seq} cannot be decoded: {e}")),
            }
        }
        let head = self.head.lock();
        if head.seq != report.events || head.hash != prev {
            report.problems.push(format!(
                "head says event {} / {} but the log ends at {} / {}",
                head.seq,
                event::hex(&head.hash),
                report.events,
                event::hex(&prev)
            ));
        }
        drop(head);
        report.records = replay.record_ids().count() as u64;
        // The resident world (a snapshot and the log after it) must be that replay.
        if report.problems.is_empty() && self.mem.read().digest() != replay.digest() {
            report.problems.push(
                "the resident state differs from a replay of the log (run `boardtrail reindex`)"
                    .into(),
            );
        }
        // And so must the snapshot on disk, as of its event.
        if report.problems.is_empty() {
            self.verify_snapshot(&mut report)?;
        }
        report.head_hash = event::hex(&prev);
        Ok(report)
    }
}
