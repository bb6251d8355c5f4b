//! The engine's owner: one thread holds the engine and the store. It takes
//! requests in batches, decides each, appends the batch's events in one
//! transaction, and only then answers: no decision is acknowledged before
//! it is durable. A failed write rebuilds the engine from the store, so the
//! state never runs ahead of what is on disk.
//!
//! Readers never stall it: a reader thread keeps a replica of the engine,
//! applying each committed batch's events (forwarded before the batch is
//! acknowledged, so a client reads its own writes), and answers status,
//! pools and the event history from the replica and its own database
//! connection.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::alerts::{Alerts, Waited, Watch};
use super::clock::now;
use super::debuglog::{DebugLog, say};
use super::failpoint;
use super::metrics::{CommitLatency, Scrape, Tally};
use super::threads::{SpawnError, Spawner};
use crate::engine::snapshot::{DenialView, Select};
use crate::engine::{Decision, Denial, Engine, Event, Request, Time};
use crate::flexnet::Code;
use crate::history::Recorder;
use crate::protocol::events::{EventPage, EventQuery};
use crate::protocol::status::{Pool, Status, StatusPart, StatusQuery};
use crate::protocol::tokens::TokenInfo;
use crate::store::{Check, Store, StoreError};

/// The most requests decided before one commit.
const MAX_BATCH: usize = 4096;
/// How often time passes for the rules.
const TICK: Duration = Duration::from_secs(1);

/// What the owner is asked.
enum Command {
    Handle {
        request: Request,
        reply: oneshot::Sender<Result<Decision, OwnerError>>,
    },
    Accounts {
        reply: oneshot::Sender<Accounts>,
    },
    Probe {
        feature: String,
        version: crate::license::Version,
        reply: oneshot::Sender<Result<Result<(), Denial>, OwnerError>>,
    },
}

/// Accounts and groups given a role.
pub type Accounts = std::collections::BTreeMap<String, crate::engine::request::AccountRole>;

/// What the reader thread is asked, or given.
enum ReaderMsg {
    /// A committed batch's events.
    Apply(Vec<Event>),
    /// The owner rebuilt its engine from the store: start over from it.
    Replace(Box<Engine>),
    Status(StatusQuery, oneshot::Sender<Status>),
    Pools(oneshot::Sender<Vec<Pool>>),
    Settings(oneshot::Sender<crate::engine::Settings>),
    /// The active alerts.
    Alerts(oneshot::Sender<Vec<crate::protocol::alerts::Alert>>),
    /// The license directory was read: the lines that do not parse.
    LicensesRead(Vec<crate::alerts::NotRead>),
    Tokens(oneshot::Sender<Vec<TokenInfo>>),
    /// The live token with this digest.
    FindToken(String, oneshot::Sender<Option<TokenInfo>>),
    Events {
        query: EventQuery,
        reply: oneshot::Sender<Result<EventPage, OwnerError>>,
    },
    /// The metrics exposition; `None` when `remote_read` keeps the
    /// licensing state from remote readers.
    Metrics(Box<Scrape>, oneshot::Sender<Option<String>>),
}

/// Why the engine's owner or its reader could not answer. Each cause has
/// one FlexNet number ([`OwnerError::code`]), whichever request met it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnerError {
    /// The owner or the reader has stopped: the server is shutting down.
    #[error("the vendor daemon is shutting down")]
    Stopped,
    /// The batch could not be made durable; nothing of it was kept.
    #[error("{0}")]
    NotDurable(String),
    /// A batch could not be written and the state could not be read back
    /// either: nothing is decided until it can be.
    #[error(
        "the state database cannot be read back; the server refuses changes until it can, \
         and still answers status"
    )]
    Stale,
    /// The event history could not be read.
    #[error("cannot read the event history: {0}")]
    History(String),
}

impl OwnerError {
    /// FlexNet's number for it: a stopped daemon is down (-97); a state
    /// that cannot be written or read is a server that cannot serve (-15).
    pub fn code(&self) -> Code {
        match self {
            OwnerError::Stopped => Code::VENDOR_DOWN,
            OwnerError::NotDurable(_) | OwnerError::Stale | OwnerError::History(_) => {
                Code::CANNOT_CONNECT
            }
        }
    }
}

