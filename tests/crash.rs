//! Crash safety under load: products check out, check in and have their
//! user/device licenses released while lmgrd is killed with SIGKILL at a
//! random moment; it is restarted and the harness checks, against its own
//! record of what was acknowledged:
//!
//! - every acknowledged grant, user/device assignment and release is there;
//! - nothing unacknowledged is (only a request in flight at the kill may
//!   have gone either way);
//! - no pool has more in use than installed (these pools have no burst);
//! - every product reconnects to its session and finds its checkouts, and a
//!   repeated checkout shares its license instead of taking a second one.
//!
//! `LMUTIL_CRASH_ROUNDS` sets the number of kill-and-restart rounds (3 by
//! default; docs/reliability.md records a run of 50), `LMUTIL_CRASH_SEED`
//! the random seed (printed, so a failing run can be repeated).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use lmutil::client::{CheckoutArgs, ClientError, Connection, ProductSession};
use lmutil::protocol::Request;
use lmutil::protocol::status::Status;

use crate::common::{License, TestDaemon};

const CCU: &str = "XDT_PLT_CCU";
const UD: &str = "XDT_ENT_UD";
const WORKERS: usize = 3;
/// Devices per worker for concurrent checkouts: more than fit, so some are
/// denied at the limit.
const CCU_DEVICES: u64 = 20;
/// Users per worker for user/device checkouts (each on a device of its own).
const UD_USERS: u64 = 8;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// What one product has been told, and what it asked last.
#[derive(Default)]
struct Model {
    /// Acknowledged grants not acknowledged as checked in: handle -> (feature, user).
    held: BTreeMap<u64, (&'static str, String)>,
    /// User/device users with an acknowledged assignment since their last
    /// acknowledged release.
    assigned: BTreeSet<String>,
    /// Users whose last acknowledged change was a release.
    released: BTreeSet<String>,
    /// The request in flight when the server died, if any.
    in_flight: Option<Op>,
    /// Acknowledged grants, checkins and releases, over all rounds.
    acked: [u64; 3],
}

#[derive(Debug, Clone)]
enum Op {
    Checkout { feature: &'static str, user: String },
    Checkin { handle: u64 },
    Release { user: String },
}

/// One product: its session, an admin connection for releases, its record.
struct Worker {
    id: usize,
    product: ProductSession,
    admin: Connection,
    model: Model,
    rng: Rng,
}

fn lost(e: &ClientError) -> bool {
    matches!(e, ClientError::Frame(_) | ClientError::Connect { .. })
}

impl Worker {
    fn user(&self, k: u64) -> String {
        format!("w{}u{k}", self.id)
    }

    /// Runs random requests until the server goes away; returns self with
    /// the request in flight recorded.
    async fn run(mut self) -> Self {
        loop {
            let op = self.pick();
            if let Err(e) = self.apply(op.clone()).await {
                assert!(lost(&e), "worker {}: {op:?}: {e}", self.id);
                self.model.in_flight = Some(op);
                return self;
            }
        }
    }

    fn pick(&mut self) -> Op {
        // Past 60 checkouts held, check in more than out.
        let roll = match self.rng.below(10) {
            r if self.model.held.len() > 60 && r < 5 => 5 + r % 4,
            r => r,
        };
        if roll < 3 {
            let user = format!("d{}", self.rng.below(CCU_DEVICES));
            return Op::Checkout { feature: CCU, user };
        }
        if roll < 5 {
            let k = self.rng.below(UD_USERS);
            let user = self.user(k);
            return Op::Checkout { feature: UD, user };
        }
        if roll < 9 && !self.model.held.is_empty() {
            let n = self.rng.below(self.model.held.len() as u64) as usize;
            let handle = *self.model.held.keys().nth(n).expect("in range");
            return Op::Checkin { handle };
        }
        // Release a user/device user with no checkout held.
        let k = self.rng.below(UD_USERS);
        let user = self.user(k);
        if self.model.held.values().any(|(_, u)| *u == user) {
            return Op::Checkout { feature: UD, user };
        }
        Op::Release { user }
    }

