//! Decisions: each request is turned into a decision and the events that
//! record it; the events are then applied. Nothing here changes the state
//! except through [`Engine::apply`].

use super::holders::HolderKey;
use super::request::*;
use super::state::{BurstState, Engine};
use super::types::{LicenseModel, PoolSpec, Settings, Time};
use crate::license::Version;
use crate::license::pool::PoolKey;

/// How a checkout may be admitted into a pool.
enum Admit {
    /// Within the installed count (or sharing a held license).
    Within(PoolKey),
    /// Only by burst mode: starts it when `start` is true.
    Burst { pool: PoolKey, start: bool },
}

impl Engine {
    /// Decides `request` at time `now`, applies its events, and returns both.
    pub fn handle(&mut self, now: Time, request: Request) -> Outcome {
        let (decision, events) = self.decide(now, request);
        for e in &events {
            self.apply(e);
        }
        Outcome { decision, events }
    }

    /// The events of new settings: turning burst mode off ends the bursts
    /// under way. `asked` names the settings asked for (any spelling),
    /// recorded by their listed names with the values they took.
    fn settings_changed(
        &self,
        now: Time,
        settings: Settings,
        by: Option<String>,
        asked: &[(String, String)],
    ) -> Vec<Event> {
        let mut events = Vec::new();
        if !settings.burst_enabled {
            events.extend(self.end_active_bursts(now, BurstEnd::Disabled));
        }
        let changes = asked
            .iter()
            .filter_map(|(name, _)| super::settings::find(name))
            .map(|e| (e.name.to_owned(), e.value(&settings)))
            .collect();
        events.push(Event::SettingsChanged {
            settings,
            at: now,
            by,
            changes,
        });
        events
    }

    /// Decides `request` at `now` on the state as it is, time's rules
    /// already applied (see [`Engine::decide`]).
    pub(crate) fn decide_at(&self, now: Time, request: Request) -> (Decision, Vec<Event>) {
        match request {
            Request::StartSession { host, secret } => self.start_session(now, host, secret),
            Request::Heartbeat { session } => self.seen(now, session),
            Request::Reconnect { session, secret } => self.reconnect(now, session, &secret),
            Request::SessionLost { session } => {
                self.with_session(session, |_| vec![Event::SessionLapsed { session, at: now }])
            }
            Request::EndSession { session } => self.with_session(session, |_| {
                vec![Event::SessionEnded {
                    session,
                    at: now,
                    reclaimed: false,
                }]
            }),
            Request::Checkout(c) => self.checkout(now, c),
            Request::Checkin { session, handle } => self.checkin(now, session, handle),
            Request::Release {
                feature,
                user,
                device,
                by,
            } => self.release(now, feature, (user, device), by),
            Request::Reread { pools, by } => (Decision::Done, self.reread(now, pools, by)),
            Request::Shutdown { vendor, by } => (
                Decision::Done,
                vec![Event::ShutdownRequested {
                    vendor,
                    at: now,
                    by,
                }],
            ),
            Request::ChangeSettings(settings) => (
                Decision::Done,
                self.settings_changed(now, settings, None, &[]),
            ),
            Request::SetSettings { changes, by } => match self.settings.with_changes(&changes) {
                Ok(settings) => (
                    Decision::Done,
                    self.settings_changed(now, settings, Some(by), &changes),
                ),
                Err(e) => (
                    Decision::Denied(Denial::new(Code::BAD_PARAMETER, e.to_string())),
                    Vec::new(),
                ),
            },
            // Time's events were found before the request was decided.
            Request::Tick => (Decision::Done, Vec::new()),
            Request::SetOptions(options) => (
                Decision::Done,
                vec![Event::OptionsReplaced { options, at: now }],
            ),
            Request::SetAccount { name, role, by } => {
                if name.trim().is_empty() {
                    let denial = Denial::new(Code::BAD_PARAMETER, "an account needs a name");
                    return (Decision::Denied(denial), Vec::new());
                }
                (
                    Decision::Done,
                    vec![Event::AccountSet {
                        name,
                        role,
                        at: now,
                        by,
                    }],
                )
            }
            Request::CreateToken {
                name,
                account,
                digest,
                expires,
                by,
            } => self.create_token(now, name, account, digest, expires, by),
            Request::RevokeToken { id, by } => {
                if self.tokens.get(id).is_none() {
                    let denial = Denial::new(Code::BAD_PARAMETER, format!("no token {id}"));
                    return (Decision::Denied(denial), Vec::new());
                }
                (
                    Decision::Done,
                    vec![Event::TokenRevoked { id, by, at: now }],
                )
            }
            Request::LicenseInstalled {
                file,
                features,
                replaced,
                by,
            } => (
                Decision::Done,
                vec![Event::LicenseInstalled {
                    file,
                    features,
                    replaced,
                    by,
                    at: now,
                }],
            ),
            Request::RemoveAccount { name, by } => {
                if !self.accounts.contains_key(&name) {
                    let denial = Denial::new(Code::BAD_PARAMETER, format!("no account {name}"));
                    return (Decision::Denied(denial), Vec::new());
                }
                (
                    Decision::Done,
                    vec![Event::AccountRemoved { name, at: now, by }],
                )
            }
        }
    }

