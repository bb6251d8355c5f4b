//! The conditions, from engines driven through requests at chosen times,
//! and the tracker: raised once per change of state, never once per
//! request, raised again only after it cleared.

use proptest::prelude::*;

use super::*;
use crate::engine::request::{CheckoutRequest, Decision, Request, Secret, SessionId};
use crate::engine::types::{DAY, PoolSpec, Refused};
use crate::license::Version;

const T0: Time = 1_800_000_000; // 2027-01-15

fn spec(feature: &str, count: u64, lt: &str, expiry: Expiry) -> PoolSpec {
    PoolSpec {
        feature: feature.into(),
        version: Version::parse("2026.1201").unwrap(),
        expiry,
        license_type: Some(lt.into()),
        vendor_string: Some(format!(";LT={lt}")),
        count,
        dup_device: true,
        lines: vec![format!("{feature}/{count}/{lt}")],
        starts: Vec::new(),
        refused: None,
    }
}

fn engine(pools: Vec<PoolSpec>) -> (Engine, SessionId) {
    let mut e = Engine::default();
    e.handle(T0, Request::Reread { pools, by: None });
    let start = Request::StartSession {
        host: "xa1".into(),
        secret: Secret::new("s"),
    };
    match e.handle(T0, start).decision {
        Decision::SessionStarted { session } => (e, session),
        d => panic!("{d:?}"),
    }
}

fn checkout(e: &mut Engine, s: SessionId, feature: &str, who: &str) -> Decision {
    let request = CheckoutRequest {
        session: s,
        feature: feature.into(),
        version: Version::parse("2026.0101").unwrap(),
        user: who.into(),
        device: who.into(),
        host: "xa1".into(),
        display: who.into(),
        count: 1,
    };
    e.handle(T0, Request::Checkout(request)).decision
}

fn kinds(e: &Engine, now: Time) -> Vec<(AlertKind, String)> {
    conditions(e, now)
        .into_iter()
        .map(|a| (a.kind, a.feature))
        .collect()
}

fn on(days_after_t0: i64) -> Expiry {
    Expiry::On(day_of(T0 + days_after_t0 * DAY))
}

#[test]
fn a_license_expiring_in_20_days_raises_both_warnings_and_in_60_days_one() {
    let (e, _) = engine(vec![
        spec("XDT_PLT_CCU", 10, "Retail", on(20)),
        spec("XDT_ENT_CCU", 10, "Retail", on(60)),
        spec("XDT_ADV_CCU", 10, "Retail", on(91)),
        spec("MPS_ENT_CCU", 10, "Retail", Expiry::Permanent),
    ]);
    let all = conditions(&e, T0);
    let found: Vec<(AlertKind, &str)> = all.iter().map(|a| (a.kind, a.feature.as_str())).collect();
    assert_eq!(
        found,
        [
            (AlertKind::ExpiresWithin90Days, "XDT_ENT_CCU"),
            (AlertKind::ExpiresWithin90Days, "XDT_PLT_CCU"),
            (AlertKind::ExpiresWithin30Days, "XDT_PLT_CCU"),
        ]
    );
    let plt = &all[1];
    assert_eq!(plt.version.as_deref(), Some("2026.1201"));
    assert_eq!(plt.expiry.as_deref(), Some("2027-02-04"));
    assert_eq!(plt.detail, "expires on 2027-02-04, in 20 days");
    // A day later the words change, not the alert.
    let later = conditions(&e, T0 + DAY);
    let plt = later.iter().find(|a| a.key() == plt.key()).unwrap();
    assert_eq!(plt.detail, "expires on 2027-02-04, in 19 days");
    // Once 91 days out comes within 90, it is warned of.
    assert!(kinds(&e, T0 + DAY).contains(&(AlertKind::ExpiresWithin90Days, "XDT_ADV_CCU".into())));
}

