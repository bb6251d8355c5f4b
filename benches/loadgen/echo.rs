//! The hardware's own limit: a server with lmgrd's runtime, framing and
//! message codec, but no engine and no store. It decodes each request and
//! answers what lmgrd would (a grant for a checkout, `ok` for a checkin)
//! at once, so the load generator measures connections, system calls,
//! framing and JSON alone.

use lmutil::engine::types::STARTUP_FEATURE;
use lmutil::license::Expiry;
use lmutil::protocol::status::PoolId;
use lmutil::protocol::{
    Envelope, PROTOCOL_VERSION, Request, Response, read_message, write_message,
};
use tokio::io::BufReader;
use tokio::net::TcpListener;

use crate::daemon::CCU;

/// Serves on a free port of 127.0.0.1 with `threads` runtime workers (0:
/// one per core, as lmgrd does) until killed.
pub fn serve(threads: usize) -> anyhow::Result<()> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if threads > 0 {
        builder.worker_threads(threads);
    }
    builder.enable_all().build()?.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        println!("echo: serving port {}", listener.local_addr()?.port());
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(connection(stream));
        }
    })
}

fn pool() -> PoolId {
    PoolId {
        feature: CCU.to_owned(),
        version: "2026.1201".to_owned(),
        expiry: Expiry::Permanent,
        license_type: Some("Retail".to_owned()),
        vendor_string: Some(";LT=Retail".to_owned()),
    }
}

async fn connection(stream: tokio::net::TcpStream) {
    let (r, mut w) = tokio::io::split(stream);
    let mut r = BufReader::new(r);
    let mut handle = 0;
    loop {
        let envelope: Envelope<Request> = match read_message(&mut r).await {
            Ok(e) => e,
            // End of stream or a bad frame: this connection is done.
            Err(_) => return,
        };
        let body = match envelope.body {
            Request::StartSession { .. } => Response::SessionStarted {
                session: 1,
                secret: Default::default(),
                heartbeat_interval: 300,
            },
            Request::Checkout(c) if c.feature != STARTUP_FEATURE => {
                handle += 1;
                Response::Granted {
                    handle,
                    pool: pool(),
                    shared: false,
                    burst: false,
                }
            }
            Request::Hello { .. } => Response::Hello {
                server: "echo".to_owned(),
                version: String::new(),
                protocol: PROTOCOL_VERSION,
                heartbeat_interval: 300,
            },
            _ => Response::Ok,
        };
        let reply = Envelope {
            v: PROTOCOL_VERSION,
            id: envelope.id,
            body,
        };
        if write_message(&mut w, &reply).await.is_err() {
            return;
        }
    }
}
