//! Seller qualification and platform checks, in Chromium. The Shaji maker's business licence
//! expired yesterday, Taobao's re-check of it was due ten days ago, and a new Taobao listing
//! of its bookshelves claims "无醛 ENF" while the boards behind them are declared E1. The
//! Hangzhou bureau's review page shows the maker under Taobao with the expired licence and
//! the overdue re-check, the misleading claim with the lots as evidence, and exports the
//! rows as the server's CSV. Taobao, on a phone, finds the maker in its check queue and
//! records the re-check with the renewed licence it saw (a licence ending before it starts
//! is refused next to the date and records nothing); over the API the check and the licence
//! are recorded and the licence and re-check flags are gone (the claim flag stays), and the
//! maker's own page shows them with its quality record. Then the Xuzhou bureau drafts a
//! joint plan with Suqian, sees its candidates with their reasons and Suqian's progress.

use super::webdriver::{Browser, Chromedriver, Screen};
use super::world::World;
use super::{serial, sign_in, use_key};
use crate::common::{id, Client};
use chrono::{DateTime, FixedOffset};
use serde_json::{json, Value};

/// A day in China time, `offset` days from today: `2026-04-15`.
fn day(offset: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

/// A time as the app shows it: China time, `2026-04-12 18:00`.
fn china_time(rfc3339: &str) -> String {
    let t = DateTime::parse_from_rfc3339(rfc3339).expect("RFC 3339");
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn flags(c: &Client, platform: &str) -> Vec<Value> {
    c.get(&format!("/api/v1/flags?platform={platform}")).ok(200)["flags"]
        .as_array()
        .expect("flags")
        .clone()
}

fn flagged(fs: &[Value], kind: &str, party: &str, listing: Option<&str>) -> bool {
    fs.iter().any(|f| {
        f["kind"] == kind && f["party"] == party && listing.is_none_or(|l| f["listing"] == l)
    })
}

/// Sets a date (or any) input as its picker would, with the events a person's choice fires.
fn set_value(b: &Browser, css: &str, value: &str) {
    let e = b.wait(css);
    b.js(
        "arguments[0].value = arguments[1];
         arguments[0].dispatchEvent(new Event('input', {bubbles: true}));
         arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        vec![b.el_json(&e), json!(value)],
    );
}

/// Nothing on the page is wider than the screen.
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

/// The Shaji maker on Taobao, as the story needs it, recorded over the API.
struct Story {
    maker: String,
    maker_name: String,
    uscc: String,
    listing: String,
    title: &'static str,
    taobao: Client,
    hangzhou: Client,
}

fn lapsed_maker_on_taobao(w: &World) -> Story {
    let maker = w.ids.shaji_maker.clone();
    let info = w.get(&format!("/parties/{maker}"));
    let uscc = info["uscc"].as_str().expect("uscc").to_string();
    let maker_name = info["name"].as_str().expect("name").to_string();
    let taobao = w.client_of(&w.ids.taobao);
    let hangzhou = w.client_of(&w.hangzhou);
    // The maker enters its licence; it expired yesterday.
    let lic = w.client_of(&maker).post(
        &format!("/api/v1/parties/{maker}/licences"),
        &json!({"uscc": uscc, "name": maker_name, "scope": "家具制造、销售",
        "valid_from": "2016-05-01", "valid_to": day(-1)}),
    );
    assert_eq!(lic.ok(201)["state"], "expired", "{}", lic.text);
    // Taobao's entry check passed last autumn; the re-check was due ten days ago.
    taobao
        .post(
            &format!("/api/v1/parties/{maker}/checks"),
            &json!({"kind": "entry", "result": "pass", "checked_at": "2025-10-20T10:00:00+08:00",
            "next_due": day(-10), "note": "营业执照、法定代表人身份已核验"}),
        )
        .ok(201);
    // A listing of the bookshelves (particleboard and panels declared E1) claiming ENF.
    let title = "优品 五层书架 卧室落地置物架 YP-SJ-80 新款";
    let listing = id(taobao
        .post(
            "/api/v1/listings",
            &json!({"platform": w.ids.taobao, "seller": maker, "shop": "沙集优品家具店",
            "item_id": "688899990415", "url": "https://item.taobao.com/item.htm?id=688899990415",
            "title": title, "batches": [w.ids.bookshelf_batch],
            "claims": {"formaldehyde_class": "无醛 ENF 级"}}),
        )
        .ok(201));
    let fs = flags(&hangzhou, &w.ids.taobao);
    assert!(flagged(&fs, "licence_expired", &maker, None), "{fs:?}");
    assert!(flagged(&fs, "check_overdue", &maker, None), "{fs:?}");
    assert!(
        flagged(&fs, "misleading_claim", &maker, Some(&listing)),
        "{fs:?}"
    );
    Story {
        maker,
        maker_name,
        uscc,
        listing,
        title,
        taobao,
        hangzhou,
    }
}

/// How much a review row needs looking at, as the page orders them: an expired licence 4, a
/// missing one 3; a re-check overdue 3, never checked 2, due soon 1; 2 for each flag.
fn concern(r: &Value) -> u64 {
    let licence = match r["licence_state"].as_str() {
        Some("expired") => 4,
        Some("missing") => 3,
        _ => 0,
    };
    let check = match r["check_state"].as_str() {
        Some("overdue") => 3,
        Some("never") => 2,
        Some("due_soon") => 1,
        _ => 0,
    };
    let flags = r["claim_flags"].as_u64().unwrap_or(0) + r["trademark_flags"].as_u64().unwrap_or(0);
    licence + check + 2 * flags
}

/// The review row of a seller on a platform, as the server gives it.
fn review_of(c: &Client, platform: &str, seller: &str) -> (Value, Value) {
    let rv = c.get(&format!("/api/v1/review?platform={platform}"));
    let p = rv.ok(200)["platforms"][0].clone();
    let row = p["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["seller"] == seller)
        .cloned()
        .unwrap_or_else(|| panic!("{seller} among the sellers: {p}"));
    (p, row)
}

#[test]
fn the_hangzhou_review_shows_a_lapsed_seller_and_taobao_rechecks_it_on_a_phone() {
    let _one = serial();
    let w = World::start(0);
    assert!(
        !w.hangzhou.is_empty(),
        "the demo world has the Hangzhou bureau"
    );
    let s = lapsed_maker_on_taobao(&w);
    let (maker, taobao_id) = (s.maker.as_str(), w.ids.taobao.as_str());
    let driver = Chromedriver::start();

    // The Hangzhou bureau signs in; its review page opens on Taobao, the platform of its city.
    let b = Browser::open(&driver, Screen::Desktop, "review-hangzhou");
    sign_in(&b, &w, &w.key(&w.hangzhou), &w.hangzhou);
    b.click("a.task-link[href='/review']");
    let block = format!("#review-body article[data-platform='{taobao_id}']");
    let row = format!("{block} tr[data-seller='{maker}']");
    b.wait_text(&row, &s.maker_name);
    assert_eq!(
        b.prop(&b.wait("#review-platform"), "value"),
        json!(taobao_id)
    );
    assert_eq!(
        b.find_all("#review-body article.review-platform").len(),
        1,
        "Taobao only"
    );
    let (p, r) = review_of(&s.hangzhou, taobao_id, maker);
    assert_eq!(r["licence_state"], "expired", "{r}");
    assert_eq!(r["check_state"], "overdue", "{r}");
    let licence = b.wait(&format!("{row} .licence-state"));
    assert_eq!(b.attr(&licence, "data-state").as_deref(), Some("expired"));
    assert!(b.text_of(&licence).contains("执照已过期"));
    assert!(b
        .text(&format!("{row} td.licence-cell"))
        .contains(&format!("有效期至 {}", day(-1))));
    let check = b.text(&format!("{row} td.check-cell"));
    assert!(check.contains("复核逾期"), "{check}");
    assert!(
        check.contains(&format!("下次应于 {} 前", day(-10))),
        "{check}"
    );
    assert!(
        check.contains("2025-10-20 10:00"),
        "the last check in China time: {check}"
    );
    let claims = b.wait(&format!("{row} td.claim-flags"));
    let n = r["claim_flags"].as_u64().expect("claim_flags");
    assert!(n >= 1, "{r}");
    assert_eq!(b.attr(&claims, "data-n"), Some(n.to_string()));
    // The tiles count as the server does; the sellers with most to look at come first.
    let tile = |k: &str| b.text(&format!("{block} [data-count='{k}'] .n"));
    assert_eq!(tile("licence_expired"), p["licence_expired"].to_string());
    assert_eq!(tile("checks_overdue"), p["checks_overdue"].to_string());
    assert_eq!(tile("claim_flags"), p["claim_flags"].to_string());
    let coverage = (p["check_coverage"].as_f64().unwrap() * 1000.0).round() / 10.0;
    assert_eq!(tile("check_coverage"), format!("{coverage}%"));
    let shown: Vec<String> = b
        .find_all(&format!("{block} tbody tr[data-seller]"))
        .iter()
        .filter_map(|e| b.attr(e, "data-seller"))
        .collect();
    let rows = p["rows"].as_array().expect("rows");
    assert_eq!(shown.len(), rows.len(), "every seller of Taobao");
    let concerns: Vec<u64> = shown
        .iter()
        .map(|id| concern(rows.iter().find(|r| r["seller"] == id.as_str()).unwrap()))
        .collect();
    assert!(
        concerns.windows(2).all(|c| c[0] >= c[1]),
        "most to look at first: {shown:?} {concerns:?}"
    );
    assert_eq!(
        concerns[0],
        concern(&r),
        "the lapsed maker is among the first"
    );

    // The misleading claim, with the E1 lots behind the listing as its evidence.
    let fs = flags(&s.hangzhou, taobao_id);
    let claim = fs
        .iter()
        .find(|f| f["kind"] == "misleading_claim" && f["listing"] == s.listing.as_str())
        .expect("the claim flag")
        .clone();
    let item = format!(
        "#flags-list li.flag[data-kind='misleading_claim'][data-listing='{}']",
        s.listing
    );
    b.wait_text(&item, s.title);
    let text = b.text(&item);
    assert!(text.contains(&s.maker_name), "{text}");
    assert!(text.contains("宣称与板材不符"), "{text}");
    let evidence = claim["evidence"].as_array().expect("evidence");
    assert!(!evidence.is_empty());
    for e in evidence {
        let detail = e["detail"].as_str().expect("detail");
        assert!(
            text.contains(detail),
            "the evidence {detail:?} is shown: {text}"
        );
        let lot = e["id"].as_str().expect("a lot");
        assert!(b
            .find(&format!(
                "{item} li[data-id='{lot}'] a[href='/trace/{lot}']"
            ))
            .is_some());
    }
    assert!(
        text.contains("XY-PB-2603-02"),
        "the particleboard lot: {text}"
    );
    // The expired licence once for the seller, with the listings it reaches.
    let reach = fs
        .iter()
        .filter(|f| {
            f["kind"] == "licence_expired" && f["party"] == maker && f.get("listing").is_some()
        })
        .count();
    assert!(reach >= 2, "both Taobao listings of the maker: {fs:?}");
    let lic_flag = format!(
        "#flags-list li.flag[data-kind='licence_expired'][data-party='{maker}'][data-platform='{taobao_id}']"
    );
    assert!(b
        .text(&lic_flag)
        .contains(&format!("涉及该卖家在此平台的 {reach} 条在售链接")));
    assert_eq!(b.find_all(&lic_flag).len(), 1, "once per seller");
    // The overdue re-check's evidence gives the last check in China time.
    let overdue = b.text(&format!(
        "#flags-list li.flag[data-kind='check_overdue'][data-party='{maker}'][data-platform='{taobao_id}']"
    ));
    assert!(
        overdue.contains("2025-10-20 10:00") && overdue.contains(&day(-10)),
        "{overdue}"
    );
    // One kind at a time.
    b.click("#flags-tabs button[data-kind='misleading_claim']");
    b.wait_for("only misleading claims", |b| {
        let kinds: Vec<Option<String>> = b
            .find_all("#flags-list li.flag")
            .iter()
            .map(|e| b.attr(e, "data-kind"))
            .collect();
        (!kinds.is_empty()
            && kinds
                .iter()
                .all(|k| k.as_deref() == Some("misleading_claim")))
        .then_some(())
    });
    // In English, the states have their English names, and the bureau's choice stays.
    b.click("#lang-switch");
    b.wait_text(&format!("{row} .licence-state"), "licence expired");
    assert!(b
        .text(&format!("{row} .check-state"))
        .contains("re-check overdue"));
    assert_eq!(
        b.prop(&b.wait("#review-platform"), "value"),
        json!(taobao_id)
    );
    b.click("#lang-switch");
    b.wait_text(&format!("{row} .licence-state"), "执照已过期");
    // The export is the server's CSV of the rows.
    b.click("#review-csv");
    let csv = b.downloaded(&format!("review-{taobao_id}.csv"));
    let (status, _, server) = s.hangzhou.get_bytes(
        &format!("/api/v1/review?platform={taobao_id}&format=csv"),
        &[],
    );
    assert_eq!(status, 200);
    assert_eq!(csv, server, "the file is the server's");
    let csv = String::from_utf8(csv).expect("utf-8");
    let line = csv
        .lines()
        .find(|l| l.contains(&s.uscc))
        .unwrap_or_else(|| panic!("the maker's line: {csv}"));
    assert!(
        line.contains("expired") && line.contains("overdue"),
        "{line}"
    );
    b.assert_no_script_errors();

    // Taobao, on a phone: the maker is in its check queue, in the server's order.
    let ph = Browser::open(&driver, Screen::Phone, "checks-taobao");
    use_key(&ph, &w, &w.key(taobao_id));
    ph.goto(&format!("{}/platform", w.base));
    let qrow = format!("#check-queue-table tr[data-seller='{maker}']");
    ph.wait_text(&format!("{qrow} .check-state"), "复核逾期");
    assert!(ph
        .text(&format!("{qrow} .licence-state"))
        .contains("执照已过期"));
    let queue = s.taobao.get("/api/v1/checks/queue");
    let order: Vec<String> = queue.ok(200)["sellers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seller"].as_str().unwrap().to_string())
        .collect();
    let shown: Vec<String> = ph
        .find_all("#check-queue-table tbody tr[data-seller]")
        .iter()
        .filter_map(|e| ph.attr(e, "data-seller"))
        .collect();
    assert_eq!(shown, order, "never checked and overdue first");
    ph.click(&format!("{qrow} button.check-open"));
    let form = format!("form.check-form[data-seller='{maker}']");
    assert_eq!(
        ph.prop(&ph.wait(&format!("{form} select.check-kind")), "value"),
        json!("recheck"),
        "an overdue seller is re-checked"
    );
    assert_eq!(
        ph.prop(&ph.wait(&format!("{form} input.check-due")), "value"),
        json!(day(180))
    );
    ph.fill(
        &format!("{form} textarea.check-note"),
        "证照强化复核：营业执照已换发，与国家企业信用信息公示系统一致",
    );
    ph.click(&format!("{form} input.check-licence-on"));
    assert_eq!(
        ph.prop(&ph.wait(&format!("{form} input.lic-uscc")), "value"),
        json!(s.uscc),
        "the seller's USCC is filled in"
    );
    ph.fill(
        &format!("{form} textarea.lic-scope"),
        "家具制造、销售；木制品加工",
    );
    // A licence ending before it starts is refused next to its end, and records nothing.
    set_value(&ph, &format!("{form} input.lic-from"), &day(-1));
    set_value(&ph, &format!("{form} input.lic-to"), &day(-30));
    let events_before = w.op.events();
    ph.click(&format!("{form} button.check-submit"));
    let err = ph.wait_for("the error next to the licence's end", |b| {
        let input = b.find(&format!("{form} input.lic-to"))?;
        let ids = b.attr(&input, "aria-describedby").unwrap_or_default();
        let id = ids.split(' ').find(|i| i.ends_with("-err"))?.to_string();
        b.find(&format!("#{id}"))
    });
    assert!(
        ph.text_of(&err).contains("valid_to"),
        "{}",
        ph.text_of(&err)
    );
    assert_eq!(
        w.op.events(),
        events_before,
        "a refused check records nothing"
    );
    assert!(ph.find("#check-done").is_none());
    // Corrected, the re-check goes through.
    set_value(&ph, &format!("{form} input.lic-to"), &day(3650));
    ph.click(&format!("{form} button.check-submit"));
    let done = ph.wait_text("#check-done", "已记录");
    let done = ph.text_of(&done);
    assert!(
        done.contains("定期复核") && done.contains(&s.maker_name),
        "{done}"
    );
    let chk: String = done[done.find("chk_").expect("the check's id")..]
        .chars()
        .take(30)
        .collect();
    ph.wait_text(&format!("{qrow} .check-state"), "查验在期");
    assert!(ph
        .text(&format!("{qrow} .licence-state"))
        .contains("执照有效"));
    // Its flags no longer hold the licence or the re-check; the claim stays.
    let claim_item = format!(
        "#pflags-list li.flag[data-kind='misleading_claim'][data-listing='{}']",
        s.listing
    );
    ph.wait_for("the licence and re-check flags gone", |b| {
        (b.find(&claim_item).is_some()
            && b.find(&format!(
                "#pflags-list li.flag[data-kind='licence_expired'][data-party='{maker}']"
            ))
            .is_none()
            && b.find(&format!(
                "#pflags-list li.flag[data-kind='check_overdue'][data-party='{maker}']"
            ))
            .is_none())
        .then_some(())
    });
    fits(&ph, Screen::Phone, "the platform page");
    ph.assert_no_script_errors();

    // Over the API: the check and the licence seen are recorded, the flags cleared.
    let q = s
        .hangzhou
        .get(&format!("/api/v1/parties/{maker}/qualifications"));
    let q = q.ok(200).clone();
    let latest = q["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["platform"] == taobao_id)
        .cloned()
        .unwrap_or_else(|| panic!("Taobao's check: {q}"));
    assert_eq!(latest["id"], chk.as_str(), "{latest}");
    assert_eq!(latest["kind"], "recheck");
    assert_eq!(latest["result"], "pass");
    assert_eq!(latest["next_due"], day(180).as_str());
    assert!(latest["note"].as_str().unwrap().contains("营业执照已换发"));
    let checked = DateTime::parse_from_rfc3339(latest["checked_at"].as_str().unwrap()).unwrap();
    let ago = chrono::Utc::now().signed_duration_since(checked.with_timezone(&chrono::Utc));
    assert!(
        ago.num_minutes().abs() <= 5,
        "checked now, in China time: {latest}"
    );
    assert_eq!(q["licence_state"], "valid", "{q}");
    assert_eq!(q["licence"]["entered_by"], taobao_id);
    assert_eq!(q["licence"]["valid_to"], day(3650).as_str());
    assert_eq!(q["licence"]["scope"], "家具制造、销售；木制品加工");
    let fs = flags(&s.hangzhou, taobao_id);
    assert!(!flagged(&fs, "licence_expired", maker, None), "{fs:?}");
    assert!(!flagged(&fs, "check_overdue", maker, None), "{fs:?}");
    assert!(flagged(&fs, "misleading_claim", maker, Some(&s.listing)));
    let (_, r) = review_of(&s.hangzhou, taobao_id, maker);
    assert_eq!(r["licence_state"], "valid");
    assert_eq!(r["check_state"], "current");

    // The bureau's page, drawn again, agrees.
    b.refresh();
    b.wait_text(&format!("{row} .licence-state"), "执照有效");
    assert!(b.text(&format!("{row} td.check-cell")).contains("查验在期"));
    b.assert_no_script_errors();

    // The maker's own page, on a phone: the licence Taobao saw, the check in China time,
    // the quality record with its formula.
    let m = Browser::open(&driver, Screen::Phone, "qualification-maker");
    sign_in(&m, &w, &w.key(maker), maker);
    m.click("a.task-link[href='/qualification']");
    m.wait_text("#licence-body .licence-state", "执照有效");
    assert!(m.text("#licence-body .licence-validity").contains(&format!(
        "{} — {}",
        day(-1),
        day(3650)
    )));
    let crow = format!("#checks-table tr[data-check='{chk}']");
    m.wait_text(&crow, "定期复核");
    assert!(m
        .text(&format!("{crow} .checked-at"))
        .contains(&china_time(latest["checked_at"].as_str().unwrap())));
    let quality = w
        .client_of(maker)
        .get(&format!("/api/v1/parties/{maker}/quality"));
    let quality = quality.ok(200).clone();
    m.wait_text("#quality-score", &quality["score"].to_string());
    assert_eq!(m.text("#quality-score"), quality["score"].to_string());
    assert_eq!(
        m.text("#quality-formula"),
        quality["formula"].as_str().unwrap()
    );
    assert_eq!(
        m.find_all("#history-table tbody tr").len(),
        q["history"].as_array().unwrap().len()
    );
    fits(&m, Screen::Phone, "the maker's qualification page");
    m.assert_no_script_errors();
}

#[test]
fn xuzhou_drafts_a_joint_plan_with_suqian_and_follows_its_progress() {
    let _one = serial();
    let w = World::start(0);
    let s = lapsed_maker_on_taobao(&w);
    let suqian = w
        .names
        .iter()
        .find(|(_, n)| n.contains("宿迁市市场监督管理局"))
        .map(|(id, _)| id.clone())
        .expect("the Suqian bureau");
    let xuzhou = w.client_of(&w.xuzhou);
    let driver = Chromedriver::start();
    let b = Browser::open(&driver, Screen::Desktop, "plan-xuzhou");
    use_key(&b, &w, &w.key(&w.xuzhou));
    b.goto(&format!("{}/review#plans", w.base));
    b.click("#plan-new summary");
    b.fill("#plan-title", "2026年书架联合抽查");
    b.fill("#plan-categories", "书架");
    // Xuzhou drafts it, so it is an owner already; Suqian joins with 2 samples.
    let mine = b.wait(&format!(
        "#plan-owners input.plan-owner[value='{}']",
        w.xuzhou
    ));
    assert_eq!(b.prop(&mine, "checked"), json!(true));
    b.click(&format!("#plan-owners input.plan-owner[value='{suqian}']"));
    b.fill(
        &format!("#plan-owners input.plan-quota[data-bureau='{suqian}']"),
        "2",
    );
    b.fill(
        &format!("#plan-owners input.plan-quota[data-bureau='{}']", w.xuzhou),
        "3",
    );
    b.click("#plan-create");
    let done = b.wait_text("#plan-result .success", "pln_");
    let done = b.text_of(&done);
    let plan: String = done[done.find("pln_").unwrap()..]
        .chars()
        .take(30)
        .collect();
    let v = xuzhou.get(&format!("/api/v1/plans/{plan}"));
    let v = v.ok(200).clone();
    assert_eq!(v["title"], "2026年书架联合抽查");
    assert_eq!(v["categories"], json!(["书架"]));
    assert_eq!(v["owners"], json!([w.xuzhou, suqian]), "{v}");
    assert_eq!(v["from"], day(0).as_str());
    assert_eq!(v["to"], day(90).as_str());

    // Suqian samples the claim-flagged listing under the plan.
    w.post(
        "/inspections",
        json!({"subject": s.listing, "lab": w.lab, "sampled_by": suqian,
        "report_no": "E2E-PLAN-001", "sampled_at": chrono::Utc::now().to_rfc3339(),
        "results": [{"item": "formaldehyde_emission", "value": 0.31, "unit": "mg/m3"}],
        "plan": plan}),
    );
    b.refresh();
    let card = format!("#plans-list article.plan-card[data-plan='{plan}']");
    let srow = format!("{card} table.plan-progress tr[data-bureau='{suqian}']");
    b.wait_text(&format!("{srow} td.taken"), "1");
    assert_eq!(b.text(&format!("{srow} td.quota")), "2");
    assert_eq!(b.text(&format!("{srow} td.failed")), "1");
    let xrow = format!("{card} table.plan-progress tr[data-bureau='{}']", w.xuzhou);
    assert_eq!(b.text(&format!("{xrow} td.taken")), "0");
    assert_eq!(b.text(&format!("{xrow} td.quota")), "3");
    // The candidates, ranked as the server ranks them, each with its reasons.
    b.click(&format!("{card} button.plan-candidates"));
    let cands = xuzhou.get(&format!("/api/v1/plans/{plan}/candidates?limit=20"));
    let cands = cands.ok(200).clone();
    let list = cands["candidates"].as_array().expect("candidates");
    assert!(!list.is_empty());
    let rows = b.wait_for("the candidates", |b| {
        let r = b.find_all(&format!("{card} table.candidates-table tbody tr"));
        (r.len() == list.len()).then_some(r)
    });
    for (tr, c) in rows.iter().zip(list) {
        assert_eq!(b.attr(tr, "data-listing").as_deref(), c["listing"].as_str());
        let text = b.text_of(tr);
        for reason in c["reason"].as_str().unwrap().split("; ") {
            assert!(text.contains(reason), "{reason:?} in {text}");
        }
    }
    assert!(b
        .text(&format!("{card} .plan-formula"))
        .contains(cands["formula"].as_str().unwrap()));
    b.assert_no_script_errors();
}
