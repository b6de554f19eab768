//! Whole calls in virtual time: the executor against scripted documents.

use std::time::{Duration, Instant};

use switchyard_instructions::{
    Gather, GatherChild, HttpMethod, Pause, Play, Redirect, Reject, RejectReason, Say, Verb,
};

use super::*;

const URL: &str = "http://127.0.0.1:9000/voice";

fn drain(exec: &mut Executor) -> Vec<Action> {
    std::iter::from_fn(|| exec.poll_action()).collect()
}

/// The actions that are not events (the tests below look at what the node must do).
fn work(exec: &mut Executor) -> Vec<Action> {
    drain(exec)
        .into_iter()
        .filter(|a| !matches!(a, Action::Event { .. }))
        .collect()
}

fn say(text: &str) -> Say {
    Say {
        text: text.into(),
        ..Say::default()
    }
}

fn started(now: Instant, verbs: Vec<Verb>) -> Executor {
    let mut exec = Executor::new(URL, HttpMethod::Post);
    exec.start(now);
    let first = work(&mut exec);
    assert!(matches!(
        &first[..],
        [Action::Fetch(FetchRequest { url, use_fallback: true, .. })] if url == URL
    ));
    exec.document(now, Ok(Document::Verbs(verbs)));
    exec
}

fn played_token(actions: &[Action]) -> MediaToken {
    actions
        .iter()
        .find_map(|a| match a {
            Action::Play { token, .. } => Some(*token),
            _ => None,
        })
        .expect("a Play action")
}

#[test]
fn gather_digit_interrupts_prompt_and_posts_to_action() {
    let t0 = Instant::now();
    let mut exec = started(
        t0,
        vec![Verb::Gather(Gather {
            num_digits: Some(1),
            action: Some("/gathered".into()),
            children: vec![GatherChild::Say(say("Press one"))],
            ..Gather::default()
        })],
    );
    let acts = work(&mut exec);
    assert_eq!(acts[0], Action::Answer);
    assert!(matches!(
        &acts[1],
        Action::Play { source: MediaSource::Speech { text, .. }, repeat: 1, .. } if text == "Press one"
    ));
    exec.digit(t0 + Duration::from_millis(500), '1');
    let acts = work(&mut exec);
    assert_eq!(acts[0], Action::StopMedia);
    let Action::Fetch(f) = &acts[1] else {
        panic!("expected a fetch, got {acts:?}")
    };
    assert_eq!(f.url, "http://127.0.0.1:9000/gathered");
    assert_eq!(f.method, HttpMethod::Post);
    assert_eq!(f.params, vec![("Digits".to_owned(), "1".to_owned())]);
    assert!(!f.use_fallback);

    exec.document(
        t0 + Duration::from_secs(1),
        Ok(Document::Verbs(vec![
            Verb::Play(Play {
                url: Some("audio/tone.wav".into()),
                ..Play::default()
            }),
            Verb::Hangup,
        ])),
    );
    let acts = work(&mut exec);
    assert!(matches!(
        &acts[..],
        [Action::Play { source: MediaSource::Url(u), .. }] if u == "http://127.0.0.1:9000/audio/tone.wav"
    ));
    exec.media_done(t0 + Duration::from_secs(4), played_token(&acts));
    assert_eq!(work(&mut exec), vec![Action::Hangup]);
    assert!(exec.is_done());
}

#[test]
fn gather_without_input_falls_through_after_timeout() {
    let t0 = Instant::now();
    let mut exec = started(
        t0,
        vec![
            Verb::Gather(Gather {
                timeout: 3,
                children: vec![GatherChild::Say(say("Anything?"))],
                ..Gather::default()
            }),
            Verb::Say(say("We didn't receive any input")),
        ],
    );
    let token = played_token(&work(&mut exec));
    assert_eq!(
        exec.poll_timeout(),
        None,
        "no input timer while the prompt plays"
    );
    let prompt_end = t0 + Duration::from_secs(2);
    exec.media_done(prompt_end, token);
    assert_eq!(
        exec.poll_timeout(),
        Some(prompt_end + Duration::from_secs(3))
    );
    exec.timeout(prompt_end + Duration::from_secs(1));
    assert!(work(&mut exec).is_empty(), "an early wake-up does nothing");
    exec.timeout(prompt_end + Duration::from_secs(3));
    let acts = work(&mut exec);
    assert!(matches!(
        &acts[..],
        [Action::Play { source: MediaSource::Speech { text, .. }, .. }] if text.starts_with("We didn't")
    ));
}

