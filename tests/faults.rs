//! Faults of the machine: the state database's disk full or read-only, and
//! a damaged database file.
//!
//! A full or read-only disk is a real one: the data directory is a small
//! tmpfs mounted for the test, filled to the last byte or remounted
//! read-only. That needs root (or CAP_SYS_ADMIN); without it these tests
//! say so and pass without checking anything.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use lmutil::client::{CheckoutArgs, ClientError, Connection, ProductSession};

use crate::common::{TestDaemon, lmgrd_bin, run};

const CCU: &str = "SERVER this_host HOSTNAME={HOST}\nVENDOR CITRIX\n\
    INCREMENT XDT_PLT_CCU CITRIX 2026.1201 permanent 100000 \
    VENDOR_STRING=;LT=Eval ISSUED=01-dec-2026\n";

/// A tmpfs mounted on a directory for the life of the value.
struct Mount(PathBuf);

impl Mount {
    /// Mounts a tmpfs of `size` on `dir`, or says why not.
    fn tmpfs(dir: &Path, size: &str) -> Option<Mount> {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("skipped: needs root to mount a small file system");
            return None;
        }
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: cannot mount a tmpfs here");
            return None;
        }
        Some(Mount(dir.to_owned()))
    }

    fn remount(&self, how: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{how}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount {how}");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn args(device: &str) -> CheckoutArgs<'_> {
    CheckoutArgs {
        feature: "XDT_PLT_CCU",
        version: "2026.0101",
        user: "jack",
        device,
        display: device,
        count: 1,
    }
}

/// Fills the file system holding `dir` to the last byte.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 4096];
    while f.write_all(&chunk).is_ok() {}
    while f.write_all(&[0]).is_ok() {}
    let _ = f.sync_all();
    path
}

