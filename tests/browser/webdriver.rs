//! A small blocking facade over the `thirtyfour` WebDriver crate for the browser tests:
//! starts Debian's `chromedriver`, opens headless Chromium sessions with a fresh profile,
//! and offers the few commands the tests need (navigate, find, click, type, read, run a
//! script, take a screenshot, read the console). Each `Browser` owns one current-thread
//! Tokio runtime and runs every `thirtyfour` call to completion on it, so the tests stay
//! synchronous.
//!
//! Missing Chromium or chromedriver is a test failure with the install command, never a skip.

#![allow(dead_code)]

use base64::Engine as _;
use serde_json::{json, Value};
use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use thirtyfour::cdp::domains::browser::{DownloadBehavior, SetDownloadBehavior};
use thirtyfour::error::WebDriverResult;
use thirtyfour::prelude::{
    By, CapabilitiesHelper, ChromiumLikeCapabilities, DesiredCapabilities, WebDriver, WebElement,
    WindowHandle,
};
use thirtyfour::LoggingPrefsLogLevel;

/// How long waits for the page last before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

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
                        .and_then(|s| s.trim_end_matches('.').trim().parse::<u16>().ok())
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
                let _ = child.wait();
                panic!("chromedriver did not say which port it listens on");
            }
        };
        // It says so once it listens; wait until the port takes connections all the same.
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromedriver did not get ready on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
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

/// One browser session (one Chromium with its own fresh profile). Quit on drop.
pub struct Browser {
    /// Always `Some` until drop, which takes it to quit the session.
    driver: Option<WebDriver>,
    /// Runs every `thirtyfour` call to completion (a current-thread Tokio runtime).
    rt: actix_web::rt::Runtime,
    downloads: PathBuf,
    _profile: tempfile::TempDir,
    /// Where failure screenshots go.
    pub name: String,
}

/// A WebDriver element reference.
#[derive(Clone)]
pub struct El(WebElement);

impl std::fmt::Debug for El {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "El({})", self.0.element_id())
    }
}

/// The Chromium options the tests run with, as `goog:chromeOptions` and W3C capabilities.
fn capabilities(
    screen: Screen,
    profile: &Path,
    downloads: &Path,
) -> WebDriverResult<thirtyfour::ChromeCapabilities> {
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(&chromium_path().to_string_lossy())?;
    for arg in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--lang=zh-CN",
        "--hide-scrollbars",
    ] {
        caps.add_arg(arg)?;
    }
    caps.add_arg(&format!("--user-data-dir={}", profile.display()))?;
    caps.add_experimental_option(
        "prefs",
        json!({
            "intl.accept_languages": "zh-CN,zh",
            "download.default_directory": downloads.to_string_lossy(),
            "download.prompt_for_download": false,
        }),
    )?;
    match screen {
        Screen::Desktop => {
            caps.add_arg("--window-size=1280,900")?;
            caps.add_arg("--force-device-scale-factor=1")?;
        }
        Screen::Phone => {
            caps.add_experimental_option(
                "mobileEmulation",
                json!({
                    "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2, "touch": true},
                    "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
                                  (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
                }),
            )?;
        }
    }
    caps.set_browser_log_level(LoggingPrefsLogLevel::All)?;
    caps.set(
        "timeouts",
        json!({"pageLoad": 60000, "script": 30000, "implicit": 0}),
    )?;
    caps.set("unhandledPromptBehavior", "accept")?;
    Ok(caps)
}

