//! A throwaway PostgreSQL cluster for the benchmark and the equivalence test: `initdb` into
//! a temporary directory, `pg_ctl start` on a free loopback port with the socket in that
//! directory, and on drop `pg_ctl stop` and the directory removed. When running as root the
//! server programs run as the `postgres` user (PostgreSQL refuses to run as root).
//!
//! Also the node/edge schema of `pg-baseline.md` and its two prepared queries.
#![allow(dead_code)]

use crate::synth::{PgEdge, PgNode};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub const UPSTREAM_SQL: &str = "WITH RECURSIVE up(id) AS (
  SELECT id FROM node WHERE ext_id = $1
  UNION
  SELECT e.src FROM edge e JOIN up ON e.dst = up.id)
SELECT n.id, n.kind, n.ext_id, n.data FROM up JOIN node n ON n.id = up.id";

pub const RECALL_SQL: &str = "WITH RECURSIVE down(id) AS (
  SELECT id FROM node WHERE ext_id = $1
  UNION
  SELECT e.dst FROM edge e JOIN down ON e.src = down.id)
SELECT n.ext_id FROM down JOIN node n ON n.id = down.id WHERE n.kind = 5";

/// Server settings written to `postgresql.conf`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub shared_buffers: String,
    pub work_mem: String,
    /// More `name = value` lines.
    pub extra: Vec<(String, String)>,
}

impl Settings {
    /// The settings of `pg-baseline.md` (durable: fsync and synchronous_commit on), plus
    /// what a DBA sets for a bulk load (bigger WAL, maintenance_work_mem).
    pub fn baseline() -> Settings {
        Settings {
            shared_buffers: "4GB".into(),
            work_mem: "64MB".into(),
            extra: vec![
                ("maintenance_work_mem".into(), "1GB".into()),
                ("max_wal_size".into(), "8GB".into()),
            ],
        }
    }

    /// Small settings for tests.
    pub fn small() -> Settings {
        Settings {
            shared_buffers: "128MB".into(),
            work_mem: "16MB".into(),
            extra: vec![],
        }
    }
}

/// The newest installed PostgreSQL's `bin` directory (Debian layout).
pub fn find_bin_dir() -> Option<PathBuf> {
    let mut best: Option<(u32, PathBuf)> = None;
    for e in std::fs::read_dir("/usr/lib/postgresql").ok()?.flatten() {
        let Ok(v) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let bin = e.path().join("bin");
        if bin.join("initdb").exists() && best.as_ref().is_none_or(|(b, _)| v > *b) {
            best = Some((v, bin));
        }
    }
    best.map(|(_, p)| p)
}

/// `apt-get install postgresql` (needs root and the Debian archive).
pub fn install() -> Result<(), String> {
    eprintln!("PostgreSQL is not installed: apt-get install postgresql");
    for args in [
        vec!["update", "-qq"],
        vec![
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "postgresql",
        ],
    ] {
        let st = Command::new("apt-get")
            .args(&args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("apt-get: {e}"))?;
        if !st.success() {
            return Err(format!("apt-get {} failed: {st}", args.join(" ")));
        }
    }
    Ok(())
}

fn euid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(u32::MAX)
}

/// uid and gid of the `postgres` user.
fn postgres_user() -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let line = passwd.lines().find(|l| l.starts_with("postgres:"))?;
    let f: Vec<&str> = line.split(':').collect();
    Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?))
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    owner: Option<(u32, u32)>,
    running: bool,
}

