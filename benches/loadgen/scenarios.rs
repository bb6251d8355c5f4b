//! The scenarios: each starts its server, drives it, and prints its figures.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::ArgMatches;
use lmutil::client::Connection;
use lmutil::protocol::{Request, Response};

use crate::daemon::{self, CCU, Proc, Server, UD, proc_of};
use crate::drive::{self, Load, Mix, Tally};
use crate::{get, getf};

/// Prints the machine and its load, so every figure says where it was taken.
pub fn machine() {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or_else(String::new, |m| m.trim().to_owned());
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    println!(
        "machine: {cpus} CPUs ({model}); load average {} before the run",
        load.join(" ")
    );
}

/// The limit on open files, raised (soft and hard) to at least `want`,
/// or to the hard limit when it cannot be raised.
/// Children, such as the server, inherit it.
fn raise_nofile(want: u64) -> anyhow::Result<()> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    if soft >= want {
        return Ok(());
    }
    if setrlimit(Resource::RLIMIT_NOFILE, want, want.max(hard)).is_err() {
        // Raising the hard limit needs CAP_SYS_RESOURCE: take what there is.
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
        println!("open files: the hard limit is {hard}, below the {want} wanted");
    }
    Ok(())
}

fn server_line(what: &str, before: Proc, after: Proc, seconds: f64, per: u64) {
    let cpu = after.cpu.saturating_sub(before.cpu).as_secs_f64();
    let each = if per == 0 {
        String::new()
    } else {
        format!("; {:.1} µs a checkout", cpu * 1e6 / per as f64)
    };
    println!(
        "{what}: CPU {:.2} s in {:.1} s ({:.0}% of one core{each}); \
         RSS {} MiB, peak {} MiB; {} threads, {} open files",
        cpu,
        seconds,
        100.0 * cpu / seconds,
        after.rss_kib / 1024,
        after.hwm_kib / 1024,
        after.threads,
        after.fds
    );
}

fn errors_line(t: &Tally) {
    match &t.first_error {
        None => println!("errors: 0"),
        Some(e) => println!("errors: {} (first: {e})", t.errors),
    }
}

/// Checkouts and checkins from N sessions for a bounded time.
pub async fn checkouts(m: &ArgMatches) -> anyhow::Result<()> {
    let n = get(m, "sessions") as usize;
    raise_nofile(n as u64 + 4096)?;
    let echo = m.get_one::<String>("target").map(String::as_str) == Some("echo");
    let _root;
    let server = if echo {
        Server::echo(get(m, "server-threads") as usize)?
    } else {
        _root = daemon::prepare(10_000_000)?;
        Server::lmgrd(_root.path())?
    };
    let what = if echo { "echo server" } else { "lmgrd" };
    let t = Instant::now();
    let sessions = drive::open_sessions(&server.addr(), n, 256).await?;
    println!(
        "{what}: ready in {:.3} s; {n} sessions opened in {:.3} s",
        server.ready_after.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );
    let rate = getf(m, "rate");
    let load = Load {
        warmup: Duration::from_secs_f64(getf(m, "warmup")),
        measure: Duration::from_secs_f64(getf(m, "seconds")),
        rate: (rate > 0.0).then_some(rate),
        mix: Mix {
            ud_share: getf(m, "ud-share"),
            users: get(m, "users"),
            devices: get(m, "devices"),
            held: get(m, "held") as usize,
        },
    };
    println!("load: {load:?}");
    let t0 = Instant::now();
    let (from, until) = (t0 + load.warmup, t0 + load.warmup + load.measure);
    let seconds = load.measure.as_secs_f64();
    let run = tokio::spawn(drive::run(sessions, load, t0));
    let every = getf(m, "scrape-every");
    let scraping = (every > 0.0).then(|| {
        let port = server.http_port;
        let every = Duration::from_secs_f64(every);
        tokio::spawn(async move { scrape_until(port, every, from, until).await })
    });
    tokio::time::sleep_until(from.into()).await;
    let (before, me_before) = (proc_of(server.pid()), proc_of(std::process::id()));
    tokio::time::sleep_until(until.into()).await;
    let (after, me_after) = (proc_of(server.pid()), proc_of(std::process::id()));
    let mut tally = run.await?;
    println!(
        "throughput: {:.0} checkouts/s, {:.0} requests/s ({} checkouts, {} checkins in {seconds:.1} s)",
        tally.checkouts as f64 / seconds,
        (tally.checkouts + tally.checkins) as f64 / seconds,
        tally.checkouts,
        tally.checkins
    );
    println!(
        "checkout latency: {}",
        drive::percentiles(&mut tally.checkout_us)
    );
    println!(
        "checkin latency: {}",
        drive::percentiles(&mut tally.checkin_us)
    );
    server_line(what, before, after, seconds, tally.checkouts);
    let mine = me_after.cpu.saturating_sub(me_before.cpu).as_secs_f64();
    println!(
        "generator: CPU {mine:.2} s ({:.0}% of one core)",
        100.0 * mine / seconds
    );
    errors_line(&tally);
    if let Some(scraping) = scraping {
        let mut took = scraping.await??;
        println!(
            "GET /metrics meanwhile: {} scrapes, {}",
            took.len(),
            drive::percentiles(&mut took)
        );
    }
    Ok(())
}

