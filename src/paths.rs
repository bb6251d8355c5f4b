//! Where lmgrd and the tools look for things when nothing else is said: the
//! platform's directories, the control socket and the default ports. A leaf
//! module, so that the daemon and the commands agree on one place without
//! depending on each other.
//!
//! Two layouts. The system one is what `contrib/lmgrd.service` passes and
//! what lmgrd uses when root starts it without flags: licenses in
//! `/etc/lmutil/licenses`, keys in `/etc/lmutil/keys`, state and status
//! file in `/var/lib/lmutil`, control socket `/run/lmgrd/lmgrd.sock`. The
//! per-user one (XDG on Linux) is for lmgrd started by another account.
//! The tools look in both (see [`default_socket`]), so that an
//! administrator finds the server whichever way it was started.

use std::path::PathBuf;

/// The license manager's TCP port (FlexNet's default).
pub const LM_PORT: u16 = 27000;

/// The CITRIX vendor daemon's TCP port (Citrix's default).
pub const VENDOR_PORT: u16 = 7279;

/// lmgrd's HTTP port: metrics, and the web services to come (the Citrix
/// Licensing Manager's port).
pub const HTTP_PORT: u16 = 8083;

/// The system layout's configuration directory (licenses, keys).
pub const SYSTEM_CONFIG_DIR: &str = "/etc/lmutil";
/// The system layout's data directory (state database, debug log, status file).
pub const SYSTEM_DATA_DIR: &str = "/var/lib/lmutil";
/// The system layout's runtime directory (systemd's `RuntimeDirectory=lmgrd`).
pub const SYSTEM_RUNTIME_DIR: &str = "/run/lmgrd";

/// The name of the control socket in a runtime directory.
const SOCKET_NAME: &str = "lmgrd.sock";
/// The name of the status file in a data directory.
pub const STATUS_FILE_NAME: &str = "lmgrd.status.json";

/// The platform's directories for lmutil: configuration, data and runtime.
/// For root, the system layout; for any other account, the platform's own
/// (XDG on Linux, through the `directories` crate), or the system layout
/// when the platform names none.
pub struct PlatformDirs {
    pub config: PathBuf,
    pub data: PathBuf,
    pub runtime: PathBuf,
}

impl PlatformDirs {
    pub fn current() -> Self {
        if nix::unistd::geteuid().is_root() {
            return PlatformDirs::system();
        }
        match directories::ProjectDirs::from("", "", "lmutil") {
            Some(d) => PlatformDirs {
                config: d.config_dir().to_owned(),
                data: d.data_dir().to_owned(),
                runtime: d.runtime_dir().unwrap_or(d.data_dir()).to_owned(),
            },
            None => PlatformDirs::system(),
        }
    }

    /// The system layout, as `contrib/lmgrd.service` sets it.
    pub fn system() -> Self {
        PlatformDirs {
            config: PathBuf::from(SYSTEM_CONFIG_DIR),
            data: PathBuf::from(SYSTEM_DATA_DIR),
            runtime: PathBuf::from(SYSTEM_RUNTIME_DIR),
        }
    }

    /// The control socket lmgrd creates when `--socket` is not given.
    pub fn socket(&self) -> PathBuf {
        self.runtime.join(SOCKET_NAME)
    }

    /// The status file lmgrd writes when `--data-dir` is not given.
    pub fn status_file(&self) -> PathBuf {
        self.data.join(STATUS_FILE_NAME)
    }
}

/// The control socket a local tool uses when nothing else is said:
/// `LMGRD_SOCKET` (the variable lmgrd's `--socket` also reads); else, in
/// this account's layout then the system one, the socket a status file
/// names (lmgrd started with `--socket` elsewhere) or the default socket,
/// the first that exists; else the system layout's socket.
pub fn default_socket() -> PathBuf {
    if let Some(s) = std::env::var_os("LMGRD_SOCKET").filter(|s| !s.is_empty()) {
        return PathBuf::from(s);
    }
    let layouts = [PlatformDirs::current(), PlatformDirs::system()];
    find_socket(&layouts).unwrap_or_else(|| PlatformDirs::system().socket())
}

