//! `-c https://host:port`: the commands' requests to the server's web
//! services (`POST /api/v1/request`), with the API token the options or the
//! environment give and the server's certificate trusted as `--ca`,
//! `--fingerprint` or the known-servers file says ([`crate::client::https`]);
//! the server's refusals and a changed certificate in FlexNet's words.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Arg;

use super::{Link, Via, cannot_connect, io_cause, no_answer, refused};
use crate::cli::exit::{self, CliError};
use crate::client::ClientError;
use crate::client::https::{HttpsClient, HttpsError, KnownServers, Trust};
use crate::client::select::Target;
use crate::flexnet::Code;
use crate::protocol::{Request, Response};

/// The environment variable that holds an API token for `-c https://…`.
pub const TOKEN_ENV: &str = "LMUTIL_TOKEN";

/// Sends each request to the web services in turn; the first refusal ends.
pub(super) fn ask_https(
    runtime: &tokio::runtime::Runtime,
    client: &mut HttpsClient,
    requests: Vec<Request>,
    timeout: Duration,
    target: &str,
) -> Result<Vec<Response>, CliError> {
    let mut answers = Vec::with_capacity(requests.len());
    for request in requests {
        let answer = runtime
            .block_on(async { tokio::time::timeout(timeout, client.request(&request)).await });
        let answer = match answer {
            Err(_) => return Err(no_answer(target, timeout)),
            Ok(answer) => answer,
        };
        let exchanged = !matches!(
            answer,
            Err(HttpsError::Transport(_) | HttpsError::Changed { .. })
        );
        if exchanged {
            remember_first_use(client)?;
        }
        answers.push(answer.map_err(|e| https_failed(target, e))?);
    }
    Ok(answers)
}

/// After the first exchange with a server met for the first time: records
/// its certificate's fingerprint and says so on stderr, as ssh does.
fn remember_first_use(client: &mut HttpsClient) -> Result<(), CliError> {
    let first = client
        .remember()
        .map_err(|e| CliError::new(exit::FAILURE, e.to_string()))?;
    if let Some(f) = first {
        eprintln!(
            "lmutil: first connection to {}: its certificate's SHA-256 fingerprint is {}; \
             recorded in {} (compare it with https_fingerprint in the server's lmgrd.status.json)",
            f.server,
            f.fingerprint,
            f.file.display()
        );
    }
    Ok(())
}

/// A request over HTTPS failed: the refusal or the cause, FlexNet's way.
fn https_failed(target: &str, e: HttpsError) -> CliError {
    let not_allowed = exit::flexnet(Code::NOT_ALLOWED);
    match e {
        HttpsError::Refused(e) => refused(e.code, &e.reason, Via::Https),
        HttpsError::Denied {
            status: 401,
            reason,
        } => CliError::new(
            not_allowed,
            format!(
                "{} {target} refused the API token: {reason}",
                Code::NOT_ALLOWED
            ),
        )
        .hint(TOKEN_HINT),
        HttpsError::Denied {
            status: 429,
            reason,
        } => CliError::new(
            not_allowed,
            format!("{} {target}: {reason}", Code::NOT_ALLOWED),
        )
        .hint("the server refuses an address for a minute after 10 failed authentications"),
        HttpsError::Denied { status, reason } => {
            cannot_connect(target, &format!("HTTP {status}: {reason}"))
        }
        e @ HttpsError::Changed {
            how: "recorded", ..
        } => CliError::new(exit::flexnet(Code::CANNOT_CONNECT), e.to_string()).hint(
            "if the server's certificate was changed on purpose, compare the new \
                 fingerprint with https_fingerprint in its lmgrd.status.json (lmgrd prints \
                 it at start), then remove the server's line from that file",
        ),
        e @ HttpsError::Changed { .. } => {
            CliError::new(exit::flexnet(Code::CANNOT_CONNECT), e.to_string())
                .hint("is --fingerprint the one in the server's lmgrd.status.json?")
        }
        HttpsError::Transport(cause) => cannot_connect(target, &cause).hint(
            "is lmgrd's HTTPS port (--http-port, 8083 by default) reachable? with --ca, \
             the server's certificate must be issued by that CA for the host in the URL",
        ),
        other => CliError::new(exit::FAILURE, other.to_string()),
    }
}

const TOKEN_HINT: &str = "make a token with `lmutil lmtoken -create NAME` on the server's host, \
     and give it in LMUTIL_TOKEN, or in a file named by --token-file or LMUTIL_TOKEN_FILE";

