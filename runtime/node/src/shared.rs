//! What every task of the node shares.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchyard_call::CallEvent;
use switchyard_instructions::HttpMethod;
use switchyard_media::MediaCache;
use switchyard_store::{Account, AccountStatus, Application, PhoneNumber, Repository, Store};
use switchyard_types::AccountSid;
use switchyard_webhook::{Signer, Target, WebhookClient, WebhookConfig};
use tokio::sync::{mpsc, watch};

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
    /// The tenant transcoder app (its name, from the number's `VoiceTranscoder=app:NAME`)
    /// applied to the caller's leg in both directions. Not checked yet: the app may be
    /// missing or not a transcoder when the call starts.
    pub voice_transcoder: Option<String>,
    /// The `Applications` resource whose URLs these are (its webhook is metered as the
    /// module named by its sid).
    pub application: Option<switchyard_types::ApplicationSid>,
}

impl NumberBinding {
    /// What answers `n`: its own URLs, or those of `app`, its application, when it has
    /// one. `None` when nothing answers it.
    pub fn of(n: &PhoneNumber, app: Option<&Application>) -> Option<Self> {
        let (voice_url, voice_method, fallback_url, fallback_method, status_url, status_method) =
            match app {
                Some(a) => (
                    a.voice_url.clone(),
                    a.voice_method.clone(),
                    a.voice_fallback_url.clone(),
                    a.voice_fallback_method.clone(),
                    a.status_callback.clone(),
                    a.status_callback_method.clone(),
                ),
                None => (
                    // A number bound to a Wasm app by `VoiceWasmApp` is answered by it
                    // unless a VoiceUrl says otherwise.
                    n.voice_url
                        .clone()
                        .or_else(|| n.voice_wasm_app.as_ref().map(|a| format!("app:{a}"))),
                    n.voice_method.clone(),
                    n.voice_fallback_url.clone(),
                    n.voice_fallback_method.clone(),
                    n.status_callback.clone(),
                    n.status_callback_method.clone(),
                ),
            };
        Some(NumberBinding {
            number: n.phone_number.clone(),
            account_sid: n.account_sid,
            voice: target(&voice_url?, &voice_method),
            fallback: fallback_url.map(|u| target(&u, &fallback_method)),
            status_callback: status_url.map(|u| target(&u, &status_method)),
            status_events: if n.status_callback_event.is_empty() {
                vec!["completed".into()]
            } else {
                n.status_callback_event.clone()
            },
            // The number's own, whether its URLs are its own or its application's.
            voice_transcoder: n.voice_transcoder.clone(),
            application: app.map(|a| a.sid),
        })
    }
}

impl NumberBinding {
    /// What answers a call placed through the SIP domain `d` to `to` (`sip:user@domain`,
    /// as Twilio reports a domain call's `To`). `None` when the domain has no voice URL.
    pub fn of_domain(d: &switchyard_store::SipDomain, to: String) -> Option<Self> {
        Some(NumberBinding {
            number: to,
            account_sid: d.account_sid,
            voice: target(d.voice_url.as_deref()?, &d.voice_method),
            fallback: d
                .voice_fallback_url
                .as_deref()
                .map(|u| target(u, &d.voice_fallback_method)),
            status_callback: d
                .voice_status_callback_url
                .as_deref()
                .map(|u| target(u, &d.voice_status_callback_method)),
            status_events: vec!["completed".into()],
            voice_transcoder: None,
            application: None,
        })
    }

    /// The caller as the app sees it (`From`): the user part of the From URI for a call
    /// to a number; for a call to a SIP URI (a domain call), Twilio's `sip:user@host`.
    pub fn caller(&self, from_uri: Option<&str>) -> String {
        let Some(uri) = from_uri else {
            return String::new();
        };
        match switchyard_sip::parse_uri(uri) {
            Ok(u) if self.number.starts_with("sip:") => match u.user {
                Some(user) => format!("sip:{user}@{}", u.host),
                None => format!("sip:{}", u.host),
            },
            Ok(u) => u.user.unwrap_or_else(|| uri.to_owned()),
            Err(_) => uri.to_owned(),
        }
    }
}

/// An account as the call path needs it.
#[derive(Debug, Clone)]
pub struct AccountEntry {
    pub sid: AccountSid,
    pub signer: Signer,
    pub active: bool,
}

impl AccountEntry {
    pub fn from_account(a: &Account) -> Self {
        let key = a
            .signing_key
            .as_ref()
            .map(|k| ("k1".to_owned(), k.as_bytes().to_vec()));
        Self {
            sid: a.sid,
            signer: Signer::new(a.auth_token.clone(), key),
            active: a.status == AccountStatus::Active,
        }
    }
}

