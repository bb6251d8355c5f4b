//! `lmdiag [feature[:KEYWORD=value]]`: for each license line that could
//! serve, whether it can be checked out now and, if not, exactly why; and
//! which TCP ports answer. A line that works gets exactly
//! `This license can be checked out` (monitoring checks grep for it).
//!
//! The checkout attempt is decided by the server exactly as a checkout,
//! without holding a license: diagnosing never starts a 90-day lease.

use std::io::{self, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use chrono::{Local, NaiveDate};
use clap::{Arg, ArgAction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exit::{self, CliError};
use super::remote::{self, Remote};
use super::render::{self, Format, Report};
use super::{CliResult, Ctx, lmstat};
use crate::client::select::Target;
use crate::license::Expiry;
use crate::license::date::format_date;
use crate::protocol::ServerInfo;
use crate::protocol::status::HostIds;
use crate::protocol::{Request, Response, errors};

const RULE: &str = "-----------------------------------------------------";

pub fn command() -> clap::Command {
    clap::Command::new("lmdiag")
        .about("Diagnose license checkout problems, line by line")
        .arg(lmstat::server_arg())
        .arg(Arg::new("n").short('n').action(ArgAction::SetTrue).help("Never prompt"))
        .arg(
            Arg::new("feature")
                .value_name("FEATURE[:KEYWORD=VALUE]")
                .help("One feature; KEYWORD is VERSION, HOSTID, EXPDATE, KEY, VENDOR_STRING or ISSUER")
                .long_help(
                    "One feature, or the lines of it whose KEYWORD (VERSION, HOSTID, EXPDATE, \
                     KEY, VENDOR_STRING or ISSUER) has that value. A VERSION that no line \
                     carries is taken as a product's version: every line of the feature is \
                     shown, and those with an older css date say why they cannot serve it (-21).",
                ),
        )
        .arg(lmstat::timeout_arg())
        .arg(render::json_arg())
}

/// What lmdiag found.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Diag {
    pub server: ServerInfo,
    pub diagnosis: Diagnosis,
    /// TCP ports tried on the server's host, and whether each answered.
    pub ports: Vec<PortCheck>,
}

/// The lines that could serve, their files, and this host's IDs.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Diagnosis {
    /// The server host's IDs, for lines bound to another host.
    pub host: HostIds,
    /// Files in the license directory that were not loaded, and why.
    pub skipped: Vec<Skipped>,
    /// Lines that do not parse: `file:line:column: message`.
    pub errors: Vec<String>,
    pub lines: Vec<DiagLine>,
}

/// A file of the license directory that was not loaded.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// One feature line and whether a checkout from it works now.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct DiagLine {
    pub file: String,
    /// 1-based line number in the file.
    pub line: usize,
    pub feature: String,
    /// The css date (version field).
    pub version: String,
    /// `YYYY-MM-DD`, or `permanent`.
    #[schemars(with = "String")]
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
    pub code: Option<i32>,
    /// … and the exact reason.
    pub reason: Option<String>,
}

impl From<crate::protocol::Diagnosis> for Diagnosis {
    fn from(d: crate::protocol::Diagnosis) -> Self {
        Diagnosis {
            host: d.host.into(),
            skipped: d
                .skipped
                .into_iter()
                .map(|s| Skipped {
                    path: s.path.display().to_string(),
                    reason: s.reason,
                })
                .collect(),
            errors: d.errors,
            lines: d.lines.into_iter().map(DiagLine::from).collect(),
        }
    }
}

