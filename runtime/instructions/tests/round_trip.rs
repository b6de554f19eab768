//! parse → print → parse gives the same model, with every attribute away from its
//! default so each printer branch is exercised; and printing omits defaults.

use switchyard_instructions::*;

fn assert_round_trip(verbs: &[Verb]) {
    let printed = to_twiml(verbs);
    let reparsed = parse_twiml(&printed).unwrap_or_else(|e| panic!("{printed}\n{e}"));
    assert_eq!(reparsed, verbs, "{printed}");
    // Printing is deterministic, so a second trip prints the same bytes.
    assert_eq!(to_twiml(&reparsed), printed);
}

fn everything() -> Vec<Verb> {
    let all_calls = vec![CallEvent::Initiated, CallEvent::Ringing];
    let callbacks = LegCallbacks {
        url: Some("/u?a=1&b=2".into()),
        method: HttpMethod::Get,
        status_callback: Some("/s".into()),
        status_callback_method: HttpMethod::Get,
        status_callback_event: all_calls,
    };
    let amd = AnsweringMachineDetection {
        machine_detection: Some(MachineDetection::Enable),
        amd_status_callback: Some("/amd".into()),
        amd_status_callback_method: HttpMethod::Get,
        machine_detection_timeout: 9,
        machine_detection_speech_threshold: 8,
        machine_detection_speech_end_threshold: 7,
        machine_detection_silence_timeout: 6,
    };
    vec![
        Verb::Say(Say {
            voice: "Polly.Hans".into(),
            language: "de-DE".into(),
            loop_count: 0,
            ..Say::new("Grüße \"du\" <da> & 'so'")
        }),
        Verb::Play(Play {
            url: Some("https://x.test/a.mp3".into()),
            loop_count: 4,
            digits: Some("1w#".into()),
        }),
        Verb::Play(Play {
            url: None,
            loop_count: 1,
            digits: Some("9".into()),
        }),
        Verb::Pause(Pause { length: 0 }),
        Verb::Gather(Gather {
            input: vec![GatherInput::Speech, GatherInput::Dtmf],
            action: Some("/g".into()),
            method: HttpMethod::Get,
            timeout: 9,
            speech_timeout: Some(SpeechTimeout::Seconds(3)),
            max_speech_time: 20,
            profanity_filter: false,
            finish_on_key: None,
            num_digits: Some(6),
            partial_result_callback: Some("/p".into()),
            partial_result_callback_method: HttpMethod::Get,
            language: "es-MX".into(),
            hints: Some("uno, dos".into()),
            barge_in: false,
            debug: true,
            action_on_empty_result: true,
            speech_model: Some("numbers_and_commands".into()),
            enhanced: true,
            children: vec![
                GatherChild::Say(Say::new("uno")),
                GatherChild::Play(Play::url("/p.wav")),
                GatherChild::Pause(Pause { length: 2 }),
            ],
        }),
        Verb::Gather(Gather {
            finish_on_key: Some('0'),
            speech_timeout: Some(SpeechTimeout::Auto),
            ..Gather::default()
        }),
        Verb::Record(Record {
            action: Some("/r".into()),
            method: HttpMethod::Get,
            timeout: 0,
            finish_on_key: String::new(),
            max_length: 12,
            play_beep: false,
            trim: Trim::DoNotTrim,
            recording_status_callback: Some("/rs".into()),
            recording_status_callback_method: HttpMethod::Get,
            recording_status_callback_event: vec![RecordingEvent::Absent],
            transcribe: true,
            transcribe_callback: Some("/t".into()),
            recording_configuration_id: Some("RC".into()),
        }),
        Verb::Dial(Dial {
            action: Some("/d".into()),
            method: HttpMethod::Get,
            timeout: 7,
            hangup_on_star: true,
            time_limit: 99,
            caller_id: Some("+1555".into()),
            record: DialRecord::RecordFromRingingDual,
            trim: Trim::TrimSilence,
            recording_status_callback: Some("/rs".into()),
            recording_status_callback_method: HttpMethod::Get,
            recording_status_callback_event: vec![RecordingEvent::InProgress],
            recording_track: RecordingTrack::Outbound,
            answer_on_bridge: true,
            ring_tone: Some("fr".into()),
            sequential: true,
            refer_url: Some("/ref".into()),
            refer_method: HttpMethod::Get,
            recording_configuration_id: Some("RC".into()),
            targets: vec![
                DialTarget::Number(Number {
                    number: "+15550001111".into(),
                    send_digits: Some("ww1".into()),
                    byoc: Some("BY".into()),
                    callbacks: callbacks.clone(),
                    amd: amd.clone(),
                    transcoder: Some("agc".into()),
                }),
                DialTarget::Sip(Sip {
                    uri: "sip:a@b.test;transport=tls".into(),
                    username: Some("u".into()),
                    password: Some("p&<".into()),
                    send_digits: Some("2".into()),
                    callbacks: callbacks.clone(),
                    amd,
                    transcoder: Some("dtmf-mute".into()),
                }),
                DialTarget::Client(Client {
                    identity: "alice".into(),
                    parameters: vec![],
                    callbacks: callbacks.clone(),
                    transcoder: Some("agc_2".into()),
                }),
                DialTarget::Client(Client {
                    identity: "bob".into(),
                    parameters: vec![Parameter {
                        name: "k".into(),
                        value: "v\"".into(),
                    }],
                    callbacks,
                    transcoder: None,
                }),
                DialTarget::Queue(Queue {
                    name: "q".into(),
                    url: Some("/w".into()),
                    method: HttpMethod::Get,
                    reservation_sid: Some("WR".into()),
                    post_work_activity_sid: Some("WA".into()),
                }),
            ],
        }),
        Verb::Dial(Dial::to(DialTarget::Conference(Conference {
            name: "room".into(),
            muted: true,
            beep: ConferenceBeep::OnExit,
            start_conference_on_enter: false,
            end_conference_on_exit: true,
            wait_url: Some(String::new()),
            wait_method: HttpMethod::Get,
            max_participants: 2,
            record: ConferenceRecord::RecordFromStart,
            region: Some("au1".into()),
            coach: Some("CA".into()),
            trim: Trim::DoNotTrim,
            status_callback_event: vec![ConferenceEvent::Speaker, ConferenceEvent::Announcement],
            status_callback: Some("/c".into()),
            status_callback_method: HttpMethod::Get,
            recording_status_callback: Some("/crs".into()),
            recording_status_callback_method: HttpMethod::Get,
            recording_status_callback_event: vec![
                RecordingEvent::InProgress,
                RecordingEvent::Completed,
            ],
            event_callback_url: Some("/e".into()),
            jitter_buffer_size: JitterBufferSize::Off,
            participant_label: Some("l".into()),
            recording_configuration_id: Some("RC".into()),
        }))),
        Verb::Redirect(Redirect {
            url: "/next".into(),
            method: HttpMethod::Get,
        }),
        Verb::Hangup,
        Verb::Reject(Reject {
            reason: RejectReason::Busy,
        }),
        Verb::Enqueue(Enqueue {
            name: "sales".into(),
            action: Some("/a".into()),
            method: HttpMethod::Get,
            wait_url: Some("/w".into()),
            wait_url_method: HttpMethod::Get,
            workflow_sid: None,
            max_queue_size: Some(3),
            task: None,
        }),
        Verb::Enqueue(Enqueue {
            workflow_sid: Some("WW".into()),
            task: Some(Task {
                attributes: r#"{"a":1}"#.into(),
                priority: Some(1),
                timeout: Some(2),
            }),
            ..Enqueue::default()
        }),
        Verb::Leave,
        Verb::Message(Message {
            body: "hi".into(),
            to: Some("+1".into()),
            from: Some("+2".into()),
            action: Some("/a".into()),
            method: HttpMethod::Get,
            status_callback: Some("/s".into()),
        }),
        Verb::Sms(Message::new("old style")),
        Verb::Start(Start {
            action: Some("/started".into()),
            method: HttpMethod::Get,
            stream: Stream {
                url: "wss://x.test/s?a=1&b=2".into(),
                name: Some("fork \"one\"".into()),
                track: StreamTrack::Both,
                status_callback: Some("/stream-status".into()),
                status_callback_method: HttpMethod::Get,
                parameters: vec![
                    Parameter {
                        name: "agent".into(),
                        value: "<a&b>".into(),
                    },
                    Parameter {
                        name: "lang".into(),
                        value: "en".into(),
                    },
                ],
            },
        }),
        Verb::Start(Start::new(Stream {
            track: StreamTrack::Outbound,
            ..Stream::new("ws://127.0.0.1:9/")
        })),
        Verb::Stop(Stop {
            name: "fork \"one\"".into(),
        }),
        Verb::Connect(Connect {
            action: Some("/after".into()),
            method: HttpMethod::Get,
            stream: Stream::new("wss://bot.test/"),
        }),
        Verb::Refer(Refer {
            action: Some("/r".into()),
            method: HttpMethod::Get,
            target: "sip:x@y".into(),
        }),
    ]
}

