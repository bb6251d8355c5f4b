//! Who holds the licenses of the models counted by holders (concurrent,
//! server, per socket, start-up, diagnostics), and through which checkouts.
//!
//! A million held checkouts mean up to a million holders, so a holder is
//! kept small: names are shared with the checkouts (`Arc<str>`), the feature
//! is stored once for all its holders, and the usual single checkout is
//! kept inline. Holders are only looked up, never walked: hashed, not
//! ordered, in maps that grow a shard at a time ([`Sharded`]), so that no
//! checkout waits while a hundred thousand holders move to a larger table.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::sharded::{Entry, OccupiedEntry, Sharded};

use super::request::Handle;
use super::types::LicenseModel;
use crate::license::pool::PoolKey;

/// What one license is held by, borrowed for a look-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolderKey<'a> {
    /// Concurrent with DUP_GROUP=V: the endpoint device.
    Device { feature: &'a str, device: &'a str },
    /// Server and per-socket: the product server.
    Host { feature: &'a str, host: &'a str },
    /// Anything else: the checkout itself.
    Checkout(Handle),
}

impl<'a> HolderKey<'a> {
    /// The holder a checkout counts under.
    pub fn of(
        model: LicenseModel,
        dup_device: bool,
        handle: Handle,
        feature: &'a str,
        device: &'a str,
        host: &'a str,
    ) -> Self {
        match model {
            LicenseModel::Concurrent if dup_device => HolderKey::Device { feature, device },
            LicenseModel::Server | LicenseModel::PerSocket => HolderKey::Host { feature, host },
            _ => HolderKey::Checkout(handle),
        }
    }
}

/// A held license (or, per socket, several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pool: Arc<PoolKey>,
    /// Licenses held: one, or per socket the most any of its checkouts needs.
    pub units: u32,
    /// Its checkouts, in the order they came.
    pub handles: Handles,
}

/// A holder's checkouts: usually one, kept inline; never none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handles {
    One(Handle),
    /// Two or more.
    #[expect(
        clippy::box_collection,
        reason = "a thin pointer keeps the enum, and so each holder, 8 bytes smaller"
    )]
    Many(Box<Vec<Handle>>),
}

impl Handles {
    pub fn as_slice(&self) -> &[Handle] {
        match self {
            Handles::One(h) => std::slice::from_ref(h),
            Handles::Many(v) => v,
        }
    }

    pub fn push(&mut self, handle: Handle) {
        match self {
            Handles::One(h) => *self = Handles::Many(Box::new(vec![*h, handle])),
            Handles::Many(v) => v.push(handle),
        }
    }

    /// Removes `handle`, unless it is the last one; whether any is left
    /// (if not, the holder is to go).
    pub fn remove(&mut self, handle: Handle) -> bool {
        match self {
            Handles::One(h) => *h != handle,
            Handles::Many(v) => {
                v.retain(|h| *h != handle);
                match v[..] {
                    [] => false,
                    [h] => {
                        *self = Handles::One(h);
                        true
                    }
                    _ => true,
                }
            }
        }
    }
}

/// Holders by feature (few), then by device or host name.
type ByName = BTreeMap<Box<str>, Sharded<Arc<str>, Holder>>;

/// Every holder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holders {
    devices: ByName,
    hosts: ByName,
    by_checkout: Sharded<Handle, Holder>,
}

/// What attaching a checkout to its holder changed.
pub struct Attached {
    /// The pool and units the holder had; `None` for a new holder.
    pub before: Option<(Arc<PoolKey>, u32)>,
    /// The units it holds now.
    pub units: u32,
    /// The name a holder already there is kept under, for the checkout to
    /// share.
    pub name: Option<Arc<str>>,
}

impl Holders {
    pub fn get(&self, key: HolderKey<'_>) -> Option<&Holder> {
        match key {
            HolderKey::Device { feature, device } => self.devices.get(feature)?.get(device),
            HolderKey::Host { feature, host } => self.hosts.get(feature)?.get(host),
            HolderKey::Checkout(h) => self.by_checkout.get(&h),
        }
    }

    pub fn contains(&self, key: HolderKey<'_>) -> bool {
        self.get(key).is_some()
    }