/// A cheap, cloneable way to reach the engine.
#[derive(Clone)]
pub struct EngineHandle {
    tx: Sender<Command>,
    reader: Sender<ReaderMsg>,
}

impl EngineHandle {
    /// Decides a request; answers once its events are durable.
    pub async fn handle(&self, request: Request) -> Result<Decision, OwnerError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Handle { request, reply })
            .map_err(|_| OwnerError::Stopped)?;
        rx.await.map_err(|_| OwnerError::Stopped)?
    }

    /// The pools and their use.
    pub async fn pools(&self) -> Result<Vec<Pool>, OwnerError> {
        let (reply, rx) = oneshot::channel();
        self.reader
            .send(ReaderMsg::Pools(reply))
            .map_err(|_| OwnerError::Stopped)?;
        rx.await.map_err(|_| OwnerError::Stopped)
    }

    /// The settings as the last committed change left them.
    pub async fn settings(&self) -> Result<crate::engine::Settings, OwnerError> {
        let (reply, rx) = oneshot::channel();
        self.reader
            .send(ReaderMsg::Settings(reply))
            .map_err(|_| OwnerError::Stopped)?;
        rx.await.map_err(|_| OwnerError::Stopped)
    }

    /// The active alerts, as the replica last evaluated them (metrics
    /// count them).
    pub async fn alerts(&self) -> Result<Vec<crate::protocol::alerts::Alert>, OwnerError> {
        let (reply, rx) = oneshot::channel();
        self.reader
            .send(ReaderMsg::Alerts(reply))
            .map_err(|_| OwnerError::Stopped)?;
        rx.await.map_err(|_| OwnerError::Stopped)
    }

    /// Hands the reader what the last read of the license directory found
    /// that does not parse, for its alerts.
    pub fn licenses_read(&self, lines: Vec<crate::alerts::NotRead>) -> Result<(), OwnerError> {
        self.reader
            .send(ReaderMsg::LicensesRead(lines))
            .map_err(|_| OwnerError::Stopped)
    }

    /// The API tokens, as the last committed change left them.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>, OwnerError> {
        let (reply, rx) = oneshot::channel();
        self.reader
            .send(ReaderMsg::Tokens(reply))
            .map_err(|_| OwnerError::Stopped)?;
        rx.await.map_err(|_| OwnerError::Stopped)
    }

    /// The live API token whose digest is `digest`, if any.
    pub async fn find_token(&self, digest: String) -> Result<Option<TokenInfo>, OwnerError> {
        let (reply, rx) = oneshot::channel();
        self.reader
            .send(ReaderMsg::FindToken(digest, reply))
            .map_err(|_| OwnerError::Stopped)?;
        rx.await.map_err(|_| OwnerError::Stopped)
    }

    /// Accounts and groups with a role.
    pub async fn accounts(&self) -> Result<Accounts, OwnerError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Accounts { reply })
            .map_err(|_| OwnerError::Stopped)?;
        rx.await.map_err(|_| OwnerError::Stopped)
    }

    /// Would a checkout be granted now? Decided without holding anything.
    pub async fn probe(
        &self,
        feature: &str,
        version: &crate::license::Version,
    ) -> Result<Result<(), Denial>, OwnerError> {
        let (reply, rx) = oneshot::channel();
        let command = Command::Probe {
            feature: feature.to_owned(),
            version: version.clone(),
            reply,
        };
        self.tx.send(command).map_err(|_| OwnerError::Stopped)?;
        rx.await.map_err(|_| OwnerError::Stopped)?
    }

    /// The history's events that `query` asks for.
    pub async fn events(&self, query: EventQuery) -> Result<EventPage, OwnerError> {
        let (reply, rx) = oneshot::channel();
        let message = ReaderMsg::Events { query, reply };
        self.reader.send(message).map_err(|_| OwnerError::Stopped)?;
        rx.await.map_err(|_| OwnerError::Stopped)?
    }

    /// The metrics exposition, from the replica (`None`: `remote_read`
    /// refuses remote readers the licensing state).
    pub async fn metrics(&self, scrape: Scrape) -> Result<Option<String>, OwnerError> {
        let (reply, rx) = oneshot::channel();
        let message = ReaderMsg::Metrics(Box::new(scrape), reply);
        self.reader.send(message).map_err(|_| OwnerError::Stopped)?;
        rx.await.map_err(|_| OwnerError::Stopped)
    }

    /// The current state as readers see it: what `query` asks for.
    pub async fn status(&self, query: StatusQuery) -> Result<Status, OwnerError> {
        let (reply, rx) = oneshot::channel();
        self.reader
            .send(ReaderMsg::Status(query, reply))
            .map_err(|_| OwnerError::Stopped)?;
        rx.await.map_err(|_| OwnerError::Stopped)
    }
}

