//! The user/device optimum, kept exact at every request: a maximum matching
//! of the bipartite user–device graph (König: its size is the size of a
//! minimum vertex cover, the licenses in use) and the preferred cover.
//!
//! The matching is maintained incrementally. Adding an edge can raise the
//! optimum by at most one, and only through an augmenting path that uses the
//! new edge: its user must be free or able to hand its device to someone
//! else along an alternating path that ends at a free user, and its device
//! must likewise be free or able to hand its user on to a free device. The
//! two searches are independent — in a bipartite graph with a maximum
//! matching, the vertices reachable by even alternating paths from free
//! users never meet those reachable from free devices — so the answer is
//! exact and both paths can be flipped at once. Removing a matched edge
//! frees its two ends; at most one augmenting path, starting at one of them,
//! can restore the optimum. Each step searches only the alternating region
//! around the edge, so admitting a connection to a graph of a million users
//! costs microseconds, not a recomputation.
//!
//! [`UdGraph::rebuild`] recomputes the matching from scratch with
//! Hopcroft–Karp, O(E·√V), for bulk loads and as a cross-check.
//!
//! The cover is built from the unmatched users (König): Z is every vertex
//! reachable from them by alternating paths, and the cover is the users not
//! in Z plus the devices in Z. Devices in Z are in every minimum cover, so
//! this is the minimum cover with the fewest devices: users get the licenses
//! unless a device is shared. It does not depend on which maximum matching
//! is held, so it is deterministic whatever order the edges came in.

use std::cell::RefCell;

/// No partner: a free vertex.
const NONE: u32 = u32::MAX;
/// The user side and the device side, as indexes into [`UdGraph::sides`].
const USERS: usize = 0;
const DEVICES: usize = 1;

/// The holders of licenses: users and devices of the preferred cover.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cover {
    pub users: Vec<u32>,
    pub devices: Vec<u32>,
}

/// How an end of a new edge can take it.
enum Freed {
    /// The vertex has no partner.
    Already,
    /// Its partner `mate` moves along the alternating path found by the
    /// search to the free vertex `free`.
    ByPath { mate: u32, free: u32 },
}

/// One side of the graph: each vertex's neighbours and partner.
#[derive(Debug, Clone, Default)]
struct Side {
    adj: Vec<Vec<u32>>,
    mate: Vec<u32>,
}

impl Side {
    fn grow(&mut self, v: u32) {
        let len = v as usize + 1;
        if self.adj.len() < len {
            self.adj.resize_with(len, Vec::new);
            self.mate.resize(len, NONE);
        }
    }

    fn mate(&self, v: u32) -> u32 {
        self.mate.get(v as usize).copied().unwrap_or(NONE)
    }

    fn adj(&self, v: u32) -> &[u32] {
        self.adj.get(v as usize).map_or(&[], Vec::as_slice)
    }
}

/// Working memory of the searches. Marks are stamps, so a search costs
/// what it visits, never a clear of the whole graph.
#[derive(Debug, Clone, Default)]
struct Scratch {
    stamp: u32,
    /// Per side: the stamp of the search that last reached each vertex.
    seen: [Vec<u32>; 2],
    /// Per side: the vertex of the other side each vertex was reached from.
    parent: [Vec<u32>; 2],
    queue: Vec<u32>,
    /// The freeable vertices, when known for the current graph and
    /// matching (see [`Labels`]).
    labels: Option<Labels>,
    /// Vertices visited by searches since the labels were last valid.
    work: usize,
}

/// Per side, whether each vertex is free or reachable from a free vertex of
/// its own side by an even alternating path — whether it can give its
/// partner up. A new edge raises the optimum exactly when both its ends
/// can. Computing them costs one pass over the graph; adding an edge that
/// does not raise the optimum only ever labels more vertices, so they are
/// kept up to date from the new edge outwards; an augmentation or a removal
/// can unlabel vertices anywhere and drops them.
#[derive(Debug, Clone, Default)]
struct Labels {
    even: [Vec<bool>; 2],
}

