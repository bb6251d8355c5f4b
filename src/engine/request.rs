//! What the engine is asked, what it answers, and the events it persists.
//!
//! Every change of state is an [`Event`]; the engine changes only by
//! applying events, so replaying the persisted events rebuilds the same
//! state.

use serde::{Deserialize, Serialize};

pub use crate::flexnet::Code;

use super::snapshot::DenialView;
use super::tokens::Token;
use super::types::{LicenseModel, PoolSpec, Settings, Time};
use crate::license::Version;
use crate::license::pool::{PoolKey, VersionKey};

/// A product session (one product server's connection).
pub type SessionId = u64;
/// One checkout.
pub type Handle = u64;

/// A request, stamped with the time it happened by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// A product starts: it checks out the start-up license. The secret
    /// (drawn by the caller) is what a later `Reconnect` must present.
    StartSession {
        host: String,
        secret: Secret,
    },
    Heartbeat {
        session: SessionId,
    },
    /// The connection to the product was lost; its checkouts are kept for
    /// the reconnect window.
    SessionLost {
        session: SessionId,
    },
    /// The product is back; its checkouts are re-attached. Refused unless
    /// `secret` is the one the session was started with.
    Reconnect {
        session: SessionId,
        secret: Secret,
    },
    /// The product shut down: every checkout of the session is checked in.
    EndSession {
        session: SessionId,
    },
    Checkout(CheckoutRequest),
    Checkin {
        session: SessionId,
        handle: Handle,
    },
    /// Release a user's or device's user/device licenses (admin); `by`
    /// is who asked (`host\\user`), as in every change an administrator
    /// asks for.
    Release {
        feature: Option<String>,
        user: Option<String>,
        device: Option<String>,
        by: Option<String>,
    },
    /// New pools from reread license files; held checkouts stay. No `by`
    /// when the server reads them itself, at start.
    Reread {
        pools: Vec<PoolSpec>,
        by: Option<String>,
    },
    ChangeSettings(Settings),
    /// Change the settings named (each `(name, value)`, see
    /// [`crate::engine::settings`]) all at once, or none of them; `by` is
    /// who asked.
    SetSettings {
        changes: Vec<(String, String)>,
        by: String,
    },
    /// A new options file (at start and on reread).
    SetOptions(crate::options::Options),
    /// Give an account or group a role (admin accounts only).
    SetAccount {
        name: String,
        role: AccountRole,
        by: Option<String>,
    },
    /// Take an account's role away.
    RemoveAccount {
        name: String,
        by: Option<String>,
    },
    /// The server, or with `vendor` its vendor daemon, is asked to stop
    /// (`lmdown`): recorded for the audit, it changes no licensing state.
    Shutdown {
        vendor: bool,
        by: Option<String>,
    },
    /// Let time pass: leases, lapsed sessions and burst periods end.
    Tick,
    /// Create an API token for `account`; only the digest of its secret
    /// (drawn by the caller) is kept. Answered with its number.
    CreateToken {
        name: String,
        account: String,
        digest: String,
        expires: Option<Time>,
        by: String,
    },
    /// Revoke an API token for good.
    RevokeToken {
        id: u64,
        by: String,
    },
    /// A license file was written into the license directory (the reread
    /// that follows is a request of its own): recorded for the audit, it
    /// changes no licensing state.
    LicenseInstalled {
        file: String,
        features: Vec<String>,
        replaced: bool,
        by: String,
    },
}

/// The secret a session was started with: whoever presents it may take the
/// session over after its connection dropped. Persisted with the session
/// (so it survives a restart), never shown: its `Debug` hides it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Secret(text.into())
    }

    /// The secret itself, to hand to the product that owns the session.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// True for a session recorded before sessions had secrets.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `other` is this secret, compared in a time that does not
    /// depend on where they first differ.
    pub fn matches(&self, other: &Secret) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Who may administer the server: accounts written `domain\\name` (on Unix
/// the domain is the host name), or groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountRole {
    #[serde(rename = "admin")]
    Admin,
    #[serde(rename = "user")]
    User,
    #[serde(rename = "adminGroup")]
    AdminGroup,
    #[serde(rename = "userGroup")]
    UserGroup,
}

impl AccountRole {
    /// Reads `admin`, `user`, `adminGroup` or `userGroup` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.to_ascii_lowercase().as_str() {
            "admin" => AccountRole::Admin,
            "user" => AccountRole::User,
            "admingroup" => AccountRole::AdminGroup,
            "usergroup" => AccountRole::UserGroup,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccountRole::Admin => "admin",
            AccountRole::User => "user",
            AccountRole::AdminGroup => "adminGroup",
            AccountRole::UserGroup => "userGroup",
        }
    }
}

/// A checkout, as a product asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    pub session: SessionId,
    pub feature: String,
    /// The product's release date; only pools with a css date on or after it serve.
    pub version: Version,
    pub user: String,
    /// The originating endpoint device ID.
    pub device: String,
    /// The product server's host.
    pub host: String,
    pub display: String,
    /// CPU sockets for per-socket licenses; otherwise 1.
    pub count: u32,
}

/// The engine's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    SessionStarted { session: SessionId },
    TokenCreated { id: u64 },
    Granted(Grant),
    Done,
    Denied(Denial),
}

/// A granted checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub handle: Handle,
    /// The pool that serves it.
    pub pool: PoolKey,
    /// True when it consumed no new license (shared with a held one).
    pub shared: bool,
    /// True when admitted only by license burst mode.
    pub burst: bool,
}

