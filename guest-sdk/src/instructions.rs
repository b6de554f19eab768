//! Verbs to WIT instructions, the answer of the `instruction-handler` world: `<Record>`,
//! `<Enqueue>`, and a Dial of one conference or one queue go as the instructions that
//! carry all their attributes; every other verb as the step it always was.

use crate::bindings::wit;
use crate::verbs::{Conference, ConferenceEvent, Dial, DialTarget, Queue, RecordingEvent, Verb};

impl From<RecordingEvent> for wit::RecordingEvent {
    fn from(e: RecordingEvent) -> Self {
        match e {
            RecordingEvent::InProgress => wit::RecordingEvent::InProgress,
            RecordingEvent::Completed => wit::RecordingEvent::Completed,
            RecordingEvent::Absent => wit::RecordingEvent::Absent,
        }
    }
}

impl From<ConferenceEvent> for wit::ConferenceEvent {
    fn from(e: ConferenceEvent) -> Self {
        use wit::ConferenceEvent as W;
        match e {
            ConferenceEvent::Start => W::Start,
            ConferenceEvent::End => W::End,
            ConferenceEvent::Join => W::Join,
            ConferenceEvent::Leave => W::Leave,
            ConferenceEvent::Mute => W::Mute,
            ConferenceEvent::Hold => W::Hold,
            ConferenceEvent::Modify => W::Modify,
            ConferenceEvent::Speaker => W::Speaker,
            ConferenceEvent::Announcement => W::Announcement,
        }
    }
}

fn events<E: Into<W>, W>(events: Vec<E>) -> Vec<W> {
    events.into_iter().map(Into::into).collect()
}

/// The room of `dial`, with the Dial's attributes that apply to a room.
fn room(dial: &Dial, c: Conference) -> wit::ConferenceRoom {
    wit::ConferenceRoom {
        name: c.name,
        action: dial.action.clone(),
        method: dial.method.into(),
        hangup_on_star: dial.hangup_on_star,
        time_limit: dial.time_limit,
        muted: c.muted,
        // TwiML's keywords; anything else is the default, a beep both ways.
        beep: match c.beep.as_str() {
            "false" => wit::ConferenceBeep::Never,
            "onEnter" => wit::ConferenceBeep::OnEnter,
            "onExit" => wit::ConferenceBeep::OnExit,
            _ => wit::ConferenceBeep::Always,
        },
        start_conference_on_enter: c.start_conference_on_enter,
        end_conference_on_exit: c.end_conference_on_exit,
        wait_url: c.wait_url,
        wait_method: c.wait_method.into(),
        max_participants: c.max_participants,
        record_from_start: c.record_from_start,
        trim_silence: c.trim_silence,
        coach: c.coach,
        status_callback: c.status_callback,
        status_callback_method: c.status_callback_method.into(),
        status_callback_event: events(c.status_callback_event),
        recording_status_callback: c.recording_status_callback,
        recording_status_callback_method: c.recording_status_callback_method.into(),
        recording_status_callback_event: events(c.recording_status_callback_event),
    }
}

/// The queue of `dial`, with the Dial's attributes that apply to a queue.
fn dequeue(dial: &Dial, q: Queue) -> wit::DequeueCaller {
    wit::DequeueCaller {
        name: q.name,
        url: q.url,
        url_method: q.method.into(),
        action: dial.action.clone(),
        method: dial.method.into(),
        timeout: dial.timeout,
        time_limit: dial.time_limit,
    }
}

