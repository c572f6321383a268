//! boardtrail against PostgreSQL on the same generated furniture graph, side by side in one
//! run. See BENCHMARKS.md.
//!
//!     cargo run --release --example bench -- --scale 1 --pg --json bench.json
//!
//! Phases: generate (seeded) the command stream and the equivalent node/edge rows into a
//! work directory; load boardtrail through the bulk import (`load_s`); in a fresh child
//! process (so that its memory is that of a serving process, not of the import) reopen the
//! store (`restart_s`), run the upstream traces and the recalls, read `rss_mb`, and measure
//! durable ingest with concurrent writers; then, with `--pg`, start a throwaway PostgreSQL
//! cluster, COPY the same rows, build the indexes, prewarm, run the same queries (same
//! seed), measure the same keys, stop it and delete it. Prints a table and writes JSON.

#[path = "support/pg.rs"]
mod pg;
#[path = "support/stats.rs"]
mod stats;
#[path = "support/synth.rs"]
mod synth;
#[path = "support/tlog.rs"]
mod tlog;

/// mimalloc instead of glibc's malloc: the resident world is millions of small
/// allocations, and glibc's free-list consolidation cost a third of a trace (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use boardtrail::app::dto::DownstreamQuery;
use boardtrail::app::import::Command as ImportCommand;
use boardtrail::app::{App, Caller};
use boardtrail::domain::NodeKind;
use boardtrail::ids::IdCodec;

/// The public ids of the benchmark's store (one store a run), set once it is created.
static IDS: std::sync::OnceLock<IdCodec> = std::sync::OnceLock::new();

fn ids() -> &'static IdCodec {
    IDS.get()
        .expect("the store's ids are set before any id is formatted")
}

fn format_id(kind: NodeKind, id: u32) -> String {
    ids().format(kind, id)
}
use boardtrail::store::{SledConfig, SledLog, SledStore, Store};
use clap::Parser;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::hint::black_box;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use synth::{Generator, Summary};

#[derive(Parser, Debug, Clone)]
#[command(about = "boardtrail vs PostgreSQL on a generated furniture graph")]
struct Args {
    /// Scale: 1 = 200 suppliers, 150k raw lots, 50k intermediate lots, ~1M units, 300k
    /// listings.
    #[arg(long, default_value_t = 0.1)]
    scale: f64,
    #[arg(long, default_value_t = 20260301)]
    seed: u64,
    /// Also run PostgreSQL (installed with apt-get if missing).
    #[arg(long)]
    pg: bool,
    /// Write the results here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Draw recall latency against result size (SVG).
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Random units traced upstream.
    #[arg(long, default_value_t = 1000)]
    queries: usize,
    /// Concurrent writers for the ingest measurement.
    #[arg(long, default_value_t = 16)]
    writers: usize,
    /// Seconds of each ingest measurement.
    #[arg(long, default_value_t = 10.0)]
    ingest_secs: f64,
    /// Where to put the work directory (default: the system temp dir).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Keep the work directory (the boardtrail data is in `<dir>/bt`).
    #[arg(long)]
    keep: bool,
    /// sled page cache in MiB (the server's default is 128).
    #[arg(long, default_value_t = 128)]
    cache_mb: u64,
    /// Only redraw --plot from the JSON of an earlier run.
    #[arg(long)]
    replot: Option<PathBuf>,
    /// Internal: run the boardtrail query phase on this work directory.
    #[arg(long, hide = true)]
    child: Option<PathBuf>,
    /// Internal: run the boardtrail import on this work directory.
    #[arg(long, hide = true)]
    child_load: Option<PathBuf>,
}

/// What the parent hands to the child process.
#[derive(Serialize, Deserialize)]
struct Samples {
    units: Vec<u32>,
    /// Another sample, for the breakdown (pages not warmed by the measured pass).
    #[serde(default)]
    units_b: Vec<u32>,
    /// Units traced upstream with the view serialised as the API's JSON body.
    units_c: Vec<u32>,
    suppliers: Vec<u32>,
    platforms: Vec<u32>,
    manufacturers: Vec<u32>,
    batches_by_maker: Vec<Vec<u32>>,
    next_id: u32,
}

impl Samples {
    fn summary(&self) -> Summary {
        Summary {
            platforms: self.platforms.clone(),
            suppliers: self.suppliers.clone(),
            manufacturers: self.manufacturers.clone(),
            batches_by_maker: self.batches_by_maker.clone(),
            next_id: self.next_id,
            ..Summary::default()
        }
    }
}

