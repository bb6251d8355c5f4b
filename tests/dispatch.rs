//! The multi-call binary: dispatch, the command list, links, usage errors.

use crate::common::{lmutil, lmutil_bin, run};

#[test]
fn lmutil_alone_lists_every_command() {
    let out = lmutil(Vec::<&str>::new()).succeeds().stdout();
    for spec in lmutil::cli::COMMANDS {
        assert!(out.contains(&format!("  {}", spec.name)), "{out}");
    }
}

#[test]
fn an_unknown_command_is_a_usage_error_with_a_hint() {
    lmutil(["lmfoo"])
        .fails_with_code(2)
        .stderr_has("lmutil: unknown command `lmfoo`")
        .stderr_has("run `lmutil` alone");
}

#[test]
fn an_unknown_option_is_a_usage_error() {
    lmutil(["lmhostid", "-nonsense"]).fails_with_code(2);
}

#[test]
fn single_dash_long_options_are_accepted_as_the_anchor_spells_them() {
    let single = lmutil(["lmhostid", "-hostname"]).succeeds().stdout();
    let double = lmutil(["lmhostid", "--hostname"]).succeeds().stdout();
    assert_eq!(single, double);
    lmutil(["lmhostid", "-help"])
        .succeeds()
        .stdout_has("-hostname");
}

#[test]
fn install_links_makes_every_command_callable_by_name() {
    let dir = tempfile::tempdir().unwrap();
    lmutil(["--install-links".as_ref(), dir.path().as_os_str()]).succeeds();
    for spec in lmutil::cli::COMMANDS {
        let link = dir.path().join(spec.name);
        let target = std::fs::read_link(&link).unwrap();
        assert_eq!(target, lmutil_bin().canonicalize().unwrap());
    }
    // Called through its link, the header names the link.
    run(dir.path().join("lmhostid"), ["-hostname"])
        .succeeds()
        .stdout_has("lmhostid - Copyright (c)");
    // Called as `lmutil lmhostid`, it names lmutil, as FlexNet does.
    lmutil(["lmhostid", "-hostname"])
        .succeeds()
        .stdout_has("lmutil - Copyright (c)");
    // Running it again replaces the links.
    lmutil(["--install-links".as_ref(), dir.path().as_os_str()]).succeeds();
}

#[test]
fn install_links_never_replaces_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lmver"), "keep me").unwrap();
    lmutil(["--install-links".as_ref(), dir.path().as_os_str()])
        .fails_with_code(1)
        .stderr_has("not a link");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("lmver")).unwrap(),
        "keep me"
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(lmutil_bin())
        .args(["lmhostid", "-hostname"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
