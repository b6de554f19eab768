//! Queued callers and agents in virtual time: two executors share one book.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use switchyard_instructions::{
    Dial, DialTarget, Enqueue, HttpMethod, Pause, Queue as QueueNoun, Say, Verb,
};
use switchyard_types::{AccountSid, CallSid, CallStatus};

use super::*;
use crate::params::{CallInfo, Direction};
use crate::queue::{Dequeue, QueueAction, QueueBook, SharedQueues};

const URL: &str = "http://127.0.0.1:9000/voice";

fn work(exec: &mut Executor) -> Vec<Action> {
    std::iter::from_fn(|| exec.poll_action())
        .filter(|a| !matches!(a, Action::Event { .. }))
        .collect()
}

fn call(queues: &SharedQueues, account: AccountSid) -> (Executor, CallSid) {
    let sid = CallSid::random();
    let info = CallInfo {
        call_sid: sid,
        account_sid: account,
        from: "+15550001".into(),
        to: "+15550002".into(),
        direction: Direction::Inbound,
        parent_call_sid: None,
    };
    let exec = Executor::new(URL, HttpMethod::Post)
        .with_call(info)
        .with_queues(queues.clone());
    (exec, sid)
}

fn run(exec: &mut Executor, now: Instant, verbs: Vec<Verb>) -> Vec<Action> {
    exec.start(now);
    work(exec);
    exec.document(now, Ok(Document::Verbs(verbs)));
    work(exec)
}

fn fetch(actions: &[Action]) -> &FetchRequest {
    actions
        .iter()
        .find_map(|a| match a {
            Action::Fetch(f) => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("expected a fetch in {actions:?}"))
}

fn param<'a>(f: &'a FetchRequest, name: &str) -> &'a str {
    f.params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {:?}", f.params))
}

fn enqueue(wait: Option<&str>, action: Option<&str>) -> Verb {
    Verb::Enqueue(Enqueue {
        wait_url: wait.map(Into::into),
        action: action.map(Into::into),
        ..Enqueue::new("support")
    })
}

fn dial_queue(url: Option<&str>) -> Verb {
    Verb::Dial(Dial {
        action: Some("/dialed".into()),
        targets: vec![DialTarget::Queue(QueueNoun {
            url: url.map(Into::into),
            ..QueueNoun::new("support")
        })],
        ..Dial::default()
    })
}

fn say(text: &str) -> Verb {
    Verb::Say(Say {
        text: text.into(),
        ..Say::default()
    })
}

fn book() -> SharedQueues {
    Arc::new(Mutex::new(QueueBook::default()))
}

