//! The GS1-Conformant Resolver over HTTP, against lists of valid and invalid GS1 Digital
//! Link URIs written from the GS1 Digital Link URI syntax and the AI table (GS1 Syntax
//! Dictionary): every primary key, qualifiers in and out of order, bad check digits,
//! over-long values, illegal characters, unknown AIs, data attributes, compressed forms.
//! Each is checked for its status: 200 (asked for JSON) or 307 (anything else) for an item
//! this resolver holds, 404 for a valid link to nothing here, 400 for an invalid one, and
//! never 200 for an error.

mod common;

use common::{Client, TestServer};
use serde_json::json;

const GTIN: &str = "09506000134352";
const LOT: &str = "B%2F2026-01";

/// A batch of GTIN 09506000134352 with code `B/2026-01` and two serialised units; their
/// serials.
fn world(srv: &TestServer) -> Vec<String> {
    let op = srv.client();
    let (_mill, maker, lot) = op.mill_ships_to_maker();
    let b = op
        .post(
            "/api/v1/batches",
            &json!({"manufacturer": maker, "batch_code": "B/2026-01",
            "product": {"name": "衣柜", "model": "W1", "gtin": "9506000134352"}, "quantity": 2,
            "serials": true, "inputs": [{"lot": lot, "quantity": {"value": 5.0, "unit": "sheet"}}],
            "produced_at": "2026-03-04T08:00:00+08:00"}),
        )
        .ok(201)
        .clone();
    b["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["serial"].as_str().unwrap().to_string())
        .collect()
}

/// The status of `path` asked for JSON, and asked for a page without following redirects.
fn statuses(srv: &TestServer, path: &str) -> (u16, u16) {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let status = |accept: &str| match agent
        .get(&format!("{}{path}", srv.base))
        .set("Accept", accept)
        .call()
    {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(s, r)) => {
            assert!(
                r.content_type().starts_with("application/problem+json")
                    || r.content_type().starts_with("text/html"),
                "{path}: an error answers problem+json (or the page), not {}",
                r.content_type()
            );
            s
        }
        Err(e) => panic!("{path}: {e}"),
    };
    (status("application/json"), status("text/html"))
}