/// GET /metrics on `port`: how long the whole answer took, and its size.
async fn scrape(port: Option<u16>) -> anyhow::Result<(Duration, usize)> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let Some(port) = port else {
        bail!("this lmgrd has no HTTP port");
    };
    let t = Instant::now();
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).await?;
    let took = t.elapsed();
    if !answer.starts_with(b"HTTP/1.1 200") {
        let head = String::from_utf8_lossy(&answer[..answer.len().min(200)]).into_owned();
        bail!("GET /metrics: {head}");
    }
    Ok((took, answer.len()))
}

/// Scrapes every `every` from `from` until `until`: each scrape's time in
/// microseconds.
async fn scrape_until(
    port: Option<u16>,
    every: Duration,
    from: Instant,
    until: Instant,
) -> anyhow::Result<Vec<u32>> {
    tokio::time::sleep_until(from.into()).await;
    let mut took = Vec::new();
    let mut next = Instant::now();
    while next < until {
        let (t, _) = scrape(port).await?;
        took.push(u32::try_from(t.as_micros()).unwrap_or(u32::MAX));
        next += every;
        tokio::time::sleep_until(next.into()).await;
    }
    Ok(took)
}

/// Bytes of the state database and its write-ahead log.
fn store_bytes(root: &std::path::Path) -> u64 {
    ["state.db", "state.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(root.join("data").join(f)).ok())
        .map(|m| m.len())
        .sum()
}

fn report_fill(what: &str, tally: &mut Tally, took: Duration) {
    println!(
        "{what}: {} checkouts in {:.1} s: {:.0} checkouts/s; latency {}",
        tally.checkouts,
        took.as_secs_f64(),
        tally.checkouts as f64 / took.as_secs_f64(),
        drive::percentiles(&mut tally.checkout_us)
    );
}

/// Holds many concurrent checkouts (each from its own endpoint device, so
/// each holds a license): memory per checkout; then lmstat's time.
pub async fn hold(m: &ArgMatches) -> anyhow::Result<()> {
    let (count, n) = (get(m, "checkouts"), get(m, "sessions") as usize);
    raise_nofile(n as u64 + 4096)?;
    let root = daemon::prepare_with(count.max(1) * 2, get(m, "pools"))?;
    let server = Server::lmgrd(root.path())?;
    let sessions = drive::open_sessions(&server.addr(), n, 256).await?;
    let before = proc_of(server.pid());
    let t = Instant::now();
    let what: drive::What = Arc::new(|k| (CCU, format!("user{}", k % 50_000), format!("dev{k}")));
    let (mut tally, _sessions) = drive::fill(sessions, 0..count, false, what).await;
    let took = t.elapsed();
    report_fill("fill", &mut tally, took);
    // Let the reader replica catch up before measuring memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = proc_of(server.pid());
    let grown = after.rss_kib.saturating_sub(before.rss_kib) * 1024;
    println!(
        "memory: RSS {} MiB before, {} MiB after, peak {} MiB: {:.0} bytes a held checkout \
         (engine and its read replica); store {} MiB",
        before.rss_kib / 1024,
        after.rss_kib / 1024,
        after.hwm_kib / 1024,
        grown as f64 / count.max(1) as f64,
        store_bytes(root.path()) / (1 << 20)
    );
    server_line("lmgrd", before, after, took.as_secs_f64(), count);
    errors_line(&tally);
    for _ in 0..get(m, "lmstat") {
        status_time(&server.socket).await?;
        for args in [&["lmstat", "-a"][..], &["lmstat", "--json", "-a"][..]] {
            let t = Instant::now();
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_lmutil"))
                .args(args)
                .env("LMGRD_SOCKET", &server.socket)
                .env_remove("LM_LICENSE_FILE")
                .output()?;
            let took = t.elapsed();
            if !out.status.success() {
                println!(
                    "lmutil {}: failed after {:.3} s ({}): {}",
                    args.join(" "),
                    took.as_secs_f64(),
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                continue;
            }
            let lines = out.stdout.iter().filter(|b| **b == b'\n').count();
            println!(
                "lmutil {}: {:.3} s, {} KiB, {lines} lines",
                args.join(" "),
                took.as_secs_f64(),
                out.stdout.len() / 1024
            );
        }
    }
    for _ in 0..get(m, "scrape") {
        let (took, bytes) = scrape(server.http_port).await?;
        println!(
            "GET /metrics: {:.3} s, {} KiB",
            took.as_secs_f64(),
            bytes / 1024
        );
    }
    if getf(m, "rate") > 0.0 {
        grants_and_api(m, &server, root.path(), n).await?;
    }
    if m.get_flag("restart") {
        recover(server, root.path(), CCU, false).await?;
    }
    Ok(())
}

/// With what `hold` holds: grants at `--rate` from `n` more sessions (each
/// checks its previous checkout in, so the count held stays) while the web
/// services are read every `--api-every` seconds; each one's percentiles.
async fn grants_and_api(
    m: &ArgMatches,
    server: &Server,
    root: &std::path::Path,
    n: usize,
) -> anyhow::Result<()> {
    let sessions = drive::open_sessions(&server.addr(), n, 256).await?;
    let load = Load {
        warmup: Duration::from_secs(2),
        measure: Duration::from_secs_f64(getf(m, "seconds")),
        rate: Some(getf(m, "rate")),
        mix: Mix {
            ud_share: 0.0,
            users: 50_000,
            devices: 1_000_000_000,
            held: 1,
        },
    };
    let paths: Vec<String> = match m.get_many::<String>("api-path") {
        Some(p) => p.cloned().collect(),
        None => vec!["/api/v1/pools".into(), "/api/v1/status?parts=pools".into()],
    };
    let api = Api::new(server, root)?;
    let t0 = Instant::now();
    let (from, until) = (t0 + load.warmup, t0 + load.warmup + load.measure);
    let seconds = load.measure.as_secs_f64();
    let run = tokio::spawn(drive::run(sessions, load, t0));
    let every = getf(m, "api-every");
    let reading = (every > 0.0).then(|| {
        let every = Duration::from_secs_f64(every);
        let paths = paths.clone();
        tokio::spawn(async move { api.read_until(&paths, every, from, until).await })
    });
    let mut tally = run.await?;
    println!(
        "grants meanwhile: {:.0} checkouts/s; checkout latency {}",
        tally.checkouts as f64 / seconds,
        drive::percentiles(&mut tally.checkout_us)
    );
    errors_line(&tally);
    if let Some(reading) = reading {
        for (path, mut took) in paths.iter().zip(reading.await??) {
            println!(
                "GET {path} meanwhile: {} reads, {}",
                took.len(),
                drive::percentiles(&mut took)
            );
        }
    }
    Ok(())
}

/// The web services of a running lmgrd, read with an API token.
struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    /// Makes a token with `lmutil lmtoken` and a client that trusts the
    /// daemon's certificate.
    fn new(server: &Server, root: &std::path::Path) -> anyhow::Result<Api> {
        let Some(port) = server.http_port else {
            bail!("this lmgrd has no HTTP port");
        };
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lmutil"))
            .args(["lmtoken", "-create", "loadgen", "--json"])
            .env("LMGRD_SOCKET", &server.socket)
            .output()?;
        let made: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        let Some(token) = made["created"]["secret"].as_str() else {
            bail!("lmtoken -create: {}", String::from_utf8_lossy(&out.stderr));
        };
        let pem = std::fs::read(root.join("data/https.crt"))?;
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem)?)
            .build()?;
        Ok(Api {
            client,
            base: format!("https://localhost:{port}"),
            token: token.to_owned(),
        })
    }

    /// GETs every path in turn every `every`, from `from` until `until`:
    /// each path's times, in microseconds, in the order of `paths`.
    async fn read_until(
        &self,
        paths: &[String],
        every: Duration,
        from: Instant,
        until: Instant,
    ) -> anyhow::Result<Vec<Vec<u32>>> {
        tokio::time::sleep_until(from.into()).await;
        let mut took = vec![Vec::new(); paths.len()];
        let mut next = Instant::now();
        while next < until {
            for (path, times) in paths.iter().zip(&mut took) {
                let t = Instant::now();
                let answer = self
                    .client
                    .get(format!("{}{path}", self.base))
                    .bearer_auth(&self.token)
                    .send()
                    .await?;
                let status = answer.status();
                answer.bytes().await?;
                if !status.is_success() {
                    bail!("GET {path}: {status}");
                }
                times.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
            next += every;
            tokio::time::sleep_until(next.into()).await;
        }
        Ok(took)
    }
}

