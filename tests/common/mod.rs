//! Test harness: starts the real service (in-process on a free port, or the built binary)
//! and speaks HTTP to it.
#![allow(dead_code)]

use boardtrail::server::{self, Config};
use serde_json::Value;
use std::sync::mpsc;
use std::time::Duration;

pub const TOKEN: &str = "test-operator-token-0123456789";

/// With `BOARDTRAIL_TEST_DATABASE_URL` set (a PostgreSQL server's URL, as
/// `scripts/test.sh` sets for its second pass), every test server runs on a database of
/// its own in it instead of sled: the black-box suite runs against both backends. The
/// database's URL is kept in the data dir, so that a server started again on that dir
/// finds its log.
fn test_database(dir: &std::path::Path) -> Option<String> {
    let server = std::env::var("BOARDTRAIL_TEST_DATABASE_URL").ok()?;
    let kept = dir.join("test-database-url");
    if let Ok(url) = std::fs::read_to_string(&kept) {
        return Some(url);
    }
    let name = format!(
        "bt_{}",
        dir.file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
    );
    let mut c =
        postgres::Client::connect(&server, postgres::NoTls).expect("the test database server");
    c.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create a test database");
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    std::fs::write(&kept, &url).expect("keep the test database's URL");
    Some(url)
}

pub struct TestServer {
    pub base: String,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_in(tempfile::tempdir().expect("tempdir"))
    }

    pub fn start_in(dir: tempfile::TempDir) -> TestServer {
        Self::start_with(dir, |_| {})
    }

    /// Starts with the test defaults, then `adjust` (e.g. no rate limit for a test that
    /// sends thousands of requests with one key).
    pub fn start_with(dir: tempfile::TempDir, adjust: impl FnOnce(&mut Config)) -> TestServer {
        let mut cfg = Config::new(dir.path());
        cfg.bind = "127.0.0.1:0".into();
        cfg.admin_token = Some(TOKEN.into());
        cfg.workers = 2;
        cfg.cache_mb = 16;
        // Tests scan many codes from one address; the test of the limit turns it on.
        cfg.anonymous_limit.per_second = 0.0;
        adjust(&mut cfg);
        if cfg.database_url.is_none() {
            cfg.database_url = test_database(dir.path());
        }
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match cfg.database_url.clone() {
                    Some(url) => {
                        let store = server::off_executor(|| server::open_pg_store(&cfg, &url))
                            .expect("open the PostgreSQL store");
                        let running = server::start(&cfg, store).expect("start");
                        tx.send((running.addr, running.server.handle()))
                            .expect("send");
                        server::run_until_stopped(running).await.expect("server");
                    }
                    None => {
                        let store = server::open_store(&cfg).expect("open store");
                        let running = server::start(&cfg, store).expect("start");
                        tx.send((running.addr, running.server.handle()))
                            .expect("send");
                        server::run_until_stopped(running).await.expect("server");
                    }
                }
            })
        });
        let (addr, handle) = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server start");
        TestServer {
            base: format!("http://{addr}"),
            handle,
            thread: Some(thread),
            dir,
        }
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base, Some(TOKEN))
    }

    /// Stops the server gracefully and gives back its data directory.
    pub fn stop(mut self) -> tempfile::TempDir {
        self.shutdown();
        let dir = tempfile::tempdir().expect("tempdir");
        std::mem::replace(&mut self.dir, dir)
    }

    fn shutdown(&mut self) {
        if let Some(t) = self.thread.take() {
            let h = self.handle.clone();
            actix_web::rt::System::new().block_on(h.stop(true));
            t.join().expect("server thread");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub token: Option<String>,
    agent: ureq::Agent,
    /// Sent with every request (see [`Client::with_header`]).
    extra: Vec<(String, String)>,
}

/// A response: status, content type and JSON body (Null if not JSON).
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts an RFC 9457 problem with this status and returns its detail.
    #[track_caller]
    pub fn problem(&self, status: u16) -> String {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.text
        );
        assert_eq!(
            self.content_type, "application/problem+json",
            "{}",
            self.text
        );
        assert_eq!(self.body["status"], status);
        assert!(self.body["type"].is_string() && self.body["title"].is_string());
        self.body["detail"].as_str().expect("detail").to_string()
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.text
        );
        &self.body
    }
}

