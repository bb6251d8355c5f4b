//! The server's history as the protocol shows it: what happened, in order,
//! each with the server's sequence number. The answer to `events`, asked
//! for with filters ([`EventQuery`]) so that a tool reads only what it
//! shows. These are the protocol's own types: the store keeps the engine's
//! events, and the server converts them as it answers.

use serde::{Deserialize, Serialize};

use super::status::{Model, PoolId};

/// What `events` asks for: events after `after`, at most `limit`, of the
/// kinds, feature, models and times given (each filter optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct EventQuery {
    /// Only events with a greater sequence number (0: from the start).
    pub after: i64,
    /// At most this many events (the server answers at most 10,000).
    pub limit: u32,
    /// Only these kinds; empty: every kind.
    pub kinds: Vec<EventKind>,
    /// Only events that name this feature.
    pub feature: Option<String>,
    /// Only grants of these license models; empty: every model. Events
    /// other than grants are not affected.
    pub models: Vec<Model>,
    /// Only events at or after this time (Unix seconds).
    pub since: Option<i64>,
    /// Only events at or before this time (Unix seconds).
    pub until: Option<i64>,
    /// Only changes asked for by this account: `host\\user` exactly, or
    /// `user` alone (any host); case is ignored. Events no one asked for
    /// (a grant, a lease that ran out) never match.
    pub by: Option<String>,
}

/// The answer to `events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct EventPage {
    /// The events that match, oldest first.
    pub events: Vec<Event>,
    /// Where to go on: ask again with `after` set to it. `null` when the
    /// history was read to its end. The server examines a bounded number
    /// of events per request, so a page may be short, even empty, and still
    /// have a `next`.
    pub next: Option<i64>,
}

/// One event of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Event {
    /// The server's sequence number: increasing, gaps allowed.
    pub seq: i64,
    /// When, Unix seconds.
    pub at: i64,
    #[serde(flatten)]
    pub what: What,
}

/// The kinds of events, as `event` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    SessionStarted,
    SessionLapsed,
    SessionEnded,
    Granted,
    CheckedIn,
    LeaseExpired,
    Released,
    BurstStarted,
    BurstEnded,
    BurstRearmed,
    LicensesRead,
    OptionsRead,
    SettingsChanged,
    AccountSet,
    AccountRemoved,
    ShutdownRequested,
    TokenCreated,
    TokenRevoked,
    LicenseInstalled,
}

impl EventKind {
    /// The kinds that record a change an administrator asked for (or the
    /// server made itself, as reading its licenses at start): what an
    /// audit lists. The options file is read with the license files, so
    /// `licenses_read` stands for both.
    pub const CHANGES: [EventKind; 9] = [
        EventKind::Released,
        EventKind::LicensesRead,
        EventKind::SettingsChanged,
        EventKind::AccountSet,
        EventKind::AccountRemoved,
        EventKind::ShutdownRequested,
        EventKind::TokenCreated,
        EventKind::TokenRevoked,
        EventKind::LicenseInstalled,
    ];
}

