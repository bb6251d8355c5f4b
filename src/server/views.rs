//! The engine's state and history as the protocol shows them: the one
//! place where the engine's structs and events become the public types of
//! [`crate::protocol::status`] and [`crate::protocol::events`].
//! The reader builds them from its replica, so that a change inside the
//! engine is a compile error here, never a silent change on the wire.

use std::collections::{HashMap, HashSet};

use crate::engine::holders::HolderKey;
use crate::engine::request::{BurstEnd, GrantEvent};
use crate::engine::snapshot::{
    AssignmentKind, AssignmentView, CheckoutView, ConnectionView, DenialView, PoolView, SessionView,
};
use crate::engine::state::{BurstState, Checkout as EngineCheckout};
use crate::engine::{Engine, Event, LicenseModel, Snapshot};
use crate::license::pool::PoolKey;
use crate::protocol::events::{self, BurstEndReason, What};
use crate::protocol::status::{
    Assignment, Burst, Checkout, Connection, Denial, DenialCount, HeldBy, Holder, Model, Pool,
    PoolId, Session, Status, StatusQuery,
};

/// The whole state: `s`, taken of `engine`.
pub fn status(s: Snapshot, engine: &Engine) -> Status {
    let mut checkouts: Vec<Checkout> = all(s.checkouts);
    held(engine, &mut checkouts);
    Status {
        at: s.at,
        pools: all(s.pools),
        sessions: all(s.sessions),
        checkouts,
        assignments: all(s.assignments),
        connections: all(s.connections),
        denials: all(s.denials),
        denial_counts: Vec::new(),
        alerts: Vec::new(),
    }
}

/// The refusals' counts `query` asks for (one feature's or all).
pub fn denial_counts(engine: &Engine, query: &StatusQuery) -> Vec<DenialCount> {
    let counts = engine.denial_counts().iter();
    counts
        .filter(|(k, _)| query.wants_feature(&k.feature))
        .map(|(k, n)| DenialCount {
            feature: k.feature.clone(),
            version: k.version.clone(),
            code: k.code,
            count: *n,
        })
        .collect()
}

/// Fills in who holds each checkout's license and whether the checkout
/// only shares it: the first checkout of a holder stands for the
/// licenses the holder holds, the others share them. Under the models
/// counted by holders, the holder is the engine's (the device under
/// `DUP_GROUP=V`, the product server, or the checkout itself); under the
/// user/device family, the user or device of the cover, the user first
/// when both are in it.
fn held(engine: &Engine, checkouts: &mut [Checkout]) {
    let mut covers = Covers::default();
    for view in checkouts.iter_mut() {
        let Some(c) = engine.checkouts.get(&view.handle) else {
            continue;
        };
        if c.model.is_leased() {
            (view.held_by, view.licenses) = covers.holder(engine, c);
        } else {
            let dup = engine.dup_device(&c.pool);
            let key = HolderKey::of(c.model, dup, view.handle, c.feature(), &c.device, &c.host);
            view.licenses = engine
                .holders
                .get(key)
                .filter(|h| h.handles.as_slice().first() == Some(&view.handle))
                .map_or(0, |h| u64::from(h.units));
        }
        view.shared = view.licenses == 0;
    }
}

/// The user/device-family holders met so far while filling in checkouts.
#[derive(Default)]
struct Covers<'e> {
    /// Each feature's cover, read once: the users and devices holding a
    /// license.
    of: HashMap<&'e str, (HashSet<String>, HashSet<String>)>,
    /// Holders already standing for their license through a checkout.
    seen: HashSet<(&'e str, HeldBy)>,
}

impl<'e> Covers<'e> {
    /// Who holds the license of leased checkout `c`, and the licenses its
    /// line stands for: 1 for the holder's first checkout, else 0.
    fn holder(&mut self, engine: &'e Engine, c: &EngineCheckout) -> (Option<HeldBy>, u64) {
        let Some((feature, ud)) = engine.ud.get_key_value(c.feature()) else {
            return (None, 0);
        };
        let (users, devices) = self.of.entry(feature).or_insert_with(|| {
            let (u, d) = ud.holders();
            (u.into_iter().collect(), d.into_iter().collect())
        });
        // Counted names decide; the holder is named as assignments show it.
        let (kind, name) = if users.contains(&*c.user) {
            (Holder::User, ud.shown_user(&c.user))
        } else if devices.contains(&*c.device) {
            (Holder::Device, ud.shown_device(&c.device))
        } else {
            return (None, 0);
        };
        let by = HeldBy {
            kind,
            name: name.to_owned(),
        };
        let first = self.seen.insert((feature, by.clone()));
        (Some(by), u64::from(first))
    }
}

