//! `lmutil lminstall` against a real lmgrd, over its control socket: a
//! license file is installed, rereads and serves; a file of that name is
//! replaced only with `-replace`; a forged one and a non-admin's are
//! refused, and nothing is written.

use crate::common::{License, TestDaemon, lmutil, require_root};

fn ccu(count: u64) -> License {
    License::new()
        .increment("XDT_PLT_CCU", count)
        .vendor_string(";LT=Retail")
}

/// `text` as a file named `name` outside the license directory.
fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn pools(d: &TestDaemon) -> Vec<(String, u64)> {
    let status = d.lmutil("lmstat", &["-a", "--json"]).succeeds().json();
    status["pools"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["feature"] == "XDT_PLT_CCU")
        .map(|p| {
            (
                p["feature"].as_str().unwrap().to_owned(),
                p["purchased"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_license_file_is_installed_served_and_replaced_only_when_asked() {
    let root = TestDaemon::root();
    let three = ccu(3).signed_text(root.path(), None);
    let five = ccu(5).signed_text(root.path(), None);
    let d = TestDaemon::start(root);
    let dir = tempfile::tempdir().unwrap();
    assert!(pools(&d).is_empty());
    d.lmutil("lminstall", &[&file(&dir, "ccu.lic", &three)])
        .succeeds()
        .stdout_has("ccu.lic installed")
        .stdout_has("XDT_PLT_CCU")
        .stdout_has("serving");
    assert_eq!(pools(&d), [("XDT_PLT_CCU".to_owned(), 3)]);
    let five_path = file(&dir, "ccu.lic", &five);
    d.lmutil("lminstall", &[&five_path])
        .fails_with_code(256 - 42)
        .stderr_has("already installed");
    assert_eq!(pools(&d), [("XDT_PLT_CCU".to_owned(), 3)]);
    let answer = d
        .lmutil("lminstall", &[&five_path, "-replace", "--json"])
        .succeeds()
        .json();
    assert_eq!(answer["replaced"], true, "{answer}");
    assert_eq!(answer["lines"][0]["count"], "5", "{answer}");
    assert_eq!(pools(&d), [("XDT_PLT_CCU".to_owned(), 5)]);
    d.lmutil("lmaudit", &["-kind", "install"])
        .succeeds()
        .stdout_has("license file ccu.lic replaced: XDT_PLT_CCU");
}

#[test]
fn a_forged_file_and_a_non_admin_are_refused_and_nothing_is_written() {
    let root = TestDaemon::root();
    let other = root.path().join("other");
    lmutil(["lmcrypt".as_ref(), "--genkey".as_ref(), other.as_os_str()]).succeeds();
    let forged = ccu(3).signed_text(root.path(), Some(&other.join("vendor.key")));
    let good = ccu(3).signed_text(root.path(), None);
    let d = TestDaemon::start(root);
    let dir = tempfile::tempdir().unwrap();
    d.lmutil("lminstall", &[&file(&dir, "forged.lic", &forged)])
        .fails_with_code(256 - 8)
        .stderr_has("invalid license key");
    require_root("to run lmutil as another user (runuser -u nobody)");
    let good = file(&dir, "good.lic", &good);
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::fs::set_permissions(&good, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    d.lmutil_as_nobody("lminstall", &[&good])
        .fails_with_code(256 - 63)
        .stderr_has("needs the admin role");
    let left: Vec<_> = std::fs::read_dir(d.root.path().join("licenses"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "nothing was written: {left:?}");
}
