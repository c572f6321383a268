//! Tenant isolation, black-box. Tenant B (a mill, a maker, the platform that lists B's
//! goods, a reseller that received some of them) records a little of everything with
//! unique marker strings in every text field, and odd quantities and times: goods shipped
//! to the reseller, its listing and a corrected sale, a bureau's request to B's platform
//! and its answer (with data and an attachment), a sample bought on B's platform; the
//! maker's licence, trademark and certificate, B's platform's check of it, its listing's
//! claims, and the bureau's sampling plan for B's goods with a sample under it. Then
//! every API route is run as every other non-regulator tenant (a mill, a maker, a platform,
//! a reseller and a lab with no dealings with B), with B's ids of
//! every kind in every id slot, and with ids that do not exist:
//! - no response contains a B marker, nor any B record id the request did not name;
//! - the response for a B id equals the response for a missing id of the same kind
//!   (status and body, the echoed id aside);
//! - nothing is recorded.
//!
//! Party registration data (name, role, USCC, city) is the public directory, so parties
//! are the one kind whose existence every signed-in caller may know.

mod common;

use common::{id, uscc, Client, Resp, TestServer};
use serde_json::{json, Value};

/// In every text field of B's records.
const MARK: &str = "ZQXMARKB";
/// B's quantities and times: no other tenant may learn them either.
const B_NUMBERS: [&str; 4] = ["777.125", "333.375", "04:05:06.789", "06:07:08.901"];

const KINDS: [&str; 22] = [
    "pty", "lot", "shp", "bat", "unt", "lst", "key", "ins", "dec", "act", "case", "gnt", "cpl",
    "gds", "sal", "req", "ord", "qlf", "chk", "clm", "pln", "pls",
];

/// B's maker's USCC (its first 17 characters): its licence carries it.
const MAKER_B_USCC17: &str = "91321300MA1M9C0P9";
/// The number of B's trademark registration (in its `reg_no`, after the marker).
const B_REG_NO: &str = "REG-4711";
/// B's licence expired on this day; its trademark runs to the other.
const B_LICENCE_TO: &str = "2026-02-03";
const B_MARK_TO: &str = "2033-06-29";

/// The marked file attached to the answer of B's request: `{MARK} attachment`.
const MARKED_FILE: &str = "WlFYTUFSS0IgYXR0YWNobWVudA==";

struct B {
    /// (kind prefix, id) of every record of B but its parties.
    records: Vec<(String, String)>,
    maker: String,
    platform: String,
    /// B's reseller.
    distributor: String,
    /// The bureau (not B's: every tenant's), which drafted B's plan.
    regulator: String,
}

impl B {
    /// B's record of `kind` (the `nth` of them).
    fn nth(&self, kind: &str, nth: usize) -> &str {
        self.records
            .iter()
            .filter(|(k, _)| k == kind)
            .nth(nth)
            .map(|(_, i)| i.as_str())
            .unwrap_or_else(|| panic!("no {kind} #{nth} of B"))
    }
}

/// The subject of the newest event, as the operator reads the log.
fn last_subject(op: &Client) -> String {
    let evs = op.get("/api/v1/events?limit=1000");
    evs.ok(200)["events"]
        .as_array()
        .and_then(|e| e.last())
        .and_then(|e| e["subject"].as_str())
        .unwrap_or_else(|| panic!("no event in {}", evs.text))
        .to_string()
}

struct Caller {
    name: &'static str,
    client: Client,
    party: String,
    /// A listing the caller may change (platforms, makers and resellers).
    listing: Option<String>,
    /// A batch of the other tenants' maker (a subject any lab may name).
    batch: String,
}

fn server() -> TestServer {
    TestServer::start_with(tempfile::tempdir().expect("tempdir"), |cfg| {
        cfg.rate_limit = boardtrail::auth::RateLimit {
            per_second: 0.0,
            burst: 0.0,
        };
        cfg.complaint_limit.per_second = 0.0;
        cfg.complaint_code_limit.per_second = 0.0;
    })
}

fn key(op: &Client, party: &str) -> Client {
    let r = op.post(&format!("/api/v1/parties/{party}/keys"), &json!({}));
    op.with_token(r.ok(201)["token"].as_str())
}

