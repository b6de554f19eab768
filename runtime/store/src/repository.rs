//! The store's interface: what the API, the call router and the call path need, behind a
//! trait so a server database can follow the embedded SQLite one.
//!
//! Times are Unix milliseconds. Listing is keyset-paged (newest first) so a page deep in a
//! million records costs the same as the first.

use switchyard_types::{
    AccountSid, ApplicationSid, CallSid, NotificationSid, PhoneNumberSid, RecordingSid,
    SubscriptionSid,
};

use crate::recordings::{RecordingFilter, RecordingRecord};
use crate::records::{
    Account, Application, CallRecord, NotificationRecord, PhoneNumber, SessionScope, Subscription,
    WasmApp,
};
use crate::sip_records::{ApiKey, IpAddress, SipCredentialHash, SipDomain};
use crate::sip_repository::SipResources;
use crate::Error;

/// Where a listing starts and how much it returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// At most this many records (the API caps it at 1000, Twilio's maximum).
    pub size: u32,
    /// Continue after this (date_created, sid) — the last record of the previous page.
    pub after: Option<(i64, String)>,
}

/// Filters of `GET …/Calls.json` (Twilio's `To`, `From`, `Status`, `StartTime>`, `StartTime<`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFilter {
    pub to: Option<String>,
    pub from: Option<String>,
    pub status: Option<switchyard_types::CallStatus>,
    /// The call whose `<Dial>` placed these (`ParentCallSid`).
    pub parent: Option<switchyard_types::CallSid>,
    /// start_time >= this.
    pub started_after: Option<i64>,
    /// start_time < this.
    pub started_before: Option<i64>,
}

/// Filters of `GET …/IncomingPhoneNumbers.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberFilter {
    pub phone_number: Option<String>,
    pub friendly_name: Option<String>,
}

