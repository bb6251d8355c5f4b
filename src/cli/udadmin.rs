//! `udadmin`: user/device licenses — who holds them (`-list`), every
//! feature with its counts (`-a`), releasing one user or device
//! (`-delete`), the event history (`-events`), and the raw connections as
//! CSV (`-export`).
//!
//! `-export` streams: rows are written as they are made, and when they go
//! to a file (`-o FILE`, or standard output redirected to one) while
//! standard error is a terminal, a progress bar counts them there.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local};
use clap::{Arg, ArgAction, ArgGroup};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use schemars::JsonSchema;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

use super::exit::{self, CliError};
use super::remote::Remote;
use super::render::{self, Format, Report};
use super::views::{self, Assignment, Holder, Model, Pool};
use super::{CliResult, Ctx, lmstat};
use crate::engine::Event;
use crate::engine::Snapshot;
use crate::engine::request::BurstEnd;
use crate::engine::snapshot::ConnectionView;
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
        let report = events(m, feature)?;
        let mut sink = Sink::open(output, ctx.out)?;
        let written = render::emit(&report, format, invoked, sink.writer());
        return sink.finish(written, output);
    }
    let snapshot = status(m)?;
    let mut sink = Sink::open(output, ctx.out)?;
    let written = if export {
        let progress = progress_bar(sink.is_file() && io::stderr().is_terminal());
        let export = ExportStream::new(&snapshot, feature.as_deref(), progress.clone());
        let written = render::emit(&export, format, invoked, sink.writer());
        progress.finish_and_clear();
        written
    } else {
        let listing = Listing::new(snapshot, feature, m.get_flag("times"), m.get_flag("a"));
        render::emit(&listing, format, invoked, sink.writer())
    };
    sink.finish(written, output)
}

/// Where a report goes: the command's output, or a file (`-o`).
enum Sink<'a> {
    Out(&'a mut dyn Write),
    File(BufWriter<File>),
}

impl<'a> Sink<'a> {
    fn open(path: Option<&Path>, out: &'a mut dyn Write) -> Result<Self, CliError> {
        match path {
            None => Ok(Sink::Out(out)),
            Some(p) => File::create(p)
                .map(|f| Sink::File(BufWriter::new(f)))
                .map_err(|e| cannot_write(p, &e)),
        }
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Out(w) => w,
            Sink::File(w) => w,
        }
    }

    /// Whether the rows land in a file: `-o`, or standard output
    /// redirected to one (not a pipe, not a terminal).
    fn is_file(&self) -> bool {
        match self {
            Sink::File(_) => true,
            Sink::Out(_) => io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .map(File::from)
                .and_then(|f| f.metadata())
                .is_ok_and(|m| m.is_file()),
        }
    }

    /// Flushes what `written` left and says how it went; an error names
    /// the file.
    fn finish(self, written: io::Result<()>, path: Option<&Path>) -> CliResult {
        let done = written.and_then(|()| match self {
            Sink::Out(w) => w.flush(),
            Sink::File(w) => w
                .into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.sync_all()),
        });
        match (done, path) {
            (Err(e), Some(p)) => Err(cannot_write(p, &e)),
            (Err(e), None) => Err(e.into()),
            (Ok(()), _) => Ok(exit::SUCCESS),
        }
    }
}

fn cannot_write(path: &Path, e: &io::Error) -> CliError {
    CliError::new(
        exit::FAILURE,
        format!("cannot write {}: {e}", path.display()),
    )
    .hint("check that the directory exists and is writable")
}

