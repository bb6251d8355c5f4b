//! lmgrd end to end: the real daemon, the client library, the real files.

use std::collections::BTreeSet;

use lmutil::client::{CheckoutArgs, ClientError, Connection, ProductSession};
use lmutil::protocol::{Request, Response};

use crate::common::{License, TestDaemon, lmgrd_bin, run};

fn ccu(count: u64) -> License {
    License::new()
        .use_server()
        .increment("XDT_PLT_CCU", count)
        .vendor_string(";LT=Eval;GP=720;CL=PLT")
        .dup_group("V")
        .issued("01-dec-2026")
        .continued()
}

fn daemon_with(count: u64) -> TestDaemon {
    let root = TestDaemon::root();
    ccu(count).install(root.path(), "ccu.lic");
    TestDaemon::start(root)
}

fn args<'a>(device: &'a str) -> CheckoutArgs<'a> {
    CheckoutArgs {
        feature: "XDT_PLT_CCU",
        version: "2026.0101",
        user: "jack",
        device,
        display: device,
        count: 1,
    }
}

#[tokio::test]
async fn checkouts_are_granted_denied_at_the_limit_and_checked_in() {
    let d = daemon_with(2);
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
    assert_eq!(p.heartbeat_interval, 300);
    let h1 = p.checkout(args("client-1")).await.unwrap();
    let _h2 = p.checkout(args("client-2")).await.unwrap();
    match p.checkout(args("client-3")).await {
        Err(ClientError::Refused(e)) => {
            assert_eq!(e.code, -4);
            assert_eq!(e.text, "Licensed number of users already reached.");
        }
        other => panic!("{other:?}"),
    }
    p.checkin(h1).await.unwrap();
    p.checkout(args("client-3")).await.unwrap();
    p.heartbeat().await.unwrap();
    let snap = d.status().await;
    let pool = snap
        .pools
        .iter()
        .find(|p| p.key.feature == "XDT_PLT_CCU")
        .unwrap();
    assert_eq!((pool.installed, pool.in_use), (2, 2));
    assert_eq!(snap.checkouts.len(), 2);
}

#[tokio::test]
async fn the_license_manager_port_serves_the_same_protocol() {
    let d = daemon_with(1);
    let mut c = Connection::tcp(&format!("127.0.0.1:{}", d.lm_port))
        .await
        .unwrap();
    let hello = c
        .request(Request::Hello {
            client: "test".into(),
        })
        .await
        .unwrap();
    assert!(matches!(hello, Response::Hello { protocol: 1, .. }));
}

#[tokio::test]
async fn a_malformed_frame_gets_an_error_and_others_are_unaffected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let d = daemon_with(5);
    let mut good = ProductSession::start(Connection::tcp(&d.vendor_addr()).await.unwrap(), "a")
        .await
        .unwrap();
    for payload in [
        [&5u32.to_be_bytes()[..], b"{{{{{"].concat(),
        u32::MAX.to_be_bytes().to_vec(),
        0u32.to_be_bytes().to_vec(),
    ] {
        let mut bad = tokio::net::TcpStream::connect(d.vendor_addr())
            .await
            .unwrap();
        bad.write_all(&payload).await.unwrap();
        let mut answer = Vec::new();
        bad.read_to_end(&mut answer).await.unwrap();
        let text = String::from_utf8_lossy(&answer);
        assert!(text.contains("\"code\":-12"), "{text}");
    }
    good.checkout(args("x")).await.unwrap();
}

