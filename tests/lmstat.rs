//! lmstat against a real lmgrd, read the way FlexNet monitoring tools read it.

use lmutil::client::{CheckoutArgs, Connection, ProductSession};

use crate::common::{License, Masks, TestDaemon, assert_golden, hostname, lmutil};

/// A retail concurrent license and a user/device license of one seat.
fn licenses() -> License {
    License::new()
        .use_server()
        .increment("XDT_PLT_CCS", 100)
        .vendor_string(";LT=Retail;GP=720;CL=VDS,VDA,VDE,VDP;SA=0;ODP=0")
        .dup_group("V")
        .continued()
        .increment("XDT_PLT_UD", 1)
        .expiry("01-dec-2027")
        .vendor_string(";LT=Retail;GP=720")
}

/// A daemon with two product sessions and a few checkouts.
async fn busy_daemon() -> TestDaemon {
    let root = TestDaemon::root();
    licenses().install(root.path(), "retail.lic");
    let d = TestDaemon::start(root);
    let mut p = ProductSession::start(
        Connection::tcp(&d.vendor_addr()).await.unwrap(),
        "ddc1.example.com",
    )
    .await
    .unwrap();
    for (user, device, count) in [
        ("XDT", "00001E3A", 1),
        ("XDT", "00001E81", 1),
        ("XDT", "00001E0C", 1),
    ] {
        p.checkout(CheckoutArgs {
            feature: "XDT_PLT_CCS",
            version: "2026.0518",
            user,
            device,
            display: "XDT",
            count,
        })
        .await
        .unwrap();
    }
    std::mem::forget(p); // keep the session open while lmstat runs
    d
}

fn lmstat(d: &TestDaemon, args: &[&str]) -> String {
    let socket = d.socket.to_str().unwrap().to_owned();
    let mut all = vec!["lmstat", "-c", &socket];
    all.extend_from_slice(args);
    lmutil(all).succeeds().stdout()
}

#[tokio::test]
async fn lmstat_a_follows_flexnets_layout_line_by_line() {
    let d = busy_daemon().await;
    let host = hostname();
    let out = lmstat(&d, &["-a"]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("lmutil - Copyright (c) "), "{out}");
    for word in ["down", "cannot", "unable", "refused"] {
        assert!(!lines[0].to_lowercase().contains(word));
    }
    let stamp = lines[1]
        .strip_prefix("Flexible License Manager status on ")
        .unwrap();
    let parts: Vec<&str> = stamp.split(' ').collect();
    assert_eq!(parts.len(), 3, "{stamp}");
    assert_eq!(parts[1].split('/').count(), 3);
    assert_eq!(parts[2].len(), 5);
    assert_eq!(lines[2], "");
    assert_eq!(
        lines[3],
        format!("License server status: {}@{host}", d.lm_port)
    );
    assert!(lines[4].starts_with(&format!("    License file(s) on {host}: ")));
    assert!(lines[4].ends_with("retail.lic:"), "{}", lines[4]);
    assert_eq!(lines[5], "");
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        lines[6],
        format!("{host}: license server UP (MASTER) v{version}")
    );
    assert_eq!(lines[8], format!("Vendor daemon status (on {host}):"));
    assert_eq!(lines[10], format!("    CITRIX: UP v{version}"));
    assert_eq!(lines[12], "Feature usage info:");
    assert!(out.contains(
        "Users of CITRIX:  (Total of 10000 licenses issued;  Total of 1 license in use)\n"
    ));
    assert!(out.contains(
        "Users of XDT_PLT_CCS:  (Total of 100 licenses issued;  Total of 3 licenses in use)\n\n  \
         \"XDT_PLT_CCS\" v2026.1201, vendor: CITRIX, expiry: permanent(no expiration date)\n  \
         vendor_string: ;LT=Retail;GP=720;CL=VDS,VDA,VDE,VDP;SA=0;ODP=0\n  floating license\n\n"
    ));
    // A feature with nobody on it: the Users of line and a blank, no block.
    assert!(out.contains(
        "Users of XDT_PLT_UD:  (Total of 1 license issued;  Total of 0 licenses in use)\n\n"
    ));
    assert!(!out.contains("\"XDT_PLT_UD\""));
    // Exactly one blank line between blocks, and no trailing spaces.
    assert!(!out.contains("\n\n\n"), "{out}");
    assert!(lines.iter().all(|l| !l.ends_with(' ')), "{out}");
    // Checkout lines: user host display device (vVERSION) (server/port handle), start …
    let users: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("    XDT ddc1.example.com XDT 00001E"))
        .collect();
    assert_eq!(users.len(), 3, "{out}");
    for u in users {
        let (_, rest) = u.split_once(" (v2026.0518) (").unwrap();
        let (server, rest) = rest.split_once(' ').unwrap();
        assert_eq!(server, format!("{host}/{}", d.lm_port));
        let (handle, start) = rest.split_once("), start ").unwrap();
        assert!(handle.parse::<u64>().is_ok());
        let fields: Vec<&str> = start.split(' ').collect();
        assert_eq!(fields.len(), 3, "{start}");
        assert_eq!(fields[1].split('/').count(), 2);
        assert!(!start.contains("licenses"), "one license each");
    }
}

