//! The usage history as the protocol shows it: the answer to `history`,
//! asked for with filters ([`HistoryQuery`]). Per day and pool: the peak,
//! the time-weighted average, the minimum, what was installed, the peak in
//! overdraft and the refusals; and, when asked, each sampling period. The
//! server keeps the history in its own database (see `docs/history.md`).

use serde::{Deserialize, Serialize};

use super::status::PoolId;

/// What `history` asks for; every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct HistoryQuery {
    /// Only this feature's pools.
    pub feature: Option<String>,
    /// Only the pools of this css date (`YYYY.MMDD`).
    pub version: Option<String>,
    /// From this day on (`YYYY-MM-DD`, UTC), inclusive.
    pub from: Option<String>,
    /// Up to this day (`YYYY-MM-DD`, UTC), inclusive.
    pub to: Option<String>,
    /// Also each sampling period, not only the days (at most 200,000).
    pub samples: bool,
}

/// The answer to `history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct History {
    /// The sampling period now, in seconds.
    pub sample_period: i64,
    /// Days the daily rows are kept (`history_retention`).
    pub retention_days: i64,
    /// Days the samples are kept.
    pub sample_retention_days: i64,
    /// One row per pool and day, oldest day first.
    pub days: Vec<DayUsage>,
    /// When asked for: one row per pool and sampling period, oldest first.
    pub samples: Vec<SampleUsage>,
    /// More samples matched than one answer holds: ask for a shorter range.
    #[serde(default)]
    pub samples_truncated: bool,
}

/// One pool's day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct DayUsage {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    #[serde(flatten)]
    pub pool: PoolId,
    /// The most licenses in use at any instant of the day.
    pub peak: u64,
    /// The use at the sampling periods' ends, weighted by their length.
    pub average: f64,
    /// The least in use at a sampling period's end.
    pub minimum: u64,
    /// Purchased plus overdraft (the most that day).
    pub installed: u64,
    /// The most licenses in overdraft (in use beyond those purchased) at
    /// any instant of the day.
    pub overdraft_peak: u64,
    /// Checkouts refused that day.
    pub denials: u64,
    /// Seconds of the day recorded: 86400 unless the server was down or
    /// the day is today.
    pub seconds: u64,
}

/// One pool's sampling period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct SampleUsage {
    /// The period's start, Unix seconds.
    pub start: i64,
    /// Its length in seconds.
    pub seconds: i64,
    #[serde(flatten)]
    pub pool: PoolId,
    /// Licenses in use at the period's end.
    pub in_use: u64,
    /// The most in use at any instant of the period.
    pub peak: u64,
    /// Purchased plus overdraft at the period's end.
    pub installed: u64,
    /// Licenses in overdraft at the period's end.
    pub overdraft_in_use: u64,
    /// The most in overdraft at any instant of the period.
    pub overdraft_peak: u64,
    /// Checkouts refused within the period.
    pub denials: u64,
}