/// Recovers the engine from the store and starts its owner thread and its
/// reader thread (with its own connection to the database). The owner ends,
/// after a last commit, when every handle is dropped; the reader after it.
/// The store's integrity `check` runs while the events are read; nothing
/// starts unless it passes (its verdict comes before any error of reading,
/// since it says what is wrong and what to do). The reader evaluates the
/// `alerts`.
pub fn start(
    store: Store,
    check: Check,
    log: Arc<Mutex<DebugLog>>,
    threads: &Spawner,
    alerts: Alerts,
) -> Result<(EngineHandle, JoinHandle<()>), StartError> {
    let recorder = history_recorder(&store, &log);
    let exact_from = recorder.as_ref().map_or(Time::MAX, |r| r.exact_from(now()));
    // The replica is a copy of the recovered engine: replaying it again
    // from a second connection at the same time was twice as slow on two
    // cores (docs/performance.md).
    let recovered = recover_from(&store, exact_from);
    check.wait()?;
    let Recovered {
        engine,
        events,
        took,
    } = recovered?;
    if events > 0 {
        let took = took.as_secs_f64();
        say(
            &log,
            "lmgrd",
            &format!("State recovered: {events} events in {took:.3} s"),
        );
    }
    let reader_store = store.connect()?;
    let (reader, reader_rx) = mpsc::channel();
    let replica = engine.clone();
    // The owner times each commit; the reader shows the times.
    let commits = Arc::new(CommitLatency::default());
    let timing = Arc::clone(&commits);
    threads.spawn("reader", move || {
        read(
            replica,
            reader_store,
            reader_rx,
            &commits,
            Watch::new(alerts),
            recorder,
        )
    })?;
    // Checkpoints of the write-ahead log happen on their own thread, so
    // that no batch waits for one; the owner only starts the log over.
    store.leave_checkpoints()?;
    let checkpoints = store.connect()?;
    let (stop_checkpoints, checkpoint_rx) = mpsc::channel::<()>();
    let start_over = Arc::new(AtomicBool::new(false));
    let wanted = Arc::clone(&start_over);
    threads.spawn("checkpoints", move || {
        checkpoint(&checkpoints, &checkpoint_rx, &wanted)
    })?;
    let (tx, rx) = mpsc::channel();
    let to_reader = reader.clone();
    let thread = threads.spawn("engine", move || {
        let mut owner = Owner {
            engine,
            store,
            log,
            reader: to_reader,
            failing: false,
            stale: false,
            pending_log: DebugLog::memory(),
            start_over,
            _stop_checkpoints: stop_checkpoints,
            commits: timing,
        };
        owner.run(rx);
    })?;
    Ok((EngineHandle { tx, reader }, thread))
}

/// Why the engine could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Thread(#[from] SpawnError),
}

/// Events a recovery's reading thread hands over at a time.
const RECOVERY_BATCH: usize = 4096;

/// The engine as the store's events leave it. A thread with its own
/// connection reads and decodes the events while this one applies them, a
/// few batches behind at most: on two cores recovery costs the applying,
/// not the applying and the reading.
pub fn recover(store: &Store) -> Result<Recovered, StoreError> {
    recover_from(store, Time::MAX)
}

