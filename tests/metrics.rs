//! `GET /metrics` on lmgrd's HTTP port, scraped from a real lmgrd with
//! pools, checkouts, user/device connections and a refusal, parsed by the
//! Prometheus project's own Python parser (`prometheus_client`), and its
//! values checked against `lmstat --json`. The HTTP port's limits keep a
//! hostile client away from licensing.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lmutil::client::{CheckoutArgs, Connection, ProductSession};
use serde_json::Value;

use crate::common::{License, TestDaemon};

/// One sample as the Python parser read it.
#[derive(Debug, Clone)]
struct Sample {
    family: String,
    kind: String,
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A sample as the script prints it: family, type, name, labels, value.
type Row = (String, String, String, BTreeMap<String, String>, String);

/// What the parser in `python3` reads `text` as: every sample of every
/// family. A body it cannot parse fails the test with its error.
fn parse(text: &str) -> Vec<Sample> {
    const SCRIPT: &str = r#"
import json, sys
try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    sys.stderr.write("the Python module prometheus_client is not installed: "
                     "python3 -m pip install prometheus-client (as .ci/run does)\n")
    sys.exit(3)
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append([family.name, family.type, s.name, s.labels, repr(float(s.value))])
json.dump(out, sys.stdout)
"#;
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the Prometheus parser refused the exposition ({}): {stderr}\n{text}",
        out.status
    );
    let rows: Vec<Row> = serde_json::from_slice(&out.stdout).unwrap();
    rows.into_iter()
        .map(|(family, kind, name, labels, value)| Sample {
            family,
            kind,
            name,
            labels,
            value: match value.as_str() {
                "inf" => f64::INFINITY,
                v => v.parse().unwrap(),
            },
        })
        .collect()
}

/// An HTTP/1.1 GET of `path`: the status code, the headers, the body.
fn get(port: u16, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let code = head.split(' ').nth(1).unwrap().parse().unwrap();
    (code, head.to_owned(), body.to_owned())
}

