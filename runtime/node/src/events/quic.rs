//! QUIC: the events and the control channel of one client on one connection, for
//! servers and native apps (ALPN `switchyard-events/1`, `events.quic_listen`).
//!
//! The client opens one bidirectional stream, the control stream. Its first line is
//! `AUTH <path-and-query>` (a signed URL minted by the API, e.g.
//! `/v1/Accounts/AC…/Events?types=…&expires=…&kid=…&sig=…`) or
//! `AUTH-BASIC <AccountSid> <AuthToken> <path-and-query>`; `last_event_id=` in the
//! query resumes as on SSE. The node answers `OK`, or `ERR <status> <message>` (the
//! status SSE would give: 401 unsigned or expired, 403 tampered, 404 foreign) and
//! closes the connection with the status as its error code. After `OK` the control
//! stream carries newline-delimited JSON operations (see `control`), each answered by
//! one line; the node opens one unidirectional stream, the publication stream, of
//! newline-delimited event JSON, ended by a `{"type":"stream.closed","reason":…}` line
//! at expiry or overflow, after which the node closes the connection. QUIC keep-alives
//! every 15 s stand for the other channels' pings.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::http::{HeaderMap, HeaderValue};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, BufReader};

use super::control::{Control, MAX_MESSAGE};
use super::feed::Feed;
use super::grant::StreamError;
use super::sse::open_feed;
use crate::shared::Shared;

/// The protocol named in the TLS handshake.
pub const ALPN: &[u8] = b"switchyard-events/1";
/// How long a new connection may take to open its control stream and send `AUTH`.
const AUTH_WAIT: Duration = Duration::from_secs(10);
/// How long the node waits for the client to take a last line before closing.
const LINGER: Duration = Duration::from_secs(2);
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Bind `listen` with the data directory's certificate (made on first start) and
/// serve connections until the runtime stops.
pub fn serve(shared: Arc<Shared>, listen: SocketAddr, data_dir: &Path) -> anyhow::Result<()> {
    let mut names = vec!["localhost".to_owned()];
    if !listen.ip().is_unspecified() {
        names.push(listen.ip().to_string());
    }
    let identity = crate::self_signed::load_or_create(data_dir, "quic", names)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(vec![identity.cert], identity.key)
        .context("the QUIC certificate")?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls)?;
    let mut server = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    let mut transport = quinn::TransportConfig::default();
    // One control stream from the client; the publication stream is the node's.
    transport
        .max_concurrent_bidi_streams(1u32.into())
        .max_concurrent_uni_streams(0u32.into())
        .keep_alive_interval(Some(KEEP_ALIVE));
    server.transport_config(Arc::new(transport));
    let endpoint = quinn::Endpoint::server(server, listen)
        .with_context(|| format!("binding QUIC on {listen}"))?;
    tracing::info!(
        quic = %listen,
        cert = %identity.cert_path.display(),
        "QUIC event channel up (pin this certificate)"
    );
    tokio::spawn(async move {
        while let Some(incoming) = endpoint.accept().await {
            tokio::spawn(connection(shared.clone(), incoming));
        }
    });
    Ok(())
}

