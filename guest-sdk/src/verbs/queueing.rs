//! `<Enqueue>` (and its way out, `<Leave>`, in [`crate::Verb`]).

use super::Method;

/// Puts the caller in a queue until an agent dials it (`Dial::queue`) or the app runs
/// `Leave`.
///
/// ```
/// use switchyard_sdk::Enqueue;
/// let wait = Enqueue::new("support").wait_url("/hold-music").action("/after-queue");
/// assert_eq!(wait.name, "support");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueue {
    /// The queue's name.
    pub name: String,
    /// Requested when the caller leaves the queue.
    pub action: Option<String>,
    /// How `action` is requested.
    pub method: Method,
    /// What the caller hears while waiting.
    pub wait_url: Option<String>,
}

impl Enqueue {
    /// Queues the caller in `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Enqueue {
            name: name.into(),
            action: None,
            method: Method::Post,
            wait_url: None,
        }
    }

    /// Requested when the caller leaves the queue.
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// How `action` is requested.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// What the caller hears while waiting.
    pub fn wait_url(mut self, url: impl Into<String>) -> Self {
        self.wait_url = Some(url.into());
        self
    }
}

impl From<&str> for Enqueue {
    fn from(name: &str) -> Self {
        Enqueue::new(name)
    }
}
