//! WIT instructions (the `instruction-handler` world's answer) to the node's [`Verb`]
//! model: a `step` case as [`crate::steps`] converts it; `<Record>`, `<Dial><Conference>`,
//! `<Enqueue>` and `<Dial><Queue>` with every attribute the node executes here. An
//! attribute the records do not carry takes the default TwiML gives it.

use switchyard_instructions as ins;
use switchyard_instructions::Verb;

use crate::bindings::wit;
use crate::steps::{step, step_size};
use crate::verbs::{method, opt, ITEM_OVERHEAD};

/// Approximate bytes of `instructions`: their strings plus [`ITEM_OVERHEAD`] per item.
pub(crate) fn size(instructions: &[wit::Instruction]) -> usize {
    instructions.iter().map(instruction_size).sum()
}

fn instruction_size(i: &wit::Instruction) -> usize {
    use wit::Instruction as I;
    match i {
        I::Step(s) => step_size(s),
        I::Record(r) => {
            ITEM_OVERHEAD * (1 + r.recording_status_callback_event.len())
                + opt(&r.action)
                + r.finish_on_key.len()
                + opt(&r.recording_status_callback)
                + opt(&r.transcribe_callback)
        }
        I::Conference(c) => {
            ITEM_OVERHEAD
                * (1 + c.status_callback_event.len() + c.recording_status_callback_event.len())
                + c.name.len()
                + opt(&c.action)
                + opt(&c.wait_url)
                + opt(&c.coach)
                + opt(&c.status_callback)
                + opt(&c.recording_status_callback)
        }
        I::Enqueue(e) => ITEM_OVERHEAD + e.name.len() + opt(&e.action) + opt(&e.wait_url),
        I::Dequeue(d) => ITEM_OVERHEAD + d.name.len() + opt(&d.url) + opt(&d.action),
    }
}

/// The node's verbs for `instructions`.
pub(crate) fn convert(instructions: Vec<wit::Instruction>) -> Vec<Verb> {
    instructions.into_iter().map(instruction).collect()
}

fn instruction(i: wit::Instruction) -> Verb {
    use wit::Instruction as I;
    match i {
        I::Step(s) => step(s),
        I::Record(r) => Verb::Record(record(r)),
        I::Conference(c) => conference(c),
        I::Enqueue(e) => Verb::Enqueue(ins::Enqueue {
            name: e.name,
            action: e.action,
            method: method(e.method),
            wait_url: e.wait_url,
            wait_url_method: method(e.wait_url_method),
            max_queue_size: e.max_queue_size,
            ..ins::Enqueue::default()
        }),
        I::Dequeue(d) => {
            let mut queue = ins::Queue::new(d.name);
            queue.url = d.url;
            queue.method = method(d.url_method);
            Verb::Dial(ins::Dial {
                action: d.action,
                method: method(d.method),
                timeout: d.timeout,
                time_limit: d.time_limit,
                targets: vec![ins::DialTarget::Queue(queue)],
                ..ins::Dial::default()
            })
        }
    }
}

fn trim(trim_silence: bool) -> ins::Trim {
    if trim_silence {
        ins::Trim::TrimSilence
    } else {
        ins::Trim::DoNotTrim
    }
}

/// An empty list is Twilio's default, `completed` alone.
fn recording_events(events: Vec<wit::RecordingEvent>) -> Vec<ins::RecordingEvent> {
    if events.is_empty() {
        return vec![ins::RecordingEvent::Completed];
    }
    events
        .into_iter()
        .map(|e| match e {
            wit::RecordingEvent::InProgress => ins::RecordingEvent::InProgress,
            wit::RecordingEvent::Completed => ins::RecordingEvent::Completed,
            wit::RecordingEvent::Absent => ins::RecordingEvent::Absent,
        })
        .collect()
}

fn record(r: wit::RecordCaller) -> ins::Record {
    ins::Record {
        action: r.action,
        method: method(r.method),
        timeout: r.timeout,
        finish_on_key: r.finish_on_key,
        max_length: r.max_length,
        play_beep: r.play_beep,
        trim: trim(r.trim_silence),
        recording_status_callback: r.recording_status_callback,
        recording_status_callback_method: method(r.recording_status_callback_method),
        recording_status_callback_event: recording_events(r.recording_status_callback_event),
        transcribe: r.transcribe,
        transcribe_callback: r.transcribe_callback,
        ..ins::Record::default()
    }
}

