//! Conversions between the hand-written types and the generated WIT types. Kept in one
//! place so a WIT addition touches one file; every conversion is total (no verb is lost
//! or changed on the way to the host).

use crate::bindings::wit;
use crate::request::{CallStatus, Direction, Request};
use crate::verbs::{
    Dial, DialTarget, Enqueue, Gather, GatherChild, GatherInput, Message, Method, Pause, Play,
    Record, Redirect, RejectReason, Say, Stream, StreamTrack, Verb,
};
use crate::AppError;
use crate::{Decision, Event, Frame, StreamFormat, Transcoder};

impl From<Method> for wit::HttpMethod {
    fn from(m: Method) -> Self {
        match m {
            Method::Get => wit::HttpMethod::Get,
            Method::Post => wit::HttpMethod::Post,
        }
    }
}

impl From<Say> for wit::Say {
    fn from(s: Say) -> Self {
        wit::Say {
            text: s.text,
            voice: s.voice,
            language: s.language,
            loop_count: s.loop_count,
        }
    }
}

impl From<Play> for wit::Play {
    fn from(p: Play) -> Self {
        wit::Play {
            url: p.url,
            loop_count: p.loop_count,
            digits: p.digits,
        }
    }
}

impl From<Pause> for wit::Pause {
    fn from(p: Pause) -> Self {
        wit::Pause { length: p.length }
    }
}

impl From<Gather> for wit::Gather {
    fn from(g: Gather) -> Self {
        wit::Gather {
            input: g
                .input
                .into_iter()
                .map(|i| match i {
                    GatherInput::Dtmf => wit::GatherInput::Dtmf,
                    GatherInput::Speech => wit::GatherInput::Speech,
                })
                .collect(),
            action: g.action,
            method: g.method.into(),
            timeout: g.timeout,
            finish_on_key: g.finish_on_key,
            num_digits: g.num_digits,
            action_on_empty_result: g.action_on_empty_result,
            language: g.language,
            hints: g.hints,
            speech_timeout: g.speech_timeout,
            children: g
                .children
                .into_iter()
                .map(|c| match c {
                    GatherChild::Say(s) => wit::GatherChild::Say(s.into()),
                    GatherChild::Play(p) => wit::GatherChild::Play(p.into()),
                    GatherChild::Pause(p) => wit::GatherChild::Pause(p.into()),
                })
                .collect(),
        }
    }
}

impl From<Record> for wit::Record {
    fn from(r: Record) -> Self {
        wit::Record {
            action: r.action,
            method: r.method.into(),
            timeout: r.timeout,
            finish_on_key: r.finish_on_key,
            max_length: r.max_length,
            play_beep: r.play_beep,
            trim_silence: r.trim_silence,
            recording_status_callback: r.recording_status_callback,
            transcribe: r.transcribe,
            transcribe_callback: r.transcribe_callback,
        }
    }
}

impl From<DialTarget> for wit::DialTarget {
    fn from(t: DialTarget) -> Self {
        match t {
            DialTarget::Number(n) => wit::DialTarget::Number(wit::DialNumber {
                number: n.number,
                send_digits: n.send_digits,
                url: n.url,
            }),
            DialTarget::Sip(s) => wit::DialTarget::Sip(wit::DialSip {
                uri: s.uri,
                username: s.username,
                password: s.password,
            }),
            DialTarget::Client(c) => wit::DialTarget::Client(wit::DialClient {
                identity: c.identity,
                parameters: c.parameters,
            }),
            DialTarget::Conference(c) => wit::DialTarget::Conference(wit::DialConference {
                name: c.name,
                muted: c.muted,
                beep: c.beep,
                start_conference_on_enter: c.start_conference_on_enter,
                end_conference_on_exit: c.end_conference_on_exit,
                wait_url: c.wait_url,
                max_participants: c.max_participants,
            }),
            DialTarget::Queue(q) => wit::DialTarget::Queue(wit::DialQueue {
                name: q.name,
                url: q.url,
            }),
        }
    }
}

