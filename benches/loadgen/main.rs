//! The load generator: drives a real `lmgrd` (the release binary, on a
//! temporary root with licenses signed by `lmutil lmcrypt`) over TCP with
//! the client library, and prints throughput, latency percentiles, the
//! server's CPU time and memory, and the count of errors (which must be 0).
//!
//! ```text
//! cargo bench --bench loadgen -- checkouts --sessions 1000 --seconds 20
//! cargo bench --bench loadgen -- checkouts --sessions 1000 --rate 10000
//! cargo bench --bench loadgen -- checkouts --sessions 1000 --target echo
//! cargo bench --bench loadgen -- hold --checkouts 1000000 --lmstat 3
//! cargo bench --bench loadgen -- hold --checkouts 1000000 --rate 10000 --api-every 0.5
//! cargo bench --bench loadgen -- ud --users 1000000 --connections 1500000
//! cargo bench --bench loadgen -- connections --connections 20000
//! cargo bench --bench loadgen -- fsync
//! ```
//!
//! `docs/performance.md` explains each scenario and records the figures.

/// The allocator lmgrd uses, so that `replay` measures recovery as lmgrd
/// runs it, and the generator takes less of the machine.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod daemon;
mod drive;
mod echo;
#[path = "../common/rng.rs"]
mod rng;
mod scenarios;

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};

fn num(name: &'static str, default: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .default_value(default)
        .value_parser(value_parser!(u64))
        .help(help)
}

fn float(name: &'static str, default: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .default_value(default)
        .value_parser(value_parser!(f64))
        .help(help)
}

