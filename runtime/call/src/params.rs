//! Twilio's call request parameters.
//!
//! Every request to an application carries these, with Twilio's names exactly, so that an
//! existing Twilio app reads them unchanged.

use switchyard_types::{AccountSid, CallSid, CallStatus};

/// The API version Twilio sends in `ApiVersion`.
pub const API_VERSION: &str = "2010-04-01";

/// Whether the call came in or was placed by the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    OutboundApi,
    /// A leg placed by `<Dial>`.
    OutboundDial,
}

impl Direction {
    /// Twilio's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::OutboundApi => "outbound-api",
            Self::OutboundDial => "outbound-dial",
        }
    }
}

/// What stays the same for every request of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallInfo {
    pub call_sid: CallSid,
    pub account_sid: AccountSid,
    pub from: String,
    pub to: String,
    pub direction: Direction,
    /// The call whose `<Dial>` placed this one (`ParentCallSid`).
    pub parent_call_sid: Option<CallSid>,
}

impl CallInfo {
    /// The parameters of a request made while the call has `status`, followed by `extra`
    /// (what the last verb produced, e.g. `Digits`).
    pub fn request_params(
        &self,
        status: CallStatus,
        extra: &[(String, String)],
    ) -> Vec<(String, String)> {
        let mut p = vec![
            ("CallSid".to_owned(), self.call_sid.to_string()),
            ("AccountSid".to_owned(), self.account_sid.to_string()),
            ("From".to_owned(), self.from.clone()),
            ("To".to_owned(), self.to.clone()),
            ("Called".to_owned(), self.to.clone()),
            ("Caller".to_owned(), self.from.clone()),
            ("CallStatus".to_owned(), status.as_str().to_owned()),
            ("Direction".to_owned(), self.direction.as_str().to_owned()),
            ("ApiVersion".to_owned(), API_VERSION.to_owned()),
        ];
        if let Some(parent) = self.parent_call_sid {
            p.push(("ParentCallSid".to_owned(), parent.to_string()));
        }
        p.extend(extra.iter().cloned());
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carries_twilio_names_then_extras() {
        let info = CallInfo {
            call_sid: CallSid::random(),
            account_sid: AccountSid::random(),
            from: "+14158675309".into(),
            to: "+15550001111".into(),
            direction: Direction::Inbound,
            parent_call_sid: None,
        };
        let p = info.request_params(
            CallStatus::InProgress,
            &[("Digits".to_owned(), "1".to_owned())],
        );
        let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("CallStatus"), Some("in-progress"));
        assert_eq!(get("Called"), Some("+15550001111"));
        assert_eq!(get("Caller"), Some("+14158675309"));
        assert_eq!(get("Direction"), Some("inbound"));
        assert_eq!(get("ApiVersion"), Some("2010-04-01"));
        assert_eq!(p.last().unwrap().0, "Digits");
    }

    #[test]
    fn a_dialled_leg_names_its_parent() {
        let parent = CallSid::random();
        let info = CallInfo {
            call_sid: CallSid::random(),
            account_sid: AccountSid::random(),
            from: "+14158675309".into(),
            to: "sip:bob@example.com".into(),
            direction: Direction::OutboundDial,
            parent_call_sid: Some(parent),
        };
        let p = info.request_params(CallStatus::InProgress, &[]);
        assert!(p.contains(&("ParentCallSid".to_owned(), parent.to_string())));
        assert!(p.contains(&("Direction".to_owned(), "outbound-dial".to_owned())));
    }
}
