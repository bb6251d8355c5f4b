//! The store's fixture databases, `tests/store_fixtures/vN.db`: for each
//! schema version the store has written, a small database written by the
//! code of that version (JSON rows at version 1; binary grants and checkins
//! beside JSON rows at version 2), recording the history of
//! `store_fixtures/scenario.rs` (the README there says how each was made). Recovery must keep reading every one of
//! them to the same state, and lmgrd started on one must answer `status`
//! with it: a change to `engine::Event` or to the store that would misread
//! a database already on a customer's disk fails here.
//!
//! Fixtures are never rewritten. Each test reads a copy in a temporary
//! directory (opening a database can migrate it).

mod scenario;

use std::path::{Path, PathBuf};

use lmutil::engine::state::BurstState;
use lmutil::engine::{Engine, PoolSpec, Snapshot, Time};
use lmutil::protocol::status::{Burst, Status};
use lmutil::store::Store;
use rusqlite::Connection;

use crate::common::{License, TestDaemon, repo_path};
use scenario::{END, T0, T1};

/// The fixtures, the history they record, their key pair and README.
const FIXTURES: &str = "tests/store_fixtures";

/// The schema versions that have a fixture and the tests below.
const TESTED: [i64; 2] = [1, 2];

/// The fixture of schema version `version`.
fn fixture(version: i64) -> PathBuf {
    repo_path(&format!("{FIXTURES}/v{version}.db"))
}

/// A copy of the fixture of `version` as `dir/state.db`, where lmgrd keeps it.
fn copy_of(version: i64, dir: &Path) -> PathBuf {
    let path = dir.join("state.db");
    std::fs::copy(fixture(version), &path).unwrap();
    path
}

/// The licenses installed throughout.
fn kept() -> License {
    License::new()
        .any_host()
        .increment("XDT_PLT_UD", 2)
        .vendor_string(";LT=Retail")
        .increment("XDT_ENT_CCU", 3)
        .expiry("31-dec-2100")
        .dup_group("V")
        .increment("XDT_STD_USR", 1)
        .vendor_string(";LT=Retail")
        .increment("XDT_STD_DEV", 1)
        .vendor_string(";LT=Retail")
        .increment("MPS_ENT_SKT", 4)
        .vendor_string(";LT=Retail")
        .increment("XDT_ADV_NU", 5)
        .increment("CBR_100_SSERVER", 2)
}

/// The license files before the reread: `gone.lic` is then removed while
/// one of its licenses is checked out.
fn first_licenses() -> Vec<(&'static str, License)> {
    let gone = License::new().any_host().increment("XDT_ADV_CCS", 2);
    vec![("kept.lic", kept()), ("gone.lic", gone)]
}

/// The license files after it: `added.lic` is a new retail license of a
/// feature in burst mode.
fn final_licenses() -> Vec<(&'static str, License)> {
    let added = License::new()
        .any_host()
        .increment("XDT_STD_USR", 2)
        .vendor_string(";LT=Retail");
    vec![("kept.lic", kept()), ("added.lic", added)]
}

/// Writes `files` into `root/licenses`, signed with the fixtures' key, and
/// trusts its public key. The SERVER lines name any host, so the files and
/// their signatures (the pools' line identities) are the same on every
/// machine: a reread finds no new license where the fixture had none.
fn install(root: &Path, files: &[(&str, License)]) {
    std::fs::create_dir_all(root.join("keys")).unwrap();
    let public = repo_path(&format!("{FIXTURES}/vendor.pub"));
    std::fs::copy(public, root.join("keys/store-fixtures.pub")).unwrap();
    let key = repo_path(&format!("{FIXTURES}/vendor.key"));
    for (name, license) in files {
        license.install_signed_by(root, name, &key);
    }
}

/// The pools lmgrd makes of `files`, every line served.
fn pools(files: &[(&str, License)]) -> Vec<PoolSpec> {
    use lmutil::license::{HostIdentity, Keyring, inventory, load::load_dir};
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("licenses")).unwrap();
    install(root.path(), files);
    let (loaded, skipped) = load_dir(&root.path().join("licenses")).unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    let keys = Keyring::load_dir(&root.path().join("keys")).unwrap();
    let host = HostIdentity::current().unwrap();
    let day = lmutil::engine::types::day_of(T0);
    let inv = inventory(&loaded, "CITRIX", &host, &keys, day);
    for line in &inv.lines {
        assert!(line.status.reason().is_none(), "{line:?}");
    }
    PoolSpec::from_inventory(&inv)
}

