//! The graph's walks (kept beside it, in their own file): the upstream DAG of a node,
//! breadth first, and everything downstream of it, over a bitset.

use super::*;

/// What a downstream walk reached, as sorted id lists per kind.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reach {
    pub lots: Vec<NodeId>,
    pub batches: Vec<NodeId>,
    pub listings: Vec<NodeId>,
    /// Units minted for the batches reached.
    pub units: u64,
}

impl Reach {
    /// Counts node `id` in: a lot, a batch (and its units) or a listing; other kinds are not
    /// part of a downstream answer. Ids must come in increasing order.
    pub fn add(&mut self, id: NodeId, meta: NodeMeta) {
        match meta.kind {
            NodeKind::Lot => self.lots.push(id),
            NodeKind::Batch => {
                self.batches.push(id);
                self.units += meta.b as u64;
            }
            NodeKind::Listing => self.listings.push(id),
            _ => {}
        }
    }
}

/// What an upstream walk reached: nodes in visiting order (root first, then breadth first:
/// a unit's batch, its lots, their inputs, …) and edges
/// (from upstream to downstream).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UpReach {
    pub nodes: Vec<NodeId>,
    pub edges: Vec<(NodeId, NodeId)>,
}

impl Graph {
    /// The whole upstream DAG of `root`: for a unit its batch, then every input lot at any
    /// depth and each lot's producer. Shared nodes appear once.
    pub fn upstream(&self, root: NodeId) -> UpReach {
        self.upstream_visiting(root, |_| {})
    }

    /// [`Graph::upstream`], handing each batch of newly reached nodes to `visit` while the
    /// walk reads their input lists: the slices it is given, in order, are the walk's
    /// `nodes`. A caller that reads its own per-node data there has its cache misses
    /// overlap with the walk's.
    pub fn upstream_visiting(&self, root: NodeId, mut visit: impl FnMut(&[NodeId])) -> UpReach {
        let Some(m) = self.meta(root) else {
            return UpReach::default();
        };
        // A trace from a unit has about a dozen nodes and edges: room for them at once.
        let mut out = UpReach {
            nodes: Vec::with_capacity(16),
            edges: Vec::with_capacity(24),
        };
        // Small traces are the norm: a sorted Vec beats hashing for visited-ness until it
        // grows; past that, switch to a hash set.
        let mut seen = Seen::default();
        seen.insert(root);
        out.nodes.push(root);
        let start = if m.kind == NodeKind::Unit {
            visit(&[root]);
            let batch = m.a;
            seen.insert(batch);
            out.nodes.push(batch);
            out.edges.push((batch, root));
            batch
        } else {
            root
        };
        // Breadth first, a level at a time: the level's input lists are read first, in a
        // loop of independent loads, so the processor waits for their cache misses
        // together rather than one node after another (a walk is mostly such misses).
        let mut level = Vec::with_capacity(8);
        let mut next = Vec::with_capacity(8);
        let mut lists: Vec<&[NodeId]> = Vec::with_capacity(8);
        level.push(start);
        while !level.is_empty() {
            visit(&level);
            lists.clear();
            lists.extend(level.iter().map(|&n| self.inputs(n)));
            for (&n, inputs) in level.iter().zip(&lists) {
                for &src in *inputs {
                    out.edges.push((src, n));
                    if seen.insert(src) {
                        out.nodes.push(src);
                        next.push(src);
                    }
                }
            }
            std::mem::swap(&mut level, &mut next);
            next.clear();
        }
        out
    }

    /// Everything downstream of `root` (a party, lot, batch or listing): lots, batches,
    /// listings (each list sorted by id) and the number of units of the batches reached.
    pub fn downstream(&self, root: NodeId) -> Reach {
        let mut reach = Reach::default();
        let Some(m) = self.meta(root) else {
            return reach;
        };
        let mut seen = vec![0u64; self.meta.len().div_ceil(64)];
        let mark = |seen: &mut Vec<u64>, n: NodeId| -> bool {
            let (w, b) = ((n / 64) as usize, n % 64);
            let fresh = seen[w] & (1 << b) == 0;
            seen[w] |= 1 << b;
            fresh
        };
        mark(&mut seen, root);
        let mut stack = vec![root];
        if m.kind == NodeKind::Unit {
            reach.units = 1;
            return reach;
        }
        while let Some(n) = stack.pop() {
            for &dst in self.outputs(n) {
                if mark(&mut seen, dst) {
                    stack.push(dst);
                }
            }
        }
        // Collect in id order by scanning the bitset: output sorted for free, and the
        // cost is one pass over n/64 words.
        for (w, &word) in seen.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let b = bits.trailing_zeros();
                bits &= bits - 1;
                let id = (w as u32) * 64 + b;
                if id == root {
                    continue;
                }
                if let Some(meta) = self.meta(id) {
                    reach.add(id, meta);
                }
            }
        }
        if m.kind == NodeKind::Batch {
            reach.units += m.b as u64;
        }
        reach
    }
}

/// Visited set for small walks: linear while small, hashed when large.
#[derive(Default)]
pub(super) struct Seen {
    small: Vec<NodeId>,
    large: Option<std::collections::HashSet<NodeId>>,
}

impl Seen {
    pub(super) fn insert(&mut self, n: NodeId) -> bool {
        if let Some(set) = &mut self.large {
            return set.insert(n);
        }
        if self.small.contains(&n) {
            return false;
        }
        self.small.push(n);
        if self.small.len() > 64 {
            self.large = Some(self.small.drain(..).collect());
        }
        true
    }
}
