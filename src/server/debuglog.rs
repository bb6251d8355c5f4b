//! The debug log, in FlexNet's line format, so existing log analysers read
//! it: `HH:MM:SS (CITRIX) OUT: "FEATURE" user@host  ` (hour space-padded,
//! two spaces after `user@host`), the matching `IN:` line identical after
//! the `@`, `DENIED:` with FlexNet's text and number, `TIMESTAMP M/D/YYYY`
//! lines when the date changes, and `(lmgrd)` start and stop lines. A
//! product session's start-up license (`CITRIX`) has its `OUT:` line when
//! the session starts and its `IN:` line when it ends, as FlexNet logs
//! every checkout.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Datelike, Local, NaiveDate, Timelike};

use crate::engine::request::{BurstEnd, Denial};
use crate::engine::{Engine, Event, Time};
use crate::license::STARTUP_FEATURE;
use crate::options::NoLog;

/// The vendor daemon's name in log lines.
pub const VENDOR: &str = "CITRIX";

/// An open debug log, or lines waiting to be added to one
/// ([`DebugLog::pending`]).
pub struct DebugLog {
    out: Sink,
    day: Option<NaiveDate>,
}

/// Where a log's lines go.
enum Sink {
    File(BufWriter<File>),
    Memory(Vec<u8>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::File(f) => f.write(buf),
            Sink::Memory(v) => v.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::File(f) => f.flush(),
            Sink::Memory(_) => Ok(()),
        }
    }
}

fn local(t: Time) -> DateTime<Local> {
    DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .with_timezone(&Local)
}

/// `M/D/YYYY`, as FlexNet writes dates in its log.
pub fn flexnet_date(d: NaiveDate) -> String {
    format!("{}/{}/{}", d.month(), d.day(), d.year())
}

impl DebugLog {
    /// Opens the log for appending, creating it if needed.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(DebugLog {
            out: Sink::File(BufWriter::new(file)),
            day: None,
        })
    }

    /// An empty log in memory, whose lines join an open log only through
    /// [`DebugLog::append`]. The owner writes a batch's lines there, so a
    /// batch that could not be made durable leaves no `OUT:` line for a
    /// checkout nobody was granted.
    pub fn memory() -> DebugLog {
        DebugLog {
            out: Sink::Memory(Vec::new()),
            day: None,
        }
    }

    /// Starts where `log` is: a new day's `TIMESTAMP` line is written once.
    pub fn continue_from(&mut self, log: &DebugLog) {
        self.day = log.day;
    }

    /// Forgets the lines of a memory log (keeping its memory).
    pub fn clear(&mut self) {
        if let Sink::Memory(lines) = &mut self.out {
            lines.clear();
        }
    }

    /// Adds and flushes the lines of a memory log, which is left empty.
    pub fn append(&mut self, pending: &mut DebugLog) {
        if let Sink::Memory(lines) = &mut pending.out {
            let _ = self.out.write_all(lines);
            lines.clear();
            if pending.day > self.day {
                self.day = pending.day;
            }
        }
        self.flush();
    }

    /// Writes one line from `daemon` (`lmgrd` or `CITRIX`).
    pub fn line(&mut self, t: Time, daemon: &str, message: &str) {
        let now = local(t);
        if self.day != Some(now.date_naive()) {
            self.day = Some(now.date_naive());
            let stamp = format!("TIMESTAMP {}", flexnet_date(now.date_naive()));
            self.write(now, "lmgrd", &stamp);
        }
        self.write(now, daemon, message);
    }

    fn write(&mut self, now: DateTime<Local>, daemon: &str, message: &str) {
        let _ = writeln!(
            self.out,
            "{:>2}:{:02}:{:02} ({daemon}) {message}",
            now.hour(),
            now.minute(),
            now.second()
        );
    }

    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }

    /// The line an event deserves, read against the state before it applies.
    pub fn event(&mut self, before: &Engine, event: &Event) {
        match event {
            Event::Granted(_) if before.options().no_log(NoLog::Out) => {}
            Event::CheckedIn { .. } if before.options().no_log(NoLog::In) => {}
            Event::Granted(g) => {
                let user = shown(&g.sent.0, &g.user);
                let line = usage("OUT", &g.feature, user, &g.host, g.count, None);
                self.line(g.at, VENDOR, &line);
            }
            Event::CheckedIn { handle, at } => {
                if let Some(c) = before.checkouts.get(handle) {
                    self.line(
                        *at,
                        VENDOR,
                        &usage("IN", c.feature(), c.sent_user(), &c.host, c.count, None),
                    );
                }
            }
            // The start-up license a product session holds is a checkout
            // to FlexNet, logged as one: the product server's host as
            // user and host, as `lmstat -a` lists it.
            Event::SessionStarted { host, at, .. } if !before.options().no_log(NoLog::Out) => {
                let line = usage("OUT", STARTUP_FEATURE, host, host, 1, None);
                self.line(*at, VENDOR, &line);
            }
            Event::SessionEnded {
                session,
                at,
                reclaimed,
            } => self.session_ended(before, *session, *at, *reclaimed),
            Event::BurstStarted {
                feature,
                version,
                at,
            } => self.line(
                *at,
                VENDOR,
                &format!(
                    "License burst mode started for \"{feature}\" v{}",
                    version.0
                ),
            ),
            Event::BurstEnded {
                feature,
                version,
                reason,
                at,
            } => {
                let why = match reason {
                    BurstEnd::Expired => "its 15 days ended",
                    BurstEnd::LicensesInstalled => "licenses were installed",
                    BurstEnd::Disabled => "it was disabled",
                };
                let message = format!(
                    "License burst mode ended for \"{feature}\" v{}: {why}",
                    version.0
                );
                self.line(*at, VENDOR, &message);
            }
            Event::LeaseExpired {
                feature,
                user,
                device,
                shown,
                at,
            } => {
                let (user, device) = shown.as_ref().map_or((user, device), |(u, d)| (u, d));
                self.line(
                    *at,
                    VENDOR,
                    &format!("LEASE EXPIRED: \"{feature}\" {user}@{device}"),
                );
            }
            _ => {}
        }
    }

    fn session_ended(&mut self, before: &Engine, session: u64, at: Time, reclaimed: bool) {
        let Some(s) = before.sessions.get(&session) else {
            return;
        };
        let reason = reclaimed.then_some("INACTIVE");
        for h in &s.handles {
            if let Some(c) = before.checkouts.get(h) {
                let line = usage("IN", c.feature(), c.sent_user(), &c.host, c.count, reason);
                self.line(at, VENDOR, &line);
            }
        }
        if !before.options().no_log(NoLog::In) {
            let line = usage("IN", STARTUP_FEATURE, &s.host, &s.host, 1, reason);
            self.line(at, VENDOR, &line);
        }
    }

    /// `DENIED: "F" user@host  (text (code,0))`.
    pub fn denied(&mut self, t: Time, feature: &str, user: &str, host: &str, d: &Denial) {
        let reason = format!("{} ({})", d.code, d.reason);
        self.line(
            t,
            VENDOR,
            &usage("DENIED", feature, user, host, 1, Some(&reason)),
        );
    }
}

