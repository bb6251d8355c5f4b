//! Alerts in the daemon: the reader thread evaluates them on its replica
//! and on what the last read of the license directory found (the lines
//! that do not parse) ([`Watch`]) after committed batches (coalesced: once the queue of
//! batches is drained, or when a reader asks) and every
//! [`CHECK_EVERY`] (expiry and START dates move with the date), never on
//! the thread that decides grants. Each raised or cleared alert is a
//! `(CITRIX) ALERT:` or `ALERT CLEARED:` line in the debug log and a
//! delivery to every webhook.
//!
//! The active set survives restarts in `alerts.json` beside the state
//! database, replaced atomically (written aside, synced, renamed) whenever
//! it changes: a restart raises only what began, and clears only what
//! ended, while the server was down. It is a file of its own, not a table
//! of the state database, so that no alert ever waits for, or slows, the
//! write path of grants.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::debuglog::{DebugLog, VENDOR, say};
use super::webhook::Webhooks;
use crate::alerts::{Change, NotRead, Tracker, conditions, not_read};
use crate::engine::{Engine, Time};
use crate::protocol::alerts::{Alert, AlertChange, AlertKind};

/// How often the alerts are evaluated when no batch is committed.
pub const CHECK_EVERY: Duration = Duration::from_secs(60);

/// The file the active alerts are kept in, in the data directory.
pub const FILE_NAME: &str = "alerts.json";

/// What `alerts.json` holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    active: Vec<Alert>,
}

/// The active alerts, and where their changes go.
pub struct Alerts {
    tracker: Tracker,
    file: PathBuf,
    log: Arc<Mutex<DebugLog>>,
    webhooks: Webhooks,
    /// The lines of the license files that do not parse, as last read;
    /// `None` until the first read since start reaches the reader.
    not_read: Option<Vec<NotRead>>,
}

impl Alerts {
    /// The alerts as the last run left them in `data_dir` (none if it left
    /// no file; a file that cannot be read is said in the log and started
    /// over).
    pub fn open(data_dir: &Path, log: Arc<Mutex<DebugLog>>, webhooks: Webhooks) -> Alerts {
        let file = data_dir.join(FILE_NAME);
        let stored = match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice::<Stored>(&bytes).unwrap_or_else(|e| {
                let line = format!("{} cannot be read ({e}); alerts start over", file.display());
                say(&log, "lmgrd", &line);
                Stored::default()
            }),
            Err(_) => Stored::default(),
        };
        Alerts {
            tracker: Tracker::new(stored.active),
            file,
            log,
            webhooks,
            not_read: None,
        }
    }

    /// What the last read of the license directory found that does not
    /// parse: evaluated with the engine's conditions from now on.
    pub fn licenses_read(&mut self, lines: Vec<NotRead>) {
        self.not_read = Some(lines);
    }

    /// Evaluates the alerts of `engine` at `now`: logs, delivers and keeps
    /// what changed.
    pub fn evaluate(&mut self, engine: &Engine, now: Time) {
        let mut current = conditions(engine, now);
        match &self.not_read {
            Some(lines) => current.extend(not_read(lines, now)),
            // Before the first read reaches the reader, the lines raised
            // before a restart stay as they were: neither cleared nor
            // raised again.
            None => current.extend(
                (self.tracker.active().into_iter()).filter(|a| a.kind == AlertKind::LineNotRead),
            ),
        }
        let changes = self.tracker.update(current);
        if changes.is_empty() {
            return;
        }
        for change in &changes {
            say(&self.log, VENDOR, &log_line(change));
            self.webhooks.send(change, now);
        }
        if let Err(e) = self.store() {
            let line = format!("cannot write {}: {e}", self.file.display());
            say(&self.log, "lmgrd", &line);
        }
    }

    /// The active alerts, in order.
    pub fn active(&self) -> Vec<Alert> {
        self.tracker.active()
    }

    /// Replaces the file atomically: a crash leaves the old set or the new.
    fn store(&self) -> std::io::Result<()> {
        use std::io::Write as _;
        let stored = Stored {
            active: self.tracker.active(),
        };
        let bytes = serde_json::to_vec_pretty(&stored).map_err(std::io::Error::other)?;
        let aside = self.file.with_extension("json.new");
        let mut f = std::fs::File::create(&aside)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&aside, &self.file)
    }
}