/// The first socket of `layouts` that exists: each layout's status file's
/// socket, then its default socket.
fn find_socket(layouts: &[PlatformDirs]) -> Option<PathBuf> {
    layouts
        .iter()
        .flat_map(|l| [socket_in_status(&l.status_file()), Some(l.socket())])
        .flatten()
        .find(|s| s.exists())
}

/// The license directory a tool reads when no server answers:
/// `LMGRD_LICENSE_DIR` (as lmgrd reads it), else this account's layout's,
/// else the system one, the first that exists.
pub fn default_license_dir() -> Option<PathBuf> {
    configured_dir("LMGRD_LICENSE_DIR", "licenses").filter(|d| d.is_dir())
}

/// The keys directory a tool checks signatures with: `LMGRD_KEYS_DIR`, else
/// this account's layout's, else the system one, the first that exists
/// (this account's when none does).
pub fn default_keys_dir() -> PathBuf {
    configured_dir("LMGRD_KEYS_DIR", "keys")
        .unwrap_or_else(|| PlatformDirs::current().config.join("keys"))
}

/// `variable` if set, else the first existing `name` directory of the
/// configuration directories.
fn configured_dir(variable: &str, name: &str) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(variable).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    [PlatformDirs::current(), PlatformDirs::system()]
        .into_iter()
        .map(|l| l.config.join(name))
        .find(|d| d.is_dir())
}

/// The `socket` field of a status file, if it can be read.
fn socket_in_status(path: &std::path::Path) -> Option<PathBuf> {
    #[derive(serde::Deserialize)]
    struct Status {
        socket: PathBuf,
    }
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice::<Status>(&bytes)
        .ok()
        .map(|s| s.socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unit's ExecStart, as `--flag value` pairs.
    fn service_flags() -> Vec<(String, String)> {
        let unit = include_str!("../contrib/lmgrd.service");
        let exec = unit
            .lines()
            .find_map(|l| l.strip_prefix("ExecStart="))
            .expect("an ExecStart line");
        let words: Vec<&str> = exec.split_whitespace().collect();
        words
            .windows(2)
            .filter(|w| w[0].starts_with("--"))
            .map(|w| (w[0].to_owned(), w[1].to_owned()))
            .collect()
    }

    #[test]
    fn the_service_and_the_system_layout_are_one_place() {
        let system = PlatformDirs::system();
        let want = [
            ("--license-dir", system.config.join("licenses")),
            ("--keys-dir", system.config.join("keys")),
            ("--data-dir", system.data.clone()),
            ("--socket", system.socket()),
        ];
        let flags = service_flags();
        for (flag, path) in want {
            let given = flags.iter().find(|(f, _)| f == flag);
            assert_eq!(
                given.map(|(_, v)| PathBuf::from(v)),
                Some(path),
                "contrib/lmgrd.service {flag}"
            );
        }
        let unit = include_str!("../contrib/lmgrd.service");
        assert!(unit.contains("RuntimeDirectory=lmgrd\n"));
        assert!(unit.contains("StateDirectory=lmutil\n"));
    }

    #[test]
    fn the_tools_find_the_socket_a_status_file_names_then_the_default_one() {
        let dir = tempfile::tempdir().unwrap();
        let layout = |name: &str| PlatformDirs {
            config: dir.path().join(name).join("config"),
            data: dir.path().join(name).join("data"),
            runtime: dir.path().join(name).join("run"),
        };
        let (mine, system) = (layout("mine"), layout("system"));
        assert_eq!(find_socket(&[layout("mine"), layout("system")]), None);
        std::fs::create_dir_all(&system.runtime).unwrap();
        std::fs::write(system.socket(), b"").unwrap();
        assert_eq!(
            find_socket(&[layout("mine"), layout("system")]),
            Some(system.socket())
        );
        let elsewhere = dir.path().join("elsewhere.sock");
        std::fs::write(&elsewhere, b"").unwrap();
        std::fs::create_dir_all(&mine.data).unwrap();
        let status = serde_json::json!({ "pid": 1, "socket": elsewhere });
        std::fs::write(mine.status_file(), status.to_string()).unwrap();
        assert_eq!(find_socket(&[mine, system]), Some(elsewhere));
    }
}
