//! One function per request. Each takes what it needs (the request's
//! fields, the [`Context`], the caller, the connection's own state) and
//! returns the answer or a refusal; [`answer`] only dispatches. Products'
//! requests are in `product`, reads in `read`, an administrator's changes
//! in `admin`; who may do what is `authz`'s.

mod admin;
mod input;
mod product;
mod read;

use super::authz::{Caller, Read, may_read};
use super::context::Context;
use super::owner::OwnerError;
use crate::engine::request::SessionId;
use crate::engine::types::RemoteRead;
use crate::protocol::{ErrorBody, Request, Response};

/// What one connection keeps between its requests.
#[derive(Debug, Default)]
pub struct Conn {
    /// The connection's number in [`Context::owners`](super::context::Owners).
    pub id: u64,
    /// The product sessions started or taken over on this connection:
    /// marked lapsed when it closes, unless another connection has taken
    /// them over since.
    pub sessions: Vec<SessionId>,
}

/// An answer, or a refusal with FlexNet's number.
type Answer = Result<Response, ErrorBody>;

impl From<OwnerError> for ErrorBody {
    fn from(e: OwnerError) -> Self {
        ErrorBody::new(e.code(), e.to_string())
    }
}

/// Answers one request.
pub async fn answer(request: Request, ctx: &Context, caller: &Caller, conn: &mut Conn) -> Response {
    dispatch(request, ctx, caller, conn)
        .await
        .unwrap_or_else(Response::Error)
}

async fn dispatch(request: Request, ctx: &Context, caller: &Caller, conn: &mut Conn) -> Answer {
    if let Some(read) = read_of(&request) {
        check_read(ctx, read, caller).await?;
    }
    match request {
        Request::Hello { .. } => Ok(read::hello(ctx)),
        Request::Info => Ok(read::info(ctx)),
        Request::Diagnose { feature } => read::diagnose(ctx, feature.as_deref()).await,
        Request::Whoami => Ok(read::whoami(ctx, caller).await),
        Request::Accounts => read::accounts(ctx).await,
        Request::Status(query) => read::status(ctx, caller, query).await,
        Request::Pools => read::pools(ctx).await,
        Request::Events(query) => read::events(ctx, query).await,
        Request::Settings => read::settings(ctx).await,
        Request::History(query) => read::history(ctx, query).await,
        Request::SetSettings { settings } => admin::set_settings(ctx, caller, settings).await,
        Request::SetAccount { name, role } => admin::set_account(ctx, caller, name, role).await,
        Request::RemoveAccount { name } => admin::remove_account(ctx, caller, name).await,
        Request::CreateToken {
            name,
            account,
            expires_days,
        } => admin::create_token(ctx, caller, name, account, expires_days).await,
        Request::Tokens => admin::tokens(ctx, caller).await,
        Request::CreateLogin => admin::create_login(ctx, caller).await,
        Request::RevokeToken { id } => admin::revoke_token(ctx, caller, id).await,
        Request::InstallLicense {
            file_name,
            content,
            replace,
        } => admin::install_license(ctx, caller, file_name, content, replace).await,
        Request::LicenseFiles { days } => read::license_files(ctx, days).await,
        Request::Reread { vendor } => admin::reread(ctx, caller, vendor).await,
        Request::Shutdown { vendor } => admin::shutdown(ctx, caller, vendor).await,
        Request::Release {
            feature,
            user,
            device,
        } => admin::release(ctx, caller, feature, user, device).await,
        Request::StartSession { host } => product::start_session(ctx, conn, host).await,
        Request::Heartbeat { session } => product::heartbeat(ctx, conn, session).await,
        Request::Reconnect { session, secret } => {
            product::reconnect(ctx, conn, session, secret).await
        }
        Request::EndSession { session } => product::end_session(ctx, conn, session).await,
        Request::Checkin { session, handle } => product::checkin(ctx, conn, session, handle).await,
        Request::Checkout(c) => product::checkout(ctx, conn, c).await,
    }
}

/// The read a request makes, for [`may_read`]; `None` for the others.
fn read_of(request: &Request) -> Option<Read> {
    Some(match request {
        Request::Hello { .. } => Read::Hello,
        Request::Info => Read::Info,
        Request::Diagnose { .. } => Read::Diagnose,
        Request::Whoami => Read::Whoami,
        Request::Accounts => Read::Accounts,
        Request::Status(_) => Read::Status,
        Request::Pools => Read::Pools,
        Request::Events(_) => Read::Events,
        Request::Settings => Read::Settings,
        // What `info` shows of the license files, with their sizes and times.
        Request::LicenseFiles { .. } => Read::Info,
        // The use over time, as the status shows it now.
        Request::History(_) => Read::Status,
        _ => return None,
    })
}

/// Refuses a read the caller may not make; the `remote_read` setting is
/// asked for only when it decides.
async fn check_read(ctx: &Context, read: Read, caller: &Caller) -> Result<(), ErrorBody> {
    let policy = if *caller == Caller::Remote && read.by_setting() {
        ctx.engine.settings().await?.remote_read
    } else {
        RemoteRead::default()
    };
    may_read(read, caller, policy)
}

/// Has the engine decide a request that answers `Ok` or a refusal.
async fn decide_done(ctx: &Context, request: crate::engine::Request) -> Answer {
    use crate::engine::Decision;
    match ctx.engine.handle(request).await? {
        Decision::Denied(d) => Err(ErrorBody::new(d.code, d.reason)),
        _ => Ok(Response::Ok),
    }
}

#[cfg(test)]
mod tests;
