//! What a queue's member and agent hear of each other, through the node.

use std::time::Instant;

use switchyard_types::{AccountSid, CallSid};

use super::{Executor, Step};
use crate::queue::{Dequeue, SharedQueues};
use crate::verbs;

impl Executor {
    /// The node's queues, which `<Enqueue>` joins and `<Dial><Queue>` takes from.
    pub fn with_queues(mut self, queues: SharedQueues) -> Self {
        self.queues = Some(queues);
        self
    }

    /// The call's account and SID, when the executor knows its call.
    pub(crate) fn call_ids(&self) -> Option<(AccountSid, CallSid)> {
        self.call.as_ref().map(|c| (c.account_sid, c.call_sid))
    }

    /// Whether the call has a queue's business in hand: it waits in a queue (or was
    /// taken from one and is bridged), or its `<Dial><Queue>` takes from one.
    pub fn in_queue(&self) -> bool {
        self.queued.is_some() || matches!(self.step, Step::Agent(_))
    }

    /// (Member) An agent or the API took this caller out of its queue.
    pub fn queue_dequeued(&mut self, now: Instant, how: Dequeue) {
        self.tick(now);
        verbs::enqueue::dequeued(self, now, how);
        self.advance(now);
    }

    /// (Agent) The member taken is bridged to this call's media: `false` when this call
    /// no longer wants it (the node then unbridges and ends the member's bridge).
    pub fn queue_member_ready(&mut self, now: Instant, member: CallSid) -> bool {
        self.tick(now);
        verbs::dial_queue::member_ready(self, now, member)
    }

    /// (Agent) A member joined the empty queue this call waits on.
    pub fn queue_member_waiting(&mut self, now: Instant) {
        self.tick(now);
        verbs::dial_queue::member_waiting(self, now);
    }

    /// (Agent) The member taken cannot be reached (it hung up, or left).
    pub fn queue_member_gone(&mut self, now: Instant, member: CallSid) {
        self.tick(now);
        verbs::dial_queue::member_gone(self, now, member);
    }

    /// (Either) The other call ended the bridge (hung up, or its time limit came).
    pub fn queue_bridge_ended(&mut self, now: Instant, peer: CallSid) {
        self.tick(now);
        if matches!(self.step, Step::Agent(_)) {
            verbs::dial_queue::bridge_ended(self, now, peer);
        } else {
            verbs::enqueue::bridge_ended(self, now);
        }
    }

    /// A live redirect or TwiML update takes the caller out of its queue.
    pub(super) fn leave_queue(&mut self, now: Instant) {
        verbs::enqueue::abandon(self, now);
        verbs::dial_queue::abandon(self);
    }
}