#[tokio::test]
async fn an_unknown_protocol_version_is_refused_clearly() {
    use lmutil::protocol::{Envelope, read_message, write_message};
    let d = daemon_with(1);
    let mut s = tokio::net::TcpStream::connect(d.vendor_addr())
        .await
        .unwrap();
    let req = Envelope {
        v: 99,
        id: 7,
        body: Request::Status(Default::default()),
    };
    write_message(&mut s, &req).await.unwrap();
    let answer: Envelope<Response> = read_message(&mut s).await.unwrap();
    assert_eq!(answer.id, 7);
    match answer.body {
        Response::Error(e) => assert!(e.reason.contains("protocol version 99")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_dropped_connection_keeps_checkouts_for_a_reconnect() {
    let d = daemon_with(1);
    let mut p = ProductSession::start(Connection::tcp(&d.vendor_addr()).await.unwrap(), "ddc")
        .await
        .unwrap();
    let h = p.checkout(args("dev")).await.unwrap();
    p.reconnect(Connection::tcp(&d.vendor_addr()).await.unwrap())
        .await
        .unwrap();
    // The checkout is still there, and still counts once.
    let snap = d.status().await;
    assert_eq!(snap.checkouts.len(), 1);
    assert_eq!(snap.checkouts[0].handle, h);
    p.checkin(h).await.unwrap();
}

/// Kill -9 in the middle of a stream of checkouts: after a restart every
/// acknowledged grant is held, and at most the one in flight besides.
#[test]
fn every_acknowledged_grant_survives_sigkill() {
    let d = daemon_with(100_000);
    let addr = d.vendor_addr();
    let pid = d.child.id() as i32;
    let acked = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let conn = Connection::tcp(&addr).await.unwrap();
            let mut p = ProductSession::start(conn, "ddc").await.unwrap();
            let mut acked = Vec::new();
            for i in 0.. {
                match p.checkout(args(&format!("dev{i}"))).await {
                    Ok(h) => acked.push(h),
                    Err(_) => break,
                }
                if acked.len() == 300 {
                    let pid = nix::unistd::Pid::from_raw(pid);
                    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
                }
            }
            acked
        })
    })
    .join()
    .unwrap();
    assert!(acked.len() >= 300);
    let root = d.kill();
    let d = TestDaemon::start(root);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let snap = rt.block_on(d.status());
    let held: BTreeSet<u64> = snap.checkouts.iter().map(|c| c.handle).collect();
    let acked: BTreeSet<u64> = acked.into_iter().collect();
    assert!(
        acked.is_subset(&held),
        "lost acknowledged grants: {:?}",
        acked.difference(&held)
    );
    assert!(
        held.len() <= acked.len() + 1,
        "{} held, {} acknowledged",
        held.len(),
        acked.len()
    );
}

#[test]
fn sigterm_stops_it_gracefully_and_a_restart_recovers() {
    let d = daemon_with(3);
    let addr = d.vendor_addr();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let handle = rt.block_on(async {
        let mut p = ProductSession::start(Connection::tcp(&addr).await.unwrap(), "ddc")
            .await
            .unwrap();
        p.checkout(args("dev")).await.unwrap()
    });
    let socket = d.socket.clone();
    let (status, root) = d.terminate();
    assert!(status.success(), "{status:?}");
    assert!(!socket.exists(), "the socket is removed on exit");
    let d = TestDaemon::start(root);
    let snap = rt.block_on(d.status());
    assert_eq!(
        snap.checkouts.iter().map(|c| c.handle).collect::<Vec<_>>(),
        [handle]
    );
    // The restart, not the first start of an empty store, says what it
    // replayed and how long it took.
    let log = d.debug_log();
    let said: Vec<&str> = log
        .lines()
        .filter_map(|l| l.split_once("(lmgrd) State recovered: ").map(|(_, r)| r))
        .collect();
    assert_eq!(said.len(), 1, "{log}");
    let (events, took) = said[0].split_once(" events in ").unwrap();
    assert!(events.parse::<u64>().unwrap() >= 3, "{log}");
    assert!(took.ends_with(" s"), "{log}");
}

#[test]
fn a_taken_port_is_refused_with_a_clear_message() {
    let first = daemon_with(1);
    let root = TestDaemon::root();
    let port = first.vendor_port.to_string();
    let err = match TestDaemon::try_start(root, &["--vendor-port", &port]) {
        Err(failure) => failure.stderr,
        Ok(_) => panic!("started on a taken port"),
    };
    assert!(
        err.contains(&format!("vendor daemon port {port} is in use")),
        "{err}"
    );
}

#[test]
fn lmgrd_without_a_writable_data_dir_refuses_clearly() {
    let out = run(
        lmgrd_bin(),
        [
            "--data-dir",
            "/proc/no-such-dir",
            "--lm-port",
            "0",
            "--vendor-port",
            "0",
        ],
    );
    let out = out.fails_with_code(1);
    assert!(
        out.stderr().contains("/proc/no-such-dir"),
        "{}",
        out.stderr()
    );
}

