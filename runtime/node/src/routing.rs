//! Where a call to a `To` goes: a `sip:` URI directly, a phone number through the
//! account's trunk. One rule for REST-created calls and `<Dial>` legs.

use switchyard_call::ClientContact;
use switchyard_sip::Transport;
use switchyard_types::AccountSid;

use crate::config::{Config, TrunkTransport};
use crate::session::Destination;

/// Twilio 13224: "Dial: Invalid phone number" — the number cannot be routed.
pub const NOT_ROUTABLE: u32 = 13224;

/// How to reach one party.
#[derive(Debug, Clone)]
pub struct Route {
    /// The Request-URI of the INVITE.
    pub request_uri: String,
    pub destination: Destination,
    pub transport: Transport,
    /// Digest credentials for the far end's challenge, if any are known.
    pub credentials: Option<(String, String)>,
    /// Headers the INVITE carries besides the usual: the `Route` set of a registration's
    /// `Path`, a `<Client>`'s `X-` parameters.
    pub headers: Vec<(String, String)>,
}

/// Why a `To` cannot be called.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("invalid SIP URI {uri:?}: {reason}")]
    InvalidUri { uri: String, reason: String },
    #[error("client: identities are not registered on this node yet")]
    Client,
    #[error("{number} is not routable: account {account} has no SIP trunk on this node")]
    NoTrunk { number: String, account: AccountSid },
}

/// The route to one registered contact of a `<Client>`: its Contact URI as the
/// Request-URI, sent to the address and over the transport its REGISTER came from (a
/// phone behind NAT is reached through the mapping its registration keeps open).
/// RFC 3327 §5.3: the registrar "MUST" use a stored Path "as a preloaded Route set".
pub fn client_route(contact: &ClientContact, headers: &[(String, String)]) -> Route {
    let mut all: Vec<(String, String)> = contact
        .path
        .iter()
        .map(|p| ("Route".to_owned(), p.clone()))
        .collect();
    all.extend(headers.iter().cloned());
    Route {
        request_uri: contact.uri.clone(),
        destination: Destination::Host(
            contact.destination.ip().to_string(),
            contact.destination.port(),
        ),
        transport: contact.transport,
        credentials: None,
        headers: all,
    }
}

/// The route to `to` for `account`. The host is resolved when the call is placed, not
/// here: an unreachable domain makes a failed call (as Twilio reports it), not an error.
pub fn route(config: &Config, account: AccountSid, to: &str) -> Result<Route, RouteError> {
    let lower = to.to_ascii_lowercase();
    if lower.starts_with("sip:") || lower.starts_with("sips:") {
        let uri = switchyard_sip::parse_uri(to).map_err(|e| RouteError::InvalidUri {
            uri: to.to_owned(),
            reason: e.to_string(),
        })?;
        let transport = Transport::for_uri(&uri).ok_or_else(|| RouteError::InvalidUri {
            uri: to.to_owned(),
            reason: "unsupported transport".into(),
        })?;
        let port = uri.port.unwrap_or(transport.default_port());
        let host = uri.host.trim_matches(['[', ']']).to_owned();
        return Ok(Route {
            request_uri: to.to_owned(),
            destination: Destination::Host(host, port),
            transport,
            credentials: None,
            headers: Vec::new(),
        });
    }
    if lower.starts_with("client:") {
        return Err(RouteError::Client);
    }
    let trunk = config
        .trunk_for(account)
        .ok_or_else(|| RouteError::NoTrunk {
            number: to.to_owned(),
            account,
        })?;
    let transport = match trunk.transport {
        TrunkTransport::Udp => Transport::Udp,
        TrunkTransport::Tcp => Transport::Tcp,
        TrunkTransport::Tls => Transport::Tls,
    };
    let (host, port) = match trunk.address.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().unwrap_or(transport.default_port())),
        None => (trunk.address.as_str(), transport.default_port()),
    };
    let suffix = transport
        .uri_param()
        .map(|t| format!(";transport={t}"))
        .unwrap_or_default();
    Ok(Route {
        request_uri: format!("sip:{to}@{}{suffix}", trunk.address),
        destination: Destination::Host(host.trim_matches(['[', ']']).to_owned(), port),
        transport,
        credentials: trunk.username.clone().zip(trunk.password.clone()),
        headers: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml: &str) -> Config {
        toml::from_str(toml).unwrap()
    }

    const A: &str = "AC00000000000000000000000000000001";
    const B: &str = "AC00000000000000000000000000000002";

    #[test]
    fn sip_uris_go_direct_with_their_transport() {
        let c = config("");
        let r = route(
            &c,
            A.parse().unwrap(),
            "sip:bob@127.0.0.1:5070;transport=tcp",
        )
        .unwrap();
        assert_eq!(r.transport, Transport::Tcp);
        assert!(matches!(r.destination, Destination::Host(ref h, 5070) if h == "127.0.0.1"));
    }

    #[test]
    fn sips_and_transport_tls_go_over_tls_to_5061_and_so_do_tls_trunks() {
        let c = config("");
        let r = route(&c, A.parse().unwrap(), "sips:bob@example.com").unwrap();
        assert_eq!(r.transport, Transport::Tls);
        assert!(matches!(r.destination, Destination::Host(ref h, 5061) if h == "example.com"));
        let r = route(&c, A.parse().unwrap(), "sip:bob@127.0.0.1;transport=tls").unwrap();
        assert_eq!(r.transport, Transport::Tls);
        assert!(matches!(r.destination, Destination::Host(_, 5061)));
        let e = route(&c, A.parse().unwrap(), "sip:bob@127.0.0.1;transport=sctp").unwrap_err();
        assert!(matches!(e, RouteError::InvalidUri { .. }));

        let c = config("[[trunks]]\naddress = \"trunk.example.com\"\ntransport = \"tls\"\n");
        let t = route(&c, A.parse().unwrap(), "+15551230000").unwrap();
        assert_eq!(t.transport, Transport::Tls);
        assert_eq!(
            t.request_uri,
            "sip:+15551230000@trunk.example.com;transport=tls"
        );
        assert!(matches!(t.destination, Destination::Host(_, 5061)));
    }

    #[test]
    fn numbers_use_the_first_trunk_the_account_may_use() {
        let c = config(&format!(
            "[[trunks]]\nname = \"b-only\"\naddress = \"127.0.0.1:5080\"\naccounts = [\"{B}\"]\n\
             [[trunks]]\nname = \"all\"\naddress = \"127.0.0.1:5090\"\ntransport = \"tcp\"\n\
             username = \"u\"\npassword = \"p\"\n"
        ));
        let a = route(&c, A.parse().unwrap(), "+15551230000").unwrap();
        assert_eq!(
            a.request_uri,
            "sip:+15551230000@127.0.0.1:5090;transport=tcp"
        );
        assert_eq!(a.credentials, Some(("u".into(), "p".into())));
        let b = route(&c, B.parse().unwrap(), "+15551230000").unwrap();
        assert_eq!(b.request_uri, "sip:+15551230000@127.0.0.1:5080");
        assert_eq!(b.credentials, None);
    }

    #[test]
    fn an_account_without_a_trunk_gets_a_clear_error() {
        let c = config(&format!(
            "[[trunks]]\naddress = \"127.0.0.1:5080\"\naccounts = [\"{B}\"]\n"
        ));
        let e = route(&c, A.parse().unwrap(), "+15551230000").unwrap_err();
        assert!(matches!(e, RouteError::NoTrunk { .. }));
        assert!(e.to_string().contains("not routable"), "{e}");
    }
}
