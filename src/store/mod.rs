//! Durable state: the engine's events in SQLite (WAL, synchronous=FULL).
//!
//! Events are appended in batches, one transaction and one fsync a batch
//! (group commit); a decision is acknowledged only after its batch commits.
//! At start the events are read back in order and replayed into the engine.
//! The schema is versioned with SQLite's `user_version`; each migration runs
//! once, in a transaction.
//!
//! At start the database is checked (SQLite's `quick_check`); a damaged
//! file is refused with [`StoreError::Damaged`], whose message says how to
//! recover (docs/reliability.md, "A damaged state database").

use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};

use crate::engine::Event;

mod codec;

/// What an administrator does about a damaged database.
const RECOVERY: &str = "stop here and keep the file; to recover, move the database and its \
    -wal and -shm files aside, then restore them from a backup or start with an empty \
    database (see \"A damaged state database\" in docs/reliability.md)";

/// Errors of the store, with the database path.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the state database {path} is damaged ({detail}); {RECOVERY}")]
    Damaged { path: PathBuf, detail: String },
    #[error("cannot open the state database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("state database {path}: {source}")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "state database {path} holds an event that cannot be read (seq {seq}): {reason}; {RECOVERY}"
    )]
    Corrupt {
        path: PathBuf,
        seq: i64,
        reason: String,
    },
    #[error(
        "state database {path} has schema version {found}, newer than this lmgrd knows ({known})"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
}

/// Schema migrations, in order; index + 1 is the version each brings.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        body TEXT NOT NULL
    );",
    // Version 2: grants and checkins are written in the binary form of
    // `codec` (BLOB rows); older rows stay JSON text. Nothing to convert,
    // but an older lmgrd must refuse the file rather than misread it.
    "-- grants and checkins may be BLOB rows",
];

/// The integrity check of a database opened with
/// [`Store::open_checked_aside`], running or already passed.
#[must_use = "nothing read from the store may be acted on before the check passes"]
pub struct Check(Option<std::thread::JoinHandle<Result<(), StoreError>>>);

impl Check {
    /// Waits for the check to end: whether the file is a sound database.
    pub fn wait(self) -> Result<(), StoreError> {
        match self.0 {
            None => Ok(()),
            Some(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        }
    }
}

/// The write-ahead log after a checkpoint, in pages (-1 when the database
/// is not in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wal {
    /// Pages in the log.
    pub pages: i64,
    /// Of those, the pages now in the database.
    pub copied: i64,
}

impl Wal {
    /// Everything the log holds is in the database: the next commit starts
    /// the log over.
    pub fn whole(&self) -> bool {
        self.copied == self.pages
    }
}

/// The event log.
pub struct Store {
    path: PathBuf,
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut store = Self::connection(path)?;
        store.configure().map_err(|e| store.damaged(e))?;
        store.check()?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens the database as [`Store::open`] does, except that when its
    /// schema is already current the integrity check runs on a connection
    /// of its own, in another thread, while the caller reads the events:
    /// on two cores recovery then waits for the longer of the two, not for
    /// both. The caller must not act on what it read before
    /// [`Check::wait`] says the file is sound. A database to migrate is
    /// checked first, as by [`Store::open`]: nothing is written to a file
    /// not known to be sound.
    pub fn open_checked_aside(path: &Path) -> Result<(Self, Check), StoreError> {
        let mut store = Self::connection(path)?;
        store.configure().map_err(|e| store.damaged(e))?;
        if store.schema_version().map_err(|e| store.damaged(e))? != MIGRATIONS.len() as i64 {
            store.check()?;
            store.migrate()?;
            return Ok((store, Check(None)));
        }
        let other = store.connect().map_err(|e| store.damaged(e))?;
        let check = std::thread::Builder::new()
            .name("integrity check".to_owned())
            .spawn(move || other.check())
            .expect("the integrity check thread starts");
        Ok((store, Check(Some(check))))
    }

    /// Another connection to the same database, which this one has already
    /// checked and brought up to date: no second `quick_check`, which reads
    /// the whole file (a second or more for a database of millions of
    /// events).
    pub fn connect(&self) -> Result<Self, StoreError> {
        let store = Self::connection(&self.path)?;
        store.configure()?;
        Ok(store)
    }

    fn connection(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
        Ok(Store {
            path: path.to_owned(),
            conn,
        })
    }