/// [`recover`], following the use exactly from `exact_from` on (see
/// [`Engine::exact_from`]): the usage history's periods not yet recorded.
pub fn recover_from(store: &Store, exact_from: Time) -> Result<Recovered, StoreError> {
    let t = Instant::now();
    let mut engine = Engine::recovering();
    engine.exact_from(exact_from);
    let mut events = 0;
    if let Some((batches, reader)) = read_aside(store) {
        for batch in batches {
            for e in &batch {
                engine.apply(e);
            }
            events += batch.len() as u64;
        }
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    } else {
        // No second connection or thread to be had (a failing disk, a
        // process at its limits): read here, on the store's own.
        store.for_each_event(|e| {
            engine.apply(&e);
            events += 1;
        })?;
    }
    engine.settle();
    Ok(Recovered {
        engine,
        events,
        took: t.elapsed(),
    })
}

/// The thread reading for a recovery: how its reading ended.
type ReadingThread = JoinHandle<Result<(), StoreError>>;

/// The events of `store`, read and decoded by a thread with a connection
/// of its own, in batches; `None` if either cannot be had.
fn read_aside(store: &Store) -> Option<(Receiver<Vec<Event>>, ReadingThread)> {
    let reading = store.connect().ok()?;
    let (tx, rx) = mpsc::sync_channel::<Vec<Event>>(4);
    let reader = std::thread::Builder::new()
        .name("recovery read".to_owned())
        .spawn(move || {
            let mut batch = Vec::with_capacity(RECOVERY_BATCH);
            reading.for_each_event(|e| {
                batch.push(e);
                if batch.len() == RECOVERY_BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(RECOVERY_BATCH));
                    // The applying side only goes away by panicking; the
                    // batch is dropped and reading ends with the log.
                    let _ = tx.send(full);
                }
            })?;
            let _ = tx.send(batch);
            Ok(())
        })
        .ok()?;
    Some((rx, reader))
}

/// What [`recover`] rebuilt, and what it cost.
pub struct Recovered {
    pub engine: Engine,
    /// Events replayed.
    pub events: u64,
    pub took: Duration,
}

/// How often the write-ahead log is copied into the database: at tens of
/// thousands of events a second, a few megabytes of log each time.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// The write-ahead log is started over once it holds this many pages (64
/// MiB of 4 KiB pages, the store's `journal_size_limit`): at the most
/// sustained load, every eight seconds or so.
const WAL_LIMIT_PAGES: i64 = 16_384;

/// The checkpoint thread: copies the write-ahead log into the database
/// every [`CHECKPOINT_EVERY`] until the owner ends, then once more. Past
/// [`WAL_LIMIT_PAGES`] it asks the owner (`start_over`) to copy the rest
/// between two batches, after which the log starts over: no commit ever
/// waits for this thread's locks.
fn checkpoint(store: &Store, stop: &Receiver<()>, start_over: &AtomicBool) {
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        // A failure (a full or failing disk) is the owner's to report: its
        // next commit fails too. The log just waits for the next round.
        if let Ok(wal) = store.checkpoint()
            && wal.pages > WAL_LIMIT_PAGES
        {
            start_over.store(true, Ordering::Relaxed);
        }
    }
    let _ = store.checkpoint();
}

/// The usage history's recorder, writing `history.db` beside the state
/// database; none (said in the log) when it cannot be opened: licensing
/// goes on without a history.
fn history_recorder(store: &Store, log: &Arc<Mutex<DebugLog>>) -> Option<Recorder> {
    let path = store.path().with_file_name(crate::history::db::FILE_NAME);
    let to_log = log.clone();
    let said = Box::new(move |line: &str| say(&to_log, "lmgrd", line));
    Recorder::open(&path, said)
        .map_err(|e| {
            say(
                log,
                "lmgrd",
                &format!("The usage history is not recorded: {e}"),
            )
        })
        .ok()
}

/// The next message for the reader; between messages, the recorder writes
/// the history's periods as they end and the alerts are evaluated when
/// stale. `None` once every sender is gone.
fn next_message(
    rx: &Receiver<ReaderMsg>,
    engine: &Engine,
    alerts: &mut Watch,
    recorder: &mut Option<Recorder>,
) -> Option<ReaderMsg> {
    loop {
        let limit = recorder.as_mut().map(|r| {
            r.tick(engine);
            r.wait(engine)
        });
        match alerts.next(rx, engine, limit) {
            Waited::Message(message) => return Some(message),
            Waited::Gone => return None,
            Waited::TimedOut => {}
        }
    }
}

