//! The one render layer: FlexNet-compatible text, or JSON.
//!
//! Commands build a typed report and hand it here; they never print.

use std::io::{self, Write};

use chrono::{DateTime, Datelike, Local, Timelike};
use serde::Serialize;

use super::schema::{SCHEMA_VERSION, Versioned};

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

impl Format {
    /// `--json` given or not.
    pub fn from_matches(m: &clap::ArgMatches) -> Self {
        if m.get_flag("json") {
            Format::Json
        } else {
            Format::Text
        }
    }
}

/// A report that knows its FlexNet text form.
pub trait Report: Serialize {
    /// Writes the text form; `invoked` is the name for the header line.
    fn text(&self, invoked: &str, w: &mut dyn Write) -> io::Result<()>;
}

/// Writes a report in the chosen format.
pub fn emit(
    report: &impl Report,
    format: Format,
    invoked: &str,
    w: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Text => report.text(invoked, w),
        Format::Json => {
            let document = Versioned {
                schema_version: SCHEMA_VERSION,
                report,
            };
            serde_json::to_writer_pretty(&mut *w, &document).map_err(io::Error::other)?;
            writeln!(w)
        }
    }
}

/// The first line every FlexNet utility prints, with the invoked name.
pub fn header(invoked: &str, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "{invoked} - Copyright (c) 2026 The lmutil Authors. All Rights Reserved."
    )
}

/// FlexNet's second line: `PREFIX Www M/D/YYYY HH:MM`, e.g. `Flexible
/// License Manager status on Tue 12/1/2026 09:05` (month and day
/// unpadded, hour and minute padded), as monitoring tools match it.
pub fn stamp(prefix: &str, at: DateTime<Local>) -> String {
    format!(
        "{prefix} {} {}/{}/{} {:02}:{:02}",
        at.format("%a"),
        at.month(),
        at.day(),
        at.year(),
        at.hour(),
        at.minute()
    )
}

/// An expiry as FlexNet's utilities print it: `01-dec-2027`, or
/// `permanent(no expiration date)`.
pub fn expiry(e: crate::license::Expiry) -> String {
    match e {
        crate::license::Expiry::Permanent => "permanent(no expiration date)".to_owned(),
        crate::license::Expiry::On(_) => e.to_string(),
    }
}

/// The `--json` flag every command has.
pub fn json_arg() -> clap::Arg {
    clap::Arg::new("json")
        .long("json")
        .action(clap::ArgAction::SetTrue)
        .help("Print JSON (the stable interface for scripts) instead of text")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamp_pads_hour_and_minute_but_not_month_and_day() {
        use chrono::TimeZone;
        let at = Local.with_ymd_and_hms(2026, 3, 4, 7, 5, 0).unwrap();
        assert_eq!(
            stamp("Flexible License Manager status on", at),
            "Flexible License Manager status on Wed 3/4/2026 07:05"
        );
    }

    #[test]
    fn the_header_names_the_invoked_tool_and_no_alarm_words() {
        let mut out = Vec::new();
        header("lmstat", &mut out).unwrap();
        let line = String::from_utf8(out).unwrap();
        assert!(line.starts_with("lmstat - Copyright (c) "));
        for word in ["down", "cannot", "unable", "refused"] {
            assert!(!line.to_lowercase().contains(word));
        }
    }
}
