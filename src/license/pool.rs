//! Which license lines are in effect on a given day, and the pools they form.
//!
//! Every feature line of every loaded file gets a [`LineStatus`] that says
//! whether it serves and, when it does not, exactly why: another vendor, a
//! signature that does not verify, a binding to another host, a start date in
//! the future, superseded by a newer line. Lines that serve are grouped into
//! pools by (feature, css date, expiry, license type, vendor string); a pool's
//! count is the sum of its lines' counts.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use super::date::{Expiry, Version};
use super::hostid::HostIdentity;
use super::model::*;
use super::parser::Parsed;
use super::sign::{Keyring, bindings, signature_digits};
use crate::flexnet::Code;

/// A parsed license file and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    pub path: PathBuf,
    pub parsed: Parsed,
}

/// A line of a loaded file: the file's index in the list and its line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct LineRef {
    pub file: PathBuf,
    pub line: usize,
}

/// Whether a feature line serves, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LineStatus {
    /// In a pool and granting.
    Serving,
    /// In a pool; past its expiry: grants nothing new, held checkouts stay.
    Expired { expiry: Expiry },
    /// Not visible until its start date.
    NotYetStarted { start: NaiveDate },
    /// For another vendor daemon.
    OtherVendor { vendor: String },
    /// No `SIGN=`.
    Unsigned,
    /// The signature does not verify against any trusted key.
    BadSignature,
    /// A counted line in a file with no SERVER line.
    NoServerLine,
    /// Bound to a host that is not this one.
    BoundElsewhere { binding: Vec<HostId> },
    /// The feature name's last part names no license model the server
    /// knows: nothing says how its licenses would be counted.
    UnknownModel,
    /// A FEATURE line after the first FEATURE line of the same feature.
    DuplicateFeature { first: LineRef },
    /// Made ineffective by a newer line's `SUPERSEDE`.
    Superseded { by: LineRef },
    /// Named by another line's `SUPERSEDE_SIGN`.
    SupersededBySign { by: LineRef },
}

impl LineStatus {
    /// Whether the line belongs to a pool (serving or expired).
    pub fn is_pooled(&self) -> bool {
        matches!(self, LineStatus::Serving | LineStatus::Expired { .. })
    }

    /// FlexNet's error number and a one-line reason, for a line that does
    /// not serve.
    pub fn reason(&self) -> Option<(Code, String)> {
        Some(match self {
            LineStatus::Serving => return None,
            LineStatus::Expired { expiry } => {
                (Code::EXPIRED, format!("feature has expired ({expiry})"))
            }
            LineStatus::NotYetStarted { start } => (
                Code::NOT_YET_STARTED,
                format!(
                    "feature start date is in the future ({})",
                    super::date::format_date(*start)
                ),
            ),
            LineStatus::OtherVendor { vendor } => (
                Code::NOT_SUPPORTED,
                format!("the line is for vendor daemon {vendor}"),
            ),
            LineStatus::Unsigned => (
                Code::BAD_SIGNATURE,
                "invalid license key (the line has no SIGN=)".into(),
            ),
            LineStatus::BadSignature => (
                Code::BAD_SIGNATURE,
                "invalid license key (inconsistent authentication code)".into(),
            ),
            LineStatus::NoServerLine => (
                Code::NO_SERVER_LINES,
                "a counted line needs a SERVER line binding it to this host".into(),
            ),
            LineStatus::BoundElsewhere { binding } => {
                let ids: Vec<String> = binding.iter().map(super::printer::host_id).collect();
                (
                    Code::INVALID_HOST,
                    format!("bound to another host ({})", ids.join(" ")),
                )
            }
            LineStatus::UnknownModel => (
                Code::NOT_SUPPORTED,
                "the license model of the feature (its name's last part) is not known".into(),
            ),
            LineStatus::DuplicateFeature { first } => (
                Code::NO_SUCH_FEATURE,
                format!(
                    "only the first FEATURE line of a feature counts ({}:{})",
                    first.file.display(),
                    first.line
                ),
            ),
            LineStatus::Superseded { by } => (
                Code::NO_SUCH_FEATURE,
                format!("superseded by {}:{}", by.file.display(), by.line),
            ),
            LineStatus::SupersededBySign { by } => (
                Code::NO_SUCH_FEATURE,
                format!(
                    "superseded by signature at {}:{}",
                    by.file.display(),
                    by.line
                ),
            ),
        })
    }
}

/// One feature line and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct LineState {
    pub at: LineRef,
    pub line: FeatureLine,
    pub binding: Vec<HostId>,
    #[serde(flatten)]
    pub status: LineStatus,
}

/// Lines that share (feature, css date, expiry, license type, vendor string).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct PoolKey {
    pub feature: String,
    pub version: VersionKey,
    pub expiry: Expiry,
    pub license_type: Option<String>,
    pub vendor_string: Option<String>,
}

/// A version, ordered as a decimal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct VersionKey(pub Version);

impl Ord for VersionKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .cmp(&other.0)
            .then_with(|| self.0.as_str().cmp(other.0.as_str()))
    }
}

impl PartialOrd for VersionKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A license pool.
#[derive(Debug, Clone, Serialize)]
pub struct Pool {
    #[serde(flatten)]
    pub key: PoolKey,
    /// Sum of the counted lines' counts.
    pub count: u64,
    /// Whether any line of the pool is uncounted (node-locked).
    pub uncounted: bool,
    /// Past its expiry: grants nothing new.
    pub expired: bool,
    pub lines: Vec<LineRef>,
}

/// Every line's status and the pools in effect on one day.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inventory {
    pub lines: Vec<LineState>,
    pub pools: Vec<Pool>,
}

