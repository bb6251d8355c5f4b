//! The engine's vocabulary: time, license models, pools, settings, names.

use serde::{Deserialize, Serialize};

use crate::license::model::{Attributes, FeatureLine};
use crate::license::pool::{Inventory, PoolKey, VersionKey};
use crate::license::sign::signature_digits;
use crate::license::{Expiry, Version};

/// Seconds since the Unix epoch, UTC. The engine has no clock: every
/// request carries the time it happened.
pub type Time = i64;

pub const DAY: Time = 24 * 60 * 60;

/// The calendar day of `t` (UTC), for license start and expiry dates.
pub fn day_of(t: Time) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .date_naive()
}

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

/// The start-up license's feature name.
pub const STARTUP_FEATURE: &str = "CITRIX";
/// The diagnostics license's feature name.
pub const DIAGNOSTICS_FEATURE: &str = "CTXLSDIAG";

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

/// One pool as the engine is given it, from the effective license lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolSpec {
    pub feature: String,
    pub version: Version,
    pub expiry: Expiry,
    pub license_type: Option<String>,
    pub vendor_string: Option<String>,
    /// Purchased licenses (sum of the lines' counts).
    pub count: u64,
    /// Whether sessions from one device share a license (`DUP_GROUP` with V).
    pub dup_device: bool,
    /// Identities of the lines in the pool (their signatures), to tell a
    /// newly installed license from one already known.
    pub lines: Vec<String>,
}

impl PoolSpec {
    pub fn key(&self) -> PoolKey {
        PoolKey {
            feature: self.feature.clone(),
            version: VersionKey(self.version.clone()),
            expiry: self.expiry,
            license_type: self.license_type.clone(),
            vendor_string: self.vendor_string.clone(),
        }
    }

    pub fn is_retail(&self) -> bool {
        self.license_type
            .as_deref()
            .is_some_and(|lt| lt.eq_ignore_ascii_case("Retail"))
    }

    /// The pools of an inventory, as the engine takes them: each pool's
    /// lines are known by their signatures, and `DUP_GROUP` with `V` on any
    /// line makes sessions from one device share a license.
    pub fn from_inventory(inventory: &Inventory) -> Vec<PoolSpec> {
        inventory
            .pools
            .iter()
            .filter(|p| !p.uncounted)
            .map(|p| {
                let lines: Vec<&FeatureLine> = inventory
                    .lines
                    .iter()
                    .filter(|l| p.lines.contains(&l.at))
                    .map(|l| &l.line)
                    .collect();
                PoolSpec {
                    feature: p.key.feature.clone(),
                    version: p.key.version.0.clone(),
                    expiry: p.key.expiry,
                    license_type: p.key.license_type.clone(),
                    vendor_string: p.key.vendor_string.clone(),
                    count: p.count,
                    dup_device: lines
                        .iter()
                        .any(|l| l.dup_group().is_some_and(|g| g.contains('V'))),
                    lines: lines
                        .iter()
                        .map(|l| signature_digits(l.sign().unwrap_or_default()))
                        .collect(),
                }
            })
            .collect()
    }

    /// The built-in start-up and diagnostics licenses: no file, no signature.
    pub fn built_in() -> Vec<PoolSpec> {
        [STARTUP_FEATURE, DIAGNOSTICS_FEATURE]
            .into_iter()
            .map(|feature| PoolSpec {
                feature: feature.to_owned(),
                version: Version::parse("9999.1231").expect("a valid version"),
                expiry: Expiry::Permanent,
                license_type: Some("SYS".to_owned()),
                vendor_string: Some(";LT=SYS".to_owned()),
                count: 10_000,
                dup_device: false,
                lines: vec![format!("built-in:{feature}")],
            })
            .collect()
    }
}

/// Settings an administrator may change at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Keep `domain\` and `@domain` in user names (default: drop them).
    pub keep_domain: bool,
    /// Compare user and device names case-sensitively (default: no).
    pub case_sensitive_names: bool,
    /// License burst mode (default: on).
    pub burst_enabled: bool,
    /// User/device lease after last use.
    pub lease: Time,
    /// Burst mode length.
    pub burst_length: Time,
    /// A session with no heartbeat for this long has lapsed.
    pub heartbeat_timeout: Time,
    /// A lapsed session's checkouts are kept this long for a reconnect.
    pub reconnect_window: Time,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            keep_domain: false,
            case_sensitive_names: false,
            burst_enabled: true,
            lease: 90 * DAY,
            burst_length: 15 * DAY,
            heartbeat_timeout: 15 * 60,
            reconnect_window: DAY,
        }
    }
}

