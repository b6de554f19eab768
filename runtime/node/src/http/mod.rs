//! The node's HTTP server: health, the demo app, and read access to call records and
//! notifications in Twilio's JSON shape (the full REST API builds on this).

mod records;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::shared::Shared;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/demo/voice",
            post(crate::demo::voice).get(crate::demo::voice),
        )
        .route("/demo/gathered", post(crate::demo::gathered))
        .route("/demo/tone.wav", get(crate::demo::tone))
        .route(
            "/2010-04-01/Accounts/{account}/Calls/{call}",
            get(records::call),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Calls.json",
            get(records::calls),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Notifications.json",
            get(records::notifications),
        )
        .with_state(shared)
}
