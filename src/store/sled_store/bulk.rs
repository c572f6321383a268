//! Bulk import: events staged in memory and written by a background thread in large
//! atomic chunks while the importer validates the next; one flush at the end.

use super::*;

/// The thread that writes the chunks of a bulk import.
pub(super) struct BulkWriter {
    pub(super) tx: std::sync::mpsc::SyncSender<Pending>,
    pub(super) handle: std::thread::JoinHandle<Result<u64, StoreError>>,
}

/// Writes a staged chunk of log entries in one atomic batch; returns its last seq.
pub(super) fn write_chunk(log: &sled::Tree, p: &Pending) -> Result<u64, StoreError> {
    let Some((last_seq, _)) = p.log.last() else {
        return Ok(0);
    };
    let mut batch = sled::Batch::default();
    for (seq, entry) in &p.log {
        batch.insert(&seq.to_be_bytes(), entry.as_slice());
    }
    log.apply_batch(batch)?;
    Ok(*last_seq)
}

/// Events staged by a bulk import, written to sled a chunk at a time.
#[derive(Default)]
pub(super) struct Pending {
    pub(super) log: Vec<(u64, Vec<u8>)>,
}

/// Events per sled transaction during a bulk import.
pub(super) const BULK_CHUNK: usize = 20_000;

impl SledStore {
    /// Stages an event during a bulk import (the caller holds the head lock). A full chunk
    /// goes to the writer thread, which writes it while the importer validates the next.
    pub(super) fn stage(&self, seq: u64, entry: Vec<u8>) -> Result<(), StoreError> {
        if entry.len() >= BLOB_HINT {
            self.large_value.fetch_max(seq, Ordering::AcqRel);
        }
        let full = {
            let mut guard = self.pending.lock();
            let p = guard.get_or_insert_with(Pending::default);
            p.log.push((seq, entry));
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
    pub(super) fn send_chunk(&self, chunk: Pending) -> Result<(), StoreError> {
        let writer = self.writer.lock();
        match writer.as_ref() {
            Some(w) => w.tx.send(chunk).map_err(|_| {
                StoreError::Corrupt("the bulk writer stopped; see its error at the end".into())
            }),
            None => write_chunk(&self.log, &chunk).map(|last| {
                self.applied.store(last, Ordering::Release);
            }),
        }
    }

    /// Starts a bulk import (see [`Store::begin_bulk`]).
    pub(super) fn start_bulk(&self) -> Result<(), StoreError> {
        let _head = self.head.lock();
        *self.pending.lock() = Some(Pending::default());
        // One chunk in the channel and one being written: validation of the next chunk
        // overlaps sled's work on the previous one.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Pending>(1);
        let log = self.log.clone();
        let handle = std::thread::Builder::new()
            .name("bulk-writer".into())
            .spawn(move || {
                let mut last = 0;
                for chunk in rx {
                    last = write_chunk(&log, &chunk)?;
                }
                Ok(last)
            })
            .map_err(sled::Error::Io)?;
        *self.writer.lock() = Some(BulkWriter { tx, handle });
        self.bulk.store(true, Ordering::Release);
        Ok(())
    }

    /// Ends a bulk import (see [`Store::end_bulk`]).
    pub(super) fn finish_bulk(&self) -> Result<(), StoreError> {
        let head = self.head.lock();
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
        self.db.flush()?;
        self.sync_file()?;
        self.sync_blobs()?;
        self.write_head_record(head.seq, &head.hash, true)?;
        let applied = self.applied.load(Ordering::Acquire);
        {
            let mut st = self.dur.lock();
            st.durable = st.durable.max(applied);
        }
        drop(head);
        // A large import is followed by a snapshot, so the next start loads it instead of
        // replaying the import.
        if self.since_snapshot() > SNAPSHOT_AFTER {
            self.save_snapshot()?;
        }
        Ok(())
    }
}