impl Settings {
    /// A user name as the engine counts it: without its domain unless the
    /// setting keeps it, folded to lower case unless names are
    /// case-sensitive. Spaces and any Unicode are kept.
    pub fn user_name(&self, raw: &str) -> String {
        let name = if self.keep_domain {
            raw
        } else {
            let after_backslash = raw.rsplit('\\').next().unwrap_or(raw);
            after_backslash.split('@').next().unwrap_or(after_backslash)
        };
        self.fold(name)
    }

    /// A device name as the engine counts it.
    pub fn device_name(&self, raw: &str) -> String {
        self.fold(raw)
    }

    fn fold(&self, name: &str) -> String {
        if self.case_sensitive_names {
            name.to_owned()
        } else {
            name.to_lowercase()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_come_from_the_suffix_and_unknown_ones_are_not_guessed() {
        assert_eq!(
            LicenseModel::of("MPS_ENT_CCU", None),
            Some(LicenseModel::Concurrent)
        );
        assert_eq!(
            LicenseModel::of("XDT_PLT_UD", Some("Retail")),
            Some(LicenseModel::UserDevice)
        );
        assert_eq!(
            LicenseModel::of("CBR_100_SSERVER", None),
            Some(LicenseModel::Server)
        );
        assert_eq!(
            LicenseModel::of("XDT_PLT_CCS", Some("SYS")),
            Some(LicenseModel::Server)
        );
        assert_eq!(
            LicenseModel::of("CITRIX", None),
            Some(LicenseModel::StartUp)
        );
        assert_eq!(LicenseModel::of("XDT_PLT_ZZZ", None), None);
    }

    #[test]
    fn overdraft_is_ten_percent_rounded_down_for_the_user_device_family() {
        assert_eq!(LicenseModel::UserDevice.overdraft(1000), 100);
        assert_eq!(LicenseModel::PerUser.overdraft(19), 1);
        assert_eq!(LicenseModel::PerDevice.overdraft(9), 0);
        assert_eq!(LicenseModel::Concurrent.overdraft(1000), 0);
        assert_eq!(LicenseModel::Server.overdraft(1000), 0);
    }

    #[test]
    fn pools_come_from_the_effective_lines_of_signed_files() {
        use crate::license::{HostIdentity, Keyring, LoadedFile, inventory, parse, sign};
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let text = "SERVER this_host HOSTNAME=h\nVENDOR CITRIX\n\
                    INCREMENT XDT_PLT_UD CITRIX 2026.1201 permanent 10 DUP_GROUP=V \
                    VENDOR_STRING=;LT=Retail\n\
                    INCREMENT XDT_PLT_UD CITRIX 2026.1201 permanent 5 DUP_GROUP=V \
                    VENDOR_STRING=;LT=Retail\n\
                    INCREMENT XDT_PLT_UD CITRIX 2027.0101 permanent 1 START=01-jan-2099\n";
        let signed = sign::sign_in_place(text, &parse(text), &key);
        let files = [LoadedFile {
            path: "a.lic".into(),
            parsed: parse(&signed),
        }];
        let host = HostIdentity {
            hostname: "h".into(),
            ..HostIdentity::default()
        };
        let keys = Keyring::new(vec![key.verifying_key()]);
        let inv = inventory(&files, "CITRIX", &host, &keys, day_of(1_800_000_000));
        let specs = PoolSpec::from_inventory(&inv);
        assert_eq!(specs.len(), 1, "the future line is invisible");
        assert_eq!(specs[0].count, 15);
        assert!(specs[0].dup_device && specs[0].is_retail());
        assert_eq!(specs[0].lines.len(), 2);
        assert!(specs[0].lines.iter().all(|l| l.len() == 128));
    }

    #[test]
    fn user_names_drop_the_domain_and_fold_case_by_default() {
        let s = Settings::default();
        assert_eq!(s.user_name("jack@mycompany.com"), "jack");
        assert_eq!(s.user_name("MYCO\\Jack"), "jack");
        assert_eq!(s.user_name("Jack Smith"), "jack smith");
        assert_eq!(s.user_name("山田 太郎"), "山田 太郎");
        let keep = Settings {
            keep_domain: true,
            case_sensitive_names: true,
            ..Settings::default()
        };
        assert_eq!(keep.user_name("MYCO\\Jack"), "MYCO\\Jack");
    }
}
