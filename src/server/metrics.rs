//! Prometheus metrics: what `GET /metrics` on lmgrd's HTTP port answers, in
//! the text exposition format (version 0.0.4).
//!
//! The names of the FlexNet exporter most dashboards are built on
//! (`flexlm_*`, docs/metrics.md) come first, with its labels and value
//! conventions, so those dashboards work with no exporter; then ours, under
//! `lmutil_`. Everything is rendered on the reader thread from its replica
//! ([`render`]), never by the engine's owner: the owner's only part is
//! timing each commit into [`CommitLatency`]'s atomics.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::engine::Event;
use crate::engine::denials::DenialKey;
use crate::license::{Expiry, STARTUP_FEATURE};
use crate::options::{Directive, Options, TargetKind};
use crate::protocol::alerts::{Alert, AlertKind};
use crate::protocol::status::{Burst, HeldBy, Pool, Status};

/// The vendor daemon every pool belongs to.
const VENDOR: &str = "CITRIX";

/// The most `flexlm_feature_used_users` series one scrape carries. A
/// million checkouts are a million series, more than any Prometheus keeps
/// per target; past this the rest are counted in
/// `lmutil_feature_used_users_omitted` instead.
pub const MAX_USER_SERIES: usize = 10_000;

/// What kind of metric a family is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
    Histogram,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
            Kind::Histogram => "histogram",
        }
    }
}

/// A text exposition being written: families, each a `# HELP` and a
/// `# TYPE` line, then its samples.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

impl Exposition {
    /// An empty exposition.
    pub fn new() -> Self {
        Exposition::default()
    }

    /// Starts the family `name`: its help text and its type.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} {}", kind.name());
    }

    /// One sample: `name{label="value",…} value`. Label names are the
    /// caller's constants; label values are escaped.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (label, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(label);
                self.out.push_str("=\"");
                escape_label_into(&mut self.out, v);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
        self.out.push_str(&number(value));
        self.out.push('\n');
    }

    /// The text written.
    pub fn finish(self) -> String {
        self.out
    }
}

