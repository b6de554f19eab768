//! Webhook sinks: a subscription whose sink is a URL gets each event POSTed there.
//!
//! The body is the event's JSON, signed like app webhooks (`X-Twilio-Signature` over
//! the URL with `bodySHA256`, Twilio's scheme for JSON bodies, and
//! `X-Switchyard-Signature` over the exact body when the account has a signing key).
//! Delivery is at least once: a failed POST is retried with exponential backoff, and
//! `Idempotency-Key` carries the event id so the receiver can drop repeats. Each sink
//! has a bounded queue; when it overflows the account gets a notification and the sink
//! catches up from the replay log, so only what retention no longer holds is lost
//! (and that is named by a `stream.gap` event).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchyard_events::Event;
use switchyard_store::{Repository, Subscription};
use switchyard_types::SubscriptionSid;
use tokio::task::JoinHandle;

use super::feed::{Closed, Feed};
use super::grant::{entry, Grant};
use crate::shared::Shared;

/// Attempts per event before it is given up (with a notification).
const ATTEMPTS: u32 = 6;
/// The first retry's delay; each next one doubles.
const FIRST_RETRY: Duration = Duration::from_millis(250);
/// Switchyard's notification codes for sinks. They are stored, not published as
/// events: a failing sink would otherwise be sent the news of its own failure, and fail
/// again.
pub const SINK_OVERFLOW: u32 = 64001;
pub const SINK_DELIVERY_FAILED: u32 = 64002;

/// The running sinks of this node, by subscription.
#[derive(Debug, Default)]
pub struct WebhookSinks {
    running: Mutex<HashMap<SubscriptionSid, JoinHandle<()>>>,
}

impl WebhookSinks {
    /// Start every stored webhook subscription.
    pub fn start_all(&self, shared: &Arc<Shared>) {
        match shared.store.webhook_subscriptions() {
            Ok(all) => all.iter().for_each(|s| self.start(shared, s)),
            Err(e) => tracing::error!(error = %e, "webhook subscriptions could not be read"),
        }
    }

    /// Start (or restart, after a change) the sender of a webhook subscription.
    pub fn start(&self, shared: &Arc<Shared>, s: &Subscription) {
        self.stop(s.sid);
        let Some(url) = s.sink_url.clone() else {
            return;
        };
        let Ok(entry) = entry(s) else {
            tracing::error!(subscription = %s.sid, "subscription does not parse; not started");
            return;
        };
        let root = shared.events.root_of(&shared.store, s.account_sid);
        let grant = Grant {
            account: s.account_sid,
            root,
            entries: vec![entry],
            expires_at: s.expires_at.map(|e| e.max(0) as u64),
            may_publish: false,
        };
        let task = tokio::spawn(run(shared.clone(), s.sid, grant, url));
        self.lock().insert(s.sid, task);
    }

    pub fn stop(&self, sid: SubscriptionSid) {
        if let Some(task) = self.lock().remove(&sid) {
            task.abort();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SubscriptionSid, JoinHandle<()>>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn run(shared: Arc<Shared>, sid: SubscriptionSid, grant: Grant, url: String) {
    let mut resume = None;
    loop {
        let mut feed = match Feed::open(shared.clone(), &grant, resume, true).await {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(subscription = %sid, error = %e, "sink could not start");
                return;
            }
        };
        loop {
            match feed.next().await {
                Ok(event) => post(&shared, sid, &grant, &url, &event).await,
                Err(Closed::Overflowed) => {
                    resume = feed.last_id();
                    shared.record_notification(
                        grant.account,
                        None,
                        SINK_OVERFLOW,
                        true,
                        format!(
                            "event subscription {sid}: the webhook at {url} fell behind and its \
                             queue overflowed; catching up from the replay log"
                        ),
                        Some(url.clone()),
                    );
                    break;
                }
                Err(Closed::Expired | Closed::Shutdown) => return,
            }
        }
    }
}

/// POST one event until it is accepted or the attempts run out.
async fn post(shared: &Shared, sid: SubscriptionSid, grant: &Grant, url: &str, event: &Event) {
    let Some(account) = shared.store.account(grant.account).ok().flatten() else {
        return;
    };
    let body = event.json().as_bytes().to_vec();
    // Twilio's JSON scheme: the URL gains `bodySHA256` and is signed alone; the Signer
    // signs that URL with no form parameters, and the exact body with the account key.
    let (signed_url, _) =
        switchyard_webhook::twilio_signature_json(&account.auth_token, url, &body);
    let now = crate::shared::now_ms() as u64 / 1000;
    let signatures = crate::shared::AccountEntry::from_account(&account)
        .signer
        .sign(&signed_url, &[], &body, now);
    let http = shared.webhook.http();
    let mut delay = FIRST_RETRY;
    let mut last_error = String::new();
    for attempt in 1..=ATTEMPTS {
        let mut req = http
            .post(&signed_url)
            .header("content-type", "application/json")
            .header("idempotency-key", event.id.to_string())
            .header("x-switchyard-event-id", event.id.to_string())
            .header("x-switchyard-attempt", attempt.to_string())
            .header("x-twilio-signature", &signatures.twilio)
            .body(body.clone());
        if let Some(s) = &signatures.switchyard {
            req = req.header("x-switchyard-signature", s);
        }
        match req.timeout(Duration::from_secs(10)).send().await {
            Ok(r) if r.status().is_success() => return,
            // A 4xx other than 408/429 will not change with a retry.
            Ok(r) if r.status().is_client_error() && ![408, 429].contains(&r.status().as_u16()) => {
                last_error = format!("HTTP {}", r.status().as_u16());
                break;
            }
            Ok(r) => last_error = format!("HTTP {}", r.status().as_u16()),
            Err(e) => last_error = e.to_string(),
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
    }
    shared.record_notification(
        grant.account,
        event.call_sid,
        SINK_DELIVERY_FAILED,
        false,
        format!(
            "event subscription {sid}: event {} could not be delivered to {url}: {last_error}",
            event.id
        ),
        Some(url.to_owned()),
    );
}
