//! The crate's one error type.

/// What went wrong in the event router.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// A `Last-Event-ID` or `last_event_id` that is not `epoch:shard:seq`.
    #[error("{0:?} is not an event id (epoch:shard:seq)")]
    BadEventId(String),
    /// An event type no event of the catalogue has (nor a `prefix.*` of one).
    #[error("unknown event type {0:?} (see the catalogue: GET /v1/EventTypes)")]
    UnknownEventType(String),
    /// A parameter filter that is not `Name=value` or `Name^=prefix`.
    #[error("filter {0:?} is not Name=value or Name^=prefix")]
    BadFilter(String),
    /// A signed URL whose signature does not verify.
    #[error("the signature does not match the request")]
    Tampered,
    /// A signed URL that has no signature or no expiry.
    #[error("the request is not signed (sig, kid and expires are required)")]
    Unsigned,
    /// A signed URL past its expiry.
    #[error("the signed URL expired at {0} (unix seconds)")]
    Expired(u64),
    /// A key id the account has no key for.
    #[error("unknown key id {0:?}")]
    UnknownKey(String),
    /// The broker could not be reached or refused an operation.
    #[error("broker: {0}")]
    Broker(String),
}
