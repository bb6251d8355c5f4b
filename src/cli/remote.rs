//! Talking to the server from a command: `-c` and `-t` as FlexNet reads
//! them, and failures turned into one line with the cause, a hint and
//! FlexNet's exit status.
//!
//! `-t SECONDS` bounds every wait: finding a server among the `-c` targets
//! (all of them share the one deadline), and each answer after that. A
//! server that accepts a connection and never answers therefore ends the
//! command after `-t` seconds, never hangs it.
//!
//! A `-c` target on this host whose port is the local server's (`@localhost`,
//! `27000@127.0.0.1`, `port@this-host-name`…) is reached over the control
//! socket, where changes are accepted from administrators: the local server
//! is asked for its ports (`info`) over the socket the tools use without
//! `-c`, and only when some target names this host.
//!
//! A `-c https://host:port` target is the server's web services: each
//! request goes to `POST /api/v1/request` with an API token (`LMUTIL_TOKEN`,
//! or a file named by `--token-file`/`LMUTIL_TOKEN_FILE`), and the server's
//! certificate is checked against `--ca`, `--fingerprint`, or the
//! fingerprint recorded at the first connection (see [`crate::client::https`]).

mod https;

use std::io;
use std::path::Path;
use std::time::Duration;

use tokio::time::Instant;

use super::exit::{self, CliError};
use crate::client::https::HttpsClient;
use crate::client::select::{self, Target};
use crate::client::{ClientError, Connection};
use crate::flexnet::Code;
use crate::protocol::{Request, Response};
use https::{HttpsSetup, ask_https, https_link, reachable};
pub use https::{TOKEN_ENV, https_args};

/// `-t` when not given, in seconds.
pub const DEFAULT_TIMEOUT: u64 = 10;

/// How a command reaches its server.
enum Link {
    /// The protocol's frames over TCP or the control socket.
    Stream(Connection),
    /// The web services' `POST /api/v1/request`.
    Https(Box<HttpsClient>),
}

/// The transport a server was reached by: it decides which requests the
/// server accepts, and so what a refusal's hint says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The control socket: the operating system says who asks.
    Socket,
    /// TCP: products and status only.
    Tcp,
    /// The web services, with an API token.
    Https,
}

impl Via {
    fn of(target: &Target) -> Via {
        match target {
            Target::Local(_) => Via::Socket,
            Target::Tcp { .. } => Via::Tcp,
            Target::Https { .. } => Via::Https,
        }
    }
}

/// An open connection and where it goes.
pub struct Remote {
    runtime: tokio::runtime::Runtime,
    link: Link,
    timeout: Duration,
    /// The server that answered, as FlexNet prints it (`27000@host`, the
    /// control socket's path, or `https://host:port`).
    pub target: String,
    via: Via,
}

