//! `history.db`: the usage history's own SQLite database, beside the state
//! database (WAL, synchronous=FULL, its own connections: writing it never
//! takes the state database's write lock). The schema is versioned with
//! SQLite's `user_version`, each migration run once, as the store's is.
//!
//! Tables: `pools` (each pool once, its key as JSON), `samples` (one row a
//! pool and sampling period), `days` (one row a pool and day: the sums of
//! [`DayTotals`], kept as each period is written) and `meta` (where the
//! recording got to, when retention last ran). Samples and days keep their
//! refusals' total and, since schema version 2, their counts by FlexNet
//! reason (`denial_reasons`, as [`reasons_text`] writes them: `-4:3 -21:1`);
//! rows written before hold the total alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::day::{DayTotals, date_of, day_number, day_of_date};
use super::sample::PoolSample;
use crate::engine::Time;
use crate::engine::types::DAY;
use crate::license::pool::PoolKey;
use crate::protocol::history::{
    DayUsage, History, HistoryQuery, SampleUsage, parse_reasons, reasons_text,
};
use crate::protocol::status::PoolId;

/// The most samples one answer holds.
pub const MAX_SAMPLES: usize = 200_000;

/// Samples are kept this long at most (the days for the whole retention):
/// a year of a thousand pools at 15-minute periods is 35 million samples,
/// about a gigabyte; a month of them is a tenth of that (docs/history.md).
pub const SAMPLE_RETENTION: Time = 31 * DAY;

/// Schema migrations, in order; index + 1 is the version each brings.
/// Never edit one: a database already on disk has run it.
const MIGRATIONS: &[&str] = &[V1, V2];

/// Version 1: pools, samples, days and meta.
const V1: &str = "CREATE TABLE pools (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        feature TEXT NOT NULL,
        version TEXT NOT NULL
    );
    CREATE TABLE samples (
        pool INTEGER NOT NULL,
        start INTEGER NOT NULL,
        seconds INTEGER NOT NULL,
        in_use INTEGER NOT NULL,
        peak INTEGER NOT NULL,
        installed INTEGER NOT NULL,
        overdraft_in_use INTEGER NOT NULL,
        overdraft_peak INTEGER NOT NULL,
        denials INTEGER NOT NULL,
        PRIMARY KEY (pool, start)
    ) WITHOUT ROWID;
    CREATE TABLE days (
        pool INTEGER NOT NULL,
        day INTEGER NOT NULL,
        peak INTEGER NOT NULL,
        minimum INTEGER NOT NULL,
        installed INTEGER NOT NULL,
        overdraft_peak INTEGER NOT NULL,
        denials INTEGER NOT NULL,
        use_seconds INTEGER NOT NULL,
        seconds INTEGER NOT NULL,
        PRIMARY KEY (pool, day)
    ) WITHOUT ROWID;
    CREATE TABLE meta (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    ) WITHOUT ROWID;";

/// Version 2: the refusals by FlexNet reason, beside their total (empty in
/// the rows written before).
const V2: &str = "ALTER TABLE samples ADD COLUMN denial_reasons TEXT NOT NULL DEFAULT '';
    ALTER TABLE days ADD COLUMN denial_reasons TEXT NOT NULL DEFAULT '';";

/// Errors of the history database, with its path.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("history database {path}: {source}")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "history database {path} has schema version {found}, newer than this lmgrd knows ({known})"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "history database {path} has schema version {found}; lmgrd brings it up to date \
         ({known}) when it starts"
    )]
    TooOld {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("{0}")]
    Query(String),
}

/// A connection to `history.db`.
pub struct HistoryDb {
    path: PathBuf,
    conn: Connection,
    /// Pool ids already looked up or inserted.
    ids: HashMap<PoolKey, i64>,
}

impl std::fmt::Debug for HistoryDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryDb")
            .field("path", &self.path)
            .finish()
    }
}

/// The history database's name in the data directory.
pub const FILE_NAME: &str = "history.db";

