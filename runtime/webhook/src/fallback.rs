//! Primary URL, then the fallback URL: Twilio's recovery when an application fails.

use std::fmt;

use crate::client::WebhookClient;
use crate::cookies::CookieJar;
use crate::request::{display_url, parse_target_url, Target};
use crate::response::AppResponse;
use crate::signature::Signer;
use crate::Error;

/// A successful answer from [`WebhookClient::fetch_with_fallback`].
#[derive(Debug)]
pub struct Fetched {
    /// The application's answer.
    pub response: AppResponse,
    /// Whether the fallback URL gave it.
    pub from_fallback: bool,
    /// Why the primary URL failed, when the fallback answered (for the call's
    /// notifications and `app.error` event).
    pub primary_error: Option<Error>,
}

/// Neither URL answered.
#[derive(Debug)]
pub struct FetchFailure {
    /// Why the primary URL failed.
    pub primary: Error,
    /// Why the fallback failed; `None` when there is no fallback URL.
    pub fallback: Option<Error>,
}

impl fmt::Display for FetchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "webhook failed: {}", self.primary)?;
        if let Some(fallback) = &self.fallback {
            write!(f, "; fallback failed too: {fallback}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FetchFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.primary)
    }
}

impl WebhookClient {
    /// Fetches `primary`; if that fails in any way, fetches `fallback` with the same
    /// parameters plus `ErrorCode` (the primary failure's Twilio code) and `ErrorUrl`
    /// (the primary URL without credentials), as Twilio does. Each URL gets its own
    /// `response_timeout`. The cookie jar is shared by both.
    pub async fn fetch_with_fallback(
        &self,
        primary: &Target,
        fallback: Option<&Target>,
        params: &[(String, String)],
        signer: &Signer,
        jar: &mut CookieJar,
    ) -> Result<Fetched, FetchFailure> {
        let primary_error = match self.fetch(primary, params, signer, jar).await {
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
        tracing::debug!(error = %primary_error, code = primary_error.twilio_code(), "webhook failed; trying fallback");
        let fallback_params = with_error_params(params, &primary_error, &primary.url);
        match self.fetch(fallback, &fallback_params, signer, jar).await {
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
}

/// `params` with `ErrorCode` and `ErrorUrl` describing `error` at `primary_url`,
/// replacing any earlier pair of those names.
fn with_error_params(
    params: &[(String, String)],
    error: &Error,
    primary_url: &str,
) -> Vec<(String, String)> {
    let error_url = match parse_target_url(primary_url) {
        Ok(url) => display_url(&url),
        // An unparsable URL could still hold credentials; say only that it was invalid.
        Err(_) => String::from("invalid-url"),
    };
    let mut out: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| name != "ErrorCode" && name != "ErrorUrl")
        .cloned()
        .collect();
    out.push(("ErrorCode".into(), error.twilio_code().to_string()));
    out.push(("ErrorUrl".into(), error_url));
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
        let error = Error::HttpStatus {
            url: "https://h/x".into(),
            status: 500,
        };
        let out = with_error_params(&params, &error, "https://u:pw@h/x");
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