impl Remote {
    /// Connects as `-c` (else the environment, else the local socket) says,
    /// trying each target in order until one accepts, within `-t` seconds.
    pub fn connect(m: &clap::ArgMatches) -> Result<Remote, CliError> {
        let targets = targets(m)?;
        let https = HttpsSetup::from_matches(m, &targets)?;
        let seconds = m.get_one::<u64>("t").copied().unwrap_or(DEFAULT_TIMEOUT);
        let timeout = Duration::from_secs(seconds);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::new(exit::FAILURE, e.to_string()))?;
        let (link, target) = runtime.block_on(async {
            let targets = localize(targets, timeout).await;
            first_answering(&targets, timeout, https.as_ref()).await
        })?;
        Ok(Remote {
            runtime,
            link,
            timeout,
            target: target.display(),
            via: Via::of(&target),
        })
    }

    /// With `-all`: every server among the targets that accepts a
    /// connection, each once (a server named by both of its ports, or by
    /// a port and its control socket, is one server), in the order named.
    /// Without: the first, as [`Remote::connect`].
    pub fn connect_each(m: &clap::ArgMatches) -> Result<Vec<Remote>, CliError> {
        if !m.get_flag("all") {
            return Remote::connect(m).map(|r| vec![r]);
        }
        let seconds = m.get_one::<u64>("t").copied().unwrap_or(DEFAULT_TIMEOUT);
        let timeout = Duration::from_secs(seconds);
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| CliError::new(exit::FAILURE, e.to_string()))
        };
        let targets = runtime()?.block_on(localize(targets(m)?, timeout));
        let https = HttpsSetup::from_matches(m, &targets)?;
        let (mut remotes, mut seen, mut last) = (Vec::new(), Vec::new(), None);
        for t in &targets {
            // A connection belongs to the runtime that opened it.
            let runtime = runtime()?;
            let only = std::slice::from_ref(t);
            let opened = runtime.block_on(first_answering(only, timeout, https.as_ref()));
            let (link, target) = match opened {
                Ok(opened) => opened,
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            let mut remote = Remote {
                runtime,
                link,
                timeout,
                target: target.display(),
                via: Via::of(&target),
            };
            // Who it is: the host and license-manager port it serves.
            if let Ok(Response::Info(i)) = remote.ask(Request::Info) {
                let who = (i.host.clone(), i.lm_port);
                if seen.contains(&who) {
                    continue;
                }
                seen.push(who);
            }
            remotes.push(remote);
        }
        match (remotes.is_empty(), last) {
            (false, _) => Ok(remotes),
            (true, Some(e)) if targets.len() == 1 => Err(e),
            (true, _) => Err(cannot_connect(&tried(&targets), "no server answered")),
        }
    }

    /// Sends a request; a refusal becomes the error to print.
    pub fn ask(&mut self, request: Request) -> Result<Response, CliError> {
        let mut answers = self.ask_all(vec![request])?;
        answers
            .pop()
            .ok_or_else(|| CliError::new(exit::FAILURE, "the server sent no answer"))
    }

    /// Asks every request in one round trip (over HTTPS, one after the
    /// other); their answers, in order.
    pub fn ask_all(&mut self, requests: Vec<Request>) -> Result<Vec<Response>, CliError> {
        let timeout = self.timeout;
        let conn = match &mut self.link {
            Link::Stream(conn) => conn,
            Link::Https(client) => {
                return ask_https(&self.runtime, client, requests, timeout, &self.target);
            }
        };
        let answer = self
            .runtime
            .block_on(async { tokio::time::timeout(timeout, conn.requests(requests)).await });
        match answer {
            Err(_) => Err(no_answer(&self.target, timeout)),
            Ok(Ok(r)) => Ok(r),
            Ok(Err(ClientError::Refused(e))) => Err(refused(e.code, &e.reason, self.via)),
            Ok(Err(e)) => Err(failed(&self.target, &e)),
        }
    }
}

/// What `-all` did to each server: those that did it, by name, and the
/// first refusal, which did not stop the others.
pub struct EachDone {
    pub servers: Vec<String>,
    failed: Option<CliError>,
}

