//! Alerts as the server shows them: conditions an administrator should
//! know of (a license about to expire, a pool nearly or fully used,
//! overdraft or burst mode in use, license lines that do not serve or do
//! not parse). Each
//! is raised once when its condition begins and cleared once when it ends;
//! `lmstat --json` lists the active ones (the `alerts` part of the
//! [`Status`](super::status::Status)), `lmdiag` prints them, and webhooks
//! receive every change ([`WebhookBody`]). `docs/alerts.md` describes each
//! kind; these are the protocol's own public types.

use serde::{Deserialize, Serialize};

/// What an alert is about. The names are stable: receivers match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A pool's licenses expire within 90 days (or have expired and are
    /// still installed).
    #[serde(rename = "expires_within_90_days")]
    ExpiresWithin90Days,
    /// A pool's licenses expire within 30 days (or have expired).
    #[serde(rename = "expires_within_30_days")]
    ExpiresWithin30Days,
    /// A pool has 90% or more of its installed licenses in use.
    #[serde(rename = "pool_at_90_percent")]
    PoolAt90Percent,
    /// A pool has all its installed licenses in use.
    PoolFull,
    /// A user/device-family pool uses licenses of its overdraft.
    OverdraftInUse,
    /// License burst mode is serving a product version and edition; the
    /// detail gives its end date. Cleared when it ends.
    BurstMode,
    /// A feature's license lines do not serve: a signature that does not
    /// verify, a binding to another host, a line the server cannot count.
    LinesNotServed,
    /// A line of a license file does not parse (its syntax): the alert
    /// names the file and the line, and the detail says what is wrong.
    /// Cleared when a reread no longer finds it.
    LineNotRead,
}

impl AlertKind {
    /// Every kind, in order.
    pub const ALL: [AlertKind; 8] = [
        AlertKind::ExpiresWithin90Days,
        AlertKind::ExpiresWithin30Days,
        AlertKind::PoolAt90Percent,
        AlertKind::PoolFull,
        AlertKind::OverdraftInUse,
        AlertKind::BurstMode,
        AlertKind::LinesNotServed,
        AlertKind::LineNotRead,
    ];

    /// The name used in JSON (a unit test holds them equal), the debug
    /// log and metrics.
    pub fn name(self) -> &'static str {
        match self {
            AlertKind::ExpiresWithin90Days => "expires_within_90_days",
            AlertKind::ExpiresWithin30Days => "expires_within_30_days",
            AlertKind::PoolAt90Percent => "pool_at_90_percent",
            AlertKind::PoolFull => "pool_full",
            AlertKind::OverdraftInUse => "overdraft_in_use",
            AlertKind::BurstMode => "burst_mode",
            AlertKind::LinesNotServed => "lines_not_served",
            AlertKind::LineNotRead => "line_not_read",
        }
    }
}

/// An active alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Alert {
    pub kind: AlertKind,
    /// The feature; empty when the alert is about a line of a license
    /// file that does not parse (no feature can be read from it).
    pub feature: String,
    /// The pool's css date (`2026.1201`); `null` for lines not served.
    pub version: Option<String>,
    /// The pool's expiry (`YYYY-MM-DD` or `permanent`), which tells apart
    /// pools of one feature and version; `null` when the alert is about a
    /// feature or a product version, not one pool.
    pub expiry: Option<String>,
    /// When it was raised, in seconds since the Unix epoch.
    pub since: i64,
    /// What it is, in words: counts, dates, the FlexNet reason.
    pub detail: String,
    /// The license file, for an alert about one of its lines; `null`
    /// otherwise (and absent from alerts kept before it was known).
    #[serde(default)]
    pub file: Option<String>,
    /// The line of `file` (1-based); `null` otherwise.
    #[serde(default)]
    pub line: Option<u64>,
}

/// What tells one alert from another: kind, feature, version, expiry, file
/// and line.
pub type AlertKey<'a> = (
    AlertKind,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<u64>,
);

impl Alert {
    /// What tells one alert from another: everything but when and the words.
    pub fn key(&self) -> AlertKey<'_> {
        (
            self.kind,
            &self.feature,
            self.version.as_deref(),
            self.expiry.as_deref(),
            self.file.as_deref(),
            self.line,
        )
    }
}

/// Whether an alert began or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertChange {
    Raised,
    Cleared,
}

/// The JSON body a webhook receives, once per raised or cleared alert
/// (retried deliveries send the same bytes). Its HMAC is the
/// `X-Lmutil-Signature` header (docs/alerts.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct WebhookBody {
    /// The delivery's id (32 hex digits), also the `X-Lmutil-Delivery`
    /// header: the same on every retry, so a receiver can drop repeats.
    pub id: String,
    /// When the change was seen, in seconds since the Unix epoch; also the
    /// `X-Lmutil-Timestamp` header.
    pub timestamp: i64,
    /// The license server's host name.
    pub server: String,
    pub change: AlertChange,
    /// The alert; for a cleared one, as it last was.
    pub alert: Alert,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_names_are_the_names() {
        for kind in AlertKind::ALL {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.name());
        }
    }
}
