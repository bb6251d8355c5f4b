//! User/device-family connections of one feature and the licenses they use.
//!
//! Each (user, device) connection is an edge with its open-session count and
//! last use. The licenses in use are the optimum of [`UdGraph`]: for the
//! user/device model a minimum cover of users and devices; per-user and
//! named-user licenses map each user to a vertex of its own (one license a
//! user), per-device licenses each device (one license a device).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use hashbrown::HashTable;

use super::sharded::{SHARDS, shard_of};
use hashbrown::hash_table::Entry;

use super::cover::{Cover, UdGraph};
use super::types::{LicenseModel, Settings, Time};
use crate::license::Version;

/// Names to dense ids, for the graph.
///
/// Each name is kept once, in the list (shared, after a clone, with the
/// reader's replica: a clone copies no text). The table holds ids with
/// their names' hashes: it grows without hashing any name again, and a
/// lookup reads a name only when the hashes agree. Names come from the
/// network, so the hash is std's keyed SipHash.
///
/// The names are as counted (see [`crate::engine::Settings::user_name`]);
/// beside each is the name as shown: as first sent while the name has
/// connections (see [`Shown`]).
#[derive(Debug, Clone, Default)]
struct Interner {
    ids: IdTables,
    names: Vec<Arc<str>>,
    shown: Vec<Shown>,
    hasher: RandomState,
}

/// Ids with their names' hashes, split by hash into tables that grow one
/// at a time (see [`super::sharded`]): at a million names, growing moves a
/// sixty-fourth of them inside one decision, not all.
#[derive(Debug, Clone)]
struct IdTables(Box<[HashTable<(u64, u32)>]>);

impl Default for IdTables {
    fn default() -> Self {
        IdTables((0..SHARDS).map(|_| HashTable::new()).collect())
    }
}

/// How a counted name is displayed: the spelling of the first grant that
/// opened one of its connections while it had none (`MYCO\Jack`, not
/// `jack`). It holds while the name keeps a connection, so it is a
/// function of the connections alive, and a replay of the events finds it
/// again.
#[derive(Debug, Clone)]
struct Shown {
    name: Arc<str>,
    /// When it was chosen, in the feature's order of choices: where
    /// several names come to count as one, the earliest is shown.
    seq: u64,
    /// Connections of the name.
    conns: u32,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        let hash = self.hasher.hash_one(name);
        let names = &self.names;
        match self.ids.0[shard_of(hash)].entry(
            hash,
            |&(h, id)| h == hash && *names[id as usize] == *name,
            |&(h, _)| h,
        ) {
            Entry::Occupied(e) => e.get().1,
            Entry::Vacant(e) => {
                let id = u32::try_from(names.len()).expect("fewer than 2^32 names");
                e.insert((hash, id));
                let name: Arc<str> = name.into();
                self.shown.push(Shown {
                    name: name.clone(),
                    seq: 0,
                    conns: 0,
                });
                self.names.push(name);
                id
            }
        }
    }

    fn get(&self, name: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(name);
        self.ids.0[shard_of(hash)]
            .find(hash, |&(h, id)| {
                h == hash && *self.names[id as usize] == *name
            })
            .map(|&(_, id)| id)
    }

    fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    fn shown(&self, id: u32) -> &str {
        &self.shown[id as usize].name
    }

    /// A connection of `id` opens; `sent` is shown if it is the only one,
    /// chosen as the `seq`th.
    fn attach(&mut self, id: u32, sent: &str, seq: u64) {
        let key = &self.names[id as usize];
        let shown = &mut self.shown[id as usize];
        if shown.conns == 0 {
            shown.name = if **key == *sent {
                key.clone()
            } else {
                sent.into()
            };
            shown.seq = seq;
        }
        shown.conns += 1;
    }

    /// A connection of `id` ends.
    fn detach(&mut self, id: u32) {
        let shown = &mut self.shown[id as usize];
        shown.conns = shown.conns.saturating_sub(1);
    }

    /// Counts a connection of `id` without choosing its name shown.
    fn count(&mut self, id: u32) {
        self.shown[id as usize].conns += 1;
    }

    /// Shows `name` for `id` unless a name was chosen for it already.
    fn choose(&mut self, id: u32, name: &str, seq: u64, chosen: &mut BTreeSet<u32>) {
        if chosen.insert(id) {
            let shown = &mut self.shown[id as usize];
            shown.name = name.into();
            shown.seq = seq;
        }
    }

    /// The names shown now, earliest chosen first.
    fn shown_by_age(&self) -> Vec<(u64, &str)> {
        let mut all: Vec<(u64, &str)> = self
            .shown
            .iter()
            .filter(|s| s.conns > 0)
            .map(|s| (s.seq, &*s.name))
            .collect();
        all.sort();
        all
    }
}

