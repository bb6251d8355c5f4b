//! lmdiag against a real lmgrd with lines that work and lines that fail
//! for every reason an administrator meets.

use lmutil::client::{CheckoutArgs, Connection, ProductSession};

use crate::common::{License, Masks, TestDaemon, assert_golden, lmutil};

/// A line that works, one not started yet, one expired.
fn good() -> License {
    License::new()
        .increment("XDT_PLT_CCU", 1)
        .vendor_string(";LT=Eval")
        .dup_group("V")
        .increment("XDT_ADV_CCU", 5)
        .start("01-jan-2099")
        .increment("XDT_STD_CCU", 5)
        .expiry("01-jan-2020")
}

fn daemon() -> TestDaemon {
    let root = TestDaemon::root();
    good().install(root.path(), "a_good.lic");
    License::new()
        .server_host("another-host")
        .increment("MPS_ENT_CCU", 5)
        .install(root.path(), "b_elsewhere.lic");
    let tampered = License::new()
        .increment("CBR_100_SSERVER", 5)
        .install(root.path(), "c_tampered.lic");
    let text = std::fs::read_to_string(&tampered).unwrap();
    std::fs::write(&tampered, text.replace("permanent 5", "permanent 500")).unwrap();
    std::fs::write(
        root.path().join("licenses/saved.lic.txt"),
        "VENDOR CITRIX\n",
    )
    .unwrap();
    TestDaemon::start(root)
}

fn diag(d: &TestDaemon, args: &[&str]) -> crate::common::Run {
    let socket = d.socket.to_str().unwrap().to_owned();
    let mut all = vec!["lmdiag", "-c", &socket, "-n"];
    all.extend_from_slice(args);
    lmutil(all)
}

/// The block of the line for `feature` in lmdiag's text.
fn block<'a>(out: &'a str, feature: &str) -> &'a str {
    let start = out
        .find(&format!("\"{feature}\" v"))
        .unwrap_or_else(|| panic!("no {feature}:\n{out}"));
    let end = out[start..].find("-----").map_or(out.len(), |e| start + e);
    &out[start..end]
}

#[test]
fn a_working_feature_gets_exactly_the_line_monitoring_greps_for() {
    let d = daemon();
    let out = diag(&d, &["XDT_PLT_CCU"]).succeeds().stdout();
    assert!(
        out.lines().any(|l| l == "This license can be checked out"),
        "{out}"
    );
    assert!(out.contains("License file: "));
    assert!(out.contains(&format!("TCP port {} (license manager)", d.lm_port)));
    assert!(out.contains("answers"));
    // With a qualifier, as FlexNet accepts it.
    diag(&d, &["XDT_PLT_CCU:VERSION=2026.1201"])
        .succeeds()
        .stdout_has("can be checked out");
}

/// `VERSION=` a product's version that no line carries: lines older than
/// it say why they cannot serve it; lines as new or newer are tried.
#[test]
fn a_products_version_newer_than_the_css_date_is_said() {
    let d = daemon();
    let out = diag(&d, &["XDT_PLT_CCU:VERSION=2027.0301"])
        .fails_with_code(256 - 21)
        .stdout();
    let line = block(&out, "XDT_PLT_CCU");
    assert!(
        line.contains("This license cannot be checked out because:\nLicense file does not support this version. (-21,0)"),
        "{out}"
    );
    assert!(line.contains("version 2027.0301") && line.contains("this line's is 2026.1201"));
    diag(&d, &["XDT_PLT_CCU:VERSION=2026.0101"])
        .succeeds()
        .stdout_has("This license can be checked out");
}

