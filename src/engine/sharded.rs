//! A hash map whose growth never stops the engine for long.
//!
//! A hash table grows by moving every entry into a table twice as large, at
//! once: at a hundred thousand holders that is milliseconds of one request's
//! decision, and every request queued behind it waits as long. Here the map
//! is split by the top bits of each key's hash into [`SHARDS`] tables that
//! grow one at a time, so the largest pause is a sixty-fourth of that.
//!
//! Keys come from the network, so the hash is std's keyed SipHash, computed
//! once per operation: it picks the shard and places the key in it.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash, RandomState};

use hashbrown::HashTable;
use hashbrown::hash_table;

/// Tables a map is split into (a power of two).
pub(crate) const SHARDS: usize = 64;

/// The table of a hash: its top bits (a table itself uses the low ones, so
/// the two choices stay independent).
pub(crate) fn shard_of(hash: u64) -> usize {
    (hash >> (64 - SHARDS.trailing_zeros())) as usize
}

/// A hash map split into tables that grow one at a time.
#[derive(Clone)]
pub struct Sharded<K, V> {
    hasher: RandomState,
    /// [`SHARDS`] tables; an empty one allocates nothing.
    shards: Box<[HashTable<(K, V)>]>,
}

impl<K, V> Default for Sharded<K, V> {
    fn default() -> Self {
        Sharded {
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| HashTable::new()).collect(),
        }
    }
}

/// A key's place in the map, as [`std::collections::hash_map::Entry`].
pub enum Entry<'a, K, V> {
    Occupied(OccupiedEntry<'a, K, V>),
    Vacant(VacantEntry<'a, K, V>),
}

/// A key that is in the map.
pub struct OccupiedEntry<'a, K, V>(hash_table::OccupiedEntry<'a, (K, V)>);

/// A key that is not in the map, and where it goes.
pub struct VacantEntry<'a, K, V> {
    key: K,
    place: hash_table::VacantEntry<'a, (K, V)>,
}

impl<K: Hash + Eq, V> Sharded<K, V> {
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        self.shards[shard_of(hash)]
            .find(hash, |(k, _)| k.borrow() == key)
            .map(|(_, v)| v)
    }

    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        let hasher = &self.hasher;
        let hash = hasher.hash_one(&key);
        let table = &mut self.shards[shard_of(hash)];
        match table.entry(hash, |(k, _)| *k == key, |(k, _)| hasher.hash_one(k)) {
            hash_table::Entry::Occupied(e) => Entry::Occupied(OccupiedEntry(e)),
            hash_table::Entry::Vacant(place) => Entry::Vacant(VacantEntry { key, place }),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.shards.iter().all(HashTable::is_empty)
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(HashTable::len).sum()
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.shards.iter().flatten().map(|(k, v)| (k, v))
    }
}

impl<'a, K, V> OccupiedEntry<'a, K, V> {
    pub fn key(&self) -> &K {
        &self.0.get().0
    }

    pub fn get_mut(&mut self) -> &mut V {
        &mut self.0.get_mut().1
    }

    pub fn into_mut(self) -> &'a mut V {
        &mut self.0.into_mut().1
    }

    /// Takes the entry out of the map; its value.
    pub fn remove(self) -> V {
        self.0.remove().0.1
    }
}

impl<'a, K, V> VacantEntry<'a, K, V> {
    pub fn insert(self, value: V) -> &'a mut V {
        &mut self.place.insert((self.key, value)).into_mut().1
    }
}

/// Equal maps hold the same entries, wherever each map's own hasher put
/// them.
impl<K: Hash + Eq, V: PartialEq> PartialEq for Sharded<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<K: Hash + Eq, V: Eq> Eq for Sharded<K, V> {}

impl<K: Hash + Eq + std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for Sharded<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::{Entry, Sharded};
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u16, u32),
        Remove(u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (any::<u16>(), any::<u32>()).prop_map(|(k, v)| Op::Insert(k % 512, v)),
            any::<u16>().prop_map(|k| Op::Remove(k % 512)),
        ]
    }

    proptest! {
        /// The map holds what std's map holds after the same operations,
        /// and maps with different hashers but the same entries are equal.
        #[test]
        fn it_agrees_with_std_s_map(ops in proptest::collection::vec(op(), 0..2000)) {
            let (mut ours, mut theirs) = (Sharded::default(), HashMap::new());
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        match ours.entry(k) {
                            Entry::Occupied(mut e) => *e.get_mut() = v,
                            Entry::Vacant(e) => { e.insert(v); }
                        }
                        theirs.insert(k, v);
                    }
                    Op::Remove(k) => {
                        let removed = match ours.entry(k) {
                            Entry::Occupied(e) => Some(e.remove()),
                            Entry::Vacant(_) => None,
                        };
                        prop_assert_eq!(removed, theirs.remove(&k));
                    }
                }
            }
            prop_assert_eq!(ours.len(), theirs.len());
            prop_assert_eq!(ours.is_empty(), theirs.is_empty());
            for (k, v) in &theirs {
                prop_assert_eq!(ours.get(k), Some(v));
            }
            let mut again = Sharded::default();
            for (k, v) in &theirs {
                if let Entry::Vacant(e) = again.entry(*k) {
                    e.insert(*v);
                }
            }
            prop_assert_eq!(&again, &ours);
        }
    }

    #[test]
    fn keys_are_looked_up_by_what_they_borrow() {
        let mut m: Sharded<std::sync::Arc<str>, u32> = Sharded::default();
        if let Entry::Vacant(e) = m.entry("dev-1".into()) {
            e.insert(7);
        }
        assert_eq!(m.get("dev-1"), Some(&7));
        assert_eq!(m.get("dev-2"), None);
        match m.entry("dev-1".into()) {
            Entry::Occupied(e) => assert_eq!(&**e.key(), "dev-1"),
            Entry::Vacant(_) => panic!("dev-1 is in the map"),
        }
    }
}
