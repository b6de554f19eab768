//! Media Streams in virtual time: forks, stops, `<Connect>` and what their ends mean.

use std::time::Instant;

use switchyard_instructions::{
    Connect, HttpMethod, Parameter, Say, Start, Stop, Stream, StreamTrack, Verb,
};
use switchyard_types::StreamSid;

use super::*;

const URL: &str = "http://127.0.0.1:9000/voice";

fn work(exec: &mut Executor) -> Vec<Action> {
    std::iter::from_fn(|| exec.poll_action())
        .filter(|a| !matches!(a, Action::Event { .. }))
        .collect()
}

fn running(verbs: Vec<Verb>) -> Executor {
    let now = Instant::now();
    let mut exec = Executor::new(URL, HttpMethod::Post);
    exec.start(now);
    work(&mut exec);
    exec.document(now, Ok(Document::Verbs(verbs)));
    exec
}

fn say(text: &str) -> Verb {
    Verb::Say(Say::new(text))
}

fn stream(url: &str, name: &str) -> Stream {
    Stream {
        name: Some(name.into()),
        ..Stream::new(url)
    }
}

fn opened(actions: &[Action]) -> Vec<StreamRequest> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::StartStream(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn statuses(actions: &[Action]) -> Vec<(String, Vec<(String, String)>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Callback { url, params, .. } => Some((url.clone(), params.clone())),
            _ => None,
        })
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn start_forks_the_stream_and_the_document_goes_on_at_once() {
    let mut exec = running(vec![
        Verb::Start(Start::new(Stream {
            track: StreamTrack::Both,
            status_callback: Some("/stream-status".into()),
            parameters: vec![Parameter {
                name: "agent".into(),
                value: "7".into(),
            }],
            ..stream("ws://127.0.0.1:8765/media", "fork")
        })),
        say("hello"),
    ]);
    let acts = work(&mut exec);
    assert_eq!(acts[0], Action::Answer);
    let req = &opened(&acts)[0];
    assert_eq!(req.url, "ws://127.0.0.1:8765/media");
    assert_eq!(req.track, StreamTrack::Both);
    assert_eq!(req.parameters, vec![("agent".to_owned(), "7".to_owned())]);
    assert!(!req.bidirectional);
    assert!(req.sid.to_string().starts_with("MZ"));
    // The Say plays without waiting for the socket.
    assert!(matches!(acts.last(), Some(Action::Play { .. })));

    exec.stream_started(req.sid);
    let st = statuses(&work(&mut exec));
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].0, "http://127.0.0.1:9000/stream-status");
    assert_eq!(param(&st[0].1, "StreamEvent"), Some("stream-started"));
    assert_eq!(param(&st[0].1, "StreamName"), Some("fork"));
    assert_eq!(
        param(&st[0].1, "StreamSid"),
        Some(req.sid.to_string().as_str())
    );

    // <Stop> by name closes it and reports it stopped.
    exec.replace(
        Instant::now(),
        vec![
            Verb::Stop(Stop {
                name: "fork".into(),
            }),
            say("x"),
        ],
    );
    let acts = work(&mut exec);
    assert!(acts.contains(&Action::StopStream(req.sid)));
    let st = statuses(&acts);
    assert_eq!(param(&st[0].1, "StreamEvent"), Some("stream-stopped"));
    // The node's late report of the same end is not a second one.
    exec.stream_ended(Instant::now(), req.sid, None);
    assert!(statuses(&work(&mut exec)).is_empty());
}

#[test]
fn a_fifth_stream_and_a_duplicate_name_are_warnings_and_the_call_goes_on() {
    let mut verbs: Vec<Verb> = (0..5)
        .map(|i| Verb::Start(Start::new(stream("wss://s.test/", &format!("s{i}")))))
        .collect();
    verbs.insert(1, Verb::Start(Start::new(stream("wss://s.test/", "s0"))));
    verbs.push(say("still here"));
    let mut exec = running(verbs);
    let acts = work(&mut exec);
    assert_eq!(opened(&acts).len(), MAX_STREAMS);
    let warnings: Vec<&AppFailure> = acts
        .iter()
        .filter_map(|a| match a {
            Action::Notify(f) => Some(f),
            _ => None,
        })
        .collect();
    assert_eq!(warnings.len(), 2, "{acts:?}");
    assert!(warnings[0].message.contains("\"s0\""));
    assert!(warnings[1].message.contains("at most 4"));
    assert!(matches!(acts.last(), Some(Action::Play { .. })));
}

