//! The web services against a real lmgrd: HTTPS on the HTTP port with the
//! self-signed certificate lmgrd made (its fingerprint in the status file),
//! API tokens made with `lmutil lmtoken`, requests of the protocol
//! authorised by the token's account's role, changes audited as the
//! token's, failures rate-limited, and plain HTTP limited to /metrics.

use serde_json::{Value, json};

use crate::common::{TestDaemon, hostname};

/// A client that trusts the daemon's own certificate, and the base URL.
fn client(d: &TestDaemon) -> (reqwest::Client, String) {
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
        if methods.get("get").is_none() {
            continue;
        }
        let (status, body) = get(&c, &format!("{base}{path}"), Some(&token)).await;
        assert_eq!(status, 200, "{path}: {body}");
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
