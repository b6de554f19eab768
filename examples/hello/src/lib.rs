//! Hello world: greets the caller and hangs up.
use switchyard_sdk::{export_handler, AppError, Request, Response};

fn hello(req: Request) -> Result<Response, AppError> {
    Ok(Response::new()
        .say(format!("Hello, {}", req.from()))
        .hangup())
}

export_handler!(hello);
