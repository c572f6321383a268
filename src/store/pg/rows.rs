//! Writing a transaction's events: the whole commit in one round trip, unable to fork or
//! gap the log.

use std::fmt::Write as _;

/// One event's row in `bt_events`.
pub(super) struct Row {
    pub(super) seq: i64,
    pub(super) prev: Vec<u8>,
    pub(super) hash: Vec<u8>,
    pub(super) body: Vec<u8>,
    pub(super) at: i64,
    pub(super) actor: String,
}

/// Rows per INSERT statement.
const ROWS_PER_INSERT: usize = 1_000;

/// `decode('…', 'hex')`: bytes as a literal that no server setting reinterprets
/// (`standard_conforming_strings` aside) and no input can break out of.
fn hex(sql: &mut String, bytes: &[u8]) {
    sql.push_str("decode('");
    for b in bytes {
        let _ = write!(sql, "{b:02x}");
    }
    sql.push_str("', 'hex')");
}

/// Text as a literal built from its UTF-8 bytes in hex (see [`hex`]).
fn text(sql: &mut String, s: &str) {
    sql.push_str("convert_from(");
    hex(sql, s.as_bytes());
    sql.push_str(", 'UTF8')");
}

/// The statements that write a transaction's rows and answers, as one simple-query string
/// to send with the commit (one round trip, one fsync). If the first row does not follow
/// its predecessor in the log with the hash it names, a failed cast (SQLSTATE 22P02, which
/// nothing else here raises) fails the whole string, so the `COMMIT` after it never runs: under the append lock this always holds,
/// so anything else (a writer that ignored the lock) fails the commit instead of forking
/// or gapping the log. Every row is written or none: `INSERT … VALUES` writes all its rows
/// or fails, and the primary key refuses a sequence number twice.
pub(super) fn commit_sql(rows: &[Row], answers: &[(Vec<u8>, i64, Vec<u8>)], tail: &str) -> String {
    let size: usize = rows
        .iter()
        .map(|r| 2 * (r.prev.len() + r.hash.len() + r.body.len() + r.actor.len()) + 120)
        .sum::<usize>()
        + answers
            .iter()
            .map(|(k, _, v)| 2 * (k.len() + v.len()) + 80)
            .sum::<usize>()
        + tail.len()
        + 200;
    let mut sql = String::with_capacity(size);
    if let Some(first) = rows.first() {
        if first.seq > 1 {
            // `'fork'::integer` fails (invalid_text_representation) only when reached: the
            // CASE depends on the row, so it is not folded at planning.
            let _ = write!(
                sql,
                "SELECT CAST(CASE WHEN count(*) = 1 THEN '1' ELSE 'fork' END AS integer) \
                 FROM bt_events WHERE seq = {} AND hash = ",
                first.seq - 1
            );
            hex(&mut sql, &first.prev);
            sql.push_str(";\n");
        }
    }
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        sql.push_str("INSERT INTO bt_events (seq, prev_hash, hash, body, at_ms, actor) VALUES ");
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "({}, ", r.seq);
            hex(&mut sql, &r.prev);
            sql.push_str(", ");
            hex(&mut sql, &r.hash);
            sql.push_str(", ");
            hex(&mut sql, &r.body);
            let _ = write!(sql, ", {}, ", r.at);
            text(&mut sql, &r.actor);
            sql.push(')');
        }
        sql.push_str(";\n");
    }
    for (k, seq, v) in answers {
        sql.push_str("INSERT INTO bt_answers (key, seq, answer) VALUES (");
        hex(&mut sql, k);
        let _ = write!(sql, ", {seq}, ");
        hex(&mut sql, v);
        sql.push_str(") ON CONFLICT (key) DO NOTHING;\n");
    }
    sql.push_str(tail);
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64) -> Row {
        Row {
            seq,
            prev: vec![0xab; 32],
            hash: vec![0xcd; 32],
            body: vec![0, 1, 0x27, 0x5c],
            at: 1_700_000_000_000,
            actor: "key_o'brien\\".into(),
        }
    }

    #[test]
    fn literals_cannot_be_broken_out_of() {
        let sql = commit_sql(
            &[row(5), row(6)],
            &[(b"k'".to_vec(), 6, b"{}".to_vec())],
            "COMMIT",
        );
        // Bytes and text only as hex: no quote or backslash of the input reaches the SQL.
        assert!(!sql.contains("o'brien") && !sql.contains('\\'), "{sql}");
        assert!(sql.contains("decode('0001275c', 'hex')"), "{sql}");
        assert!(
            sql.contains("FROM bt_events WHERE seq = 4 AND hash = decode('abab"),
            "{sql}"
        );
        assert!(sql.contains("ELSE 'fork' END AS integer"), "{sql}");
        assert!(sql.trim_end().ends_with("COMMIT"));
        assert_eq!(sql.matches("INSERT INTO bt_events").count(), 1);
        assert_eq!(sql.matches("INSERT INTO bt_answers").count(), 1);
    }

    #[test]
    fn the_first_event_has_no_predecessor_to_check() {
        let sql = commit_sql(&[row(1)], &[], "COMMIT");
        assert!(!sql.contains("count(*)") && !sql.contains("fork"), "{sql}");
    }
}
