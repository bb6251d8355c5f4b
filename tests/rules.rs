//! Licensing rules that never bend, against a real lmgrd: a release never
//! lets a pool be over-used, across restarts too, and a checkout that
//! cannot be served says why.

use lmutil::client::{CheckoutArgs, ClientError, Connection, ProductSession};

use crate::common::{License, TestDaemon, lmutil};

/// One user/device license: no overdraft (10% of 1), no burst mode (not
/// retail).
fn one_ud() -> License {
    License::new()
        .increment("XDT_PLT_UD", 1)
        .vendor_string(";LT=Eval")
}

fn args<'a>(feature: &'a str, user: &'a str, device: &'a str) -> CheckoutArgs<'a> {
    CheckoutArgs {
        feature,
        version: "2026.0101",
        user,
        device,
        display: device,
        count: 1,
    }
}

fn udadmin(d: &TestDaemon, args: &[&str]) -> crate::common::Run {
    let socket = d.socket.to_str().unwrap().to_owned();
    let mut all = vec!["udadmin", "-c", &socket];
    all.extend_from_slice(args);
    lmutil(all)
}

/// The FlexNet error number a refused checkout got.
fn refused(r: Result<u64, ClientError>) -> i32 {
    match r {
        Err(ClientError::Refused(e)) => e.code.number(),
        other => panic!("expected a refusal: {other:?}"),
    }
}

async fn in_use(d: &TestDaemon, feature: &str) -> u64 {
    let s = d.status().await;
    s.pools
        .iter()
        .filter(|p| p.key.feature == feature)
        .map(|p| p.in_use)
        .sum()
}

async fn product(d: &TestDaemon) -> ProductSession {
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    ProductSession::start(conn, "ddc1").await.unwrap()
}

#[tokio::test]
async fn a_release_keeps_an_open_sessions_license_across_a_restart() {
    let root = TestDaemon::root();
    one_ud().install(root.path(), "ud.lic");
    let d = TestDaemon::start(root);
    let mut p = product(&d).await;
    let held = p.checkout(args("XDT_PLT_UD", "ann", "pc1")).await.unwrap();
    udadmin(&d, &["-f", "XDT_PLT_UD", "-user", "ann", "-delete"]).succeeds();
    assert_eq!(
        in_use(&d, "XDT_PLT_UD").await,
        1,
        "the open session keeps it"
    );
    let second = p.checkout(args("XDT_PLT_UD", "bob", "pc2")).await;
    assert_eq!(refused(second), -4);
    // Killed and started again on the same state: still one license, held.
    let (session, secret) = (p.session, p.secret().clone());
    drop(p);
    let d = TestDaemon::start(d.kill());
    assert_eq!(in_use(&d, "XDT_PLT_UD").await, 1, "after the restart");
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::resume(conn, session, secret, "ddc1")
        .await
        .unwrap();
    let second = p.checkout(args("XDT_PLT_UD", "bob", "pc2")).await;
    assert_eq!(refused(second), -4);
    let list = udadmin(&d, &["-list"]).succeeds().stdout();
    assert!(list.contains("ann XDT_PLT_UD"), "{list}");
    // Its session's end returns the license at once: the release holds.
    p.checkin(held).await.unwrap();
    assert_eq!(in_use(&d, "XDT_PLT_UD").await, 0);
    p.checkout(args("XDT_PLT_UD", "bob", "pc2")).await.unwrap();
    let list = udadmin(&d, &["-list"]).succeeds().stdout();
    assert!(!list.contains("ann"), "{list}");
    // And so after one more restart.
    drop(p);
    let d = TestDaemon::start(d.kill());
    assert_eq!(in_use(&d, "XDT_PLT_UD").await, 1);
    let list = udadmin(&d, &["-list"]).succeeds().stdout();
    assert!(
        list.contains("bob XDT_PLT_UD") && !list.contains("ann"),
        "{list}"
    );
}

#[tokio::test]
async fn checkouts_that_cannot_be_served_say_why() {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 5)
        .start("01-jan-2099")
        .increment("XDT_PLT_ZZZ", 5)
        .increment("XDT_ADV_CCU", 5)
        .install(root.path(), "a.lic");
    // A line whose signature does not verify: signed, then changed.
    License::new()
        .increment("XDT_ENT_UD", 5)
        .install(root.path(), "b.lic");
    let b = root.path().join("licenses/b.lic");
    let text = std::fs::read_to_string(&b).unwrap();
    std::fs::write(&b, text.replace("permanent 5", "permanent 500")).unwrap();
    let d = TestDaemon::start(root);
    let mut p = product(&d).await;
    for (feature, code) in [
        ("XDT_ENT_UD", -8),
        ("XDT_PLT_CCU", -31),
        ("XDT_PLT_ZZZ", -18),
        ("XDT_PRE_CCU", -5),
    ] {
        let got = refused(p.checkout(args(feature, "ann", "pc1")).await);
        assert_eq!(got, code, "{feature}");
    }
    p.checkout(args("XDT_ADV_CCU", "ann", "pc1")).await.unwrap();
    // Only what serves is listed as served.
    let log = d.debug_log();
    let started = log
        .lines()
        .find(|l| l.contains("Server started on"))
        .unwrap();
    assert!(started.ends_with("for:\tXDT_ADV_CCU"), "{started}");
    let status = d.status().await;
    let features: Vec<&str> = status
        .pools
        .iter()
        .map(|p| p.key.feature.as_str())
        .filter(|f| f.starts_with("XDT"))
        .collect();
    assert_eq!(features, ["XDT_ADV_CCU"]);
}
