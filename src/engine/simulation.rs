//! Invariants under long random sequences of operations and months of
//! simulated time, checked after every step.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::Engine;
use super::request::*;
use super::snapshot::{AssignmentView, CheckoutView, ConnectionView, PoolView, Select, Snapshot};
use super::types::*;
use crate::license::{Expiry, Version};

const FEATURES: [&str; 4] = ["XDT_PLT_CCU", "XDT_PLT_UD", "XDT_PLT_USR", "CXS_STD_SKT"];

#[derive(Debug, Clone)]
enum Op {
    Start(u8),
    End(u8),
    Lose(u8),
    Reconnect(u8),
    Heartbeat(u8),
    Checkout {
        session: u8,
        feature: u8,
        version: u8,
        user: u8,
        device: u8,
        count: u8,
    },
    Checkin(u8),
    Release {
        user: Option<u8>,
        device: Option<u8>,
    },
    Reread {
        counts: [u8; 4],
        retail: bool,
        order: u8,
    },
    ToggleBurst,
    /// An options file with one of [`TIMEOUTS`].
    Timeouts(u8),
    Wait(u32),
    /// Time passes with no tick; then a session's heartbeat comes.
    Pass(u32, u8),
}

/// Options files with timeouts: none, per feature, for all, zero.
const TIMEOUTS: [&str; 5] = [
    "",
    "TIMEOUT XDT_PLT_CCU 600\n",
    "TIMEOUTALL 900\nTIMEOUT CXS_STD_SKT 7200\n",
    "TIMEOUT XDT_PLT_UD 3600\nTIMEOUT XDT_PLT_CCU 300\n",
    "TIMEOUT XDT_PLT_USR 0\n",
];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..6).prop_map(Op::Start),
        1 => (0u8..6).prop_map(Op::End),
        1 => (0u8..6).prop_map(Op::Lose),
        1 => (0u8..6).prop_map(Op::Reconnect),
        2 => (0u8..6).prop_map(Op::Heartbeat),
        12 => (0u8..6, 0u8..4, 0u8..3, 0u8..8, 0u8..8, 1u8..4).prop_map(
            |(session, feature, version, user, device, count)| Op::Checkout {
                session, feature, version, user, device, count
            }
        ),
        5 => any::<u8>().prop_map(Op::Checkin),
        1 => (proptest::option::of(0u8..8), proptest::option::of(0u8..8))
            .prop_map(|(user, device)| Op::Release { user, device }),
        1 => (any::<[u8; 4]>(), any::<bool>(), 0u8..3)
            .prop_map(|(counts, retail, order)| Op::Reread { counts, retail, order }),
        1 => Just(Op::ToggleBurst),
        1 => (0u8..TIMEOUTS.len() as u8).prop_map(Op::Timeouts),
        4 => prop_oneof![1u32..600, 600u32..(3 * DAY as u32), (10 * DAY as u32)..(40 * DAY as u32)]
            .prop_map(Op::Wait),
        3 => (prop_oneof![1u32..600, 600u32..(3 * DAY as u32), (10 * DAY as u32)..(100 * DAY as u32)], 0u8..6)
            .prop_map(|(secs, s)| Op::Pass(secs, s)),
    ]
}

fn pools(counts: [u8; 4], retail: bool, order: u8) -> Vec<PoolSpec> {
    let lt = if retail { "Retail" } else { "Eval" };
    FEATURES
        .iter()
        .zip(counts)
        .flat_map(|(f, c)| {
            ["2026.0101", "2026.0601"]
                .into_iter()
                .map(move |ver| PoolSpec {
                    feature: (*f).to_owned(),
                    version: Version::parse(ver).unwrap(),
                    expiry: Expiry::Permanent,
                    license_type: Some(lt.to_owned()),
                    vendor_string: None,
                    count: u64::from(c % 5),
                    dup_device: true,
                    lines: vec![format!("{f}/{ver}/{order}")],
                    starts: Vec::new(),
                    refused: None,
                })
        })
        .collect()
}

/// Runs one random operation; returns the request's decision and events.
fn step(e: &mut Engine, now: &mut Time, op: &Op, sessions: &mut Vec<SessionId>) -> Outcome {
    let request = request_for(e, now, op, sessions);
    let out = e.handle(*now, request);
    if let Decision::SessionStarted { session } = out.decision {
        sessions.push(session);
    }
    out
}

