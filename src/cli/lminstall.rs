//! `lminstall`: installs a license file on the server (administrators).
//! The server checks it as it would serve it — every line parses, every
//! license line is signed by a trusted key and bound to this host — then
//! writes it into its license directory and rereads; otherwise it refuses
//! with the reason and writes nothing (docs/license-files.md, "Installing a file").

use std::io::{self, Read, Write};
use std::path::PathBuf;

use clap::{Arg, ArgAction};
use serde::Serialize;

use super::exit::{self, CliError};
use super::remote::Remote;
use super::render::{self, Format, Report};
use super::{CliResult, Ctx, lmstat};
use crate::protocol::licenses::Installed;
use crate::protocol::{Request, Response};
use crate::server::install::MAX_INSTALL_LEN;

pub fn command() -> clap::Command {
    clap::Command::new("lminstall")
        .about("Install a license file on the server, checked and signature-verified, then reread (admin)")
        .arg(
            Arg::new("file")
                .value_name("FILE")
                .required(true)
                .value_parser(clap::value_parser!(PathBuf))
                .help("The license file (its name, which must end in .lic, is kept)"),
        )
        .arg(
            Arg::new("replace")
                .long("replace")
                .action(ArgAction::SetTrue)
                .help("Replace a file of that name on the server"),
        )
        .arg(lmstat::server_arg())
        .arg(lmstat::timeout_arg())
        .arg(render::json_arg())
}

/// What `lminstall --json` writes: what the server installed and what its
/// reread found.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Output(pub Installed);

impl Report for Output {
    fn text(&self, invoked: &str, w: &mut dyn Write) -> io::Result<()> {
        let i = &self.0;
        render::header(invoked, w)?;
        writeln!(w)?;
        let how = if i.replaced { "replaced" } else { "installed" };
        writeln!(w, "{} {how} ({} bytes): {}", i.file, i.size, i.path)?;
        for l in &i.lines {
            let state = match &l.reason {
                None => "serving".to_owned(),
                Some(why) => format!("not serving: {why}"),
            };
            writeln!(
                w,
                "  line {}: {} v{} expires {} count {}: {state}",
                l.line, l.feature, l.version, l.expiry, l.count
            )?;
        }
        writeln!(w, "lmreread successful: {} pools served", i.pools)
    }
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    let path = m
        .get_one::<PathBuf>("file")
        .ok_or_else(|| CliError::new(exit::USAGE, "give the license file to install"))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let content = read_text(path)?;
    let request = Request::InstallLicense {
        file_name,
        content,
        replace: m.get_flag("replace"),
    };
    let mut remote = Remote::connect(m)?;
    let Response::LicenseInstalled(installed) = remote.ask(request)? else {
        return Err(CliError::new(
            exit::FAILURE,
            "unexpected answer to install_license",
        ));
    };
    render::emit(
        &Output(*installed),
        Format::from_matches(m),
        ctx.invoked,
        ctx.out,
    )?;
    Ok(exit::SUCCESS)
}

/// The file's text, read no further than the server would take.
fn read_text(path: &std::path::Path) -> Result<String, CliError> {
    let cannot = |e: io::Error| {
        CliError::new(
            exit::FAILURE,
            format!("cannot read {}: {e}", path.display()),
        )
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(MAX_INSTALL_LEN as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() > MAX_INSTALL_LEN {
        let why = format!(
            "{} is larger than the {MAX_INSTALL_LEN} bytes a license file installed may have",
            path.display()
        );
        return Err(CliError::new(exit::USAGE, why));
    }
    String::from_utf8(bytes)
        .map_err(|_| CliError::new(exit::USAGE, format!("{} is not UTF-8 text", path.display())))
}
