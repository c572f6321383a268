//! How long a store takes to open (snapshot, tree, tail check, replay), on the data a
//! `bench --keep` run left: `cargo run --release --example restart -- <work>/bt [runs]
//! [views]`; with `views`, then as many upstream views of random units (p50), to profile.
//! With `HOT=1` each timed view follows 20 untimed ones of the same unit: the view's CPU
//! cost with everything it reads in the cache.
//! The benchmark's own restart and view figures are `examples/bench.rs`'s.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use boardtrail::app::{App, Caller};
use boardtrail::domain::NodeKind;
use boardtrail::store::{SledConfig, SledLog, SledStore, Store};
use std::sync::Arc;
use std::time::Instant;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .ok_or("usage: restart <data dir> [runs] [views]")?;
    let num = |a: Option<String>, default: usize| -> Result<usize, String> {
        a.map_or(Ok(default), |r| r.parse().map_err(|e| format!("{r}: {e}")))
    };
    let runs = num(args.next(), 3)?.max(1);
    let views = num(args.next(), 0)?;
    let mut last = None;
    for _ in 0..runs {
        // The previous run's store lets go of sled's lock first.
        drop(last.take());
        let t = Instant::now();
        let mut cfg = SledConfig::new(std::path::Path::new(&dir).join("db"));
        cfg.cache_bytes = 128 << 20;
        let log = SledLog::open(&cfg).map_err(|e| e.to_string())?;
        let sled_open = t.elapsed().as_secs_f64();
        let store = SledStore::over(log, true).map_err(|e| e.to_string())?;
        let open = t.elapsed().as_secs_f64();
        println!(
            "open {open:.3} s (sled and the head record {sled_open:.3} s, then snapshot and tail {:.3} s): {} events, tree of {}",
            open - sled_open,
            store.head_seq(),
            store.tree().size()
        );
        last = Some(store);
    }
    let Some(store) = last.filter(|_| views > 0) else {
        return Ok(());
    };
    let store = Arc::new(store);
    let app = App::new(store.clone());
    let ids: Vec<String> = {
        let w = store.world();
        (0..w.next_id())
            .filter(|&i| w.meta(i).is_some_and(|m| m.kind == NodeKind::Unit))
            .step_by(97)
            .map(|u| app.ids().format(NodeKind::Unit, u))
            .collect()
    };
    if ids.is_empty() {
        return Err("the store has no units".into());
    }
    let caller = Caller::operator();
    let mut us = Vec::with_capacity(views);
    for i in 0..views {
        let id = &ids[(i * 7919) % ids.len()];
        if std::env::var_os("HOT").is_some() {
            for _ in 0..20 {
                let _ = app.upstream_with(&caller, id, |v| std::hint::black_box(v).nodes.len());
            }
        }
        let t = Instant::now();
        let n = app
            .upstream_with(&caller, id, |v| std::hint::black_box(v).nodes.len())
            .map_err(|e| e.to_string())?;
        us.push(t.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(n);
    }
    us.sort_by(f64::total_cmp);
    println!(
        "{views} upstream views: p50 {:.1} µs, p99 {:.1} µs",
        us[views / 2],
        us[views * 99 / 100]
    );
    Ok(())
}
