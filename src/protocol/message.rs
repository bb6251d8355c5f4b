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
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Envelope<T> {
    /// The protocol version: 1.
    pub v: u32,
    /// Chosen by the client; the answer repeats it (0 on an answer to a
    /// frame that could not be read).
    pub id: u64,
    /// The request or answer; its `type` names it.
    pub body: T,
}

/// What a client asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Who are you? Answered with the server's name and versions.
    Hello {
        /// The client's name, for the server's log.
        client: String,
    },
    /// A product starts: checks out the start-up license. The session
    /// belongs to this connection.
    StartSession {
        /// The product server's host name (1 to 1,024 bytes).
        host: String,
    },
    /// The product is alive. Only on the connection that owns the session.
    Heartbeat {
        /// The number `session_started` gave.
        session: SessionId,
    },
    /// A product whose connection dropped comes back to its session,
    /// presenting the secret `session_started` gave it.
    Reconnect {
        /// The session to take back.
        session: SessionId,
        /// The session's secret, as `session_started` gave it.
        #[serde(default)]
        secret: Secret,
    },
    /// The product stops: every checkout of the session is checked in.
    EndSession {
        /// The session to end.
        session: SessionId,
    },
    /// A license for one user on one endpoint device.
    Checkout(Checkout),
    /// Gives one checkout back.
    Checkin {
        /// The session that holds the checkout.
        session: SessionId,
        /// The handle `granted` gave.
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
        /// One feature, or every feature when absent or null.
        feature: Option<String>,
    },
    /// Reread the license directory and options file (admin, local only).
    /// With `vendor`, also restart a vendor daemon stopped by `shutdown`.
    Reread {
        /// Also restart the vendor daemon stopped by `shutdown`.
        #[serde(default)]
        vendor: bool,
    },
    /// Stop the server, or with `vendor` only the CITRIX vendor daemon
    /// (admin, local only, and only when the server allows lmdown).
    Shutdown {
        /// Stop only the CITRIX vendor daemon.
        #[serde(default)]
        vendor: bool,
    },
    /// Release a user's or device's user/device licenses (admin, local only).
    Release {
        /// Only this feature's licenses (every feature when absent or null).
        feature: Option<String>,
        /// The user whose licenses are freed.
        user: Option<String>,
        /// The device whose licenses are freed.
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
        /// `DOMAIN\account` or `DOMAIN\group`, as `accounts` lists them.
        name: String,
        /// `admin`, `user`, `adminGroup` or `userGroup`.
        role: String,
    },
    /// Take an account's role away (admin, local only).
    RemoveAccount {
        /// The account or group, as `accounts` lists it.
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
    /// The usage history: per pool and day (and, when asked, per sampling
    /// period), of the feature, css date and days asked for.
    History(super::history::HistoryQuery),
    /// Create an API token (admin, local only). Answered with
    /// `token_created`, the only time the token itself is shown.
    CreateToken {
        /// What to call it (1 to 128 bytes of printable text).
        name: String,
        /// The account it acts as; the caller's own when absent or null.
        /// Another account must have a role (`accounts`).
        #[serde(default)]
        account: Option<String>,
        /// Days until it expires (1 to 3,650); never when absent or null.
        #[serde(default)]
        expires_days: Option<u32>,
    },
    /// Every API token, without its secret (admin, local only).
    Tokens,
    /// Revoke an API token for good (admin, local only).
    RevokeToken {
        /// The token's number, as `tokens` lists it.
        id: u64,
    },
    /// Install a license file in the license directory, then reread (admin,
    /// local only). Refused, with nothing written, when the name is not a
    /// plain `NAME.lic`, the text is too large or has a line that does not
    /// parse, a license line is not signed by a trusted key or is bound to
    /// another host, or a file of that name is there and `replace` is not
    /// given. Answered with `license_installed`.
    InstallLicense {
        /// The file's name: `NAME.lic`, no directory (1 to 128 bytes).
        file_name: String,
        /// The file's text (at most 256 KiB).
        content: String,
        /// Replace a file of that name (else it is refused).
        #[serde(default)]
        replace: bool,
    },
    /// The files in the license directory: size, when written, whether
    /// read; with `days`, only those written in the last `days` days.
    LicenseFiles {
        /// Only the files written within this many days.
        #[serde(default)]
        days: Option<u32>,
    },
    /// A one-time URL that logs a browser into the console as the caller
    /// (local only: the operating system says who asks; the caller's
    /// account needs a role). Answered with `login_created`.
    CreateLogin,
}

