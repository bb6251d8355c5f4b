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
        let (engine, _owner) = owner::start(store, check, log.clone(), &spawner).unwrap();
        let reading = licenses::reread(&config, &engine, &log).await.unwrap();
        let (drain, draining) = watch::channel(false);
        let ctx = Context::new(Parts {
            engine,
            config,
            log,
            vendor_listening: watch::channel(true).1,
            host: "testhost".to_owned(),
            ports: (27000, 7279),
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