impl Cluster {
    /// initdb + start. With `allow_install`, installs PostgreSQL when it is missing.
    pub fn start(settings: &Settings, allow_install: bool) -> Result<Cluster, String> {
        let bin = match find_bin_dir() {
            Some(b) => b,
            None if allow_install => {
                install()?;
                find_bin_dir().ok_or("PostgreSQL still not found after installing it")?
            }
            None => {
                return Err(
                    "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); \
                     scripts/test.sh installs it (apt-get install postgresql)"
                        .into(),
                )
            }
        };
        let owner = if euid() == 0 {
            Some(postgres_user().ok_or("running as root but there is no postgres user")?)
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("boardtrail-pg-")
            .tempdir()
            .map_err(|e| format!("tempdir: {e}"))?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| format!("chown: {e}"))?;
        }
        let mut c = Cluster {
            dir,
            bin,
            port: free_port()?,
            owner,
            running: false,
        };
        let data = c.data_dir();
        c.run(
            "initdb",
            &[
                "-D",
                path_str(&data)?,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "-N",
            ],
        )?;
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .map_err(|e| format!("postgresql.conf: {e}"))?;
        let mut lines = vec![
            format!("port = {}", c.port),
            "listen_addresses = '127.0.0.1'".to_string(),
            format!("unix_socket_directories = '{}'", c.dir.path().display()),
            format!("shared_buffers = '{}'", settings.shared_buffers),
            format!("work_mem = '{}'", settings.work_mem),
            "jit = off".into(),
            "fsync = on".into(),
            "synchronous_commit = on".into(),
            "max_connections = 64".into(),
            "shared_preload_libraries = ''".into(),
            "logging_collector = off".into(),
        ];
        for (k, v) in &settings.extra {
            lines.push(format!("{k} = '{v}'"));
        }
        writeln!(conf, "\n# boardtrail bench\n{}", lines.join("\n"))
            .map_err(|e| format!("postgresql.conf: {e}"))?;
        drop(conf);
        c.pg_ctl_start()?;
        Ok(c)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, prog: &str, args: &[&str]) -> Result<String, String> {
        let mut cmd = Command::new(self.bin.join(prog));
        cmd.args(args)
            .env("LC_ALL", "C")
            .current_dir(self.dir.path());
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid);
        }
        let out = cmd.output().map_err(|e| format!("{prog}: {e}"))?;
        if !out.status.success() {
            let log =
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
            return Err(format!(
                "{prog} {} failed ({}): {}{}\n{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                log.lines().rev().take(20).collect::<Vec<_>>().join("\n")
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn pg_ctl_start(&mut self) -> Result<(), String> {
        let data = self.data_dir();
        let log = self.dir.path().join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                path_str(&data)?,
                "-l",
                path_str(&log)?,
                "-w",
                "-t",
                "120",
                "start",
            ],
        )?;
        self.running = true;
        Ok(())
    }

    /// Stops the server (fast shutdown: checkpoint, then exit).
    pub fn stop(&mut self) -> Result<(), String> {
        if !self.running {
            return Ok(());
        }
        let data = self.data_dir();
        self.run(
            "pg_ctl",
            &[
                "-D",
                path_str(&data)?,
                "-m",
                "fast",
                "-w",
                "-t",
                "120",
                "stop",
            ],
        )?;
        self.running = false;
        Ok(())
    }

    /// Stops and starts the server; returns how long the start took until a query ran.
    pub fn restart(&mut self) -> Result<Duration, String> {
        self.stop()?;
        let t = Instant::now();
        self.pg_ctl_start()?;
        let mut c = self.connect()?;
        c.simple_query("SELECT 1").map_err(err)?;
        Ok(t.elapsed())
    }

    pub fn connect(&self) -> Result<postgres::Client, String> {
        postgres::Config::new()
            .host_path(self.dir.path())
            .port(self.port)
            .user("postgres")
            .dbname("postgres")
            .connect(postgres::NoTls)
            .map_err(|e| format!("connect to PostgreSQL: {}", err(e)))
    }

    pub fn postmaster_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.data_dir().join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// Proportional set size (shared memory split among the processes sharing it) of the
    /// postmaster and its children, in MiB.
    pub fn pss_mb(&self) -> f64 {
        let Some(pm) = self.postmaster_pid() else {
            return 0.0;
        };
        let mut kb = 0u64;
        for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let ppid = stat
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if pid != pm && ppid != Some(pm) {
                continue;
            }
            let rollup =
                std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
            if let Some(l) = rollup.lines().find(|l| l.starts_with("Pss:")) {
                kb += l
                    .split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
        kb as f64 / 1024.0
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.running {
            if let Ok(data) = path_str(&self.data_dir()).map(str::to_string) {
                let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
            }
            self.running = false;
        }
        // The TempDir removes the cluster's files.
    }
}

/// An error with the server's message (postgres::Error's Display says only "db error").
pub fn err(e: postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => e.to_string(),
    }
}

fn path_str(p: &Path) -> Result<&str, String> {
    p.to_str()
        .ok_or_else(|| format!("non-UTF-8 path {}", p.display()))
}