/// Converts every element.
/// Every setting as the protocol lists it: its value in `settings`, its
/// default and what it takes and does.
pub fn settings(settings: &crate::engine::Settings) -> crate::protocol::SettingsList {
    let defaults = crate::engine::Settings::default();
    let list = crate::engine::settings::ENTRIES
        .iter()
        .map(|e| crate::protocol::Setting {
            name: e.name.to_owned(),
            aliases: e.aliases.iter().map(|a| (*a).to_owned()).collect(),
            value: e.value(settings),
            default: e.value(&defaults),
            values: e.values.to_owned(),
            description: e.description.to_owned(),
            in_effect: e.in_effect,
        });
    crate::protocol::SettingsList {
        settings: list.collect(),
    }
}

pub fn all<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    items.into_iter().map(U::from).collect()
}

impl From<PoolKey> for PoolId {
    fn from(k: PoolKey) -> Self {
        PoolId {
            feature: k.feature,
            version: k.version.0.to_string(),
            expiry: k.expiry,
            license_type: k.license_type,
            vendor_string: k.vendor_string,
        }
    }
}

impl From<LicenseModel> for Model {
    fn from(m: LicenseModel) -> Self {
        match m {
            LicenseModel::StartUp => Model::StartUp,
            LicenseModel::Diagnostics => Model::Diagnostics,
            LicenseModel::Concurrent => Model::Concurrent,
            LicenseModel::UserDevice => Model::UserDevice,
            LicenseModel::PerUser => Model::PerUser,
            LicenseModel::PerDevice => Model::PerDevice,
            LicenseModel::PerSocket => Model::PerSocket,
            LicenseModel::NamedUser => Model::NamedUser,
            LicenseModel::Server => Model::Server,
        }
    }
}

impl From<BurstState> for Burst {
    fn from(b: BurstState) -> Self {
        match b {
            BurstState::Armed => Burst::Armed,
            BurstState::Active { started } => Burst::Active { started },
            BurstState::Spent => Burst::Spent,
        }
    }
}

impl From<PoolView> for Pool {
    fn from(p: PoolView) -> Self {
        Pool {
            key: p.key.into(),
            model: p.model.map(Model::from),
            purchased: p.purchased,
            overdraft: p.overdraft,
            installed: p.installed,
            in_use: p.in_use,
            overdraft_in_use: p.overdraft_in_use,
            expired: p.expired,
            removed: p.removed,
            burst: p.burst.into(),
        }
    }
}

impl From<SessionView> for Session {
    fn from(s: SessionView) -> Self {
        Session {
            session: s.session,
            host: s.host,
            started: s.started,
            last_seen: s.last_seen,
            lapsed_at: s.lapsed_at,
            checkouts: s.checkouts,
        }
    }
}

impl From<CheckoutView> for Checkout {
    fn from(c: CheckoutView) -> Self {
        Checkout {
            handle: c.handle,
            session: c.session,
            feature: c.feature,
            version: c.version,
            user: c.user,
            device: c.device,
            host: c.host,
            display: c.display,
            count: c.count,
            pool: c.pool.into(),
            at: c.at,
            shared: false,
            licenses: 0,
            held_by: None,
        }
    }
}

impl From<AssignmentKind> for Holder {
    fn from(k: AssignmentKind) -> Self {
        match k {
            AssignmentKind::User => Holder::User,
            AssignmentKind::Device => Holder::Device,
        }
    }
}

impl From<AssignmentView> for Assignment {
    fn from(a: AssignmentView) -> Self {
        Assignment {
            feature: a.feature,
            kind: a.kind.into(),
            name: a.name,
            version: a.version,
            last_use: a.last_use,
        }
    }
}

impl From<ConnectionView> for Connection {
    fn from(c: ConnectionView) -> Self {
        Connection {
            feature: c.feature,
            user: c.user,
            device: c.device,
            version: c.version,
            open: c.open,
            last_use: c.last_use,
        }
    }
}

impl From<DenialView> for Denial {
    fn from(d: DenialView) -> Self {
        Denial {
            at: d.at,
            feature: d.feature,
            version: d.version.to_string(),
            user: d.user,
            device: d.device,
            host: d.host,
            code: d.code,
            reason: d.reason,
        }
    }
}

