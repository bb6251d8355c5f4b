//! `lmaudit`: every change made to the server — releases, rereads,
//! shutdowns, account and settings changes, API tokens — with when it was made and who
//! asked (docs/audit.md). FlexNet has no such command, so no layout binds
//! it: a table. The history is read from the server a page at a time
//! (`next`), as `udadmin -events` reads it.

use std::io::{self, Write};

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone};
use clap::{Arg, ArgAction};
use serde::Serialize;

use super::exit::{self, CliError};
use super::remote::Remote;
use super::render::{self, Format, Report};
use super::udadmin_events::EventStream;
use super::{CliResult, Ctx, lmstat};
use crate::protocol::events::{Event, EventKind, EventQuery, What};

/// What `lmaudit --json` writes: the changes, oldest first (the shape of
/// `udadmin -events --json`).
pub use super::udadmin_events::Events as Audit;

/// Changes asked for at a time.
const PAGE: u32 = 10_000;

/// The kinds `-kind` takes, each with the events it stands for.
const KINDS: [(&str, &[EventKind]); 7] = [
    ("release", &[EventKind::Released]),
    ("reread", &[EventKind::LicensesRead]),
    ("settings", &[EventKind::SettingsChanged]),
    (
        "account",
        &[EventKind::AccountSet, EventKind::AccountRemoved],
    ),
    ("shutdown", &[EventKind::ShutdownRequested]),
    ("token", &[EventKind::TokenCreated, EventKind::TokenRevoked]),
    ("install", &[EventKind::LicenseInstalled]),
];

pub fn command() -> clap::Command {
    let kinds: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
    clap::Command::new("lmaudit")
        .about("Every change made to the server (releases, rereads, shutdowns, accounts, settings, tokens): when and who asked")
        .arg(
            Arg::new("since")
                .long("since")
                .value_name("DATE")
                .help("Only changes on or after DATE (YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], local time, or RFC 3339)"),
        )
        .arg(
            Arg::new("until")
                .long("until")
                .value_name("DATE")
                .help("Only changes on or before DATE (a day alone: up to its end)"),
        )
        .arg(
            Arg::new("kind")
                .long("kind")
                .value_name("KIND")
                .value_parser(kinds)
                .value_delimiter(',')
                .action(ArgAction::Append)
                .help("Only these kinds of change (repeat, or separate with commas)"),
        )
        .arg(
            Arg::new("by")
                .long("by")
                .value_name("ACCOUNT")
                .help("Only changes asked by ACCOUNT: host\\user, or user alone (any host); any case"),
        )
        .arg(
            Arg::new("f")
                .short('f')
                .value_name("FEATURE")
                .help("Only releases of this feature"),
        )
        .arg(lmstat::server_arg())
        .arg(lmstat::timeout_arg())
        .arg(render::json_arg())
}

/// What the audit shows of one change: when, who asked, what, and the
/// details.
fn row(e: &Event) -> [String; 4] {
    let by = e.what.by().unwrap_or("-").to_owned();
    let (what, details) = describe(&e.what);
    [when(e.at), by, what.to_owned(), details]
}

/// The kind of change as `-kind` names it, and what it changed.
fn describe(what: &What) -> (&'static str, String) {
    match what {
        What::Released {
            feature,
            user,
            device,
            ..
        } => (
            "release",
            format!("{feature}: user {user}, device {device}"),
        ),
        What::LicensesRead { pools, by } => {
            let how = if by.is_some() { "reread" } else { "read" };
            let s = if *pools == 1 { "" } else { "s" };
            ("reread", format!("license files {how}: {pools} pool{s}"))
        }
        What::SettingsChanged { changes, .. } if !changes.is_empty() => (
            "settings",
            format!("settings changed: {}", changes.join(" ")),
        ),
        What::SettingsChanged { .. } => ("settings", "settings changed".to_owned()),
        What::AccountSet { name, role, .. } => ("account", format!("{name} given the role {role}")),
        What::AccountRemoved { name, .. } => ("account", format!("{name} no longer has a role")),
        What::ShutdownRequested { vendor: true, .. } => {
            ("shutdown", "vendor daemon CITRIX stopped".to_owned())
        }
        What::ShutdownRequested { vendor: false, .. } => {
            ("shutdown", "license server stopped".to_owned())
        }
        What::TokenCreated {
            id,
            name,
            account,
            expires,
            ..
        } => {
            let until = expires.map_or("never expires".to_owned(), |t| {
                format!("expires {}", day(t))
            });
            (
                "token",
                format!("API token {id} ({name}) for {account}, {until}"),
            )
        }
        What::TokenRevoked { id, .. } => ("token", format!("API token {id} revoked")),
        What::LicenseInstalled {
            file,
            features,
            replaced,
            ..
        } => {
            let how = if *replaced { "replaced" } else { "installed" };
            let features = features.join(" ");
            ("install", format!("license file {file} {how}: {features}"))
        }
        other => ("other", format!("{:?}", other.kind())),
    }
}

