//! `/console/events`: a small live page of an account's events, for a browser that holds
//! a signed stream URL (`?stream=/v1/Accounts/AC…/Events?…&sig=…`) and not the key.

use axum::http::header;
use axum::response::IntoResponse;

const EVENTS_PAGE: &str = include_str!("events.html");

pub async fn events() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The page runs only its own inline script and talks only to this node.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
            ),
        ],
        EVENTS_PAGE,
    )
}
