//! The user/device optimum: a maximum matching of the user–device graph
//! (König: its size is the minimum vertex cover's) and the preferred cover.
//!
//! This version is exact and simple: it recomputes a maximum matching with
//! Kuhn's augmenting paths on every query, O(V·E). It is correct at any
//! size and fast enough for thousands of connections; the incremental
//! structure that keeps the optimum current per request at a million users
//! replaces it (issue: performance).
//!
//! The cover is built from the unmatched devices (König): Z is every vertex
//! reachable from them by alternating paths, and the cover is the users in
//! Z plus the devices not in Z. That is the minimum cover with the fewest
//! devices, so users get the licenses unless a device is shared.
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cover {
    pub users: Vec<u32>,
    pub devices: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct UdGraph {
    edges: BTreeSet<(u32, u32)>,
}

impl UdGraph {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, u: u32, d: u32) -> bool {
        self.edges.insert((u, d))
    }
    pub fn remove(&mut self, u: u32, d: u32) -> bool {
        self.edges.remove(&(u, d))
    }
    fn matching(edges: &BTreeSet<(u32, u32)>) -> BTreeMap<u32, u32> {
        // device -> user
        let mut adj: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for (u, d) in edges {
            adj.entry(*d).or_default().push(*u);
        }
        let mut mate_u: BTreeMap<u32, u32> = BTreeMap::new();
        fn try_d(
            d: u32,
            adj: &BTreeMap<u32, Vec<u32>>,
            mate_u: &mut BTreeMap<u32, u32>,
            seen: &mut BTreeSet<u32>,
        ) -> bool {
            for &u in &adj[&d] {
                if seen.insert(u) {
                    let m = mate_u.get(&u).copied();
                    if m.is_none() || try_d(m.unwrap(), adj, mate_u, seen) {
                        mate_u.insert(u, d);
                        return true;
                    }
                }
            }
            false
        }
        for &d in adj.keys() {
            try_d(d, &adj, &mut mate_u, &mut BTreeSet::new());
        }
        mate_u.into_iter().map(|(u, d)| (d, u)).collect()
    }
    pub fn licenses_in_use(&self) -> usize {
        Self::matching(&self.edges).len()
    }
    pub fn would_increase(&self, u: u32, d: u32) -> bool {
        let mut e = self.edges.clone();
        e.insert((u, d));
        Self::matching(&e).len() > self.licenses_in_use()
    }
    pub fn cover(&self) -> Cover {
        let m = Self::matching(&self.edges); // device -> user
        let mate_u: BTreeMap<u32, u32> = m.iter().map(|(d, u)| (*u, *d)).collect();
        let mut adj: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for (u, d) in &self.edges {
            adj.entry(*d).or_default().push(*u);
        }
        let mut zd: BTreeSet<u32> = adj.keys().filter(|d| !m.contains_key(d)).copied().collect();
        let mut zu = BTreeSet::new();
        let mut stack: Vec<u32> = zd.iter().copied().collect();
        while let Some(d) = stack.pop() {
            for &u in &adj[&d] {
                if zu.insert(u) {
                    if let Some(&d2) = mate_u.get(&u) {
                        if zd.insert(d2) {
                            stack.push(d2);
                        }
                    }
                }
            }
        }
        Cover {
            users: zu.into_iter().collect(),
            devices: adj.keys().filter(|d| !zd.contains(d)).copied().collect(),
        }
    }
}