#[test]
fn a_pool_at_90_and_100_percent_raises_each_once_and_clears_when_freed() {
    let (mut e, s) = engine(vec![spec("XDT_PLT_CCU", 10, "Eval", Expiry::Permanent)]);
    let mut tracker = Tracker::default();
    let mut raised = Vec::new();
    for n in 0..14 {
        let _ = checkout(&mut e, s, "XDT_PLT_CCU", &format!("d{n}"));
        for c in tracker.update(conditions(&e, T0)) {
            assert_eq!(c.change, AlertChange::Raised, "{c:?}");
            raised.push((n, c.alert.kind, c.alert.detail));
        }
    }
    assert_eq!(
        raised,
        [
            (
                8,
                AlertKind::PoolAt90Percent,
                "9 of 10 licenses in use".to_owned()
            ),
            (
                9,
                AlertKind::PoolFull,
                "10 of 10 licenses in use".to_owned()
            ),
        ],
        "the checkouts refused past 10 raise nothing more"
    );
    let handles: Vec<_> = e.checkouts.keys().copied().take(2).collect();
    for h in handles {
        e.handle(
            T0,
            Request::Checkin {
                session: s,
                handle: h,
            },
        );
    }
    let cleared = tracker.update(conditions(&e, T0));
    let cleared: Vec<_> = cleared.iter().map(|c| (c.change, c.alert.kind)).collect();
    assert_eq!(
        cleared,
        [
            (AlertChange::Cleared, AlertKind::PoolAt90Percent),
            (AlertChange::Cleared, AlertKind::PoolFull),
        ]
    );
}

#[test]
fn overdraft_in_use_is_raised_past_the_purchased_count() {
    let (mut e, s) = engine(vec![spec("XDT_PLT_UD", 10, "Retail", Expiry::Permanent)]);
    for n in 0..10 {
        let _ = checkout(&mut e, s, "XDT_PLT_UD", &format!("u{n}"));
    }
    assert!(!kinds(&e, T0).contains(&(AlertKind::OverdraftInUse, "XDT_PLT_UD".into())));
    let _ = checkout(&mut e, s, "XDT_PLT_UD", "u10");
    let all = conditions(&e, T0);
    let overdraft = all.iter().find(|a| a.kind == AlertKind::OverdraftInUse);
    let overdraft = overdraft.expect("overdraft in use");
    assert_eq!(
        overdraft.detail,
        "1 of 1 overdraft licenses in use (10 purchased)"
    );
}

#[test]
fn burst_mode_is_an_alert_with_its_end_date_per_version_not_per_pool() {
    let (mut e, s) = engine(vec![
        spec("XDT_PLT_CCU", 1, "Retail", Expiry::Permanent),
        spec("XDT_PLT_CCU", 1, "Retail", on(400)),
    ]);
    for n in 0..3 {
        let _ = checkout(&mut e, s, "XDT_PLT_CCU", &format!("d{n}"));
    }
    let bursts: Vec<Alert> = conditions(&e, T0)
        .into_iter()
        .filter(|a| a.kind == AlertKind::BurstMode)
        .collect();
    assert_eq!(bursts.len(), 1, "{bursts:?}");
    assert_eq!(bursts[0].expiry, None);
    assert_eq!(
        bursts[0].detail,
        "license burst mode started on 2027-01-15, ends on 2027-01-30"
    );
}

#[test]
fn features_whose_lines_do_not_serve_are_alerts_with_flexnet_reasons() {
    let mut bad = spec("XDT_ENT_CCU", 5, "Retail", Expiry::Permanent);
    bad.refused = Some(Refused {
        code: crate::flexnet::Code::BAD_SIGNATURE,
        reason: "invalid license key (inconsistent authentication code)".into(),
    });
    let (e, _) = engine(vec![bad]);
    let all = conditions(&e, T0);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].kind, AlertKind::LinesNotServed);
    assert_eq!(all[0].feature, "XDT_ENT_CCU");
    assert_eq!(
        all[0].detail,
        "error -8: invalid license key (inconsistent authentication code)"
    );
}

#[test]
fn a_tracker_read_back_raises_nothing_still_active_and_clears_what_ended() {
    let (e, _) = engine(vec![spec("XDT_PLT_CCU", 10, "Retail", on(20))]);
    let mut first = Tracker::default();
    assert_eq!(first.update(conditions(&e, T0)).len(), 2);
    let mut again = Tracker::new(first.active());
    assert!(again.update(conditions(&e, T0 + DAY)).is_empty());
    assert_eq!(again.active()[0].since, T0, "raised when first seen");
    let (renewed, _) = engine(vec![spec("XDT_PLT_CCU", 10, "Retail", on(400))]);
    let cleared = again.update(conditions(&renewed, T0 + DAY));
    assert!(cleared.iter().all(|c| c.change == AlertChange::Cleared));
    assert_eq!(cleared.len(), 2);
}