#[test]
fn the_wait_document_loops_with_the_callers_position_and_the_agent_takes_the_first() {
    let t0 = Instant::now();
    let (queues, acct) = (book(), AccountSid::random());
    let (mut a, a_sid) = call(&queues, acct);
    let (mut b, _) = call(&queues, acct);

    let acts = run(&mut a, t0, vec![enqueue(Some("/wait"), Some("/left"))]);
    assert_eq!(acts[0], Action::Answer);
    let f = fetch(&acts);
    assert_eq!(f.url, "http://127.0.0.1:9000/wait");
    assert_eq!(param(f, "QueuePosition"), "1");
    assert_eq!(param(f, "CurrentQueueSize"), "1");
    assert_eq!(param(f, "MaxQueueSize"), "100");
    let queue_sid = param(f, "QueueSid").to_owned();
    assert!(queue_sid.starts_with("QU"));

    let t1 = t0 + Duration::from_secs(3);
    let acts = run(&mut b, t1, vec![enqueue(Some("/wait"), None)]);
    let f = fetch(&acts);
    assert_eq!(param(f, "QueuePosition"), "2");
    assert_eq!(param(f, "CurrentQueueSize"), "2");
    assert_eq!(param(f, "QueueSid"), queue_sid);

    // A's wait document (a pause) ends: it is requested again, with the time waited.
    let t2 = t0 + Duration::from_secs(5);
    a.document(
        t1,
        Ok(Document::Verbs(vec![Verb::Pause(Pause { length: 2 })])),
    );
    work(&mut a);
    a.timeout(t2);
    let f = fetch(&work(&mut a)).clone();
    assert_eq!(param(&f, "QueuePosition"), "1");
    assert_eq!(param(&f, "QueueTime"), "5");
    // A waited 5 s and B 2 s.
    assert_eq!(param(&f, "AvgQueueTime"), "3");

    // The agent takes the head of the queue: A.
    let (mut agent, agent_sid) = call(&queues, acct);
    let acts = run(&mut agent, t2, vec![dial_queue(Some("/whisper"))]);
    let take = acts
        .iter()
        .find_map(|a| match a {
            Action::Queue(QueueAction::Take {
                member,
                url,
                waited,
                ..
            }) => Some((*member, url.clone(), *waited)),
            _ => None,
        })
        .expect("a Take");
    assert_eq!(take.0, a_sid, "first in, first out");
    assert_eq!(
        take.1,
        Some(("http://127.0.0.1:9000/whisper".into(), HttpMethod::Post))
    );

    // A runs the agent's url document first (a Dial in it is not allowed), then is ready.
    a.queue_dequeued(
        t2,
        Dequeue::Bridge {
            agent: agent_sid,
            url: take.1.clone(),
            waited: take.2,
        },
    );
    let acts = work(&mut a);
    let f = fetch(&acts);
    assert_eq!(f.url, "http://127.0.0.1:9000/whisper");
    assert_eq!(param(f, "DequeingCallSid"), agent_sid.to_string());
    a.document(
        t2,
        Ok(Document::Verbs(vec![dial_queue(None), say("connecting")])),
    );
    let acts = work(&mut a);
    assert!(matches!(
        acts[0],
        Action::Notify(AppFailure { code: 12200, .. })
    ));
    let Some(Action::Play { token, .. }) = acts.get(1) else {
        panic!("the Say plays: {acts:?}")
    };
    a.media_done(t2, *token);
    let acts = work(&mut a);
    assert!(acts.contains(&Action::Queue(QueueAction::Ready { agent: agent_sid })));
    assert!(agent.queue_member_ready(t2, a_sid));

    // B moved up: its next wait request says position 1.
    b.document(t2, Ok(Document::Verbs(vec![])));
    let f = fetch(&work(&mut b)).clone();
    assert_eq!(param(&f, "QueuePosition"), "1");
    assert_eq!(param(&f, "CurrentQueueSize"), "1");

    // The agent hangs up after 10 s: A's action hears it was bridged.
    let t3 = t2 + Duration::from_secs(10);
    agent.hangup(t3);
    let acts = work(&mut agent);
    assert!(acts.contains(&Action::Queue(QueueAction::EndBridge { peer: a_sid })));
    let f = fetch(&acts);
    assert_eq!(f.url, "http://127.0.0.1:9000/dialed");
    assert_eq!(param(f, "DialCallStatus"), "completed");
    assert_eq!(param(f, "DialCallDuration"), "10");
    assert_eq!(param(f, "DequeuedCallSid"), a_sid.to_string());
    assert_eq!(param(f, "DequeuedCallQueueTime"), "5");
    a.queue_bridge_ended(t3, agent_sid);
    let f = fetch(&work(&mut a)).clone();
    assert_eq!(f.url, "http://127.0.0.1:9000/left");
    assert_eq!(param(&f, "QueueResult"), "bridged");
    assert_eq!(param(&f, "QueueTime"), "5");
    assert_eq!(param(&f, "QueueSid"), queue_sid);
    assert!(!a.in_queue());
}

