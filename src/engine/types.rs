//! The engine's vocabulary: time, license models, pools, settings, names.

use serde::{Deserialize, Serialize};

use std::collections::BTreeSet;

use crate::license::model::{Attributes, Count, FeatureLine};
use crate::license::pool::{Inventory, LineState, LineStatus, PoolKey, VersionKey};
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

pub use crate::license::models::{LicenseModel, MODEL_SUFFIXES};
pub use crate::license::{DIAGNOSTICS_FEATURE, STARTUP_FEATURE};

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
    /// Licenses of lines whose START date is still ahead: each joins the
    /// pool on its day, without a reread. A pool with none started yet is
    /// not live (and not shown) until then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starts: Vec<(chrono::NaiveDate, u64)>,
    /// Set when the feature has no line that may serve, to say why (a
    /// signature that does not verify, a binding to another host, an
    /// unknown model): such a spec is no pool, it only answers a checkout
    /// of its feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refused>,
}

/// Why a feature's lines do not serve: FlexNet's error number and the
/// reason, as lmdiag gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    pub code: crate::flexnet::Code,
    pub reason: String,
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

    /// Purchased licenses on `day`: those started by then.
    pub fn count_on(&self, day: chrono::NaiveDate) -> u64 {
        let later: u64 = self
            .starts
            .iter()
            .filter(|(start, _)| *start <= day)
            .map(|(_, n)| n)
            .sum();
        self.count + later
    }

    /// Whether the pool has begun by `day`: some of its licenses started,
    /// or none waits for a START date.
    pub fn has_started(&self, day: chrono::NaiveDate) -> bool {
        self.starts.is_empty()
            || self.starts.iter().any(|(start, _)| *start <= day)
            || self.count > 0
    }

    /// The next START date after `day`, if a line waits for one.
    pub fn next_start(&self, day: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        self.starts
            .iter()
            .map(|(s, _)| *s)
            .filter(|s| *s > day)
            .min()
    }

    pub fn is_retail(&self) -> bool {
        self.license_type
            .as_deref()
            .is_some_and(|lt| lt.eq_ignore_ascii_case("Retail"))
    }

    /// The pools of an inventory, as the engine takes them: each pool's
    /// lines are known by their signatures, and `DUP_GROUP` with `V` on any
    /// line makes sessions from one device share a license. Lines whose
    /// START is ahead join their pool on that day (a pool of their own if
    /// none serves yet); a feature none of whose lines may serve gets a
    /// refused spec that says why.
    pub fn from_inventory(inventory: &Inventory) -> Vec<PoolSpec> {
        let mut specs: Vec<PoolSpec> = inventory
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
                let mut spec = PoolSpec::of_key(&p.key, &lines);
                spec.count = p.count;
                spec
            })
            .collect();
        for l in &inventory.lines {
            if let LineStatus::NotYetStarted { start } = l.status {
                add_pending(&mut specs, l, start);
            }
        }
        let served: BTreeSet<&str> = specs.iter().map(|s| s.feature.as_str()).collect();
        let mut refused: Vec<PoolSpec> = Vec::new();
        for l in &inventory.lines {
            let feature = l.line.feature.as_str();
            let Some((code, reason)) = refusal(&l.status) else {
                continue;
            };
            if served.contains(feature) || refused.iter().any(|r| r.feature == feature) {
                continue;
            }
            let mut spec = PoolSpec::of_key(&line_key(&l.line), &[]);
            spec.refused = Some(Refused { code, reason });
            refused.push(spec);
        }
        specs.extend(refused);
        specs
    }

    /// A spec of no licenses yet, for the pool of `key` made of `lines`.
    fn of_key(key: &PoolKey, lines: &[&FeatureLine]) -> PoolSpec {
        PoolSpec {
            feature: key.feature.clone(),
            version: key.version.0.clone(),
            expiry: key.expiry,
            license_type: key.license_type.clone(),
            vendor_string: key.vendor_string.clone(),
            count: 0,
            dup_device: lines
                .iter()
                .any(|l| l.dup_group().is_some_and(|g| g.contains('V'))),
            lines: lines
                .iter()
                .map(|l| signature_digits(l.sign().unwrap_or_default()))
                .collect(),
            starts: Vec::new(),
            refused: None,
        }
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
                starts: Vec::new(),
                refused: None,
            })
            .collect()
    }
}