    async fn apply(&mut self, op: Op) -> Result<(), ClientError> {
        match op {
            Op::Checkout { feature, user } => {
                let device = format!("w{}-{user}", self.id);
                let args = CheckoutArgs {
                    feature,
                    version: "2026.0101",
                    user: &user,
                    device: &device,
                    display: &device,
                    count: 1,
                };
                match self.product.checkout(args).await {
                    Ok(handle) => {
                        if feature == UD {
                            self.model.released.remove(&user);
                            self.model.assigned.insert(user.clone());
                        }
                        self.model.held.insert(handle, (feature, user));
                        self.model.acked[0] += 1;
                        Ok(())
                    }
                    Err(ClientError::Refused(e)) if e.code == -4 => Ok(()),
                    Err(e) => Err(e),
                }
            }
            Op::Checkin { handle } => {
                self.product.checkin(handle).await?;
                self.model.held.remove(&handle);
                self.model.acked[1] += 1;
                Ok(())
            }
            Op::Release { user } => {
                let request = Request::Release {
                    feature: Some(UD.to_owned()),
                    user: Some(user.clone()),
                    device: None,
                };
                match self.admin.request(request).await {
                    Ok(_) => {
                        self.model.assigned.remove(&user);
                        self.model.released.insert(user);
                        self.model.acked[2] += 1;
                        Ok(())
                    }
                    // Nothing to release: nothing changed.
                    Err(ClientError::Refused(e)) if e.code == -5 => Ok(()),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Takes what the server says happened to the request in flight, once
    /// it has been checked to be one of the two possible outcomes.
    fn settle(&mut self, snap: &Status) {
        let Some(op) = self.model.in_flight.take() else {
            return;
        };
        let session = self.product.session;
        match op {
            Op::Checkout { feature, user } => {
                let known: BTreeSet<u64> = self.model.held.keys().copied().collect();
                let new: Vec<_> = snap
                    .checkouts
                    .iter()
                    .filter(|c| c.session == session && !known.contains(&c.handle))
                    .collect();
                assert!(new.len() <= 1, "worker {}: {new:?}", self.id);
                if let Some(c) = new.first() {
                    assert_eq!(c.feature, feature);
                    self.model.held.insert(c.handle, (feature, user.clone()));
                }
                if feature == UD && has_connection(snap, &user) {
                    self.model.released.remove(&user);
                    self.model.assigned.insert(user);
                }
            }
            Op::Checkin { handle } => {
                if !snap.checkouts.iter().any(|c| c.handle == handle) {
                    self.model.held.remove(&handle);
                }
            }
            Op::Release { user } => {
                if !has_connection(snap, &user) && self.model.assigned.remove(&user) {
                    self.model.released.insert(user);
                }
            }
        }
    }
}

fn has_connection(snap: &Status, user: &str) -> bool {
    snap.connections
        .iter()
        .any(|c| c.feature == UD && c.user == user)
}

/// The user the request in flight is about, and the handle it names.
fn in_flight_user(op: &Option<Op>) -> (Option<&str>, Option<u64>) {
    match op {
        Some(Op::Checkout { user, .. } | Op::Release { user }) => (Some(user), None),
        Some(Op::Checkin { handle }) => (None, Some(*handle)),
        None => (None, None),
    }
}

/// Checks the restarted server against what each worker was told.
fn check(round: usize, snap: &Status, workers: &[Worker]) {
    let all_held: BTreeSet<u64> = workers
        .iter()
        .flat_map(|w| w.model.held.keys().copied())
        .collect();
    for w in workers {
        let (flying_user, flying_handle) = in_flight_user(&w.model.in_flight);
        let session = w.product.session;
        // Every acknowledged grant is there, under its session.
        for (handle, (feature, _)) in &w.model.held {
            let found = snap.checkouts.iter().find(|c| c.handle == *handle);
            match found {
                Some(c) => assert_eq!((c.session, c.feature.as_str()), (session, *feature)),
                None if flying_handle == Some(*handle) => {}
                None => panic!("round {round}: acknowledged grant {handle} lost"),
            }
        }
        // Nothing unacknowledged: at most the checkout in flight besides.
        let extra: Vec<u64> = snap
            .checkouts
            .iter()
            .filter(|c| c.session == session && !all_held.contains(&c.handle))
            .map(|c| c.handle)
            .collect();
        let may_have_one = matches!(w.model.in_flight, Some(Op::Checkout { .. }));
        assert!(
            extra.len() <= usize::from(may_have_one),
            "round {round}: worker {} holds unacknowledged grants {extra:?}",
            w.id
        );
        // Assignments and releases as acknowledged.
        for user in &w.model.assigned {
            if Some(user.as_str()) != flying_user {
                assert!(
                    has_connection(snap, user),
                    "round {round}: assignment of {user} lost"
                );
            }
        }
        for user in &w.model.released {
            if Some(user.as_str()) != flying_user {
                assert!(
                    !has_connection(snap, user),
                    "round {round}: release of {user} lost"
                );
            }
        }
        for c in snap.connections.iter().filter(|c| c.feature == UD) {
            let ours = c.user.starts_with(&format!("w{}u", w.id));
            if ours && Some(c.user.as_str()) != flying_user {
                assert!(
                    w.model.assigned.contains(&c.user),
                    "round {round}: unacknowledged assignment {c:?}"
                );
            }
        }
    }
    for pool in &snap.pools {
        assert!(
            pool.in_use <= pool.installed,
            "round {round}: {pool:?} over its installed count"
        );
    }
}

fn in_use(snap: &Status) -> Vec<(String, u64)> {
    snap.pools
        .iter()
        .map(|p| (p.key.feature.clone(), p.in_use))
        .collect()
}

/// Reconnects every product and checks nothing was granted twice: the same
/// checkouts, the same counts, and a repeated concurrent checkout shares.
async fn reconnect_all(round: usize, d: &TestDaemon, workers: &mut [Worker]) {
    let before = d.status().await;
    for w in workers.iter_mut() {
        let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
        w.product.reconnect(conn).await.unwrap();
        w.admin = Connection::unix(&d.socket).await.unwrap();
    }
    let after = d.status().await;
    let handles = |s: &Status| -> BTreeSet<u64> { s.checkouts.iter().map(|c| c.handle).collect() };
    assert_eq!(handles(&before), handles(&after), "round {round}");
    assert_eq!(in_use(&before), in_use(&after), "round {round}");
    // A device that holds a concurrent license checks out again: shared.
    let w = &mut workers[0];
    let Some((_, device)) = w.model.held.values().find(|(f, _)| *f == CCU) else {
        return;
    };
    let device = device.clone();
    let args = CheckoutArgs {
        feature: CCU,
        version: "2026.0101",
        user: &device,
        device: &format!("w0-{device}"),
        display: "again",
        count: 1,
    };
    let again = w.product.checkout(args).await.unwrap();
    let ccu = |s: &Status| in_use(s).into_iter().find(|(f, _)| f == CCU);
    assert_eq!(
        ccu(&after),
        ccu(&d.status().await),
        "round {round}: granted twice"
    );
    w.product.checkin(again).await.unwrap();
}

#[test]
fn acknowledged_state_survives_sigkill_under_load() {
    let rounds: usize = std::env::var("LMUTIL_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let seed: u64 = std::env::var("LMUTIL_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash harness: {rounds} rounds, LMUTIL_CRASH_SEED={seed}");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let root = TestDaemon::root();
    License::new()
        .increment(CCU, 40)
        .vendor_string(";LT=Eval")
        .dup_group("V")
        .issued("01-dec-2026")
        .increment(UD, 20)
        .vendor_string(";LT=Eval")
        .issued("01-dec-2026")
        .install(root.path(), "licenses.lic");
    let mut d = TestDaemon::start(root);
    let mut rng = Rng(seed);
    let mut workers: Vec<Worker> = rt.block_on(async {
        let mut out = Vec::new();
        for id in 0..WORKERS {
            let conn = Connection::tcp(&d.vendor_addr()).await.unwrap();
            out.push(Worker {
                id,
                product: ProductSession::start(conn, &format!("ddc{id}"))
                    .await
                    .unwrap(),
                admin: Connection::unix(&d.socket).await.unwrap(),
                model: Model::default(),
                rng: Rng(rng.below(u64::MAX) | 1),
            });
        }
        out
    });
    let mut acknowledged = [0u64; 3];
    for round in 1..=rounds {
        let pid = nix::unistd::Pid::from_raw(d.child.id() as i32);
        let delay = Duration::from_millis(20 + rng.below(400));
        workers = rt.block_on(async {
            let tasks: Vec<_> = workers.into_iter().map(|w| tokio::spawn(w.run())).collect();
            tokio::time::sleep(delay).await;
            nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        });
        d = TestDaemon::start(d.kill());
        rt.block_on(async {
            let snap = d.status().await;
            check(round, &snap, &workers);
            for w in &mut workers {
                w.settle(&snap);
            }
            reconnect_all(round, &d, &mut workers).await;
        });
        let held: usize = workers.iter().map(|w| w.model.held.len()).sum();
        acknowledged = [0, 1, 2].map(|i| workers.iter().map(|w| w.model.acked[i]).sum());
        eprintln!(
            "round {round}: killed after {delay:?}; {held} checkouts held, all present; \
             acknowledged so far: {} grants, {} checkins, {} releases",
            acknowledged[0], acknowledged[1], acknowledged[2]
        );
    }
    eprintln!(
        "crash harness: {rounds} rounds passed; {} grants, {} checkins, {} releases acknowledged",
        acknowledged[0], acknowledged[1], acknowledged[2]
    );
}
