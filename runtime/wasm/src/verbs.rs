//! WIT verbs to the node's [`Verb`] model: one conversion per verb and noun.
//!
//! The WIT records carry the attributes a Wasm app needs; everything else takes
//! the same default TwiML would give an absent attribute, so a verb means the
//! same thing through either front door.

use switchyard_instructions as ins;
use switchyard_instructions::Verb;

use crate::bindings::wit;

/// Fixed cost charged per verb, noun or list item on top of its strings, so a
/// flood of empty items is measured too (a step's size is that of its verbs, see
/// [`crate::instructions::size`]).
pub(crate) const ITEM_OVERHEAD: usize = 16;

pub(crate) fn opt(s: &Option<String>) -> usize {
    s.as_ref().map_or(0, String::len)
}

fn say_size(s: &wit::Say) -> usize {
    ITEM_OVERHEAD + s.text.len() + s.voice.len() + s.language.len()
}

fn play_size(p: &wit::Play) -> usize {
    ITEM_OVERHEAD + opt(&p.url) + opt(&p.digits)
}

pub(crate) fn verb_size(v: &wit::Verb) -> usize {
    use wit::Verb as V;
    match v {
        V::Say(s) => say_size(s),
        V::Play(p) => play_size(p),
        V::Pause(_) | V::Hangup | V::Reject(_) | V::Leave => ITEM_OVERHEAD,
        V::Gather(g) => {
            let children: usize = g
                .children
                .iter()
                .map(|c| match c {
                    wit::GatherChild::Say(s) => say_size(s),
                    wit::GatherChild::Play(p) => play_size(p),
                    wit::GatherChild::Pause(_) => ITEM_OVERHEAD,
                })
                .sum();
            ITEM_OVERHEAD * (1 + g.input.len())
                + opt(&g.action)
                + opt(&g.finish_on_key)
                + g.language.len()
                + opt(&g.hints)
                + opt(&g.speech_timeout)
                + children
        }
        V::Record(r) => {
            ITEM_OVERHEAD
                + opt(&r.action)
                + r.finish_on_key.len()
                + opt(&r.recording_status_callback)
                + opt(&r.transcribe_callback)
        }
        V::Dial(d) => {
            let targets: usize = d.targets.iter().map(target_size).sum();
            ITEM_OVERHEAD
                + opt(&d.action)
                + opt(&d.caller_id)
                + d.record.len()
                + opt(&d.ring_tone)
                + targets
        }
        V::Redirect(r) => ITEM_OVERHEAD + r.url.len(),
        V::Enqueue(e) => ITEM_OVERHEAD + e.name.len() + opt(&e.action) + opt(&e.wait_url),
        V::Message(m) => ITEM_OVERHEAD + m.body.len() + opt(&m.to) + opt(&m.from) + opt(&m.action),
        V::Refer(uri) => ITEM_OVERHEAD + uri.len(),
    }
}

fn target_size(t: &wit::DialTarget) -> usize {
    use wit::DialTarget as T;
    ITEM_OVERHEAD
        + match t {
            T::Number(n) => n.number.len() + opt(&n.send_digits) + opt(&n.url),
            T::Sip(s) => s.uri.len() + opt(&s.username) + opt(&s.password),
            T::Client(c) => {
                c.identity.len()
                    + c.parameters
                        .iter()
                        .map(|(k, v)| ITEM_OVERHEAD + k.len() + v.len())
                        .sum::<usize>()
            }
            T::Conference(c) => c.name.len() + c.beep.len() + opt(&c.wait_url),
            T::Queue(q) => q.name.len() + opt(&q.url),
        }
}

pub(crate) fn method(m: wit::HttpMethod) -> ins::HttpMethod {
    match m {
        wit::HttpMethod::Get => ins::HttpMethod::Get,
        wit::HttpMethod::Post => ins::HttpMethod::Post,
    }
}

fn say(s: wit::Say) -> ins::Say {
    ins::Say {
        text: s.text,
        voice: s.voice,
        language: s.language,
        loop_count: s.loop_count,
        ..ins::Say::default()
    }
}

fn play(p: wit::Play) -> ins::Play {
    ins::Play {
        url: p.url,
        loop_count: p.loop_count,
        digits: p.digits,
    }
}

fn pause(p: wit::Pause) -> ins::Pause {
    ins::Pause { length: p.length }
}

