//! `udadmin`: user/device licenses — who holds them (`-list`), every
//! feature with its counts (`-a`), releasing one user or device
//! (`-delete`), the event history (`-events`), and the raw connections as
//! CSV (`-export`). The export and the events are in their own modules;
//! both stream.

use crate::flexnet::Code;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use chrono::{DateTime, Local};
use clap::{Arg, ArgAction, ArgGroup};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exit::{self, CliError};
use super::remote::Remote;
use super::render::{self, Format, Report};
use super::udadmin_events::EventStream;
pub use super::udadmin_events::Events;
pub use super::udadmin_export::{Export, ExportRow};
use super::udadmin_export::{ExportStream, Sink, progress_bar};
use super::{CliResult, Ctx, lmstat};
use crate::protocol::status::{Assignment, Holder, Model, Pool, Status, StatusPart, StatusQuery};
use crate::protocol::{Request, Response};

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
        .arg(
            Arg::new("output")
                .short('o')
                .long("output")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .conflicts_with("delete")
                .help("Write to FILE instead of standard output (-export shows its progress on a terminal)"),
        )
        .arg(
            Arg::new("usage")
                .value_name("?")
                .value_parser(["?"])
                .hide(true)
                .help("Print this usage, as no argument does"),
        )
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
    let (show_events, export) = (m.get_flag("events"), m.get_flag("export"));
    if !(show_events || export || m.get_flag("list") || m.get_flag("a")) {
        let bin = super::invoked_bin_name("udadmin", ctx.invoked);
        let help = command().bin_name(bin).render_long_help();
        write!(ctx.out, "{help}")?;
        return Ok(exit::SUCCESS);
    }
    let invoked = ctx.invoked;
    let output = m.get_one::<PathBuf>("output").map(PathBuf::as_path);
    if show_events {
        let mut remote = Remote::connect(m)?;
        let stream = EventStream::new(&mut remote, feature);
        let mut sink = Sink::open(output, ctx.out)?;
        let written = render::emit(&stream, format, invoked, sink.writer());
        if let Some(failure) = stream.failure() {
            return Err(failure);
        }
        return sink.finish(written, output);
    }
    // The export is made of the connections (and the license each holder
    // holds); the listing of the pools and their holders.
    let parts = if export {
        vec![StatusPart::Connections, StatusPart::Assignments]
    } else {
        vec![StatusPart::Pools, StatusPart::Assignments]
    };
    let query = StatusQuery {
        feature: feature.clone(),
        parts,
    };
    let snapshot = status(m, query)?;
    let mut sink = Sink::open(output, ctx.out)?;
    let written = if export {
        let progress = progress_bar(sink.is_file() && io::stderr().is_terminal());
        let export = ExportStream::new(&snapshot, progress.clone());
        let written = render::emit(&export, format, invoked, sink.writer());
        progress.finish_and_clear();
        written
    } else {
        let listing = Listing::new(snapshot, m.get_flag("times"), m.get_flag("a"));
        render::emit(&listing, format, invoked, sink.writer())
    };
    sink.finish(written, output)
}

fn status(m: &clap::ArgMatches, query: StatusQuery) -> Result<Status, CliError> {
    match Remote::connect(m)?.ask(Request::Status(query))? {
        Response::Status(s) => Ok(*s),
        other => Err(CliError::new(
            exit::FAILURE,
            format!("unexpected answer {other:?}"),
        )),
    }
}

/// `Thu Sep 14 13:41:07 2017`, local time.
pub(crate) fn ctime(t: i64) -> String {
    let at = DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .with_timezone(&Local);
    at.format("%a %b %e %H:%M:%S %Y").to_string()
}

/// What `-list` and `-a` show.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Listing {
    /// The user/device-family pools (of `-f` only, if given).
    pub pools: Vec<Pool>,
    /// Who holds their licenses.
    pub assignments: Vec<Assignment>,
    #[serde(skip)]
    times: bool,
    #[serde(skip)]
    all: bool,
}

impl Listing {
    /// The listing of a status the server answered for `-f`'s feature only.
    fn new(s: Status, times: bool, all: bool) -> Self {
        Listing {
            pools: s
                .pools
                .into_iter()
                .filter(|p| p.model.is_some_and(Model::is_leased))
                .collect(),
            assignments: s.assignments,
            times,
            all,
        }
    }

    fn line(&self, a: &Assignment) -> String {
        let mut line = format!("{} {} {}", a.name, a.feature, a.version);
        if self.times {
            line.push_str(&format!(" ({})", ctime(a.last_use)));
        }
        line
    }

    fn list(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "Usage data is 0 minutes old. Next update in 0 minutes.")?;
        for (title, kind) in [("Users:", Holder::User), ("Devices:", Holder::Device)] {
            writeln!(w)?;
            writeln!(w, "{title}")?;
            writeln!(w)?;
            // The seed's layout: a blank line between two entries.
            for (i, a) in self
                .assignments
                .iter()
                .filter(|a| a.kind == kind)
                .enumerate()
            {
                if i > 0 {
                    writeln!(w)?;
                }
                writeln!(w, "{}", self.line(a))?;
            }
        }
        Ok(())
    }

    /// `-a`: a table of features and versions with their counts, then
    /// one of who holds each feature's licenses. The guide describes what
    /// `-a` lists but shows no layout, so the tables are ours.
    fn all(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut pools = table([
            "Feature",
            "Version",
            "Purchased",
            "Overdraft",
            "In use",
            "State",
        ]);
        for p in &self.pools {
            pools.add_row([
                p.key.feature.clone(),
                p.key.version.clone(),
                p.purchased.to_string(),
                p.overdraft.to_string(),
                p.in_use.to_string(),
                if p.expired { "expired" } else { "" }.to_owned(),
            ]);
        }
        writeln!(w, "{pools}")?;
        let mut by: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
        for a in &self.assignments {
            let e = by.entry(&a.feature).or_default();
            match a.kind {
                Holder::User => e.0.insert(&a.name),
                Holder::Device => e.1.insert(&a.name),
            };
        }
        if by.is_empty() {
            return Ok(());
        }
        let mut holders = table(["Feature", "Users", "Devices"]);
        for (feature, (users, devices)) in by {
            let names = |set: BTreeSet<&str>| set.into_iter().collect::<Vec<_>>().join(", ");
            holders.add_row([feature.to_owned(), names(users), names(devices)]);
        }
        writeln!(w)?;
        writeln!(w, "{holders}")
    }
}

/// A table in the style of the other tables of the tools (`lmsettings`,
/// `lmaudit`, the accounts).
pub(crate) fn table<const N: usize>(header: [&str; N]) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(140)
        .set_header(header);
    t
}

impl Report for Listing {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        if self.all { self.all(w) } else { self.list(w) }
    }
}

/// What `-delete` released.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Released {
    /// The feature (`-f`), or null for every feature.
    pub feature: Option<String>,
    /// The user released (`-user`), if that was one.
    pub user: Option<String>,
    /// The device released (`-device`), if that was one.
    pub device: Option<String>,
}

/// What `udadmin --json` writes, told apart by its fields: `pools` and
/// `assignments` (`-list`, `-a`), `connections` (`-export`), `events`
/// (`-events`), or what `-delete` released.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Output {
    Listing(Listing),
    Export(Export),
    Events(Events),
    Released(Released),
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
    Remote::connect(m)?.ask(request).map_err(|e| {
        if e.status == exit::flexnet(Code::NO_SUCH_FEATURE) && e.hint.is_none() {
            e.hint("udadmin -list shows who holds a license; names are as it prints them")
        } else {
            e
        }
    })?;
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