/// What the exporters do: read features and users with their patterns.
#[tokio::test]
async fn a_monitoring_parser_reads_the_numbers_back() {
    let d = busy_daemon().await;
    let out = lmstat(&d, &["-a"]);
    let mut features = Vec::new();
    let mut users = 0;
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("Users of ") {
            let (name, counts) = rest.split_once(":  (Total of ").unwrap();
            let (issued, rest) = counts.split_once(" license").unwrap();
            let used = rest
                .split_once(";  Total of ")
                .unwrap()
                .1
                .split(' ')
                .next()
                .unwrap();
            features.push((
                name.to_owned(),
                issued.parse::<u64>().unwrap(),
                used.parse::<u64>().unwrap(),
            ));
        } else if line.starts_with("    ") && line.contains(" (v") && line.contains("), start ") {
            users += 1;
        }
    }
    assert_eq!(
        features,
        [
            ("CITRIX".to_owned(), 10000, 1),
            ("CTXLSDIAG".to_owned(), 10000, 0),
            ("XDT_PLT_CCS".to_owned(), 100, 3),
            ("XDT_PLT_UD".to_owned(), 1, 0),
        ]
    );
    assert_eq!(
        users, 4,
        "three checkouts and the product's start-up license"
    );
}

#[tokio::test]
async fn plain_lmstat_feature_and_vendor_views() {
    let d = busy_daemon().await;
    let plain = lmstat(&d, &[]);
    assert!(plain.contains("license server UP (MASTER)"));
    assert!(plain.contains("    CITRIX: UP v"));
    assert!(!plain.contains("Users of"));
    // -s: the servers' status, as plain lmstat shows it.
    let servers = lmstat(&d, &["-s"]);
    let body = |t: &str| t.lines().skip(2).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&servers), body(&plain));
    let one = lmstat(&d, &["-f", "XDT_PLT_CCS"]);
    assert!(one.contains("Users of XDT_PLT_CCS:"));
    assert!(!one.contains("Users of CITRIX"));
    assert!(!one.contains("License server status"));
    let vendor = lmstat(&d, &["-S", "CITRIX"]);
    assert!(vendor.contains("Users of features served by CITRIX:"));
    // A feature the server does not serve: FlexNet's line, which
    // monitoring checks match; the status itself was obtained.
    let none = lmstat(&d, &["-f", "NO_SUCH_FEATURE"]);
    assert!(
        none.ends_with(
            "Users of NO_SUCH_FEATURE: Cannot get users of NO_SUCH_FEATURE: No such feature exists. (-5,0)\n\n"
        ),
        "{none}"
    );
}