impl HistoryDb {
    /// Opens (creating if needed) the database and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, HistoryError> {
        let mut db = Self::connect(path)?;
        db.migrate()?;
        Ok(db)
    }

    /// An empty history in memory.
    fn open_memory() -> Result<Self, HistoryError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| HistoryError::Sql {
            path: path.clone(),
            source,
        })?;
        let mut db = HistoryDb {
            path,
            conn,
            ids: HashMap::new(),
        };
        db.migrate()?;
        Ok(db)
    }

    /// Opens the database as it is, for reading.
    pub fn connect(path: &Path) -> Result<Self, HistoryError> {
        let sql = |source| HistoryError::Sql {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open(path).map_err(sql)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| conn.pragma_update(None, "synchronous", "FULL"))
            .and_then(|()| conn.busy_timeout(std::time::Duration::from_secs(5)))
            .map_err(sql)?;
        Ok(HistoryDb {
            path: path.to_owned(),
            conn,
            ids: HashMap::new(),
        })
    }

    fn sql(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sql {
            path: self.path.clone(),
            source,
        }
    }

    fn migrate(&mut self) -> Result<(), HistoryError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.sql(e))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(HistoryError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        let path = self.path.clone();
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction().map_err(|e| HistoryError::Sql {
                path: path.clone(),
                source: e,
            })?;
            tx.execute_batch(sql)
                .and_then(|()| tx.pragma_update(None, "user_version", i as i64 + 1))
                .and_then(|()| tx.commit())
                .map_err(|e| HistoryError::Sql {
                    path: self.path.clone(),
                    source: e,
                })?;
        }
        Ok(())
    }

    /// A value of `meta`.
    pub fn meta(&self, name: &str) -> Result<Option<i64>, HistoryError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// The end of the last sampling period written (Unix seconds).
    pub fn recorded_until(&self) -> Result<Option<Time>, HistoryError> {
        self.meta("recorded_until")
    }

    /// Writes one sampling period's samples, adds them to their days and
    /// notes that the history is recorded until `until`: one transaction.
    /// A sample already written (same pool and start) is not counted again.
    pub fn write(&mut self, samples: &[PoolSample], until: Time) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let sql = |source| HistoryError::Sql {
            path: path.clone(),
            source,
        };
        let mut ids = std::mem::take(&mut self.ids);
        let tx = self.conn.transaction().map_err(sql)?;
        let written = samples
            .iter()
            .try_for_each(|s| write_sample(&tx, &mut ids, s))
            .and_then(|()| set_meta(&tx, "recorded_until", until))
            .and_then(|()| tx.commit());
        if written.is_err() {
            // Ids of a transaction that was rolled back may be reused.
            ids.clear();
        }
        self.ids = ids;
        written.map_err(sql)
    }

    /// Removes the days older than `retention` and the samples older than
    /// the shorter of it and [`SAMPLE_RETENTION`], once a day (at the first
    /// call of each day) or when `forced`: whether it ran.
    pub fn enforce_retention(
        &mut self,
        now: Time,
        retention: Time,
        forced: bool,
    ) -> Result<bool, HistoryError> {
        let today = day_number(now);
        if !forced && self.meta("retention_day")? == Some(today) {
            return Ok(false);
        }
        let first_day = day_number(now - retention) + 1;
        let first_start = now - retention.min(SAMPLE_RETENTION);
        let path = self.path.clone();
        let sql = |source| HistoryError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        tx.execute("DELETE FROM days WHERE day < ?1", [first_day])
            .and_then(|_| tx.execute("DELETE FROM samples WHERE start < ?1", [first_start]))
            .and_then(|_| set_meta(&tx, "retention_day", today))
            .and_then(|()| tx.commit())
            .map_err(sql)?;
        Ok(true)
    }

    /// What `query` asks of the history; `settings` are the sampling period
    /// and retention in force (seconds).
    pub fn query(
        &self,
        query: &HistoryQuery,
        (period, retention): (Time, Time),
    ) -> Result<History, HistoryError> {
        let day_bound = |d: &Option<String>, default: i64| match d {
            None => Ok(default),
            Some(text) => day_of_date(text).ok_or_else(|| {
                HistoryError::Query(format!("`{text}` is not a date: expected YYYY-MM-DD"))
            }),
        };
        let from = day_bound(&query.from, i64::MIN / DAY)?;
        let to = day_bound(&query.to, i64::MAX / DAY - 1)?;
        let version = match &query.version {
            None => None,
            Some(v) => Some(
                crate::license::Version::parse(v)
                    .map_err(|_| {
                        HistoryError::Query(format!("`{v}` is not a css date: expected YYYY.MMDD"))
                    })?
                    .to_string(),
            ),
        };
        let pools = self
            .pools(query.feature.as_deref(), version.as_deref())
            .map_err(|e| self.sql(e))?;
        let mut days = self.days(&pools, (from, to)).map_err(|e| self.sql(e))?;
        days.sort_by(|a, b| {
            (&a.date, &a.pool.feature, &a.pool.version).cmp(&(
                &b.date,
                &b.pool.feature,
                &b.pool.version,
            ))
        });
        let (samples, samples_truncated) = if query.samples {
            let range = (
                from.saturating_mul(DAY),
                to.saturating_add(1).saturating_mul(DAY),
            );
            self.samples(&pools, range).map_err(|e| self.sql(e))?
        } else {
            (Vec::new(), false)
        };
        Ok(History {
            sample_period: period,
            retention_days: retention / DAY,
            sample_retention_days: retention.min(SAMPLE_RETENTION) / DAY,
            days,
            samples,
            samples_truncated,
        })
    }

    /// The pools of `feature` and css date `version` (each optional).
    fn pools(
        &self,
        feature: Option<&str>,
        version: Option<&str>,
    ) -> rusqlite::Result<Vec<(i64, PoolId)>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, key FROM pools WHERE (?1 IS NULL OR feature = ?1) \
             AND (?2 IS NULL OR version = ?2) ORDER BY feature, version, id",
        )?;
        let rows = stmt.query_map(params![feature, version], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, key) = row?;
            // A key this lmgrd cannot read (written by a newer one) is skipped.
            if let Ok(key) = serde_json::from_str::<PoolKey>(&key) {
                out.push((id, PoolId::from(key)));
            }
        }
        Ok(out)
    }

    fn days(
        &self,
        pools: &[(i64, PoolId)],
        (from, to): (i64, i64),
    ) -> rusqlite::Result<Vec<DayUsage>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT day, {DAY_COLUMNS} FROM days WHERE pool = ?1 AND day BETWEEN ?2 AND ?3 \
                 ORDER BY day"
        ))?;
        let mut out = Vec::new();
        for (id, pool) in pools {
            let rows = stmt.query_map(params![id, from, to], |r| {
                Ok((r.get::<_, i64>(0)?, day_totals(r, 1)?))
            })?;
            for row in rows {
                let (day, t) = row?;
                out.push(DayUsage {
                    date: date_of(day),
                    pool: pool.clone(),
                    peak: t.peak,
                    average: t.average(),
                    minimum: t.minimum,
                    installed: t.installed,
                    overdraft_peak: t.overdraft_peak,
                    denials: t.denials,
                    denials_by_reason: t.denials_by_reason,
                    seconds: t.seconds,
                });
            }
        }
        Ok(out)
    }

    fn samples(
        &self,
        pools: &[(i64, PoolId)],
        (from, to): (Time, Time),
    ) -> rusqlite::Result<(Vec<SampleUsage>, bool)> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT start, seconds, in_use, peak, installed, overdraft_in_use, overdraft_peak, \
             denials, denial_reasons FROM samples WHERE pool = ?1 AND start >= ?2 AND start < ?3 \
             ORDER BY start",
        )?;
        let mut out = Vec::new();
        for (id, pool) in pools {
            let rows = stmt.query_map(params![id, from, to], |r| {
                Ok(SampleUsage {
                    start: r.get(0)?,
                    seconds: r.get(1)?,
                    pool: pool.clone(),
                    in_use: r.get(2)?,
                    peak: r.get(3)?,
                    installed: r.get(4)?,
                    overdraft_in_use: r.get(5)?,
                    overdraft_peak: r.get(6)?,
                    denials: r.get(7)?,
                    denials_by_reason: parse_reasons(&r.get::<_, String>(8)?),
                })
            })?;
            for row in rows {
                if out.len() == MAX_SAMPLES {
                    return Ok((sorted(out), true));
                }
                out.push(row?);
            }
        }
        Ok((sorted(out), false))
    }
}