/// The reader: a replica of the engine, kept by the committed events, the
/// alerts evaluated on it and the usage history recorded from it.
fn read(
    mut engine: Engine,
    store: Store,
    rx: Receiver<ReaderMsg>,
    commits: &CommitLatency,
    mut alerts: Watch,
    mut recorder: Option<Recorder>,
) {
    let mut tally = Tally::default();
    while let Some(message) = next_message(&rx, &engine, &mut alerts, &mut recorder) {
        match message {
            ReaderMsg::Apply(events) => {
                for e in &events {
                    tally.applied(e);
                    engine.apply(e);
                }
                alerts.changed();
            }
            ReaderMsg::Replace(fresh) => {
                engine = *fresh;
                alerts.changed();
            }
            ReaderMsg::Alerts(reply) => {
                let _ = reply.send(alerts.active(&engine));
            }
            ReaderMsg::LicensesRead(lines) => alerts.licenses_read(lines),
            ReaderMsg::Status(query, reply) => {
                if failpoint::armed("reader-panic") {
                    panic!("failpoint reader-panic");
                }
                let mut snapshot = engine.select(now(), &selection(&query));
                if query.wants(StatusPart::Denials) {
                    let recent = engine.recent_denials();
                    let asked = recent.filter(|d| query.wants_feature(&d.feature));
                    snapshot.denials = asked.cloned().collect();
                }
                let mut status = super::views::status(snapshot, &engine);
                if query.wants(StatusPart::Denials) {
                    status.denial_counts = super::views::denial_counts(&engine, &query);
                }
                if query.wants(StatusPart::Alerts) {
                    let active = alerts.active(&engine).into_iter();
                    status.alerts = active.filter(|a| query.wants_feature(&a.feature)).collect();
                }
                let _ = reply.send(status);
            }
            ReaderMsg::Pools(reply) => {
                let _ = reply.send(super::views::all(engine.pool_views(now())));
            }
            ReaderMsg::Settings(reply) => {
                let _ = reply.send(engine.settings().clone());
            }
            ReaderMsg::FindToken(digest, reply) => {
                let found = engine.tokens().find(&digest, now());
                let _ = reply.send(found.map(super::views::token));
            }
            ReaderMsg::Tokens(reply) => {
                let _ = reply.send(engine.tokens().iter().map(super::views::token).collect());
            }
            ReaderMsg::Events { query, reply } => {
                let page = events(&store, &query);
                let _ = reply.send(page.map_err(|e| OwnerError::History(e.to_string())));
            }
            ReaderMsg::Metrics(scrape, reply) => {
                let active = alerts.active(&engine);
                let _ = reply.send(metrics(&engine, &tally, &scrape, commits, &active));
            }
        }
    }
}

/// The metrics exposition from the replica; `None` when `remote_read`
/// keeps the licensing state from remote readers.
fn metrics(
    engine: &Engine,
    tally: &Tally,
    scrape: &Scrape,
    commits: &CommitLatency,
    alerts: &[crate::protocol::alerts::Alert],
) -> Option<String> {
    let settings = engine.settings();
    if settings.remote_read == crate::engine::types::RemoteRead::ProductsOnly {
        return None;
    }
    let status = super::views::status(engine.select(now(), &Select::ALL), engine);
    Some(super::metrics::render(&super::metrics::Inputs {
        status: &status,
        tally,
        scrape,
        commits,
        burst_length: settings.burst_length,
        options: engine.options(),
        denials: engine.denial_counts(),
        alerts,
    }))
}

/// What the engine builds for `query`: only the parts and the feature
/// asked for.
fn selection(query: &StatusQuery) -> Select<'_> {
    Select {
        feature: query.feature.as_deref(),
        pools: query.wants(StatusPart::Pools),
        sessions: query.wants(StatusPart::Sessions),
        checkouts: query.wants(StatusPart::Checkouts),
        assignments: query.wants(StatusPart::Assignments),
        connections: query.wants(StatusPart::Connections),
    }
}

/// The most events one `events` request returns.
const MAX_EVENTS: u32 = 10_000;
/// The most events one `events` request examines: a narrow filter over a
/// long history answers in bounded time, and the client goes on from
/// `next`.
const MAX_EXAMINED: usize = 100_000;

