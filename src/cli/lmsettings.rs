//! `lmsettings`: the server's settings. `-list` shows every setting with
//! its value, default, values and what it does (a table: FlexNet has no
//! such command, so no layout binds it); `-set NAME=VALUE…` changes them,
//! for administrators on the server's host, all at once or none
//! (docs/settings.md).

use std::collections::BTreeMap;
use std::io::{self, Write};

use clap::{Arg, ArgAction, ArgGroup};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exit::{self, CliError};
use super::remote::Remote;
use super::render::{self, Format, Report};
use super::{CliResult, Ctx, lmstat};
use crate::protocol::{Request, Response, Setting};

pub fn command() -> clap::Command {
    clap::Command::new("lmsettings")
        .about("List the server's settings, or change them (administrators, on the server's host)")
        .arg(
            Arg::new("list")
                .long("list")
                .action(ArgAction::SetTrue)
                .help("List every setting with its value, default, values and what it does"),
        )
        .arg(
            Arg::new("set")
                .long("set")
                .value_name("NAME=VALUE")
                .num_args(1..)
                .help("Change settings, all of them or none (names in any case)"),
        )
        .group(ArgGroup::new("action").args(["list", "set"]).required(true))
        .arg(lmstat::server_arg())
        .arg(lmstat::timeout_arg())
        .arg(render::json_arg())
}

/// What `lmsettings --json` writes: every setting, and with `-set` the
/// names of those changed.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    /// Every setting, as the server has it now (after the change).
    pub settings: Vec<Setting>,
    /// The settings `-set` changed, by their listed names and in their
    /// listed order; empty for `-list`.
    pub changed: Vec<String>,
}

impl Report for Output {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        if !self.changed.is_empty() {
            writeln!(w, "Changed: {}", self.changed.join(", "))?;
        }
        writeln!(w, "{}", table(&self.settings))
    }
}

/// The settings as a table; those only stored for a later feature say so.
fn table(settings: &[Setting]) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(140)
        .set_header(["Setting", "Value", "Default", "Values", "What it does"]);
    for s in settings {
        let note = if s.in_effect { "" } else { " [stored only]" };
        t.add_row([
            s.name.as_str(),
            s.value.as_str(),
            s.default.as_str(),
            s.values.as_str(),
            &format!("{}{note}", s.description),
        ]);
    }
    t
}

/// `NAME=VALUE` pairs, split at the first `=`.
fn pairs<'a>(
    given: impl Iterator<Item = &'a String>,
) -> Result<BTreeMap<String, String>, CliError> {
    given
        .map(|p| match p.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_owned(), value.to_owned()))
            }
            _ => Err(
                CliError::new(exit::USAGE, format!("`{p}`: expected NAME=VALUE"))
                    .hint("lmutil lmsettings -set burst_mode=off ud_lease=30d"),
            ),
        })
        .collect()
}

/// The name a setting is listed under, for a name given in any spelling
/// the server accepts.
fn listed_name(settings: &[Setting], given: &str) -> String {
    let answers = |s: &&Setting| {
        std::iter::once(&s.name)
            .chain(&s.aliases)
            .any(|n| n.eq_ignore_ascii_case(given))
    };
    settings
        .iter()
        .find(answers)
        .map_or_else(|| given.to_owned(), |s| s.name.clone())
}

pub fn run(m: &clap::ArgMatches, ctx: &mut Ctx<'_>) -> CliResult {
    let format = Format::from_matches(m);
    let (request, given) = match m.get_many::<String>("set") {
        Some(given) => {
            let settings = pairs(given)?;
            let names: Vec<String> = settings.keys().cloned().collect();
            (Request::SetSettings { settings }, names)
        }
        None => (Request::Settings, Vec::new()),
    };
    let mut remote = Remote::connect(m)?;
    let Response::Settings(list) = remote.ask(request)? else {
        return Err(CliError::new(
            exit::FAILURE,
            "unexpected answer to settings",
        ));
    };
    let named: Vec<String> = given
        .iter()
        .map(|n| listed_name(&list.settings, n))
        .collect();
    // In the order they are listed.
    let changed = list
        .settings
        .iter()
        .filter(|s| named.contains(&s.name))
        .map(|s| s.name.clone())
        .collect();
    let output = Output {
        settings: list.settings,
        changed,
    };
    render::emit(&output, format, ctx.invoked, ctx.out)?;
    Ok(exit::SUCCESS)
}
