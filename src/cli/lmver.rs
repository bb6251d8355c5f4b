//! `lmver [binary]`: version information of this tool or of a binary.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Arg;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exit::{self, CliError};
use super::render::{self, Format, Report};
use super::{CliResult, Ctx};
use crate::version::{BuildInfo, read_embedded};

pub fn command() -> clap::Command {
    clap::Command::new("lmver")
        .about("Print the version of this tool or of a binary (lmgrd, lmutil, a FlexNet binary)")
        .arg(
            Arg::new("binary")
                .value_name("BINARY")
                .value_parser(clap::value_parser!(PathBuf))
                .help("A path, or a name looked up beside this tool and then on PATH"),
        )
        .arg(render::json_arg())
}

/// What `lmver` reports.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct VersionReport {
    /// The binary read, or null for this tool itself.
    pub path: Option<PathBuf>,
    /// `lmutil`, or `FlexNet` for a FlexNet-built binary.
    pub product: String,
    pub version: String,
    /// The git revision it was built from (ours only).
    pub revision: Option<String>,
    /// The build number, commits behind the one built (ours only; null for
    /// a binary built before build numbers).
    #[serde(default)]
    pub build: Option<u64>,
    /// The target triple it was built for (ours only).
    pub target: Option<String>,
}

impl VersionReport {
    pub(crate) fn new(path: Option<PathBuf>, info: BuildInfo) -> Self {
        VersionReport {
            path,
            product: info.product,
            version: info.version,
            revision: info.revision,
            build: info.build,
            target: info.target,
        }
    }

    fn info(&self) -> BuildInfo {
        BuildInfo {
            product: self.product.clone(),
            version: self.version.clone(),
            revision: self.revision.clone(),
            build: self.build,
            target: self.target.clone(),
        }
    }
}

impl Report for VersionReport {
    fn text(&self, invoked: &str, w: &mut dyn Write) -> io::Result<()> {
        render::header(invoked, w)?;
        writeln!(w, "{}", self.info().line())
    }
}

/// A bare name that is not a file here is looked up beside this binary,
/// then on PATH, as `lmver lmgrd` should find the installed daemon.
fn locate(name: &Path) -> Option<PathBuf> {
    if name.exists() {
        return Some(name.to_owned());
    }
    if name.components().count() > 1 {
        return None;
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|d| d.join(name)));
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    beside.into_iter().chain(on_path).find(|p| p.is_file())
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    let report = match m.get_one::<PathBuf>("binary") {
        None => VersionReport::new(None, BuildInfo::current()),
        Some(name) => {
            let path = locate(name).ok_or_else(|| {
                CliError::new(exit::FAILURE, format!("no such file: {}", name.display()))
                    .hint("give a path, or a name installed beside lmutil or on PATH")
            })?;
            let info = read_embedded(&path)
                .map_err(|e| {
                    CliError::new(
                        exit::FAILURE,
                        format!("cannot read {}: {e}", path.display()),
                    )
                })?
                .ok_or_else(|| {
                    CliError::new(
                        exit::FAILURE,
                        format!("no version information found in {}", path.display()),
                    )
                    .hint("lmver reads lmutil, lmgrd and FlexNet-built binaries")
                })?;
            VersionReport::new(Some(path), info)
        }
    };
    render::emit(&report, Format::from_matches(m), ctx.invoked, ctx.out)?;
    Ok(exit::SUCCESS)
}
