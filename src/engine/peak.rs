//! The most licenses in use within a sampling period of the usage history,
//! kept exactly at every change of a pool's use rather than sampled.
//!
//! Periods are numbered from the Unix epoch: an event at `at` falls in the
//! period `at.div_euclid(length)`. A [`Peak`] follows its pool lazily: it
//! moves on to a new period only when the pool's use changes in it, so a
//! pool nobody uses costs nothing; a period in which nothing changed had
//! the use the last change left. It keeps the period it is in and the one
//! before, which is what the recorder needs at a period's end, even when
//! the next period's first events came before it asked. Being derived from
//! event times alone, a replay of the events rebuilds it exactly.

use super::types::Time;

/// A period that has ended: its index, its peak, and the use at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Finished {
    period: i64,
    peak: u64,
    end: u64,
}

/// The peak use of one pool (or one user/device feature) in the current
/// sampling period, and the period before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peak {
    /// The period of the last change; `i64::MIN` before the first.
    period: i64,
    /// The most in use within it, counting the use it began with.
    peak: u64,
    previous: Option<Finished>,
    /// Periods before this one are not known (the peak was started afresh:
    /// a change of the sampling period, or the end of a recovery that did
    /// not follow the use of user/device features).
    known_from: i64,
}

impl Default for Peak {
    fn default() -> Self {
        Peak {
            period: i64::MIN,
            peak: 0,
            previous: None,
            known_from: i64::MIN,
        }
    }
}

impl Peak {
    /// A peak that starts in `period` with `in_use`, knowing nothing before.
    pub fn starting(period: i64, in_use: u64) -> Self {
        Peak {
            period,
            peak: in_use,
            previous: None,
            known_from: period,
        }
    }

    /// A peak that starts in `period` with `in_use`, knowing nothing
    /// before the period `known_from` (at least `period`).
    pub fn starting_known(period: i64, in_use: u64, known_from: i64) -> Self {
        Peak {
            known_from: known_from.max(period),
            ..Peak::starting(period, in_use)
        }
    }

    /// The use changes from `before` to `after` in `period`. Moves on to
    /// `period` first if it is a later one: the period that ends had
    /// `before` in use at its end, and the new one starts with it.
    #[inline]
    pub fn change(&mut self, period: i64, before: u64, after: u64) {
        if period > self.period {
            self.previous = Some(if self.period == i64::MIN {
                // Nothing changed before: the use was `before` throughout.
                Finished {
                    period: period - 1,
                    peak: before,
                    end: before,
                }
            } else {
                Finished {
                    period: self.period,
                    peak: self.peak,
                    end: before,
                }
            });
            self.period = period;
            self.peak = before;
        }
        self.peak = self.peak.max(after);
    }

    /// The period `k` as a sample: its peak and the use at its end, given
    /// the use `now` (after every change applied so far). `None` when `k`
    /// is older than what is kept.
    pub fn of(&self, k: i64, now: u64) -> Option<(u64, u64)> {
        if k < self.known_from {
            return None;
        }
        if self.period == i64::MIN || k > self.period {
            // No change since before `k` began: constant.
            return Some((now, now));
        }
        if k == self.period {
            return Some((self.peak, now));
        }
        match self.previous {
            Some(f) if f.period == k => Some((f.peak, f.end)),
            // Between the previous change and the last: the use the
            // previous period ended with, throughout.
            Some(f) if f.period < k => Some((f.end, f.end)),
            _ => None,
        }
    }
}

/// The sampling period an event at `at` falls in, for periods of `length`
/// seconds (at least one).
#[inline]
pub fn period_of(at: Time, length: Time) -> i64 {
    at.div_euclid(length.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_keeps_its_highest_use_and_the_next_starts_from_its_end() {
        let mut p = Peak::default();
        // Period 3: 0 → 5, then down to 1.
        for n in 0..5 {
            p.change(3, n, n + 1);
        }
        for n in (1..5).rev() {
            p.change(3, n + 1, n);
        }
        assert_eq!(p.of(3, 1), Some((5, 1)));
        assert_eq!(p.of(2, 1), Some((0, 0)), "before the first change: none");
        // Nothing in period 4: constant.
        assert_eq!(p.of(4, 1), Some((1, 1)));
        // A checkin in period 6: period 3 is the one before, 5 ended at 1,
        // 6 began with 1; period 2 is no longer kept.
        p.change(6, 1, 0);
        assert_eq!(p.of(3, 0), Some((5, 1)));
        assert_eq!(p.of(5, 0), Some((1, 1)));
        assert_eq!(p.of(6, 0), Some((1, 0)));
        assert_eq!(p.of(2, 0), None);
        assert_eq!(p.of(7, 0), Some((0, 0)));
    }

    #[test]
    fn a_peak_started_afresh_knows_nothing_before() {
        let p = Peak::starting(10, 4);
        assert_eq!(p.of(9, 4), None);
        assert_eq!(p.of(10, 4), Some((4, 4)));
        assert_eq!(period_of(-1, 900), -1);
        assert_eq!(period_of(1800, 900), 2);
    }
}