/// Kills lmgrd with SIGKILL, starts it again on the same root, and says
/// how long it took to serve again and whether the licenses in use are the
/// same.
async fn recover(
    server: Server,
    root: &std::path::Path,
    feature: &str,
    alternate: bool,
) -> anyhow::Result<Server> {
    let before = in_use(&server.addr(), feature).await?;
    server.kill();
    let t = Instant::now();
    let server = Server::lmgrd_build(root, alternate)?;
    // Would a checkout be granted? Decided by the engine's owner: the
    // server serves checkouts once this is answered.
    let mut conn = Connection::tcp(&server.addr()).await?;
    let diagnose = Request::Diagnose {
        feature: Some(feature.to_owned()),
    };
    match conn.request(diagnose).await? {
        Response::Diagnosis(_) => {}
        other => bail!("unexpected answer {other:?}"),
    }
    let serving = t.elapsed();
    // The pools in use, from the reader's replica: status is served.
    let after = in_use(&server.addr(), feature).await?;
    let p = proc_of(server.pid());
    println!(
        "recovery after kill -9{}: ready in {:.3} s, serving checkouts after {:.3} s, status \
         after {:.3} s; {after} {feature} licenses in use ({}); RSS {} MiB, peak {} MiB{}",
        if alternate {
            " (LOADGEN_LMGRD_ALT)"
        } else {
            ""
        },
        server.ready_after.as_secs_f64(),
        serving.as_secs_f64(),
        t.elapsed().as_secs_f64(),
        if after == before {
            "as before"
        } else {
            "DIFFERENT"
        },
        p.rss_kib / 1024,
        p.hwm_kib / 1024,
        server
            .recovered
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default()
    );
    Ok(server)
}