/// Everything the node persists (the SIP and API key resources the API manages are in
/// [`SipResources`]).
pub trait Repository: SipResources + Send + Sync + std::fmt::Debug + 'static {
    // Accounts.
    fn create_account(&self, account: &Account) -> Result<(), Error>;
    fn account(&self, sid: AccountSid) -> Result<Option<Account>, Error>;
    /// The account and its subaccounts (Twilio's account list), oldest first.
    fn accounts_of(&self, parent: AccountSid, page: &Page) -> Result<Vec<Account>, Error>;
    fn update_account(&self, account: &Account) -> Result<(), Error>;

    // Incoming phone numbers.
    /// Insert or replace; a phone number belongs to one account only
    /// (`Error::Conflict` when another account holds it).
    fn put_number(&self, number: &PhoneNumber) -> Result<(), Error>;
    fn number(
        &self,
        account: AccountSid,
        sid: PhoneNumberSid,
    ) -> Result<Option<PhoneNumber>, Error>;
    /// The call router's lookup, by E.164 number.
    fn number_by_e164(&self, phone_number: &str) -> Result<Option<PhoneNumber>, Error>;
    fn numbers(
        &self,
        account: AccountSid,
        filter: &NumberFilter,
        page: &Page,
    ) -> Result<Vec<PhoneNumber>, Error>;
    fn delete_number(&self, account: AccountSid, sid: PhoneNumberSid) -> Result<bool, Error>;

    // Applications.
    fn put_application(&self, app: &Application) -> Result<(), Error>;
    fn application(
        &self,
        account: AccountSid,
        sid: ApplicationSid,
    ) -> Result<Option<Application>, Error>;
    fn applications(&self, account: AccountSid, page: &Page) -> Result<Vec<Application>, Error>;
    fn delete_application(&self, account: AccountSid, sid: ApplicationSid) -> Result<bool, Error>;

    // Calls.
    /// Record a call's state from the call path: returns at once, written in the
    /// background (the media and SIP tasks never wait for the disk).
    fn put_call(&self, call: CallRecord);
    /// Record a call and return only once it is durable (the API's 201 promises it).
    fn put_call_durable(&self, call: &CallRecord) -> Result<(), Error>;
    fn call(&self, account: AccountSid, sid: CallSid) -> Result<Option<CallRecord>, Error>;
    fn calls(
        &self,
        account: AccountSid,
        filter: &CallFilter,
        page: &Page,
    ) -> Result<Vec<CallRecord>, Error>;
    /// At start-up: calls left queued, ringing or in progress by a process that died are
    /// marked failed with `end_time = now`. Returns how many.
    fn fail_interrupted_calls(&self, now: i64) -> Result<usize, Error>;

    // Notifications.
    fn put_notification(&self, notification: NotificationRecord);
    fn notification(
        &self,
        account: AccountSid,
        sid: NotificationSid,
    ) -> Result<Option<NotificationRecord>, Error>;
    fn notifications(
        &self,
        account: AccountSid,
        page: &Page,
    ) -> Result<Vec<NotificationRecord>, Error>;

    // Recordings.
    /// Record a recording's state from the media path: returns at once, written in the
    /// background.
    fn put_recording(&self, recording: RecordingRecord);
    /// Record a recording and return only once it is durable (an API answer promises it).
    fn put_recording_durable(&self, recording: &RecordingRecord) -> Result<(), Error>;
    fn recording(
        &self,
        account: AccountSid,
        sid: RecordingSid,
    ) -> Result<Option<RecordingRecord>, Error>;
    /// An account's recordings, newest first.
    fn recordings(
        &self,
        account: AccountSid,
        filter: &RecordingFilter,
        page: &Page,
    ) -> Result<Vec<RecordingRecord>, Error>;
    /// Delete a recording's record (its media is the caller's to remove); false when
    /// there was none.
    fn delete_recording(&self, account: AccountSid, sid: RecordingSid) -> Result<bool, Error>;
    /// At start-up: every recording of every account left unfinished (`in-progress`,
    /// `paused`, `stopped` or `processing`) by a process that died, to repair and settle.
    fn recordings_in_progress(&self) -> Result<Vec<RecordingRecord>, Error>;

    // Wasm apps.
    /// Store a new version of an app (`app.version` is ignored); returns it numbered.
    fn put_wasm_app(&self, app: &WasmApp, bytes: &[u8]) -> Result<WasmApp, Error>;
    /// The latest version of an app.
    fn wasm_app(&self, account: AccountSid, name: &str) -> Result<Option<WasmApp>, Error>;
    fn wasm_app_version(
        &self,
        account: AccountSid,
        name: &str,
        version: u32,
    ) -> Result<Option<WasmApp>, Error>;
    fn wasm_app_bytes(
        &self,
        account: AccountSid,
        name: &str,
        version: u32,
    ) -> Result<Option<Vec<u8>>, Error>;
    /// The latest version of each of an account's apps, by name.
    fn wasm_apps(&self, account: AccountSid) -> Result<Vec<WasmApp>, Error>;
    /// Every version of every app (a restart loads them all).
    fn all_wasm_apps(&self) -> Result<Vec<WasmApp>, Error>;
    /// Delete every version of an app; false when there was none.
    fn delete_wasm_app(&self, account: AccountSid, name: &str) -> Result<bool, Error>;

    // Call queues.
    /// Save or delete a queue's definition: returns at once, written in the background
    /// ([`Repository::flush`] waits for it).
    fn write_queue(&self, change: crate::QueueWrite);
    /// Every queue of every account (a restart puts them back).
    fn all_queues(&self) -> Result<Vec<crate::QueueRecord>, Error>;

    // Session state of Wasm apps.
    fn session_get(&self, scope: &SessionScope, key: &str) -> Result<Option<String>, Error>;
    /// Durable when it returns.
    fn session_set(&self, scope: &SessionScope, key: &str, value: &str) -> Result<(), Error>;
    fn session_delete(&self, scope: &SessionScope, key: &str) -> Result<(), Error>;

    // Event subscriptions.
    /// Create or replace a subscription (durable when it returns).
    fn put_subscription(&self, subscription: &Subscription) -> Result<(), Error>;
    fn subscription(
        &self,
        account: AccountSid,
        sid: SubscriptionSid,
    ) -> Result<Option<Subscription>, Error>;
    /// An account's subscriptions, oldest first.
    fn subscriptions(&self, account: AccountSid) -> Result<Vec<Subscription>, Error>;
    /// Every subscription with a webhook sink (the node starts their senders).
    fn webhook_subscriptions(&self) -> Result<Vec<Subscription>, Error>;
    fn delete_subscription(&self, account: AccountSid, sid: SubscriptionSid)
        -> Result<bool, Error>;

    // What the SIP side looks up on the call path (digest realm: [`crate::SIP_REALM`]).
    /// The domain that holds a host name (an INVITE's or REGISTER's Request-URI host).
    fn sip_domain_by_name(&self, name: &str) -> Result<Option<SipDomain>, Error>;
    /// The credential `username` of a list mapped to the domain for registrations
    /// (`Auth/Registrations/CredentialListMappings`).
    fn sip_registration_credential(
        &self,
        domain_name: &str,
        username: &str,
    ) -> Result<Option<SipCredentialHash>, Error>;
    /// The credential `username` of a list mapped to the domain for calls
    /// (`Auth/Calls/CredentialListMappings`).
    fn sip_call_credential(
        &self,
        domain_name: &str,
        username: &str,
    ) -> Result<Option<SipCredentialHash>, Error>;
    /// The address ranges of the IP access control lists mapped to the domain for calls
    /// (`Auth/Calls/IpAccessControlListMappings`).
    fn sip_call_ip_addresses(&self, domain_name: &str) -> Result<Vec<IpAddress>, Error>;
    /// An API key by sid, with its secret (access tokens are verified with it).
    fn api_key(&self, sid: &str) -> Result<Option<ApiKey>, Error>;
    // Module spans and usage (see `modules.rs`).
    /// Record a call's module spans: returns at once, written in the background.
    fn put_call_modules(&self, spans: Vec<crate::ModuleSpanRecord>);
    /// One call's module spans, in order.
    fn call_modules(
        &self,
        account: AccountSid,
        call: CallSid,
    ) -> Result<Vec<crate::ModuleSpanRecord>, Error>;
    /// Each module's sums over the spans of `accounts` started in `[from, to)` (Unix ms),
    /// or only `module`'s.
    fn module_usage(
        &self,
        accounts: &[AccountSid],
        from: i64,
        to: i64,
        module: Option<&str>,
    ) -> Result<Vec<crate::ModuleUsage>, Error>;
    /// Answered calls of `accounts` started in `[from, to)`, by direction, and the speech
    /// they synthesized.
    fn call_usage(
        &self,
        accounts: &[AccountSid],
        from: i64,
        to: i64,
    ) -> Result<crate::CallUsage, Error>;

    /// Wait until every background write sent before this call is durable.
    fn flush(&self);
}