/// B's world, every text marked.
fn tenant_b(op: &Client, regulator: &str, lab: &str) -> B {
    let mill = op.party("Mill B", "supplier", "91371300MA3C9B0Y9", "临沂");
    let maker = op.party("Maker B", "manufacturer", "91321300MA1M9C0P9", "宿迁");
    let platform = op.party("Platform B", "platform", "91330100MA2C9F0T9", "杭州");
    let distributor = op.party("Reseller B", "distributor", "92330100MA2D9E0F9", "杭州");
    let (kmill, kmaker) = (key(op, &mill), key(op, &maker));
    let (kplat, kdist, kreg) = (
        key(op, &platform),
        key(op, &distributor),
        key(op, regulator),
    );
    let records = std::cell::RefCell::new(Vec::new());
    let keep = |kind: &str, r: &Resp| {
        let i = id(r.ok(201));
        records.borrow_mut().push((kind.to_string(), i.clone()));
        i
    };
    let lot = keep(
        "lot",
        &kmill.post(
            "/api/v1/lots",
            &json!({"producer": mill, "lot_code": format!("{MARK}-LOT"), "material": "plywood",
            "formaldehyde_class": "E0", "quantity": {"value": 777.125, "unit": "sheet"},
            "produced_at": "2026-02-03T04:05:06.789Z", "gtin": "09506000134352"}),
        ),
    );
    keep(
        "shp",
        &kmill.post(
            "/api/v1/shipments",
            &json!({"lot": lot, "from": mill, "to": maker, "quantity": {"value": 333.375, "unit": "sheet"},
            "shipped_at": "2026-02-04T06:07:08.901Z"}),
        ),
    );
    let panels = keep(
        "lot",
        &kmaker.post(
            "/api/v1/lots",
            &json!({"producer": maker, "lot_code": format!("{MARK}-PANELS"), "material": "plywood",
            "formaldehyde_class": "E0", "quantity": {"value": 50.0, "unit": "sheet"},
            "produced_at": "2026-02-05T06:07:08.901Z",
            "inputs": [{"lot": lot, "quantity": {"value": 100.0, "unit": "sheet"}}]}),
        ),
    );
    let b = kmaker.post(
        "/api/v1/batches",
        &json!({"manufacturer": maker, "batch_code": format!("{MARK}-BAT"),
        "product": {"name": format!("{MARK} wardrobe"), "model": format!("{MARK}-M")},
        "quantity": 3, "serials": true, "produced_at": "2026-02-06T06:07:08.901Z",
        "inputs": [{"lot": panels, "quantity": {"value": 10.0, "unit": "sheet"}}]}),
    );
    let batch = keep("bat", &b);
    let unit = b.body["units"][0]["id"].as_str().expect("unit").to_string();
    records.borrow_mut().push(("unt".into(), unit));
    let grant = kmaker.post("/api/v1/grants", &json!({"platform": platform}));
    keep("gnt", &grant);
    let listing = keep(
        "lst",
        &kplat.post(
            "/api/v1/listings",
            &json!({"platform": platform, "seller": maker, "shop": format!("{MARK} shop"),
            "item_id": format!("{MARK}-ITEM"), "url": format!("https://example.com/{MARK}"),
            "title": format!("{MARK} 衣柜"), "batches": [batch]}),
        ),
    );
    let issued = op.post(&format!("/api/v1/parties/{maker}/keys"), &json!({}));
    keep("key", &issued);
    let insp = op.post(
        "/api/v1/inspections",
        &json!({"subject": batch, "lab": lab, "sampled_by": regulator,
        "report_no": format!("{MARK}-R1"), "sampled_at": "2026-02-07T06:07:08.901Z",
        "results": [{"item": "formaldehyde_emission", "value": 0.9, "unit": "mg/m3", "method": format!("{MARK} chamber")}]}),
    );
    keep("ins", &insp);
    let decl = op.post(
        &format!("/api/v1/parties/{mill}/compliance"),
        &json!({"status": "noncompliant", "reason": format!("{MARK} reason")}),
    );
    let d = decl.ok(200)["history"][0]["id"]
        .as_str()
        .expect("declaration")
        .to_string();
    records.borrow_mut().push(("dec".into(), d));
    keep(
        "act",
        &op.post(
            "/api/v1/actions",
            &json!({"listing": listing, "kind": "suspend", "reason": format!("{MARK} action")}),
        ),
    );
    keep(
        "case",
        &op.post(
            "/api/v1/cases",
            &json!({"title": format!("{MARK} case"), "opened_by": regulator, "subjects": [lot, batch],
            "note": format!("{MARK} note")}),
        ),
    );
    // A consumer's complaint about B's unit, marked in its text and contact, with a photo.
    let unit_id = records
        .borrow()
        .iter()
        .find(|(k, _)| k == "unt")
        .map(|(_, u)| u.clone())
        .expect("B's unit");
    let qr = op.get(&format!("/api/v1/units/{unit_id}"));
    let code = qr.body["qr"]["url"]
        .as_str()
        .expect("the unit's code")
        .to_string();
    op.with_token(None)
        .post(
            "/api/v1/complaints",
            &json!({"code": code, "text": format!("{MARK} complaint"), "contact": format!("{MARK} phone"),
            "photo": "/9j/4AAQSkZJRgABAQ=="}),
        )
        .ok(201);
    let cases = op.get("/api/v1/cases");
    let complaint = cases.body["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["kind"] == "complaint")
        .expect("B's complaint case")
        .clone();
    records
        .borrow_mut()
        .push(("case".into(), complaint["id"].as_str().unwrap().to_string()));
    records.borrow_mut().push((
        "cpl".into(),
        complaint["complaint"]["id"].as_str().unwrap().to_string(),
    ));
    // Two of the three wardrobes go to B's reseller, which lists them on B's platform and
    // links the batch it received; the platform reports a sale and corrects it, marked.
    keep(
        "gds",
        &kmaker.post(
            "/api/v1/goods-shipments",
            &json!({"batch": batch, "from": maker, "to": distributor, "pieces": 2,
            "shipped_at": "2026-02-08T06:07:08.901Z"}),
        ),
    );
    let resold = keep(
        "lst",
        &kplat.post(
            "/api/v1/listings",
            &json!({"platform": platform, "seller": distributor, "shop": format!("{MARK} resale"),
            "item_id": format!("{MARK}-ITEM-2"), "url": format!("https://example.com/{MARK}/2"),
            "title": format!("{MARK} 二手衣柜"), "batches": []}),
        ),
    );
    kdist
        .post(
            &format!("/api/v1/listings/{resold}/batches"),
            &json!({"batches": [batch]}),
        )
        .ok(200);
    let sale = keep(
        "sal",
        &kplat.post(
            "/api/v1/sales",
            &json!({"listing": resold, "day": "2026-02-09", "pieces": 2, "province": "浙江"}),
        ),
    );
    kplat
        .post(
            &format!("/api/v1/sales/{sale}/correction"),
            &json!({"pieces": 1, "note": format!("{MARK} correction")}),
        )
        .ok(200);
    // The bureau asks B's platform who made what its listing sells; the platform answers
    // with text, data and a file, all marked.
    let request = keep(
        "req",
        &kreg.post(
            "/api/v1/requests",
            &json!({"to": platform, "kind": "producer_tracing", "subjects": [listing],
            "question": format!("{MARK} question"),
            "due_at": (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339()}),
        ),
    );
    kplat
        .post(
            &format!("/api/v1/requests/{request}/answer"),
            &json!({"answer": format!("{MARK} answer"), "data": {"note": format!("{MARK} data")},
            "attachments": [{"name": format!("{MARK}.txt"), "media_type": "text/plain",
                "content_base64": MARKED_FILE}]}),
        )
        .ok(200);
    // A sample of B's batch bought on B's platform, its order not yet confirmed.
    let ordered = op.post(
        "/api/v1/inspections",
        &json!({"subject": batch, "lab": lab, "sampled_by": regulator,
        "report_no": format!("{MARK}-R2"), "sampled_at": "2026-02-10T06:07:08.901Z",
        "results": [{"item": "formaldehyde_emission", "value": 0.01, "unit": "mg/m3"}],
        "order": {"platform": platform, "listing": listing, "order_no": format!("{MARK}-ORDER"),
            "ordered_at": "2026-02-09T04:05:06.789Z", "price": 1299.5}}),
    );
    keep("ins", &ordered);
    let order = ordered.body["order"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("the sample's order in {}", ordered.text))
        .to_string();
    records.borrow_mut().push(("ord".into(), order));
    // The maker's qualifications: its licence (expired, so B's listings are flagged), its
    // mark (B's reseller may use it) and a certificate, every text marked.
    keep(
        "qlf",
        &kmaker.post(
            &format!("/api/v1/parties/{maker}/licences"),
            &json!({"uscc": uscc(MAKER_B_USCC17), "name": format!("{MARK} 家具有限公司"),
            "scope": format!("{MARK} scope"), "valid_from": "2016-01-01", "valid_to": B_LICENCE_TO}),
        ),
    );
    keep(
        "qlf",
        &kmaker.post(
            &format!("/api/v1/parties/{maker}/trademarks"),
            &json!({"reg_no": format!("{MARK}-{B_REG_NO}"), "mark": format!("{MARK}牌"), "class": 20,
            "valid_to": B_MARK_TO, "authorised": [distributor]}),
        ),
    );
    keep(
        "qlf",
        &kmaker.post(
            &format!("/api/v1/parties/{maker}/certificates"),
            &json!({"kind": format!("{MARK} CQC"), "number": format!("{MARK}-CERT"),
            "body": format!("{MARK} body"), "valid_to": "2030-01-01"}),
        ),
    );
    // B's platform checked the maker on entry; the re-check is overdue.
    keep(
        "chk",
        &kplat.post(
            &format!("/api/v1/parties/{maker}/checks"),
            &json!({"kind": "entry", "result": "pass", "checked_at": "2026-02-11T06:07:08.901Z",
            "next_due": "2026-03-01", "note": format!("{MARK} check")}),
        ),
    );
    // The listing claims what its plywood does not bear out (no formaldehyde, solid wood).
    kplat
        .post(
            &format!("/api/v1/listings/{listing}/claims"),
            &json!({"formaldehyde_class": format!("{MARK} 无醛 ENF"), "material": format!("{MARK} 实木"),
            "trademark": format!("{MARK}牌")}),
        )
        .ok(201);
    let claims = last_subject(op);
    assert!(claims.starts_with("clm_"), "{claims}");
    records.borrow_mut().push(("clm".into(), claims));
    // The bureau's plan for B's goods, and a sample of B's batch under it.
    let plan = keep(
        "pln",
        &kreg.post(
            "/api/v1/plans",
            &json!({"title": format!("{MARK} plan"), "period": {"from": "2026-02-01", "to": "2026-03-31"},
            "owners": [regulator], "quota": 3, "categories": [MARK]}),
        ),
    );
    keep(
        "ins",
        &op.post(
            "/api/v1/inspections",
            &json!({"subject": batch, "lab": lab, "sampled_by": regulator,
            "report_no": format!("{MARK}-R3"), "sampled_at": "2026-02-12T06:07:08.901Z",
            "results": [{"item": "formaldehyde_emission", "value": 0.02, "unit": "mg/m3"}],
            "plan": plan}),
        ),
    );
    let sample = last_subject(op)
        .split(',')
        .find(|s| s.starts_with("pls_"))
        .map(str::to_string)
        .expect("the plan sample among the inspection's records");
    records.borrow_mut().push(("pls".into(), sample));
    B {
        records: records.into_inner(),
        maker,
        platform,
        distributor,
        regulator: regulator.to_string(),
    }
}

/// The other tenants, each with a little of its own.
fn others(op: &Client) -> Vec<Caller> {
    let mill = op.party("Mill A", "supplier", "91371300MA3C1A0X1", "临沂");
    let maker = op.party("Maker A", "manufacturer", "91321300MA1M3C0P3", "宿迁");
    let platform = op.party("Platform A", "platform", "91110302MA0C5E0R5", "北京");
    let lab = op.party("Lab A", "lab", "12320324MB1M2M0B2", "徐州");
    let dist = op.party("Reseller A", "distributor", "92320100MA2D1E0F1", "南京");
    let (kmill, kmaker, kplat, klab, kdist) = (
        key(op, &mill),
        key(op, &maker),
        key(op, &platform),
        key(op, &lab),
        key(op, &dist),
    );
    let lot = id(kmill
        .post(
            "/api/v1/lots",
            &json!({"producer": mill, "lot_code": "A-LOT", "material": "mdf", "formaldehyde_class": "E1",
            "quantity": {"value": 100.0, "unit": "sheet"}, "produced_at": "2026-02-03T00:00:00Z"}),
        )
        .ok(201));
    kmill
        .post(
            "/api/v1/shipments",
            &json!({"lot": lot, "from": mill, "to": maker, "quantity": {"value": 50.0, "unit": "sheet"},
            "shipped_at": "2026-02-04T00:00:00Z"}),
        )
        .ok(201);
    let batch = id(kmaker
        .post(
            "/api/v1/batches",
            &json!({"manufacturer": maker, "batch_code": "A-BAT", "product": {"name": "desk", "model": "D"},
            "quantity": 2, "serials": true, "produced_at": "2026-02-06T00:00:00Z",
            "inputs": [{"lot": lot, "quantity": {"value": 5.0, "unit": "sheet"}}]}),
        )
        .ok(201));
    kmaker
        .post("/api/v1/grants", &json!({"platform": platform}))
        .ok(201);
    let listing = id(kplat
        .post(
            "/api/v1/listings",
            &json!({"platform": platform, "seller": maker, "shop": "A shop", "item_id": "A-1",
            "url": "https://example.com/a", "title": "desk", "batches": [batch]}),
        )
        .ok(201));
    // The reseller received a desk and sells it on platform A.
    kmaker
        .post(
            "/api/v1/goods-shipments",
            &json!({"batch": batch, "from": maker, "to": dist, "pieces": 1,
            "shipped_at": "2026-02-07T00:00:00Z"}),
        )
        .ok(201);
    let resold = id(kplat
        .post(
            "/api/v1/listings",
            &json!({"platform": platform, "seller": dist, "shop": "A resale", "item_id": "A-2",
            "url": "https://example.com/a2", "title": "desk", "batches": []}),
        )
        .ok(201));
    kdist
        .post(
            &format!("/api/v1/listings/{resold}/batches"),
            &json!({"batches": [batch]}),
        )
        .ok(200);
    vec![
        Caller {
            name: "supplier",
            client: kmill,
            party: mill,
            listing: None,
            batch: batch.clone(),
        },
        Caller {
            name: "manufacturer",
            client: kmaker,
            party: maker,
            listing: Some(listing.clone()),
            batch: batch.clone(),
        },
        Caller {
            name: "platform",
            client: kplat,
            party: platform,
            listing: Some(listing),
            batch: batch.clone(),
        },
        Caller {
            name: "lab",
            client: klab,
            party: lab,
            listing: None,
            batch: batch.clone(),
        },
        Caller {
            name: "distributor",
            client: kdist,
            party: dist,
            listing: Some(resold),
            batch,
        },
    ]
}

/// A well-formed id of `kind` that names nothing.
fn missing(kind: &str) -> String {
    format!("{kind}_{}", "q".repeat(26))
}

/// One request with `{ID}` standing for the id under test and `{ME}` for the caller.
struct Route {
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    /// A body that is not JSON: (content type, text).
    raw: Option<(&'static str, &'static str)>,
}

fn routes() -> Vec<Route> {
    let get = |path| Route {
        method: "GET",
        path,
        body: None,
        raw: None,
    };
    let post = |path, body: Value| Route {
        method: "POST",
        path,
        body: Some(body),
        raw: None,
    };
    let delete = |path| Route {
        method: "DELETE",
        path,
        body: None,
        raw: None,
    };
    let upload = |path, content_type, text| Route {
        method: "POST",
        path,
        body: None,
        raw: Some((content_type, text)),
    };
    let due = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
    let q = |v: f64| json!({"value": v, "unit": "sheet"});
    let licence = json!({"uscc": uscc(MAKER_B_USCC17), "name": "n", "scope": "s",
        "valid_from": "2016-01-01", "valid_to": "2036-01-01"});
    let trademark = json!({"reg_no": "X-{N}", "mark": "m", "class": 20, "valid_to": "2033-06-30"});
    let certificate =
        json!({"kind": "CQC", "number": "X-{N}", "body": "b", "valid_to": "2030-01-01"});
    let check = json!({"kind": "entry", "result": "pass", "checked_at": "2026-03-01T00:00:00Z",
        "next_due": "2027-03-01", "note": "n"});
    let planned = |sampled_by: &str, sampled_at: &str| {
        json!({"subject": "{A_BATCH}", "lab": "{ME}", "sampled_by": sampled_by, "report_no": "X-{N}",
            "sampled_at": sampled_at,
            "results": [{"item": "formaldehyde_emission", "value": 0.01, "unit": "mg/m3"}],
            "plan": "{ID}"})
    };
    vec![
        get("/healthz"),
        get("/api/v1/me"),
        get("/api/v1/parties"),
        post(
            "/api/v1/parties",
            json!({"name": "n", "role": "supplier", "uscc": "91371300MA3C1A0X1", "city": "c"}),
        ),
        get("/api/v1/parties/{ID}"),
        post("/api/v1/parties/{ID}/keys", json!({})),
        get("/api/v1/parties/{ID}/keys"),
        delete("/api/v1/keys/{ID}"),
        post("/api/v1/grants", json!({"platform": "{ID}"})),
        post(
            "/api/v1/grants",
            json!({"platform": "{ME}", "seller": "{ID}"}),
        ),
        get("/api/v1/grants"),
        delete("/api/v1/grants/{ID}"),
        post(
            "/api/v1/lots",
            json!({"producer": "{ME}", "lot_code": "X-{N}", "material": "mdf", "formaldehyde_class": "E1",
                "quantity": q(1.0), "produced_at": "2026-03-01T00:00:00Z", "inputs": [{"lot": "{ID}", "quantity": q(1.0)}]}),
        ),
        get("/api/v1/lots/{ID}"),
        post(
            "/api/v1/shipments",
            json!({"lot": "{ID}", "from": "{ME}", "to": "{MAKER_B}", "quantity": q(1.0), "shipped_at": "2026-03-01T00:00:00Z"}),
        ),
        get("/api/v1/shipments/{ID}"),
        post(
            "/api/v1/batches",
            json!({"manufacturer": "{ME}", "batch_code": "X-{N}", "product": {"name": "n", "model": "m"},
                "quantity": 1, "inputs": [{"lot": "{ID}", "quantity": q(1.0)}], "produced_at": "2026-03-01T00:00:00Z"}),
        ),
        get("/api/v1/batches/{ID}"),
        get("/api/v1/batches/{ID}/labels"),
        get("/api/v1/units/{ID}"),
        post(
            "/api/v1/listings",
            json!({"platform": "{ME}", "seller": "{MAKER_B}", "shop": "s", "item_id": "X-{N}",
                "url": "https://example.com/x", "title": "t", "batches": ["{ID}"]}),
        ),
        get("/api/v1/listings/{ID}"),
        post(
            "/api/v1/listings/{ID}/batches",
            json!({"batches": ["{ID}"]}),
        ),
        post(
            "/api/v1/listings/{MINE}/batches",
            json!({"batches": ["{ID}"]}),
        ),
        get("/api/v1/trace/upstream/{ID}"),
        get("/api/v1/trace/downstream/{ID}"),
        get("/api/v1/trace/downstream/{ME}?platform={ID}"),
        get("/api/v1/trace/downstream/{ME}?cursor={ID}"),
        get("/api/v1/trace/downstream/{ME}?items=batches"),
        get("/api/v1/events"),
        get("/api/v1/events?subject={ID}"),
        get("/api/v1/events?subject={ME}"),
        post(
            "/api/v1/inspections",
            json!({"subject": "{ID}", "lab": "{ME}", "sampled_by": "{PLATFORM_B}", "report_no": "X-{N}",
                "sampled_at": "2026-03-01T00:00:00Z",
                "results": [{"item": "formaldehyde_emission", "value": 0.01, "unit": "mg/m3"}]}),
        ),
        get("/api/v1/inspections/{ID}"),
        post(
            "/api/v1/parties/{ID}/compliance",
            json!({"status": "compliant", "reason": "r"}),
        ),
        get("/api/v1/parties/{ID}/compliance"),
        get("/api/v1/parties/{ID}/stock"),
        get("/api/v1/parties/{ME}/stock"),
        get("/api/v1/compliance/suppliers"),
        get("/api/v1/compliance/affected-listings?supplier={ID}"),
        get("/api/v1/compliance/affected-listings?supplier={ID}&format=csv"),
        get("/api/v1/compliance/affected-listings"),
        get("/api/v1/compliance/affected-listings?platform={ID}"),
        post(
            "/api/v1/actions",
            json!({"listing": "{ID}", "kind": "suspend", "reason": "r"}),
        ),
        post(
            "/api/v1/actions/bulk",
            json!({"supplier": "{ID}", "kind": "suspend", "reason": "r"}),
        ),
        get("/api/v1/actions"),
        get("/api/v1/actions?listing={ID}"),
        get("/api/v1/actions/{ID}"),
        post(
            "/api/v1/actions/{ID}/ack",
            json!({"result": "done", "note": "n"}),
        ),
        post(
            "/api/v1/cases",
            json!({"title": "t", "opened_by": "{ME}", "subjects": ["{ID}"]}),
        ),
        get("/api/v1/cases"),
        get("/api/v1/cases/{ID}"),
        post(
            "/api/v1/cases/{ID}/transfer",
            json!({"to": "{ME}", "note": "n"}),
        ),
        post("/api/v1/cases/{ID}/notes", json!({"note": "n"})),
        get("/api/v1/cases/{ID}/photo"),
        post(
            "/api/v1/complaints",
            json!({"code": "{ID}", "text": "a complaint"}),
        ),
        get("/api/v1/complaints/{ID}"),
        post(
            "/api/v1/goods-shipments",
            json!({"batch": "{ID}", "from": "{ME}", "to": "{DIST_B}", "pieces": 1,
                "shipped_at": "2026-03-01T00:00:00Z"}),
        ),
        get("/api/v1/goods-shipments/{ID}"),
        get("/api/v1/parties/{ID}/goods"),
        get("/api/v1/parties/{ME}/goods"),
        get("/api/v1/parties/{DIST_B}/goods"),
        get("/api/v1/parties/{MAKER_B}/goods"),
        post(
            "/api/v1/sales",
            json!({"listing": "{ID}", "day": "2026-03-01", "pieces": 1}),
        ),
        get("/api/v1/sales?listing={ID}"),
        get("/api/v1/sales?listing={MINE}"),
        get("/api/v1/sales/{ID}"),
        post(
            "/api/v1/sales/{ID}/correction",
            json!({"pieces": 1, "note": "n"}),
        ),
        upload(
            "/api/v1/sales/import",
            "text/csv",
            "listing,day,pieces\n{ID},2026-03-01,1\n",
        ),
        upload(
            "/api/v1/sales/import",
            "application/x-ndjson",
            "{\"listing\":\"{ID}\",\"day\":\"2026-03-01\",\"pieces\":1}\n",
        ),
        post(
            "/api/v1/requests",
            json!({"to": "{PLATFORM_B}", "kind": "producer_tracing", "subjects": ["{ID}"],
                "question": "q", "due_at": due}),
        ),
        get("/api/v1/requests"),
        get("/api/v1/requests?box=outbox"),
        get("/api/v1/requests/{ID}"),
        post("/api/v1/requests/{ID}/answer", json!({"answer": "a"})),
        post("/api/v1/requests/{ID}/decline", json!({"reason": "r"})),
        get("/api/v1/requests/{ID}/attachments/0"),
        // A lab names the listing a sample was bought from, whoever's (like the subject).
        post(
            "/api/v1/inspections",
            json!({"subject": "{A_BATCH}", "lab": "{ME}", "sampled_by": "{PLATFORM_B}",
                "report_no": "X-{N}", "sampled_at": "2026-03-01T00:00:00Z",
                "results": [{"item": "formaldehyde_emission", "value": 0.01, "unit": "mg/m3"}],
                "order": {"platform": "{PLATFORM_B}", "listing": "{ID}", "order_no": "O-{N}",
                    "ordered_at": "2026-02-28T00:00:00Z", "price": 10.5}}),
        ),
        post(
            "/api/v1/inspections/{ID}/confirmation",
            json!({"result": "confirmed", "note": "n"}),
        ),
        get("/api/v1/comparison"),
        get("/api/v1/sellers/{ID}/comparison"),
        get("/api/v1/sellers/{DIST_B}/comparison"),
        get("/api/v1/stats/failing-items"),
        get("/api/v1/stats/cooperation"),
        get("/api/v1/qr/{ID}.svg"),
        get("/api/v1/qr/{ID}.png"),
        get("/q/{ID}"),
        // Qualifications, checks, claims, flags, reviews and plans (issue 16).
        post("/api/v1/parties/{ID}/licences", licence.clone()),
        post("/api/v1/parties/{MAKER_B}/licences", licence),
        post("/api/v1/parties/{ID}/trademarks", trademark.clone()),
        post("/api/v1/parties/{MAKER_B}/trademarks", trademark),
        // Marks authorise parties only: B's records named there are unknown parties.
        post(
            "/api/v1/parties/{ME}/trademarks",
            json!({"reg_no": "X-{N}", "mark": "m", "class": 20, "valid_to": "2033-06-30",
                "authorised": ["{ID}"]}),
        ),
        post("/api/v1/parties/{ID}/certificates", certificate.clone()),
        post("/api/v1/parties/{DIST_B}/certificates", certificate),
        get("/api/v1/qualifications/{ID}"),
        post(
            "/api/v1/qualifications/{ID}/review",
            json!({"result": "rejected", "note": "n"}),
        ),
        post("/api/v1/parties/{ID}/checks", check),
        get("/api/v1/parties/{ID}/qualifications"),
        get("/api/v1/parties/{ME}/qualifications"),
        get("/api/v1/parties/{MAKER_B}/qualifications"),
        get("/api/v1/parties/{DIST_B}/qualifications"),
        get("/api/v1/parties/{ID}/quality"),
        get("/api/v1/parties/{ME}/quality"),
        get("/api/v1/parties/{MAKER_B}/quality"),
        get("/api/v1/parties/{DIST_B}/quality"),
        post(
            "/api/v1/listings",
            json!({"platform": "{ME}", "seller": "{MAKER_B}", "shop": "s", "item_id": "X-{N}",
                "url": "https://example.com/x", "title": "t", "batches": ["{ID}"],
                "claims": {"formaldehyde_class": "ENF"}}),
        ),
        post(
            "/api/v1/listings/{ID}/claims",
            json!({"formaldehyde_class": "E1"}),
        ),
        get("/api/v1/listings/{ID}/claims"),
        get("/api/v1/listings/{MINE}/claims"),
        get("/api/v1/flags"),
        get("/api/v1/flags?platform={ID}"),
        get("/api/v1/flags?platform={PLATFORM_B}"),
        get("/api/v1/flags?kind=misleading_claim"),
        get("/api/v1/flags?platform={PLATFORM_B}&format=csv"),
        get("/api/v1/review"),
        get("/api/v1/review?platform={ID}"),
        get("/api/v1/review?platform={PLATFORM_B}"),
        get("/api/v1/review?format=csv"),
        get("/api/v1/checks/queue"),
        post(
            "/api/v1/plans",
            json!({"title": "t", "period": "2026-01-01/2026-12-31", "owners": ["{ID}"], "quota": 1}),
        ),
        post(
            "/api/v1/plans",
            json!({"title": "t", "period": "2026-01-01/2026-12-31", "owners": ["{REG}"], "quota": 1,
                "categories": ["{ID}"]}),
        ),
        get("/api/v1/plans"),
        get("/api/v1/plans/{ID}"),
        get("/api/v1/plans/{ID}/candidates"),
        // A lab names the plan a sample was taken under: B's plan, by a sampler that does
        // not own it, or out of its period, answers like a plan that does not exist.
        post(
            "/api/v1/inspections",
            planned("{PLATFORM_B}", "2026-03-01T00:00:00Z"),
        ),
        post(
            "/api/v1/inspections",
            planned("{REG}", "2026-06-01T00:00:00Z"),
        ),
    ]
}

impl Route {
    fn has_id(&self) -> bool {
        self.path.contains("{ID}")
            || self
                .body
                .as_ref()
                .is_some_and(|b| b.to_string().contains("{ID}"))
            || self.raw.is_some_and(|(_, text)| text.contains("{ID}"))
    }

    fn fill(&self, s: &str, who: &Caller, b: &B, id: &str, n: u64) -> String {
        s.replace("{ID}", id)
            .replace("{ME}", &who.party)
            .replace("{MAKER_B}", &b.maker)
            .replace("{PLATFORM_B}", &b.platform)
            .replace("{DIST_B}", &b.distributor)
            .replace("{REG}", &b.regulator)
            .replace("{A_BATCH}", &who.batch)
            .replace("{MINE}", who.listing.as_deref().unwrap_or("lst_none"))
            .replace("{N}", &n.to_string())
    }

    fn run(&self, who: &Caller, b: &B, id: &str, n: u64) -> Resp {
        let path = self.fill(self.path, who, b, id, n);
        if let Some((content_type, text)) = self.raw {
            let text = self.fill(text, who, b, id, n);
            return who.client.post_raw(&path, content_type, text.as_bytes());
        }
        match (self.method, &self.body) {
            ("GET", _) => who.client.get(&path),
            ("DELETE", _) => who.client.delete(&path),
            (_, Some(body)) => {
                let body: Value =
                    serde_json::from_str(&self.fill(&body.to_string(), who, b, id, n)).unwrap();
                who.client.post(&path, &body)
            }
            _ => unreachable!(),
        }
    }
}

/// B markers, and B ids the request did not name, in a response.
fn leaks_in(route: &Route, who: &Caller, asked: &str, r: &Resp, b_ids: &[&str]) -> Vec<String> {
    let text = if asked.is_empty() {
        r.text.clone()
    } else {
        r.text.replace(asked, "")
    };
    let mut out = Vec::new();
    for m in std::iter::once(MARK).chain(B_NUMBERS) {
        if text.contains(m) {
            out.push(format!(
                "{} {} as {} with {asked}: {m} in {}",
                route.method, route.path, who.name, r.text
            ));
        }
    }
    for other in b_ids {
        if text.contains(other) {
            out.push(format!(
                "{} {} as {} with {asked}: B's id {other} in {}",
                route.method, route.path, who.name, r.text
            ));
        }
    }
    out
}

/// The text of a response with the id under test (and the request's counter) taken out.
fn normal(r: &Resp, id: &str, n: u64) -> String {
    format!(
        "{} {}",
        r.status,
        r.text
            .replace(id, "{ID}")
            .replace(&format!("X-{n}"), "X-{N}")
    )
}

/// Every route of the README's access table is among the routes run here.
#[test]
fn every_route_of_the_readme_table_is_run() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("<!-- access-matrix:start -->").expect("matrix");
    let end = readme
        .find("<!-- access-matrix:end -->")
        .expect("matrix end");
    let ours: Vec<(String, String)> = routes()
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.path.split('?').next().unwrap().to_string(),
            )
        })
        .collect();
    let mut rows = 0;
    for line in readme[start..end]
        .lines()
        .filter(|l| l.starts_with("| GET") || l.starts_with("| POST") || l.starts_with("| DELETE"))
    {
        let route = line.trim_matches('|').split('|').next().unwrap().trim();
        let mut words = route.split(' ');
        let (method, path) = (words.next().unwrap(), words.next().unwrap());
        // `{supplier lot}`, `{platform listing}`, … all become the id under test.
        let mut norm = String::new();
        let mut depth = 0;
        for ch in path.chars() {
            match ch {
                '{' => {
                    depth += 1;
                    if depth == 1 {
                        norm.push_str("{ID}");
                    }
                }
                '}' => depth -= 1,
                _ if depth > 0 => {}
                _ => norm.push(ch),
            }
        }
        // Multi-word placeholders (`{other bureau's case}`) span words: take the rest.
        if depth > 0 {
            for w in words.by_ref() {
                for ch in w.chars() {
                    match ch {
                        '}' => depth -= 1,
                        _ if depth > 0 => {}
                        _ => norm.push(ch),
                    }
                }
                if depth == 0 {
                    break;
                }
            }
        }
        let full = if norm == "/healthz" {
            norm
        } else {
            format!("/api/v1{norm}")
        };
        assert!(
            ours.iter().any(|(m, p)| m == method
                && (*p == full || p.replace("{ME}", "{ID}").replace("{MINE}", "{ID}") == full)),
            "README route {route} ({method} {full}) is not run by the isolation test"
        );
        rows += 1;
    }
    assert!(rows > 40, "only {rows} README rows");
}

