//! Brokers: where events get their ids, are kept for replay, and reach every node.
//!
//! [`LocalBroker`] is the embedded default: one process, shards in memory. The NATS
//! broker (`switchyard-events-nats`, a crate of its own for its client) keeps the same
//! contract on JetStream so several nodes share one event space.

use std::future::Future;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use switchyard_types::AccountSid;

use crate::error::Error;
use crate::event::Draft;
use crate::id::EventId;
use crate::log::{Replay, Retention, ShardLog};
use crate::router::Router;

/// A boxed future, so brokers can be used as `dyn Broker`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What every broker does.
pub trait Broker: Send + Sync + std::fmt::Debug {
    /// Give the event an id, keep it for replay and deliver it to every node's router.
    /// Never blocks: the call path publishes.
    fn publish(&self, draft: Draft);

    /// What a subscriber of `account` (top-level account `root`) missed after `after`.
    fn replay(
        &self,
        account: AccountSid,
        root: AccountSid,
        after: EventId,
    ) -> BoxFuture<'_, Result<Replay, Error>>;

    /// The broker's name, for logs and benchmarks.
    fn name(&self) -> &'static str;
}

/// The in-process broker: `shards` logs; an account's events all go to the shard of
/// its top-level account, so a subscriber reads one id sequence.
#[derive(Debug)]
pub struct LocalBroker {
    shards: Vec<Mutex<ShardLog>>,
    hasher: std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher>,
    router: Arc<Router>,
    clock: fn() -> u64,
}

impl LocalBroker {
    /// `epoch` should differ from any earlier run's (the node uses its start time in
    /// milliseconds); `clock` gives unix milliseconds for retention by age.
    pub fn new(
        router: Arc<Router>,
        epoch: u64,
        shards: u32,
        retention: Retention,
        clock: fn() -> u64,
    ) -> Self {
        Self {
            shards: (0..shards.max(1))
                .map(|s| Mutex::new(ShardLog::new(epoch, s, retention)))
                .collect(),
            hasher: Default::default(),
            router,
            clock,
        }
    }

    /// The shard of a top-level account: stable across runs (a fixed hasher), so a
    /// resume id's shard still names the account's shard after a restart.
    fn shard(&self, root: &AccountSid) -> &Mutex<ShardLog> {
        &self.shards[self.hasher.hash_one(root) as usize % self.shards.len()]
    }
}

impl Broker for LocalBroker {
    fn publish(&self, draft: Draft) {
        let now = (self.clock)();
        let mut log = self
            .shard(&draft.root_sid)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let event = log.append(draft, now);
        // Delivered under the shard's lock so live order is log order, and a replay
        // taken after a subscriber registered cannot miss an event in between.
        self.router.deliver(&event, true);
    }

    fn replay(
        &self,
        account: AccountSid,
        root: AccountSid,
        after: EventId,
    ) -> BoxFuture<'_, Result<Replay, Error>> {
        let mut log = self.shard(&root).lock().unwrap_or_else(|e| e.into_inner());
        log.trim((self.clock)());
        let replay = log.since(after, account);
        Box::pin(std::future::ready(Ok(replay)))
    }

    fn name(&self) -> &'static str {
        "local"
    }
}