/// The time of one status request over the control socket (what lmstat
/// asks), without lmstat's own rendering.
async fn status_time(socket: &std::path::Path) -> anyhow::Result<()> {
    let mut conn = Connection::unix(socket).await?;
    let t = Instant::now();
    match conn.request(Request::Status(Default::default())).await? {
        Response::Status(s) => println!(
            "status request: {:.3} s for {} checkouts (server snapshot, encoding, decoding)",
            t.elapsed().as_secs_f64(),
            s.checkouts.len()
        ),
        other => bail!("unexpected answer {other:?}"),
    }
    Ok(())
}

/// Licenses in use of a feature, from the pools the server reports.
async fn in_use(addr: &str, feature: &str) -> anyhow::Result<u64> {
    let mut conn = Connection::tcp(addr).await?;
    match conn.request(Request::Pools).await? {
        Response::Pools { pools } => Ok(pools
            .iter()
            .filter(|p| p.key.feature == feature)
            .map(|p| p.in_use)
            .sum()),
        other => bail!("unexpected answer {other:?}"),
    }
}

/// User/device connections: how admission behaves as they grow, at full
/// size, and how long the server takes to recover them after a crash.
pub async fn ud(m: &ArgMatches) -> anyhow::Result<()> {
    let (users, devices) = (get(m, "users").max(1), get(m, "devices").max(1));
    let (count, n, probe) = (
        get(m, "connections"),
        get(m, "sessions") as usize,
        get(m, "probe"),
    );
    raise_nofile(n as u64 + 4096)?;
    let root = daemon::prepare((count + probe).max(1) * 2)?;
    let server = Server::lmgrd(root.path())?;
    let sessions = drive::open_sessions(&server.addr(), n, 256).await?;
    let before = proc_of(server.pid());
    // Connection k: user k mod U (so every user connects, half of them
    // twice at 1.5 connections a user), a device spread by a multiplicative hash.
    let what: drive::What = Arc::new(move |k| {
        let d = k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
        (
            UD,
            format!("user{}", k % users),
            format!("dev{}", d % devices),
        )
    });
    let mut sessions = sessions;
    let mut all = Tally::default();
    let t_all = Instant::now();
    let steps = 10;
    for step in 0..steps {
        let range = count * step / steps..count * (step + 1) / steps;
        let t = Instant::now();
        let (mut tally, back) = drive::fill(sessions, range.clone(), true, what.clone()).await;
        sessions = back;
        report_fill(
            &format!("connections {}..{}", range.start, range.end),
            &mut tally,
            t.elapsed(),
        );
        all.merge(tally);
    }
    let took = t_all.elapsed();
    println!(
        "filled {count} connections in {:.1} s ({:.0} checkouts/s with a checkin each)",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64()
    );
    let t = Instant::now();
    let (mut tally, _sessions) =
        drive::fill(sessions, count..count + probe, true, what.clone()).await;
    report_fill("admission at full size", &mut tally, t.elapsed());
    all.merge(tally);
    let after = proc_of(server.pid());
    println!(
        "memory: RSS {} MiB, peak {} MiB ({:.0} bytes a connection); store {} MiB",
        after.rss_kib / 1024,
        after.hwm_kib / 1024,
        after.rss_kib.saturating_sub(before.rss_kib) as f64 * 1024.0
            / (count + probe).max(1) as f64,
        store_bytes(root.path()) / (1 << 20)
    );
    server_line("lmgrd", before, after, took.as_secs_f64(), count + probe);
    errors_line(&all);
    // A crash, then recovery from the store.
    drop(_sessions);
    let alternate = std::env::var_os("LOADGEN_LMGRD_ALT").is_some();
    let mut server = server;
    // The last recovery is always this build's: admission after it is
    // measured on it.
    let restarts = get(m, "restarts").max(1);
    for i in 0..restarts {
        let other = alternate && (restarts - 1 - i) % 2 == 1;
        server = recover(server, root.path(), UD, other).await?;
    }
    let sessions = drive::open_sessions(&server.addr(), 100.min(n), 64).await?;
    let t = Instant::now();
    let range = count + probe..count + 2 * probe;
    let (mut tally, _sessions) = drive::fill(sessions, range, true, what).await;
    report_fill("admission after recovery", &mut tally, t.elapsed());
    errors_line(&tally);
    Ok(())
}

