//! The event router on this node: the broker events are published to, the router that
//! fans them out to this node's subscribers, and the channels subscribers read.

mod control;
mod feed;
mod filters;
mod grant;
mod quic;
mod sinks;
mod sse;
mod ws;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use switchyard_call::CallEvent;
use switchyard_events::{Broker, Draft, LocalBroker, Retention, Router};
use switchyard_store::{Repository, Store};
use switchyard_types::AccountSid;

use crate::config::{BrokerKind, EventsSection};

pub use grant::{default_kid, signing_key};
pub use quic::serve as serve_quic;
pub use sinks::WebhookSinks;
pub use sse::stream as sse_stream;
pub use ws::stream as ws_stream;

/// The broker and this node's router.
#[derive(Debug)]
pub struct EventHub {
    pub router: Arc<Router>,
    pub broker: Arc<dyn Broker>,
    /// Top-level account of each account seen (a subaccount's parent never changes).
    roots: Mutex<HashMap<AccountSid, AccountSid>>,
}

fn clock() -> u64 {
    crate::shared::now_ms() as u64
}

impl EventHub {
    /// The configured broker (NATS connects here) and an empty router.
    pub async fn start(config: &EventsSection) -> anyhow::Result<Self> {
        let router = Router::new(config.subscriber_queue);
        let retention = Retention {
            max_events: config.retention_events,
            max_age_ms: config.retention_seconds * 1000,
        };
        let broker: Arc<dyn Broker> = match config.broker {
            BrokerKind::Local => Arc::new(LocalBroker::new(
                router.clone(),
                clock(),
                64,
                retention,
                clock,
            )),
            BrokerKind::Nats => {
                let url = config.nats_url.as_deref().unwrap_or_default();
                switchyard_events_nats::NatsBroker::connect(url, router.clone(), retention)
                    .await
                    .map_err(|e| anyhow::anyhow!("event broker NATS at {url}: {e}"))?
            }
        };
        tracing::info!(broker = broker.name(), "event broker ready");
        Ok(Self {
            router,
            broker,
            roots: Mutex::new(HashMap::new()),
        })
    }

    /// The top-level account of `account` (itself, or its parent).
    pub fn root_of(&self, store: &Store, account: AccountSid) -> AccountSid {
        if let Some(root) = self
            .roots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&account)
        {
            return *root;
        }
        let root = match store.account(account) {
            Ok(Some(a)) => a.owner_account_sid.unwrap_or(account),
            _ => return account,
        };
        self.roots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(account, root);
        root
    }

    /// Publish a call's event; returns at once.
    pub fn publish(&self, store: &Store, event: CallEvent) {
        let root_sid = self.root_of(store, event.account_sid);
        self.broker.publish(Draft {
            account_sid: event.account_sid,
            root_sid,
            call_sid: event.call_sid,
            event_type: event.event_type(),
            timestamp_ms: crate::shared::millis(event.timestamp) as u64,
            data: event.data,
        });
    }
}