impl Client {
    pub fn new(base: &str, token: Option<&str>) -> Client {
        Client {
            base: base.to_string(),
            token: token.map(str::to_string),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(60))
                .build(),
            extra: Vec::new(),
        }
    }

    /// This client, also sending `name: value` with every request.
    pub fn with_header(&self, name: &str, value: &str) -> Client {
        let mut c = self.clone();
        c.extra.push((name.to_string(), value.to_string()));
        c
    }

    pub fn with_token(&self, token: Option<&str>) -> Client {
        let mut c = self.clone();
        c.token = token.map(str::to_string);
        c
    }

    fn req(&self, method: &str, path: &str) -> ureq::Request {
        let mut r = self
            .agent
            .request(method, &format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            r = r.set("Authorization", &format!("Bearer {t}"));
        }
        for (k, v) in &self.extra {
            r = r.set(k, v);
        }
        r
    }

    /// Status, headers and the response itself (for the body), whatever the status.
    fn split(
        res: Result<ureq::Response, ureq::Error>,
    ) -> (u16, Vec<(String, String)>, ureq::Response) {
        let resp = match res {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport error: {e}"),
        };
        let headers = resp
            .headers_names()
            .into_iter()
            .map(|n| {
                let v = resp.header(&n).unwrap_or("").to_string();
                (n, v)
            })
            .collect();
        (resp.status(), headers, resp)
    }

    /// GET with extra request headers; the body as bytes (images, pages).
    pub fn get_bytes(
        &self,
        path: &str,
        extra: &[(&str, &str)],
    ) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut r = self.req("GET", path);
        for (k, v) in extra {
            r = r.set(k, v);
        }
        let (status, headers, resp) = Self::split(r.call());
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut resp.into_reader(), &mut body).expect("body");
        (status, headers, body)
    }

    fn finish(res: Result<ureq::Response, ureq::Error>) -> Resp {
        let (status, headers, resp) = Self::split(res);
        let content_type = resp.header("content-type").unwrap_or("").to_string();
        let text = resp.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            content_type,
            headers,
            body,
            text,
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        Self::finish(self.req("GET", path).call())
    }

    /// Like `post`, but a transport error (server gone) is `None` instead of a panic.
    pub fn try_post(&self, path: &str, body: &Value) -> Option<Resp> {
        match self.req("POST", path).send_json(body.clone()) {
            Err(ureq::Error::Transport(_)) => None,
            other => Some(Self::finish(other)),
        }
    }

    pub fn post(&self, path: &str, body: &Value) -> Resp {
        Self::finish(self.req("POST", path).send_json(body.clone()))
    }

    pub fn delete(&self, path: &str) -> Resp {
        Self::finish(self.req("DELETE", path).call())
    }

    pub fn post_raw(&self, path: &str, content_type: &str, body: &[u8]) -> Resp {
        Self::finish(
            self.req("POST", path)
                .set("Content-Type", content_type)
                .send_bytes(body),
        )
    }

    /// Registers a party (USCC made valid from its first 17 characters); returns its id.
    #[track_caller]
    pub fn party(&self, name: &str, role: &str, code17: &str, city: &str) -> String {
        id(self
            .post(
                "/api/v1/parties",
                &serde_json::json!({"name": name, "role": role, "uscc": uscc(code17), "city": city}),
            )
            .ok(201))
    }

    /// A Linyi mill with a plywood lot of 100 sheets, half of it shipped to a Suqian maker
    /// (the usual start of a story): `(mill, maker, lot)`.
    #[track_caller]
    pub fn mill_ships_to_maker(&self) -> (String, String, String) {
        let mill = self.party("临沂鑫源板材", "supplier", "91371300MA3C1A0X1", "临沂");
        let maker = self.party("宿迁木森家具", "manufacturer", "91321300MA1M3C0P3", "宿迁");
        let lot = id(self
            .post(
                "/api/v1/lots",
                &serde_json::json!({"producer": mill, "lot_code": "XY-PLY-01", "material": "plywood",
                "formaldehyde_class": "E0", "quantity": {"value": 100.0, "unit": "sheet"},
                "produced_at": "2026-03-02T08:00:00+08:00"}),
            )
            .ok(201));
        self.post(
            "/api/v1/shipments",
            &serde_json::json!({"lot": lot, "from": mill, "to": maker,
            "quantity": {"value": 50.0, "unit": "sheet"}, "shipped_at": "2026-03-03T08:00:00+08:00"}),
        )
        .ok(201);
        (mill, maker, lot)
    }

    pub fn events(&self) -> u64 {
        self.get("/healthz").body["events"]
            .as_u64()
            .expect("events")
    }
}

