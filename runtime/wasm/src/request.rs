//! The host's view of a call step's request, and its conversion to the WIT record.

use crate::bindings::wit;
use crate::error::StepError;

/// One step's request, with Twilio's parameters; the node fills it as it would
/// the form of a webhook request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallRequest {
    /// `CallSid`.
    pub call_sid: String,
    /// `AccountSid`.
    pub account_sid: String,
    /// `From`.
    pub from: String,
    /// `To`.
    pub to: String,
    /// `CallStatus`, Twilio's spelling (`in-progress`, `no-answer` …).
    pub call_status: String,
    /// `Direction`: `inbound`, `outbound-api` (or `outbound-dial`).
    pub direction: String,
    /// The app path this step is for (`/` first).
    pub path: String,
    /// `Digits`.
    pub digits: Option<String>,
    /// `FinishedOnKey`.
    pub finished_on_key: Option<String>,
    /// `ErrorCode` when this app is a fallback.
    pub error_code: Option<u32>,
    /// `ErrorUrl` when this app is a fallback.
    pub error_url: Option<String>,
    /// Every parameter by Twilio's names.
    pub params: Vec<(String, String)>,
}

impl CallRequest {
    pub(crate) fn to_wit(&self) -> Result<wit::CallRequest, StepError> {
        Ok(wit::CallRequest {
            call_sid: self.call_sid.clone(),
            account_sid: self.account_sid.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            call_status: call_status(&self.call_status)?,
            direction: direction(&self.direction)?,
            api_version: "2010-04-01".to_owned(),
            path: self.path.clone(),
            digits: self.digits.clone(),
            finished_on_key: self.finished_on_key.clone(),
            error_code: self.error_code,
            error_url: self.error_url.clone(),
            params: self.params.clone(),
        })
    }
}

fn call_status(s: &str) -> Result<wit::CallStatus, StepError> {
    use wit::CallStatus as S;
    Ok(match s {
        "queued" => S::Queued,
        "ringing" => S::Ringing,
        "in-progress" => S::InProgress,
        "completed" => S::Completed,
        "busy" => S::Busy,
        "failed" => S::Failed,
        "no-answer" => S::NoAnswer,
        "canceled" => S::Canceled,
        other => return Err(StepError::Request(format!("unknown CallStatus {other:?}"))),
    })
}

fn direction(s: &str) -> Result<wit::Direction, StepError> {
    Ok(match s {
        "inbound" => wit::Direction::Inbound,
        // The WIT enum (append-only, 0.1.0) has no `outbound-dial`: a dialled leg
        // was placed by the node, the closest case; `params` keeps the exact value.
        "outbound-api" | "outbound-dial" => wit::Direction::OutboundApi,
        other => return Err(StepError::Request(format!("unknown Direction {other:?}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_twilio_spellings_and_rejects_unknown_ones() {
        let mut req = CallRequest {
            call_status: "no-answer".into(),
            direction: "outbound-api".into(),
            digits: Some("12".into()),
            ..CallRequest::default()
        };
        let wit = req.to_wit().unwrap();
        assert!(matches!(wit.call_status, wit::CallStatus::NoAnswer));
        assert!(matches!(wit.direction, wit::Direction::OutboundApi));
        assert_eq!(wit.api_version, "2010-04-01");
        assert_eq!(wit.digits.as_deref(), Some("12"));
        req.call_status = "in_progress".into();
        assert!(matches!(req.to_wit(), Err(StepError::Request(m)) if m.contains("in_progress")));
    }
}
