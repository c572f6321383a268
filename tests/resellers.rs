//! Beyond the makers, over HTTP: a Suqian maker ships 30 wardrobes of a batch to a Hangzhou
//! reseller, who lists them on Taobao; Taobao reports 12 sold (8 to Jiangsu, 4 to Zhejiang);
//! the board lot fails and the affected listings show the reseller's listing with its sales
//! by province; the Xuzhou bureau asks Taobao to trace the producer and Taobao answers with
//! what boardtrail pre-filled; a sample bought on Pinduoduo is confirmed by Pinduoduo and its
//! failure is attributed to the confirmed producer; over-shipping and linking a batch never
//! received are refused and change nothing.

mod common;

use common::{id, Client, TestServer};
use serde_json::{json, Value};

fn key(op: &Client, party: &str) -> Client {
    let r = op.post(&format!("/api/v1/parties/{party}/keys"), &json!({}));
    op.with_token(r.ok(201)["token"].as_str())
}

struct Story {
    op: Client,
    mill: String,
    lot: String,
    maker: String,
    reseller: String,
    other_reseller: String,
    taobao: String,
    pdd: String,
    jd: String,
    xuzhou: String,
    lab: String,
    batch: String,
    other_batch: String,
}

fn story(srv: &TestServer) -> Story {
    let op = srv.client();
    let mill = op.party(
        "临沂鑫源板材",
        "supplier",
        "91371300MA3C1A0X1",
        "临沂 Linyi",
    );
    let maker = op.party(
        "宿迁木森家具",
        "manufacturer",
        "91321300MA1M3C0P3",
        "宿迁 Suqian",
    );
    let reseller = op.party(
        "杭州优家家居专营店",
        "distributor",
        "92330100MA2D4E0F4",
        "杭州 Hangzhou",
    );
    let other_reseller = op.party("南京好家具店", "distributor", "92320100MA2D5E0F5", "南京");
    let taobao = op.party("淘宝 Taobao", "platform", "91330100MA2C6F0T6", "杭州");
    let pdd = op.party("拼多多 Pinduoduo", "platform", "91310000MA1G7G0U7", "上海");
    let jd = op.party("京东 JD", "platform", "91110302MA0C5E0R5", "北京");
    let xuzhou = op.party(
        "徐州市市场监督管理局",
        "regulator",
        "11320300MB1H8H0W8",
        "徐州",
    );
    let lab = op.party("沙集家具质检中心", "lab", "12320324MB1M2M0B2", "徐州");
    let lot = id(op
        .post(
            "/api/v1/lots",
            &json!({"producer": mill, "lot_code": "XY-PB-01", "material": "particleboard",
            "formaldehyde_class": "E1", "quantity": {"value": 1000.0, "unit": "sheet"},
            "produced_at": "2026-03-02T08:00:00+08:00"}),
        )
        .ok(201));
    op.post(
        "/api/v1/shipments",
        &json!({"lot": lot, "from": mill, "to": maker, "quantity": {"value": 500.0, "unit": "sheet"},
        "shipped_at": "2026-03-03T08:00:00+08:00"}),
    )
    .ok(201);
    let batch_of = |code: &str, pieces: u32| {
        id(op
            .post(
                "/api/v1/batches",
                &json!({"manufacturer": maker, "batch_code": code,
                "product": {"name": "衣柜 wardrobe", "model": "W-2603"}, "quantity": pieces,
                "serials": true, "produced_at": "2026-03-10T08:00:00+08:00",
                "inputs": [{"lot": lot, "quantity": {"value": 100.0, "unit": "sheet"}}]}),
            )
            .ok(201))
    };
    let batch = batch_of("W2603-01", 40);
    let other_batch = batch_of("W2603-02", 20);
    Story {
        op,
        mill,
        lot,
        maker,
        reseller,
        other_reseller,
        taobao,
        pdd,
        jd,
        xuzhou,
        lab,
        batch,
        other_batch,
    }
}

