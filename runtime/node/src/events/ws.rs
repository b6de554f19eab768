//! WebSocket: `GET /v1/Accounts/{AccountSid}/Events/ws`, the SSE stream's events plus
//! its control channel on one connection.
//!
//! Auth is the SSE stream's (Basic, or the signed query of a URL minted for
//! `…/Events`), checked before the upgrade so a refusal is a plain 401/403/404 with a
//! JSON body. Server to client: one text frame per event (the event's JSON), a
//! `{"type":"stream.closed","reason":…}` frame then a close at expiry or overflow,
//! a ping every 15 s. Client to server: text frames of `control` operations, each
//! answered by one text frame.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};

use super::control::{refusal, Control, MAX_MESSAGE};
use super::feed::{Closed, Feed};
use super::grant::StreamError;
use super::sse::open_feed;
use crate::shared::Shared;

/// The ping period.
const PING: Duration = Duration::from_secs(15);

/// The WebSocket handler.
pub async fn stream(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    RawQuery(raw): RawQuery,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, StreamError> {
    // A signed URL is minted for `…/Events` and names the subscription, not the
    // channel: any channel may carry it.
    let signed_path = uri.path().strip_suffix("/ws").unwrap_or(uri.path());
    let (grant, feed) = open_feed(&shared, &headers, signed_path, &account, raw.as_deref()).await?;
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let control = Control::new(
        shared,
        grant.account,
        feed.subscriptions(),
        grant.may_publish,
    );
    Ok(upgrade
        .max_message_size(MAX_MESSAGE)
        .on_upgrade(move |socket| run(socket, feed, control)))
}

/// What the publishing task hands the socket's writer.
enum Out {
    Event(String),
    Closed(Closed),
}

async fn run(socket: WebSocket, mut feed: Feed, control: Control) {
    let (mut sink, mut incoming) = socket.split();
    // The feed is awaited in a task of its own: `Feed::next` is not cancel-safe (a
    // Wasm filter may be running), so it is never raced against the socket.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Out>(64);
    let publisher = tokio::spawn(async move {
        loop {
            let out = match feed.next().await {
                Ok(e) => Out::Event(e.json().to_owned()),
                Err(why) => Out::Closed(why),
            };
            let last = matches!(out, Out::Closed(_));
            if tx.send(out).await.is_err() || last {
                return;
            }
        }
    });
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING, PING);
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(Out::Event(json)) => {
                    if sink.send(Message::Text(json.into())).await.is_err() {
                        break;
                    }
                }
                Some(Out::Closed(why)) => {
                    let reason = why.as_str();
                    let last = serde_json::json!({"type": "stream.closed", "reason": reason});
                    let _ = sink.send(Message::Text(last.to_string().into())).await;
                    let _ = sink
                        .send(Message::Close(Some(CloseFrame {
                            code: 1000,
                            reason: reason.into(),
                        })))
                        .await;
                    break;
                }
                None => break,
            },
            message = incoming.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let answer = control.handle(text.as_str());
                    if sink.send(Message::Text(answer.into())).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    let answer = refusal("", "control messages are JSON text frames");
                    if sink.send(Message::Text(answer.into())).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
        }
    }
    publisher.abort();
}
