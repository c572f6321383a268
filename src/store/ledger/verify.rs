//! Reading the log back: `verify` and the event that created a record.

use super::*;

impl<L: EventLog> Ledger<L> {
    /// `Store::verify`: the whole chain, then the resident world and the snapshot against a
    /// replay of the log.
    pub(super) fn verify_all(&self) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport::default();
        let mut prev = GENESIS;
        let mut replay = World::default();
        // The snapshot, and the replay's digest at its event.
        let snap = match self.log.load_snapshot() {
            Ok(s) => s,
            Err(e) => {
                report
                    .problems
                    .push(format!("{e} (run `boardtrail reindex`)"));
                None
            }
        };
        let mut at_snapshot = None;
        // The Merkle tree, rebuilt from the stored bytes.
        let mut tree = crate::tlog::merkle::Tree::new();
        if snap.as_ref().is_some_and(|s| s.seq == 0) {
            at_snapshot = Some(replay.digest());
        }
        self.log.scan(1, &mut |seq, raw| {
            report.events += 1;
            tree.push(crate::tlog::hash::leaf_hash(raw));
            if seq != report.events {
                report
                    .problems
                    .push(format!("event {} is stored under seq {seq}", report.events));
            }
            let Some(entry) = event::split_entry(raw) else {
                report.problems.push(format!("event {seq} is truncated"));
                return Ok(true);
            };
            if event::chain_hash(&prev, entry.body) != entry.hash {
                report.problems.push(format!(
                    "{} does not match its hash (changed, or not linked to the previous event)",
                    self.changed_at(seq)
                ));
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
            if let Some(s) = &snap {
                if s.seq == seq {
                    if s.hash != entry.hash {
                        report.problems.push(format!(
                            "the snapshot names event {seq} with another hash (run `boardtrail reindex`)"
                        ));
                    }
                    at_snapshot = Some(replay.digest());
                }
            }
            Ok(true)
        })?;
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
        report.tree_root = crate::tlog::hash::b64(&tree.root());
        if self.tree.read().root() != tree.root() {
            report
                .problems
                .push("the resident Merkle tree differs from the one rebuilt from the log".into());
        }
        if let Some(s) = &snap {
            let kept = s.tree.leaf_hashes();
            let rebuilt = tree.leaf_hashes().get(..kept.len());
            if let Some(i) = rebuilt.and_then(|r| r.iter().zip(kept).position(|(a, b)| a != b)) {
                report.problems.push(format!(
                    "the snapshot's Merkle leaf of event {} differs from the log's (run `boardtrail reindex`)",
                    i + 1
                ));
            }
        }
        if report.problems.is_empty() && self.world.read().digest() != replay.digest() {
            report.problems.push(
                "the resident state differs from a replay of the log (run `boardtrail reindex`)"
                    .into(),
            );
        }
        if let Some(s) = &snap {
            match at_snapshot {
                None => report.problems.push(format!(
                    "the snapshot names event {}, which the log does not hold",
                    s.seq
                )),
                Some(d) if d != s.world.digest() => report.problems.push(format!(
                    "the snapshot (event {}) differs from a replay of the log (run `boardtrail reindex`)",
                    s.seq
                )),
                Some(_) => {}
            }
        }
        report.head_hash = event::hex(&prev);
        Ok(report)
    }

    /// The event that created `id` (for a unit: its batch's): ids grow with seq, so a
    /// binary search of the log, stepping over events that create nothing.
    pub(super) fn creating_event(&self, id: NodeId) -> Result<Option<Event>, StoreError> {
        let decode_at = |seq: u64| -> Result<Option<Event>, StoreError> {
            match self.log.event_bytes(seq)? {
                Some(body) => Ok(Some(codec::decode(&body)?)),
                None => Ok(None),
            }
        };
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
                Some((_, _, ev)) => return Ok(Some(ev)),
            }
            if hi == 0 {
                break;
            }
        }
        Ok(None)
    }
}
