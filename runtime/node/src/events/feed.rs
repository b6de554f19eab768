//! One subscriber's feed: the events it missed (after `Last-Event-ID`), then live ones,
//! each once and in order, through its Wasm filters, until it expires.
//!
//! Every channel (SSE, WebSocket, QUIC) reads a `Feed`; they differ only in framing.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use switchyard_events::{Cursor, Entry, Event, EventId, Registration, Subscriber};

use super::grant::{Grant, StreamError};
use crate::shared::Shared;

/// Why a feed ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// The signed URL or a subscription reached its expiry.
    Expired,
    /// The subscriber read too slowly and its queue filled: it should reconnect with
    /// its last event id, and replay fills the hole.
    Overflowed,
    /// The node is shutting down.
    Shutdown,
}

impl Closed {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Overflowed => "overflowed",
            Self::Shutdown => "shutdown",
        }
    }
}

/// A subscriber's events, replay first.
#[derive(Debug)]
pub struct Feed {
    shared: Arc<Shared>,
    registration: Registration,
    pending: VecDeque<Arc<Event>>,
    cursor: Cursor,
    /// Armed once at open: the grant's expiry.
    expiry: Option<Pin<Box<Sleep>>>,
    /// The keep-alive timer, armed once; see [`Idle`].
    idle: Option<Idle>,
    shutdown: tokio::sync::watch::Receiver<bool>,
}

/// "Nothing sent for `every`", without touching the timer per event: the timer stays
/// armed, each event only notes the time, and a timer that fires early is pushed back
/// to `last + every` (timer-wheel insertions per event cost more than a clock read).
#[derive(Debug)]
struct Idle {
    every: Duration,
    last: Instant,
    timer: Pin<Box<Sleep>>,
}

impl Idle {
    fn new(every: Duration) -> Self {
        let now = Instant::now();
        Self {
            every,
            last: now,
            timer: Box::pin(tokio::time::sleep_until(now + every)),
        }
    }

    /// Resolves once nothing was sent for `every`, then starts the next period.
    async fn elapsed(&mut self) {
        loop {
            self.timer.as_mut().await;
            let due = self.last + self.every;
            let now = Instant::now();
            if now >= due {
                self.last = now;
                self.timer.as_mut().reset(now + self.every);
                return;
            }
            self.timer.as_mut().reset(due);
        }
    }
}

impl Feed {
    /// Register the subscriber, then read what it missed after `last_event_id`:
    /// registering first means no event can fall between replay and live; the cursor
    /// drops the ones that land in both.
    pub async fn open(
        shared: Arc<Shared>,
        grant: &Grant,
        last_event_id: Option<EventId>,
        local_only: bool,
    ) -> Result<Self, StreamError> {
        let registration = shared.events.router.register(
            grant.account,
            grant.root,
            grant.entries.clone(),
            local_only,
        );
        let mut pending = VecDeque::new();
        let mut cursor = Cursor::default();
        if let Some(after) = last_event_id {
            let replay = shared
                .events
                .broker
                .replay(grant.account, grant.root, after)
                .await
                .map_err(|e| StreamError::Internal(e.to_string()))?;
            let now = crate::shared::now_ms() as u64;
            cursor = Cursor::at(Some(after));
            if let Some(gap) = replay.gap_event(after, grant.account, now) {
                cursor = Cursor::at(Some(gap.id));
                pending.push_back(Arc::new(gap));
            }
            let entries = grant.entries.clone();
            pending.extend(
                replay
                    .events
                    .into_iter()
                    .filter(|e| entries.iter().any(|x| x.spec.matches(e))),
            );
        }
        let expiry = grant.expires_at.map(|at| {
            let now = crate::shared::now_ms() as u64;
            let at = Instant::now() + Duration::from_millis((at * 1000).saturating_sub(now));
            Box::pin(tokio::time::sleep_until(at))
        });
        let shutdown = shared.shutting_down();
        Ok(Self {
            shared,
            registration,
            pending,
            cursor,
            expiry,
            idle: None,
            shutdown,
        })
    }

    /// The next event to send, or why the feed is over.
    pub async fn next(&mut self) -> Result<Arc<Event>, Closed> {
        loop {
            if let Some(e) = self.next_within(None).await? {
                return Ok(e);
            }
        }
    }

    /// [`Feed::next`], or `Ok(None)` when nothing was sent for `idle` (time for a
    /// keep-alive). Only the wait for a delivery is raced against the timers, never a
    /// running filter, so an idle wake-up loses no event.
    pub async fn next_within(
        &mut self,
        idle: Option<Duration>,
    ) -> Result<Option<Arc<Event>>, Closed> {
        if let Some(every) = idle {
            // A feed has one reader, which asks for one period throughout.
            self.idle.get_or_insert_with(|| Idle::new(every));
        }
        let sent = self.next_event().await?;
        if let (Some(_), Some(i)) = (&sent, self.idle.as_mut()) {
            i.last = Instant::now();
        }
        Ok(sent)
    }

