//! One subscriber's feed: the events it missed (after `Last-Event-ID`), then live ones,
//! each once and in order, through its Wasm filters, until it expires.
//!
//! Every channel (SSE, WebSocket, QUIC) reads a `Feed`; they differ only in framing.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use switchyard_events::{Cursor, Entry, Event, EventId, Registration};

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
    deadline: Option<tokio::time::Instant>,
    shutdown: tokio::sync::watch::Receiver<bool>,
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
        let deadline = grant.expires_at.map(|at| {
            let now = crate::shared::now_ms() as u64;
            tokio::time::Instant::now() + Duration::from_millis((at * 1000).saturating_sub(now))
        });
        let shutdown = shared.shutting_down();
        Ok(Self {
            shared,
            registration,
            pending,
            cursor,
            deadline,
            shutdown,
        })
    }

    /// The next event to send, or why the feed is over.
    pub async fn next(&mut self) -> Result<Arc<Event>, Closed> {
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
                    self.matching_filters_of(&e)
                };
                if let Some(e) = self.filtered(e, &filters).await {
                    return Ok(e);
                }
                continue;
            }
            if self.registration.subscriber.overflowed() && self.registration.rx.is_empty() {
                return Err(Closed::Overflowed);
            }
            let deadline = self.deadline;
            let delivery = tokio::select! {
                d = self.registration.rx.recv() => d,
                _ = sleep_until(deadline) => return Err(Closed::Expired),
                _ = self.shutdown.wait_for(|s| *s) => return Err(Closed::Shutdown),
            };
            let Some(d) = delivery else {
                return Err(Closed::Shutdown);
            };
            if !self.cursor.admit(d.event.id) {
                continue;
            }
            if let Some(e) = self.filtered(d.event, &d.filters).await {
                return Ok(e);
            }
        }
    }

    /// The id of the last event sent.
    pub fn last_id(&self) -> Option<EventId> {
        self.cursor.last()
    }

    /// The Wasm filters a replayed event goes through (live deliveries carry theirs).
    fn matching_filters_of(&self, event: &Event) -> Vec<String> {
        let entries = self.registration.subscriber.entries();
        let matched: Vec<&Entry> = entries.iter().filter(|x| x.spec.matches(event)).collect();
        if matched.iter().any(|x| x.spec.wasm_filter.is_none()) {
            return Vec::new();
        }
        matched
            .iter()
            .filter_map(|x| x.spec.wasm_filter.clone())
            .collect()
    }

    async fn filtered(&self, event: Arc<Event>, filters: &[String]) -> Option<Arc<Event>> {
        if filters.is_empty() {
            return Some(event);
        }
        super::filters::apply(
            &self.shared,
            self.registration.subscriber.account(),
            filters,
            event,
        )
        .await
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