/// The state the history leaves, as both the engine and `status` show it.
#[derive(Debug, PartialEq)]
struct Seen {
    /// `(pool, purchased, in use, removed, burst)`.
    pools: Vec<(String, u64, u64, bool, String)>,
    /// `(session, host, started, last seen, lapsed at, checkouts)`.
    sessions: Vec<(u64, String, Time, Time, Option<Time>, usize)>,
    /// `(handle, session, "feature user device host", display, count, at, pool)`.
    checkouts: Vec<(u64, u64, String, String, u32, Time, String)>,
    /// `feature kind name version last-use`, sorted.
    assignments: Vec<String>,
    /// `feature user device version open last-use`, sorted.
    connections: Vec<String>,
}

/// A pool as [`Seen`] shows it: `feature version expiry [vendor string]`.
fn pool_key(feature: &str, version: &str, expiry: &str, vendor_string: Option<&str>) -> String {
    let key = format!("{feature} {version} {expiry}");
    vendor_string.map_or(key.clone(), |vs| format!("{key} {vs}"))
}

fn active(since: Time) -> String {
    format!("active since {since}")
}

fn sorted(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = items.into_iter().collect();
    v.sort();
    v
}

/// A [`Seen`] of the engine's [`Snapshot`] or the protocol's [`Status`]:
/// their fields have the same names; `key` and `burst` read the pool key
/// and burst state of either.
macro_rules! seen {
    ($s:expr, $key:expr, $burst:expr) => {{
        let (s, key, burst) = ($s.clone(), $key, $burst);
        Seen {
            pools: (s.pools.into_iter())
                .map(|p| {
                    let (purchased, in_use) = (p.purchased, p.in_use);
                    (key(&p.key), purchased, in_use, p.removed, burst(p.burst))
                })
                .collect(),
            sessions: (s.sessions.into_iter())
                .map(|x| {
                    let (id, lapsed, n) = (x.session, x.lapsed_at, x.checkouts);
                    (id, x.host, x.started, x.last_seen, lapsed, n)
                })
                .collect(),
            checkouts: (s.checkouts.into_iter())
                .map(|c| {
                    let who = format!("{} {} {} {}", c.feature, c.user, c.device, c.host);
                    let pool = key(&c.pool);
                    (c.handle, c.session, who, c.display, c.count, c.at, pool)
                })
                .collect(),
            assignments: sorted(s.assignments.into_iter().map(|a| {
                let kind = format!("{:?}", a.kind).to_lowercase();
                let (f, n, v) = (a.feature, a.name, a.version);
                format!("{f} {kind} {n} {v} {}", a.last_use)
            })),
            connections: sorted(s.connections.into_iter().map(|c| {
                let (f, u, d, v) = (c.feature, c.user, c.device, c.version);
                format!("{f} {u} {d} {v} {} {}", c.open, c.last_use)
            })),
        }
    }};
}

impl Seen {
    /// What the recovered engine shows.
    fn of_engine(s: &Snapshot) -> Seen {
        let key = |k: &lmutil::license::pool::PoolKey| {
            let (version, expiry) = (k.version.0.as_str(), k.expiry.iso());
            pool_key(&k.feature, version, &expiry, k.vendor_string.as_deref())
        };
        let burst = |b: BurstState| match b {
            BurstState::Armed => "armed".to_owned(),
            BurstState::Active { started } => active(started),
            BurstState::Spent => "spent".to_owned(),
        };
        seen!(s, key, burst)
    }

    /// What lmgrd answers to `status`.
    fn of_status(s: &Status) -> Seen {
        let key = |k: &lmutil::protocol::status::PoolId| {
            let expiry = k.expiry.iso();
            pool_key(&k.feature, &k.version, &expiry, k.vendor_string.as_deref())
        };
        let burst = |b: Burst| match b {
            Burst::Armed => "armed".to_owned(),
            Burst::Active { started } => active(started),
            Burst::Spent => "spent".to_owned(),
        };
        seen!(s, key, burst)
    }
}

/// Seconds in a day.
const DAY: Time = 86_400;