/// A label value as the format writes it: backslash, double quote and
/// line feed escaped.
fn escape_label_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Help text as the format writes it: backslash and line feed escaped.
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A sample value: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The upper bounds (seconds) of the commit latency histogram's buckets.
pub const COMMIT_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// How long the store's commits take, as the owner thread times them:
/// one atomic add per bucket hit, the sum and the count. Read by scrapes
/// without a lock; a scrape racing a commit may see the count one ahead of
/// a bucket, which Prometheus tolerates.
#[derive(Debug, Default)]
pub struct CommitLatency {
    /// Per bucket, not cumulative; the last one is `+Inf`.
    buckets: [AtomicU64; COMMIT_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
    count: AtomicU64,
}

impl CommitLatency {
    /// Records one commit that took `took`.
    pub fn record(&self, took: Duration) {
        let secs = took.as_secs_f64();
        let i = COMMIT_BUCKETS
            .iter()
            .position(|le| secs <= *le)
            .unwrap_or(COMMIT_BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn write(&self, x: &mut Exposition) {
        let name = "lmutil_store_commit_seconds";
        x.family(
            name,
            Kind::Histogram,
            "Time to append one batch of events to the state database and commit it.",
        );
        let mut cumulative = 0;
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            let le = COMMIT_BUCKETS
                .get(i)
                .map_or("+Inf".to_owned(), |b| b.to_string());
            x.sample(&format!("{name}_bucket"), &[("le", &le)], cumulative as f64);
        }
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        x.sample(&format!("{name}_sum"), &[], sum);
        // The count is the buckets' total, so that `+Inf` equals it.
        x.sample(&format!("{name}_count"), &[], cumulative as f64);
    }
}

/// What the reader counts as it applies committed events, since lmgrd
/// started.
#[derive(Debug, Default)]
pub struct Tally {
    grants: BTreeMap<String, u64>,
    checkins: u64,
}

impl Tally {
    /// Counts a committed event.
    pub fn applied(&mut self, event: &Event) {
        match event {
            Event::Granted(g) => {
                if let Some(n) = self.grants.get_mut(&g.feature) {
                    *n += 1;
                } else {
                    self.grants.insert(g.feature.clone(), 1);
                }
            }
            Event::CheckedIn { .. } => self.checkins += 1,
            _ => {}
        }
    }
}

/// What the reader does not know and the scrape tells it.
#[derive(Debug, Clone)]
pub struct Scrape {
    /// The `app` label: this server's host name.
    pub app: String,
    pub lm_port: u16,
    pub vendor_up: bool,
    /// When lmgrd started, Unix seconds.
    pub started: f64,
}

/// Everything a scrape shows, from the reader's replica.
pub struct Inputs<'a> {
    pub status: &'a Status,
    pub tally: &'a Tally,
    pub scrape: &'a Scrape,
    pub commits: &'a CommitLatency,
    /// How long burst mode lasts (the setting), seconds.
    pub burst_length: i64,
    /// The options file in force (its reservations).
    pub options: &'a Options,
    /// Refusals by feature, requested version and FlexNet code, kept by
    /// the engine across restarts.
    pub denials: &'a BTreeMap<DenialKey, u64>,
    /// The active alerts, as the reader last evaluated them.
    pub alerts: &'a [Alert],
}

/// The whole exposition.
pub fn render(i: &Inputs<'_>) -> String {
    let mut x = Exposition::new();
    server(&mut x, i.scrape);
    features(&mut x, i);
    used_users(&mut x, i);
    reserved(&mut x, i);
    expiry(&mut x, i);
    pools(&mut x, i);
    burst(&mut x, i);
    counters(&mut x, i.tally, i.denials);
    state(&mut x, i.status);
    alerts(&mut x, i.alerts);
    i.commits.write(&mut x);
    process(&mut x, i.scrape);
    x.finish()
}

fn server(x: &mut Exposition, s: &Scrape) {
    let version = crate::version::VERSION;
    let port = s.lm_port.to_string();
    x.family(
        "flexlm_server_status",
        Kind::Gauge,
        "1 when the license server is up.",
    );
    let labels = [
        ("app", s.app.as_str()),
        ("fqdn", s.app.as_str()),
        ("master", "true"),
        ("port", port.as_str()),
        ("version", version),
    ];
    x.sample("flexlm_server_status", &labels, 1.0);
    x.family(
        "flexlm_vendor_status",
        Kind::Gauge,
        "1 when the vendor daemon serves.",
    );
    let labels = [
        ("app", s.app.as_str()),
        ("name", VENDOR),
        ("version", version),
    ];
    x.sample(
        "flexlm_vendor_status",
        &labels,
        f64::from(u8::from(s.vendor_up)),
    );
    x.family(
        "flexlm_lmstat_info",
        Kind::Gauge,
        "The server's version (lmstat -v); always 1.",
    );
    let build = crate::version::BuildInfo::current();
    let labels = [
        ("arch", build.target.as_deref().unwrap_or("")),
        ("build", build.revision.as_deref().unwrap_or("")),
        ("version", version),
    ];
    x.sample("flexlm_lmstat_info", &labels, 1.0);
}

/// The pools of each feature, features by name.
fn by_feature(status: &Status) -> BTreeMap<&str, Vec<&Pool>> {
    let mut by: BTreeMap<&str, Vec<&Pool>> = BTreeMap::new();
    for p in &status.pools {
        by.entry(&p.key.feature).or_default().push(p);
    }
    by
}

fn features(x: &mut Exposition, i: &Inputs<'_>) {
    let app = i.scrape.app.as_str();
    let by = by_feature(i.status);
    x.family(
        "flexlm_feature_issued",
        Kind::Gauge,
        "Licenses issued for a feature (lmstat's Users of line: purchased, overdraft apart).",
    );
    for (name, pools) in &by {
        let issued: u64 = pools.iter().map(|p| p.purchased).sum();
        let labels = [("app", app), ("name", name), ("type", "floating")];
        x.sample("flexlm_feature_issued", &labels, issued as f64);
    }
    x.family(
        "flexlm_feature_used",
        Kind::Gauge,
        "Licenses of a feature in use.",
    );
    for (name, pools) in &by {
        let used: u64 = pools.iter().map(|p| p.in_use).sum();
        let labels = [("app", app), ("name", name), ("type", "floating")];
        x.sample("flexlm_feature_used", &labels, used as f64);
    }
}

/// The `since` label: a checkout's start as lmstat prints it
/// (`Www M/D H:MM`, local time, hour unpadded).
fn since(t: i64) -> String {
    use chrono::{Datelike as _, Timelike as _};
    let at = chrono::DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .with_timezone(&chrono::Local);
    format!(
        "{} {}/{} {}:{:02}",
        at.format("%a"),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// Licenses held per (feature, user, start), as lmstat's user lines count
/// them: a product session's start-up license (its host), each checkout
/// that holds licenses, and each user/device lease with no session open.
fn holders(status: &Status) -> BTreeMap<(&str, &str, i64), u64> {
    let mut out: BTreeMap<(&str, &str, i64), u64> = BTreeMap::new();
    if status
        .pools
        .iter()
        .any(|p| p.key.feature == STARTUP_FEATURE)
    {
        for s in &status.sessions {
            *out.entry((STARTUP_FEATURE, &s.host, s.started))
                .or_default() += 1;
        }
    }
    let mut open: HashSet<(&str, &HeldBy)> = HashSet::new();
    for c in &status.checkouts {
        if let Some(h) = &c.held_by {
            open.insert((&c.feature, h));
        }
        if c.licenses > 0 {
            *out.entry((&c.feature, &c.user, c.at)).or_default() += c.licenses;
        }
    }
    for a in &status.assignments {
        let by = HeldBy {
            kind: a.kind,
            name: a.name.clone(),
        };
        if !open.contains(&(a.feature.as_str(), &by)) {
            *out.entry((&a.feature, &a.name, a.last_use)).or_default() += 1;
        }
    }
    out
}

fn used_users(x: &mut Exposition, i: &Inputs<'_>) {
    let app = i.scrape.app.as_str();
    // Keyed by the start's minute, lmstat's resolution: starts within one
    // minute are one line, and only the lines written are formatted.
    let mut series: BTreeMap<(&str, &str, i64), u64> = BTreeMap::new();
    for ((feature, user, at), n) in holders(i.status) {
        *series
            .entry((feature, user, at.div_euclid(60)))
            .or_default() += n;
    }
    x.family(
        "flexlm_feature_used_users",
        Kind::Gauge,
        "Licenses of a feature one user holds, by checkout start.",
    );
    for ((feature, user, minute), n) in series.iter().take(MAX_USER_SERIES) {
        let since = since(minute * 60);
        let labels = [
            ("app", app),
            ("name", feature),
            ("user", user),
            ("since", &since),
        ];
        x.sample("flexlm_feature_used_users", &labels, *n as f64);
    }
    x.family(
        "lmutil_feature_used_users_omitted",
        Kind::Gauge,
        "flexlm_feature_used_users series left out of this scrape past its limit.",
    );
    let omitted = series.len().saturating_sub(MAX_USER_SERIES);
    x.sample("lmutil_feature_used_users_omitted", &[], omitted as f64);
}

/// The options file's RESERVE lines for groups and hosts: licenses set
/// aside, by feature and by whom they are for.
fn reserved(x: &mut Exposition, i: &Inputs<'_>) {
    let app = i.scrape.app.as_str();
    let mut by: BTreeMap<(&str, &str, &str), u64> = BTreeMap::new();
    for d in &i.options.directives {
        if let Directive::Reserve {
            count,
            feature,
            target,
        } = d
        {
            let label = match target.kind {
                TargetKind::Group => "group",
                TargetKind::Host => "host",
                _ => continue,
            };
            *by.entry((label, feature, &target.name)).or_default() += u64::from(*count);
        }
    }
    for (label, family, help) in [
        (
            "group",
            "flexlm_feature_reserved_groups",
            "Licenses of a feature the options file reserves for a GROUP.",
        ),
        (
            "host",
            "flexlm_feature_reserved_host",
            "Licenses of a feature the options file reserves for a HOST.",
        ),
    ] {
        x.family(family, Kind::Gauge, help);
        for ((_, feature, name), n) in by.iter().filter(|((l, ..), _)| *l == label) {
            let labels = [("app", app), ("name", *feature), (label, *name)];
            x.sample(family, &labels, *n as f64);
        }
    }
}

/// A license line's expiry as Unix seconds: the start of its last day
/// (UTC), `+Inf` when permanent.
fn expiry_seconds(e: Expiry) -> f64 {
    match e {
        Expiry::Permanent => f64::INFINITY,
        Expiry::On(d) => d
            .and_hms_opt(0, 0, 0)
            .map_or(f64::INFINITY, |t| t.and_utc().timestamp() as f64),
    }
}

fn expiry(x: &mut Exposition, i: &Inputs<'_>) {
    let app = i.scrape.app.as_str();
    x.family(
        "flexlm_feature_expiration_seconds",
        Kind::Gauge,
        "Expiry of a feature's license pool as Unix time; +Inf when permanent.",
    );
    let mut days = Days::new();
    for (name, pools) in by_feature(i.status) {
        for (index, p) in pools.iter().filter(|p| !p.removed).enumerate() {
            let (index, licenses) = (index.to_string(), p.purchased.to_string());
            let labels = [
                ("app", app),
                ("name", name),
                ("index", &index),
                ("licenses", &licenses),
                ("vendor", VENDOR),
                ("version", &p.key.version),
            ];
            let at = expiry_seconds(p.key.expiry);
            x.sample("flexlm_feature_expiration_seconds", &labels, at);
            let day = days.entry(at.to_bits()).or_default();
            day.0 += p.purchased;
            day.1.insert(name);
        }
    }
    aggregate_expiry(x, app, days);
}

/// The pools' expiry days (by the bits of their Unix time), with the
/// licenses and the features that expire on each.
type Days<'a> = BTreeMap<u64, (u64, HashSet<&'a str>)>;

fn aggregate_expiry(x: &mut Exposition, app: &str, days: Days<'_>) {
    x.family(
        "flexlm_feature_aggregate_expiration_seconds",
        Kind::Gauge,
        "Licenses expiring on the same day, grouped: the day as Unix time; +Inf when permanent.",
    );
    let mut days: Vec<(f64, u64, usize)> = days
        .into_iter()
        .map(|(at, (n, f))| (f64::from_bits(at), n, f.len()))
        .collect();
    days.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (index, (at, licenses, features)) in days.into_iter().enumerate() {
        let (index, licenses, features) = (
            index.to_string(),
            licenses.to_string(),
            features.to_string(),
        );
        let labels = [
            ("app", app),
            ("index", index.as_str()),
            ("licenses", licenses.as_str()),
            ("features", features.as_str()),
        ];
        x.sample("flexlm_feature_aggregate_expiration_seconds", &labels, at);
    }
}

/// A pool's labels in our own families. Pools that differ only by their
/// vendor string are summed: a series is never written twice.
type PoolLabels<'a> = (&'a str, &'a str, String, &'a str);

fn pool_labels(p: &Pool) -> PoolLabels<'_> {
    let k = &p.key;
    let kind = k.license_type.as_deref().unwrap_or("");
    (&k.feature, &k.version, k.expiry.iso(), kind)
}