/// `2026-12-03`, local time.
fn day(t: i64) -> String {
    when(t)[..10].to_owned()
}

/// `2026-12-03 16:05:09`, local time.
fn when(t: i64) -> String {
    let at = DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .with_timezone(&Local);
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The audit as written: fetched page by page; as JSON while it is
/// written, as a table once read.
struct AuditStream<'r>(EventStream<'r>);

impl Serialize for AuditStream<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Report for AuditStream<'_> {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        let mut t = super::udadmin::table(["When", "By", "Change", "What"]);
        let mut any = false;
        for e in self.0.events() {
            t.add_row(row(&e));
            any = true;
        }
        if self.0.failed() {
            return Ok(());
        }
        if any {
            writeln!(w, "{t}")
        } else {
            writeln!(w, "No change matches.")
        }
    }
}

/// A moment given on the command line: a day (its start, or with `end`
/// its last second), a local date and time, or RFC 3339.
fn moment(text: &str, end: bool) -> Result<i64, CliError> {
    let local = |naive: NaiveDateTime| {
        Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.timestamp())
    };
    let parsed = if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let time = if end {
            day.and_hms_opt(23, 59, 59)
        } else {
            day.and_hms_opt(0, 0, 0)
        };
        time.and_then(local)
    } else if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        Some(t.timestamp())
    } else {
        [
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .and_then(local)
    };
    parsed.ok_or_else(|| {
        CliError::new(exit::USAGE, format!("`{text}`: not a date"))
            .hint("e.g. 2026-12-01, 2026-12-01T09:30 (local time) or 2026-12-01T09:30:00Z")
    })
}

/// The query of the options given.
fn query(m: &clap::ArgMatches) -> Result<EventQuery, CliError> {
    let given: Vec<&String> = m.get_many::<String>("kind").into_iter().flatten().collect();
    let kinds: Vec<EventKind> = KINDS
        .iter()
        .filter(|(name, _)| given.is_empty() || given.iter().any(|g| g == name))
        .flat_map(|(_, kinds)| kinds.iter().copied())
        .collect();
    let date = |name: &str, end: bool| {
        m.get_one::<String>(name)
            .map(|t| moment(t, end))
            .transpose()
    };
    Ok(EventQuery {
        after: 0,
        limit: PAGE,
        kinds,
        feature: m.get_one::<String>("f").cloned(),
        models: Vec::new(),
        since: date("since", false)?,
        until: date("until", true)?,
        by: m.get_one::<String>("by").cloned(),
    })
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    let format = Format::from_matches(m);
    let query = query(m)?;
    let mut remote = Remote::connect(m)?;
    let stream = AuditStream(EventStream::of(&mut remote, query));
    let written = render::emit(&stream, format, ctx.invoked, ctx.out);
    if let Some(failure) = stream.0.failure() {
        return Err(failure);
    }
    written?;
    Ok(exit::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_runs_from_its_start_to_its_last_second() {
        let start = moment("2026-12-01", false).unwrap();
        let end = moment("2026-12-01", true).unwrap();
        assert_eq!(end - start, 86_399);
        assert_eq!(moment("2026-12-01T00:00", false).unwrap(), start);
        assert_eq!(
            moment("2026-12-01T00:00:00Z", false).unwrap(),
            1_796_083_200
        );
        assert!(moment("yesterday", false).is_err());
    }

    #[test]
    fn every_change_kind_has_a_kind_name_and_every_kind_name_a_change() {
        let named: Vec<EventKind> = KINDS.iter().flat_map(|(_, k)| k.iter().copied()).collect();
        for kind in EventKind::CHANGES {
            assert!(named.contains(&kind), "{kind:?}");
        }
        assert!(named.iter().all(|k| EventKind::CHANGES.contains(k)));
    }
}
