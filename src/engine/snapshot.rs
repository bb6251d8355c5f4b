//! An immutable view of the engine for readers (lmstat, udadmin, JSON).

use serde::{Deserialize, Serialize};

use super::request::{Handle, SessionId};
use super::state::{BurstState, Checkout, Engine};
use super::types::{LicenseModel, Time};
use crate::license::pool::PoolKey;

/// Everything a reader may show, at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub at: Time,
    pub pools: Vec<PoolView>,
    pub sessions: Vec<SessionView>,
    pub checkouts: Vec<CheckoutView>,
    pub assignments: Vec<AssignmentView>,
    /// Every user/device connection (the raw data behind the assignments).
    pub connections: Vec<ConnectionView>,
    /// The most recent refused checkouts, oldest first. Not part of the
    /// engine's state (a refusal changes nothing): the daemon keeps them.
    #[serde(default)]
    pub denials: Vec<DenialView>,
}

/// A refused checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenialView {
    pub at: Time,
    pub feature: String,
    /// The version the product asked for.
    pub version: crate::license::Version,
    pub user: String,
    pub device: String,
    pub host: String,
    /// The FlexNet error number.
    pub code: crate::flexnet::Code,
    pub reason: String,
}

/// One user/device connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionView {
    pub feature: String,
    /// The user and device as first sent (see `docs/json.md`).
    pub user: String,
    pub device: String,
    /// The highest version requested over it.
    pub version: String,
    /// Open sessions on it now.
    pub open: u32,
    pub last_use: Time,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolView {
    #[serde(flatten)]
    pub key: PoolKey,
    /// `null` when the feature name's model is not known.
    pub model: Option<LicenseModel>,
    pub purchased: u64,
    pub overdraft: u64,
    pub installed: u64,
    pub in_use: u64,
    /// Licenses in use beyond the purchased count.
    pub overdraft_in_use: u64,
    pub expired: bool,
    /// Removed by a reread while still holding licenses.
    pub removed: bool,
    pub burst: BurstState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub session: SessionId,
    pub host: String,
    pub started: Time,
    pub last_seen: Time,
    pub lapsed_at: Option<Time>,
    pub checkouts: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutView {
    pub handle: Handle,
    pub session: SessionId,
    pub feature: String,
    /// The version the product asked for.
    pub version: String,
    /// The user and device as shown: under the user/device family the
    /// names of the connection's holders as first sent (the same on every
    /// checkout of one user), else as this checkout's product sent them.
    pub user: String,
    pub device: String,
    pub host: String,
    pub display: String,
    pub count: u32,
    pub pool: PoolKey,
    pub at: Time,
}

/// Who holds a user/device-family license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentView {
    pub feature: String,
    #[serde(rename = "type")]
    pub kind: AssignmentKind,
    /// The user or device as first sent (see `docs/json.md`).
    pub name: String,
    /// The css date of the license it holds: the oldest pool that serves
    /// every version its connections asked for.
    pub version: String,
    /// Last use of any of its connections.
    pub last_use: Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentKind {
    User,
    Device,
}

/// What a reader asks of the state: which parts, of which feature. Only
/// those are built; the others are left empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Select<'a> {
    /// Only this feature's pools, checkouts, assignments and connections
    /// (product sessions belong to no feature: they are given whole).
    pub feature: Option<&'a str>,
    pub pools: bool,
    pub sessions: bool,
    pub checkouts: bool,
    pub assignments: bool,
    pub connections: bool,
}

impl Select<'_> {
    /// Every part of every feature.
    pub const ALL: Select<'static> = Select {
        feature: None,
        pools: true,
        sessions: true,
        checkouts: true,
        assignments: true,
        connections: true,
    };

    fn wants(&self, feature: &str) -> bool {
        self.feature.is_none_or(|f| f == feature)
    }
}

/// A part of a snapshot: built if `wanted`, else empty.
fn part<T>(wanted: bool, build: impl FnOnce() -> Vec<T>) -> Vec<T> {
    if wanted { build() } else { Vec::new() }
}

impl Engine {
    /// The state as readers see it at `now`.
    pub fn snapshot(&self, now: Time) -> Snapshot {
        self.select(now, &Select::ALL)
    }

    /// What `what` asks of the state as readers see it at `now`: a
    /// feature's checkouts are found without building anyone else's.
    pub fn select(&self, now: Time, what: &Select<'_>) -> Snapshot {
        assert!(
            !self.deferred,
            "a recovering engine is settled before it is read"
        );
        Snapshot {
            at: now,
            pools: part(what.pools, || self.pools_of(now, what.feature)),
            sessions: part(what.sessions, || self.session_views()),
            checkouts: part(what.checkouts, || self.checkout_views(what)),
            assignments: part(what.assignments, || self.assignment_views(now, what)),
            connections: part(what.connections, || self.connection_views(what)),
            denials: Vec::new(),
        }
    }

    /// Licenses in use per pool. For the user/device family the feature's
    /// optimum fills its pools in serving order, the excess (burst) going
    /// to the last one.
    pub fn pool_views(&self, now: Time) -> Vec<PoolView> {
        self.pools_of(now, None)
    }

