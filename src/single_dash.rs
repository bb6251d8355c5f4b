//! FlexNet's tools spell long options with one dash (`-all`, `-vendor`,
//! `-help`). Before clap parses, such an argument is rewritten to `--all`,
//! and only for the long names the command declares, so that clap's short
//! option clusters (`-ab`) keep working. Shared by `lmgrd` and every
//! `lmutil` command.
//!
//! A one-dash word that is neither a declared long name nor a cluster of
//! the command's short options (`lmhostid -vsn`, an option of FlexNet's
//! this implementation does not have) is named whole by [`unknown`], so
//! the error says `-vsn`, not the `-v` clap would stop at.

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

/// The first argument (up to a `--`) that is a one-dash word of two or
/// more letters and neither a long name of `cmd` (rewritten by [`rewrite`]
/// first) nor a cluster of its short options: short flags, possibly ending
/// with one that takes a value (`-nq`, `-t10`). A value given to the
/// option before it is not looked at.
pub fn unknown(cmd: &clap::Command, args: &[OsString]) -> Option<String> {
    let mut value_next = false;
    for arg in args {
        let Some(s) = arg.to_str() else {
            value_next = false;
            continue;
        };
        if std::mem::take(&mut value_next) || s == "--" {
            if s == "--" {
                return None;
            }
            continue;
        }
        if let Some(long) = s.strip_prefix("--") {
            let name = long.split('=').next().unwrap_or(long);
            value_next = !long.contains('=')
                && takes_value(cmd.get_arguments().find(|a| a.get_long() == Some(name)));
            continue;
        }
        let Some(word) = s.strip_prefix('-') else {
            continue;
        };
        match cluster(cmd, word) {
            Cluster::Valid { value_next: next } => value_next = next,
            Cluster::Invalid if word.chars().count() > 1 => return Some(s.to_owned()),
            Cluster::Invalid => {}
        }
    }
    None
}

/// How a one-dash word reads as short options.
enum Cluster {
    /// Short options; `value_next` when the last takes the next argument.
    Valid {
        value_next: bool,
    },
    Invalid,
}

fn cluster(cmd: &clap::Command, word: &str) -> Cluster {
    if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit()) {
        // `-` (standard input) or a negative number: a value, not options.
        return Cluster::Valid { value_next: false };
    }
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        let arg = cmd.get_arguments().find(|a| a.get_short() == Some(c));
        match arg {
            Some(arg) if takes_value(Some(arg)) => {
                return Cluster::Valid {
                    value_next: chars.as_str().is_empty(),
                };
            }
            Some(_) => {}
            // `-h`, which clap adds itself.
            None if c == 'h' => {}
            None => return Cluster::Invalid,
        }
    }
    Cluster::Valid { value_next: false }
}

fn takes_value(arg: Option<&clap::Arg>) -> bool {
    arg.is_some_and(|a| {
        a.get_action().takes_values() && a.get_num_args().is_none_or(|n| n.min_values() > 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> clap::Command {
        clap::Command::new("t")
            .arg(
                clap::Arg::new("all")
                    .long("all")
                    .action(clap::ArgAction::SetTrue),
            )
            .arg(
                clap::Arg::new("n")
                    .short('n')
                    .action(clap::ArgAction::SetTrue),
            )
            .arg(
                clap::Arg::new("q")
                    .short('q')
                    .action(clap::ArgAction::SetTrue),
            )
            .arg(clap::Arg::new("c").short('c'))
            .arg(clap::Arg::new("feature"))
    }

    fn check(args: &[&str]) -> Option<String> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        unknown(&cmd(), &rewrite(&cmd(), args))
    }

    #[test]
    fn an_unknown_one_dash_word_is_named_whole() {
        assert_eq!(check(&["-vsn"]).as_deref(), Some("-vsn"));
        assert_eq!(check(&["-n", "-flexid"]).as_deref(), Some("-flexid"));
        assert_eq!(check(&["-nx"]).as_deref(), Some("-nx"));
    }

    #[test]
    fn long_names_clusters_values_and_numbers_are_not_unknown() {
        for args in [
            &["-all", "-nq"][..],
            &["-c", "-odd-value", "-n"],
            &["-cfile", "-h"],
            &["--all", "-q", "-", "-1"],
            &["--", "-vsn"],
            &["-x"],
        ] {
            assert_eq!(check(args), None, "{args:?}");
        }
    }
}
