//! A conference's wait, hold and announcement URLs in virtual time: each may answer
//! TwiML or audio, as on Twilio. The TwiML runs only `<Play>`, `<Say>`, `<Pause>` and
//! `<Redirect>`; the wait and hold documents loop, the announcement plays once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchyard_call::conference::Notice;
use switchyard_call::{
    Action, AppFailure, Document, Executor, FetchRequest, MediaSource, MediaToken,
};
use switchyard_instructions::{parse_twiml, HttpMethod};

const URL: &str = "http://127.0.0.1:9000/voice";
const ROOM: &str = "CF00000000000000000000000000000001";

fn work(exec: &mut Executor) -> Vec<Action> {
    std::iter::from_fn(|| exec.poll_action())
        .filter(|a| !matches!(a, Action::Event { .. }))
        .collect()
}

fn twiml(text: &str) -> Result<Document, AppFailure> {
    Ok(Document::Verbs(parse_twiml(text).expect("valid TwiML")))
}

/// A call whose document is `twiml`, joined to its room: what it did on joining.
fn joined(now: Instant, document: &str) -> (Executor, Vec<Action>) {
    let mut exec = Executor::new(URL, HttpMethod::Post);
    exec.start(now);
    let _ = work(&mut exec);
    exec.document(now, twiml(document));
    let _ = work(&mut exec);
    exec.conference_joined(now, Ok(ROOM.into()));
    let acts = work(&mut exec);
    (exec, acts)
}

fn fetches(acts: &[Action]) -> Vec<&FetchRequest> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Fetch(f) => Some(f),
            _ => None,
        })
        .collect()
}

fn fetched(acts: &[Action]) -> &FetchRequest {
    match fetches(acts)[..] {
        [f] => f,
        _ => panic!("not one fetch in {acts:?}"),
    }
}

fn plays(acts: &[Action]) -> Vec<(MediaToken, &MediaSource, u32)> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Play {
                token,
                source,
                repeat,
            } => Some((*token, source, *repeat)),
            _ => None,
        })
        .collect()
}

fn one_play(acts: &[Action]) -> (MediaToken, &MediaSource, u32) {
    match plays(acts)[..] {
        [p] => p,
        _ => panic!("not one play in {acts:?}"),
    }
}

fn spoken(source: &MediaSource) -> &str {
    match source {
        MediaSource::Speech { text, .. } => text,
        other => panic!("not speech: {other:?}"),
    }
}

fn warnings(acts: &[Action]) -> Vec<&AppFailure> {
    acts.iter()
        .filter_map(|a| match a {
            Action::Notify(f) => Some(f),
            _ => None,
        })
        .collect()
}

const WAITING: &str = r#"<Response><Dial action="/after"><Conference
    startConferenceOnEnter="false" waitUrl="http://music.test/wait" waitMethod="GET"
    >r</Conference></Dial></Response>"#;

#[test]
fn a_twiml_wait_url_runs_in_a_loop_with_wait_method_until_the_room_starts() {
    let t0 = Instant::now();
    let (mut exec, acts) = joined(t0, WAITING);
    let f = fetched(&acts);
    assert_eq!(
        (f.url.as_str(), f.method),
        ("http://music.test/wait", HttpMethod::Get)
    );
    assert!(plays(&acts).is_empty(), "no built-in music: {acts:?}");

    for round in 0..2 {
        exec.document(
            t0,
            twiml("<Response><Say>Please wait</Say><Play>tone.wav</Play></Response>"),
        );
        let acts = work(&mut exec);
        let (say, source, repeat) = one_play(&acts);
        assert_eq!((spoken(source), repeat), ("Please wait", 1));
        exec.media_done(t0, say);
        let acts = work(&mut exec);
        let (play, source, _) = one_play(&acts);
        // Relative to the wait document, not to the caller's.
        assert_eq!(
            source,
            &MediaSource::Url("http://music.test/tone.wav".into())
        );
        exec.media_done(t0, play);
        let acts = work(&mut exec);
        let f = fetched(&acts);
        assert_eq!(
            (f.url.as_str(), f.method),
            ("http://music.test/wait", HttpMethod::Get),
            "requested again after round {round}"
        );
    }

    exec.document(t0, twiml("<Response><Say>Still waiting</Say></Response>"));
    let (say, ..) = one_play(&work(&mut exec));
    exec.conference_notice(t0, Notice::Started);
    assert_eq!(
        work(&mut exec),
        vec![Action::StopMedia, Action::ConferenceMedia(true)]
    );
    // The stopped sound's end (if the node reports it) runs nothing more.
    exec.media_done(t0, say);
    assert!(work(&mut exec).is_empty());

    // Leaving: `action` resolves against the caller's document, not the wait document.
    exec.conference_notice(t0 + Duration::from_secs(9), Notice::Left);
    let acts = work(&mut exec);
    assert_eq!(fetched(&acts).url, "http://127.0.0.1:9000/after");
}

