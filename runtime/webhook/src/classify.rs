//! Turning reqwest's transport errors into the crate's named failures.

use std::error::Error as StdError;

use crate::resolver::ResolveFailed;
use crate::Error;

/// Names a transport error of a request to `url` (credentials already removed).
///
/// The cause is found by walking the error chain: our resolver's [`ResolveFailed`]
/// means DNS, a rustls error means TLS; otherwise reqwest's own kind says whether the
/// connection was never made (connect) or broke afterwards (retrieval).
pub(crate) fn transport_error(err: reqwest::Error, url: &str) -> Error {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(&err);
    while let Some(e) = cause {
        if let Some(dns) = e.downcast_ref::<ResolveFailed>() {
            return Error::BadHostName {
                host: dns.host.clone(),
                message: dns.message.clone(),
            };
        }
        if let Some(tls) = as_rustls(e) {
            return match tls {
                rustls::Error::InvalidCertificate(cert) => Error::Certificate {
                    url: url.to_string(),
                    reason: cert.clone(),
                },
                other => Error::Tls {
                    url: url.to_string(),
                    source: other.clone(),
                },
            };
        }
        cause = e.source();
    }
    if err.is_connect() {
        Error::Connect {
            url: url.to_string(),
            source: err,
        }
    } else {
        Error::Retrieval {
            url: url.to_string(),
            source: err,
        }
    }
}

/// rustls errors travel inside `std::io::Error`s (sometimes nested two deep), whose
/// `source()` skips the wrapped error itself, so look inside explicitly.
fn as_rustls<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut current: &(dyn StdError + 'static) = e;
    loop {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        current = current.downcast_ref::<std::io::Error>()?.get_ref()?;
    }
}
