//! The WebSocket ends of the `streams` benchmark: the echo server every bidirectional
//! stream connects to, and the reference bridge that stands in for the node.
//!
//! The echo server answers each `media` message with the same payload at once, as a
//! voice bot that talks back would, and notes for every marked frame (see
//! [`crate::bridge_gen::mark_payload`]) when its message arrived and when the answer
//! left, on the same realtime clock the generator stamps its packets with.
//!
//! The reference bridge is the least a Media Streams bridge can do: per stream, one
//! UDP socket and one WebSocket; an RTP packet read is sent at once as a `media`
//! message, a `media` message read is sent at once as an RTP packet. No jitter buffer,
//! no pacing, no decoding: what is left is the cost of the sockets and the protocol.

use crate::bridge_gen::{read_mark, realtime_ns};
use anyhow::{Context, Result};
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use switchyard_rtp::{parse_rtp, write_rtp, RtpHeader, Ssrc};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;

/// Thread name of the echo server's runtime (for CPU accounting).
pub const ECHO_THREAD: &str = "wsecho";
/// Thread name of the reference bridge's runtime.
pub const BRIDGE_THREAD: &str = "wsbridge";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// One marked frame through the echo server.
#[derive(Debug, Clone, Copy)]
pub struct Echoed {
    /// Stream (call) number and packet index, from the mark.
    pub stream: u32,
    /// See `stream`.
    pub index: u32,
    /// When the generator sent it as RTP, realtime ns.
    pub sent_ns: i64,
    /// When its `media` message was read, realtime ns.
    pub ws_in_ns: i64,
    /// When the answer was handed to the socket, realtime ns.
    pub ws_out_ns: i64,
}

/// A running echo server on its own runtime; stopped when dropped.
#[derive(Debug)]
pub struct EchoServer {
    addr: SocketAddr,
    echoed: Arc<Mutex<Vec<Echoed>>>,
    rt: Option<Runtime>,
}

impl EchoServer {
    /// Listens on 127.0.0.1 with `workers` threads.
    pub fn start(workers: usize) -> Result<EchoServer> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .thread_name(ECHO_THREAD)
            .enable_all()
            .build()?;
        // Bound here, served there: this may be called from another runtime's task.
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let echoed = Arc::new(Mutex::new(Vec::with_capacity(1 << 20)));
        let shared = echoed.clone();
        rt.spawn(async move {
            let Ok(listener) = TcpListener::from_std(std_listener) else {
                return;
            };
            while let Ok((tcp, _)) = listener.accept().await {
                let _ = tcp.set_nodelay(true);
                tokio::spawn(echo(tcp, shared.clone()));
            }
        });
        Ok(EchoServer {
            addr,
            echoed,
            rt: Some(rt),
        })
    }

    /// `ws://127.0.0.1:PORT/streams`.
    pub fn url(&self) -> String {
        format!("ws://{}/streams", self.addr)
    }

    /// The frames echoed so far (and forgets them).
    pub fn take(&self) -> Vec<Echoed> {
        self.echoed
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default()
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

async fn echo(tcp: TcpStream, echoed: Arc<Mutex<Vec<Echoed>>>) {
    let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
        return;
    };
    let (mut tx, mut rx) = ws.split();
    let mut sid = String::new();
    let mut local = Vec::new();
    while let Some(Ok(msg)) = rx.next().await {
        let Message::Text(text) = msg else {
            if msg.is_close() {
                break;
            }
            continue;
        };
        let ws_in_ns = realtime_ns();
        let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
            continue;
        };
        match v["event"].as_str() {
            Some("start") => sid = v["streamSid"].as_str().unwrap_or_default().to_owned(),
            Some("media") => {
                let payload = v["media"]["payload"].as_str().unwrap_or_default();
                let reply = json!({"event": "media", "streamSid": sid,
                                   "media": {"payload": payload}})
                .to_string();
                let ws_out_ns = realtime_ns();
                if tx.send(Message::Text(reply.into())).await.is_err() {
                    break;
                }
                let mark = B64.decode(payload).ok().and_then(|b| read_mark(&b));
                if let Some((stream, index, sent_ns)) = mark {
                    local.push(Echoed {
                        stream,
                        index,
                        sent_ns,
                        ws_in_ns,
                        ws_out_ns,
                    });
                }
                // Hand the notes over in batches: one lock a second per stream.
                if local.len() >= 50 {
                    if let Ok(mut all) = echoed.lock() {
                        all.append(&mut local);
                    }
                }
            }
            _ => {}
        }
    }
    if let Ok(mut all) = echoed.lock() {
        all.append(&mut local);
    }
}

