//! Starting, serving and stopping: recover the state, read the licenses,
//! bind every listener, serve until the shutdown future resolves (or a
//! thread of the daemon dies), then drain the sessions; the engine's owner
//! commits its last batch once the last one is gone.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::Serialize;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{Semaphore, watch};

use super::alerts::Alerts;
use super::config::Config;
use super::context::{Context, Parts};
use super::debuglog::{DebugLog, VENDOR, flexnet_date, print_out, say};
use super::http;
use super::licenses;
use super::listener;
use super::owner::{self, EngineHandle};
use super::threads::{self, Spawner};
use super::webhook::Webhooks;
use crate::license::HostIdentity;
use crate::store::Store;
use crate::version::BuildInfo;

/// What a running daemon reports about itself (the status file).
#[derive(Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Status {
    pub pid: u32,
    pub lm_port: u16,
    pub vendor_port: u16,
    pub http_port: u16,
    /// SHA-256 of the HTTPS port's certificate (`AB:CD:…`), for clients
    /// that pin it.
    #[serde(default)]
    pub https_fingerprint: String,
    /// The HTTPS port's certificate file.
    #[serde(default)]
    pub https_certificate: std::path::PathBuf,
    pub socket: std::path::PathBuf,
    pub license_dir: std::path::PathBuf,
    pub data_dir: std::path::PathBuf,
}

/// Runs the daemon until `shutdown` resolves or `lmdown` asks it to stop.
/// Returns the engine owner's thread, which ends (after its last commit)
/// once the last session is gone: join it after the runtime is dropped. An
/// error when the daemon cannot start, or when one of its threads died.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<JoinHandle<()>> {
    let config = Arc::new(config);
    let (spawner, mut deaths) = threads::watch();
    let c = config.clone();
    let opened = tokio::task::spawn_blocking(move || open(&c, &spawner))
        .await
        .context("starting the engine stopped")??;
    let reading = licenses::reread(&config, &opened.engine, &opened.log, None).await?;
    let lm = bind_tcp(&config, config.lm_port, "license manager", "--lm-port").await?;
    let vendor = bind_tcp(
        &config,
        config.vendor_port,
        "vendor daemon",
        "--vendor-port",
    )
    .await?;
    let http = bind_tcp(&config, config.http_port, "HTTP", "--http-port").await?;
    let tls = certificate(&config, &opened.host).await?;
    let control = bind_control(&config.socket).await?;
    let status = Status {
        pid: std::process::id(),
        lm_port: lm.local_addr()?.port(),
        vendor_port: vendor.local_addr()?.port(),
        http_port: http.local_addr()?.port(),
        https_fingerprint: tls.fingerprint.clone(),
        https_certificate: tls.cert.clone(),
        socket: config.socket.clone(),
        license_dir: config.license_dir.clone(),
        data_dir: config.data_dir.clone(),
    };
    let (listening, vendor_listening) = watch::channel(true);
    let (drain, draining) = watch::channel(false);
    let ctx = Context::new(Parts {
        engine: opened.engine,
        config: config.clone(),
        log: opened.log,
        vendor_listening,
        host: opened.host,
        ports: (status.lm_port, status.vendor_port),
        http_port: status.http_port,
        licenses: reading,
        draining,
    });
    announce(&ctx, &status).await?;
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let metrics = http::router(ctx.clone());
    let secure = http::Secure {
        acceptor: tokio_rustls::TlsAcceptor::from(tls.config.clone()),
        routes: metrics
            .clone()
            .merge(super::api::routes(ctx.clone()))
            .merge(super::login::routes(ctx.clone()))
            .merge(super::console::routes())
            // Every route's bodies are bounded (a route may set its own).
            .layer(axum::extract::DefaultBodyLimit::max(http::MAX_BODY))
            .layer(axum::middleware::from_fn_with_state(
                ctx.clone(),
                super::login::guard,
            )),
    };
    let plain = http::plain(metrics);
    let died = tokio::select! {
        () = listener::serve(&lm, &ctx, &slots) => None,
        () = listener::serve_vendor_port(vendor, listening, &ctx, &slots) => None,
        () = listener::serve(&control, &ctx, &slots) => None,
        () = http::serve(http, plain, secure) => None,
        () = shutdown => None,
        () = ctx.stop.notified() => None,
        why = deaths.next() => Some(why),
    };
    let line = "lmgrd will now shut down all the vendor daemons".to_owned();
    ctx.say("lmgrd", line).await;
    drain_sessions(&ctx, &drain, &slots).await;
    let _ = std::fs::remove_file(&config.socket);
    let _ = std::fs::remove_file(config.status_file());
    if let Some(why) = died {
        ctx.say("lmgrd", format!("Stopping: {why}")).await;
        bail!("{why}");
    }
    Ok(opened.owner)
}