    /// Attaches checkout `handle` to the holder of `key`, made if there is
    /// none; the holder moves to `pool` and holds at least `units`. `name`
    /// is the device or host the key names.
    pub fn attach(
        &mut self,
        key: HolderKey<'_>,
        name: &Arc<str>,
        handle: Handle,
        pool: &Arc<PoolKey>,
        units: u32,
    ) -> Attached {
        let (map, feature) = match key {
            HolderKey::Device { feature, .. } => (&mut self.devices, feature),
            HolderKey::Host { feature, .. } => (&mut self.hosts, feature),
            HolderKey::Checkout(h) => {
                return match self.by_checkout.entry(h) {
                    Entry::Occupied(e) => join(e.into_mut(), None, handle, pool, units),
                    Entry::Vacant(e) => {
                        e.insert(Holder::new(handle, pool, units));
                        Attached::new(units)
                    }
                };
            }
        };
        if let Some(named) = map.get_mut(feature) {
            return attach_named(named, name, handle, pool, units);
        }
        attach_named(
            map.entry(feature.into()).or_default(),
            name,
            handle,
            pool,
            units,
        )
    }

    /// Detaches checkout `handle` from the holder of `key` (`name` as for
    /// [`Holders::attach`]); the holder goes with its last checkout, else
    /// holds `units_of` its remaining checkouts. Returns the holder's pool
    /// and the change in the units it holds.
    pub fn detach(
        &mut self,
        key: HolderKey<'_>,
        name: &Arc<str>,
        handle: Handle,
        units_of: impl FnOnce(&[Handle]) -> u32,
    ) -> Option<(Arc<PoolKey>, i64)> {
        let (map, feature) = match key {
            HolderKey::Device { feature, .. } => (&mut self.devices, feature),
            HolderKey::Host { feature, .. } => (&mut self.hosts, feature),
            HolderKey::Checkout(h) => {
                let Entry::Occupied(e) = self.by_checkout.entry(h) else {
                    return None;
                };
                return Some(leave(e, handle, units_of));
            }
        };
        let named = map.get_mut(feature)?;
        let Entry::Occupied(e) = named.entry(name.clone()) else {
            return None;
        };
        let left = leave(e, handle, units_of);
        // No feature is kept without holders, so equal states compare equal.
        if named.is_empty() {
            map.remove(feature);
        }
        Some(left)
    }
}

impl Holder {
    fn new(handle: Handle, pool: &Arc<PoolKey>, units: u32) -> Self {
        Holder {
            pool: pool.clone(),
            units,
            handles: Handles::One(handle),
        }
    }
}

impl Attached {
    fn new(units: u32) -> Self {
        Attached {
            before: None,
            units,
            name: None,
        }
    }
}

fn attach_named(
    named: &mut Sharded<Arc<str>, Holder>,
    name: &Arc<str>,
    handle: Handle,
    pool: &Arc<PoolKey>,
    units: u32,
) -> Attached {
    match named.entry(name.clone()) {
        Entry::Occupied(e) => {
            let shared = e.key().clone();
            join(e.into_mut(), Some(shared), handle, pool, units)
        }
        Entry::Vacant(e) => {
            e.insert(Holder::new(handle, pool, units));
            Attached::new(units)
        }
    }
}

fn join(
    h: &mut Holder,
    name: Option<Arc<str>>,
    handle: Handle,
    pool: &Arc<PoolKey>,
    units: u32,
) -> Attached {
    let before = (std::mem::replace(&mut h.pool, pool.clone()), h.units);
    h.units = h.units.max(units);
    h.handles.push(handle);
    Attached {
        before: Some(before),
        units: h.units,
        name,
    }
}

fn leave<K>(
    mut e: OccupiedEntry<'_, K, Holder>,
    handle: Handle,
    units_of: impl FnOnce(&[Handle]) -> u32,
) -> (Arc<PoolKey>, i64) {
    let h = e.get_mut();
    let old = i64::from(h.units);
    if !h.handles.remove(handle) {
        return (e.remove().pool, -old);
    }
    h.units = units_of(h.handles.as_slice());
    (h.pool.clone(), i64::from(h.units) - old)
}

#[cfg(test)]
mod tests {
    use super::Handles;

    #[test]
    fn one_handle_is_kept_inline_and_handles_keep_their_order() {
        let mut h = Handles::One(1);
        assert!(!h.clone().remove(1), "the last one leaves the holder");
        assert!(h.remove(2) && h == Handles::One(1));
        h.push(2);
        h.push(3);
        assert_eq!(h.as_slice(), [1, 2, 3]);
        assert!(h.remove(2) && h.as_slice() == [1, 3]);
        assert!(h.remove(1) && h == Handles::One(3), "back inline");
        assert!(!h.remove(3));
    }
}
