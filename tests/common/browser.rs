//! A real browser for the console's tests: Debian's headless Chromium,
//! driven over WebDriver (fantoccini) through a chromedriver the harness
//! starts on a free port of its own and stops when the browser is dropped.
//!
//! Nothing is downloaded at run time: Chromium and chromedriver are the
//! machine's (`apt-get install chromium chromium-driver`, as .ci/run does).
//! Without them a test fails and says so; it never skips. The daemon's
//! self-signed certificate is accepted for the test's session only
//! (WebDriver's `acceptInsecureCerts`).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// Where Debian puts the two programs.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long chromedriver has to listen, and a page to show what is awaited.
const STARTUP: Duration = Duration::from_secs(20);
const PAGE_WAIT: Duration = Duration::from_secs(20);

/// A headless Chromium session; its chromedriver is killed on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    /// Chromium's profile, removed with the browser.
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a Chromium session `width` pixels wide.
    pub async fn start(width: u32) -> Browser {
        for program in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(program).exists(),
                "{program} is missing: the console's browser tests need Debian's \
                 `chromium` and `chromium-driver` (apt-get install chromium chromium-driver; \
                 .ci/run installs them)"
            );
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        wait_listening(port);
        let profile = tempfile::tempdir().unwrap();
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities(width, profile.path()))
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("chromedriver opens a Chromium session");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Goes to `url` and waits until the console has loaded `page`
    /// (its script marks `body[data-loaded]` once a page's data is shown).
    pub async fn open(&self, url: &str, page: &str) {
        self.client.goto(url).await.unwrap();
        self.loaded(page).await;
    }

    /// Waits until the console shows `page` with its data.
    pub async fn loaded(&self, page: &str) {
        let css = format!("body[data-loaded=\"{page}\"]");
        self.wait_for(&css).await;
    }

    /// Waits for an element matching `css`.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        let found = self
            .client
            .wait()
            .at_most(PAGE_WAIT)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(e) => e,
            Err(e) => {
                let shot = self.screenshot("failure").await;
                let source = self.client.source().await.unwrap_or_default();
                panic!("`{css}` did not appear: {e}; screenshot {shot:?}; page:\n{source}");
            }
        }
    }

    /// The text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let e = self.client.find(Locator::Css(css)).await.unwrap();
        e.text().await.unwrap()
    }

    /// The texts of every element matching `css`, in order.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.client.find_all(Locator::Css(css)).await.unwrap() {
            out.push(e.text().await.unwrap());
        }
        out
    }

    /// Runs `script`, the body of an async function whose last argument
    /// is the callback it ends with, in the page; what it passed.
    pub async fn run(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute_async(script, args).await.unwrap()
    }

    /// Saves the page as target/console-screenshots/NAME.png and prints
    /// where, so that a run's output leads to it.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = screenshots();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(&path, png).unwrap();
        println!("screenshot: {}", path.display());
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The session's Chromium exits with its chromedriver.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// target/console-screenshots.
pub fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("console-screenshots")
}

/// Headless Chromium, its own profile, the daemon's self-signed
/// certificate accepted (this session only).
fn capabilities(width: u32, profile: &Path) -> serde_json::Map<String, Value> {
    let args = vec![
        "--headless=new".to_owned(),
        // Tests run as root in CI, where Chromium's sandbox cannot start.
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--no-first-run".to_owned(),
        format!("--window-size={width},900"),
        format!("--user-data-dir={}", profile.display()),
    ];
    let caps = json!({
        "browserName": "chrome",
        "acceptInsecureCerts": true,
        "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

/// A port nothing listens on now (the OS's choice).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn wait_listening(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < STARTUP,
            "chromedriver did not listen on port {port} within {STARTUP:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
