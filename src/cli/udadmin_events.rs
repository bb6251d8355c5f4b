//! `udadmin -events`: the user/device-license events, oldest first, as
//! the server filters them from its history.
//!
//! The history streams: a page is fetched from the server when the one
//! before it has been written, so it is never held whole. A page that
//! cannot be fetched ends the command with its error, and a JSON document
//! cut short is left unterminated, so that no script takes it as whole.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Write};

use schemars::JsonSchema;
use serde::ser::{Error as _, SerializeStruct};
use serde::{Deserialize, Serialize};

use super::exit::{self, CliError};
use super::remote::Remote;
use super::render::Report;
use super::udadmin::ctime;
use crate::protocol::events::{Event, EventKind, EventPage, EventQuery, What};
use crate::protocol::status::Model;
use crate::protocol::{Request, Response};

/// Events asked for at a time.
const PAGE: u32 = 10_000;

/// `-events`: what happened to user/device licenses, oldest first.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Events {
    pub events: Vec<Event>,
}

/// The user/device part of the history, as the server filters it: grants
/// of leased licenses, leases that ran out, releases, and burst mode.
fn query(feature: Option<String>) -> EventQuery {
    EventQuery {
        after: 0,
        limit: PAGE,
        kinds: vec![
            EventKind::Granted,
            EventKind::LeaseExpired,
            EventKind::Released,
            EventKind::BurstStarted,
            EventKind::BurstEnded,
            EventKind::BurstRearmed,
        ],
        feature,
        models: vec![Model::UserDevice, Model::PerUser, Model::PerDevice],
        since: None,
        until: None,
        by: None,
    }
}

/// One event as `-events` prints it.
fn line(what: &What) -> String {
    match what {
        What::Granted(g) => format!(
            "{} connected: user {} device {} (v{})",
            g.feature, g.user, g.device, g.version
        ),
        What::LeaseExpired {
            feature,
            user,
            device,
        } => format!("{feature} lease expired: user {user} device {device}"),
        What::Released {
            feature,
            user,
            device,
            by,
        } => {
            let by = by
                .as_deref()
                .map_or(String::new(), |by| format!(" (by {by})"));
            format!("{feature} released: user {user} device {device}{by}")
        }
        What::BurstStarted { feature, version } => {
            format!("{feature} v{version} license burst mode started")
        }
        What::BurstEnded {
            feature,
            version,
            reason,
        } => format!("{feature} v{version} license burst mode ended ({reason:?})"),
        What::BurstRearmed { feature } => {
            format!("{feature} license burst mode available again")
        }
        other => format!("{:?}", other.kind()),
    }
}

/// `-events` as written: [`Events`], fetched page by page while it is
/// written. `lmaudit` reads its history through it too, with a query of
/// its own.
pub(crate) struct EventStream<'r> {
    remote: RefCell<&'r mut Remote>,
    query: EventQuery,
    failed: RefCell<Option<CliError>>,
}

impl<'r> EventStream<'r> {
    /// The user/device events of `feature` (or of every feature).
    pub(crate) fn new(remote: &'r mut Remote, feature: Option<String>) -> Self {
        Self::of(remote, query(feature))
    }

    /// The events `query` asks for, from its `after` on, a page of at most
    /// its `limit` at a time.
    pub(crate) fn of(remote: &'r mut Remote, query: EventQuery) -> Self {
        EventStream {
            remote: RefCell::new(remote),
            query,
            failed: RefCell::new(None),
        }
    }

    /// Why the history stopped short, if it did.
    pub(crate) fn failure(self) -> Option<CliError> {
        self.failed.into_inner()
    }

    /// The next page after `after`, or `None` (the failure kept) when the
    /// server could not give it.
    fn page(&self, after: i64) -> Option<EventPage> {
        let request = Request::Events(EventQuery {
            after,
            ..self.query.clone()
        });
        let failure = match self.remote.borrow_mut().ask(request) {
            Ok(Response::Events(page)) => return Some(page),
            Ok(_) => CliError::new(exit::FAILURE, "unexpected answer to events"),
            Err(e) => e,
        };
        *self.failed.borrow_mut() = Some(failure);
        None
    }

    /// Every wanted event, oldest first, fetching pages as they are needed.
    pub(crate) fn events(&self) -> impl Iterator<Item = Event> + '_ {
        let mut page: VecDeque<Event> = VecDeque::new();
        let mut next = Some(self.query.after);
        std::iter::from_fn(move || {
            loop {
                if let Some(e) = page.pop_front() {
                    return Some(e);
                }
                let after = next?;
                let fetched = self.page(after)?;
                (page, next) = (fetched.events.into(), fetched.next);
            }
        })
    }

    pub(crate) fn failed(&self) -> bool {
        self.failed.borrow().is_some()
    }
}

/// Serializes as [`Events`] does; fails when a page could not be fetched.
impl Serialize for EventStream<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct All<'s, 'r>(&'s EventStream<'r>);
        impl Serialize for All<'_, '_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.events())
            }
        }
        let mut st = s.serialize_struct("Events", 1)?;
        st.serialize_field("events", &All(self))?;
        if self.failed() {
            return Err(S::Error::custom("the event history stopped short"));
        }
        st.end()
    }
}

impl Report for EventStream<'_> {
    fn text(&self, _: &str, w: &mut dyn Write) -> io::Result<()> {
        for e in self.events() {
            writeln!(w, "{} {}", ctime(e.at), line(&e.what))?;
        }
        Ok(())
    }
}
