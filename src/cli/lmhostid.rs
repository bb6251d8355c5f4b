//! `lmhostid`: this host's binding identifiers, as FlexNet prints them.

use std::io::{self, Write};

use clap::{Arg, ArgAction, ArgGroup};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exit::{self, CliError};
use super::render::{self, Format, Report};
use super::{CliResult, Ctx};
use crate::license::HostIdentity;
use crate::protocol::status::HostIds;

pub fn command() -> clap::Command {
    let flag = |name: &'static str, help: &'static str| {
        Arg::new(name)
            .long(name)
            .action(ArgAction::SetTrue)
            .help(help)
    };
    clap::Command::new("lmhostid")
        .about("Print this host's IDs for binding license files")
        .arg(flag(
            "ether",
            "Ethernet (MAC) addresses of every interface (the default)",
        ))
        .arg(flag("internet", "IPv4 addresses, as INTERNET=a.b.c.d"))
        .arg(flag(
            "hostname",
            "The host name, as HOSTNAME=name (matched case-sensitively)",
        ))
        .group(ArgGroup::new("type").args(["ether", "internet", "hostname"]))
        .arg(
            Arg::new("n")
                .short('n')
                .action(ArgAction::SetTrue)
                .help("Print only the ID, as written after HOSTID= in a license file"),
        )
        .arg(render::json_arg())
}

/// Which kind of ID was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdType {
    Ether,
    Internet,
    Hostname,
}

/// What `lmhostid` reports.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct HostIdReport {
    /// The kind of ID selected.
    pub id_type: IdType,
    /// The IDs of that kind, as a license file writes them.
    pub ids: Vec<String>,
    /// Every identifier of this host.
    pub host: HostIds,
    #[serde(skip)]
    bare: bool,
}

impl HostIdReport {
    fn id_text(&self) -> String {
        match self.ids.as_slice() {
            [one] => one.clone(),
            many => format!("\"{}\"", many.join(" ")),
        }
    }
}

impl Report for HostIdReport {
    fn text(&self, invoked: &str, w: &mut dyn Write) -> io::Result<()> {
        if self.bare {
            return writeln!(w, "{}", self.id_text());
        }
        render::header(invoked, w)?;
        writeln!(
            w,
            "The FlexNet host ID of this machine is \"{}\"",
            self.id_text()
        )?;
        if self.ids.len() > 1 {
            writeln!(w, "Only use ONE from the list of hostids.")?;
        }
        Ok(())
    }
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    let host = HostIdentity::current()
        .map_err(|e| CliError::new(exit::FAILURE, format!("cannot read this host's IDs: {e}")))?;
    let id_type = if m.get_flag("internet") {
        IdType::Internet
    } else if m.get_flag("hostname") {
        IdType::Hostname
    } else {
        IdType::Ether
    };
    let ids: Vec<String> = match id_type {
        IdType::Ether => host.ethers.clone(),
        IdType::Internet => host
            .addresses
            .iter()
            .filter(|a| a.is_ipv4())
            .map(|a| format!("INTERNET={a}"))
            .collect(),
        IdType::Hostname => vec![format!("HOSTNAME={}", host.hostname)],
    };
    if ids.is_empty() {
        let what = match id_type {
            IdType::Ether => "Ethernet address",
            _ => "IPv4 address",
        };
        return Err(
            CliError::new(exit::FAILURE, format!("this host has no {what}"))
                .hint("bind license files with -hostname instead"),
        );
    }
    let report = HostIdReport {
        id_type,
        ids,
        host: host.into(),
        bare: m.get_flag("n"),
    };
    render::emit(&report, Format::from_matches(m), ctx.invoked, ctx.out)?;
    Ok(exit::SUCCESS)
}
