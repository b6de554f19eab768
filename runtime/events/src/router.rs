//! The node's fan-out: every event the broker hands over reaches, by one non-blocking
//! queue push each, the local subscribers allowed to see it.
//!
//! A subscriber is one client connection (or one webhook sink) carrying any number of
//! subscriptions. Matching is done here, on the publishing side, so a subscriber's
//! queue only ever holds its own events; Wasm filters run later, on the subscriber's
//! side, so a slow filter can delay only its own subscriber. A queue that is full
//! marks its subscriber overflowed and stops receiving: the call path never waits.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use switchyard_types::AccountSid;
use tokio::sync::mpsc;

use crate::event::Event;
use crate::id::EventId;
use crate::spec::{visible, Spec};

const SHARDS: usize = 16;

/// One event for one subscriber.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event: Arc<Event>,
    /// Wasm filters to run before delivery; empty when a subscription without one
    /// matched (the event is then delivered as it is).
    pub filters: Vec<String>,
    /// The subscriber's subscriptions generation it was matched against: when they
    /// changed since (the control channel), the reader matches it again.
    pub generation: u64,
}

/// A named subscription of a subscriber.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The subscription SID, or a name the client chose for an inline one.
    pub key: String,
    pub spec: Arc<Spec>,
}

/// One client connection's (or one sink's) place in the router.
#[derive(Debug)]
pub struct Subscriber {
    id: u64,
    account: AccountSid,
    root: AccountSid,
    /// Whether only events this node published reach it (webhook sinks: with several
    /// nodes on one broker, each event is posted once, by the node that had the call).
    local_only: bool,
    entries: RwLock<Vec<Entry>>,
    /// Bumped by every `set_entries`.
    generation: AtomicU64,
    tx: mpsc::Sender<Delivery>,
    overflowed: AtomicBool,
}

impl Subscriber {
    pub fn account(&self) -> AccountSid {
        self.account
    }

    /// Whether its queue overflowed (it receives nothing more and should reconnect).
    pub fn overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Acquire)
    }

    /// Replace its subscriptions (the control channel's add, change and drop).
    pub fn set_entries(&self, entries: Vec<Entry>) {
        let mut current = write(&self.entries);
        *current = entries;
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Which subscriptions are current (see [`Delivery::generation`]).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn entries(&self) -> Vec<Entry> {
        read(&self.entries).clone()
    }

    fn offer(&self, event: &Arc<Event>, local: bool) -> Offered {
        if (self.local_only && !local) || !visible(self.account, event) {
            return Offered::NotWanted;
        }
        let entries = read(&self.entries);
        let generation = self.generation();
        let mut matched = false;
        let mut filters = Vec::new();
        for e in entries.iter().filter(|e| e.spec.matches(event)) {
            match &e.spec.wasm_filter {
                None => {
                    matched = true;
                    filters.clear();
                    break;
                }
                Some(f) => {
                    matched = true;
                    filters.push(f.clone());
                }
            }
        }
        drop(entries);
        if !matched {
            return Offered::NotWanted;
        }
        // An overflowed subscriber misses every event it asked for until it reconnects.
        if self.overflowed() {
            return Offered::Dropped;
        }
        let delivery = Delivery {
            event: event.clone(),
            filters,
            generation,
        };
        match self.tx.try_send(delivery) {
            Ok(()) => Offered::Queued,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.overflowed.store(true, Ordering::Release);
                Offered::Dropped
            }
            // The reader is gone and its registration about to be: nobody to miss it.
            Err(mpsc::error::TrySendError::Closed(_)) => Offered::NotWanted,
        }
    }
}

/// What became of one event offered to one subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offered {
    /// Not its account's, not matched by its subscriptions, or not for its node.
    NotWanted,
    Queued,
    /// It asked for the event but its queue is full (or was: it is overflowed).
    Dropped,
}

/// How many events the router has queued for subscribers, and how many it dropped
/// because a subscriber's queue was full; counted since the router started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    pub queued: u64,
    pub dropped: u64,
}

/// Subscribers by top-level account.
#[derive(Debug)]
pub struct Router {
    shards: Vec<RwLock<HashMap<AccountSid, Vec<Arc<Subscriber>>>>>,
    hasher: std::collections::hash_map::RandomState,
    next_id: AtomicU64,
    queue: usize,
    queued: AtomicU64,
    dropped: AtomicU64,
}

/// A subscriber's registration: dropping it removes the subscriber.
#[derive(Debug)]
pub struct Registration {
    router: Arc<Router>,
    pub subscriber: Arc<Subscriber>,
    pub rx: mpsc::Receiver<Delivery>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.router.remove(&self.subscriber);
    }
}

impl Router {
    /// A router whose subscribers queue up to `queue` events each.
    pub fn new(queue: usize) -> Arc<Self> {
        Arc::new(Self {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
            hasher: Default::default(),
            next_id: AtomicU64::new(1),
            queue: queue.max(1),
            queued: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        })
    }

    fn shard(&self, root: &AccountSid) -> &RwLock<HashMap<AccountSid, Vec<Arc<Subscriber>>>> {
        &self.shards[self.hasher.hash_one(root) as usize % SHARDS]
    }

    /// Add a subscriber of `account` (whose top-level account is `root`).
    pub fn register(
        self: &Arc<Self>,
        account: AccountSid,
        root: AccountSid,
        entries: Vec<Entry>,
        local_only: bool,
    ) -> Registration {
        let (tx, rx) = mpsc::channel(self.queue);
        let subscriber = Arc::new(Subscriber {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            account,
            root,
            local_only,
            entries: RwLock::new(entries),
            generation: AtomicU64::new(0),
            tx,
            overflowed: AtomicBool::new(false),
        });
        write(self.shard(&root))
            .entry(root)
            .or_default()
            .push(subscriber.clone());
        Registration {
            router: self.clone(),
            subscriber,
            rx,
        }
    }

    fn remove(&self, subscriber: &Subscriber) {
        let mut shard = write(self.shard(&subscriber.root));
        if let Some(list) = shard.get_mut(&subscriber.root) {
            list.retain(|s| s.id != subscriber.id);
            if list.is_empty() {
                shard.remove(&subscriber.root);
            }
        }
    }

    /// Hand an event to every subscriber of its top-level account that asked for it.
    /// `local` says whether this node published it.
    pub fn deliver(&self, event: &Arc<Event>, local: bool) {
        let shard = read(self.shard(&event.root_sid));
        if let Some(list) = shard.get(&event.root_sid) {
            for s in list {
                match s.offer(event, local) {
                    Offered::NotWanted => {}
                    Offered::Queued => {
                        self.queued.fetch_add(1, Ordering::Relaxed);
                    }
                    Offered::Dropped => {
                        self.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    }

    /// Deliveries queued and dropped so far (the node's metrics read them).
    pub fn counts(&self) -> DeliveryCounts {
        DeliveryCounts {
            queued: self.queued.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }

    /// How many subscribers are registered.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| read(s).values().map(Vec::len).sum::<usize>())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where a subscriber is in its log: events at or before it are not delivered twice
/// (the seam between replay and live).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor(Option<EventId>);

impl Cursor {
    pub fn at(id: Option<EventId>) -> Self {
        Self(id)
    }

    /// Whether `id` is new to the subscriber; if so, the cursor moves to it.
    pub fn admit(&mut self, id: EventId) -> bool {
        if let Some(last) = self.0 {
            if last.same_log(&id) && id.seq <= last.seq {
                return false;
            }
        }
        self.0 = Some(id);
        true
    }

    pub fn last(&self) -> Option<EventId> {
        self.0
    }
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}
