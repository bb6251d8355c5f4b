//! Alerts against a real lmgrd: each raised once per change of state
//! (however many checkouts follow), cleared when its condition ends, shown
//! in `lmstat --json`, in `lmdiag` and in the debug log, and delivered to
//! a local HTTPS receiver (its CA given with `--webhook-ca`) whose
//! signatures the test checks; a receiver that fails twice gets the third
//! attempt, and a restart sends nothing already sent.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use lmutil::client::{CheckoutArgs, Connection, ProductSession};
use serde_json::Value;
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

use crate::common::{License, TestDaemon, lmutil};

const SECRET: &str = "a shared secret";

/// How long a delivery may take to arrive (retries included).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// One POST the receiver was sent.
#[derive(Clone, Debug)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        let found = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// `(change, kind, feature)`.
    fn what(&self) -> (String, String, String) {
        let j = self.json();
        let s = |v: &Value| v.as_str().unwrap().to_owned();
        (
            s(&j["change"]),
            s(&j["alert"]["kind"]),
            s(&j["alert"]["feature"]),
        )
    }
}

/// An HTTPS receiver on 127.0.0.1 with a certificate of its own CA, on a
/// runtime of its own: answers 500 to its first `fail_first` requests,
/// then 200, and keeps every request it accepted.
struct Receiver {
    url: String,
    ca: std::path::PathBuf,
    accepted: Arc<Mutex<Vec<Received>>>,
    attempts: Arc<Mutex<usize>>,
    _runtime: tokio::runtime::Runtime,
}

impl Receiver {
    fn start(dir: &std::path::Path, fail_first: usize) -> Receiver {
        let (ca_pem, config) = tls_config();
        let ca = dir.join("receiver-ca.pem");
        std::fs::write(&ca, ca_pem).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!(
            "https://127.0.0.1:{}/hook",
            listener.local_addr().unwrap().port()
        );
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let attempts = Arc::new(Mutex::new(0));
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let (kept, tried) = (accepted.clone(), attempts.clone());
        runtime.spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    continue;
                };
                let Some(request) = read_request(&mut tls).await else {
                    continue;
                };
                let fail = {
                    let mut n = tried.lock().unwrap();
                    *n += 1;
                    *n <= fail_first
                };
                let status = if fail {
                    "500 Internal Server Error"
                } else {
                    kept.lock().unwrap().push(request);
                    "200 OK"
                };
                let answer =
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            }
        });
        Receiver {
            url,
            ca,
            accepted,
            attempts,
            _runtime: runtime,
        }
    }

    /// lmgrd's webhook options for this receiver, with the secret in `dir`.
    fn args(&self, dir: &std::path::Path) -> Vec<String> {
        let secret = dir.join("webhook.secret");
        std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
        vec![
            format!("--webhook={}", self.url),
            format!("--webhook-secret-file={}", secret.display()),
            format!("--webhook-ca={}", self.ca.display()),
        ]
    }

    /// The same options in a config file, as `--config=FILE`.
    fn config_arg(&self, dir: &std::path::Path) -> String {
        let options = self.args(dir);
        let lines: Vec<String> = options
            .iter()
            .map(|o| {
                let (key, value) = o.trim_start_matches("--").split_once('=').unwrap();
                format!("{key} = \"{value}\"\n")
            })
            .collect();
        let file = dir.join("lmgrd.conf");
        std::fs::write(&file, lines.concat()).unwrap();
        format!("--config={}", file.display())
    }

    /// Waits until `n` deliveries were accepted; answers them all.
    fn wait_for(&self, n: usize) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.accepted.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < DELIVERY_TIMEOUT,
                "{} of {n} deliveries: {:?}",
                got.len(),
                got.iter().map(Received::what).collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A CA, and a server configuration with a certificate for 127.0.0.1 it
/// signed: the CA's PEM (for `--webhook-ca`) and the configuration.
fn tls_config() -> (String, rustls::ServerConfig) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "alerts test CA");
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.subject_alt_names = vec![rcgen::SanType::IpAddress([127, 0, 0, 1].into())];
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let der = rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], der.into())
        .unwrap();
    (ca.pem(), config)
}