/// Many simultaneous connections: some product sessions, the rest status
/// clients; all held open, then every one asked again at once.
pub async fn connections(m: &ArgMatches) -> anyhow::Result<()> {
    let (count, sessions, parallel) = (
        get(m, "connections") as usize,
        get(m, "sessions") as usize,
        get(m, "parallel") as usize,
    );
    raise_nofile(count as u64 + 4096)?;
    let root = daemon::prepare(1000)?;
    let server = Server::lmgrd(root.path())?;
    println!(
        "lmgrd: open files limit {}",
        daemon::nofile_of(server.pid())
    );
    let before = proc_of(server.pid());
    let addr = server.addr();
    let gate = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let t = Instant::now();
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let (gate, addr) = (gate.clone(), addr.clone());
            tokio::spawn(async move {
                let permit = gate.acquire_owned().await?;
                let mut conn = Connection::tcp(&addr).await?;
                let session = if i < sessions {
                    match conn
                        .request(Request::StartSession {
                            host: format!("ddc{i}"),
                        })
                        .await?
                    {
                        Response::SessionStarted { session, .. } => Some(session),
                        other => bail!("unexpected answer {other:?}"),
                    }
                } else {
                    conn.request(Request::Hello {
                        client: "loadgen".into(),
                    })
                    .await?;
                    None
                };
                drop(permit);
                Ok((conn, session))
            })
        })
        .collect();
    let mut open = Vec::with_capacity(count);
    let mut errors = Tally::default();
    for task in tasks {
        match task.await? {
            Ok(c) => open.push(c),
            Err(e) => {
                errors.errors += 1;
                errors.first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    let opened = t.elapsed();
    let held = proc_of(server.pid());
    println!(
        "opened {} connections ({} product sessions) in {:.2} s; lmgrd RSS {} MiB \
         ({:.1} KiB a connection), {} open files, {} threads",
        open.len(),
        sessions.min(count),
        opened.as_secs_f64(),
        held.rss_kib / 1024,
        held.rss_kib.saturating_sub(before.rss_kib) as f64 / open.len().max(1) as f64,
        held.fds,
        held.threads
    );
    // Every connection asks again, all at once: heartbeats and hellos.
    let t = Instant::now();
    let tasks: Vec<_> = open
        .into_iter()
        .map(|(mut conn, session)| {
            tokio::spawn(async move {
                let t = Instant::now();
                let r = match session {
                    Some(session) => conn.request(Request::Heartbeat { session }).await,
                    None => {
                        conn.request(Request::Hello {
                            client: "loadgen".into(),
                        })
                        .await
                    }
                };
                (r.map(drop), t.elapsed(), conn)
            })
        })
        .collect();
    let mut us = Vec::new();
    let mut conns = Vec::new();
    for task in tasks {
        let (r, took, conn) = task.await?;
        us.push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
        conns.push(conn);
        if let Err(e) = r {
            errors.errors += 1;
            errors.first_error.get_or_insert_with(|| e.to_string());
        }
    }
    println!(
        "all {} asked at once: answered in {:.3} s; latency {}",
        conns.len(),
        t.elapsed().as_secs_f64(),
        drive::percentiles(&mut us)
    );
    let after = proc_of(server.pid());
    server_line(
        "lmgrd",
        before,
        after,
        opened.as_secs_f64() + t.elapsed().as_secs_f64(),
        0,
    );
    errors_line(&errors);
    Ok(())
}

/// What the disk allows: raw fdatasync of one 4 KiB block, and SQLite
/// commits through the store (one small event a commit, and batches).
pub fn fsync(seconds: f64) -> anyhow::Result<()> {
    use std::io::{Seek, Write};
    machine();
    let dir = tempfile::tempdir()?;
    let mut file = std::fs::File::create(dir.path().join("probe"))?;
    let block = [7u8; 4096];
    let limit = Duration::from_secs_f64(seconds);
    let (t, mut n) = (Instant::now(), 0u64);
    while t.elapsed() < limit {
        file.seek(std::io::SeekFrom::Start(0))?;
        file.write_all(&block)?;
        file.sync_data()?;
        n += 1;
    }
    let raw = n as f64 / t.elapsed().as_secs_f64();
    println!("raw: {raw:.0} fdatasync/s (4 KiB rewritten in place)");
    let mut store = lmutil::store::Store::open(&dir.path().join("state.db"))?;
    let small = |i: u64| lmutil::engine::Event::SessionSeen {
        session: i,
        at: i as i64,
    };
    let (t, mut n) = (Instant::now(), 0u64);
    while t.elapsed() < limit {
        store.append(&[small(n)])?;
        n += 1;
    }
    let commits = n as f64 / t.elapsed().as_secs_f64();
    println!("store: {commits:.0} commits/s of one event (WAL, synchronous=FULL)");
    for batch in [100u64, 1000, 4096] {
        let events: Vec<_> = (0..batch).map(grant).collect();
        let (t, mut n) = (Instant::now(), 0u64);
        while t.elapsed() < limit {
            store.append(&events)?;
            n += 1;
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "store: {:.0} commits/s of {batch} grant events: {:.0} events/s",
            n as f64 / s,
            (n * batch) as f64 / s
        );
    }
    Ok(())
}

/// What recovery costs, phase by phase, in this process: a store of
/// `events` grants (concurrent checkouts of distinct devices, as `hold`
/// makes), read and decoded, replayed into an engine, cloned for the
/// reader's replica.
pub fn replay(events: u64, ud_users: u64) -> anyhow::Result<()> {
    machine();
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("state.db");
    let mut store = lmutil::store::Store::open(&path)?;
    let pools = lmutil::engine::Event::PoolsReplaced {
        pools: vec![lmutil::engine::PoolSpec {
            feature: if ud_users > 0 { UD } else { CCU }.to_owned(),
            version: lmutil::license::Version::parse("2026.1201")?,
            expiry: lmutil::license::Expiry::Permanent,
            license_type: Some("Retail".to_owned()),
            vendor_string: Some(";LT=Retail".to_owned()),
            count: events * 2,
            dup_device: true,
            lines: vec!["load".to_owned()],
            starts: Vec::new(),
            refused: None,
        }],
        at: 1_800_000_000,
        by: None,
    };
    store.append(&[pools])?;
    let session = lmutil::engine::Event::SessionStarted {
        session: 1,
        host: "ddc1.load.example".to_owned(),
        secret: Default::default(),
        at: 1_800_000_000,
    };
    store.append(&[session])?;
    for chunk in (0..events).collect::<Vec<_>>().chunks(10_000) {
        let batch: Vec<_> = if ud_users > 0 {
            chunk
                .iter()
                .flat_map(|i| {
                    let d = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
                    let (user, device) = (
                        format!("user{}", i % ud_users),
                        format!("dev{}", d % (ud_users / 2).max(1)),
                    );
                    let mut g = grant(*i + 1);
                    if let lmutil::engine::Event::Granted(g) = &mut g {
                        g.feature = UD.to_owned();
                        g.pool.feature = UD.to_owned();
                        g.model = lmutil::engine::LicenseModel::UserDevice;
                        g.sent = (String::new(), String::new());
                        g.user = user;
                        g.device = device;
                    }
                    let checkin = lmutil::engine::Event::CheckedIn {
                        handle: *i + 1,
                        at: 1_800_000_000,
                    };
                    [g, checkin]
                })
                .collect()
        } else {
            chunk.iter().map(|i| grant(*i + 1)).collect()
        };
        store.append(&batch)?;
    }
    drop(store);
    // Phase by phase, in one thread.
    let t = Instant::now();
    let store = lmutil::store::Store::open(&path)?;
    let t_open = t.elapsed();
    let t = Instant::now();
    let mut read = 0u64;
    store.for_each_event(|_| read += 1)?;
    let t_read = t.elapsed();
    let t = Instant::now();
    let mut engine = lmutil::engine::Engine::recovering();
    store.for_each_event(|e| engine.apply(&e))?;
    let t_events = t.elapsed().saturating_sub(t_read);
    let t = Instant::now();
    engine.settle();
    let t_settle = t.elapsed();
    let t = Instant::now();
    let replica = engine.clone();
    let t_clone = t.elapsed();
    println!(
        "replay of {read} events: open and check the store {:.3} s, read and decode {:.3} s, \
         apply {:.3} s, settle the user/device optima {:.3} s, clone for the replica {:.3} s; \
         total {:.3} s; RSS {} MiB",
        t_open.as_secs_f64(),
        t_read.as_secs_f64(),
        t_events.as_secs_f64(),
        t_settle.as_secs_f64(),
        t_clone.as_secs_f64(),
        (t_open + t_read + t_events + t_settle + t_clone).as_secs_f64(),
        proc_of(std::process::id()).rss_kib / 1024
    );
    drop(replica);
    drop(engine);
    // As lmgrd recovers: reading and decoding on a thread of their own,
    // the integrity check on another.
    let t = Instant::now();
    let (store, check) = lmutil::store::Store::open_checked_aside(&path)?;
    let recovered = lmutil::server::owner::recover(&store);
    check.wait()?;
    let engine = recovered?.engine;
    let t_recover = t.elapsed();
    let replica = engine.clone();
    println!(
        "as lmgrd recovers (reading, checking and applying at once): {:.3} s; with the clone \
         {:.3} s",
        t_recover.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );
    drop(replica);
    Ok(())
}

/// A grant event as the daemon writes it for a concurrent checkout.
fn grant(i: u64) -> lmutil::engine::Event {
    use lmutil::license::pool::{PoolKey, VersionKey};
    use lmutil::license::{Expiry, Version};
    let version = Version::parse("2026.1201").expect("a valid version");
    lmutil::engine::Event::Granted(Box::new(lmutil::engine::request::GrantEvent {
        handle: i,
        session: 1,
        feature: CCU.to_owned(),
        version: Version::parse(daemon::VERSION).expect("a valid version"),
        user: format!("user{i}"),
        device: format!("dev{i}"),
        sent: (format!("user{i}"), format!("dev{i}")),
        host: "ddc1.load.example".to_owned(),
        display: String::new(),
        count: 1,
        model: lmutil::engine::LicenseModel::Concurrent,
        pool: PoolKey {
            feature: CCU.to_owned(),
            version: VersionKey(version),
            expiry: Expiry::Permanent,
            license_type: Some("Retail".to_owned()),
            vendor_string: Some(";LT=Retail".to_owned()),
        },
        burst: false,
        at: 1_800_000_000,
    }))
}
