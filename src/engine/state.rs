//! The engine's state and the one function that changes it, [`Engine::apply`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::denials::{DenialKey, Denials};
use super::holders::{HolderKey, Holders};
use super::peak::{Peak, period_of};
use super::request::{AccountRole, BurstEnd, Event, GrantEvent, Handle, Secret, SessionId};
use super::snapshot::DenialView;
use super::tokens::Tokens;
use super::types::{LicenseModel, PoolSpec, Refused, Settings, Time, day_of};
use super::ud::{OpenSession, UdFeature};
use crate::license::Version;
use crate::license::pool::{PoolKey, VersionKey};

/// A pool and its use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolState {
    /// Its key, shared by the checkouts and holders it serves.
    pub key: Arc<PoolKey>,
    /// `None` once a reread removed the pool while checkouts still held it.
    pub spec: Option<PoolSpec>,
    pub model: Option<LicenseModel>,
    /// Licenses held, for models counted by holders (not the user/device family).
    pub held: u64,
    /// The most held within the usage history's sampling period (see
    /// [`Peak`]); user/device features keep theirs in [`UdFeature`].
    pub peak: Peak,
}

impl PoolState {
    /// Licenses purchased at `now`: those whose START has come.
    pub fn purchased(&self, now: Time) -> u64 {
        self.spec.as_ref().map_or(0, |s| s.count_on(day_of(now)))
    }

    pub fn overdraft(&self, now: Time) -> u64 {
        self.model.map_or(0, |m| m.overdraft(self.purchased(now)))
    }

    /// Purchased plus overdraft.
    pub fn installed(&self, now: Time) -> u64 {
        self.purchased(now) + self.overdraft(now)
    }

    /// Whether it grants new checkouts at `now`: not expired, and begun.
    pub fn is_live(&self, now: Time) -> bool {
        let day = day_of(now);
        self.spec
            .as_ref()
            .is_some_and(|s| s.expiry.is_valid_on(day) && s.has_started(day))
    }

    /// Whether it waits for its START date at `now`.
    pub fn is_pending(&self, now: Time) -> bool {
        self.spec
            .as_ref()
            .is_some_and(|s| !s.has_started(day_of(now)))
    }
}

/// A product session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The product server, shared with the checkouts it sends.
    pub host: Arc<str>,
    pub started: Time,
    pub last_seen: Time,
    pub lapsed_at: Option<Time>,
    pub handles: BTreeSet<Handle>,
    /// What a reconnect must present.
    pub secret: Secret,
}

/// One checkout.
///
/// A million may be held, so it is kept small: the feature is its pool's,
/// the host its session's and the device its holder's (shared, not
/// copied), and what most checkouts lack is boxed apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub session: SessionId,
    pub version: Version,
    /// The user as counted.
    pub user: Box<str>,
    /// The device as counted.
    pub device: Arc<str>,
    pub host: Arc<str>,
    pub count: u32,
    pub model: LicenseModel,
    pub pool: Arc<PoolKey>,
    pub at: Time,
    unusual: Option<Box<Unusual>>,
    /// Under the leased (user/device) models, the connection's key in its
    /// feature's [`UdFeature`]: a checkin finds it without looking its
    /// names up again. Unused, (0, 0), under the other models: no `Option`,
    /// which would take a checkout past 128 bytes.
    pub(crate) connection: (u32, u32),
}

/// What a checkout seldom has.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Unusual {
    /// The feature as granted, when not its pool's.
    feature: Option<Box<str>>,
    /// User and device as the product sent them, when not the same as
    /// counted (empty then).
    sent: (Box<str>, Box<str>),
    display: Box<str>,
}

