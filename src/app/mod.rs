//! The application layer: validates commands against the current state, turns each into
//! one event, commits it through the store and waits until it is durable. The HTTP
//! handlers, the tests, the demo loader and the examples all call this.

mod account;
pub(crate) mod command;
pub mod comparison;
pub mod complaints;
pub mod compliance;
mod decide;
pub mod dto;
pub(crate) mod grants;
mod idempotency;
pub mod import;
pub(crate) mod keys;
mod log_reads;
mod names;
pub(crate) mod policy;
mod qr_refs;
mod qr_state;
mod reads;
pub mod requests;
pub mod resale;
pub(crate) mod scan;
pub mod sellers;
mod supply;
mod trace;
pub mod trace_view;
mod upstream;
pub mod views;

use crate::core::domain::Id;
use crate::core::domain::{
    clean_text, Batch, Gtin, Input, Listing, ListingStatus, Lot, Milli, NaturalKey, NodeId,
    NodeKind, Party, Product, Quantity, Record, Role, Shipment, Uscc,
};
use crate::core::event::{Actor, EventBody};
use crate::core::graph::{status_from_code, Reach};
use crate::core::ids::IdCodec;
use crate::error::{AppError, AppResult};
use crate::store::{Store, StoreError};
use chrono::{DateTime, FixedOffset};
use command::{Command, Decision};
use dto::*;
pub(crate) use idempotency::Changed;
pub use idempotency::Idempotency;
use idempotency::NOT_SHOWN_TWICE;
use parking_lot::Mutex;
use policy::Scope;
use std::collections::BTreeMap;
use std::sync::Arc;
use views::*;

/// Most inputs a lot or batch may list.
pub const MAX_INPUTS: usize = 1000;
/// Most units minted for one batch.
pub const MAX_SERIALS: u32 = 10_000;
/// Most pieces in one batch.
pub const MAX_PIECES: u32 = 10_000_000;
/// Most batches linked to a listing in one request.
pub const MAX_LINKS: usize = 1000;
/// Largest page of a downstream trace or event feed.
pub const MAX_PAGE: usize = 1000;
/// How far in the future a production or shipping time may be (clock skew).
const FUTURE_SLACK_MS: i64 = 24 * 3600 * 1000;
/// Earliest accepted time: 2000-01-01T00:00:00Z.
const EARLIEST_MS: i64 = 946_684_800_000;
/// Releases what the log holds for a retried write unless the write appended.
struct Retrying<'a> {
    store: &'a dyn Store,
    armed: bool,
}

impl Drop for Retrying<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.store.release();
        }
    }
}

/// Tries of one command against a shared log on which other nodes keep appending first.
const MAX_TRIES: u32 = 64;

/// What a command decides against: the world as it is (held unchanged by the writer lock),
/// the public ids, the id the next created record gets and the event's time. Nothing else:
/// no storage, no clock.
pub(crate) struct Ctx<'w> {
    pub w: &'w crate::core::World,
    pub ids: &'w IdCodec,
    pub id: NodeId,
    pub now: i64,
}

impl App {
    /// Answers `f` over the world as it is now (reads: the time is not used).
    pub(crate) fn read_ctx<T>(&self, f: impl FnOnce(&Ctx<'_>) -> T) -> T {
        self.read_ctx_at(0, f)
    }

    /// [`App::read_ctx`] at the time `now` (to check commands before writing them).
    pub(crate) fn read_ctx_at<T>(&self, now: i64, f: impl FnOnce(&Ctx<'_>) -> T) -> T {
        let w = self.store.world();
        f(&Ctx {
            w: &w,
            ids: &self.ids,
            id: w.next_id(),
            now,
        })
    }
}

impl<'w> Ctx<'w> {
    /// The access rules over this world.
    pub fn policy(&self) -> policy::Policy<'w> {
        policy::Policy::new(self.w)
    }
}

/// Who is calling. The operator may act for any party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub party: Option<NodeId>,
    pub role: Option<Role>,
    pub key_id: String,
    pub operator: bool,
    /// A read-only key: reads like its party, writes nothing.
    pub read_only: bool,
    /// The request's `Idempotency-Key`, if it sent one (writes only).
    pub idempotency: Option<Idempotency>,
}

