//! The usage history against a real lmgrd: a sampling period's sample
//! holds the exact peak within it and the use at its end, the CSV export
//! is the JSON's rows, a crash loses no period's sample, and retention
//! removes what is older than it, at once when it is shortened.
//!
//! The daemon samples on its wall clock: the tests set a period of a few
//! seconds and wait for its sample to be written (asking the server, not
//! sleeping a guessed time).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lmutil::client::{CheckoutArgs, Connection, ProductSession};
use lmutil::protocol::history::{History, HistoryQuery, SampleUsage};
use lmutil::protocol::{Request, Response};

use crate::common::{License, TestDaemon};

/// The sampling period the tests set, in seconds.
const PERIOD: i64 = 2;

fn daemon_in(root: tempfile::TempDir) -> TestDaemon {
    License::new()
        .increment("XDT_PLT_CCU", 10)
        .vendor_string(";LT=Retail")
        .install(root.path(), "ccu.lic");
    let d = TestDaemon::start(root);
    d.lmutil(
        "lmsettings",
        &["-set", &format!("history_sample_period={PERIOD}s")],
    )
    .succeeds();
    d
}

fn wall() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn device(name: &str) -> CheckoutArgs<'_> {
    CheckoutArgs {
        feature: "XDT_PLT_CCU",
        version: "2026.0101",
        user: name,
        device: name,
        display: name,
        count: 1,
    }
}

async fn history(d: &TestDaemon, query: HistoryQuery) -> History {
    let mut c = Connection::unix(&d.socket).await.unwrap();
    match c.request(Request::History(query)).await.unwrap() {
        Response::History(h) => *h,
        other => panic!("{other:?}"),
    }
}

