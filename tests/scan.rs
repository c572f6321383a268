//! QR codes and the inspector's scan: PNGs decoded by an independent decoder (rqrr), the
//! decoded URL followed to a view that names the board supplier (plain token and GS1
//! Digital Link), Digital Link validation, tampered tokens, labels, caching headers.

mod common;

use common::{id, Client, TestServer};
use serde_json::{json, Value};

fn decode_png(png: &[u8]) -> String {
    let img = image::load_from_memory(png).expect("a PNG").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        img.width() as usize,
        img.height() as usize,
        |x, y| img.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "expected one QR code");
    grids[0].decode().expect("decodable").1
}

fn get_bytes(
    c: &Client,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    c.get_bytes(path, headers)
}

fn header<'a>(hs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    hs.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// GETs an absolute URL (as decoded from a code) asking for JSON, without a key.
fn follow(url: &str) -> (u16, Value) {
    let resp = match ureq::get(url).set("Accept", "application/json").call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    let status = resp.status();
    (
        status,
        serde_json::from_str(&resp.into_string().unwrap()).unwrap_or(Value::Null),
    )
}

struct World {
    op: Client,
    lot: String,
    gtin_batch: String,
    plain_batch: String,
    /// A GTIN batch whose code is GS1's longest AI 10 but for two characters.
    long_batch: String,
}

fn world(srv: &TestServer) -> World {
    let op = srv.client();
    let party = |name: &str, role: &str, code: &str, city: &str| op.party(name, role, code, city);
    let mill = party(
        "临沂鑫源板材 Linyi Xinyuan",
        "supplier",
        "91371300MA3C1A0X1",
        "临沂 Linyi",
    );
    let maker = party(
        "宿迁木森家具 Suqian Musen",
        "manufacturer",
        "91321300MA1M3C0P3",
        "宿迁 Suqian",
    );
    let jd = party("京东 JD", "platform", "91110302MA0C5E0R5", "北京");
    let lot = id(op.post("/api/v1/lots", &json!({"producer": mill, "lot_code": "XY-PLY-01", "material": "plywood",
        "formaldehyde_class": "E0", "quantity": {"value": 100.0, "unit": "sheet"}, "produced_at": "2026-03-02T08:00:00+08:00"})).ok(201));
    op.post(
        "/api/v1/shipments",
        &json!({"lot": lot, "from": mill, "to": maker, "quantity": {"value": 50.0, "unit": "sheet"},
        "shipped_at": "2026-03-03T08:00:00+08:00"}),
    )
    .ok(201);
    let batch = |code: &str, gtin: Option<&str>| {
        let mut product = json!({"name": "两门衣柜 wardrobe", "model": "MS-YG-120"});
        if let Some(g) = gtin {
            product["gtin"] = json!(g);
        }
        op.post(
            "/api/v1/batches",
            &json!({"manufacturer": maker, "batch_code": code, "product": product, "quantity": 3,
            "serials": true, "inputs": [{"lot": lot, "quantity": {"value": 5.0, "unit": "sheet"}}],
            "produced_at": "2026-03-04T08:00:00+08:00"}),
        )
        .ok(201)
        .clone()
    };
    // A code printed in a Digital Link must be a valid GS1 AI 10 (and its units' serials
    // AI 21): GS1's character set 82, at most 20 characters. Refused (422) otherwise, and
    // nothing is written.
    let before = op.events();
    let refused = |code: &str, serials: bool| {
        op.post(
            "/api/v1/batches",
            &json!({"manufacturer": maker, "batch_code": code,
            "product": {"name": "两门衣柜 wardrobe", "model": "MS-YG-120", "gtin": "9506000134352"},
            "quantity": 3, "serials": serials,
            "inputs": [{"lot": lot, "quantity": {"value": 5.0, "unit": "sheet"}}],
            "produced_at": "2026-03-04T08:00:00+08:00"}),
        )
        .problem(422)
    };
    let said = refused("B 2026 01", true);
    assert!(said.contains("' '") && said.contains("AI 10"), "{said}");
    let said = refused("MS-W2603-01-8441AB-XYZ", true);
    assert!(
        said.contains("AI 10") && said.contains("at most 20"),
        "{said}"
    );
    assert_eq!(op.events(), before, "a refused batch writes nothing");
    // A batch code with a slash, to be percent-encoded in the Digital Link.
    let gtin_batch = batch("B/2026-01", Some("9506000134352"));
    assert_eq!(
        gtin_batch["product"]["gtin"], "09506000134352",
        "GTIN-13 is padded to 14"
    );
    let plain_batch = batch("B-PLAIN", None);
    // An 18-character code: a valid AI 10; its units' serials are 13 characters whatever
    // the code, so every printed code resolves.
    let long_batch = batch("MS-W2603-01-8441AB", Some("9506000134352"));
    op.post("/api/v1/listings", &json!({"platform": jd, "seller": maker, "shop": "木森京东店", "item_id": "100012345678",
        "url": "https://item.jd.com/100012345678.html", "title": "两门衣柜", "batches": [id(&gtin_batch)]})).ok(201);
    World {
        op,
        lot,
        gtin_batch: id(&gtin_batch),
        plain_batch: id(&plain_batch),
        long_batch: id(&long_batch),
    }
}

