//! The error an application returns instead of verbs.

/// An application's own failure (not a trap): the node records a notification with
/// `code` and `message`, then the call goes to the number's secondary handler or hears
/// the error message.
///
/// ```
/// use switchyard_sdk::AppError;
/// let err = AppError::new(12100, "the menu is not configured");
/// assert_eq!(err.code, 12100);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("application error {code}: {message}")]
pub struct AppError {
    /// A Twilio-style error code, e.g. 12100.
    pub code: u32,
    /// What went wrong, for the account's notifications.
    pub message: String,
}

impl AppError {
    /// An error with a Twilio-style `code` and a human-readable `message`.
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
        }
    }
}
