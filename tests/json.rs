//! `--json` is the stable interface: the real commands' output, against a
//! real lmgrd, validates against the checked-in schema of `docs/schemas/`
//! and decodes back into the report types, which match the daemon's own
//! view.

use lmutil::cli::lmstat_i;
use lmutil::cli::schema::{SCHEMA_VERSION, Versioned};
use lmutil::cli::{accounts, lmcrypt, lmdiag, lmdown, lmhostid, lmreread, lmstat, lmver, udadmin};
use lmutil::client::{CheckoutArgs, Connection, ProductSession};
use lmutil::protocol::events::What;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::common::{License, Run, TestDaemon, hostname, lmutil, repo_path};

/// Concurrent licenses, user/device licenses, and an expired line.
fn licenses() -> License {
    License::new()
        .use_server()
        .increment("XDT_PLT_CCS", 100)
        .vendor_string(";LT=Retail;GP=720;CL=VDS,VDA,VDE,VDP;SA=0;ODP=0")
        .dup_group("V")
        .continued()
        .increment("XDT_PLT_UD", 10)
        .expiry("01-dec-2027")
        .vendor_string(";LT=Retail;GP=720")
        .increment("XDT_ENT_UD", 10)
        .expiry("01-jan-2020")
        .vendor_string(";LT=Retail;GP=720")
}