/// The CCU pool's samples, once the one of the period starting at `start`
/// is written (within 20 seconds).
async fn samples_through(d: &TestDaemon, start: i64) -> Vec<SampleUsage> {
    let query = HistoryQuery {
        feature: Some("XDT_PLT_CCU".into()),
        samples: true,
        ..HistoryQuery::default()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let h = history(d, query.clone()).await;
        if h.samples.iter().any(|s| s.start == start) {
            return h.samples;
        }
        assert!(Instant::now() < deadline, "no sample of {start}: {h:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks out five devices and checks four back in; the periods the first
/// and the last change fell in.
async fn five_then_one(d: &TestDaemon) -> (ProductSession, (i64, i64)) {
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
    let first = wall().div_euclid(PERIOD);
    let mut handles = Vec::new();
    for i in 0..5 {
        handles.push(p.checkout(device(&format!("pc{i}"))).await.unwrap());
    }
    for h in &handles[1..] {
        p.checkin(*h).await.unwrap();
    }
    let last = wall().div_euclid(PERIOD);
    (p, (first, last))
}

/// The sample of the period the changes ended in holds their peak: five,
/// whatever was in use at its end (one). Should the changes straddle two
/// periods, the peak of five is in the first and the end of one in the last.
fn assert_five_then_one(samples: &[SampleUsage], (first, last): (i64, i64)) {
    let of = |k: i64| {
        samples
            .iter()
            .find(|s| s.start == k * PERIOD)
            .unwrap_or_else(|| panic!("no sample of period {k}: {samples:?}"))
    };
    let end = of(last);
    assert_eq!(end.in_use, 1, "{end:?}");
    let peak = (first..=last).map(|k| of(k).peak).max();
    assert_eq!(peak, Some(5), "{samples:?}");
    if first == last {
        assert_eq!((end.peak, end.in_use, end.installed), (5, 1, 10), "{end:?}");
    }
}

/// Refused checkouts are counted in the period they fell in, and summed
/// per day by lmhistory.
#[tokio::test]
async fn refusals_are_counted_per_period_and_per_day() {
    let d = daemon_in(TestDaemon::root());
    d.lmutil("lmsettings", &["-set", "burst_mode=off"])
        .succeeds();
    let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
    let mut p = ProductSession::start(conn, "ddc1").await.unwrap();
    for i in 0..10 {
        p.checkout(device(&format!("pc{i}"))).await.unwrap();
    }
    for i in 10..13 {
        assert!(p.checkout(device(&format!("pc{i}"))).await.is_err());
    }
    let last = wall().div_euclid(PERIOD);
    let samples = samples_through(&d, last * PERIOD).await;
    let refused: u64 = samples.iter().map(|s| s.denials).sum();
    assert_eq!(refused, 3, "{samples:?}");
    let json = d
        .lmutil("lmhistory", &["-f", "XDT_PLT_CCU", "--json"])
        .succeeds()
        .json();
    let days = json["days"].as_array().unwrap();
    let per_day: u64 = days.iter().map(|d| d["denials"].as_u64().unwrap()).sum();
    assert_eq!(per_day, 3, "{json}");
}

#[tokio::test]
async fn a_sample_holds_the_exact_peak_of_its_period_and_the_csv_is_the_json_rows() {
    let d = daemon_in(TestDaemon::root());
    let (_p, periods) = five_then_one(&d).await;
    let samples = samples_through(&d, periods.1 * PERIOD).await;
    assert_five_then_one(&samples, periods);

    let json = d
        .lmutil("lmhistory", &["-f", "XDT_PLT_CCU", "--json"])
        .succeeds()
        .json();
    let days = json["days"].as_array().unwrap().clone();
    assert!(!days.is_empty(), "{json}");
    assert_eq!(json["sample_period"], PERIOD);
    assert_eq!(days[0]["peak"], 5, "{json}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("usage.csv");
    d.lmutil(
        "lmhistory",
        &["-f", "XDT_PLT_CCU", "-export", "-o", file.to_str().unwrap()],
    )
    .succeeds();
    let mut csv = csv::Reader::from_path(&file).unwrap();
    let header: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header, lmutil::history::export::CSV_HEADER);
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    // Days go on being recorded between the two runs: compare the ones
    // both have, which are all but maybe the last.
    assert!(rows.len() >= days.len().saturating_sub(1) && !rows.is_empty());
    for (row, day) in rows.iter().zip(&days) {
        let text = |k: &str| match &day[k] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        assert_eq!(&row[0], text("date"));
        assert_eq!(&row[1], text("feature"));
        assert_eq!(&row[2], text("version"));
        assert_eq!(&row[3], text("license_type"));
        assert_eq!(&row[4], text("expiry"));
        assert_eq!(&row[5], text("installed"));
        assert_eq!(&row[6], text("peak"));
        assert_eq!(&row[7], text("overdraft_peak"));
        assert_eq!(&row[9], text("minimum"));
        assert_eq!(&row[10], text("denials"));
    }

    let table = d.lmutil("lmhistory", &[]).succeeds().stdout();
    assert!(
        table.contains("XDT_PLT_CCU") && table.contains("daily peak"),
        "{table}"
    );
}

#[tokio::test]
async fn a_crash_loses_no_period_s_sample() {
    let d = daemon_in(TestDaemon::root());
    let (p, periods) = five_then_one(&d).await;
    // Killed at once: the period's sample is written later, from the
    // peaks the restarted daemon rebuilds from its events.
    drop(p);
    let root = d.kill();
    // Down until the period has ended and its sample would have been
    // written: the restarted daemon must write it from the replayed peaks
    // (one back within the period would simply go on recording it).
    let written_by = ((periods.1 + 1) * PERIOD) as f64 + 1.5;
    while seconds() < written_by {
        std::thread::sleep(Duration::from_millis(50));
    }
    let d = TestDaemon::start(root);
    let samples = samples_through(&d, periods.1 * PERIOD).await;
    assert_five_then_one(&samples, periods);
}

#[tokio::test]
async fn retention_removes_what_is_older_and_a_shorter_one_acts_at_once() {
    let root = TestDaemon::root();
    // A history written earlier: a day 400 days ago and one 3 days ago.
    let data = root.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mut db = lmutil::history::HistoryDb::open(&data.join("history.db")).unwrap();
    let day = 86_400;
    let today = wall().div_euclid(day) * day;
    let key = lmutil::license::pool::PoolKey {
        feature: "XDT_PLT_CCU".into(),
        version: lmutil::license::pool::VersionKey(
            lmutil::license::Version::parse("2026.0101").unwrap(),
        ),
        expiry: lmutil::license::Expiry::Permanent,
        license_type: Some("Retail".into()),
        vendor_string: None,
    };
    for days_ago in [400, 3] {
        let start = today - days_ago * day;
        let sample = lmutil::history::PoolSample {
            pool: key.clone(),
            start,
            seconds: 900,
            in_use: 1,
            peak: 2,
            installed: 10,
            overdraft_in_use: 0,
            overdraft_peak: 0,
            denials: 0,
        };
        db.write(&[sample], start + 900).unwrap();
    }
    drop(db);
    let d = daemon_in(root);
    let dates = |h: &History| h.days.iter().map(|x| x.date.clone()).collect::<Vec<_>>();
    let date = |days_ago: i64| {
        chrono::DateTime::from_timestamp(today - days_ago * day, 0)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string()
    };
    let old = HistoryQuery {
        to: Some(date(1)),
        ..HistoryQuery::default()
    };
    // The default 180 days: the 400-day-old one goes at start.
    let deadline = Instant::now() + Duration::from_secs(20);
    while dates(&history(&d, old.clone()).await) != [date(3)] {
        assert!(
            Instant::now() < deadline,
            "{:?}",
            history(&d, old.clone()).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    d.lmutil("lmsettings", &["-set", "history_retention=2d"])
        .succeeds();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !history(&d, old.clone()).await.days.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{:?}",
            history(&d, old.clone()).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let h = history(&d, HistoryQuery::default()).await;
    assert_eq!(h.retention_days, 2);
}

/// Where `history.db` under `root` says the history is recorded until.
fn recorded_until(root: &tempfile::TempDir) -> Option<i64> {
    let path = root.path().join("data/history.db");
    let db = lmutil::history::HistoryDb::open(&path).unwrap();
    db.recorded_until().unwrap()
}

/// A new state knows no period: a start with no event writes none (it
/// once wrote two at the beginning of time, and the next start after an
/// event then wrote ten thousand empty periods, holding every read).
#[test]
fn a_new_server_records_no_period_and_a_restart_only_what_its_events_know() {
    let d = TestDaemon::start(TestDaemon::root());
    d.lmutil("lmstat", &["-a"]).succeeds();
    let root = d.kill();
    assert_eq!(recorded_until(&root), None, "no event, no period");
    let d = TestDaemon::start(root);
    d.lmutil("lmsettings", &["-set", "burst_mode=off"])
        .succeeds();
    let d = TestDaemon::start(d.kill());
    d.lmutil("lmsettings", &["-list"]).succeeds();
    let root = d.kill();
    let until = recorded_until(&root).expect("the setting's period is written");
    let now = wall();
    assert!(
        (now - 2 * 900..=now + 900).contains(&until),
        "recorded until {until}, now {now}"
    );
}