fn check(srv: &TestServer, c: &Client, cases: &[(String, u16, u16)]) {
    let mut wrong = Vec::new();
    for (path, json_status, page_status) in cases {
        let got = statuses(srv, path);
        if got != (*json_status, *page_status) {
            wrong.push(format!(
                "{path}: expected {json_status}/{page_status}, got {}/{}",
                got.0, got.1
            ));
        }
    }
    let _ = c;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn valid_links_resolve_or_are_unknown_and_invalid_ones_are_400() {
    let srv = TestServer::start();
    let serials = world(&srv);
    let c = srv.client();
    let item = format!("/01/{GTIN}/10/{LOT}");
    let s0 = &serials[0];
    let mut cases: Vec<(String, u16, u16)> = vec![
        // Held here: 200 for JSON, 307 to the default link otherwise.
        (item.clone(), 200, 307),
        (format!("{item}/"), 200, 307),
        (format!("{item}/21/{s0}"), 200, 307),
        (format!("{item}/21/{}", serials[1]), 200, 307),
        // Data attributes in the query string and non-GS1 parameters.
        (format!("{item}?17=270101"), 200, 307),
        (format!("{item}/21/{s0}?17=270101&3103=000195"), 200, 307),
        (format!("{item}?linkType=gs1:traceability"), 307, 307),
        (format!("{item}?linkType=gs1:defaultLink"), 307, 307),
        (format!("{item}?linkType=linkset"), 200, 200),
        (format!("{item}?linkType=all"), 200, 200),
        // Valid but held nowhere here: 404.
        (format!("{item}?linkType=gs1:recipeInfo"), 404, 404),
        (format!("/01/{GTIN}"), 404, 404),
        (format!("/01/{GTIN}/10/NOPE"), 404, 404),
        (format!("{item}/21/AAAAAAAAAAAAA"), 404, 404),
        (format!("{item}/21/B%2F2026-01-0001"), 404, 404),
        (format!("/01/{GTIN}/235/TPX-1"), 404, 404),
        // A quote is in character set 82.
        (format!("/01/{GTIN}/10/A%22B"), 404, 404),
        // A variant (AI 22) this batch does not record: the batch it qualifies.
        (format!("/01/{GTIN}/22/2A/10/{LOT}"), 200, 307),
    ];
    // Every other primary key, with a valid check digit: valid, unknown here.
    for path in [
        "/00/106141412345678908",
        "/414/9520123456788",
        "/414/9520123456788/254/32a%2Fb",
        "/415/0614141000012",
        "/417/0614141000029",
        "/253/4000001000005abc",
        "/255/06141411234525678",
        "/401/0614141xyz-1",
        "/402/06141411234567890",
        "/8003/04000001000005X1",
        "/8004/0614141ABC123",
        "/8006/095060001343520102",
        "/8010/0614141-AB%231",
        "/8013/1987654Ad4X4bL5ttr2310c2K",
        "/8017/061414112345678902",
        "/8018/123456789012345675",
    ] {
        cases.push((path.to_string(), 404, 404));
    }
    // Invalid: 400, whatever was asked for.
    let long = "A".repeat(21);
    for path in [
        // Bad check digits of keys.
        "/01/09506000134353/10/X".to_string(),
        "/00/106141412345678909".to_string(),
        "/414/9520123456789".to_string(),
        "/8017/061414112345678903".to_string(),
        "/8013/1987654Ad4X4bL5ttr2310c2L".to_string(),
        // Wrong lengths, including a GTIN-13 not padded to 14 digits.
        "/01/0950600013435".to_string(),
        "/01/9506000134352/10/X".to_string(),
        format!("/01/{GTIN}/10/{long}"),
        format!("{item}/21/{long}"),
        // Illegal characters (space, Chinese, a tilde) for character set 82.
        format!("/01/{GTIN}/10/A%20B"),
        format!("/01/{GTIN}/10/%E6%89%B9"),
        format!("/01/{GTIN}/10/A%7EB"),
        // Qualifiers out of order, repeated, of another key; a second key.
        format!("/01/{GTIN}/21/{s0}/10/{LOT}"),
        format!("/01/{GTIN}/10/A/10/B"),
        "/414/9520123456788/10/ABC".to_string(),
        "/00/106141412345678908/10/A".to_string(),
        format!("/01/{GTIN}/00/106141412345678908"),
        // Unknown AIs, a data attribute in the path, a missing value.
        format!("/01/{GTIN}/99/x"),
        format!("/01/{GTIN}/9999/x"),
        format!("/01/{GTIN}/17/270101"),
        "/99/x".to_string(),
        format!("/01/{GTIN}/10"),
        // Bad data attributes in the query: wrong length, a key, unknown.
        format!("{item}?17=27013"),
        format!("{item}?01={GTIN}"),
        format!("{item}?9999=1"),
        // Malformed escapes, empty segments.
        format!("/01/{GTIN}/10/A%2"),
        format!("/01/{GTIN}/10/A%ZZ"),
        format!("/01/{GTIN}//10/A"),
    ] {
        cases.push((path, 400, 400));
    }
    // Compressed forms (GS1 Digital Link compression): held here, valid but unknown (an
    // SSCC, a vector of the Trust Codes port), a GTIN with a bad check digit.
    let full = format!("{item}/21/{s0}");
    let compressed = format!(
        "/{}",
        boardtrail::gs1::compress::compress(&full).expect("compressible")
    );
    cases.push((compressed, 200, 307));
    cases.push(("/ABeRcNWtKMPA".to_string(), 404, 404));
    cases.push(("/ARHKVAdpRA".to_string(), 400, 400));
    check(&srv, &c, &cases);
}

#[test]
fn a_compressed_link_names_its_uncompressed_form() {
    let srv = TestServer::start();
    let serials = world(&srv);
    let full = format!("/01/{GTIN}/10/{LOT}/21/{}", serials[0]);
    let compressed = boardtrail::gs1::compress::compress(&full).expect("compressible");
    let r = ureq::get(&format!("{}/{compressed}", srv.base))
        .set("Accept", "application/json")
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    let link = r.header("link").unwrap_or_default().to_string();
    assert!(
        link.contains(&format!("<{}{full}>; rel=\"owl:sameAs\"", srv.base)),
        "{link}"
    );
    let view: serde_json::Value = r.into_json().unwrap();
    assert_eq!(view["serial"], serials[0].as_str());
    // Its linkset is the uncompressed link's.
    let set: serde_json::Value = ureq::get(&format!("{}/{compressed}?linkType=linkset", srv.base))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(set["linkset"][0]["anchor"], format!("{}{full}", srv.base));
    // An unknown path that is not a compressed link stays a plain 404.
    let (status, _, _) = srv.client().get_bytes("/no-such-page", &[]);
    assert_eq!(status, 404);
}

/// Checks a document against the `application/linkset+json` format (RFC 9264 section 4.2):
/// `{"linkset": [context…]}`; each link context object has an `anchor` (a URI) and, per
/// relation type (a registered name or an absolute URI), an array of target objects, each
/// with an `href` and only target attributes of the right JSON types (`type`, `title`,
/// `media` strings; `hreflang` an array of strings; `title*` an array of
/// `{value, language}`).
fn assert_linkset(v: &serde_json::Value) {
    let top = v.as_object().expect("a linkset is a JSON object");
    assert_eq!(top.len(), 1, "only the linkset member: {v}");
    let contexts = top["linkset"].as_array().expect("linkset is an array");
    assert!(!contexts.is_empty());
    let registered = |r: &str| {
        r.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && r.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    };
    for ctx in contexts {
        let ctx = ctx.as_object().expect("a link context object");
        let anchor = ctx["anchor"].as_str().expect("anchor is a string");
        assert!(anchor.starts_with("http://") || anchor.starts_with("https://"));
        for (rel, targets) in ctx.iter().filter(|(k, _)| *k != "anchor") {
            assert!(
                registered(rel) || rel.starts_with("https://") || rel.starts_with("http://"),
                "relation type {rel}"
            );
            let targets = targets.as_array().expect("targets are an array");
            assert!(!targets.is_empty(), "{rel}");
            for t in targets {
                let t = t.as_object().expect("a target object");
                assert!(t["href"].is_string(), "{rel}: href");
                for (k, val) in t {
                    match k.as_str() {
                        "href" | "type" | "title" | "media" => assert!(val.is_string(), "{k}"),
                        "hreflang" => assert!(val
                            .as_array()
                            .is_some_and(|a| !a.is_empty() && a.iter().all(|l| l.is_string()))),
                        "title*" => assert!(val
                            .as_array()
                            .is_some_and(|a| a.iter().all(|x| x["value"].is_string()))),
                        other => panic!("{rel}: unknown target attribute {other}"),
                    }
                }
            }
        }
    }
}

#[test]
fn linksets_are_rfc_9264_and_hold_every_level() {
    let srv = TestServer::start();
    let serials = world(&srv);
    let unit = format!("/01/{GTIN}/10/{LOT}/21/{}", serials[0]);
    let r = ureq::get(&format!("{}{unit}?linkType=linkset", srv.base))
        .call()
        .unwrap();
    assert!(r.content_type().starts_with("application/linkset+json"));
    let v: serde_json::Value = r.into_json().unwrap();
    assert_linkset(&v);
    let ctx = &v["linkset"][0];
    assert_eq!(ctx["anchor"], format!("{}{unit}", srv.base));
    let voc = |t: &str| format!("https://gs1.org/voc/{t}");
    // The unit's own page, and the batch's (the level above, up to the primary key).
    let trace = ctx[voc("traceability")].as_array().unwrap();
    assert_eq!(trace.len(), 2, "{ctx}");
    assert_ne!(trace[0]["href"], trace[1]["href"]);
    assert_eq!(ctx[voc("defaultLink")][0]["href"], trace[0]["href"]);
    assert_eq!(ctx[voc("certificationInfo")].as_array().unwrap().len(), 2);
    for t in trace {
        assert_eq!(t["type"], "text/html");
        assert!(!t["title"].as_str().unwrap().is_empty());
        // The batch's page answers.
        let href = t["href"].as_str().unwrap();
        let got = ureq::get(href)
            .set("Accept", "application/json")
            .call()
            .unwrap();
        assert_eq!(got.status(), 200, "{href}");
    }
    // A batch-level link has its own links only.
    let batch = format!("/01/{GTIN}/10/{LOT}");
    let v: serde_json::Value = ureq::get(&format!("{}{batch}", srv.base))
        .set("Accept", "application/linkset+json")
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_linkset(&v);
    assert_eq!(
        v["linkset"][0][voc("traceability")]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
