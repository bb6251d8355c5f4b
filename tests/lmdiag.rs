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

/// The daemon with its one XDT_PLT_CCU license checked out, and the
/// product session holding it.
async fn daemon_with_ccu_in_use() -> (TestDaemon, ProductSession) {
    let d = daemon();
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc").await.unwrap();
    let args = CheckoutArgs {
        feature: "XDT_PLT_CCU",
        version: "2026.0101",
        user: "u",
        device: "d",
        display: "d",
        count: 1,
    };
    p.checkout(args).await.unwrap();
    (d, p)
}

#[tokio::test]
async fn every_reason_a_line_cannot_be_checked_out() {
    let (d, _product) = daemon_with_ccu_in_use().await;
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
    let (d, _product) = daemon_with_ccu_in_use().await;
    let out = diag(&d, &[]).fails_with_code(256 - 4).stdout();
    let masks = Masks::daemon(&d).line_rest("This host's IDs: HOSTNAME={HOST} ", "{IDS}");
    assert_golden("lmdiag.txt", &masks, &out);
}

/// The licenses built into the vendor daemon have no file, and are
/// diagnosed like any other: the start-up license a product checks out
/// when it starts, the diagnostics license.
#[test]
fn the_built_in_licenses_can_be_diagnosed() {
    let d = daemon();
    for feature in ["CITRIX", "CTXLSDIAG"] {
        let out = diag(&d, &[feature]).succeeds().stdout();
        assert!(
            out.contains("License file: (built into the CITRIX vendor daemon)\n"),
            "{out}"
        );
        let line = block(&out, feature);
        assert!(
            line.contains("\nThis license can be checked out\n"),
            "{out}"
        );
    }
    let json = diag(&d, &["CITRIX", "--json"]).succeeds().json();
    let line = &json["diagnosis"]["lines"][0];
    assert_eq!(
        (&line["feature"], &line["built_in"], &line["can_check_out"]),
        (&"CITRIX".into(), &true.into(), &true.into())
    );
}

/// With no feature, every installed feature is diagnosed: the built-in
/// ones and every line of every license file, once each.
#[test]
fn with_no_feature_every_installed_feature_is_diagnosed() {
    let d = daemon();
    let json = diag(&d, &["--json"]).fails_with_code(256 - 31).json();
    let features: Vec<&str> = json["diagnosis"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["feature"].as_str().unwrap())
        .collect();
    assert_eq!(
        features,
        [
            "CITRIX",
            "CTXLSDIAG",
            "XDT_PLT_CCU",
            "XDT_ADV_CCU",
            "XDT_STD_CCU",
            "MPS_ENT_CCU",
            "CBR_100_SSERVER"
        ]
    );
}

/// Fails the test unless `doc` fits `docs/schemas/lmdiag.json`.
#[track_caller]
fn assert_fits_the_schema(doc: &serde_json::Value) {
    let path = crate::common::repo_path("docs/schemas/lmdiag.json");
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let wrong: Vec<String> = validator.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(wrong.is_empty(), "{wrong:#?}\n{doc:#}");
}

/// `--json` prints a JSON document when lmdiag fails, as when it succeeds:
/// the error, the servers tried, which ports answer.
#[test]
fn json_says_why_it_failed_in_json() {
    let run =
        lmutil(["lmdiag", "-n", "-c", "1@127.0.0.1", "-t", "2", "--json"]).fails_with_code(241);
    let doc = run.json();
    assert_fits_the_schema(&doc);
    assert_eq!(doc["error"]["code"], -15, "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot connect to license server 1@127.0.0.1"),
        "{doc}"
    );
    assert_eq!(doc["tried"], "1@127.0.0.1");
    assert_eq!(doc["ports"][0]["port"], 1);
    assert_eq!(doc["ports"][0]["answers"], false);
    assert!(run.stderr().contains("is lmgrd running?"));
    // A server that accepts and never answers: an error object too.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let at = format!("{}@127.0.0.1", silent.local_addr().unwrap().port());
    let doc = lmutil(["lmdiag", "-n", "-c", &at, "-t", "1", "--json"])
        .fails_with_code(241)
        .json();
    assert_eq!(doc["error"]["code"], -15, "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("connected, but no answer within 1 second"),
        "{doc}"
    );
}

/// With the server down, lmdiag still says what the license files say
/// (each line's own reason, or that no server answers to grant it) and
/// which ports answer; in text and in JSON.
#[test]
fn with_the_server_down_the_license_files_are_still_read() {
    let d = daemon();
    let root = d.kill();
    let run = |args: &[&str]| {
        let output = std::process::Command::new(crate::common::lmutil_bin())
            .args(args)
            .env("LMGRD_LICENSE_DIR", root.path().join("licenses"))
            .env("LMGRD_KEYS_DIR", root.path().join("keys"))
            .env_remove("LM_LICENSE_FILE")
            .env_remove("CITRIX_LICENSE_FILE")
            .output()
            .unwrap();
        crate::common::Run { output }
    };
    let out = run(&["lmdiag", "-n", "-c", "1@127.0.0.1", "-t", "2"])
        .fails_with_code(241)
        .stdout();
    assert!(
        out.contains("TCP port 1 (license manager) on 127.0.0.1: does not answer"),
        "{out}"
    );
    assert!(
        out.contains("What the license files say, read on this host:"),
        "{out}"
    );
    let works = block(&out, "XDT_PLT_CCU");
    assert!(
        works.contains("Cannot connect to license server system. (-15,0)\nno license server answers to grant it; the line itself would serve"),
        "{out}"
    );
    assert!(
        block(&out, "XDT_STD_CCU").contains("Feature has expired. (-10,0)"),
        "{out}"
    );
    assert!(block(&out, "CBR_100_SSERVER").contains("(inconsistent authentication code)"));
    assert!(out.contains("saved.lic.txt"), "{out}");
    let doc = run(&[
        "lmdiag",
        "-n",
        "-c",
        "1@127.0.0.1",
        "-t",
        "2",
        "--json",
        "XDT_STD_CCU",
    ])
    .fails_with_code(241)
    .json();
    let lines = doc["diagnosis"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{doc}");
    assert_eq!(
        (&lines[0]["feature"], &lines[0]["code"]),
        (&"XDT_STD_CCU".into(), &(-10).into())
    );
}
