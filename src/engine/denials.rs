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

/// The refusals' counts and the most recent refusals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Denials {
    counts: BTreeMap<DenialKey, u64>,
    recent: VecDeque<DenialView>,
}

impl Denials {
    /// Counts one refusal and keeps it among the recent ones.
    pub fn record(&mut self, d: &DenialView) {
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
        d.record(&refusal("XDT_PLT_UD", "2026.0101", Code::ALL_IN_USE, 1));
        d.record(&refusal("XDT_PLT_UD", "2026.0101", Code::ALL_IN_USE, 2));
        d.record(&refusal("XDT_PLT_UD", "2026.0101", Code::EXPIRED, 3));
        d.record(&refusal("XDT_ENT_UD", "2026.0101", Code::ALL_IN_USE, 4));
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
            d.record(&refusal(
                &format!("F{i}"),
                "1.0",
                Code::NO_SUCH_FEATURE,
                i as i64,
            ));
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
}
