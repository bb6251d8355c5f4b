//! lmtoken against a real lmgrd: API tokens created by administrators on
//! the server's host, shown once, kept only as digests, listed, revoked for
//! good, and kept across a crash.

use crate::common::{Run, TestDaemon, hostname, lmutil, require_root};

fn daemon() -> TestDaemon {
    TestDaemon::start(TestDaemon::root())
}

fn token(d: &TestDaemon, args: &[&str]) -> Run {
    d.lmutil("lmtoken", args)
}

/// The tokens `-list --json` lists, as (id, name, account).
fn listed(d: &TestDaemon) -> Vec<(u64, String, String)> {
    let json = token(d, &["-list", "--json"]).succeeds().json();
    json["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let text = |k: &str| t[k].as_str().unwrap().to_owned();
            (t["id"].as_u64().unwrap(), text("name"), text("account"))
        })
        .collect()
}

#[test]
fn a_token_is_shown_once_and_kept_only_as_its_digest() {
    let d = daemon();
    let made = token(&d, &["-create", "nightly report", "--json"])
        .succeeds()
        .json();
    let secret = made["created"]["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("lmu_") && secret.len() == 68, "{secret}");
    let me = whoami();
    assert_eq!(made["created"]["token"]["account"], me.as_str());
    assert_eq!(made["created"]["token"]["created_by"], me.as_str());
    assert!(made["created"]["token"]["expires"].is_null());
    assert_eq!(listed(&d), [(1, "nightly report".to_owned(), me.clone())]);
    let list = token(&d, &["-list"]).succeeds().stdout();
    assert!(list.contains("nightly report") && !list.contains(&secret));
    // Neither the database nor its log holds the secret; the digest is there.
    let digest = digest_of(&secret);
    let mut stored = Vec::new();
    for file in ["state.db", "state.db-wal"] {
        stored.extend(std::fs::read(d.root.path().join("data").join(file)).unwrap_or_default());
    }
    let holds = |needle: &str| stored.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!holds(&secret), "the secret is stored");
    assert!(holds(&digest), "the digest is not stored");
    // Text output says to keep it now.
    let text = token(&d, &["-create", "second"]).succeeds().stdout();
    assert!(
        text.contains("lmu_") && text.contains("cannot show it again"),
        "{text}"
    );
}

/// This account, as the server names it.
fn whoami() -> String {
    let uid = nix::unistd::getuid();
    let user = nix::unistd::User::from_uid(uid).unwrap().unwrap();
    format!("{}\\{}", hostname(), user.name)
}

/// SHA-256 of the token's text, lowercase hex: what the server keeps.
fn digest_of(secret: &str) -> String {
    use sha2::Digest;
    let bytes = sha2::Sha256::digest(secret.as_bytes());
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn tokens_expire_act_as_accounts_with_a_role_and_are_revoked_for_good() {
    let d = daemon();
    let made = token(&d, &["-create", "ci", "-expires", "30", "--json"])
        .succeeds()
        .json();
    let t = &made["created"]["token"];
    let span = t["expires"].as_i64().unwrap() - t["created"].as_i64().unwrap();
    assert_eq!(span, 30 * 86_400);
    token(&d, &["-create", "x", "-expires", "0"]).fails_with_code(2);
    // Another account needs a role first.
    let other = format!("{}\\reporting", hostname());
    token(&d, &["-create", "for reporting", "-account", &other])
        .fails_with_code(256 - 42)
        .stderr_has("has no role");
    d.lmutil(
        "CtxManageUserAndGroup",
        &["-useradd", &other, "-Role", "user"],
    )
    .succeeds();
    token(&d, &["-create", "for reporting", "-account", &other]).succeeds();
    let ids: Vec<u64> = listed(&d).iter().map(|t| t.0).collect();
    assert_eq!(ids, [1, 2]);
    token(&d, &["-revoke", "1"])
        .succeeds()
        .stdout_has("API token 1 revoked");
    token(&d, &["-revoke", "1"])
        .fails_with_code(256 - 42)
        .stderr_has("no token 1");
    // A crash keeps what was done; a revoked number is not given again.
    let d = TestDaemon::start(d.kill());
    assert_eq!(listed(&d), [(2, "for reporting".to_owned(), other)]);
    let made = token(&d, &["-create", "after", "--json"]).succeeds().json();
    assert_eq!(made["created"]["token"]["id"], 3);
}

#[test]
fn a_remote_client_may_not_touch_tokens() {
    let d = daemon();
    let server = format!("{}@127.0.0.1", d.lm_port);
    for args in [vec!["-list"], vec!["-create", "x"], vec!["-revoke", "1"]] {
        let mut all = vec!["lmtoken", "-c", &server];
        all.extend(args);
        lmutil(all).fails_with_code(256 - 63).stderr_has("only");
    }
}

/// A local account without the admin role may neither list nor create
/// tokens. Needs root to run lmutil as another user.
#[test]
fn a_non_admin_local_account_may_not_touch_tokens() {
    require_root("to run lmutil as another user (runuser -u nobody)");
    let d = daemon();
    for args in [["-list"].as_slice(), &["-create", "mine"]] {
        d.lmutil_as_nobody("lmtoken", args)
            .fails_with_code(256 - 63)
            .stderr_has("needs the admin role");
    }
    assert!(listed(&d).is_empty());
}
