//! The simulated world: its parties, the random commands they send, crashes.

use boardtrail::app::compliance::{Ack, NewAction, NewDeclaration, NewInspection};
use boardtrail::app::dto::{
    LinkBatches, NewBatch, NewGrant, NewListing, NewLot, NewParty, NewShipment,
};
use boardtrail::app::resale::{NewGoodsShipment, NewSale, SaleCorrection};
use boardtrail::app::{App, Caller};
use boardtrail::domain::{NodeId, NodeKind, Record, Role};
use boardtrail::store::{MemStore, Store};
use serde_json::json;
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
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(crate) fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
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

pub(crate) struct Sim {
    pub(crate) store: Arc<MemStore>,
    pub(crate) app: App,
    pub(crate) clock: Arc<AtomicI64>,
    pub(crate) rng: Rng,
    pub(crate) suppliers: Vec<(String, Caller)>,
    pub(crate) makers: Vec<(String, Caller)>,
    pub(crate) platforms: Vec<(String, Caller)>,
    pub(crate) distributors: Vec<(String, Caller)>,
    /// The lab that inspects and the bureau that samples and declares.
    pub(crate) lab: Option<(String, Caller)>,
    pub(crate) regulator: Option<(String, Caller)>,
    /// Measures ordered on listings.
    pub(crate) actions: Vec<String>,
    pub(crate) sales: Vec<String>,
    /// (lot, maker) pairs: lots shipped to or made by a maker.
    pub(crate) lots_at: Vec<(String, String)>,
    /// (batch, party) pairs that hold pieces: makers of their batches, receivers of goods.
    pub(crate) held: Vec<(String, String)>,
    pub(crate) lots: Vec<String>,
    pub(crate) batches: Vec<String>,
    pub(crate) listings: Vec<String>,
    /// The seller and platform of each listing (same order as `listings`).
    pub(crate) sellers: Vec<String>,
    pub(crate) platform_of: Vec<String>,
    /// Listings with a batch linked (indexes into `listings`).
    pub(crate) stocked: Vec<usize>,
    pub(crate) grants: Vec<String>,
    pub(crate) accepted: u64,
    pub(crate) n: usize,
}

impl Sim {
    pub(crate) fn new(seed: u64) -> Sim {
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
    pub(crate) fn who<'a>(&mut self, right: &'a Caller, all: &'a [Caller]) -> &'a Caller {
        if self.rng.below(5) == 0 {
            &all[self.rng.below(all.len())]
        } else {
            right
        }
    }

    pub(crate) fn everyone(&self) -> Vec<Caller> {
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

    pub(crate) fn qty(&mut self) -> f64 {
        (1 + self.rng.below(120)) as f64
    }

    /// One random command; returns whether it wrote an event.
    pub(crate) fn step(&mut self) -> Result<bool, boardtrail::error::AppError> {
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
                let sellers = self.sellers();
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
                let sellers = self.sellers();
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
                let pool = self.sellers();
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
                let pc = self.platform_caller(&self.platform_of[i]);
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
                self.wrote(|app| app.declare_compliance(&who, &supplier, d).map(drop))
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
                let id = self.app.ids().parse_kind(&action, NodeKind::Action);
                let Ok(Some(Record::Action(a))) = self.store.record(id.expect("an action id"))
                else {
                    panic!("action {action} is not in the store");
                };
                let pc =
                    self.platform_caller(&self.app.ids().format(NodeKind::Party, a.platform.raw()));
                let who = self.who(&pc, &all).clone();
                let result = if self.rng.below(4) > 0 {
                    "done"
                } else {
                    "rejected"
                };
                let ack: Ack = serde_json::from_value(json!({"result": result})).unwrap();
                self.wrote(|app| app.ack_action(&who, &action, ack).map(drop))
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
                self.wrote(|app| app.revoke_grant(&who, &g).map(drop))
            }
        }
    }

    /// Runs a command that may decide nothing (the state asked for holds already): whether
    /// it wrote an event.
    pub(crate) fn wrote(
        &self,
        command: impl FnOnce(&App) -> Result<(), boardtrail::error::AppError>,
    ) -> Result<bool, boardtrail::error::AppError> {
        let before = self.store.stats().events;
        command(&self.app)?;
        Ok(self.store.stats().events > before)
    }

    /// The parties that sell (makers and distributors).
    pub(crate) fn sellers(&self) -> Vec<(String, Caller)> {
        self.makers
            .iter()
            .chain(&self.distributors)
            .cloned()
            .collect()
    }

    /// The key of the platform `id`.
    pub(crate) fn platform_caller(&self, id: &str) -> Caller {
        self.platforms
            .iter()
            .find(|(p, _)| p == id)
            .map(|(_, c)| c.clone())
            .expect("a platform of the simulation")
    }

    /// Replaces the store by what comes back after a crash, and the app over it.
    pub(crate) fn crash(&mut self) -> [u8; 32] {
        let back = Arc::new(self.store.crash().expect("replay after a crash"));
        let digest = back.digest();
        self.store = back.clone();
        self.app = app_over(back, &self.clock);
        digest
    }
}
