//! End-to-end tests of the web app in a real browser: headless Chromium driven through
//! Debian's chromedriver (W3C WebDriver through the `thirtyfour` crate, see
//! `tests/browser/webdriver.rs`), against the real service started in-process with the demo
//! world. A missing Chromium or chromedriver fails these tests; nothing is skipped.
//!
//! The tests run one at a time (one browser on 2 cores is plenty). Set
//! `BOARDTRAIL_SCREENSHOTS=1` to (re)write the README screenshots in `docs/screenshots/`.

mod common;
#[path = "browser/public.rs"]
mod public;
#[path = "browser/qualification.rs"]
mod qualification;
#[path = "browser/resale.rs"]
mod resale;
#[path = "browser/webdriver.rs"]
mod webdriver;
#[path = "browser/world.rs"]
mod world;

use serde_json::{json, Value};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use webdriver::{Browser, Chromedriver, Screen};
use world::World;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Signs in through the sign-in page as a person would and checks who the page says we are.
fn sign_in(b: &Browser, w: &World, key: &str, party: &str) {
    b.goto(&format!("{}/", w.base));
    let label = b.text("label[for='api-key']");
    assert!(
        label.contains("访问密钥"),
        "the key field is labelled 访问密钥, not {label:?}"
    );
    assert!(b.text("#sign-in").contains("登录"));
    b.fill("#api-key", key);
    b.click("#sign-in");
    b.wait_text("#me-party", w.name(party));
}

/// Puts the key where the sign-in page would (to skip the form in tests about other pages).
fn use_key(b: &Browser, w: &World, key: &str) {
    b.goto(&format!("{}/static/app.css", w.base));
    b.set_session_storage("boardtrail.key", key);
}

fn sign_out(b: &Browser) {
    b.click("#sign-out");
    b.wait("#api-key");
    let stored = b.js("return sessionStorage.getItem('boardtrail.key')", vec![]);
    assert_eq!(stored, Value::Null, "signing out forgets the key");
}

