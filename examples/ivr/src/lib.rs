//! A one-digit IVR that behaves like the end-to-end tests' `gather-play` webhook
//! (tests/peers/webhook.py) and like its twin, examples/ivr-webhook:
//!
//! - `/`: a Gather of one digit (timeout 10 s, action `/gathered`) prompting "Welcome to
//!   Switchyard. Press one."; a caller who has called this number before hears "Welcome
//!   back to Switchyard. Press one." (visits are counted in the session store);
//! - `/gathered`: digit 1 plays a tone and hangs up; any other input says "Wrong digit"
//!   and hangs up;
//! - any other path is an application error.
//!
//! A Wasm app serves no files, so the tone's URL is fixed when the app is built:
//! `IVR_TONE_URL`, by default the demo tone every node serves on its HTTP port.

use switchyard_sdk::{export_handler, log, session, AppError, Gather, Request, Response};

/// The tone played after a correct digit.
const TONE_URL: &str = match option_env!("IVR_TONE_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8080/demo/tone.wav",
};

/// Session key counting the calls of a `(From, To)` pair.
const VISITS: &str = "visits";

/// The code a webhook's 404 is reported with, so both twins fail alike.
const NOT_FOUND: u32 = 11200;

fn ivr(req: Request) -> Result<Response, AppError> {
    match req.path() {
        "/" => Ok(welcome()),
        "/gathered" => Ok(gathered(req.digits())),
        other => Err(AppError::new(NOT_FOUND, format!("no such path: {other}"))),
    }
}

/// Counts this call and prompts for a digit.
fn welcome() -> Response {
    let visits = session::get(VISITS)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    // A full store must not cost the caller the menu: log and go on uncounted.
    if let Err(why) = session::set(VISITS, &visits.to_string()) {
        log::warn(format!("visit count not saved: {why}"));
    }
    let prompt = if visits > 1 {
        "Welcome back to Switchyard. Press one."
    } else {
        "Welcome to Switchyard. Press one."
    };
    Response::new().gather(
        Gather::new()
            .num_digits(1)
            .action("/gathered")
            .timeout(10)
            .say(prompt),
    )
}

/// Plays the tone for 1, apologises otherwise; hangs up either way.
fn gathered(digits: Option<&str>) -> Response {
    let r = if digits == Some("1") {
        Response::new().play(TONE_URL)
    } else {
        Response::new().say("Wrong digit")
    };
    r.hangup()
}

export_handler!(ivr);

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_sdk::{GatherChild, Play, Say, Verb};

    fn step(path: &str, digits: Option<&str>) -> Result<Response, AppError> {
        let mut params = vec![("From", "+15551230000"), ("To", "+15550001111")];
        params.extend(digits.map(|d| ("Digits", d)));
        ivr(Request::from_params(path, params))
    }

    fn prompt(r: &Response) -> (String, Option<u32>, Option<String>, u32) {
        let [Verb::Gather(g)] = r.verbs() else {
            panic!("expected one Gather: {r:?}");
        };
        let [GatherChild::Say(say)] = g.children.as_slice() else {
            panic!("expected one nested Say: {g:?}");
        };
        (say.text.clone(), g.num_digits, g.action.clone(), g.timeout)
    }

    #[test]
    fn first_call_then_repeat_call() {
        let first = step("/", None).unwrap();
        assert_eq!(
            prompt(&first),
            (
                "Welcome to Switchyard. Press one.".to_owned(),
                Some(1),
                Some("/gathered".to_owned()),
                10
            )
        );
        let again = step("/", None).unwrap();
        assert_eq!(prompt(&again).0, "Welcome back to Switchyard. Press one.");
        assert_eq!(session::get(VISITS).as_deref(), Some("2"));
    }

    #[test]
    fn one_plays_the_tone() {
        let r = step("/gathered", Some("1")).unwrap();
        assert_eq!(r.verbs(), &[Verb::Play(Play::url(TONE_URL)), Verb::Hangup]);
    }

    #[test]
    fn other_digits_are_wrong() {
        for digits in [Some("2"), Some("#"), None] {
            let r = step("/gathered", digits).unwrap();
            assert_eq!(
                r.verbs(),
                &[Verb::Say(Say::new("Wrong digit")), Verb::Hangup]
            );
        }
    }

    #[test]
    fn unknown_path_is_an_app_error() {
        assert_eq!(step("/nope", None).unwrap_err().code, NOT_FOUND);
    }
}
