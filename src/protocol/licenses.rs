//! The license directory as the protocol shows it: installing a license
//! file (`install_license`, answered with [`Installed`]) and listing the
//! files there (`license_files`, answered with [`LicenseFile`]s).

use serde::{Deserialize, Serialize};

/// What `install_license` installed, and what the reread after it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct Installed {
    /// The file's name in the license directory, e.g. `ctx_2026.lic`.
    pub file: String,
    /// Its full path.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// A file of that name was there and was replaced (`replace`).
    pub replaced: bool,
    /// Its license lines (FEATURE and INCREMENT), after the reread.
    pub lines: Vec<InstalledLine>,
    /// The pools the server serves now, after the reread (every file's).
    pub pools: usize,
    /// The license files the reread read, in order.
    pub license_files: Vec<String>,
}

/// One license line of an installed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct InstalledLine {
    /// 1-based line number in the file.
    pub line: usize,
    pub feature: String,
    /// The css date (version field).
    pub version: String,
    /// `YYYY-MM-DD`, or `permanent`.
    pub expiry: String,
    /// A number, or `uncounted`.
    pub count: String,
    /// Whether it serves now (in a pool that grants).
    pub serving: bool,
    /// Why it does not serve (expired, not started yet, superseded…);
    /// null when it does.
    pub reason: Option<String>,
}

/// A file in the license directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "tools", derive(schemars::JsonSchema))]
pub struct LicenseFile {
    /// Its name, e.g. `ctx_2026.lic`.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written (installed), Unix seconds.
    pub modified: i64,
    /// Whether the last (re)read read it as a license file.
    pub read: bool,
    /// Why it was not read (a name that does not end in `.lic`, a link
    /// out of the directory, too large…); null when it was, or when it is
    /// no license file at all (the options file).
    pub reason: Option<String>,
}
