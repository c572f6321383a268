//! A small synchronous W3C WebDriver client for the browser tests: starts Debian's
//! `chromedriver`, opens headless Chromium sessions with a fresh profile, and offers the
//! few commands the tests need (navigate, find, click, type, read, run a script, take a
//! screenshot, read the console). Plain JSON over HTTP with `ureq`, no async runtime.
//!
//! Missing Chromium or chromedriver is a test failure with the install command, never a skip.

#![allow(dead_code)]

use base64::Engine as _;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long waits for the page last before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

fn which(names: &[&str], fallbacks: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for n in names {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    fallbacks.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// The Chromium binary (`BOARDTRAIL_CHROMIUM` overrides).
pub fn chromium_path() -> PathBuf {
    if let Some(p) = std::env::var_os("BOARDTRAIL_CHROMIUM") {
        return PathBuf::from(p);
    }
    which(
        &["chromium", "chromium-browser"],
        &["/usr/bin/chromium", "/usr/lib/chromium/chromium"],
    )
    .unwrap_or_else(|| {
        panic!(
            "Chromium is not installed; the browser tests need it: \
             apt-get install chromium chromium-driver (scripts/test.sh does this)"
        )
    })
}

/// A running chromedriver, killed on drop.
pub struct Chromedriver {
    child: Child,
    pub url: String,
}

impl Chromedriver {
    pub fn start() -> Chromedriver {
        let exe = std::env::var_os("BOARDTRAIL_CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| which(&["chromedriver"], &["/usr/bin/chromedriver"]))
            .unwrap_or_else(|| {
                panic!(
                    "chromedriver is not installed; the browser tests need it: \
                     apt-get install chromium chromium-driver (scripts/test.sh does this)"
                )
            });
        // Port 0 lets chromedriver pick; it prints the port it listens on.
        let mut child = Command::new(&exe)
            .args(["--port=0", "--log-level=SEVERE"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        let stdout = child.stdout.take().expect("chromedriver stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // "ChromeDriver was started successfully on port 41233."
                if !sent && line.contains("started successfully") {
                    if let Some(p) = line
                        .split("on port ")
                        .nth(1)
                        .map(|s| s.trim_end_matches('.').trim().to_string())
                    {
                        let _ = tx.send(p);
                        sent = true;
                    }
                }
            }
        });
        let port = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(p) => p,
            Err(_) => {
                let _ = child.kill();
                panic!("chromedriver did not say which port it listens on");
            }
        };
        let url = format!("http://127.0.0.1:{port}");
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(5))
            .build();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = agent.get(&format!("{url}/status")).call() {
                if r.into_json::<Value>()
                    .ok()
                    .is_some_and(|v| v["value"]["ready"] == true)
                {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not get ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        Chromedriver { child, url }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a browser window looks like.
#[derive(Debug, Clone, Copy)]
pub enum Screen {
    /// A phone: 390 CSS pixels wide, touch, mobile user agent.
    Phone,
    /// A desktop window 1280 pixels wide.
    Desktop,
}

impl Screen {
    pub fn width(self) -> u32 {
        match self {
            Screen::Phone => 390,
            Screen::Desktop => 1280,
        }
    }
}

/// One browser session (one Chromium with its own fresh profile). Closed on drop.
pub struct Browser {
    wd: String,
    session: String,
    agent: ureq::Agent,
    _profile: tempfile::TempDir,
    downloads: PathBuf,
    /// Where failure screenshots go.
    pub name: String,
}

/// A WebDriver element reference.
#[derive(Debug, Clone)]
pub struct El(String);

#[derive(Debug)]
pub struct WdError {
    pub error: String,
    pub message: String,
}

impl Browser {
    pub fn open(driver: &Chromedriver, screen: Screen, name: &str) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--lang=zh-CN".into(),
            "--hide-scrollbars".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let downloads = profile.path().join("downloads");
        std::fs::create_dir_all(&downloads).expect("downloads dir");
        let mut options = json!({
            "binary": chromium_path().to_string_lossy(),
            "prefs": {
                "intl.accept_languages": "zh-CN,zh",
                "download.default_directory": downloads.to_string_lossy(),
                "download.prompt_for_download": false,
            },
        });
        match screen {
            Screen::Desktop => {
                args.push("--window-size=1280,900".into());
                args.push("--force-device-scale-factor=1".into());
            }
            Screen::Phone => {
                options["mobileEmulation"] = json!({
                    "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2, "touch": true},
                    "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
                                  (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
                });
            }
        }
        options["args"] = json!(args);
        let caps = json!({
            "capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": options,
                "goog:loggingPrefs": {"browser": "ALL"},
                "timeouts": {"pageLoad": 60000, "script": 30000, "implicit": 0},
                "unhandledPromptBehavior": "accept",
            }}
        });
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(90))
            .build();
        let resp = match agent
            .post(&format!("{}/session", driver.url))
            .send_json(caps)
        {
            Ok(r) => r.into_json::<Value>().expect("session json"),
            Err(ureq::Error::Status(_, r)) => {
                panic!(
                    "cannot open a Chromium session: {}",
                    r.into_string().unwrap_or_default()
                )
            }
            Err(e) => panic!("cannot reach chromedriver: {e}"),
        };
        let session = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {resp}"))
            .to_string();
        let b = Browser {
            wd: format!("{}/session/{session}", driver.url),
            session,
            agent,
            _profile: profile,
            downloads,
            name: name.to_string(),
        };
        // Headless Chromium saves downloads only when told where.
        let _ = b.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Browser.setDownloadBehavior", "params": {
                "behavior": "allow", "downloadPath": b.downloads.to_string_lossy(), "eventsEnabled": false,
            }})),
        );
        b
    }

    /// Waits for a finished download whose name ends with `suffix`; returns its bytes.
    #[track_caller]
    pub fn downloaded(&self, suffix: &str) -> Vec<u8> {
        self.wait_for(&format!("a download ending in {suffix}"), |b| {
            let entries = std::fs::read_dir(&b.downloads).ok()?;
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if name.ends_with(suffix) {
                    let bytes = std::fs::read(e.path()).ok()?;
                    if !bytes.is_empty() {
                        return Some(bytes);
                    }
                }
            }
            None
        })
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, WdError> {
        let url = format!("{}{path}", self.wd);
        let req = self.agent.request(method, &url);
        let res = match body {
            Some(b) => req.send_json(b),
            None if method == "POST" => req.send_json(json!({})),
            None => req.call(),
        };
        let v: Value = match res {
            Ok(r) => r.into_json().unwrap_or(Value::Null),
            Err(ureq::Error::Status(_, r)) => {
                let v: Value = r.into_json().unwrap_or(Value::Null);
                return Err(WdError {
                    error: v["value"]["error"].as_str().unwrap_or("").to_string(),
                    message: v["value"]["message"].as_str().unwrap_or("").to_string(),
                });
            }
            Err(e) => {
                return Err(WdError {
                    error: "transport".into(),
                    message: e.to_string(),
                })
            }
        };
        Ok(v["value"].clone())
    }

    #[track_caller]
    fn must(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        match self.cmd(method, path, body) {
            Ok(v) => v,
            Err(e) => self.fail(&format!(
                "WebDriver {method} {path}: {} {}",
                e.error, e.message
            )),
        }
    }

    /// Fails the test with the page's address, its visible text and console errors, and
    /// keeps a screenshot of the moment under target/tmp.
    #[track_caller]
    pub fn fail(&self, why: &str) -> ! {
        let url = self
            .cmd("GET", "/url", None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let text = self
            .cmd(
                "POST",
                "/execute/sync",
                Some(json!({"script": "return document.body ? document.body.innerText : ''", "args": []})),
            )
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let shot = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("browser-failure-{}.png", self.name));
        if let Ok(png) = self.try_screenshot() {
            let _ = std::fs::write(&shot, png);
        }
        let logs = self.console();
        panic!(
            "{why}\n  page: {url}\n  screenshot: {}\n  console: {logs:#?}\n  text:\n{}",
            shot.display(),
            text.chars().take(3000).collect::<String>()
        );
    }

    pub fn goto(&self, url: &str) {
        self.must("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.must("GET", "/url", None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn refresh(&self) {
        self.must("POST", "/refresh", None);
    }

    /// The first element matching `css`, if any (no waiting).
    pub fn find(&self, css: &str) -> Option<El> {
        self.cmd(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        )
        .ok()
        .and_then(|v| v[ELEMENT_KEY].as_str().map(|s| El(s.to_string())))
    }

    pub fn find_all(&self, css: &str) -> Vec<El> {
        self.cmd(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v[ELEMENT_KEY].as_str().map(|s| El(s.to_string())))
        .collect()
    }

    /// Polls `f` until it gives Some, or fails the test after [`WAIT`].
    #[track_caller]
    pub fn wait_for<T>(&self, what: &str, mut f: impl FnMut(&Browser) -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(v) = f(self) {
                return v;
            }
            if Instant::now() > deadline {
                self.fail(&format!("timed out waiting for {what}"));
            }
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Waits for a displayed element matching `css`.
    #[track_caller]
    pub fn wait(&self, css: &str) -> El {
        self.wait_for(&format!("element {css}"), |b| {
            b.find_all(css).into_iter().find(|e| b.displayed(e))
        })
    }

    /// Waits until an element matching `css` has text containing `needle`.
    #[track_caller]
    pub fn wait_text(&self, css: &str, needle: &str) -> El {
        self.wait_for(&format!("'{needle}' in {css}"), |b| {
            b.find_all(css)
                .into_iter()
                .find(|e| b.text_of(e).contains(needle))
        })
    }

    pub fn displayed(&self, e: &El) -> bool {
        self.cmd("GET", &format!("/element/{}/displayed", e.0), None)
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    pub fn text_of(&self, e: &El) -> String {
        self.cmd("GET", &format!("/element/{}/text", e.0), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    #[track_caller]
    pub fn text(&self, css: &str) -> String {
        let e = self.wait(css);
        self.text_of(&e)
    }

    pub fn attr(&self, e: &El, name: &str) -> Option<String> {
        self.cmd("GET", &format!("/element/{}/attribute/{name}", e.0), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
    }

    pub fn prop(&self, e: &El, name: &str) -> Value {
        self.cmd("GET", &format!("/element/{}/property/{name}", e.0), None)
            .unwrap_or(Value::Null)
    }

    #[track_caller]
    pub fn click_el(&self, e: &El) {
        // Scroll it into the middle first so sticky bars never cover it.
        let _ = self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": "arguments[0].scrollIntoView({block: 'center'})", "args": [self.el_json(e)]})),
        );
        self.must("POST", &format!("/element/{}/click", e.0), None);
    }

    #[track_caller]
    pub fn click(&self, css: &str) {
        let e = self.wait(css);
        self.click_el(&e);
    }

    /// Clears a field and types into it.
    #[track_caller]
    pub fn fill(&self, css: &str, text: &str) {
        let e = self.wait(css);
        self.must("POST", &format!("/element/{}/clear", e.0), None);
        self.must(
            "POST",
            &format!("/element/{}/value", e.0),
            Some(json!({ "text": text })),
        );
    }

    /// Picks the option of a `<select>` whose value is `value`, as a person would (click).
    #[track_caller]
    pub fn select(&self, css: &str, value: &str) {
        let sel = self.wait(css);
        let opt = self
            .find_all(&format!("{css} option"))
            .into_iter()
            .find(|o| self.prop(o, "value").as_str() == Some(value))
            .unwrap_or_else(|| self.fail(&format!("no option {value} in {css}")));
        self.click_el(&sel);
        self.click_el(&opt);
    }

    pub fn el_json(&self, e: &El) -> Value {
        json!({ ELEMENT_KEY: e.0 })
    }

    /// Runs a script in the page and returns what it returns.
    #[track_caller]
    pub fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.must(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// Runs an async script (`arguments[arguments.length - 1]` is the callback).
    #[track_caller]
    pub fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.must(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": args})),
        )
    }

    pub fn set_session_storage(&self, key: &str, value: &str) {
        self.js(
            "sessionStorage.setItem(arguments[0], arguments[1])",
            vec![json!(key), json!(value)],
        );
    }

    pub fn window_handle(&self) -> String {
        self.must("GET", "/window", None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn window_handles(&self) -> Vec<String> {
        self.cmd("GET", "/window/handles", None)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    #[track_caller]
    pub fn switch_to_window(&self, handle: &str) {
        self.must("POST", "/window", Some(json!({ "handle": handle })));
    }

    #[track_caller]
    pub fn close_window(&self) {
        self.must("DELETE", "/window", None);
    }

    /// A Chrome DevTools command through chromedriver.
    #[track_caller]
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.must(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": cmd, "params": params})),
        )
    }

    fn try_screenshot(&self) -> Result<Vec<u8>, WdError> {
        let v = self.cmd("GET", "/screenshot", None)?;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or(""))
            .map_err(|e| WdError {
                error: "base64".into(),
                message: e.to_string(),
            })
    }

    /// A PNG of the whole page (up to `max_height` CSS pixels tall).
    #[track_caller]
    pub fn screenshot_full(&self, max_height: u32) -> Vec<u8> {
        let m = self.cdp("Page.getLayoutMetrics", json!({}));
        let size = &m["cssContentSize"];
        let w = size["width"].as_f64().unwrap_or(1280.0).ceil();
        let h = size["height"]
            .as_f64()
            .unwrap_or(900.0)
            .ceil()
            .min(max_height as f64);
        let v = self.cdp(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": {"x": 0, "y": 0, "width": w, "height": h, "scale": 1},
            }),
        );
        base64::engine::general_purpose::STANDARD
            .decode(v["data"].as_str().unwrap_or(""))
            .expect("screenshot base64")
    }

    /// Console messages at level SEVERE (script errors, CSP violations, failed loads).
    pub fn console(&self) -> Vec<String> {
        let v = self
            .cmd("POST", "/se/log", Some(json!({"type": "browser"})))
            .unwrap_or(Value::Null);
        v.as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// Fails if the page logged a script error or a CSP violation. Failed requests (the
    /// 4xx answers the tests provoke on purpose) are not errors of the page.
    #[track_caller]
    pub fn assert_no_script_errors(&self) {
        let bad: Vec<String> = self
            .console()
            .into_iter()
            .filter(|m| !m.contains("Failed to load resource"))
            .collect();
        if !bad.is_empty() {
            self.fail(&format!("the page logged errors: {bad:#?}"));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.cmd("DELETE", "", None);
        let _ = &self.session;
    }
}
