//! `lmdiag [feature[:KEYWORD=value]]`: for each license line that could
//! serve (of one feature, or every installed one, the built-in start-up and
//! diagnostics licenses included), whether it can be checked out now and,
//! if not, exactly why; and which TCP ports answer. A line that works gets
//! exactly `This license can be checked out` (monitoring checks grep for
//! it).
//!
//! The checkout attempt is decided by the server exactly as a checkout,
//! without holding a license: diagnosing never starts a 90-day lease. With
//! no server answering, lmdiag still reads the license files (those `-c`
//! names, else the license directory: `LMGRD_LICENSE_DIR`, else the
//! default one) and says what it finds in them and which ports answer;
//! `--json` then prints a [`Failure`] document.

use std::io::{self, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use chrono::Local;
use clap::{Arg, ArgAction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exit::{self, CliError};
use super::remote::{self, Remote};
use super::render::{self, Format, Report};
use super::{CliResult, Ctx, lmstat};
use crate::client::select::{self, Target};
use crate::flexnet::Code;
use crate::license::Expiry;
use crate::license::date::format_date;
use crate::protocol::alerts::Alert;
use crate::protocol::diagnosis::{DiagLine, Diagnosis, Keys, Skipped};
use crate::protocol::status::{StatusPart, StatusQuery};
use crate::protocol::{Request, Response, ServerInfo};

const RULE: &str = "-----------------------------------------------------";

pub fn command() -> clap::Command {
    clap::Command::new("lmdiag")
        .about("Diagnose license checkout problems, line by line")
        .arg(lmstat::server_arg())
        .arg(Arg::new("n").short('n').action(ArgAction::SetTrue).help("Never prompt"))
        .arg(
            Arg::new("feature")
                .value_name("FEATURE[:KEYWORD=VALUE]")
                .help("One feature (every installed one when omitted); KEYWORD is VERSION, HOSTID, EXPDATE, KEY, VENDOR_STRING or ISSUER")
                .long_help(
                    "One feature (every installed one, the built-in CITRIX and CTXLSDIAG \
                     included, when omitted), or the lines of it whose KEYWORD (VERSION, HOSTID, \
                     EXPDATE, KEY, VENDOR_STRING or ISSUER) has that value. A VERSION that no line \
                     carries is taken as a product's version: every line of the feature is \
                     shown, and those with an older css date say why they cannot serve it (-21).",
                ),
        )
        .arg(lmstat::timeout_arg())
        .arg(render::json_arg())
}

/// What lmdiag writes with `--json`: the diagnosis through the server,
/// or why there is none (and what the license files say).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Output {
    Diag(Diag),
    Failure(Failure),
}

/// What lmdiag found through the server.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Diag {
    pub server: ServerInfo,
    pub diagnosis: Diagnosis,
    /// TCP ports tried on the server's host, and whether each answered.
    pub ports: Vec<PortCheck>,
    /// The server's active alerts (of the feature asked about, or all).
    #[serde(default)]
    pub alerts: Vec<Alert>,
}

/// Why lmdiag could not diagnose through a server, and what it could see
/// without one.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Failure {
    pub error: Problem,
    /// The servers tried, as FlexNet lists them (`27000-27009@host`).
    pub tried: String,
    /// The license files as read here, each line with why it cannot be
    /// checked out now; `null` when no license file could be read.
    pub diagnosis: Option<Diagnosis>,
    /// TCP ports tried on the first server's host, and whether each answered.
    pub ports: Vec<PortCheck>,
}

/// A failure as the command reports it.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    /// FlexNet's error number (e.g. -15: cannot connect), when there is one.
    pub code: Option<Code>,
    /// The one line printed on standard error, without the hint.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Problem {
    fn of(e: &CliError) -> Problem {
        // FlexNet's numbers are exit statuses 256 + n (n < 0); 0, 1 and 2
        // are ours.
        let code = (e.status > exit::USAGE).then(|| Code::of(e.status - 256));
        Problem {
            code,
            message: e.message.clone(),
            hint: e.hint.clone(),
        }
    }
}

/// One TCP port of the server's host.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct PortCheck {
    /// The address tried: the host of `-c`, or 127.0.0.1 for the local server.
    pub host: String,
    pub port: u16,
    /// `license manager` or `CITRIX vendor daemon`.
    pub role: String,
    /// Whether a TCP connection to it was accepted.
    pub answers: bool,
}

