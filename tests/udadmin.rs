//! udadmin against a real lmgrd with user/device licenses in use.

use lmutil::client::{CheckoutArgs, Connection, ProductSession};

use crate::common::{License, Masks, TestDaemon, assert_golden, lmutil};

/// A user/device license of `count` seats.
fn ud_license(count: u64) -> License {
    License::new()
        .increment("XDT_PLT_UD", count)
        .vendor_string(";LT=Retail;GP=720")
}

/// The guide's kiosk case: two users on one shared desk, one user on two devices.
async fn daemon() -> TestDaemon {
    let root = TestDaemon::root();
    ud_license(10).install(root.path(), "ud.lic");
    let d = TestDaemon::start(root);
    let mut p = ProductSession::start(Connection::tcp(&d.vendor_addr()).await.unwrap(), "ddc")
        .await
        .unwrap();
    for (user, device) in [
        ("MYCO\\Tom", "Desk 1"),
        ("Karen", "Desk 1"),
        ("山田 太郎", "pc1"),
        ("山田 太郎", "phone"),
    ] {
        let args = CheckoutArgs {
            feature: "XDT_PLT_UD",
            version: "2026.0101",
            user,
            device,
            display: device,
            count: 1,
        };
        let h = p.checkout(args).await.unwrap();
        p.checkin(h).await.unwrap();
    }
    d
}

fn ud(d: &TestDaemon, args: &[&str]) -> crate::common::Run {
    let socket = d.socket.to_str().unwrap().to_owned();
    let mut all = vec!["udadmin", "-c", &socket];
    all.extend_from_slice(args);
    lmutil(all)
}

#[tokio::test]
async fn list_shows_who_holds_licenses_in_the_seeds_format() {
    let d = daemon().await;
    let out = ud(&d, &["-list"]).succeeds().stdout();
    assert_eq!(
        out,
        "Usage data is 0 minutes old. Next update in 0 minutes.\n\nUsers:\n\n山田 太郎 XDT_PLT_UD 2026.1201\n\nDevices:\n\nDesk 1 XDT_PLT_UD 2026.1201\n"
    );
    let timed = ud(&d, &["-list", "-times"]).succeeds().stdout();
    let line = timed.lines().find(|l| l.starts_with("山田 太郎 ")).unwrap();
    assert!(line.ends_with(')') && line.contains(" ("), "{line}");
    let json = ud(&d, &["-list", "--json"]).succeeds().json();
    assert_eq!(json["assignments"].as_array().unwrap().len(), 2);
    // -f: one feature's holders only.
    let same = ud(&d, &["-f", "XDT_PLT_UD", "-list"]).succeeds().stdout();
    assert_eq!(same, out);
    let other = ud(&d, &["-f", "XDT_ENT_UD", "-list"]).succeeds().stdout();
    assert_eq!(
        other,
        "Usage data is 0 minutes old. Next update in 0 minutes.\n\nUsers:\n\n\nDevices:\n\n"
    );
}

#[tokio::test]
async fn a_shows_every_feature_with_counts_and_holders() {
    let d = daemon().await;
    // Two tables: the pools with their counts, then who holds them.
    let out = ud(&d, &["-a"]).succeeds().stdout();
    assert_golden("udadmin_a.txt", &Masks::new(), &out);
}

#[tokio::test]
async fn export_is_the_raw_connections_as_csv() {
    let d = daemon().await;
    let out = ud(&d, &["-export"]).succeeds().stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "feature,userId,deviceId,deviceName,versionRequested,versionUserAllocated,versionDeviceAllocated,time"
    );
    assert_eq!(lines.len(), 5);
    // Names as first sent, not as counted.
    let karen = lines.iter().find(|l| l.contains(",Karen,")).unwrap();
    let f: Vec<&str> = karen.split(',').collect();
    assert_eq!(
        &f[..7],
        [
            "XDT_PLT_UD",
            "Karen",
            "Desk 1",
            "Desk 1",
            "2026.0101",
            "",
            "2026.1201"
        ]
    );
}

#[tokio::test]
async fn delete_releases_one_user_at_once_and_events_record_it() {
    let d = daemon().await;
    ud(&d, &["-f", "XDT_PLT_UD", "-user", "山田 太郎", "-delete"])
        .succeeds()
        .stdout_has("Released the license of user 山田 太郎 for XDT_PLT_UD.");
    let out = ud(&d, &["-list"]).succeeds().stdout();
    assert!(!out.contains("山田"), "{out}");
    let events = ud(&d, &["-events"]).succeeds().stdout();
    let lines: Vec<&str> = events.lines().collect();
    assert_eq!(lines.len(), 6, "{events}");
    // Grants name the user and device as the product sent them.
    assert!(
        lines[0].contains("XDT_PLT_UD connected: user MYCO\\Tom device Desk 1"),
        "{events}"
    );
    assert!(lines[5].contains("released: user 山田 太郎"), "{events}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.txt");
    ud(&d, &["-events", "-o", file.to_str().unwrap()]).succeeds();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), events);
    ud(&d, &["-delete"])
        .fails_with_code(2)
        .stderr_has("-user NAME or -device NAME");
    ud(&d, &["-user", "nobody", "-delete"])
        .fails_with_code(256 - 5)
        .stderr_has("(udadmin -list shows who holds a license");
    let remote = format!("{}@127.0.0.1", d.lm_port);
    lmutil(["udadmin", "-c", &remote, "-device", "desk 1", "-delete"]).fails_with_code(256 - 63);
}

