//! The witness over HTTP (c2sp.org/tlog-witness §HTTP Interface): `POST /add-checkpoint`
//! (one submission prefix, the root), plus `GET /` (a short status) and `GET /healthz`.
//! Requests are checked and the record persisted under one mutex, on the blocking pool, so
//! that concurrent submissions cannot roll the record back (the race the spec describes).
//! Also the opening of a witness from its files: the key (created if missing) and the state.

use super::{Refusal, Witness, WitnessState, TEXT_PLAIN};
use crate::tlog::note::{Signer, VerifierKey, COSIGNATURE_V1, ED25519};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, HttpServer};
use parking_lot::Mutex;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The key name of a witness whose configuration names none.
pub const DEFAULT_NAME: &str = "boardtrail-witness";
/// The largest `add-checkpoint` body taken, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// How to run a witness.
#[derive(Debug, Clone)]
pub struct WitnessConfig {
    /// The address to listen on, e.g. `127.0.0.1:7380`.
    pub bind: String,
    /// The witness key, `PRIVATE+KEY+…` (created, 0600, if missing).
    pub key_file: PathBuf,
    /// The record of what was cosigned (JSON).
    pub state_file: PathBuf,
    /// The trusted log keys (vkeys, type 0x01); a key is trusted for the origin it names.
    pub log_keys: Vec<String>,
    /// The witness's key name; [`DEFAULT_NAME`] when a key is created without one. An
    /// existing key file must have this name.
    pub name: Option<String>,
}

/// Opens the witness of `cfg`: reads (or creates) the key file, parses the log keys and
/// reads the state file.
pub fn open_witness(cfg: &WitnessConfig) -> Result<Witness, String> {
    let signer = load_or_create_key(&cfg.key_file, cfg.name.as_deref())?;
    let logs = cfg
        .log_keys
        .iter()
        .map(|k| VerifierKey::parse(k.trim()).map_err(|e| format!("log key {k:?}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let state = WitnessState::load(&cfg.state_file).map_err(|e| e.to_string())?;
    let w = Witness::new(signer, logs, state)?;
    tracing::info!(name = w.name(), vkey = %w.vkey(), logs = ?w.origins(), "witness opened");
    Ok(w)
}

fn load_or_create_key(path: &Path, name: Option<&str>) -> Result<Signer, String> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let shown = path.display();
    let skey = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let name = name.unwrap_or(DEFAULT_NAME);
            let signer = Signer::generate_with_type(name, COSIGNATURE_V1)
                .map_err(|e| format!("witness key: {e}"))?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                use std::os::unix::fs::DirBuilderExt;
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(|e| format!("witness key directory {}: {e}", dir.display()))?;
            }
            let written = (|| {
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)?;
                f.write_all(format!("{}\n", signer.to_skey()).as_bytes())?;
                f.sync_all()
            })();
            written.map_err(|e| format!("cannot create the witness key file {shown}: {e}"))?;
            let vkey = signer.verifier().to_vkey();
            eprintln!("created the witness key {shown}; its verifier key, for logs: {vkey}");
            tracing::info!(file = %shown, %vkey, "created a witness key");
            return Ok(signer);
        }
        Err(e) => return Err(format!("cannot read the witness key file {shown}: {e}")),
    };
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(file = %shown, "the witness key file is readable by others: chmod 600");
        }
    }
    let signer =
        Signer::from_skey(skey.trim()).map_err(|e| format!("witness key file {shown}: {e}"))?;
    if let Some(want) = name {
        if want != signer.name() {
            return Err(format!(
                "the witness key file {shown} is the key of {:?}, not {want:?} (the name is \
                 part of the witness's identity)",
                signer.name()
            ));
        }
    }
    match signer.sig_type() {
        // A plain Ed25519 key file (as `note.GenerateKey` makes) used as a cosigner, as
        // github.com/transparency-dev/formats allows; its cosigning key ID is type 0x04's.
        ED25519 => signer.with_type(COSIGNATURE_V1).map_err(|e| e.to_string()),
        _ => Ok(signer),
    }
}

struct Shared {
    witness: Mutex<Witness>,
    state_file: PathBuf,
}

/// A bound witness server (not yet polled: await `server`).
pub struct WitnessServer {
    pub server: actix_web::dev::Server,
    pub addr: SocketAddr,
}