/// Checks out until the server refuses for its disk; returns the handles
/// granted (acknowledged) on the way and the refusal.
async fn until_refused(p: &mut ProductSession, from: &mut usize) -> (Vec<u64>, String) {
    let mut granted = Vec::new();
    for _ in 0..20_000 {
        *from += 1;
        match p.checkout(args(&format!("dev{from}"))).await {
            Ok(h) => granted.push(h),
            Err(ClientError::Refused(e)) => {
                assert_eq!(e.code, -15, "{e:?}");
                return (granted, e.reason);
            }
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the server kept granting on a full disk");
}

/// Checks out until the server grants again (it must, by itself).
async fn until_granted(p: &mut ProductSession, from: &mut usize) -> u64 {
    for _ in 0..1000 {
        *from += 1;
        match p.checkout(args(&format!("dev{from}"))).await {
            Ok(h) => return h,
            Err(ClientError::Refused(e)) if e.code == -15 => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the server did not recover");
}

/// Drives a disk fault: `break_it` makes the data directory refuse writes,
/// `mend` gives them back.
async fn survives_a_disk_fault(
    d: &TestDaemon,
    break_it: impl FnOnce(),
    mend: impl FnOnce(),
) -> BTreeSet<u64> {
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc").await.unwrap();
    let mut n = 0;
    let mut acked: BTreeSet<u64> = BTreeSet::new();
    for _ in 0..20 {
        n += 1;
        acked.insert(p.checkout(args(&format!("dev{n}"))).await.unwrap());
    }
    break_it();
    let (granted, reason) = until_refused(&mut p, &mut n).await;
    acked.extend(granted);
    assert!(
        reason.contains("state database cannot be written"),
        "{reason}"
    );
    // Status is still served, with everything acknowledged.
    let snap = d.status().await;
    let held: BTreeSet<u64> = snap.checkouts.iter().map(|c| c.handle).collect();
    assert!(acked.is_subset(&held));
    assert_eq!(held.len(), acked.len(), "a refused checkout is not held");
    mend();
    acked.insert(until_granted(&mut p, &mut n).await);
    let log = d.debug_log();
    assert_eq!(
        log.matches("The state database cannot be written").count(),
        1,
        "{log}"
    );
    assert!(
        log.contains("The state database is writable again"),
        "{log}"
    );
    acked
}

fn kill_restart_and_check(d: TestDaemon, acked: &BTreeSet<u64>, rt: &tokio::runtime::Runtime) {
    let d = TestDaemon::start(d.kill());
    let snap = rt.block_on(d.status());
    let held: BTreeSet<u64> = snap.checkouts.iter().map(|c| c.handle).collect();
    assert_eq!(&held, acked, "after a restart");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_full_disk_refuses_new_grants_keeps_status_and_recovers_by_itself() {
    let root = TestDaemon::root();
    TestDaemon::install_license(root.path(), "ccu.lic", CCU);
    let data = root.path().join("data");
    let Some(_mount) = Mount::tmpfs(&data, "3m") else {
        return;
    };
    let d = TestDaemon::start(root);
    let rt = runtime();
    let filler = std::cell::RefCell::new(None);
    let acked = rt.block_on(survives_a_disk_fault(
        &d,
        || *filler.borrow_mut() = Some(fill(&data)),
        || std::fs::remove_file(filler.borrow().as_ref().unwrap()).unwrap(),
    ));
    kill_restart_and_check(d, &acked, &rt);
}

/// Linux does not remount a file system read-only while a file on it is
/// open for writing, so a running server's disk turns read-only only
/// through an error; that path is the full disk's (SQLite reports both as
/// a refused write). What can be shown is a server asked to start on a
/// read-only disk: it refuses, naming the directory, and starts once the
/// disk is writable.
#[test]
fn a_read_only_disk_is_refused_at_start_and_served_once_writable() {
    let root = TestDaemon::root();
    TestDaemon::install_license(root.path(), "ccu.lic", CCU);
    let data = root.path().join("data");
    let Some(mount) = Mount::tmpfs(&data, "16m") else {
        return;
    };
    mount.remount("ro");
    let err = refuses_to_start(root.path());
    assert!(err.contains("is not writable"), "{err}");
    assert!(err.contains(data.to_str().unwrap()), "{err}");
    mount.remount("rw");
    let d = TestDaemon::start(root);
    let rt = runtime();
    rt.block_on(async {
        let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
        let mut p = ProductSession::start(conn, "ddc").await.unwrap();
        p.checkout(args("dev")).await.unwrap();
    });
}

/// lmgrd on `root`'s directories, expected to refuse to start.
fn refuses_to_start(root: &Path) -> String {
    let p = |d: &str| root.join(d).to_str().unwrap().to_owned();
    let socket = p("lmgrd.sock");
    let out = run(
        lmgrd_bin(),
        [
            "--license-dir",
            &p("licenses"),
            "--keys-dir",
            &p("keys"),
            "--data-dir",
            &p("data"),
            "--socket",
            &socket,
            "--lm-port",
            "0",
            "--vendor-port",
            "0",
            "--bind",
            "127.0.0.1",
        ],
    )
    .fails_with_code(1);
    out.stderr()
}

#[test]
fn a_damaged_database_is_refused_at_start_with_the_way_out() {
    // Not a database at all.
    let root = TestDaemon::root();
    std::fs::write(root.path().join("data/state.db"), vec![0xa5; 64 * 1024]).unwrap();
    let err = refuses_to_start(root.path());
    assert!(err.contains("is damaged"), "{err}");
    assert!(err.contains("docs/reliability.md"), "{err}");

    // A real database, stopped cleanly, with its pages overwritten.
    let root = TestDaemon::root();
    TestDaemon::install_license(root.path(), "ccu.lic", CCU);
    let d = TestDaemon::start(root);
    let rt = runtime();
    rt.block_on(async {
        let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
        let mut p = ProductSession::start(conn, "ddc").await.unwrap();
        for i in 0..300 {
            p.checkout(args(&format!("dev{i}"))).await.unwrap();
        }
    });
    let (exit, root) = d.terminate();
    assert!(exit.success());
    let db = root.path().join("data/state.db");
    // Move everything from the write-ahead log into the file itself.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
    drop(conn);
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 3 * 4096, "{} bytes", bytes.len());
    let end = bytes.len() - 4096;
    bytes[4096..end].fill(0xff);
    std::fs::write(&db, bytes).unwrap();
    let err = refuses_to_start(root.path());
    assert!(err.contains("is damaged"), "{err}");
    assert!(err.contains("move the database"), "{err}");

    // The documented way out: move it aside; the server starts afresh.
    for suffix in ["", "-wal", "-shm"] {
        let from = root.path().join(format!("data/state.db{suffix}"));
        if from.exists() {
            let to = root.path().join(format!("data/state.db{suffix}.damaged"));
            std::fs::rename(from, to).unwrap();
        }
    }
    let d = TestDaemon::start(root);
    assert!(rt.block_on(d.status()).checkouts.is_empty());
}
