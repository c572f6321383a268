//! The `World` snapshot kept in PostgreSQL (`bt_snapshot`, 8 MiB parts), so that a node
//! starts from it instead of replaying the whole shared log.

use super::conn::{pg_err, PgConfig};
use crate::core::event::Hash;
use crate::core::World;
use crate::store::snapshot::{self, Snapshot, SnapshotError};
use crate::store::StoreError;
use crate::tlog::merkle::Tree;

/// A snapshot is stored in parts of this many bytes (one row each).
const SNAPSHOT_PART: usize = 8 << 20;

/// Saves the snapshot of `world` at event `seq`, replacing an older one atomically (a
/// newer one another node saved stays).
pub(super) fn save(
    cfg: &PgConfig,
    seq: u64,
    hash: &Hash,
    world: &World,
    tree: &Tree,
) -> Result<(), StoreError> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    snapshot::encode(&mut bytes, seq, hash, world, tree)
        .map_err(|e| StoreError::Snapshot(e.to_string()))?;
    let bytes = bytes.into_inner();
    // Its own connection: a large snapshot does not hold up this node's reads.
    let mut c = cfg.connect()?;
    let mut t = c.transaction().map_err(pg_err)?;
    t.batch_execute("LOCK TABLE bt_snapshot IN EXCLUSIVE MODE")
        .map_err(pg_err)?;
    let newest: Option<i64> = t
        .query_one("SELECT max(seq) FROM bt_snapshot", &[])
        .map_err(pg_err)?
        .get(0);
    if newest.is_some_and(|n| n as u64 >= seq) {
        // Another node saved one at least as recent.
        return Ok(());
    }
    t.execute("DELETE FROM bt_snapshot", &[]).map_err(pg_err)?;
    for (i, part) in bytes.chunks(SNAPSHOT_PART).enumerate() {
        t.execute(
            "INSERT INTO bt_snapshot (part, seq, data) VALUES ($1, $2, $3)",
            &[&(i as i32), &(seq as i64), &part],
        )
        .map_err(pg_err)?;
    }
    t.commit().map_err(pg_err)
}

/// The snapshot from its rows (`seq`, `data`, in part order): none if there is none or it
/// is of another format version, an error if it is damaged.
pub(super) fn decode(rows: Vec<postgres::Row>) -> Result<Option<Snapshot>, StoreError> {
    if rows.is_empty() {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    let first: i64 = rows[0].get(0);
    for r in &rows {
        if r.get::<_, i64>(0) != first {
            return Err(StoreError::Corrupt(
                "the snapshot's parts were taken at different events".into(),
            ));
        }
        bytes.extend_from_slice(r.get::<_, &[u8]>(1));
    }
    match snapshot::decode(&bytes) {
        Ok(s) => Ok(Some(s)),
        Err(SnapshotError::Outdated) => Ok(None),
        Err(e) => Err(StoreError::Corrupt(e.to_string())),
    }
}
