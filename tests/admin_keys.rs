//! lmgrd's keys and license directories at start: the keys directory is
//! made, a missing key is said where it matters (the log, lmdiag) with
//! where `vendor.pub` goes, a bad key file is reported and skipped, and a
//! license directory that does not exist stops lmgrd with a clear error.

use crate::common::{License, TestDaemon, lmutil};

fn ccu() -> License {
    License::new()
        .increment("XDT_PLT_CCU", 3)
        .vendor_string(";LT=Eval")
        .dup_group("V")
}

#[test]
fn lmgrd_makes_its_keys_directory_and_says_where_the_key_goes() {
    let root = TestDaemon::root();
    ccu().install(root.path(), "ccu.lic");
    let keys = root.path().join("keys");
    std::fs::remove_dir_all(&keys).unwrap();
    let d = TestDaemon::start(root);
    assert!(keys.is_dir(), "lmgrd did not make {}", keys.display());
    let log = d.debug_log();
    let want = format!(
        "no vendor key is installed: the keys directory {} holds none. Put the vendor's public \
         key there as vendor.pub, then run lmreread",
        keys.display()
    );
    assert!(log.contains(&want), "{log}");
    let socket = d.socket.to_str().unwrap().to_owned();
    lmutil(["lmdiag", "-c", &socket, "-n", "XDT_PLT_CCU"])
        .fails_with_code(256 - 8)
        .stdout_has(&want);
    // The key put where it was said to go serves the line after a reread.
    let public = d.root.path().join("vendor/vendor.pub");
    std::fs::copy(public, keys.join("vendor.pub")).unwrap();
    lmutil(["lmreread", "-c", &socket]).succeeds();
    lmutil(["lmdiag", "-c", &socket, "-n", "XDT_PLT_CCU"])
        .succeeds()
        .stdout_has("This license can be checked out");
}

#[test]
fn a_bad_key_file_is_reported_and_skipped_never_fatal() {
    let root = TestDaemon::root();
    ccu().install(root.path(), "ccu.lic");
    let bad = root.path().join("keys/a_broken.pub");
    std::fs::write(&bad, "not a key\n").unwrap();
    let d = TestDaemon::start(root);
    let log = d.debug_log();
    assert!(
        log.contains(&format!("Not using key file {}: ", bad.display())),
        "{log}"
    );
    assert!(!log.contains("no vendor key is installed"), "{log}");
    let socket = d.socket.to_str().unwrap().to_owned();
    lmutil(["lmdiag", "-c", &socket, "-n", "XDT_PLT_CCU"])
        .succeeds()
        .stdout_has("This license can be checked out")
        .stdout_has("Not using key file");
    // Made bad while serving: a reread reports it and keeps serving.
    std::fs::write(d.root.path().join("keys/zz.pub"), "zz\n").unwrap();
    lmutil(["lmreread", "-c", &socket]).succeeds();
    assert!(d.debug_log().contains("zz.pub: "), "{}", d.debug_log());
}

#[test]
fn a_license_directory_that_does_not_exist_stops_lmgrd_at_start() {
    let root = TestDaemon::root();
    let licenses = root.path().join("licenses");
    std::fs::remove_dir(&licenses).unwrap();
    let Err(failure) = TestDaemon::try_start(root, &[]) else {
        panic!("lmgrd started without its license directory");
    };
    assert!(failure.why.contains("exited"), "{failure:?}");
    let want = format!(
        "the license directory {} does not exist (or is not a directory): create it and put the \
         license files (*.lic) there, or name another one with --license-dir",
        licenses.display()
    );
    assert!(failure.stderr.contains(&want), "{failure:?}");
}
