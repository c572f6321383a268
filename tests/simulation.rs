//! Deterministic simulation of the core: random command sequences from several callers
//! (right and wrong ones) against the in-memory log, with crash points and injected storage
//! faults (a failed append, a failed sync, a full disk) and snapshots (a crash then loads the
//! snapshot and replays only the log after it). After every crash the replayed
//! state equals the acknowledged state before it; after a fault, nothing of the failed
//! command survives. The invariants hold throughout: one event per accepted command, mass
//! balance (lots and finished pieces), an acyclic graph, unique natural keys, a failed
//! inspection marking exactly what lies upstream of its subject (and the world's marks
//! agreeing), a listing's status that of its latest measure done, and `verify` passes. The
//! lab inspects, the bureau declares and orders measures, and platforms answer them among
//! the other parties' commands. The app reads the
//! simulation's clock (a second per reading, from 2026-04-01), so a seed is one run: the
//! same seed gives the same log, byte for byte.

use boardtrail::app::compliance::{Ack, NewAction, NewDeclaration, NewInspection};
use boardtrail::app::dto::{
    LinkBatches, NewBatch, NewGrant, NewListing, NewLot, NewParty, NewShipment,
};
use boardtrail::app::resale::{NewGoodsShipment, NewSale, SaleCorrection};
use boardtrail::app::{App, Caller};
use boardtrail::domain::{
    natural_keys, ActionStatus, ListingStatus, NodeId, NodeKind, Record, Role,
};
use boardtrail::store::{Fault, MemStore, Store};
use serde_json::json;
use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// 2026-04-01T00:00:00Z, the simulation's first instant.
const START_MS: i64 = 1_775_001_600_000;

/// The app over `store`, reading the simulation's clock.
fn app_over(store: Arc<MemStore>, clock: &Arc<AtomicI64>) -> App {
    let clock = clock.clone();
    App::new(store).with_clock(move || clock.fetch_add(1000, Ordering::Relaxed))
}

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        (!v.is_empty()).then(|| &v[self.below(v.len())])
    }
}

fn uscc(n: usize) -> String {
    let first17 = format!("91{:04}00MA{:07}", 3213 + n % 50, n);
    let c = boardtrail::domain::uscc_check_char(&first17).expect("uscc");
    format!("{first17}{c}")
}

fn caller(party: NodeId, role: Role, n: usize) -> Caller {
    Caller {
        party: Some(party),
        role: Some(role),
        key_id: format!("key-{n}"),
        operator: false,
        read_only: false,
        idempotency: None,
    }
}

