//! Where lmgrd keeps things and which ports it serves.
//!
//! Precedence, for every setting: command-line flag > environment variable
//! (`LMGRD_*`) > the config file > the platform's conventional directories
//! (XDG on Linux, via the `directories` crate) > a fixed fallback under
//! /var/lib/lmutil.
//!
//! The config file is `lmgrd.conf` in the platform's config directory, or
//! the one `--config` / `LMGRD_CONFIG` names: `name = value` lines with the
//! flags' long names (`lm-port = 27000`, `license-dir = /etc/lmutil/licenses`),
//! `#` comments, values optionally in double quotes. An unknown name or a
//! bad value is an error naming the file and line.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Arg, ArgMatches};

use crate::paths::{HTTP_PORT, LM_PORT, PlatformDirs, VENDOR_PORT};

/// The daemon's resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub license_dir: PathBuf,
    pub keys_dir: PathBuf,
    pub data_dir: PathBuf,
    pub socket: PathBuf,
    pub bind: IpAddr,
    /// 0 picks a free port; the chosen one is printed and written to the status file.
    pub lm_port: u16,
    pub vendor_port: u16,
    /// The HTTP port (`/metrics`); 0 picks a free one.
    pub http_port: u16,
    /// Seconds between the heartbeats products send.
    pub heartbeat_interval: u64,
    /// The debug log, in FlexNet's format.
    pub log: PathBuf,
    /// Whether `lmdown` may stop the server (off by default).
    pub allow_lmdown: bool,
    /// Seconds a connection may stay silent between requests before it is
    /// closed (half-open and abandoned connections end this way).
    pub idle_timeout: u64,
    /// Seconds a peer has to send a whole frame once it started one, and
    /// to take an answer (slow or stalled peers end this way).
    pub frame_timeout: u64,
    /// Most connections served at once; more wait to be accepted.
    pub max_connections: usize,
}

impl Config {
    pub fn state_db(&self) -> PathBuf {
        self.data_dir.join("state.db")
    }

    pub fn status_file(&self) -> PathBuf {
        self.data_dir.join(crate::paths::STATUS_FILE_NAME)
    }
}

fn path_arg(name: &'static str, env: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .env(env)
        .value_name("PATH")
        .value_parser(clap::value_parser!(PathBuf))
        .help(help)
}

fn port_arg(name: &'static str, env: &'static str, default: u16, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .env(env)
        .value_name("PORT")
        .default_value(default.to_string())
        .value_parser(clap::value_parser!(u16))
        .help(help)
}

/// The names a config file may set: every flag but `--config`.
const FILE_KEYS: [&str; 15] = [
    "license-dir",
    "keys-dir",
    "data-dir",
    "socket",
    "log",
    "lm-port",
    "vendor-port",
    "http-port",
    "bind",
    "allow-lmdown",
    "heartbeat-interval",
    "idle-timeout",
    "frame-timeout",
    "max-connections",
    "config",
];

/// Reads a config file into `name -> value`.
pub fn read_file(path: &std::path::Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("{}:{}", path.display(), n + 1);
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("{}: expected `name = value`", at()))?;
        let key = key.trim();
        if !FILE_KEYS[..FILE_KEYS.len() - 1].contains(&key) {
            return Err(format!(
                "{}: unknown setting `{key}` (expected one of {})",
                at(),
                FILE_KEYS[..FILE_KEYS.len() - 1].join(", ")
            ));
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        out.push((key.to_owned(), value.to_owned()));
    }
    Ok(out)
}

/// The config file to read: `--config`/`LMGRD_CONFIG`, else `lmgrd.conf`
/// in the platform's config directory when it exists.
pub fn config_file(m: &ArgMatches) -> Option<PathBuf> {
    match m.get_one::<PathBuf>("config") {
        Some(p) => Some(p.clone()),
        None => Some(PlatformDirs::current().config.join("lmgrd.conf")).filter(|p| p.exists()),
    }
}

/// Turns config-file settings into flags placed before the command line's
/// own, so that flags and environment variables still win.
pub fn file_args(settings: &[(String, String)]) -> Vec<std::ffi::OsString> {
    let mut out = Vec::new();
    for (key, value) in settings {
        if key == "allow-lmdown" {
            if matches!(value.as_str(), "true" | "yes" | "on" | "1") {
                out.push(format!("--{key}").into());
            }
        } else {
            out.push(format!("--{key}={value}").into());
        }
    }
    out
}

