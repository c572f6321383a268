//! Wiring: configuration, opening the store, and the HTTP server. `boardtrail serve` and
//! the black-box tests both start the service through [`start`].

use crate::api::{self, State};
use crate::app::App;
use crate::auth::Auth;
use crate::error::AppError;
use crate::store::{SledConfig, SledStore, Store};
use actix_web::{middleware, web, HttpServer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

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
    /// Secret for QR tokens (`BOARDTRAIL_QR_KEY`); else `qr.key` in the data dir.
    pub qr_secret: Option<String>,
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
            qr_secret: None,
        }
    }
}

/// Opens the sled store under the data directory.
pub fn open_store(cfg: &Config) -> Result<Arc<SledStore>, AppError> {
    std::fs::create_dir_all(&cfg.data_dir).map_err(|e| {
        AppError::Internal(format!(
            "cannot create data dir {}: {e}",
            cfg.data_dir.display()
        ))
    })?;
    let mut sc = SledConfig::new(cfg.data_dir.join("db"));
    sc.cache_bytes = cfg.cache_mb * 1024 * 1024;
    Ok(Arc::new(SledStore::open(&sc)?))
}

/// A running service.
pub struct Running {
    pub server: actix_web::dev::Server,
    pub addr: SocketAddr,
    pub app: Arc<App>,
    pub store: Arc<SledStore>,
}

/// Binds and builds the HTTP server (not yet polled: await `running.server`).
pub fn start(cfg: &Config, store: Arc<SledStore>) -> Result<Running, AppError> {
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
    let token_key = crate::secret::load_or_create(&cfg.data_dir, "token.key")
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let qr_key = match &cfg.qr_secret {
        Some(secret) => crate::qr::QrKey::from_secret(secret),
        None => crate::qr::QrKey::load_or_create(&cfg.data_dir)
            .map_err(|e| AppError::Internal(e.to_string()))?,
    };
    let app = Arc::new(App::with_token_key(dyn_store, token_key).with_qr(qr_key, &public_url));
    let auth = Arc::new(Auth::new(cfg.admin_token.as_deref(), cfg.rate_limit)?);
    let state = State {
        app: app.clone(),
        auth,
    };
    let routes = api::configure(state);
    // The access log costs a few per cent per request: wrap it only when its target is on
    // (RUST_LOG=boardtrail::http=info).
    let access_log = tracing::enabled!(target: "boardtrail::http", tracing::Level::INFO);
    let mut server = HttpServer::new(move || {
        actix_web::App::new()
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
    Ok(Running {
        server: server.run(),
        addr,
        app,
        store,
    })
}

/// Flushes the store on the way out.
pub async fn run_until_stopped(running: Running) -> std::io::Result<()> {
    let store = running.store.clone();
    let res = running.server.await;
    let flushed = web::block(move || store.flush()).await;
    match flushed {
        Ok(Ok(())) => tracing::info!("store flushed; bye"),
        Ok(Err(e)) => tracing::error!(error = %e, "final flush failed"),
        Err(e) => tracing::error!(error = %e, "final flush did not run"),
    }
    res
}
