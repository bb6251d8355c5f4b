//! Which server to talk to: FlexNet's `-c` specification.
//!
//! An element is `port@host`, `@host` (the ports 27000–27009, in order), a
//! license file (its SERVER lines name the host and port), or a directory
//! (every `*.lic` in it). Elements are separated by `:` on Unix (`;` on
//! Windows); a `port@host` list inside one element is comma-separated (a
//! three-server set). Without `-c`, `CITRIX_LICENSE_FILE` then
//! `LM_LICENSE_FILE` are used (FlexNet puts the vendor's variable first),
//! and without either, the local server's control socket.

use std::path::{Path, PathBuf};

use crate::license::Item;
use crate::license::load::{load_dir, load_file};

/// The default license manager port, and how far `@host` searches.
pub const DEFAULT_PORT: u16 = crate::paths::LM_PORT;
pub const PORT_RANGE: std::ops::RangeInclusive<u16> = 27000..=27009;

/// One place a server may answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// TCP `port@host`.
    Tcp { host: String, port: u16 },
    /// The local server's control socket.
    Local(PathBuf),
}

impl Target {
    /// How FlexNet prints it: `27000@host`, or the socket's path.
    pub fn display(&self) -> String {
        match self {
            Target::Tcp { host, port } => format!("{port}@{host}"),
            Target::Local(p) => p.display().to_string(),
        }
    }
}

/// Why a specification names no server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("`{0}` is not port@host, @host, a license file or a directory")]
    Unknown(String),
    #[error("`{0}`: the port must be a number from 1 to 65535")]
    BadPort(String),
    #[error("license file {0} names no SERVER")]
    NoServer(String),
}

/// The element separator of license search paths on this platform.
pub const SEPARATOR: char = if cfg!(windows) { ';' } else { ':' };

/// The search path the environment gives, FlexNet's way: the vendor's
/// variable (`CITRIX_LICENSE_FILE`) before `LM_LICENSE_FILE`.
pub fn from_environment(vendor: Option<&str>, lm: Option<&str>) -> Option<String> {
    let parts: Vec<&str> = [vendor, lm]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(&SEPARATOR.to_string()))
}

/// Resolves a `-c` specification to the targets to try, in order.
pub fn resolve(spec: &str) -> Result<Vec<Target>, SelectError> {
    let mut out = Vec::new();
    for element in split_elements(spec) {
        out.extend(resolve_element(element)?);
    }
    Ok(out)
}

/// Splits on the separator, except inside `port@host` elements, whose `:`
/// would otherwise be ambiguous only on Windows paths (`C:\`), which use `;`.
fn split_elements(spec: &str) -> impl Iterator<Item = &str> {
    spec.split(SEPARATOR)
        .map(str::trim)
        .filter(|e| !e.is_empty())
}

fn resolve_element(element: &str) -> Result<Vec<Target>, SelectError> {
    if element.contains('@') {
        let mut out = Vec::new();
        for one in element.split(',') {
            out.extend(port_at_host(one.trim())?);
        }
        return Ok(out);
    }
    let path = Path::new(element);
    if is_socket(path) {
        return Ok(vec![Target::Local(path.to_owned())]);
    }
    if path.is_dir() {
        return from_dir(path);
    }
    if path.is_file() {
        return from_file(path);
    }
    Err(SelectError::Unknown(element.to_owned()))
}

/// A local server's control socket, named directly.
fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

fn port_at_host(text: &str) -> Result<Vec<Target>, SelectError> {
    let (port, host) = text
        .split_once('@')
        .ok_or_else(|| SelectError::Unknown(text.to_owned()))?;
    if host.is_empty() {
        return Err(SelectError::Unknown(text.to_owned()));
    }
    let host = host.to_owned();
    if port.is_empty() {
        return Ok(PORT_RANGE
            .map(|port| Target::Tcp {
                host: host.clone(),
                port,
            })
            .collect());
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(vec![Target::Tcp { host, port: p }]),
        _ => Err(SelectError::BadPort(text.to_owned())),
    }
}

