//! User and device names as an administrator expects them: identity
//! follows the name settings (`UDUseDomain`, `UDUserNameCase`,
//! `UDDeviceNameCase`), a change of them re-keys the holders at once, and
//! every surface shows a holder by the name first sent.
//!
//! The rules are driven through the engine with simulated time; the
//! surfaces through a real lmgrd and the `lmutil` tools.

use lmutil::client::{CheckoutArgs, Connection, ProductSession};
use lmutil::engine::types::NameCase;
use lmutil::engine::{
    CheckoutRequest, Decision, Engine, Event, PoolSpec, Request, Settings, Snapshot, Time,
};
use lmutil::license::{Expiry, Version};

use crate::common::{License, TestDaemon, lmutil};

const T0: Time = 1_800_000_000;

/// A retail pool of `count` licenses whose devices share (DUP_GROUP=V).
fn pool(feature: &str, count: u64) -> PoolSpec {
    PoolSpec {
        feature: feature.into(),
        version: Version::parse("2026.1201").unwrap(),
        expiry: Expiry::Permanent,
        license_type: Some("Retail".into()),
        vendor_string: Some(";LT=Retail".into()),
        count,
        dup_device: true,
        lines: vec![format!("{feature}/{count}")],
        starts: Vec::new(),
        refused: None,
    }
}

/// An engine with the pools of the four counted-by-name models, the
/// events it emitted, and one product session.
struct World {
    engine: Engine,
    events: Vec<Event>,
    now: Time,
}

impl World {
    fn new(settings: Settings) -> Self {
        let mut w = World {
            engine: Engine::default(),
            events: Vec::new(),
            now: T0,
        };
        let pools = ["XDT_PLT_UD", "XDT_PLT_USR", "XDT_PLT_DEV", "XDT_PLT_CCU"]
            .map(|f| pool(f, 100))
            .to_vec();
        w.run(Request::Reread { pools, by: None });
        w.run(Request::ChangeSettings(settings));
        let start = Request::StartSession {
            host: "ddc".into(),
            secret: lmutil::engine::request::Secret::new("the secret of ddc"),
        };
        match w.run(start) {
            Decision::SessionStarted { session } => assert_eq!(session, 1),
            d => panic!("{d:?}"),
        }
        w
    }

    fn run(&mut self, r: Request) -> Decision {
        self.now += 1;
        let out = self.engine.handle(self.now, r);
        self.events.extend(out.events);
        out.decision
    }

    /// A granted checkout's handle.
    fn grant(&mut self, feature: &str, user: &str, device: &str) -> u64 {
        let req = CheckoutRequest {
            session: 1,
            feature: feature.into(),
            version: Version::parse("2026.0101").unwrap(),
            user: user.into(),
            device: device.into(),
            host: "ddc".into(),
            display: device.into(),
            count: 1,
        };
        match self.run(Request::Checkout(req)) {
            Decision::Granted(g) => g.handle,
            d => panic!("expected a grant for {user} on {device}: {d:?}"),
        }
    }

    fn checkin(&mut self, handle: u64) {
        let d = self.run(Request::Checkin { session: 1, handle });
        assert_eq!(d, Decision::Done);
    }

    fn settings(&mut self, settings: Settings) {
        assert_eq!(self.run(Request::ChangeSettings(settings)), Decision::Done);
    }

    fn snapshot(&self) -> Snapshot {
        self.engine.snapshot(self.now)
    }

    fn in_use(&self, feature: &str) -> u64 {
        let snap = self.snapshot();
        snap.pools
            .iter()
            .filter(|p| p.key.feature == feature)
            .map(|p| p.in_use)
            .sum()
    }

    /// The connections of `feature` as shown: (user, device, open).
    fn connections(&self, feature: &str) -> Vec<(String, String, u32)> {
        let snap = self.snapshot();
        snap.connections
            .into_iter()
            .filter(|c| c.feature == feature)
            .map(|c| (c.user, c.device, c.open))
            .collect()
    }

    /// The users and devices shown on the checkouts of `feature`.
    fn checkouts(&self, feature: &str) -> Vec<(String, String)> {
        let snap = self.snapshot();
        snap.checkouts
            .into_iter()
            .filter(|c| c.feature == feature)
            .map(|c| (c.user, c.device))
            .collect()
    }

    /// The state rebuilt from the events is the state.
    fn check_replay(&self) {
        let replayed = Engine::replay(&self.events);
        assert!(replayed == self.engine, "replay differs");
        assert_eq!(replayed.snapshot(self.now), self.snapshot());
    }
}

