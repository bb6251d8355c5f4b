//! Refused checkouts as data: how many of each (by feature, version and
//! FlexNet number) since the state began, and the most recent ones.
//!
//! A refusal changes nothing of the licensing state, but it is persisted as
//! an [`Event::Denied`](super::Event::Denied) so that both survive a
//! restart: replay rebuilds the counts and the recent list exactly.
//!
//! Features and versions are what products send, so the number of distinct
//! keys is bounded: past [`MAX_KEYS`], refusals of a new key are counted
//! under the feature and version [`OTHER`], each under its own number.

use std::collections::{BTreeMap, VecDeque};

use super::snapshot::DenialView;
use crate::flexnet::Code;

/// The most recent refusals kept.
pub const RECENT: usize = 1000;
/// The most distinct (feature, version, number) keys counted apart.
pub const MAX_KEYS: usize = 10_000;
/// The feature and version refusals are counted under once [`MAX_KEYS`]
/// keys are taken.
pub const OTHER: &str = "*";

/// What a refusal is counted by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DenialKey {
    pub feature: String,
    /// The version the product asked for, as it sent it.
    pub version: String,
    pub code: Code,
}

/// Refusals of one sampling period of the usage history, by feature and
/// FlexNet number.
pub type PeriodCounts = BTreeMap<(String, Code), u64>;

/// The refusals' counts and the most recent refusals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Denials {
    counts: BTreeMap<DenialKey, u64>,
    recent: VecDeque<DenialView>,
    /// The sampling period of the last refusal, its refusals, and the
    /// period before with its own (the usage history's; periods between
    /// had none). Derived from the refusals' times: replay rebuilds them.
    period: Option<(i64, PeriodCounts)>,
    previous: Option<(i64, PeriodCounts)>,
}

impl Denials {
    /// Counts one refusal, made in the usage history's sampling period
    /// `period`, and keeps it among the recent ones.
    pub fn record(&mut self, d: &DenialView, period: i64) {
        self.count_in(period, &d.feature, d.code);
        let mut key = DenialKey {
            feature: d.feature.clone(),
            version: d.version.to_string(),
            code: d.code,
        };
        if self.counts.len() >= MAX_KEYS && !self.counts.contains_key(&key) {
            key.feature = OTHER.to_owned();
            key.version = OTHER.to_owned();
        }
        *self.counts.entry(key).or_default() += 1;
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(d.clone());
    }

    fn count_in(&mut self, period: i64, feature: &str, code: Code) {
        match &self.period {
            Some((p, _)) if *p == period => {}
            Some((p, _)) if *p > period => return,
            _ => {
                let ended = self.period.replace((period, PeriodCounts::new()));
                self.previous = ended;
            }
        }
        let Some((_, counts)) = self.period.as_mut() else {
            return;
        };
        let mut key = (feature.to_owned(), code);
        if counts.len() >= MAX_KEYS && !counts.contains_key(&key) {
            key.0 = OTHER.to_owned();
        }
        *counts.entry(key).or_default() += 1;
    }

    /// The refusals of the sampling period `period`, by feature and number:
    /// `None` when it is older than the two periods with refusals kept
    /// (the usage history writes each period as it ends).
    pub fn in_period(&self, period: i64) -> Option<&PeriodCounts> {
        static NONE: PeriodCounts = PeriodCounts::new();
        for (p, counts) in [&self.period, &self.previous].into_iter().flatten() {
            if *p == period {
                return Some(counts);
            }
        }
        let last = self.period.as_ref().map_or(i64::MIN, |(p, _)| *p);
        let kept_from = self.previous.as_ref().map_or(last, |(p, _)| *p);
        // Periods after the older of the two kept had none (the newer is
        // matched above), nor any period before the first refusal.
        (self.period.is_none() || period > kept_from).then_some(&NONE)
    }

    /// Refusals since the state began, by feature, version and number.
    pub fn counts(&self) -> &BTreeMap<DenialKey, u64> {
        &self.counts
    }

    /// The most recent refusals, oldest first.
    pub fn recent(&self) -> impl Iterator<Item = &DenialView> {
        self.recent.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(feature: &str, version: &str, code: Code, at: i64) -> DenialView {
        DenialView {
            at,
            feature: feature.to_owned(),
            version: crate::license::Version::parse(version).expect("a version"),
            user: "u".into(),
            device: "d".into(),
            host: "h".into(),
            code,
            reason: "r".into(),
        }
    }

    #[test]
    fn counts_by_feature_version_and_number() {
        let mut d = Denials::default();
        d.record(&refusal("XDT_PLT_UD", "2026.0101", Code::ALL_IN_USE, 1), 0);
        d.record(&refusal("XDT_PLT_UD", "2026.0101", Code::ALL_IN_USE, 2), 0);
        d.record(&refusal("XDT_PLT_UD", "2026.0101", Code::EXPIRED, 3), 0);
        d.record(&refusal("XDT_ENT_UD", "2026.0101", Code::ALL_IN_USE, 4), 0);
        let counts: Vec<_> = d
            .counts()
            .iter()
            .map(|(k, n)| (k.feature.as_str(), k.code, *n))
            .collect();
        assert_eq!(
            counts,
            [
                ("XDT_ENT_UD", Code::ALL_IN_USE, 1),
                ("XDT_PLT_UD", Code::EXPIRED, 1),
                ("XDT_PLT_UD", Code::ALL_IN_USE, 2),
            ]
        );
        assert_eq!(d.recent().map(|r| r.at).collect::<Vec<_>>(), [1, 2, 3, 4]);
    }

    #[test]
    fn keeps_the_most_recent_and_bounds_the_keys() {
        let mut d = Denials::default();
        for i in 0..(MAX_KEYS + 5) {
            let feature = format!("F{i}");
            d.record(
                &refusal(&feature, "1.0", Code::NO_SUCH_FEATURE, i as i64),
                0,
            );
        }
        assert_eq!(d.recent().count(), RECENT);
        assert_eq!(
            d.recent().next().map(|r| r.at),
            Some((MAX_KEYS + 5 - RECENT) as i64)
        );
        assert_eq!(d.counts().len(), MAX_KEYS + 1);
        let other = DenialKey {
            feature: OTHER.into(),
            version: OTHER.into(),
            code: Code::NO_SUCH_FEATURE,
        };
        // The last key fitted; five more went to the shared one.
        assert_eq!(d.counts().get(&other), Some(&5));
    }

    #[test]
    fn each_sampling_period_counts_its_own() {
        let mut d = Denials::default();
        assert_eq!(d.in_period(5).map(BTreeMap::len), Some(0), "none yet");
        for (period, code) in [
            (5, Code::ALL_IN_USE),
            (5, Code::ALL_IN_USE),
            (5, Code::EXPIRED),
        ] {
            d.record(&refusal("F", "1.0", code, 0), period);
        }
        d.record(&refusal("F", "1.0", Code::ALL_IN_USE, 0), 8);
        let five = d.in_period(5).unwrap();
        assert_eq!(five.get(&("F".to_owned(), Code::ALL_IN_USE)), Some(&2));
        assert_eq!(five.get(&("F".to_owned(), Code::EXPIRED)), Some(&1));
        assert_eq!(d.in_period(8).unwrap().values().sum::<u64>(), 1);
        assert_eq!(d.in_period(6).map(BTreeMap::len), Some(0), "between: none");
        assert_eq!(d.in_period(9).map(BTreeMap::len), Some(0), "after: none");
        assert!(d.in_period(4).is_none(), "before the kept ones: unknown");
    }
}