#[test]
fn a_reseller_story_from_the_mill_to_the_consumers_province() {
    let srv = TestServer::start();
    let s = story(&srv);
    let (maker, reseller) = (key(&s.op, &s.maker), key(&s.op, &s.reseller));
    let (taobao, pdd, jd) = (key(&s.op, &s.taobao), key(&s.op, &s.pdd), key(&s.op, &s.jd));
    let (xuzhou, lab) = (key(&s.op, &s.xuzhou), key(&s.op, &s.lab));

    // The maker ships 30 wardrobes to the Hangzhou reseller.
    let shipped = maker.post(
        "/api/v1/goods-shipments",
        &json!({"batch": s.batch, "from": s.maker, "to": s.reseller, "pieces": 30,
        "shipped_at": "2026-03-12T09:00:00+08:00"}),
    );
    let gds = id(shipped.ok(201));
    assert!(gds.starts_with("gds_"), "{gds}");
    assert_eq!(shipped.body["pieces"], 30);
    // Over-shipping: the maker made 40 and shipped 30; 11 more is refused and nothing changes.
    let before = s.op.events();
    let over = maker.post(
        "/api/v1/goods-shipments",
        &json!({"batch": s.batch, "from": s.maker, "to": s.other_reseller, "pieces": 11,
        "shipped_at": "2026-03-12T10:00:00+08:00"}),
    );
    assert!(
        over.problem(422).contains("holds 10 pieces"),
        "{}",
        over.text
    );
    // The reseller cannot ship on more than it received either.
    let over = reseller.post(
        "/api/v1/goods-shipments",
        &json!({"batch": s.batch, "from": s.reseller, "to": s.other_reseller, "pieces": 31,
        "shipped_at": "2026-03-13T10:00:00+08:00"}),
    );
    assert!(
        over.problem(422).contains("holds 30 pieces"),
        "{}",
        over.text
    );
    assert_eq!(s.op.events(), before, "refused shipments write nothing");
    // The reseller sees the batch it received and its goods.
    reseller
        .get(&format!("/api/v1/batches/{}", s.batch))
        .ok(200);
    let goods = reseller.get(&format!("/api/v1/parties/{}/goods", s.reseller));
    assert_eq!(goods.ok(200)["goods"][0]["received"], 30);
    assert_eq!(goods.body["goods"][0]["available"], 30);
    assert_eq!(goods.body["shipments"][0]["id"], gds.as_str());
    // …but not a batch it never received: that batch is hidden like one that does not exist.
    reseller
        .get(&format!("/api/v1/batches/{}", s.other_batch))
        .problem(404);

    // Taobao opens the reseller's listing; the reseller links the batch it received (the
    // holder of the goods says so).
    let listing = id(taobao
        .post(
            "/api/v1/listings",
            &json!({"platform": s.taobao, "seller": s.reseller, "shop": "优家家居专营店",
            "item_id": "TB-7788", "url": "https://item.taobao.com/item.htm?id=7788",
            "title": "北欧衣柜 W-2603", "batches": []}),
        )
        .ok(201));
    let before = s.op.events();
    let never = reseller.post(
        &format!("/api/v1/listings/{listing}/batches"),
        &json!({"batches": [s.other_batch]}),
    );
    assert!(never.problem(404).contains(&s.other_batch));
    assert_eq!(s.op.events(), before, "a refused link writes nothing");
    reseller
        .post(
            &format!("/api/v1/listings/{listing}/batches"),
            &json!({"batches": [s.batch]}),
        )
        .ok(200);
    // Taobao may not link it for the reseller without its grant.
    let tb_never = taobao.post(
        &format!("/api/v1/listings/{listing}/batches"),
        &json!({"batches": [s.other_batch]}),
    );
    tb_never.problem(404);

    // Upstream from the listing goes through the reseller to the maker and the mill.
    let up = reseller.get(&format!("/api/v1/trace/upstream/{listing}"));
    let up = up.ok(200);
    assert_eq!(up["producers"][0]["id"], s.maker.as_str(), "{up}");
    assert_eq!(up["distributors"][0]["id"], s.reseller.as_str(), "{up}");
    assert_eq!(up["suppliers"][0]["id"], s.mill.as_str(), "{up}");
    let kinds: Vec<&str> = up["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"goods_shipment"), "{kinds:?}");
    let edges = up["edges"].as_array().unwrap();
    assert!(edges
        .iter()
        .any(|e| e["from"] == s.batch.as_str() && e["to"] == gds.as_str() && e["kind"] == "goods"));
    assert!(edges
        .iter()
        .any(|e| e["from"] == gds.as_str() && e["to"] == listing.as_str()));
    // Downstream from the mill reaches the reseller's listing.
    let down = xuzhou.get(&format!(
        "/api/v1/trace/downstream/{}?items=listings",
        s.mill
    ));
    assert!(down.ok(200).to_string().contains(&listing), "{}", down.text);

    // Taobao reports 12 sold: 8 to Jiangsu by the API, 4 to Zhejiang in a CSV file.
    let sale = taobao.post(
        "/api/v1/sales",
        &json!({"listing": listing, "day": "2026-03-20", "pieces": 8, "province": "江苏"}),
    );
    let sale_id = id(sale.ok(201));
    assert_eq!(sale.body["province"]["code"], "320000");
    assert_eq!(sale.body["batches"][0]["batch"], s.batch.as_str());
    assert_eq!(sale.body["batches"][0]["pieces"], 8);
    // JD may not report sales of Taobao's listing (it cannot see it).
    jd.post(
        "/api/v1/sales",
        &json!({"listing": listing, "day": "2026-03-20", "pieces": 1}),
    )
    .problem(404);
    // The same day and province twice is a conflict that names the sale to correct.
    let again = taobao.post(
        "/api/v1/sales",
        &json!({"listing": listing, "day": "2026-03-20", "pieces": 9, "province": "32"}),
    );
    assert!(again.problem(409).contains(&sale_id));
    // A file with one bad line is refused whole, naming the line.
    let before = s.op.events();
    let bad = format!("listing,day,pieces,province\n{listing},2026-03-21,4,浙江\n{listing},2026-03-22,2,Atlantis\n");
    let r = taobao.post_raw("/api/v1/sales/import", "text/csv", bad.as_bytes());
    assert!(r.problem(422).contains("line 3"), "{}", r.text);
    // More than the reseller holds (30 - 8 = 22) is refused too.
    let r = taobao.post_raw(
        "/api/v1/sales/import",
        "application/x-ndjson",
        format!("{{\"listing\":\"{listing}\",\"day\":\"2026-03-21\",\"pieces\":23}}\n").as_bytes(),
    );
    assert!(r.problem(422).contains("holds 22 pieces"), "{}", r.text);
    assert_eq!(s.op.events(), before, "a refused import writes nothing");
    let file = format!("listing,day,pieces,province\n{listing},2026-03-21,4,浙江\n");
    let r = taobao.post_raw("/api/v1/sales/import", "text/csv", file.as_bytes());
    assert_eq!(r.ok(200)["recorded"], 1, "{}", r.text);
    // Where Taobao knows them, the serials sold are named (a unit of the listing's batch),
    // and a serial of a batch the listing does not sell is refused.
    let units = maker.get(&format!("/api/v1/batches/{}", s.batch)).ok(200)["units"].clone();
    let other_units = maker
        .get(&format!("/api/v1/batches/{}", s.other_batch))
        .ok(200)["units"]
        .clone();
    let bad = taobao.post(
        "/api/v1/sales",
        &json!({"listing": listing, "day": "2026-03-22", "pieces": 1,
        "serials": [other_units[0]["serial"]]}),
    );
    assert!(
        bad.problem(422).contains("not a unit of a batch linked"),
        "{}",
        bad.text
    );
    let with_serials = taobao.post(
        "/api/v1/sales",
        &json!({"listing": listing, "day": "2026-03-23", "pieces": 0, "serials": []}),
    );
    with_serials.problem(422);
    let r = taobao.post("/api/v1/sales/import", &json!({}));
    r.problem(400);
    assert_eq!(units.as_array().map(Vec::len), Some(40));
    // Imported again: nothing twice.
    let r = taobao.post_raw("/api/v1/sales/import", "text/csv", file.as_bytes());
    assert_eq!(r.ok(200)["recorded"], 0);
    assert_eq!(r.body["unchanged"], 1);
    // The reseller's downstream from itself names its listing.
    let own = reseller.get(&format!(
        "/api/v1/trace/downstream/{}?items=listings",
        s.reseller
    ));
    assert!(own.ok(200).to_string().contains(&listing), "{}", own.text);
    // The reseller sees its sales; the goods it holds went down by 12.
    let sales = reseller.get(&format!("/api/v1/sales?listing={listing}"));
    assert_eq!(sales.ok(200)["sales"].as_array().unwrap().len(), 2);
    let goods = reseller.get(&format!("/api/v1/parties/{}/goods", s.reseller));
    assert_eq!(goods.ok(200)["goods"][0]["sold"], 12);
    assert_eq!(goods.body["goods"][0]["available"], 18);

    // The board lot fails at the Shaji lab.
    lab.post(
        "/api/v1/inspections",
        &json!({"subject": s.lot, "lab": s.lab, "sampled_by": s.xuzhou, "report_no": "SJ-2026-0401",
        "sampled_at": "2026-04-01T10:00:00+08:00",
        "results": [{"item": "formaldehyde_emission", "value": 0.2, "unit": "mg/m3"}]}),
    )
    .ok(201);
    // The affected listings show the reseller's listing with 12 pieces by province.
    let aff = xuzhou.get(&format!(
        "/api/v1/compliance/affected-listings?supplier={}",
        s.mill
    ));
    let item = aff.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == listing.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("the reseller's listing in {}", aff.text));
    assert_eq!(item["seller"], s.reseller.as_str());
    assert_eq!(item["pieces_sold"], 12);
    assert_eq!(item["sold_by_province"], json!({"320000": 8, "330000": 4}));
    assert_eq!(aff.body["pieces_sold"], 12);
    let tb = aff.body["by_platform"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["platform"] == s.taobao.as_str())
        .cloned()
        .unwrap();
    assert_eq!(tb["pieces_sold"], 12);
    let csv = xuzhou.get(&format!(
        "/api/v1/compliance/affected-listings?supplier={}&format=csv",
        s.mill
    ));
    assert!(csv.text.contains("pieces_sold"), "{}", csv.text);
    assert!(
        csv.text.contains("江苏 320000: 8; 浙江 330000: 4"),
        "{}",
        csv.text
    );

    // Xuzhou asks Taobao to trace the producer behind the listing.
    let req = xuzhou.post(
        "/api/v1/requests",
        &json!({"to": s.taobao, "kind": "producer_tracing", "subjects": [listing],
        "question": "请提供该链接商品的生产企业。\nWho made the wardrobes of this listing?",
        "due_at": (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339()}),
    );
    let rid = id(req.ok(201));
    assert_eq!(req.body["state"], "open");
    assert!(
        req.body["question"]
            .as_str()
            .unwrap()
            .contains("企业。\nWho"),
        "lines are kept"
    );
    // It is in Taobao's inbox and Xuzhou's outbox, not in JD's.
    let inbox = taobao.get("/api/v1/requests?box=inbox");
    assert_eq!(inbox.ok(200)["items"][0]["id"], rid.as_str());
    assert_eq!(inbox.body["open"], 1);
    let outbox = xuzhou.get("/api/v1/requests?box=outbox");
    assert_eq!(outbox.ok(200)["items"][0]["id"], rid.as_str());
    assert_eq!(jd.get("/api/v1/requests").ok(200)["items"], json!([]));
    jd.get(&format!("/api/v1/requests/{rid}")).problem(404);
    jd.post(
        &format!("/api/v1/requests/{rid}/answer"),
        &json!({"answer": "x"}),
    )
    .problem(404);
    // Taobao reads the request with the pre-filled producer and answers with it.
    let r = taobao.get(&format!("/api/v1/requests/{rid}"));
    let prefill = r.ok(200)["prefill"].clone();
    assert_eq!(
        prefill["producers"][0]["id"],
        s.maker.as_str(),
        "{}",
        r.text
    );
    assert_eq!(prefill["producers"][0]["name"], "宿迁木森家具");
    assert_eq!(prefill["sellers"][0]["id"], s.reseller.as_str());
    assert_eq!(prefill["distributors"][0]["id"], s.reseller.as_str());
    assert_eq!(r.body["subjects"][0]["id"], listing.as_str());
    // A regulator cannot answer a request addressed to Taobao.
    xuzhou
        .post(
            &format!("/api/v1/requests/{rid}/decline"),
            &json!({"reason": "no"}),
        )
        .problem(403);
    let answered = taobao.post(
        &format!("/api/v1/requests/{rid}/answer"),
        &json!({"answer": "生产企业为宿迁木森家具", "data": prefill,
        "attachments": [{"name": "licence.txt", "media_type": "text/plain", "content_base64": "bGljZW5jZQ=="}]}),
    );
    assert_eq!(answered.ok(200)["state"], "answered");
    let again = taobao.post(
        &format!("/api/v1/requests/{rid}/decline"),
        &json!({"reason": "late"}),
    );
    again.problem(409);
    let seen = xuzhou.get(&format!("/api/v1/requests/{rid}"));
    assert_eq!(seen.ok(200)["data"]["producers"][0]["id"], s.maker.as_str());
    assert_eq!(seen.body["timeline"].as_array().unwrap().len(), 2);
    let href = seen.body["attachments"][0]["href"]
        .as_str()
        .unwrap()
        .to_string();
    let file = xuzhou.get_bytes(&href, &[]);
    assert_eq!(file.0, 200);
    assert_eq!(file.2, b"licence");
    let coop = xuzhou.get("/api/v1/stats/cooperation");
    let tb_stat = coop.ok(200)["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["party"] == s.taobao.as_str())
        .cloned()
        .unwrap();
    assert_eq!(tb_stat["received"], 1);
    assert_eq!(tb_stat["answered"], 1);
    assert_eq!(tb_stat["replied_on_time"], 1);
    assert!(tb_stat["median_response_hours"].is_number());

    // A sample bought on Pinduoduo from the maker's own listing there.
    let pdd_listing = id(pdd
        .post(
            "/api/v1/listings",
            &json!({"platform": s.pdd, "seller": s.maker, "shop": "木森家具旗舰店",
            "item_id": "PDD-5566", "url": "https://mobile.yangkeduo.com/goods.html?goods_id=5566",
            "title": "衣柜 W-2603", "batches": []}),
        )
        .ok(201));
    maker
        .post(
            &format!("/api/v1/listings/{pdd_listing}/batches"),
            &json!({"batches": [s.batch]}),
        )
        .ok(200);
    let subject = s.batch.clone();
    let ins = lab.post(
        "/api/v1/inspections",
        &json!({"subject": subject, "lab": s.lab, "sampled_by": s.xuzhou, "report_no": "SJ-2026-0402",
        "sampled_at": "2026-04-05T10:00:00+08:00",
        "results": [{"item": "formaldehyde_emission", "value": 2.5, "unit": "mg/L"}],
        "order": {"platform": s.pdd, "listing": pdd_listing, "order_no": "PDD-240405-0001",
            "ordered_at": "2026-04-01T20:00:00+08:00", "price": 1299.5}}),
    );
    let ins_id = id(ins.ok(201));
    assert_eq!(ins.body["verdict"], "fail");
    assert_eq!(ins.body["order"]["status"], "unconfirmed");
    assert_eq!(ins.body["order"]["price"], 1299.5);
    // The lab named the listing it was handed a sample of; it is not told who sells it.
    assert!(ins.body["order"].get("seller").is_none(), "{}", ins.text);
    let seen = xuzhou.get(&format!("/api/v1/inspections/{ins_id}"));
    assert_eq!(seen.ok(200)["order"]["seller"], s.maker.as_str());
    assert!(ins.body.get("attributed_to").is_none());
    // Unconfirmed, the statistics and the trace mark the sample so.
    let stats = xuzhou.get("/api/v1/stats/failing-items");
    assert_eq!(stats.ok(200)["online_samples"], 1);
    assert_eq!(stats.body["unconfirmed_online_samples"], 1);
    let trace = xuzhou.get(&format!("/api/v1/trace/upstream/{pdd_listing}"));
    assert!(
        trace.ok(200).to_string().contains("online_unconfirmed"),
        "{}",
        trace.text
    );
    // It waits in Pinduoduo's queue of orders to confirm, not in Taobao's.
    let queue = pdd.get("/api/v1/orders?status=unconfirmed");
    assert_eq!(
        queue.ok(200)["orders"][0]["inspection"],
        ins_id.as_str(),
        "{}",
        queue.text
    );
    assert_eq!(queue.body["orders"][0]["order_no"], "PDD-240405-0001");
    assert_eq!(taobao.get("/api/v1/orders").ok(200)["orders"], json!([]));
    // Only Pinduoduo confirms it: Taobao does not even see the inspection.
    taobao
        .post(
            &format!("/api/v1/inspections/{ins_id}/confirmation"),
            &json!({"result": "confirmed", "note": "x"}),
        )
        .problem(404);
    let conf = pdd.post(
        &format!("/api/v1/inspections/{ins_id}/confirmation"),
        &json!({"result": "confirmed", "note": "订单与链接、店铺一致"}),
    );
    assert_eq!(conf.ok(200)["order"]["status"], "confirmed");
    assert_eq!(conf.body["attributed_to"]["seller"], s.maker.as_str());
    assert_eq!(conf.body["attributed_to"]["producers"], json!([s.maker]));
    pdd.post(
        &format!("/api/v1/inspections/{ins_id}/confirmation"),
        &json!({"result": "disputed", "note": "changed our mind"}),
    )
    .problem(409);
    assert_eq!(
        pdd.get("/api/v1/orders?status=unconfirmed").ok(200)["orders"],
        json!([])
    );
    let seen = xuzhou.get(&format!("/api/v1/inspections/{ins_id}"));
    assert_eq!(seen.ok(200)["attributed_to"]["producers"], json!([s.maker]));
    let stats = xuzhou.get("/api/v1/stats/failing-items");
    assert_eq!(stats.ok(200)["unconfirmed_online_samples"], 0);
    let trace = xuzhou.get(&format!("/api/v1/trace/upstream/{pdd_listing}"));
    assert!(
        trace.ok(200).to_string().contains("online_confirmed"),
        "{}",
        trace.text
    );
    // The maker's downstream view names the reseller its goods went to.
    let down = maker.get(&format!("/api/v1/trace/downstream/{}", s.batch));
    assert_eq!(
        down.ok(200)["goods_to"][0]["party"],
        s.reseller.as_str(),
        "{}",
        down.text
    );
    assert_eq!(down.body["goods_to"][0]["pieces"], 30);

    // Data comparison: the maker sells on Pinduoduo, the reseller on Taobao.
    let cmp = xuzhou.get(&format!("/api/v1/sellers/{}/comparison", s.reseller));
    assert_eq!(
        cmp.ok(200)["platforms"][0]["platform"]["id"],
        s.taobao.as_str()
    );
    assert_eq!(
        cmp.body["platforms"][0]["listings"][0]["batches"][0]["producer"]["id"],
        s.maker.as_str()
    );
    taobao
        .get(&format!("/api/v1/sellers/{}/comparison", s.reseller))
        .problem(403);
    // Once the mill is declared non-compliant, the maker (on Pinduoduo and JD with its
    // goods) is listed first; the reseller (Taobao only) after it.
    let jd_listing = id(jd
        .post(
            "/api/v1/listings",
            &json!({"platform": s.jd, "seller": s.maker, "shop": "木森京东店", "item_id": "JD-9",
            "url": "https://item.jd.com/9.html", "title": "衣柜", "batches": []}),
        )
        .ok(201));
    maker
        .post(
            &format!("/api/v1/listings/{jd_listing}/batches"),
            &json!({"batches": [s.other_batch]}),
        )
        .ok(200);
    xuzhou
        .post(
            &format!("/api/v1/parties/{}/compliance", s.mill),
            &json!({"status": "noncompliant", "reason": "E1 particleboard sold as E0"}),
        )
        .ok(200);
    let ranked = xuzhou.get("/api/v1/comparison");
    let sellers = ranked.ok(200)["sellers"].as_array().unwrap().clone();
    assert_eq!(
        sellers[0]["seller"]["id"],
        s.maker.as_str(),
        "{}",
        ranked.text
    );
    assert_eq!(sellers[0]["flagged"], true);
    assert_eq!(sellers[0]["platforms"], 2);
    assert_eq!(
        sellers[0]["noncompliant_suppliers"][0]["id"],
        s.mill.as_str()
    );
    assert_eq!(sellers[1]["seller"]["id"], s.reseller.as_str());
    assert_eq!(sellers[1]["flagged"], false);
    let _ = (&s.jd, Value::Null);
}

#[test]
fn a_platform_corrects_a_sale_and_the_pieces_follow() {
    let srv = TestServer::start();
    let s = story(&srv);
    let maker = key(&s.op, &s.maker);
    let taobao = key(&s.op, &s.taobao);
    maker
        .post(
            "/api/v1/goods-shipments",
            &json!({"batch": s.batch, "from": s.maker, "to": s.reseller, "pieces": 5,
            "shipped_at": "2026-03-12T09:00:00+08:00"}),
        )
        .ok(201);
    let reseller = key(&s.op, &s.reseller);
    reseller
        .post("/api/v1/grants", &json!({"platform": s.taobao}))
        .ok(201);
    // With the reseller's grant, Taobao links the batch the reseller received.
    let listing = id(taobao
        .post(
            "/api/v1/listings",
            &json!({"platform": s.taobao, "seller": s.reseller, "shop": "店", "item_id": "TB-1",
            "url": "https://item.taobao.com/item.htm?id=1", "title": "衣柜", "batches": [s.batch]}),
        )
        .ok(201));
    let sale = id(taobao
        .post(
            "/api/v1/sales",
            &json!({"listing": listing, "day": "2026-03-20", "pieces": 4}),
        )
        .ok(201));
    // One more with the unit's serial: the sale names it, and its batch.
    let units = maker.get(&format!("/api/v1/batches/{}", s.batch)).ok(200)["units"].clone();
    let serial = units[7]["serial"].as_str().unwrap().to_string();
    let with = taobao.post(
        "/api/v1/sales",
        &json!({"listing": listing, "day": "2026-03-20", "pieces": 1, "province": "33",
        "serials": [serial]}),
    );
    assert_eq!(with.ok(201)["serials"], json!([serial]));
    assert_eq!(
        with.body["batches"],
        json!([{"batch": s.batch, "pieces": 1}])
    );
    // A serial named twice in one sale is refused.
    let twice = taobao.post(
        "/api/v1/sales",
        &json!({"listing": listing, "day": "2026-03-19", "pieces": 2, "serials": [serial, serial]}),
    );
    assert!(twice.problem(422).contains("twice"), "{}", twice.text);
    // Sold out: one more is refused.
    taobao
        .post(
            "/api/v1/sales",
            &json!({"listing": listing, "day": "2026-03-21", "pieces": 1}),
        )
        .problem(422);
    // A day in the future is refused.
    taobao
        .post(
            "/api/v1/sales",
            &json!({"listing": listing, "day": "2999-01-01", "pieces": 1}),
        )
        .problem(422);
    // Corrected to 2, two pieces are free again.
    let c = taobao.post(
        &format!("/api/v1/sales/{sale}/correction"),
        &json!({"pieces": 2, "note": "two orders were cancelled"}),
    );
    assert_eq!(c.ok(200)["pieces"], 2);
    assert!(c.body["corrected_at"].is_string());
    taobao
        .post(
            &format!("/api/v1/sales/{sale}/correction"),
            &json!({"pieces": 5, "note": "too many"}),
        )
        .problem(422);
    taobao
        .post(
            "/api/v1/sales",
            &json!({"listing": listing, "day": "2026-03-21", "pieces": 2, "province": "Zhejiang"}),
        )
        .ok(201);
    let goods = reseller.get(&format!("/api/v1/parties/{}/goods", s.reseller));
    assert_eq!(goods.ok(200)["goods"][0]["sold"], 5);
    assert_eq!(goods.body["goods"][0]["available"], 0);
    // The events of the sale tell its history.
    let evs = s.op.get(&format!("/api/v1/events?subject={sale}"));
    let kinds: Vec<&str> = evs.ok(200)["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"sale_corrected"), "{kinds:?}");
    let _ = (
        &s.other_batch,
        &s.other_reseller,
        &s.lot,
        &s.pdd,
        &s.xuzhou,
        &s.lab,
        &s.mill,
    );
}

#[test]
fn a_large_sales_file_is_checked_whole_then_recorded_in_several_events() {
    let srv = TestServer::start();
    let s = story(&srv);
    let taobao = key(&s.op, &s.taobao);
    let maker = key(&s.op, &s.maker);
    maker
        .post("/api/v1/grants", &json!({"platform": s.taobao}))
        .ok(201);
    let big_batch = id(maker
        .post(
            "/api/v1/batches",
            &json!({"manufacturer": s.maker, "batch_code": "W2603-03",
            "product": {"name": "衣柜 wardrobe", "model": "W-2603"}, "quantity": 1000,
            "produced_at": "2026-03-10T08:00:00+08:00",
            "inputs": [{"lot": s.lot, "quantity": {"value": 100.0, "unit": "sheet"}}]}),
        )
        .ok(201));
    let listing = id(taobao
        .post(
            "/api/v1/listings",
            &json!({"platform": s.taobao, "seller": s.maker, "shop": "店", "item_id": "TB-2",
            "url": "https://item.taobao.com/item.htm?id=2", "title": "衣柜", "batches": [big_batch]}),
        )
        .ok(201));
    let day = |i: i64| {
        (chrono::NaiveDate::from_ymd_opt(2026, 3, 11).unwrap() + chrono::Duration::days(i))
            .format("%Y-%m-%d")
            .to_string()
    };
    // 1,001 rows of one piece each (each day and province once): one more than the batch.
    let mut big = String::from("listing,day,pieces,province\n");
    for i in 0..201 {
        for p in ["32", "33", "31", "11", "44"] {
            big.push_str(&format!("{listing},{},1,{p}\n", day(i)));
        }
    }
    let big = big.lines().take(1002).collect::<Vec<_>>().join("\n");
    let before = s.op.events();
    let r = taobao.post_raw("/api/v1/sales/import", "text/csv", big.as_bytes());
    assert!(r.problem(422).contains("holds"), "{}", r.text);
    assert_eq!(
        s.op.events(),
        before,
        "nothing of a refused file is recorded"
    );
    // 1,000 rows as NDJSON: recorded, in more than one event (an entry holds 64 KiB).
    let mut nd = String::new();
    for i in 0..200 {
        for p in ["江苏", "浙江", "上海", "北京", "广东"] {
            nd.push_str(&format!(
                "{{\"listing\":\"{listing}\",\"day\":\"{}\",\"pieces\":1,\"province\":\"{p}\"}}\n",
                day(i)
            ));
        }
    }
    // Its last 900 rows first, without a key.
    let tail: String = nd.lines().skip(100).map(|l| format!("{l}\n")).collect();
    let r = taobao.post_raw(
        "/api/v1/sales/import",
        "application/x-ndjson",
        tail.as_bytes(),
    );
    assert_eq!(r.ok(200)["recorded"], 900, "{}", r.text);
    assert!(r.body["events"].as_u64().unwrap() > 1, "{}", r.text);
    assert_eq!(s.op.events(), before + r.body["events"].as_u64().unwrap());
    let before = s.op.events();
    // Then the whole file with an Idempotency-Key, which the whole import's answer is
    // recorded under: 100 new rows, then 900 recorded before — more than one event's
    // worth, so a last chunk of the file holds only rows recorded before, and the key
    // must still be recorded (with the new rows).
    let keyed = taobao.with_header("Idempotency-Key", "import-0");
    let r = keyed.post_raw(
        "/api/v1/sales/import",
        "application/x-ndjson",
        nd.as_bytes(),
    );
    assert_eq!(r.ok(200)["recorded"], 100, "{}", r.text);
    assert_eq!(r.body["unchanged"], 900);
    assert_eq!(r.body["rows"], 1000);
    assert_eq!(s.op.events(), before + r.body["events"].as_u64().unwrap());
    let after = s.op.events();
    // Its retry gets the first answer, and records nothing.
    let again = keyed.post_raw(
        "/api/v1/sales/import",
        "application/x-ndjson",
        nd.as_bytes(),
    );
    assert_eq!(again.header("Idempotency-Replayed"), Some("true"));
    assert_eq!(again.ok(200), &r.body);
    // The same key for another file: refused before any of it is recorded.
    let first_line = format!("{}\n", nd.lines().next().unwrap());
    let other = keyed.post_raw(
        "/api/v1/sales/import",
        "application/x-ndjson",
        nd.replacen(&first_line, "", 1).as_bytes(),
    );
    assert!(
        other.problem(422).contains("Idempotency-Key"),
        "{}",
        other.text
    );
    assert_eq!(s.op.events(), after);
    // The batch is sold out now.
    taobao
        .post(
            "/api/v1/sales",
            &json!({"listing": listing, "day": "2026-03-10", "pieces": 1}),
        )
        .problem(422);
    // A body that is neither CSV nor NDJSON is refused with 400.
    taobao
        .post_raw("/api/v1/sales/import", "application/pdf", b"%PDF")
        .problem(400);
    // An Idempotency-Key does not stop a re-import from being safe: nothing twice.
    let r = taobao.with_header("Idempotency-Key", "import-1").post_raw(
        "/api/v1/sales/import",
        "application/x-ndjson",
        nd.as_bytes(),
    );
    assert_eq!(r.ok(200)["recorded"], 0, "{}", r.text);
    assert_eq!(r.body["unchanged"], 1000);
    // A keyed file is read as far as the route reads one (16 MiB), not the 1 MiB of other
    // bodies: over 1 MiB of rows of the sold-out batch answer alike with and without a key
    // (422, its first row), and nothing is recorded.
    let events = s.op.events();
    let mut large = String::from("listing,day,pieces,province\n");
    while large.len() < 1_200_000 {
        large.push_str(&format!("{listing},{},1,32\n", day(250)));
    }
    let plain = taobao.post_raw("/api/v1/sales/import", "text/csv", large.as_bytes());
    assert!(plain.problem(422).contains("holds"), "{}", plain.text);
    let keyed = taobao
        .with_header("Idempotency-Key", "import-large")
        .post_raw("/api/v1/sales/import", "text/csv", large.as_bytes());
    assert_eq!(keyed.problem(422), plain.problem(422));
    // Past 16 MiB: 413, keyed or not.
    while large.len() <= 16 * 1024 * 1024 {
        large.push_str(&format!("{listing},{},1,32\n", day(250)));
    }
    taobao
        .with_header("Idempotency-Key", "import-huge")
        .post_raw("/api/v1/sales/import", "text/csv", large.as_bytes())
        .problem(413);
    assert_eq!(s.op.events(), events);
}

#[test]
fn goods_through_two_distributors_trace_back_through_both() {
    let srv = TestServer::start();
    let s = story(&srv);
    let (maker, a, b) = (
        key(&s.op, &s.maker),
        key(&s.op, &s.reseller),
        key(&s.op, &s.other_reseller),
    );
    let ship = |who: &Client, from: &str, to: &str, pieces: u32| {
        id(who
            .post(
                "/api/v1/goods-shipments",
                &json!({"batch": s.batch, "from": from, "to": to, "pieces": pieces,
                "shipped_at": "2026-03-15T09:00:00+08:00"}),
            )
            .ok(201))
    };
    let first = ship(&maker, &s.maker, &s.reseller, 10);
    let second = ship(&a, &s.reseller, &s.other_reseller, 6);
    // The second distributor cannot ship back more than it got.
    b.post(
        "/api/v1/goods-shipments",
        &json!({"batch": s.batch, "from": s.other_reseller, "to": s.reseller, "pieces": 7,
        "shipped_at": "2026-03-16T09:00:00+08:00"}),
    )
    .problem(422);
    // Nor is a goods shipment seen by a third party: the maker did not send the second.
    maker
        .get(&format!("/api/v1/goods-shipments/{second}"))
        .problem(404);
    b.get(&format!("/api/v1/goods-shipments/{second}")).ok(200);
    b.get(&format!("/api/v1/goods-shipments/{first}"))
        .problem(404);
    let taobao = key(&s.op, &s.taobao);
    let listing = id(taobao
        .post(
            "/api/v1/listings",
            &json!({"platform": s.taobao, "seller": s.other_reseller, "shop": "南京店",
            "item_id": "TB-3", "url": "https://item.taobao.com/item.htm?id=3", "title": "衣柜",
            "batches": []}),
        )
        .ok(201));
    b.post(
        &format!("/api/v1/listings/{listing}/batches"),
        &json!({"batches": [s.batch]}),
    )
    .ok(200);
    let up = b.get(&format!("/api/v1/trace/upstream/{listing}"));
    let up = up.ok(200);
    let via: Vec<&str> = up["distributors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(via.len(), 2, "{up}");
    assert!(via.contains(&s.reseller.as_str()) && via.contains(&s.other_reseller.as_str()));
    let edges = up["edges"].as_array().unwrap();
    let has = |from: &str, to: &str| edges.iter().any(|e| e["from"] == from && e["to"] == to);
    assert!(has(&s.batch, &first), "{up}");
    assert!(has(&first, &second), "{up}");
    assert!(has(&second, &listing), "{up}");
    assert!(
        !has(&s.batch, &listing),
        "the batch reaches the listing through the distributors"
    );
    assert_eq!(up["producers"][0]["id"], s.maker.as_str());
}