fn pools(x: &mut Exposition, i: &Inputs<'_>) {
    let mut sums: BTreeMap<PoolLabels<'_>, [u64; 5]> = BTreeMap::new();
    for p in &i.status.pools {
        let s = sums.entry(pool_labels(p)).or_default();
        let values = [
            p.purchased,
            p.overdraft,
            p.installed,
            p.in_use,
            p.overdraft_in_use,
        ];
        for (sum, v) in s.iter_mut().zip(values) {
            *sum += v;
        }
    }
    let families = [
        ("lmutil_pool_purchased", "Licenses purchased in a pool."),
        (
            "lmutil_pool_overdraft",
            "Overdraft licenses installed in a pool (10% above purchased for user/device pools).",
        ),
        ("lmutil_pool_installed", "Purchased plus overdraft."),
        ("lmutil_pool_in_use", "Licenses of a pool in use."),
        (
            "lmutil_pool_overdraft_in_use",
            "Licenses of a pool in use beyond the purchased count.",
        ),
    ];
    for (n, (name, help)) in families.into_iter().enumerate() {
        x.family(name, Kind::Gauge, help);
        for ((feature, version, expiry, kind), values) in &sums {
            let labels = [
                ("feature", *feature),
                ("version", *version),
                ("expiry", expiry.as_str()),
                ("license_type", *kind),
            ];
            x.sample(name, &labels, values[n] as f64);
        }
    }
}

