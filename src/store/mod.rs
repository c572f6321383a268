//! Storage. The application talks to the [`Store`] trait: append one event, wait until it
//! is durable, read the resident [`crate::core::World`]. It has one implementation, the
//! [`Ledger`], over any [`EventLog`] — the narrow trait a backend implements (an ordered,
//! durable log of sealed entries, a snapshot slot, idempotent answers, named values):
//! [`SledLog`] (embedded, the default) and [`MemLog`] (in memory, with injected faults and
//! crashes, for the simulation test).

pub(crate) mod ledger;
pub(crate) mod log;
pub(crate) mod memory;
pub(crate) mod pg;
pub mod sled_store;
pub(crate) mod snapshot;

use crate::core::codec::CodecError;
use crate::core::domain::{NaturalKey, NodeId, NodeKind, Record};
use crate::core::event::{Actor, Event, EventBody, Hash};
use crate::core::graph::{NodeMeta, Reach, UpReach};

pub use crate::core::quantity::Holding;
pub use ledger::Ledger;
pub use log::{AnswerVisit, EventLog, Visit};
pub use memory::{Fault, MemLog, MemStore};
pub use pg::{PgConfig, PgLog};
pub use sled_store::{SledConfig, SledLog, SledStore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
    #[error("storage I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored data could not be decoded: {0}")]
    Codec(#[from] CodecError),
    #[error("natural key already taken by id {0}")]
    KeyTaken(NodeId),
    #[error("the store is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    World(crate::core::WorldError),
    /// The log's head is not the one the append expected: another writer appended first.
    #[error("the log moved on: expected head {expected}, found {head}")]
    HeadMoved { expected: u64, head: u64 },
    /// The database cannot be reached (or refused this write for a passing reason):
    /// nothing was written, a retry may succeed (503).
    #[error("the database is not available: {0}")]
    Unavailable(String),
    /// The database reported an error.
    #[error("database: {0}")]
    Database(String),
    /// The event would be larger than a log entry may be (C2SP tlog-tiles entry bundles
    /// prefix each entry with a 16-bit length): refused, nothing written.
    #[error("the event would take {len} bytes in the log, more than the {max} an entry may take")]
    EntryTooLarge { len: usize, max: usize },
    /// The snapshot could not be written (the previous one stays; nothing is lost).
    #[error("snapshot: {0}")]
    Snapshot(String),
    /// The store could not make a write durable and stopped: nothing more is written or
    /// served until a restart (fail-stop).
    #[error("{0}")]
    Failed(Failure),
}

impl From<crate::core::WorldError> for StoreError {
    fn from(e: crate::core::WorldError) -> StoreError {
        match e {
            crate::core::WorldError::KeyTaken(id) => StoreError::KeyTaken(id),
            e => StoreError::World(e),
        }
    }
}

/// Why a store stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: String,
    /// The device is full (ENOSPC): 507 rather than 503.
    pub disk_full: bool,
    /// The store serves again by itself once the cause passes (a shared database that
    /// answers again); otherwise it needs a restart.
    pub recovers: bool,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.recovers {
            write!(
                f,
                "the store stopped after a failed write ({}): it reloads from the database and serves again once the database answers",
                self.reason
            )
        } else {
            write!(
                f,
                "the store stopped after a failed write ({}): restart the service once the cause is fixed",
                self.reason
            )
        }
    }
}

impl StoreError {
    /// Was the cause a full device?
    pub fn disk_full(&self) -> bool {
        match self {
            StoreError::Sled(sled::Error::Io(e)) | StoreError::Io(e) => {
                e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28)
            }
            StoreError::Failed(f) => f.disk_full,
            _ => false,
        }
    }
}