/// What `-c https://…` needs: the API token, and how to trust the server.
#[derive(Debug, Clone)]
pub(super) struct HttpsSetup {
    token: String,
    trust: Trust,
}

impl HttpsSetup {
    /// The token and trust the options and environment give, when some
    /// target is an https one (else nothing is read).
    pub(super) fn from_matches(
        m: &clap::ArgMatches,
        targets: &[Target],
    ) -> Result<Option<HttpsSetup>, CliError> {
        if !targets.iter().any(|t| matches!(t, Target::Https { .. })) {
            return Ok(None);
        }
        let token = token(m)?;
        let fail = |e: HttpsError| CliError::new(exit::USAGE, e.to_string());
        let pinned = m.try_get_one::<String>("fingerprint").ok().flatten();
        let trust = match (pinned, path_arg(m, "ca")) {
            (Some(fp), _) => {
                Trust::Pinned(crate::client::https::normalize_fingerprint(fp).map_err(fail)?)
            }
            (None, Some(ca)) => Trust::ca_file(&ca).map_err(fail)?,
            (None, None) => Trust::FirstUse(KnownServers::default_file()),
        };
        Ok(Some(HttpsSetup { token, trust }))
    }
}

/// An option's value as a path, when the command has it and it was given.
fn path_arg(m: &clap::ArgMatches, id: &str) -> Option<PathBuf> {
    m.try_get_one::<PathBuf>(id).ok().flatten().cloned()
}

/// The API token: from `--token-file` (or `LMUTIL_TOKEN_FILE`), else
/// `LMUTIL_TOKEN`.
fn token(m: &clap::ArgMatches) -> Result<String, CliError> {
    if let Some(file) = path_arg(m, "token-file") {
        return token_file(&file);
    }
    match std::env::var(TOKEN_ENV) {
        Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_owned()),
        _ => Err(CliError::new(exit::USAGE, "-c https://… needs an API token").hint(TOKEN_HINT)),
    }
}

/// The token kept in `path`, which no other account may read.
fn token_file(path: &Path) -> Result<String, CliError> {
    let fail =
        |why: String| CliError::new(exit::USAGE, format!("token file {}: {why}", path.display()));
    let meta = std::fs::metadata(path).map_err(|e| fail(io_cause(&e)))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(fail(format!(
                "other accounts may read it (mode {mode:o}); a token is a password"
            ))
            .hint(format!("chmod 600 {}", path.display())));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text = std::fs::read_to_string(path).map_err(|e| fail(io_cause(&e)))?;
    match text.trim() {
        "" => Err(fail("it is empty".to_owned())),
        t => Ok(t.to_owned()),
    }
}

/// The options of `-c https://…`, on every command that takes `-c`.
pub fn https_args() -> [Arg; 3] {
    [
        Arg::new("token-file")
            .long("token-file")
            .value_name("FILE")
            .env("LMUTIL_TOKEN_FILE")
            .value_parser(clap::value_parser!(PathBuf))
            .help("With -c https://…: the API token is in FILE, readable by you only (default: LMUTIL_TOKEN)"),
        Arg::new("ca")
            .long("ca")
            .value_name("FILE")
            .env("LMUTIL_CA")
            .value_parser(clap::value_parser!(PathBuf))
            .help("With -c https://…: trust the server's certificate if a CA of FILE (PEM) issued it for the host named"),
        Arg::new("fingerprint")
            .long("fingerprint")
            .value_name("HEX")
            .help("With -c https://…: trust only the certificate with this SHA-256 fingerprint (default: the one recorded at the first connection, in the known-servers file or LMUTIL_KNOWN_SERVERS)"),
    ]
}

/// Whether `host:port` accepts a TCP connection.
pub(super) async fn reachable(host: &str, port: u16) -> Result<(), ClientError> {
    let addr = format!("{host}:{port}");
    match tokio::net::TcpStream::connect((host, port)).await {
        Ok(_) => Ok(()),
        Err(source) => Err(ClientError::Connect { addr, source }),
    }
}

/// The web services' client for the https target `t`.
pub(super) fn https_link(
    t: &Target,
    https: Option<&HttpsSetup>,
    timeout: Duration,
) -> Result<Link, CliError> {
    let (Target::Https { host, port }, Some(setup)) = (t, https) else {
        return Err(CliError::new(exit::FAILURE, "no https target to reach"));
    };
    HttpsClient::new(host, *port, &setup.token, setup.trust.clone(), timeout)
        .map(|c| Link::Https(Box::new(c)))
        .map_err(|e| CliError::new(exit::FAILURE, e.to_string()))
}
