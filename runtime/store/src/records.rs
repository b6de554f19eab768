//! The stored records. Their row mapping lives beside each table's queries.

use switchyard_types::{
    AccountSid, ApplicationSid, CallSid, CallStatus, NotificationSid, PhoneNumberSid,
    SubscriptionSid,
};

/// One call, as Twilio's Call resource describes it. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub sid: CallSid,
    pub account_sid: AccountSid,
    pub from: String,
    pub to: String,
    pub status: CallStatus,
    /// `inbound` or `outbound-api`.
    pub direction: String,
    pub date_created: i64,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    /// Seconds.
    pub duration: Option<i64>,
    pub date_updated: i64,
    /// The call that created this one (a `<Dial>` leg).
    pub parent_call_sid: Option<CallSid>,
    /// The incoming number that answered an inbound call.
    pub phone_number_sid: Option<PhoneNumberSid>,
}

/// One notification (an application error or warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRecord {
    pub sid: NotificationSid,
    pub account_sid: AccountSid,
    pub call_sid: Option<CallSid>,
    /// Twilio's error code (12100, 11200, …).
    pub error_code: u32,
    /// 0 = error, 1 = warning (Twilio's `log` field).
    pub log: u8,
    pub message_text: String,
    pub request_url: Option<String>,
    pub date_created: i64,
}

/// Twilio's account `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Active,
    Suspended,
    Closed,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Suspended, Self::Closed]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// An account or subaccount, with its credentials and call limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub sid: AccountSid,
    /// The owning account of a subaccount.
    pub owner_account_sid: Option<AccountSid>,
    pub friendly_name: String,
    pub status: AccountStatus,
    pub auth_token: String,
    /// Still accepted while a rotation is under way.
    pub secondary_auth_token: Option<String>,
    /// Secret of `X-Switchyard-Signature`.
    pub signing_key: Option<String>,
    /// Outbound throttle (calls started per second) and cap (concurrent calls).
    pub calls_per_second: f64,
    pub max_concurrent_calls: u32,
    pub date_created: i64,
    pub date_updated: i64,
}

/// An incoming phone number and what answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    pub sid: PhoneNumberSid,
    pub account_sid: AccountSid,
    /// E.164, e.g. `+15550001111`.
    pub phone_number: String,
    pub friendly_name: String,
    pub voice_url: Option<String>,
    pub voice_method: String,
    pub voice_fallback_url: Option<String>,
    pub voice_fallback_method: String,
    pub status_callback: Option<String>,
    pub status_callback_method: String,
    /// Which of initiated, ringing, answered, completed to report.
    pub status_callback_event: Vec<String>,
    /// When set, the application's URLs replace the number's own.
    pub voice_application_sid: Option<ApplicationSid>,
    /// A Wasm app answering the number (`app name`), for the Wasm issue.
    pub voice_wasm_app: Option<String>,
    /// The tenant's transcoder app on the caller's leg, both directions: the NAME of
    /// `VoiceTranscoder=app:NAME` (a Switchyard extension).
    pub voice_transcoder: Option<String>,
    pub date_created: i64,
    pub date_updated: i64,
}

/// Twilio's Application: a bundle of voice URLs several numbers can share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub sid: ApplicationSid,
    pub account_sid: AccountSid,
    pub friendly_name: String,
    pub voice_url: Option<String>,
    pub voice_method: String,
    pub voice_fallback_url: Option<String>,
    pub voice_fallback_method: String,
    pub status_callback: Option<String>,
    pub status_callback_method: String,
    pub date_created: i64,
    pub date_updated: i64,
}

/// One deployed version of a tenant's Wasm app (the bytes are fetched separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmApp {
    pub account_sid: AccountSid,
    pub name: String,
    /// 1 for the first upload of a name, then one more per upload.
    pub version: u32,
    /// Hex SHA-256 of the component bytes.
    pub sha256: String,
    pub size: u64,
    /// Bytes of linear memory a step may use.
    pub memory_limit: u64,
    /// CPU budget of one step, in milliseconds.
    pub cpu_ms: u32,
    /// Hosts (`host` or `host:port`) the app may reach with outbound HTTP.
    pub http_allow: Vec<String>,
    pub date_created: i64,
    /// The world it targets: `call-handler` or `event-filter`.
    pub kind: String,
}

/// Whose session state a value is: an account's conversation between two numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionScope {
    pub account_sid: AccountSid,
    pub from: String,
    pub to: String,
}

/// An event subscription: which events of an account, filtered how, delivered where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub sid: SubscriptionSid,
    pub account_sid: AccountSid,
    /// Event types or families (`call.*`); empty: every type.
    pub types: Vec<String>,
    /// Parameter filters, `Name=value` or `Name^=prefix`.
    pub filters: Vec<String>,
    /// A deployed event-filter app's name.
    pub wasm_filter: Option<String>,
    /// A webhook sink; `None`: a stream subscription read over SSE, WebSocket or QUIC.
    pub sink_url: Option<String>,
    /// Unix seconds after which it delivers nothing.
    pub expires_at: Option<i64>,
    pub date_created: i64,
    pub date_updated: i64,
}
