//! Connecting to PostgreSQL, and its errors as store errors.

use crate::store::StoreError;
use postgres::{Client, NoTls};
use std::time::Duration;

/// Where the database is, and how long to wait for it.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// A libpq-style URL or key=value string (`postgres://user@host:port/db`).
    pub url: String,
    pub connect_timeout: Duration,
}

impl PgConfig {
    pub fn new(url: impl Into<String>) -> PgConfig {
        PgConfig {
            url: url.into(),
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// A new connection with this node's session settings: a transaction left open by a
    /// node that hangs is aborted by the server instead of blocking the others' appends.
    pub fn connect(&self) -> Result<Client, StoreError> {
        let mut cfg: postgres::Config = self
            .url
            .parse()
            .map_err(|e: postgres::Error| StoreError::Database(format!("database URL: {e}")))?;
        cfg.connect_timeout(self.connect_timeout);
        cfg.application_name("boardtrail");
        let mut c = cfg.connect(NoTls).map_err(pg_err)?;
        c.batch_execute(
            "SET idle_in_transaction_session_timeout = '15s'; SET lock_timeout = '15s'",
        )
        .map_err(pg_err)?;
        Ok(c)
    }
}

impl PgConfig {
    /// The connection in `slot`, made (and set up by `init`) if there is none or it
    /// closed. `Ok(None)`-free: a fresh connection is always there on success.
    pub(super) fn ensure<'a>(
        &self,
        slot: &'a mut Option<Client>,
        init: impl FnOnce(&mut Client) -> Result<(), StoreError>,
    ) -> Result<&'a mut Client, StoreError> {
        if slot.as_ref().is_none_or(|c| c.is_closed()) {
            let mut c = self.connect()?;
            init(&mut c)?;
            *slot = Some(c);
        }
        slot.as_mut()
            .ok_or_else(|| StoreError::Unavailable("no connection".into()))
    }
}

/// A `postgres` error as a store error: lost or refused connections are `Unavailable`
/// (503, retried), errors the server reports carry its message and code.
pub(crate) fn pg_err(e: postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => StoreError::Database(format!("{} ({})", db.message(), db.code().code())),
        None => StoreError::Unavailable(format!("PostgreSQL: {e}")),
    }
}
