//! Consumers' complaints, over HTTP against the real app: filed without an account from a
//! scanned code, they land in the inbox of the bureau of the maker's city as a case of kind
//! `complaint`; the contact and the photo reach regulators only; the complainant follows
//! the status by its reference; bad input is refused and changes nothing; the form works
//! without scripts; filing is limited per client.

mod common;

use base64::Engine as _;
use common::*;
use serde_json::{json, Value};

struct World {
    op: Client,
    maker_key: String,
    xuzhou: String,
    suqian: String,
    unit: String,
    unit_url: String,
    batch: String,
}

fn world(srv: &TestServer) -> World {
    let op = srv.client();
    let party = |name: &str, role: &str, code: &str, city: &str| op.party(name, role, code, city);
    // The maker's USCC carries division 321300 (Suqian): its complaints go to the Suqian
    // bureau, not to Xuzhou's.
    let xuzhou = party(
        "徐州市市场监督管理局 Xuzhou",
        "regulator",
        "11320300MB1H8H0W8",
        "徐州",
    );
    let suqian = party(
        "宿迁市市场监督管理局 Suqian",
        "regulator",
        "11321300MB1J9J0X9",
        "宿迁",
    );
    let (_mill, maker, lot) = op.mill_ships_to_maker();
    let batch = op
        .post(
            "/api/v1/batches",
            &json!({"manufacturer": maker, "batch_code": "MS-W01",
            "product": {"name": "两门衣柜 wardrobe", "model": "MS-YG-120", "gtin": "9506000134352"},
            "quantity": 2, "serials": true,
            "inputs": [{"lot": lot, "quantity": {"value": 5.0, "unit": "sheet"}}],
            "produced_at": "2026-03-04T08:00:00+08:00"}),
        )
        .ok(201)
        .clone();
    let unit = batch["units"][0]["id"].as_str().unwrap().to_string();
    let u = op.get(&format!("/api/v1/units/{unit}"));
    let unit_url = u.ok(200)["qr"]["url"].as_str().unwrap().to_string();
    let maker_key = op
        .post(&format!("/api/v1/parties/{maker}/keys"), &json!({}))
        .ok(201)["token"]
        .as_str()
        .unwrap()
        .to_string();
    World {
        op,
        maker_key,
        xuzhou,
        suqian,
        unit,
        unit_url,
        batch: id(&batch),
    }
}

fn regulator(w: &World, bureau: &str) -> Client {
    let token =
        w.op.post(&format!("/api/v1/parties/{bureau}/keys"), &json!({}))
            .ok(201)["token"]
            .as_str()
            .unwrap()
            .to_string();
    w.op.with_token(Some(&token))
}

