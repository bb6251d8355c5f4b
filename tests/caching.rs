//! License caching mode against a real lmgrd that goes away and comes back,
//! with an injected clock: no waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use lmutil::client::caching::{CachingSession, Clock, Mode};
use lmutil::client::select::Target;
use lmutil::client::{CheckoutArgs, ClientError, Connection};
use lmutil::protocol::{Request, Response};

use crate::common::{License, TestDaemon};

#[derive(Clone)]
struct TestClock(Arc<AtomicI64>);

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

fn args(device: &str) -> CheckoutArgs<'_> {
    CheckoutArgs {
        feature: "XDT_PLT_CCU",
        version: "2026.0101",
        user: "jack",
        device,
        display: device,
        count: 1,
    }
}

fn refused(r: Result<u64, ClientError>) -> i32 {
    match r {
        Err(ClientError::Refused(e)) => e.code.number(),
        other => panic!("expected a refusal: {other:?}"),
    }
}

#[tokio::test]
async fn a_product_keeps_licensing_from_its_cache_then_reconciles() {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 2)
        .vendor_string(";LT=Eval;GP=720")
        .dup_group("V")
        .install(root.path(), "ccu.lic");
    let d = TestDaemon::start(root);
    let socket = d.socket.clone();
    let clock = TestClock(Arc::new(AtomicI64::new(1_900_000_000)));
    let targets = vec![Target::Local(socket.clone())];
    let mut p = CachingSession::start(targets, "ddc1", clock.clone())
        .await
        .unwrap();
    let first = p.checkout(args("dev1")).await.unwrap();
    assert_eq!(p.mode(), Mode::Connected);

    // The server goes away: the product licenses from its cache.
    let root = d.kill();
    let second = p.checkout(args("dev2")).await.unwrap();
    assert!(matches!(p.mode(), Mode::Caching { .. }));
    assert_eq!(
        refused(p.checkout(args("dev3")).await),
        -4,
        "the installed count still holds"
    );
    p.checkin(first).await.unwrap();
    let third = p.checkout(args("dev3")).await.unwrap();
    // GP=720: thirty days after the last contact, caching mode runs out.
    clock.0.fetch_add(31 * 24 * 3600, Ordering::SeqCst);
    assert_eq!(refused(p.checkout(args("dev4")).await), -15);

    // The server comes back: the session resumes and the two sides agree.
    let d = TestDaemon::start(root);
    let report = p.heartbeat().await.expect("reconciled");
    assert_eq!(
        (report.checked_in, report.checked_out),
        (1, 2),
        "{report:?}"
    );
    assert!(report.refused.is_empty());
    assert_eq!(p.mode(), Mode::Connected);
    let mut c = Connection::unix(&socket).await.unwrap();
    let Response::Status(snap) = c
        .request(Request::Status(Default::default()))
        .await
        .unwrap()
    else {
        panic!()
    };
    let mut devices: Vec<&str> = snap.checkouts.iter().map(|c| c.device.as_str()).collect();
    devices.sort();
    assert_eq!(devices, ["dev2", "dev3"]);
    p.checkin(second).await.unwrap();
    p.checkin(third).await.unwrap();
    drop(d);
}

#[tokio::test]
async fn caching_mode_needs_one_successful_contact_first() {
    let dir = tempfile::tempdir().unwrap();
    let targets = vec![Target::Local(dir.path().join("nobody.sock"))];
    let clock = TestClock(Arc::new(AtomicI64::new(0)));
    assert!(matches!(
        CachingSession::start(targets, "ddc", clock).await,
        Err(ClientError::Connect { .. })
    ));
}
