//! The handlers through a real session over an in-memory pipe, with a real
//! engine owner on a temporary store and signed license files: each request
//! as a product or an administrator sends it, without a socket.

use std::sync::Arc;

use tokio::sync::watch;

use crate::client::{CheckoutArgs, ClientError, Connection, ProductSession};
use crate::protocol::{Request, Response, Role};
use crate::server::authz::Caller;
use crate::server::config::{self, Config};
use crate::server::context::{Context, Parts};
use crate::server::debuglog::DebugLog;
use crate::server::{licenses, owner, session, threads};

const CCU: &str = "SERVER this_host HOSTNAME={HOST}\nVENDOR CITRIX\nUSE_SERVER\n\
    INCREMENT XDT_PLT_CCU CITRIX 2026.1201 permanent 1 \\\n    \
    VENDOR_STRING=;LT=Eval;GP=720;CL=PLT DUP_GROUP=V ISSUED=01-dec-2026\n";

/// A context over a recovered engine, its license directory holding one
/// signed CCU license for one device.
struct Harness {
    ctx: Context,
    drain: watch::Sender<bool>,
    key: ed25519_dalek::SigningKey,
    dir: tempfile::TempDir,
}

impl Harness {
    async fn start() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path());
        std::fs::create_dir_all(&config.license_dir).unwrap();
        std::fs::create_dir_all(&config.data_dir).unwrap();
        let (private, _) = crate::license::sign::generate_key_pair(&config.keys_dir).unwrap();
        let key = crate::license::sign::read_private_key(&private).unwrap();
        std::fs::remove_file(private).unwrap();
        install(&config, &key, "ccu.lic", CCU);
        let config = Arc::new(config);
        let log = Arc::new(std::sync::Mutex::new(DebugLog::memory()));
        let (store, check) = crate::store::Store::open_checked_aside(&config.state_db()).unwrap();
        let (spawner, _deaths) = threads::watch();
        let alerts =
            crate::server::alerts::Alerts::open(&config.data_dir, log.clone(), Default::default());
        let (engine, _owner) = owner::start(store, check, log.clone(), &spawner, alerts).unwrap();
        let reading = licenses::reread(&config, &engine, &log, None)
            .await
            .unwrap();
        let (drain, draining) = watch::channel(false);
        let ctx = Context::new(Parts {
            engine,
            config,
            log,
            vendor_listening: watch::channel(true).1,
            host: "testhost".to_owned(),
            ports: (27000, 7279),
            http_port: 8083,
            licenses: reading,
            draining,
        });
        Harness {
            ctx,
            drain,
            key,
            dir,
        }
    }

    /// A connection served by a session of its own, as `caller`.
    fn connect(&self, caller: Caller) -> Connection {
        let (ours, theirs) = tokio::io::duplex(64 * 1024);
        let ctx = self.ctx.clone();
        tokio::spawn(session::serve(theirs, ctx, caller, "a test".to_owned()));
        Connection::over(ours)
    }

    fn root() -> Caller {
        Caller::Local {
            uid: 0,
            name: "testhost\\root".to_owned(),
        }
    }

    fn someone() -> Caller {
        Caller::Local {
            uid: 4242,
            name: "testhost\\someone".to_owned(),
        }
    }
}

fn config_in(root: &std::path::Path) -> Config {
    let path = |name: &str| format!("--{name}={}", root.join(name).display());
    let args = [
        "lmgrd".to_owned(),
        path("license-dir"),
        path("keys-dir"),
        path("data-dir"),
        format!("--socket={}", root.join("lmgrd.sock").display()),
    ];
    config::from_matches(&crate::server::command().get_matches_from(args))
}

