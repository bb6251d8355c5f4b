//! `lmhistory`: the usage history the server records (docs/history.md).
//! Per pool and day: the peak, the average, the minimum, what was
//! installed, the peak in overdraft and the refusals, as a table (FlexNet
//! has no such command, so no layout binds it) followed by a chart of the
//! daily peaks against installed; `--json` for scripts; `-export -o FILE`
//! writes the daily usage report as CSV, with a progress bar on a terminal.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Arg, ArgAction};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::exit::{self, CliError};
use super::remote::Remote;
use super::render::{self, Format, Report};
use super::udadmin_export::Sink;
use super::{CliResult, Ctx, lmstat};
use crate::history::export;
use crate::protocol::history::{DayUsage, History, HistoryQuery};
use crate::protocol::{Request, Response};

pub fn command() -> clap::Command {
    let text = |name: &'static str, value: &'static str, help: &'static str| {
        Arg::new(name).long(name).value_name(value).help(help)
    };
    clap::Command::new("lmhistory")
        .about("The usage history: daily peaks, averages and overdraft per pool, as a table and a chart, JSON or CSV")
        .arg(
            Arg::new("f")
                .short('f')
                .value_name("FEATURE")
                .help("Only this feature"),
        )
        .arg(text("version", "CSS", "Only the pools of this css date (YYYY.MMDD)"))
        .arg(text("from", "DATE", "From this day on (YYYY-MM-DD, UTC)"))
        .arg(text("to", "DATE", "Up to this day (YYYY-MM-DD, UTC)"))
        .arg(
            Arg::new("export")
                .long("export")
                .action(ArgAction::SetTrue)
                .help("The daily usage report as CSV (date,feature,cssDate,…; docs/history.md)"),
        )
        .arg(
            Arg::new("output")
                .short('o')
                .long("output")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Write to FILE instead of standard output (-export shows its progress on a terminal)"),
        )
        .arg(lmstat::server_arg())
        .arg(lmstat::timeout_arg())
        .arg(render::json_arg())
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    let format = Format::from_matches(m);
    let text = |name: &str| m.get_one::<String>(name).cloned();
    let query = HistoryQuery {
        feature: text("f"),
        version: text("version"),
        from: text("from"),
        to: text("to"),
        samples: false,
    };
    let mut remote = Remote::connect(m)?;
    let Response::History(history) = remote.ask(Request::History(query))? else {
        return Err(CliError::new(exit::FAILURE, "unexpected answer to history"));
    };
    let output = m.get_one::<PathBuf>("output").map(PathBuf::as_path);
    let mut sink = Sink::open(output, ctx.out)?;
    let written = if m.get_flag("export") && format == Format::Text {
        let progress = progress_bar(sink.is_file() && io::stderr().is_terminal());
        progress.set_length(history.days.len() as u64);
        let written = export::write_csv(&history.days, sink.writer(), || progress.inc(1));
        progress.finish_and_clear();
        written
    } else {
        render::emit(&Output(*history), format, ctx.invoked, sink.writer())
    };
    sink.finish(written, output)
}

/// What `lmhistory --json` writes: the history's days (see
/// [`History`]).
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Output(pub History);

impl Report for Output {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        let h = &self.0;
        writeln!(
            w,
            "Sampled every {}; days kept {}, samples kept {} days.",
            period(h.sample_period),
            h.retention_days,
            h.sample_retention_days
        )?;
        if h.days.is_empty() {
            return writeln!(w, "No usage recorded for what was asked.");
        }
        writeln!(w, "{}", table(&h.days))?;
        chart(&h.days, w)
    }
}

/// `900` as `15m`.
fn period(seconds: i64) -> String {
    match seconds {
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn table(days: &[DayUsage]) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(140)
        .set_header([
            "Date",
            "Feature",
            "CSS date",
            "Type",
            "Installed",
            "Peak",
            "Overdraft peak",
            "Average",
            "Minimum",
            "Denials",
        ]);
    for d in days {
        t.add_row([
            d.date.clone(),
            d.pool.feature.clone(),
            d.pool.version.clone(),
            d.pool.license_type.clone().unwrap_or_default(),
            d.installed.to_string(),
            d.peak.to_string(),
            d.overdraft_peak.to_string(),
            format!("{:.1}", d.average),
            d.minimum.to_string(),
            d.denials.to_string(),
        ]);
    }
    t
}

/// The widest bar of the chart, in characters.
const BAR: u64 = 40;

/// Each pool's daily peaks against installed: `#` up to the peak, `.` up
/// to installed, `!` for a peak beyond installed.
fn chart(days: &[DayUsage], w: &mut dyn Write) -> io::Result<()> {
    let mut pools: Vec<(&str, &str, Option<&str>)> = days
        .iter()
        .map(|d| {
            let p = &d.pool;
            (
                p.feature.as_str(),
                p.version.as_str(),
                p.license_type.as_deref(),
            )
        })
        .collect();
    pools.sort();
    pools.dedup();
    for (feature, version, kind) in pools {
        let mine: Vec<&DayUsage> = days
            .iter()
            .filter(|d| (d.pool.feature.as_str(), d.pool.version.as_str()) == (feature, version))
            .filter(|d| d.pool.license_type.as_deref() == kind)
            .collect();
        let top = mine
            .iter()
            .map(|d| d.peak.max(d.installed))
            .max()
            .unwrap_or(0)
            .max(1);
        writeln!(w)?;
        writeln!(
            w,
            "{feature} {version}: daily peak (#) against installed (.)"
        )?;
        for d in mine {
            writeln!(
                w,
                "{} |{}| {}/{}",
                d.date,
                bar(d.peak, d.installed, top),
                d.peak,
                d.installed
            )?;
        }
    }
    Ok(())
}

/// One bar, `top` being the chart's full width.
fn bar(peak: u64, installed: u64, top: u64) -> String {
    let scale = |n: u64| (n * BAR).div_ceil(top);
    let (used, owned) = (scale(peak.min(installed)), scale(installed));
    let over = scale(peak).saturating_sub(owned);
    let mut s = "#".repeat(used as usize);
    s.push_str(&".".repeat(owned.saturating_sub(used) as usize));
    s.push_str(&"!".repeat(over as usize));
    s.push_str(&" ".repeat(BAR.saturating_sub(used.max(owned) + over) as usize));
    s
}

/// A bar on standard error when `visible`; otherwise one that draws nothing.
fn progress_bar(visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} exporting [{bar:40}] {pos}/{len} days ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_shows_the_peak_within_installed_and_beyond() {
        assert_eq!(
            bar(5, 10, 10).trim_end(),
            format!("{}{}", "#".repeat(20), ".".repeat(20))
        );
        let over = bar(12, 10, 12);
        assert!(over.contains('!') && over.starts_with('#'), "{over}");
        assert_eq!(bar(0, 0, 1), " ".repeat(40));
    }
}
