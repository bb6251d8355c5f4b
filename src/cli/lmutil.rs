//! `lmutil` itself: the command list, `--install-links`, and dispatch on
//! the first argument.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::exit::{self, CliError};
use super::{COMMANDS, CommandSpec, find, run_command};

/// The top-level command, for help, completions and man pages.
pub fn command() -> clap::Command {
    clap::Command::new("lmutil")
        .about("License server administration tools (multi-call: lmutil CMD, or a link named CMD)")
        .version(crate::version::VERSION)
        .disable_help_subcommand(true)
        .arg(
            clap::Arg::new("install-links")
                .long("install-links")
                .value_name("DIR")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Create a link named after each command in DIR, pointing to this binary"),
        )
        .subcommands(COMMANDS.iter().map(CommandSpec::build))
}

/// `lmutil ARGS`: a command name first, or a top-level option.
pub fn run(args: Vec<OsString>, out: &mut dyn Write) -> i32 {
    let Some(first) = args.first().and_then(|a| a.to_str()).map(str::to_owned) else {
        return exit::finish("lmutil", list(out));
    };
    if let Some(spec) = find(&first) {
        return run_command(spec, "lmutil", args[1..].to_vec(), out);
    }
    let result = match first.as_str() {
        "-help" | "--help" | "-h" => list(out),
        "-v" | "--version" | "-version" => {
            writeln!(out, "{}", crate::version::BuildInfo::current().line())
                .map(|()| exit::SUCCESS)
                .map_err(Into::into)
        }
        "--install-links" | "-install-links" => match args.get(1) {
            Some(dir) if args.len() == 2 => install_links(Path::new(dir), out),
            _ => Err(
                CliError::new(exit::USAGE, "--install-links takes one directory")
                    .hint("lmutil --install-links /usr/local/bin"),
            ),
        },
        other => Err(
            CliError::new(exit::USAGE, format!("unknown command `{other}`"))
                .hint("run `lmutil` alone to list the commands"),
        ),
    };
    exit::finish("lmutil", result)
}

/// Lists every command with its one-line description.
fn list(out: &mut dyn Write) -> super::CliResult {
    writeln!(
        out,
        "lmutil {} - license server administration tools",
        crate::version::VERSION
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Usage: lmutil COMMAND [ARGS]   (or run a link named COMMAND)"
    )?;
    writeln!(out)?;
    writeln!(out, "Commands:")?;
    for c in COMMANDS {
        let cmd = c.build();
        let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
        writeln!(out, "  {:<24}{about}", c.name)?;
    }
    writeln!(out)?;
    writeln!(out, "`lmutil COMMAND -help` shows a command's options.")?;
    writeln!(
        out,
        "`-c https://host:port` (with LMUTIL_TOKEN) reaches a server from another host."
    )?;
    writeln!(
        out,
        "`lmutil --install-links DIR` creates a link per command."
    )?;
    Ok(exit::SUCCESS)
}

/// Creates `DIR/<command>` links to this binary; replaces old links, never
/// a regular file.
fn install_links(dir: &Path, out: &mut dyn Write) -> super::CliResult {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| {
            CliError::new(
                exit::FAILURE,
                format!("cannot find this binary's path: {e}"),
            )
        })?;
    std::fs::create_dir_all(dir).map_err(|e| {
        CliError::new(
            exit::FAILURE,
            format!("cannot create {}: {e}", dir.display()),
        )
    })?;
    for c in COMMANDS {
        let link = dir.join(c.name);
        match std::fs::symlink_metadata(&link) {
            Ok(m) if m.file_type().is_symlink() => {
                std::fs::remove_file(&link).map_err(|e| {
                    CliError::new(
                        exit::FAILURE,
                        format!("cannot replace {}: {e}", link.display()),
                    )
                })?;
            }
            Ok(_) => {
                return Err(CliError::new(
                    exit::FAILURE,
                    format!(
                        "{} exists and is not a link; not replacing it",
                        link.display()
                    ),
                ));
            }
            Err(_) => {}
        }
        make_link(&exe, &link).map_err(|e| {
            CliError::new(
                exit::FAILURE,
                format!("cannot create {}: {e}", link.display()),
            )
        })?;
        writeln!(out, "{} -> {}", link.display(), exe.display())?;
    }
    Ok(exit::SUCCESS)
}

#[cfg(unix)]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::hard_link(target, link)
}