/// The debug log reads as FlexNet's: the patterns log analysers use.
#[tokio::test]
async fn the_debug_log_has_flexnets_out_in_denied_and_start_lines() {
    let d = daemon_with(1);
    let mut p = ProductSession::start(Connection::tcp(&d.vendor_addr()).await.unwrap(), "ddc1")
        .await
        .unwrap();
    let h = p.checkout(args("client-1")).await.unwrap();
    assert!(p.checkout(args("client-2")).await.is_err());
    p.checkin(h).await.unwrap();
    // A status request goes through the owner after the batches above.
    d.status().await;
    let log = std::fs::read_to_string(d.root.path().join("data/debug.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let find = |what: &str| -> &str {
        lines
            .iter()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what} in:\n{log}"))
    };
    let time = |l: &str| {
        let t = &l[..8];
        t.as_bytes()[2] == b':' && t.as_bytes()[5] == b':' && t[..2].trim().parse::<u32>().is_ok()
    };
    // The product session's start-up license comes first; then the checkout.
    let startup = find("OUT: \"CITRIX\"");
    assert!(
        startup.ends_with(" (CITRIX) OUT: \"CITRIX\" ddc1@ddc1  "),
        "{startup:?}"
    );
    let out = find("OUT: \"XDT");
    assert!(time(out), "{out}");
    assert!(
        out.ends_with(" (CITRIX) OUT: \"XDT_PLT_CCU\" jack@ddc1  "),
        "{out:?}"
    );
    let inn = find("IN: \"XDT");
    assert_eq!(
        inn.split_once('@').unwrap().1,
        out.split_once('@').unwrap().1
    );
    let denied = find("DENIED: ");
    assert!(
        denied.contains(
            "\"XDT_PLT_CCU\" jack@ddc1  (Licensed number of users already reached. (-4,0)"
        ),
        "{denied}"
    );
    let started = find("(lmgrd) lmutil lmgrd v");
    let date = started.rsplit('(').next().unwrap().trim_end_matches(')');
    assert_eq!(date.split('/').count(), 3, "{started}");
    assert!(find("TIMESTAMP ").contains("(lmgrd) TIMESTAMP "));
}

async fn admin(d: &TestDaemon, request: Request) -> Result<Response, ClientError> {
    Connection::unix(&d.socket)
        .await
        .unwrap()
        .request(request)
        .await
}

