//! A real `lmgrd` on a temporary root. It is found through the status file
//! it writes once every listener is bound (`DATA_DIR/lmgrd.status.json`),
//! not through what it prints; a daemon that exits or stays silent past
//! [`START_TIMEOUT`] fails the test with everything it printed.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{lmgrd_bin, lmutil};

/// How long lmgrd may take to bind its ports and recover its state. Long,
/// for a loaded machine; a daemon that exits is noticed at once.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How often the status file is looked for while lmgrd starts.
const POLL: Duration = Duration::from_millis(5);

/// The fields of lmgrd's status file the tests use.
#[derive(serde::Deserialize)]
struct Serving {
    pid: u32,
    lm_port: u16,
    vendor_port: u16,
    http_port: u16,
    socket: PathBuf,
}

/// A real `lmgrd` on a temporary root, ports chosen by the OS; killed on drop.
pub struct TestDaemon {
    pub root: tempfile::TempDir,
    pub child: Child,
    pub lm_port: u16,
    pub vendor_port: u16,
    pub http_port: u16,
    pub socket: PathBuf,
}

/// Why lmgrd did not come up, with all it printed.
pub struct StartFailure {
    /// What happened: its exit status, or the time it was given.
    pub why: String,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for StartFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "lmgrd did not start: {}\n--- stdout\n{}--- stderr\n{}",
            self.why, self.stdout, self.stderr
        )
    }
}

/// A child's output pipe, drained on a thread of its own so the daemon
/// never blocks on a full pipe, and kept for a failure's message.
struct Drain {
    text: Arc<Mutex<Vec<u8>>>,
    thread: std::thread::JoinHandle<()>,
}

impl Drain {
    fn new(mut pipe: impl Read + Send + 'static) -> Drain {
        let text = Arc::new(Mutex::new(Vec::new()));
        let sink = text.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Drain { text, thread }
    }

    /// Everything read, once the pipe is closed (the daemon has exited).
    fn finish(self) -> String {
        self.thread.join().unwrap();
        String::from_utf8_lossy(&self.text.lock().unwrap()).into_owned()
    }
}

