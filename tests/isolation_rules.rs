//! The isolation rules one by one: consent for listing links, who issues keys, read-only
//! keys, who acts on a case, the downstream horizon, events by subject, CSV cells, ids that
//! reveal no count, and what `/healthz` tells a stranger.

mod common;

use common::{id, Client, TestServer};
use serde_json::{json, Value};

fn key(op: &Client, party: &str) -> Client {
    let r = op.post(&format!("/api/v1/parties/{party}/keys"), &json!({}));
    op.with_token(r.ok(201)["token"].as_str())
}

fn qty(v: f64) -> Value {
    json!({"value": v, "unit": "sheet"})
}

/// A mill, a maker with a batch of the mill's plywood, two platforms: (mill, maker, jd,
/// pdd, their keys, lot, batch).
struct Chain {
    mill: String,
    maker: String,
    jd: String,
    pdd: String,
    kmill: Client,
    kmaker: Client,
    kjd: Client,
    kpdd: Client,
    lot: String,
    batch: String,
}

fn chain(op: &Client) -> Chain {
    let mill = op.party("临沂鑫源板材", "supplier", "91371300MA3C1A0X1", "临沂");
    let maker = op.party("宿迁木森家具", "manufacturer", "91321300MA1M3C0P3", "宿迁");
    let jd = op.party("京东", "platform", "91110302MA0C5E0R5", "北京");
    let pdd = op.party("拼多多", "platform", "91310000MA1G7G0U7", "上海");
    let (kmill, kmaker, kjd, kpdd) = (key(op, &mill), key(op, &maker), key(op, &jd), key(op, &pdd));
    let lot = id(kmill
        .post(
            "/api/v1/lots",
            &json!({"producer": mill, "lot_code": "PLY-1", "material": "plywood", "formaldehyde_class": "E0",
            "quantity": qty(500.0), "produced_at": "2026-03-01T00:00:00Z"}),
        )
        .ok(201));
    kmill
        .post(
            "/api/v1/shipments",
            &json!({"lot": lot, "from": mill, "to": maker, "quantity": qty(200.0), "shipped_at": "2026-03-02T00:00:00Z"}),
        )
        .ok(201);
    let batch = new_batch(&kmaker, &maker, &lot, "W-1");
    Chain {
        mill,
        maker,
        jd,
        pdd,
        kmill,
        kmaker,
        kjd,
        kpdd,
        lot,
        batch,
    }
}

fn new_batch(k: &Client, maker: &str, lot: &str, code: &str) -> String {
    id(k.post(
        "/api/v1/batches",
        &json!({"manufacturer": maker, "batch_code": code, "product": {"name": "衣柜", "model": "YG"},
        "quantity": 2, "serials": true, "produced_at": "2026-03-05T00:00:00Z",
        "inputs": [{"lot": lot, "quantity": qty(5.0)}]}),
    )
    .ok(201))
}

fn listing(k: &Client, platform: &str, seller: &str, item: &str, batches: Value) -> Value {
    k.post(
        "/api/v1/listings",
        &json!({"platform": platform, "seller": seller, "shop": "木森旗舰店", "item_id": item,
        "url": format!("https://item.jd.com/{item}.html"), "title": "衣柜", "batches": batches}),
    )
    .body
}

