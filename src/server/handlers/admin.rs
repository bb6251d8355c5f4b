//! An administrator's changes: accounts, settings, reread, shutdown,
//! releasing user/device licenses. Each is authorized first (`authz`) and logged
//! with who asked.

use super::{Answer, decide_done};
use crate::engine::{self, request::AccountRole};
use crate::flexnet::Code;
use crate::protocol::{ErrorBody, Response};
use crate::server::authz::{Caller, authorize};
use crate::server::context::Context;
use crate::server::licenses;

pub(super) async fn set_account(
    ctx: &Context,
    caller: &Caller,
    name: String,
    role: String,
) -> Answer {
    authorize("changing accounts", caller, ctx).await?;
    let Some(role) = AccountRole::parse(&role) else {
        let reason = format!("role `{role}`: expected admin, user, adminGroup or userGroup");
        return Err(ErrorBody::new(Code::BAD_DATA, reason));
    };
    let by = Some(caller.name().to_owned());
    decide_done(ctx, engine::Request::SetAccount { name, role, by }).await
}

/// Changes settings all at once, or none of them (-42 naming the setting
/// when a name is unknown or a value bad); answers with every setting.
pub(super) async fn set_settings(
    ctx: &Context,
    caller: &Caller,
    settings: std::collections::BTreeMap<String, String>,
) -> Answer {
    authorize("changing settings", caller, ctx).await?;
    if settings.is_empty() {
        let reason = "no setting to change: give NAME=VALUE";
        return Err(ErrorBody::new(Code::BAD_PARAMETER, reason));
    }
    let said: Vec<String> = settings.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let request = engine::Request::SetSettings {
        changes: settings.into_iter().collect(),
        by: caller.name().to_owned(),
    };
    decide_done(ctx, request).await?;
    let line = format!(
        "Settings changed: {} (by {})",
        said.join(" "),
        caller.name()
    );
    ctx.say("lmgrd", line).await;
    super::read::settings(ctx).await
}

pub(super) async fn remove_account(ctx: &Context, caller: &Caller, name: String) -> Answer {
    authorize("changing accounts", caller, ctx).await?;
    let by = Some(caller.name().to_owned());
    decide_done(ctx, engine::Request::RemoveAccount { name, by }).await
}

pub(super) async fn release(
    ctx: &Context,
    caller: &Caller,
    feature: Option<String>,
    user: Option<String>,
    device: Option<String>,
) -> Answer {
    authorize("release", caller, ctx).await?;
    let request = engine::Request::Release {
        feature,
        user,
        device,
        by: Some(caller.name().to_owned()),
    };
    decide_done(ctx, request).await
}

/// Rereads the license directory and options file; with `vendor`, also
/// restarts a vendor daemon stopped by `lmdown -vendor`.
pub(super) async fn reread(ctx: &Context, caller: &Caller, vendor: bool) -> Answer {
    authorize("lmreread", caller, ctx).await?;
    let by = Some(caller.name().to_owned());
    let reading = licenses::reread(&ctx.config, &ctx.engine, &ctx.log, by)
        .await
        .map_err(|e| ErrorBody::new(Code::NO_LICENSE_FILE, format!("{e:#}")))?;
    ctx.set_licenses(reading);
    if vendor && ctx.vendor.set_up(true) {
        ctx.vendor.port_settled(true).await;
        let line = "Started CITRIX (restarted by lmreread)".to_owned();
        ctx.say("lmgrd", line).await;
    }
    let line = format!("Done rereading (requested by {})", caller.name());
    ctx.say("lmgrd", line).await;
    Ok(Response::Ok)
}

/// Stops the server, or with `vendor` only the vendor daemon (its port
/// closes; products are refused -97 until `lmreread -vendor`).
pub(super) async fn shutdown(ctx: &Context, caller: &Caller, vendor: bool) -> Answer {
    authorize("lmdown", caller, ctx).await?;
    if !ctx.config.allow_lmdown {
        let reason =
            "lmdown is disabled on this server (start lmgrd with --allow-lmdown to enable it)";
        return Err(ErrorBody::new(Code::NOT_ALLOWED, reason));
    }
    let who = caller.name();
    // Recorded before stopping, for the audit; a store that cannot record
    // it does not keep the administrator from stopping the server.
    let request = engine::Request::Shutdown {
        vendor,
        by: Some(who.to_owned()),
    };
    if let Err(e) = decide_done(ctx, request).await {
        let line = format!("Could not record the shutdown asked by {who}: {}", e.reason);
        ctx.say("lmgrd", line).await;
    }
    if vendor {
        ctx.vendor.set_up(false);
        ctx.vendor.port_settled(false).await;
        ctx.say("lmgrd", format!("CITRIX shut down by {who}")).await;
    } else {
        ctx.say("lmgrd", format!("SHUTDOWN request from {who}"))
            .await;
        ctx.stop.notify_one();
    }
    Ok(Response::Ok)
}
