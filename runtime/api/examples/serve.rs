//! Serve the API over a tempdir store with one seeded account, for schemathesis:
//!
//! ```text
//! cargo run -p switchyard-api --example serve -- 18480
//! schemathesis run http://127.0.0.1:18480/openapi.json --auth AC…:token --checks all \
//!     --max-examples 50 --exclude-path /v1/AuthTokens/Promote
//! ```
//! (schemathesis 4.32.5; the sid and token are printed on start.) Promote is excluded
//! because it replaces the token the run authenticates with; tests/tokens.rs covers it.
//! Last result: no 5xx, no response-schema mismatch; one coverage-phase finding left
//! (ST201 on `GET /2010-04-01/Accounts.json` with a `PageToken` the tool reports only as
//! "[Filtered]", answered 200; cause not yet found).

use std::sync::Arc;

use switchyard_api::{router, ApiError, ApiState, CallControl, CallUpdate, NewCall};
use switchyard_store::{Account, AccountStatus, CallRecord, Repository, Store};
use switchyard_types::{AccountSid, CallSid, CallStatus};

/// Accepts every call and records it as queued; updates apply their status at once.
#[derive(Debug)]
struct Fake(Arc<Store>);

impl CallControl for Fake {
    fn create(&self, account: &Account, call: NewCall) -> Result<CallRecord, ApiError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let record = CallRecord {
            sid: CallSid::random(),
            account_sid: account.sid,
            from: call.from,
            to: call.to,
            status: CallStatus::Queued,
            direction: "outbound-api".into(),
            date_created: now,
            start_time: None,
            end_time: None,
            duration: None,
            date_updated: now,
            parent_call_sid: None,
            phone_number_sid: None,
        };
        self.0.put_call_durable(&record)?;
        Ok(record)
    }

    fn update(
        &self,
        account: &Account,
        sid: CallSid,
        update: CallUpdate,
    ) -> Result<CallRecord, ApiError> {
        let mut record = self
            .0
            .call(account.sid, sid)?
            .ok_or_else(|| ApiError::NotFound(sid.to_string()))?;
        match update {
            CallUpdate::Complete => record.status = CallStatus::Completed,
            CallUpdate::Cancel => record.status = CallStatus::Canceled,
            _ => {}
        }
        self.0.put_call_durable(&record)?;
        Ok(record)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let port: u16 = std::env::args().nth(1).map_or(Ok(18480), |p| p.parse())?;
    let dir = tempfile::tempdir()?;
    let store = Arc::new(Store::open(dir.path())?);
    let account = Account {
        sid: AccountSid::random(),
        owner_account_sid: None,
        friendly_name: "schemathesis".into(),
        status: AccountStatus::Active,
        auth_token: "0123456789abcdef0123456789abcdef".into(),
        secondary_auth_token: None,
        signing_key: None,
        calls_per_second: 1.0,
        max_concurrent_calls: 10,
        date_created: 0,
        date_updated: 0,
    };
    store.create_account(&account)?;
    println!("{}:{}", account.sid, account.auth_token);
    let app = router(ApiState {
        repo: store.clone(),
        calls: Arc::new(Fake(store)),
        recordings: Arc::new(switchyard_media::record::LocalRecordings::new(
            dir.path().join("recordings"),
        )),
        public_url: format!("http://127.0.0.1:{port}"),
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
