//! Shell completions and man pages, generated from the clap definitions,
//! and the `--json` schemas, generated from the report types.
//!
//! The files live in `completions/`, `man/` and `docs/schemas/` of the
//! repository; a test regenerates them in memory and fails when the
//! checked-in copies are stale (`LMUTIL_UPDATE_GENERATED=1 cargo test
//! generated` rewrites them).

use std::path::PathBuf;

use clap_complete::Shell;

use super::COMMANDS;

/// Every command that gets completions and a man page: `lmutil`, each
/// command of the table (installed as links), and `lmgrd`.
pub fn all_commands() -> Vec<clap::Command> {
    let mut cmds = vec![super::lmutil::command(), crate::server::command()];
    cmds.extend(COMMANDS.iter().map(super::CommandSpec::build));
    cmds
}

/// A shell, its folder under `completions/`, and its file name for a command.
type ShellFiles = (Shell, &'static str, fn(&str) -> String);

const SHELLS: [ShellFiles; 3] = [
    (Shell::Bash, "bash", |n| n.to_owned()),
    (Shell::Zsh, "zsh", |n| format!("_{n}")),
    (Shell::Fish, "fish", |n| format!("{n}.fish")),
];

/// Every generated file: its path relative to the repository, and content.
pub fn artifacts() -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for cmd in all_commands() {
        let name = cmd.get_name().to_owned();
        for (shell, dir, file) in SHELLS {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd.clone(), name.clone(), &mut buf);
            out.push((
                PathBuf::from("completions").join(dir).join(file(&name)),
                buf,
            ));
        }
        let section = if name == "lmgrd" { "8" } else { "1" };
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd.clone())
            .section(section)
            .render(&mut buf)
            .expect("rendering to memory cannot fail");
        out.push((PathBuf::from("man").join(format!("{name}.{section}")), buf));
    }
    out.extend(super::schema::artifacts());
    out.push(super::openapi::artifact());
    out
}
