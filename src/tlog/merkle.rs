//! The Merkle tree over the event log, exactly as RFC 6962 §2.1 defines it (MTH, §2.1.1
//! audit paths `PATH(m, D[n])` and §2.1.2 consistency proofs `PROOF(m, D[n])`), kept
//! incrementally in memory.
//!
//! The tree stores, for every fourth height `h = 4j`, the hashes of all complete, aligned
//! subtrees of `2^h` leaves: `levels[j][i] = MTH(D[i·2^h : (i+1)·2^h])`, so `levels[0]`
//! are the leaf hashes and `levels[j].len() == size >> 4j` (about 1.07 hashes a leaf in
//! all; the tile levels of C2SP tlog-tiles, heights 8L, are among them). A complete subtree
//! of another height is folded from at most 8 stored ones below it. Appending a leaf
//! hashes, amortised, about one node; nothing is ever rehashed, and a snapshot keeps the
//! stored levels, so loading one hashes nothing.
//!
//! Every subtree the RFC recursion visits (splitting `D[n]` at the largest power of two
//! `k < n`) starts at a multiple of the next power of two at or above its length, so its
//! hash is the right-to-left fold of at most 64 stored complete subtrees (one per set bit
//! of its length). Roots of earlier sizes, audit paths and consistency proofs therefore
//! come from O(log n) lookups per node, without touching the leaves.
//!
//! Leaf index `i` is event number `i + 1` of the log; the caller maps between the two.

use super::hash::{empty_root, node_hash, Hash};

/// Why a proof or an old root cannot be produced from this tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {size} is larger than the tree ({tree_size} leaves)")]
    SizeTooLarge { size: u64, tree_size: u64 },
    #[error("size1 {size1} is larger than size2 {size2}")]
    SizesOutOfOrder { size1: u64, size2: u64 },
}

/// An RFC 6962 Merkle tree, append-only (plus [`Tree::truncate`] for rollbacks).
#[derive(Default, Clone, PartialEq, Eq)]
pub struct Tree {
    /// `levels[j][i]` = MTH of leaves `i·2^4j .. (i+1)·2^4j`; `levels[j].len() == size >> 4j`.
    /// No level is empty.
    pub(crate) levels: Vec<Vec<Hash>>,
}

/// Heights between stored levels.
pub const STRIDE: u32 = 4;
/// Subtrees of one stored level that make one of the next.
const FAN: usize = 1 << STRIDE;

/// The MTH of `2^r` consecutive complete subtrees of equal height (a balanced fold).
fn fold(hashes: &[Hash]) -> Hash {
    debug_assert!(hashes.len().is_power_of_two() && hashes.len() <= FAN);
    let mut buf = [[0u8; 32]; FAN / 2];
    let mut n = hashes.len();
    if n == 1 {
        return hashes[0];
    }
    for (i, pair) in hashes.chunks_exact(2).enumerate() {
        buf[i] = node_hash(&pair[0], &pair[1]);
    }
    n /= 2;
    while n > 1 {
        for i in 0..n / 2 {
            buf[i] = node_hash(&buf[2 * i], &buf[2 * i + 1]);
        }
        n /= 2;
    }
    buf[0]
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("size", &self.size())
            .field("levels", &self.levels.len())
            .finish()
    }
}

impl Tree {
    /// The empty tree.
    pub fn new() -> Tree {
        Tree::default()
    }

    /// Builds the tree over `leaves` (leaf hashes, in log order), computing the upper
    /// levels once. Used when loading from a snapshot.
    pub fn from_leaf_hashes(leaves: Vec<Hash>) -> Tree {
        let mut levels = Vec::new();
        if leaves.is_empty() {
            return Tree { levels };
        }
        levels.push(leaves);
        while let Some(last) = levels.last() {
            if last.len() < FAN {
                break;
            }
            let next: Vec<Hash> = last.chunks_exact(FAN).map(fold).collect();
            levels.push(next);
        }
        Tree { levels }
    }

