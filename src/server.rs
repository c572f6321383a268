//! Wiring: configuration, opening the store, and the HTTP server. `boardtrail serve` and
//! the black-box tests both start the service through [`start`].

use crate::app::App;
use crate::auth::Auth;
use crate::error::AppError;
use crate::http::{self, State};
use crate::store::{EventLog, Ledger, PgConfig, PgLog, SledConfig, SledLog, SledStore, Store};
use actix_web::{middleware, web, HttpServer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub bind: String,
    /// Base of links the service prints (QR codes, scan pages); empty: `http://{bound address}`.
    pub public_url: String,
    /// Bootstrap operator token; may act for any party.
    pub admin_token: Option<String>,
    /// sled page cache in MiB.
    pub cache_mb: u64,
    /// HTTP worker threads (0: one per core).
    pub workers: usize,
    /// Per-key request rate limit.
    pub rate_limit: crate::auth::RateLimit,
    /// Per-client limit of anonymous scans and Digital Link resolutions.
    pub anonymous_limit: crate::auth::RateLimit,
    /// Per-client limit of consumers' complaints.
    pub complaint_limit: crate::auth::RateLimit,
    /// Per-code limit of consumers' complaints.
    pub complaint_code_limit: crate::auth::RateLimit,
    /// Secret for QR tokens (`BOARDTRAIL_QR_KEY`); else `qr.key` in the data dir.
    pub qr_secret: Option<String>,
    /// The shared PostgreSQL log (`BOARDTRAIL_DATABASE_URL`) instead of the embedded sled
    /// store; the data dir then keeps only the secrets.
    pub database_url: Option<String>,
    /// The verifiable log's origin line (`BOARDTRAIL_LOG_ORIGIN`); kept with the log at its
    /// first start.
    pub log_origin: Option<String>,
    /// Witnesses (`URL,VKEY`) the log sends its checkpoints to.
    pub witnesses: Vec<(String, String)>,
    /// How often a checkpoint is signed while the log grows.
    pub checkpoint_every: Duration,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            bind: "127.0.0.1:8080".into(),
            public_url: String::new(),
            admin_token: None,
            cache_mb: 128,
            workers: 0,
            rate_limit: crate::auth::RateLimit::default(),
            anonymous_limit: crate::auth::RateLimit {
                per_second: 20.0,
                burst: 60.0,
            },
            complaint_limit: crate::auth::COMPLAINTS_PER_CLIENT,
            complaint_code_limit: crate::auth::COMPLAINTS_PER_CODE,
            qr_secret: None,
            database_url: None,
            log_origin: None,
            witnesses: Vec::new(),
            checkpoint_every: Duration::from_secs(2),
        }
    }
}

/// The data directory, made if missing; only its owner may enter it (0700).
fn make_data_dir(cfg: &Config) -> Result<(), AppError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&cfg.data_dir)
        .map_err(|e| data_dir_error(cfg, e))
}

fn data_dir_error(cfg: &Config, e: std::io::Error) -> AppError {
    AppError::Internal(format!("data dir {}: {e}", cfg.data_dir.display()))
}

/// Opens the PostgreSQL log at `url` (the schema migrated) and this node's world over it.
/// The data directory (0700) keeps the secrets, which every node of one database shares.
pub fn open_pg_store(cfg: &Config, url: &str) -> Result<Arc<Ledger<PgLog>>, AppError> {
    make_data_dir(cfg)?;
    restrict(&cfg.data_dir).map_err(|e| data_dir_error(cfg, e))?;
    let log = PgLog::open(&PgConfig::new(url))?;
    Ok(Arc::new(Ledger::over(log, true)?))
}

/// Opens the sled store under the data directory, which only its owner may enter (0700;
/// the files in it 0600).
pub fn open_store(cfg: &Config) -> Result<Arc<SledStore>, AppError> {
    open_store_with(cfg, true)
}

/// [`open_store`], optionally without reading the snapshot (the whole log is replayed).
pub fn open_store_with(cfg: &Config, use_snapshot: bool) -> Result<Arc<SledStore>, AppError> {
    let mut sc = sled_config(cfg);
    sc.use_snapshot = use_snapshot;
    open_sled(cfg, &sc)
}

