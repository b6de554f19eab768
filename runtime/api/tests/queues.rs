//! The Queues and Members resources over a fake node: paths, parameters, Twilio's JSON.

mod common;

use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use common::{FakeControl, Harness};
use switchyard_api::{
    router, ApiError, ApiState, CallControl, CallUpdate, MemberRef, MemberView, NewCall,
    QueueControl, QueueView,
};
use switchyard_store::{Account, CallRecord};
use switchyard_types::{AccountSid, CallSid, QueueSid};

/// One queue with one member; remembers the dequeues asked for.
struct FakeQueues {
    queue: QueueView,
    member: MemberView,
    dequeued: Mutex<Vec<(MemberRef, String, String)>>,
}

impl QueueControl for FakeQueues {
    fn create(
        &self,
        account: AccountSid,
        name: &str,
        max: Option<u32>,
    ) -> Result<QueueView, ApiError> {
        Ok(QueueView {
            sid: QueueSid::random(),
            account_sid: account,
            friendly_name: name.into(),
            current_size: 0,
            max_size: max.unwrap_or(100),
            average_wait_time: 0,
            date_created: 1_700_000_000_000,
        })
    }
    fn list(&self, account: AccountSid) -> Vec<QueueView> {
        vec![self.queue.clone()]
            .into_iter()
            .filter(|q| q.account_sid == account)
            .collect()
    }
    fn fetch(&self, account: AccountSid, sid: QueueSid) -> Result<QueueView, ApiError> {
        self.list(account)
            .into_iter()
            .find(|q| q.sid == sid)
            .ok_or_else(|| ApiError::NotFound("queue".into()))
    }
    fn update(
        &self,
        account: AccountSid,
        sid: QueueSid,
        _name: Option<&str>,
        max: Option<u32>,
    ) -> Result<QueueView, ApiError> {
        let mut q = self.fetch(account, sid)?;
        q.max_size = max.unwrap_or(q.max_size);
        Ok(q)
    }
    fn delete(&self, account: AccountSid, sid: QueueSid) -> Result<(), ApiError> {
        self.fetch(account, sid)?;
        Err(ApiError::param("Sid", "still has members"))
    }
    fn members(&self, account: AccountSid, sid: QueueSid) -> Result<Vec<MemberView>, ApiError> {
        self.fetch(account, sid)?;
        Ok(vec![self.member.clone()])
    }
    fn member(
        &self,
        account: AccountSid,
        sid: QueueSid,
        who: MemberRef,
    ) -> Result<MemberView, ApiError> {
        self.fetch(account, sid)?;
        match who {
            MemberRef::Front => Ok(self.member.clone()),
            MemberRef::Call(c) if c == self.member.call_sid => Ok(self.member.clone()),
            MemberRef::Call(_) => Err(ApiError::NotFound("member".into())),
        }
    }
    fn dequeue(
        &self,
        account: AccountSid,
        sid: QueueSid,
        who: MemberRef,
        url: String,
        method: String,
    ) -> Result<MemberView, ApiError> {
        let m = self.member(account, sid, who)?;
        self.dequeued.lock().unwrap().push((who, url, method));
        Ok(m)
    }
}

/// The harness's call control, with the fake queues.
struct WithQueues {
    calls: Arc<FakeControl>,
    queues: FakeQueues,
}

impl CallControl for WithQueues {
    fn create(&self, account: &Account, call: NewCall) -> Result<CallRecord, ApiError> {
        self.calls.create(account, call)
    }
    fn update(
        &self,
        account: &Account,
        sid: CallSid,
        u: CallUpdate,
    ) -> Result<CallRecord, ApiError> {
        self.calls.update(account, sid, u)
    }
    fn queues(&self) -> Option<&dyn QueueControl> {
        Some(&self.queues)
    }
}