    /// [`Engine::pool_views`], of one feature or all.
    fn pools_of(&self, now: Time, feature: Option<&str>) -> Vec<PoolView> {
        let wanted = |f: &str| feature.is_none_or(|want| want == f);
        let mut views: Vec<PoolView> = self
            .pools
            .iter()
            .filter(|(key, _)| wanted(&key.feature))
            // A pool waiting for its START is not served yet.
            .filter(|(_, p)| !p.is_pending(now) || p.held > 0)
            .map(|(key, p)| PoolView {
                key: key.clone(),
                model: p.model,
                purchased: p.purchased(now),
                overdraft: p.overdraft(now),
                installed: p.installed(now),
                in_use: p.held + self.startup_held(p.model),
                overdraft_in_use: 0,
                expired: p.spec.is_some() && !p.is_live(now),
                removed: p.spec.is_none(),
                burst: self.burst_state(key),
            })
            .collect();
        for (feature, ud) in self.ud.iter().filter(|(f, _)| wanted(f)) {
            if let Some((_, keys, placed)) = self.placed_at_dates(now, feature, ud) {
                // Several css dates: each pool counts the holders placed in it.
                for v in views.iter_mut().filter(|v| &v.key.feature == feature) {
                    let at = keys.iter().position(|k| *k == v.key);
                    v.in_use = at.map_or(0, |i| placed.counts[i]);
                }
                continue;
            }
            let mut left = ud.in_use();
            let mut mine: Vec<&mut PoolView> = views
                .iter_mut()
                .filter(|v| &v.key.feature == feature)
                .collect();
            let n = mine.len();
            for (i, v) in mine.iter_mut().enumerate() {
                let take = if i + 1 == n {
                    left
                } else {
                    left.min(v.installed)
                };
                v.in_use = take;
                left -= take;
            }
        }
        for v in &mut views {
            v.overdraft_in_use = v.in_use.saturating_sub(v.purchased).min(v.overdraft);
        }
        views
    }

    /// Start-up licenses held by product sessions: each session holds one
    /// (not through a checkout), counted in the start-up pool as lmstat
    /// lists them and the debug log logs them.
    fn startup_held(&self, model: Option<LicenseModel>) -> u64 {
        if model == Some(LicenseModel::StartUp) {
            self.sessions.len() as u64
        } else {
            0
        }
    }

    fn session_views(&self) -> Vec<SessionView> {
        self.sessions
            .iter()
            .map(|(id, s)| SessionView {
                session: *id,
                host: s.host.to_string(),
                started: s.started,
                last_seen: s.last_seen,
                lapsed_at: s.lapsed_at,
                checkouts: s.handles.len(),
            })
            .collect()
    }

    fn checkout_views(&self, what: &Select<'_>) -> Vec<CheckoutView> {
        self.checkouts
            .iter()
            .filter(|(_, c)| what.wants(c.feature()))
            .map(|(h, c)| {
                let (user, device) = self.shown_names(c);
                (h, c, user.to_owned(), device.to_owned())
            })
            .map(|(h, c, user, device)| CheckoutView {
                handle: *h,
                session: c.session,
                feature: c.feature().to_owned(),
                version: c.version.to_string(),
                user,
                device,
                host: c.host.to_string(),
                display: c.display().to_owned(),
                count: c.count,
                pool: PoolKey::clone(&c.pool),
                at: c.at,
            })
            .collect()
    }

    /// A checkout's user and device as shown (see [`CheckoutView`]).
    fn shown_names<'a>(&'a self, c: &'a Checkout) -> (&'a str, &'a str) {
        let connection = if c.model.is_leased() {
            self.ud
                .get(c.feature())
                .and_then(|f| f.shown_of(c.connection))
        } else {
            None
        };
        connection.unwrap_or((c.sent_user(), c.sent_device()))
    }

    fn connection_views(&self, what: &Select<'_>) -> Vec<ConnectionView> {
        self.ud
            .iter()
            .filter(|(feature, _)| what.wants(feature))
            .flat_map(|(feature, ud)| {
                ud.shown_connections().map(move |(u, d, c)| ConnectionView {
                    feature: feature.clone(),
                    user: u.to_owned(),
                    device: d.to_owned(),
                    version: c.version.to_string(),
                    open: c.open,
                    last_use: c.last_use,
                })
            })
            .collect()
    }

    /// The css date of the oldest pool of `feature` that serves `asked`
    /// (or the newest pool when none does, e.g. after a reread).
    fn license_version(&self, feature: &str, asked: &crate::license::Version) -> String {
        let mut versions: Vec<&crate::license::Version> = self
            .pools
            .keys()
            .filter(|k| k.feature == feature)
            .map(|k| &k.version.0)
            .collect();
        versions.sort();
        versions
            .iter()
            .find(|v| **v >= asked)
            .or(versions.last())
            .map_or_else(|| asked.to_string(), ToString::to_string)
    }

    /// Who holds each license, and the css date of the pool it is counted
    /// against: at several dates, the pool it is placed in (see
    /// `versions.rs`); else the oldest pool that serves it.
    fn assignment_views(&self, now: Time, what: &Select<'_>) -> Vec<AssignmentView> {
        let mut out = Vec::new();
        for (feature, ud) in self.ud.iter().filter(|(f, _)| what.wants(f)) {
            let placed = self.placed_at_dates(now, feature, ud);
            let needs = match &placed {
                Some((needs, ..)) => needs.clone(),
                None => ud.needs(),
            };
            for (i, need) in needs.into_iter().enumerate() {
                let version = match &placed {
                    Some((_, keys, p)) => keys[p.pool_of[i]].version.0.to_string(),
                    None => self.license_version(feature, &need.version),
                };
                let name = match need.kind {
                    AssignmentKind::User => ud.shown_user(&need.name),
                    AssignmentKind::Device => ud.shown_device(&need.name),
                };
                out.push(AssignmentView {
                    feature: feature.clone(),
                    kind: need.kind,
                    name: name.to_owned(),
                    version,
                    last_use: need.last_use,
                });
            }
        }
        out
    }
}
