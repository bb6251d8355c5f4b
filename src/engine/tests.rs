//! The licensing rules, each from the seeds' own examples and scenarios,
//! driven through requests with simulated time (no sleeping).

use super::Engine;
use super::request::*;
use super::snapshot::{AssignmentKind, PoolView};
use super::state::BurstState;
use super::types::*;
use crate::license::{Expiry, Version};

const T0: Time = 1_800_000_000; // 2027-01-15

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

fn pool(feature: &str, version: &str, count: u64, lt: &str) -> PoolSpec {
    PoolSpec {
        feature: feature.into(),
        version: v(version),
        expiry: Expiry::Permanent,
        license_type: Some(lt.into()),
        vendor_string: Some(format!(";LT={lt}")),
        count,
        dup_device: true,
        lines: vec![format!("{feature}/{version}/{count}/{lt}")],
        starts: Vec::new(),
        refused: None,
    }
}

/// An engine with pools installed and one product session per host.
struct World {
    engine: Engine,
    events: Vec<Event>,
    now: Time,
}

impl World {
    fn new(pools: Vec<PoolSpec>) -> Self {
        let mut w = World {
            engine: Engine::default(),
            events: Vec::new(),
            now: T0,
        };
        w.run(Request::Reread { pools, by: None });
        w
    }

    fn run(&mut self, r: Request) -> Decision {
        let out = self.engine.handle(self.now, r);
        self.events.extend(out.events);
        out.decision
    }

    fn session(&mut self, host: &str) -> SessionId {
        let secret = Secret::new(format!("secret of {host}"));
        let request = Request::StartSession {
            host: host.into(),
            secret,
        };
        match self.run(request) {
            Decision::SessionStarted { session } => session,
            d => panic!("{d:?}"),
        }
    }

    fn checkout(
        &mut self,
        s: SessionId,
        feature: &str,
        version: &str,
        user: &str,
        device: &str,
    ) -> Decision {
        self.checkout_n(s, feature, version, user, device, 1)
    }

    fn checkout_n(
        &mut self,
        s: SessionId,
        feature: &str,
        version: &str,
        user: &str,
        device: &str,
        count: u32,
    ) -> Decision {
        let host = self.engine.sessions[&s].host.to_string();
        self.run(Request::Checkout(CheckoutRequest {
            session: s,
            feature: feature.into(),
            version: v(version),
            user: user.into(),
            device: device.into(),
            host,
            display: device.into(),
            count,
        }))
    }

    fn grant(
        &mut self,
        s: SessionId,
        feature: &str,
        version: &str,
        user: &str,
        device: &str,
    ) -> Grant {
        match self.checkout(s, feature, version, user, device) {
            Decision::Granted(g) => g,
            d => panic!("expected a grant for {user}@{device}: {d:?}"),
        }
    }

    fn denied(
        &mut self,
        s: SessionId,
        feature: &str,
        version: &str,
        user: &str,
        device: &str,
    ) -> i32 {
        match self.checkout(s, feature, version, user, device) {
            Decision::Denied(d) => d.code.number(),
            d => panic!("expected a denial for {user}@{device}: {d:?}"),
        }
    }

    fn checkin(&mut self, s: SessionId, h: Handle) {
        assert_eq!(
            self.run(Request::Checkin {
                session: s,
                handle: h
            }),
            Decision::Done
        );
    }

    fn days(&mut self, n: i64) {
        self.now += n * DAY;
        self.run(Request::Tick);
    }

    fn pools(&self, feature: &str) -> Vec<PoolView> {
        self.engine
            .snapshot(self.now)
            .pools
            .into_iter()
            .filter(|p| p.key.feature == feature)
            .collect()
    }

    fn in_use(&self, feature: &str) -> u64 {
        self.pools(feature).iter().map(|p| p.in_use).sum()
    }

    /// The state rebuilt from the events equals the live one.
    fn check_replay(&self) {
        assert!(
            Engine::replay(&self.events) == self.engine,
            "replay differs"
        );
    }
}

#[test]
fn the_start_up_license_is_built_in_and_sessions_get_stable_ids() {
    let mut w = World::new(vec![]);
    assert_eq!(w.session("xd1"), 1);
    assert_eq!(w.session("xd2"), 2);
    let startup = w.pools(STARTUP_FEATURE);
    assert_eq!(startup[0].installed, 10_000);
    w.check_replay();
}

#[test]
fn concurrent_licenses_are_per_endpoint_device_and_shared_across_product_servers() {
    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 10, "Retail")]);
    let (a, b) = (w.session("ddc-a"), w.session("ddc-b"));
    let g1 = w.grant(a, "XDT_PLT_CCU", "2026.0101", "jack", "client-1");
    assert!(!g1.shared);
    // A second session from the same endpoint on another product server
    // (a double hop passes the endpoint's device ID): the same license.
    let g2 = w.grant(b, "XDT_PLT_CCU", "2026.0101", "jack", "client-1");
    assert!(g2.shared);
    assert_eq!(w.in_use("XDT_PLT_CCU"), 1);
    // The same user from another device takes a second license.
    let g3 = w.grant(a, "XDT_PLT_CCU", "2026.0101", "jack", "client-2");
    assert_eq!(w.in_use("XDT_PLT_CCU"), 2);
    w.checkin(a, g1.handle);
    assert_eq!(
        w.in_use("XDT_PLT_CCU"),
        2,
        "still held by the other session"
    );
    w.checkin(b, g2.handle);
    w.checkin(a, g3.handle);
    assert_eq!(w.in_use("XDT_PLT_CCU"), 0);
    w.check_replay();
}

