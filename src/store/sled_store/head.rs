//! What keeps a damaged or truncated store from being served: the head record beside sled's
//! file (the last durable head). The hash-chain check of the log's tail at open is the
//! ledger's (`crate::store::ledger`).

use super::*;

/// The last durable head, kept in a small file beside sled's (`db.head`): after every
/// group-commit flush the leader writes it in place, and fdatasyncs it at most every
/// [`HEAD_SYNC_MS`]. At start the log must still hold that event with that hash: a store
/// that lost acknowledged events (a damaged file sled truncated at the damage) or whose
/// history differs is refused instead of served.
pub(super) struct HeadRecord {
    pub(super) file: std::fs::File,
    pub(super) synced_at: Option<std::time::Instant>,
    /// The file holds a fence (longer than a head record) until the next record.
    pub(super) fenced: bool,
}

pub(super) const HEAD_SYNC_MS: u128 = 100;
pub(super) const HEAD_REC_LEN: usize = 8 + 32 + 16;

pub(super) fn encode_head_rec(seq: u64, hash: &Hash) -> [u8; HEAD_REC_LEN] {
    let mut b = [0u8; HEAD_REC_LEN];
    b[..8].copy_from_slice(&seq.to_be_bytes());
    b[8..40].copy_from_slice(hash);
    let sum = blake3::hash(&b[..40]);
    b[40..].copy_from_slice(&sum.as_bytes()[..16]);
    b
}

pub(super) fn decode_head_rec(b: &[u8]) -> Option<(u64, Hash)> {
    if b.len() != HEAD_REC_LEN || blake3::hash(&b[..40]).as_bytes()[..16] != b[40..] {
        return None;
    }
    let seq = u64::from_be_bytes(b[..8].try_into().ok()?);
    let hash: Hash = b[8..40].try_into().ok()?;
    Some((seq, hash))
}

impl SledLog {
    /// Reads the head record beside the store and checks the log against it: the log must
    /// hold the recorded event with the recorded hash. Returns the file, open for writing,
    /// and the fence a failed flush left in its place, if one did (see `fence.rs`).
    pub(super) fn check_head_record(
        path: &std::path::Path,
        log: &sled::Tree,
        layout: Layout,
        seq: u64,
        hash: &Hash,
    ) -> Result<(std::fs::File, Option<super::fence::Fence>), StoreError> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(sled::Error::Io)?;
        let bytes = std::fs::read(path).map_err(sled::Error::Io)?;
        if bytes.is_empty() {
            if seq > 0 {
                tracing::warn!(
                    path = %path.display(),
                    "no head record beside a store with events: starting one (events lost before now could not be detected)"
                );
            }
            return Ok((file, None));
        }
        let damaged =
            || StoreError::Corrupt(format!("the head record {} is damaged", path.display()));
        let fence = if super::fence::is_fence(&bytes) {
            Some(super::fence::decode(&bytes).ok_or_else(damaged)?)
        } else {
            None
        };
        let (rec_seq, rec_hash) = match &fence {
            Some(f) => (f.seq, f.hash),
            None => decode_head_rec(&bytes).ok_or_else(damaged)?,
        };
        if rec_seq > seq {
            return Err(StoreError::Corrupt(format!(
                "the log ends at event {seq}, but event {rec_seq} was acknowledged ({}): the store lost events; restore it from a backup",
                path.display()
            )));
        }
        let stored = if rec_seq == 0 {
            Some(GENESIS)
        } else {
            layout
                .get(log, rec_seq)?
                .and_then(|v| entry_hash(rec_seq, &v).ok())
        };
        if stored != Some(rec_hash) || (rec_seq == seq && rec_hash != *hash) {
            return Err(StoreError::Corrupt(format!(
                "event {rec_seq} is not the event that was acknowledged ({}): the history was changed",
                path.display()
            )));
        }
        Ok((file, fence))
    }

    /// Records the durable head beside the store (fdatasynced at most every
    /// [`HEAD_SYNC_MS`], or now when `sync`).
    pub(super) fn write_head_record(
        &self,
        seq: u64,
        hash: &Hash,
        sync: bool,
    ) -> Result<(), StoreError> {
        use std::os::unix::fs::FileExt;
        let mut rec = self.head_rec.lock();
        rec.file
            .write_all_at(&encode_head_rec(seq, hash), 0)
            .map_err(sled::Error::Io)?;
        if rec.fenced {
            // What a fence left past the record's length goes (after the roll back).
            rec.file
                .set_len(HEAD_REC_LEN as u64)
                .map_err(sled::Error::Io)?;
            rec.fenced = false;
        }
        let due = rec
            .synced_at
            .is_none_or(|t| t.elapsed().as_millis() >= HEAD_SYNC_MS);
        if sync || due {
            rec.file.sync_data().map_err(sled::Error::Io)?;
            rec.synced_at = Some(std::time::Instant::now());
        }
        Ok(())
    }
}
