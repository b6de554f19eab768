//! Documents produced by the `twilio` package's `VoiceResponse` (see
//! fixtures/generate.py) parse to the model a Twilio app developer means.

use switchyard_instructions::*;

fn fixture(name: &str) -> Vec<Verb> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse_twiml_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn gather_menu() {
    let expected = vec![
        Verb::Gather(Gather {
            input: vec![GatherInput::Dtmf, GatherInput::Speech],
            action: Some("/menu".into()),
            method: HttpMethod::Get,
            timeout: 3,
            speech_timeout: Some(SpeechTimeout::Auto),
            finish_on_key: Some('*'),
            num_digits: Some(1),
            language: "en-GB".into(),
            hints: Some("sales, support".into()),
            action_on_empty_result: true,
            children: vec![
                GatherChild::Say(Say {
                    voice: "Polly.Amy".into(),
                    language: "en-GB".into(),
                    loop_count: 2,
                    ..Say::new("Press one for sales.")
                }),
                GatherChild::Play(Play::url("https://example.com/menu.mp3")),
                GatherChild::Pause(Pause { length: 2 }),
            ],
            ..Gather::default()
        }),
        Verb::Say(Say::new("We did not get your choice. Goodbye.")),
        Verb::Hangup,
    ];
    assert_eq!(fixture("gather_menu.xml"), expected);
}

#[test]
fn dial_with_number_sip_and_client() {
    let expected = vec![Verb::Dial(Dial {
        action: Some("/dial-done".into()),
        timeout: 20,
        hangup_on_star: true,
        time_limit: 600,
        caller_id: Some("+15550001111".into()),
        record: DialRecord::RecordFromAnswerDual,
        recording_status_callback: Some("/rec".into()),
        recording_status_callback_event: vec![
            RecordingEvent::InProgress,
            RecordingEvent::Completed,
        ],
        answer_on_bridge: true,
        ring_tone: Some("de".into()),
        targets: vec![
            DialTarget::Number(Number {
                send_digits: Some("ww1928".into()),
                callbacks: LegCallbacks {
                    status_callback: Some("/leg".into()),
                    status_callback_event: vec![
                        CallEvent::Initiated,
                        CallEvent::Ringing,
                        CallEvent::Answered,
                        CallEvent::Completed,
                    ],
                    ..LegCallbacks::default()
                },
                amd: AnsweringMachineDetection {
                    machine_detection: Some(MachineDetection::Enable),
                    ..AnsweringMachineDetection::default()
                },
                ..Number::new("+14155550100")
            }),
            DialTarget::Sip(Sip {
                username: Some("alice".into()),
                password: Some("secret".into()),
                callbacks: LegCallbacks {
                    url: Some("/whisper".into()),
                    method: HttpMethod::Get,
                    ..LegCallbacks::default()
                },
                ..Sip::new("sip:alice@example.com;transport=tcp")
            }),
            DialTarget::Client(Client::new("bob")),
        ],
        ..Dial::default()
    })];
    assert_eq!(fixture("dial_nouns.xml"), expected);
}

#[test]
fn conference_with_every_common_option() {
    let expected = vec![Verb::Dial(Dial::to(DialTarget::Conference(Conference {
        muted: true,
        beep: ConferenceBeep::OnEnter,
        start_conference_on_enter: false,
        end_conference_on_exit: true,
        wait_url: Some(String::new()),
        max_participants: 10,
        record: ConferenceRecord::RecordFromStart,
        trim: Trim::DoNotTrim,
        status_callback: Some("/conf".into()),
        status_callback_event: vec![
            ConferenceEvent::Start,
            ConferenceEvent::End,
            ConferenceEvent::Join,
            ConferenceEvent::Leave,
        ],
        jitter_buffer_size: JitterBufferSize::Small,
        participant_label: Some("agent".into()),
        ..Conference::new("Room 1234")
    })))];
    assert_eq!(fixture("conference.xml"), expected);
}

