//! Server-Sent Events: `GET /v1/Accounts/{AccountSid}/Events` with
//! `Accept: text/event-stream` (or `/Events/stream`).
//!
//! WHATWG HTML §9.2: a response other than 200 `text/event-stream` makes the browser
//! "fail the connection" for good, so every refusal happens before the 200 (401, 403,
//! 404 with a JSON body); after it, the stream ends only by closing. Every event has
//! an `id:` so the browser's reconnect sends `Last-Event-ID`; a comment every 15 s
//! keeps proxies from timing the connection out; `retry:` is jittered per connection
//! so a node restart does not bring every browser back in the same millisecond.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use switchyard_events::EventId;

use super::feed::{Closed, Feed};
use super::grant::{authorize, Grant, StreamError};
use crate::shared::Shared;

/// The keep-alive period.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The resume point: the `Last-Event-ID` header, else `?last_event_id=`.
pub fn last_event_id(
    headers: &HeaderMap,
    params: &[(String, String)],
) -> Result<Option<EventId>, StreamError> {
    let header = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let query = params
        .iter()
        .find(|(k, _)| k == "last_event_id")
        .map(|(_, v)| v.as_str());
    match header.or(query).filter(|v| !v.trim().is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|e: switchyard_events::Error| StreamError::BadRequest(e.to_string())),
    }
}

/// The query's pairs, decoded.
pub fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, StreamError> {
    serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| StreamError::BadRequest(format!("query: {e}")))
}

/// What every channel does first: authorize the request (`path` is the signed one,
/// `…/Events`) and open its feed from the resume point it names.
pub async fn open_feed(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    path: &str,
    account: &str,
    raw_query: Option<&str>,
) -> Result<(Grant, Feed), StreamError> {
    let params = query_pairs(raw_query)?;
    let grant = authorize(shared, headers, path, account, &params)?;
    let resume = last_event_id(headers, &params)?;
    let feed = Feed::open(shared.clone(), &grant, resume, false).await?;
    Ok((grant, feed))
}

/// The SSE handler.
pub async fn stream(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    RawQuery(raw): RawQuery,
) -> Result<Response, StreamError> {
    let (_, feed) = open_feed(&shared, &headers, uri.path(), &account, raw.as_deref()).await?;
    let retry_ms = 2_000 + rand::random::<u64>() % 3_000;
    // The body is the feed itself, polled by hyper as the socket takes bytes: no task
    // and no queue between the router's queue and the connection.
    let first = Bytes::from(format!("retry: {retry_ms}\n\n"));
    let body = Body::from_stream(futures_util::stream::unfold(
        Some((feed, Some(first))),
        |state| async move {
            let (mut feed, first) = state?;
            if let Some(first) = first {
                return Some((Ok::<_, Infallible>(first), Some((feed, None))));
            }
            match feed.next_within(Some(KEEP_ALIVE)).await {
                Ok(Some(e)) => Some((Ok(e.sse_frame()), Some((feed, None)))),
                Ok(None) => Some((
                    Ok(Bytes::from_static(b": keep-alive\n\n")),
                    Some((feed, None)),
                )),
                Err(why) => Some((Ok(closing(&feed, why)), None)),
            }
        },
    ));
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// A last word the page can show; the browser reconnects unless the URL expired (its
/// reconnect then gets the 401). It repeats the last id so the browser's resume point
/// does not move.
fn closing(feed: &Feed, why: Closed) -> Bytes {
    let id = feed
        .last_id()
        .map(|i| format!("id: {i}\n"))
        .unwrap_or_default();
    let reason = why.as_str();
    Bytes::from(format!(
        "{id}event: stream.closed\ndata: {{\"reason\":\"{reason}\"}}\n\n"
    ))
}
