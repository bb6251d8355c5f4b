//! `udadmin`: user/device licenses — who holds them (`-list`), every
//! feature with its counts (`-a`), releasing one user or device
//! (`-delete`), the event history (`-events`), and the raw connections as
//! CSV (`-export`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use chrono::{DateTime, Local};
use clap::{Arg, ArgAction, ArgGroup};
use serde::Serialize;

use super::exit::{self, CliError};
use super::remote::Remote;
use super::render::{self, Format, Report};
use super::{CliResult, Ctx, lmstat};
use crate::engine::Snapshot;
use crate::engine::snapshot::{AssignmentKind, AssignmentView, ConnectionView, PoolView};
use crate::engine::{Event, LicenseModel};
use crate::protocol::{Request, Response, StoredEvent};

pub fn command() -> clap::Command {
    let flag = |name: &'static str, help: &'static str| {
        Arg::new(name)
            .long(name)
            .action(ArgAction::SetTrue)
            .help(help)
    };
    clap::Command::new("udadmin")
        .about("User/device licenses: list, release, events, export")
        .arg(
            Arg::new("f")
                .short('f')
                .value_name("FEATURE")
                .help("Only this feature"),
        )
        .arg(
            Arg::new("user")
                .long("user")
                .value_name("NAME")
                .help("The user to release"),
        )
        .arg(
            Arg::new("device")
                .long("device")
                .value_name("NAME")
                .help("The device to release"),
        )
        .arg(
            Arg::new("a")
                .short('a')
                .action(ArgAction::SetTrue)
                .help("Every feature and version, with counts, users and devices"),
        )
        .arg(flag("list", "Users and devices holding licenses"))
        .arg(flag("times", "With -list: when each was last used"))
        .arg(flag(
            "delete",
            "Release the license of one user or device (admin)",
        ))
        .arg(flag("events", "The user/device events, oldest first"))
        .arg(flag(
            "export",
            "Every connection as CSV (feature,userId,deviceId,…)",
        ))
        .group(ArgGroup::new("mode").args(["list", "delete", "events", "export", "a"]))
        .group(ArgGroup::new("who").args(["user", "device"]))
        .arg(lmstat::server_arg())
        .arg(lmstat::timeout_arg())
        .arg(render::json_arg())
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    let format = Format::from_matches(m);
    let feature = m.get_one::<String>("f").cloned();
    if m.get_flag("delete") {
        return delete(m, feature, format, ctx);
    }
    if m.get_flag("events") {
        return events(m, feature, format, ctx);
    }
    if !(m.get_flag("list") || m.get_flag("export") || m.get_flag("a")) {
        let help = command().bin_name(ctx.invoked).render_long_help();
        write!(ctx.out, "{help}")?;
        return Ok(exit::SUCCESS);
    }
    let snapshot = status(m)?;
    if m.get_flag("export") {
        let export = Export::new(&snapshot, feature.as_deref());
        render::emit(&export, format, ctx.invoked, ctx.out)?;
    } else {
        let listing = Listing::new(snapshot, feature, m.get_flag("times"), m.get_flag("a"));
        render::emit(&listing, format, ctx.invoked, ctx.out)?;
    }
    Ok(exit::SUCCESS)
}

fn status(m: &clap::ArgMatches) -> Result<Snapshot, CliError> {
    match Remote::connect(m)?.ask(Request::Status)? {
        Response::Status(s) => Ok(*s),
        other => Err(CliError::new(
            exit::FAILURE,
            format!("unexpected answer {other:?}"),
        )),
    }
}

/// `Thu Sep 14 13:41:07 2017`, local time.
fn ctime(t: i64) -> String {
    let at = DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .with_timezone(&Local);
    at.format("%a %b %e %H:%M:%S %Y").to_string()
}

/// What `-list` and `-a` show.
#[derive(Debug, Serialize)]
pub struct Listing {
    pub pools: Vec<PoolView>,
    pub assignments: Vec<AssignmentView>,
    #[serde(skip)]
    times: bool,
    #[serde(skip)]
    all: bool,
}

impl Listing {
    fn new(s: Snapshot, feature: Option<String>, times: bool, all: bool) -> Self {
        let wanted = |f: &str| feature.as_deref().is_none_or(|want| want == f);
        let leased = |p: &PoolView| p.model.is_some_and(LicenseModel::is_leased);
        Listing {
            pools: s
                .pools
                .into_iter()
                .filter(|p| leased(p) && wanted(&p.key.feature))
                .collect(),
            assignments: s
                .assignments
                .into_iter()
                .filter(|a| wanted(&a.feature))
                .collect(),
            times,
            all,
        }
    }