impl Unusual {
    /// What of a grant a checkout keeps apart: `None` for the usual one.
    fn of(g: &GrantEvent, pool: &PoolKey) -> Option<Box<Unusual>> {
        // Names as sent are kept only where they differ from the counted ones.
        let as_sent = |sent: &String, counted: &String| -> Box<str> {
            if sent == counted { "" } else { sent }.into()
        };
        let unusual = Unusual {
            feature: (g.feature != pool.feature).then(|| g.feature.as_str().into()),
            sent: (as_sent(&g.sent.0, &g.user), as_sent(&g.sent.1, &g.device)),
            display: g.display.as_str().into(),
        };
        (!unusual.is_usual()).then(|| Box::new(unusual))
    }

    /// Whether it holds nothing a checkout does not nearly always have.
    fn is_usual(&self) -> bool {
        self.feature.is_none()
            && self.sent.0.is_empty()
            && self.sent.1.is_empty()
            && self.display.is_empty()
    }
}

/// A name as sent, or the counted one where the product's was not kept
/// (grants stored before names as sent were).
fn or_counted<'a>(sent: &'a str, counted: &'a str) -> &'a str {
    if sent.is_empty() { counted } else { sent }
}

impl Checkout {
    /// Counts the checkout's user and device as `user` and `device` (the
    /// name settings changed), keeping the names as sent.
    pub(crate) fn set_counted(&mut self, user: &str, device: &str) {
        let sent_user: Box<str> = self.sent_user().into();
        let sent_device: Box<str> = self.sent_device().into();
        let feature = self.unusual.as_mut().and_then(|u| u.feature.take());
        let display = self
            .unusual
            .as_mut()
            .map_or_else(Box::default, |u| std::mem::take(&mut u.display));
        let as_sent = |sent: Box<str>, counted: &str| -> Box<str> {
            if *sent == *counted { "".into() } else { sent }
        };
        let unusual = Unusual {
            feature,
            sent: (as_sent(sent_user, user), as_sent(sent_device, device)),
            display,
        };
        self.unusual = (!unusual.is_usual()).then(|| Box::new(unusual));
        self.user = user.into();
        self.device = device.into();
    }

    /// The feature as granted: nearly always its pool's.
    pub fn feature(&self) -> &str {
        self.unusual
            .as_ref()
            .and_then(|u| u.feature.as_deref())
            .unwrap_or(&self.pool.feature)
    }

    /// The user as the product sent it.
    pub fn sent_user(&self) -> &str {
        match &self.unusual {
            Some(u) if !u.sent.0.is_empty() => &u.sent.0,
            _ => &self.user,
        }
    }

    /// The device as the product sent it.
    pub fn sent_device(&self) -> &str {
        match &self.unusual {
            Some(u) if !u.sent.1.is_empty() => &u.sent.1,
            _ => &self.device,
        }
    }

    pub fn display(&self) -> &str {
        self.unusual.as_ref().map_or("", |u| &u.display)
    }
}

/// Burst mode of one product version and edition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BurstState {
    Armed,
    Active { started: Time },
    Spent,
}

/// The whole licensing state.
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) settings: Settings,
    pub(crate) pools: BTreeMap<PoolKey, PoolState>,
    /// Features none of whose lines may serve, and why.
    pub(crate) refused: BTreeMap<String, Refused>,
    pub(crate) sessions: BTreeMap<SessionId, Session>,
    /// Boxed: a tree node then holds eleven pointers, not eleven checkouts.
    pub(crate) checkouts: BTreeMap<Handle, Box<Checkout>>,
    /// Who holds the licenses of the models counted by holders.
    pub(crate) holders: Holders,
    pub(crate) ud: BTreeMap<String, UdFeature>,
    pub(crate) bursts: BTreeMap<(String, VersionKey), BurstState>,
    pub(crate) next_session: SessionId,
    pub(crate) next_handle: Handle,
    /// Accounts and groups with a role, names exactly as given.
    pub(crate) accounts: BTreeMap<String, AccountRole>,
    pub(crate) options: crate::options::Options,
    /// Set while a recovery replays the events: user/device optima are
    /// computed once at its end ([`Engine::settle`]), not at every event.
    pub(crate) deferred: bool,
    /// Nothing of time's rules can fall due before this time (see
    /// `time.rs`); `Time::MIN` when it is to be worked out.
    pub(crate) next_due: Time,
    /// The options file's shortest TIMEOUT, if it has any.
    pub(crate) shortest_timeout: Option<Time>,
    /// The time of the latest event applied.
    pub(crate) last_at: Time,
    /// A recovery stops deferring the user/device optima at the first
    /// event from this time on, so that the peaks of the periods the usage
    /// history has not recorded yet are exact (see [`Engine::exact_from`]).
    pub(crate) exact_from: Time,
    /// Refused checkouts: their counts and the most recent ones.
    pub(crate) denials: Denials,
    /// API tokens (their digests).
    pub(crate) tokens: Tokens,
}