impl Caller {
    pub fn operator() -> Caller {
        Caller {
            party: None,
            role: None,
            key_id: "operator".into(),
            operator: true,
            read_only: false,
            idempotency: None,
        }
    }

    /// Someone without an account (a consumer filing a complaint from the scan page).
    pub fn public() -> Caller {
        Caller {
            party: None,
            role: None,
            key_id: "public".into(),
            operator: false,
            read_only: false,
            idempotency: None,
        }
    }

    fn actor(&self, acting_for: Option<NodeId>) -> Actor {
        Actor {
            party: self.party.or(acting_for).map(Id::new),
            key: self.key_id.clone(),
        }
    }
}

/// The system clock: milliseconds since the epoch, UTC.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Where an [`App`] reads the time (the only clock it reads): the system clock in service;
/// a simulation's own, so that the same commands give the same events.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub struct App {
    store: Arc<dyn Store>,
    /// Public ids under the store's id key.
    ids: IdCodec,
    /// Keys the hashes of API tokens (persistent for a server: see `server::open`).
    token_key: [u8; 32],
    /// QR tokens and rendering (see `scan`); None until `with_qr`.
    qr: Option<qr_state::QrState>,
    /// The verifiable log, for the sequence numbers and checkpoints views show; None until
    /// `with_log`.
    log: Option<Arc<crate::transparency::Transparency>>,
    /// Serialises validate-and-append so that checks (mass balance, uniqueness) see every
    /// earlier write. Durability waits happen outside it, grouped by the store.
    writer: Mutex<()>,
    /// Writes waiting for `writer` (told to the store: a lone write commits at once).
    queued: std::sync::atomic::AtomicUsize,
    /// The time of commands and of the reads that depend on the day (see [`Clock`]).
    clock: Clock,
}

/// `/healthz`: whether the service is up; the counters only for regulators and the
/// operator (they tell how much every tenant records).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Health {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edges: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_hash: Option<String>,
}

impl App {
    /// An app whose API-key hashes are keyed by `token_key`. Keys issued under one key do
    /// not authenticate under another, so a server passes its persistent secret.
    pub fn with_token_key(store: Arc<dyn Store>, token_key: [u8; 32]) -> App {
        App {
            ids: IdCodec::new(&store.id_key()),
            store,
            token_key,
            qr: None,
            log: None,
            writer: Mutex::new(()),
            queued: std::sync::atomic::AtomicUsize::new(0),
            clock: Arc::new(now_ms),
        }
    }

