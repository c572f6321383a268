//! How long a store takes to open (snapshot, tree, tail check, replay), on the data a
//! `bench --keep` run left: `cargo run --release --example restart -- <work>/bt [runs]`.
//! For profiling the start (`perf record … restart`); the benchmark's own restart figure
//! is `examples/bench.rs`'s.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use boardtrail::store::{SledConfig, SledStore, Store};
use std::time::Instant;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: restart <data dir> [runs]")?;
    let runs: usize = args
        .next()
        .map_or(Ok(3), |r| r.parse())
        .map_err(|e| format!("runs: {e}"))?;
    for _ in 0..runs {
        let t = Instant::now();
        let mut cfg = SledConfig::new(std::path::Path::new(&dir).join("db"));
        cfg.cache_bytes = 128 << 20;
        let store = SledStore::open(&cfg).map_err(|e| e.to_string())?;
        let open = t.elapsed().as_secs_f64();
        println!(
            "open {open:.3} s: {} events, tree of {}",
            store.head_seq(),
            store.tree().size()
        );
    }
    Ok(())
}
