//! lmgrd's own threads (the engine's owner, the reader, checkpoints) are
//! watched: one that panics or returns while the daemon serves leaves it
//! half alive (listening, answering "shutting down" forever), so the daemon
//! is told, logs why and exits non-zero for its service manager to restart
//! it. At a clean shutdown the threads end after the daemon stopped
//! listening, and nobody hears of it.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::thread::JoinHandle;

use tokio::sync::mpsc;

/// Starts watched threads; cloneable, so that start-up code off the
/// runtime can start them too.
#[derive(Clone)]
pub struct Spawner {
    tx: mpsc::UnboundedSender<String>,
}

/// Told, through [`Deaths::next`], of the first watched thread that ended.
pub struct Deaths {
    rx: mpsc::UnboundedReceiver<String>,
    /// Kept so that [`Deaths::next`] waits, rather than ends, when every
    /// spawner is gone.
    _tx: mpsc::UnboundedSender<String>,
}

/// A thread could not be started (out of memory, at the process's limit).
#[derive(Debug, thiserror::Error)]
#[error("cannot start the {name} thread: {source}")]
pub struct SpawnError {
    pub name: &'static str,
    pub source: std::io::Error,
}

/// A spawner and where its threads' ends are told.
pub fn watch() -> (Spawner, Deaths) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Spawner { tx: tx.clone() }, Deaths { rx, _tx: tx })
}

impl Spawner {
    /// Starts `body` on a thread called `name`, watched.
    pub fn spawn(
        &self,
        name: &'static str,
        body: impl FnOnce() + Send + 'static,
    ) -> Result<JoinHandle<()>, SpawnError> {
        let tx = self.tx.clone();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let why = match std::panic::catch_unwind(AssertUnwindSafe(body)) {
                    Ok(()) => format!("the {name} thread ended"),
                    Err(panic) => format!("the {name} thread panicked: {}", message(&*panic)),
                };
                // Nobody listens after a clean shutdown.
                let _ = tx.send(why);
            })
            .map_err(|source| SpawnError { name, source })
    }
}

impl Deaths {
    /// Why the first watched thread ended; waits until one does.
    pub async fn next(&mut self) -> String {
        match self.rx.recv().await {
            Some(why) => why,
            // Unreachable while `self` holds a sender.
            None => std::future::pending().await,
        }
    }
}

/// A panic's message, when it has one.
fn message(panic: &(dyn Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_is_reported_with_its_message() {
        let (spawner, mut deaths) = watch();
        let t = spawner
            .spawn("doomed", || panic!("the replica diverged"))
            .unwrap();
        assert_eq!(
            deaths.next().await,
            "the doomed thread panicked: the replica diverged"
        );
        assert!(t.join().is_ok(), "the panic is caught and reported");
    }

    #[tokio::test]
    async fn a_thread_that_returns_is_reported_too() {
        let (spawner, mut deaths) = watch();
        spawner.spawn("short", || {}).unwrap().join().unwrap();
        assert_eq!(deaths.next().await, "the short thread ended");
    }
}
