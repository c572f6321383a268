//! Snapshots of the [`World`]: the resident state as of one event, saved so that a store
//! starts by loading it and replaying only the events after it, instead of the whole log.
//!
//! A snapshot is derived data: the log stays the only truth. It names the event it was
//! taken at (seq and chain hash), and a store uses it only if its log holds that event with
//! that hash; otherwise (or when it is missing) the log is replayed from the start.
//!
//! Layout: a header — `MAGIC ‖ seq (u64 BE) ‖ hash (32) ‖ for each of the three parts its length
//! (u64 BE) and blake3 (32) ‖ blake3 of the header so far (32)` — then the parts: the two of
//! [`World::write_records`] and [`World::write_indexes`] (the records; everything else), bincode with the standard
//! configuration, each compressed as one LZ4 frame (`lz4_flex`: the standard frame format,
//! ~2× smaller on this bincode and decompressed at GB/s, where zstd would cost restart time).
//! A part's length and blake3 are of its compressed bytes, so damage is found before anything
//! is decompressed. The parts are checked, decompressed and decoded on two threads. The third
//! part is the log's Merkle leaf hashes (`seq` × 32 bytes, as they are: hashes do not
//! compress), from which the tree is rebuilt without reading the log. A file is written to a
//! temporary name, fdatasynced, renamed over the old one and the directory fsynced: a crash
//! leaves the old snapshot or the new one, never a mix.

use crate::core::event::Hash;
use crate::core::World;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

const MAGIC: &[u8; 24] = b"boardtrail/snapshot/v3\n\0";
const HEADER: usize = 24 + 8 + 32 + PARTS * (8 + 32) + 32;
const PARTS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("the snapshot is damaged: {0}")]
    Damaged(String),
    /// A snapshot in the format of another version: derived data, so it is ignored and the
    /// log replayed (then a new one written).
    #[error("the snapshot is of another format version")]
    Outdated,
}

/// A loaded snapshot.
pub struct Snapshot {
    pub seq: u64,
    pub hash: Hash,
    pub world: World,
    /// The Merkle leaf hash of every event up to `seq`, in order.
    pub leaves: Vec<LeafHash>,
}

/// A Merkle tree leaf hash (SHA-256, RFC 6962).
pub type LeafHash = crate::tlog::hash::Hash;

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: blake3::Hasher,
    n: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes one part through `write` into `out`, LZ4-framed: returns its (compressed) length
/// and the blake3 of those bytes.
fn part<W: Write>(
    out: &mut W,
    write: impl FnOnce(
        &mut BufWriter<lz4_flex::frame::FrameEncoder<Hashing<&mut W>>>,
    ) -> Result<(), crate::core::codec::CodecError>,
) -> Result<(u64, [u8; 32]), SnapshotError> {
    let hashing = Hashing {
        inner: out,
        hasher: blake3::Hasher::new(),
        n: 0,
    };
    let mut w = BufWriter::with_capacity(1 << 20, lz4_flex::frame::FrameEncoder::new(hashing));
    write(&mut w).map_err(|e| SnapshotError::Io(std::io::Error::other(e.to_string())))?;
    let h = w
        .into_inner()
        .map_err(|e| SnapshotError::Io(e.into_error()))?
        .finish()
        .map_err(|e| SnapshotError::Io(std::io::Error::other(e.to_string())))?;
    Ok((h.n, *h.hasher.finalize().as_bytes()))
}

/// Checks one part against its recorded blake3 and decompresses it.
fn unpack(part: &[u8], sum: &[u8]) -> Result<Vec<u8>, SnapshotError> {
    use std::io::Read;
    if blake3::hash(part).as_bytes() != sum {
        return Err(SnapshotError::Damaged(
            "a part's checksum does not match".into(),
        ));
    }
    let mut out = Vec::with_capacity(part.len().saturating_mul(2));
    lz4_flex::frame::FrameDecoder::new(part)
        .read_to_end(&mut out)
        .map_err(|e| SnapshotError::Damaged(format!("a part does not decompress: {e}")))?;
    Ok(out)
}