#[test]
fn regulator_orders_a_measure_and_the_platform_acknowledges_it() {
    let _one = serial();
    let w = World::start(0);
    w.fail_bookshelf_and_declare_mill_a();
    let listing = w.jd_wardrobe_listing("100099990001");
    let (total, per_platform) = w.affected(&w.ids.mill_a);
    assert_eq!(
        per_platform.len(),
        3,
        "mill A's boards sell on all three platforms"
    );
    let regulator = w.key(&w.xuzhou);
    let jd = w.key(&w.ids.jd);
    let driver = Chromedriver::start();
    let b = Browser::open(&driver, Screen::Desktop, "regulator-platform");

    // The regulator signs in; the home page says what the role can do.
    sign_in(&b, &w, &regulator, &w.xuzhou);
    assert!(b.text("#me-role").contains("市场监管部门"));
    b.click("a.task-link[href='/regulator']");
    // The log's witnesses have a section of their own (none configured here).
    b.wait_text("#witnesses-summary", "最新检查点");
    assert!(b.text("#witnesses-body").contains("尚未配置见证方"));

    // The non-compliant mill is listed with its status.
    let row = format!("#suppliers-table tr[data-supplier='{}']", w.ids.mill_a);
    b.wait_text(&row, w.name(&w.ids.mill_a));
    assert!(b.text(&row).contains("不合格"));
    b.click(&format!("{row} button.show-affected"));

    // Its affected listings: the total, then one count per platform, each with the name.
    b.wait_text("#platform-tiles", w.name(&w.ids.pinduoduo));
    let tile = |p: &str| format!("#platform-tiles [data-platform='{p}'] .n");
    assert_eq!(digits(&b.text(&tile(""))), total.to_string());
    for (p, n) in &per_platform {
        assert_eq!(digits(&b.text(&tile(p))), n.to_string(), "count for {p}");
        assert!(b
            .text(&format!("#platform-tiles [data-platform='{p}']"))
            .contains(w.name(p)));
    }
    // The list, then just JD's.
    let pick = format!("#affected-table tr[data-listing='{listing}'] input.pick");
    b.wait(&pick);
    b.click(&format!("#platform-tiles [data-platform='{}']", w.ids.jd));
    b.wait_for("only JD listings", |b| {
        let rows = b.find_all("#affected-table tbody tr");
        let texts: Vec<String> = rows.iter().map(|r| b.text_of(r)).collect();
        (!texts.is_empty() && texts.iter().all(|t| t.contains("京东"))).then_some(())
    });

    // Select the new listing and order it blocked.
    b.click(&pick);
    b.wait_text("#issue-button", "1");
    b.select("#action-kind", "block");
    b.fill(
        "#action-reason",
        "板材供应商临沂鑫源被认定不合格，屏蔽该商品链接",
    );
    b.click("#issue-button");
    b.wait_text(&format!("[data-row-error='{listing}']"), "屏蔽");
    b.wait_text("#action-result .success", "1");
    let pending = w.get(&format!("/actions?platform={}&status=pending", w.ids.jd));
    let action = pending["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["listing"] == listing.as_str())
        .unwrap_or_else(|| panic!("no pending action on {listing}: {pending}"));
    assert_eq!(action["kind"], "block");
    let action_id = action["id"].as_str().expect("id").to_string();
    // The measures list shows it as pending.
    b.wait_text(
        &format!("#actions-table tr[data-action='{action_id}']"),
        "待处理",
    );
    b.assert_no_script_errors();

    // JD signs in and works through its queue.
    sign_out(&b);
    sign_in(&b, &w, &jd, &w.ids.jd);
    b.click("a.task-link[href='/platform']");
    let card = format!("article[data-action='{action_id}']");
    b.wait_text(&format!("{card} .listing-status"), "在售");
    assert!(b.text(&card).contains("屏蔽"));
    // The evidence names the mill behind the listing, marked non-compliant.
    b.wait_text(&format!("{card} .evidence-mills"), w.name(&w.ids.mill_a));
    assert!(b
        .text(&format!("{card} .evidence-mills"))
        .contains("不合格"));
    b.fill(&format!("{card} textarea.ack-note"), "已屏蔽该商品链接");
    b.click(&format!("{card} button.ack-done"));
    // The listing shows its new status.
    b.wait_text(&format!("{card} .listing-status"), "已屏蔽");
    b.wait_text(&format!("{card} .ack-status"), "已处理");
    assert_eq!(w.get(&format!("/listings/{listing}"))["status"], "blocked");
    assert_eq!(w.get(&format!("/actions/{action_id}"))["status"], "done");
    // And so does the trace of the listing.
    b.goto(&format!("{}/trace/{listing}", w.base));
    b.wait_text("#details", "已屏蔽");
    b.wait(&format!("#graph svg .node[data-id='{}']", w.ids.mill_a));
    b.assert_no_script_errors();
}

#[test]
fn a_scan_link_without_a_key_shows_the_mill_behind_the_product() {
    let _one = serial();
    let w = World::start(0);
    w.fail_bookshelf_and_declare_mill_a();
    let path = w.scan_path(&w.ids.wardrobe_unit);
    let driver = Chromedriver::start();
    let b = Browser::open(&driver, Screen::Phone, "scan");

    // Typed into the scan page (as when the camera cannot be used), the link opens the view.
    b.goto(&format!("{}/scan", w.base));
    b.fill("#scan-code", &format!("{}{path}", w.base));
    b.click("#scan-go");
    // A product with a GTIN carries a GS1 Digital Link, which sends a browser (307) to its
    // default link, the /q/ page that codes without a GTIN carry: the same view.
    assert!(path.starts_with("/01/"), "{path}");
    b.wait_for("the scan view", |b| b.url().contains("/q/").then_some(()));
    b.wait_text("#q-lots", w.name(&w.ids.mill_a));
    let lots = b.text("#q-lots");
    assert!(lots.contains("XY-PLY-2603-01"), "{lots}");
    assert!(lots.contains("临沂"), "the mill's city: {lots}");
    assert!(lots.contains("胶合板"), "the material: {lots}");
    assert!(b.text("#q-maker").contains(w.name(&w.ids.suqian_maker)));
    assert!(b.find("#sign-out").is_none(), "nobody is signed in");
    assert!(
        b.find("#q-banner").is_some(),
        "a verdict banner is always shown"
    );
    // Where it stands in the public log: its event, the checkpoint, a proof link.
    w.wait_for_checkpoint();
    b.refresh();
    b.wait_text("#q-log-text", "已记入公开日志");
    let proof = b.js(
        "return document.querySelector('#q-log-proof').getAttribute('href')",
        vec![],
    );
    let proof = proof.as_str().unwrap_or_default();
    assert!(proof.starts_with("/log/proof/inclusion?seq="), "{proof}");

    // Opening the link directly works too, and so does an unknown code (a clear message).
    b.goto(&format!("{}{path}", w.base));
    b.wait_text("#q-lots", w.name(&w.ids.mill_a));
    b.goto(&format!("{}/q/{}", w.base, "a".repeat(26)));
    b.wait_text("#q-missing", "未找到");

    // A typed public id opens its trace (which asks a caller without a key to sign in
    // first, and comes back to it).
    b.goto(&format!("{}/scan", w.base));
    b.fill("#scan-code", &w.ids.wardrobe_unit);
    b.click("#scan-go");
    let next = format!("/?next=%2Ftrace%2F{}", w.ids.wardrobe_unit);
    b.wait_for("the trace page", |b| b.url().ends_with(&next).then_some(()));

    // The English switch is remembered by the browser.
    b.goto(&format!("{}{path}", w.base));
    b.wait("#q-lots");
    b.click("#lang-switch");
    b.wait_text("#q-lots-h", "Boards used");
    b.refresh();
    b.wait_text("#q-lots-h", "Boards used");
    assert_eq!(b.js("return document.documentElement.lang", vec![]), "en");
    b.click("#lang-switch");
    b.wait_text("#q-lots-h", "所用板材");
    b.assert_no_script_errors();
}

#[test]
fn a_refused_over_consumption_is_explained_next_to_the_quantity() {
    let _one = serial();
    let w = World::start(0);
    let maker = w.key(&w.ids.suqian_maker);
    let stock = w.get(&format!("/parties/{}/stock", w.ids.suqian_maker));
    let plywood = stock["lots"]
        .as_array()
        .expect("lots")
        .iter()
        .find(|l| l["lot"] == w.ids.lot_plywood.as_str())
        .unwrap_or_else(|| panic!("the maker holds the plywood: {stock}"))
        .clone();
    let available = plywood["available"].as_f64().expect("available");
    let driver = Chromedriver::start();
    let b = Browser::open(&driver, Screen::Phone, "factory");

    sign_in(&b, &w, &maker, &w.ids.suqian_maker);
    b.click("a.task-link[href='/manufacturer']");
    // The held lots with what is left of each.
    b.wait_text(
        &format!("#stock-table tr[data-lot='{}']", w.ids.lot_plywood),
        &format!("{}", available as u64),
    );
    b.fill("#batch-code", "E2E-W-2604");
    b.fill("#batch-product", "两门衣柜 Two-door wardrobe");
    b.fill("#batch-model", "MS-YG-120");
    b.fill("#batch-qty", "12");
    let lot = "#batch-form .input-row:first-of-type select.input-lot";
    b.select(lot, &w.ids.lot_plywood);
    b.wait_text("#batch-form .input-left", &format!("{}", available as u64));
    let too_much = available as u64 + 500;
    let qty = "#batch-form .input-row:first-of-type input.input-qty";
    b.fill(qty, &too_much.to_string());
    b.click("#batch-submit");

    // The refusal is shown under the quantity it concerns, with the numbers.
    let err = b.wait_for("the error next to the quantity", |b| {
        let input = b.find(qty)?;
        let ids = b.attr(&input, "aria-describedby").unwrap_or_default();
        let id = ids.split(' ').find(|i| i.ends_with("-err"))?.to_string();
        b.find(&format!("#{id}"))
    });
    let text = b.text_of(&err);
    assert!(
        text.contains(&too_much.to_string()) && text.contains(&(available as u64).to_string()),
        "the message names what was asked and what is left: {text}"
    );
    let input = b.find(qty).expect("qty");
    assert_eq!(b.attr(&input, "aria-invalid").as_deref(), Some("true"));
    let beside = b.js(
        "return arguments[0].closest('.field').contains(arguments[1])",
        vec![b.el_json(&input), b.el_json(&err)],
    );
    assert_eq!(beside, true, "the message sits in the quantity's own field");
    // Nothing was recorded.
    let after = w.get(&format!("/parties/{}/stock", w.ids.suqian_maker));
    assert_eq!(after, stock, "a refused batch changes nothing");

    // Within the stock the batch goes through; then the label sheet opens.
    b.fill(qty, "10");
    b.click("#batch-submit");
    b.wait_text("#batch-created", "E2E-W-2604");
    assert!(b.find(&format!("{qty}[aria-invalid='true']")).is_none());
    b.click("#print-labels");
    let handles = b.wait_for("the label sheet window", |b| {
        let hs = b.window_handles();
        (hs.len() > 1).then_some(hs)
    });
    let main_window = b.window_handle();
    let other = handles
        .into_iter()
        .find(|h| *h != main_window)
        .expect("new window");
    b.switch_to_window(&other);
    b.wait_text("body", "批次 E2E-W-2604");
    b.close_window();
    b.switch_to_window(&main_window);
    b.assert_no_script_errors();
}

#[test]
fn the_trace_exports_its_picture_and_its_data() {
    let _one = serial();
    let w = World::start(0);
    let regulator = w.key(&w.xuzhou);
    let driver = Chromedriver::start();
    let b = Browser::open(&driver, Screen::Desktop, "exports");
    use_key(&b, &w, &regulator);
    b.goto(&format!("{}/trace/{}", w.base, w.ids.bookshelf_batch));
    b.wait(&format!("#graph svg .node[data-id='{}']", w.ids.mill_a));
    // Keyboard: a node takes the focus and Enter opens its details.
    let node = b.wait(&format!(
        "#graph svg .node[data-id='{}']",
        w.ids.lot_plywood
    ));
    b.js("arguments[0].focus()", vec![b.el_json(&node)]);
    b.js(
        "arguments[0].dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}))",
        vec![b.el_json(&node)],
    );
    b.wait_text("#details-title", "XY-PLY-2603-01");
    b.click("#export-svg");
    let svg = String::from_utf8(b.downloaded(".svg")).expect("utf-8 svg");
    assert!(
        svg.contains("<svg") && svg.contains("XY-PLY-2603-01"),
        "{svg:.300}"
    );
    b.click("#export-png");
    let png = b.downloaded(".png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    b.click("#export-csv");
    let csv = String::from_utf8(b.downloaded(".csv")).expect("utf-8 csv");
    assert!(
        csv.starts_with('\u{feff}'),
        "a BOM for spreadsheet programs"
    );
    assert!(csv.contains("XY-PLY-2603-01") && csv.contains(w.name(&w.ids.mill_a)));
    b.assert_no_script_errors();
}

#[test]
fn ten_thousand_listings_of_one_mill_stay_paged() {
    let _one = serial();
    let w = World::start(10_000);
    w.post(
        &format!("/parties/{}/compliance", w.ids.mill_b),
        json!({"status": "noncompliant", "reason": "MDF 甲醛释放量超标"}),
    );
    let (total, per) = w.affected(&w.ids.mill_b);
    assert!(total > 10_000, "{total}");
    let regulator = w.key(&w.xuzhou);
    let driver = Chromedriver::start();
    let b = Browser::open(&driver, Screen::Desktop, "ten-thousand");
    use_key(&b, &w, &regulator);

    b.goto(&format!("{}/regulator", w.base));
    let show = format!(
        "#suppliers-table tr[data-supplier='{}'] button.show-affected",
        w.ids.mill_b
    );
    b.wait(&show);
    let t0 = Instant::now();
    b.click(&show);
    b.wait_text(
        "#platform-tiles [data-platform=''] .n",
        &format_thousands(total),
    );
    let rows = b.wait_for("the first page", |b| {
        let r = b.find_all("#affected-table tbody tr");
        (r.len() == 50).then_some(r)
    });
    let first_page_s = t0.elapsed().as_secs_f64();
    assert!(first_page_s < 10.0, "first page after {first_page_s:.1} s");
    for (p, n) in &per {
        let t = b.text(&format!("#platform-tiles [data-platform='{p}'] .n"));
        assert_eq!(digits(&t), n.to_string());
    }
    let first = b.text_of(&rows[0]);
    b.click("#affected .pager button:last-child");
    b.wait_text("#affected .pager", "2");
    b.wait_for("a different second page", |b| {
        let r = b.find_all("#affected-table tbody tr");
        (r.len() == 50 && b.text_of(&r[0]) != first).then_some(())
    });
    // The tab stays responsive: a script runs at once.
    let t1 = Instant::now();
    b.js("return document.querySelectorAll('tr').length", vec![]);
    assert!(t1.elapsed() < Duration::from_secs(2));

    // The downstream trace summarises per platform instead of drawing every listing.
    let down = w.get(&format!("/trace/downstream/{}?limit=1", w.ids.mill_b));
    let listings = down["listings"]["total"].as_u64().expect("total");
    assert!(listings >= total);
    b.goto(&format!("{}/trace/{}?dir=down", w.base, w.ids.mill_b));
    b.wait_text("#listing-total", &format_thousands(listings));
    let nodes = b.find_all("#graph svg .node").len();
    assert!(nodes < 20, "{nodes} nodes drawn");
    let items = b.wait_for("50 listings", |b| {
        let r = b.find_all("#items-table tbody tr");
        (r.len() == 50).then_some(r.len())
    });
    assert_eq!(items, 50);
    // The upstream trace of the desk batch ends in one node per platform, not 10,000.
    b.goto(&format!("{}/trace/{}", w.base, w.ids.desk_batch));
    b.wait(&format!("#graph svg .node[data-id='{}']", w.ids.mill_b));
    b.wait(&format!(
        "#graph svg .node[data-id='plat:{}:{}']",
        w.ids.desk_batch, w.ids.jd
    ));
    let nodes = b.find_all("#graph svg .node").len();
    assert!(nodes < 20, "{nodes} nodes drawn");
    b.assert_no_script_errors();
}

fn format_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Every main page at phone and desktop width: it renders without script errors and, on a
/// phone, nothing but the drawn graph scrolls sideways. With `BOARDTRAIL_SCREENSHOTS=1` the
/// screenshots for the README are written to docs/screenshots/.
#[test]
fn main_pages_fit_a_phone_and_a_desktop() {
    let _one = serial();
    let w = World::start(0);
    w.fail_bookshelf_and_declare_mill_a();
    // A measure waiting on Pinduoduo, past its due time (unless the demo already has one
    // pending there), and a case moved between bureaus.
    let due = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let r = w.op.post(
        "/api/v1/actions",
        &json!({"listing": w.ids.pdd_desk_listing, "kind": "block", "reason": "电脑桌板材待核查，屏蔽链接", "due_at": due}),
    );
    assert!(r.status == 201 || r.status == 409, "{}", r.text);
    let case = w.post(
        "/cases",
        json!({"title": "沙集书架甲醛超标，板材来自临沂鑫源", "opened_by": w.xuzhou,
               "subjects": [w.ids.bookshelf_batch, w.ids.mill_a], "note": "抽检报告 E2E-SJ-2026-0412"}),
    );
    w.post(
        &format!("/cases/{}/transfer", case["id"].as_str().expect("case")),
        json!({"to": w.linyi, "note": "移交临沂市局查处板材厂"}),
    );
    let keys = [
        ("regulator", w.key(&w.linyi)),
        ("platform", w.key(&w.ids.pinduoduo)),
        ("maker", w.key(&w.ids.suqian_maker)),
        ("reseller", w.key(&w.ids.reseller)),
    ];
    let key = |name: &str| keys.iter().find(|k| k.0 == name).expect("key").1.clone();
    let scan = w.scan_path(&w.ids.wardrobe_unit);
    let pages: Vec<(&str, Option<String>, String, &str)> = vec![
        ("signin", None, "/".into(), "#api-key"),
        ("home", Some(key("regulator")), "/".into(), "#me-party"),
        ("scan", None, "/scan".into(), "#scan-code"),
        ("q", None, scan, "#q-lots"),
        (
            "trace-up",
            Some(key("regulator")),
            format!("/trace/{}", w.ids.bookshelf_batch),
            "#details dl",
        ),
        (
            "trace-down",
            Some(key("regulator")),
            format!("/trace/{}?dir=down", w.ids.mill_a),
            "#items-table",
        ),
        (
            "regulator",
            Some(key("regulator")),
            "/regulator".into(),
            "#chart-items",
        ),
        (
            "platform",
            Some(key("platform")),
            "/platform".into(),
            ".evidence-mills",
        ),
        (
            "manufacturer",
            Some(key("maker")),
            "/manufacturer".into(),
            "#stock-table",
        ),
        (
            "distributor",
            Some(key("reseller")),
            "/distributor".into(),
            "#listings-table",
        ),
        (
            "review",
            Some(key("regulator")),
            "/review".into(),
            "#review-body article.review-platform",
        ),
        (
            "qualification",
            Some(key("maker")),
            "/qualification".into(),
            "#quality-score",
        ),
    ];
    let out = std::env::var_os("BOARDTRAIL_SCREENSHOTS")
        .map(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots"));
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir).expect("docs/screenshots");
    }
    let driver = Chromedriver::start();
    for screen in [Screen::Phone, Screen::Desktop] {
        let b = Browser::open(&driver, screen, &format!("pages-{}", screen.width()));
        for (name, key, path, ready) in &pages {
            b.goto(&format!("{}/static/app.css", w.base));
            b.js(
                "sessionStorage.clear(); if (arguments[0]) sessionStorage.setItem('boardtrail.key', arguments[0])",
                vec![json!(key)],
            );
            b.goto(&format!("{}{path}", w.base));
            b.wait(ready);
            // Let late parts (evidence, details) settle before looking.
            std::thread::sleep(Duration::from_millis(400));
            // A phone widens its layout to fit content that overflows: both must stay put.
            let wide = b.js(
                "return Math.max(document.documentElement.scrollWidth, window.innerWidth)",
                vec![],
            );
            assert!(
                wide.as_u64().unwrap_or(0) <= screen.width() as u64 + 1,
                "{name} is {wide} px wide on a {} px screen",
                screen.width()
            );
            if let Some(dir) = &out {
                let png = b.screenshot_full(1600);
                let kind = match screen {
                    Screen::Phone => "phone",
                    Screen::Desktop => "desktop",
                };
                std::fs::write(dir.join(format!("{name}-{kind}.png")), png).expect("write");
            }
        }
        b.assert_no_script_errors();
    }
}

/// After signing in, `?next=` leads only to a path on this origin: the browser's own URL
/// parsing decides, so backslashes and tabs cannot smuggle in another host.
#[test]
fn sign_in_redirects_only_to_this_site() {
    let _one = serial();
    let w = World::start(0);
    let regulator = w.key(&w.xuzhou);
    let driver = Chromedriver::start();
    let b = Browser::open(&driver, Screen::Desktop, "redirect");
    // Another origin: the same address on another port (as in the report: a foreign host).
    let port: u16 = w
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let host = format!("127.0.0.1:{}", port.wrapping_add(1));
    for next in [
        format!("/%5C{host}/x"),
        format!("/%09/{host}/x"),
        format!("//{host}/x"),
        "/%5Cevil.example/x".to_string(),
        "https://evil.example/".to_string(),
        "/%0A/evil.example/".to_string(),
    ] {
        b.goto(&format!("{}/?next={next}", w.base));
        b.fill("#api-key", &regulator);
        b.click("#sign-in");
        b.wait_text("#me-party", w.name(&w.xuzhou));
        let url = b.url();
        let page = url.split(['?', '#']).next().unwrap_or("");
        assert_eq!(page, format!("{}/", w.base), "next={next} led to {url}");
        b.js("sessionStorage.clear()", vec![]);
    }
    // A same-site path is followed.
    b.goto(&format!("{}/?next=%2Fregulator", w.base));
    b.fill("#api-key", &regulator);
    b.click("#sign-in");
    b.wait_for("the regulator page", |b| {
        b.url().ends_with("/regulator").then_some(())
    });
    b.assert_no_script_errors();
}

/// The web app's own CSV export neutralises cells a spreadsheet would run as formulas.
#[test]
fn the_web_apps_csv_cells_are_never_formulas() {
    let _one = serial();
    let w = World::start(0);
    let driver = Chromedriver::start();
    let b = Browser::open(&driver, Screen::Desktop, "csv-cells");
    b.goto(&format!("{}/", w.base));
    let cells = b.js_async(
        "const done = arguments[arguments.length - 1];
         import('/static/app.js').then((m) => done([
           m.csvCell('=HYPERLINK(\"http://evil.example\",\"x\")'), m.csvCell('+1'), m.csvCell('-1+2'),
           m.csvCell('@SUM(A1)'), m.csvCell('\\t=1'), m.csvCell('\\r=1'), m.csvCell('木森, 京东'),
           m.csvCell('a=b'), m.csvCell(7)]));",
        vec![],
    );
    assert_eq!(
        cells,
        json!([
            "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"",
            "'+1",
            "'-1+2",
            "'@SUM(A1)",
            "'\t=1",
            "\"'\r=1\"",
            "\"木森, 京东\"",
            "a=b",
            "7"
        ])
    );
}
