//! The Queues and Members resources over the node's book of queues.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use switchyard_api::{ApiError, MemberRef, MemberView, QueueControl, QueueView};
use switchyard_call::queue::{self, Position, QueueBook, QueueError, QueueStats};
use switchyard_instructions::HttpMethod;
use switchyard_types::{AccountSid, QueueSid};

use super::Signal;
use crate::live::Control;
use crate::shared::{millis, Shared};

/// The node's queues as the REST API sees them.
#[derive(Debug)]
pub(crate) struct NodeQueues {
    shared: Arc<Shared>,
}

impl NodeQueues {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, QueueBook> {
        queue::lock(&self.shared.queues)
    }

    /// An API change answers once the store holds it (the book's journal wrote it in
    /// the background).
    fn durable(&self) {
        switchyard_store::Repository::flush(&*self.shared.store);
    }
}

/// Wall-clock Unix milliseconds of `at`, an instant in the past.
fn wall(now: Instant, at: Instant) -> i64 {
    millis(SystemTime::now() - now.saturating_duration_since(at))
}

fn view(now: Instant, q: QueueStats) -> QueueView {
    QueueView {
        sid: q.sid,
        account_sid: q.account,
        friendly_name: q.name,
        current_size: q.size,
        max_size: q.max_size,
        average_wait_time: q.average_wait.as_secs(),
        date_created: wall(now, q.created),
    }
}

fn member(p: &Position) -> MemberView {
    MemberView {
        call_sid: p.call,
        queue_sid: p.queue.sid,
        position: p.position,
        wait_time: p.waited.as_secs(),
        date_enqueued: millis(SystemTime::now() - p.waited),
    }
}

fn not_found(account: AccountSid, sid: QueueSid) -> ApiError {
    ApiError::NotFound(format!("/2010-04-01/Accounts/{account}/Queues/{sid}.json"))
}

fn error(account: AccountSid, sid: Option<QueueSid>, e: QueueError) -> ApiError {
    match e {
        QueueError::NotFound => match sid {
            Some(sid) => not_found(account, sid),
            None => ApiError::NotFound("queue".into()),
        },
        QueueError::BadMaxSize(_) => ApiError::param("MaxSize", e.to_string()),
        QueueError::NameTaken(_) => ApiError::param("FriendlyName", e.to_string()),
        QueueError::HasMembers(_) | QueueError::Full(_) => ApiError::param("Sid", e.to_string()),
    }
}

impl QueueControl for NodeQueues {
    fn create(
        &self,
        account: AccountSid,
        name: &str,
        max_size: Option<u32>,
    ) -> Result<QueueView, ApiError> {
        let now = Instant::now();
        let q = self
            .book()
            .create(now, account, name, max_size)
            .map_err(|e| error(account, None, e))?;
        self.durable();
        Ok(view(now, q))
    }

    fn list(&self, account: AccountSid) -> Vec<QueueView> {
        let now = Instant::now();
        let mut all: Vec<QueueView> = self
            .book()
            .list(now, account)
            .into_iter()
            .map(|q| view(now, q))
            .collect();
        // Twilio lists the newest first.
        all.sort_by_key(|q| std::cmp::Reverse(q.date_created));
        all
    }

    fn fetch(&self, account: AccountSid, sid: QueueSid) -> Result<QueueView, ApiError> {
        let now = Instant::now();
        let q = self.book().stats(now, account, sid);
        q.map(|q| view(now, q))
            .ok_or_else(|| not_found(account, sid))
    }

    fn update(
        &self,
        account: AccountSid,
        sid: QueueSid,
        name: Option<&str>,
        max_size: Option<u32>,
    ) -> Result<QueueView, ApiError> {
        let now = Instant::now();
        let q = self
            .book()
            .update(now, account, sid, name, max_size)
            .map_err(|e| error(account, Some(sid), e))?;
        self.durable();
        Ok(view(now, q))
    }

    fn delete(&self, account: AccountSid, sid: QueueSid) -> Result<(), ApiError> {
        self.book()
            .delete(account, sid)
            .map_err(|e| error(account, Some(sid), e))?;
        self.durable();
        Ok(())
    }

    fn members(&self, account: AccountSid, sid: QueueSid) -> Result<Vec<MemberView>, ApiError> {
        let now = Instant::now();
        let members = self.book().members(now, account, sid);
        members
            .map(|all| all.iter().map(member).collect())
            .ok_or_else(|| not_found(account, sid))
    }

    fn member(
        &self,
        account: AccountSid,
        sid: QueueSid,
        who: MemberRef,
    ) -> Result<MemberView, ApiError> {
        let now = Instant::now();
        let members = self
            .book()
            .members(now, account, sid)
            .ok_or_else(|| not_found(account, sid))?;
        let found = match who {
            MemberRef::Front => members.first(),
            MemberRef::Call(call) => members.iter().find(|p| p.call == call),
        };
        found.map(member).ok_or_else(|| {
            ApiError::NotFound(format!(
                "/2010-04-01/Accounts/{account}/Queues/{sid}/Members/{}.json",
                match who {
                    MemberRef::Front => "Front".to_owned(),
                    MemberRef::Call(c) => c.to_string(),
                }
            ))
        })
    }

    fn dequeue(
        &self,
        account: AccountSid,
        sid: QueueSid,
        who: MemberRef,
        url: String,
        method: String,
    ) -> Result<MemberView, ApiError> {
        let now = Instant::now();
        let found = self.member(account, sid, who)?;
        let taken = self.book().remove(now, sid, found.call_sid);
        // Between the look-up and the removal an agent may have taken it.
        let Some(taken) = taken else {
            return Err(ApiError::NotFound(format!(
                "/2010-04-01/Accounts/{account}/Queues/{sid}/Members/{}.json",
                found.call_sid
            )));
        };
        let method = if method == "GET" {
            HttpMethod::Get
        } else {
            HttpMethod::Post
        };
        let signal = Signal::Redirect {
            url,
            method,
            waited: taken.waited,
        };
        if self
            .shared
            .live
            .send(taken.call, Control::Queue(signal))
            .is_err()
        {
            tracing::info!(call = %taken.call, "a dequeued member's call had ended");
        }
        Ok(MemberView {
            wait_time: taken.waited.as_secs(),
            date_enqueued: millis(SystemTime::now() - taken.waited),
            ..found
        })
    }
}
