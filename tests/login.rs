//! Browser logins against a real lmgrd: `lmutil lmtoken -login` prints a
//! one-time URL; its page's form trades it for a session cookie; the cookie
//! authenticates the web services with the account's role; a change needs
//! the session's CSRF token and this server's origin; logins are spent once,
//! failures are limited, and a web caller cannot mint a login.

use serde_json::{Value, json};

use crate::common::{TestDaemon, hostname};

/// A client that trusts the daemon's own certificate and never follows
/// redirects (the tests look at them), and the base URL.
fn client(d: &TestDaemon) -> (reqwest::Client, String) {
    d.https_client(false)
}

/// The one-time token of a login URL `lmtoken -login --json` printed.
fn token_of(login: &Value, d: &TestDaemon) -> String {
    let url = login["login"]["url"].as_str().unwrap();
    let prefix = format!("https://{}:{}/login?token=", hostname(), d.http_port);
    assert!(url.starts_with(&prefix), "{url} starts with {prefix}");
    url[prefix.len()..].to_owned()
}

/// Logs in with `token`: the session cookie's `name=value`, and the whole
/// Set-Cookie header.
async fn log_in(c: &reqwest::Client, base: &str, token: &str) -> (u16, String, String) {
    let answer = c
        .post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let set = answer
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let pair = set.split(';').next().unwrap_or("").to_owned();
    (status, pair, set)
}

async fn session(c: &reqwest::Client, base: &str, cookie: &str) -> (u16, Value) {
    let answer = c
        .get(format!("{base}/api/v1/session"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let text = answer.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// POSTs a protocol request as the browser would: the cookie, and the
/// CSRF token and origin when given.
async fn change(
    c: &reqwest::Client,
    base: &str,
    cookie: &str,
    csrf: Option<&str>,
    origin: Option<&str>,
    body: Value,
) -> (u16, String) {
    let mut r = c
        .post(format!("{base}/api/v1/request"))
        .header("cookie", cookie)
        .body(body.to_string());
    if let Some(t) = csrf {
        r = r.header("x-lmutil-csrf", t);
    }
    if let Some(o) = origin {
        r = r.header("origin", o);
    }
    let answer = r.send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test]
async fn a_login_url_logs_a_browser_in_once_and_its_changes_need_the_csrf_token() {
    let d = TestDaemon::start(TestDaemon::root());
    let (c, base) = client(&d);
    let login = d.lmutil("lmtoken", &["-login", "--json"]).succeeds().json();
    let token = token_of(&login, &d);
    // The page never spends the token: a link preview cannot use it up.
    for _ in 0..2 {
        let page = c
            .get(format!("{base}/login?token={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status().as_u16(), 200);
        assert_eq!(page.headers()["referrer-policy"], "same-origin");
        let html = page.text().await.unwrap();
        assert!(
            html.contains("method=\"post\"") && html.contains(&token),
            "{html}"
        );
    }
    let (status, cookie, set) = log_in(&c, &base, &token).await;
    assert_eq!(status, 303, "{set}");
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=",
    ] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    let (again, _, _) = log_in(&c, &base, &token).await;
    assert_eq!(again, 401, "a login URL works once");

    let (status, me) = session(&c, &base, &cookie).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["role"], "admin");
    let csrf = me["csrf"].as_str().unwrap().to_owned();
    let who = c
        .get(format!("{base}/api/v1/whoami"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let who: Value = serde_json::from_str(&who).unwrap();
    assert!(
        who["name"].as_str().unwrap().ends_with("(browser)"),
        "{who}"
    );

    let burst_off = json!({"type": "set_settings", "settings": {"burst_mode": "off"}});
    let (status, why) = change(&c, &base, &cookie, None, None, burst_off.clone()).await;
    assert_eq!(status, 403, "no CSRF token: {why}");
    let (status, _) = change(&c, &base, &cookie, Some("0"), None, burst_off.clone()).await;
    assert_eq!(status, 403, "a wrong CSRF token");
    let evil = Some("https://evil.example");
    let (status, _) = change(&c, &base, &cookie, Some(&csrf), evil, burst_off.clone()).await;
    assert_eq!(status, 403, "another site's origin");
    let settings = d
        .lmutil("lmsettings", &["-list", "--json"])
        .succeeds()
        .stdout();
    assert!(
        !settings.contains("\"off\""),
        "nothing changed yet: {settings}"
    );
    let ours = format!("https://localhost:{}", d.http_port);
    let (status, body) = change(&c, &base, &cookie, Some(&csrf), Some(&ours), burst_off).await;
    assert_eq!(status, 200, "{body}");
    let audit = d
        .lmutil("lmaudit", &["-kind", "settings", "--json"])
        .succeeds()
        .stdout();
    assert!(
        audit.contains("(browser)"),
        "audited as the browser's: {audit}"
    );

    let out = c
        .post(format!("{base}/logout"))
        .header("cookie", &cookie)
        .header("x-lmutil-csrf", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 303);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (status, _) = session(&c, &base, &cookie).await;
    assert_eq!(status, 401, "logged out");
}

#[tokio::test]
async fn a_user_role_login_reads_and_is_refused_changes() {
    let d = TestDaemon::start(TestDaemon::root());
    let (c, base) = client(&d);
    d.lmutil_as_nobody("lmtoken", &["-login"])
        .stderr_has("has no role");
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
    assert_eq!(login["login"]["account"], account.as_str());
    let (status, cookie, _) = log_in(&c, &base, &token_of(&login, &d)).await;
    assert_eq!(status, 303);
    let (_, me) = session(&c, &base, &cookie).await;
    assert_eq!(me["role"], "user", "{me}");
    let csrf = me["csrf"].as_str().unwrap().to_owned();
    let pools = c
        .get(format!("{base}/api/v1/pools"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(pools.status().as_u16(), 200);
    for request in [
        json!({"type": "set_settings", "settings": {"burst_mode": "off"}}),
        json!({"type": "reread"}),
        json!({"type": "set_account", "name": account, "role": "admin"}),
        json!({"type": "create_token", "name": "mine"}),
    ] {
        let (status, why) = change(&c, &base, &cookie, Some(&csrf), None, request).await;
        assert_eq!(status, 403, "{why}");
        assert!(why.contains("needs the admin role"), "{why}");
    }
    // Taking the account's role away ends what its session may do.
    d.lmutil("CtxManageUserAndGroup", &["-userdel", &account])
        .succeeds();
    let (status, _) = session(&c, &base, &cookie).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn failed_logins_are_limited_and_a_web_caller_cannot_make_a_login() {
    let d = TestDaemon::start(TestDaemon::root());
    let (c, base) = client(&d);
    let made = d
        .lmutil("lmtoken", &["-create", "script", "--json"])
        .succeeds()
        .json();
    let secret = made["created"]["secret"].as_str().unwrap().to_owned();
    let answer = c
        .post(format!("{base}/api/v1/request"))
        .bearer_auth(&secret)
        .body(json!({"type": "create_login"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 403);
    assert!(answer.text().await.unwrap().contains("control socket"));

    let good = token_of(
        &d.lmutil("lmtoken", &["-login", "--json"]).succeeds().json(),
        &d,
    );
    for _ in 0..10 {
        let (status, _, _) = log_in(&c, &base, "lml_0000").await;
        assert_eq!(status, 401);
    }
    let (status, _, _) = log_in(&c, &base, &good).await;
    assert_eq!(
        status, 429,
        "the address is held off, even with a good login"
    );
}
