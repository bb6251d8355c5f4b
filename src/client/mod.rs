//! The client library: what a product (and the admin tools) use to talk to
//! the server over TCP or the local control socket, and what the tools use
//! to reach a server's web services over HTTPS.

pub mod caching;
pub mod https;
pub mod select;

use std::path::Path;

use tokio::io::{AsyncRead, AsyncWrite, BufReader, ReadHalf, WriteHalf};
use tokio::net::{TcpStream, UnixStream};

use crate::protocol::frame::FrameError;
use crate::protocol::frame::read_answer;
use crate::protocol::message::Secret;
use crate::protocol::write_message;
use crate::protocol::{Checkout, Envelope, ErrorBody, PROTOCOL_VERSION, Request, Response};
use crate::protocol::{Handle, SessionId};

/// Errors talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to license server {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("connection to the license server failed: {0}")]
    Frame(#[from] FrameError),
    #[error("{}", .0.code)]
    Refused(ErrorBody),
    #[error("the server answered {0} to request {1}")]
    Mismatch(u64, u64),
    #[error("unexpected answer from the server: {0}")]
    Unexpected(String),
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// One connection: requests and their answers, in order.
pub struct Connection {
    reader: BufReader<ReadHalf<Box<dyn Stream>>>,
    writer: WriteHalf<Box<dyn Stream>>,
    next_id: u64,
}

impl Connection {
    fn new(stream: Box<dyn Stream>) -> Self {
        let (r, w) = tokio::io::split(stream);
        Connection {
            reader: BufReader::new(r),
            writer: w,
            next_id: 1,
        }
    }

    /// A connection over any byte stream (an in-memory pipe in tests, a
    /// socket the caller opened itself).
    pub fn over<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(stream: S) -> Self {
        Connection::new(Box::new(stream))
    }

    /// Connects over TCP, e.g. `127.0.0.1:27000`.
    pub async fn tcp(addr: &str) -> Result<Self, ClientError> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|source| ClientError::Connect {
                addr: addr.to_owned(),
                source,
            })?;
        let _ = stream.set_nodelay(true);
        Ok(Connection::new(Box::new(stream)))
    }

    /// Connects to the local server's control socket.
    pub async fn unix(path: &Path) -> Result<Self, ClientError> {
        let stream = UnixStream::connect(path)
            .await
            .map_err(|source| ClientError::Connect {
                addr: path.display().to_string(),
                source,
            })?;
        Ok(Connection::new(Box::new(stream)))
    }

    /// Sends every request at once, then reads their answers in order: one
    /// round trip for all. The first refusal is the error.
    pub async fn requests(&mut self, bodies: Vec<Request>) -> Result<Vec<Response>, ClientError> {
        let (first, asked) = (self.next_id, bodies.len());
        for body in bodies {
            let envelope = Envelope {
                v: PROTOCOL_VERSION,
                id: self.next_id,
                body,
            };
            self.next_id += 1;
            write_message(&mut self.writer, &envelope)
                .await
                .map_err(FrameError::Io)?;
        }
        let mut answers = Vec::with_capacity(asked);
        for id in first..self.next_id {
            let answer: Envelope<Response> = read_answer(&mut self.reader).await?;
            if answer.id != id && !matches!(answer.body, Response::Error(_)) {
                return Err(ClientError::Mismatch(answer.id, id));
            }
            answers.push(answer.body);
        }
        answers
            .into_iter()
            .map(|a| match a {
                Response::Error(e) => Err(ClientError::Refused(e)),
                a => Ok(a),
            })
            .collect()
    }

    /// Sends one request and waits for its answer; a refusal is an error.
    pub async fn request(&mut self, body: Request) -> Result<Response, ClientError> {
        let id = self.next_id;
        self.next_id += 1;
        let envelope = Envelope {
            v: PROTOCOL_VERSION,
            id,
            body,
        };
        write_message(&mut self.writer, &envelope)
            .await
            .map_err(FrameError::Io)?;
        let answer: Envelope<Response> = read_answer(&mut self.reader).await?;
        if let Response::Error(e) = answer.body {
            return Err(ClientError::Refused(e));
        }
        if answer.id != id {
            return Err(ClientError::Mismatch(answer.id, id));
        }
        Ok(answer.body)
    }
}

