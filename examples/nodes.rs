//! boardtrail nodes on one PostgreSQL log, against PostgreSQL's own rate for the same work.
//!
//! `cargo run --release --example nodes -- [--secs 10] [--writers 16] [--json out.json]
//! [--restart-from <sled data dir>]`
//!
//! In one throwaway cluster (the settings of `pg-baseline.md`: fsync and synchronous_commit
//! on), side by side:
//! - PostgreSQL alone: `writers` clients, each transaction one durable INSERT of an event-
//!   sized row (what boardtrail writes per event) → tx/s.
//! - boardtrail on the PostgreSQL log: `writers` threads registering parties through
//!   `App` on one node, then half on each of two nodes (two ledgers, each with its own
//!   connections, world and follower, in this process) → events/s.
//! - Visibility: a write acknowledged on node A, until node B holds it (its follower woken
//!   by NOTIFY), one at a time at rest → p50/p99.
//! - With `--restart-from`, a sled data dir (e.g. the kept S = 1 store of `examples/bench`)
//!   is migrated into a second database and a node started on it: the restart time from
//!   the snapshot kept in PostgreSQL.

#[path = "support/pg.rs"]
mod pg;
#[path = "support/stats.rs"]
mod stats;
// `pg` names the generator's row types.
#[path = "support/synth.rs"]
mod synth;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use boardtrail::app::dto::NewParty;
use boardtrail::app::{App, Caller};
use boardtrail::domain::Role;
use boardtrail::store::{Ledger, PgConfig, PgLog, Store};
use clap::Parser;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 10.0)]
    secs: f64,
    #[arg(long, default_value_t = 16)]
    writers: usize,
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    /// A sled data dir to migrate into PostgreSQL and restart a node from.
    #[arg(long)]
    restart_from: Option<std::path::PathBuf>,
    /// Visibility samples.
    #[arg(long, default_value_t = 300)]
    samples: usize,
}

static N: AtomicU64 = AtomicU64::new(1);

fn party(app: &App) -> Result<u64, String> {
    let n = N.fetch_add(1, Ordering::Relaxed);
    app.create_party(
        &Caller::operator(),
        NewParty {
            name: format!("平台 {n}"),
            role: Role::Platform,
            uscc: synth::uscc("330100", n),
            city: "杭州".into(),
        },
    )
    .map_err(|e| e.to_string())?;
    Ok(app.store().head_seq())
}

/// `threads` closures (index → work) for `secs`; returns the count done and seconds.
fn run(
    threads: usize,
    secs: f64,
    work: impl Fn(usize) -> Result<(), String> + Sync,
) -> Result<(u64, f64), String> {
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let t = Instant::now();
    let res: Vec<Result<(), String>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|i| {
                let (stop, done, work) = (&stop, &done, &work);
                s.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        work(i)?;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(())
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
        hs.into_iter()
            .map(|h| h.join().unwrap_or(Err("panicked".into())))
            .collect()
    });
    for r in res {
        r?;
    }
    Ok((done.load(Ordering::Relaxed), t.elapsed().as_secs_f64()))
}