    fn create_token(
        &self,
        now: Time,
        name: String,
        account: String,
        digest: String,
        expires: Option<Time>,
        by: String,
    ) -> (Decision, Vec<Event>) {
        let refused = super::tokens::bad_name(&name)
            .or_else(|| {
                account
                    .trim()
                    .is_empty()
                    .then(|| "a token needs an account".to_owned())
            })
            .or_else(|| {
                let past = expires.is_some_and(|t| t <= now);
                past.then(|| "a token's expiry must be in the future".to_owned())
            });
        if let Some(reason) = refused {
            return (
                Decision::Denied(Denial::new(Code::BAD_PARAMETER, reason)),
                Vec::new(),
            );
        }
        let id = self.tokens.next_id();
        let token = super::tokens::Token {
            id,
            name,
            account,
            digest,
            created: now,
            expires,
            by,
        };
        (
            Decision::TokenCreated { id },
            vec![Event::TokenCreated(Box::new(token))],
        )
    }

    fn with_session(
        &self,
        session: SessionId,
        events: impl FnOnce(&super::state::Session) -> Vec<Event>,
    ) -> (Decision, Vec<Event>) {
        match self.sessions.get(&session) {
            Some(s) => (Decision::Done, events(s)),
            None => (Decision::Denied(unknown_session(session)), Vec::new()),
        }
    }

    fn seen(&self, now: Time, session: SessionId) -> (Decision, Vec<Event>) {
        self.with_session(session, |_| vec![Event::SessionSeen { session, at: now }])
    }

    /// The product presents the secret its session was started with.
    fn reconnect(&self, now: Time, session: SessionId, secret: &Secret) -> (Decision, Vec<Event>) {
        match self.sessions.get(&session) {
            Some(s) if s.secret.matches(secret) => self.seen(now, session),
            Some(_) => {
                let reason = format!("session {session} was not started with this secret");
                let denial = Denial::new(Code::NOT_ALLOWED, reason);
                (Decision::Denied(denial), Vec::new())
            }
            None => (Decision::Denied(unknown_session(session)), Vec::new()),
        }
    }

    fn start_session(&self, now: Time, host: String, secret: Secret) -> (Decision, Vec<Event>) {
        let limit = PoolSpec::built_in()[0].count as usize;
        if self.sessions.len() >= limit {
            let reason = format!("all {limit} start-up licenses are in use");
            return (
                Decision::Denied(Denial::new(Code::ALL_IN_USE, reason)),
                Vec::new(),
            );
        }
        let session = self.next_session;
        (
            Decision::SessionStarted { session },
            vec![Event::SessionStarted {
                session,
                host,
                secret,
                at: now,
            }],
        )
    }