/// A product's session: the start-up license and the checkouts under it.
pub struct ProductSession {
    conn: Connection,
    pub session: SessionId,
    /// What takes the session back over a new connection; only this
    /// product knows it.
    secret: Secret,
    pub heartbeat_interval: u64,
    host: String,
}

/// What a checkout asks for.
#[derive(Debug, Clone)]
pub struct CheckoutArgs<'a> {
    pub feature: &'a str,
    pub version: &'a str,
    pub user: &'a str,
    pub device: &'a str,
    pub display: &'a str,
    pub count: u32,
}

impl ProductSession {
    /// Starts a session (checks out the start-up license) as product server `host`.
    pub async fn start(mut conn: Connection, host: &str) -> Result<Self, ClientError> {
        match conn
            .request(Request::StartSession {
                host: host.to_owned(),
            })
            .await?
        {
            Response::SessionStarted {
                session,
                secret,
                heartbeat_interval,
            } => Ok(ProductSession {
                conn,
                session,
                secret,
                heartbeat_interval,
                host: host.to_owned(),
            }),
            other => Err(ClientError::Unexpected(format!("{other:?}"))),
        }
    }

    /// The session's secret, to keep (e.g. across a restart of the
    /// product) and give to [`ProductSession::resume`].
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Takes an existing session back over a new connection (after the old
    /// one dropped) with the secret it was started with; fails when the
    /// server has reclaimed it or the secret is not the session's.
    pub async fn resume(
        mut conn: Connection,
        session: SessionId,
        secret: Secret,
        host: &str,
    ) -> Result<Self, ClientError> {
        conn.request(Request::Reconnect {
            session,
            secret: secret.clone(),
        })
        .await?;
        let heartbeat_interval = match conn
            .request(Request::Hello {
                client: "lmutil".into(),
            })
            .await?
        {
            Response::Hello {
                heartbeat_interval, ..
            } => heartbeat_interval,
            _ => 300,
        };
        Ok(ProductSession {
            conn,
            session,
            secret,
            heartbeat_interval,
            host: host.to_owned(),
        })
    }

    /// Checks a license out; the handle checks it back in.
    pub async fn checkout(&mut self, args: CheckoutArgs<'_>) -> Result<Handle, ClientError> {
        let request = Request::Checkout(Checkout {
            session: self.session,
            feature: args.feature.to_owned(),
            version: args.version.to_owned(),
            user: args.user.to_owned(),
            device: args.device.to_owned(),
            host: self.host.clone(),
            display: args.display.to_owned(),
            count: args.count,
        });
        match self.conn.request(request).await? {
            Response::Granted { handle, .. } => Ok(handle),
            other => Err(ClientError::Unexpected(format!("{other:?}"))),
        }
    }

    pub async fn checkin(&mut self, handle: Handle) -> Result<(), ClientError> {
        let request = Request::Checkin {
            session: self.session,
            handle,
        };
        self.conn.request(request).await.map(drop)
    }

    pub async fn heartbeat(&mut self) -> Result<(), ClientError> {
        let session = self.session;
        self.conn
            .request(Request::Heartbeat { session })
            .await
            .map(drop)
    }

    /// Ends the session: every checkout is checked in.
    pub async fn end(mut self) -> Result<(), ClientError> {
        let session = self.session;
        self.conn
            .request(Request::EndSession { session })
            .await
            .map(drop)
    }

    /// Re-attaches this session over a new connection after the old one dropped.
    pub async fn reconnect(&mut self, conn: Connection) -> Result<(), ClientError> {
        self.conn = conn;
        let request = Request::Reconnect {
            session: self.session,
            secret: self.secret.clone(),
        };
        self.conn.request(request).await.map(drop)
    }
}
