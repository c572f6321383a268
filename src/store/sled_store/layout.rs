//! How a log entry (`hash ‖ event`, see [`crate::core::event`]) lies in sled's `log` tree.
//!
//! A chain hash is derived data: `hash(n) = chain_hash(hash(n - 1), event(n))`. Stored with
//! every event it is 32 of an entry's ~175 bytes (S = 1), and sled 0.34 keeps about 1.8 bytes
//! on disk for every byte it is given. So the compact layout stores the hash with every
//! [`ANCHOR_EVERY`]th event only (the *anchors*: seq a multiple of it) and the bare event
//! with the others; reads put the hash back by chaining from the anchor before them (at
//! most `ANCHOR_EVERY - 1` events, which sled keeps together in a leaf or two).
//!
//! What a reader gets is exactly the entry the ledger appended: the hash is recomputed from
//! the same bytes by the same rule, and an append whose hash does not chain is refused, so a
//! stored event and the entry read back cannot disagree. Damage is still found: a changed
//! event changes every hash after it up to the next anchor, whose stored hash then does not
//! match (the ledger's tail check, `verify`), or the head hash kept beside the store (the
//! head record). What is lost is only where exactly: `verify` names the anchor and the
//! events before it.
//!
//! Stores written before this layout hold the hash with every event: their `meta` tree has
//! no layout entry, and they are read with an anchor every event (`1`), unchanged. A new
//! store records [`ANCHOR_EVERY`] before its first event.

use super::*;
use crate::core::event;
use crate::store::log::split;

/// Every how many events the compact layout stores the chain hash (a power of two).
pub(crate) const ANCHOR_EVERY: u64 = 16;
/// The `meta` entry naming the layout: the anchor interval, u64 big-endian.
pub(super) const LAYOUT_KEY: &str = "log.anchor_every";

/// Which entries carry their hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    pub(super) every: u64,
}

impl Layout {
    /// The layout of an open log: as its `meta` names it; a log without the entry holds
    /// events of the earlier layout (a hash with each) if it has any, and is given the
    /// compact layout if it is empty.
    pub(super) fn of(meta: &sled::Tree, log: &sled::Tree) -> Result<Layout, StoreError> {
        if let Some(v) = meta.get(LAYOUT_KEY)? {
            let every = <[u8; 8]>::try_from(v.as_ref())
                .map(u64::from_be_bytes)
                .map_err(|_| StoreError::Corrupt("the log's layout entry is damaged".into()))?;
            if every == 0 || !every.is_power_of_two() || every > 1 << 16 {
                return Err(StoreError::Corrupt(format!(
                    "the log names an unknown layout (a hash every {every} events)"
                )));
            }
            return Ok(Layout { every });
        }
        let every = if log.is_empty() { ANCHOR_EVERY } else { 1 };
        meta.insert(LAYOUT_KEY, &every.to_be_bytes())?;
        // Durable before any event is written in it (the caller fdatasyncs sled's file).
        meta.flush()?;
        Ok(Layout { every })
    }

    pub(super) fn is_anchor(self, seq: u64) -> bool {
        seq.is_multiple_of(self.every)
    }

    /// The newest anchor before `seq` (0, the genesis, if there is none).
    fn anchor_before(self, seq: u64) -> u64 {
        let b = seq.saturating_sub(1);
        b - b % self.every
    }

    /// What is stored for entry `seq` (`hash ‖ event`, checked to chain from `prev`).
    pub(super) fn stored(
        self,
        seq: u64,
        prev: &Hash,
        mut entry: Vec<u8>,
    ) -> Result<Vec<u8>, StoreError> {
        let e = split(seq, &entry)?;
        if event::chain_hash(prev, e.body) != e.hash {
            return Err(StoreError::Corrupt(format!(
                "event {seq} does not chain from the head it was appended after"
            )));
        }
        if !self.is_anchor(seq) {
            entry.drain(..32);
        }
        Ok(entry)
    }

