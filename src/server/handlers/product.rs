//! What products ask: sessions (start, heartbeat, reconnect, end) and
//! licenses (checkout, checkin). All refused (-97) while the vendor daemon
//! is stopped by `lmdown -vendor`.

use super::{Answer, Conn, decide_done};
use crate::engine::request::{CheckoutRequest, Handle, SessionId};
use crate::engine::{self, Decision};
use crate::flexnet::Code;
use crate::license::Version;
use crate::protocol::{Checkout, ErrorBody, Response};
use crate::server::context::Context;

/// Refuses while the vendor daemon is stopped.
fn vendor_up(ctx: &Context) -> Result<(), ErrorBody> {
    if ctx.vendor.is_up() {
        Ok(())
    } else {
        let reason = "the CITRIX vendor daemon was stopped by lmdown -vendor";
        Err(ErrorBody::new(Code::VENDOR_DOWN, reason))
    }
}

pub(super) async fn start_session(ctx: &Context, conn: &mut Conn, host: String) -> Answer {
    vendor_up(ctx)?;
    let request = engine::Request::StartSession { host };
    match ctx.engine.handle(request).await? {
        Decision::SessionStarted { session } => {
            conn.sessions.push(session);
            Ok(Response::SessionStarted {
                session,
                heartbeat_interval: ctx.config.heartbeat_interval,
            })
        }
        Decision::Denied(d) => Err(ErrorBody::new(d.code, d.reason)),
        other => Err(unexpected(&other)),
    }
}

pub(super) async fn heartbeat(ctx: &Context, session: SessionId) -> Answer {
    vendor_up(ctx)?;
    decide_done(ctx, engine::Request::Heartbeat { session }).await
}

/// A product whose connection dropped takes its session over: it is this
/// connection's from now on.
pub(super) async fn reconnect(ctx: &Context, conn: &mut Conn, session: SessionId) -> Answer {
    vendor_up(ctx)?;
    let answer = decide_done(ctx, engine::Request::Reconnect { session }).await?;
    conn.sessions.push(session);
    Ok(answer)
}

pub(super) async fn end_session(ctx: &Context, conn: &mut Conn, session: SessionId) -> Answer {
    vendor_up(ctx)?;
    conn.sessions.retain(|s| *s != session);
    decide_done(ctx, engine::Request::EndSession { session }).await
}

pub(super) async fn checkin(ctx: &Context, session: SessionId, handle: Handle) -> Answer {
    vendor_up(ctx)?;
    decide_done(ctx, engine::Request::Checkin { session, handle }).await
}

pub(super) async fn checkout(ctx: &Context, c: Checkout) -> Answer {
    vendor_up(ctx)?;
    let request = engine::Request::Checkout(checkout_request(c)?);
    match ctx.engine.handle(request).await? {
        Decision::Granted(g) => Ok(Response::Granted {
            handle: g.handle,
            pool: g.pool.into(),
            shared: g.shared,
            burst: g.burst,
        }),
        Decision::Denied(d) => Err(ErrorBody::new(d.code, d.reason)),
        other => Err(unexpected(&other)),
    }
}

fn checkout_request(c: Checkout) -> Result<CheckoutRequest, ErrorBody> {
    let version = Version::parse(&c.version)
        .map_err(|e| ErrorBody::new(Code::BAD_DATA, format!("version: {e}")))?;
    Ok(CheckoutRequest {
        session: c.session,
        feature: c.feature,
        version,
        user: c.user,
        device: c.device,
        host: c.host,
        display: c.display,
        count: c.count.max(1),
    })
}

/// A decision the engine never gives for this request.
fn unexpected(d: &Decision) -> ErrorBody {
    let reason = format!("the engine answered {d:?}");
    ErrorBody::new(Code::CANNOT_CONNECT, reason)
}