/// The SERVER lines of a license file: their host and port (the default
/// range when a line gives none). `this_host` means this machine.
fn from_file(path: &Path) -> Result<Vec<Target>, SelectError> {
    let file = load_file(path).map_err(|_| SelectError::Unknown(path.display().to_string()))?;
    let mut out = Vec::new();
    for item in &file.parsed.file.items {
        if let Item::Server(s) = item {
            let host = if s.host.eq_ignore_ascii_case("this_host") {
                "localhost".to_owned()
            } else {
                s.host.clone()
            };
            match s.port {
                Some(port) => out.push(Target::Tcp { host, port }),
                None => out.extend(PORT_RANGE.map(|port| Target::Tcp {
                    host: host.clone(),
                    port,
                })),
            }
        }
    }
    if out.is_empty() {
        return Err(SelectError::NoServer(path.display().to_string()));
    }
    Ok(out)
}

fn from_dir(dir: &Path) -> Result<Vec<Target>, SelectError> {
    let (files, _) = load_dir(dir).map_err(|_| SelectError::Unknown(dir.display().to_string()))?;
    let mut out: Vec<Target> = Vec::new();
    for f in files {
        for t in from_file(&f.path).unwrap_or_default() {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    if out.is_empty() {
        return Err(SelectError::NoServer(dir.display().to_string()));
    }
    Ok(out)
}

/// `-c` if given, else `LM_LICENSE_FILE`, else the local control socket.
pub fn targets(
    spec: Option<&str>,
    env: Option<&str>,
    local_socket: &Path,
) -> Result<Vec<Target>, SelectError> {
    match spec.or(env) {
        Some(s) if !s.trim().is_empty() => resolve(s),
        _ => Ok(vec![Target::Local(local_socket.to_owned())]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(host: &str, port: u16) -> Target {
        Target::Tcp {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn port_at_host_and_at_host() {
        assert_eq!(resolve("27001@lic1").unwrap(), [tcp("lic1", 27001)]);
        let range = resolve("@lic1").unwrap();
        assert_eq!(range.len(), 10);
        assert_eq!(
            (range[0].clone(), range[9].clone()),
            (tcp("lic1", 27000), tcp("lic1", 27009))
        );
        assert_eq!(
            resolve("27000@a,27000@b,27000@c").unwrap(),
            [tcp("a", 27000), tcp("b", 27000), tcp("c", 27000)]
        );
        assert!(matches!(resolve("x@lic1"), Err(SelectError::BadPort(_))));
        assert!(matches!(resolve("0@lic1"), Err(SelectError::BadPort(_))));
    }

    #[test]
    fn lists_files_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.lic"),
            "SERVER lic9 ANY 27005\nVENDOR CITRIX\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("b.lic"), "SERVER this_host HOSTNAME=x\n").unwrap();
        std::fs::write(dir.path().join("none.lic"), "VENDOR CITRIX\n").unwrap();
        let a = dir.path().join("a.lic");
        assert_eq!(resolve(a.to_str().unwrap()).unwrap(), [tcp("lic9", 27005)]);
        let all = resolve(dir.path().to_str().unwrap()).unwrap();
        assert_eq!(all[0], tcp("lic9", 27005));
        assert_eq!(all[1], tcp("localhost", 27000));
        assert_eq!(all.len(), 11);
        let list = format!("27000@first:{}", a.display());
        assert_eq!(
            resolve(&list).unwrap(),
            [tcp("first", 27000), tcp("lic9", 27005)]
        );
        let none = dir.path().join("none.lic");
        assert!(matches!(
            resolve(none.to_str().unwrap()),
            Err(SelectError::NoServer(_))
        ));
        assert!(matches!(
            resolve("/no/such/thing"),
            Err(SelectError::Unknown(_))
        ));
    }

    #[test]
    fn the_vendors_variable_comes_before_lm_license_file() {
        assert_eq!(
            from_environment(Some("1@a"), Some("2@b")).as_deref(),
            Some("1@a:2@b")
        );
        assert_eq!(from_environment(None, Some("2@b")).as_deref(), Some("2@b"));
        assert_eq!(from_environment(Some(" "), None), None);
        assert_eq!(from_environment(None, None), None);
    }

    #[test]
    fn the_flag_beats_the_environment_which_beats_the_local_socket() {
        let sock = Path::new("/run/lmgrd.sock");
        assert_eq!(
            targets(Some("1@a"), Some("2@b"), sock).unwrap(),
            [tcp("a", 1)]
        );
        assert_eq!(targets(None, Some("2@b"), sock).unwrap(), [tcp("b", 2)]);
        assert_eq!(
            targets(None, None, sock).unwrap(),
            [Target::Local(sock.into())]
        );
    }
}
