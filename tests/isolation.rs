//! Tenant isolation, black-box. Tenant B (a mill, a maker, the platform that lists B's
//! goods) records a little of everything with unique marker strings in every text field,
//! and odd quantities and times. Then every API route is run as every other non-regulator
//! tenant (a mill, a maker, a platform and a lab with no dealings with B), with B's ids of
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

const KINDS: [&str; 13] = [
    "pty", "lot", "shp", "bat", "unt", "lst", "key", "ins", "dec", "act", "case", "gnt", "cpl",
];

struct B {
    /// (kind prefix, id) of every record of B but its parties.
    records: Vec<(String, String)>,
    maker: String,
    platform: String,
}

struct Caller {
    name: &'static str,
    client: Client,
    party: String,
    /// A listing the caller may change (platforms and makers), a batch of its own.
    listing: Option<String>,
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
    let (kmill, kmaker) = (key(op, &mill), key(op, &maker));
    let kplat = key(op, &platform);
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
    B {
        records: records.into_inner(),
        maker,
        platform,
    }
}

/// The other tenants, each with a little of its own.
fn others(op: &Client) -> Vec<Caller> {
    let mill = op.party("Mill A", "supplier", "91371300MA3C1A0X1", "临沂");
    let maker = op.party("Maker A", "manufacturer", "91321300MA1M3C0P3", "宿迁");
    let platform = op.party("Platform A", "platform", "91110302MA0C5E0R5", "北京");
    let lab = op.party("Lab A", "lab", "12320324MB1M2M0B2", "徐州");
    let (kmill, kmaker, kplat, klab) = (
        key(op, &mill),
        key(op, &maker),
        key(op, &platform),
        key(op, &lab),
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
    vec![
        Caller {
            name: "supplier",
            client: kmill,
            party: mill,
            listing: None,
        },
        Caller {
            name: "manufacturer",
            client: kmaker,
            party: maker,
            listing: Some(listing.clone()),
        },
        Caller {
            name: "platform",
            client: kplat,
            party: platform,
            listing: Some(listing),
        },
        Caller {
            name: "lab",
            client: klab,
            party: lab,
            listing: None,
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
}

fn routes() -> Vec<Route> {
    let get = |path| Route {
        method: "GET",
        path,
        body: None,
    };
    let post = |path, body: Value| Route {
        method: "POST",
        path,
        body: Some(body),
    };
    let delete = |path| Route {
        method: "DELETE",
        path,
        body: None,
    };
    let q = |v: f64| json!({"value": v, "unit": "sheet"});
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
        get("/api/v1/stats/failing-items"),
        get("/api/v1/stats/cooperation"),
        get("/api/v1/qr/{ID}.svg"),
        get("/api/v1/qr/{ID}.png"),
        get("/q/{ID}"),
    ]
}

impl Route {
    fn has_id(&self) -> bool {
        self.path.contains("{ID}")
            || self
                .body
                .as_ref()
                .is_some_and(|b| b.to_string().contains("{ID}"))
    }

    fn fill(&self, s: &str, who: &Caller, b: &B, id: &str, n: u64) -> String {
        s.replace("{ID}", id)
            .replace("{ME}", &who.party)
            .replace("{MAKER_B}", &b.maker)
            .replace("{PLATFORM_B}", &b.platform)
            .replace("{MINE}", who.listing.as_deref().unwrap_or("lst_none"))
            .replace("{N}", &n.to_string())
    }

    fn run(&self, who: &Caller, b: &B, id: &str, n: u64) -> Resp {
        let path = self.fill(self.path, who, b, id, n);
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
        KINDS.len() - 1 + 2,
        "B has a record of every kind but parties (two lots, two cases): {:?}",
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
    assert!(requests > 3000, "only {requests} requests ran");
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
    // Nothing but the lab's own inspections of B's goods (lots, batch, unit, listing) was
    // recorded.
    assert_eq!(lab_samples, 5);
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
            _ => continue,
        };
        let r = op.get(&path);
        assert!(r.ok(200).to_string().contains(MARK), "{path}: {}", r.text);
    }
    let lot = &b.records[0].1;
    let r = op.get(&format!("/api/v1/lots/{lot}"));
    assert!(
        r.text.contains("777.125") && r.text.contains("04:05:06.789"),
        "{}",
        r.text
    );
    let _ = uscc;
}
