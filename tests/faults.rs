//! Faults of the machine: the state database's disk full or read-only, and
//! a damaged database file.
//!
//! A full or read-only disk is a real one. For a full disk, and a disk
//! read-only when lmgrd starts, the data directory is a small tmpfs mounted
//! for the test, filled to the last byte or mounted read-only. A disk that
//! turns read-only under a running server does so the way it does in life,
//! through write errors: the data directory is an ext4 file system mounted
//! with `errors=remount-ro` on a loop device whose backing file is a sparse
//! file on a small tmpfs; filling that tmpfs makes the device fail writes,
//! and ext4 makes itself read-only. That needs root (or CAP_SYS_ADMIN), and
//! loop devices for the last, as CI has; without them these tests fail,
//! saying what is missing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use lmutil::client::{CheckoutArgs, ClientError, Connection, ProductSession};

use crate::common::{License, TestDaemon, lmgrd_bin, require_root, run};

/// The license all these tests serve: more than they ever check out.
fn install_ccu(root: &Path) {
    License::new()
        .increment("XDT_PLT_CCU", 100_000)
        .vendor_string(";LT=Eval")
        .issued("01-dec-2026")
        .install(root, "ccu.lic");
}

/// A tmpfs mounted on a directory for the life of the value.
struct Mount(PathBuf);