#[test]
fn every_verb_with_every_attribute_round_trips() {
    assert_round_trip(&everything());
}

#[test]
fn defaults_round_trip_and_print_bare() {
    let verbs = parse_twiml(
        "<Response><Say>a</Say><Gather/><Record/><Dial>+1</Dial><Pause/><Reject/></Response>",
    )
    .unwrap();
    assert_round_trip(&verbs);
    assert_eq!(
        to_twiml(&verbs),
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>a</Say><Gather/><Record/><Dial><Number>+1</Number></Dial><Pause/><Reject/></Response>"#
    );
}

#[test]
fn ssml_round_trips_with_whitespace() {
    let doc = r#"<Response><Say voice="Polly.Amy">
        Hello <emphasis level="strong">you</emphasis>,<break time="1s"/>
        <lang xml:lang="fr-FR">bonjour</lang> &amp; <say-as interpret-as="characters">abc</say-as>
    </Say></Response>"#;
    let verbs = parse_twiml(doc).unwrap();
    let Verb::Say(say) = &verbs[0] else { panic!() };
    assert_eq!(say.text, "Hello you , bonjour & abc");
    assert_round_trip(&verbs);
}

#[test]
fn printed_methods_are_upper_case_even_when_written_lower() {
    let verbs =
        parse_twiml(r#"<Response><Redirect method="get">/x</Redirect></Response>"#).unwrap();
    assert!(to_twiml(&verbs).contains(r#"<Redirect method="GET">/x</Redirect>"#));
}
