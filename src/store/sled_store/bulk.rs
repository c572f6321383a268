//! Bulk import: events staged in memory and written by a background thread in large
//! atomic chunks while the importer validates the next; one flush at the end.

use super::*;

/// The trees, for the bulk writer thread.
#[derive(Clone)]
pub(super) struct Trees {
    pub(super) log: sled::Tree,
    pub(super) nodes: sled::Tree,
    pub(super) keys: sled::Tree,
    pub(super) meta: sled::Tree,
    pub(super) touch: sled::Tree,
}

/// The thread that writes the chunks of a bulk import.
pub(super) struct BulkWriter {
    pub(super) tx: std::sync::mpsc::SyncSender<Pending>,
    pub(super) handle: std::thread::JoinHandle<Result<u64, StoreError>>,
}

/// Writes a staged chunk (log entries, records, keys, head) in one transaction; returns its
/// last seq.
pub(super) fn write_chunk(t: &Trees, p: &Pending) -> Result<u64, StoreError> {
    let Some((last_seq, last_entry)) = p.log.last() else {
        return Ok(0);
    };
    let mut puts = Vec::with_capacity(p.records.len());
    for (id, r) in &p.records {
        puts.push((id.to_be_bytes(), codec::encode(r)?));
    }
    let hash = event::split_entry(last_entry)
        .map(|e| e.hash)
        .ok_or_else(|| StoreError::Corrupt("short staged entry".into()))?;
    let head_bytes = encode_head(*last_seq, &hash);
    let res = (&t.log, &t.nodes, &t.keys, &t.meta, &t.touch).transaction(
        |(log, nodes, keys, meta, touch)| {
            for k in &p.touches {
                touch.insert(k.as_slice(), &[])?;
            }
            for (k, id) in &p.keys {
                keys.insert(k.as_slice(), &id.to_be_bytes())?;
            }
            for (k, v) in &puts {
                nodes.insert(k, v.as_slice())?;
            }
            for (seq, entry) in &p.log {
                log.insert(&seq.to_be_bytes(), entry.as_slice())?;
            }
            meta.insert(HEAD_KEY, head_bytes.as_slice())?;
            Ok::<(), ConflictableTransactionError<StoreError>>(())
        },
    );
    match res {
        Ok(()) => Ok(*last_seq),
        Err(TransactionError::Abort(e)) => Err(e),
        Err(TransactionError::Storage(e)) => Err(e.into()),
    }
}

/// Events staged by a bulk import, written to sled a chunk at a time.
#[derive(Default)]
pub(super) struct Pending {
    pub(super) touches: Vec<[u8; 12]>,
    pub(super) log: Vec<(u64, Vec<u8>)>,
    pub(super) records: HashMap<NodeId, Record>,
    pub(super) keys: HashMap<Vec<u8>, NodeId>,
}

/// Events per sled transaction during a bulk import.
pub(super) const BULK_CHUNK: usize = 20_000;

impl SledStore {
    /// Stages an event during a bulk import (the caller holds the head lock). A full chunk
    /// goes to the writer thread, which writes it while the importer validates the next.
    pub(super) fn stage(
        &self,
        seq: u64,
        entry: Vec<u8>,
        projection: Projection,
        touches: Vec<[u8; 12]>,
    ) -> Result<(), StoreError> {
        {
            let mem = self.mem.read();
            for (k, _) in &projection.keys {
                if let Some(taken) = mem.key_holder(k) {
                    return Err(StoreError::KeyTaken(taken));
                }
            }
        }
        let full = {
            let mut guard = self.pending.lock();
            let p = guard.get_or_insert_with(Pending::default);
            p.keys.extend(projection.keys);
            p.records.extend(projection.puts);
            p.touches.extend(touches);
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
            None => write_chunk(&self.trees(), &chunk).map(|last| {
                self.applied.store(last, Ordering::Release);
            }),
        }
    }

    pub(super) fn trees(&self) -> Trees {
        Trees {
            log: self.log.clone(),
            nodes: self.nodes.clone(),
            keys: self.keys.clone(),
            meta: self.meta_tree.clone(),
            touch: self.touch.clone(),
        }
    }

    /// Starts a bulk import (see [`Store::begin_bulk`]).
    pub(super) fn start_bulk(&self) -> Result<(), StoreError> {
        let _head = self.head.lock();
        *self.pending.lock() = Some(Pending::default());
        // One chunk in the channel and one being written: validation of the next chunk
        // overlaps sled's work on the previous one.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Pending>(1);
        let trees = self.trees();
        let handle = std::thread::Builder::new()
            .name("bulk-writer".into())
            .spawn(move || {
                let mut last = 0;
                for chunk in rx {
                    last = write_chunk(&trees, &chunk)?;
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
        let mut st = self.dur.lock();
        st.durable = st.durable.max(applied);
        Ok(())
    }
}