    /// The tree from its stored levels as [`Tree::stored_levels`] gave them (a snapshot):
    /// their lengths are checked, their hashes trusted (the snapshot has its own checksum,
    /// and `verify` rebuilds the tree from the log).
    pub fn from_stored_levels(levels: Vec<Vec<Hash>>) -> Result<Tree, String> {
        let size = levels.first().map_or(0, Vec::len);
        let mut want = size;
        for (j, l) in levels.iter().enumerate() {
            if l.len() != want || l.is_empty() {
                return Err(format!(
                    "stored level {j} holds {} hashes, not {want}",
                    l.len()
                ));
            }
            want /= FAN;
        }
        if want != 0 {
            return Err("a stored level is missing".into());
        }
        Ok(Tree { levels })
    }

    /// The stored levels (leaf hashes first), to keep them in a snapshot.
    pub fn stored_levels(&self) -> &[Vec<Hash>] {
        &self.levels
    }

    /// Appends one leaf hash. Amortised O(1): every 16 subtrees of a stored level complete
    /// one of the next, hashed once (15 node hashes) from them.
    pub fn push(&mut self, leaf_hash: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf_hash);
        let mut j = 0;
        while self.levels[j].len().is_multiple_of(FAN) {
            let n = self.levels[j].len();
            let parent = fold(&self.levels[j][n - FAN..]);
            if self.levels.len() == j + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[j + 1].push(parent);
            j += 1;
        }
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// All leaf hashes in order (to save them in a snapshot).
    pub fn leaf_hashes(&self) -> &[Hash] {
        self.levels.first().map_or(&[], |l| l.as_slice())
    }

    /// The hash of leaf `index`, if the tree has it.
    pub fn leaf_hash_at(&self, index: u64) -> Option<Hash> {
        let i = usize::try_from(index).ok()?;
        self.leaf_hashes().get(i).copied()
    }

    /// The first index holding `leaf_hash`. This is a linear scan over the leaves (O(n));
    /// callers that look up often should keep their own index.
    pub fn position(&self, leaf_hash: &Hash) -> Option<u64> {
        self.position_in(leaf_hash, 0, self.size())
    }

    /// The first index in `from..to` (clamped to the tree) holding `leaf_hash`: a caller
    /// can scan a large tree a slice at a time.
    pub fn position_in(&self, leaf_hash: &Hash, from: u64, to: u64) -> Option<u64> {
        let to = to.min(self.size()) as usize;
        let from = (from as usize).min(to);
        self.leaf_hashes()[from..to]
            .iter()
            .position(|h| h == leaf_hash)
            .map(|i| (from + i) as u64)
    }

    /// The current root, MTH(D[size]); the empty tree has `SHA-256()` as root.
    pub fn root(&self) -> Hash {
        let size = self.size();
        if size == 0 {
            return empty_root();
        }
        self.range_hash(0, size)
    }