const JACKS: [&str; 3] = ["MYCO\\Jack", "jack@myco.com", "JACK"];

#[test]
fn by_default_the_domain_is_truncated_and_case_ignored() {
    let mut w = World::new(Settings::default());
    for user in JACKS {
        w.grant("XDT_PLT_USR", user, "Desktop1");
        w.grant("XDT_PLT_UD", user, "Desktop1");
    }
    assert_eq!(w.in_use("XDT_PLT_USR"), 1, "one user");
    assert_eq!(w.in_use("XDT_PLT_UD"), 1);
    let one = vec![("MYCO\\Jack".to_owned(), "Desktop1".to_owned(), 3)];
    assert_eq!(w.connections("XDT_PLT_UD"), one, "shown as first sent");
    // Every checkout of the user shows the holder's name, not its own.
    let shown = ("MYCO\\Jack".to_owned(), "Desktop1".to_owned());
    assert_eq!(w.checkouts("XDT_PLT_UD"), vec![shown; 3]);
    w.check_replay();
}

#[test]
fn ud_use_domain_1_keeps_the_domain() {
    let settings = Settings {
        use_domain: true,
        ..Settings::default()
    };
    let mut w = World::new(settings);
    for user in JACKS {
        w.grant("XDT_PLT_USR", user, "Desktop1");
    }
    // `MYCO\Jack` and `JACK` are two users once the domain counts; case
    // is still ignored within one domain.
    assert_eq!(w.in_use("XDT_PLT_USR"), 3);
    w.grant("XDT_PLT_USR", "myco\\JACK", "Desktop1");
    assert_eq!(w.in_use("XDT_PLT_USR"), 3, "the same user as MYCO\\Jack");
    w.check_replay();
}

#[test]
fn user_name_case_sensitive_tells_users_apart_and_leaves_devices_alone() {
    let settings = Settings {
        user_name_case: NameCase::Sensitive,
        ..Settings::default()
    };
    let mut w = World::new(settings);
    for user in ["Jack", "JACK", "MYCO\\Jack"] {
        w.grant("XDT_PLT_USR", user, "Desktop1");
    }
    assert_eq!(w.in_use("XDT_PLT_USR"), 2, "Jack (twice) and JACK");
    for device in ["Desktop1", "DESKTOP1"] {
        w.grant("XDT_PLT_DEV", "jack", device);
    }
    assert_eq!(w.in_use("XDT_PLT_DEV"), 1, "device names still ignore case");
    w.check_replay();
}

#[test]
fn device_name_case_sensitive_tells_devices_apart_in_every_model() {
    let settings = Settings {
        device_name_case: NameCase::Sensitive,
        ..Settings::default()
    };
    let mut w = World::new(settings);
    for device in ["Desktop1", "DESKTOP1"] {
        w.grant("XDT_PLT_DEV", "jack", device);
        w.grant("XDT_PLT_CCU", "jack", device);
        w.grant("XDT_PLT_USR", "JACK", device);
    }
    assert_eq!(w.in_use("XDT_PLT_DEV"), 2);
    assert_eq!(
        w.in_use("XDT_PLT_CCU"),
        2,
        "no longer one device's sessions"
    );
    assert_eq!(w.in_use("XDT_PLT_USR"), 1, "user names still ignore case");
    let mut w = World::new(Settings::default());
    for device in ["Desktop1", "DESKTOP1"] {
        w.grant("XDT_PLT_DEV", "jack", device);
        w.grant("XDT_PLT_CCU", "jack", device);
    }
    assert_eq!((w.in_use("XDT_PLT_DEV"), w.in_use("XDT_PLT_CCU")), (1, 1));
    w.check_replay();
}

#[test]
fn the_name_first_sent_is_shown_until_its_last_connection_ends() {
    let mut w = World::new(Settings::default());
    let first = w.grant("XDT_PLT_UD", "Ann Lee", "Desktop1");
    w.grant("XDT_PLT_UD", "ann lee", "desktop1");
    w.grant("XDT_PLT_UD", "ANN LEE", "Laptop 2");
    let shown = w.connections("XDT_PLT_UD");
    assert_eq!(
        shown,
        [
            ("Ann Lee".into(), "Desktop1".into(), 2),
            ("Ann Lee".into(), "Laptop 2".into(), 1)
        ]
    );
    let snap = w.snapshot();
    let holders: Vec<&str> = snap.assignments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(holders, ["Ann Lee"], "one user holds both devices");
    w.checkin(first);
    assert_eq!(w.connections("XDT_PLT_UD")[0].0, "Ann Lee");
    // Released: the user has no connection left, and the next spelling
    // sent is the one shown.
    let release = Request::Release {
        feature: None,
        user: Some("ANN LEE".into()),
        device: None,
        by: None,
    };
    assert_eq!(w.run(release), Decision::Done);
    w.checkin(first + 1);
    w.checkin(first + 2);
    assert!(w.connections("XDT_PLT_UD").is_empty());
    w.grant("XDT_PLT_UD", "ANN LEE", "DESKTOP1");
    assert_eq!(
        w.connections("XDT_PLT_UD"),
        [("ANN LEE".into(), "DESKTOP1".into(), 1)]
    );
    w.check_replay();
}