/// Encodes the snapshot of `world` at event `seq` (chain hash `hash`) into `out`.
pub fn encode<W: Write + Seek>(
    out: &mut W,
    seq: u64,
    hash: &Hash,
    world: &World,
    leaves: &[LeafHash],
) -> Result<(), SnapshotError> {
    if leaves.len() as u64 != seq {
        return Err(SnapshotError::Damaged(format!(
            "{} leaf hashes for a snapshot at event {seq}",
            leaves.len()
        )));
    }
    out.write_all(&[0u8; HEADER])?;
    let a = part(out, |w| world.write_records(w))?;
    let b = part(out, |w| world.write_indexes(w))?;
    let c = {
        let mut h = Hashing {
            inner: &mut *out,
            hasher: blake3::Hasher::new(),
            n: 0,
        };
        for leaf in leaves {
            h.write_all(leaf)?;
        }
        (h.n, *h.hasher.finalize().as_bytes())
    };
    let mut h = Vec::with_capacity(HEADER);
    h.extend_from_slice(MAGIC);
    h.extend_from_slice(&seq.to_be_bytes());
    h.extend_from_slice(hash);
    for (len, sum) in [a, b, c] {
        h.extend_from_slice(&len.to_be_bytes());
        h.extend_from_slice(&sum);
    }
    let sum = blake3::hash(&h);
    h.extend_from_slice(sum.as_bytes());
    out.seek(SeekFrom::Start(0))?;
    out.write_all(&h)?;
    out.seek(SeekFrom::End(0))?;
    Ok(())
}

/// Decodes a snapshot from its bytes (both parts checked, decompressed and decoded on two
/// threads).
pub fn decode(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    let damaged = |why: &str| SnapshotError::Damaged(why.into());
    if bytes.len() < HEADER {
        return Err(damaged("the file is truncated"));
    }
    let (h, rest) = bytes.split_at(HEADER);
    if h.starts_with(b"boardtrail/snapshot/v") && &h[..24] != MAGIC {
        return Err(SnapshotError::Outdated);
    }
    if blake3::hash(&h[..HEADER - 32]).as_bytes() != &h[HEADER - 32..] {
        return Err(damaged("its header checksum does not match"));
    }
    if &h[..24] != MAGIC {
        return Err(damaged("not a boardtrail snapshot of this version"));
    }
    let u64_at = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[at..at + 8]);
        u64::from_be_bytes(b)
    };
    let seq = u64_at(24);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&h[32..64]);
    let lens = [u64_at(64), u64_at(104), u64_at(144)];
    if Some(rest.len() as u64) != lens.iter().try_fold(0u64, |t, &l| t.checked_add(l)) {
        return Err(damaged("its parts do not have the recorded lengths"));
    }
    let (a, rest) = rest.split_at(lens[0] as usize);
    let (b, c) = rest.split_at(lens[1] as usize);
    let (sum_a, sum_b, sum_c) = (&h[72..104], &h[112..144], &h[152..184]);
    if c.len() as u64 != seq.saturating_mul(32) {
        return Err(damaged("it does not hold one leaf hash per event"));
    }
    let (a, b, leaves_ok) = std::thread::scope(|s| {
        let t = s.spawn(|| unpack(a, sum_a));
        let b = unpack(b, sum_b);
        let leaves_ok = blake3::hash(c).as_bytes() == sum_c;
        let a = t
            .join()
            .unwrap_or_else(|_| Err(SnapshotError::Damaged("decompression failed".into())));
        (a, b, leaves_ok)
    });
    let (a, b) = (a?, b?);
    if !leaves_ok {
        return Err(damaged("the leaf hashes' checksum does not match"));
    }
    let leaves = c
        .chunks_exact(32)
        .map(|l| {
            let mut x = [0u8; 32];
            x.copy_from_slice(l);
            x
        })
        .collect();
    let world = World::from_parts(&a, &b).map_err(|e| SnapshotError::Damaged(e.to_string()))?;
    Ok(Snapshot {
        seq,
        hash,
        world,
        leaves,
    })
}

/// Writes `world`, as of event `seq` with chain hash `hash`, atomically to `path`.
/// Returns the bytes written.
pub fn save(
    path: &Path,
    seq: u64,
    hash: &Hash,
    world: &World,
    leaves: &[LeafHash],
) -> Result<u64, SnapshotError> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("snapshot-new");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    encode(&mut file, seq, hash, world, leaves)?;
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
    match std::fs::read(path) {
        Ok(b) => match decode(&b) {
            Err(SnapshotError::Outdated) => {
                tracing::warn!(path = %path.display(), "ignoring a snapshot of another format version: the log is replayed");
                Ok(None)
            }
            other => other.map(Some),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
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
        let leaves: Vec<LeafHash> = (0..7u8).map(|i| [i; 32]).collect();
        assert!(save(&path, 6, &[9u8; 32], &world, &leaves).is_err());
        save(&path, 7, &[9u8; 32], &world, &leaves).unwrap();
        let s = load(&path).unwrap().unwrap();
        assert_eq!((s.seq, s.hash), (7, [9u8; 32]));
        assert_eq!(s.leaves, leaves);
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
        // Another format version is not damage: it is ignored (the log is replayed).
        let mut old = bytes.clone();
        old[21] = b'1';
        std::fs::write(&path, &old).unwrap();
        assert!(load(&path).unwrap().is_none());
    }
}
