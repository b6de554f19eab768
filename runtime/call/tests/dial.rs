//! `<Dial>` in virtual time: the executor against legs that ring, answer, refuse and hang
//! up, with no socket. Each test names the Twilio rule it checks.

use std::time::{Duration, Instant};

use switchyard_call::{
    Action, DialRequest, Document, EventKind, Executor, FetchRequest, LegId, LegTarget, MediaSource,
};
use switchyard_instructions::{Dial, DialTarget, HttpMethod, LegCallbacks, Number, Say, Sip, Verb};
use switchyard_types::{CallSid, CallStatus};

const URL: &str = "http://127.0.0.1:9000/voice";

fn sip(uri: &str) -> DialTarget {
    DialTarget::Sip(Sip::new(uri))
}

fn dial(targets: Vec<DialTarget>) -> Dial {
    Dial {
        targets,
        action: Some("/dialed".into()),
        ..Dial::default()
    }
}

fn say(text: &str) -> Verb {
    Verb::Say(Say {
        text: text.into(),
        ..Say::default()
    })
}

/// The actions that are not events.
fn work(exec: &mut Executor) -> Vec<Action> {
    std::iter::from_fn(|| exec.poll_action())
        .filter(|a| !matches!(a, Action::Event { .. }))
        .collect()
}

fn events(exec: &mut Executor) -> Vec<Action> {
    std::iter::from_fn(|| exec.poll_action())
        .filter(|a| matches!(a, Action::Event { .. }))
        .collect()
}

/// An executor running `verbs`, with the actions of its first verb returned.
fn running(now: Instant, verbs: Vec<Verb>) -> (Executor, Vec<Action>) {
    let mut exec = Executor::new(URL, HttpMethod::Post);
    exec.start(now);
    let _ = work(&mut exec);
    exec.document(now, Ok(Document::Verbs(verbs)));
    let acts = work(&mut exec);
    (exec, acts)
}

fn dial_request(acts: &[Action]) -> &DialRequest {
    acts.iter()
        .find_map(|a| match a {
            Action::Dial(d) => Some(d),
            _ => None,
        })
        .expect("a Dial action")
}

