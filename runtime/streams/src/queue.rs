//! A bounded queue that makes room by dropping its oldest item.
//!
//! Between the call's media (which must never wait) and a stream's socket (which may
//! stall), the freshest audio is worth most: when the socket falls behind, the oldest
//! frames go, and the count of what went is kept for a notification.

use std::collections::VecDeque;

/// At most `capacity` items; a push onto a full queue drops the oldest.
#[derive(Debug)]
pub struct DropOldest<T> {
    items: VecDeque<T>,
    capacity: usize,
    dropped: u64,
}

impl<T> DropOldest<T> {
    /// A queue of at most `capacity` (at least 1) items.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        DropOldest {
            items: VecDeque::with_capacity(capacity),
            capacity,
            dropped: 0,
        }
    }

    /// Adds `item`; returns whether the oldest was dropped to make room.
    pub fn push(&mut self, item: T) -> bool {
        let full = self.items.len() == self.capacity;
        if full {
            self.items.pop_front();
            self.dropped += 1;
        }
        self.items.push_back(item);
        full
    }

    pub fn pop(&mut self) -> Option<T> {
        self.items.pop_front()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Items dropped since the last call (the count restarts at zero).
    pub fn take_dropped(&mut self) -> u64 {
        std::mem::take(&mut self.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_queue_drops_oldest_and_counts() {
        let mut q = DropOldest::new(3);
        for i in 0..3 {
            assert!(!q.push(i));
        }
        assert!(q.push(3));
        assert!(q.push(4));
        assert_eq!(q.len(), 3);
        assert_eq!(q.take_dropped(), 2);
        assert_eq!(q.take_dropped(), 0);
        assert_eq!(
            std::iter::from_fn(|| q.pop()).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        assert!(q.is_empty());
    }
}
