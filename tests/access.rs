//! Access control. The role matrix in README.md is the test table: every cell (route ×
//! caller) is run against the real server and its status asserted. Also: tokens never
//! appear in the data directory or the log, and revocation takes effect at once.

mod common;

use common::{uscc, Client, Resp, TestServer};
use serde_json::{json, Value};
use std::cell::Cell;

const COLUMNS: [&str; 12] = [
    "operator",
    "regulator",
    "supplier",
    "manufacturer",
    "other maker",
    "platform",
    "other platform",
    "distributor",
    "lab",
    "no key",
    "wrong key",
    "revoked key",
];

/// The distributor's USCC (its first 17 characters).
const DIST_USCC17: &str = "92330100MA2D4E0F4";
/// The maker's USCC (its first 17 characters): its licences carry it.
const MAKER_USCC17: &str = "91321300MA1M3C0P3";

/// A business licence of the party whose USCC starts with `code17`.
fn licence_body(code17: &str, n: u32) -> Value {
    json!({"uscc": uscc(code17), "name": format!("licence {n}"), "scope": "家具制造、销售",
        "valid_from": "2016-01-01", "valid_to": "2036-01-01"})
}

/// A platform's check of a seller (passed), due again in a year.
fn check_body(kind: &str, n: u32) -> Value {
    json!({"kind": kind, "result": "pass", "checked_at": "2026-03-09T08:00:00Z",
        "next_due": "2027-03-09", "note": format!("check {n}")})
}

/// An inspection of `subject` by `lab`, sampled by `regulator` under `plan`.
fn planned_sample(subject: &str, lab: &str, regulator: &str, plan: &str, n: u32) -> Value {
    json!({"subject": subject, "lab": lab, "sampled_by": regulator, "report_no": format!("P-{n}"),
        "sampled_at": "2026-03-09T08:00:00Z",
        "results": [{"item": "formaldehyde_emission", "value": 0.03, "unit": "mg/m3"}],
        "plan": plan})
}

/// Day `n` after 2001-01-01: a day of sale no row has used (never in the future).
fn day(n: u32) -> String {
    let first = chrono::NaiveDate::from_ymd_opt(2001, 1, 1).unwrap();
    (first + chrono::Duration::days(i64::from(n)))
        .format("%Y-%m-%d")
        .to_string()
}