/// What happened, by `event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum What {
    /// A product server started a session: it holds a start-up license.
    SessionStarted { session: u64, host: String },
    /// A session's heartbeats lapsed; its checkouts are kept for a reconnect.
    SessionLapsed { session: u64 },
    /// A session ended, with every checkout under it; `reclaimed` when the
    /// reconnect window ran out rather than the product ending it.
    SessionEnded { session: u64, reclaimed: bool },
    /// A license checked out.
    Granted(Box<Grant>),
    /// A checkout returned (the handle of its `granted` event).
    CheckedIn { handle: u64 },
    /// A user/device connection's lease ran out.
    LeaseExpired {
        feature: String,
        /// The user and device as first sent (as counted in events
        /// recorded before names as first sent were kept).
        user: String,
        device: String,
    },
    /// An administrator released a user/device connection (`udadmin -delete`).
    Released {
        feature: String,
        /// The user and device as first sent (as counted in events
        /// recorded before names as first sent were kept).
        user: String,
        device: String,
        /// Who asked (`host\\user`); null for releases recorded before
        /// who asked was kept.
        #[serde(default)]
        by: Option<String>,
    },
    /// License burst mode started for a product version and edition.
    BurstStarted { feature: String, version: String },
    BurstEnded {
        feature: String,
        version: String,
        reason: BurstEndReason,
    },
    /// A retail license was installed: burst mode is available again.
    BurstRearmed { feature: String },
    /// The license files were (re)read: the pools now served; `by` is who
    /// asked (`lmreread`), null when the server read them itself at start
    /// (and for rereads recorded before who asked was kept).
    LicensesRead {
        pools: usize,
        #[serde(default)]
        by: Option<String>,
    },
    /// The options file was (re)read.
    OptionsRead,
    /// The server's settings changed; `by` is who asked (`host\\user`),
    /// null for changes recorded before who asked was kept.
    SettingsChanged {
        by: Option<String>,
        /// What was asked, `NAME=VALUE` by the settings' listed names,
        /// e.g. `ud_lease=30d`; empty for changes recorded before it was
        /// kept.
        #[serde(default)]
        changes: Vec<String>,
    },
    /// An account or group was given a role; `by` is who asked (null
    /// for changes recorded before who asked was kept).
    AccountSet {
        name: String,
        role: String,
        #[serde(default)]
        by: Option<String>,
    },
    /// An account or group lost its role; `by` is who asked.
    AccountRemoved {
        name: String,
        #[serde(default)]
        by: Option<String>,
    },
    /// `lmdown` stopped the server, or with `vendor` its vendor daemon;
    /// `by` is who asked.
    ShutdownRequested { vendor: bool, by: Option<String> },
    /// An API token was created (never the token itself, nor its digest):
    /// its number, name, the account it acts as and when it expires (Unix
    /// seconds; null: never); `by` is who created it.
    TokenCreated {
        id: u64,
        name: String,
        account: String,
        expires: Option<i64>,
        by: Option<String>,
    },
    /// An API token was revoked; `by` is who revoked it.
    TokenRevoked { id: u64, by: Option<String> },
    /// A license file was installed in the license directory (`lminstall`,
    /// `POST /api/v1/licenses`): its name, the features of its license
    /// lines, whether it replaced a file of that name; `by` is who asked.
    /// The reread that follows is a `licenses_read` of its own.
    LicenseInstalled {
        file: String,
        features: Vec<String>,
        replaced: bool,
        by: Option<String>,
    },
}

/// A granted checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Grant {
    pub handle: u64,
    pub session: u64,
    pub feature: String,
    /// The version the product asked for.
    pub version: String,
    /// The user and device as the product sent them.
    pub user: String,
    pub device: String,
    /// The product server.
    pub host: String,
    pub display: String,
    pub count: u32,
    pub model: Model,
    /// The pool it was granted from.
    pub pool: PoolId,
    /// Admitted only by license burst mode.
    pub burst: bool,
}

/// Why burst mode ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum BurstEndReason {
    /// Its 15 days ran out.
    Expired,
    /// Licenses were installed during it.
    LicensesInstalled,
    /// The administrator disabled burst mode.
    Disabled,
}

impl What {
    pub fn kind(&self) -> EventKind {
        match self {
            What::SessionStarted { .. } => EventKind::SessionStarted,
            What::SessionLapsed { .. } => EventKind::SessionLapsed,
            What::SessionEnded { .. } => EventKind::SessionEnded,
            What::Granted(_) => EventKind::Granted,
            What::CheckedIn { .. } => EventKind::CheckedIn,
            What::LeaseExpired { .. } => EventKind::LeaseExpired,
            What::Released { .. } => EventKind::Released,
            What::BurstStarted { .. } => EventKind::BurstStarted,
            What::BurstEnded { .. } => EventKind::BurstEnded,
            What::BurstRearmed { .. } => EventKind::BurstRearmed,
            What::LicensesRead { .. } => EventKind::LicensesRead,
            What::OptionsRead => EventKind::OptionsRead,
            What::SettingsChanged { .. } => EventKind::SettingsChanged,
            What::AccountSet { .. } => EventKind::AccountSet,
            What::AccountRemoved { .. } => EventKind::AccountRemoved,
            What::ShutdownRequested { .. } => EventKind::ShutdownRequested,
            What::TokenCreated { .. } => EventKind::TokenCreated,
            What::TokenRevoked { .. } => EventKind::TokenRevoked,
            What::LicenseInstalled { .. } => EventKind::LicenseInstalled,
        }
    }

