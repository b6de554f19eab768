//! Name resolution for webhook hosts, wrapped so a DNS failure can be told apart from a
//! refused connection (Twilio reports them as 11210 and 11205).

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The system resolver (`getaddrinfo` on tokio's blocking pool), used by
/// [`WebhookClient::new`](crate::WebhookClient::new).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            // Port 0 is a placeholder: the connector puts the URL's port on each address.
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// A resolution failure, recognisable in reqwest's error chain. Internal: it becomes
/// [`Error::BadHostName`](crate::Error::BadHostName) before reaching callers.
#[derive(Debug)]
pub(crate) struct ResolveFailed {
    pub host: String,
    pub message: String,
}

impl std::fmt::Display for ResolveFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot resolve {}: {}", self.host, self.message)
    }
}

impl std::error::Error for ResolveFailed {}

/// Wraps any resolver so its failures (and empty answers) become [`ResolveFailed`].
pub(crate) struct Classifying<R> {
    pub inner: Arc<R>,
}

impl<R: Resolve + 'static> Resolve for Classifying<R> {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let lookup = self.inner.resolve(name);
        Box::pin(async move {
            match lookup.await {
                Ok(addrs) => {
                    let addrs: Vec<SocketAddr> = addrs.collect();
                    if addrs.is_empty() {
                        Err(ResolveFailed {
                            host,
                            message: "no addresses".into(),
                        }
                        .into())
                    } else {
                        Ok(Box::new(addrs.into_iter()) as Addrs)
                    }
                }
                Err(e) => Err(ResolveFailed {
                    host,
                    message: e.to_string(),
                }
                .into()),
            }
        })
    }
}
