//! Which server to talk to: FlexNet's `-c` specification.
//!
//! An element is `port@host`, `@host` (the ports 27000–27009, in order), a
//! license file (its SERVER lines name the host and port), a directory
//! (every `*.lic` in it), or `https://host[:port]` (the server's web
//! services, port 8083 by default, with an API token). Elements are separated by `:` on Unix (`;` on
//! Windows); a `port@host` list inside one element is comma-separated (a
//! three-server set). Without `-c`, `CITRIX_LICENSE_FILE` then
//! `LM_LICENSE_FILE` are used (FlexNet puts the vendor's variable first),
//! and without either, the local server's control socket.
//!
//! A target on this host whose port is the local server's is reached over
//! the control socket instead of TCP ([`localize`]): there the operating
//! system says who is calling, so an administrator on the server's host can
//! type what the Citrix guide says (`lmreread -c @localhost -all`).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::license::load::{load_dir, load_file};
use crate::license::{HostIdentity, Item};

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
    /// The web services of the server at `https://host:port`.
    Https { host: String, port: u16 },
}

impl Target {
    /// How FlexNet prints it: `27000@host`, or the socket's path.
    pub fn display(&self) -> String {
        match self {
            Target::Tcp { host, port } => format!("{port}@{host}"),
            Target::Local(p) => p.display().to_string(),
            Target::Https { host, port } if host.contains(':') => {
                format!("https://[{host}]:{port}")
            }
            Target::Https { host, port } => format!("https://{host}:{port}"),
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
    #[error("`{0}` is not https://host or https://host:port")]
    BadUrl(String),
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

/// Splits on the separator, except inside an `https://host:port` element,
/// whose own colons end at its port.
fn split_elements(spec: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = spec;
    loop {
        let (element, next) = match url_length(rest.trim_start()) {
            Some(n) => {
                let start = rest.len() - rest.trim_start().len();
                let (url, after) = rest.split_at(start + n);
                (url, after.strip_prefix(SEPARATOR))
            }
            None => match rest.split_once(SEPARATOR) {
                Some((element, after)) => (element, Some(after)),
                None => (rest, None),
            },
        };
        let element = element.trim();
        if !element.is_empty() {
            out.push(element);
        }
        match next {
            Some(after) => rest = after,
            None => return out,
        }
    }
}

/// The length of the `https://host[:port]…` at the start of `text` (up to
/// the first separator after its port), when it starts with one.
fn url_length(text: &str) -> Option<usize> {
    let scheme = text.get(..HTTPS.len())?;
    if !scheme.eq_ignore_ascii_case(HTTPS) {
        return None;
    }
    let after = &text[HTTPS.len()..];
    // An IPv6 address in brackets holds colons of its own.
    let host_end = match after.strip_prefix('[') {
        Some(inner) => inner.find(']').map_or(after.len(), |i| i + 2),
        None => after.find([':', '/', SEPARATOR]).unwrap_or(after.len()),
    };
    let mut end = host_end;
    if let Some(port) = after[end..].strip_prefix(':') {
        end += 1 + port
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(port.len());
    }
    // Whatever follows, up to the separator, is the URL's (and refused
    // there unless it is a `/`).
    end += after[end..].find(SEPARATOR).unwrap_or(after.len() - end);
    Some(HTTPS.len() + end)
}

/// How a web-services element begins.
const HTTPS: &str = "https://";

/// `https://host[:port][/]`: the server's web services.
fn https_url(text: &str) -> Result<Target, SelectError> {
    let bad = || SelectError::BadUrl(text.to_owned());
    let rest = text.get(HTTPS.len()..).ok_or_else(bad)?;
    let authority = rest.trim_end_matches('/');
    if authority.contains('/') {
        return Err(bad());
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(inner) => {
            let (host, after) = inner.split_once(']').ok_or_else(bad)?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = match port {
        None => crate::paths::HTTP_PORT,
        Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad)?,
    };
    if host.is_empty() || host.contains(['@', ' ']) {
        return Err(bad());
    }
    Ok(Target::Https {
        host: host.to_owned(),
        port,
    })
}

fn resolve_element(element: &str) -> Result<Vec<Target>, SelectError> {
    if url_length(element).is_some() {
        return Ok(vec![https_url(element)?]);
    }
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

/// Whether `host` names this machine, without asking a name service:
/// `localhost` (any case, also `localhost.localdomain`), a loopback address
/// (`127.0.0.1`, `::1`), this host's name (any case, with or without its
/// domain: `lic1` and `lic1.example.com` for a host named either, but not
/// `lic1.other.example` for `lic1.example.com`), or one
/// of its interfaces' addresses. `this_host` in a license file's SERVER
/// line reaches here as `localhost`.
pub fn is_this_host(host: &str, me: &HostIdentity) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return ip.is_loopback() || me.addresses.contains(&ip);
    }
    host.eq_ignore_ascii_case("localhost")
        || host.eq_ignore_ascii_case("localhost.localdomain")
        || same_host_name(host, &me.hostname)
}

/// `lic1` and `lic1.example.com` name one host when one of them is the
/// short form of the other; two different domains never do.
fn same_host_name(a: &str, b: &str) -> bool {
    let short = |name: &str| name.split('.').next().unwrap_or(name).to_owned();
    !a.is_empty()
        && !b.is_empty()
        && (a.eq_ignore_ascii_case(b)
            || (!a.contains('.') && a.eq_ignore_ascii_case(&short(b)))
            || (!b.contains('.') && b.eq_ignore_ascii_case(&short(a))))
}

/// Whether some target is a TCP one on this host: only then is the local
/// server worth asking for its ports.
pub fn names_this_host(targets: &[Target], me: &HostIdentity) -> bool {
    targets
        .iter()
        .any(|t| matches!(t, Target::Tcp { host, .. } if is_this_host(host, me)))
}

/// `targets` with every TCP target on this host whose port is one of the
/// local server's `ports` (license manager, vendor daemon) replaced by that
/// server's control `socket`, tried once, where the first of them was.
pub fn localize(
    targets: Vec<Target>,
    me: &HostIdentity,
    socket: &Path,
    ports: &[u16],
) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    for t in targets {
        let t = match &t {
            Target::Tcp { host, port } if ports.contains(port) && is_this_host(host, me) => {
                Target::Local(socket.to_owned())
            }
            _ => t,
        };
        if !(matches!(t, Target::Local(_)) && out.contains(&t)) {
            out.push(t);
        }
    }
    out
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

    fn https(host: &str, port: u16) -> Target {
        Target::Https {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn https_urls_keep_their_colons_in_a_list() {
        assert_eq!(resolve("https://lic1:9443").unwrap(), [https("lic1", 9443)]);
        assert_eq!(resolve("HTTPS://lic1/").unwrap(), [https("lic1", 8083)]);
        assert_eq!(
            resolve("27000@a:https://lic1:9443:https://[::1]:8443:@b").unwrap()[..3],
            [tcp("a", 27000), https("lic1", 9443), https("::1", 8443)]
        );
        assert_eq!(https("::1", 8443).display(), "https://[::1]:8443");
        for bad in [
            "https://",
            "https://lic1:0",
            "https://lic1:x",
            "https://a/b",
        ] {
            assert!(matches!(resolve(bad), Err(SelectError::BadUrl(_))), "{bad}");
        }
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

    fn me() -> HostIdentity {
        HostIdentity {
            hostname: "Lic1.example.com".into(),
            ethers: vec![],
            addresses: vec!["10.1.2.3".parse().unwrap()],
        }
    }

    #[test]
    fn this_host_by_name_loopback_or_address_never_by_a_guess() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "lic1",
            "LIC1.example.com",
            "10.1.2.3",
        ] {
            assert!(is_this_host(host, &me()), "{host}");
        }
        let short = HostIdentity {
            hostname: "lic1".into(),
            ..me()
        };
        assert!(is_this_host("lic1.example.com", &short));
        for host in [
            "lic2",
            "lic1.other.domain",
            "lic1x",
            "10.1.2.4",
            "example.com",
            "",
            "0.0.0.0",
        ] {
            assert!(!is_this_host(host, &me()), "{host}");
        }
    }

    #[test]
    fn only_this_hosts_targets_on_the_servers_ports_go_to_the_socket() {
        let sock = Path::new("/run/lmgrd/lmgrd.sock");
        let local = Target::Local(sock.into());
        // @localhost tries 27000 first: the local server, over its socket.
        let at_localhost = localize(resolve("@localhost").unwrap(), &me(), sock, &[27000, 7279]);
        assert_eq!(at_localhost[..2], [local.clone(), tcp("localhost", 27001)]);
        assert_eq!(at_localhost.len(), 10);
        // @host tries 27000 to 27009: a server on 27003 is found at its place.
        let found = localize(resolve("@lic1").unwrap(), &me(), sock, &[27003, 7279]);
        assert_eq!(
            found[..3],
            [tcp("lic1", 27000), tcp("lic1", 27001), tcp("lic1", 27002)]
        );
        assert_eq!(found[3], local);
        assert_eq!(found.len(), 10);
        // Another port, or another host, stays TCP.
        let other = resolve("27001@localhost:27000@lic2:7279@10.1.2.3").unwrap();
        assert_eq!(
            localize(other, &me(), sock, &[27000, 7279]),
            [tcp("localhost", 27001), tcp("lic2", 27000), local]
        );
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