fn fetched(acts: &[Action]) -> &FetchRequest {
    acts.iter()
        .find_map(|a| match a {
            Action::Fetch(f) => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no fetch in {acts:?}"))
}

fn param<'a>(f: &'a FetchRequest, name: &str) -> Option<&'a str> {
    f.params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn parallel_ring_bridges_the_first_to_answer_and_cancels_the_others() {
    let t0 = Instant::now();
    let (mut exec, acts) = running(
        t0,
        vec![Verb::Dial(dial(vec![
            sip("sip:a@127.0.0.1:5071"),
            sip("sip:b@127.0.0.1:5072"),
            sip("sip:c@127.0.0.1:5073"),
        ]))],
    );
    // Without answerOnBridge the caller is answered and hears ringback while the
    // parties ring.
    assert!(
        matches!(&acts[..], [Action::Dial(_), Action::Answer, Action::Play { source: MediaSource::Ringback(c), repeat: 0, .. }] if c == "us"),
        "{acts:?}"
    );
    let req = dial_request(&acts);
    assert_eq!(req.legs.len(), 3);
    assert_eq!(
        req.legs[1].target,
        LegTarget::Sip {
            uri: "sip:b@127.0.0.1:5072".into(),
            username: None,
            password: None
        }
    );
    let sids: Vec<CallSid> = (0..3).map(|_| CallSid::random()).collect();
    for (i, sid) in sids.iter().enumerate() {
        exec.leg_ringing(LegId(i as u32), *sid);
    }
    let t1 = t0 + Duration::from_secs(1);
    exec.leg_answered(t1, LegId(1), sids[1]);
    assert_eq!(
        work(&mut exec),
        vec![
            Action::EndLeg {
                leg: LegId(0),
                status: CallStatus::Canceled
            },
            Action::EndLeg {
                leg: LegId(2),
                status: CallStatus::Canceled
            },
            // The ringback stops for the bridge.
            Action::StopMedia,
            Action::Bridge(LegId(1)),
        ]
    );
    // The losers' 487s change nothing.
    exec.leg_ended(t1, LegId(0), sids[0], CallStatus::Canceled);
    exec.leg_ended(t1, LegId(2), sids[2], CallStatus::Canceled);
    assert!(work(&mut exec).is_empty());
    // The called party hangs up after 7 s: the caller goes to the action URL.
    let t2 = t1 + Duration::from_secs(7);
    exec.leg_ended(t2, LegId(1), sids[1], CallStatus::Completed);
    let acts = work(&mut exec);
    assert_eq!(acts[0], Action::Unbridge(LegId(1)));
    let f = fetched(&acts);
    assert_eq!(f.url, "http://127.0.0.1:9000/dialed");
    assert_eq!(param(f, "DialCallStatus"), Some("completed"));
    assert_eq!(param(f, "DialCallSid"), Some(sids[1].to_string().as_str()));
    assert_eq!(param(f, "DialCallDuration"), Some("7"));
    assert_eq!(param(f, "DialBridged"), Some("true"));
}

#[test]
fn each_leg_carries_its_nouns_transcoder_app() {
    let t0 = Instant::now();
    let (_exec, acts) = running(
        t0,
        vec![Verb::Dial(dial(vec![
            DialTarget::Number(Number {
                transcoder: Some("agc".into()),
                ..Number::new("+15550001111")
            }),
            sip("sip:b@127.0.0.1:5072"),
            DialTarget::Sip(Sip {
                transcoder: Some("dtmf-mute".into()),
                ..Sip::new("sip:c@127.0.0.1:5073")
            }),
        ]))],
    );
    let legs = &dial_request(&acts).legs;
    let transcoders: Vec<Option<&str>> = legs.iter().map(|l| l.transcoder.as_deref()).collect();
    assert_eq!(transcoders, [Some("agc"), None, Some("dtmf-mute")]);
    assert_eq!(legs[0].target, LegTarget::Number("+15550001111".into()));
}

#[test]
fn ring_tone_picks_the_ringback_and_it_stops_when_the_dial_fails() {
    let t0 = Instant::now();
    let (mut exec, acts) = running(
        t0,
        vec![Verb::Dial(Dial {
            ring_tone: Some("de".into()),
            ..dial(vec![sip("sip:a@h")])
        })],
    );
    assert!(
        acts.iter().any(
            |a| matches!(a, Action::Play { source: MediaSource::Ringback(c), .. } if c == "de")
        ),
        "{acts:?}"
    );
    exec.leg_ended(t0, LegId(0), CallSid::random(), CallStatus::Busy);
    let acts = work(&mut exec);
    assert_eq!(acts[0], Action::StopMedia, "{acts:?}");
}

#[test]
fn a_busy_party_gives_busy_and_the_worst_of_several_failures_is_busy() {
    let t0 = Instant::now();
    let (mut exec, _) = running(
        t0,
        vec![Verb::Dial(dial(vec![sip("sip:a@h"), sip("sip:b@h")]))],
    );
    exec.leg_ended(t0, LegId(0), CallSid::random(), CallStatus::Failed);
    assert!(work(&mut exec).is_empty(), "one party still rings");
    exec.leg_ended(t0, LegId(1), CallSid::random(), CallStatus::Busy);
    let acts = work(&mut exec);
    let f = fetched(&acts);
    assert_eq!(param(f, "DialCallStatus"), Some("busy"));
    assert_eq!(param(f, "DialBridged"), Some("false"));
    assert_eq!(param(f, "DialCallDuration"), Some("0"));
}

#[test]
fn timeout_of_ringing_is_no_answer_and_cancels_the_parties() {
    let t0 = Instant::now();
    let (mut exec, _) = running(
        t0,
        vec![Verb::Dial(Dial {
            timeout: 3,
            ..dial(vec![sip("sip:a@h")])
        })],
    );
    let deadline = t0 + Duration::from_secs(3);
    assert_eq!(exec.poll_timeout(), Some(deadline));
    exec.timeout(deadline - Duration::from_millis(1));
    assert!(work(&mut exec).is_empty(), "fired early");
    exec.timeout(deadline);
    let acts = work(&mut exec);
    assert_eq!(
        acts[0],
        Action::EndLeg {
            leg: LegId(0),
            status: CallStatus::NoAnswer
        }
    );
    assert_eq!(param(fetched(&acts), "DialCallStatus"), Some("no-answer"));
}

#[test]
fn the_caller_hanging_up_while_it_rings_cancels_the_party_and_reports_canceled() {
    let t0 = Instant::now();
    let (mut exec, _) = running(t0, vec![Verb::Dial(dial(vec![sip("sip:a@h")]))]);
    exec.hangup(t0 + Duration::from_secs(2));
    let acts = work(&mut exec);
    assert_eq!(
        acts[0],
        Action::EndLeg {
            leg: LegId(0),
            status: CallStatus::Canceled
        }
    );
    // Twilio still requests the action URL with the outcome; its answer is not run.
    assert_eq!(param(fetched(&acts), "DialCallStatus"), Some("canceled"));
    assert!(exec.is_done());
    exec.document(t0, Ok(Document::Verbs(vec![say("never")])));
    assert!(work(&mut exec).is_empty());
}

#[test]
fn the_caller_hanging_up_while_bridged_hangs_up_the_party() {
    let t0 = Instant::now();
    let (mut exec, _) = running(t0, vec![Verb::Dial(dial(vec![sip("sip:a@h")]))]);
    exec.leg_answered(t0, LegId(0), CallSid::random());
    let _ = work(&mut exec);
    exec.hangup(t0 + Duration::from_secs(4));
    let acts = work(&mut exec);
    assert_eq!(acts[0], Action::Unbridge(LegId(0)));
    assert_eq!(
        acts[1],
        Action::EndLeg {
            leg: LegId(0),
            status: CallStatus::Completed
        }
    );
    let f = fetched(&acts);
    assert_eq!(param(f, "DialCallStatus"), Some("completed"));
    assert_eq!(param(f, "DialCallDuration"), Some("4"));
}

#[test]
fn answer_on_bridge_rings_the_caller_and_answers_at_the_bridge() {
    let t0 = Instant::now();
    let (mut exec, acts) = running(
        t0,
        vec![Verb::Dial(Dial {
            answer_on_bridge: true,
            ..dial(vec![sip("sip:a@h"), sip("sip:b@h")])
        })],
    );
    assert!(!acts.contains(&Action::Answer), "{acts:?}");
    assert!(
        !acts.iter().any(|a| matches!(a, Action::Play { .. })),
        "{acts:?}"
    );
    exec.leg_ringing(LegId(0), CallSid::random());
    exec.leg_ringing(LegId(1), CallSid::random());
    // One ringback for the caller, however many parties ring.
    assert_eq!(work(&mut exec), vec![Action::Ringback(LegId(0))]);
    exec.leg_answered(t0, LegId(1), CallSid::random());
    let acts = work(&mut exec);
    let answer = acts
        .iter()
        .position(|a| *a == Action::Answer)
        .expect("answer");
    let bridge = acts
        .iter()
        .position(|a| *a == Action::Bridge(LegId(1)))
        .expect("bridge");
    assert!(answer < bridge, "{acts:?}");
}

#[test]
fn a_whisper_that_hangs_up_leaves_the_caller_unbridged() {
    let t0 = Instant::now();
    let mut target = Sip::new("sip:a@h");
    target.callbacks = LegCallbacks {
        url: Some("http://127.0.0.1:9000/whisper".into()),
        ..LegCallbacks::default()
    };
    let (mut exec, _) = running(t0, vec![Verb::Dial(dial(vec![DialTarget::Sip(target)]))]);
    let sid = CallSid::random();
    exec.leg_answered(t0, LegId(0), sid);
    assert_eq!(
        work(&mut exec),
        vec![Action::Whisper {
            leg: LegId(0),
            url: "http://127.0.0.1:9000/whisper".into(),
            method: HttpMethod::Post
        }]
    );
    exec.whisper_done(t0 + Duration::from_secs(2), LegId(0), false);
    let acts = work(&mut exec);
    assert!(!acts.iter().any(|a| matches!(a, Action::Bridge(_))));
    let f = fetched(&acts);
    assert_eq!(param(f, "DialCallStatus"), Some("completed"));
    assert_eq!(param(f, "DialBridged"), Some("false"));
    assert_eq!(param(f, "DialCallSid"), Some(sid.to_string().as_str()));
}

#[test]
fn a_whisper_that_ends_bridges_the_caller() {
    let t0 = Instant::now();
    let mut target = Sip::new("sip:a@h");
    target.callbacks.url = Some("/whisper".into());
    target.send_digits = Some("12w#".into());
    let (mut exec, _) = running(t0, vec![Verb::Dial(dial(vec![DialTarget::Sip(target)]))]);
    exec.leg_answered(t0, LegId(0), CallSid::random());
    let acts = work(&mut exec);
    // sendDigits go to the party before anything else happens on its leg.
    assert_eq!(
        acts[0],
        Action::SendLegDigits {
            leg: LegId(0),
            digits: "12w#".into()
        }
    );
    exec.whisper_done(t0, LegId(0), true);
    assert_eq!(
        work(&mut exec),
        vec![Action::StopMedia, Action::Bridge(LegId(0))]
    );
}

#[test]
fn hangup_on_star_ends_the_party_and_the_document_goes_on() {
    let t0 = Instant::now();
    let (mut exec, _) = running(
        t0,
        vec![
            Verb::Dial(Dial {
                hangup_on_star: true,
                action: None,
                ..dial(vec![sip("sip:a@h")])
            }),
            say("after"),
        ],
    );
    exec.digit(t0, '*');
    assert!(
        work(&mut exec).is_empty(),
        "* before the bridge does nothing"
    );
    exec.leg_answered(t0, LegId(0), CallSid::random());
    let _ = work(&mut exec);
    exec.digit(t0, '1');
    assert!(work(&mut exec).is_empty());
    exec.digit(t0 + Duration::from_secs(3), '*');
    let acts = work(&mut exec);
    assert_eq!(acts[0], Action::Unbridge(LegId(0)));
    assert_eq!(
        acts[1],
        Action::EndLeg {
            leg: LegId(0),
            status: CallStatus::Completed
        }
    );
    // No action: the next verb runs.
    assert!(
        matches!(&acts[2], Action::Play { .. }),
        "expected the Say after Dial, got {acts:?}"
    );
}

#[test]
fn without_hangup_on_star_a_star_is_just_a_digit() {
    let t0 = Instant::now();
    let (mut exec, _) = running(t0, vec![Verb::Dial(dial(vec![sip("sip:a@h")]))]);
    exec.leg_answered(t0, LegId(0), CallSid::random());
    let _ = work(&mut exec);
    exec.digit(t0, '*');
    assert!(work(&mut exec).is_empty());
}

#[test]
fn time_limit_ends_the_bridge() {
    let t0 = Instant::now();
    let (mut exec, _) = running(
        t0,
        vec![Verb::Dial(Dial {
            time_limit: 60,
            ..dial(vec![sip("sip:a@h")])
        })],
    );
    let t1 = t0 + Duration::from_secs(5);
    exec.leg_answered(t1, LegId(0), CallSid::random());
    let _ = work(&mut exec);
    // The ring timeout no longer applies once answered; the time limit does.
    assert_eq!(exec.poll_timeout(), Some(t1 + Duration::from_secs(60)));
    exec.timeout(t1 + Duration::from_secs(60));
    let acts = work(&mut exec);
    assert!(acts.contains(&Action::EndLeg {
        leg: LegId(0),
        status: CallStatus::Completed
    }));
    let f = fetched(&acts);
    assert_eq!(param(f, "DialCallDuration"), Some("60"));
}

#[test]
fn a_second_answer_after_the_winner_is_hung_up() {
    let t0 = Instant::now();
    let (mut exec, _) = running(
        t0,
        vec![Verb::Dial(dial(vec![sip("sip:a@h"), sip("sip:b@h")]))],
    );
    exec.leg_answered(t0, LegId(0), CallSid::random());
    let _ = work(&mut exec);
    // Its 200 crossed our CANCEL.
    exec.leg_answered(t0, LegId(1), CallSid::random());
    assert_eq!(
        work(&mut exec),
        vec![Action::EndLeg {
            leg: LegId(1),
            status: CallStatus::Completed
        }]
    );
}

#[test]
fn without_action_the_document_falls_through_when_the_party_hangs_up() {
    let t0 = Instant::now();
    let (mut exec, _) = running(
        t0,
        vec![
            Verb::Dial(Dial {
                action: None,
                ..dial(vec![sip("sip:a@h")])
            }),
            say("after"),
        ],
    );
    let sid = CallSid::random();
    exec.leg_answered(t0, LegId(0), sid);
    let _ = work(&mut exec);
    exec.leg_ended(t0, LegId(0), sid, CallStatus::Completed);
    let acts = work(&mut exec);
    assert!(
        acts.iter().any(|a| matches!(a, Action::Play { .. })),
        "{acts:?}"
    );
    assert!(!acts.iter().any(|a| matches!(a, Action::Fetch(_))));
}

/// Every noun is executed now; `sequential` is the attribute that is not: a warning,
/// and the parties ring in parallel.
#[test]
fn attributes_not_executed_yet_are_warnings_not_silence() {
    let t0 = Instant::now();
    let (mut exec, acts) = running(
        t0,
        vec![Verb::Dial(Dial {
            sequential: true,
            ..dial(vec![
                sip("sip:a@127.0.0.1:5071"),
                sip("sip:b@127.0.0.1:5072"),
            ])
        })],
    );
    let warning = acts.iter().find_map(|a| match a {
        Action::Notify(f) => Some(f.clone()),
        _ => None,
    });
    let warning = warning.expect("a notification");
    assert_eq!(warning.code, 12200);
    assert!(
        warning.message.contains("sequential"),
        "{}",
        warning.message
    );
    assert_eq!(dial_request(&acts).legs.len(), 2, "{acts:?}");
    let _ = events(&mut exec);
}

#[test]
fn dial_events_carry_the_outcome() {
    let t0 = Instant::now();
    let mut exec = Executor::new(URL, HttpMethod::Post);
    exec.start(t0);
    let _ = work(&mut exec);
    exec.document(
        t0,
        Ok(Document::Verbs(vec![Verb::Dial(dial(vec![sip(
            "sip:a@h",
        )]))])),
    );
    exec.leg_ended(t0, LegId(0), CallSid::random(), CallStatus::Busy);
    let ended = std::iter::from_fn(|| exec.poll_action())
        .find_map(|a| match a {
            Action::Event {
                kind: EventKind::VerbEnded,
                data,
            } => Some(data),
            _ => None,
        })
        .expect("verb.ended");
    assert!(ended.contains(&("Verb".into(), "Dial".into())));
    assert!(ended.contains(&("DialCallStatus".into(), "busy".into())));
}

/// The called leg's side of a whisper: its document runs, and its end hands the leg
/// back; a `<Hangup>` in it hangs up instead.
#[test]
fn a_whisper_document_ends_in_a_hand_back_or_a_hangup() {
    let t0 = Instant::now();
    for (verbs, hand_back) in [
        (vec![say("You have a call")], true),
        (vec![say("Not now"), Verb::Hangup], false),
    ] {
        let mut exec = Executor::new("", HttpMethod::Post);
        exec.whisper(
            Instant::now(),
            "http://127.0.0.1:9000/whisper".into(),
            HttpMethod::Post,
        );
        let acts = work(&mut exec);
        assert_eq!(fetched(&acts).url, "http://127.0.0.1:9000/whisper");
        assert!(
            !acts.contains(&Action::Answer),
            "the leg is answered already"
        );
        exec.document(t0, Ok(Document::Verbs(verbs)));
        let acts = work(&mut exec);
        let Some(Action::Play { token, .. }) = acts.first().cloned() else {
            panic!("{acts:?}")
        };
        exec.media_done(t0, token);
        let acts = work(&mut exec);
        assert_eq!(acts.contains(&Action::WhisperEnded), hand_back, "{acts:?}");
        assert_eq!(acts.contains(&Action::Hangup), !hand_back, "{acts:?}");
    }
}

/// answerOnBridge with early media: the first party's early media is bridged to the
/// unanswered caller (183); another party winning replaces it; a failing one ends it.
#[test]
fn early_media_reaches_the_unanswered_caller_until_someone_answers() {
    let t0 = Instant::now();
    let (mut exec, _) = running(
        t0,
        vec![Verb::Dial(Dial {
            answer_on_bridge: true,
            ..dial(vec![sip("sip:a@h"), sip("sip:b@h")])
        })],
    );
    exec.leg_early_media(LegId(0));
    assert_eq!(
        work(&mut exec),
        vec![Action::Progress, Action::Bridge(LegId(0))]
    );
    // One early stream at a time.
    exec.leg_early_media(LegId(1));
    assert!(work(&mut exec).is_empty());
    exec.leg_answered(t0, LegId(1), CallSid::random());
    let acts = work(&mut exec);
    let unbridge = acts
        .iter()
        .position(|a| *a == Action::Unbridge(LegId(0)))
        .expect("the early stream ends");
    let bridge = acts
        .iter()
        .position(|a| *a == Action::Bridge(LegId(1)))
        .expect("the winner is bridged");
    assert!(unbridge < bridge, "{acts:?}");
    assert!(acts.contains(&Action::Answer));

    let (mut exec, _) = running(
        t0,
        vec![Verb::Dial(Dial {
            answer_on_bridge: true,
            ..dial(vec![sip("sip:a@h"), sip("sip:b@h")])
        })],
    );
    exec.leg_early_media(LegId(0));
    let _ = work(&mut exec);
    exec.leg_ended(t0, LegId(0), CallSid::random(), CallStatus::Busy);
    assert_eq!(work(&mut exec), vec![Action::Unbridge(LegId(0))]);
    // Without answerOnBridge the answered caller hears our ringback instead.
    let (mut exec, _) = running(t0, vec![Verb::Dial(dial(vec![sip("sip:a@h")]))]);
    exec.leg_early_media(LegId(0));
    assert!(work(&mut exec).is_empty());
}
