//! License caching mode: a product keeps licensing when the server is
//! unreachable.
//!
//! While connected, the client keeps the pools the server reported. When
//! the server cannot be reached it grants checkouts itself, from that
//! record, for the `GP` hours of the feature's licenses counted from the last
//! contact: concurrent licenses up to the installed count, user/device-family
//! licenses without a limit (as the anchor does). On reconnect it reconciles:
//! every checkout made meanwhile is checked out on the server, every one
//! checked in meanwhile is checked in there; what the server refuses is
//! reported, and nobody is disconnected. Caching mode needs one successful
//! contact first. The clock is injected, so it is tested without waiting.

use std::collections::BTreeMap;

use super::select::Target;
use super::{CheckoutArgs, ClientError, Connection, ProductSession};
use crate::license::Version;
use crate::license::model::VendorString;
use crate::protocol::message::Secret;
use crate::protocol::status::{Model, Pool};
use crate::protocol::{Code, ErrorBody, Handle, Request, Response};

/// Unix seconds.
type Time = i64;

/// Where the time comes from.
pub trait Clock {
    fn now(&self) -> Time;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Time {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }
}

/// A checkout the product holds, granted by the server or by the cache.
#[derive(Debug, Clone)]
struct Held {
    feature: String,
    version: String,
    user: String,
    device: String,
    display: String,
    count: u32,
    /// The server's handle, once it knows this checkout.
    server: Option<Handle>,
}

/// Whether the product is talking to its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Connected,
    /// Licensing from the cache; each feature's own deadline applies.
    Caching {
        since: Time,
    },
}

/// What reconciliation found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub checked_out: usize,
    pub checked_in: usize,
    /// Checkouts the server refused on reconnect (over its limits); they
    /// stay with the product, and new ones wait until usage falls.
    pub refused: Vec<ErrorBody>,
}

/// A product session that survives the server's absence.
pub struct CachingSession<C: Clock> {
    clock: C,
    targets: Vec<Target>,
    host: String,
    /// The server session, while connected.
    session: Option<ProductSession>,
    /// The server session's id and secret, kept while disconnected to
    /// resume it.
    session_id: Option<(u64, Secret)>,
    pools: Vec<Pool>,
    last_contact: Time,
    mode: Mode,
    /// Checkouts the product holds, by the product's own handle.
    held: BTreeMap<u64, Held>,
    /// Server handles checked in while the server was unreachable.
    pending_checkins: Vec<Handle>,
    next: u64,
}

/// Connects to the first target that answers.
pub async fn connect(targets: &[Target]) -> Result<Connection, ClientError> {
    let mut last = None;
    for t in targets {
        let attempt = match t {
            Target::Tcp { host, port } => Connection::tcp(&format!("{host}:{port}")).await,
            Target::Local(path) => Connection::unix(path).await,
            // Products check out over the vendor daemon's port, never over
            // the web services.
            Target::Https { .. } => Err(ClientError::Connect {
                addr: t.display(),
                source: std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "products check out over port@host, not over https",
                ),
            }),
        };
        match attempt {
            Ok(c) => return Ok(c),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| ClientError::Unexpected("no server to try".into())))
}

impl<C: Clock> CachingSession<C> {
    /// Starts a session; the server must answer this first time.
    pub async fn start(targets: Vec<Target>, host: &str, clock: C) -> Result<Self, ClientError> {
        let conn = connect(&targets).await?;
        let session = ProductSession::start(conn, host).await?;
        let mut s = CachingSession {
            clock,
            targets,
            host: host.to_owned(),
            session_id: Some((session.session, session.secret().clone())),
            session: Some(session),
            pools: Vec::new(),
            last_contact: 0,
            mode: Mode::Connected,
            held: BTreeMap::new(),
            pending_checkins: Vec::new(),
            next: 1,
        };
        s.refresh_pools().await?;
        Ok(s)
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// How many checkouts the product holds.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    async fn refresh_pools(&mut self) -> Result<(), ClientError> {
        let Some(session) = self.session.as_mut() else {
            return Ok(());
        };
        if let Response::Pools { pools } = session.conn.request(Request::Pools).await? {
            self.pools = pools;
        }
        self.last_contact = self.clock.now();
        Ok(())
    }

    fn go_offline(&mut self) {
        self.session = None;
        if self.mode == Mode::Connected {
            self.mode = Mode::Caching {
                since: self.clock.now(),
            };
        }
    }

    /// Checks a license out: from the server, or from the cache when the
    /// server cannot be reached. Returns the product's own handle.
    pub async fn checkout(&mut self, args: CheckoutArgs<'_>) -> Result<u64, ClientError> {
        let mut held = Held {
            feature: args.feature.to_owned(),
            version: args.version.to_owned(),
            user: args.user.to_owned(),
            device: args.device.to_owned(),
            display: args.display.to_owned(),
            count: args.count,
            server: None,
        };
        if let Some(session) = self.session.as_mut() {
            match session.checkout(args).await {
                Ok(h) => {
                    self.last_contact = self.clock.now();
                    held.server = Some(h);
                    return Ok(self.keep(held));
                }
                Err(ClientError::Refused(e)) => return Err(ClientError::Refused(e)),
                Err(_) => self.go_offline(),
            }
        }
        self.grant_from_cache(&held)?;
        Ok(self.keep(held))
    }

