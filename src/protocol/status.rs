//! The licensing state as the server shows it: pools, product sessions,
//! checkouts, user/device assignments and connections, recent refusals.
//! These are the protocol's own public types, answered to `status` and
//! `pools` and printed by `--json`; the engine's structs can change without
//! changing them. Each derives `JsonSchema`: `docs/schemas/` is generated
//! from them.
//!
//! Times are Unix seconds (UTC) unless a field says otherwise; dates are
//! ISO `YYYY-MM-DD`; versions are the css date as written in the license
//! file (`2026.1201`).

use serde::{Deserialize, Serialize};

use crate::license::Expiry;

/// Everything the server shows of its licensing state, at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Status {
    /// When the state was read.
    pub at: i64,
    pub pools: Vec<Pool>,
    pub sessions: Vec<Session>,
    pub checkouts: Vec<Checkout>,
    pub assignments: Vec<Assignment>,
    /// Every user/device connection (the raw data behind the assignments).
    pub connections: Vec<Connection>,
    /// The most recent refused checkouts (up to 1,000), oldest first. They
    /// survive restarts.
    #[serde(default)]
    pub denials: Vec<Denial>,
    /// Every refused checkout since the state began, counted by feature,
    /// version and FlexNet number. They survive restarts.
    #[serde(default)]
    pub denial_counts: Vec<DenialCount>,
}

/// What `status` asks for: every part or some, every feature or one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct StatusQuery {
    /// Only this feature's pools, checkouts, assignments, connections and
    /// refusals. Product sessions are not a feature's: they are answered
    /// whole.
    pub feature: Option<String>,
    /// Only these parts (the others are answered empty); empty: every part.
    pub parts: Vec<StatusPart>,
}

/// A part of the [`Status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum StatusPart {
    Pools,
    Sessions,
    Checkouts,
    Assignments,
    Connections,
    Denials,
}

impl StatusQuery {
    /// Every part but `except`, of every feature.
    pub fn all_but(except: &[StatusPart]) -> Self {
        use StatusPart::*;
        let parts = [
            Pools,
            Sessions,
            Checkouts,
            Assignments,
            Connections,
            Denials,
        ];
        StatusQuery {
            feature: None,
            parts: parts.into_iter().filter(|p| !except.contains(p)).collect(),
        }
    }

    /// Whether the part is asked for.
    pub fn wants(&self, part: StatusPart) -> bool {
        self.parts.is_empty() || self.parts.contains(&part)
    }

    /// Whether `feature` is asked for.
    pub fn wants_feature(&self, feature: &str) -> bool {
        self.feature.as_deref().is_none_or(|f| f == feature)
    }
}

/// One user/device connection: a user on a device, for one feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Connection {
    pub feature: String,
    /// The user as first sent (docs/user-device.md, "Names").
    pub user: String,
    /// The device as first sent.
    pub device: String,
    /// The highest version requested over it.
    pub version: String,
    /// Open sessions on it now.
    pub open: u32,
    pub last_use: i64,
}

/// What makes license lines one pool.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct PoolId {
    pub feature: String,
    /// The css date (the line's version field), e.g. `2026.1201`.
    pub version: String,
    /// `YYYY-MM-DD`, or `permanent`.
    #[cfg_attr(feature = "tools", schemars(with = "String"))]
    pub expiry: Expiry,
    /// `LT` of the vendor string: `Retail`, `Eval`, `NFR`, `SYS`…
    pub license_type: Option<String>,
    pub vendor_string: Option<String>,
}

/// How a pool's licenses are consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
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

impl Model {
    /// Licenses held by users and devices on 90-day leases.
    pub fn is_leased(self) -> bool {
        matches!(self, Model::UserDevice | Model::PerUser | Model::PerDevice)
    }
}

/// License burst mode of a product version and edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Burst {
    /// Not used yet: starts when the retail pool is exhausted.
    Armed,
    /// Unlimited connections for 15 days from `started` (Unix seconds).
    Active { started: i64 },
    /// Used; installing another retail license re-arms it.
    Spent,
}

/// A license pool: its lines' counts, what is in use, and burst mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Pool {
    #[serde(flatten)]
    pub key: PoolId,
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

/// A product server's session: it holds one start-up license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
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

/// One license checked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Checkout {
    pub handle: u64,
    pub session: u64,
    pub feature: String,
    /// The version the product asked for.
    pub version: String,
    /// The user: under a user/device-family license the user's name as
    /// first sent (the same on every checkout of one user, see
    /// docs/user-device.md, "Names"), else as this checkout's product sent
    /// it.
    pub user: String,
    /// The endpoint device, shown as the user is.
    pub device: String,
    /// The product server's host.
    pub host: String,
    pub display: String,
    pub count: u32,
    /// The pool it was granted from.
    pub pool: PoolId,
    pub at: i64,
    /// It uses a license another checkout already holds (FlexNet's
    /// duplicate grouping: a second checkout from one device under
    /// `DUP_GROUP=V`, a double-hop session, a second user/device checkout
    /// of the user or device that holds the license, a second checkout of
    /// one product server). `lmstat -a` lists one line per license held,
    /// so it has no line of its own.
    #[serde(default)]
    pub shared: bool,
    /// The licenses its `lmstat -a` line stands for: those its holder
    /// holds (per socket, the host's sockets), 0 when `shared`. Summed over
    /// a feature's checkouts, with the leases that outlive their sessions,
    /// they make the feature's licenses in use.
    #[serde(default)]
    pub licenses: u64,
    /// The user or device whose license it uses, under the user/device,
    /// per-user and per-device models; `null` under the others.
    #[serde(default)]
    pub held_by: Option<HeldBy>,
}

/// The user or device holding a user/device-family license.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct HeldBy {
    #[serde(rename = "type")]
    pub kind: Holder,
    /// The name as first sent, as `assignments` shows it.
    pub name: String,
}

/// Whether a user or a device holds a license.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Holder {
    User,
    Device,
}

/// A user or device holding a user/device-family license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Assignment {
    pub feature: String,
    #[serde(rename = "type")]
    pub kind: Holder,
    /// The user or device name as first sent: of the spellings that count
    /// as this user or device, the one of the grant that opened its first
    /// connection still alive (docs/user-device.md, "Names").
    pub name: String,
    /// The css date of the license it holds.
    pub version: String,
    /// Last use of any of its connections.
    pub last_use: i64,
}

/// A refused checkout, most recent last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Denial {
    /// When, in seconds since the Unix epoch.
    pub at: i64,
    pub feature: String,
    /// The version the product asked for.
    pub version: String,
    /// The user and device as the refused request sent them.
    pub user: String,
    pub device: String,
    pub host: String,
    /// FlexNet's error number (e.g. -4: licensed number of users already reached).
    pub code: crate::flexnet::Code,
    pub reason: String,
}

/// How many checkouts of a feature and version were refused with one
/// FlexNet number, since the state began. Past 10,000 distinct features
/// and versions, further ones are counted under the feature and version
/// `*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct DenialCount {
    pub feature: String,
    /// The version the products asked for.
    pub version: String,
    /// FlexNet's error number.
    pub code: crate::flexnet::Code,
    pub count: u64,
}

/// A host's binding identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
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
