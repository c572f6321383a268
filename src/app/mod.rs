//! The application layer: validates commands against the current state, turns each into
//! one event, commits it through the store and waits until it is durable. The HTTP
//! handlers, the tests, the demo loader and the examples all call this.

pub mod compliance;
pub mod dto;
pub mod grants;
pub mod import;
pub mod keys;
pub mod policy;
pub mod scan;
pub mod views;

use crate::domain::{
    clean_text, normalize_gtin, validate_uscc, Batch, Input, Listing, ListingStatus, Lot, Milli,
    NaturalKey, NodeId, NodeKind, Party, Product, Quantity, Record, Role, Shipment,
};
use crate::error::{AppError, AppResult};
use crate::event::{Actor, EventBody};
use crate::graph::{status_from_code, Reach};
use crate::ids::IdCodec;
use crate::store::{Store, StoreError};
use chrono::{DateTime, FixedOffset};
use dto::*;
use parking_lot::Mutex;
use policy::Scope;
use std::collections::{BTreeMap, HashMap};
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

/// An `Idempotency-Key` of a write: the first answer to it is recorded with its event, and
/// a retry of the same request gets that answer again instead of a second event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    /// The key as sent, scoped to the caller's key (another caller's key never collides).
    pub key: Vec<u8>,
    /// blake3 of method, path, query and body: a key reused for another request is refused.
    pub request: [u8; 32],
    /// The status the route answers a success with.
    pub status: u16,
}

/// The recorded answer of a write whose answer is shown once (a new key's token).
const NOT_SHOWN_TWICE: &str = r#"{"type":"https://boardtrail.invalid/problems/conflict","title":"Conflict","status":409,"detail":"this request was carried out under this Idempotency-Key, but its answer (a secret) is shown only once: revoke what it issued and ask again with a new key"}"#;

/// The answer of a write together with whether it changed anything; serialised (and so
/// recorded for `Idempotency-Key` retries) as the answer alone.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Changed<V> {
    #[serde(flatten)]
    pub view: V,
    #[serde(skip)]
    pub changed: bool,
}

