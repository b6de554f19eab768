//! Opening a stream's WebSocket: TCP (within the connect timeout), TLS for `wss://`
//! with the webpki roots, and the upgrade request signed like a webhook
//! (`X-Twilio-Signature` over the URL, as for a GET).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use switchyard_call::AppFailure;
use switchyard_streams::{codes, MAX_MESSAGE};
use switchyard_webhook::Signer;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::WebSocketStream;

/// Twilio's connect timeout for a stream's server: TCP, TLS and the upgrade together.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A TCP or TLS connection.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub type Socket = WebSocketStream<Box<dyn Io>>;

/// Connects to `url` (checked by the executor: `wss://`, or `ws://` to loopback).
pub async fn connect(url: &str, signer: &Signer) -> Result<Socket, AppFailure> {
    match tokio::time::timeout(CONNECT_TIMEOUT, open(url, signer)).await {
        Ok(result) => result,
        Err(_) => Err(AppFailure {
            code: codes::CONNECTION_TIMEOUT,
            message: format!(
                "no WebSocket connection to {url} within {} s",
                CONNECT_TIMEOUT.as_secs()
            ),
        }),
    }
}

async fn open(url: &str, signer: &Signer) -> Result<Socket, AppFailure> {
    let failed = |code, why: String| AppFailure {
        code,
        message: format!("WebSocket to {url}: {why}"),
    };
    let parsed = url::Url::parse(url).map_err(|e| failed(codes::HANDSHAKE, e.to_string()))?;
    let host = parsed.host_str().unwrap_or_default().to_owned();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let tcp = TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| failed(codes::CONNECTION_TIMEOUT, e.to_string()))?;
    let _ = tcp.set_nodelay(true);
    let io: Box<dyn Io> = if parsed.scheme() == "wss" {
        let name =
            rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
                .map_err(|e| failed(codes::HANDSHAKE, e.to_string()))?;
        let tls = tokio_rustls::TlsConnector::from(tls_config())
            .connect(name, tcp)
            .await
            .map_err(|e| failed(codes::HANDSHAKE, format!("TLS: {e}")))?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let mut request = url
        .into_client_request()
        .map_err(|e| failed(codes::HANDSHAKE, e.to_string()))?;
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let signature = signer.sign(url, &[], b"", unix);
    let headers = request.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&signature.twilio) {
        headers.insert("X-Twilio-Signature", v);
    }
    if let Some(v) = signature
        .switchyard
        .and_then(|s| HeaderValue::from_str(&s).ok())
    {
        headers.insert("X-Switchyard-Signature", v);
    }
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE + 1024))
        .max_frame_size(Some(MAX_MESSAGE + 1024));
    let (socket, _) = tokio_tungstenite::client_async_with_config(request, io, Some(config))
        .await
        .map_err(|e| failed(codes::HANDSHAKE, e.to_string()))?;
    Ok(socket)
}

/// Outbound TLS for streams: the webpki roots, ring, TLS 1.2 and 1.3.
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            Arc::new(
                rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .expect("ring supports the default TLS versions")
                    .with_root_certificates(roots)
                    .with_no_client_auth(),
            )
        })
        .clone()
}
