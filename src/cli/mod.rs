//! The command line: one table of commands drives dispatch, the command
//! list, `--install-links`, completions, man pages and the tests.

pub mod accounts;
pub mod exit;
pub mod generate;
pub mod lmaudit;
pub mod lmcrypt;
pub mod lmdiag;
pub mod lmdown;
pub mod lmhistory;
pub mod lmhostid;
pub mod lminstall;
pub mod lmreread;
pub mod lmsettings;
pub mod lmstat;
pub mod lmstat_i;
pub mod lmtoken;
pub mod lmutil;
pub mod lmver;
pub mod openapi;
pub mod remote;
pub mod render;
pub mod schema;
pub mod udadmin;
mod udadmin_events;
mod udadmin_export;

use std::ffi::OsString;
use std::io::Write;

pub use exit::{CliError, CliResult};

/// What a command's `run` gets: its name as invoked, and where to write.
pub struct Ctx<'a> {
    /// The name the tool was invoked by (`lmutil`, or a link's name), used
    /// in FlexNet's header line.
    pub invoked: &'a str,
    pub out: &'a mut dyn Write,
}

/// One command of the multi-call binary.
pub struct CommandSpec {
    pub name: &'static str,
    /// Builds the command's clap definition.
    pub command: fn() -> clap::Command,
    /// Runs it on parsed arguments; returns the exit status.
    pub run: fn(&clap::ArgMatches, &mut Ctx<'_>) -> CliResult,
}

impl CommandSpec {
    /// The command's clap definition; every command that takes `-c` also
    /// takes the options of `-c https://…` (`--token-file`, `--ca`,
    /// `--fingerprint`).
    pub fn build(&self) -> clap::Command {
        let cmd = (self.command)();
        if cmd.get_arguments().any(|a| a.get_id() == "c") {
            cmd.args(remote::https_args())
        } else {
            cmd
        }
    }
}

/// Every command, in the order `lmutil` lists them.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "lmstat",
        command: lmstat::command,
        run: lmstat::run,
    },
    CommandSpec {
        name: "lmdiag",
        command: lmdiag::command,
        run: lmdiag::run,
    },
    CommandSpec {
        name: "lmreread",
        command: lmreread::command,
        run: lmreread::run,
    },
    CommandSpec {
        name: "lminstall",
        command: lminstall::command,
        run: lminstall::run,
    },
    CommandSpec {
        name: "lmdown",
        command: lmdown::command,
        run: lmdown::run,
    },
    CommandSpec {
        name: "udadmin",
        command: udadmin::command,
        run: udadmin::run,
    },
    CommandSpec {
        name: "CtxManageUserAndGroup",
        command: accounts::command,
        run: accounts::run,
    },
    CommandSpec {
        name: "lmaudit",
        command: lmaudit::command,
        run: lmaudit::run,
    },
    CommandSpec {
        name: "lmsettings",
        command: lmsettings::command,
        run: lmsettings::run,
    },
    CommandSpec {
        name: "lmhistory",
        command: lmhistory::command,
        run: lmhistory::run,
    },
    CommandSpec {
        name: "lmtoken",
        command: lmtoken::command,
        run: lmtoken::run,
    },
    CommandSpec {
        name: "lmhostid",
        command: lmhostid::command,
        run: lmhostid::run,
    },
    CommandSpec {
        name: "lmver",
        command: lmver::command,
        run: lmver::run,
    },
    CommandSpec {
        name: "lmcrypt",
        command: lmcrypt::command,
        run: lmcrypt::run,
    },
];

/// Looks a command up by name.
pub fn find(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Parses `args` (without the program name) for `spec` and runs it.
pub fn run_command(
    spec: &CommandSpec,
    invoked: &str,
    args: Vec<OsString>,
    out: &mut dyn Write,
) -> i32 {
    let cmd = spec.build().bin_name(invoked_bin_name(spec.name, invoked));
    let args = crate::single_dash::rewrite(&cmd, args);
    if let Some(word) = crate::single_dash::unknown(&cmd, &args) {
        let message = format!("unknown option '{word}'");
        let _ = cmd
            .clone()
            .error(clap::error::ErrorKind::UnknownArgument, message)
            .print();
        return exit::USAGE;
    }
    let matches =
        match cmd.try_get_matches_from(std::iter::once(OsString::from(spec.name)).chain(args)) {
            Ok(m) => m,
            Err(e) => {
                let _ = e.print();
                return if e.use_stderr() {
                    exit::USAGE
                } else {
                    exit::SUCCESS
                };
            }
        };
    let mut ctx = Ctx { invoked, out };
    let result = (spec.run)(&matches, &mut ctx);
    let _ = ctx.out.flush();
    exit::finish(spec.name, result)
}

pub(crate) fn invoked_bin_name(name: &str, invoked: &str) -> String {
    if invoked == name {
        name.to_owned()
    } else {
        format!("{invoked} {name}")
    }
}

/// The entry point of the `lmutil` binary: dispatch on the name it was
/// called by, else on the first argument.
pub fn main(args: Vec<OsString>) -> i32 {
    let mut args = args.into_iter();
    let argv0 = args.next().unwrap_or_else(|| OsString::from("lmutil"));
    let rest: Vec<OsString> = args.collect();
    let base = invoked_name(&argv0);
    // Buffered: a million-line listing is not a million writes. Prompts
    // flush, and everything is flushed before an error is printed.
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if let Some(spec) = find(&base) {
        return run_command(spec, &base, rest, &mut out);
    }
    lmutil::run(rest, &mut out)
}

/// The base name of argv[0], without a `.exe` suffix.
fn invoked_name(argv0: &OsString) -> String {
    let path = std::path::Path::new(argv0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "lmutil".to_owned());
    name.strip_suffix(".exe").map(str::to_owned).unwrap_or(name)
}
