//! Beyond the makers, in Chromium: the Suqian maker ships ten wardrobes (plywood of mill A)
//! to a Suzhou reseller (built here, beside the demo's own) who sells them on Taobao. Taobao imports a sales file on its page
//! (a file with one bad line is refused whole, naming the line); with mill A non-compliant,
//! the Xuzhou bureau sees the reseller's listing among the affected ones with the pieces
//! sold and the provinces they went to, and the reseller sees its goods and sales on a
//! phone. Then the bureau asks Taobao, from that listing, who made the wardrobes; Taobao
//! answers from its inbox with what the trace pre-filled and a file, and the bureau reads
//! the answer.

use super::webdriver::{Browser, Chromedriver, Screen};
use super::world::World;
use super::{serial, sign_in, use_key};
use crate::common::{id, Client};
use chrono::{DateTime, FixedOffset};
use serde_json::{json, Value};
use std::path::Path;

/// The reseller's side of the world, recorded over the API.
struct Resale {
    reseller: String,
    reseller_name: &'static str,
    listing: String,
    taobao: Client,
}

/// The reseller receives 10 wardrobes from the Suqian maker and sells them through a Taobao
/// listing it linked the batch to; Taobao reports 5 sold to Jiangsu.
fn reseller_on_taobao(w: &World) -> Resale {
    let reseller_name = "苏州木艺家居专营店";
    let reseller = w.op.party(
        reseller_name,
        "distributor",
        "92320500MA2E6F0G6",
        "苏州 Suzhou",
    );
    let maker = w.client_of(&w.ids.suqian_maker);
    maker
        .post(
            "/api/v1/goods-shipments",
            &json!({"batch": w.ids.wardrobe_batch, "from": w.ids.suqian_maker, "to": reseller,
            "pieces": 10, "shipped_at": "2026-03-25T09:00:00+08:00"}),
        )
        .ok(201);
    let taobao = w.client_of(&w.ids.taobao);
    let listing = id(taobao
        .post(
            "/api/v1/listings",
            &json!({"platform": w.ids.taobao, "seller": reseller, "shop": "木艺家居专营店",
            "item_id": "TB-E2E-0415", "url": "https://item.taobao.com/item.htm?id=20260415",
            "title": "北欧两门衣柜 MS-YG-120 转售", "batches": []}),
        )
        .ok(201));
    w.client_of(&reseller)
        .post(
            &format!("/api/v1/listings/{listing}/batches"),
            &json!({"batches": [w.ids.wardrobe_batch]}),
        )
        .ok(200);
    taobao
        .post(
            "/api/v1/sales",
            &json!({"listing": listing, "day": "2026-04-01", "pieces": 5, "province": "江苏"}),
        )
        .ok(201);
    Resale {
        reseller,
        reseller_name,
        listing,
        taobao,
    }
}

fn sales_of(c: &Client, listing: &str) -> Vec<Value> {
    c.get(&format!("/api/v1/sales?listing={listing}")).ok(200)["sales"]
        .as_array()
        .expect("sales")
        .clone()
}

/// Chooses `file` in the sales import and uploads it.
fn upload_sales(b: &Browser, file: &Path) {
    // A file input keeps its choice: empty it first, as picking a new file would.
    b.js("document.querySelector('#sales-file').value = ''", vec![]);
    b.attach_file("#sales-file", file);
    b.click("#sales-upload");
}

/// Nothing on the page is wider than the screen (a phone would widen its layout).
fn fits(b: &Browser, screen: Screen, what: &str) {
    let wide = b.js(
        "return Math.max(document.documentElement.scrollWidth, window.innerWidth)",
        vec![],
    );
    assert!(
        wide.as_u64().unwrap_or(0) <= screen.width() as u64 + 1,
        "{what} is {wide} px wide on a {} px screen",
        screen.width()
    );
}

