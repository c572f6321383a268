//! PostgreSQL as the shared log of several boardtrail nodes ([`PgLog`]).
//!
//! One table of events (`bt_events`: sequence number, previous hash, hash, encoded event,
//! time, actor) is the shared, ordered log. Each node keeps its own resident `World` over
//! it (the [`super::Ledger`]) and appends after the head it knows:
//!
//! - A node's transaction begins with the append lock (the one row of `bt_head`, whose
//!   `seq` is the committed head): nodes take turns a transaction at a time. If the head
//!   moved past this node's, the append answers [`StoreError::HeadMoved`] (still holding
//!   the lock): the ledger catches up and the command is decided again.
//! - Appends under the lock are kept here; [`EventLog::sync`] writes them with multi-row
//!   INSERTs (the first row only after its predecessor with the hash it names; the
//!   primary key refuses a sequence number twice) and commits with a `NOTIFY` that wakes
//!   the other nodes: every append since the last commit becomes durable at once (group
//!   commit; the commit waits a little while appends keep arriving). Commits are made one
//!   after another on one connection, so what is committed is always a prefix of what was
//!   appended.
//! - Entries appended but not yet committed are kept here too, so that this node reads
//!   its own writes before they are durable, like the embedded log.
//!
//! Connection failures are [`StoreError::Unavailable`] (503): if nothing uncommitted was
//! lost the node simply answers 503 until the database is back; if an open transaction
//! was lost the ledger stops and reloads from the database once it answers again
//! ([`EventLog::recoverable`]). Portable SQL only (no extensions); `ON CONFLICT` is the one
//! PostgreSQL-dialect clause, which Postgres-wire engines support.

mod conn;
mod flight;
mod rows;
mod schema;
mod snapshots;

pub(crate) use conn::pg_err;
pub use conn::PgConfig;
use rows::{commit_sql, Row};

