/// The handle of one queued call, returned by
/// [`OutboundQueue::push`](crate::OutboundQueue::push).
///
/// Tickets are issued in increasing order and never reused by a queue, so a stale ticket
/// (its call started or was canceled) can never reach another call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ticket(pub(crate) u64);

impl Ticket {
    /// The ticket's number, for logs.
    pub fn get(self) -> u64 {
        self.0
    }
}