/// `TCP port 27000 (license manager) on host: answers`.
impl std::fmt::Display for PortCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.answers {
            "answers"
        } else {
            "does not answer"
        };
        write!(
            f,
            "TCP port {} ({}) on {}: {state}",
            self.port, self.role, self.host
        )
    }
}

fn check_ports(host: &str, ports: &[(u16, &str)]) -> Vec<PortCheck> {
    ports
        .iter()
        .map(|(port, role)| PortCheck {
            host: host.to_owned(),
            port: *port,
            role: (*role).to_owned(),
            answers: answers(host, *port),
        })
        .collect()
}

fn answers(host: &str, port: u16) -> bool {
    let Ok(addrs) = (host, port).to_socket_addrs() else {
        return false;
    };
    addrs
        .into_iter()
        .any(|a| TcpStream::connect_timeout(&a, Duration::from_secs(1)).is_ok())
}

/// `feature[:KEYWORD=value]` as a filter on lines.
fn matches(line: &DiagLine, keyword: &str, value: &str) -> bool {
    match keyword.to_ascii_uppercase().as_str() {
        "VERSION" => line.version == value,
        "HOSTID" => line.binding.iter().any(|b| b == value),
        "EXPDATE" => Expiry::parse(value).is_ok_and(|e| e == line.expiry),
        "KEY" | "SIGN" => line
            .sign
            .as_deref()
            .is_some_and(|s| s.starts_with(&value.replace(' ', "").to_ascii_uppercase())),
        "VENDOR_STRING" => line.vendor_string.as_deref() == Some(value),
        "ISSUER" => line.issuer.as_deref() == Some(value),
        _ => false,
    }
}

/// `VERSION=v` naming no line's css date exactly is read as the version a
/// product asks for: every line of the feature stays, and those whose css
/// date is older than `v` say they cannot serve it (-21). Returns false
/// (FlexNet's filter applies) when some line has exactly that version.
fn product_version(lines: &mut [DiagLine], keyword: &str, value: &str) -> bool {
    use crate::license::Version;
    let Ok(asked) = Version::parse(value) else {
        return false;
    };
    if !keyword.eq_ignore_ascii_case("VERSION") || lines.iter().any(|l| l.version == value) {
        return false;
    }
    for l in lines.iter_mut() {
        if Version::parse(&l.version).is_ok_and(|css| css < asked) {
            l.can_check_out = false;
            l.code = Some(Code::VERSION_TOO_NEW);
            l.reason = Some(format!(
                "a product of version {asked} needs a license whose Customer Success Services \
                 date is {asked} or later; this line's is {}",
                l.version
            ));
        }
    }
    true
}

/// `FlexNet diagnostics on Www M/D/YYYY HH:MM`.
fn diagnostics_on() -> String {
    render::stamp("FlexNet diagnostics on", Local::now())
}

/// The `License file:` of a group of lines.
fn file_label(l: &DiagLine) -> &str {
    if l.built_in {
        "(built into the CITRIX vendor daemon)"
    } else {
        &l.file
    }
}

/// Writes a diagnosis as FlexNet's lmdiag does: each file's name between
/// dash lines, then each of its lines and a dash line (which also opens the
/// next file's name); then what was not loaded or read. `server` is the
/// `License server:` of every line.
fn write_diagnosis(d: &Diagnosis, server: &str, w: &mut dyn Write) -> io::Result<()> {
    let mut file = None;
    for l in &d.lines {
        let label = file_label(l);
        if file != Some(label) {
            if file.is_none() {
                writeln!(w, "{RULE}")?;
            }
            file = Some(label);
            writeln!(w, "License file: {label}")?;
            writeln!(w, "{RULE}")?;
        }
        write_line(d, l, server, w)?;
    }
    for s in &d.skipped {
        writeln!(w, "Not loaded: {}: {}", s.path, s.reason)?;
    }
    for k in &d.keys.bad {
        writeln!(w, "Not using key file {}: {}", k.path, k.reason)?;
    }
    for e in &d.errors {
        writeln!(w, "Not read: {e}")?;
    }
    Ok(())
}

