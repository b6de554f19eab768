//! A QUIC client for the node's event channel (ALPN `switchyard-events/1`), on a small
//! tokio runtime of its own so tests stay blocking.
//!
//! It trusts only the certificate the node stored in its data directory (pinned, as a
//! real client would), opens the control stream, sends the `AUTH` line, and reads the
//! node's publication stream on a task that hands lines to the test.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

pub const ALPN: &[u8] = b"switchyard-events/1";
/// The certificate file the node keeps in its data directory.
pub const CERT_FILE: &str = "quic-cert.der";

/// The node's refusal: `ERR <status> <message>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuicRefusal {
    pub status: u16,
    pub message: String,
}

/// An open QUIC event channel.
#[derive(Debug)]
pub struct QuicChannel {
    runtime: tokio::runtime::Runtime,
    connection: quinn::Connection,
    send: quinn::SendStream,
    control: BufReader<quinn::RecvStream>,
    events: mpsc::Receiver<Value>,
}

fn client_config(cert_path: &Path) -> Result<quinn::ClientConfig> {
    let cert = std::fs::read(cert_path)
        .with_context(|| format!("reading the node's certificate {}", cert_path.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(cert))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls)?;
    Ok(quinn::ClientConfig::new(Arc::new(crypto)))
}

impl QuicChannel {
    /// Connect to `addr`, trusting the certificate in `data_dir`, and send `auth` (the
    /// whole first line, e.g. `AUTH /v1/Accounts/AC…/Events?…`). `Err(refusal)` when
    /// the node answers `ERR`.
    pub fn connect(
        addr: SocketAddr,
        data_dir: &Path,
        auth: &str,
    ) -> Result<std::result::Result<QuicChannel, QuicRefusal>> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let config = client_config(&data_dir.join(CERT_FILE))?;
        let opened = runtime.block_on(async {
            let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse()?)?;
            endpoint.set_default_client_config(config);
            let connection = tokio::time::timeout(
                Duration::from_secs(10),
                endpoint.connect(addr, "localhost")?,
            )
            .await
            .context("QUIC handshake timed out")??;
            let (mut send, recv) = connection.open_bi().await?;
            send.write_all(format!("{auth}\n").as_bytes()).await?;
            let mut control = BufReader::new(recv);
            let mut line = String::new();
            let read =
                tokio::time::timeout(Duration::from_secs(10), control.read_line(&mut line)).await;
            let line = match read {
                Ok(Ok(n)) if n > 0 => line.trim_end().to_owned(),
                // The node may close before the line is read: its close carries it too.
                _ => match connection.close_reason() {
                    Some(quinn::ConnectionError::ApplicationClosed(c)) => format!(
                        "ERR {} {}",
                        c.error_code,
                        String::from_utf8_lossy(&c.reason)
                    ),
                    other => bail!("no answer to AUTH: {other:?}"),
                },
            };
            if let Some(rest) = line.strip_prefix("ERR ") {
                let (status, message) = rest.split_once(' ').unwrap_or((rest, ""));
                return Ok(Err(QuicRefusal {
                    status: status.parse().context("ERR status")?,
                    message: message.to_owned(),
                }));
            }
            anyhow::ensure!(line == "OK", "unexpected answer to AUTH: {line:?}");
            Ok(Ok((endpoint, connection, send, control)))
        })?;
        let (endpoint, connection, send, control) = match opened {
            Ok(o) => o,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let (tx, events) = mpsc::channel();
        let conn = connection.clone();
        runtime.spawn(async move {
            // Keeps the endpoint alive as long as the publication stream is read.
            let _endpoint = endpoint;
            let Ok(uni) = conn.accept_uni().await else {
                return;
            };
            let mut lines = BufReader::new(uni).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Ok(Ok(QuicChannel {
            runtime,
            connection,
            send,
            control,
            events,
        }))
    }

    /// Send one control operation (a line of JSON) and read its answer line.
    pub fn op(&mut self, op: &Value) -> Result<Value> {
        let (send, control) = (&mut self.send, &mut self.control);
        self.runtime.block_on(async {
            send.write_all(format!("{op}\n").as_bytes()).await?;
            let mut line = String::new();
            tokio::time::timeout(Duration::from_secs(10), control.read_line(&mut line))
                .await
                .context("no answer to the operation")??;
            Ok(serde_json::from_str(&line)?)
        })
    }

    /// The next event (or `stream.closed`) within `limit`.
    pub fn next(&mut self, limit: Duration) -> Option<Value> {
        self.events.recv_timeout(limit).ok()
    }

    /// Events until one satisfies `last` (included) or `limit` passes.
    pub fn until(&mut self, limit: Duration, last: impl Fn(&Value) -> bool) -> Vec<Value> {
        crate::events::collect_until(limit, |left| self.next(left), last)
    }

    /// Whether the node closed the connection within `limit`.
    pub fn ends_within(&mut self, limit: Duration) -> bool {
        let conn = self.connection.clone();
        self.runtime
            .block_on(async { tokio::time::timeout(limit, conn.closed()).await.is_ok() })
    }
}

impl Drop for QuicChannel {
    fn drop(&mut self) {
        self.connection.close(0u32.into(), b"done");
    }
}