#[test]
fn a_platform_links_a_batch_only_with_the_sellers_consent() {
    let srv = TestServer::start();
    let op = srv.client();
    let c = chain(&op);
    let events = |op: &Client| op.get("/healthz").body["events"].as_u64().unwrap();

    // Without a grant: the batch is unknown to JD, in a new listing and in a link alike.
    let before = events(&op);
    let r = c.kjd.post(
        "/api/v1/listings",
        &json!({"platform": c.jd, "seller": c.maker, "shop": "s", "item_id": "1", "url": "https://item.jd.com/1.html",
        "title": "t", "batches": [c.batch]}),
    );
    let hidden = r.problem(404);
    let fake = format!("bat_{}", "q".repeat(26));
    let r2 = c.kjd.post(
        "/api/v1/listings",
        &json!({"platform": c.jd, "seller": c.maker, "shop": "s", "item_id": "1", "url": "https://item.jd.com/1.html",
        "title": "t", "batches": [fake]}),
    );
    assert_eq!(
        hidden.replace(&c.batch, "ID"),
        r2.problem(404).replace(&fake, "ID")
    );
    assert_eq!(events(&op), before, "a refused link records nothing");
    // An empty listing is the platform's own business; linking to it is not.
    let l = id(&listing(&c.kjd, &c.jd, &c.maker, "2", json!([])));
    c.kjd
        .post(
            &format!("/api/v1/listings/{l}/batches"),
            &json!({"batches": [c.batch]}),
        )
        .problem(404);
    c.kjd
        .get(&format!("/api/v1/batches/{}", c.batch))
        .problem(404);
    let up = c.kjd.get(&format!("/api/v1/trace/upstream/{l}"));
    assert!(!up.ok(200).to_string().contains(&c.batch), "{}", up.text);
    assert!(!up.text.contains(&c.lot));

    // The seller links its own batch to JD's listing: JD may now read it.
    let r = c.kmaker.post(
        &format!("/api/v1/listings/{l}/batches"),
        &json!({"batches": [c.batch]}),
    );
    assert_eq!(r.ok(200)["batches"], json!([c.batch]));
    c.kjd.get(&format!("/api/v1/batches/{}", c.batch)).ok(200);
    let up = c.kjd.get(&format!("/api/v1/trace/upstream/{l}"));
    assert!(up.ok(200).to_string().contains(&c.lot));

    // A standing grant lets JD link the maker's other batches; PDD is not covered by it.
    let second = new_batch(&c.kmaker, &c.maker, &c.lot, "W-2");
    let g = c.kmaker.post("/api/v1/grants", &json!({"platform": c.jd}));
    let grant = id(g.ok(201));
    assert_eq!(g.body["active"], true);
    c.kmaker
        .post("/api/v1/grants", &json!({"platform": c.jd}))
        .problem(409);
    c.kjd
        .post(
            &format!("/api/v1/listings/{l}/batches"),
            &json!({"batches": [second]}),
        )
        .ok(200);
    let pl = id(&listing(&c.kpdd, &c.pdd, &c.maker, "P-1", json!([])));
    c.kpdd
        .post(
            &format!("/api/v1/listings/{pl}/batches"),
            &json!({"batches": [second]}),
        )
        .problem(404);
    // Both sides see the grant; PDD does not.
    assert_eq!(
        c.kjd.get("/api/v1/grants").ok(200)["grants"][0]["id"],
        grant.as_str()
    );
    assert_eq!(
        c.kmaker.get("/api/v1/grants").ok(200)["grants"][0]["id"],
        grant.as_str()
    );
    assert_eq!(c.kpdd.get("/api/v1/grants").ok(200)["grants"], json!([]));
    // Only the seller revokes: JD is refused (it may see the grant), PDD told nothing.
    c.kjd
        .delete(&format!("/api/v1/grants/{grant}"))
        .problem(403);
    c.kpdd
        .delete(&format!("/api/v1/grants/{grant}"))
        .problem(404);
    let r = c.kmaker.delete(&format!("/api/v1/grants/{grant}"));
    assert_eq!(r.ok(200)["active"], false);
    assert!(r.body["revoked_at"].is_string());
    // After the revocation JD links nothing more; what was linked stays.
    let third = new_batch(&c.kmaker, &c.maker, &c.lot, "W-3");
    c.kjd
        .post(
            &format!("/api/v1/listings/{l}/batches"),
            &json!({"batches": [third]}),
        )
        .problem(404);
    c.kjd.get(&format!("/api/v1/batches/{third}")).problem(404);
    c.kjd.get(&format!("/api/v1/batches/{second}")).ok(200);
    // Revoking again changes nothing.
    let n = events(&op);
    c.kmaker.delete(&format!("/api/v1/grants/{grant}")).ok(200);
    assert_eq!(events(&op), n);
}