#[test]
fn no_tenant_reads_links_or_learns_what_is_not_its_own() {
    let srv = server();
    let op = srv.client();
    let regulator = op.party("徐州市监局", "regulator", "11320300MB1H8H0W8", "徐州");
    let lab_b = op.party("Lab B", "lab", "12320324MB1M9M0B9", "徐州");
    let b = tenant_b(&op, &regulator, &lab_b);
    let callers = others(&op);
    let b_ids: Vec<&str> = b.records.iter().map(|(_, i)| i.as_str()).collect();
    assert_eq!(
        b.records.len(),
        KINDS.len() - 1 + 7,
        "B has a record of every kind but parties (two lots, cases and listings, three \
         inspections and qualifications): {:?}",
        b.records
    );
    let events_before = op.get("/healthz").body["events"].as_u64().unwrap();
    let mut n = 0u64;
    let mut leaks = Vec::new();
    let mut differ = Vec::new();
    let mut requests = 0;
    let mut lab_samples = 0;
    for route in routes() {
        for who in &callers {
            if !route.has_id() {
                n += 1;
                requests += 1;
                let r = route.run(who, &b, "", n);
                leaks.extend(leaks_in(&route, who, "", &r, &b_ids));
                continue;
            }
            for kind in KINDS {
                let fake = missing(kind);
                n += 1;
                let (want, nw) = (route.run(who, &b, &fake, n), n);
                requests += 1;
                leaks.extend(leaks_in(&route, who, &fake, &want, &b_ids));
                for (k, real) in b.records.iter().filter(|(k, _)| k == kind) {
                    n += 1;
                    let got = route.run(who, &b, real, n);
                    requests += 1;
                    leaks.extend(leaks_in(&route, who, real, &got, &b_ids));
                    // A lab may name the subject of a sample handed to it: recording an
                    // inspection of B's goods is its right (and shows it nothing of B).
                    if who.name == "lab" && route.path == "/api/v1/inspections" && got.status == 201
                    {
                        lab_samples += 1;
                        continue;
                    }
                    if normal(&got, real, n) != normal(&want, &fake, nw) {
                        differ.push(format!(
                            "{} {} as {} with B's {k}:\n    B's id:  {}\n    missing: {}",
                            route.method,
                            route.path,
                            who.name,
                            normal(&got, real, n),
                            normal(&want, &fake, nw)
                        ));
                    }
                }
            }
        }
    }
    assert!(requests > 10_000, "only {requests} requests ran");
    assert!(
        leaks.is_empty(),
        "{} responses leak B's data:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    assert!(
        differ.is_empty(),
        "{} responses tell B's ids from missing ones:\n{}",
        differ.len(),
        differ.join("\n")
    );
    // Nothing but the lab's own inspections was recorded: of B's goods (two lots, the batch,
    // the unit, two listings), and of its own maker's batch bought on B's two listings.
    assert_eq!(lab_samples, 8);
    let events_after = op.get("/healthz").body["events"].as_u64().unwrap();
    assert_eq!(events_after - events_before, lab_samples);
}

