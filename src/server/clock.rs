//! The wall clock, read by the daemon alone: the engine takes the time as
//! an argument, so that its rules are tested without waiting.

use crate::engine::Time;

/// The wall clock, in the engine's unit (Unix seconds).
pub fn now() -> Time {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