/// Works out what serves on `today` for `vendor` on `host`.
pub fn inventory(
    files: &[LoadedFile],
    vendor: &str,
    host: &HostIdentity,
    keys: &Keyring,
    today: NaiveDate,
) -> Inventory {
    let mut lines = Vec::new();
    for file in files {
        let binding = bindings(&file.parsed.file);
        for ((item, span), binding) in file
            .parsed
            .file
            .items
            .iter()
            .zip(&file.parsed.spans)
            .zip(binding)
        {
            let Item::Feature(line) = item else { continue };
            let status = first_check(item, line, &binding, vendor, host, keys, today);
            lines.push(LineState {
                at: LineRef {
                    file: file.path.clone(),
                    line: span.line,
                },
                line: line.clone(),
                binding,
                status,
            });
        }
    }
    drop_duplicate_features(&mut lines);
    apply_supersede(&mut lines);
    for l in &mut lines {
        if l.status == LineStatus::Serving && !l.line.expiry.is_valid_on(today) {
            l.status = LineStatus::Expired {
                expiry: l.line.expiry,
            };
        }
    }
    let pools = pools(&lines);
    Inventory { lines, pools }
}

/// The checks that need only the line itself, in the order an administrator
/// would fix them.
fn first_check(
    item: &Item,
    line: &FeatureLine,
    binding: &[HostId],
    vendor: &str,
    host: &HostIdentity,
    keys: &Keyring,
    today: NaiveDate,
) -> LineStatus {
    if line.vendor != vendor {
        return LineStatus::OtherVendor {
            vendor: line.vendor.clone(),
        };
    }
    let Some(sign) = line.sign() else {
        return LineStatus::Unsigned;
    };
    if !keys.verify(item, binding, sign) {
        return LineStatus::BadSignature;
    }
    match line.count {
        Count::Licenses(_) if binding.is_empty() => return LineStatus::NoServerLine,
        Count::Licenses(_) if !host.matches_any(binding) => {
            return LineStatus::BoundElsewhere {
                binding: binding.to_vec(),
            };
        }
        Count::Uncounted => {
            let ids = line.host_ids().unwrap_or(binding);
            if !host.matches_any(ids) {
                return LineStatus::BoundElsewhere {
                    binding: ids.to_vec(),
                };
            }
        }
        Count::Licenses(_) => {}
    }
    let license_type = line.vendor_string().and_then(|v| v.license_type());
    if super::models::LicenseModel::of(&line.feature, license_type).is_none() {
        return LineStatus::UnknownModel;
    }
    if let Some(start) = line.start()
        && start > today
    {
        return LineStatus::NotYetStarted { start };
    }
    LineStatus::Serving
}

fn drop_duplicate_features(lines: &mut [LineState]) {
    let mut first: BTreeMap<String, LineRef> = BTreeMap::new();
    for l in lines.iter_mut() {
        if l.status != LineStatus::Serving || l.line.keyword != FeatureKeyword::Feature {
            continue;
        }
        match first.get(&l.line.feature) {
            Some(f) => {
                l.status = LineStatus::DuplicateFeature { first: f.clone() };
            }
            None => {
                first.insert(l.line.feature.clone(), l.at.clone());
            }
        }
    }
}

/// SUPERSEDE and SUPERSEDE_SIGN of every visible line; decided on the
/// statuses before any superseding, so the order of lines does not matter.
fn apply_supersede(lines: &mut [LineState]) {
    let visible: Vec<bool> = lines
        .iter()
        .map(|l| l.status == LineStatus::Serving)
        .collect();
    let mut verdicts: Vec<Option<LineStatus>> = vec![None; lines.len()];
    for (s, sup) in lines.iter().enumerate() {
        if !visible[s] {
            continue;
        }
        if let Some(list) = sup.line.supersede()
            && let Some(issued) = sup.line.issued()
        {
            let mut features: Vec<&str> = list.iter().flatten().map(String::as_str).collect();
            features.push(&sup.line.feature);
            for (t, target) in lines.iter().enumerate() {
                let older = target.line.issued().is_none_or(|d| d < issued);
                if t != s && visible[t] && older && features.contains(&target.line.feature.as_str())
                {
                    verdicts[t].get_or_insert(LineStatus::Superseded { by: sup.at.clone() });
                }
            }
        }
        for named in sup.line.supersede_sign() {
            let digits = signature_digits(&named.sign);
            for (t, target) in lines.iter().enumerate() {
                let same = target.line.feature == named.feature
                    && target.line.sign().map(signature_digits) == Some(digits.clone());
                if t != s && visible[t] && same {
                    verdicts[t].get_or_insert(LineStatus::SupersededBySign { by: sup.at.clone() });
                }
            }
        }
    }
    for (l, v) in lines.iter_mut().zip(verdicts) {
        if let Some(v) = v {
            l.status = v;
        }
    }
}

fn pools(lines: &[LineState]) -> Vec<Pool> {
    let mut pools: BTreeMap<PoolKey, Pool> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.status.is_pooled()) {
        let vs = l.line.vendor_string();
        let key = PoolKey {
            feature: l.line.feature.clone(),
            version: VersionKey(l.line.version.clone()),
            expiry: l.line.expiry,
            license_type: vs.and_then(|v| v.license_type()).map(str::to_owned),
            vendor_string: vs.map(|v| v.text.clone()),
        };
        let pool = pools.entry(key.clone()).or_insert_with(|| Pool {
            key,
            count: 0,
            uncounted: false,
            expired: matches!(l.status, LineStatus::Expired { .. }),
            lines: Vec::new(),
        });
        match l.line.count {
            Count::Licenses(n) => pool.count += u64::from(n),
            Count::Uncounted => pool.uncounted = true,
        }
        pool.lines.push(l.at.clone());
    }
    pools.into_values().collect()
}
