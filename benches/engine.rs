//! Decisions per second of the licensing engine alone, on one core: the
//! rules without the network or the store.
//!
//!     cargo bench --bench engine [-- DECISIONS [ccu|ud|dense|growth|ud-growth|rekey]]
//!
//! Two workloads, each a stream of checkouts and checkins by product
//! sessions: concurrent licenses (`XDT_PLT_CCU`, one per endpoint device)
//! and user/device licenses (`XDT_PLT_UD`, the exact optimum kept at every
//! request) from 50,000 users on 40,000 devices. Each request is decided,
//! its events applied, as the daemon does.
//!
//! Users connect mostly from a device of their own and sometimes from one
//! of 2,000 shared devices (labs, kiosks). The `dense` workload instead has
//! every user on random devices, so that within hours each user has used
//! several of 40,000 devices: a worst case for the optimiser, whose
//! searches then cover most of one large alternating component.
//!
//! `growth` is about the slowest decisions rather than the rate: DECISIONS
//! concurrent checkouts on as many devices, none checked in, so that every
//! table of holders grows the whole way (`ud-growth`: user/device checkouts
//! by as many users, so that the tables of names and connections do); it prints how long the slowest
//! single decisions took (the pauses every request queued behind them
//! waits out in the daemon). `rekey` holds DECISIONS user/device checkouts
//! by users named `MYCO\userN` on as many devices, then times the change
//! of a name setting (`UDUseDomain` 1, then back to 0) that counts every
//! connection anew.

use rng::Rng;
use std::time::{Duration, Instant};

#[path = "common/rng.rs"]
mod rng;

/// The allocator lmgrd runs the engine with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use lmutil::engine::{CheckoutRequest, Decision, Engine, PoolSpec, Request};
use lmutil::license::{Expiry, Version};

const T0: i64 = 1_800_000_000;

fn pool(feature: &str, count: u64) -> PoolSpec {
    PoolSpec {
        feature: feature.into(),
        version: Version::parse("2026.1201").expect("a version"),
        expiry: Expiry::Permanent,
        license_type: Some("Retail".into()),
        vendor_string: Some(";LT=Retail".into()),
        count,
        dup_device: true,
        lines: vec![format!("{feature}/bench")],
        starts: Vec::new(),
        refused: None,
    }
}

/// Runs `decisions` checkouts and checkins of `feature`; returns the time
/// taken and how many were granted, denied and checked in.
fn run(feature: &str, dense: bool, decisions: usize) -> (Duration, [usize; 3]) {
    let mut engine = Engine::default();
    let mut now = T0;
    engine.handle(
        now,
        Request::Reread {
            pools: vec![pool("XDT_PLT_CCU", 30_000), pool("XDT_PLT_UD", 30_000)],
            by: None,
        },
    );
    let sessions: Vec<_> = (0..100)
        .map(|i| {
            match engine
                .handle(
                    now,
                    Request::StartSession {
                        host: format!("host{i}"),
                        secret: Default::default(),
                    },
                )
                .decision
            {
                Decision::SessionStarted { session } => session,
                d => panic!("no session: {d:?}"),
            }
        })
        .collect();
    let version = Version::parse("2026.0101").expect("a version");
    let mut rng = Rng::new(0x2545_f491_4f6c_dd1d);
    let mut held = Vec::new();
    let mut counts = [0; 3];
    let start = Instant::now();
    for i in 0..decisions {
        now += i64::from(i % 64 == 0);
        // Check in when many are held, so both kinds of request stay busy.
        if held.len() > 20_000 || (!held.is_empty() && rng.below32(2) == 0) {
            let (session, handle) = held.swap_remove(rng.below32(held.len() as u32) as usize);
            engine.handle(now, Request::Checkin { session, handle });
            counts[2] += 1;
            continue;
        }
        let session = sessions[rng.below32(sessions.len() as u32) as usize];
        let user = rng.below32(50_000);
        let device = if dense {
            rng.below32(40_000)
        } else if rng.below32(5) == 0 {
            38_000 + rng.below32(2_000)
        } else {
            user * 7_919 % 38_000
        };
        let request = CheckoutRequest {
            session,
            feature: feature.into(),
            version: version.clone(),
            user: format!("user{user}"),
            device: format!("device{device}"),
            host: "host".into(),
            display: "display".into(),
            count: 1,
        };
        match engine.handle(now, Request::Checkout(request)).decision {
            Decision::Granted(g) => {
                held.push((session, g.handle));
                counts[0] += 1;
            }
            _ => counts[1] += 1,
        }
    }
    (start.elapsed(), counts)
}

