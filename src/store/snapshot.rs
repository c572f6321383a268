//! Snapshots of the [`World`]: the resident state as of one event, saved so that a store
//! starts by loading it and replaying only the events after it, instead of the whole log.
//!
//! A snapshot is derived data: the log stays the only truth. It names the event it was
//! taken at (seq and chain hash), and a store uses it only if its log holds that event with
//! that hash; otherwise (or when it is missing) the log is replayed from the start.
//!
//! File layout: `MAGIC ‖ seq (u64 BE) ‖ hash (32) ‖ world (bincode, standard config) ‖
//! blake3 of everything before (32)`. Written to a temporary file, fdatasynced, renamed over
//! the old one and the directory fsynced: a crash leaves the old snapshot or the new one,
//! never a mix.

use crate::core::World;
use crate::event::Hash;
use std::io::{BufWriter, Write};
use std::path::Path;

const MAGIC: &[u8; 24] = b"boardtrail/snapshot/v1\n\0";

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("the snapshot is damaged: {0}")]
    Damaged(String),
}

/// A loaded snapshot.
pub struct Snapshot {
    pub seq: u64,
    pub hash: Hash,
    pub world: World,
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: blake3::Hasher,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `world`, as of event `seq` with chain hash `hash`, atomically to `path`.
/// Returns the bytes written.
pub fn save(path: &Path, seq: u64, hash: &Hash, world: &World) -> Result<u64, SnapshotError> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("snapshot-new");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    // Buffered outside the hashing, so the hash sees large chunks.
    let mut w = BufWriter::with_capacity(
        1 << 20,
        Hashing {
            inner: file,
            hasher: blake3::Hasher::new(),
        },
    );
    w.write_all(MAGIC)?;
    w.write_all(&seq.to_be_bytes())?;
    w.write_all(hash)?;
    bincode::serde::encode_into_std_write(world, &mut w, bincode::config::standard())
        .map_err(|e| SnapshotError::Io(std::io::Error::other(e.to_string())))?;
    let Hashing {
        inner: mut file,
        hasher,
    } = w
        .into_inner()
        .map_err(|e| SnapshotError::Io(e.into_error()))?;
    file.write_all(hasher.finalize().as_bytes())?;
    file.sync_data()?;
    let len = file.metadata()?.len();
    drop(file);
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(len)
}

/// Reads the snapshot at `path`: `None` if there is none; an error if it is damaged.
/// (Read whole and decoded from memory: decoding from a reader costs a call per field.)
pub fn load(path: &Path) -> Result<Option<Snapshot>, SnapshotError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let header = MAGIC.len() + 8 + 32;
    if bytes.len() < header + 32 {
        return Err(SnapshotError::Damaged("the file is truncated".into()));
    }
    let (body, stored) = bytes.split_at(bytes.len() - 32);
    if blake3::hash(body).as_bytes() != stored {
        return Err(SnapshotError::Damaged("its checksum does not match".into()));
    }
    if &body[..MAGIC.len()] != MAGIC {
        return Err(SnapshotError::Damaged("not a boardtrail snapshot".into()));
    }
    let seq = u64::from_be_bytes(
        body[MAGIC.len()..MAGIC.len() + 8]
            .try_into()
            .map_err(|_| SnapshotError::Damaged("no event number".into()))?,
    );
    let hash: Hash = body[MAGIC.len() + 8..header]
        .try_into()
        .map_err(|_| SnapshotError::Damaged("no event hash".into()))?;
    let world: World =
        crate::codec::decode(&body[header..]).map_err(|e| SnapshotError::Damaged(e.to_string()))?;
    Ok(Some(Snapshot { seq, hash, world }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.snapshot");
        assert!(load(&path).unwrap().is_none());
        let world = World::default();
        save(&path, 7, &[9u8; 32], &world).unwrap();
        let s = load(&path).unwrap().unwrap();
        assert_eq!((s.seq, s.hash), (7, [9u8; 32]));
        assert_eq!(s.world.digest(), world.digest());
        // Any flipped byte is caught, header or body or checksum.
        let bytes = std::fs::read(&path).unwrap();
        for i in [0, 30, bytes.len() / 2, bytes.len() - 1] {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            std::fs::write(&path, &b).unwrap();
            assert!(
                matches!(load(&path), Err(SnapshotError::Damaged(_))),
                "byte {i}"
            );
        }
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        assert!(matches!(load(&path), Err(SnapshotError::Damaged(_))));
    }
}