/// The state the history leaves, worked out from `scenario.rs` by hand.
fn expected() -> Seen {
    let v = "2026.1201";
    let retail = |f: &str| pool_key(f, v, "permanent", Some(";LT=Retail"));
    let plain = |f: &str| pool_key(f, v, "permanent", None);
    let built_in = |f: &str| pool_key(f, "9999.1231", "permanent", Some(";LT=SYS"));
    let (armed, spent) = ("armed".to_owned(), "spent".to_owned());
    let ccu = pool_key("XDT_ENT_CCU", v, "2100-12-31", None);
    let pools = vec![
        (plain("CBR_100_SSERVER"), 2, 2, false, armed.clone()),
        // The start-up licenses of product sessions 2, 4 and 5, and ctx's
        // checkout of CITRIX.
        (built_in("CITRIX"), 10_000, 4, false, armed.clone()),
        (built_in("CTXLSDIAG"), 10_000, 1, false, armed.clone()),
        // Per socket: xa2's 2 sockets and xa4's 2 (the most of its two
        // checkouts); the burst period ran out.
        (retail("MPS_ENT_SKT"), 4, 4, false, spent.clone()),
        // Removed by the reread while Olga's checkout held it.
        (plain("XDT_ADV_CCS"), 0, 1, true, armed.clone()),
        (plain("XDT_ADV_NU"), 5, 1, false, armed.clone()),
        // Erin's two sessions from e1 share one license (DUP_GROUP=V).
        (ccu, 3, 2, false, armed.clone()),
        // The cover {alice, bob, d3} of five connections, past the 2 installed.
        (retail("XDT_PLT_UD"), 2, 3, false, active(T1 + 40)),
        // Burst mode was disabled while active.
        (retail("XDT_STD_DEV"), 1, 1, false, spent),
        // Re-armed by the added license (1 + 2 purchased): amy and ben.
        (retail("XDT_STD_USR"), 3, 2, false, armed),
    ];
    let pool_of = |feature: &str| {
        let (key, ..) = pools
            .iter()
            .find(|p| p.0.starts_with(&format!("{feature} ")))
            .unwrap();
        key.clone()
    };
    // User/device checkouts show their holders as first sent: MYCO\Alice
    // and D1, whatever each sent.
    let checkouts = [
        (4, 2, "XDT_ADV_CCS MYCO\\Olga D5 xa2", "", 1, T0 + 110),
        (5, 2, "MPS_ENT_SKT sam s1 xa2", "", 2, T0 + 120),
        (10, 4, "XDT_PLT_UD MYCO\\Alice D1 xa4", "", 1, T1 + 10),
        (11, 4, "XDT_PLT_UD MYCO\\Alice d2 xa4", "", 1, T1 + 20),
        (12, 4, "XDT_PLT_UD bob D1 xa4", "", 1, T1 + 30),
        (13, 4, "XDT_PLT_UD carol d3 xa4", "", 1, T1 + 40),
        (14, 4, "XDT_PLT_UD dan d3 xa4", "", 1, T1 + 45),
        (15, 4, "XDT_ENT_CCU erin e1 xa4", "", 1, T1 + 60),
        (16, 5, "XDT_ENT_CCU erin e1 xa5", "", 1, T1 + 70),
        (17, 5, "XDT_ENT_CCU fred f1 xa5", "f1:0", 1, T1 + 80),
        (18, 4, "CBR_100_SSERVER svc x4 xa4", "", 1, T1 + 90),
        (19, 5, "CBR_100_SSERVER svc x5 xa5", "", 1, T1 + 100),
        (20, 4, "MPS_ENT_SKT sam s3 xa4", "", 2, T1 + 110),
        (21, 4, "MPS_ENT_SKT sam s3 xa4", "", 1, T1 + 120),
        (22, 4, "CITRIX ctx x4 xa4", "", 1, T1 + 130),
        (23, 5, "CTXLSDIAG diag x5 xa5", "", 1, T1 + 140),
        (24, 4, "XDT_STD_USR amy a2 xa4", "", 1, T1 + 150),
        (25, 4, "XDT_STD_DEV kim k3 xa4", "", 1, T1 + 160),
        (26, 5, "XDT_ADV_NU Nina n2 xa5", "", 1, T1 + 170),
    ];
    let checkouts = (checkouts.into_iter())
        .map(|(h, s, who, display, count, at)| {
            let pool = pool_of(who.split(' ').next().unwrap());
            (h, s, who.to_owned(), display.to_owned(), count, at, pool)
        })
        .collect();
    let day18 = T0 + 18 * DAY;
    Seen {
        sessions: vec![
            (2, "xa2".into(), T0 + 100, T0 + 91 * DAY, None, 2),
            (4, "xa4".into(), T1, T1, None, 12),
            (5, "xa5".into(), T1 + 50, T1 + 50, Some(T1 + 180), 5),
        ],
        pools,
        checkouts,
        assignments: sorted([
            format!("XDT_ADV_NU user Nina {v} {}", T1 + 170),
            format!("XDT_PLT_UD user MYCO\\Alice {v} {}", T1 + 20),
            format!("XDT_PLT_UD user bob {v} {}", T1 + 30),
            format!("XDT_PLT_UD device d3 {v} {}", T1 + 45),
            format!("XDT_STD_DEV device k3 {v} {}", T1 + 160),
            format!("XDT_STD_USR user amy {v} {}", T1 + 150),
            format!("XDT_STD_USR user ben {v} {day18}"),
        ]),
        connections: sorted([
            format!("XDT_ADV_NU Nina n2 {v} 1 {}", T1 + 170),
            format!("XDT_PLT_UD MYCO\\Alice D1 {v} 1 {}", T1 + 10),
            format!("XDT_PLT_UD MYCO\\Alice d2 {v} 1 {}", T1 + 20),
            format!("XDT_PLT_UD bob D1 {v} 1 {}", T1 + 30),
            format!("XDT_PLT_UD carol d3 {v} 1 {}", T1 + 40),
            format!("XDT_PLT_UD dan d3 {v} 1 {}", T1 + 45),
            format!("XDT_STD_DEV kim k3 {v} 1 {}", T1 + 160),
            format!("XDT_STD_USR amy a1 {v} 0 {day18}"),
            format!("XDT_STD_USR amy a2 {v} 1 {}", T1 + 150),
            format!("XDT_STD_USR ben b1 {v} 0 {day18}"),
        ]),
    }
}