    fn checkout(&self, now: Time, req: CheckoutRequest) -> (Decision, Vec<Event>) {
        let Some(session) = self.sessions.get(&req.session) else {
            return (Decision::Denied(unknown_session(req.session)), Vec::new());
        };
        let mut events = Vec::new();
        if session.lapsed_at.is_some() {
            events.push(Event::SessionSeen {
                session: req.session,
                at: now,
            });
        }
        let user = self.settings.user_name(&req.user);
        let device = self.settings.device_name(&req.device);
        if let Err(denial) = self.allowed(&req, &user) {
            return (Decision::Denied(denial), Vec::new());
        }
        let reserved = self.reserved_against(&req, &user);
        let admitted = self
            .serving_pools(now, &req.feature, &req.version)
            .and_then(|(model, pools)| {
                let admit = if model.is_leased() {
                    self.admit_leased(now, &req, &user, &device, &pools, reserved)
                } else {
                    self.admit_held(now, model, &req, &device, &pools, reserved)
                };
                admit.map(|a| (model, a))
            });
        let (model, admit) = match admitted {
            Ok(x) => x,
            Err(denial) => return (Decision::Denied(denial), Vec::new()),
        };
        let handle = self.next_handle;
        let (pool, burst) = match admit {
            Admit::Within(pool) => (pool, false),
            Admit::Burst { pool, start } => {
                if start {
                    events.push(Event::BurstStarted {
                        feature: pool.feature.clone(),
                        version: pool.version.clone(),
                        at: now,
                    });
                }
                (pool, true)
            }
        };
        let shared = self.is_shared(model, &req, &user, &device, &pool);
        events.push(Event::Granted(Box::new(GrantEvent {
            handle,
            session: req.session,
            feature: req.feature,
            version: req.version,
            user,
            device,
            sent: (req.user, req.device),
            host: req.host,
            display: req.display,
            count: req.count,
            model,
            pool: pool.clone(),
            burst,
            at: now,
        })));
        let grant = Grant {
            handle,
            pool,
            shared,
            burst,
        };
        (Decision::Granted(grant), events)
    }

    /// Would a checkout of `feature` at `version` by a new user and device
    /// be granted now? The same decision as a checkout, without holding a
    /// license: lmdiag asks this, so diagnosing never starts a lease.
    pub fn probe(&self, now: Time, feature: &str, version: &Version) -> Result<PoolKey, Denial> {
        self.as_of(now).probe_at(now, feature, version)
    }

    fn probe_at(&self, now: Time, feature: &str, version: &Version) -> Result<PoolKey, Denial> {
        let (model, pools) = self.serving_pools(now, feature, version)?;
        // A probe is a new requester that no reservation names.
        let reserved = self.reserved_against_anyone(feature);
        let live = self.live_pools(now, feature);
        let admit = if model.is_leased() && super::versions::several_dates(&live) {
            // A new user on a new device: one more holder, needing `version`.
            let before: Vec<Version> = self.ud.get(feature).map_or_else(Vec::new, |f| {
                f.needs().into_iter().map(|n| n.version).collect()
            });
            let mut after = before.clone();
            after.push(version.clone());
            if self.fits_at_dates(&live, &before, &after, reserved) {
                Admit::Within(pools[0].clone())
            } else {
                self.burst(now, &pools)
                    .ok_or_else(|| self.all_in_use(now, feature, &pools, reserved))?
            }
        } else if model.is_leased() {
            let in_use = self.ud.get(feature).map_or(0, |f| f.in_use());
            self.leased_capacity(now, in_use, &pools, feature, reserved)?
        } else {
            self.first_free(now, &pools, 1, feature, reserved)?
        };
        Ok(match admit {
            Admit::Within(p) | Admit::Burst { pool: p, .. } => p,
        })
    }

