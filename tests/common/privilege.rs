//! Tests that need root: they run as root, as CI runs them, and anywhere
//! else they fail saying what they need. A test runs, or is left out on
//! purpose (`cargo test -- --skip NAME`); it never reports ok unchecked.

use nix::sched::CloneFlags;

/// Fails the test unless it runs as root; `why` completes "needs root ...".
#[track_caller]
pub fn require_root(why: &str) {
    if nix::unistd::geteuid().is_root() {
        return;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("THIS_TEST")
        .to_owned();
    panic!(
        "{test} needs root {why}. CI runs the tests as root; run it as root, \
         or leave it out on purpose: cargo test -- --skip {test}"
    );
}

/// Runs `f` on a thread of its own in a new network namespace where only
/// the loopback interface is up: no other program has a port there, so a
/// test may rely on fixed port numbers. Needs root.
pub fn in_private_network<T: Send + 'static>(
    why: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    require_root(why);
    let name = std::thread::current().name().map(str::to_owned);
    let mut thread = std::thread::Builder::new();
    if let Some(name) = name {
        thread = thread.name(name);
    }
    let joined = thread
        .spawn(move || {
            // Only this thread (and what it starts) enters the namespace.
            nix::sched::unshare(CloneFlags::CLONE_NEWNET)
                .unwrap_or_else(|e| panic!("cannot make a network namespace: {e}"));
            let up = std::process::Command::new("ip")
                .args(["link", "set", "lo", "up"])
                .output()
                .unwrap_or_else(|e| panic!("cannot run `ip link set lo up`: {e}"));
            assert!(
                up.status.success(),
                "`ip link set lo up` in the new network namespace: {}",
                String::from_utf8_lossy(&up.stderr)
            );
            f()
        })
        .unwrap()
        .join();
    joined.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