/// The accounts given a role, as `(name, role)`.
fn expected_accounts() -> Vec<(String, String)> {
    [
        ("LIC\\admin1", "admin"),
        ("lic-admins", "adminGroup"),
        ("viewer", "user"),
        ("viewers", "userGroup"),
    ]
    .map(|(n, r)| (n.to_owned(), r.to_owned()))
    .to_vec()
}

#[track_caller]
fn assert_seen(seen: Seen) {
    let want = expected();
    assert_eq!(seen.pools, want.pools);
    assert_eq!(seen.sessions, want.sessions);
    assert_eq!(seen.checkouts, want.checkouts);
    assert_eq!(seen.assignments, want.assignments);
    assert_eq!(seen.connections, want.connections);
}

/// The schema version of the database at `path` and the SQLite type of
/// each row's body, in order.
fn schema_and_rows(path: &Path) -> (i64, Vec<String>) {
    let conn = Connection::open(path).unwrap();
    let version = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT typeof(body) FROM events ORDER BY seq")
        .unwrap();
    let kinds = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (version, kinds)
}

/// Recovers the engine from a copy of the fixture of `version`, as lmgrd
/// does at start, and checks the state against [`expected`].
fn recovers_the_recorded_state(version: i64) {
    let dir = tempfile::tempdir().unwrap();
    let path = copy_of(version, dir.path());
    let (_, rows) = schema_and_rows(&path);
    let store = Store::open(&path).unwrap();
    let recovered = lmutil::server::owner::recover(&store).unwrap();
    assert_eq!(recovered.events, rows.len() as u64, "every row is replayed");
    let engine: Engine = recovered.engine;
    assert_seen(Seen::of_engine(&engine.snapshot(END)));
    let accounts: Vec<(String, String)> = (engine.accounts().iter())
        .map(|(name, role)| (name.clone(), role.as_str().to_owned()))
        .collect();
    assert_eq!(accounts, expected_accounts());
    assert_eq!(*engine.settings(), scenario::settings());
    assert_eq!(
        *engine.options(),
        lmutil::options::parse(scenario::OPTIONS).options
    );
}

/// Starts lmgrd on a copy of the fixture of `version`, with the license
/// files and options file of the history's end, and checks that `status`
/// and the accounts answer the recorded state.
async fn lmgrd_serves_the_recorded_state(version: i64) {
    use lmutil::protocol::{Request, Response};
    let root = TestDaemon::root();
    install(root.path(), &final_licenses());
    let options = root.path().join("licenses/CITRIX.opt");
    std::fs::write(options, scenario::OPTIONS).unwrap();
    let (_, rows) = schema_and_rows(&copy_of(version, &root.path().join("data")));
    let d = TestDaemon::start(root);
    assert_seen(Seen::of_status(&d.status().await));
    let mut c = lmutil::client::Connection::unix(&d.socket).await.unwrap();
    let Response::Accounts { accounts } = c.request(Request::Accounts).await.unwrap() else {
        panic!("no accounts");
    };
    let given: Vec<(String, String)> = (accounts.into_iter())
        .filter(|a| !a.built_in)
        .map(|a| (a.name, a.role))
        .collect();
    assert_eq!(given, expected_accounts());
    let recovered = format!("State recovered: {} events", rows.len());
    assert!(d.debug_log().contains(&recovered), "{}", d.debug_log());
}

