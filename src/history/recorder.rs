//! The recorder: at the end of every sampling period (and a moment more,
//! so that the period's last committed batch has reached the replica) it
//! writes every pool's sample of that period into `history.db`, from the
//! reader thread's replica of the engine. It runs on the reader thread,
//! between two of its messages: the engine's owner never waits for it.
//!
//! After a crash, the periods the replayed engine still knows and the
//! history lacks (the one in progress at the crash, and the one before if
//! its sample was not written yet) are written at start, from the peaks the
//! replay rebuilt. Periods while the server was down are not recorded.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::db::{HistoryDb, HistoryError};
use crate::engine::peak::period_of;
use crate::engine::types::DAY;
use crate::engine::{Engine, Time};

/// How long after a period's end its sample is taken: batches decided
/// before the end have been committed and reached the replica by then.
const MARGIN: Duration = Duration::from_secs(1);

/// The most periods written at once (after a stall of the reader thread).
const MOST_AT_ONCE: i64 = 10_000;

/// The history's writer.
pub struct Recorder {
    db: HistoryDb,
    /// Says a line in the debug log.
    say: Box<dyn Fn(&str) + Send>,
    /// The next period to write and the sampling period it is counted in.
    next: Option<(i64, Time)>,
    /// The last write failed (said once in the log, until one succeeds).
    failing: bool,
    /// The retention last enforced.
    retention: Option<Time>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("next", &self.next)
            .finish()
    }
}

/// The wall clock in seconds, with its fraction.
fn wall() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Recorder {
    /// Opens `history.db` at `path`; `say` writes a line to the debug log.
    pub fn open(path: &Path, say: Box<dyn Fn(&str) + Send>) -> Result<Self, HistoryError> {
        Ok(Recorder {
            db: HistoryDb::open(path)?,
            say,
            next: None,
            failing: false,
            retention: None,
        })
    }

    /// From when a recovery must follow the use exactly: the end of what
    /// the history holds, or a day ago for a history that holds nothing (a
    /// sampling period is a day at most).
    pub fn exact_from(&self, now: Time) -> Time {
        let day_ago = now.saturating_sub(DAY);
        match self.db.recorded_until() {
            Ok(Some(until)) => until.max(day_ago),
            _ => day_ago,
        }
    }

    /// Writes what is due at the wall clock's `now`, and, the first time,
    /// the periods the recovered engine knows that the history lacks.
    pub fn tick(&mut self, engine: &Engine) {
        let now = wall();
        let length = engine.settings().history_sample.max(1);
        // The period in progress, as far as the recorder is concerned.
        let current = period_of((now - margin(length).as_secs_f64()) as Time, length);
        let next = match self.next {
            Some((next, was)) if was == length => next,
            // A new sampling period: its periods start with the next one.
            Some(_) => current,
            None => self.first(engine, length, current),
        };
        let mut k = next.max(current.saturating_sub(MOST_AT_ONCE));
        while k < current {
            if !self.write(engine, k, length) {
                break;
            }
            k += 1;
        }
        self.next = Some((k, length));
        if k == current {
            // Once a day, and at once when the retention changes.
            let retention = engine.settings().history_retention;
            let changed = self.retention.replace(retention) != Some(retention);
            let ran = self.db.enforce_retention(now as Time, retention, changed);
            self.report(ran.map(drop));
        }
    }

    /// Where a recorder starts: the periods the recovered engine still
    /// knows (the one its last event fell in and the one before) that the
    /// history lacks are written (none that began after the server went
    /// down); then the current one is next. An engine without events knows
    /// no period: nothing is written for it.
    fn first(&mut self, engine: &Engine, length: Time, current: i64) -> i64 {
        if !engine.has_events() {
            return current;
        }
        let last = engine.last_period().min(current - 1);
        let from = match self.db.recorded_until().ok().flatten() {
            Some(until) => period_of(until, length),
            None => last.saturating_sub(1),
        };
        for k in from.max(last.saturating_sub(1))..=last {
            self.write(engine, k, length);
        }
        current
    }

    /// Writes the period `k`: whether it could.
    fn write(&mut self, engine: &Engine, k: i64, length: Time) -> bool {
        let samples = engine.history_samples(k);
        let until = k.saturating_add(1).saturating_mul(length);
        let written = self.db.write(&samples, until);
        let ok = written.is_ok();
        self.report(written);
        ok
    }

    /// Says once in the log that the history cannot be written, and when
    /// it can again.
    fn report(&mut self, result: Result<(), HistoryError>) {
        match result {
            Ok(()) if self.failing => {
                self.failing = false;
                (self.say)("The usage history is writable again");
            }
            Ok(()) => {}
            Err(e) if !self.failing => {
                self.failing = true;
                let line = format!("The usage history cannot be written: {e}");
                (self.say)(&line);
            }
            Err(_) => {}
        }
    }

    /// How long until the next period is due, from the wall clock.
    pub fn wait(&self, engine: &Engine) -> Duration {
        let length = engine.settings().history_sample.max(1);
        let now = wall();
        let next_end = (period_of(now as Time, length) + 1) as f64 * length as f64;
        let due = next_end + margin(length).as_secs_f64();
        // A second at most: a change of the sampling period is taken up soon.
        Duration::from_secs_f64((due - now).clamp(0.001, 1.0))
    }
}

/// The margin for periods of `length` seconds: a second, or half a short
/// period.
fn margin(length: Time) -> Duration {
    MARGIN.min(Duration::from_millis(length as u64 * 500))
}
