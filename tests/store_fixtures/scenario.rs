//! The history every fixture database of the store records: requests to
//! the engine that make it emit every kind of event it has (grants of every
//! license model, shared or not, in burst mode or not; checkins; sessions
//! started, seen, lapsed, reconnected, ended and reclaimed; leases run out;
//! releases; burst periods started, ended for each reason and re-armed;
//! pools replaced, a pool removed while held; settings, options, accounts).
//!
//! The fixture of a schema version is written by the code of that version
//! playing this history, so this file uses only the parts of the library
//! that were already there at schema version 1 (the engine's requests and
//! events, `Engine::handle`, the options parser): the generator of an older
//! version's fixture includes it as it is. The fixtures already made
//! record it as it stands: grow it only at its end, for a new version.

use lmutil::engine::request::{AccountRole, Secret};
use lmutil::engine::types::DAY;
use lmutil::engine::{CheckoutRequest, Decision, Engine, Event, PoolSpec, Request, Settings, Time};
use lmutil::license::Version;

/// The first request's time, 2100-01-01T00:00:00Z: in the future, so that
/// an lmgrd started on a fixture, whose clock is the wall clock, runs none
/// of the recorded times out (a heartbeat, a reconnect window, a burst
/// period, a lease) and answers with the recorded state.
pub const T0: Time = 4_102_444_800;
/// The second part, 92 days on: after the first part's leases ran out.
pub const T1: Time = T0 + 92 * DAY;
/// When the recorded state is read.
pub const END: Time = T1 + 200;

/// The options file in force (`CITRIX.opt`).
pub const OPTIONS: &str = "GROUP staff amy ben\nEXCLUDE MPS_ENT_SKT USER eve\nNOLOG QUEUED\n";

/// The version every checkout asks for.
const VERSION: &str = "2026.1201";

/// The settings in force at the end: the defaults, but a longer heartbeat
/// timeout.
pub fn settings() -> Settings {
    Settings {
        heartbeat_timeout: 20 * 60,
        ..Settings::default()
    }
}

/// Plays the history on a new engine: `first` are the pools installed at
/// the start, `second` those of the reread that installs a new license and
/// removes another. Returns each request's events, in order. A refused
/// request, or a grant not in burst mode when it should be (or the other
/// way round), is a panic: the fixture would not record what it claims to.
pub fn play(first: Vec<PoolSpec>, second: Vec<PoolSpec>) -> Vec<Vec<Event>> {
    let mut p = Play {
        engine: Engine::default(),
        batches: Vec::new(),
    };
    p.set_up(first);
    p.first_part();
    p.later(second);
    p.second_part();
    p.batches
}

struct Play {
    engine: Engine,
    batches: Vec<Vec<Event>>,
}

impl Play {
    fn ask(&mut self, now: Time, request: Request) -> Decision {
        let outcome = self.engine.handle(now, request);
        if let Decision::Denied(d) = &outcome.decision {
            panic!("refused at {now}: {d:?}");
        }
        self.batches.push(outcome.events);
        outcome.decision
    }

    fn start(&mut self, now: Time, host: &str, expected: u64) {
        let host = host.to_owned();
        let secret = Secret::default();
        match self.ask(now, Request::StartSession { host, secret }) {
            Decision::SessionStarted { session } => assert_eq!(session, expected),
            other => panic!("{other:?}"),
        }
    }

    /// A checkout by `who` (session, user, device, host), in burst mode or not.
    fn checkout(&mut self, now: Time, feature: &str, who: (u64, &str, &str, &str), burst: bool) {
        self.checkout_with(now, request(feature, who), burst);
    }

    fn checkout_with(&mut self, now: Time, request: CheckoutRequest, burst: bool) {
        match self.ask(now, Request::Checkout(request)) {
            Decision::Granted(g) => assert_eq!(g.burst, burst, "at {now}"),
            other => panic!("{other:?}"),
        }
    }

    fn checkin(&mut self, now: Time, session: u64, handle: u64) {
        self.ask(now, Request::Checkin { session, handle });
    }

    /// Time passes: session 2, the one that lives through, is seen first.
    fn tick(&mut self, now: Time) {
        self.ask(now, Request::Heartbeat { session: 2 });
        self.ask(now, Request::Tick);
    }

    /// Options, pools and accounts.
    fn set_up(&mut self, pools: Vec<PoolSpec>) {
        let options = lmutil::options::parse(OPTIONS);
        assert!(options.errors.is_empty(), "{:?}", options.errors);
        self.ask(T0, Request::SetOptions(options.options));
        self.ask(T0, Request::Reread { pools, by: None });
        let accounts = [
            ("LIC\\admin1", AccountRole::Admin),
            ("lic-admins", AccountRole::AdminGroup),
            ("viewer", AccountRole::User),
            ("temp", AccountRole::User),
            ("viewers", AccountRole::UserGroup),
        ];
        for (name, role) in accounts {
            let name = name.to_owned();
            self.ask(
                T0,
                Request::SetAccount {
                    name,
                    role,
                    by: None,
                },
            );
        }
        let name = "temp".to_owned();
        self.ask(T0, Request::RemoveAccount { name, by: None });
    }