/// A producer-tracing request to `platform` about `listing`, due in a week.
fn request_body(platform: &str, listing: &str) -> Value {
    json!({"to": platform, "kind": "producer_tracing", "subjects": [listing],
        "question": "who made the goods of this listing?",
        "due_at": (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339()})
}

/// An inspection of `subject` whose sample was bought on `listing` of `platform`.
fn ordered_sample(
    subject: &str,
    lab: &str,
    regulator: &str,
    platform: &str,
    listing: &str,
    n: u32,
) -> Value {
    json!({"subject": subject, "lab": lab, "sampled_by": regulator, "report_no": format!("O-{n}"),
        "sampled_at": "2026-03-09T08:00:00Z",
        "results": [{"item": "formaldehyde_emission", "value": 0.03, "unit": "mg/m3"}],
        "order": {"platform": platform, "listing": listing, "order_no": format!("JD-{n}"),
            "ordered_at": "2026-03-08T08:00:00Z", "price": 99.5}})
}

fn id(r: &Resp) -> String {
    r.body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {}", r.text))
        .to_string()
}

struct World {
    op: Client,
    regulator: String,
    other_regulator: String,
    other_supplier: String,
    lab: String,
    inspection: String,
    action: String,
    case: String,
    supplier: String,
    manufacturer: String,
    platform: String,
    other_platform: String,
    lot: String,
    shipment: String,
    batch: String,
    unit: String,
    listing: String,
    /// A reseller (the `distributor` column) that received a piece of `batch` and most of
    /// `goods` from the maker, and another one it ships on to.
    distributor: String,
    other_distributor: String,
    /// A batch of the maker's (no serials, many pieces) for the rows that ship and sell.
    goods: String,
    /// A batch of the maker's the distributor never received.
    unreceived: String,
    /// The maker's shipment of `goods` to the distributor.
    goods_shipment: String,
    /// The distributor's listing on JD (linking `goods`) and a sale JD reported on it.
    dist_listing: String,
    sale: String,
    /// A request of the regulator to JD about `dist_listing`, answered with an attachment.
    request: String,
    /// The lab's inspection of `batch` with the order of its sample on JD's listing.
    ordered_inspection: String,
    /// A consumer's complaint (with a photo) about the maker's unit: its case, its reference.
    complaint_case: String,
    complaint: String,
    /// The maker's licence, entered by the maker.
    maker_licence: String,
    /// The distributor's licence, entered by the other platform in its entry check of the
    /// distributor (the other platform has no listing of the distributor's).
    dist_licence: String,
    /// A trademark of the other maker (no listings) authorising the distributor.
    trademark: String,
    other_maker: String,
    /// The regulator's sampling plan for 2026.
    plan: String,
    tokens: Vec<Option<String>>,
    n: Cell<u32>,
}

impl World {
    fn build(srv: &TestServer) -> World {
        let op = srv.client();
        let party = |name: &str, role: &str, code: &str| op.party(name, role, code, "临沂");
        let regulator = party("临沂市监局", "regulator", "11371300MB1K0K0Y0");
        let supplier = party("mill", "supplier", "91371300MA3C1A0X1");
        let manufacturer = party("maker", "manufacturer", "91321300MA1M3C0P3");
        let other_maker = party("maker 2", "manufacturer", "92320324MA1N4D0Q4");
        let platform = party("JD", "platform", "91110302MA0C5E0R5");
        let other_platform = party("PDD", "platform", "91310000MA1G7G0U7");
        let lab = party("Shaji lab", "lab", "12320324MB1M2M0B2");
        let other_regulator = party("徐州市监局", "regulator", "11320300MB1H8H0W8");
        let other_supplier = party("mill 2", "supplier", "91371300MA3C2B0Y2");
        let distributor = party("reseller", "distributor", DIST_USCC17);
        let other_distributor = party("reseller 2", "distributor", "92320100MA2D5E0F5");
        let key = |p: &str| {
            op.post(&format!("/api/v1/parties/{p}/keys"), &json!({}))
                .ok_status(201)
                .body["token"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let revoked = op
            .post(&format!("/api/v1/parties/{regulator}/keys"), &json!({}))
            .ok_status(201);
        op.delete(&format!("/api/v1/keys/{}", id(&revoked))).ok(204);
        let tokens = vec![
            Some(common::TOKEN.to_string()),
            Some(key(&regulator)),
            Some(key(&supplier)),
            Some(key(&manufacturer)),
            Some(key(&other_maker)),
            Some(key(&platform)),
            Some(key(&other_platform)),
            Some(key(&distributor)),
            Some(key(&lab)),
            None,
            Some("btk_this-is-not-a-real-token-at-all".into()),
            Some(revoked.body["token"].as_str().unwrap().to_string()),
        ];
        let lot = id(&op.post("/api/v1/lots", &json!({"producer": supplier, "lot_code": "L-0", "material": "plywood",
            "formaldehyde_class": "E0", "quantity": {"value": 1000.0, "unit": "sheet"}, "produced_at": "2026-03-02T08:00:00Z"})).ok_status(201));
        let shipment = id(&op
            .post(
                "/api/v1/shipments",
                &json!({"lot": lot, "from": supplier, "to": manufacturer,
            "quantity": {"value": 100.0, "unit": "sheet"}, "shipped_at": "2026-03-03T08:00:00Z"}),
            )
            .ok_status(201));
        let b = op.post("/api/v1/batches", &json!({"manufacturer": manufacturer, "batch_code": "B-0",
            "product": {"name": "wardrobe", "model": "W"}, "quantity": 2, "serials": true,
            "inputs": [{"lot": lot, "quantity": {"value": 10.0, "unit": "sheet"}}], "produced_at": "2026-03-04T08:00:00Z"})).ok_status(201);
        let batch = id(&b);
        let unit = b.body["units"][0]["id"].as_str().unwrap().to_string();
        // The maker lets JD link its batches (the seller's consent).
        op.post(
            "/api/v1/grants",
            &json!({"platform": platform, "seller": manufacturer}),
        )
        .ok(201);
        let listing = id(&op.post("/api/v1/listings", &json!({"platform": platform, "seller": manufacturer, "shop": "s",
            "item_id": "I-0", "url": "https://item.jd.com/1.html", "title": "t", "batches": [batch]})).ok_status(201));
        let inspection = id(&op
            .post(
                "/api/v1/inspections",
                &json!({"subject": lot, "lab": lab, "sampled_by": regulator,
            "report_no": "R-0", "sampled_at": "2026-03-05T08:00:00Z",
            "results": [{"item": "formaldehyde_emission", "value": 0.03, "unit": "mg/m3"}]}),
            )
            .ok_status(201));
        let action = id(&op
            .post(
                "/api/v1/actions",
                &json!({"listing": listing, "kind": "suspend", "reason": "r"}),
            )
            .ok_status(201));
        let case = id(&op
            .post(
                "/api/v1/cases",
                &json!({"title": "c", "opened_by": regulator}),
            )
            .ok_status(201));
        // The reseller: a piece of the maker's batch, and most of a batch of many pieces.
        let batch_of = |code: &str, pieces: u32| {
            id(&op
                .post(
                    "/api/v1/batches",
                    &json!({"manufacturer": manufacturer, "batch_code": code,
                "product": {"name": "chair", "model": "C"}, "quantity": pieces,
                "inputs": [{"lot": lot, "quantity": {"value": 1.0, "unit": "sheet"}}],
                "produced_at": "2026-03-04T08:00:00Z"}),
                )
                .ok_status(201))
        };
        let goods = batch_of("G-0", 100_000);
        let unreceived = batch_of("N-0", 10);
        let ship = |b: &str, pieces: u32| {
            id(&op
                .post(
                    "/api/v1/goods-shipments",
                    &json!({"batch": b, "from": manufacturer,
                "to": distributor, "pieces": pieces, "shipped_at": "2026-03-06T08:00:00Z"}),
                )
                .ok_status(201))
        };
        ship(&batch, 1);
        let goods_shipment = ship(&goods, 90_000);
        let dist_listing = id(&op
            .post(
                "/api/v1/listings",
                &json!({"platform": platform, "seller": distributor,
            "shop": "r", "item_id": "R-0", "url": "https://item.jd.com/9.html", "title": "chair",
            "batches": [goods]}),
            )
            .ok_status(201));
        let sale = id(&op
            .post(
                "/api/v1/sales",
                &json!({"listing": dist_listing, "day": "2026-03-10", "pieces": 3, "province": "浙江"}),
            )
            .ok_status(201));
        let reg = op.with_token(tokens[1].as_deref());
        let request = id(&reg
            .post("/api/v1/requests", &request_body(&platform, &dist_listing))
            .ok_status(201));
        op.with_token(tokens[5].as_deref())
            .post(&format!("/api/v1/requests/{request}/answer"), &json!({"answer": "the maker",
                "attachments": [{"name": "licence.txt", "media_type": "text/plain", "content_base64": "bGljZW5jZQ=="}]}))
            .ok_status(200);
        let ordered_inspection = id(&op
            .post(
                "/api/v1/inspections",
                &ordered_sample(&batch, &lab, &regulator, &platform, &listing, 0),
            )
            .ok_status(201));
        // A consumer's complaint about the maker's unit, with a photo (a JPEG header): the
        // maker is in Suqian, where no bureau is registered here, so it goes to a bureau of
        // its province (Xuzhou).
        let qr = op.get(&format!("/api/v1/units/{unit}"));
        let code = qr.body["qr"]["url"].as_str().unwrap().to_string();
        let filed = op.with_token(None).post(
            "/api/v1/complaints",
            &json!({"code": code, "text": "smell", "photo": "/9j/4AAQSkZJRgABAQ=="}),
        );
        let complaint = filed.ok_status(201).body["reference"]
            .as_str()
            .unwrap()
            .to_string();
        let cases = op.get(&format!("/api/v1/cases?holder={other_regulator}"));
        let complaint_case = cases.body["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "complaint")
            .map(|c| c["id"].as_str().unwrap().to_string())
            .expect("the complaint in the Xuzhou bureau's inbox");
        // Qualifications: the maker enters its licence; the other platform checks the
        // distributor (an entry check, before it sells there) and records the licence it saw;
        // the other maker holds a mark the distributor may use.
        let maker_licence = id(&op
            .with_token(tokens[3].as_deref())
            .post(
                &format!("/api/v1/parties/{manufacturer}/licences"),
                &licence_body(MAKER_USCC17, 0),
            )
            .ok_status(201));
        let mut entry = check_body("entry", 0);
        entry["licence"] = licence_body(DIST_USCC17, 0);
        let checked = op
            .with_token(tokens[6].as_deref())
            .post(&format!("/api/v1/parties/{distributor}/checks"), &entry)
            .ok_status(201);
        let dist_licence = checked.body["licence"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("the licence of the check in {}", checked.text))
            .to_string();
        let trademark = id(&op
            .post(
                &format!("/api/v1/parties/{other_maker}/trademarks"),
                &json!({"reg_no": "第1号", "mark": "沙集", "class": 20, "valid_to": "2033-06-30",
                    "authorised": [distributor]}),
            )
            .ok_status(201));
        let plan = id(&op
            .with_token(tokens[1].as_deref())
            .post(
                "/api/v1/plans",
                &json!({"title": "2026 wardrobes", "period": "2026-01-01/2026-12-31",
                    "owners": [regulator], "quota": 5, "categories": ["wardrobe"]}),
            )
            .ok_status(201));
        World {
            other_maker,
            maker_licence,
            dist_licence,
            trademark,
            plan,
            complaint_case,
            complaint,
            op,
            regulator,
            other_regulator,
            other_supplier,
            lab,
            inspection,
            action,
            case,
            supplier,
            manufacturer,
            platform,
            other_platform,
            lot,
            shipment,
            batch,
            unit,
            listing,
            distributor,
            other_distributor,
            goods,
            unreceived,
            goods_shipment,
            dist_listing,
            sale,
            request,
            ordered_inspection,
            tokens,
            n: Cell::new(0),
        }
    }

    /// Revokes the maker's active grants to the other platform, so that a grant row starts
    /// from none.
    fn clear_grants(&self) {
        let all = self.op.get("/api/v1/grants");
        for g in all.body["grants"].as_array().cloned().unwrap_or_default() {
            if g["active"] == true && g["platform"] == self.other_platform.as_str() {
                let gid = g["id"].as_str().unwrap();
                self.op.delete(&format!("/api/v1/grants/{gid}")).ok(200);
            }
        }
    }

    /// A new open request of the regulator to JD (an answer or decline takes one each).
    fn fresh_request(&self) -> String {
        let reg = self.op.with_token(self.tokens[1].as_deref());
        id(&reg
            .post(
                "/api/v1/requests",
                &request_body(&self.platform, &self.dist_listing),
            )
            .ok_status(201))
    }

    fn fresh(&self) -> u32 {
        self.n.set(self.n.get() + 1);
        self.n.get()
    }

    /// Runs the request a matrix row names, as the caller of column `col`.
    fn run(&self, row: &str, col: usize) -> Resp {
        let c = self.op.with_token(self.tokens[col].as_deref());
        let n = self.fresh();
        let (s, lot) = (&self.supplier, &self.lot);
        match row {
            "GET /healthz" => c.get("/healthz"),
            "POST /parties" => {
                let code = format!("9137130{n:010}");
                c.post("/api/v1/parties", &json!({"name": format!("p{n}"), "role": "supplier", "uscc": uscc(&code), "city": "c"}))
            }
            "GET /parties" => c.get("/api/v1/parties?role=regulator"),
            "POST /parties as a platform" => {
                let code = format!("9111030{n:010}");
                c.post("/api/v1/parties", &json!({"name": format!("p{n}"), "role": "platform", "uscc": uscc(&code), "city": "c"}))
            }
            "GET /parties/{supplier}" => c.get(&format!("/api/v1/parties/{s}")),
            "POST /parties/{other regulator}/keys" => {
                c.post(&format!("/api/v1/parties/{}/keys", self.other_regulator), &json!({}))
            }
            "POST /grants by the manufacturer" => {
                self.clear_grants();
                c.post("/api/v1/grants", &json!({"platform": self.other_platform, "seller": self.manufacturer}))
            }
            "GET /grants" => c.get("/api/v1/grants"),
            "DELETE /grants/{manufacturer grant}" => {
                self.clear_grants();
                let g = id(&self.op.post("/api/v1/grants", &json!({"platform": self.other_platform,
                    "seller": self.manufacturer})).ok_status(201));
                c.delete(&format!("/api/v1/grants/{g}"))
            }
            "POST /parties/{supplier}/keys" => c.post(&format!("/api/v1/parties/{s}/keys"), &json!({})),
            "GET /parties/{supplier}/keys" => c.get(&format!("/api/v1/parties/{s}/keys")),
            "DELETE /keys/{supplier key}" => {
                let k = id(&self.op.post(&format!("/api/v1/parties/{s}/keys"), &json!({})).ok_status(201));
                c.delete(&format!("/api/v1/keys/{k}"))
            }
            "POST /lots as supplier" => c.post("/api/v1/lots", &json!({"producer": s, "lot_code": format!("L-{n}"),
                "material": "mdf", "formaldehyde_class": "E1", "quantity": {"value": 5.0, "unit": "sheet"},
                "produced_at": "2026-03-02T08:00:00Z"})),
            "GET /lots/{supplier lot}" => c.get(&format!("/api/v1/lots/{lot}")),
            "POST /shipments supplier to manufacturer" => c.post("/api/v1/shipments", &json!({"lot": lot, "from": s,
                "to": self.manufacturer, "quantity": {"value": 1.0, "unit": "sheet"}, "shipped_at": "2026-03-03T08:00:00Z"})),
            "GET /shipments/{supplier to manufacturer}" => c.get(&format!("/api/v1/shipments/{}", self.shipment)),
            "POST /batches as manufacturer" => c.post("/api/v1/batches", &json!({"manufacturer": self.manufacturer,
                "batch_code": format!("B-{n}"), "product": {"name": "desk", "model": "D"}, "quantity": 1,
                "inputs": [{"lot": lot, "quantity": {"value": 1.0, "unit": "sheet"}}], "produced_at": "2026-03-04T08:00:00Z"})),
            "GET /batches/{manufacturer batch}" => c.get(&format!("/api/v1/batches/{}", self.batch)),
            "GET /units/{manufacturer unit}" => c.get(&format!("/api/v1/units/{}", self.unit)),
            "POST /listings on platform" => c.post("/api/v1/listings", &json!({"platform": self.platform,
                "seller": self.manufacturer, "shop": "s", "item_id": format!("I-{n}"), "url": "https://item.jd.com/2.html",
                "title": "t", "batches": [self.batch]})),
            "GET /listings/{platform listing}" => c.get(&format!("/api/v1/listings/{}", self.listing)),
            "POST /listings/{platform listing}/batches" => {
                c.post(&format!("/api/v1/listings/{}/batches", self.listing), &json!({"batches": [self.batch]}))
            }
            "GET /trace/upstream/{manufacturer unit}" => c.get(&format!("/api/v1/trace/upstream/{}", self.unit)),
            "GET /trace/upstream/{platform listing}" => c.get(&format!("/api/v1/trace/upstream/{}", self.listing)),
            "GET /trace/downstream/{supplier}" => c.get(&format!("/api/v1/trace/downstream/{s}")),
            "GET /trace/downstream/{supplier lot}" => c.get(&format!("/api/v1/trace/downstream/{lot}")),
            "GET /events" => c.get("/api/v1/events"),
            "POST /inspections by the lab" => c.post("/api/v1/inspections", &json!({"subject": lot, "lab": self.lab,
                "sampled_by": self.regulator, "report_no": format!("R-{n}"), "sampled_at": "2026-03-05T08:00:00Z",
                "results": [{"item": "formaldehyde_emission", "value": 0.03, "unit": "mg/m3"}]})),
            "GET /inspections/{lab inspection}" => c.get(&format!("/api/v1/inspections/{}", self.inspection)),
            "POST /parties/{supplier}/compliance" => c.post(&format!("/api/v1/parties/{s}/compliance"),
                &json!({"status": "compliant", "reason": "checked"})),
            "GET /parties/{supplier}/compliance" => c.get(&format!("/api/v1/parties/{s}/compliance")),
            "GET /compliance/suppliers" => c.get("/api/v1/compliance/suppliers"),
            "GET /compliance/affected-listings" => c.get(&format!("/api/v1/compliance/affected-listings?supplier={s}")),
            "POST /actions on a platform listing" => {
                let l = id(&self.op.post("/api/v1/listings", &json!({"platform": self.platform, "seller": self.manufacturer,
                    "shop": "s", "item_id": format!("A-{n}"), "url": "https://item.jd.com/3.html", "title": "t",
                    "batches": [self.batch]})).ok_status(201));
                c.post("/api/v1/actions", &json!({"listing": l, "kind": "block", "reason": "r"}))
            }
            "POST /actions/bulk" => c.post("/api/v1/actions/bulk", &json!({"supplier": self.other_supplier, "kind": "delete", "reason": "r"})),
            "GET /actions" => c.get("/api/v1/actions"),
            "GET /actions/{platform action}" => c.get(&format!("/api/v1/actions/{}", self.action)),
            "POST /actions/{platform action}/ack" => {
                c.post(&format!("/api/v1/actions/{}/ack", self.action), &json!({"result": "done", "note": "ok"}))
            }
            "POST /cases" => c.post("/api/v1/cases", &json!({"title": format!("c{n}"), "opened_by": self.regulator})),
            "GET /cases" => c.get("/api/v1/cases"),
            "GET /cases/{case}" => c.get(&format!("/api/v1/cases/{}", self.case)),
            "POST /cases/{case}/transfer" => {
                let case = id(&self.op.post("/api/v1/cases", &json!({"title": format!("t{n}"), "opened_by": self.regulator})).ok_status(201));
                c.post(&format!("/api/v1/cases/{case}/transfer"), &json!({"to": self.other_regulator, "note": "n"}))
            }
            "POST /cases/{case}/notes" => c.post(&format!("/api/v1/cases/{}/notes", self.case), &json!({"note": format!("n{n}")})),
            "POST /cases/{other bureau's case}/transfer" => {
                let case = id(&self.op.post("/api/v1/cases", &json!({"title": format!("x{n}"), "opened_by": self.other_regulator})).ok_status(201));
                c.post(&format!("/api/v1/cases/{case}/transfer"), &json!({"to": self.regulator, "note": "n"}))
            }
            "POST /cases/{other bureau's case}/notes" => {
                let case = id(&self.op.post("/api/v1/cases", &json!({"title": format!("y{n}"), "opened_by": self.other_regulator})).ok_status(201));
                c.post(&format!("/api/v1/cases/{case}/notes"), &json!({"status": "closed", "note": "closing another bureau's case"}))
            }
            "POST /complaints about the manufacturer unit" => {
                let qr = self.op.get(&format!("/api/v1/units/{}", self.unit));
                let code = qr.body["qr"]["url"].as_str().unwrap().to_string();
                c.post("/api/v1/complaints", &json!({"code": code, "text": format!("complaint {n}")}))
            }
            "GET /complaints/{reference}" => c.get(&format!("/api/v1/complaints/{}", self.complaint)),
            "GET /cases/{complaint}/photo" => c.get(&format!("/api/v1/cases/{}/photo", self.complaint_case)),
            "GET /stats/failing-items" => c.get("/api/v1/stats/failing-items"),
            "GET /stats/cooperation" => c.get("/api/v1/stats/cooperation"),
            "GET /me" => c.get("/api/v1/me"),
            "GET /parties/{supplier}/stock" => c.get(&format!("/api/v1/parties/{s}/stock")),
            "GET /qr/{supplier lot}.svg" => c.get(&format!("/api/v1/qr/{lot}.svg")),
            "GET /batches/{manufacturer batch}/labels" => c.get(&format!("/api/v1/batches/{}/labels", self.batch)),
            "POST /parties as a distributor" => {
                let code = format!("9233010{n:010}");
                c.post("/api/v1/parties", &json!({"name": format!("d{n}"), "role": "distributor", "uscc": uscc(&code), "city": "c"}))
            }
            "POST /parties/{distributor}/keys" => c.post(&format!("/api/v1/parties/{}/keys", self.distributor), &json!({})),
            "POST /grants by the distributor" => {
                self.clear_grants();
                c.post("/api/v1/grants", &json!({"platform": self.other_platform, "seller": self.distributor}))
            }
            "POST /goods-shipments manufacturer to distributor" => c.post("/api/v1/goods-shipments", &json!({
                "batch": self.goods, "from": self.manufacturer, "to": self.distributor, "pieces": 1,
                "shipped_at": "2026-03-07T08:00:00Z"})),
            "POST /goods-shipments distributor onwards" => c.post("/api/v1/goods-shipments", &json!({
                "batch": self.goods, "from": self.distributor, "to": self.other_distributor, "pieces": 1,
                "shipped_at": "2026-03-08T08:00:00Z"})),
            "GET /goods-shipments/{manufacturer to distributor}" => c.get(&format!("/api/v1/goods-shipments/{}", self.goods_shipment)),
            "GET /parties/{distributor}/goods" => c.get(&format!("/api/v1/parties/{}/goods", self.distributor)),
            "POST /listings for the distributor" => c.post("/api/v1/listings", &json!({"platform": self.platform,
                "seller": self.distributor, "shop": "r", "item_id": format!("R-{n}"), "url": "https://item.jd.com/8.html",
                "title": "t", "batches": []})),
            "GET /listings/{distributor listing}" => c.get(&format!("/api/v1/listings/{}", self.dist_listing)),
            "POST /listings/{distributor listing}/batches it received" => c.post(
                &format!("/api/v1/listings/{}/batches", self.dist_listing), &json!({"batches": [self.goods]})),
            "POST /listings/{distributor listing}/batches it never received" => c.post(
                &format!("/api/v1/listings/{}/batches", self.dist_listing), &json!({"batches": [self.unreceived]})),
            "GET /trace/upstream/{distributor listing}" => c.get(&format!("/api/v1/trace/upstream/{}", self.dist_listing)),
            "GET /trace/downstream/{distributor}" => c.get(&format!("/api/v1/trace/downstream/{}", self.distributor)),
            "POST /sales on the distributor listing" => c.post("/api/v1/sales", &json!({"listing": self.dist_listing,
                "day": day(n), "pieces": 1, "province": "江苏"})),
            "GET /sales of the distributor listing" => c.get(&format!("/api/v1/sales?listing={}", self.dist_listing)),
            "GET /sales/{distributor sale}" => c.get(&format!("/api/v1/sales/{}", self.sale)),
            "POST /sales/{distributor sale}/correction" => c.post(&format!("/api/v1/sales/{}/correction", self.sale),
                &json!({"pieces": 2 + n % 2, "note": format!("correction {n}")})),
            "POST /sales/import as CSV" => c.post_raw("/api/v1/sales/import", "text/csv",
                format!("listing,day,pieces,province\n{},{},1,32\n", self.dist_listing, day(n)).as_bytes()),
            "POST /sales/import as NDJSON" => c.post_raw("/api/v1/sales/import", "application/x-ndjson",
                format!("{}\n", json!({"listing": self.dist_listing, "day": day(n), "pieces": 1})).as_bytes()),
            "POST /requests to the platform" => c.post("/api/v1/requests", &request_body(&self.platform, &self.dist_listing)),
            "GET /requests" => c.get("/api/v1/requests"),
            "GET /requests/{request to the platform}" => c.get(&format!("/api/v1/requests/{}", self.request)),
            "POST /requests/{request to the platform}/answer" => {
                let r = self.fresh_request();
                c.post(&format!("/api/v1/requests/{r}/answer"), &json!({"answer": format!("answer {n}")}))
            }
            "POST /requests/{request to the platform}/decline" => {
                let r = self.fresh_request();
                c.post(&format!("/api/v1/requests/{r}/decline"), &json!({"reason": format!("reason {n}")}))
            }
            "GET /requests/{answered request}/attachments/0" => c.get(&format!("/api/v1/requests/{}/attachments/0", self.request)),
            "POST /inspections with an order" => c.post("/api/v1/inspections",
                &ordered_sample(&self.batch, &self.lab, &self.regulator, &self.platform, &self.listing, n)),
            "GET /inspections/{inspection with an order}" => c.get(&format!("/api/v1/inspections/{}", self.ordered_inspection)),
            "POST /inspections/{inspection with an order}/confirmation" => {
                let i = id(&self.op.post("/api/v1/inspections",
                    &ordered_sample(&self.batch, &self.lab, &self.regulator, &self.platform, &self.listing, n)).ok_status(201));
                c.post(&format!("/api/v1/inspections/{i}/confirmation"), &json!({"result": "confirmed", "note": "the order is ours"}))
            }
            "GET /comparison" => c.get("/api/v1/comparison"),
            "GET /sellers/{distributor}/comparison" => c.get(&format!("/api/v1/sellers/{}/comparison", self.distributor)),
            "GET /sellers/{distributor uscc}/comparison" => c.get(&format!("/api/v1/sellers/{}/comparison", uscc(DIST_USCC17))),
            "POST /parties/{manufacturer}/licences" => c.post(&format!("/api/v1/parties/{}/licences", self.manufacturer),
                &licence_body(MAKER_USCC17, n)),
            "POST /parties/{manufacturer}/trademarks" => c.post(&format!("/api/v1/parties/{}/trademarks", self.manufacturer),
                &json!({"reg_no": format!("第{n}号"), "mark": format!("mark {n}"), "class": 20, "valid_to": "2033-06-30"})),
            "POST /parties/{manufacturer}/certificates" => c.post(&format!("/api/v1/parties/{}/certificates", self.manufacturer),
                &json!({"kind": "CQC", "number": format!("C-{n}"), "body": "中国质量认证中心", "valid_to": "2030-01-01"})),
            "POST /parties/{distributor}/licences checked by the other platform" => c.post(
                &format!("/api/v1/parties/{}/licences", self.distributor), &licence_body(DIST_USCC17, n)),
            "GET /qualifications/{manufacturer licence}" => c.get(&format!("/api/v1/qualifications/{}", self.maker_licence)),
            "GET /qualifications/{distributor licence entered by the other platform}" => {
                c.get(&format!("/api/v1/qualifications/{}", self.dist_licence))
            }
            "GET /qualifications/{other maker trademark authorising the distributor}" => {
                c.get(&format!("/api/v1/qualifications/{}", self.trademark))
            }
            "POST /qualifications/{manufacturer licence}/review" => c.post(
                &format!("/api/v1/qualifications/{}/review", self.maker_licence),
                &json!({"result": "confirmed", "note": format!("review {n}")})),
            "POST /parties/{distributor}/checks" => c.post(&format!("/api/v1/parties/{}/checks", self.distributor),
                &check_body("recheck", n)),
            "POST /parties/{supplier}/checks" => c.post(&format!("/api/v1/parties/{s}/checks"), &check_body("entry", n)),
            "GET /parties/{manufacturer}/qualifications" => c.get(&format!("/api/v1/parties/{}/qualifications", self.manufacturer)),
            "GET /parties/{distributor}/qualifications checked by the other platform" => {
                c.get(&format!("/api/v1/parties/{}/qualifications", self.distributor))
            }
            "GET /parties/{manufacturer}/quality" => c.get(&format!("/api/v1/parties/{}/quality", self.manufacturer)),
            "GET /parties/{distributor}/quality checked by the other platform" => {
                c.get(&format!("/api/v1/parties/{}/quality", self.distributor))
            }
            "POST /listings on platform with claims" => c.post("/api/v1/listings", &json!({"platform": self.platform,
                "seller": self.manufacturer, "shop": "s", "item_id": format!("K-{n}"), "url": "https://item.jd.com/4.html",
                "title": "t", "batches": [self.batch], "claims": {"formaldehyde_class": "E0", "material": "胶合板"}})),
            "POST /listings/{platform listing}/claims" => c.post(&format!("/api/v1/listings/{}/claims", self.listing),
                &json!({"formaldehyde_class": "E0", "trademark": format!("mark {n}")})),
            "GET /listings/{platform listing}/claims" => c.get(&format!("/api/v1/listings/{}/claims", self.listing)),
            "GET /listings/{distributor listing}/claims" => c.get(&format!("/api/v1/listings/{}/claims", self.dist_listing)),
            "GET /flags" => c.get("/api/v1/flags"),
            "GET /flags of the other platform" => c.get(&format!("/api/v1/flags?platform={}", self.other_platform)),
            "GET /review" => c.get("/api/v1/review"),
            "GET /review of the other platform" => c.get(&format!("/api/v1/review?platform={}", self.other_platform)),
            "GET /checks/queue" => c.get("/api/v1/checks/queue"),
            "POST /plans" => c.post("/api/v1/plans", &json!({"title": format!("plan {n}"),
                "period": {"from": "2026-01-01", "to": "2026-06-30"}, "owners": [self.regulator], "quota": 2})),
            "GET /plans" => c.get("/api/v1/plans"),
            "GET /plans/{plan}" => c.get(&format!("/api/v1/plans/{}", self.plan)),
            "GET /plans/{plan}/candidates" => c.get(&format!("/api/v1/plans/{}/candidates", self.plan)),
            "POST /inspections under a plan" => c.post("/api/v1/inspections",
                &planned_sample(&self.batch, &self.lab, &self.regulator, &self.plan, n)),
            other => panic!("the README matrix names a route this test does not know: {other}"),
        }
    }
}

trait OkStatus {
    fn ok_status(self, status: u16) -> Resp;
}

impl OkStatus for Resp {
    #[track_caller]
    fn ok_status(self, status: u16) -> Resp {
        self.ok(status);
        self
    }
}

/// The matrix from README.md: (route, expected status per column).
fn matrix() -> Vec<(String, Vec<u16>)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("<!-- access-matrix:start -->")
        .expect("matrix start marker");
    let end = readme
        .find("<!-- access-matrix:end -->")
        .expect("matrix end marker");
    let mut rows = Vec::new();
    for line in readme[start..end].lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells[0] == "route" {
            assert_eq!(&cells[1..], &COLUMNS[..], "matrix columns changed");
            continue;
        }
        if cells[0].starts_with("---") {
            continue;
        }
        let statuses = cells[1..]
            .iter()
            .map(|c| c.parse().expect("status"))
            .collect::<Vec<u16>>();
        assert_eq!(statuses.len(), COLUMNS.len(), "row {}", cells[0]);
        rows.push((cells[0].to_string(), statuses));
    }
    rows
}

#[test]
fn every_role_against_every_route_matches_the_readme_matrix() {
    // Complaints come from one address about one code here, many in a row: without their
    // limits.
    let srv = TestServer::start_with(tempfile::tempdir().unwrap(), |c| {
        c.complaint_limit.per_second = 0.0;
        c.complaint_code_limit.per_second = 0.0;
    });
    let w = World::build(&srv);
    let rows = matrix();
    assert!(rows.len() >= 20, "matrix has only {} rows", rows.len());
    let mut failures = Vec::new();
    for (route, expected) in &rows {
        for (col, &want) in expected.iter().enumerate() {
            let r = w.run(route, col);
            if r.status != want {
                failures.push(format!(
                    "{route} as {}: expected {want}, got {} {}",
                    COLUMNS[col], r.status, r.text
                ));
            } else if want >= 400 {
                assert_eq!(
                    r.content_type, "application/problem+json",
                    "{route} as {}",
                    COLUMNS[col]
                );
                if want == 401 {
                    assert_eq!(
                        r.header("www-authenticate"),
                        Some("Bearer realm=\"boardtrail\"")
                    );
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells differ from README:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The qualification, flag and plan rows stand on what their names say: the distributor's
/// licence was entered by the other platform, which has no listing of the distributor's
/// (its 201s and 200s come from its check alone); the trademark is the other maker's and
/// authorises the distributor; a platform asking for another platform's flags or review
/// gets its own; the plan counts the lab's samples under it.
#[test]
fn the_qualification_and_plan_rows_stand_on_what_they_name() {
    let srv = TestServer::start();
    let w = World::build(&srv);
    let as_col = |col: usize| w.op.with_token(w.tokens[col].as_deref());
    let licence =
        w.op.get(&format!("/api/v1/qualifications/{}", w.dist_licence));
    assert_eq!(licence.ok(200)["entered_by"], w.other_platform.as_str());
    assert_eq!(licence.body["party"], w.distributor.as_str());
    let listings =
        w.op.get(&format!("/api/v1/trace/downstream/{}", w.distributor));
    assert!(
        !listings
            .ok(200)
            .to_string()
            .contains(w.other_platform.as_str()),
        "the other platform lists nothing of the distributor's: {}",
        listings.text
    );
    let tm = w.op.get(&format!("/api/v1/qualifications/{}", w.trademark));
    assert_eq!(tm.ok(200)["party"], w.other_maker.as_str());
    assert_eq!(tm.body["authorised"], json!([w.distributor]));
    // The distributor sees the mark among its qualifications; JD (where it sells) does not
    // read the mark itself.
    let mine = as_col(7).get(&format!("/api/v1/parties/{}/qualifications", w.distributor));
    assert!(mine.ok(200)["trademarks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == w.trademark.as_str()));
    as_col(5)
        .get(&format!("/api/v1/qualifications/{}", w.trademark))
        .problem(404);
    // The other platform's queue holds the distributor it checked, as current; having only
    // checked it (the distributor sells nothing there), it is not shown its licence.
    let q = as_col(6).get("/api/v1/checks/queue");
    let row = q.ok(200)["sellers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["seller"] == w.distributor.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("the distributor in {}", q.text));
    assert_eq!(row["check_state"], "current", "{row}");
    assert_eq!(row["licence_state"], "not_shown", "{row}");
    assert!(row["licence_valid_to"].is_null(), "{row}");
    // JD asking for PDD's flags and review is given its own.
    for path in ["flags", "review"] {
        let r = as_col(5).get(&format!("/api/v1/{path}?platform={}", w.other_platform));
        assert!(
            !r.ok(200).to_string().contains(w.other_platform.as_str()),
            "{path}: {}",
            r.text
        );
    }
    let rv = as_col(5).get(&format!("/api/v1/review?platform={}", w.other_platform));
    assert_eq!(rv.body["platforms"][0]["platform"], w.platform.as_str());
    // A sample under the plan is the regulator's progress.
    as_col(8)
        .post(
            "/api/v1/inspections",
            &planned_sample(&w.batch, &w.lab, &w.regulator, &w.plan, 9999),
        )
        .ok(201);
    let plan = as_col(1).get(&format!("/api/v1/plans/{}", w.plan));
    assert_eq!(plan.ok(200)["progress"][0]["taken"], 1, "{}", plan.text);
    assert_eq!(plan.body["progress"][0]["bureau"], w.regulator.as_str());
}

#[test]
fn a_supplier_sees_downstream_only_as_far_as_its_shipments() {
    let srv = TestServer::start();
    let w = World::build(&srv);
    let supplier = w.op.with_token(w.tokens[2].as_deref());
    let r = supplier.get(&format!("/api/v1/trace/downstream/{}", w.supplier));
    let v: &Value = r.ok(200);
    assert_eq!(v["scope"], "own");
    assert_eq!(v["shipped_to"][0]["party"], w.manufacturer.as_str());
    assert_eq!(v["batch_count"], 0);
    assert_eq!(v["listings"]["total"], 0);
    // The regulator sees the whole reach of the same supplier.
    let reg = w.op.with_token(w.tokens[1].as_deref());
    let r = reg.get(&format!("/api/v1/trace/downstream/{}", w.supplier));
    assert_eq!(r.ok(200)["scope"], "full");
    // The maker's listing, and the reseller's listing of goods made from the same lot.
    assert_eq!(r.body["listings"]["total"], 2, "{}", r.text);
    for l in [&w.listing, &w.dist_listing] {
        assert!(r.text.contains(l.as_str()), "{l} in {}", r.text);
    }
    // Writes record the acting party and key.
    let mill = w.op.with_token(w.tokens[2].as_deref());
    mill.post("/api/v1/lots", &json!({"producer": w.supplier, "lot_code": "by-key", "material": "mdf",
        "formaldehyde_class": "E1", "quantity": {"value": 5.0, "unit": "sheet"}, "produced_at": "2026-03-02T08:00:00Z"}))
        .ok(201);
    let evs = w.op.get("/api/v1/events?limit=1000");
    let last = evs.body["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "lot_registered");
    assert_eq!(last["actor_party"], w.supplier.as_str());
    assert!(last["actor_key"].as_str().unwrap().starts_with("key_"));
}

#[test]
fn revocation_is_immediate_and_tokens_never_leak() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let data = dir.path().join("data");
    let op_token = "leak-test-operator-token-000001";
    let mut p = common::spawn_binary(&data, op_token, Some(&log));
    let op = Client::new(&p.base, Some(op_token));
    let reg = id(&op.post("/api/v1/parties", &json!({"name": "宿迁市监局", "role": "regulator", "uscc": uscc("11321300MB1J9J0X9"), "city": "宿迁"})).ok_status(201));
    let issued = op
        .post(&format!("/api/v1/parties/{reg}/keys"), &json!({}))
        .ok_status(201);
    let token = issued.body["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 26, "token too short for 128 bits: {token}");
    let key_id = id(&issued);
    let me = Client::new(&p.base, Some(&token));
    me.get(&format!("/api/v1/parties/{reg}")).ok(200);
    // The key list shows ids and times, never tokens.
    let keys = op.get(&format!("/api/v1/parties/{reg}/keys"));
    assert!(!keys.text.contains(&token));
    assert_eq!(keys.ok(200)["keys"][0]["id"], key_id.as_str());
    // Used with a bad request too, so error paths are covered by the grep below.
    me.post("/api/v1/lots", &json!({"nonsense": true}))
        .problem(400);
    me.delete(&format!("/api/v1/keys/{key_id}")).ok(204);
    let r = me.get(&format!("/api/v1/parties/{reg}"));
    r.problem(401);
    assert!(!r.text.contains(&token));
    op.delete(&format!("/api/v1/keys/{key_id}")).ok(204); // idempotent
    p.child.kill().unwrap();
    p.child.wait().unwrap();

    let mut hay = std::fs::read(&log).unwrap();
    assert!(!hay.is_empty(), "the server wrote no log to search");
    for entry in walk(&data) {
        hay.extend(std::fs::read(entry).unwrap());
    }
    for needle in [
        token.as_bytes(),
        op_token.as_bytes(),
        &token.as_bytes()[4..20],
    ] {
        assert!(
            !hay.windows(needle.len()).any(|w| w == needle),
            "a token was found in the data directory or the log"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
