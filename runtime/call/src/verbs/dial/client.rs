//! `<Client>` in `<Dial>`: an identity rings at every contact it has registered.
//!
//! The core does not hold registrations: the node gives the executor a
//! [`ClientDirectory`] (a lookup of the live contacts of an identity in the call's
//! account), and each contact becomes a leg of its own, so the first contact to answer
//! wins and the others are cancelled by the Dial's parallel rules. Twilio: an identity
//! that is not connected "will result in a `no-answer`" at once.

use std::net::SocketAddr;

use switchyard_instructions::Client;
use switchyard_sip::Transport;

/// Where one registered contact of a client is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientContact {
    /// The Contact URI it registered: the INVITE's Request-URI.
    pub uri: String,
    /// The address its registration came from (behind NAT: the NAT's), where the
    /// INVITE goes.
    pub destination: SocketAddr,
    /// The transport it registered over.
    pub transport: Transport,
    /// The `Path` it registered with (RFC 3327): the INVITE's `Route` set.
    pub path: Vec<String>,
}

/// The live contacts of the identities of the call's account.
pub trait ClientDirectory: std::fmt::Debug + Send + Sync {
    /// The contacts `identity` is reachable at now; empty when it is offline.
    fn contacts(&self, identity: &str) -> Vec<ClientContact>;
}

/// `<Parameter>` children as the SIP headers that carry them to the phone: `X-<name>`
/// (a name already starting with `X-` is kept). Names that are not header tokens and
/// line breaks in values are dropped, so a parameter cannot inject a header.
pub(super) fn headers(client: &Client) -> Vec<(String, String)> {
    client
        .parameters
        .iter()
        .filter(|p| {
            !p.name.is_empty()
                && p.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c))
        })
        .map(|p| {
            let name = if p.name.len() > 2 && p.name[..2].eq_ignore_ascii_case("x-") {
                p.name.clone()
            } else {
                format!("X-{}", p.name)
            };
            let value: String = p
                .value
                .chars()
                .filter(|c| *c != '\r' && *c != '\n')
                .collect();
            (name, value)
        })
        .collect()
}