/// One line's block, ending with a dash line.
fn write_line(d: &Diagnosis, l: &DiagLine, server: &str, w: &mut dyn Write) -> io::Result<()> {
    let expiry = render::expiry(l.expiry);
    writeln!(
        w,
        "\"{}\" v{}, vendor: CITRIX, expiry: {expiry}",
        l.feature, l.version
    )?;
    writeln!(w, "License server: {server}")?;
    let starts = l
        .start
        .map(|d| format!("  starts: {},", format_date(d)))
        .unwrap_or_default();
    let expires = match l.expiry {
        Expiry::Permanent => "no expiration date".to_owned(),
        Expiry::On(d) => format!("expires: {}", format_date(d)),
    };
    let kind = if l.count == "uncounted" {
        "uncounted nodelocked license"
    } else {
        "floating license"
    };
    writeln!(w, "  {kind}{starts}  {expires}")?;
    writeln!(w)?;
    if l.can_check_out {
        writeln!(w, "This license can be checked out")?;
    } else {
        let code = l.code.unwrap_or(Code::NO_LICENSE_FILE);
        writeln!(w, "This license cannot be checked out because:")?;
        writeln!(w, "{code}")?;
        if let Some(reason) = &l.reason {
            writeln!(w, "{reason}")?;
        }
        if code == Code::INVALID_HOST {
            writeln!(w, "This host's IDs: {}", host_ids(d))?;
        }
    }
    writeln!(w, "{RULE}")
}

fn host_ids(d: &Diagnosis) -> String {
    let h = &d.host;
    let mut ids = vec![format!("HOSTNAME={}", h.hostname)];
    ids.extend(h.ethers.iter().cloned());
    ids.extend(
        h.addresses
            .iter()
            .filter(|a| a.is_ipv4())
            .map(|a| format!("INTERNET={a}")),
    );
    ids.join(" ")
}

impl Report for Diag {
    fn text(&self, invoked: &str, w: &mut dyn Write) -> io::Result<()> {
        render::header(invoked, w)?;
        writeln!(w, "{}", diagnostics_on())?;
        writeln!(w)?;
        let server = format!("{}@{}", self.server.lm_port, self.server.host);
        write_diagnosis(&self.diagnosis, &server, w)?;
        if self.diagnosis.lines.is_empty() {
            writeln!(
                w,
                "No license line for that feature is installed. ({})",
                Code::NO_SUCH_FEATURE
            )?;
        }
        writeln!(w)?;
        for p in &self.ports {
            writeln!(w, "{p}")?;
        }
        write_alerts(&self.alerts, w)
    }
}

/// The active alerts, after everything FlexNet's lmdiag prints, on lines
/// of their own shape (`alert: KIND, feature F, …`): no quoted feature, no
/// `vendor:`, nothing a parser of lmdiag's blocks matches. Nothing when
/// none is active.
fn write_alerts(alerts: &[Alert], w: &mut dyn Write) -> io::Result<()> {
    if alerts.is_empty() {
        return Ok(());
    }
    writeln!(w)?;
    writeln!(w, "Active alerts: {}", alerts.len())?;
    for a in alerts {
        let mut about = format!("alert: {}, feature {}", a.kind.name(), a.feature);
        if let Some(v) = &a.version {
            about.push_str(&format!(", version {v}"));
        }
        if let Some(e) = &a.expiry {
            about.push_str(&format!(", expiry {e}"));
        }
        let since = chrono::DateTime::from_timestamp(a.since, 0)
            .unwrap_or_default()
            .with_timezone(&Local)
            .format("%-m/%-d/%Y %H:%M");
        writeln!(w, "  {about}: {} (since {since})", a.detail)?;
    }
    Ok(())
}

/// No server: FlexNet's -15 for the servers tried and which ports answer,
/// then what the license files say.
impl Report for Failure {
    fn text(&self, invoked: &str, w: &mut dyn Write) -> io::Result<()> {
        render::header(invoked, w)?;
        writeln!(w, "{}", diagnostics_on())?;
        writeln!(w)?;
        writeln!(w, "{RULE}")?;
        writeln!(w, "License server: {}", self.tried)?;
        writeln!(w, "{RULE}")?;
        writeln!(w, "This license cannot be checked out because:")?;
        let code = self.error.code.unwrap_or(Code::CANNOT_CONNECT);
        writeln!(w, "{code}")?;
        for p in &self.ports {
            writeln!(w, "{p}")?;
        }
        if let Some(d) = &self.diagnosis {
            writeln!(w)?;
            writeln!(w, "What the license files say, read on this host:")?;
            write_diagnosis(d, &self.tried, w)?;
        }
        Ok(())
    }
}

