//! What keeps a refused write refused: after a failed flush sled still holds the events
//! appended since the last durable one (in memory, and perhaps partly on disk), and its
//! background thread may write them down later, for instance once space is back on a full
//! disk. None of them was acknowledged. So the failure leaves a *fence* in place of the
//! head record: the last durable event, its hash, and the `Idempotency-Key` answers
//! recorded with the events after it. The next open rolls the log back to that event and
//! drops those answers before anything is served; the head record then says where the
//! log ends again.
//!
//! The fence overwrites the head record in place (a few hundred bytes at offset 0 of a
//! file that already has its block), so that writing it needs no new space on a full disk.

use super::*;

const MAGIC: &[u8; 8] = b"btfence1";
const SUM_LEN: usize = 16;

/// The last durable head when a flush failed, and the answers recorded after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fence {
    pub(super) seq: u64,
    pub(super) hash: Hash,
    /// Keys of the `idem` tree written with the events after `seq`.
    pub(super) answers: Vec<Vec<u8>>,
}

pub(super) fn is_fence(b: &[u8]) -> bool {
    b.starts_with(MAGIC)
}

pub(super) fn encode(f: &Fence) -> Vec<u8> {
    let mut b = Vec::with_capacity(64 + f.answers.iter().map(|k| k.len() + 4).sum::<usize>());
    b.extend_from_slice(MAGIC);
    b.extend_from_slice(&f.seq.to_be_bytes());
    b.extend_from_slice(&f.hash);
    b.extend_from_slice(&(f.answers.len() as u32).to_be_bytes());
    for k in &f.answers {
        b.extend_from_slice(&(k.len() as u32).to_be_bytes());
        b.extend_from_slice(k);
    }
    let sum = blake3::hash(&b);
    b.extend_from_slice(&sum.as_bytes()[..SUM_LEN]);
    b
}

/// The fence in `b`, or None if it is damaged (a torn write: the store is then refused).
pub(super) fn decode(b: &[u8]) -> Option<Fence> {
    let body = b.get(..b.len().checked_sub(SUM_LEN)?)?;
    if !body.starts_with(MAGIC) || blake3::hash(body).as_bytes()[..SUM_LEN] != b[body.len()..] {
        return None;
    }
    let mut rest = &body[MAGIC.len()..];
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, tail) = (rest.get(..n)?, rest.get(n..)?);
        rest = tail;
        Some(head)
    };
    let seq = u64::from_be_bytes(take(8)?.try_into().ok()?);
    let hash: Hash = take(32)?.try_into().ok()?;
    let n = u32::from_be_bytes(take(4)?.try_into().ok()?);
    let mut answers = Vec::new();
    for _ in 0..n {
        let len = u32::from_be_bytes(take(4)?.try_into().ok()?) as usize;
        answers.push(take(len)?.to_vec());
    }
    if !rest.is_empty() {
        return None;
    }
    Some(Fence { seq, hash, answers })
}

impl SledLog {
    /// Puts the fence for a failed flush in place of the head record: nothing after the
    /// durable event `durable` is to be kept. If even this cannot be written, says so.
    pub(super) fn put_fence(&self, durable: u64) {
        let res = (|| -> Result<(), StoreError> {
            let hash = match durable {
                0 => GENESIS,
                d => {
                    let v = self.layout.get(&self.log, d)?.ok_or_else(|| {
                        StoreError::Corrupt(format!("the durable event {d} is not in the log"))
                    })?;
                    entry_hash(d, &v)?
                }
            };
            let answers = self
                .unsynced_answers
                .lock()
                .iter()
                .filter(|(seq, _)| *seq > durable)
                .map(|(_, k)| k.clone())
                .collect();
            let bytes = encode(&Fence {
                seq: durable,
                hash,
                answers,
            });
            use std::os::unix::fs::FileExt;
            let rec = self.head_rec.lock();
            rec.file.write_all_at(&bytes, 0).map_err(sled::Error::Io)?;
            rec.file.sync_data().map_err(sled::Error::Io)?;
            Ok(())
        })();
        match res {
            Ok(()) => tracing::warn!(
                durable,
                "a flush failed: the events after the durable one will be rolled back at the next start"
            ),
            Err(e) => tracing::error!(
                durable,
                error = %e,
                "a flush failed and its fence could not be written: events refused after it may reappear at the next start"
            ),
        }
    }