/// What start-up opened: the log, the recovered engine and its owner.
struct Opened {
    log: Arc<Mutex<DebugLog>>,
    engine: EngineHandle,
    owner: JoinHandle<()>,
    host: String,
}

/// Prepares the directories, opens the debug log and the store, recovers
/// the engine and starts its threads (blocking: recovery takes seconds).
fn open(config: &Config, threads: &Spawner) -> anyhow::Result<Opened> {
    prepare_dirs(config)?;
    let log = DebugLog::open(&config.log)
        .with_context(|| format!("cannot open the debug log {}", config.log.display()))?;
    let log = Arc::new(Mutex::new(log));
    let (store, check) = Store::open_checked_aside(&config.state_db())?;
    let host = HostIdentity::current().context("cannot read this host's IDs")?;
    let webhooks = Webhooks::start(&config.webhooks, host.hostname.clone(), log.clone())?;
    let alerts = Alerts::open(&config.data_dir, log.clone(), webhooks);
    let (engine, owner) = owner::start(store, check, log.clone(), threads, alerts)?;
    let started = format!(
        "{} started on {} ({}) ({})",
        BuildInfo::current()
            .line()
            .replacen("lmutil", "lmutil lmgrd", 1),
        host.hostname,
        std::env::consts::OS,
        flexnet_date(chrono::Local::now().date_naive())
    );
    say(&log, "lmgrd", &started);
    let files = config.license_dir.join("*.lic");
    say(
        &log,
        "lmgrd",
        &format!("License file(s): {}", files.display()),
    );
    Ok(Opened {
        log,
        engine,
        owner,
        host: host.hostname,
    })
}

/// The HTTPS port's certificate: the configured one, or the data
/// directory's self-signed pair (made at the first start).
async fn certificate(config: &Arc<Config>, host: &str) -> anyhow::Result<super::tls::Tls> {
    let config = config.clone();
    let names = vec![
        host.to_owned(),
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
    ];
    let made = tokio::task::spawn_blocking(move || {
        let given = (config.tls_cert.as_deref(), config.tls_key.as_deref());
        super::tls::load_or_make(given, &config.data_dir, &names)
    });
    Ok(made
        .await
        .context("making the HTTPS certificate stopped")??)
}

/// Writes the status file, then says where the daemon serves.
async fn announce(ctx: &Context, status: &Status) -> anyhow::Result<()> {
    write_status(&ctx.config, status)?;
    let lm = format!("lmgrd tcp-port {}", status.lm_port);
    ctx.say("lmgrd", lm).await;
    let vendor = format!(
        "Started {VENDOR} (internet tcp_port {} pid {})",
        status.vendor_port, status.pid
    );
    ctx.say("lmgrd", vendor).await;
    let config = &ctx.config;
    print_out(&format!(
        "lmgrd: serving; license manager port {}, CITRIX vendor daemon port {}, HTTP port {} \
         (HTTPS certificate SHA-256 {}), control socket {}, licenses {}, keys {}, state {}",
        status.lm_port,
        status.vendor_port,
        status.http_port,
        status.https_fingerprint,
        config.socket.display(),
        config.license_dir.display(),
        config.keys_dir.display(),
        config.state_db().display()
    ));
    Ok(())
}

/// Tells every session to finish the request in hand and close, and waits
/// (at most a frame timeout and a second) until they have: their answers
/// are sent before the engine's owner and the store close.
async fn drain_sessions(ctx: &Context, drain: &watch::Sender<bool>, slots: &Semaphore) {
    drain.send_replace(true);
    let all = u32::try_from(ctx.config.max_connections).unwrap_or(u32::MAX);
    let limit = Duration::from_secs(ctx.config.frame_timeout) + Duration::from_secs(1);
    let _ = tokio::time::timeout(limit, slots.acquire_many(all)).await;
}

/// Makes the data and keys directories (a fresh install has neither) and
/// the socket's directory. The license directory is not made: one that
/// does not exist is a mistyped path or a missing install step, and a
/// server that serves nothing without saying why helps nobody.
fn prepare_dirs(config: &Config) -> anyhow::Result<()> {
    for dir in [&config.data_dir, &config.keys_dir] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let licenses = &config.license_dir;
    if !licenses.is_dir() {
        bail!(
            "the license directory {} does not exist (or is not a directory): create it and put \
             the license files (*.lic) there, or name another one with --license-dir",
            licenses.display()
        );
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
