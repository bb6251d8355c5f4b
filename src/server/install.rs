//! Installing a license file: the text is checked as the server would
//! serve it (every line parses, every license line is signed by a trusted
//! key and bound to this host) and only then written into the license
//! directory, atomically: a temporary file in the same directory, flushed
//! to disk, renamed into place (or linked, so that an existing file of
//! that name is never overwritten unless asked), and the directory flushed
//! too. A refusal writes nothing. The reread that follows is the caller's.
//! Also the listing of the directory's files, for the console's "Update
//! Licenses".

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::clock::now;
use super::config::Config;
use super::debuglog::VENDOR;
use super::licenses::Reading;
use crate::engine::types::day_of;
use crate::flexnet::Code;
use crate::license::pool::{LineStatus, LoadedFile};
use crate::license::{HostIdentity, Item, inventory, parse};
use crate::protocol::diagnosis::Keys;
use crate::protocol::licenses::LicenseFile;

/// The largest license file installed, in bytes: a vendor's file is a few
/// kilobytes; the bound keeps the request within one protocol frame.
pub const MAX_INSTALL_LEN: usize = 256 * 1024;
/// The longest file name installed, in bytes.
pub const MAX_NAME_LEN: usize = 128;
/// Syntax problems a refusal lists; past them it says how many more.
const MAX_LISTED: usize = 10;

/// Why a license file was not installed: FlexNet's number and the reason.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct Refused {
    /// FlexNet's number: -42 for the name, -12 for the size, -2 for the
    /// syntax, the line's own (-8, -9…) for a license line.
    pub code: Code,
    /// What exactly is wrong, and where.
    pub reason: String,
}

impl Refused {
    fn new(code: Code, reason: impl Into<String>) -> Self {
        Refused {
            code,
            reason: reason.into(),
        }
    }
}

/// A file written into the license directory.
#[derive(Debug)]
pub struct Written {
    /// Where it was written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// A file of that name was there and was replaced.
    pub replaced: bool,
    /// The features of its license lines, in order, each once.
    pub features: Vec<String>,
}

/// Checks `content` and writes it as `name` into the license directory
/// (blocking: it reads the keys and this host's IDs, and writes).
pub(crate) fn install(
    config: &Config,
    name: &str,
    content: &str,
    replace: bool,
) -> Result<Written, Refused> {
    check_name(name)?;
    if content.len() > MAX_INSTALL_LEN {
        let reason = format!(
            "the file is {} bytes, more than the {MAX_INSTALL_LEN} bytes a license file installed may have",
            content.len()
        );
        return Err(Refused::new(Code::BAD_DATA, reason));
    }
    let path = config.license_dir.join(name);
    let features = check_content(config, &path, content)?;
    let replaced = write_atomically(&config.license_dir, name, content.as_bytes(), replace)?;
    Ok(Written {
        path,
        size: content.len() as u64,
        replaced,
        features,
    })
}

/// A plain `NAME.lic`: no directory, not hidden, printable, not too long.
fn check_name(name: &str) -> Result<(), Refused> {
    let bad = |why: &str| {
        Err(Refused::new(
            Code::BAD_PARAMETER,
            format!("file name `{name}`: {why}"),
        ))
    };
    if name.contains(['/', '\\']) || name == ".." {
        return bad("a name without a directory is expected, e.g. citrix_2026.lic");
    }
    if !name.ends_with(".lic") || name.len() <= ".lic".len() {
        return bad("the name must end in `.lic` (lower case), as the server reads only those");
    }
    if name.starts_with('.') {
        return bad("a name starting with `.` is hidden");
    }
    if name.len() > MAX_NAME_LEN {
        return bad(&format!("longer than {MAX_NAME_LEN} bytes"));
    }
    if name.chars().any(char::is_control) {
        return bad("it holds a control character");
    }
    Ok(())
}

/// Refuses text that does not parse, that has no license line, or a
/// license line that would not serve on this host for want of a valid
/// signature or binding; returns the lines' features.
fn check_content(config: &Config, path: &Path, content: &str) -> Result<Vec<String>, Refused> {
    let parsed = parse(content);
    if !parsed.errors.is_empty() {
        let mut listed: Vec<String> = parsed
            .errors
            .iter()
            .take(MAX_LISTED)
            .map(|e| format!("line {}, column {}: {}", e.line, e.column, e.message))
            .collect();
        if parsed.errors.len() > MAX_LISTED {
            listed.push(format!("{} more", parsed.errors.len() - MAX_LISTED));
        }
        let reason = format!("the file does not parse: {}", listed.join("; "));
        return Err(Refused::new(Code::BAD_FILE_SYNTAX, reason));
    }
    let has_license = parsed
        .file
        .items
        .iter()
        .any(|i| matches!(i, Item::Feature(_)));
    if !has_license {
        let reason = "the file holds no FEATURE or INCREMENT line";
        return Err(Refused::new(Code::NO_SUCH_FEATURE, reason));
    }
    let (keyring, keys) = Keys::read(&config.keys_dir);
    let host = HostIdentity::current().map_err(|e| {
        Refused::new(
            Code::CANNOT_CONNECT,
            format!("cannot read this host's IDs: {e}"),
        )
    })?;
    let files = [LoadedFile {
        path: path.to_owned(),
        parsed,
    }];
    let inv = inventory(&files, VENDOR, &host, &keyring, day_of(now()));
    let mut features: Vec<String> = Vec::new();
    for l in &inv.lines {
        if would_never_serve(&l.status)
            && let Some((code, reason)) = keys.refusal(l)
        {
            let reason = format!("line {} ({}): {reason}", l.at.line, l.line.feature);
            return Err(Refused::new(code, reason));
        }
        if !features.contains(&l.line.feature) {
            features.push(l.line.feature.clone());
        }
    }
    Ok(features)
}