pub(crate) fn verb(v: wit::Verb) -> Verb {
    use wit::Verb as V;
    match v {
        V::Say(s) => Verb::Say(say(s)),
        V::Play(p) => Verb::Play(play(p)),
        V::Pause(p) => Verb::Pause(pause(p)),
        V::Gather(g) => Verb::Gather(gather(g)),
        V::Record(r) => Verb::Record(record(r)),
        V::Dial(d) => Verb::Dial(dial(d)),
        V::Redirect(r) => Verb::Redirect(ins::Redirect {
            url: r.url,
            method: method(r.method),
        }),
        V::Hangup => Verb::Hangup,
        V::Reject(reason) => Verb::Reject(ins::Reject {
            reason: match reason {
                wit::RejectReason::Rejected => ins::RejectReason::Rejected,
                wit::RejectReason::Busy => ins::RejectReason::Busy,
            },
        }),
        V::Enqueue(e) => Verb::Enqueue(ins::Enqueue {
            name: e.name,
            action: e.action,
            method: method(e.method),
            wait_url: e.wait_url,
            ..ins::Enqueue::default()
        }),
        V::Leave => Verb::Leave,
        V::Message(m) => Verb::Message(ins::Message {
            body: m.body,
            to: m.to,
            from: m.from,
            action: m.action,
            ..ins::Message::default()
        }),
        V::Refer(target) => Verb::Refer(ins::Refer {
            target,
            ..ins::Refer::default()
        }),
    }
}

fn gather(g: wit::Gather) -> ins::Gather {
    ins::Gather {
        input: g
            .input
            .into_iter()
            .map(|i| match i {
                wit::GatherInput::Dtmf => ins::GatherInput::Dtmf,
                wit::GatherInput::Speech => ins::GatherInput::Speech,
            })
            .collect(),
        action: g.action,
        method: method(g.method),
        timeout: g.timeout,
        // TwiML's finishOnKey is one key; "" means none, as in TwiML.
        finish_on_key: g.finish_on_key.and_then(|k| k.chars().next()),
        num_digits: g.num_digits,
        action_on_empty_result: g.action_on_empty_result,
        language: g.language,
        hints: g.hints,
        speech_timeout: g.speech_timeout.and_then(|t| match t.as_str() {
            "auto" => Some(ins::SpeechTimeout::Auto),
            secs => secs.parse().ok().map(ins::SpeechTimeout::Seconds),
        }),
        children: g
            .children
            .into_iter()
            .map(|c| match c {
                wit::GatherChild::Say(s) => ins::GatherChild::Say(say(s)),
                wit::GatherChild::Play(p) => ins::GatherChild::Play(play(p)),
                wit::GatherChild::Pause(p) => ins::GatherChild::Pause(pause(p)),
            })
            .collect(),
        ..ins::Gather::default()
    }
}

fn record(r: wit::Record) -> ins::Record {
    ins::Record {
        action: r.action,
        method: method(r.method),
        timeout: r.timeout,
        finish_on_key: r.finish_on_key,
        max_length: r.max_length,
        play_beep: r.play_beep,
        trim: if r.trim_silence {
            ins::Trim::TrimSilence
        } else {
            ins::Trim::DoNotTrim
        },
        recording_status_callback: r.recording_status_callback,
        transcribe: r.transcribe,
        transcribe_callback: r.transcribe_callback,
        ..ins::Record::default()
    }
}

fn dial(d: wit::Dial) -> ins::Dial {
    ins::Dial {
        action: d.action,
        method: method(d.method),
        timeout: d.timeout,
        hangup_on_star: d.hangup_on_star,
        time_limit: d.time_limit,
        caller_id: d.caller_id,
        // TwiML also accepts `true`/`false` here; anything unknown records nothing.
        record: match d.record.as_str() {
            "record-from-answer" | "true" => ins::DialRecord::RecordFromAnswer,
            "record-from-ringing" => ins::DialRecord::RecordFromRinging,
            "record-from-answer-dual" => ins::DialRecord::RecordFromAnswerDual,
            "record-from-ringing-dual" => ins::DialRecord::RecordFromRingingDual,
            _ => ins::DialRecord::DoNotRecord,
        },
        answer_on_bridge: d.answer_on_bridge,
        ring_tone: d.ring_tone,
        targets: d.targets.into_iter().map(target).collect(),
        ..ins::Dial::default()
    }
}

