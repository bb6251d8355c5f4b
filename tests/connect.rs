//! How every daemon command finds its server (`-c`, `LM_LICENSE_FILE`,
//! lists, license files, directories), gives up after `-t`, and says why
//! in one line with a hint and FlexNet's exit status.

use std::net::{TcpListener, TcpStream};
use std::process::Command;

use crate::common::{License, Run, TestDaemon, hostname, in_private_network, lmutil, lmutil_bin};

/// Each daemon command, in a form that only reads or is refused harmlessly.
const COMMANDS: [&[&str]; 6] = [
    &["lmstat", "-a"],
    &["lmdiag", "-n"],
    &["lmreread"],
    &["lmdown", "-q"],
    &["udadmin", "-list"],
    &["CtxManageUserAndGroup", "-list"],
];

fn daemon() -> TestDaemon {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 3)
        .vendor_string(";LT=Eval")
        .dup_group("V")
        .install(root.path(), "ccu.lic");
    TestDaemon::start(root)
}

/// `lmutil ARGS` with `LM_LICENSE_FILE` set.
fn with_env(value: &str, args: &[&str]) -> Run {
    with_vars(&[("LM_LICENSE_FILE", value)], args)
}

/// `lmutil ARGS` with these variables set and the other one removed.
fn with_vars(vars: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = Command::new(lmutil_bin());
    cmd.args(args)
        .env_remove("LM_LICENSE_FILE")
        .env_remove("CITRIX_LICENSE_FILE");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    Run {
        output: cmd.output().unwrap(),
    }
}

/// One line on standard error: `NAME: cause (hint)`.
#[track_caller]
fn one_line_error(run: &Run, name: &str) -> String {
    let err = run.stderr();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("{name}: ")), "{err}");
    assert!(
        err.trim_end().ends_with(')'),
        "a hint closes the line: {err}"
    );
    err
}

#[test]
fn lm_license_file_names_the_server_and_c_overrides_it() {
    let d = daemon();
    let at = format!("{}@127.0.0.1", d.lm_port);
    with_env(&at, &["lmstat"]).succeeds().stdout_has(&format!(
        "License server status: {}@{}",
        d.lm_port,
        hostname()
    ));
    // -c wins over the environment.
    let socket = d.socket.to_str().unwrap();
    with_env("1@127.0.0.1", &["lmstat", "-c", socket]).succeeds();
    // A list: the first element does not answer, the second does.
    with_env(&format!("1@127.0.0.1:{at}"), &["lmstat", "-a"])
        .succeeds()
        .stdout_has("Users of XDT_PLT_CCU:");
    // CITRIX_LICENSE_FILE is tried before LM_LICENSE_FILE.
    with_vars(
        &[
            ("CITRIX_LICENSE_FILE", &at),
            ("LM_LICENSE_FILE", "1@127.0.0.1"),
        ],
        &["lmstat"],
    )
    .succeeds();
    let run = with_vars(
        &[
            ("CITRIX_LICENSE_FILE", "1@127.0.0.1"),
            ("LM_LICENSE_FILE", "2@127.0.0.1"),
        ],
        &["lmstat"],
    )
    .fails_with_code(241);
    assert!(
        one_line_error(&run, "lmstat").contains("license server 1@127.0.0.1,2@127.0.0.1:"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_license_file_or_a_directory_names_the_server_by_its_server_line() {
    let d = daemon();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("remote.lic");
    std::fs::write(
        &file,
        format!(
            "SERVER 127.0.0.1 ANY {}\nVENDOR CITRIX\nUSE_SERVER\n",
            d.lm_port
        ),
    )
    .unwrap();
    for spec in [file.to_str().unwrap(), dir.path().to_str().unwrap()] {
        lmutil(["lmstat", "-c", spec])
            .succeeds()
            .stdout_has(&format!("License server status: {}@", d.lm_port));
    }
    with_env(file.to_str().unwrap(), &["udadmin", "-list"]).succeeds();
    // A file named `.lic.txt` in a directory is not a license file.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("remote.lic.txt"), "SERVER x ANY 1\n").unwrap();
    let run = lmutil(["lmstat", "-c", other.path().to_str().unwrap()]).fails_with_code(2);
    assert!(one_line_error(&run, "lmstat").contains("names no SERVER"));
}

#[test]
fn a_c_that_names_nothing_is_a_usage_error_with_a_hint() {
    for args in COMMANDS {
        let mut all = args.to_vec();
        all.extend(["-c", "/no/such/license/file"]);
        let run = lmutil(&all).fails_with_code(2);
        let err = one_line_error(&run, args[0]);
        assert!(
            err.contains("`/no/such/license/file` is not port@host"),
            "{err}"
        );
        assert!(err.contains("a list of them separated by ':'"), "{err}");
    }
}

#[test]
fn with_no_server_running_every_command_says_where_it_looked_and_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("lmgrd.sock");
    let socket = socket.to_str().unwrap();
    for args in COMMANDS {
        let mut all = args.to_vec();
        all.extend(["-c", "1@127.0.0.1"]);
        let run = lmutil(&all).fails_with_code(241);
        let err = one_line_error(&run, args[0]);
        assert!(
            err.contains("cannot connect to license server 1@127.0.0.1: connection refused"),
            "{err}"
        );
        assert!(err.contains("start it with `lmgrd`"), "{err}");
    }
    // The control socket of a server that is gone: connecting is refused.
    drop(std::os::unix::net::UnixListener::bind(socket).unwrap());
    let run = lmutil(["lmstat", "-c", socket]).fails_with_code(241);
    let err = one_line_error(&run, "lmstat");
    assert!(
        err.contains(&format!("cannot connect to license server {socket}: ")),
        "{err}"
    );
}

/// A server that accepts connections and never answers: every command
/// gives up after `-t` with exit status 241, and says so.
#[test]
fn a_server_that_never_answers_never_hangs_a_command() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let listener = silent.try_clone().unwrap();
    // Accept and hold every connection, reading and writing nothing.
    std::thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for stream in listener.incoming().map_while(Result::ok) {
            held.push(stream);
        }
    });
    let at = format!("{port}@127.0.0.1");
    std::thread::scope(|s| {
        let runs: Vec<_> = COMMANDS
            .iter()
            .map(|args| {
                let at = at.clone();
                s.spawn(move || {
                    let mut all = args.to_vec();
                    all.extend(["-c", &at, "-t", "1"]);
                    (args[0], lmutil(&all))
                })
            })
            .collect();
        for r in runs {
            let (name, run) = r.join().unwrap();
            let run = run.fails_with_code(241);
            let err = one_line_error(&run, name);
            assert!(
                err.contains(&format!(
                    "cannot connect to license server {at}: connected, but no answer within 1 second"
                )),
                "{err}"
            );
        }
    });
}

