//! Signed Twilio-compatible webhook requests with timeouts and fallback.
//!
//! The node asks a tenant's application what a call should do next by POSTing (or
//! GETting) the call's parameters to the application's URL, exactly as Twilio does:
//! same parameter names, same `X-Twilio-Signature`, same timeouts (connect 5 s retried
//! once, whole response 15 s), same 64 kB limit, same fallback URL with `ErrorCode` and
//! `ErrorUrl`, and per-call cookies. It also adds `X-Switchyard-Signature` (HMAC-SHA256
//! with a timestamp and key id) for replay protection and key rotation.
//!
//! This crate does not parse TwiML: an answer comes back as [`AppResponse::Twiml`] text
//! and the node hands it to the instructions crate.
//!
//! ```no_run
//! # async fn demo() -> Result<(), switchyard_webhook::Error> {
//! use switchyard_webhook::{CookieJar, Signer, Target, WebhookClient, WebhookConfig};
//! let client = WebhookClient::new(WebhookConfig::default())?;
//! let signer = Signer::new("auth-token".into(), None);
//! let mut jar = CookieJar::default();
//! let params = vec![("CallSid".to_string(), "CA0123".to_string())];
//! let answer = client
//!     .fetch(&Target::post("https://app.example/voice"), &params, &signer, &mut jar)
//!     .await?;
//! # let _ = answer; Ok(()) }
//! ```

mod classify;
mod client;
mod cookies;
mod error;
mod fallback;
mod request;
mod resolver;
mod response;
mod signature;

pub use client::{WebhookClient, WebhookConfig};
pub use cookies::CookieJar;
pub use error::Error;
pub use fallback::{run_with_fallback, Attempt, FetchFailure, Fetched, TwilioCoded};
pub use request::{redact_url, HttpMethod, Target, MAX_REDIRECTS};
pub use resolver::SystemResolver;
pub use response::AppResponse;
pub use signature::{
    parse_switchyard_signature, switchyard_signature, twilio_signature, twilio_signature_json,
    verify_switchyard_signature, SignatureHeaders, Signer, SwitchyardSignature,
};