/// The reference bridge; stopped when dropped.
#[derive(Debug)]
pub struct Bridge {
    /// Where stream `n`'s RTP goes (its UDP socket), in stream order.
    pub inputs: Vec<SocketAddr>,
    rt: Option<Runtime>,
}

impl Bridge {
    /// One UDP socket and one WebSocket to `url` per stream; stream `n`'s answers go to
    /// `answer_to(n)`. Returns once every WebSocket is open.
    pub fn start(
        streams: usize,
        workers: usize,
        url: &str,
        answer_to: impl Fn(u32) -> SocketAddr,
    ) -> Result<Bridge> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .thread_name(BRIDGE_THREAD)
            .enable_all()
            .build()?;
        let mut inputs = Vec::with_capacity(streams);
        for n in 0..streams as u32 {
            let url = url.to_owned();
            let to = answer_to(n);
            let (udp, ws) = rt.block_on(async move {
                let udp = UdpSocket::bind("127.0.0.1:0").await?;
                let host = url
                    .strip_prefix("ws://")
                    .and_then(|r| r.split('/').next())
                    .context("not a ws:// URL")?
                    .to_owned();
                let tcp = TcpStream::connect(&host).await?;
                tcp.set_nodelay(true)?;
                let (ws, _) = tokio_tungstenite::client_async(url.as_str(), tcp).await?;
                Ok::<_, anyhow::Error>((udp, ws))
            })?;
            inputs.push(udp.local_addr()?);
            rt.spawn(bridge(n, udp, ws, to));
        }
        Ok(Bridge {
            inputs,
            rt: Some(rt),
        })
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

async fn bridge(
    n: u32,
    udp: UdpSocket,
    ws: tokio_tungstenite::WebSocketStream<TcpStream>,
    to: SocketAddr,
) -> Result<()> {
    let (mut tx, mut rx) = ws.split();
    let sid = format!("MZreference{n}");
    tx.send(Message::Text(
        json!({"event": "start", "streamSid": sid})
            .to_string()
            .into(),
    ))
    .await?;
    let mut header = RtpHeader {
        marker: true,
        payload_type: 0,
        sequence: 0,
        timestamp: 0,
        ssrc: Ssrc(n),
    };
    let mut buf = [0u8; 2048];
    let mut packet = Vec::with_capacity(200);
    loop {
        tokio::select! {
            got = udp.recv(&mut buf) => {
                let len = got?;
                let Ok(p) = parse_rtp(&buf[..len]) else { continue };
                let text = json!({"event": "media", "streamSid": sid,
                                  "media": {"payload": B64.encode(p.payload)}})
                .to_string();
                tx.send(Message::Text(text.into())).await?;
            }
            msg = rx.next() => {
                let Some(Ok(Message::Text(text))) = msg else { return Ok(()) };
                let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                let Some(payload) = v["media"]["payload"].as_str() else { continue };
                let Ok(audio) = B64.decode(payload) else { continue };
                packet.clear();
                write_rtp(&header, &audio, &mut packet);
                header.marker = false;
                header.sequence = header.sequence.wrapping_add(1);
                header.timestamp = header.timestamp.wrapping_add(audio.len() as u32);
                udp.send_to(&packet, to).await?;
            }
        }
    }
}