/// The feature and the `KEYWORD=value` filter of the argument.
fn feature_and_filter(m: &clap::ArgMatches) -> (Option<String>, Option<(String, String)>) {
    let spec = m.get_one::<String>("feature").cloned().unwrap_or_default();
    let (feature, filter) = match spec.split_once(':') {
        Some((f, kv)) => (
            f.to_owned(),
            kv.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
        ),
        None => (spec.clone(), None),
    };
    ((!feature.is_empty()).then_some(feature), filter)
}

/// Keeps the lines `KEYWORD=value` names (or, for a product's version, says
/// which lines cannot serve it).
fn apply_filter(d: &mut Diagnosis, filter: &Option<(String, String)>) {
    if let Some((k, v)) = filter
        && !product_version(&mut d.lines, k, v)
    {
        d.lines.retain(|l| matches(l, k, v));
    }
}

/// The exit status of a complete diagnosis: -5 when no line is shown, the
/// first refusal's number, else success.
fn status_of(d: &Diagnosis) -> i32 {
    let failed = d.lines.iter().find(|l| !l.can_check_out);
    match (d.lines.is_empty(), failed) {
        (true, _) => exit::flexnet(Code::NO_SUCH_FEATURE),
        (false, Some(l)) => exit::flexnet(l.code.unwrap_or(Code::NO_LICENSE_FILE)),
        (false, None) => exit::SUCCESS,
    }
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    let format = Format::from_matches(m);
    let mut remote = match Remote::connect(m) {
        Ok(r) => r,
        Err(e) => return unreachable(m, ctx, format, e),
    };
    match through(m, &mut remote) {
        Ok(report) => {
            let status = status_of(&report.diagnosis);
            render::emit(&report, format, ctx.invoked, ctx.out)?;
            Ok(status)
        }
        Err(e) => {
            if format == Format::Json {
                let failure = Failure {
                    error: Problem::of(&e),
                    tried: remote.target.clone(),
                    diagnosis: None,
                    ports: Vec::new(),
                };
                render::emit(&failure, format, ctx.invoked, ctx.out)?;
            }
            Err(e)
        }
    }
}

/// The diagnosis through the server `remote` reached.
fn through(m: &clap::ArgMatches, remote: &mut Remote) -> Result<Diag, CliError> {
    let (feature, filter) = feature_and_filter(m);
    let unexpected =
        |other: Response| CliError::new(exit::FAILURE, format!("unexpected answer {other:?}"));
    let server = match remote.ask(Request::Info)? {
        Response::Info(i) => i,
        other => return Err(unexpected(other)),
    };
    let mut diagnosis = match remote.ask(Request::Diagnose {
        feature: feature.clone(),
    })? {
        Response::Diagnosis(d) => *d,
        other => return Err(unexpected(other)),
    };
    let parts = vec![StatusPart::Alerts];
    let alerts = match remote.ask(Request::Status(StatusQuery { feature, parts }))? {
        Response::Status(s) => s.alerts,
        other => return Err(unexpected(other)),
    };
    apply_filter(&mut diagnosis, &filter);
    let ports = check_ports(
        &tcp_host(&remote.target),
        &[
            (server.lm_port, "license manager"),
            (server.vendor_port, "CITRIX vendor daemon"),
        ],
    );
    Ok(Diag {
        server,
        diagnosis,
        ports,
        alerts,
    })
}

/// The host a TCP or https target names, or this host for the control
/// socket.
fn tcp_host(target: &str) -> String {
    if let Ok([Target::Https { host, .. }]) = select::resolve(target).as_deref() {
        return host.clone();
    }
    match target.split_once('@') {
        Some((_, host)) => host.split(',').next().unwrap_or(host).to_owned(),
        None => "127.0.0.1".to_owned(),
    }
}

