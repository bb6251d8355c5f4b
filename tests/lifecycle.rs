//! lmgrd is never half alive: a thread of its own that dies stops it with
//! an error (so that its service manager restarts it), and a standard
//! output nobody reads costs it nothing.

use std::future::Future;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lmutil::client::{CheckoutArgs, ClientError, Connection, ProductSession};
use lmutil::protocol::{Request, Response};

use crate::common::lmgrd_bin;

/// lmgrd on `root` with ports chosen by the system, `env` added; stdout
/// goes to `stdout`.
fn spawn(root: &Path, env: &[(&str, &str)], stdout: Stdio) -> Child {
    // lmgrd refuses a license directory that does not exist.
    std::fs::create_dir_all(root.join("licenses")).unwrap();
    Command::new(lmgrd_bin())
        .arg(format!("--license-dir={}", root.join("licenses").display()))
        .arg(format!("--keys-dir={}", root.join("keys").display()))
        .arg(format!("--data-dir={}", root.join("data").display()))
        .arg(format!("--socket={}", root.join("lmgrd.sock").display()))
        .args([
            "--bind=127.0.0.1",
            "--lm-port=0",
            "--vendor-port=0",
            "--http-port=0",
        ])
        .envs(env.iter().copied())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("lmgrd starts")
}

/// The vendor port, from the status file lmgrd writes once it listens.
fn vendor_port(root: &Path, child: &mut Child) -> u16 {
    let status = root.join("data/lmgrd.status.json");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
        {
            return v["vendor_port"].as_u64().expect("a port") as u16;
        }
        if let Some(exit) = child.try_wait().unwrap() {
            panic!("lmgrd exited before serving: {exit}");
        }
        assert!(Instant::now() < deadline, "lmgrd did not start in 30 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits (at most 30 s) for lmgrd to exit; its status and stderr.
fn exit_of(mut child: Child) -> (Option<i32>, String) {
    use std::io::Read;
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("lmgrd is still running, half alive");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

fn args() -> CheckoutArgs<'static> {
    CheckoutArgs {
        feature: "XDT_PLT_CCU",
        version: "2026.0101",
        user: "jack",
        device: "desk1",
        display: "desk1",
        count: 1,
    }
}

/// The answer a request got from a daemon whose thread died under it: a
/// refusal (-97) or a closed connection, nothing else.
fn refused_or_closed<T: std::fmt::Debug>(answer: Result<T, ClientError>) {
    match answer {
        Err(ClientError::Refused(e)) => assert_eq!(e.code, -97, "{e:?}"),
        Err(ClientError::Frame(_)) => {}
        other => panic!("expected a refusal or a closed connection, got {other:?}"),
    }
}

/// lmgrd with `failpoint` armed: once the port is open, `trigger` makes a
/// request that fires it; lmgrd must then exit with status 1 and say
/// `why` on stderr and in its debug log.
async fn dies_of<F: Future<Output = ()>>(
    failpoint: &str,
    trigger: impl FnOnce(String) -> F,
    why: &str,
) {
    let root = tempfile::tempdir().unwrap();
    let env = [("LMGRD_FAILPOINTS", failpoint)];
    let mut child = spawn(root.path(), &env, Stdio::null());
    let port = vendor_port(root.path(), &mut child);
    trigger(format!("127.0.0.1:{port}")).await;
    let (code, err) = exit_of(child);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains(&format!("lmgrd: {why}")), "{err}");
    let log = std::fs::read_to_string(root.path().join("data/debug.log")).unwrap();
    assert!(log.contains(&format!("(lmgrd) Stopping: {why}")), "{log}");
}

#[tokio::test]
async fn a_dead_engine_thread_stops_lmgrd_with_an_error() {
    let checkout = async |addr: String| {
        let conn = Connection::tcp(&addr).await.unwrap();
        let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
        refused_or_closed(p.checkout(args()).await);
    };
    let why = "the engine thread panicked: failpoint engine-panic";
    dies_of("engine-panic", checkout, why).await;
}

#[tokio::test]
async fn a_dead_reader_thread_stops_lmgrd_with_an_error() {
    let status = async |addr: String| {
        let mut conn = Connection::tcp(&addr).await.unwrap();
        refused_or_closed(conn.request(Request::Status(Default::default())).await);
    };
    let why = "the reader thread panicked: failpoint reader-panic";
    dies_of("reader-panic", status, why).await;
}

/// Standard output closed from the start (a service manager that stopped
/// reading it): lmgrd serves, logs, and stops cleanly all the same.
#[tokio::test]
async fn a_closed_standard_output_costs_lmgrd_nothing() {
    let root = tempfile::tempdir().unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = spawn(root.path(), &[], Stdio::from(writer));
    let port = vendor_port(root.path(), &mut child);
    let conn = Connection::tcp(&format!("127.0.0.1:{port}")).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
    // Refused (no such feature): a line in the log and on stdout.
    assert!(p.checkout(args()).await.is_err());
    let mut conn = Connection::tcp(&format!("127.0.0.1:{port}")).await.unwrap();
    assert!(matches!(
        conn.request(Request::Status(Default::default())).await,
        Ok(Response::Status(_))
    ));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let (code, err) = exit_of(child);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
