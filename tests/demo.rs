//! The demo world loads once and shows the whole workflow: a failed inspection, a
//! non-compliant supplier, pending and acknowledged actions, a transferred case; and, over
//! HTTP from `serve --demo`, a reseller's goods and sales, the affected listings with pieces
//! sold by province, assistance requests and a sample whose order its platform confirmed.

mod common;

use boardtrail::app::compliance::{ActionsQuery, CasesQuery, SuppliersQuery};
use boardtrail::app::dto::DownstreamQuery;
use boardtrail::app::{App, Caller};
use boardtrail::domain::{ActionStatus, ComplianceStatus};
use boardtrail::store::{SledConfig, SledStore, Store};
use common::{Client, TOKEN};
use serde_json::{json, Value};
use std::sync::Arc;

#[test]
fn demo_world_shows_the_whole_workflow() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(&SledConfig::new(dir.path().join("db"))).unwrap());
    let app = App::new(store.clone()).with_qr(
        boardtrail::qr::QrKey::from_secret("demo"),
        "http://demo.invalid",
    );
    let op = Caller::operator();
    let ids = boardtrail::demo::load(&app)
        .unwrap()
        .expect("loads into an empty store");
    assert!(
        boardtrail::demo::load(&app).unwrap().is_none(),
        "loads only once"
    );

    let nc = app
        .suppliers_by_status(
            &op,
            &SuppliersQuery {
                status: Some(ComplianceStatus::Noncompliant),
            },
        )
        .unwrap();
    assert_eq!(nc.len(), 1);
    assert_eq!(nc[0].party, ids.mill_a);
    let failed = app.get_inspection(&op, &ids.failed_inspection).unwrap();
    assert_eq!(failed.verdict, "fail");
    let pending = app
        .list_actions(
            &op,
            &ActionsQuery {
                status: Some(ActionStatus::Pending),
                ..Default::default()
            },
        )
        .unwrap()
        .0;
    let done = app
        .list_actions(
            &op,
            &ActionsQuery {
                status: Some(ActionStatus::Done),
                ..Default::default()
            },
        )
        .unwrap()
        .0;
    assert_eq!((pending.len(), done.len()), (2, 1));
    assert_eq!(
        app.get_listing(&op, &ids.jd_listing).unwrap().status,
        "suspended"
    );
    let cases = app
        .list_cases(
            &op,
            &CasesQuery {
                holder: Some(ids.linyi.clone()),
                status: None,
            },
        )
        .unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].timeline[1].step, "transferred");
    // The wardrobe carries a Digital Link that resolves to its unit.
    assert!(
        ids.wardrobe_scan
            .starts_with("http://demo.invalid/01/0690123456789"),
        "{}",
        ids.wardrobe_scan
    );
    let path = ids.wardrobe_scan.trim_start_matches("http://demo.invalid");
    let (unit, _) = app.resolve_digital_link(path).unwrap();
    let view = app.scan_view(None, unit).unwrap();
    assert!(view
        .lots
        .iter()
        .any(|l| l.supplier.name.contains("Linyi Xinyuan")));
    // Downstream of mill A reaches the wardrobe and shelf listings, one suspended: JD's
    // wardrobe, Shaji's shelves on Taobao and Pinduoduo, and the Hangzhou reseller's
    // shelves on Taobao (listed after the bulk suspension, so without a measure).
    let down = app
        .downstream(&op, &ids.mill_a, &DownstreamQuery::default())
        .unwrap();
    assert_eq!((down.listings.total, down.listings.active), (4, 3));

    // A QR token decrypts to its record; one naming the right id with another kind, or
    // a record that does not exist, is a 404 like a made-up one.
    let key = boardtrail::qr::QrKey::from_secret("demo");
    let tok = |kind, id| boardtrail::qr::token(&key, kind, id);
    use boardtrail::domain::NodeKind;
    let lot = app.ids().parse_kind(&ids.lot_mdf, NodeKind::Lot).unwrap();
    assert_eq!(app.resolve_token(&tok(NodeKind::Lot, lot)).unwrap(), lot);
    assert_eq!(
        app.resolve_token(&tok(NodeKind::Lot, lot).to_ascii_uppercase())
            .unwrap(),
        lot
    );
    assert_eq!(app.resolve_token(&tok(NodeKind::Unit, unit)).unwrap(), unit);
    for wrong in [
        tok(NodeKind::Unit, lot),
        tok(NodeKind::Lot, unit),
        tok(NodeKind::Unit, store.next_id() + 5),
        // A party has no code, even if its id is sealed correctly.
        tok(
            NodeKind::Party,
            app.ids().parse_kind(&ids.mill_a, NodeKind::Party).unwrap(),
        ),
    ] {
        let e = app.resolve_token(&wrong).unwrap_err();
        assert!(
            matches!(e, boardtrail::error::AppError::NotFound { .. }),
            "{e}"
        );
    }
    assert!(store.verify().unwrap().ok());
}

