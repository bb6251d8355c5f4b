//! The server under load: a real `lmgrd` (the release binary) on a
//! temporary root with licenses signed by `lmutil lmcrypt`, or the echo
//! server, started as a child process; and what /proc says about it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Features the generator checks out: concurrent (counted per endpoint
/// device) and user/device.
pub const CCU: &str = "MPS_ENT_CCU";
pub const UD: &str = "XDT_PLT_UD";
/// The version products ask for.
pub const VERSION: &str = "2026.0101";

fn licenses(count: u64, pools: u64) -> String {
    let host = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut text = format!(
        "SERVER this_host HOSTNAME={host}\nVENDOR CITRIX\nUSE_SERVER\n\
         INCREMENT {CCU} CITRIX 2026.1201 permanent {count} DUP_GROUP=V \
         VENDOR_STRING=;LT=Retail\n\
         INCREMENT {UD} CITRIX 2026.1201 permanent {count} DUP_GROUP=V \
         VENDOR_STRING=;LT=Retail\n"
    );
    // Pools that only fill the state (metrics and status at scale).
    for i in 0..pools {
        text.push_str(&format!(
            "INCREMENT LOAD{i:05}_CCU CITRIX 2026.1201 31-dec-2030 10 VENDOR_STRING=;LT=Retail\n"
        ));
    }
    text
}

fn lmutil(args: &[&std::ffi::OsStr]) -> anyhow::Result<()> {
    let out = Command::new(env!("CARGO_BIN_EXE_lmutil"))
        .args(args)
        .output()
        .context("running lmutil")?;
    if !out.status.success() {
        bail!(
            "lmutil {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// A temporary root with `licenses/` (one signed file of `count` licenses
/// of each feature), `keys/` and `data/`.
pub fn prepare(count: u64) -> anyhow::Result<tempfile::TempDir> {
    prepare_with(count, 0)
}

/// [`prepare`], with `pools` more features of a pool each.
pub fn prepare_with(count: u64, pools: u64) -> anyhow::Result<tempfile::TempDir> {
    let root = tempfile::tempdir()?;
    let p = root.path();
    for d in ["licenses", "keys", "data"] {
        std::fs::create_dir(p.join(d))?;
    }
    let vendor = p.join("vendor");
    lmutil(&["lmcrypt".as_ref(), "--genkey".as_ref(), vendor.as_os_str()])?;
    std::fs::copy(vendor.join("vendor.pub"), p.join("keys/vendor.pub"))?;
    let lic = p.join("licenses/load.lic");
    std::fs::write(&lic, licenses(count, pools))?;
    let key = vendor.join("vendor.key");
    lmutil(&[
        "lmcrypt".as_ref(),
        "--key".as_ref(),
        key.as_os_str(),
        lic.as_os_str(),
    ])?;
    Ok(root)
}

/// A running server process.
pub struct Server {
    pub child: Child,
    /// Where products connect (the vendor daemon's port).
    pub port: u16,
    pub socket: PathBuf,
    /// The HTTP port (`/metrics`), for builds that have one.
    pub http_port: Option<u16>,
    /// From spawning to the ready line.
    pub ready_after: Duration,
    /// lmgrd's line on its recovery, when it said one.
    pub recovered: Option<String>,
}

impl Server {
    /// Starts lmgrd on `root` and waits for its ready line.
    pub fn lmgrd(root: &Path) -> anyhow::Result<Server> {
        Self::lmgrd_build(root, false)
    }

    /// Starts lmgrd as [`Server::lmgrd`] does; with `alternate`, the build
    /// LOADGEN_LMGRD_ALT names (to compare two builds on one store).
    pub fn lmgrd_build(root: &Path, alternate: bool) -> anyhow::Result<Server> {
        let socket = root.join("lmgrd.sock");
        // LOADGEN_LMGRD names another build to compare against this one.
        let var = if alternate {
            "LOADGEN_LMGRD_ALT"
        } else {
            "LOADGEN_LMGRD"
        };
        let bin = std::env::var_os(var).unwrap_or_else(|| env!("CARGO_BIN_EXE_lmgrd").into());
        let mut cmd = Command::new(bin);
        cmd.arg("--license-dir")
            .arg(root.join("licenses"))
            .arg("--keys-dir")
            .arg(root.join("keys"))
            .arg("--data-dir")
            .arg(root.join("data"))
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
            // By the environment: a build without an HTTP port ignores it.
            .env("LMGRD_HTTP_PORT", "0");
        let (child, line, ready_after, before) = spawn(cmd, "lmgrd: serving")?;
        let port = number_after(&line, "vendor daemon port ")?;
        Ok(Server {
            child,
            port,
            http_port: number_after(&line, "HTTP port ").ok(),
            socket,
            ready_after,
            recovered: before
                .into_iter()
                .find_map(|l| l.strip_prefix("lmgrd: ").map(str::to_owned))
                .filter(|l| l.starts_with("State recovered")),
        })
    }

    /// Starts the echo server (this program, re-run as `echo-server`).
    pub fn echo(threads: usize) -> anyhow::Result<Server> {
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.args(["echo-server", "--threads", &threads.to_string()]);
        let (child, line, ready_after, _) = spawn(cmd, "echo: serving")?;
        let port = number_after(&line, "port ")?;
        Ok(Server {
            child,
            port,
            socket: PathBuf::new(),
            http_port: None,
            ready_after,
            recovered: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// SIGKILL: a crash.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a server and waits for its `ready` line: the child, that line,
/// the time it took, and the lines said before it.
fn spawn(mut cmd: Command, ready: &str) -> anyhow::Result<(Child, String, Duration, Vec<String>)> {
    let t = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the server")?;
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut before = Vec::new();
    let line = lines.by_ref().map_while(Result::ok).find(|l| {
        let found = l.starts_with(ready);
        if !found {
            before.push(l.clone());
        }
        found
    });
    let ready_after = t.elapsed();
    let Some(line) = line else {
        let _ = child.wait();
        bail!("the server stopped before it was ready");
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Ok((child, line, ready_after, before))
}

fn number_after(line: &str, label: &str) -> anyhow::Result<u16> {
    let at = line.find(label).context("no port in the ready line")? + label.len();
    let digits: String = line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Ok(digits.parse()?)
}

/// What /proc says about a process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Proc {
    /// User plus system CPU time.
    pub cpu: Duration,
    pub rss_kib: u64,
    /// Peak resident memory.
    pub hwm_kib: u64,
    pub threads: u64,
    pub fds: u64,
}

/// Reads /proc/PID/stat and /proc/PID/status.
pub fn proc_of(pid: u32) -> Proc {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| -> u64 { fields.get(i).and_then(|f| f.parse().ok()).unwrap_or(0) };
    // utime and stime (fields 14 and 15 of the file), in USER_HZ = 100 ticks.
    let ticks = field(11) + field(12);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |key: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64);
    Proc {
        cpu: Duration::from_millis(ticks * 10),
        rss_kib: kib("VmRSS:"),
        hwm_kib: kib("VmHWM:"),
        threads: field(17),
        fds,
    }
}

/// The soft and hard limit on open files of a process, from /proc/PID/limits.
pub fn nofile_of(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/limits"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .map(|l| {
            let v: Vec<&str> = l.split_whitespace().collect();
            format!("soft {} hard {}", v[3], v[4])
        })
        .unwrap_or_else(|| "unknown".to_owned())
}
