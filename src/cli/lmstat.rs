//! `lmstat`: server and vendor daemon status, features, and the licenses
//! held, in FlexNet's text layout (monitoring tools parse it line by line),
//! or JSON with everything the text cannot show.
//!
//! The text has one user line per license held, never one per checkout
//! that shares it (FlexNet's lmstat does not list licenses shared by
//! duplicate grouping): the lines of a feature, weighted by `, N
//! licenses`, add up to its licenses in use, which is what the exporters
//! sum. The server says which checkout stands for a license and how many
//! (`licenses`, `shared`); `--json` keeps every checkout.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Write};

use chrono::{DateTime, Datelike, Local, Timelike};
use clap::{Arg, ArgAction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exit::{self, CliError};
use super::remote::Remote;
use super::render::{self, Format, Report};
use super::{CliResult, Ctx};
use crate::flexnet::Code;
use crate::license::STARTUP_FEATURE;
use crate::protocol::status::{
    Assignment, Checkout, Denial, DenialCount, HeldBy, Pool, PoolId, Session, StatusPart,
    StatusQuery,
};
use crate::protocol::{Request, Response, ServerInfo};

pub fn command() -> clap::Command {
    let optional = |name: &'static str, short: char, value: &'static str, help: &'static str| {
        Arg::new(name)
            .short(short)
            .value_name(value)
            .num_args(0..=1)
            .default_missing_value("")
            .help(help)
    };
    clap::Command::new("lmstat")
        .about("Show license server status: servers, vendor daemon, features, checkouts")
        .disable_version_flag(true)
        .arg(
            Arg::new("all")
                .short('a')
                .action(ArgAction::SetTrue)
                .help("Show everything"),
        )
        .arg(server_arg())
        .arg(optional(
            "feature",
            'f',
            "FEATURE",
            "Show who uses FEATURE (or every feature)",
        ))
        .arg(optional(
            "increments",
            'i',
            "FEATURE",
            "Show the INCREMENT lines of the license files",
        ))
        .arg(optional(
            "server",
            's',
            "SERVER",
            "Show the status of the license server(s)",
        ))
        .arg(optional(
            "vendor",
            'S',
            "CITRIX",
            "Show the features served by the vendor daemon",
        ))
        .arg(timeout_arg())
        .arg(
            Arg::new("version")
                .short('v')
                .action(ArgAction::SetTrue)
                .help("Print lmstat's version"),
        )
        .arg(render::json_arg())
}

/// `-c`: which server, as FlexNet reads it.
pub fn server_arg() -> Arg {
    Arg::new("c")
        .short('c')
        .value_name("LICENSE_FILE_LIST")
        .help("port@host, @host, https://host:port, a license file, a directory, or a list (default: CITRIX_LICENSE_FILE, LM_LICENSE_FILE, then the local server)")
}

/// `-t`: how long to try, in seconds.
pub fn timeout_arg() -> Arg {
    Arg::new("t")
        .short('t')
        .value_name("SECONDS")
        .default_value("10")
        .value_parser(clap::value_parser!(u64).range(1..=86_400))
        .help("Give up on a server that does not answer within this many seconds")
}

/// What lmstat shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    All,
    /// Plain `lmstat`: servers and vendor daemon.
    Servers,
    Features,
    Vendor,
}

/// Everything lmstat read from the server.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Status {
    /// Local time the status was taken, RFC 3339.
    pub taken: String,
    pub server: ServerInfo,
    /// Every license pool, with its counts, overdraft and burst state.
    pub pools: Vec<Pool>,
    /// Product servers' sessions (each holds a start-up license).
    pub sessions: Vec<Session>,
    pub checkouts: Vec<Checkout>,
    /// Users and devices holding user/device-family licenses.
    pub assignments: Vec<Assignment>,
    /// The most recent refused checkouts (up to 1,000; they survive
    /// restarts), oldest first.
    pub denials: Vec<Denial>,
    /// Every refused checkout since the state began, counted by feature,
    /// version and FlexNet number.
    pub denial_counts: Vec<DenialCount>,
    /// The active alerts (docs/alerts.md); in JSON only, the text stays
    /// FlexNet's.
    #[serde(default)]
    pub alerts: Vec<crate::protocol::alerts::Alert>,
    #[serde(skip)]
    view: Option<View>,
    #[serde(skip)]
    feature: Option<String>,
}

