//! The stable `--json` interface: the pieces the command reports are made
//! of, owned by the command line and converted from the daemon's own
//! types, so that a change inside the engine or the protocol is a compile
//! error here rather than a silent change in what scripts read.
//!
//! Each type derives `JsonSchema`; `docs/schemas/` is generated from them
//! (see [`super::schema`]). Times are Unix seconds (UTC) unless a field
//! says otherwise; dates are ISO `YYYY-MM-DD`; versions are the css date as
//! written in the license file (`2026.1201`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::engine::LicenseModel;
use crate::engine::snapshot::{
    AssignmentKind, AssignmentView, CheckoutView, PoolView, SessionView,
};
use crate::engine::state::BurstState;
use crate::license::Expiry;
use crate::license::pool::PoolKey;
use crate::protocol::ServerInfo;

/// The license server a command talked to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Server {
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

impl From<ServerInfo> for Server {
    fn from(s: ServerInfo) -> Self {
        Server {
            host: s.host,
            lm_port: s.lm_port,
            vendor_port: s.vendor_port,
            version: s.version,
            license_files: s.license_files,
            vendor_up: s.vendor_up,
        }
    }
}

/// What makes license lines one pool.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct PoolKeyView {
    pub feature: String,
    /// The css date (the line's version field), e.g. `2026.1201`.
    pub version: String,
    /// `YYYY-MM-DD`, or `permanent`.
    #[schemars(with = "String")]
    pub expiry: Expiry,
    /// `LT` of the vendor string: `Retail`, `Eval`, `NFR`, `SYS`…
    pub license_type: Option<String>,
    pub vendor_string: Option<String>,
}

impl From<PoolKey> for PoolKeyView {
    fn from(k: PoolKey) -> Self {
        PoolKeyView {
            feature: k.feature,
            version: k.version.0.to_string(),
            expiry: k.expiry,
            license_type: k.license_type,
            vendor_string: k.vendor_string,
        }
    }
}

/// How a pool's licenses are consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// The built-in start-up license (`CITRIX`): one per product session.
    StartUp,
    /// Diagnostics (`CTXLSDIAG`): one per checkout.
    Diagnostics,
    /// One per endpoint device while a session is open (`CCU`, `CCS`).
    Concurrent,
    /// A minimum cover of users and devices, 90-day leases (`UD`).
    UserDevice,
    /// One per user, 90-day lease.
    PerUser,
    /// One per device, 90-day lease.
    PerDevice,
    /// One per CPU socket of the requesting host.
    PerSocket,
    /// Checked out to a user for the lease period.
    NamedUser,
    /// One per product server (`SSERVER`).
    Server,
}

impl From<LicenseModel> for Model {
    fn from(m: LicenseModel) -> Self {
        match m {
            LicenseModel::StartUp => Model::StartUp,
            LicenseModel::Diagnostics => Model::Diagnostics,
            LicenseModel::Concurrent => Model::Concurrent,
            LicenseModel::UserDevice => Model::UserDevice,
            LicenseModel::PerUser => Model::PerUser,
            LicenseModel::PerDevice => Model::PerDevice,
            LicenseModel::PerSocket => Model::PerSocket,
            LicenseModel::NamedUser => Model::NamedUser,
            LicenseModel::Server => Model::Server,
        }
    }
}

impl Model {
    /// Licenses held by users and devices on 90-day leases.
    pub fn is_leased(self) -> bool {
        matches!(self, Model::UserDevice | Model::PerUser | Model::PerDevice)
    }
}

/// License burst mode of a product version and edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Burst {
    /// Not used yet: starts when the retail pool is exhausted.
    Armed,
    /// Unlimited connections for 15 days from `started` (Unix seconds).
    Active { started: i64 },
    /// Used; installing another retail license re-arms it.
    Spent,
}

impl From<BurstState> for Burst {
    fn from(b: BurstState) -> Self {
        match b {
            BurstState::Armed => Burst::Armed,
            BurstState::Active { started } => Burst::Active { started },
            BurstState::Spent => Burst::Spent,
        }
    }
}

/// A license pool: its lines' counts, what is in use, and burst mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Pool {
    #[serde(flatten)]
    pub key: PoolKeyView,
    /// `null` when the feature name's model suffix is not known.
    pub model: Option<Model>,
    pub purchased: u64,
    /// 10% above the purchased count for user/device-family pools, else 0.
    pub overdraft: u64,
    /// Purchased plus overdraft.
    pub installed: u64,
    pub in_use: u64,
    /// Licenses in use beyond the purchased count.
    pub overdraft_in_use: u64,
    pub expired: bool,
    /// Removed by a reread while still holding licenses.
    pub removed: bool,
    pub burst: Burst,
}

