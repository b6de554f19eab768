//! SIP (RFC 3261) message parser, printer, transactions and dialogs as
//! sans-IO state machines.
//!
//! Nothing here owns a socket or reads the clock: the node feeds bytes and
//! the current [`std::time::Instant`] into an [`Endpoint`] and drains
//! transmits, events and the next deadline out of it.

#![warn(missing_docs)]

mod addr;
mod dialog;
pub mod digest;
mod endpoint;
mod error;
mod events;
mod fields;
mod headers;
mod message;
mod method;
mod outbound;
pub mod overload;
mod parse;
pub mod registrar;
mod routing;
mod syntax;
mod timers;
mod transaction;
pub mod trust;
mod uri;
mod validate;
mod via;

pub use addr::NameAddr;
pub use dialog::Dialog;
pub use digest::{Challenge, DigestError};
pub use endpoint::{ClientTxId, Endpoint, EndpointConfig, Event, ServerTxId, Transmit, Transport};
pub use error::Error;
pub use headers::Headers;
pub use message::{default_reason, Message, Request, Response};
pub use method::Method;
pub use outbound::{add_to_tag, fresh_call_id, fresh_tag, new_invite};
pub use overload::{Admission, Load, OverloadConfig, Verdict};
pub use parse::{frame_len, keepalive_pings, parse_message};
pub use uri::{parse_uri, SipUri};
pub use via::{CSeq, Via, MAGIC_COOKIE};
