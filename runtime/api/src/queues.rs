//! `…/Queues.json`, `…/Queues/{Sid}.json` and their `Members`: Twilio's call queues.
//!
//! The queues live in the node (callers wait in them), so every handler asks the call
//! control's [`QueueControl`]; a node without queues answers 501.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use switchyard_types::{AccountSid, CallSid, QueueSid};

use crate::auth::{authenticate, reach, strip_json};
use crate::date::rfc2822;
use crate::paging::{Listing, PageRequest};
use crate::params::Params;
use crate::{validate, ApiState, Error};

/// A queue as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueView {
    pub sid: QueueSid,
    pub account_sid: AccountSid,
    pub friendly_name: String,
    pub current_size: u32,
    pub max_size: u32,
    /// Seconds, the mean of the members' waits now.
    pub average_wait_time: u64,
    /// Unix milliseconds.
    pub date_created: i64,
}

/// A caller waiting in a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    pub call_sid: CallSid,
    pub queue_sid: QueueSid,
    /// 1 = the head of the queue.
    pub position: u32,
    /// Seconds waited so far.
    pub wait_time: u64,
    /// Unix milliseconds.
    pub date_enqueued: i64,
}

/// Which member a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRef {
    /// `Front`: the member at the head of the queue.
    Front,
    Call(CallSid),
}

/// The node's queues, as the API reaches them. `Err(NotFound)` for a queue or member the
/// account does not have.
pub trait QueueControl: Send + Sync {
    fn create(
        &self,
        account: AccountSid,
        name: &str,
        max_size: Option<u32>,
    ) -> Result<QueueView, Error>;
    fn list(&self, account: AccountSid) -> Vec<QueueView>;
    fn fetch(&self, account: AccountSid, sid: QueueSid) -> Result<QueueView, Error>;
    fn update(
        &self,
        account: AccountSid,
        sid: QueueSid,
        name: Option<&str>,
        max_size: Option<u32>,
    ) -> Result<QueueView, Error>;
    /// Refused while callers wait in it.
    fn delete(&self, account: AccountSid, sid: QueueSid) -> Result<(), Error>;
    fn members(&self, account: AccountSid, sid: QueueSid) -> Result<Vec<MemberView>, Error>;
    fn member(
        &self,
        account: AccountSid,
        sid: QueueSid,
        member: MemberRef,
    ) -> Result<MemberView, Error>;
    /// Take the member out of the queue; its call continues at `url` (`GET` or `POST`).
    fn dequeue(
        &self,
        account: AccountSid,
        sid: QueueSid,
        member: MemberRef,
        url: String,
        method: String,
    ) -> Result<MemberView, Error>;
}

/// The routes of the Queues and Members resources.
pub(crate) fn routes() -> Router<ApiState> {
    const ACC: &str = "/2010-04-01/Accounts/{account}";
    Router::new()
        .route(&format!("{ACC}/Queues.json"), get(list).post(create))
        .route(
            &format!("{ACC}/Queues/{{queue}}"),
            get(fetch).post(update).delete(delete),
        )
        .route(
            &format!("{ACC}/Queues/{{queue}}/Members.json"),
            get(list_members),
        )
        .route(
            &format!("{ACC}/Queues/{{queue}}/Members/{{member}}"),
            get(fetch_member).post(update_member),
        )
}

fn render(q: &QueueView) -> Value {
    let base = format!("/2010-04-01/Accounts/{}/Queues/{}", q.account_sid, q.sid);
    json!({
        "sid": q.sid.to_string(),
        "account_sid": q.account_sid.to_string(),
        "friendly_name": q.friendly_name,
        "current_size": q.current_size,
        "max_size": q.max_size,
        "average_wait_time": q.average_wait_time,
        "date_created": rfc2822(q.date_created),
        "date_updated": rfc2822(q.date_created),
        "uri": format!("{base}.json"),
        "subresource_uris": { "members": format!("{base}/Members.json") },
    })
}

fn render_member(account: AccountSid, m: &MemberView) -> Value {
    json!({
        "call_sid": m.call_sid.to_string(),
        "queue_sid": m.queue_sid.to_string(),
        "position": m.position,
        "wait_time": m.wait_time,
        "date_enqueued": rfc2822(m.date_enqueued),
        "uri": format!(
            "/2010-04-01/Accounts/{account}/Queues/{}/Members/{}.json",
            m.queue_sid, m.call_sid
        ),
    })
}

/// The call control's queues, or 501.
fn control(state: &ApiState) -> Result<&dyn QueueControl, Error> {
    state
        .calls
        .queues()
        .ok_or(Error::NotImplemented("call queues"))
}

/// Authenticate, and reach the account of the path.
fn account(state: &ApiState, headers: &HeaderMap, path: &str) -> Result<AccountSid, Error> {
    let caller = authenticate(state.repo.as_ref(), headers)?;
    Ok(reach(state.repo.as_ref(), &caller, path)?.sid)
}

/// The queue of a path ending `Queues/QU….json`.
fn queue_sid(account: AccountSid, segment: &str) -> Result<QueueSid, Error> {
    parent_queue(account, strip_json(segment)?)
}

/// The queue of a path going on past it (`Queues/QU…/Members…`).
fn parent_queue(account: AccountSid, segment: &str) -> Result<QueueSid, Error> {
    segment
        .parse()
        .map_err(|_| Error::NotFound(format!("/2010-04-01/Accounts/{account}/Queues/{segment}")))
}

