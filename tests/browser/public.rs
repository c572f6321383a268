//! The public side in Chromium: the scan page on a weak connection (network throttled
//! through the DevTools protocol, 400 kbit/s and 400 ms round trips), and a consumer's
//! complaint filed from the scan page, seen by the bureau of the maker's city.

use super::webdriver::{Browser, Chromedriver, Screen};
use super::world::World;
use super::{serial, use_key};
use serde_json::{json, Value};

/// 400 kbit/s each way, 400 ms round trip (DevTools applies the latency per request).
fn throttle(b: &Browser) {
    b.cdp("Network.enable", json!({}));
    b.cdp(
        "Network.emulateNetworkConditions",
        json!({"offline": false, "latency": 400,
            "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}),
    );
    b.cdp("Network.setCacheDisabled", json!({"cacheDisabled": true}));
}

/// When the supplier's name was painted, in ms from the start of the navigation (redirects
/// included): the Element Timing entry of the server-rendered supplier line.
fn supplier_painted_ms(b: &Browser) -> f64 {
    b.wait_for("the supplier's paint time", |b| {
        let v = b.js_async(
            "const done = arguments[arguments.length - 1];
             new PerformanceObserver((list, obs) => {
               const e = list.getEntries().find((x) => x.identifier === 'q-supplier');
               if (e) { obs.disconnect(); done(e.renderTime || e.loadTime); }
             }).observe({ type: 'element', buffered: true });
             setTimeout(() => done(null), 3000);",
            vec![],
        );
        v.as_f64()
    })
}

#[test]
fn the_scan_page_shows_the_supplier_in_time_on_a_weak_connection() {
    let _one = serial();
    let w = World::start(0);
    let dl = w.scan_path(&w.ids.wardrobe_unit);
    let driver = Chromedriver::start();
    let b = Browser::open(&driver, Screen::Phone, "throttled-scan");
    // The default link a Digital Link redirects to (GET without JSON: 307).
    let no_redirects = ureq::AgentBuilder::new().redirects(0).build();
    let r = no_redirects
        .get(&format!("{}{dl}", w.base))
        .set("Accept", "text/html")
        .call()
        .unwrap();
    assert_eq!(r.status(), 307);
    let q = r.header("location").unwrap().replacen(&w.base, "", 1);
    assert!(q.starts_with("/q/"), "{q}");
    let mill = w.name(&w.ids.mill_a).to_string();

    throttle(&b);
    let mut times = Vec::new();
    for (path, budget_ms) in [(q.as_str(), 2000.0), (dl.as_str(), 2500.0)] {
        b.goto(&format!("{}{path}", w.base));
        let at = supplier_painted_ms(&b);
        let text = b.text("#q-lots");
        assert!(text.contains(&mill), "{path}: {text}");
        assert!(
            at <= budget_ms,
            "{path}: the supplier's name was on screen after {at:.0} ms (budget {budget_ms} ms)"
        );
        // The whole view is in the document itself, under 30 kB.
        let size = b.js(
            "return performance.getEntriesByType('navigation')[0].encodedBodySize",
            vec![],
        );
        let size = size.as_f64().unwrap_or(f64::MAX);
        assert!(size < 30_000.0, "{path}: the page is {size} bytes");
        times.push(format!("{path}: {at:.0} ms, {size} bytes"));
    }
    eprintln!("throttled (400 kbit/s, 400 ms RTT) supplier on screen: {times:?}");
    b.assert_no_script_errors();
}

#[test]
fn a_consumer_reports_a_problem_and_the_makers_bureau_sees_it() {
    let _one = serial();
    let w = World::start(0);
    let path = w.scan_path(&w.ids.wardrobe_unit);
    let driver = Chromedriver::start();
    let b = Browser::open(&driver, Screen::Phone, "complaint");
    // A photo from the phone: a 1600×1200 PNG, larger than the API takes (the page shrinks
    // it to a JPEG that fits).
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("door.png");
    let img = image::RgbImage::from_fn(1600, 1200, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 251) as u8])
    });
    img.save(&photo).unwrap();
    assert!(std::fs::metadata(&photo).unwrap().len() > 48 * 1024);

    b.goto(&format!("{}{path}", w.base));
    b.wait_text("#q-report-h", "举报/投诉");
    b.fill("#r-text", "柜门板有刺鼻气味，孩子咳嗽 strong smell");
    b.fill("#r-contact", "13800001111");
    b.wait_for("the photo field", |b| {
        let e = b.find("#r-photo-row")?;
        b.displayed(&e).then_some(())
    });
    b.attach_file("#r-photo", &photo);
    b.click("#r-submit");
    let reference = b.wait_text("#r-reference", "TS-");
    let reference = b.text_of(&reference);
    assert!(
        reference.starts_with("TS-") && reference.len() == 22,
        "{reference}"
    );
    // The public page never shows the contact, before or after a reload.
    let body = b.text("body");
    assert!(!body.contains("13800001111"), "{body}");
    b.refresh();
    b.wait("#q-lots");
    assert!(!b.text("body").contains("13800001111"));

    // The complainant follows it by its reference.
    b.goto(&format!("{}/complaints/{reference}", w.base));
    b.wait_text("#c-status", "待处理");
    assert!(b.text("main").contains("宿迁市市场监督管理局"));
    assert!(!b.text("main").contains("13800001111"));

    // The bureau of the maker's city (Suqian) has it in its inbox, with the contact and
    // the photo.
    let suqian = w
        .names
        .iter()
        .find(|(_, n)| n.starts_with("宿迁市市场监督管理局"))
        .map(|(id, _)| id.clone())
        .expect("the Suqian bureau");
    let cases: Value = w.get(&format!("/cases?holder={suqian}"));
    let case = cases["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "complaint")
        .unwrap_or_else(|| panic!("no complaint in Suqian's inbox: {cases}"))
        .clone();
    let case_id = case["id"].as_str().unwrap().to_string();
    let key = w.key(&suqian);
    use_key(&b, &w, &key);
    b.goto(&format!("{}/regulator", w.base));
    b.wait_text("#cases-list", "消费者投诉");
    b.click(&format!("button[data-case='{case_id}']"));
    b.wait_text(".complaint-contact", "13800001111");
    assert!(b.text(".complaint-text").contains("刺鼻气味"));
    b.click(".complaint-photo button");
    let img = b.wait(".complaint-img");
    b.wait_for("the photo to load", |b| {
        let w = b.prop(&img, "naturalWidth").as_u64()?;
        (w > 0 && w <= 1024).then_some(())
    });
    b.assert_no_script_errors();
}
