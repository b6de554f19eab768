//! The node's HTTP server: health, the demo app, and the Twilio-compatible REST API.

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::shared::Shared;

mod apps;
mod openapi;
mod serve;
mod stream_conn;
pub(crate) mod subscriptions;
mod usage;

pub use serve::serve;
pub(crate) use subscriptions::console_link;

/// The largest component an upload may carry.
const MAX_APP_BYTES: usize = 32 << 20;

/// `GET /metrics`: the Prometheus scrape.
async fn metrics(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
) -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            crate::metrics::CONTENT_TYPE,
        )],
        shared.metrics.render(),
    )
}

/// The node's routes: health, the demo app, and the REST API.
pub fn router(shared: Arc<Shared>, api: switchyard_api::ApiState) -> Router {
    let own = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        // Unauthenticated, like /healthz: series carry no account data, and the HTTP
        // listener is on loopback unless the operator binds it elsewhere.
        .route("/metrics", get(metrics))
        .route(
            "/demo/voice",
            post(crate::demo::voice).get(crate::demo::voice),
        )
        .route("/demo/gathered", post(crate::demo::gathered))
        .route("/demo/tone.wav", get(crate::demo::tone))
        .route(
            "/v1/Accounts/{account}/Apps",
            post(apps::deploy)
                .get(apps::list)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_APP_BYTES)),
        )
        .route(
            "/v1/Accounts/{account}/Apps/{name}",
            get(apps::fetch).delete(apps::delete),
        )
        .route(
            "/v1/Accounts/{account}/Presence",
            get(crate::presence::presence_list),
        )
        .route(
            "/v1/Accounts/{account}/Presence/{identity}",
            get(crate::presence::presence_one),
        )
        .route("/v1/EventTypes", get(subscriptions::catalogue))
        .route("/v1/Accounts/{account}/Usage/Modules", get(usage::modules))
        .route(
            "/v1/Accounts/{account}/Calls/{call}/Modules",
            get(usage::call_modules),
        )
        .route("/console/events", get(crate::console::events))
        .route(
            "/v1/Accounts/{account}/Subscriptions",
            post(subscriptions::create).get(subscriptions::list),
        )
        .route(
            "/v1/Accounts/{account}/Subscriptions/{sid}",
            get(subscriptions::fetch)
                .patch(subscriptions::update)
                .post(subscriptions::update)
                .delete(subscriptions::delete),
        )
        .route(
            "/v1/Accounts/{account}/Subscriptions/{sid}/SignedUrl",
            post(subscriptions::signed_url),
        )
        .route(
            "/v1/Accounts/{account}/Events",
            get(crate::events::sse_stream),
        )
        .route(
            "/v1/Accounts/{account}/Events/ws",
            get(crate::events::ws_stream),
        )
        .route(
            "/v1/Accounts/{account}/Events/SignedUrl",
            post(subscriptions::inline_signed_url),
        )
        .route(
            "/v1/Accounts/{account}/Calls/{call}/Events",
            post(subscriptions::client_event),
        )
        .with_state(shared);
    own.merge(switchyard_api::router_documented(api, openapi::document()))
        .fallback(|uri: axum::http::Uri| async move {
            switchyard_api::Error::NotFound(uri.path().to_owned())
        })
}