/// No server answered: say so the FlexNet way, which ports answer, and
/// what the license files say; then fail as the connection did.
fn unreachable(m: &clap::ArgMatches, ctx: &mut Ctx<'_>, format: Format, e: CliError) -> CliResult {
    let targets = remote::targets(m).unwrap_or_default();
    if e.status == exit::USAGE {
        if format == Format::Json {
            let failure = Failure {
                error: Problem::of(&e),
                tried: String::new(),
                diagnosis: None,
                ports: Vec::new(),
            };
            render::emit(&failure, format, ctx.invoked, ctx.out)?;
        }
        return Err(e);
    }
    // The local server's default ports when only its socket was tried.
    let (host, port) = targets
        .iter()
        .find_map(|t| match t {
            Target::Tcp { host, port } => Some((host.as_str(), *port)),
            // The web services' port is not the license manager's.
            Target::Https { host, .. } => Some((host.as_str(), crate::paths::LM_PORT)),
            Target::Local(_) => None,
        })
        .unwrap_or(("127.0.0.1", crate::paths::LM_PORT));
    let ports = check_ports(
        host,
        &[
            (port, "license manager"),
            (crate::paths::VENDOR_PORT, "CITRIX vendor daemon"),
        ],
    );
    let (feature, filter) = feature_and_filter(m);
    let diagnosis = offline(m, feature.as_deref()).map(|mut d| {
        apply_filter(&mut d, &filter);
        d
    });
    let failure = Failure {
        error: Problem::of(&e),
        tried: remote::tried(&targets),
        diagnosis,
        ports,
    };
    render::emit(&failure, format, ctx.invoked, ctx.out)?;
    Err(e)
}

/// The license files lmdiag reads when no server answers: the files and
/// directories `-c` (or the environment) names, else the license
/// directory: `LMGRD_LICENSE_DIR`, else the default one of this account's
/// layout or the system's, the first that exists.
fn license_sources(m: &clap::ArgMatches) -> Vec<PathBuf> {
    let spec = m.get_one::<String>("c").cloned().or_else(|| {
        select::from_environment(
            std::env::var("CITRIX_LICENSE_FILE").ok().as_deref(),
            std::env::var("LM_LICENSE_FILE").ok().as_deref(),
        )
    });
    let named: Vec<PathBuf> = spec
        .iter()
        .flat_map(|s| s.split(select::SEPARATOR))
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.contains('@'))
        .map(PathBuf::from)
        .filter(|p| p.is_file() || p.is_dir())
        .collect();
    if !named.is_empty() {
        return named;
    }
    crate::paths::default_license_dir().into_iter().collect()
}

/// The lines of the license files read here, each refused with its own
/// reason or, when it would serve, with -15 (no server to grant it); `None`
/// when there is no license file to read.
fn offline(m: &clap::ArgMatches, feature: Option<&str>) -> Option<Diagnosis> {
    use crate::license::load::{load_dir, load_file};
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for source in license_sources(m) {
        if source.is_dir() {
            let Ok((f, s)) = load_dir(&source) else {
                continue;
            };
            files.extend(f);
            skipped.extend(s.into_iter().map(Skipped::from));
        } else {
            match load_file(&source) {
                Ok(f) => files.push(f),
                Err(e) => skipped.push(Skipped {
                    path: source.display().to_string(),
                    reason: e.to_string(),
                }),
            }
        }
    }
    if files.is_empty() && skipped.is_empty() {
        return None;
    }
    let host = crate::license::HostIdentity::current().ok()?;
    let (keyring, keys) = Keys::read(&crate::paths::default_keys_dir());
    let today = Local::now().date_naive();
    let inv = crate::license::inventory(&files, "CITRIX", &host, &keyring, today);
    let no_server = || {
        let reason = "no license server answers to grant it; the line itself would serve";
        (Code::CANNOT_CONNECT, reason.to_owned())
    };
    let lines = inv
        .lines
        .iter()
        .filter(|l| feature.is_none_or(|f| f == l.line.feature))
        .map(|l| DiagLine::of(l).decided(Some(keys.refusal(l).unwrap_or_else(no_server))))
        .collect();
    let errors = files
        .iter()
        .flat_map(|f| {
            let path = f.path.display().to_string();
            f.parsed.errors.iter().map(move |e| format!("{path}:{e}"))
        })
        .collect();
    Some(Diagnosis {
        host: host.into(),
        keys,
        skipped,
        errors,
        lines,
    })
}
