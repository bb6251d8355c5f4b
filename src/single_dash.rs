//! FlexNet's tools spell long options with one dash (`-all`, `-vendor`,
//! `-help`). Before clap parses, such an argument is rewritten to `--all`,
//! and only for the long names the command declares, so that clap's short
//! option clusters (`-ab`) keep working. Shared by `lmgrd` and every
//! `lmutil` command.

use std::ffi::OsString;

/// `args` with `-name` rewritten to `--name` for every long option of `cmd`
/// (and `help`, `version`), up to a `--`.
pub fn rewrite(cmd: &clap::Command, args: Vec<OsString>) -> Vec<OsString> {
    let mut longs: Vec<&str> = cmd.get_arguments().filter_map(|a| a.get_long()).collect();
    longs.extend(["help", "version"]);
    let mut done = false;
    args.into_iter()
        .map(|arg| {
            if done {
                return arg;
            }
            let Some(s) = arg.to_str() else { return arg };
            if s == "--" {
                done = true;
                return arg;
            }
            match s.strip_prefix('-') {
                Some(name) if !name.starts_with('-') && name.len() > 1 && longs.contains(&name) => {
                    OsString::from(format!("--{name}"))
                }
                _ => arg,
            }
        })
        .collect()
}
