//! A Server-Sent Events reader for the node's event streams.
//!
//! It reads the stream on a thread of its own and parses frames as the WHATWG
//! EventSource does (`id:`, `event:`, `data:` lines, a blank line ends a frame,
//! comment lines start with `:`). The read times out by itself, so a stuck stream
//! ends the thread instead of the test run.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::http::HttpResponse;

/// One event as a browser would dispatch it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The frame's `id:` (None when the frame had none).
    pub id: Option<String>,
    /// The frame's `event:` (`message` when it had none).
    pub event: String,
    pub data: String,
}

impl SseEvent {
    /// The data parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null)
    }
}

/// An open event stream.
#[derive(Debug)]
pub struct EventStream {
    rx: mpsc::Receiver<Frame>,
    /// The `retry:` the server asked for, once seen.
    pub retry_ms: Option<u64>,
    /// Response headers.
    pub headers: Vec<(String, String)>,
}

#[derive(Debug)]
enum Frame {
    Event(SseEvent),
    Retry(u64),
    Comment,
}

impl EventStream {
    /// Open `url`; a non-200 answer is returned as `Err(response)`, read whole.
    pub fn open(
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<std::result::Result<EventStream, HttpResponse>> {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout_read(Duration::from_secs(90))
            .build();
        let mut req = agent.get(url).set("Accept", "text/event-stream");
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let response = match req.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(status, r)) => {
                let headers = r
                    .headers_names()
                    .into_iter()
                    .filter_map(|n| r.header(&n).map(|v| (n.clone(), v.to_string())))
                    .collect();
                let body = r.into_string().unwrap_or_default().into_bytes();
                return Ok(Err(HttpResponse {
                    status,
                    headers,
                    body,
                }));
            }
            Err(e) => return Err(anyhow::Error::new(e).context("opening the event stream")),
        };
        let headers = response
            .headers_names()
            .into_iter()
            .filter_map(|n| response.header(&n).map(|v| (n.clone(), v.to_string())))
            .collect();
        let (tx, rx) = mpsc::channel();
        let reader = BufReader::new(response.into_reader());
        std::thread::spawn(move || read_frames(reader, tx));
        Ok(Ok(EventStream {
            rx,
            retry_ms: None,
            headers,
        }))
    }

    /// The next event within `limit` (comments and `retry:` are skipped); `None` on
    /// timeout or when the stream ended.
    pub fn next(&mut self, limit: Duration) -> Option<SseEvent> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.rx.recv_timeout(left) {
                Ok(Frame::Event(e)) => return Some(e),
                Ok(Frame::Retry(ms)) => self.retry_ms = Some(ms),
                Ok(Frame::Comment) => {}
                Err(_) => return None,
            }
        }
    }

    /// Events until one satisfies `last` (included) or `limit` passes.
    pub fn until(&mut self, limit: Duration, last: impl Fn(&SseEvent) -> bool) -> Vec<SseEvent> {
        crate::events::collect_until(limit, |left| self.next(left), last)
    }

    /// Whether the server closed the stream within `limit`.
    pub fn ends_within(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.rx.recv_timeout(left) {
                Ok(_) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => return true,
                Err(mpsc::RecvTimeoutError::Timeout) => return false,
            }
        }
        false
    }
}

/// Items from `next` (which waits at most the time it is given) until one satisfies
/// `last` (included), `next` returns `None`, or `limit` passes: what every channel's
/// `until` does.
pub fn collect_until<T>(
    limit: Duration,
    mut next: impl FnMut(Duration) -> Option<T>,
    last: impl Fn(&T) -> bool,
) -> Vec<T> {
    let deadline = Instant::now() + limit;
    let mut out = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Some(item) = next(left) else { break };
        let done = last(&item);
        out.push(item);
        if done {
            break;
        }
    }
    out
}

fn read_frames(reader: impl BufRead, tx: mpsc::Sender<Frame>) {
    let (mut id, mut event, mut data): (Option<String>, Option<String>, Vec<String>) =
        (None, None, Vec::new());
    for line in reader.lines() {
        let Ok(line) = line else { return };
        if line.is_empty() {
            if !data.is_empty() {
                let frame = Frame::Event(SseEvent {
                    id: id.take(),
                    event: event.take().unwrap_or_else(|| "message".into()),
                    data: data.join("\n"),
                });
                if tx.send(frame).is_err() {
                    return;
                }
            }
            (id, event, data) = (None, None, Vec::new());
            continue;
        }
        if line.starts_with(':') {
            let _ = tx.send(Frame::Comment);
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
        let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
        match field {
            "id" => id = Some(value),
            "event" => event = Some(value),
            "data" => data.push(value),
            "retry" => {
                if let Ok(ms) = value.parse() {
                    let _ = tx.send(Frame::Retry(ms));
                }
            }
            _ => {}
        }
    }
}
