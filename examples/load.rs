//! HTTP load on the upstream trace (or any per-unit path): a small keep-alive HTTP/1.1 load
//! generator over std `TcpStream`, one thread per connection, bounded in time and count,
//! loopback only. See BENCHMARKS.md.
//!
//!     # in-process server on the data a `bench --keep` run left (its `<work>/bt`):
//!     cargo run --release --example load -- --data-dir /tmp/boardtrail-bench-XXXX/bt
//!     # or generate and import a graph first:
//!     cargo run --release --example load -- --scale 0.1
//!     # or against a running server (unit ids predicted from the same scale and seed):
//!     cargo run --release --example load -- --url http://127.0.0.1:8080 --token T --scale 1
//!
//! `--path` is a template: `{unit}` becomes a random unit's id (`unt_N`), `{n}` its number,
//! `{token}` its QR token; e.g. `--path '/q/{token}'` for the public scan view.

#[path = "support/stats.rs"]
mod stats;
#[path = "support/synth.rs"]
mod synth;

use boardtrail::app::{App, Caller};
use boardtrail::domain::NodeKind;
use boardtrail::server::{self, Config};
use boardtrail::store::Store;
use clap::Parser;
use serde_json::json;
use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use synth::{Generator, Rng};

const TOKEN: &str = "load-operator-token-0123456789";

#[derive(Parser, Debug)]
#[command(about = "HTTP load on boardtrail's upstream trace")]
struct Args {
    /// boardtrail data directory to serve in-process (a `bench --keep` run's `<work>/bt`).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Without --data-dir: generate and import this scale first (in-process). With --url:
    /// the scale the target server was loaded with (to know its unit ids).
    #[arg(long, default_value_t = 0.1)]
    scale: f64,
    #[arg(long, default_value_t = 20260301)]
    seed: u64,
    /// Load a running server instead (loopback addresses only).
    #[arg(long)]
    url: Option<String>,
    /// Operator token of the server given with --url.
    #[arg(long, env = "BOARDTRAIL_ADMIN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Request path template.
    /// The secret the server's QR tokens are keyed with (BOARDTRAIL_QR_KEY), for `{token}`
    /// against a running server; in-process the key is read from the data directory.
    #[arg(long)]
    qr_key: Option<String>,
    #[arg(long, default_value = "/api/v1/trace/upstream/{unit}")]
    path: String,
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Seconds of measurement (after one second of warm-up).
    #[arg(long, default_value_t = 10.0)]
    secs: f64,
    /// Stop after this many measured requests in all.
    #[arg(long, default_value_t = 5_000_000)]
    max_requests: u64,
    /// HTTP worker threads of the in-process server (0: one per core).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// sled page cache of the in-process server, MiB (the server's default is 128).
    #[arg(long, default_value_t = 128)]
    cache_mb: u64,
    /// Write the results here.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("load: {e}");
        std::process::exit(1);
    }
}

