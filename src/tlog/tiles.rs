//! The C2SP tlog-tiles layout (<https://c2sp.org/tlog-tiles>, sections "Merkle Tree" and
//! "Log entries"): tile paths `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`, the
//! bytes of hash tiles taken from the stored levels of [`Tree`], and entry bundles.
//!
//! Tile `N` at level `L` holds, for `i` in `0..256`, the hash
//! `MTH(D[(N·256+i)·256^L : (N·256+i+1)·256^L])`, a complete subtree of `2^(8L)` leaves,
//! which is the stored hash at height 8L, index N·256+i, of the tree. A partial tile holds the first `W < 256`
//! of those hashes.

use super::merkle::Tree;

/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 256;

/// Highest level a tile path may name.
pub const MAX_LEVEL: u8 = 63;

/// Why a tile path or an entry bundle is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("malformed tile path {path:?}: {reason}")]
    BadPath { path: String, reason: &'static str },
    #[error("entry {index} is {len} bytes; an entry bundle holds at most 65535 bytes per entry")]
    EntryTooLarge { index: usize, len: usize },
}

/// A parsed tile path (the part after `tile/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TilePath {
    /// A hash tile; `width` is `1..=256`, 256 meaning a full tile.
    Hashes { level: u8, index: u64, width: u16 },
    /// An entry bundle; `width` as for hash tiles.
    Entries { index: u64, width: u16 },
}

impl TilePath {
    /// The canonical path after `tile/`, the inverse of [`parse_tile_path`].
    pub fn to_path(&self) -> String {
        let (head, index, width) = match *self {
            TilePath::Hashes {
                level,
                index,
                width,
            } => (level.to_string(), index, width),
            TilePath::Entries { index, width } => ("entries".to_string(), index, width),
        };
        let mut s = format!("{head}/{}", format_tile_index(index));
        if u64::from(width) < TILE_WIDTH {
            s.push_str(&format!(".p/{width}"));
        }
        s
    }
}

/// Parses `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]` strictly: `L` in `0..=63` and `W`
/// in `1..=255`, both decimal without leading zeros; `N` in 3-digit elements, all but
/// the last prefixed with `x`, in its one canonical form (no leading `x000`).
pub fn parse_tile_path(path: &str) -> Result<TilePath, TileError> {
    let bad = |reason: &'static str| TileError::BadPath {
        path: path.to_string(),
        reason,
    };
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() < 2 {
        return Err(bad("expected <L>/<N> or entries/<N>"));
    }
    let head = parts[0];
    let mut elems = &parts[1..];
    let mut width = TILE_WIDTH as u16;
    if elems.len() >= 2 && elems[elems.len() - 2].ends_with(".p") {
        let w = parse_decimal(elems[elems.len() - 1]).ok_or_else(|| bad("bad partial width"))?;
        if !(1..TILE_WIDTH).contains(&w) {
            return Err(bad("partial width must be 1..=255"));
        }
        width = w as u16;
        elems = &elems[..elems.len() - 1];
    }
    let index =
        parse_index(elems, width < TILE_WIDTH as u16).ok_or_else(|| bad("bad tile index"))?;
    if head == "entries" {
        return Ok(TilePath::Entries { index, width });
    }
    let level = parse_decimal(head).ok_or_else(|| bad("bad level"))?;
    if level > u64::from(MAX_LEVEL) {
        return Err(bad("level must be 0..=63"));
    }
    Ok(TilePath::Hashes {
        level: level as u8,
        index,
        width,
    })
}

/// A decimal of ASCII digits without leading zeros ("0" itself is fine).
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// The index from its path elements; `partial` means the last one ends in `.p`.
fn parse_index(elems: &[&str], partial: bool) -> Option<u64> {
    let (last, init) = elems.split_last()?;
    let last = if partial {
        last.strip_suffix(".p")?
    } else {
        last
    };
    let mut value: u64 = 0;
    for (i, e) in init
        .iter()
        .map(|e| e.strip_prefix('x'))
        .chain([Some(last)])
        .enumerate()
    {
        let e = e?;
        if e.len() != 3 || !e.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let group: u64 = e.parse().ok()?;
        if i == 0 && group == 0 && !init.is_empty() {
            return None; // a leading x000 element is not canonical
        }
        value = value.checked_mul(1000)?.checked_add(group)?;
    }
    Some(value)
}

/// `N` as tile path elements: 1234067 -> `x001/x234/067`, 5 -> `005`.
pub fn format_tile_index(index: u64) -> String {
    let mut groups = Vec::new();
    let mut n = index;
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let mut s = String::with_capacity(groups.len() * 5);
    for (i, g) in groups.iter().rev().enumerate() {
        if i + 1 < groups.len() {
            s.push_str(&format!("x{g:03}/"));
        } else {
            s.push_str(&format!("{g:03}"));
        }
    }
    s
}

