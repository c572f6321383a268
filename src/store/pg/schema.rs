//! The tables of the PostgreSQL log, as numbered migrations run at start. Each runs once,
//! in one transaction, and nodes starting together take turns (a lock on
//! `bt_migrations`), so a database is always at one known version.

use super::pg_err;
use crate::store::StoreError;
use postgres::Client;

/// `(version, statements)`, in order. Never edit a released one: add the next.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "CREATE TABLE bt_events (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
        hash bytea NOT NULL CHECK (length(hash) = 32),
        body bytea NOT NULL,
        at_ms bigint NOT NULL,
        actor text NOT NULL
    );
    CREATE TABLE bt_answers (
        key bytea PRIMARY KEY,
        seq bigint NOT NULL,
        answer bytea NOT NULL
    );
    CREATE TABLE bt_meta (
        name text PRIMARY KEY,
        value bytea NOT NULL
    );
    CREATE TABLE bt_snapshot (
        part integer PRIMARY KEY,
        seq bigint NOT NULL,
        data bytea NOT NULL
    );",
    ),
    (
        2,
        // The append lock (one row): a node's transaction holds it from its first append to
        // its commit.
        // Its `seq` is the committed head, set by every commit.
        "CREATE TABLE bt_head (id integer PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL);
    INSERT INTO bt_head (id, seq) SELECT 1, coalesce(max(seq), 0) FROM bt_events;",
    ),
];

/// The newest schema version this boardtrail knows.
pub const VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

pub(super) fn migrate(c: &mut Client) -> Result<(), StoreError> {
    // Two nodes creating the table at once: one of them fails on the catalog's unique
    // index, and tries again once the other is done.
    let create = "CREATE TABLE IF NOT EXISTS bt_migrations (
        version integer PRIMARY KEY,
        applied_at timestamp with time zone NOT NULL DEFAULT now())";
    if c.batch_execute(create).is_err() {
        std::thread::sleep(std::time::Duration::from_millis(200));
        c.batch_execute(create).map_err(pg_err)?;
    }
    let mut t = c.transaction().map_err(pg_err)?;
    t.batch_execute("LOCK TABLE bt_migrations IN EXCLUSIVE MODE")
        .map_err(pg_err)?;
    let done: Vec<i32> = t
        .query("SELECT version FROM bt_migrations", &[])
        .map_err(pg_err)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if let Some(newer) = done.iter().find(|v| **v > VERSION) {
        return Err(StoreError::Corrupt(format!(
            "the database is at schema version {newer}, newer than this boardtrail knows ({VERSION}): run the version that wrote it"
        )));
    }
    for (version, sql) in MIGRATIONS {
        if done.contains(version) {
            continue;
        }
        t.batch_execute(sql).map_err(pg_err)?;
        t.execute(
            "INSERT INTO bt_migrations (version) VALUES ($1)",
            &[version],
        )
        .map_err(pg_err)?;
        tracing::info!(version, "database schema migrated");
    }
    t.commit().map_err(pg_err)
}
