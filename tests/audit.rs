//! The audit: every change made to a real lmgrd — a release, a reread, a
//! settings change, an account given and taken a role, an API token
//! created and revoked, a shutdown — is
//! listed by `lmaudit` with who asked (the operating system's name for
//! the caller) and when; a refused attempt is not; and a released
//! user/device assignment never comes back, through restarts, a SIGKILL,
//! rereads and name settings that re-key the connections.

use chrono::{DateTime, Local};
use lmutil::client::{CheckoutArgs, Connection, ProductSession};
use lmutil::protocol::{Request, Response};
use serde_json::Value;

use crate::common::{License, Masks, Run, TestDaemon, assert_golden, require_root, squeezed};

const UD: &str = "XDT_PLT_UD";

fn root_with_licenses() -> tempfile::TempDir {
    let root = TestDaemon::root();
    License::new()
        .increment(UD, 10)
        .vendor_string(";LT=Retail")
        .install(root.path(), "ud.lic");
    root
}

/// Who the daemon takes this process for (`host\user`).
async fn whoami(d: &TestDaemon) -> String {
    let mut c = Connection::unix(&d.socket).await.unwrap();
    match c.request(Request::Whoami).await.unwrap() {
        Response::Identity { name, .. } => name,
        other => panic!("{other:?}"),
    }
}

