//! [`Repository`] over the embedded SQLite [`Store`]: reads on reader connections, every
//! write on the writer thread.

use switchyard_types::{
    AccountSid, ApplicationSid, CallSid, NotificationSid, PhoneNumberSid, RecordingSid,
    SubscriptionSid,
};

use crate::recordings::{self, RecordingFilter, RecordingRecord};
use crate::records::{
    Account, Application, CallRecord, NotificationRecord, PhoneNumber, SessionScope, Subscription,
    WasmApp,
};
use crate::repository::{CallFilter, NumberFilter, Page, Repository};
use crate::{
    accounts, applications, calls, notifications, numbers, sessions, subscriptions, wasm_apps,
    Error, Store,
};

impl Repository for Store {
    fn create_account(&self, account: &Account) -> Result<(), Error> {
        let account = account.clone();
        self.write(move |c| accounts::insert(c, &account)).map(drop)
    }

    fn account(&self, sid: AccountSid) -> Result<Option<Account>, Error> {
        self.one(
            &format!("{} WHERE sid = ?1", accounts::SELECT),
            &[sid.to_string()],
            accounts::from_row,
        )
    }

    fn accounts_of(&self, parent: AccountSid, page: &Page) -> Result<Vec<Account>, Error> {
        let q = accounts::listing(parent, page);
        self.read(|c| Ok(q.run(c, accounts::from_row)?))
    }

    fn update_account(&self, account: &Account) -> Result<(), Error> {
        let account = account.clone();
        self.write(move |c| accounts::update(c, &account)).map(drop)
    }

    fn put_number(&self, number: &PhoneNumber) -> Result<(), Error> {
        let number = number.clone();
        self.write(move |c| numbers::put(c, &number)).map(drop)
    }

    fn number(
        &self,
        account: AccountSid,
        sid: PhoneNumberSid,
    ) -> Result<Option<PhoneNumber>, Error> {
        self.one(
            &format!("{} WHERE account_sid = ?1 AND sid = ?2", numbers::SELECT),
            &[account.to_string(), sid.to_string()],
            numbers::from_row,
        )
    }

    fn number_by_e164(&self, phone_number: &str) -> Result<Option<PhoneNumber>, Error> {
        self.one(
            &format!("{} WHERE phone_number = ?1", numbers::SELECT),
            &[phone_number.to_owned()],
            numbers::from_row,
        )
    }

    fn numbers(
        &self,
        account: AccountSid,
        filter: &NumberFilter,
        page: &Page,
    ) -> Result<Vec<PhoneNumber>, Error> {
        let q = numbers::listing(account, filter, page);
        self.read(|c| Ok(q.run(c, numbers::from_row)?))
    }

    fn delete_number(&self, account: AccountSid, sid: PhoneNumberSid) -> Result<bool, Error> {
        let sid = sid.to_string();
        self.write(move |c| numbers::delete(c, account, &sid))
            .map(|n| n > 0)
    }

    fn put_application(&self, app: &Application) -> Result<(), Error> {
        let app = app.clone();
        self.write(move |c| applications::put(c, &app)).map(drop)
    }

    fn application(
        &self,
        account: AccountSid,
        sid: ApplicationSid,
    ) -> Result<Option<Application>, Error> {
        self.one(
            &format!(
                "{} WHERE account_sid = ?1 AND sid = ?2",
                applications::SELECT
            ),
            &[account.to_string(), sid.to_string()],
            applications::from_row,
        )
    }

    fn applications(&self, account: AccountSid, page: &Page) -> Result<Vec<Application>, Error> {
        let q = applications::listing(account, page);
        self.read(|c| Ok(q.run(c, applications::from_row)?))
    }

    fn delete_application(&self, account: AccountSid, sid: ApplicationSid) -> Result<bool, Error> {
        let sid = sid.to_string();
        self.write(move |c| applications::delete(c, account, &sid))
            .map(|n| n > 0)
    }

    fn put_call(&self, call: CallRecord) {
        Store::put_call(self, call);
    }

    fn put_call_durable(&self, call: &CallRecord) -> Result<(), Error> {
        let call = call.clone();
        self.write(move |c| Ok(calls::upsert(c, &call)?)).map(drop)
    }

    fn call(&self, account: AccountSid, sid: CallSid) -> Result<Option<CallRecord>, Error> {
        Store::call(self, account, sid)
    }

    fn calls(
        &self,
        account: AccountSid,
        filter: &CallFilter,
        page: &Page,
    ) -> Result<Vec<CallRecord>, Error> {
        let q = calls::listing(account, filter, page);
        self.read(|c| Ok(q.run(c, calls::from_row)?))
    }

    fn put_call_modules(&self, spans: Vec<crate::ModuleSpanRecord>) {
        if !spans.is_empty() {
            self.send(crate::writer::Write::Modules(spans));
        }
    }