#[test]
fn a_change_of_the_name_settings_rekeys_open_and_idle_holders_at_once() {
    let mut w = World::new(Settings::default());
    let jack = w.grant("XDT_PLT_USR", "Jack", "Desktop1");
    let upper = w.grant("XDT_PLT_USR", "JACK", "Desktop1");
    w.grant("XDT_PLT_CCU", "ann", "Desktop1");
    let ccu = w.grant("XDT_PLT_CCU", "ann", "DESKTOP1");
    assert_eq!((w.in_use("XDT_PLT_USR"), w.in_use("XDT_PLT_CCU")), (1, 1));
    let sensitive = Settings {
        user_name_case: NameCase::Sensitive,
        device_name_case: NameCase::Sensitive,
        ..Settings::default()
    };
    w.settings(sensitive.clone());
    // Each open session is counted by the name it sent.
    assert_eq!((w.in_use("XDT_PLT_USR"), w.in_use("XDT_PLT_CCU")), (2, 2));
    let users: Vec<String> = w
        .connections("XDT_PLT_USR")
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(users, ["Jack", "JACK"]);
    w.checkin(ccu);
    assert_eq!(
        w.in_use("XDT_PLT_CCU"),
        1,
        "the re-keyed holder is checked in"
    );
    w.checkin(jack);
    w.checkin(upper);
    assert_eq!(w.in_use("XDT_PLT_USR"), 2, "both leases run");
    // Back to the default: the two idle users are one again, shown as the
    // one first sent.
    w.settings(Settings::default());
    assert_eq!(w.in_use("XDT_PLT_USR"), 1);
    let users: Vec<String> = w
        .connections("XDT_PLT_USR")
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(users, ["Jack"]);
    // A request is counted under the settings in force.
    w.grant("XDT_PLT_USR", "jACK", "Desktop1");
    assert_eq!(w.in_use("XDT_PLT_USR"), 1);
    w.check_replay();
    // A connection with an open session is counted by the names its
    // sessions sent: what else was sent over it is not kept.
    w.settings(Settings {
        use_domain: true,
        ..sensitive
    });
    assert_eq!(w.in_use("XDT_PLT_USR"), 1);
    assert_eq!(
        w.connections("XDT_PLT_USR"),
        [("jACK".into(), "Desktop1".into(), 1)]
    );
    w.check_replay();
}

#[test]
fn settings_stored_by_earlier_versions_still_read() {
    let old = r#"{"keep_domain":true,"case_sensitive_names":true,"burst_enabled":false,
        "lease":100,"burst_length":200,"heartbeat_timeout":300,"reconnect_window":400}"#;
    let s: Settings = serde_json::from_str(old).unwrap();
    assert!(s.use_domain && !s.burst_enabled);
    assert_eq!(s.user_name_case, NameCase::Sensitive);
    assert_eq!(s.device_name_case, NameCase::Sensitive);
    assert_eq!(s.lease, 100);
    let s: Settings = serde_json::from_str("{}").unwrap();
    assert_eq!(s, Settings::default(), "a missing setting is its default");
    let round = serde_json::to_string(&Settings::default()).unwrap();
    assert_eq!(
        serde_json::from_str::<Settings>(&round).unwrap(),
        Settings::default()
    );
    assert!(
        round.contains(r#""user_name_case":"insensitive""#),
        "{round}"
    );
}

/// A daemon with a user/device license in which one user, sent three
/// ways, holds a license through two devices.
async fn daemon_with_jack() -> (TestDaemon, ProductSession) {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_UD", 10)
        .vendor_string(";LT=Retail;GP=720")
        .install(root.path(), "ud.lic");
    let d = TestDaemon::start(root);
    let mut p = ProductSession::start(Connection::tcp(&d.vendor_addr()).await.unwrap(), "ddc")
        .await
        .unwrap();
    for (user, device) in [
        ("MYCO\\Jack", "Desktop1"),
        ("jack@myco.com", "Desktop1"),
        ("JACK", "Laptop 2"),
    ] {
        let args = CheckoutArgs {
            feature: "XDT_PLT_UD",
            version: "2026.0101",
            user,
            device,
            display: device,
            count: 1,
        };
        p.checkout(args).await.unwrap();
    }
    (d, p)
}