struct InProcess {
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    _tmp: Option<tempfile::TempDir>,
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            actix_web::rt::System::new().block_on(self.handle.stop(true));
            let _ = t.join();
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let mut qr_key = args
        .qr_key
        .as_deref()
        .map(boardtrail::qr::QrKey::from_secret);
    let (addr, token, units, server) = match &args.url {
        Some(url) => {
            let _ = loopback_addr(url)?;
            return Err(
                "--url: record ids are opaque and keyed by the server's store, so they cannot be \
                 predicted from the scale; run without --url (the load generator then starts the \
                 server in-process, on --data-dir if given)"
                    .into(),
            );
        }
        None => {
            let (dir, tmp) = match &args.data_dir {
                Some(d) => (d.clone(), None),
                None => {
                    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
                    import_scale(args, tmp.path())?;
                    (tmp.path().to_path_buf(), Some(tmp))
                }
            };
            let (addr, units, handle, thread) = serve(args, dir.clone())?;
            if qr_key.is_none() {
                // The server made (or found) its QR key in the data directory.
                qr_key =
                    Some(boardtrail::qr::QrKey::load_or_create(&dir).map_err(|e| e.to_string())?);
            }
            let srv = InProcess {
                handle,
                thread: Some(thread),
                _tmp: tmp,
            };
            (addr, TOKEN.to_string(), units, Some(srv))
        }
    };
    if units.is_empty() {
        return Err("no units to ask for".into());
    }
    eprintln!(
        "{} connections to {addr} for {} s: GET {}",
        args.connections, args.secs, args.path
    );
    if args.path.contains("{token}") && qr_key.is_none() {
        return Err("{token} in --path needs --qr-key against a running server".into());
    }
    let res = load(args, addr, &token, &units, qr_key.as_ref())?;
    drop(server);
    println!(
        "{}",
        serde_json::to_string_pretty(&res).map_err(|e| e.to_string())?
    );
    if let Some(p) = &args.json {
        std::fs::write(
            p,
            serde_json::to_string_pretty(&res).map_err(|e| e.to_string())?,
        )
        .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

/// Only loopback targets: this is a load generator.
fn loopback_addr(url: &str) -> Result<SocketAddr, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs are supported")?;
    let hostport = rest.split('/').next().unwrap_or(rest);
    let addrs: Vec<SocketAddr> = hostport
        .to_socket_addrs()
        .map_err(|e| format!("{hostport}: {e}"))?
        .collect();
    addrs
        .into_iter()
        .find(|a| a.ip().is_loopback())
        .ok_or_else(|| format!("{hostport} is not a loopback address; refusing to load it"))
}

fn import_scale(args: &Args, dir: &std::path::Path) -> Result<(), String> {
    eprintln!(
        "generating and importing scale {} (seed {})",
        args.scale, args.seed
    );
    let mut cfg = Config::new(dir);
    cfg.cache_mb = args.cache_mb;
    let store = server::open_store(&cfg).map_err(|e| e.to_string())?;
    // The secrets the server will check are made with the store, as `boardtrail import` does.
    let secrets = server::open_secrets(&cfg, store.as_ref()).map_err(|e| e.to_string())?;
    let app = App::with_token_key(store, secrets.token_key);
    let mut text = Vec::new();
    for item in Generator::new(args.scale, args.seed, app.ids().clone()) {
        text.extend_from_slice(item.line.as_bytes());
        text.push(b'\n');
    }
    let t = Instant::now();
    let r = app
        .import(&Caller::operator(), BufReader::new(&text[..]), |_, _| {})
        .map_err(|e| e.to_string())?;
    eprintln!(
        "imported {} events in {:.1} s",
        r.events,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

type Served = (
    SocketAddr,
    Vec<(u32, String)>,
    actix_web::dev::ServerHandle,
    std::thread::JoinHandle<()>,
);

/// Starts the real server in-process on a free loopback port.
fn serve(args: &Args, dir: PathBuf) -> Result<Served, String> {
    let mut cfg = Config::new(&dir);
    cfg.bind = "127.0.0.1:0".into();
    cfg.admin_token = Some(TOKEN.into());
    // One load generator is one client: the per-client limit of anonymous scans is off.
    cfg.anonymous_limit.per_second = 0.0;
    cfg.workers = args.workers;
    cfg.cache_mb = args.cache_mb;
    let t = Instant::now();
    let store = server::open_store(&cfg).map_err(|e| e.to_string())?;
    eprintln!(
        "opened {} in {:.2} s",
        dir.display(),
        t.elapsed().as_secs_f64()
    );
    let n = store.next_id();
    let ids = boardtrail::ids::IdCodec::new(&store.id_key());
    let units: Vec<(u32, String)> = (0..n)
        .filter(|&id| store.meta(id).map(|m| m.kind) == Some(NodeKind::Unit))
        .map(|id| (id, ids.format(NodeKind::Unit, id)))
        .collect();
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match server::start(&cfg, store) {
                Ok(running) => {
                    let _ = tx.send(Ok((running.addr, running.server.handle())));
                    let _ = server::run_until_stopped(running).await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                }
            }
        })
    });
    let (addr, handle) = rx
        .recv_timeout(Duration::from_secs(60))
        .map_err(|e| format!("server did not start: {e}"))??;
    Ok((addr, units, handle, thread))
}

