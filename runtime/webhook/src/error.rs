//! The crate's one error type, with its mapping to Twilio's error dictionary.

use std::time::Duration;

/// Everything that can go wrong while asking a tenant's application what to do, or while
/// checking a Switchyard signature.
///
/// Each webhook failure maps to the code Twilio's error dictionary gives it
/// ([`Error::twilio_code`]); that code is what the fallback URL receives as `ErrorCode`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configured URL does not parse, or is not `http`/`https`.
    #[error("invalid webhook URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as configured.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The host name did not resolve.
    #[error("cannot resolve host {host:?}: {message}")]
    BadHostName {
        /// The host that failed to resolve.
        host: String,
        /// The resolver's explanation.
        message: String,
    },
    /// No TCP connection could be made (refused, unreachable, or the connect timeout
    /// expired), after the one retry.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL requested (userinfo removed).
        url: String,
        /// The transport error of the last attempt.
        #[source]
        source: reqwest::Error,
    },
    /// The TLS handshake failed for a reason other than the server's certificate.
    #[error("TLS handshake with {url} failed: {source}")]
    Tls {
        /// The URL requested.
        url: String,
        /// rustls' reason.
        #[source]
        source: rustls::Error,
    },
    /// The server's certificate was refused.
    #[error("certificate of {url} refused: {reason}")]
    Certificate {
        /// The URL requested.
        url: String,
        /// rustls' certificate verdict (not an `std::error::Error` itself).
        reason: rustls::CertificateError,
    },
    /// The whole exchange (connection, redirects and body) took longer than the
    /// response timeout.
    #[error("no complete response from {url} within {after:?}")]
    ResponseTimeout {
        /// The URL requested last.
        url: String,
        /// The deadline that expired.
        after: Duration,
    },
    /// The server answered with a status that is neither 2xx nor a followed redirect.
    #[error("{url} answered HTTP {status}")]
    HttpStatus {
        /// The URL requested.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The connection failed after it was made: the server closed it early, sent
    /// something that is not HTTP, or the body stopped half way.
    #[error("request to {url} failed: {source}")]
    Retrieval {
        /// The URL requested.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The response body is larger than the configured limit.
    #[error("response body from {url} is over {limit} bytes")]
    BodyTooLarge {
        /// The URL requested.
        url: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// A 2xx response with a body but no `Content-Type`.
    #[error("response from {url} has a body but no Content-Type")]
    MissingContentType {
        /// The URL requested.
        url: String,
    },
    /// A 2xx response whose `Content-Type` is not one an application may answer with.
    #[error("response from {url} has unsupported Content-Type {content_type:?}")]
    InvalidContentType {
        /// The URL requested.
        url: String,
        /// The header value received.
        content_type: String,
    },
    /// A TwiML or text answer that is not valid UTF-8.
    #[error("response from {url} is not valid UTF-8")]
    InvalidEncoding {
        /// The URL requested.
        url: String,
    },
    /// The server redirected more times than the client follows.
    #[error("too many redirects (more than {limit}) starting at {url}")]
    TooManyRedirects {
        /// The URL first requested.
        url: String,
        /// How many redirects are followed.
        limit: usize,
    },
    /// A 3xx answer the client cannot follow (no or bad `Location`, or a 3xx code that is
    /// not a redirect).
    #[error("invalid redirect from {url} (HTTP {status}): {reason}")]
    InvalidRedirect {
        /// The URL that answered the redirect.
        url: String,
        /// Its status code.
        status: u16,
        /// What is wrong with it.
        reason: String,
    },
    /// The reqwest client could not be built (e.g. no TLS roots).
    #[error("cannot build the HTTP client: {0}")]
    ClientBuild(#[source] reqwest::Error),
    /// An `X-Switchyard-Signature` value that does not follow `t=<unix>,v1=<hex>`.
    #[error("malformed X-Switchyard-Signature header: {0}")]
    MalformedSignatureHeader(String),
    /// An `X-Switchyard-Signature` whose timestamp is outside the accepted window
    /// (a replay, or a badly wrong clock).
    #[error("signature timestamp {timestamp} is more than {tolerance_s} s away from now ({now})")]
    StaleSignature {
        /// The `t=` of the header.
        timestamp: u64,
        /// The verifier's clock.
        now: u64,
        /// The accepted distance in seconds.
        tolerance_s: u64,
    },
    /// No `v1=` of the header matches the request under the given secret.
    #[error("X-Switchyard-Signature does not match the request")]
    SignatureMismatch,
}

impl Error {
    /// The code from Twilio's error dictionary that describes this failure; sent to the
    /// fallback URL as `ErrorCode`.
    ///
    /// - 11100 invalid URL format;
    /// - 11200 HTTP retrieval failure: non-2xx status, a connection that breaks after it
    ///   was made, a body that cannot be read, a body without `Content-Type` (Twilio lists
    ///   "No Content-Type header attached to response" under 11200);
    /// - 11205 HTTP connection failure: refused, unreachable, connect timeout, and also
    ///   the 15 s response timeout, because Twilio's dictionary entry for 11205 covers
    ///   both of its timers ("If either of those timers expire, we fail the request");
    /// - 11210 HTTP bad host name (DNS);
    /// - 11215 HTTP too many redirects; 11216 HTTP invalid redirect;
    /// - 11220 SSL/TLS handshake error; 11235 certificate domain mismatch; 11236
    ///   certificate expired; 11237 certificate chain not trusted;
    /// - 11750 TwiML response body too large (Twilio's limit is 64 kB);
    /// - 12100 document parse failure (an answer that is not UTF-8);
    /// - 12300 invalid Content-Type.
    ///
    /// The signature-verification and client-construction variants never come out of a
    /// fetch and have no dictionary entry: they return 0.
    pub fn twilio_code(&self) -> u32 {
        match self {
            Error::InvalidUrl { .. } => 11100,
            Error::HttpStatus { .. }
            | Error::Retrieval { .. }
            | Error::MissingContentType { .. } => 11200,
            Error::Connect { .. } | Error::ResponseTimeout { .. } => 11205,
            Error::BadHostName { .. } => 11210,
            Error::TooManyRedirects { .. } => 11215,
            Error::InvalidRedirect { .. } => 11216,
            Error::Tls { .. } => 11220,
            Error::Certificate { reason, .. } => certificate_code(reason),
            Error::BodyTooLarge { .. } => 11750,
            Error::InvalidEncoding { .. } => 12100,
            Error::InvalidContentType { .. } => 12300,
            Error::ClientBuild(_)
            | Error::MalformedSignatureHeader(_)
            | Error::StaleSignature { .. }
            | Error::SignatureMismatch => 0,
        }
    }
}

/// Twilio distinguishes three certificate verdicts; everything else is a handshake error.
fn certificate_code(err: &rustls::CertificateError) -> u32 {
    use rustls::CertificateError as C;
    match err {
        C::NotValidForName | C::NotValidForNameContext { .. } => 11235,
        C::Expired | C::ExpiredContext { .. } => 11236,
        C::UnknownIssuer => 11237,
        _ => 11220,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_twilio_dictionary() {
        let url = || "http://example.test/".to_string();
        assert_eq!(
            Error::HttpStatus {
                url: url(),
                status: 500
            }
            .twilio_code(),
            11200
        );
        assert_eq!(
            Error::ResponseTimeout {
                url: url(),
                after: Duration::from_secs(15)
            }
            .twilio_code(),
            11205
        );
        assert_eq!(
            Error::BadHostName {
                host: "x".into(),
                message: String::new()
            }
            .twilio_code(),
            11210
        );
        assert_eq!(
            Error::BodyTooLarge {
                url: url(),
                limit: 65536
            }
            .twilio_code(),
            11750
        );
        assert_eq!(
            Error::InvalidContentType {
                url: url(),
                content_type: "a/b".into()
            }
            .twilio_code(),
            12300
        );
        assert_eq!(
            Error::Certificate {
                url: url(),
                reason: rustls::CertificateError::Expired
            }
            .twilio_code(),
            11236
        );
        assert_eq!(
            Error::Certificate {
                url: url(),
                reason: rustls::CertificateError::BadEncoding
            }
            .twilio_code(),
            11220
        );
    }
}