/// The request of a random operation on the state `e`; time passes by
/// what the operation waits.
fn request_for(e: &Engine, now: &mut Time, op: &Op, sessions: &[SessionId]) -> Request {
    let pick = |i: u8, sessions: &[SessionId]| {
        sessions
            .get(i as usize % sessions.len().max(1))
            .copied()
            .unwrap_or(999)
    };
    match op {
        Op::Start(h) => Request::StartSession {
            host: format!("host{h}"),
            secret: Secret::new("s"),
        },
        Op::End(i) => Request::EndSession {
            session: pick(*i, sessions),
        },
        Op::Lose(i) => Request::SessionLost {
            session: pick(*i, sessions),
        },
        Op::Reconnect(i) => Request::Reconnect {
            session: pick(*i, sessions),
            secret: Secret::new("s"),
        },
        Op::Heartbeat(i) => Request::Heartbeat {
            session: pick(*i, sessions),
        },
        Op::Checkout {
            session,
            feature,
            version,
            user,
            device,
            count,
        } => {
            let s = pick(*session, sessions);
            Request::Checkout(CheckoutRequest {
                session: s,
                feature: FEATURES[*feature as usize].to_owned(),
                version: Version::parse(["2025.0101", "2026.0301", "2026.0601"][*version as usize])
                    .unwrap(),
                user: format!("user {user}"),
                device: format!("dev{device}"),
                host: e
                    .sessions
                    .get(&s)
                    .map_or("none".into(), |x| x.host.to_string()),
                display: "d".into(),
                count: u32::from(*count),
            })
        }
        Op::Checkin(k) => {
            let handles: Vec<_> = e.checkouts.iter().map(|(h, c)| (*h, c.session)).collect();
            match handles.get(*k as usize % handles.len().max(1)) {
                Some((h, s)) => Request::Checkin {
                    session: *s,
                    handle: *h,
                },
                None => Request::Tick,
            }
        }
        Op::Release { user, device } => Request::Release {
            feature: None,
            user: user.map(|u| format!("user {u}")),
            device: device.map(|d| format!("dev{d}")),
            by: None,
        },
        Op::Reread {
            counts,
            retail,
            order,
        } => Request::Reread {
            pools: pools(*counts, *retail, *order),
            by: None,
        },
        Op::ToggleBurst => {
            let mut s = e.settings().clone();
            s.burst_enabled = !s.burst_enabled;
            Request::ChangeSettings(s)
        }
        Op::Timeouts(i) => {
            Request::SetOptions(crate::options::parse(TIMEOUTS[*i as usize]).options)
        }
        Op::Wait(secs) => {
            *now += i64::from(*secs);
            Request::Tick
        }
        Op::Pass(secs, i) => {
            *now += i64::from(*secs);
            Request::Heartbeat {
                session: pick(*i, sessions),
            }
        }
    }
}

/// Holders placed over their pools' counts, per user/device feature at
/// several css dates.
fn spilled(e: &Engine, now: Time) -> std::collections::BTreeMap<String, usize> {
    e.ud.iter()
        .filter_map(|(f, ud)| {
            let (_, _, placed) = e.placed_at_dates(now, f, ud)?;
            Some((f.clone(), placed.spilled))
        })
        .collect()
}

/// The decision of `op` and the state after it, on a copy of the engine
/// that ticks at the op's time first.
fn ticked_first(e: &Engine, now: Time, op: &Op, sessions: &[SessionId]) -> (Decision, Engine) {
    let mut at = now;
    let request = request_for(e, &mut at, op, sessions);
    let mut copy = e.clone();
    copy.handle(at, Request::Tick);
    (copy.handle(at, request).decision, copy)
}

/// The checkouts TIMEOUT reclaims, found by looking at every one of them.
fn timed_out_by_full_walk(e: &Engine, now: Time) -> Vec<Handle> {
    e.checkouts
        .iter()
        .filter(|(_, c)| {
            let idle = e.sessions.get(&c.session).map_or(0, |s| now - s.last_seen);
            e.options
                .timeout(c.feature())
                .is_some_and(|t| idle >= t as i64)
        })
        .map(|(h, _)| *h)
        .collect()
}

/// A tick, from now to a day on, reclaims what the full walk would, in
/// the same order.
fn check_timeouts(e: &Engine, now: Time) -> Result<(), TestCaseError> {
    for later in [0, 299, 300, 600, 900, 3600, 7200, DAY] {
        let at = now + later;
        let ticked: Vec<Handle> = (e.clone().decide(at, Request::Tick).1)
            .iter()
            .filter_map(|ev| match ev {
                Event::CheckedIn { handle, .. } => Some(*handle),
                _ => None,
            })
            .collect();
        prop_assert_eq!(ticked, timed_out_by_full_walk(e, at), "at now + {}", later);
    }
    Ok(())
}

