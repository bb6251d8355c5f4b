//! Sessions and input that cannot be abused, against a real lmgrd: a
//! session is acted on only by its own connection, or by the product that
//! presents its secret (also after a restart of lmgrd), and the secret is
//! shown nowhere; names out of bounds are refused and nothing is stored;
//! what a remote client may read is what FlexNet's lmstat shows.

use lmutil::client::{CheckoutArgs, ClientError, Connection, ProductSession};
use lmutil::protocol::events::EventQuery;
use lmutil::protocol::message::Secret;
use lmutil::protocol::status::{StatusPart, StatusQuery};
use lmutil::protocol::{Request, Response};

use crate::common::{License, TestDaemon, lmutil};

/// One concurrent license and one user/device license.
fn daemon() -> TestDaemon {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 1)
        .vendor_string(";LT=Eval")
        .dup_group("V")
        .install(root.path(), "ccu.lic");
    License::new()
        .increment("XDT_PLT_UD", 5)
        .vendor_string(";LT=Eval")
        .install(root.path(), "ud.lic");
    TestDaemon::start(root)
}

fn args<'a>(feature: &'a str, user: &'a str, device: &'a str) -> CheckoutArgs<'a> {
    CheckoutArgs {
        feature,
        version: "2026.0101",
        user,
        device,
        display: "",
        count: 1,
    }
}