impl From<Verb> for wit::Instruction {
    fn from(v: Verb) -> Self {
        match v {
            Verb::Record(r) => wit::Instruction::Record(wit::RecordCaller {
                action: r.action,
                method: r.method.into(),
                timeout: r.timeout,
                finish_on_key: r.finish_on_key,
                max_length: r.max_length,
                play_beep: r.play_beep,
                trim_silence: r.trim_silence,
                recording_status_callback: r.recording_status_callback,
                recording_status_callback_method: r.recording_status_callback_method.into(),
                recording_status_callback_event: events(r.recording_status_callback_event),
                transcribe: r.transcribe,
                transcribe_callback: r.transcribe_callback,
            }),
            Verb::Enqueue(e) => wit::Instruction::Enqueue(wit::EnqueueCaller {
                name: e.name,
                action: e.action,
                method: e.method.into(),
                wait_url: e.wait_url,
                wait_url_method: e.wait_url_method.into(),
                max_queue_size: e.max_queue_size,
            }),
            // A room or a queue is a Dial's only target (TwiML allows no other beside it).
            Verb::Dial(mut d) if matches!(&d.targets[..], [DialTarget::Conference(_)]) => {
                let Some(DialTarget::Conference(c)) = d.targets.pop() else {
                    unreachable!("matched a single conference")
                };
                wit::Instruction::Conference(room(&d, c))
            }
            Verb::Dial(mut d) if matches!(&d.targets[..], [DialTarget::Queue(_)]) => {
                let Some(DialTarget::Queue(q)) = d.targets.pop() else {
                    unreachable!("matched a single queue")
                };
                wit::Instruction::Dequeue(dequeue(&d, q))
            }
            other => wit::Instruction::Step(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verbs::{Method, Record};
    use crate::{Enqueue, Response};

    fn convert(r: Response) -> Vec<wit::Instruction> {
        r.into_verbs().into_iter().map(Into::into).collect()
    }

    #[test]
    fn a_conference_dial_becomes_a_room_with_every_attribute() {
        let dial = Dial::conference(
            Conference::new("standup")
                .muted(true)
                .beep("onExit")
                .start_conference_on_enter(false)
                .end_conference_on_exit(true)
                .wait_url("")
                .wait_method(Method::Get)
                .max_participants(5)
                .record_from_start(true)
                .trim_silence(false)
                .coach("CA42")
                .status_callback("/events")
                .status_callback_method(Method::Get)
                .status_callback_event([ConferenceEvent::Join, ConferenceEvent::Leave])
                .recording_status_callback("/rec")
                .recording_status_callback_method(Method::Get)
                .recording_status_callback_event([RecordingEvent::Absent]),
        )
        .action("/left")
        .hangup_on_star(true)
        .time_limit(300);
        let out = convert(Response::new().dial(dial));
        let [wit::Instruction::Conference(c)] = &out[..] else {
            panic!("{out:?}")
        };
        assert_eq!(c.name, "standup");
        assert_eq!(c.action.as_deref(), Some("/left"));
        assert!(c.hangup_on_star && c.muted && c.end_conference_on_exit);
        assert!(!c.start_conference_on_enter && c.record_from_start && !c.trim_silence);
        assert_eq!(c.time_limit, 300);
        assert_eq!(c.beep, wit::ConferenceBeep::OnExit);
        assert_eq!(c.wait_url.as_deref(), Some(""));
        assert_eq!(c.wait_method, wit::HttpMethod::Get);
        assert_eq!(c.max_participants, 5);
        assert_eq!(c.coach.as_deref(), Some("CA42"));
        assert_eq!(c.status_callback.as_deref(), Some("/events"));
        assert_eq!(c.status_callback_method, wit::HttpMethod::Get);
        assert_eq!(
            c.status_callback_event,
            vec![wit::ConferenceEvent::Join, wit::ConferenceEvent::Leave]
        );
        assert_eq!(c.recording_status_callback.as_deref(), Some("/rec"));
        assert_eq!(c.recording_status_callback_method, wit::HttpMethod::Get);
        assert_eq!(
            c.recording_status_callback_event,
            vec![wit::RecordingEvent::Absent]
        );
    }

    #[test]
    fn record_enqueue_and_a_queue_dial_carry_their_new_attributes() {
        let out = convert(
            Response::new()
                .record(
                    Record::new()
                        .max_length(10)
                        .timeout(2)
                        .finish_on_key("#")
                        .recording_status_callback("/rs")
                        .recording_status_callback_method(Method::Get)
                        .recording_status_callback_event([
                            RecordingEvent::InProgress,
                            RecordingEvent::Completed,
                        ]),
                )
                .enqueue(
                    Enqueue::new("support")
                        .max_queue_size(2)
                        .wait_url("/hold")
                        .wait_url_method(Method::Get),
                )
                .dial(
                    Dial::queue(Queue::new("support").url("/whisper").method(Method::Get))
                        .action("/agent-done")
                        .timeout(9)
                        .time_limit(60),
                ),
        );
        let wit::Instruction::Record(r) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!((r.max_length, r.timeout), (10, 2));
        assert_eq!(r.finish_on_key, "#");
        assert_eq!(r.recording_status_callback_method, wit::HttpMethod::Get);
        assert_eq!(
            r.recording_status_callback_event,
            vec![
                wit::RecordingEvent::InProgress,
                wit::RecordingEvent::Completed
            ]
        );
        let wit::Instruction::Enqueue(e) = &out[1] else {
            panic!("{out:?}")
        };
        assert_eq!(e.max_queue_size, Some(2));
        assert_eq!(e.wait_url_method, wit::HttpMethod::Get);
        let wit::Instruction::Dequeue(q) = &out[2] else {
            panic!("{out:?}")
        };
        assert_eq!(q.name, "support");
        assert_eq!(q.url.as_deref(), Some("/whisper"));
        assert_eq!(q.url_method, wit::HttpMethod::Get);
        assert_eq!(q.action.as_deref(), Some("/agent-done"));
        assert_eq!((q.timeout, q.time_limit), (9, 60));
    }

    #[test]
    fn other_verbs_and_mixed_dials_stay_steps() {
        let out = convert(
            Response::new()
                .say("hi")
                .dial(Dial::number("+1555").target(Conference::new("room")))
                .leave(),
        );
        assert!(matches!(
            &out[0],
            wit::Instruction::Step(wit::Step::Verb(wit::Verb::Say(s))) if s.text == "hi"
        ));
        let wit::Instruction::Step(wit::Step::Verb(wit::Verb::Dial(d))) = &out[1] else {
            panic!("{out:?}")
        };
        assert_eq!(d.targets.len(), 2);
        assert!(matches!(
            &out[2],
            wit::Instruction::Step(wit::Step::Verb(wit::Verb::Leave))
        ));
    }
}