    /// Calls `f` with every entry from `from` on (`seq`, `hash ‖ event`), in order, until it
    /// returns `false`: the anchor before `from` and the events up to it are read first.
    pub(super) fn scan(
        self,
        log: &sled::Tree,
        from: u64,
        f: &mut Visit<'_>,
    ) -> Result<(), StoreError> {
        let from = from.max(1);
        let start = if self.is_anchor(from) || from == 1 {
            from
        } else {
            self.anchor_before(from).max(1)
        };
        let mut prev = GENESIS;
        let mut entry = Vec::with_capacity(256);
        for item in log.range(start.to_be_bytes()..) {
            let (k, v) = item?;
            let seq = seq_of(&k)?;
            entry.clear();
            if self.is_anchor(seq) {
                // As stored: the ledger checks the stored hash against the chain (an anchor
                // too short for one is passed on for it to report, and the chain goes on
                // from the previous hash).
                entry.extend_from_slice(&v);
                if let Some(e) = event::split_entry(&v) {
                    prev = e.hash;
                }
            } else {
                prev = event::chain_hash(&prev, &v);
                entry.extend_from_slice(&prev);
                entry.extend_from_slice(&v);
            }
            if seq >= from && !f(seq, &entry)? {
                break;
            }
        }
        Ok(())
    }

    /// The entry `seq` (`hash ‖ event`).
    pub(super) fn get(self, log: &sled::Tree, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        if self.is_anchor(seq) {
            return Ok(log.get(seq.to_be_bytes())?.map(|v| v.to_vec()));
        }
        let mut out = None;
        self.scan(log, seq, &mut |s, entry| {
            if s == seq {
                out = Some(entry.to_vec());
            }
            Ok(false)
        })?;
        Ok(out)
    }

    /// The encoded event `seq`, without its hash (nothing to recompute).
    pub(super) fn event(self, log: &sled::Tree, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(v) = log.get(seq.to_be_bytes())? else {
            return Ok(None);
        };
        if !self.is_anchor(seq) {
            return Ok(Some(v.to_vec()));
        }
        Ok(Some(split(seq, &v)?.body.to_vec()))
    }

    /// The last entry, if any.
    pub(super) fn last(self, log: &sled::Tree) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let Some((k, v)) = log.last()? else {
            return Ok(None);
        };
        let seq = seq_of(&k)?;
        if self.is_anchor(seq) {
            return Ok(Some((seq, v.to_vec())));
        }
        self.get(log, seq)?
            .map(|e| Some((seq, e)))
            .ok_or_else(|| StoreError::Corrupt(format!("event {seq} vanished while read")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::event::{seal, Actor, Event, EventBody};

    fn event(seq: u64) -> Event {
        Event {
            seq,
            at: seq as i64,
            actor: Actor::operator(),
            body: EventBody::KeyRevoked {
                key: crate::core::domain::Id::new(seq as u32),
            },
        }
    }

    /// Appends events `from..=to` after `prev`; returns every entry appended and the head.
    fn append(log: &SledLog, from: u64, to: u64, mut prev: Hash) -> (Vec<Vec<u8>>, Hash) {
        let mut out = Vec::new();
        for seq in from..=to {
            let (entry, hash) = seal(&prev, &event(seq)).unwrap();
            log.append(seq, &prev, entry.clone(), None).unwrap();
            out.push(entry);
            prev = hash;
        }
        log.sync_all().unwrap();
        (out, prev)
    }

    fn scanned(log: &SledLog, from: u64) -> Vec<(u64, Vec<u8>)> {
        let mut out = Vec::new();
        log.scan(from, &mut |seq, e| {
            out.push((seq, e.to_vec()));
            Ok(true)
        })
        .unwrap();
        out
    }

    /// Every read gives back exactly the appended entries: by seq, from every starting
    /// point, the last one, the bare events.
    fn reads_back(log: &SledLog, entries: &[Vec<u8>]) {
        let n = entries.len() as u64;
        for seq in 1..=n {
            let want = &entries[seq as usize - 1];
            assert_eq!(log.get(seq).unwrap().as_ref(), Some(want), "get {seq}");
            assert_eq!(
                log.event_bytes(seq).unwrap().as_deref(),
                Some(&want[32..]),
                "event {seq}"
            );
            let from: Vec<_> = scanned(log, seq);
            assert_eq!(from.len() as u64, n - seq + 1, "scan from {seq}");
            for (s, e) in from {
                assert_eq!(&e, &entries[s as usize - 1], "scan from {seq}, entry {s}");
            }
        }
        assert_eq!(log.get(n + 1).unwrap(), None);
        assert_eq!(
            log.last().unwrap(),
            Some((n, entries[n as usize - 1].clone()))
        );
    }

    #[test]
    fn a_new_log_stores_a_hash_with_every_16th_event_and_reads_back_what_was_appended() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SledConfig::new(dir.path().join("db"));
        let log = SledLog::open(&cfg).unwrap();
        assert_eq!(log.hash_every(), ANCHOR_EVERY);
        let (entries, head) = append(&log, 1, 50, GENESIS);
        reads_back(&log, &entries);
        // As stored: the bare event, and the whole entry on anchors only.
        for seq in 1..=50u64 {
            let stored = log.log.get(seq.to_be_bytes()).unwrap().unwrap();
            let entry = &entries[seq as usize - 1];
            let want = if seq.is_multiple_of(ANCHOR_EVERY) {
                &entry[..]
            } else {
                &entry[32..]
            };
            assert_eq!(&stored[..], want, "stored {seq}");
        }
        drop(log);
        // Reopened (the head record checked against a hash put back), and appended to.
        let log = SledLog::open(&cfg).unwrap();
        assert_eq!(log.hash_every(), ANCHOR_EVERY);
        let (more, _) = append(&log, 51, 70, head);
        let all: Vec<_> = entries.into_iter().chain(more).collect();
        reads_back(&log, &all);
    }

    #[test]
    fn a_log_of_the_earlier_layout_keeps_a_hash_with_every_event() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SledConfig::new(dir.path().join("db"));
        // Written as before the compact layout: every entry whole, no layout named.
        let mut entries = Vec::new();
        let mut prev = GENESIS;
        {
            let db = open_db(&cfg).unwrap();
            let log = db.open_tree("log").unwrap();
            for seq in 1..=20u64 {
                let (entry, hash) = seal(&prev, &event(seq)).unwrap();
                log.insert(seq.to_be_bytes(), entry.clone()).unwrap();
                entries.push(entry);
                prev = hash;
            }
            db.flush().unwrap();
        }
        let log = SledLog::open(&cfg).unwrap();
        assert_eq!(log.hash_every(), 1);
        let (more, _) = append(&log, 21, 40, prev);
        entries.extend(more);
        for seq in 1..=40u64 {
            let stored = log.log.get(seq.to_be_bytes()).unwrap().unwrap();
            assert_eq!(&stored[..], &entries[seq as usize - 1][..], "stored {seq}");
        }
        reads_back(&log, &entries);
        drop(log);
        assert_eq!(SledLog::open(&cfg).unwrap().hash_every(), 1);
    }