/// One connection: open sessions, last use, highest version asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub open: u32,
    pub last_use: Time,
    pub version: Version,
    /// Released by an administrator while a session was open on it: it
    /// keeps its license until its last open session ends, and then goes
    /// at once, with no lease.
    pub released: bool,
}

/// All connections of one feature.
#[derive(Debug, Clone)]
pub struct UdFeature {
    model: LicenseModel,
    users: Interner,
    devices: Interner,
    graph: UdGraph,
    /// Connections by (user id, device id).
    connections: BTreeMap<(u32, u32), Connection>,
    /// How many connections map to each graph edge, where several can
    /// (see [`UdFeature::shared_edges`]).
    edge_refs: HashMap<(u32, u32), u32>,
    /// Connections with no open session, by last use: the leases that run
    /// out first come first, so expiry never scans every connection.
    idle: BTreeSet<(Time, u32, u32)>,
    /// Names shown chosen so far (see [`Shown`]).
    seq: u64,
    /// The most licenses in use within the usage history's sampling
    /// period (kept by the engine, see [`super::peak::Peak`]).
    pub(crate) peak: super::peak::Peak,
}

impl UdFeature {
    pub fn new(model: LicenseModel) -> Self {
        UdFeature {
            model,
            users: Interner::default(),
            devices: Interner::default(),
            graph: UdGraph::new(),
            connections: BTreeMap::new(),
            edge_refs: HashMap::new(),
            idle: BTreeSet::new(),
            seq: 0,
            peak: super::peak::Peak::default(),
        }
    }

    /// Connections come and go without the optimum being kept, until
    /// [`Self::settle`] (see [`UdGraph::defer`]).
    pub fn defer(&mut self) {
        self.graph.defer();
    }

    /// Whether the optimum waits for [`Self::settle`].
    pub fn is_deferred(&self) -> bool {
        self.graph.is_deferred()
    }

    /// Computes the optimum after [`Self::defer`].
    pub fn settle(&mut self) {
        self.graph.settle();
    }

    pub fn model(&self) -> LicenseModel {
        self.model
    }

    /// The graph edge a connection counts as under this model.
    fn graph_edge(&self, user: u32, device: u32) -> (u32, u32) {
        match self.model {
            LicenseModel::PerUser | LicenseModel::NamedUser => (user, user),
            LicenseModel::PerDevice => (device, device),
            _ => (user, device),
        }
    }

    /// Whether several connections can map to one graph edge: per-user
    /// and per-device licenses. Under the user/device model each
    /// connection is its own edge, and no count is kept.
    fn shared_edges(&self) -> bool {
        matches!(
            self.model,
            LicenseModel::PerUser | LicenseModel::NamedUser | LicenseModel::PerDevice
        )
    }

    fn ids(&self, user: &str, device: &str) -> Option<(u32, u32)> {
        Some((self.users.get(user)?, self.devices.get(device)?))
    }

    pub fn has_connection(&self, user: &str, device: &str) -> bool {
        self.ids(user, device)
            .is_some_and(|k| self.connections.contains_key(&k))
    }

    /// The connection of `user` and `device`, if there is one.
    pub fn connection(&self, user: &str, device: &str) -> Option<&Connection> {
        self.connections.get(&self.ids(user, device)?)
    }

    /// Licenses in use now: the exact optimum.
    pub fn in_use(&self) -> u64 {
        self.graph.licenses_in_use() as u64
    }

    /// Whether a new connection would raise the optimum.
    pub fn would_increase(&self, user: &str, device: &str) -> bool {
        if self.has_connection(user, device) {
            return false;
        }
        // A name never seen gets the next id: an isolated vertex.
        let u = self
            .users
            .get(user)
            .unwrap_or(self.users.names.len() as u32);
        let d = self
            .devices
            .get(device)
            .unwrap_or(self.devices.names.len() as u32);
        let edge = self.graph_edge(u, d);
        if self.shared_edges() && self.edge_refs.contains_key(&edge) {
            return false;
        }
        self.graph.would_increase(edge.0, edge.1)
    }

    /// A session opens on a connection (new or existing), with the names
    /// shown as counted. See [`Self::open_sent`].
    pub fn open(&mut self, user: &str, device: &str, version: &Version, at: Time) -> (u32, u32) {
        self.open_sent((user, device), (user, device), version, at)
    }