/// A product session that has checked out `UD` for each (user, device).
async fn product(d: &TestDaemon, who: &[(&str, &str)]) -> (ProductSession, Vec<u64>) {
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
    let mut handles = Vec::new();
    for (user, device) in who {
        let args = CheckoutArgs {
            feature: UD,
            version: "2026.0101",
            user,
            device,
            display: device,
            count: 1,
        };
        handles.push(p.checkout(args).await.unwrap());
    }
    (p, handles)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `lmaudit --json` with `args`: its events.
fn audit(d: &TestDaemon, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let json = d.lmutil("lmaudit", &all).succeeds().json();
    json["events"].as_array().unwrap().clone()
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn every_change_is_listed_with_who_asked_and_when() {
    let mut d = TestDaemon::start_with(root_with_licenses(), &["--allow-lmdown"]);
    let me = whoami(&d).await;
    let before = now();
    let (mut p, handles) = product(&d, &[("ann", "pc1")]).await;
    p.checkin(handles[0]).await.unwrap();
    d.lmutil("udadmin", &["-f", UD, "-user", "ann", "-delete"])
        .succeeds();
    d.lmutil("lmreread", &[]).succeeds();
    d.lmutil("lmsettings", &["-set", "UD_Lease=30d"]).succeeds();
    let account = "MYCO\\Auditor";
    d.lmutil(
        "CtxManageUserAndGroup",
        &["-useradd", account, "-Role", "admin"],
    )
    .succeeds();
    d.lmutil("CtxManageUserAndGroup", &["-userdel", account])
        .succeeds();
    d.lmutil("lmtoken", &["-create", "audit test", "-expires", "30"])
        .succeeds();
    d.lmutil("lmtoken", &["-revoke", "1"]).succeeds();
    d.lmutil("lmdown", &["-q"]).succeeds();
    assert!(d.child.wait().unwrap().success());
    let after = now();
    // Read back after a restart: the audit is as durable as the changes.
    let d = TestDaemon::start(d.kill());
    let events = audit(&d, &[]);
    assert_eq!(
        kinds(&events),
        [
            "licenses_read",
            "released",
            "licenses_read",
            "settings_changed",
            "account_set",
            "account_removed",
            "token_created",
            "token_revoked",
            "shutdown_requested",
            "licenses_read",
        ],
        "{events:#?}"
    );
    // The reads at start were asked by no one; every change, by this
    // process's account, between the times around it.
    let (first, last) = (&events[0], &events[9]);
    assert!(first["by"].is_null() && last["by"].is_null(), "{events:#?}");
    for e in &events[1..9] {
        assert_eq!(e["by"], me.as_str(), "{e}");
        let at = e["at"].as_i64().unwrap();
        assert!(
            before <= at && at <= after,
            "{e}: not in {before}..={after}"
        );
    }
    assert_eq!(events[1]["user"], "ann");
    assert_eq!(events[1]["device"], "pc1");
    assert_eq!(events[3]["changes"], serde_json::json!(["ud_lease=30d"]));
    assert_eq!(events[4]["name"], account);
    assert_eq!(events[4]["role"], "admin");
    assert_eq!(events[6]["name"], "audit test");
    assert_eq!(events[6]["account"], me.as_str());
    assert!(events[6].get("digest").is_none(), "{}", events[6]);
    assert_eq!(events[7]["id"], events[6]["id"]);
    assert_eq!(events[8]["vendor"], false);

    // Filters: by kind, by account (whole or its user alone), feature, dates.
    let accounts = audit(&d, &["-kind", "account"]);
    assert_eq!(kinds(&accounts), ["account_set", "account_removed"]);
    let two = audit(&d, &["-kind", "release,shutdown"]);
    assert_eq!(kinds(&two), ["released", "shutdown_requested"]);
    assert_eq!(audit(&d, &["-by", &me]).len(), 8);
    let user = me.rsplit('\\').next().unwrap();
    assert_eq!(audit(&d, &["-by", &user.to_uppercase()]).len(), 8);
    assert!(audit(&d, &["-by", "MYCO\\someone-else"]).is_empty());
    assert_eq!(kinds(&audit(&d, &["-f", UD])), ["released"]);
    let day = |t: i64, days: i64| local(t + days * 86_400).format("%Y-%m-%d").to_string();
    assert!(audit(&d, &["-since", &day(after, 1)]).is_empty());
    assert!(audit(&d, &["-until", &day(before, -1)]).is_empty());
    assert_eq!(
        audit(&d, &["-since", &day(before, 0), "-until", &day(after, 0)]).len(),
        10
    );
    d.lmutil("lmaudit", &["-since", "last week"])
        .fails_with_code(2)
        .stderr_has("not a date");

    // The table, with the times and who asked masked.
    let table = d.lmutil("lmaudit", &[]).succeeds().stdout();
    let mut masks = Masks::daemon(&d).with(user, "{USER}");
    let expires = events[6]["expires"].as_i64().unwrap();
    let times = events.iter().map(|e| e["at"].as_i64().unwrap());
    for t in times.chain([expires]) {
        let date = local(t).format("%Y-%m-%d");
        masks = masks.with(date.to_string(), "{DATE}");
    }
    assert_golden("lmaudit.txt", &masks, &squeezed(&table));
    let none = d.lmutil("lmaudit", &["-by", "nobody-at-all"]).succeeds();
    assert_eq!(none.stdout(), "No change matches.\n");

    // udadmin -events says who released.
    let released = format!("{UD} released: user ann device pc1 (by {me})");
    d.lmutil("udadmin", &["-events"])
        .succeeds()
        .stdout_has(&released);
}

/// `lmdown -vendor` stops only the vendor daemon; it is listed as such,
/// and the `lmreread -vendor` that restarts it as a reread.
#[tokio::test]
async fn stopping_the_vendor_daemon_is_listed() {
    let d = TestDaemon::start_with(root_with_licenses(), &["--allow-lmdown"]);
    let me = whoami(&d).await;
    d.lmutil("lmdown", &["-q", "-vendor", "CITRIX"]).succeeds();
    d.lmutil("lmreread", &["-vendor", "CITRIX"]).succeeds();
    let events = audit(&d, &["-kind", "shutdown,reread", "-by", &me]);
    assert_eq!(kinds(&events), ["shutdown_requested", "licenses_read"]);
    assert_eq!(events[0]["vendor"], true);
    d.lmutil("lmaudit", &["-kind", "shutdown"])
        .succeeds()
        .stdout_has("vendor daemon CITRIX stopped");
}

fn local(t: i64) -> DateTime<Local> {
    DateTime::from_timestamp(t, 0)
        .unwrap()
        .with_timezone(&Local)
}

/// A local account without the admin role is refused every change, and
/// its attempts are not changes: the audit lists none of them. Needs root
/// to run lmutil as another user.
#[test]
fn refused_changes_are_not_listed() {
    require_root("to run lmutil as another user (runuser -u nobody)");
    let d = TestDaemon::start_with(root_with_licenses(), &["--allow-lmdown"]);
    let as_nobody = |args: &[&str]| -> Run { d.lmutil_as_nobody(args[0], &args[1..]) };
    let attempts: [&[&str]; 6] = [
        &["lmreread"],
        &["udadmin", "-user", "ann", "-delete"],
        &["lmsettings", "-set", "ud_lease=30d"],
        &[
            "CtxManageUserAndGroup",
            "-useradd",
            "x\\y",
            "-Role",
            "admin",
        ],
        &["CtxManageUserAndGroup", "-userdel", "x\\y"],
        &["lmdown", "-q"],
    ];
    for attempt in attempts {
        as_nobody(attempt)
            .fails_with_code(256 - 63)
            .stderr_has("has the user role");
    }
    // Nor over TCP, from a remote client.
    let remote = format!("{}@127.0.0.1", d.lm_port);
    d.lmutil("lmreread", &[]).succeeds();
    let tcp: [&[&str]; 2] = [
        &["lmreread", "-c", &remote],
        &["lmdown", "-c", &remote, "-q"],
    ];
    for attempt in tcp {
        crate::common::lmutil(attempt).fails_with_code(256 - 63);
    }
    // Reading the audit is allowed; it holds only the read at start and
    // the administrator's reread.
    let json = as_nobody(&["lmaudit", "--json"]).succeeds().json();
    let events = json["events"].as_array().unwrap();
    assert_eq!(
        kinds(events),
        ["licenses_read", "licenses_read"],
        "{events:#?}"
    );
    assert!(events[0]["by"].is_null());
    assert!(events[1]["by"].as_str().is_some(), "{events:#?}");
    let stat = d.lmutil("lmstat", &["-a"]).succeeds();
    assert!(stat.stdout().contains("CITRIX: UP"), "{}", stat.stdout());
}

/// Who holds a `UD` license, as `udadmin -list --json` and `lmstat
/// --json` show it (they must agree), and the users and devices of the
/// server's user/device connections (what `udadmin -export` writes).
async fn holders(d: &TestDaemon) -> (Vec<String>, Vec<String>) {
    let names = |json: Value| {
        let mut names: Vec<String> = json["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    let listed = names(d.lmutil("udadmin", &["-list", "--json"]).succeeds().json());
    let stat = names(d.lmutil("lmstat", &["-a", "--json"]).succeeds().json());
    assert_eq!(listed, stat, "udadmin and lmstat disagree");
    let connections = d.status().await.connections.into_iter();
    let named = connections.flat_map(|c| [c.user, c.device]);
    (listed, named.collect())
}

/// Whether `name` (a user or a device) holds a license or has a
/// connection.
async fn shown(d: &TestDaemon, name: &str) -> bool {
    let (names, users) = holders(d).await;
    names.iter().chain(&users).any(|n| n == name)
}

#[tokio::test]
async fn a_released_assignment_never_comes_back() {
    let d = TestDaemon::start(root_with_licenses());
    // ann: idle when released. bob: in session when released, so he keeps
    // his license until the session checks in. The kiosk: a device two
    // users used, released as a device. carl stays throughout.
    let who = [
        ("ann", "pc1"),
        ("bob", "pc2"),
        ("carl", "pc3"),
        ("dora", "kiosk"),
        ("eve", "kiosk"),
    ];
    let (mut p, handles) = product(&d, &who).await;
    for h in [handles[0], handles[2], handles[3], handles[4]] {
        p.checkin(h).await.unwrap();
    }
    for user in ["ann", "bob"] {
        d.lmutil("udadmin", &["-user", user, "-delete"]).succeeds();
    }
    d.lmutil("udadmin", &["-f", UD, "-device", "kiosk", "-delete"])
        .succeeds();
    for name in ["kiosk", "dora", "eve"] {
        assert!(!shown(&d, name).await, "{name}");
    }
    assert!(!shown(&d, "ann").await);
    assert!(shown(&d, "bob").await, "an open session keeps its license");
    p.checkin(handles[1]).await.unwrap();
    assert!(!shown(&d, "bob").await);
    assert!(shown(&d, "carl").await);
    drop(p);

    let (status, root) = d.terminate();
    assert!(status.success());
    let d = TestDaemon::start(root);
    gone(&d, "a restart").await;
    let d = TestDaemon::start(d.kill());
    gone(&d, "SIGKILL").await;
    d.lmutil("lmreread", &[]).succeeds();
    gone(&d, "a reread").await;
    for setting in [
        "UDUserNameCase=sensitive",
        "UDDeviceNameCase=sensitive",
        "UDUseDomain=true",
        "UDUserNameCase=insensitive",
        "UDDeviceNameCase=insensitive",
        "UDUseDomain=false",
    ] {
        d.lmutil("lmsettings", &["-set", setting]).succeeds();
        gone(&d, setting).await;
    }
    let d = TestDaemon::start(d.kill());
    gone(&d, "re-keying, then SIGKILL").await;
}

/// The released users are shown nowhere; the one never released still is.
async fn gone(d: &TestDaemon, after: &str) {
    for name in ["ann", "bob", "kiosk", "dora", "eve"] {
        assert!(!shown(d, name).await, "{name} came back after {after}");
    }
    assert!(shown(d, "carl").await, "carl went after {after}");
}