/// The invariants that hold after every step.
fn check(
    e: &Engine,
    now: Time,
    seen_handles: &mut BTreeSet<Handle>,
    out: &Outcome,
    spilled_before: &std::collections::BTreeMap<String, usize>,
) -> Result<(), TestCaseError> {
    let Decision::Granted(g) = &out.decision else {
        return Ok(());
    };
    // No handle is ever granted twice.
    prop_assert!(
        seen_handles.insert(g.handle),
        "handle {} granted twice",
        g.handle
    );
    // Every grant is explained by a live pool of its feature serving its version.
    let c = &e.checkouts[&g.handle];
    let pool = &e.pools[&g.pool];
    prop_assert_eq!(g.pool.feature.as_str(), c.feature());
    prop_assert!(g.pool.version.0 >= c.version);
    prop_assert!(pool.is_live(now));
    if g.shared || g.burst {
        return Ok(());
    }
    // A new license outside burst mode fits within installed + overdraft:
    // at several css dates, every holder has a place in a pool that serves
    // what it needs.
    if c.model.is_leased()
        && let Some((_, keys, placed)) = e.placed_at_dates(now, c.feature(), &e.ud[c.feature()])
    {
        // Or no more over than before, on pools a reread shrank.
        let before = spilled_before.get(c.feature()).copied().unwrap_or(0);
        prop_assert!(
            placed.spilled == 0 || placed.spilled <= before,
            "{:?} over {:?}",
            placed.counts,
            keys
        );
    } else if c.model.is_leased() {
        let installed: u64 = e
            .pools
            .iter()
            .filter(|(k, p)| k.feature == c.feature() && k.version.0 >= c.version && p.is_live(now))
            .map(|(_, p)| p.installed(now))
            .sum();
        let in_use = e.ud[c.feature()].in_use();
        prop_assert!(
            in_use <= installed,
            "{} in use > {} installed",
            in_use,
            installed
        );
    } else {
        prop_assert!(pool.held <= pool.installed(now), "{:?}", pool);
    }
    Ok(())
}

/// Every user/device connection counts exactly the checkouts open on it,
/// and every open checkout has its connection: checkins close the
/// connection they were opened on, no other, and a release never drops a
/// connection a session is open on.
fn check_connections(e: &Engine) -> Result<(), TestCaseError> {
    let mut open: std::collections::BTreeMap<(&str, &str, &str), u32> = Default::default();
    for c in e.checkouts.values().filter(|c| c.model.is_leased()) {
        *open.entry((c.feature(), &c.user, &c.device)).or_default() += 1;
    }
    for (feature, ud) in &e.ud {
        for (user, device, conn) in ud.connections() {
            let held = open.remove(&(feature.as_str(), user, device)).unwrap_or(0);
            prop_assert_eq!(conn.open, held, "{} {} {}", feature, user, device);
        }
    }
    // An open checkout keeps its connection, released or not: what it
    // holds is counted.
    prop_assert!(
        open.is_empty(),
        "checkouts without a connection: {:?}",
        open
    );
    Ok(())
}

/// `items` if `wanted`, those that pass.
fn kept<T: Clone>(wanted: bool, items: &[T], pass: impl Fn(&T) -> bool) -> Vec<T> {
    items
        .iter()
        .filter(|i| wanted && pass(i))
        .cloned()
        .collect()
}

/// What a reader selects (a feature, some parts) is what the whole
/// snapshot holds of it, built without the rest.
fn check_selection(e: &Engine, now: Time) -> Result<(), TestCaseError> {
    let whole = e.snapshot(now);
    for feature in FEATURES.iter().copied().map(Some).chain([None]) {
        for parts in [
            [true; 5],
            [true, false, true, false, false],
            [false, false, false, true, true],
        ] {
            let what = Select {
                feature,
                pools: parts[0],
                sessions: parts[1],
                checkouts: parts[2],
                assignments: parts[3],
                connections: parts[4],
            };
            let of = |f: &str| feature.is_none_or(|want| want == f);
            let expected = Snapshot {
                at: now,
                pools: kept(parts[0], &whole.pools, |p: &PoolView| of(&p.key.feature)),
                sessions: kept(parts[1], &whole.sessions, |_| true),
                checkouts: kept(
                    parts[2],
                    &whole.checkouts,
                    |c: &CheckoutView| of(&c.feature),
                ),
                assignments: kept(parts[3], &whole.assignments, |a: &AssignmentView| {
                    of(&a.feature)
                }),
                connections: kept(parts[4], &whole.connections, |c: &ConnectionView| {
                    of(&c.feature)
                }),
                denials: Vec::new(),
            };
            prop_assert_eq!(e.select(now, &what), expected, "{:?}", what);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_operations_keep_every_invariant(ops in proptest::collection::vec(op(), 1..150)) {
        let mut engine = Engine::default();
        let mut now: Time = 1_800_000_000;
        let mut sessions = Vec::new();
        let mut events = Vec::new();
        let mut seen = BTreeSet::new();
        let first = engine.handle(now, Request::Reread { pools: pools([3, 4, 2, 6], true, 0), by: None });
        events.extend(first.events);
        for op in &ops {
            let ticked_first = ticked_first(&engine, now, op, &sessions);
            let spilled_before = spilled(&engine, now);
            let out = step(&mut engine, &mut now, op, &mut sessions);
            // Deciding at a time applies what time did first: as if a tick
            // had come just before.
            let (decision, state) = ticked_first;
            prop_assert_eq!(&out.decision, &decision);
            prop_assert!(state == engine, "a tick first would have left another state");
            check(&engine, now, &mut seen, &out, &spilled_before)?;
            check_timeouts(&engine, now)?;
            check_connections(&engine)?;
            check_selection(&engine, now)?;
            events.extend(out.events);
        }
        // The state rebuilt from the events equals the live state.
        prop_assert!(Engine::replay(&events) == engine);
    }
}