/// A daemon with `n` user/device connections, one of whose names needs
/// CSV quoting.
async fn many(n: usize) -> TestDaemon {
    let root = TestDaemon::root();
    ud_license(n as u64).install(root.path(), "ud.lic");
    let d = TestDaemon::start(root);
    let mut p = ProductSession::start(Connection::tcp(&d.vendor_addr()).await.unwrap(), "ddc")
        .await
        .unwrap();
    for i in 0..n {
        let (user, device) = if i == 0 {
            ("Smith, \"JJ\"".to_owned(), "kiosk 0".to_owned())
        } else {
            (format!("user{i}"), format!("pc{i}"))
        };
        let args = CheckoutArgs {
            feature: "XDT_PLT_UD",
            version: "2026.0101",
            user: &user,
            device: &device,
            display: &device,
            count: 1,
        };
        let h = p.checkout(args).await.unwrap();
        p.checkin(h).await.unwrap();
    }
    d
}

#[tokio::test]
async fn export_to_a_file_streams_every_row_and_draws_no_bar_when_not_on_a_terminal() {
    let n = 300;
    let d = many(n).await;
    let on_stdout = ud(&d, &["-export"]).succeeds().stdout();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.csv");
    // Standard error is a pipe here: no progress bar, nothing on it.
    let run = ud(&d, &["-export", "-o", file.to_str().unwrap()]).succeeds();
    assert_eq!(run.stdout(), "");
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written, on_stdout);
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines.len(), n + 1);
    assert!(lines[0].starts_with("feature,userId,deviceId,"));
    let quoted = lines
        .iter()
        .find(|l| l.contains("kiosk 0"))
        .expect("the quoted row");
    assert!(
        quoted.starts_with("XDT_PLT_UD,\"Smith, \"\"JJ\"\"\",kiosk 0,kiosk 0,2026.0101,"),
        "{quoted}"
    );
    for i in 1..n {
        let row = format!("XDT_PLT_UD,user{i},pc{i},pc{i},2026.0101,");
        assert_eq!(
            lines.iter().filter(|l| l.starts_with(&row)).count(),
            1,
            "{row}"
        );
    }
    // Standard output redirected to a file: the same rows, still no bar
    // on a standard error that is not a terminal.
    let redirected = dir.path().join("redirected.csv");
    let socket = d.socket.to_str().unwrap();
    let out = std::process::Command::new(crate::common::lmutil_bin())
        .args(["udadmin", "-c", socket, "-export"])
        .stdout(std::fs::File::create(&redirected).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    assert_eq!(std::fs::read_to_string(&redirected).unwrap(), on_stdout);
    let nowhere = dir.path().join("no/such/dir/export.csv");
    ud(&d, &["-export", "-o", nowhere.to_str().unwrap()])
        .fails_with_code(1)
        .stderr_has(&format!("udadmin: cannot write {}: ", nowhere.display()))
        .stderr_has("(check that the directory exists and is writable)");
}

#[tokio::test]
async fn export_to_a_file_draws_a_progress_bar_on_a_terminal() {
    use std::io::Read;
    let d = many(20).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.csv");
    let size = nix::pty::Winsize {
        ws_row: 24,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = nix::pty::openpty(Some(&size), None).unwrap();
    let socket = d.socket.to_str().unwrap();
    let mut child = std::process::Command::new(crate::common::lmutil_bin())
        .args(["udadmin", "-c", socket, "-export", "-o"])
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::from(pty.slave))
        .spawn()
        .unwrap();
    assert!(child.wait().unwrap().success());
    // Everything the command drew on the terminal; the read ends with an
    // error (EIO) once no process holds the terminal open.
    let mut terminal = std::fs::File::from(pty.master);
    let mut drawn = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = terminal.read(&mut buf) {
        if n == 0 {
            break;
        }
        drawn.extend_from_slice(&buf[..n]);
    }
    let drawn = String::from_utf8_lossy(&drawn);
    assert!(drawn.contains("connections"), "{drawn:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 21);
}

#[tokio::test]
async fn list_separates_entries_with_a_blank_line_as_the_seed_does() {
    let d = many(3).await;
    let out = ud(&d, &["-list"]).succeeds().stdout();
    let (_, sections) = out
        .split_once("\nUsers:\n")
        .unwrap_or_else(|| panic!("{out}"));
    let (users, devices) = sections
        .split_once("\nDevices:\n")
        .unwrap_or_else(|| panic!("{out}"));
    let mut entries = 0;
    for body in [users, devices] {
        let body = body.trim_matches('\n');
        if body.is_empty() {
            continue;
        }
        for entry in body.split("\n\n") {
            assert!(
                entry.ends_with(" XDT_PLT_UD 2026.1201") && !entry.contains('\n'),
                "{out}"
            );
            entries += 1;
        }
    }
    assert_eq!(entries, 3, "{out}");
}

#[test]
fn no_argument_or_a_question_mark_prints_the_usage() {
    for args in [&[][..], &["?"]] {
        let mut all = vec!["udadmin"];
        all.extend_from_slice(args);
        lmutil(all)
            .succeeds()
            .stdout_has("Usage: lmutil udadmin")
            .stdout_has("-export");
    }
}