/// What an append made durable-to-be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    pub seq: u64,
    pub hash: Hash,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StoreStats {
    pub events: u64,
    pub nodes: u64,
    pub edges: u64,
    pub graph_bytes: u64,
    pub head_hash: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct VerifyReport {
    pub events: u64,
    pub records: u64,
    pub head_hash: String,
    /// The RFC 6962 root of the log's Merkle tree (base64), rebuilt from the entries.
    pub tree_root: String,
    /// The size of the newest checkpoint the log signed, checked against the tree.
    pub checkpoint_size: Option<u64>,
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

pub trait Store: Send + Sync + 'static {
    /// The resident state, for reading (held for one lookup or walk: never across a write).
    /// Every read below is answered from it.
    fn world(&self) -> parking_lot::RwLockReadGuard<'_, crate::core::World>;
    /// The secret public ids are keyed with ([`crate::core::ids::IdCodec`]): made with the store
    /// and kept in it, so ids stay stable for the life of the data.
    fn id_key(&self) -> [u8; 32];
    /// The fingerprint of a secret kept outside the store (`token.key`, the QR key), as
    /// recorded when the store first met it.
    fn secret_fingerprint(&self, name: &str) -> Result<Option<[u8; 16]>, StoreError>;
    /// Records a secret's fingerprint, durably.
    fn record_secret_fingerprint(&self, name: &str, fp: [u8; 16]) -> Result<(), StoreError>;
    /// The id the next created entity gets.
    fn next_id(&self) -> NodeId {
        self.world().next_id()
    }
    /// Kind and header of a node, from the resident graph.
    fn meta(&self, id: NodeId) -> Option<NodeMeta> {
        self.world().meta(id)
    }
    fn record(&self, id: NodeId) -> Result<Option<Record>, StoreError> {
        Ok(self.world().record(id).map(|r| Record::clone(r)))
    }
    /// The record shared, without copying (hot read paths: traces, scans).
    fn record_arc(&self, id: NodeId) -> Option<std::sync::Arc<Record>> {
        self.world().record(id).cloned()
    }
    fn lookup(&self, key: &NaturalKey) -> Result<Option<NodeId>, StoreError> {
        Ok(self.world().lookup(key))
    }
    fn holding(&self, lot: NodeId, party: NodeId) -> Holding {
        self.world().holding(lot, party)
    }
    /// One hop downstream: what consumes, lists or was made from `id`.
    fn outputs(&self, id: NodeId) -> Vec<NodeId> {
        self.world().outputs(id).to_vec()
    }
    /// Every lot a party made, received, consumed or shipped, with its holding.
    fn holdings_of(&self, party: NodeId) -> Vec<(NodeId, Holding)> {
        self.world().holdings_of(party)
    }
    /// Records attached to a node (keys, declarations, inspections, actions), oldest first.
    fn attached(&self, id: NodeId) -> Vec<NodeId> {
        self.world().attached(id).to_vec()
    }
    /// Ids of a low-volume kind (parties, inspections, declarations, actions, cases).
    fn ids_of(&self, kind: NodeKind) -> Vec<NodeId> {
        self.world().ids_of(kind).to_vec()
    }
    /// Failed inspections that marked this lot or supplier suspect.
    fn marks(&self, id: NodeId) -> Vec<NodeId> {
        self.world().marks(id).to_vec()
    }
    /// The parties a lot was shipped to, with their holdings of it.
    fn recipients(&self, lot: NodeId) -> Vec<(NodeId, Holding)> {
        self.world().recipients(lot)
    }
    /// The shipments a party sent, oldest first.
    fn shipments_from(&self, party: NodeId) -> Vec<NodeId> {
        self.world().shipments_from(party).to_vec()
    }
    /// Appends one event and updates the projection in one atomic write. The caller must
    /// serialise appends (the application layer holds its writer lock) and must call
    /// [`Store::sync`] before acknowledging.
    fn append(&self, at: i64, actor: Actor, body: EventBody) -> Result<Committed, StoreError> {
        self.append_with(at, actor, body, None, None)
    }
    /// [`Store::append`], also recording `answer` (key, value) in the same atomic write: the
    /// first answer to a write made with an `Idempotency-Key`, to be replayed to retries.
    /// With `decided_at`, the head the event was decided at: if the node took in other
    /// nodes' events since (a shared log's follower), nothing is appended and the answer is
    /// [`StoreError::HeadMoved`], so that the command is decided again over them.
    fn append_with(
        &self,
        at: i64,
        actor: Actor,
        body: EventBody,
        answer: Option<(Vec<u8>, Vec<u8>)>,
        decided_at: Option<u64>,
    ) -> Result<Committed, StoreError>;
    /// The recorded answer under an idempotency key.
    fn idempotent(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// The RFC 6962 Merkle tree over the log (leaf `i` is the entry of event `i + 1`).
    fn tree(&self) -> parking_lot::RwLockReadGuard<'_, crate::tlog::merkle::Tree>;
    /// The largest tree size whose every entry is durable: what a checkpoint may sign.
    fn durable_size(&self) -> u64;
    /// The stored entry of event `seq` (`hash ‖ encoded event`): the Merkle leaf.
    fn entry(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// A named value kept with the log (the log's origin, its last checkpoint).
    fn named(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Sets a named value, durably.
    fn set_named(&self, name: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Sets a named value unless one is set; returns the value kept.
    fn init_named(&self, name: &str, value: &[u8]) -> Result<Vec<u8>, StoreError>;
    /// Starts a bulk import: appends are staged and written in large atomic chunks, and
    /// `sync` no longer waits; reads see staged events.
    fn begin_bulk(&self) -> Result<(), StoreError>;
    /// Writes what is staged and flushes: the whole import is durable when this returns.
    fn end_bulk(&self) -> Result<(), StoreError>;
    /// Returns once every event up to `seq` is on disk. Concurrent callers share flushes.
    fn sync(&self, seq: u64) -> Result<(), StoreError>;
    fn upstream(&self, root: NodeId) -> Result<UpReach, StoreError> {
        Ok(self.world().upstream(root))
    }
    fn downstream(&self, root: NodeId) -> Result<Reach, StoreError> {
        Ok(self.world().downstream(root))
    }
    /// The events that created or changed a record (for a unit: those of its batch), oldest first.
    fn subject_events(&self, id: NodeId) -> Result<Vec<Event>, StoreError>;
    /// Events with `seq > after`, at most `limit`.
    fn events(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError>;
    fn stats(&self) -> StoreStats;
    /// Set once an append or a flush failed: the store then refuses every write, and the
    /// service every request, until it is restarted (nothing unacknowledged is served).
    fn failure(&self) -> Option<Failure>;
    /// The last event this node holds (applied to its world).
    fn head_seq(&self) -> u64;
    /// A write that was decided again after `HeadMoved` ended without an append: let the
    /// log release what it held for it.
    fn release(&self) {}
    /// How many other writes wait to be decided behind the one about to append (a hint:
    /// a shared log commits a lone write at once, and groups the writes of many).
    fn writers_waiting(&self, _n: usize) {}
    /// Takes in what other nodes appended to a shared log; returns the new head.
    fn catch_up(&self) -> Result<u64, StoreError>;
    /// Serves again after a passing failure, if the log allows (see
    /// [`Ledger::recover`]).
    fn recover(&self) -> Result<bool, StoreError>;
    fn verify(&self) -> Result<VerifyReport, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::Failure;

    #[test]
    fn a_stopped_store_says_whether_it_needs_a_restart() {
        let f = |recovers| {
            Failure {
                reason: "gone".into(),
                disk_full: false,
                recovers,
            }
            .to_string()
        };
        assert!(f(false).contains("restart the service"), "{}", f(false));
        assert!(!f(true).contains("restart"), "{}", f(true));
        assert!(f(true).contains("serves again"), "{}", f(true));
        assert!(f(true).contains("gone") && f(false).contains("gone"));
    }
}
