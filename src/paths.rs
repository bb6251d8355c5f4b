//! Where lmgrd and the tools look for things when nothing else is said: the
//! platform's directories, the control socket and the default ports. A leaf
//! module, so that the daemon and the commands agree on one place without
//! depending on each other.

use std::path::PathBuf;

/// The license manager's TCP port (FlexNet's default).
pub const LM_PORT: u16 = 27000;

/// The CITRIX vendor daemon's TCP port (Citrix's default).
pub const VENDOR_PORT: u16 = 7279;

/// The platform's directories for lmutil: configuration, data and runtime
/// (XDG on Linux, through the `directories` crate), or a fixed fallback
/// under `/var/lib/lmutil` when the platform names none.
pub struct PlatformDirs {
    pub config: PathBuf,
    pub data: PathBuf,
    pub runtime: PathBuf,
}

impl PlatformDirs {
    pub fn current() -> Self {
        match directories::ProjectDirs::from("", "", "lmutil") {
            Some(d) => PlatformDirs {
                config: d.config_dir().to_owned(),
                data: d.data_dir().to_owned(),
                runtime: d.runtime_dir().unwrap_or(d.data_dir()).to_owned(),
            },
            None => {
                let base = PathBuf::from("/var/lib/lmutil");
                PlatformDirs {
                    config: base.join("config"),
                    data: base.join("data"),
                    runtime: base.join("run"),
                }
            }
        }
    }

    /// The control socket lmgrd creates when `--socket` is not given.
    pub fn socket(&self) -> PathBuf {
        self.runtime.join("lmgrd.sock")
    }
}

/// The control socket a local tool uses when nothing else is said:
/// `LMGRD_SOCKET` (the variable lmgrd's `--socket` also reads), else the
/// platform's runtime directory.
pub fn default_socket() -> PathBuf {
    match std::env::var_os("LMGRD_SOCKET") {
        Some(s) if !s.is_empty() => PathBuf::from(s),
        _ => PlatformDirs::current().socket(),
    }
}
