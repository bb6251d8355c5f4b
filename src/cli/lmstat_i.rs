//! `lmstat -i [feature]`: the INCREMENT lines of the license files, in
//! FlexNet's table layout. With `-c FILE` or `-c DIRECTORY` (or neither)
//! they are read from the files themselves, as FlexNet's note says; with
//! `-c port@host` (or the server's control socket) the server is asked
//! (`diagnose`), and its lines are listed, the built-in ones included.
//!
//! The columns are FlexNet's `Feature Version #licenses Expires Vendor`,
//! each padded to its width and always followed by at least one space, so
//! that no two run together. A permanent line's expiry is printed
//! `01-jan-0000`, as FlexNet prints it in this column order (a year 0 means
//! permanent to every parser of this table); `--json` says `permanent`.

use crate::flexnet::Code;
use std::io::{self, Write};
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exit::{self, CliError};
use super::remote::Remote;
use super::render::{self, Format, Report};
use super::{CliResult, Ctx};
use crate::license::load::{load_dir, load_file};
use crate::license::{Count, Expiry, LoadedFile};
use crate::protocol::diagnosis::DiagLine;
use crate::protocol::{Request, Response};

/// One row of the table.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Increment {
    pub feature: String,
    pub version: String,
    /// A number, or `uncounted`.
    pub licenses: String,
    /// ISO date or `permanent`.
    pub expires: String,
    pub vendor: String,
    #[serde(skip)]
    expires_text: String,
    /// The license file; empty for a license built into the server.
    pub file: PathBuf,
    /// 1-based line number in the file; 0 for a built-in license.
    pub line: usize,
}

/// The Expires column: FlexNet's `01-jan-0000` for a permanent line.
fn expires_text(e: Expiry) -> String {
    match e {
        Expiry::Permanent => "01-jan-0000".to_owned(),
        Expiry::On(_) => render::expiry(e),
    }
}

impl From<DiagLine> for Increment {
    fn from(l: DiagLine) -> Self {
        Increment {
            expires: l.expiry.iso(),
            expires_text: expires_text(l.expiry),
            feature: l.feature,
            version: l.version,
            licenses: l.count,
            vendor: l.vendor,
            file: PathBuf::from(l.file),
            line: l.line,
        }
    }
}

/// `text` padded to `width`, and at least one space after it.
fn column(text: &str, width: usize) -> String {
    format!("{text:<0$} ", width.saturating_sub(1))
}

/// What `lmstat -i` reports.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Increments {
    pub increments: Vec<Increment>,
}

impl Report for Increments {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "NOTE: lmstat -i does not give information from the server,"
        )?;
        writeln!(
            w,
            "      but only reads the license file.  For this reason,"
        )?;
        writeln!(w, "      lmstat -a is recommended instead.")?;
        writeln!(w)?;
        writeln!(
            w,
            "{:<32}{:<12}{:<13}{:<13}Vendor",
            "Feature", "Version", "#licenses", "Expires"
        )?;
        writeln!(
            w,
            "{:<32}{:<12}{:<13}{:<13}______",
            "_______", "_________", "_________", "__________"
        )?;
        for i in &self.increments {
            // FlexNet's rows put the count one column right of its heading.
            writeln!(
                w,
                "{}{} {}{}{}",
                column(&i.feature, 32),
                column(&i.version, 12),
                column(&i.licenses, 12),
                column(&i.expires_text, 13),
                i.vendor
            )?;
        }
        Ok(())
    }
}