fn burst(x: &mut Exposition, i: &Inputs<'_>) {
    let mut states: BTreeMap<(&str, &str), Burst> = BTreeMap::new();
    for p in &i.status.pools {
        states
            .entry((&p.key.feature, &p.key.version))
            .or_insert(p.burst);
    }
    x.family(
        "lmutil_burst_state",
        Kind::Gauge,
        "License burst mode of a product version: 1 for its state (armed, active or spent), 0 for the others.",
    );
    for ((feature, version), burst) in &states {
        for state in ["armed", "active", "spent"] {
            let now = match burst {
                Burst::Armed => "armed",
                Burst::Active { .. } => "active",
                Burst::Spent => "spent",
            };
            let labels = [
                ("feature", *feature),
                ("version", *version),
                ("state", state),
            ];
            x.sample(
                "lmutil_burst_state",
                &labels,
                f64::from(u8::from(now == state)),
            );
        }
    }
    x.family(
        "lmutil_burst_end_time_seconds",
        Kind::Gauge,
        "When an active license burst mode ends, Unix time.",
    );
    for ((feature, version), burst) in &states {
        if let Burst::Active { started } = burst {
            let end = started.saturating_add(i.burst_length) as f64;
            x.sample(
                "lmutil_burst_end_time_seconds",
                &[("feature", feature), ("version", version)],
                end,
            );
        }
    }
}

