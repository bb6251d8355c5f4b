//! Reads: who the server is, the licensing state, the event history, the
//! accounts, a diagnosis of the license lines. Status and pools come from
//! the reader's replica, never from the engine's owner; `info` and
//! `diagnose` from the license files as the last (re)read found them.

use super::Answer;
use crate::engine::PoolSpec;
use crate::flexnet::Code;
use crate::license::Version;
use crate::protocol::PROTOCOL_VERSION;
use crate::protocol::events::EventQuery;
use crate::protocol::history::HistoryQuery;
use crate::protocol::status::StatusPart;
use crate::protocol::status::StatusQuery;
use crate::protocol::{Account, DiagLine, Diagnosis, ErrorBody, ProductName, Response, ServerInfo};
use crate::server::authz::{Caller, Read, user_name};
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
        product_names: product_names(ctx),
    })
}

/// Every distinct `#CITRIXTERM` name of the license files read.
fn product_names(ctx: &Context) -> Vec<ProductName> {
    let licenses = ctx.licenses();
    let mut names: Vec<ProductName> = Vec::new();
    for file in &licenses.files {
        for n in file.parsed.file.display_names() {
            let name = ProductName {
                feature: n.feature.clone(),
                language: n.language.clone(),
                product: n.product.clone(),
                model: n.model.clone(),
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

pub(super) async fn whoami(ctx: &Context, caller: &Caller) -> Response {
    Response::Identity {
        name: caller.name().to_owned(),
        role: caller.role(ctx).await,
    }
}

/// The status; for a caller who may not read the user/device
/// connections, their part is answered empty (refused when asked for by
/// name).
pub(super) async fn status(ctx: &Context, caller: &Caller, mut query: StatusQuery) -> Answer {
    if let Err(refused) = super::check_read(ctx, Read::Connections, caller).await {
        if query.parts.contains(&StatusPart::Connections) {
            return Err(refused);
        }
        if query.parts.is_empty() {
            query.parts = StatusQuery::all_but(&[StatusPart::Connections]).parts;
        }
    }
    Ok(Response::Status(Box::new(ctx.engine.status(query).await?)))
}

pub(super) async fn pools(ctx: &Context) -> Answer {
    Ok(Response::Pools {
        pools: ctx.engine.pools().await?,
    })
}

/// Every setting with its value, default and description.
pub(super) async fn settings(ctx: &Context) -> Answer {
    let settings = ctx.engine.settings().await?;
    Ok(Response::Settings(crate::server::views::settings(
        &settings,
    )))
}

/// The usage history, read from `history.db` with a connection of its own
/// off the runtime: neither the engine's owner nor the replica waits.
pub(super) async fn history(ctx: &Context, query: HistoryQuery) -> Answer {
    let settings = ctx.engine.settings().await?;
    let path = ctx.config.data_dir.join(crate::history::db::FILE_NAME);
    let in_force = (settings.history_sample, settings.history_retention);
    let read =
        tokio::task::spawn_blocking(move || crate::history::db::read(&path, &query, in_force));
    match read.await {
        Ok(Ok(history)) => Ok(Response::History(Box::new(history))),
        Ok(Err(crate::history::HistoryError::Query(why))) => {
            Err(ErrorBody::new(Code::BAD_PARAMETER, why))
        }
        Ok(Err(e)) => Err(ErrorBody::new(Code::CANNOT_CONNECT, e.to_string())),
        Err(_) => Err(ErrorBody::new(
            Code::CANNOT_CONNECT,
            "the history could not be read",
        )),
    }
}

/// The files in the license directory, with whether the last (re)read
/// read them; with `days`, only those written within that many days.
pub(super) async fn license_files(ctx: &Context, days: Option<u32>) -> Answer {
    let (config, reading) = (ctx.config.clone(), ctx.licenses());
    let listed = tokio::task::spawn_blocking(move || {
        crate::server::install::license_files(&config, &reading, days)
    });
    match listed.await {
        Ok(Ok(files)) => Ok(Response::LicenseFiles { files }),
        Ok(Err(e)) => Err(ErrorBody::new(
            Code::NO_LICENSE_FILE,
            format!("cannot read the license directory: {e}"),
        )),
        Err(_) => Err(ErrorBody::new(
            Code::CANNOT_CONNECT,
            "the license directory could not be read",
        )),
    }
}

pub(super) async fn events(ctx: &Context, query: EventQuery) -> Answer {
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

/// Every line's status (of `feature`, or all, the built-in licenses
/// first), and for serving lines whether a checkout would be granted now.
pub(super) async fn diagnose(ctx: &Context, feature: Option<&str>) -> Answer {
    let reading = ctx.licenses();
    let wanted = |f: &str| feature.is_none_or(|w| w == f);
    let mut lines = Vec::new();
    for spec in PoolSpec::built_in().iter().filter(|s| wanted(&s.feature)) {
        let d = built_in_line(spec);
        let why = decide(ctx, None, &spec.feature, &spec.version).await?;
        lines.push(d.decided(why));
    }
    for l in reading.inv.lines.iter().filter(|l| wanted(&l.line.feature)) {
        let refused = reading.refusal(l);
        let why = decide(ctx, refused, &l.line.feature, &l.line.version).await?;
        lines.push(DiagLine::of(l).decided(why));
    }
    Ok(Response::Diagnosis(Box::new(Diagnosis {
        host: reading.host.clone().into(),
        keys: reading.keys.clone(),
        skipped: reading.skipped.iter().cloned().map(Into::into).collect(),
        errors: parse_errors(&reading),
        lines,
    })))
}

/// Why a line cannot serve a checkout now: its own refusal, else a stopped
/// vendor daemon, else the engine's decision on a checkout (decided without
/// holding a license); `None` when one would be granted.
async fn decide(
    ctx: &Context,
    refused: Option<(Code, String)>,
    feature: &str,
    version: &Version,
) -> Result<Option<(Code, String)>, ErrorBody> {
    if refused.is_some() {
        return Ok(refused);
    }
    if !ctx.vendor.is_up() {
        let reason = "the CITRIX vendor daemon is stopped".to_owned();
        return Ok(Some((Code::VENDOR_DOWN, reason)));
    }
    Ok(match ctx.engine.probe(feature, version).await? {
        Ok(()) => None,
        Err(denial) => Some((denial.code, denial.reason)),
    })
}

/// A license built into the vendor daemon, as lmdiag shows it.
fn built_in_line(spec: &PoolSpec) -> DiagLine {
    DiagLine {
        file: String::new(),
        line: 0,
        built_in: true,
        feature: spec.feature.clone(),
        vendor: crate::server::debuglog::VENDOR.to_owned(),
        version: spec.version.to_string(),
        expiry: spec.expiry,
        count: spec.count.to_string(),
        start: None,
        issuer: None,
        vendor_string: spec.vendor_string.clone(),
        sign: None,
        binding: Vec::new(),
        can_check_out: false,
        code: None,
        reason: None,
    }
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
