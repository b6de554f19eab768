//! The endpoint's configuration, ids, transmits and events.

use std::net::SocketAddr;
use std::time::Duration;

use crate::{Request, Response};

/// The transport a message travelled (or will travel) on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Unreliable datagrams: the transaction layer retransmits.
    Udp,
    /// A reliable stream: no retransmissions, zero-length wait timers.
    Tcp,
    /// TCP under TLS (RFC 3261 §26.2): reliable like TCP, and the only transport on
    /// which `sips:` URIs and SDES keys may travel.
    Tls,
}

impl Transport {
    /// The Via transport token.
    pub fn as_str(&self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        }
    }

    /// The `transport` URI parameter naming this transport (RFC 3261 §19.1.1); none
    /// for UDP, the default.
    pub fn uri_param(&self) -> Option<&'static str> {
        match self {
            Transport::Udp => None,
            Transport::Tcp => Some("tcp"),
            Transport::Tls => Some("tls"),
        }
    }

    /// How to reach a `sip:`/`sips:` URI: RFC 3261 §19.1.2 and §26.2.2, a `sips:` URI
    /// is reached over TLS; else its `transport` parameter decides (RFC 3263 §4.1),
    /// with UDP when it has none. `None` for a transport we do not speak.
    pub fn for_uri(uri: &crate::SipUri) -> Option<Transport> {
        if uri.scheme == "sips" {
            return Some(Transport::Tls);
        }
        match uri.param("transport").flatten() {
            None => Some(Transport::Udp),
            Some(t) if t.eq_ignore_ascii_case("udp") => Some(Transport::Udp),
            Some(t) if t.eq_ignore_ascii_case("tcp") => Some(Transport::Tcp),
            Some(t) if t.eq_ignore_ascii_case("tls") => Some(Transport::Tls),
            Some(_) => None,
        }
    }

    /// The port a URI without one is reached on (RFC 3263 §4.2: 5061 for TLS).
    pub fn default_port(&self) -> u16 {
        match self {
            Transport::Udp | Transport::Tcp => 5060,
            Transport::Tls => 5061,
        }
    }

    /// A Contact URI for `user` at `addr` on this transport (RFC 3261 §8.1.1.8: "If the
    /// Request-URI or top Route header field value contains a SIPS URI, the Contact
    /// header field MUST contain a SIPS URI as well"; RFC 5630 §3.2 leaves
    /// `transport=tls` out of `sips:` URIs).
    pub fn contact_uri(&self, user: &str, addr: SocketAddr, sips: bool) -> String {
        match (self, sips) {
            (Transport::Tls, true) => format!("sips:{user}@{addr}"),
            _ => match self.uri_param() {
                Some(t) => format!("sip:{user}@{addr};transport={t}"),
                None => format!("sip:{user}@{addr}"),
            },
        }
    }
}

/// Endpoint configuration.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// The address we put in our Via sent-by.
    pub local_addr: SocketAddr,
    /// The sent-by of requests we send over TLS, when we listen for TLS (RFC 3261
    /// §18.1.1: sent-by is where responses reach us, our TLS port).
    pub tls_addr: Option<SocketAddr>,
    /// Sent as User-Agent in requests and Server in responses.
    pub user_agent: String,
    /// RTT estimate (RFC 3261 §17.1.1.1).
    pub t1: Duration,
    /// Maximum retransmit interval for non-INVITE requests and INVITE
    /// responses.
    pub t2: Duration,
    /// Maximum time a message stays in the network.
    pub t4: Duration,
}

impl EndpointConfig {
    /// A configuration with the RFC 3261 §17.1.1.1 defaults: "T1 ... 500
    /// ms", "T2 ... 4 s", "T4 ... 5 s".
    pub fn new(local_addr: SocketAddr, user_agent: impl Into<String>) -> Self {
        EndpointConfig {
            local_addr,
            tls_addr: None,
            user_agent: user_agent.into(),
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }

    /// The Via sent-by for requests sent over `transport`.
    pub fn sent_by(&self, transport: Transport) -> SocketAddr {
        match (transport, self.tls_addr) {
            (Transport::Tls, Some(a)) => a,
            _ => self.local_addr,
        }
    }
}

/// Bytes the node must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Which socket kind to use.
    pub transport: Transport,
    /// Where to send.
    pub destination: SocketAddr,
    /// The serialized message.
    pub payload: Vec<u8>,
}

