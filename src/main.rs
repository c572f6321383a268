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
        /// Anonymous scans and Digital Link resolutions per second per client address
        /// (0: no limit), and their burst.
        #[arg(long, env = "BOARDTRAIL_ANON_RATE_PER_S", default_value_t = 20.0)]
        anon_rate_per_s: f64,
        #[arg(long, env = "BOARDTRAIL_ANON_RATE_BURST", default_value_t = 60.0)]
        anon_rate_burst: f64,
        /// Consumers' complaints per hour per client address (0: no limit), after a burst
        /// of 5; each scanned code takes at most 10 an hour after a burst of 10.
        #[arg(long, env = "BOARDTRAIL_COMPLAINTS_PER_HOUR", default_value_t = 20.0)]
        complaints_per_hour: f64,
        /// Load the demo world into an empty store first.
        #[arg(long)]
        demo: bool,
        /// The verifiable log's origin (the first line of its checkpoints and its key's
        /// name), e.g. `boardtrail.example.cn/log`. Fixed at the log's first start.
        #[arg(long, env = "BOARDTRAIL_LOG_ORIGIN")]
        log_origin: Option<String>,
        /// A witness the log sends each new checkpoint to, as `URL,VKEY` (its submission
        /// URL and its cosignature verifier key). Repeatable; in the environment, entries
        /// separated by `;`.
        #[arg(long = "witness", env = "BOARDTRAIL_WITNESSES", value_delimiter = ';')]
        witnesses: Vec<String>,
        /// Seconds between checkpoints while the log grows.
        #[arg(long, env = "BOARDTRAIL_CHECKPOINT_EVERY_S", default_value_t = 2.0)]
        checkpoint_every_s: f64,
    },
    /// Run a witness (C2SP tlog-witness) for one bureau: it cosigns a log's checkpoints
    /// only while the log only grows.
    Witness {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        bind: String,
        /// The witness's Ed25519 key (created, 0600, if missing; its verifier key is printed).
        #[arg(long)]
        key: PathBuf,
        /// Where the witness keeps the last checkpoint it cosigned of each log.
        #[arg(long)]
        state: PathBuf,
        /// The verifier key of a log it witnesses (`GET /log/key`). Repeatable.
        #[arg(long = "log-key", required = true)]
        log_keys: Vec<String>,
        /// The witness's name (its key name), used when the key is created.
        #[arg(long)]
        name: Option<String>,
    },
    /// Proofs of the verifiable log, checked offline.
    Proof {
        #[command(subcommand)]
        command: ProofCommand,
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

#[derive(Subcommand)]
enum ProofCommand {
    /// Checks proof files (inclusion or consistency: as served by `/log/proof/…`, or in
    /// the JSON shape of the RFC 6962 test vectors) and a signed checkpoint, without the
    /// server. Prints `PATH: ok` or `PATH: invalid (reason)` for each; exits 0 only if
    /// all verify.
    Verify {
        /// A signed checkpoint (`GET /log/checkpoint`) to check with --log-key; proofs of
        /// its tree size are checked against its root.
        #[arg(long, requires = "log_key")]
        checkpoint: Option<PathBuf>,
        /// The log's verifier key (`GET /log/key`).
        #[arg(long)]
        log_key: Option<String>,
        /// A witness's verifier key whose cosignature the checkpoint must carry. Repeatable.
        #[arg(long = "witness-key")]
        witness_keys: Vec<String>,
        /// Proof files, one proof each.
        files: Vec<PathBuf>,
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
            anon_rate_per_s,
            anon_rate_burst,
            complaints_per_hour,
            demo,
            log_origin,
            witnesses,
            checkpoint_every_s,
        } => {
            let mut cfg = config(&data);
            cfg.log_origin = log_origin;
            cfg.witnesses = witnesses
                .iter()
                .filter(|w| !w.trim().is_empty())
                .map(|w| match w.trim().split_once(',') {
                    Some((url, key)) => Ok((url.trim().to_string(), key.trim().to_string())),
                    None => Err(format!("--witness {w:?}: expected URL,VKEY")),
                })
                .collect::<Result<_, _>>()?;
            if !(checkpoint_every_s.is_finite() && (0.05..=3600.0).contains(&checkpoint_every_s)) {
                return Err("--checkpoint-every-s must be between 0.05 and 3600".into());
            }
            cfg.checkpoint_every = std::time::Duration::from_secs_f64(checkpoint_every_s);
            cfg.bind = bind.clone();
            cfg.public_url = public_url.unwrap_or_default();
            cfg.workers = workers;
            cfg.rate_limit = boardtrail::auth::RateLimit {
                per_second: rate_per_s,
                burst: rate_burst,
            };
            cfg.anonymous_limit = boardtrail::auth::RateLimit {
                per_second: anon_rate_per_s,
                burst: anon_rate_burst,
            };
            cfg.complaint_limit.per_second = complaints_per_hour / 3600.0;
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
        Command::Witness {
            bind,
            key,
            state,
            log_keys,
            name,
        } => {
            let cfg = boardtrail::tlog::witness::WitnessConfig {
                bind,
                key_file: key,
                state_file: state,
                log_keys,
                name,
            };
            actix_web::rt::System::new().block_on(boardtrail::tlog::witness::serve(cfg))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Proof {
            command:
                ProofCommand::Verify {
                    checkpoint,
                    log_key,
                    witness_keys,
                    files,
                },
        } => proof_verify(checkpoint, log_key, witness_keys, files),
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
        println!(
            "log key (verify checkpoints with it): {}",
            running.log.vkey()
        );
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
        match server::open_secrets(cfg, store.as_ref()) {
            Err(e) => report.problems.push(e.to_string()),
            Ok(secrets) => {
                // The checkpoints the log signed (kept in the store and beside it) must
                // still match the log.
                let kept = boardtrail::transparency::Transparency::verify_kept(
                    store.clone(),
                    &secrets.log_key,
                    cfg.data_dir.join("log.checkpoint"),
                );
                match kept {
                    Ok(Some(size)) => report.checkpoint_size = Some(size),
                    Ok(None) => {}
                    Err(e) => report.problems.push(e.to_string()),
                }
            }
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
    let store = server::open_store_for_import(&cfg)?;
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
    // Every handle on the store goes first: then sled records where its pages lie, so that
    // the next start does not read the whole import again (see `SledLog::settle`).
    drop(app);
    drop(store);
    server::settle_store(&cfg)?;
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
    println!(
        "  the reseller's listing, traced:  curl {base}/api/v1/trace/upstream/{}",
        ids.reseller_listing
    );
    println!(
        "  its sales:                       curl '{base}/api/v1/sales?listing={}'",
        ids.reseller_listing
    );
    println!(
        "  Xuzhou's request to Taobao:      curl {base}/api/v1/requests/{}",
        ids.taobao_request
    );
    println!(
        "  the Pinduoduo sample:            curl {base}/api/v1/inspections/{}",
        ids.pdd_sample
    );
}

/// `boardtrail proof verify`: every file checked, one line each.
fn proof_verify(
    checkpoint: Option<PathBuf>,
    log_key: Option<String>,
    witness_keys: Vec<String>,
    files: Vec<PathBuf>,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    use boardtrail::tlog::offline;
    if checkpoint.is_none() && files.is_empty() {
        return Err("nothing to verify: give proof files and/or --checkpoint".into());
    }
    let mut all_ok = true;
    let mut trusted = None;
    if let (Some(path), Some(key)) = (&checkpoint, &log_key) {
        let verdict = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| offline::check_checkpoint(&text, key, &witness_keys));
        match verdict {
            Ok(c) => {
                println!("{}: ok ({})", path.display(), c.summary());
                trusted = Some(c.checkpoint);
            }
            Err(why) => {
                all_ok = false;
                println!("{}: invalid ({why})", path.display());
            }
        }
    }
    for path in &files {
        let verdict = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|json| offline::check_proof(&json, trusted.as_ref()));
        match verdict {
            Ok(()) => println!("{}: ok", path.display()),
            Err(why) => {
                all_ok = false;
                println!("{}: invalid ({why})", path.display());
            }
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