    /// Who asked for it (`host\\user`), for the changes that record it.
    pub fn by(&self) -> Option<&str> {
        match self {
            What::Released { by, .. }
            | What::LicensesRead { by, .. }
            | What::SettingsChanged { by, .. }
            | What::AccountSet { by, .. }
            | What::AccountRemoved { by, .. }
            | What::ShutdownRequested { by, .. }
            | What::TokenCreated { by, .. }
            | What::TokenRevoked { by, .. }
            | What::LicenseInstalled { by, .. } => by.as_deref(),
            _ => None,
        }
    }

    /// The feature it names, if it names one.
    pub fn feature(&self) -> Option<&str> {
        match self {
            What::Granted(g) => Some(&g.feature),
            What::LeaseExpired { feature, .. }
            | What::Released { feature, .. }
            | What::BurstStarted { feature, .. }
            | What::BurstEnded { feature, .. }
            | What::BurstRearmed { feature } => Some(feature),
            _ => None,
        }
    }
}

impl EventQuery {
    /// Whether `e` is one of the events asked for.
    pub fn matches(&self, e: &Event) -> bool {
        let kind = self.kinds.is_empty() || self.kinds.contains(&e.what.kind());
        let feature = self
            .feature
            .as_deref()
            .is_none_or(|f| e.what.feature() == Some(f));
        let model = match &e.what {
            What::Granted(g) => self.models.is_empty() || self.models.contains(&g.model),
            _ => true,
        };
        let since = self.since.is_none_or(|t| e.at >= t);
        let until = self.until.is_none_or(|t| e.at <= t);
        let by = self
            .by
            .as_deref()
            .is_none_or(|want| e.what.by().is_some_and(|by| asked_by(by, want)));
        kind && feature && model && since && until && by
    }
}

/// Whether `by` (`host\\user`, or `host\\user (token N)` for a change
/// made with an API token) is the account `want` names: the same
/// `host\\user`, or the same user when `want` names no host; any case.
fn asked_by(by: &str, want: &str) -> bool {
    let by = by.split(" (token ").next().unwrap_or(by);
    if want.contains('\\') {
        return by.eq_ignore_ascii_case(want);
    }
    let user = by.rsplit('\\').next().unwrap_or(by);
    user.eq_ignore_ascii_case(want)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(by: Option<&str>) -> Event {
        let what = What::Released {
            feature: "F".into(),
            user: "u".into(),
            device: "d".into(),
            by: by.map(str::to_owned),
        };
        Event {
            seq: 1,
            at: 10,
            what,
        }
    }

    #[test]
    fn by_matches_the_account_or_its_user_in_any_case() {
        let query = |by: &str| EventQuery {
            by: Some(by.into()),
            ..EventQuery::default()
        };
        let e = release(Some("lic1\\Ann"));
        assert!(query("lic1\\ann").matches(&e));
        assert!(query("ANN").matches(&e));
        assert!(!query("lic2\\ann").matches(&e));
        assert!(!query("an").matches(&e));
        assert!(!query("ann").matches(&release(None)));
        let with_token = release(Some("lic1\\ann (token 3)"));
        assert!(query("lic1\\ann").matches(&with_token) && query("ann").matches(&with_token));
        assert!(EventQuery::default().matches(&release(None)));
    }

    #[test]
    fn events_written_before_by_was_kept_read() {
        let old = r#"{"seq":3,"at":5,"event":"released","feature":"F","user":"u","device":"d"}"#;
        let e: Event = serde_json::from_str(old).unwrap();
        assert_eq!(e, release(None).with_seq(3, 5));
    }

    impl Event {
        fn with_seq(self, seq: i64, at: i64) -> Event {
            Event { seq, at, ..self }
        }
    }
}