/// Binds the HTTP server of `witness` on `bind`, persisting to `state_file`.
pub fn bind(witness: Witness, bind: &str, state_file: PathBuf) -> std::io::Result<WitnessServer> {
    let listener = std::net::TcpListener::bind(bind)?;
    let addr = listener.local_addr()?;
    let shared = web::Data::new(Shared {
        witness: Mutex::new(witness),
        state_file,
    });
    let server = HttpServer::new(move || {
        actix_web::App::new()
            .app_data(shared.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY))
            .service(web::resource("/add-checkpoint").route(web::post().to(add_checkpoint)))
            .service(web::resource("/").route(web::get().to(status)))
            .service(web::resource("/healthz").route(web::get().to(healthz)))
    })
    .workers(2)
    .shutdown_timeout(5)
    .listen(listener)?
    .run();
    Ok(WitnessServer { server, addr })
}

/// Opens the witness of `cfg`, prints its verifier key and serves it until stopped.
pub async fn serve(cfg: WitnessConfig) -> std::io::Result<()> {
    let witness = open_witness(&cfg).map_err(std::io::Error::other)?;
    let (name, vkey) = (witness.name().to_string(), witness.vkey());
    let running = bind(witness, &cfg.bind, cfg.state_file.clone())?;
    eprintln!(
        "witness {name} listening on http://{}\nverifier key: {vkey}",
        running.addr
    );
    tracing::info!(%name, %vkey, addr = %running.addr, "witness listening");
    running.server.await
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn answer(r: Refusal) -> HttpResponse {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .content_type(r.content_type)
        .body(r.body)
}

async fn add_checkpoint(shared: web::Data<Shared>, body: web::Bytes) -> HttpResponse {
    let done = web::block(move || {
        let text =
            std::str::from_utf8(&body).map_err(|_| Refusal::new(400, "the body is not UTF-8"))?;
        let mut w = shared.witness.lock();
        w.add_checkpoint_persisted(text, unix_now(), &shared.state_file)
    })
    .await;
    match done {
        Ok(Ok(lines)) => HttpResponse::Ok().content_type(TEXT_PLAIN).body(lines),
        Ok(Err(r)) => answer(r),
        Err(_) => answer(Refusal::new(500, "the witness failed")),
    }
}

async fn status(shared: web::Data<Shared>) -> HttpResponse {
    let w = shared.witness.lock();
    let mut s = format!(
        "boardtrail witness (c2sp.org/tlog-witness): POST /add-checkpoint\nname: {}\nvkey: {}\nlogs:\n",
        w.name(),
        w.vkey()
    );
    for origin in w.origins() {
        let _ = match w.state().logs.get(origin) {
            Some(l) => writeln!(
                s,
                "  {origin}: cosigned size {} at {}",
                l.size, l.cosigned_at
            ),
            None => writeln!(s, "  {origin}: nothing cosigned yet"),
        };
    }
    HttpResponse::Ok().content_type(TEXT_PLAIN).body(s)
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type(TEXT_PLAIN).body("ok\n")
}

#[cfg(test)]
mod tests {
    use super::super::tests::test_log::{TestLog, ORIGIN};
    use super::super::TLOG_SIZE;
    use super::*;
    use crate::tlog::note::Note;
    use std::os::unix::fs::PermissionsExt;

    fn config(dir: &Path, log: &TestLog) -> WitnessConfig {
        WitnessConfig {
            bind: "127.0.0.1:0".into(),
            key_file: dir.join("keys").join("witness.key"),
            state_file: dir.join("state.json"),
            log_keys: vec![log.signer.verifier().to_vkey()],
            name: None,
        }
    }

    #[test]
    fn open_creates_the_key_and_keeps_the_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = TestLog::new(9, "leaf ");
        let cfg = config(dir.path(), &log);
        let mut w = open_witness(&cfg).expect("open");
        assert_eq!(w.name(), DEFAULT_NAME);
        let meta = std::fs::metadata(&cfg.key_file).expect("key file");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let skey = std::fs::read_to_string(&cfg.key_file).expect("read");
        assert!(
            skey.starts_with("PRIVATE+KEY+boardtrail-witness+"),
            "no skey"
        );
        let signer = Signer::from_skey(skey.trim()).expect("skey");
        assert_eq!(signer.verifier().to_vkey(), w.vkey());
        assert_eq!(signer.sig_type(), COSIGNATURE_V1);

        w.add_checkpoint_persisted(&log.request(0, 4), 1, &cfg.state_file)
            .expect("cosigned");
        let mut again = open_witness(&cfg).expect("reopen");
        assert_eq!(again.vkey(), w.vkey());
        assert_eq!(again.state().size_of(ORIGIN), 4);
        let r = again
            .add_checkpoint(&log.request(0, 9), 2)
            .expect_err("stale");
        assert_eq!(r, Refusal::size(4));
        assert!(again.add_checkpoint(&log.request(4, 9), 2).is_ok());

        // The name is part of the identity; bad log keys are refused.
        let named = WitnessConfig {
            name: Some("example.com/w2".into()),
            ..cfg.clone()
        };
        assert!(open_witness(&named)
            .expect_err("name")
            .contains("not \"example.com/w2\""));
        let cosigner_as_log = WitnessConfig {
            log_keys: vec![w.vkey()],
            ..cfg.clone()
        };
        assert!(open_witness(&cosigner_as_log).is_err());
        let garbage = WitnessConfig {
            log_keys: vec!["example.com/log+00000000+AAAA".into()],
            ..cfg
        };
        assert!(open_witness(&garbage)
            .expect_err("bad key")
            .starts_with("log key"));
    }

    #[test]
    fn plain_key_files_cosign_with_type_04() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = TestLog::new(2, "leaf ");
        let cfg = WitnessConfig {
            name: Some("example.com/w".into()),
            ..config(dir.path(), &log)
        };
        let plain = Signer::generate("example.com/w").expect("key");
        std::fs::create_dir_all(dir.path().join("keys")).expect("dir");
        std::fs::write(&cfg.key_file, plain.to_skey()).expect("write");
        let w = open_witness(&cfg).expect("open");
        assert_eq!(w.verifier().key, plain.verifier().key);
        assert_eq!(w.verifier().sig_type, COSIGNATURE_V1);
        std::fs::write(&cfg.key_file, "PRIVATE+KEY+example.com/w+00000000+AAAA").expect("w");
        assert!(open_witness(&cfg).is_err());
    }

    fn post(base: &str, body: &str) -> (u16, String, String) {
        let r = match ureq::post(&format!("{base}/add-checkpoint")).send_string(body) {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport: {e}"),
        };
        let (status, ct) = (r.status(), r.content_type().to_string());
        (status, ct, r.into_string().expect("body"))
    }

    #[test]
    fn http_add_checkpoint() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = TestLog::new(7, "leaf ");
        let cfg = config(dir.path(), &log);
        let witness = open_witness(&cfg).expect("open");
        let vk = witness.verifier();
        let (tx, rx) = std::sync::mpsc::channel();
        let state_file = cfg.state_file.clone();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let running = bind(witness, "127.0.0.1:0", state_file).expect("bind");
                tx.send((running.addr, running.server.handle()))
                    .expect("send");
                running.server.await.expect("server");
            })
        });
        let (addr, handle) = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("started");
        let base = format!("http://{addr}");

        let (status, ct, body) = post(&base, &log.request(0, 3));
        assert_eq!((status, ct.as_str()), (200, "text/plain"), "{body}");
        let both = Note::parse(&format!("{}{body}", log.checkpoint(3))).expect("note");
        assert_eq!(both.verify(std::slice::from_ref(&vk)), Ok(vec![vk.clone()]));
        assert_eq!(
            WitnessState::load(&cfg.state_file)
                .expect("state")
                .size_of(ORIGIN),
            3
        );

        assert_eq!(
            post(&base, &log.request(0, 7)),
            (409, TLOG_SIZE.into(), "3\n".into())
        );
        assert_eq!(post(&base, &log.request(3, 7)).0, 200);
        let (status, _, reason) = post(&base, "old 1\n");
        assert_eq!(status, 400);
        assert!(reason.contains("empty line"), "{reason}");
        assert_eq!(post(&base, &"x".repeat(MAX_BODY + 1)).0, 413);

        let status_page = ureq::get(&base)
            .call()
            .expect("status")
            .into_string()
            .expect("s");
        assert!(status_page.contains(&vk.to_vkey()), "{status_page}");
        assert!(
            status_page.contains("example.com/log: cosigned size 7"),
            "{status_page}"
        );
        let health = ureq::get(&format!("{base}/healthz"))
            .call()
            .expect("healthz");
        assert_eq!(health.into_string().expect("ok"), "ok\n");
        match ureq::get(&format!("{base}/add-checkpoint")).call() {
            Err(ureq::Error::Status(405, _)) => {}
            other => panic!("GET /add-checkpoint: {other:?}"),
        }

        actix_web::rt::System::new().block_on(handle.stop(true));
        thread.join().expect("server thread");
        assert_eq!(
            WitnessState::load(&cfg.state_file)
                .expect("state")
                .size_of(ORIGIN),
            7
        );
    }
}
