//! Presence: the registrar's bindings (who is reachable, at which contacts), kept in
//! memory for the call path, written to the store so they survive a restart, and
//! published as `presence.*` events. The SIP logic is the sans-IO
//! [`switchyard_sip::registrar::Registrar`] and digest
//! [`switchyard_sip::digest::server::Verifier`]; this module holds them, the clock and
//! the store.

mod http;
mod register;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use switchyard_call::{ClientContact, ClientDirectory};
use switchyard_events::Draft;
use switchyard_sip::digest::server::{Verifier, VerifierConfig};
use switchyard_sip::registrar::{Aor, Binding, Change, Registrar, RegistrarConfig};
use switchyard_sip::Transport;
use switchyard_store::{BindingRecord, BindingSet, Store};
use switchyard_types::AccountSid;

use crate::shared::Shared;

pub(crate) use http::{presence_list, presence_one};
pub(crate) use register::register;

/// The registrar state shared by the SIP task, call sessions and the API.
#[derive(Debug)]
pub struct Presence {
    registrar: Mutex<Registrar>,
    verifier: Mutex<Verifier>,
    /// Wakes the expiry task when a sooner deadline may exist.
    changed: tokio::sync::Notify,
}

/// Wall-clock time since the Unix epoch: bindings and nonces outlive the process.
pub(crate) fn wall_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

impl Presence {
    /// Loads the live bindings from the store. The digest nonce secret is new for each
    /// run: a phone holding a nonce from before a restart is challenged again.
    pub fn load(store: &Store, sip: &crate::config::SipSection) -> anyhow::Result<Self> {
        let mut registrar = Registrar::new(RegistrarConfig::default());
        let now = wall_now();
        let mut loaded = 0usize;
        for set in store.live_bindings(now.as_secs() as i64)? {
            let aor = Aor {
                account: set.account_sid.to_string(),
                identity: set.identity,
            };
            for record in set.bindings {
                if let Some(b) = from_record(record) {
                    registrar.restore(aor.clone(), b);
                    loaded += 1;
                }
            }
        }
        if loaded > 0 {
            tracing::info!(bindings = loaded, "registrar bindings restored");
        }
        let algorithms: Vec<_> = sip.digest_algorithms.iter().map(|a| a.to_core()).collect();
        Ok(Presence {
            registrar: Mutex::new(registrar),
            verifier: Mutex::new(
                Verifier::new(rand::random(), rand::random(), VerifierConfig::default())
                    .with_algorithms(&algorithms),
            ),
            changed: tokio::sync::Notify::new(),
        })
    }

    fn registrar(&self) -> MutexGuard<'_, Registrar> {
        self.registrar.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn verifier(&self) -> MutexGuard<'_, Verifier> {
        self.verifier.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The live contacts of `identity` in `account`.
    pub fn contacts(&self, account: AccountSid, identity: &str) -> Vec<Binding> {
        let aor = Aor {
            account: account.to_string(),
            identity: identity.to_string(),
        };
        self.registrar().contacts(&aor, wall_now())
    }

    /// How many bindings are held (all accounts).
    pub fn binding_count(&self) -> usize {
        self.registrar().len()
    }
}

impl crate::trust::RegisteredSources for Presence {
    fn registered_from(&self, ip: std::net::IpAddr) -> bool {
        self.registrar().registered_from(ip)
    }
}

/// The live contacts of one account's identities, for `<Dial><Client>`.
#[derive(Debug)]
struct AccountClients {
    shared: Arc<Shared>,
    account: AccountSid,
}

impl ClientDirectory for AccountClients {
    fn contacts(&self, identity: &str) -> Vec<ClientContact> {
        self.shared
            .presence
            .contacts(self.account, identity)
            .into_iter()
            .map(|b| ClientContact {
                uri: b.contact,
                destination: b.source,
                transport: b.transport,
                path: b.path,
            })
            .collect()
    }
}

/// The directory a call of `account` dials its clients in.
pub(crate) fn directory(shared: &Arc<Shared>, account: AccountSid) -> Arc<dyn ClientDirectory> {
    Arc::new(AccountClients {
        shared: shared.clone(),
        account,
    })
}

/// Removes lapsed bindings at their deadline, for as long as the node runs.
pub fn spawn_expiry(shared: Arc<Shared>) {
    tokio::spawn(async move {
        loop {
            let next = shared.presence.registrar().poll_timeout();
            let wait = match next {
                Some(at) => Duration::from_secs(at.saturating_sub(wall_now().as_secs())),
                None => Duration::from_secs(3600),
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shared.presence.changed.notified() => continue,
            }
            let changes = shared.presence.registrar().handle_timeout(wall_now());
            for change in changes {
                record(&shared, &change);
            }
        }
    });
}

/// Persists a change and publishes its `presence.*` event.
fn record(shared: &Shared, change: &Change) {
    let Some(kind) = change.kind else {
        return;
    };
    let Ok(account_sid) = change.aor.account.parse::<AccountSid>() else {
        return;
    };
    shared.store.put_bindings(BindingSet {
        account_sid,
        identity: change.aor.identity.clone(),
        bindings: change.bindings.iter().map(to_record).collect(),
    });
    let root_sid = shared.events.root_of(&shared.store, account_sid);
    let mut data = vec![
        ("Identity".to_string(), change.aor.identity.clone()),
        (
            "ContactCount".to_string(),
            change.bindings.len().to_string(),
        ),
    ];
    if let Some(ua) = &change.user_agent {
        data.push(("UserAgent".to_string(), ua.clone()));
    }
    shared.events.broker.publish(Draft {
        account_sid,
        root_sid,
        call_sid: None,
        event_type: kind.event_type().to_string(),
        timestamp_ms: wall_now().as_millis() as u64,
        data,
    });
    shared.presence.changed.notify_one();
}

fn to_record(b: &Binding) -> BindingRecord {
    BindingRecord {
        contact: b.contact.clone(),
        source: b.source.to_string(),
        transport: b.transport.as_str().to_string(),
        expires_at: b.expires_at as i64,
        call_id: b.call_id.clone(),
        cseq: b.cseq,
        path: b.path.clone(),
        user_agent: b.user_agent.clone(),
    }
}

fn from_record(r: BindingRecord) -> Option<Binding> {
    let source: SocketAddr = r.source.parse().ok()?;
    let transport = match r.transport.as_str() {
        "UDP" => Transport::Udp,
        "TCP" => Transport::Tcp,
        "TLS" => Transport::Tls,
        _ => return None,
    };
    Some(Binding {
        contact: r.contact,
        source,
        transport,
        expires_at: u64::try_from(r.expires_at).ok()?,
        call_id: r.call_id,
        cseq: r.cseq,
        path: r.path,
        user_agent: r.user_agent,
    })
}