fn harness() -> (Harness, Arc<WithQueues>) {
    let mut h = Harness::new();
    let queue = QueueSid::random();
    let control = Arc::new(WithQueues {
        calls: h.control.clone(),
        queues: FakeQueues {
            queue: QueueView {
                sid: queue,
                account_sid: h.root.sid,
                friendly_name: "support".into(),
                current_size: 1,
                max_size: 100,
                average_wait_time: 12,
                date_created: 1_700_000_000_000,
            },
            member: MemberView {
                call_sid: CallSid::random(),
                queue_sid: queue,
                position: 1,
                wait_time: 12,
                date_enqueued: 1_700_000_100_000,
            },
            dequeued: Mutex::new(Vec::new()),
        },
    });
    h.app = router(ApiState {
        repo: h.repo.clone(),
        calls: control.clone(),
        recordings: h.recordings.clone(),
        public_url: common::PUBLIC_URL.into(),
    });
    (h, control)
}

#[tokio::test]
async fn queues_and_members_answer_in_twilios_shape() {
    let (h, control) = harness();
    let q = control.queues.queue.sid;
    let call = control.queues.member.call_sid;

    let list = h.root(Method::GET, &h.path("/Queues.json"), "").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["queues"][0]["friendly_name"], "support");
    assert_eq!(list.body["queues"][0]["current_size"], 1);
    assert_eq!(list.body["queues"][0]["average_wait_time"], 12);
    let one = h
        .root(Method::GET, &h.path(&format!("/Queues/{q}.json")), "")
        .await;
    assert_eq!(one.body["sid"], q.to_string());
    assert_eq!(
        one.body["subresource_uris"]["members"],
        format!(
            "/2010-04-01/Accounts/{}/Queues/{q}/Members.json",
            h.root.sid
        )
    );

    let members = h
        .root(
            Method::GET,
            &h.path(&format!("/Queues/{q}/Members.json")),
            "",
        )
        .await;
    assert_eq!(members.status, StatusCode::OK, "{:?}", members.body);
    assert_eq!(
        members.body["queue_members"][0]["call_sid"],
        call.to_string()
    );
    assert_eq!(members.body["queue_members"][0]["position"], 1);
    let front = h
        .root(
            Method::GET,
            &h.path(&format!("/Queues/{q}/Members/Front.json")),
            "",
        )
        .await;
    assert_eq!(front.body["call_sid"], call.to_string());

    let form = "Url=https%3A%2F%2Fapp.example%2Fout&Method=GET";
    let out = h
        .root(
            Method::POST,
            &h.path(&format!("/Queues/{q}/Members/{call}.json")),
            form,
        )
        .await;
    assert_eq!(out.status, StatusCode::OK, "{:?}", out.body);
    assert_eq!(
        *control.queues.dequeued.lock().unwrap(),
        vec![(
            MemberRef::Call(call),
            "https://app.example/out".to_owned(),
            "GET".to_owned()
        )]
    );
    let no_url = h
        .root(
            Method::POST,
            &h.path(&format!("/Queues/{q}/Members/Front.json")),
            "Method=GET",
        )
        .await;
    assert_eq!(no_url.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn queue_parameters_are_checked_and_other_tenants_see_nothing() {
    let (h, control) = harness();
    let q = control.queues.queue.sid;
    let created = h
        .root(
            Method::POST,
            &h.path("/Queues.json"),
            "FriendlyName=billing&MaxSize=10",
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["max_size"], 10);
    for form in [
        "MaxSize=10",
        "FriendlyName=&MaxSize=10",
        "FriendlyName=b&MaxSize=0",
        "FriendlyName=b&MaxSize=5001",
        "FriendlyName=b&MaxSize=",
    ] {
        let r = h.root(Method::POST, &h.path("/Queues.json"), form).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{form}: {:?}", r.body);
    }
    let gone = h
        .root(Method::DELETE, &h.path(&format!("/Queues/{q}.json")), "")
        .await;
    assert_eq!(
        gone.status,
        StatusCode::BAD_REQUEST,
        "a queue with members stays"
    );

    let other = h.tenant("othertoken");
    let path = format!("/2010-04-01/Accounts/{}/Queues/{q}.json", other.sid);
    let r = h
        .send(Method::GET, &path, Some((&other.sid, "othertoken")), "")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h
        .send(
            Method::GET,
            &format!("/2010-04-01/Accounts/{}/Queues/{q}/Members.json", other.sid),
            Some((&other.sid, "othertoken")),
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
