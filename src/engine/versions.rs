//! User/device licenses at several Customer Success Services dates: which
//! pool each holder is counted against, the pools' use, and admission, all
//! from one rule, so that they agree at every step.
//!
//! The holders are those of the preferred minimum cover (see `cover.rs`).
//! A holder's license must serve every version asked over any of its
//! connections: it *needs* the newest of them. Holders are placed most
//! demanding first, each into the oldest live pool that serves its need
//! and has room (newer licenses stay free for newer products). When every
//! pool that serves a holder is full, it is *spilled*: counted, over its
//! installed count, against the newest pool that serves it (or the newest
//! live pool, when none does, e.g. after a reread).
//!
//! Placing in that order succeeds whenever any placement does (the pools
//! that serve a need are all the pools from some date on), so a request is
//! admitted within the installed counts exactly when the holders after it
//! can all be placed, or, on a pool already over-used, when it spills no
//! more than before.

use std::collections::HashMap;

use super::snapshot::AssignmentKind;
use super::state::Engine;
use super::types::Time;
use super::ud::UdFeature;
use crate::license::Version;
use crate::license::pool::PoolKey;

/// A holder of a user/device-family license and the version it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub kind: AssignmentKind,
    pub name: String,
    /// The newest version asked over any of its connections.
    pub version: Version,
    /// The last use of any of its connections.
    pub last_use: Time,
}

/// Where the holders went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// For each need, in the order given, the index of its pool.
    pub pool_of: Vec<usize>,
    /// Licenses counted against each pool.
    pub counts: Vec<u64>,
    /// Holders placed over a pool's installed count.
    pub spilled: usize,
}

/// Places `needs` into `pools` (live pools with their installed counts,
/// oldest css date first). `None` when there are no pools.
pub fn place(needs: &[&Version], pools: &[(&PoolKey, u64)]) -> Option<Placement> {
    let last = pools.len().checked_sub(1)?;
    let mut order: Vec<usize> = (0..needs.len()).collect();
    // Most demanding first; ties in the order given, for determinism.
    order.sort_by(|a, b| needs[*b].cmp(needs[*a]).then(a.cmp(b)));
    let mut counts = vec![0u64; pools.len()];
    let mut pool_of = vec![0usize; needs.len()];
    let mut spilled = 0;
    for i in order {
        let serves = |p: &(&PoolKey, u64)| p.0.version.0 >= *needs[i];
        let room = pools
            .iter()
            .enumerate()
            .position(|(j, p)| serves(p) && counts[j] < p.1);
        let j = room.unwrap_or_else(|| {
            spilled += 1;
            pools.iter().rposition(serves).unwrap_or(last)
        });
        counts[j] += 1;
        pool_of[i] = j;
    }
    Some(Placement {
        pool_of,
        counts,
        spilled,
    })
}

impl UdFeature {
    /// The holders of the preferred cover, each with the version it needs
    /// and its last use, users first, each side by name.
    pub fn needs(&self) -> Vec<Need> {
        let mut users: HashMap<&str, (&Version, Time)> = HashMap::new();
        let mut devices: HashMap<&str, (&Version, Time)> = HashMap::new();
        for (u, d, c) in self.connections() {
            for entry in [users.entry(u), devices.entry(d)] {
                let e = entry.or_insert((&c.version, c.last_use));
                e.0 = e.0.max(&c.version);
                e.1 = e.1.max(c.last_use);
            }
        }
        let (holding_users, holding_devices) = self.holders();
        let sides = [
            (AssignmentKind::User, holding_users, &users),
            (AssignmentKind::Device, holding_devices, &devices),
        ];
        let mut needs = Vec::new();
        for (kind, names, uses) in sides {
            for name in names {
                if let Some((version, last_use)) = uses.get(name.as_str()) {
                    needs.push(Need {
                        kind,
                        version: (*version).clone(),
                        last_use: *last_use,
                        name,
                    });
                }
            }
        }
        needs
    }

    /// The versions the holders would need once a session opens on the
    /// connection `user`–`device` asking for `version`: worked out on a
    /// copy (a pass over the feature's connections).
    pub fn needs_after(&self, user: &str, device: &str, version: &Version) -> Vec<Version> {
        let mut after = self.clone();
        after.open(user, device, version, 0);
        after.needs().into_iter().map(|n| n.version).collect()
    }
}

/// The pools of a feature as placing sees them: live ones, oldest css
/// date first, with what they have installed.
pub type LivePools<'a> = Vec<(&'a PoolKey, u64)>;

