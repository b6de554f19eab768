//! The node's side of inbound trust: it gathers the facts about a new INVITE (is the
//! source a trunk's, a registered phone's; which SIP domain the Request-URI names and
//! what that domain maps; does its digest verify) and applies
//! [`switchyard_sip::trust::admit`]. The digest guard and the INVITE digest verifier
//! live here, behind one lock taken for microseconds per new INVITE.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use switchyard_sip::digest::server::{Credentials, StoredHa1, Verifier, VerifierConfig};
use switchyard_sip::trust::{
    admit, DigestGuard, DigestOutcome, DomainFacts, GuardConfig, GuardEvent, InboundPolicy,
    InviteFacts, IpRange, TrustVerdict,
};
use switchyard_sip::{Request, Response};
use switchyard_store::{
    MappingKind, Page, Repository, SipCredentialHash, SipDomain, SipResources, SIP_REALM,
};

use crate::config::{Config, InboundMode};
use crate::shared::Shared;

/// Twilio's "Authentication failure - bad user credentials": the code of the
/// notification raised when a source is blocked after repeated digest failures.
pub const DIGEST_BLOCK_CODE: u32 = 32202;

/// Whether a source address is one a phone registered from (the registrar's bindings
/// answer it).
pub trait RegisteredSources: Send + Sync + std::fmt::Debug {
    fn registered_from(&self, ip: IpAddr) -> bool;
}

/// What to do with a new INVITE.
#[derive(Debug)]
pub enum Decision {
    /// Run it; `domain` is the SIP domain it was placed through, if any.
    Admit { domain: Option<SipDomain> },
    /// Answer with this (403, or 407 with a challenge) and run nothing.
    Reply(Response),
}

#[derive(Debug)]
struct Guarded {
    verifier: Verifier,
    guard: DigestGuard,
}

/// Inbound trust as configured.
#[derive(Debug)]
pub struct InboundTrust {
    policy: InboundPolicy,
    trunks: Vec<IpRange>,
    registered: Option<Arc<dyn RegisteredSources>>,
    state: Mutex<Guarded>,
}

impl InboundTrust {
    /// From `[sip] inbound`, the guard settings and the trunks' inbound addresses.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let policy = match config.sip.inbound {
            InboundMode::Any => InboundPolicy::Any,
            InboundMode::Trunks => InboundPolicy::Trunks,
        };
        let mut trunks = Vec::new();
        for t in config.trunk.iter().chain(&config.trunks) {
            trunks.extend(t.inbound_ranges()?);
        }
        let guard = GuardConfig {
            max_failures: config.sip.digest_block_failures,
            block_for: Duration::from_secs(config.sip.digest_block_seconds),
            ..GuardConfig::default()
        };
        Ok(Self {
            policy,
            trunks,
            registered: None,
            state: Mutex::new(Guarded {
                verifier: Verifier::new(rand::random(), rand::random(), VerifierConfig::default()),
                guard: DigestGuard::new(guard),
            }),
        })
    }

    /// Let registered phones' source addresses in under `inbound = "trunks"`.
    pub fn with_registered(mut self, registered: Arc<dyn RegisteredSources>) -> Self {
        self.registered = Some(registered);
        self
    }

    pub fn policy(&self) -> InboundPolicy {
        self.policy
    }

    /// Decide on a new INVITE from `source`. The store is read before the guard's lock
    /// is taken, so INVITEs never wait on each other's reads.
    pub fn check(&self, shared: &Shared, invite: &Request, source: SocketAddr) -> Decision {
        let ip = source.ip();
        let now = Instant::now();
        let unix = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let domain = request_host(invite).and_then(|host| {
            shared.store.sip_domain_by_name(&host).unwrap_or_else(|e| {
                tracing::error!(error = %e, "SIP domain lookup failed");
                None
            })
        });
        let lookup = domain
            .as_ref()
            .map(|d| DomainLookup::of(shared, d, invite, ip));
        let mut blocked_now = None;
        let (verdict, challenge) = {
            let mut state = self.guard();
            let blocked = state.guard.is_blocked(ip, now);
            let domain_facts = lookup.map(|l| {
                let digest = if blocked {
                    DigestOutcome::Absent
                } else {
                    l.verify(&mut state.verifier, invite, unix)
                };
                if matches!(digest, DigestOutcome::Failed { stale: false }) {
                    blocked_now = state.guard.failed(ip, now);
                }
                DomainFacts {
                    source_in_acl: l.source_in_acl,
                    has_credentials: l.has_credentials,
                    digest,
                }
            });
            let facts = InviteFacts {
                from_trunk: self.trunks.iter().any(|r| r.contains(ip)),
                from_registered_phone: self
                    .registered
                    .as_ref()
                    .is_some_and(|r| r.registered_from(ip)),
                domain: domain_facts,
                blocked,
            };
            let verdict = admit(self.policy, &facts);
            let challenge = match verdict {
                TrustVerdict::Challenge { stale } => {
                    state.verifier.challenge(SIP_REALM, unix, stale)
                }
                _ => Vec::new(),
            };
            (verdict, challenge)
        };
        if let (Some(GuardEvent::Blocked { source, until }), Some(d)) = (blocked_now, &domain) {
            self.notify_block(shared, d, source, until.duration_since(now));
        }
        match verdict {
            TrustVerdict::Admit(why) => {
                tracing::debug!(?why, %source, "INVITE admitted");
                Decision::Admit { domain }
            }
            TrustVerdict::Challenge { .. } => {
                let mut r = Response::to_request(invite, 407, "Proxy Authentication Required");
                for value in challenge {
                    r.headers.push("Proxy-Authenticate", value);
                }
                Decision::Reply(r)
            }
            TrustVerdict::Refuse(why) => {
                tracing::info!(?why, %source, uri = %invite.uri, "INVITE refused: 403");
                Decision::Reply(Response::to_request(invite, 403, "Forbidden"))
            }
        }
    }

    /// Whether `ip` is blocked after repeated failed digests: its REGISTERs get 403 too.
    pub fn is_blocked(&self, ip: IpAddr) -> bool {
        self.guard().guard.is_blocked(ip, Instant::now())
    }

    /// A REGISTER from `ip` failed its credentials: it counts toward the same block as a
    /// failed INVITE digest, so passwords cannot be guessed through the registrar either.
    /// The account of the Request-URI's domain is notified of a block.
    pub fn register_failed(&self, shared: &Shared, register: &Request, ip: IpAddr) {
        let now = Instant::now();
        let event = self.guard().guard.failed(ip, now);
        let Some(GuardEvent::Blocked { source, until }) = event else {
            return;
        };
        let domain = request_host(register)
            .and_then(|host| shared.store.sip_domain_by_name(&host).ok().flatten());
        if let Some(d) = domain {
            self.notify_block(shared, &d, source, until.duration_since(now));
        }
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, Guarded> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The notification of a source blocked after failing digests to `d`.
    fn notify_block(&self, shared: &Shared, d: &SipDomain, source: IpAddr, block: Duration) {
        let config = *self.guard().guard.config();
        shared.notify(
            d.account_sid,
            None,
            DIGEST_BLOCK_CODE,
            true,
            format!(
                "SIP source {source} is blocked for {} s after {} failed digest attempts \
                 within {} s (calls to {})",
                block.as_secs(),
                config.max_failures,
                config.window.as_secs(),
                d.domain_name
            ),
            None,
        );
    }
}