#[test]
fn a_checkout_keeps_names_as_sent_and_one_copy_of_what_it_shares() {
    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 10, "Retail")]);
    let s = w.session("ddc");
    let mut grant = |user: &str, device: &str, display: &str| {
        let request = CheckoutRequest {
            session: s,
            feature: "XDT_PLT_CCU".into(),
            version: v("2026.0101"),
            user: user.into(),
            device: device.into(),
            host: "ddc".into(),
            display: display.into(),
            count: 1,
        };
        match w.run(Request::Checkout(request)) {
            Decision::Granted(g) => g.handle,
            d => panic!("{d:?}"),
        }
    };
    let plain = grant("jack", "client-1", "");
    let sent = grant("MYCO\\Jack", "CLIENT-1", "client-1:0");
    let views = w.engine.snapshot(w.now).checkouts;
    let shown = |h: Handle| {
        let c = views.iter().find(|c| c.handle == h).unwrap();
        (
            c.feature.as_str(),
            c.user.as_str(),
            c.device.as_str(),
            c.display.as_str(),
        )
    };
    assert_eq!(shown(plain), ("XDT_PLT_CCU", "jack", "client-1", ""));
    assert_eq!(
        shown(sent),
        ("XDT_PLT_CCU", "MYCO\\Jack", "CLIENT-1", "client-1:0")
    );
    // The device's name is its holder's, the host its session's.
    let c = &w.engine.checkouts;
    assert!(std::sync::Arc::ptr_eq(&c[&plain].device, &c[&sent].device));
    assert!(std::sync::Arc::ptr_eq(
        &c[&plain].host,
        &w.engine.sessions[&s].host
    ));
    assert_eq!(w.in_use("XDT_PLT_CCU"), 1);
    w.check_replay();
}

#[test]
fn editions_never_substitute_and_unknown_features_say_so() {
    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 10, "Retail")]);
    let s = w.session("ddc");
    assert_eq!(
        w.denied(s, "XDT_ADV_CCU", "2026.0101", "u", "d"),
        Code::NO_SUCH_FEATURE
    );
    let mut w = World::new(vec![pool("XDT_PLT_ZZZ", "2026.1201", 10, "Retail")]);
    let s = w.session("ddc");
    assert_eq!(
        w.denied(s, "XDT_PLT_ZZZ", "2026.0101", "u", "d"),
        Code::NOT_SUPPORTED
    );
}

#[test]
fn only_pools_with_a_later_css_date_serve_and_one_newer_license_serves_both_versions() {
    let mut w = World::new(vec![
        pool("XDT_PLT_CCU", "2018.1101", 1, "Retail"),
        pool("XDT_PLT_CCU", "2019.0301", 1, "Retail"),
    ]);
    let (old, new) = (w.session("cvad-1811"), w.session("cvad-1903"));
    let g1 = w.grant(old, "XDT_PLT_CCU", "2018.1101", "u", "dev");
    assert_eq!(
        g1.pool.version.0.as_str(),
        "2018.1101",
        "the oldest license that serves"
    );
    // The same device now reaches the newer product: the anchor takes a
    // second license; we move the device's one license to the newer pool.
    let g2 = w.grant(new, "XDT_PLT_CCU", "2019.0301", "u", "dev");
    assert_eq!(g2.pool.version.0.as_str(), "2019.0301");
    assert_eq!(w.in_use("XDT_PLT_CCU"), 1);
    // So another device can still use the old product.
    w.grant(old, "XDT_PLT_CCU", "2018.1101", "u2", "dev2");
    assert_eq!(w.in_use("XDT_PLT_CCU"), 2);
    assert_eq!(
        w.denied(new, "XDT_PLT_CCU", "2020.0101", "u", "dev"),
        Code::VERSION_TOO_NEW
    );
    w.check_replay();
}

#[test]
fn at_the_limit_non_retail_licenses_are_denied() {
    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 2, "Eval")]);
    let s = w.session("ddc");
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "a", "d1");
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "b", "d2");
    assert_eq!(
        w.denied(s, "XDT_PLT_CCU", "2026.0101", "c", "d3"),
        Code::ALL_IN_USE
    );
    // An existing device still shares its license.
    assert!(w.grant(s, "XDT_PLT_CCU", "2026.0101", "a", "d1").shared);
}

