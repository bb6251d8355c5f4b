//! `lmutil -c https://host:port` against a real lmgrd: the commands send
//! their requests to the web services with an API token made by
//! `lmtoken -create`, read what they read locally, change what an admin
//! token may change, and are refused what a user token may not. The
//! server's certificate is trusted as a CA says, or as the fingerprint
//! recorded at the first connection says: another certificate is refused
//! before anything, the token included, is sent.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::common::{License, Run, TestDaemon, hostname, lmutil_bin};

/// A daemon with one pool, so that the status has something to compare.
fn daemon() -> TestDaemon {
    let root = TestDaemon::root();
    License::new()
        .increment("XDT_PLT_CCU", 5)
        .vendor_string(";LT=Retail;GP=720")
        .install(root.path(), "ccu.lic");
    TestDaemon::start(root)
}

/// How one run of lmutil over HTTPS is set up.
struct Https<'a> {
    url: String,
    known: &'a Path,
    token: Option<&'a str>,
}

/// Where the URL is given: `-c`, or `LM_LICENSE_FILE` after another
/// element.
#[derive(Clone, Copy, PartialEq)]
enum Given {
    Flag,
    InList,
}

impl<'a> Https<'a> {
    fn to(d: &TestDaemon, known: &'a Path, token: Option<&'a str>) -> Https<'a> {
        Https {
            url: format!("https://localhost:{}", d.http_port),
            known,
            token,
        }
    }

    /// `lmutil COMMAND -c URL ARGS…`, with only this setup's token and
    /// known-servers file in the environment.
    fn run(&self, command: &str, args: &[&str]) -> Run {
        self.run_given(Given::Flag, command, args)
    }

    fn run_given(&self, given: Given, command: &str, args: &[&str]) -> Run {
        let mut c = Command::new(lmutil_bin());
        c.arg(command);
        if given == Given::Flag {
            c.args(["-c", &self.url]);
        }
        c.args(args);
        for var in [
            "LM_LICENSE_FILE",
            "CITRIX_LICENSE_FILE",
            "LMUTIL_TOKEN",
            "LMUTIL_TOKEN_FILE",
            "LMUTIL_CA",
        ] {
            c.env_remove(var);
        }
        c.env("LMUTIL_KNOWN_SERVERS", self.known);
        if given == Given::InList {
            // A port where nothing listens first: the list goes on to the URL.
            c.env("LM_LICENSE_FILE", format!("1@127.0.0.1:{}", self.url));
        }
        if let Some(t) = self.token {
            c.env("LMUTIL_TOKEN", t);
        }
        Run {
            output: c.output().expect("lmutil runs"),
        }
    }
}

/// A new API token's secret, made over the control socket.
fn new_token(d: &TestDaemon, args: &[&str]) -> String {
    let mut all = vec!["-create"];
    all.extend_from_slice(args);
    all.push("--json");
    let made = d.lmutil("lmtoken", &all).succeeds().json();
    made["created"]["secret"].as_str().unwrap().to_owned()
}

/// The fingerprint lmgrd wrote to its status file.
fn fingerprint_of(d: &TestDaemon) -> String {
    let status: Value = serde_json::from_slice(
        &std::fs::read(d.root.path().join("data/lmgrd.status.json")).unwrap(),
    )
    .unwrap();
    status["https_fingerprint"].as_str().unwrap().to_owned()
}

/// lmstat's JSON without the time it was taken.
fn status_json(run: Run) -> Value {
    let mut json = run.succeeds().json();
    json.as_object_mut().unwrap().remove("taken");
    json
}

/// A setting's value, read over the control socket.
fn setting(d: &TestDaemon, name: &str) -> String {
    let json = d
        .lmutil("lmsettings", &["-list", "--json"])
        .succeeds()
        .json();
    let found = json["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {json}"));
    found["value"].as_str().unwrap().to_owned()
}

#[test]
fn lmstat_over_https_is_the_local_status_and_the_first_use_is_recorded() {
    let d = daemon();
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("config/known_servers");
    let token = new_token(&d, &["status reader"]);
    let https = Https::to(&d, &known, Some(&token));
    let fingerprint = fingerprint_of(&d);

    let first = https.run("lmstat", &["-a", "--json"]);
    assert!(first.output.status.success(), "{}", first.stderr());
    first.stderr_has(&fingerprint);
    let recorded = std::fs::read_to_string(&known).unwrap();
    assert_eq!(
        recorded,
        format!("localhost:{} {fingerprint}\n", d.http_port)
    );

    // Recorded once: later runs say nothing, and read what the socket reads.
    let remote = status_json(https.run("lmstat", &["-a", "--json"]));
    let local = status_json(d.lmutil("lmstat", &["-a", "--json"]));
    assert_eq!(remote, local);
    let listed = status_json(https.run_given(Given::InList, "lmstat", &["-a", "--json"]));
    assert_eq!(listed, local);
    let pools = remote["pools"].as_array().unwrap();
    assert!(
        pools.iter().any(|p| p["feature"] == "XDT_PLT_CCU"),
        "{remote}"
    );
    assert_eq!(std::fs::read_to_string(&known).unwrap(), recorded);
}

