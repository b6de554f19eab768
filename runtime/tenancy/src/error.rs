use switchyard_types::AccountSid;

/// Errors of the tenancy layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A throttle must let calls through at some finite, positive rate: zero, negative,
    /// NaN or infinite rates, and rates so small that one call's interval cannot be
    /// represented as a `Duration`, are refused.
    #[error("calls per second must be a positive, finite number, got {0}")]
    InvalidRate(f64),
    /// [`OutboundQueue::finished`](crate::OutboundQueue::finished) was told about a call of
    /// an account that has none running, which would free a slot that was never taken.
    #[error("account {0} has no active call to finish")]
    NoActiveCall(AccountSid),
}