/// One HTTP/1.1 request: its headers and its body (by content-length).
async fn read_request<S: tokio::io::AsyncRead + Unpin>(s: &mut S) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())?;
    let mut body = buf[end + 4..].to_vec();
    while body.len() < length {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Received { headers, body })
}

/// The receiver's check: the signature header is the HMAC-SHA256 of the
/// exact body under the shared secret, and the headers repeat the body's
/// id and timestamp.
fn assert_signed(r: &Received) {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&r.body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(r.header("x-lmutil-signature"), format!("sha256={expected}"));
    let j = r.json();
    assert_eq!(r.header("x-lmutil-delivery"), j["id"].as_str().unwrap());
    assert_eq!(r.header("x-lmutil-timestamp"), j["timestamp"].to_string());
    assert_eq!(r.header("content-type"), "application/json");
}

/// `DD-mmm-YYYY`, `days` from today.
fn in_days(days: i64) -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(days);
    day.format("%d-%b-%Y").to_string().to_lowercase()
}

fn device(feature: &str, name: &str) -> CheckoutArgs<'static> {
    let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
    let feature: &'static str = Box::leak(feature.to_owned().into_boxed_str());
    CheckoutArgs {
        feature,
        version: "2026.0101",
        user: name,
        device: name,
        display: name,
        count: 1,
    }
}

/// The active alerts `lmstat -a --json` shows: `(kind, feature)`.
fn lmstat_alerts(d: &TestDaemon) -> Vec<(String, String)> {
    let json = d.lmutil("lmstat", &["-a", "--json"]).succeeds().json();
    json["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap().to_owned();
            (s("kind"), s("feature"))
        })
        .collect()
}

fn pair(kind: &str, feature: &str) -> (String, String) {
    (kind.to_owned(), feature.to_owned())
}

fn raised(kind: &str, feature: &str) -> (String, String, String) {
    ("raised".to_owned(), kind.to_owned(), feature.to_owned())
}

fn cleared(kind: &str, feature: &str) -> (String, String, String) {
    ("cleared".to_owned(), kind.to_owned(), feature.to_owned())
}

/// Lines of the debug log holding `text`.
/// lmgrd's `/metrics`, as text.
fn scrape(d: &TestDaemon) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", d.http_port)).unwrap();
    let request = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer
}

fn log_count(d: &TestDaemon, text: &str) -> usize {
    d.debug_log().lines().filter(|l| l.contains(text)).count()
}