#[test]
fn an_admin_token_changes_a_setting_remotely_and_the_audit_names_the_token() {
    let d = daemon();
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known_servers");
    let token = new_token(&d, &["admin script"]);
    let https = Https::to(&d, &known, Some(&token));
    let pin = fingerprint_of(&d).replace(':', "").to_lowercase();

    assert_eq!(setting(&d, "burst_mode"), "on");
    https
        .run(
            "lmsettings",
            &["--fingerprint", &pin, "-set", "burst_mode=off"],
        )
        .succeeds();
    assert_eq!(setting(&d, "burst_mode"), "off");
    assert!(!known.exists(), "a pinned fingerprint records nothing");

    let audit = https.run("lmaudit", &["--fingerprint", &pin, "--json"]);
    let audit = audit.succeeds().json();
    let by_token = format!("{}\\", hostname());
    let changed = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "settings_changed")
        .unwrap_or_else(|| panic!("no settings change in {audit}"));
    assert_eq!(changed["changes"][0], "burst_mode=off", "{changed}");
    let who = changed["by"].as_str().unwrap();
    assert!(
        who.starts_with(&by_token) && who.ends_with("(token 1)"),
        "{changed}"
    );
}

#[test]
fn a_user_token_reads_but_is_refused_a_change_with_the_servers_reason() {
    let d = daemon();
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known_servers");
    let account = format!("{}\\reporting", hostname());
    d.lmutil(
        "CtxManageUserAndGroup",
        &["-useradd", &account, "-Role", "user"],
    )
    .succeeds();
    let token = new_token(&d, &["reports", "-account", &account]);
    let https = Https::to(&d, &known, Some(&token));
    https.run("lmstat", &["-a"]).stdout_has("XDT_PLT_CCU");
    let diag = https.run("lmdiag", &["--json"]).json();
    assert_eq!(diag["server"]["host"], hostname(), "{diag}");
    https.run("lmsettings", &["-list"]).succeeds();

    https
        .run("lmsettings", &["-set", "burst_mode=off"])
        .fails_with_code(256 - 63)
        .stderr_has("needs the admin role")
        .stderr_has("the token acts as its account");
    https
        .run("lmreread", &[])
        .fails_with_code(256 - 63)
        .stderr_has("needs the admin role");
    assert_eq!(setting(&d, "burst_mode"), "on");

    // No token, or one the server does not know: refused before any request.
    Https::to(&d, &known, None)
        .run("lmstat", &[])
        .fails_with_code(2)
        .stderr_has("needs an API token");
    Https::to(&d, &known, Some("lmu_0000"))
        .run("lmsettings", &["-list"])
        .fails_with_code(256 - 63)
        .stderr_has("the token is unknown, expired or revoked");
}

#[test]
fn a_token_file_readable_by_others_is_refused_and_one_of_yours_is_used() {
    use std::os::unix::fs::PermissionsExt;
    let d = daemon();
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known_servers");
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{}\n", new_token(&d, &["from a file"]))).unwrap();
    let https = Https::to(&d, &known, None);
    let path = file.to_str().unwrap();

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    https
        .run("lmstat", &["--token-file", path])
        .fails_with_code(2)
        .stderr_has("other accounts may read it")
        .stderr_has("chmod 600");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    https
        .run("lmstat", &["--token-file", path, "-a"])
        .stdout_has("XDT_PLT_CCU");
}

#[test]
fn another_server_on_a_known_port_is_refused_and_receives_no_change() {
    let first = daemon();
    let port = first.http_port.to_string();
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known_servers");
    let token = new_token(&first, &["first"]);
    Https::to(&first, &known, Some(&token))
        .run("lmstat", &[])
        .stderr_has("first connection");
    let recorded = fingerprint_of(&first);
    drop(first);

    // Another lmgrd, with its own certificate, on the same port; a token
    // that would be good there.
    let root = TestDaemon::root();
    let second = TestDaemon::start_with(root, &["--http-port", &port]);
    let presented = fingerprint_of(&second);
    assert_ne!(presented, recorded);
    let token = new_token(&second, &["second"]);
    let https = Https::to(&second, &known, Some(&token));
    https
        .run("lmsettings", &["-set", "burst_mode=off"])
        .fails_with_code(256 - 15)
        .stderr_has(known.to_str().unwrap())
        .stderr_has(&format!("recorded {recorded}"))
        .stderr_has(&format!("presented {presented}"))
        .stderr_has("nothing was sent");
    assert_eq!(setting(&second, "burst_mode"), "on");
    let audit = second.lmutil("lmaudit", &["--json"]).succeeds().json();
    assert!(!audit.to_string().contains("burst_mode"), "{audit}");

    // An edited file is refused the same way.
    std::fs::write(
        &known,
        format!("localhost:{port} {}\n", "AB:".repeat(31) + "AB"),
    )
    .unwrap();
    https
        .run("lmstat", &[])
        .fails_with_code(256 - 15)
        .stderr_has("is not the one recorded");
    // Once the line is removed, the new certificate is recorded.
    std::fs::write(&known, "").unwrap();
    https.run("lmsettings", &["-list"]).stderr_has(&presented);
}

