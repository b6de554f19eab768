//! `[sip]`: the SIP listeners, who may call, the registrar's digest and the UDP socket.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SipSection {
    /// UDP and TCP listen on this address.
    #[serde(default = "default_sip")]
    pub listen: SocketAddr,
    /// The address written into Contact and Via when `listen` is a wildcard.
    #[serde(default)]
    pub public_address: Option<IpAddr>,
    /// SIP over TLS listens here; none: port 5061 on `listen`'s address (skipped with a
    /// warning when that port is taken, an error when it was given).
    #[serde(default)]
    pub tls_listen: Option<SocketAddr>,
    /// PEM certificate chain and private key of the TLS listener; none: a self-signed
    /// certificate made at first start and kept in the data directory
    /// (`sip-tls-cert.der`).
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// PEM certificates trusted when the node connects over TLS (trunks, `<Dial><Sip>`);
    /// none: the webpki root CAs. A self-signed peer is trusted by listing its own
    /// certificate here.
    #[serde(default)]
    pub tls_ca_file: Option<PathBuf>,
    /// Who may call the node's numbers: `any` source address (the default, for a
    /// loopback demo; the node warns at start-up), or only `trunks` (their
    /// `inbound_addresses`) and registered phones. Calls to a SIP domain always need the
    /// domain's IP access control list or a digest, whatever this says.
    #[serde(default)]
    pub inbound: InboundMode,
    /// Failed digest attempts from one source within a minute that block it.
    #[serde(default = "default_digest_block_failures")]
    pub digest_block_failures: usize,
    /// How long a blocked source gets 403 to every INVITE.
    #[serde(default = "default_digest_block_seconds")]
    pub digest_block_seconds: u64,
    /// The digest algorithms the registrar's 401 offers, most preferred first (RFC 8760
    /// §2.4); default SHA-256 then MD5. `["MD5"]` serves phones (and sipp 3.6) that give
    /// up on a challenge whose first algorithm they do not know.
    #[serde(default = "default_digest_algorithms")]
    pub digest_algorithms: Vec<DigestAlgorithm>,
    /// Kernel receive buffer of the SIP UDP socket, bytes (0: the system's default).
    /// Under a burst or overload the SIP thread may wait for a core; what arrives
    /// meanwhile waits here, and a datagram that finds it full is dropped and costs its
    /// sender a retransmission (500 ms for an INVITE). Set with `SO_RCVBUFFORCE` where
    /// the node may (CAP_NET_ADMIN), else `SO_RCVBUF` up to `net.core.rmem_max`.
    #[serde(default = "default_udp_receive_buffer")]
    pub udp_receive_buffer: usize,
}

fn default_udp_receive_buffer() -> usize {
    4 << 20
}

/// `[sip] inbound`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InboundMode {
    #[default]
    Any,
    Trunks,
}

fn default_digest_block_failures() -> usize {
    20
}

fn default_digest_block_seconds() -> u64 {
    600
}

/// A digest algorithm as the config names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum DigestAlgorithm {
    #[serde(rename = "SHA-256")]
    Sha256,
    #[serde(rename = "MD5")]
    Md5,
}

impl DigestAlgorithm {
    pub fn to_core(self) -> switchyard_sip::digest::Algorithm {
        match self {
            Self::Sha256 => switchyard_sip::digest::Algorithm::Sha256,
            Self::Md5 => switchyard_sip::digest::Algorithm::Md5,
        }
    }
}

fn default_digest_algorithms() -> Vec<DigestAlgorithm> {
    vec![DigestAlgorithm::Sha256, DigestAlgorithm::Md5]
}

impl SipSection {
    /// Where SIP over TLS listens.
    pub fn tls_addr(&self) -> SocketAddr {
        self.tls_listen
            .unwrap_or(SocketAddr::new(self.listen.ip(), 5061))
    }

    /// Our address on `transport` as others reach it (Contact, Via sent-by).
    pub fn advertised(&self, transport: switchyard_sip::Transport) -> SocketAddr {
        let local = match transport {
            switchyard_sip::Transport::Tls => self.tls_addr(),
            _ => self.listen,
        };
        SocketAddr::new(self.public_address.unwrap_or(local.ip()), local.port())
    }
}

impl Default for SipSection {
    fn default() -> Self {
        Self {
            listen: default_sip(),
            public_address: None,
            tls_listen: None,
            tls_cert: None,
            tls_key: None,
            tls_ca_file: None,
            inbound: InboundMode::Any,
            digest_block_failures: default_digest_block_failures(),
            digest_block_seconds: default_digest_block_seconds(),
            digest_algorithms: default_digest_algorithms(),
            udp_receive_buffer: default_udp_receive_buffer(),
        }
    }
}
fn default_sip() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 5060)
}