impl Default for Engine {
    fn default() -> Self {
        let mut engine = Engine {
            settings: Settings::default(),
            pools: BTreeMap::new(),
            refused: BTreeMap::new(),
            sessions: BTreeMap::new(),
            checkouts: BTreeMap::new(),
            holders: Holders::default(),
            ud: BTreeMap::new(),
            bursts: BTreeMap::new(),
            next_session: 1,
            next_handle: 1,
            accounts: BTreeMap::new(),
            options: crate::options::Options::default(),
            deferred: false,
            next_due: Time::MIN,
            shortest_timeout: None,
            last_at: Time::MIN,
            exact_from: Time::MAX,
            denials: Denials::default(),
            tokens: Tokens::default(),
        };
        engine.replace_pools(Vec::new());
        engine
    }
}

impl Engine {
    /// Rebuilds the state from its persisted events.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut engine = Engine::recovering();
        for e in events {
            engine.apply(e);
        }
        engine.settle();
        engine
    }

    /// An empty engine for a recovery: events are applied to it as they are
    /// read, then [`Engine::settle`] computes what was left for the end
    /// (the user/device optima, one pass each instead of a search for each
    /// connection). Nothing is decided until then.
    pub fn recovering() -> Self {
        Engine {
            deferred: true,
            ..Engine::default()
        }
    }

    /// Ends a recovery begun with [`Engine::recovering`].
    pub fn settle(&mut self) {
        // The last event's period was not followed: known from the next.
        let known = self.period(self.last_at).saturating_add(1);
        self.settle_at(self.last_at, known);
    }

    /// Settles the user/device optima; their peaks start at `at`'s
    /// sampling period and are known from the period `known` on, as
    /// nothing before was followed.
    fn settle_at(&mut self, at: Time, known: i64) {
        if std::mem::take(&mut self.deferred) {
            let period = self.period(at);
            for feature in self.ud.values_mut() {
                feature.settle();
                feature.peak = Peak::starting_known(period, feature.in_use(), known);
            }
        }
    }

    /// A recovery from now on follows the user/device optima at every event
    /// from `at` on (until then it computes them once, at its end): the
    /// peaks of the sampling periods from `at` on are then exact.
    pub fn exact_from(&mut self, at: Time) {
        self.exact_from = at;
    }

    /// The options file in force.
    pub fn options(&self) -> &crate::options::Options {
        &self.options
    }

    /// Accounts and groups with a role.
    pub fn accounts(&self) -> &BTreeMap<String, AccountRole> {
        &self.accounts
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The API tokens.
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// The refusals of the usage history's sampling period `period`, by
    /// feature and FlexNet number (see [`Denials::in_period`]).
    pub fn denials_in_period(&self, period: i64) -> Option<&super::denials::PeriodCounts> {
        self.denials.in_period(period)
    }

    /// Refusals since the state began, by feature, version and number.
    pub fn denial_counts(&self) -> &BTreeMap<DenialKey, u64> {
        self.denials.counts()
    }

    /// The most recent refusals (up to [`denials::RECENT`](super::denials::RECENT)), oldest first.
    pub fn recent_denials(&self) -> impl Iterator<Item = &DenialView> {
        self.denials.recent()
    }

    /// Applies one event. The only code that changes the state.
    pub fn apply(&mut self, event: &Event) {
        let at = event.at();
        if self.deferred && at >= self.exact_from {
            // The first period that began at or after `exact_from`.
            let length = self.settings.history_sample.max(1);
            let known = self.period(self.exact_from.saturating_add(length - 1));
            self.settle_at(at, known);
        }
        self.last_at = self.last_at.max(at);
        match event {
            Event::SessionStarted {
                session,
                host,
                secret,
                at,
            } => {
                self.sessions.insert(
                    *session,
                    Session {
                        host: host.as_str().into(),
                        started: *at,
                        last_seen: *at,
                        lapsed_at: None,
                        handles: BTreeSet::new(),
                        secret: secret.clone(),
                    },
                );
                self.next_session = self.next_session.max(session + 1);
                self.due_by(at.saturating_add(self.settings.heartbeat_timeout));
            }
            Event::SessionSeen { session, at } => {
                if let Some(s) = self.sessions.get_mut(session) {
                    s.last_seen = *at;
                    s.lapsed_at = None;
                    let busy = !s.handles.is_empty();
                    self.due_by(at.saturating_add(self.settings.heartbeat_timeout));
                    if busy && let Some(t) = self.shortest_timeout {
                        self.due_by(at.saturating_add(t));
                    }
                }
            }
            Event::SessionLapsed { session, at } => {
                if let Some(s) = self.sessions.get_mut(session) {
                    s.lapsed_at = Some(*at);
                    self.due_by(at.saturating_add(self.settings.reconnect_window));
                }
            }
            Event::SessionEnded { session, at, .. } => {
                let handles = self
                    .sessions
                    .remove(session)
                    .map(|s| s.handles)
                    .unwrap_or_default();
                for h in handles {
                    self.check_in(h, *at);
                }
            }
            Event::Granted(g) => self.apply_grant(g),
            Event::CheckedIn { handle, at } => self.check_in(*handle, *at),
            Event::LeaseExpired {
                feature,
                user,
                device,
                at,
                ..
            } => {
                let period = self.period(*at);
                if let Some(f) = self.ud.get_mut(feature) {
                    ud_change(f, period, |f| f.remove(user, device));
                }
            }
            Event::Released {
                feature,
                user,
                device,
                at,
                ..
            } => {
                let period = self.period(*at);
                if let Some(f) = self.ud.get_mut(feature) {
                    ud_change(f, period, |f| f.release(user, device));
                }
            }
            Event::BurstStarted {
                feature,
                version,
                at,
            } => {
                self.bursts.insert(
                    (feature.clone(), version.clone()),
                    BurstState::Active { started: *at },
                );
                self.due_by(at.saturating_add(self.settings.burst_length));
            }
            Event::BurstEnded {
                feature,
                version,
                reason,
                ..
            } => {
                let next = match reason {
                    BurstEnd::LicensesInstalled => BurstState::Armed,
                    BurstEnd::Expired | BurstEnd::Disabled => BurstState::Spent,
                };
                self.bursts.insert((feature.clone(), version.clone()), next);
            }
            Event::BurstRearmed { feature, .. } => {
                for ((f, _), state) in self.bursts.iter_mut() {
                    if f == feature {
                        *state = BurstState::Armed;
                    }
                }
            }
            Event::PoolsReplaced { pools, .. } => self.replace_pools(pools.clone()),
            Event::SettingsChanged { settings, at, .. } => {
                let rekey = self.settings.names_differ(settings);
                let resample = self.settings.history_sample != settings.history_sample;
                self.settings = settings.clone();
                self.next_due = Time::MIN;
                if resample {
                    self.restart_peaks(*at);
                }
                if rekey {
                    self.rekey_names(*at);
                }
            }
            Event::OptionsReplaced { options, .. } => {
                self.options = options.clone();
                self.shortest_timeout = options.timeouts().map(|t| t as i64).min();
                self.next_due = Time::MIN;
            }
            Event::AccountSet { name, role, .. } => {
                self.accounts.insert(name.clone(), *role);
            }
            Event::AccountRemoved { name, .. } => {
                self.accounts.remove(name);
            }
            Event::ShutdownRequested { .. } | Event::LicenseInstalled { .. } => {}
            Event::Denied(d) => {
                let period = period_of(d.at, self.settings.history_sample);
                self.denials.record(d, period);
            }
            Event::TokenCreated(t) => self.tokens.insert((**t).clone()),
            Event::TokenRevoked { id, .. } => {
                self.tokens.remove(*id);
            }
        }
    }

    fn apply_grant(&mut self, g: &GrantEvent) {
        let GrantEvent {
            handle,
            session,
            feature,
            version,
            user,
            device,
            host,
            count,
            model,
            pool,
            at,
            ..
        } = g;
        let pool = self.shared_key(pool);
        let host = match self.sessions.get_mut(session) {
            Some(s) => {
                s.handles.insert(*handle);
                if let Some(t) = self.shortest_timeout {
                    // `next_due` is a plain field beside the session: no borrow clash.
                    self.next_due = self.next_due.min(s.last_seen.saturating_add(t));
                }
                if *s.host == **host {
                    s.host.clone()
                } else {
                    host.as_str().into()
                }
            }
            None => host.as_str().into(),
        };
        let mut checkout = Box::new(Checkout {
            session: *session,
            version: version.clone(),
            user: user.as_str().into(),
            device: device.as_str().into(),
            host,
            count: *count,
            model: *model,
            unusual: Unusual::of(g, &pool),
            pool,
            at: *at,
            connection: (0, 0),
        });
        self.next_handle = self.next_handle.max(handle + 1);
        if model.is_leased() {
            if !self.ud.contains_key(feature) {
                let mut f = UdFeature::new(*model);
                if self.deferred {
                    f.defer();
                }
                self.ud.insert(feature.clone(), f);
            }
            let period = self.period(*at);
            let f = self.ud.get_mut(feature).expect("inserted above");
            let sent = (or_counted(&g.sent.0, user), or_counted(&g.sent.1, device));
            checkout.connection = ud_change(f, period, |f| {
                f.open_sent((user, device), sent, version, *at)
            });
        } else {
            let dup = self.dup_device(&checkout.pool);
            self.hold(*handle, dup, &mut checkout, *at);
        }
        self.checkouts.insert(*handle, checkout);
    }

    /// Counts every holder anew after a change of the name settings: each
    /// checkout's names as the product sent them are counted under the new
    /// settings, user/device connections are rebuilt (see
    /// [`UdFeature::rekeyed`]) and the holders of the other models attached
    /// again, in the order they were granted.
    fn rekey_names(&mut self, at: Time) {
        let settings = self.settings.clone();
        let period = self.period(at);
        // Into the change's period first: the holders are counted again
        // from zero below, and the period starts with the use before.
        for p in self.pools.values_mut() {
            p.peak.change(period, p.held, p.held);
        }
        for c in self.checkouts.values_mut() {
            let sent = (c.sent_user().to_owned(), c.sent_device().to_owned());
            c.set_counted(&settings.user_name(&sent.0), &settings.device_name(&sent.1));
        }
        let mut leased: BTreeMap<String, Vec<Handle>> = BTreeMap::new();
        for (h, c) in &self.checkouts {
            if c.model.is_leased() {
                leased.entry(c.feature().to_owned()).or_default().push(*h);
            }
        }
        for (feature, f) in self.ud.iter_mut() {
            let handles = leased.remove(feature).unwrap_or_default();
            let open: Vec<OpenSession<'_>> = handles
                .iter()
                .filter_map(|h| self.checkouts.get(h))
                .map(|c| OpenSession {
                    connection: c.connection,
                    sent: (c.sent_user(), c.sent_device()),
                    version: &c.version,
                    at: c.at,
                })
                .collect();
            let (mut next, keys) = f.rekeyed(&settings, &open, self.deferred);
            next.peak = f.peak;
            if !self.deferred {
                let before = f.in_use();
                next.peak.change(period, before, next.in_use());
            }
            *f = next;
            for (h, k) in handles.iter().zip(keys) {
                if let Some(c) = self.checkouts.get_mut(h) {
                    c.connection = k;
                }
            }
        }
        self.holders = Holders::default();
        for p in self.pools.values_mut() {
            p.held = 0;
        }
        let mut checkouts = std::mem::take(&mut self.checkouts);
        for (h, c) in checkouts.iter_mut().filter(|(_, c)| !c.model.is_leased()) {
            let dup = self.dup_device(&c.pool);
            self.hold(*h, dup, c, at);
        }
        self.checkouts = checkouts;
    }

    /// The pool's shared key, or a new one for a pool no longer installed.
    fn shared_key(&self, pool: &PoolKey) -> Arc<PoolKey> {
        self.pools
            .get(pool)
            .map_or_else(|| Arc::new(pool.clone()), |p| p.key.clone())
    }

    /// Attaches a checkout to its holder, moving the holder to the
    /// checkout's pool when that is a newer one. A checkout of a device
    /// that already holds a license shares the holder's copy of its name.
    fn hold(&mut self, handle: Handle, dup: bool, c: &mut Checkout, at: Time) {
        let key = HolderKey::of(c.model, dup, handle, c.feature(), &c.device, &c.host);
        let name = match key {
            HolderKey::Host { .. } => &c.host,
            _ => &c.device,
        };
        let units = if c.model == LicenseModel::PerSocket {
            c.count.max(1)
        } else {
            1
        };
        let attached = self.holders.attach(key, name, handle, &c.pool, units);
        if let Some((old_pool, old_units)) = attached.before {
            self.adjust_held(&old_pool, -i64::from(old_units), at);
        }
        self.adjust_held(&c.pool, i64::from(attached.units), at);
        if let (HolderKey::Device { .. }, Some(name)) = (key, attached.name) {
            c.device = name;
        }
    }

    fn adjust_held(&mut self, pool: &PoolKey, delta: i64, at: Time) {
        let period = self.period(at);
        if let Some(p) = self.pools.get_mut(pool) {
            let before = p.held;
            p.held = p.held.saturating_add_signed(delta);
            p.peak.change(period, before, p.held);
        }
    }

    /// The usage history's sampling period of the time `at`.
    #[inline]
    fn period(&self, at: Time) -> i64 {
        period_of(at, self.settings.history_sample)
    }

    /// Starts every peak afresh at `at` (the sampling period changed: the
    /// old periods' numbers mean nothing under the new one).
    fn restart_peaks(&mut self, at: Time) {
        let period = self.period(at);
        for p in self.pools.values_mut() {
            p.peak = Peak::starting(period, p.held);
        }
        if !self.deferred {
            for f in self.ud.values_mut() {
                f.peak = Peak::starting(period, f.in_use());
            }
        }
    }

    pub(crate) fn dup_device(&self, pool: &PoolKey) -> bool {
        self.pools
            .get(pool)
            .and_then(|p| p.spec.as_ref())
            .is_some_and(|s| s.dup_device)
    }

    fn check_in(&mut self, handle: Handle, at: Time) {
        let Some(c) = self.checkouts.remove(&handle) else {
            return;
        };
        if let Some(s) = self.sessions.get_mut(&c.session) {
            s.handles.remove(&handle);
        }
        if c.model.is_leased() {
            let period = self.period(at);
            if let Some(f) = self.ud.get_mut(c.feature()) {
                ud_change(f, period, |f| f.close(c.connection, at));
            }
            self.due_by(at.saturating_add(self.settings.lease));
            return;
        }
        let dup = self.dup_device(&c.pool);
        let key = HolderKey::of(c.model, dup, handle, c.feature(), &c.device, &c.host);
        let name = match key {
            HolderKey::Host { .. } => &c.host,
            _ => &c.device,
        };
        let checkouts = &self.checkouts;
        // Per socket: the host now holds what its largest checkout needs.
        let units_of = |left: &[Handle]| {
            left.iter()
                .filter_map(|h| checkouts.get(h))
                .map(|c| c.count.max(1))
                .max()
                .unwrap_or(1)
        };
        if let Some((pool, change)) = self.holders.detach(key, name, handle, units_of)
            && change != 0
        {
            self.adjust_held(&pool, change, at);
        }
    }

    /// Installs a new set of pools (plus the built-in ones). Pools that
    /// vanished but still hold licenses stay, without a spec, until freed.
    fn replace_pools(&mut self, specs: Vec<PoolSpec>) {
        let mut pools: BTreeMap<PoolKey, PoolState> = BTreeMap::new();
        self.refused.clear();
        for spec in PoolSpec::built_in().into_iter().chain(specs) {
            if let Some(why) = spec.refused {
                self.refused.insert(spec.feature, why);
                continue;
            }
            let key = spec.key();
            let model = LicenseModel::of(&spec.feature, spec.license_type.as_deref());
            let (held, peak) = self
                .pools
                .get(&key)
                .map_or((0, Peak::default()), |p| (p.held, p.peak));
            let shared = self.shared_key(&key);
            pools.insert(
                key,
                PoolState {
                    key: shared,
                    spec: Some(spec),
                    model,
                    held,
                    peak,
                },
            );
        }
        for (key, old) in std::mem::take(&mut self.pools) {
            if !pools.contains_key(&key) && old.held > 0 {
                pools.insert(key, PoolState { spec: None, ..old });
            }
        }
        self.pools = pools;
    }
}