    #[test]
    fn an_entry_that_does_not_chain_from_the_head_is_refused_and_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let log = SledLog::open(&SledConfig::new(dir.path().join("db"))).unwrap();
        let (_, head) = append(&log, 1, 3, GENESIS);
        // Sealed after another head: its hash would not be the one a reader derives.
        let (entry, _) = seal(&[7u8; 32], &event(4)).unwrap();
        let err = log.append(4, &head, entry, None).unwrap_err();
        assert!(err.to_string().contains("does not chain"), "{err}");
        assert_eq!(log.get(4).unwrap(), None);
        assert_eq!(log.last().unwrap().map(|(s, _)| s), Some(3));
        // The right one is taken.
        let (entry, _) = seal(&head, &event(4)).unwrap();
        log.append(4, &head, entry, None).unwrap();
    }

    #[test]
    fn a_changed_event_is_found_at_the_next_anchor() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SledConfig::new(dir.path().join("db"));
        // A store (its id key), then events written to its log.
        drop(Ledger::over(SledLog::open(&cfg).unwrap(), true).unwrap());
        {
            let log = SledLog::open(&cfg).unwrap();
            append(&log, 1, 40, GENESIS);
        }
        // Event 5 (no hash of its own) changed in place: the bytes still decode.
        {
            let db = open_db(&cfg).unwrap();
            let log = db.open_tree("log").unwrap();
            let (other, _) = seal(&GENESIS, &event(5)).unwrap();
            let mut changed = other[32..].to_vec();
            let at = changed.len() - 1;
            changed[at] ^= 1;
            assert!(crate::core::codec::decode::<Event>(&changed).is_ok());
            log.insert(5u64.to_be_bytes(), changed).unwrap();
            db.flush().unwrap();
        }
        // The head (event 40, after the last anchor) is unchanged, so sled's log opens; the
        // ledger's check of the tail finds the changed chain at event 16.
        let log = SledLog::open(&cfg).unwrap();
        let err = Ledger::over(log, true)
            .err()
            .expect("a changed log is refused");
        assert!(
            err.to_string()
                .contains("event 16 (or one of the 15 before it) does not match its hash"),
            "{err}"
        );
    }
}
