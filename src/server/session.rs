//! One connection: read a frame, have it answered, write the answer,
//! repeat. Framing and timeouts live here; what a request means is the
//! handlers'. An error in one connection ends only that connection; product
//! sessions it started are marked lapsed, their checkouts kept for a
//! reconnect. When the server drains, a connection finishes the request in
//! hand, sends its answer and closes.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, BufReader};

use super::authz::Caller;
use super::context::Context;
use super::debuglog::VENDOR;
use super::handlers::{self, Conn};
use crate::engine;
use crate::flexnet::Code;
use crate::protocol::frame::{FrameError, decode_header, read_frame};
use crate::protocol::{Envelope, ErrorBody, PROTOCOL_VERSION, Request, Response};
use crate::protocol::{decode, write_message};

/// Bytes read ahead per connection. Requests are a few hundred bytes; a
/// larger frame is read past the buffer. The default 8 KiB made most of a
/// connection's memory (11 KiB) at 20,000 connections.
const READ_BUFFER: usize = 1024;

/// Serves one connection until it closes, goes quiet for longer than the
/// idle timeout, sends something unreadable, or the server drains. `peer`
/// names the other end in the log, which says once why a connection was
/// closed on it.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    ctx: Context,
    caller: Caller,
    peer: String,
) {
    let (r, mut w) = tokio::io::split(stream);
    let mut r = BufReader::with_capacity(READ_BUFFER, r);
    let mut conn = Conn {
        id: ctx.owners.connection(),
        ..Conn::default()
    };
    let limits = Limits::of(&ctx);
    let mut draining = ctx.draining.clone();
    loop {
        let (id, response) = match next_request(&mut r, &limits, &mut draining).await {
            Incoming::Request(e) if e.v != PROTOCOL_VERSION => (e.id, unsupported(e.v)),
            Incoming::Request(e) => (
                e.id,
                handlers::answer(e.body, &ctx, &caller, &mut conn).await,
            ),
            Incoming::Unsupported { v, id } => (id, unsupported(v)),
            Incoming::Closed => break,
            Incoming::Draining => return,
            Incoming::Bad { reason, answer } => {
                // Say why once, then close: the stream cannot be trusted.
                if answer {
                    let refusal = Response::Error(ErrorBody::new(Code::BAD_DATA, reason.clone()));
                    let _ = send(&mut w, 0, refusal, &limits).await;
                }
                closed_because(&ctx, &peer, reason).await;
                break;
            }
        };
        if let Err(reason) = send(&mut w, id, response, &limits).await {
            if let Some(reason) = reason {
                closed_because(&ctx, &peer, reason).await;
            }
            break;
        }
    }
    for session in conn.sessions {
        // Taken over by another connection since: it is not lost.
        if !ctx.owners.release(session, conn.id) {
            continue;
        }
        let _ = ctx
            .engine
            .handle(engine::Request::SessionLost { session })
            .await;
    }
}

fn unsupported(v: u32) -> Response {
    let reason =
        format!("protocol version {v} is not supported (this server speaks {PROTOCOL_VERSION})");
    Response::Error(ErrorBody::new(Code::BAD_DATA, reason))
}

/// How long a connection may take.
struct Limits {
    /// Between two requests (a product heartbeats well within it).
    idle: Duration,
    /// From the first byte of a frame to its last, and to write an answer.
    frame: Duration,
}

impl Limits {
    fn of(ctx: &Context) -> Self {
        Limits {
            idle: Duration::from_secs(ctx.config.idle_timeout),
            frame: Duration::from_secs(ctx.config.frame_timeout),
        }
    }
}

/// What came in on a connection.
enum Incoming {
    Request(Envelope<Request>),
    /// A clean end of stream between frames.
    Closed,
    /// The server drains, and no request had started.
    Draining,
    /// A whole frame of a protocol version this server does not speak.
    Unsupported {
        v: u32,
        id: u64,
    },
    /// Something that ends the connection; `answer` when the peer can still
    /// be told why.
    Bad {
        reason: String,
        answer: bool,
    },
}

/// Waits (at most the idle timeout, and only until the server drains) for
/// a frame to start, then reads it whole within the frame timeout: a peer
/// that stops in the middle of a frame, or trickles it a byte at a time, is
/// closed, not waited for.
async fn next_request<R: AsyncRead + Unpin>(
    r: &mut BufReader<R>,
    limits: &Limits,
    draining: &mut tokio::sync::watch::Receiver<bool>,
) -> Incoming {
    use tokio::io::AsyncBufReadExt;
    let bad = |reason: String, answer: bool| Incoming::Bad { reason, answer };
    // A request already on its way is served before the drain closes the
    // connection.
    let first = tokio::select! {
        biased;
        first = tokio::time::timeout(limits.idle, r.fill_buf()) => first,
        _ = draining.wait_for(|d| *d) => return Incoming::Draining,
    };
    match first {
        Err(_) => {
            let idle = limits.idle.as_secs();
            return bad(format!("no request for {idle} seconds"), false);
        }
        Ok(Ok([])) | Ok(Err(_)) => return Incoming::Closed,
        Ok(Ok(_)) => {}
    }
    let payload = match tokio::time::timeout(limits.frame, read_frame(r)).await {
        Err(_) => {
            let secs = limits.frame.as_secs();
            return bad(format!("a frame took longer than {secs} seconds"), true);
        }
        Ok(Ok(p)) => p,
        Ok(Err(FrameError::Closed)) => return Incoming::Closed,
        Ok(Err(FrameError::Io(e))) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            let reason = "the connection ended in the middle of a frame";
            return bad(reason.into(), false);
        }
        Ok(Err(FrameError::Io(_))) => return Incoming::Closed,
        Ok(Err(e)) => return bad(e.to_string(), true),
    };
    match decode::<Envelope<Request>>(&payload) {
        Ok(e) => Incoming::Request(e),
        Err(e) => match decode_header(&payload) {
            Some((v, id)) if v != PROTOCOL_VERSION => Incoming::Unsupported { v, id },
            _ => bad(e.to_string(), true),
        },
    }
}

/// Writes an answer within the frame timeout. `Err(Some(why))` when the
/// peer stopped reading; `Err(None)` when it went away.
async fn send<W: AsyncWrite + Unpin>(
    w: &mut W,
    id: u64,
    body: Response,
    limits: &Limits,
) -> Result<(), Option<String>> {
    let reply = Envelope {
        v: PROTOCOL_VERSION,
        id,
        body,
    };
    match tokio::time::timeout(limits.frame, write_message(w, &reply)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(None),
        Err(_) => {
            let secs = limits.frame.as_secs();
            Err(Some(format!(
                "an answer could not be sent in {secs} seconds"
            )))
        }
    }
}

/// One log line for a connection closed by the server, and why.
async fn closed_because(ctx: &Context, peer: &str, reason: String) {
    let message = format!("Closed the connection from {peer}: {reason}");
    ctx.say(VENDOR, message).await;
}