    /// This app with its time read from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> App {
        self.clock = Arc::new(clock);
        self
    }

    /// Now, by this app's clock (milliseconds since the epoch, UTC).
    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// An app with a fresh random token key (tests, imports, benchmarks: keys issued by it
    /// do not survive a restart).
    pub fn new(store: Arc<dyn Store>) -> App {
        let mut key = [0u8; 32];
        // Without randomness keys fall back to an all-zero hash key; issuing then still works
        // and nothing persists it, but a server always passes a real secret.
        let _ = getrandom::getrandom(&mut key);
        App::with_token_key(store, key)
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The public ids of this app's store.
    pub fn ids(&self) -> &IdCodec {
        &self.ids
    }

    pub fn health(&self, caller: Option<&Caller>) -> Health {
        if !self.may_see_stats(caller) {
            return Health {
                status: "ok",
                events: None,
                nodes: None,
                edges: None,
                head_hash: None,
            };
        }
        let s = self.store.stats();
        Health {
            status: "ok",
            events: Some(s.events),
            nodes: Some(s.nodes),
            edges: Some(s.edges),
            head_hash: Some(s.head_hash),
        }
    }

    /// A write whose `Idempotency-Key` was answered before gets that answer again (as the
    /// error [`AppError::Replayed`], or the key's misuse).
    pub(crate) fn check_replay(&self, caller: &Caller) -> AppResult<()> {
        let Some(idem) = &caller.idempotency else {
            return Ok(());
        };
        match self.store.idempotent(&idem.key)? {
            None => Ok(()),
            Some(stored) => Err(match idem.replay(&stored) {
                AppError::Replayed { status, body } => AppError::Replayed {
                    status,
                    body: self.replayed_body(status, &body),
                },
                other => other,
            }),
        }
    }

    /// Decides `cmd` for `caller` under the writer lock ([`command::decide`]), appends its
    /// event and waits until it is durable. With an `Idempotency-Key`, a retry of a
    /// recorded write gets its first answer (checked under the writer lock, so two
    /// concurrent tries record one event), and the answer of a new one is recorded in the
    /// same atomic write as its event. A decision to record nothing writes nothing and
    /// waits for no flush.
    pub(crate) fn execute<C: Command>(&self, caller: &Caller, cmd: &C) -> AppResult<C::Answer> {
        // On a shared log another node may append between this node's decision and its
        // append: the append then fails with `HeadMoved`, the store has taken the other
        // events in, and the command is decided again over the world as it now is (as if
        // this node were alone). Each try is one round; a node cannot lose forever, but
        // a bound keeps a request from spinning.
        let mut tries = 0;
        // After a `HeadMoved`, the log may hold something for the retry (a shared log's
        // append lock): let go of it on every way out that does not append.
        let mut retrying = Retrying {
            store: self.store.as_ref(),
            armed: false,
        };
        let (seq, out) = loop {
            tries += 1;
            self.queued
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            let _guard = self.writer.lock();
            self.queued
                .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
            self.check_replay(caller)?;
            let now = self.now();
            // Decide against the world as it is: the writer lock keeps it so until the
            // event is appended.
            // The head first, then the world: if the follower takes other nodes' events in
            // after this, the append sees the head moved and the command is decided again.
            let decided_at = self.store.head_seq();
            let decided = {
                let world = self.store.world();
                let cx = Ctx {
                    w: &world,
                    ids: &self.ids,
                    id: world.next_id(),
                    now,
                };
                let decided = command::decide(&cx, caller, cmd);
                #[cfg(debug_assertions)]
                command::assert_deterministic::<C>(&decided, &command::decide(&cx, caller, cmd));
                decided
            };
            let Decision {
                event,
                acting_for,
                answer: out,
            } = decided?;
            let Some(body) = event else {
                return Ok(out);
            };
            let answer = match &caller.idempotency {
                Some(idem) => Some((
                    idem.key.clone(),
                    match cmd.replay(&out)? {
                        Some(json) => idem.record(idem.status, &json),
                        None => idem.record(409, NOT_SHOWN_TWICE.as_bytes()),
                    },
                )),
                None => None,
            };
            self.store
                .writers_waiting(self.queued.load(std::sync::atomic::Ordering::Acquire));
            let appended = self.store.append_with(
                now,
                caller.actor(acting_for),
                body,
                answer,
                Some(decided_at),
            );
            retrying.armed = matches!(appended, Err(StoreError::HeadMoved { .. }));
            if retrying.armed && tries < MAX_TRIES {
                continue;
            }
            let committed = appended.map_err(|e| match e {
                StoreError::KeyTaken(_) => AppError::Conflict {
                    field: None,
                    detail: "already recorded".into(),
                },
                StoreError::World(crate::core::WorldError::Overflow { .. }) => AppError::Rule {
                    field: Some("quantity".into()),
                    detail: "the amounts of this lot held by this party would no longer fit \
                                 (more than 18 446 744 073 709 551 thousandths in all): refused"
                        .into(),
                },
                StoreError::EntryTooLarge { len, max } => AppError::Rule {
                    field: None,
                    detail: format!(
                        "this command would record {len} bytes in one event; an event of the \
                         public log takes at most {max}: split it (e.g. one bulk action per \
                         platform or seller)"
                    ),
                },
                StoreError::HeadMoved { .. } => AppError::Store(StoreError::Unavailable(format!(
                    "other nodes kept appending first ({MAX_TRIES} tries)"
                ))),
                other => other.into(),
            })?;
            break (committed.seq, out);
        };
        self.store.sync(seq)?;
        Ok(out)
    }

    // -----------------------------------------------------------------------------------
    // Reference resolution
    // -----------------------------------------------------------------------------------

    /// The id of an existing record of kind `want` named by `s`, readable or not.
    fn existing(&self, s: &str, want: NodeKind) -> Option<NodeId> {
        let id = self.ids.parse_kind(s, want)?;
        (self.store.meta(id)?.kind == want).then_some(id)
    }

    /// Resolves a reference in a command body to a record of kind `want` that the caller
    /// may read. Anything else (no such id, another kind, a record the caller may not read)
    /// gets the one answer for an unknown id, before any rule about the command is checked.
    fn resolve(&self, caller: &Caller, field: &str, s: &str, want: NodeKind) -> AppResult<NodeId> {
        let unknown = || unknown_id(Some(field), want.name(), s);
        let id = self.existing(s, want).ok_or_else(unknown)?;
        self.check_read(caller, id)
            .map_err(|d| d.into_error(unknown))?;
        Ok(id)
    }

    /// Resolves a party and checks its role is one of `roles`.
    fn resolve_party(
        &self,
        field: &str,
        s: &str,
        roles: &[Role],
        what: &str,
    ) -> AppResult<(NodeId, Party)> {
        // The party directory is public to every signed-in caller: existence is no secret.
        let id = self
            .existing(s, NodeKind::Party)
            .ok_or_else(|| unknown_id(Some(field), NodeKind::Party.name(), s))?;
        let party = self.party(id)?;
        if !roles.contains(&party.role) {
            let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            return Err(AppError::rule(
                field,
                format!(
                    "{s} ({}) is a {}; {what} must be a {}",
                    party.name,
                    party.role.as_str(),
                    allowed.join(" or ")
                ),
            ));
        }
        Ok((id, party))
    }

    /// A record shared from the store's resident image (no copy).
    fn load(&self, id: NodeId) -> AppResult<Record> {
        self.store
            .record(id)?
            .ok_or_else(|| AppError::Internal(format!("record {id} is missing from the store")))
    }

    fn party(&self, id: NodeId) -> AppResult<Party> {
        match self.load(id)? {
            Record::Party(p) => Ok(p),
            _ => Err(AppError::Internal(format!("{id} is not a party"))),
        }
    }

    fn lot(&self, id: NodeId) -> AppResult<Lot> {
        match self.load(id)? {
            Record::Lot(l) => Ok(l),
            _ => Err(AppError::Internal(format!("{id} is not a lot"))),
        }
    }

    fn batch(&self, id: NodeId) -> AppResult<Batch> {
        match self.load(id)? {
            Record::Batch(b) => Ok(b),
            _ => Err(AppError::Internal(format!("{id} is not a batch"))),
        }
    }

    fn listing(&self, id: NodeId) -> AppResult<Listing> {
        match self.load(id)? {
            Record::Listing(l) => Ok(l),
            _ => Err(AppError::Internal(format!("{id} is not a listing"))),
        }
    }

    fn party_name(&self, id: NodeId) -> String {
        match self.store.record(id) {
            Ok(Some(Record::Party(p))) => p.name,
            _ => String::new(),
        }
    }

    // -----------------------------------------------------------------------------------
    // Reads
    // -----------------------------------------------------------------------------------

    /// Resolves an id from a URL path to a record of `want` the caller may read (404
    /// otherwise, alike for what does not exist and what the caller may not know of).
    fn visible(&self, caller: &Caller, s: &str, want: NodeKind) -> AppResult<NodeId> {
        let unknown = || unknown_id(None, want.name(), s);
        let id = self.existing(s, want).ok_or_else(unknown)?;
        self.check_read(caller, id)
            .map_err(|d| d.into_error(unknown))?;
        Ok(id)
    }

    /// Resolves an id of any kind from a URL path (existence only: the route checks access
    /// and answers a refusal with [`unknown_id`]`(None, "record", s)`).
    fn resolve_any(&self, s: &str) -> AppResult<(NodeKind, NodeId)> {
        match self.ids.parse(s) {
            Some((k, id)) if self.store.meta(id).map(|m| m.kind) == Some(k) => Ok((k, id)),
            _ => Err(unknown_id(None, "record", s)),
        }
    }
}

/// The one answer for an id that names nothing the caller may use: the same status and
/// text whether the id never existed, names a record of another kind, or names a record the
/// caller may not read (only the caller's own input is echoed).
pub(crate) fn unknown_id(field: Option<&str>, want: &str, given: &str) -> AppError {
    AppError::NotFound {
        field: field.map(str::to_string),
        detail: format!("no {want} with id '{}'", trunc(given)),
    }
}

/// Shortens user-supplied text echoed in an error.
pub(crate) fn trunc(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}
