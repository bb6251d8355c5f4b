//! Shared test support: run the real binaries and assert on the outcome.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built `lmutil` binary.
pub fn lmutil_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lmutil"))
}

/// The built `lmgrd` binary.
pub fn lmgrd_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lmgrd"))
}

/// A repository file, e.g. a fixture.
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Runs `program` with `args` and returns a checkable result.
pub fn run<I, S>(program: impl AsRef<OsStr>, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new(program)
        .args(args)
        .env_remove("LM_LICENSE_FILE")
        .env_remove("CITRIX_LICENSE_FILE")
        .output()
        .expect("the binary runs");
    Run { output }
}

/// `lmutil ARGS`.
pub fn lmutil<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run(lmutil_bin(), args)
}

/// The outcome of one run, with fluent assertions.
pub struct Run {
    pub output: Output,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8(self.output.stdout.clone()).expect("stdout is UTF-8")
    }

    pub fn stderr(&self) -> String {
        String::from_utf8(self.output.stderr.clone()).expect("stderr is UTF-8")
    }

    fn describe(&self) -> String {
        format!(
            "status {:?}\n--- stdout\n{}--- stderr\n{}",
            self.output.status.code(),
            self.stdout(),
            self.stderr()
        )
    }

    /// Exit status 0 and nothing on stderr.
    #[track_caller]
    pub fn succeeds(self) -> Self {
        assert!(
            self.output.status.success() && self.output.stderr.is_empty(),
            "expected success:\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn fails_with_code(self, code: i32) -> Self {
        assert_eq!(self.output.status.code(), Some(code), "{}", self.describe());
        self
    }

    #[track_caller]
    pub fn stdout_has(self, text: &str) -> Self {
        assert!(
            self.stdout().contains(text),
            "stdout lacks {text:?}:\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(self, text: &str) -> Self {
        assert!(
            self.stderr().contains(text),
            "stderr lacks {text:?}:\n{}",
            self.describe()
        );
        self
    }

    /// Stdout decoded as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.describe()))
    }
}

/// A real `lmgrd` on a temporary root, ports chosen by the OS; killed on drop.
pub struct TestDaemon {
    pub root: tempfile::TempDir,
    pub child: std::process::Child,
    pub lm_port: u16,
    pub vendor_port: u16,
    pub socket: PathBuf,
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

    /// Writes `name` into the license directory, signed with lmcrypt.
    /// `{HOST}` in the text becomes this machine's host name.
    pub fn install_license(root: &Path, name: &str, text: &str) {
        let host = nix::unistd::gethostname().unwrap().into_string().unwrap();
        let path = root.join("licenses").join(name);
        std::fs::write(&path, text.replace("{HOST}", &host)).unwrap();
        let key = root.join("vendor/vendor.key");
        lmutil([
            "lmcrypt".as_ref(),
            "--key".as_ref(),
            key.as_os_str(),
            path.as_os_str(),
        ])
        .succeeds();
    }

    /// Starts lmgrd on `root` and waits for its ready line.
    pub fn start(root: tempfile::TempDir) -> TestDaemon {
        Self::try_start(root, &[]).unwrap_or_else(|(_, err)| panic!("lmgrd did not start: {err}"))
    }

    /// Starts lmgrd with extra arguments; on failure returns the root and stderr.
    pub fn try_start(
        root: tempfile::TempDir,
        extra: &[&str],
    ) -> Result<TestDaemon, (tempfile::TempDir, String)> {
        Self::try_start_as(root, extra, None)
    }

    /// Like `try_start`, but lmgrd runs as the account `uid` (its own
    /// group too) when given: lmgrd is exec'd directly, so killing the child
    /// kills lmgrd. The root must be reachable by that account.
    pub fn try_start_as(
        root: tempfile::TempDir,
        extra: &[&str],
        uid: Option<u32>,
    ) -> Result<TestDaemon, (tempfile::TempDir, String)> {
        use std::io::{BufRead, BufReader, Read};
        use std::os::unix::process::CommandExt;
        use std::process::Stdio;
        let p = root.path();
        let socket = p.join("lmgrd.sock");
        let mut command = Command::new(lmgrd_bin());
        if let Some(uid) = uid {
            let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                .unwrap()
                .unwrap();
            command.uid(uid).gid(user.gid.as_raw());
        }
        let mut child = command
            .arg("--license-dir")
            .arg(p.join("licenses"))
            .arg("--keys-dir")
            .arg(p.join("keys"))
            .arg("--data-dir")
            .arg(p.join("data"))
            .arg("--socket")
            .arg(&socket)
            .args([
                "--bind",
                "127.0.0.1",
                "--lm-port",
                "0",
                "--vendor-port",
                "0",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines
            .by_ref()
            .map_while(Result::ok)
            .find(|l| l.starts_with("lmgrd: serving"));
        let Some(ready) = ready else {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            let _ = child.wait();
            return Err((root, err));
        };
        // Keep draining stdout so the daemon never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let port_after = |label: &str| -> u16 {
            let at = ready.find(label).unwrap() + label.len();
            ready[at..]
                .split(',')
                .next()
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        };
        Ok(TestDaemon {
            lm_port: port_after("license manager port "),
            vendor_port: port_after("vendor daemon port "),
            socket,
            child,
            root,
        })
    }

    /// The debug log as written so far.
    pub fn debug_log(&self) -> String {
        std::fs::read_to_string(self.root.path().join("data/debug.log")).unwrap_or_default()
    }

    /// The daemon's own view, straight over its control socket.
    pub async fn status(&self) -> lmutil::engine::Snapshot {
        use lmutil::protocol::{Request, Response};
        let mut c = lmutil::client::Connection::unix(&self.socket)
            .await
            .expect("the control socket answers");
        match c.request(Request::Status).await.expect("a status") {
            Response::Status(s) => *s,
            other => panic!("{other:?}"),
        }
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

/// `lmutil ARGS` with `input` on standard input.
pub fn lmutil_with_input<I, S>(args: I, input: &str) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(lmutil_bin())
        .args(args)
        .env_remove("LM_LICENSE_FILE")
        .env_remove("CITRIX_LICENSE_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    Run {
        output: child.wait_with_output().unwrap(),
    }
}
