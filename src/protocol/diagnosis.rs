//! The diagnosis of the license lines, as the `diagnose` answer carries it
//! and `lmdiag --json` prints it: for every line (of a feature, or all, the
//! built-in start-up and diagnostics licenses included) whether a checkout
//! would be granted now and, if not, FlexNet's error number and the exact
//! reason; the files not loaded, the lines that do not parse, the keys the
//! signatures are checked with, and the server host's IDs. These are the
//! protocol's own public types; `docs/schemas/protocol/diagnosis.json` is
//! generated from them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::status::HostIds;
use crate::license::Expiry;
use crate::license::pool::{LineState, LineStatus};
use crate::license::sign::PUBLIC_KEY_FILE;

/// What lmdiag shows: the lines, their files, the keys and this host's IDs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Diagnosis {
    /// The server host's IDs, for lines bound to another host.
    pub host: HostIds,
    /// The keys directory signatures are checked against.
    #[serde(default)]
    pub keys: Keys,
    /// Files in the license directory that were not loaded, and why.
    pub skipped: Vec<Skipped>,
    /// Lines that do not parse: `file:line:column: message`.
    pub errors: Vec<String>,
    pub lines: Vec<DiagLine>,
}

/// A file that was not used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

impl From<crate::license::load::Skipped> for Skipped {
    fn from(s: crate::license::load::Skipped) -> Self {
        Skipped {
            path: s.path.display().to_string(),
            reason: s.reason,
        }
    }
}

/// The trusted vendor keys: where they are read from, how many there are,
/// and the `*.pub` files that are not keys (skipped).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Keys {
    /// The keys directory.
    pub dir: String,
    /// How many keys it holds.
    pub trusted: usize,
    /// Its `*.pub` files that are not keys, and why.
    pub bad: Vec<Skipped>,
}

impl Keys {
    /// Reads the keys of `dir`: the keyring to verify with, and what it
    /// holds, as reported (blocking).
    pub fn read(dir: &std::path::Path) -> (crate::license::Keyring, Keys) {
        let (keyring, bad) = crate::license::Keyring::load_dir_skipping(dir);
        let keys = Keys {
            dir: dir.display().to_string(),
            trusted: keyring.len(),
            bad: bad
                .into_iter()
                .map(|(path, reason)| Skipped {
                    path: path.display().to_string(),
                    reason,
                })
                .collect(),
        };
        (keyring, keys)
    }

    /// Why a line does not serve, as the log and lmdiag say it: a line
    /// refused for its signature while no key is trusted says where the
    /// vendor's key goes.
    pub fn refusal(&self, line: &LineState) -> Option<(crate::flexnet::Code, String)> {
        let (code, reason) = line.status.reason()?;
        let signature = matches!(line.status, LineStatus::Unsigned | LineStatus::BadSignature);
        if !signature || self.trusted > 0 {
            return Some((code, reason));
        }
        let reason = format!(
            "{reason}; no vendor key is installed: the keys directory {} holds none. Put the \
             vendor's public key there as {PUBLIC_KEY_FILE}, then run lmreread",
            self.dir
        );
        Some((code, reason))
    }
}

/// One license line and whether a checkout from it works now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct DiagLine {
    /// The license file; empty for a built-in license.
    pub file: String,
    /// 1-based line number in the file; 0 for a built-in license.
    pub line: usize,
    /// A license built into the CITRIX vendor daemon (the start-up license
    /// `CITRIX`, the diagnostics license `CTXLSDIAG`), in no file.
    #[serde(default)]
    pub built_in: bool,
    pub feature: String,
    /// The vendor daemon the line names (`CITRIX` for the ones served).
    #[serde(default)]
    pub vendor: String,
    /// The css date (version field).
    pub version: String,
    /// `YYYY-MM-DD`, or `permanent`.
    #[cfg_attr(feature = "tools", schemars(with = "String"))]
    pub expiry: Expiry,
    /// A number, or `uncounted`.
    pub count: String,
    /// `START=`, `YYYY-MM-DD`.
    pub start: Option<NaiveDate>,
    pub issuer: Option<String>,
    pub vendor_string: Option<String>,
    /// The signature's hex digits.
    pub sign: Option<String>,
    /// The host IDs that bind it.
    pub binding: Vec<String>,
    /// True when a checkout would be granted now.
    pub can_check_out: bool,
    /// Why not: FlexNet's error number, e.g. -4 …
    pub code: Option<crate::flexnet::Code>,
    /// … and the exact reason.
    pub reason: Option<String>,
}

impl DiagLine {
    /// A line of a license file, not yet decided (`can_check_out` false,
    /// no reason).
    pub fn of(l: &LineState) -> Self {
        use crate::license::model::Attributes;
        let f = &l.line;
        DiagLine {
            file: l.at.file.display().to_string(),
            line: l.at.line,
            built_in: false,
            feature: f.feature.clone(),
            vendor: f.vendor.clone(),
            version: f.version.to_string(),
            expiry: f.expiry,
            count: match f.count {
                crate::license::Count::Uncounted => "uncounted".to_owned(),
                crate::license::Count::Licenses(n) => n.to_string(),
            },
            start: f.start(),
            issuer: f.text("ISSUER").map(str::to_owned),
            vendor_string: f.vendor_string().map(|v| v.text.clone()),
            sign: f.sign().map(crate::license::sign::signature_digits),
            binding: l
                .binding
                .iter()
                .map(crate::license::printer::host_id)
                .collect(),
            can_check_out: false,
            code: None,
            reason: None,
        }
    }

    /// Decided: granted when `why` is `None`, else refused with it.
    pub fn decided(mut self, why: Option<(crate::flexnet::Code, String)>) -> Self {
        match why {
            Some((code, reason)) => (self.code, self.reason) = (Some(code), Some(reason)),
            None => self.can_check_out = true,
        }
        self
    }
}
