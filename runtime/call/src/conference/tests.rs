use super::*;

fn spec(call_sid: CallSid) -> JoinSpec {
    JoinSpec {
        call_sid,
        muted: false,
        beep: ConferenceBeep::False,
        start_on_enter: true,
        end_on_exit: false,
        coaching: None,
        max_participants: MAX_PARTICIPANTS,
        record: false,
        callbacks: None,
    }
}

fn callbacks(events: &[ConferenceEvent]) -> Option<RoomCallbacks> {
    Some(RoomCallbacks {
        url: "http://app/conf".into(),
        method: HttpMethod::Post,
        events: events.to_vec(),
    })
}

fn drain(room: &mut Room) -> Vec<RoomOutput> {
    std::iter::from_fn(|| room.poll_output()).collect()
}

/// The status callbacks' `StatusCallbackEvent`, `CallSid` and `SequenceNumber`.
fn callbacks_sent(outputs: &[RoomOutput]) -> Vec<(String, Option<String>, String)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            RoomOutput::Callback { params, .. } => {
                let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                Some((
                    get("StatusCallbackEvent")?,
                    get("CallSid"),
                    get("SequenceNumber")?,
                ))
            }
            _ => None,
        })
        .collect()
}

fn notices(outputs: &[RoomOutput]) -> Vec<(CallSid, Notice)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            RoomOutput::Notice(s, n) => Some((*s, n.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn waiting_participants_hear_the_room_once_a_starter_joins() {
    let mut room = Room::new(AccountSid::random(), "standup");
    let (a, b) = (CallSid::random(), CallSid::random());
    room.join(JoinSpec {
        start_on_enter: false,
        ..spec(a)
    })
    .unwrap();
    let out = drain(&mut room);
    assert_eq!(room.status(), RoomStatus::Init);
    assert!(
        notices(&out).is_empty(),
        "a waiting one hears the room: {out:?}"
    );
    assert!(out.contains(&RoomOutput::Mix(
        a,
        MixRole {
            muted: false,
            held: true,
            coaching: None
        }
    )));
    room.join(spec(b)).unwrap();
    let out = drain(&mut room);
    assert_eq!(room.status(), RoomStatus::InProgress);
    assert_eq!(
        notices(&out),
        vec![(a, Notice::Started), (b, Notice::Started)]
    );
    assert!(out.contains(&RoomOutput::Mix(
        a,
        MixRole {
            muted: false,
            held: false,
            coaching: None
        }
    )));
}

#[test]
fn status_callbacks_are_the_first_participants_listed_events_in_order() {
    let mut room = Room::new(AccountSid::random(), "sales");
    let (a, b) = (CallSid::random(), CallSid::random());
    let events = [
        ConferenceEvent::Start,
        ConferenceEvent::End,
        ConferenceEvent::Join,
        ConferenceEvent::Leave,
        ConferenceEvent::Mute,
    ];
    room.join(JoinSpec {
        callbacks: callbacks(&events),
        ..spec(a)
    })
    .unwrap();
    // The second participant's callback is not the room's.
    room.join(JoinSpec {
        callbacks: callbacks(&[]),
        ..spec(b)
    })
    .unwrap();
    assert!(room.set_muted(b, true));
    assert!(room.set_hold(b, true, None), "hold is not listed");
    room.leave(b);
    room.leave(a);
    let out = drain(&mut room);
    let (a, b) = (Some(a.to_string()), Some(b.to_string()));
    let expected = [
        ("conference-start", None),
        ("participant-join", a.clone()),
        ("participant-join", b.clone()),
        ("participant-mute", b.clone()),
        ("participant-leave", b),
        ("participant-leave", a),
        ("conference-end", None),
    ];
    let sent = callbacks_sent(&out);
    assert_eq!(sent.len(), expected.len(), "{sent:?}");
    for (i, ((name, sid, seq), (want, want_sid))) in sent.iter().zip(expected).enumerate() {
        assert_eq!((name.as_str(), sid), (want, &want_sid));
        assert_eq!(seq, &(i + 1).to_string());
    }
    assert_eq!(room.status(), RoomStatus::Completed);
}

#[test]
fn a_moderator_leaving_ends_the_room_for_everyone() {
    let mut room = Room::new(AccountSid::random(), "town hall");
    let (m, a, b) = (CallSid::random(), CallSid::random(), CallSid::random());
    room.join(JoinSpec {
        end_on_exit: true,
        ..spec(m)
    })
    .unwrap();
    room.join(spec(a)).unwrap();
    room.join(spec(b)).unwrap();
    drain(&mut room);
    room.leave(m);
    let out = drain(&mut room);
    assert_eq!(notices(&out), vec![(a, Notice::Left), (b, Notice::Left)]);
    assert_eq!(room.status(), RoomStatus::Completed);
    assert!(room.members().is_empty());
    assert_eq!(
        room.join(spec(CallSid::random())),
        Err(Error::ConferenceEnded)
    );
}

#[test]
fn a_full_room_turns_the_next_one_away() {
    let mut room = Room::new(AccountSid::random(), "small");
    room.join(JoinSpec {
        max_participants: 2,
        ..spec(CallSid::random())
    })
    .unwrap();
    room.join(spec(CallSid::random())).unwrap();
    assert_eq!(
        room.join(spec(CallSid::random())),
        Err(Error::ConferenceFull(2))
    );
    assert_eq!(room.members().len(), 2);
}

#[test]
fn beeps_follow_the_noun() {
    let mut room = Room::new(AccountSid::random(), "beeps");
    let (a, b, c) = (CallSid::random(), CallSid::random(), CallSid::random());
    room.join(spec(a)).unwrap();
    room.join(JoinSpec {
        beep: ConferenceBeep::OnEnter,
        ..spec(b)
    })
    .unwrap();
    room.join(JoinSpec {
        beep: ConferenceBeep::OnExit,
        ..spec(c)
    })
    .unwrap();
    let beeps = |o: &[RoomOutput]| o.iter().filter(|x| **x == RoomOutput::Beep).count();
    assert_eq!(beeps(&drain(&mut room)), 1, "b's entry only");
    room.leave(b);
    assert_eq!(beeps(&drain(&mut room)), 0);
    room.leave(c);
    assert_eq!(beeps(&drain(&mut room)), 1, "c's exit");
}

#[test]
fn a_coach_loses_its_coachee_when_it_leaves() {
    let mut room = Room::new(AccountSid::random(), "coaching");
    let (agent, coach) = (CallSid::random(), CallSid::random());
    room.join(spec(agent)).unwrap();
    room.join(JoinSpec {
        coaching: Some(agent),
        ..spec(coach)
    })
    .unwrap();
    assert!(room.member(coach).unwrap().coaching == Some(agent));
    drain(&mut room);
    room.leave(agent);
    let out = drain(&mut room);
    assert!(out.contains(&RoomOutput::Mix(
        coach,
        MixRole {
            muted: false,
            held: false,
            coaching: None
        }
    )));
}

#[test]
fn removing_a_participant_tells_its_call_and_the_room_records_from_the_start() {
    let mut room = Room::new(AccountSid::random(), "rec");
    let (a, b) = (CallSid::random(), CallSid::random());
    room.join(JoinSpec {
        record: true,
        start_on_enter: false,
        ..spec(a)
    })
    .unwrap();
    assert!(!drain(&mut room).contains(&RoomOutput::Record(true)));
    room.join(spec(b)).unwrap();
    assert!(drain(&mut room).contains(&RoomOutput::Record(true)));
    assert!(room.remove(b));
    let out = drain(&mut room);
    assert_eq!(notices(&out), vec![(b, Notice::Left)]);
    assert!(out.contains(&RoomOutput::Unmix(b)));
    assert!(!room.remove(b));
    room.end();
    assert!(drain(&mut room).contains(&RoomOutput::Record(false)));
}