#[test]
fn empty_result_is_posted_when_asked_and_defaults_to_document_url() {
    let t0 = Instant::now();
    let mut exec = started(
        t0,
        vec![Verb::Gather(Gather {
            timeout: 1,
            action_on_empty_result: true,
            method: HttpMethod::Get,
            ..Gather::default()
        })],
    );
    assert_eq!(work(&mut exec), vec![Action::Answer]);
    exec.timeout(t0 + Duration::from_secs(1));
    let acts = work(&mut exec);
    let [Action::Fetch(f)] = &acts[..] else {
        panic!("{acts:?}")
    };
    assert_eq!(f.url, URL);
    assert_eq!(f.method, HttpMethod::Get);
    assert_eq!(f.params, vec![("Digits".to_owned(), String::new())]);
}

#[test]
fn finish_on_key_ends_input_and_is_not_a_digit() {
    let t0 = Instant::now();
    let mut exec = started(
        t0,
        vec![Verb::Gather(Gather {
            finish_on_key: Some('#'),
            action: Some("http://example.test/pin".into()),
            ..Gather::default()
        })],
    );
    work(&mut exec);
    for (i, d) in "42#".chars().enumerate() {
        exec.digit(t0 + Duration::from_secs(i as u64), d);
    }
    let acts = work(&mut exec);
    let [Action::Fetch(f)] = &acts[..] else {
        panic!("{acts:?}")
    };
    assert_eq!(f.url, "http://example.test/pin");
    assert_eq!(
        f.params,
        vec![
            ("Digits".to_owned(), "42".to_owned()),
            ("FinishedOnKey".to_owned(), "#".to_owned())
        ]
    );
}

#[test]
fn first_digit_skips_remaining_prompts() {
    let t0 = Instant::now();
    let mut exec = started(
        t0,
        vec![Verb::Gather(Gather {
            num_digits: Some(2),
            children: vec![
                GatherChild::Say(say("one")),
                GatherChild::Pause(Pause { length: 1 }),
                GatherChild::Say(say("two")),
            ],
            ..Gather::default()
        })],
    );
    let token = played_token(&work(&mut exec));
    exec.digit(t0, '7');
    assert_eq!(work(&mut exec), vec![Action::StopMedia]);
    // The interrupted prompt reporting done late must not restart the prompts.
    exec.media_done(t0, token);
    assert!(work(&mut exec).is_empty());
    assert_eq!(exec.poll_timeout(), Some(t0 + Duration::from_secs(5)));
    exec.digit(t0 + Duration::from_secs(1), '8');
    assert!(matches!(&work(&mut exec)[..], [Action::Fetch(f)] if f.params[0].1 == "78"));
}

#[test]
fn reject_first_does_not_answer_but_later_hangs_up() {
    let t0 = Instant::now();
    let mut exec = started(
        t0,
        vec![Verb::Reject(Reject {
            reason: RejectReason::Busy,
        })],
    );
    assert_eq!(work(&mut exec), vec![Action::Reject { status: 486 }]);
    assert!(exec.is_done());

    let mut exec = started(
        t0,
        vec![
            Verb::Say(say("hi")),
            Verb::Reject(Reject {
                reason: RejectReason::Rejected,
            }),
        ],
    );
    let token = played_token(&work(&mut exec));
    exec.media_done(t0, token);
    assert_eq!(work(&mut exec), vec![Action::Hangup]);
}

#[test]
fn failure_notifies_speaks_the_error_and_hangs_up() {
    let t0 = Instant::now();
    let mut exec = Executor::new(URL, HttpMethod::Post);
    exec.start(t0);
    work(&mut exec);
    exec.document(
        t0,
        Err(AppFailure {
            code: 12100,
            message: "Document parse failure".into(),
        }),
    );
    let all = drain(&mut exec);
    assert!(all.iter().any(|a| matches!(
        a,
        Action::Event { kind: EventKind::AppError, data } if data[0].1 == "12100"
    )));
    let acts: Vec<_> = all
        .into_iter()
        .filter(|a| !matches!(a, Action::Event { .. }))
        .collect();
    assert!(matches!(&acts[0], Action::Notify(f) if f.code == 12100));
    assert!(acts.contains(&Action::Answer));
    let token = played_token(&acts);
    assert!(matches!(
        acts.last(),
        Some(Action::Play { source: MediaSource::Speech { text, .. }, .. }) if text == APPLICATION_ERROR
    ));
    exec.media_done(t0 + Duration::from_secs(3), token);
    assert_eq!(work(&mut exec), vec![Action::Hangup]);
}