#[tokio::test]
async fn every_reason_a_line_cannot_be_checked_out() {
    let d = daemon();
    let mut p = ProductSession::start(Connection::tcp(&d.vendor_addr()).await.unwrap(), "ddc")
        .await
        .unwrap();
    let args = CheckoutArgs {
        feature: "XDT_PLT_CCU",
        version: "2026.0101",
        user: "u",
        device: "d",
        display: "d",
        count: 1,
    };
    p.checkout(args).await.unwrap();
    let out = diag(&d, &[]).fails_with_code(256 - 4).stdout();
    let all_in_use = block(&out, "XDT_PLT_CCU");
    assert!(all_in_use.contains("This license cannot be checked out because:\nLicensed number of users already reached. (-4,0)"), "{all_in_use}");
    assert!(block(&out, "XDT_ADV_CCU").contains("Feature start date is in the future. (-31,0)"));
    assert!(block(&out, "XDT_STD_CCU").contains("Feature has expired. (-10,0)"));
    let elsewhere = block(&out, "MPS_ENT_CCU");
    assert!(elsewhere.contains("Invalid host. (-9,0)"), "{elsewhere}");
    assert!(elsewhere.contains("HOSTNAME=another-host"));
    assert!(elsewhere.contains("This host's IDs: HOSTNAME="));
    assert!(block(&out, "CBR_100_SSERVER").contains("(inconsistent authentication code)"));
    assert!(
        out.contains("Not loaded: ") && out.contains("saved.lic.txt"),
        "{out}"
    );
    // Diagnosing held nothing: the pool is as the product left it.
    let json = diag(&d, &["XDT_PLT_CCU", "--json"])
        .fails_with_code(256 - 4)
        .json();
    assert_eq!(json["diagnosis"]["lines"][0]["code"], -4);
}

#[test]
fn an_unreachable_server_is_said_with_the_ports_tried() {
    let out = lmutil(["lmdiag", "-n", "-c", "1@127.0.0.1", "-t", "2"]).fails_with_code(241);
    let text = out.stdout();
    assert!(text.contains("This license cannot be checked out because:\nCannot connect to license server system. (-15,0)"), "{text}");
    assert!(text.contains("\nLicense server: 1@127.0.0.1\n"), "{text}");
    assert!(text.contains("TCP port 1 (license manager) on 127.0.0.1: does not answer"));
    assert!(out.stderr().contains("is lmgrd running?"));
}

/// With the vendor daemon stopped (`lmdown -vendor CITRIX`) a line that
/// would otherwise work says so, and the command exits with FlexNet's -97;
/// the license manager still answers. `lmreread -vendor` brings it back.
#[test]
fn a_stopped_vendor_daemon_is_said_for_every_line() {
    let root = TestDaemon::root();
    good().install(root.path(), "a_good.lic");
    let d = TestDaemon::start_with(root, &["--allow-lmdown"]);
    let socket = d.socket.to_str().unwrap().to_owned();
    lmutil(["lmdown", "-c", &socket, "-q", "-vendor", "CITRIX"]).succeeds();
    let out = diag(&d, &[]).fails_with_code(256 - 97).stdout();
    assert!(
        block(&out, "XDT_PLT_CCU").contains(
            "This license cannot be checked out because:\nThe desired vendor daemon is down. (-97,0)"
        ),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "TCP port {} (license manager) on 127.0.0.1: answers",
            d.lm_port
        )),
        "{out}"
    );
    // The vendor daemon's port is closed while it is stopped.
    assert!(
        out.contains(&format!(
            "TCP port {} (CITRIX vendor daemon) on 127.0.0.1: does not answer",
            d.vendor_port
        )),
        "{out}"
    );
    lmutil(["lmreread", "-c", &socket, "-vendor", "CITRIX"]).succeeds();
    let out = diag(&d, &["XDT_PLT_CCU"]).succeeds().stdout();
    assert!(out.contains("This license can be checked out"), "{out}");
    assert!(
        out.contains(&format!(
            "TCP port {} (CITRIX vendor daemon) on 127.0.0.1: answers",
            d.vendor_port
        )),
        "{out}"
    );
}

/// lmdiag's text for every line, one in use to its limit, pinned. Besides
/// the daemon's ports, root and host name, this machine's other IDs are
/// masked: their number differs from one machine to another.
#[tokio::test]
async fn lmdiag_matches_its_golden_file() {
    let d = daemon();
    let mut p = ProductSession::start(Connection::tcp(&d.vendor_addr()).await.unwrap(), "ddc")
        .await
        .unwrap();
    let args = CheckoutArgs {
        feature: "XDT_PLT_CCU",
        version: "2026.0101",
        user: "u",
        device: "d",
        display: "d",
        count: 1,
    };
    p.checkout(args).await.unwrap();
    let out = diag(&d, &[]).fails_with_code(256 - 4).stdout();
    let masks = Masks::daemon(&d).line_rest("This host's IDs: HOSTNAME={HOST} ", "{IDS}");
    assert_golden("lmdiag.txt", &masks, &out);
}