#[test]
fn gather_and_dial_in_a_wait_document_are_skipped_with_a_notification() {
    let t0 = Instant::now();
    let (mut exec, _) = joined(t0, WAITING);
    exec.document(
        t0,
        twiml(
            r#"<Response><Gather><Say>menu</Say></Gather><Dial>+15550001111</Dial>
            <Record/><Say>hold on</Say></Response>"#,
        ),
    );
    let acts = work(&mut exec);
    let skipped: Vec<&str> = warnings(&acts)
        .iter()
        .map(|f| {
            assert_eq!(f.code, 12200, "{f:?}");
            f.message.as_str()
        })
        .collect();
    assert_eq!(skipped.len(), 3, "{acts:?}");
    for (verb, message) in ["<Gather>", "<Dial>", "<Record>"].iter().zip(&skipped) {
        assert!(message.starts_with(verb), "{message}");
    }
    assert!(
        !acts
            .iter()
            .any(|a| matches!(a, Action::Dial(_) | Action::Record { .. })),
        "{acts:?}"
    );
    let (_, source, _) = one_play(&acts);
    assert_eq!(spoken(source), "hold on");
}

#[test]
fn a_wait_document_of_skipped_verbs_alone_does_not_loop_forever() {
    let t0 = Instant::now();
    let (mut exec, _) = joined(t0, WAITING);
    let mut requests = 0;
    loop {
        exec.document(t0, twiml("<Response><Gather/></Response>"));
        let acts = work(&mut exec);
        if fetches(&acts).is_empty() {
            // The request past the bound is not made: the call is ended.
            assert!(
                warnings(&acts)
                    .iter()
                    .any(|f| f.code == switchyard_call::DOCUMENT_LIMIT),
                "{acts:?}"
            );
            break;
        }
        requests += 1;
        assert!(requests < 1000, "the wait document loops without bound");
    }
    assert!(requests >= 50, "ended after {requests} requests");
}