    /// A session opens on the connection of the counted names `(user,
    /// device)`, which the product sent as `sent`. Returns the connection's
    /// key, for [`Self::close`]: names keep their ids for the life of the
    /// feature, so the key stays the connection's even if it is removed and
    /// opened again.
    pub fn open_sent(
        &mut self,
        (user, device): (&str, &str),
        sent: (&str, &str),
        version: &Version,
        at: Time,
    ) -> (u32, u32) {
        let (u, d) = (self.users.id(user), self.devices.id(device));
        let is_new = !self.connections.contains_key(&(u, d));
        let conn = self
            .connections
            .entry((u, d))
            .or_insert_with(|| Connection {
                open: 0,
                last_use: at,
                version: version.clone(),
                released: false,
            });
        if conn.open == 0 {
            self.idle.remove(&(conn.last_use, u, d));
        }
        conn.open += 1;
        conn.last_use = at;
        // Used again after a release: a new assignment, with its own lease.
        conn.released = false;
        if *version > conn.version {
            conn.version = version.clone();
        }
        if is_new {
            self.seq += 1;
            self.users.attach(u, sent.0, self.seq);
            self.devices.attach(d, sent.1, self.seq);
            self.add_edge(u, d);
        }
        (u, d)
    }

    /// Counts the new connection `(u, d)` in the graph.
    fn add_edge(&mut self, u: u32, d: u32) {
        let edge = self.graph_edge(u, d);
        let first = !self.shared_edges() || {
            let refs = self.edge_refs.entry(edge).or_insert(0);
            *refs += 1;
            *refs == 1
        };
        if first {
            self.graph.add(edge.0, edge.1);
        }
    }

    /// A session on the connection `key` (from [`Self::open`]) ends; the
    /// lease runs from now, unless the connection was released while the
    /// session was open: then it goes with its last session.
    pub fn close(&mut self, k: (u32, u32), at: Time) {
        let Some(conn) = self.connections.get_mut(&k) else {
            return;
        };
        if conn.open == 0 {
            self.idle.remove(&(conn.last_use, k.0, k.1));
        }
        conn.open = conn.open.saturating_sub(1);
        conn.last_use = at;
        if conn.open == 0 {
            if conn.released {
                self.remove_ids(k);
            } else {
                self.idle.insert((at, k.0, k.1));
            }
        }
    }

    /// An administrator releases a connection: it goes now if no session
    /// is open on it, else with its last open session (an open session
    /// keeps its license). False if there is no such connection.
    pub fn release(&mut self, user: &str, device: &str) -> bool {
        let Some(k) = self.ids(user, device) else {
            return false;
        };
        match self.connections.get_mut(&k) {
            None => false,
            Some(conn) if conn.open > 0 => {
                conn.released = true;
                true
            }
            Some(_) => self.remove_ids(k),
        }
    }

    /// Removes a connection (its lease ended).
    pub fn remove(&mut self, user: &str, device: &str) -> bool {
        self.ids(user, device).is_some_and(|k| self.remove_ids(k))
    }

    /// Removes the connection of `(user id, device id)`.
    fn remove_ids(&mut self, (u, d): (u32, u32)) -> bool {
        let Some(conn) = self.connections.remove(&(u, d)) else {
            return false;
        };
        self.idle.remove(&(conn.last_use, u, d));
        self.users.detach(u);
        self.devices.detach(d);
        let edge = self.graph_edge(u, d);
        let last = !self.shared_edges()
            || match self.edge_refs.get_mut(&edge) {
                Some(refs) => {
                    *refs -= 1;
                    *refs == 0 && self.edge_refs.remove(&edge).is_some()
                }
                None => false,
            };
        if last {
            self.graph.remove(edge.0, edge.1);
        }
        true
    }

    /// Every connection: (user, device, connection), in a stable order.
    pub fn connections(&self) -> impl Iterator<Item = (&str, &str, &Connection)> {
        self.connections
            .iter()
            .map(|((u, d), c)| (self.users.name(*u), self.devices.name(*d), c))
    }

    /// Every connection with its names as shown: (user, device, connection),
    /// in the order of [`Self::connections`].
    pub fn shown_connections(&self) -> impl Iterator<Item = (&str, &str, &Connection)> {
        self.connections
            .iter()
            .map(|((u, d), c)| (self.users.shown(*u), self.devices.shown(*d), c))
    }

    /// How the counted user `name` is shown (itself if it has no connection).
    pub fn shown_user<'a>(&'a self, name: &'a str) -> &'a str {
        self.users.get(name).map_or(name, |id| self.users.shown(id))
    }