    /// An error that says the file is not a sound database becomes
    /// [`StoreError::Damaged`]; others pass.
    fn damaged(&self, e: StoreError) -> StoreError {
        use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
        match e {
            StoreError::Sql {
                source: rusqlite::Error::SqliteFailure(f, detail),
                ..
            } if matches!(f.code, DatabaseCorrupt | NotADatabase) => StoreError::Damaged {
                path: self.path.clone(),
                detail: detail.unwrap_or_else(|| f.to_string()),
            },
            other => other,
        }
    }

    /// SQLite's `quick_check`: the pages and indexes are well formed.
    fn check(&self) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA quick_check(5)")
            .map_err(|e| self.damaged(self.sql(e)))?;
        let problems: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.damaged(self.sql(e)))?;
        if problems.iter().all(|p| p == "ok") {
            return Ok(());
        }
        Err(StoreError::Damaged {
            path: self.path.clone(),
            detail: problems.join("; "),
        })
    }

    /// Whether an error means the disk refused the write (full, read-only,
    /// failing): the kind a store recovers from once the disk does.
    pub fn is_disk_error(e: &StoreError) -> bool {
        use rusqlite::ErrorCode::{CannotOpen, DiskFull, ReadOnly, SystemIoFailure};
        matches!(
            e,
            StoreError::Sql {
                source: rusqlite::Error::SqliteFailure(f, _),
                ..
            } if matches!(f.code, DiskFull | ReadOnly | SystemIoFailure | CannotOpen)
        )
    }

    fn sql(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sql {
            path: self.path.clone(),
            source,
        }
    }

    fn configure(&self) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| self.conn.pragma_update(None, "synchronous", "FULL"))
            // When the log starts over, its file is cut back to this size
            // rather than kept at the largest it ever grew to.
            .and_then(|()| {
                self.conn
                    .pragma_update(None, "journal_size_limit", 64 << 20)
            })
            .map_err(|e| self.sql(e))
    }

    /// Stops this connection from checkpointing the write-ahead log after
    /// its own commits. SQLite does that in the committing thread by
    /// default, so now and then one commit also copied the whole log into
    /// the database and waited for its fsync; with this, another
    /// connection does it with [`Store::checkpoint`].
    pub fn leave_checkpoints(&self) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(|e| self.sql(e))
    }

    /// Copies what the write-ahead log holds into the database, without
    /// waiting for (or making wait) any reader or writer: a PASSIVE
    /// checkpoint. Says how large the log is and how much of it is now in
    /// the database.
    ///
    /// A log that is written to without pause never starts over after such
    /// a checkpoint: by the time it has copied everything, more has been
    /// appended, and the log only grows. The writer's own connection starts
    /// it over: between two of its transactions nothing is appended, so its
    /// checkpoint copies the little that is left ([`Wal::whole`]) and its
    /// next commit writes at the log's start, in the file's existing pages.
    /// No connection ever waits for another's lock (SQLite's busy handler
    /// waits by sleeping 1, 2, 5, 10, 15, 20, 25 ms and so on: tens of
    /// milliseconds for a lock held for one).
    pub fn checkpoint(&self) -> Result<Wal, StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok(Wal {
                    pages: r.get(1)?,
                    copied: r.get(2)?,
                })
            })
            .map_err(|e| self.sql(e))
    }

    /// The path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.sql(e))
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version = self.schema_version()?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction().map_err(|e| StoreError::Sql {
                path: self.path.clone(),
                source: e,
            })?;
            tx.execute_batch(sql)
                .and_then(|()| tx.pragma_update(None, "user_version", i as i64 + 1))
                .and_then(|()| tx.commit())
                .map_err(|e| StoreError::Sql {
                    path: self.path.clone(),
                    source: e,
                })?;
        }
        Ok(())
    }

    /// Appends a batch of events durably: one transaction, one fsync.
    pub fn append(&mut self, events: &[Event]) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sql = |source| StoreError::Sql {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        {
            let mut stmt = tx
                .prepare_cached("INSERT INTO events (at, body) VALUES (?1, ?2)")
                .map_err(sql)?;
            let mut bytes = Vec::new();
            for e in events {
                bytes.clear();
                if codec::encode(e, &mut bytes) {
                    stmt.execute(params![e.at(), bytes]).map_err(sql)?;
                } else {
                    let body = serde_json::to_string(e).expect("events always serialize");
                    stmt.execute(params![e.at(), body]).map_err(sql)?;
                }
            }
        }
        tx.commit().map_err(sql)
    }

    /// Up to `limit` events after sequence number `after`, in order.
    pub fn events_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, Event)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, body FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")
            .map_err(|e| self.sql(e))?;
        let rows = stmt.query(params![after, limit]).map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        self.decode_rows(rows, |seq, e| out.push((seq, e)))?;
        Ok(out)
    }

    /// Every event, in the order it was written.
    pub fn events(&self) -> Result<Vec<Event>, StoreError> {
        let mut out = Vec::new();
        self.for_each_event(|e| out.push(e))?;
        Ok(out)
    }

    /// Hands every event to `f`, in the order it was written, without
    /// holding them all at once (recovery replays them as they are read).
    pub fn for_each_event(&self, mut f: impl FnMut(Event)) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT seq, body FROM events ORDER BY seq")
            .map_err(|e| self.sql(e))?;
        let rows = stmt.query([]).map_err(|e| self.sql(e))?;
        self.decode_rows(rows, |_, e| f(e))
    }

    /// Decodes `(seq, body)` rows in order: a BLOB in the binary form of
    /// [`codec`], a TEXT as JSON.
    fn decode_rows(
        &self,
        mut rows: rusqlite::Rows<'_>,
        mut f: impl FnMut(i64, Event),
    ) -> Result<(), StoreError> {
        use rusqlite::types::ValueRef;
        let mut decoder = codec::Decoder::default();
        while let Some(row) = rows.next().map_err(|e| self.sql(e))? {
            let seq: i64 = row.get(0).map_err(|e| self.sql(e))?;
            let body = row.get_ref(1).map_err(|e| self.sql(e))?;
            let corrupt = |reason: String| StoreError::Corrupt {
                path: self.path.clone(),
                seq,
                reason,
            };
            let event = match body {
                ValueRef::Blob(bytes) => decoder.decode(bytes).map_err(|e| corrupt(e.to_string())),
                ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                    .map_err(|e| corrupt(e.to_string()))
                    .and_then(|body| decode(body).map_err(|e| corrupt(e.to_string()))),
                _ => Err(corrupt("the event is neither text nor bytes".to_owned())),
            }?;
            f(seq, event);
        }
        Ok(())
    }
}