    /// The root the tree had when it held `size` leaves, for any `size <= self.size()`.
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        self.check_size(size)?;
        if size == 0 {
            return Ok(empty_root());
        }
        Ok(self.range_hash(0, size))
    }

    /// The audit path `PATH(index, D[size])` of RFC 6962 §2.1.1, leaf side first: the
    /// inclusion proof of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(size)?;
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        // Walk down from the root, recording the sibling of each subtree holding the
        // leaf; the RFC lists them bottom-up, so reverse at the end.
        let mut proof = Vec::with_capacity(64);
        let (mut start, mut end, mut m) = (0u64, size, index);
        while end - start > 1 {
            let k = split_point(end - start);
            if m < k {
                proof.push(self.range_hash(start + k, end));
                end = start + k;
            } else {
                proof.push(self.range_hash(start, start + k));
                start += k;
                m -= k;
            }
        }
        proof.reverse();
        Ok(proof)
    }

    /// The consistency proof `PROOF(size1, D[size2])` of RFC 6962 §2.1.2 between the
    /// trees of the first `size1` and `size2` leaves. Empty when `size1 == 0` (every tree
    /// extends the empty one) or `size1 == size2`.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(size2)?;
        if size1 > size2 {
            return Err(ProofError::SizesOutOfOrder { size1, size2 });
        }
        let mut proof = Vec::with_capacity(64);
        if size1 == 0 || size1 == size2 {
            return Ok(proof);
        }
        // SUBPROOF(m, D[start:end], b), unrolled from the top; reversed at the end since
        // the RFC puts the deepest hashes first.
        let (mut start, mut end, mut m, mut whole) = (0u64, size2, size1, true);
        loop {
            let n = end - start;
            if m == n {
                if !whole {
                    proof.push(self.range_hash(start, end));
                }
                break;
            }
            let k = split_point(n);
            if m <= k {
                proof.push(self.range_hash(start + k, end));
                end = start + k;
            } else {
                proof.push(self.range_hash(start, start + k));
                start += k;
                m -= k;
                whole = false;
            }
        }
        proof.reverse();
        Ok(proof)
    }

    /// Drops every leaf from `size` on (a store rolled back unacknowledged appends). The
    /// upper levels keep exactly the complete subtrees that remain. No-op if `size` is not
    /// below the current size.
    pub fn truncate(&mut self, size: u64) {
        if size >= self.size() {
            return;
        }
        for (j, level) in self.levels.iter_mut().enumerate() {
            // size < self.size() fits in usize; 4j < 64 since the levels shrink by 16.
            level.truncate((size >> (STRIDE as usize * j)) as usize);
        }
        while self.levels.last().is_some_and(|l| l.is_empty()) {
            self.levels.pop();
        }
    }

    /// Heap and inline bytes held by the tree (capacity, not just length).
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Tree>()
            + self.levels.capacity() * std::mem::size_of::<Vec<Hash>>()
            + self
                .levels
                .iter()
                .map(|l| l.capacity() * std::mem::size_of::<Hash>())
                .sum::<usize>()
    }

    fn check_size(&self, size: u64) -> Result<(), ProofError> {
        let tree_size = self.size();
        if size > tree_size {
            return Err(ProofError::SizeTooLarge { size, tree_size });
        }
        Ok(())
    }

    /// The hash of the complete subtree of `2^k` leaves starting at leaf `start`: stored,
    /// or folded from the `2^(k mod 4)` stored ones below it. `start` must be a multiple of
    /// `2^k` and `start + 2^k <= size`.
    pub(crate) fn complete(&self, k: u32, start: u64) -> Hash {
        let j = (k / STRIDE) as usize;
        let first = (start >> (STRIDE * j as u32)) as usize;
        let count = 1usize << (k % STRIDE);
        fold(&self.levels[j][first..first + count])
    }

    /// MTH(D[start:end]) for a subtree the RFC 6962 recursion visits: `start < end <=
    /// size` and `start` a multiple of the smallest power of two `>= end - start`. Its
    /// complete subtrees are the set bits of the length, largest first; the MTH folds them
    /// from the right, so walk from the smallest (rightmost) one.
    pub(crate) fn range_hash(&self, start: u64, end: u64) -> Hash {
        debug_assert!(start < end && end <= self.size());
        let mut rest = end - start;
        let low = rest & rest.wrapping_neg();
        let mut e = end - low;
        let mut acc = self.complete(low.trailing_zeros(), e);
        rest -= low;
        while rest != 0 {
            let low = rest & rest.wrapping_neg();
            e -= low;
            acc = node_hash(&self.complete(low.trailing_zeros(), e), &acc);
            rest -= low;
        }
        acc
    }
}

/// The largest power of two strictly below `n` (`n >= 2`): where RFC 6962 splits `D[n]`.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

#[cfg(test)]
#[path = "merkle_tests.rs"]
pub(crate) mod tests;

/// Error cases, accessors and truncation edges; the proof tests are in `merkle_tests.rs`.
#[cfg(test)]
mod unit_tests {
    use super::tests::leaves;
    use super::*;
    use crate::tlog::hash::leaf_hash;