impl From<crate::protocol::DiagLine> for DiagLine {
    fn from(l: crate::protocol::DiagLine) -> Self {
        DiagLine {
            file: l.file,
            line: l.line,
            feature: l.feature,
            version: l.version,
            expiry: l.expiry,
            count: l.count,
            start: l.start,
            issuer: l.issuer,
            vendor_string: l.vendor_string,
            sign: l.sign,
            binding: l.binding,
            can_check_out: l.can_check_out,
            code: l.code,
            reason: l.reason,
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
            l.code = Some(-21);
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

impl Diag {
    fn line(&self, l: &DiagLine, w: &mut dyn Write) -> io::Result<()> {
        let expiry = render::expiry(l.expiry);
        writeln!(
            w,
            "\"{}\" v{}, vendor: CITRIX, expiry: {expiry}",
            l.feature, l.version
        )?;
        writeln!(
            w,
            "License server: {}@{}",
            self.server.lm_port, self.server.host
        )?;
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
        writeln!(w, "{kind}{starts}  {expires}")?;
        writeln!(w)?;
        if l.can_check_out {
            writeln!(w, "This license can be checked out")?;
        } else {
            let code = l.code.unwrap_or(-1);
            writeln!(w, "This license cannot be checked out because:")?;
            writeln!(w, "{}", errors::display(code))?;
            if let Some(reason) = &l.reason {
                writeln!(w, "{reason}")?;
            }
            if code == -9 {
                writeln!(w, "This host's IDs: {}", self.host_ids())?;
            }
        }
        writeln!(w, "{RULE}")
    }

    fn host_ids(&self) -> String {
        let h = &self.diagnosis.host;
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
}

impl Report for Diag {
    fn text(&self, invoked: &str, w: &mut dyn Write) -> io::Result<()> {
        render::header(invoked, w)?;
        writeln!(w, "{}", diagnostics_on())?;
        writeln!(w)?;
        let mut file = "";
        for l in &self.diagnosis.lines {
            if l.file != file {
                file = &l.file;
                writeln!(w, "{RULE}")?;
                writeln!(w, "License file: {file}")?;
                writeln!(w, "{RULE}")?;
            }
            self.line(l, w)?;
        }
        if self.diagnosis.lines.is_empty() {
            writeln!(
                w,
                "No license line for that feature is installed. ({})",
                errors::display(-5)
            )?;
        }
        for s in &self.diagnosis.skipped {
            writeln!(w, "Not loaded: {}: {}", s.path, s.reason)?;
        }
        for e in &self.diagnosis.errors {
            writeln!(w, "Not read: {e}")?;
        }
        writeln!(w)?;
        for p in &self.ports {
            writeln!(w, "{p}")?;
        }
        Ok(())
    }
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    let format = Format::from_matches(m);
    let spec = m.get_one::<String>("feature").cloned().unwrap_or_default();
    let (feature, filter) = match spec.split_once(':') {
        Some((f, kv)) => (
            f.to_owned(),
            kv.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
        ),
        None => (spec.clone(), None),
    };
    let feature = (!feature.is_empty()).then_some(feature);
    let mut remote = match Remote::connect(m) {
        Ok(r) => r,
        Err(e) => return unreachable(m, ctx, format, e),
    };
    let server = match remote.ask(Request::Info)? {
        Response::Info(i) => i,
        other => {
            return Err(CliError::new(
                exit::FAILURE,
                format!("unexpected answer {other:?}"),
            ));
        }
    };
    let mut diagnosis = match remote.ask(Request::Diagnose { feature })? {
        Response::Diagnosis(d) => Diagnosis::from(*d),
        other => {
            return Err(CliError::new(
                exit::FAILURE,
                format!("unexpected answer {other:?}"),
            ));
        }
    };
    if let Some((k, v)) = &filter
        && !product_version(&mut diagnosis.lines, k, v)
    {
        diagnosis.lines.retain(|l| matches(l, k, v));
    }
    let ports = check_ports(
        &tcp_host(&remote.target),
        &[
            (server.lm_port, "license manager"),
            (server.vendor_port, "CITRIX vendor daemon"),
        ],
    );
    let failed = diagnosis
        .lines
        .iter()
        .find(|l| !l.can_check_out)
        .map(|l| l.code.unwrap_or(-1));
    let none = diagnosis.lines.is_empty();
    render::emit(
        &Diag {
            server,
            diagnosis,
            ports,
        },
        format,
        ctx.invoked,
        ctx.out,
    )?;
    Ok(match (none, failed) {
        (true, _) => exit::flexnet(-5),
        (false, Some(code)) => exit::flexnet(code),
        (false, None) => exit::SUCCESS,
    })
}

/// The host a TCP target names, or this host for the control socket.
fn tcp_host(target: &str) -> String {
    match target.split_once('@') {
        Some((_, host)) => host.split(',').next().unwrap_or(host).to_owned(),
        None => "127.0.0.1".to_owned(),
    }
}

/// No server answered: say so the FlexNet way, then which ports answer.
fn unreachable(m: &clap::ArgMatches, ctx: &mut Ctx<'_>, format: Format, e: CliError) -> CliResult {
    if format == Format::Text {
        let targets = remote::targets(m).unwrap_or_default();
        render::header(ctx.invoked, ctx.out)?;
        writeln!(ctx.out, "{}", diagnostics_on())?;
        writeln!(ctx.out)?;
        writeln!(ctx.out, "{RULE}")?;
        writeln!(ctx.out, "License server: {}", remote::tried(&targets))?;
        writeln!(ctx.out, "{RULE}")?;
        writeln!(ctx.out, "This license cannot be checked out because:")?;
        writeln!(ctx.out, "{}", errors::display(-15))?;
        let first_tcp = targets.iter().find_map(|t| match t {
            Target::Tcp { host, port } => Some((host.as_str(), *port)),
            Target::Local(_) => None,
        });
        if let Some((host, port)) = first_tcp {
            for p in check_ports(
                host,
                &[
                    (port, "license manager"),
                    (crate::paths::VENDOR_PORT, "CITRIX vendor daemon"),
                ],
            ) {
                writeln!(ctx.out, "{p}")?;
            }
        }
    }
    Err(e)
}
