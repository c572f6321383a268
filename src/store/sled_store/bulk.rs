//! Bulk import: entries staged in memory and written by a background thread in large
//! atomic chunks while the importer validates the next; one flush at the end.

use super::*;

/// The thread that writes the chunks of a bulk import.
pub(super) struct BulkWriter {
    pub(super) tx: std::sync::mpsc::SyncSender<Pending>,
    pub(super) handle: std::thread::JoinHandle<Result<u64, StoreError>>,
}

/// Entries staged by a bulk import (and the answers of idempotent writes among them),
/// written to sled a chunk at a time.
#[derive(Default)]
pub(super) struct Pending {
    pub(super) log: Vec<(u64, Vec<u8>)>,
    pub(super) answers: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Writes a staged chunk in one atomic batch (one transaction with its answers); returns
/// its last seq.
pub(super) fn write_chunk(
    log: &sled::Tree,
    idem: &sled::Tree,
    p: &Pending,
) -> Result<u64, StoreError> {
    let Some((last_seq, _)) = p.log.last() else {
        return Ok(0);
    };
    if p.answers.is_empty() {
        let mut batch = sled::Batch::default();
        for (seq, entry) in &p.log {
            batch.insert(&seq.to_be_bytes(), entry.as_slice());
        }
        log.apply_batch(batch)?;
    } else {
        (log, idem)
            .transaction(|(log, idem)| {
                for (k, v) in &p.answers {
                    idem.insert(k.as_slice(), v.as_slice())?;
                }
                for (seq, entry) in &p.log {
                    log.insert(&seq.to_be_bytes(), entry.as_slice())?;
                }
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(super::tx_error)?;
    }
    Ok(*last_seq)
}

/// Entries per sled write during a bulk import.
pub(super) const BULK_CHUNK: usize = 20_000;

impl SledLog {
    /// Stages an entry during a bulk import (the caller holds the append lock). A full
    /// chunk goes to the writer thread, which writes it while the importer validates the
    /// next.
    pub(super) fn stage(
        &self,
        seq: u64,
        entry: Vec<u8>,
        answer: Option<(&[u8], &[u8])>,
    ) -> Result<(), StoreError> {
        let full = {
            let mut guard = self.pending.lock();
            let p = guard.get_or_insert_with(Pending::default);
            p.log.push((seq, entry));
            if let Some((k, v)) = answer {
                p.answers.push((k.to_vec(), v.to_vec()));
            }
            if p.log.len() >= BULK_CHUNK {
                Some(std::mem::take(p))
            } else {
                None
            }
        };
        if let Some(chunk) = full {
            self.send_chunk(chunk)?;
        }
        Ok(())
    }

    /// Hands a chunk to the bulk writer thread (waits while it still writes the previous one).
    fn send_chunk(&self, chunk: Pending) -> Result<(), StoreError> {
        let writer = self.writer.lock();
        match writer.as_ref() {
            Some(w) => w.tx.send(chunk).map_err(|_| {
                StoreError::Corrupt("the bulk writer stopped; see its error at the end".into())
            }),
            None => write_chunk(&self.log, &self.idem, &chunk).map(|last| {
                self.applied.store(last, Ordering::Release);
            }),
        }
    }

    /// Starts a bulk import (see [`EventLog::begin_bulk`]).
    pub(super) fn start_bulk(&self) -> Result<(), StoreError> {
        let _appended = self.appended.lock();
        *self.pending.lock() = Some(Pending::default());
        // One chunk in the channel and one being written: validation of the next chunk
        // overlaps sled's work on the previous one.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Pending>(1);
        let (log, idem) = (self.log.clone(), self.idem.clone());
        let handle = std::thread::Builder::new()
            .name("bulk-writer".into())
            .spawn(move || {
                let mut last = 0;
                for chunk in rx {
                    last = write_chunk(&log, &idem, &chunk)?;
                }
                Ok(last)
            })
            .map_err(sled::Error::Io)?;
        *self.writer.lock() = Some(BulkWriter { tx, handle });
        self.bulk.store(true, Ordering::Release);
        Ok(())
    }

    /// Ends a bulk import (see [`EventLog::end_bulk`]): everything staged is durable when
    /// this returns.
    pub(super) fn finish_bulk(&self) -> Result<(), StoreError> {
        let appended = self.appended.lock();
        let rest = self.pending.lock().take();
        let sent = match rest {
            Some(p) if !p.log.is_empty() => self.send_chunk(p),
            _ => Ok(()),
        };
        let writer = self.writer.lock().take();
        self.bulk.store(false, Ordering::Release);
        let written = match writer {
            Some(w) => {
                drop(w.tx);
                w.handle
                    .join()
                    .map_err(|_| StoreError::Corrupt("the bulk writer panicked".into()))?
            }
            None => Ok(0),
        };
        sent?;
        let last = written?;
        if last > 0 {
            self.applied.store(last, Ordering::Release);
        }
        let (seq, _) = *appended;
        drop(appended);
        self.flush_to(seq, true)?;
        let mut st = self.dur.lock();
        st.durable = st.durable.max(seq);
        Ok(())
    }
}