/// [`open_store`] for `boardtrail import`: sled's cleaner runs more often (see
/// [`SledConfig::flush_every_ms`]).
pub fn open_store_for_import(cfg: &Config) -> Result<Arc<SledStore>, AppError> {
    let mut sc = sled_config(cfg);
    sc.flush_every_ms = crate::store::sled_store::BULK_FLUSH_MS;
    open_sled(cfg, &sc)
}

fn open_sled(cfg: &Config, sc: &SledConfig) -> Result<Arc<SledStore>, AppError> {
    make_data_dir(cfg)?;
    let store = SledStore::open(sc)?;
    restrict(&cfg.data_dir).map_err(|e| data_dir_error(cfg, e))?;
    Ok(Arc::new(store))
}

/// The embedded store's configuration for `cfg`.
fn sled_config(cfg: &Config) -> SledConfig {
    let mut sc = SledConfig::new(cfg.data_dir.join("db"));
    sc.cache_bytes = cfg.cache_mb * 1024 * 1024;
    sc
}

/// After a large import, once every handle on the store is dropped: lets sled record where
/// its pages lie (see [`SledLog::settle`]), so that the next start does not read the whole
/// import again, and keeps the data dir's modes.
pub fn settle_store(cfg: &Config) -> Result<(), AppError> {
    crate::store::SledLog::settle(&sled_config(cfg))?;
    restrict(&cfg.data_dir).map_err(|e| data_dir_error(cfg, e))
}

/// Owner-only modes for the data dir and everything in it: directories 0700, files 0600.
fn restrict(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let mode = if meta.is_dir() { 0o700 } else { 0o600 };
    if meta.permissions().mode() & 0o777 != mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            restrict(&entry?.path())?;
        }
    }
    Ok(())
}

/// The secrets outside the store: the key of API-token hashes, the QR key and the log's
/// Ed25519 signing key (its 32-byte seed).
pub struct Secrets {
    pub token_key: [u8; 32],
    pub qr_key: crate::qr::QrKey,
    pub log_key: [u8; 32],
}

/// Reads the secrets and checks them against the fingerprints the store keeps. They are
/// created only with a store that holds no event yet; a missing secret, or one that differs
/// from the one the store was made with, refuses to start (it would void every issued key
/// or every printed code without a word).
pub fn open_secrets(cfg: &Config, store: &dyn Store) -> Result<Secrets, AppError> {
    let fresh = store.stats().events == 0;
    let err = |e: &dyn std::fmt::Display| AppError::Internal(e.to_string());
    let token_key =
        crate::secret::load_or_create_if(&cfg.data_dir, "token.key", fresh).map_err(|e| err(&e))?;
    let qr_key = match &cfg.qr_secret {
        Some(secret) => crate::qr::QrKey::from_secret(secret),
        None => crate::qr::QrKey::load_or_create_if(&cfg.data_dir, fresh).map_err(|e| err(&e))?,
    };
    // In the order of the names the store keeps fingerprints under.
    let [token_name, qr_name, log_name] = crate::store::ledger::SECRETS;
    // The log key came later than the store's first events: a store that never knew one
    // may get a new one (it signed nothing yet); one that did must have it back.
    let log_fresh = fresh || store.secret_fingerprint(log_name)?.is_none();
    let log_key = crate::secret::load_or_create_if(&cfg.data_dir, log_name, log_fresh)
        .map_err(|e| err(&e))?;
    for (name, fp) in [
        (token_name, crate::secret::fingerprint(&token_key)),
        (qr_name, qr_key.fingerprint()),
        (log_name, crate::secret::fingerprint(&log_key)),
    ] {
        match store.secret_fingerprint(name)? {
            Some(known) if known != fp => {
                return Err(AppError::Internal(format!(
                "the {name} secret is not the one this store was made with: restore the original \
                     (a different one voids every {} it keyed)",
                if name == qr_name {
                    "printed QR code"
                } else if name == log_name {
                    "checkpoint the log signed"
                } else {
                    "issued API key"
                }
            )))
            }
            Some(_) => {}
            None => store.record_secret_fingerprint(name, fp)?,
        }
    }
    Ok(Secrets {
        token_key,
        qr_key,
        log_key,
    })
}