/// The checked-in schema of `command`.
fn schema(command: &str) -> Value {
    let path = repo_path(&format!("docs/schemas/{command}.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// The reasons `doc` does not fit `command`'s schema.
fn violations(command: &str, doc: &Value) -> Vec<String> {
    let schema = schema(command);
    let validator = jsonschema::validator_for(&schema).expect("the schema is valid JSON Schema");
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Validates a run's output against the schema and decodes it.
#[track_caller]
fn decode<T: DeserializeOwned>(command: &str, run: Run) -> T {
    let doc = run.succeeds().json();
    let wrong = violations(command, &doc);
    assert!(wrong.is_empty(), "{command}: {wrong:#?}\n{doc:#}");
    assert_eq!(doc["schema_version"], SCHEMA_VERSION);
    let typed: Versioned<T> = serde_json::from_value(doc).expect("decodes into the report type");
    assert_eq!(typed.schema_version, SCHEMA_VERSION);
    typed.report
}

fn on(d: &TestDaemon, command: &str, args: &[&str]) -> Run {
    let socket = d.socket.to_str().unwrap().to_owned();
    let mut all = vec![command, "-c", &socket];
    all.extend_from_slice(args);
    all.push("--json");
    lmutil(all)
}

/// A daemon with concurrent checkouts held and user/device connections made.
async fn busy_daemon(extra: &[&str]) -> TestDaemon {
    let root = TestDaemon::root();
    licenses().install(root.path(), "retail.lic");
    let d = TestDaemon::start_with(root, extra);
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
    for (feature, user, device) in [
        ("XDT_PLT_CCS", "ann", "dev1"),
        ("XDT_PLT_CCS", "bob", "dev2"),
        ("XDT_PLT_UD", "MYCO\\Tom", "Desk 1"),
        ("XDT_PLT_UD", "Karen", "Desk 1"),
        ("XDT_PLT_UD", "山田 太郎", "pc1"),
    ] {
        let args = CheckoutArgs {
            feature,
            version: "2026.0101",
            user,
            device,
            display: device,
            count: 1,
        };
        p.checkout(args).await.unwrap();
    }
    // An edition that is not installed: refused, and remembered.
    let refused = CheckoutArgs {
        feature: "XDT_ADV_CCS",
        version: "2026.0101",
        user: "cid",
        device: "dev3",
        display: "dev3",
        count: 1,
    };
    assert!(p.checkout(refused).await.is_err());
    std::mem::forget(p); // the session stays open while the commands run
    d
}

/// Refusals are data: counted by feature, version and number, and the
/// counts and the most recent refusals survive a restart (kill -9 too).
#[tokio::test]
async fn refusals_are_counted_and_survive_a_restart() {
    let d = busy_daemon(&[]).await;
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc2").await.unwrap();
    for _ in 0..2 {
        let args = CheckoutArgs {
            feature: "XDT_ADV_CCS",
            version: "2026.0101",
            user: "cid",
            device: "dev3",
            display: "dev3",
            count: 1,
        };
        assert!(p.checkout(args).await.is_err());
    }
    let counts = |status: &lmutil::protocol::status::Status| {
        let found = status.denial_counts.iter().map(|c| {
            (
                c.feature.as_str(),
                c.version.as_str(),
                c.code.number(),
                c.count,
            )
        });
        found
            .map(|(f, v, c, n)| (f.to_owned(), v.to_owned(), c, n))
            .collect::<Vec<_>>()
    };
    let before = d.status().await;
    assert_eq!(
        counts(&before),
        [("XDT_ADV_CCS".to_owned(), "2026.0101".to_owned(), -5, 3)]
    );
    assert_eq!(before.denials.len(), 3);
    drop(p);
    let restarted = TestDaemon::start(d.kill());
    let after = restarted.status().await;
    assert_eq!(counts(&after), counts(&before));
    assert_eq!(after.denials, before.denials);
    let json = restarted
        .lmutil("lmstat", &["-a", "--json"])
        .succeeds()
        .json();
    assert_eq!(json["denial_counts"][0]["count"], 3);
}

#[tokio::test]
async fn lmstat_json_fits_its_schema_and_is_the_daemons_view() {
    let d = busy_daemon(&[]).await;
    let own = d.status().await;
    let status = match decode::<lmstat::Output>("lmstat", on(&d, "lmstat", &["-a"])) {
        lmstat::Output::Status(s) => s,
        other => panic!("not a status: {other:?}"),
    };
    assert_eq!(status.server.lm_port, d.lm_port);
    assert_eq!(status.pools, own.pools);
    assert_eq!(status.checkouts, own.checkouts);
    assert_eq!(status.sessions.len(), 1);
    assert_eq!(status.assignments, own.assignments);
    assert_eq!(status.denials, own.denials);
    let [denial] = &status.denials[..] else {
        panic!("one denial: {:?}", status.denials);
    };
    assert_eq!(
        (denial.feature.as_str(), denial.user.as_str(), denial.code),
        ("XDT_ADV_CCS", "cid", lmutil::flexnet::Code::NO_SUCH_FEATURE)
    );
    let one = match decode::<lmstat::Output>("lmstat", on(&d, "lmstat", &["-f", "XDT_PLT_CCS"])) {
        lmstat::Output::Status(s) => s,
        other => panic!("not a status: {other:?}"),
    };
    let pools: Vec<&str> = one.pools.iter().map(|p| p.key.feature.as_str()).collect();
    assert_eq!(pools, ["XDT_PLT_CCS"]);
    assert_eq!(one.checkouts.len(), 2);
    assert!(
        one.denials.is_empty(),
        "-f keeps that feature's denials only"
    );
    let dir = d.root.path().join("licenses");
    let run = lmutil(["lmstat", "-i", "-c", dir.to_str().unwrap(), "--json"]);
    let lmstat::Output::Increments(lmstat_i::Increments { increments }) =
        decode::<lmstat::Output>("lmstat", run)
    else {
        panic!("not the INCREMENT lines");
    };
    let features: Vec<&str> = increments.iter().map(|i| i.feature.as_str()).collect();
    let run = lmutil(["lmstat", "-v", "--json"]);
    let lmstat::Output::Version(v) = decode::<lmstat::Output>("lmstat", run) else {
        panic!("not a version");
    };
    assert_eq!(v.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(features, ["XDT_PLT_CCS", "XDT_PLT_UD", "XDT_ENT_UD"]);
}

#[tokio::test]
async fn lmdiag_json_fits_its_schema_when_a_line_works_and_when_it_does_not() {
    let d = busy_daemon(&[]).await;
    let ok: lmdiag::Diag = decode("lmdiag", on(&d, "lmdiag", &["-n", "XDT_PLT_UD"]));
    assert!(ok.diagnosis.lines.iter().all(|l| l.can_check_out));
    assert!(ok.ports.iter().any(|p| p.port == d.lm_port && p.answers));
    let run = on(&d, "lmdiag", &["-n", "XDT_ENT_UD"]).fails_with_code(256 - 10);
    let doc = run.json();
    assert!(violations("lmdiag", &doc).is_empty());
    let expired: Versioned<lmdiag::Diag> = serde_json::from_value(doc).unwrap();
    let line = &expired.report.diagnosis.lines[0];
    assert_eq!(
        (line.can_check_out, line.code),
        (false, Some(lmutil::flexnet::Code::EXPIRED))
    );
}

#[tokio::test]
async fn udadmin_json_fits_its_schema_in_every_mode() {
    let d = busy_daemon(&[]).await;
    let own = d.status().await;
    let listing: udadmin::Listing = decode("udadmin", on(&d, "udadmin", &["-list"]));
    assert_eq!(listing.assignments, own.assignments.clone());
    assert!(listing.pools.iter().all(|p| p.key.feature.ends_with("_UD")));
    let all: udadmin::Listing = decode("udadmin", on(&d, "udadmin", &["-a"]));
    assert_eq!(all.pools, listing.pools);
    let export: udadmin::Export = decode("udadmin", on(&d, "udadmin", &["-export"]));
    assert_eq!(export.connections.len(), own.connections.len());
    assert!(export.connections.iter().any(|c| c.user_id == "山田 太郎"));
    let released: udadmin::Released = decode(
        "udadmin",
        on(
            &d,
            "udadmin",
            &["-f", "XDT_PLT_UD", "-device", "desk 1", "-delete"],
        ),
    );
    assert_eq!(released.device.as_deref(), Some("desk 1"));
    let events: udadmin::Events = decode("udadmin", on(&d, "udadmin", &["-events"]));
    let kinds: Vec<&str> = events
        .events
        .iter()
        .map(|e| match e.what {
            What::Granted { .. } => "granted",
            What::Released { .. } => "released",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds[..3], ["granted", "granted", "granted"]);
    assert!(kinds.contains(&"released"), "{kinds:?}");
    assert!(events.events.windows(2).all(|w| w[0].seq < w[1].seq));
}

#[tokio::test]
async fn admin_commands_json_fits_their_schemas() {
    let d = busy_daemon(&["--allow-lmdown"]).await;
    let reread: lmreread::Reread = decode("lmreread", on(&d, "lmreread", &[]));
    assert!(!reread.vendor);
    let changed: accounts::Output = decode(
        "CtxManageUserAndGroup",
        on(
            &d,
            "CtxManageUserAndGroup",
            &["-useradd", "host\\ann lee", "-Role", "user"],
        ),
    );
    assert!(matches!(changed, accounts::Output::Changed(c) if c.name == "host\\ann lee"));
    let listed: accounts::Output = decode(
        "CtxManageUserAndGroup",
        on(&d, "CtxManageUserAndGroup", &["-list"]),
    );
    let accounts::Output::Accounts(listed) = listed else {
        panic!("not a list");
    };
    assert!(
        listed
            .accounts
            .iter()
            .any(|a| a.name == "host\\ann lee" && a.role == "user")
    );
    let down: lmdown::Down = decode("lmdown", on(&d, "lmdown", &["-q", "-vendor", "CITRIX"]));
    assert!(down.vendor_only);
    assert_eq!(down.server, format!("{}@{}", d.lm_port, hostname()));
}

#[test]
fn local_commands_json_fits_their_schemas() {
    let host: lmhostid::HostIdReport =
        decode("lmhostid", lmutil(["lmhostid", "-hostname", "--json"]));
    assert_eq!(host.host.hostname, hostname());
    let ver: lmver::VersionReport = decode("lmver", lmutil(["lmver", "--json"]));
    assert_eq!(ver.version, env!("CARGO_PKG_VERSION"));
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let made: lmcrypt::Output = decode(
        "lmcrypt",
        lmutil([
            "lmcrypt".as_ref(),
            "--genkey".as_ref(),
            keys.as_os_str(),
            "--json".as_ref(),
        ]),
    );
    assert!(matches!(made, lmcrypt::Output::Genkey(_)));
    let file = dir.path().join("a.lic");
    std::fs::write(&file, licenses().server_host("h").text()).unwrap();
    let key = keys.join("vendor.key");
    let signed: lmcrypt::Output = decode(
        "lmcrypt",
        lmutil([
            "lmcrypt".as_ref(),
            "--key".as_ref(),
            key.as_os_str(),
            file.as_os_str(),
            "--json".as_ref(),
        ]),
    );
    assert!(matches!(signed, lmcrypt::Output::Sign(s) if s.files[0].signed == 3));
}

#[test]
fn the_schemas_reject_what_is_not_the_interface() {
    let missing_version = serde_json::json!({"increments": []});
    assert!(!violations("lmstat", &missing_version).is_empty());
    let wrong_type = serde_json::json!({"schema_version": 1, "increments": "none"});
    assert!(!violations("lmstat", &wrong_type).is_empty());
    let unknown_event = serde_json::json!({
        "schema_version": 1,
        "events": [{"seq": 1, "at": 0, "event": "exploded", "feature": "F"}]
    });
    assert!(!violations("udadmin", &unknown_event).is_empty());
    let later = serde_json::json!({"schema_version": 2, "increments": []});
    assert!(!violations("lmstat", &later).is_empty());
    let fine = serde_json::json!({"schema_version": 1, "increments": []});
    assert!(violations("lmstat", &fine).is_empty());
}

/// The protocol's answers, as a product or a script receives them over the
/// wire, fit the schemas of `docs/schemas/protocol/` and hold what
/// `lmstat --json` prints from them.
#[tokio::test]
async fn protocol_answers_fit_their_schemas() {
    use lmutil::protocol::{Request, Response};
    let d = busy_daemon(&[]).await;
    let mut conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    for (answer, request) in [
        ("status", Request::Status(Default::default())),
        ("pools", Request::Pools),
        ("info", Request::Info),
    ] {
        let body = match conn.request(request).await.unwrap() {
            Response::Status(s) => serde_json::to_value(s).unwrap(),
            Response::Pools { pools } => serde_json::to_value(pools).unwrap(),
            Response::Info(i) => serde_json::to_value(i).unwrap(),
            other => panic!("unexpected answer {other:?}"),
        };
        let wrong = violations(&format!("protocol/{answer}"), &body);
        assert!(wrong.is_empty(), "{answer}: {wrong:#?}\n{body:#}");
    }
    let status = match decode::<lmstat::Output>("lmstat", on(&d, "lmstat", &["-a"])) {
        lmstat::Output::Status(s) => s,
        other => panic!("not a status: {other:?}"),
    };
    assert_eq!(status.pools, d.status().await.pools);
}
