//! Says how many times this `(From, To)` pair has called ("count 1", "count 2", …),
//! keeping the count in the session store under `count`.
use switchyard_sdk::{export_handler, log, session, AppError, Request, Response};

fn counter(_req: Request) -> Result<Response, AppError> {
    let count = session::get("count")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    session::set("count", &count.to_string())
        .map_err(|why| AppError::new(12100, format!("count not saved: {why}")))?;
    // At warn so the count becomes a notification the end-to-end tests can read.
    log::warn(format!("count {count}"));
    Ok(Response::new().say(format!("count {count}")).hangup())
}

export_handler!(counter);
