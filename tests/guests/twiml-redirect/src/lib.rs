//! Redirects to the URL in the request parameter `Next` (a webhook, `app:NAME` or a
//! path), for calls that move between Wasm apps and webhooks.
use switchyard_sdk::{export_handler, AppError, Request, Response};

fn twiml_redirect(req: Request) -> Result<Response, AppError> {
    match req.param("Next") {
        Some(next) => Ok(Response::new().redirect(next)),
        None => Err(AppError::new(
            12100,
            "twiml-redirect needs a Next parameter",
        )),
    }
}

export_handler!(twiml_redirect);
