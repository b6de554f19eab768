//! The event router's core.
//!
//! Every call transition and verb becomes an [`Event`] with an id `epoch:shard:seq`
//! ([`EventId`]). A [`Broker`] gives ids, keeps a bounded log per shard for replay
//! ([`ShardLog`]) and hands each event to every node's [`Router`], which pushes it,
//! without ever blocking, to the local subscribers whose subscriptions ([`Spec`])
//! match. [`signed`] mints and checks the signed URLs a browser subscribes with.
//!
//! Sans-IO where it matters: the log, matching, cursors and signatures take time as
//! arguments; only the router's queues are tokio channels.

mod broker;
pub mod catalogue;
mod error;
mod event;
mod id;
mod log;
mod router;
pub mod signed;
mod spec;

pub use broker::{BoxFuture, Broker, LocalBroker};
pub use error::Error;
pub use event::{Draft, Event};
pub use id::EventId;
pub use log::{gap, GapReason, Replay, Retention, ShardLog};
pub use router::{Cursor, Delivery, DeliveryCounts, Entry, Registration, Router, Subscriber};
pub use spec::{visible, Op, ParamFilter, Spec};