/// The events `query` asks for, read from the store a page at a time.
fn events(store: &Store, query: &EventQuery) -> Result<EventPage, StoreError> {
    let limit = query.limit.min(MAX_EVENTS) as usize;
    let (mut after, mut examined, mut events) = (query.after, 0, Vec::new());
    while events.len() < limit && examined < MAX_EXAMINED {
        let page = store.events_after(after, MAX_EVENTS)?;
        if page.is_empty() {
            return Ok(EventPage { events, next: None });
        }
        for (seq, event) in page {
            (after, examined) = (seq, examined + 1);
            let wanted = super::views::event(seq, event).filter(|e| query.matches(e));
            events.extend(wanted);
            if events.len() == limit {
                break;
            }
        }
    }
    Ok(EventPage {
        events,
        next: Some(after),
    })
}

/// What the owner thread holds.
struct Owner {
    engine: Engine,
    store: Store,
    log: Arc<Mutex<DebugLog>>,
    reader: Sender<ReaderMsg>,
    /// The last write failed (said once in the log, until one succeeds).
    failing: bool,
    /// A batch could not be written and the engine could not be rebuilt
    /// from the store either: it may hold changes that are not durable, so
    /// nothing is decided until a rebuild succeeds.
    stale: bool,
    /// A batch's debug log lines until its commit, its memory kept.
    pending_log: DebugLog,
    /// The write-ahead log has grown past its limit: copy the rest of it
    /// into the database between two batches, so the next commit starts
    /// it over.
    start_over: Arc<AtomicBool>,
    /// Dropped with the owner: the checkpoint thread makes a last one and ends.
    _stop_checkpoints: Sender<()>,
    /// Each commit's time, for the metrics.
    commits: Arc<CommitLatency>,
}