#[test]
fn expiry_and_a_full_pool_are_raised_once_shown_everywhere_delivered_signed_and_not_resent_after_a_restart()
 {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 10)
        .vendor_string(";LT=Eval")
        .expiry(&in_days(20))
        .install(root.path(), "ccu.lic");
    // The first two attempts fail: the first delivery arrives on the third.
    let receiver = Receiver::start(root.path(), 2);
    let args = receiver.args(root.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let d = TestDaemon::start_with(root, &args);
    let expiry = [
        raised("expires_within_30_days", "XDT_PLT_CCU"),
        raised("expires_within_90_days", "XDT_PLT_CCU"),
    ];
    let got = receiver.wait_for(2);
    let mut first: Vec<_> = got.iter().map(Received::what).collect();
    first.sort();
    assert_eq!(first, expiry);
    assert_eq!(
        *receiver.attempts.lock().unwrap(),
        4,
        "two failures, then two deliveries"
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    let handles = rt.block_on(async {
        let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
        let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
        let mut handles = Vec::new();
        for n in 0..13 {
            // Past 10 every checkout is refused: nothing more is raised.
            if let Ok(h) = p.checkout(device("XDT_PLT_CCU", &format!("desk{n}"))).await {
                handles.push(h);
            }
        }
        assert_eq!(handles.len(), 10);
        (p, handles)
    });
    let got = receiver.wait_for(4);
    let later: Vec<_> = got[2..].iter().map(Received::what).collect();
    assert_eq!(
        later,
        [
            raised("pool_at_90_percent", "XDT_PLT_CCU"),
            raised("pool_full", "XDT_PLT_CCU")
        ]
    );
    let mut active = lmstat_alerts(&d);
    active.sort();
    assert_eq!(
        active,
        [
            pair("expires_within_30_days", "XDT_PLT_CCU"),
            pair("expires_within_90_days", "XDT_PLT_CCU"),
            pair("pool_at_90_percent", "XDT_PLT_CCU"),
            pair("pool_full", "XDT_PLT_CCU"),
        ]
    );
    let metrics = scrape(&d);
    for (kind, n) in [
        ("pool_full", 1),
        ("pool_at_90_percent", 1),
        ("expires_within_30_days", 1),
        ("expires_within_90_days", 1),
        ("overdraft_in_use", 0),
        ("lines_not_served", 0),
    ] {
        let line = format!("lmutil_alerts{{kind=\"{kind}\"}} {n}\n");
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
    let diag = d.lmutil("lmdiag", &["-n"]).stdout();
    assert!(
        diag.contains("alert: pool_full, feature XDT_PLT_CCU, version 2026.1201, expiry ")
            && diag.contains(": 10 of 10 licenses in use"),
        "{diag}"
    );
    assert!(
        diag.contains("alert: expires_within_30_days, feature XDT_PLT_CCU"),
        "{diag}"
    );
    for kind in [
        "pool_full",
        "pool_at_90_percent",
        "expires_within_30_days",
        "expires_within_90_days",
    ] {
        assert_eq!(
            log_count(&d, &format!("(CITRIX) ALERT: {kind} \"XDT_PLT_CCU\"")),
            1,
            "{kind}"
        );
    }

    // Two checked in: 8 of 10, both use alerts clear.
    let (p, handles) = handles;
    let mut p = p;
    rt.block_on(async {
        for h in &handles[..2] {
            p.checkin(*h).await.unwrap();
        }
    });
    let got = receiver.wait_for(6);
    let mut clears: Vec<_> = got[4..].iter().map(Received::what).collect();
    clears.sort();
    assert_eq!(
        clears,
        [
            cleared("pool_at_90_percent", "XDT_PLT_CCU"),
            cleared("pool_full", "XDT_PLT_CCU")
        ]
    );
    assert_eq!(
        log_count(&d, "(CITRIX) ALERT CLEARED: pool_full \"XDT_PLT_CCU\""),
        1
    );
    for r in &got {
        assert_signed(r);
    }

    // A restart sends nothing already sent: the next delivery is the one
    // a new change raises (deliveries go out in order).
    let (_, root) = d.terminate();
    let d = TestDaemon::start_with(root, &args);
    assert_eq!(
        lmstat_alerts(&d).len(),
        2,
        "the expiry alerts are still active"
    );
    rt.block_on(async {
        let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
        let mut p = ProductSession::start(conn, "ddc2").await.unwrap();
        p.checkout(device("XDT_PLT_CCU", "desk20")).await.unwrap();
    });
    let got = receiver.wait_for(7);
    assert_eq!(
        got.len(),
        7,
        "{:?}",
        got.iter().map(Received::what).collect::<Vec<_>>()
    );
    assert_eq!(got[6].what(), raised("pool_at_90_percent", "XDT_PLT_CCU"));
    assert_eq!(log_count(&d, "(CITRIX) ALERT: expires_within_90_days"), 1);
}

#[test]
fn overdraft_burst_mode_and_lines_not_served_are_alerts_with_their_words_delivered_as_lmgrd_conf_says()
 {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_UD", 10)
        .vendor_string(";LT=Eval")
        .increment("XDT_ENT_CCU", 1)
        .vendor_string(";LT=Retail")
        .install(root.path(), "ok.lic");
    // A line signed by a key the server does not trust.
    let other = root.path().join("other");
    lmutil(["lmcrypt".as_ref(), "--genkey".as_ref(), other.as_os_str()]).succeeds();
    License::new()
        .increment("XDT_ADV_CCU", 5)
        .install_signed_by(root.path(), "forged.lic", &other.join("vendor.key"));
    let receiver = Receiver::start(root.path(), 0);
    // This time the webhook is configured in lmgrd.conf.
    let config = receiver.config_arg(root.path());
    let d = TestDaemon::start_with(root, &[&config]);
    let got = receiver.wait_for(1);
    assert_eq!(got[0].what(), raised("lines_not_served", "XDT_ADV_CCU"));
    assert!(
        got[0].json()["alert"]["detail"]
            .as_str()
            .unwrap()
            .starts_with("error -8: invalid license key"),
        "{}",
        got[0].json()
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
        let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
        for n in 0..11 {
            p.checkout(device("XDT_PLT_UD", &format!("user{n}")))
                .await
                .unwrap();
        }
        // The retail CCU pool's second device starts burst mode.
        p.checkout(device("XDT_ENT_CCU", "desk1")).await.unwrap();
        p.checkout(device("XDT_ENT_CCU", "desk2")).await.unwrap();
        std::mem::forget(p);
    });
    let got = receiver.wait_for(7);
    let mut all: Vec<_> = got.iter().map(Received::what).collect();
    all.sort();
    assert_eq!(
        all,
        [
            raised("burst_mode", "XDT_ENT_CCU"),
            raised("lines_not_served", "XDT_ADV_CCU"),
            raised("overdraft_in_use", "XDT_PLT_UD"),
            raised("pool_at_90_percent", "XDT_ENT_CCU"),
            raised("pool_at_90_percent", "XDT_PLT_UD"),
            raised("pool_full", "XDT_ENT_CCU"),
            raised("pool_full", "XDT_PLT_UD"),
        ]
    );
    let burst = got
        .iter()
        .find(|r| r.what().1 == "burst_mode")
        .unwrap()
        .json();
    let ends = chrono::Utc::now().date_naive() + chrono::Duration::days(15);
    let detail = burst["alert"]["detail"].as_str().unwrap();
    assert!(
        detail.ends_with(&format!("ends on {}", ends.format("%Y-%m-%d"))),
        "{detail}"
    );
    let overdraft = got
        .iter()
        .find(|r| r.what().1 == "overdraft_in_use")
        .unwrap()
        .json();
    assert_eq!(
        overdraft["alert"]["detail"],
        "1 of 1 overdraft licenses in use (10 purchased)"
    );
    for r in &got {
        assert_signed(r);
    }
    let active = lmstat_alerts(&d);
    assert_eq!(active.len(), 7, "{active:?}");
    let diag = d.lmutil("lmdiag", &["-n"]).stdout();
    for line in [
        "alert: burst_mode, feature XDT_ENT_CCU, version 2026.1201: license burst mode started on ",
        "alert: lines_not_served, feature XDT_ADV_CCU: error -8: invalid license key",
        "alert: overdraft_in_use, feature XDT_PLT_UD, version 2026.1201, expiry permanent: 1 of 1 overdraft licenses in use (10 purchased) (since ",
    ] {
        assert!(diag.contains(line), "{line} in\n{diag}");
    }
    assert_eq!(
        log_count(
            &d,
            "(CITRIX) ALERT: burst_mode \"XDT_ENT_CCU\" v2026.1201: license burst mode started on "
        ),
        1
    );

    // Burst mode turned off ends it: the alert clears.
    d.lmutil("lmsettings", &["-set", "burst_mode=off"])
        .succeeds();
    let got = receiver.wait_for(8);
    assert!(
        got[7..]
            .iter()
            .any(|r| r.what() == cleared("burst_mode", "XDT_ENT_CCU")),
        "{:?}",
        got.iter().map(Received::what).collect::<Vec<_>>()
    );
    assert_eq!(
        log_count(&d, "(CITRIX) ALERT CLEARED: burst_mode \"XDT_ENT_CCU\""),
        1
    );
}

#[test]
fn webhooks_are_https_only() {
    let root = TestDaemon::root();
    let refused = TestDaemon::try_start(root, &["--webhook=http://127.0.0.1:9/hook"]);
    let failure = refused.err().expect("an http webhook is refused");
    assert!(failure.stderr.contains("HTTPS only"), "{failure:?}");
}

/// The active alerts of kind `line_not_read` `lmstat --json` shows:
/// `(file, line)`.
fn not_read_alerts(d: &TestDaemon) -> Vec<(String, u64)> {
    let json = d.lmutil("lmstat", &["-a", "--json"]).succeeds().json();
    let alerts = json["alerts"].as_array().unwrap().iter();
    alerts
        .filter(|a| a["kind"] == "line_not_read")
        .map(|a| {
            assert_eq!(a["feature"], "", "{a}");
            (
                a["file"].as_str().unwrap().to_owned(),
                a["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_license_line_that_does_not_parse_is_raised_once_across_rereads_and_restarts_and_cleared_when_fixed()
 {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 10)
        .vendor_string(";LT=Retail")
        .install(root.path(), "ok.lic");
    let bad = License::new()
        .increment("XDT_ENT_CCU", 5)
        .vendor_string(";LT=Retail")
        .install(root.path(), "bad.lic");
    let good = std::fs::read_to_string(&bad).unwrap();
    let line = good.lines().count() as u64 + 1;
    std::fs::write(&bad, format!("{good}INCREMENT XDT_ADV_CCU CITRIX\n")).unwrap();
    let file = bad.display().to_string();
    let receiver = Receiver::start(root.path(), 0);
    let args = receiver.args(root.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let d = TestDaemon::start_with(root, &args);
    let got = receiver.wait_for(1);
    assert_eq!(got[0].what(), raised("line_not_read", ""));
    let alert = &got[0].json()["alert"];
    assert_eq!(
        (alert["file"].as_str(), alert["line"].as_u64()),
        (Some(file.as_str()), Some(line))
    );
    assert!(
        alert["detail"].as_str().unwrap().starts_with("column "),
        "{alert}"
    );
    assert_signed(&got[0]);
    assert_eq!(not_read_alerts(&d), [(file.clone(), line)]);
    let logged = format!("(CITRIX) ALERT: line_not_read {file}:{line}: column ");
    assert_eq!(log_count(&d, &logged), 1, "{}", d.debug_log());
    let diag = d.lmutil("lmdiag", &["-n"]).stdout();
    let shown = format!("alert: line_not_read, file {file}, line {line}: column ");
    assert!(diag.contains(&shown), "{shown} in\n{diag}");
    let metrics = scrape(&d);
    assert!(
        metrics.contains("lmutil_alerts{kind=\"line_not_read\"} 1\n"),
        "{metrics}"
    );
    // The server still serves the file's lines that parse.
    assert!(lmstat_alerts(&d).iter().all(|(k, _)| k == "line_not_read"));

    // Read again, and after a restart: still the one alert, not raised again.
    d.lmutil("lmreread", &[]).succeeds();
    assert_eq!(not_read_alerts(&d), [(file.clone(), line)]);
    let (_, root) = d.terminate();
    let d = TestDaemon::start_with(root, &args);
    assert_eq!(not_read_alerts(&d), [(file.clone(), line)]);
    d.lmutil("lmreread", &[]).succeeds();
    // The debug log goes on across the restart: still the one line.
    assert_eq!(
        log_count(&d, &logged),
        1,
        "not said again after the restart"
    );

    // Fixed and read again: cleared, and that is the next delivery
    // (deliveries go out in order: a second raise would come first).
    std::fs::write(&bad, &good).unwrap();
    d.lmutil("lmreread", &[]).succeeds();
    assert!(not_read_alerts(&d).is_empty());
    let got = receiver.wait_for(2);
    assert_eq!(got[1].what(), cleared("line_not_read", ""));
    assert_eq!(
        log_count(
            &d,
            &format!("(CITRIX) ALERT CLEARED: line_not_read {file}:{line}: ")
        ),
        1
    );
    assert!(
        scrape(&d).contains("lmutil_alerts{kind=\"line_not_read\"} 0\n"),
        "cleared in the metrics"
    );
}
