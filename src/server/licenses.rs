//! The license directory as the daemon serves it: reading and verifying the
//! license files and the options file, saying in the log what is not served
//! and why, and handing the effective pools to the engine. Reading touches
//! the disk and this host's interfaces, so it runs off the async runtime;
//! what was read is kept, and answers `info` and `diagnose` until the next
//! reread.

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;

use super::clock::now;
use super::config::Config;
use super::debuglog::{DebugLog, VENDOR, say};
use super::owner::EngineHandle;
use crate::alerts::NotRead;
use crate::engine::{PoolSpec, Request, types::day_of};
use crate::license::load::Skipped;
use crate::license::pool::LineState;
use crate::license::{HostIdentity, inventory, load::load_dir};
use crate::options::Options;
use crate::protocol::diagnosis::Keys;

/// The license directory as read: files, what was skipped, the status of
/// every line on this host, this host's IDs, and the keys trusted.
pub(crate) struct Reading {
    pub files: Vec<crate::license::LoadedFile>,
    pub skipped: Vec<Skipped>,
    pub inv: crate::license::Inventory,
    pub host: HostIdentity,
    pub keys: Keys,
}

impl Reading {
    /// The license files read, in order.
    pub fn file_names(&self) -> Vec<String> {
        self.files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect()
    }

    /// The lines of the license files that do not parse, in file and line
    /// order: what the alerts `line_not_read` are raised for.
    pub fn not_read(&self) -> Vec<NotRead> {
        let mut out = Vec::new();
        for f in &self.files {
            let file = f.path.display().to_string();
            out.extend(f.parsed.errors.iter().map(|e| NotRead {
                file: file.clone(),
                line: e.line as u64,
                reason: format!("column {}: {}", e.column, e.message),
            }));
        }
        out
    }

    /// Why a line does not serve, as the log and lmdiag say it.
    pub fn refusal(&self, line: &LineState) -> Option<(crate::flexnet::Code, String)> {
        self.keys.refusal(line)
    }
}

/// Reads the license directory (blocking).
pub(crate) fn read(config: &Config) -> anyhow::Result<Reading> {
    let (files, skipped) = load_dir(&config.license_dir).with_context(|| {
        format!(
            "cannot read the license directory {}",
            config.license_dir.display()
        )
    })?;
    let (keyring, keys) = Keys::read(&config.keys_dir);
    let host = HostIdentity::current().context("cannot read this host's IDs")?;
    let inv = inventory(&files, VENDOR, &host, &keyring, day_of(now()));
    Ok(Reading {
        files,
        skipped,
        inv,
        host,
        keys,
    })
}

/// Rereads the license directory and the options file, off the runtime,
/// and hands the effective pools and options to the engine, and the lines
/// that do not parse to the alerts; says in the log what is not served and
/// why. Returns what was read. `by` is who
/// asked (none when the server reads them itself, at start).
pub async fn reread(
    config: &Arc<Config>,
    engine: &EngineHandle,
    log: &Arc<Mutex<DebugLog>>,
    by: Option<String>,
) -> anyhow::Result<Arc<Reading>> {
    let (config2, log2) = (config.clone(), log.clone());
    let (reading, options) = tokio::task::spawn_blocking(move || load(&config2, &log2))
        .await
        .context("reading the license files stopped")??;
    engine
        .handle(Request::SetOptions(options))
        .await
        .map_err(anyhow::Error::new)?;
    let pools = PoolSpec::from_inventory(&reading.inv);
    engine
        .handle(Request::Reread { pools, by })
        .await
        .map_err(anyhow::Error::new)?;
    engine
        .licenses_read(reading.not_read())
        .map_err(anyhow::Error::new)?;
    Ok(Arc::new(reading))
}

/// Reads the license files and the options file and logs their problems
/// (blocking).
fn load(config: &Config, log: &Mutex<DebugLog>) -> anyhow::Result<(Reading, Options)> {
    let reading = read(config)?;
    report(&reading, log);
    let options = read_options(config, log);
    Ok((reading, options))
}

