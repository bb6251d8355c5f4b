//! How small and how fast the usage history stays: a year of a thousand
//! pools at 15-minute samples written into `history.db` as lmgrd's
//! recorder writes it (a period at a time, retention once a day, days kept
//! for the year), then the
//! file's size and the time of a year's `lmhistory` for one feature and
//! for all. Figures in docs/history.md and docs/performance.md.
//!
//!     cargo bench --bench history [-- DAYS [POOLS]]
//!
//! Writing a sample costs what SQLite costs (three statements), so a year
//! of 35 million takes an hour on a loaded machine: with DAYS under a
//! year, the days written are copied back in time until a year of days
//! is there, so that the size and the query are a year's.

use std::path::Path;
use std::time::Instant;

use lmutil::history::PoolSample;
use lmutil::history::db::{FILE_NAME, HistoryDb, SAMPLE_RETENTION, read};
use lmutil::license::pool::{PoolKey, VersionKey};
use lmutil::license::{Expiry, Version};
use lmutil::protocol::history::HistoryQuery;

const DAY: i64 = 86_400;
const PERIOD: i64 = 900;
/// The days a year's `lmhistory` reads.
const YEAR: i64 = 365;

/// The pools: two css dates of each of POOLS / 2 features.
fn keys(pools: usize) -> Vec<PoolKey> {
    (0..pools)
        .map(|i| PoolKey {
            feature: format!("XDT_F{:03}_CCU", i / 2),
            version: VersionKey(Version::parse(["2025.0101", "2026.0101"][i % 2]).unwrap()),
            expiry: Expiry::Permanent,
            license_type: Some("Retail".into()),
            vendor_string: Some(";LT=Retail".into()),
        })
        .collect()
}

/// The database and its write-ahead log, in bytes, after a checkpoint.
fn size(path: &Path) -> u64 {
    if let Ok(c) = rusqlite::Connection::open(path) {
        let _ = c.pragma_update(None, "wal_checkpoint", "TRUNCATE");
    }
    ["", "-wal"]
        .iter()
        .map(|s| std::fs::metadata(format!("{}{s}", path.display())).map_or(0, |m| m.len()))
        .sum()
}

/// Copies the `days` days of day rows back in time until `year` days are
/// there: the rows added.
fn fill_days(path: &Path, days: i64, year: i64) -> usize {
    let Ok(c) = rusqlite::Connection::open(path) else {
        return 0;
    };
    let mut added = 0;
    let mut offset = days;
    while offset < year {
        let copy = "INSERT OR IGNORE INTO days SELECT pool, day - ?1, peak, minimum, installed, \
             overdraft_peak, denials, use_seconds, seconds FROM days WHERE day >= ?2 AND day < ?3";
        let first = 20_000;
        let take = days.min(year - offset);
        added += c
            .execute(copy, rusqlite::params![offset, first, first + take])
            .unwrap_or(0);
        offset += days;
    }
    added
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let days: i64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(365);
    let pools: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let mut db = HistoryDb::open(&path).unwrap();
    let keys = keys(pools);
    // Days kept for a year: a year's lmhistory reads a year.
    let retention = (days.max(YEAR) + 1) * DAY;
    let start = 20_000 * DAY;
    let t = Instant::now();
    let mut at_month = None;
    for k in 0..days * DAY / PERIOD {
        let at = start + k * PERIOD;
        let samples: Vec<PoolSample> = keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let in_use = (k as u64 * 7 + i as u64 * 13) % 50;
                PoolSample {
                    pool: key.clone(),
                    start: at,
                    seconds: PERIOD,
                    in_use,
                    peak: in_use + k as u64 % 3,
                    installed: 55,
                    overdraft_in_use: in_use.saturating_sub(50),
                    overdraft_peak: (in_use + k as u64 % 3).saturating_sub(50),
                    denials: k as u64 % 2,
                    denials_by_reason: [(-4, k as u64 % 2)]
                        .into_iter()
                        .filter(|(_, n)| *n > 0)
                        .collect(),
                }
            })
            .collect();
        db.write(&samples, at + PERIOD).unwrap();
        db.enforce_retention(at + PERIOD, retention, false).unwrap();
        if at_month.is_none() && k == SAMPLE_RETENTION / PERIOD {
            at_month = Some((size(&path), t.elapsed()));
        }
    }
    let wrote = t.elapsed();
    drop(db);
    let written = size(&path);
    let filled = fill_days(&path, days, YEAR);
    let bytes = size(&path);
    let in_force = (PERIOD, retention);
    let time = |q: HistoryQuery| {
        let t = Instant::now();
        let h = read(&path, &q, in_force).unwrap();
        (t.elapsed(), h.days.len(), h.samples.len())
    };
    let one = HistoryQuery {
        feature: Some("XDT_F007_CCU".into()),
        ..HistoryQuery::default()
    };
    let (one_took, one_rows, _) = time(one.clone());
    let (all_took, all_rows, _) = time(HistoryQuery::default());
    let (samples_took, _, samples) = time(HistoryQuery {
        samples: true,
        ..one
    });
    println!(
        "{days} days of {pools} pools at {PERIOD} s: {} periods written in {wrote:.1?} \
         ({:.2} ms a period)",
        days * DAY / PERIOD,
        wrote.as_secs_f64() * 1e3 / (days * DAY / PERIOD) as f64
    );
    if let Some((month, took)) = at_month {
        println!(
            "after {} days (every sample still kept): {:.1} MiB, written in {took:.1?}",
            SAMPLE_RETENTION / DAY,
            mib(month)
        );
    }
    println!(
        "at the end (days for {days} days, samples for {} days): {:.1} MiB",
        SAMPLE_RETENTION / DAY,
        mib(written)
    );
    if filled > 0 {
        println!(
            "with the days copied back to a year ({filled} day rows added): {:.1} MiB",
            mib(bytes)
        );
    }
    println!(
        "lmhistory: one feature {one_took:.1?} ({one_rows} days), with its samples \
         {samples_took:.1?} ({samples} samples); every pool {all_took:.1?} ({all_rows} days)"
    );
}
