//! The world the browser tests run in: the real service in-process on a free port, loaded
//! with the demo world (`boardtrail::demo`), optionally thousands of extra listings (bulk
//! import, one flush), then the story the tests need, recorded through the HTTP API: a
//! failed inspection, a non-compliant mill, a listing to act on, keys for the parties.

#![allow(dead_code)]

use crate::common::{Client, TOKEN};
use boardtrail::app::Caller;
use boardtrail::demo::DemoIds;
use boardtrail::server::{self, Config};
use serde_json::{json, Value};
use std::sync::mpsc;
use std::time::Duration;

pub struct World {
    pub base: String,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
    pub op: Client,
    pub ids: DemoIds,
    pub xuzhou: String,
    pub linyi: String,
    pub hangzhou: String,
    pub lab: String,
    /// Names by party id.
    pub names: std::collections::HashMap<String, String>,
}

/// Bulk listings: `n` listings of the desk batch (boards of mill B only) spread over the
/// three platforms, as import commands.
fn bulk_listings(ids: &DemoIds, n: usize) -> String {
    let platforms = [&ids.jd, &ids.taobao, &ids.pinduoduo];
    let mut out = String::with_capacity(n * 300);
    for i in 0..n {
        let p = platforms[i % 3];
        let line = json!({"op": "listing", "body": {
            "platform": p,
            "seller": ids.suqian_maker,
            "shop": format!("木森家具分销店 {:03}", i % 97),
            "item_id": format!("BULK-{i:06}"),
            "url": format!("https://shop.example/item/{i}"),
            "title": format!("电脑桌 MS-ZZ-100 分销款 {i:05}"),
            "batches": [ids.desk_batch],
        }});
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

impl World {
    /// Starts the service with the demo world and `bulk` extra listings, then records the
    /// test story through the API.
    pub fn start(bulk: usize) -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cfg = Config::new(dir.path());
        cfg.bind = "127.0.0.1:0".into();
        cfg.admin_token = Some(TOKEN.into());
        cfg.workers = 2;
        cfg.cache_mb = 16;
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let store = server::open_store(&cfg).expect("open store");
                let running = server::start(&cfg, store).expect("start");
                let ids = boardtrail::demo::load(&running.app)
                    .expect("demo world")
                    .expect("a fresh store loads the demo");
                if bulk > 0 {
                    let text = bulk_listings(&ids, bulk);
                    running
                        .app
                        .import(&Caller::operator(), text.as_bytes(), |_, _| {})
                        .expect("bulk listings");
                }
                tx.send((running.addr, running.server.handle(), ids))
                    .expect("send");
                server::run_until_stopped(running).await.expect("server");
            })
        });
        let (addr, handle, ids) = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("server start");
        let base = format!("http://{addr}");
        let op = Client::new(&base, Some(TOKEN));
        let mut w = World {
            base,
            handle,
            thread: Some(thread),
            _dir: dir,
            op,
            ids,
            xuzhou: String::new(),
            linyi: String::new(),
            hangzhou: String::new(),
            lab: String::new(),
            names: Default::default(),
        };
        w.find_parties();
        w
    }

    /// The bureaus and the lab of the demo world, found in the party directory.
    fn find_parties(&mut self) {
        let dir = self.op.get("/api/v1/parties");
        assert_eq!(dir.status, 200, "the party directory");
        for p in dir.body["parties"].as_array().cloned().unwrap_or_default() {
            let (id, name, role) = (
                p["id"].as_str().unwrap_or("").to_string(),
                p["name"].as_str().unwrap_or("").to_string(),
                p["role"].as_str().unwrap_or(""),
            );
            match role {
                "regulator" if name.contains("徐州") => self.xuzhou = id.clone(),
                "regulator" if name.contains("临沂") => self.linyi = id.clone(),
                "regulator" if name.contains("杭州") => self.hangzhou = id.clone(),
                "lab" => self.lab = id.clone(),
                _ => {}
            }
            self.names.insert(id, name);
        }
        assert!(
            !self.xuzhou.is_empty() && !self.lab.is_empty() && !self.linyi.is_empty(),
            "the demo world has the Xuzhou and Linyi bureaus and a lab"
        );
    }

    pub fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.names.get(id).map(String::as_str).unwrap_or(id)
    }

    #[track_caller]
    pub fn post(&self, path: &str, body: Value) -> Value {
        let r = self.op.post(&format!("/api/v1{path}"), &body);
        assert!(
            r.status == 200 || r.status == 201,
            "POST {path}: {} {}",
            r.status,
            r.text
        );
        r.body
    }

    #[track_caller]
    pub fn get(&self, path: &str) -> Value {
        let r = self.op.get(&format!("/api/v1{path}"));
        assert_eq!(r.status, 200, "GET {path}: {}", r.text);
        r.body
    }

    /// A new key for a party.
    pub fn key(&self, party: &str) -> String {
        self.post(&format!("/parties/{party}/keys"), json!({}))["token"]
            .as_str()
            .expect("token")
            .to_string()
    }

    /// An API client acting as a party, with a new key of its own.
    pub fn client_of(&self, party: &str) -> Client {
        let key = self.key(party);
        self.op.with_token(Some(&key))
    }

    /// The story: the Shaji lab fails the bookshelf batch on formaldehyde (which marks its
    /// mills suspect) and the Xuzhou bureau declares mill A non-compliant. Returns the
    /// inspection id.
    pub fn fail_bookshelf_and_declare_mill_a(&self) -> String {
        let ins = self.post(
            "/inspections",
            json!({
                "subject": self.ids.bookshelf_batch,
                "lab": self.lab,
                "sampled_by": self.xuzhou,
                "report_no": "E2E-SJ-2026-0412",
                "sampled_at": "2026-04-12T10:00:00+08:00",
                "results": [
                    {"item": "formaldehyde_emission", "value": 0.31, "unit": "mg/m3"},
                    {"item": "loading_stability", "value": 1, "verdict": "fail"},
                    {"item": "paint_film_resistance", "value": 1, "verdict": "pass"}
                ]
            }),
        );
        assert_eq!(ins["verdict"], "fail", "{ins}");
        self.post(
            &format!("/parties/{}/compliance", self.ids.mill_a),
            json!({
                "status": "noncompliant",
                "reason": "书架抽检甲醛释放量 0.31 mg/m³ 超标（报告 E2E-SJ-2026-0412）"
            }),
        );
        ins["id"].as_str().expect("inspection id").to_string()
    }

    /// A fresh JD listing of the wardrobe (plywood of mill A) for the tests to act on.
    pub fn jd_wardrobe_listing(&self, item: &str) -> String {
        self.post(
            "/listings",
            json!({
                "platform": self.ids.jd,
                "seller": self.ids.suqian_maker,
                "shop": "木森家具京东专卖店",
                "item_id": item,
                "url": format!("https://item.jd.com/{item}.html"),
                "title": format!("木森 两门衣柜 多层板 {item}"),
                "batches": [self.ids.wardrobe_batch],
            }),
        )["id"]
            .as_str()
            .expect("listing id")
            .to_string()
    }

    /// Affected active listings of a supplier: (total, [(platform id, listings)]).
    pub fn affected(&self, supplier: &str) -> (u64, Vec<(String, u64)>) {
        let v = self.get(&format!(
            "/compliance/affected-listings?supplier={supplier}&limit=1"
        ));
        let per = v["by_platform"]
            .as_array()
            .expect("by_platform")
            .iter()
            .map(|p| {
                (
                    p["platform"].as_str().unwrap_or("").to_string(),
                    p["listings"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        (v["total"].as_u64().expect("total"), per)
    }

    /// Waits until the log's signed checkpoint covers every event so far.
    pub fn wait_for_checkpoint(&self) {
        let events = self.op.events();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let cp = self.op.get("/log/checkpoint").text;
            let size: u64 = cp.lines().nth(1).and_then(|l| l.parse().ok()).unwrap_or(0);
            if size >= events {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no checkpoint of {events}: {cp}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// The public scan link of a unit, on this server.
    pub fn scan_path(&self, unit: &str) -> String {
        let v = self.get(&format!("/units/{unit}"));
        let url = v["qr"]["url"]
            .as_str()
            .unwrap_or_else(|| panic!("unit {unit} has no QR link: {v}"));
        // The path only: the test server's public URL is its bound address anyway.
        match url.find("://") {
            Some(i) => {
                let rest = &url[i + 3..];
                rest[rest.find('/').unwrap_or(rest.len())..].to_string()
            }
            None => url.to_string(),
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            let h = self.handle.clone();
            actix_web::rt::System::new().block_on(h.stop(true));
            let _ = t.join();
        }
    }
}
