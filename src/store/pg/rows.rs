//! Writing a transaction's events: multi-row INSERTs that cannot fork or gap the log.

use super::{pg_err, INSERT_ANSWER};
use crate::store::StoreError;
use postgres::Client;

/// One event's row in `bt_events`.
pub(super) struct Row {
    pub(super) seq: i64,
    pub(super) prev: Vec<u8>,
    pub(super) hash: Vec<u8>,
    pub(super) body: Vec<u8>,
    pub(super) at: i64,
    pub(super) actor: String,
}

/// Rows per INSERT statement (6 parameters each; PostgreSQL takes at most 65,535).
const ROWS_PER_INSERT: usize = 1_000;

/// Writes the rows of a transaction: multi-row INSERTs. The first row of each is written
/// only if its predecessor is in the log with the hash it names (the rest chain on it),
/// and every row must be written: under the append lock this always holds, so anything
/// else (a writer that ignored the lock) fails the commit instead of forking or
/// gapping the log.
pub(super) fn insert_rows(
    c: &mut Client,
    rows: &[Row],
    answers: &[(Vec<u8>, i64, Vec<u8>)],
) -> Result<(), StoreError> {
    use postgres::types::ToSql;
    use std::fmt::Write as _;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO bt_events (seq, prev_hash, hash, body, at_ms, actor) SELECT v.* FROM (VALUES ",
        );
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(chunk.len() * 6);
        for (i, r) in chunk.iter().enumerate() {
            let n = i * 6;
            let _ = write!(
                sql,
                "{}(${}::bigint, ${}::bytea, ${}::bytea, ${}::bytea, ${}::bigint, ${}::text)",
                if i == 0 { "" } else { ", " },
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5,
                n + 6
            );
            params.extend([
                &r.seq as &(dyn ToSql + Sync),
                &r.prev,
                &r.hash,
                &r.body,
                &r.at,
                &r.actor,
            ]);
        }
        sql.push_str(
            ") AS v(seq, prev_hash, hash, body, at_ms, actor) \
             WHERE $1 = 1 OR EXISTS (SELECT 1 FROM bt_events e WHERE e.seq = $1 - 1 AND e.hash = $2)",
        );
        let written = c.execute(sql.as_str(), &params).map_err(pg_err)?;
        if written != chunk.len() as u64 {
            return Err(StoreError::Database(format!(
                "event {} does not follow the log's head: {written} of {} events written",
                chunk[0].seq,
                chunk.len()
            )));
        }
    }
    for (k, seq, v) in answers {
        c.execute(INSERT_ANSWER, &[k, seq, v]).map_err(pg_err)?;
    }
    Ok(())
}