/// The markers are really in B's records (so the test above can fail): B's maker reads them.
#[test]
fn the_markers_are_where_the_test_looks() {
    let srv = server();
    let op = srv.client();
    let regulator = op.party("徐州市监局", "regulator", "11320300MB1H8H0W8", "徐州");
    let lab_b = op.party("Lab B", "lab", "12320324MB1M9M0B9", "徐州");
    let b = tenant_b(&op, &regulator, &lab_b);
    for (kind, rid) in &b.records {
        let path = match kind.as_str() {
            "lot" => format!("/api/v1/lots/{rid}"),
            "bat" => format!("/api/v1/batches/{rid}"),
            "lst" => format!("/api/v1/listings/{rid}"),
            "ins" => format!("/api/v1/inspections/{rid}"),
            "act" => format!("/api/v1/actions/{rid}"),
            "case" => format!("/api/v1/cases/{rid}"),
            "sal" => format!("/api/v1/sales/{rid}"),
            "req" => format!("/api/v1/requests/{rid}"),
            "gds" => {
                let r = op.get(&format!("/api/v1/goods-shipments/{rid}"));
                assert!(r.ok(200).to_string().contains("06:07:08.901"), "{}", r.text);
                continue;
            }
            _ => continue,
        };
        let r = op.get(&path);
        assert!(r.ok(200).to_string().contains(MARK), "{path}: {}", r.text);
    }
    // Each new kind of B's has its record, and their marks are where the routes answer.
    for kind in ["gds", "sal", "req", "ord"] {
        assert!(b.records.iter().any(|(k, _)| k == kind), "no {kind} of B");
    }
    let rid = b.nth("req", 0);
    let r = op.get(&format!("/api/v1/requests/{rid}"));
    for m in ["question", "answer", "data"] {
        assert!(r.text.contains(&format!("{MARK} {m}")), "{m} in {}", r.text);
    }
    let file = op.get(&format!("/api/v1/requests/{rid}/attachments/0"));
    assert_eq!(file.ok(200), &Value::Null, "{}", file.text);
    assert_eq!(file.text, format!("{MARK} attachment"));
    let sid = b.nth("sal", 0);
    let r = op.get(&format!("/api/v1/sales/{sid}"));
    assert!(r.text.contains(&format!("{MARK} correction")), "{}", r.text);
    let order = b.nth("ord", 0);
    let ins = b
        .records
        .iter()
        .filter(|(k, _)| k == "ins")
        .map(|(_, i)| op.get(&format!("/api/v1/inspections/{i}")))
        .find(|r| r.text.contains(order))
        .expect("the inspection with B's order");
    assert!(ins.text.contains(&format!("{MARK}-ORDER")), "{}", ins.text);
    // B's platform sees its sample's order; the reseller its goods and sale.
    let kplat = key(&op, &b.platform);
    let seen = kplat.get(&format!(
        "/api/v1/inspections/{}",
        ins.body["id"].as_str().unwrap()
    ));
    assert!(seen.ok(200).to_string().contains(order));
    let kdist = key(&op, &b.distributor);
    let goods = kdist.get(&format!("/api/v1/parties/{}/goods", b.distributor));
    assert_eq!(goods.ok(200)["goods"][0]["received"], 2, "{}", goods.text);
    kdist.get(&format!("/api/v1/sales/{sid}")).ok(200);
    let lot = &b.records[0].1;
    let r = op.get(&format!("/api/v1/lots/{lot}"));
    assert!(
        r.text.contains("777.125") && r.text.contains("04:05:06.789"),
        "{}",
        r.text
    );
    // Issue 16: B's qualifications, check, claims and plan are marked where the new routes
    // answer, and the views built from them (flags, review, queue, quality, candidates)
    // carry them, so a view leaking them to another tenant would be seen.
    for kind in ["qlf", "chk", "clm", "pln", "pls"] {
        assert!(b.records.iter().any(|(k, _)| k == kind), "no {kind} of B");
    }
    for (i, what) in ["licence", "trademark", "certificate"].iter().enumerate() {
        let r = op.get(&format!("/api/v1/qualifications/{}", b.nth("qlf", i)));
        assert_eq!(r.ok(200)["kind"], *what, "{}", r.text);
        assert!(r.text.contains(MARK), "{}", r.text);
    }
    let quals = op.get(&format!("/api/v1/parties/{}/qualifications", b.maker));
    assert_eq!(quals.ok(200)["licence_state"], "expired", "{}", quals.text);
    assert_eq!(
        quals.body["checks"][0]["id"],
        b.nth("chk", 0),
        "{}",
        quals.text
    );
    assert!(
        quals.text.contains(&format!("{MARK} check")),
        "{}",
        quals.text
    );
    // B's reseller is authorised to use the mark: it is among the reseller's.
    let kdist_quals = kdist.get(&format!("/api/v1/parties/{}/qualifications", b.distributor));
    assert!(
        kdist_quals.ok(200).to_string().contains(B_REG_NO),
        "{}",
        kdist_quals.text
    );
    let listing = b.nth("lst", 0);
    let claims = op.get(&format!("/api/v1/listings/{listing}/claims"));
    assert!(
        claims.ok(200)["claims"]["material"]
            .as_str()
            .is_some_and(|m| m.contains(MARK)),
        "{}",
        claims.text
    );
    let plan = op.get(&format!("/api/v1/plans/{}", b.nth("pln", 0)));
    assert!(plan.ok(200)["title"].as_str().unwrap().contains(MARK));
    assert_eq!(plan.body["inspections"], json!([b.nth("ins", 2)]));
    assert_eq!(plan.body["progress"][0]["taken"], 1);
    let sample = op.get(&format!("/api/v1/events?subject={}", b.nth("pls", 0)));
    assert!(
        sample.ok(200).to_string().contains(b.nth("pls", 0)),
        "{}",
        sample.text
    );
    let cands = op.get(&format!("/api/v1/plans/{}/candidates", b.nth("pln", 0)));
    assert!(
        cands.ok(200).to_string().contains(listing),
        "{}",
        cands.text
    );
    // B's flags: the expired licence and the overdue check (with their ids), the claims
    // (with the marked claim text and B's lots).
    let flags = op.get(&format!("/api/v1/flags?platform={}", b.platform));
    for needle in [
        b.nth("qlf", 0),
        b.nth("chk", 0),
        &format!("{MARK} 无醛"),
        &format!("{MARK}-LOT"),
        listing,
    ] {
        assert!(
            flags.ok(200).to_string().contains(needle),
            "{needle} in {}",
            flags.text
        );
    }
    let review = kplat.get("/api/v1/checks/queue");
    let row = entry_where(&review, "sellers", "seller", &b.maker);
    assert_eq!(row["licence_valid_to"], B_LICENCE_TO, "{row}");
    assert_eq!(row["check_state"], "overdue", "{row}");
    assert_eq!(row["claim_flags"], 2, "{row}");
    let quality = op.get(&format!("/api/v1/parties/{}/quality", b.maker));
    assert_eq!(
        quality.ok(200)["regulator_inspections"],
        3,
        "{}",
        quality.text
    );
    assert_eq!(quality.body["actions"], 1, "{}", quality.text);
    assert!(
        quality.body["open_flags"].as_u64() > Some(0),
        "{}",
        quality.text
    );
}