/// What `lmstat --json` writes: the status, with `-i` the INCREMENT lines
/// of the license files (told apart by `increments`), or with `-v` its
/// version (as `lmver` reports it).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Output {
    Status(Box<Status>),
    Increments(super::lmstat_i::Increments),
    Version(super::lmver::VersionReport),
}

/// `lmstat -v`: FlexNet's `lmstat vX.Y.Z build N arch` banner, N the
/// decimal build number (commits behind the one built, see `build.rs`).
#[derive(Serialize)]
#[serde(transparent)]
struct Banner(super::lmver::VersionReport);

impl Report for Banner {
    fn text(&self, invoked: &str, w: &mut dyn Write) -> io::Result<()> {
        render::header(invoked, w)?;
        let v = &self.0;
        let build = v.build.unwrap_or_default();
        let target = v.target.as_deref().unwrap_or_default();
        writeln!(w, "lmstat v{} build {build} {target}", v.version)
    }
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    if m.get_flag("version") {
        let info = crate::version::BuildInfo::current();
        let report = Banner(super::lmver::VersionReport::new(None, info));
        render::emit(&report, Format::from_matches(m), ctx.invoked, ctx.out)?;
        return Ok(exit::SUCCESS);
    }
    if let Some(feature) = m.get_one::<String>("increments") {
        return super::lmstat_i::run(m, feature, ctx);
    }
    let (view, feature) = view_of(m);
    let format = Format::from_matches(m);
    match fetch(m, feature.clone()) {
        Ok((server, snapshot)) => {
            let status = Status {
                taken: Local::now().to_rfc3339(),
                server,
                pools: snapshot.pools,
                sessions: snapshot.sessions,
                checkouts: snapshot.checkouts,
                assignments: snapshot.assignments,
                denials: snapshot.denials,
                denial_counts: snapshot.denial_counts,
                alerts: snapshot.alerts,
                view: Some(view),
                feature,
            };
            render::emit(&status, format, ctx.invoked, ctx.out)?;
            Ok(exit::SUCCESS)
        }
        Err(e) => {
            if format == Format::Text {
                render::header(ctx.invoked, ctx.out)?;
                writeln!(ctx.out, "{}", status_on(Local::now()))?;
                writeln!(ctx.out)?;
                writeln!(ctx.out, "Error getting status: {}", Code::CANNOT_CONNECT)?;
            }
            Err(e)
        }
    }
}

fn view_of(m: &clap::ArgMatches) -> (View, Option<String>) {
    let named = |id: &str| m.get_one::<String>(id).filter(|s| !s.is_empty()).cloned();
    if m.get_flag("all") {
        (View::All, None)
    } else if m.contains_id("feature") && m.value_source("feature").is_some() {
        (View::Features, named("feature"))
    } else if m.value_source("vendor").is_some() {
        (View::Vendor, None)
    } else {
        (View::Servers, None)
    }
}

/// Asks the server for its info and status in one round trip, within
/// `-t`: with `-f FEATURE`, that feature only (the JSON holds what the text
/// shows); never the user/device connections, which lmstat does not show.
fn fetch(
    m: &clap::ArgMatches,
    feature: Option<String>,
) -> Result<(ServerInfo, crate::protocol::status::Status), CliError> {
    let mut query = StatusQuery::all_but(&[StatusPart::Connections]);
    query.feature = feature;
    let mut remote = Remote::connect(m)?;
    let answers = remote.ask_all(vec![Request::Info, Request::Status(query)])?;
    let mut answers = answers.into_iter();
    match (answers.next(), answers.next()) {
        (Some(Response::Info(info)), Some(Response::Status(status))) => Ok((info, *status)),
        other => Err(CliError::new(
            exit::FAILURE,
            format!("unexpected answers {other:?}"),
        )),
    }
}

/// `Flexible License Manager status on Www M/D/YYYY HH:MM`.
fn status_on(at: DateTime<Local>) -> String {
    render::stamp("Flexible License Manager status on", at)
}

/// `1 license` or `N licenses`.
fn licenses(n: u64) -> String {
    if n == 1 {
        "1 license".to_owned()
    } else {
        format!("{n} licenses")
    }
}