/// The FlexNet number of a refusal.
fn code<T: std::fmt::Debug>(r: Result<T, ClientError>) -> i32 {
    match r {
        Err(ClientError::Refused(e)) => e.code.number(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn tcp(d: &TestDaemon) -> Connection {
    Connection::tcp(&d.vendor_addr()).await.unwrap()
}

async fn product(d: &TestDaemon, host: &str) -> ProductSession {
    ProductSession::start(tcp(d).await, host).await.unwrap()
}

fn status_of(r: Response) -> lmutil::protocol::status::Status {
    match r {
        Response::Status(s) => *s,
        other => panic!("expected a status, got {other:?}"),
    }
}

fn events() -> Request {
    Request::Events(EventQuery {
        limit: 1000,
        ..Default::default()
    })
}

fn connections() -> Request {
    Request::Status(StatusQuery {
        feature: None,
        parts: vec![StatusPart::Connections],
    })
}

#[tokio::test]
async fn another_tcp_client_cannot_check_in_end_or_keep_a_session_alive() {
    let d = daemon();
    let mut p = product(&d, "ddc1").await;
    let held = p.checkout(args("XDT_PLT_CCU", "ann", "pc1")).await.unwrap();
    let session = p.session;
    let mut other = tcp(&d).await;
    // Its own session on that connection does not help it.
    let mine = ProductSession::start(tcp(&d).await, "ddc2").await.unwrap();
    assert_ne!(mine.session, session);
    for request in [
        Request::Checkin {
            session,
            handle: held,
        },
        Request::EndSession { session },
        Request::Heartbeat { session },
        Request::Reconnect {
            session,
            secret: Secret::default(),
        },
    ] {
        assert_eq!(
            code(other.request(request.clone()).await),
            -63,
            "{request:?}"
        );
    }
    let s = d.status().await;
    assert!(s.checkouts.iter().any(|c| c.handle == held), "still held");
    assert_eq!(s.sessions.len(), 2);
    // The owner's own requests still work.
    p.heartbeat().await.unwrap();
    p.checkin(held).await.unwrap();
    p.end().await.unwrap();
}

#[tokio::test]
async fn a_product_takes_its_session_back_after_a_restart_with_its_secret_only() {
    let d = daemon();
    let mut p = product(&d, "ddc1").await;
    let held = p.checkout(args("XDT_PLT_CCU", "ann", "pc1")).await.unwrap();
    let secret = p.secret().0.clone();
    assert_eq!(secret.len(), 32);
    let d = TestDaemon::start(d.kill());
    // A guess, or another session's secret, is refused, and changes nothing.
    let q = product(&d, "ddc2").await;
    let mut thief = tcp(&d).await;
    for guess in [Secret("0".repeat(32)), q.secret().clone()] {
        let request = Request::Reconnect {
            session: p.session,
            secret: guess,
        };
        assert_eq!(code(thief.request(request).await), -63);
    }
    let request = Request::Checkin {
        session: p.session,
        handle: held,
    };
    assert_eq!(code(thief.request(request).await), -63);
    // The product, with the secret from before the restart.
    p.reconnect(tcp(&d).await).await.unwrap();
    assert_eq!(
        code(p.checkout(args("XDT_PLT_CCU", "bob", "pc2")).await),
        -4
    );
    p.checkin(held).await.unwrap();
    // The secret is shown nowhere: status, lmstat, JSON, the event history,
    // the debug log.
    let socket = d.socket.to_str().unwrap().to_owned();
    let mut local = Connection::unix(&d.socket).await.unwrap();
    let answers = [
        serde_json::to_string(&d.status().await).unwrap(),
        format!("{:?}", local.request(events()).await.unwrap()),
        serde_json::to_string(&local.request(events()).await.unwrap()).unwrap(),
        lmutil(["lmstat", "-c", &socket, "-a"]).succeeds().stdout(),
        lmutil(["lmstat", "-c", &socket, "-a", "--json"])
            .succeeds()
            .stdout(),
        d.debug_log(),
    ];
    for (i, text) in answers.iter().enumerate() {
        assert!(text.contains("ddc1"), "answer {i}: {text}");
        assert!(!text.contains(&secret), "the secret shows in: {text}");
    }
}

#[tokio::test]
async fn names_out_of_bounds_are_refused_nothing_is_stored_and_the_connection_goes_on() {
    let d = daemon();
    let mut p = product(&d, "ddc1").await;
    let huge = "u".repeat(900 * 1024);
    let over = "d".repeat(1025);
    let bad = [
        args("XDT_PLT_UD", "", "pc1"),
        args("XDT_PLT_UD", "ann", ""),
        args("XDT_PLT_CCU", "ann", ""),
        args("XDT_PLT_UD", &huge, "pc1"),
        args("XDT_PLT_UD", "ann", &over),
        args("XDT_PLT_UD", "ann\n", "pc1"),
        args("XDT_PLT_UD", "ann", "pc\u{7}1"),
    ];
    for a in bad {
        let refused = p.checkout(a.clone()).await;
        match refused {
            Err(ClientError::Refused(e)) => {
                assert_eq!(e.code, -42, "{e:?}");
                assert!(e.reason.contains("user") || e.reason.contains("device"));
            }
            other => panic!("{:?}: {other:?}", &a.user[..a.user.len().min(9)]),
        }
    }
    let s = d.status().await;
    assert!(s.checkouts.is_empty(), "{:?}", s.checkouts);
    assert!(s.connections.is_empty(), "{:?}", s.connections);
    assert!(s.assignments.is_empty(), "{:?}", s.assignments);
    assert!(
        s.pools.iter().all(|p| p.in_use <= 1),
        "only the start-up license"
    );
    // The same connection goes on.
    p.checkout(args("XDT_PLT_UD", "ann", "pc1")).await.unwrap();
    p.heartbeat().await.unwrap();
    // A product server with no name, or a control character in it, starts no session.
    for host in ["", "ddc\t2"] {
        let r = ProductSession::start(tcp(&d).await, host).await;
        assert_eq!(code(r.map(|s| s.session)), -42, "{host:?}");
    }
    assert_eq!(d.status().await.sessions.len(), 1);
}

#[tokio::test]
async fn remote_clients_read_what_lmstat_shows_and_local_callers_read_the_rest() {
    let d = daemon();
    let mut p = product(&d, "ddc1").await;
    p.checkout(args("XDT_PLT_UD", "ann", "pc1")).await.unwrap();
    let mut remote = tcp(&d).await;
    for allowed in [
        Request::Hello { client: "t".into() },
        Request::Info,
        Request::Whoami,
        Request::Pools,
        Request::Diagnose { feature: None },
    ] {
        remote.request(allowed).await.unwrap();
    }
    let seen = status_of(
        remote
            .request(Request::Status(StatusQuery::default()))
            .await
            .unwrap(),
    );
    assert_eq!((seen.sessions.len(), seen.checkouts.len()), (1, 1));
    assert_eq!(seen.assignments.len(), 1, "lmstat shows who holds what");
    assert!(seen.connections.is_empty(), "{:?}", seen.connections);
    for refused in [connections(), Request::Accounts, events()] {
        match remote.request(refused.clone()).await {
            Err(ClientError::Refused(e)) => {
                assert_eq!(e.code, -63);
                assert!(e.reason.contains("control socket"), "{}", e.reason);
            }
            other => panic!("{refused:?}: {other:?}"),
        }
    }
    // The same server over its control socket answers all of it.
    let mut local = Connection::unix(&d.socket).await.unwrap();
    let all = status_of(
        local
            .request(Request::Status(StatusQuery::default()))
            .await
            .unwrap(),
    );
    assert_eq!(all.connections.len(), 1);
    let only = status_of(local.request(connections()).await.unwrap());
    assert_eq!(only.connections.len(), 1);
    assert!(matches!(
        local.request(Request::Accounts).await,
        Ok(Response::Accounts { .. })
    ));
    assert!(matches!(
        local.request(events()).await,
        Ok(Response::Events(_))
    ));
    let socket = d.socket.to_str().unwrap().to_owned();
    let export = lmutil(["udadmin", "-c", &socket, "-export"])
        .succeeds()
        .stdout();
    assert!(export.contains("ann"), "{export}");
}