use super::log::{AnswerVisit, EventLog, Visit};
use super::snapshot::Snapshot;
use super::StoreError;
use crate::core::event::{Event, Hash};
use crate::core::{codec, World};
use crate::tlog::merkle::Tree;
use parking_lot::Mutex;
use postgres::fallible_iterator::FallibleIterator;
use postgres::Client;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Events that come with the append lock at most (a node further behind reads the rest
/// as usual): a few hand-overs' worth, so the lock is not held over a long read.
const LOCK_PAGE: usize = 256;

/// The channel a commit notifies.
pub const CHANNEL: &str = "bt_log";
/// Rows read per query when scanning the log.
const PAGE: i64 = 5_000;
/// How long a commit waits for more appends, and at most how many times.
const COMMIT_WAIT: Duration = Duration::from_micros(40);
const COMMIT_DEFERRALS: u32 = 25;

struct Writer {
    client: Option<Client>,
    /// A transaction is open on `client`; it holds the append lock.
    open: bool,
    /// The log's head as this transaction sees it (what it appended included).
    txn_head: u64,
    /// The events and answers of the open transaction, written when it commits.
    rows: Vec<Row>,
    answers: Vec<(Vec<u8>, i64, Vec<u8>)>,
    /// The last append found the head moved: the next takes the append lock first (and
    /// keeps it while catching up) instead of trying the one-flight commit.
    contended: bool,
}

/// The committed events after this node's head that came with the append lock: while
/// the lock is held nobody else commits, so they are the log up to `head`.
#[derive(Default)]
struct Fetched {
    /// The first of them (this node's head + 1).
    from: u64,
    /// The committed head when the lock was taken.
    head: u64,
    entries: Vec<(u64, Vec<u8>)>,
}

/// Appended but not yet committed (read by this node's own reads).
#[derive(Default)]
struct Uncommitted {
    entries: BTreeMap<u64, Vec<u8>>,
    answers: Vec<(Vec<u8>, Vec<u8>)>,
}

pub struct PgLog {
    cfg: PgConfig,
    writer: Mutex<Writer>,
    uncommitted: Mutex<Uncommitted>,
    /// What the append lock brought (taken by the catch-up that follows a moved head).
    fetched: Mutex<Fetched>,
    /// Reads (get, scan, answers, meta).
    reader: Mutex<Option<Client>>,
    /// LISTENs on [`CHANNEL`] for other nodes' commits.
    listener: Mutex<Option<Client>>,
    /// Every event up to this one is committed.
    durable: AtomicU64,
    /// Appends waiting for the connection (a commit lets them in first).
    appending: std::sync::atomic::AtomicUsize,
    /// Events of the last commit (1: a lone writer, whose commits do not wait).
    last_group: std::sync::atomic::AtomicUsize,
    /// Writes waiting to be decided behind the next append (told by the application).
    waiting: std::sync::atomic::AtomicUsize,
    /// This node's name in its notifications (random hex), so that it is not woken by
    /// its own commits.
    node: String,
}

impl PgLog {
    /// Connects, creates or upgrades the tables (migrations run in one transaction, one
    /// node at a time) and returns the log.
    pub fn open(cfg: &PgConfig) -> Result<PgLog, StoreError> {
        let mut c = cfg.connect()?;
        schema::migrate(&mut c)?;
        let log = PgLog {
            cfg: cfg.clone(),
            writer: Mutex::new(Writer {
                client: None,
                open: false,
                txn_head: 0,
                rows: Vec::new(),
                answers: Vec::new(),
                contended: false,
            }),
            uncommitted: Mutex::new(Uncommitted::default()),
            fetched: Mutex::new(Fetched::default()),
            reader: Mutex::new(Some(c)),
            listener: Mutex::new(None),
            durable: AtomicU64::new(0),
            appending: std::sync::atomic::AtomicUsize::new(0),
            last_group: std::sync::atomic::AtomicUsize::new(0),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            node: crate::secret::random32()
                .map(|b| b[..8].iter().map(|x| format!("{x:02x}")).collect())
                .map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?,
        };
        let head = log.last()?.map_or(0, |(s, _)| s);
        log.durable.store(head, Ordering::Release);
        Ok(log)
    }

    /// Runs `f` on the reader connection, connecting first if needed; a connection that
    /// failed is dropped so that the next call connects again.
    fn read<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut slot = self.reader.lock();
        let c = self.cfg.ensure(&mut slot, |_| Ok(()))?;
        f(c).map_err(|e| {
            if e.as_db_error().is_none() {
                *slot = None;
            }
            pg_err(e)
        })
    }

    /// Waits until another node may have committed events (a notification on
    /// [`CHANNEL`]) or `timeout` passes; `true` if notified. Correctness never depends on
    /// it: the caller looks for new events either way.
    fn listen(&self, timeout: Duration) -> Result<bool, StoreError> {
        let mut slot = self.listener.lock();
        let c = self.cfg.ensure(&mut slot, |c| {
            c.batch_execute(&format!("LISTEN {CHANNEL}"))
                .map_err(pg_err)
        })?;
        let mut notes = c.notifications();
        let until = std::time::Instant::now() + timeout;
        let mut news = false;
        let mut failed = None;
        // This node's own commits are no news to it.
        while !news {
            let left = until.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            let next = notes.timeout_iter(left).next();
            match next {
                Ok(Some(n)) => news = n.payload() != self.node,
                Ok(None) => break,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if failed.is_none() {
            // Drain what else arrived: one catch-up covers them all.
            while let Ok(Some(_)) = notes.iter().next() {}
        }
        drop(notes);
        if let Some(e) = failed {
            *slot = None;
            return Err(pg_err(e));
        }
        let first = news;
        Ok(first)
    }

    fn with_uncommitted_from(&self, from: u64) -> Vec<(u64, Vec<u8>)> {
        self.uncommitted
            .lock()
            .entries
            .range(from..)
            .map(|(s, e)| (*s, e.clone()))
            .collect()
    }
}

fn entry_of(hash: &[u8], body: &[u8]) -> Vec<u8> {
    let mut e = Vec::with_capacity(hash.len() + body.len());
    e.extend_from_slice(hash);
    e.extend_from_slice(body);
    e
}

impl Writer {
    fn client(&mut self, cfg: &PgConfig) -> Result<&mut Client, StoreError> {
        let open = &mut self.open;
        // A new connection has no transaction open.
        cfg.ensure(&mut self.client, |_| {
            *open = false;
            Ok(())
        })
    }
}

impl EventLog for PgLog {
    fn last(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        if let Some((s, e)) = self.uncommitted.lock().entries.last_key_value() {
            return Ok(Some((*s, e.clone())));
        }
        let row = self.read(|c| {
            c.query_opt(
                "SELECT seq, hash, body FROM bt_events ORDER BY seq DESC LIMIT 1",
                &[],
            )
        })?;
        Ok(row.map(|r| {
            let seq: i64 = r.get(0);
            (seq as u64, entry_of(r.get(1), r.get(2)))
        }))
    }

    fn append(
        &self,
        seq: u64,
        prev: &Hash,
        entry: Vec<u8>,
        answer: Option<(&[u8], &[u8])>,
    ) -> Result<(), StoreError> {
        let split = super::log::split(seq, &entry)?;
        let ev: Event = codec::decode(split.body)?;
        let actor = ev.actor.key.as_str();
        self.appending.fetch_add(1, Ordering::AcqRel);
        let mut w = self.writer.lock();
        self.appending.fetch_sub(1, Ordering::AcqRel);
        let row = Row {
            seq: seq as i64,
            prev: prev.to_vec(),
            hash: split.hash.to_vec(),
            body: split.body.to_vec(),
            at: ev.at,
            actor: actor.to_string(),
        };
        // A lone writer (no transaction open, the last commit held one event, nobody
        // waiting) commits its event in one round trip: lock, head check, rows, commit.
        let lone = !w.open
            && w.rows.is_empty()
            && !w.contended
            && self.last_group.load(Ordering::Acquire) <= 1
            && self.appending.load(Ordering::Acquire) == 0
            && self.waiting.load(Ordering::Acquire) == 0;
        if lone {
            return self.append_in_one_flight(&mut w, row, answer);
        }
        let began = self.begin(&mut w, seq);
        match began {
            Err(e) => {
                // A BEGIN that went through may have left the lock held on the server:
                // roll back, or drop the connection (which rolls back) if that fails.
                if let Some(c) = w.client.as_mut() {
                    if c.batch_execute("ROLLBACK").is_err() {
                        w.client = None;
                    }
                }
                w.open = false;
                return Err(self.failed_append(e));
            }
            Ok(Some(head)) => w.txn_head = head,
            Ok(None) => {}
        }
        w.open = true;
        if seq != w.txn_head + 1 {
            // Another node appended since this node's head: it catches up and decides
            // again, still holding the lock (or lets it go: `release`).
            return Err(StoreError::HeadMoved {
                expected: seq - 1,
                head: w.txn_head,
            });
        }
        // This transaction holds the append lock and saw the head: the sequence number
        // is this node's. The rows are written by the commit, all at once (`sync`).
        w.txn_head = seq;
        w.rows.push(row);
        if let Some((k, v)) = answer {
            w.answers.push((k.to_vec(), seq as i64, v.to_vec()));
        }
        let mut u = self.uncommitted.lock();
        u.entries.insert(seq, entry);
        if let Some((k, v)) = answer {
            u.answers.push((k.to_vec(), v.to_vec()));
        }
        Ok(())
    }

    fn writers_waiting(&self, n: usize) {
        self.waiting.store(n, Ordering::Release);
    }

    fn sync(&self, seq: u64) -> Result<(), StoreError> {
        if self.durable.load(Ordering::Acquire) >= seq {
            return Ok(());
        }
        let mut w = self.writer.lock();
        // Group commit: while appends keep arriving (each is local until the commit), let
        // them into this transaction first — a bounded delay, like PostgreSQL's
        // commit_delay: another round only while the last one brought a new append. A lone
        // writer (the last commit held one event, and no append waits) does not wait.
        let lone = self.last_group.load(Ordering::Acquire) <= 1
            && self.appending.load(Ordering::Acquire) == 0;
        let mut deferred = 0;
        while !lone && deferred < COMMIT_DEFERRALS {
            let before = w.rows.len();
            drop(w);
            std::thread::sleep(COMMIT_WAIT);
            w = self.writer.lock();
            deferred += 1;
            if self.durable.load(Ordering::Acquire) >= seq {
                return Ok(());
            }
            let waiting = self.appending.load(Ordering::Acquire) > 0;
            if w.rows.len() == before && !waiting {
                break;
            }
        }
        if self.durable.load(Ordering::Acquire) >= seq {
            return Ok(());
        }
        if !w.open {
            return Err(StoreError::Corrupt(format!(
                "event {seq} was neither committed nor in the open transaction"
            )));
        }
        let head = w.txn_head;
        let rows = std::mem::take(&mut w.rows);
        self.last_group.store(rows.len(), Ordering::Release);
        let answers = std::mem::take(&mut w.answers);
        let node = self.node.clone();
        let committed = w
            .client
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("no connection".into()))
            .and_then(|c| {
                // The rows, the answers, the head, the notification and the commit: one
                // round trip.
                let sql = commit_sql(
                    &rows,
                    &answers,
                    &format!(
                        "UPDATE bt_head SET seq = {head} WHERE id = 1; NOTIFY {CHANNEL}, '{node}'; COMMIT"
                    ),
                );
                c.batch_execute(&sql).map_err(pg_err)
            });
        w.open = false;
        let mut u = self.uncommitted.lock();
        let top = u.entries.last_key_value().map_or(0, |(s, _)| *s);
        u.entries.clear();
        u.answers.clear();
        match committed {
            Ok(()) => {
                self.durable.fetch_max(top, Ordering::AcqRel);
                w.contended = false;
                Ok(())
            }
            // Whether the commit happened is unknown: the ledger stops and reloads what
            // the database holds.
            Err(e) => {
                w.client = None;
                Err(e)
            }
        }
    }

    fn sync_all(&self) -> Result<(), StoreError> {
        let top = self
            .uncommitted
            .lock()
            .entries
            .last_key_value()
            .map_or(0, |(s, _)| *s);
        if top == 0 {
            return Ok(());
        }
        self.sync(top)
    }

    fn get(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(e) = self.uncommitted.lock().entries.get(&seq) {
            return Ok(Some(e.clone()));
        }
        let row = self.read(|c| {
            c.query_opt(
                "SELECT hash, body FROM bt_events WHERE seq = $1",
                &[&(seq as i64)],
            )
        })?;
        Ok(row.map(|r| entry_of(r.get(0), r.get(1))))
    }

    fn scan(&self, from: u64, f: &mut Visit<'_>) -> Result<(), StoreError> {
        // The events the append lock just brought, if they start here and reach the head
        // it saw (the catch-up after a moved head): no round trip.
        let fetched = std::mem::take(&mut *self.fetched.lock());
        let reaches_head =
            fetched.from > 0 && fetched.from + fetched.entries.len() as u64 == fetched.head + 1;
        if fetched.from == from && reaches_head && !fetched.entries.is_empty() {
            for (seq, e) in &fetched.entries {
                if !f(*seq, e)? {
                    return Ok(());
                }
            }
            return Ok(());
        }
        // This node's uncommitted entries are copied before the committed ones are read:
        // what commits in between is then in both (and taken once), never in neither.
        let pending = self.with_uncommitted_from(from);
        let mut next = from.max(1);
        loop {
            let rows = self.read(|c| {
                c.query(
                    "SELECT seq, hash, body FROM bt_events WHERE seq >= $1 ORDER BY seq LIMIT $2",
                    &[&(next as i64), &PAGE],
                )
            })?;
            let n = rows.len();
            for r in rows {
                let seq = r.get::<_, i64>(0) as u64;
                if !f(seq, &entry_of(r.get(1), r.get(2)))? {
                    return Ok(());
                }
                next = seq + 1;
            }
            if (n as i64) < PAGE {
                break;
            }
        }
        for (seq, e) in pending.into_iter().filter(|(seq, _)| *seq >= next) {
            if !f(seq, &e)? {
                break;
            }
        }
        Ok(())
    }

    fn answer(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some((_, v)) = self
            .uncommitted
            .lock()
            .answers
            .iter()
            .find(|(k, _)| k == key)
        {
            return Ok(Some(v.clone()));
        }
        let row =
            self.read(|c| c.query_opt("SELECT answer FROM bt_answers WHERE key = $1", &[&key]))?;
        Ok(row.map(|r| r.get(0)))
    }

    fn each_answer(&self, f: &mut AnswerVisit<'_>) -> Result<(), StoreError> {
        let rows =
            self.read(|c| c.query("SELECT key, answer FROM bt_answers ORDER BY key", &[]))?;
        for r in rows {
            f(r.get(0), r.get(1))?;
        }
        Ok(())
    }

    fn import_answer(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.read(|c| {
            c.execute(
                "INSERT INTO bt_answers (key, seq, answer) VALUES ($1, 0, $2) ON CONFLICT (key) DO NOTHING",
                &[&key, &value],
            )
        })?;
        Ok(())
    }

    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row =
            self.read(|c| c.query_opt("SELECT value FROM bt_meta WHERE name = $1", &[&name]))?;
        Ok(row.map(|r| r.get(0)))
    }

    fn set_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.read(|c| {
            c.execute(
                "INSERT INTO bt_meta (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
                &[&name, &value],
            )
        })?;
        Ok(())
    }

    fn init_meta(&self, name: &str, value: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.read(|c| {
            c.execute(
                "INSERT INTO bt_meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                &[&name, &value],
            )?;
            c.query_one("SELECT value FROM bt_meta WHERE name = $1", &[&name])
                .map(|r| r.get(0))
        })
    }

    fn save_snapshot(
        &self,
        seq: u64,
        hash: &Hash,
        world: &World,
        tree: &Tree,
    ) -> Result<(), StoreError> {
        snapshots::save(&self.cfg, seq, hash, world, tree)
    }

    fn load_snapshot(&self) -> Result<Option<Snapshot>, StoreError> {
        let rows =
            self.read(|c| c.query("SELECT seq, data FROM bt_snapshot ORDER BY part", &[]))?;
        snapshots::decode(rows)
    }

    fn shared(&self) -> bool {
        true
    }

    fn wait_for_news(&self, timeout: Duration) -> Result<bool, StoreError> {
        self.listen(timeout)
    }

    fn recoverable(&self) -> bool {
        true
    }

    fn release(&self) {
        *self.fetched.lock() = Fetched::default();
        let mut w = self.writer.lock();
        if w.open && self.uncommitted.lock().entries.is_empty() {
            if let Some(c) = w.client.as_mut() {
                let _ = c.batch_execute("ROLLBACK");
            }
            w.open = false;
        }
    }

    fn reset(&self) -> Result<(), StoreError> {
        *self.fetched.lock() = Fetched::default();
        let mut w = self.writer.lock();
        if let Some(c) = w.client.as_mut() {
            let _ = c.batch_execute("ROLLBACK");
        }
        w.client = None;
        w.open = false;
        w.rows.clear();
        w.answers.clear();
        {
            let mut u = self.uncommitted.lock();
            u.entries.clear();
            u.answers.clear();
        }
        drop(w);
        *self.reader.lock() = None;
        let head = self.last()?.map_or(0, |(s, _)| s);
        self.durable.store(head, Ordering::Release);
        Ok(())
    }
}