fn command() -> Command {
    let threads = num(
        "threads",
        "1",
        "Runtime threads of the generator (the server has the other cores)",
    );
    Command::new("loadgen")
        .about("Drives a real lmgrd and reports throughput, latency, CPU, memory and errors")
        .subcommand_required(true)
        .subcommand(
            Command::new("checkouts")
                .about("Checkouts and checkins from N sessions, closed loop or at a fixed rate")
                .arg(num(
                    "sessions",
                    "1000",
                    "Product sessions (one TCP connection each)",
                ))
                .arg(float("seconds", "20", "Measured time"))
                .arg(float("warmup", "3", "Time before measuring"))
                .arg(float(
                    "rate",
                    "0",
                    "Checkouts per second in all (0: as fast as answered)",
                ))
                .arg(float(
                    "ud-share",
                    "0",
                    "Share of user/device checkouts (the rest concurrent)",
                ))
                .arg(num("users", "100000", "Users to pick from"))
                .arg(num("devices", "100000", "Endpoint devices to pick from"))
                .arg(num(
                    "held",
                    "1",
                    "Checkouts a session holds before checking in its oldest",
                ))
                .arg(
                    Arg::new("target")
                        .long("target")
                        .default_value("lmgrd")
                        .value_parser(["lmgrd", "echo"])
                        .help("lmgrd, or the echo server (framing without engine or store)"),
                )
                .arg(num(
                    "server-threads",
                    "0",
                    "Echo server's runtime threads (0: one a core)",
                ))
                .arg(float(
                    "scrape-every",
                    "0",
                    "Meanwhile, GET /metrics every this many seconds (0: never)",
                ))
                .arg(threads.clone()),
        )
        .subcommand(
            Command::new("hold")
                .about("Holds many concurrent checkouts: memory per checkout, then lmstat")
                .arg(num("checkouts", "1000000", "Checkouts to hold"))
                .arg(num("sessions", "1000", "Product sessions"))
                .arg(num(
                    "lmstat",
                    "0",
                    "Then time lmstat -a and --json this many times",
                ))
                .arg(num("scrape", "0", "Then time GET /metrics this many times"))
                .arg(float(
                    "rate",
                    "0",
                    "Then grant this many checkouts a second (from --sessions more \
                     sessions, each checking its previous one in) for --seconds",
                ))
                .arg(float("seconds", "15", "How long to grant at --rate"))
                .arg(float(
                    "api-every",
                    "0",
                    "Meanwhile, GET each --api-path over HTTPS with an API token every \
                     this many seconds (0: never)",
                ))
                .arg(
                    Arg::new("api-path")
                        .long("api-path")
                        .action(ArgAction::Append)
                        .help(
                            "A path to GET (default: /api/v1/pools and /api/v1/status?parts=pools)",
                        ),
                )
                .arg(num(
                    "pools",
                    "0",
                    "More features, of one pool each, in the license file",
                ))
                .arg(
                    Arg::new("restart")
                        .long("restart")
                        .action(ArgAction::SetTrue)
                        .help("Then kill -9 lmgrd and time its recovery"),
                )
                .arg(threads.clone()),
        )
        .subcommand(
            Command::new("ud")
                .about("User/device connections: admission, recovery after a crash")
                .arg(num("users", "1000000", "Users"))
                .arg(num("devices", "500000", "Endpoint devices"))
                .arg(num("connections", "1500000", "User/device connections"))
                .arg(num("sessions", "1000", "Product sessions"))
                .arg(num(
                    "probe",
                    "10000",
                    "New connections admitted at full size",
                ))
                .arg(num(
                    "restarts",
                    "1",
                    "Times to kill -9 lmgrd and time its recovery; with LOADGEN_LMGRD_ALT \
                     set, every second recovery starts that build instead (never the last)",
                ))
                .arg(threads.clone()),
        )
        .subcommand(
            Command::new("connections")
                .about("Many simultaneous connections")
                .arg(num("connections", "20000", "TCP connections held open"))
                .arg(num("sessions", "10000", "Of which product sessions"))
                .arg(num("parallel", "256", "Connections being opened at once"))
                .arg(threads.clone()),
        )
        .subcommand(
            Command::new("replay")
                .about("Recovery in this process: read, decode and replay N grant events")
                .arg(num("events", "1000000", "Grant events in the store"))
                .arg(num(
                    "ud-users",
                    "0",
                    "Instead: user/device grants, each followed by its checkin, from this many \
                     users on half as many devices (as `ud` makes them)",
                )),
        )
        .subcommand(
            Command::new("fsync")
                .about("What the disk allows: raw fdatasync and SQLite commit rates")
                .arg(float("seconds", "5", "Time per measurement")),
        )
        .subcommand(Command::new("echo-server").hide(true).arg(num(
            "threads",
            "0",
            "Runtime threads (0: one a core)",
        )))
        .arg(
            // `cargo bench` passes --bench to a harness-less benchmark.
            Arg::new("bench")
                .long("bench")
                .hide(true)
                .global(true)
                .action(ArgAction::SetTrue),
        )
}

fn main() -> anyhow::Result<()> {
    let m = command().get_matches();
    let (name, sub) = m.subcommand().expect("a subcommand is required");
    if name == "echo-server" {
        return echo::serve(get(sub, "threads") as usize);
    }
    if name == "replay" {
        return scenarios::replay(get(sub, "events"), get(sub, "ud-users"));
    }
    if name == "fsync" {
        return scenarios::fsync(sub.get_one::<f64>("seconds").copied().unwrap_or(5.0));
    }
    scenarios::machine();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(get(sub, "threads").max(1) as usize)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match name {
            "checkouts" => scenarios::checkouts(sub).await,
            "hold" => scenarios::hold(sub).await,
            "ud" => scenarios::ud(sub).await,
            "connections" => scenarios::connections(sub).await,
            _ => unreachable!("every subcommand is handled"),
        }
    })
}

pub fn get(m: &ArgMatches, name: &str) -> u64 {
    m.get_one::<u64>(name).copied().unwrap_or(0)
}

pub fn getf(m: &ArgMatches, name: &str) -> f64 {
    m.get_one::<f64>(name).copied().unwrap_or(0.0)
}
