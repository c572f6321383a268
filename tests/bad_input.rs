//! Malformed, oversized, deeply nested and unauthenticated requests get the right 4xx as
//! application/problem+json, and change nothing.

mod common;

use common::{uscc, TestServer};
use serde_json::json;

#[test]
fn bad_requests_are_refused_and_change_nothing() {
    let srv = TestServer::start();
    let c = srv.client();
    let mill = c
        .post("/api/v1/parties", &json!({"name": "mill", "role": "supplier", "uscc": uscc("91371300MA3C1A0X1"), "city": "临沂"}))
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let good_lot = json!({"producer": mill, "lot_code": "L1", "material": "plywood", "formaldehyde_class": "E0",
                          "quantity": {"value": 10.0, "unit": "sheet"}, "produced_at": "2026-03-02T08:00:00+08:00"});
    let before = c.events();

    // Authentication.
    let anon = c.with_token(None);
    let r = anon.post("/api/v1/lots", &good_lot);
    r.problem(401);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"boardtrail\"")
    );
    c.with_token(Some("wrong-token"))
        .get(&format!("/api/v1/parties/{mill}"))
        .problem(401);
    let r = c.post_raw("/api/v1/lots", "application/json", b"{}");
    assert_ne!(r.status, 401);

    // Malformed JSON, wrong types, unknown fields, bad enum values.
    let d = c
        .post_raw("/api/v1/lots", "application/json", b"{\"producer\": ")
        .problem(400);
    assert!(d.contains("JSON"), "{d}");
    let mut wrong = good_lot.clone();
    wrong["quantity"]["value"] = json!("ten");
    c.post("/api/v1/lots", &wrong).problem(400);
    let mut extra = good_lot.clone();
    extra["colour"] = json!("red");
    assert!(c
        .post("/api/v1/lots", &extra)
        .problem(400)
        .contains("colour"));
    let mut bad_enum = good_lot.clone();
    bad_enum["material"] = json!("cardboard");
    c.post("/api/v1/lots", &bad_enum).problem(400);
    let mut bad_time = good_lot.clone();
    bad_time["produced_at"] = json!("yesterday");
    c.post("/api/v1/lots", &bad_time).problem(400);
    c.post_raw(
        "/api/v1/lots",
        "application/json",
        b"{\"quantity\": {\"value\": 1e400}}",
    )
    .problem(400);

    // Rule violations: non-positive, too precise, future time, empty code.
    for (path, value) in [
        ("/quantity/value", json!(-5.0)),
        ("/quantity/value", json!(0.0)),
        ("/quantity/value", json!(1.0001)),
        ("/produced_at", json!("2099-01-01T00:00:00Z")),
        ("/lot_code", json!("   ")),
        ("/gtin", json!("09506000134353")),
    ] {
        let mut v = good_lot.clone();
        if let Some(slot) = v.pointer_mut(path) {
            *slot = value;
        } else {
            v.as_object_mut()
                .unwrap()
                .insert(path[1..].to_string(), value);
        }
        let d = c.post("/api/v1/lots", &v).problem(422);
        assert!(!d.is_empty(), "{path}");
    }

    // Deep nesting: refused by the parser's recursion limit, no crash.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    c.post_raw("/api/v1/lots", "application/json", deep.as_bytes())
        .problem(400);
    let deep_obj = format!(
        "{{\"producer\":{}1{}}}",
        "{\"a\":".repeat(5_000),
        "}".repeat(5_000)
    );
    c.post_raw("/api/v1/lots", "application/json", deep_obj.as_bytes())
        .problem(400);

    // Huge body: 413 before parsing.
    let huge = format!("{{\"lot_code\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    c.post_raw("/api/v1/lots", "application/json", huge.as_bytes())
        .problem(413);

    // Wrong content type.
    c.post_raw(
        "/api/v1/lots",
        "text/plain",
        good_lot.to_string().as_bytes(),
    )
    .problem(415);

    // Unknown ids, wrong kinds, junk ids: 404.
    c.get("/api/v1/lots/lot_987654").problem(404);
    c.get(&format!("/api/v1/lots/{}", mill.replace("pty", "lot")))
        .problem(404);
    c.get(&format!("/api/v1/batches/{mill}")).problem(404);
    c.get("/api/v1/lots/%00%ff").problem(404);
    c.get("/api/v1/trace/upstream/unt_4294967295").problem(404);
    c.get("/api/v1/trace/downstream/nonsense").problem(404);
    c.get("/api/v1/no-such-route").problem(404);
    let mut unknown_ref = good_lot.clone();
    unknown_ref["producer"] = json!("pty_424242");
    assert!(c
        .post("/api/v1/lots", &unknown_ref)
        .problem(404)
        .contains("pty_424242"));

    // Bad paging parameters.
    c.get(&format!("/api/v1/trace/downstream/{mill}?limit=0"))
        .problem(400);
    c.get(&format!("/api/v1/trace/downstream/{mill}?limit=abc"))
        .problem(400);
    c.get(&format!("/api/v1/trace/downstream/{mill}?cursor=bat_1"))
        .problem(400);

    assert_eq!(c.events(), before, "no refused request may record anything");
    // And the good request still works afterwards.
    c.post("/api/v1/lots", &good_lot).ok(201);
    assert_eq!(c.events(), before + 1);
}
