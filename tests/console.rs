//! The Licensing Manager console in a real browser (headless Chromium over
//! WebDriver, tests/common/browser.rs) against a real lmgrd: served with a
//! strict policy, logged into with a minted login URL, and every page's
//! numbers and changes checked against the command-line tools. Each page's
//! screenshot is saved in target/console-screenshots/.

use fantoccini::Locator;
use serde_json::Value;

use lmutil::client::Connection;
use lmutil::protocol::{Request, Response};

use crate::common::browser::Browser;
use crate::common::{License, TestDaemon};

/// A client that trusts the daemon's own certificate, and the console's URL.
fn https(d: &TestDaemon) -> (reqwest::Client, String) {
    let status: Value = serde_json::from_slice(
        &std::fs::read(d.root.path().join("data/lmgrd.status.json")).unwrap(),
    )
    .unwrap();
    let pem = std::fs::read(status["https_certificate"].as_str().unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    (client, format!("https://localhost:{}", d.http_port))
}

#[tokio::test]
async fn the_console_and_its_assets_are_served_with_a_strict_policy() {
    let d = TestDaemon::start(TestDaemon::root());
    let (c, base) = https(&d);
    for (path, kind) in [
        ("/", "text/html"),
        ("/assets/app.js", "text/javascript"),
        ("/assets/app.css", "text/css"),
        ("/assets/i18n/ja.json", "application/json"),
    ] {
        let answer = c.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{path}");
        let h = answer.headers();
        let header = |name: &str| h.get(name).unwrap().to_str().unwrap().to_owned();
        assert!(header("content-type").starts_with(kind), "{path}");
        let policy = header("content-security-policy");
        for part in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(part), "{path}: {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert_eq!(header("x-frame-options"), "DENY");
        assert_eq!(header("x-content-type-options"), "nosniff");
    }
    let page = c.get(format!("{base}/")).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("lmutil lmtoken -login"), "{html}");
    assert!(!html.contains("<script>"), "no inline script: {html}");
    let missing = c.get(format!("{base}/assets/nothing.js")).send().await;
    assert_eq!(missing.unwrap().status(), 404);
    let plain = reqwest::get(format!("http://localhost:{}/", d.http_port))
        .await
        .unwrap();
    assert_eq!(plain.status(), 403);
    assert!(plain.text().await.unwrap().contains("HTTPS"));
}

#[tokio::test]
async fn without_a_session_the_page_says_how_to_log_in() {
    let d = TestDaemon::start(TestDaemon::root());
    let b = Browser::start(1280).await;
    b.open(&format!("https://localhost:{}/", d.http_port), "login")
        .await;
    let how = b.text("#login").await;
    assert!(how.contains("lmutil lmtoken -login"), "{how}");
    assert!(how.contains("not logged in"), "{how}");
    let nav = b.client.find(Locator::Css("#nav")).await;
    assert!(!nav.unwrap().is_displayed().await.unwrap());
    b.screenshot("login").await;
}

#[tokio::test]
async fn the_language_switch_changes_the_text() {
    let d = TestDaemon::start(TestDaemon::root());
    let b = Browser::start(1280).await;
    b.open(&format!("https://localhost:{}/", d.http_port), "login")
        .await;
    assert_eq!(b.text("#login-h").await, "Log in");
    for (language, heading, lang) in [
        ("fr", "Connexion", "fr"),
        ("de", "Anmelden", "de"),
        ("es", "Iniciar sesión", "es"),
        ("ja", "ログイン", "ja"),
        ("zh-CN", "登录", "zh-CN"),
    ] {
        choose_language(&b, language).await;
        let css = format!("html[lang=\"{lang}\"] body[data-loaded=\"login\"]");
        b.wait_for(&css).await;
        assert_eq!(b.text("#login-h").await, heading, "{language}");
        let how = b.texts("#login p").await;
        assert!(!how[0].contains("not logged in"), "{language}: {how:?}");
        b.screenshot(&format!("login-{language}")).await;
    }
}

/// Picks `language` in the page's switch, as a user does.
async fn choose_language(b: &Browser, language: &str) {
    let select = b.wait_for("#language").await;
    select.select_by_value(language).await.unwrap();
}

/// A daemon whose user/device license file names its product in English
/// and French (`#CITRIXTERM` lines).
fn named() -> TestDaemon {
    let root = TestDaemon::root();
    let names = "#CITRIXTERM FEATURE 2.0 XDT_PLT_UD EN Citrix Virtual Apps and Desktops Premium|User/Device\n\
                 #CITRIXTERM FEATURE 2.0 XDT_PLT_UD FR Citrix Virtual Apps and Desktops Premium (fr)|Utilisateur/appareil\n";
    let text = License::new().increment("XDT_PLT_UD", 10).text();
    let file = root.path().join("licenses/named.lic");
    std::fs::write(&file, format!("{names}{text}")).unwrap();
    let key = root.path().join("vendor/vendor.key");
    crate::common::lmutil([
        "lmcrypt",
        "--key",
        key.to_str().unwrap(),
        file.to_str().unwrap(),
    ])
    .succeeds();
    TestDaemon::start(root)
}

#[tokio::test]
async fn info_lists_the_license_files_product_names() {
    let d = named();
    let mut c = Connection::unix(&d.socket).await.unwrap();
    let Response::Info(info) = c.request(Request::Info).await.unwrap() else {
        panic!("not an info answer");
    };
    let names: Vec<(&str, &str, &str)> = info
        .product_names
        .iter()
        .map(|n| (n.feature.as_str(), n.language.as_str(), n.model.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("XDT_PLT_UD", "EN", "User/Device"),
            ("XDT_PLT_UD", "FR", "Utilisateur/appareil")
        ]
    );
    // Without such lines, the answer has no `product_names` at all.
    let plain = TestDaemon::start(TestDaemon::root());
    let json = plain
        .lmutil("lmstat", &["-v", "--json"])
        .succeeds()
        .stdout();
    assert!(!json.contains("product_names"), "{json}");
}
