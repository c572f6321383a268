//! `boardtrail migrate --from <data dir | database URL> --to <data dir | database URL>`:
//! copies a log between backends (sled ↔ PostgreSQL, or either to a new one of its kind)
//! and verifies the copy.
//!
//! The copy is the log itself: every entry byte for byte in order (so the hash chain, and
//! with it the head hash, is the same), the named values (the id key, so public ids stay
//! the same; the entry format; the secrets' fingerprints) and the answers of idempotent
//! writes. The destination must hold no event. The copy is then opened as a store, which
//! replays it and checks the whole chain, and is accepted only if its head hash is the
//! source's and `verify` finds nothing. The secrets (`token.key`, `qr.key`) stay files in
//! the data dir that the nodes are started with.

use crate::core::event::{self, GENESIS};
use crate::store::ledger::entry_hash;
use crate::store::{EventLog, Ledger, PgConfig, PgLog, SledConfig, SledLog, Store, StoreError};
use std::time::Instant;

/// Entries made durable at a time in the destination.
const CHUNK: u64 = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the destination already holds {0} events: migrate only into an empty log")]
    NotEmpty(u64),
    #[error("the copy does not verify: {0}")]
    Mismatch(String),
}

fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

fn open_sled(dir: &str, cache_mb: u64) -> Result<SledLog, StoreError> {
    let mut cfg = SledConfig::new(std::path::Path::new(dir).join("db"));
    cfg.cache_bytes = cache_mb * 1024 * 1024;
    SledLog::open(&cfg)
}

/// Copies `from` into `to` (see the module doc) and returns what was done.
pub fn run(from: &str, to: &str, cache_mb: u64) -> Result<String, MigrateError> {
    match (is_url(from), is_url(to)) {
        (false, false) => copy(open_sled(from, cache_mb)?, open_sled(to, cache_mb)?),
        (false, true) => copy(open_sled(from, cache_mb)?, PgLog::open(&PgConfig::new(to))?),
        (true, false) => copy(PgLog::open(&PgConfig::new(from))?, open_sled(to, cache_mb)?),
        (true, true) => copy(
            PgLog::open(&PgConfig::new(from))?,
            PgLog::open(&PgConfig::new(to))?,
        ),
    }
}

/// Copies every entry, named value and answer of `src` into the empty `dst`, then opens
/// `dst` as a store and checks it against `src`.
pub fn copy<A: EventLog, B: EventLog>(src: A, dst: B) -> Result<String, MigrateError> {
    let started = Instant::now();
    if let Some((n, _)) = dst.last()? {
        return Err(MigrateError::NotEmpty(n));
    }
    let (src_head, src_hash) = match src.last()? {
        Some((seq, raw)) => (seq, entry_hash(seq, &raw)?),
        None => (0, GENESIS),
    };
    for name in crate::store::ledger::named_values() {
        if let Some(v) = src.meta(&name)? {
            dst.set_meta(&name, &v)?;
        }
    }
    let mut prev = GENESIS;
    let mut copied = 0u64;
    src.scan(1, &mut |seq, raw| {
        if seq != copied + 1 {
            return Err(StoreError::Corrupt(format!(
                "the source log jumps from event {copied} to {seq}"
            )));
        }
        let hash = entry_hash(seq, raw)?;
        dst.append(seq, &prev, raw.to_vec(), None)?;
        prev = hash;
        copied = seq;
        if seq % CHUNK == 0 {
            dst.sync(seq)?;
            tracing::info!(seq, "migrate: copied");
        }
        Ok(true)
    })?;
    dst.sync_all()?;
    let mut answers = 0u64;
    src.each_answer(&mut |k, v| {
        dst.import_answer(k, v)?;
        answers += 1;
        Ok(())
    })?;
    if copied != src_head || prev != src_hash {
        return Err(MigrateError::Mismatch(format!(
            "copied {copied} events ending in {} but the source's head is event {src_head} ({})",
            event::hex(&prev),
            event::hex(&src_hash)
        )));
    }
    // Open the copy as a store: the whole log replayed and its chain checked.
    let copy = Ledger::over(dst, false)?;
    let report = copy.verify()?;
    if !report.ok() {
        return Err(MigrateError::Mismatch(report.problems.join("; ")));
    }
    if report.head_hash != event::hex(&src_hash) || report.events != src_head {
        return Err(MigrateError::Mismatch(format!(
            "the copy's head is event {} ({}), the source's event {src_head} ({})",
            report.events,
            report.head_hash,
            event::hex(&src_hash)
        )));
    }
    // A snapshot for the copy's first start.
    copy.save_snapshot()?;
    Ok(format!(
        "migrate: copied {copied} events and {answers} answers in {:.1} s; the copy verifies (head {} = {})",
        started.elapsed().as_secs_f64(),
        report.events,
        report.head_hash
    ))
}
