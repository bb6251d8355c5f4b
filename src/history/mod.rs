//! The usage history: for every pool, at every sampling period, the use at
//! the period's end, its exact peak within the period (kept by the engine
//! at every change, see [`crate::engine::peak`]), what was installed, the
//! overdraft in use and the refusals; and per day their sums. Kept in its
//! own database beside the state database (`history.db`), written by the
//! reader thread from its replica of the engine, so that recording never
//! takes the state database's write lock nor slows a grant.

pub mod day;
pub mod db;
pub mod export;
pub mod recorder;
pub mod sample;

pub use day::DayTotals;
pub use db::{HistoryDb, HistoryError};
pub use recorder::Recorder;
pub use sample::PoolSample;
