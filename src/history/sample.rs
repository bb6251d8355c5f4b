//! What the engine says about one sampling period of every pool: the use
//! at the period's end and the exact peak within it (see
//! [`crate::engine::peak`]), with what was installed.

use crate::engine::Engine;
use crate::engine::peak::period_of;
use crate::engine::state::PoolState;
use crate::engine::types::{DIAGNOSTICS_FEATURE, STARTUP_FEATURE, Time};
use crate::license::pool::PoolKey;

/// One pool in one sampling period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSample {
    pub pool: PoolKey,
    /// The period's start (Unix seconds) and length (seconds).
    pub start: Time,
    pub seconds: Time,
    /// Licenses in use at the period's end.
    pub in_use: u64,
    /// The most in use at any instant of the period.
    pub peak: u64,
    /// Purchased plus overdraft, at the period's end.
    pub installed: u64,
    /// Licenses in use beyond the purchased count, at the end and at the peak.
    pub overdraft_in_use: u64,
    pub overdraft_peak: u64,
    /// Checkouts of the pool's feature refused within the period, counted
    /// in the feature's newest pool (0 in its others).
    pub denials: u64,
}

/// The use of one pool in a period: peak, use at the end.
type Use = (u64, u64);

impl Engine {
    /// The sampling period `period` of every pool, as far as the engine
    /// still knows it (it keeps the period of each pool's last change and
    /// the one before: see [`crate::engine::peak::Peak`]). The built-in
    /// licenses are not recorded. A user/device feature keeps one peak for
    /// all its pools: at several css dates it is shared out in serving
    /// order, older pools first, as the status shares out the use when no
    /// placement applies; the feature's total is exact.
    pub fn history_samples(&self, period: i64) -> Vec<PoolSample> {
        let seconds = self.settings.history_sample.max(1);
        let start = period.saturating_mul(seconds);
        let end = start.saturating_add(seconds - 1);
        let mut out = Vec::new();
        let mut feature: Option<(&str, Option<Use>)> = None;
        for (key, p) in &self.pools {
            if is_built_in(&key.feature) || (p.is_pending(end) && p.held == 0) {
                continue;
            }
            let used = match self.ud.get(&key.feature) {
                Some(ud) => {
                    if feature.is_none_or(|(f, _)| f != key.feature) {
                        let total = ud.peak.of(period, ud.in_use());
                        feature = Some((&key.feature, total));
                    }
                    let Some((_, Some(left))) = feature.as_mut() else {
                        continue;
                    };
                    take_share(left, self.is_last_of_feature(key), p.installed(end))
                }
                None => match p.peak.of(period, p.held) {
                    Some(u) => u,
                    None => continue,
                },
            };
            let mut sample = sample(key, p, start, seconds, used);
            if self.is_last_of_feature(key) {
                sample.denials = self.feature_denials(period, &key.feature);
            }
            out.push(sample);
        }
        out
    }

    /// The refusals of `feature` in the sampling period `period`: a
    /// feature's refusals are its newest pool's (the one a product of the
    /// newest version is refused by; a refusal is not of any one pool).
    fn feature_denials(&self, period: i64, feature: &str) -> u64 {
        let Some(counts) = self.denials_in_period(period) else {
            return 0;
        };
        let from = (feature.to_owned(), crate::flexnet::Code::of(i32::MIN));
        counts
            .range(from..)
            .take_while(|((f, _), _)| f == feature)
            .map(|(_, n)| n)
            .sum()
    }

    /// Whether no later pool has the same feature.
    fn is_last_of_feature(&self, key: &PoolKey) -> bool {
        use std::ops::Bound::{Excluded, Unbounded};
        self.pools
            .range((Excluded(key), Unbounded))
            .next()
            .is_none_or(|(k, _)| k.feature != key.feature)
    }

    /// Whether the engine has taken in any event (its state is not new).
    pub fn has_events(&self) -> bool {
        self.last_at != Time::MIN
    }

    /// The sampling period the latest event fell in.
    pub fn last_period(&self) -> i64 {
        period_of(self.last_at, self.settings.history_sample)
    }
}

/// A pool's share of its feature's peak and end use: what fits in it, or
/// everything left in the last one.
fn take_share(left: &mut Use, last: bool, installed: u64) -> Use {
    let share = if last {
        *left
    } else {
        (left.0.min(installed), left.1.min(installed))
    };
    left.0 -= share.0;
    left.1 -= share.1;
    share
}

