//! Inbound trust: who may send the node a new INVITE.
//!
//! The decision is made from facts the node gathers (the source address, whether it is a
//! trunk's or a registered phone's, the SIP domain the Request-URI names and what that
//! domain maps, the outcome of a digest check) so it can be tested without a socket or a
//! store. Twilio's rule for domains is kept: "Your SIP Domain must map at least one of
//! these two authentication methods or requests to it will be blocked" — an IP access
//! control list the source is in, or a credential list the caller authenticates against.
//! Calls that name no domain are for the node's numbers: with `inbound = "trunks"` only a
//! trunk's addresses and registered phones may place them; with `inbound = "any"` (the
//! demo) anyone may.

mod guard;

use std::net::IpAddr;

pub use guard::{DigestGuard, GuardConfig, GuardEvent};

/// Who may call the node's numbers (`[sip] inbound`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InboundPolicy {
    /// Any source address (the demo's loopback default).
    #[default]
    Any,
    /// Only trunks' addresses and registered phones.
    Trunks,
}

/// An address range `address/prefix` (CIDR, RFC 4632 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    address: IpAddr,
    prefix: u8,
}

/// Why an address range does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpRangeError {
    /// The address part is not an IP address.
    #[error("{0:?} is not an IPv4 or IPv6 address")]
    Address(String),
    /// The prefix length is not a number up to the address's bit length (the second).
    #[error("prefix length {0:?} is not from 0 to {1}")]
    Prefix(String, u8),
}

impl IpRange {
    /// The range of `address` with its first `prefix` bits fixed (clamped to the
    /// address's length).
    pub fn new(address: IpAddr, prefix: u8) -> Self {
        let max = if address.is_ipv4() { 32 } else { 128 };
        IpRange {
            address,
            prefix: prefix.min(max),
        }
    }

    /// `a.b.c.d`, `a.b.c.d/n`, `x::y` or `x::y/n`; without a prefix, the one address.
    pub fn parse(text: &str) -> Result<Self, IpRangeError> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let address: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| IpRangeError::Address(addr.to_owned()))?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| IpRangeError::Prefix(p.to_owned(), max))?,
        };
        Ok(IpRange { address, prefix })
    }

    /// Whether `ip` is in the range. An IPv4-mapped IPv6 source (`::ffff:a.b.c.d`, what
    /// a dual-stack socket reports) is compared as the IPv4 address it carries.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => same_prefix(
                u128::from(net.to_bits()),
                u128::from(ip.to_bits()),
                32,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                same_prefix(net.to_bits(), ip.to_bits(), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// Whether the first `prefix` of the `width` low bits of `a` and `b` agree.
fn same_prefix(a: u128, b: u128, width: u32, prefix: u8) -> bool {
    let prefix = u32::from(prefix).min(width);
    if prefix == 0 {
        return true;
    }
    let shift = width - prefix;
    (a >> shift) == (b >> shift)
}

/// What the caller proved with a digest on this INVITE (`Proxy-Authorization`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestOutcome {
    /// No credentials for the domain's realm were sent.
    Absent,
    /// They verified against a credential of a list mapped to the domain for calls.
    Verified,
    /// They did not verify (wrong password, unknown user, bad nonce, replay); `stale`
    /// when only the nonce had expired, so the caller should simply retry.
    Failed {
        /// Only the nonce had expired.
        stale: bool,
    },
}

/// What the node knows about the SIP domain a Request-URI names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainFacts {
    /// The source is in an IP access control list mapped to the domain for calls.
    pub source_in_acl: bool,
    /// The domain has at least one credential list mapped for calls.
    pub has_credentials: bool,
    /// The digest check of this request.
    pub digest: DigestOutcome,
}

/// Everything the decision needs about one new INVITE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteFacts {
    /// The source is in one of the trunks' address ranges.
    pub from_trunk: bool,
    /// The source address is one a phone registered from.
    pub from_registered_phone: bool,
    /// `Some` when the Request-URI's host is one of the node's SIP domains.
    pub domain: Option<DomainFacts>,
    /// The source is blocked by the digest guard.
    pub blocked: bool,
}

/// Why a call is let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    /// `inbound = "any"`.
    AnySource,
    /// From a trunk's addresses.
    Trunk,
    /// From an address a phone registered from.
    RegisteredPhone,
    /// To a domain, from an address in one of its IP access control lists.
    DomainAcl,
    /// To a domain, with a verified digest.
    DomainDigest,
}

/// Why a call is refused with 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The source failed too many digests lately.
    Blocked,
    /// `inbound = "trunks"` and the source is neither a trunk nor a registered phone.
    UntrustedSource,
    /// The domain maps nothing that could admit this caller.
    DomainClosed,
    /// The digest did not verify.
    DigestFailed,
}

/// The decision on a new INVITE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustVerdict {
    /// Let the call run.
    Admit(Admitted),
    /// RFC 3261 §22.3: answer 407 with a `Proxy-Authenticate` challenge (`stale=true`
    /// when the nonce had only expired).
    Challenge {
        /// Say `stale=true`.
        stale: bool,
    },
    /// Answer 403 and run no app.
    Refuse(Refusal),
}

/// Decide whether a new INVITE may run (see the module documentation).
///
/// A failed digest is refused without saying why, and an unknown user fails exactly like
/// a wrong password (the verifier makes them indistinguishable), so a scanner learns
/// nothing about which usernames exist.
pub fn admit(policy: InboundPolicy, facts: &InviteFacts) -> TrustVerdict {
    if facts.blocked {
        return TrustVerdict::Refuse(Refusal::Blocked);
    }
    if let Some(domain) = facts.domain {
        if domain.source_in_acl {
            return TrustVerdict::Admit(Admitted::DomainAcl);
        }
        if !domain.has_credentials {
            return TrustVerdict::Refuse(Refusal::DomainClosed);
        }
        return match domain.digest {
            DigestOutcome::Verified => TrustVerdict::Admit(Admitted::DomainDigest),
            DigestOutcome::Absent => TrustVerdict::Challenge { stale: false },
            DigestOutcome::Failed { stale: true } => TrustVerdict::Challenge { stale: true },
            DigestOutcome::Failed { stale: false } => TrustVerdict::Refuse(Refusal::DigestFailed),
        };
    }
    match policy {
        InboundPolicy::Any => TrustVerdict::Admit(Admitted::AnySource),
        InboundPolicy::Trunks if facts.from_trunk => TrustVerdict::Admit(Admitted::Trunk),
        InboundPolicy::Trunks if facts.from_registered_phone => {
            TrustVerdict::Admit(Admitted::RegisteredPhone)
        }
        InboundPolicy::Trunks => TrustVerdict::Refuse(Refusal::UntrustedSource),
    }
}

#[cfg(test)]
mod tests;
