//! Starting, serving and stopping: bind every listener, recover the state,
//! serve until the shutdown future resolves, then drain and flush.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use serde::Serialize;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Semaphore;

use super::config::Config;
use super::conn::{Caller, Shared, serve};
use super::debuglog::{DebugLog, VENDOR, flexnet_date};
use super::owner::{self, EngineHandle, now};
use crate::engine::{PoolSpec, Request, types::day_of};
use crate::license::{HostIdentity, Keyring, inventory, load::load_dir};
use crate::store::Store;
use crate::version::BuildInfo;

/// The longest pause between two attempts to accept after an error (such
/// as running out of file descriptors).
const MAX_ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_secs(1);

/// What a running daemon reports about itself (the status file).
#[derive(Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Status {
    pub pid: u32,
    pub lm_port: u16,
    pub vendor_port: u16,
    pub socket: std::path::PathBuf,
    pub license_dir: std::path::PathBuf,
    pub data_dir: std::path::PathBuf,
}

/// Runs the daemon until `shutdown` resolves.
/// Returns the engine owner's thread, which ends (after its last commit)
/// once the runtime has dropped every connection: join it after that.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    prepare_dirs(&config)?;
    let log = DebugLog::open(&config.log)
        .with_context(|| format!("cannot open the debug log {}", config.log.display()))?;
    let log = Arc::new(Mutex::new(log));
    let (store, check) = Store::open_checked_aside(&config.state_db())?;
    let (engine, owner_thread) = owner::start(store, check, log.clone())?;
    let host = HostIdentity::current().context("cannot read this host's IDs")?;
    say(
        &log,
        "lmgrd",
        &format!(
            "{} started on {} ({}) ({})",
            BuildInfo::current()
                .line()
                .replacen("lmutil", "lmutil lmgrd", 1),
            host.hostname,
            std::env::consts::OS,
            flexnet_date(chrono::Local::now().date_naive())
        ),
    );
    say(
        &log,
        "lmgrd",
        &format!(
            "License file(s): {}",
            config.license_dir.join("*.lic").display()
        ),
    );
    reread(&config, &engine, &log).await?;

    let lm = bind_tcp(&config, config.lm_port, "license manager", "--lm-port").await?;
    let vendor = bind_tcp(
        &config,
        config.vendor_port,
        "vendor daemon",
        "--vendor-port",
    )
    .await?;
    let control = bind_control(&config.socket).await?;
    let status = Status {
        pid: std::process::id(),
        lm_port: lm.local_addr()?.port(),
        vendor_port: vendor.local_addr()?.port(),
        socket: config.socket.clone(),
        license_dir: config.license_dir.clone(),
        data_dir: config.data_dir.clone(),
    };
    write_status(&config, &status)?;
    say(&log, "lmgrd", &format!("lmgrd tcp-port {}", status.lm_port));
    say(
        &log,
        "lmgrd",
        &format!(
            "Started {VENDOR} (internet tcp_port {} pid {})",
            status.vendor_port, status.pid
        ),
    );
    println!(
        "lmgrd: serving; license manager port {}, CITRIX vendor daemon port {}, control socket {}, \
         licenses {}, keys {}, state {}",
        status.lm_port,
        status.vendor_port,
        config.socket.display(),
        config.license_dir.display(),
        config.keys_dir.display(),
        config.state_db().display()
    );

    let stop = Arc::new(tokio::sync::Notify::new());
    let (listening, vendor_listening) = tokio::sync::watch::channel(true);
    let shared = Shared {
        engine,
        config: Arc::new(config.clone()),
        log: log.clone(),
        stop: stop.clone(),
        vendor_up: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        vendor_changed: Arc::new(tokio::sync::Notify::new()),
        vendor_listening,
        owner_uid: nix::unistd::geteuid().as_raw(),
        ports: (status.lm_port, status.vendor_port),
    };
    let limit = Arc::new(Semaphore::new(config.max_connections));
    tokio::select! {
        () = accept_tcp(&lm, shared.clone(), limit.clone()) => {}
        () = serve_vendor_port(vendor, listening, shared.clone(), limit.clone()) => {}
        () = accept_unix(control, shared.clone(), limit) => {}
        () = shutdown => {}
        () = stop.notified() => {}
    }
    drop(shared);
    say(
        &log,
        "lmgrd",
        "lmgrd will now shut down all the vendor daemons",
    );
    let _ = std::fs::remove_file(&config.socket);
    let _ = std::fs::remove_file(config.status_file());
    Ok(owner_thread)
}