/// State shared by the SIP task, the call sessions and the HTTP server.
#[derive(Debug)]
pub struct Shared {
    pub config: Config,
    pub store: Arc<Store>,
    pub webhook: WebhookClient,
    pub media: MediaCache,
    /// The event broker and this node's subscribers.
    pub events: crate::events::EventHub,
    /// Webhook sinks of event subscriptions.
    pub sinks: crate::events::WebhookSinks,
    pub sip: mpsc::UnboundedSender<SipCommand>,
    pub ports: PortPool,
    pub live: crate::live::LiveCalls,
    /// Tenant Wasm apps, compiled.
    pub wasm: Arc<crate::wasm_apps::WasmApps>,
    /// The media workers, one per core.
    pub media_engine: crate::media_io::MediaEngine,
    /// The Prometheus series (`/metrics`); its active-calls gauge is the node's count.
    pub metrics: crate::metrics::Metrics,
    /// The verdict on new INVITEs under load; the probe feeds it, the SIP task asks it.
    pub overload: Arc<Mutex<switchyard_sip::Admission>>,
    /// Where recordings are written and read: `recordings/` under the data directory.
    pub recordings: Arc<dyn switchyard_media::record::RecordingStorage>,
    /// Who may send new INVITEs (`[sip] inbound`, trunks, SIP domains, the digest guard).
    pub trust: crate::trust::InboundTrust,
    /// The registrar's bindings: who is reachable, where.
    pub presence: Arc<crate::presence::Presence>,
    /// Every account's call queues (`<Enqueue>`, `<Dial><Queue>`, the Queues resource).
    pub queues: switchyard_call::queue::SharedQueues,
    /// Every account's calls up, against its `max_concurrent_calls`.
    pub account_calls: crate::account_cap::AccountCalls,
    /// The live conference rooms.
    pub conferences: crate::conference::Conferences,
    shutdown: watch::Sender<bool>,
}

/// A webhook target from a configured or API-given URL and method (`GET`, else POST).
pub(crate) fn target(url: &str, method: &str) -> Target {
    Target {
        url: url.to_owned(),
        method: match parse_method(method) {
            Ok(HttpMethod::Get) => switchyard_webhook::HttpMethod::Get,
            _ => switchyard_webhook::HttpMethod::Post,
        },
    }
}