/// `start Www M/D H:MM`, hour unpadded.
fn start_text(t: i64) -> String {
    let at = DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .with_timezone(&Local);
    format!(
        "start {} {}/{} {}:{:02}",
        at.format("%a"),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
    )
}

impl Status {
    fn server_block(&self, w: &mut dyn Write) -> io::Result<()> {
        let s = &self.server;
        writeln!(w, "License server status: {}@{}", s.lm_port, s.host)?;
        let files: String = s.license_files.iter().map(|f| format!("{f}:")).collect();
        writeln!(w, "    License file(s) on {}: {files}", s.host)?;
        writeln!(w)?;
        writeln!(w, "{}: license server UP (MASTER) v{}", s.host, s.version)?;
        writeln!(w)
    }

    fn vendor_block(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "Vendor daemon status (on {}):", self.server.host)?;
        writeln!(w)?;
        if self.server.vendor_up {
            writeln!(w, "    CITRIX: UP v{}", self.server.version)?;
        } else {
            writeln!(w, "    CITRIX: {}", Code::VENDOR_DOWN)?;
        }
        writeln!(w)
    }

    /// The pools of each feature, features in the order of their pools.
    fn features(&self) -> Vec<(&str, Vec<&Pool>)> {
        let mut by: BTreeMap<&str, Vec<&Pool>> = BTreeMap::new();
        for p in &self.pools {
            by.entry(&p.key.feature).or_default().push(p);
        }
        let mut out: Vec<(&str, Vec<&Pool>)> = by.into_iter().collect();
        // The start-up license first, as the Citrix License Server lists it.
        out.sort_by_key(|(f, _)| *f != STARTUP_FEATURE);
        out
    }

    fn usage(&self, w: &mut dyn Write) -> io::Result<()> {
        if let Some(wanted) = self.feature.as_deref()
            && !self.pools.iter().any(|p| p.key.feature == wanted)
        {
            // FlexNet's line for a feature the server does not serve.
            writeln!(
                w,
                "Users of {wanted}: Cannot get users of {wanted}: {}",
                Code::NO_SUCH_FEATURE
            )?;
            return writeln!(w);
        }
        // Each pool's lines, found in one pass: a million checkouts are
        // read once, not once per pool.
        let lines = self.lines();
        for (feature, pools) in self.features() {
            if self.feature.as_deref().is_some_and(|f| f != feature) {
                continue;
            }
            // Issued is what was purchased: FlexNet and the Citrix License
            // Server print the count of the lines, the overdraft apart.
            let issued: u64 = pools.iter().map(|p| p.purchased).sum();
            let in_use: u64 = pools.iter().map(|p| p.in_use).sum();
            writeln!(
                w,
                "Users of {feature}:  (Total of {} issued;  Total of {} in use)",
                licenses(issued),
                licenses(in_use)
            )?;
            writeln!(w)?;
            for pool in pools {
                let mine = lines.get(&pool.key).map_or(&[][..], Vec::as_slice);
                pool_block(pool, mine, w)?;
            }
        }
        Ok(())
    }

    /// The user lines of each pool: one per license held, never one per
    /// checkout that shares a license (FlexNet's lmstat does not list
    /// licenses shared by duplicate grouping), so that the lines of a
    /// feature, weighted by `, N licenses`, add up to its licenses in use.
    /// A user/device-family license whose holder has no session open (its
    /// lease runs on) has a line of its own, in the pool of its version.
    fn lines(&self) -> HashMap<&PoolId, Vec<String>> {
        let server = format!("{}/{}", self.server.host, self.server.lm_port);
        let mut out: HashMap<&PoolId, Vec<String>> = HashMap::new();
        for s in &self.sessions {
            if let Some(p) = self.startup_pool() {
                out.entry(&p.key)
                    .or_default()
                    .push(startup_line(s, &server));
            }
        }
        let mut open: HashSet<(&str, &HeldBy)> = HashSet::new();
        for c in &self.checkouts {
            if let Some(h) = &c.held_by {
                open.insert((&c.feature, h));
            }
            if c.licenses > 0 {
                out.entry(&c.pool).or_default().push(user_line(c, &server));
            }
        }
        let leases = self.assignments.iter().filter(|a| {
            let by = HeldBy {
                kind: a.kind,
                name: a.name.clone(),
            };
            !open.contains(&(a.feature.as_str(), &by))
        });
        for (i, a) in leases.enumerate() {
            let pool = self
                .pools
                .iter()
                .filter(|p| p.key.feature == a.feature)
                .find(|p| p.key.version == a.version)
                .or_else(|| self.pools.iter().rfind(|p| p.key.feature == a.feature));
            if let Some(p) = pool {
                let handle = LEASE_HANDLES + i as u64;
                out.entry(&p.key)
                    .or_default()
                    .push(lease_line(a, &server, handle));
            }
        }
        out
    }

    fn startup_pool(&self) -> Option<&Pool> {
        self.pools.iter().find(|p| p.key.feature == STARTUP_FEATURE)
    }
}