    #[test]
    fn errors() {
        let tree = Tree::from_leaf_hashes(leaves(5));
        let empty = Tree::new();
        assert_eq!(empty.root(), empty_root());
        assert_eq!(empty.root_at(0), Ok(empty_root()));
        assert_eq!(
            empty.inclusion_proof(0, 0),
            Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
        );
        assert_eq!(empty.consistency_proof(0, 0), Ok(vec![]));
        assert_eq!(
            tree.root_at(6),
            Err(ProofError::SizeTooLarge {
                size: 6,
                tree_size: 5
            })
        );
        assert_eq!(
            tree.inclusion_proof(5, 5),
            Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert_eq!(
            tree.inclusion_proof(2, 2),
            Err(ProofError::IndexOutOfRange { index: 2, size: 2 })
        );
        assert!(matches!(
            tree.inclusion_proof(0, 6),
            Err(ProofError::SizeTooLarge { .. })
        ));
        assert_eq!(
            tree.consistency_proof(4, 3),
            Err(ProofError::SizesOutOfOrder { size1: 4, size2: 3 })
        );
        assert!(matches!(
            tree.consistency_proof(3, 6),
            Err(ProofError::SizeTooLarge { .. })
        ));
        assert_eq!(tree.consistency_proof(0, 5), Ok(vec![]));
        assert_eq!(tree.consistency_proof(5, 5), Ok(vec![]));
        assert!(tree.consistency_proof(u64::MAX, 5).is_err());
        assert_eq!(tree.leaf_hash_at(5), None);
        assert_eq!(tree.leaf_hash_at(u64::MAX), None);
    }

    #[test]
    fn accessors_and_memory() {
        let all = leaves(10);
        let mut tree = Tree::new();
        let before = tree.memory_bytes();
        for h in &all {
            tree.push(*h);
        }
        assert_eq!(tree.size(), 10);
        assert_eq!(tree.leaf_hashes(), &all[..]);
        assert_eq!(tree.leaf_hash_at(3), Some(all[3]));
        assert_eq!(tree.position(&all[7]), Some(7));
        assert_eq!(tree.position(&leaf_hash(b"absent")), None);
        assert_eq!(tree.position_in(&all[7], 0, 5), None);
        assert_eq!(tree.position_in(&all[7], 5, 99), Some(7));
        assert_eq!(tree.position_in(&all[7], 99, 200), None);
        let mut dup = tree.clone();
        dup.push(all[2]);
        assert_eq!(dup.position(&all[2]), Some(2), "first index wins");
        assert!(tree.memory_bytes() >= before + 10 * 32);
        // Every fourth height is stored: 10 leaves, nothing above; 300 leaves: 300, 18, 1.
        assert_eq!(tree.levels.iter().map(Vec::len).collect::<Vec<_>>(), [10]);
        let big = Tree::from_leaf_hashes(leaves(300));
        assert_eq!(
            big.stored_levels().iter().map(Vec::len).collect::<Vec<_>>(),
            [300, 18, 1]
        );
        let mut pushed = Tree::new();
        for h in leaves(300) {
            pushed.push(h);
        }
        assert_eq!(pushed, big);
        assert_eq!(
            Tree::from_stored_levels(big.stored_levels().to_vec()).as_ref(),
            Ok(&big)
        );
        // Lengths that do not fit one tree are refused.
        let mut bad = big.stored_levels().to_vec();
        bad[1].pop();
        assert!(Tree::from_stored_levels(bad).is_err());
        let mut short = big.stored_levels().to_vec();
        short.pop();
        assert!(Tree::from_stored_levels(short).is_err());
        assert_eq!(Tree::from_stored_levels(Vec::new()), Ok(Tree::new()));
    }

    #[test]
    fn truncate_edges() {
        let all = leaves(16);
        let mut tree = Tree::from_leaf_hashes(all.clone());
        tree.truncate(16);
        assert_eq!(tree, Tree::from_leaf_hashes(all.clone()));
        tree.truncate(100);
        assert_eq!(tree.size(), 16);
        tree.truncate(8);
        assert_eq!(tree, Tree::from_leaf_hashes(all[..8].to_vec()));
        tree.truncate(0);
        assert_eq!(tree, Tree::new());
        assert_eq!(tree.root(), empty_root());
        tree.push(all[0]);
        assert_eq!(tree, Tree::from_leaf_hashes(all[..1].to_vec()));
    }
}