impl TestDaemon {
    /// A root with `licenses/`, `keys/` (a key pair made by lmcrypt; the
    /// private key outside the server's keys directory) and `data/`.
    pub fn root() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        for d in ["licenses", "keys", "data"] {
            std::fs::create_dir(root.path().join(d)).unwrap();
        }
        let vendor = root.path().join("vendor");
        lmutil(["lmcrypt".as_ref(), "--genkey".as_ref(), vendor.as_os_str()]).succeeds();
        std::fs::copy(
            vendor.join("vendor.pub"),
            root.path().join("keys/vendor.pub"),
        )
        .unwrap();
        root
    }

    /// Starts lmgrd on `root` and waits until it serves.
    pub fn start(root: tempfile::TempDir) -> TestDaemon {
        Self::start_with(root, &[])
    }

    /// Starts lmgrd with extra arguments and waits until it serves.
    pub fn start_with(root: tempfile::TempDir, extra: &[&str]) -> TestDaemon {
        Self::try_start(root, extra).unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// Starts lmgrd with extra arguments; says why if it does not serve.
    pub fn try_start(root: tempfile::TempDir, extra: &[&str]) -> Result<TestDaemon, StartFailure> {
        Self::try_start_as(root, extra, None)
    }

    /// Like `try_start`, but lmgrd runs as the account `uid` (its own
    /// group too) when given: lmgrd is exec'd directly, so killing the child
    /// kills lmgrd. The root must be reachable by that account.
    pub fn try_start_as(
        root: tempfile::TempDir,
        extra: &[&str],
        uid: Option<u32>,
    ) -> Result<TestDaemon, StartFailure> {
        let mut command = lmgrd_command(root.path(), extra);
        if let Some(uid) = uid {
            use std::os::unix::process::CommandExt;
            let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                .unwrap()
                .unwrap();
            command.uid(uid).gid(user.gid.as_raw());
        }
        let mut child = command.spawn().unwrap();
        let stdout = Drain::new(child.stdout.take().unwrap());
        let stderr = Drain::new(child.stderr.take().unwrap());
        let status_file = root.path().join("data/lmgrd.status.json");
        match wait_until_serving(&mut child, &status_file) {
            Ok(serving) => Ok(TestDaemon {
                lm_port: serving.lm_port,
                vendor_port: serving.vendor_port,
                http_port: serving.http_port,
                socket: serving.socket,
                child,
                root,
            }),
            Err(why) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(StartFailure {
                    why,
                    stdout: stdout.finish(),
                    stderr: stderr.finish(),
                })
            }
        }
    }

    /// The debug log as written so far.
    pub fn debug_log(&self) -> String {
        std::fs::read_to_string(self.root.path().join("data/debug.log")).unwrap_or_default()
    }

    /// The daemon's own view, straight over its control socket.
    pub async fn status(&self) -> lmutil::protocol::status::Status {
        use lmutil::protocol::{Request, Response};
        let mut c = lmutil::client::Connection::unix(&self.socket)
            .await
            .expect("the control socket answers");
        match c
            .request(Request::Status(Default::default()))
            .await
            .expect("a status")
        {
            Response::Status(s) => *s,
            other => panic!("{other:?}"),
        }
    }

    /// Runs `lmutil COMMAND -c SOCKET ARGS…` against this daemon's control
    /// socket.
    pub fn lmutil(&self, command: &str, args: &[&str]) -> super::Run {
        let socket = self.socket.to_str().expect("a UTF-8 path").to_owned();
        let mut all = vec![command, "-c", &socket];
        all.extend_from_slice(args);
        lmutil(all)
    }

    /// Runs `lmutil COMMAND -c SOCKET ARGS…` as the account `nobody`
    /// (through `runuser`: the caller must be root), the daemon's socket
    /// opened to every account first: the server still knows who asks.
    pub fn lmutil_as_nobody(&self, command: &str, args: &[&str]) -> super::Run {
        use std::os::unix::fs::PermissionsExt;
        let open = |path: &Path, mode| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        open(self.root.path(), 0o755);
        open(&self.socket, 0o666);
        let socket = self.socket.to_str().expect("a UTF-8 path");
        let bin = super::lmutil_bin();
        let mut all = vec![
            "-u",
            "nobody",
            "--",
            bin.to_str().unwrap(),
            command,
            "-c",
            socket,
        ];
        all.extend_from_slice(args);
        super::run("runuser", all)
    }

    /// A client of the web services that trusts the daemon's own
    /// certificate (its path in lmgrd.status.json), and their base URL.
    /// `redirects`: whether the client follows redirects.
    pub fn https_client(&self, redirects: bool) -> (reqwest::Client, String) {
        let status: serde_json::Value = serde_json::from_slice(
            &std::fs::read(self.root.path().join("data/lmgrd.status.json")).unwrap(),
        )
        .unwrap();
        let pem = std::fs::read(status["https_certificate"].as_str().unwrap()).unwrap();
        let policy = if redirects {
            reqwest::redirect::Policy::default()
        } else {
            reqwest::redirect::Policy::none()
        };
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .redirect(policy)
            .build()
            .unwrap();
        (client, format!("https://localhost:{}", self.http_port))
    }

    pub fn vendor_addr(&self) -> String {
        format!("127.0.0.1:{}", self.vendor_port)
    }

    /// Kills it with SIGKILL and returns its root, for a restart.
    pub fn kill(mut self) -> tempfile::TempDir {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let root = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.root, root)
    }

    /// Sends SIGTERM and waits; returns the exit status and the root.
    pub fn terminate(mut self) -> (std::process::ExitStatus, tempfile::TempDir) {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let status = self.child.wait().unwrap();
        let root = std::mem::replace(&mut self.root, tempfile::tempdir().unwrap());
        (status, root)
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// lmgrd on `root`'s directories, on ports the OS chooses (but those
/// `extra` names), its output piped.
fn lmgrd_command(root: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(lmgrd_bin());
    for (flag, dir) in [
        ("--license-dir", "licenses"),
        ("--keys-dir", "keys"),
        ("--data-dir", "data"),
        ("--socket", "lmgrd.sock"),
    ] {
        command.arg(flag).arg(root.join(dir));
    }
    command.args(["--bind", "127.0.0.1"]);
    for flag in ["--lm-port", "--vendor-port", "--http-port"] {
        if !extra.iter().any(|a| a.starts_with(flag)) {
            command.args([flag, "0"]);
        }
    }
    command
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits for `child`'s own status file; or says why it never came.
///
/// lmgrd writes the file whole (by rename), so a file that does not parse,
/// like one naming another pid, is an earlier daemon's on the same root:
/// one killed, or whose disk failed before the file reached it.
fn wait_until_serving(child: &mut Child, status_file: &Path) -> Result<Serving, String> {
    let started = Instant::now();
    loop {
        let seen = match read_status(status_file) {
            Ok(serving) if serving.pid == child.id() => return Ok(serving),
            Ok(serving) => format!("a file of pid {}", serving.pid),
            Err(e) => e,
        };
        if let Some(exit) = child.try_wait().unwrap() {
            return Err(format!("it exited ({exit}) before it served"));
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(format!(
                "{} not written by pid {} within {START_TIMEOUT:?} (last seen: {seen})",
                status_file.display(),
                child.id()
            ));
        }
        std::thread::sleep(POLL);
    }
}

/// The status file as it is now.
fn read_status(path: &Path) -> Result<Serving, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("a file that is not a status: {e}"))
}
