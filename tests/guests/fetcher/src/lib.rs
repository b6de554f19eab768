//! GETs the URL in the request parameter `Target` and says the outcome: "status N"
//! on a response, "error: …" with the host's reason otherwise.
use switchyard_sdk::{export_handler, http, AppError, Request, Response};

fn fetcher(req: Request) -> Result<Response, AppError> {
    let Some(target) = req.param("Target") else {
        return Err(AppError::new(12100, "fetcher needs a Target parameter"));
    };
    let outcome = match http::get(target) {
        Ok(resp) => format!("status {}", resp.status),
        Err(why) => format!("error: {why}"),
    };
    Ok(Response::new().say(outcome).hangup())
}

export_handler!(fetcher);
