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
use switchyard_store::{MappingKind, Page, Repository, SipDomain, SipResources, SIP_REALM};

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

    /// Decide on a new INVITE from `source`.
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
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let blocked = state.guard.is_blocked(ip, now);
        let domain_facts = match &domain {
            Some(d) if !blocked => {
                Some(self.domain_facts(shared, &mut state, d, invite, ip, now, unix))
            }
            Some(_) => Some(DomainFacts {
                source_in_acl: false,
                has_credentials: false,
                digest: DigestOutcome::Absent,
            }),
            None => None,
        };
        let facts = InviteFacts {
            from_trunk: self.trunks.iter().any(|r| r.contains(ip)),
            from_registered_phone: self
                .registered
                .as_ref()
                .is_some_and(|r| r.registered_from(ip)),
            domain: domain_facts,
            blocked,
        };
        match admit(self.policy, &facts) {
            TrustVerdict::Admit(why) => {
                tracing::debug!(?why, %source, "INVITE admitted");
                Decision::Admit { domain }
            }
            TrustVerdict::Challenge { stale } => {
                let mut r = Response::to_request(invite, 407, "Proxy Authentication Required");
                for value in state.verifier.challenge(SIP_REALM, unix, stale) {
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

    #[allow(clippy::too_many_arguments)]
    fn domain_facts(
        &self,
        shared: &Shared,
        state: &mut Guarded,
        d: &SipDomain,
        invite: &Request,
        ip: IpAddr,
        now: Instant,
        unix: Duration,
    ) -> DomainFacts {
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
        let digest = if source_in_acl || !has_credentials {
            DigestOutcome::Absent
        } else {
            verify(shared, state, d, invite, unix)
        };
        if matches!(digest, DigestOutcome::Failed { stale: false }) {
            if let Some(GuardEvent::Blocked { source, until }) = state.guard.failed(ip, now) {
                let config = state.guard.config();
                shared.notify(
                    d.account_sid,
                    None,
                    DIGEST_BLOCK_CODE,
                    true,
                    format!(
                        "SIP source {source} is blocked for {} s after {} failed digest \
                         attempts within {} s (calls to {})",
                        until.duration_since(now).as_secs(),
                        config.max_failures,
                        config.window.as_secs(),
                        d.domain_name
                    ),
                    None,
                );
            }
        }
        DomainFacts {
            source_in_acl,
            has_credentials,
            digest,
        }
    }
}

/// The digest check of an INVITE to `d`: its `Proxy-Authorization` for our realm, if any,
/// against the credential lists mapped to the domain for calls.
fn verify(
    shared: &Shared,
    state: &mut Guarded,
    d: &SipDomain,
    invite: &Request,
    unix: Duration,
) -> DigestOutcome {
    let Some(creds) = invite
        .headers
        .get_all("Proxy-Authorization")
        .filter_map(|v| Credentials::parse(v).ok())
        .find(|c| c.realm == SIP_REALM)
    else {
        // No credentials: challenge. Credentials that do not parse or name another
        // realm are a failed attempt like a wrong password (and counted as one).
        return if invite.headers.get("Proxy-Authorization").is_some() {
            DigestOutcome::Failed { stale: false }
        } else {
            DigestOutcome::Absent
        };
    };
    let stored = shared
        .store
        .sip_call_credential(&d.domain_name, &creds.username)
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "SIP credential lookup failed");
            None
        });
    let ha1 = stored.as_ref().map(|s| StoredHa1 {
        md5: &s.ha1_md5,
        sha256: &s.ha1_sha256,
    });
    match state
        .verifier
        .verify(&creds, SIP_REALM, "INVITE", &invite.uri, ha1, unix)
    {
        Ok(()) => DigestOutcome::Verified,
        Err(e) => DigestOutcome::Failed {
            stale: e.is_stale(),
        },
    }
}

/// The Request-URI's host in lower case (a domain name is matched case-insensitively).
fn request_host(invite: &Request) -> Option<String> {
    let uri = switchyard_sip::parse_uri(&invite.uri).ok()?;
    Some(uri.host.to_ascii_lowercase())
}