/// A maker of the other tenants ships to B's reseller, which lists that desk on B's
/// platform next to B's goods and sells it there: the maker sees whom it shipped to, never
/// what B's reseller lists or sells, and neither do the other tenants.
#[test]
fn a_maker_shipping_to_bs_reseller_sees_whom_not_what_it_sells() {
    let srv = server();
    let op = srv.client();
    let regulator = op.party("徐州市监局", "regulator", "11320300MB1H8H0W8", "徐州");
    let lab_b = op.party("Lab B", "lab", "12320324MB1M9M0B9", "徐州");
    let b = tenant_b(&op, &regulator, &lab_b);
    let callers = others(&op);
    let maker = callers.iter().find(|c| c.name == "manufacturer").unwrap();
    let b_ids: Vec<&str> = b.records.iter().map(|(_, i)| i.as_str()).collect();
    let shipped = maker.client.post(
        "/api/v1/goods-shipments",
        &json!({"batch": maker.batch, "from": maker.party, "to": b.distributor, "pieces": 1,
        "shipped_at": "2026-02-08T00:00:00Z"}),
    );
    let gds = id(shipped.ok(201));
    let resold = &b
        .records
        .iter()
        .filter(|(k, _)| k == "lst")
        .nth(1)
        .unwrap()
        .1;
    key(&op, &b.distributor)
        .post(
            &format!("/api/v1/listings/{resold}/batches"),
            &json!({"batches": [maker.batch]}),
        )
        .ok(200);
    key(&op, &b.platform)
        .post(
            "/api/v1/sales",
            &json!({"listing": resold, "day": "2026-02-11", "pieces": 2, "province": "江苏"}),
        )
        .ok(201);
    let (me, batch) = (&maker.party, &maker.batch);
    let paths = [
        format!("/api/v1/trace/downstream/{me}"),
        format!("/api/v1/trace/downstream/{me}?items=batches"),
        format!("/api/v1/trace/downstream/{batch}?items=listings"),
        format!("/api/v1/trace/upstream/{batch}"),
        format!("/api/v1/parties/{me}/goods"),
        format!("/api/v1/goods-shipments/{gds}"),
        format!("/api/v1/batches/{batch}"),
        format!("/api/v1/events?subject={batch}"),
        format!("/api/v1/events?subject={gds}"),
    ];
    let route = Route {
        method: "GET",
        path: "(a shared reseller)",
        body: None,
        raw: None,
    };
    let mut leaks = Vec::new();
    for who in &callers {
        for p in &paths {
            let r = who.client.get(p);
            leaks.extend(leaks_in(&route, who, p, &r, &b_ids));
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    // Whom: B's reseller, one piece. Not what: the maker's own listing only.
    let down = maker
        .client
        .get(&format!("/api/v1/trace/downstream/{batch}?items=listings"));
    let to = entry_where(&down, "goods_to", "party", &b.distributor);
    assert_eq!(to["pieces"], 1, "{}", down.text);
    assert_eq!(down.body["listings"]["total"], 1, "{}", down.text);
    assert!(!down.text.contains(resold.as_str()), "{}", down.text);
    maker
        .client
        .get(&format!("/api/v1/listings/{resold}"))
        .problem(404);
    maker
        .client
        .get(&format!("/api/v1/sales?listing={resold}"))
        .problem(404);
    // …while B's reseller does sell it (so the view above could have shown it).
    let sold = key(&op, &b.distributor).get(&format!("/api/v1/sales?listing={resold}"));
    assert!(
        sold.ok(200).to_string().contains(batch.as_str()),
        "{}",
        sold.text
    );
}

/// B's world and the other tenants, on one server.
fn two_tenants() -> (TestServer, Client, B, Vec<Caller>) {
    let srv = server();
    let op = srv.client();
    let regulator = op.party("徐州市监局", "regulator", "11320300MB1H8H0W8", "徐州");
    let lab_b = op.party("Lab B", "lab", "12320324MB1M9M0B9", "徐州");
    let b = tenant_b(&op, &regulator, &lab_b);
    let callers = others(&op);
    (srv, op, b, callers)
}

fn who<'a>(callers: &'a [Caller], name: &str) -> &'a Caller {
    callers.iter().find(|c| c.name == name).expect("caller")
}