/// The `id` of a created resource.
#[track_caller]
pub fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

/// A USCC with a correct GB 32100 check character.
pub fn uscc(first17: &str) -> String {
    format!(
        "{first17}{}",
        boardtrail::domain::uscc_check_char(first17).expect("17 valid characters")
    )
}

/// The real binary, started on a free port.
pub struct Proc {
    pub child: std::process::Child,
    pub base: String,
}

impl Drop for Proc {
    /// A test that fails before stopping its server does not leave it running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub const BIN: &str = env!("CARGO_BIN_EXE_boardtrail");

/// `boardtrail verify` on a data dir: its exit code and what it printed.
pub fn verify(dir: &std::path::Path) -> (i32, String) {
    let out = std::process::Command::new(BIN)
        .arg("verify")
        .arg("--data-dir")
        .arg(dir)
        .output()
        .expect("run verify");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

/// `boardtrail verify` passes on a data dir.
#[track_caller]
pub fn assert_verifies(dir: &std::path::Path) {
    let (code, text) = verify(dir);
    assert_eq!(code, 0, "verify failed: {text}");
    assert!(text.contains("verify: ok"), "{text}");
}

/// Starts `boardtrail serve` on the data dir with the given operator token; its stderr (the
/// log) goes to `log` when given. Returns once it listens.
pub fn spawn_binary(dir: &std::path::Path, token: &str, log: Option<&std::path::Path>) -> Proc {
    spawn_binary_with(dir, token, log, &[])
}

/// [`spawn_binary`] with more arguments (e.g. `--database-url`).
pub fn spawn_binary_with(
    dir: &std::path::Path,
    token: &str,
    log: Option<&std::path::Path>,
    extra: &[&str],
) -> Proc {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let stderr = match log {
        Some(p) => Stdio::from(std::fs::File::create(p).expect("log file")),
        None => Stdio::null(),
    };
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "2",
            "--cache-mb",
            "16",
        ])
        .arg("--data-dir")
        .arg(dir)
        .args(extra)
        .env("BOARDTRAIL_ADMIN_TOKEN", token)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("spawn boardtrail");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let base = loop {
        assert!(std::time::Instant::now() < deadline, "server did not start");
        let Some(line) = lines.next() else {
            let said = log
                .and_then(|p| std::fs::read_to_string(p).ok())
                .map(|l| l.lines().rev().take(8).collect::<Vec<_>>().join("\n"))
                .unwrap_or_default();
            panic!("server exited before listening; the end of its log:\n{said}");
        };
        let line = line.expect("read");
        if let Some(addr) = line.strip_prefix("boardtrail listening on ") {
            break addr.trim().to_string();
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Proc { child, base }
}
