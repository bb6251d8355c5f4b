//! Alerts: which conditions hold in the licensing state at a given time
//! ([`conditions`]) and in the license files as last read ([`not_read`]),
//! and which of them began or ended since the last look ([`Tracker`]). Both are pure: the daemon evaluates them on its reader's
//! replica after committed batches and on a timer (expiry moves with the
//! date), never on the thread that decides grants, and persists the
//! tracker so that a restart does not raise again what was already raised.
//!
//! An alert is known by its kind, feature, version and expiry (and, for a
//! line of a license file, the file and the line): its words
//! (counts, days left) may change while it stays active, without raising
//! it again. It is raised once when its condition begins, cleared once
//! when it ends, and raised again only after it cleared.

use std::collections::BTreeMap;

use crate::engine::state::BurstState;
use crate::engine::types::day_of;
use crate::engine::{Engine, Time};
use crate::license::{DIAGNOSTICS_FEATURE, Expiry, STARTUP_FEATURE};
use crate::protocol::alerts::{Alert, AlertChange, AlertKind};

/// Days before a license's expiry its first warning is raised.
pub const EXPIRY_WARNING_DAYS: i64 = 90;
/// Days before a license's expiry its second warning is raised.
pub const EXPIRY_CLOSE_DAYS: i64 = 30;

/// What tells alerts apart: kind, feature, version, expiry, file, line.
type Key = (
    AlertKind,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<u64>,
);

fn key_of(a: &Alert) -> Key {
    (
        a.kind,
        a.feature.clone(),
        a.version.clone(),
        a.expiry.clone(),
        a.file.clone(),
        a.line,
    )
}

/// The most lines of one license file that raise [`AlertKind::LineNotRead`]:
/// a binary or mangled file raises a few alerts, not one per line (lmdiag
/// lists every one).
pub const MAX_NOT_READ_PER_FILE: usize = 20;

/// A line of a license file that does not parse, as the last read of the
/// license directory found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRead {
    /// The file, as the log and lmdiag name it.
    pub file: String,
    /// The line, 1-based.
    pub line: u64,
    /// What is wrong with it (the parser's words, with the column).
    pub reason: String,
}

/// The alerts of the lines that do not parse, raised `now`: one per file
/// and line (its first problem), the first [`MAX_NOT_READ_PER_FILE`] of
/// each file.
pub fn not_read(lines: &[NotRead], now: Time) -> Vec<Alert> {
    let mut found: BTreeMap<(&str, u64), Alert> = BTreeMap::new();
    let mut per_file: BTreeMap<&str, usize> = BTreeMap::new();
    for l in lines {
        let key = (l.file.as_str(), l.line);
        if found.contains_key(&key) {
            continue;
        }
        let n = per_file.entry(&l.file).or_default();
        if *n == MAX_NOT_READ_PER_FILE {
            continue;
        }
        *n += 1;
        let alert = Alert {
            kind: AlertKind::LineNotRead,
            feature: String::new(),
            version: None,
            expiry: None,
            since: now,
            detail: l.reason.clone(),
            file: Some(l.file.clone()),
            line: Some(l.line),
        };
        found.insert(key, alert);
    }
    found.into_values().collect()
}

/// `YYYY-MM-DD` of a time.
fn iso_day(t: Time) -> String {
    day_of(t).format("%Y-%m-%d").to_string()
}