/// A bar on standard error when `visible`; otherwise one that draws nothing.
fn progress_bar(visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} exporting [{bar:40}] {pos}/{len} connections ({eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
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
    fn new(s: Snapshot, feature: Option<String>, times: bool, all: bool) -> Self {
        let wanted = |f: &str| feature.as_deref().is_none_or(|want| want == f);
        let leased = |p: &Pool| p.model.is_some_and(Model::is_leased);
        Listing {
            pools: views::all::<_, Pool>(s.pools)
                .into_iter()
                .filter(|p| leased(p) && wanted(&p.key.feature))
                .collect(),
            assignments: views::all::<_, Assignment>(s.assignments)
                .into_iter()
                .filter(|a| wanted(&a.feature))
                .collect(),
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

    /// `-a`: a table of features and versions, then who holds each.
    fn all(&self, w: &mut dyn Write) -> io::Result<()> {
        let rows: Vec<[String; 6]> = self
            .pools
            .iter()
            .map(|p| {
                [
                    p.key.feature.clone(),
                    p.key.version.clone(),
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
                Holder::User => e.0.insert(&a.name),
                Holder::Device => e.1.insert(&a.name),
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

/// `-export` as scripts decode it: every user/device connection.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Export {
    pub connections: Vec<ExportRow>,
}

/// One connection; the CSV row has these columns in this order.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportRow {
    pub feature: String,
    pub user_id: String,
    pub device_id: String,
    pub device_name: String,
    /// The highest version requested over this connection.
    pub version_requested: String,
    /// The css date of the license the user holds, or empty.
    pub version_user_allocated: String,
    /// The css date of the license the device holds, or empty.
    pub version_device_allocated: String,
    /// Last use, RFC 3339 (UTC).
    pub time: String,
}

/// What a user or device of a feature holds: its license's css date.
type Held<'a> = HashMap<(Holder, &'a str, &'a str), &'a str>;

/// `-export` as written: each row is made from the snapshot as it is
/// written, so a million connections are never held twice in memory, and
/// the progress bar advances row by row.
struct ExportStream<'a> {
    snapshot: &'a Snapshot,
    feature: Option<&'a str>,
    held: Held<'a>,
    progress: ProgressBar,
}

impl<'a> ExportStream<'a> {
    fn new(snapshot: &'a Snapshot, feature: Option<&'a str>, progress: ProgressBar) -> Self {
        let held = snapshot
            .assignments
            .iter()
            .map(|a| {
                let key = (a.kind.into(), a.feature.as_str(), a.name.as_str());
                (key, a.version.as_str())
            })
            .collect();
        let stream = ExportStream {
            snapshot,
            feature,
            held,
            progress,
        };
        stream
            .progress
            .set_length(stream.connections().count() as u64);
        stream
    }

    fn connections(&self) -> impl Iterator<Item = &'a ConnectionView> + 'a {
        let feature = self.feature;
        self.snapshot
            .connections
            .iter()
            .filter(move |c| feature.is_none_or(|f| f == c.feature))
    }

    fn held(&self, kind: Holder, feature: &str, name: &str) -> String {
        self.held
            .get(&(kind, feature, name))
            .map_or_else(String::new, |v| (*v).to_owned())
    }

    fn rows(&self) -> impl Iterator<Item = ExportRow> + '_ {
        self.connections().map(|c| {
            self.progress.inc(1);
            ExportRow {
                feature: c.feature.clone(),
                user_id: c.user.clone(),
                device_id: c.device.clone(),
                device_name: c.device.clone(),
                version_requested: c.version.clone(),
                version_user_allocated: self.held(Holder::User, &c.feature, &c.user),
                version_device_allocated: self.held(Holder::Device, &c.feature, &c.device),
                time: DateTime::from_timestamp(c.last_use, 0)
                    .unwrap_or_default()
                    .to_rfc3339(),
            }
        })
    }
}

/// Serializes as [`Export`] does, one row at a time.
impl Serialize for ExportStream<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Rows<'s, 'a>(&'s ExportStream<'a>);
        impl Serialize for Rows<'_, '_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.rows())
            }
        }
        let mut st = s.serialize_struct("Export", 1)?;
        st.serialize_field("connections", &Rows(self))?;
        st.end()
    }
}

/// The CSV header, as the Citrix License Server writes it.
const CSV_HEADER: &str = "feature,userId,deviceId,deviceName,versionRequested,versionUserAllocated,versionDeviceAllocated,time";

/// A CSV field, quoted when it holds a comma, a quote or a line end.
fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

impl Report for ExportStream<'_> {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "{CSV_HEADER}")?;
        for r in self.rows() {
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
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Events {
    pub events: Vec<UdEvent>,
}

/// One user/device-license event.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct UdEvent {
    /// The server's sequence number: increasing, gaps allowed.
    pub seq: i64,
    /// When, Unix seconds.
    pub at: i64,
    #[serde(flatten)]
    pub what: What,
}