fn main() {
    let args = Args::parse();
    let res = match (&args.child, &args.child_load) {
        (Some(dir), _) => child(&args, dir).map(|v| println!("{v}")),
        (_, Some(dir)) => load_boardtrail(&args, dir).and_then(|r| {
            println!("{}", serde_json::to_string(&r).map_err(|e| e.to_string())?);
            Ok(())
        }),
        _ => match (&args.replot, &args.plot) {
            (Some(json), Some(out)) => replot(json, out),
            (Some(_), None) => Err("--replot needs --plot".into()),
            _ => parent(&args),
        },
    };
    if let Err(e) = res {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

/// The upstream view of `id` as `App::upstream_with` builds it (every node with its
/// label and fields, every edge with its quantity, the suppliers and makers; strings
/// borrowed from the world), handed to `black_box` whole; its node count.
fn view_nodes(app: &App, caller: &Caller, id: &str) -> Result<usize, String> {
    app.upstream_with(caller, id, |v| black_box(v).nodes.len())
        .map_err(|e| e.to_string())
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

// ---------------------------------------------------------------------------------------
// Parent: generate, load, run the child, PostgreSQL, report
// ---------------------------------------------------------------------------------------

fn parent(args: &Args) -> Result<(), String> {
    let base = args.work_dir.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&base).map_err(|e| e.to_string())?;
    let tmp = tempfile::Builder::new()
        .prefix("boardtrail-bench-")
        .tempdir_in(&base)
        .map_err(|e| e.to_string())?;
    let work = tmp.path().to_path_buf();
    let tmp = if args.keep {
        eprintln!("work directory (kept): {}", work.display());
        let _ = tmp.keep();
        None
    } else {
        Some(tmp)
    };

    // 1. Generate.
    eprintln!("generating scale {} (seed {})", args.scale, args.seed);
    let t = Instant::now();
    let summary = generate(args, &work)?;
    let gen_s = t.elapsed().as_secs_f64();
    eprintln!(
        "generated {} commands, {} pg nodes, {} pg edges in {gen_s:.1} s",
        summary.commands, summary.pg_nodes, summary.pg_edges
    );
    let samples = Samples {
        units: Summary::sample(&summary.units, args.queries, args.seed ^ 0x5EED),
        units_b: Summary::sample(&summary.units, args.queries, args.seed ^ 0xB0B),
        units_c: Summary::sample(&summary.units, args.queries, args.seed ^ 0xC0C),
        suppliers: summary.suppliers.clone(),
        platforms: summary.platforms.clone(),
        manufacturers: summary.manufacturers.clone(),
        batches_by_maker: summary.batches_by_maker.clone(),
        next_id: summary.next_id,
    };
    std::fs::write(
        work.join("samples.json"),
        serde_json::to_vec(&samples).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;

    // 2. Load boardtrail through the bulk import, in a fresh process (like
    //    `boardtrail import`: no heap left over from the generator).
    eprintln!(
        "boardtrail: importing {} commands in a fresh process",
        summary.commands
    );
    let load: LoadResult = serde_json::from_value(run_child(args, "--child-load", &work)?)
        .map_err(|e| format!("load output: {e}"))?;

    // 3. Query phase in a fresh process: its memory is that of a serving process.
    eprintln!("boardtrail: restart, queries and ingest in a fresh process");
    let bt = run_child(args, "--child", &work)?;

    // 4. PostgreSQL.
    let pgv = if args.pg {
        Some(run_pg(args, &work, &samples, &summary)?)
    } else {
        None
    };

    let result = report(args, &summary, gen_s, &load, &bt, pgv.as_ref());
    if let Some(p) = &args.json {
        std::fs::write(
            p,
            serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?,
        )
        .map_err(|e| format!("{}: {e}", p.display()))?;
        eprintln!("wrote {}", p.display());
    }
    if let Some(p) = &args.plot {
        plot(p, args.scale, &bt, pgv.as_ref())?;
        eprintln!("wrote {}", p.display());
    }
    drop(tmp);
    Ok(())
}

/// Runs this program again in a phase of its own; returns the JSON it prints.
fn run_child(args: &Args, phase: &str, work: &Path) -> Result<Value, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::process::Command::new(exe)
        .arg(phase)
        .arg(work)
        .args(["--seed", &args.seed.to_string()])
        .args(["--writers", &args.writers.to_string()])
        .args(["--ingest-secs", &args.ingest_secs.to_string()])
        .args(["--cache-mb", &args.cache_mb.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("{phase}: {e}"))?;
    if !out.status.success() {
        return Err(format!("the {phase} phase failed ({})", out.status));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{phase} output: {e}"))
}

fn sled_config(args: &Args, work: &Path) -> SledConfig {
    let mut c = SledConfig::new(work.join("bt").join("db"));
    c.cache_bytes = args.cache_mb * 1024 * 1024;
    c
}

fn generate(args: &Args, work: &Path) -> Result<Summary, String> {
    let file = |name: &str| -> Result<BufWriter<std::fs::File>, String> {
        std::fs::File::create(work.join(name))
            .map(|f| BufWriter::with_capacity(1 << 20, f))
            .map_err(|e| format!("{name}: {e}"))
    };
    let (mut cmds, mut nodes, mut edges) = (
        file("commands.ndjson")?,
        file("node.tsv")?,
        file("edge.tsv")?,
    );
    // The store first: the stream names records by the ids this store will give them.
    let codec = {
        let store = SledStore::open(&sled_config(args, work)).map_err(|e| e.to_string())?;
        IdCodec::new(&boardtrail::store::Store::id_key(&store))
    };
    let _ = IDS.set(codec.clone());
    let mut gen = Generator::new(args.scale, args.seed, codec);
    eprintln!("plan: {:?}", gen.plan());
    let (mut nbuf, mut ebuf) = (String::new(), String::new());
    for item in gen.by_ref() {
        cmds.write_all(item.line.as_bytes())
            .and_then(|_| cmds.write_all(b"\n"))
            .map_err(|e| e.to_string())?;
        nbuf.clear();
        for n in &item.nodes {
            pg::node_row(n, &mut nbuf);
        }
        ebuf.clear();
        for e in &item.edges {
            pg::edge_row(e, &mut ebuf);
        }
        nodes
            .write_all(nbuf.as_bytes())
            .map_err(|e| e.to_string())?;
        edges
            .write_all(ebuf.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    for mut w in [cmds, nodes, edges] {
        w.flush().map_err(|e| e.to_string())?;
    }
    Ok(gen.into_summary())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LoadResult {
    load_s: f64,
    events: u64,
    nodes: u64,
    edges: u64,
    graph_mb: f64,
    disk_mb: f64,
    sled_size_on_disk_mb: f64,
    import_rss_mb: f64,
    import_peak_rss_mb: f64,
    ndjson_mb: f64,
}

fn load_boardtrail(args: &Args, work: &Path) -> Result<LoadResult, String> {
    let path = work.join("commands.ndjson");
    let ndjson_mb = stats::mb(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0));
    let t = Instant::now();
    // As `boardtrail import` opens it (`server::open_store_for_import`).
    let mut cfg = sled_config(args, work);
    cfg.flush_every_ms = boardtrail::store::sled_store::BULK_FLUSH_MS;
    let store = Arc::new(SledStore::open(&cfg).map_err(|e| e.to_string())?);
    let app = App::new(store.clone());
    let _ = IDS.set(app.ids().clone());
    let f = std::fs::File::open(&path).map_err(|e| e.to_string())?;
    let mut last = Instant::now();
    let report = app
        .import(
            &Caller::operator(),
            BufReader::with_capacity(1 << 20, f),
            |lines, _| {
                if last.elapsed() > Duration::from_secs(5) {
                    last = Instant::now();
                    let s = t.elapsed().as_secs_f64();
                    eprintln!(
                        "  {lines} lines in {s:.0} s ({:.0}/s), rss {:.0} MB, sled {:.0} MB",
                        lines as f64 / s,
                        stats::rss_mb(),
                        stats::mb(store.disk_bytes())
                    );
                }
            },
        )
        .map_err(|e| format!("import: {e}"))?;
    let st = store.stats();
    let sled_size_on_disk_mb = round(stats::mb(store.disk_bytes()), 1);
    let import_rss_mb = round(stats::rss_mb(), 0);
    drop(app);
    drop(store);
    // As `boardtrail import` ends: sled records its page table (see `SledLog::settle`).
    let settle = Instant::now();
    SledLog::settle(&sled_config(args, work)).map_err(|e| e.to_string())?;
    let settle_s = settle.elapsed().as_secs_f64();
    let load_s = t.elapsed().as_secs_f64();
    eprintln!("  sled settled in {settle_s:.2} s (included in the load)");
    let res = LoadResult {
        load_s: round(load_s, 2),
        events: report.events,
        nodes: st.nodes,
        edges: st.edges,
        graph_mb: round(stats::mb(st.graph_bytes), 1),
        disk_mb: round(stats::mb(stats::du_bytes(&work.join("bt"))), 1),
        sled_size_on_disk_mb,
        import_rss_mb,
        import_peak_rss_mb: round(stats::hwm_mb(), 0),
        ndjson_mb: round(ndjson_mb, 0),
    };
    eprintln!(
        "boardtrail: loaded {} events in {:.1} s ({:.0} events/s); {} nodes, {} edges; disk {:.0} MB",
        res.events,
        load_s,
        res.events as f64 / load_s,
        res.nodes,
        res.edges,
        res.disk_mb
    );
    Ok(res)
}

// ---------------------------------------------------------------------------------------
// Child: the boardtrail query phase
// ---------------------------------------------------------------------------------------

fn child(args: &Args, work: &Path) -> Result<Value, String> {
    let samples: Samples = serde_json::from_slice(
        &std::fs::read(work.join("samples.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let rss_start = stats::rss_mb();

    // Restart, as the server does it: open the store (snapshot + the log after it), the app
    // with its QR index, and answer a first trace.
    let t = Instant::now();
    let store = Arc::new(SledStore::open(&sled_config(args, work)).map_err(|e| e.to_string())?);
    let open_s = t.elapsed().as_secs_f64();
    let app = App::new(store.clone()).with_qr(
        boardtrail::qr::QrKey::from_secret("bench"),
        "http://bench.invalid",
    );
    let _ = IDS.set(app.ids().clone());
    let first = samples
        .units
        .first()
        .map(|&u| format_id(NodeKind::Unit, u))
        .ok_or("no sampled unit")?;
    black_box(
        app.upstream_json(&Caller::operator(), &first)
            .map_err(|e| e.to_string())?,
    );
    let restart_s = t.elapsed().as_secs_f64();
    // The QR index is built in the background: when does a scanned token resolve?
    let token = samples
        .units
        .first()
        .and_then(|&u| app.qr_ref(u))
        .map(|q| q.token)
        .ok_or("no QR token")?;
    app.resolve_token(&token).map_err(|e| e.to_string())?;
    let qr_ready_s = t.elapsed().as_secs_f64();
    let rss_open = stats::rss_mb();
    eprintln!(
        "  restart: open {open_s:.2} s, first trace answered {restart_s:.2} s, first QR token resolved {qr_ready_s:.2} s; rss {rss_open:.0} MB"
    );
    let caller = Caller::operator();

    // Upstream from random units: the raw walk and the full view.
    let ids: Vec<String> = samples
        .units
        .iter()
        .map(|&u| format_id(NodeKind::Unit, u))
        .collect();
    for (i, &u) in samples.units.iter().enumerate().take(200) {
        black_box(store.upstream(u).map_err(|e| e.to_string())?);
        black_box(view_nodes(&app, &caller, &ids[i])?);
    }
    let mut raw_us = Vec::with_capacity(ids.len());
    let mut app_us = Vec::with_capacity(ids.len());
    let mut up_nodes = Vec::with_capacity(ids.len());
    for &u in &samples.units {
        let t = Instant::now();
        let r = store.upstream(u).map_err(|e| e.to_string())?;
        raw_us.push(us(t.elapsed()));
        up_nodes.push(r.nodes.len());
        black_box(r);
    }
    for id in &ids {
        let t = Instant::now();
        let v = view_nodes(&app, &caller, id)?;
        app_us.push(us(t.elapsed()));
        black_box(v);
    }
    // Where the view's time goes, on other units (shifted sample): reading the records
    // of the nodes reached (cold), then the whole view again (records now cached).
    let mut rec_us = Vec::with_capacity(samples.units_b.len());
    let mut warm_us = Vec::with_capacity(ids.len());
    for &u in &samples.units_b {
        let other = format_id(NodeKind::Unit, u);
        let r = store.upstream(u).map_err(|e| e.to_string())?;
        let t = Instant::now();
        for &n in &r.nodes {
            black_box(store.record(n).map_err(|e| e.to_string())?);
        }
        rec_us.push(us(t.elapsed()));
        let t = Instant::now();
        black_box(view_nodes(&app, &caller, &other)?);
        warm_us.push(us(t.elapsed()));
    }
    // The same view written as the API's JSON body (what `GET /trace/upstream` sends),
    // on a third sample of units.
    let mut json_us = Vec::with_capacity(samples.units_c.len());
    let mut json_bytes = Vec::with_capacity(samples.units_c.len());
    for &u in &samples.units_c {
        let other = format_id(NodeKind::Unit, u);
        let t = Instant::now();
        let body = app
            .upstream_json(&caller, &other)
            .map_err(|e| e.to_string())?;
        json_us.push(us(t.elapsed()));
        json_bytes.push(body.len());
        black_box(body);
    }
    let up_json = stats::summarize(&json_us);
    let up_records = stats::summarize(&rec_us);
    let up_warm = stats::summarize(&warm_us);
    let up_raw = stats::summarize(&raw_us);
    let up_app = stats::summarize(&app_us);
    eprintln!(
        "  upstream: raw p50 {:.1} µs p99 {:.1} µs; view p50 {:.1} µs p99 {:.1} µs; reading the nodes' records alone p50 {:.1} µs p99 {:.1} µs, view with them cached p50 {:.1} µs p99 {:.1} µs",
        up_raw.p50, up_raw.p99, up_app.p50, up_app.p99, up_records.p50, up_records.p99, up_warm.p50, up_warm.p99
    );
    eprintln!(
        "  upstream as the API's JSON body: p50 {:.1} µs p99 {:.1} µs",
        up_json.p50, up_json.p99
    );

    // Recall: every supplier to all its listings.
    for &s in &samples.suppliers {
        black_box(store.downstream(s).map_err(|e| e.to_string())?);
    }
    let mut rec_raw = Vec::new();
    let mut rec_full = Vec::new();
    let mut rec_app = Vec::new();
    let mut sizes = Vec::new();
    for &s in &samples.suppliers {
        let t = Instant::now();
        let r = store.downstream(s).map_err(|e| e.to_string())?;
        rec_raw.push(ms(t.elapsed()));
        sizes.push(r.listings.len());
        black_box(r);
    }
    for &s in &samples.suppliers {
        let t = Instant::now();
        let r = store.downstream(s).map_err(|e| e.to_string())?;
        let ext: Vec<String> = r
            .listings
            .iter()
            .map(|&l| format_id(NodeKind::Listing, l))
            .collect();
        rec_full.push(ms(t.elapsed()));
        black_box(ext);
    }
    let q = DownstreamQuery::default();
    for &s in &samples.suppliers {
        let id = format_id(NodeKind::Party, s);
        let t = Instant::now();
        let v = app
            .downstream(&caller, &id, &q)
            .map_err(|e| e.to_string())?;
        rec_app.push(ms(t.elapsed()));
        black_box(v);
    }
    let (r_raw, r_full, r_app) = (
        stats::summarize(&rec_raw),
        stats::summarize(&rec_full),
        stats::summarize(&rec_app),
    );
    eprintln!(
        "  recall: p50 {:.2} ms p99 {:.2} ms max {:.2} ms (raw walk p50 {:.2}, view p50 {:.2})",
        r_full.p50, r_full.p99, r_full.max, r_raw.p50, r_app.p50
    );
    let rss_queries = stats::rss_mb();
    let disk_before_ingest = stats::du_bytes(&work.join("bt"));

    // Durable ingest through the real write path.
    let summary = samples.summary();
    let ing = ingest_boardtrail(&app, &store, &summary, args.writers, args.ingest_secs)?;
    let ing1 = ingest_boardtrail(&app, &store, &summary, 1, args.ingest_secs / 2.0)?;
    eprintln!(
        "  ingest: {:.0} events/s with {} writers ({:.3} flushes/event, {:.0} µs CPU/event), {:.0}/s with 1 ({:.0} µs CPU/event)",
        ing.eps, args.writers, ing.flushes_per_event, ing.cpu_us_per_event, ing1.eps, ing1.cpu_us_per_event
    );
    // sled 0.34's flush writes with sync_file_range, which neither flushes the device's
    // write cache nor the file's metadata, so it is weaker than PostgreSQL's fdatasync on
    // commit. Measure also with a grouped fdatasync of sled's log file before each
    // acknowledgement: what a store that made writes power-loss durable would pay.
    let log = std::fs::File::open(work.join("bt").join("db").join("db"))
        .map_err(|e| format!("sled log file: {e}"))?;
    let fs = Fsync::new(log);
    let ing_fs = ingest_boardtrail_with(
        &app,
        &store,
        &summary,
        args.writers,
        args.ingest_secs,
        Some(&fs),
    )?;
    let ing_fs1 =
        ingest_boardtrail_with(&app, &store, &summary, 1, args.ingest_secs / 2.0, Some(&fs))?;
    eprintln!(
        "  ingest + grouped fdatasync: {:.0} events/s with {} writers ({:.3} fdatasyncs/event), {:.0}/s with 1",
        ing_fs.eps, args.writers, ing_fs.fdatasyncs_per_event, ing_fs1.eps
    );
    let stats_after = store.stats();
    let tlog = tlog::measure(&store, ing.cpu_us_per_event)?;

    Ok(json!({
        "restart_s": round(restart_s, 3),
        "restart_open_s": round(open_s, 3),
        "restart_qr_s": round(qr_ready_s, 3),
        "rss_mb": round(rss_queries, 0),
        "rss_open_mb": round(rss_open, 0),
        "rss_after_ingest_mb": round(stats::rss_mb(), 0),
        "rss_process_start_mb": round(rss_start, 0),
        "peak_rss_mb": round(stats::hwm_mb(), 0),
        "graph_mb": round(stats::mb(stats_after.graph_bytes), 1),
        "disk_mb": round(stats::mb(disk_before_ingest), 1),
        "upstream": up_app,
        "upstream_raw": up_raw,
        "upstream_record_reads": up_records,
        "upstream_view_records_cached": up_warm,
        "upstream_json": up_json,
        "upstream_json_median_bytes": median_usize(&json!(json_bytes)),
        "upstream_nodes": up_nodes,
        "recall": r_full,
        "recall_raw": r_raw,
        "recall_view": r_app,
        "recall_ms": rec_full,
        "recall_raw_ms": rec_raw,
        "recall_view_ms": rec_app,
        "recall_sizes": sizes,
        "ingest": ing,
        "ingest_1": ing1,
        "ingest_fdatasync": ing_fs,
        "ingest_fdatasync_1": ing_fs1,
        "tlog": tlog,
    }))
}

#[derive(Debug, Clone, Default, Serialize)]
struct Ingest {
    writers: usize,
    secs: f64,
    events: u64,
    eps: f64,
    flushes: u64,
    flushes_per_event: f64,
    fdatasyncs_per_event: f64,
    /// Process CPU time (user + system, all threads) per event, µs.
    cpu_us_per_event: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Group commit of `fdatasync` on one file: a caller whose write completed takes a
/// ticket; one leader syncs for everybody whose ticket was issued before it started.
struct Fsync {
    file: std::fs::File,
    issued: AtomicU64,
    state: parking_lot::Mutex<(u64, bool)>,
    cv: parking_lot::Condvar,
    syncs: AtomicU64,
}

impl Fsync {
    fn new(file: std::fs::File) -> Fsync {
        Fsync {
            file,
            issued: AtomicU64::new(0),
            state: parking_lot::Mutex::new((0, false)),
            cv: parking_lot::Condvar::new(),
            syncs: AtomicU64::new(0),
        }
    }

    /// Returns once an fdatasync that started after this call has completed.
    fn sync(&self) -> Result<(), String> {
        let ticket = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let mut st = self.state.lock();
        loop {
            if st.0 >= ticket {
                return Ok(());
            }
            if st.1 {
                self.cv.wait(&mut st);
                continue;
            }
            st.1 = true;
            let target = self.issued.load(Ordering::SeqCst);
            drop(st);
            let res = self.file.sync_data();
            self.syncs.fetch_add(1, Ordering::Relaxed);
            st = self.state.lock();
            st.1 = false;
            if res.is_ok() {
                st.0 = st.0.max(target);
            }
            self.cv.notify_all();
            res.map_err(|e| format!("fdatasync: {e}"))?;
        }
    }
}

fn ingest_boardtrail(
    app: &App,
    store: &SledStore,
    summary: &Summary,
    writers: usize,
    secs: f64,
) -> Result<Ingest, String> {
    ingest_boardtrail_with(app, store, summary, writers, secs, None)
}

/// Runs one thread per worker state for `secs` seconds (each loops until `stop` is set and
/// returns its latencies in ms); returns every latency and the elapsed seconds.
fn run_writers<W: Send>(
    workers: Vec<W>,
    secs: f64,
    work: impl Fn(W, &AtomicBool) -> Result<Vec<f64>, String> + Sync,
) -> Result<(Vec<f64>, f64), String> {
    let stop = AtomicBool::new(false);
    let t = Instant::now();
    let lat: Vec<Result<Vec<f64>, String>> = std::thread::scope(|sc| {
        let hs: Vec<_> = workers
            .into_iter()
            .map(|w| {
                let (stop, work) = (&stop, &work);
                sc.spawn(move || work(w, stop))
            })
            .collect();
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
        hs.into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("writer panicked".into())))
            .collect()
    });
    let elapsed = t.elapsed().as_secs_f64();
    let mut all = Vec::new();
    for l in lat {
        all.extend(l?);
    }
    Ok((all, elapsed))
}

/// `writers` threads each apply listing commands (1 node, 4 edges) through `App::apply`
/// (validation, writer lock, one sled transaction, group-committed flush) for `secs`.
fn ingest_boardtrail_with(
    app: &App,
    store: &SledStore,
    summary: &Summary,
    writers: usize,
    secs: f64,
    fsync: Option<&Fsync>,
) -> Result<Ingest, String> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    // Item ids must be new on every run against the same store.
    let tag = format!(
        "bench-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
    );
    let tag = tag.as_str();
    let flushes0 = store.flush_count();
    let syncs0 = fsync.map(|f| f.syncs.load(Ordering::Relaxed)).unwrap_or(0);
    let cpu0 = stats::cpu_secs();
    let caller = Caller::operator();
    let (all, elapsed) = run_writers(vec![(); writers], secs, |(), stop| {
        let mut lat = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let n = SEQ.fetch_add(1, Ordering::Relaxed);
            let (line, _) = summary.extra_listing(ids(), n, tag);
            let cmd: ImportCommand = serde_json::from_str(&line).map_err(|e| e.to_string())?;
            let t = Instant::now();
            app.apply(&caller, cmd).map_err(|e| e.to_string())?;
            if let Some(f) = fsync {
                f.sync()?;
            }
            lat.push(ms(t.elapsed()));
        }
        Ok(lat)
    })?;
    let flushes = store.flush_count() - flushes0;
    let syncs = fsync.map(|f| f.syncs.load(Ordering::Relaxed)).unwrap_or(0) - syncs0;
    let cpu = stats::cpu_secs() - cpu0;
    let s = stats::summarize(&all);
    let events = all.len() as u64;
    Ok(Ingest {
        writers,
        secs: round(elapsed, 2),
        events,
        eps: round(events as f64 / elapsed, 0),
        flushes,
        flushes_per_event: round(flushes as f64 / events.max(1) as f64, 4),
        fdatasyncs_per_event: round(syncs as f64 / events.max(1) as f64, 4),
        cpu_us_per_event: round(cpu * 1e6 / events.max(1) as f64, 1),
        p50_ms: round(s.p50, 3),
        p99_ms: round(s.p99, 3),
    })
}

// ---------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------

fn run_pg(args: &Args, work: &Path, samples: &Samples, summary: &Summary) -> Result<Value, String> {
    eprintln!("PostgreSQL: initdb and start a throwaway cluster");
    let mut cluster = pg::Cluster::start(&pg::Settings::baseline(), true)?;
    let mut c = cluster.connect()?;
    let version: String = c
        .query_one("SHOW server_version", &[])
        .map_err(|e| e.to_string())?
        .get(0);
    eprintln!("PostgreSQL {version} on port {}", cluster.port);

    // Load: COPY, 4 index builds, VACUUM ANALYZE.
    let t = Instant::now();
    pg::create_tables(&mut c)?;
    let open = |n: &str| {
        std::fs::File::open(work.join(n))
            .map(|f| BufReader::with_capacity(1 << 20, f))
            .map_err(|e| e.to_string())
    };
    let nodes = pg::copy_from(&mut c, "node", open("node.tsv")?)?;
    let edges = pg::copy_from(&mut c, "edge", open("edge.tsv")?)?;
    let copy_s = t.elapsed().as_secs_f64();
    let (ix, an) = pg::build_indexes(&mut c)?;
    let load_s = t.elapsed().as_secs_f64();
    eprintln!(
        "PostgreSQL: loaded {nodes} nodes, {edges} edges in {load_s:.1} s (COPY {copy_s:.1} s, indexes {:.1} s, vacuum analyze {:.1} s)",
        ix.as_secs_f64(),
        an.as_secs_f64()
    );
    let disk = pg::database_bytes(&mut c)?;
    let cluster_disk = stats::du_bytes(&cluster.data_dir());
    pg::prewarm(&mut c)?;

    // Upstream: the same units.
    let up = c.prepare(pg::UPSTREAM_SQL).map_err(pg::err)?;
    let ids: Vec<String> = samples
        .units
        .iter()
        .map(|&u| format_id(NodeKind::Unit, u))
        .collect();
    for id in ids.iter().take(200) {
        black_box(pg::upstream_ids(&mut c, &up, id)?);
    }
    let mut up_us = Vec::new();
    let mut up_nodes = Vec::new();
    for id in &ids {
        let t = Instant::now();
        let rows = c.query(&up, &[id]).map_err(pg::err)?;
        up_us.push(us(t.elapsed()));
        up_nodes.push(rows.len());
    }
    let up_s = stats::summarize(&up_us);
    eprintln!(
        "PostgreSQL: upstream p50 {:.1} µs p99 {:.1} µs",
        up_s.p50, up_s.p99
    );
    let interleaved = upstream_interleaved(args, work, &mut c, &up, &ids)?;

    // Recall: every supplier, once.
    let rec = c.prepare(pg::RECALL_SQL).map_err(pg::err)?;
    let mut rec_ms = Vec::new();
    let mut sizes = Vec::new();
    let started = Instant::now();
    for (i, &s) in samples.suppliers.iter().enumerate() {
        let id = format_id(NodeKind::Party, s);
        let t = Instant::now();
        let rows = c.query(&rec, &[&id]).map_err(pg::err)?;
        rec_ms.push(ms(t.elapsed()));
        sizes.push(rows.len());
        if (i + 1) % 50 == 0 {
            eprintln!(
                "  recall {}/{} ({:.0} s)",
                i + 1,
                samples.suppliers.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    let rec_s = stats::summarize(&rec_ms);
    eprintln!(
        "PostgreSQL: recall p50 {:.1} ms p99 {:.1} ms max {:.1} ms",
        rec_s.p50, rec_s.p99, rec_s.max
    );
    let pss = cluster.pss_mb();
    drop(c);

    // Durable ingest: 1 node + 4 edges a transaction.
    let ing = ingest_pg(&cluster, summary, args.writers, args.ingest_secs)?;
    let ing1 = ingest_pg(&cluster, summary, 1, args.ingest_secs / 2.0)?;
    eprintln!(
        "PostgreSQL: ingest {:.0} tx/s with {} clients, {:.0} with 1",
        ing.eps, args.writers, ing1.eps
    );

    // Restart: stop, start, first query.
    let restart = cluster.restart()?;
    eprintln!("PostgreSQL: restart {:.2} s", restart.as_secs_f64());
    cluster.stop()?;
    drop(cluster);
    Ok(json!({
        "version": version,
        "load_s": round(load_s, 2),
        "copy_s": round(copy_s, 2),
        "index_s": round(ix.as_secs_f64(), 2),
        "vacuum_analyze_s": round(an.as_secs_f64(), 2),
        "nodes": nodes,
        "edges": edges,
        "disk_mb": round(stats::mb(disk), 1),
        "cluster_dir_mb": round(stats::mb(cluster_disk), 1),
        "rss_mb": round(pss, 0),
        "restart_s": round(restart.as_secs_f64(), 3),
        "upstream": up_s,
        "upstream_nodes": up_nodes,
        "upstream_interleaved": interleaved,
        "recall": rec_s,
        "recall_ms": rec_ms,
        "recall_sizes": sizes,
        "ingest": ing,
        "ingest_1": ing1,
    }))
}

/// The upstream view and PostgreSQL's upstream query on the same units, in alternating
/// rounds of 100 in one process: the machine's speed here moves by tens of percent within
/// minutes, and the two measurements above are minutes apart, so this is the comparison
/// that both sides see under the same conditions. boardtrail's store is the one its own
/// phase left (opened again here, as a restart would).
fn upstream_interleaved(
    args: &Args,
    work: &Path,
    c: &mut postgres::Client,
    up: &postgres::Statement,
    ids: &[String],
) -> Result<Value, String> {
    let store = Arc::new(SledStore::open(&sled_config(args, work)).map_err(|e| e.to_string())?);
    let app = App::new(store.clone());
    let caller = Caller::operator();
    for id in ids.iter().take(200) {
        black_box(view_nodes(&app, &caller, id)?);
    }
    let (mut bt_us, mut pg_us) = (Vec::new(), Vec::new());
    for round in ids.chunks(100) {
        for id in round {
            let t = Instant::now();
            black_box(view_nodes(&app, &caller, id)?);
            bt_us.push(us(t.elapsed()));
        }
        for id in round {
            let t = Instant::now();
            black_box(c.query(up, &[id]).map_err(pg::err)?);
            pg_us.push(us(t.elapsed()));
        }
    }
    let (bt, pg) = (stats::summarize(&bt_us), stats::summarize(&pg_us));
    let ratio = pg.p50 / bt.p50.max(1e-9);
    eprintln!(
        "upstream, interleaved in rounds of 100: boardtrail view p50 {:.1} µs, PostgreSQL p50 {:.1} µs: {ratio:.1}×",
        bt.p50, pg.p50
    );
    Ok(json!({
        "boardtrail": bt,
        "postgresql": pg,
        "ratio_p50": round(ratio, 1),
    }))
}

fn ingest_pg(
    cluster: &pg::Cluster,
    summary: &Summary,
    writers: usize,
    secs: f64,
) -> Result<Ingest, String> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let first_id = summary.next_id as u64 + 1_000_000;
    let mut clients = Vec::new();
    for _ in 0..writers {
        clients.push(cluster.connect()?);
    }
    let (all, elapsed) = run_writers(clients, secs, |mut c, stop| {
        let e = pg::err;
        let ins_node = c
            .prepare("INSERT INTO node (id, kind, ext_id, data) VALUES ($1, 5, $2, $3)")
            .map_err(e)?;
        let ins_edges = c
            .prepare(
                "INSERT INTO edge (src, dst, kind) VALUES \
                     ($1, $5, 3), ($2, $5, 3), ($3, $5, 3), ($4, $5, 3)",
            )
            .map_err(e)?;
        let mut lat = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let n = SEQ.fetch_add(1, Ordering::Relaxed);
            let (_, b) = summary.extra_listing(ids(), n, "pg");
            let id = (first_id + n) as i64;
            let ext = format_id(NodeKind::Listing, id as u32);
            let data = format!(r#"{{"item_id":"pg-{n}","title":"bench listing"}}"#);
            let b: Vec<i64> = b.iter().map(|&x| x as i64).collect();
            let t = Instant::now();
            let mut tx = c.transaction().map_err(e)?;
            tx.execute(&ins_node, &[&id, &ext, &data]).map_err(e)?;
            tx.execute(&ins_edges, &[&b[0], &b[1], &b[2], &b[3], &id])
                .map_err(e)?;
            tx.commit().map_err(e)?;
            lat.push(ms(t.elapsed()));
        }
        Ok(lat)
    })?;
    let s = stats::summarize(&all);
    let events = all.len() as u64;
    Ok(Ingest {
        writers,
        secs: round(elapsed, 2),
        events,
        eps: round(events as f64 / elapsed, 0),
        p50_ms: round(s.p50, 3),
        p99_ms: round(s.p99, 3),
        ..Ingest::default()
    })
}

// ---------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------

fn f(v: &Value, path: &str) -> f64 {
    let mut cur = v;
    for k in path.split('.') {
        cur = &cur[k];
    }
    cur.as_f64().unwrap_or(f64::NAN)
}

/// 1.5 GB (10^9 bytes) in MiB.
const GB_1_5_MIB: f64 = 1.5e9 / 1048576.0;

fn report(
    args: &Args,
    summary: &Summary,
    gen_s: f64,
    load: &LoadResult,
    bt: &Value,
    pgv: Option<&Value>,
) -> Value {
    let keys = |v: &Value, load_s: f64, disk_mb: f64, flushes: Option<f64>| {
        let mut o = json!({
            "upstream_p50_us": round(f(v, "upstream.p50"), 1),
            "upstream_p99_us": round(f(v, "upstream.p99"), 1),
            "recall_p50_ms": round(f(v, "recall.p50"), 2),
            "recall_p99_ms": round(f(v, "recall.p99"), 2),
            "recall_max_ms": round(f(v, "recall.max"), 2),
            "ingest_eps": f(v, "ingest.eps"),
            "ingest_eps_1": f(v, "ingest_1.eps"),
            "load_s": load_s,
            "rss_mb": f(v, "rss_mb"),
            "disk_mb": disk_mb,
            "restart_s": f(v, "restart_s"),
        });
        if let Some(fl) = flushes {
            o["ingest_flushes_per_event"] = json!(fl);
            o["ingest_fdatasync_eps"] = json!(f(v, "ingest_fdatasync.eps"));
            o["ingest_fdatasync_eps_1"] = json!(f(v, "ingest_fdatasync_1.eps"));
        }
        o
    };
    let mut out = keys(
        bt,
        load.load_s,
        load.disk_mb,
        Some(f(bt, "ingest.flushes_per_event")),
    );
    out["upstream_raw_p50_us"] = json!(round(f(bt, "upstream_raw.p50"), 2));
    out["upstream_raw_p99_us"] = json!(round(f(bt, "upstream_raw.p99"), 2));
    out["recall_raw_p50_ms"] = json!(round(f(bt, "recall_raw.p50"), 2));
    out["recall_raw_p99_ms"] = json!(round(f(bt, "recall_raw.p99"), 2));
    out["recall_raw_max_ms"] = json!(round(f(bt, "recall_raw.max"), 2));
    out["recall_view_p50_ms"] = json!(round(f(bt, "recall_view.p50"), 2));
    out["recall_view_p99_ms"] = json!(round(f(bt, "recall_view.p99"), 2));
    out["recall_view_max_ms"] = json!(round(f(bt, "recall_view.max"), 2));
    out["tlog"] = bt["tlog"].clone();
    out["scale"] = json!(args.scale);
    out["sled_cache_mb"] = json!(args.cache_mb);
    out["seed"] = json!(args.seed);
    out["machine"] = stats::machine();
    out["graph"] = json!({
        "commands": summary.commands,
        "events": load.events,
        "boardtrail_ids": load.nodes,
        "boardtrail_edges": load.edges,
        "pg_nodes": summary.pg_nodes,
        "pg_edges": summary.pg_edges,
        "suppliers": summary.suppliers.len(),
        "manufacturers": summary.manufacturers.len(),
        "raw_lots": summary.raw_lots,
        "intermediate_lots": summary.intermediate_lots,
        "shipments": summary.shipments,
        "batches": summary.batches,
        "units": summary.unit_count,
        "listings": summary.listings,
        "links": summary.links,
        "generate_s": round(gen_s, 2),
    });
    out["load"] = serde_json::to_value(load).unwrap_or(Value::Null);
    let mut detail = bt.clone();
    for k in ["upstream_nodes"] {
        if let Some(o) = detail.as_object_mut() {
            o.remove(k);
        }
    }
    out["boardtrail"] = detail;
    out["upstream_median_nodes"] = json!(median_usize(&bt["upstream_nodes"]));

    let mut rows: Vec<(String, f64, f64, String, String)> = Vec::new();
    let b = &out.clone();
    if let Some(p) = pgv {
        let pk = keys(p, f(p, "load_s"), f(p, "disk_mb"), None);
        let mut pgo = pk.clone();
        pgo["detail"] = p.clone();
        if let Some(o) = pgo["detail"].as_object_mut() {
            o.remove("upstream_nodes");
        }
        out["pg"] = pgo;
        // Do both systems return the same results?
        let agree_up = bt["upstream_nodes"] == p["upstream_nodes"];
        let agree_rec = bt["recall_sizes"] == p["recall_sizes"];
        out["results_agree"] = json!({"upstream_node_counts": agree_up, "recall_sizes": agree_rec});
        let ratio = |k: &str, lower_better: bool| {
            let (x, y) = (f(b, k), f(&pk, k));
            if lower_better {
                y / x
            } else {
                x / y
            }
        };
        let r = json!({
            "upstream_p50": round(ratio("upstream_p50_us", true), 1),
            "upstream_p99": round(ratio("upstream_p99_us", true), 1),
            "upstream_raw_p50": round(f(&pk, "upstream_p50_us") / f(b, "upstream_raw_p50_us"), 1),
            "upstream_interleaved_p50": f(p, "upstream_interleaved.ratio_p50"),
            "recall_p50": round(ratio("recall_p50_ms", true), 1),
            "recall_p99": round(ratio("recall_p99_ms", true), 1),
            "recall_max": round(ratio("recall_max_ms", true), 1),
            "recall_median_of_ratios": round(median_ratio(&p["recall_ms"], &bt["recall_ms"]), 1),
            "ingest": round(ratio("ingest_eps", false), 2),
            "ingest_1": round(ratio("ingest_eps_1", false), 2),
            "ingest_fdatasync": round(f(b, "ingest_fdatasync_eps") / f(&pk, "ingest_eps"), 2),
            "ingest_fdatasync_1": round(f(b, "ingest_fdatasync_eps_1") / f(&pk, "ingest_eps_1"), 2),
            "load": round(ratio("load_s", true), 2),
            "disk": round(ratio("disk_mb", true), 2),
        });
        out["ratios"] = r;
        for (name, k, pk_key, lower) in [
            (
                "upstream p50 (µs)",
                "upstream_p50_us",
                "upstream_p50_us",
                true,
            ),
            (
                "upstream p99 (µs)",
                "upstream_p99_us",
                "upstream_p99_us",
                true,
            ),
            ("recall p50 (ms)", "recall_p50_ms", "recall_p50_ms", true),
            ("recall p99 (ms)", "recall_p99_ms", "recall_p99_ms", true),
            ("recall max (ms)", "recall_max_ms", "recall_max_ms", true),
            ("ingest (events/s)", "ingest_eps", "ingest_eps", false),
            ("ingest 1 writer", "ingest_eps_1", "ingest_eps_1", false),
            (
                "ingest+fdatasync",
                "ingest_fdatasync_eps",
                "ingest_eps",
                false,
            ),
            (
                "ingest+fdatasync 1",
                "ingest_fdatasync_eps_1",
                "ingest_eps_1",
                false,
            ),
            ("load (s)", "load_s", "load_s", true),
            ("RSS (MB)", "rss_mb", "rss_mb", true),
            ("disk (MB)", "disk_mb", "disk_mb", true),
            ("restart (s)", "restart_s", "restart_s", true),
        ] {
            let (x, y) = (f(b, k), f(&pk, pk_key));
            let ratio = if lower { y / x } else { x / y };
            rows.push((name.into(), x, y, format!("{ratio:.1}×"), String::new()));
        }
    } else {
        for (name, k) in [
            ("upstream p50 (µs)", "upstream_p50_us"),
            ("upstream p99 (µs)", "upstream_p99_us"),
            ("recall p50 (ms)", "recall_p50_ms"),
            ("recall p99 (ms)", "recall_p99_ms"),
            ("recall max (ms)", "recall_max_ms"),
            ("ingest (events/s)", "ingest_eps"),
            ("load (s)", "load_s"),
            ("RSS (MB)", "rss_mb"),
            ("disk (MB)", "disk_mb"),
            ("restart (s)", "restart_s"),
        ] {
            rows.push((name.into(), f(b, k), f64::NAN, String::new(), String::new()));
        }
    }
    // Targets of issue 3.
    let pass = |ok: bool| if ok { "pass" } else { "MISS" }.to_string();
    let r = &out["ratios"];
    let have_pg = pgv.is_some();
    let mut targets = serde_json::Map::new();
    let mut t = |name: &str, ok: bool| {
        targets.insert(name.into(), json!(ok));
    };
    if have_pg {
        t("upstream_10x_pg_p50", f(r, "upstream_p50") >= 10.0);
        t("recall_20x_pg_p50", f(r, "recall_p50") >= 20.0);
        t("ingest_ge_pg", f(r, "ingest") >= 1.0);
    }
    t("upstream_p99_le_100us", f(b, "upstream_p99_us") <= 100.0);
    t("recall_p99_le_100ms", f(b, "recall_p99_ms") <= 100.0);
    t("recall_max_le_300ms", f(b, "recall_max_ms") <= 300.0);
    t("load_le_30s", f(b, "load_s") <= 30.0);
    t("rss_le_1_5gb", f(b, "rss_mb") <= GB_1_5_MIB);
    t("disk_le_1_5gb", f(b, "disk_mb") <= GB_1_5_MIB);
    t("restart_le_5s", f(b, "restart_s") <= 5.0);
    for row in rows.iter_mut() {
        row.4 = match row.0.as_str() {
            "upstream p50 (µs)" if have_pg => {
                pass(targets["upstream_10x_pg_p50"] == true) + " ≥10×"
            }
            "upstream p99 (µs)" => pass(targets["upstream_p99_le_100us"] == true) + " ≤100 µs",
            "recall p50 (ms)" if have_pg => pass(targets["recall_20x_pg_p50"] == true) + " ≥20×",
            "recall p99 (ms)" => pass(targets["recall_p99_le_100ms"] == true) + " ≤100 ms",
            "recall max (ms)" => pass(targets["recall_max_le_300ms"] == true) + " ≤300 ms",
            "ingest (events/s)" if have_pg => pass(targets["ingest_ge_pg"] == true) + " ≥1×",
            "load (s)" => pass(targets["load_le_30s"] == true) + " ≤30 s",
            "RSS (MB)" => pass(targets["rss_le_1_5gb"] == true) + " ≤1.5 GB",
            "disk (MB)" => pass(targets["disk_le_1_5gb"] == true) + " ≤1.5 GB",
            "restart (s)" => pass(targets["restart_le_5s"] == true) + " ≤5 s",
            _ => String::new(),
        };
    }
    out["targets"] = Value::Object(targets);

    println!(
        "\nscale {} seed {}: {} commands; boardtrail {} ids / {} edges; PostgreSQL rows {} nodes / {} edges",
        args.scale, args.seed, summary.commands, load.nodes, load.edges, summary.pg_nodes, summary.pg_edges
    );
    println!(
        "{:<20} {:>14} {:>14} {:>10}  target",
        "measure", "boardtrail", "PostgreSQL", "ratio"
    );
    for (name, x, y, ratio, target) in &rows {
        let fmt = |v: f64| {
            if v.is_nan() {
                "-".to_string()
            } else if v >= 100.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.2}")
            }
        };
        println!(
            "{name:<20} {:>14} {:>14} {ratio:>10}  {target}",
            fmt(*x),
            fmt(*y)
        );
    }
    println!(
        "boardtrail raw walks: upstream p50 {:.2} µs p99 {:.2} µs; recall p50 {:.2} ms p99 {:.2} ms max {:.2} ms; recall view (counts + first page) p50 {:.2} ms max {:.2} ms",
        f(b, "upstream_raw_p50_us"),
        f(b, "upstream_raw_p99_us"),
        f(b, "recall_raw_p50_ms"),
        f(b, "recall_raw_p99_ms"),
        f(b, "recall_raw_max_ms"),
        f(b, "recall_view_p50_ms"),
        f(b, "recall_view_max_ms"),
    );
    if have_pg {
        println!("results agree: {}", out["results_agree"]);
    }
    out
}

fn median_usize(v: &Value) -> f64 {
    let mut xs: Vec<f64> = v
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    xs.sort_by(|a, b| a.total_cmp(b));
    stats::pct(&xs, 0.5)
}

/// Median over suppliers of PostgreSQL's time divided by boardtrail's.
fn median_ratio(pg: &Value, bt: &Value) -> f64 {
    let (Some(p), Some(b)) = (pg.as_array(), bt.as_array()) else {
        return f64::NAN;
    };
    let mut r: Vec<f64> = p
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some(x.as_f64()? / y.as_f64()?))
        .collect();
    r.sort_by(|a, b| a.total_cmp(b));
    stats::pct(&r, 0.5)
}

fn replot(json: &Path, out: &Path) -> Result<(), String> {
    let v: Value = serde_json::from_slice(&std::fs::read(json).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let pgv = v.get("pg").map(|p| &p["detail"]);
    plot(out, f(&v, "scale"), &v["boardtrail"], pgv)
}

fn plot(path: &Path, scale: f64, bt: &Value, pgv: Option<&Value>) -> Result<(), String> {
    use plotters::prelude::*;
    let pts = |sizes: &Value, times: &Value| -> Vec<(f64, f64)> {
        let (Some(s), Some(t)) = (sizes.as_array(), times.as_array()) else {
            return vec![];
        };
        s.iter()
            .zip(t)
            .filter_map(|(s, t)| Some((s.as_f64()?.max(1.0), t.as_f64()?.max(1e-3))))
            .collect()
    };
    let b = pts(&bt["recall_sizes"], &bt["recall_ms"]);
    let p = pgv
        .map(|p| pts(&p["recall_sizes"], &p["recall_ms"]))
        .unwrap_or_default();
    let all: Vec<&(f64, f64)> = b.iter().chain(p.iter()).collect();
    let xmax = all.iter().map(|p| p.0).fold(10.0, f64::max) * 1.5;
    let xmin = (all.iter().map(|p| p.0).fold(f64::MAX, f64::min) / 1.5).clamp(1.0, xmax / 10.0);
    let ymin = all.iter().map(|p| p.1).fold(1e9, f64::min) / 1.5;
    let ymax = all.iter().map(|p| p.1).fold(1.0, f64::max) * 1.5;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let root = SVGBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("Recall (supplier → all listings), scale {scale}: latency vs result size"),
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d((xmin..xmax).log_scale(), (ymin..ymax).log_scale())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y}"))
        .x_desc("listings reached (result size)")
        .y_desc("latency (ms, log)")
        .draw()
        .map_err(|e| e.to_string())?;
    let blue = RGBColor(31, 119, 180);
    let orange = RGBColor(230, 120, 20);
    chart
        .draw_series(
            b.iter()
                .map(|&(x, y)| Circle::new((x, y), 3, blue.filled())),
        )
        .map_err(|e| e.to_string())?
        .label("boardtrail (walk + listing ids)")
        .legend(move |(x, y)| Circle::new((x, y), 4, blue.filled()));
    if !p.is_empty() {
        chart
            .draw_series(
                p.iter()
                    .map(|&(x, y)| TriangleMarker::new((x, y), 4, orange.filled())),
            )
            .map_err(|e| e.to_string())?
            .label("PostgreSQL (WITH RECURSIVE)")
            .legend(move |(x, y)| TriangleMarker::new((x, y), 5, orange.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}
