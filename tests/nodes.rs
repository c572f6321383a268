//! Several boardtrail nodes on one PostgreSQL log (the real binary, a throwaway cluster):
//! a write on one node is seen on the other, conflicting writes from both nodes at once
//! resolve to exactly one, `kill -9` of a node loses nothing it acknowledged, a node
//! started later catches up to the same head, a PostgreSQL restart is survived, and
//! `migrate` copies a log between the backends and back.

mod common;
#[path = "../examples/support/pg.rs"]
mod pg;
// `pg` names the generator's row types.
#[path = "../examples/support/synth.rs"]
mod synth;

use common::{id, spawn_binary_with, uscc, Client, Proc, BIN, TOKEN};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// A cluster and one fresh database in it.
struct Db {
    cluster: pg::Cluster,
    url: String,
}

fn database(name: &str) -> Db {
    let cluster = pg::Cluster::start(&pg::Settings::small(), false).expect("PostgreSQL cluster");
    let mut c = cluster.connect().expect("connect");
    c.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create database");
    let url = format!("postgres://postgres@127.0.0.1:{}/{name}", cluster.port);
    Db { cluster, url }
}

/// A node on `url` with its own data dir, holding the secrets of `secrets_from` (every
/// node of one database shares them).
fn node(dir: &Path, url: &str, secrets_from: Option<&Path>, log: &Path) -> Proc {
    if let Some(src) = secrets_from {
        for f in ["token.key", "qr.key", "log.key"] {
            std::fs::copy(src.join(f), dir.join(f)).expect("copy secret");
        }
    }
    spawn_binary_with(dir, TOKEN, Some(log), &["--database-url", url])
}

fn client(p: &Proc) -> Client {
    Client::new(&p.base, Some(TOKEN))
}

fn health(c: &Client) -> Value {
    c.get("/healthz").ok(200).clone()
}

/// Waits until `f` holds (the follower takes other nodes' events in within milliseconds).
#[track_caller]
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

struct Supply {
    mill: String,
    maker: String,
    lot: String,
}

fn supply(c: &Client, tag: &str, sheets: f64) -> Supply {
    let mill = c.party(
        &format!("{tag} mill"),
        "supplier",
        &format!("91371300{tag:0>2}MA3C5X1"),
        "临沂",
    );
    let maker = c.party(
        &format!("{tag} maker"),
        "manufacturer",
        &format!("91321300{tag:0>2}MA1M9C0"),
        "宿迁",
    );
    let lot = id(c
        .post(
            "/api/v1/lots",
            &json!({"producer": mill, "lot_code": format!("{tag}-PLY"), "material": "plywood",
                "formaldehyde_class": "E0", "quantity": {"value": sheets, "unit": "sheet"},
                "produced_at": "2026-03-01T08:00:00.000Z"}),
        )
        .ok(201));
    Supply { mill, maker, lot }
}

fn ship(c: &Client, s: &Supply, sheets: f64) -> common::Resp {
    c.post(
        "/api/v1/shipments",
        &json!({"lot": s.lot, "from": s.mill, "to": s.maker,
            "quantity": {"value": sheets, "unit": "sheet"}, "shipped_at": "2026-03-02T08:00:00.000Z"}),
    )
}