/// What `query` asks of the history database at `path` (none yet: an
/// empty history).
pub fn read(
    path: &Path,
    query: &HistoryQuery,
    in_force: (Time, Time),
) -> Result<History, HistoryError> {
    let db = HistoryDb::connect(path)?;
    let version: i64 = db
        .conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| db.sql(e))?;
    if version == 0 {
        let empty = HistoryQuery {
            feature: Some(String::new()),
            ..query.clone()
        };
        // Checks the query's dates and css date all the same.
        return HistoryDb::open_memory()?.query(&empty, in_force);
    }
    let known = MIGRATIONS.len() as i64;
    if version < known {
        // Its recorder could not migrate it: the columns read are not there.
        return Err(HistoryError::TooOld {
            path: path.to_owned(),
            found: version,
            known,
        });
    }
    db.query(query, in_force)
}

fn sorted(mut samples: Vec<SampleUsage>) -> Vec<SampleUsage> {
    samples.sort_by(|a, b| {
        (a.start, &a.pool.feature, &a.pool.version).cmp(&(
            b.start,
            &b.pool.feature,
            &b.pool.version,
        ))
    });
    samples
}

fn set_meta(tx: &Transaction<'_>, name: &str, value: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO meta (name, value) VALUES (?1, ?2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )
    .map(drop)
}

