//! The user/device optimiser at the scale of a large site: a million users
//! and a million and a half connections.
//!
//!     cargo bench --bench ud_cover [-- USERS DEVICES CONNECTIONS]
//!
//! Prints the rate of incremental admissions (add an edge, keep the matching
//! maximum), of admission decisions (would this connection raise the
//! optimum?) with latency percentiles, of removals, the time of a full
//! Hopcroft–Karp re-optimisation and of computing the preferred cover.
//! Timings are wall-clock on one core; run on an idle machine.

use rng::Rng;
use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "common/rng.rs"]
mod rng;

use lmutil::engine::cover::UdGraph;

fn arg(i: usize, default: u32) -> u32 {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .nth(i)
        .map_or(default, |a| a.parse().expect("a number"))
}

fn rate(n: usize, took: Duration) -> String {
    format!("{:.2} M/s", n as f64 / took.as_secs_f64() / 1e6)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let (users, devices, connections) = (arg(0, 1_000_000), arg(1, 1_000_000), arg(2, 1_500_000));
    println!("ud_cover: {users} users, {devices} devices, {connections} connections");
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut g = UdGraph::new();

    let start = Instant::now();
    let mut edges = Vec::with_capacity(connections as usize);
    // Every user has a device; the rest of the connections are users on
    // further devices, shared devices among them.
    while edges.len() < connections as usize {
        let u = match edges.len() as u32 {
            n if n < users => n,
            _ => rng.below32(users),
        };
        let d = rng.below32(devices);
        if g.add(u, d) {
            edges.push((u, d));
        }
    }
    let added = edges.len();
    let took = start.elapsed();
    println!(
        "incremental build:   {added} adds in {took:.2?} ({}), licenses in use {}",
        rate(added, took),
        g.licenses_in_use()
    );

    let queries = 1_000_000;
    let mut yes = 0;
    let start = Instant::now();
    for _ in 0..queries {
        yes += usize::from(g.would_increase(rng.below32(users), rng.below32(devices)));
    }
    let took = start.elapsed();
    println!(
        "admission decisions: {queries} in {took:.2?} ({}), {yes} would raise the optimum",
        rate(queries, took)
    );
    let mut lat: Vec<Duration> = (0..100_000)
        .map(|_| {
            let (u, d) = (rng.below32(users), rng.below32(devices));
            let t = Instant::now();
            black_box(g.would_increase(u, d));
            t.elapsed()
        })
        .collect();
    lat.sort_unstable();
    println!(
        "admission latency:   p50 {:.2?}, p99 {:.2?}, p99.9 {:.2?}, max {:.2?}",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 0.999),
        lat[lat.len() - 1]
    );

    let mut lat: Vec<Duration> = Vec::with_capacity(100_000);
    while lat.len() < 100_000 {
        let (u, d) = (rng.below32(users), rng.below32(devices));
        let t = Instant::now();
        if g.add(u, d) {
            lat.push(t.elapsed());
            g.remove(u, d);
        }
    }
    lat.sort_unstable();
    println!(
        "admit (add) latency: p50 {:.2?}, p99 {:.2?}, p99.9 {:.2?}, max {:.2?}",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 0.999),
        lat[lat.len() - 1]
    );

    let mut best = Duration::MAX;
    for _ in 0..3 {
        let mut fresh = g.clone();
        let start = Instant::now();
        fresh.rebuild();
        best = best.min(start.elapsed());
        assert_eq!(fresh.licenses_in_use(), g.licenses_in_use(), "both maximum");
    }
    println!("full optimisation:   {best:.2?} (Hopcroft–Karp, best of 3)");

    let start = Instant::now();
    let cover = g.cover();
    let took = start.elapsed();
    assert_eq!(cover.users.len() + cover.devices.len(), g.licenses_in_use());
    println!(
        "preferred cover:     {took:.2?} ({} user and {} device licenses)",
        cover.users.len(),
        cover.devices.len()
    );

    let removals = 200_000;
    let start = Instant::now();
    for _ in 0..removals {
        let (u, d) = edges.swap_remove(rng.below32(edges.len() as u32) as usize);
        assert!(g.remove(u, d));
    }
    let took = start.elapsed();
    println!(
        "removals:            {removals} in {took:.2?} ({}), licenses in use {}",
        rate(removals, took),
        g.licenses_in_use()
    );
}
