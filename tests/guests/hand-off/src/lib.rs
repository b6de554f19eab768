//! Says "hand off" (8 characters of speech), then redirects to the URL its path carries
//! percent-encoded: a path `/go/app%3Abilling%2Fgo%2F…` hands the call to the app
//! `billing` at `/go/…`, so a test chains Wasm apps and a webhook through one number's
//! URL. Without `/go/` it hangs up.
use switchyard_sdk::{export_handler, AppError, Request, Response};

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hand_off(req: Request) -> Result<Response, AppError> {
    let response = Response::new().say("hand off");
    Ok(match req.path().strip_prefix("/go/") {
        Some(next) => response.redirect(decode(next)),
        None => response.hangup(),
    })
}

export_handler!(hand_off);
