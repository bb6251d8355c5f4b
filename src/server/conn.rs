//! One client connection: read a frame, answer it, repeat. An error in one
//! connection ends only that connection; product sessions it started are
//! marked lapsed, their checkouts kept for a reconnect.
//!
//! Who may do what: a TCP client is remote (products and read-only status);
//! a control-socket caller is identified by the operating system's peer
//! credentials, never by what it claims, and changes (reread, release,
//! shutdown) need the admin role: root or the account that runs lmgrd.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, BufReader};
use tokio::sync::Notify;

use super::config::Config;
use super::debuglog::DebugLog;
use super::owner::EngineHandle;
use crate::engine::request::{AccountRole, CheckoutRequest, SessionId};
use crate::engine::{self, Decision};
use crate::license::Version;
use crate::protocol::errors::{BAD_DATA, CANNOT_CONNECT, NOT_ALLOWED};
use crate::protocol::frame::{FrameError, decode_header, read_frame};
use crate::protocol::{
    Account, Envelope, ErrorBody, PROTOCOL_VERSION, Request, Response, Role, StoredEvent,
};
use crate::protocol::{DiagLine, Diagnosis, ServerInfo, decode, write_message};

/// Bytes read ahead per connection. Requests are a few hundred bytes; a
/// larger frame is read past the buffer. The default 8 KiB made most of a
/// connection's memory (11 KiB) at 20,000 connections.
const READ_BUFFER: usize = 1024;

/// The most events one request returns.
const MAX_EVENTS: u32 = 10_000;

/// What every connection shares.
#[derive(Clone)]
pub struct Shared {
    pub engine: EngineHandle,
    pub config: Arc<Config>,
    pub log: Arc<Mutex<DebugLog>>,
    /// Notified to stop the whole server.
    pub stop: Arc<Notify>,
    /// False while the vendor daemon is stopped (`lmdown -vendor`).
    pub vendor_up: Arc<AtomicBool>,
    /// The account lmgrd runs as: an admin.
    pub owner_uid: u32,
    /// The TCP ports in use (as bound, when 0 was asked).
    pub ports: (u16, u16),
}

/// Who is on the other end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Remote,
    Local { uid: u32, name: String },
}

impl Caller {
    /// A control-socket caller, named `host\user` as accounts are written.
    pub fn local(uid: u32) -> Self {
        let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
            .ok()
            .flatten()
            .map_or_else(|| format!("uid{uid}"), |u| u.name);
        let host = nix::unistd::gethostname()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default();
        Caller::Local {
            uid,
            name: format!("{host}\\{user}"),
        }
    }

    /// The caller's role: root and the account lmgrd runs as are admins;
    /// then the accounts and groups given a role; anyone else local may read.
    async fn role(&self, shared: &Shared) -> Role {
        let (uid, name) = match self {
            Caller::Remote => return Role::Remote,
            Caller::Local { uid, name } => (*uid, name),
        };
        if uid == 0 || uid == shared.owner_uid {
            return Role::Admin;
        }
        let accounts = shared.engine.accounts().await;
        let in_group = |role: AccountRole| {
            accounts
                .iter()
                .any(|(group, r)| *r == role && member_of(uid, group))
        };
        match accounts.get(name) {
            Some(AccountRole::Admin) => Role::Admin,
            _ if in_group(AccountRole::AdminGroup) => Role::Admin,
            _ => Role::User,
        }
    }

    fn name(&self) -> &str {
        match self {
            Caller::Remote => "a remote client",
            Caller::Local { name, .. } => name,
        }
    }
}

