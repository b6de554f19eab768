//! The node's HTTP server: health, the demo app, and the Twilio-compatible REST API.

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::shared::Shared;

/// The node's routes: health, the demo app, and the REST API.
pub fn router(shared: Arc<Shared>, api: switchyard_api::ApiState) -> Router {
    let own = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/demo/voice",
            post(crate::demo::voice).get(crate::demo::voice),
        )
        .route("/demo/gathered", post(crate::demo::gathered))
        .route("/demo/tone.wav", get(crate::demo::tone))
        .with_state(shared);
    own.merge(switchyard_api::router(api))
}
