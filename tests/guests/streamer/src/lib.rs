//! Media Streams from a Wasm app. A path `/fork/HOST:PORT` forks both tracks of the
//! call to `ws://HOST:PORT/wasm` as the stream "wasm-fork" (custom parameter
//! `app=streamer`), says "streaming", waits 3 s, stops the fork by name, waits 2 s
//! more and hangs up. A path `/connect/HOST:PORT` hands the call to
//! `ws://HOST:PORT/wasm-bot` until the server closes, then `/after` says "after" and
//! hangs up. Any other path hangs up.
use switchyard_sdk::{export_handler, AppError, Connect, Request, Response, Stream, StreamTrack};

fn streamer(req: Request) -> Result<Response, AppError> {
    let path = req.path();
    if let Some(server) = path.strip_prefix("/fork/") {
        return Ok(Response::new()
            .start_stream(
                Stream::new(format!("ws://{server}/wasm"))
                    .name("wasm-fork")
                    .track(StreamTrack::Both)
                    .parameter("app", "streamer"),
            )
            .say("streaming")
            .pause(3)
            .stop_stream("wasm-fork")
            .pause(2)
            .hangup());
    }
    if let Some(server) = path.strip_prefix("/connect/") {
        return Ok(Response::new()
            .connect_stream(Connect::new(format!("ws://{server}/wasm-bot")).action("/after")));
    }
    if path == "/after" {
        return Ok(Response::new().say("after").hangup());
    }
    Ok(Response::new().hangup())
}

export_handler!(streamer);
