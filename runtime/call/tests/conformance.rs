//! Conformance of the executed verbs to Twilio's reference pages, one test per rule.
//!
//! Each test's name is the rule; the doc comment above it quotes the sentence of Twilio's
//! page it checks. Documents are real TwiML (parsed as a webhook's would be) run by the
//! executor in virtual time. docs/CONFORMANCE.md lists every rule and where the rules
//! tested elsewhere (parsing defaults, the SIP leg, the node end to end) are checked.

use std::time::{Duration, Instant};

use switchyard_call::{
    Action, AppLimits, Document, Executor, FetchRequest, MediaSource, DOCUMENT_LIMIT, LOOP_STATUS,
    PRE_ANSWER_STATUS,
};
use switchyard_instructions::{parse_twiml, HttpMethod};

const URL: &str = "https://app.example.com/ivr/voice";

/// What the executor asks of the node, events left out.
fn work(exec: &mut Executor) -> Vec<Action> {
    std::iter::from_fn(|| exec.poll_action())
        .filter(|a| !matches!(a, Action::Event { .. }))
        .collect()
}

fn twiml(body: &str) -> Document {
    let xml = format!("<Response>{body}</Response>");
    Document::Verbs(parse_twiml(&xml).unwrap_or_else(|e| panic!("{xml}: {e}")))
}

/// A call whose first request is made, answered with `body`.
fn call(t0: Instant, body: &str) -> Executor {
    let mut exec = Executor::new(URL, HttpMethod::Post);
    exec.start(t0);
    let first = work(&mut exec);
    assert!(
        matches!(&first[..], [Action::Fetch(f)] if f.url == URL),
        "{first:?}"
    );
    exec.document(t0, Ok(twiml(body)));
    exec
}