    fn keep(&mut self, held: Held) -> u64 {
        let id = self.next;
        self.next += 1;
        self.held.insert(id, held);
        id
    }

    /// Caching mode's decision: within the feature's grace hours since the
    /// last contact, and (for concurrent licenses) the installed count.
    fn grant_from_cache(&self, want: &Held) -> Result<(), ClientError> {
        let refuse =
            |code: Code, reason: String| Err(ClientError::Refused(ErrorBody::new(code, reason)));
        let Ok(version) = Version::parse(&want.version) else {
            return refuse(Code::BAD_DATA, format!("bad version {}", want.version));
        };
        let serving: Vec<&Pool> = self
            .pools
            .iter()
            .filter(|p| {
                p.key.feature == want.feature && serves(&p.key.version, &version) && !p.expired
            })
            .collect();
        if serving.is_empty() {
            let what = format!(
                "no cached license serves {} v{}",
                want.feature, want.version
            );
            return refuse(Code::NO_SUCH_FEATURE, what);
        }
        let grace_hours = serving
            .iter()
            .filter_map(|p| p.key.vendor_string.as_ref())
            .filter_map(|v| VendorString { text: v.clone() }.grace_hours())
            .max()
            .unwrap_or(0);
        if self.clock.now() >= self.last_contact + i64::from(grace_hours) * 3600 {
            let why = "the server is unreachable and License caching mode has run out";
            return refuse(Code::CANNOT_CONNECT, why.into());
        }
        if serving.iter().any(|p| p.model == Some(Model::Concurrent)) {
            let installed: u64 = serving.iter().map(|p| p.installed).sum();
            let mut devices: Vec<&str> = self
                .held
                .values()
                .filter(|h| h.feature == want.feature)
                .map(|h| h.device.as_str())
                .collect();
            devices.sort_unstable();
            devices.dedup();
            if !devices.contains(&want.device.as_str()) && devices.len() as u64 >= installed {
                return refuse(
                    Code::ALL_IN_USE,
                    format!("all {installed} cached licenses are in use"),
                );
            }
        }
        Ok(())
    }

    /// Checks a license in, on the server when it is reachable.
    pub async fn checkin(&mut self, id: u64) -> Result<(), ClientError> {
        let Some(held) = self.held.remove(&id) else {
            let e = ErrorBody::new(Code::BAD_HANDLE, format!("no checkout {id}"));
            return Err(ClientError::Refused(e));
        };
        let Some(h) = held.server else {
            return Ok(());
        };
        match self.session.as_mut() {
            Some(session) => match session.checkin(h).await {
                Ok(()) | Err(ClientError::Refused(_)) => {}
                Err(_) => {
                    self.go_offline();
                    self.pending_checkins.push(h);
                }
            },
            None => self.pending_checkins.push(h),
        }
        Ok(())
    }

    /// The heartbeat: keeps the server session alive, or, in caching mode,
    /// tries to reach the server and reconcile.
    pub async fn heartbeat(&mut self) -> Option<Reconciled> {
        if let Some(session) = self.session.as_mut() {
            if session.heartbeat().await.is_ok() {
                self.last_contact = self.clock.now();
                return None;
            }
            self.go_offline();
        }
        self.reconcile().await.ok()
    }

    /// Back online: resume the server session if it still exists (else
    /// start a new one and check everything out again), then replay what
    /// happened meanwhile.
    async fn reconcile(&mut self) -> Result<Reconciled, ClientError> {
        let conn = connect(&self.targets).await?;
        let resumed = match self.session_id.clone() {
            Some((id, secret)) => ProductSession::resume(conn, id, secret, &self.host)
                .await
                .ok(),
            None => None,
        };
        let session = match resumed {
            Some(s) => s,
            None => {
                // The server reclaimed the old session and freed its licenses.
                self.pending_checkins.clear();
                for h in self.held.values_mut() {
                    h.server = None;
                }
                ProductSession::start(connect(&self.targets).await?, &self.host).await?
            }
        };
        self.session_id = Some((session.session, session.secret().clone()));
        self.session = Some(session);
        self.mode = Mode::Connected;
        let mut report = Reconciled::default();
        self.replay(&mut report).await;
        self.refresh_pools().await?;
        Ok(report)
    }

    async fn replay(&mut self, report: &mut Reconciled) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        for h in std::mem::take(&mut self.pending_checkins) {
            if session.checkin(h).await.is_ok() {
                report.checked_in += 1;
            }
        }
        for held in self.held.values_mut().filter(|h| h.server.is_none()) {
            let args = CheckoutArgs {
                feature: &held.feature,
                version: &held.version,
                user: &held.user,
                device: &held.device,
                display: &held.display,
                count: held.count,
            };
            match session.checkout(args).await {
                Ok(h) => {
                    held.server = Some(h);
                    report.checked_out += 1;
                }
                Err(ClientError::Refused(e)) => report.refused.push(e),
                Err(_) => return,
            }
        }
    }
}

/// Whether a pool of css date `pool` serves the version `asked`; a pool
/// whose date does not read as a version serves nothing.
fn serves(pool: &str, asked: &Version) -> bool {
    Version::parse(pool).is_ok_and(|v| v >= *asked)
}