/// An engine serving `pool`, and one product session on it.
fn one_session(pool: PoolSpec) -> (Engine, lmutil::engine::request::SessionId) {
    let mut engine = Engine::default();
    engine.handle(
        T0,
        Request::Reread {
            pools: vec![pool],
            by: None,
        },
    );
    let start = Request::StartSession {
        host: "host".into(),
        secret: Default::default(),
    };
    match engine.handle(T0, start).decision {
        Decision::SessionStarted { session } => (engine, session),
        d => panic!("no session: {d:?}"),
    }
}

/// Holds `n` checkouts of `feature` by `n` users on `n` devices; the time
/// each decision took.
fn growth(feature: &str, n: usize) -> Vec<Duration> {
    let (mut engine, session) = one_session(pool(feature, n as u64));
    let now = T0;
    let version = Version::parse("2026.0101").expect("a version");
    (0..n)
        .map(|i| {
            let request = CheckoutRequest {
                session,
                feature: feature.into(),
                version: version.clone(),
                user: format!("user{i}"),
                device: format!("device{i}"),
                host: "host".into(),
                display: "display".into(),
                count: 1,
            };
            let t = Instant::now();
            let decision = engine.handle(now, Request::Checkout(request)).decision;
            let took = t.elapsed();
            assert!(matches!(decision, Decision::Granted(_)), "{decision:?}");
            took
        })
        .collect()
}

/// Times the name settings' changes over `n` held user/device checkouts.
fn rekey(n: usize) {
    let (mut engine, session) = one_session(pool("XDT_PLT_UD", n as u64));
    let now = T0;
    let version = Version::parse("2026.0101").expect("a version");
    for i in 0..n {
        let request = CheckoutRequest {
            session,
            feature: "XDT_PLT_UD".into(),
            version: version.clone(),
            user: format!("MYCO\\user{i}"),
            device: format!("device{i}"),
            host: "host".into(),
            display: "display".into(),
            count: 1,
        };
        let decision = engine.handle(now, Request::Checkout(request)).decision;
        assert!(matches!(decision, Decision::Granted(_)), "{decision:?}");
    }
    for use_domain in [true, false] {
        let settings = lmutil::engine::Settings {
            use_domain,
            ..engine.settings().clone()
        };
        let t = Instant::now();
        engine.handle(now, Request::ChangeSettings(settings));
        println!(
            "XDT_PLT_UD: {n} connections counted anew (UDUseDomain {}) in {:.2?}",
            u8::from(use_domain),
            t.elapsed()
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let decisions = args
        .first()
        .map_or(1_000_000, |a| a.parse().expect("a number"));
    let only = args.get(1).map(String::as_str);
    if only == Some("rekey") {
        rekey(decisions);
        return;
    }
    if let Some(feature) = match only {
        Some("growth") => Some("XDT_PLT_CCU"),
        Some("ud-growth") => Some("XDT_PLT_UD"),
        _ => None,
    } {
        let mut took = growth(feature, decisions);
        took.sort_unstable();
        let at = |q: f64| took[((took.len() - 1) as f64 * q) as usize];
        let over = took
            .iter()
            .filter(|t| **t >= Duration::from_millis(1))
            .count();
        println!(
            "{feature} growth: {decisions} checkouts held; a decision p50 {:.2?}, \
             p99.99 {:.2?}, max {:.2?}; {over} took 1 ms or more; slowest five {:.2?}",
            at(0.5),
            at(0.9999),
            took[took.len() - 1],
            &took[took.len().saturating_sub(5)..],
        );
        return;
    }
    let workloads = [
        ("XDT_PLT_CCU", false, decisions),
        ("XDT_PLT_UD", false, decisions),
        ("XDT_PLT_UD", true, decisions / 5),
    ];
    for (feature, dense, decisions) in workloads {
        let name = match (feature, dense) {
            (_, true) => "dense",
            ("XDT_PLT_UD", _) => "ud",
            _ => "ccu",
        };
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let (took, [granted, denied, checkins]) = run(feature, dense, decisions);
        println!(
            "{feature}{}: {decisions} decisions in {took:.2?}: {:.0} decisions/s \
             ({granted} granted, {denied} denied, {checkins} checkins)",
            if dense { " (dense)" } else { "" },
            decisions as f64 / took.as_secs_f64()
        );
    }
}