/// Serves one connection until it closes, goes quiet for longer than the
/// idle timeout, or sends something unreadable. `peer` names the other end
/// in the log, which says once why a connection was closed on it.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    shared: Shared,
    caller: Caller,
    peer: String,
) {
    let (r, mut w) = tokio::io::split(stream);
    let mut r = BufReader::with_capacity(READ_BUFFER, r);
    let mut sessions: Vec<SessionId> = Vec::new();
    let limits = Limits::of(&shared.config);
    loop {
        let envelope = match next_request(&mut r, &limits).await {
            Incoming::Request(e) => e,
            Incoming::Closed => break,
            Incoming::Unsupported { v, id } => {
                let reason = format!(
                    "protocol version {v} is not supported (this server speaks {PROTOCOL_VERSION})"
                );
                let reply = Envelope {
                    v: PROTOCOL_VERSION,
                    id,
                    body: refuse(BAD_DATA, reason),
                };
                if send(&mut w, &reply, &limits).await.is_err() {
                    break;
                }
                continue;
            }
            Incoming::Bad { reason, answer } => {
                // Say why once, then close: the stream cannot be trusted.
                if answer {
                    let reply = Envelope {
                        v: PROTOCOL_VERSION,
                        id: 0,
                        body: refuse(BAD_DATA, reason.clone()),
                    };
                    let _ = send(&mut w, &reply, &limits).await;
                }
                closed_because(&shared, &peer, &reason);
                break;
            }
        };
        let response = if envelope.v != PROTOCOL_VERSION {
            let reason = format!(
                "protocol version {} is not supported (this server speaks {PROTOCOL_VERSION})",
                envelope.v
            );
            Response::Error(ErrorBody::new(BAD_DATA, reason))
        } else {
            answer(envelope.body, &shared, &caller, &mut sessions).await
        };
        let reply = Envelope {
            v: PROTOCOL_VERSION,
            id: envelope.id,
            body: response,
        };
        if let Err(reason) = send(&mut w, &reply, &limits).await {
            if let Some(reason) = reason {
                closed_because(&shared, &peer, &reason);
            }
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

/// How long a connection may take.
struct Limits {
    /// Between two requests (a product heartbeats well within it).
    idle: Duration,
    /// From the first byte of a frame to its last, and to write an answer.
    frame: Duration,
}

impl Limits {
    fn of(config: &Config) -> Self {
        Limits {
            idle: Duration::from_secs(config.idle_timeout),
            frame: Duration::from_secs(config.frame_timeout),
        }
    }
}

/// What came in on a connection.
enum Incoming {
    Request(Envelope<Request>),
    /// A clean end of stream between frames.
    Closed,
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

/// Waits (at most the idle timeout) for a frame to start, then reads it
/// whole within the frame timeout: a peer that stops in the middle of a
/// frame, or trickles it a byte at a time, is closed, not waited for.
async fn next_request<R: AsyncRead + Unpin>(r: &mut BufReader<R>, limits: &Limits) -> Incoming {
    use tokio::io::AsyncBufReadExt;
    let bad = |reason: String, answer: bool| Incoming::Bad { reason, answer };
    match tokio::time::timeout(limits.idle, r.fill_buf()).await {
        Err(_) => {
            let idle = limits.idle.as_secs();
            return bad(format!("no request for {idle} seconds"), false);
        }
        Ok(Ok([])) => return Incoming::Closed,
        Ok(Ok(_)) => {}
        Ok(Err(_)) => return Incoming::Closed,
    }
    let payload = match tokio::time::timeout(limits.frame, read_frame(r)).await {
        Err(_) => {
            let secs = limits.frame.as_secs();
            return bad(format!("a frame took longer than {secs} seconds"), true);
        }
        Ok(Ok(p)) => p,
        Ok(Err(FrameError::Closed)) => return Incoming::Closed,
        Ok(Err(FrameError::Io(e))) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return bad(
                "the connection ended in the middle of a frame".into(),
                false,
            );
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
    reply: &Envelope<Response>,
    limits: &Limits,
) -> Result<(), Option<String>> {
    match tokio::time::timeout(limits.frame, write_message(w, reply)).await {
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
fn closed_because(shared: &Shared, peer: &str, reason: &str) {
    let message = format!("Closed the connection from {peer}: {reason}");
    super::daemon::say(&shared.log, super::debuglog::VENDOR, &message);
}

fn refuse(code: i32, reason: impl Into<String>) -> Response {
    Response::Error(ErrorBody::new(code, reason))
}

/// Whether the account `uid` is a member of the OS group `domain\\group`.
fn member_of(uid: u32, group: &str) -> bool {
    use nix::unistd::{Group, Uid, User};
    let name = group.rsplit('\\').next().unwrap_or(group);
    let (Ok(Some(g)), Ok(Some(u))) = (Group::from_name(name), User::from_uid(Uid::from_raw(uid)))
    else {
        return false;
    };
    u.gid == g.gid || g.mem.contains(&u.name)
}

/// Admin requests: only over the control socket, only for admins.
async fn authorize(what: &str, caller: &Caller, shared: &Shared) -> Result<(), Response> {
    match caller.role(shared).await {
        Role::Admin => Ok(()),
        Role::Remote => Err(refuse(
            NOT_ALLOWED,
            format!("{what} is only accepted on the server's host, over its control socket"),
        )),
        Role::User => Err(refuse(
            NOT_ALLOWED,
            format!(
                "{what} needs the admin role; {} has the user role",
                caller.name()
            ),
        )),
    }
}

async fn answer(
    request: Request,
    shared: &Shared,
    caller: &Caller,
    sessions: &mut Vec<SessionId>,
) -> Response {
    match request {
        Request::Hello { .. } => Response::Hello {
            server: "lmgrd".to_owned(),
            version: crate::version::VERSION.to_owned(),
            protocol: PROTOCOL_VERSION,
            heartbeat_interval: shared.config.heartbeat_interval,
        },
        Request::Info => Response::Info(info(shared)),
        Request::Diagnose { feature } => diagnose(shared, feature.as_deref()).await,
        Request::Whoami => Response::Identity {
            name: caller.name().to_owned(),
            role: caller.role(shared).await,
        },
        Request::Accounts => accounts(shared).await,
        Request::SetAccount { name, role } => {
            if let Err(r) = authorize("changing accounts", caller, shared).await {
                return r;
            }
            let Some(role) = AccountRole::parse(&role) else {
                return refuse(
                    BAD_DATA,
                    format!("role `{role}`: expected admin, user, adminGroup or userGroup"),
                );
            };
            decide(shared, engine::Request::SetAccount { name, role }, sessions).await
        }
        Request::RemoveAccount { name } => {
            if let Err(r) = authorize("changing accounts", caller, shared).await {
                return r;
            }
            decide(shared, engine::Request::RemoveAccount { name }, sessions).await
        }
        Request::Status => match shared.engine.status().await {
            Some(s) => Response::Status(Box::new(s)),
            None => down(),
        },
        Request::Pools => match shared.engine.pools().await {
            Some(pools) => Response::Pools { pools },
            None => down(),
        },
        Request::Events { after, limit } => events(shared, caller, after, limit).await,
        Request::Reread { vendor } => reread(shared, caller, vendor).await,
        Request::Shutdown { vendor } => shutdown(shared, caller, vendor).await,
        Request::Release {
            feature,
            user,
            device,
        } => {
            if let Err(r) = authorize("release", caller, shared).await {
                return r;
            }
            let request = engine::Request::Release {
                feature,
                user,
                device,
            };
            decide(shared, request, sessions).await
        }
        product => product_request(product, shared, sessions).await,
    }
}

fn info(shared: &Shared) -> ServerInfo {
    let license_files = crate::license::load::load_dir(&shared.config.license_dir)
        .map(|(files, _)| {
            files
                .into_iter()
                .map(|f| f.path.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    ServerInfo {
        host: nix::unistd::gethostname()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "localhost".to_owned()),
        lm_port: shared.ports.0,
        vendor_port: shared.ports.1,
        version: crate::version::VERSION.to_owned(),
        license_files,
        vendor_up: shared.vendor_up.load(Ordering::SeqCst),
    }
}

/// Every line's status, and for serving lines whether a checkout would be
/// granted now.
async fn diagnose(shared: &Shared, feature: Option<&str>) -> Response {
    let reading = match super::daemon::read_licenses(&shared.config) {
        Ok(r) => r,
        Err(e) => return refuse(-1, format!("{e:#}")),
    };
    let mut lines = Vec::new();
    for l in reading
        .inv
        .lines
        .iter()
        .filter(|l| feature.is_none_or(|f| f == l.line.feature))
    {
        let mut d = diag_line(l);
        match l.status.reason() {
            Some((code, reason)) => (d.code, d.reason) = (Some(code), Some(reason)),
            None if !shared.vendor_up.load(Ordering::SeqCst) => {
                (d.code, d.reason) = (
                    Some(-97),
                    Some("the CITRIX vendor daemon is stopped".into()),
                )
            }
            None => match shared.engine.probe(&l.line.feature, &l.line.version).await {
                Ok(()) => d.can_check_out = true,
                Err(denial) => (d.code, d.reason) = (Some(denial.code), Some(denial.reason)),
            },
        }
        lines.push(d);
    }
    let errors = reading
        .files
        .iter()
        .flat_map(|f| {
            f.parsed
                .errors
                .iter()
                .map(move |e| format!("{}:{e}", f.path.display()))
        })
        .collect();
    Response::Diagnosis(Box::new(Diagnosis {
        host: reading.host,
        skipped: reading.skipped,
        errors,
        lines,
    }))
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

async fn events(shared: &Shared, caller: &Caller, after: i64, limit: u32) -> Response {
    if *caller == Caller::Remote {
        return refuse(
            NOT_ALLOWED,
            "the event history is only available over the control socket",
        );
    }
    match shared.engine.events(after, limit.min(MAX_EVENTS)).await {
        Ok(events) => Response::Events {
            events: events
                .into_iter()
                .map(|(seq, event)| StoredEvent { seq, event })
                .collect(),
        },
        Err(reason) => refuse(CANNOT_CONNECT, reason),
    }
}

async fn reread(shared: &Shared, caller: &Caller, vendor: bool) -> Response {
    if let Err(r) = authorize("lmreread", caller, shared).await {
        return r;
    }
    if let Err(e) = super::daemon::reread(&shared.config, &shared.engine, &shared.log).await {
        return refuse(-1, format!("{e:#}"));
    }
    if vendor && !shared.vendor_up.swap(true, Ordering::SeqCst) {
        super::daemon::say(
            &shared.log,
            "lmgrd",
            "Started CITRIX (restarted by lmreread)",
        );
    }
    super::daemon::say(
        &shared.log,
        "lmgrd",
        &format!("Done rereading (requested by {})", caller.name()),
    );
    Response::Ok
}

async fn accounts(shared: &Shared) -> Response {
    let me = |uid: u32| Caller::local(uid).name().to_owned();
    let mut list = vec![Account {
        name: me(0),
        role: "admin".to_owned(),
        built_in: true,
    }];
    if shared.owner_uid != 0 {
        list.push(Account {
            name: me(shared.owner_uid),
            role: "admin".to_owned(),
            built_in: true,
        });
    }
    list.extend(
        shared
            .engine
            .accounts()
            .await
            .into_iter()
            .map(|(name, role)| Account {
                name,
                role: role.as_str().to_owned(),
                built_in: false,
            }),
    );
    Response::Accounts { accounts: list }
}

async fn shutdown(shared: &Shared, caller: &Caller, vendor: bool) -> Response {
    if let Err(r) = authorize("lmdown", caller, shared).await {
        return r;
    }
    if !shared.config.allow_lmdown {
        return refuse(
            NOT_ALLOWED,
            "lmdown is disabled on this server (start lmgrd with --allow-lmdown to enable it)",
        );
    }
    let who = caller.name();
    if vendor {
        shared.vendor_up.store(false, Ordering::SeqCst);
        super::daemon::say(&shared.log, "lmgrd", &format!("CITRIX shut down by {who}"));
    } else {
        super::daemon::say(
            &shared.log,
            "lmgrd",
            &format!("SHUTDOWN request from {who}"),
        );
        shared.stop.notify_one();
    }
    Response::Ok
}

/// Requests of products: refused while the vendor daemon is stopped.
async fn product_request(
    request: Request,
    shared: &Shared,
    sessions: &mut Vec<SessionId>,
) -> Response {
    if !shared.vendor_up.load(Ordering::SeqCst) {
        return refuse(
            -97,
            "the CITRIX vendor daemon was stopped by lmdown -vendor",
        );
    }
    let engine_request = match request {
        Request::StartSession { host } => engine::Request::StartSession { host },
        Request::Heartbeat { session } => engine::Request::Heartbeat { session },
        Request::Reconnect { session } => {
            let r = decide(shared, engine::Request::Reconnect { session }, sessions).await;
            if r == Response::Ok {
                sessions.push(session);
            }
            return r;
        }
        Request::EndSession { session } => {
            sessions.retain(|s| *s != session);
            engine::Request::EndSession { session }
        }
        Request::Checkin { session, handle } => engine::Request::Checkin { session, handle },
        Request::Checkout(c) => match checkout_request(c) {
            Ok(r) => engine::Request::Checkout(r),
            Err(e) => return Response::Error(e),
        },
        other => return refuse(BAD_DATA, format!("unexpected request {other:?}")),
    };
    decide(shared, engine_request, sessions).await
}

async fn decide(
    shared: &Shared,
    request: engine::Request,
    sessions: &mut Vec<SessionId>,
) -> Response {
    let decision = match shared.engine.handle(request).await {
        Ok(d) => d,
        Err(reason) => return refuse(CANNOT_CONNECT, reason),
    };
    match decision {
        Decision::SessionStarted { session } => {
            sessions.push(session);
            Response::SessionStarted {
                session,
                heartbeat_interval: shared.config.heartbeat_interval,
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
    refuse(-97, "the vendor daemon is shutting down")
}
