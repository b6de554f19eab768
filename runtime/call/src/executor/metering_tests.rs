//! Module spans and meters through a whole call in virtual time.

use std::time::{Duration, Instant};

use switchyard_instructions::{HttpMethod, Redirect, Say, Verb};

use super::*;
use crate::modules::{ModuleKind, StepCost};

fn events(exec: &mut Executor) -> Vec<(EventKind, Vec<(String, String)>)> {
    std::iter::from_fn(|| exec.poll_action())
        .filter_map(|a| match a {
            Action::Event { kind, data } => Some((kind, data)),
            _ => None,
        })
        .filter(|(k, _)| matches!(k, EventKind::ModuleEntered | EventKind::ModuleLeft))
        .collect()
}

fn field<'a>(data: &'a [(String, String)], name: &str) -> Option<&'a str> {
    data.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn say(text: &str) -> Verb {
    Verb::Say(Say {
        text: text.into(),
        ..Say::default()
    })
}

fn played(exec: &mut Executor) -> MediaToken {
    std::iter::from_fn(|| exec.poll_action())
        .find_map(|a| match a {
            Action::Play { token, .. } => Some(token),
            _ => None,
        })
        .expect("a Play")
}

#[test]
fn wasm_ivr_hands_to_a_second_app_then_a_webhook_three_contiguous_spans() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let mut exec = Executor::new("app:ivr", HttpMethod::Post);
    exec.start(t0);
    let entered = events(&mut exec);
    assert_eq!(entered.len(), 1);
    assert_eq!(field(&entered[0].1, "Module"), Some("app:ivr"));

    // The IVR's step: 300 µs of guest time, then it says hello and redirects.
    exec.charge(&StepCost {
        wasm_cpu: Duration::from_micros(300),
        version: Some(2),
        ..StepCost::default()
    });
    exec.document(
        t0 + ms(2),
        Ok(Document::Verbs(vec![
            say("hello"),
            Verb::Redirect(Redirect::new("app:billing")),
        ])),
    );
    let token = played(&mut exec);
    exec.media_done(t0 + ms(1002), token);
    let moved = events(&mut exec);
    assert_eq!(moved[0].0, EventKind::ModuleLeft);
    assert_eq!(field(&moved[0].1, "Module"), Some("app:ivr"));
    assert_eq!(field(&moved[0].1, "Version"), Some("2"));
    assert_eq!(field(&moved[0].1, "DurationMs"), Some("1002"));
    assert_eq!(field(&moved[0].1, "TtsCharacters"), Some("5"));
    assert_eq!(field(&moved[0].1, "MediaMs"), Some("1000"));
    assert_eq!(field(&moved[0].1, "WasmCpuUs"), Some("300"));
    assert_eq!(field(&moved[1].1, "Module"), Some("app:billing"));

    exec.charge(&StepCost {
        wasm_cpu: Duration::from_micros(100),
        version: Some(1),
        ..StepCost::default()
    });
    exec.document(
        t0 + ms(1005),
        Ok(Document::Verbs(vec![Verb::Redirect(Redirect::new(
            "http://127.0.0.1:9000/end",
        ))])),
    );
    exec.charge(&StepCost {
        webhook_requests: 1,
        webhook_latency: ms(12),
        ..StepCost::default()
    });
    exec.document(t0 + ms(1020), Ok(Document::Verbs(vec![Verb::Hangup])));
    let all = events(&mut exec);
    let last = all.last().expect("the webhook left");
    assert_eq!(field(&last.1, "Module"), Some("http://127.0.0.1:9000"));
    assert_eq!(field(&last.1, "WebhookRequests"), Some("1"));
    assert_eq!(field(&last.1, "WebhookLatencyMs"), Some("12"));

    let spans = exec.modules();
    let kinds: Vec<_> = spans.iter().map(|s| s.module.kind).collect();
    assert_eq!(
        kinds,
        [ModuleKind::Wasm, ModuleKind::Wasm, ModuleKind::Webhook]
    );
    for w in spans.windows(2) {
        assert_eq!(w[0].end, Some(w[1].start), "spans follow each other");
    }
    let total: Duration = spans.iter().map(|s| s.duration(t0)).sum();
    assert_eq!(total, ms(1020));
    assert_eq!(
        spans.iter().map(|s| s.meter.steps).collect::<Vec<_>>(),
        [1, 1, 1]
    );
    assert_eq!(spans[1].meter.wasm_cpu, Duration::from_micros(100));
    assert_eq!(spans[1].meter.webhook_requests, 0);
}