impl Idempotency {
    fn record(&self, status: u16, body: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(34 + body.len());
        v.extend_from_slice(&self.request);
        v.extend_from_slice(&status.to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    /// The replay of a recorded answer, or 422 if the key was used for another request.
    fn replay(&self, stored: &[u8]) -> AppError {
        if stored.len() < 34 || stored[..32] != self.request {
            return AppError::Rule {
                field: None,
                detail:
                    "this Idempotency-Key was already used for a different request; use a new key"
                        .into(),
            };
        }
        AppError::Replayed {
            status: u16::from_be_bytes([stored[32], stored[33]]),
            body: stored[34..].to_vec(),
        }
    }
}

impl App {
    /// A recorded answer as it was sent: views of coded records carried their QR reference,
    /// which is added after the write (it needs the record in place) and is the same for
    /// the same record, so it is added again here.
    pub fn replayed_body(&self, body: &[u8]) -> Vec<u8> {
        let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(body) else {
            return body.to_vec();
        };
        fn decorate(app: &App, v: &mut serde_json::Value) {
            let Some(obj) = v.as_object_mut() else { return };
            if !obj.contains_key("qr") {
                if let Some(qr) = obj
                    .get("id")
                    .and_then(|i| i.as_str())
                    .and_then(|i| app.qr_for(i))
                {
                    if let Ok(q) = serde_json::to_value(qr) {
                        obj.insert("qr".into(), q);
                    }
                }
            }
            if let Some(units) = obj.get_mut("units").and_then(|u| u.as_array_mut()) {
                for u in units {
                    decorate(app, u);
                }
            }
        }
        decorate(self, &mut v);
        serde_json::to_vec(&v).unwrap_or_else(|_| body.to_vec())
    }
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

    fn actor(&self, acting_for: Option<NodeId>) -> Actor {
        Actor {
            party: self.party.or(acting_for),
            key: self.key_id.clone(),
        }
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub struct App {
    store: Arc<dyn Store>,
    /// Public ids under the store's id key.
    ids: IdCodec,
    /// Keys the hashes of API tokens (persistent for a server: see `server::open`).
    token_key: [u8; 32],
    /// QR tokens and rendering (see `scan`); None until `with_qr`.
    qr: Option<scan::QrState>,
    /// Serialises validate-and-append so that checks (mass balance, uniqueness) see every
    /// earlier write. Durability waits happen outside it, grouped by the store.
    writer: Mutex<()>,
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
            writer: Mutex::new(()),
        }
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

    /// Validates and commits one event under the writer lock, then waits for durability.
    /// `build` gets the id the new entity would get and the event time.
    fn write<T: serde::Serialize>(
        &self,
        caller: &Caller,
        build: impl FnOnce(NodeId, i64) -> AppResult<(EventBody, Option<NodeId>, T)>,
    ) -> AppResult<T> {
        self.write_if(caller, |id, now| {
            build(id, now).map(|(body, acting_for, out)| (Some(body), acting_for, out))
        })
    }

    /// Like [`App::write`], but `build` may decide there is nothing to record (`None`):
    /// then no event is written and nothing waits for a flush. With an `Idempotency-Key`,
    /// a retry of a recorded write gets its first answer (checked under the writer lock, so
    /// two concurrent tries record one event), and the answer of a new one is recorded in
    /// the same atomic write as its event.
    fn write_if<T: serde::Serialize>(
        &self,
        caller: &Caller,
        build: impl FnOnce(NodeId, i64) -> AppResult<(Option<EventBody>, Option<NodeId>, T)>,
    ) -> AppResult<T> {
        self.write_answering(caller, |out: &T| Ok(Some(serde_json::to_vec(out))), build)
    }

    /// [`App::write_if`] with the answer to record for `Idempotency-Key` retries given by
    /// `answer` (`None`: the answer is not to be shown twice, e.g. a new key's token; a retry
    /// is then told so with 409).
    fn write_answering<T>(
        &self,
        caller: &Caller,
        answer: impl FnOnce(&T) -> AppResult<Option<Result<Vec<u8>, serde_json::Error>>>,
        build: impl FnOnce(NodeId, i64) -> AppResult<(Option<EventBody>, Option<NodeId>, T)>,
    ) -> AppResult<T> {
        self.check_write(caller)
            .map_err(|d| d.into_error(|| AppError::Forbidden("this key is read-only".into())))?;
        let (seq, out) = {
            let _guard = self.writer.lock();
            if let Some(idem) = &caller.idempotency {
                if let Some(stored) = self.store.idempotent(&idem.key)? {
                    return Err(match idem.replay(&stored) {
                        AppError::Replayed { status, body } => AppError::Replayed {
                            status,
                            body: self.replayed_body(&body),
                        },
                        other => other,
                    });
                }
            }
            let now = now_ms();
            let (body, acting_for, out) = build(self.store.next_id(), now)?;
            let Some(body) = body else {
                return Ok(out);
            };
            let answer = match &caller.idempotency {
                Some(idem) => Some((
                    idem.key.clone(),
                    match answer(&out)? {
                        Some(json) => idem.record(
                            idem.status,
                            &json.map_err(|e| AppError::Internal(format!("answer: {e}")))?,
                        ),
                        None => idem.record(409, NOT_SHOWN_TWICE.as_bytes()),
                    },
                )),
                None => None,
            };
            let first = self.store.next_id();
            let committed = self
                .store
                .append_with(now, caller.actor(acting_for), body, answer)
                .map_err(|e| match e {
                    StoreError::KeyTaken(_) => AppError::Conflict {
                        field: None,
                        detail: "already recorded".into(),
                    },
                    other => other.into(),
                })?;
            self.index_qr(first, self.store.next_id());
            (committed.seq, out)
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
    fn load_arc(&self, id: NodeId) -> AppResult<Arc<Record>> {
        self.store
            .record_arc(id)
            .ok_or_else(|| AppError::Internal(format!("record {id} is missing from the store")))
    }

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
    // Commands
    // -----------------------------------------------------------------------------------

    pub fn create_party(&self, caller: &Caller, req: NewParty) -> AppResult<PartyView> {
        self.check_register(caller, req.role)?;
        let name = clean_text("name", &req.name, 200).map_err(|e| AppError::rule("name", e))?;
        let city = clean_text("city", &req.city, 100).map_err(|e| AppError::rule("city", e))?;
        let uscc = req.uscc.trim().to_ascii_uppercase();
        validate_uscc(&uscc).map_err(|e| AppError::rule("uscc", e))?;
        self.write(caller, |id, now| {
            if let Some(existing) = self.store.lookup(&NaturalKey::Uscc(uscc.clone()))? {
                return Err(AppError::conflict(
                    "uscc",
                    format!(
                        "a party with USCC {uscc} is already registered as {}",
                        self.ids.format(NodeKind::Party, existing)
                    ),
                ));
            }
            let party = Party {
                name,
                role: req.role,
                uscc,
                city,
                created_at: now,
            };
            let view = PartyView::new(&self.ids, id, &party);
            Ok((
                EventBody::Created {
                    id,
                    record: Record::Party(party),
                },
                None,
                view,
            ))
        })
    }

    fn quantity(field: &str, q: QuantityIn) -> AppResult<Quantity> {
        let amount = Milli::from_decimal(q.value)
            .map_err(|e| AppError::rule(format!("{field}.value"), format!("{field}.value {e}")))?;
        Ok(Quantity {
            amount,
            unit: q.unit,
        })
    }

    fn time(field: &str, t: &DateTime<FixedOffset>, now: i64) -> AppResult<i64> {
        let ms = t.timestamp_millis();
        if ms < EARLIEST_MS {
            return Err(AppError::rule(
                field,
                format!("{field} {t} is before 2000-01-01"),
            ));
        }
        if ms > now + FUTURE_SLACK_MS {
            return Err(AppError::rule(
                field,
                format!("{field} {t} is in the future"),
            ));
        }
        Ok(ms)
    }

    fn gtin(field: &str, g: &Option<String>) -> AppResult<Option<String>> {
        match g {
            None => Ok(None),
            Some(g) => normalize_gtin(g.trim())
                .map(Some)
                .map_err(|e| AppError::rule(field, e)),
        }
    }

    /// A GTIN with a batch or lot code must be unique: it is what a GS1 Digital Link names.
    fn check_gtin_lot(
        &self,
        caller: &Caller,
        gtin: &Option<String>,
        code: &str,
        field: &str,
    ) -> AppResult<()> {
        let Some(g) = gtin else { return Ok(()) };
        let key = NaturalKey::GtinLot {
            gtin14: g.clone(),
            code: code.to_string(),
        };
        match self.store.lookup(&key)? {
            // GTIN and batch/lot code are printed on the goods: the clash itself is no
            // secret, but whose record holds them is, unless the caller may read it.
            Some(existing) => Err(AppError::conflict(
                field,
                match self.store.meta(existing) {
                    Some(m) if self.can_read(caller, existing) => format!(
                        "GTIN {g} with batch/lot '{code}' is already recorded ({})",
                        self.ids.format(m.kind, existing)
                    ),
                    _ => format!("GTIN {g} with batch/lot '{code}' is already recorded"),
                },
            )),
            None => Ok(()),
        }
    }

    /// Validates inputs consumed by `consumer` for an output made at `made_at`: each lot
    /// exists, units match, no lot twice, each was made no later than the output, and the
    /// consumer holds enough of it (made it, or received it by shipment, minus what it
    /// already consumed or shipped on).
    fn check_inputs(
        &self,
        caller: &Caller,
        consumer: NodeId,
        made_at: i64,
        inputs: &[InputIn],
    ) -> AppResult<Vec<Input>> {
        if inputs.len() > MAX_INPUTS {
            return Err(AppError::rule(
                "inputs",
                format!(
                    "at most {MAX_INPUTS} inputs are allowed (got {})",
                    inputs.len()
                ),
            ));
        }
        let consumer_name = self.party_name(consumer);
        let mut out: Vec<Input> = Vec::with_capacity(inputs.len());
        for (i, inp) in inputs.iter().enumerate() {
            let field = format!("inputs[{i}]");
            let lot_id = self.resolve(caller, &format!("{field}.lot"), &inp.lot, NodeKind::Lot)?;
            if out.iter().any(|o| o.lot == lot_id) {
                return Err(AppError::rule(
                    format!("{field}.lot"),
                    format!(
                        "lot {} is listed twice; give it once with the total quantity",
                        inp.lot
                    ),
                ));
            }
            let lot = self.lot(lot_id)?;
            let q = Self::quantity(&format!("{field}.quantity"), inp.quantity)?;
            if q.unit != lot.quantity.unit {
                return Err(AppError::rule(
                    format!("{field}.quantity.unit"),
                    format!(
                        "lot {} ({}) is counted in {}, not {}",
                        inp.lot,
                        lot.lot_code,
                        lot.quantity.unit.as_str(),
                        q.unit.as_str()
                    ),
                ));
            }
            if lot.produced_at > made_at {
                return Err(AppError::rule(
                    format!("{field}.lot"),
                    format!(
                        "lot {} ({}) was produced at {}, after this output ({})",
                        inp.lot,
                        lot.lot_code,
                        fmt_time(lot.produced_at),
                        fmt_time(made_at)
                    ),
                ));
            }
            let h = self.store.holding(lot_id, consumer);
            if h.produced.0 == 0 && h.received.0 == 0 {
                return Err(AppError::rule(
                    format!("{field}.lot"),
                    format!(
                        "lot {} ({}) was never shipped to {} ({}); a maker may only consume lots shipped to it or made by it",
                        inp.lot, lot.lot_code, self.ids.format(NodeKind::Party, consumer), consumer_name
                    ),
                ));
            }
            let available = h.available();
            if q.amount > available {
                let unit = lot.quantity.unit.as_str();
                return Err(AppError::rule(
                    format!("{field}.quantity.value"),
                    format!(
                        "{} ({}) holds {} {unit} of lot {} ({}): {} {unit} {} minus {} {unit} consumed and {} {unit} shipped on; {} {unit} requested",
                        self.ids.format(NodeKind::Party, consumer),
                        consumer_name,
                        available,
                        inp.lot,
                        lot.lot_code,
                        Milli(h.produced.0 + h.received.0),
                        if h.produced.0 > 0 { "made" } else { "received" },
                        h.consumed,
                        h.shipped,
                        q.amount
                    ),
                ));
            }
            out.push(Input {
                lot: lot_id,
                quantity: q,
            });
        }
        Ok(out)
    }

    pub fn create_lot(&self, caller: &Caller, req: NewLot) -> AppResult<LotView> {
        let (producer, _) = self.resolve_party(
            "producer",
            &req.producer,
            &[Role::Supplier, Role::Manufacturer],
            "a lot's producer",
        )?;
        self.check_act_for(caller, producer, "register a lot")?;
        let lot_code = clean_text("lot_code", &req.lot_code, 100)
            .map_err(|e| AppError::rule("lot_code", e))?;
        let quantity = Self::quantity("quantity", req.quantity)?;
        let gtin = Self::gtin("gtin", &req.gtin)?;
        self.write(caller, |id, now| {
            let produced_at = Self::time("produced_at", &req.produced_at, now)?;
            let key = NaturalKey::LotCode {
                producer,
                code: lot_code.clone(),
            };
            if let Some(existing) = self.store.lookup(&key)? {
                return Err(AppError::conflict(
                    "lot_code",
                    format!(
                        "{} already has a lot with code '{lot_code}': {}",
                        req.producer,
                        self.ids.format(NodeKind::Lot, existing)
                    ),
                ));
            }
            self.check_gtin_lot(caller, &gtin, &lot_code, "lot_code")?;
            let inputs = self.check_inputs(caller, producer, produced_at, &req.inputs)?;
            let lot = Lot {
                producer,
                lot_code,
                material: req.material,
                formaldehyde_class: req.formaldehyde_class,
                quantity,
                produced_at,
                gtin,
                inputs,
                created_at: now,
            };
            let view = LotView::new(&self.ids, id, &lot);
            Ok((
                EventBody::Created {
                    id,
                    record: Record::Lot(lot),
                },
                Some(producer),
                view,
            ))
        })
        .map(|v| self.with_qr_ref(v))
    }

    pub fn create_shipment(&self, caller: &Caller, req: NewShipment) -> AppResult<ShipmentView> {
        let (from, from_party) = self.resolve_party(
            "from",
            &req.from,
            &[Role::Supplier, Role::Manufacturer],
            "the sender",
        )?;
        let (to, _) = self.resolve_party(
            "to",
            &req.to,
            &[Role::Supplier, Role::Manufacturer],
            "the receiver",
        )?;
        self.check_act_for(caller, from, "ship a lot")?;
        let lot_id = self.resolve(caller, "lot", &req.lot, NodeKind::Lot)?;
        if from == to {
            return Err(AppError::rule(
                "to",
                "a shipment goes from one party to another; from and to are the same",
            ));
        }
        let quantity = Self::quantity("quantity", req.quantity)?;
        self.write(caller, |id, now| {
            let shipped_at = Self::time("shipped_at", &req.shipped_at, now)?;
            let lot = self.lot(lot_id)?;
            let unit = lot.quantity.unit.as_str();
            if quantity.unit != lot.quantity.unit {
                return Err(AppError::rule("quantity.unit", format!("lot {} ({}) is counted in {unit}, not {}", req.lot, lot.lot_code, quantity.unit.as_str())));
            }
            if shipped_at < lot.produced_at {
                return Err(AppError::rule("shipped_at", format!("lot {} was produced at {}, after the shipping time {}", req.lot, fmt_time(lot.produced_at), fmt_time(shipped_at))));
            }
            let h = self.store.holding(lot_id, from);
            if h.produced.0 == 0 && h.received.0 == 0 {
                return Err(AppError::rule("from", format!("{} ({}) neither made nor received lot {} ({})", req.from, from_party.name, req.lot, lot.lot_code)));
            }
            let available = h.available();
            if quantity.amount > available {
                return Err(AppError::rule(
                    "quantity.value",
                    format!(
                        "lot {} ({}) has {} {unit} at {} ({}): {} {unit} {}, {} {unit} already shipped and {} {unit} consumed; cannot ship {} {unit}",
                        req.lot, lot.lot_code, available, req.from, from_party.name,
                        Milli(h.produced.0 + h.received.0),
                        if h.produced.0 > 0 { "made" } else { "received" },
                        h.shipped, h.consumed, quantity.amount
                    ),
                ));
            }
            let s = Shipment { lot: lot_id, from, to, quantity, shipped_at, created_at: now };
            let view = ShipmentView::new(&self.ids, id, &s);
            Ok((EventBody::Created { id, record: Record::Shipment(s) }, Some(from), view))
        })
    }

    pub fn create_batch(&self, caller: &Caller, req: NewBatch) -> AppResult<BatchView> {
        let (manufacturer, _) = self.resolve_party(
            "manufacturer",
            &req.manufacturer,
            &[Role::Manufacturer],
            "a batch's manufacturer",
        )?;
        self.check_act_for(caller, manufacturer, "register a batch")?;
        let batch_code = clean_text("batch_code", &req.batch_code, 100)
            .map_err(|e| AppError::rule("batch_code", e))?;
        let product = Product {
            name: clean_text("product.name", &req.product.name, 200)
                .map_err(|e| AppError::rule("product.name", e))?,
            model: clean_text("product.model", &req.product.model, 100)
                .map_err(|e| AppError::rule("product.model", e))?,
            gtin: Self::gtin("product.gtin", &req.product.gtin)?,
        };
        if req.quantity == 0 || req.quantity > MAX_PIECES {
            return Err(AppError::rule(
                "quantity",
                format!(
                    "quantity is the number of pieces, 1 to {MAX_PIECES} (got {})",
                    req.quantity
                ),
            ));
        }
        if req.serials && req.quantity > MAX_SERIALS {
            return Err(AppError::rule(
                "quantity",
                format!(
                    "at most {MAX_SERIALS} serialised units per batch (got {}); split the batch",
                    req.quantity
                ),
            ));
        }
        if req.inputs.is_empty() {
            return Err(AppError::rule(
                "inputs",
                "a batch must name the lots it consumed",
            ));
        }
        self.write(caller, |id, now| {
            let produced_at = Self::time("produced_at", &req.produced_at, now)?;
            let key = NaturalKey::BatchCode {
                manufacturer,
                code: batch_code.clone(),
            };
            if let Some(existing) = self.store.lookup(&key)? {
                return Err(AppError::conflict(
                    "batch_code",
                    format!(
                        "{} already has a batch with code '{batch_code}': {}",
                        req.manufacturer,
                        self.ids.format(NodeKind::Batch, existing)
                    ),
                ));
            }
            self.check_gtin_lot(caller, &product.gtin, &batch_code, "batch_code")?;
            let inputs = self.check_inputs(caller, manufacturer, produced_at, &req.inputs)?;
            let unit_count = if req.serials { req.quantity } else { 0 };
            let batch = Batch {
                manufacturer,
                batch_code,
                product,
                quantity: req.quantity,
                inputs,
                produced_at,
                first_unit: id + 1,
                unit_count,
                created_at: now,
            };
            let view = BatchView::new(&self.ids, id, &batch);
            Ok((
                EventBody::Created {
                    id,
                    record: Record::Batch(batch),
                },
                Some(manufacturer),
                view,
            ))
        })
        .map(|v| self.with_qr_ref(v))
    }

    /// Checks batches to link to a listing of `platform` sold by `seller`: each must be a
    /// batch of the seller that the caller may link (the seller's own say-so, or its grant
    /// to the platform). Anything else is answered like a batch that does not exist.
    fn check_batches(
        &self,
        caller: &Caller,
        platform: NodeId,
        seller: NodeId,
        batches: &[String],
    ) -> AppResult<Vec<NodeId>> {
        if batches.len() > MAX_LINKS {
            return Err(AppError::rule(
                "batches",
                format!(
                    "at most {MAX_LINKS} batches per request (got {})",
                    batches.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(batches.len());
        for (i, b) in batches.iter().enumerate() {
            let field = format!("batches[{i}]");
            let unknown = || unknown_id(Some(&field), NodeKind::Batch.name(), b);
            let id = self.existing(b, NodeKind::Batch).ok_or_else(unknown)?;
            self.check_link(caller, platform, seller, id)
                .map_err(|d| d.into_error(unknown))?;
            if !out.contains(&id) {
                out.push(id);
            }
        }
        Ok(out)
    }

    pub fn create_listing(&self, caller: &Caller, req: NewListing) -> AppResult<ListingView> {
        let (platform, _) = self.resolve_party(
            "platform",
            &req.platform,
            &[Role::Platform],
            "a listing's platform",
        )?;
        let (seller, _) = self.resolve_party(
            "seller",
            &req.seller,
            &[Role::Manufacturer],
            "a listing's seller",
        )?;
        self.check_act_for(caller, platform, "create a listing")?;
        let shop = clean_text("shop", &req.shop, 200).map_err(|e| AppError::rule("shop", e))?;
        let item_id =
            clean_text("item_id", &req.item_id, 100).map_err(|e| AppError::rule("item_id", e))?;
        let title = clean_text("title", &req.title, 500).map_err(|e| AppError::rule("title", e))?;
        let url = clean_text("url", &req.url, 2000).map_err(|e| AppError::rule("url", e))?;
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.contains(char::is_whitespace)
        {
            return Err(AppError::rule(
                "url",
                format!(
                    "url must be an http(s) address without spaces (got '{}')",
                    trunc(&url)
                ),
            ));
        }
        let batches = self.check_batches(caller, platform, seller, &req.batches)?;
        self.write(caller, |id, now| {
            let key = NaturalKey::ListingItem {
                platform,
                item_id: item_id.clone(),
            };
            if let Some(existing) = self.store.lookup(&key)? {
                return Err(AppError::conflict(
                    "item_id",
                    format!(
                        "{} already has a listing with item id '{item_id}': {}",
                        req.platform,
                        self.ids.format(NodeKind::Listing, existing)
                    ),
                ));
            }
            let listing = Listing {
                platform,
                seller,
                shop,
                item_id,
                url,
                title,
                batches,
                status: ListingStatus::Active,
                created_at: now,
            };
            let view = ListingView::new(&self.ids, id, &listing);
            Ok((
                EventBody::Created {
                    id,
                    record: Record::Listing(listing),
                },
                Some(platform),
                view,
            ))
        })
        .map(|v| self.with_qr_ref(v))
    }

    /// Links more batches to a listing. Returns the listing and whether anything changed
    /// (linking batches already linked is a no-op and writes no event).
    pub fn link_batches(
        &self,
        caller: &Caller,
        listing_id: &str,
        req: LinkBatches,
    ) -> AppResult<(ListingView, bool)> {
        let unknown = || unknown_id(None, NodeKind::Listing.name(), listing_id);
        let id = self
            .existing(listing_id, NodeKind::Listing)
            .ok_or_else(unknown)?;
        self.check_listing_write(caller, id)
            .map_err(|d| d.into_error(unknown))?;
        let listing = self.listing(id)?;
        if req.batches.is_empty() {
            return Err(AppError::rule("batches", "name at least one batch to link"));
        }
        let batches = self.check_batches(caller, listing.platform, listing.seller, &req.batches)?;
        let done = self.write_if(caller, |_, _| {
            let mut current = self.listing(id)?;
            let new: Vec<NodeId> = batches
                .iter()
                .copied()
                .filter(|b| !current.batches.contains(b))
                .collect();
            if new.is_empty() {
                let view = ListingView::new(&self.ids, id, &current);
                return Ok((
                    None,
                    None,
                    Changed {
                        view,
                        changed: false,
                    },
                ));
            }
            let platform = current.platform;
            current.batches.extend(&new);
            let view = ListingView::new(&self.ids, id, &current);
            Ok((
                Some(EventBody::ListingBatchesLinked {
                    listing: id,
                    batches: new,
                }),
                Some(platform),
                Changed {
                    view,
                    changed: true,
                },
            ))
        })?;
        Ok((done.view, done.changed))
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

    /// The party directory (public business-licence data, readable by every signed-in
    /// party), optionally one role only: the web app's pickers (bureaus to transfer a case
    /// to, makers to ship to, platforms to filter by).
    pub fn list_parties(&self, _caller: &Caller, role: Option<Role>) -> AppResult<Vec<PartyView>> {
        let mut out = Vec::new();
        for n in self.store.ids_of(NodeKind::Party) {
            let p = self.party(n)?;
            if role.is_none_or(|r| r == p.role) {
                out.push(PartyView::new(&self.ids, n, &p));
            }
        }
        Ok(out)
    }

    pub fn get_party(&self, caller: &Caller, id: &str) -> AppResult<PartyView> {
        let n = self.visible(caller, id, NodeKind::Party)?;
        Ok(PartyView::new(&self.ids, n, &self.party(n)?))
    }

    pub fn get_lot(&self, caller: &Caller, id: &str) -> AppResult<LotView> {
        let n = self.visible(caller, id, NodeKind::Lot)?;
        let mut lot = self.lot(n)?;
        // Whoever received an intermediate lot sees what it is, not the maker's inputs.
        if !caller.sees_all() && caller.party != Some(lot.producer) {
            lot.inputs.retain(|i| self.can_read(caller, i.lot));
        }
        Ok(self.with_qr_ref(LotView::new(&self.ids, n, &lot)))
    }

    pub fn get_shipment(&self, caller: &Caller, id: &str) -> AppResult<ShipmentView> {
        let n = self.visible(caller, id, NodeKind::Shipment)?;
        match self.load(n)? {
            Record::Shipment(s) => Ok(ShipmentView::new(&self.ids, n, &s)),
            _ => Err(AppError::Internal(format!("{n} is not a shipment"))),
        }
    }

    pub fn get_batch(&self, caller: &Caller, id: &str) -> AppResult<BatchView> {
        let n = self.visible(caller, id, NodeKind::Batch)?;
        Ok(self.with_qr_ref(BatchView::new(&self.ids, n, &self.batch(n)?)))
    }

    pub fn get_unit(&self, caller: &Caller, id: &str) -> AppResult<UnitView> {
        let n = self.visible(caller, id, NodeKind::Unit)?;
        let meta = self
            .store
            .meta(n)
            .ok_or_else(|| AppError::Internal("unit vanished".into()))?;
        Ok(self.with_qr_ref(UnitView::new(
            &self.ids,
            n,
            meta.a,
            meta.b,
            &self.batch(meta.a)?,
        )))
    }

    pub fn get_listing(&self, caller: &Caller, id: &str) -> AppResult<ListingView> {
        let n = self.visible(caller, id, NodeKind::Listing)?;
        Ok(self.with_qr_ref(ListingView::new(&self.ids, n, &self.listing(n)?)))
    }

    /// Builds the trace node of `id`, caching records read (lots and batches are needed
    /// again for edge quantities).
    fn trace_node(
        &self,
        id: NodeId,
        cache: &mut HashMap<NodeId, Arc<Record>>,
    ) -> AppResult<TraceNode> {
        let meta = self
            .store
            .meta(id)
            .ok_or_else(|| AppError::Internal(format!("node {id} vanished")))?;
        if meta.kind == NodeKind::Unit {
            let arc = match cache.get(&meta.a) {
                Some(r) => r.clone(),
                None => self.load_arc(meta.a)?,
            };
            let Record::Batch(batch) = &*arc else {
                return Err(AppError::Internal(format!("{} is not a batch", meta.a)));
            };
            let serial = batch.serial(meta.b);
            return Ok(TraceNode {
                mark: None,
                inspection: None,
                id: self.ids.format(NodeKind::Unit, id),
                kind: NodeKind::Unit.name(),
                label: serial.clone(),
                fields: NodeFields::Unit {
                    serial,
                    batch: self.ids.format(NodeKind::Batch, meta.a),
                },
            });
        }
        let record = self.load_arc(id)?;
        let node = match &*record {
            Record::Party(p) => TraceNode {
                mark: None,
                inspection: None,
                id: self.ids.format(NodeKind::Party, id),
                kind: "party",
                label: p.name.clone(),
                fields: NodeFields::Party {
                    role: p.role.as_str(),
                    uscc: p.uscc.clone(),
                    city: p.city.clone(),
                },
            },
            Record::Lot(l) => TraceNode {
                mark: None,
                inspection: None,
                id: self.ids.format(NodeKind::Lot, id),
                kind: "lot",
                label: l.lot_code.clone(),
                fields: NodeFields::Lot {
                    lot_code: l.lot_code.clone(),
                    producer: self.ids.format(NodeKind::Party, l.producer),
                    material: l.material.as_str(),
                    formaldehyde_class: l.formaldehyde_class.as_str(),
                    quantity: l.quantity.into(),
                    produced_at: fmt_time(l.produced_at),
                },
            },
            Record::Batch(b) => TraceNode {
                mark: None,
                inspection: None,
                id: self.ids.format(NodeKind::Batch, id),
                kind: "batch",
                label: format!("{} {}", b.batch_code, b.product.name),
                fields: NodeFields::Batch {
                    batch_code: b.batch_code.clone(),
                    manufacturer: self.ids.format(NodeKind::Party, b.manufacturer),
                    product: b.product.name.clone(),
                    model: b.product.model.clone(),
                    quantity: b.quantity,
                    produced_at: fmt_time(b.produced_at),
                },
            },
            Record::Listing(l) => TraceNode {
                mark: None,
                inspection: None,
                id: self.ids.format(NodeKind::Listing, id),
                kind: "listing",
                label: l.title.clone(),
                fields: NodeFields::Listing {
                    platform: self.ids.format(NodeKind::Party, l.platform),
                    seller: self.ids.format(NodeKind::Party, l.seller),
                    shop: l.shop.clone(),
                    item_id: l.item_id.clone(),
                    url: l.url.clone(),
                    status: l.status.as_str(),
                },
            },
            Record::Shipment(_)
            | Record::Key(_)
            | Record::Grant(_)
            | Record::Inspection(_)
            | Record::Declaration(_)
            | Record::Action(_)
            | Record::Case(_) => {
                return Err(AppError::Internal(format!("{id} is not a trace node")))
            }
        };
        cache.insert(id, record);
        Ok(node)
    }

    /// The whole upstream DAG of a unit, batch, lot or listing.
    pub fn upstream(&self, caller: &Caller, id: &str) -> AppResult<UpstreamView> {
        let (kind, root) = self.resolve_any(id)?;
        self.check_upstream(caller, root)
            .map_err(|d| d.into_error(|| unknown_id(None, "record", id)))?;
        if !matches!(
            kind,
            NodeKind::Unit | NodeKind::Batch | NodeKind::Lot | NodeKind::Listing
        ) {
            return Err(AppError::rule(
                "id",
                format!(
                    "an upstream trace starts from a unit, batch, lot or listing, not a {}",
                    kind.name()
                ),
            ));
        }
        let reach = self.store.upstream(root)?;
        let mut cache = HashMap::with_capacity(reach.nodes.len());
        let mut nodes = Vec::with_capacity(reach.nodes.len());
        for &n in &reach.nodes {
            let mut node = self.trace_node(n, &mut cache)?;
            self.annotate(caller, &mut node, n);
            nodes.push(node);
        }
        // Every edge names two of the nodes: their ids are formatted once.
        let named: HashMap<NodeId, &str> = reach
            .nodes
            .iter()
            .zip(&nodes)
            .map(|(&n, v)| (n, v.id.as_str()))
            .collect();
        let mut edges = Vec::with_capacity(reach.edges.len());
        for &(from, to) in &reach.edges {
            let from_kind = self.store.meta(from).map(|m| m.kind);
            let (kind, quantity) = match (from_kind, cache.get(&to).map(|r| &**r)) {
                (Some(NodeKind::Party), Some(Record::Lot(l))) => {
                    ("produced", Some(l.quantity.into()))
                }
                (_, Some(Record::Lot(l))) => ("input", input_qty(&l.inputs, from)),
                (_, Some(Record::Batch(b))) => ("input", input_qty(&b.inputs, from)),
                (_, Some(Record::Listing(_))) => ("listed", None),
                _ => ("unit", None),
            };
            let name = |n: NodeId, k: Option<NodeKind>| match named.get(&n) {
                Some(s) => s.to_string(),
                None => self.ids.format(k.unwrap_or(NodeKind::Lot), n),
            };
            let to_kind = self.store.meta(to).map(|m| m.kind);
            edges.push(TraceEdge {
                from: name(from, from_kind),
                to: name(to, to_kind),
                kind,
                quantity,
            });
        }
        // Suppliers: producers of the raw lots (lots made from no other lot).
        let mut suppliers: BTreeMap<NodeId, Vec<String>> = BTreeMap::new();
        for &n in &reach.nodes {
            if let Some(Record::Lot(l)) = cache.get(&n).map(|r| &**r) {
                if l.inputs.is_empty() {
                    suppliers
                        .entry(l.producer)
                        .or_default()
                        .push(self.ids.format(NodeKind::Lot, n));
                }
            }
        }
        let suppliers = suppliers
            .into_iter()
            .map(|(p, lots)| {
                let party = match cache.get(&p).map(|r| &**r) {
                    Some(Record::Party(p)) => p.clone(),
                    _ => self.party(p)?,
                };
                Ok(SupplierView {
                    id: self.ids.format(NodeKind::Party, p),
                    name: party.name,
                    uscc: party.uscc,
                    city: party.city,
                    lots,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(UpstreamView {
            root: self.ids.format(kind, root),
            nodes,
            edges,
            suppliers,
        })
    }

    /// Everything downstream of a party, lot or batch (or listing), with listings counted
    /// per platform and seller and one page of items.
    pub fn downstream(
        &self,
        caller: &Caller,
        id: &str,
        q: &DownstreamQuery,
    ) -> AppResult<DownstreamView> {
        let (kind, root) = self.resolve_any(id)?;
        let scope = self
            .check_downstream(caller, root)
            .map_err(|d| d.into_error(|| unknown_id(None, "record", id)))?;
        if !matches!(
            kind,
            NodeKind::Party | NodeKind::Lot | NodeKind::Batch | NodeKind::Listing
        ) {
            return Err(AppError::rule(
                "id",
                format!(
                    "a downstream trace starts from a party, lot, batch or listing, not a {}",
                    kind.name()
                ),
            ));
        }
        let limit = q.limit.unwrap_or(100);
        if limit == 0 || limit > MAX_PAGE {
            return Err(AppError::bad(
                "limit",
                format!("limit must be 1 to {MAX_PAGE} (got {limit})"),
            ));
        }
        let platform_filter = match &q.platform {
            Some(p) => Some(
                self.resolve_party("platform", p, &[Role::Platform], "the platform")?
                    .0,
            ),
            None => None,
        };
        let mut reach = match scope {
            // A party's downstream is what it made or holds and everything made from it: the
            // graph links a party to the lots it produced, not to its batches.
            Scope::Full if kind == NodeKind::Party => {
                let mut r = self.store.downstream(root)?;
                let own = self.own_reach(root, root, kind);
                for (all, mine) in [
                    (&mut r.lots, own.lots),
                    (&mut r.batches, own.batches),
                    (&mut r.listings, own.listings),
                ] {
                    all.extend(mine);
                    all.sort_unstable();
                    all.dedup();
                }
                r.units = r
                    .batches
                    .iter()
                    .filter_map(|&b| self.store.meta(b))
                    .map(|m| m.b as u64)
                    .sum();
                r
            }
            Scope::Full => self.store.downstream(root)?,
            Scope::Own(me) => self.own_reach(me, root, kind),
        };
        if kind == NodeKind::Listing {
            reach.listings = vec![root];
        }
        let shipped_to = self.shipped_to(scope, root, kind, &reach);
        if let Some(pf) = platform_filter {
            reach
                .listings
                .retain(|&l| self.store.meta(l).map(|m| m.a) == Some(pf));
        }
        // Counts per platform and seller, from the resident headers only.
        let mut per: BTreeMap<NodeId, (u64, u64, BTreeMap<NodeId, u64>)> = BTreeMap::new();
        let mut active = 0u64;
        for &l in &reach.listings {
            if let Some(m) = self.store.meta(l) {
                let e = per.entry(m.a).or_default();
                e.0 += 1;
                if status_from_code(m.flag) == ListingStatus::Active {
                    e.1 += 1;
                    active += 1;
                }
                *e.2.entry(m.b).or_default() += 1;
            }
        }
        let by_platform = per
            .into_iter()
            .map(|(p, (n, a, sellers))| PlatformCount {
                platform: self.ids.format(NodeKind::Party, p),
                name: self.party_name(p),
                listings: n,
                active: a,
                sellers: sellers
                    .into_iter()
                    .map(|(s, c)| SellerCount {
                        seller: self.ids.format(NodeKind::Party, s),
                        name: self.party_name(s),
                        listings: c,
                    })
                    .collect(),
            })
            .collect();
        let (ids, want) = match q.items {
            DownstreamItems::Listings => (&reach.listings, NodeKind::Listing),
            DownstreamItems::Batches => (&reach.batches, NodeKind::Batch),
            DownstreamItems::Lots => (&reach.lots, NodeKind::Lot),
        };
        // A cursor is an item of this very answer: any other id (another tenant's record
        // included) is refused alike, so a cursor tells nothing of where other records stand.
        let start = match &q.cursor {
            None => 0,
            Some(c) => match self.ids.parse(c) {
                Some((k, n)) if k == want && ids.binary_search(&n).is_ok() => {
                    ids.partition_point(|&x| x <= n)
                }
                _ => {
                    return Err(AppError::bad(
                        "cursor",
                        format!("cursor must be a {} id from the previous page", want.name()),
                    ))
                }
            },
        };
        let page_ids = &ids[start.min(ids.len())..(start + limit).min(ids.len())];
        let mut items = Vec::with_capacity(page_ids.len());
        for &n in page_ids {
            items.push(match self.load(n)? {
                Record::Listing(l) => PageItem::Listing(ListingView::new(&self.ids, n, &l)),
                Record::Batch(b) => PageItem::Batch(BatchSummary {
                    id: self.ids.format(NodeKind::Batch, n),
                    batch_code: b.batch_code,
                    manufacturer: self.ids.format(NodeKind::Party, b.manufacturer),
                    product: b.product.name,
                    model: b.product.model,
                    quantity: b.quantity,
                    unit_count: b.unit_count,
                    produced_at: fmt_time(b.produced_at),
                }),
                Record::Lot(l) => PageItem::Lot(LotSummary {
                    id: self.ids.format(NodeKind::Lot, n),
                    lot_code: l.lot_code,
                    producer: self.ids.format(NodeKind::Party, l.producer),
                    material: l.material.as_str(),
                    formaldehyde_class: l.formaldehyde_class.as_str(),
                    quantity: l.quantity.into(),
                }),
                _ => continue,
            });
        }
        let next_cursor = if start + limit < ids.len() {
            page_ids.last().map(|&n| self.ids.format(want, n))
        } else {
            None
        };
        Ok(DownstreamView {
            root: self.ids.format(kind, root),
            scope: scope.name(),
            shipped_to,
            lot_count: reach.lots.len() as u64,
            batch_count: reach.batches.len() as u64,
            unit_count: reach.units,
            listings: ListingSummary {
                total: reach.listings.len() as u64,
                active,
                by_platform,
            },
            page: Page {
                items_kind: want.name(),
                limit,
                items,
                next_cursor,
            },
        })
    }

    /// What a party sees downstream of `root`: the walk goes on only through records of
    /// its own (lots it made or holds, its batches, the listings that sell them), so it
    /// never enters what a customer made from what the party shipped.
    fn own_reach(&self, me: NodeId, root: NodeId, kind: NodeKind) -> Reach {
        let mut stack: Vec<NodeId> = match kind {
            // From the party itself: everything it made or received.
            NodeKind::Party => self
                .store
                .holdings_of(me)
                .into_iter()
                .map(|(l, _)| l)
                .chain(self.store.outputs(root))
                .collect(),
            _ => vec![root],
        };
        let mut seen: std::collections::HashSet<NodeId> = stack.iter().copied().collect();
        seen.insert(root);
        while let Some(n) = stack.pop() {
            for d in self.store.outputs(n) {
                if self.own_downstream(me, d) && seen.insert(d) {
                    stack.push(d);
                }
            }
        }
        seen.remove(&root);
        let mut own: Vec<NodeId> = seen.into_iter().collect();
        own.sort_unstable();
        let mut reach = Reach::default();
        for n in own {
            let Some(m) = self.store.meta(n) else {
                continue;
            };
            match m.kind {
                NodeKind::Lot => reach.lots.push(n),
                NodeKind::Batch => {
                    reach.batches.push(n);
                    reach.units += m.b as u64;
                }
                NodeKind::Listing => reach.listings.push(n),
                _ => {}
            }
        }
        if kind == NodeKind::Batch {
            reach.units += self.store.meta(root).map(|m| m.b as u64).unwrap_or(0);
        }
        reach
    }

    /// Whom the lots of a downstream answer were shipped to, and how many lots each got.
    /// A party sees its own shipments; a regulator those of the root's own lots.
    fn shipped_to(
        &self,
        scope: Scope,
        root: NodeId,
        kind: NodeKind,
        reach: &Reach,
    ) -> Vec<RecipientView> {
        let mut shipped: BTreeMap<NodeId, std::collections::BTreeSet<NodeId>> = BTreeMap::new();
        match scope {
            Scope::Own(me) => {
                let in_scope = |lot: NodeId| {
                    lot == root || reach.lots.binary_search(&lot).is_ok() || kind == NodeKind::Party
                };
                for s in self.store.shipments_from(me) {
                    let Some(m) = self.store.meta(s) else {
                        continue;
                    };
                    if m.kind != NodeKind::Shipment || !in_scope(m.a) {
                        continue;
                    }
                    if matches!(self.store.record_arc(s).as_deref(), Some(Record::Shipment(x)) if x.from == me)
                    {
                        shipped.entry(m.b).or_default().insert(m.a);
                    }
                }
            }
            Scope::Full => {
                let own_lots: Vec<NodeId> = match kind {
                    NodeKind::Party => self
                        .store
                        .outputs(root)
                        .into_iter()
                        .filter(|&l| self.store.meta(l).map(|m| m.kind) == Some(NodeKind::Lot))
                        .collect(),
                    NodeKind::Lot => vec![root],
                    _ => vec![],
                };
                for lot in own_lots {
                    for (p, _) in self.store.recipients(lot) {
                        shipped.entry(p).or_default().insert(lot);
                    }
                }
            }
        }
        shipped
            .into_iter()
            .map(|(p, lots)| RecipientView {
                party: self.ids.format(NodeKind::Party, p),
                name: self.party_name(p),
                lots: lots.len() as u64,
            })
            .collect()
    }

    /// The event log (regulators), or with `subject` the events that created and changed
    /// one record, for whoever may read that record. Each event names only the records the
    /// caller may read (a bulk action names every platform's actions: a platform sees its
    /// own), and only the caller's own key ids.
    pub fn events(&self, caller: &Caller, q: &EventsQuery) -> AppResult<Vec<EventView>> {
        let limit = q.limit.unwrap_or(100);
        if limit == 0 || limit > MAX_PAGE {
            return Err(AppError::bad(
                "limit",
                format!("limit must be 1 to {MAX_PAGE} (got {limit})"),
            ));
        }
        let evs = match &q.subject {
            Some(s) => {
                let (_, id) = self.resolve_any(s)?;
                self.check_read(caller, id)
                    .map_err(|d| d.into_error(|| unknown_id(None, "record", s)))?;
                // A unit was created with its batch.
                let record = match self.store.meta(id) {
                    Some(m) if m.kind == NodeKind::Unit => m.a,
                    _ => id,
                };
                let mut evs = self.store.subject_events(record)?;
                evs.truncate(limit);
                evs
            }
            None => {
                self.check_role(caller, &[Role::Regulator], "read the event log")?;
                self.store.events(q.after.unwrap_or(0), limit)?
            }
        };
        let all = caller.sees_all();
        Ok(evs
            .into_iter()
            .map(|e| {
                let named: Vec<(NodeKind, NodeId)> = match &e.body {
                    EventBody::Created { id, record } => vec![(record.kind(), *id)],
                    EventBody::ListingBatchesLinked { listing, .. } => {
                        vec![(NodeKind::Listing, *listing)]
                    }
                    EventBody::KeyRevoked { key } => vec![(NodeKind::Key, *key)],
                    EventBody::GrantRevoked { grant } => vec![(NodeKind::Grant, *grant)],
                    EventBody::CreatedMany { records } => {
                        records.iter().map(|(id, r)| (r.kind(), *id)).collect()
                    }
                    EventBody::ActionAcknowledged { action, .. } => {
                        vec![(NodeKind::Action, *action)]
                    }
                    EventBody::CaseUpdated { case, .. } => vec![(NodeKind::Case, *case)],
                };
                let visible: Vec<String> = named
                    .iter()
                    .filter(|&&(_, id)| all || self.can_read(caller, id))
                    .map(|&(k, id)| self.ids.format(k, id))
                    .collect();
                let subject = if visible.len() > 3 {
                    format!("{},…", visible[..3].join(","))
                } else {
                    visible.join(",")
                };
                let own_key = e.actor.party.is_some() && e.actor.party == caller.party;
                EventView {
                    seq: e.seq,
                    at: fmt_time(e.at),
                    kind: e.body.name(),
                    actor_party: e.actor.party.map(|p| self.ids.format(NodeKind::Party, p)),
                    actor_key: (all || own_key).then_some(e.actor.key),
                    subject,
                }
            })
            .collect())
    }
}

fn input_qty(inputs: &[Input], lot: NodeId) -> Option<QuantityView> {
    inputs
        .iter()
        .find(|i| i.lot == lot)
        .map(|i| i.quantity.into())
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
