//! The web services against a real lmgrd: HTTPS on the HTTP port with the
//! self-signed certificate lmgrd made (its fingerprint in the status file),
//! API tokens made with `lmutil lmtoken`, requests of the protocol
//! authorised by the token's account's role, changes audited as the
//! token's, failures rate-limited, and plain HTTP limited to /metrics;
//! the reads with parameters (history as JSON and CSV, events, audit,
//! diagnosis, a user's or device's licenses).

use lmutil::client::{CheckoutArgs, Connection, ProductSession};
use serde_json::{Value, json};

use crate::common::{License, TestDaemon, hostname};

/// A client that trusts the daemon's own certificate, and the base URL.
fn client(d: &TestDaemon) -> (reqwest::Client, String) {
    d.https_client(true)
}

fn new_token(d: &TestDaemon, args: &[&str]) -> String {
    let mut all = vec!["-create"];
    all.extend_from_slice(args);
    all.push("--json");
    let made = d.lmutil("lmtoken", &all).succeeds().json();
    made["created"]["secret"].as_str().unwrap().to_owned()
}

async fn get(c: &reqwest::Client, url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = c.get(url);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let answer = request.send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

async fn post(c: &reqwest::Client, url: &str, token: &str, body: Value) -> (u16, Value) {
    let answer = c
        .post(url)
        .bearer_auth(token)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (
        status,
        serde_json::from_str(&answer.text().await.unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn an_admin_token_reads_and_changes_over_https_and_is_audited() {
    let d = TestDaemon::start(TestDaemon::root());
    let (c, base) = client(&d);
    let token = new_token(&d, &["admin script"]);
    let (status, body) = get(&c, &format!("{base}/api/v1/whoami"), Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let who: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(who["role"], "admin");
    assert!(
        who["name"].as_str().unwrap().ends_with("(token 1)"),
        "{who}"
    );
    let (status, body) = get(
        &c,
        &format!("{base}/api/v1/status?parts=pools"),
        Some(&token),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let listed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(listed["type"], "status");
    let change = json!({"type": "set_settings", "settings": {"burst_mode": "off"}});
    let (status, answer) = post(&c, &format!("{base}/api/v1/request"), &token, change).await;
    assert_eq!(status, 200, "{answer}");
    let listed = d
        .lmutil("lmsettings", &["-list", "--json"])
        .succeeds()
        .json();
    let burst = listed["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "burst_mode")
        .unwrap()
        .clone();
    assert_eq!(burst["value"], "off");
    assert!(
        d.debug_log().contains("(token 1))"),
        "the change is logged as the token's: {}",
        d.debug_log()
    );
    let audit = d
        .lmutil("lmaudit", &["-kind", "settings", "--json"])
        .succeeds()
        .json();
    let text = audit.to_string();
    assert!(text.contains("(token 1)"), "audited as the token's: {text}");
    // Products check out over TCP only.
    let checkout = json!({"type": "start_session", "host": "h"});
    let (status, answer) = post(&c, &format!("{base}/api/v1/request"), &token, checkout).await;
    assert_eq!(
        (status, answer["code"].as_i64()),
        (403, Some(-63)),
        "{answer}"
    );
}

#[tokio::test]
async fn a_user_token_reads_but_is_refused_every_change() {
    let d = TestDaemon::start(TestDaemon::root());
    let (c, base) = client(&d);
    let account = format!("{}\\reporting", hostname());
    d.lmutil(
        "CtxManageUserAndGroup",
        &["-useradd", &account, "-Role", "user"],
    )
    .succeeds();
    let token = new_token(&d, &["reports", "-account", &account]);
    let (status, _) = get(&c, &format!("{base}/api/v1/pools"), Some(&token)).await;
    assert_eq!(status, 200);
    for change in [
        json!({"type": "set_settings", "settings": {"burst_mode": "off"}}),
        json!({"type": "reread"}),
        json!({"type": "release", "feature": null, "user": "ann", "device": null}),
        json!({"type": "create_token", "name": "mine"}),
        json!({"type": "set_account", "name": account, "role": "admin"}),
    ] {
        let (status, answer) = post(&c, &format!("{base}/api/v1/request"), &token, change).await;
        assert_eq!(status, 403, "{answer}");
        assert!(
            answer["reason"]
                .as_str()
                .unwrap()
                .contains("needs the admin role"),
            "{answer}"
        );
    }
    // Its account losing its role takes the token's away.
    d.lmutil("CtxManageUserAndGroup", &["-userdel", &account])
        .succeeds();
    let (status, _) = get(&c, &format!("{base}/api/v1/pools"), Some(&token)).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn bad_or_revoked_tokens_are_refused_and_failures_are_limited() {
    let d = TestDaemon::start(TestDaemon::root());
    let (c, base) = client(&d);
    let url = format!("{base}/api/v1/whoami");
    assert_eq!(get(&c, &url, None).await.0, 401);
    let token = new_token(&d, &["soon revoked"]);
    assert_eq!(get(&c, &url, Some(&token)).await.0, 200);
    d.lmutil("lmtoken", &["-revoke", "1"]).succeeds();
    assert_eq!(get(&c, &url, Some(&token)).await.0, 401);
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(get(&c, &url, Some("lmu_not-a-token")).await.0);
    }
    assert!(statuses[..9].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[11], 429, "{statuses:?}");
    let good = new_token(&d, &["good"]);
    assert_eq!(get(&c, &url, Some(&good)).await.0, 429, "the address waits");
}

/// A request body over 64 KiB is refused before it is read into memory.
#[tokio::test]
async fn a_request_body_over_the_bound_is_refused() {
    let d = TestDaemon::start(TestDaemon::root());
    let (c, base) = client(&d);
    let token = new_token(&d, &["big"]);
    let name = "x".repeat(70 * 1024);
    let body = json!({"type": "set_settings", "settings": {name: "1"}});
    let answer = c
        .post(format!("{base}/api/v1/request"))
        .bearer_auth(&token)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 413);
}

#[tokio::test]
async fn plain_http_serves_only_the_metrics() {
    let d = TestDaemon::start(TestDaemon::root());
    let plain = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{}", d.http_port);
    let (status, _) = get(&plain, &format!("{base}/metrics"), None).await;
    assert_eq!(status, 200);
    let (status, body) = get(&plain, &format!("{base}/api/v1/whoami"), None).await;
    assert_eq!(status, 403);
    assert!(body.contains("HTTPS"), "{body}");
    let (c, base) = client(&d);
    let (status, body) = get(&c, &format!("{base}/metrics"), None).await;
    assert_eq!(status, 200);
    assert!(body.contains("flexlm_"), "the metrics over HTTPS too");
}

/// Every path of docs/openapi.json answers an admin's token, with a body
/// its documented schema accepts; and every reference in it resolves.
#[tokio::test]
async fn the_openapi_document_is_what_the_server_serves() {
    let text = std::fs::read_to_string(crate::common::repo_path("docs/openapi.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let components = doc["components"]["schemas"].as_object().unwrap();
    for reference in text.match_indices("#/components/schemas/") {
        let rest = &text[reference.0 + reference.1.len()..];
        let name: String = rest.chars().take_while(|c| *c != '"').collect();
        assert!(
            components.contains_key(&name),
            "{name} is referenced, not defined"
        );
    }
    let mut root = json!({"$ref": "#/components/schemas/Response"});
    root["components"] = doc["components"].clone();
    let answers = jsonschema::validator_for(&root).expect("a valid schema");
    assert!(!answers.is_valid(&json!({"type": "pools", "pools": "none"})));
    let d = TestDaemon::start(TestDaemon::root());
    let (c, base) = client(&d);
    let token = new_token(&d, &["reader"]);
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 8, "{paths:?}");
    for (path, methods) in paths {
        let Some(op) = methods.get("get") else {
            continue;
        };
        // The browser's own routes (a session cookie, or none) are
        // tested in tests/login.rs.
        if op
            .get("security")
            .is_some_and(|s| !s.to_string().contains("token"))
        {
            continue;
        }
        let required: Vec<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["required"] == true)
            .map(|p| format!("{}=ann", p["name"].as_str().unwrap()))
            .collect();
        let url = format!("{base}{path}?{}", required.join("&"));
        let (status, body) = get(&c, &url, Some(&token)).await;
        assert_eq!(status, 200, "{path}: {body}");
        if op["responses"]["200"]["content"].get("text/csv").is_some() {
            assert!(body.starts_with("date,feature,"), "{path}: {body}");
            continue;
        }
        let answer: Value = serde_json::from_str(&body).unwrap();
        let errors: Vec<String> = answers
            .iter_errors(&answer)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:?}");
    }
    let change = json!({"type": "set_settings", "settings": {"ud_lease": "30d"}});
    let (status, answer) = post(&c, &format!("{base}/api/v1/request"), &token, change).await;
    assert_eq!(status, 200);
    assert!(answers.is_valid(&answer), "{answer}");
}

/// Polls `GET url` until `done` accepts its JSON answer (the server
/// records on its own clock: asked, not slept on a guess).
async fn wait_for(
    c: &reqwest::Client,
    url: &str,
    token: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (status, body) = get(c, url, Some(token)).await;
        assert_eq!(status, 200, "{url}: {body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        if done(&answer) {
            return answer;
        }
        assert!(std::time::Instant::now() < deadline, "{url}: {answer}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_history_over_https_is_lmhistory_s_json_and_its_csv_file() {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 10)
        .vendor_string(";LT=Retail")
        .install(root.path(), "ccu.lic");
    let d = TestDaemon::start(root);
    d.lmutil("lmsettings", &["-set", "history_sample_period=2s"])
        .succeeds();
    let (c, base) = client(&d);
    let token = new_token(&d, &["reports"]);
    let url = format!("{base}/api/v1/history?feature=XDT_PLT_CCU");
    let answer = wait_for(&c, &url, &token, |h| {
        h["days"].as_array().is_some_and(|d| !d.is_empty())
    })
    .await;
    assert_eq!(answer["type"], "history");
    let cli = d
        .lmutil("lmhistory", &["-f", "XDT_PLT_CCU", "--json"])
        .succeeds()
        .json();
    assert_eq!(
        answer["days"], cli["days"],
        "the route answers what lmhistory shows"
    );
    assert_eq!(answer["days"][0]["installed"], 10, "{answer}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("usage.csv");
    d.lmutil(
        "lmhistory",
        &["-f", "XDT_PLT_CCU", "-export", "-o", file.to_str().unwrap()],
    )
    .succeeds();
    let answer = c
        .get(format!("{base}/api/v1/history.csv?feature=XDT_PLT_CCU"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let header = |name: &str| answer.headers()[name].to_str().unwrap().to_owned();
    assert!(header("content-type").starts_with("text/csv"));
    assert!(header("content-disposition").starts_with("attachment"));
    let bytes = answer.bytes().await.unwrap();
    let written = std::fs::read(&file).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        String::from_utf8_lossy(&written),
        "the route's bytes are the CLI's file"
    );
    assert!(
        written.iter().filter(|b| **b == b'\n').count() >= 2,
        "a day's row"
    );
    let (status, body) = get(
        &c,
        &format!("{base}/api/v1/history.csv?from=soon"),
        Some(&token),
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn events_audit_diagnosis_and_a_user_s_licenses_over_https() {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_UD", 10)
        .vendor_string(";LT=Retail")
        .increment("XDT_PLT_CCU", 5)
        .vendor_string(";LT=Retail")
        .install(root.path(), "two.lic");
    let d = TestDaemon::start(root);
    let mut p = ProductSession::start(Connection::tcp(&d.vendor_addr()).await.unwrap(), "ddc")
        .await
        .unwrap();
    for (user, device) in [("ann", "pc1"), ("ann", "pc2"), ("bob", "pc3")] {
        let args = CheckoutArgs {
            feature: "XDT_PLT_UD",
            version: "2026.0101",
            user,
            device,
            display: device,
            count: 1,
        };
        p.checkout(args).await.unwrap();
    }
    let (c, base) = client(&d);
    let token = new_token(&d, &["console"]);
    let ask = |path: String| {
        let (c, token, url) = (c.clone(), token.clone(), format!("{base}{path}"));
        async move {
            let (status, body) = get(&c, &url, Some(&token)).await;
            (status, serde_json::from_str::<Value>(&body).unwrap())
        }
    };

    let (status, ann) = ask("/api/v1/user-device?name=ANN".into()).await;
    assert_eq!(status, 200, "{ann}");
    let names: Vec<&str> = ann["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ann"], "only ann's, in any case: {ann}");
    let devices: Vec<&str> = ann["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["device"].as_str().unwrap())
        .collect();
    assert_eq!(devices.len(), 2, "{ann}");
    assert!(
        devices.contains(&"pc1") && devices.contains(&"pc2"),
        "{ann}"
    );
    let (status, missing) = ask("/api/v1/user-device".into()).await;
    assert_eq!(
        (status, missing["code"].as_i64()),
        (400, Some(-42)),
        "{missing}"
    );

    let (status, events) =
        ask("/api/v1/events?kinds=granted&feature=XDT_PLT_UD&limit=2".into()).await;
    assert_eq!(status, 200, "{events}");
    let listed = events["events"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{events}");
    assert!(listed.iter().all(|e| e["event"] == "granted"), "{events}");
    let next = events["next"].as_i64().unwrap();
    let (_, rest) = ask(format!(
        "/api/v1/events?kinds=granted&feature=XDT_PLT_UD&after={next}"
    ))
    .await;
    assert_eq!(rest["events"].as_array().unwrap().len(), 1, "{rest}");
    let (status, bad) = ask("/api/v1/events?kinds=nonsense".into()).await;
    assert_eq!(status, 400, "{bad}");
    let (status, bad) = ask("/api/v1/events?colour=blue".into()).await;
    assert_eq!(status, 400, "{bad}");
    assert!(bad["reason"].as_str().unwrap().contains("colour"), "{bad}");

    let release =
        json!({"type": "release", "feature": "XDT_PLT_UD", "user": "bob", "device": null});
    let (status, answer) = post(&c, &format!("{base}/api/v1/request"), &token, release).await;
    assert_eq!(status, 200, "{answer}");
    let (status, audit) = ask("/api/v1/audit?kinds=released".into()).await;
    assert_eq!(status, 200, "{audit}");
    let changes = audit["events"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{audit}");
    assert_eq!(changes[0]["user"], "bob");
    assert!(
        changes[0]["by"].as_str().unwrap().ends_with("(token 1)"),
        "{audit}"
    );
    let (_, all) = ask("/api/v1/audit".into()).await;
    let kinds: Vec<&str> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"licenses_read") && kinds.contains(&"token_created"),
        "{kinds:?}"
    );
    assert!(
        !kinds.contains(&"granted"),
        "grants are not changes: {kinds:?}"
    );
    let (status, _) = ask("/api/v1/audit?kinds=granted".into()).await;
    assert_eq!(status, 400);

    let (status, diagnosis) = ask("/api/v1/diagnosis?feature=XDT_PLT_CCU".into()).await;
    assert_eq!(status, 200, "{diagnosis}");
    assert_eq!(diagnosis["type"], "diagnosis");
    let lines = diagnosis["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{diagnosis}");
    assert_eq!(lines[0]["feature"], "XDT_PLT_CCU");
    assert_eq!(lines[0]["can_check_out"], true, "{diagnosis}");
}

/// `POST /api/v1/licenses?QUERY` with `body`: the status and the JSON answer.
async fn upload(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    query: &str,
    body: &str,
) -> (u16, Value) {
    let answer = c
        .post(format!("{base}/api/v1/licenses?{query}"))
        .bearer_auth(token)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (
        status,
        serde_json::from_str(&answer.text().await.unwrap()).unwrap(),
    )
}

/// The names in the license directory.
fn license_dir(d: &TestDaemon) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(d.root.path().join("licenses"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn an_uploaded_license_file_is_installed_audited_listed_and_serves_a_checkout() {
    let root = TestDaemon::root();
    let text = License::new()
        .increment("XDT_PLT_CCU", 3)
        .vendor_string(";LT=Retail")
        .signed_text(root.path(), None);
    let d = TestDaemon::start(root);
    let (c, base) = client(&d);
    let token = new_token(&d, &["installer"]);
    let mut p = ProductSession::start(Connection::tcp(&d.vendor_addr()).await.unwrap(), "ddc")
        .await
        .unwrap();
    let ccu = CheckoutArgs {
        feature: "XDT_PLT_CCU",
        version: "2026.0101",
        user: "ann",
        device: "pc1",
        display: "pc1",
        count: 1,
    };
    assert!(
        p.checkout(ccu.clone()).await.is_err(),
        "nothing serves it yet"
    );

    let (status, answer) = upload(&c, &base, &token, "name=ccu_2026.lic", &text).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["type"], "license_installed");
    assert_eq!(answer["file"], "ccu_2026.lic");
    assert_eq!(answer["replaced"], false);
    assert_eq!(answer["lines"][0]["feature"], "XDT_PLT_CCU", "{answer}");
    assert_eq!(answer["lines"][0]["serving"], true, "{answer}");
    assert_eq!(
        license_dir(&d),
        ["ccu_2026.lic"],
        "no temporary file is left"
    );
    assert_eq!(
        std::fs::read_to_string(d.root.path().join("licenses/ccu_2026.lic")).unwrap(),
        text
    );
    p.checkout(ccu)
        .await
        .expect("the installed file serves a checkout");

    let (status, again) = upload(&c, &base, &token, "name=ccu_2026.lic", &text).await;
    assert_eq!(status, 400, "never overwritten unless asked: {again}");
    assert!(
        again["reason"].as_str().unwrap().contains("replace"),
        "{again}"
    );
    let (status, replaced) =
        upload(&c, &base, &token, "name=ccu_2026.lic&replace=true", &text).await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["replaced"], true);

    let (status, body) = get(&c, &format!("{base}/api/v1/licenses?days=30"), Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let listed: Value = serde_json::from_str(&body).unwrap();
    let files = listed["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{listed}");
    assert_eq!(files[0]["name"], "ccu_2026.lic");
    assert_eq!(files[0]["read"], true);
    assert_eq!(files[0]["size"], text.len());

    let audit = d
        .lmutil("lmaudit", &["-kind", "install", "--json"])
        .succeeds()
        .json();
    let installs = audit["events"].as_array().unwrap();
    assert_eq!(installs.len(), 2, "{audit}");
    assert_eq!(installs[0]["file"], "ccu_2026.lic");
    assert_eq!(installs[0]["features"], json!(["XDT_PLT_CCU"]));
    assert_eq!(installs[1]["replaced"], true);
    assert!(
        installs[0]["by"].as_str().unwrap().ends_with("(token 1)"),
        "audited as the token's: {audit}"
    );
}

#[tokio::test]
async fn a_bad_signature_a_syntax_error_a_foreign_host_or_a_path_is_refused_and_nothing_is_written()
{
    let root = TestDaemon::root();
    let other = root.path().join("other");
    crate::common::lmutil(["lmcrypt".as_ref(), "--genkey".as_ref(), other.as_os_str()]).succeeds();
    let ccu = License::new().increment("XDT_PLT_CCU", 3);
    let good = ccu.signed_text(root.path(), None);
    let forged = ccu.signed_text(root.path(), Some(&other.join("vendor.key")));
    let elsewhere = License::new()
        .server_host("another-host")
        .increment("XDT_PLT_CCU", 3)
        .signed_text(root.path(), None);
    let broken = good.replace(
        "INCREMENT XDT_PLT_CCU CITRIX 2026.1201",
        "INCREMENT XDT_PLT_CCU CITRIX 2026.1201 31-foo-2026",
    );
    let d = TestDaemon::start(root);
    let (c, base) = client(&d);
    let token = new_token(&d, &["installer"]);
    let before = license_dir(&d);
    for (query, body, status, code, says) in [
        (
            "name=forged.lic",
            &forged,
            422,
            -8,
            "line 3 (XDT_PLT_CCU): invalid license key",
        ),
        ("name=broken.lic", &broken, 422, -2, "line 3, column"),
        (
            "name=elsewhere.lic",
            &elsewhere,
            422,
            -9,
            "bound to another host",
        ),
        ("name=../escape.lic", &good, 400, -42, "without a directory"),
        ("name=sub%2Fx.lic", &good, 400, -42, "without a directory"),
        ("name=notes.txt", &good, 400, -42, "must end in `.lic`"),
        ("replace=true", &good, 400, -42, "name: required"),
    ] {
        let (got, answer) = upload(&c, &base, &token, query, body).await;
        assert_eq!(
            (got, answer["code"].as_i64()),
            (status, Some(code)),
            "{query}: {answer}"
        );
        let reason = answer["reason"].as_str().unwrap();
        assert!(reason.contains(says), "{query}: {reason}");
    }
    let huge = format!("{good}{}", "# padding\n".repeat(30_000));
    let (got, answer) = upload(&c, &base, &token, "name=huge.lic", &huge).await;
    assert_eq!((got, answer["code"].as_i64()), (400, Some(-12)), "{answer}");
    assert_eq!(license_dir(&d), before, "nothing was written");
    assert!(d.root.path().join("escape.lic").metadata().is_err());
    let audit = d
        .lmutil("lmaudit", &["-kind", "install", "--json"])
        .succeeds()
        .json();
    assert_eq!(audit["events"], json!([]), "nothing installed: {audit}");
}

#[tokio::test]
async fn a_user_token_may_list_the_license_files_but_not_install_one() {
    let root = TestDaemon::root();
    let text = License::new()
        .increment("XDT_PLT_CCU", 3)
        .signed_text(root.path(), None);
    let d = TestDaemon::start(root);
    let (c, base) = client(&d);
    let account = format!("{}\\reporting", hostname());
    d.lmutil(
        "CtxManageUserAndGroup",
        &["-useradd", &account, "-Role", "user"],
    )
    .succeeds();
    let token = new_token(&d, &["reports", "-account", &account]);
    let (status, answer) = upload(&c, &base, &token, "name=ccu.lic", &text).await;
    assert_eq!(
        (status, answer["code"].as_i64()),
        (403, Some(-63)),
        "{answer}"
    );
    assert!(
        answer["reason"]
            .as_str()
            .unwrap()
            .contains("needs the admin role"),
        "{answer}"
    );
    let request = json!({"type": "install_license", "file_name": "ccu.lic", "content": text});
    let (status, answer) = post(&c, &format!("{base}/api/v1/request"), &token, request).await;
    assert_eq!(status, 403, "{answer}");
    assert!(license_dir(&d).is_empty());
    let (status, body) = get(&c, &format!("{base}/api/v1/licenses"), Some(&token)).await;
    assert_eq!(status, 200, "{body}");
}
