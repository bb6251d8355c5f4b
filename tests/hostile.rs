//! Hostile input against a real lmgrd: bad frames, slow and silent peers,
//! floods of connections, and license and options files that are huge,
//! binary, unreadable, linked from elsewhere or signed by a stranger. In
//! every case the server keeps serving everyone else (a product checks out
//! during or after), and says what happened once, not once per byte.

use std::time::Duration;

use lmutil::client::{CheckoutArgs, ClientError, Connection, ProductSession};
use lmutil::protocol::{Envelope, PROTOCOL_VERSION, Request, Response, read_message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{License, TestDaemon, lmutil, require_root};

fn ccu() -> License {
    License::new()
        .increment("XDT_PLT_CCU", 50)
        .vendor_string(";LT=Eval")
        .dup_group("V")
        .issued("01-dec-2026")
}

fn ud() -> License {
    License::new()
        .increment("XDT_ENT_UD", 5)
        .vendor_string(";LT=Eval")
        .issued("01-dec-2026")
}

fn daemon(extra: &[&str]) -> TestDaemon {
    let root = TestDaemon::root();
    ccu().install(root.path(), "ccu.lic");
    TestDaemon::start_with(root, extra)
}

fn args<'a>(feature: &'a str, device: &'a str) -> CheckoutArgs<'a> {
    CheckoutArgs {
        feature,
        version: "2026.0101",
        user: "jack",
        device,
        display: "console",
        count: 1,
    }
}

/// A product starts, checks out, checks in and ends: the server serves.
async fn a_product_checks_out(d: &TestDaemon, feature: &str) {
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "good-product").await.unwrap();
    let h = p.checkout(args(feature, "good-device")).await.unwrap();
    p.checkin(h).await.unwrap();
    p.end().await.unwrap();
}

/// Waits for something the server must do by itself (close a connection)
/// and fails the test, rather than hanging it, if it never does.
async fn eventually<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(120), f)
        .await
        .unwrap_or_else(|_| panic!("the server never did it: {what}"))
}

/// Lines of the debug log that contain `text`.
fn log_lines(d: &TestDaemon, text: &str) -> usize {
    d.debug_log().lines().filter(|l| l.contains(text)).count()
}

/// Sends `bytes` on a new connection, optionally ends the sending side,
/// and returns everything the server sent before it closed.
async fn send_raw(d: &TestDaemon, bytes: &[u8], finish: bool) -> String {
    let mut s = TcpStream::connect(d.vendor_addr()).await.unwrap();
    s.write_all(bytes).await.unwrap();
    if finish {
        s.shutdown().await.unwrap();
    }
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(payload);
    out
}

#[tokio::test]
async fn bad_frames_end_their_own_connection_with_one_log_line_each() {
    let d = daemon(&[]);
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut bystander = ProductSession::start(conn, "bystander").await.unwrap();
    bystander
        .checkout(args("XDT_PLT_CCU", "b-1"))
        .await
        .unwrap();

    let invalid_utf8 = b"{\"v\":1,\"id\":1,\"body\":{\"type\":\"hello\",\"client\":\"\xff\xfe\"}}";
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("malformed", frame(b"{{{{{"), "malformed message"),
        ("invalid UTF-8", frame(invalid_utf8), "malformed message"),
        (
            "oversized",
            (lmutil::protocol::MAX_FRAME as u32 + 1)
                .to_be_bytes()
                .to_vec(),
            "larger than the",
        ),
        ("empty", frame(b""), "empty frame"),
    ];
    for (what, bytes, reason) in &cases {
        let answer = send_raw(&d, bytes, false).await;
        assert!(answer.contains("\"code\":-12"), "{what}: {answer}");
        assert!(answer.contains(reason), "{what}: {answer}");
    }
    // Truncated: a header promising 100 bytes, 10 bytes, then the end.
    let mut truncated = 100u32.to_be_bytes().to_vec();
    truncated.extend_from_slice(b"{\"v\":1,\"id");
    assert_eq!(send_raw(&d, &truncated, true).await, "");

    bystander
        .checkout(args("XDT_PLT_CCU", "b-2"))
        .await
        .unwrap();
    a_product_checks_out(&d, "XDT_PLT_CCU").await;
    assert_eq!(log_lines(&d, "malformed message"), 2, "{}", d.debug_log());
    assert_eq!(log_lines(&d, "larger than the"), 1);
    assert_eq!(log_lines(&d, "empty frame"), 1);
    assert_eq!(log_lines(&d, "ended in the middle of a frame"), 1);
    assert_eq!(log_lines(&d, "Closed the connection from"), 5);
}

