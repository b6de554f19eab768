//! Where responses go (RFC 3261 §18.2.2, RFC 3581) and how the endpoint
//! builds the responses it sends on its own.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::SocketAddr;

use crate::{Response, Transport, Via};

/// Fills `received`/`rport` into the request's top Via and picks the
/// response destination.
pub(crate) fn response_route(
    top: &Via,
    transport: Transport,
    source: SocketAddr,
) -> (String, SocketAddr) {
    let mut via = top.clone();
    let src_ip = source.ip().to_string();
    let host = via.host.trim_start_matches('[').trim_end_matches(']');
    let wants_rport = via.rport().is_some();
    // RFC 3261 §18.2.1: "If the host portion of the "sent-by" parameter
    // contains a domain name, or if it contains an IP address that differs
    // from the packet source address, the server MUST add a "received"
    // parameter to that Via header field value." RFC 3581 §4 adds it even
    // when equal if rport is present.
    if wants_rport || !host.eq_ignore_ascii_case(&src_ip) {
        via.set_param("received", Some(src_ip));
    }
    // RFC 3581 §4: "If this Via header field value contains an "rport"
    // parameter with no value, it MUST set the value of the parameter to
    // the source port of the request."
    if wants_rport {
        via.set_param("rport", Some(source.port().to_string()));
    }
    let destination = match transport {
        // RFC 3261 §18.2.2: "If the "sent-protocol" is a reliable transport
        // protocol such as TCP or SCTP ... the response MUST be sent using
        // the existing connection to the source of the original request".
        Transport::Tcp | Transport::Tls => source,
        // RFC 3581 §4: the response goes to the source IP and port when
        // rport is present.
        Transport::Udp if wants_rport => source,
        // RFC 3261 §18.2.2: "the response MUST be sent to the address in
        // the "received" parameter, using the port indicated in the
        // "sent-by" value, or using port 5060 if none is specified".
        Transport::Udp => SocketAddr::new(source.ip(), top.port.unwrap_or(5060)),
    };
    (via.to_string(), destination)
}

/// Replaces the top Via of `resp` by `top_via`, keeping the others in order.
pub(crate) fn replace_top_via(resp: &mut Response, top_via: &str) {
    let rest: Vec<String> = resp
        .headers
        .get_all("Via")
        .skip(1)
        .map(str::to_string)
        .collect();
    let had = resp.headers.get("Via").is_some();
    // Keep Via where it was: set() replaces in place, then the others follow.
    if had {
        resp.headers.set("Via", top_via);
        let mut rebuilt = crate::Headers::new();
        for (name, value) in resp.headers.iter() {
            rebuilt.push(name, value);
            if crate::headers::canonical(name) == "via" {
                for v in &rest {
                    rebuilt.push("Via", v.as_str());
                }
            }
        }
        resp.headers = rebuilt;
    } else {
        resp.headers.push("Via", top_via);
    }
}

/// Source of tags and branches: random per endpoint (seeded by the
/// standard library's per-process random hasher keys, so no clock and no
/// extra dependency), and deterministic for stateless responses.
#[derive(Debug)]
pub(crate) struct Tokens {
    keys: RandomState,
    counter: u64,
}

impl Tokens {
    pub fn new() -> Self {
        Tokens {
            keys: RandomState::new(),
            counter: 0,
        }
    }

    /// A fresh 64-bit random-looking token in hex.
    pub fn fresh(&mut self) -> String {
        self.counter += 1;
        format!("{:016x}", self.keys.hash_one(self.counter))
    }

    /// The same token every time for the same input. RFC 3261 §8.2.7: a
    /// stateless UAS must generate the same To tag for retransmissions of
    /// a request.
    pub fn stable(&self, input: &str) -> String {
        format!("{:016x}", self.keys.hash_one(input))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rport_and_received() {
        let src: SocketAddr = "192.0.2.7:40000".parse().unwrap();
        let via = Via::parse("SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKx;rport").unwrap();
        let (v, dest) = response_route(&via, Transport::Udp, src);
        assert_eq!(
            v,
            "SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKx;rport=40000;received=192.0.2.7"
        );
        assert_eq!(dest, src);
        let via = Via::parse("SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKx").unwrap();
        let (v, dest) = response_route(&via, Transport::Udp, src);
        assert!(v.ends_with(";received=192.0.2.7"));
        assert_eq!(dest, "192.0.2.7:5062".parse().unwrap());
        let via = Via::parse("SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKx").unwrap();
        let (v, dest) = response_route(&via, Transport::Udp, src);
        assert!(!v.contains("received"));
        assert_eq!(dest, "192.0.2.7:5060".parse().unwrap());
        let (_, dest) = response_route(&via, Transport::Tcp, src);
        assert_eq!(dest, src);
        // RFC 3261 §18.2.2: over TLS too the response uses the request's connection.
        let via = Via::parse("SIP/2.0/TLS 192.0.2.7:5061;branch=z9hG4bKx").unwrap();
        let (_, dest) = response_route(&via, Transport::Tls, src);
        assert_eq!(dest, src);
    }

    #[test]
    fn tokens_are_fresh_or_stable() {
        let mut t = Tokens::new();
        assert_ne!(t.fresh(), t.fresh());
        assert_eq!(t.stable("a"), t.stable("a"));
        assert_ne!(t.stable("a"), t.stable("b"));
    }
}