/// The seeds' example 2: concurrent licenses and burst mode, day by day.
#[test]
fn burst_mode_for_concurrent_licenses_example_2() {
    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 10, "Retail")]);
    let s = w.session("ddc");
    let mut handles = Vec::new();
    for i in 0..10 {
        handles.push(
            w.grant(s, "XDT_PLT_CCU", "2026.0101", "u", &format!("d{i}"))
                .handle,
        );
    }
    // d0: the 11th license starts the 15-day burst; connections go on.
    let g = w.grant(s, "XDT_PLT_CCU", "2026.0101", "u", "d10");
    assert!(g.burst);
    assert!(matches!(
        w.pools("XDT_PLT_CCU")[0].burst,
        BurstState::Active { .. }
    ));
    for i in 11..15 {
        w.grant(s, "XDT_PLT_CCU", "2026.0101", "u", &format!("d{i}"));
    }
    assert_eq!(w.in_use("XDT_PLT_CCU"), 15);
    w.days(14);
    assert!(w.grant(s, "XDT_PLT_CCU", "2026.0101", "u", "d15").burst);
    // d15: burst runs out; nobody is disconnected, new connections wait.
    w.days(1);
    assert_eq!(w.pools("XDT_PLT_CCU")[0].burst, BurstState::Spent);
    assert_eq!(w.in_use("XDT_PLT_CCU"), 16);
    assert_eq!(
        w.denied(s, "XDT_PLT_CCU", "2026.0101", "u", "new"),
        Code::ALL_IN_USE
    );
    // It does not restart by itself, even below and then above the limit.
    for h in handles.drain(..7) {
        w.checkin(s, h);
    }
    assert_eq!(w.in_use("XDT_PLT_CCU"), 9);
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "u", "new");
    assert_eq!(
        w.denied(s, "XDT_PLT_CCU", "2026.0101", "u", "new2"),
        Code::ALL_IN_USE
    );
    // Installing another retail license re-arms it.
    let mut more = pool("XDT_PLT_CCU", "2026.1201", 10, "Retail");
    more.lines.push("second-order".into());
    w.run(Request::Reread {
        pools: vec![more],
        by: None,
    });
    assert_eq!(w.pools("XDT_PLT_CCU")[0].burst, BurstState::Armed);
    w.check_replay();
}

/// The seeds' example 1: user/device licenses with overdraft, then burst.
#[test]
fn overdraft_then_burst_for_user_device_licenses_example_1() {
    let mut w = World::new(vec![pool("XDT_PLT_UD", "2026.1201", 100, "Retail")]);
    let s = w.session("ddc");
    let p = &w.pools("XDT_PLT_UD")[0];
    assert_eq!((p.purchased, p.overdraft, p.installed), (100, 10, 110));
    for i in 0..105 {
        assert!(
            !w.grant(
                s,
                "XDT_PLT_UD",
                "2026.0101",
                &format!("u{i}"),
                &format!("d{i}")
            )
            .burst
        );
    }
    // d0: 105 in use, five of them overdraft, no burst yet.
    let p = &w.pools("XDT_PLT_UD")[0];
    assert_eq!((p.in_use, p.overdraft_in_use), (105, 5));
    assert_eq!(p.burst, BurstState::Armed);
    w.days(10);
    for i in 105..115 {
        let g = w.grant(
            s,
            "XDT_PLT_UD",
            "2026.0101",
            &format!("u{i}"),
            &format!("d{i}"),
        );
        // d10: the 111th license starts the burst.
        assert_eq!(g.burst, i >= 110, "{i}");
    }
    w.days(15);
    // d25: burst over; new connections need a license under 110.
    assert_eq!(w.pools("XDT_PLT_UD")[0].burst, BurstState::Spent);
    assert_eq!(
        w.denied(s, "XDT_PLT_UD", "2026.0101", "late", "late-d"),
        Code::ALL_IN_USE
    );
    // A known user on a new device needs no new license.
    assert!(w.grant(s, "XDT_PLT_UD", "2026.0101", "u1", "phone").shared);
    w.check_replay();
}

#[test]
fn burst_never_applies_to_expired_licenses_and_can_be_disabled() {
    let mut p = pool("XDT_PLT_CCU", "2026.1201", 1, "Retail");
    p.expiry = Expiry::On(day_of(T0) + chrono::Days::new(5));
    let mut w = World::new(vec![p]);
    let s = w.session("ddc");
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "u", "d1");
    w.days(6);
    assert_eq!(
        w.denied(s, "XDT_PLT_CCU", "2026.0101", "u", "d2"),
        Code::EXPIRED
    );
    assert_eq!(
        w.in_use("XDT_PLT_CCU"),
        1,
        "held checkouts stay after expiry"
    );

    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 1, "Retail")]);
    let s = w.session("ddc");
    let settings = Settings {
        burst_enabled: false,
        ..Settings::default()
    };
    w.run(Request::ChangeSettings(settings));
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "u", "d1");
    assert_eq!(
        w.denied(s, "XDT_PLT_CCU", "2026.0101", "u", "d2"),
        Code::ALL_IN_USE
    );
}

#[test]
fn settings_change_by_name_all_at_once_and_record_who_asked() {
    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 1, "Retail")]);
    let s = w.session("ddc");
    let set = |changes: &[(&str, &str)]| Request::SetSettings {
        changes: changes
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        by: "host\\admin".to_owned(),
    };
    let refused = w.run(set(&[("burst_mode", "off"), ("ud_lease", "forever")]));
    let Decision::Denied(denial) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(denial.code, Code::BAD_PARAMETER);
    assert!(
        denial.reason.starts_with("ud_lease: `forever`"),
        "{}",
        denial.reason
    );
    assert_eq!(w.engine.settings(), &Settings::default(), "nothing changed");

    assert_eq!(
        w.run(set(&[("SupplementalGracePeriod", "off")])),
        Decision::Done
    );
    assert!(!w.engine.settings().burst_enabled);
    let Some(Event::SettingsChanged { by, .. }) = w.events.last() else {
        panic!("{:?}", w.events.last())
    };
    assert_eq!(by.as_deref(), Some("host\\admin"));
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "u", "d1");
    assert_eq!(
        w.denied(s, "XDT_PLT_CCU", "2026.0101", "u", "d2"),
        Code::ALL_IN_USE,
        "burst mode is off at once"
    );
}