fn conference(c: wit::ConferenceRoom) -> Verb {
    let mut room = ins::Conference::new(c.name);
    room.muted = c.muted;
    room.beep = match c.beep {
        wit::ConferenceBeep::Always => ins::ConferenceBeep::True,
        wit::ConferenceBeep::Never => ins::ConferenceBeep::False,
        wit::ConferenceBeep::OnEnter => ins::ConferenceBeep::OnEnter,
        wit::ConferenceBeep::OnExit => ins::ConferenceBeep::OnExit,
    };
    room.start_conference_on_enter = c.start_conference_on_enter;
    room.end_conference_on_exit = c.end_conference_on_exit;
    room.wait_url = c.wait_url;
    room.wait_method = method(c.wait_method);
    room.max_participants = c.max_participants;
    room.record = if c.record_from_start {
        ins::ConferenceRecord::RecordFromStart
    } else {
        ins::ConferenceRecord::DoNotRecord
    };
    room.trim = trim(c.trim_silence);
    room.coach = c.coach;
    room.status_callback = c.status_callback;
    room.status_callback_method = method(c.status_callback_method);
    room.status_callback_event = c
        .status_callback_event
        .into_iter()
        .map(|e| {
            use ins::ConferenceEvent as E;
            use wit::ConferenceEvent as W;
            match e {
                W::Start => E::Start,
                W::End => E::End,
                W::Join => E::Join,
                W::Leave => E::Leave,
                W::Mute => E::Mute,
                W::Hold => E::Hold,
                W::Modify => E::Modify,
                W::Speaker => E::Speaker,
                W::Announcement => E::Announcement,
            }
        })
        .collect();
    room.recording_status_callback = c.recording_status_callback;
    room.recording_status_callback_method = method(c.recording_status_callback_method);
    room.recording_status_callback_event = recording_events(c.recording_status_callback_event);
    Verb::Dial(ins::Dial {
        action: c.action,
        method: method(c.method),
        hangup_on_star: c.hangup_on_star,
        time_limit: c.time_limit,
        targets: vec![ins::DialTarget::Conference(room)],
        ..ins::Dial::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room() -> wit::ConferenceRoom {
        wit::ConferenceRoom {
            name: "standup".into(),
            action: Some("/left".into()),
            method: wit::HttpMethod::Get,
            hangup_on_star: true,
            time_limit: 600,
            muted: true,
            beep: wit::ConferenceBeep::OnEnter,
            start_conference_on_enter: false,
            end_conference_on_exit: true,
            wait_url: Some("/wait".into()),
            wait_method: wit::HttpMethod::Get,
            max_participants: 12,
            record_from_start: true,
            trim_silence: false,
            coach: Some("CA0123".into()),
            status_callback: Some("/room-events".into()),
            status_callback_method: wit::HttpMethod::Get,
            status_callback_event: vec![wit::ConferenceEvent::Join, wit::ConferenceEvent::Speaker],
            recording_status_callback: Some("/rec".into()),
            recording_status_callback_method: wit::HttpMethod::Get,
            recording_status_callback_event: vec![wit::RecordingEvent::Absent],
        }
    }

    #[test]
    fn a_room_keeps_every_attribute_and_the_dials_own() {
        let out = convert(vec![wit::Instruction::Conference(room())]);
        let [Verb::Dial(dial)] = &out[..] else {
            panic!("{out:?}")
        };
        assert_eq!(dial.action.as_deref(), Some("/left"));
        assert_eq!(dial.method, ins::HttpMethod::Get);
        assert!(dial.hangup_on_star);
        assert_eq!(dial.time_limit, 600);
        let [ins::DialTarget::Conference(c)] = &dial.targets[..] else {
            panic!("{dial:?}")
        };
        let mut expected = ins::Conference::new("standup");
        expected.muted = true;
        expected.beep = ins::ConferenceBeep::OnEnter;
        expected.start_conference_on_enter = false;
        expected.end_conference_on_exit = true;
        expected.wait_url = Some("/wait".into());
        expected.wait_method = ins::HttpMethod::Get;
        expected.max_participants = 12;
        expected.record = ins::ConferenceRecord::RecordFromStart;
        expected.trim = ins::Trim::DoNotTrim;
        expected.coach = Some("CA0123".into());
        expected.status_callback = Some("/room-events".into());
        expected.status_callback_method = ins::HttpMethod::Get;
        expected.status_callback_event =
            vec![ins::ConferenceEvent::Join, ins::ConferenceEvent::Speaker];
        expected.recording_status_callback = Some("/rec".into());
        expected.recording_status_callback_method = ins::HttpMethod::Get;
        expected.recording_status_callback_event = vec![ins::RecordingEvent::Absent];
        assert_eq!(c, &expected);
    }

    #[test]
    fn queues_and_records_carry_their_methods_sizes_and_events() {
        let out = convert(vec![
            wit::Instruction::Enqueue(wit::EnqueueCaller {
                name: "support".into(),
                action: Some("/after".into()),
                method: wit::HttpMethod::Post,
                wait_url: Some("/hold".into()),
                wait_url_method: wit::HttpMethod::Get,
                max_queue_size: Some(2),
            }),
            wit::Instruction::Dequeue(wit::DequeueCaller {
                name: "support".into(),
                url: Some("/whisper".into()),
                url_method: wit::HttpMethod::Get,
                action: Some("/agent-done".into()),
                method: wit::HttpMethod::Post,
                timeout: 7,
                time_limit: 90,
            }),
            wit::Instruction::Record(wit::RecordCaller {
                action: None,
                method: wit::HttpMethod::Post,
                timeout: 2,
                finish_on_key: "#".into(),
                max_length: 10,
                play_beep: false,
                trim_silence: true,
                recording_status_callback: Some("/rs".into()),
                recording_status_callback_method: wit::HttpMethod::Get,
                recording_status_callback_event: vec![
                    wit::RecordingEvent::InProgress,
                    wit::RecordingEvent::Completed,
                ],
                transcribe: false,
                transcribe_callback: None,
            }),
            wit::Instruction::Step(wit::Step::Verb(wit::Verb::Leave)),
        ]);
        let Verb::Enqueue(e) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(e.max_queue_size, Some(2));
        assert_eq!(e.wait_url_method, ins::HttpMethod::Get);
        assert_eq!(e.wait_url.as_deref(), Some("/hold"));
        let Verb::Dial(d) = &out[1] else {
            panic!("{out:?}")
        };
        assert_eq!((d.timeout, d.time_limit), (7, 90));
        assert_eq!(d.action.as_deref(), Some("/agent-done"));
        let [ins::DialTarget::Queue(q)] = &d.targets[..] else {
            panic!("{d:?}")
        };
        assert_eq!(q.url.as_deref(), Some("/whisper"));
        assert_eq!(q.method, ins::HttpMethod::Get);
        let Verb::Record(r) = &out[2] else {
            panic!("{out:?}")
        };
        assert_eq!((r.timeout, r.max_length, r.play_beep), (2, 10, false));
        assert_eq!(r.finish_on_key, "#");
        assert_eq!(r.recording_status_callback_method, ins::HttpMethod::Get);
        assert_eq!(
            r.recording_status_callback_event,
            vec![
                ins::RecordingEvent::InProgress,
                ins::RecordingEvent::Completed
            ]
        );
        assert_eq!(out[3], Verb::Leave);
    }

    #[test]
    fn no_recording_events_is_twilios_default_and_sizes_count_strings() {
        let mut r = room();
        r.recording_status_callback_event = Vec::new();
        let out = convert(vec![wit::Instruction::Conference(r.clone())]);
        let Verb::Dial(d) = &out[0] else { panic!() };
        let ins::DialTarget::Conference(c) = &d.targets[0] else {
            panic!()
        };
        assert_eq!(
            c.recording_status_callback_event,
            vec![ins::RecordingEvent::Completed]
        );
        // Two status events; the strings: name, action, waitUrl, coach, both callbacks.
        let strings = 7 + 5 + 5 + 6 + 12 + 4;
        assert_eq!(
            size(&[wit::Instruction::Conference(r)]),
            3 * ITEM_OVERHEAD + strings
        );
    }
}