/// Unix milliseconds of `t`, as the store keeps times.
pub(crate) fn millis(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Unix milliseconds now.
pub(crate) fn now_ms() -> i64 {
    millis(std::time::SystemTime::now())
}

impl Shared {
    /// Build the shared state; the receiver is the SIP task's command queue.
    pub fn new(
        config: Config,
        events: crate::events::EventHub,
    ) -> anyhow::Result<(Arc<Self>, mpsc::UnboundedReceiver<SipCommand>)> {
        let store = Arc::new(Store::open(&config.node.data_dir)?);
        let interrupted = store.fail_interrupted_calls(now_ms())?;
        if interrupted > 0 {
            tracing::warn!(
                interrupted,
                "calls left unfinished by the last run marked failed"
            );
        }
        seed(&store, &config)?;
        let queues = crate::queues::open(&store)?;
        let recordings = Arc::new(switchyard_media::record::LocalRecordings::new(
            config.node.data_dir.join("recordings"),
        ));
        let recovered = crate::session::recover_interrupted(&store, recordings.as_ref())?;
        if recovered > 0 {
            tracing::warn!(
                recovered,
                "recordings left unfinished by the last run repaired"
            );
        }
        let webhook = WebhookClient::new(WebhookConfig {
            connect_timeout: Duration::from_millis(config.webhook.connect_timeout_ms),
            response_timeout: Duration::from_millis(config.webhook.response_timeout_ms),
            max_body: 64 * 1024,
            user_agent: format!("Switchyard/{}", env!("CARGO_PKG_VERSION")),
        })?;
        let media = MediaCache::open(config.node.data_dir.join("media"), webhook.http())?;
        let wasm = Arc::new(crate::wasm_apps::WasmApps::new(
            &config.node.data_dir,
            store.clone(),
        )?);
        let (sip, sip_rx) = mpsc::unbounded_channel();
        let ports = PortPool::new(
            config.media.rtp_ip,
            config.media.rtp_port_min,
            config.media.rtp_port_max,
        );
        let (shutdown, _) = watch::channel(false);
        let metrics = crate::metrics::Metrics::new(events.router.clone());
        let overload = switchyard_sip::Admission::new(config.overload.to_core());
        let presence = Arc::new(crate::presence::Presence::load(&store, &config.sip)?);
        // Under `inbound = "trunks"`, a phone registered from an address may call from it.
        let trust =
            crate::trust::InboundTrust::from_config(&config)?.with_registered(presence.clone());
        if trust.policy() == switchyard_sip::trust::InboundPolicy::Any {
            tracing::warn!(
                "[sip] inbound = \"any\": calls to the node's numbers are accepted from any \
                 address; set inbound = \"trunks\" on a node others can reach"
            );
        }
        let shared = Arc::new(Self {
            config,
            store,
            webhook,
            media,
            events,
            sinks: Default::default(),
            sip,
            ports,
            live: crate::live::LiveCalls::default(),
            wasm,
            media_engine: crate::media_io::MediaEngine::start()?,
            metrics,
            overload: Arc::new(Mutex::new(overload)),
            recordings,
            trust,
            presence,
            queues,
            account_calls: Default::default(),
            conferences: Default::default(),
            shutdown,
        });
        Ok((shared, sip_rx))
    }

    /// New INVITEs refused with 503 because the node was past its capacity.
    pub fn overload_rejections(&self) -> u64 {
        crate::overload::lock(&self.overload).rejections()
    }

    /// The account as the call path needs it.
    pub fn account(&self, sid: AccountSid) -> Option<AccountEntry> {
        match self.store.account(sid) {
            Ok(a) => a.as_ref().map(AccountEntry::from_account),
            Err(e) => {
                tracing::error!(error = %e, "account lookup failed");
                None
            }
        }
    }

    /// What answers the number a Request-URI's user part names (`+1555…` or `1555…`).
    pub fn number(&self, user: &str) -> Option<NumberBinding> {
        let candidates = match user.strip_prefix('+') {
            Some(bare) => [user.to_owned(), bare.to_owned()],
            None => [user.to_owned(), format!("+{user}")],
        };
        let number = candidates
            .iter()
            .find_map(|n| match self.store.number_by_e164(n) {
                Ok(found) => found,
                Err(e) => {
                    tracing::error!(error = %e, "number lookup failed");
                    None
                }
            })?;
        self.binding(&number)
    }

    /// The number's URLs, or its application's when it names one.
    fn binding(&self, n: &PhoneNumber) -> Option<NumberBinding> {
        let app = n
            .voice_application_sid
            .and_then(|sid| self.store.application(n.account_sid, sid).ok().flatten());
        NumberBinding::of(n, app.as_ref())
    }

    /// A notification stored and logged but not published as an event: for failures of
    /// the event path itself, whose event would reach the failing subscriber again.
    pub fn record_notification(
        &self,
        account: AccountSid,
        call: Option<switchyard_types::CallSid>,
        code: u32,
        warning: bool,
        message: String,
        url: Option<String>,
    ) {
        if warning {
            tracing::warn!(%account, ?call, code, "{message}");
        } else {
            tracing::error!(%account, ?call, code, "{message}");
        }
        self.store
            .put_notification(switchyard_store::NotificationRecord {
                sid: switchyard_types::NotificationSid::random(),
                account_sid: account,
                call_sid: call,
                error_code: code,
                log: u8::from(warning),
                message_text: message,
                // The URL's credentials were for its request alone.
                request_url: url.as_deref().map(switchyard_webhook::redact_url),
                date_created: now_ms(),
            });
    }

    /// Publish a call's event to the event router (nobody listening is fine).
    pub fn publish(&self, event: CallEvent) {
        tracing::debug!(kind = event.kind.as_str(), call = ?event.call_sid, "event");
        self.events.publish(&self.store, event);
    }

    /// A notification outside a call step: stored, published and logged.
    pub fn notify(
        &self,
        account: AccountSid,
        call: Option<switchyard_types::CallSid>,
        code: u32,
        warning: bool,
        message: String,
        url: Option<String>,
    ) {
        self.record_notification(account, call, code, warning, message.clone(), url);
        self.publish(CallEvent {
            account_sid: account,
            call_sid: call,
            kind: switchyard_call::EventKind::Notification,
            timestamp: std::time::SystemTime::now(),
            data: vec![
                ("ErrorCode".into(), code.to_string()),
                ("Message".into(), message),
                (
                    "Level".into(),
                    if warning { "warning" } else { "error" }.into(),
                ),
            ],
        });
    }

    pub fn call_started(&self) {
        self.metrics.call_started();
    }

    pub fn call_ended(&self) {
        self.metrics.calls_active.dec();
    }

    pub fn calls_in_progress(&self) -> usize {
        self.metrics.calls_active.get().max(0) as usize
    }

    /// A call's media task ended: its ports go back to the pool and what it received
    /// to the metrics.
    pub fn media_ended(&self, port: u16, quality: crate::metrics::StreamQuality) {
        self.ports.release(port);
        self.metrics.stream_ended(quality);
    }

    /// New calls are refused and calls in progress hang up.
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    pub fn shutting_down(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
}

/// The configuration's accounts and numbers seed the store: each is created when absent
/// and otherwise left as the REST API last set it (the store is the one source of truth).
fn seed(store: &Store, config: &Config) -> anyhow::Result<()> {
    let now = now_ms();
    for a in &config.accounts {
        if store.account(a.sid)?.is_none() {
            store.create_account(&Account {
                sid: a.sid,
                owner_account_sid: None,
                friendly_name: a.friendly_name.clone().unwrap_or_else(|| a.sid.to_string()),
                status: AccountStatus::Active,
                auth_token: a.auth_token.clone(),
                secondary_auth_token: None,
                signing_key: a.signing_key.clone(),
                calls_per_second: a.calls_per_second,
                max_concurrent_calls: a.max_concurrent_calls,
                date_created: now,
                date_updated: now,
            })?;
        }
    }
    for n in &config.numbers {
        if store.number_by_e164(&n.number)?.is_none() {
            store.put_number(&PhoneNumber {
                sid: switchyard_types::PhoneNumberSid::random(),
                account_sid: n.account_sid,
                phone_number: n.number.clone(),
                friendly_name: n.number.clone(),
                voice_url: Some(n.voice_url.clone()),
                voice_method: n.voice_method.to_ascii_uppercase(),
                voice_fallback_url: n.voice_fallback_url.clone(),
                voice_fallback_method: n.voice_fallback_method.to_ascii_uppercase(),
                status_callback: n.status_callback.clone(),
                status_callback_method: n.status_callback_method.to_ascii_uppercase(),
                status_callback_event: n.status_callback_event.clone(),
                voice_application_sid: None,
                voice_wasm_app: None,
                voice_transcoder: None,
                date_created: now,
                date_updated: now,
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use switchyard_types::{ApplicationSid, PhoneNumberSid};

    use super::*;

    fn number(voice_url: Option<&str>, transcoder: Option<&str>) -> PhoneNumber {
        PhoneNumber {
            sid: PhoneNumberSid::random(),
            account_sid: AccountSid::random(),
            phone_number: "+15550001111".into(),
            friendly_name: "main".into(),
            voice_url: voice_url.map(str::to_owned),
            voice_method: "GET".into(),
            voice_fallback_url: None,
            voice_fallback_method: "POST".into(),
            status_callback: None,
            status_callback_method: "POST".into(),
            status_callback_event: Vec::new(),
            voice_application_sid: None,
            voice_wasm_app: None,
            voice_transcoder: transcoder.map(str::to_owned),
            date_created: 0,
            date_updated: 0,
        }
    }

    #[test]
    fn the_numbers_transcoder_reaches_the_binding_with_its_own_urls_or_its_applications() {
        let own = NumberBinding::of(&number(Some("http://a.test/v"), Some("agc")), None).unwrap();
        assert_eq!(own.voice.url, "http://a.test/v");
        assert_eq!(own.voice_transcoder.as_deref(), Some("agc"));

        let n = number(None, Some("dtmf-mute"));
        let app = Application {
            sid: ApplicationSid::random(),
            account_sid: n.account_sid,
            friendly_name: "shared".into(),
            voice_url: Some("http://app.test/v".into()),
            voice_method: "POST".into(),
            voice_fallback_url: None,
            voice_fallback_method: "POST".into(),
            status_callback: None,
            status_callback_method: "POST".into(),
            date_created: 0,
            date_updated: 0,
        };
        let via_app = NumberBinding::of(&n, Some(&app)).unwrap();
        assert_eq!(via_app.voice.url, "http://app.test/v");
        assert_eq!(via_app.voice_transcoder.as_deref(), Some("dtmf-mute"));

        let none = NumberBinding::of(&number(Some("http://a.test/v"), None), None).unwrap();
        assert_eq!(none.voice_transcoder, None);
        // Nothing answers a number without a URL: no binding, transcoder or not.
        assert!(NumberBinding::of(&number(None, Some("agc")), None).is_none());
    }
}