/// The handles `lmstat -a` shows for the start-up license a product
/// session holds: this base plus the session's number (session 7:
/// `1000000000007`), so that they never collide with checkout handles,
/// numbered from 1, one per checkout ever granted (a trillion checkouts
/// take centuries at the server's fastest).
pub const STARTUP_HANDLES: u64 = 1_000_000_000_000;

/// The handles of the lines of leases that outlive their sessions (no
/// checkout: nothing to remove by handle), above the start-up ones.
pub const LEASE_HANDLES: u64 = 2_000_000_000_000;

/// The detail block of a pool and its user lines, only when it has some.
fn pool_block(pool: &Pool, lines: &[String], w: &mut dyn Write) -> io::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let k = &pool.key;
    writeln!(
        w,
        "  \"{}\" v{}, vendor: CITRIX, expiry: {}",
        k.feature,
        k.version,
        render::expiry(k.expiry)
    )?;
    if let Some(vs) = &k.vendor_string {
        writeln!(w, "  vendor_string: {vs}")?;
    }
    writeln!(w, "  floating license")?;
    writeln!(w)?;
    for line in lines {
        writeln!(w, "{line}")?;
    }
    writeln!(w)
}

/// A product session's start-up license: `    host host host (v1.0) …`.
fn startup_line(s: &Session, server: &str) -> String {
    format!(
        "    {0} {0} {0} (v1.0) ({server} {1}), {2}",
        s.host,
        STARTUP_HANDLES + s.session,
        start_text(s.started)
    )
}

/// A lease with no session open: the holder's name in the user, host and
/// display fields, since its last use.
fn lease_line(a: &Assignment, server: &str, handle: u64) -> String {
    format!(
        "    {0} {0} {0} (v{1}) ({server} {handle}), {2}",
        a.name,
        a.version,
        start_text(a.last_use)
    )
}

/// `    user host display [device] (vVERSION) (server/port handle), start …`
/// with `, N licenses` when the line stands for more than one.
fn user_line(c: &Checkout, server: &str) -> String {
    let mut who = vec![c.user.as_str(), c.host.as_str()];
    if !c.display.is_empty() {
        who.push(&c.display);
    }
    if !c.device.is_empty() && c.device != c.display {
        who.push(&c.device);
    }
    let mut line = format!(
        "    {} (v{}) ({server} {}), {}",
        who.join(" "),
        c.version,
        c.handle,
        start_text(c.at)
    );
    if c.licenses > 1 {
        line.push_str(&format!(", {} licenses", c.licenses));
    }
    line
}

impl Report for Status {
    fn text(&self, invoked: &str, w: &mut dyn Write) -> io::Result<()> {
        render::header(invoked, w)?;
        let taken = DateTime::parse_from_rfc3339(&self.taken)
            .map(|t| t.with_timezone(&Local))
            .unwrap_or_else(|_| Local::now());
        writeln!(w, "{}", status_on(taken))?;
        writeln!(w)?;
        let view = self.view.unwrap_or(View::All);
        if view != View::Features {
            self.server_block(w)?;
            self.vendor_block(w)?;
        }
        match view {
            View::All | View::Features => {
                if view == View::All {
                    writeln!(w, "Feature usage info:")?;
                    writeln!(w)?;
                }
                self.usage(w)
            }
            View::Vendor => {
                writeln!(w, "Users of features served by CITRIX:")?;
                self.usage(w)
            }
            View::Servers => Ok(()),
        }
    }
}
