//! Reads: who the server is, the licensing state, the event history, the
//! accounts, a diagnosis of the license lines. Status and pools come from
//! the reader's replica, never from the engine's owner; `info` and
//! `diagnose` from the license files as the last (re)read found them.

use super::Answer;
use crate::protocol::events::EventQuery;
use crate::protocol::status::StatusQuery;
use crate::protocol::{Account, DiagLine, Diagnosis, Response, ServerInfo};
use crate::protocol::{PROTOCOL_VERSION, errors::VENDOR_DOWN};
use crate::server::authz::{Caller, local_only, user_name};
use crate::server::context::Context;
use crate::server::licenses::Reading;

pub(super) fn hello(ctx: &Context) -> Response {
    Response::Hello {
        server: "lmgrd".to_owned(),
        version: crate::version::VERSION.to_owned(),
        protocol: PROTOCOL_VERSION,
        heartbeat_interval: ctx.config.heartbeat_interval,
    }
}

pub(super) fn info(ctx: &Context) -> Response {
    Response::Info(ServerInfo {
        host: ctx.host.to_string(),
        lm_port: ctx.ports.0,
        vendor_port: ctx.ports.1,
        version: crate::version::VERSION.to_owned(),
        license_files: ctx.licenses().file_names(),
        vendor_up: ctx.vendor.is_up(),
    })
}

pub(super) async fn whoami(ctx: &Context, caller: &Caller) -> Response {
    Response::Identity {
        name: caller.name().to_owned(),
        role: caller.role(ctx).await,
    }
}

pub(super) async fn status(ctx: &Context, query: StatusQuery) -> Answer {
    Ok(Response::Status(Box::new(ctx.engine.status(query).await?)))
}

pub(super) async fn pools(ctx: &Context) -> Answer {
    Ok(Response::Pools {
        pools: ctx.engine.pools().await?,
    })
}

pub(super) async fn events(ctx: &Context, caller: &Caller, query: EventQuery) -> Answer {
    local_only("the event history", caller)?;
    Ok(Response::Events(ctx.engine.events(query).await?))
}

/// Root and the account lmgrd runs as (admins without being listed), then
/// the accounts and groups given a role.
pub(super) async fn accounts(ctx: &Context) -> Answer {
    let host = ctx.host.clone();
    let owner = ctx.owner_uid;
    let built_in = tokio::task::spawn_blocking(move || {
        let mut uids = vec![0];
        if owner != 0 {
            uids.push(owner);
        }
        uids.into_iter()
            .map(|uid| Account {
                name: format!("{host}\\{}", user_name(uid)),
                role: "admin".to_owned(),
                built_in: true,
            })
            .collect::<Vec<_>>()
    });
    let mut list = built_in.await.unwrap_or_default();
    let given = ctx.engine.accounts().await?;
    list.extend(given.into_iter().map(|(name, role)| Account {
        name,
        role: role.as_str().to_owned(),
        built_in: false,
    }));
    Ok(Response::Accounts { accounts: list })
}

/// Every line's status (of `feature`, or all), and for serving lines
/// whether a checkout would be granted now.
pub(super) async fn diagnose(ctx: &Context, feature: Option<&str>) -> Answer {
    let reading = ctx.licenses();
    let mut lines = Vec::new();
    let wanted = |l: &&crate::license::pool::LineState| feature.is_none_or(|f| f == l.line.feature);
    for l in reading.inv.lines.iter().filter(wanted) {
        let mut d = diag_line(l);
        let why = match l.status.reason() {
            Some(refused) => Some(refused),
            None if !ctx.vendor.is_up() => Some((
                VENDOR_DOWN,
                "the CITRIX vendor daemon is stopped".to_owned(),
            )),
            None => match ctx.engine.probe(&l.line.feature, &l.line.version).await? {
                Ok(()) => None,
                Err(denial) => Some((denial.code, denial.reason)),
            },
        };
        match why {
            Some((code, reason)) => (d.code, d.reason) = (Some(code), Some(reason)),
            None => d.can_check_out = true,
        }
        lines.push(d);
    }
    Ok(Response::Diagnosis(Box::new(Diagnosis {
        host: reading.host.clone(),
        skipped: reading.skipped.clone(),
        errors: parse_errors(&reading),
        lines,
    })))
}

/// Lines that do not parse: `file:line:column: message`.
fn parse_errors(reading: &Reading) -> Vec<String> {
    reading
        .files
        .iter()
        .flat_map(|f| {
            f.parsed
                .errors
                .iter()
                .map(move |e| format!("{}:{e}", f.path.display()))
        })
        .collect()
}

fn diag_line(l: &crate::license::pool::LineState) -> DiagLine {
    use crate::license::model::Attributes;
    let f = &l.line;
    DiagLine {
        file: l.at.file.display().to_string(),
        line: l.at.line,
        feature: f.feature.clone(),
        version: f.version.to_string(),
        expiry: f.expiry,
        count: match f.count {
            crate::license::Count::Uncounted => "uncounted".to_owned(),
            crate::license::Count::Licenses(n) => n.to_string(),
        },
        start: f.start(),
        issuer: f.text("ISSUER").map(str::to_owned),
        vendor_string: f.vendor_string().map(|v| v.text.clone()),
        sign: f.sign().map(crate::license::sign::signature_digits),
        binding: l
            .binding
            .iter()
            .map(crate::license::printer::host_id)
            .collect(),
        can_check_out: false,
        code: None,
        reason: None,
    }
}
