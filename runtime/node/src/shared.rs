//! What every task of the node shares.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use switchyard_call::CallEvent;
use switchyard_instructions::HttpMethod;
use switchyard_media::MediaCache;
use switchyard_store::Store;
use switchyard_types::AccountSid;
use switchyard_webhook::{Signer, Target, WebhookClient, WebhookConfig};
use tokio::sync::{broadcast, mpsc, watch};

use crate::config::{parse_method, Config};
use crate::ports::PortPool;
use crate::sip_io::SipCommand;

/// A number bound to its application.
#[derive(Debug, Clone)]
pub struct NumberBinding {
    pub number: String,
    pub account_sid: AccountSid,
    pub voice: Target,
    pub fallback: Option<Target>,
    pub status_callback: Option<Target>,
    /// Which of initiated, ringing, answered, completed to report (Twilio: only
    /// `completed` when none is chosen).
    pub status_events: Vec<String>,
}

/// An account as the call path needs it.
#[derive(Debug, Clone)]
pub struct AccountEntry {
    pub sid: AccountSid,
    pub auth_token: String,
    pub signer: Signer,
}

/// State shared by the SIP task, the call sessions and the HTTP server.
#[derive(Debug)]
pub struct Shared {
    pub config: Config,
    pub numbers: HashMap<String, NumberBinding>,
    pub accounts: HashMap<AccountSid, AccountEntry>,
    pub store: Store,
    pub webhook: WebhookClient,
    pub media: MediaCache,
    pub events: broadcast::Sender<CallEvent>,
    pub sip: mpsc::UnboundedSender<SipCommand>,
    pub ports: PortPool,
    pub live: crate::live::LiveCalls,
    active_calls: AtomicUsize,
    shutdown: watch::Sender<bool>,
}

fn target(url: &str, method: &str) -> Target {
    Target {
        url: url.to_owned(),
        method: match parse_method(method) {
            Ok(HttpMethod::Get) => switchyard_webhook::HttpMethod::Get,
            _ => switchyard_webhook::HttpMethod::Post,
        },
    }
}

impl Shared {
    /// Build the shared state; the receiver is the SIP task's command queue.
    pub fn new(config: Config) -> anyhow::Result<(Arc<Self>, mpsc::UnboundedReceiver<SipCommand>)> {
        let store = Store::open(&config.node.data_dir)?;
        let webhook = WebhookClient::new(WebhookConfig {
            connect_timeout: Duration::from_millis(config.webhook.connect_timeout_ms),
            response_timeout: Duration::from_millis(config.webhook.response_timeout_ms),
            max_body: 64 * 1024,
            user_agent: format!("Switchyard/{}", env!("CARGO_PKG_VERSION")),
        })?;
        let media = MediaCache::open(config.node.data_dir.join("media"), webhook.http())?;
        let accounts = config
            .accounts
            .iter()
            .map(|a| {
                let key = a
                    .signing_key
                    .as_ref()
                    .map(|k| ("k1".to_owned(), k.as_bytes().to_vec()));
                (
                    a.sid,
                    AccountEntry {
                        sid: a.sid,
                        auth_token: a.auth_token.clone(),
                        signer: Signer::new(a.auth_token.clone(), key),
                    },
                )
            })
            .collect();
        let numbers = config
            .numbers
            .iter()
            .map(|n| {
                let binding = NumberBinding {
                    number: n.number.clone(),
                    account_sid: n.account_sid,
                    voice: target(&n.voice_url, &n.voice_method),
                    fallback: n
                        .voice_fallback_url
                        .as_deref()
                        .map(|u| target(u, &n.voice_fallback_method)),
                    status_callback: n
                        .status_callback
                        .as_deref()
                        .map(|u| target(u, &n.status_callback_method)),
                    status_events: if n.status_callback_event.is_empty() {
                        vec!["completed".into()]
                    } else {
                        n.status_callback_event.clone()
                    },
                };
                (n.number.clone(), binding)
            })
            .collect();
        let (sip, sip_rx) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(4096);
        let ports = PortPool::new(
            config.media.rtp_ip,
            config.media.rtp_port_min,
            config.media.rtp_port_max,
        );
        let (shutdown, _) = watch::channel(false);
        let shared = Arc::new(Self {
            config,
            numbers,
            accounts,
            store,
            webhook,
            media,
            events,
            sip,
            ports,
            live: crate::live::LiveCalls::default(),
            active_calls: AtomicUsize::new(0),
            shutdown,
        });
        Ok((shared, sip_rx))
    }

    /// The binding of the number a Request-URI's user part names (`+1555…` or `1555…`).
    pub fn number(&self, user: &str) -> Option<&NumberBinding> {
        self.numbers.get(user).or_else(|| {
            if let Some(bare) = user.strip_prefix('+') {
                self.numbers.get(bare)
            } else {
                self.numbers.get(&format!("+{user}"))
            }
        })
    }

    /// Publish an event on the internal bus (nobody listening is fine).
    pub fn publish(&self, event: CallEvent) {
        tracing::debug!(kind = event.kind.as_str(), call = ?event.call_sid, "event");
        let _ = self.events.send(event);
    }

    pub fn call_started(&self) {
        self.active_calls.fetch_add(1, Ordering::SeqCst);
    }

    pub fn call_ended(&self) {
        self.active_calls.fetch_sub(1, Ordering::SeqCst);
    }

    pub fn calls_in_progress(&self) -> usize {
        self.active_calls.load(Ordering::SeqCst)
    }

    /// New calls are refused and calls in progress hang up.
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    pub fn shutting_down(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
}
