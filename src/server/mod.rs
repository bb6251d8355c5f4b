//! lmgrd: the license manager and the CITRIX vendor daemon in one process.

mod alerts;
pub mod api;
mod authz;
mod clock;
pub mod config;
pub mod console;
mod context;
pub mod daemon;
pub mod debuglog;
mod failpoint;
mod handlers;
mod http;
pub mod install;
mod licenses;
mod listener;
mod login;
mod logins;
mod metrics;
pub mod owner;
mod session;
mod threads;
pub mod tls;
mod tokens;
mod views;
pub mod webhook;

use std::ffi::OsString;

use crate::version::BuildInfo;

/// lmgrd's command line, for parsing, completions and the man page.
pub fn command() -> clap::Command {
    clap::Command::new("lmgrd")
        .about("License server daemon: license manager and CITRIX vendor daemon")
        .long_about(
            "License server daemon: license manager and CITRIX vendor daemon. \
             Runs in the foreground; stops on SIGTERM or SIGINT. With no arguments \
             it serves the platform's default directories on ports 27000, 7279 and 8083 (HTTP: /metrics).",
        )
        .disable_version_flag(true)
        .args_override_self(true)
        .arg(
            clap::Arg::new("version")
                .short('v')
                .long("version")
                .action(clap::ArgAction::SetTrue)
                .help("Print the version and exit"),
        )
        .args(config::args())
}

/// Runs lmgrd with `args` (program name first); returns the exit status.
pub fn main(args: Vec<OsString>) -> i32 {
    let cmd = command();
    let args = crate::single_dash::rewrite(&cmd, args);
    let matches = match cmd.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    if matches.get_flag("version") {
        debuglog::print_out("lmgrd - Copyright (c) 2026 The lmutil Authors. All Rights Reserved.");
        debuglog::print_out(&BuildInfo::current().line().replacen("lmutil", "lmgrd", 1));
        return 0;
    }
    // The config file sits between the environment and the defaults: its
    // settings are parsed first, then flags and environment override them.
    let matches = match config::config_file(&matches) {
        None => matches,
        Some(path) => match config::read_file(&path) {
            Err(e) => {
                eprintln!("lmgrd: {e}");
                return 2;
            }
            Ok(settings) => match with_file(&matches, &settings) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("lmgrd: {}: {e}", path.display());
                    return 2;
                }
            },
        },
    };
    let config = config::from_matches(&matches);
    // Everything lmgrd creates (state database, debug log, status file) is
    // its owner's alone; the control socket is then opened to its group.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    raise_open_files();
    small_pages();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("lmgrd: cannot start the runtime: {e}");
            return 1;
        }
    };
    let result = runtime.block_on(daemon::run(config, shutdown_signal()));
    // Dropping the runtime closes every connection; the engine's owner then
    // commits its last batch and ends.
    drop(runtime);
    match result {
        Ok(owner) => {
            let _ = owner.join();
            debuglog::print_out("lmgrd: stopped");
            0
        }
        Err(e) => {
            eprintln!("lmgrd: {e:#}");
            1
        }
    }
}

/// Reparses with the file's settings as defaults: a setting the command line
/// or environment gave keeps that value.
fn with_file(
    m: &clap::ArgMatches,
    settings: &[(String, String)],
) -> Result<clap::ArgMatches, clap::Error> {
    use clap::parser::ValueSource;
    let explicit = |key: &str| {
        matches!(
            m.value_source(key),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        )
    };
    let from_file: Vec<(String, String)> = settings
        .iter()
        .filter(|(k, _)| !explicit(k))
        .cloned()
        .collect();
    let mut args: Vec<OsString> = vec!["lmgrd".into()];
    args.extend(config::file_args(&from_file));
    let file_matches = command().try_get_matches_from(args)?;
    // Command line and environment first, then the file, then defaults.
    let mut merged: Vec<OsString> = vec!["lmgrd".into()];
    for arg in command().get_arguments() {
        let id = arg.get_id().as_str();
        let source = if explicit(id) { m } else { &file_matches };
        if arg.get_action().takes_values() {
            if let Some(v) = source.get_raw(id).and_then(|mut v| v.next()) {
                let mut flag = OsString::from(format!("--{id}="));
                flag.push(v);
                merged.push(flag);
            }
        } else if source.get_flag(id) {
            merged.push(format!("--{id}").into());
        }
    }
    command().try_get_matches_from(merged)
}

/// Every connection is an open file: lift the soft limit on open files to
/// the hard one (often 1,024 against 65,536 or more), as servers do. The
/// hard limit is the administrator's (systemd's LimitNOFILE=).
fn raise_open_files() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
        && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_err()
    {
        eprintln!("lmgrd: cannot raise the open-file limit from {soft} to {hard}");
    }
}

/// No transparent huge pages for lmgrd. The allocator asks for them, and
/// the first write to each one clears 2 MiB inside whichever request
/// touched it: 6–7 ms of one checkout on a virtual machine, with every
/// request queued behind it waiting as long (docs/performance.md). With
/// 4 KiB pages that cost is spread over the requests that grow the state.
fn small_pages() {
    #[cfg(target_os = "linux")]
    if let Err(e) = nix::sys::prctl::set_thp_disable(true) {
        eprintln!("lmgrd: cannot turn off transparent huge pages: {e}");
    }
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
