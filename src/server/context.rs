//! What every session and handler reads: the engine, the configuration, the
//! debug log, the vendor daemon's state, and the license files as last read.
//! A leaf below the handlers: it knows nothing of requests or sockets.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::{Notify, watch};

use super::config::Config;
use super::debuglog::{DebugLog, say};
use super::licenses::Reading;
use super::owner::EngineHandle;
use crate::engine::request::SessionId;

/// Shared by every connection; cloning is cheap.
#[derive(Clone)]
pub struct Context {
    pub engine: EngineHandle,
    pub config: Arc<Config>,
    pub log: Arc<Mutex<DebugLog>>,
    /// Notified to stop the whole server (`lmdown`).
    pub stop: Arc<Notify>,
    pub vendor: Arc<Vendor>,
    /// The account lmgrd runs as: an admin.
    pub owner_uid: u32,
    /// This host's name, read once at start.
    pub host: Arc<str>,
    /// The TCP ports in use (as bound, when 0 was asked).
    pub ports: (u16, u16),
    /// The license directory as the last (re)read found it.
    licenses: Arc<RwLock<Arc<Reading>>>,
    /// True once the server drains: sessions finish the request in hand
    /// and close.
    pub draining: watch::Receiver<bool>,
    /// Which connection owns each product session.
    pub owners: Arc<Owners>,
    /// The HTTPS port, as bound.
    pub http_port: u16,
    /// Browser logins and sessions, and failed web authentications.
    pub logins: Arc<super::logins::Logins>,
}

/// Which connection owns each product session: the one that started it,
/// or the last one that took it over with `reconnect`. A connection the
/// session was taken from may no longer act on it, and its end (a
/// half-open connection timing out long after the product reconnected)
/// does not lapse a session another connection now owns.
#[derive(Debug, Default)]
pub struct Owners {
    /// The last connection number given.
    last: AtomicU64,
    owner: Mutex<HashMap<SessionId, u64>>,
}

impl Owners {
    /// A number for a new connection, never 0 and never given twice.
    pub fn connection(&self) -> u64 {
        self.last.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, u64>> {
        self.owner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `conn` owns `session` from now on.
    pub fn take(&self, session: SessionId, conn: u64) {
        self.map().insert(session, conn);
    }

    /// Whether `conn` owns `session`.
    pub fn owns(&self, session: SessionId, conn: u64) -> bool {
        self.map().get(&session) == Some(&conn)
    }

    /// `conn` lets go of `session`; true when it owned it.
    pub fn release(&self, session: SessionId, conn: u64) -> bool {
        let mut map = self.map();
        if map.get(&session) == Some(&conn) {
            map.remove(&session);
            true
        } else {
            false
        }
    }
}

/// The CITRIX vendor daemon: up, or stopped by `lmdown -vendor`.
pub struct Vendor {
    up: AtomicBool,
    /// Notified when `up` changes: the vendor port is closed while the
    /// vendor daemon is stopped and opened again when it restarts.
    pub changed: Notify,
    /// Whether the vendor port is listening, as its task last set it.
    pub listening: watch::Receiver<bool>,
}

impl Vendor {
    /// A vendor daemon that is up; its port's task sets `listening`.
    pub fn new(listening: watch::Receiver<bool>) -> Self {
        Vendor {
            up: AtomicBool::new(true),
            changed: Notify::new(),
            listening,
        }
    }

    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::SeqCst)
    }

    /// Sets the state; says whether it changed (and then tells the port).
    pub fn set_up(&self, up: bool) -> bool {
        let changed = self.up.swap(up, Ordering::SeqCst) != up;
        if changed {
            self.changed.notify_one();
        }
        changed
    }

    /// Waits (briefly) until the vendor port is open or closed as asked,
    /// so that the answer to lmdown or lmreread comes after it changed.
    pub async fn port_settled(&self, listening: bool) {
        let mut rx = self.listening.clone();
        let settled = rx.wait_for(|l| *l == listening);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), settled).await;
    }
}

/// What [`Context::new`] is made of, by name.
pub struct Parts {
    pub engine: EngineHandle,
    pub config: Arc<Config>,
    pub log: Arc<Mutex<DebugLog>>,
    pub vendor_listening: watch::Receiver<bool>,
    pub host: String,
    pub ports: (u16, u16),
    pub http_port: u16,
    pub licenses: Arc<Reading>,
    pub draining: watch::Receiver<bool>,
}

impl Context {
    pub fn new(p: Parts) -> Self {
        Context {
            engine: p.engine,
            config: p.config,
            log: p.log,
            stop: Arc::new(Notify::new()),
            vendor: Arc::new(Vendor::new(p.vendor_listening)),
            owner_uid: nix::unistd::geteuid().as_raw(),
            host: p.host.into(),
            ports: p.ports,
            licenses: Arc::new(RwLock::new(p.licenses)),
            draining: p.draining,
            owners: Arc::new(Owners::default()),
            http_port: p.http_port,
            logins: Arc::default(),
        }
    }

    /// The license directory as last read.
    pub fn licenses(&self) -> Arc<Reading> {
        self.licenses
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Keeps what a reread found.
    pub fn set_licenses(&self, reading: Arc<Reading>) {
        *self.licenses.write().unwrap_or_else(|e| e.into_inner()) = reading;
    }

    /// A line in the debug log and on standard output, written off the
    /// runtime (a slow disk holds up no connection but this one).
    pub async fn say(&self, daemon: &'static str, message: String) {
        let log = self.log.clone();
        let written = tokio::task::spawn_blocking(move || say(&log, daemon, &message));
        // Only a panic inside the write ends it early; the line is lost.
        let _ = written.await;
    }
}
