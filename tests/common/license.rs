//! License files as the tests need them: one builder for the SERVER,
//! VENDOR and INCREMENT lines, signed with our own `lmcrypt` the way a
//! vendor signs them, instead of a copy of the same text in every module.

use std::path::{Path, PathBuf};

use super::lmutil;

/// The version every INCREMENT line carries unless told otherwise.
const VERSION: &str = "2026.1201";

/// A license file for the CITRIX vendor daemon, served from this machine
/// unless [`License::server_host`] says otherwise.
///
/// ```text
/// License::new()
///     .increment("XDT_PLT_CCU", 3)
///     .vendor_string(";LT=Eval")
///     .dup_group("V")
///     .install(root.path(), "ccu.lic");
/// ```
///
/// Each attribute method applies to the INCREMENT line added last.
#[derive(Clone, Debug, Default)]
pub struct License {
    server_host: Option<String>,
    any_host: bool,
    use_server: bool,
    increments: Vec<Increment>,
}

/// One INCREMENT line.
#[derive(Clone, Debug)]
struct Increment {
    feature: String,
    version: String,
    expiry: String,
    count: u64,
    vendor_string: Option<String>,
    dup_group: Option<String>,
    start: Option<String>,
    issued: Option<String>,
    continued: bool,
}

impl License {
    /// A file with no INCREMENT line yet, for this machine.
    pub fn new() -> License {
        License::default()
    }

    /// `HOSTNAME=name` on the SERVER line instead of this machine's name.
    pub fn server_host(mut self, name: &str) -> License {
        self.server_host = Some(name.to_owned());
        self
    }

    /// `SERVER this_host ANY`: served on any machine, and signed the same
    /// wherever it is signed (the signature covers the SERVER line's host
    /// IDs), so that a fixed key gives the same signatures on every machine.
    pub fn any_host(mut self) -> License {
        self.any_host = true;
        self
    }

    /// A `USE_SERVER` line after the VENDOR line.
    pub fn use_server(mut self) -> License {
        self.use_server = true;
        self
    }

    /// Adds `INCREMENT feature CITRIX 2026.1201 permanent count`.
    pub fn increment(mut self, feature: &str, count: u64) -> License {
        self.increments.push(Increment {
            feature: feature.to_owned(),
            version: VERSION.to_owned(),
            expiry: "permanent".to_owned(),
            count,
            vendor_string: None,
            dup_group: None,
            start: None,
            issued: None,
            continued: false,
        });
        self
    }

    /// The last line's version (its CSS date for Citrix).
    pub fn version(self, version: &str) -> License {
        self.last(|i| i.version = version.to_owned())
    }

    /// The last line's expiry date, as written (`01-dec-2027`).
    pub fn expiry(self, date: &str) -> License {
        self.last(|i| i.expiry = date.to_owned())
    }

    /// The last line's `VENDOR_STRING=`, verbatim (`;LT=Eval`).
    pub fn vendor_string(self, value: &str) -> License {
        self.last(|i| i.vendor_string = Some(value.to_owned()))
    }

    /// The last line's `DUP_GROUP=`.
    pub fn dup_group(self, value: &str) -> License {
        self.last(|i| i.dup_group = Some(value.to_owned()))
    }

    /// The last line's `START=` date.
    pub fn start(self, date: &str) -> License {
        self.last(|i| i.start = Some(date.to_owned()))
    }

    /// The last line's `ISSUED=` date.
    pub fn issued(self, date: &str) -> License {
        self.last(|i| i.issued = Some(date.to_owned()))
    }

    /// The last line's attributes on a continuation line (`\` then a
    /// newline), as license generators wrap long lines.
    pub fn continued(self) -> License {
        self.last(|i| i.continued = true)
    }

    fn last(mut self, change: impl FnOnce(&mut Increment)) -> License {
        let line = self
            .increments
            .last_mut()
            .expect("an attribute follows an increment(...)");
        change(line);
        self
    }

    /// The file's text, unsigned.
    pub fn text(&self) -> String {
        let host = match &self.server_host {
            _ if self.any_host => "ANY".to_owned(),
            Some(name) => format!("HOSTNAME={name}"),
            None => format!("HOSTNAME={}", super::hostname()),
        };
        let mut text = format!("SERVER this_host {host}\nVENDOR CITRIX\n");
        if self.use_server {
            text.push_str("USE_SERVER\n");
        }
        for line in &self.increments {
            text.push_str(&line.text());
        }
        text
    }

    /// Writes the file as `root/licenses/name` and signs it with the key
    /// pair [`super::TestDaemon::root`] made; returns its path.
    pub fn install(&self, root: &Path, name: &str) -> PathBuf {
        self.install_signed_by(root, name, &root.join("vendor/vendor.key"))
    }

    /// The file's text signed with the key pair [`super::TestDaemon::root`]
    /// made (or with the private key `key`), written nowhere the server
    /// reads: what an administrator uploads.
    pub fn signed_text(&self, root: &Path, key: Option<&Path>) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signed.lic");
        std::fs::write(&path, self.text()).unwrap();
        let own = root.join("vendor/vendor.key");
        lmutil([
            "lmcrypt".as_ref(),
            "--key".as_ref(),
            key.unwrap_or(&own).as_os_str(),
            path.as_os_str(),
        ])
        .succeeds();
        std::fs::read_to_string(&path).unwrap()
    }

    /// Like [`License::install`], signed with the private key `key`.
    pub fn install_signed_by(&self, root: &Path, name: &str, key: &Path) -> PathBuf {
        let path = root.join("licenses").join(name);
        std::fs::write(&path, self.text()).unwrap();
        lmutil([
            "lmcrypt".as_ref(),
            "--key".as_ref(),
            key.as_os_str(),
            path.as_os_str(),
        ])
        .succeeds();
        path
    }
}

impl Increment {
    fn text(&self) -> String {
        let mut attributes = String::new();
        let pairs = [
            ("VENDOR_STRING", &self.vendor_string),
            ("DUP_GROUP", &self.dup_group),
            ("START", &self.start),
            ("ISSUED", &self.issued),
        ];
        for (key, value) in pairs {
            if let Some(value) = value {
                let sep = if attributes.is_empty() { "" } else { " " };
                attributes.push_str(&format!("{sep}{key}={value}"));
            }
        }
        let head = format!(
            "INCREMENT {} CITRIX {} {} {}",
            self.feature, self.version, self.expiry, self.count
        );
        match (attributes.is_empty(), self.continued) {
            (true, _) => format!("{head}\n"),
            (false, false) => format!("{head} {attributes}\n"),
            (false, true) => format!("{head} \\\n    {attributes}\n"),
        }
    }
}