/// The scrape of `d`, parsed.
fn scrape(d: &TestDaemon) -> (String, Vec<Sample>) {
    let (code, head, body) = get(d.http_port, "/metrics");
    assert_eq!(code, 200, "{head}\n{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    let samples = parse(&body);
    (body, samples)
}

/// The one sample named `name` whose labels include `with`.
#[track_caller]
fn one(samples: &[Sample], name: &str, with: &[(&str, &str)]) -> Sample {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            with.iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    match &found[..] {
        [s] => (*s).clone(),
        other => panic!("{name} {with:?}: {} samples: {other:#?}", other.len()),
    }
}

/// The sum of the samples named `name` whose labels include `with`.
fn sum(samples: &[Sample], name: &str, with: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            with.iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

/// A user name with the characters the format escapes that a product may
/// send (control characters, line feeds among them, are refused before
/// they reach the engine; the writer's own tests cover them).
const AWKWARD_USER: &str = "Q\"uote\\back slash";

fn licenses() -> License {
    License::new()
        .use_server()
        .increment("XDT_PLT_CCS", 100)
        .vendor_string(";LT=Retail;GP=720")
        .increment("XDT_PLT_UD", 10)
        .expiry("01-dec-2027")
        .vendor_string(";LT=Retail;GP=720")
}

/// A daemon with concurrent checkouts held (one checked in again), user/
/// device connections, and a refused checkout; the session is left open.
async fn busy() -> TestDaemon {
    let root = TestDaemon::root();
    licenses().install(root.path(), "retail.lic");
    let options = "GROUP admins ann\nRESERVE 2 XDT_PLT_CCS GROUP admins\n\
                   RESERVE 1 XDT_PLT_CCS HOST ddc9\n";
    std::fs::write(root.path().join("licenses/CITRIX.opt"), options).unwrap();
    let d = TestDaemon::start(root);
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
    let mut handles = Vec::new();
    for (feature, user, device) in [
        ("XDT_PLT_CCS", "ann", "dev1"),
        ("XDT_PLT_CCS", "bob", "dev2"),
        ("XDT_PLT_CCS", AWKWARD_USER, "dev3"),
        ("XDT_PLT_UD", "MYCO\\Tom", "Desk 1"),
        ("XDT_PLT_UD", "Karen", "Desk 1"),
    ] {
        let args = CheckoutArgs {
            feature,
            version: "2026.0101",
            user,
            device,
            display: device,
            count: 1,
        };
        handles.push(p.checkout(args).await.unwrap());
    }
    p.checkin(handles[1]).await.unwrap();
    let refused = CheckoutArgs {
        feature: "XDT_ADV_CCS",
        version: "2026.0101",
        user: "cid",
        device: "dev4",
        display: "dev4",
        count: 1,
    };
    assert!(p.checkout(refused).await.is_err());
    std::mem::forget(p);
    d
}

/// `lmstat -a --json` of `d`.
fn lmstat(d: &TestDaemon) -> Value {
    d.lmutil("lmstat", &["-a", "--json"]).succeeds().json()
}

#[tokio::test]
async fn a_scrape_parses_and_matches_lmstat_json() {
    let d = busy().await;
    let (_, m) = scrape(&d);
    let status = lmstat(&d);
    let own = d.status().await;
    let app = lmutil::license::HostIdentity::current().unwrap().hostname;
    let pools = status["pools"].as_array().unwrap();
    let mut features: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for p in pools {
        let f = features.entry(p["feature"].as_str().unwrap()).or_default();
        f.0 += p["purchased"].as_u64().unwrap();
        f.1 += p["in_use"].as_u64().unwrap();
    }
    assert!(features.len() >= 3, "{features:?}");
    for (name, (issued, used)) in &features {
        let labels = [("app", app.as_str()), ("name", *name), ("type", "floating")];
        let got = one(&m, "flexlm_feature_issued", &labels);
        assert_eq!(got.value, *issued as f64, "{name}");
        assert_eq!(got.kind, "gauge");
        assert_eq!(
            one(&m, "flexlm_feature_used", &labels).value,
            *used as f64,
            "{name}"
        );
        // The user lines add up to the licenses in use, as lmstat's do.
        let users = sum(&m, "flexlm_feature_used_users", &[("name", name)]);
        assert_eq!(users, *used as f64, "{name}");
    }
    // Two CCS checkouts still held; escaped names come back whole.
    let ccs = features["XDT_PLT_CCS"].1;
    assert_eq!(ccs, 2);
    let awkward = one(&m, "flexlm_feature_used_users", &[("user", AWKWARD_USER)]);
    assert_eq!(awkward.value, 1.0);
    assert_eq!(awkward.labels["name"], "XDT_PLT_CCS");
    let since = &awkward.labels["since"];
    assert!(
        regex::Regex::new(r"^[A-Z][a-z]{2} \d{1,2}/\d{1,2} \d{1,2}:\d{2}$")
            .unwrap()
            .is_match(since),
        "{since}"
    );
    // The options file's reservations.
    let groups = one(&m, "flexlm_feature_reserved_groups", &[("group", "admins")]);
    assert_eq!(
        (groups.value, groups.labels["name"].as_str()),
        (2.0, "XDT_PLT_CCS")
    );
    let host = one(&m, "flexlm_feature_reserved_host", &[("host", "ddc9")]);
    assert_eq!(
        (host.value, host.labels["name"].as_str()),
        (1.0, "XDT_PLT_CCS")
    );
    let port = d.lm_port.to_string();
    let server = one(
        &m,
        "flexlm_server_status",
        &[("port", &port), ("app", &app)],
    );
    assert_eq!(
        (server.value, server.labels["master"].as_str()),
        (1.0, "true")
    );
    assert_eq!(
        one(&m, "flexlm_vendor_status", &[("name", "CITRIX")]).value,
        1.0
    );
    // Expiry: a dated line at its day's start, a permanent one +Inf.
    let dated = one(
        &m,
        "flexlm_feature_expiration_seconds",
        &[("name", "XDT_PLT_UD"), ("vendor", "CITRIX")],
    );
    assert_eq!(dated.value, 1_827_619_200.0, "2027-12-01T00:00:00Z");
    let permanent = one(
        &m,
        "flexlm_feature_expiration_seconds",
        &[("name", "XDT_PLT_CCS")],
    );
    assert_eq!(permanent.value, f64::INFINITY);
    assert_eq!(permanent.labels["licenses"], "100");
    let aggregate = sum(&m, "flexlm_feature_aggregate_expiration_seconds", &[]);
    assert!(aggregate.is_infinite());
    // Ours: the pools' counts, overdraft included.
    for p in pools {
        let labels = [
            ("feature", p["feature"].as_str().unwrap()),
            ("version", p["version"].as_str().unwrap()),
        ];
        for (metric, field) in [
            ("lmutil_pool_purchased", "purchased"),
            ("lmutil_pool_overdraft", "overdraft"),
            ("lmutil_pool_installed", "installed"),
            ("lmutil_pool_in_use", "in_use"),
            ("lmutil_pool_overdraft_in_use", "overdraft_in_use"),
        ] {
            let want = p[field].as_u64().unwrap() as f64;
            assert_eq!(one(&m, metric, &labels).value, want, "{metric} {labels:?}");
        }
        let state = p["burst"]["state"].as_str().unwrap();
        let burst = one(
            &m,
            "lmutil_burst_state",
            &[labels[0], labels[1], ("state", state)],
        );
        assert_eq!(burst.value, 1.0);
        assert_eq!(sum(&m, "lmutil_burst_state", &labels), 1.0);
    }
    assert_eq!(
        one(&m, "lmutil_pool_overdraft", &[("feature", "XDT_PLT_UD")]).value,
        1.0
    );
    // Counters: four grants of two features, one checkin, one refusal.
    let grants = one(&m, "lmutil_grants_total", &[("feature", "XDT_PLT_CCS")]);
    assert_eq!(
        (grants.family.as_str(), grants.kind.as_str()),
        ("lmutil_grants", "counter")
    );
    assert_eq!(grants.value, 3.0);
    assert_eq!(
        one(&m, "lmutil_grants_total", &[("feature", "XDT_PLT_UD")]).value,
        2.0
    );
    assert_eq!(one(&m, "lmutil_checkins_total", &[]).value, 1.0);
    let [denial] = status["denials"].as_array().unwrap().as_slice() else {
        panic!("one denial: {status:#}");
    };
    assert_eq!(denial["feature"], "XDT_ADV_CCS");
    let counts = status["denial_counts"].as_array().unwrap();
    assert_eq!(counts.len(), 1, "{status:#}");
    for c in counts {
        let code = c["code"].as_i64().unwrap().to_string();
        let labels = [
            ("feature", c["feature"].as_str().unwrap()),
            ("version", c["version"].as_str().unwrap()),
            ("code", code.as_str()),
        ];
        let refused = one(&m, "lmutil_denials_total", &labels);
        assert_eq!(refused.value, c["count"].as_u64().unwrap() as f64);
    }
    assert_eq!(sum(&m, "lmutil_denials_total", &[]), 1.0);
    assert_eq!(
        one(&m, "lmutil_sessions", &[]).value,
        own.sessions.len() as f64
    );
    assert_eq!(
        one(&m, "lmutil_checkouts", &[]).value,
        own.checkouts.len() as f64
    );
    let ud = one(
        &m,
        "lmutil_user_device_connections",
        &[("feature", "XDT_PLT_UD")],
    );
    assert_eq!(ud.value, 2.0);
    assert_eq!(
        ud.value,
        own.connections
            .iter()
            .filter(|c| c.feature == "XDT_PLT_UD")
            .count() as f64
    );
    // Every commit timed; the histogram's +Inf bucket is its count.
    let count = one(&m, "lmutil_store_commit_seconds_count", &[]).value;
    assert!(count >= 1.0, "{count}");
    let inf = one(&m, "lmutil_store_commit_seconds_bucket", &[("le", "+Inf")]);
    assert_eq!((inf.value, inf.kind.as_str()), (count, "histogram"));
    let start = one(&m, "lmutil_start_time_seconds", &[]).value;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(start <= now && start > now - 600.0, "{start} {now}");
    let build = one(&m, "lmutil_build_info", &[]);
    assert_eq!(build.labels["version"], lmutil::version::VERSION);
}

/// Refusals are durable: their counter goes on across a restart, where
/// grants count again from zero.
#[tokio::test]
async fn denials_survive_a_restart_and_grants_start_again() {
    let d = busy().await;
    let (_, m) = scrape(&d);
    assert_eq!(sum(&m, "lmutil_denials_total", &[]), 1.0);
    assert_eq!(sum(&m, "lmutil_grants_total", &[]), 5.0);
    let d = TestDaemon::start(d.kill());
    let (_, m) = scrape(&d);
    let refused = one(&m, "lmutil_denials_total", &[("feature", "XDT_ADV_CCS")]);
    assert_eq!(refused.value, 1.0);
    assert_eq!(sum(&m, "lmutil_grants_total", &[]), 0.0);
    // The checkouts held before are held still.
    let used = one(&m, "flexlm_feature_used", &[("name", "XDT_PLT_CCS")]);
    assert_eq!(used.value, 2.0);
}

#[test]
fn the_http_port_is_in_the_status_file_and_unknown_paths_are_404() {
    let root = TestDaemon::root();
    let d = TestDaemon::start(root);
    let text = std::fs::read_to_string(d.root.path().join("data/lmgrd.status.json")).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(file["http_port"].as_u64(), Some(u64::from(d.http_port)));
    assert_ne!(d.http_port, 0);
    assert_eq!(get(d.http_port, "/nothing-here").0, 404);
    // No license files: the built-in start-up and diagnostics licenses
    // alone, and it parses.
    let (_, m) = scrape(&d);
    let issued: Vec<&str> = m
        .iter()
        .filter(|s| s.name == "flexlm_feature_issued")
        .map(|s| s.labels["name"].as_str())
        .collect();
    assert_eq!(issued, ["CITRIX", "CTXLSDIAG"]);
    assert_eq!(one(&m, "lmutil_sessions", &[]).value, 0.0);
}

#[test]
fn remote_read_products_only_refuses_the_metrics() {
    let root = TestDaemon::root();
    licenses().install(root.path(), "retail.lic");
    let d = TestDaemon::start(root);
    assert_eq!(get(d.http_port, "/metrics").0, 200);
    d.lmutil("lmsettings", &["-set", "remote_read=products_only"])
        .succeeds();
    let (code, _, body) = get(d.http_port, "/metrics");
    assert_eq!(code, 403, "{body}");
    assert!(body.contains("remote_read"), "{body}");
}

/// Idle and oversized HTTP clients take none of licensing's connections
/// and leave the port usable: a checkout is granted and a scrape answered
/// while they hang on.
#[tokio::test]
async fn hostile_http_clients_never_reach_licensing() {
    let root = TestDaemon::root();
    licenses().install(root.path(), "retail.lic");
    let d = TestDaemon::start_with(root, &["--max-connections", "4"]);
    // More silent connections than the HTTP port serves at once.
    let idle: Vec<TcpStream> = (0..80)
        .map(|_| TcpStream::connect(("127.0.0.1", d.http_port)).unwrap())
        .collect();
    let t = Instant::now();
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
    let args = CheckoutArgs {
        feature: "XDT_PLT_CCS",
        version: "2026.0101",
        user: "ann",
        device: "dev1",
        display: "dev1",
        count: 1,
    };
    p.checkout(args).await.unwrap();
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    drop(idle);
    // Once the idle ones are gone, scrapes are answered again (their
    // connections close as the server reads their end).
    let deadline = Instant::now() + Duration::from_secs(30);
    let body = loop {
        let answer = std::panic::catch_unwind(|| get(d.http_port, "/metrics"));
        if let Ok((200, _, body)) = answer {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "no scrape once the idle clients left"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let m = parse(&body);
    assert_eq!(
        one(&m, "flexlm_feature_used", &[("name", "XDT_PLT_CCS")]).value,
        1.0
    );
    // A head larger than the limit is refused, not read on and on.
    let mut big = TcpStream::connect(("127.0.0.1", d.http_port)).unwrap();
    big.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let huge = format!(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let _ = big.write_all(huge.as_bytes());
    let mut answer = Vec::new();
    let _ = big.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
}
