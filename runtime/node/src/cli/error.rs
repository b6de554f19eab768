//! The CLI's one error type, and which exit status each failure maps to.

/// What can go wrong while running a subcommand against the REST API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API answered with a Twilio error body (`{code, message, more_info, status}`).
    #[error("{code} {message} (HTTP {status}{})", more_info.as_deref().map(|m| format!(", {m}")).unwrap_or_default())]
    Api {
        /// The HTTP status of the response.
        status: u16,
        /// Twilio's error code (`20003`, `21421`, …).
        code: u64,
        /// The API's human-readable message.
        message: String,
        /// The documentation link the API gave, if any.
        more_info: Option<String>,
    },
    /// The API answered with an error status but not with a Twilio error body (a proxy,
    /// or not a Switchyard node at all).
    #[error("HTTP {status} from {url}: {body}")]
    Http {
        /// The URL that was requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body, for the operator to recognise what answered.
        body: String,
    },
    /// A success response whose body is not the JSON the API promises.
    #[error("unexpected response from {url}: {reason}")]
    BadResponse {
        /// The URL that was requested.
        url: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The node could not be reached at all (refused, unresolvable, timed out).
    #[error("cannot reach the Switchyard API at {url}: {reason} (is the node running? set --api or SWITCHYARD_API)")]
    Unreachable {
        /// The API base URL (what the operator passed as `--api`).
        url: String,
        /// The innermost transport error (e.g. "Connection refused"): reqwest's own
        /// message only says that sending failed.
        reason: String,
    },
    /// `--api` is not an absolute http(s) URL.
    #[error("--api {0:?} is not an http:// or https:// URL")]
    InvalidApiUrl(String),
    /// A credential is neither given as a flag nor in the environment.
    #[error("missing {flag} (or the environment variable {env})")]
    MissingCredential {
        /// The flag's name.
        flag: &'static str,
        /// The environment variable that may carry it instead.
        env: &'static str,
    },
    /// A phone number given instead of a SID matches no number of the account.
    #[error("no phone number {0} in this account")]
    NoSuchNumber(String),
}

impl Error {
    /// [`Error::Unreachable`] for `url`, described by the deepest cause of `error`.
    pub fn unreachable(url: &str, error: &(dyn std::error::Error + 'static)) -> Self {
        let mut cause = error;
        while let Some(next) = cause.source() {
            cause = next;
        }
        Self::Unreachable {
            url: url.to_owned(),
            reason: cause.to_string(),
        }
    }

    /// The process exit status: 2 when the API could not be reached (so scripts can tell
    /// "node down" from "request refused"), 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Unreachable { .. } => 2,
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_show_code_and_message_and_exit_1() {
        let e = Error::Api {
            status: 401,
            code: 20003,
            message: "Authenticate".into(),
            more_info: Some("https://www.twilio.com/docs/errors/20003".into()),
        };
        assert_eq!(
            e.to_string(),
            "20003 Authenticate (HTTP 401, https://www.twilio.com/docs/errors/20003)"
        );
        assert_eq!(e.exit_code(), 1);
        assert_eq!(Error::NoSuchNumber("+1555".into()).exit_code(), 1);
    }
}