#[tokio::test]
async fn lmstat_json_is_the_daemons_own_view() {
    let d = busy_daemon().await;
    let socket = d.socket.to_str().unwrap().to_owned();
    let json = lmutil(["lmstat", "-c", &socket, "-a", "--json"])
        .succeeds()
        .json();
    assert_eq!(json["server"]["lm_port"], d.lm_port);
    assert_eq!(json["checkouts"].as_array().unwrap().len(), 3);
    let ccs = pool_of(&json, "XDT_PLT_CCS");
    assert_eq!(
        (ccs["installed"].as_u64(), ccs["in_use"].as_u64()),
        (Some(100), Some(3))
    );
    assert_eq!(ccs["burst"]["state"], "armed");
    let ud = pool_of(&json, "XDT_PLT_UD");
    assert_eq!(ud["overdraft"], 0, "1 license: 10% rounds down to none");
}

#[test]
fn lmstat_i_reads_the_files_as_a_table() {
    let root = TestDaemon::root();
    licenses().install(root.path(), "retail.lic");
    let dir = root.path().join("licenses");
    let out = lmutil(["lmstat", "-i", "-c", dir.to_str().unwrap()])
        .succeeds()
        .stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "NOTE: lmstat -i does not give information from the server,"
    );
    assert_eq!(
        lines[4],
        "Feature                         Version     #licenses    Expires      Vendor"
    );
    assert_eq!(
        lines[5],
        "_______                         _________   _________    __________   ______"
    );
    assert_eq!(
        lines[6],
        "XDT_PLT_CCS                     2026.1201    100         01-jan-0000  CITRIX"
    );
    assert_eq!(
        lines[7],
        "XDT_PLT_UD                      2026.1201    1           01-dec-2027  CITRIX"
    );
}