fn target(t: wit::DialTarget) -> ins::DialTarget {
    use wit::DialTarget as T;
    match t {
        T::Number(n) => {
            let mut number = ins::Number::new(n.number);
            number.send_digits = n.send_digits;
            number.callbacks.url = n.url;
            ins::DialTarget::Number(number)
        }
        T::Sip(s) => {
            let mut sip = ins::Sip::new(s.uri);
            sip.username = s.username;
            sip.password = s.password;
            ins::DialTarget::Sip(sip)
        }
        T::Client(c) => {
            let mut client = ins::Client::new(c.identity);
            client.parameters = c
                .parameters
                .into_iter()
                .map(|(name, value)| ins::Parameter { name, value })
                .collect();
            ins::DialTarget::Client(client)
        }
        T::Conference(c) => {
            let mut conf = ins::Conference::new(c.name);
            conf.muted = c.muted;
            conf.beep = match c.beep.as_str() {
                "false" => ins::ConferenceBeep::False,
                "onEnter" => ins::ConferenceBeep::OnEnter,
                "onExit" => ins::ConferenceBeep::OnExit,
                _ => ins::ConferenceBeep::True,
            };
            conf.start_conference_on_enter = c.start_conference_on_enter;
            conf.end_conference_on_exit = c.end_conference_on_exit;
            conf.wait_url = c.wait_url;
            conf.max_participants = c.max_participants;
            ins::DialTarget::Conference(conf)
        }
        T::Queue(q) => {
            let mut queue = ins::Queue::new(q.name);
            queue.url = q.url;
            ins::DialTarget::Queue(queue)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(verbs: Vec<wit::Verb>) -> Vec<Verb> {
        verbs.into_iter().map(verb).collect()
    }

    fn size(verbs: &[wit::Verb]) -> usize {
        verbs.iter().map(verb_size).sum()
    }

    fn wsay(text: &str) -> wit::Say {
        wit::Say {
            text: text.into(),
            voice: "man".into(),
            language: "fr-FR".into(),
            loop_count: 2,
        }
    }

    #[test]
    fn dial_targets_and_keywords_map_to_the_model() {
        let dial = wit::Dial {
            action: Some("/after".into()),
            method: wit::HttpMethod::Get,
            timeout: 20,
            hangup_on_star: true,
            time_limit: 60,
            caller_id: Some("+1555".into()),
            record: "record-from-ringing".into(),
            answer_on_bridge: true,
            ring_tone: None,
            targets: vec![
                wit::DialTarget::Number(wit::DialNumber {
                    number: "+1666".into(),
                    send_digits: Some("ww1".into()),
                    url: Some("/whisper".into()),
                }),
                wit::DialTarget::Conference(wit::DialConference {
                    name: "room".into(),
                    muted: true,
                    beep: "onExit".into(),
                    start_conference_on_enter: false,
                    end_conference_on_exit: true,
                    wait_url: None,
                    max_participants: 10,
                }),
                wit::DialTarget::Client(wit::DialClient {
                    identity: "alice".into(),
                    parameters: vec![("k".into(), "v".into())],
                }),
            ],
        };
        let out = convert(vec![
            wit::Verb::Dial(dial),
            wit::Verb::Refer("sip:x@y".into()),
        ]);
        let Verb::Dial(d) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(d.method, ins::HttpMethod::Get);
        assert_eq!(d.record, ins::DialRecord::RecordFromRinging);
        assert!(d.hangup_on_star && d.answer_on_bridge);
        let ins::DialTarget::Number(n) = &d.targets[0] else {
            panic!()
        };
        assert_eq!(n.callbacks.url.as_deref(), Some("/whisper"));
        assert_eq!(n.send_digits.as_deref(), Some("ww1"));
        let ins::DialTarget::Conference(c) = &d.targets[1] else {
            panic!()
        };
        assert_eq!(c.beep, ins::ConferenceBeep::OnExit);
        assert!(c.muted && c.end_conference_on_exit && !c.start_conference_on_enter);
        assert_eq!(c.max_participants, 10);
        let ins::DialTarget::Client(cl) = &d.targets[2] else {
            panic!()
        };
        assert_eq!(cl.parameters[0].name, "k");
        assert!(matches!(&out[1], Verb::Refer(r) if r.target == "sip:x@y"));
    }

    #[test]
    fn gather_keys_and_speech_timeout_follow_twiml() {
        let g = |key: Option<&str>, st: Option<&str>| wit::Gather {
            input: vec![wit::GatherInput::Speech],
            action: None,
            method: wit::HttpMethod::Post,
            timeout: 3,
            finish_on_key: key.map(Into::into),
            num_digits: None,
            action_on_empty_result: true,
            language: "en-GB".into(),
            hints: Some("yes, no".into()),
            speech_timeout: st.map(Into::into),
            children: vec![wit::GatherChild::Say(wsay("hi"))],
        };
        let out = convert(vec![
            wit::Verb::Gather(g(Some("*"), Some("auto"))),
            wit::Verb::Gather(g(Some(""), Some("4"))),
        ]);
        let Verb::Gather(a) = &out[0] else { panic!() };
        assert_eq!(a.finish_on_key, Some('*'));
        assert_eq!(a.speech_timeout, Some(ins::SpeechTimeout::Auto));
        assert_eq!(a.input, vec![ins::GatherInput::Speech]);
        let ins::GatherChild::Say(s) = &a.children[0] else {
            panic!()
        };
        assert_eq!((s.voice.as_str(), s.loop_count), ("man", 2));
        let Verb::Gather(b) = &out[1] else { panic!() };
        assert_eq!(b.finish_on_key, None);
        assert_eq!(b.speech_timeout, Some(ins::SpeechTimeout::Seconds(4)));
    }

    #[test]
    fn size_counts_strings_and_items() {
        let one = size(&[wit::Verb::Say(wsay("abcd"))]);
        assert_eq!(one, ITEM_OVERHEAD + 4 + 3 + 5);
        assert_eq!(
            size(&[wit::Verb::Hangup, wit::Verb::Leave]),
            2 * ITEM_OVERHEAD
        );
    }
}
