//! Primary URL, then the fallback URL: Twilio's recovery when an application fails.
//!
//! One runner serves every kind of application: [`run_with_fallback`] takes an
//! [`Attempt`] (an HTTP fetch here, a Wasm step in the node), so the rules (what the
//! fallback receives, which failure is reported) live in one place.

use std::fmt;
use std::future::Future;

use crate::client::WebhookClient;
use crate::cookies::CookieJar;
use crate::request::{redact_url, Target};
use crate::response::AppResponse;
use crate::signature::Signer;
use crate::Error;

/// A failure the runner can report to the fallback URL as `ErrorCode`.
pub trait TwilioCoded {
    /// Twilio's error code for this failure (11200, 11205, 12100, …).
    fn twilio_code(&self) -> u32;
}

impl TwilioCoded for Error {
    fn twilio_code(&self) -> u32 {
        Error::twilio_code(self)
    }
}

/// One request to an application, by whatever means it is reached.
pub trait Attempt {
    /// What the application answered.
    type Output;
    /// Why it did not.
    type Failure: TwilioCoded + fmt::Display;
    /// Requests `target` with `params`.
    fn attempt(
        &mut self,
        target: &Target,
        params: &[(String, String)],
    ) -> impl Future<Output = Result<Self::Output, Self::Failure>>;
}

/// A successful answer from [`run_with_fallback`].
#[derive(Debug)]
pub struct Fetched<T = AppResponse, E = Error> {
    /// The application's answer.
    pub response: T,
    /// Whether the fallback URL gave it.
    pub from_fallback: bool,
    /// Why the primary URL failed, when the fallback answered (for the call's
    /// notifications and `app.error` event).
    pub primary_error: Option<E>,
}

/// Neither URL answered.
#[derive(Debug)]
pub struct FetchFailure<E = Error> {
    /// Why the primary URL failed.
    pub primary: E,
    /// Why the fallback failed; `None` when there is no fallback URL.
    pub fallback: Option<E>,
}

impl<E: fmt::Display> fmt::Display for FetchFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "webhook failed: {}", self.primary)?;
        if let Some(fallback) = &self.fallback {
            write!(f, "; fallback failed too: {fallback}")?;
        }
        Ok(())
    }
}

impl<E: std::error::Error + 'static> std::error::Error for FetchFailure<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.primary)
    }
}

/// Requests `primary`; if that fails in any way, requests `fallback` with the same
/// parameters plus `ErrorCode` (the primary failure's Twilio code) and `ErrorUrl` (the
/// primary URL without credentials), as Twilio does.
pub async fn run_with_fallback<A: Attempt>(
    app: &mut A,
    primary: &Target,
    fallback: Option<&Target>,
    params: &[(String, String)],
) -> Result<Fetched<A::Output, A::Failure>, FetchFailure<A::Failure>> {
    let primary_error = match app.attempt(primary, params).await {
        Ok(response) => {
            return Ok(Fetched {
                response,
                from_fallback: false,
                primary_error: None,
            })
        }
        Err(error) => error,
    };
    let Some(fallback) = fallback else {
        return Err(FetchFailure {
            primary: primary_error,
            fallback: None,
        });
    };
    tracing::debug!(error = %primary_error, code = primary_error.twilio_code(), "application failed; trying fallback");
    let fallback_params = with_error_params(params, primary_error.twilio_code(), &primary.url);
    match app.attempt(fallback, &fallback_params).await {
        Ok(response) => Ok(Fetched {
            response,
            from_fallback: true,
            primary_error: Some(primary_error),
        }),
        Err(error) => Err(FetchFailure {
            primary: primary_error,
            fallback: Some(error),
        }),
    }
}

/// A webhook fetch as an [`Attempt`].
struct Http<'a> {
    client: &'a WebhookClient,
    signer: &'a Signer,
    jar: &'a mut CookieJar,
}

impl Attempt for Http<'_> {
    type Output = AppResponse;
    type Failure = Error;
    async fn attempt(
        &mut self,
        target: &Target,
        params: &[(String, String)],
    ) -> Result<AppResponse, Error> {
        self.client
            .fetch(target, params, self.signer, self.jar)
            .await
    }
}

impl WebhookClient {
    /// [`run_with_fallback`] over HTTP. Each URL gets its own `response_timeout`. The
    /// cookie jar is shared by both.
    pub async fn fetch_with_fallback(
        &self,
        primary: &Target,
        fallback: Option<&Target>,
        params: &[(String, String)],
        signer: &Signer,
        jar: &mut CookieJar,
    ) -> Result<Fetched, FetchFailure> {
        let mut http = Http {
            client: self,
            signer,
            jar,
        };
        run_with_fallback(&mut http, primary, fallback, params).await
    }
}

/// `params` with `ErrorCode` and `ErrorUrl` describing a failure with `code` at
/// `primary_url`, replacing any earlier pair of those names.
fn with_error_params(
    params: &[(String, String)],
    code: u32,
    primary_url: &str,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| name != "ErrorCode" && name != "ErrorUrl")
        .cloned()
        .collect();
    out.push(("ErrorCode".into(), code.to_string()));
    out.push(("ErrorUrl".into(), redact_url(primary_url)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_params_replace_earlier_ones_and_hide_credentials() {
        let params = vec![
            ("CallSid".to_string(), "CA1".to_string()),
            ("ErrorCode".to_string(), "1".to_string()),
        ];
        let out = with_error_params(&params, 11200, "https://u:pw@h/x");
        assert_eq!(
            out,
            vec![
                ("CallSid".to_string(), "CA1".to_string()),
                ("ErrorCode".to_string(), "11200".to_string()),
                ("ErrorUrl".to_string(), "https://h/x".to_string()),
            ]
        );
    }
}