#[test]
fn codes_decode_and_lead_to_the_supplier() {
    let srv = TestServer::start();
    let w = world(&srv);
    let c = &w.op;

    // A unit with a GTIN: the code is a GS1 Digital Link with percent-encoded qualifiers.
    let batch = c.get(&format!("/api/v1/batches/{}", w.gtin_batch));
    let unit = batch.ok(200)["units"][1].clone();
    let serial = unit["serial"].as_str().unwrap().to_string();
    let qr_url = unit["qr"]["url"].as_str().unwrap().to_string();
    assert_eq!(
        qr_url,
        format!("{}/01/09506000134352/10/B%2F2026-01/21/{serial}", srv.base)
    );
    // Serials are random-looking, 13 characters of base32 (GS1 AI 82), unrelated to the
    // batch code and to each other: one wardrobe's link tells nothing about the others.
    let serials: Vec<String> = batch.body["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["serial"].as_str().unwrap().to_string())
        .collect();
    for s in &serials {
        assert_eq!(s.len(), 13, "{s}");
        assert!(
            s.chars()
                .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)),
            "{s}"
        );
        assert!(!s.contains("2026"), "{s}");
    }
    let shared = serials[0]
        .chars()
        .zip(serials[1].chars())
        .take_while(|(a, b)| a == b)
        .count();
    assert!(
        shared < 4,
        "neighbouring serials share a prefix: {serials:?}"
    );
    let (status, hs, png) = get_bytes(
        c,
        &format!("/api/v1/qr/{}.png?size=300", unit["id"].as_str().unwrap()),
        &[],
    );
    assert_eq!(status, 200);
    assert_eq!(header(&hs, "content-type"), Some("image/png"));
    let decoded = decode_png(&png);
    assert_eq!(decoded, qr_url);
    let (status, view) = follow(&decoded);
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["serial"], serial.as_str());
    assert_eq!(
        view["lots"][0]["supplier"]["name"],
        "临沂鑫源板材 Linyi Xinyuan"
    );
    assert_eq!(view["lots"][0]["supplier"]["city"], "临沂 Linyi");
    assert_eq!(view["maker"]["name"], "宿迁木森家具 Suqian Musen");
    assert_eq!(view["listings"][0]["platform"], "京东 JD");
    assert_eq!(view["signed_in"], false);
    // The public view hides quantities, ids, USCCs and keys.
    let text = view.to_string();
    for hidden in ["quantity", "91371300", "uscc", "token"] {
        assert!(!text.contains(hidden), "public view leaks {hidden}: {text}");
    }
    for prefix in ["lot_", "pty_", "bat_", "unt_", "lst_", "shp_"] {
        let leaks_id = text.match_indices(prefix).any(|(i, _)| {
            text[i + prefix.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        });
        assert!(
            !leaks_id,
            "public view leaks an internal id ({prefix}…): {text}"
        );
    }

    // A batch without a GTIN: a plain, unguessable token URL.
    let plain = c.get(&format!("/api/v1/batches/{}", w.plain_batch));
    let unit = plain.ok(200)["units"][0].clone();
    let token = unit["qr"]["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 26);
    let (_, _, png) = get_bytes(
        c,
        &format!("/api/v1/qr/{}.png", unit["id"].as_str().unwrap()),
        &[],
    );
    let decoded = decode_png(&png);
    assert_eq!(decoded, format!("{}/q/{token}", srv.base));
    let (status, view) = follow(&decoded);
    assert_eq!(status, 200);
    assert_eq!(
        view["lots"][0]["supplier"]["name"],
        "临沂鑫源板材 Linyi Xinyuan"
    );
    // A signed-in regulator gets a link to the full trace.
    let r = c.get(&format!("/q/{token}"));
    assert_eq!(r.ok(200)["signed_in"], true);
    assert!(r.body["trace"]
        .as_str()
        .unwrap()
        .starts_with("/api/v1/trace/upstream/unt_"));

    // Tampered and unknown tokens: 404, for JSON and for the page.
    let mut chars: Vec<char> = token.chars().collect();
    chars[5] = if chars[5] == 'a' { 'b' } else { 'a' };
    let tampered: String = chars.into_iter().collect();
    let anon = c.with_token(None);
    anon.get(&format!("/q/{tampered}")).problem(404);
    anon.get("/q/aaaaaaaaaaaaaaaaaaaaaaaa").problem(404);
    let (status, hs, _) = get_bytes(&anon, &format!("/q/{tampered}"), &[("Accept", "text/html")]);
    assert_eq!(status, 404);
    assert!(header(&hs, "content-type")
        .unwrap()
        .starts_with("text/html"));
    let (status, _, page) = get_bytes(&anon, &format!("/q/{token}"), &[("Accept", "text/html")]);
    assert_eq!(status, 200);
    // The first response holds the public view (no script needed): the mill behind the
    // product, its board, the maker; small enough for a weak connection.
    let html = String::from_utf8_lossy(&page);
    assert!(html.contains("<html"));
    assert!(html.contains("临沂鑫源板材 Linyi Xinyuan"), "{html}");
    assert!(
        html.contains("XY-PLY-01") && html.contains("宿迁木森家具"),
        "{html}"
    );
    assert!(!html.contains("正在加载"), "not an empty shell");
    assert!(page.len() < 30_000, "{} bytes", page.len());
    // Case does not matter for a scanned token.
    anon.get(&format!("/q/{}", token.to_uppercase())).ok(200);

    // The lot's own code, and creation responses carry codes.
    let lot = c.get(&format!("/api/v1/lots/{}", w.lot));
    assert!(lot.ok(200)["qr"]["url"].as_str().unwrap().contains("/q/"));
    // Images need a key and a readable subject; SVG has an ETag and honours If-None-Match.
    anon.get(&format!("/api/v1/qr/{}.svg", w.lot)).problem(401);
    c.get("/api/v1/qr/lot_999999.svg").problem(404);
    c.get(&format!("/api/v1/qr/{}.gif", w.lot)).problem(404);
    c.get(&format!("/api/v1/qr/{}.svg?size=5", w.lot))
        .problem(400);
    c.get(&format!("/api/v1/qr/{}.svg?ecc=Z", w.lot))
        .problem(400);
    let (status, hs, svg) = get_bytes(c, &format!("/api/v1/qr/{}.svg?ecc=H", w.lot), &[]);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&svg).contains("<svg"));
    let etag = header(&hs, "etag").unwrap().to_string();
    let (status, _, _) = get_bytes(
        c,
        &format!("/api/v1/qr/{}.svg?ecc=H", w.lot),
        &[("If-None-Match", &etag)],
    );
    assert_eq!(status, 304);

    // The label sheet: one label per unit with its serial and an inline SVG code.
    let (status, hs, html) = get_bytes(
        c,
        &format!("/api/v1/batches/{}/labels?columns=2", w.gtin_batch),
        &[],
    );
    assert_eq!(status, 200);
    assert!(header(&hs, "content-type")
        .unwrap()
        .starts_with("text/html"));
    let html = String::from_utf8(html).unwrap();
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(
        html.contains(&serials[2]) && html.contains("MS-YG-120") && html.contains("宿迁木森家具")
    );
    assert!(html.contains("repeat(2,1fr)"));
    c.get(&format!(
        "/api/v1/batches/{}/labels?columns=9",
        w.gtin_batch
    ))
    .problem(400);

    // Every printed code of the batch with the long code decodes (rqrr) and resolves to
    // its own unit.
    let long = c.get(&format!("/api/v1/batches/{}", w.long_batch));
    for u in long.ok(200)["units"].as_array().unwrap() {
        let (status, _, png) = get_bytes(
            c,
            &format!("/api/v1/qr/{}.png?size=300", u["id"].as_str().unwrap()),
            &[],
        );
        assert_eq!(status, 200);
        let decoded = decode_png(&png);
        assert!(decoded.contains("/10/MS-W2603-01-8441AB/21/"), "{decoded}");
        let (status, view) = follow(&decoded);
        assert_eq!(status, 200, "{decoded}: {view}");
        assert_eq!(view["serial"], u["serial"]);
        assert_eq!(view["batch_code"], "MS-W2603-01-8441AB");
    }
}

