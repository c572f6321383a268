//! The seed story over HTTP against the real app: Linyi mills → Suqian and Shaji makers →
//! JD, Taobao and Pinduoduo listings → trace up from a unit and down from a supplier.

mod common;

use common::{id, uscc, Client, TestServer};
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn set(v: &Value, key: &str) -> BTreeSet<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x[key].as_str().expect("string").to_string())
        .collect()
}

fn strs(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn seed_story() {
    let srv = TestServer::start();
    let c = srv.client();

    // Parties; a USCC with a wrong check character is refused and records nothing.
    let mill_a = c.party(
        "临沂鑫源板材 Linyi Xinyuan",
        "supplier",
        "91371300MA3C1A0X1",
        "临沂",
    );
    let mill_b = c.party(
        "临沂华森木业 Linyi Huasen",
        "supplier",
        "91371300MA3C2B0Y2",
        "临沂",
    );
    let suqian = c.party(
        "宿迁木森家具 Suqian Musen",
        "manufacturer",
        "91321300MA1M3C0P3",
        "宿迁",
    );
    let shaji = c.party(
        "沙集优品家具 Shaji Youpin",
        "manufacturer",
        "92320324MA1N4D0Q4",
        "徐州睢宁",
    );
    let jd = c.party("京东 JD", "platform", "91110302MA0C5E0R5", "北京");
    let taobao = c.party("淘宝 Taobao", "platform", "91330100MA2C6F0T6", "杭州");
    let pdd = c.party("拼多多 Pinduoduo", "platform", "91310000MA1G7G0U7", "上海");
    let regulator = c.party(
        "宿迁市市场监督管理局",
        "regulator",
        "11321300MB1J9J0X9",
        "宿迁",
    );
    // From here on every party acts with its own key.
    let key = |p: &str| {
        let t = c
            .post(&format!("/api/v1/parties/{p}/keys"), &json!({}))
            .ok(201)["token"]
            .as_str()
            .unwrap()
            .to_string();
        Client::new(&srv.base, Some(&t))
    };
    let (ka, kb, ksq, ksj) = (key(&mill_a), key(&mill_b), key(&suqian), key(&shaji));
    let (kjd, ktb, kpdd, kreg) = (key(&jd), key(&taobao), key(&pdd), key(&regulator));
    let c = kreg.clone();
    let before = c.events();
    let good = uscc("91371300MA3C9Z0Z9".replace('Z', "Y").as_str());
    let last = good.chars().last().unwrap();
    let wrong_check = format!("{}{}", &good[..17], if last == '0' { '1' } else { '0' });
    let r = c.post(
        "/api/v1/parties",
        &json!({"name": "fake mill", "role": "supplier", "uscc": wrong_check, "city": "临沂"}),
    );
    let detail = r.problem(422);
    assert!(detail.contains("check character"), "{detail}");
    assert_eq!(r.body["field"], "uscc");
    // A second party with the same USCC is a conflict.
    c.post("/api/v1/parties", &json!({"name": "dup", "role": "supplier", "uscc": uscc("91371300MA3C1A0X1"), "city": "临沂"}))
        .problem(409);
    assert_eq!(c.events(), before, "refused requests must record nothing");

    // Three lots from two mills.
    let lot = |k: &Client,
               producer: &str,
               code: &str,
               material: &str,
               class: &str,
               qty: f64,
               inputs: Value| {
        k.post(
            "/api/v1/lots",
            &json!({"producer": producer, "lot_code": code, "material": material, "formaldehyde_class": class,
                    "quantity": {"value": qty, "unit": if inputs.as_array().is_none_or(|a| a.is_empty()) {"sheet"} else {"piece"}},
                    "produced_at": "2026-03-02T08:00:00+08:00", "inputs": inputs}),
        )
    };
    let ply = id(lot(
        &ka,
        &mill_a,
        "XY-PLY-01",
        "plywood",
        "E0",
        1000.0,
        json!([]),
    )
    .ok(201));
    let pb = id(lot(
        &ka,
        &mill_a,
        "XY-PB-02",
        "particleboard",
        "E1",
        800.0,
        json!([]),
    )
    .ok(201));
    let mdf = id(lot(&kb, &mill_b, "HS-MDF-07", "mdf", "E0", 600.0, json!([])).ok(201));
    let got = c.get(&format!("/api/v1/lots/{ply}"));
    assert_eq!(got.ok(200)["lot_code"], "XY-PLY-01");
    assert_eq!(got.body["producer"], mill_a.as_str());
    assert_eq!(
        got.body["quantity"],
        json!({"value": 1000.0, "unit": "sheet"})
    );

    // Duplicate lot code for the same producer: 409 (the other mill may reuse it).
    let before = c.events();
    lot(&ka, &mill_a, "XY-PLY-01", "plywood", "E0", 10.0, json!([])).problem(409);
    assert_eq!(c.events(), before);

    // Shipments, and an over-shipment refused with the numbers.
    let ship = |k: &Client, lot: &str, from: &str, to: &str, qty: f64| {
        k.post(
            "/api/v1/shipments",
            &json!({"lot": lot, "from": from, "to": to, "quantity": {"value": qty, "unit": "sheet"},
                    "shipped_at": "2026-03-10T09:00:00+08:00"}),
        )
    };
    ship(&ka, &ply, &mill_a, &suqian, 400.0).ok(201);
    ship(&ka, &ply, &mill_a, &shaji, 300.0).ok(201);
    ship(&ka, &pb, &mill_a, &shaji, 500.0).ok(201);
    ship(&kb, &mdf, &mill_b, &suqian, 300.0).ok(201);
    let before = c.events();
    let over = ship(&ka, &ply, &mill_a, &shaji, 301.0);
    let detail = over.problem(422);
    assert!(
        detail.contains("300") && detail.contains("301") && detail.contains("700"),
        "{detail}"
    );
    assert_eq!(c.events(), before);

    // An intermediate lot: Shaji cuts 200 particleboard sheets into 800 panels.
    let panels = id(lot(
        &ksj,
        &shaji,
        "SJ-PANEL-01",
        "particleboard",
        "E1",
        800.0,
        json!([{"lot": pb, "quantity": {"value": 200.0, "unit": "sheet"}}]),
    )
    .ok(201));

    // Two batches.
    let batch = |maker: &str, code: &str, qty: u32, inputs: Value| {
        let k = if maker == suqian { &ksq } else { &ksj };
        k.post(
            "/api/v1/batches",
            &json!({"manufacturer": maker, "batch_code": code,
                    "product": {"name": "衣柜 wardrobe", "model": "W-1"}, "quantity": qty,
                    "inputs": inputs, "produced_at": "2026-03-20T08:00:00+08:00", "serials": true}),
        )
    };
    let wardrobes = batch(
        &suqian,
        "MS-W-01",
        5,
        json!([
        {"lot": ply, "quantity": {"value": 100.0, "unit": "sheet"}},
        {"lot": mdf, "quantity": {"value": 50.0, "unit": "sheet"}}]),
    );
    let wardrobes = wardrobes.ok(201).clone();
    let units = wardrobes["units"].as_array().expect("units");
    assert_eq!(units.len(), 5);
    let unit = units[2]["id"].as_str().unwrap().to_string();
    // Serials are random (13 characters of base32), not the batch code and a count.
    let serial = units[2]["serial"].as_str().unwrap();
    assert_eq!(serial.len(), 13, "{serial}");
    assert!(!serial.starts_with("MS-W-01"), "{serial}");
    let wardrobes = id(&wardrobes);
    let shelves = id(batch(
        &shaji,
        "YP-B-01",
        3,
        json!([
        {"lot": panels, "quantity": {"value": 300.0, "unit": "piece"}},
        {"lot": ply, "quantity": {"value": 50.0, "unit": "sheet"}}]),
    )
    .ok(201));
    // A third batch from mill B only, to show recall precision.
    let desks = id(batch(
        &suqian,
        "MS-D-02",
        2,
        json!([
        {"lot": mdf, "quantity": {"value": 60.0, "unit": "sheet"}}]),
    )
    .ok(201));

    // Consumption beyond receipt: Shaji received 300 plywood, consumed 50; 251 more is refused.
    let before = c.events();
    let d = batch(
        &shaji,
        "YP-B-02",
        1,
        json!([{"lot": ply, "quantity": {"value": 251.0, "unit": "sheet"}}]),
    )
    .problem(422);
    assert!(d.contains("250") && d.contains("251"), "{d}");
    // Consumption of a lot never shipped to that maker: MDF went only to Suqian. Shaji may
    // not read that lot, so it is told exactly what it is told of a lot that does not exist
    // (and nothing of its code, unit or time).
    let d = batch(
        &shaji,
        "YP-B-03",
        1,
        json!([{"lot": mdf, "quantity": {"value": 1.0, "unit": "sheet"}}]),
    )
    .problem(404);
    let missing = batch(
        &shaji,
        "YP-B-03",
        1,
        json!([{"lot": "lot_aaaaaaaaaaaaaaaaaaaaaaaaaa", "quantity": {"value": 1.0, "unit": "sheet"}}]),
    )
    .problem(404);
    assert_eq!(
        d.replace(mdf.as_str(), "ID"),
        missing.replace("lot_aaaaaaaaaaaaaaaaaaaaaaaaaa", "ID"),
        "a hidden lot reads like a missing one"
    );
    // Units must match.
    let r = batch(
        &suqian,
        "MS-W-09",
        1,
        json!([{"lot": ply, "quantity": {"value": 1.0, "unit": "kg"}}]),
    );
    assert!(r.problem(422).contains("sheet"));
    // Unknown lot: 404.
    batch(
        &suqian,
        "MS-W-10",
        1,
        json!([{"lot": "lot_999999", "quantity": {"value": 1.0, "unit": "sheet"}}]),
    )
    .problem(404);
    // The batch code is still free: the refused batches recorded nothing.
    assert_eq!(c.events(), before);

    // Listings on three platforms.
    let listing = |platform: &str, seller: &str, item: &str, batches: Value| {
        let k = if platform == jd {
            &kjd
        } else if platform == taobao {
            &ktb
        } else {
            &kpdd
        };
        k.post(
            "/api/v1/listings",
            &json!({"platform": platform, "seller": seller, "shop": "旗舰店", "item_id": item,
                    "url": format!("https://example.com/item/{item}"), "title": "家具", "batches": batches}),
        )
    };
    // A platform links a maker's batch only with the maker's say-so: before Suqian grants JD
    // that right, JD is told of the wardrobes exactly what it is told of a batch that does not
    // exist, nothing is recorded, and JD still may not read the batch.
    let before = c.events();
    let d = listing(&jd, &suqian, "JD-0", json!([wardrobes])).problem(404);
    assert!(!d.contains("made by") && !d.contains("MS-W"), "{d}");
    assert_eq!(c.events(), before);
    kjd.get(&format!("/api/v1/batches/{wardrobes}"))
        .problem(404);
    for (k, platform) in [(&ksq, &jd), (&ksq, &pdd), (&ksj, &taobao), (&ksj, &pdd)] {
        k.post("/api/v1/grants", &json!({"platform": platform}))
            .ok(201);
    }
    let jd_l = id(listing(&jd, &suqian, "JD-1", json!([wardrobes])).ok(201));
    let tb_l = id(listing(&taobao, &shaji, "TB-1", json!([shelves])).ok(201));
    let pdd_l = id(listing(&pdd, &shaji, "PDD-1", json!([shelves])).ok(201));
    let pdd_desk = id(listing(&pdd, &suqian, "PDD-2", json!([desks])).ok(201));
    // Same item id on the same platform: 409; a batch of another maker: as unknown, 404.
    listing(&jd, &suqian, "JD-1", json!([])).problem(409);
    listing(&jd, &suqian, "JD-2", json!([shelves])).problem(404);
    assert_eq!(
        c.get(&format!("/api/v1/listings/{jd_l}")).ok(200)["status"],
        "active"
    );

    // Upstream from a wardrobe unit: exactly its batch, the plywood and MDF lots, both mills.
    let up = c.get(&format!("/api/v1/trace/upstream/{unit}"));
    let up = up.ok(200);
    assert_eq!(
        set(&up["nodes"], "id"),
        strs(&[&unit, &wardrobes, &ply, &mdf, &mill_a, &mill_b])
    );
    assert_eq!(set(&up["suppliers"], "id"), strs(&[&mill_a, &mill_b]));
    let edges: BTreeSet<(String, String, String)> = up["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap().into(),
                e["to"].as_str().unwrap().into(),
                e["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(edges.contains(&(ply.clone(), wardrobes.clone(), "input".into())));
    assert!(edges.contains(&(wardrobes.clone(), unit.clone(), "unit".into())));
    assert!(edges.contains(&(mill_a.clone(), ply.clone(), "produced".into())));

    // Upstream from a shelf listing goes through the intermediate lot to mill A only.
    let up = c.get(&format!("/api/v1/trace/upstream/{tb_l}"));
    assert_eq!(set(&up.ok(200)["suppliers"], "id"), strs(&[&mill_a]));
    assert_eq!(
        set(&up.body["nodes"], "id"),
        strs(&[&tb_l, &shelves, &panels, &pb, &ply, &mill_a, &shaji])
    );
    let panel_edge = up.body["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["from"] == pb.as_str() && e["to"] == panels.as_str())
        .expect("pb → panels edge");
    assert_eq!(
        panel_edge["quantity"],
        json!({"value": 200.0, "unit": "sheet"})
    );

    // Downstream from mill A: the JD, Taobao and Pinduoduo shelf listings, not the desk one.
    let down = c.get(&format!("/api/v1/trace/downstream/{mill_a}?limit=1000"));
    let down = down.ok(200);
    assert_eq!(
        set(&down["page"]["items"], "id"),
        strs(&[&jd_l, &tb_l, &pdd_l])
    );
    assert_eq!(down["listings"]["total"], 3);
    assert_eq!(
        set(&down["listings"]["by_platform"], "platform"),
        strs(&[&jd, &taobao, &pdd])
    );
    assert_eq!(down["batch_count"], 2);
    assert_eq!(down["unit_count"], 8);
    // Downstream from the MDF lot: the wardrobe (JD) and desk (Pinduoduo) listings.
    let down = c.get(&format!("/api/v1/trace/downstream/{mdf}"));
    assert_eq!(
        set(&down.ok(200)["page"]["items"], "id"),
        strs(&[&jd_l, &pdd_desk])
    );
    // Downstream from mill B: same two; per platform counts.
    let down = c.get(&format!("/api/v1/trace/downstream/{mill_b}"));
    let by: Vec<(String, u64)> = down.ok(200)["listings"]["by_platform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["platform"].as_str().unwrap().to_string(),
                p["listings"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by, vec![(jd.clone(), 1), (pdd.clone(), 1)]);

    // Paging: one listing per page, following cursors, visits every listing exactly once.
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/trace/downstream/{mill_a}?limit=1");
    loop {
        let page = c.get(&path);
        let page = page.ok(200);
        for it in page["page"]["items"].as_array().unwrap() {
            seen.push(it["id"].as_str().unwrap().to_string());
        }
        match page["page"]["next_cursor"].as_str() {
            Some(cur) => path = format!("/api/v1/trace/downstream/{mill_a}?limit=1&cursor={cur}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen.iter().cloned().collect::<BTreeSet<_>>(),
        strs(&[&jd_l, &tb_l, &pdd_l])
    );

    // Linking the desk batch to the JD listing is seller-checked and idempotent.
    let r = kjd.post(
        &format!("/api/v1/listings/{jd_l}/batches"),
        &json!({"batches": [desks]}),
    );
    assert_eq!(r.ok(200)["batches"].as_array().unwrap().len(), 2);
    assert_eq!(r.header("x-boardtrail-changed"), Some("true"));
    let before = c.events();
    let r = kjd.post(
        &format!("/api/v1/listings/{jd_l}/batches"),
        &json!({"batches": [desks]}),
    );
    assert_eq!(r.header("x-boardtrail-changed"), Some("false"));
    assert_eq!(c.events(), before);

    // The event log records every write in order, with the acting party and key.
    let evs = c.get("/api/v1/events?limit=1000");
    let evs = evs.ok(200)["events"].as_array().unwrap().clone();
    assert_eq!(evs.len() as u64, c.events());
    assert_eq!(evs[0]["kind"], "party_registered");
    assert_eq!(evs[0]["actor_key"], "operator");
    let lots: Vec<&Value> = evs
        .iter()
        .filter(|e| e["kind"] == "lot_registered")
        .collect();
    assert_eq!(lots[0]["actor_party"], mill_a.as_str());
    assert!(lots
        .iter()
        .all(|e| e["actor_key"].as_str().unwrap().starts_with("key_")));

    // The events of one record, for whoever may read it: how it was created and changed.
    let kinds = |k: &Client, id: &str| -> Vec<String> {
        k.get(&format!("/api/v1/events?subject={id}")).ok(200)["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        kinds(&kjd, &jd_l),
        vec!["listing_created", "listing_batches_linked"]
    );
    assert_eq!(kinds(&ka, &ply), vec!["lot_registered"]);
    assert_eq!(kinds(&c, &unit), vec!["batch_produced"]);
    assert_eq!(kinds(&c, &mill_b), vec!["party_registered"]);
    ktb.get(&format!("/api/v1/events?subject={jd_l}"))
        .problem(404);
    ktb.get("/api/v1/events").problem(403);

    // The mill's own key cannot act for the other mill or read its lot.
    lot(&ka, &mill_b, "FORGED", "mdf", "E0", 1.0, json!([])).problem(403);
    ka.get(&format!("/api/v1/lots/{mdf}")).problem(404);
    // The Taobao key cannot read the JD listing.
    ktb.get(&format!("/api/v1/listings/{jd_l}")).problem(404);
    // The JD key finds the producer of its listing upstream.
    let up = kjd.get(&format!("/api/v1/trace/upstream/{jd_l}"));
    assert_eq!(
        set(&up.ok(200)["suppliers"], "id"),
        strs(&[&mill_a, &mill_b])
    );
}