#[test]
fn installing_licenses_during_burst_ends_it() {
    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 1, "Retail")]);
    let s = w.session("ddc");
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "u", "d1");
    assert!(w.grant(s, "XDT_PLT_CCU", "2026.0101", "u", "d2").burst);
    let mut bigger = pool("XDT_PLT_CCU", "2026.1201", 5, "Retail");
    bigger.lines.push("new-order".into());
    w.run(Request::Reread {
        pools: vec![bigger],
        by: None,
    });
    assert_eq!(w.pools("XDT_PLT_CCU")[0].burst, BurstState::Armed);
    assert_eq!(w.in_use("XDT_PLT_CCU"), 2, "checkouts survive the reread");
    w.check_replay();
}

/// The seeds' user/device table: devices shared exclusively get the license.
#[test]
fn user_device_assignment_follows_the_guides_table() {
    let mut w = World::new(vec![pool("XDT_PLT_UD", "2026.1201", 100, "Retail")]);
    let s = w.session("ddc");
    let table = [
        ("Laptop", &["John", "Rose"][..]),
        ("PC", &["John"]),
        ("Mobiles", &["John", "Rose", "Joe", "Roy"]),
        ("Laptop2", &["Joe", "Roy"]),
        ("PC1", &["Joe"]),
        ("Desktop1", &["Tom", "Karen", "Rick", "Tony"]),
        ("Desktop2", &["Rick", "Tony"]),
    ];
    for (device, users) in table {
        for user in users {
            w.grant(s, "XDT_PLT_UD", "2026.0101", user, device);
        }
    }
    assert_eq!(w.in_use("XDT_PLT_UD"), 6);
    let snap = w.engine.snapshot(w.now);
    let names = |kind| -> Vec<String> {
        snap.assignments
            .iter()
            .filter(|a| a.kind == kind)
            .map(|a| a.name.clone())
            .collect()
    };
    // Shown as sent, in the order of the names as counted.
    assert_eq!(names(AssignmentKind::User), ["Joe", "John", "Rose", "Roy"]);
    assert_eq!(names(AssignmentKind::Device), ["Desktop1", "Desktop2"]);
    w.check_replay();
}

#[test]
fn a_second_user_on_a_users_only_device_moves_the_license_to_the_device() {
    let mut w = World::new(vec![pool("XDT_PLT_UD", "2026.1201", 1, "Eval")]);
    let s = w.session("ddc");
    w.grant(s, "XDT_PLT_UD", "2026.0101", "ann", "kiosk");
    // One user on one device: the user holds the license.
    let snap = w.engine.snapshot(w.now);
    assert_eq!(snap.assignments.len(), 1);
    assert_eq!(snap.assignments[0].kind, AssignmentKind::User);
    assert_eq!(snap.assignments[0].name, "ann");
    // The pool is full, yet the optimum does not grow: admitted.
    let g = w.grant(s, "XDT_PLT_UD", "2026.0101", "bob", "kiosk");
    assert!(g.shared);
    assert_eq!(w.in_use("XDT_PLT_UD"), 1);
    let snap = w.engine.snapshot(w.now);
    assert_eq!(snap.assignments.len(), 1);
    assert_eq!(snap.assignments[0].name, "kiosk");
    assert_eq!(
        w.denied(s, "XDT_PLT_UD", "2026.0101", "cid", "desk"),
        Code::ALL_IN_USE
    );
}

#[test]
fn leases_last_ninety_days_from_last_use() {
    let mut w = World::new(vec![pool("XDT_PLT_UD", "2026.1201", 10, "Retail")]);
    let s = w.session("ddc");
    let g = w.grant(s, "XDT_PLT_UD", "2026.0101", "ann", "pc");
    w.days(30);
    assert_eq!(w.in_use("XDT_PLT_UD"), 1, "open sessions keep the lease");
    w.checkin(s, g.handle);
    w.days(89);
    assert_eq!(w.in_use("XDT_PLT_UD"), 1);
    w.days(1);
    assert_eq!(w.in_use("XDT_PLT_UD"), 0, "90 days after the last use");
    w.check_replay();
}

#[test]
fn releasing_a_user_frees_the_license_at_once() {
    let mut w = World::new(vec![pool("XDT_PLT_UD", "2026.1201", 10, "Retail")]);
    let s = w.session("ddc");
    let g = w.grant(s, "XDT_PLT_UD", "2026.0101", "MYCO\\Ann", "pc");
    w.checkin(s, g.handle);
    let release = Request::Release {
        feature: Some("XDT_PLT_UD".into()),
        user: Some("ann@myco.com".into()),
        device: None,
        by: None,
    };
    assert_eq!(w.run(release), Decision::Done);
    assert_eq!(w.in_use("XDT_PLT_UD"), 0);
    w.check_replay();
}

#[test]
fn names_with_spaces_and_any_unicode_count_as_one_user_across_domains() {
    let mut w = World::new(vec![pool("XDT_PLT_UD", "2026.1201", 10, "Retail")]);
    let s = w.session("ddc");
    w.grant(s, "XDT_PLT_UD", "2026.0101", "MYCO\\山田 太郎", "端末 1");
    w.grant(s, "XDT_PLT_UD", "2026.0101", "山田 太郎@myco.jp", "端末 2");
    assert_eq!(w.in_use("XDT_PLT_UD"), 1);
    let snap = w.engine.snapshot(w.now);
    assert_eq!(snap.assignments[0].name, "MYCO\\山田 太郎", "as first sent");
}