#[test]
fn keys_are_issued_by_whom_they_should_be_and_read_only_keys_write_nothing() {
    let srv = TestServer::start();
    let op = srv.client();
    let xuzhou = op.party("徐州市监局", "regulator", "11320300MB1H8H0W8", "徐州");
    let linyi = op.party("临沂市监局", "regulator", "11371300MB1K0K0Y0", "临沂");
    let lab = op.party("沙集检测站", "lab", "12320324MB1M2M0B2", "徐州");
    let c = chain(&op);
    let kx = key(&op, &xuzhou);
    // A bureau cannot mint a key for another bureau, a lab or a platform.
    for p in [&linyi, &xuzhou, &lab, &c.jd] {
        kx.post(&format!("/api/v1/parties/{p}/keys"), &json!({}))
            .problem(403);
    }
    // Nor register one.
    let d = kx
        .post(
            "/api/v1/parties",
            &json!({"name": "假临沂局", "role": "regulator", "uscc": common::uscc("11371300MB1K1K0Y1"), "city": "临沂"}),
        )
        .problem(403);
    assert!(d.contains("operator"), "{d}");
    // It does for the mills and makers it supervises.
    kx.post(&format!("/api/v1/parties/{}/keys", c.mill), &json!({}))
        .ok(201);
    // Every party lists and revokes its own keys, not another's.
    let own = c.kmill.get(&format!("/api/v1/parties/{}/keys", c.mill));
    assert!(own.ok(200)["keys"].as_array().unwrap().len() >= 2);
    c.kmaker
        .get(&format!("/api/v1/parties/{}/keys", c.mill))
        .problem(403);
    let spare = id(op
        .post(&format!("/api/v1/parties/{}/keys", c.maker), &json!({}))
        .ok(201));
    c.kmill
        .delete(&format!("/api/v1/keys/{spare}"))
        .problem(404);
    c.kmaker.delete(&format!("/api/v1/keys/{spare}")).ok(204);

    // A read-only key reads like its party and writes nothing.
    let ro = op.post(
        &format!("/api/v1/parties/{}/keys", c.maker),
        &json!({"read_only": true}),
    );
    assert_eq!(ro.ok(201)["read_only"], true);
    let kro = op.with_token(ro.body["token"].as_str());
    kro.get(&format!("/api/v1/batches/{}", c.batch)).ok(200);
    let before = op.get("/healthz").body["events"].as_u64().unwrap();
    let d = kro
        .post(
            "/api/v1/batches",
            &json!({"manufacturer": c.maker, "batch_code": "RO-1", "product": {"name": "n", "model": "m"},
            "quantity": 1, "produced_at": "2026-03-05T00:00:00Z", "inputs": [{"lot": c.lot, "quantity": qty(1.0)}]}),
        )
        .problem(403);
    assert!(d.contains("read-only"), "{d}");
    kro.post("/api/v1/grants", &json!({"platform": c.jd}))
        .problem(403);
    kro.delete(&format!("/api/v1/keys/{}", id(&ro.body)))
        .problem(403);
    assert_eq!(op.get("/healthz").body["events"].as_u64().unwrap(), before);
    op.post(
        &format!("/api/v1/parties/{}/keys", c.maker),
        &json!({"read_only": "yes"}),
    )
    .problem(400);
}

#[test]
fn only_the_bureaus_working_on_a_case_act_on_it() {
    let srv = TestServer::start();
    let op = srv.client();
    let xuzhou = op.party("徐州市监局", "regulator", "11320300MB1H8H0W8", "徐州");
    let linyi = op.party("临沂市监局", "regulator", "11371300MB1K0K0Y0", "临沂");
    let suqian = op.party("宿迁市监局", "regulator", "11321300MB1J9J0X9", "宿迁");
    let (kx, kl, ks) = (key(&op, &xuzhou), key(&op, &linyi), key(&op, &suqian));
    let case = id(kx
        .post(
            "/api/v1/cases",
            &json!({"title": "板材线索", "opened_by": xuzhou}),
        )
        .ok(201));
    // Linyi reads it, but may not close, annotate or move Xuzhou's case.
    kl.get(&format!("/api/v1/cases/{case}")).ok(200);
    let close = json!({"status": "closed", "note": "结案"});
    kl.post(&format!("/api/v1/cases/{case}/notes"), &close)
        .problem(403);
    kl.post(
        &format!("/api/v1/cases/{case}/transfer"),
        &json!({"to": linyi, "note": "我来"}),
    )
    .problem(403);
    kl.post(
        &format!("/api/v1/cases/{case}/notes"),
        &json!({"join": linyi}),
    )
    .problem(403);
    // Xuzhou hands it to Linyi: now Linyi acts on it and Xuzhou no longer does.
    kx.post(
        &format!("/api/v1/cases/{case}/transfer"),
        &json!({"to": linyi, "note": "移交"}),
    )
    .ok(200);
    kx.post(&format!("/api/v1/cases/{case}/notes"), &close)
        .problem(403);
    assert_eq!(
        kl.post(&format!("/api/v1/cases/{case}/notes"), &close)
            .ok(200)["status"],
        "closed"
    );

    // A joint case: Suqian is invited and acts once it accepts; Linyi was never invited.
    let joint = kx.post(
        "/api/v1/cases",
        &json!({"title": "联合抽查", "opened_by": xuzhou, "bureaus": [suqian]}),
    );
    assert_eq!(joint.ok(201)["kind"], "joint");
    assert_eq!(joint.body["invited"], json!([suqian]));
    let joint = id(&joint.body);
    let note = json!({"note": "抽样完成"});
    ks.post(&format!("/api/v1/cases/{joint}/notes"), &note)
        .problem(403);
    kl.post(
        &format!("/api/v1/cases/{joint}/notes"),
        &json!({"join": linyi}),
    )
    .problem(403);
    let r = ks.post(
        &format!("/api/v1/cases/{joint}/notes"),
        &json!({"join": suqian, "note": "接受"}),
    );
    assert_eq!(r.ok(200)["bureaus"], json!([xuzhou, suqian]));
    assert_eq!(r.body["invited"], json!([]));
    ks.post(&format!("/api/v1/cases/{joint}/notes"), &note)
        .ok(200);
    // Non-bureaus are told nothing of cases.
    let c = chain(&op);
    c.kjd.get(&format!("/api/v1/cases/{joint}")).problem(404);
}

