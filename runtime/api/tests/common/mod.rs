//! Shared test harness: the real SQLite store on a tempdir, a recording fake call
//! control, and a one-shot request helper.
#![allow(dead_code)]

pub mod recordings;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::Value;
use switchyard_api::{
    router, ApiError, ApiState, CallControl, CallUpdate, ConferenceControl, ConferenceView,
    NewCall, ParticipantUpdate, ParticipantView, RecordingUpdate, StartRecording,
};
use switchyard_media::record::LocalRecordings;
use switchyard_store::{Account, AccountStatus, CallRecord, RecordingRecord, Repository, Store};
use switchyard_types::{
    AccountSid, CallSid, CallStatus, RecordingSid, RecordingSource, RecordingStatus,
};
use tower::ServiceExt;

/// The node's base URL the API is told (absolute `media_url`s start with it).
pub const PUBLIC_URL: &str = "http://node.test:8080";

/// Records what the API asked and persists the effect like the node does.
#[derive(Debug)]
pub struct FakeControl {
    pub repo: Arc<Store>,
    pub created: Mutex<Vec<(AccountSid, NewCall)>>,
    pub updated: Mutex<Vec<(AccountSid, CallSid, CallUpdate)>>,
    pub recording_starts: Mutex<Vec<(CallSid, StartRecording)>>,
    pub recording_updates: Mutex<Vec<(CallSid, RecordingSid, RecordingUpdate)>>,
    /// The node's conference rooms, as the test sets them.
    pub rooms: Mutex<Vec<ConferenceView>>,
    pub participant_updates: Mutex<Vec<(CallSid, ParticipantUpdate)>>,
}

impl ConferenceControl for FakeControl {
    fn list(&self, account: AccountSid) -> Vec<ConferenceView> {
        let rooms = self.rooms.lock().unwrap();
        rooms
            .iter()
            .filter(|r| r.account_sid == account)
            .cloned()
            .collect()
    }

    fn end(
        &self,
        _account: AccountSid,
        sid: switchyard_types::ConferenceSid,
    ) -> Result<ConferenceView, ApiError> {
        let mut rooms = self.rooms.lock().unwrap();
        let room = rooms.iter_mut().find(|r| r.sid == sid).unwrap();
        room.status = "completed";
        room.participants.clear();
        Ok(room.clone())
    }

    fn update_participant(
        &self,
        _account: AccountSid,
        _sid: switchyard_types::ConferenceSid,
        call: CallSid,
        update: ParticipantUpdate,
    ) -> Result<ParticipantView, ApiError> {
        let rooms = self.rooms.lock().unwrap();
        let mut p = rooms
            .iter()
            .flat_map(|r| r.participants.iter())
            .find(|p| p.call_sid == call)
            .cloned()
            .unwrap();
        if let Some(m) = update.muted {
            p.muted = m;
        }
        self.participant_updates
            .lock()
            .unwrap()
            .push((call, update));
        Ok(p)
    }

    fn remove_participant(
        &self,
        _account: AccountSid,
        _sid: switchyard_types::ConferenceSid,
        _call: CallSid,
    ) -> Result<(), ApiError> {
        Ok(())
    }
}

impl CallControl for FakeControl {
    fn conferences(&self) -> Option<&dyn ConferenceControl> {
        Some(self)
    }