struct Sim {
    store: Arc<MemStore>,
    app: App,
    clock: Arc<AtomicI64>,
    rng: Rng,
    suppliers: Vec<(String, Caller)>,
    makers: Vec<(String, Caller)>,
    platforms: Vec<(String, Caller)>,
    distributors: Vec<(String, Caller)>,
    /// The lab that inspects and the bureau that samples and declares.
    lab: Option<(String, Caller)>,
    regulator: Option<(String, Caller)>,
    /// Measures ordered on listings.
    actions: Vec<String>,
    sales: Vec<String>,
    /// (lot, maker) pairs: lots shipped to or made by a maker.
    lots_at: Vec<(String, String)>,
    /// (batch, party) pairs that hold pieces: makers of their batches, receivers of goods.
    held: Vec<(String, String)>,
    lots: Vec<String>,
    batches: Vec<String>,
    listings: Vec<String>,
    /// The seller and platform of each listing (same order as `listings`).
    sellers: Vec<String>,
    platform_of: Vec<String>,
    /// Listings with a batch linked (indexes into `listings`).
    stocked: Vec<usize>,
    grants: Vec<String>,
    accepted: u64,
    n: usize,
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let store = Arc::new(MemStore::new([seed as u8; 32]));
        let clock = Arc::new(AtomicI64::new(START_MS));
        let app = app_over(store.clone(), &clock);
        let mut sim = Sim {
            store,
            app,
            clock,
            rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            suppliers: vec![],
            makers: vec![],
            platforms: vec![],
            distributors: vec![],
            lab: None,
            regulator: None,
            actions: vec![],
            sales: vec![],
            held: vec![],
            lots_at: vec![],
            lots: vec![],
            batches: vec![],
            listings: vec![],
            sellers: vec![],
            platform_of: vec![],
            stocked: vec![],
            grants: vec![],
            accepted: 0,
            n: 0,
        };
        for (i, role) in [
            Role::Supplier,
            Role::Supplier,
            Role::Supplier,
            Role::Manufacturer,
            Role::Manufacturer,
            Role::Manufacturer,
            Role::Platform,
            Role::Platform,
            Role::Distributor,
            Role::Distributor,
            Role::Lab,
            Role::Regulator,
        ]
        .into_iter()
        .enumerate()
        {
            let p: NewParty = serde_json::from_value(json!({
                "name": format!("party {i}"), "role": role, "uscc": uscc(i), "city": "宿迁"}))
            .unwrap();
            let v = sim.app.create_party(&Caller::operator(), p).expect("party");
            sim.accepted += 1;
            let id = sim.app.ids().parse_kind(&v.id, NodeKind::Party).unwrap();
            let c = caller(id, role, i);
            match role {
                Role::Supplier => sim.suppliers.push((v.id, c)),
                Role::Manufacturer => sim.makers.push((v.id, c)),
                Role::Distributor => sim.distributors.push((v.id, c)),
                Role::Lab => sim.lab = Some((v.id, c)),
                Role::Regulator => sim.regulator = Some((v.id, c)),
                _ => sim.platforms.push((v.id, c)),
            }
        }
        sim
    }

    /// A caller: usually the one named, sometimes a random other party.
    fn who<'a>(&mut self, right: &'a Caller, all: &'a [Caller]) -> &'a Caller {
        if self.rng.below(5) == 0 {
            &all[self.rng.below(all.len())]
        } else {
            right
        }
    }

    fn everyone(&self) -> Vec<Caller> {
        self.suppliers
            .iter()
            .chain(&self.makers)
            .chain(&self.platforms)
            .chain(&self.distributors)
            .chain(&self.lab)
            .chain(&self.regulator)
            .map(|(_, c)| c.clone())
            .collect()
    }

    fn qty(&mut self) -> f64 {
        (1 + self.rng.below(120)) as f64
    }

    /// One random command; returns whether it wrote an event.
    fn step(&mut self) -> Result<bool, boardtrail::error::AppError> {
        self.n += 1;
        let n = self.n;
        let all = self.everyone();
        match self.rng.below(16) {
            0 | 1 => {
                let (id, c) = self.suppliers[self.rng.below(self.suppliers.len())].clone();
                let who = self.who(&c, &all).clone();
                let q = self.qty() * 10.0;
                let lot: NewLot = serde_json::from_value(json!({"producer": id, "lot_code": format!("L-{n}"),
                    "material": "plywood", "formaldehyde_class": "E0", "quantity": {"value": q, "unit": "sheet"},
                    "produced_at": "2026-03-01T00:00:00Z"})).unwrap();
                let v = self.app.create_lot(&who, lot)?;
                self.lots.push(v.id);
                Ok(true)
            }
            2 | 3 => {
                let Some(lot) = self.rng.pick(&self.lots).cloned() else {
                    return Ok(false);
                };
                let pool: Vec<(String, Caller)> =
                    self.suppliers.iter().chain(&self.makers).cloned().collect();
                let (from, fc) = pool[self.rng.below(pool.len())].clone();
                let (to, _) = self.makers[self.rng.below(self.makers.len())].clone();
                let who = self.who(&fc, &all).clone();
                let q = self.qty();
                let s: NewShipment = serde_json::from_value(json!({"lot": lot, "from": from, "to": to,
                    "quantity": {"value": q, "unit": "sheet"}, "shipped_at": "2026-03-02T00:00:00Z"})).unwrap();
                self.app.create_shipment(&who, s)?;
                self.lots_at.push((lot, to));
                Ok(true)
            }
            4 => {
                let (m, mc) = self.makers[self.rng.below(self.makers.len())].clone();
                let who = self.who(&mc, &all).clone();
                let mut inputs = vec![];
                // Mostly lots the maker holds, at times any lot.
                let at: Vec<String> = self
                    .lots_at
                    .iter()
                    .filter(|(_, p)| *p == m)
                    .map(|(l, _)| l.clone())
                    .collect();
                for _ in 0..1 + self.rng.below(2) {
                    let pick = if self.rng.below(4) > 0 && !at.is_empty() {
                        self.rng.pick(&at).cloned()
                    } else {
                        self.rng.pick(&self.lots).cloned()
                    };
                    if let Some(l) = pick {
                        if !inputs
                            .iter()
                            .any(|i: &serde_json::Value| i["lot"] == l.as_str())
                        {
                            let q = self.qty() / 4.0;
                            inputs
                                .push(json!({"lot": l, "quantity": {"value": q, "unit": "sheet"}}));
                        }
                    }
                }
                if self.rng.below(3) == 0 {
                    // An intermediate lot (cut panels) made from the inputs.
                    let lot: NewLot = serde_json::from_value(json!({"producer": m, "lot_code": format!("P-{n}"),
                        "material": "plywood", "formaldehyde_class": "E0", "quantity": {"value": 50.0, "unit": "sheet"},
                        "produced_at": "2026-03-03T00:00:00Z", "inputs": inputs})).unwrap();
                    let v = self.app.create_lot(&who, lot)?;
                    self.lots_at.push((v.id.clone(), m));
                    self.lots.push(v.id);
                    return Ok(true);
                }
                let b: NewBatch = serde_json::from_value(json!({"manufacturer": m, "batch_code": format!("B-{n}"),
                    "product": {"name": "衣柜", "model": "W"}, "quantity": 1 + self.rng.below(20),
                    "serials": self.rng.below(2) == 0, "inputs": inputs, "produced_at": "2026-03-04T00:00:00Z"})).unwrap();
                let v = self.app.create_batch(&who, b)?;
                self.held.push((v.id.clone(), m));
                self.batches.push(v.id);
                Ok(true)
            }
            5 => {
                let sellers: Vec<(String, Caller)> = self
                    .makers
                    .iter()
                    .chain(&self.distributors)
                    .cloned()
                    .collect();
                let (m, mc) = sellers[self.rng.below(sellers.len())].clone();
                let (p, _) = self.platforms[self.rng.below(self.platforms.len())].clone();
                let who = self.who(&mc, &all).clone();
                let g: NewGrant =
                    serde_json::from_value(json!({"platform": p, "seller": m})).unwrap();
                let v = self.app.create_grant(&who, g)?;
                self.grants.push(v.id);
                Ok(true)
            }
            6 => {
                let (p, pc) = self.platforms[self.rng.below(self.platforms.len())].clone();
                let sellers: Vec<(String, Caller)> = self
                    .makers
                    .iter()
                    .chain(&self.distributors)
                    .cloned()
                    .collect();
                let (mut m, _) = sellers[self.rng.below(sellers.len())].clone();
                let mut who = self.who(&pc, &all).clone();
                // Mostly a batch the seller holds (linked with its grant), else any batch.
                let batches: Vec<String> = if self.rng.below(4) > 0 {
                    match self.rng.pick(&self.held).cloned() {
                        Some((b, holder)) => {
                            m = holder;
                            // The operator (a bulk import) links for the platform at times.
                            if self.rng.below(2) == 0 {
                                who = Caller::operator();
                            }
                            vec![b]
                        }
                        None => vec![],
                    }
                } else {
                    self.rng.pick(&self.batches).cloned().into_iter().collect()
                };
                let l: NewListing = serde_json::from_value(json!({"platform": p, "seller": m, "shop": "s",
                    "item_id": format!("I-{n}"), "url": "https://example.com/i", "title": "t", "batches": batches})).unwrap();
                let v = self.app.create_listing(&who, l)?;
                if !v.batches.is_empty() {
                    self.stocked.push(self.listings.len());
                }
                self.listings.push(v.id);
                self.sellers.push(v.seller);
                self.platform_of.push(v.platform);
                Ok(true)
            }
            7 => {
                if self.listings.is_empty() {
                    return Ok(false);
                }
                let i = self.rng.below(self.listings.len());
                let (l, seller) = (self.listings[i].clone(), self.sellers[i].clone());
                // Mostly the seller linking a batch it holds; else anyone, any batch.
                let own: Vec<String> = self
                    .held
                    .iter()
                    .filter(|(_, p)| *p == seller)
                    .map(|(b, _)| b.clone())
                    .collect();
                let (b, who) = match (self.rng.below(4) > 0, self.rng.pick(&own).cloned()) {
                    (true, Some(b)) => {
                        let c = self
                            .makers
                            .iter()
                            .chain(&self.distributors)
                            .find(|(p, _)| *p == seller);
                        (
                            b,
                            c.map(|(_, c)| c.clone()).unwrap_or_else(|| all[0].clone()),
                        )
                    }
                    _ => match self.rng.pick(&self.batches).cloned() {
                        Some(b) => (b, all[self.rng.below(all.len())].clone()),
                        None => return Ok(false),
                    },
                };
                let (_, changed) =
                    self.app
                        .link_batches(&who, &l, LinkBatches { batches: vec![b] })?;
                if changed {
                    self.stocked.push(i);
                }
                Ok(changed)
            }
            9 => {
                // Pieces of a batch to a distributor, from its maker or a distributor.
                let Some(b) = self.rng.pick(&self.batches).cloned() else {
                    return Ok(false);
                };
                let pool: Vec<(String, Caller)> = self
                    .makers
                    .iter()
                    .chain(&self.distributors)
                    .cloned()
                    .collect();
                let (mut from, _) = pool[self.rng.below(pool.len())].clone();
                let mut b = b;
                if self.rng.below(4) > 0 {
                    if let Some((hb, holder)) = self.rng.pick(&self.held).cloned() {
                        (b, from) = (hb, holder);
                    }
                }
                let fc = pool
                    .iter()
                    .find(|(p, _)| *p == from)
                    .map(|(_, c)| c.clone())
                    .expect("the sender's caller");
                let (to, _) = self.distributors[self.rng.below(self.distributors.len())].clone();
                let who = self.who(&fc, &all).clone();
                let g: NewGoodsShipment =
                    serde_json::from_value(json!({"batch": b, "from": from, "to": to,
                    "pieces": 1 + self.rng.below(4), "shipped_at": "2026-03-05T00:00:00Z"}))
                    .unwrap();
                let v = self.app.create_goods_shipment(&who, g)?;
                self.held.push((v.batch, v.to));
                Ok(true)
            }
            10 => {
                // A platform reports sales of a listing (its own, mostly).
                // Mostly a listing with batches, at times any.
                let i = match self.rng.pick(&self.stocked).copied() {
                    Some(i) if self.rng.below(5) > 0 => i,
                    _ if !self.listings.is_empty() => self.rng.below(self.listings.len()),
                    _ => return Ok(false),
                };
                let l = self.listings[i].clone();
                let pc = self
                    .platforms
                    .iter()
                    .find(|(p, _)| *p == self.platform_of[i])
                    .map(|(_, c)| c.clone())
                    .expect("the listing's platform");
                let who = self.who(&pc, &all).clone();
                let province = [None, Some("32"), Some("浙江")][self.rng.below(3)];
                let sale: NewSale = serde_json::from_value(json!({"listing": l,
                    "day": format!("2026-03-{:02}", 10 + self.rng.below(5)), "pieces": 1 + self.rng.below(3),
                    "province": province})).unwrap();
                let v = self.app.create_sale(&who, sale)?;
                self.sales.push(v.id);
                Ok(true)
            }
            12 => {
                // The lab inspects a lot or a batch (formaldehyde from 0.01 to 0.10 mg/m³:
                // an E0 board fails above 0.05); a failed one marks what lies upstream.
                let subject = if self.rng.below(2) == 0 {
                    self.rng.pick(&self.lots).cloned()
                } else {
                    self.rng.pick(&self.batches).cloned()
                };
                let Some(subject) = subject else {
                    return Ok(false);
                };
                let (lab, lc) = self.lab.clone().expect("a lab");
                let (bureau, _) = self.regulator.clone().expect("a bureau");
                let who = self.who(&lc, &all).clone();
                let value = (1 + self.rng.below(10)) as f64 / 100.0;
                let ins: NewInspection = serde_json::from_value(json!({"subject": subject,
                    "lab": lab, "sampled_by": bureau, "report_no": format!("R-{n}"),
                    "sampled_at": "2026-03-20T00:00:00Z", "results": [{"item": "formaldehyde_emission",
                    "value": value, "unit": "mg/m3", "method": "GB/T 17657-2013 4.60"}]})).unwrap();
                self.app.create_inspection(&who, ins)?;
                Ok(true)
            }
            13 => {
                // The bureau declares a supplier's status (nothing is recorded when it holds).
                let (supplier, _) = self.suppliers[self.rng.below(self.suppliers.len())].clone();
                let (_, rc) = self.regulator.clone().expect("a bureau");
                let who = self.who(&rc, &all).clone();
                let status = ["compliant", "suspect", "noncompliant"][self.rng.below(3)];
                let d: NewDeclaration =
                    serde_json::from_value(json!({"status": status, "reason": "抽检 sampled"}))
                        .unwrap();
                let before = self.store.stats().events;
                self.app.declare_compliance(&who, &supplier, d)?;
                Ok(self.store.stats().events > before)
            }
            14 => {
                // The bureau orders a measure on a listing.
                let Some(listing) = self.rng.pick(&self.listings).cloned() else {
                    return Ok(false);
                };
                let (_, rc) = self.regulator.clone().expect("a bureau");
                let who = self.who(&rc, &all).clone();
                let kind =
                    ["delete", "block", "disconnect", "suspend", "terminate"][self.rng.below(5)];
                let a: NewAction = serde_json::from_value(
                    json!({"listing": listing, "kind": kind, "reason": "抽检不合格"}),
                )
                .unwrap();
                let v = self.app.create_action(&who, a)?;
                self.actions.push(v.id);
                Ok(true)
            }
            15 => {
                // A platform answers a measure: done (the listing takes its status) or
                // rejected; its own, mostly. The same answer again records nothing.
                let Some(action) = self.rng.pick(&self.actions).cloned() else {
                    return Ok(false);
                };
                let listing = match self.app.store().world().meta(
                    self.app
                        .ids()
                        .parse_kind(&action, NodeKind::Action)
                        .expect("an action id"),
                ) {
                    Some(m) => m.a,
                    None => return Ok(false),
                };
                let platform = self
                    .app
                    .ids()
                    .format(NodeKind::Party, self.platform_for(listing));
                let pc = self
                    .platforms
                    .iter()
                    .find(|(p, _)| *p == platform)
                    .map(|(_, c)| c.clone())
                    .expect("the listing's platform");
                let who = self.who(&pc, &all).clone();
                let result = if self.rng.below(4) > 0 {
                    "done"
                } else {
                    "rejected"
                };
                let ack: Ack = serde_json::from_value(json!({"result": result})).unwrap();
                let before = self.store.stats().events;
                self.app.ack_action(&who, &action, ack)?;
                Ok(self.store.stats().events > before)
            }
            11 => {
                let Some(sale) = self.rng.pick(&self.sales).cloned() else {
                    return Ok(false);
                };
                let who = all[self.rng.below(all.len())].clone();
                let c = SaleCorrection {
                    pieces: 1 + self.rng.below(4) as u32,
                    note: "corrected".into(),
                };
                self.app.correct_sale(&who, &sale, c)?;
                Ok(true)
            }
            _ => {
                let Some(g) = self.rng.pick(&self.grants).cloned() else {
                    return Ok(false);
                };
                let who = all[self.rng.below(all.len())].clone();
                let before = self.store.stats().events;
                self.app.revoke_grant(&who, &g)?;
                Ok(self.store.stats().events > before)
            }
        }
    }

    /// The platform of a listing, from its record.
    fn platform_for(&self, listing: NodeId) -> NodeId {
        match self.store.record(listing) {
            Ok(Some(Record::Listing(l))) => l.platform.raw(),
            other => panic!("listing {listing}: {other:?}"),
        }
    }

    /// Replaces the store by what comes back after a crash, and the app over it.
    fn crash(&mut self) -> [u8; 32] {
        let back = Arc::new(self.store.crash().expect("replay after a crash"));
        let digest = back.digest();
        self.store = back.clone();
        self.app = app_over(back, &self.clock);
        digest
    }

    fn check_invariants(&self, when: &str) {
        let s = &self.store;
        assert_eq!(
            s.stats().events,
            self.accepted,
            "{when}: one event per accepted command"
        );
        let all: Vec<NodeId> = (0..s.next_id()).collect();
        // Mass balance for every party and lot.
        for id in &all {
            if s.meta(*id).map(|m| m.kind) != Some(NodeKind::Party) {
                continue;
            }
            for (lot, h) in s.holdings_of(*id) {
                assert!(
                    h.consumed.0 + h.shipped.0 <= h.produced.0 + h.received.0,
                    "{when}: party {id} used more of lot {lot} than it had: {h:?}"
                );
            }
        }
        // Mass balance on finished pieces, from the records themselves: a party ships and
        // sells at most what it made or received of a batch; the world's counts agree.
        let mut moved: std::collections::HashMap<(NodeId, NodeId), (u64, u64, u64)> =
            Default::default();
        for &id in &all {
            match s.record(id) {
                Ok(Some(Record::GoodsShipment(g))) => {
                    moved.entry((g.batch.raw(), g.from.raw())).or_default().1 +=
                        u64::from(g.pieces);
                    moved.entry((g.batch.raw(), g.to.raw())).or_default().0 += u64::from(g.pieces);
                }
                Ok(Some(Record::Sale(x))) => {
                    let Ok(Some(Record::Listing(l))) = s.record(x.listing.raw()) else {
                        panic!("{when}: a sale of no listing");
                    };
                    assert_eq!(
                        x.batches.iter().map(|(_, n)| u64::from(*n)).sum::<u64>(),
                        u64::from(x.pieces),
                        "{when}: a sale's pieces all come from batches"
                    );
                    for (b, n) in &x.batches {
                        moved.entry((b.raw(), l.seller.raw())).or_default().2 += u64::from(*n);
                    }
                }
                _ => {}
            }
        }
        for ((b, p), (received, shipped, sold)) in moved {
            let made = match s.record(b) {
                Ok(Some(Record::Batch(x))) if x.manufacturer.raw() == p => u64::from(x.quantity),
                _ => 0,
            };
            assert!(
                shipped + sold <= made + received,
                "{when}: party {p} moved {shipped}+{sold} of batch {b}, had {made}+{received}"
            );
            let g = s.world().goods(b, p);
            assert_eq!(
                (g.received, g.shipped, g.sold),
                (received, shipped, sold),
                "{when}: the world's goods of ({b}, {p})"
            );
        }
        // A failed inspection marks exactly the lots upstream of its subject and their
        // suppliers (found here from the records), a passed one nothing; the world's marks
        // are those of the failed inspections.
        let mut marks: std::collections::BTreeMap<NodeId, Vec<NodeId>> = Default::default();
        for &id in &all {
            if let Ok(Some(Record::Inspection(i))) = s.record(id) {
                let marked: BTreeSet<NodeId> = i.marked.iter().copied().collect();
                let expected = if i.verdict == boardtrail::domain::Verdict::Fail {
                    upstream_lots_and_suppliers(s, i.subject)
                } else {
                    BTreeSet::new()
                };
                assert_eq!(marked, expected, "{when}: the marks of inspection {id}");
                for m in marked {
                    marks.entry(m).or_default().push(id);
                }
            }
        }
        for &id in &all {
            let mut world: Vec<NodeId> = s.world().marks(id).to_vec();
            world.sort_unstable();
            let records = marks.get(&id).cloned().unwrap_or_default();
            assert_eq!(world, records, "{when}: the world's marks of {id}");
        }
        // A listing's status is the measure of its latest action done (active without
        // one), in its record and in the graph.
        let mut done: std::collections::BTreeMap<NodeId, (i64, NodeId, ListingStatus)> =
            Default::default();
        for &id in &all {
            if let Ok(Some(Record::Action(a))) = s.record(id) {
                if a.status == ActionStatus::Done {
                    let at = (a.acked_at.expect("a done action's time"), id);
                    let e = done.entry(a.listing.raw()).or_insert((
                        at.0,
                        at.1,
                        a.kind.listing_status(),
                    ));
                    if at > (e.0, e.1) {
                        *e = (at.0, at.1, a.kind.listing_status());
                    }
                }
            }
        }
        for &id in &all {
            if let Ok(Some(Record::Listing(l))) = s.record(id) {
                let expected = done.get(&id).map_or(ListingStatus::Active, |d| d.2);
                assert_eq!(l.status, expected, "{when}: the status of listing {id}");
                let flag = s.meta(id).expect("a listing's header").flag;
                assert_eq!(
                    boardtrail::graph::status_from_code(flag),
                    expected,
                    "{when}: the graph's status of listing {id}"
                );
            }
        }
        // Acyclic: no walk along outputs comes back to where it started.
        let mut done = HashSet::new();
        for &root in &all {
            let mut on_path = HashSet::new();
            let mut stack = vec![(root, false)];
            while let Some((n, leaving)) = stack.pop() {
                if leaving {
                    on_path.remove(&n);
                    done.insert(n);
                    continue;
                }
                if done.contains(&n) {
                    continue;
                }
                assert!(on_path.insert(n), "{when}: a cycle through {n}");
                stack.push((n, true));
                for o in s.outputs(n) {
                    if !done.contains(&o) {
                        assert!(!on_path.contains(&o), "{when}: a cycle through {o}");
                        stack.push((o, false));
                    }
                }
            }
        }
        // Natural keys are unique.
        let mut keys = HashSet::new();
        for &id in &all {
            if let Ok(Some(r)) = s.record(id) {
                for k in natural_keys(&r) {
                    assert!(keys.insert(k.encode()), "{when}: key {k:?} twice ({id})");
                }
                if let Record::Lot(l) = &r {
                    assert!(
                        l.inputs.iter().all(|i| i.lot.raw() < id),
                        "{when}: a lot made from a later lot"
                    );
                }
            }
        }
        let report = s.verify().unwrap();
        assert!(report.ok(), "{when}: {:?}", report.problems);
    }
}

