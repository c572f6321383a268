//! Compliance and enforcement over HTTP: inspections judged by the declared grade and by
//! GB 18584, suspect marks, a non-compliant Linyi mill, affected listings (JSON and CSV),
//! a bulk suspend into each platform's queue, JD's acknowledgement, a case moved from
//! Xuzhou to Linyi, and the statistics.

mod common;

use common::{id, Client, TestServer};
use serde_json::{json, Value};
use std::collections::BTreeSet;

struct World {
    op: Client,
    base: String,
    mill_a: String,
    mill_b: String,
    xuzhou: String,
    linyi: String,
    lab: String,
    jd: String,
    taobao: String,
    pdd: String,
    ply_e0: String,
    pb_e1: String,
    mdf_e0: String,
    jd_listing: String,
    tb_listing: String,
    pdd_listing: String,
    pdd_desk: String,
}

impl World {
    fn key(&self, party: &str) -> Client {
        let t = self
            .op
            .post(&format!("/api/v1/parties/{party}/keys"), &json!({}))
            .ok(201)["token"]
            .as_str()
            .unwrap()
            .to_string();
        Client::new(&self.base, Some(&t))
    }

    fn build(srv: &TestServer) -> World {
        let op = srv.client();
        let party =
            |name: &str, role: &str, code: &str, city: &str| op.party(name, role, code, city);
        let mill_a = party(
            "临沂鑫源板材",
            "supplier",
            "91371300MA3C1A0X1",
            "临沂 Linyi",
        );
        let mill_b = party(
            "临沂华森木业",
            "supplier",
            "91371300MA3C2B0Y2",
            "临沂 Linyi",
        );
        let suqian = party(
            "宿迁木森家具",
            "manufacturer",
            "91321300MA1M3C0P3",
            "宿迁 Suqian",
        );
        let shaji = party(
            "沙集优品家具",
            "manufacturer",
            "92320324MA1N4D0Q4",
            "徐州 Xuzhou",
        );
        let jd = party("京东 JD", "platform", "91110302MA0C5E0R5", "北京");
        let taobao = party("淘宝 Taobao", "platform", "91330100MA2C6F0T6", "杭州");
        let pdd = party("拼多多 Pinduoduo", "platform", "91310000MA1G7G0U7", "上海");
        let xuzhou = party(
            "徐州市市场监督管理局",
            "regulator",
            "11320300MB1H8H0W8",
            "徐州",
        );
        let linyi = party(
            "临沂市市场监督管理局",
            "regulator",
            "11371300MB1K0K0Y0",
            "临沂",
        );
        let lab = party("沙集家具质检中心", "lab", "12320324MB1M2M0B2", "徐州");
        let lot = |p: &str, code: &str, material: &str, class: &str| {
            id(op
                .post(
                    "/api/v1/lots",
                    &json!({"producer": p, "lot_code": code, "material": material,
                "formaldehyde_class": class, "quantity": {"value": 1000.0, "unit": "sheet"},
                "produced_at": "2026-03-02T08:00:00+08:00"}),
                )
                .ok(201))
        };
        let ply_e0 = lot(&mill_a, "XY-PLY", "plywood", "E0");
        let pb_e1 = lot(&mill_a, "XY-PB", "particleboard", "E1");
        let mdf_e0 = lot(&mill_b, "HS-MDF", "mdf", "E0");
        let ship = |l: &str, from: &str, to: &str| {
            op.post("/api/v1/shipments", &json!({"lot": l, "from": from, "to": to,
                "quantity": {"value": 300.0, "unit": "sheet"}, "shipped_at": "2026-03-05T08:00:00+08:00"})).ok(201);
        };
        ship(&ply_e0, &mill_a, &suqian);
        ship(&pb_e1, &mill_a, &shaji);
        ship(&mdf_e0, &mill_b, &suqian);
        let batch = |m: &str, code: &str, inputs: Value| {
            id(op
                .post(
                    "/api/v1/batches",
                    &json!({"manufacturer": m, "batch_code": code,
                "product": {"name": "家具", "model": code}, "quantity": 10, "inputs": inputs,
                "produced_at": "2026-03-10T08:00:00+08:00", "serials": true}),
                )
                .ok(201))
        };
        let wardrobes = batch(
            &suqian,
            "W-1",
            json!([{"lot": ply_e0, "quantity": {"value": 50.0, "unit": "sheet"}},
                                                       {"lot": mdf_e0, "quantity": {"value": 20.0, "unit": "sheet"}}]),
        );
        let shelves = batch(
            &shaji,
            "S-1",
            json!([{"lot": pb_e1, "quantity": {"value": 40.0, "unit": "sheet"}}]),
        );
        let desks = batch(
            &suqian,
            "D-1",
            json!([{"lot": mdf_e0, "quantity": {"value": 30.0, "unit": "sheet"}}]),
        );
        let listing = |p: &str, seller: &str, item: &str, b: &str| {
            id(op.post("/api/v1/listings", &json!({"platform": p, "seller": seller, "shop": "旗舰店", "item_id": item,
                "url": format!("https://shop.example/{item}"), "title": format!("商品 {item}"), "batches": [b]})).ok(201))
        };
        World {
            jd_listing: listing(&jd, &suqian, "JD-100", &wardrobes),
            tb_listing: listing(&taobao, &shaji, "TB-200", &shelves),
            pdd_listing: listing(&pdd, &shaji, "PDD-300", &shelves),
            pdd_desk: listing(&pdd, &suqian, "PDD-400", &desks),
            op,
            base: srv.base.clone(),
            mill_a,
            mill_b,
            xuzhou,
            linyi,
            lab,
            jd,
            taobao,
            pdd,
            ply_e0,
            pb_e1,
            mdf_e0,
        }
    }
}