#[test]
fn a_party_sees_whom_it_shipped_to_not_its_customers_goods() {
    let srv = TestServer::start();
    let op = srv.client();
    let c = chain(&op);
    // The Suqian maker cuts panels and ships them on to a Shaji maker, who makes and lists.
    let shaji = op.party(
        "沙集优品家具",
        "manufacturer",
        "92320324MA1N4D0Q4",
        "徐州睢宁",
    );
    let kshaji = key(&op, &shaji);
    let panels = id(c
        .kmaker
        .post(
            "/api/v1/lots",
            &json!({"producer": c.maker, "lot_code": "PANEL-1", "material": "plywood", "formaldehyde_class": "E0",
            "quantity": qty(40.0), "produced_at": "2026-03-06T00:00:00Z",
            "inputs": [{"lot": c.lot, "quantity": qty(20.0)}]}),
        )
        .ok(201));
    c.kmaker
        .post(
            "/api/v1/shipments",
            &json!({"lot": panels, "from": c.maker, "to": shaji, "quantity": qty(30.0), "shipped_at": "2026-03-07T00:00:00Z"}),
        )
        .ok(201);
    let shelves = id(kshaji
        .post(
            "/api/v1/batches",
            &json!({"manufacturer": shaji, "batch_code": "SJ-1", "product": {"name": "书架", "model": "SJ"},
            "quantity": 5, "produced_at": "2026-03-08T00:00:00Z", "inputs": [{"lot": panels, "quantity": qty(10.0)}]}),
        )
        .ok(201));
    kshaji
        .post("/api/v1/grants", &json!({"platform": c.pdd}))
        .ok(201);
    listing(&c.kpdd, &c.pdd, &shaji, "P-9", json!([shelves]));

    for root in [&panels, &c.maker] {
        let r = c
            .kmaker
            .get(&format!("/api/v1/trace/downstream/{root}?items=batches"));
        let v = r.ok(200);
        assert_eq!(v["scope"], "own", "{root}");
        let to: Vec<&str> = v["shipped_to"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["party"].as_str().unwrap())
            .collect();
        assert_eq!(to, vec![shaji.as_str()], "{}", r.text);
        assert!(
            !r.text.contains(&shelves),
            "the customer's batch: {}",
            r.text
        );
        assert_eq!(v["listings"]["total"], 0, "{}", r.text);
    }
    // The mill: the same rule, one step further up.
    let r = c.kmill.get(&format!("/api/v1/trace/downstream/{}", c.mill));
    assert_eq!(r.ok(200)["scope"], "own");
    assert_eq!(r.body["shipped_to"][0]["party"], c.maker.as_str());
    assert_eq!(r.body["batch_count"], 0);
    // A regulator sees everything downstream.
    let reg = op.party("徐州市监局", "regulator", "11320300MB1H8H0W8", "徐州");
    let kreg = key(&op, &reg);
    let r = kreg.get(&format!("/api/v1/trace/downstream/{panels}?items=batches"));
    assert_eq!(r.ok(200)["scope"], "full");
    assert!(r.text.contains(&shelves));
}

