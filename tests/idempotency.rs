//! `Idempotency-Key`: a write retried with the same key gets its first answer (status and
//! body), also after a `kill -9` and a restart, and records one event; the same key for
//! another request is refused (422); keys are per caller; concurrent tries record once; a
//! new API key's token is never shown twice.

mod common;

use common::{id, uscc, Client};
use serde_json::{json, Value};

const TOKEN: &str = "idempotency-test-operator-01";

fn post_with_key(
    c: &Client,
    path: &str,
    key: &str,
    body: &Value,
) -> (u16, Option<String>, Value, String) {
    let mut req = ureq::post(&format!("{}{path}", c.base))
        .set(
            "Authorization",
            &format!("Bearer {}", c.token.as_deref().unwrap_or("")),
        )
        .set("Idempotency-Key", key);
    req = req.set("Content-Type", "application/json");
    let res = match req.send_string(&body.to_string()) {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport: {e}"),
    };
    let status = res.status();
    let replayed = res.header("Idempotency-Replayed").map(str::to_string);
    let text = res.into_string().unwrap_or_default();
    let v = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, replayed, v, text)
}

#[test]
fn a_retried_write_gets_its_first_answer_and_records_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut p = common::spawn_binary(&data, TOKEN, None);
    let c = Client::new(&p.base, Some(TOKEN));
    let mill = c.party("临沂鑫源板材", "supplier", "91371300MA3C1A0X1", "临沂");
    let maker = c.party("宿迁木森家具", "manufacturer", "91321300MA1M3C0P3", "宿迁");
    let lot_body = json!({"producer": mill, "lot_code": "PLY-1", "material": "plywood", "formaldehyde_class": "E0",
        "quantity": {"value": 100.0, "unit": "sheet"}, "produced_at": "2026-03-01T00:00:00Z"});
    let (s1, r1, lot, t1) = post_with_key(&c, "/api/v1/lots", "lot-PLY-1", &lot_body);
    assert_eq!((s1, r1.as_deref()), (201, None), "{t1}");
    assert!(lot["qr"]["token"].is_string(), "{t1}");
    let lot = id(&lot);
    let (s2, r2, _, t2) = post_with_key(&c, "/api/v1/lots", "lot-PLY-1", &lot_body);
    assert_eq!((s2, r2.as_deref()), (201, Some("true")));
    assert_eq!(
        serde_json::from_str::<Value>(&t1).unwrap(),
        serde_json::from_str::<Value>(&t2).unwrap(),
        "the replay is the first answer"
    );

    // A shipment retried: shipped once.
    let ship = json!({"lot": lot, "from": mill, "to": maker, "quantity": {"value": 60.0, "unit": "sheet"},
        "shipped_at": "2026-03-02T00:00:00Z"});
    let events = c.events();
    let (s, _, first, _) = post_with_key(&c, "/api/v1/shipments", "ship-1", &ship);
    assert_eq!(s, 201);
    for _ in 0..3 {
        let (s, replayed, again, _) = post_with_key(&c, "/api/v1/shipments", "ship-1", &ship);
        assert_eq!((s, replayed.as_deref()), (201, Some("true")));
        assert_eq!(again, first);
    }
    assert_eq!(c.events(), events + 1, "one event for four tries");
    let stock = c.get(&format!("/api/v1/parties/{maker}/stock"));
    assert!(stock.ok(200).to_string().contains("60"), "{}", stock.text);
    // The same key for another request: refused, nothing recorded.
    let mut other = ship.clone();
    other["quantity"]["value"] = json!(10.0);
    let (s, _, problem, _) = post_with_key(&c, "/api/v1/shipments", "ship-1", &other);
    assert_eq!(s, 422, "{problem}");
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("Idempotency-Key"));
    assert_eq!(c.events(), events + 1);
    // A write answering 200 is replayed with 200.
    let declare = json!({"status": "suspect", "reason": "抽检不合格 failed a sampling test"});
    let path = format!("/api/v1/parties/{mill}/compliance");
    let (s, replayed, declared, text) = post_with_key(&c, &path, "declare-1", &declare);
    assert_eq!((s, replayed.as_deref()), (200, None), "{text}");
    let (s, replayed, again, text) = post_with_key(&c, &path, "declare-1", &declare);
    assert_eq!((s, replayed.as_deref()), (200, Some("true")), "{text}");
    assert_eq!(again, declared);
    assert_eq!(c.events(), events + 2);
    // A 200 answer naming a record (a case's note) is replayed as it was sent: without the
    // creating event's seq, which only a created resource (201) carries.
    let bureau = c.party(
        "徐州市市场监督管理局",
        "regulator",
        "11320300MB1234567",
        "徐州",
    );
    let case = c.post(
        "/api/v1/cases",
        &json!({"title": "线索", "opened_by": bureau, "subjects": [mill], "kind": "clue"}),
    );
    let case = id(case.ok(201));
    let path = format!("/api/v1/cases/{case}/notes");
    let note = json!({"status": "investigating", "note": "立案调查"});
    let (s, replayed, noted, sent) = post_with_key(&c, &path, "note-1", &note);
    assert_eq!((s, replayed.as_deref()), (200, None), "{sent}");
    assert_eq!(noted["id"], case.as_str(), "{sent}");
    assert!(noted.get("seq").is_none(), "{sent}");
    let (s, replayed, _, sent_again) = post_with_key(&c, &path, "note-1", &note);
    assert_eq!(
        (s, replayed.as_deref()),
        (200, Some("true")),
        "{sent_again}"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&sent_again).unwrap(),
        noted,
        "the replay is the first answer"
    );
    assert_eq!(c.events(), events + 5, "and the bureau, the case, one note");
    // Keys are per caller: the mill's own key with the same Idempotency-Key is a new write.
    let kmill = c.post(&format!("/api/v1/parties/{mill}/keys"), &json!({}));
    let mill_client = c.with_token(kmill.ok(201)["token"].as_str());
    let mut ship30 = ship.clone();
    ship30["quantity"]["value"] = json!(30.0);
    let (s, replayed, _, text) =
        post_with_key(&mill_client, "/api/v1/shipments", "ship-1", &ship30);
    assert_eq!((s, replayed.as_deref()), (201, None), "{text}");
    // A refused write is not recorded as an answer: the retry is judged again.
    let too_much = json!({"lot": lot, "from": mill, "to": maker, "quantity": {"value": 500.0, "unit": "sheet"},
        "shipped_at": "2026-03-02T00:00:00Z"});
    assert_eq!(
        post_with_key(&c, "/api/v1/shipments", "ship-big", &too_much).0,
        422
    );
    assert_eq!(
        post_with_key(&c, "/api/v1/shipments", "ship-big", &too_much).1,
        None
    );
    // Malformed keys.
    assert_eq!(
        post_with_key(&c, "/api/v1/shipments", &"k".repeat(300), &ship).0,
        400
    );
    assert_eq!(post_with_key(&c, "/api/v1/shipments", "\"\"", &ship).0, 400);
    // A new API key's token is shown once, even to a retry.
    let (s, _, issued, _) = post_with_key(
        &c,
        &format!("/api/v1/parties/{maker}/keys"),
        "key-1",
        &json!({}),
    );
    assert_eq!(s, 201);
    assert!(issued["token"].is_string());
    let (s, _, again, text) = post_with_key(
        &c,
        &format!("/api/v1/parties/{maker}/keys"),
        "key-1",
        &json!({}),
    );
    assert_eq!(s, 409, "{text}");
    assert!(!text.contains(issued["token"].as_str().unwrap()));
    assert!(again["detail"].as_str().unwrap().contains("only once"));

    // Concurrent tries of one write: one event.
    let events = c.events();
    let body = json!({"producer": mill, "lot_code": "PLY-2", "material": "plywood", "formaldehyde_class": "E0",
        "quantity": {"value": 5.0, "unit": "sheet"}, "produced_at": "2026-03-01T00:00:00Z"});
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..6)
            .map(|_| {
                s.spawn(|| {
                    let (st, _, v, _) = post_with_key(&c, "/api/v1/lots", "lot-PLY-2", &body);
                    (st, v)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        answers.iter().all(|(s, v)| *s == 201 && *v == answers[0].1),
        "{answers:?}"
    );
    assert_eq!(c.events(), events + 1);

    // After kill -9 and a restart the first answer is still what a retry gets.
    p.child.kill().unwrap();
    p.child.wait().unwrap();
    let mut p = common::spawn_binary(&data, TOKEN, None);
    let c = Client::new(&p.base, Some(TOKEN));
    let events = c.events();
    let (s, replayed, again, _) = post_with_key(&c, "/api/v1/shipments", "ship-1", &ship);
    assert_eq!((s, replayed.as_deref()), (201, Some("true")));
    assert_eq!(again, first);
    assert_eq!(c.events(), events);
    p.child.kill().unwrap();
    p.child.wait().unwrap();
    common::assert_verifies(&data);
    let _ = uscc;
}
