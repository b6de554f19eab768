//! SIP over TCP: one reader task per connection framing messages by Content-Length
//! (RFC 3261 §18.3), one writer queue per peer address.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Largest message we buffer from one TCP peer before declaring the stream broken.
const MAX_MESSAGE: usize = 64 * 1024;

type Writers = Arc<Mutex<HashMap<SocketAddr, mpsc::UnboundedSender<Vec<u8>>>>>;

pub(super) struct TcpTransport {
    writers: Writers,
}

impl TcpTransport {
    pub async fn bind(
        addr: SocketAddr,
    ) -> std::io::Result<(Self, mpsc::UnboundedReceiver<(SocketAddr, Vec<u8>)>)> {
        let listener = TcpListener::bind(addr).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let writers: Writers = Arc::default();
        let w = writers.clone();
        tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, peer)) => {
                        let _ = stream.set_nodelay(true);
                        connection(stream, peer, tx.clone(), w.clone());
                    }
                    Err(e) => tracing::debug!(error = %e, "TCP accept failed"),
                }
            }
        });
        Ok((Self { writers }, rx))
    }

    /// Queue bytes for a connected peer; a peer with no connection is reached by
    /// opening one (RFC 3261 §18.2.2 lets a response open a new connection).
    pub async fn send(&self, peer: SocketAddr, bytes: Vec<u8>) {
        let existing = self
            .writers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&peer)
            .cloned();
        let bytes = match existing {
            Some(w) => match w.send(bytes) {
                Ok(()) => return,
                Err(mpsc::error::SendError(bytes)) => bytes,
            },
            None => bytes,
        };
        tokio::spawn(async move {
            match TcpStream::connect(peer).await {
                Ok(mut s) => {
                    let _ = s.write_all(&bytes).await;
                }
                Err(e) => tracing::debug!(error = %e, %peer, "TCP connect failed"),
            }
        });
    }
}

fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    inbound: mpsc::UnboundedSender<(SocketAddr, Vec<u8>)>,
    writers: Writers,
) {
    let (mut rd, mut wr) = stream.into_split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    writers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(peer, out_tx);
    tokio::spawn(async move {
        while let Some(bytes) = out_rx.recv().await {
            if wr.write_all(&bytes).await.is_err() {
                break;
            }
        }
    });
    tokio::spawn(async move {
        let mut buf: Vec<u8> = Vec::with_capacity(4096);
        let mut chunk = [0u8; 8192];
        'read: loop {
            let n = match rd.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            buf.extend_from_slice(&chunk[..n]);
            loop {
                match switchyard_sip::frame_len(&buf) {
                    Ok(Some(len)) => {
                        let message: Vec<u8> = buf.drain(..len).collect();
                        if message.iter().any(|b| !b.is_ascii_whitespace())
                            && inbound.send((peer, message)).is_err()
                        {
                            break 'read;
                        }
                    }
                    Ok(None) if buf.len() > MAX_MESSAGE => break 'read,
                    Ok(None) => break,
                    Err(e) => {
                        // A framing error leaves no way to find the next message.
                        tracing::debug!(error = %e, %peer, "closing TCP connection");
                        break 'read;
                    }
                }
            }
        }
        writers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&peer);
    });
}