fn counters(x: &mut Exposition, t: &Tally, denials: &BTreeMap<DenialKey, u64>) {
    x.family(
        "lmutil_grants_total",
        Kind::Counter,
        "Checkouts granted since lmgrd started.",
    );
    for (feature, n) in &t.grants {
        x.sample("lmutil_grants_total", &[("feature", feature)], *n as f64);
    }
    x.family(
        "lmutil_checkins_total",
        Kind::Counter,
        "Checkouts checked in since lmgrd started: by their product, or at an options file TIMEOUT (a session's end returns its checkouts without counting here).",
    );
    x.sample("lmutil_checkins_total", &[], t.checkins as f64);
    x.family(
        "lmutil_denials_total",
        Kind::Counter,
        "Checkouts refused, by feature, requested version and FlexNet error code; kept across restarts.",
    );
    for (key, n) in denials {
        let code = key.code.number().to_string();
        let labels = [
            ("feature", key.feature.as_str()),
            ("version", key.version.as_str()),
            ("code", code.as_str()),
        ];
        x.sample("lmutil_denials_total", &labels, *n as f64);
    }
}

/// Active alerts by kind (every kind, 0 when none), and each active one
/// with the time it was raised.
fn alerts(x: &mut Exposition, active: &[Alert]) {
    x.family(
        "lmutil_alerts",
        Kind::Gauge,
        "Active alerts, by kind (docs/alerts.md).",
    );
    for kind in AlertKind::ALL {
        let n = active.iter().filter(|a| a.kind == kind).count();
        x.sample("lmutil_alerts", &[("kind", kind.name())], n as f64);
    }
    x.family(
        "lmutil_alert_raised_timestamp_seconds",
        Kind::Gauge,
        "When each active alert was raised, Unix seconds.",
    );
    for a in active {
        let line = a.line.map(|l| l.to_string()).unwrap_or_default();
        let labels = [
            ("kind", a.kind.name()),
            ("feature", a.feature.as_str()),
            ("version", a.version.as_deref().unwrap_or("")),
            ("expiry", a.expiry.as_deref().unwrap_or("")),
            ("file", a.file.as_deref().unwrap_or("")),
            ("line", line.as_str()),
        ];
        x.sample(
            "lmutil_alert_raised_timestamp_seconds",
            &labels,
            a.since as f64,
        );
    }
}

fn state(x: &mut Exposition, s: &Status) {
    x.family(
        "lmutil_sessions",
        Kind::Gauge,
        "Product sessions open (each holds a start-up license).",
    );
    x.sample("lmutil_sessions", &[], s.sessions.len() as f64);
    x.family("lmutil_checkouts", Kind::Gauge, "Checkouts held.");
    x.sample("lmutil_checkouts", &[], s.checkouts.len() as f64);
    let mut per: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for c in &s.connections {
        let e = per.entry(&c.feature).or_default();
        e.0 += 1;
        e.1 += u64::from(c.open > 0);
    }
    x.family(
        "lmutil_user_device_connections",
        Kind::Gauge,
        "User/device connections (a user on a device) holding a lease, by feature.",
    );
    for (feature, (n, _)) in &per {
        x.sample(
            "lmutil_user_device_connections",
            &[("feature", feature)],
            *n as f64,
        );
    }
    x.family(
        "lmutil_user_device_connections_open",
        Kind::Gauge,
        "User/device connections with a session open now, by feature.",
    );
    for (feature, (_, open)) in &per {
        let labels = [("feature", *feature)];
        x.sample("lmutil_user_device_connections_open", &labels, *open as f64);
    }
}

