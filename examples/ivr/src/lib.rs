//! A one-digit IVR, the same as its twin examples/ivr-webhook:
//!
//! - `/`: a Gather of one digit (timeout 10 s, action `/gathered`) prompting "Welcome to
//!   Switchyard. Press one, or zero for an operator."; a caller who has called this
//!   number before hears "Welcome back to Switchyard. …" (visits are counted in the
//!   session store);
//! - `/gathered`: digit 1 plays a tone and hangs up; digit 0 says "Connecting you to an
//!   operator." and dials [`OPERATOR`] (ringing at most 20 s, action `/dialed`); any
//!   other input says "Wrong digit" and hangs up;
//! - `/dialed`: after a call the operator answered (`DialCallStatus` `completed`) says
//!   "Goodbye." and hangs up; otherwise (busy, no answer, failed, …) says "The operator
//!   is not available." and offers the menu again, without counting a visit; no digit
//!   there ends the call, as the first menu does;
//! - any other path is an application error.
//!
//! A Wasm app serves no files, so the tone's URL is fixed when the app is built:
//! `IVR_TONE_URL`, by default the demo tone every node serves on its HTTP port.

use switchyard_sdk::{export_handler, log, session, AppError, Dial, Gather, Request, Response};

/// The tone played after a correct digit.
const TONE_URL: &str = match option_env!("IVR_TONE_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8080/demo/tone.wav",
};

/// The operator's number, dialled for 0; the node routes it through the account's trunk.
pub const OPERATOR: &str = "+15550000000";

/// How long the operator's phone rings before the caller is told nobody answered.
const OPERATOR_RING_SECONDS: u32 = 20;

/// The menu's choices, after the greeting and on its own when offered again.
const MENU: &str = "Press one, or zero for an operator.";

/// Session key counting the calls of a `(From, To)` pair.
const VISITS: &str = "visits";

/// The code a webhook's 404 is reported with, so both twins fail alike.
const NOT_FOUND: u32 = 11200;

fn ivr(req: Request) -> Result<Response, AppError> {
    match req.path() {
        "/" => Ok(welcome()),
        "/gathered" => Ok(gathered(req.digits())),
        "/dialed" => Ok(dialed(req.param("DialCallStatus"))),
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
    let greeting = if visits > 1 {
        "Welcome back to Switchyard."
    } else {
        "Welcome to Switchyard."
    };
    Response::new().gather(menu(&format!("{greeting} {MENU}")))
}

/// The one-digit Gather saying `prompt`.
fn menu(prompt: &str) -> Gather {
    Gather::new()
        .num_digits(1)
        .action("/gathered")
        .timeout(10)
        .say(prompt)
}

/// Plays the tone for 1 and hangs up, dials the operator for 0, apologises otherwise
/// and hangs up.
fn gathered(digits: Option<&str>) -> Response {
    match digits {
        Some("1") => Response::new().play(TONE_URL).hangup(),
        Some("0") => Response::new().say("Connecting you to an operator.").dial(
            Dial::number(OPERATOR)
                .action("/dialed")
                .timeout(OPERATOR_RING_SECONDS),
        ),
        _ => Response::new().say("Wrong digit").hangup(),
    }
}

/// After the operator's call: goodbye if they answered, else the menu again.
fn dialed(status: Option<&str>) -> Response {
    if status == Some("completed") {
        Response::new().say("Goodbye.").hangup()
    } else {
        Response::new()
            .say("The operator is not available.")
            .gather(menu(MENU))
    }
}

export_handler!(ivr);

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_sdk::{DialTarget, GatherChild, Number, Play, Say, Verb};

    fn step(path: &str, params: &[(&str, &str)]) -> Result<Response, AppError> {
        let mut all = vec![("From", "+15551230000"), ("To", "+15550001111")];
        all.extend_from_slice(params);
        ivr(Request::from_params(path, all))
    }

    fn gathered_with(digits: Option<&str>) -> Response {
        let params: Vec<(&str, &str)> = digits.map(|d| ("Digits", d)).into_iter().collect();
        step("/gathered", &params).unwrap()
    }

    /// The Gather's prompt, digits, action and timeout.
    fn prompt(g: &Gather) -> (String, Option<u32>, Option<String>, u32) {
        let [GatherChild::Say(say)] = g.children.as_slice() else {
            panic!("expected one nested Say: {g:?}");
        };
        (say.text.clone(), g.num_digits, g.action.clone(), g.timeout)
    }

    fn only_gather(r: &Response) -> &Gather {
        let [Verb::Gather(g)] = r.verbs() else {
            panic!("expected one Gather: {r:?}");
        };
        g
    }

    #[test]
    fn first_call_then_repeat_call() {
        let first = step("/", &[]).unwrap();
        assert_eq!(
            prompt(only_gather(&first)),
            (
                "Welcome to Switchyard. Press one, or zero for an operator.".to_owned(),
                Some(1),
                Some("/gathered".to_owned()),
                10
            )
        );
        let again = step("/", &[]).unwrap();
        assert_eq!(
            prompt(only_gather(&again)).0,
            "Welcome back to Switchyard. Press one, or zero for an operator."
        );
        assert_eq!(session::get(VISITS).as_deref(), Some("2"));
    }

    #[test]
    fn one_plays_the_tone() {
        let r = gathered_with(Some("1"));
        assert_eq!(r.verbs(), &[Verb::Play(Play::url(TONE_URL)), Verb::Hangup]);
    }

    #[test]
    fn zero_dials_the_operator() {
        let r = gathered_with(Some("0"));
        let [Verb::Say(say), Verb::Dial(dial)] = r.verbs() else {
            panic!("expected Say then Dial: {r:?}");
        };
        assert_eq!(say.text, "Connecting you to an operator.");
        assert_eq!(dial.action.as_deref(), Some("/dialed"));
        assert_eq!(dial.timeout, 20);
        assert_eq!(
            dial.targets,
            [DialTarget::Number(Number::new("+15550000000"))]
        );
    }

    #[test]
    fn other_digits_are_wrong() {
        for digits in [Some("2"), Some("#"), Some("00"), None] {
            let r = gathered_with(digits);
            assert_eq!(
                r.verbs(),
                &[Verb::Say(Say::new("Wrong digit")), Verb::Hangup]
            );
        }
    }

    #[test]
    fn an_answered_operator_call_ends_with_goodbye() {
        let r = step("/dialed", &[("DialCallStatus", "completed")]).unwrap();
        assert_eq!(r.verbs(), &[Verb::Say(Say::new("Goodbye.")), Verb::Hangup]);
    }

    #[test]
    fn an_unanswered_operator_call_offers_the_menu_again_uncounted() {
        for status in [
            Some("busy"),
            Some("no-answer"),
            Some("failed"),
            Some("canceled"),
            None,
        ] {
            let params: Vec<(&str, &str)> =
                status.map(|s| ("DialCallStatus", s)).into_iter().collect();
            let r = step("/dialed", &params).unwrap();
            let [Verb::Say(sorry), Verb::Gather(g)] = r.verbs() else {
                panic!("{status:?}: expected Say then Gather: {r:?}");
            };
            assert_eq!(sorry.text, "The operator is not available.");
            assert_eq!(
                prompt(g),
                (
                    "Press one, or zero for an operator.".to_owned(),
                    Some(1),
                    Some("/gathered".to_owned()),
                    10
                )
            );
        }
        assert_eq!(session::get(VISITS), None, "the menu again is no new visit");
    }

    #[test]
    fn unknown_path_is_an_app_error() {
        assert_eq!(step("/nope", &[]).unwrap_err().code, NOT_FOUND);
    }
}
