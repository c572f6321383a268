//! The `boardtrail` command: serve the API, verify the log, rebuild the snapshot.

/// mimalloc instead of glibc's malloc: the resident world is millions of small
/// allocations, and glibc's free-list consolidation cost a third of a trace (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use boardtrail::server::{self, Config};
use boardtrail::store::{EventLog, Ledger, Store};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "boardtrail",
    version,
    about = "Traceability of furniture board lots to platform listings"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DataArgs {
    /// Where the sled database lives.
    #[arg(long, env = "BOARDTRAIL_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// sled page cache in MiB (resident memory runs several times this).
    #[arg(long, env = "BOARDTRAIL_CACHE_MB", default_value_t = 128)]
    cache_mb: u64,
    /// Secret the QR tokens are keyed with; by default a random key kept in the data
    /// directory (qr.key). The store keeps its fingerprint: a different one is refused.
    #[arg(long, env = "BOARDTRAIL_QR_KEY", hide_env_values = true)]
    qr_key: Option<String>,
    /// Keep the log in PostgreSQL (`postgres://user@host:port/db`) instead of the embedded
    /// store, shared by every node started with the same URL; the data dir then keeps
    /// only the secrets, which those nodes share.
    #[arg(long, env = "BOARDTRAIL_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service.
    Serve {
        #[command(flatten)]
        data: DataArgs,
        /// Address to listen on.
        #[arg(long, env = "BOARDTRAIL_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Base URL of links (QR codes, scan pages); defaults to http://{bind}.
        #[arg(long, env = "BOARDTRAIL_PUBLIC_URL")]
        public_url: Option<String>,
        /// Bootstrap operator token (Authorization: Bearer …). If unset, a random one is
        /// generated and printed once at start.
        #[arg(long, env = "BOARDTRAIL_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        /// HTTP worker threads (0: one per core).
        #[arg(long, env = "BOARDTRAIL_WORKERS", default_value_t = 0)]
        workers: usize,
        /// Requests per second each party key may make (0: no limit).
        #[arg(long, env = "BOARDTRAIL_RATE_PER_S", default_value_t = 100.0)]
        rate_per_s: f64,
        /// Burst of requests a key may make at once.
        #[arg(long, env = "BOARDTRAIL_RATE_BURST", default_value_t = 200.0)]
        rate_burst: f64,
        /// Load the demo world into an empty store first.
        #[arg(long)]
        demo: bool,
    },
    /// Check the hash chain and that the projection equals a replay of the log.
    Verify {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Rebuild the snapshot of the resident state from a replay of the whole event log.
    Reindex {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Copy a log from one backend to another (a data dir or a database URL each) and
    /// verify the copy: same events, same head hash. The destination must be empty.
    Migrate {
        /// A data directory (sled) or a postgres:// URL.
        #[arg(long)]
        from: String,
        /// A data directory (sled) or a postgres:// URL.
        #[arg(long)]
        to: String,
        /// sled page cache in MiB.
        #[arg(long, env = "BOARDTRAIL_CACHE_MB", default_value_t = 128)]
        cache_mb: u64,
    },
    /// Bulk-load newline-delimited commands (`{"op": "lot", "body": {...}}` a line; see
    /// README). Each is validated like its API call and recorded as an event. Run it while
    /// the service is stopped (sled allows one process per data directory).
    Import {
        #[command(flatten)]
        data: DataArgs,
        /// The file to load, or - for standard input.
        file: PathBuf,
    },
}

fn config(data: &DataArgs) -> Config {
    let mut c = Config::new(&data.data_dir);
    c.cache_mb = data.cache_mb;
    c.qr_secret = data.qr_key.clone();
    c.database_url = data.database_url.clone();
    c
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,boardtrail::http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("boardtrail: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match cli.command {
        Command::Serve {
            data,
            bind,
            public_url,
            admin_token,
            workers,
            rate_per_s,
            rate_burst,
            demo,
        } => {
            let mut cfg = config(&data);
            cfg.bind = bind.clone();
            cfg.public_url = public_url.unwrap_or_default();
            cfg.workers = workers;
            cfg.rate_limit = boardtrail::auth::RateLimit {
                per_second: rate_per_s,
                burst: rate_burst,
            };
            let generated = admin_token.is_none();
            let token = match admin_token {
                Some(t) if t.len() >= 16 => t,
                Some(_) => {
                    return Err("BOARDTRAIL_ADMIN_TOKEN must be at least 16 characters".into())
                }
                None => boardtrail::secret::random_token(24)
                    .map_err(|e| format!("no randomness: {e}"))?,
            };
            cfg.admin_token = Some(token.clone());
            let generated = generated.then_some(token);
            match cfg.database_url.clone() {
                Some(url) => serve(
                    cfg.clone(),
                    server::open_pg_store(&cfg, &url)?,
                    generated,
                    demo,
                ),
                None => serve(cfg.clone(), server::open_store(&cfg)?, generated, demo),
            }
        }
        Command::Verify { data } => {
            let cfg = config(&data);
            match cfg.database_url.clone() {
                Some(url) => verify(&cfg, server::open_pg_store(&cfg, &url)),
                None => verify(&cfg, server::open_store(&cfg)),
            }
        }
        Command::Migrate { from, to, cache_mb } => {
            let report = boardtrail::migrate::run(&from, &to, cache_mb)?;
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { data, file } => import(&data, &file),
        Command::Reindex { data } => {
            // Opened without its snapshot (it may be the damage): the open replays the whole
            // log, and that world is saved as the new snapshot.
            let store = server::open_store_with(&config(&data), false)?;
            let n = store.save_snapshot()?;
            println!("reindex: replayed {n} events and wrote the snapshot");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `boardtrail serve` over an opened store (either backend).
fn serve<L: EventLog>(
    cfg: Config,
    store: std::sync::Arc<Ledger<L>>,
    generated_token: Option<String>,
    demo: bool,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let stats = store.stats();
    tracing::info!(
        events = stats.events,
        nodes = stats.nodes,
        edges = stats.edges,
        shared = store.log().shared(),
        "store opened"
    );
    actix_web::rt::System::new().block_on(async move {
        let running = server::start(&cfg, store)?;
        if let Some(token) = generated_token {
            // Printed once to the terminal, never to the log.
            println!("operator token (set BOARDTRAIL_ADMIN_TOKEN to choose one): {token}");
        }
        if demo {
            let app = running.app.clone();
            let loaded = actix_web::web::block(move || boardtrail::demo::load(&app)).await??;
            print_demo(&running, loaded);
        }
        println!("boardtrail listening on http://{}", running.addr);
        server::run_until_stopped(running).await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `boardtrail verify`: the whole hash chain, the projection against a replay, the head
/// record beside the store and the secrets' fingerprints. Exit 0 when all hold, 2 on any
/// problem (a store that does not even open included), 1 only when verify itself fails.
fn verify<S: Store>(
    cfg: &Config,
    opened: Result<std::sync::Arc<S>, boardtrail::error::AppError>,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let store = match opened {
        Ok(s) => s,
        Err(e) => {
            println!("verify: the store does not open: {e}");
            println!("verify: 1 problem(s)");
            return Ok(ExitCode::from(2));
        }
    };
    let mut report = match store.verify() {
        Ok(r) => r,
        Err(e) => {
            println!("verify: the log cannot be read: {e}");
            println!("verify: 1 problem(s)");
            return Ok(ExitCode::from(2));
        }
    };
    if report.events > 0 {
        if let Err(e) = server::open_secrets(cfg, store.as_ref()) {
            report.problems.push(e.to_string());
        }
    }
    println!("{}", serde_json::to_string_pretty(&report)?);
    if report.ok() {
        println!(
            "verify: ok ({} events, {} records)",
            report.events, report.records
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("verify: {} problem(s)", report.problems.len());
        Ok(ExitCode::from(2))
    }
}

fn import(data: &DataArgs, file: &std::path::Path) -> Result<ExitCode, Box<dyn std::error::Error>> {
    use boardtrail::app::{App, Caller};
    use std::io::BufReader;
    let cfg = config(data);
    let store = server::open_store(&cfg)?;
    // The import makes (or checks) the data dir's secrets like `serve` does, so that the
    // store it fills is served with them.
    let secrets = server::open_secrets(&cfg, store.as_ref())?;
    let app = App::with_token_key(store.clone(), secrets.token_key);
    let (reader, len): (Box<dyn std::io::BufRead>, u64) = if file.as_os_str() == "-" {
        (Box::new(BufReader::new(std::io::stdin().lock())), 0)
    } else {
        let f = std::fs::File::open(file)
            .map_err(|e| format!("cannot open {}: {e}", file.display()))?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(BufReader::with_capacity(1 << 20, f)), len)
    };
    let bar = if len > 0 {
        indicatif::ProgressBar::new(len)
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {bytes}/{total_bytes} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let res = app.import(&Caller::operator(), reader, |lines, bytes| {
        bar.set_position(bytes);
        bar.set_message(format!("{lines} lines"));
    });
    bar.finish_and_clear();
    match res {
        Ok(r) => {
            let s = started.elapsed().as_secs_f64();
            println!(
                "import: {} lines, {} events in {s:.1} s ({:.0} events/s)",
                r.lines,
                r.events,
                r.events as f64 / s.max(1e-9)
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(f) => {
            eprintln!(
                "import stopped at {f}; {} events before it were recorded",
                f.recorded
            );
            Ok(ExitCode::from(2))
        }
    }
}

fn print_demo<L: EventLog>(running: &server::Running<L>, ids: Option<boardtrail::demo::DemoIds>) {
    let base = format!("http://{}", running.addr);
    let Some(ids) = ids else {
        println!("demo: the store already has data; not loading the demo world again");
        return;
    };
    println!("demo world loaded. Try (with -H 'Authorization: Bearer <operator token>'):");
    println!(
        "  upstream from a wardrobe unit:   curl {base}/api/v1/trace/upstream/{}",
        ids.wardrobe_unit
    );
    println!(
        "  downstream from Linyi mill A:    curl {base}/api/v1/trace/downstream/{}",
        ids.mill_a
    );
    println!(
        "  downstream from the MDF lot:     curl {base}/api/v1/trace/downstream/{}",
        ids.lot_mdf
    );
    println!(
        "  the JD listing:                  curl {base}/api/v1/listings/{}",
        ids.jd_listing
    );
}
