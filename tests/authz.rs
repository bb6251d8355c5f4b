//! Who may do what: every mutation (reread, shutdown, release, accounts)
//! is refused, with a clear message, to a local account with the user role,
//! to another local account with no role, and to a remote TCP client; and
//! nothing changes. lmgrd's files are created with the narrowest modes.

use std::os::unix::fs::PermissionsExt;

use lmutil::client::{CheckoutArgs, ClientError, Connection, ProductSession};
use lmutil::protocol::Request;

use crate::common::{License, Run, TestDaemon, hostname, lmutil, lmutil_bin, require_root, run};

/// A daemon that allows lmdown (so a refusal is about the caller), with one
/// user/device assignment to release.
fn daemon() -> TestDaemon {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_ENT_UD", 5)
        .vendor_string(";LT=Eval")
        .install(root.path(), "ud.lic");
    let d = TestDaemon::start_with(root, &["--allow-lmdown"]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
        let mut p = ProductSession::start(conn, "ddc").await.unwrap();
        let args = CheckoutArgs {
            feature: "XDT_ENT_UD",
            version: "2026.0101",
            user: "alice",
            device: "pc1",
            display: "pc1",
            count: 1,
        };
        let h = p.checkout(args).await.unwrap();
        p.checkin(h).await.unwrap();
    });
    d
}

/// Every mutation an admin tool can ask for, as lmutil arguments after
/// `-c SERVER` is inserted at `{C}`.
const MUTATIONS: &[&[&str]] = &[
    &["lmreread", "-c", "{C}"],
    &["lmreread", "-c", "{C}", "-vendor", "CITRIX"],
    &["lmdown", "-c", "{C}", "-q"],
    &["lmdown", "-c", "{C}", "-q", "-vendor", "CITRIX"],
    &["udadmin", "-c", "{C}", "-user", "alice", "-delete"],
    &["udadmin", "-c", "{C}", "-device", "pc1", "-delete"],
    &[
        "CtxManageUserAndGroup",
        "-c",
        "{C}",
        "-useradd",
        "x\\intruder",
        "-Role",
        "admin",
    ],
    &["CtxManageUserAndGroup", "-c", "{C}", "-userdel", "x\\kept"],
];

fn as_user(user: &str, args: &[String]) -> Run {
    let bin = lmutil_bin();
    let mut all = vec![
        "-u".to_owned(),
        user.to_owned(),
        "--".to_owned(),
        bin.to_str().unwrap().to_owned(),
    ];
    all.extend_from_slice(args);
    run("runuser", all)
}

fn with_server(args: &[&str], server: &str) -> Vec<String> {
    args.iter().map(|a| a.replace("{C}", server)).collect()
}

/// Nothing changed: the server runs, the assignment and accounts are there.
fn unchanged(d: &TestDaemon) {
    let socket = d.socket.to_str().unwrap();
    lmutil(["lmstat", "-c", socket, "-a"])
        .succeeds()
        .stdout_has("CITRIX: UP");
    lmutil(["udadmin", "-c", socket, "-list"])
        .succeeds()
        .stdout_has("alice XDT_ENT_UD");
    let list = lmutil(["CtxManageUserAndGroup", "-c", socket, "-list"])
        .succeeds()
        .stdout();
    assert!(list.contains("x\\kept"), "{list}");
    assert!(!list.contains("intruder"), "{list}");
}

fn refused_to(d: &TestDaemon, who: &str, call: impl Fn(&[String]) -> Run, server: &str, why: &str) {
    for args in MUTATIONS {
        let args = with_server(args, server);
        let out = call(&args).fails_with_code(256 - 63);
        assert!(
            out.stderr().contains(why),
            "{who}: {args:?}:\n{}",
            out.stderr()
        );
    }
    unchanged(d);
}

fn setup_accounts(d: &TestDaemon) {
    let socket = d.socket.to_str().unwrap();
    let manage = |args: &[&str]| {
        let mut all = vec!["CtxManageUserAndGroup", "-c", socket];
        all.extend_from_slice(args);
        lmutil(all).succeeds();
    };
    manage(&["-useradd", "x\\kept", "-Role", "user"]);
    manage(&[
        "-useradd",
        &format!("{}\\nobody", hostname()),
        "-Role",
        "user",
    ]);
}

#[test]
fn a_remote_client_is_refused_every_mutation() {
    let d = daemon();
    setup_accounts(&d);
    let server = format!("{}@127.0.0.1", d.lm_port);
    refused_to(&d, "remote", |a| lmutil(a), &server, "control socket");
}

/// The same over the protocol itself, for requests no tool sends remotely.
#[test]
fn the_protocol_refuses_every_mutation_over_tcp() {
    let d = daemon();
    setup_accounts(&d);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(refuse_over_tcp(&d));
    unchanged(&d);
}

async fn refuse_over_tcp(d: &TestDaemon) {
    let mut remote = Connection::tcp(&d.vendor_addr()).await.unwrap();
    for request in [
        Request::Reread { vendor: false },
        Request::Reread { vendor: true },
        Request::Shutdown { vendor: false },
        Request::Shutdown { vendor: true },
        Request::Release {
            feature: None,
            user: Some("alice".into()),
            device: None,
        },
        Request::SetAccount {
            name: "x\\intruder".into(),
            role: "admin".into(),
        },
        Request::RemoveAccount {
            name: "x\\kept".into(),
        },
    ] {
        match remote.request(request.clone()).await {
            Err(ClientError::Refused(e)) => {
                assert_eq!(e.code, -63, "{request:?}");
                assert!(e.reason.contains("control socket"), "{}", e.reason);
            }
            other => panic!("{request:?}: {other:?}"),
        }
    }
}

/// Needs root to run lmutil as other accounts.
#[test]
fn local_accounts_without_the_admin_role_are_refused_every_mutation() {
    require_root("to run lmutil as other accounts (runuser -u nobody, daemon)");
    let d = daemon();
    setup_accounts(&d);
    // Let other accounts reach the socket; the server still knows who calls.
    std::fs::set_permissions(d.root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&d.socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let socket = d.socket.to_str().unwrap().to_owned();
    // `nobody` holds the user role; `daemon` holds no role at all.
    for user in ["nobody", "daemon"] {
        let why = format!("\\{user} has the user role");
        refused_to(&d, user, |a| as_user(user, a), &socket, &why);
        // Reading is allowed.
        as_user(user, &with_server(&["lmstat", "-c", "{C}", "-a"], &socket)).succeeds();
    }
}

#[test]
fn the_socket_and_state_files_have_the_narrowest_modes() {
    let d = daemon();
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&d.socket), 0o660, "control socket");
    let data = d.root.path().join("data");
    for file in [
        "state.db",
        "state.db-wal",
        "state.db-shm",
        "debug.log",
        "lmgrd.status.json",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    // A data directory lmgrd creates itself is its owner's alone.
    let root = TestDaemon::root();
    std::fs::remove_dir(root.path().join("data")).unwrap();
    let d = TestDaemon::start(root);
    assert_eq!(mode(&d.root.path().join("data")), 0o700);
}