/// Twilio: `MaxSize` "The maximum number of calls allowed to be in the queue. The default
/// is 1000. The maximum is 5000." (this node keeps `<Enqueue>`'s default of 100).
fn max_size(params: &Params) -> Result<Option<u32>, Error> {
    params
        .get("MaxSize")
        .map(|v| {
            v.parse::<u32>()
                .ok()
                .filter(|n| (1..=5000).contains(n))
                .ok_or_else(|| Error::param("MaxSize", format!("{v:?} is not 1 to 5000")))
        })
        .transpose()
}

/// Twilio: a queue's `FriendlyName` is "A descriptive string … up to 64 characters"; it
/// is the name `<Enqueue>` and `<Dial><Queue>` use, so it may not be empty.
fn name(value: &str) -> Result<String, Error> {
    let name = validate::friendly_name(value)?;
    if name.is_empty() {
        return Err(Error::param("FriendlyName", "must not be empty"));
    }
    Ok(name)
}

/// `GET …/Queues.json`.
pub async fn list(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &path)?;
    let params = Params::query(query.as_deref())?;
    let request = PageRequest::from_params(&params)?;
    let size = request.size as usize;
    let rows: Vec<QueueView> = control(&state)?
        .list(account)
        .into_iter()
        .skip(request.page as usize * size)
        .take(size + 1)
        .collect();
    let listing = Listing {
        key: "queues",
        path: format!("/2010-04-01/Accounts/{account}/Queues.json"),
        params: &params,
        request: &request,
    };
    let body = listing.body(rows, |q| (q.date_created, q.sid.to_string()), render);
    Ok(Json(body).into_response())
}

/// `POST …/Queues.json` (`FriendlyName` required, `MaxSize`).
pub async fn create(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(path): Path<String>,
    body: Bytes,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &path)?;
    let params = Params::parse(&body)?;
    let friendly = params
        .get("FriendlyName")
        .ok_or_else(|| Error::param("FriendlyName", "required"))?;
    let q = control(&state)?.create(account, &name(friendly)?, max_size(&params)?)?;
    Ok((StatusCode::CREATED, Json(render(&q))).into_response())
}

/// `GET …/Queues/{Sid}.json`.
pub async fn fetch(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((path, queue)): Path<(String, String)>,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &path)?;
    let q = control(&state)?.fetch(account, queue_sid(account, &queue)?)?;
    Ok(Json(render(&q)).into_response())
}

/// `POST …/Queues/{Sid}.json` (`FriendlyName`, `MaxSize`).
pub async fn update(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((path, queue)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &path)?;
    let params = Params::parse(&body)?;
    let friendly = params.get("FriendlyName").map(name).transpose()?;
    let sid = queue_sid(account, &queue)?;
    let q = control(&state)?.update(account, sid, friendly.as_deref(), max_size(&params)?)?;
    Ok(Json(render(&q)).into_response())
}

/// `DELETE …/Queues/{Sid}.json` (204; 400 while callers wait in it).
pub async fn delete(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((path, queue)): Path<(String, String)>,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &path)?;
    control(&state)?.delete(account, queue_sid(account, &queue)?)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET …/Queues/{Sid}/Members.json`, head of the queue first.
pub async fn list_members(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((path, queue)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &path)?;
    let params = Params::query(query.as_deref())?;
    let request = PageRequest::from_params(&params)?;
    let sid = parent_queue(account, &queue)?;
    let size = request.size as usize;
    let rows: Vec<MemberView> = control(&state)?
        .members(account, sid)?
        .into_iter()
        .skip(request.page as usize * size)
        .take(size + 1)
        .collect();
    let listing = Listing {
        key: "queue_members",
        path: format!("/2010-04-01/Accounts/{account}/Queues/{sid}/Members.json"),
        params: &params,
        request: &request,
    };
    let body = listing.body(
        rows,
        |m| (m.date_enqueued, m.call_sid.to_string()),
        |m| render_member(account, m),
    );
    Ok(Json(body).into_response())
}

fn member_ref(account: AccountSid, queue: QueueSid, segment: &str) -> Result<MemberRef, Error> {
    let segment = strip_json(segment)?;
    if segment == "Front" {
        return Ok(MemberRef::Front);
    }
    segment.parse().map(MemberRef::Call).map_err(|_| {
        Error::NotFound(format!(
            "/2010-04-01/Accounts/{account}/Queues/{queue}/Members/{segment}"
        ))
    })
}

/// `GET …/Queues/{Sid}/Members/{CallSid|Front}.json`.
pub async fn fetch_member(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((path, queue, member)): Path<(String, String, String)>,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &path)?;
    let sid = parent_queue(account, &queue)?;
    let m = control(&state)?.member(account, sid, member_ref(account, sid, &member)?)?;
    Ok(Json(render_member(account, &m)).into_response())
}

/// `POST …/Queues/{Sid}/Members/{CallSid|Front}.json` with `Url` (and `Method`): the
/// member leaves the queue and its call continues at `Url`.
pub async fn update_member(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((path, queue, member)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let account = account(&state, &headers, &path)?;
    let params = Params::parse(&body)?;
    let url =
        validate::strict_url(&params, "Url")?.ok_or_else(|| Error::param("Url", "required"))?;
    let method = validate::method(&params, "Method", "POST")?;
    let sid = parent_queue(account, &queue)?;
    let who = member_ref(account, sid, &member)?;
    let m = control(&state)?.dequeue(account, sid, who, url, method)?;
    Ok(Json(render_member(account, &m)).into_response())
}