/// Version 1 wrote every event as a JSON text row.
#[test]
fn the_version_1_fixture_recovers_to_the_recorded_state() {
    let (version, rows) = schema_and_rows(&copy_of(1, tempfile::tempdir().unwrap().path()));
    assert_eq!(version, 1);
    assert!(rows.iter().all(|r| r == "text"), "{rows:?}");
    recovers_the_recorded_state(1);
}

/// Version 2 writes grants and checkins as binary rows, the rest as JSON.
#[test]
fn the_version_2_fixture_recovers_to_the_recorded_state() {
    use lmutil::engine::Event;
    let dir = tempfile::tempdir().unwrap();
    let path = copy_of(2, dir.path());
    let (version, rows) = schema_and_rows(&path);
    assert_eq!(version, 2);
    let events = Store::open(&path).unwrap().events().unwrap();
    assert_eq!(events.len(), rows.len());
    for (e, row) in events.iter().zip(&rows) {
        let binary = matches!(e, Event::Granted(_) | Event::CheckedIn { .. });
        assert_eq!(row, if binary { "blob" } else { "text" }, "{e:?}");
    }
    recovers_the_recorded_state(2);
}

#[tokio::test]
async fn lmgrd_started_on_the_version_1_fixture_serves_the_recorded_state() {
    lmgrd_serves_the_recorded_state(1).await;
}

#[tokio::test]
async fn lmgrd_started_on_the_version_2_fixture_serves_the_recorded_state() {
    lmgrd_serves_the_recorded_state(2).await;
}

/// Every fixture reads back to the same events, event for event: one
/// history, in whatever form each version wrote it.
#[test]
fn every_fixture_reads_back_to_the_same_events() {
    let events = |version| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&copy_of(version, dir.path())).unwrap();
        store.events().unwrap()
    };
    let first = events(TESTED[0]);
    for version in &TESTED[1..] {
        assert_eq!(events(*version), first, "v{version}.db against v1.db");
    }
}

/// The schema version the store writes today: that of a new database.
fn current_schema_version() -> i64 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    drop(Store::open(&path).unwrap());
    schema_and_rows(&path).0
}

/// A new schema version needs its fixture (and its tests, listed in
/// [`TESTED`]) before it ships: see "Fixtures of the state database" in
/// docs/reliability.md.
#[test]
fn every_schema_version_the_store_has_written_has_a_tested_fixture() {
    let current = current_schema_version();
    let on_disk: Vec<i64> = std::fs::read_dir(repo_path(FIXTURES))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_prefix('v')?.strip_suffix(".db")?.parse().ok()
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let every: Vec<i64> = (1..=current).collect();
    assert_eq!(
        on_disk, every,
        "fixtures in {FIXTURES} for schema versions 1 to {current}"
    );
    assert_eq!(TESTED.to_vec(), every, "a test for each fixture");
    for version in every {
        let dir = tempfile::tempdir().unwrap();
        let (written, _) = schema_and_rows(&copy_of(version, dir.path()));
        assert_eq!(
            written, version,
            "v{version}.db is a database of that version"
        );
    }
}

/// Writes the fixture of the schema version the store writes today, by
/// playing the history on the engine and appending its events with the
/// store, one batch a request. It refuses to overwrite a fixture: each
/// pins what a released lmgrd wrote, and is made once, when its version
/// is new (docs/reliability.md).
#[test]
#[ignore = "writes tests/store_fixtures/vN.db for a new schema version N; run it once, by hand"]
fn write_the_fixture_of_the_current_schema_version() {
    let path = fixture(current_schema_version());
    assert!(
        !path.exists(),
        "{} exists: fixtures are never rewritten",
        path.display()
    );
    let batches = scenario::play(pools(&first_licenses()), pools(&final_licenses()));
    let dir = tempfile::tempdir().unwrap();
    let written = dir.path().join("state.db");
    let mut store = Store::open(&written).unwrap();
    for batch in &batches {
        store.append(batch).unwrap();
    }
    // The last connection to close folds the write-ahead log into the file.
    drop(store);
    assert!(!dir.path().join("state.db-wal").exists());
    std::fs::copy(&written, &path).unwrap();
}
