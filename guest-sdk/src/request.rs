//! `Request`: one step of a call, as the node asks it.

/// Twilio's `CallStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    /// Waiting in the outbound queue.
    Queued,
    /// Ringing.
    Ringing,
    /// Answered and going on.
    InProgress,
    /// Ended normally.
    Completed,
    /// The called party was busy.
    Busy,
    /// The call could not be placed.
    Failed,
    /// Nobody answered.
    NoAnswer,
    /// Cancelled before it was answered.
    Canceled,
}

impl CallStatus {
    /// Twilio's spelling, e.g. `in-progress`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Queued => "queued",
            CallStatus::Ringing => "ringing",
            CallStatus::InProgress => "in-progress",
            CallStatus::Completed => "completed",
            CallStatus::Busy => "busy",
            CallStatus::Failed => "failed",
            CallStatus::NoAnswer => "no-answer",
            CallStatus::Canceled => "canceled",
        }
    }

    /// Parses Twilio's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        [
            CallStatus::Queued,
            CallStatus::Ringing,
            CallStatus::InProgress,
            CallStatus::Completed,
            CallStatus::Busy,
            CallStatus::Failed,
            CallStatus::NoAnswer,
            CallStatus::Canceled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// Whether the call came in or was placed through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A caller dialled one of the account's numbers.
    Inbound,
    /// Placed through the REST API.
    OutboundApi,
}

/// One step of a call: who is calling whom, which path of the app is asked, and what the
/// last verb produced. Every Twilio parameter is also available by name via
/// [`Request::param`].
///
/// ```
/// use switchyard_sdk::Request;
/// let req = Request::from_params("/menu", [("From", "+15551230000"), ("Digits", "1")]);
/// assert_eq!(req.path(), "/menu");
/// assert_eq!(req.digits(), Some("1"));
/// assert_eq!(req.param("From"), Some("+15551230000"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub(crate) call_sid: String,
    pub(crate) account_sid: String,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) call_status: CallStatus,
    pub(crate) direction: Direction,
    pub(crate) api_version: String,
    pub(crate) path: String,
    pub(crate) digits: Option<String>,
    pub(crate) finished_on_key: Option<String>,
    pub(crate) error_code: Option<u32>,
    pub(crate) error_url: Option<String>,
    pub(crate) params: Vec<(String, String)>,
}

impl Request {
    /// A request for `path` whose typed fields are read from Twilio-named `params`
    /// (`CallSid`, `From`, `To`, `CallStatus`, `Direction`, `Digits`, `ErrorCode` …);
    /// for testing handlers natively. Missing fields are empty, the status
    /// `in-progress` and the direction `inbound`.
    pub fn from_params<K, V>(path: &str, params: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let params: Vec<(String, String)> = params
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let get = |name: &str| {
            params
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        Request {
            call_sid: get("CallSid").unwrap_or_default(),
            account_sid: get("AccountSid").unwrap_or_default(),
            from: get("From").unwrap_or_default(),
            to: get("To").unwrap_or_default(),
            call_status: get("CallStatus")
                .and_then(|s| CallStatus::parse(&s))
                .unwrap_or(CallStatus::InProgress),
            direction: match get("Direction").as_deref() {
                Some("outbound-api") => Direction::OutboundApi,
                _ => Direction::Inbound,
            },
            api_version: get("ApiVersion").unwrap_or_else(|| "2010-04-01".to_owned()),
            path: path.to_owned(),
            digits: get("Digits"),
            finished_on_key: get("FinishedOnKey"),
            error_code: get("ErrorCode").and_then(|c| c.parse().ok()),
            error_url: get("ErrorUrl"),
            params,
        }
    }

    /// `CallSid`: `CA…`.
    pub fn call_sid(&self) -> &str {
        &self.call_sid
    }

    /// `AccountSid`: `AC…`.
    pub fn account_sid(&self) -> &str {
        &self.account_sid
    }

    /// `From`: the caller, E.164 or a SIP user.
    pub fn from(&self) -> &str {
        &self.from
    }

    /// `To`: the number called.
    pub fn to(&self) -> &str {
        &self.to
    }

    /// `CallStatus`.
    pub fn call_status(&self) -> CallStatus {
        self.call_status
    }

    /// `Direction`.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// `ApiVersion`: always `2010-04-01`.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The path asked: `/` for the first step, then a Gather's `action` or a Redirect's
    /// target.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `Digits` a Gather collected.
    pub fn digits(&self) -> Option<&str> {
        self.digits.as_deref()
    }

    /// `FinishedOnKey`: the key that ended a Gather.
    pub fn finished_on_key(&self) -> Option<&str> {
        self.finished_on_key.as_deref()
    }

    /// `ErrorCode`, when this app is the fallback of one that failed.
    pub fn error_code(&self) -> Option<u32> {
        self.error_code
    }

    /// `ErrorUrl`: the handler that failed.
    pub fn error_url(&self) -> Option<&str> {
        self.error_url.as_deref()
    }

    /// Any parameter by Twilio's name (`RecordingUrl`, `DialCallStatus`, `SpeechResult`
    /// …); the last one when a name repeats.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every parameter, in the order the node sent them.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_fields_come_from_twilio_names() {
        let r = Request::from_params(
            "/gathered",
            [
                ("CallSid", "CA01"),
                ("AccountSid", "AC02"),
                ("From", "+1555"),
                ("To", "+1666"),
                ("CallStatus", "ringing"),
                ("Direction", "outbound-api"),
                ("Digits", "42"),
                ("FinishedOnKey", "#"),
                ("ErrorCode", "11200"),
                ("ErrorUrl", "https://x/voice"),
            ],
        );
        assert_eq!(
            (r.call_sid(), r.account_sid(), r.from(), r.to()),
            ("CA01", "AC02", "+1555", "+1666")
        );
        assert_eq!(r.call_status(), CallStatus::Ringing);
        assert_eq!(r.direction(), Direction::OutboundApi);
        assert_eq!((r.digits(), r.finished_on_key()), (Some("42"), Some("#")));
        assert_eq!(
            (r.error_code(), r.error_url()),
            (Some(11200), Some("https://x/voice"))
        );
        assert_eq!(r.params().count(), 10);
    }

    #[test]
    fn missing_fields_take_defaults() {
        let r = Request::from_params("/", Vec::<(String, String)>::new());
        assert_eq!(r.call_status(), CallStatus::InProgress);
        assert_eq!(r.direction(), Direction::Inbound);
        assert_eq!(r.api_version(), "2010-04-01");
        assert_eq!(
            (r.digits(), r.error_code(), r.param("From")),
            (None, None, None)
        );
    }

    #[test]
    fn last_repeated_param_wins() {
        let r = Request::from_params("/", [("X", "1"), ("X", "2")]);
        assert_eq!(r.param("X"), Some("2"));
    }

    #[test]
    fn call_status_round_trips() {
        for s in [
            "queued",
            "ringing",
            "in-progress",
            "completed",
            "busy",
            "failed",
            "no-answer",
            "canceled",
        ] {
            assert_eq!(CallStatus::parse(s).map(CallStatus::as_str), Some(s));
        }
        assert_eq!(CallStatus::parse("answered"), None);
    }
}