#[test]
fn a_request_refused_over_tcp_says_where_it_is_accepted() {
    let d = daemon();
    let at = format!("{}@127.0.0.1", d.lm_port);
    for args in [
        &["lmreread"][..],
        &["udadmin", "-user", "u", "-delete"],
        &[
            "CtxManageUserAndGroup",
            "-useradd",
            "x\\y",
            "-Role",
            "admin",
        ],
        &["udadmin", "-events"],
    ] {
        let mut all = args.to_vec();
        all.extend(["-c", &at]);
        let run = lmutil(&all).fails_with_code(256 - 63);
        let err = one_line_error(&run, args[0]);
        assert!(
            err.contains("You are not a license administrator. (-63,0)"),
            "{err}"
        );
        assert!(err.contains("over the control socket"), "{err}");
    }
}

#[test]
fn every_command_answers_help_with_its_usage() {
    for spec in lmutil::cli::COMMANDS {
        for help in ["-help", "--help", "-h"] {
            lmutil([spec.name, help])
                .succeeds()
                .stdout_has("Usage: lmutil ");
        }
    }
}

/// `@host` tries 27000 to 27009 in order: with only 27009 accepting, that
/// is where the command ends up. Fixed ports are another program's as
/// often as not (another lmgrd, or this test in another checkout), so the
/// test and its lmutil run in a network namespace of their own, where the
/// whole range is free; making one needs root.
#[test]
fn at_host_tries_the_ports_27000_to_27009_in_order() {
    let why = "to make a network namespace of its own, where the ports 27000-27009 are free";
    let run = in_private_network(why, || {
        let last = TcpListener::bind("127.0.0.1:27009")
            .unwrap_or_else(|e| panic!("127.0.0.1:27009 in a new network namespace: {e}"));
        for port in 27000..27009 {
            assert!(
                TcpStream::connect(("127.0.0.1", port)).is_err(),
                "port {port} accepts in a new network namespace"
            );
        }
        std::thread::spawn(move || {
            let mut held: Vec<TcpStream> = Vec::new();
            for stream in last.incoming().map_while(Result::ok) {
                held.push(stream);
            }
        });
        lmutil(["lmstat", "-c", "@127.0.0.1", "-t", "1"])
    });
    let run = run.fails_with_code(241);
    let err = one_line_error(&run, "lmstat");
    assert!(
        err.contains("cannot connect to license server 27009@127.0.0.1: connected, but no answer"),
        "{err}"
    );
}

/// An option FlexNet spells with one dash that this implementation does
/// not have is named whole (`-vsn`), not by its first letter (`-v`) as if
/// it were a cluster of short options; the command does nothing.
#[test]
fn an_unknown_one_dash_option_is_named_whole() {
    for (command, option) in [
        ("lmhostid", "-vsn"),
        ("lmhostid", "-flexid"),
        ("lmstat", "-lm"),
        ("lmdiag", "-verbose"),
        ("lmreread", "-xyz"),
    ] {
        let run = lmutil([command, option]).fails_with_code(2);
        assert!(run.stdout().is_empty(), "{}", run.stdout());
        let err = run.stderr();
        assert!(
            err.starts_with(&format!("error: unknown option '{option}'\n")),
            "{command} {option}: {err}"
        );
    }
    // Clusters of short options still work.
    lmutil(["lmhostid", "-hostname", "-n"]).succeeds();
}
