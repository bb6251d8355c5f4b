//! The Licensing Manager console in a real browser (headless Chromium over
//! WebDriver, tests/common/browser.rs) against a real lmgrd: served with a
//! strict policy, logged into with a minted login URL, and every page's
//! numbers and changes checked against the command-line tools. Each page's
//! screenshot is saved in target/console-screenshots/.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{Value, json};

use lmutil::client::{CheckoutArgs, Connection, ProductSession};
use lmutil::protocol::{Request, Response};

use crate::common::browser::Browser;
use crate::common::{License, TestDaemon, hostname, require_root};

/// The console's pages, by the names its navigation uses.
const PAGES: [&str; 7] = [
    "dashboard",
    "history",
    "install",
    "update",
    "users",
    "settings",
    "events",
];

/// A client that trusts the daemon's own certificate, and the base URL.
fn https(d: &TestDaemon) -> (reqwest::Client, String) {
    d.https_client(true)
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
    b.open(&console(&d), "login").await;
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
    b.open(&console(&d), "login").await;
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

/// Licenses in use: a user/device pool with ann and bob leased (their
/// sessions ended), and a concurrent pool with carol's device connected
/// while `_session` lives.
struct Busy {
    d: TestDaemon,
    _session: ProductSession,
}

async fn busy() -> Busy {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_UD", 10)
        .vendor_string(";LT=Retail;GP=720")
        .increment("XDT_ENT_CCU", 4)
        .version("2026.0601")
        .vendor_string(";LT=Retail")
        .install(root.path(), "site.lic");
    let d = TestDaemon::start(root);
    let tcp = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(tcp, "ddc1").await.unwrap();
    for (feature, version, user, device) in [
        ("XDT_PLT_UD", "2026.0101", "ann", "pc1"),
        ("XDT_PLT_UD", "2026.0101", "bob", "pc2"),
        ("XDT_ENT_CCU", "2026.0101", "carol", "pc3"),
    ] {
        let args = CheckoutArgs {
            feature,
            version,
            user,
            device,
            display: device,
            count: 1,
        };
        let handle = p.checkout(args).await.unwrap();
        // The user/device licenses stay assigned (leased) once checked in.
        if feature == "XDT_PLT_UD" {
            p.checkin(handle).await.unwrap();
        }
    }
    Busy { d, _session: p }
}

/// The console's address.
fn console(d: &TestDaemon) -> String {
    format!("https://localhost:{}/", d.http_port)
}

/// Logs the browser in as an administrator, as a person does: the URL
/// `lmutil lmtoken -login` prints, its page's Log in button, the dashboard.
async fn log_in(d: &TestDaemon, b: &Browser) {
    let login = d.lmutil("lmtoken", &["-login", "--json"]).succeeds().json();
    enter(b, &login).await;
}

/// Logs the browser in as `nobody`, given the user role.
async fn log_in_as_user(d: &TestDaemon, b: &Browser) {
    require_root("to mint a login as another account (runuser -u nobody)");
    let account = format!("{}\\nobody", hostname());
    d.lmutil(
        "CtxManageUserAndGroup",
        &["-useradd", &account, "-Role", "user"],
    )
    .succeeds();
    let login = d
        .lmutil_as_nobody("lmtoken", &["-login", "--json"])
        .succeeds()
        .json();
    enter(b, &login).await;
}

async fn enter(b: &Browser, login: &Value) {
    let url = login["login"]["url"].as_str().unwrap();
    b.client.goto(url).await.unwrap();
    // Opening the URL does not log in: its page's button does.
    b.wait_for("form button").await.click().await.unwrap();
    b.loaded("dashboard").await;
}

/// Goes to the console's page `page` and waits for its data.
async fn page(b: &Browser, page: &str) {
    b.client
        .execute("location.hash = arguments[0]", vec![Value::from(page)])
        .await
        .unwrap();
    b.loaded(page).await;
}

/// Empties the page's notice, so that the next one awaited is the next
/// action's.
async fn forget_notice(b: &Browser) {
    let script =
        "const n = document.getElementById('notice'); n.textContent = ''; n.className = '';";
    b.client.execute(script, vec![]).await.unwrap();
}

/// The text of the cell `col` of the row matching `row`.
async fn cell(b: &Browser, row: &str, col: &str) -> String {
    b.text(&format!("{row} td[data-col=\"{col}\"]")).await
}

#[tokio::test]
async fn the_dashboards_numbers_are_lmstats() {
    let busy = busy().await;
    let d = &busy.d;
    let b = Browser::start(1280).await;
    log_in(d, &b).await;
    b.screenshot("dashboard").await;
    let json = d.lmutil("lmstat", &["-a", "--json"]).succeeds().json();
    let pools = json["pools"].as_array().unwrap();
    assert!(pools.len() >= 2, "{json}");
    for pool in pools {
        let n = |k: &str| pool[k].as_u64().unwrap();
        let (feature, version) = (
            pool["feature"].as_str().unwrap(),
            pool["version"].as_str().unwrap(),
        );
        let row = format!("#pools tr[data-feature=\"{feature}\"][data-version=\"{version}\"]");
        assert_eq!(
            cell(&b, &row, "installed").await,
            n("installed").to_string(),
            "{row}"
        );
        assert_eq!(
            cell(&b, &row, "overdraft").await,
            n("overdraft").to_string(),
            "{row}"
        );
        assert_eq!(
            cell(&b, &row, "in_use").await,
            n("in_use").to_string(),
            "{row}"
        );
        let available = n("installed").saturating_sub(n("in_use"));
        assert_eq!(
            cell(&b, &row, "available").await,
            available.to_string(),
            "{row}"
        );
        assert_eq!(cell(&b, &row, "css").await, version);
        let product = format!("#products tr[data-feature=\"{feature}\"]");
        let pair = format!("{} / {}", n("in_use"), n("installed"));
        assert_eq!(
            cell(&b, &product, "in_use_installed").await,
            pair,
            "{product}"
        );
        let pct = if n("installed") == 0 {
            0
        } else {
            (available * 100 + n("installed") / 2) / n("installed")
        };
        assert_eq!(cell(&b, &product, "available_pct").await, format!("{pct}%"));
    }
    let startup = "#products tr[data-feature=\"CITRIX\"]";
    assert_eq!(
        cell(&b, startup, "product").await,
        "Citrix Start-up License"
    );
    let ud = "#pools tr[data-feature=\"XDT_PLT_UD\"]";
    assert_eq!(cell(&b, ud, "in_use").await, "2");
    assert_eq!(
        cell(&b, ud, "installed").await,
        "11",
        "10 and the 10% overdraft"
    );
    let alerts = json["alerts"].as_array().unwrap().len();
    let shown = b.texts("#alerts li[data-kind]").await;
    assert_eq!(shown.len(), alerts, "{shown:?}");
    // Logging out ends the session: the page says how to log in again.
    b.wait_for("#logout").await.click().await.unwrap();
    b.loaded("login").await;
    b.client.refresh().await.unwrap();
    b.loaded("login").await;
}

#[tokio::test]
async fn a_setting_changed_in_the_page_is_what_lmsettings_lists() {
    let d = TestDaemon::start(TestDaemon::root());
    let b = Browser::start(1280).await;
    log_in(&d, &b).await;
    page(&b, "settings").await;
    b.screenshot("settings").await;
    let burst = b.wait_for("#set-burst_mode").await;
    burst.select_by_value("off").await.unwrap();
    let proxy = b.wait_for("#set-proxy").await;
    proxy.clear().await.unwrap();
    proxy.send_keys("http://proxy.example:3128").await.unwrap();
    let renewal = b.wait_for("#set-renewal_check").await;
    renewal.select_by_value("manual").await.unwrap();
    forget_notice(&b).await;
    b.wait_for("#settings-form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    b.wait_for("#notice.good").await;
    page(&b, "history").await;
    b.screenshot("history").await;
    let retention = b.wait_for("#retention").await;
    retention.clear().await.unwrap();
    retention.send_keys("90d").await.unwrap();
    forget_notice(&b).await;
    b.wait_for("#retention-form button")
        .await
        .click()
        .await
        .unwrap();
    b.wait_for("#notice.good").await;
    let listed = d
        .lmutil("lmsettings", &["-list", "--json"])
        .succeeds()
        .json();
    let value = |name: &str| {
        listed["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()["value"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(value("burst_mode"), "off");
    assert_eq!(value("proxy"), "http://proxy.example:3128");
    assert_eq!(value("renewal_check"), "manual");
    assert_eq!(value("history_retention"), "90d");
    // A bad value is refused with the server's reason, and changes nothing.
    retention.clear().await.unwrap();
    retention.send_keys("99999d").await.unwrap();
    forget_notice(&b).await;
    b.wait_for("#retention-form button")
        .await
        .click()
        .await
        .unwrap();
    let refusal = b.wait_for("#notice.bad").await.text().await.unwrap();
    assert!(refusal.contains("history_retention"), "{refusal}");
    let listed = d
        .lmutil("lmsettings", &["-list", "--json"])
        .succeeds()
        .json();
    assert!(listed.to_string().contains("\"90d\""));
}

#[tokio::test]
async fn a_release_from_the_page_frees_the_license() {
    let busy = busy().await;
    let d = &busy.d;
    let b = Browser::start(1280).await;
    log_in(d, &b).await;
    page(&b, "users").await;
    let find = b.wait_for("#find").await;
    find.send_keys("ann").await.unwrap();
    b.wait_for("#find-form button").await.click().await.unwrap();
    let release = b.wait_for("#found tr[data-name=\"ann\"] button").await;
    b.screenshot("users").await;
    release.click().await.unwrap();
    b.wait_for("#confirm[open]").await;
    b.screenshot("users-confirm").await;
    forget_notice(&b).await;
    b.wait_for("#confirm-yes").await.click().await.unwrap();
    b.wait_for("#notice.good").await;
    let json = d.lmutil("lmstat", &["-a", "--json"]).succeeds().json();
    let held: Vec<&str> = json["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert!(!held.contains(&"ann"), "{held:?}");
    assert!(held.contains(&"bob"), "{held:?}");
    let listed = d.lmutil("udadmin", &["-list"]).succeeds().stdout();
    assert!(!listed.contains("ann"), "{listed}");
    page(&b, "events").await;
    b.wait_for("#event-list tr[data-event=\"released\"]").await;
    b.screenshot("events").await;
}

#[tokio::test]
async fn a_user_role_session_sees_every_page_and_is_refused_every_change() {
    let busy = busy().await;
    let d = &busy.d;
    let b = Browser::start(1280).await;
    log_in_as_user(d, &b).await;
    for name in PAGES {
        page(&b, name).await;
        let controls = b
            .client
            .find_all(Locator::Css(".page:not([hidden]) .change"))
            .await
            .unwrap();
        for c in controls {
            assert!(
                !c.is_enabled().await.unwrap(),
                "{name}: {}",
                c.html(false).await.unwrap()
            );
        }
        b.screenshot(&format!("user-{name}")).await;
    }
    // Were the page's controls enabled, the server would still refuse.
    let refused = b
        .run(
            "const done = arguments[arguments.length - 1];
             const session = await (await fetch('/api/v1/session')).json();
             const out = [];
             for (const body of arguments[0]) {
               const r = await fetch('/api/v1/request', {method: 'POST', body: JSON.stringify(body),
                 headers: {'Content-Type': 'application/json', 'X-Lmutil-Csrf': session.csrf}});
               out.push([r.status, (await r.json()).reason || '']);
             }
             done(out);",
            vec![json!([
                {"type": "set_settings", "settings": {"burst_mode": "off"}},
                {"type": "release", "feature": null, "user": "ann", "device": null},
                {"type": "set_account", "name": "x\\y", "role": "admin"},
                {"type": "remove_account", "name": "x\\y"},
                {"type": "reread"},
            ])],
        )
        .await;
    for answer in refused.as_array().unwrap() {
        assert_eq!(answer[0], 403, "{refused}");
        assert!(
            !answer[1].as_str().unwrap().is_empty(),
            "a reason: {refused}"
        );
    }
    let json = d.lmutil("lmstat", &["-a", "--json"]).succeeds().json();
    assert!(
        json.to_string().contains("\"ann\""),
        "ann still holds her license"
    );
}

#[tokio::test]
async fn every_page_is_readable_at_a_phones_width() {
    let busy = busy().await;
    let d = &busy.d;
    let b = Browser::start(375).await;
    log_in(d, &b).await;
    for name in PAGES {
        page(&b, name).await;
        let widths = b
            .client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth]",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            widths[0].as_u64() <= widths[1].as_u64(),
            "{name} scrolls sideways: {widths}"
        );
        b.screenshot(&format!("phone-{name}")).await;
    }
}

/// A busy daemon whose history has days: sampled every second until the
/// server has a day row for the user/device pool, then every day, so
/// that the rows stay as they are while the test reads them.
async fn with_history() -> Busy {
    let busy = busy().await;
    let d = &busy.d;
    d.lmutil("lmsettings", &["-set", "history_sample_period=1s"])
        .succeeds();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let json = d
            .lmutil("lmhistory", &["-f", "XDT_PLT_UD", "--json"])
            .succeeds()
            .json();
        if json["days"].as_array().is_some_and(|days| !days.is_empty()) {
            break;
        }
        assert!(Instant::now() < deadline, "no day recorded: {json}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    d.lmutil("lmsettings", &["-set", "history_sample_period=1d"])
        .succeeds();
    busy
}

/// Shows the Historical Use page filtered to the user/device pool.
async fn ud_history(b: &Browser) {
    page(b, "history").await;
    b.wait_for("#h-feature option[value=\"XDT_PLT_UD\"]")
        .await
        .click()
        .await
        .unwrap();
    b.wait_for("#history-form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    b.wait_for("#h-days td[data-col=\"peak\"]").await;
}

#[tokio::test]
async fn historical_use_shows_lmhistorys_days_in_a_table_and_a_chart() {
    let busy = with_history().await;
    let d = &busy.d;
    let b = Browser::start(1280).await;
    log_in(d, &b).await;
    ud_history(&b).await;
    b.screenshot("history-days").await;
    let json = d
        .lmutil("lmhistory", &["-f", "XDT_PLT_UD", "--json"])
        .succeeds()
        .json();
    let days = json["days"].as_array().unwrap();
    let shown = b.texts("#h-days td[data-col=\"peak\"]").await;
    let peaks: Vec<String> = days.iter().map(|d| d["peak"].to_string()).collect();
    assert_eq!(shown, peaks);
    let installed = b.texts("#h-days td[data-col=\"installed\"]").await;
    assert_eq!(installed[0], days[0]["installed"].to_string());
    let lines = b
        .client
        .find_all(Locator::Css("#h-chart svg polyline"))
        .await
        .unwrap();
    assert_eq!(lines.len(), 3, "peak, installed and overdraft");
    let export = b.wait_for("#h-export").await.attr("href").await.unwrap();
    assert_eq!(
        export.as_deref().map(|h| h.contains("feature=XDT_PLT_UD")),
        Some(true),
        "{export:?}"
    );
}

#[tokio::test]
async fn the_exported_csv_is_lmhistorys() {
    let busy = with_history().await;
    let d = &busy.d;
    let b = Browser::start(1280).await;
    log_in(d, &b).await;
    ud_history(&b).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("usage.csv");
    let path = file.to_str().unwrap();
    // The last 1-second sample may still be written while the test reads
    // (it changes the day's average): compare a snapshot that the page
    // read the same before and after the command's export.
    let mut last = None;
    for _ in 0..5 {
        let before = exported(&b).await;
        d.lmutil("lmhistory", &["-f", "XDT_PLT_UD", "-export", "-o", path])
            .succeeds();
        let cli = std::fs::read_to_string(&file).unwrap();
        if exported(&b).await == before {
            assert_eq!(before, cli);
            assert!(cli.lines().count() >= 2, "a header and a day: {cli}");
            return;
        }
        last = Some((before, cli));
    }
    panic!("the history never stood still: {last:?}");
}

/// The CSV the page's Export to CSV link downloads.
async fn exported(b: &Browser) -> String {
    let fetched = b
        .run(
            "const done = arguments[arguments.length - 1];
             const r = await fetch(document.getElementById('h-export').href);
             done([r.status, await r.text()]);",
            vec![],
        )
        .await;
    assert_eq!(fetched[0], 200, "{fetched}");
    fetched[1].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_uploaded_license_appears_as_a_pool() {
    let d = TestDaemon::start(TestDaemon::root());
    let b = Browser::start(1280).await;
    log_in(&d, &b).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new.lic");
    let text = License::new()
        .increment("XDT_ADV_CCU", 7)
        .vendor_string(";LT=Retail")
        .text();
    std::fs::write(&file, text).unwrap();
    let key = d.root.path().join("vendor/vendor.key");
    crate::common::lmutil([
        "lmcrypt",
        "--key",
        key.to_str().unwrap(),
        file.to_str().unwrap(),
    ])
    .succeeds();
    page(&b, "install").await;
    let input = b.wait_for("#license-file").await;
    input.send_keys(file.to_str().unwrap()).await.unwrap();
    b.screenshot("install").await;
    forget_notice(&b).await;
    b.wait_for("#install-form button")
        .await
        .click()
        .await
        .unwrap();
    b.wait_for("#notice.good").await;
    let line = "#installed tr[data-feature=\"XDT_ADV_CCU\"]";
    assert_eq!(cell(&b, line, "serving").await, "yes");
    b.screenshot("install-done").await;
    let json = d.lmutil("lmstat", &["-a", "--json"]).succeeds().json();
    let pool = json["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["feature"] == "XDT_ADV_CCU")
        .cloned();
    assert_eq!(
        pool.map(|p| p["installed"].clone()),
        Some(json!(7)),
        "{json}"
    );
    page(&b, "dashboard").await;
    let row = "#pools tr[data-feature=\"XDT_ADV_CCU\"]";
    assert_eq!(cell(&b, row, "installed").await, "7");
    page(&b, "update").await;
    let files = b.texts("#files td[data-col=\"file\"]").await;
    assert!(files.contains(&"new.lic".to_owned()), "{files:?}");
    // A file whose signature does not match is refused with the reason
    // (FlexNet's words: an inconsistent authentication code).
    let forged = std::fs::read_to_string(&file)
        .unwrap()
        .replace(" 7 ", " 70 ");
    let forged_file = dir.path().join("forged.lic");
    std::fs::write(&forged_file, forged).unwrap();
    page(&b, "install").await;
    let input = b.wait_for("#license-file").await;
    input
        .send_keys(forged_file.to_str().unwrap())
        .await
        .unwrap();
    forget_notice(&b).await;
    b.wait_for("#install-form button")
        .await
        .click()
        .await
        .unwrap();
    let refusal = b.wait_for("#notice.bad").await.text().await.unwrap();
    assert!(
        refusal.contains("XDT_ADV_CCU") && refusal.contains("invalid license key"),
        "{refusal}"
    );
    b.screenshot("install-refused").await;
    let files = d.lmutil("lmstat", &["-a", "--json"]).succeeds().json();
    assert!(!files.to_string().contains("forged.lic"));
    b.screenshot("update").await;
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
    // Without such lines, none.
    let plain = TestDaemon::start(TestDaemon::root());
    let mut c = Connection::unix(&plain.socket).await.unwrap();
    let Response::Info(info) = c.request(Request::Info).await.unwrap() else {
        panic!("not an info answer");
    };
    assert_eq!(info.product_names, []);
}

#[tokio::test]
async fn the_language_switch_shows_the_license_files_product_names_in_that_language() {
    let d = named();
    let b = Browser::start(1280).await;
    log_in(&d, &b).await;
    let row = "#pools tr[data-feature=\"XDT_PLT_UD\"]";
    let english = cell(&b, row, "product").await;
    assert_eq!(
        english,
        "Citrix Virtual Apps and Desktops Premium | User/Device"
    );
    assert_eq!(b.text("#dashboard-h").await, "Dashboard");
    choose_language(&b, "fr").await;
    b.wait_for("html[lang=\"fr\"] body[data-loaded=\"dashboard\"]")
        .await;
    assert_eq!(b.text("#dashboard-h").await, "Tableau de bord");
    let french = cell(&b, row, "product").await;
    assert_eq!(
        french,
        "Citrix Virtual Apps and Desktops Premium (fr) | Utilisateur/appareil"
    );
    b.screenshot("dashboard-fr").await;
    // No Japanese name in the file: the English one.
    choose_language(&b, "ja").await;
    b.wait_for("html[lang=\"ja\"] body[data-loaded=\"dashboard\"]")
        .await;
    assert_eq!(b.text("#dashboard-h").await, "ダッシュボード");
    assert_eq!(cell(&b, row, "product").await, english);
    b.screenshot("dashboard-ja").await;
}

/// The accounts `CtxManageUserAndGroup -list --json` lists: (name, role).
fn accounts(d: &TestDaemon) -> Vec<(String, String)> {
    let json = d
        .lmutil("CtxManageUserAndGroup", &["-list", "--json"])
        .succeeds()
        .json();
    json["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap().to_owned();
            (s("name"), s("role"))
        })
        .collect()
}

#[tokio::test]
async fn accounts_added_and_removed_in_the_page_are_what_ctxmanageuserandgroup_lists() {
    let d = TestDaemon::start(TestDaemon::root());
    let b = Browser::start(1280).await;
    log_in(&d, &b).await;
    page(&b, "settings").await;
    // Root and the account lmgrd runs as cannot lose their role.
    let built_in = b.wait_for("#accounts tbody tr button").await;
    assert!(!built_in.is_enabled().await.unwrap());
    b.wait_for("#acc-name")
        .await
        .send_keys("MYCO\\山田 太郎")
        .await
        .unwrap();
    b.wait_for("#acc-role")
        .await
        .select_by_value("userGroup")
        .await
        .unwrap();
    forget_notice(&b).await;
    b.wait_for("#account-form button")
        .await
        .click()
        .await
        .unwrap();
    b.wait_for("#notice.good").await;
    let added = ("MYCO\\山田 太郎".to_owned(), "userGroup".to_owned());
    assert!(accounts(&d).contains(&added), "{:?}", accounts(&d));
    let remove = b
        .wait_for("#accounts tr[data-name=\"MYCO\\\\山田 太郎\"] button")
        .await;
    b.screenshot("settings-accounts").await;
    remove.click().await.unwrap();
    b.wait_for("#confirm[open]").await;
    forget_notice(&b).await;
    b.wait_for("#confirm-yes").await.click().await.unwrap();
    b.wait_for("#notice.good").await;
    assert!(!accounts(&d).contains(&added), "{:?}", accounts(&d));
}

/// WebDriver's codes for the keys the keyboard test presses.
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";

/// Presses `keys` on whatever has the focus.
async fn press(b: &Browser, keys: &str) {
    let focused = b.client.active_element().await.unwrap();
    focused.send_keys(keys).await.unwrap();
}

/// Presses Tab until the focus is on the element matching `css`.
async fn tab_to(b: &Browser, css: &str) {
    let script = "return document.activeElement.matches(arguments[0])";
    for _ in 0..40 {
        press(b, TAB).await;
        let on = b.client.execute(script, vec![Value::from(css)]).await;
        if on.unwrap() == Value::Bool(true) {
            return;
        }
    }
    panic!("Tab never reached `{css}`");
}

#[tokio::test]
async fn the_console_is_used_from_the_keyboard() {
    let busy = busy().await;
    let d = &busy.d;
    let b = Browser::start(1280).await;
    log_in(d, &b).await;
    tab_to(&b, "nav a[href=\"#users\"]").await;
    press(&b, ENTER).await;
    b.loaded("users").await;
    tab_to(&b, "#find").await;
    press(&b, &format!("bob{ENTER}")).await;
    b.wait_for("#found tr[data-name=\"bob\"] button").await;
    let said = b.wait_for("#notice[role=\"status\"][aria-live]").await;
    // bob's license, and his connection.
    assert_eq!(said.text().await.unwrap(), "2 found.");
    tab_to(&b, "#found tr[data-name=\"bob\"] button").await;
    press(&b, ENTER).await;
    b.wait_for("#confirm[open]").await;
    // Escape cancels: nothing is released.
    press(&b, ESCAPE).await;
    b.wait_for("#confirm:not([open])").await;
    let json = d.lmutil("lmstat", &["-a", "--json"]).succeeds().json();
    assert!(
        json["assignments"].to_string().contains("\"bob\""),
        "{json}"
    );
}