// ---------------------------------------------------------------------------------------
// Schema, load, queries
// ---------------------------------------------------------------------------------------

/// Tables without constraints; [`build_indexes`] adds them after the COPY.
pub fn create_tables(c: &mut postgres::Client) -> Result<(), String> {
    c.batch_execute(
        "DROP TABLE IF EXISTS node, edge;
         CREATE TABLE node (id bigint NOT NULL, kind smallint NOT NULL, ext_id text NOT NULL, data text);
         CREATE TABLE edge (src bigint NOT NULL, dst bigint NOT NULL, kind smallint NOT NULL);",
    )
    .map_err(|e| format!("create tables: {}", err(e)))
}

/// Escapes a value for COPY's text format.
pub fn copy_escape(s: &str, out: &mut String) {
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// One `node` row in COPY text format (with the newline).
pub fn node_row(n: &PgNode, out: &mut String) {
    use std::fmt::Write as _;
    let _ = write!(out, "{}\t{}\t", n.id, n.kind);
    copy_escape(&n.ext_id, out);
    out.push('\t');
    copy_escape(&n.data, out);
    out.push('\n');
}

/// One `edge` row in COPY text format (with the newline).
pub fn edge_row(e: &PgEdge, out: &mut String) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "{}\t{}\t{}", e.src, e.dst, e.kind);
}

/// COPYs rows (COPY text format) from a reader into `table`.
pub fn copy_from(
    c: &mut postgres::Client,
    table: &str,
    mut rows: impl std::io::Read,
) -> Result<u64, String> {
    let mut w = c
        .copy_in(&format!("COPY {table} FROM STDIN"))
        .map_err(|e| format!("COPY {table}: {}", err(e)))?;
    std::io::copy(&mut rows, &mut w).map_err(|e| format!("COPY {table}: {e}"))?;
    w.finish().map_err(|e| format!("COPY {table}: {}", err(e)))
}

/// Primary key, unique ext_id, both edge indexes, then VACUUM ANALYZE.
/// Returns (index build, vacuum analyze) durations.
pub fn build_indexes(c: &mut postgres::Client) -> Result<(Duration, Duration), String> {
    let t = Instant::now();
    c.batch_execute(
        "ALTER TABLE node ADD PRIMARY KEY (id);
         ALTER TABLE node ADD CONSTRAINT node_ext_id_key UNIQUE (ext_id);
         CREATE INDEX edge_src ON edge (src, dst);
         CREATE INDEX edge_dst ON edge (dst, src);",
    )
    .map_err(|e| format!("indexes: {}", err(e)))?;
    let ix = t.elapsed();
    let t = Instant::now();
    for sql in ["VACUUM ANALYZE node", "VACUUM ANALYZE edge"] {
        c.batch_execute(sql)
            .map_err(|e| format!("{sql}: {}", err(e)))?;
    }
    Ok((ix, t.elapsed()))
}

/// Loads every table and index into shared buffers (pg_prewarm).
pub fn prewarm(c: &mut postgres::Client) -> Result<(), String> {
    c.batch_execute(
        "CREATE EXTENSION IF NOT EXISTS pg_prewarm;
         SELECT pg_prewarm(x) FROM unnest(ARRAY['node','edge','node_pkey','node_ext_id_key','edge_src','edge_dst']) AS x;",
    )
    .map_err(|e| format!("prewarm: {}", err(e)))
}

/// Size of the current database (tables and indexes, without WAL), in bytes.
pub fn database_bytes(c: &mut postgres::Client) -> Result<u64, String> {
    let row = c
        .query_one("SELECT pg_database_size(current_database())", &[])
        .map_err(err)?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// Upstream trace: ids of every node reached (the root included).
pub fn upstream_ids(
    c: &mut postgres::Client,
    stmt: &postgres::Statement,
    ext_id: &str,
) -> Result<Vec<u32>, String> {
    let rows = c.query(stmt, &[&ext_id]).map_err(err)?;
    Ok(rows.iter().map(|r| r.get::<_, i64>(0) as u32).collect())
}

/// Recall: ext_ids of every listing reached.
pub fn recall_ext_ids(
    c: &mut postgres::Client,
    stmt: &postgres::Statement,
    ext_id: &str,
) -> Result<Vec<String>, String> {
    let rows = c.query(stmt, &[&ext_id]).map_err(err)?;
    Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
}
