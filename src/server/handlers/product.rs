//! What products ask: sessions (start, heartbeat, reconnect, end) and
//! licenses (checkout, checkin). All refused (-97) while the vendor daemon
//! is stopped by `lmdown -vendor`.
//!
//! A session belongs to the connection that started it, or that took it
//! over with `reconnect` and the session's secret: any other connection
//! acting on it is refused (-63), so that nobody can check in or end
//! another product's licenses by guessing its small sequential number.

use rand_core::{OsRng, RngCore};

use super::input::{self, Empty};
use super::{Answer, Conn, decide_done};
use crate::engine::request::{CheckoutRequest, Handle, Secret, SessionId};
use crate::engine::{self, Decision};
use crate::flexnet::Code;
use crate::license::Version;
use crate::protocol::message::Secret as WireSecret;
use crate::protocol::{Checkout, ErrorBody, Response};
use crate::server::context::Context;

/// Refuses a session this connection neither started nor took over.
fn owned(ctx: &Context, conn: &Conn, session: SessionId) -> Result<(), ErrorBody> {
    if conn.sessions.contains(&session) && ctx.owners.owns(session, conn.id) {
        return Ok(());
    }
    let reason = if conn.sessions.contains(&session) {
        format!("session {session} was taken over by another connection with reconnect")
    } else {
        format!(
            "session {session} was not started on this connection; \
             a product takes its session back with reconnect and the session's secret"
        )
    };
    Err(ErrorBody::new(Code::NOT_ALLOWED, reason))
}

/// 128 random bits from the operating system, as 32 hex digits.
fn new_secret() -> Result<Secret, ErrorBody> {
    let mut bytes = [0u8; 16];
    OsRng.try_fill_bytes(&mut bytes).map_err(|e| {
        ErrorBody::new(
            Code::CANNOT_CONNECT,
            format!("no random secret for the session: {e}"),
        )
    })?;
    Ok(Secret::new(crate::server::tokens::hex(&bytes)))
}

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
    input::name("host", &host, Empty::Refused)?;
    let secret = new_secret()?;
    let wire = WireSecret(secret.reveal().to_owned());
    let request = engine::Request::StartSession { host, secret };
    match ctx.engine.handle(request).await? {
        Decision::SessionStarted { session } => {
            conn.sessions.push(session);
            ctx.owners.take(session, conn.id);
            Ok(Response::SessionStarted {
                session,
                secret: wire,
                heartbeat_interval: ctx.config.heartbeat_interval,
            })
        }
        Decision::Denied(d) => Err(ErrorBody::new(d.code, d.reason)),
        other => Err(unexpected(&other)),
    }
}

pub(super) async fn heartbeat(ctx: &Context, conn: &Conn, session: SessionId) -> Answer {
    vendor_up(ctx)?;
    owned(ctx, conn, session)?;
    decide_done(ctx, engine::Request::Heartbeat { session }).await
}

/// A product whose connection dropped takes its session over with the
/// session's secret: it is this connection's from now on.
pub(super) async fn reconnect(
    ctx: &Context,
    conn: &mut Conn,
    session: SessionId,
    secret: WireSecret,
) -> Answer {
    vendor_up(ctx)?;
    if secret.0.is_empty() {
        let reason = format!("reconnect to session {session} needs the secret start_session gave");
        return Err(ErrorBody::new(Code::NOT_ALLOWED, reason));
    }
    let request = engine::Request::Reconnect {
        session,
        secret: Secret::new(secret.0),
    };
    let answer = decide_done(ctx, request).await?;
    if !conn.sessions.contains(&session) {
        conn.sessions.push(session);
    }
    ctx.owners.take(session, conn.id);
    Ok(answer)
}

pub(super) async fn end_session(ctx: &Context, conn: &mut Conn, session: SessionId) -> Answer {
    vendor_up(ctx)?;
    owned(ctx, conn, session)?;
    let answer = decide_done(ctx, engine::Request::EndSession { session }).await;
    conn.sessions.retain(|s| *s != session);
    ctx.owners.release(session, conn.id);
    answer
}

pub(super) async fn checkin(
    ctx: &Context,
    conn: &Conn,
    session: SessionId,
    handle: Handle,
) -> Answer {
    vendor_up(ctx)?;
    owned(ctx, conn, session)?;
    decide_done(ctx, engine::Request::Checkin { session, handle }).await
}

pub(super) async fn checkout(ctx: &Context, conn: &Conn, c: Checkout) -> Answer {
    vendor_up(ctx)?;
    owned(ctx, conn, c.session)?;
    input::checkout(&c)?;
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
