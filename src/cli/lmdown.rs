//! `lmdown`: stops the license server, or with `-vendor CITRIX` only its
//! vendor daemon. Asks "Are you sure" unless `-q`. The server refuses
//! unless it was started with `--allow-lmdown`, and says so.

use std::io::{self, BufRead, Write};

use clap::{Arg, ArgAction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exit::{self, CliError};
use super::remote::{EachDone, Remote};
use super::render::{self, Format, Report};
use super::{CliResult, Ctx, lmstat};
use crate::protocol::{Request, Response};

pub fn command() -> clap::Command {
    clap::Command::new("lmdown")
        .about("Stop the license server or its vendor daemon (admin, local, when enabled)")
        .arg(lmstat::server_arg())
        .arg(
            Arg::new("vendor")
                .long("vendor")
                .value_name("CITRIX")
                .help("Stop only the vendor daemon; lmreread -vendor CITRIX restarts it"),
        )
        .arg(Arg::new("q").short('q').action(ArgAction::SetTrue).help("Do not ask for confirmation"))
        .arg(Arg::new("all").long("all").action(ArgAction::SetTrue).help("Every server named by -c"))
        .arg(Arg::new("force").long("force").action(ArgAction::SetTrue).help("Accepted for compatibility: checkouts survive a restart, nothing needs forcing"))
        .arg(lmstat::timeout_arg())
        .arg(render::json_arg())
}

/// What `lmdown` did.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Down {
    /// `port@host` of the server; with `-all`, the first of `servers`.
    pub server: String,
    /// Every server stopped (`port@host`), in the order `-c` named them:
    /// with `-all`, each server that answered; else the one.
    pub servers: Vec<String>,
    /// Only the vendor daemon was stopped.
    pub vendor_only: bool,
}

impl Report for Down {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        match (self.vendor_only, self.servers.len()) {
            (true, 1) => writeln!(w, "    CITRIX vendor daemon shut down"),
            (true, n) => writeln!(w, "    CITRIX vendor daemon shut down on {n} servers"),
            (false, 1) => writeln!(w, "    1 FlexNet License Server shut down"),
            (false, n) => writeln!(w, "    {n} FlexNet License Servers shut down"),
        }
    }
}

/// The anchor's menu and prompt, on `out`; true when the answer starts
/// with `y`.
fn confirm(out: &mut dyn Write, servers: &[String], input: &mut dyn BufRead) -> io::Result<bool> {
    writeln!(out)?;
    writeln!(out, "   Port@Host            Vendors")?;
    for (i, server) in servers.iter().enumerate() {
        writeln!(out, "{}) {server} CITRIX ", i + 1)?;
    }
    writeln!(out)?;
    write!(out, "Are you sure (y/n)?  ")?;
    out.flush()?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    writeln!(out)?;
    Ok(answer.trim_start().starts_with(['y', 'Y']))
}

/// Stops the server `-c` names (with `-all`, every one that answers), after
/// one confirmation for all. A server that refuses does not stop the
/// others: those stopped are reported, then the first refusal is the error.
pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    let vendor_only = m.get_one::<String>("vendor").is_some();
    let format = Format::from_matches(m);
    let mut remotes = Remote::connect_each(m)?;
    let mut named = Vec::with_capacity(remotes.len());
    for remote in &mut remotes {
        named.push(match remote.ask(Request::Info)? {
            Response::Info(i) => format!("{}@{}", i.lm_port, i.host),
            _ => remote.target.clone(),
        });
    }
    if format == Format::Text {
        render::header(ctx.invoked, ctx.out)?;
    }
    // With --json the prompt goes to standard error, so that standard
    // output stays one JSON document.
    let mut stderr = io::stderr();
    let prompt: &mut dyn Write = match format {
        Format::Text => ctx.out,
        Format::Json => &mut stderr,
    };
    if !m.get_flag("q") && !confirm(prompt, &named, &mut io::stdin().lock())? {
        return Err(CliError::new(exit::FAILURE, "not shut down: not confirmed")
            .hint("use -q not to be asked"));
    }
    let shutdown = Request::Shutdown {
        vendor: vendor_only,
    };
    EachDone::ask(remotes.into_iter().zip(named), &shutdown).finish(|servers| {
        let report = Down {
            server: servers[0].clone(),
            servers,
            vendor_only,
        };
        render::emit(&report, format, ctx.invoked, ctx.out)?;
        Ok(())
    })
}
