//! Snapshots of the [`World`]: the resident state as of one event, saved so that a store
//! starts by loading it and replaying only the events after it, instead of the whole log.
//!
//! A snapshot is derived data: the log stays the only truth. It names the event it was
//! taken at (seq and chain hash), and a store uses it only if its log holds that event with
//! that hash; otherwise (or when it is missing) the log is replayed from the start.
//!
//! Layout: a header — `MAGIC ‖ seq (u64 BE) ‖ hash (32) ‖ for each of the three parts its
//! length (u64 BE) and blake3 (32) ‖ blake3 of the header so far (32)` — then the parts:
//! - the two of [`World::write_records`] and [`World::write_indexes`] (the records;
//!   everything else), bincode with the standard configuration, each compressed as one LZ4
//!   frame (`lz4_flex`: the standard frame format, ~2× smaller on this bincode and
//!   decompressed at GB/s, where zstd would cost restart time);
//! - the log's Merkle tree as it stores it (the leaf hashes, then every fourth level above:
//!   [`Tree::stored_levels`], their lengths given by `seq`; as they are, since hashes do not
//!   compress), so that loading it neither reads the log nor hashes anything.
//!
//! A part's length and blake3 are of its stored bytes, so damage is found before anything is
//! decompressed. Loading reads each part where it lies in the file, a megabyte at a time, on
//! a thread of its own: once to check it, then again to decompress and decode it as one
//! stream. Neither the file nor a decompressed part is ever in memory whole (a start
//! touches ~300 MB less memory at S = 1 than reading the file and decompressing each part
//! into a buffer did).
//!
//! A file is written to a temporary name, fdatasynced, renamed over the old one and the
//! directory fsynced: a crash leaves the old snapshot or the new one, never a mix.

use crate::core::event::Hash;
use crate::core::World;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

const MAGIC: &[u8; 24] = b"boardtrail/snapshot/v5\n\0";
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
    /// The Merkle tree over events 1..=seq.
    pub tree: Tree,
}

use crate::tlog::merkle::Tree;

/// The lengths of the stored levels of a tree of `size` leaves.
fn level_lengths(size: u64) -> Vec<usize> {
    let mut out = Vec::new();
    let mut n = size as usize;
    while n > 0 {
        out.push(n);
        n >>= crate::tlog::merkle::STRIDE;
    }
    out
}

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

/// Where a snapshot's bytes are read from: a file (read where it lies, never whole) or
/// bytes in memory.
pub trait Source: Sync {
    /// Fills `buf` from offset `at`.
    fn read_at(&self, buf: &mut [u8], at: u64) -> std::io::Result<()>;
}

impl Source for [u8] {
    fn read_at(&self, buf: &mut [u8], at: u64) -> std::io::Result<()> {
        let from = usize::try_from(at).unwrap_or(usize::MAX);
        let part = from
            .checked_add(buf.len())
            .and_then(|to| self.get(from..to))
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(part);
        Ok(())
    }
}

impl Source for std::fs::File {
    fn read_at(&self, buf: &mut [u8], at: u64) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, at)
    }
}

/// One part of a source, read in order.
struct PartReader<'s, S: ?Sized> {
    src: &'s S,
    at: u64,
    end: u64,
}

impl<S: Source + ?Sized> std::io::Read for PartReader<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (self.end - self.at).min(buf.len() as u64) as usize;
        self.src.read_at(&mut buf[..n], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// How much of a part is read at a time (to hash it, and to decompress it).
const CHUNK: usize = 1 << 20;

/// Checks one part (`len` bytes from `at`) against its recorded blake3, then decodes it with
/// `decode` as it is read and decompressed: neither the part nor its decompressed bytes are
/// ever in memory whole.
fn unpack<'s, S: Source + ?Sized, T>(
    src: &'s S,
    at: u64,
    len: u64,
    sum: &[u8],
    decode: impl FnOnce(
        lz4_flex::frame::FrameDecoder<std::io::BufReader<PartReader<'s, S>>>,
    ) -> Result<T, crate::core::codec::CodecError>,
) -> Result<T, SnapshotError> {
    let part = || PartReader {
        src,
        at,
        end: at + len,
    };
    let mut hasher = blake3::Hasher::new();
    std::io::copy(
        &mut std::io::BufReader::with_capacity(CHUNK, part()),
        &mut hasher,
    )?;
    if hasher.finalize().as_bytes() != sum {
        return Err(SnapshotError::Damaged(
            "a part's checksum does not match".into(),
        ));
    }
    decode(lz4_flex::frame::FrameDecoder::new(
        std::io::BufReader::with_capacity(CHUNK, part()),
    ))
    .map_err(|e| SnapshotError::Damaged(format!("a part does not decode: {e}")))
}