impl Browser {
    pub fn open(driver: &Chromedriver, screen: Screen, name: &str) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let downloads = profile.path().join("downloads");
        std::fs::create_dir_all(&downloads).expect("downloads dir");
        let caps = capabilities(screen, profile.path(), &downloads)
            .unwrap_or_else(|e| panic!("Chromium capabilities: {e}"));
        let rt = actix_web::rt::Runtime::new().expect("a Tokio runtime for the browser");
        let wd = rt
            .block_on(
                WebDriver::builder(driver.url.as_str(), caps)
                    .request_timeout(Duration::from_secs(90))
                    .connect(),
            )
            .unwrap_or_else(|e| panic!("cannot open a Chromium session: {e}"));
        let b = Browser {
            driver: Some(wd),
            rt,
            downloads,
            _profile: profile,
            name: name.to_string(),
        };
        // Headless Chromium saves downloads only when told where.
        let _ = b.run(b.wd().cdp().send(SetDownloadBehavior {
            behavior: DownloadBehavior::Allow,
            browser_context_id: None,
            download_path: Some(b.downloads.to_string_lossy().into_owned()),
            events_enabled: Some(false),
        }));
        b
    }

    fn wd(&self) -> &WebDriver {
        self.driver.as_ref().expect("the session is open")
    }

    /// Runs one `thirtyfour` call to completion.
    fn run<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// The value of a call that must succeed, or the test fails with what the page shows.
    #[track_caller]
    fn must<T>(&self, what: &str, r: WebDriverResult<T>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => self.fail(&format!("WebDriver {what}: {e}")),
        }
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

    /// Fails the test with the page's address, its visible text and console errors, and
    /// keeps a screenshot of the moment under target/tmp.
    #[track_caller]
    pub fn fail(&self, why: &str) -> ! {
        let url = self
            .run(self.wd().current_url())
            .map(|u| u.to_string())
            .unwrap_or_default();
        let text = self
            .run(self.wd().execute(
                "return document.body ? document.body.innerText : ''",
                Vec::new(),
            ))
            .ok()
            .and_then(|r| r.json().as_str().map(str::to_string))
            .unwrap_or_default();
        let shot = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("browser-failure-{}.png", self.name));
        if let Ok(png) = self.run(self.wd().screenshot_as_png()) {
            let _ = std::fs::write(&shot, png);
        }
        let logs = self.console();
        panic!(
            "{why}\n  page: {url}\n  screenshot: {}\n  console: {logs:#?}\n  text:\n{}",
            shot.display(),
            text.chars().take(3000).collect::<String>()
        );
    }

    #[track_caller]
    pub fn goto(&self, url: &str) {
        let r = self.run(self.wd().goto(url));
        self.must(&format!("goto {url}"), r);
    }

    #[track_caller]
    pub fn url(&self) -> String {
        let r = self.run(self.wd().current_url());
        self.must("current url", r).to_string()
    }

    #[track_caller]
    pub fn refresh(&self) {
        let r = self.run(self.wd().refresh());
        self.must("refresh", r);
    }

    /// The first element matching `css`, if any (no waiting).
    pub fn find(&self, css: &str) -> Option<El> {
        self.run(self.wd().find(By::Css(css))).ok().map(El)
    }

    pub fn find_all(&self, css: &str) -> Vec<El> {
        self.run(self.wd().find_all(By::Css(css)))
            .unwrap_or_default()
            .into_iter()
            .map(El)
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
        self.run(e.0.is_displayed()).unwrap_or(false)
    }

    pub fn text_of(&self, e: &El) -> String {
        self.run(e.0.text()).unwrap_or_default()
    }

    #[track_caller]
    pub fn text(&self, css: &str) -> String {
        let e = self.wait(css);
        self.text_of(&e)
    }

    pub fn attr(&self, e: &El, name: &str) -> Option<String> {
        self.run(e.0.attr(name)).ok().flatten()
    }

    /// A DOM property as JSON (`thirtyfour`'s own `prop` gives it as a string).
    pub fn prop(&self, e: &El, name: &str) -> Value {
        self.run(self.wd().execute(
            "return arguments[0][arguments[1]]",
            vec![self.el_json(e), json!(name)],
        ))
        .map(|r| r.json().clone())
        .unwrap_or(Value::Null)
    }

    #[track_caller]
    pub fn click_el(&self, e: &El) {
        // Scroll it into the middle first so sticky bars never cover it.
        let _ = self.run(self.wd().execute(
            "arguments[0].scrollIntoView({block: 'center'})",
            vec![self.el_json(e)],
        ));
        let r = self.run(e.0.click());
        self.must("click", r);
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
        let r = self.run(e.0.clear());
        self.must(&format!("clear {css}"), r);
        let r = self.run(e.0.send_keys(text));
        self.must(&format!("type into {css}"), r);
    }

    /// Chooses a local file in an `<input type=file>` (as a person picking a photo would).
    #[track_caller]
    pub fn attach_file(&self, css: &str, path: &Path) {
        let e = self.wait(css);
        let r = self.run(e.0.send_keys(path.to_string_lossy().as_ref()));
        self.must(&format!("choose a file in {css}"), r);
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

    /// The element as a script argument.
    pub fn el_json(&self, e: &El) -> Value {
        e.0.to_json().expect("element reference as JSON")
    }

    /// Runs a script in the page and returns what it returns.
    #[track_caller]
    pub fn js(&self, script: &str, args: Vec<Value>) -> Value {
        let r = self.run(self.wd().execute(script, args));
        self.must("execute script", r).json().clone()
    }

    /// Runs an async script (`arguments[arguments.length - 1]` is the callback).
    #[track_caller]
    pub fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        let r = self.run(self.wd().execute_async(script, args));
        self.must("execute async script", r).json().clone()
    }

    #[track_caller]
    pub fn set_session_storage(&self, key: &str, value: &str) {
        self.js(
            "sessionStorage.setItem(arguments[0], arguments[1])",
            vec![json!(key), json!(value)],
        );
    }

    #[track_caller]
    pub fn window_handle(&self) -> String {
        let r = self.run(self.wd().window());
        self.must("window handle", r).to_string()
    }

    pub fn window_handles(&self) -> Vec<String> {
        self.run(self.wd().windows())
            .unwrap_or_default()
            .iter()
            .map(WindowHandle::to_string)
            .collect()
    }

    #[track_caller]
    pub fn switch_to_window(&self, handle: &str) {
        let r = self.run(self.wd().switch_to_window(WindowHandle::from(handle)));
        self.must(&format!("switch to window {handle}"), r);
    }

    #[track_caller]
    pub fn close_window(&self) {
        let r = self.run(self.wd().close_window());
        self.must("close window", r);
    }

    /// A Chrome DevTools command (e.g. `Network.emulateNetworkConditions`) through
    /// chromedriver; returns its result.
    #[track_caller]
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        let r = self.run(self.wd().cdp().send_raw(cmd, params));
        self.must(&format!("CDP {cmd}"), r)
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
        self.run(self.wd().browser_log())
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.level == "SEVERE")
            .map(|e| e.message)
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
        if let Some(wd) = self.driver.take() {
            let _ = self.rt.block_on(wd.quit());
        }
    }
}
