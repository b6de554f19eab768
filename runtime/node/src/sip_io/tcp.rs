//! SIP over TCP: the listener; connections are [`Connections`].

use std::net::SocketAddr;

use switchyard_sip::Transport;
use tokio::net::{TcpListener, TcpStream};

use super::stream::{Connections, Inbound};

pub(super) struct TcpTransport {
    connections: Connections,
}

impl TcpTransport {
    pub async fn bind(addr: SocketAddr, inbound: Inbound) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let connections = Connections::new(Transport::Tcp, inbound);
        let c = connections.clone();
        super::stream::accept_loop(listener, Transport::Tcp, move |stream, peer| {
            c.accepted(stream, peer)
        });
        Ok(Self { connections })
    }

    pub fn send(&self, peer: SocketAddr, bytes: Vec<u8>) {
        self.connections.send(peer, bytes, move || async move {
            let s = TcpStream::connect(peer).await?;
            let _ = s.set_nodelay(true);
            Ok(s)
        });
    }
}
