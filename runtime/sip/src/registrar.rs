//! A registrar's location service (RFC 3261 §10.3) as a sans-IO state
//! machine: REGISTER requests add, refresh and remove contact bindings of an
//! address-of-record, and bindings lapse at their deadline.
//!
//! Authentication and choosing the address-of-record happen before (the
//! caller has verified who sent the request and names the [`Aor`]); this
//! module applies steps 5–8 of §10.3. Time is a wall-clock duration since
//! the Unix epoch supplied by the caller, because bindings are persisted and
//! reloaded after a restart; nothing here reads a clock.
//!
//! Each binding keeps the address and transport its REGISTER came from, so
//! a call reaches a phone behind NAT over the path its registration opened,
//! and the `Path` header values (RFC 3327) in order.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::net::IpAddr;
use std::net::SocketAddr;
use std::time::Duration;

use crate::{parse_uri, NameAddr, Request, Response, Transport};

/// What a registrar allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrarConfig {
    /// Shorter non-zero intervals are refused with 423 (`Min-Expires`).
    pub min_expires: u32,
    /// Longer intervals are shortened to this.
    pub max_expires: u32,
    /// The interval when the request names none.
    pub default_expires: u32,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        RegistrarConfig {
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
        }
    }
}

/// An address-of-record: an identity within an account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Aor {
    /// The owning account, as its sid string.
    pub account: String,
    /// The identity (a SIP user name or an access token's identity).
    pub identity: String,
}

/// One contact bound to an address-of-record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The Contact URI.
    pub contact: String,
    /// Where the REGISTER came from: requests for this contact go there.
    pub source: SocketAddr,
    /// The transport it came on.
    pub transport: Transport,
    /// When the binding lapses, in seconds since the Unix epoch.
    pub expires_at: u64,
    /// The Call-ID of the REGISTER that last set it.
    pub call_id: String,
    /// Its CSeq number.
    pub cseq: u32,
    /// The `Path` values (RFC 3327), in order.
    pub path: Vec<String>,
    /// The phone's `User-Agent`, if it sent one.
    pub user_agent: Option<String>,
}

impl Binding {
    /// Seconds left at `now`.
    pub fn expires_in(&self, now: Duration) -> u64 {
        self.expires_at.saturating_sub(now.as_secs())
    }
}

/// Why a REGISTER was refused; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// A Contact or Expires value does not parse.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// `Contact: *` together with other contacts.
    #[error("Contact: * with other contacts")]
    StarWithOthers,
    /// `Contact: *` without `Expires: 0`.
    #[error("Contact: * without Expires: 0")]
    StarWithoutZeroExpires,
    /// A non-zero interval shorter than the minimum.
    #[error("interval too brief, at least {0} s")]
    IntervalTooBrief(u32),
    /// The same Call-ID with a CSeq not above the binding's: an old or
    /// reordered request.
    #[error("REGISTER out of order")]
    OutOfOrder,
}

impl RegisterError {
    /// The status answering it.
    pub fn status(&self) -> u16 {
        match self {
            RegisterError::IntervalTooBrief(_) => 423,
            // RFC 3261 §10.3 step 7 only says the update "MUST be aborted and
            // the request fails"; 500 is what registrars answer.
            RegisterError::OutOfOrder => 500,
            _ => 400,
        }
    }

    /// The response to `request`, with `Min-Expires` on a 423.
    pub fn response(&self, request: &Request) -> Response {
        let status = self.status();
        let mut r = Response::to_request(request, status, crate::default_reason(status));
        // RFC 3261 §10.3 step 7: the 423 "MUST contain a Min-Expires header
        // field".
        if let RegisterError::IntervalTooBrief(min) = self {
            r.headers.push("Min-Expires", min.to_string());
        }
        crate::add_to_tag(&mut r);
        r
    }
}

/// What happened to an address-of-record's presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceChange {
    /// A new contact was bound.
    Registered,
    /// Existing contacts were renewed.
    Refreshed,
    /// Contacts were removed on request.
    Unregistered,
    /// Contacts lapsed.
    Expired,
}

