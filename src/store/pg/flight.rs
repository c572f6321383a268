//! Opening a transaction (the append lock, with the events past this node's head), the
//! lone writer's one-flight append, and what an append that failed leaves to do.

use super::rows::{commit_sql, Row};
use super::{entry_of, pg_err, Fetched, PgLog, Writer, CHANNEL, LOCK_PAGE};
use crate::store::StoreError;
use std::sync::atomic::Ordering;

impl PgLog {
    /// Appends and commits one event in one round trip: `BEGIN`, the append lock (the head
    /// set to `seq`), a check that event `seq` is not in the log yet (a division by zero
    /// otherwise fails the whole string, so nothing after it runs), the row (its
    /// predecessor guarded as in every commit), the notification, `COMMIT`. The event is durable when this
    /// returns. If the head moved, the transaction is rolled back and the ledger catches up
    /// and decides again ([`StoreError::HeadMoved`]); the next append then takes the lock
    /// first, as a writer among others does.
    pub(super) fn append_in_one_flight(
        &self,
        w: &mut Writer,
        row: Row,
        answer: Option<(&[u8], &[u8])>,
    ) -> Result<(), StoreError> {
        let seq = row.seq as u64;
        let answers: Vec<(Vec<u8>, i64, Vec<u8>)> = answer
            .map(|(k, v)| (k.to_vec(), row.seq, v.to_vec()))
            .into_iter()
            .collect();
        let node = self.node.clone();
        // Nothing is sent yet: a connection that cannot be made is a plain 503.
        let c = w.client(&self.cfg).map_err(|e| self.failed_append(e))?;
        // The UPDATE takes the lock (waiting for another holder until it commits) and sets
        // the head; the next statement, which sees every commit before the lock was ours,
        // fails the string if event `seq` exists already (and the commit's guard if event
        // `seq - 1` is not this node's predecessor).
        let sql = format!(
            "BEGIN; UPDATE bt_head SET seq = {seq} WHERE id = 1;\n\
             SELECT 1 / (1 - count(*))::integer FROM bt_events WHERE seq = {seq};\n{}",
            commit_sql(
                std::slice::from_ref(&row),
                &answers,
                &format!("NOTIFY {CHANNEL}, '{node}'; COMMIT"),
            )
        );
        match c.batch_execute(&sql) {
            Ok(()) => {
                self.durable.fetch_max(seq, Ordering::AcqRel);
                self.last_group.store(1, Ordering::Release);
                Ok(())
            }
            Err(e) if e.code() == Some(&postgres::error::SqlState::DIVISION_BY_ZERO) => {
                // Another node appended first: nothing of this transaction was committed.
                if c.batch_execute("ROLLBACK").is_err() {
                    w.client = None;
                }
                w.contended = true;
                Err(StoreError::HeadMoved {
                    expected: seq - 1,
                    head: seq,
                })
            }
            Err(e) if e.code() == Some(&postgres::error::SqlState::INVALID_TEXT_REPRESENTATION) => {
                // The predecessor guard: the log's event `seq - 1` is not the one this node
                // holds (a fork, or a writer that ignored the lock). Nothing was committed;
                // the ledger stops and reloads.
                if c.batch_execute("ROLLBACK").is_err() {
                    w.client = None;
                }
                Err(StoreError::Corrupt(format!(
                    "the log's event {} is not the one this node holds: {e}",
                    seq - 1
                )))
            }
            Err(e) if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) => {
                // Event `seq` exists after all: the log is not what this node holds.
                if c.batch_execute("ROLLBACK").is_err() {
                    w.client = None;
                }
                Err(pg_err(e))
            }
            Err(e) if e.as_db_error().is_some() => {
                // Refused for a passing reason (a timeout, a cancel, the server shutting
                // down): nothing was committed if the rollback answers; else the outcome is
                // unknown and the ledger stops and reloads.
                if c.batch_execute("ROLLBACK").is_ok() {
                    Err(self.failed_append(StoreError::Unavailable(format!(
                        "PostgreSQL refused the commit of event {seq}: {e}"
                    ))))
                } else {
                    w.client = None;
                    Err(StoreError::Database(format!(
                        "the commit of event {seq} failed and the connection with it: {e}"
                    )))
                }
            }
            Err(e) => {
                // The connection failed with the commit in flight: whether it happened is
                // unknown, so the ledger stops and reloads what the database holds.
                w.client = None;
                Err(StoreError::Database(format!(
                    "the connection to PostgreSQL failed while event {seq} was being committed: {e}"
                )))
            }
        }
    }

    /// The error of an append that failed with `e`, after which no transaction is open.
    /// If appends of this node were waiting in the lost transaction, they are gone with
    /// it while the world already shows them: a hard error, on which the ledger stops and
    /// later reloads. Otherwise nothing is lost and nothing to undo: the database is just
    /// not answering as it should (503, retried).
    pub(super) fn failed_append(&self, e: StoreError) -> StoreError {
        if !self.uncommitted.lock().entries.is_empty() {
            return StoreError::Database(format!(
                "{e}; appends not yet committed were lost with the transaction"
            ));
        }
        match e {
            StoreError::Unavailable(_) => e,
            other => StoreError::Unavailable(other.to_string()),
        }
    }

    /// Opens this node's transaction unless one is open: takes the append lock and reads
    /// the committed head, with the events past `seq - 1` (kept in `fetched`). `None` if a
    /// transaction was open already.
    pub(super) fn begin(&self, w: &mut Writer, seq: u64) -> Result<Option<u64>, StoreError> {
        let open = w.open && w.client.as_ref().is_some_and(|c| !c.is_closed());
        if !open && !w.rows.is_empty() {
            // The transaction (and its append lock) went with a lost connection while
            // it held appends: another node may have appended since.
            return Err(StoreError::Unavailable(
                "the connection to PostgreSQL was lost in a transaction".into(),
            ));
        }
        let c = w.client(&self.cfg)?;
        if open {
            return Ok(None);
        }
        // The append lock: nodes take turns, a transaction at a time, so that a node
        // whose head is behind catches up once and then appends (no node starves
        // behind another's ever-open transaction). The head is read after the lock
        // is held, by a statement of its own (a fresh snapshot).
        // `bt_head.seq` is set by every commit; an UPDATE that waited for the lock
        // returns the row as the last holder committed it.
        // The same round trip brings the events committed after this node's head (at
        // most a page), which a node that finds the head moved must take in before it
        // decides again: its catch-up then reads them from here.
        let msgs = c
            .simple_query(&format!(
                "BEGIN; UPDATE bt_head SET seq = seq WHERE id = 1 RETURNING seq;\n\
                 SELECT seq, encode(hash, 'hex'), encode(body, 'hex') FROM bt_events \
                 WHERE seq > {} ORDER BY seq LIMIT {LOCK_PAGE}",
                seq - 1
            ))
            .map_err(pg_err)?;
        let mut rows = msgs.iter().filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => Some(r),
            _ => None,
        });
        let head = rows
            .next()
            .and_then(|r| r.get(0))
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| StoreError::Corrupt("bt_head has no row".into()))?;
        let mut after = Vec::new();
        for r in rows {
            let field = |i| {
                r.get(i)
                    .ok_or_else(|| StoreError::Corrupt("a NULL in bt_events".into()))
            };
            let seq: u64 = field(0)?
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("bt_events.seq: {e}")))?;
            let hash = data_encoding::HEXLOWER
                .decode(field(1)?.as_bytes())
                .map_err(|e| StoreError::Corrupt(format!("bt_events.hash: {e}")))?;
            let body = data_encoding::HEXLOWER
                .decode(field(2)?.as_bytes())
                .map_err(|e| StoreError::Corrupt(format!("bt_events.body: {e}")))?;
            after.push((seq, entry_of(&hash, &body)));
        }
        *self.fetched.lock() = Fetched {
            from: seq,
            head,
            entries: after,
        };
        Ok(Some(head))
    }
}
