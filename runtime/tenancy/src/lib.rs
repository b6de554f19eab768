//! Accounts' limits, the fair outbound call queue and access tokens, sans-IO.
//!
//! [`OutboundQueue`] holds the outbound calls that accounts asked for through the API and
//! decides which one may start next. Each account has [`Limits`]: a throttle (calls started
//! per second) and a cap (calls up at once). A call beyond either waits in its account's
//! queue with status `queued`; the queue serves accounts in turn, so one account's burst
//! delays another account's next call by at most one turn.
//!
//! Nothing here reads the clock or owns a timer: the node passes the time to every call
//! that depends on it, sleeps until [`OutboundQueue::poll_timeout`], and reports ended
//! calls with [`OutboundQueue::finished`]. That keeps the queue testable in virtual time.

mod access_token;
mod account;
mod bucket;
mod calls;
mod error;
mod limits;
mod queue;
mod ticket;

pub use access_token::{AccessToken, TokenError, Unverified};
pub use calls::{ActiveCalls, AtCap};
pub use error::Error;
pub use limits::Limits;
pub use queue::{OutboundQueue, Started};
pub use ticket::Ticket;