/// The debug log's line for a change: `ALERT: kind "FEATURE" vVERSION
/// (expiry): detail`, or `ALERT CLEARED: …`; for a line of a license file,
/// `ALERT: kind FILE:LINE: detail`.
pub fn log_line(change: &Change) -> String {
    let a = &change.alert;
    let word = match change.change {
        AlertChange::Raised => "ALERT",
        AlertChange::Cleared => "ALERT CLEARED",
    };
    if let (Some(file), Some(line)) = (&a.file, a.line) {
        return format!("{word}: {} {file}:{line}: {}", a.kind.name(), a.detail);
    }
    let version = a
        .version
        .as_ref()
        .map(|v| format!(" v{v}"))
        .unwrap_or_default();
    let expiry = a
        .expiry
        .as_ref()
        .map(|e| format!(" (expiry {e})"))
        .unwrap_or_default();
    format!(
        "{word}: {} \"{}\"{version}{expiry}: {}",
        a.kind.name(),
        a.feature,
        a.detail
    )
}

/// The reader's alerts and when they are next evaluated: after the
/// batches waiting are applied, before a reader reads them, and every
/// [`CHECK_EVERY`].
pub struct Watch {
    alerts: Alerts,
    /// The replica changed (or time passed) since the last evaluation.
    stale: bool,
    next: Instant,
}

impl Watch {
    pub fn new(alerts: Alerts) -> Watch {
        Watch {
            alerts,
            stale: true,
            next: Instant::now(),
        }
    }

    /// The replica changed: evaluate once the messages waiting are handled.
    pub fn changed(&mut self) {
        self.stale = true;
    }

    /// The license directory was read: its lines that do not parse.
    pub fn licenses_read(&mut self, lines: Vec<NotRead>) {
        self.alerts.licenses_read(lines);
        self.stale = true;
    }

    /// The next message for the reader, evaluating the alerts whenever
    /// none waits and they are stale, waiting at most `limit` (when given)
    /// for it.
    pub fn next<T>(
        &mut self,
        rx: &Receiver<T>,
        engine: &Engine,
        limit: Option<Duration>,
    ) -> Waited<T> {
        let until = limit.map(|l| Instant::now() + l);
        loop {
            if self.stale {
                match rx.try_recv() {
                    Ok(m) => return Waited::Message(m),
                    Err(TryRecvError::Disconnected) => return Waited::Gone,
                    Err(TryRecvError::Empty) => self.evaluate(engine),
                }
            }
            let deadline = until.map_or(self.next, |u| u.min(self.next));
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(m) => return Waited::Message(m),
                Err(RecvTimeoutError::Disconnected) => return Waited::Gone,
                Err(RecvTimeoutError::Timeout) if Instant::now() >= self.next => {
                    self.stale = true;
                }
                Err(RecvTimeoutError::Timeout) => return Waited::TimedOut,
            }
        }
    }

    /// The active alerts, evaluated first if stale.
    pub fn active(&mut self, engine: &Engine) -> Vec<Alert> {
        if self.stale {
            self.evaluate(engine);
        }
        self.alerts.active()
    }

    fn evaluate(&mut self, engine: &Engine) {
        self.alerts.evaluate(engine, super::clock::now());
        self.stale = false;
        self.next = Instant::now() + CHECK_EVERY;
    }
}

/// What waiting for the reader's next message gave.
#[derive(Debug)]
pub enum Waited<T> {
    Message(T),
    /// Every sender is gone.
    Gone,
    /// The time asked for passed first.
    TimedOut,
}