/// The pool key a line would have.
fn line_key(line: &FeatureLine) -> PoolKey {
    let vs = line.vendor_string();
    PoolKey {
        feature: line.feature.clone(),
        version: VersionKey(line.version.clone()),
        expiry: line.expiry,
        license_type: vs.and_then(|v| v.license_type()).map(str::to_owned),
        vendor_string: vs.map(|v| v.text.clone()),
    }
}

/// A counted line whose START is ahead joins the spec of its pool key, made
/// if there is none.
fn add_pending(specs: &mut Vec<PoolSpec>, l: &LineState, start: chrono::NaiveDate) {
    let Count::Licenses(n) = l.line.count else {
        return;
    };
    let key = line_key(&l.line);
    let i = match specs.iter().position(|s| s.key() == key) {
        Some(i) => i,
        None => {
            specs.push(PoolSpec::of_key(&key, &[]));
            specs.len() - 1
        }
    };
    let spec = &mut specs[i];
    spec.starts.push((start, u64::from(n)));
    spec.lines
        .push(signature_digits(l.line.sign().unwrap_or_default()));
    spec.dup_device |= l.line.dup_group().is_some_and(|g| g.contains('V'));
}

/// What a checkout of a feature whose only lines have this status is told:
/// lines refused for what they are, not those of another vendor, still to
/// start, expired, or set aside for another line of the feature.
fn refusal(status: &LineStatus) -> Option<(crate::flexnet::Code, String)> {
    match status {
        LineStatus::Unsigned
        | LineStatus::BadSignature
        | LineStatus::NoServerLine
        | LineStatus::BoundElsewhere { .. }
        | LineStatus::UnknownModel => status.reason(),
        _ => None,
    }
}

/// Settings an administrator may change at run time.
///
/// Every field has a default, so that a stored `SettingsChanged` event
/// written before a setting existed still reads (as that default); the
/// names of older versions are read too (see [`StoredSettings`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredSettings")]
pub struct Settings {
    /// The anchor's `UDUseDomain`: 0 (false, the default) truncates the
    /// domain of a user name (`MYCO\jack` and `jack@myco.com` are `jack`),
    /// 1 (true) keeps it, for sites with the same user name in several
    /// domains.
    pub use_domain: bool,
    /// The anchor's `UDUserNameCase`: whether user names that differ only
    /// in case are one user (the default) or several.
    pub user_name_case: NameCase,
    /// The anchor's `UDDeviceNameCase`, the same for device names.
    pub device_name_case: NameCase,
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
    /// The historical sampling period (the anchor's
    /// `EncoreConfiguration`). Stored for the usage history.
    pub history_sample: Time,
    /// How long the usage history is kept. Stored for the usage history.
    pub history_retention: Time,
    /// The anchor's `SARenewalCheckOption`: what to do when a CSS renewal
    /// is found. Stored for the renewal check.
    pub renewal_check: RenewalCheck,
    /// The anchor's `SLSProxy`: the proxy for outbound HTTPS calls, if
    /// any. Stored for the features that make such calls.
    pub proxy: Option<String>,
    /// The console's language. Stored for the web console.
    pub language: Language,
    /// What a remote (TCP) client may read.
    pub remote_read: RemoteRead,
}

/// What to do when a Customer Success Services renewal is available.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewalCheck {
    /// Say so (the default).
    #[default]
    Notify,
    /// Install it.
    Install,
    /// Do not check.
    Manual,
}

/// The console's languages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "fr")]
    Fr,
    #[serde(rename = "de")]
    De,
    #[serde(rename = "es")]
    Es,
    #[serde(rename = "ja")]
    Ja,
    #[serde(rename = "zh-CN")]
    ZhCn,
}

/// What a remote (TCP) client may read, beyond what products need (who
/// the server is and its pools, always readable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteRead {
    /// What FlexNet's lmstat shows over the network: the status (without
    /// the user/device connections) and a diagnosis (the default).
    #[default]
    Flexnet,
    /// Only what products need: no status, no diagnosis.
    ProductsOnly,
    /// FlexNet's, and the user/device connections (who holds which
    /// user/device license).
    WithConnections,
}

