//! Redirects to the URL in the request parameter `Next` (a webhook, `app:NAME` or a
//! path), for calls that move between Wasm apps and webhooks. Without `Next` it redirects
//! to its own path: a redirect loop, which the node must bound. Each step logs
//! `twiml-redirect step CALLSID` (info) so a test can count the steps.
use switchyard_sdk::{export_handler, log, AppError, Request, Response};

fn twiml_redirect(req: Request) -> Result<Response, AppError> {
    log::info(format!("twiml-redirect step {}", req.call_sid()));
    let next = req.param("Next").unwrap_or(req.path()).to_owned();
    Ok(Response::new().redirect(next))
}

export_handler!(twiml_redirect);
