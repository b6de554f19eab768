//! [`Repository`] over the embedded SQLite [`Store`]: reads on reader connections, every
//! write on the writer thread.

use switchyard_types::{AccountSid, ApplicationSid, CallSid, NotificationSid, PhoneNumberSid};

use crate::records::{Account, Application, CallRecord, NotificationRecord, PhoneNumber};
use crate::repository::{CallFilter, NumberFilter, Page, Repository};
use crate::{accounts, applications, calls, notifications, numbers, Error, Store};

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

    fn flush(&self) {
        Store::flush(self);
    }
}
