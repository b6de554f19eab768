//! A blocking WebSocket client for the node's `…/Events/ws` channel.
//!
//! Events and the control channel's answers share the socket; the client sorts them:
//! `ack` and `error` messages are answers, everything else (events, `stream.closed`)
//! is the stream. Every read has a timeout, so a stuck socket fails the test instead of
//! hanging it.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::HandshakeError;
use tungstenite::{Message, WebSocket};

use crate::http::HttpResponse;

/// An open WebSocket event channel.
#[derive(Debug)]
pub struct WsChannel {
    socket: WebSocket<TcpStream>,
    events: VecDeque<Value>,
    answers: VecDeque<Value>,
    closed: bool,
}

fn is_answer(v: &Value) -> bool {
    matches!(v["type"].as_str(), Some("ack" | "error"))
}

impl WsChannel {
    /// Open `url` (`http://…` or `ws://…`); a refusal (any answer but 101) is returned
    /// as `Err(response)`.
    pub fn open(
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<std::result::Result<WsChannel, HttpResponse>> {
        let url = url.replacen("http://", "ws://", 1);
        let mut request = url.as_str().into_client_request()?;
        for (k, v) in headers {
            request
                .headers_mut()
                .insert(k.parse::<tungstenite::http::HeaderName>()?, v.parse()?);
        }
        let host = request.uri().authority().context("no host")?.to_string();
        let tcp = TcpStream::connect(&host).with_context(|| format!("connecting to {host}"))?;
        tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
        let socket = match tungstenite::client(request, tcp) {
            Ok((socket, _)) => socket,
            Err(HandshakeError::Failure(tungstenite::Error::Http(r))) => {
                let status = r.status().as_u16();
                let headers = r
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                    .collect();
                let body = r.into_body().unwrap_or_default();
                return Ok(Err(HttpResponse {
                    status,
                    headers,
                    body,
                }));
            }
            Err(e) => bail!("WebSocket handshake with {url}: {e}"),
        };
        Ok(Ok(WsChannel {
            socket,
            events: VecDeque::new(),
            answers: VecDeque::new(),
            closed: false,
        }))
    }

    /// Read one message within `limit` into the queues; false on timeout or close.
    fn pump(&mut self, limit: Duration) -> bool {
        if self.closed {
            return false;
        }
        let limit = limit.max(Duration::from_millis(1));
        let _ = self.socket.get_ref().set_read_timeout(Some(limit));
        match self.socket.read() {
            Ok(Message::Text(t)) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                if is_answer(&v) {
                    self.answers.push_back(v);
                } else {
                    self.events.push_back(v);
                }
                true
            }
            Ok(Message::Close(_)) => {
                // Answer the close so the server's side completes too.
                let _ = self.socket.flush();
                true
            }
            Ok(_) => true,
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                false
            }
            Err(_) => {
                self.closed = true;
                false
            }
        }
    }

    /// Send one control operation and wait for its answer.
    pub fn op(&mut self, op: &Value) -> Result<Value> {
        self.socket.send(Message::Text(op.to_string().into()))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(a) = self.answers.pop_front() {
                return Ok(a);
            }
            let left = deadline
                .checked_duration_since(Instant::now())
                .context("no answer to the operation")?;
            if !self.pump(left) && self.closed {
                bail!("the channel closed before answering");
            }
        }
    }

    /// The next event (or `stream.closed`) within `limit`.
    pub fn next(&mut self, limit: Duration) -> Option<Value> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(e) = self.events.pop_front() {
                return Some(e);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            if !self.pump(left) && (self.closed || Instant::now() >= deadline) {
                return None;
            }
        }
    }

    /// Events until one satisfies `last` (included) or `limit` passes.
    pub fn until(&mut self, limit: Duration, last: impl Fn(&Value) -> bool) -> Vec<Value> {
        crate::events::collect_until(limit, |left| self.next(left), last)
    }

    /// Whether the server closed the connection within `limit`.
    pub fn ends_within(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            self.pump(left);
            if self.closed {
                return true;
            }
        }
        self.closed
    }
}
