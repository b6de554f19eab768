//! An event-stream connection served without hyper (see [`super::serve`]): parse the
//! head, hand the request to the router, then copy the response body to the socket
//! as HTTP/1.1 chunks, with nothing buffered between events.
//!
//! The connection serves this one response and closes: an event stream ends only when
//! its feed does (expiry, overflow, shutdown) or the client goes away.

use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Version};
use axum::Router;
use futures_util::{FutureExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tower::ServiceExt;

/// A client that takes no bytes for this long is dropped (its queue has overflowed
/// long before, and the feed would only say so).
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The most request headers accepted.
const MAX_HEADERS: usize = 64;

/// The largest non-stream answer (an error's JSON) copied out.
const MAX_PLAIN_BODY: usize = 64 * 1024;

/// Serve the event-stream request whose whole head is `head`.
pub async fn serve(mut stream: TcpStream, head: Vec<u8>, app: Router) {
    let request = match parse(&head) {
        Ok(r) => r,
        Err(why) => {
            let _ = write_plain(&mut stream, Version::HTTP_11, bad_request(why)).await;
            return;
        }
    };
    drop(head);
    let version = request.version();
    let response = match app.oneshot(request).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let streaming = response.status() == StatusCode::OK
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let _ = if streaming {
        write_stream(&mut stream, version, response).await
    } else {
        write_plain(&mut stream, version, response).await
    };
}

/// The request as the router expects it, or why it is malformed (400).
fn parse(head: &[u8]) -> Result<Request<Body>, &'static str> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) | Err(_) => return Err("malformed request head"),
    }
    let version = match parsed.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(parsed.path.ok_or("no request target")?)
        .version(version);
    for h in parsed.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| "bad header name")?;
        let value = HeaderValue::from_bytes(h.value).map_err(|_| "bad header value")?;
        request = request.header(name, value);
    }
    request
        .body(Body::empty())
        .map_err(|_| "bad request target")
}

fn bad_request(why: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(why));
    *r.status_mut() = StatusCode::BAD_REQUEST;
    r
}