impl Labels {
    fn freeable(&self, s: usize, v: u32) -> bool {
        // A vertex the graph has never seen is free.
        self.even[s].get(v as usize).copied().unwrap_or(true)
    }
}

impl Scratch {
    fn next_stamp(&mut self, sizes: [usize; 2]) {
        for s in [USERS, DEVICES] {
            if self.seen[s].len() < sizes[s] {
                self.seen[s].resize(sizes[s], 0);
                self.parent[s].resize(sizes[s], NONE);
            }
        }
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            // After four billion searches the stamps wrap: start afresh.
            self.seen.iter_mut().for_each(|s| s.fill(0));
            self.stamp = 1;
        }
    }

    /// The graph changed in a way the labels cannot follow.
    fn forget(&mut self) {
        self.labels = None;
        self.work = 0;
    }

    /// Marks `v` of side `s`; false if this search already reached it.
    fn visit(&mut self, s: usize, v: u32, from: u32) -> bool {
        let i = v as usize;
        if self.seen[s][i] == self.stamp {
            return false;
        }
        self.seen[s][i] = self.stamp;
        self.parent[s][i] = from;
        true
    }
}

/// The user–device graph of one feature with a maximum matching.
#[derive(Debug, Clone, Default)]
pub struct UdGraph {
    sides: [Side; 2],
    matched: usize,
    edges: usize,
    /// Per side, the vertices with at least one edge.
    nonisolated: [usize; 2],
    /// While set, edges come and go without the matching being kept: a
    /// bulk load (recovery) settles it once, with [`UdGraph::settle`].
    deferred: bool,
    scratch: RefCell<Scratch>,
}

impl UdGraph {
    pub fn new() -> Self {
        Self::default()
    }

    /// The licenses in use: the size of a minimum cover.
    pub fn licenses_in_use(&self) -> usize {
        debug_assert!(!self.deferred, "the optimum is settled before use");
        self.matched
    }

    /// From now on, edges are added and removed without keeping the
    /// matching, until [`Self::settle`]: one Hopcroft–Karp pass then costs
    /// less than a search for each of a million edges.
    pub fn defer(&mut self) {
        self.deferred = true;
    }

    /// Whether edges come and go without the matching being kept.
    pub fn is_deferred(&self) -> bool {
        self.deferred
    }

    /// Restores a maximum matching after [`Self::defer`].
    pub fn settle(&mut self) {
        if std::mem::take(&mut self.deferred) {
            self.rebuild();
        }
    }

    pub fn contains(&self, u: u32, d: u32) -> bool {
        let (users, devices) = (self.sides[USERS].adj(u), self.sides[DEVICES].adj(d));
        if users.len() <= devices.len() {
            users.contains(&d)
        } else {
            devices.contains(&u)
        }
    }

    /// Whether adding the edge `u`–`d` would raise the optimum. Vertices
    /// the graph has never seen are free.
    pub fn would_increase(&self, u: u32, d: u32) -> bool {
        debug_assert!(!self.deferred, "the optimum is settled before use");
        if self.contains(u, d) {
            return false;
        }
        let scratch = &mut *self.scratch.borrow_mut();
        if scratch.labels.is_none() && scratch.work > self.size() {
            // Searches since the last change have cost a pass over the
            // graph: label it once, and answer the next ones at once.
            scratch.labels = Some(self.labels());
        }
        if let Some(labels) = &scratch.labels {
            return labels.freeable(USERS, u) && labels.freeable(DEVICES, d);
        }
        self.frees_up(scratch, USERS, u).is_some() && self.frees_up(scratch, DEVICES, d).is_some()
    }

    /// Vertices and edges: what one pass over the graph costs.
    fn size(&self) -> usize {
        self.sides[USERS].adj.len() + self.sides[DEVICES].adj.len() + self.edges
    }

