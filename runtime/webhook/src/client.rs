//! The HTTP side: one pooled client, the request/redirect loop, the connect retry, the
//! deadline and the body limit. Everything protocol-shaped is in the pure modules; this
//! file owns the sockets and reads the clocks.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::dns::Resolve;
use reqwest::header::{HeaderValue, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use url::Url;

use crate::classify::transport_error;
use crate::cookies::CookieJar;
use crate::request::{
    display_url, follow_redirect, parse_target_url, prepare, HttpMethod, Prepared, Target,
    MAX_REDIRECTS,
};
use crate::resolver::{Classifying, SystemResolver};
use crate::response::{classify, AppResponse};
use crate::signature::Signer;
use crate::Error;

/// Timeouts and limits of webhook requests. `Default` gives Twilio's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Limit for establishing one TCP (and TLS) connection; a failed connection is
    /// retried once. Twilio: 5 s.
    pub connect_timeout: Duration,
    /// Limit for the whole exchange: connection attempts, redirects and the complete
    /// body. Twilio: 15 s, "This includes the TCP connection time".
    pub response_timeout: Duration,
    /// Largest accepted body in bytes. Twilio: 64 kB.
    pub max_body: usize,
    /// `User-Agent` header.
    pub user_agent: String,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(15),
            max_body: 64 * 1024,
            user_agent: format!("Switchyard/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// The webhook client. Cheap to clone: all clones share one connection pool (HTTP/1.1
/// keep-alive, rustls), so every call of the node reuses warm connections.
#[derive(Debug, Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    config: Arc<WebhookConfig>,
}

/// What [`WebhookClient::exchange`] should do with a 2xx body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Read it (within the limit) and classify it.
    Answer,
    /// Status callbacks: Twilio does not read the body; drain what fits, ignore the rest.
    Nothing,
}

impl WebhookClient {
    /// A client resolving names with the system resolver.
    pub fn new(config: WebhookConfig) -> Result<Self, Error> {
        Self::with_resolver(config, Arc::new(SystemResolver))
    }