    async fn next_event(&mut self) -> Result<Option<Arc<Event>>, Closed> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                // The gap event carries the cursor's own id (set when the feed opened).
                let gap = e.event_type == "stream.gap";
                if !gap && !self.cursor.admit(e.id) {
                    continue;
                }
                let filters = if gap {
                    Vec::new()
                } else {
                    match self.matching_filters_of(&e) {
                        Some(f) => f,
                        None => continue,
                    }
                };
                if let Some(e) = self.filtered(e, &filters).await {
                    return Ok(Some(e));
                }
                continue;
            }
            if self.registration.subscriber.overflowed() && self.registration.rx.is_empty() {
                return Err(Closed::Overflowed);
            }
            let delivery = tokio::select! {
                d = self.registration.rx.recv() => d,
                _ = expired(self.expiry.as_mut()) => return Err(Closed::Expired),
                _ = self.shutdown.wait_for(|s| *s) => return Err(Closed::Shutdown),
                _ = quiet(self.idle.as_mut()) => return Ok(None),
            };
            let Some(d) = delivery else {
                return Err(Closed::Shutdown);
            };
            if !self.cursor.admit(d.event.id) {
                continue;
            }
            // The router matched it against the subscriptions of the moment it was
            // queued; when the control channel changed them since, it is matched again
            // (a change takes effect for the next event sent).
            let filters = if d.generation == self.registration.subscriber.generation() {
                d.filters
            } else {
                match self.matching_filters_of(&d.event) {
                    Some(f) => f,
                    None => continue,
                }
            };
            if let Some(e) = self.filtered(d.event, &filters).await {
                return Ok(Some(e));
            }
        }
    }

    /// The id of the last event sent.
    pub fn last_id(&self) -> Option<EventId> {
        self.cursor.last()
    }

    /// The subscriptions it carries now.
    pub fn entries(&self) -> Vec<Entry> {
        self.registration.subscriber.entries()
    }

    /// A handle on its subscriptions for a control channel that runs beside the task
    /// awaiting `next` (which holds the feed).
    pub fn subscriptions(&self) -> Subscriptions {
        Subscriptions(self.registration.subscriber.clone())
    }

    /// The Wasm filters an event goes through now: `None` when no subscription matches
    /// it, empty when one without a filter does.
    fn matching_filters_of(&self, event: &Event) -> Option<Vec<String>> {
        let entries = self.entries();
        let matched: Vec<&Entry> = entries.iter().filter(|x| x.spec.matches(event)).collect();
        if matched.is_empty() {
            return None;
        }
        if matched.iter().any(|x| x.spec.wasm_filter.is_none()) {
            return Some(Vec::new());
        }
        Some(
            matched
                .iter()
                .filter_map(|x| x.spec.wasm_filter.clone())
                .collect(),
        )
    }

    async fn filtered(&self, event: Arc<Event>, filters: &[String]) -> Option<Arc<Event>> {
        if filters.is_empty() {
            return Some(event);
        }
        // Boxed: a filter call's future is large, and an idle stream should not carry
        // its space.
        Box::pin(super::filters::apply(
            &self.shared,
            self.registration.subscriber.account(),
            filters,
            event,
        ))
        .await
    }
}

/// A feed's subscriptions, shared with the feed (see `Feed::subscriptions`).
#[derive(Debug, Clone)]
pub struct Subscriptions(Arc<Subscriber>);

impl Subscriptions {
    /// Replace them; the next event the feed sends is matched against these.
    pub fn set_entries(&self, entries: Vec<Entry>) {
        self.0.set_entries(entries);
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.0.entries()
    }
}

async fn expired(expiry: Option<&mut Pin<Box<Sleep>>>) {
    match expiry {
        Some(timer) => timer.as_mut().await,
        None => std::future::pending().await,
    }
}

async fn quiet(idle: Option<&mut Idle>) {
    match idle {
        Some(idle) => idle.elapsed().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_keep_alive_comes_after_a_quiet_period_counted_from_the_last_event() {
        let every = Duration::from_secs(15);
        let t0 = Instant::now();
        let mut idle = Idle::new(every);
        // An event at 10 s pushes the first keep-alive to 25 s, not 15 s.
        tokio::time::advance(Duration::from_secs(10)).await;
        idle.last = Instant::now();
        idle.elapsed().await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(25));
        // Then one every 15 s while nothing is sent.
        idle.elapsed().await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(40));
    }
}