    /// Labels every vertex (see [`Labels`]): a search from all the free
    /// vertices of each side at once.
    fn labels(&self) -> Labels {
        let mut labels = Labels::default();
        for s in [USERS, DEVICES] {
            let (side, other) = (&self.sides[s], &self.sides[1 - s]);
            let even = &mut labels.even[s];
            *even = side.mate.iter().map(|&m| m == NONE).collect();
            let stack = (0..even.len() as u32)
                .filter(|&v| even[v as usize])
                .collect();
            spread(side, other, even, stack);
        }
        labels
    }

    /// After an edge `u`–`d` was added without raising the optimum: labels
    /// what became freeable through it.
    fn extend_labels(&self, labels: &mut Labels, u: u32, d: u32) {
        for s in [USERS, DEVICES] {
            let len = self.sides[s].adj.len();
            labels.even[s].resize(len, true);
        }
        for (s, v, w) in [(USERS, u, d), (DEVICES, d, u)] {
            let (side, other) = (&self.sides[s], &self.sides[1 - s]);
            let partner = other.mate(w);
            if labels.even[s][v as usize]
                && partner != NONE
                && !std::mem::replace(&mut labels.even[s][partner as usize], true)
            {
                spread(side, other, &mut labels.even[s], vec![partner]);
            }
        }
    }

    /// Adds the edge `u`–`d` and restores a maximum matching. False if it
    /// was already there.
    pub fn add(&mut self, u: u32, d: u32) -> bool {
        if self.contains(u, d) {
            return false;
        }
        if self.deferred {
            self.link(u, d);
            return true;
        }
        let mut scratch = std::mem::take(self.scratch.get_mut());
        let known_no = scratch
            .labels
            .as_ref()
            .is_some_and(|labels| !(labels.freeable(USERS, u) && labels.freeable(DEVICES, d)));
        let (user_side, device_side) = if known_no {
            (None, None)
        } else {
            (
                self.frees_up(&mut scratch, USERS, u),
                self.frees_up(&mut scratch, DEVICES, d),
            )
        };
        self.link(u, d);
        if let (Some(a), Some(b)) = (user_side, device_side) {
            // Both paths were found before the edge was added, and they
            // are disjoint (see the module comment): flip both.
            if let Freed::ByPath { mate, free } = a {
                self.flip(&scratch, DEVICES, mate, free);
            }
            if let Freed::ByPath { mate, free } = b {
                self.flip(&scratch, USERS, mate, free);
            }
            self.pair(u, d);
            self.matched += 1;
            scratch.forget();
        } else if let Some(labels) = &mut scratch.labels {
            self.extend_labels(labels, u, d);
        }
        *self.scratch.get_mut() = scratch;
        true
    }

    /// Adds the edge `u`–`d` to both adjacency lists.
    fn link(&mut self, u: u32, d: u32) {
        self.sides[USERS].grow(u);
        self.sides[DEVICES].grow(d);
        for (s, v, w) in [(USERS, u, d), (DEVICES, d, u)] {
            let adj = &mut self.sides[s].adj[v as usize];
            self.nonisolated[s] += usize::from(adj.is_empty());
            adj.push(w);
        }
        self.edges += 1;
    }

    /// Removes the edge `u`–`d` and restores a maximum matching. False if
    /// it was not there.
    pub fn remove(&mut self, u: u32, d: u32) -> bool {
        if !self.contains(u, d) {
            return false;
        }
        for (s, v, w) in [(USERS, u, d), (DEVICES, d, u)] {
            let adj = &mut self.sides[s].adj[v as usize];
            if let Some(i) = adj.iter().position(|x| *x == w) {
                adj.swap_remove(i);
            }
            if adj.is_empty() {
                *adj = Vec::new();
                self.nonisolated[s] -= 1;
            }
        }
        self.edges -= 1;
        self.scratch.get_mut().forget();
        if self.deferred || self.sides[USERS].mate(u) != d {
            // An unmatched edge: the matching is untouched and still maximum.
            return true;
        }
        self.sides[USERS].mate[u as usize] = NONE;
        self.sides[DEVICES].mate[d as usize] = NONE;
        self.matched -= 1;
        // Any augmenting path now ends at `u` or at `d`: the only vertices
        // the removal freed.
        let mut scratch = std::mem::take(self.scratch.get_mut());
        for (s, v) in [(USERS, u), (DEVICES, d)] {
            if let Some(free) = self.search(&mut scratch, s, v, NONE) {
                self.flip(&scratch, s, v, free);
                self.matched += 1;
                break;
            }
        }
        *self.scratch.get_mut() = scratch;
        true
    }