    /// At open, after a failed flush: removes the events after the fence and the answers
    /// recorded with them, and makes that durable. The log must still hold the fence's
    /// event with its hash (checked by `check_head_record`).
    pub(super) fn roll_back(
        db: &sled::Db,
        log: &sled::Tree,
        idem: &sled::Tree,
        data_file: &std::fs::File,
        fence: &Fence,
        last: u64,
    ) -> Result<(), StoreError> {
        for seq in fence.seq + 1..=last {
            log.remove(seq.to_be_bytes())?;
        }
        for k in &fence.answers {
            idem.remove(k.as_slice())?;
        }
        db.flush()?;
        data_file.sync_data().map_err(sled::Error::Io)?;
        tracing::warn!(
            kept = fence.seq,
            dropped = last.saturating_sub(fence.seq),
            answers = fence.answers.len(),
            "rolled the log back to the last event acknowledged before a failed flush"
        );
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::core::event::{seal, Actor, Event, EventBody};

    /// Event `seq` of a test log (a key revoked), sealed after `prev`.
    pub(in crate::store::sled_store) fn entry(seq: u64, prev: &Hash) -> (Vec<u8>, Hash) {
        let ev = Event {
            seq,
            at: seq as i64,
            actor: Actor::operator(),
            body: EventBody::KeyRevoked {
                key: crate::core::domain::Id::new(seq as u32),
            },
        };
        seal(prev, &ev).unwrap()
    }

    /// Opens the log again right after it was dropped: sled's flusher thread lets go of
    /// the file lock a moment later.
    fn reopen(cfg: &SledConfig) -> Result<SledLog, StoreError> {
        for _ in 0..100 {
            match SledLog::open(cfg) {
                Err(e) if e.to_string().contains("could not acquire lock") => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                other => return other,
            }
        }
        SledLog::open(cfg)
    }

    #[test]
    fn a_failed_flush_rolls_the_log_back_to_its_last_durable_event() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SledConfig::new(dir.path().join("db"));
        let head_path = cfg.path.with_extension("head");
        let (e1, h1) = entry(1, &GENESIS);
        {
            let log = SledLog::open(&cfg).unwrap();
            log.append(1, &GENESIS, e1.clone(), Some((b"k1", b"answer 1")))
                .unwrap();
            log.sync(1).unwrap();
            let (e2, h2) = entry(2, &h1);
            log.append(2, &h1, e2, Some((b"k2", b"answer 2"))).unwrap();
            let (e3, _) = entry(3, &h2);
            log.append(3, &h2, e3, None).unwrap();
            // The flush of 2 and 3 fails; sled's own thread writes them down afterwards
            // (as it does once a full disk has room again).
            log.flushed(
                &mut log.dur.lock(),
                3,
                &Err(StoreError::Corrupt("injected".into())),
            );
            log.db.flush().unwrap();
            assert!(is_fence(&std::fs::read(&head_path).unwrap()));
            // Nothing becomes durable after the failure, not even on a graceful stop.
            assert!(log.sync_all().is_err());
            assert!(log.sync(3).is_err());
            // Event 1 was durable before the failure and is kept: its write happened.
            assert!(log.sync(1).is_ok());
        }
        let log = reopen(&cfg).unwrap();
        let (seq, last) = log.last().unwrap().unwrap();
        assert_eq!((seq, entry_hash(seq, &last).unwrap()), (1, h1));
        assert_eq!(
            log.answer(b"k1").unwrap().as_deref(),
            Some(&b"answer 1"[..])
        );
        assert_eq!(log.answer(b"k2").unwrap(), None);
        // The head record is one again, and the log goes on from event 1.
        assert_eq!(
            std::fs::read(&head_path).unwrap(),
            head::encode_head_rec(1, &h1)
        );
        let (e2, h2) = entry(2, &h1);
        log.append(2, &h1, e2, None).unwrap();
        log.sync(2).unwrap();
        drop(log);
        let log = reopen(&cfg).unwrap();
        let (seq, last) = log.last().unwrap().unwrap();
        assert_eq!((seq, entry_hash(seq, &last).unwrap()), (2, h2));
    }

    #[test]
    fn a_fence_past_the_log_or_torn_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SledConfig::new(dir.path().join("db"));
        let head_path = cfg.path.with_extension("head");
        let (e1, h1) = entry(1, &GENESIS);
        {
            let log = reopen(&cfg).unwrap();
            log.append(1, &GENESIS, e1, None).unwrap();
            log.sync_all().unwrap();
        }
        // The open's refusal with `bytes` in place of the head record.
        let refusal = |bytes: &[u8]| -> String {
            std::fs::write(&head_path, bytes).unwrap();
            reopen(&cfg).err().unwrap().to_string()
        };
        let fence = |seq, hash| {
            encode(&Fence {
                seq,
                hash,
                answers: vec![],
            })
        };
        // A fence naming an event the log does not hold: events were lost.
        let err = refusal(&fence(5, h1));
        assert!(err.contains("lost events"), "{err}");
        // A fence with another hash for event 1: the history was changed.
        let err = refusal(&fence(1, [9; 32]));
        assert!(err.contains("history was changed"), "{err}");
        // A torn fence.
        let good = fence(1, h1);
        let err = refusal(&good[..good.len() - 3]);
        assert!(err.contains("damaged"), "{err}");
        std::fs::write(&head_path, &good).unwrap();
        let log = reopen(&cfg).unwrap();
        assert_eq!(log.last().unwrap().unwrap().0, 1);
    }

    #[test]
    fn a_fence_round_trips_and_a_torn_one_is_refused() {
        let f = Fence {
            seq: 41,
            hash: [7; 32],
            answers: vec![b"key-a".to_vec(), vec![], vec![0xff; 300]],
        };
        let b = encode(&f);
        assert!(is_fence(&b));
        assert_eq!(decode(&b), Some(f.clone()));
        for cut in [0, 8, 20, b.len() - 1] {
            assert_eq!(decode(&b[..cut]), None, "cut at {cut}");
        }
        let mut flipped = b.clone();
        flipped[12] ^= 1;
        assert_eq!(decode(&flipped), None);
        let mut longer = b;
        longer.push(0);
        assert_eq!(decode(&longer), None);
    }
}
