//! lmsettings against a real lmgrd: the defaults listed, changes made all
//! at once or not at all, by administrators on the server's host only,
//! kept across restarts and crashes, and acted on at once.

use lmutil::client::{CheckoutArgs, ClientError, Connection, ProductSession};

use crate::common::{License, Run, TestDaemon, lmutil, require_root};

/// One retail CCU license: burst mode may serve a second device.
fn daemon() -> TestDaemon {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 1)
        .vendor_string(";LT=Retail;GP=720")
        .install(root.path(), "ccu.lic");
    TestDaemon::start(root)
}

fn settings(d: &TestDaemon, args: &[&str]) -> Run {
    d.lmutil("lmsettings", args)
}

/// Every setting's value, by name, as `-list --json` gives them.
fn values(d: &TestDaemon) -> Vec<(String, String)> {
    let json = settings(d, &["-list", "--json"]).succeeds().json();
    json["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let text = |k: &str| s[k].as_str().unwrap().to_owned();
            (text("name"), text("value"))
        })
        .collect()
}

fn value(d: &TestDaemon, name: &str) -> String {
    let all = values(d);
    let found = all.iter().find(|(n, _)| n == name);
    found
        .unwrap_or_else(|| panic!("no {name} in {all:?}"))
        .1
        .clone()
}

fn device(name: &str) -> CheckoutArgs<'_> {
    CheckoutArgs {
        feature: "XDT_PLT_CCU",
        version: "2026.0101",
        user: "jack",
        device: name,
        display: name,
        count: 1,
    }
}

#[test]
fn the_defaults_are_listed_as_a_table_and_as_json() {
    let d = daemon();
    let table = settings(&d, &["-list"]).succeeds().stdout();
    for row in [
        ["burst_mode", "on"],
        ["UDUseDomain", "0"],
        ["UDUserNameCase", "insensitive"],
        ["ud_lease", "90d"],
        ["reconnect_window", "1d"],
        ["history_sample_period", "15m"],
        ["history_retention", "180d"],
        ["renewal_check", "notify"],
        ["proxy", "none"],
        ["console_language", "en"],
        ["remote_read", "flexnet"],
    ] {
        let line = table.lines().find(|l| l.contains(&format!(" {} ", row[0])));
        let line = line.unwrap_or_else(|| panic!("no {} in\n{table}", row[0]));
        assert!(line.contains(&format!(" {} ", row[1])), "{line}");
    }
    assert!(table.contains("[stored only]"), "{table}");
    let json = settings(&d, &["-list", "--json"]).succeeds().json();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["changed"], serde_json::json!([]));
    let every = json["settings"].as_array().unwrap();
    assert_eq!(every.len(), 12);
    assert!(
        every.iter().all(|s| s["value"] == s["default"]),
        "{every:?}"
    );
}

#[test]
fn changes_are_listed_kept_across_restarts_and_crashes() {
    let d = daemon();
    let out = settings(
        &d,
        &[
            "-set",
            "burst_mode=off",
            "udusedomain=1",
            "SLSProxy=http://proxy.example.com:3128",
            "console_language=ja",
            "ud_lease=30",
        ],
    )
    .succeeds()
    .stdout();
    assert!(
        out.starts_with("Changed: burst_mode, UDUseDomain, ud_lease, proxy, console_language\n"),
        "{out}"
    );
    assert_eq!(value(&d, "burst_mode"), "off");
    assert_eq!(value(&d, "UDUseDomain"), "1");
    assert_eq!(value(&d, "proxy"), "http://proxy.example.com:3128");
    assert_eq!(value(&d, "console_language"), "ja");
    assert_eq!(value(&d, "ud_lease"), "30d");
    let before = values(&d);
    let (status, root) = d.terminate();
    assert!(status.success(), "{status:?}");
    let d = TestDaemon::start(root);
    assert_eq!(values(&d), before, "after a restart");
    settings(&d, &["-set", "history_retention=365d"]).succeeds();
    let before = values(&d);
    let d = TestDaemon::start(d.kill());
    assert_eq!(values(&d), before, "after kill -9");
    assert!(
        d.debug_log()
            .contains("Settings changed: history_retention=365d")
    );
}