/// The world a store starts with is the same whether it is loaded from the snapshot (and
/// the log after it) or replayed from the whole log: same digest, same answers.
#[test]
fn snapshot_and_replay_give_the_same_world() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SledConfig::new(dir.path().join("db"));
    let open = |use_snapshot: bool| {
        let mut c = cfg.clone();
        c.use_snapshot = use_snapshot;
        let store = Arc::new(SledStore::open(&c).unwrap());
        let app = App::new(store.clone()).with_qr(
            boardtrail::qr::QrKey::from_secret("demo"),
            "http://demo.invalid",
        );
        (store, app)
    };
    let op = Caller::operator();
    let (store, app) = open(true);
    let ids = boardtrail::demo::load(&app).unwrap().unwrap();
    let down = |app: &App| {
        let d = app
            .downstream(&op, &ids.mill_a, &DownstreamQuery::default())
            .unwrap();
        serde_json::to_value(&d).unwrap()
    };
    // The demo in the snapshot, then a change after it (replayed from the log).
    store.flush().unwrap();
    assert!(dir.path().join("db.snapshot").exists());
    let code17 = "91371300MA3C9X7Y8";
    let check = boardtrail::domain::uscc_check_char(code17).unwrap();
    app.create_party(
        &op,
        boardtrail::app::dto::NewParty {
            name: "临沂后来板材".into(),
            role: boardtrail::domain::Role::Supplier,
            uscc: format!("{code17}{check}"),
            city: "临沂".into(),
        },
    )
    .unwrap();
    let digest = store.world().digest();
    let answer = down(&app);
    let listing = app.get_listing(&op, &ids.jd_listing).unwrap();
    drop((app, store));

    let (store, app) = open(true);
    assert_eq!(store.world().digest(), digest);
    // The QR index of a restarted app is built in the background; a token resolves once
    // it is done, to the same unit.
    let qr = |app: App| {
        app.with_qr(
            boardtrail::qr::QrKey::from_secret("demo"),
            "http://demo.invalid",
        )
    };
    let path = ids.wardrobe_scan.trim_start_matches("http://demo.invalid");
    let (unit, _) = app.resolve_digital_link(path).unwrap();
    let token = app.qr_ref(unit).unwrap().token;
    let again = qr(App::new(store.clone()));
    assert_eq!(again.resolve_token(&token).unwrap(), unit);
    assert_eq!(down(&app), answer);
    assert_eq!(
        app.get_listing(&op, &ids.jd_listing).unwrap().status,
        listing.status
    );
    let (store2, _) = {
        drop((app, again, store));
        open(false)
    };
    assert_eq!(store2.world().digest(), digest);
    assert!(store2.verify().unwrap().ok());
}