/// Evaluating a thousand pools, each with holders, stays well under what a
/// committed batch costs (a few milliseconds in an unoptimised build).
#[test]
fn a_thousand_pools_are_evaluated_in_milliseconds() {
    let specs = (0..1000)
        .map(|i| spec(&format!("F{i:04}_CCU"), 10, "Retail", on(i % 200)))
        .collect();
    let (mut e, s) = engine(specs);
    for i in 0..1000 {
        for n in 0..(i % 11) {
            let _ = checkout(&mut e, s, &format!("F{i:04}_CCU"), &format!("d{n}"));
        }
    }
    let t = std::time::Instant::now();
    let all = conditions(&e, T0);
    let took = t.elapsed();
    assert!(all.len() > 500, "{}", all.len());
    eprintln!("{} alerts of 1000 pools in {took:?}", all.len());
    assert!(took < std::time::Duration::from_millis(200), "{took:?}");
}

/// A small universe of alerts, by index.
fn alert(i: usize, detail: u8) -> Alert {
    Alert {
        kind: AlertKind::ALL[i % AlertKind::ALL.len()],
        feature: format!("F{}", i / AlertKind::ALL.len()),
        version: Some("2026.1201".into()),
        expiry: None,
        since: 0,
        detail: format!("words {detail}"),
        file: None,
        line: None,
    }
}

proptest! {
    /// Over any sequence of condition sets (each seen any number of times,
    /// with changing words), an alert is raised exactly when it begins to
    /// hold and cleared exactly when it stops, and the active set is the
    /// last one seen.
    #[test]
    fn raised_once_per_change_of_state(
        steps in prop::collection::vec((prop::collection::btree_set(0usize..14, 0..14), any::<u8>(), 1usize..4), 1..40)
    ) {
        let mut tracker = Tracker::default();
        let mut before = std::collections::BTreeSet::new();
        for (t, (set, words, repeats)) in steps.into_iter().enumerate() {
            for r in 0..repeats {
                let now = set.iter().map(|&i| Alert { since: t as i64, ..alert(i, words) }).collect();
                let changes = tracker.update(now);
                let raised: std::collections::BTreeSet<usize> = changes.iter()
                    .filter(|c| c.change == AlertChange::Raised)
                    .map(|c| (0..14).find(|&i| key_of(&alert(i, 0)) == key_of(&c.alert)).unwrap())
                    .collect();
                let cleared: std::collections::BTreeSet<usize> = changes.iter()
                    .filter(|c| c.change == AlertChange::Cleared)
                    .map(|c| (0..14).find(|&i| key_of(&alert(i, 0)) == key_of(&c.alert)).unwrap())
                    .collect();
                if r == 0 {
                    prop_assert_eq!(&raised, &set.difference(&before).copied().collect());
                    prop_assert_eq!(&cleared, &before.difference(&set).copied().collect());
                } else {
                    prop_assert!(changes.is_empty(), "seen again: {:?}", changes);
                }
                prop_assert_eq!(tracker.len(), set.len());
                for a in tracker.active() {
                    prop_assert_eq!(&a.detail, &format!("words {words}"));
                }
            }
            before = set;
        }
    }
}

#[test]
fn lines_that_do_not_parse_are_alerts_once_per_file_and_line_until_read_again_without() {
    let line = |file: &str, line: u64, reason: &str| NotRead {
        file: file.into(),
        line,
        reason: reason.into(),
    };
    let found = [
        line("a.lic", 3, "column 1: x"),
        line("a.lic", 3, "column 9: y"),
        line("b.lic", 1, "column 1: z"),
    ];
    let all = not_read(&found, T0);
    assert_eq!(all.len(), 2, "{all:?}");
    let first = &all[0];
    assert_eq!(first.kind, AlertKind::LineNotRead);
    assert_eq!(
        (first.file.as_deref(), first.line, first.detail.as_str()),
        (Some("a.lic"), Some(3), "column 1: x")
    );
    let mut tracker = Tracker::default();
    assert_eq!(tracker.update(all).len(), 2);
    // The same lines read again: nothing raised again.
    assert!(tracker.update(not_read(&found, T0 + 60)).is_empty());
    // a.lic fixed: its alert clears, b.lic's stays.
    let changes = tracker.update(not_read(&found[2..], T0 + 120));
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].change, AlertChange::Cleared);
    assert_eq!(changes[0].alert.file.as_deref(), Some("a.lic"));
    assert_eq!(tracker.active()[0].since, T0);
    // A mangled file raises a few, not one a line.
    let many: Vec<NotRead> = (1..=50).map(|i| line("c.lic", i, "bad")).collect();
    assert_eq!(not_read(&many, T0).len(), MAX_NOT_READ_PER_FILE);
}