#[tokio::test]
async fn the_control_socket_knows_its_caller_from_the_operating_system() {
    let d = daemon_with(1);
    let me = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .unwrap()
        .name;
    match admin(&d, Request::Whoami).await.unwrap() {
        Response::Identity { name, role } => {
            assert!(name.ends_with(&format!("\\{me}")), "{name}");
            assert_eq!(
                role,
                lmutil::protocol::Role::Admin,
                "the account that runs lmgrd"
            );
        }
        other => panic!("{other:?}"),
    }
    let mut remote = Connection::tcp(&d.vendor_addr()).await.unwrap();
    for request in [
        Request::Reread { vendor: false },
        Request::Shutdown { vendor: false },
        Request::Release {
            feature: None,
            user: Some("x".into()),
            device: None,
        },
        Request::Events(lmutil::protocol::events::EventQuery {
            after: 0,
            limit: 10,
            ..Default::default()
        }),
    ] {
        match remote.request(request.clone()).await {
            Err(ClientError::Refused(e)) => {
                assert_eq!(e.code, -63, "{request:?}");
                assert!(e.reason.contains("control socket"), "{}", e.reason);
            }
            other => panic!("{request:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn reread_serves_a_new_license_file_and_keeps_every_checkout() {
    let d = daemon_with(1);
    let mut p = ProductSession::start(Connection::tcp(&d.vendor_addr()).await.unwrap(), "ddc")
        .await
        .unwrap();
    p.checkout(args("dev1")).await.unwrap();
    assert!(p.checkout(args("dev2")).await.is_err());
    ccu(5)
        .issued("02-dec-2026")
        .install(d.root.path(), "more.lic");
    assert_eq!(
        admin(&d, Request::Reread { vendor: false }).await.unwrap(),
        Response::Ok
    );
    p.checkout(args("dev2")).await.unwrap();
    let snap = d.status().await;
    assert_eq!(snap.checkouts.len(), 2);
    let pool = snap
        .pools
        .iter()
        .find(|p| p.key.feature == "XDT_PLT_CCU")
        .unwrap();
    assert_eq!(pool.installed, 6);
}

#[tokio::test]
async fn lmdown_is_refused_unless_the_server_allows_it() {
    let d = daemon_with(1);
    match admin(&d, Request::Shutdown { vendor: false }).await {
        Err(ClientError::Refused(e)) => {
            assert!(e.reason.contains("--allow-lmdown"), "{}", e.reason)
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn lmdown_vendor_then_reread_vendor_restarts_the_vendor_daemon() {
    let root = TestDaemon::root();
    ccu(2).install(root.path(), "ccu.lic");
    let d = TestDaemon::start_with(root, &["--allow-lmdown"]);
    let mut p = ProductSession::start(Connection::tcp(&d.vendor_addr()).await.unwrap(), "ddc")
        .await
        .unwrap();
    p.checkout(args("dev1")).await.unwrap();
    assert_eq!(
        admin(&d, Request::Shutdown { vendor: true }).await.unwrap(),
        Response::Ok
    );
    match p.checkout(args("dev2")).await {
        Err(ClientError::Refused(e)) => assert_eq!(e.code, -97),
        other => panic!("{other:?}"),
    }
    // The license manager still answers status.
    assert_eq!(d.status().await.checkouts.len(), 1);
    assert_eq!(
        admin(&d, Request::Reread { vendor: true }).await.unwrap(),
        Response::Ok
    );
    p.checkout(args("dev2")).await.unwrap();
    // And the whole server stops on request.
    assert_eq!(
        admin(&d, Request::Shutdown { vendor: false })
            .await
            .unwrap(),
        Response::Ok
    );
    let mut d = d;
    assert!(d.child.wait().unwrap().success());
}

#[tokio::test]
async fn events_are_read_back_in_order() {
    let d = daemon_with(1);
    let mut p = ProductSession::start(Connection::tcp(&d.vendor_addr()).await.unwrap(), "ddc")
        .await
        .unwrap();
    let h = p.checkout(args("dev1")).await.unwrap();
    p.checkin(h).await.unwrap();
    let Response::Events(page) = admin(
        &d,
        Request::Events(lmutil::protocol::events::EventQuery {
            after: 0,
            limit: 100,
            ..Default::default()
        }),
    )
    .await
    .unwrap() else {
        panic!()
    };
    assert_eq!(page.next, None, "the history was read to its end");
    let events = page.events;
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    let kinds: Vec<String> = events
        .iter()
        .map(|e| {
            serde_json::to_value(&e.what).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let tail: Vec<&str> = kinds
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(tail, ["session_started", "granted", "checked_in"]);
}

#[tokio::test]
async fn a_config_file_sits_between_the_environment_and_the_defaults() {
    let root = TestDaemon::root();
    ccu(1).install(root.path(), "ccu.lic");
    let conf = root.path().join("lmgrd.conf");
    std::fs::write(
        &conf,
        "# test\nheartbeat-interval = 60\nallow-lmdown = true\nlog = \"DIR/from-file.log\"\n"
            .replace("DIR", root.path().to_str().unwrap()),
    )
    .unwrap();
    let conf_arg = conf.to_str().unwrap().to_owned();
    let d = TestDaemon::start_with(root, &["--config", &conf_arg]);
    let mut c = Connection::unix(&d.socket).await.unwrap();
    let hello = c
        .request(Request::Hello { client: "t".into() })
        .await
        .unwrap();
    assert!(
        matches!(
            hello,
            Response::Hello {
                heartbeat_interval: 60,
                ..
            }
        ),
        "{hello:?}"
    );
    assert!(d.root.path().join("from-file.log").exists());
    assert_eq!(
        c.request(Request::Shutdown { vendor: true }).await.unwrap(),
        Response::Ok
    );

    // A flag beats the file.
    let root = TestDaemon::root();
    std::fs::copy(&conf, root.path().join("lmgrd.conf")).unwrap();
    let conf_arg = root.path().join("lmgrd.conf").to_str().unwrap().to_owned();
    let d = TestDaemon::start_with(root, &["--config", &conf_arg, "--heartbeat-interval", "90"]);
    let mut c = Connection::unix(&d.socket).await.unwrap();
    let hello = c
        .request(Request::Hello { client: "t".into() })
        .await
        .unwrap();
    assert!(
        matches!(
            hello,
            Response::Hello {
                heartbeat_interval: 90,
                ..
            }
        ),
        "{hello:?}"
    );
}

#[test]
fn a_bad_config_file_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("lmgrd.conf");
    std::fs::write(&conf, "lm-port = 0\nlicence-dir = /x\n").unwrap();
    let out = run(lmgrd_bin(), ["--config", conf.to_str().unwrap()]).fails_with_code(2);
    assert!(
        out.stderr()
            .contains("lmgrd.conf:2: unknown setting `licence-dir`"),
        "{}",
        out.stderr()
    );
}

#[tokio::test]
async fn the_options_file_is_applied_reported_and_reread() {
    let root = TestDaemon::root();
    ccu(5).install(root.path(), "ccu.lic");
    let opt = root.path().join("licenses/CITRIX.opt");
    std::fs::write(
        &opt,
        "EXCLUDE XDT_PLT_CCU USER jack\nNOLOG OUT\nRESERVE many XDT_PLT_CCU USER x\n",
    )
    .unwrap();
    let d = TestDaemon::start(root);
    let mut p = ProductSession::start(Connection::tcp(&d.vendor_addr()).await.unwrap(), "ddc1")
        .await
        .unwrap();
    match p.checkout(args("dev1")).await {
        Err(ClientError::Refused(e)) => assert_eq!(e.code, -38, "{}", e.reason),
        other => panic!("{other:?}"),
    }
    let log = std::fs::read_to_string(d.root.path().join("data/debug.log")).unwrap();
    assert!(
        log.contains("CITRIX.opt:3:9: expected a number of licenses, found `many`: line ignored"),
        "{log}"
    );
    assert!(
        log.contains("DENIED: \"XDT_PLT_CCU\" jack@ddc1  (User/host on EXCLUDE list for feature."),
        "{log}"
    );
    // The administrator changes the file and rereads: jack may check out,
    // and NOLOG OUT keeps the OUT line out of the log.
    std::fs::write(&opt, "NOLOG OUT\n").unwrap();
    let mut admin = Connection::unix(&d.socket).await.unwrap();
    assert_eq!(
        admin
            .request(Request::Reread { vendor: false })
            .await
            .unwrap(),
        Response::Ok
    );
    p.checkout(args("dev1")).await.unwrap();
    d.status().await;
    let log = std::fs::read_to_string(d.root.path().join("data/debug.log")).unwrap();
    assert!(!log.contains("OUT: \"XDT_PLT_CCU\""), "{log}");
}

/// Time passes for the rules even when the server is never idle: a busy
/// server still checks in an idle session's checkout after the options
/// file's TIMEOUT (the once-a-second tick used to wait for a quiet second).
#[tokio::test]
async fn timeouts_apply_while_other_products_keep_the_server_busy() {
    let root = TestDaemon::root();
    ccu(5).install(root.path(), "ccu.lic");
    std::fs::write(
        root.path().join("licenses/CITRIX.opt"),
        "TIMEOUT XDT_PLT_CCU 2\n",
    )
    .unwrap();
    let d = TestDaemon::start(root);
    let session = async |host| {
        let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
        ProductSession::start(conn, host).await.unwrap()
    };
    let mut idle = session("ddc1").await;
    let held = idle.checkout(args("dev1")).await.unwrap();
    let mut busy = session("ddc2").await;
    let started = std::time::Instant::now();
    let mut checked_in = false;
    // Never a quiet moment: a heartbeat every 20 ms.
    while started.elapsed() < std::time::Duration::from_secs(10) {
        busy.heartbeat().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let snap = d.status().await;
        if !snap.checkouts.iter().any(|c| c.handle == held) {
            checked_in = true;
            break;
        }
    }
    assert!(
        checked_in,
        "the idle session's checkout was never timed out"
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
}
