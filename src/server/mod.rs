//! lmgrd: the license manager and the CITRIX vendor daemon in one process.
//!
//! For now it parses its command line and prints its version; the listeners,
//! sessions and durable state come with the daemon itself.

use std::ffi::OsString;

use crate::version::BuildInfo;

/// lmgrd's command line, for parsing, completions and the man page.
pub fn command() -> clap::Command {
    clap::Command::new("lmgrd")
        .about("License server daemon: license manager and CITRIX vendor daemon")
        .disable_version_flag(true)
        .arg(
            clap::Arg::new("version")
                .short('v')
                .long("version")
                .action(clap::ArgAction::SetTrue)
                .help("Print the version and exit"),
        )
}

/// Runs lmgrd with `args` (program name first); returns the exit status.
pub fn main(args: Vec<OsString>) -> i32 {
    let cmd = command();
    let args = crate::cli::rewrite_single_dash(&cmd, args);
    let matches = match cmd.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let info = BuildInfo::current();
    if matches.get_flag("version") {
        println!("lmgrd - Copyright (c) 2026 The lmutil Authors. All Rights Reserved.");
        println!("{}", info.line().replacen("lmutil", "lmgrd", 1));
        return 0;
    }
    eprintln!("lmgrd: the daemon is not part of this build yet; `lmgrd -v` prints its version");
    1
}