/// Identifies a server transaction (a request the TU must answer).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ServerTxId(pub(crate) u64);

/// Identifies a client transaction (a request the TU sent).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ClientTxId(pub(crate) u64);

/// What the endpoint reports to its transaction user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new request for the TU (INVITE incl. re-INVITE, BYE, INFO, …): it
    /// must be answered with `respond`.
    Request {
        /// The server transaction to answer on.
        tx: ServerTxId,
        /// The request.
        request: Request,
        /// Where it came from.
        source: SocketAddr,
        /// How it came.
        transport: Transport,
    },
    /// An ACK that no transaction absorbed (the ACK to a 2xx): it confirms a
    /// dialog.
    Ack {
        /// The ACK.
        request: Request,
        /// Where it came from.
        source: SocketAddr,
    },
    /// A CANCEL matched a pending INVITE server transaction; the endpoint
    /// already answered the CANCEL 200. The TU must answer the INVITE 487.
    Cancelled {
        /// The INVITE's transaction.
        invite: ServerTxId,
    },
    /// A response to a request sent with `send_request` or `send_invite`
    /// (or to a CANCEL sent by `cancel`).
    Response {
        /// The client transaction.
        tx: ClientTxId,
        /// The response.
        response: Response,
    },
    /// Timer B/F fired, or a cancelled INVITE got no final response within
    /// 64*T1 of its CANCEL: no final response (the TU tears the call down).
    Timeout {
        /// The client transaction.
        tx: ClientTxId,
    },
    /// A 2xx to INVITE was retransmitted for 64*T1 without an ACK (RFC 3261
    /// §13.3.1.4): the TU should send BYE.
    AckTimeout {
        /// The INVITE's transaction.
        invite: ServerTxId,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport_of(uri: &str) -> Option<Transport> {
        Transport::for_uri(&crate::parse_uri(uri).unwrap())
    }

    #[test]
    fn sips_and_transport_tls_go_over_tls_on_5061() {
        assert_eq!(transport_of("sips:alice@example.com"), Some(Transport::Tls));
        assert_eq!(
            transport_of("sip:alice@example.com;transport=TLS"),
            Some(Transport::Tls)
        );
        assert_eq!(
            transport_of("sip:alice@example.com;transport=tcp"),
            Some(Transport::Tcp)
        );
        assert_eq!(transport_of("sip:alice@example.com"), Some(Transport::Udp));
        assert_eq!(transport_of("sip:alice@example.com;transport=sctp"), None);
        assert_eq!(Transport::Tls.default_port(), 5061);
        assert_eq!(Transport::Udp.default_port(), 5060);
    }

    #[test]
    fn contacts_name_their_transport_and_keep_sips() {
        let a: SocketAddr = "192.0.2.1:5061".parse().unwrap();
        assert_eq!(
            Transport::Tls.contact_uri("+1555", a, false),
            "sip:+1555@192.0.2.1:5061;transport=tls"
        );
        assert_eq!(
            Transport::Tls.contact_uri("+1555", a, true),
            "sips:+1555@192.0.2.1:5061"
        );
        assert_eq!(
            Transport::Tcp.contact_uri("bob", a, false),
            "sip:bob@192.0.2.1:5061;transport=tcp"
        );
        assert_eq!(
            Transport::Udp.contact_uri("bob", a, false),
            "sip:bob@192.0.2.1:5061"
        );
    }

    #[test]
    fn requests_over_tls_name_the_tls_port_in_via() {
        let mut c = EndpointConfig::new("192.0.2.1:5060".parse().unwrap(), "t");
        assert_eq!(c.sent_by(Transport::Tls), c.local_addr);
        c.tls_addr = Some("192.0.2.1:5061".parse().unwrap());
        assert_eq!(c.sent_by(Transport::Tls).port(), 5061);
        assert_eq!(c.sent_by(Transport::Tcp).port(), 5060);
    }
}