/// How names that differ only in case are told apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameCase {
    /// `Jack`, `JACK` and `jack` are one name (the default).
    #[default]
    Insensitive,
    /// `Jack`, `JACK` and `jack` are three names.
    Sensitive,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            use_domain: false,
            user_name_case: NameCase::Insensitive,
            device_name_case: NameCase::Insensitive,
            burst_enabled: true,
            lease: 90 * DAY,
            burst_length: 15 * DAY,
            heartbeat_timeout: 15 * 60,
            reconnect_window: DAY,
            history_sample: 15 * 60,
            history_retention: 180 * DAY,
            renewal_check: RenewalCheck::Notify,
            proxy: None,
            language: Language::En,
            remote_read: RemoteRead::Flexnet,
        }
    }
}

/// Settings as stored events hold them, of any version: a missing field
/// is its default; `keep_domain` is the older name of `use_domain`, and
/// `case_sensitive_names` the one setting that once stood for both cases.
#[derive(Deserialize)]
struct StoredSettings {
    #[serde(default, alias = "keep_domain")]
    use_domain: Option<bool>,
    #[serde(default)]
    user_name_case: Option<NameCase>,
    #[serde(default)]
    device_name_case: Option<NameCase>,
    #[serde(default)]
    case_sensitive_names: Option<bool>,
    #[serde(default)]
    burst_enabled: Option<bool>,
    #[serde(default)]
    lease: Option<Time>,
    #[serde(default)]
    burst_length: Option<Time>,
    #[serde(default)]
    heartbeat_timeout: Option<Time>,
    #[serde(default)]
    reconnect_window: Option<Time>,
    #[serde(default)]
    history_sample: Option<Time>,
    #[serde(default)]
    history_retention: Option<Time>,
    #[serde(default)]
    renewal_check: Option<RenewalCheck>,
    #[serde(default)]
    proxy: Option<String>,
    #[serde(default)]
    language: Option<Language>,
    #[serde(default)]
    remote_read: Option<RemoteRead>,
}

impl From<StoredSettings> for Settings {
    fn from(s: StoredSettings) -> Self {
        let d = Settings::default();
        let both = match s.case_sensitive_names {
            Some(true) => NameCase::Sensitive,
            _ => NameCase::Insensitive,
        };
        Settings {
            use_domain: s.use_domain.unwrap_or(d.use_domain),
            user_name_case: s.user_name_case.unwrap_or(both),
            device_name_case: s.device_name_case.unwrap_or(both),
            burst_enabled: s.burst_enabled.unwrap_or(d.burst_enabled),
            lease: s.lease.unwrap_or(d.lease),
            burst_length: s.burst_length.unwrap_or(d.burst_length),
            heartbeat_timeout: s.heartbeat_timeout.unwrap_or(d.heartbeat_timeout),
            reconnect_window: s.reconnect_window.unwrap_or(d.reconnect_window),
            history_sample: s.history_sample.unwrap_or(d.history_sample),
            history_retention: s.history_retention.unwrap_or(d.history_retention),
            renewal_check: s.renewal_check.unwrap_or(d.renewal_check),
            proxy: s.proxy,
            language: s.language.unwrap_or(d.language),
            remote_read: s.remote_read.unwrap_or(d.remote_read),
        }
    }
}

impl Settings {
    /// A user name as the engine counts it: without its domain unless
    /// `use_domain` keeps it, folded to lower case unless user names are
    /// case-sensitive. Spaces and any Unicode are kept.
    pub fn user_name(&self, raw: &str) -> String {
        let name = if self.use_domain {
            raw
        } else {
            let after_backslash = raw.rsplit('\\').next().unwrap_or(raw);
            after_backslash.split('@').next().unwrap_or(after_backslash)
        };
        self.user_name_case.fold(name)
    }

    /// A device name as the engine counts it.
    pub fn device_name(&self, raw: &str) -> String {
        self.device_name_case.fold(raw)
    }