/// A checkout request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Checkout {
    /// The session, started or taken over on this connection.
    pub session: SessionId,
    /// The feature, e.g. `XDT_PLT_CCU`.
    pub feature: String,
    /// The product's version, `YYYY.MMDD`.
    pub version: String,
    /// The user (1 to 1,024 bytes).
    pub user: String,
    /// The originating endpoint device ID (1 to 1,024 bytes).
    pub device: String,
    /// The product server's host name (1 to 1,024 bytes).
    pub host: String,
    /// The display (0 to 1,024 bytes; empty when absent).
    #[serde(default)]
    pub display: String,
    /// Sockets for per-socket licenses (1 when absent; 0 counts as 1).
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// What the server answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    /// The answer to `hello`.
    Hello {
        /// `lmgrd`.
        server: String,
        /// The server's version, e.g. `0.1.0`.
        version: String,
        /// The protocol version the server speaks: 1.
        protocol: u32,
        /// Seconds between heartbeats the server expects.
        heartbeat_interval: u64,
    },
    /// The answer to `start_session`: the session holds a start-up license.
    SessionStarted {
        /// The session's number, named by the product's later requests.
        session: SessionId,
        /// What `reconnect` presents to take the session over on a new
        /// connection (an older server sends none).
        #[serde(default)]
        secret: Secret,
        /// Seconds between heartbeats the server expects.
        heartbeat_interval: u64,
    },
    /// The answer to a granted `checkout`.
    Granted {
        /// The checkout's number, named by `checkin`.
        handle: Handle,
        /// The pool (license lines of one feature, css date, expiry and
        /// vendor string) the license is counted in.
        pool: PoolId,
        /// The checkout holds no license of its own: it shares one its
        /// device (concurrent) or its user or device (user/device) holds.
        shared: bool,
        /// Granted by license burst mode: the pool was full.
        burst: bool,
    },
    /// Done: the answer to `heartbeat`, `reconnect`, `end_session`,
    /// `checkin` and an administrator's changes.
    Ok,
    /// The answer to `status`.
    Status(Box<Status>),
    /// The answer to `pools`.
    Pools {
        /// Every pool and its use.
        pools: Vec<Pool>,
    },
    /// The answer to `whoami`.
    Identity {
        /// Over the control socket `host\account`, as the operating system
        /// identifies the caller; over TCP `a remote client`.
        name: String,
        /// What the caller may do.
        role: Role,
    },
    /// The answer to `info`.
    Info(ServerInfo),
    /// The answer to `diagnose`.
    Diagnosis(Box<Diagnosis>),
    /// The answer to `events`.
    Events(EventPage),
    /// The answer to `accounts`.
    Accounts {
        /// Root and the account lmgrd runs as, then the accounts and
        /// groups given a role.
        accounts: Vec<Account>,
    },
    Settings(super::settings::SettingsList),
    /// The answer to `history`.
    History(Box<super::history::History>),
    /// The answer to `create_token`.
    TokenCreated {
        /// The token as `tokens` will list it.
        token: super::tokens::TokenInfo,
        /// The token itself, to present as `Authorization: Bearer …`:
        /// shown this once, never kept by the server.
        secret: String,
    },
    /// The answer to `tokens`.
    Tokens {
        /// Every API token, by number.
        tokens: Vec<super::tokens::TokenInfo>,
    },
    /// The answer to `install_license`.
    LicenseInstalled(Box<super::licenses::Installed>),
    /// The answer to `license_files`.
    LicenseFiles {
        /// The files, by name.
        files: Vec<super::licenses::LicenseFile>,
    },
    /// The answer to `create_login`.
    LoginCreated {
        /// The URL to open in a browser: `https://HOST:PORT/login?token=…`.
        /// It works once, within ten minutes.
        url: String,
        /// The account the browser session will act as.
        account: String,
        /// When the URL stops working, in seconds since the Unix epoch.
        expires: i64,
    },
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
    /// The products' names by language, from the license files'
    /// `#CITRIXTERM` lines (empty when they have none; absent from an
    /// older server's answer): the web console shows them in its language.
    #[serde(default)]
    pub product_names: Vec<ProductName>,
}

/// A feature's product name in one language, as a license file's
/// `#CITRIXTERM FEATURE 2.0 <feature> <language> <product>|<model>` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct ProductName {
    pub feature: String,
    /// As the line writes it, e.g. `EN`.
    pub language: String,
    pub product: String,
    pub model: String,
}

/// An account or group and its role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Account {
    /// `host\account` for the built-in ones, else as given to `set_account`.
    pub name: String,
    /// `admin`, `user`, `adminGroup` or `userGroup`.
    pub role: String,
    /// Root and the account lmgrd runs as are admins without being listed.
    pub built_in: bool,
}

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
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
