//! Time's rules: what ends by itself as time passes (burst periods, silent
//! and lapsed sessions, the options file's TIMEOUT, user/device leases),
//! applied before anything is decided, so that each request is decided on
//! the state as of its own time. License expiry and START dates need no
//! event: a pool is live or not by the date of the request.
//!
//! What is due is found without a walk over the state at every request: the
//! engine keeps a time before which nothing can fall due, lowered by every
//! event that starts a clock and recomputed by a walk once it has passed.

use super::request::{BurstEnd, Decision, Event, Handle, Request};
use super::state::{BurstState, Checkout, Engine};
use super::types::Time;

impl Engine {
    /// Decides `request` at `now` without changing what it decides on: the
    /// decision and the events that record it, for [`Engine::apply`].
    ///
    /// What time ended by `now` comes first in the events, and the decision
    /// is made on the state after it (a lease that ran out while the server
    /// was down no longer counts against the first request after a restart).
    /// Those of time's events that leave nothing to log but themselves (a
    /// lease running out, a burst period ending, a session falling silent)
    /// are applied here at once; applying them again, as the caller does
    /// with every event returned, changes nothing. Any other (a checkout
    /// reclaimed) is applied to a copy to decide on.
    pub fn decide(&mut self, now: Time, request: Request) -> (Decision, Vec<Event>) {
        assert!(
            !self.deferred,
            "a recovering engine is settled before it decides"
        );
        let due = self.due_now(now);
        if matches!(request, Request::Tick) {
            return (Decision::Done, due);
        }
        if due.is_empty() {
            return self.decide_at(now, request);
        }
        let (decision, events) = if due.iter().all(applies_twice_alike) {
            for e in &due {
                self.apply(e);
            }
            self.decide_at(now, request)
        } else {
            let mut after = self.clone();
            for e in &due {
                after.apply(e);
            }
            after.decide_at(now, request)
        };
        let mut all = due;
        all.extend(events);
        (decision, all)
    }

    /// What is due at `now`; when nothing is, the time before which
    /// nothing can be is worked out and kept.
    fn due_now(&mut self, now: Time) -> Vec<Event> {
        let due = self.due(now);
        if due.is_empty() && now >= self.next_due {
            self.next_due = self.next_deadline();
        }
        due
    }

    /// The engine as of `now`, to read without deciding: `self` when
    /// nothing is due, else a copy with time's events applied.
    pub(crate) fn as_of(&self, now: Time) -> std::borrow::Cow<'_, Engine> {
        let due = self.due(now);
        if due.is_empty() {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut after = self.clone();
        for e in &due {
            after.apply(e);
        }
        std::borrow::Cow::Owned(after)
    }

    /// Lowers the time before which nothing can fall due to `t`: an event
    /// started a clock that runs out then.
    pub(crate) fn due_by(&mut self, t: Time) {
        self.next_due = self.next_due.min(t);
    }

    /// The earliest time at which anything can fall due, by a walk over
    /// what has a clock: active burst periods, sessions, checkouts under a
    /// TIMEOUT and idle user/device connections. Every clock here is the
    /// one [`Engine::due`] reads.
    pub(crate) fn next_deadline(&self) -> Time {
        let s = &self.settings;
        let mut next = Time::MAX;
        for state in self.bursts.values() {
            if let BurstState::Active { started } = state {
                next = next.min(started.saturating_add(s.burst_length));
            }
        }
        let timeouts = self.shortest_timeout.is_some();
        if self.shortest_timeout.is_some_and(|t| t <= 0) {
            // A timeout of zero or less reclaims even checkouts whose
            // session is gone: always look.
            return Time::MIN;
        }
        for session in self.sessions.values() {
            let clock = match session.lapsed_at {
                None => session.last_seen.saturating_add(s.heartbeat_timeout),
                Some(t) => t.saturating_add(s.reconnect_window),
            };
            next = next.min(clock);
            if timeouts {
                for h in &session.handles {
                    if let Some(t) = self.checkouts.get(h).and_then(|c| self.timeout_of(c)) {
                        next = next.min(session.last_seen.saturating_add(t));
                    }
                }
            }
        }
        for feature in self.ud.values() {
            if let Some(last_use) = feature.first_idle() {
                next = next.min(last_use.saturating_add(s.lease));
            }
        }
        next
    }

