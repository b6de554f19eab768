//! SIP over TLS (RFC 3261 §26.2, RFC 5630): the listener, with the configured
//! certificate or the node's self-signed one, and outbound connections verified against
//! the webpki roots or the configured CA file. Connections are [`Connections`], shared
//! with TCP.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use switchyard_sip::Transport;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::stream::{Connections, Inbound};
use crate::config::SipSection;

/// How long a peer may take over its TLS handshake before we drop the connection.
const HANDSHAKE: Duration = Duration::from_secs(10);

pub(super) struct TlsTransport {
    connections: Connections,
    connector: TlsConnector,
}

impl TlsTransport {
    /// Listen on `listener` with the configured or self-signed certificate.
    pub fn start(
        listener: TcpListener,
        sip: &SipSection,
        data_dir: &Path,
        inbound: Inbound,
    ) -> anyhow::Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (chain, key) = identity(sip, data_dir)?;
        let server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .context("the SIP TLS certificate")?;
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots(sip.tls_ca_file.as_deref())?)
            .with_no_client_auth();
        let acceptor = TlsAcceptor::from(Arc::new(server));
        let connections = Connections::new(Transport::Tls, inbound);
        let c = connections.clone();
        super::stream::accept_loop(listener, Transport::Tls, move |stream, peer| {
            let (acceptor, c) = (acceptor.clone(), c.clone());
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => c.accepted(tls, peer),
                    Ok(Err(e)) => tracing::debug!(error = %e, %peer, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                }
            });
        });
        Ok(Self {
            connections,
            connector: TlsConnector::from(Arc::new(client)),
        })
    }

    /// Send over the connection to `peer`, opening one if there is none. The peer's
    /// certificate must name its IP address (RFC 5922 §7.1 matches the host the
    /// request was sent to, here the resolved address).
    pub fn send(&self, peer: SocketAddr, bytes: Vec<u8>) {
        let connector = self.connector.clone();
        self.connections.send(peer, bytes, move || async move {
            let tcp = TcpStream::connect(peer).await?;
            let _ = tcp.set_nodelay(true);
            let name = ServerName::IpAddress(peer.ip().into());
            tokio::time::timeout(HANDSHAKE, connector.connect(name, tcp))
                .await
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
        });
    }
}

/// The listener's certificate chain and key: the configured PEM files, else the node's
/// self-signed certificate (made at first start, kept in the data directory).
fn identity(
    sip: &SipSection,
    data_dir: &Path,
) -> anyhow::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    match (&sip.tls_cert, &sip.tls_key) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .with_context(|| format!("reading {}", cert.display()))?
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("reading {}", cert.display()))?;
            let key = PrivateKeyDer::from_pem_file(key)
                .with_context(|| format!("reading {}", key.display()))?;
            Ok((chain, key))
        }
        (None, None) => {
            let addr = sip.tls_addr();
            let mut names = vec!["localhost".to_owned()];
            for ip in [Some(addr.ip()), sip.public_address].into_iter().flatten() {
                if !ip.is_unspecified() {
                    names.push(ip.to_string());
                }
            }
            let id = crate::self_signed::load_or_create(data_dir, "sip-tls", names)?;
            tracing::info!(cert = %id.cert_path.display(), "SIP TLS uses the node's self-signed certificate");
            Ok((vec![id.cert], id.key))
        }
        _ => anyhow::bail!("[sip] tls_cert and tls_key go together"),
    }
}

/// The CAs outbound TLS trusts.
fn roots(ca_file: Option<&Path>) -> anyhow::Result<rustls::RootCertStore> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            for cert in CertificateDer::pem_file_iter(path)
                .with_context(|| format!("reading {}", path.display()))?
            {
                roots
                    .add(cert.with_context(|| format!("reading {}", path.display()))?)
                    .with_context(|| format!("a certificate in {}", path.display()))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(roots)
}