/// Runs `f` on a thread of its own and waits for it: blocking I/O (a database client with
/// a runtime of its own) may not run on an async executor's thread.
pub fn off_executor<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(v) => v,
        Err(p) => std::panic::resume_unwind(p),
    })
}

/// A running service.
pub struct Running<L: EventLog = SledLog> {
    pub server: actix_web::dev::Server,
    pub addr: SocketAddr,
    pub app: Arc<App>,
    pub store: Arc<Ledger<L>>,
    pub log: Arc<crate::transparency::Transparency>,
}

/// Binds and builds the HTTP server (not yet polled: await `running.server`).
pub fn start<L: EventLog>(cfg: &Config, store: Arc<Ledger<L>>) -> Result<Running<L>, AppError> {
    let listener = std::net::TcpListener::bind(&cfg.bind)
        .map_err(|e| AppError::Internal(format!("cannot bind {}: {e}", cfg.bind)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| AppError::Internal(format!("no local address: {e}")))?;
    let public_url = if cfg.public_url.is_empty() {
        format!("http://{addr}")
    } else {
        cfg.public_url.clone()
    };
    let dyn_store: Arc<dyn Store> = store.clone();
    // The store may be a database whose client blocks: not on the caller's executor.
    let Secrets {
        token_key,
        qr_key,
        log_key,
    } = off_executor(|| open_secrets(cfg, store.as_ref()))?;
    let log_cfg = crate::transparency::LogConfig {
        origin: cfg.log_origin.clone(),
        witnesses: cfg.witnesses.clone(),
        every: cfg.checkpoint_every,
        checkpoint_file: cfg.data_dir.join("log.checkpoint"),
    };
    let log = off_executor(|| {
        crate::transparency::Transparency::open(dyn_store.clone(), &log_key, &log_cfg)
    })
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let log = Arc::new(log);
    tracing::info!(origin = log.origin(), key = %log.vkey(), "verifiable log");
    let app = Arc::new(
        App::with_token_key(dyn_store, token_key)
            .with_qr(qr_key, &public_url)
            .with_log(log.clone()),
    );
    let auth = Arc::new(
        Auth::new(cfg.admin_token.as_deref(), cfg.rate_limit)?
            .with_anonymous_limit(cfg.anonymous_limit)
            .with_complaint_limits(cfg.complaint_limit, cfg.complaint_code_limit),
    );
    let state = State {
        app: app.clone(),
        auth,
        log: log.clone(),
    };
    let routes = http::configure(state);
    // The access log costs a few per cent per request: wrap it only when its target is on
    // (RUST_LOG=boardtrail::http=info).
    let access_log = tracing::enabled!(target: "boardtrail::http", tracing::Level::INFO);
    let mut server = HttpServer::new(move || {
        actix_web::App::new()
            .wrap(middleware::from_fn(http::fingerprint))
            .wrap(middleware::from_fn(http::consistency::read_after))
            .wrap(middleware::from_fn(http::fail_stop))
            .wrap(middleware::Condition::new(
                access_log,
                middleware::Logger::new("%r %s %Dms").log_target("boardtrail::http"),
            ))
            .configure(routes.clone())
    })
    .shutdown_timeout(10);
    if cfg.workers > 0 {
        server = server.workers(cfg.workers);
    }
    let server = server
        .listen(listener)
        .map_err(|e| AppError::Internal(format!("cannot listen on {addr}: {e}")))?;
    spawn_snapshots(&store);
    log.spawn();
    if store.log().shared() || store.log().recoverable() {
        spawn_follower(&store);
    }
    Ok(Running {
        server: server.run(),
        addr,
        app,
        store,
        log,
    })
}

/// How often the snapshot thread looks at the log, and how far the log may grow past the
/// snapshot (in events, or in time while anything was written) before it writes a new one:
/// a restart then replays at most about that much.
const SNAPSHOT_POLL: Duration = Duration::from_secs(5);
const SNAPSHOT_EVERY_EVENTS: u64 = 50_000;
const SNAPSHOT_EVERY: Duration = Duration::from_secs(600);
/// Writers wait while a snapshot is written (≈0.8 s at S = 1): snapshots are at least this
/// many times their own duration apart, so that under a sustained load writes wait at most
/// about 1/30 of the time.
const SNAPSHOT_SPACING: u32 = 30;

/// Whether the snapshot thread writes one now: `behind` events since the last, `since` the
/// time since it, which took `took`.
fn snapshot_due(behind: u64, since: Duration, took: Duration) -> bool {
    (behind >= SNAPSHOT_EVERY_EVENTS && since >= took * SNAPSHOT_SPACING)
        || (behind > 0 && since >= SNAPSHOT_EVERY)
}

/// How long the follower waits for a notification before it looks for new events anyway.
const FOLLOW_POLL: Duration = Duration::from_millis(250);

/// On a shared log: takes in the other nodes' events as they are committed (woken by the
/// log's notifications, and looking every [`FOLLOW_POLL`] regardless), and after a passing
/// failure of the database reloads the world once it answers again (ends with the store).
pub fn spawn_follower<L: EventLog>(store: &Arc<Ledger<L>>) {
    let weak = Arc::downgrade(store);
    let spawned = std::thread::Builder::new()
        .name("follower".into())
        .spawn(move || loop {
            let woken = match weak.upgrade() {
                Some(store) => store.log().wait_for_news(FOLLOW_POLL),
                None => return,
            };
            let Some(store) = weak.upgrade() else { return };
            if let Err(e) = woken {
                tracing::debug!(error = %e, "no notifications from the log; polling");
                std::thread::sleep(FOLLOW_POLL);
            }
            if store.failure().is_some() {
                match store.recover() {
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "the store cannot recover yet"),
                }
                continue;
            }
            if store.log().shared() {
                if let Err(e) = store.catch_up() {
                    tracing::warn!(error = %e, "catching up with the shared log failed");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no follower thread: other nodes' events arrive only with this node's writes");
    }
}

/// Writes snapshots in the background while the log grows (ends with the store).
fn spawn_snapshots<L: EventLog>(store: &Arc<Ledger<L>>) {
    let weak = Arc::downgrade(store);
    let spawned = std::thread::Builder::new()
        .name("snapshots".into())
        .spawn(move || {
            let (mut last, mut took) = (Instant::now(), Duration::ZERO);
            loop {
                std::thread::sleep(SNAPSHOT_POLL);
                let Some(store) = weak.upgrade() else { return };
                if !snapshot_due(store.since_snapshot(), last.elapsed(), took)
                    || store.failure().is_some()
                {
                    continue;
                }
                let started = Instant::now();
                match store.save_snapshot() {
                    Ok(seq) => tracing::debug!(seq, "periodic snapshot"),
                    Err(e) => {
                        tracing::warn!(error = %e, "periodic snapshot failed; the previous one stays")
                    }
                }
                took = started.elapsed();
                last = Instant::now();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no snapshot thread: restarts replay the log since the last snapshot");
    }
}

/// Flushes the store on the way out.
pub async fn run_until_stopped<L: EventLog>(running: Running<L>) -> std::io::Result<()> {
    let store = running.store.clone();
    let log = running.log.clone();
    let res = running.server.await;
    let flushed = web::block(move || {
        store.flush()?;
        // A last checkpoint covers everything acknowledged before the stop.
        if let Err(e) = log.checkpoint_now(chrono::Utc::now().timestamp_millis()) {
            tracing::warn!(error = %e, "no final checkpoint");
        }
        Ok::<_, crate::store::StoreError>(())
    })
    .await;
    match flushed {
        Ok(Ok(())) => tracing::info!("store flushed; bye"),
        Ok(Err(e)) => tracing::error!(error = %e, "final flush failed"),
        Err(e) => tracing::error!(error = %e, "final flush did not run"),
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_are_spaced_by_their_own_cost() {
        let s = Duration::from_secs;
        // Far enough behind, and the last one was cheap: now.
        assert!(snapshot_due(60_000, s(6), Duration::from_millis(100)));
        // Far enough behind, but the last one took 1 s: not before 30 s.
        assert!(!snapshot_due(60_000, s(20), s(1)));
        assert!(snapshot_due(60_000, s(30), s(1)));
        // A few events: only after ten minutes; none: never.
        assert!(!snapshot_due(10, s(599), Duration::ZERO));
        assert!(snapshot_due(10, s(600), Duration::ZERO));
        assert!(!snapshot_due(0, s(6000), Duration::ZERO));
    }
}