/// A line that no reread would ever serve on this host: what an
/// administrator must get a new file for. An expired line, one not started
/// yet or one superseded is installed, and the answer says why it does
/// not serve.
fn would_never_serve(status: &LineStatus) -> bool {
    matches!(
        status,
        LineStatus::Unsigned
            | LineStatus::BadSignature
            | LineStatus::BoundElsewhere { .. }
            | LineStatus::OtherVendor { .. }
            | LineStatus::NoServerLine
            | LineStatus::UnknownModel
    )
}

/// Writes `bytes` as `dir/name`: whole or not at all, and durably. Without
/// `replace`, an existing file is refused (the link that puts the file in
/// place fails rather than overwrite it). Returns whether a file was
/// replaced.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8], replace: bool) -> Result<bool, Refused> {
    let failed = |what: &str, e: io::Error| {
        Refused::new(
            Code::CANNOT_CONNECT,
            format!("cannot {what} in {}: {e}", dir.display()),
        )
    };
    let target = dir.join(name);
    let existed = fs::symlink_metadata(&target).is_ok();
    if existed && !replace {
        let reason = format!("{name} is already installed: give replace to replace it");
        return Err(Refused::new(Code::BAD_PARAMETER, reason));
    }
    let temporary = temporary_path(dir, name);
    let written = write_synced(&temporary, bytes).map_err(|e| failed("write the file", e));
    let placed = written.and_then(|()| {
        if replace {
            fs::rename(&temporary, &target).map_err(|e| failed("rename the file", e))
        } else {
            place_new(&temporary, &target, name)
        }
    });
    if placed.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    placed?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| failed("flush the directory", e))?;
    Ok(existed)
}

/// Links the temporary file to `target` (failing if it exists), then
/// removes the temporary name.
fn place_new(temporary: &Path, target: &Path, name: &str) -> Result<(), Refused> {
    match fs::hard_link(temporary, target) {
        Ok(()) => {
            let _ = fs::remove_file(temporary);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let reason = format!("{name} is already installed: give replace to replace it");
            Err(Refused::new(Code::BAD_PARAMETER, reason))
        }
        Err(e) => Err(Refused::new(
            Code::CANNOT_CONNECT,
            format!("cannot put {name} in place: {e}"),
        )),
    }
}

/// A name in the same directory that the server never reads (hidden, not
/// ending in `.lic`) and no other install uses at once.
fn temporary_path(dir: &Path, name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}-{n}.installing", std::process::id()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::options().write(true).create_new(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// The files of the license directory (not hidden ones), by name, with
/// whether the last (re)read read them; with `days`, only those written
/// within that many days (blocking).
pub(crate) fn license_files(
    config: &Config,
    reading: &Reading,
    days: Option<u32>,
) -> io::Result<Vec<LicenseFile>> {
    let since = days.map(|d| now() - i64::from(d) * crate::engine::types::DAY);
    let mut files = Vec::new();
    for entry in fs::read_dir(&config.license_dir)? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(meta) = fs::metadata(entry.path()) else {
            continue;
        };
        if name.starts_with('.') || !meta.is_file() {
            continue;
        }
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs() as i64);
        if since.is_some_and(|s| modified < s) {
            continue;
        }
        let path = entry.path();
        let read = reading.files.iter().any(|f| f.path == path);
        let reason = reading
            .skipped
            .iter()
            .find(|s| s.path == path)
            .map(|s| s.reason.clone());
        files.push(LicenseFile {
            name,
            size: meta.len(),
            modified,
            read,
            reason,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_lic_name_is_accepted() {
        assert!(check_name("citrix_2026.lic").is_ok());
        for bad in [
            "../x.lic",
            "sub/x.lic",
            "x.lic.txt",
            "x.LIC",
            ".lic",
            ".hidden.lic",
            "a\\b.lic",
            "x\n.lic",
        ] {
            let refused = check_name(bad).expect_err(bad);
            assert_eq!(refused.code, Code::BAD_PARAMETER, "{bad}");
        }
        let long = format!("{}.lic", "a".repeat(MAX_NAME_LEN));
        assert!(check_name(&long).is_err());
    }

    #[test]
    fn a_file_is_never_overwritten_unless_asked_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let listed = || {
            let mut names: Vec<String> = fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        assert!(!write_atomically(dir.path(), "a.lic", b"one", false).unwrap());
        let refused = write_atomically(dir.path(), "a.lic", b"two", false).unwrap_err();
        assert!(refused.reason.contains("already installed"), "{refused}");
        assert_eq!(fs::read(dir.path().join("a.lic")).unwrap(), b"one");
        assert!(write_atomically(dir.path(), "a.lic", b"three", true).unwrap());
        assert_eq!(fs::read(dir.path().join("a.lic")).unwrap(), b"three");
        assert_eq!(listed(), ["a.lic"]);
    }
}
