//! The crate's one error type and its Twilio error body.
//!
//! Every failure a client can cause has its own variant so the HTTP status, the Twilio
//! error code and the message are decided in one place. The body is Twilio's:
//! `{"code", "message", "more_info", "status"}` — the helper libraries read `code` and
//! `message` from it into their exception.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// What went wrong with a request, as Twilio would report it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Missing or wrong HTTP Basic credentials (Twilio 20003).
    #[error("Authenticate")]
    Unauthenticated,
    /// The resource does not exist or belongs to an account the caller cannot reach
    /// (Twilio 20404); the two are indistinguishable on purpose.
    #[error("The requested resource {0} was not found")]
    NotFound(String),
    /// `POST …/Calls.json` without `To` (Twilio 21201).
    #[error("No 'To' number is specified")]
    MissingTo,
    /// `POST …/Calls.json` without `From` (Twilio 21213).
    #[error("No 'From' number is specified")]
    MissingFrom,
    /// `To` is neither E.164, `sip:` nor `client:` (Twilio 21211).
    #[error("The 'To' number {0} is not a valid phone number, SIP URI or client identifier")]
    InvalidTo(String),
    /// `From` is not a valid caller id (Twilio 21212).
    #[error("The 'From' number {0} is not a valid phone number or client identifier")]
    InvalidFrom(String),
    /// A URL parameter is not an absolute http(s) URL (Twilio 21205).
    #[error("{param} is not a valid URL: {value}")]
    InvalidUrl {
        /// The parameter's Twilio name (`Url`, `VoiceUrl`, …).
        param: &'static str,
        /// What the client sent.
        value: String,
    },
    /// `Timeout` outside 1..=600 (Twilio 21208).
    #[error("Timeout must be a whole number of seconds from 1 to 600, got {0:?}")]
    InvalidTimeout(String),
    /// The update does not apply to a call in this state (Twilio 21220).
    #[error("Call is {status}; {action} is not possible")]
    InvalidCallState {
        /// The call's current status.
        status: String,
        /// What was asked (`redirect`, `hang up`, `cancel`).
        action: &'static str,
    },
    /// The account is suspended or closed and may not start calls (Twilio 10001).
    #[error("Account {0} is not active (suspended or closed): it cannot create calls")]
    AccountNotActive(String),
    /// `PhoneNumber` is not E.164 (Twilio 21421).
    #[error("PhoneNumber {0:?} is invalid: expected E.164 such as +15550001111")]
    InvalidPhoneNumber(String),
    /// The number already belongs to another account (Twilio 21422).
    #[error("PhoneNumber {0} is not available")]
    PhoneNumberUnavailable(String),
    /// Any other parameter with a bad value; the message names the parameter
    /// (Twilio's generic 400 "Bad Request").
    #[error("{name}: {reason}")]
    InvalidParameter {
        /// The parameter's Twilio name.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A closed account stays closed (HTTP 409: the request is well formed, the
    /// account's state forbids it).
    #[error("Account {0} is closed; a closed account cannot be reopened")]
    AccountClosed(String),
    /// The caller may see the resource but not do this to it (Twilio 20403).
    #[error("{0}")]
    Forbidden(String),
    /// The call queue refused the call (Twilio 20429).
    #[error("{0}")]
    TooManyRequests(String),
    /// The recording's status forbids this: only a finished one is deleted, only an
    /// unfinished one is paused, resumed or stopped (HTTP 409, Twilio 20409).
    #[error("Recording is {status}; {action} is not possible")]
    InvalidRecordingState {
        /// The recording's current status.
        status: &'static str,
        /// What was asked.
        action: &'static str,
    },
    /// The node does not offer this (HTTP 501).
    #[error("{0} is not implemented by this node")]
    NotImplemented(&'static str),
    /// The store failed (Twilio 20500); details go to the log, not the client.
    #[error("store: {0}")]
    Store(#[from] switchyard_store::Error),
    /// The call control failed for a reason of its own (Twilio 20500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Twilio's error code for this failure.
    pub fn code(&self) -> u32 {
        match self {
            Self::Unauthenticated => 20003,
            Self::NotFound(_) => 20404,
            Self::MissingTo => 21201,
            Self::MissingFrom => 21213,
            Self::InvalidTo(_) => 21211,
            Self::InvalidFrom(_) => 21212,
            Self::InvalidUrl { .. } => 21205,
            Self::InvalidTimeout(_) => 21208,
            Self::InvalidCallState { .. } => 21220,
            Self::AccountClosed(_) | Self::InvalidRecordingState { .. } => 20409,
            Self::NotImplemented(_) => 501,
            Self::AccountNotActive(_) => 10001,
            Self::InvalidPhoneNumber(_) => 21421,
            Self::PhoneNumberUnavailable(_) => 21422,
            Self::InvalidParameter { .. } => 400,
            Self::Forbidden(_) => 20403,
            Self::TooManyRequests(_) => 20429,
            Self::Store(_) | Self::Internal(_) => 20500,
        }
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::AccountNotActive(_) | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            // Twilio answers these 400; 409 says more precisely that the request was fine
            // but the resource's current state forbids it (and clients retry neither).
            Self::InvalidCallState { .. }
            | Self::PhoneNumberUnavailable(_)
            | Self::AccountClosed(_)
            | Self::InvalidRecordingState { .. } => StatusCode::CONFLICT,
            Self::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Shorthand for [`Error::InvalidParameter`].
    pub fn param(name: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            // The store's text may name tables or paths: log it, do not show it.
            Self::Store(e) => {
                tracing::error!(error = %e, "store failure behind an API request");
                "Internal Server Error".to_owned()
            }
            other => other.to_string(),
        };
        let code = self.code();
        let body = json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        });
        let mut response = (status, Json(body)).into_response();
        if matches!(self, Self::Unauthenticated) {
            // RFC 9110 §11.6.1: "A server generating a 401 (Unauthorized) response MUST
            // send a WWW-Authenticate header field containing at least one challenge
            // applicable to the target resource."
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Twilio API\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes_follow_twilio() {
        assert_eq!(Error::Unauthenticated.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(Error::Unauthenticated.code(), 20003);
        assert_eq!(Error::NotFound("x".into()).status(), StatusCode::NOT_FOUND);
        assert_eq!(Error::NotFound("x".into()).code(), 20404);
        assert_eq!(Error::MissingTo.code(), 21201);
        assert_eq!(
            Error::InvalidTimeout("0".into()).status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            Error::AccountNotActive("AC".into()).status(),
            StatusCode::FORBIDDEN
        );
    }

    #[test]
    fn unauthenticated_response_carries_a_basic_challenge() {
        let response = Error::Unauthenticated.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Basic realm=\"Twilio API\""
        );
    }

    #[test]
    fn parameter_errors_name_the_parameter() {
        let e = Error::param("PageSize", "must be from 1 to 1000");
        assert!(e.to_string().starts_with("PageSize:"));
    }
}