#[test]
fn sales_imported_by_the_platform_show_where_the_affected_pieces_went() {
    let _one = serial();
    let w = World::start(0);
    w.fail_bookshelf_and_declare_mill_a();
    let r = reseller_on_taobao(&w);
    let listing = r.listing.as_str();
    let dir = tempfile::tempdir().expect("tempdir");
    let driver = Chromedriver::start();

    // Taobao's page: a file with an unknown province on its third line is refused whole.
    let b = Browser::open(&driver, Screen::Desktop, "sales-import");
    use_key(&b, &w, &w.key(&w.ids.taobao));
    b.goto(&format!("{}/platform", w.base));
    b.wait("#sales-file");
    let bad = dir.path().join("sales-bad.csv");
    std::fs::write(
        &bad,
        format!("listing,day,pieces,province,serials\n{listing},2026-04-02,3,浙江,\n{listing},2026-04-03,1,Atlantis,\n"),
    )
    .unwrap();
    upload_sales(&b, &bad);
    let problem = b.wait_text("#sales-problem", "line 3");
    let problem = b.text_of(&problem);
    assert!(problem.contains("文件未导入"), "{problem}");
    assert!(
        problem.contains("Atlantis"),
        "the refusal names the value: {problem}"
    );
    assert!(b.find("#sales-done").is_none());
    assert_eq!(
        sales_of(&r.taobao, listing).len(),
        1,
        "a refused file records nothing"
    );

    // The corrected file goes through: 3 to Zhejiang, 1 with no province.
    let good = dir.path().join("sales-2026-04.csv");
    std::fs::write(
        &good,
        format!("listing,day,pieces,province,serials\n{listing},2026-04-02,3,浙江,\n{listing},2026-04-03,1,,\n"),
    )
    .unwrap();
    upload_sales(&b, &good);
    let done = b.wait_text("#sales-done", "新记录 2 条");
    assert!(b.text_of(&done).contains("共 2 行"), "{}", b.text_of(&done));
    assert!(
        b.find("#sales-problem").is_none(),
        "the old refusal is gone"
    );
    // The upload went through XMLHttpRequest with its progress shown to the end.
    let bar = b.js(
        "const p = document.querySelector('#sales-progress progress'); return p ? [p.value, p.max] : null",
        vec![],
    );
    let size = std::fs::metadata(&good).unwrap().len();
    assert_eq!(bar, json!([size, size]), "the progress bar ends full");
    assert!(b.text("#sales-progress").contains("100%"));
    let sales = sales_of(&r.taobao, listing);
    assert_eq!(sales.len(), 3, "{sales:?}");
    let pieces: u64 = sales.iter().map(|s| s["pieces"].as_u64().unwrap()).sum();
    assert_eq!(pieces, 9);
    b.assert_no_script_errors();

    // The bureau's view of mill A's affected listings: the reseller's listing with the
    // pieces sold and where they went, as the API counts them.
    let aff = w.get(&format!(
        "/compliance/affected-listings?supplier={}&limit=500",
        w.ids.mill_a
    ));
    let item = aff["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == listing)
        .unwrap_or_else(|| panic!("the reseller's listing is affected: {aff}"))
        .clone();
    assert_eq!(item["pieces_sold"], 9);
    assert_eq!(
        item["sold_by_province"],
        json!({"320000": 5, "330000": 3, "unknown": 1})
    );
    let taobao = aff["by_platform"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["platform"] == w.ids.taobao.as_str())
        .cloned()
        .expect("Taobao among the platforms");
    let taobao_sold = taobao["pieces_sold"].as_u64().unwrap();
    let total_sold = aff["pieces_sold"].as_u64().unwrap();
    assert!(taobao_sold >= 9 && total_sold >= taobao_sold, "{aff}");

    // Another key in the same tab: the page learns who it is anew.
    use_key(&b, &w, &w.key(&w.xuzhou));
    b.js("sessionStorage.removeItem('boardtrail.me')", vec![]);
    b.goto(&format!("{}/regulator", w.base));
    b.click(&format!(
        "#suppliers-table tr[data-supplier='{}'] button.show-affected",
        w.ids.mill_a
    ));
    let sold = format!("#affected-table tr[data-listing='{listing}'] td.sold");
    let cell = b.wait_text(&sold, "9 件");
    assert_eq!(b.attr(&cell, "data-sold").as_deref(), Some("9"));
    let cell = b.text_of(&cell);
    // Province names in Chinese from the GB/T 2260 codes, most pieces first.
    assert!(
        cell.contains("江苏 5 · 浙江 3 · 未注明省份 1"),
        "pieces by province: {cell}"
    );
    // Totals per platform, on the tiles and in the exposure table.
    let tile = |p: &str| format!("#platform-tiles [data-platform='{p}'] .sold");
    assert!(b
        .text(&tile(&w.ids.taobao))
        .contains(&format!("已售 {taobao_sold} 件")));
    assert!(b.text(&tile("")).contains(&format!("已售 {total_sold} 件")));
    let row = format!("#exposure-table tr[data-platform='{}']", w.ids.taobao);
    assert_eq!(
        b.text(&format!("{row} .sold-pieces")),
        taobao_sold.to_string()
    );
    let provinces = b.text(&format!("{row} .sold-provinces"));
    for (code, n) in taobao["sold_by_province"].as_object().expect("by province") {
        let name = match code.as_str() {
            "320000" => "江苏",
            "330000" => "浙江",
            "unknown" => "未注明省份",
            _ => "",
        };
        assert!(
            !provinces.contains(code.as_str()),
            "a name, not {code}: {provinces}"
        );
        if !name.is_empty() {
            assert!(provinces.contains(&format!("{name} {n}")), "{provinces}");
        }
    }
    assert!(b
        .text("#exposure-summary")
        .contains(&format!("共售出 {total_sold} 件")));
    // In English the provinces have their English names.
    b.click("#lang-switch");
    b.wait_text(&sold, "9 pcs");
    assert!(b.text(&sold).contains("Jiangsu 5 · Zhejiang 3"));
    b.click("#lang-switch");
    b.wait_text(&sold, "9 件");
    b.assert_no_script_errors();

    // The reseller, on a phone: signed in, its page is where the home page sends it.
    let p = Browser::open(&driver, Screen::Phone, "reseller");
    sign_in(&p, &w, &w.key(&r.reseller), &r.reseller);
    assert!(p.text("#me-role").contains("经销商"));
    p.click("a.task-link[href='/distributor']");
    let goods = format!("#goods-table tr[data-batch='{}']", w.ids.wardrobe_batch);
    p.wait_text(&goods, "MS-W2603-01");
    assert_eq!(
        p.text(&format!("{goods} td.available")),
        "1",
        "10 received, 9 sold"
    );
    assert!(p.text(&goods).contains(w.name(&w.ids.suqian_maker)));
    let mine = format!("#listings-table tr[data-listing='{listing}'] td.sold");
    p.wait_text(&mine, "9 件");
    assert!(p.text(&mine).contains("江苏 5"));
    assert!(p.text("#main h1").contains(r.reseller_name));
    fits(&p, Screen::Phone, "the reseller page");
    p.assert_no_script_errors();
}

/// A time as the app shows it: China time, `2026-04-12 18:00`.
fn china_time(rfc3339: &str) -> String {
    let t = DateTime::parse_from_rfc3339(rfc3339).expect("RFC 3339");
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[test]
fn taobao_answers_a_bureaus_request_from_its_inbox_with_the_prefilled_producer() {
    let _one = serial();
    let w = World::start(0);
    w.fail_bookshelf_and_declare_mill_a();
    let r = reseller_on_taobao(&w);
    let listing = r.listing.as_str();
    let xuzhou = w.client_of(&w.xuzhou);
    let maker_name = w.name(&w.ids.suqian_maker).to_string();
    let driver = Chromedriver::start();

    // The bureau asks Taobao from the affected listing's row.
    let b = Browser::open(&driver, Screen::Desktop, "request-bureau");
    use_key(&b, &w, &w.key(&w.xuzhou));
    b.goto(&format!("{}/regulator", w.base));
    b.click(&format!(
        "#suppliers-table tr[data-supplier='{}'] button.show-affected",
        w.ids.mill_a
    ));
    b.click(&format!(
        "#affected-table button.ask-platform[data-listing='{listing}']"
    ));
    let form_value = |css: &str| b.prop(&b.wait(css), "value");
    assert_eq!(form_value("#request-to"), json!(w.ids.taobao));
    assert_eq!(form_value("#request-kind"), json!("producer_tracing"));
    assert_eq!(form_value("#request-subjects"), json!(listing));
    b.fill(
        "#request-question",
        "请提供该链接所售衣柜的生产企业 Who made the wardrobes of this listing?",
    );
    b.click("#request-send");
    let sent = b.wait_text("#request-result .success", "已发送协查函");
    let sent = b.text_of(&sent);
    let rid: String = sent[sent.find("req_").expect("the request's id")..]
        .chars()
        .take(30)
        .collect();
    let req = xuzhou.get(&format!("/api/v1/requests/{rid}"));
    let req = req.ok(200).clone();
    let out = xuzhou.get("/api/v1/requests?box=outbox");
    assert!(
        out.ok(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["id"] == rid.as_str()),
        "in the bureau's outbox: {}",
        out.text
    );
    assert_eq!(req["to"]["id"], w.ids.taobao.as_str());
    assert_eq!(req["kind"], "producer_tracing");
    assert_eq!(req["subjects"][0]["id"], listing);
    assert_eq!(req["state"], "open");
    // Due in a week by default.
    let due = DateTime::parse_from_rfc3339(req["due_at"].as_str().unwrap()).unwrap();
    let hours = (due.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((6 * 24..=7 * 24).contains(&hours), "due in {hours} hours");
    let card = format!("#req-list article[data-request='{rid}']");
    b.wait_text(&card, "待答复");
    b.assert_no_script_errors();

    // Taobao, on a phone, finds it in its inbox and opens it.
    let p = Browser::open(&driver, Screen::Phone, "request-platform");
    use_key(&p, &w, &w.key(&w.ids.taobao));
    p.goto(&format!("{}/platform", w.base));
    let open = r.taobao.get("/api/v1/requests?box=inbox").ok(200)["open"]
        .as_u64()
        .expect("open");
    assert!(open >= 1);
    let card = format!("#inbox-list article[data-request='{rid}']");
    p.wait_text(&card, "生产者溯源");
    assert!(p
        .text("#inbox-summary")
        .contains(&format!("待答复 {open} 件")));
    let text = p.text(&card);
    assert!(text.contains("徐州市市场监督管理局"), "{text}");
    assert!(
        text.contains(&china_time(req["due_at"].as_str().unwrap())),
        "the due time in China time: {text}"
    );
    p.click(&format!("{card} button.request-open"));
    // Its subject, and the producer and reseller the trace pre-fills.
    p.wait_text(&format!("{card} .request-subjects"), "北欧两门衣柜");
    p.wait_text(&format!("{card} .prefill-producers"), &maker_name);
    assert!(p
        .text(&format!("{card} .prefill-distributors"))
        .contains(r.reseller_name));
    let prefill = r.taobao.get(&format!("/api/v1/requests/{rid}")).ok(200)["prefill"].clone();
    let maker_uscc = prefill["producers"][0]["uscc"].as_str().expect("uscc");
    // The answer is pre-filled from it: a sentence naming the producer, and the data.
    let answer = p.prop(&p.wait(&format!("{card} textarea.answer-text")), "value");
    let answer = answer.as_str().unwrap_or_default().to_string();
    assert!(
        answer.contains(&maker_name) && answer.contains(maker_uscc),
        "{answer}"
    );
    let data = p.prop(&p.wait(&format!("{card} textarea.answer-data")), "value");
    let data: Value = serde_json::from_str(data.as_str().unwrap_or("")).expect("JSON data");
    assert_eq!(data, prefill, "the data is the pre-fill");
    let dir = tempfile::tempdir().expect("tempdir");
    let licence = dir.path().join("licence.txt");
    std::fs::write(&licence, "营业执照 91321300MA1M3C0P3").unwrap();
    p.attach_file(&format!("{card} input.answer-files"), &licence);
    p.click(&format!("{card} button.answer-button"));
    p.wait_text(&format!("{card} .request-status"), "已答复");
    p.wait_text(&format!("{card} .request-state"), "已答复");
    assert!(p.find(&format!("{card} button.answer-button")).is_none());
    p.wait_text("#inbox-summary", &format!("待答复 {} 件", open - 1));
    fits(&p, Screen::Phone, "the platform page");
    p.assert_no_script_errors();

    // Over the API the request is answered, with the text, the data and the file.
    let seen = xuzhou.get(&format!("/api/v1/requests/{rid}"));
    let seen = seen.ok(200);
    assert_eq!(seen["state"], "answered", "{seen}");
    assert_eq!(seen["answer"].as_str(), Some(answer.trim()));
    assert_eq!(
        seen["data"]["producers"][0]["id"],
        w.ids.suqian_maker.as_str()
    );
    assert_eq!(seen["data"], prefill);
    assert_eq!(seen["attachments"][0]["name"], "licence.txt");
    assert_eq!(seen["attachments"][0]["media_type"], "text/plain");
    let href = seen["attachments"][0]["href"].as_str().unwrap();
    let file = xuzhou.get_bytes(href, &[]);
    assert_eq!(file.0, 200);
    assert_eq!(file.2, std::fs::read(&licence).unwrap());
    r.taobao
        .post(
            &format!("/api/v1/requests/{rid}/decline"),
            &json!({"reason": "again"}),
        )
        .problem(409);

    // The bureau reads the answer in its outbox and fetches the file.
    b.refresh();
    let card = format!("#req-list article[data-request='{rid}']");
    b.wait_text(&card, "已答复");
    b.click(&format!("{card} button.request-open"));
    b.wait_text(&format!("{card} .request-answer"), &maker_name);
    assert!(b
        .text(&format!("{card} .request-data-producers"))
        .contains(&maker_name));
    b.click(&format!("{card} button.request-attachment"));
    assert_eq!(
        b.downloaded("licence.txt"),
        std::fs::read(&licence).unwrap()
    );
    // And the replies per addressee: Taobao's row as the statistics count it, this answer
    // (on time) among them.
    let stats = xuzhou.get("/api/v1/stats/cooperation");
    let tb = stats.ok(200)["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .find(|x| x["party"] == w.ids.taobao.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("Taobao in {}", stats.text));
    assert!(tb["answered"].as_u64() >= Some(1) && tb["replied_on_time"].as_u64() >= Some(1));
    b.click("#coop summary");
    let coop = format!("#coop-table tr[data-party='{}']", w.ids.taobao);
    b.wait(&coop);
    let cells: Vec<String> = b
        .find_all(&format!("{coop} td"))
        .iter()
        .map(|c| b.text_of(c))
        .collect();
    let expected: Vec<String> = [
        "received",
        "answered",
        "declined",
        "open",
        "overdue",
        "replied_on_time",
    ]
    .iter()
    .map(|k| tb[*k].as_u64().expect(k).to_string())
    .collect();
    assert_eq!(cells[1..7], expected[..], "{cells:?}");
    b.assert_no_script_errors();
}
