//! The messages of protocol version 1, shared by daemon, client library and
//! tools. Each request travels in an [`Envelope`] with the protocol version
//! and an id the response repeats.

use serde::{Deserialize, Serialize};

pub use crate::flexnet::Code;

use super::diagnosis::Diagnosis;
use super::events::{EventPage, EventQuery};
use super::status::{Pool, PoolId, Status, StatusQuery};

/// A product session (one product server's connection), as the server numbers it.
pub type SessionId = u64;
/// One checkout, as the server numbers it.
pub type Handle = u64;

/// A session's secret (32 hex digits: 128 random bits): only the product
/// that started a session knows it. Its `Debug` hides it, so that no log or
/// error message shows it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// A message with its protocol version and request id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub v: u32,
    pub id: u64,
    pub body: T,
}

/// What a client asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Who are you? Answered with the server's name and versions.
    Hello {
        client: String,
    },
    /// A product starts: checks out the start-up license. The session
    /// belongs to this connection.
    StartSession {
        host: String,
    },
    /// Only on the connection that owns the session.
    Heartbeat {
        session: SessionId,
    },
    /// A product whose connection dropped comes back to its session,
    /// presenting the secret `session_started` gave it.
    Reconnect {
        session: SessionId,
        #[serde(default)]
        secret: Secret,
    },
    EndSession {
        session: SessionId,
    },
    Checkout(Checkout),
    Checkin {
        session: SessionId,
        handle: Handle,
    },
    /// The licensing state (pools, sessions, checkouts, assignments,
    /// connections, refusals), or the parts and feature asked for.
    Status(StatusQuery),
    /// The pools only: what a product caches for License caching mode.
    Pools,
    /// Who the server takes the caller for, and with which role.
    Whoami,
    /// The server itself: host, ports, license files, versions.
    Info,
    /// Every license line (of `feature`, or all) with whether it serves
    /// and why not, and for those that do, whether a checkout would be
    /// granted now (decided without holding a license).
    Diagnose {
        feature: Option<String>,
    },
    /// Reread the license directory and options file (admin, local only).
    /// With `vendor`, also restart a vendor daemon stopped by `shutdown`.
    Reread {
        #[serde(default)]
        vendor: bool,
    },
    /// Stop the server, or with `vendor` only the CITRIX vendor daemon
    /// (admin, local only, and only when the server allows lmdown).
    Shutdown {
        #[serde(default)]
        vendor: bool,
    },
    /// Release a user's or device's user/device licenses (admin, local only).
    Release {
        feature: Option<String>,
        user: Option<String>,
        device: Option<String>,
    },
    /// The history: events after sequence number `after`, at most `limit`,
    /// of the kinds, feature, models and times asked for.
    Events(EventQuery),
    /// Accounts and groups that have a role.
    Accounts,
    /// Give an account or group a role: `admin`, `user`, `adminGroup` or
    /// `userGroup` (admin, local only).
    SetAccount {
        name: String,
        role: String,
    },
    /// Take an account's role away (admin, local only).
    RemoveAccount {
        name: String,
    },
    /// Every setting with its value, default and description (local only).
    Settings,
    /// Change settings, each `NAME: VALUE` as `settings` lists them (admin,
    /// local only): all of them, or none when one name is unknown or one
    /// value bad (-42, naming the setting). Answered with the settings.
    SetSettings {
        settings: std::collections::BTreeMap<String, String>,
    },
}

/// A checkout request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkout {
    pub session: SessionId,
    pub feature: String,
    /// The product's version, `YYYY.MMDD`.
    pub version: String,
    pub user: String,
    /// The originating endpoint device ID.
    pub device: String,
    pub host: String,
    #[serde(default)]
    pub display: String,
    /// Sockets for per-socket licenses.
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// What the server answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Hello {
        server: String,
        version: String,
        protocol: u32,
        /// Seconds between heartbeats the server expects.
        heartbeat_interval: u64,
    },
    SessionStarted {
        session: SessionId,
        /// What `reconnect` presents to take the session over on a new
        /// connection (an older server sends none).
        #[serde(default)]
        secret: Secret,
        heartbeat_interval: u64,
    },
    Granted {
        handle: Handle,
        pool: PoolId,
        shared: bool,
        burst: bool,
    },
    Ok,
    Status(Box<Status>),
    Pools {
        pools: Vec<Pool>,
    },
    Identity {
        name: String,
        role: Role,
    },
    Info(ServerInfo),
    Diagnosis(Box<Diagnosis>),
    Events(EventPage),
    Accounts {
        accounts: Vec<Account>,
    },
    Settings(super::settings::SettingsList),
    /// A refusal: FlexNet's error number and text, and the exact reason.
    Error(ErrorBody),
}

/// What lmstat shows about the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct ServerInfo {
    /// The server's host name.
    pub host: String,
    /// The license manager's TCP port (27000 by default).
    pub lm_port: u16,
    /// The CITRIX vendor daemon's TCP port (7279 by default).
    pub vendor_port: u16,
    /// The server's version, e.g. `0.1.0`.
    pub version: String,
    /// The license files read, in order.
    pub license_files: Vec<String>,
    /// Whether the CITRIX vendor daemon serves (false after `lmdown -vendor CITRIX`).
    pub vendor_up: bool,
}

/// An account or group and its role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    pub role: String,
    /// Root and the account lmgrd runs as are admins without being listed.
    pub built_in: bool,
}

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May change anything: reread, release, shutdown, accounts.
    Admin,
    /// Read-only.
    User,
    /// A remote (TCP) client: products and read-only status.
    Remote,
}

/// A refusal or failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// FlexNet error number, e.g. -4.
    pub code: Code,
    /// FlexNet's text for that number.
    pub text: String,
    /// What exactly went wrong.
    pub reason: String,
}

impl ErrorBody {
    pub fn new(code: Code, reason: impl Into<String>) -> Self {
        ErrorBody {
            code,
            text: code.text().to_owned(),
            reason: reason.into(),
        }
    }
}