    fn call_modules(
        &self,
        account: AccountSid,
        call: CallSid,
    ) -> Result<Vec<crate::ModuleSpanRecord>, Error> {
        self.read(|c| Ok(crate::modules::of_call(c, account, call)?))
    }

    fn module_usage(
        &self,
        accounts: &[AccountSid],
        from: i64,
        to: i64,
        module: Option<&str>,
    ) -> Result<Vec<crate::ModuleUsage>, Error> {
        self.read(|c| Ok(crate::modules::usage(c, accounts, from, to, module)?))
    }

    fn call_usage(
        &self,
        accounts: &[AccountSid],
        from: i64,
        to: i64,
    ) -> Result<crate::CallUsage, Error> {
        self.read(|c| Ok(crate::modules::call_usage(c, accounts, from, to)?))
    }

    fn fail_interrupted_calls(&self, now: i64) -> Result<usize, Error> {
        // One job, so one transaction: a crash part-way leaves every call as it was.
        self.write(move |c| Ok(calls::fail_interrupted(c, now)?))
    }

    fn put_notification(&self, notification: NotificationRecord) {
        Store::put_notification(self, notification);
    }

    fn notification(
        &self,
        account: AccountSid,
        sid: NotificationSid,
    ) -> Result<Option<NotificationRecord>, Error> {
        self.one(
            &format!(
                "{} WHERE account_sid = ?1 AND sid = ?2",
                notifications::SELECT
            ),
            &[account.to_string(), sid.to_string()],
            notifications::from_row,
        )
    }

    fn notifications(
        &self,
        account: AccountSid,
        page: &Page,
    ) -> Result<Vec<NotificationRecord>, Error> {
        let q = notifications::listing(account, page);
        self.read(|c| Ok(q.run(c, notifications::from_row)?))
    }

    fn put_recording(&self, recording: RecordingRecord) {
        Store::put_recording(self, recording);
    }

    fn put_recording_durable(&self, recording: &RecordingRecord) -> Result<(), Error> {
        let r = recording.clone();
        self.write(move |c| Ok(recordings::upsert(c, &r)?))
            .map(drop)
    }

    fn recording(
        &self,
        account: AccountSid,
        sid: RecordingSid,
    ) -> Result<Option<RecordingRecord>, Error> {
        self.one(
            &format!("{} WHERE account_sid = ?1 AND sid = ?2", recordings::SELECT),
            &[account.to_string(), sid.to_string()],
            recordings::from_row,
        )
    }

    fn recordings(
        &self,
        account: AccountSid,
        filter: &RecordingFilter,
        page: &Page,
    ) -> Result<Vec<RecordingRecord>, Error> {
        let q = recordings::listing(account, filter, page);
        self.read(|c| Ok(q.run(c, recordings::from_row)?))
    }

    fn delete_recording(&self, account: AccountSid, sid: RecordingSid) -> Result<bool, Error> {
        self.write(move |c| Ok(recordings::delete(c, account, sid)?))
            .map(|n| n > 0)
    }

