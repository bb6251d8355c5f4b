//! The licensing engine: every rule of license consumption as a pure,
//! deterministic state machine. No I/O, no clock of its own: each request
//! carries its time, and each decision comes with the events that record
//! it, from which the state can be rebuilt.

pub mod cover;
mod decide;
pub mod denials;
pub(crate) mod holders;
pub mod peak;
pub mod request;
pub mod settings;
mod sharded;
pub mod snapshot;
pub mod state;
mod time;
pub mod tokens;
pub mod types;
pub mod ud;
pub mod versions;

pub use request::{CheckoutRequest, Decision, Denial, Event, Grant, Outcome, Request};
pub use snapshot::{Select, Snapshot};
pub use state::Engine;
pub use types::{LicenseModel, PoolSpec, Settings, Time};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod simulation;