/// `boardtrail serve --demo` over HTTP, finding its ids as the README's walk-through does
/// (the party directory, a seller's comparison by USCC, the affected listings, a trace):
/// the Hangzhou reseller's bookshelves from Shaji, its Taobao listing and the sales Taobao
/// reported, the non-compliant mill's affected listings with pieces sold by province, the
/// Xuzhou bureau's requests (answered by Taobao with the pre-filled trace; open at JD) and
/// the sample bought on Pinduoduo whose order Pinduoduo confirmed.
#[test]
fn serve_demo_shows_resellers_sales_requests_and_a_confirmed_sample() {
    let dir = tempfile::tempdir().unwrap();
    let srv = common::spawn_binary_with(dir.path(), TOKEN, None, &["--demo"]);
    let op = Client::new(&srv.base, Some(TOKEN));
    let get = |path: &str| -> Value {
        let r = op.get(&format!("/api/v1{path}"));
        assert_eq!(r.status, 200, "GET {path}: {}", r.text);
        r.body
    };
    let party = |role: &str, name: &str| -> Value {
        let dir = get(&format!("/parties?role={role}"));
        dir["parties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"].as_str().unwrap().contains(name))
            .cloned()
            .unwrap_or_else(|| panic!("no {role} named {name}: {dir}"))
    };
    let s = |v: &Value| v.as_str().unwrap().to_string();
    let reseller = party("distributor", "杭州优家");
    let (rid, uscc) = (s(&reseller["id"]), s(&reseller["uscc"]));
    assert_eq!(reseller["city"], "杭州 Hangzhou");
    // A Hangzhou business licence (division 330100) with a valid check character.
    assert!(uscc.starts_with("92330100"), "{uscc}");
    assert_eq!(common::uscc(&uscc[..17]), uscc);
    assert_eq!(
        get("/parties?role=distributor")["parties"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let shaji = s(&party("manufacturer", "沙集")["id"]);
    let mill = s(&party("supplier", "鑫源")["id"]);
    let taobao = s(&party("platform", "淘宝")["id"]);
    let jd = s(&party("platform", "京东")["id"]);
    let pdd = s(&party("platform", "拼多多")["id"]);
    let xuzhou = s(&party("regulator", "徐州")["id"]);

    // The reseller received 12 bookshelves of Shaji's batch and sold 8 of them.
    let goods = get(&format!("/parties/{rid}/goods"));
    let g = &goods["goods"][0];
    assert_eq!(g["batch_code"], "YP-B2603-01", "{goods}");
    assert_eq!(g["manufacturer"], shaji.as_str());
    assert_eq!(
        (&g["received"], &g["shipped"], &g["sold"], &g["available"]),
        (&json!(12), &json!(0), &json!(8), &json!(4))
    );
    let batch = s(&g["batch"]);
    let shipments = goods["shipments"].as_array().unwrap();
    assert_eq!(shipments.len(), 1);
    assert_eq!(shipments[0]["from"], shaji.as_str());
    assert_eq!(shipments[0]["pieces"], 12);
    assert!(s(&shipments[0]["id"]).starts_with("gds_"));

    // Its one listing, on Taobao, sells that batch: made by Shaji of the non-compliant
    // mill's boards.
    let cmp = get(&format!("/sellers/{uscc}/comparison"));
    let platforms = cmp["platforms"].as_array().unwrap();
    assert_eq!(platforms.len(), 1, "{cmp}");
    assert_eq!(platforms[0]["platform"]["id"], taobao.as_str());
    let l = &platforms[0]["listings"][0];
    assert_eq!(l["status"], "active");
    assert_eq!(l["batches"][0]["id"], batch.as_str());
    assert_eq!(l["batches"][0]["producer"]["id"], shaji.as_str());
    assert_eq!(cmp["noncompliant_suppliers"][0]["id"], mill.as_str());
    let listing = s(&l["id"]);
    // The reseller linked the batch itself (the holder of the goods says what it sells).
    let evs = get(&format!("/events?subject={listing}"));
    let linked = evs["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "listing_batches_linked")
        .cloned()
        .unwrap_or_else(|| panic!("no link in {evs}"));
    assert_eq!(linked["actor_party"], rid.as_str());
    // One platform only: listed, not flagged, in the comparison of all sellers.
    let all = get("/comparison");
    let rank = all["sellers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["seller"]["id"] == rid.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("no reseller in {all}"));
    assert_eq!(
        (&rank["platforms"], &rank["flagged"]),
        (&json!(1), &json!(false))
    );

    // Taobao reported 5 sold to Jiangsu and 3 to Zhejiang.
    let sales = get(&format!("/sales?listing={listing}"));
    let sold: Vec<(String, u64, String)> = sales["sales"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            assert_eq!(x["platform"], taobao.as_str());
            (
                s(&x["province"]["code"]),
                x["pieces"].as_u64().unwrap(),
                s(&x["batches"][0]["batch"]),
            )
        })
        .collect();
    assert_eq!(
        sold,
        vec![
            ("320000".into(), 5, batch.clone()),
            ("330000".into(), 3, batch.clone())
        ]
    );

    // The mill's affected listings: Shaji's on Taobao and Pinduoduo and the reseller's,
    // with the pieces sold (the suspended JD wardrobe is no longer active).
    let aff = get(&format!("/compliance/affected-listings?supplier={mill}"));
    assert_eq!(
        (&aff["total"], &aff["pieces_sold"]),
        (&json!(3), &json!(12)),
        "{aff}"
    );
    let item = |id: &str| -> Value {
        aff["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id} in {aff}"))
    };
    let r = item(&listing);
    assert_eq!(r["seller"], rid.as_str());
    assert_eq!(r["pieces_sold"], 8);
    assert_eq!(r["sold_by_province"], json!({"320000": 5, "330000": 3}));
    let tb = aff["by_platform"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["platform"] == taobao.as_str())
        .cloned()
        .unwrap();
    assert_eq!(
        (&tb["listings"], &tb["pieces_sold"]),
        (&json!(2), &json!(12))
    );
    assert_eq!(tb["sold_by_province"], json!({"320000": 9, "330000": 3}));
    let csv = op.get(&format!(
        "/api/v1/compliance/affected-listings?supplier={mill}&format=csv"
    ));
    assert!(
        csv.text.contains("优家家居专营店") && csv.text.contains("江苏 320000: 5; 浙江 330000: 3"),
        "{}",
        csv.text
    );

    // The Xuzhou bureau's requests: Taobao answered with the pre-filled trace, JD's is open.
    let key = op.post(&format!("/api/v1/parties/{xuzhou}/keys"), &json!({}));
    let xz = op.with_token(key.ok(201)["token"].as_str());
    let out = xz.get("/api/v1/requests?box=outbox");
    let out = out.ok(200);
    assert_eq!(
        (&out["open"], &out["overdue"]),
        (&json!(1), &json!(0)),
        "{out}"
    );
    let to = |p: &str| -> Value {
        out["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["to"]["id"] == p)
            .cloned()
            .unwrap_or_else(|| panic!("no request to {p} in {out}"))
    };
    let answered = to(&taobao);
    assert_eq!(answered["state"], "answered");
    assert_eq!(answered["kind"], "producer_tracing");
    assert_eq!(answered["subjects"][0]["id"], listing.as_str());
    assert_eq!(answered["data"]["producers"][0]["id"], shaji.as_str());
    assert_eq!(answered["data"]["distributors"][0]["id"], rid.as_str());
    assert_eq!(answered["data"]["suppliers"][0]["id"], mill.as_str());
    // The answer carries exactly what boardtrail pre-filled.
    assert_eq!(answered["data"], answered["prefill"]);
    let open = to(&jd);
    assert_eq!(
        (&open["state"], &open["overdue"]),
        (&json!("open"), &json!(false))
    );
    assert_eq!(open["kind"], "transaction_records");
    let due = chrono::DateTime::parse_from_rfc3339(open["due_at"].as_str().unwrap()).unwrap();
    assert!(due > chrono::Utc::now(), "due {due}");
    assert!(open["subjects"][0]["label"]
        .as_str()
        .unwrap()
        .contains("MS-YG-120"));
    // Taobao's inbox holds its answered request; the response times count it on time.
    let key = op.post(&format!("/api/v1/parties/{taobao}/keys"), &json!({}));
    let tk = op.with_token(key.ok(201)["token"].as_str());
    let inbox = tk.get("/api/v1/requests?box=inbox");
    assert_eq!(inbox.ok(200)["items"][0]["id"], answered["id"]);
    let coop = xz.get("/api/v1/stats/cooperation");
    let stat = |p: &str| -> Value {
        coop.body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["party"] == p)
            .cloned()
            .unwrap_or_else(|| panic!("no {p} in {}", coop.text))
    };
    let (t, j) = (stat(&taobao), stat(&jd));
    assert_eq!(
        (&t["received"], &t["answered"], &t["replied_on_time"]),
        (&json!(1), &json!(1), &json!(1))
    );
    assert!(t["median_response_hours"].is_number());
    assert_eq!((&j["received"], &j["open"]), (&json!(1), &json!(1)));

    // The bookshelf bought on Pinduoduo: failed, the order confirmed by Pinduoduo, the
    // verdict attributed to Shaji as seller and producer.
    let on_pdd = get(&format!(
        "/compliance/affected-listings?supplier={mill}&platform={pdd}"
    ));
    let pdd_listing = s(&on_pdd["items"][0]["id"]);
    let trace = get(&format!("/trace/upstream/{pdd_listing}"));
    let root = &trace["nodes"][0];
    assert_eq!(root["id"], pdd_listing.as_str());
    assert_eq!(root["mark"], "failed");
    assert_eq!(root["inspection"]["sample"], "online_confirmed", "{root}");
    let ins = get(&format!("/inspections/{}", s(&root["inspection"]["id"])));
    assert_eq!(ins["verdict"], "fail");
    assert_eq!(ins["sampled_by"], xuzhou.as_str());
    assert_eq!(ins["order"]["platform"], pdd.as_str());
    assert_eq!(ins["order"]["listing"], pdd_listing.as_str());
    assert_eq!(ins["order"]["status"], "confirmed");
    assert_eq!(ins["attributed_to"]["seller"], shaji.as_str());
    assert_eq!(ins["attributed_to"]["producers"], json!([shaji]));
}

/// The day `offset` days from today, China time (`YYYY-MM-DD`), as the service counts days.
fn china_day(offset: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

/// `boardtrail serve --demo` over HTTP, issue 16: Suqian Musen's licence, seen by JD at its
/// entry check, has expired (flagged on Pinduoduo, where its desk is active); the reseller's
/// licence is confirmed by the Hangzhou bureau and its Taobao re-check is overdue (cleared
/// when Taobao re-checks it); Shaji's "无醛 ENF" on Pinduoduo is flagged with its E1 lots; the
/// "沙集镇" collective mark of the Shaji township, Shaji authorised, used by the reseller
/// without membership; Musen's ISO 9001 certificate; the Hangzhou review per platform and
/// Taobao's check queue; the joint Xuzhou–Suqian plan with its quotas, the Suqian bureau's
/// sample under it and the candidates it proposes.
#[test]
fn serve_demo_shows_seller_qualification_and_platform_checks() {
    let dir = tempfile::tempdir().unwrap();
    let srv = common::spawn_binary_with(dir.path(), TOKEN, None, &["--demo"]);
    let op = Client::new(&srv.base, Some(TOKEN));
    let get = |c: &Client, path: &str| -> Value {
        let r = c.get(&format!("/api/v1{path}"));
        assert_eq!(r.status, 200, "GET {path}: {}", r.text);
        r.body
    };
    let s = |v: &Value| v.as_str().unwrap().to_string();
    let party = |role: &str, name: &str| -> String {
        let dir = get(&op, &format!("/parties?role={role}"));
        dir["parties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"].as_str().unwrap().contains(name))
            .map(|p| s(&p["id"]))
            .unwrap_or_else(|| panic!("no {role} named {name}: {dir}"))
    };
    let key = |p: &str| {
        let r = op.post(&format!("/api/v1/parties/{p}/keys"), &json!({}));
        op.with_token(r.ok(201)["token"].as_str())
    };
    let musen = party("manufacturer", "宿迁木森");
    let shaji = party("manufacturer", "沙集优品");
    let reseller = party("distributor", "杭州优家");
    let (jd, taobao, pdd) = (
        party("platform", "京东"),
        party("platform", "淘宝"),
        party("platform", "拼多多"),
    );
    let (xuzhou, suqian, hangzhou) = (
        party("regulator", "徐州市"),
        party("regulator", "宿迁市"),
        party("regulator", "杭州市"),
    );
    let township = party("regulator", "沙集镇");
    let (hz, tb, xz) = (key(&hangzhou), key(&taobao), key(&xuzhou));
    // The listings, from the sellers' comparison.
    let listing_of = |seller: &str, platform: &str| -> (String, Value) {
        let cmp = get(&op, &format!("/sellers/{seller}/comparison"));
        let on = cmp["platforms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["platform"]["id"] == platform)
            .cloned()
            .unwrap_or_else(|| panic!("{seller} not on {platform}: {cmp}"));
        let l = on["listings"][0].clone();
        (s(&l["id"]), l)
    };
    let (shaji_pdd, _) = listing_of(&shaji, &pdd);
    let (shaji_tb, _) = listing_of(&shaji, &taobao);
    let (reseller_tb, _) = listing_of(&reseller, &taobao);
    let (desk, _) = listing_of(&musen, &pdd);

    // Today's flags: every kind shows, each where the story puts it (the JD wardrobe is
    // suspended, so Musen's expired licence is flagged on Pinduoduo only).
    let all = get(&hz, "/flags");
    assert_eq!(
        all["by_kind"],
        json!({"licence_expired": 2, "check_overdue": 2, "no_entry_check": 4,
               "misleading_claim": 1, "trademark_unauthorised": 1}),
        "{all}"
    );
    assert_eq!(all["total"], 10);
    let flags = all["flags"].as_array().unwrap().clone();
    let flag = |kind: &str, listing: Option<&str>, party: &str| -> Value {
        flags
            .iter()
            .find(|f| {
                f["kind"] == kind
                    && f["party"] == party
                    && match listing {
                        Some(l) => f["listing"] == l,
                        None => f.get("listing").is_none(),
                    }
            })
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} of {party} {listing:?}: {all}"))
    };
    let expired = flag("licence_expired", None, &musen);
    assert_eq!(expired["platform"], pdd.as_str());
    flag("licence_expired", Some(&desk), &musen);
    assert!(!flags.iter().any(|f| f["platform"] == jd.as_str()), "{all}");
    let licence_id = s(&expired["evidence"][0]["id"]);
    let lic = get(&hz, &format!("/qualifications/{licence_id}"));
    assert_eq!(
        (&lic["kind"], &lic["state"], &lic["entered_by"]),
        (&json!("licence"), &json!("expired"), &json!(jd)),
        "{lic}"
    );
    assert_eq!(lic["valid_to"], china_day(-10));
    assert_eq!(lic["uscc"], "91321300MA1M3C0P3A");
    assert!(s(&expired["evidence"][0]["detail"]).contains(&china_day(-10)));
    // The reseller's Taobao re-check was due 20 days ago.
    let overdue = flag("check_overdue", None, &reseller);
    assert_eq!(overdue["platform"], taobao.as_str());
    flag("check_overdue", Some(&reseller_tb), &reseller);
    let detail = s(&overdue["evidence"][0]["detail"]);
    assert!(
        detail.contains("last entry check") && detail.contains(&china_day(-20)),
        "{detail}"
    );
    // Pinduoduo has checked neither of its sellers.
    for p in [&musen, &shaji] {
        assert_eq!(flag("no_entry_check", None, p)["platform"], pdd.as_str());
    }
    // "无醛 ENF" on Shaji's Pinduoduo bookshelves: the panels and the mill's particleboard
    // are E1, the plywood E0.
    let claims = get(&op, &format!("/listings/{shaji_pdd}/claims"));
    assert_eq!(
        claims["claims"]["formaldehyde_class"], "无醛 ENF",
        "{claims}"
    );
    let mis = flag("misleading_claim", Some(&shaji_pdd), &shaji);
    let lots: Vec<String> = mis["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["kind"], "lot");
            s(&e["detail"])
        })
        .collect();
    assert_eq!(lots.len(), 3, "{mis}");
    for (code, class) in [
        ("SJ-PANEL-2603-01", "E1"),
        ("XY-PB-2603-02", "E1"),
        ("XY-PLY-2603-01", "E0"),
    ] {
        assert!(
            lots.iter()
                .any(|d| d.contains(code) && d.ends_with(&format!("declared {class}"))),
            "{code}: {lots:?}"
        );
    }
    let panel = mis["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| s(&e["detail"]).contains("SJ-PANEL-2603-01"))
        .map(|e| s(&e["id"]))
        .unwrap();
    let lot = get(&op, &format!("/lots/{panel}"));
    assert_eq!(
        (&lot["formaldehyde_class"], &lot["producer"]),
        (&json!("E1"), &json!(shaji)),
        "{lot}"
    );
    // The collective mark: the reseller uses it without membership; Shaji, a member, may.
    let tm = flag("trademark_unauthorised", Some(&reseller_tb), &reseller);
    let mark = s(&tm["evidence"][0]["id"]);
    assert!(s(&tm["evidence"][0]["detail"]).contains("沙集镇"));
    assert_eq!(
        get(&op, &format!("/listings/{shaji_tb}/claims"))["claims"]["trademark"],
        "沙集镇"
    );
    assert!(
        !flags.iter().any(|f| f["listing"] == shaji_tb.as_str()),
        "{all}"
    );
    let m = get(&op, &format!("/qualifications/{mark}"));
    assert_eq!(
        (&m["mark"], &m["class"], &m["party"], &m["authorised"]),
        (
            &json!("沙集镇"),
            &json!(20),
            &json!(township),
            &json!([shaji])
        ),
        "{m}"
    );
    assert_eq!(m["state"], "valid");

    // The sellers' pages: Shaji's licence seen by Taobao at its re-check and the mark it is
    // authorised to use; the reseller's licence confirmed by the Hangzhou bureau; Musen's
    // expired licence and its ISO 9001 certificate.
    let q = get(&op, &format!("/parties/{shaji}/qualifications"));
    assert_eq!(q["licence_state"], "valid");
    assert_eq!(q["licence"]["entered_by"], taobao.as_str());
    assert_eq!(q["licence"]["uscc"], "92320324MA1N4D0Q49");
    assert_eq!(q["trademarks"][0]["id"], mark.as_str());
    let checks = q["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 1, "{q}");
    assert_eq!(
        (
            &checks[0]["platform"],
            &checks[0]["kind"],
            &checks[0]["result"]
        ),
        (&json!(taobao), &json!("recheck"), &json!("pass"))
    );
    assert_eq!(checks[0]["next_due"], china_day(150));
    let q = get(&hz, &format!("/parties/{reseller}/qualifications"));
    assert_eq!(q["licence"]["review_state"], "confirmed", "{q}");
    assert_eq!(q["licence"]["review"]["by"], hangzhou.as_str());
    assert_eq!(q["licence"]["entered_by"], reseller.as_str());
    let q = get(&op, &format!("/parties/{musen}/qualifications"));
    assert_eq!(q["licence_state"], "expired");
    let cert = &q["certificates"][0];
    assert!(s(&cert["certificate"]).starts_with("ISO 9001"), "{q}");
    assert_eq!(
        (&cert["state"], &cert["number"]),
        (&json!("valid"), &json!("00124Q35678R0M"))
    );

    // The Hangzhou review: Taobao has checked both its sellers (one overdue), Pinduoduo
    // neither; JD's one seller is current but its licence expired.
    let rv = get(&hz, "/review");
    let of = |p: &str| -> Value {
        rv["platforms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["platform"] == p)
            .cloned()
            .unwrap_or_else(|| panic!("no {p} in {rv}"))
    };
    let (t, d, j) = (of(&taobao), of(&pdd), of(&jd));
    assert_eq!(
        (
            &t["sellers"],
            &t["licence_valid"],
            &t["checks_current"],
            &t["checks_overdue"],
            &t["check_coverage"],
            &t["trademark_flags"]
        ),
        (
            &json!(2),
            &json!(2),
            &json!(1),
            &json!(1),
            &json!(0.5),
            &json!(1)
        ),
        "{t}"
    );
    assert_eq!(
        (
            &d["sellers"],
            &d["licence_expired"],
            &d["checks_never"],
            &d["check_coverage"],
            &d["claim_flags"]
        ),
        (&json!(2), &json!(1), &json!(2), &json!(0.0), &json!(1)),
        "{d}"
    );
    assert_eq!(
        (&j["sellers"], &j["licence_expired"], &j["checks_current"]),
        (&json!(1), &json!(1), &json!(1)),
        "{j}"
    );
    // Taobao's queue: the overdue reseller first, then Shaji.
    let queue = get(&tb, "/checks/queue");
    let rows = queue["sellers"].as_array().unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| (s(&r["seller"]), s(&r["check_state"])))
            .collect::<Vec<_>>(),
        vec![
            (reseller.clone(), "overdue".to_string()),
            (shaji.clone(), "current".to_string())
        ],
        "{queue}"
    );
    // Taobao re-checks the reseller: its check_overdue flags clear.
    tb.post(
        &format!("/api/v1/parties/{reseller}/checks"),
        &json!({"kind": "recheck", "result": "pass", "checked_at": chrono::Utc::now().to_rfc3339(),
        "next_due": china_day(180), "note": "证照强化复核 re-check"}),
    )
    .ok(201);
    let now = get(&hz, "/flags?kind=check_overdue");
    assert_eq!(now["total"], 0, "{now}");

    // The joint plan: Xuzhou 3, Suqian 2 samples; the Suqian bureau sampled the Pinduoduo
    // desk two days ago (passed).
    let plans = get(&xz, "/plans");
    let plans = plans["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 1);
    let plan = &plans[0];
    assert_eq!(plan["owners"], json!([xuzhou, suqian]));
    assert_eq!(plan["created_by"], xuzhou.as_str());
    assert_eq!(
        (&plan["from"], &plan["to"]),
        (&json!(china_day(-30)), &json!(china_day(60)))
    );
    let progress: Vec<(String, u64, u64, u64)> = plan["progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                s(&p["bureau"]),
                p["quota"].as_u64().unwrap(),
                p["taken"].as_u64().unwrap(),
                p["passed"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        progress,
        vec![(xuzhou.clone(), 3, 0, 0), (suqian.clone(), 2, 1, 1)]
    );
    let plan_id = s(&plan["id"]);
    let ins = get(&op, &format!("/inspections/{}", s(&plan["inspections"][0])));
    assert_eq!(
        (
            &ins["subject"],
            &ins["sampled_by"],
            &ins["verdict"],
            &ins["plan"]
        ),
        (
            &json!(desk),
            &json!(suqian),
            &json!("pass"),
            &json!(plan_id)
        ),
        "{ins}"
    );
    // A platform sees no plan; the candidates put the flagged bookshelves above the desk
    // sampled two days ago.
    tb.get(&format!("/api/v1/plans/{plan_id}")).problem(404);
    let cands = get(&xz, &format!("/plans/{plan_id}/candidates"));
    let list = cands["candidates"].as_array().unwrap();
    let at = |l: &str| list.iter().position(|c| c["listing"] == l).unwrap();
    assert_eq!(list.len(), 4, "{cands}");
    assert_eq!(list[at(&desk)]["days_since_sampled"], 2);
    assert!(s(&list[at(&shaji_pdd)]["reason"]).contains("claim flag"));
    assert!(at(&shaji_pdd) < at(&desk) && at(&reseller_tb) < at(&desk));
    // Musen's quality record counts the Suqian bureau's sample (passed) and JD's (failed).
    let quality = get(&op, &format!("/parties/{musen}/quality"));
    assert_eq!(
        (
            &quality["regulator_inspections"],
            &quality["regulator_inspections_passed"],
            &quality["spot_checks"],
            &quality["spot_checks_passed"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(0)),
        "{quality}"
    );
}