    /// The TIMEOUT of a checkout's feature, in seconds, if it has one.
    pub(crate) fn timeout_of(&self, c: &Checkout) -> Option<Time> {
        // `as`, as in `timed_out`: a timeout past i64::MAX is negative.
        self.options.timeout(c.feature()).map(|t| t as i64)
    }

    /// What time alone ends at `now`: burst periods, silent sessions, the
    /// reconnect window of lapsed ones, TIMEOUT and user/device leases.
    pub(crate) fn due(&self, now: Time) -> Vec<Event> {
        if now < self.next_due {
            return Vec::new();
        }
        let s = &self.settings;
        let mut events = Vec::new();
        for ((feature, version), state) in &self.bursts {
            if let BurstState::Active { started } = state
                && now >= started + s.burst_length
            {
                events.push(Event::BurstEnded {
                    feature: feature.clone(),
                    version: version.clone(),
                    reason: BurstEnd::Expired,
                    at: now,
                });
            }
        }
        for (id, session) in &self.sessions {
            match session.lapsed_at {
                None if session.last_seen + s.heartbeat_timeout <= now => {
                    events.push(Event::SessionLapsed {
                        session: *id,
                        at: now,
                    })
                }
                Some(t) if t + s.reconnect_window <= now => events.push(Event::SessionEnded {
                    session: *id,
                    at: now,
                    reclaimed: true,
                }),
                _ => {}
            }
        }
        events.extend(
            self.timed_out(now)
                .into_iter()
                .map(|handle| Event::CheckedIn { handle, at: now }),
        );
        for (feature, ud) in &self.ud {
            for (user, device) in ud.expired(now, s.lease) {
                events.push(Event::LeaseExpired {
                    feature: feature.clone(),
                    shown: ud.shown_if_other(&user, &device),
                    user,
                    device,
                    at: now,
                });
            }
        }
        events
    }
}

/// Whether applying `event` a second time right after the first changes
/// nothing, and its log line needs nothing but the event: time's events
/// that end a lease, a burst period, or a session's heartbeats.
fn applies_twice_alike(event: &Event) -> bool {
    matches!(
        event,
        Event::LeaseExpired { .. }
            | Event::BurstEnded {
                reason: BurstEnd::Expired,
                ..
            }
            | Event::SessionLapsed { .. }
    )
}

/// The options file's TIMEOUT.
impl Engine {
    /// The checkouts TIMEOUT reclaims at `now`, in handle order: those whose
    /// session has been silent for their feature's timeout.
    ///
    /// Run every second, so it looks only where a timeout can have passed:
    /// nowhere without a TIMEOUT, else into the sessions silent for the
    /// shortest one (every checkout of a live session is in its `handles`).
    /// A timeout of zero or less reclaims even checkouts whose session is
    /// gone (idle 0): then every checkout is looked at.
    fn timed_out(&self, now: Time) -> Vec<Handle> {
        // `as`, as the comparison below: a timeout past i64::MAX is negative.
        let Some(shortest) = self.options.timeouts().map(|t| t as i64).min() else {
            return Vec::new();
        };
        let expired = |c: &Checkout, idle: Time| {
            self.options
                .timeout(c.feature())
                .is_some_and(|t| idle >= t as i64)
        };
        if shortest <= 0 {
            return self
                .checkouts
                .iter()
                .filter(|(_, c)| {
                    let idle = self
                        .sessions
                        .get(&c.session)
                        .map_or(0, |s| now - s.last_seen);
                    expired(c, idle)
                })
                .map(|(h, _)| *h)
                .collect();
        }
        let mut handles: Vec<Handle> = self
            .sessions
            .values()
            .filter(|s| now - s.last_seen >= shortest)
            .flat_map(|s| {
                s.handles.iter().filter(move |h| {
                    self.checkouts
                        .get(h)
                        .is_some_and(|c| expired(c, now - s.last_seen))
                })
            })
            .copied()
            .collect();
        handles.sort_unstable();
        handles
    }
}
