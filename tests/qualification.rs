//! Seller qualification and platform checks over HTTP: a seller's licence expires and its
//! listings are flagged; Taobao re-checks it (with the renewed licence) and the flag clears;
//! a listing claiming "无醛 ENF" sold from E1 lots is flagged with the lot as evidence, one
//! claiming E1 is not; a shop using the "沙集镇" collective mark without membership is
//! flagged, a member is not; a joint Xuzhou–Suqian plan proposes candidates with reasons,
//! and inspections under it show as progress for each bureau.

mod common;

use common::{id, uscc, Client, TestServer};
use serde_json::{json, Value};

fn key(op: &Client, party: &str) -> Client {
    let r = op.post(&format!("/api/v1/parties/{party}/keys"), &json!({}));
    op.with_token(r.ok(201)["token"].as_str())
}

fn day(offset: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

fn flags(c: &Client, q: &str) -> Vec<Value> {
    let r = c.get(&format!("/api/v1/flags{q}"));
    r.ok(200)["flags"].as_array().unwrap().clone()
}

fn has_flag(fs: &[Value], kind: &str, listing: Option<&str>, party: &str) -> bool {
    fs.iter().any(|f| {
        f["kind"] == kind
            && f["party"] == party
            && match listing {
                Some(l) => f["listing"] == l,
                None => f.get("listing").is_none(),
            }
    })
}

struct W {
    op: Client,
    mill: String,
    maker: String,
    member: String,
    outsider: String,
    taobao: String,
    xuzhou: String,
    suqian: String,
    hangzhou: String,
    lab: String,
    lot_e1: String,
    lot_enf: String,
    batch_e1: String,
    batch_enf: String,
}

fn world(srv: &TestServer) -> W {
    let op = srv.client();
    let mill = op.party("临沂鑫源板材", "supplier", "91371300MA3C1A0X1", "临沂");
    let maker = op.party("宿迁木森家具", "manufacturer", "91321300MA1M3C0P3", "宿迁");
    let member = op.party("沙集优品家具", "manufacturer", "92320324MA1N4D0Q4", "徐州");
    let outsider = op.party("南通好家居", "distributor", "92320600MA2D5E0F5", "南通");
    let taobao = op.party("淘宝 Taobao", "platform", "91330100MA2C6F0T6", "杭州");
    let xuzhou = op.party(
        "徐州市市场监督管理局",
        "regulator",
        "11320300MB1H8H0W8",
        "徐州",
    );
    let suqian = op.party(
        "宿迁市市场监督管理局",
        "regulator",
        "11321300MB1J9J0X9",
        "宿迁",
    );
    let hangzhou = op.party(
        "杭州市市场监督管理局",
        "regulator",
        "11330100MB1L1L0Y1",
        "杭州",
    );
    let lab = op.party("沙集家具质检中心", "lab", "12320324MB1M2M0B2", "徐州");
    let lot = |code: &str, material: &str, class: &str| {
        id(op
            .post(
                "/api/v1/lots",
                &json!({"producer": mill, "lot_code": code, "material": material,
                "formaldehyde_class": class, "quantity": {"value": 1000.0, "unit": "sheet"},
                "produced_at": "2026-03-02T08:00:00+08:00"}),
            )
            .ok(201))
    };
    let lot_e1 = lot("XY-PB-E1", "particleboard", "E1");
    let lot_enf = lot("XY-PLY-ENF", "plywood", "ENF");
    for (l, to) in [(&lot_e1, &maker), (&lot_enf, &maker), (&lot_e1, &member)] {
        op.post(
            "/api/v1/shipments",
            &json!({"lot": l, "from": mill, "to": to, "quantity": {"value": 200.0, "unit": "sheet"},
            "shipped_at": "2026-03-03T08:00:00+08:00"}),
        )
        .ok(201);
    }
    let batch = |m: &str, code: &str, lot: &str| {
        id(op
            .post(
                "/api/v1/batches",
                &json!({"manufacturer": m, "batch_code": code,
                "product": {"name": "衣柜 wardrobe", "model": code}, "quantity": 50,
                "produced_at": "2026-03-10T08:00:00+08:00",
                "inputs": [{"lot": lot, "quantity": {"value": 50.0, "unit": "sheet"}}]}),
            )
            .ok(201))
    };
    let batch_e1 = batch(&maker, "W-E1", &lot_e1);
    let batch_enf = batch(&maker, "W-ENF", &lot_enf);
    batch(&member, "SJ-E1", &lot_e1);
    W {
        op,
        mill,
        maker,
        member,
        outsider,
        taobao,
        xuzhou,
        suqian,
        hangzhou,
        lab,
        lot_e1,
        lot_enf,
        batch_e1,
        batch_enf,
    }
}

#[test]
fn licences_checks_claims_marks_and_a_joint_plan() {
    let srv = TestServer::start();
    let w = world(&srv);
    let (maker, taobao) = (key(&w.op, &w.maker), key(&w.op, &w.taobao));
    let (xuzhou, suqian, hangzhou) = (
        key(&w.op, &w.xuzhou),
        key(&w.op, &w.suqian),
        key(&w.op, &w.hangzhou),
    );
    let lab = key(&w.op, &w.lab);
    maker
        .post("/api/v1/grants", &json!({"platform": w.taobao}))
        .ok(201);
    let listing = |item: &str, title: &str, batch: &str, claims: Value| {
        id(taobao
            .post(
                "/api/v1/listings",
                &json!({"platform": w.taobao, "seller": w.maker, "shop": "木森家具旗舰店",
                "item_id": item, "url": format!("https://item.taobao.com/item.htm?id={item}"),
                "title": title, "batches": [batch], "claims": claims}),
            )
            .ok(201))
    };
    let enf_from_e1 = listing(
        "1001",
        "北欧衣柜 卧室家用",
        &w.batch_e1,
        json!({"formaldehyde_class": "无醛 ENF", "material": "颗粒板"}),
    );
    let honest = listing(
        "1002",
        "衣柜 E1 颗粒板",
        &w.batch_e1,
        json!({"formaldehyde_class": "E1"}),
    );
    let enf_from_enf = listing("1003", "衣柜 ENF 多层实木", &w.batch_enf, json!({}));

    // The maker's licence expired yesterday: its listings are flagged.
    let lic = maker.post(
        &format!("/api/v1/parties/{}/licences", w.maker),
        &json!({"uscc": uscc("91321300MA1M3C0P3"), "name": "宿迁木森家具有限公司",
        "scope": "家具制造、销售", "valid_from": "2016-01-01", "valid_to": day(-1)}),
    );
    assert_eq!(lic.ok(201)["state"], "expired");
    assert_eq!(lic.body["review_state"], "unreviewed");
    // A licence of another USCC is refused, and changes nothing.
    let before = w.op.events();
    let wrong = maker.post(
        &format!("/api/v1/parties/{}/licences", w.maker),
        &json!({"uscc": uscc("91321300MA1M3C0P4"), "name": "x", "scope": "x",
        "valid_from": "2016-01-01", "valid_to": "2036-01-01"}),
    );
    assert!(
        wrong.problem(422).contains("not the party's"),
        "{}",
        wrong.text
    );
    assert_eq!(w.op.events(), before);
    // Taobao's entry check passed a year ago; the re-check was due last week.
    taobao
        .post(
            &format!("/api/v1/parties/{}/checks", w.maker),
            &json!({"kind": "entry", "result": "pass", "checked_at": "2025-11-01T10:00:00+08:00",
            "next_due": day(-7), "note": "营业执照、商标证书已核验"}),
        )
        .ok(201);
    let fs = flags(&hangzhou, &format!("?platform={}", w.taobao));
    assert!(has_flag(&fs, "licence_expired", None, &w.maker), "{fs:?}");
    assert!(has_flag(&fs, "licence_expired", Some(&honest), &w.maker));
    assert!(has_flag(&fs, "check_overdue", Some(&enf_from_e1), &w.maker));
    assert!(!has_flag(&fs, "no_entry_check", None, &w.maker));
    // Only a platform records checks, and a checked seller must be a seller.
    xuzhou
        .post(
            &format!("/api/v1/parties/{}/checks", w.maker),
            &json!({"kind": "recheck", "result": "pass", "checked_at": "2026-11-01T10:00:00+08:00",
            "next_due": day(180), "note": "x"}),
        )
        .problem(403);
    // Taobao re-checks the maker and records the renewed licence it saw: the flags clear.
    let re = taobao.post(
        &format!("/api/v1/parties/{}/checks", w.maker),
        &json!({"kind": "recheck", "result": "pass", "checked_at": chrono::Utc::now().to_rfc3339(),
        "next_due": day(180), "note": "证照强化复核：营业执照已换发",
        "licence": {"uscc": uscc("91321300MA1M3C0P3"), "name": "宿迁木森家具有限公司",
            "scope": "家具制造、销售", "valid_from": day(-1), "valid_to": day(3650)}}),
    );
    assert_eq!(re.ok(201)["licence"]["state"], "valid", "{}", re.text);
    let fs = flags(&hangzhou, &format!("?platform={}", w.taobao));
    assert!(!fs.iter().any(|f| f["kind"] == "licence_expired"), "{fs:?}");
    assert!(!fs.iter().any(|f| f["kind"] == "check_overdue"), "{fs:?}");
    // A regulator confirms the renewed licence.
    let lid = re.body["licence"]["id"].as_str().unwrap().to_string();
    let conf = hangzhou.post(
        &format!("/api/v1/qualifications/{lid}/review"),
        &json!({"result": "confirmed", "note": "与国家企业信用信息公示系统一致"}),
    );
    assert_eq!(conf.ok(200)["review_state"], "confirmed");
    taobao
        .post(
            &format!("/api/v1/qualifications/{lid}/review"),
            &json!({"result": "rejected", "note": "x"}),
        )
        .problem(403);

    // Claims: "无醛 ENF" from the E1 lot is flagged with the lot; "E1" is not; ENF from ENF
    // boards is not.
    let fs = flags(&hangzhou, "?kind=misleading_claim");
    let f = fs
        .iter()
        .find(|f| f["listing"] == enf_from_e1.as_str())
        .unwrap_or_else(|| panic!("the ENF claim of E1 boards: {fs:?}"));
    assert_eq!(f["evidence"][0]["id"], w.lot_e1.as_str());
    assert!(f["evidence"][0]["detail"].as_str().unwrap().contains("E1"));
    assert!(
        !fs.iter().any(|f| f["listing"] == honest.as_str()),
        "{fs:?}"
    );
    assert!(
        !fs.iter().any(|f| f["listing"] == enf_from_enf.as_str()),
        "{fs:?}"
    );
    let _ = &w.lot_enf;

    // The "沙集镇" collective mark, held by the township, its members authorised.
    let township = w.op.party(
        "睢宁县沙集镇人民政府",
        "regulator",
        "11320324MB1P5P0C5",
        "徐州",
    );
    let tm = w.op.post(
        &format!("/api/v1/parties/{township}/trademarks"),
        &json!({"reg_no": "第12345678号", "mark": "沙集镇", "class": 20, "valid_to": "2033-06-30",
        "authorised": [w.member]}),
    );
    assert_eq!(tm.ok(201)["kind"], "trademark");
    let member = key(&w.op, &w.member);
    member
        .post("/api/v1/grants", &json!({"platform": w.taobao}))
        .ok(201);
    let member_listing = id(taobao
        .post(
            "/api/v1/listings",
            &json!({"platform": w.taobao, "seller": w.member, "shop": "沙集优品", "item_id": "2001",
            "url": "https://item.taobao.com/item.htm?id=2001", "title": "沙集镇 原创衣柜 E1",
            "batches": [], "claims": {"trademark": "沙集镇"}}),
        )
        .ok(201));
    let outsider_listing = id(taobao
        .post(
            "/api/v1/listings",
            &json!({"platform": w.taobao, "seller": w.outsider, "shop": "南通好家居", "item_id": "2002",
            "url": "https://item.taobao.com/item.htm?id=2002", "title": "沙集镇同款 衣柜", "batches": []}),
        )
        .ok(201));
    let fs = flags(&hangzhou, "?kind=trademark_unauthorised");
    let f = fs
        .iter()
        .find(|f| f["listing"] == outsider_listing.as_str())
        .unwrap_or_else(|| panic!("the outsider's use of the mark: {fs:?}"));
    assert!(f["evidence"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("沙集镇"));
    assert!(
        !fs.iter().any(|f| f["listing"] == member_listing.as_str()),
        "{fs:?}"
    );
    // Neither the member nor the outsider has an entry check on Taobao.
    let fs = flags(&hangzhou, "?kind=no_entry_check");
    assert!(has_flag(&fs, "no_entry_check", None, &w.outsider));
    // An unknown kind is a 400; a platform sees its own flags only.
    hangzhou.get("/api/v1/flags?kind=nonsense").problem(400);
    let own = flags(&taobao, "");
    assert!(own.iter().all(|f| f["platform"] == w.taobao.as_str()));

    // The Hangzhou review of Taobao: sellers by state, coverage; the CSV neutralises formulas.
    let rv = hangzhou.get(&format!("/api/v1/review?platform={}", w.taobao));
    let p = &rv.ok(200)["platforms"][0];
    assert_eq!(p["sellers"], 3, "{p}");
    assert_eq!(p["licence_valid"], 1);
    assert_eq!(p["licence_missing"], 2);
    assert_eq!(p["checks_never"], 2);
    assert!(
        (p["check_coverage"].as_f64().unwrap() - 0.333).abs() < 0.001,
        "{p}"
    );
    let csv = hangzhou.get(&format!("/api/v1/review?platform={}&format=csv", w.taobao));
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.text.contains("licence_state"), "{}", csv.text);
    // Taobao's queue: never-checked sellers first.
    let q = taobao.get("/api/v1/checks/queue");
    assert_eq!(q.ok(200)["sellers"][0]["check_state"], "never");
    // The seller's own page, and its quality record with the formula.
    let mine = maker.get(&format!("/api/v1/parties/{}/qualifications", w.maker));
    assert_eq!(mine.ok(200)["licence_state"], "valid");
    assert_eq!(mine.body["history"].as_array().unwrap().len(), 2);
    key(&w.op, &w.outsider)
        .get(&format!("/api/v1/parties/{}/qualifications", w.maker))
        .problem(403);

    // A joint Xuzhou–Suqian plan for wardrobes this quarter.
    let plan = xuzhou.post(
        "/api/v1/plans",
        &json!({"title": "2026年第四季度衣柜联合抽查", "period": {"from": day(-30), "to": day(60)},
        "owners": [w.xuzhou, w.suqian], "quota": {w.xuzhou.as_str(): 3, w.suqian.as_str(): 2},
        "categories": ["衣柜"]}),
    );
    let plan_id = id(plan.ok(201));
    // A platform sees no plan.
    taobao.get(&format!("/api/v1/plans/{plan_id}")).problem(404);
    // A lot inspected before makes the listings behind it riskier.
    lab.post(
        "/api/v1/inspections",
        &json!({"subject": w.lot_e1, "lab": w.lab, "sampled_by": w.xuzhou, "report_no": "SJ-Q4-001",
        "sampled_at": chrono::Utc::now().to_rfc3339(),
        "results": [{"item": "formaldehyde_emission", "value": 0.2, "unit": "mg/m3"}],
        "plan": plan_id}),
    )
    .ok(201);
    let cands = xuzhou.get(&format!("/api/v1/plans/{plan_id}/candidates"));
    let list = cands.ok(200)["candidates"].as_array().unwrap().clone();
    assert!(cands.body["formula"].as_str().unwrap().contains("score"));
    assert_eq!(list[0]["listing"], enf_from_e1.as_str(), "{}", cands.text);
    assert!(
        list[0]["reason"].as_str().unwrap().contains("claim"),
        "{}",
        list[0]
    );
    assert!(
        list[0]["reason"].as_str().unwrap().contains("failed"),
        "{}",
        list[0]
    );
    let safe = list
        .iter()
        .position(|c| c["listing"] == enf_from_enf.as_str())
        .unwrap();
    assert!(safe > 0);
    assert!(list[safe]["score"].as_f64() < list[0]["score"].as_f64());
    // Suqian samples the first candidate under the plan; an outside bureau may not.
    suqian_sample(&lab, &w, &plan_id, &enf_from_e1, "SJ-Q4-002", &w.suqian).ok(201);
    // The operator (who reads plans) is told why; the lab, who may not read the plan, only
    // that there is no such plan for this sample.
    let out = suqian_sample(&w.op, &w, &plan_id, &honest, "SJ-Q4-003", &w.hangzhou);
    assert!(
        out.problem(422).contains("not among the plan's bureaus"),
        "{}",
        out.text
    );
    let out = suqian_sample(&lab, &w, &plan_id, &honest, "SJ-Q4-003", &w.hangzhou);
    assert!(out.problem(404).contains("no plan"), "{}", out.text);
    let v = suqian.get(&format!("/api/v1/plans/{plan_id}"));
    let progress = v.ok(200)["progress"].as_array().unwrap().clone();
    let of = |b: &str| progress.iter().find(|p| p["bureau"] == b).cloned().unwrap();
    assert_eq!(of(&w.xuzhou)["taken"], 1);
    assert_eq!(of(&w.xuzhou)["quota"], 3);
    assert_eq!(of(&w.xuzhou)["failed"], 1);
    assert_eq!(of(&w.suqian)["taken"], 1);
    assert_eq!(of(&w.suqian)["quota"], 2);
    // Taobao's own spot check of the same listing counts as a spot check; it fails.
    lab.post(
        "/api/v1/inspections",
        &json!({"subject": enf_from_e1, "lab": w.lab, "sampled_by": w.taobao, "report_no": "TB-SPOT-1",
        "sampled_at": chrono::Utc::now().to_rfc3339(),
        "results": [{"item": "formaldehyde_emission", "value": 2.5, "unit": "mg/L"}]}),
    )
    .ok(201);
    let quality = maker.get(&format!("/api/v1/parties/{}/quality", w.maker));
    assert!(quality.ok(200)["formula"]
        .as_str()
        .unwrap()
        .contains("score"));
    assert_eq!(quality.body["regulator_inspections"], 1, "{}", quality.text);
    assert_eq!(
        quality.body["regulator_inspections_passed"], 1,
        "{}",
        quality.text
    );
    assert_eq!(quality.body["spot_checks"], 1, "{}", quality.text);
    assert_eq!(quality.body["spot_checks_passed"], 0);
    assert_eq!(quality.body["pass_rate"], 0.5);
    let open = quality.body["open_flags"].as_u64().unwrap();
    assert!(open >= 1, "the misleading claim is open: {}", quality.text);
    assert_eq!(
        quality.body["score"].as_u64().unwrap(),
        50u64.saturating_sub(5 * open),
        "{}",
        quality.text
    );
    // The bureau acts on the claim flag: an action on the listing, citing the evidence.
    let evidence = flags(&hangzhou, "?kind=misleading_claim")
        .into_iter()
        .find(|f| f["listing"] == enf_from_e1.as_str())
        .unwrap()["evidence"][0]["detail"]
        .as_str()
        .unwrap()
        .to_string();
    hangzhou
        .post(
            "/api/v1/actions",
            &json!({"listing": enf_from_e1, "kind": "suspend",
            "reason": format!("虚假宣称 misleading claim: {evidence}")}),
        )
        .ok(201);
    // A seller's name that would be a formula is text in the review's spreadsheet.
    let formula = w.op.party(
        "=HYPERLINK(\"http://x\")",
        "distributor",
        "92320600MA2D6E0F6",
        "南通",
    );
    taobao
        .post(
            &format!("/api/v1/parties/{formula}/checks"),
            &json!({"kind": "entry", "result": "fail", "checked_at": chrono::Utc::now().to_rfc3339(),
            "next_due": day(30), "note": "材料不全"}),
        )
        .ok(201);
    let csv = hangzhou.get(&format!("/api/v1/review?platform={}&format=csv", w.taobao));
    assert!(csv.text.contains("'=HYPERLINK"), "{}", csv.text);
    let _ = (&w.mill, &w.batch_enf);
}

fn suqian_sample(
    lab: &Client,
    w: &W,
    plan: &str,
    listing: &str,
    report: &str,
    by: &str,
) -> common::Resp {
    lab.post(
        "/api/v1/inspections",
        &json!({"subject": listing, "lab": w.lab, "sampled_by": by, "report_no": report,
        "sampled_at": chrono::Utc::now().to_rfc3339(),
        "results": [{"item": "formaldehyde_emission", "value": 1.0, "unit": "mg/L"}],
        "plan": plan}),
    )
}