#[test]
fn events_name_only_what_the_caller_may_read() {
    let srv = TestServer::start();
    let op = srv.client();
    let c = chain(&op);
    c.kmaker
        .post("/api/v1/grants", &json!({"platform": c.jd}))
        .ok(201);
    c.kmaker
        .post("/api/v1/grants", &json!({"platform": c.pdd}))
        .ok(201);
    listing(&c.kjd, &c.jd, &c.maker, "J-1", json!([c.batch]));
    listing(&c.kpdd, &c.pdd, &c.maker, "P-1", json!([c.batch]));
    op.post(
        &format!("/api/v1/parties/{}/compliance", c.mill),
        &json!({"status": "noncompliant", "reason": "甲醛超标"}),
    )
    .ok(200);
    let bulk = op.post(
        "/api/v1/actions/bulk",
        &json!({"supplier": c.mill, "kind": "suspend", "reason": "不合格板材"}),
    );
    let actions: Vec<String> = bulk.ok(201)["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(actions.len(), 2);
    let queue = c.kjd.get("/api/v1/actions");
    let mine = queue.ok(200)["actions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let theirs: Vec<&String> = actions.iter().filter(|a| **a != mine).collect();
    let evs = c.kjd.get(&format!("/api/v1/events?subject={mine}"));
    let text = evs.ok(200).to_string();
    assert!(text.contains(&mine), "{text}");
    for t in theirs {
        assert!(
            !text.contains(t.as_str()),
            "another platform's action: {text}"
        );
    }
    // Key ids of other parties are not shown; the caller's own are.
    for e in evs.body["events"].as_array().unwrap() {
        assert!(e.get("actor_key").is_none(), "{e}");
    }
    let own = c.kmaker.get(&format!("/api/v1/events?subject={}", c.batch));
    assert!(
        own.ok(200)["events"][0]["actor_key"].is_string(),
        "{}",
        own.text
    );
}

#[test]
fn spreadsheet_cells_that_would_be_formulas_are_text() {
    let srv = TestServer::start();
    let op = srv.client();
    let c = chain(&op);
    c.kmaker
        .post("/api/v1/grants", &json!({"platform": c.jd}))
        .ok(201);
    let evil = [
        (
            "=HYPERLINK(\"http://evil.example/\",\"点击\")",
            "+1+1",
            "-2+3",
        ),
        ("@SUM(A1:A9)", "\t=1", "\r=2"),
    ];
    for (i, (shop, item, title)) in evil.iter().enumerate() {
        c.kjd
            .post(
                "/api/v1/listings",
                &json!({"platform": c.jd, "seller": c.maker, "shop": format!("{shop}{i}"), "item_id": format!("{item}{i}"),
                "url": "https://item.jd.com/1.html", "title": title, "batches": [c.batch]}),
            )
            .ok(201);
    }
    op.post(
        &format!("/api/v1/parties/{}/compliance", c.mill),
        &json!({"status": "noncompliant", "reason": "r"}),
    )
    .ok(200);
    let (status, _, body) = op.get_bytes(
        &format!(
            "/api/v1/compliance/affected-listings?supplier={}&format=csv",
            c.mill
        ),
        &[],
    );
    assert_eq!(status, 200);
    let text = String::from_utf8(body).unwrap();
    let mut rdr =
        csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut cells = 0;
    for rec in rdr.records() {
        for cell in rec.unwrap().iter() {
            cells += 1;
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a formula cell: {cell:?} in {text}"
            );
        }
    }
    assert!(cells >= 18, "{text}");
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(text.contains("'+1+1") && text.contains("'@SUM"), "{text}");
}

#[test]
fn ids_reveal_no_order_or_count_and_healthz_no_numbers() {
    let srv = TestServer::start();
    let op = srv.client();
    let c = chain(&op);
    let lot = |code: &str| {
        id(c.kmill
            .post(
                "/api/v1/lots",
                &json!({"producer": c.mill, "lot_code": code, "material": "mdf", "formaldehyde_class": "E1",
                "quantity": qty(1.0), "produced_at": "2026-03-01T00:00:00Z"}),
            )
            .ok(201))
    };
    let (a, b) = (lot("N-1"), lot("N-2"));
    let (ra, rb) = (&a["lot_".len()..], &b["lot_".len()..]);
    assert_eq!(ra.len(), 26);
    let same = ra.bytes().zip(rb.bytes()).filter(|(x, y)| x == y).count();
    assert!(same < 8, "{a} and {b} look related");
    let common_prefix = ra
        .bytes()
        .zip(rb.bytes())
        .take_while(|(x, y)| x == y)
        .count();
    assert!(common_prefix < 4, "{a} and {b} share a prefix");
    assert!(!a.chars().any(|ch| ch.is_ascii_uppercase()));
    // The same record under another prefix is no id at all.
    op.get(&format!("/api/v1/batches/bat_{ra}")).problem(404);

    // /healthz: up, and nothing else for anyone but the bureaus and the operator.
    let anon = op.with_token(None).get("/healthz");
    assert_eq!(anon.ok(200), &json!({"status": "ok"}));
    assert_eq!(c.kmill.get("/healthz").body, json!({"status": "ok"}));
    let full = op.get("/healthz");
    assert!(full.ok(200)["events"].as_u64().unwrap() > 0);
}
