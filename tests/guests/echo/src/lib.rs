//! Reports what the node handed it, at warn level so it becomes a notification the
//! tests can read: `ErrorCode=… ErrorUrl=… path=…` (`-` where absent). Says "echo" and
//! hangs up.
//!
//! A path `/fetch/HOST:PORT/REST` also GETs `http://HOST:PORT/REST` and logs the
//! outcome, so a test can aim an outbound request without a request parameter (a
//! caller cannot set one).
use switchyard_sdk::{export_handler, http, log, AppError, Request, Response};

fn echo(req: Request) -> Result<Response, AppError> {
    let code = req
        .param("ErrorCode")
        .map_or_else(|| "-".to_owned(), str::to_owned);
    let url = req.param("ErrorUrl").unwrap_or("-");
    log::warn(format!(
        "ErrorCode={code} ErrorUrl={url} path={}",
        req.path()
    ));
    if let Some(target) = req.path().strip_prefix("/fetch/") {
        match http::get(&format!("http://{target}")) {
            Ok(resp) => log::warn(format!("fetch {target}: status {}", resp.status)),
            Err(why) => log::warn(format!("fetch {target}: error: {why}")),
        }
    }
    Ok(Response::new().say("echo").hangup())
}

export_handler!(echo);