#[test]
fn per_user_per_device_socket_and_server_models() {
    let mut w = World::new(vec![
        pool("XDT_PLT_USR", "2026.1201", 10, "Retail"),
        pool("XDT_PLT_DEV", "2026.1201", 10, "Retail"),
        pool("CXS_STD_SKT", "2026.1201", 10, "Retail"),
        pool("CBR_100_SSERVER", "2026.1201", 10, "Retail"),
    ]);
    let (a, b) = (w.session("host-a"), w.session("host-b"));
    for (u, d) in [("ann", "d1"), ("ann", "d2"), ("bob", "d1")] {
        w.grant(a, "XDT_PLT_USR", "2026.0101", u, d);
        w.grant(a, "XDT_PLT_DEV", "2026.0101", u, d);
    }
    assert_eq!(w.in_use("XDT_PLT_USR"), 2, "one per user");
    assert_eq!(w.in_use("XDT_PLT_DEV"), 2, "one per device");
    // Per socket: the host's sockets, counted once per host.
    let sockets =
        |w: &mut World, s, n| w.checkout_n(s, "CXS_STD_SKT", "2026.0101", "root", "hv", n);
    assert!(matches!(sockets(&mut w, a, 2), Decision::Granted(_)));
    assert!(matches!(sockets(&mut w, a, 2), Decision::Granted(_)));
    assert!(matches!(sockets(&mut w, b, 4), Decision::Granted(_)));
    assert_eq!(w.in_use("CXS_STD_SKT"), 6);
    // Server: one per product server.
    w.grant(a, "CBR_100_SSERVER", "2026.0101", "x", "y");
    w.grant(a, "CBR_100_SSERVER", "2026.0101", "z", "w");
    w.grant(b, "CBR_100_SSERVER", "2026.0101", "x", "y");
    assert_eq!(w.in_use("CBR_100_SSERVER"), 2);
    w.check_replay();
}

#[test]
fn a_lapsed_session_keeps_its_checkouts_until_the_reconnect_window_ends() {
    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 1, "Eval")]);
    let s = w.session("ddc");
    let g = w.grant(s, "XDT_PLT_CCU", "2026.0101", "u", "d1");
    w.now += 20 * 60;
    w.run(Request::Tick);
    assert!(
        w.engine.sessions[&s].lapsed_at.is_some(),
        "no heartbeat for 20 minutes"
    );
    let reconnect = |secret: &str| Request::Reconnect {
        session: s,
        secret: Secret::new(secret),
    };
    assert_eq!(
        w.run(reconnect("secret of someone else")),
        Decision::Denied(Denial::new(
            Code::NOT_ALLOWED,
            format!("session {s} was not started with this secret")
        ))
    );
    assert!(w.engine.sessions[&s].lapsed_at.is_some(), "still lapsed");
    assert_eq!(w.run(reconnect("secret of ddc")), Decision::Done);
    assert!(
        w.engine.checkouts.contains_key(&g.handle),
        "re-attached, not re-granted"
    );
    assert_eq!(w.in_use("XDT_PLT_CCU"), 1);
    w.run(Request::SessionLost { session: s });
    w.days(1);
    assert!(
        !w.engine.sessions.contains_key(&s),
        "reclaimed after the window"
    );
    assert_eq!(w.in_use("XDT_PLT_CCU"), 0);
    assert_eq!(
        w.run(reconnect("secret of ddc")),
        Decision::Denied(Denial::new(
            Code::BAD_HANDLE,
            format!("no product session {s} (it ended or was reclaimed; start a new one)")
        ))
    );
    w.check_replay();
}

#[test]
fn a_reread_that_shrinks_a_pool_keeps_what_is_held_and_denies_until_below() {
    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 3, "Eval")]);
    let s = w.session("ddc");
    let hs: Vec<Handle> = (0..3)
        .map(|i| {
            w.grant(s, "XDT_PLT_CCU", "2026.0101", "u", &format!("d{i}"))
                .handle
        })
        .collect();
    w.run(Request::Reread {
        pools: vec![pool("XDT_PLT_CCU", "2026.1201", 1, "Eval")],
        by: None,
    });
    assert_eq!(w.in_use("XDT_PLT_CCU"), 3);
    assert_eq!(
        w.denied(s, "XDT_PLT_CCU", "2026.0101", "u", "d9"),
        Code::ALL_IN_USE
    );
    w.checkin(s, hs[0]);
    w.checkin(s, hs[1]);
    assert_eq!(
        w.denied(s, "XDT_PLT_CCU", "2026.0101", "u", "d9"),
        Code::ALL_IN_USE
    );
    w.checkin(s, hs[2]);
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "u", "d9");
    // A pool removed altogether keeps its holders visible until freed.
    w.run(Request::Reread {
        pools: vec![],
        by: None,
    });
    assert!(w.pools("XDT_PLT_CCU")[0].removed);
    w.check_replay();
}

#[test]
fn events_round_trip_through_json() {
    let mut w = World::new(vec![pool("XDT_PLT_UD", "2026.1201", 1, "Retail")]);
    let s = w.session("ddc");
    w.grant(s, "XDT_PLT_UD", "2026.0101", "a", "b");
    w.grant(s, "XDT_PLT_UD", "2026.0101", "c", "d");
    let json = serde_json::to_string(&w.events).unwrap();
    let back: Vec<Event> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, w.events);
    assert!(Engine::replay(&back) == w.engine);
}

