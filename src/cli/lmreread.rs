//! `lmreread`: the server rereads its license files and options file and
//! uses them from then on, without dropping any checkout.

use std::io::{self, Write};

use clap::{Arg, ArgAction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::remote::{EachDone, Remote};
use super::render::{self, Format, Report};
use super::{CliResult, Ctx, lmstat};
use crate::protocol::Request;

pub fn command() -> clap::Command {
    clap::Command::new("lmreread")
        .about("Make the server reread its license files and options file (admin, local)")
        .arg(lmstat::server_arg())
        .arg(
            Arg::new("vendor")
                .long("vendor")
                .value_name("CITRIX")
                .help("Reread for the vendor daemon, restarting it if lmdown -vendor stopped it"),
        )
        .arg(
            Arg::new("all")
                .long("all")
                .action(ArgAction::SetTrue)
                .help("Every server named by -c"),
        )
        .arg(lmstat::timeout_arg())
        .arg(render::json_arg())
}

/// What `lmreread` did.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Reread {
    /// The server, as `-c` named it (or the control socket's path); with
    /// `-all`, the first of `servers`.
    pub server: String,
    /// Every server that reread, in the order `-c` named them: with `-all`,
    /// each server that answered; else the one.
    pub servers: Vec<String>,
    /// `-vendor CITRIX`: the vendor daemon was restarted if it was down.
    pub vendor: bool,
}

impl Report for Reread {
    fn text(&self, invoked: &str, w: &mut dyn Write) -> io::Result<()> {
        render::header(invoked, w)?;
        writeln!(w)?;
        match self.servers.as_slice() {
            [_] => writeln!(w, "lmreread successful"),
            servers => servers
                .iter()
                .try_for_each(|s| writeln!(w, "lmreread successful: {s}")),
        }
    }
}

/// Asks each server `-c` names (with `-all`; else the first that answers)
/// to reread. A server that refuses does not stop the others: those that
/// reread are reported, then the first refusal is the error.
pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    let vendor = m.get_one::<String>("vendor").is_some();
    let remotes = Remote::connect_each(m)?.into_iter().map(|r| {
        let name = r.target.clone();
        (r, name)
    });
    EachDone::ask(remotes, &Request::Reread { vendor }).finish(|servers| {
        let report = Reread {
            server: servers[0].clone(),
            servers,
            vendor,
        };
        render::emit(&report, Format::from_matches(m), ctx.invoked, ctx.out)?;
        Ok(())
    })
}
