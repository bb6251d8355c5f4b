//! The license models Citrix names in a feature's name (`XDT_PLT_UD`:
//! user/device) or license type (`SYS`): how a pool's licenses are
//! consumed. Part of what a license line means, so the inventory can refuse
//! a line of an unknown model; the engine applies the models' rules.

use serde::{Deserialize, Serialize};

use super::{DIAGNOSTICS_FEATURE, STARTUP_FEATURE};

/// How a pool's licenses are consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenseModel {
    /// The built-in start-up license: one per product session.
    StartUp,
    /// Diagnostics (`CTXLSDIAG`): one per checkout.
    Diagnostics,
    /// One per originating endpoint device while a session is open
    /// (`DUP_GROUP=V` shares it across sessions and product servers).
    Concurrent,
    /// A minimum cover of users and devices, 90-day leases.
    UserDevice,
    /// One per user, 90-day lease.
    PerUser,
    /// One per device, 90-day lease.
    PerDevice,
    /// One per CPU socket of the requesting host.
    PerSocket,
    /// Checked out to a user for the lease period.
    NamedUser,
    /// One per product server.
    Server,
}

/// Feature-name suffixes and the model each means. A suffix not listed
/// here is reported as unknown, never guessed.
pub const MODEL_SUFFIXES: [(&str, LicenseModel); 12] = [
    ("CCU", LicenseModel::Concurrent),
    ("CCS", LicenseModel::Concurrent),
    ("UD", LicenseModel::UserDevice),
    ("USR", LicenseModel::PerUser),
    ("U", LicenseModel::PerUser),
    ("DEV", LicenseModel::PerDevice),
    ("D", LicenseModel::PerDevice),
    ("SKT", LicenseModel::PerSocket),
    ("SOCKET", LicenseModel::PerSocket),
    ("NU", LicenseModel::NamedUser),
    ("SSERVER", LicenseModel::Server),
    ("SRV", LicenseModel::Server),
];

impl LicenseModel {
    /// The model a feature's name (and license type) says, if known.
    pub fn of(feature: &str, license_type: Option<&str>) -> Option<Self> {
        match feature {
            STARTUP_FEATURE => return Some(LicenseModel::StartUp),
            DIAGNOSTICS_FEATURE => return Some(LicenseModel::Diagnostics),
            _ => {}
        }
        if license_type.is_some_and(|lt| lt.eq_ignore_ascii_case("SYS")) {
            return Some(LicenseModel::Server);
        }
        let suffix = feature.rsplit('_').next()?;
        MODEL_SUFFIXES
            .iter()
            .find(|(s, _)| *s == suffix)
            .map(|(_, m)| *m)
    }

    /// Whether assignments last for the lease period after use.
    pub fn is_leased(self) -> bool {
        matches!(
            self,
            LicenseModel::UserDevice
                | LicenseModel::PerUser
                | LicenseModel::PerDevice
                | LicenseModel::NamedUser
        )
    }

    /// Overdraft: 10% (rounded down) for the user/device family only.
    pub fn overdraft(self, purchased: u64) -> u64 {
        match self {
            LicenseModel::UserDevice | LicenseModel::PerUser | LicenseModel::PerDevice => {
                purchased / 10
            }
            _ => 0,
        }
    }
}