/// Writes a license file, signed, with this host's name in its SERVER line.
fn install(config: &Config, key: &ed25519_dalek::SigningKey, name: &str, text: &str) {
    let host = nix::unistd::gethostname().unwrap();
    let text = text.replace("{HOST}", &host.to_string_lossy());
    let parsed = crate::license::parse(&text);
    let signed = crate::license::sign::sign_in_place(&text, &parsed, key);
    std::fs::write(config.license_dir.join(name), signed).unwrap();
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

/// The FlexNet number of a refusal.
fn code<T: std::fmt::Debug>(r: Result<T, ClientError>) -> i32 {
    match r {
        Err(ClientError::Refused(e)) => e.code.number(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_product_checks_out_is_refused_at_the_count_and_checks_in() {
    let h = Harness::start().await;
    let mut p = ProductSession::start(h.connect(Caller::Remote), "ddc1")
        .await
        .unwrap();
    let held = p.checkout(device("desk1")).await.unwrap();
    assert_eq!(code(p.checkout(device("desk2")).await), -4);
    p.checkin(held).await.unwrap();
    p.checkout(device("desk2")).await.unwrap();
}

#[tokio::test]
async fn changes_need_an_administrator_on_the_control_socket() {
    let h = Harness::start().await;
    let reread = || Request::Reread { vendor: false };
    let mut remote = h.connect(Caller::Remote);
    assert_eq!(code(remote.request(reread()).await), -63);
    let events = Request::Events(crate::protocol::events::EventQuery {
        after: 0,
        limit: 10,
        ..Default::default()
    });
    assert_eq!(code(remote.request(events.clone()).await), -63);
    let mut user = h.connect(Harness::someone());
    assert_eq!(code(user.request(reread()).await), -63);
    assert!(matches!(
        user.request(events).await,
        Ok(Response::Events { .. })
    ));
    let mut admin = h.connect(Harness::root());
    assert_eq!(admin.request(reread()).await.unwrap(), Response::Ok);
    let who = admin.request(Request::Whoami).await.unwrap();
    assert_eq!(
        who,
        Response::Identity {
            name: "testhost\\root".to_owned(),
            role: Role::Admin
        }
    );
}

#[tokio::test]
async fn info_answers_from_the_last_reread_not_from_the_disk() {
    let h = Harness::start().await;
    let files = |r: Response| match r {
        Response::Info(i) => i.license_files.len(),
        other => panic!("expected info, got {other:?}"),
    };
    let mut c = h.connect(Caller::Remote);
    assert_eq!(files(c.request(Request::Info).await.unwrap()), 1);
    install(&h.ctx.config, &h.key, "more.lic", CCU);
    assert_eq!(files(c.request(Request::Info).await.unwrap()), 1);
    let mut admin = h.connect(Harness::root());
    admin
        .request(Request::Reread { vendor: false })
        .await
        .unwrap();
    assert_eq!(files(c.request(Request::Info).await.unwrap()), 2);
    assert!(h.dir.path().join("license-dir/more.lic").exists());
}

#[tokio::test]
async fn a_stopped_vendor_daemon_refuses_products_and_a_reread_restarts_it() {
    let h = Harness::start().await;
    let mut p = ProductSession::start(h.connect(Caller::Remote), "ddc1")
        .await
        .unwrap();
    h.ctx.vendor.set_up(false);
    assert_eq!(code(p.checkout(device("desk1")).await), -97);
    let mut admin = h.connect(Harness::root());
    admin
        .request(Request::Reread { vendor: true })
        .await
        .unwrap();
    p.checkout(device("desk1")).await.unwrap();
}

#[tokio::test]
async fn draining_answers_the_request_in_hand_then_closes() {
    use crate::protocol::frame::read_answer;
    use crate::protocol::{Envelope, PROTOCOL_VERSION, write_message};
    let h = Harness::start().await;
    let (mut busy, theirs) = tokio::io::duplex(64 * 1024);
    tokio::spawn(session::serve(
        theirs,
        h.ctx.clone(),
        Caller::Remote,
        "busy".to_owned(),
    ));
    let mut idle = h.connect(Caller::Remote);
    assert!(matches!(
        idle.request(Request::Pools).await,
        Ok(Response::Pools { .. })
    ));
    // The request is sent when the drain starts: it is still answered.
    let status = Envelope {
        v: PROTOCOL_VERSION,
        id: 7,
        body: Request::Status(Default::default()),
    };
    write_message(&mut busy, &status).await.unwrap();
    h.drain.send_replace(true);
    let answer: Envelope<Response> = read_answer(&mut busy).await.unwrap();
    assert_eq!(answer.id, 7);
    assert!(matches!(answer.body, Response::Status(_)));
    // Then neither connection takes another request (the write itself may
    // already find the other end closed).
    let _ = write_message(&mut busy, &status).await;
    assert!(
        read_answer::<_, Envelope<Response>>(&mut busy)
            .await
            .is_err()
    );
    assert!(matches!(
        idle.request(Request::Pools).await,
        Err(ClientError::Frame(_))
    ));
}

#[tokio::test]
async fn status_answers_only_the_parts_and_feature_asked_for() {
    use crate::protocol::status::{StatusPart, StatusQuery};
    let h = Harness::start().await;
    let mut p = ProductSession::start(h.connect(Caller::Remote), "ddc1")
        .await
        .unwrap();
    p.checkout(device("desk1")).await.unwrap();
    let mut c = h.connect(Caller::Remote);
    let status = |r: Response| match r {
        Response::Status(s) => *s,
        other => panic!("expected a status, got {other:?}"),
    };
    let all = status(
        c.request(Request::Status(StatusQuery::default()))
            .await
            .unwrap(),
    );
    let features: Vec<&str> = all.pools.iter().map(|p| p.key.feature.as_str()).collect();
    assert!(features.contains(&"CITRIX") && features.contains(&"XDT_PLT_CCU"));
    assert_eq!((all.sessions.len(), all.checkouts.len()), (1, 1));
    let query = StatusQuery {
        feature: Some("XDT_PLT_CCU".to_owned()),
        parts: vec![StatusPart::Pools],
    };
    let some = status(c.request(Request::Status(query)).await.unwrap());
    let features: Vec<&str> = some.pools.iter().map(|p| p.key.feature.as_str()).collect();
    assert_eq!(features, ["XDT_PLT_CCU"]);
    assert!(some.sessions.is_empty() && some.checkouts.is_empty());
}

#[tokio::test]
async fn events_answers_only_the_kinds_feature_and_times_asked_for() {
    use crate::protocol::events::{EventKind, EventPage, EventQuery, What};
    let h = Harness::start().await;
    let mut p = ProductSession::start(h.connect(Caller::Remote), "ddc1")
        .await
        .unwrap();
    let held = p.checkout(device("desk1")).await.unwrap();
    p.checkin(held).await.unwrap();
    let mut admin = h.connect(Harness::root());
    let mut ask = async |query: EventQuery| match admin.request(Request::Events(query)).await {
        Ok(Response::Events(page)) => page,
        other => panic!("expected events, got {other:?}"),
    };
    let all = ask(EventQuery {
        limit: 100,
        ..Default::default()
    })
    .await;
    assert_eq!(all.next, None);
    let kinds: Vec<EventKind> = all.events.iter().map(|e| e.what.kind()).collect();
    assert!(kinds.ends_with(&[
        EventKind::SessionStarted,
        EventKind::Granted,
        EventKind::CheckedIn
    ]));
    let grants = ask(EventQuery {
        limit: 100,
        kinds: vec![EventKind::Granted],
        feature: Some("XDT_PLT_CCU".to_owned()),
        ..Default::default()
    })
    .await;
    let [grant] = &grants.events[..] else {
        panic!("one grant: {grants:?}");
    };
    assert!(matches!(&grant.what, What::Granted(g) if g.device == "desk1"));
    let none = ask(EventQuery {
        limit: 100,
        feature: Some("XDT_PLT_CCS".to_owned()),
        ..Default::default()
    })
    .await;
    assert_eq!(
        none,
        EventPage {
            events: vec![],
            next: None
        }
    );
    let later = ask(EventQuery {
        limit: 100,
        since: Some(grant.at + 3600),
        ..Default::default()
    })
    .await;
    assert!(later.events.is_empty());
    // A page of one goes on from where it stopped.
    let first = ask(EventQuery {
        limit: 1,
        ..Default::default()
    })
    .await;
    assert_eq!(first.events.len(), 1);
    assert_eq!(first.next, Some(first.events[0].seq));
}

/// The secret a product got for its session.
fn secret_of(p: &ProductSession) -> crate::protocol::message::Secret {
    p.secret().clone()
}

#[tokio::test]
async fn a_session_is_acted_on_only_by_its_own_connection() {
    let h = Harness::start().await;
    let mut p = ProductSession::start(h.connect(Caller::Remote), "ddc1")
        .await
        .unwrap();
    let held = p.checkout(device("desk1")).await.unwrap();
    let session = p.session;
    let mut other = h.connect(Caller::Remote);
    let checkout = Request::Checkout(crate::protocol::Checkout {
        session,
        feature: "XDT_PLT_CCU".to_owned(),
        version: "2026.0101".to_owned(),
        user: "eve".to_owned(),
        device: "desk9".to_owned(),
        host: "ddc1".to_owned(),
        display: String::new(),
        count: 1,
    });
    let not_allowed = [
        Request::Checkin {
            session,
            handle: held,
        },
        Request::EndSession { session },
        Request::Heartbeat { session },
        checkout,
        // A reconnect needs the session's secret.
        Request::Reconnect {
            session,
            secret: Default::default(),
        },
        Request::Reconnect {
            session,
            secret: crate::protocol::message::Secret("0".repeat(32)),
        },
    ];
    for request in not_allowed {
        assert_eq!(
            code(other.request(request.clone()).await),
            -63,
            "{request:?}"
        );
    }
    // Also on the control socket: a session is its connection's.
    let mut admin = h.connect(Harness::root());
    assert_eq!(
        code(admin.request(Request::EndSession { session }).await),
        -63
    );
    // Nothing was changed: the product still holds its license.
    assert_eq!(code(p.checkout(device("desk2")).await), -4);
    p.heartbeat().await.unwrap();
    p.checkin(held).await.unwrap();
}

#[tokio::test]
async fn a_product_takes_its_session_back_with_its_secret() {
    let h = Harness::start().await;
    let mut p = ProductSession::start(h.connect(Caller::Remote), "ddc1")
        .await
        .unwrap();
    let q = ProductSession::start(h.connect(Caller::Remote), "ddc2")
        .await
        .unwrap();
    let secret = secret_of(&p);
    assert_eq!(secret.0.len(), 32, "128 bits in hex");
    assert!(secret.0.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(secret, secret_of(&q), "each session its own secret");
    assert!(!format!("{secret:?}").contains(&secret.0), "never shown");
    let held = p.checkout(device("desk1")).await.unwrap();
    // Another product's secret does not open this session.
    let mut thief = h.connect(Caller::Remote);
    let stolen = Request::Reconnect {
        session: p.session,
        secret: secret_of(&q),
    };
    assert_eq!(code(thief.request(stolen).await), -63);
    // The product itself, on a new connection, with its own secret.
    p.reconnect(h.connect(Caller::Remote)).await.unwrap();
    p.heartbeat().await.unwrap();
    p.checkin(held).await.unwrap();
    p.end().await.unwrap();
}

#[tokio::test]
async fn names_out_of_bounds_are_refused_and_nothing_is_stored() {
    use crate::protocol::status::StatusQuery;
    let h = Harness::start().await;
    let conn = h.connect(Caller::Remote);
    let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
    let long = "x".repeat(1025);
    let bad = [
        CheckoutArgs {
            user: "",
            ..device("desk1")
        },
        device(""),
        CheckoutArgs {
            user: &long,
            ..device("desk1")
        },
        device(&long),
        device("desk\n1"),
        CheckoutArgs {
            user: "ja\0ck",
            ..device("desk1")
        },
        CheckoutArgs {
            display: "d\u{1b}[2J",
            ..device("desk1")
        },
        CheckoutArgs {
            version: "",
            ..device("desk1")
        },
        CheckoutArgs {
            feature: &long,
            ..device("desk1")
        },
    ];
    for args in bad {
        assert_eq!(code(p.checkout(args.clone()).await), -42, "{args:?}");
    }
    let mut c = h.connect(Harness::root());
    let status = match c.request(Request::Status(StatusQuery::default())).await {
        Ok(Response::Status(s)) => *s,
        other => panic!("expected a status, got {other:?}"),
    };
    assert!(status.checkouts.is_empty() && status.connections.is_empty());
    assert!(status.denials.is_empty(), "{:?}", status.denials);
    // The connection goes on: a name at the bound is granted.
    let at_bound = "y".repeat(1024);
    p.checkout(device(&at_bound)).await.unwrap();
    // A host out of bounds starts no session.
    let bad_hosts = ["", "ddc\r1", &long];
    for host in bad_hosts {
        let refused = ProductSession::start(h.connect(Caller::Remote), host).await;
        assert_eq!(code(refused.map(|s| s.session)), -42, "{host:?}");
    }
}

#[tokio::test]
async fn remote_clients_read_what_lmstat_shows_and_no_more() {
    use crate::protocol::events::EventQuery;
    use crate::protocol::status::{StatusPart, StatusQuery};
    let h = Harness::start().await;
    let ud = "SERVER this_host HOSTNAME={HOST}\nVENDOR CITRIX\nUSE_SERVER\n\
        INCREMENT XDT_PLT_UD CITRIX 2026.1201 permanent 1 \\\n    \
        VENDOR_STRING=;LT=Eval;GP=720;CL=PLT ISSUED=01-dec-2026\n";
    install(&h.ctx.config, &h.key, "ud.lic", ud);
    let mut admin = h.connect(Harness::root());
    let reread = Request::Reread { vendor: false };
    assert_eq!(admin.request(reread).await.unwrap(), Response::Ok);
    let mut p = ProductSession::start(h.connect(Caller::Remote), "ddc1")
        .await
        .unwrap();
    let ud_args = CheckoutArgs {
        feature: "XDT_PLT_UD",
        ..device("desk1")
    };
    p.checkout(ud_args).await.unwrap();
    let status = |r: Response| match r {
        Response::Status(s) => *s,
        other => panic!("expected a status, got {other:?}"),
    };
    let ask_all = || Request::Status(StatusQuery::default());
    let connections = || {
        Request::Status(StatusQuery {
            feature: None,
            parts: vec![StatusPart::Connections],
        })
    };
    let events = || {
        Request::Events(EventQuery {
            limit: 10,
            ..Default::default()
        })
    };
    let mut remote = h.connect(Caller::Remote);
    for allowed in [
        Request::Hello {
            client: "t".to_owned(),
        },
        Request::Info,
        Request::Whoami,
        Request::Pools,
        Request::Diagnose { feature: None },
    ] {
        remote.request(allowed).await.unwrap();
    }
    let seen = status(remote.request(ask_all()).await.unwrap());
    assert_eq!((seen.sessions.len(), seen.checkouts.len()), (1, 1));
    assert!(seen.connections.is_empty(), "{:?}", seen.connections);
    for refused in [connections(), Request::Accounts, events()] {
        assert_eq!(
            code(remote.request(refused.clone()).await),
            -63,
            "{refused:?}"
        );
    }
    // Any local caller reads them.
    let mut local = h.connect(Harness::someone());
    assert_eq!(
        status(local.request(ask_all()).await.unwrap())
            .connections
            .len(),
        1
    );
    assert_eq!(
        status(local.request(connections()).await.unwrap())
            .connections
            .len(),
        1
    );
    assert!(matches!(
        local.request(Request::Accounts).await,
        Ok(Response::Accounts { .. })
    ));
    assert!(matches!(
        local.request(events()).await,
        Ok(Response::Events(_))
    ));

    // The remote_read setting narrows what remote clients read, or widens it.
    assert_eq!(code(remote.request(Request::Settings).await), -63);
    admin
        .request(set(&[("remote_read", "products_only")]))
        .await
        .unwrap();
    for refused in [ask_all(), Request::Diagnose { feature: None }] {
        assert_eq!(
            code(remote.request(refused.clone()).await),
            -63,
            "{refused:?}"
        );
    }
    remote.request(Request::Pools).await.unwrap();
    assert_eq!(
        status(local.request(ask_all()).await.unwrap())
            .checkouts
            .len(),
        1
    );
    admin
        .request(set(&[("remote_read", "with_connections")]))
        .await
        .unwrap();
    let seen = status(remote.request(connections()).await.unwrap());
    assert_eq!(seen.connections.len(), 1);
    assert_eq!(code(remote.request(events()).await), -63);
}

/// A `set_settings` request.
fn set(pairs: &[(&str, &str)]) -> Request {
    let settings = pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    Request::SetSettings { settings }
}

/// A setting's value in a `settings` answer.
fn value_of(answer: &Response, name: &str) -> String {
    let Response::Settings(list) = answer else {
        panic!("expected the settings, got {answer:?}")
    };
    let found = list.settings.iter().find(|s| s.name == name);
    found.map(|s| s.value.clone()).unwrap_or_default()
}

#[tokio::test]
async fn settings_are_listed_and_changed_whole_by_an_administrator_only() {
    let h = Harness::start().await;
    let mut admin = h.connect(Harness::root());
    let listed = admin.request(Request::Settings).await.unwrap();
    assert_eq!(value_of(&listed, "burst_mode"), "on");
    assert_eq!(value_of(&listed, "ud_lease"), "90d");
    let change = || set(&[("burst_mode", "off"), ("history_retention", "365")]);
    assert_eq!(code(h.connect(Caller::Remote).request(change()).await), -63);
    assert_eq!(
        code(h.connect(Harness::someone()).request(change()).await),
        -63
    );
    let mut user = h.connect(Harness::someone());
    assert_eq!(user.request(Request::Settings).await.unwrap(), listed);

    let bad = admin
        .request(set(&[("burst_mode", "off"), ("UDUserNameCase", "upper")]))
        .await;
    let Err(ClientError::Refused(e)) = bad else {
        panic!("{bad:?}")
    };
    assert_eq!(e.code.number(), -42);
    assert!(
        e.reason.starts_with("UDUserNameCase: `upper`"),
        "{}",
        e.reason
    );
    assert_eq!(code(admin.request(set(&[("colour", "blue")])).await), -42);
    assert_eq!(admin.request(Request::Settings).await.unwrap(), listed);

    let changed = admin.request(change()).await.unwrap();
    assert_eq!(value_of(&changed, "burst_mode"), "off");
    assert_eq!(value_of(&changed, "history_retention"), "365d");
    assert_eq!(admin.request(Request::Settings).await.unwrap(), changed);
    let history = Request::Events(crate::protocol::events::EventQuery {
        limit: 1000,
        ..Default::default()
    });
    let Response::Events(page) = admin.request(history).await.unwrap() else {
        panic!("expected events")
    };
    let by: Vec<_> = page
        .events
        .iter()
        .filter_map(|e| match &e.what {
            crate::protocol::events::What::SettingsChanged { by, .. } => Some(by.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(by, vec![Some("testhost\\root".to_owned())]);
}

/// A product whose old connection is still open (half-open after a network
/// failure) takes its session over on a new one: the old connection may no
/// longer act on it, and its end does not lapse the session.
#[tokio::test]
async fn a_session_taken_over_is_the_new_connections_alone() {
    use crate::protocol::frame::{read_answer, write_message};
    use crate::protocol::{Envelope, PROTOCOL_VERSION};
    let h = Harness::start().await;
    let (mut old, theirs) = tokio::io::duplex(64 * 1024);
    let served = tokio::spawn(session::serve(
        theirs,
        h.ctx.clone(),
        Caller::Remote,
        "the old connection".to_owned(),
    ));
    let mut ask = async |body: Request| -> Response {
        let request = Envelope {
            v: PROTOCOL_VERSION,
            id: 1,
            body,
        };
        write_message(&mut old, &request).await.unwrap();
        read_answer::<_, Envelope<Response>>(&mut old)
            .await
            .unwrap()
            .body
    };
    let (session, secret) = match ask(Request::StartSession {
        host: "ddc1".into(),
    })
    .await
    {
        Response::SessionStarted {
            session, secret, ..
        } => (session, secret),
        other => panic!("{other:?}"),
    };
    let mut new = h.connect(Caller::Remote);
    let reconnect = Request::Reconnect { session, secret };
    assert_eq!(new.request(reconnect).await.unwrap(), Response::Ok);
    match ask(Request::Heartbeat { session }).await {
        Response::Error(e) => assert_eq!(e.code.number(), -63, "{e:?}"),
        other => panic!("the old connection still acts on the session: {other:?}"),
    }
    drop(old);
    served.await.unwrap();
    let status = h.ctx.engine.status(Default::default()).await.unwrap();
    let mine = status.sessions.iter().find(|s| s.session == session);
    assert_eq!(
        mine.map(|s| s.lapsed_at),
        Some(None),
        "{:?}",
        status.sessions
    );
    assert_eq!(
        new.request(Request::Heartbeat { session }).await.unwrap(),
        Response::Ok
    );
}
