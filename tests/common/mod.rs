//! Shared test support: run the real binaries and assert on the outcome,
//! start a real lmgrd, write signed license files, compare FlexNet text
//! with golden files, and require root where a test needs it.

pub mod browser;
mod daemon;
mod golden;
mod license;
mod privilege;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use daemon::TestDaemon;
pub use golden::{Masks, assert_golden, squeezed};
pub use license::License;
pub use privilege::{in_private_network, require_root};

/// This machine's host name, as lmgrd and license files see it.
pub fn hostname() -> String {
    nix::unistd::gethostname().unwrap().into_string().unwrap()
}

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
