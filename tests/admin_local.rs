//! The commands the Citrix guide tells administrators to type on the
//! license server's host (`lmreread -c @localhost -all`, `lmdown -c
//! @localhost -vendor CITRIX`) reach the local server over its control
//! socket, where the operating system names the caller; a target on this
//! host that is not the local server's port stays TCP.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use crate::common::{License, Run, TestDaemon, hostname, in_private_network, lmutil_bin};

fn root() -> tempfile::TempDir {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 3)
        .vendor_string(";LT=Eval")
        .dup_group("V")
        .install(root.path(), "ccu.lic");
    root
}

/// `lmutil ARGS` as a tool on this host runs it: the control socket it
/// looks for is `socket` (`LMGRD_SOCKET`, as lmgrd's `--socket` sets it).
fn tool<I, S>(socket: &Path, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new(lmutil_bin())
        .args(args)
        .env("LMGRD_SOCKET", socket)
        .env_remove("LM_LICENSE_FILE")
        .env_remove("CITRIX_LICENSE_FILE")
        .output()
        .expect("lmutil runs");
    Run { output }
}

/// The guide's commands, word for word, against a server on FlexNet's and
/// Citrix's default ports (27000, 7279). Fixed ports need a network
/// namespace of their own, and making one needs root.
#[test]
fn the_guides_commands_at_localhost_reach_the_local_server() {
    let why = "to make a network namespace of its own, where the ports 27000 and 7279 are free";
    in_private_network(why, || {
        let d = TestDaemon::start_with(
            root(),
            &[
                "--lm-port",
                "27000",
                "--vendor-port",
                "7279",
                "--allow-lmdown",
            ],
        );
        let s = d.socket.clone();
        tool(&s, ["lmreread", "-c", "@localhost", "-all"])
            .succeeds()
            .stdout_has("lmreread successful");
        tool(
            &s,
            ["lmdown", "-c", "@localhost", "-vendor", "CITRIX", "-q"],
        )
        .succeeds()
        .stdout_has("CITRIX vendor daemon shut down");
        tool(&s, ["lmstat", "-c", "@localhost"])
            .succeeds()
            .stdout_has("CITRIX: The desired vendor daemon is down. (-97,0)");
        tool(&s, ["lmreread", "-c", "@localhost", "-vendor", "CITRIX"]).succeeds();
        tool(&s, ["lmstat", "-c", "27000@127.0.0.1"])
            .succeeds()
            .stdout_has("CITRIX: UP v");
    });
}

/// `port@host` is this host's server when the host is this one (by name,
/// loopback or address) and the port is one of the server's two.
#[test]
fn this_hosts_name_or_loopback_and_the_servers_port_mean_the_control_socket() {
    let d = TestDaemon::start(root());
    let s = d.socket.clone();
    for at in [
        format!("{}@localhost", d.lm_port),
        format!("{}@127.0.0.1", d.lm_port),
        format!("{}@{}", d.lm_port, hostname()),
        format!("{}@{}", d.vendor_port, hostname().to_uppercase()),
    ] {
        tool(&s, ["lmreread", "-c", &at])
            .succeeds()
            .stdout_has("lmreread successful");
    }
    // In a list, the local server is found where its port comes.
    let list = format!("1@127.0.0.1:{}@localhost", d.lm_port);
    tool(&s, ["lmreread", "-c", &list, "-all"]).succeeds();
    // The socket's server does not serve that port: the request goes over
    // TCP, where changes are refused.
    let other = format!("{}@127.0.0.1", d.lm_port);
    tool(
        Path::new("/nonexistent/lmgrd.sock"),
        ["lmreread", "-c", &other],
    )
    .fails_with_code(256 - 63)
    .stderr_has("-c @localhost, so that it goes over the control socket");
}

/// The socket's server is not the one `-c` names (another port on this
/// host): the request goes to the one named, over TCP.
#[test]
fn another_port_on_this_host_is_not_the_local_server() {
    let d = TestDaemon::start(root());
    let other = TestDaemon::start(root());
    let at = format!("{}@localhost", other.lm_port);
    tool(&d.socket, ["lmreread", "-c", &at]).fails_with_code(256 - 63);
}
