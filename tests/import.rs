//! `boardtrail import`: newline-delimited commands validated like API calls, recorded as
//! events; an invalid line stops the import, the lines before it stay recorded and durable.

mod common;

use common::{uscc, Client, BIN};
use serde_json::json;
use std::process::Command;

#[test]
fn import_records_events_and_stops_at_the_first_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("world.ndjson");
    let lines = [
        json!({"op": "party", "body": {"name": "mill", "role": "supplier", "uscc": uscc("91371300MA3C1A0X1"), "city": "临沂"}}),
        json!({"op": "party", "body": {"name": "maker", "role": "manufacturer", "uscc": uscc("91321300MA1M3C0P3"), "city": "宿迁"}}),
        json!({"op": "lot", "body": {"producer": "@1", "lot_code": "L1", "material": "plywood", "formaldehyde_class": "E0",
            "quantity": {"value": 100.0, "unit": "sheet"}, "produced_at": "2026-03-02T08:00:00Z"}}),
        json!({"op": "shipment", "body": {"lot": "@3", "from": "@1", "to": "@2",
            "quantity": {"value": 40.0, "unit": "sheet"}, "shipped_at": "2026-03-03T08:00:00Z"}}),
        json!({"op": "batch", "body": {"manufacturer": "@2", "batch_code": "B1", "product": {"name": "desk", "model": "D"},
            "quantity": 2, "serials": true, "inputs": [{"lot": "@3", "quantity": {"value": 10.0, "unit": "sheet"}}],
            "produced_at": "2026-03-04T08:00:00Z"}}),
    ];
    let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    text.push('\n'); // blank lines are skipped
                     // Line 7 over-consumes (30 left of 40 received): the import stops there.
    text.push_str(&format!("{}\n", json!({"op": "batch", "body": {"manufacturer": "@2", "batch_code": "B2",
        "product": {"name": "desk", "model": "D"}, "quantity": 1, "inputs": [{"lot": "@3", "quantity": {"value": 31.0, "unit": "sheet"}}],
        "produced_at": "2026-03-04T08:00:00Z"}})));
    text.push_str(&format!("{}\n", lines[0]));
    std::fs::write(&file, text).unwrap();

    let out = Command::new(BIN)
        .arg("import")
        .arg("--data-dir")
        .arg(&data)
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 7") && err.contains("30"), "{err}");
    assert!(err.contains("5 events before it were recorded"), "{err}");

    common::assert_verifies(&data);
    // The import ended by letting sled record its page table (a file of sled's own), and
    // left the data dir owner-only all the same.
    assert_owner_only(&data);

    // The recorded world serves traces after a restart.
    let token = "import-test-operator-token-01";
    let mut p = common::spawn_binary(&data, token, None);
    let c = Client::new(&p.base, Some(token));
    // Ids are opaque: find the parties in the directory and the unit through the batch.
    let parties = c.get("/api/v1/parties");
    let by_name = |name: &str| -> String {
        parties.body["parties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["id"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no party {name}"))
    };
    let (mill, maker) = (by_name("mill"), by_name("maker"));
    let down = c.get(&format!("/api/v1/trace/downstream/{maker}?items=batches"));
    let batch = down.ok(200)["page"]["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let units = c.get(&format!("/api/v1/batches/{batch}"));
    let unit = units.ok(200)["units"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let up = c.get(&format!("/api/v1/trace/upstream/{unit}"));
    assert_eq!(up.ok(200)["suppliers"][0]["id"], mill.as_str());
    assert_eq!(c.events(), 5);
    p.child.kill().unwrap();
    p.child.wait().unwrap();

    // A good file imports completely.
    let good = dir.path().join("more.ndjson");
    std::fs::write(&good, format!("{}\n", json!({"op": "lot", "body": {"producer": mill, "lot_code": "L2",
        "material": "mdf", "formaldehyde_class": "E1", "quantity": {"value": 5.0, "unit": "m3"}, "produced_at": "2026-03-02T08:00:00Z"}}))).unwrap();
    let out = Command::new(BIN)
        .arg("import")
        .arg("--data-dir")
        .arg(&data)
        .arg(&good)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 events"));

    // A reference to a line that created nothing (or a later line) stops the import.
    let bad = dir.path().join("bad-ref.ndjson");
    std::fs::write(&bad, format!("{}\n", json!({"op": "lot", "body": {"producer": "@2", "lot_code": "L3",
        "material": "mdf", "formaldehyde_class": "E1", "quantity": {"value": 5.0, "unit": "m3"}, "produced_at": "2026-03-02T08:00:00Z"}}))).unwrap();
    let out = Command::new(BIN)
        .arg("import")
        .arg("--data-dir")
        .arg(&data)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 1") && err.contains("@2"), "{err}");
}

/// Every file under `dir` is 0600 and every directory 0700.
fn assert_owner_only(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::metadata(&path).unwrap();
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(
            meta.permissions().mode() & 0o777,
            want,
            "{}",
            path.display()
        );
        if meta.is_dir() {
            assert_owner_only(&path);
        }
    }
}