/// The configuration flags of `lmgrd`.
pub fn args() -> Vec<Arg> {
    vec![
        path_arg(
            "config",
            "LMGRD_CONFIG",
            "Config file (default: lmgrd.conf in the platform's config directory)",
        ),
        path_arg(
            "license-dir",
            "LMGRD_LICENSE_DIR",
            "Directory of *.lic files and CITRIX.opt",
        ),
        path_arg(
            "keys-dir",
            "LMGRD_KEYS_DIR",
            "Directory of trusted vendor public keys (*.pub)",
        ),
        path_arg(
            "data-dir",
            "LMGRD_DATA_DIR",
            "Directory of the state database and status file",
        ),
        path_arg(
            "socket",
            "LMGRD_SOCKET",
            "Control socket for the local admin tools",
        ),
        path_arg(
            "log",
            "LMGRD_LOG",
            "Debug log in FlexNet's format (default: DATA_DIR/debug.log)",
        ),
        port_arg(
            "lm-port",
            "LMGRD_LM_PORT",
            LM_PORT,
            "License manager TCP port (0: any free port)",
        ),
        port_arg(
            "vendor-port",
            "LMGRD_VENDOR_PORT",
            VENDOR_PORT,
            "CITRIX vendor daemon TCP port (0: any free port)",
        ),
        port_arg(
            "http-port",
            "LMGRD_HTTP_PORT",
            HTTP_PORT,
            "HTTP port: Prometheus metrics at /metrics (0: any free port)",
        ),
        Arg::new("bind")
            .long("bind")
            .env("LMGRD_BIND")
            .value_name("ADDR")
            .default_value("0.0.0.0")
            .value_parser(clap::value_parser!(IpAddr))
            .help("Address the TCP ports listen on"),
        Arg::new("allow-lmdown")
            .long("allow-lmdown")
            .env("LMGRD_ALLOW_LMDOWN")
            .action(clap::ArgAction::SetTrue)
            .help("Let an admin stop the server (or its vendor daemon) with lmdown"),
        Arg::new("heartbeat-interval")
            .long("heartbeat-interval")
            .env("LMGRD_HEARTBEAT_INTERVAL")
            .value_name("SECONDS")
            .default_value("300")
            .value_parser(clap::value_parser!(u64).range(1..))
            .help("Seconds between product heartbeats"),
        Arg::new("idle-timeout")
            .long("idle-timeout")
            .env("LMGRD_IDLE_TIMEOUT")
            .value_name("SECONDS")
            .value_parser(clap::value_parser!(u64).range(1..))
            .help("Close a connection silent this long (default: 3 heartbeat intervals)"),
        Arg::new("frame-timeout")
            .long("frame-timeout")
            .env("LMGRD_FRAME_TIMEOUT")
            .value_name("SECONDS")
            .default_value("30")
            .value_parser(clap::value_parser!(u64).range(1..))
            .help("Close a connection that takes longer to send a request or read an answer"),
        Arg::new("max-connections")
            .long("max-connections")
            .env("LMGRD_MAX_CONNECTIONS")
            .value_name("N")
            .default_value("65536")
            .value_parser(clap::value_parser!(usize))
            .help("Most connections served at once; more wait to be accepted"),
    ]
}

/// Resolves the configuration from parsed flags (and their environment).
pub fn from_matches(m: &ArgMatches) -> Config {
    let dirs = PlatformDirs::current();
    let path =
        |name: &str, default: PathBuf| m.get_one::<PathBuf>(name).cloned().unwrap_or(default);
    let data_dir = path("data-dir", dirs.data.clone());
    let heartbeat_interval = *m
        .get_one::<u64>("heartbeat-interval")
        .expect("has a default");
    Config {
        license_dir: path("license-dir", dirs.config.join("licenses")),
        keys_dir: path("keys-dir", dirs.config.join("keys")),
        log: path("log", data_dir.join("debug.log")),
        data_dir,
        socket: path("socket", dirs.socket()),
        bind: *m.get_one::<IpAddr>("bind").expect("has a default"),
        lm_port: *m.get_one::<u16>("lm-port").expect("has a default"),
        vendor_port: *m.get_one::<u16>("vendor-port").expect("has a default"),
        http_port: *m.get_one::<u16>("http-port").expect("has a default"),
        heartbeat_interval,
        allow_lmdown: m.get_flag("allow-lmdown"),
        idle_timeout: m
            .get_one::<u64>("idle-timeout")
            .copied()
            .unwrap_or(heartbeat_interval.saturating_mul(3)),
        frame_timeout: *m.get_one::<u64>("frame-timeout").expect("has a default"),
        max_connections: (*m
            .get_one::<usize>("max-connections")
            .expect("has a default"))
        .max(1),
    }
}
