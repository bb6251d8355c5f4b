//! udadmin against a real lmgrd with user/device licenses in use.

use lmutil::client::{CheckoutArgs, Connection, ProductSession};

use crate::common::{TestDaemon, lmutil};

const UD: &str = "SERVER this_host HOSTNAME={HOST}\nVENDOR CITRIX\n\
    INCREMENT XDT_PLT_UD CITRIX 2026.1201 permanent 10 VENDOR_STRING=;LT=Retail;GP=720\n";

/// The guide's kiosk case: two users on one shared desk, one user on two devices.
async fn daemon() -> TestDaemon {
    let root = TestDaemon::root();
    TestDaemon::install_license(root.path(), "ud.lic", UD);
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
        "Usage data is 0 minutes old. Next update in 0 minutes.\n\nUsers:\n\n山田 太郎 XDT_PLT_UD 2026.1201\n\nDevices:\n\ndesk 1 XDT_PLT_UD 2026.1201\n"
    );
    let timed = ud(&d, &["-list", "-times"]).succeeds().stdout();
    let line = timed.lines().find(|l| l.starts_with("山田 太郎 ")).unwrap();
    assert!(line.ends_with(')') && line.contains(" ("), "{line}");
    let json = ud(&d, &["-list", "--json"]).succeeds().json();
    assert_eq!(json["assignments"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_shows_every_feature_with_counts_and_holders() {
    let d = daemon().await;
    let out = ud(&d, &["-a"]).succeeds().stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("Feature"), "{out}");
    assert!(lines[1].starts_with("XDT_PLT_UD  2026.1201  10"), "{out}");
    assert!(
        lines[1].contains(" 1 ") || lines[1].ends_with(" 2"),
        "{out}"
    );
    assert!(
        out.contains("  Users: 山田 太郎\n  Devices: desk 1\n"),
        "{out}"
    );
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
    let karen = lines.iter().find(|l| l.contains(",karen,")).unwrap();
    let f: Vec<&str> = karen.split(',').collect();
    assert_eq!(
        &f[..7],
        [
            "XDT_PLT_UD",
            "karen",
            "desk 1",
            "desk 1",
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
    assert!(
        lines[0].contains("XDT_PLT_UD connected: user tom device desk 1"),
        "{events}"
    );
    assert!(lines[5].contains("released: user 山田 太郎"), "{events}");
    ud(&d, &["-delete"])
        .fails_with_code(2)
        .stderr_has("-user NAME or -device NAME");
    ud(&d, &["-user", "nobody", "-delete"]).fails_with_code(256 - 5);
    let remote = format!("{}@127.0.0.1", d.lm_port);
    lmutil(["udadmin", "-c", &remote, "-device", "desk 1", "-delete"]).fails_with_code(256 - 63);
}