impl From<PoolView> for Pool {
    fn from(p: PoolView) -> Self {
        Pool {
            key: p.key.into(),
            model: p.model.map(Model::from),
            purchased: p.purchased,
            overdraft: p.overdraft,
            installed: p.installed,
            in_use: p.in_use,
            overdraft_in_use: p.overdraft_in_use,
            expired: p.expired,
            removed: p.removed,
            burst: p.burst.into(),
        }
    }
}

/// A product server's session: it holds one start-up license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Session {
    pub session: u64,
    /// The product server's host name.
    pub host: String,
    pub started: i64,
    /// The last heartbeat.
    pub last_seen: i64,
    /// When its heartbeats lapsed, if they did (kept for a reconnect).
    pub lapsed_at: Option<i64>,
    /// Checkouts held under it.
    pub checkouts: usize,
}

impl From<SessionView> for Session {
    fn from(s: SessionView) -> Self {
        Session {
            session: s.session,
            host: s.host,
            started: s.started,
            last_seen: s.last_seen,
            lapsed_at: s.lapsed_at,
            checkouts: s.checkouts,
        }
    }
}

/// One license checked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Checkout {
    pub handle: u64,
    pub session: u64,
    pub feature: String,
    /// The version the product asked for.
    pub version: String,
    /// The user as the product sent it.
    pub user: String,
    /// The endpoint device as the product sent it.
    pub device: String,
    /// The product server's host.
    pub host: String,
    pub display: String,
    pub count: u32,
    /// The pool it was granted from.
    pub pool: PoolKeyView,
    pub at: i64,
}

impl From<CheckoutView> for Checkout {
    fn from(c: CheckoutView) -> Self {
        Checkout {
            handle: c.handle,
            session: c.session,
            feature: c.feature,
            version: c.version,
            user: c.user,
            device: c.device,
            host: c.host,
            display: c.display,
            count: c.count,
            pool: c.pool.into(),
            at: c.at,
        }
    }
}

/// Whether a user or a device holds a license.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Holder {
    User,
    Device,
}

impl From<AssignmentKind> for Holder {
    fn from(k: AssignmentKind) -> Self {
        match k {
            AssignmentKind::User => Holder::User,
            AssignmentKind::Device => Holder::Device,
        }
    }
}

/// A user or device holding a user/device-family license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Assignment {
    pub feature: String,
    #[serde(rename = "type")]
    pub kind: Holder,
    /// The user or device name, exactly as the product sent it.
    pub name: String,
    /// The css date of the license it holds.
    pub version: String,
    /// Last use of any of its connections.
    pub last_use: i64,
}

impl From<AssignmentView> for Assignment {
    fn from(a: AssignmentView) -> Self {
        Assignment {
            feature: a.feature,
            kind: a.kind.into(),
            name: a.name,
            version: a.version,
            last_use: a.last_use,
        }
    }
}

/// A refused checkout, most recent last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Denial {
    /// When, in seconds since the Unix epoch.
    pub at: i64,
    pub feature: String,
    /// The version the product asked for.
    pub version: String,
    pub user: String,
    pub device: String,
    pub host: String,
    /// FlexNet's error number (e.g. -4: licensed number of users already reached).
    pub code: i32,
    pub reason: String,
}

impl From<crate::engine::snapshot::DenialView> for Denial {
    fn from(d: crate::engine::snapshot::DenialView) -> Self {
        Denial {
            at: d.at,
            feature: d.feature,
            version: d.version.to_string(),
            user: d.user,
            device: d.device,
            host: d.host,
            code: d.code,
            reason: d.reason,
        }
    }
}

/// Converts every element.
pub fn all<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    items.into_iter().map(U::from).collect()
}

/// A host's binding identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HostIds {
    /// Matched exactly (case-sensitive) by `HOSTNAME=`.
    pub hostname: String,
    /// Ethernet addresses: 12 lower-case hex digits each, sorted.
    pub ethers: Vec<String>,
    /// Non-loopback IP addresses, sorted.
    pub addresses: Vec<std::net::IpAddr>,
}

impl From<crate::license::HostIdentity> for HostIds {
    fn from(h: crate::license::HostIdentity) -> Self {
        HostIds {
            hostname: h.hostname,
            ethers: h.ethers,
            addresses: h.addresses,
        }
    }
}