/// The license files `-c` names, else the local server's license directory.
fn files(m: &clap::ArgMatches) -> Result<Vec<LoadedFile>, CliError> {
    let spec = m.get_one::<String>("c").cloned();
    let spec = spec.or_else(|| {
        crate::client::select::from_environment(
            std::env::var("CITRIX_LICENSE_FILE").ok().as_deref(),
            std::env::var("LM_LICENSE_FILE").ok().as_deref(),
        )
    });
    let mut out = Vec::new();
    let elements: Vec<String> = match spec {
        Some(s) => s
            .split(crate::client::select::SEPARATOR)
            .map(str::to_owned)
            .collect(),
        None => vec![default_license_dir().display().to_string()],
    };
    // Servers (`port@host`) and a server's control socket are not files.
    let paths = elements
        .iter()
        .filter(|e| !e.contains('@') && !e.is_empty())
        .map(PathBuf::from)
        .filter(|p| !is_socket(p));
    for path in paths {
        let read = |err: String| {
            CliError::new(exit::flexnet(Code::NO_LICENSE_FILE), err)
                .hint("lmstat -i reads files: name them with -c FILE or -c DIRECTORY")
        };
        if path.is_dir() {
            out.extend(load_dir(&path).map_err(|x| read(x.to_string()))?.0);
        } else {
            out.push(load_file(&path).map_err(|x| read(x.to_string()))?);
        }
    }
    if out.is_empty() {
        return Err(CliError::new(
            exit::flexnet(Code::NO_LICENSE_FILE),
            "no license file to read",
        )
        .hint("lmstat -i reads files: name them with -c FILE or -c DIRECTORY"));
    }
    Ok(out)
}

fn is_socket(path: &std::path::Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

fn default_license_dir() -> PathBuf {
    match std::env::var_os("LMGRD_LICENSE_DIR") {
        Some(d) => PathBuf::from(d),
        None => directories::ProjectDirs::from("", "", "lmutil")
            .map_or_else(
                || PathBuf::from("/var/lib/lmutil/config"),
                |d| d.config_dir().to_owned(),
            )
            .join("licenses"),
    }
}

/// Whether `-c` (else the environment) names a server: a `port@host`,
/// `@host`, or the server's control socket.
fn names_a_server(m: &clap::ArgMatches) -> bool {
    let spec = m.get_one::<String>("c").cloned().or_else(|| {
        crate::client::select::from_environment(
            std::env::var("CITRIX_LICENSE_FILE").ok().as_deref(),
            std::env::var("LM_LICENSE_FILE").ok().as_deref(),
        )
    });
    spec.is_some_and(|s| {
        s.split(crate::client::select::SEPARATOR)
            .any(|e| e.contains('@') || is_socket(std::path::Path::new(e)))
    })
}

/// The server's license lines, of `feature` or all.
fn from_server(m: &clap::ArgMatches, feature: &str) -> Result<Vec<Increment>, CliError> {
    let mut remote = Remote::connect(m)?;
    let feature = (!feature.is_empty()).then(|| feature.to_owned());
    match remote.ask(Request::Diagnose { feature })? {
        Response::Diagnosis(d) => Ok(d.lines.into_iter().map(Increment::from).collect()),
        other => Err(CliError::new(
            exit::FAILURE,
            format!("unexpected answer {other:?}"),
        )),
    }
}

pub fn run(m: &clap::ArgMatches, feature: &str, ctx: &mut Ctx<'_>) -> CliResult {
    let increments = if names_a_server(m) {
        from_server(m, feature)?
    } else {
        from_files(m, feature)?
    };
    render::emit(
        &Increments { increments },
        Format::from_matches(m),
        ctx.invoked,
        ctx.out,
    )?;
    Ok(exit::SUCCESS)
}

/// The lines of the license files `-c` names, of `feature` or all.
fn from_files(m: &clap::ArgMatches, feature: &str) -> Result<Vec<Increment>, CliError> {
    let mut increments = Vec::new();
    for file in files(m)? {
        let spans = &file.parsed.spans;
        for (item, span) in file.parsed.file.items.iter().zip(spans) {
            let crate::license::Item::Feature(f) = item else {
                continue;
            };
            if !feature.is_empty() && f.feature != feature {
                continue;
            }
            increments.push(Increment {
                feature: f.feature.clone(),
                version: f.version.to_string(),
                licenses: match f.count {
                    Count::Uncounted => "uncounted".to_owned(),
                    Count::Licenses(n) => n.to_string(),
                },
                expires: f.expiry.iso(),
                expires_text: expires_text(f.expiry),
                vendor: f.vendor.clone(),
                file: file.path.clone(),
                line: span.line,
            });
        }
    }
    Ok(increments)
}