/// A refusal with FlexNet's error number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denial {
    pub code: Code,
    pub reason: String,
}

impl Denial {
    pub fn new(code: Code, reason: impl Into<String>) -> Self {
        Denial {
            code,
            reason: reason.into(),
        }
    }
}

/// What a request decided, and the events that record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub decision: Decision,
    pub events: Vec<Event>,
}

/// Why a burst period ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BurstEnd {
    /// Its 15 days ran out.
    Expired,
    /// Licenses were installed during it.
    LicensesInstalled,
    /// The administrator disabled burst mode.
    Disabled,
}

/// A granted checkout, as persisted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantEvent {
    pub handle: Handle,
    pub session: SessionId,
    pub feature: String,
    pub version: Version,
    /// The user as the engine counts it (domain dropped, case folded).
    pub user: String,
    /// The endpoint device as the engine counts it.
    pub device: String,
    /// The user and device as the product sent them, for display.
    #[serde(default)]
    pub sent: (String, String),
    pub host: String,
    pub display: String,
    pub count: u32,
    pub model: LicenseModel,
    pub pool: PoolKey,
    pub burst: bool,
    pub at: Time,
}

/// A change of state, persisted before the decision is acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    SessionStarted {
        session: SessionId,
        host: String,
        /// Empty in sessions recorded before sessions had secrets.
        #[serde(default, skip_serializing_if = "Secret::is_empty")]
        secret: Secret,
        at: Time,
    },
    SessionSeen {
        session: SessionId,
        at: Time,
    },
    SessionLapsed {
        session: SessionId,
        at: Time,
    },
    SessionEnded {
        session: SessionId,
        at: Time,
        /// Ended by the reconnect window running out, not by the product.
        reclaimed: bool,
    },
    Granted(Box<GrantEvent>),
    CheckedIn {
        handle: Handle,
        at: Time,
    },
    /// A user/device connection's 90-day lease ran out.
    LeaseExpired {
        feature: String,
        user: String,
        device: String,
        /// The user and device as shown then (as first sent), where they
        /// differ from the counted ones; events stored before it was kept
        /// have none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shown: Option<(String, String)>,
        at: Time,
    },
    /// An administrator released a connection.
    Released {
        feature: String,
        user: String,
        device: String,
        /// The user and device as shown then (as first sent), where they
        /// differ from the counted ones; events stored before it was kept
        /// have none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shown: Option<(String, String)>,
        at: Time,
        /// Who asked (`host\\user`); none in events written before it
        /// was recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    BurstStarted {
        feature: String,
        version: VersionKey,
        at: Time,
    },
    BurstEnded {
        feature: String,
        version: VersionKey,
        reason: BurstEnd,
        at: Time,
    },
    /// A new retail license of the feature was installed: burst mode is
    /// available again.
    BurstRearmed {
        feature: String,
        at: Time,
    },
    PoolsReplaced {
        pools: Vec<PoolSpec>,
        at: Time,
        /// Who asked for the reread; none when the server read the
        /// licenses itself (at start) and in events written before it was
        /// recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    SettingsChanged {
        settings: Settings,
        at: Time,
        /// Who asked (`host\\user`); none in events written before it
        /// was recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
        /// The settings asked for, by their listed names, with the values
        /// they took; empty in events written before they were recorded.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        changes: Vec<(String, String)>,
    },
    OptionsReplaced {
        options: crate::options::Options,
        at: Time,
    },
    AccountSet {
        name: String,
        role: AccountRole,
        at: Time,
        /// Who asked; none in events written before it was recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    AccountRemoved {
        name: String,
        at: Time,
        /// Who asked; none in events written before it was recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// `lmdown` was accepted: the server (or with `vendor` its vendor
    /// daemon) stops. Changes no licensing state; kept for the audit.
    ShutdownRequested {
        #[serde(default)]
        vendor: bool,
        at: Time,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// A checkout was refused. It changes no license, but is kept so that
    /// the refusals' counts and the most recent ones survive a restart
    /// (see [`super::denials`]).
    Denied(Box<DenialView>),
    /// An API token was created (its digest only; see [`super::tokens`]).
    TokenCreated(Box<Token>),
    TokenRevoked {
        id: u64,
        by: String,
        at: Time,
    },
    /// A license file was installed: its name, the features of its lines,
    /// and whether it replaced a file of that name. Kept for the audit.
    LicenseInstalled {
        file: String,
        features: Vec<String>,
        replaced: bool,
        by: String,
        at: Time,
    },
}

impl Event {
    /// When it happened.
    pub fn at(&self) -> Time {
        match self {
            Event::Granted(g) => g.at,
            Event::Denied(d) => d.at,
            Event::TokenCreated(t) => t.created,
            Event::SessionStarted { at, .. }
            | Event::SessionSeen { at, .. }
            | Event::SessionLapsed { at, .. }
            | Event::SessionEnded { at, .. }
            | Event::CheckedIn { at, .. }
            | Event::LeaseExpired { at, .. }
            | Event::Released { at, .. }
            | Event::BurstStarted { at, .. }
            | Event::BurstEnded { at, .. }
            | Event::BurstRearmed { at, .. }
            | Event::PoolsReplaced { at, .. }
            | Event::SettingsChanged { at, .. }
            | Event::OptionsReplaced { at, .. }
            | Event::AccountSet { at, .. }
            | Event::AccountRemoved { at, .. }
            | Event::TokenRevoked { at, .. }
            | Event::LicenseInstalled { at, .. }
            | Event::ShutdownRequested { at, .. } => *at,
        }
    }
}
