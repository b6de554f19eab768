//! Call queues: the book of every account's queues ([`QueueBook`]), and what a queued
//! caller (a *member*, in `<Enqueue>`) and the call taking it (an *agent*, in
//! `<Dial><Queue>`) tell each other through the node.
//!
//! The two calls run in different sessions. The agent takes the member at the head of the
//! queue from the book and asks for it ([`QueueAction::Take`]); the member's call runs the
//! `<Queue url>` document, then says it is ready ([`QueueAction::Ready`]), and the node
//! bridges the two legs' media; either side's end ([`QueueAction::EndBridge`]) returns
//! the other to its document.

mod book;

use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use book::{
    Dequeued, Joined, Journal, Member, Position, QueueBook, QueueChange, QueueError, QueueStats,
    DEFAULT_MAX_SIZE, MAX_MAX_SIZE,
};
use switchyard_instructions::HttpMethod;
use switchyard_types::{CallSid, QueueSid};

/// The node's queues, shared by every call and the REST API.
pub type SharedQueues = Arc<Mutex<QueueBook>>;

/// Lock the shared book (a panic elsewhere leaves it usable: its state is always whole).
pub fn lock(queues: &SharedQueues) -> std::sync::MutexGuard<'_, QueueBook> {
    queues.lock().unwrap_or_else(|e| e.into_inner())
}

/// Twilio's `QueueResult`: why a caller left its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueResult {
    /// Dequeued and bridged to an agent (reported once the bridge is over).
    Bridged,
    /// The caller hung up while waiting.
    Hangup,
    /// `<Leave>` in the wait document.
    Leave,
    /// The queue was full.
    QueueFull,
    /// Dequeued by the API to a URL, or its call redirected out of the queue.
    Redirected,
    /// The queue could not be used (e.g. it could not be joined).
    Error,
    /// This node failed.
    SystemError,
}

impl QueueResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bridged => "bridged",
            Self::Hangup => "hangup",
            Self::Leave => "leave",
            Self::QueueFull => "queue-full",
            Self::Redirected => "redirected",
            Self::Error => "error",
            Self::SystemError => "system-error",
        }
    }
}

/// How a member was taken out of its queue by someone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dequeue {
    /// An agent's `<Dial><Queue>` took it: run `url` (the noun's, Play/Say/Pause/Redirect
    /// only) on the member, then bridge.
    Bridge {
        agent: CallSid,
        url: Option<(String, HttpMethod)>,
        waited: Duration,
    },
    /// The Members API dequeued it to `url`: the call continues there.
    Redirect {
        url: String,
        method: HttpMethod,
        waited: Duration,
    },
}

/// What the executor asks the node to carry between a member and an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueAction {
    /// (Agent) Deliver [`Dequeue::Bridge`] to the member just taken from the book; if it
    /// is no longer live, report [`crate::Executor::queue_member_gone`].
    Take {
        member: CallSid,
        queue: QueueSid,
        url: Option<(String, HttpMethod)>,
        waited: Duration,
    },
    /// (Member) Its `<Queue url>` document is over: bridge this leg's media with the
    /// agent's and tell the agent ([`crate::Executor::queue_member_ready`]).
    Ready { agent: CallSid },
    /// (Member) It joined a queue on which these agents wait: tell each
    /// ([`crate::Executor::queue_member_waiting`]).
    Wake(Vec<CallSid>),
    /// (Either) The bridge is over from this side: unbridge this leg's media and tell
    /// the other call ([`crate::Executor::queue_bridge_ended`]).
    EndBridge { peer: CallSid },
}