/// The user as the product sent it (older events kept only the counted name).
fn shown<'a>(sent: &'a str, counted: &'a str) -> &'a str {
    if sent.is_empty() { counted } else { sent }
}

/// `WHAT: "feature" user@host  [(N licenses) ][(reason)]`: two spaces after
/// `user@host`, as FlexNet writes it.
fn usage(
    what: &str,
    feature: &str,
    user: &str,
    host: &str,
    count: u32,
    reason: Option<&str>,
) -> String {
    let mut line = format!("{what}: \"{feature}\" {user}@{host}  ");
    if count > 1 {
        line.push_str(&format!("({count} licenses) "));
    }
    if let Some(r) = reason {
        line.push_str(&format!("({r})"));
    }
    line
}

/// Writes a line to the debug log and to standard output. A blocking
/// write: async code goes through `Context::say`, off the runtime.
pub fn say(log: &Mutex<DebugLog>, daemon: &str, message: &str) {
    print_out(&format!("{daemon}: {message}"));
    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
    log.line(super::clock::now(), daemon, message);
    log.flush();
}

/// A line on standard output, which may be closed (a service manager that
/// stopped reading, `lmgrd | head`): the line is lost, never the daemon.
pub fn print_out(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_lines_follow_flexnet() {
        assert_eq!(
            usage("OUT", "F", "jack", "ddc1", 1, None),
            "OUT: \"F\" jack@ddc1  "
        );
        assert_eq!(
            usage("IN", "F", "jack", "ddc1", 2, Some("INACTIVE")),
            "IN: \"F\" jack@ddc1  (2 licenses) (INACTIVE)"
        );
        assert_eq!(
            flexnet_date(NaiveDate::from_ymd_opt(2026, 3, 5).unwrap()),
            "3/5/2026"
        );
    }

    #[test]
    fn the_hour_is_space_padded_and_a_timestamp_opens_each_day() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("debug.log");
        let mut log = DebugLog::open(&path).unwrap();
        let t = Local::now()
            .with_hour(9)
            .unwrap()
            .with_minute(5)
            .unwrap()
            .with_second(7)
            .unwrap();
        log.line(t.timestamp(), "lmgrd", "hello");
        log.line(t.timestamp() + 1, "CITRIX", "again");
        log.flush();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with(" 9:05:07 (lmgrd) TIMESTAMP "));
        assert_eq!(lines[1], " 9:05:07 (lmgrd) hello");
        assert_eq!(lines[2], " 9:05:08 (CITRIX) again");
    }
}