    /// How the counted device `name` is shown.
    pub fn shown_device<'a>(&'a self, name: &'a str) -> &'a str {
        self.devices
            .get(name)
            .map_or(name, |id| self.devices.shown(id))
    }

    /// How the counted `user` and `device` are shown, if not as counted.
    pub fn shown_if_other(&self, user: &str, device: &str) -> Option<(String, String)> {
        let shown = (self.shown_user(user), self.shown_device(device));
        (shown != (user, device)).then(|| (shown.0.to_owned(), shown.1.to_owned()))
    }

    /// The names shown of the connection `key` (from [`Self::open_sent`]).
    pub fn shown_of(&self, (u, d): (u32, u32)) -> Option<(&str, &str)> {
        self.connections
            .contains_key(&(u, d))
            .then(|| (self.users.shown(u), self.devices.shown(d)))
    }

    /// Connections whose lease has run out at `now`.
    pub fn expired(&self, now: Time, lease: Time) -> Vec<(String, String)> {
        self.idle
            .range(..=(now.saturating_sub(lease), u32::MAX, u32::MAX))
            .map(|(_, u, d)| {
                (
                    self.users.name(*u).to_owned(),
                    self.devices.name(*d).to_owned(),
                )
            })
            .collect()
    }

    /// The last use of the connection idle longest, if any is idle: its
    /// lease runs out first.
    pub fn first_idle(&self) -> Option<Time> {
        self.idle.first().map(|(t, _, _)| *t)
    }

    /// Who holds the licenses: users and devices of the preferred cover.
    pub fn holders(&self) -> (Vec<String>, Vec<String>) {
        let Cover { users, devices } = self.graph.cover();
        let names = |interner: &Interner, ids: &[u32]| -> Vec<String> {
            ids.iter().map(|id| interner.name(*id).to_owned()).collect()
        };
        // Per-user and per-device edges join a vertex to itself: either side
        // of the cover names the same user (or device).
        let (mut us, mut ds) = match self.model {
            LicenseModel::PerUser | LicenseModel::NamedUser => (
                [names(&self.users, &users), names(&self.users, &devices)].concat(),
                Vec::new(),
            ),
            LicenseModel::PerDevice => (
                Vec::new(),
                [names(&self.devices, &users), names(&self.devices, &devices)].concat(),
            ),
            _ => (names(&self.users, &users), names(&self.devices, &devices)),
        };
        us.sort();
        us.dedup();
        ds.sort();
        ds.dedup();
        (us, ds)
    }
}

/// An open session of a feature, for [`UdFeature::rekeyed`].
pub struct OpenSession<'a> {
    /// Its connection's key (from [`UdFeature::open_sent`]).
    pub connection: (u32, u32),
    /// The user and device its product sent.
    pub sent: (&'a str, &'a str),
    /// The version it asked for and when, should its connection be gone.
    pub version: &'a Version,
    pub at: Time,
}