/// The token at the end of a `/q/{token}` URL.
fn scan_token(c: &Client, w: &World, path: &str) -> String {
    let (status, headers, _) = c.get_bytes(path, &[("Accept", "application/json")]);
    assert_eq!(status, 200, "{path}");
    let link = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("link"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    assert!(!link.is_empty());
    let set = c.get(&format!("{path}?linkType=linkset"));
    let href = set.body["linkset"][0]["https://gs1.org/voc/defaultLink"][0]["href"]
        .as_str()
        .unwrap()
        .to_string();
    let _ = w;
    href.rsplit('/').next().unwrap().to_string()
}

#[test]
fn a_complaint_reaches_the_makers_bureau_and_its_contact_only_regulators() {
    let srv = TestServer::start();
    let w = world(&srv);
    let anon = w.op.with_token(None);
    // Filed from the Digital Link the consumer scanned (the whole URL, any host).
    let before = w.op.events();
    let filed = anon.post(
        "/api/v1/complaints",
        &json!({"code": w.unit_url, "text": "柜门有刺鼻气味\nstrong smell from the doors",
            "contact": "138 0000 0000"}),
    );
    let receipt = filed.ok(201).clone();
    let reference = receipt["reference"].as_str().unwrap().to_string();
    assert!(
        reference.starts_with("TS-") && reference.len() == 22,
        "{reference}"
    );
    assert_eq!(
        filed.header("location"),
        Some(format!("/api/v1/complaints/{reference}").as_str())
    );
    assert_eq!(receipt["status"], "open");
    assert_eq!(receipt["bureau"]["name"], "宿迁市市场监督管理局 Suqian");
    assert_eq!(w.op.events(), before + 1, "one event");
    let receipt_text = receipt.to_string();
    assert!(!receipt_text.contains("138 0000 0000") && !receipt_text.contains("strong smell"));

    // The public status, by reference (any case, with spaces): no contact, no text.
    let st = anon.get(&format!("/api/v1/complaints/{}", reference.to_lowercase()));
    let st = st.ok(200).clone();
    assert_eq!(st["reference"], reference.as_str());
    assert_eq!(st["history"][0]["step"], "received");
    assert!(!st.to_string().contains("138 0000 0000"));
    anon.get("/api/v1/complaints/TS-AAAA-AAAA-AAAA-AAAA")
        .problem(404);
    anon.get("/api/v1/complaints/nonsense").problem(404);

    // In the Suqian bureau's inbox, as a case of kind complaint with the contact; not in
    // Xuzhou's.
    let sq = regulator(&w, &w.suqian);
    let inbox = sq.get(&format!("/api/v1/cases?holder={}", w.suqian));
    let cases = inbox.ok(200)["cases"].as_array().unwrap().clone();
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!(case["kind"], "complaint");
    assert_eq!(case["complaint"]["contact"], "138 0000 0000");
    assert_eq!(case["complaint"]["reference"], reference.as_str());
    assert_eq!(case["complaint"]["subject"], w.unit.as_str());
    let subjects: Vec<&str> = case["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(subjects, vec![w.unit.as_str(), w.batch.as_str()]);
    let xz = regulator(&w, &w.xuzhou);
    let theirs = xz.get(&format!("/api/v1/cases?holder={}", w.xuzhou));
    assert!(theirs.ok(200)["cases"].as_array().unwrap().is_empty());

    // The maker reads neither the case nor the complaint, nor its event.
    let maker = w.op.with_token(Some(&w.maker_key));
    maker.get("/api/v1/cases").problem(403);
    let case_id = case["id"].as_str().unwrap().to_string();
    maker.get(&format!("/api/v1/cases/{case_id}")).problem(404);
    maker.get("/api/v1/events").problem(403);
    let seq = filed.header("boardtrail-seq").unwrap().to_string();
    let (status, _, _) = maker.get_bytes(&format!("/log/leaf/{seq}"), &[]);
    assert!(
        status == 404 || status == 403,
        "leaf of a complaint: {status}"
    );

    // The bureau works the case; the complainant sees the status, not the note.
    sq.post(
        &format!("/api/v1/cases/{case_id}/notes"),
        &json!({"note": "已联系企业抽样 internal note", "status": "investigating"}),
    )
    .ok(200);
    let st = anon.get(&format!("/api/v1/complaints/{reference}"));
    let st = st.ok(200).clone();
    assert_eq!(st["status"], "investigating");
    assert_eq!(st["history"][1]["step"], "investigating");
    assert!(!st.to_string().contains("internal note"));
}

#[test]
fn photos_go_to_regulators_and_bad_input_changes_nothing() {
    // Many refusals in a row from one address: without the per-client limit here.
    let srv = TestServer::start_with(tempfile::tempdir().unwrap(), |c| {
        c.complaint_limit.per_second = 0.0
    });
    let w = world(&srv);
    let anon = w.op.with_token(None);
    let token = scan_token(&anon, &w, &w.unit_url.replacen(&srv.base, "", 1));
    let before = w.op.events();
    let bad = |body: Value, status: u16| -> String {
        anon.post("/api/v1/complaints", &body).problem(status)
    };
    let said = bad(json!({"code": format!("/q/{token}"), "text": " "}), 422);
    assert!(said.contains("text"), "{said}");
    let said = bad(
        json!({"code": format!("/q/{token}"), "text": "bad smell", "website": "http://spam"}),
        422,
    );
    assert!(said.contains("website"), "{said}");
    let said = bad(
        json!({"code": format!("/q/{token}"), "text": "buy http://a http://b http://c"}),
        422,
    );
    assert!(said.contains("links"), "{said}");
    let said = bad(
        json!({"code": format!("/q/{token}"), "text": "bad smell", "photo": "R0lGODlhAQABAAAAACw="}),
        422,
    );
    assert!(said.contains("JPEG"), "{said}");
    let said = bad(
        json!({"code": "/q/aaaaaaaaaaaaaaaaaaaaaaaa", "text": "bad smell"}),
        404,
    );
    assert!(said.contains("code"), "{said}");
    bad(
        json!({"code": "/01/09506000134353/10/X", "text": "bad smell"}),
        422,
    );
    bad(
        json!({"code": format!("/q/{token}"), "text": "bad smell", "extra": 1}),
        400,
    );
    bad(
        json!({"code": format!("/q/{token}"), "text": "x".repeat(2001)}),
        422,
    );
    // Text that a bidirectional override would show other than it is.
    bad(
        json!({"code": format!("/q/{token}"), "text": "bad \u{202E}llems"}),
        422,
    );
    // A body past the complaint limit (96 KiB) is not read.
    bad(
        json!({"code": format!("/q/{token}"), "text": "smell", "photo": "A".repeat(100_000)}),
        413,
    );
    // Regulators do not open complaint cases themselves.
    let said =
        w.op.post(
            "/api/v1/cases",
            &json!({"title": "fake", "kind": "complaint", "opened_by": w.suqian}),
        )
        .problem(422);
    assert!(said.contains("complaint"), "{said}");
    assert_eq!(w.op.events(), before, "nothing refused was written");
    // A compressed Digital Link is a code too.
    let full = w.unit_url.replacen(&srv.base, "", 1);
    let compressed = boardtrail::gs1::compress::compress(&full).unwrap();
    anon.post(
        "/api/v1/complaints",
        &json!({"code": format!("{}/{compressed}", srv.base), "text": "门板开裂"}),
    )
    .ok(201);

    // A photo (here a tiny JPEG header), filed with the bare token.
    let jpeg = [
        0xFFu8, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1,
    ];
    let photo = format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(jpeg)
    );
    anon.post(
        "/api/v1/complaints",
        &json!({"code": token, "text": "抽屉板开裂", "photo": photo}),
    )
    .ok(201);
    let sq = regulator(&w, &w.suqian);
    let cases = sq.get("/api/v1/cases");
    let case = cases.ok(200)["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "complaint" && c["complaint"]["photo"].is_string())
        .unwrap()
        .clone();
    let photo_path = case["complaint"]["photo"].as_str().unwrap().to_string();
    assert!(case["complaint"]["contact"].is_null());
    let (status, headers, bytes) = sq.get_bytes(&photo_path, &[]);
    assert_eq!(status, 200);
    assert_eq!(bytes, jpeg);
    assert!(headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v == "image/jpeg"));
    let maker = w.op.with_token(Some(&w.maker_key));
    let (status, _, _) = maker.get_bytes(&photo_path, &[]);
    assert_eq!(status, 404, "hidden from the maker");
    let (status, _, _) = anon.get_bytes(&photo_path, &[]);
    assert_eq!(status, 401);
}

#[test]
fn the_form_works_without_scripts_and_filing_is_limited_per_client() {
    let srv = TestServer::start();
    let w = world(&srv);
    let anon = w.op.with_token(None);
    let path = w.unit_url.replacen(&srv.base, "", 1);
    let token = scan_token(&anon, &w, &path);
    // The scan page holds the form, pointing at the code, with the honeypot.
    let (status, _, page) = anon.get_bytes(&format!("/q/{token}"), &[("Accept", "text/html")]);
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("id=\"q-report-form\"") && page.contains("action=\"/complaints\""));
    assert!(page.contains(&format!("value=\"/q/{token}\"")));
    // A plain form post: 303 to the status page.
    let no_redirects = ureq::AgentBuilder::new().redirects(0).build();
    let r = no_redirects
        .post(&format!("{}/complaints", srv.base))
        .send_form(&[
            ("code", &format!("/q/{token}")),
            ("text", "门板开裂 cracked door"),
            ("contact", ""),
            ("website", ""),
        ])
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.header("location").unwrap().to_string();
    assert!(to.starts_with("/complaints/TS-"), "{to}");
    let (status, _, page) = anon.get_bytes(&to, &[("Accept", "text/html")]);
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    let reference = to
        .trim_start_matches("/complaints/")
        .split('?')
        .next()
        .unwrap();
    assert!(
        page.contains(reference) && page.contains("宿迁市市场监督管理局"),
        "{page}"
    );
    // The lookup form sends the browser to the status page.
    let r = no_redirects
        .get(&format!("{}/complaints?reference={reference}", srv.base))
        .call()
        .unwrap();
    assert_eq!(r.status(), 303);
    // A form with the honeypot filled is refused with a page, nothing written.
    let before = w.op.events();
    let r = no_redirects
        .post(&format!("{}/complaints", srv.base))
        .send_form(&[
            ("code", &format!("/q/{token}")),
            ("text", "cheap pills"),
            ("website", "http://spam.example"),
        ]);
    match r {
        Err(ureq::Error::Status(422, resp)) => {
            assert!(resp.into_string().unwrap().contains("website"))
        }
        other => panic!("expected 422, got {other:?}"),
    }
    assert_eq!(w.op.events(), before);
    // One client files at most 3 about one code (the form's counts): the 4th is 429.
    for i in 0..2 {
        anon.post(
            "/api/v1/complaints",
            &json!({"code": token, "text": format!("problem number {i}")}),
        )
        .ok(201);
    }
    let r = anon.post(
        "/api/v1/complaints",
        &json!({"code": token, "text": "one more"}),
    );
    r.problem(429);
    assert!(r.header("retry-after").is_some());
    // And 5 at once in all (the honeypot's try and that refusal count too): about another
    // code, 429 with Retry-After as well.
    let batch = w.op.get(&format!("/api/v1/batches/{}", w.batch));
    let other = batch.body["units"][1]["qr"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let r = anon.post(
        "/api/v1/complaints",
        &json!({"code": other, "text": "another unit"}),
    );
    r.problem(429);
    assert!(r.header("retry-after").is_some());
    assert_eq!(w.op.events(), before + 2);
}