    fn line(&self, a: &AssignmentView) -> String {
        let mut line = format!("{} {} {}", a.name, a.feature, a.version);
        if self.times {
            line.push_str(&format!(" ({})", ctime(a.last_use)));
        }
        line
    }

    fn list(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "Usage data is 0 minutes old. Next update in 0 minutes.")?;
        for (title, kind) in [
            ("Users:", AssignmentKind::User),
            ("Devices:", AssignmentKind::Device),
        ] {
            writeln!(w)?;
            writeln!(w, "{title}")?;
            writeln!(w)?;
            for a in self.assignments.iter().filter(|a| a.kind == kind) {
                writeln!(w, "{}", self.line(a))?;
            }
        }
        Ok(())
    }

    /// `-a`: a table of features and versions, then who holds each.
    fn all(&self, w: &mut dyn Write) -> io::Result<()> {
        let rows: Vec<[String; 6]> = self
            .pools
            .iter()
            .map(|p| {
                [
                    p.key.feature.clone(),
                    p.key.version.0.to_string(),
                    p.purchased.to_string(),
                    p.overdraft.to_string(),
                    p.in_use.to_string(),
                    if p.expired { "expired" } else { "" }.to_owned(),
                ]
            })
            .collect();
        let head =
            ["Feature", "Version", "Purchased", "Overdraft", "In use", ""].map(str::to_owned);
        let mut widths = [0usize; 6];
        for row in std::iter::once(&head).chain(&rows) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for row in std::iter::once(&head).chain(&rows) {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            writeln!(w, "{}", cells.join("  ").trim_end())?;
        }
        let mut by: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
        for a in &self.assignments {
            let e = by.entry(&a.feature).or_default();
            match a.kind {
                AssignmentKind::User => e.0.insert(&a.name),
                AssignmentKind::Device => e.1.insert(&a.name),
            };
        }
        for (feature, (users, devices)) in by {
            writeln!(w)?;
            writeln!(w, "{feature}:")?;
            writeln!(
                w,
                "  Users: {}",
                users.into_iter().collect::<Vec<_>>().join(", ")
            )?;
            writeln!(
                w,
                "  Devices: {}",
                devices.into_iter().collect::<Vec<_>>().join(", ")
            )?;
        }
        Ok(())
    }
}

impl Report for Listing {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        if self.all { self.all(w) } else { self.list(w) }
    }
}

/// `-export`: the raw connections.
#[derive(Debug, Serialize)]
pub struct Export {
    pub connections: Vec<ExportRow>,
}

/// One CSV row, in the seed's column order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportRow {
    pub feature: String,
    pub user_id: String,
    pub device_id: String,
    pub device_name: String,
    pub version_requested: String,
    pub version_user_allocated: String,
    pub version_device_allocated: String,
    /// Last use, RFC 3339.
    pub time: String,
}

impl Export {
    fn new(s: &Snapshot, feature: Option<&str>) -> Self {
        let held = |kind, f: &str, name: &str| {
            s.assignments
                .iter()
                .find(|a| a.kind == kind && a.feature == f && a.name == name)
                .map(|a| a.version.clone())
                .unwrap_or_default()
        };
        let rows = s
            .connections
            .iter()
            .filter(|c| feature.is_none_or(|f| f == c.feature))
            .map(|c: &ConnectionView| ExportRow {
                feature: c.feature.clone(),
                user_id: c.user.clone(),
                device_id: c.device.clone(),
                device_name: c.device.clone(),
                version_requested: c.version.clone(),
                version_user_allocated: held(AssignmentKind::User, &c.feature, &c.user),
                version_device_allocated: held(AssignmentKind::Device, &c.feature, &c.device),
                time: DateTime::from_timestamp(c.last_use, 0)
                    .unwrap_or_default()
                    .to_rfc3339(),
            })
            .collect();
        Export { connections: rows }
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line end.
fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

impl Report for Export {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "feature,userId,deviceId,deviceName,versionRequested,versionUserAllocated,versionDeviceAllocated,time"
        )?;
        for r in &self.connections {
            let fields = [
                &r.feature,
                &r.user_id,
                &r.device_id,
                &r.device_name,
                &r.version_requested,
                &r.version_user_allocated,
                &r.version_device_allocated,
                &r.time,
            ];
            let line: Vec<String> = fields.iter().map(|f| csv(f)).collect();
            writeln!(w, "{}", line.join(","))?;
        }
        Ok(())
    }
}