/// Every condition that holds in `engine` at `now`, as alerts raised `now`
/// (a [`Tracker`] keeps the time each was first seen). One per key, in key
/// order. The built-in start-up and diagnostics licenses raise none.
pub fn conditions(engine: &Engine, now: Time) -> Vec<Alert> {
    let mut found: BTreeMap<Key, Alert> = BTreeMap::new();
    let mut add = |alert: Alert| {
        found.entry(key_of(&alert)).or_insert(alert);
    };
    let burst_length = engine.settings().burst_length;
    for pool in engine.pool_views(now) {
        let feature = &pool.key.feature;
        if pool.removed || feature == STARTUP_FEATURE || feature == DIAGNOSTICS_FEATURE {
            continue;
        }
        let version = Some(pool.key.version.0.to_string());
        let alert = |kind, expiry: Option<String>, detail: String| Alert {
            kind,
            feature: feature.clone(),
            version: version.clone(),
            expiry,
            since: now,
            detail,
            file: None,
            line: None,
        };
        let expiry = Some(match pool.key.expiry {
            Expiry::On(d) => d.format("%Y-%m-%d").to_string(),
            Expiry::Permanent => "permanent".to_owned(),
        });
        if let Expiry::On(day) = pool.key.expiry {
            let left = (day - day_of(now)).num_days();
            let detail = expiry_detail(expiry.as_deref().unwrap_or_default(), left);
            if left <= EXPIRY_WARNING_DAYS {
                add(alert(
                    AlertKind::ExpiresWithin90Days,
                    expiry.clone(),
                    detail.clone(),
                ));
            }
            if left <= EXPIRY_CLOSE_DAYS {
                add(alert(
                    AlertKind::ExpiresWithin30Days,
                    expiry.clone(),
                    detail,
                ));
            }
        }
        if !pool.expired && pool.installed > 0 {
            let used = format!("{} of {} licenses in use", pool.in_use, pool.installed);
            if pool.in_use.saturating_mul(10) >= pool.installed.saturating_mul(9) {
                add(alert(
                    AlertKind::PoolAt90Percent,
                    expiry.clone(),
                    used.clone(),
                ));
            }
            if pool.in_use >= pool.installed {
                add(alert(AlertKind::PoolFull, expiry.clone(), used));
            }
        }
        if pool.overdraft_in_use > 0 {
            let detail = format!(
                "{} of {} overdraft licenses in use ({} purchased)",
                pool.overdraft_in_use, pool.overdraft, pool.purchased
            );
            add(alert(AlertKind::OverdraftInUse, expiry.clone(), detail));
        }
        if let BurstState::Active { started } = pool.burst {
            let ends = started.saturating_add(burst_length);
            let detail = format!(
                "license burst mode started on {}, ends on {}",
                iso_day(started),
                iso_day(ends)
            );
            add(alert(AlertKind::BurstMode, None, detail));
        }
    }
    for (feature, why) in &engine.refused {
        add(Alert {
            kind: AlertKind::LinesNotServed,
            feature: feature.clone(),
            version: None,
            expiry: None,
            since: now,
            detail: format!("error {}: {}", why.code.number(), why.reason),
            file: None,
            line: None,
        });
    }
    found.into_values().collect()
}

/// The words of an expiry alert: in how many days, or since when.
fn expiry_detail(expiry: &str, left: i64) -> String {
    match left {
        0 => format!("expires today ({expiry})"),
        1 => format!("expires tomorrow ({expiry})"),
        n if n > 1 => format!("expires on {expiry}, in {n} days"),
        _ => format!("expired on {expiry}"),
    }
}

/// An alert that began or ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub change: AlertChange,
    /// The alert; for a cleared one, as it last was.
    pub alert: Alert,
}

/// The active alerts, and what changed since the last look.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tracker {
    active: BTreeMap<Key, Alert>,
}

impl Tracker {
    /// A tracker that knows `active` as already raised (read back after a
    /// restart): they are not raised again while they hold.
    pub fn new(active: Vec<Alert>) -> Tracker {
        Tracker {
            active: active.into_iter().map(|a| (key_of(&a), a)).collect(),
        }
    }

    /// Takes the conditions that hold now; answers the alerts cleared
    /// (those no longer among them), then those raised (new among them).
    /// An alert still active keeps its `since` and takes its new words.
    pub fn update(&mut self, current: Vec<Alert>) -> Vec<Change> {
        let mut now: BTreeMap<Key, Alert> = current.into_iter().map(|a| (key_of(&a), a)).collect();
        let mut changes = Vec::new();
        for (key, old) in std::mem::take(&mut self.active) {
            match now.remove(&key) {
                Some(fresh) => {
                    let kept = Alert {
                        since: old.since,
                        ..fresh
                    };
                    self.active.insert(key, kept);
                }
                None => changes.push(Change {
                    change: AlertChange::Cleared,
                    alert: old,
                }),
            }
        }
        for (key, alert) in now {
            changes.push(Change {
                change: AlertChange::Raised,
                alert: alert.clone(),
            });
            self.active.insert(key, alert);
        }
        changes
    }

    /// The active alerts, in key order.
    pub fn active(&self) -> Vec<Alert> {
        self.active.values().cloned().collect()
    }

    /// How many alerts are active.
    pub fn len(&self) -> usize {
        self.active.len()
    }

    /// Whether none is active.
    pub fn is_empty(&self) -> bool {
        self.active.is_empty()
    }
}

#[cfg(test)]
mod tests;
