//! Deterministic simulation of the core: random command sequences from several callers
//! (right and wrong ones) against the in-memory log, with crash points and injected storage
//! faults (a failed append, a failed sync, a full disk) and snapshots (a crash then loads the
//! snapshot and replays only the log after it). After every crash the replayed
//! state equals the acknowledged state before it; after a fault, nothing of the failed
//! command survives. The invariants hold throughout: one event per accepted command, mass
//! balance, an acyclic graph, unique natural keys, and `verify` passes.

use boardtrail::app::dto::{
    LinkBatches, NewBatch, NewGrant, NewListing, NewLot, NewParty, NewShipment,
};
use boardtrail::app::{App, Caller};
use boardtrail::domain::{natural_keys, NodeId, NodeKind, Record, Role};
use boardtrail::store::{Fault, MemStore, Store};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;

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
    rng: Rng,
    suppliers: Vec<(String, Caller)>,
    makers: Vec<(String, Caller)>,
    platforms: Vec<(String, Caller)>,
    lots: Vec<String>,
    batches: Vec<String>,
    listings: Vec<String>,
    grants: Vec<String>,
    accepted: u64,
    n: usize,
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let store = Arc::new(MemStore::new([seed as u8; 32]));
        let app = App::new(store.clone());
        let mut sim = Sim {
            store,
            app,
            rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            suppliers: vec![],
            makers: vec![],
            platforms: vec![],
            lots: vec![],
            batches: vec![],
            listings: vec![],
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
        match self.rng.below(9) {
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
                Ok(true)
            }
            4 => {
                let (m, mc) = self.makers[self.rng.below(self.makers.len())].clone();
                let who = self.who(&mc, &all).clone();
                let mut inputs = vec![];
                for _ in 0..1 + self.rng.below(2) {
                    if let Some(l) = self.rng.pick(&self.lots).cloned() {
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
                    self.lots.push(v.id);
                    return Ok(true);
                }
                let b: NewBatch = serde_json::from_value(json!({"manufacturer": m, "batch_code": format!("B-{n}"),
                    "product": {"name": "衣柜", "model": "W"}, "quantity": 1 + self.rng.below(5),
                    "serials": self.rng.below(2) == 0, "inputs": inputs, "produced_at": "2026-03-04T00:00:00Z"})).unwrap();
                let v = self.app.create_batch(&who, b)?;
                self.batches.push(v.id);
                Ok(true)
            }
            5 => {
                let (m, mc) = self.makers[self.rng.below(self.makers.len())].clone();
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
                let (m, _) = self.makers[self.rng.below(self.makers.len())].clone();
                let who = self.who(&pc, &all).clone();
                let batches: Vec<String> =
                    self.rng.pick(&self.batches).cloned().into_iter().collect();
                let l: NewListing = serde_json::from_value(json!({"platform": p, "seller": m, "shop": "s",
                    "item_id": format!("I-{n}"), "url": "https://example.com/i", "title": "t", "batches": batches})).unwrap();
                let v = self.app.create_listing(&who, l)?;
                self.listings.push(v.id);
                Ok(true)
            }
            7 => {
                let Some(l) = self.rng.pick(&self.listings).cloned() else {
                    return Ok(false);
                };
                let Some(b) = self.rng.pick(&self.batches).cloned() else {
                    return Ok(false);
                };
                let who = all[self.rng.below(all.len())].clone();
                let (_, changed) =
                    self.app
                        .link_batches(&who, &l, LinkBatches { batches: vec![b] })?;
                Ok(changed)
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

    /// Replaces the store by what comes back after a crash, and the app over it.
    fn crash(&mut self) -> [u8; 32] {
        let back = Arc::new(self.store.crash().expect("replay after a crash"));
        let digest = back.digest();
        self.store = back.clone();
        self.app = App::new(back);
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

#[test]
fn random_commands_crashes_and_faults_keep_every_invariant() {
    let (mut ok, mut refused, mut faults, mut crashes, mut snapshots) = (0, 0, 0, 0, 0);
    for seed in 1..=12u64 {
        let mut sim = Sim::new(seed);
        for step in 0..300 {
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
        // The same log replayed twice gives the same world.
        assert_eq!(sim.store.crash().unwrap().digest(), sim.store.digest());
    }
    // The simulation exercised what it claims to.
    assert!(
        ok > 1000 && refused > 200 && faults > 10 && crashes > 10 && snapshots > 10,
        "ok {ok} refused {refused} faults {faults} crashes {crashes} snapshots {snapshots}"
    );
}