#[test]
fn two_nodes_share_one_log() {
    let db = database("nodes_share");
    let (da, db_dir, dc) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let a = node(da.path(), &db.url, None, &da.path().join("log"));
    let b = node(
        db_dir.path(),
        &db.url,
        Some(da.path()),
        &db_dir.path().join("log"),
    );
    let (ca, cb) = (client(&a), client(&b));

    // A write on A, read on B: with Boardtrail-Min-Seq at once, and without it shortly.
    let s = supply(&ca, "1", 100.0);
    let seq: u64 = ca
        .get("/healthz")
        .header("boardtrail-seq")
        .unwrap()
        .parse()
        .unwrap();
    let view = cb
        .with_header("Boardtrail-Min-Seq", &seq.to_string())
        .get(&format!("/api/v1/trace/upstream/{}", s.lot));
    assert_eq!(view.status, 200, "{:?}", view.body);
    assert!(view.body.to_string().contains("1-PLY"));
    let s2 = supply(&cb, "2", 50.0);
    eventually("B's lot on A", || {
        ca.get(&format!("/api/v1/lots/{}", s2.lot)).status == 200
    });
    // A node that cannot reach an event it is asked for says so.
    let far = cb
        .with_header("Boardtrail-Min-Seq", "999999")
        .get("/healthz");
    assert_eq!(far.status, 503, "{:?}", far.body);
    let bad = cb.with_header("Boardtrail-Min-Seq", "soon").get("/healthz");
    assert_eq!(bad.status, 400);

    // Conflicting commands from both nodes at once: the last 100 sheets of one lot shipped
    // from A and from B, many times over. Exactly one of each pair succeeds.
    for round in 0..8 {
        let s = supply(&ca, &format!("3{round}"), 100.0);
        eventually("the lot on B", || {
            cb.get(&format!("/api/v1/lots/{}", s.lot)).status == 200
        });
        let (ra, rb) = std::thread::scope(|t| {
            let ha = t.spawn(|| ship(&ca, &s, 100.0));
            let hb = t.spawn(|| ship(&cb, &s, 100.0));
            (ha.join().unwrap(), hb.join().unwrap())
        });
        let mut got = [ra.status, rb.status];
        got.sort();
        assert_eq!(
            got,
            [201, 422],
            "round {round}: one shipment, one refusal: {} / {}",
            ra.text,
            rb.text
        );
        for c in [&ca, &cb] {
            let stock = c
                .with_header("Boardtrail-Min-Seq", &health(&ca)["events"].to_string())
                .get(&format!("/api/v1/parties/{}/stock", s.mill));
            let lots = stock.ok(200)["lots"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let held = lots
                .iter()
                .find(|l| l["lot"] == json!(s.lot))
                .map(|l| l["available"].as_f64().expect("available"));
            assert_eq!(held.unwrap_or(0.0), 0.0, "mass balance on both nodes");
        }
    }

    // Both nodes writing at once, unrelated commands: every acknowledged write is there.
    let made: Vec<String> = std::thread::scope(|t| {
        let hs: Vec<_> = [(&ca, "A"), (&cb, "B")]
            .into_iter()
            .map(|(c, who)| {
                t.spawn(move || {
                    (0..15)
                        .map(|i| {
                            let d = if who == "A" { 1 } else { 2 };
                            c.party(
                                &format!("{who} party {i}"),
                                "platform",
                                &format!("91330100MA{d}{i:02}C0TX"),
                                "杭州",
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(made.len(), 30);
    // Either node may have written last: both catch up to the same head.
    eventually("the same head on both", || {
        let (ha, hb) = (health(&ca), health(&cb));
        ha["events"] == hb["events"] && ha["head_hash"] == hb["head_hash"]
    });

    // A third node started later catches up to the same head hash.
    let c = node(dc.path(), &db.url, Some(da.path()), &dc.path().join("log"));
    let cc = client(&c);
    assert_eq!(health(&cc)["head_hash"], health(&ca)["head_hash"]);
    for p in &made {
        assert_eq!(cc.get(&format!("/api/v1/parties/{p}")).status, 200);
    }
    // Verify works on the database.
    let out = std::process::Command::new(BIN)
        .args(["verify", "--database-url", &db.url, "--data-dir"])
        .arg(da.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("verify: ok"), "{text}");
    drop(db.cluster);
}

#[test]
fn kill_nine_of_a_node_loses_nothing_it_acknowledged() {
    let db = database("nodes_kill");
    let (da, dbd) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = node(da.path(), &db.url, None, &da.path().join("log"));
    let b = node(
        dbd.path(),
        &db.url,
        Some(da.path()),
        &dbd.path().join("log"),
    );
    let ca = client(&a);
    let acked = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|t| {
        for w in 0..4 {
            let (ca, acked) = (&ca, &acked);
            t.spawn(move || {
                for i in 0..400 {
                    let r = ca.try_post(
                        "/api/v1/parties",
                        &json!({"name": format!("k{w}-{i}"), "role": "platform",
                            "uscc": uscc(&format!("91330100MA{w}{i:04}XY")), "city": "杭州"}),
                    );
                    match r {
                        Some(r) if r.status == 201 => acked.lock().unwrap().push(id(&r.body)),
                        _ => return,
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(700));
        a.child.kill().unwrap();
        a.child.wait().unwrap();
    });
    let acked = acked.into_inner().unwrap();
    assert!(
        !acked.is_empty(),
        "some writes were acknowledged before the kill"
    );
    let cb = client(&b);
    let n = health(&cb)["events"].as_u64().unwrap();
    for p in &acked {
        let r = cb
            .with_header("Boardtrail-Min-Seq", &n.to_string())
            .get(&format!("/api/v1/parties/{p}"));
        assert_eq!(r.status, 200, "acknowledged {p} is on the other node");
    }
    // A restarted A takes up where the log is.
    let a2 = node(da.path(), &db.url, None, &da.path().join("log2"));
    let ca2 = client(&a2);
    eventually("the same head", || {
        health(&ca2)["head_hash"] == health(&cb)["head_hash"]
    });
    drop(db.cluster);
}

#[test]
fn a_node_survives_a_database_restart() {
    let mut db = database("nodes_restart");
    let da = tempfile::tempdir().unwrap();
    let a = node(da.path(), &db.url, None, &da.path().join("log"));
    let ca = client(&a);
    let before = ca.party("Before", "platform", "91330100MA2C9F0T1", "杭州");
    db.cluster.stop().expect("stop PostgreSQL");
    // Writes answer 503 while the database is down; reads of what was there go on.
    let r = ca.post(
        "/api/v1/parties",
        &json!({"name": "During", "role": "platform", "uscc": uscc("91330100MA2C9F0T2"), "city": "杭州"}),
    );
    assert_eq!(r.status, 503, "{:?}", r.body);
    assert!(r.header("content-type").unwrap().contains("problem+json"));
    db.cluster.restart().expect("start PostgreSQL again");
    // And resume after: the refused write is not there, a new one is.
    let mut after = None;
    eventually("writes to resume", || {
        let r = ca.post(
            "/api/v1/parties",
            &json!({"name": "After", "role": "platform", "uscc": uscc("91330100MA2C9F0T3"), "city": "杭州"}),
        );
        if r.status == 201 {
            after = Some(id(&r.body));
        }
        r.status == 201
    });
    assert_eq!(ca.get(&format!("/api/v1/parties/{before}")).status, 200);
    let parties = ca.get("/api/v1/parties").ok(200).to_string();
    assert!(
        !parties.contains("During"),
        "a refused write is never visible"
    );
    assert!(parties.contains("After"));
    drop(db.cluster);
}

#[test]
fn migrate_copies_a_log_to_postgres_and_back() {
    let db = database("nodes_migrate");
    let src = tempfile::tempdir().unwrap();
    // A sled store with some history (served, then stopped).
    let mut p = common::spawn_binary(src.path(), TOKEN, None);
    let c = client(&p);
    let s = supply(&c, "7", 100.0);
    assert_eq!(ship(&c, &s, 40.0).status, 201);
    let head = health(&c);
    p.child.kill().unwrap();
    p.child.wait().unwrap();

    let migrate = |from: &str, to: &str| {
        let out = std::process::Command::new(BIN)
            .args(["migrate", "--from", from, "--to", to])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let src_dir = src.path().to_str().unwrap();
    let (code, text) = migrate(src_dir, &db.url);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("the copy verifies"), "{text}");
    // Into a log that is not empty: refused.
    let (code, text) = migrate(src_dir, &db.url);
    assert_ne!(code, Some(0), "{text}");
    assert!(text.contains("empty"), "{text}");

    // A node on the database serves the same records under the same ids.
    let n = node(src.path(), &db.url, None, &src.path().join("pglog"));
    let cn = client(&n);
    assert_eq!(health(&cn)["head_hash"], head["head_hash"]);
    assert_eq!(cn.get(&format!("/api/v1/lots/{}", s.lot)).status, 200);
    drop(n);

    // And back into a new data dir.
    let back = tempfile::tempdir().unwrap();
    let back_dir = back.path().join("data");
    let (code, text) = migrate(&db.url, back_dir.to_str().unwrap());
    assert_eq!(code, Some(0), "{text}");
    for f in ["token.key", "qr.key", "log.key"] {
        std::fs::copy(src.path().join(f), back_dir.join(f)).unwrap();
    }
    common::assert_verifies(&back_dir);
    let p2 = common::spawn_binary(&back_dir, TOKEN, None);
    let c2 = client(&p2);
    assert_eq!(health(&c2)["head_hash"], head["head_hash"]);
    drop(db.cluster);
}
