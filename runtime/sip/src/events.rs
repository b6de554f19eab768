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
}

impl Transport {
    /// The Via transport token.
    pub fn as_str(&self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
}

/// Endpoint configuration.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// The address we put in our Via sent-by.
    pub local_addr: SocketAddr,
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
            user_agent: user_agent.into(),
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
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