/// Changes a user/device feature's connections with `change`, following
/// its peak (not while a recovery defers the optimum: the peaks start
/// afresh when it is settled).
#[inline]
fn ud_change<R>(f: &mut UdFeature, period: i64, change: impl FnOnce(&mut UdFeature) -> R) -> R {
    if f.is_deferred() {
        return change(f);
    }
    let before = f.in_use();
    let r = change(f);
    let after = f.in_use();
    f.peak.change(period, before, after);
    r
}

/// What a user/device feature looks like from outside: its connections,
/// the licenses they use, and who holds them.
type UdView = (String, Vec<String>, u64, (Vec<String>, Vec<String>));

fn ud_views(e: &Engine) -> Vec<UdView> {
    e.ud.iter()
        .map(|(f, u)| {
            let conns = u
                .connections()
                .zip(u.shown_connections())
                .map(|((a, b, c), (sa, sb, _))| {
                    let (open, last, version) = (c.open, c.last_use, &c.version);
                    format!("{a}|{b}|{sa}|{sb}|{open}|{last}|{version}|{}", c.released)
                })
                .collect();
            (f.clone(), conns, u.in_use(), u.holders())
        })
        .collect()
}

impl PartialEq for Engine {
    /// States are equal when everything observable is: pools, sessions,
    /// checkouts, holders, every connection and the licenses they use.
    fn eq(&self, other: &Self) -> bool {
        self.settings == other.settings
            && self.pools == other.pools
            && self.refused == other.refused
            && self.sessions == other.sessions
            && self.checkouts == other.checkouts
            && self.holders == other.holders
            && self.bursts == other.bursts
            && self.next_session == other.next_session
            && self.next_handle == other.next_handle
            && self.accounts == other.accounts
            && self.options == other.options
            && self.denials == other.denials
            && self.tokens == other.tokens
            && ud_views(self) == ud_views(other)
    }
}