#[test]
fn clear_text_websockets_only_to_loopback() {
    for (url, ok) in [
        ("wss://media.example.com/s", true),
        ("ws://127.0.0.1:9/", true),
        ("ws://localhost:9/", true),
        ("ws://[::1]:9/", true),
        ("ws://media.example.com/s", false),
        ("https://media.example.com/s", false),
        ("not a url", false),
    ] {
        let mut exec = running(vec![Verb::Start(Start::new(Stream::new(url)))]);
        let acts = work(&mut exec);
        assert_eq!(opened(&acts).len(), usize::from(ok), "{url}");
        let failed = acts
            .iter()
            .any(|a| matches!(a, Action::Notify(f) if f.code == 11100));
        assert_eq!(failed, !ok, "{url}");
    }
}

#[test]
fn connect_holds_the_call_sends_digits_and_requests_action_when_the_server_closes() {
    let mut exec = running(vec![
        Verb::Connect(Connect {
            action: Some("/after".into()),
            ..Connect::new(Stream::new("wss://bot.test/"))
        }),
        say("never"),
    ]);
    let acts = work(&mut exec);
    let req = opened(&acts).remove(0);
    assert!(req.bidirectional);
    assert!(!acts.iter().any(|a| matches!(a, Action::Play { .. })));
    exec.stream_started(req.sid);
    exec.digit(Instant::now(), '5');
    let acts = work(&mut exec);
    assert_eq!(
        acts,
        vec![Action::StreamDigit {
            sid: req.sid,
            digit: '5'
        }]
    );
    exec.stream_ended(Instant::now(), req.sid, None);
    let acts = work(&mut exec);
    let Some(Action::Fetch(f)) = acts.last() else {
        panic!("{acts:?}")
    };
    assert_eq!(f.url, "http://127.0.0.1:9000/after");
    assert!(f.params.is_empty());
}

#[test]
fn a_failed_connect_gives_its_action_the_error_or_goes_on() {
    let failure = AppFailure {
        code: 31920,
        message: "handshake refused: 404".into(),
    };
    let mut exec = running(vec![Verb::Connect(Connect {
        action: Some("/after".into()),
        ..Connect::new(Stream::new("wss://bot.test/"))
    })]);
    let sid = opened(&work(&mut exec))[0].sid;
    exec.stream_ended(Instant::now(), sid, Some(failure.clone()));
    let acts = work(&mut exec);
    assert!(acts.contains(&Action::Notify(failure.clone())));
    let Some(Action::Fetch(f)) = acts.last() else {
        panic!("{acts:?}")
    };
    assert_eq!(
        f.params,
        vec![
            ("ErrorCode".to_owned(), "31920".to_owned()),
            ("ErrorMessage".to_owned(), failure.message.clone()),
        ]
    );

    // Without an action the document goes on.
    let mut exec = running(vec![
        Verb::Connect(Connect::new(Stream::new("wss://bot.test/"))),
        say("after"),
    ]);
    let sid = opened(&work(&mut exec))[0].sid;
    exec.stream_ended(Instant::now(), sid, Some(failure));
    assert!(matches!(
        work(&mut exec).last(),
        Some(Action::Play { source: MediaSource::Speech { text, .. }, .. }) if text == "after"
    ));
}

#[test]
fn rest_streams_start_and_stop_by_sid_and_hangup_stops_the_rest() {
    let mut exec = running(vec![Verb::Pause(switchyard_instructions::Pause {
        length: 60,
    })]);
    work(&mut exec);
    let a = exec.start_stream(stream("wss://a.test/", "a")).unwrap();
    let b = exec.start_stream(stream("wss://b.test/", "b")).unwrap();
    assert_eq!(opened(&work(&mut exec)).len(), 2);
    assert_eq!(
        exec.stop_stream(Instant::now(), &a.to_string()),
        Some((a, Some("a".into())))
    );
    assert_eq!(work(&mut exec), vec![Action::StopStream(a)]);
    assert_eq!(exec.stop_stream(Instant::now(), &a.to_string()), None);
    assert_eq!(exec.stop_stream(Instant::now(), "nope"), None);
    assert_eq!(exec.stop_stream(Instant::now(), "b").map(|s| s.0), Some(b));
    work(&mut exec);
    let c = exec.start_stream(stream("wss://c.test/", "c")).unwrap();
    work(&mut exec);
    exec.hangup(Instant::now());
    assert_eq!(work(&mut exec), vec![Action::StopStream(c)]);
    assert!(exec.start_stream(Stream::new("wss://c.test/")).is_err());
    let _: StreamSid = b;
}
