//! Reading the log back: `verify`, `reindex` and the events of one record.

use super::*;

impl SledStore {
    /// Drops the projection and replays the whole log into it (`boardtrail reindex`).
    /// Returns the number of events replayed.
    pub fn reindex(&self) -> Result<u64, StoreError> {
        // Atomic as seen from outside: the mark is durable before anything is cleared and is
        // removed only once the rebuilt projection is; a store opened with the mark still set
        // (an interrupted reindex) runs it again before serving.
        self.meta_tree.insert(REINDEX_MARK, &[1u8])?;
        self.db.flush()?;
        self.sync_file()?;
        self.nodes.clear()?;
        self.keys.clear()?;
        self.touch.clear()?;
        let mut n = 0;
        let mut world = World::default();
        for item in self.log.iter() {
            let (_, v) = item?;
            let entry = event::split_entry(&v)
                .ok_or_else(|| StoreError::Corrupt("short log entry".into()))?;
            let ev: Event = codec::decode(entry.body)?;
            let p = world.apply(&ev)?;
            for k in touch_keys(&ev, &p.puts) {
                self.touch.insert(k, &[])?;
            }
            for (k, id) in p.keys {
                self.keys.insert(k, &id.to_be_bytes())?;
            }
            for (id, r) in p.puts {
                self.nodes.insert(id.to_be_bytes(), codec::encode(&r)?)?;
            }
            n += 1;
        }
        self.db.flush()?;
        self.sync_file()?;
        self.meta_tree.remove(REINDEX_MARK)?;
        self.db.flush()?;
        self.sync_file()?;
        self.rebuild()?;
        Ok(n)
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
        for item in self.touch.scan_prefix(id.to_be_bytes()) {
            let (k, _) = item?;
            let seq = u64::from_be_bytes(
                k[4..]
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("touch key".into()))?,
            );
            if let Some(ev) = decode_at(seq)? {
                out.push(ev);
            }
        }
        Ok(out)
    }

    /// `Store::verify`: the whole chain, the projection against a replay, the resident state.
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
        // The projection must equal a replay of the log.
        let mut seen = std::collections::HashSet::new();
        for item in self.nodes.iter() {
            let (k, v) = item?;
            let id = id_from_bytes(&k)?;
            report.records += 1;
            seen.insert(id);
            match replay.record(id) {
                Some(r) => {
                    if codec::encode(&**r)? != v.as_ref() {
                        report.problems.push(format!(
                            "record {id} differs from the log's replay (run `boardtrail reindex`)"
                        ));
                    }
                }
                None => report
                    .problems
                    .push(format!("record {id} is not backed by any event")),
            }
        }
        for id in replay.record_ids().filter(|i| !seen.contains(i)).take(20) {
            report.problems.push(format!(
                "record {id} is in the log but missing from the projection"
            ));
        }
        // And the resident world must be that replay.
        if report.problems.is_empty() && self.mem.read().digest() != replay.digest() {
            report
                .problems
                .push("the resident state differs from a replay of the log".into());
        }
        report.head_hash = event::hex(&prev);
        Ok(report)
    }
}
