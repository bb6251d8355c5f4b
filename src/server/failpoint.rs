//! Named places where a debug build of lmgrd can be made to fail on
//! purpose, so that tests show what the daemon does when one of its own
//! threads dies (it must stop with an error, never stay half alive). Armed
//! with `LMGRD_FAILPOINTS=name[,name…]`, read once. Release builds have
//! none: [`armed`] is always false there.
//!
//! - `engine-panic`: the engine's owner panics at the first checkout.
//! - `reader-panic`: the reader panics at the first status request.

/// Whether the failpoint `name` is armed.
#[cfg(debug_assertions)]
pub fn armed(name: &str) -> bool {
    use std::sync::OnceLock;
    static ARMED: OnceLock<Vec<String>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            std::env::var("LMGRD_FAILPOINTS")
                .unwrap_or_default()
                .split(',')
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .iter()
        .any(|n| n == name)
}

/// Whether the failpoint `name` is armed: never, in a release build.
#[cfg(not(debug_assertions))]
pub fn armed(_name: &str) -> bool {
    false
}