#[test]
fn a_redirect_in_a_wait_document_moves_to_another_wait_document() {
    let t0 = Instant::now();
    let (mut exec, _) = joined(t0, WAITING);
    exec.document(
        t0,
        twiml(r#"<Response><Redirect method="GET">/other-wait</Redirect></Response>"#),
    );
    let acts = work(&mut exec);
    let f = fetched(&acts);
    assert_eq!(
        (f.url.as_str(), f.method),
        ("http://music.test/other-wait", HttpMethod::Get)
    );
    exec.document(
        t0,
        twiml("<Response><Dial>+15550001111</Dial><Say>other</Say></Response>"),
    );
    let acts = work(&mut exec);
    assert_eq!(warnings(&acts).len(), 1, "the Dial is skipped: {acts:?}");
    let (say, source, _) = one_play(&acts);
    assert_eq!(spoken(source), "other");
    exec.media_done(t0, say);
    // The loop starts over at the waitUrl.
    assert_eq!(fetched(&work(&mut exec)).url, "http://music.test/wait");
}

#[test]
fn an_audio_wait_answer_loops_until_the_room_starts() {
    let t0 = Instant::now();
    let (mut exec, _) = joined(t0, WAITING);
    let bytes = Arc::new(vec![0u8; 64]);
    exec.document(
        t0,
        Ok(Document::Audio {
            bytes: bytes.clone(),
            content_type: "audio/wav".into(),
        }),
    );
    let acts = work(&mut exec);
    let (_, source, repeat) = one_play(&acts);
    assert_eq!(
        source,
        &MediaSource::Inline {
            bytes,
            content_type: "audio/wav".into()
        }
    );
    assert_eq!(repeat, 0, "repeated until stopped");
    assert!(fetches(&acts).is_empty());
    exec.conference_notice(t0, Notice::Started);
    assert_eq!(
        work(&mut exec),
        vec![Action::StopMedia, Action::ConferenceMedia(true)]
    );
}

#[test]
fn a_wait_url_that_fails_is_a_notification_and_the_built_in_music_plays() {
    let t0 = Instant::now();
    let (mut exec, _) = joined(t0, WAITING);
    exec.document(
        t0,
        Err(AppFailure {
            code: 11200,
            message: "HTTP 404".into(),
        }),
    );
    let acts = work(&mut exec);
    assert_eq!(warnings(&acts)[0].code, 11200, "{acts:?}");
    assert!(!acts.contains(&Action::Hangup), "{acts:?}");
    let (_, source, repeat) = one_play(&acts);
    assert_eq!((source, repeat), (&MediaSource::WaitMusic, 0));
}

/// A caller in a started room (no `waitUrl`): the room is heard.
fn in_the_room(now: Instant, after: &str) -> Executor {
    let (mut exec, _) = joined(
        now,
        &format!("<Response><Dial><Conference>r</Conference></Dial>{after}</Response>"),
    );
    exec.conference_notice(now, Notice::Started);
    assert_eq!(
        work(&mut exec),
        vec![Action::StopMedia, Action::ConferenceMedia(true)]
    );
    exec
}

#[test]
fn hold_with_a_twiml_hold_url_loops_until_unhold() {
    let t0 = Instant::now();
    let mut exec = in_the_room(t0, "");
    let time_limit = exec.poll_timeout();
    let hold = ("http://music.test/hold".to_owned(), HttpMethod::Get);
    exec.conference_notice(t0, Notice::Hold(Some(hold)));
    let acts = work(&mut exec);
    assert_eq!(acts[0], Action::ConferenceMedia(false));
    let f = fetched(&acts);
    assert_eq!(
        (f.url.as_str(), f.method),
        ("http://music.test/hold", HttpMethod::Get)
    );
    for _ in 0..2 {
        exec.document(
            t0,
            twiml("<Response><Play>jazz.mp3</Play><Pause length=\"2\"/></Response>"),
        );
        let acts = work(&mut exec);
        let (play, source, _) = one_play(&acts);
        assert_eq!(
            source,
            &MediaSource::Url("http://music.test/jazz.mp3".into())
        );
        exec.media_done(t0, play);
        assert!(work(&mut exec).is_empty(), "the pause runs");
        let t = exec.poll_timeout().expect("the pause's end");
        exec.timeout(t);
        assert_eq!(fetched(&work(&mut exec)).url, "http://music.test/hold");
    }
    exec.document(t0, twiml("<Response><Pause length=\"30\"/></Response>"));
    let _ = work(&mut exec);
    exec.conference_notice(t0, Notice::Unhold);
    assert_eq!(
        work(&mut exec),
        vec![Action::StopMedia, Action::ConferenceMedia(true)]
    );
    // The hold document's pause no longer runs: only the room's time limit does.
    assert_eq!(exec.poll_timeout(), time_limit);
}

#[test]
fn an_announcement_plays_once_then_the_caller_is_back_in_the_room() {
    let t0 = Instant::now();
    let mut exec = in_the_room(t0, "<Say>after the room</Say>");
    let url = "http://music.test/announce".to_owned();
    exec.conference_notice(t0, Notice::Announce(url, HttpMethod::Post));
    let acts = work(&mut exec);
    assert_eq!(acts[0], Action::ConferenceMedia(false));
    let f = fetched(&acts);
    assert_eq!(
        (f.url.as_str(), f.method),
        ("http://music.test/announce", HttpMethod::Post)
    );
    exec.document(
        t0,
        twiml("<Response><Say>The meeting ends in five minutes</Say><Gather/></Response>"),
    );
    let acts = work(&mut exec);
    let (say, source, _) = one_play(&acts);
    assert_eq!(spoken(source), "The meeting ends in five minutes");
    exec.media_done(t0, say);
    let acts = work(&mut exec);
    assert_eq!(warnings(&acts).len(), 1, "the Gather is skipped: {acts:?}");
    assert!(fetches(&acts).is_empty(), "played once: {acts:?}");
    assert_eq!(
        acts.last(),
        Some(&Action::ConferenceMedia(true)),
        "{acts:?}"
    );

    // The caller's own document goes on after the room, as before the announcement.
    exec.conference_notice(t0, Notice::Left);
    let acts = work(&mut exec);
    let (_, source, _) = one_play(&acts);
    assert_eq!(spoken(source), "after the room");
}

#[test]
fn an_audio_announcement_plays_once() {
    let t0 = Instant::now();
    let mut exec = in_the_room(t0, "");
    exec.conference_notice(
        t0,
        Notice::Announce("http://music.test/a.wav".into(), HttpMethod::Get),
    );
    let _ = work(&mut exec);
    exec.document(
        t0,
        Ok(Document::Audio {
            bytes: Arc::new(vec![1, 2, 3]),
            content_type: "audio/wav".into(),
        }),
    );
    let acts = work(&mut exec);
    let (token, _, repeat) = one_play(&acts);
    assert_eq!(repeat, 1);
    exec.media_done(t0, token);
    assert_eq!(
        work(&mut exec),
        vec![Action::StopMedia, Action::ConferenceMedia(true)]
    );
}