/// The pool's id, inserted if new.
fn pool_id(
    tx: &Transaction<'_>,
    ids: &mut HashMap<PoolKey, i64>,
    key: &PoolKey,
) -> rusqlite::Result<i64> {
    if let Some(id) = ids.get(key) {
        return Ok(*id);
    }
    let text = serde_json::to_string(key)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.execute(
        "INSERT OR IGNORE INTO pools (key, feature, version) VALUES (?1, ?2, ?3)",
        params![text, key.feature, key.version.0.to_string()],
    )?;
    let id = tx.query_row("SELECT id FROM pools WHERE key = ?1", [&text], |r| r.get(0))?;
    ids.insert(key.clone(), id);
    Ok(id)
}

/// The columns of a day's totals, in [`day_totals`]' order.
const DAY_COLUMNS: &str =
    "peak, minimum, installed, overdraft_peak, denials, use_seconds, seconds, denial_reasons";

/// A day's totals from a row holding [`DAY_COLUMNS`] from column `first`.
fn day_totals(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<DayTotals> {
    Ok(DayTotals {
        peak: r.get(first)?,
        minimum: r.get(first + 1)?,
        installed: r.get(first + 2)?,
        overdraft_peak: r.get(first + 3)?,
        denials: r.get(first + 4)?,
        use_seconds: r.get(first + 5)?,
        seconds: r.get(first + 6)?,
        denials_by_reason: parse_reasons(&r.get::<_, String>(first + 7)?),
    })
}

/// Writes one sample and adds it to its day, unless it is there already.
fn write_sample(
    tx: &Transaction<'_>,
    ids: &mut HashMap<PoolKey, i64>,
    s: &PoolSample,
) -> rusqlite::Result<()> {
    let id = pool_id(tx, ids, &s.pool)?;
    let added = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO samples (pool, start, seconds, in_use, peak, installed, \
             overdraft_in_use, overdraft_peak, denials, denial_reasons) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            id,
            s.start,
            s.seconds,
            s.in_use,
            s.peak,
            s.installed,
            s.overdraft_in_use,
            s.overdraft_peak,
            s.denials,
            reasons_text(&s.denials_by_reason)
        ])?;
    if added == 0 {
        return Ok(());
    }
    let day = day_number(s.start);
    let mut totals = tx
        .prepare_cached(&format!(
            "SELECT {DAY_COLUMNS} FROM days WHERE pool = ?1 AND day = ?2"
        ))?
        .query_row(params![id, day], |r| day_totals(r, 0))
        .optional()?
        .unwrap_or_default();
    totals.absorb(&DayTotals::of(s));
    tx.prepare_cached(
        "INSERT INTO days (pool, day, peak, minimum, installed, overdraft_peak, denials, \
         use_seconds, seconds, denial_reasons) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
         ON CONFLICT (pool, day) DO UPDATE SET peak = excluded.peak, minimum = excluded.minimum, \
         installed = excluded.installed, overdraft_peak = excluded.overdraft_peak, \
         denials = excluded.denials, use_seconds = excluded.use_seconds, seconds = excluded.seconds, \
         denial_reasons = excluded.denial_reasons",
    )?
    .execute(params![
        id,
        day,
        totals.peak,
        totals.minimum,
        totals.installed,
        totals.overdraft_peak,
        totals.denials,
        totals.use_seconds,
        totals.seconds,
        reasons_text(&totals.denials_by_reason)
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::license::pool::VersionKey;
    use crate::license::{Expiry, Version};
    use crate::protocol::history::DenialsByReason;

    fn sample(feature: &str, start: Time, in_use: u64, peak: u64) -> PoolSample {
        PoolSample {
            pool: PoolKey {
                feature: feature.into(),
                version: VersionKey(Version::parse("2026.0101").unwrap()),
                expiry: Expiry::Permanent,
                license_type: Some("Retail".into()),
                vendor_string: None,
            },
            start,
            seconds: 900,
            in_use,
            peak,
            installed: 10,
            overdraft_in_use: 0,
            overdraft_peak: 0,
            denials: 1,
            denials_by_reason: DenialsByReason::from([(-4, 1)]),
        }
    }

    #[test]
    fn a_period_written_twice_counts_once_and_old_days_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut db = HistoryDb::open(&path).unwrap();
        let day = 20_000 * DAY;
        let first = [sample("A", day, 2, 5), sample("B", day, 0, 1)];
        db.write(&first, day + 900).unwrap();
        db.write(&first, day + 900).unwrap();
        db.write(&[sample("A", day + 900, 4, 4)], day + 1800)
            .unwrap();
        assert_eq!(db.recorded_until().unwrap(), Some(day + 1800));
        let all = (900, 180 * DAY);
        let q = HistoryQuery {
            feature: Some("A".into()),
            samples: true,
            ..HistoryQuery::default()
        };
        let h = read(&path, &q, all).unwrap();
        assert_eq!(h.days.len(), 1);
        let d = &h.days[0];
        assert_eq!((d.peak, d.minimum, d.denials, d.seconds), (5, 2, 2, 1800));
        assert_eq!(d.denials_by_reason, DenialsByReason::from([(-4, 2)]));
        assert_eq!(d.average, 3.0);
        assert_eq!(d.date, date_of(20_000));
        assert_eq!(h.samples.len(), 2);
        // A day later than the retention: the old day and samples go.
        assert!(
            db.enforce_retention(day + 181 * DAY, 180 * DAY, false)
                .unwrap()
        );
        assert!(
            !db.enforce_retention(day + 181 * DAY + 60, 180 * DAY, false)
                .unwrap()
        );
        let h = read(&path, &HistoryQuery::default(), all).unwrap();
        assert!(h.days.is_empty() && h.samples.is_empty());
        let bad = HistoryQuery {
            from: Some("yesterday".into()),
            ..HistoryQuery::default()
        };
        assert!(matches!(
            read(&path, &bad, all),
            Err(HistoryError::Query(_))
        ));
        let none = read(&dir.path().join("none.db"), &HistoryQuery::default(), all).unwrap();
        assert!(none.days.is_empty());
    }

    /// A history.db of schema version 1, as that version's lmgrd wrote it:
    /// one pool with a day and a sample holding 3 refusals.
    fn version_1(path: &Path, day: i64) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(V1).unwrap();
        let key = serde_json::to_string(&sample("A", 0, 0, 0).pool).unwrap();
        conn.execute(
            "INSERT INTO pools (id, key, feature, version) VALUES (1, ?1, 'A', '2026.0101')",
            [key],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO samples VALUES (1, ?1, 900, 2, 4, 10, 0, 0, 3)",
            [day * DAY],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO days VALUES (1, ?1, 4, 2, 10, 0, 3, 1800, 900)",
            [day],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO meta VALUES ('recorded_until', ?1)",
            [day * DAY + 900],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }

    #[test]
    fn a_version_1_history_keeps_its_rows_and_adds_reasons_to_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let day = 20_000;
        version_1(&path, day);
        let all = (900, 180 * DAY);
        let q = HistoryQuery {
            samples: true,
            ..HistoryQuery::default()
        };
        assert!(matches!(
            read(&path, &q, all),
            Err(HistoryError::TooOld { found: 1, .. })
        ));
        let mut db = HistoryDb::open(&path).unwrap();
        assert_eq!(db.recorded_until().unwrap(), Some(day * DAY + 900));
        let h = read(&path, &q, all).unwrap();
        let (d, s) = (&h.days[0], &h.samples[0]);
        assert_eq!((d.peak, d.denials, d.seconds, s.denials), (4, 3, 900, 3));
        assert!(d.denials_by_reason.is_empty() && s.denials_by_reason.is_empty());
        // The day's next period brings reasons; the old total stays.
        let mut next = sample("A", day * DAY + 900, 1, 1);
        next.denials = 3;
        next.denials_by_reason = DenialsByReason::from([(-4, 2), (-21, 1)]);
        db.write(&[next], day * DAY + 1800).unwrap();
        let h = read(&path, &q, all).unwrap();
        assert_eq!(h.days[0].denials, 6);
        assert_eq!(
            h.days[0].denials_by_reason,
            DenialsByReason::from([(-4, 2), (-21, 1)])
        );
        assert_eq!(h.samples[1].denials_by_reason, h.days[0].denials_by_reason);
        let version: i64 = db
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }
}