/// One keep-alive connection.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn open(addr: SocketAddr) -> Result<Conn, String> {
        let stream = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    /// Sends one request and reads the whole response; returns (status, body bytes).
    fn get(&mut self, req: &[u8]) -> Result<(u16, usize), String> {
        self.stream
            .write_all(req)
            .map_err(|e| format!("write: {e}"))?;
        self.buf.clear();
        let mut chunk = [0u8; 16 * 1024];
        let header_end = loop {
            if let Some(p) = find(&self.buf, b"\r\n\r\n") {
                break p + 4;
            }
            let n = self
                .stream
                .read(&mut chunk)
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("connection closed".into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&self.buf[..header_end]).map_err(|e| e.to_string())?;
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or("bad status line")?;
        let mut length = None;
        let mut chunked = false;
        for line in head.split("\r\n").skip(1) {
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse::<usize>().ok();
                } else if k.eq_ignore_ascii_case("transfer-encoding")
                    && v.to_ascii_lowercase().contains("chunked")
                {
                    chunked = true;
                }
            }
        }
        if chunked {
            // Read until the terminating zero-length chunk.
            loop {
                if find(&self.buf[header_end..], b"\r\n0\r\n\r\n").is_some()
                    || self.buf[header_end..].starts_with(b"0\r\n\r\n")
                {
                    return Ok((status, self.buf.len() - header_end));
                }
                let n = self
                    .stream
                    .read(&mut chunk)
                    .map_err(|e| format!("read: {e}"))?;
                if n == 0 {
                    return Err("connection closed in a chunked body".into());
                }
                self.buf.extend_from_slice(&chunk[..n]);
            }
        }
        let length = length.unwrap_or(0);
        while self.buf.len() < header_end + length {
            let n = self
                .stream
                .read(&mut chunk)
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("connection closed in the body".into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok((status, length))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One connection's latencies (ms), transport errors, body bytes and non-200 answers.
type Tally = (Vec<f64>, u64, u64, u64);

fn load(
    args: &Args,
    addr: SocketAddr,
    token: &str,
    units: &[(u32, String)],
    qr_key: Option<&boardtrail::qr::QrKey>,
) -> Result<serde_json::Value, String> {
    let measured = AtomicU64::new(0);
    let warm_until = Instant::now() + Duration::from_secs(1);
    let stop_at = warm_until + Duration::from_secs_f64(args.secs);
    let per_thread: Vec<Result<Tally, String>> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..args.connections)
            .map(|i| {
                let measured = &measured;
                sc.spawn(move || {
                    let mut conn = Conn::open(addr)?;
                    let mut rng = Rng::new(args.seed ^ ((i as u64 + 1) * 0x9E37_79B9));
                    let mut lat = Vec::new();
                    let (mut errors, mut bytes, mut non200) = (0u64, 0u64, 0u64);
                    loop {
                        let now = Instant::now();
                        if now >= stop_at {
                            break;
                        }
                        let (u, unit_id) = &units[rng.below(units.len())];
                        let u = *u;
                        let path = args
                            .path
                            .replace("{unit}", unit_id)
                            .replace("{n}", &u.to_string())
                            .replace("{token}", &qr_key.map(|k| boardtrail::qr::token(k, NodeKind::Unit, u)).unwrap_or_default());
                        let req = format!(
                            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\n\r\n"
                        );
                        let t = Instant::now();
                        let res = conn.get(req.as_bytes());
                        let el = t.elapsed();
                        let warm = t < warm_until;
                        match res {
                            Ok((status, n)) => {
                                if warm {
                                    continue;
                                }
                                if status != 200 {
                                    non200 += 1;
                                }
                                bytes += n as u64;
                                lat.push(el.as_secs_f64() * 1e3);
                                if measured.fetch_add(1, Ordering::Relaxed) + 1 >= args.max_requests
                                {
                                    break;
                                }
                            }
                            Err(_) => {
                                errors += 1;
                                conn = Conn::open(addr)?;
                            }
                        }
                    }
                    Ok((lat, errors, bytes, non200))
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("load thread panicked".into()))
            })
            .collect()
    });
    let elapsed = (Instant::now().min(stop_at) - warm_until).as_secs_f64();
    let (mut all, mut errors, mut bytes, mut non200) = (Vec::new(), 0, 0, 0);
    for r in per_thread {
        let (l, e, b, n) = r?;
        all.extend(l);
        errors += e;
        bytes += b;
        non200 += n;
    }
    let s = stats::summarize(&all);
    let n = all.len() as u64;
    Ok(json!({
        "path": args.path,
        "sled_cache_mb": args.cache_mb,
        "connections": args.connections,
        "secs": (elapsed * 100.0).round() / 100.0,
        "requests": n,
        "req_per_s": (n as f64 / elapsed).round(),
        "p50_ms": (s.p50 * 1000.0).round() / 1000.0,
        "p99_ms": (s.p99 * 1000.0).round() / 1000.0,
        "max_ms": (s.max * 1000.0).round() / 1000.0,
        "non_200": non200,
        "errors": errors,
        "mean_body_bytes": bytes.checked_div(n).unwrap_or(0),
        "machine": stats::machine(),
    }))
}