/// What the store says about an INVITE to a SIP domain, read before any lock.
struct DomainLookup {
    /// The source is in an IP access control list mapped to the domain for calls.
    source_in_acl: bool,
    /// The domain maps a credential list for calls.
    has_credentials: bool,
    /// The `Proxy-Authorization` for our realm, when one parses.
    credentials: Option<Credentials>,
    /// A `Proxy-Authorization` was sent at all.
    sent_credentials: bool,
    /// The hashes of the named user, when the domain's lists have one.
    stored: Option<SipCredentialHash>,
}

impl DomainLookup {
    fn of(shared: &Shared, d: &SipDomain, invite: &Request, ip: IpAddr) -> Self {
        let store = &shared.store;
        let source_in_acl = store
            .sip_call_ip_addresses(&d.domain_name)
            .unwrap_or_default()
            .iter()
            .filter_map(|a| {
                Some(IpRange::new(
                    a.ip_address.parse().ok()?,
                    a.cidr_prefix_length,
                ))
            })
            .any(|r| r.contains(ip));
        let one = Page {
            size: 1,
            after: None,
        };
        let has_credentials = store
            .domain_mappings(d.account_sid, d.sid, MappingKind::CallCredentials, &one)
            .is_ok_and(|m| !m.is_empty());
        let credentials = invite
            .headers
            .get_all("Proxy-Authorization")
            .filter_map(|v| Credentials::parse(v).ok())
            .find(|c| c.realm == SIP_REALM);
        let stored = credentials.as_ref().and_then(|c| {
            store
                .sip_call_credential(&d.domain_name, &c.username)
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "SIP credential lookup failed");
                    None
                })
        });
        Self {
            source_in_acl,
            has_credentials,
            credentials,
            sent_credentials: invite.headers.get("Proxy-Authorization").is_some(),
            stored,
        }
    }

    /// The digest check, when the domain's credentials decide: an unknown user is
    /// verified against nothing and fails exactly like a wrong password.
    fn verify(&self, verifier: &mut Verifier, invite: &Request, unix: Duration) -> DigestOutcome {
        if self.source_in_acl || !self.has_credentials {
            return DigestOutcome::Absent;
        }
        let Some(creds) = &self.credentials else {
            // No credentials: challenge. Credentials that do not parse or name another
            // realm are a failed attempt like a wrong password (and counted as one).
            return if self.sent_credentials {
                DigestOutcome::Failed { stale: false }
            } else {
                DigestOutcome::Absent
            };
        };
        let ha1 = self.stored.as_ref().map(|s| StoredHa1 {
            md5: &s.ha1_md5,
            sha256: &s.ha1_sha256,
        });
        match verifier.verify(creds, SIP_REALM, "INVITE", &invite.uri, ha1, unix) {
            Ok(()) => DigestOutcome::Verified,
            Err(e) => DigestOutcome::Failed {
                stale: e.is_stale(),
            },
        }
    }
}

/// The Request-URI's host in lower case (a domain name is matched case-insensitively).
/// The Request-URI's host, lower case: the SIP domain a request is for.
fn request_host(invite: &Request) -> Option<String> {
    let uri = switchyard_sip::parse_uri(&invite.uri).ok()?;
    Some(uri.host.to_ascii_lowercase())
}
