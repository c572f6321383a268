//! Access decided with the command, under concurrency: a platform links a seller's batch
//! to new listings while the seller revokes its grant and grants it again. Whatever the
//! interleaving, every listing the platform got must have been decided while a grant was
//! active: in the log, each such listing's event comes after a grant's creation and before
//! its revocation. (An access check made before the writer lock, against a world that a
//! revocation then changed, breaks this.)

use boardtrail::app::dto::{NewBatch, NewGrant, NewListing, NewLot, NewParty};
use boardtrail::app::{App, Caller};
use boardtrail::domain::{NodeId, Record, Role};
use boardtrail::event::EventBody;
use boardtrail::store::{MemStore, Store};
use serde_json::json;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn uscc(n: usize) -> String {
    let first17 = format!("91320300MA{:07}", n);
    let c = boardtrail::domain::uscc_check_char(&first17).expect("uscc");
    format!("{first17}{c}")
}

fn party(app: &App, name: &str, role: Role, n: usize) -> (String, NodeId) {
    let p: NewParty = serde_json::from_value(json!({"name": name, "role": role.as_str(),
        "uscc": uscc(n), "city": "徐州"}))
    .unwrap();
    let v = app.create_party(&Caller::operator(), p).expect("party");
    let (_, raw) = app.ids().parse(&v.id).expect("a party id");
    (v.id, raw)
}

fn key_of(party: NodeId, role: Role, key: &str) -> Caller {
    Caller {
        party: Some(party),
        role: Some(role),
        key_id: key.into(),
        operator: false,
        read_only: false,
        idempotency: None,
    }
}

#[test]
fn a_link_is_decided_against_the_grants_of_its_moment() {
    let store = Arc::new(MemStore::new([3; 32]));
    let app = Arc::new(App::new(store.clone()));
    let (maker, maker_id) = party(&app, "睢宁家具厂", Role::Manufacturer, 1);
    let (platform, platform_id) = party(&app, "拼多多", Role::Platform, 2);
    let seller = key_of(maker_id, Role::Manufacturer, "key-maker");
    let shop = key_of(platform_id, Role::Platform, "key-platform");
    let lot: NewLot = serde_json::from_value(json!({"producer": maker, "lot_code": "P-1",
        "material": "mdf", "formaldehyde_class": "E1", "quantity": {"value": 10.0, "unit": "sheet"},
        "produced_at": "2026-03-01T00:00:00Z"}))
    .unwrap();
    let lot = app.create_lot(&seller, lot).expect("lot").id;
    let batch: NewBatch =
        serde_json::from_value(json!({"manufacturer": maker, "batch_code": "B-1",
        "product": {"name": "衣柜", "model": "W"}, "quantity": 5,
        "inputs": [{"lot": lot, "quantity": {"value": 1.0, "unit": "sheet"}}],
        "produced_at": "2026-03-02T00:00:00Z"}))
        .unwrap();
    let batch = app.create_batch(&seller, batch).expect("batch").id;
    let grant = {
        let (seller, platform) = (seller.clone(), platform.clone());
        move |app: &App| -> String {
            let g: NewGrant = serde_json::from_value(json!({"platform": platform})).unwrap();
            app.create_grant(&seller, g).expect("grant").id
        }
    };
    let first = grant(&app);

    let done = Arc::new(AtomicBool::new(false));
    let toggler = {
        let (app, done, seller, grant) = (app.clone(), done.clone(), seller.clone(), grant);
        let mut current = first;
        std::thread::spawn(move || {
            let mut rounds = 0u32;
            while !done.load(Ordering::Acquire) {
                app.revoke_grant(&seller, &current).expect("revoke");
                std::thread::yield_now();
                current = grant(&app);
                rounds += 1;
            }
            rounds
        })
    };
    let (mut linked, mut refused) = (0u32, 0u32);
    for i in 0..3_000 {
        let l: NewListing = serde_json::from_value(json!({"platform": platform, "seller": maker,
            "shop": "s", "item_id": format!("I-{i}"), "url": "https://example.com/i",
            "title": "t", "batches": [batch]}))
        .unwrap();
        match app.create_listing(&shop, l) {
            Ok(_) => linked += 1,
            // Without a grant the batch is hidden from the platform: an unknown id.
            Err(e) => {
                assert!(e.to_string().contains("batch"), "{e}");
                refused += 1;
            }
        }
    }
    done.store(true, Ordering::Release);
    let rounds = toggler.join().expect("toggler");
    eprintln!("{linked} linked, {refused} refused, {rounds} grant rounds");
    assert!(
        linked > 0 && refused > 0 && rounds > 10,
        "the race did not happen: {linked} linked, {refused} refused, {rounds} rounds"
    );

    // The log, in order: each of the platform's listings while a grant was active.
    let mut active: HashSet<u32> = HashSet::new();
    let (mut seen, mut after) = (0u32, 0u64);
    loop {
        let events = store.events(after, 1_000).expect("events");
        let Some(last) = events.last() else { break };
        after = last.seq;
        for ev in &events {
            match &ev.body {
                EventBody::Created {
                    id,
                    record: Record::Grant(_),
                } => {
                    active.insert(*id);
                }
                EventBody::GrantRevoked { grant } => {
                    assert!(active.remove(&grant.raw()), "event {}", ev.seq);
                }
                EventBody::Created {
                    record: Record::Listing(l),
                    ..
                } if ev.actor.key == shop.key_id => {
                    assert!(!l.batches.is_empty());
                    assert!(
                        !active.is_empty(),
                        "event {}: a listing linked while no grant was active",
                        ev.seq
                    );
                    seen += 1;
                }
                _ => {}
            }
        }
    }
    assert_eq!(seen, linked);
}