/// Whether the pools have more than one css date: only then does where a
/// holder is placed depend on what it needs.
pub fn several_dates(pools: &LivePools<'_>) -> bool {
    pools.windows(2).any(|w| w[0].0.version != w[1].0.version)
}

impl Engine {
    /// The live pools of `feature` at `now`, in serving order: lowest css
    /// date first, then soonest expiry.
    pub(crate) fn live_pools(&self, now: Time, feature: &str) -> LivePools<'_> {
        let mut pools: LivePools<'_> = self
            .pools
            .iter()
            .filter(|(k, p)| k.feature == feature && p.is_live(now))
            .map(|(k, p)| (k, p.installed(now)))
            .collect();
        pools.sort_by(|a, b| {
            (a.0.version.cmp(&b.0.version))
                .then_with(|| a.0.expiry.cmp(&b.0.expiry))
                .then_with(|| a.0.cmp(b.0))
        });
        pools
    }

    /// Admission at several css dates: within the installed counts when
    /// the holders after the request can all be placed (or spill no more
    /// than before). `reserved` licenses are kept as holders of the oldest
    /// date, placed with the others.
    pub(crate) fn fits_at_dates(
        &self,
        live: &LivePools<'_>,
        before: &[Version],
        after: &[Version],
        reserved: u64,
    ) -> bool {
        let Some(oldest) = live.first().map(|p| &p.0.version.0) else {
            return false;
        };
        let spill = |needs: &[Version]| {
            let mut all: Vec<&Version> = needs.iter().collect();
            all.extend((0..reserved).map(|_| oldest));
            place(&all, live).map_or(usize::MAX, |p| p.spilled)
        };
        let after = spill(after);
        after == 0 || after <= spill(before)
    }

    /// Where the holders of `feature` are counted at `now`, when its live
    /// pools have several css dates.
    pub(crate) fn placed_at_dates(
        &self,
        now: Time,
        feature: &str,
        ud: &UdFeature,
    ) -> Option<(Vec<Need>, Vec<PoolKey>, Placement)> {
        let live = self.live_pools(now, feature);
        if !several_dates(&live) {
            return None;
        }
        let needs = ud.needs();
        let versions: Vec<&Version> = needs.iter().map(|n| &n.version).collect();
        let placement = place(&versions, &live)?;
        let keys = live.into_iter().map(|(k, _)| k.clone()).collect();
        Some((needs, keys, placement))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::license::Expiry;
    use crate::license::pool::VersionKey;

    fn key(version: &str) -> PoolKey {
        PoolKey {
            feature: "XDT_PLT_UD".into(),
            version: VersionKey(Version::parse(version).unwrap()),
            expiry: Expiry::Permanent,
            license_type: None,
            vendor_string: None,
        }
    }

    #[test]
    fn the_most_demanding_holders_are_placed_first_and_older_pools_fill_first() {
        let (old, new) = (key("2025.1201"), key("2026.1201"));
        let pools = [(&old, 1), (&new, 1)];
        let v = |s: &str| Version::parse(s).unwrap();
        let (a, b) = (v("2025.0101"), v("2026.0101"));
        // Given in either order, the newer need takes the newer pool.
        for needs in [[&a, &b], [&b, &a]] {
            let p = place(&needs, &pools).unwrap();
            assert_eq!((p.counts.clone(), p.spilled), (vec![1, 1], 0));
        }
        // Two that need the newer pool: one spills into it.
        let p = place(&[&b, &b], &pools).unwrap();
        assert_eq!((p.counts, p.spilled), (vec![0, 2], 1));
        assert!(place(&[&a], &[]).is_none());
    }

    mod against_brute_force {
        use std::collections::BTreeMap;

        use proptest::prelude::*;

        use crate::engine::request::{CheckoutRequest, Decision, Request};
        use crate::engine::types::{DAY, PoolSpec};
        use crate::engine::{Engine, snapshot::AssignmentKind};
        use crate::flexnet::Code;
        use crate::license::{Expiry, Version};

        const FEATURE: &str = "XDT_PLT_UD";
        const POOLS: [&str; 3] = ["2025.1201", "2026.0601", "2026.1201"];
        const ASKED: [&str; 3] = ["2025.0601", "2026.0101", "2026.0901"];
        const T0: i64 = 1_800_000_000;

        fn v(s: &str) -> Version {
            Version::parse(s).unwrap()
        }

        /// Connections: (user, device) → newest version asked.
        type Graph = BTreeMap<(u8, u8), Version>;

        /// The preferred minimum cover by trying every set of users and
        /// devices: fewest licenses, then fewest devices (it is unique).
        fn cover(g: &Graph, n: u8) -> (Vec<u8>, Vec<u8>) {
            let mut best: Option<(u32, u32, u32)> = None;
            for mask in 0u32..(1 << (2 * n)) {
                let user = |u: u8| mask & (1 << u) != 0;
                let device = |d: u8| mask & (1 << (n + d)) != 0;
                if !g.keys().all(|&(u, d)| user(u) || device(d)) {
                    continue;
                }
                let rank = (mask.count_ones(), (mask >> n).count_ones(), mask);
                if best.is_none_or(|b| (rank.0, rank.1) < (b.0, b.1)) {
                    best = Some(rank);
                }
            }
            let mask = best.map_or(0, |b| b.2);
            let users = (0..n).filter(|u| mask & (1 << u) != 0).collect();
            let devices = (0..n).filter(|d| mask & (1 << (n + d)) != 0).collect();
            (users, devices)
        }

        /// The version each holder needs: the newest asked over any of its
        /// connections.
        fn needs(g: &Graph, n: u8) -> Vec<Version> {
            let (users, devices) = cover(g, n);
            let newest = |pick: &dyn Fn(&(u8, u8)) -> bool| {
                g.iter()
                    .filter(|(k, _)| pick(k))
                    .map(|(_, v)| v.clone())
                    .max()
                    .unwrap()
            };
            let mut out: Vec<Version> = users.iter().map(|u| newest(&|k| k.0 == *u)).collect();
            out.extend(devices.iter().map(|d| newest(&|k| k.1 == *d)));
            out
        }

        /// The fewest holders left without a place, over every way of
        /// placing them in pools that serve them.
        fn least_spilled(needs: &[Version], pools: &[(Version, u64)]) -> usize {
            fn go(
                i: usize,
                needs: &[Version],
                room: &mut [u64],
                pools: &[(Version, u64)],
            ) -> usize {
                if i == needs.len() {
                    return 0;
                }
                let mut best = 1 + go(i + 1, needs, room, pools);
                for j in 0..pools.len() {
                    if pools[j].0 >= needs[i] && room[j] > 0 {
                        room[j] -= 1;
                        best = best.min(go(i + 1, needs, room, pools));
                        room[j] += 1;
                    }
                }
                best
            }
            let mut room: Vec<u64> = pools.iter().map(|p| p.1).collect();
            go(0, needs, &mut room, pools)
        }

        fn spec(version: &str, count: u64) -> PoolSpec {
            PoolSpec {
                feature: FEATURE.into(),
                version: v(version),
                expiry: Expiry::Permanent,
                license_type: Some("Eval".into()),
                vendor_string: None,
                count,
                dup_device: false,
                lines: vec![version.into()],
                starts: Vec::new(),
                refused: None,
            }
        }

        fn pools() -> impl Strategy<Value = Vec<(usize, u64)>> {
            // Two or three css dates, up to three licenses each.
            (1u8..8, prop::array::uniform3(0u64..4)).prop_filter_map(
                "two dates at least",
                |(mask, counts)| {
                    let chosen: Vec<(usize, u64)> = (0..3)
                        .filter(|i| mask & (1 << i) != 0)
                        .map(|i| (i, counts[i]))
                        .collect();
                    (chosen.len() >= 2).then_some(chosen)
                },
            )
        }

        /// (op, user, device, version): op 0–5 a checkout, 6 a checkin of
        /// the n-th held checkout, 7 a release of the user.
        fn ops() -> impl Strategy<Value = Vec<(u8, u8, u8, usize)>> {
            prop::collection::vec((0u8..8, 0u8..4, 0u8..4, 0usize..3), 1..40)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(400))]

            /// At every step: each pool's use, the pool each holder is
            /// counted against, and admission agree with each other and
            /// with the rule worked out by brute force.
            #[test]
            fn pools_holders_and_admission_agree(pools in pools(), ops in ops()) {
                let pools: Vec<(Version, u64)> =
                    pools.iter().map(|(i, c)| (v(POOLS[*i]), *c)).collect();
                let specs = pools.iter().map(|(ver, c)| spec(ver.as_str(), *c)).collect();
                let mut e = Engine::default();
                e.handle(T0, Request::Reread { pools: specs, by: None });
                let Decision::SessionStarted { session } =
                    e.handle(T0, Request::StartSession { host: "ddc".into(), secret: Default::default() }).decision
                else {
                    panic!("no session");
                };
                let mut graph = Graph::new();
                let mut held: Vec<(u64, (u8, u8))> = Vec::new();
                // Released while open: they go with their last checkout.
                let mut released = std::collections::BTreeSet::new();
                let now = T0 + DAY;
                for (op, user, device, asked) in ops {
                    match op {
                        0..=5 => {
                            let asked = v(ASKED[asked]);
                            let mut after = graph.clone();
                            let e_v = after.entry((user, device)).or_insert(asked.clone());
                            *e_v = e_v.clone().max(asked.clone());
                            let serves = pools.iter().any(|p| p.0 >= asked);
                            let fits = least_spilled(&needs(&after, 4), &pools) == 0
                                || least_spilled(&needs(&after, 4), &pools)
                                    <= least_spilled(&needs(&graph, 4), &pools);
                            let request = Request::Checkout(CheckoutRequest {
                                session,
                                feature: FEATURE.into(),
                                version: asked.clone(),
                                user: format!("u{user}"),
                                device: format!("d{device}"),
                                host: "ddc".into(),
                                display: String::new(),
                                count: 1,
                            });
                            match e.handle(now, request).decision {
                                Decision::Granted(g) => {
                                    prop_assert!(serves && fits, "granted {:?}", g);
                                    graph = after;
                                    held.push((g.handle, (user, device)));
                                    released.remove(&(user, device));
                                }
                                Decision::Denied(d) => {
                                    let want = if serves { Code::ALL_IN_USE } else { Code::VERSION_TOO_NEW };
                                    prop_assert!(!(serves && fits), "refused {:?}", d);
                                    prop_assert_eq!(d.code, want);
                                }
                                other => panic!("{other:?}"),
                            }
                        }
                        6 if !held.is_empty() => {
                            let (handle, k) = held.remove(usize::from(user) % held.len());
                            e.handle(now, Request::Checkin { session, handle });
                            if !held.iter().any(|(_, o)| *o == k) && released.remove(&k) {
                                graph.remove(&k);
                            }
                        }
                        _ => {
                            e.handle(now, Request::Release {
                                feature: None,
                                user: Some(format!("u{user}")),
                                device: None, by: None,
                            });
                            // Connections no session is open on go at once.
                            graph.retain(|&(u, d), _| {
                                let open = held.iter().any(|(_, k)| *k == (u, d));
                                if u == user && open {
                                    released.insert((u, d));
                                }
                                u != user || open
                            });
                        }
                    }
                    check_views(&e, now, &graph, &pools)?;
                }
            }
        }

        /// The views agree: each pool's use is the holders counted against
        /// it, every holder's pool serves what it needs, the total is the
        /// optimum, and no pool is over its count unless there was no way
        /// to place every holder.
        fn check_views(
            e: &Engine,
            now: i64,
            graph: &Graph,
            pools: &[(Version, u64)],
        ) -> Result<(), TestCaseError> {
            let snap = e.snapshot(now);
            let views: Vec<_> = snap
                .pools
                .iter()
                .filter(|p| p.key.feature == FEATURE)
                .collect();
            let mut per_version: BTreeMap<String, u64> = BTreeMap::new();
            for a in &snap.assignments {
                *per_version.entry(a.version.clone()).or_default() += 1;
                let need = graph
                    .iter()
                    .filter(|((u, d), _)| match a.kind {
                        AssignmentKind::User => a.name == format!("u{u}"),
                        AssignmentKind::Device => a.name == format!("d{d}"),
                    })
                    .map(|(_, v)| v.clone())
                    .max()
                    .unwrap();
                prop_assert!(v(&a.version) >= need, "{:?} needs {}", a, need);
            }
            for view in &views {
                let counted = per_version.remove(view.key.version.0.as_str()).unwrap_or(0);
                prop_assert_eq!(view.in_use, counted, "{:?}", view);
            }
            prop_assert!(
                per_version.is_empty(),
                "holders in no pool: {:?}",
                per_version
            );
            let needs = needs(graph, 4);
            let total: u64 = views.iter().map(|p| p.in_use).sum();
            prop_assert_eq!(total, needs.len() as u64);
            if least_spilled(&needs, pools) == 0 {
                for view in &views {
                    prop_assert!(view.in_use <= view.installed, "{:?}", view);
                }
            }
            Ok(())
        }
    }
}