    /// For a new edge at `v` (of side `s`): whether `v` can take it — it
    /// is free, or its partner can be handed on along an alternating path
    /// to a free vertex. Searched before the edge is added, so the path
    /// never uses it.
    fn frees_up(&self, scratch: &mut Scratch, s: usize, v: u32) -> Option<Freed> {
        let mate = self.sides[s].mate(v);
        if mate == NONE {
            return Some(Freed::Already);
        }
        if self.nonisolated[s] == self.matched {
            // Every vertex of this side with an edge has a partner: no
            // path can end at a free one.
            return None;
        }
        // `v` keeps out of the search: it is the one giving its partner up.
        self.search(scratch, 1 - s, mate, v)
            .map(|free| Freed::ByPath { mate, free })
    }

    /// Breadth-first search for an alternating path from `start` (of side
    /// `s`, free or treated as free) to a free vertex of the other side,
    /// never entering `exclude` (of the other side). Returns that free
    /// vertex; the path is in the scratch's parents.
    fn search(&self, scratch: &mut Scratch, s: usize, start: u32, exclude: u32) -> Option<u32> {
        let t = 1 - s;
        scratch.next_stamp([self.sides[USERS].adj.len(), self.sides[DEVICES].adj.len()]);
        if (exclude as usize) < scratch.seen[t].len() {
            scratch.visit(t, exclude, NONE);
        }
        let mut queue = std::mem::take(&mut scratch.queue);
        queue.clear();
        queue.push(start);
        let mut head = 0;
        let mut found = None;
        'bfs: while head < queue.len() {
            let x = queue[head];
            head += 1;
            for &y in self.sides[s].adj(x) {
                if !scratch.visit(t, y, x) {
                    continue;
                }
                let next = self.sides[t].mate(y);
                if next == NONE {
                    found = Some(y);
                    break 'bfs;
                }
                queue.push(next);
            }
        }
        scratch.work += head;
        scratch.queue = queue;
        found
    }

    /// Flips the alternating path found by [`Self::search`] from `start`
    /// (side `s`) to `free` (the other side).
    fn flip(&mut self, scratch: &Scratch, s: usize, start: u32, free: u32) {
        let t = 1 - s;
        let mut y = free;
        loop {
            let x = scratch.parent[t][y as usize];
            let previous = self.sides[s].mate[x as usize];
            self.sides[s].mate[x as usize] = y;
            self.sides[t].mate[y as usize] = x;
            if x == start {
                break;
            }
            y = previous;
        }
    }

    fn pair(&mut self, u: u32, d: u32) {
        self.sides[USERS].mate[u as usize] = d;
        self.sides[DEVICES].mate[d as usize] = u;
    }

    /// Recomputes a maximum matching from scratch (Hopcroft–Karp).
    pub fn rebuild(&mut self) {
        let n = self.sides[USERS].adj.len();
        self.sides[USERS].mate.fill(NONE);
        self.sides[DEVICES].mate.fill(NONE);
        self.matched = 0;
        self.scratch.get_mut().forget();
        // A greedy start leaves few augmenting paths to find.
        for u in 0..n {
            if let Some(&d) = self.sides[USERS].adj[u]
                .iter()
                .find(|&&d| self.sides[DEVICES].mate[d as usize] == NONE)
            {
                self.pair(u as u32, d);
                self.matched += 1;
            }
        }
        let mut dist = vec![u32::MAX; n];
        let mut next = vec![0u32; n];
        let mut queue = Vec::with_capacity(n);
        let mut stack = Vec::new();
        while self.layer(&mut dist, &mut queue) {
            next.fill(0);
            for u in 0..n as u32 {
                if self.sides[USERS].mate[u as usize] == NONE
                    && self.augment_layered(u, &mut dist, &mut next, &mut stack)
                {
                    self.matched += 1;
                }
            }
        }
    }

    /// Hopcroft–Karp's breadth-first phase: the distance of every user from
    /// the free users along alternating paths. True if some free device is
    /// reachable, i.e. an augmenting path exists.
    fn layer(&self, dist: &mut [u32], queue: &mut Vec<u32>) -> bool {
        queue.clear();
        for (u, d) in dist.iter_mut().enumerate() {
            if self.sides[USERS].mate[u] == NONE && !self.sides[USERS].adj[u].is_empty() {
                *d = 0;
                queue.push(u as u32);
            } else {
                *d = u32::MAX;
            }
        }
        let mut head = 0;
        let mut reachable = false;
        while head < queue.len() {
            let x = queue[head];
            head += 1;
            for &y in &self.sides[USERS].adj[x as usize] {
                let w = self.sides[DEVICES].mate[y as usize];
                if w == NONE {
                    reachable = true;
                } else if dist[w as usize] == u32::MAX {
                    dist[w as usize] = dist[x as usize] + 1;
                    queue.push(w);
                }
            }
        }
        reachable
    }

    /// Hopcroft–Karp's depth-first phase from the free user `root`, along
    /// the layers, without recursion (paths can be very long).
    fn augment_layered(
        &mut self,
        root: u32,
        dist: &mut [u32],
        next: &mut [u32],
        stack: &mut Vec<u32>,
    ) -> bool {
        stack.clear();
        stack.push(root);
        while let Some(&x) = stack.last() {
            let xi = x as usize;
            let adj = &self.sides[USERS].adj[xi];
            if (next[xi] as usize) >= adj.len() {
                dist[xi] = u32::MAX;
                stack.pop();
                continue;
            }
            let y = adj[next[xi] as usize];
            next[xi] += 1;
            let w = self.sides[DEVICES].mate[y as usize];
            if w == NONE {
                // Each user on the stack takes the device it last tried.
                for &x in stack.iter() {
                    let y = self.sides[USERS].adj[x as usize][next[x as usize] as usize - 1];
                    self.pair(x, y);
                }
                return true;
            }
            if dist[w as usize] == dist[xi].saturating_add(1) {
                stack.push(w);
            }
        }
        false
    }

    /// The preferred minimum cover (see the module comment).
    pub fn cover(&self) -> Cover {
        debug_assert!(!self.deferred, "the optimum is settled before use");
        let (users, devices) = (&self.sides[USERS], &self.sides[DEVICES]);
        let mut user_in_z = vec![false; users.adj.len()];
        let mut device_in_z = vec![false; devices.adj.len()];
        let mut stack: Vec<u32> = Vec::new();
        for (u, in_z) in user_in_z.iter_mut().enumerate() {
            if users.mate[u] == NONE {
                *in_z = true;
                stack.push(u as u32);
            }
        }
        while let Some(x) = stack.pop() {
            for &y in &users.adj[x as usize] {
                if !std::mem::replace(&mut device_in_z[y as usize], true) {
                    // Reachable devices are matched: otherwise the path to
                    // them would augment a maximum matching.
                    let w = devices.mate[y as usize];
                    if w != NONE && !std::mem::replace(&mut user_in_z[w as usize], true) {
                        stack.push(w);
                    }
                }
            }
        }
        Cover {
            users: (0..users.adj.len() as u32)
                .filter(|&u| !user_in_z[u as usize])
                .collect(),
            devices: (0..devices.adj.len() as u32)
                .filter(|&d| device_in_z[d as usize])
                .collect(),
        }
    }

    /// Checks the matching: every pair is an edge, partners agree, the
    /// count is right, and no augmenting path is left.
    #[cfg(test)]
    pub fn check(&self) -> Result<(), String> {
        let (users, devices) = (&self.sides[USERS], &self.sides[DEVICES]);
        let mut pairs = 0;
        for (u, &d) in users.mate.iter().enumerate() {
            if d == NONE {
                continue;
            }
            pairs += 1;
            if devices.mate(d) != u as u32 || !self.contains(u as u32, d) {
                return Err(format!("user {u} is paired with {d} inconsistently"));
            }
        }
        if pairs != self.matched {
            return Err(format!("{pairs} pairs, {} counted", self.matched));
        }
        if let Some(labels) = &self.scratch.borrow().labels {
            let fresh = self.labels();
            for s in [USERS, DEVICES] {
                if labels.even[s] != fresh.even[s] {
                    return Err(format!("labels of side {s} are stale"));
                }
            }
        }
        let mut fresh = self.clone();
        fresh.rebuild();
        if fresh.matched != self.matched {
            return Err(format!(
                "matching of {} is not maximum ({})",
                self.matched, fresh.matched
            ));
        }
        Ok(())
    }
}

