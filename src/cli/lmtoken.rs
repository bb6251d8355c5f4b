//! `lmtoken`: API tokens, for scripts that reach the server without an
//! operating-system identity. `-create NAME` prints a new token once (the
//! server keeps only its digest); `-list` shows every token (a table:
//! FlexNet has no such command); `-revoke ID` ends one for good: for
//! administrators, on the server's host (docs/tokens.md). `-login` prints
//! a one-time URL that logs a browser into the console as the caller, for
//! any account with a role.

use std::io::{self, Write};

use chrono::{DateTime, Local};
use clap::{Arg, ArgAction, ArgGroup};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exit::{self, CliError};
use super::remote::Remote;
use super::render::{self, Format, Report};
use super::{CliResult, Ctx, lmstat};
use crate::protocol::tokens::TokenInfo;
use crate::protocol::{Request, Response};

pub fn command() -> clap::Command {
    clap::Command::new("lmtoken")
        .about(
            "Create, list and revoke API tokens; print a console login URL (on the server's host)",
        )
        .arg(
            Arg::new("create")
                .long("create")
                .value_name("NAME")
                .help("Create a token called NAME and print it (shown this once)"),
        )
        .arg(
            Arg::new("account")
                .long("account")
                .value_name("DOMAIN\\NAME")
                .requires("create")
                .help("The account the token acts as (yours by default; another needs a role)"),
        )
        .arg(
            Arg::new("expires")
                .long("expires")
                .value_name("DAYS")
                .requires("create")
                .value_parser(clap::value_parser!(u32).range(1..=3650))
                .help("Days until the token expires (never by default)"),
        )
        .arg(
            Arg::new("list")
                .long("list")
                .action(ArgAction::SetTrue)
                .help("List every token (never their secrets)"),
        )
        .arg(
            Arg::new("revoke")
                .long("revoke")
                .value_name("ID")
                .value_parser(clap::value_parser!(u64))
                .help("Revoke the token numbered ID, for good"),
        )
        .arg(
            Arg::new("login")
                .long("login")
                .action(ArgAction::SetTrue)
                .help("Print a one-time URL that logs a browser into the console as you"),
        )
        .group(
            ArgGroup::new("action")
                .args(["create", "list", "revoke", "login"])
                .required(true),
        )
        .arg(lmstat::server_arg())
        .arg(lmstat::timeout_arg())
        .arg(render::json_arg())
}

/// What `lmtoken --json` writes.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// With `-create`: the new token and its secret, shown this once.
    pub created: Option<Created>,
    /// With `-revoke`: the number of the token revoked.
    pub revoked: Option<u64>,
    /// Every token, after the change (none with `-login`).
    pub tokens: Vec<TokenInfo>,
    /// With `-login`: the one-time URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<Login>,
}

/// A one-time console login.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Login {
    /// Open it in a browser: it works once, within ten minutes.
    pub url: String,
    /// The account the browser session acts as.
    pub account: String,
    /// When the URL stops working, in seconds since the Unix epoch.
    pub expires: i64,
}

/// A token just created.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Created {
    pub token: TokenInfo,
    /// The token itself: what a script presents. The server does not keep
    /// it and cannot show it again.
    pub secret: String,
}

impl Report for Output {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        if let Some(l) = &self.login {
            writeln!(
                w,
                "Open this URL in a browser to log in to the console as {} \
                 (once, until {}):",
                l.account,
                when(l.expires)
            )?;
            return writeln!(w, "{}", l.url);
        }
        if let Some(c) = &self.created {
            let t = &c.token;
            writeln!(
                w,
                "API token {} ({}) acts as {}, expires {}:",
                t.id,
                t.name,
                t.account,
                expiry(t.expires)
            )?;
            writeln!(w, "{}", c.secret)?;
            return writeln!(
                w,
                "Keep it now: the server keeps only its digest and cannot show it again."
            );
        }
        if let Some(id) = self.revoked {
            return writeln!(w, "API token {id} revoked.");
        }
        if self.tokens.is_empty() {
            return writeln!(w, "No API tokens.");
        }
        writeln!(w, "{}", table(&self.tokens))
    }
}

fn when(t: i64) -> String {
    DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .with_timezone(&Local)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn expiry(t: Option<i64>) -> String {
    t.map_or_else(|| "never".to_owned(), when)
}

fn table(tokens: &[TokenInfo]) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(140)
        .set_header(["Id", "Name", "Acts as", "Created", "Expires", "Created by"]);
    for k in tokens {
        t.add_row([
            k.id.to_string(),
            k.name.clone(),
            k.account.clone(),
            when(k.created),
            expiry(k.expires),
            k.created_by.clone(),
        ]);
    }
    t
}

fn unexpected(what: &str) -> CliError {
    CliError::new(exit::FAILURE, format!("unexpected answer to {what}"))
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    let format = Format::from_matches(m);
    let mut remote = Remote::connect(m)?;
    let mut output = Output {
        created: None,
        revoked: None,
        tokens: Vec::new(),
        login: None,
    };
    if m.get_flag("login") {
        let Response::LoginCreated {
            url,
            account,
            expires,
        } = remote.ask(Request::CreateLogin)?
        else {
            return Err(unexpected("create_login"));
        };
        output.login = Some(Login {
            url,
            account,
            expires,
        });
        render::emit(&output, format, ctx.invoked, ctx.out)?;
        return Ok(exit::SUCCESS);
    }
    if let Some(name) = m.get_one::<String>("create") {
        let request = Request::CreateToken {
            name: name.clone(),
            account: m.get_one::<String>("account").cloned(),
            expires_days: m.get_one::<u32>("expires").copied(),
        };
        let Response::TokenCreated { token, secret } = remote.ask(request)? else {
            return Err(unexpected("create_token"));
        };
        output.created = Some(Created { token, secret });
    }
    if let Some(id) = m.get_one::<u64>("revoke") {
        remote.ask(Request::RevokeToken { id: *id })?;
        output.revoked = Some(*id);
    }
    let Response::Tokens { tokens } = remote.ask(Request::Tokens)? else {
        return Err(unexpected("tokens"));
    };
    output.tokens = tokens;
    render::emit(&output, format, ctx.invoked, ctx.out)?;
    Ok(exit::SUCCESS)
}