    /// A client resolving names with `resolver`: lets the node pin or filter the
    /// addresses tenants' URLs may reach, and tests observe connection attempts (each
    /// new connection resolves once).
    pub fn with_resolver<R: Resolve + 'static>(
        config: WebhookConfig,
        resolver: Arc<R>,
    ) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            // Redirects are followed by `exchange`, which re-signs every hop for its own
            // URL and keeps cookies; reqwest's policy would forward stale signatures.
            .redirect(reqwest::redirect::Policy::none())
            .http1_only()
            .dns_resolver(Arc::new(Classifying { inner: resolver }))
            .build()
            .map_err(Error::ClientBuild)?;
        Ok(Self {
            http,
            config: Arc::new(config),
        })
    }

    /// The pooled HTTP client, for other fetchers (the media cache) to share connections.
    pub fn http(&self) -> reqwest::Client {
        self.http.clone()
    }

    /// The limits this client applies.
    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }

    /// Asks the application at `target` what to do next.
    ///
    /// POST sends `params` form-encoded; GET appends them to the URL's query. Each
    /// request carries `X-Twilio-Signature` over the exact URL sent (query included,
    /// `user:pass@` removed and sent as Basic auth instead) and, when the signer has a
    /// key, `X-Switchyard-Signature`. A failed connection is retried once; the whole
    /// exchange must finish within `response_timeout`; redirects (301, 302, 303, 307,
    /// 308) are followed up to [`MAX_REDIRECTS`], each hop signed for its own URL;
    /// `Set-Cookie` answers go into `jar` and its cookies go back to the same host.
    pub async fn fetch(
        &self,
        target: &Target,
        params: &[(String, String)],
        signer: &Signer,
        jar: &mut CookieJar,
    ) -> Result<AppResponse, Error> {
        self.bounded(target, params, signer, jar, Expect::Answer)
            .await
            .map(|answer| answer.unwrap_or(AppResponse::Empty))
    }

    /// Sends a status callback: same signing, redirects and timeouts as
    /// [`fetch`](Self::fetch), no cookies, and any 2xx body is ignored. Errors are
    /// returned for the caller to log; there is no fallback.
    pub async fn notify(
        &self,
        target: &Target,
        params: &[(String, String)],
        signer: &Signer,
    ) -> Result<(), Error> {
        let mut jar = CookieJar::default();
        self.bounded(target, params, signer, &mut jar, Expect::Nothing)
            .await
            .map(|_| ())
    }

    async fn bounded(
        &self,
        target: &Target,
        params: &[(String, String)],
        signer: &Signer,
        jar: &mut CookieJar,
        expect: Expect,
    ) -> Result<Option<AppResponse>, Error> {
        let url = parse_target_url(&target.url)?;
        let limit = self.config.response_timeout;
        let exchange = self.exchange(url.clone(), target.method, params, signer, jar, expect);
        match tokio::time::timeout(limit, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Error::ResponseTimeout {
                url: display_url(&url),
                after: limit,
            }),
        }
    }

    /// The request/redirect loop, without the overall deadline.
    async fn exchange(
        &self,
        first: Url,
        method: HttpMethod,
        params: &[(String, String)],
        signer: &Signer,
        jar: &mut CookieJar,
        expect: Expect,
    ) -> Result<Option<AppResponse>, Error> {
        let first_url = display_url(&first);
        let (mut url, mut method, mut params_in_query) = (first, method, true);
        for hop in 0..=MAX_REDIRECTS {
            let prepared = prepare(&url, method, params, params_in_query, signer, unix_now());
            let sent = prepared.url.to_string();
            let response = self.send_with_retry(&prepared, jar).await?;
            for value in response.headers().get_all(SET_COOKIE) {
                if let Ok(value) = value.to_str() {
                    jar.store(&prepared.url, value, SystemTime::now());
                }
            }
            let status = response.status();
            if status.is_redirection() {
                if hop == MAX_REDIRECTS {
                    break;
                }
                let location = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok());
                let next = follow_redirect(&url, &prepared.url, method, status.as_u16(), location)?;
                tracing::debug!(from = %sent, to = %display_url(&next.url), status = status.as_u16(), "webhook redirect");
                (url, method, params_in_query) = (next.url, next.method, next.params_in_query);
                continue;
            }
            if !status.is_success() {
                return Err(Error::HttpStatus {
                    url: sent,
                    status: status.as_u16(),
                });
            }
            return match expect {
                Expect::Nothing => {
                    drain(response, self.config.max_body).await;
                    Ok(None)
                }
                Expect::Answer => {
                    let content_type = response
                        .headers()
                        .get(CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let body = read_limited(response, self.config.max_body, &sent).await?;
                    classify(&sent, content_type.as_deref(), body).map(Some)
                }
            };
        }
        Err(Error::TooManyRedirects {
            url: first_url,
            limit: MAX_REDIRECTS,
        })
    }

    /// Twilio: "Twilio will try for 10 seconds to establish a TCP connection to your URL
    /// (two 5-second attempts)". Only a connection that was never made is retried: the
    /// server cannot have seen the request, so repeating it is safe.
    async fn send_with_retry(
        &self,
        prepared: &Prepared,
        jar: &CookieJar,
    ) -> Result<reqwest::Response, Error> {
        let url = prepared.url.as_str();
        match self.send_once(prepared, jar).await {
            Ok(response) => Ok(response),
            Err(first) => match transport_error(first, url) {
                Error::Connect { source, .. } => {
                    tracing::debug!(%url, error = %source, "webhook connect failed; retrying once");
                    self.send_once(prepared, jar)
                        .await
                        .map_err(|e| transport_error(e, url))
                }
                other => Err(other),
            },
        }
    }

    async fn send_once(
        &self,
        prepared: &Prepared,
        jar: &CookieJar,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let method = match prepared.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
        };
        let mut request = self
            .http
            .request(method, prepared.url.clone())
            .header("X-Twilio-Signature", &prepared.signatures.twilio);
        if let Some(value) = &prepared.signatures.switchyard {
            request = request.header("X-Switchyard-Signature", value);
        }
        if prepared.method == HttpMethod::Post {
            request = request
                .header(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
                )
                .body(prepared.body.clone());
        }
        if let Some(cookies) = jar.header_for(&prepared.url, SystemTime::now()) {
            // Values come from Set-Cookie headers that were valid header values and
            // control characters were refused, so this only fails on odd bytes; then the
            // cookies are simply not sent.
            if let Ok(value) = HeaderValue::from_str(&cookies) {
                request = request.header(COOKIE, value);
            }
        }
        if let Some((user, password)) = &prepared.basic_auth {
            request = request.basic_auth(user, Some(password));
        }
        request.send().await
    }
}

/// Reads a body, failing as soon as it is known to exceed `limit`, so an application
/// cannot make us buffer more than that.
async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
    url: &str,
) -> Result<Vec<u8>, Error> {
    let too_large = || Error::BodyTooLarge {
        url: url.to_string(),
        limit,
    };
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(e, url))?
    {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads and discards up to `limit` bytes so the connection can go back to the pool;
/// a longer or broken body just closes the connection.
async fn drain(mut response: reqwest::Response, limit: usize) {
    let mut seen = 0usize;
    while let Ok(Some(chunk)) = response.chunk().await {
        seen += chunk.len();
        if seen > limit {
            return;
        }
    }
}

/// Unix seconds for the Switchyard signature's `t=`.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