/// A TLS server with a certificate of its own that keeps every byte a
/// client sends it after a handshake, and answers 401.
struct Impostor {
    port: u16,
    fingerprint: String,
    received: Arc<Mutex<Vec<u8>>>,
    _runtime: tokio::runtime::Runtime,
}

impl Impostor {
    fn start() -> Impostor {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let fingerprint = lmutil::server::tls::fingerprint(made.cert.der());
        let key =
            rustls::pki_types::PrivateKeyDer::try_from(made.key_pair.serialize_der()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![made.cert.der().clone()], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = received.clone();
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, sink) = (acceptor.clone(), sink.clone());
                tokio::spawn(async move { Impostor::serve(acceptor, tcp, sink).await });
            }
        });
        Impostor {
            port,
            fingerprint,
            received,
            _runtime: runtime,
        }
    }

    async fn serve(
        acceptor: tokio_rustls::TlsAcceptor,
        tcp: tokio::net::TcpStream,
        sink: Arc<Mutex<Vec<u8>>>,
    ) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Ok(mut tls) = acceptor.accept(tcp).await else {
            return;
        };
        let mut buf = vec![0u8; 16 * 1024];
        if let Ok(n @ 1..) = tls.read(&mut buf).await {
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
            let answer = "HTTP/1.1 401 Unauthorized\r\ncontent-length: 4\r\n\
                          connection: close\r\n\r\nno.\n";
            let _ = tls.write_all(answer.as_bytes()).await;
            let _ = tls.shutdown().await;
        }
    }

    fn received(&self) -> String {
        String::from_utf8_lossy(&self.received.lock().unwrap()).into_owned()
    }
}

#[test]
fn an_impostor_gets_no_token_unless_its_certificate_is_the_one_pinned() {
    let impostor = Impostor::start();
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known_servers");
    let recorded = "12:".repeat(31) + "12";
    let mut file = std::fs::File::create(&known).unwrap();
    writeln!(file, "localhost:{} {recorded}", impostor.port).unwrap();
    let token = "lmu_".to_owned() + &"7".repeat(64);
    let https = Https {
        url: format!("https://localhost:{}", impostor.port),
        known: &known,
        token: Some(&token),
    };

    https
        .run("lmsettings", &["-set", "burst_mode=off"])
        .fails_with_code(256 - 15)
        .stderr_has(&format!("presented {}", impostor.fingerprint));
    https
        .run("lmstat", &["--fingerprint", &recorded])
        .fails_with_code(256 - 15)
        .stderr_has(&format!("pinned with --fingerprint: pinned {recorded}"));
    assert_eq!(impostor.received(), "", "nothing reached the impostor");

    // Pinned to the impostor's own certificate, the request does reach
    // it: so the refusals above are the pin's doing.
    https
        .run("lmstat", &["--fingerprint", &impostor.fingerprint])
        .fails_with_code(256 - 63);
    assert!(
        impostor.received().contains(&format!("Bearer {token}")),
        "{}",
        impostor.received()
    );
}

/// A CA and a certificate it issued for `localhost` (only), as PEM
/// files in `dir`: (CA, certificate, key).
fn issued_by_a_ca(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, format!("{name} CA"));
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let names = vec!["localhost".to_owned()];
    let cert = CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let write = |file: &str, text: String| {
        let path = dir.join(format!("{name}-{file}"));
        std::fs::write(&path, text).unwrap();
        path
    };
    (
        write("ca.pem", ca.pem()),
        write("cert.pem", cert.pem()),
        write("key.pem", key.serialize_pem()),
    )
}

#[test]
fn a_ca_verifies_the_certificate_the_daemon_was_given_and_another_ca_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = issued_by_a_ca(dir.path(), "ours");
    let (other_ca, _, _) = issued_by_a_ca(dir.path(), "other");
    let root = TestDaemon::root();
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let d = TestDaemon::start_with(root, &["--tls-cert", cert, "--tls-key", key]);
    let known = dir.path().join("known_servers");
    let token = new_token(&d, &["ca"]);
    let https = Https::to(&d, &known, Some(&token));

    let remote = status_json(https.run("lmstat", &["-a", "--json", "--ca", ca.to_str().unwrap()]));
    let local = status_json(d.lmutil("lmstat", &["-a", "--json"]));
    assert_eq!(remote, local);
    assert!(!known.exists(), "a CA's word needs no record");

    https
        .run("lmstat", &["--ca", other_ca.to_str().unwrap()])
        .fails_with_code(256 - 15)
        .stderr_has("certificate");
    // The host name is checked too: the certificate names no address.
    let by_other_name = Https {
        url: format!("https://127.0.0.1:{}", d.http_port),
        ..Https::to(&d, &known, Some(&token))
    };
    let other_name = by_other_name.run("lmstat", &["--ca", ca.to_str().unwrap()]);
    other_name
        .fails_with_code(256 - 15)
        .stderr_has("certificate");
}