    fn create(&self, account: &Account, call: NewCall) -> Result<CallRecord, ApiError> {
        let now = 1_700_000_000_000;
        let record = CallRecord {
            sid: CallSid::random(),
            account_sid: account.sid,
            from: call.from.clone(),
            to: call.to.clone(),
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
        self.repo.put_call_durable(&record)?;
        self.created.lock().unwrap().push((account.sid, call));
        Ok(record)
    }

    fn update(
        &self,
        account: &Account,
        sid: CallSid,
        update: CallUpdate,
    ) -> Result<CallRecord, ApiError> {
        let mut record = self
            .repo
            .call(account.sid, sid)?
            .expect("the API checked it exists");
        match update {
            CallUpdate::Complete => record.status = CallStatus::Completed,
            CallUpdate::Cancel => record.status = CallStatus::Canceled,
            CallUpdate::Redirect { .. } | CallUpdate::Twiml(_) => {}
        }
        self.repo.put_call_durable(&record)?;
        self.updated
            .lock()
            .unwrap()
            .push((account.sid, sid, update));
        Ok(record)
    }

    fn start_recording(
        &self,
        account: &Account,
        call: CallSid,
        start: StartRecording,
    ) -> Result<RecordingRecord, ApiError> {
        let now = 1_700_000_100_000;
        let record = RecordingRecord {
            sid: RecordingSid::random(),
            account_sid: account.sid,
            call_sid: Some(call),
            conference_sid: None,
            status: RecordingStatus::InProgress,
            source: RecordingSource::StartCallRecordingApi,
            channels: start.channels,
            track: start.track,
            duration_secs: None,
            start_time: now,
            date_created: now,
            date_updated: now,
            error_code: None,
        };
        self.repo.put_recording_durable(&record)?;
        self.recording_starts.lock().unwrap().push((call, start));
        Ok(record)
    }

    fn update_recording(
        &self,
        account: &Account,
        call: CallSid,
        sid: RecordingSid,
        update: RecordingUpdate,
    ) -> Result<RecordingRecord, ApiError> {
        let mut record = self
            .repo
            .recording(account.sid, sid)?
            .expect("the API checked it exists");
        record.status = match update {
            RecordingUpdate::Pause { .. } => RecordingStatus::Paused,
            RecordingUpdate::Resume => RecordingStatus::InProgress,
            RecordingUpdate::Stop => RecordingStatus::Stopped,
        };
        self.repo.put_recording_durable(&record)?;
        self.recording_updates
            .lock()
            .unwrap()
            .push((call, sid, update));
        Ok(record)
    }
}

/// One API over a fresh store.
pub struct Harness {
    pub _dir: tempfile::TempDir,
    pub repo: Arc<Store>,
    pub control: Arc<FakeControl>,
    /// Where the API finds recordings' media.
    pub recordings: Arc<LocalRecordings>,
    pub app: Router,
    /// A main account.
    pub root: Account,
}

pub fn account(owner: Option<AccountSid>, token: &str, created: i64) -> Account {
    Account {
        sid: AccountSid::random(),
        owner_account_sid: owner,
        friendly_name: format!("account {created}"),
        status: AccountStatus::Active,
        auth_token: token.into(),
        secondary_auth_token: None,
        signing_key: None,
        calls_per_second: 2.5,
        max_concurrent_calls: 7,
        date_created: created,
        date_updated: created,
    }
}

impl Harness {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = Arc::new(Store::open(dir.path()).unwrap());
        let control = Arc::new(FakeControl {
            repo: repo.clone(),
            created: Mutex::new(Vec::new()),
            updated: Mutex::new(Vec::new()),
            recording_starts: Mutex::new(Vec::new()),
            recording_updates: Mutex::new(Vec::new()),
            rooms: Mutex::new(Vec::new()),
            participant_updates: Mutex::new(Vec::new()),
        });
        let root = account(None, "roottoken", 1_000);
        repo.create_account(&root).unwrap();
        let recordings = Arc::new(LocalRecordings::new(dir.path().join("recordings")));
        let app = router(ApiState {
            repo: repo.clone(),
            calls: control.clone(),
            recordings: recordings.clone(),
            public_url: PUBLIC_URL.into(),
        });
        Self {
            _dir: dir,
            repo,
            control,
            recordings,
            app,
            root,
        }
    }

    /// A new main account (another tenant).
    pub fn tenant(&self, token: &str) -> Account {
        let a = account(None, token, 2_000);
        self.repo.create_account(&a).unwrap();
        a
    }

    /// A subaccount of `owner`.
    pub fn sub(&self, owner: &Account, token: &str) -> Account {
        let a = account(Some(owner.sid), token, 3_000);
        self.repo.create_account(&a).unwrap();
        a
    }

    /// Send a request as `who` (None: no credentials) and decode the JSON answer.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        who: Option<(&AccountSid, &str)>,
        form: &str,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some((sid, token)) = who {
            let enc = base64::engine::general_purpose::STANDARD.encode(format!("{sid}:{token}"));
            req = req.header("authorization", format!("Basic {enc}"));
        }
        if !form.is_empty() {
            req = req.header("content-type", "application/x-www-form-urlencoded");
        }
        let res = self
            .app
            .clone()
            .oneshot(req.body(Body::from(form.to_owned())).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// As the root account.
    pub async fn root(&self, method: Method, uri: &str, form: &str) -> Reply {
        let (sid, token) = (self.root.sid, self.root.auth_token.clone());
        self.send(method, uri, Some((&sid, &token)), form).await
    }

    /// `/2010-04-01/Accounts/{root}` + `rest`.
    pub fn path(&self, rest: &str) -> String {
        format!("/2010-04-01/Accounts/{}{rest}", self.root.sid)
    }
}

/// A decoded response.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// Assert a Twilio error body with this status and code; returns its message.
    pub fn error(&self, status: u16, code: u64) -> String {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["status"], status);
        assert_eq!(
            self.body["more_info"],
            format!("https://www.twilio.com/docs/errors/{code}")
        );
        self.body["message"].as_str().unwrap().to_owned()
    }
}

/// Form-encode pairs.
pub fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}