#[test]
fn lmstat_v_and_an_unreachable_server() {
    let v = lmutil(["lmstat", "-v"]).succeeds().stdout();
    // The exporters' pattern: `lmstat vX.Y.Z build N ARCH`, N decimal.
    let banner = v.lines().nth(1).unwrap();
    let rest = banner
        .strip_prefix(&format!("lmstat v{} build ", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{banner}"));
    let (build, arch) = rest.split_once(' ').unwrap();
    assert!(!arch.is_empty() && !arch.contains(' '), "{banner}");
    // The build number is the number of commits behind this build.
    let commits = std::process::Command::new("git")
        .args(["rev-list", "--count", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(commits.status.success());
    let commits = String::from_utf8(commits.stdout).unwrap();
    assert_eq!(build, commits.trim(), "{banner}");
    let out = lmutil(["lmstat", "-a", "-c", "1@127.0.0.1", "-t", "2"]);
    let out = out.fails_with_code(241);
    assert!(
        out.stdout()
            .contains("Error getting status: Cannot connect to license server system. (-15,0)")
    );
    assert!(out.stderr().contains("1@127.0.0.1"), "{}", out.stderr());
    assert!(out.stderr().contains("is lmgrd running?"));
}

/// The golden tests' licenses: concurrent (one line wrapped, as
/// generators write them), user/device, an older version of a feature,
/// and an expired line.
fn golden_licenses() -> License {
    License::new()
        .use_server()
        .increment("XDT_PLT_CCS", 100)
        .vendor_string(";LT=Retail;GP=720;CL=VDS,VDA,VDE,VDP;SA=0;ODP=0")
        .dup_group("V")
        .continued()
        .increment("XDT_PLT_UD", 10)
        .expiry("01-dec-2027")
        .vendor_string(";LT=Retail;GP=720")
        .increment("XDT_ENT_UD", 5)
        .version("2025.0601")
        .expiry("01-dec-2027")
        .vendor_string(";LT=Retail;GP=720")
        .increment("XDT_STD_CCU", 2)
        .expiry("01-jan-2020")
        .vendor_string(";LT=Eval")
}

/// A daemon with checkouts of both models from two products: concurrent
/// ones (one of two licenses), user/device ones (two users on one device,
/// one user on two devices).
async fn golden_daemon() -> TestDaemon {
    let root = TestDaemon::root();
    golden_licenses().install(root.path(), "retail.lic");
    let d = TestDaemon::start(root);
    let checkouts = [
        ("ddc1.example.com", "XDT_PLT_CCS", "ann", "00001E3A", 1),
        ("ddc1.example.com", "XDT_PLT_CCS", "bob", "00001E81", 2),
        ("ddc2.example.com", "XDT_PLT_UD", "MYCO\\Tom", "Desk 1", 1),
        ("ddc2.example.com", "XDT_PLT_UD", "Karen", "Desk 1", 1),
        ("ddc2.example.com", "XDT_PLT_UD", "carol", "pc1", 1),
        ("ddc2.example.com", "XDT_PLT_UD", "carol", "phone", 1),
    ];
    let mut sessions = std::collections::BTreeMap::new();
    for (product, feature, user, device, count) in checkouts {
        if !sessions.contains_key(product) {
            let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
            let session = ProductSession::start(conn, product).await.unwrap();
            sessions.insert(product, session);
        }
        let p = sessions.get_mut(product).unwrap();
        let args = CheckoutArgs {
            feature,
            version: "2026.0518",
            user,
            device,
            display: device,
            count,
        };
        p.checkout(args).await.unwrap();
    }
    // Keep the sessions, and so their checkouts, while lmstat runs.
    std::mem::forget(sessions);
    d
}

#[tokio::test]
async fn lmstat_a_matches_its_golden_file() {
    let d = golden_daemon().await;
    let out = lmstat(&d, &["-a"]);
    assert_golden("lmstat_a.txt", &Masks::daemon(&d), &out);
}

#[tokio::test]
async fn lmstat_f_matches_its_golden_file() {
    let d = golden_daemon().await;
    let masks = Masks::daemon(&d);
    for feature in ["XDT_PLT_CCS", "XDT_PLT_UD"] {
        let out = lmstat(&d, &["-f", feature]);
        assert_golden(&format!("lmstat_f_{feature}.txt"), &masks, &out);
    }
}

#[test]
fn lmstat_i_matches_its_golden_file() {
    let root = TestDaemon::root();
    golden_licenses().install(root.path(), "retail.lic");
    let dir = root.path().join("licenses");
    let out = lmutil(["lmstat", "-i", "-c", dir.to_str().unwrap()])
        .succeeds()
        .stdout();
    let masks = Masks::new().with(root.path().to_str().unwrap(), "{ROOT}");
    assert_golden("lmstat_i.txt", &masks, &out);
}

/// One pool of every model whose checkouts can share a license.
fn sharing_licenses() -> License {
    let retail = ";LT=Retail;GP=720";
    License::new()
        .use_server()
        .increment("XDT_PLT_CCS", 100)
        .vendor_string(retail)
        .dup_group("V")
        .increment("XDT_ADV_CCU", 10)
        .vendor_string(retail)
        .increment("XDT_PLT_UD", 10)
        .vendor_string(retail)
        .increment("XDT_PLT_USR", 10)
        .vendor_string(retail)
        .increment("XDT_PLT_DEV", 10)
        .vendor_string(retail)
        .increment("XDT_PLT_SKT", 20)
        .vendor_string(retail)
        .increment("XDT_PLT_SRV", 5)
        .vendor_string(retail)
}

/// Two product servers and checkouts that share licenses in every way a
/// model allows, plus a user/device lease that outlives its session.
async fn sharing_daemon() -> TestDaemon {
    let root = TestDaemon::root();
    sharing_licenses().install(root.path(), "retail.lic");
    let d = TestDaemon::start(root);
    let mut products = [
        product_on(&d, "ddc1.example.com").await,
        product_on(&d, "ddc2.example.com").await,
    ];
    let take = |feature, user, device, count| CheckoutArgs {
        feature,
        version: "2026.0518",
        user,
        device,
        display: device,
        count,
    };
    for (p, feature, user, device, count) in [
        // DUP_GROUP=V: a device's second checkout, and a double-hop
        // session through the other product server, share its license;
        // a count of 2 still holds one.
        (0, "XDT_PLT_CCS", "ann", "D1", 2),
        (0, "XDT_PLT_CCS", "ann", "D1", 1),
        (1, "XDT_PLT_CCS", "ann", "D1", 1),
        (0, "XDT_PLT_CCS", "bob", "D2", 1),
        // Without DUP_GROUP every checkout holds its own.
        (0, "XDT_ADV_CCU", "ann", "D1", 1),
        (0, "XDT_ADV_CCU", "ann", "D1", 1),
        // User/device: two users on one device (the device holds it), one
        // user on two devices (the user holds it), twice on one.
        (1, "XDT_PLT_UD", "Tom", "Desk 1", 1),
        (1, "XDT_PLT_UD", "Karen", "Desk 1", 1),
        (1, "XDT_PLT_UD", "carol", "pc1", 1),
        (1, "XDT_PLT_UD", "carol", "phone", 1),
        (0, "XDT_PLT_UD", "carol", "pc1", 1),
        // Per user: one user on two devices; per device: two users on one.
        (0, "XDT_PLT_USR", "eve", "pc1", 1),
        (0, "XDT_PLT_USR", "eve", "pc2", 1),
        (0, "XDT_PLT_DEV", "frank", "pc3", 1),
        (0, "XDT_PLT_DEV", "gina", "pc3", 1),
        // Per socket: the host holds what its largest checkout needs.
        (0, "XDT_PLT_SKT", "svc", "ddc1", 2),
        (0, "XDT_PLT_SKT", "svc", "ddc1", 4),
        // Per product server: one for the server, however many checkouts.
        (1, "XDT_PLT_SRV", "svc", "a", 1),
        (1, "XDT_PLT_SRV", "svc", "b", 1),
    ] {
        products[p]
            .checkout(take(feature, user, device, count))
            .await
            .unwrap();
    }
    // A user/device lease whose session ended: still a license in use.
    let h = products[1]
        .checkout(take("XDT_PLT_UD", "dave", "pc9", 1))
        .await
        .unwrap();
    products[1].checkin(h).await.unwrap();
    std::mem::forget(products);
    d
}

async fn product_on(d: &TestDaemon, host: &str) -> ProductSession {
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    ProductSession::start(conn, host).await.unwrap()
}

/// Reads `lmstat -a` as the exporters (flexlm_exporter) and Slurm's
/// license scripts do: a pattern for the `Users of` lines, one for the
/// checkout lines, each checkout line counting 1 or its `, N licenses`.
/// Per feature: (in use as its `Users of` line says, sum of its lines).
fn parse_as_exporters_do(text: &str) -> Vec<(String, u64, u64)> {
    let users_of = regex::Regex::new(
        r"^Users of (\S+):\s+\(Total of (\d+) licenses? issued;\s+Total of (\d+) licenses? in use\)$",
    )
    .unwrap();
    let checkout = regex::Regex::new(
        r"^\s+\S.* \(v[\w.]+\) \([\w.\-]+/\d+ (\d+)\), start \w+ \d+/\d+ \d+:\d+(?:, (\d+) licenses)?$",
    )
    .unwrap();
    let mut out: Vec<(String, u64, u64)> = Vec::new();
    for line in text.lines() {
        if let Some(c) = users_of.captures(line) {
            out.push((c[1].to_owned(), c[3].parse().unwrap(), 0));
        } else if let Some(c) = checkout.captures(line) {
            let n: u64 = c.get(2).map_or(1, |n| n.as_str().parse().unwrap());
            out.last_mut().unwrap().2 += n;
        }
    }
    out
}

#[tokio::test]
async fn every_features_lines_add_up_to_its_licenses_in_use() {
    let d = sharing_daemon().await;
    let out = lmstat(&d, &["-a"]);
    let parsed = parse_as_exporters_do(&out);
    let expected = [
        ("CITRIX", 2),
        ("CTXLSDIAG", 0),
        ("XDT_ADV_CCU", 2),
        ("XDT_PLT_CCS", 2),
        ("XDT_PLT_DEV", 1),
        ("XDT_PLT_SKT", 4),
        ("XDT_PLT_SRV", 1),
        ("XDT_PLT_UD", 3),
        ("XDT_PLT_USR", 1),
    ];
    let in_use: Vec<(&str, u64)> = parsed.iter().map(|(f, u, _)| (f.as_str(), *u)).collect();
    assert_eq!(in_use, expected, "{out}");
    for (feature, in_use, lines) in &parsed {
        assert_eq!(lines, in_use, "{feature}: lines vs in use\n{out}");
    }
    // The start-up license's handles are not checkout handles.
    let handle = regex::Regex::new(r"/\d+ (\d+)\), start ").unwrap();
    let handles: Vec<&str> = handle
        .captures_iter(&out)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    let distinct: std::collections::BTreeSet<&&str> = handles.iter().collect();
    assert_eq!(distinct.len(), handles.len(), "{out}");
    // The lease that outlived its session has its line.
    assert!(out.contains("    dave dave dave (v2026.1201) ("), "{out}");

    // JSON keeps every checkout, with its holder and whether it shares.
    let json = lmutil(["lmstat", "-c", d.socket.to_str().unwrap(), "-a", "--json"])
        .succeeds()
        .json();
    let checkouts = json["checkouts"].as_array().unwrap();
    assert_eq!(checkouts.len(), 19, "every checkout, shared or not");
    let of = |feature: &str| -> Vec<&serde_json::Value> {
        checkouts
            .iter()
            .filter(|c| c["feature"] == feature)
            .collect()
    };
    let shared = |feature: &str| -> Vec<bool> {
        of(feature)
            .iter()
            .map(|c| c["shared"].as_bool().unwrap())
            .collect()
    };
    assert_eq!(shared("XDT_PLT_CCS"), [false, true, true, false]);
    assert_eq!(shared("XDT_ADV_CCU"), [false, false]);
    assert_eq!(shared("XDT_PLT_UD"), [false, true, false, true, true]);
    assert_eq!(shared("XDT_PLT_SKT"), [false, true]);
    assert_eq!(of("XDT_PLT_SKT")[0]["licenses"], 4);
    let held_by: Vec<(String, String)> = of("XDT_PLT_UD")
        .iter()
        .map(|c| {
            let h = &c["held_by"];
            (
                h["type"].as_str().unwrap().to_owned(),
                h["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // Named as first sent, as `assignments` names them.
    let device = ("device".to_owned(), "Desk 1".to_owned());
    let carol = ("user".to_owned(), "carol".to_owned());
    assert_eq!(
        held_by,
        [device.clone(), device, carol.clone(), carol.clone(), carol]
    );
    assert!(of("XDT_PLT_CCS")[0]["held_by"].is_null());
    // The start-up license counted alike: one per product session.
    let citrix = pool_of(&json, "CITRIX");
    assert_eq!(citrix["in_use"], 2);
    assert_eq!(json["sessions"].as_array().unwrap().len(), 2);
}

/// Issued is the purchased count, as FlexNet and the Citrix License
/// Server print it; the overdraft is not added in.
#[tokio::test]
async fn issued_is_the_purchased_count_without_overdraft() {
    let d = sharing_daemon().await;
    let out = lmstat(&d, &["-f", "XDT_PLT_UD"]);
    assert!(
        out.contains(
            "Users of XDT_PLT_UD:  (Total of 10 licenses issued;  Total of 3 licenses in use)"
        ),
        "{out}"
    );
    let json = lmutil(["lmstat", "-c", d.socket.to_str().unwrap(), "-a", "--json"])
        .succeeds()
        .json();
    let ud = pool_of(&json, "XDT_PLT_UD");
    assert_eq!(
        (ud["purchased"].as_u64(), ud["installed"].as_u64()),
        (Some(10), Some(11))
    );
}

/// The debug log: an `OUT:`/`IN:` pair for each product session's
/// start-up license, and the features served listed once each.
#[tokio::test]
async fn the_log_shows_start_up_licenses_and_each_served_feature_once() {
    let root = TestDaemon::root();
    License::new()
        .use_server()
        .increment("XDT_PLT_UD", 5)
        .version("2025.0601")
        .increment("XDT_PLT_UD", 5)
        .increment("XDT_STD_CCU", 2)
        .expiry("01-jan-2020")
        .increment("XDT_ADV_CCU", 2)
        .install(root.path(), "a.lic");
    let d = TestDaemon::start(root);
    let p = product_on(&d, "ddc7.example.com").await;
    p.end().await.unwrap();
    let log = d.debug_log();
    let started = log
        .lines()
        .find(|l| l.contains("Server started on"))
        .unwrap();
    let features = started.split_once("for:\t").unwrap().1;
    assert_eq!(features, "XDT_ADV_CCU XDT_PLT_UD", "{started}");
    let out = log
        .lines()
        .filter(|l| l.ends_with("(CITRIX) OUT: \"CITRIX\" ddc7.example.com@ddc7.example.com  "))
        .count();
    let back = log
        .lines()
        .filter(|l| l.ends_with("(CITRIX) IN: \"CITRIX\" ddc7.example.com@ddc7.example.com  "))
        .count();
    assert_eq!((out, back), (1, 1), "{log}");
}

/// `lmstat -i` asks the server given `-c port@host`, and its columns never
/// run together: the exporters' pattern reads every row.
#[tokio::test]
async fn lmstat_i_asks_the_server_and_its_rows_parse() {
    let d = sharing_daemon().await;
    let server = format!("{}@127.0.0.1", d.lm_port);
    let out = lmutil(["lmstat", "-i", "-c", &server]).succeeds().stdout();
    let row = regex::Regex::new(r"^(\S+)\s+([\d.]+)\s+(\d+)\s+([\w\-]+)\s+(\w+)$").unwrap();
    let rows: Vec<(String, String)> = out
        .lines()
        .skip(6)
        .map(|l| {
            let c = row.captures(l).unwrap_or_else(|| panic!("{l:?}\n{out}"));
            (c[1].to_owned(), c[4].to_owned())
        })
        .collect();
    assert!(
        rows.contains(&("XDT_PLT_CCS".to_owned(), "01-jan-0000".to_owned())),
        "{out}"
    );
    assert!(
        rows.contains(&("CITRIX".to_owned(), "01-jan-0000".to_owned())),
        "{out}"
    );
    assert_eq!(rows.len(), 9, "{out}");
    let one = lmutil(["lmstat", "-i", "XDT_PLT_UD", "-c", &server])
        .succeeds()
        .stdout();
    assert_eq!(one.lines().skip(6).count(), 1, "{one}");
    assert!(
        one.lines().nth(6).unwrap().starts_with("XDT_PLT_UD "),
        "{one}"
    );
}

/// The pool of `feature` in `lmstat --json`'s answer.
fn pool_of<'a>(json: &'a serde_json::Value, feature: &str) -> &'a serde_json::Value {
    json["pools"]
        .as_array()
        .expect("pools")
        .iter()
        .find(|p| p["feature"] == feature)
        .unwrap_or_else(|| panic!("no pool of {feature}"))
}