/// The lots upstream of `subject` (itself, if a lot), along the records' inputs, and their
/// producers that are suppliers.
fn upstream_lots_and_suppliers(s: &MemStore, subject: NodeId) -> BTreeSet<NodeId> {
    let (mut out, mut seen, mut stack) = (BTreeSet::new(), HashSet::new(), vec![subject]);
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        match s.record(n) {
            Ok(Some(Record::Lot(l))) => {
                out.insert(n);
                if let Ok(Some(Record::Party(p))) = s.record(l.producer.raw()) {
                    if p.role == Role::Supplier {
                        out.insert(l.producer.raw());
                    }
                }
                stack.extend(l.inputs.iter().map(|i| i.lot.raw()));
            }
            Ok(Some(Record::Batch(b))) => stack.extend(b.inputs.iter().map(|i| i.lot.raw())),
            _ => {}
        }
    }
    out
}

#[test]
fn random_commands_crashes_and_faults_keep_every_invariant() {
    let (mut ok, mut refused, mut faults, mut crashes, mut snapshots) = (0, 0, 0, 0, 0);
    let (mut goods, mut sales, mut corrected) = (0u64, 0u64, 0u64);
    let (mut failed, mut passed, mut declared) = (0u64, 0u64, 0u64);
    let (mut acted, mut removed) = (0u64, 0u64);
    for seed in 1..=12u64 {
        let mut sim = Sim::new(seed);
        for step in 0..600 {
            let when = format!("seed {seed} step {step}");
            match sim.rng.below(20) {
                2 => {
                    // A snapshot: later crashes load it and replay only the log after it.
                    let at = sim.store.save_snapshot().expect("snapshot");
                    assert_eq!(at, sim.store.stats().events, "{when}: snapshot at the head");
                    snapshots += 1;
                }
                0 => {
                    // A crash: everything acknowledged comes back, exactly.
                    let before = sim.store.digest();
                    assert_eq!(sim.crash(), before, "{when}: replay after a crash");
                    crashes += 1;
                }
                1 => {
                    // A storage fault under the next write: it fails, the store stops, and
                    // after the restart nothing of that write is there.
                    let fault = [Fault::Append, Fault::Sync, Fault::DiskFull][sim.rng.below(3)];
                    let before = sim.store.digest();
                    sim.store.inject(fault);
                    let mut tries = 0;
                    loop {
                        tries += 1;
                        match sim.step() {
                            Err(boardtrail::error::AppError::Store(e)) => {
                                assert!(
                                    matches!(e, boardtrail::store::StoreError::Failed(_)),
                                    "{when}: {e}"
                                );
                                assert_eq!(e.disk_full(), fault == Fault::DiskFull);
                                break;
                            }
                            // Refused before reaching the store, or wrote nothing: the fault waits.
                            Err(_) | Ok(false) if tries < 200 => continue,
                            other => panic!("{when}: a write under {fault:?} answered {other:?}"),
                        }
                    }
                    assert!(sim.store.failure().is_some(), "{when}: the store stopped");
                    assert_eq!(
                        sim.crash(),
                        before,
                        "{when}: nothing of the failed write after {fault:?}"
                    );
                    faults += 1;
                }
                _ => match sim.step() {
                    Ok(true) => {
                        sim.accepted += 1;
                        ok += 1;
                    }
                    Ok(false) => {}
                    Err(e) => {
                        assert!(
                            !matches!(
                                e,
                                boardtrail::error::AppError::Store(_)
                                    | boardtrail::error::AppError::Internal(_)
                            ),
                            "{when}: {e}"
                        );
                        refused += 1;
                    }
                },
            }
            if step % 50 == 49 {
                sim.check_invariants(&when);
            }
        }
        sim.check_invariants(&format!("seed {seed} end"));
        for id in 0..sim.store.next_id() {
            match sim.store.record(id) {
                Ok(Some(Record::GoodsShipment(_))) => goods += 1,
                Ok(Some(Record::Inspection(i))) => {
                    if i.verdict == boardtrail::domain::Verdict::Fail {
                        failed += 1;
                    } else {
                        passed += 1;
                    }
                }
                Ok(Some(Record::Declaration(_))) => declared += 1,
                Ok(Some(Record::Action(a))) => {
                    acted += 1;
                    removed += u64::from(a.status == ActionStatus::Done);
                }
                Ok(Some(Record::Sale(x))) => {
                    sales += 1;
                    corrected += u64::from(x.corrected_at.is_some());
                }
                _ => {}
            }
        }
        // The same log replayed twice gives the same world.
        assert_eq!(sim.store.crash().unwrap().digest(), sim.store.digest());
    }
    // The simulation exercised what it claims to.
    assert!(
        ok > 1000 && refused > 200 && faults > 10 && crashes > 10 && snapshots > 10,
        "ok {ok} refused {refused} faults {faults} crashes {crashes} snapshots {snapshots}"
    );
    assert!(
        goods > 20 && sales > 20 && corrected > 5,
        "goods shipments {goods}, sales {sales}, corrected {corrected}"
    );
    assert!(
        failed > 20 && passed > 20 && declared > 10 && acted > 20 && removed > 10,
        "inspections failed {failed}, passed {passed}; declarations {declared}; actions {acted}, done {removed}"
    );
}

/// A seed is one run: two simulations of the same seed write the same log (the same head
/// hash after every step), and another seed a different one.
#[test]
fn the_same_seed_gives_the_same_log() {
    let head = |sim: &Sim| sim.store.stats().head_hash;
    let (mut a, mut b, mut c) = (Sim::new(7), Sim::new(7), Sim::new(8));
    let mut accepted = 0;
    for step in 0..300 {
        let (ra, rb) = (a.step(), b.step());
        assert_eq!(
            format!("{ra:?}"),
            format!("{rb:?}"),
            "step {step}: the same command, another answer"
        );
        accepted += u32::from(matches!(ra, Ok(true)));
        assert_eq!(head(&a), head(&b), "step {step}");
        let _ = c.step();
    }
    assert!(accepted > 60, "{accepted} commands accepted");
    assert_eq!(a.store.digest(), b.store.digest());
    assert_ne!(head(&a), head(&c));
}