/// What happened, by `event`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum What {
    /// A checkout over a user/device connection: it is leased for 90 days.
    Granted {
        feature: String,
        user: String,
        device: String,
        /// The version the product asked for.
        version: String,
    },
    /// A connection's 90-day lease ran out.
    LeaseExpired {
        feature: String,
        user: String,
        device: String,
    },
    /// An administrator released a connection (`udadmin -delete`).
    Released {
        feature: String,
        user: String,
        device: String,
    },
    /// License burst mode started for a product version and edition.
    BurstStarted { feature: String, version: String },
    BurstEnded {
        feature: String,
        version: String,
        reason: BurstEndReason,
    },
    /// A retail license was installed: burst mode is available again.
    BurstRearmed { feature: String },
}

/// Why burst mode ended.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BurstEndReason {
    /// Its 15 days ran out.
    Expired,
    /// Licenses were installed during it.
    LicensesInstalled,
    /// The administrator disabled burst mode.
    Disabled,
}

impl What {
    /// The user/device-license part of the server's event history.
    fn of(e: Event) -> Option<(i64, What)> {
        Some(match e {
            Event::Granted(g) if g.model.is_leased() => (
                g.at,
                What::Granted {
                    feature: g.feature,
                    user: g.user,
                    device: g.device,
                    version: g.version.to_string(),
                },
            ),
            Event::LeaseExpired {
                feature,
                user,
                device,
                at,
            } => (
                at,
                What::LeaseExpired {
                    feature,
                    user,
                    device,
                },
            ),
            Event::Released {
                feature,
                user,
                device,
                at,
            } => (
                at,
                What::Released {
                    feature,
                    user,
                    device,
                },
            ),
            Event::BurstStarted {
                feature,
                version,
                at,
            } => (
                at,
                What::BurstStarted {
                    feature,
                    version: version.0.to_string(),
                },
            ),
            Event::BurstEnded {
                feature,
                version,
                reason,
                at,
            } => (
                at,
                What::BurstEnded {
                    feature,
                    version: version.0.to_string(),
                    reason: match reason {
                        BurstEnd::Expired => BurstEndReason::Expired,
                        BurstEnd::LicensesInstalled => BurstEndReason::LicensesInstalled,
                        BurstEnd::Disabled => BurstEndReason::Disabled,
                    },
                },
            ),
            Event::BurstRearmed { feature, at } => (at, What::BurstRearmed { feature }),
            _ => return None,
        })
    }

    fn feature(&self) -> &str {
        match self {
            What::Granted { feature, .. }
            | What::LeaseExpired { feature, .. }
            | What::Released { feature, .. }
            | What::BurstStarted { feature, .. }
            | What::BurstEnded { feature, .. }
            | What::BurstRearmed { feature } => feature,
        }
    }
}

impl std::fmt::Display for What {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            What::Granted {
                feature,
                user,
                device,
                version,
            } => write!(
                f,
                "{feature} connected: user {user} device {device} (v{version})"
            ),
            What::LeaseExpired {
                feature,
                user,
                device,
            } => write!(f, "{feature} lease expired: user {user} device {device}"),
            What::Released {
                feature,
                user,
                device,
            } => write!(f, "{feature} released: user {user} device {device}"),
            What::BurstStarted { feature, version } => {
                write!(f, "{feature} v{version} license burst mode started")
            }
            What::BurstEnded {
                feature,
                version,
                reason,
            } => write!(
                f,
                "{feature} v{version} license burst mode ended ({reason:?})"
            ),
            What::BurstRearmed { feature } => {
                write!(f, "{feature} license burst mode available again")
            }
        }
    }
}

impl Report for Events {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        for e in &self.events {
            writeln!(w, "{} {}", ctime(e.at), e.what)?;
        }
        Ok(())
    }
}

/// The user/device events (of `feature`), fetched page by page.
fn events(m: &clap::ArgMatches, feature: Option<String>) -> Result<Events, CliError> {
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
        out.extend(events.into_iter().filter_map(|e: StoredEvent| {
            let (at, what) = What::of(e.event)?;
            let wanted = feature.as_deref().is_none_or(|f| f == what.feature());
            wanted.then_some(UdEvent {
                seq: e.seq,
                at,
                what,
            })
        }));
    }
    Ok(Events { events: out })
}