/// What `-delete` released.
#[derive(Debug, Serialize)]
pub struct Released {
    pub feature: Option<String>,
    pub user: Option<String>,
    pub device: Option<String>,
}

impl Report for Released {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        let who = match (&self.user, &self.device) {
            (Some(u), _) => format!("user {u}"),
            (_, Some(d)) => format!("device {d}"),
            _ => String::new(),
        };
        let from = self
            .feature
            .as_deref()
            .map_or("every feature".to_owned(), str::to_owned);
        writeln!(w, "Released the license of {who} for {from}.")
    }
}

fn delete(
    m: &clap::ArgMatches,
    feature: Option<String>,
    format: Format,
    ctx: &mut Ctx<'_>,
) -> CliResult {
    let user = m.get_one::<String>("user").cloned();
    let device = m.get_one::<String>("device").cloned();
    if user.is_none() && device.is_none() {
        return Err(
            CliError::new(exit::USAGE, "-delete needs -user NAME or -device NAME").hint(
                "one user or device at a time, e.g. udadmin -f XDT_PLT_UD -device dn01 -delete",
            ),
        );
    }
    let request = Request::Release {
        feature: feature.clone(),
        user: user.clone(),
        device: device.clone(),
    };
    Remote::connect(m)?.ask(request)?;
    render::emit(
        &Released {
            feature,
            user,
            device,
        },
        format,
        ctx.invoked,
        ctx.out,
    )?;
    Ok(exit::SUCCESS)
}

/// `-events`: what happened to user/device licenses, oldest first.
#[derive(Debug, Serialize)]
pub struct Events {
    pub events: Vec<StoredEvent>,
}

/// The feature an event concerns, if it is a user/device-license event.
fn ud_feature(e: &Event) -> Option<&str> {
    match e {
        Event::Granted(g) if g.model.is_leased() => Some(&g.feature),
        Event::LeaseExpired { feature, .. }
        | Event::Released { feature, .. }
        | Event::BurstStarted { feature, .. }
        | Event::BurstEnded { feature, .. }
        | Event::BurstRearmed { feature, .. } => Some(feature),
        _ => None,
    }
}

fn describe(e: &Event) -> String {
    match e {
        Event::Granted(g) => format!(
            "{} connected: user {} device {} (v{})",
            g.feature, g.user, g.device, g.version
        ),
        Event::LeaseExpired {
            feature,
            user,
            device,
            ..
        } => format!("{feature} lease expired: user {user} device {device}"),
        Event::Released {
            feature,
            user,
            device,
            ..
        } => format!("{feature} released: user {user} device {device}"),
        Event::BurstStarted {
            feature, version, ..
        } => format!("{feature} v{} license burst mode started", version.0),
        Event::BurstEnded {
            feature,
            version,
            reason,
            ..
        } => format!(
            "{feature} v{} license burst mode ended ({reason:?})",
            version.0
        ),
        Event::BurstRearmed { feature, .. } => {
            format!("{feature} license burst mode available again")
        }
        other => format!("{other:?}"),
    }
}

impl Report for Events {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        for e in &self.events {
            writeln!(w, "{} {}", ctime(event_time(&e.event)), describe(&e.event))?;
        }
        Ok(())
    }
}

fn event_time(e: &Event) -> i64 {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v.get("at").and_then(serde_json::Value::as_i64))
        .unwrap_or_default()
}

fn events(
    m: &clap::ArgMatches,
    feature: Option<String>,
    format: Format,
    ctx: &mut Ctx<'_>,
) -> CliResult {
    let mut remote = Remote::connect(m)?;
    let mut after = 0;
    let mut out = Vec::new();
    loop {
        let Response::Events { events } = remote.ask(Request::Events {
            after,
            limit: 10_000,
        })?
        else {
            return Err(CliError::new(exit::FAILURE, "unexpected answer to events"));
        };
        let Some(last) = events.last() else { break };
        after = last.seq;
        out.extend(events.into_iter().filter(|e| {
            ud_feature(&e.event).is_some_and(|f| feature.as_deref().is_none_or(|want| want == f))
        }));
    }
    render::emit(&Events { events: out }, format, ctx.invoked, ctx.out)?;
    Ok(exit::SUCCESS)
}