/// Reads an event back. Most events are grants and checkins: read them
/// straight into their struct (the tag is then one more field, ignored)
/// rather than through serde's buffering of internally tagged enums, which
/// made decoding the larger part of recovery.
fn decode(body: &str) -> Result<Event, serde_json::Error> {
    use crate::engine::request::GrantEvent;
    #[derive(serde::Deserialize)]
    struct CheckedIn {
        handle: crate::engine::request::Handle,
        at: i64,
    }
    if body.starts_with(r#"{"event":"granted","#) {
        let g: GrantEvent = serde_json::from_str(body)?;
        return Ok(Event::Granted(Box::new(g)));
    }
    if body.starts_with(r#"{"event":"checked_in","#) {
        let c: CheckedIn = serde_json::from_str(body)?;
        return Ok(Event::CheckedIn {
            handle: c.handle,
            at: c.at,
        });
    }
    serde_json::from_str(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Settings;

    #[test]
    fn events_survive_reopening_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let events: Vec<Event> = (0..5)
            .map(|i| Event::SessionSeen {
                session: i,
                at: i as i64,
            })
            .collect();
        {
            let mut s = Store::open(&path).unwrap();
            s.append(&events[..2]).unwrap();
            s.append(&events[2..]).unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.events().unwrap(), events);
    }

    #[test]
    fn a_check_aside_passes_a_sound_file_and_refuses_a_damaged_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let events: Vec<Event> = (0..2000)
            .map(|i| Event::SessionSeen { session: i, at: 1 })
            .collect();
        // A new file is created and migrated before anything is read.
        let (mut s, check) = Store::open_checked_aside(&path).unwrap();
        assert!(check.0.is_none());
        check.wait().unwrap();
        s.append(&events).unwrap();
        assert!(s.checkpoint().unwrap().whole());
        drop(s);
        // A current one is checked while it is read.
        let (s, check) = Store::open_checked_aside(&path).unwrap();
        assert!(check.0.is_some());
        assert_eq!(s.events().unwrap(), events);
        check.wait().unwrap();
        drop(s);
        // Its pages overwritten past the schema's: the verdict is damage.
        let mut bytes = std::fs::read(&path).unwrap();
        let end = bytes.len() - 4096;
        bytes[2 * 4096..end].fill(0xff);
        std::fs::write(&path, bytes).unwrap();
        let verdict = Store::open_checked_aside(&path).and_then(|(_, check)| check.wait());
        assert!(
            matches!(verdict, Err(StoreError::Damaged { .. })),
            "{verdict:?}"
        );
    }

    #[test]
    fn grants_and_checkins_decode_as_the_enum_does() {
        use crate::engine::request::GrantEvent;
        use crate::license::pool::{PoolKey, VersionKey};
        use crate::license::{Expiry, Version};
        let version = Version::parse("2026.1201").unwrap();
        let e = Event::Granted(Box::new(GrantEvent {
            handle: 7,
            session: 2,
            feature: "XDT_PLT_UD".into(),
            version: version.clone(),
            user: "jack".into(),
            device: "d1".into(),
            sent: ("MYCO\\Jack".into(), "D1".into()),
            host: "ddc \"1\"".into(),
            display: String::new(),
            count: 1,
            model: crate::engine::LicenseModel::UserDevice,
            pool: PoolKey {
                feature: "XDT_PLT_UD".into(),
                version: VersionKey(version),
                expiry: Expiry::Permanent,
                license_type: Some("Retail".into()),
                vendor_string: None,
            },
            burst: true,
            at: 5,
        }));
        let body = serde_json::to_string(&e).unwrap();
        assert!(body.starts_with(r#"{"event":"granted","#), "{body}");
        assert_eq!(decode(&body).unwrap(), e);
        let e = Event::CheckedIn { handle: 7, at: 9 };
        let body = serde_json::to_string(&e).unwrap();
        assert!(body.starts_with(r#"{"event":"checked_in","#), "{body}");
        assert_eq!(decode(&body).unwrap(), e);
        let e = Event::SessionSeen { session: 1, at: 2 };
        let body = serde_json::to_string(&e).unwrap();
        assert_eq!(decode(&body).unwrap(), e);
    }

    /// Grants and checkins are written as BLOB rows; a database written
    /// before (every row JSON text, schema version 1) reads back the same
    /// and is brought to version 2.
    #[test]
    fn binary_and_json_rows_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let grant = |handle| {
            let text = format!(
                r#"{{"event":"granted","handle":{handle},"session":1,"feature":"F","version":"1.0","user":"u","device":"d","sent":["",""],"host":"h","display":"","count":1,"model":"concurrent","pool":{{"feature":"F","version":"1.0","expiry":"permanent","license_type":null,"vendor_string":null}},"burst":false,"at":3}}"#
            );
            decode(&text).unwrap()
        };
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            let body = serde_json::to_string(&grant(1)).unwrap();
            conn.execute("INSERT INTO events (at, body) VALUES (3, ?1)", [body])
                .unwrap();
        }
        let mut s = Store::open(&path).unwrap();
        let version: i64 = s
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let later = [
            grant(2),
            Event::SessionSeen { session: 1, at: 4 },
            Event::CheckedIn { handle: 1, at: 5 },
        ];
        s.append(&later).unwrap();
        let kinds: Vec<String> = s
            .conn
            .prepare("SELECT typeof(body) FROM events ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kinds, ["text", "blob", "text", "blob"]);
        let mut all = vec![grant(1)];
        all.extend(later);
        assert_eq!(s.events().unwrap(), all);
        let after: Vec<Event> = s
            .events_after(2, 10)
            .unwrap()
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        assert_eq!(after, all[2..]);
    }

    /// The changes an administrator asks for record who asked (`by`);
    /// rows written before they did read back with no one, and rows that
    /// record it read back with it.
    #[test]
    fn changes_stored_without_who_asked_still_read() {
        use crate::engine::request::AccountRole;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let old = [
            r#"{"event":"released","feature":"F","user":"u","device":"d","at":1}"#,
            r#"{"event":"pools_replaced","pools":[],"at":2}"#,
            r#"{"event":"account_set","name":"h\\a","role":"admin","at":3}"#,
            r#"{"event":"account_removed","name":"h\\a","at":4}"#,
        ];
        {
            let s = Store::open(&path).unwrap();
            for (at, body) in old.iter().enumerate() {
                s.conn
                    .execute(
                        "INSERT INTO events (at, body) VALUES (?1, ?2)",
                        rusqlite::params![at as i64 + 1, body],
                    )
                    .unwrap();
            }
        }
        let mut s = Store::open(&path).unwrap();
        let name = "h\\a".to_owned();
        let mut expected = vec![
            Event::Released {
                feature: "F".into(),
                user: "u".into(),
                device: "d".into(),
                shown: None,
                at: 1,
                by: None,
            },
            Event::PoolsReplaced {
                pools: vec![],
                at: 2,
                by: None,
            },
            Event::AccountSet {
                name: name.clone(),
                role: AccountRole::Admin,
                at: 3,
                by: None,
            },
            Event::AccountRemoved {
                name,
                at: 4,
                by: None,
            },
        ];
        assert_eq!(s.events().unwrap(), expected);
        let now = [Event::ShutdownRequested {
            vendor: false,
            at: 5,
            by: Some("h\\root".into()),
        }];
        s.append(&now).unwrap();
        expected.extend(now);
        drop(s);
        assert_eq!(Store::open(&path).unwrap().events().unwrap(), expected);
    }

    /// With checkpoints left to another connection, commits only grow the
    /// write-ahead log; the other connection's checkpoint copies it all
    /// into the database, and the next commit starts the log over, in the
    /// file's existing pages.
    #[test]
    fn another_connection_checkpoints_and_the_log_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let wal = dir.path().join("state.db-wal");
        let wal_len = || std::fs::metadata(&wal).unwrap().len();
        let mut writer = Store::open(&path).unwrap();
        writer.leave_checkpoints().unwrap();
        let checkpoints = writer.connect().unwrap();
        for i in 0..3000 {
            writer.append(&[seen(i)]).unwrap();
        }
        let grown = wal_len();
        // SQLite's own default would have checkpointed at 1,000 pages.
        assert!(grown > 1000 * 4096, "{grown}");
        let wal_now = checkpoints.checkpoint().unwrap();
        assert!(wal_now.pages > 1000 && wal_now.whole(), "{wal_now:?}");
        writer.append(&[seen(3000)]).unwrap();
        // One commit's pages, written again at the log's start.
        assert!(checkpoints.checkpoint().unwrap().pages < 10);
        assert_eq!(wal_len(), grown, "started over, not grown");
        let events = Store::open(&path).unwrap().events().unwrap();
        assert_eq!(events.len(), 3001);
        assert_eq!(events[3000], seen(3000));
    }

    /// A log written to without pause while another connection checkpoints
    /// only grows; the writer's own checkpoint between two commits copies
    /// the rest, and its next commit starts the log over. Nothing is lost,
    /// and no commit fails for a lock.
    #[test]
    fn under_a_busy_writer_the_writer_starts_the_log_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let writer = Store::open(&path).unwrap();
        writer.leave_checkpoints().unwrap();
        let checkpoints = writer.connect().unwrap();
        let done = std::sync::atomic::AtomicBool::new(false);
        let (started_over, largest) = std::thread::scope(|scope| {
            let writing = scope.spawn(|| {
                let mut writer = writer;
                let (mut started_over, mut copied) = (0, false);
                for i in 0..2000 {
                    writer.append(&[seen(i), seen(i)]).unwrap();
                    if copied {
                        // The commit after a whole copy: its pages alone.
                        started_over += usize::from(writer.checkpoint().unwrap().pages < 10);
                    }
                    copied = i % 100 == 99 && writer.checkpoint().unwrap().whole();
                }
                done.store(true, std::sync::atomic::Ordering::Relaxed);
                started_over
            });
            let mut largest = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                largest = largest.max(checkpoints.checkpoint().unwrap().pages);
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            (writing.join().unwrap(), largest)
        });
        assert!(started_over > 0);
        assert!(largest > 0);
        assert_eq!(Store::open(&path).unwrap().events().unwrap().len(), 4000);
    }

    fn seen(i: u64) -> Event {
        Event::SessionSeen {
            session: i,
            at: i as i64,
        }
    }

    #[test]
    fn a_newer_schema_is_refused_and_a_bad_row_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        {
            let mut s = Store::open(&path).unwrap();
            let e = Event::SettingsChanged {
                settings: Settings::default(),
                at: 1,
                by: None,
                changes: Vec::new(),
            };
            s.append(&[e]).unwrap();
            s.conn
                .execute("INSERT INTO events (at, body) VALUES (2, 'nonsense')", [])
                .unwrap();
        }
        let err = Store::open(&path).unwrap().events().unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { seq: 2, .. }), "{err}");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_with_the_way_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        std::fs::write(&path, vec![0x5a; 8192]).unwrap();
        let err = Store::open(&path).err().expect("refused");
        assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
        assert!(err.to_string().contains("docs/reliability.md"), "{err}");
    }
}