    /// The live pools of `feature` whose css date serves `version`, lowest
    /// css date first (newer licenses stay free for newer products), then
    /// soonest expiry; or why there are none.
    fn serving_pools(
        &self,
        now: Time,
        feature: &str,
        version: &Version,
    ) -> Result<(LicenseModel, Vec<PoolKey>), Denial> {
        let of_feature: Vec<_> = self
            .pools
            .iter()
            .filter(|(k, p)| k.feature == feature && p.spec.is_some())
            .collect();
        if of_feature.is_empty() {
            if let Some(why) = self.refused.get(feature) {
                let reason = format!("no line of {feature} is served: {}", why.reason);
                return Err(Denial::new(why.code, reason));
            }
            return Err(Denial::new(
                Code::NO_SUCH_FEATURE,
                format!("no license for feature {feature} is installed"),
            ));
        }
        let Some(model) = of_feature.iter().find_map(|(_, p)| p.model) else {
            return Err(Denial::new(
                Code::NOT_SUPPORTED,
                format!("the license model of {feature} (its name's last part) is not known"),
            ));
        };
        let live: Vec<_> = of_feature.iter().filter(|(_, p)| p.is_live(now)).collect();
        if live.is_empty() {
            return Err(self.none_live(now, feature, &of_feature));
        }
        let mut serving: Vec<PoolKey> = live
            .iter()
            .filter(|(k, _)| k.version.0 >= *version)
            .map(|(k, _)| (*k).clone())
            .collect();
        if serving.is_empty() {
            let newest = live.iter().map(|(k, _)| &k.version.0).max();
            let newest = newest.map_or(String::new(), ToString::to_string);
            return Err(Denial::new(
                Code::VERSION_TOO_NEW,
                format!(
                    "version {version} is newer than the Customer Success Services date of every \
                     {feature} license (newest {newest})"
                ),
            ));
        }
        serving.sort_by(|a, b| {
            a.version
                .cmp(&b.version)
                .then_with(|| a.expiry.cmp(&b.expiry))
                .then_with(|| a.cmp(b))
        });
        Ok((model, serving))
    }

    /// Why no pool of a feature grants: its START is ahead, or it expired.
    fn none_live(
        &self,
        now: Time,
        feature: &str,
        pools: &[(&PoolKey, &super::state::PoolState)],
    ) -> Denial {
        let day = super::types::day_of(now);
        let start = pools
            .iter()
            .filter(|(_, p)| p.is_pending(now))
            .filter(|(_, p)| p.spec.as_ref().is_some_and(|s| s.expiry.is_valid_on(day)))
            .filter_map(|(_, p)| p.spec.as_ref().and_then(|s| s.next_start(day)))
            .min();
        match start {
            Some(start) => Denial::new(
                Code::NOT_YET_STARTED,
                format!(
                    "feature start date is in the future: {feature} starts on {}",
                    crate::license::date::format_date(start)
                ),
            ),
            None => Denial::new(
                Code::EXPIRED,
                format!("every license of {feature} has expired"),
            ),
        }
    }

    fn free_in(&self, now: Time, pool: &PoolKey, units: u64, reserved: u64) -> bool {
        self.pools
            .get(pool)
            .is_some_and(|p| p.held + units + reserved <= p.installed(now))
    }

    /// Holder-counted models: share a held license, move it to a newer
    /// pool, or take a new one.
    fn admit_held(
        &self,
        now: Time,
        model: LicenseModel,
        req: &CheckoutRequest,
        device: &str,
        pools: &[PoolKey],
        reserved: u64,
    ) -> Result<Admit, Denial> {
        let dup = pools.iter().any(|p| self.dup_device(p));
        let key = HolderKey::of(
            model,
            dup,
            self.next_handle,
            &req.feature,
            device,
            &req.host,
        );
        let want = if model == LicenseModel::PerSocket {
            u64::from(req.count.max(1))
        } else {
            1
        };
        if let Some(h) = self.holders.get(key) {
            let extra = want.saturating_sub(u64::from(h.units));
            if pools.contains(&h.pool)
                && (extra == 0 || self.free_in(now, &h.pool, extra, reserved))
            {
                return Ok(Admit::Within(PoolKey::clone(&h.pool)));
            }
            // A newer version than the held license serves: move the holder
            // to a pool that serves every session of the device at once.
            let units = want.max(u64::from(h.units));
            return self.first_free(now, pools, units, &req.feature, reserved);
        }
        self.first_free(now, pools, want, &req.feature, reserved)
    }

    fn first_free(
        &self,
        now: Time,
        pools: &[PoolKey],
        units: u64,
        feature: &str,
        reserved: u64,
    ) -> Result<Admit, Denial> {
        if let Some(p) = pools.iter().find(|p| self.free_in(now, p, units, reserved)) {
            return Ok(Admit::Within(p.clone()));
        }
        self.burst(now, pools)
            .ok_or_else(|| self.all_in_use(now, feature, pools, reserved))
    }