impl Tree {
    /// The bytes of hash tile `index` at `level` with `width` hashes (256 for a full tile):
    /// `width × 32` bytes, hash `i` being the stored hash at height `8·level`, index
    /// `index·256 + i` (stored level `2·level`: the tree keeps every fourth height). `None` if the
    /// tree does not (yet) hold all those hashes, or `width` is not in `1..=256`.
    pub fn tile(&self, level: u8, index: u64, width: u16) -> Option<Vec<u8>> {
        if width == 0 || u64::from(width) > TILE_WIDTH {
            return None;
        }
        let hashes = self
            .levels
            .get(usize::from(level) * (8 / super::merkle::STRIDE as usize))?;
        let start = usize::try_from(index.checked_mul(TILE_WIDTH)?).ok()?;
        let end = start.checked_add(usize::from(width))?;
        let tile = hashes.get(start..end)?;
        Some(tile.iter().flatten().copied().collect())
    }
}

/// An entry bundle: each entry as a big-endian `u16` length and its bytes. An entry over
/// 65535 bytes cannot be encoded.
pub fn entry_bundle(entries: &[&[u8]]) -> Result<Vec<u8>, TileError> {
    let total: usize = entries.iter().map(|e| e.len() + 2).sum();
    let mut out = Vec::with_capacity(total);
    for (index, e) in entries.iter().enumerate() {
        let len = u16::try_from(e.len()).map_err(|_| TileError::EntryTooLarge {
            index,
            len: e.len(),
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::hash::Hash;
    use crate::tlog::merkle::tests::{leaves, naive_mth};
    use proptest::prelude::*;

    fn hashes(level: u8, index: u64, width: u16) -> TilePath {
        TilePath::Hashes {
            level,
            index,
            width,
        }
    }

    #[test]
    fn format_index_examples() {
        assert_eq!(format_tile_index(1234067), "x001/x234/067");
        assert_eq!(format_tile_index(5), "005");
        assert_eq!(format_tile_index(0), "000");
        assert_eq!(format_tile_index(999), "999");
        assert_eq!(format_tile_index(1000), "x001/000");
        assert_eq!(
            format_tile_index(u64::MAX),
            "x018/x446/x744/x073/x709/x551/615"
        );
    }

    #[test]
    fn parse_examples() {
        let ok = [
            ("0/x001/x234/067", hashes(0, 1234067, 256)),
            ("0/x001/x234/067.p/8", hashes(0, 1234067, 8)),
            ("63/000", hashes(63, 0, 256)),
            ("1/001.p/17", hashes(1, 1, 17)),
            ("2/000.p/1", hashes(2, 0, 1)),
            ("0/273.p/112", hashes(0, 273, 112)),
            ("0/272.p/255", hashes(0, 272, 255)),
            (
                "entries/x001/x234/067",
                TilePath::Entries {
                    index: 1234067,
                    width: 256,
                },
            ),
            ("entries/005.p/9", TilePath::Entries { index: 5, width: 9 }),
            (
                "0/x018/x446/x744/x073/x709/x551/615",
                hashes(0, u64::MAX, 256),
            ),
        ];
        for (path, want) in ok {
            assert_eq!(parse_tile_path(path), Ok(want), "{path}");
            assert_eq!(want.to_path(), path);
        }
    }

    #[test]
    fn parse_rejects_malformed() {
        let bad = [
            "",
            "0",
            "0/",
            "00/000",
            "01/000",
            "64/000",
            "+1/000",
            "-0/000",
            "1a/000",
            "256/000",
            "0/5",
            "0/05",
            "0/0005",
            "0/x005",
            "0/x000/005",
            "0/001/002",
            "0/x1/002",
            "0/xx01/002",
            "0/x001/x002",
            "0/00a",
            "0/000.p",
            "0/000.p/",
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/08",
            "0/000.p/+8",
            "0/000.q/8",
            "0/000.p/8/",
            "0/x001.p/002",
            "0/000/",
            "/000",
            "entries",
            "entries/",
            "entries/5",
            "entries/000.p/0",
            "tile/0/000",
            "0/x019/x000/x000/x000/x000/x000/000",
            "0/x999/x999/x999/x999/x999/x999/x999/999",
            "0/000 ",
            " 0/000",
            "0/٣٣٣",
        ];
        for path in bad {
            assert!(
                matches!(parse_tile_path(path), Err(TileError::BadPath { .. })),
                "{path:?} accepted: {:?}",
                parse_tile_path(path)
            );
        }
    }

    proptest! {
        #[test]
        fn prop_round_trip(level in 0u8..=63, index in any::<u64>(), width in 1u16..=256, entries in any::<bool>()) {
            let t = if entries {
                TilePath::Entries { index, width }
            } else {
                hashes(level, index, width)
            };
            let path = t.to_path();
            prop_assert_eq!(parse_tile_path(&path), Ok(t));
            let n = path.rsplit_once(".p/").map_or(path.as_str(), |(n, _)| n);
            let n = n.split_once('/').map(|(_, n)| n).unwrap_or_default();
            prop_assert_eq!(n, format_tile_index(index));
        }

        #[test]
        fn prop_small_index_round_trip(index in 0u64..2_000_000) {
            let s = format_tile_index(index);
            prop_assert_eq!(parse_tile_path(&format!("0/{s}")), Ok(hashes(0, index, 256)));
        }
    }

    /// The tile as the spec defines it, from the naive MTH of each range.
    fn naive_tile(all: &[Hash], level: u32, index: u64, width: u16) -> Vec<u8> {
        let span = 256u64.pow(level);
        (0..u64::from(width))
            .flat_map(|i| {
                let a = ((index * 256 + i) * span) as usize;
                let b = ((index * 256 + i + 1) * span) as usize;
                naive_mth(&all[a..b])
            })
            .collect()
    }

    #[test]
    fn spec_example_size_70000() {
        let all = leaves(70_000);
        let tree = Tree::from_leaf_hashes(all.clone());
        // 273 full level-0 tiles and a partial one of width 112.
        for n in 0..273 {
            let t = tree.tile(0, n, 256).unwrap();
            assert_eq!(t.len(), 256 * 32);
            assert_eq!(&t[..32], &all[(n * 256) as usize][..]);
        }
        assert_eq!(
            tree.tile(0, 255, 256).unwrap(),
            naive_tile(&all, 0, 255, 256)
        );
        assert_eq!(tree.tile(0, 273, 256), None);
        assert_eq!(
            tree.tile(0, 273, 112).unwrap(),
            naive_tile(&all, 0, 273, 112)
        );
        assert_eq!(tree.tile(0, 273, 113), None);
        assert_eq!(tree.tile(0, 274, 1), None);
        // One full level-1 tile, a partial one of width 17.
        assert_eq!(tree.tile(1, 0, 256).unwrap(), naive_tile(&all, 1, 0, 256));
        assert_eq!(tree.tile(1, 1, 256), None);
        assert_eq!(tree.tile(1, 1, 17).unwrap(), naive_tile(&all, 1, 1, 17));
        assert_eq!(tree.tile(1, 1, 18), None);
        assert_eq!(tree.tile(1, 2, 1), None);
        // A partial level-2 tile of width 1, and nothing above.
        let t = tree.tile(2, 0, 1).unwrap();
        assert_eq!(t, naive_mth(&all[..65536]).to_vec());
        assert_eq!(tree.tile(2, 0, 2), None);
        assert_eq!(tree.tile(2, 1, 1), None);
        assert_eq!(tree.tile(3, 0, 1), None);
        assert_eq!(tree.tile(63, 0, 1), None);
        // Widths outside 1..=256 never exist.
        assert_eq!(tree.tile(0, 0, 0), None);
        assert_eq!(tree.tile(0, 0, 257), None);
        assert_eq!(tree.tile(0, u64::MAX, 1), None);
    }

    #[test]
    fn tiles_of_256_leaves() {
        // The spec: size 256 is one full level-0 tile and a level-1 tile of width 1.
        let all = leaves(256);
        let tree = Tree::from_leaf_hashes(all.clone());
        assert_eq!(tree.tile(0, 0, 256).unwrap(), naive_tile(&all, 0, 0, 256));
        assert_eq!(tree.tile(1, 0, 1).unwrap(), tree.root().to_vec());
        assert_eq!(tree.tile(1, 0, 2), None);
        assert_eq!(Tree::new().tile(0, 0, 1), None);
    }

    #[test]
    fn entry_bundle_encoding() {
        assert_eq!(entry_bundle(&[]).unwrap(), Vec::<u8>::new());
        assert_eq!(
            entry_bundle(&[b"ab", b"", b"xyz"]).unwrap(),
            [0, 2, b'a', b'b', 0, 0, 0, 3, b'x', b'y', b'z']
        );
        let max = vec![7u8; 65535];
        let b = entry_bundle(&[&max]).unwrap();
        assert_eq!(&b[..2], &[0xff, 0xff]);
        assert_eq!(b.len(), 65537);
        let over = vec![7u8; 65536];
        assert_eq!(
            entry_bundle(&[b"ok", &over]),
            Err(TileError::EntryTooLarge {
                index: 1,
                len: 65536
            })
        );
        let mid = vec![1u8; 300];
        assert_eq!(&entry_bundle(&[&mid]).unwrap()[..2], &[1, 44]);
    }
}
