//! `<Record>`, a conference and a queue from a Wasm app, built with the SDK's builders.
//! Every path ends in `/HOST:PORT`, the test's HTTP server: the app reports what a
//! step received there (a form POST to `/report/<step>` with every request parameter)
//! and points the callbacks it asks for at it.
//!
//! - `/voicemail/H`: records up to 10 s (2 s of silence or `#` end it, no beep), with
//!   `in-progress` and `completed` recording status callbacks to `http://H/recording`;
//!   the action `/recorded/H` reports and hangs up.
//! - `/room/H`: joins the room `wasm-room` (no beep) with `join` and `leave` callbacks
//!   to `http://H/conf`.
//! - `/caller/H`: waits in the queue `wasm-queue` (at most one caller; the wait
//!   document `/wait/H`, played in a loop, reports and pauses a second); the action
//!   `/left/H` reports and hangs up.
//! - `/agent/H`: takes the caller at the head of `wasm-queue`.
use switchyard_sdk::{
    export_handler, http, AppError, Conference, ConferenceEvent, Dial, Enqueue, Record,
    RecordingEvent, Request, Response,
};

/// `application/x-www-form-urlencoded` for `pairs`.
fn form<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// POSTs every parameter of `req` to `http://{host}/report/{step}`.
fn report(req: &Request, host: &str, step: &str) -> Result<(), AppError> {
    http::post(
        &format!("http://{host}/report/{step}"),
        "application/x-www-form-urlencoded",
        form(req.params()).as_bytes(),
    )
    .map(drop)
    .map_err(|why| AppError::new(12100, format!("report {step}: {why}")))
}

fn rooms(req: Request) -> Result<Response, AppError> {
    let path = req.path().trim_start_matches('/');
    let Some((step, host)) = path.split_once('/') else {
        return Ok(Response::new().hangup());
    };
    Ok(match step {
        "voicemail" => Response::new().record(
            Record::new()
                .max_length(10)
                .timeout(2)
                .finish_on_key("#")
                .play_beep(false)
                .action(format!("/recorded/{host}"))
                .recording_status_callback(format!("http://{host}/recording"))
                .recording_status_callback_event([
                    RecordingEvent::InProgress,
                    RecordingEvent::Completed,
                ]),
        ),
        "recorded" | "left" => {
            report(&req, host, step)?;
            Response::new().hangup()
        }
        "room" => Response::new().dial(Dial::conference(
            Conference::new("wasm-room")
                .beep("false")
                .status_callback(format!("http://{host}/conf"))
                .status_callback_event([ConferenceEvent::Join, ConferenceEvent::Leave]),
        )),
        "caller" => Response::new().enqueue(
            Enqueue::new("wasm-queue")
                .max_queue_size(1)
                .wait_url(format!("/wait/{host}"))
                .action(format!("/left/{host}")),
        ),
        "wait" => {
            report(&req, host, step)?;
            Response::new().pause(1)
        }
        "agent" => Response::new().dial(Dial::queue("wasm-queue")).hangup(),
        _ => Response::new().hangup(),
    })
}

export_handler!(rooms);