impl UdFeature {
    /// The feature with every name counted anew under `settings` (the
    /// name settings changed), and the new connection key of each of
    /// `open`, in their order.
    ///
    /// A connection with open sessions becomes the connections of the
    /// names those sessions sent (several, if the new settings tell them
    /// apart); an idle one is counted by its names as shown. Connections
    /// that come to count as one merge: the sum of their open sessions,
    /// their latest use and highest version, released only if all were.
    /// A name shown stays shown; where several merge, the earliest chosen.
    pub fn rekeyed(
        &self,
        settings: &Settings,
        open: &[OpenSession<'_>],
        defer: bool,
    ) -> (UdFeature, Vec<(u32, u32)>) {
        let mut next = UdFeature::new(self.model);
        if defer {
            next.defer();
        }
        next.seq = self.seq;
        next.choose_names(self, settings, open);
        let mut merged: BTreeMap<(u32, u32), Connection> = BTreeMap::new();
        for ((u, d), c) in self.connections.iter().filter(|(_, c)| c.open == 0) {
            let user = settings.user_name(self.users.shown(*u));
            let device = settings.device_name(self.devices.shown(*d));
            let k = (next.users.id(&user), next.devices.id(&device));
            merge(&mut merged, k, c.clone());
        }
        let mut keys = Vec::with_capacity(open.len());
        for o in open {
            let part = match self.connections.get(&o.connection) {
                Some(c) => Connection {
                    open: 1,
                    ..c.clone()
                },
                None => Connection {
                    open: 1,
                    last_use: o.at,
                    version: o.version.clone(),
                    released: false,
                },
            };
            let user = settings.user_name(o.sent.0);
            let device = settings.device_name(o.sent.1);
            let k = (next.users.id(&user), next.devices.id(&device));
            merge(&mut merged, k, part);
            keys.push(k);
        }
        for ((u, d), c) in merged {
            next.users.count(u);
            next.devices.count(d);
            if c.open == 0 {
                next.idle.insert((c.last_use, u, d));
            }
            next.add_edge(u, d);
            next.connections.insert((u, d), c);
        }
        (next, keys)
    }

    /// Chooses the names shown of a re-keyed feature: those `old` shows,
    /// earliest first, then those the open sessions sent.
    fn choose_names(&mut self, old: &UdFeature, settings: &Settings, open: &[OpenSession<'_>]) {
        let mut chosen = BTreeSet::new();
        for (seq, name) in old.users.shown_by_age() {
            let id = self.users.id(&settings.user_name(name));
            self.users.choose(id, name, seq, &mut chosen);
        }
        for o in open {
            let id = self.users.id(&settings.user_name(o.sent.0));
            self.seq += 1;
            self.users.choose(id, o.sent.0, self.seq, &mut chosen);
        }
        chosen.clear();
        for (seq, name) in old.devices.shown_by_age() {
            let id = self.devices.id(&settings.device_name(name));
            self.devices.choose(id, name, seq, &mut chosen);
        }
        for o in open {
            let id = self.devices.id(&settings.device_name(o.sent.1));
            self.seq += 1;
            self.devices.choose(id, o.sent.1, self.seq, &mut chosen);
        }
    }
}

/// Adds `part` to the connection `k` being rebuilt.
fn merge(conns: &mut BTreeMap<(u32, u32), Connection>, k: (u32, u32), part: Connection) {
    match conns.get_mut(&k) {
        None => {
            conns.insert(k, part);
        }
        Some(c) => {
            c.open += part.open;
            c.last_use = c.last_use.max(part.last_use);
            if part.version > c.version {
                c.version = part.version;
            }
            c.released &= part.released;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn rekeying_merges_idle_connections_and_keeps_the_earliest_name_and_latest_use() {
        let mut f = UdFeature::new(LicenseModel::UserDevice);
        let sensitive = Settings {
            user_name_case: super::super::types::NameCase::Sensitive,
            ..Settings::default()
        };
        let a = f.open_sent(("Jack", "pc"), ("Jack", "pc"), &v("2026.0101"), 10);
        let b = f.open_sent(("JACK", "pc"), ("JACK", "pc"), &v("2026.0601"), 20);
        f.close(a, 30);
        f.close(b, 25);
        assert!(f.release("JACK", "pc"), "idle: it goes at once");
        let c = f.open_sent(("JACK", "pc"), ("JACK", "pc"), &v("2026.0301"), 40);
        f.close(c, 50);
        assert_eq!(f.in_use(), 1);
        let (next, keys) = f.rekeyed(&Settings::default(), &[], false);
        assert!(keys.is_empty());
        let all: Vec<(&str, &str, &Connection)> = next.shown_connections().collect();
        assert_eq!(all.len(), 1);
        let (user, device, conn) = all[0];
        assert_eq!((user, device), ("Jack", "pc"), "the earliest name shown");
        assert_eq!((conn.open, conn.last_use), (0, 50));
        assert_eq!(conn.version, v("2026.0301"), "the highest version asked");
        assert_eq!(next.expired(50 + 90, 90), [("jack".into(), "pc".into())]);
        // And back: an idle connection is split by nothing but its name.
        let (back, _) = next.rekeyed(&sensitive, &[], false);
        assert_eq!(back.connections().count(), 1);
        assert!(back.has_connection("Jack", "pc"));
    }

    #[test]
    fn names_keep_their_ids_as_the_table_grows() {
        let mut names = Interner::default();
        for i in 0..100_000u32 {
            assert_eq!(names.id(&format!("user{i}")), i);
        }
        let copy = names.clone();
        for i in (0..100_000u32).step_by(997) {
            let name = format!("user{i}");
            assert_eq!(names.id(&name), i);
            assert_eq!(names.get(&name), Some(i));
            assert_eq!(copy.get(&name), Some(i));
            assert_eq!(names.name(i), name);
        }
        assert_eq!(names.get("user100000"), None);
        assert_eq!(names.get(""), None);
        assert_eq!(names.id(""), 100_000);
        assert_eq!(names.get(""), Some(100_000));
    }
}