/// A stored event as the protocol shows it; `None` for what is not part of
/// the public history (a heartbeat; a refusal, which `status` shows with
/// its counts).
pub fn event(seq: i64, e: Event) -> Option<events::Event> {
    let (at, what) = match e {
        Event::Denied(_) => return None,
        Event::TokenCreated(t) => (
            t.created,
            What::TokenCreated {
                id: t.id,
                name: t.name,
                account: t.account,
                expires: t.expires,
                by: Some(t.by),
            },
        ),
        Event::TokenRevoked { id, by, at } => (at, What::TokenRevoked { id, by: Some(by) }),
        Event::SessionStarted {
            session, host, at, ..
        } => (at, What::SessionStarted { session, host }),
        Event::SessionSeen { .. } => return None,
        Event::SessionLapsed { session, at } => (at, What::SessionLapsed { session }),
        Event::SessionEnded {
            session,
            at,
            reclaimed,
        } => (at, What::SessionEnded { session, reclaimed }),
        Event::Granted(g) => (g.at, What::Granted(Box::new(grant(*g)))),
        Event::CheckedIn { handle, at } => (at, What::CheckedIn { handle }),
        Event::LeaseExpired {
            feature,
            user,
            device,
            shown,
            at,
        } => {
            let (user, device) = shown.unwrap_or((user, device));
            (
                at,
                What::LeaseExpired {
                    feature,
                    user,
                    device,
                },
            )
        }
        Event::Released {
            feature,
            user,
            device,
            shown,
            at,
            by,
        } => {
            let (user, device) = shown.unwrap_or((user, device));
            (
                at,
                What::Released {
                    feature,
                    user,
                    device,
                    by,
                },
            )
        }
        Event::BurstStarted {
            feature,
            version,
            at,
        } => (
            at,
            What::BurstStarted {
                feature,
                version: version.0.to_string(),
            },
        ),
        Event::BurstEnded {
            feature,
            version,
            reason,
            at,
        } => (
            at,
            What::BurstEnded {
                feature,
                version: version.0.to_string(),
                reason: burst_end(reason),
            },
        ),
        Event::BurstRearmed { feature, at } => (at, What::BurstRearmed { feature }),
        Event::PoolsReplaced { pools, at, by } => (
            at,
            What::LicensesRead {
                pools: pools.len(),
                by,
            },
        ),
        Event::OptionsReplaced { at, .. } => (at, What::OptionsRead),
        Event::SettingsChanged {
            at, by, changes, ..
        } => {
            let changes = changes.into_iter().map(|(n, v)| format!("{n}={v}"));
            (
                at,
                What::SettingsChanged {
                    by,
                    changes: changes.collect(),
                },
            )
        }
        Event::AccountSet { name, role, at, by } => (
            at,
            What::AccountSet {
                name,
                role: role.as_str().to_owned(),
                by,
            },
        ),
        Event::AccountRemoved { name, at, by } => (at, What::AccountRemoved { name, by }),
        Event::ShutdownRequested { vendor, at, by } => (at, What::ShutdownRequested { vendor, by }),
        Event::LicenseInstalled {
            file,
            features,
            replaced,
            by,
            at,
        } => (
            at,
            What::LicenseInstalled {
                file,
                features,
                replaced,
                by: Some(by),
            },
        ),
    };
    Some(events::Event { seq, at, what })
}

/// A grant, with the user and device as the product sent them (older
/// events kept only the names as counted).
fn grant(g: GrantEvent) -> events::Grant {
    let (sent_user, sent_device) = g.sent;
    let or = |sent: String, counted: String| if sent.is_empty() { counted } else { sent };
    events::Grant {
        handle: g.handle,
        session: g.session,
        feature: g.feature,
        version: g.version.to_string(),
        user: or(sent_user, g.user),
        device: or(sent_device, g.device),
        host: g.host,
        display: g.display,
        count: g.count,
        model: g.model.into(),
        pool: g.pool.into(),
        burst: g.burst,
    }
}

fn burst_end(reason: BurstEnd) -> BurstEndReason {
    match reason {
        BurstEnd::Expired => BurstEndReason::Expired,
        BurstEnd::LicensesInstalled => BurstEndReason::LicensesInstalled,
        BurstEnd::Disabled => BurstEndReason::Disabled,
    }
}

/// An API token as the protocol shows it: never its digest.
pub fn token(t: &crate::engine::tokens::Token) -> crate::protocol::tokens::TokenInfo {
    crate::protocol::tokens::TokenInfo {
        id: t.id,
        name: t.name.clone(),
        account: t.account.clone(),
        created: t.created,
        expires: t.expires,
        created_by: t.by.clone(),
    }
}
