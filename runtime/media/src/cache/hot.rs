//! The in-memory set of recently played entries, bounded by bytes.

use super::entry::Entry;
use super::meta::Meta;
use super::Key;
use std::collections::HashMap;
use std::sync::Arc;

/// A complete entry kept in memory.
#[derive(Debug, Clone)]
pub(crate) struct HotEntry {
    pub entry: Arc<Entry>,
    pub samples: Arc<[i16]>,
    pub meta: Meta,
    last_used: u64,
}

/// Least-recently-used set of complete entries. Evicting an entry only drops the
/// cache's reference: calls still playing it keep their `Arc`.
#[derive(Debug)]
pub(crate) struct HotSet {
    map: HashMap<Key, HotEntry>,
    bytes: usize,
    budget: usize,
    clock: u64,
}

impl HotSet {
    pub(crate) fn new(budget: usize) -> Self {
        HotSet {
            map: HashMap::new(),
            bytes: 0,
            budget,
            clock: 0,
        }
    }

    /// Looks an entry up and marks it used.
    pub(crate) fn get(&mut self, key: &Key) -> Option<HotEntry> {
        self.clock += 1;
        let clock = self.clock;
        self.map.get_mut(key).map(|e| {
            e.last_used = clock;
            e.clone()
        })
    }

    /// Inserts or replaces an entry, then evicts the least recently used others
    /// until the set fits its budget.
    pub(crate) fn insert(&mut self, key: Key, entry: Arc<Entry>, samples: Arc<[i16]>, meta: Meta) {
        self.remove(&key);
        self.clock += 1;
        self.bytes += samples.len() * 2;
        self.map.insert(
            key.clone(),
            HotEntry {
                entry,
                samples,
                meta,
                last_used: self.clock,
            },
        );
        while self.bytes > self.budget && self.map.len() > 1 {
            let oldest = self
                .map
                .iter()
                .filter(|(k, _)| **k != key)
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.remove(&k),
                None => break,
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &Key) {
        if let Some(old) = self.map.remove(key) {
            self.bytes -= old.samples.len() * 2;
        }
    }

    /// Bytes of samples held.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::meta::Origin;

    fn add(set: &mut HotSet, name: &str, samples: usize) -> Key {
        let key = Key::of(name.as_bytes());
        let data: Arc<[i16]> = vec![0; samples].into();
        set.insert(
            key.clone(),
            Entry::complete(crate::MEDIA_RATE, data.clone()),
            data,
            Meta::immutable(Origin::Bytes, None),
        );
        key
    }

    #[test]
    fn evicts_least_recently_used_beyond_budget() {
        let mut set = HotSet::new(1000);
        let a = add(&mut set, "a", 200);
        let b = add(&mut set, "b", 200);
        assert!(set.get(&a).is_some()); // a is now more recent than b
        let c = add(&mut set, "c", 200);
        assert_eq!(set.bytes(), 800);
        assert!(set.get(&b).is_none());
        assert!(set.get(&a).is_some());
        assert!(set.get(&c).is_some());
    }

    #[test]
    fn an_entry_larger_than_the_budget_is_still_kept_alone() {
        let mut set = HotSet::new(100);
        add(&mut set, "a", 10);
        let big = add(&mut set, "big", 1000);
        assert!(set.get(&big).is_some());
        assert_eq!(set.bytes(), 2000);
    }
}