/// Says in the log what was skipped, what does not parse, which lines are
/// not served and why, and which features are.
fn report(reading: &Reading, log: &Mutex<DebugLog>) {
    for s in &reading.skipped {
        say(
            log,
            VENDOR,
            &format!("Not loading {}: {}", s.path.display(), s.reason),
        );
    }
    for k in &reading.keys.bad {
        let line = format!("Not using key file {}: {}", k.path, k.reason);
        say(log, VENDOR, &line);
    }
    for f in &reading.files {
        let errors = f
            .parsed
            .errors
            .iter()
            .map(|e| format!("{}:{e}", f.path.display()));
        say_some(log, &f.path, errors, "");
    }
    for l in &reading.inv.lines {
        if let Some((code, reason)) = reading.refusal(l) {
            let at = format!("{}:{}", l.at.file.display(), l.at.line);
            let feature = &l.line.feature;
            say(
                log,
                VENDOR,
                &format!("{at}: \"{feature}\" not served: {reason} ({code})"),
            );
        }
    }
    // Each feature once, in the order first served, and only the features
    // that grant: an expired pool serves nothing new.
    let mut features: Vec<&str> = Vec::new();
    for p in reading.inv.pools.iter().filter(|p| !p.expired) {
        if !features.contains(&p.key.feature.as_str()) {
            features.push(&p.key.feature);
        }
    }
    let started = format!(
        "Server started on {} for:\t{}",
        reading.host.hostname,
        features.join(" ")
    );
    say(log, VENDOR, &started);
}

/// Reads `CITRIX.opt` from the license directory; a bad line is reported
/// with its line and column and skipped. No file: no options.
fn read_options(config: &Config, log: &Mutex<DebugLog>) -> Options {
    let path = config.license_dir.join(crate::options::FILE_NAME);
    let text = match read_options_text(&config.license_dir, &path) {
        Ok(Some(text)) => text,
        Ok(None) => return Options::default(),
        Err(reason) => {
            let line = format!("Not using options file \"{}\": {reason}", path.display());
            say(log, VENDOR, &line);
            return Options::default();
        }
    };
    let parsed = crate::options::parse(&text);
    say(
        log,
        VENDOR,
        &format!("Using options file: \"{}\"", path.display()),
    );
    let errors = parsed
        .errors
        .iter()
        .map(|e| format!("{}:{e}", path.display()));
    say_some(log, &path, errors, ": line ignored");
    let warnings = parsed
        .warnings
        .iter()
        .map(|w| format!("{}:{w}", path.display()));
    say_some(log, &path, warnings, "");
    parsed.options
}

/// The largest options file read.
const MAX_OPTIONS_LEN: u64 = 1024 * 1024;

/// The options file's text: `None` when there is none; an error when it
/// cannot serve (too large, a link out of the directory, unreadable).
/// Bytes that are not UTF-8 are replaced, so the parser reports the line.
fn read_options_text(dir: &Path, path: &Path) -> Result<Option<String>, String> {
    use std::io::Read;
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    crate::license::load::stays_inside(dir, path)?;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_OPTIONS_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_OPTIONS_LEN {
        return Err(format!("it is larger than {MAX_OPTIONS_LEN} bytes"));
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// The most problems of one file the log shows; lmdiag lists them all.
const MAX_LOGGED_PER_FILE: usize = 20;

/// Logs the first problems of a file, each with `suffix`, then how many
/// more there are: a binary or mangled file costs a few lines, not one per
/// byte.
fn say_some(
    log: &Mutex<DebugLog>,
    path: &Path,
    problems: impl ExactSizeIterator<Item = String>,
    suffix: &str,
) {
    let total = problems.len();
    for p in problems.take(MAX_LOGGED_PER_FILE) {
        say(log, VENDOR, &format!("{p}{suffix}"));
    }
    if total > MAX_LOGGED_PER_FILE {
        let more = total - MAX_LOGGED_PER_FILE;
        let line = format!(
            "{}: {more} more problems not shown (lmdiag lists every one)",
            path.display()
        );
        say(log, VENDOR, &line);
    }
}
