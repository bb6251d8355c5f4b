//! A pool's day: what its samples add up to. Sums are kept, not averages,
//! so that a day is the same whichever order and grouping its samples are
//! added in: the recorder adds each period as it ends, and a day rebuilt
//! from its samples must say the same.

use super::sample::PoolSample;
use crate::engine::Time;
use crate::engine::types::DAY;
use crate::protocol::history::DenialsByReason;

/// One pool's day so far.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DayTotals {
    /// The highest peak of its periods.
    pub peak: u64,
    /// The lowest use at a period's end.
    pub minimum: u64,
    /// The most installed at a period's end.
    pub installed: u64,
    /// The most licenses in overdraft at any instant.
    pub overdraft_peak: u64,
    /// Refused checkouts.
    pub denials: u64,
    /// Of those, how many for each FlexNet reason.
    pub denials_by_reason: DenialsByReason,
    /// Licenses in use times seconds, over the periods recorded: each
    /// period counts its end's use for its length.
    pub use_seconds: u64,
    /// Seconds recorded (less than a day when the server was down).
    pub seconds: u64,
}

impl DayTotals {
    /// The day of one sample.
    pub fn of(s: &PoolSample) -> Self {
        let seconds = s.seconds.max(0) as u64;
        DayTotals {
            peak: s.peak,
            minimum: s.in_use,
            installed: s.installed,
            overdraft_peak: s.overdraft_peak,
            denials: s.denials,
            denials_by_reason: s.denials_by_reason.clone(),
            use_seconds: s.in_use.saturating_mul(seconds),
            seconds,
        }
    }

    /// Adds `other` (more periods of the same day).
    pub fn absorb(&mut self, other: &DayTotals) {
        if self.seconds == 0 {
            *self = other.clone();
            return;
        }
        if other.seconds == 0 {
            return;
        }
        self.peak = self.peak.max(other.peak);
        self.minimum = self.minimum.min(other.minimum);
        self.installed = self.installed.max(other.installed);
        self.overdraft_peak = self.overdraft_peak.max(other.overdraft_peak);
        self.denials = self.denials.saturating_add(other.denials);
        for (code, n) in &other.denials_by_reason {
            let count = self.denials_by_reason.entry(*code).or_default();
            *count = count.saturating_add(*n);
        }
        self.use_seconds = self.use_seconds.saturating_add(other.use_seconds);
        self.seconds = self.seconds.saturating_add(other.seconds);
    }

    /// The time-weighted average use over the periods recorded.
    pub fn average(&self) -> f64 {
        if self.seconds == 0 {
            0.0
        } else {
            self.use_seconds as f64 / self.seconds as f64
        }
    }
}

/// The day (days since 1970-01-01, UTC) a period starting at `start`
/// belongs to.
pub fn day_number(start: Time) -> i64 {
    start.div_euclid(DAY)
}

/// `YYYY-MM-DD` of a day number.
pub fn date_of(day: i64) -> String {
    crate::engine::types::day_of(day.saturating_mul(DAY))
        .format("%Y-%m-%d")
        .to_string()
}

/// The day number of `YYYY-MM-DD`.
pub fn day_of_date(date: &str) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(
        d.and_hms_opt(0, 0, 0)?
            .and_utc()
            .timestamp()
            .div_euclid(DAY),
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::license::pool::PoolKey;

    fn sample(in_use: u64, extra: u64, seconds: i64, denials: u64) -> PoolSample {
        PoolSample {
            pool: PoolKey {
                feature: "F".into(),
                version: crate::license::pool::VersionKey(
                    crate::license::Version::parse("2026.0101").unwrap(),
                ),
                expiry: crate::license::Expiry::Permanent,
                license_type: None,
                vendor_string: None,
            },
            start: 0,
            seconds,
            in_use,
            peak: in_use + extra,
            installed: 10,
            overdraft_in_use: in_use.saturating_sub(8),
            overdraft_peak: (in_use + extra).saturating_sub(8),
            denials,
            denials_by_reason: DenialsByReason::from([(-4, denials)]),
        }
    }

    #[test]
    fn a_day_weighs_each_period_by_its_length() {
        let mut d = DayTotals::of(&sample(4, 2, 600, 1));
        d.absorb(&DayTotals::of(&sample(1, 0, 300, 2)));
        assert_eq!((d.peak, d.minimum, d.denials, d.seconds), (6, 1, 3, 900));
        assert_eq!(d.denials_by_reason, DenialsByReason::from([(-4, 3)]));
        assert_eq!(d.average(), 3.0);
        assert_eq!(d.overdraft_peak, 0);
        assert_eq!(date_of(day_of_date("2026-12-03").unwrap()), "2026-12-03");
        assert_eq!(day_number(-1), -1);
    }

    proptest! {
        /// However the samples are grouped and ordered, the day is the same.
        #[test]
        fn a_day_is_the_same_in_any_order_and_grouping(
            samples in prop::collection::vec((0u64..50, 0u64..10, 1i64..3600, 0u64..5), 1..40),
            split in 0usize..40,
        ) {
            let days: Vec<DayTotals> = samples
                .iter()
                .map(|&(u, e, s, d)| DayTotals::of(&sample(u, e, s, d)))
                .collect();
            let mut all = DayTotals::default();
            for d in &days {
                all.absorb(d);
            }
            prop_assert_eq!(all.denials_by_reason.values().sum::<u64>(), all.denials);
            let split = split.min(days.len());
            let (mut a, mut b) = (DayTotals::default(), DayTotals::default());
            for d in days[..split].iter().rev() {
                a.absorb(d);
            }
            for d in &days[split..] {
                b.absorb(d);
            }
            b.absorb(&a);
            prop_assert_eq!(&all, &b);
            prop_assert_eq!(all.peak, samples.iter().map(|s| s.0 + s.1).max().unwrap());
            prop_assert_eq!(all.minimum, samples.iter().map(|s| s.0).min().unwrap());
            let weighted: u64 = samples.iter().map(|s| s.0 * s.2 as u64).sum();
            prop_assert_eq!(all.use_seconds, weighted);
        }
    }
}