impl From<Dial> for wit::Dial {
    fn from(d: Dial) -> Self {
        wit::Dial {
            action: d.action,
            method: d.method.into(),
            timeout: d.timeout,
            hangup_on_star: d.hangup_on_star,
            time_limit: d.time_limit,
            caller_id: d.caller_id,
            record: d.record,
            answer_on_bridge: d.answer_on_bridge,
            ring_tone: d.ring_tone,
            targets: d.targets.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<Redirect> for wit::Redirect {
    fn from(r: Redirect) -> Self {
        wit::Redirect {
            url: r.url,
            method: r.method.into(),
        }
    }
}

impl From<Enqueue> for wit::Enqueue {
    fn from(e: Enqueue) -> Self {
        wit::Enqueue {
            name: e.name,
            action: e.action,
            method: e.method.into(),
            wait_url: e.wait_url,
        }
    }
}

impl From<Message> for wit::Message {
    fn from(m: Message) -> Self {
        wit::Message {
            body: m.body,
            to: m.to,
            from: m.from,
            action: m.action,
        }
    }
}

/// Every verb of the first release is a `verb` step; the instructions appended since
/// are steps of their own. (`<Record>`, `<Enqueue>` and a Dial of a room or a queue
/// go as the `instruction`s that carry all their attributes, see `crate::instructions`;
/// as a step they keep the attributes the `verb` case has.)
impl From<Verb> for wit::Step {
    fn from(v: Verb) -> Self {
        match v {
            Verb::Say(s) => wit::Step::Verb(wit::Verb::Say(s.into())),
            Verb::Play(p) => wit::Step::Verb(wit::Verb::Play(p.into())),
            Verb::Pause(p) => wit::Step::Verb(wit::Verb::Pause(p.into())),
            Verb::Gather(g) => wit::Step::Verb(wit::Verb::Gather(g.into())),
            Verb::Record(r) => wit::Step::Verb(wit::Verb::Record(r.into())),
            Verb::Dial(d) => wit::Step::Verb(wit::Verb::Dial(d.into())),
            Verb::Redirect(r) => wit::Step::Verb(wit::Verb::Redirect(r.into())),
            Verb::Hangup => wit::Step::Verb(wit::Verb::Hangup),
            Verb::Reject(RejectReason::Rejected) => {
                wit::Step::Verb(wit::Verb::Reject(wit::RejectReason::Rejected))
            }
            Verb::Reject(RejectReason::Busy) => {
                wit::Step::Verb(wit::Verb::Reject(wit::RejectReason::Busy))
            }
            Verb::Enqueue(e) => wit::Step::Verb(wit::Verb::Enqueue(e.into())),
            Verb::Leave => wit::Step::Verb(wit::Verb::Leave),
            Verb::Message(m) => wit::Step::Verb(wit::Verb::Message(m.into())),
            Verb::Refer(uri) => wit::Step::Verb(wit::Verb::Refer(uri)),
            Verb::StartStream(s) => wit::Step::StartStream(s.into()),
            Verb::StopStream(name) => wit::Step::StopStream(name),
            Verb::ConnectStream(c) => wit::Step::ConnectStream(wit::ConnectStream {
                action: c.action,
                method: c.method.into(),
                stream: c.stream.into(),
            }),
        }
    }
}

impl From<StreamTrack> for wit::StreamTrack {
    fn from(t: StreamTrack) -> Self {
        match t {
            StreamTrack::Inbound => wit::StreamTrack::InboundTrack,
            StreamTrack::Outbound => wit::StreamTrack::OutboundTrack,
            StreamTrack::Both => wit::StreamTrack::BothTracks,
        }
    }
}

impl From<Stream> for wit::WebsocketStream {
    fn from(s: Stream) -> Self {
        wit::WebsocketStream {
            url: s.url,
            name: s.name,
            track: s.track.into(),
            status_callback: s.status_callback,
            status_callback_method: s.status_callback_method.into(),
            parameters: s.parameters,
        }
    }
}

impl From<AppError> for wit::AppError {
    fn from(e: AppError) -> Self {
        wit::AppError {
            code: e.code,
            message: e.message,
        }
    }
}

impl From<wit::CallRequest> for Request {
    fn from(r: wit::CallRequest) -> Self {
        Request {
            call_sid: r.call_sid,
            account_sid: r.account_sid,
            from: r.from,
            to: r.to,
            call_status: match r.call_status {
                wit::CallStatus::Queued => CallStatus::Queued,
                wit::CallStatus::Ringing => CallStatus::Ringing,
                wit::CallStatus::InProgress => CallStatus::InProgress,
                wit::CallStatus::Completed => CallStatus::Completed,
                wit::CallStatus::Busy => CallStatus::Busy,
                wit::CallStatus::Failed => CallStatus::Failed,
                wit::CallStatus::NoAnswer => CallStatus::NoAnswer,
                wit::CallStatus::Canceled => CallStatus::Canceled,
            },
            direction: match r.direction {
                wit::Direction::Inbound => Direction::Inbound,
                wit::Direction::OutboundApi => Direction::OutboundApi,
            },
            api_version: r.api_version,
            path: r.path,
            digits: r.digits,
            finished_on_key: r.finished_on_key,
            error_code: r.error_code,
            error_url: r.error_url,
            params: r.params,
        }
    }
}

/// Runs an app's handler on a WIT request and converts its answer; what the export
/// generated by [`crate::export_handler!`] calls.
pub fn dispatch<F>(
    request: wit::CallRequest,
    handler: F,
) -> Result<Vec<wit::Instruction>, wit::AppError>
where
    F: FnOnce(Request) -> Result<crate::Response, AppError>,
{
    handler(request.into())
        .map(|r| r.into_verbs().into_iter().map(Into::into).collect())
        .map_err(Into::into)
}

impl From<wit::Event> for Event {
    fn from(e: wit::Event) -> Self {
        Event {
            id: e.id,
            account_sid: e.account_sid,
            call_sid: e.call_sid,
            event_type: e.event_type,
            timestamp_ms: e.timestamp,
            data: e.data,
        }
    }
}

impl From<Event> for wit::Event {
    fn from(e: Event) -> Self {
        wit::Event {
            id: e.id,
            account_sid: e.account_sid,
            call_sid: e.call_sid,
            event_type: e.event_type,
            timestamp: e.timestamp_ms,
            data: e.data,
        }
    }
}

impl From<Decision> for wit::Decision {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Pass => wit::Decision::Pass,
            Decision::Drop => wit::Decision::Drop,
            Decision::Replace(e) => wit::Decision::Replace(e.into()),
        }
    }
}

/// Runs an app's filter on a WIT event and converts its decision; what the export
/// generated by [`crate::export_filter!`] calls.
pub fn dispatch_filter<F>(event: wit::Event, filter: F) -> wit::Decision
where
    F: FnOnce(Event) -> Decision,
{
    filter(event.into()).into()
}

impl From<wit::StreamFormat> for StreamFormat {
    fn from(f: wit::StreamFormat) -> Self {
        StreamFormat {
            codec: f.codec,
            rate: f.clock_rate,
            channels: f.channels,
        }
    }
}

/// `L16` payloads are big-endian samples (RFC 3551 §4.5.11).
impl From<wit::Frame> for Frame {
    fn from(f: wit::Frame) -> Self {
        Frame {
            samples: f
                .payload
                .chunks_exact(2)
                .map(|b| i16::from_be_bytes([b[0], b[1]]))
                .collect(),
            timestamp: f.timestamp,
            marker: f.marker,
        }
    }
}

impl From<Frame> for wit::Frame {
    fn from(f: Frame) -> Self {
        wit::Frame {
            payload: f.samples.iter().flat_map(|s| s.to_be_bytes()).collect(),
            timestamp: f.timestamp,
            marker: f.marker,
        }
    }
}

/// Runs a transcoder on a WIT frame and converts what it returns; what the export
/// generated by [`crate::export_transcoder!`] calls.
pub fn dispatch_transcoder<T: Transcoder>(
    transcoder: &mut T,
    frame: wit::Frame,
) -> Vec<wit::Frame> {
    transcoder
        .process(frame.into())
        .into_iter()
        .map(Into::into)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verbs::{Client, Conference, Number, Queue, Sip};
    use crate::Response;

    fn wit_request(path: &str, digits: Option<&str>) -> wit::CallRequest {
        wit::CallRequest {
            call_sid: "CA1".into(),
            account_sid: "AC1".into(),
            from: "+1555".into(),
            to: "+1666".into(),
            call_status: wit::CallStatus::NoAnswer,
            direction: wit::Direction::OutboundApi,
            api_version: "2010-04-01".into(),
            path: path.into(),
            digits: digits.map(Into::into),
            finished_on_key: None,
            error_code: Some(11200),
            error_url: Some("https://x/".into()),
            params: vec![("Custom".into(), "yes".into())],
        }
    }

    #[test]
    fn request_fields_survive() {
        let r: Request = wit_request("/gathered", Some("7")).into();
        assert_eq!(
            (r.call_sid(), r.from(), r.to(), r.path()),
            ("CA1", "+1555", "+1666", "/gathered")
        );
        assert_eq!(
            (r.call_status(), r.direction()),
            (CallStatus::NoAnswer, Direction::OutboundApi)
        );
        assert_eq!(
            (r.digits(), r.error_code(), r.error_url()),
            (Some("7"), Some(11200), Some("https://x/"))
        );
        assert_eq!(r.param("Custom"), Some("yes"));
    }

    #[test]
    fn gather_converts_with_children_and_options() {
        let g: wit::Gather = Gather::new()
            .input([GatherInput::Dtmf, GatherInput::Speech])
            .num_digits(1)
            .action("/gathered")
            .method(Method::Get)
            .timeout(10)
            .no_finish_on_key()
            .speech_timeout("auto")
            .say(Say::new("Press one").voice("alice"))
            .pause(2)
            .play(Play::digits("1"))
            .into();
        assert_eq!(
            g.input,
            vec![wit::GatherInput::Dtmf, wit::GatherInput::Speech]
        );
        assert_eq!(
            (g.num_digits, g.action.as_deref(), g.timeout),
            (Some(1), Some("/gathered"), 10)
        );
        assert_eq!(g.method, wit::HttpMethod::Get);
        assert_eq!(
            (g.finish_on_key, g.speech_timeout.as_deref()),
            (None, Some("auto"))
        );
        assert!(
            matches!(&g.children[0], wit::GatherChild::Say(s) if s.text == "Press one" && s.voice == "alice")
        );
        assert!(matches!(&g.children[1], wit::GatherChild::Pause(p) if p.length == 2));
        assert!(
            matches!(&g.children[2], wit::GatherChild::Play(p) if p.digits.as_deref() == Some("1") && p.url.is_none())
        );
    }

    #[test]
    fn dial_targets_convert_each_noun() {
        let d: wit::Dial = Dial::new()
            .target(Number::new("+1555").send_digits("w1"))
            .target(Sip::new("sip:a@b").credentials("u", "p"))
            .target(Client::new("agent").parameter("k", "v"))
            .target(Conference::new("room").beep("onEnter").max_participants(3))
            .target(Queue::new("q").url("/w"))
            .caller_id("+1777")
            .record("record-from-answer")
            .into();
        assert_eq!(d.targets.len(), 5);
        assert!(
            matches!(&d.targets[0], wit::DialTarget::Number(n) if n.number == "+1555" && n.send_digits.as_deref() == Some("w1"))
        );
        assert!(
            matches!(&d.targets[1], wit::DialTarget::Sip(s) if s.username.as_deref() == Some("u") && s.password.as_deref() == Some("p"))
        );
        assert!(
            matches!(&d.targets[2], wit::DialTarget::Client(c) if c.parameters == vec![("k".to_owned(), "v".to_owned())])
        );
        assert!(
            matches!(&d.targets[3], wit::DialTarget::Conference(c) if c.beep == "onEnter" && c.max_participants == 3 && c.start_conference_on_enter)
        );
        assert!(
            matches!(&d.targets[4], wit::DialTarget::Queue(q) if q.url.as_deref() == Some("/w"))
        );
        assert_eq!(
            (d.caller_id.as_deref(), d.record.as_str(), d.timeout),
            (Some("+1777"), "record-from-answer", 30)
        );
    }

    #[test]
    fn every_verb_keeps_its_kind_and_order() {
        let r = Response::new()
            .say("a")
            .play("u")
            .pause(1)
            .gather(Gather::new())
            .record(Record::new().transcribe_callback("/t"))
            .dial("+1")
            .redirect(Redirect::to("https://x/").method(Method::Get))
            .hangup()
            .reject()
            .reject_busy()
            .enqueue("q")
            .leave()
            .message(Message::new("hi").from("+2"))
            .refer("sip:c@d");
        let verbs: Vec<wit::Verb> = r
            .into_verbs()
            .into_iter()
            .map(|v| match wit::Step::from(v) {
                wit::Step::Verb(v) => v,
                other => panic!("not a verb step: {other:?}"),
            })
            .collect();
        let kinds: Vec<&str> = verbs
            .iter()
            .map(|v| match v {
                wit::Verb::Say(_) => "say",
                wit::Verb::Play(_) => "play",
                wit::Verb::Pause(_) => "pause",
                wit::Verb::Gather(_) => "gather",
                wit::Verb::Record(_) => "record",
                wit::Verb::Dial(_) => "dial",
                wit::Verb::Redirect(_) => "redirect",
                wit::Verb::Hangup => "hangup",
                wit::Verb::Reject(wit::RejectReason::Rejected) => "reject",
                wit::Verb::Reject(wit::RejectReason::Busy) => "busy",
                wit::Verb::Enqueue(_) => "enqueue",
                wit::Verb::Leave => "leave",
                wit::Verb::Message(_) => "message",
                wit::Verb::Refer(_) => "refer",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "say", "play", "pause", "gather", "record", "dial", "redirect", "hangup", "reject",
                "busy", "enqueue", "leave", "message", "refer"
            ]
        );
        assert!(
            matches!(&verbs[4], wit::Verb::Record(r) if r.transcribe && r.transcribe_callback.as_deref() == Some("/t"))
        );
        assert!(
            matches!(&verbs[6], wit::Verb::Redirect(r) if r.method == wit::HttpMethod::Get && r.url == "https://x/")
        );
        assert!(
            matches!(&verbs[12], wit::Verb::Message(m) if m.from.as_deref() == Some("+2") && m.to.is_none())
        );
        assert!(matches!(&verbs[13], wit::Verb::Refer(u) if u == "sip:c@d"));
    }

    #[test]
    fn streams_are_steps_of_their_own() {
        let r = Response::new()
            .start_stream(
                Stream::new("wss://a/b")
                    .name("fork")
                    .track(StreamTrack::Both)
                    .status_callback("/s")
                    .status_callback_method(Method::Get)
                    .parameter("k", "v"),
            )
            .stop_stream("fork")
            .connect_stream(crate::Connect::new("ws://127.0.0.1:9/c").action("/after"))
            .hangup();
        let steps: Vec<wit::Step> = r.into_verbs().into_iter().map(Into::into).collect();
        let wit::Step::StartStream(s) = &steps[0] else {
            panic!("{:?}", steps[0])
        };
        assert_eq!(s.url, "wss://a/b");
        assert_eq!(s.name.as_deref(), Some("fork"));
        assert_eq!(s.track, wit::StreamTrack::BothTracks);
        assert_eq!(s.status_callback.as_deref(), Some("/s"));
        assert_eq!(s.status_callback_method, wit::HttpMethod::Get);
        assert_eq!(s.parameters, vec![("k".to_owned(), "v".to_owned())]);
        assert!(matches!(&steps[1], wit::Step::StopStream(n) if n == "fork"));
        let wit::Step::ConnectStream(c) = &steps[2] else {
            panic!("{:?}", steps[2])
        };
        assert_eq!(c.action.as_deref(), Some("/after"));
        assert_eq!(c.stream.url, "ws://127.0.0.1:9/c");
        assert_eq!(c.stream.track, wit::StreamTrack::InboundTrack);
        assert!(matches!(&steps[3], wit::Step::Verb(wit::Verb::Hangup)));
    }

    #[test]
    fn dispatch_routes_ok_and_err() {
        let ok = dispatch(wit_request("/", None), |req| {
            Ok(Response::new().say(format!("path {}", req.path())))
        })
        .unwrap();
        assert!(matches!(
            &ok[..],
            [wit::Instruction::Step(wit::Step::Verb(wit::Verb::Say(s)))] if s.text == "path /"
        ));
        let err = dispatch(wit_request("/x", None), |req| {
            Err(AppError::new(12100, req.path().to_owned()))
        })
        .unwrap_err();
        assert_eq!((err.code, err.message.as_str()), (12100, "/x"));
    }

    fn wit_event() -> wit::Event {
        wit::Event {
            id: "1:0:42".into(),
            account_sid: "AC1".into(),
            call_sid: Some("CA1".into()),
            event_type: "call.initiated".into(),
            timestamp: 1_700_000_000_123,
            data: vec![
                ("From".into(), "+1555".into()),
                ("To".into(), "+1666".into()),
                ("From".into(), "again".into()),
            ],
        }
    }

    #[test]
    fn events_round_trip_unchanged() {
        let event: Event = wit_event().into();
        assert_eq!(
            (event.id(), event.call_sid(), event.timestamp_ms()),
            ("1:0:42", Some("CA1"), 1_700_000_000_123)
        );
        let (back, original): (wit::Event, _) = (event.into(), wit_event());
        assert_eq!(
            (back.id, back.account_sid, back.call_sid),
            (original.id, original.account_sid, original.call_sid)
        );
        assert_eq!(
            (back.event_type, back.timestamp, back.data),
            (original.event_type, original.timestamp, original.data)
        );
    }

    #[test]
    fn dispatch_filter_converts_each_decision() {
        assert!(matches!(
            dispatch_filter(wit_event(), |_| Decision::Pass),
            wit::Decision::Pass
        ));
        assert!(matches!(
            dispatch_filter(wit_event(), |_| Decision::Drop),
            wit::Decision::Drop
        ));
        let replaced = dispatch_filter(wit_event(), |mut e| {
            e.set("From", "x");
            e.into()
        });
        let wit::Decision::Replace(r) = replaced else {
            panic!("{replaced:?}")
        };
        assert_eq!(
            (r.id.as_str(), r.account_sid.as_str(), r.timestamp),
            ("1:0:42", "AC1", 1_700_000_000_123)
        );
        assert_eq!(
            r.data,
            vec![("From".into(), "x".into()), ("To".into(), "+1666".into())]
        );
    }

    #[test]
    fn frames_cross_as_big_endian_l16() {
        struct Negate;
        impl Transcoder for Negate {
            fn new(_: StreamFormat, _: StreamFormat) -> Self {
                Negate
            }
            fn process(&mut self, frame: Frame) -> Vec<Frame> {
                let samples = frame.samples.iter().map(|s| -s).collect();
                vec![frame.with_samples(samples)]
            }
        }
        let input = wit::Frame {
            payload: vec![0x01, 0x02, 0xff, 0xfe],
            timestamp: 160,
            marker: true,
        };
        let out = dispatch_transcoder(&mut Negate, input);
        assert_eq!(out.len(), 1);
        // 0x0102 = 258 → -258 = 0xfefe; 0xfffe = -2 → 2.
        assert_eq!(out[0].payload, vec![0xfe, 0xfe, 0x00, 0x02]);
        assert_eq!((out[0].timestamp, out[0].marker), (160, true));
    }
}
