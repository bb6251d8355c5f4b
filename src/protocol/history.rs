//! The usage history as the protocol shows it: the answer to `history`,
//! asked for with filters ([`HistoryQuery`]). Per day and pool: the peak,
//! the time-weighted average, the minimum, what was installed, the peak in
//! overdraft and the refusals (their total and their count by FlexNet
//! number); and, when asked, each sampling period. The server keeps the
//! history in its own database (see `docs/history.md`).

use std::collections::BTreeMap;

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
    /// Of those, how many for each FlexNet reason (its error number, e.g.
    /// -4): `{"-4": 3, "-21": 1}`. Empty for refusals recorded before the
    /// reasons were kept, whose total alone is known.
    #[serde(default, with = "by_reason")]
    #[cfg_attr(feature = "tools", schemars(with = "BTreeMap<String, u64>"))]
    pub denials_by_reason: DenialsByReason,
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
    /// Of those, how many for each FlexNet reason (as the day's).
    #[serde(default, with = "by_reason")]
    #[cfg_attr(feature = "tools", schemars(with = "BTreeMap<String, u64>"))]
    pub denials_by_reason: DenialsByReason,
}

/// Refused checkouts by FlexNet reason: the error number (e.g. -4) and
/// how many were refused for it.
pub type DenialsByReason = BTreeMap<i32, u64>;

/// [`DenialsByReason`] in JSON: an object whose keys are the numbers, as
/// text (`{"-4": 3}`). Read through the text keys, since a flattened
/// struct (as [`DayUsage`] is) cannot read integer keys directly.
mod by_reason {
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    use super::{BTreeMap, DenialsByReason};

    pub fn serialize<S: Serializer>(counts: &DenialsByReason, s: S) -> Result<S::Ok, S::Error> {
        counts.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DenialsByReason, D::Error> {
        let text = BTreeMap::<String, u64>::deserialize(d)?;
        text.into_iter()
            .map(|(code, n)| {
                let code = code
                    .parse::<i32>()
                    .map_err(|_| D::Error::custom(format!("`{code}` is not a FlexNet number")))?;
                Ok((code, n))
            })
            .collect()
    }
}

/// The counts by reason as one short text, the reasons nearest to zero
/// first: `-4:3 -21:1` (how `lmhistory` shows them, and the history
/// database keeps them); empty when there are none.
pub fn reasons_text(by_reason: &DenialsByReason) -> String {
    let words: Vec<String> = by_reason
        .iter()
        .rev()
        .map(|(code, n)| format!("{code}:{n}"))
        .collect();
    words.join(" ")
}

/// The counts of a [`reasons_text`]; words that are not `number:count`
/// are skipped, and a reason said twice is counted twice.
pub fn parse_reasons(text: &str) -> DenialsByReason {
    let mut out = DenialsByReason::new();
    for word in text.split_whitespace() {
        let Some((code, n)) = word.rsplit_once(':') else {
            continue;
        };
        if let (Ok(code), Ok(n)) = (code.parse::<i32>(), n.parse::<u64>()) {
            let count = out.entry(code).or_default();
            *count = count.saturating_add(n);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_back_as_written_nearest_to_zero_first() {
        let counts = DenialsByReason::from([(-21, 1), (-4, 3), (-101, 2)]);
        let text = reasons_text(&counts);
        assert_eq!(text, "-4:3 -21:1 -101:2");
        assert_eq!(parse_reasons(&text), counts);
        assert_eq!(
            parse_reasons(" -4:1 x -4:2 7 :3"),
            DenialsByReason::from([(-4, 3)])
        );
        assert_eq!(reasons_text(&DenialsByReason::new()), "");
    }

    #[test]
    fn a_day_s_reasons_read_back_from_json() {
        let json = serde_json::json!({
            "date": "2026-12-03", "feature": "F", "version": "2026.0101",
            "expiry": "permanent", "license_type": null, "peak": 1, "average": 0.5,
            "minimum": 0, "installed": 2, "overdraft_peak": 0, "denials": 4,
            "denials_by_reason": {"-4": 3, "-21": 1}, "seconds": 900
        });
        let day: DayUsage = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(
            day.denials_by_reason,
            DenialsByReason::from([(-4, 3), (-21, 1)])
        );
        assert_eq!(
            serde_json::to_value(&day).unwrap()["denials_by_reason"],
            json["denials_by_reason"]
        );
    }
}