fn process(x: &mut Exposition, s: &Scrape) {
    x.family(
        "lmutil_start_time_seconds",
        Kind::Gauge,
        "When lmgrd started, Unix time.",
    );
    x.sample("lmutil_start_time_seconds", &[], s.started);
    x.family(
        "lmutil_build_info",
        Kind::Gauge,
        "The build serving: always 1.",
    );
    let b = crate::version::BuildInfo::current();
    let build = b.build.map(|n| n.to_string()).unwrap_or_default();
    let labels = [
        ("version", b.version.as_str()),
        ("revision", b.revision.as_deref().unwrap_or("")),
        ("build", build.as_str()),
        ("target", b.target.as_deref().unwrap_or("")),
    ];
    x.sample("lmutil_build_info", &labels, 1.0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads one sample line back as the format's grammar says, written
    /// here from the specification: name, labels unescaped, value.
    fn read_line(line: &str) -> (String, Vec<(String, String)>, String) {
        let (name, mut rest) = match line.find(['{', ' ']) {
            Some(i) => (&line[..i], &line[i..]),
            None => panic!("no value: {line}"),
        };
        let mut labels = Vec::new();
        if let Some(r) = rest.strip_prefix('{') {
            rest = r;
            loop {
                if let Some(r) = rest.strip_prefix('}') {
                    rest = r;
                    break;
                }
                rest = rest.strip_prefix(',').unwrap_or(rest);
                let eq = rest.find('=').expect("a label's =");
                let label = rest[..eq].to_owned();
                let mut chars = rest[eq + 1..].strip_prefix('"').expect("a quote").chars();
                let mut value = String::new();
                loop {
                    match chars.next().expect("a closing quote") {
                        '"' => break,
                        '\\' => match chars.next().expect("an escaped char") {
                            'n' => value.push('\n'),
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            c => panic!("unknown escape \\{c}"),
                        },
                        '\n' => panic!("a raw line feed in a label value"),
                        c => value.push(c),
                    }
                }
                labels.push((label, value));
                rest = chars.as_str();
            }
        }
        let value = rest.strip_prefix(' ').expect("a space before the value");
        (name.to_owned(), labels, value.to_owned())
    }

    proptest! {
        /// Any label values, quotes, backslashes and line feeds included,
        /// come back exactly from the one line written.
        #[test]
        fn label_values_round_trip(
            user in any::<String>(),
            feature in "[\\PC\"\\\\\n]{0,20}",
            value in any::<u32>(),
        ) {
            let mut x = Exposition::new();
            x.sample("m", &[("user", &user), ("name", &feature)], f64::from(value));
            let text = x.finish();
            prop_assert_eq!(text.matches('\n').count(), 1, "one line: {:?}", text);
            let (name, labels, v) = read_line(text.trim_end_matches('\n'));
            prop_assert_eq!(name, "m");
            prop_assert_eq!(
                labels,
                vec![("user".to_owned(), user), ("name".to_owned(), feature)]
            );
            prop_assert_eq!(v, value.to_string());
        }

        /// Help text stays on its line whatever it holds, and reads back.
        #[test]
        fn help_stays_on_one_line(help in any::<String>()) {
            let mut x = Exposition::new();
            x.family("m", Kind::Gauge, &help);
            let text = x.finish();
            prop_assert_eq!(text.matches('\n').count(), 2);
            let first = text.split('\n').next().unwrap_or_default();
            let escaped = first.strip_prefix("# HELP m ").unwrap_or_default();
            prop_assert_eq!(unescape_help(escaped), help);
        }
    }

    /// Help text as the format reads it: `\\` and `\n` the only escapes.
    fn unescape_help(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        }
        out
    }

    #[test]
    fn values_are_written_as_the_format_reads_them() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(f64::NEG_INFINITY), "-Inf");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(0.25), "0.25");
    }

    #[test]
    fn the_commit_histogram_is_cumulative_and_ends_with_its_count() {
        let h = CommitLatency::default();
        h.record(Duration::from_micros(50));
        h.record(Duration::from_millis(3));
        h.record(Duration::from_secs(10));
        let mut x = Exposition::new();
        h.write(&mut x);
        let text = x.finish();
        assert!(
            text.contains("lmutil_store_commit_seconds_bucket{le=\"0.0001\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("lmutil_store_commit_seconds_bucket{le=\"0.005\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("lmutil_store_commit_seconds_bucket{le=\"2.5\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("lmutil_store_commit_seconds_bucket{le=\"+Inf\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("lmutil_store_commit_seconds_count 3\n"),
            "{text}"
        );
        assert!(
            text.contains("lmutil_store_commit_seconds_sum 10.00305"),
            "{text}"
        );
    }
}