fn sample(
    key: &PoolKey,
    p: &PoolState,
    start: Time,
    seconds: Time,
    (peak, in_use): Use,
) -> PoolSample {
    let end = start + seconds - 1;
    let purchased = p.purchased(end);
    let overdraft = p.overdraft(end);
    let beyond = |n: u64| n.saturating_sub(purchased).min(overdraft);
    PoolSample {
        pool: key.clone(),
        start,
        seconds,
        in_use,
        peak: peak.max(in_use),
        installed: purchased + overdraft,
        overdraft_in_use: beyond(in_use),
        overdraft_peak: beyond(peak.max(in_use)),
        denials: 0,
    }
}

/// The start-up and diagnostics licenses are the server's own.
fn is_built_in(feature: &str) -> bool {
    feature == STARTUP_FEATURE || feature == DIAGNOSTICS_FEATURE
}

#[cfg(test)]
mod tests {
    use crate::engine::request::{CheckoutRequest, Decision, Request, Secret};
    use crate::engine::types::PoolSpec;
    use crate::engine::{Engine, Event};
    use crate::license::{Expiry, Version};

    fn spec(feature: &str, count: u64) -> PoolSpec {
        PoolSpec {
            feature: feature.to_owned(),
            version: Version::parse("2026.1201").unwrap(),
            expiry: Expiry::Permanent,
            license_type: Some("Retail".to_owned()),
            vendor_string: Some(";LT=Retail".to_owned()),
            count,
            dup_device: false,
            lines: vec!["a line".to_owned()],
            starts: Vec::new(),
            refused: None,
        }
    }

    /// Applies a request's events; the handles granted.
    fn run(e: &mut Engine, log: &mut Vec<Event>, at: i64, r: Request) -> Decision {
        let (d, events) = e.decide(at, r);
        for ev in &events {
            e.apply(ev);
        }
        log.extend(events);
        d
    }

    fn start(host: &str) -> Request {
        Request::StartSession {
            host: host.into(),
            secret: Secret::new(format!("secret of {host}")),
        }
    }

    fn checkout(session: u64, user: &str, feature: &str) -> Request {
        Request::Checkout(CheckoutRequest {
            session,
            feature: feature.to_owned(),
            version: Version::parse("2026.0101").unwrap(),
            user: user.to_owned(),
            device: format!("{user}-pc"),
            host: "ddc".to_owned(),
            display: String::new(),
            count: 1,
        })
    }

    /// Five checked out and four checked in within one 900 s period: the
    /// period's peak is five, one in use at its end; the next period starts
    /// with one. A replay of the events says the same.
    fn five_then_one(feature: &str) {
        let mut e = Engine::default();
        let mut log = Vec::new();
        let pools = Event::PoolsReplaced {
            pools: vec![spec(feature, 10)],
            at: 0,
            by: None,
        };
        e.apply(&pools);
        log.push(pools);
        let Decision::SessionStarted { session } = run(&mut e, &mut log, 900, start("ddc")) else {
            panic!("no session");
        };
        let mut handles = Vec::new();
        for i in 0..5 {
            let user = format!("u{i}");
            match run(&mut e, &mut log, 901 + i, checkout(session, &user, feature)) {
                Decision::Granted(g) => handles.push(g.handle),
                other => panic!("{other:?}"),
            }
        }
        // Frees the i-th license: a checkin, and for a user/device license
        // (leased) a release as well.
        let free = |e: &mut Engine, log: &mut Vec<Event>, at: i64, i: usize| {
            let handle = handles[i];
            run(e, log, at, Request::Checkin { session, handle });
            if feature.ends_with("_UD") {
                let release = Request::Release {
                    feature: Some(feature.to_owned()),
                    user: Some(format!("u{i}")),
                    device: None,
                    by: None,
                };
                run(e, log, at, release);
            }
        };
        for i in 1..5 {
            free(&mut e, &mut log, 1000, i);
        }
        let sample = |e: &Engine, k| {
            let s = e.history_samples(k);
            assert_eq!(s.len(), 1, "{feature}: {s:?}");
            (s[0].peak, s[0].in_use)
        };
        assert_eq!(sample(&e, 1), (5, 1), "{feature}");
        assert_eq!(sample(&e, 2), (1, 1), "{feature}: nothing changed since");
        assert_eq!(sample(&e, 0), (0, 0), "{feature}: before");
        let mut replayed = Engine::recovering();
        replayed.exact_from(0);
        for ev in &log {
            replayed.apply(ev);
        }
        replayed.settle();
        assert_eq!(sample(&replayed, 1), (5, 1), "{feature}: replayed");
        // The next period's first change: the finished one is still known.
        free(&mut e, &mut log, 1800, 0);
        assert_eq!(sample(&e, 1), (5, 1), "{feature}");
        assert_eq!(sample(&e, 2), (1, 0), "{feature}: began with one");
    }

