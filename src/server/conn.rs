//! One client connection: read a frame, answer it, repeat. An error in one
//! connection ends only that connection; product sessions it started are
//! marked lapsed, their checkouts kept for a reconnect.

use tokio::io::{AsyncRead, AsyncWrite, BufReader};

use super::owner::EngineHandle;
use crate::engine::request::{CheckoutRequest, SessionId};
use crate::engine::{self, Decision};
use crate::license::Version;
use crate::protocol::errors::{BAD_DATA, CANNOT_CONNECT};
use crate::protocol::frame::FrameError;
use crate::protocol::{Envelope, ErrorBody, PROTOCOL_VERSION, Request, Response};
use crate::protocol::{read_message, write_message};

/// What a connection needs to answer.
#[derive(Clone)]
pub struct Shared {
    pub engine: EngineHandle,
    pub heartbeat_interval: u64,
}

/// Serves one connection until it closes or sends something unreadable.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(stream: S, shared: Shared) {
    let (r, mut w) = tokio::io::split(stream);
    let mut r = BufReader::new(r);
    let mut sessions: Vec<SessionId> = Vec::new();
    loop {
        let envelope: Envelope<Request> = match read_message(&mut r).await {
            Ok(e) => e,
            Err(FrameError::Closed | FrameError::Io(_)) => break,
            Err(e) => {
                // Say why once, then close: the stream cannot be resynchronised.
                let reply = error_envelope(0, ErrorBody::new(BAD_DATA, e.to_string()));
                let _ = write_message(&mut w, &reply).await;
                break;
            }
        };
        let response = if envelope.v != PROTOCOL_VERSION {
            Response::Error(ErrorBody::new(
                BAD_DATA,
                format!(
                    "protocol version {} is not supported (this server speaks {PROTOCOL_VERSION})",
                    envelope.v
                ),
            ))
        } else {
            answer(envelope.body, &shared, &mut sessions).await
        };
        let reply = Envelope {
            v: PROTOCOL_VERSION,
            id: envelope.id,
            body: response,
        };
        if write_message(&mut w, &reply).await.is_err() {
            break;
        }
    }
    for session in sessions {
        let _ = shared
            .engine
            .handle(engine::Request::SessionLost { session })
            .await;
    }
}

fn error_envelope(id: u64, body: ErrorBody) -> Envelope<Response> {
    Envelope {
        v: PROTOCOL_VERSION,
        id,
        body: Response::Error(body),
    }
}

async fn answer(request: Request, shared: &Shared, sessions: &mut Vec<SessionId>) -> Response {
    let engine_request = match request {
        Request::Hello { .. } => {
            return Response::Hello {
                server: "lmgrd".to_owned(),
                version: crate::version::VERSION.to_owned(),
                protocol: PROTOCOL_VERSION,
                heartbeat_interval: shared.heartbeat_interval,
            };
        }
        Request::Status => {
            return match shared.engine.status().await {
                Some(s) => Response::Status(Box::new(s)),
                None => down(),
            };
        }
        Request::Pools => {
            return match shared.engine.pools().await {
                Some(pools) => Response::Pools { pools },
                None => down(),
            };
        }
        Request::StartSession { host } => engine::Request::StartSession { host },
        Request::Heartbeat { session } => engine::Request::Heartbeat { session },
        Request::Reconnect { session } => engine::Request::Reconnect { session },
        Request::EndSession { session } => {
            sessions.retain(|s| *s != session);
            engine::Request::EndSession { session }
        }
        Request::Checkin { session, handle } => engine::Request::Checkin { session, handle },
        Request::Checkout(c) => match checkout_request(c) {
            Ok(r) => engine::Request::Checkout(r),
            Err(e) => return Response::Error(e),
        },
    };
    let is_reconnect = matches!(engine_request, engine::Request::Reconnect { .. });
    let reconnecting = match &engine_request {
        engine::Request::Reconnect { session } => Some(*session),
        _ => None,
    };
    let decision = match shared.engine.handle(engine_request).await {
        Ok(d) => d,
        Err(reason) => return Response::Error(ErrorBody::new(CANNOT_CONNECT, reason)),
    };
    if is_reconnect
        && decision == Decision::Done
        && let Some(s) = reconnecting
    {
        sessions.push(s);
    }
    respond(decision, shared, sessions)
}

fn respond(decision: Decision, shared: &Shared, sessions: &mut Vec<SessionId>) -> Response {
    match decision {
        Decision::SessionStarted { session } => {
            sessions.push(session);
            Response::SessionStarted {
                session,
                heartbeat_interval: shared.heartbeat_interval,
            }
        }
        Decision::Granted(g) => Response::Granted {
            handle: g.handle,
            pool: g.pool,
            shared: g.shared,
            burst: g.burst,
        },
        Decision::Done => Response::Ok,
        Decision::Denied(d) => Response::Error(ErrorBody::new(d.code, d.reason)),
    }
}

fn checkout_request(c: crate::protocol::Checkout) -> Result<CheckoutRequest, ErrorBody> {
    let version = Version::parse(&c.version)
        .map_err(|e| ErrorBody::new(BAD_DATA, format!("version: {e}")))?;
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

fn down() -> Response {
    Response::Error(ErrorBody::new(-97, "the vendor daemon is shutting down"))
}