    /// User/device family: admitted when the optimum after admitting it
    /// still fits within what the serving pools have installed.
    fn admit_leased(
        &self,
        now: Time,
        req: &CheckoutRequest,
        user: &str,
        device: &str,
        pools: &[PoolKey],
        reserved: u64,
    ) -> Result<Admit, Denial> {
        let first = pools[0].clone();
        let live = self.live_pools(now, &req.feature);
        if super::versions::several_dates(&live) {
            let f = self.ud.get(&req.feature);
            let before: Vec<Version> = f.map_or_else(Vec::new, |f| {
                f.needs().into_iter().map(|n| n.version).collect()
            });
            let after = match f {
                // A session on a connection that asked as much before
                // changes no holder.
                Some(f)
                    if f.connection(user, device)
                        .is_some_and(|c| c.version >= req.version) =>
                {
                    return Ok(Admit::Within(first));
                }
                Some(f) => f.needs_after(user, device, &req.version),
                None => vec![req.version.clone()],
            };
            if self.fits_at_dates(&live, &before, &after, reserved) {
                return Ok(Admit::Within(first));
            }
            return self
                .burst(now, pools)
                .ok_or_else(|| self.all_in_use(now, &req.feature, pools, reserved));
        }
        let Some(f) = self.ud.get(&req.feature) else {
            return self.leased_capacity(now, 0, pools, &req.feature, reserved);
        };
        if !f.would_increase(user, device) {
            return Ok(Admit::Within(first));
        }
        self.leased_capacity(now, f.in_use(), pools, &req.feature, reserved)
    }

    fn leased_capacity(
        &self,
        now: Time,
        in_use: u64,
        pools: &[PoolKey],
        feature: &str,
        reserved: u64,
    ) -> Result<Admit, Denial> {
        let installed: u64 = pools
            .iter()
            .filter_map(|p| self.pools.get(p))
            .map(|p| p.installed(now))
            .sum();
        if in_use + reserved < installed {
            return Ok(Admit::Within(pools[0].clone()));
        }
        self.burst(now, pools)
            .ok_or_else(|| self.all_in_use(now, feature, pools, reserved))
    }

    /// Burst mode for the first retail pool that may burst: active, or armed
    /// (then it starts now). Never for expired licenses, never when disabled.
    fn burst(&self, now: Time, pools: &[PoolKey]) -> Option<Admit> {
        if !self.settings.burst_enabled {
            return None;
        }
        pools.iter().find_map(|p| {
            let retail = self
                .pools
                .get(p)
                .and_then(|s| s.spec.as_ref())
                .is_some_and(PoolSpec::is_retail);
            if !retail {
                return None;
            }
            match self.burst_state(p) {
                BurstState::Armed => Some(Admit::Burst {
                    pool: p.clone(),
                    start: true,
                }),
                BurstState::Active { started } if now < started + self.settings.burst_length => {
                    Some(Admit::Burst {
                        pool: p.clone(),
                        start: false,
                    })
                }
                _ => None,
            }
        })
    }

    pub(crate) fn burst_state(&self, pool: &PoolKey) -> BurstState {
        self.bursts
            .get(&(pool.feature.clone(), pool.version.clone()))
            .copied()
            .unwrap_or(BurstState::Armed)
    }

    fn all_in_use(&self, now: Time, feature: &str, pools: &[PoolKey], reserved: u64) -> Denial {
        if reserved > 0 {
            return Denial::new(
                Code::RESERVED,
                format!(
                    "the free licenses of {feature} are reserved for others ({reserved} reserved in the options file)"
                ),
            );
        }
        let installed: u64 = pools
            .iter()
            .filter_map(|p| self.pools.get(p))
            .map(|p| p.installed(now))
            .sum();
        Denial::new(
            Code::ALL_IN_USE,
            format!("all {installed} licenses of {feature} that serve this version are in use"),
        )
    }

    fn is_shared(
        &self,
        model: LicenseModel,
        req: &CheckoutRequest,
        user: &str,
        device: &str,
        pool: &PoolKey,
    ) -> bool {
        if model.is_leased() {
            return self
                .ud
                .get(&req.feature)
                .is_some_and(|f| !f.would_increase(user, device));
        }
        let key = HolderKey::of(
            model,
            self.dup_device(pool),
            self.next_handle,
            &req.feature,
            device,
            &req.host,
        );
        self.holders.contains(key)
    }