#[tokio::test]
async fn an_unknown_protocol_version_is_refused_for_its_version_and_the_connection_goes_on() {
    let d = daemon(&[]);
    let mut s = TcpStream::connect(d.vendor_addr()).await.unwrap();
    // A future client's request this server cannot even parse as a body.
    let future = br#"{"v":2,"id":41,"body":{"type":"teleport","to":"mars"}}"#;
    s.write_all(&frame(future)).await.unwrap();
    let answer: Envelope<Response> = read_message(&mut s).await.unwrap();
    assert_eq!(answer.id, 41);
    match answer.body {
        Response::Error(e) => {
            assert_eq!(e.code, -12);
            assert!(e.reason.contains("protocol version 2"), "{}", e.reason);
        }
        other => panic!("{other:?}"),
    }
    // The same connection then speaks version 1.
    let hello = Envelope {
        v: PROTOCOL_VERSION,
        id: 42,
        body: Request::Hello {
            client: "retry".into(),
        },
    };
    lmutil::protocol::write_message(&mut s, &hello)
        .await
        .unwrap();
    let answer: Envelope<Response> = read_message(&mut s).await.unwrap();
    assert!(matches!(answer.body, Response::Hello { .. }), "{answer:?}");
}

#[tokio::test]
async fn never_ending_and_trickled_frames_are_cut_off_while_others_check_out() {
    let d = daemon(&["--frame-timeout", "1"]);
    // A frame that announces a megabyte, sends a kilobyte and stalls.
    let mut stalled = TcpStream::connect(d.vendor_addr()).await.unwrap();
    stalled
        .write_all(&(lmutil::protocol::MAX_FRAME as u32).to_be_bytes())
        .await
        .unwrap();
    stalled.write_all(&[b' '; 1024]).await.unwrap();
    // A frame trickled a byte at a time, forever.
    let addr = d.vendor_addr();
    let trickler = tokio::spawn(async move {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(&1000u32.to_be_bytes()).await.unwrap();
        let (mut r, mut w) = s.into_split();
        let writer = tokio::spawn(async move {
            while w.write_all(b" ").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        let mut answer = Vec::new();
        let _ = r.read_to_end(&mut answer).await;
        writer.abort();
        String::from_utf8_lossy(&answer).into_owned()
    });
    // Others are served meanwhile.
    a_product_checks_out(&d, "XDT_PLT_CCU").await;
    let mut answer = Vec::new();
    let _ = eventually("cut off a stalled frame", stalled.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.contains("took longer than 1 seconds"), "{answer}");
    let answer = eventually("cut off a trickled frame", trickler)
        .await
        .unwrap();
    assert!(answer.contains("took longer than 1 seconds"), "{answer}");
    a_product_checks_out(&d, "XDT_PLT_CCU").await;
    assert_eq!(log_lines(&d, "took longer than 1 seconds"), 2);
}

#[tokio::test]
async fn a_client_that_never_reads_its_answers_is_cut_off() {
    let d = daemon(&["--frame-timeout", "1"]);
    // Fifty checkouts make every status answer a few kilobytes.
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "busy").await.unwrap();
    for i in 0..50 {
        p.checkout(args("XDT_PLT_CCU", &format!("busy-{i}")))
            .await
            .unwrap();
    }
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let s = socket
        .connect(d.vendor_addr().parse().unwrap())
        .await
        .unwrap();
    let (_r, mut w) = s.into_split();
    // Ask for the status over and over and never read: the answers fill
    // the socket buffers, the server's write times out, it closes.
    let status = lmutil::protocol::encode(&Envelope {
        v: PROTOCOL_VERSION,
        id: 1,
        body: Request::Status(Default::default()),
    });
    let mut sent = 0u64;
    eventually("close a connection that does not read", async {
        while w.write_all(&status).await.is_ok() {
            sent += 1;
        }
    })
    .await;
    assert!(sent > 0);
    p.heartbeat().await.unwrap();
    p.end().await.unwrap();
    a_product_checks_out(&d, "XDT_PLT_CCU").await;
    assert_eq!(
        log_lines(&d, "an answer could not be sent in 1 seconds"),
        1,
        "{}",
        d.debug_log()
    );
}

#[tokio::test]
async fn silent_and_half_open_connections_are_closed_and_the_product_reconnects() {
    let d = daemon(&["--idle-timeout", "2"]);
    // A connection that never says anything.
    let mut silent = TcpStream::connect(d.vendor_addr()).await.unwrap();
    // A product whose peer vanished without closing (no FIN, nothing more).
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut product = ProductSession::start(conn, "vanishing").await.unwrap();
    let handle = product
        .checkout(args("XDT_PLT_CCU", "dev-v"))
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = eventually("close a silent connection", silent.read_to_end(&mut buf)).await;
    assert_eq!(read.unwrap(), 0);
    // The server noticed the half-open product connection too: its session
    // lapsed, its checkout kept for a reconnect.
    let mut admin = Connection::unix(&d.socket).await.unwrap();
    let lapsed = eventually("lapse a half-open product's session", async {
        loop {
            let Response::Status(s) = admin
                .request(Request::Status(Default::default()))
                .await
                .unwrap()
            else {
                panic!()
            };
            let session = s.sessions.iter().find(|x| x.host == "vanishing").unwrap();
            if session.lapsed_at.is_some() {
                break s;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert_eq!(lapsed.checkouts.len(), 1);
    product
        .reconnect(Connection::tcp(&d.vendor_addr()).await.unwrap())
        .await
        .unwrap();
    product.checkin(handle).await.unwrap();
    let silent_peer = silent.local_addr().unwrap();
    assert_eq!(
        log_lines(&d, &format!("from {silent_peer}: no request for 2 seconds")),
        1
    );
    assert!(log_lines(&d, "no request for 2 seconds") >= 2);
}

#[tokio::test]
async fn thousands_of_connections_opened_and_dropped_leave_the_server_serving() {
    let d = daemon(&[]);
    for _ in 0..6 {
        let mut streams = Vec::new();
        for _ in 0..500 {
            streams.push(TcpStream::connect(d.vendor_addr()).await.unwrap());
        }
        drop(streams);
    }
    // Half a header, then gone, a few hundred times.
    for _ in 0..200 {
        let mut s = TcpStream::connect(d.vendor_addr()).await.unwrap();
        s.write_all(&[0, 0]).await.unwrap();
    }
    a_product_checks_out(&d, "XDT_PLT_CCU").await;
    // Dropping a connection between frames, or before a frame's length
    // is complete, is a clean end: not worth a line.
    assert_eq!(log_lines(&d, "Closed the connection from"), 0);
}

#[tokio::test]
async fn past_the_connection_cap_a_client_waits_its_turn_and_is_then_served() {
    let d = daemon(&["--max-connections", "8"]);
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut c = Connection::tcp(&d.vendor_addr()).await.unwrap();
        // Each is being served: it answers.
        c.request(Request::Info).await.unwrap();
        held.push(c);
    }
    let addr = d.vendor_addr();
    let waiting = tokio::spawn(async move {
        let mut c = Connection::tcp(&addr).await.unwrap();
        c.request(Request::Info).await.map(drop)
    });
    // While every slot is taken, the ninth is not served at all.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "served past the cap");
    held.pop();
    waiting.await.unwrap().unwrap();
    drop(held);
    a_product_checks_out(&d, "XDT_PLT_CCU").await;
}

#[tokio::test]
async fn huge_binary_linked_and_stranger_signed_license_files_are_refused_and_the_rest_serve() {
    let root = TestDaemon::root();
    let p = root.path().to_owned();
    ccu().install(&p, "ccu.lic");
    let lic = p.join("licenses");
    // Huge: one byte over the limit.
    let huge = vec![b'#'; lmutil::license::parser::MAX_FILE_LEN + 1];
    std::fs::write(lic.join("huge.lic"), huge).unwrap();
    // Binary: a megabyte of noise (a fixed pattern, so the test repeats).
    let mut x: u32 = 0x1234_5678;
    let noise: Vec<u8> = (0..1_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(lic.join("noise.lic"), noise).unwrap();
    // Linked from outside the license directory (a valid file, even).
    let outside = tempfile::tempdir().unwrap();
    std::fs::copy(lic.join("ccu.lic"), outside.path().join("elsewhere.lic")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("elsewhere.lic"), lic.join("linked.lic"))
        .unwrap();
    // Signed with a key the server does not trust.
    let stranger = p.join("stranger");
    lmutil([
        "lmcrypt".as_ref(),
        "--genkey".as_ref(),
        stranger.as_os_str(),
    ])
    .succeeds();
    ud().install_signed_by(&p, "forged.lic", &stranger.join("vendor.key"));
    let d = TestDaemon::start(root);

    a_product_checks_out(&d, "XDT_PLT_CCU").await;
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc").await.unwrap();
    match p.checkout(args("XDT_ENT_UD", "dev")).await {
        Err(ClientError::Refused(e)) => assert!(e.code == -8 || e.code == -5, "{e:?}"),
        other => panic!("a line signed by a stranger served: {other:?}"),
    }
    let log = d.debug_log();
    assert_eq!(log_lines(&d, "huge.lic is larger than"), 1, "{log}");
    assert_eq!(log_lines(&d, "outside the license directory"), 1, "{log}");
    assert_eq!(log_lines(&d, "\"XDT_ENT_UD\" not served"), 1, "{log}");
    // The noise costs a bounded number of lines, not one per byte: the
    // first problems and a count of the rest, and an alert for each of
    // the first lines that do not parse.
    let noise = log_lines(&d, "noise.lic");
    let alerts = log
        .lines()
        .filter(|l| l.contains("ALERT: line_not_read ") && l.contains("noise.lic"))
        .count();
    assert_eq!(alerts, lmutil::alerts::MAX_NOT_READ_PER_FILE, "{log}");
    let said = noise - alerts;
    assert!((1..=21).contains(&said), "{said} lines about noise.lic");
    // lmdiag says the same, and the linked file's line is not served.
    let socket = d.socket.to_str().unwrap().to_owned();
    lmutil(["lmdiag", "-c", &socket, "-n", "XDT_ENT_UD"])
        .stdout_has("inconsistent authentication code");
    let status = d.status().await;
    let pool = status
        .pools
        .iter()
        .find(|p| p.key.feature == "XDT_PLT_CCU")
        .unwrap();
    assert_eq!(pool.installed, 50, "the linked copy added nothing");
}

/// An unreadable license file, and a server that never reads the vendor's
/// private key: lmgrd runs as `nobody`, and the private key sits in its keys
/// directory where `nobody` cannot read it. Needs root to start it so.
#[tokio::test]
async fn an_unreadable_file_is_skipped_and_the_private_key_is_never_read() {
    use std::os::unix::fs::PermissionsExt;
    require_root("to run lmgrd as another account (nobody)");
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    let root = TestDaemon::root();
    let p = root.path().to_owned();
    ccu().install(&p, "ccu.lic");
    ud().install(&p, "secret.lic");
    std::fs::set_permissions(
        p.join("licenses/secret.lic"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    // The private key, root's alone, next to the public one.
    std::fs::copy(p.join("vendor/vendor.key"), p.join("keys/vendor.key")).unwrap();
    std::fs::set_permissions(
        p.join("keys/vendor.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    for dir in ["", "licenses", "keys", "data"] {
        let dir = p.join(dir);
        nix::unistd::chown(&dir, Some(nobody.uid), Some(nobody.gid)).unwrap();
    }
    for file in ["licenses/ccu.lic", "keys/vendor.pub"] {
        std::fs::set_permissions(p.join(file), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    let d = TestDaemon::try_start_as(root, &[], Some(nobody.uid.as_raw())).unwrap();
    a_product_checks_out(&d, "XDT_PLT_CCU").await;
    let log = d.debug_log();
    assert_eq!(log_lines(&d, "secret.lic: Permission denied"), 1, "{log}");
    assert!(!log.contains("vendor.key"), "{log}");
}

#[tokio::test]
async fn an_options_file_full_of_errors_is_reported_briefly_and_the_good_lines_apply() {
    let root = TestDaemon::root();
    ccu().install(root.path(), "ccu.lic");
    let mut opt = String::new();
    for i in 0..500 {
        opt.push_str(&format!("RESERVE lots{i} XDT_PLT_CCU USER x\n"));
        opt.push_str("\"unterminated\n");
        opt.push_str("FROBNICATE everything\n");
    }
    opt.push_str("EXCLUDE XDT_PLT_CCU USER mallory\n");
    opt.push_str("\u{0}\u{1}\u{2} binary\n");
    std::fs::write(root.path().join("licenses/CITRIX.opt"), opt).unwrap();
    let d = TestDaemon::start(root);
    a_product_checks_out(&d, "XDT_PLT_CCU").await;
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc").await.unwrap();
    let mut mallory = args("XDT_PLT_CCU", "m-dev");
    mallory.user = "mallory";
    match p.checkout(mallory).await {
        Err(ClientError::Refused(e)) => assert_eq!(e.code, -38),
        other => panic!("the good line was not applied: {other:?}"),
    }
    let lines = log_lines(&d, "CITRIX.opt");
    assert!(lines <= 2 + 2 * 21, "{lines} log lines about CITRIX.opt");
    assert_eq!(log_lines(&d, "more problems not shown"), 2);
}