    /// The owner records each refusal as an event, as lmgrd does.
    fn refused(e: &mut Engine, log: &mut Vec<Event>, at: i64, feature: &str, code: i32) {
        let view = crate::engine::snapshot::DenialView {
            at,
            feature: feature.to_owned(),
            version: Version::parse("2026.1201").unwrap(),
            user: "u".into(),
            device: "d".into(),
            host: "h".into(),
            code: crate::flexnet::Code::of(code),
            reason: String::new(),
        };
        let event = Event::Denied(Box::new(view));
        e.apply(&event);
        log.push(event);
    }

    #[test]
    fn a_period_counts_its_feature_s_refusals_in_its_newest_pool() {
        let mut e = Engine::default();
        let mut log = Vec::new();
        let mut older = spec("XDT_PLT_CCU", 1);
        older.version = Version::parse("2025.0101").unwrap();
        let pools = Event::PoolsReplaced {
            pools: vec![older, spec("XDT_PLT_CCU", 1), spec("XDT_ENT_CCU", 1)],
            at: 0,
            by: None,
        };
        e.apply(&pools);
        log.push(pools);
        refused(&mut e, &mut log, 899, "XDT_PLT_CCU", -4);
        refused(&mut e, &mut log, 900, "XDT_ENT_CCU", -4);
        for (at, code) in [(901, -4), (950, -10), (1799, -4), (1800, -4)] {
            refused(&mut e, &mut log, at, "XDT_PLT_CCU", code);
        }
        let denials = |e: &Engine, k: i64| -> Vec<(String, u64)> {
            let samples = e.history_samples(k).into_iter();
            samples
                .map(|s| {
                    (
                        format!("{} {}", s.pool.feature, s.pool.version.0),
                        s.denials,
                    )
                })
                .collect()
        };
        let expected = |ent: u64, plt: u64| {
            vec![
                ("XDT_ENT_CCU 2026.1201".to_owned(), ent),
                ("XDT_PLT_CCU 2025.0101".to_owned(), 0),
                ("XDT_PLT_CCU 2026.1201".to_owned(), plt),
            ]
        };
        assert_eq!(denials(&e, 1), expected(1, 3));
        assert_eq!(denials(&e, 2), expected(0, 1));
        assert_eq!(denials(&e, 3), expected(0, 0));
        // Replay rebuilds them.
        assert_eq!(denials(&Engine::replay(&log), 1), expected(1, 3));
    }

    #[test]
    fn the_peak_of_a_period_is_exact_concurrent() {
        five_then_one("XDT_PLT_CCU");
    }

    #[test]
    fn the_peak_of_a_period_is_exact_user_device() {
        five_then_one("XDT_PLT_UD");
    }

    #[test]
    fn a_recovery_follows_user_device_use_exactly_from_the_time_asked() {
        let mut e = Engine::default();
        let mut log = Vec::new();
        let pools = Event::PoolsReplaced {
            pools: vec![spec("XDT_PLT_UD", 10)],
            at: 0,
            by: None,
        };
        e.apply(&pools);
        log.push(pools);
        let Decision::SessionStarted { session } = run(&mut e, &mut log, 10, start("ddc")) else {
            panic!("no session");
        };
        for i in 0..3 {
            let user = format!("u{i}");
            let d = run(
                &mut e,
                &mut log,
                910 + i,
                checkout(session, &user, "XDT_PLT_UD"),
            );
            assert!(matches!(d, Decision::Granted(_)), "{d:?}");
        }
        // The last event falls in the next period.
        run(&mut e, &mut log, 1900, start("ddc2"));
        let mut r = Engine::recovering();
        r.exact_from(900);
        for ev in &log {
            r.apply(ev);
        }
        r.settle();
        assert_eq!(r.history_samples(1)[0].peak, e.history_samples(1)[0].peak);
        // Deferred throughout: the period's peak is not known.
        let r = Engine::replay(&log);
        assert!(r.history_samples(1).is_empty());
    }
}