impl PresenceChange {
    /// The event type name, `presence.<kind>`.
    pub fn event_type(self) -> &'static str {
        match self {
            PresenceChange::Registered => "presence.registered",
            PresenceChange::Refreshed => "presence.refreshed",
            PresenceChange::Unregistered => "presence.unregistered",
            PresenceChange::Expired => "presence.expired",
        }
    }
}

/// A change of one address-of-record, with its bindings after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Whose bindings changed.
    pub aor: Aor,
    /// How; `None` for a REGISTER that only asked for the bindings.
    pub kind: Option<PresenceChange>,
    /// The bindings now, to persist and to list in the 200.
    pub bindings: Vec<Binding>,
    /// The user agent of the request (or of the lapsed binding).
    pub user_agent: Option<String>,
}

/// The location service.
#[derive(Debug)]
pub struct Registrar {
    config: RegistrarConfig,
    aors: BTreeMap<Aor, Vec<Binding>>,
    /// Deadlines to look at; entries of refreshed bindings are stale and
    /// skipped when they come up.
    deadlines: BinaryHeap<Reverse<(u64, Aor)>>,
    count: usize,
    /// Bindings per source address, so that "did a phone register from here?" (inbound
    /// trust, on every INVITE from an unknown address) costs a lookup, not a scan.
    sources: HashMap<IpAddr, usize>,
}