/// What `who` is shown in `r` that it may not read: B's ids the policy does not let it
/// read (its one read rule, as `GET /events?subject=` applies it) and that are not in
/// `traced` (the upstream traces it reads), and B's markers outside the `allowed` texts.
/// The entry of the list `list` of a 200 answer whose `key` is `value` (it must be there).
fn entry_where(r: &Resp, list: &str, key: &str, value: &str) -> Value {
    r.ok(200)[list]
        .as_array()
        .and_then(|a| a.iter().find(|e| e[key] == value))
        .cloned()
        .unwrap_or_else(|| panic!("no {list} entry with {key} {value} in {}", r.text))
}

/// A leak if the platform's answer at `path` shows the date B's `what` runs to.
fn date_shown(path: &str, r: &Resp, what: &str, date: &str) -> Option<String> {
    r.text
        .contains(date)
        .then(|| format!("{path} as platform: B's {what} runs to {date}: {}", r.text))
}

fn unreadable_in(
    who: &Caller,
    b: &B,
    what: &str,
    r: &Resp,
    traced: &str,
    allowed: &[&str],
) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, rid) in &b.records {
        if r.text.contains(rid.as_str()) && !traced.contains(rid.as_str()) {
            let seen = who.client.get(&format!("/api/v1/events?subject={rid}"));
            if seen.status != 200 {
                out.push(format!(
                    "{what} as {}: B's {kind} {rid}, which it may not read ({}), in {}",
                    who.name, seen.status, r.text
                ));
            }
        }
    }
    let mut text = r.text.clone();
    for a in allowed {
        text = text.replace(a, "");
    }
    for m in std::iter::once(MARK).chain(B_NUMBERS) {
        if text.contains(m) {
            out.push(format!("{what} as {}: {m} in {}", who.name, r.text));
        }
    }
    out
}