/// From the freeable vertices on `stack` (of `side`), labels every
/// partner of their neighbours, and onwards from those newly labelled.
fn spread(side: &Side, other: &Side, even: &mut [bool], mut stack: Vec<u32>) {
    while let Some(x) = stack.pop() {
        for &y in side.adj(x) {
            let w = other.mate(y);
            if w != NONE && !std::mem::replace(&mut even[w as usize], true) {
                stack.push(w);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The size of a minimum vertex cover by trying every vertex subset,
    /// and the fewest devices among minimum covers with the covers that
    /// have them.
    fn brute_force(edges: &[(u32, u32)], n: u32) -> (usize, Vec<Cover>) {
        let mut best = usize::MAX;
        let mut fewest = usize::MAX;
        let mut covers = Vec::new();
        for mask in 0u32..(1 << (2 * n)) {
            let user = |u: u32| mask & (1 << u) != 0;
            let device = |d: u32| mask & (1 << (n + d)) != 0;
            if !edges.iter().all(|&(u, d)| user(u) || device(d)) {
                continue;
            }
            let size = mask.count_ones() as usize;
            let ds = (mask >> n).count_ones() as usize;
            if (size, ds) < (best, fewest) {
                best = size;
                fewest = ds;
                covers.clear();
            }
            if (size, ds) == (best, fewest) {
                covers.push(Cover {
                    users: (0..n).filter(|&u| user(u)).collect(),
                    devices: (0..n).filter(|&d| device(d)).collect(),
                });
            }
        }
        (if edges.is_empty() { 0 } else { best }, covers)
    }

    fn graph_of(edges: &[(u32, u32)]) -> UdGraph {
        let mut g = UdGraph::new();
        for &(u, d) in edges {
            g.add(u, d);
        }
        g
    }

    /// Restricts a cover to the vertices the graph knows (the brute force
    /// numbers every vertex up to `n`).
    fn known(c: &Cover, g: &UdGraph) -> Cover {
        Cover {
            users: c
                .users
                .iter()
                .copied()
                .filter(|&u| (u as usize) < g.sides[USERS].adj.len())
                .collect(),
            devices: c
                .devices
                .iter()
                .copied()
                .filter(|&d| (d as usize) < g.sides[DEVICES].adj.len())
                .collect(),
        }
    }

    #[test]
    fn one_user_on_one_device_holds_a_user_license() {
        let g = graph_of(&[(0, 0)]);
        assert_eq!(g.licenses_in_use(), 1);
        assert_eq!(
            g.cover(),
            Cover {
                users: vec![0],
                devices: vec![]
            }
        );
    }

    #[test]
    fn a_device_shared_by_two_users_holds_the_license() {
        let g = graph_of(&[(0, 0), (1, 0)]);
        assert_eq!(g.licenses_in_use(), 1);
        assert_eq!(
            g.cover(),
            Cover {
                users: vec![],
                devices: vec![0]
            }
        );
        // A second user on a device whose only user held a user license:
        // the optimum moves the license to the device and does not grow.
        assert!(!graph_of(&[(0, 0)]).would_increase(1, 0));
    }

    #[test]
    fn unseen_vertices_are_free() {
        let g = graph_of(&[(0, 0)]);
        assert!(g.would_increase(7, 9));
        // User 0's license covers a second device of its own.
        assert!(!g.would_increase(0, 9));
        assert!(!g.would_increase(0, 0));
    }

    #[test]
    fn long_alternating_paths_are_flipped_on_add_and_remove() {
        // A path u0-d0-u1-d1-…: adding and removing at its ends walks the
        // whole path.
        let n = 2_000;
        let mut g = UdGraph::new();
        for i in 0..n {
            g.add(i, i);
            g.add(i + 1, i);
        }
        assert_eq!(g.licenses_in_use(), n as usize);
        assert!(g.would_increase(0, n));
        g.add(0, n);
        assert_eq!(g.licenses_in_use(), n as usize + 1);
        g.check().unwrap();
        g.remove(0, 0);
        g.remove(n, n - 1);
        g.check().unwrap();
        let mut fresh = g.clone();
        fresh.rebuild();
        assert_eq!(fresh.cover(), g.cover());
    }

    #[test]
    fn labels_answer_like_the_searches_and_follow_new_edges() {
        let mut rng = 7u64;
        let mut next = move |n: u32| {
            rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            ((rng >> 33) % u64::from(n)) as u32
        };
        let mut g = UdGraph::new();
        for _ in 0..300 {
            g.add(next(120), next(100));
        }
        let searched: Vec<bool> = (0..130 * 110)
            .map(|i| g.would_increase(i / 110, i % 110))
            .collect();
        assert!(g.scratch.borrow().labels.is_some(), "labels were made");
        let labelled: Vec<bool> = (0..130 * 110)
            .map(|i| g.would_increase(i / 110, i % 110))
            .collect();
        assert_eq!(searched, labelled);
        // Adds that do not raise the optimum keep the labels, and right.
        let mut kept = 0;
        for _ in 0..200 {
            let (u, d) = (next(120), next(100));
            if !g.would_increase(u, d) && g.add(u, d) {
                kept += usize::from(g.scratch.borrow().labels.is_some());
                g.check().unwrap();
            }
        }
        assert!(kept > 0);
    }

    fn small_edges() -> impl Strategy<Value = Vec<(u32, u32)>> {
        prop::collection::vec((0u32..5, 0u32..5), 0..14)
    }

    fn ops() -> impl Strategy<Value = Vec<(u8, u32, u32)>> {
        prop::collection::vec((0u8..3, 0u32..5, 0u32..5), 0..60)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// The optimum, the admission answer and the preferred cover equal
        /// the brute force on every small graph.
        #[test]
        fn matches_brute_force(edges in small_edges(), u in 0u32..5, d in 0u32..5) {
            let g = graph_of(&edges);
            let mut unique = edges.clone();
            unique.sort_unstable();
            unique.dedup();
            let (optimum, covers) = brute_force(&unique, 5);
            prop_assert_eq!(g.licenses_in_use(), optimum);
            // The preferred cover is the only minimum cover with that few
            // devices.
            if !unique.is_empty() {
                prop_assert_eq!(covers.len(), 1);
                prop_assert_eq!(g.cover(), known(&covers[0], &g));
            }
            let mut with = unique.clone();
            with.push((u, d));
            with.sort_unstable();
            with.dedup();
            prop_assert_eq!(g.would_increase(u, d), brute_force(&with, 5).0 > optimum);
        }

        /// Any sequence of adds and removes keeps a valid maximum matching,
        /// and the cover does not depend on the order of operations.
        #[test]
        fn random_operations_keep_the_optimum(ops in ops()) {
            let mut g = UdGraph::new();
            let mut edges = std::collections::BTreeSet::new();
            for (op, u, d) in ops {
                let list: Vec<_> = edges.iter().copied().collect();
                let optimum = brute_force(&list, 5).0;
                match op {
                    0 => prop_assert_eq!(g.add(u, d), edges.insert((u, d))),
                    1 => prop_assert_eq!(g.remove(u, d), edges.remove(&(u, d))),
                    _ => {
                        // Queries in a row: the later ones are answered
                        // from the labels.
                        let mut with = list.clone();
                        with.push((u, d));
                        with.sort_unstable();
                        with.dedup();
                        let raises = brute_force(&with, 5).0 > optimum;
                        for _ in 0..3 {
                            prop_assert_eq!(g.would_increase(u, d), raises);
                        }
                    }
                }
                g.check().map_err(TestCaseError::fail)?;
                let list: Vec<_> = edges.iter().copied().collect();
                prop_assert_eq!(g.licenses_in_use(), brute_force(&list, 5).0);
            }
            let list: Vec<_> = edges.iter().rev().copied().collect();
            let fresh = graph_of(&list);
            prop_assert_eq!(fresh.cover(), g.cover());
        }

        /// Adds and removes while deferred, then settled, leave the optimum
        /// and the cover the live graph keeps, on a graph begun live.
        #[test]
        fn deferred_operations_settle_to_the_live_optimum(
            before in ops(),
            during in ops(),
        ) {
            let mut live = UdGraph::new();
            for (op, u, d) in before {
                if op == 1 { live.remove(u, d); } else { live.add(u, d); }
            }
            let mut deferred = live.clone();
            deferred.defer();
            for (op, u, d) in during {
                if op == 1 {
                    prop_assert_eq!(deferred.remove(u, d), live.remove(u, d));
                } else {
                    prop_assert_eq!(deferred.add(u, d), live.add(u, d));
                }
            }
            deferred.settle();
            deferred.check().map_err(TestCaseError::fail)?;
            prop_assert_eq!(deferred.licenses_in_use(), live.licenses_in_use());
            prop_assert_eq!(deferred.cover(), live.cover());
            // Settled, it is live again.
            for (u, d) in [(5, 5), (0, 6), (6, 0)] {
                prop_assert_eq!(deferred.would_increase(u, d), live.would_increase(u, d));
                deferred.add(u, d);
                live.add(u, d);
                deferred.check().map_err(TestCaseError::fail)?;
                prop_assert_eq!(deferred.licenses_in_use(), live.licenses_in_use());
            }
        }
    }

    /// Cover validity and minimality on large random graphs, where brute
    /// force cannot go: every edge is covered, the cover's size is the
    /// matching's, and the matching is maximum.
    #[test]
    fn large_random_graphs_keep_a_valid_minimum_cover() {
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u32| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % u64::from(n)) as u32
        };
        for _ in 0..4 {
            let (users, devices) = (2_000, 1_500);
            let mut g = UdGraph::new();
            let mut edges = Vec::new();
            for _ in 0..6_000 {
                let (u, d) = (next(users), next(devices));
                if g.add(u, d) {
                    edges.push((u, d));
                }
            }
            for _ in 0..2_000 {
                let i = next(edges.len() as u32) as usize;
                let (u, d) = edges.swap_remove(i);
                assert!(g.remove(u, d));
            }
            g.check().unwrap();
            let cover = g.cover();
            assert_eq!(cover.users.len() + cover.devices.len(), g.licenses_in_use());
            for (u, d) in &edges {
                assert!(
                    cover.users.binary_search(u).is_ok() || cover.devices.binary_search(d).is_ok()
                );
            }
        }
    }
}
