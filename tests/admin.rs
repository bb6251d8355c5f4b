//! lmreread and lmdown through the real lmutil against a real lmgrd.

use crate::common::{License, TestDaemon, lmutil, lmutil_with_input};

fn daemon(extra: &[&str]) -> TestDaemon {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 3)
        .vendor_string(";LT=Eval")
        .dup_group("V")
        .install(root.path(), "ccu.lic");
    TestDaemon::start_with(root, extra)
}

fn sock(d: &TestDaemon) -> String {
    d.socket.to_str().unwrap().to_owned()
}

#[test]
fn lmreread_works_locally_and_is_refused_remotely() {
    let d = daemon(&[]);
    lmutil(["lmreread", "-c", &sock(&d)])
        .succeeds()
        .stdout_has("lmutil - Copyright")
        .stdout_has("lmreread successful");
    // The anchor's single-dash spelling.
    lmutil(["lmreread", "-c", &sock(&d), "-vendor", "CITRIX"]).succeeds();
    lmutil(["lmreread", "-c", &sock(&d), "-all"])
        .succeeds()
        .stdout_has("lmreread successful");
    let remote = format!("{}@127.0.0.1", d.lm_port);
    lmutil(["lmreread", "-c", &remote])
        .fails_with_code(256 - 63)
        .stderr_has("control socket")
        .stderr_has("with -c @localhost, so that it goes over the control socket");
}

/// `lmstat -i` with the server's control socket asks the server, as with
/// `port@host`; a license directory alone is read as files.
#[test]
fn lmstat_i_asks_the_server_on_its_socket() {
    let d = daemon(&[]);
    lmutil(["lmstat", "-i", "-c", &sock(&d)])
        .succeeds()
        .stdout_has("XDT_PLT_CCU")
        .stdout_has("\nCITRIX ");
    let dir = d.root.path().join("licenses");
    let files = lmutil(["lmstat", "-i", "-c", dir.to_str().unwrap()])
        .succeeds()
        .stdout();
    assert!(files.contains("XDT_PLT_CCU") && !files.contains("\nCITRIX "));
}

#[test]
fn lmdown_says_when_it_is_disabled() {
    let d = daemon(&[]);
    lmutil(["lmdown", "-c", &sock(&d), "-q"])
        .fails_with_code(256 - 63)
        .stderr_has("--allow-lmdown");
}

#[test]
fn lmdown_vendor_then_lmreread_vendor() {
    let d = daemon(&["--allow-lmdown"]);
    lmutil(["lmdown", "-c", &sock(&d), "-q", "-vendor", "CITRIX"])
        .succeeds()
        .stdout_has("CITRIX vendor daemon shut down");
    lmutil(["lmstat", "-c", &sock(&d)])
        .succeeds()
        .stdout_has("    CITRIX: The desired vendor daemon is down. (-97,0)");
    lmutil(["lmreread", "-c", &sock(&d), "-vendor", "CITRIX"]).succeeds();
    lmutil(["lmstat", "-c", &sock(&d)])
        .succeeds()
        .stdout_has("    CITRIX: UP v");
}

#[test]
fn lmdown_asks_first_and_stops_only_on_yes() {
    let mut d = daemon(&["--allow-lmdown"]);
    let no = lmutil_with_input(["lmdown", "-c", &sock(&d)], "n\n").fails_with_code(1);
    assert!(
        no.stdout().contains("Are you sure (y/n)?  "),
        "{}",
        no.stdout()
    );
    assert!(no.stdout().contains("   Port@Host            Vendors\n1) "));
    lmutil(["lmstat", "-c", &sock(&d)]).succeeds();
    lmutil_with_input(["lmdown", "-c", &sock(&d)], "y\n")
        .succeeds()
        .stdout_has("    1 FlexNet License Server shut down");
    assert!(d.child.wait().unwrap().success());
}

#[test]
fn lmdown_json_asks_on_stderr_and_keeps_stdout_one_document() {
    let mut d = daemon(&["--allow-lmdown"]);
    let run = lmutil_with_input(["lmdown", "-c", &sock(&d), "--json"], "y\n");
    assert!(run.output.status.success(), "{}", run.stderr());
    assert!(
        run.stderr().contains("Are you sure (y/n)?  "),
        "{}",
        run.stderr()
    );
    let json = run.json();
    assert_eq!(json["vendor_only"], false);
    assert_eq!(json["schema_version"], 1);
    assert!(d.child.wait().unwrap().success());
}

/// `-all` acts on every server `-c` names, each once however often it is
/// named; without it, on the first that answers.
#[test]
fn all_rereads_and_stops_every_server_named() {
    let (mut a, mut b) = (daemon(&["--allow-lmdown"]), daemon(&["--allow-lmdown"]));
    let (sa, sb) = (sock(&a), sock(&b));
    let list = format!("{sa}:{sb}:{sa}");
    let first = lmutil(["lmreread", "-c", &list, "--json"])
        .succeeds()
        .json();
    assert_eq!(first["servers"], serde_json::json!([sa]));
    let all = lmutil(["lmreread", "-c", &list, "-all", "--json"])
        .succeeds()
        .json();
    assert_eq!(all["servers"], serde_json::json!([sa, sb]));
    assert_eq!(all["server"], serde_json::json!(sa));
    let reread = |d: &TestDaemon| d.debug_log().matches("Done rereading").count();
    assert_eq!((reread(&a), reread(&b)), (2, 1));
    lmutil(["lmreread", "-c", &list, "-all"])
        .succeeds()
        .stdout_has(&format!(
            "lmreread successful: {sa}\nlmreread successful: {sb}\n"
        ));
    let asked = lmutil_with_input(["lmdown", "-c", &list, "-all"], "y\n").succeeds();
    let menu = format!("1) {}@", a.lm_port);
    assert!(asked.stdout().contains(&menu), "{}", asked.stdout());
    assert!(asked.stdout().contains(&format!("2) {}@", b.lm_port)));
    assert!(!asked.stdout().contains("3) "), "{}", asked.stdout());
    asked.stdout_has("    2 FlexNet License Servers shut down");
    assert!(a.child.wait().unwrap().success());
    assert!(b.child.wait().unwrap().success());
}