impl Mount {
    /// Mounts a tmpfs of `size` on `dir`; fails the test if it cannot.
    fn tmpfs(dir: &Path, size: &str) -> Mount {
        require_root("to mount a small file system (tmpfs) on the data directory");
        let options = format!("size={size},mode=0700");
        let dir_str = dir.to_str().unwrap();
        let (code, out) = sh("mount", &["-t", "tmpfs", "-o", &options, "tmpfs", dir_str]);
        assert_eq!(code, Some(0), "cannot mount a tmpfs on {dir_str}: {out}");
        Mount(dir.to_owned())
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

/// A product session with 20 checkouts acknowledged; then `break_it` makes
/// the data directory refuse writes, and checkouts go on until one is
/// refused for it. Gives the session, the devices used so far, and every
/// checkout acknowledged.
async fn acknowledged_then_refused(
    d: &TestDaemon,
    break_it: impl FnOnce(),
) -> (ProductSession, usize, BTreeSet<u64>) {
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
    (p, n, acked)
}

/// Drives a disk fault: `break_it` makes the data directory refuse writes,
/// `mend` gives them back.
async fn survives_a_disk_fault(
    d: &TestDaemon,
    break_it: impl FnOnce(),
    mend: impl FnOnce(),
) -> BTreeSet<u64> {
    let (mut p, mut n, mut acked) = acknowledged_then_refused(d, break_it).await;
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
    assert_eq!(
        granted_lines(&log),
        acked.len(),
        "no OUT: line for a refused checkout"
    );
    acked
}

/// The `OUT:` lines of the debug log: one for each checkout granted.
fn granted_lines(log: &str) -> usize {
    log.matches("OUT: \"XDT_PLT_CCU\"").count()
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
    install_ccu(root.path());
    let data = root.path().join("data");
    let _mount = Mount::tmpfs(&data, "3m");
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

/// A server asked to start on a read-only disk refuses, naming the
/// directory, and starts once the disk is writable. (Linux does not remount
/// a file system read-only while a file on it is open for writing, so a
/// running server's disk turns read-only only through an error: see
/// `a_disk_that_turns_read_only_under_the_server_keeps_status_and_loses_nothing`.)
#[test]
fn a_read_only_disk_is_refused_at_start_and_served_once_writable() {
    let root = TestDaemon::root();
    install_ccu(root.path());
    let data = root.path().join("data");
    let mount = Mount::tmpfs(&data, "16m");
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

/// A root whose lmgrd granted `n` concurrent checkouts, then stopped
/// cleanly.
fn stopped_after_checkouts(n: usize) -> tempfile::TempDir {
    let root = TestDaemon::root();
    install_ccu(root.path());
    let d = TestDaemon::start(root);
    runtime().block_on(async {
        let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
        let mut p = ProductSession::start(conn, "ddc").await.unwrap();
        for i in 0..n {
            p.checkout(args(&format!("dev{i}"))).await.unwrap();
        }
    });
    let (exit, root) = d.terminate();
    assert!(exit.success());
    root
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
    let root = stopped_after_checkouts(300);
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
    assert!(runtime().block_on(d.status()).checkouts.is_empty());
}

#[test]
fn an_unreadable_event_in_a_sound_database_is_refused_at_start() {
    // More than one batch of the recovery's reading thread.
    let root = stopped_after_checkouts(5000);
    // A grant late in the log made unreadable; the file itself is sound.
    let db = root.path().join("data/state.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let seq: i64 = conn
        .query_row(
            "SELECT seq FROM events WHERE typeof(body) = 'blob' ORDER BY seq DESC LIMIT 1 OFFSET 10",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute("UPDATE events SET body = X'FF00' WHERE seq = ?1", [seq])
        .unwrap();
    drop(conn);
    let err = refuses_to_start(root.path());
    assert!(
        err.contains(&format!("cannot be read (seq {seq})")),
        "{err}"
    );
    assert!(err.contains("docs/reliability.md"), "{err}");
}

/// Runs a command: its exit code and what it printed.
fn sh(program: &str, args: &[&str]) -> (Option<i32>, String) {
    match Command::new(program).args(args).output() {
        Ok(o) => (
            o.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        ),
        Err(e) => (None, e.to_string()),
    }
}

/// An ext4 file system mounted on a directory with `errors=remount-ro`,
/// on a loop device whose backing file is a 64 MiB sparse file on a 16 MiB
/// tmpfs: once the tmpfs is full, every write to a block the file system
/// has not written before fails with an I/O error, as on a failing disk.
/// On drop: ext4 unmounted, loop device detached, tmpfs unmounted.
struct FailingDisk {
    dir: PathBuf,
    device: String,
    /// Where the tmpfs is mounted, holding the backing file.
    under: tempfile::TempDir,
}

impl FailingDisk {
    /// Makes and mounts the file system on `dir`; fails the test, saying
    /// what is missing, if it cannot.
    fn mount(dir: &Path) -> FailingDisk {
        require_root("to mount an ext4 file system on a loop device");
        let under = tempfile::tempdir().unwrap();
        let u = under.path().to_str().unwrap();
        let (code, out) = sh(
            "mount",
            &["-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", u],
        );
        assert_eq!(code, Some(0), "cannot mount a tmpfs on {u}: {out}");
        let backing = under.path().join("disk");
        let file = std::fs::File::create(&backing).unwrap();
        file.set_len(64 << 20).unwrap();
        let (code, out) = sh("losetup", &["--find", "--show", backing.to_str().unwrap()]);
        if code != Some(0) {
            let _ = sh("umount", &[u]);
            panic!("loop devices are unavailable (losetup --find): {out}");
        }
        let disk = FailingDisk {
            dir: dir.to_owned(),
            device: out.trim().to_owned(),
            under,
        };
        // The journal and inode tables are left unwritten (holes), so the
        // journal's next commit is what meets the full tmpfs; the mount's
        // `noinit_itable` keeps the kernel from zeroing the inode tables in
        // the background, at a time of its own.
        let (code, out) = sh(
            "mkfs.ext4",
            &[
                "-q",
                "-F",
                "-E",
                "lazy_itable_init=1,lazy_journal_init=1",
                &disk.device,
            ],
        );
        assert_eq!(code, Some(0), "cannot make an ext4 file system: {out}");
        if let Err(out) = disk.mount_ext4() {
            panic!("cannot mount ext4 from a loop device: {out}");
        }
        disk
    }

    fn mount_ext4(&self) -> Result<(), String> {
        let options = "errors=remount-ro,noinit_itable";
        let dir = self.dir.to_str().unwrap();
        match sh("mount", &["-t", "ext4", "-o", options, &self.device, dir]) {
            (Some(0), _) => Ok(()),
            (_, out) => Err(out),
        }
    }

    /// Fills the tmpfs under the file system: its writes fail from now on.
    fn break_it(&self) {
        fill(self.under.path());
    }

    /// The file system's options in /proc/mounts.
    fn options(&self) -> String {
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap();
        let dir = self.dir.to_str().unwrap();
        let line = mounts
            .lines()
            .rfind(|l| l.split(' ').nth(1) == Some(dir))
            .unwrap_or_else(|| panic!("{dir} is not mounted:\n{mounts}"));
        line.split(' ').nth(3).unwrap().to_owned()
    }

    /// Whether the kernel has made it read-only: `ro`, or ext4's
    /// `emergency_ro` (shown, the mount itself staying `rw`, since Linux 6.15).
    fn read_only(&self) -> bool {
        self.options()
            .split(',')
            .any(|o| o == "ro" || o == "emergency_ro")
    }

    /// The disk works again: the tmpfs has room.
    fn give_space_back(&self) {
        std::fs::remove_file(self.under.path().join("filler")).unwrap();
    }

    /// What an administrator does, lmgrd stopped: unmount, check the file
    /// system (e2fsck replays the journal and mends the free counts), mount
    /// again.
    fn mend(&self) {
        let dir = self.dir.to_str().unwrap();
        let (code, out) = sh("umount", &[dir]);
        assert_eq!(code, Some(0), "umount: {out}");
        // 0: clean; 1: errors corrected.
        let (code, out) = sh("e2fsck", &["-f", "-y", &self.device]);
        assert!(matches!(code, Some(0 | 1)), "e2fsck: {code:?}\n{out}");
        self.mount_ext4().unwrap();
        assert!(!self.read_only(), "{}", self.options());
    }
}

impl Drop for FailingDisk {
    fn drop(&mut self) {
        let dir = self.dir.to_str().unwrap();
        if sh("umount", &[dir]).0 != Some(0) {
            let _ = sh("umount", &["-l", dir]);
        }
        let _ = sh("losetup", &["--detach", &self.device]);
        let _ = sh("umount", &["-l", self.under.path().to_str().unwrap()]);
    }
}

/// The data directory's disk fails under a running server and the kernel
/// makes its file system read-only (see [`FailingDisk`]). What Linux does
/// (seen on 6.18): the commit that meets the failing disk gets an I/O
/// error from fsync (jbd2 cannot write the journal: "Aborting journal on
/// device loopN-8" in the kernel log); the next change ext4 starts (lmgrd's
/// own, as it answers the refusal) finds the journal aborted and turns the
/// file system read-only: writes get EROFS, and /proc/mounts keeps `rw` for
/// the mount and adds `emergency_ro` (older kernels: `ro`). That lasts as
/// long as the mount: space given back changes nothing, and the file system
/// cannot be unmounted while lmgrd holds its database open. So lmgrd cannot
/// recover by itself here; the administrator stops it, unmounts, runs
/// e2fsck, mounts again and starts it, and every acknowledged checkout is
/// back, nothing refused.
///
/// The debug log is on another disk (`--log`), where the administrator
/// can read it.
#[test]
fn a_disk_that_turns_read_only_under_the_server_keeps_status_and_loses_nothing() {
    let root = TestDaemon::root();
    install_ccu(root.path());
    let data = root.path().join("data");
    let disk = FailingDisk::mount(&data);
    let log = root.path().join("debug.log");
    let extra = ["--log", log.to_str().unwrap()];
    let failures = || {
        std::fs::read_to_string(&log)
            .unwrap()
            .matches("The state database cannot be written")
            .count()
    };
    let d = TestDaemon::start_with(root, &extra);
    let rt = runtime();
    let acked = rt.block_on(async {
        let (mut p, mut n, acked) = acknowledged_then_refused(&d, || disk.break_it()).await;
        let refused = async |p: &mut ProductSession, n: &mut usize| {
            *n += 1;
            match p.checkout(args(&format!("dev{n}"))).await {
                Err(ClientError::Refused(e)) => {
                    assert_eq!(e.code, -15, "{e:?}");
                    assert!(
                        e.reason.contains("state database cannot be written"),
                        "{e:?}"
                    );
                }
                other => panic!("{other:?}"),
            }
        };
        // The kernel has made the file system read-only (by the next
        // change it starts, if not yet).
        for _ in 0..250 {
            if disk.read_only() {
                break;
            }
            refused(&mut p, &mut n).await;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(disk.read_only(), "{}", disk.options());
        let err = std::fs::File::create(data.join("probe")).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(nix::libc::EROFS), "{err}");
        refused(&mut p, &mut n).await;

        // Status is served, with everything acknowledged and nothing refused.
        let snap = d.status().await;
        let held: BTreeSet<u64> = snap.checkouts.iter().map(|c| c.handle).collect();
        assert_eq!(held, acked);

        // Space given back changes nothing for this mount, and it cannot be
        // unmounted while lmgrd runs.
        disk.give_space_back();
        refused(&mut p, &mut n).await;
        assert!(disk.read_only(), "{}", disk.options());
        let (code, out) = sh("umount", &[data.to_str().unwrap()]);
        assert!(code != Some(0) && out.contains("busy"), "{code:?} {out}");
        acked
    });
    assert_eq!(failures(), 1, "{}", std::fs::read_to_string(&log).unwrap());
    let lines = granted_lines(&std::fs::read_to_string(&log).unwrap());
    assert_eq!(lines, acked.len(), "no OUT: line for a refused checkout");

    let root = d.kill();
    disk.mend();
    let d = TestDaemon::start_with(root, &extra);
    let snap = rt.block_on(d.status());
    let held: BTreeSet<u64> = snap.checkouts.iter().map(|c| c.handle).collect();
    assert_eq!(held, acked, "after the disk was mended and lmgrd restarted");
    rt.block_on(async {
        let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
        let mut p = ProductSession::start(conn, "ddc").await.unwrap();
        p.checkout(args("after")).await.unwrap();
    });
    assert_eq!(failures(), 1);
}