#[test]
fn leave_ends_the_wait_and_the_document_goes_on_without_action() {
    let t0 = Instant::now();
    let (queues, acct) = (book(), AccountSid::random());
    let (mut a, _) = call(&queues, acct);
    run(
        &mut a,
        t0,
        vec![enqueue(Some("/wait"), None), say("after the queue")],
    );
    a.document(
        t0 + Duration::from_secs(1),
        Ok(Document::Verbs(vec![Verb::Leave, say("never")])),
    );
    let acts = work(&mut a);
    let Some(Action::Play {
        source: MediaSource::Speech { text, .. },
        ..
    }) = acts.iter().find(|a| matches!(a, Action::Play { .. }))
    else {
        panic!("the caller's document goes on: {acts:?}")
    };
    assert_eq!(text, "after the queue");
    assert!(!a.in_queue());
    let sid = queues.lock().unwrap().find(acct, "support").unwrap();
    assert_eq!(queues.lock().unwrap().stats(t0, acct, sid).unwrap().size, 0);
}

#[test]
fn a_full_queue_turns_the_caller_away_at_once_and_hold_music_plays_without_wait_url() {
    let t0 = Instant::now();
    let (queues, acct) = (book(), AccountSid::random());
    let small = |action| {
        Verb::Enqueue(Enqueue {
            max_queue_size: Some(2),
            action,
            ..Enqueue::new("support")
        })
    };
    for _ in 0..2 {
        let (mut c, _) = call(&queues, acct);
        let acts = run(&mut c, t0, vec![small(None)]);
        assert!(
            acts.iter().any(|a| matches!(
                a,
                Action::Play {
                    source: MediaSource::HoldMusic,
                    repeat: 0,
                    ..
                }
            )),
            "built-in hold music, looped: {acts:?}"
        );
    }
    let (mut third, _) = call(&queues, acct);
    let acts = run(&mut third, t0, vec![small(Some("/full".into()))]);
    let f = fetch(&acts);
    assert_eq!(f.url, "http://127.0.0.1:9000/full");
    assert_eq!(param(f, "QueueResult"), "queue-full");
}

#[test]
fn an_agent_waits_on_an_empty_queue_until_a_member_joins_or_its_timeout() {
    let t0 = Instant::now();
    let (queues, acct) = (book(), AccountSid::random());
    queues
        .lock()
        .unwrap()
        .create(t0, acct, "support", None)
        .unwrap();
    let (mut agent, agent_sid) = call(&queues, acct);
    let acts = run(&mut agent, t0, vec![dial_queue(None)]);
    assert!(!acts.iter().any(|a| matches!(a, Action::Queue(_))));
    assert_eq!(agent.poll_timeout(), Some(t0 + Duration::from_secs(30)));

    let (mut m, m_sid) = call(&queues, acct);
    let acts = run(&mut m, t0, vec![enqueue(None, None)]);
    assert!(acts.contains(&Action::Queue(QueueAction::Wake(vec![agent_sid]))));
    agent.queue_member_waiting(t0);
    let acts = work(&mut agent);
    assert!(matches!(
        &acts[..],
        [Action::Queue(QueueAction::Take { member, .. })] if *member == m_sid
    ));

    // A second agent finds the queue empty again and gives up at its timeout.
    let (mut late, _) = call(&queues, acct);
    run(&mut late, t0, vec![dial_queue(None)]);
    late.timeout(t0 + Duration::from_secs(30));
    let f = fetch(&work(&mut late)).clone();
    assert_eq!(param(&f, "DialCallStatus"), CallStatus::NoAnswer.as_str());
    assert_eq!(param(&f, "DialBridged"), "false");
}

#[test]
fn the_members_api_redirects_and_a_hangup_in_the_queue_is_told_to_action() {
    let t0 = Instant::now();
    let (queues, acct) = (book(), AccountSid::random());
    let (mut a, a_sid) = call(&queues, acct);
    let (mut b, _) = call(&queues, acct);
    run(&mut a, t0, vec![enqueue(None, Some("/left"))]);
    run(&mut b, t0, vec![enqueue(None, Some("/left"))]);
    let sid = queues.lock().unwrap().find(acct, "support").unwrap();

    let later = t0 + Duration::from_secs(7);
    let d = queues.lock().unwrap().remove(later, sid, a_sid).unwrap();
    a.queue_dequeued(
        later,
        Dequeue::Redirect {
            url: "http://127.0.0.1:9000/out".into(),
            method: HttpMethod::Get,
            waited: d.waited,
        },
    );
    let acts = work(&mut a);
    assert_eq!(acts[0], Action::StopMedia);
    let f = fetch(&acts);
    assert_eq!(
        (f.url.as_str(), f.method),
        ("http://127.0.0.1:9000/out", HttpMethod::Get)
    );
    assert_eq!(param(f, "QueueResult"), "redirected");
    assert_eq!(param(f, "QueueTime"), "7");

    b.hangup(later);
    let f = fetch(&work(&mut b)).clone();
    assert_eq!(param(&f, "QueueResult"), "hangup");
    assert_eq!(
        queues.lock().unwrap().stats(later, acct, sid).unwrap().size,
        0
    );
}