#[test]
fn a_probe_decides_like_a_checkout_and_changes_nothing() {
    let mut w = World::new(vec![pool("XDT_PLT_UD", "2026.1201", 1, "Eval")]);
    let s = w.session("ddc");
    assert!(w.engine.probe(w.now, "XDT_PLT_UD", &v("2026.0101")).is_ok());
    assert_eq!(w.in_use("XDT_PLT_UD"), 0, "no lease started");
    w.grant(s, "XDT_PLT_UD", "2026.0101", "ann", "pc");
    let denial = w
        .engine
        .probe(w.now, "XDT_PLT_UD", &v("2026.0101"))
        .unwrap_err();
    assert_eq!(denial.code, Code::ALL_IN_USE);
    assert_eq!(
        w.engine
            .probe(w.now, "XDT_PLT_UD", &v("2027.0101"))
            .unwrap_err()
            .code,
        Code::VERSION_TOO_NEW
    );
    assert_eq!(
        w.engine
            .probe(w.now, "NOPE_CCU", &v("1.0"))
            .unwrap_err()
            .code,
        Code::NO_SUCH_FEATURE
    );
}

fn with_options(w: &mut World, text: &str) {
    let parsed = crate::options::parse(text);
    assert_eq!(parsed.errors, []);
    w.run(Request::SetOptions(parsed.options));
}

#[test]
fn exclude_beats_include_and_an_include_list_admits_only_those_on_it() {
    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 10, "Eval")]);
    let s = w.session("ddc");
    with_options(
        &mut w,
        "GROUP staff ann \"Jack Smith\" bob\nINCLUDE XDT_PLT_CCU GROUP staff\nEXCLUDE XDT_PLT_CCU USER bob\n",
    );
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "ann", "d1");
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "MYCO\\Jack Smith", "d2");
    assert_eq!(
        w.denied(s, "XDT_PLT_CCU", "2026.0101", "bob", "d3"),
        Code::EXCLUDED
    );
    assert_eq!(
        w.denied(s, "XDT_PLT_CCU", "2026.0101", "eve", "d4"),
        Code::NOT_INCLUDED
    );
    w.check_replay();
}

#[test]
fn max_caps_what_a_group_holds() {
    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 10, "Eval")]);
    let s = w.session("ddc");
    with_options(&mut w, "GROUP lab a b\nMAX 2 XDT_PLT_CCU GROUP lab\n");
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "a", "d1");
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "b", "d2");
    assert_eq!(
        w.denied(s, "XDT_PLT_CCU", "2026.0101", "a", "d3"),
        Code::OVER_MAX
    );
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "c", "d3");
}

#[test]
fn reserved_licenses_are_kept_for_those_they_name() {
    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 3, "Eval")]);
    let s = w.session("ddc");
    with_options(&mut w, "RESERVE 2 XDT_PLT_CCU USER robert\n");
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "ann", "d1");
    assert_eq!(
        w.denied(s, "XDT_PLT_CCU", "2026.0101", "bob", "d2"),
        Code::RESERVED
    );
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "robert", "d3");
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "robert", "d4");
    assert_eq!(
        w.denied(s, "XDT_PLT_CCU", "2026.0101", "robert", "d5"),
        Code::ALL_IN_USE
    );
    // lmdiag's probe is nobody a reservation names.
    assert_eq!(
        w.engine
            .probe(w.now, "XDT_PLT_CCU", &v("2026.0101"))
            .unwrap_err()
            .code,
        Code::ALL_IN_USE
    );
}

#[test]
fn timeout_reclaims_checkouts_of_silent_products() {
    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 3, "Eval")]);
    let s = w.session("ddc");
    with_options(&mut w, "TIMEOUT XDT_PLT_CCU 600\n");
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "ann", "d1");
    w.now += 599;
    w.run(Request::Tick);
    assert_eq!(w.in_use("XDT_PLT_CCU"), 1);
    w.now += 1;
    w.run(Request::Tick);
    assert_eq!(
        w.in_use("XDT_PLT_CCU"),
        0,
        "idle for TIMEOUT seconds: reclaimed"
    );
    w.check_replay();
}

