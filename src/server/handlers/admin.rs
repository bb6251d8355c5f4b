//! An administrator's changes: accounts, settings, reread, shutdown,
//! releasing user/device licenses, installing a license file. Each is authorized first (`authz`) and logged
//! with who asked.

use super::{Answer, decide_done};
use crate::engine::{self, request::AccountRole};
use crate::flexnet::Code;
use crate::protocol::licenses::{Installed, InstalledLine};
use crate::protocol::{ErrorBody, Response};
use crate::server::authz::{Caller, authorize};
use crate::server::context::Context;
use crate::server::install;
use crate::server::licenses;
use crate::server::tokens;

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

/// Checks a license file and writes it into the license directory (off the
/// runtime), records who installed it, rereads, and answers what it holds
/// and whether each of its lines serves now.
pub(super) async fn install_license(
    ctx: &Context,
    caller: &Caller,
    file_name: String,
    content: String,
    replace: bool,
) -> Answer {
    authorize("installing license files", caller, ctx).await?;
    let config = ctx.config.clone();
    let name = file_name.clone();
    let installing =
        tokio::task::spawn_blocking(move || install::install(&config, &name, &content, replace));
    let written = installing
        .await
        .map_err(|_| ErrorBody::new(Code::CANNOT_CONNECT, "installing the file stopped"))?
        .map_err(|r| ErrorBody::new(r.code, r.reason))?;
    let who = caller.name().to_owned();
    let line = format!(
        "License file {} {} (by {who}): {}",
        written.path.display(),
        if written.replaced {
            "replaced"
        } else {
            "installed"
        },
        written.features.join(" ")
    );
    ctx.say("lmgrd", line).await;
    let request = engine::Request::LicenseInstalled {
        file: file_name.clone(),
        features: written.features.clone(),
        replaced: written.replaced,
        by: who,
    };
    decide_done(ctx, request).await?;
    reread(ctx, caller, false).await?;
    Ok(Response::LicenseInstalled(Box::new(installed(
        ctx, file_name, &written,
    ))))
}

/// What an installed file holds, as the reread after it found it.
fn installed(ctx: &Context, file: String, written: &install::Written) -> Installed {
    let reading = ctx.licenses();
    let lines = reading
        .inv
        .lines
        .iter()
        .filter(|l| l.at.file == written.path)
        .map(|l| {
            let d = crate::protocol::DiagLine::of(l);
            let reason = reading
                .refusal(l)
                .map(|(code, why)| format!("{why} ({code})"));
            InstalledLine {
                line: d.line,
                feature: d.feature,
                version: d.version,
                expiry: d.expiry.to_string(),
                count: d.count,
                serving: reason.is_none(),
                reason,
            }
        })
        .collect();
    Installed {
        file,
        path: written.path.display().to_string(),
        size: written.size,
        replaced: written.replaced,
        lines,
        pools: reading.inv.pools.len(),
        license_files: reading.file_names(),
    }
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

/// The longest a token may live.
const MAX_TOKEN_DAYS: u32 = 3650;

/// Creates an API token for the caller's account or another with a role;
/// answers with the token, shown this once (only its digest is kept).
pub(super) async fn create_token(
    ctx: &Context,
    caller: &Caller,
    name: String,
    account: Option<String>,
    expires_days: Option<u32>,
) -> Answer {
    authorize("creating API tokens", caller, ctx).await?;
    let account = account.unwrap_or_else(|| caller.name().to_owned());
    if account != caller.name() && !ctx.engine.accounts().await?.contains_key(&account) {
        let reason = format!(
            "{account} has no role: give it one first (lmutil CtxManageUserAndGroup \
             -useradd), or create the token for yourself"
        );
        return Err(ErrorBody::new(Code::BAD_PARAMETER, reason));
    }
    let days = match expires_days {
        Some(d) if d == 0 || d > MAX_TOKEN_DAYS => {
            let reason = format!("expires_days {d}: expected 1 to {MAX_TOKEN_DAYS}");
            return Err(ErrorBody::new(Code::BAD_PARAMETER, reason));
        }
        d => d,
    };
    let secret = tokens::draw().map_err(|e| ErrorBody::new(Code::CANNOT_CONNECT, e))?;
    let now = crate::server::clock::now();
    let request = engine::Request::CreateToken {
        name,
        account,
        digest: tokens::digest(&secret),
        expires: days.map(|d| now + i64::from(d) * engine::types::DAY),
        by: caller.name().to_owned(),
    };
    let id = match ctx.engine.handle(request).await? {
        engine::Decision::TokenCreated { id } => id,
        engine::Decision::Denied(d) => return Err(ErrorBody::new(d.code, d.reason)),
        other => {
            let reason = format!("unexpected decision {other:?}");
            return Err(ErrorBody::new(Code::CANNOT_CONNECT, reason));
        }
    };
    let listed = ctx.engine.tokens().await?;
    let Some(token) = listed.into_iter().find(|t| t.id == id) else {
        let reason = format!("token {id} was revoked as it was created");
        return Err(ErrorBody::new(Code::CANNOT_CONNECT, reason));
    };
    let line = format!(
        "API token {id} ({}) created for {} (by {})",
        token.name,
        token.account,
        caller.name()
    );
    ctx.say("lmgrd", line).await;
    Ok(Response::TokenCreated { token, secret })
}

/// A one-time login URL for the caller's own account: only over the
/// control socket, where the operating system says who asks, and only for
/// an account with a role (the session acts with it).
pub(super) async fn create_login(ctx: &Context, caller: &Caller) -> Answer {
    let Caller::Local { name, .. } = caller else {
        let reason = "a login URL is asked for on the server's host, over its control socket \
                      (lmutil lmtoken -login)";
        return Err(ErrorBody::new(Code::NOT_ALLOWED, reason));
    };
    if crate::server::authz::account_role(ctx, name)
        .await
        .is_none()
    {
        let reason = format!(
            "{name} has no role: an administrator gives it one first \
             (lmutil CtxManageUserAndGroup -useradd)"
        );
        return Err(ErrorBody::new(Code::NOT_ALLOWED, reason));
    }
    let minted = ctx
        .logins
        .mint(name)
        .map_err(|e| ErrorBody::new(Code::CANNOT_CONNECT, e))?;
    ctx.say("lmgrd", format!("Console login URL made for {name}"))
        .await;
    Ok(Response::LoginCreated {
        url: format!(
            "https://{}:{}/login?token={}",
            ctx.host, ctx.http_port, minted.token
        ),
        account: name.clone(),
        expires: minted.expires,
    })
}

pub(super) async fn tokens(ctx: &Context, caller: &Caller) -> Answer {
    authorize("listing API tokens", caller, ctx).await?;
    Ok(Response::Tokens {
        tokens: ctx.engine.tokens().await?,
    })
}

pub(super) async fn revoke_token(ctx: &Context, caller: &Caller, id: u64) -> Answer {
    authorize("revoking API tokens", caller, ctx).await?;
    let by = caller.name().to_owned();
    decide_done(ctx, engine::Request::RevokeToken { id, by }).await?;
    ctx.say(
        "lmgrd",
        format!("API token {id} revoked (by {})", caller.name()),
    )
    .await;
    Ok(Response::Ok)
}
