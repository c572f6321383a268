//! Durability: the real binary is killed with SIGKILL while several clients write; after a
//! restart every acknowledged write is there and `boardtrail verify` passes. Also a
//! graceful SIGTERM stop, and `reindex` rebuilding the projection from the log.

mod common;

use common::{uscc, Client, Proc, BIN};
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "crash-test-operator-token-0001";

fn spawn(dir: &Path) -> Proc {
    common::spawn_binary(dir, TOKEN, None)
}

fn kill9(p: &mut Proc) {
    p.child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    p.child.wait().expect("wait");
}

fn verify(dir: &Path) {
    common::assert_verifies(dir);
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut proc_ = spawn(dir.path());
    let mut c = Client::new(&proc_.base, Some(TOKEN));
    let mill = c
        .post("/api/v1/parties", &json!({"name": "mill", "role": "supplier", "uscc": uscc("91371300MA3C1A0X1"), "city": "临沂"}))
        .ok(201)["id"].as_str().unwrap().to_string();
    let maker = c
        .post("/api/v1/parties", &json!({"name": "maker", "role": "manufacturer", "uscc": uscc("91321300MA1M3C0P3"), "city": "宿迁"}))
        .ok(201)["id"].as_str().unwrap().to_string();
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::new(Mutex::new(Vec::new()));

    for round in 0..3 {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for t in 0..6 {
            let (c, mill, maker, acked, stop) = (
                c.clone(),
                mill.clone(),
                maker.clone(),
                acked.clone(),
                stop.clone(),
            );
            threads.push(std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let code = format!("R{round}-T{t}-{i}");
                    let body = json!({"producer": mill, "lot_code": code, "material": "plywood", "formaldehyde_class": "E0",
                                      "quantity": {"value": 10.0, "unit": "sheet"}, "produced_at": "2026-03-02T08:00:00Z"});
                    let Some(r) = c.try_post("/api/v1/lots", &body) else { break };
                    if r.status != 201 {
                        break;
                    }
                    let lot = r.body["id"].as_str().unwrap().to_string();
                    acked.lock().unwrap().push((lot.clone(), code));
                    // Every third lot is shipped on, so the restart also rebuilds holdings.
                    if i % 3 == 0 {
                        let s = json!({"lot": lot, "from": mill, "to": maker, "quantity": {"value": 4.0, "unit": "sheet"},
                                       "shipped_at": "2026-03-03T08:00:00Z"});
                        match c.try_post("/api/v1/shipments", &s) {
                            Some(r) if r.status == 201 => {}
                            _ => break,
                        }
                    }
                    i += 1;
                }
            }));
        }
        // Let the writers run, then kill the server mid-flight.
        let target = acked.lock().unwrap().len() + 150;
        let deadline = Instant::now() + Duration::from_secs(30);
        while acked.lock().unwrap().len() < target && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        kill9(&mut proc_);
        stop.store(true, Ordering::Relaxed);
        for t in threads {
            t.join().unwrap();
        }
        verify(dir.path());
        proc_ = spawn(dir.path());
        let c2 = Client::new(&proc_.base, Some(TOKEN));
        let list = acked.lock().unwrap().clone();
        // Each round had 150 more writes acknowledged before its kill.
        assert!(
            list.len() >= target,
            "round {round}: {} writes acknowledged, {target} wanted before the kill",
            list.len()
        );
        for (lot, code) in &list {
            let r = c2.get(&format!("/api/v1/lots/{lot}"));
            assert_eq!(
                r.status, 200,
                "round {round}: acknowledged lot {lot} lost after kill -9"
            );
            assert_eq!(r.body["lot_code"], code.as_str());
        }
        // Holdings were rebuilt: the 4-sheet shipments left 6 sheets of each shipped lot.
        let (first_lot, _) = &list[0];
        let r = c2.post(
            "/api/v1/shipments",
            &json!({"lot": first_lot, "from": mill, "to": maker,
            "quantity": {"value": 7.0, "unit": "sheet"}, "shipped_at": "2026-03-03T08:00:00Z"}),
        );
        assert!(r.problem(422).contains("6 sheet"), "{}", r.text);
        assert!(c2.events() >= list.len() as u64 + 2);
        c2.get(&format!("/api/v1/trace/downstream/{mill}")).ok(200);
        eprintln!(
            "round {round}: {} acknowledged writes all present",
            list.len()
        );
        // The next round writes to the restarted process.
        c = c2;
    }
    kill9(&mut proc_);
    verify(dir.path());
}

#[test]
fn sigterm_stops_gracefully_and_reindex_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = spawn(dir.path());
    let c = Client::new(&p.base, Some(TOKEN));
    let mill = c
        .post("/api/v1/parties", &json!({"name": "mill", "role": "supplier", "uscc": uscc("91371300MA3C1A0X1"), "city": "临沂"}))
        .ok(201)["id"].as_str().unwrap().to_string();
    let lot = c
        .post("/api/v1/lots", &json!({"producer": mill, "lot_code": "L-1", "material": "mdf", "formaldehyde_class": "E1",
                                       "quantity": {"value": 5.0, "unit": "m3"}, "produced_at": "2026-03-02T08:00:00Z"}))
        .ok(201)["id"].as_str().unwrap().to_string();
    let before = c
        .get(&format!("/api/v1/trace/downstream/{mill}"))
        .ok(200)
        .clone();
    let status = Command::new("kill")
        .args(["-TERM", &p.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = p.child.wait().unwrap();
    assert!(exit.success(), "graceful stop should exit 0, got {exit:?}");
    verify(dir.path());

    let out = Command::new(BIN)
        .arg("reindex")
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("replayed 2 events"));
    verify(dir.path());

    let mut p = spawn(dir.path());
    let c = Client::new(&p.base, Some(TOKEN));
    assert_eq!(
        c.get(&format!("/api/v1/lots/{lot}")).ok(200)["lot_code"],
        "L-1"
    );
    assert_eq!(
        c.get(&format!("/api/v1/trace/downstream/{mill}")).ok(200),
        &before
    );
    kill9(&mut p);
}