async fn connection(shared: Arc<Shared>, incoming: quinn::Incoming) {
    let conn = match incoming.await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(error = %e, "QUIC handshake failed");
            return;
        }
    };
    let Ok(Ok((mut send, recv))) = tokio::time::timeout(AUTH_WAIT, conn.accept_bi()).await else {
        conn.close(0u32.into(), b"no control stream");
        return;
    };
    let mut reader = BufReader::new(recv);
    let opened = match tokio::time::timeout(AUTH_WAIT, read_line(&mut reader)).await {
        Ok(Ok(Some(line))) => open(&shared, &line).await,
        Ok(Err(e)) => Err(StreamError::BadRequest(e.to_string())),
        _ => Err(StreamError::BadRequest("expected an AUTH line".into())),
    };
    let (feed, account, may_publish) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            let status = e.status().0.as_u16();
            let message = e.to_string().replace('\n', " ");
            let _ = send
                .write_all(format!("ERR {status} {message}\n").as_bytes())
                .await;
            let _ = send.finish();
            let _ = tokio::time::timeout(LINGER, send.stopped()).await;
            conn.close(u32::from(status).into(), message.as_bytes());
            return;
        }
    };
    if send.write_all(b"OK\n").await.is_err() {
        return;
    }
    let Ok(uni) = conn.open_uni().await else {
        return;
    };
    let control = Control::new(shared, account, feed.subscriptions(), may_publish);
    let publisher = tokio::spawn(publish(conn.clone(), uni, feed));
    let controller = tokio::spawn(async move {
        loop {
            let (answer, go_on) = match read_line(&mut reader).await {
                Ok(Some(line)) => (control.handle(&line), true),
                Ok(None) => return,
                // The stream is out of step (no line end in sight): say why, stop.
                Err(e) => (super::control::refusal("", &e.to_string()), false),
            };
            if send
                .write_all(format!("{answer}\n").as_bytes())
                .await
                .is_err()
                || !go_on
            {
                return;
            }
        }
    });
    // The publisher closes the connection when the feed ends; the client when it is
    // done; idle timeout when it is gone.
    conn.closed().await;
    publisher.abort();
    controller.abort();
}

/// The feed of an `AUTH` line, its account, and whether it may publish.
async fn open(
    shared: &Arc<Shared>,
    line: &str,
) -> Result<(Feed, switchyard_types::AccountSid, bool), StreamError> {
    let mut headers = HeaderMap::new();
    let target = if let Some(rest) = line.strip_prefix("AUTH-BASIC ") {
        let mut parts = rest.splitn(3, ' ');
        let (Some(sid), Some(token), Some(target)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(StreamError::BadRequest(
                "AUTH-BASIC <AccountSid> <AuthToken> <path-and-query>".into(),
            ));
        };
        use base64::Engine as _;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{sid}:{token}"));
        let value = HeaderValue::from_str(&format!("Basic {basic}"))
            .map_err(|_| StreamError::BadRequest("credentials: visible ASCII".into()))?;
        headers.insert(axum::http::header::AUTHORIZATION, value);
        target
    } else if let Some(target) = line.strip_prefix("AUTH ") {
        target
    } else {
        return Err(StreamError::BadRequest(
            "the first line is AUTH <path-and-query> or AUTH-BASIC …".into(),
        ));
    };
    let (path, query) = target.trim().split_once('?').unwrap_or((target.trim(), ""));
    let account = path
        .strip_prefix("/v1/Accounts/")
        .and_then(|p| p.strip_suffix("/Events"))
        .filter(|sid| !sid.is_empty() && !sid.contains('/'))
        .ok_or_else(|| StreamError::NotFound(format!("no event stream at {path}")))?;
    let (grant, feed) = open_feed(shared, &headers, path, account, Some(query)).await?;
    Ok((feed, grant.account, grant.may_publish))
}

/// Events as lines until the feed ends, then the closing line and the close.
async fn publish(conn: quinn::Connection, mut uni: quinn::SendStream, mut feed: Feed) {
    loop {
        match feed.next().await {
            Ok(e) => {
                let line = format!("{}\n", e.json());
                if uni.write_all(line.as_bytes()).await.is_err() {
                    return;
                }
            }
            Err(why) => {
                let reason = why.as_str();
                let last = serde_json::json!({"type": "stream.closed", "reason": reason});
                let _ = uni.write_all(format!("{last}\n").as_bytes()).await;
                let _ = uni.finish();
                let _ = tokio::time::timeout(LINGER, uni.stopped()).await;
                conn.close(0u32.into(), reason.as_bytes());
                return;
            }
        }
    }
}

/// One line without its end (`\n` or `\r\n`); `None` at the end of the stream.
async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = (&mut *r)
        .take(MAX_MESSAGE as u64 + 1)
        .read_until(b'\n', &mut buf)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    } else if buf.len() > MAX_MESSAGE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a line longer than {MAX_MESSAGE} bytes"),
        ));
    }
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "a line not UTF-8"))
}