/// B's maker also sells on the other tenants' platform, which links B's batch and claims
/// "no formaldehyde" of it. The platform's flags carry evidence about the lots behind its
/// own listing (it reads their upstream trace) and the licence of its seller; its flags,
/// review and queue show nothing of B's platform: not its check of the maker, not B's
/// listings or their claims.
#[test]
fn a_platforms_flags_review_and_queue_name_only_its_listings_and_the_lots_behind_them() {
    let (_srv, op, b, callers) = two_tenants();
    let plat = who(&callers, "platform");
    key(&op, &b.maker)
        .post("/api/v1/grants", &json!({"platform": plat.party}))
        .ok(201);
    let mine = id(plat
        .client
        .post(
            "/api/v1/listings",
            &json!({"platform": plat.party, "seller": b.maker, "shop": "A's shop of B's maker",
            "item_id": "A-9", "url": "https://example.com/a9", "title": "wardrobe",
            "batches": [b.nth("bat", 0)], "claims": {"formaldehyde_class": "无醛 ENF"}}),
        )
        .ok(201));
    let traced = plat.client.get(&format!("/api/v1/trace/upstream/{mine}"));
    traced.ok(200);
    let flags = plat.client.get("/api/v1/flags");
    let list = flags.ok(200)["flags"].as_array().unwrap().clone();
    assert!(
        list.iter().all(|f| f["platform"] == plat.party.as_str()),
        "{}",
        flags.text
    );
    let claim = list
        .iter()
        .find(|f| f["kind"] == "misleading_claim" && f["listing"] == mine.as_str())
        .unwrap_or_else(|| panic!("the ENF claim of E0 plywood: {}", flags.text));
    let evidence = claim["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 2, "both of B's plywood lots: {claim}");
    for e in evidence {
        let lot = e["id"].as_str().unwrap();
        assert!(traced.text.contains(lot), "{lot} not in {}", traced.text);
    }
    // B's licence expired: its seller's licence is the platform's to read.
    let expired = list
        .iter()
        .find(|f| f["kind"] == "licence_expired" && f["listing"] == mine.as_str())
        .unwrap_or_else(|| panic!("the expired licence: {}", flags.text));
    assert_eq!(expired["evidence"][0]["id"], b.nth("qlf", 0));
    plat.client
        .get(&format!("/api/v1/qualifications/{}", b.nth("qlf", 0)))
        .ok(200);
    // Its queue: the maker never checked by it (B's platform's check is not its own).
    let queue = plat.client.get("/api/v1/checks/queue");
    let row = entry_where(&queue, "sellers", "seller", &b.maker);
    assert_eq!(row["check_state"], "never", "{row}");
    assert_eq!(row["last_check"], Value::Null, "{row}");
    assert_eq!(row["active_listings"], 1, "{row}");
    assert_eq!(row["claim_flags"], 1, "{row}");
    let lots = [format!("{MARK}-LOT"), format!("{MARK}-PANELS")];
    let allowed: Vec<&str> = lots.iter().map(String::as_str).collect();
    let mut leaks = Vec::new();
    for path in [
        "/api/v1/flags",
        "/api/v1/flags?format=csv",
        "/api/v1/review",
        "/api/v1/review?format=csv",
        "/api/v1/checks/queue",
    ] {
        let r = plat.client.get(path);
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        leaks.extend(unreadable_in(plat, &b, path, &r, &traced.text, &allowed));
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    // The same look at B's platform's flags (as a bureau reads them) finds B's check, claims
    // and listings: the look above could have failed.
    let theirs = op.get(&format!("/api/v1/flags?platform={}", b.platform));
    let seen = unreadable_in(plat, &b, "B's flags", &theirs, &traced.text, &allowed);
    for found in [
        format!("B's chk {},", b.nth("chk", 0)),
        format!("B's lst {},", b.nth("lst", 0)),
        format!("B's flags as platform: {MARK} in"),
    ] {
        assert!(
            seen.iter().any(|l| l.contains(&found)),
            "{found} would not be seen: {seen:?}"
        );
    }
}

/// A maker of the other tenants sells on their platform and on B's. What happens on B's
/// platform (a bureau's action on the maker's listing there, carried out by B's platform;
/// B's platform never checking the maker) is the maker's to know, not its other platform's:
/// that platform's view of the maker's quality record does not change.
#[test]
fn a_platform_reading_its_sellers_quality_is_told_nothing_of_other_platforms() {
    let (_srv, op, b, callers) = two_tenants();
    let (plat, maker) = (who(&callers, "platform"), who(&callers, "manufacturer"));
    let path = format!("/api/v1/parties/{}/quality", maker.party);
    let before = plat.client.get(&path);
    before.ok(200);
    let own_before = maker.client.get(&path);
    let kplat_b = key(&op, &b.platform);
    let there = id(kplat_b
        .post(
            "/api/v1/listings",
            &json!({"platform": b.platform, "seller": maker.party, "shop": format!("{MARK} shop of A"),
            "item_id": format!("{MARK}-A"), "url": "https://example.com/b-a", "title": "desk",
            "batches": []}),
        )
        .ok(201));
    let action = id(op
        .post(
            "/api/v1/actions",
            &json!({"listing": there, "kind": "suspend", "reason": format!("{MARK} suspended")}),
        )
        .ok(201));
    kplat_b
        .post(
            &format!("/api/v1/actions/{action}/ack"),
            &json!({"result": "done", "note": format!("{MARK} done")}),
        )
        .ok(200);
    plat.client
        .get(&format!("/api/v1/actions/{action}"))
        .problem(404);
    plat.client
        .get(&format!("/api/v1/listings/{there}"))
        .problem(404);
    // The maker's own record counts its listing on B's platform (so the record moves)…
    let own = maker.client.get(&path);
    assert_eq!(own.ok(200)["actions_done"], 1, "{}", own.text);
    assert_ne!(own.body, own_before.body);
    // …its other platform's view does not.
    let after = plat.client.get(&path);
    assert_eq!(
        after.ok(200),
        &before.body,
        "the platform is told of B's platform's listing of its seller:\n before: {}\n after:  {}",
        before.text,
        after.text
    );
}

/// Any platform may check a seller (an entry check comes before the seller's first
/// listing there), but checking gives it no right to read what the policy keeps from it: a
/// qualification is read by its party, who entered it, the platforms the party sells on and
/// the parties a mark authorises. A platform that checked B's maker is not shown B's
/// licence, mark or certificate, on the maker's page or in its review and queue.
#[test]
fn a_platform_that_checks_bs_maker_reads_none_of_its_qualifications() {
    let (_srv, _op, b, callers) = two_tenants();
    let plat = who(&callers, "platform");
    plat.client
        .post(
            &format!("/api/v1/parties/{}/checks", b.maker),
            &json!({"kind": "entry", "result": "pass", "checked_at": "2026-03-05T00:00:00Z",
            "next_due": "2027-03-05", "note": "entry check"}),
        )
        .ok(201);
    for i in 0..3 {
        plat.client
            .get(&format!("/api/v1/qualifications/{}", b.nth("qlf", i)))
            .problem(404);
    }
    let mut leaks = Vec::new();
    for path in [
        format!("/api/v1/parties/{}/qualifications", b.maker),
        "/api/v1/review".to_string(),
        "/api/v1/review?format=csv".to_string(),
        "/api/v1/checks/queue".to_string(),
    ] {
        let r = plat.client.get(&path);
        leaks.extend(unreadable_in(plat, &b, &path, &r, "", &[]));
        // The licence's dates are the licence's too.
        leaks.extend(date_shown(&path, &r, "licence", B_LICENCE_TO));
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}

/// A listing of the other tenants' platform uses B's mark (which B's listing claims in
/// public): it is flagged, but the flag does not hand the platform B's registration (its
/// id, number or term), which it may not read.
#[test]
fn a_listing_using_bs_mark_is_flagged_without_bs_registration() {
    let (_srv, _op, b, callers) = two_tenants();
    let (plat, maker) = (who(&callers, "platform"), who(&callers, "manufacturer"));
    let mark = format!("{MARK}牌");
    let l = id(plat
        .client
        .post(
            "/api/v1/listings",
            &json!({"platform": plat.party, "seller": maker.party, "shop": "A shop", "item_id": "A-7",
            "url": "https://example.com/a7", "title": format!("{mark} 衣柜"), "batches": []}),
        )
        .ok(201));
    let tm = b.nth("qlf", 1);
    plat.client
        .get(&format!("/api/v1/qualifications/{tm}"))
        .problem(404);
    let mut leaks = Vec::new();
    for path in [
        "/api/v1/flags?kind=trademark_unauthorised",
        "/api/v1/flags?format=csv",
    ] {
        let r = plat.client.get(path);
        assert!(
            r.text.contains(l.as_str()),
            "{path}: the flag on {l}: {}",
            r.text
        );
        leaks.extend(unreadable_in(plat, &b, path, &r, "", &[&mark]));
        leaks.extend(date_shown(path, &r, "registration", B_MARK_TO));
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}

/// B's maker holds a mark it authorises the other tenants' maker to use: that maker reads
/// it among its qualifications; the maker's platform, which may not read B's mark, is not
/// shown it on its seller's page.
#[test]
fn a_sellers_platform_is_not_shown_another_tenants_mark_authorising_the_seller() {
    let (_srv, op, b, callers) = two_tenants();
    let (plat, maker) = (who(&callers, "platform"), who(&callers, "manufacturer"));
    let tm = id(key(&op, &b.maker)
        .post(
            &format!("/api/v1/parties/{}/trademarks", b.maker),
            &json!({"reg_no": format!("{MARK}-REG-5822"), "mark": format!("{MARK}集体"), "class": 20,
            "valid_to": B_MARK_TO, "authorised": [maker.party]}),
        )
        .ok(201));
    let page = format!("/api/v1/parties/{}/qualifications", maker.party);
    maker
        .client
        .get(&format!("/api/v1/qualifications/{tm}"))
        .ok(200);
    let own = maker.client.get(&page);
    assert!(
        own.ok(200).to_string().contains(tm.as_str()),
        "{}",
        own.text
    );
    plat.client
        .get(&format!("/api/v1/qualifications/{tm}"))
        .problem(404);
    let r = plat.client.get(&page);
    r.ok(200);
    let mut leaks = Vec::new();
    if r.text.contains(tm.as_str()) {
        leaks.push(format!("{page} as platform: B's mark {tm} in {}", r.text));
    }
    leaks.extend(unreadable_in(plat, &b, &page, &r, "", &[]));
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}