    /// Whether `other` counts names differently: a change of it re-keys
    /// the holders of licenses.
    pub fn names_differ(&self, other: &Settings) -> bool {
        (self.use_domain, self.user_name_case, self.device_name_case)
            != (
                other.use_domain,
                other.user_name_case,
                other.device_name_case,
            )
    }
}

impl NameCase {
    /// A name as compared under this rule.
    fn fold(self, name: &str) -> String {
        match self {
            NameCase::Sensitive => name.to_owned(),
            NameCase::Insensitive => name.to_lowercase(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flexnet::Code;

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
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[0].count, 15);
        assert!(specs[0].dup_device && specs[0].is_retail());
        assert_eq!(specs[0].lines.len(), 2);
        assert!(specs[0].lines.iter().all(|l| l.len() == 128));
        // The future line is a pool of no licenses until its START.
        let start = chrono::NaiveDate::from_ymd_opt(2099, 1, 1).unwrap();
        assert_eq!(
            (specs[1].count, &specs[1].starts[..]),
            (0, &[(start, 1)][..])
        );
        assert!(!specs[1].has_started(day_of(1_800_000_000)));
        assert_eq!(specs[1].count_on(start), 1);
    }

    #[test]
    fn features_whose_lines_are_all_refused_say_why_and_unknown_models_are_not_served() {
        use crate::license::{HostIdentity, Keyring, LoadedFile, inventory, parse, sign};
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let other = ed25519_dalek::SigningKey::from_bytes(&[4; 32]);
        let text = "SERVER this_host HOSTNAME=h\nVENDOR CITRIX\n\
                    INCREMENT XDT_PLT_UD CITRIX 2026.1201 permanent 10\n\
                    INCREMENT XDT_PLT_ZZZ CITRIX 2026.1201 permanent 10\n\
                    INCREMENT XDT_PLT_CCU CITRIX 2026.1201 permanent 2 START=01-jan-2099\n";
        let good = sign::sign_in_place(text, &parse(text), &key);
        let forged = sign::sign_in_place(text, &parse(text), &other);
        let host = HostIdentity {
            hostname: "h".into(),
            ..HostIdentity::default()
        };
        let keys = Keyring::new(vec![key.verifying_key()]);
        let specs = |signed: &str| {
            let files = [LoadedFile {
                path: "a.lic".into(),
                parsed: parse(signed),
            }];
            let inv = inventory(&files, "CITRIX", &host, &keys, day_of(1_800_000_000));
            (inv.pools.len(), PoolSpec::from_inventory(&inv))
        };
        let (pooled, good) = specs(&good);
        assert_eq!(
            pooled, 1,
            "only XDT_PLT_UD: the unknown suffix is not served"
        );
        let zzz = good.iter().find(|s| s.feature == "XDT_PLT_ZZZ").unwrap();
        assert_eq!(
            zzz.refused.as_ref().map(|r| r.code),
            Some(Code::NOT_SUPPORTED)
        );
        let ccu = good.iter().find(|s| s.feature == "XDT_PLT_CCU").unwrap();
        assert!(ccu.refused.is_none() && ccu.starts.len() == 1);
        let (pooled, forged) = specs(&forged);
        assert_eq!(pooled, 0);
        for feature in ["XDT_PLT_UD", "XDT_PLT_ZZZ", "XDT_PLT_CCU"] {
            let spec = forged.iter().find(|s| s.feature == feature).unwrap();
            assert_eq!(
                spec.refused.as_ref().map(|r| r.code),
                Some(Code::BAD_SIGNATURE),
                "{feature}"
            );
        }
    }

    #[test]
    fn user_names_drop_the_domain_and_fold_case_by_default() {
        let s = Settings::default();
        assert_eq!(s.user_name("jack@mycompany.com"), "jack");
        assert_eq!(s.user_name("MYCO\\Jack"), "jack");
        assert_eq!(s.user_name("Jack Smith"), "jack smith");
        assert_eq!(s.user_name("山田 太郎"), "山田 太郎");
        let keep = Settings {
            use_domain: true,
            user_name_case: NameCase::Sensitive,
            ..Settings::default()
        };
        assert_eq!(keep.user_name("MYCO\\Jack"), "MYCO\\Jack");
    }
}