impl Registrar {
    /// An empty registrar.
    pub fn new(config: RegistrarConfig) -> Self {
        Registrar {
            config,
            aors: BTreeMap::new(),
            deadlines: BinaryHeap::new(),
            count: 0,
            sources: HashMap::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RegistrarConfig {
        &self.config
    }

    /// Puts back a binding loaded from the store (at start-up).
    pub fn restore(&mut self, aor: Aor, binding: Binding) {
        self.deadlines
            .push(Reverse((binding.expires_at, aor.clone())));
        *self.sources.entry(binding.source.ip()).or_default() += 1;
        self.aors.entry(aor).or_default().push(binding);
        self.count += 1;
    }

    /// Whether a binding (live or not yet lapsed by [`Registrar::handle_timeout`]) was
    /// registered from `ip`.
    pub fn registered_from(&self, ip: IpAddr) -> bool {
        self.sources.contains_key(&ip)
    }

    /// How many bindings are held.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when no binding is held.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The live bindings of `aor` at `now`.
    pub fn contacts(&self, aor: &Aor, now: Duration) -> Vec<Binding> {
        self.aors
            .get(aor)
            .map(|b| live(b, now).cloned().collect())
            .unwrap_or_default()
    }

    /// Every identity of `account` with live bindings at `now`, by identity.
    pub fn identities(&self, account: &str, now: Duration) -> Vec<(String, Vec<Binding>)> {
        let start = Aor {
            account: account.to_string(),
            identity: String::new(),
        };
        self.aors
            .range(start..)
            .take_while(|(aor, _)| aor.account == account)
            .map(|(aor, b)| {
                (
                    aor.identity.clone(),
                    live(b, now).cloned().collect::<Vec<_>>(),
                )
            })
            .filter(|(_, b)| !b.is_empty())
            .collect()
    }

    /// Applies a REGISTER for `aor` that came from `source` over
    /// `transport` (RFC 3261 §10.3 steps 5–8). All or nothing: on an error
    /// no binding changed.
    pub fn register(
        &mut self,
        aor: Aor,
        request: &Request,
        source: SocketAddr,
        transport: Transport,
        now: Duration,
    ) -> Result<Change, RegisterError> {
        let call_id = request
            .call_id()
            .ok_or(RegisterError::Malformed("Call-ID"))?
            .to_string();
        let cseq = request
            .cseq()
            .map_err(|_| RegisterError::Malformed("CSeq"))?
            .seq;
        let user_agent = request.headers.get("User-Agent").map(str::to_string);
        let header_expires = match request.headers.get("Expires") {
            None => None,
            Some(v) => Some(parse_delta(v).ok_or(RegisterError::Malformed("Expires"))?),
        };
        let star = request
            .headers
            .get_lines("Contact")
            .flat_map(crate::syntax::split_commas)
            .any(|c| c == "*");
        let now_s = now.as_secs();
        let mut bindings: Vec<Binding> = self
            .aors
            .get(&aor)
            .map(|b| live(b, now).cloned().collect())
            .unwrap_or_default();
        let mut added = false;
        let mut removed = false;
        let mut refreshed = false;

        if star {
            // RFC 3261 §10.3 step 6: "If the request has additional Contact
            // fields or an expiration time other than zero, the request is
            // invalid, and the server MUST return a 400 (Invalid Request)".
            if request.headers.count("Contact") > 1
                || request
                    .headers
                    .get_lines("Contact")
                    .flat_map(crate::syntax::split_commas)
                    .count()
                    > 1
            {
                return Err(RegisterError::StarWithOthers);
            }
            if header_expires != Some(0) {
                return Err(RegisterError::StarWithoutZeroExpires);
            }
            // "the registrar checks whether the Call-ID agrees with the value
            // stored for each binding. If not, it MUST remove the binding. If
            // it does agree, it MUST remove the binding only if the CSeq in
            // the request is higher than the value stored for that binding.
            // Otherwise, the update MUST be aborted and the request fails."
            if bindings
                .iter()
                .any(|b| b.call_id == call_id && cseq <= b.cseq)
            {
                return Err(RegisterError::OutOfOrder);
            }
            removed = !bindings.is_empty();
            bindings.clear();
        } else {
            let contacts = request
                .headers
                .contacts()
                .map_err(|_| RegisterError::Malformed("Contact"))?;
            let path: Vec<String> = request
                .headers
                .get_lines("Path")
                .flat_map(crate::syntax::split_commas)
                .map(str::to_string)
                .collect();
            let mut plan: Vec<(NameAddr, u32)> = Vec::with_capacity(contacts.len());
            for contact in contacts {
                let expires = match contact.param("expires") {
                    Some(Some(v)) => {
                        parse_delta(v).ok_or(RegisterError::Malformed("Contact expires"))?
                    }
                    Some(None) => return Err(RegisterError::Malformed("Contact expires")),
                    None => header_expires.unwrap_or(self.config.default_expires),
                };
                // RFC 3261 §10.3 step 7: "If and only if the requested
                // expiration interval is greater than zero AND smaller than
                // one hour AND less than a registrar-configured minimum, the
                // registrar MAY reject the registration with a response of
                // 423".
                if expires > 0 && expires < 3600 && expires < self.config.min_expires {
                    return Err(RegisterError::IntervalTooBrief(self.config.min_expires));
                }
                plan.push((contact, expires.min(self.config.max_expires)));
            }
            for (contact, expires) in plan {
                let existing = bindings
                    .iter()
                    .position(|b| same_uri(&b.contact, &contact.uri));
                if let Some(i) = existing {
                    // Step 7: "If the value is higher than that of the
                    // existing binding, it MUST update or remove the binding
                    // as above. If not, the update MUST be aborted and the
                    // request fails."
                    if bindings[i].call_id == call_id && cseq <= bindings[i].cseq {
                        return Err(RegisterError::OutOfOrder);
                    }
                    if expires == 0 {
                        bindings.remove(i);
                        removed = true;
                        continue;
                    }
                    refreshed = true;
                    let b = &mut bindings[i];
                    b.source = source;
                    b.transport = transport;
                    b.expires_at = now_s + u64::from(expires);
                    b.call_id.clone_from(&call_id);
                    b.cseq = cseq;
                    b.path.clone_from(&path);
                    b.user_agent.clone_from(&user_agent);
                } else if expires > 0 {
                    bindings.push(Binding {
                        contact: contact.uri,
                        source,
                        transport,
                        expires_at: now_s + u64::from(expires),
                        call_id: call_id.clone(),
                        cseq,
                        path: path.clone(),
                        user_agent: user_agent.clone(),
                    });
                    added = true;
                }
            }
        }

        let kind = if added {
            Some(PresenceChange::Registered)
        } else if removed {
            Some(PresenceChange::Unregistered)
        } else if refreshed {
            Some(PresenceChange::Refreshed)
        } else {
            None
        };
        if kind.is_some() {
            self.replace(&aor, bindings.clone());
        }
        Ok(Change {
            aor,
            kind,
            bindings,
            user_agent,
        })
    }

    /// The 200 OK to a successful REGISTER: RFC 3261 §10.3 step 8, "The
    /// response SHOULD include a Contact header field value enumerating all
    /// current bindings. Each Contact value MUST feature an "expires"
    /// parameter indicating its expiration interval chosen by the
    /// registrar."
    pub fn ok(request: &Request, change: &Change, now: Duration) -> Response {
        let mut r = Response::to_request(request, 200, "OK");
        for b in &change.bindings {
            r.headers.push(
                "Contact",
                format!("<{}>;expires={}", b.contact, b.expires_in(now)),
            );
        }
        crate::add_to_tag(&mut r);
        r
    }

    /// When the earliest binding lapses, in seconds since the Unix epoch.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.deadlines.peek().map(|Reverse((at, _))| *at)
    }

    /// Removes the bindings that lapsed by `now`; one change per
    /// address-of-record that lost contacts.
    pub fn handle_timeout(&mut self, now: Duration) -> Vec<Change> {
        let now_s = now.as_secs();
        let mut changes = Vec::new();
        while let Some(Reverse((at, _))) = self.deadlines.peek() {
            if *at > now_s {
                break;
            }
            let Some(Reverse((_, aor))) = self.deadlines.pop() else {
                break;
            };
            let Some(current) = self.aors.get(&aor) else {
                continue;
            };
            let lapsed: Vec<&Binding> = current.iter().filter(|b| b.expires_at <= now_s).collect();
            let Some(last) = lapsed.last() else {
                continue;
            };
            let user_agent = last.user_agent.clone();
            let keep: Vec<Binding> = live(current, now).cloned().collect();
            self.replace(&aor, keep.clone());
            changes.push(Change {
                aor,
                kind: Some(PresenceChange::Expired),
                bindings: keep,
                user_agent,
            });
        }
        changes
    }

    fn replace(&mut self, aor: &Aor, bindings: Vec<Binding>) {
        let old = self.aors.get(aor).map_or(&[][..], Vec::as_slice);
        self.count = self.count - old.len() + bindings.len();
        for b in old {
            if let Some(n) = self.sources.get_mut(&b.source.ip()) {
                *n -= 1;
                if *n == 0 {
                    self.sources.remove(&b.source.ip());
                }
            }
        }
        for b in &bindings {
            *self.sources.entry(b.source.ip()).or_default() += 1;
        }
        if bindings.is_empty() {
            self.aors.remove(aor);
            return;
        }
        if let Some(at) = bindings.iter().map(|b| b.expires_at).min() {
            self.deadlines.push(Reverse((at, aor.clone())));
        }
        self.aors.insert(aor.clone(), bindings);
    }
}

fn live(bindings: &[Binding], now: Duration) -> impl Iterator<Item = &Binding> {
    let now = now.as_secs();
    bindings.iter().filter(move |b| b.expires_at > now)
}

/// RFC 3261 §25.1: delta-seconds = 1*DIGIT; values past 2^32-1 are taken
/// as 2^32-1 (§20.19 "Malformed values SHOULD be treated as equivalent to
/// 3600" applies to the header, which we refuse instead).
fn parse_delta(v: &str) -> Option<u32> {
    let v = v.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        v.parse::<u64>()
            .map_or(u32::MAX, |n| n.min(u64::from(u32::MAX)) as u32),
    )
}

/// RFC 3261 §19.1.4 URI comparison, for the parts a contact is told apart
/// by: scheme, user (case-sensitive), host (case-insensitive) and port.
/// URIs that do not parse compare as strings.
fn same_uri(a: &str, b: &str) -> bool {
    match (parse_uri(a), parse_uri(b)) {
        (Ok(x), Ok(y)) => {
            x.scheme == y.scheme
                && x.user == y.user
                && x.host.eq_ignore_ascii_case(&y.host)
                && x.port == y.port
                && x.param("transport") == y.param("transport")
        }
        _ => a == b,
    }
}

#[cfg(test)]
#[path = "registrar_tests.rs"]
mod tests;