fn tool(d: &TestDaemon, tool: &str, args: &[&str]) -> crate::common::Run {
    let socket = d.socket.to_str().unwrap().to_owned();
    let mut all = vec![tool, "-c", &socket];
    all.extend_from_slice(args);
    lmutil(all)
}

#[tokio::test]
async fn one_user_sent_three_ways_holds_one_license_shown_as_first_sent() {
    let (d, _product) = daemon_with_jack().await;
    let list = tool(&d, "udadmin", &["-list"]).succeeds().stdout();
    assert!(
        list.contains("\nMYCO\\Jack XDT_PLT_UD 2026.1201\n"),
        "{list}"
    );
    assert!(!list.to_lowercase().contains("\njack "), "{list}");
    let a = tool(&d, "udadmin", &["-a"]).succeeds().stdout();
    assert!(a.contains("│ XDT_PLT_UD ┆ MYCO\\Jack ┆ "), "{a}");
    let lmstat = tool(&d, "lmstat", &["-a"]).succeeds().stdout();
    assert!(lmstat.contains("Total of 1 license in use"), "{lmstat}");
    let holders: Vec<&str> = lmstat
        .lines()
        .filter(|l| l.contains(" (v2026.0101) "))
        .collect();
    assert!(!holders.is_empty(), "{lmstat}");
    for line in holders {
        assert!(line.trim_start().starts_with("MYCO\\Jack "), "{line}");
    }
    let json = tool(&d, "lmstat", &["-a", "--json"]).succeeds().json();
    let users = |key: &str, field: &str| -> Vec<String> {
        json[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} in {json}"))
            .iter()
            .map(|x| x[field].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(users("assignments", "name"), ["MYCO\\Jack"]);
    assert_eq!(users("checkouts", "user"), ["MYCO\\Jack"; 3]);
    let export = tool(&d, "udadmin", &["-export"]).succeeds().stdout();
    let rows: Vec<&str> = export.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{export}");
    assert!(
        rows[0].starts_with("XDT_PLT_UD,MYCO\\Jack,Desktop1,Desktop1,2026.0101,2026.1201,"),
        "{export}"
    );
    assert!(
        rows[1].starts_with("XDT_PLT_UD,MYCO\\Jack,Laptop 2,Laptop 2,2026.0101,2026.1201,"),
        "{export}"
    );
}

#[tokio::test]
async fn any_spelling_releases_the_user_and_the_history_shows_the_name_first_sent() {
    let (d, _product) = daemon_with_jack().await;
    tool(&d, "udadmin", &["-user", "jack", "-delete"]).succeeds();
    let events = tool(&d, "udadmin", &["-events"]).succeeds().stdout();
    for device in ["Desktop1", "Laptop 2"] {
        let line = format!("XDT_PLT_UD released: user MYCO\\Jack device {device}");
        assert!(events.contains(&line), "{events}");
    }
    let json = tool(&d, "udadmin", &["-events", "--json"])
        .succeeds()
        .json();
    let released: Vec<&serde_json::Value> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "released")
        .collect();
    assert_eq!(released.len(), 2, "{json}");
    assert!(released.iter().all(|e| e["user"] == "MYCO\\Jack"), "{json}");
}

#[test]
fn ended_leases_and_releases_record_the_names_shown() {
    let mut w = World::new(Settings::default());
    let h = w.grant("XDT_PLT_UD", "Ann Lee", "Desktop1");
    w.grant("XDT_PLT_UD", "Bob", "desktop1");
    w.checkin(h);
    let release = Request::Release {
        feature: None,
        user: Some("bob".into()),
        device: None,
        by: None,
    };
    assert_eq!(w.run(release), Decision::Done);
    w.now += 91 * lmutil::engine::types::DAY;
    w.run(Request::Tick);
    let shown: Vec<(&str, &str, &str)> = w
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Released {
                user,
                shown: Some((u, d)),
                ..
            } => Some(("released", u.as_str(), d.as_str())).filter(|_| user == "bob"),
            Event::LeaseExpired {
                shown: Some((u, d)),
                ..
            } => Some(("expired", u.as_str(), d.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("released", "Bob", "Desktop1"),
            ("expired", "Ann Lee", "Desktop1")
        ]
    );
    w.check_replay();
}