impl Owner {
    fn run(&mut self, rx: Receiver<Command>) {
        // Reused from batch to batch: grown once, not page-faulted afresh
        // for every batch.
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut next_tick = Instant::now() + TICK;
        loop {
            let wait = next_tick.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(c) => batch.push(c),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(c) => batch.push(c),
                    Err(_) => break,
                }
            }
            // Time passes for the rules (heartbeats missed, TIMEOUT, leases,
            // burst mode) once a second, however busy the server is.
            if Instant::now() >= next_tick {
                batch.push(Command::Handle {
                    request: Request::Tick,
                    reply: oneshot::channel().0,
                });
                next_tick = Instant::now() + TICK;
            }
            self.run_batch(&mut batch);
            if self.start_over.load(Ordering::Relaxed) {
                self.start_log_over();
            }
        }
    }

    /// Copies what is left of the write-ahead log into the database, after
    /// a batch's answers are sent: little, since the checkpoint thread has
    /// copied the rest. Once all of it is, the next commit starts the log
    /// over. If a reader still holds an older page, the next batch tries
    /// again.
    fn start_log_over(&mut self) {
        if self.store.checkpoint().is_ok_and(|wal| wal.whole()) {
            self.start_over.store(false, Ordering::Relaxed);
        }
    }

    /// Decides one request, logs it in FlexNet's format, applies its events.
    fn decide(
        &mut self,
        log: &mut DebugLog,
        now: Time,
        request: Request,
    ) -> (Decision, Vec<Event>) {
        // What a refused checkout is remembered by, kept before the request
        // is handed over (cheaper than cloning the whole request).
        let asked = match &request {
            Request::Checkout(c) => Some(DenialView {
                at: now,
                feature: c.feature.clone(),
                version: c.version.clone(),
                user: c.user.clone(),
                device: c.device.clone(),
                host: c.host.clone(),
                code: Code::of(0),
                reason: String::new(),
            }),
            _ => None,
        };
        if asked.is_some() && failpoint::armed("engine-panic") {
            panic!("failpoint engine-panic");
        }
        let (decision, events) = self.engine.decide(now, request);
        let quiet = self.engine.options().no_log(crate::options::NoLog::Denied);
        let mut events = events;
        if let (Some(mut denial), Decision::Denied(d)) = (asked, &decision) {
            if !quiet {
                log.denied(now, &denial.feature, &denial.user, &denial.host, d);
            }
            denial.code = d.code;
            denial.reason.clone_from(&d.reason);
            // Kept like a grant, so that the counts survive a restart.
            events.push(Event::Denied(Box::new(denial)));
        }
        for e in &events {
            log.event(&self.engine, e);
            self.engine.apply(e);
        }
        (decision, events)
    }

    /// Decides and answers the batch's commands, leaving it empty.
    fn run_batch(&mut self, commands: &mut Vec<Command>) {
        let batch = commands.drain(..);
        if self.stale && !self.rebuild() {
            for command in batch {
                match command {
                    Command::Handle { reply, .. } => {
                        let _ = reply.send(Err(OwnerError::Stale));
                    }
                    Command::Probe { reply, .. } => {
                        let _ = reply.send(Err(OwnerError::Stale));
                    }
                    Command::Accounts { reply } => {
                        let _ = reply.send(self.engine.accounts().clone());
                    }
                }
            }
            return;
        }
        let now = now();
        let mut events: Vec<Event> = Vec::with_capacity(batch.len());
        let mut replies = Vec::with_capacity(batch.len());
        let mut log = std::mem::replace(&mut self.pending_log, DebugLog::memory());
        log.continue_from(&self.lock_log());
        for command in batch {
            match command {
                Command::Handle { request, reply } => {
                    let (decision, new) = self.decide(&mut log, now, request);
                    events.extend(new);
                    replies.push((reply, decision));
                }
                Command::Probe {
                    feature,
                    version,
                    reply,
                } => {
                    let _ = reply.send(Ok(self.engine.probe(now, &feature, &version).map(drop)));
                }
                Command::Accounts { reply } => {
                    let _ = reply.send(self.engine.accounts().clone());
                }
            }
        }
        let written = if events.is_empty() {
            Ok(())
        } else {
            let started = Instant::now();
            let written = self.store.append(&events);
            self.commits.record(started.elapsed());
            written
        };
        match written {
            Ok(()) => {
                if self.failing && !events.is_empty() {
                    self.failing = false;
                    say(&self.log, "lmgrd", "The state database is writable again");
                }
                self.lock_log().append(&mut log);
                // The replica learns the batch before anyone hears of it.
                if !events.is_empty() {
                    let _ = self.reader.send(ReaderMsg::Apply(events));
                }
                for (reply, decision) in replies {
                    let _ = reply.send(Ok(decision));
                }
            }
            Err(e) => {
                // Nothing of this batch is durable: forget it, and say so.
                log.clear();
                self.rebuild();
                let error = OwnerError::NotDurable(self.write_failed(&e));
                for (reply, _) in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
        self.pending_log = log;
    }

    fn lock_log(&self) -> std::sync::MutexGuard<'_, DebugLog> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Rebuilds the engine (and the reader's replica) from the store, after
    /// a batch that could not be written; says whether it could.
    fn rebuild(&mut self) -> bool {
        match recover(&self.store).map(|r| r.engine) {
            Ok(engine) => {
                self.engine = engine;
                self.stale = false;
                let _ = self
                    .reader
                    .send(ReaderMsg::Replace(Box::new(self.engine.clone())));
                true
            }
            Err(_) => {
                self.stale = true;
                false
            }
        }
    }

    /// Says once in the log that the store cannot be written, and what a
    /// refused request is told. A disk that refused a write (full,
    /// read-only) gets a fresh connection next time, so the server recovers
    /// by itself when the disk does.
    fn write_failed(&mut self, e: &StoreError) -> String {
        let disk = Store::is_disk_error(e);
        if !self.failing {
            self.failing = true;
            let line = format!(
                "The state database cannot be written: {e}; changes are refused until it can be"
            );
            say(&self.log, "lmgrd", &line);
        }
        if disk {
            if let Ok(fresh) = self.store.connect()
                && fresh.leave_checkpoints().is_ok()
            {
                self.store = fresh;
            }
            format!(
                "the state database cannot be written ({e}); the server refuses changes until \
                 its disk accepts writes again, and still answers status"
            )
        } else {
            format!("the decision could not be made durable: {e}")
        }
    }
}
