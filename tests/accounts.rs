//! CtxManageUserAndGroup, and roles enforced on the control socket for a
//! caller identified by the operating system.

use std::os::unix::fs::PermissionsExt;

use crate::common::{
    License, Masks, Run, TestDaemon, assert_golden, hostname, lmutil_bin, require_root, run,
    squeezed,
};

fn daemon() -> TestDaemon {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 3)
        .vendor_string(";LT=Eval")
        .install(root.path(), "ccu.lic");
    TestDaemon::start(root)
}

fn manage(d: &TestDaemon, args: &[&str]) -> Run {
    d.lmutil("CtxManageUserAndGroup", args)
}

#[test]
fn accounts_with_spaces_and_double_byte_names_round_trip_and_persist() {
    let d = daemon();
    for (name, role) in [
        ("MYCO\\Jack Smith", "admin"),
        ("MYCO\\山田 太郎", "user"),
        ("MYCO\\Lizenz-Admins", "adminGroup"),
    ] {
        manage(&d, &["-useradd", name, "-Role", role])
            .succeeds()
            .stdout_has(&format!("{name} now has the role {role}."));
    }
    // A table (its columns as wide as this host's name needs).
    let list = manage(&d, &["-list"]).succeeds().stdout();
    assert_golden("accounts_list.txt", &Masks::new(), &squeezed(&list));
    // Kept across a crash.
    let d = TestDaemon::start(d.kill());
    let json = manage(&d, &["-list", "--json"]).succeeds().json();
    let names: Vec<&str> = json["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"MYCO\\山田 太郎"), "{names:?}");
    manage(&d, &["-userdel", "MYCO\\山田 太郎"]).succeeds();
    assert!(!manage(&d, &["-list"]).succeeds().stdout().contains("山田"));
    manage(&d, &["-useradd", "MYCO\\x", "-Role", "boss"])
        .fails_with_code(2)
        .stderr_has("[possible values: admin, user, adminGroup, userGroup]");
    // The role as the seed writes it, in any case.
    manage(&d, &["-useradd", "MYCO\\x", "-Role", "AdminGroup"])
        .succeeds()
        .stdout_has("MYCO\\x now has the role adminGroup.");
    manage(&d, &["-userdel", "MYCO\\nobody-here"]).fails_with_code(256 - 42);
}

/// A local account that is not an admin is refused every change; made an
/// admin, it may. Needs root to run lmutil as another user.
#[test]
fn a_non_admin_local_account_is_refused_changes() {
    require_root("to run lmutil as another user (runuser -u nobody)");
    let d = daemon();
    // Let `nobody` reach the socket; the server still knows who it is.
    std::fs::set_permissions(d.root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&d.socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let socket = d.socket.to_str().unwrap().to_owned();
    let bin = lmutil_bin();
    let as_nobody = |args: &[&str]| {
        let mut all = vec!["-u", "nobody", "--", bin.to_str().unwrap()];
        all.extend_from_slice(args);
        run("runuser", all)
    };
    let refused = as_nobody(&["lmreread", "-c", &socket]).fails_with_code(256 - 63);
    assert!(
        refused.stderr().contains("\\nobody has the user role"),
        "{}",
        refused.stderr()
    );
    assert!(
        refused.stderr().contains("(it needs the admin role: "),
        "{}",
        refused.stderr()
    );
    as_nobody(&[
        "CtxManageUserAndGroup",
        "-c",
        &socket,
        "-useradd",
        "x\\y",
        "-Role",
        "admin",
    ])
    .fails_with_code(256 - 63);
    as_nobody(&["udadmin", "-c", &socket, "-user", "u", "-delete"]).fails_with_code(256 - 63);
    // Reading is allowed.
    as_nobody(&["lmstat", "-c", &socket, "-a"]).succeeds();
    // Made an admin by an admin, it may reread.
    let host = hostname();
    manage(
        &d,
        &["-useradd", &format!("{host}\\nobody"), "-Role", "admin"],
    )
    .succeeds();
    as_nobody(&["lmreread", "-c", &socket]).succeeds();
}