/// The status line and headers, ending with the blank line.
fn head_bytes(version: Version, response: &Response<Body>, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let status = response.status();
    let proto = if version == Version::HTTP_10 {
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    };
    out.extend_from_slice(
        format!(
            "{proto} {} {}\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )
        .as_bytes(),
    );
    // The framing is this connection's to state (in `extra`), once.
    let framing = [
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::CONNECTION,
        header::DATE,
    ];
    for (name, value) in response.headers() {
        if framing.contains(name) {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for (name, value) in extra {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    // RFC 9110 §6.6.1: "An origin server with a clock ... MUST generate a Date header
    // field" in its 2xx, 3xx and 4xx responses.
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    out.extend_from_slice(format!("date: {date}\r\n\r\n").as_bytes());
    out
}

/// A whole answer (a refusal before the stream: 401, 403, 404, …), then close.
async fn write_plain(
    stream: &mut TcpStream,
    version: Version,
    response: Response<Body>,
) -> io::Result<()> {
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, MAX_PLAIN_BODY)
        .await
        .unwrap_or_default();
    let response = Response::from_parts(parts, Body::empty());
    let length = body.len().to_string();
    let mut out = head_bytes(
        version,
        &response,
        &[("content-length", &length), ("connection", "close")],
    );
    out.extend_from_slice(&body);
    write_all(stream, &out).await?;
    stream.shutdown().await
}

/// The stream: the head, then every body frame as it comes, as one chunk per write
/// (frames ready together share a write), until the body ends or the client leaves.
async fn write_stream(
    stream: &mut TcpStream,
    version: Version,
    response: Response<Body>,
) -> io::Result<()> {
    // RFC 9112 §7.1: "A recipient MUST be able to parse and decode the chunked transfer
    // coding"; an HTTP/1.0 client cannot, so its stream is delimited by the close.
    let chunked = version != Version::HTTP_10;
    let extra: &[(&str, &str)] = if chunked {
        &[("transfer-encoding", "chunked"), ("connection", "close")]
    } else {
        &[("connection", "close")]
    };
    let (parts, body) = response.into_parts();
    let head = head_bytes(version, &Response::from_parts(parts, Body::empty()), extra);
    write_all(stream, &head).await?;
    drop(head);
    let mut frames = body.into_data_stream();
    loop {
        let first = tokio::select! {
            frame = frames.next() => frame,
            gone = client_gone(stream) => {
                gone?;
                return Ok(());
            }
        };
        let Some(Ok(first)) = first else { break };
        // Frames already waiting go out in the same write; a lone frame (the usual case)
        // is written from where it lies, with no copy. A stream that ended is not polled
        // again (futures' streams may panic if they are).
        let mut ended = false;
        let mut batch = Vec::new();
        loop {
            match frames.next().now_or_never() {
                Some(Some(Ok(more))) => batch.push(more),
                Some(_) => {
                    ended = true;
                    break;
                }
                None => break,
            }
        }
        if batch.is_empty() {
            write_one(stream, first, chunked).await?;
        } else {
            batch.insert(0, first);
            write_all(stream, &encode(&batch, chunked)).await?;
        }
        if ended {
            break;
        }
    }
    if chunked {
        write_all(stream, b"0\r\n\r\n").await?;
    }
    stream.shutdown().await
}

/// Resolves when the client closed its side (or the socket failed). Anything it sends
/// after the request is ignored: this connection carries one response.
async fn client_gone(stream: &TcpStream) -> io::Result<()> {
    let mut scratch = [0u8; 64];
    loop {
        stream.readable().await?;
        match stream.try_read(&mut scratch) {
            Ok(0) => return Ok(()),
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The frames as one chunk (RFC 9112 §7.1: `chunk-size CRLF chunk-data CRLF`).
fn encode(frames: &[Bytes], chunked: bool) -> Vec<u8> {
    let len: usize = frames.iter().map(Bytes::len).sum();
    let mut out = Vec::with_capacity(len + 20);
    let (line, n) = size_line(len);
    if chunked {
        out.extend_from_slice(&line[..n]);
    }
    for f in frames {
        out.extend_from_slice(f);
    }
    if chunked {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// One frame as one chunk, written from where it lies: size line, frame and CRLF in
/// one vectored write.
async fn write_one(stream: &mut TcpStream, frame: Bytes, chunked: bool) -> io::Result<()> {
    let (line, n) = size_line(frame.len());
    let mut parts = [
        io::IoSlice::new(&line[..n]),
        io::IoSlice::new(&frame),
        io::IoSlice::new(b"\r\n"),
    ];
    let parts = if chunked {
        &mut parts[..]
    } else {
        &mut parts[1..2]
    };
    write_all_vectored(stream, parts).await
}

/// `chunk-size CRLF` in hex, on the stack.
fn size_line(len: usize) -> ([u8; 18], usize) {
    use std::io::Write;
    let mut line = [0u8; 18];
    let mut rest = &mut line[..];
    // 16 hex digits and CRLF always fit.
    let _ = write!(rest, "{len:x}\r\n");
    let n = 18 - rest.len();
    (line, n)
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "client stopped reading")
}

async fn write_all(stream: &mut TcpStream, bytes: &[u8]) -> io::Result<()> {
    write_all_vectored(stream, &mut [io::IoSlice::new(bytes)]).await
}

/// Every byte of `parts`, in order, however the socket splits them.
async fn write_all_vectored(
    stream: &mut TcpStream,
    mut parts: &mut [io::IoSlice<'_>],
) -> io::Result<()> {
    let all = async {
        while !parts.is_empty() {
            let n = stream.write_vectored(parts).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            io::IoSlice::advance_slices(&mut parts, n);
        }
        Ok(())
    };
    tokio::time::timeout(WRITE_TIMEOUT, all)
        .await
        .map_err(|_| timed_out())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_ready_together_make_one_chunk() {
        let frames = [
            Bytes::from_static(b"id: 1\n\n"),
            Bytes::from_static(b"x\n\n"),
        ];
        assert_eq!(encode(&frames, true), b"a\r\nid: 1\n\nx\n\n\r\n");
        assert_eq!(encode(&frames, false), b"id: 1\n\nx\n\n");
    }

    #[tokio::test]
    async fn a_frame_larger_than_the_socket_buffer_arrives_whole_and_in_order() {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let reader = tokio::spawn(async move {
            let (mut peer, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            peer.read_to_end(&mut got).await.unwrap();
            got
        });
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // Several MiB: the kernel takes it in several partial writes.
        let frame = Bytes::from((0..6_000_000u32).map(|i| i as u8).collect::<Vec<u8>>());
        write_one(&mut stream, frame.clone(), true).await.unwrap();
        stream.shutdown().await.unwrap();
        assert_eq!(reader.await.unwrap(), encode(&[frame], true));
    }

    #[test]
    fn size_lines_are_lowercase_hex() {
        for len in [0usize, 9, 10, 255, 4096, usize::MAX] {
            let (line, n) = size_line(len);
            assert_eq!(&line[..n], format!("{len:x}\r\n").as_bytes());
        }
    }

    #[test]
    fn the_head_states_its_framing_once() {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("99"));
        h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
        let head = head_bytes(
            Version::HTTP_11,
            &r,
            &[("content-length", "12"), ("connection", "close")],
        );
        let text = String::from_utf8(head).unwrap();
        assert!(text.starts_with("HTTP/1.1 401 Unauthorized\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\n"), "{text}");
        let lines: Vec<&str> = text.trim_end().split("\r\n").skip(1).collect();
        let named = |n: &str| lines.iter().filter(|l| l.starts_with(n)).count();
        assert_eq!(named("content-length: 12"), 1, "{text}");
        assert_eq!(named("content-length"), 1, "{text}");
        assert_eq!(named("connection"), 1, "{text}");
        assert_eq!(named("content-type: application/json"), 1, "{text}");
        assert_eq!(named("date: "), 1, "{text}");
    }

    #[test]
    fn the_head_is_parsed_into_the_request_the_router_sees() {
        let head = b"GET /v1/Accounts/AC1/Events?types=call.* HTTP/1.1\r\n\
                     Host: x\r\nLast-Event-ID: 1:0:5\r\n\r\n";
        let r = parse(head).unwrap();
        assert_eq!(r.uri().path(), "/v1/Accounts/AC1/Events");
        assert_eq!(r.uri().query(), Some("types=call.*"));
        assert_eq!(r.headers()["last-event-id"], "1:0:5");
        assert_eq!(r.version(), Version::HTTP_11);
        assert!(parse(b"GET /x HTTP/1.1\r\nBad Header\r\n\r\n").is_err());
    }
}
