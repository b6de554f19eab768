//! The HTTP accept loop.
//!
//! Every connection is served by hyper (HTTP/1.1, HTTP/2, WebSocket upgrades) except
//! the one request that lives for hours: `GET /v1/Accounts/{AccountSid}/Events`, a
//! Server-Sent Events stream. hyper keeps an 8 KiB read buffer and an 8 KiB header
//! write buffer for the life of every HTTP/1 connection, which is most of what an idle
//! event stream would cost; so the request line is read here first, and an event
//! stream is answered by [`super::stream_conn`], which keeps no buffer between events.
//! Both paths go through the same axum router, so authorization, routing and the
//! response are the same whichever path serves them.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// How long a new connection may take to send its request line.
const FIRST_LINE_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest request head read here; a longer one goes to hyper, which refuses it.
const MAX_HEAD: usize = 16 * 1024;

/// Accept connections until the runtime stops.
pub async fn serve(listener: TcpListener, app: Router) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // A connection reset before it was accepted concerns that peer alone.
            Err(e) if is_per_connection(&e) => continue,
            // Out of descriptors (EMFILE) or memory: back off instead of spinning.
            Err(e) => {
                tracing::warn!(error = %e, "HTTP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Events and API answers are small writes that must leave at once; Nagle would
        // hold one behind the previous one's ACK.
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, app.clone()));
    }
}

fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    )
}

async fn connection(mut stream: TcpStream, app: Router) {
    let head = match tokio::time::timeout(FIRST_LINE_TIMEOUT, sniff(&mut stream)).await {
        Ok(Ok(Some(head))) => head,
        // Closed, failed or silent before a request line: nothing to answer.
        _ => return,
    };
    if head.event_stream {
        super::stream_conn::serve(stream, head.bytes, app).await;
        return;
    }
    let io = TokioIo::new(Prefixed {
        prefix: Bytes::from(head.bytes),
        inner: stream,
    });
    let service = TowerToHyperService::new(app);
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http2().enable_connect_protocol();
    if let Err(e) = builder.serve_connection_with_upgrades(io, service).await {
        tracing::trace!(error = %e, "HTTP connection ended");
    }
}

/// What was read of a new connection.
#[derive(Debug)]
struct Head {
    bytes: Vec<u8>,
    /// The request line asks for an event stream, and `bytes` holds its whole head.
    event_stream: bool,
}

/// Read until the request line is known; for an event stream, on to the end of the
/// head. `None`: the peer closed first.
async fn sniff(stream: &mut TcpStream) -> io::Result<Option<Head>> {
    use tokio::io::AsyncReadExt;
    let mut bytes = Vec::with_capacity(1024);
    let mut line_done = false;
    loop {
        if bytes.len() >= MAX_HEAD {
            return Ok(Some(Head {
                bytes,
                event_stream: false,
            }));
        }
        if bytes.capacity() == bytes.len() {
            bytes.reserve(bytes.len().min(MAX_HEAD - bytes.len()));
        }
        let n = stream.read_buf(&mut bytes).await?;
        if n == 0 {
            // The peer stopped sending: hyper answers (or ignores) a partial request.
            return Ok((!bytes.is_empty()).then_some(Head {
                bytes,
                event_stream: false,
            }));
        }
        if !line_done {
            let Some(end) = bytes.windows(2).position(|w| w == b"\r\n") else {
                continue;
            };
            line_done = true;
            if !is_event_stream_line(&bytes[..end]) {
                return Ok(Some(Head {
                    bytes,
                    event_stream: false,
                }));
            }
        }
        if bytes.windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(Some(Head {
                bytes,
                event_stream: true,
            }));
        }
    }
}

/// `GET /v1/Accounts/{AccountSid}/Events[?query] HTTP/1.x`.
fn is_event_stream_line(line: &[u8]) -> bool {
    let Ok(line) = std::str::from_utf8(line) else {
        return false;
    };
    let mut words = line.split(' ');
    let (Some("GET"), Some(target), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return false;
    };
    if !version.starts_with("HTTP/1.") {
        return false;
    }
    let path = target.split('?').next().unwrap_or_default();
    let Some(rest) = path.strip_prefix("/v1/Accounts/") else {
        return false;
    };
    matches!(rest.split_once('/'), Some((account, "Events")) if !account.is_empty())
}

/// The connection with the bytes already read put back in front.
#[derive(Debug)]
struct Prefixed {
    prefix: Bytes,
    inner: TcpStream,
}

impl AsyncRead for Prefixed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            buf.put_slice(&self.prefix.split_to(n));
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::is_event_stream_line;

    #[test]
    fn only_the_event_stream_route_is_taken_over() {
        let yes = [
            "GET /v1/Accounts/AC00000000000000000000000000000001/Events HTTP/1.1",
            "GET /v1/Accounts/AC1/Events?sig=abc&types=call.* HTTP/1.0",
        ];
        for line in yes {
            assert!(is_event_stream_line(line.as_bytes()), "{line}");
        }
        let no = [
            "POST /v1/Accounts/AC1/Events HTTP/1.1",
            "GET /v1/Accounts/AC1/Events/ws HTTP/1.1",
            "GET /v1/Accounts/AC1/Events/SignedUrl HTTP/1.1",
            "GET /v1/Accounts//Events HTTP/1.1",
            "GET /v1/Accounts/AC1/Calls/CA1/Events HTTP/1.1",
            "GET /v1/Accounts/AC1/Events HTTP/2.0",
            "PRI * HTTP/2.0",
            "GET /healthz HTTP/1.1",
            "GET /v1/Accounts/AC1/Events",
        ];
        for line in no {
            assert!(!is_event_stream_line(line.as_bytes()), "{line}");
        }
    }
}
