//! SIP over a stream, TCP or TLS: one reader task per connection framing messages by
//! Content-Length (RFC 3261 §18.3), one writer queue per peer address, and connections
//! reused in both directions (RFC 3261 §18: a response or a later request to the same
//! peer goes over the connection it already has with us).

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use switchyard_sip::Transport;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// Largest message we buffer from one peer before declaring the stream broken.
const MAX_MESSAGE: usize = 64 * 1024;

/// Where received messages go: the transport they came on, their source, the bytes.
pub(super) type Inbound = mpsc::UnboundedSender<(Transport, SocketAddr, Vec<u8>)>;

type Writers = Arc<Mutex<HashMap<SocketAddr, mpsc::UnboundedSender<Vec<u8>>>>>;

/// The open connections of one stream transport.
#[derive(Clone)]
pub(super) struct Connections {
    transport: Transport,
    writers: Writers,
    inbound: Inbound,
}

impl Connections {
    pub fn new(transport: Transport, inbound: Inbound) -> Self {
        Self {
            transport,
            writers: Arc::default(),
            inbound,
        }
    }

    /// Queue bytes on the connection to `peer`; without one, open it with `connect`
    /// (RFC 3261 §18.2.2 lets a response open a new connection too). Later sends to the
    /// same peer queue behind the first while it connects.
    pub fn send<S, F>(&self, peer: SocketAddr, bytes: Vec<u8>, connect: impl FnOnce() -> F)
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
        F: Future<Output = std::io::Result<S>> + Send + 'static,
    {
        let mut writers = self.writers.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = match writers.get(&peer) {
            Some(w) => match w.send(bytes) {
                Ok(()) => return,
                Err(mpsc::error::SendError(bytes)) => bytes,
            },
            None => bytes,
        };
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let _ = out_tx.send(bytes);
        writers.insert(peer, out_tx);
        drop(writers);
        let this = self.clone();
        let connecting = connect();
        tokio::spawn(async move {
            match connecting.await {
                Ok(stream) => this.serve(stream, peer, out_rx).await,
                Err(e) => {
                    tracing::debug!(error = %e, %peer, transport = this.transport.as_str(), "connect failed");
                    this.forget(peer);
                }
            }
        });
    }

    /// Take on a connection a peer opened to us.
    pub fn accepted<S>(&self, stream: S, peer: SocketAddr)
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        self.writers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(peer, out_tx);
        let this = self.clone();
        tokio::spawn(async move { this.serve(stream, peer, out_rx).await });
    }

    /// RFC 5626 §4.4.1: each CRLF CRLF ping gets a CRLF pong on the same connection.
    fn pong(&self, peer: SocketAddr, pings: usize) {
        let writers = self.writers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = writers.get(&peer) {
            let _ = w.send(b"\r\n".repeat(pings));
        }
    }

    fn forget(&self, peer: SocketAddr) {
        self.writers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&peer);
    }

    /// Write what is queued for `peer` and read its messages until either side closes.
    async fn serve<S>(
        self,
        stream: S,
        peer: SocketAddr,
        mut out_rx: mpsc::UnboundedReceiver<Vec<u8>>,
    ) where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (mut rd, mut wr) = tokio::io::split(stream);
        let writer = tokio::spawn(async move {
            while let Some(bytes) = out_rx.recv().await {
                if wr.write_all(&bytes).await.is_err() || wr.flush().await.is_err() {
                    break;
                }
            }
        });
        let mut buf: Vec<u8> = Vec::with_capacity(4096);
        let mut chunk = [0u8; 8192];
        'read: loop {
            let n = match rd.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            buf.extend_from_slice(&chunk[..n]);
            loop {
                let pings = switchyard_sip::keepalive_pings(&buf);
                if pings > 0 {
                    buf.drain(..4 * pings);
                    self.pong(peer, pings);
                }
                match switchyard_sip::frame_len(&buf) {
                    Ok(Some(len)) => {
                        let message: Vec<u8> = buf.drain(..len).collect();
                        if message.iter().any(|b| !b.is_ascii_whitespace())
                            && self.inbound.send((self.transport, peer, message)).is_err()
                        {
                            break 'read;
                        }
                    }
                    Ok(None) if buf.len() > MAX_MESSAGE => break 'read,
                    Ok(None) => break,
                    Err(e) => {
                        // A framing error leaves no way to find the next message.
                        tracing::debug!(error = %e, %peer, "closing SIP connection");
                        break 'read;
                    }
                }
            }
        }
        self.forget(peer);
        writer.abort();
    }
}

/// Accept connections on `listener` for as long as the node runs, each handed with its
/// peer's address to `accepted` (with Nagle off: SIP messages are small and waited for).
pub(super) fn accept_loop(
    listener: tokio::net::TcpListener,
    transport: Transport,
    accepted: impl Fn(tokio::net::TcpStream, SocketAddr) + Send + 'static,
) {
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    accepted(stream, peer);
                }
                Err(e) => tracing::debug!(error = %e, ?transport, "accept failed"),
            }
        }
    });
}
