//! One accept loop for every socket lmgrd listens on (the license manager
//! and vendor daemon TCP ports, the control socket): accept, wait for a
//! connection slot, learn who is calling, and hand the connection to its
//! own session task. Accept errors (out of file descriptors, of memory)
//! back off; the vendor port closes and opens again with the vendor daemon.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::Semaphore;

use super::authz::Caller;
use super::context::Context;
use super::debuglog::VENDOR;
use super::session;

/// The longest pause between two attempts to accept after an error.
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Who connected, as the socket tells it.
pub enum Peer {
    Tcp(SocketAddr),
    /// A control-socket caller, by the operating system's credentials.
    Local {
        uid: u32,
    },
}

/// A socket connections are accepted on.
pub trait Accept {
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// The next connection and who made it.
    fn accept(&self) -> impl Future<Output = io::Result<(Self::Stream, Peer)>> + Send;
}

impl Accept for TcpListener {
    type Stream = TcpStream;

    async fn accept(&self) -> io::Result<(TcpStream, Peer)> {
        let (stream, addr) = TcpListener::accept(self).await?;
        // Requests and answers are single small frames: send them now.
        let _ = stream.set_nodelay(true);
        Ok((stream, Peer::Tcp(addr)))
    }
}

impl Accept for UnixListener {
    type Stream = UnixStream;

    async fn accept(&self) -> io::Result<(UnixStream, Peer)> {
        loop {
            let (stream, _) = UnixListener::accept(self).await?;
            // The operating system says who is calling; nothing else
            // counts, and a caller it cannot name is not served.
            if let Ok(cred) = stream.peer_cred() {
                return Ok((stream, Peer::Local { uid: cred.uid() }));
            }
        }
    }
}

/// Accepts connections on `listener` and serves each in its own task, at
/// most as many at once as `slots` has permits; past that, an accepted
/// connection waits for a slot (and the others in the kernel's queue).
pub async fn serve<L: Accept>(listener: &L, ctx: &Context, slots: &Arc<Semaphore>) {
    let mut backoff = Backoff::default();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                backoff.failed(ctx, &e).await;
                continue;
            }
        };
        backoff.succeeded();
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let (caller, name) = match peer {
                Peer::Tcp(addr) => (Caller::Remote, addr.to_string()),
                Peer::Local { uid } => (
                    Caller::local(uid, &ctx.host).await,
                    format!("the control socket (uid {uid})"),
                ),
            };
            session::serve(stream, ctx, caller, name).await;
            drop(permit);
        });
    }
}

/// The vendor daemon's port: open while the vendor daemon runs, closed
/// while `lmdown -vendor` has stopped it (so that port checks and products
/// see it down, as with FlexNet), bound again to the same port by
/// `lmreread -vendor`. Connections already open stay, and are refused -97.
pub async fn serve_vendor_port(
    listener: TcpListener,
    listening: tokio::sync::watch::Sender<bool>,
    ctx: &Context,
    slots: &Arc<Semaphore>,
) {
    let Ok(addr) = listener.local_addr() else {
        return serve(&listener, ctx, slots).await;
    };
    let mut listener = Some(listener);
    loop {
        match (&listener, ctx.vendor.is_up()) {
            (Some(l), true) => tokio::select! {
                () = serve(l, ctx, slots) => return,
                () = ctx.vendor.changed.notified() => {}
            },
            (Some(_), false) => {
                listener = None;
                listening.send_replace(false);
            }
            (None, true) => match TcpListener::bind(addr).await {
                Ok(l) => {
                    listener = Some(l);
                    listening.send_replace(true);
                }
                Err(e) => {
                    let message = format!("cannot listen on {addr} again for {VENDOR}: {e}");
                    ctx.say("lmgrd", message).await;
                    ctx.vendor.changed.notified().await;
                }
            },
            (None, false) => ctx.vendor.changed.notified().await,
        }
    }
}

/// Accept errors back off, doubling up to a second, and are logged once a
/// run, not once a try.
#[derive(Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    fn succeeded(&mut self) {
        self.failures = 0;
    }

    async fn failed(&mut self, ctx: &Context, e: &io::Error) {
        if self.failures == 0 {
            let message = format!("Cannot accept connections: {e}; retrying");
            ctx.say("lmgrd", message).await;
        }
        self.failures = self.failures.saturating_add(1);
        let pause = Duration::from_millis(10)
            .saturating_mul(1 << self.failures.min(7))
            .min(MAX_ACCEPT_BACKOFF);
        tokio::time::sleep(pause).await;
    }
}