    fn checkin(&self, now: Time, session: SessionId, handle: Handle) -> (Decision, Vec<Event>) {
        match self.checkouts.get(&handle) {
            Some(c) if c.session == session => {
                (Decision::Done, vec![Event::CheckedIn { handle, at: now }])
            }
            _ => (
                Decision::Denied(Denial::new(
                    Code::BAD_HANDLE,
                    format!("session {session} holds no checkout {handle}"),
                )),
                Vec::new(),
            ),
        }
    }

    /// Releases the connections of `who` (a user, a device) of `feature`
    /// (or of every feature), asked `by` an administrator.
    fn release(
        &self,
        now: Time,
        feature: Option<String>,
        (user, device): (Option<String>, Option<String>),
        by: Option<String>,
    ) -> (Decision, Vec<Event>) {
        let user = user.map(|u| self.settings.user_name(&u));
        let device = device.map(|d| self.settings.device_name(&d));
        let mut events = Vec::new();
        for (f, ud) in &self.ud {
            if feature.as_ref().is_some_and(|want| want != f) {
                continue;
            }
            for (u, d, _) in ud.connections() {
                let matches = user.as_deref().is_some_and(|x| x == u)
                    || device.as_deref().is_some_and(|x| x == d);
                if matches {
                    events.push(Event::Released {
                        feature: f.clone(),
                        user: u.to_owned(),
                        device: d.to_owned(),
                        shown: ud.shown_if_other(u, d),
                        at: now,
                        by: by.clone(),
                    });
                }
            }
        }
        if events.is_empty() {
            let denial = Denial::new(
                Code::NO_SUCH_FEATURE,
                "no user/device license matches that user or device",
            );
            return (Decision::Denied(denial), events);
        }
        (Decision::Done, events)
    }

    /// A reread: new pools; a newly installed retail license of a feature
    /// ends its burst periods and makes burst mode available again.
    fn reread(&self, now: Time, pools: Vec<PoolSpec>, by: Option<String>) -> Vec<Event> {
        let known: std::collections::BTreeSet<&String> = self
            .pools
            .values()
            .filter_map(|p| p.spec.as_ref())
            .flat_map(|s| &s.lines)
            .collect();
        let mut new_retail: Vec<String> = pools
            .iter()
            .filter(|s| s.is_retail() && s.lines.iter().any(|l| !known.contains(l)))
            .map(|s| s.feature.clone())
            .collect();
        new_retail.sort();
        new_retail.dedup();
        let mut events = vec![Event::PoolsReplaced { pools, at: now, by }];
        for feature in new_retail {
            for ((f, version), state) in &self.bursts {
                if *f == feature && matches!(state, BurstState::Active { .. }) {
                    events.push(Event::BurstEnded {
                        feature: f.clone(),
                        version: version.clone(),
                        reason: BurstEnd::LicensesInstalled,
                        at: now,
                    });
                }
            }
            let used = self
                .bursts
                .iter()
                .any(|((f, _), s)| *f == feature && *s != BurstState::Armed);
            if used {
                events.push(Event::BurstRearmed { feature, at: now });
            }
        }
        events
    }

    fn end_active_bursts(&self, now: Time, reason: BurstEnd) -> Vec<Event> {
        self.bursts
            .iter()
            .filter(|(_, s)| matches!(s, BurstState::Active { .. }))
            .map(|((feature, version), _)| Event::BurstEnded {
                feature: feature.clone(),
                version: version.clone(),
                reason,
                at: now,
            })
            .collect()
    }
}

/// The options file's rules for a requester.
impl Engine {
    /// The requester as options see it: the user as sent and as counted.
    fn matches_target(
        &self,
        t: &crate::options::Target,
        req: &CheckoutRequest,
        user: &str,
    ) -> bool {
        use crate::options::Requester;
        let as_sent = Requester {
            user: &req.user,
            host: &req.host,
            display: &req.display,
            internet: "",
        };
        self.requester_matches(t, as_sent, user)
    }

