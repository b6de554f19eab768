//! `<Enqueue>` (and its way out, `<Leave>`, in [`crate::Verb`]).

use super::Method;

/// Puts the caller in a queue until an agent dials it (`Dial::queue`) or the app runs
/// `Leave`.
///
/// ```
/// use switchyard_sdk::Enqueue;
/// let wait = Enqueue::new("support")
///     .wait_url("/hold-music")
///     .action("/after-queue")
///     .max_queue_size(10);
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
    /// What the caller hears while waiting: TwiML played in a loop, requested with
    /// `QueuePosition`, `QueueTime`, `CurrentQueueSize` and friends.
    pub wait_url: Option<String>,
    /// How `wait_url` is requested (POST).
    pub wait_url_method: Method,
    /// A caller finding this many already waiting is turned away (`QueueResult` =
    /// `queue-full`); `None` = the queue's own size.
    pub max_queue_size: Option<u32>,
}

impl Enqueue {
    /// Queues the caller in `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Enqueue {
            name: name.into(),
            action: None,
            method: Method::Post,
            wait_url: None,
            wait_url_method: Method::Post,
            max_queue_size: None,
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

    /// How `wait_url` is requested.
    pub fn wait_url_method(mut self, method: Method) -> Self {
        self.wait_url_method = method;
        self
    }

    /// Turn callers away once `size` are waiting.
    pub fn max_queue_size(mut self, size: u32) -> Self {
        self.max_queue_size = Some(size);
        self
    }
}

impl From<&str> for Enqueue {
    fn from(name: &str) -> Self {
        Enqueue::new(name)
    }
}
