//! The publisher: queued drafts to JetStream, in order, with no acknowledgement asked.
//!
//! JetStream stores a message published on one of a stream's subjects whether or not it
//! carries a reply subject; the reply subject only asks the server for an
//! acknowledgement. The broker asks for none, because it receives a better one anyway:
//! the stream republishes what it stored, with its sequence, to the live subscription
//! every node has, this node included. That copy coming back is the confirmation
//! (counted in [`Stats::published`](crate::Stats)), and the server handles two messages
//! per event (in, republished) instead of three (in, acknowledgement, republished).
//!
//! The same copies bound what is in flight: with [`WINDOW`] events sent and not yet
//! back, the publisher waits for them, as it would for acknowledgements. Should none
//! come back for [`STALL`] (the stream is gone, or the live subscription is), it counts
//! what is outstanding as unconfirmed, warns, and goes on rather than hold the queue.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_nats::Client;
use switchyard_events::Draft;
use tokio::sync::mpsc;

use crate::{wire, Counters};

/// Events sent and not yet seen stored, at most.
pub const WINDOW: u64 = 8_192;
/// How long the publisher waits for a stored copy with the window full.
const STALL: Duration = Duration::from_secs(2);

/// Publish the queued drafts until the queue closes (the broker was dropped), then
/// flush what the client still buffers.
pub(crate) async fn publisher(
    client: Client,
    mut rx: mpsc::Receiver<Draft>,
    node: String,
    c: Arc<Counters>,
) {
    let mut sent = 0u64;
    while let Some(draft) = rx.recv().await {
        if in_flight(sent, &c) >= WINDOW {
            wait_for_echoes(sent, &c).await;
        }
        let Some(subject) = wire::subject(&draft) else {
            c.failed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(event_type = %draft.event_type, "not publishable: the type cannot end a NATS subject");
            continue;
        };
        let (headers, body) = wire::encode(draft, &node);
        match client.publish_with_headers(subject, headers, body).await {
            Ok(()) => sent += 1,
            Err(e) => {
                let n = c.failed.fetch_add(1, Ordering::Relaxed);
                if (n + 1).is_power_of_two() {
                    tracing::warn!(error = %e, failed = n + 1, "NATS publish failed");
                }
            }
        }
    }
    if let Err(e) = client.flush().await {
        tracing::warn!(error = %e, "NATS: the last events may not have been sent");
    }
}

/// Sent and neither seen stored nor given up on.
fn in_flight(sent: u64, c: &Counters) -> u64 {
    let settled = c.published.load(Ordering::Relaxed) + c.unconfirmed.load(Ordering::Relaxed);
    sent.saturating_sub(settled)
}

async fn wait_for_echoes(sent: u64, c: &Counters) {
    let room = async {
        loop {
            let echo = c.echo.notified();
            if in_flight(sent, c) < WINDOW {
                return;
            }
            echo.await;
        }
    };
    if tokio::time::timeout(STALL, room).await.is_err() {
        let lost = in_flight(sent, c);
        c.unconfirmed.fetch_add(lost, Ordering::Relaxed);
        tracing::warn!(
            unconfirmed = lost,
            "NATS: no stored copy of this node's events came back in {STALL:?}; going on"
        );
    }
}