#[test]
fn timeout_looks_at_each_features_own_timeout_and_reclaims_in_handle_order() {
    let mut w = World::new(vec![
        pool("XDT_PLT_CCU", "2026.1201", 10, "Eval"),
        pool("XDT_ENT_CCU", "2026.1201", 10, "Eval"),
    ]);
    let (a, b, c) = (w.session("a"), w.session("b"), w.session("c"));
    // XDT_ENT_CCU falls back to TIMEOUTALL, longer than XDT_PLT_CCU's own.
    with_options(&mut w, "TIMEOUTALL 900\nTIMEOUT XDT_PLT_CCU 300\n");
    let mut held = Vec::new();
    for (s, feature, device) in [
        (a, "XDT_PLT_CCU", "d1"),
        (b, "XDT_PLT_CCU", "d2"),
        (a, "XDT_ENT_CCU", "d3"),
        (c, "XDT_PLT_CCU", "d4"),
        (b, "XDT_ENT_CCU", "d5"),
        (a, "XDT_PLT_CCU", "d6"),
    ] {
        held.push(w.grant(s, feature, "2026.0101", "u", device).handle);
    }
    // Session c is heard from; what the next request then reclaims first
    // is looked at on a copy, so that the same checkouts can be looked at
    // again later.
    let reclaimed = |w: &mut World, seconds: Time| {
        w.now += seconds;
        w.engine.apply(&Event::SessionSeen {
            session: c,
            at: w.now,
        });
        let next = w
            .engine
            .clone()
            .handle(w.now, Request::Heartbeat { session: c });
        next.events
            .iter()
            .filter_map(|e| match e {
                Event::CheckedIn { handle, .. } => Some(*handle),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    // Session c keeps being heard from; a and b fall silent.
    assert_eq!(reclaimed(&mut w, 299), Vec::<Handle>::new());
    assert_eq!(reclaimed(&mut w, 1), [held[0], held[1], held[5]]);
    assert_eq!(
        reclaimed(&mut w, 600),
        [held[0], held[1], held[2], held[4], held[5]],
        "every silent checkout, in handle order across sessions"
    );
    with_options(&mut w, "");
    assert_eq!(reclaimed(&mut w, 1), Vec::<Handle>::new(), "no TIMEOUT");
}

#[test]
fn a_checkout_fits_in_128_bytes() {
    // The allocator's size class: a held checkout is boxed, twice (the
    // engine and the reader's copy).
    assert!(size_of::<super::state::Checkout>() <= 128);
}

/// A release of a user/device connection that a session is open on.
fn release_ann(w: &mut World) -> Decision {
    w.run(Request::Release {
        feature: Some("XDT_PLT_UD".into()),
        user: Some("ann".into()),
        device: None,
        by: None,
    })
}

#[test]
fn a_release_never_lets_a_pool_exceed_installed_while_a_session_is_open() {
    // One license, no overdraft (10% of 1), no burst mode (not retail).
    let mut w = World::new(vec![pool("XDT_PLT_UD", "2026.1201", 1, "Eval")]);
    let s = w.session("ddc");
    let g = w.grant(s, "XDT_PLT_UD", "2026.0101", "ann", "pc1");
    assert_eq!(release_ann(&mut w), Decision::Done);
    assert_eq!(
        w.in_use("XDT_PLT_UD"),
        1,
        "the open session keeps its license"
    );
    assert_eq!(w.denied(s, "XDT_PLT_UD", "2026.0101", "bob", "pc2"), -4);
    // So after a restart: the state rebuilt from the events denies too.
    w.check_replay();
    let mut replayed = Engine::replay(&w.events);
    assert!(matches!(
        replayed.decide(w.now, checkout_of(s, "bob", "pc2")).0,
        Decision::Denied(Denial {
            code: Code::ALL_IN_USE,
            ..
        })
    ));
    // When the session ends the license returns at once: no 90-day lease.
    w.checkin(s, g.handle);
    assert_eq!(w.in_use("XDT_PLT_UD"), 0);
    w.grant(s, "XDT_PLT_UD", "2026.0101", "bob", "pc2");
    w.check_replay();
}

#[test]
fn a_released_connection_used_again_keeps_a_lease_of_its_own() {
    let mut w = World::new(vec![pool("XDT_PLT_UD", "2026.1201", 1, "Eval")]);
    let s = w.session("ddc");
    let first = w.grant(s, "XDT_PLT_UD", "2026.0101", "ann", "pc1");
    assert_eq!(release_ann(&mut w), Decision::Done);
    // Ann starts another session before the first ends: in use again.
    let second = w.grant(s, "XDT_PLT_UD", "2026.0101", "ann", "pc1");
    w.checkin(s, first.handle);
    w.checkin(s, second.handle);
    assert_eq!(w.in_use("XDT_PLT_UD"), 1, "leased from the last use");
    assert_eq!(w.denied(s, "XDT_PLT_UD", "2026.0101", "bob", "pc2"), -4);
    w.check_replay();
}

fn checkout_of(session: SessionId, user: &str, device: &str) -> Request {
    Request::Checkout(CheckoutRequest {
        session,
        feature: "XDT_PLT_UD".into(),
        version: v("2026.0101"),
        user: user.into(),
        device: device.into(),
        host: "ddc".into(),
        display: device.into(),
        count: 1,
    })
}

#[test]
fn a_lease_that_ran_out_unseen_is_ended_before_the_next_request_is_decided() {
    for lt in ["Eval", "Retail"] {
        let mut w = World::new(vec![pool("XDT_PLT_UD", "2026.1201", 1, lt)]);
        let s = w.session("ddc");
        let g = w.grant(s, "XDT_PLT_UD", "2026.0101", "ann", "pc1");
        w.checkin(s, g.handle);
        // The server is down past the lease's end: no tick ever ran. It
        // restarts from its events; the product reconnects and asks.
        w.now += 91 * DAY;
        let mut restarted = Engine::replay(&w.events);
        for engine in [&mut w.engine, &mut restarted] {
            let out = engine.handle(w.now, Request::Heartbeat { session: s });
            assert!(
                out.events
                    .iter()
                    .any(|e| matches!(e, Event::LeaseExpired { .. })),
                "{:?}",
                out.events
            );
            let out = engine.handle(w.now + 1, checkout_of(s, "bob", "pc2"));
            let Decision::Granted(grant) = out.decision else {
                panic!("{lt}: {:?}", out.decision);
            };
            assert!(!grant.burst, "{lt}: no burst mode for a free license");
        }
        // Straight to the checkout, the heartbeat aside, decides the same.
        let mut direct = Engine::replay(&w.events);
        let (decision, events) = direct.decide(w.now, checkout_of(s, "bob", "pc2"));
        assert!(matches!(
            decision,
            Decision::Granted(Grant { burst: false, .. })
        ));
        let expired = |e: &Event| matches!(e, Event::LeaseExpired { .. });
        assert!(
            events.iter().position(expired)
                < events.iter().position(|e| matches!(e, Event::Granted(_)))
        );
    }
}

#[test]
fn time_is_applied_before_any_decision() {
    let mut w = World::new(vec![pool("XDT_PLT_CCU", "2026.1201", 1, "Retail")]);
    let s = w.session("ddc");
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "ann", "pc1");
    // A burst period that ended unseen ends before the next request.
    assert!(w.grant(s, "XDT_PLT_CCU", "2026.0101", "bob", "pc2").burst);
    w.now += 16 * DAY;
    let other = w.run(Request::StartSession {
        host: "ddc2".into(),
        secret: Secret::default(),
    });
    assert!(matches!(other, Decision::SessionStarted { .. }));
    let ended = |e: &Event| matches!(e, Event::BurstEnded { .. });
    let started = |e: &Event| matches!(e, Event::SessionStarted { .. });
    let (burst_end, start) = (
        w.events.iter().rposition(ended),
        w.events.iter().rposition(started),
    );
    assert!(burst_end.is_some() && burst_end < start, "{:?}", w.events);
    assert_eq!(
        w.engine.burst_state(&w.pools("XDT_PLT_CCU")[0].key),
        BurstState::Spent
    );
    // A session silent past the reconnect window is gone before its own
    // request is decided.
    w.now += 2 * DAY;
    let (decision, events) = w
        .engine
        .clone()
        .decide(w.now, Request::Heartbeat { session: s });
    assert!(matches!(
        decision,
        Decision::Denied(Denial {
            code: Code::BAD_HANDLE,
            ..
        })
    ));
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::SessionEnded {
                reclaimed: true,
                ..
            }
        )),
        "{events:?}"
    );
}

