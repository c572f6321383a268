//! The verifiable log at scale: what the Merkle tree costs per appended event (its part
//! of the append path, measured on the store's own entries), its memory and rebuild from
//! the snapshot's leaves, proof generation times, and the size of a signed checkpoint.

use crate::stats;
use boardtrail::store::{SledStore, Store};
use boardtrail::tlog::checkpoint::Checkpoint;
use boardtrail::tlog::hash::leaf_hash;
use boardtrail::tlog::merkle::Tree;
use boardtrail::tlog::note::{Signer, COSIGNATURE_V1};
use serde_json::{json, Value};
use std::hint::black_box;
use std::time::Instant;

/// Entries hashed to measure the tree's cost per append.
const SAMPLE: u64 = 50_000;
/// Proofs generated for each kind.
const PROOFS: usize = 2_000;

/// A small deterministic generator (no dependency on the bench's own).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

pub fn measure(store: &SledStore, append_cpu_us: f64) -> Result<Value, String> {
    let tree = store.tree();
    let n = tree.size();
    if n < 2 {
        return Err("the tree is too small to measure".into());
    }
    // The tree's part of an append: the leaf hash of the stored entry and the push (which
    // hashes the nodes it completes), on the store's last entries.
    let from = n.saturating_sub(SAMPLE) + 1;
    let mut entries = Vec::new();
    for seq in from..=n {
        entries.push(
            store
                .entry(seq)
                .map_err(|e| e.to_string())?
                .ok_or("an entry is missing")?,
        );
    }
    let mut fresh = Tree::from_leaf_hashes(tree.leaf_hashes()[..(from - 1) as usize].to_vec());
    let t = Instant::now();
    for e in &entries {
        fresh.push(leaf_hash(e));
    }
    let tree_ns = t.elapsed().as_nanos() as f64 / entries.len() as f64;
    if fresh.root() != tree.root() {
        return Err("the tree rebuilt from the entries differs from the store's".into());
    }
    let mean_entry = entries.iter().map(Vec::len).sum::<usize>() as f64 / entries.len() as f64;
    // Rebuilding the upper levels from the leaf hashes (what a start from the snapshot does).
    let leaves = tree.leaf_hashes().to_vec();
    let t = Instant::now();
    let rebuilt = Tree::from_leaf_hashes(leaves);
    let rebuild_s = t.elapsed().as_secs_f64();
    if rebuilt.root() != tree.root() {
        return Err("the tree rebuilt from its leaves differs".into());
    }
    drop(rebuilt);
    // Proofs at the full size (the published checkpoint's) for random leaves, and
    // consistency proofs from random older sizes.
    let mut rng = Lcg(20260301);
    let mut inc_us = Vec::with_capacity(PROOFS);
    let mut inc_len = 0usize;
    for _ in 0..PROOFS {
        let i = rng.below(n);
        let t = Instant::now();
        let p = tree.inclusion_proof(i, n).map_err(|e| e.to_string())?;
        inc_us.push(t.elapsed().as_secs_f64() * 1e6);
        inc_len = inc_len.max(p.len());
        black_box(p);
    }
    let mut cons_us = Vec::with_capacity(PROOFS);
    let mut cons_len = 0usize;
    for _ in 0..PROOFS {
        let m = 1 + rng.below(n - 1);
        let t = Instant::now();
        let p = tree.consistency_proof(m, n).map_err(|e| e.to_string())?;
        cons_us.push(t.elapsed().as_secs_f64() * 1e6);
        cons_len = cons_len.max(p.len());
        black_box(p);
    }
    // A checkpoint: the root at the size, signed; with four bureaus' cosignatures.
    let t = Instant::now();
    let cp = Checkpoint::new(
        "boardtrail.example.cn/log",
        n,
        tree.root_at(n).map_err(|e| e.to_string())?,
    );
    let log = Signer::generate("boardtrail.example.cn/log").map_err(|e| e.to_string())?;
    let text = cp.to_text();
    let own = log.sign(&text).map_err(|e| e.to_string())?;
    let sign_us = t.elapsed().as_secs_f64() * 1e6;
    let mut note = format!("{text}\n{}", own.to_line());
    let alone = note.len();
    for w in ["xuzhou", "suqian", "linyi", "hangzhou"] {
        let name = format!("witness.{w}.example.cn/w1");
        let s = Signer::generate_with_type(&name, COSIGNATURE_V1).map_err(|e| e.to_string())?;
        let line = boardtrail::tlog::cosig::cosign(s.signing_key(), &name, &text, 1_796_000_000);
        note.push_str(&line.to_line());
    }
    let inc = stats::summarize(&inc_us);
    let cons = stats::summarize(&cons_us);
    let share = tree_ns / 1000.0 / append_cpu_us.max(1e-9);
    eprintln!(
        "  tlog: tree {:.0} ns/event ({:.2} % of {:.0} µs append CPU), rebuild from {} leaves {:.2} s, {:.0} MB; inclusion p50 {:.1} µs, consistency p50 {:.1} µs; checkpoint {} B ({} B with 4 cosignatures)",
        tree_ns,
        share * 100.0,
        append_cpu_us,
        n,
        rebuild_s,
        tree.memory_bytes() as f64 / 1e6,
        inc.p50,
        cons.p50,
        alone,
        note.len()
    );
    Ok(json!({
        "tree_size": n,
        "tree_ns_per_event": (tree_ns * 10.0).round() / 10.0,
        "mean_entry_bytes": mean_entry.round(),
        "append_cpu_us_per_event": append_cpu_us,
        "tree_share_of_append_cpu": (share * 1e4).round() / 1e4,
        // The measured append CPU includes the tree: without it an append costs (1 - share).
        "rate_with_tree_vs_without": ((1.0 - share) * 1e4).round() / 1e4,
        "tree_memory_mb": (tree.memory_bytes() as f64 / 1e5).round() / 10.0,
        "rebuild_from_leaves_s": (rebuild_s * 1000.0).round() / 1000.0,
        "inclusion_proof_us": inc,
        "inclusion_proof_hashes": inc_len,
        "consistency_proof_us": cons,
        "consistency_proof_hashes": cons_len,
        "checkpoint_sign_us": (sign_us * 10.0).round() / 10.0,
        "checkpoint_bytes": alone,
        "checkpoint_bytes_4_cosignatures": note.len(),
    }))
}