#[test]
fn voicemail() {
    let expected = vec![
        Verb::Say(Say::new("Leave a message after the beep.")),
        Verb::Record(Record {
            action: Some("/recorded".into()),
            timeout: 10,
            finish_on_key: "#".into(),
            max_length: 30,
            play_beep: false,
            trim: Trim::DoNotTrim,
            transcribe: true,
            transcribe_callback: Some("/transcribed".into()),
            ..Record::default()
        }),
        Verb::Say(Say::new("I did not receive a recording.")),
    ];
    assert_eq!(fixture("voicemail.xml"), expected);
}

#[test]
fn queues() {
    let expected = vec![
        Verb::Enqueue(Enqueue {
            action: Some("/left-queue".into()),
            wait_url: Some("/hold-music".into()),
            wait_url_method: HttpMethod::Get,
            ..Enqueue::new("support")
        }),
        Verb::Dial(Dial::to(DialTarget::Queue(Queue {
            url: Some("/about-to-connect".into()),
            ..Queue::new("support")
        }))),
    ];
    assert_eq!(fixture("queues.xml"), expected);
}

#[test]
fn misc_verbs() {
    let expected = vec![
        Verb::Play(Play {
            digits: Some("ww1234#".into()),
            ..Play::default()
        }),
        Verb::Play(Play {
            loop_count: 0,
            ..Play::url("https://example.com/tune.wav")
        }),
        Verb::Sms(Message {
            to: Some("+15551230000".into()),
            from: Some("+15550001111".into()),
            ..Message::new("Thanks for calling")
        }),
        Verb::Redirect(Redirect {
            method: HttpMethod::Get,
            ..Redirect::new("https://example.com/next")
        }),
        Verb::Reject(Reject {
            reason: RejectReason::Busy,
        }),
        Verb::Leave,
    ];
    assert_eq!(fixture("misc.xml"), expected);
}

#[test]
fn ssml_say_keeps_markup_and_plain_text() {
    let verbs = fixture("ssml.xml");
    let [Verb::Say(say)] = verbs.as_slice() else {
        panic!("{verbs:?}")
    };
    assert_eq!(say.voice, "Polly.Joanna");
    assert_eq!(say.text, "Hello there 12345");
    let tags: Vec<SsmlTag> = say
        .ssml
        .iter()
        .map(|n| match n {
            SsmlNode::Element(e) => e.tag,
            SsmlNode::Text(t) => panic!("unexpected text {t:?}"),
        })
        .collect();
    assert_eq!(tags, [SsmlTag::Prosody, SsmlTag::Break, SsmlTag::SayAs]);
    let SsmlNode::Element(say_as) = &say.ssml[2] else {
        unreachable!()
    };
    assert_eq!(
        say_as.attributes,
        [("interpret-as".to_string(), "digits".to_string())]
    );
    assert_eq!(say_as.children, [SsmlNode::Text("12345".into())]);
}

#[test]
fn refer() {
    assert_eq!(
        fixture("refer.xml"),
        vec![Verb::Refer(Refer {
            action: Some("/refer-done".into()),
            method: HttpMethod::Post,
            target: "sip:agent@example.com".into(),
        })]
    );
}

#[test]
fn client_with_parameters_and_bare_dial() {
    assert_eq!(
        fixture("client_params.xml"),
        vec![
            Verb::Dial(Dial::to(DialTarget::Client(Client {
                parameters: vec![Parameter {
                    name: "ticket".into(),
                    value: "42".into()
                }],
                ..Client::new("alice")
            }))),
            Verb::Dial(Dial::to(DialTarget::Number(Number::new("+15557654321")))),
        ]
    );
}

#[test]
fn every_fixture_round_trips() {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".xml") {
            continue;
        }
        let verbs = fixture(&name);
        let printed = to_twiml(&verbs);
        assert_eq!(parse_twiml(&printed).unwrap(), verbs, "{name}: {printed}");
        count += 1;
    }
    assert_eq!(count, 9, "fixtures missing from {dir}");
}