fn node(url: &str) -> Result<(Arc<Ledger<PgLog>>, App), String> {
    let store = Arc::new(
        Ledger::over(
            PgLog::open(&PgConfig::new(url)).map_err(|e| e.to_string())?,
            true,
        )
        .map_err(|e| e.to_string())?,
    );
    boardtrail::server::spawn_follower(&store);
    let app = App::new(store.clone());
    Ok((store, app))
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .with_writer(std::io::stderr)
        .init();
    let cluster = pg::Cluster::start(&pg::Settings::baseline(), true)?;
    let mut c = cluster.connect()?;
    let url = |db: &str| format!("postgres://postgres@127.0.0.1:{}/{db}", cluster.port);
    c.batch_execute("CREATE DATABASE bt").map_err(pg::err)?;
    c.batch_execute("CREATE DATABASE plain").map_err(pg::err)?;
    let version: String = c
        .query_one("SHOW server_version", &[])
        .map_err(pg::err)?
        .get(0);
    eprintln!("PostgreSQL {version} on port {}", cluster.port);

    // PostgreSQL alone: one durable INSERT of an event-sized row per transaction.
    let plain = url("plain");
    {
        let mut p = postgres::Client::connect(&plain, postgres::NoTls).map_err(pg::err)?;
        p.batch_execute("CREATE TABLE ev (seq bigserial PRIMARY KEY, prev_hash bytea, hash bytea, body bytea, at_ms bigint, actor text)").map_err(pg::err)?;
    }
    let body = vec![7u8; 150];
    let hash = vec![1u8; 32];
    let pg_rate = |writers: usize| -> Result<f64, String> {
        let clients: Vec<_> = (0..writers)
            .map(|_| {
                postgres::Client::connect(&plain, postgres::NoTls)
                    .map(parking_lot::Mutex::new)
                    .map_err(pg::err)
            })
            .collect::<Result<_, _>>()?;
        let (n, s) = run(writers, args.secs, |i| {
            clients[i]
                .lock()
                .execute(
                    "INSERT INTO ev (prev_hash, hash, body, at_ms, actor) VALUES ($1, $2, $3, $4, $5)",
                    &[&hash, &hash, &body, &0i64, &"operator"],
                )
                .map(|_| ())
                .map_err(pg::err)
        })?;
        Ok(n as f64 / s)
    };
    let pg16 = pg_rate(args.writers)?;
    let pg1 = pg_rate(1)?;
    eprintln!(
        "PostgreSQL alone: {pg16:.0} tx/s with {} clients, {pg1:.0} with 1",
        args.writers
    );

    // One node alone on the log for the one-node rates (a second node would follow every
    // commit on the same two cores); the second node joins for the two-node rate.
    let (sa, a) = node(&url("bt"))?;
    party(&a)?;
    let one_node = |writers: usize| -> Result<f64, String> {
        let (n, s) = run(writers, args.secs, |_| party(&a).map(|_| ()))?;
        Ok(n as f64 / s)
    };
    let bt16 = one_node(args.writers)?;
    let bt1 = one_node(1)?;
    let (sb, b) = node(&url("bt"))?;
    let (n2, s2) = run(args.writers, args.secs, |i| {
        party(if i % 2 == 0 { &a } else { &b }).map(|_| ())
    })?;
    let bt2 = n2 as f64 / s2;
    eprintln!(
        "boardtrail on PostgreSQL: {bt16:.0} events/s with {} writers on one node ({:.2}× PostgreSQL), {bt1:.0} with 1 ({:.2}×), {bt2:.0} on two nodes ({:.2}×)",
        args.writers,
        bt16 / pg16,
        bt1 / pg1,
        bt2 / pg16
    );
    // Both nodes hold the same log (each wrote last in turn: wait until they agree on the
    // head, then compare the hashes).
    let until = Instant::now() + Duration::from_secs(10);
    while sa.head_seq() != sb.head_seq() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    let same = sa.head_seq() == sb.head_seq() && sa.stats().head_hash == sb.stats().head_hash;

    // Visibility on B of a write acknowledged on A, at rest.
    let mut vis = Vec::with_capacity(args.samples);
    for _ in 0..args.samples {
        std::thread::sleep(Duration::from_millis(20));
        let seq = party(&a)?;
        let t = Instant::now();
        while sb.head_seq() < seq {
            if t.elapsed() > Duration::from_secs(5) {
                return Err(format!("event {seq} did not reach node B in 5 s"));
            }
            std::hint::spin_loop();
        }
        vis.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let v = stats::summarize(&vis);
    eprintln!(
        "visibility on B of a write acknowledged on A: p50 {:.2} ms p99 {:.2} ms max {:.2} ms",
        v.p50, v.p99, v.max
    );

    let mut restart = json!(null);
    if let Some(dir) = &args.restart_from {
        c.batch_execute("CREATE DATABASE s1").map_err(pg::err)?;
        let t = Instant::now();
        let report = boardtrail::migrate::run(dir.to_str().ok_or("path")?, &url("s1"), 128)
            .map_err(|e| e.to_string())?;
        let migrate_s = t.elapsed().as_secs_f64();
        eprintln!("{report}");
        let t = Instant::now();
        let store = Ledger::over(
            PgLog::open(&PgConfig::new(url("s1"))).map_err(|e| e.to_string())?,
            true,
        )
        .map_err(|e| e.to_string())?;
        let open_s = t.elapsed().as_secs_f64();
        let events = store.head_seq();
        eprintln!("restart of a node from the snapshot in PostgreSQL: {open_s:.2} s ({events} events; migrate {migrate_s:.1} s)");
        restart = json!({"open_s": open_s, "events": events, "migrate_s": migrate_s, "rss_mb": stats::rss_mb()});
    }
    let out = json!({
        "postgres": version,
        "writers": args.writers,
        "secs": args.secs,
        "pg_tps": pg16.round(), "pg_tps_1": pg1.round(),
        "bt_eps_1_node": bt16.round(), "bt_eps_1_node_1_writer": bt1.round(), "bt_eps_2_nodes": bt2.round(),
        "ratio_1_node": bt16 / pg16, "ratio_1_writer": bt1 / pg1, "ratio_2_nodes": bt2 / pg16,
        "same_head_on_both": same,
        "visibility_ms": {"p50": v.p50, "p99": v.p99, "max": v.max, "n": v.n},
        "restart": restart,
    });
    if let Some(p) = &args.json {
        std::fs::write(
            p,
            serde_json::to_vec_pretty(&out).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
    );
    Ok(())
}
