//! `CtxManageUserAndGroup`: who may administer the server. Accounts are
//! written `domain\name` (on Unix the domain is the host name) and keep
//! their spelling exactly: spaces, non-ASCII and double-byte names work.

use std::io::{self, Write};

use clap::{Arg, ArgAction, ArgGroup};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exit::{self, CliError};
use super::remote::Remote;
use super::render::{self, Format, Report};
use super::{CliResult, Ctx, lmstat};
use crate::protocol::{Request, Response};

/// The roles, as the server spells them.
const ROLES: [&str; 4] = ["admin", "user", "adminGroup", "userGroup"];

pub fn command() -> clap::Command {
    clap::Command::new("CtxManageUserAndGroup")
        .about(
            "Manage who may administer the license server: add, remove, list accounts and groups",
        )
        .arg(
            Arg::new("useradd")
                .long("useradd")
                .value_name("DOMAIN\\NAME")
                .requires("Role")
                .help("Give an account or group a role"),
        )
        .arg(
            Arg::new("userdel")
                .long("userdel")
                .value_name("DOMAIN\\NAME")
                .help("Take an account's or group's role away"),
        )
        .arg(
            Arg::new("list")
                .long("list")
                .action(ArgAction::SetTrue)
                .help("List the accounts and groups with a role"),
        )
        .arg(
            Arg::new("Role")
                .long("Role")
                .value_name("ROLE")
                .value_parser(ROLES)
                .ignore_case(true)
                .help("admin, user, adminGroup or userGroup"),
        )
        .group(
            ArgGroup::new("action")
                .args(["useradd", "userdel", "list"])
                .required(true),
        )
        .arg(lmstat::server_arg())
        .arg(lmstat::timeout_arg())
        .arg(render::json_arg())
}

/// The accounts with a role.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Accounts {
    pub accounts: Vec<Account>,
}

/// An account or group and its role.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Account {
    /// `domain\name`, exactly as it was added.
    pub name: String,
    /// `admin`, `user`, `adminGroup` or `userGroup`.
    pub role: String,
    /// Root and the account lmgrd runs as are admins without being listed.
    pub built_in: bool,
}

impl From<crate::protocol::Account> for Account {
    fn from(a: crate::protocol::Account) -> Self {
        Account {
            name: a.name,
            role: a.role,
            built_in: a.built_in,
        }
    }
}

/// What `CtxManageUserAndGroup --json` writes: the accounts (`-list`) or
/// the change made (`-useradd`, `-userdel`).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Output {
    Accounts(Accounts),
    Changed(Changed),
}

/// A table: the Citrix command shows no listing, so no layout binds it.
impl Report for Accounts {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        let mut t = super::udadmin::table(["Account", "Role", "Built in"]);
        for a in &self.accounts {
            let built_in = if a.built_in { "yes" } else { "" };
            t.add_row([a.name.as_str(), a.role.as_str(), built_in]);
        }
        writeln!(w, "{t}")
    }
}

/// What a change did.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Changed {
    pub name: String,
    /// The role given, or null when it was taken away.
    pub role: Option<String>,
}

impl Report for Changed {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        match &self.role {
            Some(role) => writeln!(w, "{} now has the role {role}.", self.name),
            None => writeln!(w, "{} no longer has a role.", self.name),
        }
    }
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    let format = Format::from_matches(m);
    let mut remote = Remote::connect(m)?;
    if let Some(name) = m.get_one::<String>("useradd") {
        let given = m.get_one::<String>("Role").map_or("", String::as_str);
        let role = ROLES
            .into_iter()
            .find(|r| r.eq_ignore_ascii_case(given))
            .unwrap_or(given)
            .to_owned();
        remote.ask(Request::SetAccount {
            name: name.clone(),
            role: role.clone(),
        })?;
        let changed = Changed {
            name: name.clone(),
            role: Some(role),
        };
        render::emit(&changed, format, ctx.invoked, ctx.out)?;
    } else if let Some(name) = m.get_one::<String>("userdel") {
        remote.ask(Request::RemoveAccount { name: name.clone() })?;
        render::emit(
            &Changed {
                name: name.clone(),
                role: None,
            },
            format,
            ctx.invoked,
            ctx.out,
        )?;
    } else {
        let Response::Accounts { accounts } = remote.ask(Request::Accounts)? else {
            return Err(CliError::new(
                exit::FAILURE,
                "unexpected answer to accounts",
            ));
        };
        let accounts = Accounts {
            accounts: accounts.into_iter().map(Into::into).collect(),
        };
        render::emit(&accounts, format, ctx.invoked, ctx.out)?;
    }
    Ok(exit::SUCCESS)
}