    /// A target names the requester by the user as sent, as sent without
    /// its domain, or as counted.
    fn requester_matches(
        &self,
        t: &crate::options::Target,
        r: crate::options::Requester<'_>,
        counted: &str,
    ) -> bool {
        use crate::options::Requester;
        let bare = r.user.rsplit('\\').next().unwrap_or(r.user);
        let bare = bare.split('@').next().unwrap_or(bare);
        [r.user, bare, counted]
            .into_iter()
            .any(|user| self.options.matches(t, Requester { user, ..r }))
    }

    /// EXCLUDE beats INCLUDE; an INCLUDE list admits only those on it; MAX
    /// caps what one user, host or group holds.
    fn allowed(&self, req: &CheckoutRequest, user: &str) -> Result<(), Denial> {
        use crate::options::Directive as D;
        let feature = req.feature.as_str();
        let on = |t: &crate::options::Target| self.matches_target(t, req, user);
        let d = &self.options.directives;
        let excluded = d.iter().any(|x| match x {
            D::Exclude { feature: f, target } => f == feature && on(target),
            D::ExcludeAll { target } => on(target),
            _ => false,
        });
        if excluded {
            let why = format!(
                "{} on {} is on the EXCLUDE list for {feature}",
                req.user, req.host
            );
            return Err(Denial::new(Code::EXCLUDED, why));
        }
        let includes: Vec<&crate::options::Target> = d
            .iter()
            .filter_map(|x| match x {
                D::Include { feature: f, target } if f == feature => Some(target),
                D::IncludeAll { target } => Some(target),
                _ => None,
            })
            .collect();
        if !includes.is_empty() && !includes.iter().any(|t| on(t)) {
            let why = format!(
                "{} on {} is not on the INCLUDE list for {feature}",
                req.user, req.host
            );
            return Err(Denial::new(Code::NOT_INCLUDED, why));
        }
        for x in d {
            if let D::Max {
                count,
                feature: f,
                target,
            } = x
                && f == feature
                && on(target)
                && self.held_by(feature, target) >= u64::from(*count)
            {
                let why = format!(
                    "{} {} may hold at most {count} of {feature} (MAX in the options file)",
                    kind_name(target),
                    target.name
                );
                return Err(Denial::new(Code::OVER_MAX, why));
            }
        }
        Ok(())
    }

    /// Checkouts of `feature` now held by those `target` names.
    fn held_by(&self, feature: &str, target: &crate::options::Target) -> u64 {
        use crate::options::Requester;
        self.checkouts
            .values()
            .filter(|c| c.feature() == feature)
            .filter(|c| {
                let r = Requester {
                    user: c.sent_user(),
                    host: &c.host,
                    display: c.display(),
                    internet: "",
                };
                self.requester_matches(target, r, &c.user)
            })
            .count() as u64
    }

    /// Licenses of `feature` reserved, by RESERVE lines that do not name
    /// this requester, and not yet used by those they name.
    fn reserved_against(&self, req: &CheckoutRequest, user: &str) -> u64 {
        self.unused_reservations(&req.feature, |t| !self.matches_target(t, req, user))
    }

    /// Every unused reservation of `feature`.
    fn reserved_against_anyone(&self, feature: &str) -> u64 {
        self.unused_reservations(feature, |_| true)
    }

    fn unused_reservations(
        &self,
        feature: &str,
        counts: impl Fn(&crate::options::Target) -> bool,
    ) -> u64 {
        use crate::options::Directive as D;
        self.options
            .directives
            .iter()
            .filter_map(|x| match x {
                D::Reserve {
                    count,
                    feature: f,
                    target,
                } if f == feature && counts(target) => {
                    Some(u64::from(*count).saturating_sub(self.held_by(feature, target)))
                }
                _ => None,
            })
            .sum()
    }
}

fn kind_name(t: &crate::options::Target) -> &'static str {
    use crate::options::TargetKind as K;
    match t.kind {
        K::User => "user",
        K::Host => "host",
        K::Display => "display",
        K::Internet => "address",
        K::Project => "project",
        K::Group => "group",
        K::HostGroup => "host group",
    }
}

fn unknown_session(session: SessionId) -> Denial {
    Denial::new(
        Code::BAD_HANDLE,
        format!("no product session {session} (it ended or was reclaimed; start a new one)"),
    )
}