    fn recordings_in_progress(&self) -> Result<Vec<RecordingRecord>, Error> {
        let sql = format!(
            "{} WHERE {} ORDER BY date_created, sid",
            recordings::SELECT,
            recordings::UNFINISHED
        );
        self.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([], recordings::from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn put_wasm_app(&self, app: &WasmApp, bytes: &[u8]) -> Result<WasmApp, Error> {
        let (mut stored, bytes) = (app.clone(), bytes.to_vec());
        let meta = app.clone();
        let version =
            self.write(move |c| wasm_apps::insert(c, &meta, &bytes).map(|v| v as usize))?;
        stored.version = version as u32;
        Ok(stored)
    }

    fn wasm_app(&self, account: AccountSid, name: &str) -> Result<Option<WasmApp>, Error> {
        self.one(
            &format!(
                "{} WHERE account_sid = ?1 AND name = ?2 ORDER BY version DESC LIMIT 1",
                wasm_apps::SELECT
            ),
            &[account.to_string(), name.to_owned()],
            wasm_apps::from_row,
        )
    }

    fn wasm_app_version(
        &self,
        account: AccountSid,
        name: &str,
        version: u32,
    ) -> Result<Option<WasmApp>, Error> {
        self.one(
            &format!(
                "{} WHERE account_sid = ?1 AND name = ?2 AND version = ?3",
                wasm_apps::SELECT
            ),
            &[account.to_string(), name.to_owned(), version.to_string()],
            wasm_apps::from_row,
        )
    }

    fn wasm_app_bytes(
        &self,
        account: AccountSid,
        name: &str,
        version: u32,
    ) -> Result<Option<Vec<u8>>, Error> {
        self.read(|c| Ok(wasm_apps::bytes(c, account, name, version)?))
    }

    fn wasm_apps(&self, account: AccountSid) -> Result<Vec<WasmApp>, Error> {
        let sql = format!(
            "{} WHERE account_sid = ?1 AND version = (SELECT MAX(version) FROM wasm_apps w \
             WHERE w.account_sid = wasm_apps.account_sid AND w.name = wasm_apps.name) \
             ORDER BY name",
            wasm_apps::SELECT
        );
        self.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([account.to_string()], wasm_apps::from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn write_queue(&self, change: crate::QueueWrite) {
        self.send(crate::writer::Write::Queue(Box::new(change)));
    }

    fn all_queues(&self) -> Result<Vec<crate::QueueRecord>, Error> {
        let sql = format!(
            "{} ORDER BY account_sid, friendly_name",
            crate::queues::SELECT
        );
        self.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([], crate::queues::from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn all_wasm_apps(&self) -> Result<Vec<WasmApp>, Error> {
        let sql = format!("{} ORDER BY account_sid, name, version", wasm_apps::SELECT);
        self.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([], wasm_apps::from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn delete_wasm_app(&self, account: AccountSid, name: &str) -> Result<bool, Error> {
        let name = name.to_owned();
        self.write(move |c| wasm_apps::delete(c, account, &name))
            .map(|n| n > 0)
    }

    fn put_subscription(&self, subscription: &Subscription) -> Result<(), Error> {
        let s = subscription.clone();
        self.write(move |c| subscriptions::upsert(c, &s)).map(drop)
    }

    fn subscription(
        &self,
        account: AccountSid,
        sid: SubscriptionSid,
    ) -> Result<Option<Subscription>, Error> {
        self.one(
            &format!(
                "{} WHERE account_sid = ?1 AND sid = ?2",
                subscriptions::SELECT
            ),
            &[account.to_string(), sid.to_string()],
            subscriptions::from_row,
        )
    }

    fn subscriptions(&self, account: AccountSid) -> Result<Vec<Subscription>, Error> {
        let sql = format!(
            "{} WHERE account_sid = ?1 ORDER BY date_created, sid",
            subscriptions::SELECT
        );
        self.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([account.to_string()], subscriptions::from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn webhook_subscriptions(&self) -> Result<Vec<Subscription>, Error> {
        let sql = format!("{} WHERE sink_url IS NOT NULL", subscriptions::SELECT);
        self.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([], subscriptions::from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn delete_subscription(
        &self,
        account: AccountSid,
        sid: SubscriptionSid,
    ) -> Result<bool, Error> {
        self.write(move |c| subscriptions::delete(c, account, sid))
            .map(|n| n > 0)
    }

    fn session_get(&self, scope: &SessionScope, key: &str) -> Result<Option<String>, Error> {
        self.one(
            "SELECT value FROM session_values WHERE account_sid = ?1 AND from_number = ?2 \
             AND to_number = ?3 AND key = ?4",
            &[
                scope.account_sid.to_string(),
                scope.from.clone(),
                scope.to.clone(),
                key.to_owned(),
            ],
            |r| r.get(0),
        )
    }

    fn session_set(&self, scope: &SessionScope, key: &str, value: &str) -> Result<(), Error> {
        let (scope, key, value) = (scope.clone(), key.to_owned(), value.to_owned());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let quota = self.session_quota();
        self.write(move |c| sessions::set(c, &scope, &key, &value, now, quota))
            .map(drop)
    }

    fn session_delete(&self, scope: &SessionScope, key: &str) -> Result<(), Error> {
        let (scope, key) = (scope.clone(), key.to_owned());
        self.write(move |c| sessions::delete(c, &scope, &key))
            .map(drop)
    }

    fn sip_domain_by_name(&self, name: &str) -> Result<Option<crate::SipDomain>, Error> {
        // Host names are case-insensitive (RFC 4343); domains are stored in lower case.
        self.sip_domain_named(&name.to_ascii_lowercase())
    }

    fn sip_registration_credential(
        &self,
        domain_name: &str,
        username: &str,
    ) -> Result<Option<crate::SipCredentialHash>, Error> {
        self.domain_credential(
            domain_name,
            crate::MappingKind::RegistrationCredentials,
            username,
        )
    }

    fn sip_call_credential(
        &self,
        domain_name: &str,
        username: &str,
    ) -> Result<Option<crate::SipCredentialHash>, Error> {
        self.domain_credential(domain_name, crate::MappingKind::CallCredentials, username)
    }

    fn sip_call_ip_addresses(&self, domain_name: &str) -> Result<Vec<crate::IpAddress>, Error> {
        self.domain_call_addresses(domain_name)
    }

    fn api_key(&self, sid: &str) -> Result<Option<crate::ApiKey>, Error> {
        self.api_key_by_sid(sid)
    }

    fn flush(&self) {
        Store::flush(self);
    }
}
