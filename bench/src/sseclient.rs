//! A minimal SSE client over raw TCP, cheap enough that thousands of them do not make
//! the client side the bottleneck: a hand-written HTTP/1.1 GET with Basic auth, a
//! chunked-transfer decoder and an SSE frame splitter. It records, per frame, receive
//! wall time − the event's `t` (unix ns at publication, one clock on one machine).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use memchr::memmem;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::eventsrv::now_ns;

/// What one connection received since it was last drained.
#[derive(Debug, Default)]
pub struct Received {
    /// Latency of each benchmark event, µs.
    pub latency_us: Vec<u32>,
    /// Unix ns of the last read that carried an event.
    pub last_ns: u64,
}

/// One open connection's shared record.
#[derive(Debug, Default)]
pub struct Conn {
    pub rx: Mutex<Received>,
    /// Why the stream ended (EOF, error, `stream.closed`), if it did.
    pub closed: Mutex<Option<String>>,
    /// Benchmark events received in all.
    pub events: AtomicU64,
    /// `events` at the last [`Conn::drain`].
    pub drained: AtomicU64,
}

impl Conn {
    /// Takes what was received so far.
    pub fn drain(&self) -> Received {
        let mut rx = self.rx.lock().unwrap_or_else(|e| e.into_inner());
        self.drained
            .store(self.events.load(Ordering::Relaxed), Ordering::Relaxed);
        std::mem::take(&mut *rx)
    }

    pub fn is_closed(&self) -> bool {
        self.closed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    fn close(&self, why: String) {
        let mut c = self.closed.lock().unwrap_or_else(|e| e.into_inner());
        c.get_or_insert(why);
    }
}

/// Opens `GET /v1/Accounts/{account}/Events{query}` (`query` empty or `?…`) and waits
/// for the 200 header; returns the stream and the body bytes read with the header.
pub async fn open(
    addr: SocketAddr,
    account: &str,
    query: &str,
    basic: &str,
) -> Result<(TcpStream, Vec<u8>, bool)> {
    let mut s = TcpStream::connect(addr).await.context("connect")?;
    s.set_nodelay(true)?;
    let req = format!(
        "GET /v1/Accounts/{account}/Events{query} HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: {basic}\r\nAccept: text/event-stream\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::with_capacity(1024);
    loop {
        if s.read_buf(&mut buf).await? == 0 {
            bail!("connection closed before the response header");
        }
        if let Some(end) = memmem::find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            if !head.starts_with("http/1.1 200") {
                bail!("refused: {}", head.lines().next().unwrap_or(""));
            }
            let chunked = head.contains("transfer-encoding: chunked");
            return Ok((s, buf[end + 4..].to_vec(), chunked));
        }
        if buf.len() > 16 * 1024 {
            bail!("response header too long");
        }
    }
}

/// Reads the stream until it ends, recording into `conn`. `buf` is the read size.
pub async fn run(mut s: TcpStream, first: Vec<u8>, chunked: bool, conn: Arc<Conn>, buf: usize) {
    let mut dechunk = Dechunk::new(chunked);
    let mut sse: Vec<u8> = Vec::new();
    let mut raw: Vec<u8> = first;
    let mut lat: Vec<u32> = Vec::new();
    let t_key = memmem::Finder::new(b"\"t\":\"");
    let closed_key = memmem::Finder::new(b"event: stream.closed");
    loop {
        let now = now_ns();
        if let Err(e) = dechunk.feed(&mut raw, &mut sse) {
            conn.close(e);
            return;
        }
        // Complete frames end with a blank line.
        let mut start = 0;
        while let Some(end) = memchr::memmem::find(&sse[start..], b"\n\n") {
            let frame = &sse[start..start + end];
            if let Some(at) = t_key.find(frame) {
                let digits = &frame[at + 5..];
                let t = digits
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .fold(0u64, |n, c| n * 10 + u64::from(c - b'0'));
                lat.push((now.saturating_sub(t) / 1000).min(u64::from(u32::MAX)) as u32);
            } else if closed_key.find(frame).is_some() {
                conn.close(String::from_utf8_lossy(frame).into_owned());
            }
            start += end + 2;
        }
        sse.drain(..start);
        if !lat.is_empty() {
            let mut rx = conn.rx.lock().unwrap_or_else(|e| e.into_inner());
            conn.events.fetch_add(lat.len() as u64, Ordering::Relaxed);
            rx.latency_us.append(&mut lat);
            rx.last_ns = now;
        }
        if dechunk.ended {
            conn.close("end of body".into());
            return;
        }
        raw.clear();
        raw.reserve(buf);
        match s.read_buf(&mut raw).await {
            Ok(0) => {
                conn.close("EOF".into());
                return;
            }
            Ok(_) => {}
            Err(e) => {
                conn.close(e.to_string());
                return;
            }
        }
    }
}

/// HTTP/1.1 chunked transfer decoding (RFC 9112 §7.1), or a pass-through.
#[derive(Debug)]
struct Dechunk {
    chunked: bool,
    /// Data bytes left in the current chunk; `None` while reading a size line.
    left: Option<usize>,
    /// The CRLF after a chunk's data is still to skip.
    crlf: usize,
    /// An incomplete size line carried over to the next read.
    line: Vec<u8>,
    ended: bool,
}

impl Dechunk {
    fn new(chunked: bool) -> Self {
        Self {
            chunked,
            left: None,
            crlf: 0,
            line: Vec::new(),
            ended: false,
        }
    }

    /// Moves the payload of `raw` into `out`; `raw` is consumed entirely.
    fn feed(&mut self, raw: &mut Vec<u8>, out: &mut Vec<u8>) -> Result<(), String> {
        if !self.chunked {
            out.extend_from_slice(raw);
            raw.clear();
            return Ok(());
        }
        let mut i = 0;
        while i < raw.len() && !self.ended {
            if self.crlf > 0 {
                let n = self.crlf.min(raw.len() - i);
                self.crlf -= n;
                i += n;
                continue;
            }
            match self.left {
                Some(left) => {
                    let n = left.min(raw.len() - i);
                    out.extend_from_slice(&raw[i..i + n]);
                    i += n;
                    if n == left {
                        self.left = None;
                        self.crlf = 2;
                    } else {
                        self.left = Some(left - n);
                    }
                }
                None => match memchr::memchr(b'\n', &raw[i..]) {
                    None => {
                        self.line.extend_from_slice(&raw[i..]);
                        i = raw.len();
                    }
                    Some(nl) => {
                        self.line.extend_from_slice(&raw[i..i + nl]);
                        i += nl + 1;
                        let text = String::from_utf8_lossy(&self.line);
                        let hex = text.trim().split(';').next().unwrap_or("").trim();
                        let size = usize::from_str_radix(hex, 16)
                            .map_err(|_| format!("bad chunk size line {text:?}"))?;
                        self.line.clear();
                        if size == 0 {
                            self.ended = true;
                        } else {
                            self.left = Some(size);
                        }
                    }
                },
            }
        }
        raw.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_split_anywhere_decode_the_same() {
        let body = b"5\r\nhello\r\n7;x=1\r\n, world\r\n0\r\n\r\n";
        for cut in 0..body.len() {
            let mut d = Dechunk::new(true);
            let mut out = Vec::new();
            d.feed(&mut body[..cut].to_vec(), &mut out).unwrap();
            d.feed(&mut body[cut..].to_vec(), &mut out).unwrap();
            assert_eq!(out, b"hello, world", "cut at {cut}");
            assert!(d.ended);
        }
    }
}