#[test]
fn digital_link_resolver_validates_and_serves_linksets() {
    let srv = TestServer::start();
    let w = world(&srv);
    let anon = w.op.with_token(None);
    let ok = "/01/09506000134352/10/B%2F2026-01";
    let r = anon.get(ok);
    assert_eq!(r.ok(200)["kind"], "batch");
    assert_eq!(
        r.body["lots"][0]["supplier"]["name"],
        "临沂鑫源板材 Linyi Xinyuan"
    );
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let units = w.op.get(&format!("/api/v1/batches/{}", w.gtin_batch));
    let serial = units.body["units"][2]["serial"]
        .as_str()
        .unwrap()
        .to_string();
    anon.get(&format!("{ok}/21/{serial}")).ok(200);
    let long = w.op.get(&format!("/api/v1/batches/{}", w.long_batch));
    let other_serial = long.body["units"][0]["serial"]
        .as_str()
        .unwrap()
        .to_string();
    // GTIN-13 written as 14 digits only; a wrong check digit, wrong order, unknown AI: 400.
    anon.get("/01/09506000134353/10/B%2F2026-01").problem(400);
    anon.get("/01/09506000134352/21/B%2F2026-01-0001/10/B%2F2026-01")
        .problem(400);
    anon.get("/01/09506000134352/99/x").problem(400);
    anon.get("/01/0950600013435/10/x").problem(400);
    // Valid but unknown: 404.
    anon.get("/01/09506000134352/10/NO-SUCH-BATCH").problem(404);
    // A made-up serial, the old sequential form, another batch's serial: 404.
    anon.get(&format!("{ok}/21/AAAAAAAAAAAAA")).problem(404);
    anon.get(&format!("{ok}/21/B%2F2026-01-0001")).problem(404);
    anon.get(&format!("{ok}/21/{other_serial}")).problem(404);
    anon.get("/01/09506000134352").problem(404);
    // linkType=all: an RFC 9264 linkset anchored at the Digital Link.
    let r = anon.get(&format!("{ok}?linkType=all"));
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("application/linkset+json"));
    let set = &r.body["linkset"][0];
    assert_eq!(set["anchor"], format!("{}{ok}", srv.base));
    let trace = set["https://gs1.org/voc/traceability"][0]["href"]
        .as_str()
        .unwrap();
    assert!(trace.contains("/q/"));
    // linkType=linkset, and Accept: application/linkset+json: the same linkset.
    let r = anon.get(&format!("{ok}?linkType=linkset"));
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("application/linkset+json"));
    assert_eq!(r.body["linkset"][0]["anchor"], format!("{}{ok}", srv.base));
    let (status, headers, body) = anon.get_bytes(ok, &[("Accept", "application/linkset+json")]);
    assert_eq!(status, 200);
    let via_accept: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(via_accept, r.body);
    // Every answer for an item links its linkset.
    let link = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("link"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    assert!(
        link.contains("rel=\"linkset\"") && link.contains("linkType=linkset"),
        "{link}"
    );
    // linkType=<type>: a redirect (307) to that link, the rest of the query passed on; a
    // type the item has no link of: 404.
    let no_redirects = ureq::AgentBuilder::new().redirects(0).build();
    let r = no_redirects
        .get(&format!(
            "{}{ok}?linkType=gs1:traceability&17=270101",
            srv.base
        ))
        .call()
        .unwrap();
    assert_eq!(r.status(), 307);
    let to = r.header("location").unwrap_or_default().to_string();
    assert!(to.contains("/q/") && to.ends_with("?17=270101"), "{to}");
    anon.get(&format!("{ok}?linkType=gs1:recipeInfo"))
        .problem(404);
    // Without linkType, a client that did not ask for JSON (a browser, a phone's camera
    // app) is redirected (307) to the default link, the query string passed on, with the
    // linkset linked; the page there holds the view.
    for accept in ["text/html,application/xhtml+xml", "*/*"] {
        let r = no_redirects
            .get(&format!("{}{ok}?17=270101", srv.base))
            .set("Accept", accept)
            .call()
            .unwrap();
        assert_eq!(r.status(), 307, "{accept}");
        let to = r.header("location").unwrap_or_default().to_string();
        assert!(to.contains("/q/") && to.ends_with("?17=270101"), "{to}");
        assert!(r
            .header("link")
            .unwrap_or_default()
            .contains("rel=\"linkset\""));
    }
    let (status, _, page) = anon.get_bytes(ok, &[("Accept", "text/html")]);
    assert_eq!(status, 200, "followed to the scan page");
    assert!(String::from_utf8_lossy(&page).contains("Linyi Xinyuan"));
    // Asked for JSON, the Digital Link answers the view itself.
    let r = no_redirects
        .get(&format!("{}{ok}", srv.base))
        .set("Accept", "application/json")
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    // A trailing slash is tolerated.
    assert_eq!(anon.get(&format!("{ok}/")).status, 200);
    // The resolver's description file.
    let d = anon.get("/.well-known/gs1resolver");
    let d = d.ok(200);
    assert_eq!(d["supportedPrimaryKeys"], json!(["01"]));
    assert_eq!(d["resolverRoot"], srv.base.as_str());
    assert_eq!(d["supportedLinkType"][0]["prefix"], "gs1:");
    // HEAD and a CORS preflight.
    let head = ureq::head(&format!("{}{ok}", srv.base))
        .set("Accept", "application/json")
        .call()
        .unwrap();
    assert_eq!(head.status(), 200);
    assert!(head.into_string().unwrap().is_empty());
    let pre = ureq::request("OPTIONS", &format!("{}{ok}", srv.base))
        .call()
        .unwrap();
    assert_eq!(pre.status(), 204);
    assert!(pre
        .header("access-control-allow-methods")
        .unwrap()
        .contains("HEAD"));
}

#[test]
fn anonymous_scans_are_rate_limited_per_client() {
    let srv = TestServer::start_with(tempfile::tempdir().unwrap(), |cfg| {
        cfg.anonymous_limit = boardtrail::auth::RateLimit {
            per_second: 1.0,
            burst: 5.0,
        };
    });
    let anon = srv.client().with_token(None);
    let code = "a".repeat(26);
    for _ in 0..5 {
        anon.get(&format!("/q/{code}")).problem(404);
    }
    // The sixth at once: 429 with Retry-After, for scans and Digital Links alike.
    let r = anon.get(&format!("/q/{code}"));
    r.problem(429);
    assert!(r.header("retry-after").is_some());
    anon.get("/01/09506000134352/10/X").problem(429);
    anon.get("/api/v1/complaints/TS-AAAA-AAAA-AAAA-AAAA")
        .problem(429);
    // A header that is not a valid key counts as none; a caller with a key has its key's
    // own limit.
    anon.with_token(Some("not-a-key"))
        .get(&format!("/q/{code}"))
        .problem(429);
    srv.client().get(&format!("/q/{code}")).problem(404);
}
