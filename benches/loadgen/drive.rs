//! Driving product sessions: open them, then let each run checkouts and
//! checkins in a closed loop (as fast as answers come) or at a fixed rate
//! (open loop: a late answer does not delay the next request's schedule,
//! and the wait counts in its latency).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lmutil::client::{CheckoutArgs, ClientError, Connection, ProductSession};
use tokio::sync::Semaphore;

use crate::daemon::{CCU, UD, VERSION};

use crate::rng::Rng;

/// Opens `n` product sessions over TCP, at most `parallel` connecting at once.
pub async fn open_sessions(
    addr: &str,
    n: usize,
    parallel: usize,
) -> anyhow::Result<Vec<ProductSession>> {
    let gate = Arc::new(Semaphore::new(parallel));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (gate, addr) = (gate.clone(), addr.to_owned());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let conn = Connection::tcp(&addr).await?;
            let host = format!("ddc{i}.load.example");
            Ok::<_, anyhow::Error>(ProductSession::start(conn, &host).await?)
        }));
    }
    let mut sessions = Vec::with_capacity(n);
    for t in tasks {
        sessions.push(t.await??);
    }
    Ok(sessions)
}

/// What each session does.
#[derive(Debug, Clone)]
pub struct Mix {
    /// Share of checkouts that are user/device (the rest concurrent).
    pub ud_share: f64,
    pub users: u64,
    pub devices: u64,
    /// Checkouts a session holds before checking in its oldest.
    pub held: usize,
}

/// When and how fast.
#[derive(Debug, Clone)]
pub struct Load {
    pub warmup: Duration,
    pub measure: Duration,
    /// Checkouts per second over all sessions; `None`: closed loop.
    pub rate: Option<f64>,
    pub mix: Mix,
}

/// What the sessions did in the measured window.
#[derive(Debug, Default)]
pub struct Tally {
    pub checkouts: u64,
    pub checkins: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Microseconds.
    pub checkout_us: Vec<u32>,
    pub checkin_us: Vec<u32>,
}

impl Tally {
    fn error(&mut self, e: &ClientError) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(e.to_string());
        }
    }

    pub fn merge(&mut self, other: Tally) {
        self.checkouts += other.checkouts;
        self.checkins += other.checkins;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.checkout_us.extend(other.checkout_us);
        self.checkin_us.extend(other.checkin_us);
    }
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// Runs every session for `load`, from `t0`; counts what starts in
/// [t0 + warmup, t0 + warmup + measure).
pub async fn run(sessions: Vec<ProductSession>, load: Load, t0: Instant) -> Tally {
    let n = sessions.len();
    let load = Arc::new(load);
    let tasks: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let load = load.clone();
            tokio::spawn(async move { session(s, i, n, &load, t0).await })
        })
        .collect();
    let mut tally = Tally::default();
    for t in tasks {
        if let Ok(one) = t.await {
            tally.merge(one);
        }
    }
    tally
}

async fn session(
    mut s: ProductSession,
    index: usize,
    sessions: usize,
    load: &Load,
    t0: Instant,
) -> Tally {
    let mut rng = Rng::new(index as u64 + 1);
    let from = t0 + load.warmup;
    let until = from + load.measure;
    let interval = load
        .rate
        .map(|r| Duration::from_secs_f64(sessions as f64 / r));
    // Spread the sessions' schedules over one interval.
    let mut next = t0
        + interval.map_or(Duration::ZERO, |i| {
            i.mul_f64(rng.below(1000) as f64 / 1000.0)
        });
    let mut held: VecDeque<u64> = VecDeque::new();
    let mut tally = Tally::default();
    let mix = &load.mix;
    loop {
        let now = Instant::now();
        let start = match interval {
            Some(_) if now < next => {
                tokio::time::sleep_until(next.into()).await;
                Instant::now()
            }
            // Behind schedule: the request was due at `next`; the wait counts.
            Some(_) => next,
            None => now,
        };
        if start >= until {
            break;
        }
        let counted = start >= from;
        let ud = (rng.below(1_000_000) as f64) < mix.ud_share * 1_000_000.0;
        let user = format!("user{}", rng.below(mix.users));
        let device = format!("dev{}", rng.below(mix.devices));
        let args = CheckoutArgs {
            feature: if ud { UD } else { CCU },
            version: VERSION,
            user: &user,
            device: &device,
            display: "",
            count: 1,
        };
        let result = s.checkout(args).await;
        if counted {
            tally.checkout_us.push(micros(start.elapsed()));
            tally.checkouts += 1;
        }
        match result {
            Ok(handle) => held.push_back(handle),
            Err(e) => tally.error(&e),
        }
        while held.len() > mix.held {
            let handle = held.pop_front().expect("not empty");
            let t = Instant::now();
            let result = s.checkin(handle).await;
            if counted {
                tally.checkin_us.push(micros(t.elapsed()));
                tally.checkins += 1;
            }
            if let Err(e) = result {
                tally.error(&e);
            }
        }
        if let Some(i) = interval {
            next += i;
        }
    }
    tally
}

/// Which checkout number `k` is: feature, user and device.
pub type What = Arc<dyn Fn(u64) -> (&'static str, String, String) + Send + Sync>;

/// Fills the server: session `i` of `n` makes the checkouts `k` with
/// `k % n == i`, for `k` in `range`; `what(k)` says feature, user and device;
/// with `checkin`, each is checked in right after (a user/device connection
/// stays assigned for its lease). Returns the tally (latencies of every
/// checkout) and the sessions, to go on with.
pub async fn fill(
    sessions: Vec<ProductSession>,
    range: std::ops::Range<u64>,
    checkin: bool,
    what: What,
) -> (Tally, Vec<ProductSession>) {
    let n = sessions.len() as u64;
    let tasks: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(i, mut s)| {
            let (range, what) = (range.clone(), what.clone());
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let first = range.start + (i as u64 + n - range.start % n) % n;
                let mut k = first;
                while k < range.end {
                    let (feature, user, device) = what(k);
                    let args = CheckoutArgs {
                        feature,
                        version: VERSION,
                        user: &user,
                        device: &device,
                        display: "",
                        count: 1,
                    };
                    let t = Instant::now();
                    let result = s.checkout(args).await;
                    tally.checkout_us.push(micros(t.elapsed()));
                    tally.checkouts += 1;
                    match result {
                        Ok(handle) if checkin => {
                            let t = Instant::now();
                            if let Err(e) = s.checkin(handle).await {
                                tally.error(&e);
                            }
                            tally.checkin_us.push(micros(t.elapsed()));
                            tally.checkins += 1;
                        }
                        Ok(_) => {}
                        Err(e) => tally.error(&e),
                    }
                    k += n;
                }
                (tally, s)
            })
        })
        .collect();
    let mut tally = Tally::default();
    let mut back = Vec::new();
    for t in tasks {
        if let Ok((one, s)) = t.await {
            tally.merge(one);
            back.push(s);
        }
    }
    (tally, back)
}

/// p50, p99 and p99.9 of `us`, in milliseconds, and the maximum.
pub fn percentiles(us: &mut [u32]) -> String {
    if us.is_empty() {
        return "no samples".to_owned();
    }
    us.sort_unstable();
    let at = |q: f64| {
        let i = ((us.len() as f64 * q).ceil() as usize).clamp(1, us.len()) - 1;
        f64::from(us[i]) / 1000.0
    };
    format!(
        "p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms ({} samples)",
        at(0.5),
        at(0.99),
        at(0.999),
        f64::from(us[us.len() - 1]) / 1000.0,
        us.len()
    )
}