#[test]
fn an_agents_dial_record_records_the_queue_bridge_and_action_says_where() {
    let t0 = Instant::now();
    let (queues, acct) = (book(), AccountSid::random());
    let (mut member, member_sid) = call(&queues, acct);
    run(&mut member, t0, vec![enqueue(None, None)]);

    let (mut agent, _) = call(&queues, acct);
    let Verb::Dial(mut dial) = dial_queue(None) else {
        unreachable!()
    };
    dial.record = switchyard_instructions::DialRecord::RecordFromAnswerDual;
    let acts = run(&mut agent, t0, vec![Verb::Dial(dial)]);
    // Taken, not yet bridged: a `record-from-answer` recording waits for the bridge.
    assert!(
        acts.iter()
            .any(|a| matches!(a, Action::Queue(QueueAction::Take { member, .. }) if *member == member_sid)),
        "{acts:?}"
    );
    assert!(
        !acts.iter().any(|a| matches!(a, Action::RecordCall { .. })),
        "{acts:?}"
    );

    let t1 = t0 + Duration::from_secs(2);
    assert!(agent.queue_member_ready(t1, member_sid));
    let acts = work(&mut agent);
    let (token, spec) = acts
        .iter()
        .find_map(|a| match a {
            Action::RecordCall { token, spec } => Some((*token, spec.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("a recording at the bridge: {acts:?}"));
    assert_eq!(spec.channels, 2);
    let id = RecordingId {
        sid: "RE00000000000000000000000000000001".into(),
        url: "http://node/Recordings/RE00000000000000000000000000000001".into(),
    };
    agent.record_started(token, id.clone());
    work(&mut agent);

    // The agent hangs up 7 s into the bridge: the recording stops, `action` is told.
    let t2 = t1 + Duration::from_secs(7);
    agent.hangup(t2);
    let acts = work(&mut agent);
    assert!(acts.contains(&Action::StopRecording(token)), "{acts:?}");
    let f = fetch(&acts);
    assert_eq!(param(f, "RecordingSid"), id.sid);
    assert_eq!(param(f, "RecordingUrl"), id.url);
    assert_eq!(param(f, "RecordingDuration"), "7");
    assert_eq!(param(f, "DialCallDuration"), "7");
}

#[test]
fn a_wait_document_that_fails_leaves_the_caller_waiting_with_hold_music() {
    let t0 = Instant::now();
    let (queues, acct) = (book(), AccountSid::random());
    let (mut a, a_sid) = call(&queues, acct);
    run(&mut a, t0, vec![enqueue(Some("/wait"), Some("/left"))]);
    a.document(
        t0,
        Err(AppFailure {
            code: 11200,
            message: "HTTP 500".into(),
        }),
    );
    let acts = work(&mut a);
    assert!(
        acts.contains(&Action::Notify(AppFailure {
            code: 11200,
            message: "HTTP 500".into()
        })),
        "{acts:?}"
    );
    assert!(!acts.contains(&Action::Hangup), "{acts:?}");
    assert!(
        acts.iter().any(|a| matches!(
            a,
            Action::Play {
                source: MediaSource::HoldMusic,
                repeat: 0,
                ..
            }
        )),
        "{acts:?}"
    );
    // Still in line: first in the queue.
    let sid = queues.lock().unwrap().find(acct, "support").unwrap();
    let p = queues.lock().unwrap().position(t0, sid, a_sid);
    assert_eq!(p.map(|p| p.position), Some(1));
}
