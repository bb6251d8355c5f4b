//! lmgrd's HTTP port (`--http-port`, 8083 by default): `GET /metrics`
//! today; the HTTPS API and the console are routes added to [`router`].
//! Plain HTTP for now: TLS comes with the API.
//!
//! Nothing an HTTP client does reaches licensing: connections have their
//! own bound ([`MAX_CONNECTIONS`], apart from the licensing sessions'
//! slots), a request's head must arrive within [`HEAD_TIMEOUT`] and fit in
//! [`MAX_HEAD`], bodies are capped at [`MAX_BODY`], and a connection lives
//! at most [`CONNECTION_LIFETIME`] however slowly it reads. Every route
//! reads the reader's replica, never the engine's owner.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, Semaphore};

use super::api::Peer;
use super::context::Context;
use super::metrics::Scrape;
use crate::engine::types::RemoteRead;

/// HTTP connections served at once; more are closed as soon as accepted.
pub const MAX_CONNECTIONS: usize = 64;
/// Time a client has to send a request's head once it connected or sent
/// the previous one.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head read (hyper's smallest buffer limit).
pub const MAX_HEAD: usize = 16 * 1024;
/// The largest request body a route reads.
pub const MAX_BODY: usize = 64 * 1024;
/// The longest one connection is served; then it is closed, after the
/// request in hand if it can be finished within a few more seconds.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);
/// How long a route waits for the reader's answer.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The text exposition's content type.
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";
/// A scrape's body is reused for this many times as long as it took to
/// build: scraping as fast as it can, a client keeps the reader busy at
/// most a tenth of the time...
const REUSE_FACTOR: u32 = 10;
/// ...but never longer than this, so that a scrape every 15 s or more
/// always sees a fresh state, whatever the state's size.
const MAX_REUSE: Duration = Duration::from_secs(15);

/// What the routes share.
#[derive(Clone)]
struct Web {
    ctx: Context,
    started: f64,
    last: Arc<Mutex<Option<Built>>>,
}

/// The last exposition built, when, and what it cost.
struct Built {
    at: Instant,
    took: Duration,
    /// Shared with every answer that reuses it, not copied.
    body: Bytes,
}

/// The routes served on the HTTP port.
pub fn router(ctx: Context) -> Router {
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let web = Web {
        ctx,
        started,
        last: Arc::new(Mutex::new(None)),
    };
    Router::new()
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(web)
}

/// `GET /metrics`: the exposition, from the replica.
async fn metrics(State(web): State<Web>) -> Response {
    // Asked first, so that a body built before remote_read changed is
    // never served after.
    match web.ctx.engine.settings().await {
        Ok(s) if s.remote_read == RemoteRead::ProductsOnly => return refused(),
        Ok(_) => {}
        Err(e) => return (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response(),
    }
    let mut last = web.last.lock().await;
    if let Some(b) = last.as_ref()
        && b.at.elapsed() < (b.took * REUSE_FACTOR).min(MAX_REUSE)
    {
        return exposition(b.body.clone());
    }
    let scrape = Scrape {
        app: web.ctx.host.to_string(),
        lm_port: web.ctx.ports.0,
        vendor_up: web.ctx.vendor.is_up(),
        started: web.started,
    };
    let t = Instant::now();
    let answer = tokio::time::timeout(READ_TIMEOUT, web.ctx.engine.metrics(scrape)).await;
    match answer {
        Ok(Ok(Some(text))) => {
            let body = Bytes::from(text);
            *last = Some(Built {
                at: Instant::now(),
                took: t.elapsed(),
                body: body.clone(),
            });
            exposition(body)
        }
        Ok(Ok(None)) => refused(),
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the state took too long to read\n",
        )
            .into_response(),
    }
}

/// What `remote_read=products_only` answers.
fn refused() -> Response {
    let why = "remote_read=products_only: the licensing state is not served to remote readers\n";
    (StatusCode::FORBIDDEN, why).into_response()
}

fn exposition(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, EXPOSITION)], body).into_response()
}

/// What the port serves over TLS: the certificate and the routes (the
/// metrics and the web services).
#[derive(Clone)]
pub struct Secure {
    pub acceptor: tokio_rustls::TlsAcceptor,
    pub routes: Router,
}

/// The routes served in plain HTTP: the metrics; the web services' and
/// the console's paths are refused with a reason that says to use HTTPS
/// on the same port.
pub fn plain(metrics: Router) -> Router {
    metrics.fallback(|uri: axum::http::Uri| async move {
        let path = uri.path();
        if path.starts_with("/api/") || path == "/" || path.starts_with("/assets/") {
            let why = "the web services and the console are served over HTTPS on this port only\n";
            (StatusCode::FORBIDDEN, why)
        } else {
            (StatusCode::NOT_FOUND, "not found\n")
        }
    })
}

/// Accepts HTTP connections on `listener` and serves each, at most
/// [`MAX_CONNECTIONS`] at once: a connection whose first byte opens a TLS
/// handshake gets `secure`'s routes over TLS, any other `plain`.
pub async fn serve(listener: TcpListener, plain: Router, secure: Secure) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors or memory: licensing comes first;
            // try again shortly.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            continue;
        };
        let (plain, secure) = (plain.clone(), secure.clone());
        tokio::spawn(async move {
            let peer = Extension(Peer(peer.ip()));
            match opening(&stream).await {
                Opening::Tls => {
                    let tls = secure.acceptor.accept(stream);
                    if let Ok(Ok(stream)) = tokio::time::timeout(HEAD_TIMEOUT, tls).await {
                        let service = TowerToHyperService::new(secure.routes.layer(peer));
                        connection(stream, service).await;
                    }
                }
                Opening::Plain => {
                    connection(stream, TowerToHyperService::new(plain.layer(peer))).await;
                }
                Opening::Silent => {}
            }
            drop(permit);
        });
    }
}

/// How a client opens its connection.
enum Opening {
    /// With a TLS handshake (a record of type 22).
    Tls,
    Plain,
    /// Not at all within [`HEAD_TIMEOUT`], or it closed.
    Silent,
}

/// Peeks at the client's first byte (it stays unread for what follows).
async fn opening(stream: &tokio::net::TcpStream) -> Opening {
    let mut first = [0u8; 1];
    match tokio::time::timeout(HEAD_TIMEOUT, stream.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] == 0x16 => Opening::Tls,
        Ok(Ok(1)) => Opening::Plain,
        _ => Opening::Silent,
    }
}

/// Serves one connection for at most [`CONNECTION_LIFETIME`].
async fn connection<S>(stream: S, service: TowerToHyperService<Router>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(MAX_HEAD);
    let conn = http.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        () = tokio::time::sleep(CONNECTION_LIFETIME) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(HEAD_TIMEOUT, conn).await;
}