    /// Sessions 1 to 3 and handles 1 to 9; burst mode of XDT_STD_DEV
    /// started and disabled, of MPS_ENT_SKT and XDT_STD_USR started.
    fn first_part(&mut self) {
        self.start(T0, "xa1", 1);
        self.checkout(T0 + 10, "XDT_PLT_UD", (1, "dave", "d9", "xa1"), false);
        self.checkin(T0 + 20, 1, 1);
        self.checkout(T0 + 30, "XDT_STD_DEV", (1, "kim", "k1", "xa1"), false);
        self.checkout(T0 + 40, "XDT_STD_DEV", (1, "kim", "k2", "xa1"), true);
        let off = Settings {
            burst_enabled: false,
            ..Settings::default()
        };
        self.ask(T0 + 50, Request::ChangeSettings(off));
        self.ask(T0 + 60, Request::ChangeSettings(settings()));
        self.ask(T0 + 70, Request::EndSession { session: 1 });
        self.start(T0 + 100, "xa2", 2);
        let olga = (2, "MYCO\\Olga", "D5", "xa2");
        self.checkout(T0 + 110, "XDT_ADV_CCS", olga, false);
        let sockets = |count, who| CheckoutRequest {
            count,
            ..request("MPS_ENT_SKT", who)
        };
        self.checkout_with(T0 + 120, sockets(2, (2, "sam", "s1", "xa2")), false);
        self.start(T0 + 130, "xa3", 3);
        self.checkout_with(T0 + 140, sockets(3, (3, "sam", "s2", "xa3")), true);
        self.checkout(T0 + 150, "XDT_STD_USR", (3, "amy", "a1", "xa3"), false);
        self.checkout(T0 + 160, "XDT_STD_USR", (3, "ben", "b1", "xa3"), true);
        self.checkout(T0 + 170, "XDT_ADV_NU", (3, "nina", "n1", "xa3"), false);
        self.ask(T0 + 180, Request::SessionLost { session: 2 });
        let secret = Secret::default();
        self.ask(T0 + 190, Request::Reconnect { session: 2, secret });
        self.ask(T0 + 200, Request::Heartbeat { session: 2 });
    }

    /// The reread, a release, and the time that ends burst periods,
    /// sessions and leases.
    fn later(&mut self, pools: Vec<PoolSpec>) {
        self.ask(T0 + 300, Request::Reread { pools, by: None });
        self.checkin(T0 + 400, 3, 9);
        let release = Request::Release {
            feature: Some("XDT_ADV_NU".to_owned()),
            user: Some("nina".to_owned()),
            device: None,
            by: None,
        };
        self.ask(T0 + 500, release);
        // MPS_ENT_SKT's burst period ends; session 3 lapses, then is reclaimed.
        self.tick(T0 + 16 * DAY);
        self.tick(T0 + 18 * DAY);
        // The leases of dave, kim's two devices run out.
        self.tick(T0 + 91 * DAY);
    }

    /// Sessions 4 and 5, handles 10 to 26, a grant of every model; burst
    /// mode of XDT_PLT_UD started; session 5 lapses.
    fn second_part(&mut self) {
        self.start(T1, "xa4", 4);
        self.checkout(
            T1 + 10,
            "XDT_PLT_UD",
            (4, "MYCO\\Alice", "D1", "xa4"),
            false,
        );
        self.checkout(T1 + 20, "XDT_PLT_UD", (4, "alice", "d2", "xa4"), false);
        self.checkout(T1 + 30, "XDT_PLT_UD", (4, "bob", "d1", "xa4"), false);
        self.checkout(T1 + 40, "XDT_PLT_UD", (4, "carol", "d3", "xa4"), true);
        self.checkout(T1 + 45, "XDT_PLT_UD", (4, "dan", "d3", "xa4"), false);
        self.start(T1 + 50, "xa5", 5);
        self.checkout(T1 + 60, "XDT_ENT_CCU", (4, "erin", "e1", "xa4"), false);
        self.checkout(T1 + 70, "XDT_ENT_CCU", (5, "erin", "e1", "xa5"), false);
        let fred = CheckoutRequest {
            display: "f1:0".to_owned(),
            ..request("XDT_ENT_CCU", (5, "fred", "f1", "xa5"))
        };
        self.checkout_with(T1 + 80, fred, false);
        self.checkout(T1 + 90, "CBR_100_SSERVER", (4, "svc", "x4", "xa4"), false);
        self.checkout(T1 + 100, "CBR_100_SSERVER", (5, "svc", "x5", "xa5"), false);
        let sockets = |count| CheckoutRequest {
            count,
            ..request("MPS_ENT_SKT", (4, "sam", "s3", "xa4"))
        };
        self.checkout_with(T1 + 110, sockets(2), false);
        self.checkout_with(T1 + 120, sockets(1), false);
        self.checkout(T1 + 130, "CITRIX", (4, "ctx", "x4", "xa4"), false);
        self.checkout(T1 + 140, "CTXLSDIAG", (5, "diag", "x5", "xa5"), false);
        self.checkout(T1 + 150, "XDT_STD_USR", (4, "amy", "a2", "xa4"), false);
        self.checkout(T1 + 160, "XDT_STD_DEV", (4, "kim", "k3", "xa4"), false);
        self.checkout(T1 + 170, "XDT_ADV_NU", (5, "Nina", "n2", "xa5"), false);
        self.ask(T1 + 180, Request::SessionLost { session: 5 });
    }
}

/// A checkout of one license of `feature` at [`VERSION`].
fn request(
    feature: &str,
    (session, user, device, host): (u64, &str, &str, &str),
) -> CheckoutRequest {
    CheckoutRequest {
        session,
        feature: feature.to_owned(),
        version: Version::parse(VERSION).expect("a valid version"),
        user: user.to_owned(),
        device: device.to_owned(),
        host: host.to_owned(),
        display: String::new(),
        count: 1,
    }
}