#[test]
fn metering_off_records_nothing() {
    let t0 = Instant::now();
    let mut exec = Executor::new("app:ivr", HttpMethod::Post).with_metering(false);
    exec.start(t0);
    exec.document(t0, Ok(Document::Verbs(vec![say("hi")])));
    assert!(events(&mut exec).is_empty());
    exec.hangup(t0);
    assert!(exec.modules().is_empty());
}

#[test]
fn a_failed_request_is_an_error_of_the_module_in_control() {
    let t0 = Instant::now();
    let mut exec = Executor::new("http://127.0.0.1:9000/voice", HttpMethod::Post);
    exec.start(t0);
    exec.document(
        t0,
        Err(AppFailure {
            code: 11200,
            message: "down".into(),
        }),
    );
    exec.hangup(t0 + Duration::from_secs(1));
    assert_eq!(exec.modules().len(), 1);
    assert!(exec.modules()[0].meter.errors >= 1);
}

#[test]
fn recorded_audio_is_charged_to_the_module_in_control_when_the_recording_ends() {
    let t0 = Instant::now();
    let mut exec = Executor::new("app:ivr", HttpMethod::Post);
    exec.start(t0);
    exec.document(t0, Ok(Document::Verbs(vec![say("hello")])));
    let token = exec.start_call_recording(
        t0,
        CallRecordSpec {
            channels: 1,
            track: switchyard_types::RecordingTrack::Both,
            trim_silence: false,
            source: switchyard_types::RecordingSource::StartCallRecordingApi,
            sid: None,
        },
        None,
    );
    exec.record_done(
        t0 + Duration::from_secs(7),
        token,
        Recorded {
            duration_secs: 7,
            voiced: true,
        },
    );
    // A report for a recording the call does not have charges nothing.
    exec.record_done(
        t0 + Duration::from_secs(8),
        MediaToken(999),
        Recorded {
            duration_secs: 30,
            voiced: true,
        },
    );
    let spans = exec.modules();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].meter.recorded, Duration::from_secs(7));
}

#[test]
fn a_fallback_that_answers_is_its_own_span_and_an_applications_webhook_is_named_by_its_sid() {
    let t0 = Instant::now();
    let app = crate::modules::Application::new("AP0123", "https://apps.example.com/voice");
    let mut exec =
        Executor::new("https://apps.example.com/voice", HttpMethod::Post).with_application(app);
    exec.start(t0);
    std::iter::from_fn(|| exec.poll_action()).for_each(drop);
    // The application's URL failed after 2 requests; the fallback answered with one.
    exec.charge(&StepCost {
        webhook_requests: 2,
        webhook_latency: Duration::from_millis(40),
        ..StepCost::default()
    });
    exec.fallback_answered(
        "https://backup.example.com/voice",
        &StepCost {
            webhook_requests: 1,
            webhook_latency: Duration::from_millis(5),
            ..StepCost::default()
        },
    );
    exec.document(
        t0 + Duration::from_millis(50),
        Ok(Document::Verbs(vec![Verb::Redirect(Redirect::new(
            "/next",
        ))])),
    );
    // The fallback's relative URLs resolve against it.
    let fetch = std::iter::from_fn(|| exec.poll_action())
        .find_map(|a| match a {
            Action::Fetch(f) => Some(f),
            _ => None,
        })
        .expect("the redirect's fetch");
    assert_eq!(fetch.url, "https://backup.example.com/next");
    exec.hangup(t0 + Duration::from_secs(1));
    let spans = exec.modules();
    let names: Vec<&str> = spans.iter().map(|s| s.module.name.as_str()).collect();
    assert_eq!(names, ["AP0123", "https://backup.example.com"]);
    assert_eq!(spans[0].module.kind, ModuleKind::Webhook);
    assert_eq!(
        (
            spans[0].meter.steps,
            spans[0].meter.webhook_requests,
            spans[0].meter.errors
        ),
        (1, 2, 1)
    );
    // The fallback's document and the redirect it made.
    assert_eq!(
        (spans[1].meter.steps, spans[1].meter.webhook_requests),
        (2, 1)
    );
}