impl EachDone {
    /// Asks each server (a remote and the name it is reported by) for
    /// `request` in turn.
    pub fn ask(each: impl IntoIterator<Item = (Remote, String)>, request: &Request) -> EachDone {
        let (mut servers, mut failed) = (Vec::new(), None);
        for (mut remote, name) in each {
            match remote.ask(request.clone()) {
                Ok(_) => servers.push(name),
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
        EachDone { servers, failed }
    }

    /// Reports those done (when any did it), then ends with the first
    /// refusal, if there was one.
    pub fn finish(
        self,
        report: impl FnOnce(Vec<String>) -> Result<(), CliError>,
    ) -> super::CliResult {
        if !self.servers.is_empty() {
            report(self.servers)?;
        }
        match self.failed {
            Some(e) => Err(e),
            None => Ok(exit::SUCCESS),
        }
    }
}

/// Where to look for the server: `-c`, else `CITRIX_LICENSE_FILE` and
/// `LM_LICENSE_FILE`, else the local server's control socket.
pub fn targets(m: &clap::ArgMatches) -> Result<Vec<Target>, CliError> {
    let spec = m.get_one::<String>("c").map(String::as_str);
    let env = select::from_environment(
        std::env::var("CITRIX_LICENSE_FILE").ok().as_deref(),
        std::env::var("LM_LICENSE_FILE").ok().as_deref(),
    );
    let socket = crate::paths::default_socket();
    select::targets(spec, env.as_deref(), &socket).map_err(|e| {
        CliError::new(exit::USAGE, e.to_string()).hint(
            "-c takes port@host, @host, a license file, a directory of license files, \
             or a list of them separated by ':'",
        )
    })
}

/// `targets` with those that are the local server's reached over its
/// control socket (see [`select::localize`]). When the socket does not
/// answer, or this account may not open it, the targets stay as they are.
async fn localize(targets: Vec<Target>, timeout: Duration) -> Vec<Target> {
    let Ok(me) = crate::license::HostIdentity::current() else {
        return targets;
    };
    if !select::names_this_host(&targets, &me) {
        return targets;
    }
    let socket = crate::paths::default_socket();
    match tokio::time::timeout(timeout, local_ports(&socket)).await {
        Ok(Some(ports)) => select::localize(targets, &me, &socket, &ports),
        _ => targets,
    }
}

/// The TCP ports of the server on the control socket `socket`, if one answers.
async fn local_ports(socket: &Path) -> Option<[u16; 2]> {
    let mut conn = Connection::unix(socket).await.ok()?;
    match conn.request(Request::Info).await.ok()? {
        Response::Info(i) => Some([i.lm_port, i.vendor_port]),
        _ => None,
    }
}

/// The first target that accepts a connection, all within `timeout`.
async fn first_answering(
    targets: &[Target],
    timeout: Duration,
    https: Option<&HttpsSetup>,
) -> Result<(Link, Target), CliError> {
    let deadline = Instant::now() + timeout;
    let mut last = None;
    for t in targets {
        let attempt = async {
            match t {
                Target::Tcp { host, port } => {
                    Connection::tcp(&format!("{host}:{port}")).await.map(Some)
                }
                Target::Local(path) => Connection::unix(path).await.map(Some),
                // Only reachable here; the client connects at its first request.
                Target::Https { host, port } => reachable(host, *port).await.map(|()| None),
            }
        };
        match tokio::time::timeout_at(deadline, attempt).await {
            Err(_) => return Err(unreachable(targets, timeout)),
            Ok(Ok(Some(conn))) => return Ok((Link::Stream(conn), t.clone())),
            Ok(Ok(None)) => return Ok((https_link(t, https, timeout)?, t.clone())),
            Ok(Err(e)) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => failed(&tried(targets), &e),
        None => cannot_connect(&tried(targets), "no server to try"),
    })
}

/// The targets as one address list; a run of three or more ports on one
/// host (what `@host` tries) is written `27000-27009@host`.
pub fn tried(targets: &[Target]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(&str, u16, u16)> = None;
    let flush = |run: Option<(&str, u16, u16)>, out: &mut Vec<String>| {
        if let Some((host, first, last)) = run {
            if last - first >= 2 {
                out.push(format!("{first}-{last}@{host}"));
            } else {
                out.extend((first..=last).map(|port| format!("{port}@{host}")));
            }
        }
    };
    for t in targets {
        match (t, run) {
            (Target::Tcp { host, port }, Some((h, first, last)))
                if h == host.as_str() && last.checked_add(1) == Some(*port) =>
            {
                run = Some((h, first, *port));
            }
            (Target::Tcp { host, port }, _) => {
                flush(run, &mut out);
                run = Some((host, *port, *port));
            }
            (Target::Local(_) | Target::Https { .. }, _) => {
                flush(run.take(), &mut out);
                out.push(t.display());
            }
        }
    }
    flush(run, &mut out);
    out.join(",")
}

const START_HINT: &str =
    "is lmgrd running? start it with `lmgrd`, or name the server with -c port@host";

/// No server answered: which address was tried, and how to start one.
pub fn cannot_connect(tried: &str, cause: &str) -> CliError {
    CliError::new(
        exit::flexnet(Code::CANNOT_CONNECT),
        format!("cannot connect to license server {tried}: {cause}"),
    )
    .hint(START_HINT)
}

/// Nothing accepted a connection within `-t`.
fn unreachable(targets: &[Target], timeout: Duration) -> CliError {
    cannot_connect(
        &tried(targets),
        &format!("no answer within {}", seconds(timeout)),
    )
    .hint("is the host reachable and lmgrd running there? a slow network may need a larger -t")
}

/// The server accepted the connection, then did not answer within `-t`.
fn no_answer(target: &str, timeout: Duration) -> CliError {
    cannot_connect(
        target,
        &format!("connected, but no answer within {}", seconds(timeout)),
    )
    .hint("is it an lmgrd? a very busy server may need a larger -t")
}

/// `1 second`, `10 seconds`.
fn seconds(d: Duration) -> String {
    match d.as_secs() {
        1 => "1 second".to_owned(),
        n => format!("{n} seconds"),
    }
}

/// Connecting or talking failed: the cause in words, and what to do.
fn failed(tried: &str, e: &ClientError) -> CliError {
    match e {
        ClientError::Connect { source, .. } => {
            let error = cannot_connect(tried, &io_cause(source));
            match source.kind() {
                io::ErrorKind::PermissionDenied => error.hint(
                    "the control socket admits only lmgrd's account and group: run this as one \
                     of them, or read the status over TCP with -c port@host",
                ),
                _ => error,
            }
        }
        other => cannot_connect(tried, &other.to_string()),
    }
}

/// An I/O error as a lower-case fragment, without the OS error number.
fn io_cause(e: &io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(at) => &text[..at],
        None => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text.to_owned(),
    }
}

/// The server said no: FlexNet's text, the reason, and what to do.
pub fn refused(code: Code, reason: &str, via: Via) -> CliError {
    let e = CliError::new(exit::flexnet(code), format!("{code} {reason}"));
    match code {
        Code::NOT_ALLOWED if via == Via::Tcp => e.hint(
            "over TCP the server serves products and status only: run the command on the \
             license server's host as an administrator, without -c or with -c @localhost, \
             so that it goes over the control socket (LMGRD_SOCKET names it when lmgrd was \
             started with --socket elsewhere)",
        ),
        // The server says how to enable a disabled request; nothing to add.
        Code::NOT_ALLOWED if reason.contains("disabled") => e,
        Code::NOT_ALLOWED if via == Via::Https => e.hint(
            "it needs the admin role: the token acts as its account, which an administrator \
             makes admin with CtxManageUserAndGroup -useradd \"domain\\name\" -Role admin",
        ),
        Code::NOT_ALLOWED => e.hint(
            "it needs the admin role: root, the account lmgrd runs as, or an account an \
             administrator made admin with CtxManageUserAndGroup -useradd \"domain\\name\" -Role admin",
        ),
        _ => e,
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
    fn a_run_of_ports_is_written_as_a_range() {
        let at_host = select::resolve("@lic1").unwrap();
        assert_eq!(tried(&at_host), "27000-27009@lic1");
        let list = [
            tcp("a", 27000),
            tcp("a", 27002),
            tcp("b", 27003),
            Target::Local("/run/lmgrd.sock".into()),
            tcp("b", 27004),
        ];
        assert_eq!(
            tried(&list),
            "27000@a,27002@a,27003@b,/run/lmgrd.sock,27004@b"
        );
        assert_eq!(tried(&[tcp("a", 65535)]), "65535@a");
        assert_eq!(tried(&[tcp("a", 1), tcp("a", 2)]), "1@a,2@a");
    }

    #[test]
    fn an_io_error_reads_as_a_lower_case_fragment() {
        let e = io::Error::from_raw_os_error(111);
        assert_eq!(io_cause(&e), "connection refused");
    }

    #[test]
    fn a_refusal_hints_at_the_transport_or_the_role() {
        let remote = refused(Code::NOT_ALLOWED, "lmreread is only accepted…", Via::Tcp);
        assert!(remote.hint.unwrap().contains("-c @localhost"));
        let user = refused(
            Code::NOT_ALLOWED,
            "lmreread needs the admin role",
            Via::Socket,
        );
        assert!(user.hint.unwrap().contains("-Role admin"));
        let token = refused(
            Code::NOT_ALLOWED,
            "lmreread needs the admin role",
            Via::Https,
        );
        assert!(
            token
                .hint
                .unwrap()
                .contains("the token acts as its account")
        );
        let disabled = refused(
            Code::NOT_ALLOWED,
            "lmdown is disabled on this server",
            Via::Socket,
        );
        assert!(disabled.hint.is_none());
        assert_eq!(disabled.status, 256 - 63);
    }
}
