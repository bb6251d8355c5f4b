//! `udadmin -events`: the user/device-license events, oldest first.
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
use crate::engine::Event;
use crate::engine::request::BurstEnd;
use crate::protocol::{Request, Response, StoredEvent};

/// Events asked for at a time.
const PAGE: u32 = 10_000;

/// `-events`: what happened to user/device licenses, oldest first.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Events {
    pub events: Vec<UdEvent>,
}

/// One user/device-license event.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct UdEvent {
    /// The server's sequence number: increasing, gaps allowed.
    pub seq: i64,
    /// When, Unix seconds.
    pub at: i64,
    #[serde(flatten)]
    pub what: What,
}

/// What happened, by `event`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum What {
    /// A checkout over a user/device connection: it is leased for 90 days.
    Granted {
        feature: String,
        user: String,
        device: String,
        /// The version the product asked for.
        version: String,
    },
    /// A connection's 90-day lease ran out.
    LeaseExpired {
        feature: String,
        user: String,
        device: String,
    },
    /// An administrator released a connection (`udadmin -delete`).
    Released {
        feature: String,
        user: String,
        device: String,
    },
    /// License burst mode started for a product version and edition.
    BurstStarted { feature: String, version: String },
    BurstEnded {
        feature: String,
        version: String,
        reason: BurstEndReason,
    },
    /// A retail license was installed: burst mode is available again.
    BurstRearmed { feature: String },
}

/// Why burst mode ended.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BurstEndReason {
    /// Its 15 days ran out.
    Expired,
    /// Licenses were installed during it.
    LicensesInstalled,
    /// The administrator disabled burst mode.
    Disabled,
}

impl What {
    /// The user/device-license part of the server's event history.
    fn of(e: Event) -> Option<(i64, What)> {
        Some(match e {
            Event::Granted(g) if g.model.is_leased() => (
                g.at,
                What::Granted {
                    feature: g.feature,
                    user: g.user,
                    device: g.device,
                    version: g.version.to_string(),
                },
            ),
            Event::LeaseExpired {
                feature,
                user,
                device,
                at,
            } => (
                at,
                What::LeaseExpired {
                    feature,
                    user,
                    device,
                },
            ),
            Event::Released {
                feature,
                user,
                device,
                at,
            } => (
                at,
                What::Released {
                    feature,
                    user,
                    device,
                },
            ),
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
                    reason: match reason {
                        BurstEnd::Expired => BurstEndReason::Expired,
                        BurstEnd::LicensesInstalled => BurstEndReason::LicensesInstalled,
                        BurstEnd::Disabled => BurstEndReason::Disabled,
                    },
                },
            ),
            Event::BurstRearmed { feature, at } => (at, What::BurstRearmed { feature }),
            _ => return None,
        })
    }

    fn feature(&self) -> &str {
        match self {
            What::Granted { feature, .. }
            | What::LeaseExpired { feature, .. }
            | What::Released { feature, .. }
            | What::BurstStarted { feature, .. }
            | What::BurstEnded { feature, .. }
            | What::BurstRearmed { feature } => feature,
        }
    }
}

impl std::fmt::Display for What {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            What::Granted {
                feature,
                user,
                device,
                version,
            } => write!(
                f,
                "{feature} connected: user {user} device {device} (v{version})"
            ),
            What::LeaseExpired {
                feature,
                user,
                device,
            } => write!(f, "{feature} lease expired: user {user} device {device}"),
            What::Released {
                feature,
                user,
                device,
            } => write!(f, "{feature} released: user {user} device {device}"),
            What::BurstStarted { feature, version } => {
                write!(f, "{feature} v{version} license burst mode started")
            }
            What::BurstEnded {
                feature,
                version,
                reason,
            } => write!(
                f,
                "{feature} v{version} license burst mode ended ({reason:?})"
            ),
            What::BurstRearmed { feature } => {
                write!(f, "{feature} license burst mode available again")
            }
        }
    }
}

/// `-events` as written: [`Events`], fetched page by page while it is
/// written.
pub(crate) struct EventStream<'r> {
    remote: RefCell<&'r mut Remote>,
    feature: Option<String>,
    failed: RefCell<Option<CliError>>,
}

impl<'r> EventStream<'r> {
    pub(crate) fn new(remote: &'r mut Remote, feature: Option<String>) -> Self {
        EventStream {
            remote: RefCell::new(remote),
            feature,
            failed: RefCell::new(None),
        }
    }

    /// Why the history stopped short, if it did.
    pub(crate) fn failure(self) -> Option<CliError> {
        self.failed.into_inner()
    }

    /// The next page after `after`, or `None` (the failure kept) when the
    /// server could not give it.
    fn page(&self, after: i64) -> Option<Vec<StoredEvent>> {
        let answer = self
            .remote
            .borrow_mut()
            .ask(Request::Events { after, limit: PAGE });
        let failure = match answer {
            Ok(Response::Events { events }) => return Some(events),
            Ok(_) => CliError::new(exit::FAILURE, "unexpected answer to events"),
            Err(e) => e,
        };
        *self.failed.borrow_mut() = Some(failure);
        None
    }

    fn keep(&self, e: StoredEvent) -> Option<UdEvent> {
        let (at, what) = What::of(e.event)?;
        let wanted = self.feature.as_deref().is_none_or(|f| f == what.feature());
        wanted.then_some(UdEvent {
            seq: e.seq,
            at,
            what,
        })
    }

    /// Every wanted event, oldest first, fetching pages as they are needed.
    fn events(&self) -> impl Iterator<Item = UdEvent> + '_ {
        let mut page: VecDeque<StoredEvent> = VecDeque::new();
        let (mut after, mut done) = (0, false);
        std::iter::from_fn(move || {
            loop {
                if let Some(e) = page.pop_front() {
                    after = e.seq;
                    match self.keep(e) {
                        Some(kept) => return Some(kept),
                        None => continue,
                    }
                }
                if done {
                    return None;
                }
                match self.page(after) {
                    Some(events) if !events.is_empty() => page = events.into(),
                    _ => done = true,
                }
            }
        })
    }

    fn failed(&self) -> bool {
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
            writeln!(w, "{} {}", ctime(e.at), e.what)?;
        }
        Ok(())
    }
}