#[test]
fn redirect_fetches_with_its_method_and_caller_hangup_stops_everything() {
    let t0 = Instant::now();
    let mut exec = started(
        t0,
        vec![
            Verb::Redirect(Redirect {
                url: "next".into(),
                method: HttpMethod::Get,
            }),
            Verb::Say(say("never")),
        ],
    );
    let acts = work(&mut exec);
    assert!(matches!(
        &acts[..],
        [Action::Fetch(f)] if f.url == "http://127.0.0.1:9000/next" && f.method == HttpMethod::Get
    ));
    exec.hangup(t0);
    exec.document(t0, Ok(Document::Verbs(vec![Verb::Say(say("late"))])));
    assert!(work(&mut exec).is_empty());
    assert!(exec.is_done());
}

#[test]
fn text_answer_is_spoken() {
    let t0 = Instant::now();
    let mut exec = Executor::new(URL, HttpMethod::Post);
    exec.start(t0);
    work(&mut exec);
    exec.document(t0, Ok(Document::Text("hello there".into())));
    let acts = work(&mut exec);
    assert!(matches!(
        &acts[..],
        [Action::Answer, Action::Play { source: MediaSource::Speech { text, .. }, .. }] if text == "hello there"
    ));
}

#[test]
fn live_twiml_replaces_the_running_verb() {
    let t0 = Instant::now();
    let mut exec = started(t0, vec![Verb::Pause(Pause { length: 60 })]);
    work(&mut exec);
    exec.replace(t0, vec![Verb::Say(say("changed")), Verb::Hangup]);
    let acts = work(&mut exec);
    assert_eq!(acts[0], Action::StopMedia);
    // The first Pause had left the call unanswered; the Say answers it.
    assert_eq!(acts[1], Action::Answer);
    assert!(matches!(
        &acts[2],
        Action::Play { source: MediaSource::Speech { text, .. }, .. } if text == "changed"
    ));
    assert_eq!(exec.poll_timeout(), None, "the pause is gone");
}

#[test]
fn start_with_a_document_runs_it_without_fetching() {
    let t0 = Instant::now();
    let mut exec = Executor::new("", HttpMethod::Post);
    exec.set_answered();
    exec.start_with(t0, Ok(Document::Verbs(vec![Verb::Hangup])));
    assert_eq!(work(&mut exec), vec![Action::Hangup]);
}

#[test]
fn wasm_app_urls_resolve_their_own_paths() {
    assert_eq!(app_url("app:ivr"), "app://ivr/");
    assert_eq!(app_url("app:ivr/menu"), "app://ivr/menu");
    assert_eq!(app_url("https://x/y"), "https://x/y");
    let t0 = Instant::now();
    let mut exec = Executor::new("app:ivr", HttpMethod::Post);
    exec.start(t0);
    assert!(matches!(&work(&mut exec)[..], [Action::Fetch(f)] if f.url == "app://ivr/"));
    exec.document(
        t0,
        Ok(Document::Verbs(vec![Verb::Gather(Gather {
            num_digits: Some(1),
            action: Some("/gathered".into()),
            ..Gather::default()
        })])),
    );
    work(&mut exec);
    exec.digit(t0, '1');
    assert!(matches!(&work(&mut exec)[..], [Action::Fetch(f)] if f.url == "app://ivr/gathered"));
    // And TwiML hands a call to an app with <Redirect>app:NAME</Redirect>.
    exec.document(
        t0,
        Ok(Document::Verbs(vec![Verb::Redirect(Redirect {
            url: "app:other".into(),
            method: HttpMethod::Post,
        })])),
    );
    assert!(matches!(&work(&mut exec)[..], [Action::Fetch(f)] if f.url == "app://other/"));
}