fn prepare_dirs(config: &Config) -> anyhow::Result<()> {
    for dir in [&config.data_dir, &config.license_dir] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    if let Some(parent) = config.socket.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let probe = config.data_dir.join(".writable");
    std::fs::write(&probe, b"").with_context(|| {
        format!(
            "the data directory {} is not writable",
            config.data_dir.display()
        )
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// The license directory as read now: files, what was skipped, the status
/// of every line on this host, and this host's IDs.
pub(crate) struct Reading {
    pub files: Vec<crate::license::LoadedFile>,
    pub skipped: Vec<crate::license::load::Skipped>,
    pub inv: crate::license::Inventory,
    pub host: HostIdentity,
}

pub(crate) fn read_licenses(config: &Config) -> anyhow::Result<Reading> {
    let (files, skipped) = load_dir(&config.license_dir).with_context(|| {
        format!(
            "cannot read the license directory {}",
            config.license_dir.display()
        )
    })?;
    let keys = Keyring::load_dir(&config.keys_dir)?;
    let host = HostIdentity::current().context("cannot read this host's IDs")?;
    let inv = inventory(&files, VENDOR, &host, &keys, day_of(now()));
    Ok(Reading {
        files,
        skipped,
        inv,
        host,
    })
}

/// Reads `CITRIX.opt` from the license directory; a bad line is reported
/// with its line and column and skipped. No file: no options.
fn read_options(config: &Config, log: &Mutex<DebugLog>) -> crate::options::Options {
    let path = config.license_dir.join(crate::options::FILE_NAME);
    let text = match read_options_text(&config.license_dir, &path) {
        Ok(Some(text)) => text,
        Ok(None) => return crate::options::Options::default(),
        Err(reason) => {
            let line = format!("Not using options file \"{}\": {reason}", path.display());
            say(log, VENDOR, &line);
            return crate::options::Options::default();
        }
    };
    let parsed = crate::options::parse(&text);
    say(
        log,
        VENDOR,
        &format!("Using options file: \"{}\"", path.display()),
    );
    let errors = parsed
        .errors
        .iter()
        .map(|e| format!("{}:{e}", path.display()));
    say_some(log, &path, errors, ": line ignored");
    let warnings = parsed
        .warnings
        .iter()
        .map(|w| format!("{}:{w}", path.display()));
    say_some(log, &path, warnings, "");
    parsed.options
}

/// The largest options file read.
const MAX_OPTIONS_LEN: u64 = 1024 * 1024;

/// The options file's text: `None` when there is none; an error when it
/// cannot serve (too large, a link out of the directory, unreadable).
/// Bytes that are not UTF-8 are replaced, so the parser reports the line.
fn read_options_text(dir: &Path, path: &Path) -> Result<Option<String>, String> {
    use std::io::Read;
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    crate::license::load::stays_inside(dir, path)?;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_OPTIONS_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_OPTIONS_LEN {
        return Err(format!("it is larger than {MAX_OPTIONS_LEN} bytes"));
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// The most problems of one file the log shows; lmdiag lists them all.
const MAX_LOGGED_PER_FILE: usize = 20;

/// Logs the first problems of a file, each with `suffix`, then how many
/// more there are: a binary or mangled file costs a few lines, not one per
/// byte.
fn say_some(
    log: &Mutex<DebugLog>,
    path: &Path,
    problems: impl ExactSizeIterator<Item = String>,
    suffix: &str,
) {
    let total = problems.len();
    for p in problems.take(MAX_LOGGED_PER_FILE) {
        say(log, VENDOR, &format!("{p}{suffix}"));
    }
    if total > MAX_LOGGED_PER_FILE {
        let more = total - MAX_LOGGED_PER_FILE;
        let line = format!(
            "{}: {more} more problems not shown (lmdiag lists every one)",
            path.display()
        );
        say(log, VENDOR, &line);
    }
}

/// Writes a line to the debug log and to standard output.
pub(crate) fn say(log: &Mutex<DebugLog>, daemon: &str, message: &str) {
    println!("{daemon}: {message}");
    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
    log.line(now(), daemon, message);
    log.flush();
}

/// Reads the license directory and hands the effective pools to the engine;
/// says in the log what is not served and why.
pub async fn reread(
    config: &Config,
    engine: &EngineHandle,
    log: &Mutex<DebugLog>,
) -> anyhow::Result<()> {
    let Reading {
        files,
        skipped,
        inv,
        host,
    } = read_licenses(config)?;
    for s in &skipped {
        say(
            log,
            VENDOR,
            &format!("Not loading {}: {}", s.path.display(), s.reason),
        );
    }
    for f in &files {
        let errors = f
            .parsed
            .errors
            .iter()
            .map(|e| format!("{}:{e}", f.path.display()));
        say_some(log, &f.path, errors, "");
    }
    for l in &inv.lines {
        if let Some((code, reason)) = l.status.reason() {
            let at = format!("{}:{}", l.at.file.display(), l.at.line);
            let feature = &l.line.feature;
            say(
                log,
                VENDOR,
                &format!("{at}: \"{feature}\" not served: {reason} ({code})"),
            );
        }
    }
    let features: Vec<&str> = inv.pools.iter().map(|p| p.key.feature.as_str()).collect();
    let started = format!(
        "Server started on {} for:\t{}",
        host.hostname,
        features.join(" ")
    );
    say(log, VENDOR, &started);
    let options = read_options(config, log);
    engine
        .handle(Request::SetOptions(options))
        .await
        .map_err(anyhow::Error::msg)?;
    let pools = PoolSpec::from_inventory(&inv);
    engine
        .handle(Request::Reread { pools })
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(())
}

async fn bind_tcp(
    config: &Config,
    port: u16,
    what: &str,
    flag: &str,
) -> anyhow::Result<TcpListener> {
    let addr = SocketAddr::new(config.bind, port);
    TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::anyhow!(
                "the {what} port {port} is in use (another lmgrd?); choose another with {flag}"
            )
        } else {
            anyhow::anyhow!("cannot listen on {addr} for the {what}: {e}")
        }
    })
}

/// Binds the control socket: refuses when a live daemon answers on it,
/// removes it when stale, and makes it group-accessible only (0660). It is
/// created under lmgrd's umask (owner only) and only then opened to the
/// group, so it is never wider than 0660.
async fn bind_control(path: &Path) -> anyhow::Result<UnixListener> {
    if path.exists() {
        if tokio::net::UnixStream::connect(path).await.is_ok() {
            bail!("another lmgrd is running: it answers on {}", path.display());
        }
        std::fs::remove_file(path)
            .with_context(|| format!("cannot remove the stale socket {}", path.display()))?;
    }
    let listener = UnixListener::bind(path)
        .with_context(|| format!("cannot create the control socket {}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    Ok(listener)
}

fn write_status(config: &Config, status: &Status) -> anyhow::Result<()> {
    let path = config.status_file();
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(status)?)?;
    std::fs::rename(&tmp, &path)?;
    Ok(())
}

/// The vendor daemon's port: open while the vendor daemon runs, closed
/// while `lmdown -vendor` has stopped it (so that port checks and products
/// see it down, as with FlexNet), bound again to the same port by
/// `lmreread -vendor`. Connections already open stay, and are refused -97.
async fn serve_vendor_port(
    listener: TcpListener,
    listening: tokio::sync::watch::Sender<bool>,
    shared: Shared,
    limit: Arc<Semaphore>,
) {
    let Ok(addr) = listener.local_addr() else {
        return accept_tcp(&listener, shared, limit).await;
    };
    let mut listener = Some(listener);
    loop {
        let up = shared.vendor_up.load(std::sync::atomic::Ordering::SeqCst);
        match (&listener, up) {
            (Some(l), true) => tokio::select! {
                () = accept_tcp(l, shared.clone(), limit.clone()) => return,
                () = shared.vendor_changed.notified() => {}
            },
            (Some(_), false) => {
                listener = None;
                listening.send_replace(false);
            }
            (None, true) => match TcpListener::bind(addr).await {
                Ok(l) => {
                    listener = Some(l);
                    listening.send_replace(true);
                }
                Err(e) => {
                    let message = format!("cannot listen on {addr} again for {VENDOR}: {e}");
                    say(&shared.log, "lmgrd", &message);
                    shared.vendor_changed.notified().await;
                }
            },
            (None, false) => shared.vendor_changed.notified().await,
        }
    }
}

async fn accept_tcp(listener: &TcpListener, shared: Shared, limit: Arc<Semaphore>) {
    let mut backoff = Backoff::default();
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                backoff.succeeded();
                // Past the cap, the accepted connection waits here for a
                // slot (and the others for this one in the kernel's queue).
                let Ok(permit) = limit.clone().acquire_owned().await else {
                    return;
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                tokio::spawn(async move {
                    serve(stream, shared, Caller::Remote, addr.to_string()).await;
                    drop(permit);
                });
            }
            Err(e) => backoff.failed(&shared, &e).await,
        }
    }
}

async fn accept_unix(listener: UnixListener, shared: Shared, limit: Arc<Semaphore>) {
    let mut backoff = Backoff::default();
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                backoff.succeeded();
                let Ok(permit) = limit.clone().acquire_owned().await else {
                    return;
                };
                // The operating system says who is calling; nothing else counts.
                let Ok(cred) = stream.peer_cred() else {
                    continue;
                };
                let caller = Caller::local(cred.uid());
                let peer = format!("the control socket (uid {})", cred.uid());
                let shared = shared.clone();
                tokio::spawn(async move {
                    serve(stream, shared, caller, peer).await;
                    drop(permit);
                });
            }
            Err(e) => backoff.failed(&shared, &e).await,
        }
    }
}

/// Accept errors (out of file descriptors, out of memory) back off,
/// doubling up to a second, and are logged once a run, not once a try.
#[derive(Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    fn succeeded(&mut self) {
        self.failures = 0;
    }

    async fn failed(&mut self, shared: &Shared, e: &std::io::Error) {
        if self.failures == 0 {
            say(
                &shared.log,
                "lmgrd",
                &format!("Cannot accept connections: {e}; retrying"),
            );
        }
        self.failures = self.failures.saturating_add(1);
        let pause = std::time::Duration::from_millis(10)
            .saturating_mul(1 << self.failures.min(7))
            .min(MAX_ACCEPT_BACKOFF);
        tokio::time::sleep(pause).await;
    }
}