/// Encodes the snapshot of `world` at event `seq` (chain hash `hash`) into `out`.
pub fn encode<W: Write + Seek>(
    out: &mut W,
    seq: u64,
    hash: &Hash,
    world: &World,
    tree: &Tree,
) -> Result<(), SnapshotError> {
    if tree.size() != seq {
        return Err(SnapshotError::Damaged(format!(
            "a tree of {} leaves for a snapshot at event {seq}",
            tree.size()
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
        for level in tree.stored_levels() {
            for hash in level {
                h.write_all(hash)?;
            }
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

/// Decodes a snapshot from its bytes.
pub fn decode(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    decode_from(bytes, bytes.len() as u64)
}

/// Decodes a snapshot of `len` bytes from `src`: its parts checked, decompressed and decoded
/// on threads of their own.
pub fn decode_from<S: Source + ?Sized>(src: &S, len: u64) -> Result<Snapshot, SnapshotError> {
    let damaged = |why: &str| SnapshotError::Damaged(why.into());
    if len < HEADER as u64 {
        return Err(damaged("the file is truncated"));
    }
    let mut header = [0u8; HEADER];
    src.read_at(&mut header, 0)?;
    let h = &header;
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
    if Some(len - HEADER as u64) != lens.iter().try_fold(0u64, |t, &l| t.checked_add(l)) {
        return Err(damaged("its parts do not have the recorded lengths"));
    }
    let at_a = HEADER as u64;
    let at_b = at_a + lens[0];
    let at_c = at_b + lens[1];
    let (sum_a, sum_b, sum_c) = (&h[72..104], &h[112..144], &h[152..184]);
    let lengths = level_lengths(seq);
    if Some(lens[2]) != (lengths.iter().sum::<usize>() as u64).checked_mul(32) {
        return Err(damaged(
            "its Merkle tree does not have the size of its event",
        ));
    }
    // Three threads: each part checked, decompressed and decoded, and the tree's levels read.
    let (records, indexes, tree) = std::thread::scope(|s| {
        let ta = s.spawn(|| unpack(src, at_a, lens[0], sum_a, World::decode_records));
        let tb = s.spawn(|| unpack(src, at_b, lens[1], sum_b, World::decode_indexes));
        let tree = read_tree(src, at_c, &lengths, sum_c);
        let failed = || SnapshotError::Damaged("decoding failed".into());
        let records = ta.join().unwrap_or_else(|_| Err(failed()));
        let indexes = tb.join().unwrap_or_else(|_| Err(failed()));
        (records, indexes, tree)
    });
    let world = World::from_decoded(records?, indexes?);
    let tree = tree?;
    Ok(Snapshot {
        seq,
        hash,
        world,
        tree,
    })
}

/// Reads the stored levels of the Merkle tree (their `lengths`, from `at`), checked against
/// their blake3.
fn read_tree<S: Source + ?Sized>(
    src: &S,
    at: u64,
    lengths: &[usize],
    sum: &[u8],
) -> Result<Tree, SnapshotError> {
    let mut hasher = blake3::Hasher::new();
    let mut levels = Vec::with_capacity(lengths.len());
    let mut at = at;
    for (j, &n) in lengths.iter().enumerate() {
        // Room to grow at the bottom: the first appends after a start do not copy the leaves.
        let extra = if j == 0 { n / 8 + 1024 } else { 0 };
        let mut level: Vec<Hash> = Vec::with_capacity(n + extra);
        level.resize(n, [0u8; 32]);
        let bytes = level.as_flattened_mut();
        src.read_at(bytes, at)?;
        hasher.update(bytes);
        at += bytes.len() as u64;
        levels.push(level);
    }
    if hasher.finalize().as_bytes() != sum {
        return Err(SnapshotError::Damaged(
            "the Merkle tree's checksum does not match".into(),
        ));
    }
    Tree::from_stored_levels(levels).map_err(SnapshotError::Damaged)
}

/// Writes `world`, as of event `seq` with chain hash `hash`, atomically to `path`.
/// Returns the bytes written.
pub fn save(
    path: &Path,
    seq: u64,
    hash: &Hash,
    world: &World,
    tree: &Tree,
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
    encode(&mut file, seq, hash, world, tree)?;
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
/// (Each part is read where it lies, in chunks: the file is never in memory whole.)
pub fn load(path: &Path) -> Result<Option<Snapshot>, SnapshotError> {
    let opened = std::fs::File::open(path).and_then(|f| {
        let len = f.metadata()?.len();
        Ok((f, len))
    });
    match opened {
        Ok((file, len)) => match decode_from(&file, len) {
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
        let leaves: Vec<crate::tlog::hash::Hash> = (0..40u8).map(|i| [i; 32]).collect();
        let tree = Tree::from_leaf_hashes(leaves.clone());
        assert!(save(&path, 39, &[9u8; 32], &world, &tree).is_err());
        save(&path, 40, &[9u8; 32], &world, &tree).unwrap();
        let s = load(&path).unwrap().unwrap();
        assert_eq!((s.seq, s.hash), (40, [9u8; 32]));
        assert_eq!(s.tree.leaf_hashes(), leaves.as_slice());
        assert_eq!(
            s.tree,
            crate::tlog::merkle::Tree::from_leaf_hashes(leaves.clone())
        );
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