fn fetch(actions: &[Action]) -> &FetchRequest {
    actions
        .iter()
        .find_map(|a| match a {
            Action::Fetch(f) => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no fetch in {actions:?}"))
}

fn played(actions: &[Action]) -> (switchyard_call::MediaToken, &MediaSource, u32) {
    actions
        .iter()
        .find_map(|a| match a {
            Action::Play {
                token,
                source,
                repeat,
            } => Some((*token, source, *repeat)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no play in {actions:?}"))
}

// ---- <Say> ----

/// Say: "loop: 1" by default, voice `man`, language `en-US`; the call is answered first.
#[test]
fn say_answers_then_speaks_once_with_the_default_voice() {
    let t0 = Instant::now();
    let mut exec = call(t0, "<Say>Hello</Say>");
    let acts = work(&mut exec);
    assert_eq!(acts[0], Action::Answer);
    let (_, source, repeat) = played(&acts);
    assert_eq!(repeat, 1);
    assert_eq!(
        source,
        &MediaSource::Speech {
            text: "Hello".into(),
            voice: "man".into(),
            language: "en-US".into()
        }
    );
}

/// Say: "If you specify '0' for loop, <Say> repeats until the call ends."
#[test]
fn say_loop_zero_repeats_until_the_call_ends() {
    let mut exec = call(Instant::now(), r#"<Say loop="0">Again</Say>"#);
    assert_eq!(played(&work(&mut exec)).2, 0);
}

// ---- <Play> ----

/// Play: the URL may be relative; it resolves against the document's URL.
#[test]
fn play_relative_url_resolves_against_the_document() {
    let mut exec = call(Instant::now(), "<Play>sounds/tone.wav</Play>");
    let acts = work(&mut exec);
    assert_eq!(
        played(&acts).1,
        &MediaSource::Url("https://app.example.com/ivr/sounds/tone.wav".into())
    );
}

/// Play: "loop: 1" by default; "If you specify '0', <Play> loops until the call ends".
#[test]
fn play_loop_default_one_and_zero_until_the_call_ends() {
    let mut exec = call(Instant::now(), "<Play>/a.wav</Play>");
    assert_eq!(played(&work(&mut exec)).2, 1);
    let mut exec = call(Instant::now(), r#"<Play loop="0">/a.wav</Play>"#);
    assert_eq!(played(&work(&mut exec)).2, 0);
}

/// Play: `digits` plays DTMF tones instead of a file.
#[test]
fn play_digits_sends_dtmf() {
    let mut exec = call(Instant::now(), r#"<Play digits="1w2"/>"#);
    assert_eq!(
        played(&work(&mut exec)).1,
        &MediaSource::Digits("1w2".into())
    );
}

/// Play: a file that cannot be played is reported (a notification) and the next verb
/// runs.
#[test]
fn play_failure_notifies_and_falls_through() {
    let t0 = Instant::now();
    let mut exec = call(t0, "<Play>/missing.wav</Play><Say>next</Say>");
    let (token, ..) = played(&work(&mut exec));
    exec.media_failed(
        t0,
        token,
        switchyard_call::AppFailure {
            code: 11200,
            message: "404".into(),
        },
    );
    let acts = work(&mut exec);
    assert!(matches!(&acts[0], Action::Notify(f) if f.code == 11200));
    assert!(matches!(played(&acts).1, MediaSource::Speech { text, .. } if text == "next"));
}

// ---- <Pause> ----

/// Pause: "If <Pause> is the first verb in a TwiML document, Twilio will wait the
/// specified number of seconds before picking up the call."
#[test]
fn pause_first_waits_its_length_before_answering() {
    let t0 = Instant::now();
    let mut exec = call(t0, r#"<Pause length="2"/><Say>hi</Say>"#);
    assert_eq!(work(&mut exec), vec![], "no answer during the first pause");
    assert!(!exec.is_answered());
    assert_eq!(exec.poll_timeout(), Some(t0 + Duration::from_secs(2)));
    exec.timeout(t0 + Duration::from_millis(1999));
    assert_eq!(work(&mut exec), vec![], "an early wake-up does nothing");
    exec.timeout(t0 + Duration::from_secs(2));
    let acts = work(&mut exec);
    assert_eq!(acts[0], Action::Answer);
    assert!(matches!(played(&acts).1, MediaSource::Speech { text, .. } if text == "hi"));
}

/// Pause: "length: 1 second" by default; a Pause after another verb runs on the
/// answered call.
#[test]
fn pause_not_first_runs_on_the_answered_call_for_one_second_by_default() {
    let t0 = Instant::now();
    let mut exec = call(t0, "<Say>a</Say><Pause/><Hangup/>");
    let (token, ..) = played(&work(&mut exec));
    let t1 = t0 + Duration::from_secs(3);
    exec.media_done(t1, token);
    assert_eq!(work(&mut exec), vec![]);
    assert_eq!(exec.poll_timeout(), Some(t1 + Duration::from_secs(1)));
    exec.timeout(t1 + Duration::from_secs(1));
    assert_eq!(work(&mut exec), vec![Action::Hangup]);
}

/// Pause first, then the end of the document: the call is picked up after the pause
/// and then ends.
#[test]
fn pause_only_document_answers_after_the_pause_then_hangs_up() {
    let t0 = Instant::now();
    let mut exec = call(t0, r#"<Pause length="2"/>"#);
    assert_eq!(work(&mut exec), vec![]);
    exec.timeout(t0 + Duration::from_secs(2));
    assert_eq!(work(&mut exec), vec![Action::Answer, Action::Hangup]);
}

// ---- <Hangup> ----

/// Hangup: "If used as the first verb in a TwiML response it does not prevent Twilio
/// from answering the call" — answered (200), then hung up (BYE).
#[test]
fn hangup_first_answers_then_hangs_up() {
    let mut exec = call(Instant::now(), "<Hangup/><Say>never</Say>");
    assert_eq!(work(&mut exec), vec![Action::Answer, Action::Hangup]);
    assert!(exec.is_done());
}

// ---- <Reject> ----

/// Reject: "If the first verb in a TwiML document is <Reject>, Twilio will not pick up
/// the call"; `reason` is `rejected` by default (603), `busy` gives 486.
#[test]
fn reject_first_leaves_the_call_unanswered() {
    let mut exec = call(Instant::now(), "<Reject/>");
    assert_eq!(work(&mut exec), vec![Action::Reject { status: 603 }]);
    let mut exec = call(Instant::now(), r#"<Reject reason="busy"/>"#);
    assert_eq!(work(&mut exec), vec![Action::Reject { status: 486 }]);
}

/// Reject: the first verb of a document reached by `<Redirect>` is still a first verb;
/// the call stays unanswered.
#[test]
fn reject_first_in_a_redirected_document_still_rejects() {
    let t0 = Instant::now();
    let mut exec = call(t0, "<Redirect>/blocked</Redirect>");
    work(&mut exec);
    exec.document(t0, Ok(twiml("<Reject/>")));
    assert_eq!(work(&mut exec), vec![Action::Reject { status: 603 }]);
}

/// Reject: "Using <Reject> as the first verb in your response is the only way to
/// prevent Twilio from answering a call" — after another verb it ends the answered call.
#[test]
fn reject_after_another_verb_hangs_up_the_answered_call() {
    let t0 = Instant::now();
    let mut exec = call(t0, r#"<Pause length="1"/><Reject/>"#);
    work(&mut exec);
    exec.timeout(t0 + Duration::from_secs(1));
    assert_eq!(work(&mut exec), vec![Action::Answer, Action::Hangup]);
}

// ---- <Redirect> ----

/// Redirect: `method` is POST by default, the URL may be relative, and "Any verbs after
/// <Redirect> are unreachable and ignored." Redirect does not answer the call.
#[test]
fn redirect_posts_to_the_relative_url_without_answering() {
    let mut exec = call(
        Instant::now(),
        "<Redirect>../next</Redirect><Say>never</Say>",
    );
    let acts = work(&mut exec);
    assert_eq!(acts.len(), 1, "{acts:?}");
    let f = fetch(&acts);
    assert_eq!(f.url, "https://app.example.com/next");
    assert_eq!(f.method, HttpMethod::Post);
    assert!(
        !f.use_fallback,
        "only the first request uses the fallback URL"
    );
    assert!(!exec.is_answered());
}

/// Redirect: a redirected document resolves its own relative URLs against the URL it
/// was fetched from.
#[test]
fn redirect_target_becomes_the_base_of_relative_urls() {
    let t0 = Instant::now();
    let mut exec = call(t0, r#"<Redirect method="GET">/menu/main</Redirect>"#);
    assert_eq!(fetch(&work(&mut exec)).method, HttpMethod::Get);
    exec.document(t0, Ok(twiml("<Play>beep.wav</Play>")));
    assert_eq!(
        played(&work(&mut exec)).1,
        &MediaSource::Url("https://app.example.com/menu/beep.wav".into())
    );
}

// ---- <Gather> ----

/// Gather: "it will pause for up to five seconds" (`timeout` 5 by default), then with no
/// input "falls through to the next verb".
#[test]
fn gather_defaults_five_seconds_then_falls_through() {
    let t0 = Instant::now();
    let mut exec = call(t0, "<Gather/><Say>no input</Say>");
    assert_eq!(work(&mut exec), vec![Action::Answer]);
    assert_eq!(exec.poll_timeout(), Some(t0 + Duration::from_secs(5)));
    exec.timeout(t0 + Duration::from_secs(5));
    assert!(
        matches!(played(&work(&mut exec)).1, MediaSource::Speech { text, .. } if text == "no input")
    );
}

/// Gather: "finishOnKey ... #" by default and "action ... current document URL" with
/// `method` POST; the finish key is not part of `Digits`.
#[test]
fn gather_hash_finishes_and_posts_to_the_current_document() {
    let t0 = Instant::now();
    let mut exec = call(t0, "<Gather/>");
    work(&mut exec);
    for d in ['4', '2', '#'] {
        exec.digit(t0, d);
    }
    let acts = work(&mut exec);
    let f = fetch(&acts);
    assert_eq!((f.url.as_str(), f.method), (URL, HttpMethod::Post));
    assert_eq!(
        f.params,
        vec![
            ("Digits".to_owned(), "42".to_owned()),
            ("FinishedOnKey".to_owned(), "#".to_owned())
        ]
    );
}

/// Gather: `finishOnKey=""` (the empty string) means no key ends input: `#` is a digit
/// like the others and the input ends at the timeout.
#[test]
fn gather_empty_finish_on_key_makes_hash_a_digit() {
    let t0 = Instant::now();
    let mut exec = call(t0, r#"<Gather finishOnKey="" timeout="2" action="/got"/>"#);
    work(&mut exec);
    exec.digit(t0, '1');
    exec.digit(t0, '#');
    assert_eq!(work(&mut exec), vec![], "# does not end the input");
    exec.timeout(t0 + Duration::from_secs(2));
    let acts = work(&mut exec);
    let f = fetch(&acts);
    assert_eq!(f.url, "https://app.example.com/got");
    assert_eq!(f.params, vec![("Digits".to_owned(), "1#".to_owned())]);
}

/// Gather: input ends once `numDigits` digits are in; verbs after the Gather are not
/// run when input was received.
#[test]
fn gather_num_digits_ends_input_and_skips_the_rest_of_the_document() {
    let t0 = Instant::now();
    let mut exec = call(
        t0,
        r#"<Gather numDigits="2" action="next"/><Say>unreachable</Say>"#,
    );
    work(&mut exec);
    exec.digit(t0, '1');
    assert_eq!(work(&mut exec), vec![]);
    exec.digit(t0, '2');
    let acts = work(&mut exec);
    assert_eq!(acts.len(), 1, "{acts:?}");
    assert_eq!(fetch(&acts).url, "https://app.example.com/ivr/next");
}

/// Gather: the timeout counts from the end of the nested prompts, and restarts with
/// each digit ("the number of seconds to wait for the next digit").
#[test]
fn gather_timeout_runs_after_the_prompts_and_between_digits() {
    let t0 = Instant::now();
    let mut exec = call(t0, r#"<Gather timeout="3"><Say>menu</Say></Gather>"#);
    let (token, ..) = played(&work(&mut exec));
    assert_eq!(
        exec.poll_timeout(),
        None,
        "no input timer while the prompt plays"
    );
    let t1 = t0 + Duration::from_secs(4);
    exec.media_done(t1, token);
    assert_eq!(exec.poll_timeout(), Some(t1 + Duration::from_secs(3)));
    exec.digit(t1 + Duration::from_secs(2), '5');
    assert_eq!(work(&mut exec), vec![]);
    assert_eq!(exec.poll_timeout(), Some(t1 + Duration::from_secs(5)));
}

// ---- The document ----

/// A document that runs out of verbs ends the call (answered first, like any verb).
#[test]
fn empty_document_answers_and_hangs_up() {
    let mut exec = call(Instant::now(), "");
    assert_eq!(work(&mut exec), vec![Action::Answer, Action::Hangup]);
}

/// The first request is made with the number's fallback URL; the requests after it
/// (Redirect, Gather action) are not.
#[test]
fn only_the_first_request_uses_the_fallback_url() {
    let mut exec = Executor::new(URL, HttpMethod::Post);
    exec.start(Instant::now());
    assert!(fetch(&work(&mut exec)).use_fallback);
}

// ---- Bounds on an application that goes nowhere ----

/// Redirect loop, unanswered: the app sees at most `max_requests_without_verb` requests,
/// then the caller gets 500 and a 14106 notification names the loop.
#[test]
fn redirect_loop_ends_an_unanswered_call_with_500_at_the_bound() {
    let t0 = Instant::now();
    let mut exec = Executor::new(URL, HttpMethod::Post);
    exec.start(t0);
    let mut requests = 0;
    let mut acts = work(&mut exec);
    let mut now = t0;
    while let [Action::Fetch(f)] = &acts[..] {
        assert_eq!(f.url, URL);
        requests += 1;
        assert!(requests <= 100, "request {requests} went past the bound");
        now += Duration::from_millis(28);
        exec.document(now, Ok(twiml("<Redirect>voice</Redirect>")));
        acts = work(&mut exec);
    }
    assert_eq!(requests, AppLimits::DEFAULT_MAX_REQUESTS_WITHOUT_VERB);
    assert!(
        matches!(&acts[0], Action::Notify(f) if f.code == DOCUMENT_LIMIT && f.message.contains("redirect loop")),
        "{acts:?}"
    );
    assert_eq!(
        acts[1],
        Action::Reject {
            status: LOOP_STATUS
        }
    );
    assert!(exec.is_done());
}

/// Redirect loop, answered: after the bound the caller hears the application error and
/// gets a BYE; a verb that runs (here a Say) resets the count.
#[test]
fn redirect_loop_on_an_answered_call_speaks_the_error_and_hangs_up() {
    let t0 = Instant::now();
    let limits = AppLimits {
        max_requests_without_verb: 3,
        ..AppLimits::default()
    };
    let mut exec = Executor::new(URL, HttpMethod::Post).with_limits(limits);
    exec.start(t0);
    work(&mut exec);
    // Two redirects, a Say (resets the count), then redirects only.
    exec.document(t0, Ok(twiml("<Redirect>voice</Redirect>")));
    exec.document(t0, Ok(twiml("<Redirect>voice</Redirect>")));
    exec.document(t0, Ok(twiml("<Say>hi</Say><Redirect>voice</Redirect>")));
    let (token, ..) = played(&work(&mut exec));
    exec.media_done(t0, token);
    let mut fetches = 0;
    loop {
        let acts = work(&mut exec);
        if !matches!(&acts[..], [Action::Fetch(_)]) {
            assert!(matches!(&acts[0], Action::Notify(f) if f.code == DOCUMENT_LIMIT));
            assert!(!acts.iter().any(|a| matches!(a, Action::Reject { .. })));
            let (token, source, _) = played(&acts);
            assert!(
                matches!(source, MediaSource::Speech { text, .. } if text.contains("application error"))
            );
            exec.media_done(t0, token);
            assert_eq!(work(&mut exec), vec![Action::Hangup]);
            break;
        }
        fetches += 1;
        exec.document(t0, Ok(twiml("<Redirect>voice</Redirect>")));
    }
    assert_eq!(
        fetches, 3,
        "the Say reset the count; 3 more requests, no 4th"
    );
}

/// Pre-answer limit (SIP's Timer C, 180 s by default): an app that keeps the call
/// unanswered (here a slow chain of redirects) is given up with 408 and a notification.
#[test]
fn unanswered_past_the_pre_answer_limit_gets_408() {
    let t0 = Instant::now();
    let mut exec = Executor::new(URL, HttpMethod::Post);
    exec.start(t0);
    work(&mut exec);
    assert_eq!(exec.poll_timeout(), Some(t0 + Duration::from_secs(180)));
    exec.document(
        t0 + Duration::from_secs(10),
        Ok(twiml("<Redirect>voice</Redirect>")),
    );
    work(&mut exec);
    exec.timeout(t0 + Duration::from_secs(179));
    assert_eq!(work(&mut exec), vec![]);
    exec.timeout(t0 + Duration::from_secs(180));
    let acts = work(&mut exec);
    assert!(
        matches!(&acts[0], Action::Notify(f) if f.code == DOCUMENT_LIMIT && f.message.contains("unanswered"))
    );
    assert_eq!(
        acts[1],
        Action::Reject {
            status: PRE_ANSWER_STATUS
        }
    );
    // The request in flight answers too late: nothing more happens.
    exec.document(t0 + Duration::from_secs(181), Ok(twiml("<Say>late</Say>")));
    assert_eq!(work(&mut exec), vec![]);
}

/// The pre-answer limit also bounds a first Pause longer than it; an answered call and
/// a ringing `<Dial answerOnBridge>` (bounded by its own timeout) are not subject to it.
#[test]
fn pre_answer_limit_bounds_a_first_pause_but_not_an_answered_call() {
    let t0 = Instant::now();
    let mut exec = call(t0, r#"<Pause length="300"/>"#);
    assert_eq!(exec.poll_timeout(), Some(t0 + Duration::from_secs(180)));
    exec.timeout(t0 + Duration::from_secs(180));
    assert!(work(&mut exec).contains(&Action::Reject {
        status: PRE_ANSWER_STATUS
    }));

    let mut exec = call(t0, r#"<Say>hi</Say><Pause length="300"/>"#);
    let (token, ..) = played(&work(&mut exec));
    exec.media_done(t0, token);
    assert_eq!(exec.poll_timeout(), Some(t0 + Duration::from_secs(300)));

    let mut exec = call(
        t0,
        r#"<Dial answerOnBridge="true" timeout="600"><Sip>sip:bob@example.com</Sip></Dial>"#,
    );
    work(&mut exec);
    assert_eq!(exec.poll_timeout(), Some(t0 + Duration::from_secs(600)));
}
