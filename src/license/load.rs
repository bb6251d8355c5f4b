//! Reading license files from disk.
//!
//! The license directory holds every `*.lic` file (lower-case extension).
//! A file named `*.lic.txt` or `*.LIC` is not loaded, and the reason is
//! returned so the server and `lmdiag` can say it. A file that is a
//! symbolic link leading out of the directory is not loaded either: the
//! directory is what the administrator vouches for.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::parser::{MAX_FILE_LEN, parse_bytes};
use super::pool::LoadedFile;

/// A file in the license directory that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// Errors reading one license file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read license file {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("license file {path} is larger than {MAX_FILE_LEN} bytes")]
    TooLarge { path: PathBuf },
}

/// Reads and parses one file, reading no more than the size limit.
pub fn load_file(path: &Path) -> Result<LoadedFile, LoadError> {
    let read_err = |source| LoadError::Read {
        path: path.to_owned(),
        source,
    };
    let file = fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_LEN as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() > MAX_FILE_LEN {
        return Err(LoadError::TooLarge {
            path: path.to_owned(),
        });
    }
    Ok(LoadedFile {
        path: path.to_owned(),
        parsed: parse_bytes(&bytes),
    })
}

/// Why a directory entry's name keeps it from loading, if it does.
fn name_problem(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if name.ends_with(".lic") {
        return None;
    }
    if lower.ends_with(".lic") {
        return Some("the extension must be `.lic` in lower case".to_owned());
    }
    if lower.contains(".lic.") {
        return Some(format!(
            "the name ends in `{}` after `.lic` (saved by an editor or mail client?); rename it to end in `.lic`",
            &name[lower.find(".lic.").map_or(0, |i| i + 4)..]
        ));
    }
    None
}

/// Loads every `*.lic` file of a directory, in name order. Files that look
/// like license files but are not named `*.lic` are returned as skipped;
/// files that cannot be read are returned as skipped with the error.
pub fn load_dir(dir: &Path) -> io::Result<(Vec<LoadedFile>, Vec<Skipped>)> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some(reason) = name_problem(name) {
            skipped.push(Skipped { path, reason });
            continue;
        }
        if !name.ends_with(".lic") {
            continue;
        }
        if let Err(reason) = stays_inside(dir, &path) {
            skipped.push(Skipped { path, reason });
            continue;
        }
        if !path.is_file() {
            continue;
        }
        match load_file(&path) {
            Ok(f) => files.push(f),
            Err(e) => skipped.push(Skipped {
                path,
                reason: e.to_string(),
            }),
        }
    }
    Ok((files, skipped))
}

/// `Ok` unless `path` is a symbolic link whose target (followed all the
/// way) lies outside `dir`; the reason names where it leads.
pub fn stays_inside(dir: &Path, path: &Path) -> Result<(), String> {
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return Ok(());
    }
    let target = fs::canonicalize(path)
        .map_err(|e| format!("it is a symbolic link that cannot be followed: {e}"))?;
    let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    if target.starts_with(&dir) {
        Ok(())
    } else {
        Err(format!(
            "it is a symbolic link to {}, outside the license directory; copy the file in instead",
            target.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lower_case_lic_files_load_and_the_others_say_why() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.lic", "b.lic.txt", "c.LIC", "notes.txt"] {
            fs::write(dir.path().join(name), "VENDOR CITRIX\n").unwrap();
        }
        let (files, skipped) = load_dir(dir.path()).unwrap();
        assert_eq!(files.len(), 1);
        assert!(files[0].path.ends_with("a.lic"));
        let names: Vec<_> = skipped
            .iter()
            .map(|s| s.path.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["b.lic.txt", "c.LIC"]);
        assert!(skipped[1].reason.contains("lower case"));
    }

    #[test]
    fn a_link_out_of_the_directory_is_skipped_and_one_within_it_loads() {
        let outside = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("x.lic"), "VENDOR CITRIX\n").unwrap();
        fs::write(dir.path().join("real.txt"), "VENDOR CITRIX\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("x.lic"), dir.path().join("a.lic")).unwrap();
        std::os::unix::fs::symlink("real.txt", dir.path().join("b.lic")).unwrap();
        let (files, skipped) = load_dir(dir.path()).unwrap();
        assert_eq!(files.len(), 1);
        assert!(files[0].path.ends_with("b.lic"));
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].reason.contains("outside the license directory"));
    }
}