#[test]
fn refused_lines_say_why_and_a_start_date_takes_effect_when_it_comes() {
    let start = chrono::NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
    let forged = PoolSpec {
        refused: Some(Refused {
            code: Code::BAD_SIGNATURE,
            reason: "invalid license key (inconsistent authentication code)".into(),
        }),
        ..pool("XDT_ENT_UD", "2026.1201", 0, "Retail")
    };
    let later = PoolSpec {
        count: 0,
        starts: vec![(start, 2)],
        ..pool("XDT_PLT_CCU", "2026.1201", 0, "Retail")
    };
    let mut w = World::new(vec![forged, later]);
    let s = w.session("ddc");
    assert_eq!(w.denied(s, "XDT_ENT_UD", "2026.0101", "ann", "pc1"), -8);
    assert_eq!(w.denied(s, "XDT_PLT_CCU", "2026.0101", "ann", "pc1"), -31);
    assert_eq!(w.denied(s, "XDT_ADV_CCU", "2026.0101", "ann", "pc1"), -5);
    assert!(
        w.pools("XDT_PLT_CCU").is_empty(),
        "not served before its START"
    );
    assert!(
        w.pools("XDT_ENT_UD").is_empty(),
        "a refused line is no pool"
    );
    // T0 is 2027-01-15: START comes 17 days on, with no reread.
    w.now += 17 * DAY;
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "ann", "pc1");
    w.grant(s, "XDT_PLT_CCU", "2026.0101", "bob", "pc2");
    // Retail: burst mode admits the third; the count was what it bought.
    assert!(w.grant(s, "XDT_PLT_CCU", "2026.0101", "cy", "pc3").burst);
    let view = &w.pools("XDT_PLT_CCU")[0];
    assert_eq!((view.purchased, view.in_use), (2, 3));
    w.check_replay();
}

#[test]
fn a_holder_is_counted_against_the_pool_that_serves_what_it_asked() {
    let mut w = World::new(vec![
        pool("XDT_PLT_UD", "2025.1201", 1, "Eval"),
        pool("XDT_PLT_UD", "2026.1201", 1, "Eval"),
    ]);
    let s = w.session("ddc");
    // Ann asks first for the older version, then on a newer product.
    w.grant(s, "XDT_PLT_UD", "2025.0601", "ann", "pc1");
    w.grant(s, "XDT_PLT_UD", "2026.0101", "ann", "pc1");
    let used = |w: &World| -> Vec<u64> { w.pools("XDT_PLT_UD").iter().map(|p| p.in_use).collect() };
    assert_eq!(used(&w), [0, 1], "ann's one license is the newer one");
    let versions: Vec<String> = w
        .engine
        .snapshot(w.now)
        .assignments
        .into_iter()
        .map(|a| a.version)
        .collect();
    assert_eq!(versions, ["2026.1201"]);
    // The older pool is free, and serves an older product.
    assert_eq!(w.denied(s, "XDT_PLT_UD", "2026.0101", "bob", "pc2"), -4);
    w.grant(s, "XDT_PLT_UD", "2025.0601", "bob", "pc2");
    assert_eq!(used(&w), [1, 1]);
    assert_eq!(w.denied(s, "XDT_PLT_UD", "2025.0601", "cy", "pc3"), -4);
    // A version raised on a held connection needs room in a newer pool.
    assert_eq!(w.denied(s, "XDT_PLT_UD", "2026.0101", "bob", "pc2"), -4);
    w.check_replay();
}

#[test]
fn an_account_without_a_name_or_unknown_is_an_invalid_parameter_not_a_missing_feature() {
    let mut w = World::new(Vec::new());
    let set = Request::SetAccount {
        name: "  ".into(),
        role: AccountRole::Admin,
        by: None,
    };
    let unknown = Request::RemoveAccount {
        name: "host\\nobody".into(),
        by: None,
    };
    for request in [set, unknown] {
        match w.run(request) {
            Decision::Denied(d) => assert_eq!(d.code, Code::BAD_PARAMETER, "{d:?}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}
