//! URI templates in next-step URLs, through whole calls in virtual time.

use std::time::{Duration, Instant};

use switchyard_instructions::{Gather, HttpMethod, Play, Redirect, Verb};
use switchyard_types::{AccountSid, CallSid};

use super::*;
use crate::params::{CallInfo, Direction};

const URL: &str = "http://127.0.0.1:9000/voice";

fn info() -> CallInfo {
    CallInfo {
        call_sid: CallSid::random(),
        account_sid: AccountSid::random(),
        from: "+14158675309".into(),
        to: "+15550001111".into(),
        direction: Direction::Inbound,
        parent_call_sid: None,
    }
}

fn work(exec: &mut Executor) -> Vec<Action> {
    std::iter::from_fn(|| exec.poll_action())
        .filter(|a| !matches!(a, Action::Event { .. }))
        .collect()
}

fn fetched(actions: &[Action]) -> &FetchRequest {
    actions
        .iter()
        .find_map(|a| match a {
            Action::Fetch(f) => Some(f),
            _ => None,
        })
        .expect("a fetch")
}

fn running(info: CallInfo, verbs: Vec<Verb>) -> Executor {
    let t0 = Instant::now();
    let mut exec = Executor::new(URL, HttpMethod::Post).with_call(info);
    exec.start(t0);
    work(&mut exec);
    exec.document(t0, Ok(Document::Verbs(verbs)));
    exec
}

#[test]
fn gather_action_carries_the_digits_the_caller_keyed() {
    let t0 = Instant::now();
    let mut exec = running(
        info(),
        vec![Verb::Gather(Gather {
            num_digits: Some(2),
            action: Some("/menu?d={Digits}&u={Unknown}".into()),
            ..Gather::default()
        })],
    );
    work(&mut exec);
    exec.digit(t0 + Duration::from_millis(100), '4');
    exec.digit(t0 + Duration::from_millis(200), '2');
    let acts = work(&mut exec);
    assert_eq!(
        fetched(&acts).url,
        "http://127.0.0.1:9000/menu?d=42&u={Unknown}"
    );
    // The document's URL is the expanded one: a Gather without action re-requests it.
    assert_eq!(
        exec.document_url(),
        "http://127.0.0.1:9000/menu?d=42&u={Unknown}"
    );
}

#[test]
fn play_url_expands_from_the_request_that_brought_the_document() {
    let t0 = Instant::now();
    let call = info();
    let sid = call.call_sid.to_string();
    let mut exec = running(
        call,
        vec![Verb::Gather(Gather {
            num_digits: Some(2),
            action: Some("/next".into()),
            ..Gather::default()
        })],
    );
    work(&mut exec);
    exec.digit(t0, '4');
    exec.digit(t0, '2');
    work(&mut exec);
    exec.document(
        t0,
        Ok(Document::Verbs(vec![Verb::Play(Play {
            url: Some("/audio/{Digits}.wav?c={CallSid}&f={From}".into()),
            ..Play::default()
        })])),
    );
    let acts = work(&mut exec);
    let source = acts
        .iter()
        .find_map(|a| match a {
            Action::Play { source, .. } => Some(source.clone()),
            _ => None,
        })
        .expect("a Play");
    assert_eq!(
        source,
        MediaSource::Url(format!(
            "http://127.0.0.1:9000/audio/42.wav?c={sid}&f=%2B14158675309"
        ))
    );
}

#[test]
fn redirect_to_an_app_expands_call_parameters_and_keeps_unknown_names() {
    let call = info();
    let to = call.to.clone();
    let mut exec = running(
        call,
        vec![Verb::Redirect(Redirect::new(
            "app:billing/start?to={To}&x={NotAParam}",
        ))],
    );
    let acts = work(&mut exec);
    assert_eq!(
        fetched(&acts).url,
        format!(
            "app://billing/start?to={}&x={{NotAParam}}",
            to.replace('+', "%2B")
        )
    );
}