fn ids(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn enforcement_story() {
    let srv = TestServer::start();
    let w = World::build(&srv);
    let lab = w.key(&w.lab);
    let xuzhou = w.key(&w.xuzhou);
    let linyi = w.key(&w.linyi);
    let jd = w.key(&w.jd);
    let pdd = w.key(&w.pdd);

    let inspect = |subject: &str, report: &str, sampler: &str, results: Value| {
        lab.post(
            "/api/v1/inspections",
            &json!({"subject": subject, "lab": w.lab, "sampled_by": sampler,
            "report_no": report, "sampled_at": "2026-04-02T10:00:00+08:00", "results": results}),
        )
    };
    let chamber = |v: f64| json!([{"item": "formaldehyde_emission", "value": v, "unit": "mg/m3", "method": "GB/T 17657-2013 4.60"}]);

    // E0 lot at 0.04 passes; at 0.08 it fails its declared grade (though within E1).
    let r = inspect(&w.ply_e0, "SJ-2026-001", &w.xuzhou, chamber(0.04));
    assert_eq!(r.ok(201)["verdict"], "pass");
    let r = inspect(&w.ply_e0, "SJ-2026-002", &w.xuzhou, chamber(0.08));
    assert_eq!(r.ok(201)["verdict"], "fail");
    assert_eq!(r.body["failed"][0]["limit"], 0.05);
    assert_eq!(r.body["failed"][0]["limit_source"], "GB/T 39600-2021 E0");
    // The lab sees its own inspection and verdict, not the supply chain behind the sample;
    // the bureau that sampled it sees which lots and mills it marked.
    assert_eq!(
        r.body["marked"],
        json!([]),
        "a lab is not told the upstream it marked"
    );
    let seen = xuzhou.get(&format!("/api/v1/inspections/{}", id(&r.body)));
    assert!(ids(&json!(seen.ok(200)["marked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| json!({"id": m}))
        .collect::<Vec<_>>()))
    .contains(&w.mill_a));
    // E1 lot at 0.13 fails (0.124).
    let r = inspect(&w.pb_e1, "SJ-2026-003", &w.xuzhou, chamber(0.13));
    assert_eq!(r.ok(201)["verdict"], "fail");
    assert_eq!(r.body["failed"][0]["limit"], 0.124);
    // Furniture sampled by JD from its listing: 2.2 mg/L by desiccator fails GB 18584.
    let r = inspect(
        &w.jd_listing,
        "SJ-2026-004",
        &w.jd,
        json!([
        {"item": "formaldehyde_emission", "value": 2.2, "unit": "mg/L", "method": "desiccator"},
        {"item": "loading_stability", "value": 0.0, "verdict": "pass"}]),
    );
    assert_eq!(r.ok(201)["verdict"], "fail");
    assert_eq!(r.body["failed"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["failed"][0]["limit_source"], "GB 18584-2001");
    // JD sampled it from its own listing: it is told what of the upstream it may read
    // (nothing of the mills' lots), the bureau everything.
    assert_eq!(r.body["marked"], json!([]));
    let marked: BTreeSet<String> = xuzhou
        .get(&format!("/api/v1/inspections/{}", id(&r.body)))
        .ok(200)["marked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        marked,
        [&w.ply_e0, &w.mdf_e0, &w.mill_a, &w.mill_b]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );

    // Traces show the marks and the latest verdicts.
    let up = xuzhou.get(&format!("/api/v1/trace/upstream/{}", w.jd_listing));
    let nodes = up.ok(200)["nodes"].as_array().unwrap().clone();
    let node = |i: &str| nodes.iter().find(|n| n["id"] == i).unwrap().clone();
    assert_eq!(node(&w.jd_listing)["mark"], "failed");
    assert_eq!(node(&w.jd_listing)["inspection"]["verdict"], "fail");
    assert_eq!(node(&w.ply_e0)["mark"], "failed"); // its own latest test failed
    assert_eq!(node(&w.mdf_e0)["mark"], "suspect");
    assert_eq!(node(&w.mill_a)["mark"], "suspect");

    // Bad inspections are refused and record nothing.
    let before = w.op.events();
    inspect(&w.ply_e0, "BAD-1", &w.xuzhou, chamber(-0.1)).problem(422);
    inspect(
        &w.ply_e0,
        "BAD-2",
        &w.xuzhou,
        json!([{"item": "structural_safety", "value": 1.0}]),
    )
    .problem(422);
    inspect(
        &w.ply_e0,
        "BAD-3",
        &w.xuzhou,
        json!([{"item": "formaldehyde_emission", "value": 0.1}]),
    )
    .problem(422);
    inspect(
        &w.ply_e0,
        "BAD-4",
        &w.xuzhou,
        json!([{"item": "formaldehyde_emission", "value": 0.1, "unit": "ppm"}]),
    )
    .problem(422);
    inspect("lot_99999", "BAD-5", &w.xuzhou, chamber(0.01)).problem(404);
    inspect(&w.ply_e0, "SJ-2026-001", &w.xuzhou, chamber(0.01)).problem(409);
    inspect(&w.ply_e0, "BAD-6", &w.lab, chamber(0.01)).problem(422); // a lab is not a sampler
    let r = w.op.post(
        "/api/v1/inspections",
        &json!({"subject": w.ply_e0, "lab": w.xuzhou, "sampled_by": w.xuzhou,
        "report_no": "BAD-7", "sampled_at": "2026-04-02T10:00:00+08:00", "results": chamber(0.01)}),
    );
    assert!(r.problem(422).contains("lab"));
    assert_eq!(w.op.events(), before);

    // Linyi declares mill A non-compliant; mill B stays suspect.
    let r = linyi.post(&format!("/api/v1/parties/{}/compliance", w.mill_a), &json!({"status": "noncompliant", "reason": "E0 板材甲醛超标 formaldehyde over the E0 limit"}));
    assert_eq!(r.ok(200)["status"], "noncompliant");
    jd.post(
        &format!("/api/v1/parties/{}/compliance", w.mill_a),
        &json!({"status": "compliant", "reason": "x"}),
    )
    .problem(403);
    let nc = xuzhou.get("/api/v1/compliance/suppliers?status=noncompliant");
    assert_eq!(
        ids(&json!(nc.ok(200)["suppliers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| json!({"id": s["party"]}))
            .collect::<Vec<_>>())),
        [w.mill_a.clone()].into_iter().collect()
    );
    let sus = xuzhou.get("/api/v1/compliance/suppliers?status=suspect");
    assert_eq!(sus.ok(200)["suppliers"][0]["party"], w.mill_b.as_str());

    // The impact: JD, Taobao and Pinduoduo listings of mill A's boards, not the desk listing.
    let r = xuzhou.get(&format!(
        "/api/v1/compliance/affected-listings?supplier={}",
        w.mill_a
    ));
    let v = r.ok(200);
    assert_eq!(
        ids(&v["items"]),
        [&w.jd_listing, &w.tb_listing, &w.pdd_listing]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    let platforms: BTreeSet<String> = v["by_platform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["platform"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        platforms,
        [&w.jd, &w.taobao, &w.pdd]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    // Without a supplier: every non-compliant supplier (only mill A).
    let all = xuzhou.get("/api/v1/compliance/affected-listings");
    assert_eq!(all.ok(200)["total"], 3);
    // A platform sees only its own affected listings.
    let own = pdd.get(&format!(
        "/api/v1/compliance/affected-listings?supplier={}",
        w.mill_a
    ));
    assert_eq!(
        ids(&own.ok(200)["items"]),
        [w.pdd_listing.clone()].into_iter().collect()
    );

    // The CSV: BOM, header, exactly those three rows.
    let csv = xuzhou.get(&format!(
        "/api/v1/compliance/affected-listings?supplier={}&format=csv",
        w.mill_a
    ));
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(
        csv.text.starts_with('\u{feff}'),
        "CSV must start with a BOM"
    );
    let lines: Vec<&str> = csv.text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "platform,shop,item_id,url,seller,batches,lots,supplier,status,pieces_sold,sold_by_province"
    );
    assert_eq!(lines.len(), 4, "{}", csv.text);
    let items: BTreeSet<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    assert_eq!(items, ["JD-100", "TB-200", "PDD-300"].into_iter().collect());
    assert!(lines
        .iter()
        .any(|l| l.contains("XY-PLY") && l.contains("临沂鑫源板材")));

    // Bulk suspend: one pending action in each platform's queue.
    let before = w.op.events();
    let r = xuzhou.post(
        "/api/v1/actions/bulk",
        &json!({"supplier": w.mill_a, "kind": "suspend", "reason": "甲醛超标 暂停交易"}),
    );
    assert_eq!(r.ok(201)["created"], 3);
    assert_eq!(w.op.events(), before + 1, "a bulk action is one event");
    let queue = jd.get("/api/v1/actions?status=pending");
    let actions = queue.ok(200)["actions"].as_array().unwrap().clone();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["listing"], w.jd_listing.as_str());
    let jd_action = actions[0]["id"].as_str().unwrap().to_string();
    let by_listing = xuzhou.get(&format!("/api/v1/actions?listing={}", w.jd_listing));
    assert_eq!(by_listing.ok(200)["actions"][0]["id"], jd_action.as_str());
    assert_eq!(by_listing.body["actions"].as_array().unwrap().len(), 1);
    assert_eq!(
        pdd.get("/api/v1/actions?status=pending").ok(200)["actions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A second bulk creates nothing new (pending actions are not doubled).
    let r = xuzhou.post(
        "/api/v1/actions/bulk",
        &json!({"supplier": w.mill_a, "kind": "suspend", "reason": "again"}),
    );
    assert_eq!(r.ok(200)["created"], 0);
    assert_eq!(r.body["skipped_pending"], 3);

    // Wrong platform, unknown kind: refused, nothing changes.
    let before = w.op.events();
    pdd.post(
        &format!("/api/v1/actions/{jd_action}/ack"),
        &json!({"result": "done"}),
    )
    .problem(404);
    xuzhou
        .post(
            "/api/v1/actions",
            &json!({"listing": w.pdd_desk, "kind": "obliterate", "reason": "x"}),
        )
        .problem(400);
    jd.post(
        &format!("/api/v1/actions/{jd_action}/ack"),
        &json!({"result": "maybe"}),
    )
    .problem(400);
    assert_eq!(w.op.events(), before);

    // JD acknowledges: the listing is suspended. Twice is idempotent; a different result conflicts.
    let r = jd.post(
        &format!("/api/v1/actions/{jd_action}/ack"),
        &json!({"result": "done", "note": "已暂停交易"}),
    );
    assert_eq!(r.ok(200)["status"], "done");
    assert_eq!(r.header("x-boardtrail-changed"), Some("true"));
    assert_eq!(
        jd.get(&format!("/api/v1/listings/{}", w.jd_listing))
            .ok(200)["status"],
        "suspended"
    );
    let before = w.op.events();
    let r = jd.post(
        &format!("/api/v1/actions/{jd_action}/ack"),
        &json!({"result": "done", "note": "again"}),
    );
    assert_eq!(r.header("x-boardtrail-changed"), Some("false"));
    jd.post(
        &format!("/api/v1/actions/{jd_action}/ack"),
        &json!({"result": "rejected"}),
    )
    .problem(409);
    assert_eq!(w.op.events(), before);
    let evs = jd.get(&format!("/api/v1/events?subject={jd_action}"));
    let kinds: Vec<&str> = evs.ok(200)["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["actions_issued", "action_acknowledged"]);
    // An action on an already removed listing is refused; the affected list drops it.
    xuzhou
        .post(
            "/api/v1/actions",
            &json!({"listing": w.jd_listing, "kind": "delete", "reason": "x"}),
        )
        .problem(422);
    assert_eq!(
        xuzhou.get("/api/v1/compliance/affected-listings").ok(200)["total"],
        2
    );
    // Overdue actions are visible to the regulator.
    let due = (chrono::Utc::now() + chrono::Duration::milliseconds(1200)).to_rfc3339();
    let r = xuzhou.post(
        "/api/v1/actions",
        &json!({"listing": w.pdd_desk, "kind": "block", "reason": "clue", "due_at": due}),
    );
    assert_eq!(r.ok(201)["overdue"], false);
    xuzhou
        .post(
            "/api/v1/actions",
            &json!({"listing": w.tb_listing, "kind": "block", "reason": "x",
        "due_at": "2020-01-01T00:00:00Z"}),
        )
        .problem(422);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let overdue = xuzhou.get("/api/v1/actions?overdue=true");
    let o = overdue.ok(200)["actions"].as_array().unwrap().clone();
    assert!(
        o.iter().all(|a| a["overdue"] == true)
            && o.iter().any(|a| a["listing"] == w.pdd_desk.as_str())
    );

    // A case opened in Xuzhou is transferred to Linyi; the timeline shows it.
    let r = xuzhou.post(
        "/api/v1/cases",
        &json!({"title": "沙集抽检 甲醛超标 线索", "opened_by": w.xuzhou,
        "subjects": [w.mill_a, w.jd_listing], "kind": "clue", "note": "抽检不合格"}),
    );
    let case = id(r.ok(201));
    linyi
        .post(
            &format!("/api/v1/cases/{case}/transfer"),
            &json!({"to": w.linyi}),
        )
        .problem(403); // not the holder
    let r = xuzhou.post(
        &format!("/api/v1/cases/{case}/transfer"),
        &json!({"to": w.linyi, "note": "通报临沂 notify Linyi"}),
    );
    assert_eq!(r.ok(200)["holder"], w.linyi.as_str());
    let steps: Vec<&str> = r.body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, vec!["opened", "transferred"]);
    assert_eq!(r.body["timeline"][1]["from"], w.xuzhou.as_str());
    assert_eq!(r.body["timeline"][1]["to"], w.linyi.as_str());
    let inbox = linyi.get(&format!("/api/v1/cases?holder={}", w.linyi));
    assert_eq!(inbox.ok(200)["cases"][0]["id"], case.as_str());
    let r = linyi.post(
        &format!("/api/v1/cases/{case}/notes"),
        &json!({"status": "investigating", "note": "立案调查"}),
    );
    assert_eq!(r.ok(200)["status"], "investigating");
    jd.get(&format!("/api/v1/cases/{case}")).problem(404);
    // A joint case between Xuzhou and Linyi.
    let r = xuzhou.post(
        "/api/v1/cases",
        &json!({"title": "联合办案", "opened_by": w.xuzhou, "bureaus": [w.linyi]}),
    );
    assert_eq!(r.ok(201)["kind"], "joint");

    // Statistics: the formaldehyde failures, and the cooperation between bureaus.
    let stats = xuzhou.get("/api/v1/stats/failing-items");
    let items = stats.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items[0]["item"], "formaldehyde_emission");
    assert_eq!(items[0]["tested"], 4);
    assert_eq!(items[0]["failed"], 3);
    assert_eq!(stats.body["failed_inspections"], 3);
    let plywood = xuzhou.get("/api/v1/stats/failing-items?material=plywood");
    assert_eq!(plywood.ok(200)["items"][0]["failed"], 2); // the E0 lot and the JD wardrobe
    let april = lab.get("/api/v1/stats/failing-items?month=2026-04");
    assert_eq!(
        april.ok(200)["by_month"]["2026-04"]["formaldehyde_emission"],
        3
    );
    lab.get("/api/v1/stats/failing-items?month=April")
        .problem(400);
    let coop = xuzhou.get("/api/v1/stats/cooperation");
    assert_eq!(coop.ok(200)["transfers_total"], 1);
    assert_eq!(coop.body["joint_cases_total"], 1);
    assert_eq!(coop.body["transfers"][0]["from"], w.xuzhou.as_str());
    let _ = (&w.mdf_e0, &w.tb_listing);
}
