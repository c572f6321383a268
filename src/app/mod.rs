//! The application layer: validates commands against the current state, turns each into
//! one event, commits it through the store and waits until it is durable. The HTTP
//! handlers, the tests, the demo loader and the examples all call this.

pub mod compliance;
pub mod dto;
pub mod import;
pub mod keys;
pub mod policy;
pub mod scan;
pub mod views;

use crate::domain::{
    clean_text, format_id, normalize_gtin, parse_id, validate_uscc, Batch, Input, Listing,
    ListingStatus, Lot, Milli, NaturalKey, NodeId, NodeKind, Party, Product, Quantity, Record,
    Role, Shipment,
};
use crate::error::{AppError, AppResult};
use crate::event::{Actor, EventBody};
use crate::graph::{role_from_code, status_from_code, Reach};
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
}

impl Caller {
    pub fn operator() -> Caller {
        Caller {
            party: None,
            role: None,
            key_id: "operator".into(),
            operator: true,
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
    /// Keys the hashes of API tokens (persistent for a server: see `server::open`).
    token_key: [u8; 32],
    /// QR tokens and rendering (see `scan`); None until `with_qr`.
    qr: Option<scan::QrState>,
    /// Serialises validate-and-append so that checks (mass balance, uniqueness) see every
    /// earlier write. Durability waits happen outside it, grouped by the store.
    writer: Mutex<()>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Health {
    pub status: &'static str,
    pub events: u64,
    pub nodes: u64,
    pub edges: u64,
    pub head_hash: String,
}

impl App {
    /// An app whose API-key hashes are keyed by `token_key`. Keys issued under one key do
    /// not authenticate under another, so a server passes its persistent secret.
    pub fn with_token_key(store: Arc<dyn Store>, token_key: [u8; 32]) -> App {
        App {
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

    pub fn health(&self) -> Health {
        let s = self.store.stats();
        Health {
            status: "ok",
            events: s.events,
            nodes: s.nodes,
            edges: s.edges,
            head_hash: s.head_hash,
        }
    }

    /// Validates and commits one event under the writer lock, then waits for durability.
    /// `build` gets the id the new entity would get and the event time.
    fn write<T>(
        &self,
        caller: &Caller,
        build: impl FnOnce(NodeId, i64) -> AppResult<(EventBody, Option<NodeId>, T)>,
    ) -> AppResult<T> {
        self.write_if(caller, |id, now| {
            build(id, now).map(|(body, acting_for, out)| (Some(body), acting_for, out))
        })
    }

    /// Like [`App::write`], but `build` may decide there is nothing to record (`None`):
    /// then no event is written and nothing waits for a flush.
    fn write_if<T>(
        &self,
        caller: &Caller,
        build: impl FnOnce(NodeId, i64) -> AppResult<(Option<EventBody>, Option<NodeId>, T)>,
    ) -> AppResult<T> {
        let (seq, out) = {
            let _guard = self.writer.lock();
            let now = now_ms();
            let (body, acting_for, out) = build(self.store.next_id(), now)?;
            let Some(body) = body else {
                return Ok(out);
            };
            let first = self.store.next_id();
            let committed = self
                .store
                .append(now, caller.actor(acting_for), body)
                .map_err(|e| match e {
                    StoreError::KeyTaken(id) => AppError::Conflict {
                        field: None,
                        detail: format!("already recorded as {id}"),
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

    /// Resolves a public id that must name a node of `want`: 404 if it names nothing,
    /// 422 if it names a node of another kind.
    fn resolve(&self, field: &str, s: &str, want: NodeKind) -> AppResult<NodeId> {
        let not_found =
            || AppError::not_found(field, format!("no {} with id '{}'", want.name(), trunc(s)));
        let (_, id) = parse_id(s).ok_or_else(not_found)?;
        let meta = self.store.meta(id).ok_or_else(not_found)?;
        if meta.kind != want {
            return Err(AppError::rule(
                field,
                format!("'{s}' is a {}, not a {}", meta.kind.name(), want.name()),
            ));
        }
        // The prefix must agree with the stored kind (`lot_5` for a batch is not found).
        if parse_id(s).map(|(k, _)| k) != Some(want) {
            return Err(not_found());
        }
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
        let id = self.resolve(field, s, NodeKind::Party)?;
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
        self.authorize_admin(caller, "register parties")?;
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
                        format_id(NodeKind::Party, existing)
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
            let view = PartyView::new(id, &party);
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
    fn check_gtin_lot(&self, gtin: &Option<String>, code: &str, field: &str) -> AppResult<()> {
        let Some(g) = gtin else { return Ok(()) };
        let key = NaturalKey::GtinLot {
            gtin14: g.clone(),
            code: code.to_string(),
        };
        match self.store.lookup(&key)? {
            Some(existing) => Err(AppError::conflict(
                field,
                format!(
                    "GTIN {g} with batch/lot '{code}' is already recorded ({})",
                    format_id(
                        self.store
                            .meta(existing)
                            .map(|m| m.kind)
                            .unwrap_or(NodeKind::Batch),
                        existing
                    )
                ),
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
            let lot_id = self.resolve(&format!("{field}.lot"), &inp.lot, NodeKind::Lot)?;
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
                        inp.lot, lot.lot_code, format_id(NodeKind::Party, consumer), consumer_name
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
                        format_id(NodeKind::Party, consumer),
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
        self.authorize_act_for(caller, producer, "register a lot")?;
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
                        format_id(NodeKind::Lot, existing)
                    ),
                ));
            }
            self.check_gtin_lot(&gtin, &lot_code, "lot_code")?;
            let inputs = self.check_inputs(producer, produced_at, &req.inputs)?;
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
            let view = LotView::new(id, &lot);
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
        let lot_id = self.resolve("lot", &req.lot, NodeKind::Lot)?;
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
        self.authorize_act_for(caller, from, "ship a lot")?;
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
            let view = ShipmentView::new(id, &s);
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
        self.authorize_act_for(caller, manufacturer, "register a batch")?;
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
                        format_id(NodeKind::Batch, existing)
                    ),
                ));
            }
            self.check_gtin_lot(&product.gtin, &batch_code, "batch_code")?;
            let inputs = self.check_inputs(manufacturer, produced_at, &req.inputs)?;
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
            let view = BatchView::new(id, &batch);
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

    /// Checks batches to link to a listing of `seller`: they exist and are the seller's.
    fn check_batches(&self, seller: NodeId, batches: &[String]) -> AppResult<Vec<NodeId>> {
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
            let id = self.resolve(&field, b, NodeKind::Batch)?;
            let meta = self.store.meta(id).ok_or_else(|| {
                AppError::not_found(field.clone(), format!("no batch with id '{b}'"))
            })?;
            if meta.a != seller {
                return Err(AppError::rule(
                    field,
                    format!(
                        "batch {b} was made by {}, not by the seller {}",
                        format_id(NodeKind::Party, meta.a),
                        format_id(NodeKind::Party, seller)
                    ),
                ));
            }
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
        self.authorize_act_for(caller, platform, "create a listing")?;
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
        let batches = self.check_batches(seller, &req.batches)?;
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
                        format_id(NodeKind::Listing, existing)
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
            let view = ListingView::new(id, &listing);
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
        let id = self.resolve_path(listing_id, NodeKind::Listing)?;
        self.authorize_listing_write(caller, id)?;
        let listing = self.listing(id)?;
        if req.batches.is_empty() {
            return Err(AppError::rule("batches", "name at least one batch to link"));
        }
        let batches = self.check_batches(listing.seller, &req.batches)?;
        let changed = self.write_if(caller, |_, _| {
            let current = self.listing(id)?;
            let new: Vec<NodeId> = batches
                .iter()
                .copied()
                .filter(|b| !current.batches.contains(b))
                .collect();
            if new.is_empty() {
                return Ok((None, None, false));
            }
            Ok((
                Some(EventBody::ListingBatchesLinked {
                    listing: id,
                    batches: new,
                }),
                Some(current.platform),
                true,
            ))
        })?;
        Ok((ListingView::new(id, &self.listing(id)?), changed))
    }

    // -----------------------------------------------------------------------------------
    // Reads
    // -----------------------------------------------------------------------------------

    /// Resolves an id from a URL path: anything that does not name a node of `want` is 404.
    fn resolve_path(&self, s: &str, want: NodeKind) -> AppResult<NodeId> {
        match parse_id(s) {
            Some((k, id)) if k == want && self.store.meta(id).map(|m| m.kind) == Some(want) => {
                Ok(id)
            }
            _ => Err(AppError::NotFound {
                field: None,
                detail: format!("no {} with id '{}'", want.name(), trunc(s)),
            }),
        }
    }

    /// Resolves an id from a URL path that the caller may read (404 otherwise, alike for
    /// what does not exist and what the caller may not know of).
    fn visible(&self, caller: &Caller, s: &str, want: NodeKind) -> AppResult<NodeId> {
        let id = self.resolve_path(s, want)?;
        self.authorize_read(caller, id, want)?;
        Ok(id)
    }

    /// Resolves any node id from a URL path.
    fn resolve_any(&self, s: &str) -> AppResult<(NodeKind, NodeId)> {
        match parse_id(s) {
            Some((k, id)) if self.store.meta(id).map(|m| m.kind) == Some(k) => Ok((k, id)),
            _ => Err(AppError::NotFound {
                field: None,
                detail: format!("no node with id '{}'", trunc(s)),
            }),
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
                out.push(PartyView::new(n, &p));
            }
        }
        Ok(out)
    }

    pub fn get_party(&self, caller: &Caller, id: &str) -> AppResult<PartyView> {
        let n = self.visible(caller, id, NodeKind::Party)?;
        Ok(PartyView::new(n, &self.party(n)?))
    }

    pub fn get_lot(&self, caller: &Caller, id: &str) -> AppResult<LotView> {
        let n = self.visible(caller, id, NodeKind::Lot)?;
        Ok(self.with_qr_ref(LotView::new(n, &self.lot(n)?)))
    }

    pub fn get_shipment(&self, caller: &Caller, id: &str) -> AppResult<ShipmentView> {
        let n = self.visible(caller, id, NodeKind::Shipment)?;
        match self.load(n)? {
            Record::Shipment(s) => Ok(ShipmentView::new(n, &s)),
            _ => Err(AppError::Internal(format!("{n} is not a shipment"))),
        }
    }

    pub fn get_batch(&self, caller: &Caller, id: &str) -> AppResult<BatchView> {
        let n = self.visible(caller, id, NodeKind::Batch)?;
        Ok(self.with_qr_ref(BatchView::new(n, &self.batch(n)?)))
    }

    pub fn get_unit(&self, caller: &Caller, id: &str) -> AppResult<UnitView> {
        let n = self.visible(caller, id, NodeKind::Unit)?;
        let meta = self
            .store
            .meta(n)
            .ok_or_else(|| AppError::Internal("unit vanished".into()))?;
        Ok(self.with_qr_ref(UnitView::new(n, meta.a, meta.b, &self.batch(meta.a)?)))
    }

    pub fn get_listing(&self, caller: &Caller, id: &str) -> AppResult<ListingView> {
        let n = self.visible(caller, id, NodeKind::Listing)?;
        Ok(self.with_qr_ref(ListingView::new(n, &self.listing(n)?)))
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
                id: format_id(NodeKind::Unit, id),
                kind: NodeKind::Unit.name(),
                label: serial.clone(),
                fields: NodeFields::Unit {
                    serial,
                    batch: format_id(NodeKind::Batch, meta.a),
                },
            });
        }
        let record = self.load_arc(id)?;
        let node = match &*record {
            Record::Party(p) => TraceNode {
                mark: None,
                inspection: None,
                id: format_id(NodeKind::Party, id),
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
                id: format_id(NodeKind::Lot, id),
                kind: "lot",
                label: l.lot_code.clone(),
                fields: NodeFields::Lot {
                    lot_code: l.lot_code.clone(),
                    producer: format_id(NodeKind::Party, l.producer),
                    material: l.material.as_str(),
                    formaldehyde_class: l.formaldehyde_class.as_str(),
                    quantity: l.quantity.into(),
                    produced_at: fmt_time(l.produced_at),
                },
            },
            Record::Batch(b) => TraceNode {
                mark: None,
                inspection: None,
                id: format_id(NodeKind::Batch, id),
                kind: "batch",
                label: format!("{} {}", b.batch_code, b.product.name),
                fields: NodeFields::Batch {
                    batch_code: b.batch_code.clone(),
                    manufacturer: format_id(NodeKind::Party, b.manufacturer),
                    product: b.product.name.clone(),
                    model: b.product.model.clone(),
                    quantity: b.quantity,
                    produced_at: fmt_time(b.produced_at),
                },
            },
            Record::Listing(l) => TraceNode {
                mark: None,
                inspection: None,
                id: format_id(NodeKind::Listing, id),
                kind: "listing",
                label: l.title.clone(),
                fields: NodeFields::Listing {
                    platform: format_id(NodeKind::Party, l.platform),
                    seller: format_id(NodeKind::Party, l.seller),
                    shop: l.shop.clone(),
                    item_id: l.item_id.clone(),
                    url: l.url.clone(),
                    status: l.status.as_str(),
                },
            },
            Record::Shipment(_)
            | Record::Key(_)
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
        self.authorize_upstream(caller, root, kind)?;
        if matches!(kind, NodeKind::Shipment | NodeKind::Party) {
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
            self.annotate(&mut node, n);
            nodes.push(node);
        }
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
            let fk = from_kind.unwrap_or(NodeKind::Lot);
            let tk = self.store.meta(to).map(|m| m.kind).unwrap_or(NodeKind::Lot);
            edges.push(TraceEdge {
                from: format_id(fk, from),
                to: format_id(tk, to),
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
                        .push(format_id(NodeKind::Lot, n));
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
                    id: format_id(NodeKind::Party, p),
                    name: party.name,
                    uscc: party.uscc,
                    city: party.city,
                    lots,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(UpstreamView {
            root: format_id(kind, root),
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
        let scope = self.authorize_downstream(caller, root, kind)?;
        if kind == NodeKind::Shipment {
            return Err(AppError::rule(
                "id",
                "a downstream trace starts from a party, lot, batch or listing, not a shipment",
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
            Some(p) => Some(self.resolve("platform", p, NodeKind::Party)?),
            None => None,
        };
        // The root's own lots: whom they were shipped to is part of every answer.
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
        let mut reach = match scope {
            Scope::Full => self.store.downstream(root)?,
            // A supplier sees its own lots and whom it shipped them to, no further.
            Scope::Shipments => Reach {
                lots: {
                    let mut l = own_lots.clone();
                    l.sort_unstable();
                    l
                },
                ..Reach::default()
            },
        };
        if kind == NodeKind::Listing {
            reach.listings = vec![root];
        }
        let mut shipped: BTreeMap<NodeId, u64> = BTreeMap::new();
        for &lot in &own_lots {
            for (p, _) in self.store.recipients(lot) {
                *shipped.entry(p).or_default() += 1;
            }
        }
        let shipped_to = shipped
            .into_iter()
            .map(|(p, lots)| RecipientView {
                party: format_id(NodeKind::Party, p),
                name: self.party_name(p),
                lots,
            })
            .collect();
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
                platform: format_id(NodeKind::Party, p),
                name: self.party_name(p),
                listings: n,
                active: a,
                sellers: sellers
                    .into_iter()
                    .map(|(s, c)| SellerCount {
                        seller: format_id(NodeKind::Party, s),
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
        let start = match &q.cursor {
            None => 0,
            Some(c) => match parse_id(c) {
                Some((k, n)) if k == want => ids.partition_point(|&x| x <= n),
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
                Record::Listing(l) => PageItem::Listing(ListingView::new(n, &l)),
                Record::Batch(b) => PageItem::Batch(BatchSummary {
                    id: format_id(NodeKind::Batch, n),
                    batch_code: b.batch_code,
                    manufacturer: format_id(NodeKind::Party, b.manufacturer),
                    product: b.product.name,
                    model: b.product.model,
                    quantity: b.quantity,
                    unit_count: b.unit_count,
                    produced_at: fmt_time(b.produced_at),
                }),
                Record::Lot(l) => PageItem::Lot(LotSummary {
                    id: format_id(NodeKind::Lot, n),
                    lot_code: l.lot_code,
                    producer: format_id(NodeKind::Party, l.producer),
                    material: l.material.as_str(),
                    formaldehyde_class: l.formaldehyde_class.as_str(),
                    quantity: l.quantity.into(),
                }),
                _ => continue,
            });
        }
        let next_cursor = if start + limit < ids.len() {
            page_ids.last().map(|&n| format_id(want, n))
        } else {
            None
        };
        Ok(DownstreamView {
            root: format_id(kind, root),
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

    /// The event log, oldest first.
    /// The event log, or (with `subject`) the events that created and changed one record,
    /// for whoever may read that record.
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
                let (kind, id) = self.resolve_any(s)?;
                self.authorize_read(caller, id, kind)?;
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
                self.authorize_admin(caller, "read the event log")?;
                self.store.events(q.after.unwrap_or(0), limit)?
            }
        };
        Ok(evs
            .into_iter()
            .map(|e| {
                let subject = match &e.body {
                    EventBody::Created { id, record } => format_id(record.kind(), *id),
                    EventBody::ListingBatchesLinked { listing, .. } => {
                        format_id(NodeKind::Listing, *listing)
                    }
                    EventBody::KeyRevoked { key } => format_id(NodeKind::Key, *key),
                    EventBody::CreatedMany { records } => {
                        records
                            .iter()
                            .map(|(id, r)| format_id(r.kind(), *id))
                            .take(3)
                            .collect::<Vec<_>>()
                            .join(",")
                            + if records.len() > 3 { ",…" } else { "" }
                    }
                    EventBody::ActionAcknowledged { action, .. } => {
                        format_id(NodeKind::Action, *action)
                    }
                    EventBody::CaseUpdated { case, .. } => format_id(NodeKind::Case, *case),
                };
                EventView {
                    seq: e.seq,
                    at: fmt_time(e.at),
                    kind: e.body.name(),
                    actor_party: e.actor.party.map(|p| format_id(NodeKind::Party, p)),
                    actor_key: e.actor.key,
                    subject,
                }
            })
            .collect())
    }

    /// The role of a party id (for the auth layer).
    pub fn party_role(&self, id: NodeId) -> Option<Role> {
        self.store
            .meta(id)
            .filter(|m| m.kind == NodeKind::Party)
            .map(|m| role_from_code(m.flag))
    }
}

fn input_qty(inputs: &[Input], lot: NodeId) -> Option<QuantityView> {
    inputs
        .iter()
        .find(|i| i.lot == lot)
        .map(|i| i.quantity.into())
}

/// Shortens user-supplied text echoed in an error.
pub(crate) fn trunc(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}