#[test]
fn a_bad_value_or_an_unknown_name_changes_nothing_and_says_which() {
    let d = daemon();
    let before = values(&d);
    let bad = settings(&d, &["-set", "burst_mode=off", "ud_lease=forever"])
        .fails_with_code(256 - 42)
        .stderr();
    assert!(
        bad.contains("ud_lease: `forever` is not a valid value"),
        "{bad}"
    );
    let unknown = settings(&d, &["-set", "burst_mode=off", "colour=blue"])
        .fails_with_code(256 - 42)
        .stderr();
    assert!(unknown.contains("unknown setting `colour`"), "{unknown}");
    settings(&d, &["-set", "burst_mode"])
        .fails_with_code(2)
        .stderr_has("expected NAME=VALUE");
    assert_eq!(values(&d), before);
}

#[test]
fn a_remote_client_may_neither_list_nor_change_settings() {
    let d = daemon();
    let server = format!("{}@127.0.0.1", d.lm_port);
    for args in [vec!["-list"], vec!["-set", "burst_mode=off"]] {
        let mut all = vec!["lmsettings", "-c", &server];
        all.extend(args);
        lmutil(all).fails_with_code(256 - 63).stderr_has("only");
    }
    assert_eq!(value(&d, "burst_mode"), "on");
}

/// A local account that is not an admin reads the settings but may not
/// change them. Needs root to run lmutil as another user.
#[test]
fn a_non_admin_local_account_may_list_but_not_change() {
    require_root("to run lmutil as another user (runuser -u nobody)");
    let d = daemon();
    let as_nobody = |args: &[&str]| d.lmutil_as_nobody("lmsettings", args);
    as_nobody(&["-list"]).succeeds().stdout_has("burst_mode");
    as_nobody(&["-set", "burst_mode=off"])
        .fails_with_code(256 - 63)
        .stderr_has("changing settings needs the admin role");
    assert_eq!(value(&d, "burst_mode"), "on");
}

/// Turning burst mode off refuses the next over-limit checkout, without
/// a restart; turning it on again grants it.
#[tokio::test]
async fn a_change_takes_effect_at_once() {
    let d = daemon();
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
    p.checkout(device("desk1")).await.unwrap();
    settings(&d, &["-set", "burst_mode=off"]).succeeds();
    match p.checkout(device("desk2")).await {
        Err(ClientError::Refused(e)) => assert_eq!(e.code.number(), -4, "{e:?}"),
        other => panic!("expected -4 with burst mode off, got {other:?}"),
    }
    settings(&d, &["-set", "burst_mode=on"]).succeeds();
    p.checkout(device("desk2")).await.unwrap();
}

/// UDUseDomain=1 counts one name in two domains as two users (the second
/// finds no license); back to 0, they are one user again, at once.
#[tokio::test]
async fn use_domain_changes_who_counts_as_one_user_at_once() {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_UD", 1)
        .vendor_string(";LT=Eval")
        .install(root.path(), "ud.lic");
    let d = TestDaemon::start(root);
    settings(&d, &["-set", "UDUseDomain=1"]).succeeds();
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
    let ud = |user: &'static str, device: &'static str| CheckoutArgs {
        feature: "XDT_PLT_UD",
        user,
        ..self::device(device)
    };
    p.checkout(ud("MYCO\\jack", "pc1")).await.unwrap();
    match p.checkout(ud("OTHER\\jack", "pc2")).await {
        Err(ClientError::Refused(e)) => assert_eq!(e.code.number(), -4, "{e:?}"),
        other => panic!("expected -4 for a second user, got {other:?}"),
    }
    settings(&d, &["-set", "UDUseDomain=0"]).succeeds();
    p.checkout(ud("OTHER\\jack", "pc2")).await.unwrap();
}

/// remote_read=products_only refuses lmstat over the network while a
/// product is still served; flexnet, the default, gives lmstat its status
/// back. (with_connections is shown by the handlers' tests.)
#[tokio::test]
async fn remote_read_decides_what_lmstat_reads_over_the_network() {
    let d = daemon();
    let server = format!("{}@127.0.0.1", d.lm_port);
    let lmstat = || lmutil(["lmstat", "-a", "-c", &server]);
    lmstat().succeeds().stdout_has("Users of XDT_PLT_CCU:");
    settings(&d, &["-set", "remote_read=products_only"]).succeeds();
    lmstat()
        .fails_with_code(256 - 63)
        .stderr_has("the remote_read setting is products_only");
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
    p.checkout(device("desk1")).await.unwrap();
    settings(&d, &["-set", "remote_read=flexnet"]).succeeds();
    lmstat().succeeds().stdout_has("1 license in use");
}
