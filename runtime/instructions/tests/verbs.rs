//! Every verb and noun parsed with all its attributes, and with none (Twilio's
//! defaults spelled out literally so a wrong default fails here).

use switchyard_instructions::*;

fn one(xml: &str) -> Verb {
    let mut verbs = parse_twiml(&format!("<Response>{xml}</Response>"))
        .unwrap_or_else(|e| panic!("{xml}: {e}"));
    assert_eq!(verbs.len(), 1, "{xml}");
    verbs.remove(0)
}

fn dial_target(xml: &str) -> DialTarget {
    match one(&format!("<Dial>{xml}</Dial>")) {
        Verb::Dial(mut dial) => {
            assert_eq!(dial.targets.len(), 1);
            dial.targets.remove(0)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn say_defaults_and_attributes() {
    let Verb::Say(say) = one("<Say>\n  Hello &amp; welcome\n</Say>") else {
        panic!()
    };
    assert_eq!(say.text, "Hello & welcome");
    assert_eq!(say.voice, "man");
    assert_eq!(say.language, "en-US");
    assert_eq!(say.loop_count, 1);
    assert!(say.ssml.is_empty());

    let Verb::Say(say) = one(r#"<Say voice="woman" language="fr-FR" loop="0">Bonjour</Say>"#)
    else {
        panic!()
    };
    assert_eq!(
        (say.voice.as_str(), say.language.as_str(), say.loop_count),
        ("woman", "fr-FR", 0)
    );
}

#[test]
fn play_defaults_and_attributes() {
    assert_eq!(
        one("<Play>https://x.test/a.wav</Play>"),
        Verb::Play(Play {
            url: Some("https://x.test/a.wav".into()),
            loop_count: 1,
            digits: None
        })
    );
    assert_eq!(
        one(r#"<Play loop="3" digits="12w#*">https://x.test/a.wav</Play>"#),
        Verb::Play(Play {
            url: Some("https://x.test/a.wav".into()),
            loop_count: 3,
            digits: Some("12w#*".into())
        })
    );
}

#[test]
fn pause_defaults_and_length() {
    assert_eq!(one("<Pause/>"), Verb::Pause(Pause { length: 1 }));
    assert_eq!(
        one(r#"<Pause length="10"/>"#),
        Verb::Pause(Pause { length: 10 })
    );
}

#[test]
fn gather_defaults() {
    let Verb::Gather(g) = one("<Gather/>") else {
        panic!()
    };
    assert_eq!(g.input, [GatherInput::Dtmf]);
    assert_eq!(g.action, None);
    assert_eq!(g.method, HttpMethod::Post);
    assert_eq!(g.timeout, 5);
    assert_eq!(g.speech_timeout, None);
    assert_eq!(g.max_speech_time, 60);
    assert!(g.profanity_filter);
    assert_eq!(g.finish_on_key, Some('#'));
    assert_eq!(g.num_digits, None);
    assert_eq!(g.partial_result_callback, None);
    assert_eq!(g.partial_result_callback_method, HttpMethod::Post);
    assert_eq!(g.language, "en-US");
    assert_eq!(g.hints, None);
    assert!(g.barge_in);
    assert!(!g.debug);
    assert!(!g.action_on_empty_result);
    assert_eq!(g.speech_model, None);
    assert!(!g.enhanced);
    assert!(g.children.is_empty());
}

#[test]
fn gather_all_attributes() {
    let Verb::Gather(g) = one(
        r#"<Gather input="speech" action="/a" method="get" timeout="0" speechTimeout="4"
             maxSpeechTime="30" profanityFilter="false" finishOnKey="" numDigits="4"
             partialResultCallback="/p" partialResultCallbackMethod="GET" language="de-DE"
             hints="eins, zwei" bargeIn="false" debug="true" actionOnEmptyResult="true"
             speechModel="phone_call" enhanced="true">
           <Say loop="0">Hi</Say><Play digits="1"/><Pause length="3"/>
         </Gather>"#,
    ) else {
        panic!()
    };
    assert_eq!(
        g,
        Gather {
            input: vec![GatherInput::Speech],
            action: Some("/a".into()),
            method: HttpMethod::Get,
            timeout: 0,
            speech_timeout: Some(SpeechTimeout::Seconds(4)),
            max_speech_time: 30,
            profanity_filter: false,
            finish_on_key: None,
            num_digits: Some(4),
            partial_result_callback: Some("/p".into()),
            partial_result_callback_method: HttpMethod::Get,
            language: "de-DE".into(),
            hints: Some("eins, zwei".into()),
            barge_in: false,
            debug: true,
            action_on_empty_result: true,
            speech_model: Some("phone_call".into()),
            enhanced: true,
            children: vec![
                GatherChild::Say(Say {
                    loop_count: 0,
                    ..Say::new("Hi")
                }),
                GatherChild::Play(Play {
                    digits: Some("1".into()),
                    ..Play::default()
                }),
                GatherChild::Pause(Pause { length: 3 }),
            ],
        }
    );
}

#[test]
fn record_defaults_and_attributes() {
    let Verb::Record(r) = one("<Record/>") else {
        panic!()
    };
    assert_eq!(r.action, None);
    assert_eq!(r.method, HttpMethod::Post);
    assert_eq!(r.timeout, 5);
    assert_eq!(r.finish_on_key, "1234567890*#");
    assert_eq!(r.max_length, 3600);
    assert!(r.play_beep);
    assert_eq!(r.trim, Trim::TrimSilence);
    assert_eq!(r.recording_status_callback, None);
    assert_eq!(r.recording_status_callback_method, HttpMethod::Post);
    assert_eq!(
        r.recording_status_callback_event,
        [RecordingEvent::Completed]
    );
    assert!(!r.transcribe);
    assert_eq!(r.transcribe_callback, None);

    let Verb::Record(r) = one(
        r#"<Record action="/r" method="GET" timeout="0" finishOnKey="" maxLength="20"
             playBeep="false" trim="do-not-trim" recordingStatusCallback="/s"
             recordingStatusCallbackMethod="GET" recordingStatusCallbackEvent="in-progress completed absent"
             transcribe="true" transcribeCallback="/t" recordingConfigurationId="RC1"/>"#,
    ) else {
        panic!()
    };
    assert_eq!(
        r,
        Record {
            action: Some("/r".into()),
            method: HttpMethod::Get,
            timeout: 0,
            finish_on_key: String::new(),
            max_length: 20,
            play_beep: false,
            trim: Trim::DoNotTrim,
            recording_status_callback: Some("/s".into()),
            recording_status_callback_method: HttpMethod::Get,
            recording_status_callback_event: vec![
                RecordingEvent::InProgress,
                RecordingEvent::Completed,
                RecordingEvent::Absent
            ],
            transcribe: true,
            transcribe_callback: Some("/t".into()),
            recording_configuration_id: Some("RC1".into()),
        }
    );
}

#[test]
fn dial_defaults_and_bare_number() {
    let Verb::Dial(d) = one("<Dial> +15551234567 </Dial>") else {
        panic!()
    };
    assert_eq!(d.action, None);
    assert_eq!(d.method, HttpMethod::Post);
    assert_eq!(d.timeout, 30);
    assert!(!d.hangup_on_star);
    assert_eq!(d.time_limit, 14400);
    assert_eq!(d.caller_id, None);
    assert_eq!(d.record, DialRecord::DoNotRecord);
    assert_eq!(d.trim, Trim::DoNotTrim);
    assert_eq!(d.recording_track, RecordingTrack::Both);
    assert!(!d.answer_on_bridge);
    assert!(!d.sequential);
    assert_eq!(d.refer_method, HttpMethod::Post);
    assert_eq!(d.targets, [DialTarget::Number(Number::new("+15551234567"))]);
}

#[test]
fn dial_all_attributes() {
    let Verb::Dial(d) = one(
        r#"<Dial action="/d" method="GET" timeout="10" hangupOnStar="true" timeLimit="60"
             callerId="+1555" record="record-from-ringing" trim="trim-silence"
             recordingStatusCallback="/rs" recordingStatusCallbackMethod="GET"
             recordingStatusCallbackEvent="absent" recordingTrack="inbound"
             answerOnBridge="true" ringTone="uk" sequential="true" referUrl="/refer"
             referMethod="GET" recordingConfigurationId="RC2">
           <Number>+1</Number><Number>+2</Number>
         </Dial>"#,
    ) else {
        panic!()
    };
    assert_eq!(
        d,
        Dial {
            action: Some("/d".into()),
            method: HttpMethod::Get,
            timeout: 10,
            hangup_on_star: true,
            time_limit: 60,
            caller_id: Some("+1555".into()),
            record: DialRecord::RecordFromRinging,
            trim: Trim::TrimSilence,
            recording_status_callback: Some("/rs".into()),
            recording_status_callback_method: HttpMethod::Get,
            recording_status_callback_event: vec![RecordingEvent::Absent],
            recording_track: RecordingTrack::Inbound,
            answer_on_bridge: true,
            ring_tone: Some("uk".into()),
            sequential: true,
            refer_url: Some("/refer".into()),
            refer_method: HttpMethod::Get,
            recording_configuration_id: Some("RC2".into()),
            targets: vec![
                DialTarget::Number(Number::new("+1")),
                DialTarget::Number(Number::new("+2"))
            ],
        }
    );
}

#[test]
fn dial_record_accepts_legacy_booleans() {
    let Verb::Dial(d) = one(r#"<Dial record="true">+1</Dial>"#) else {
        panic!()
    };
    assert_eq!(d.record, DialRecord::RecordFromAnswer);
    let Verb::Dial(d) = one(r#"<Dial record="false">+1</Dial>"#) else {
        panic!()
    };
    assert_eq!(d.record, DialRecord::DoNotRecord);
}

#[test]
fn number_all_attributes_and_defaults() {
    let DialTarget::Number(n) = dial_target("<Number>+1</Number>") else {
        panic!()
    };
    assert_eq!(n.callbacks.status_callback_event, [CallEvent::Completed]);
    assert_eq!(n.amd.machine_detection_timeout, 30);
    assert_eq!(n.amd.machine_detection_speech_threshold, 2400);
    assert_eq!(n.amd.machine_detection_speech_end_threshold, 1200);
    assert_eq!(n.amd.machine_detection_silence_timeout, 5000);

    let target = dial_target(
        r#"<Number sendDigits="1w2" url="/u" method="GET" statusCallbackEvent="ringing"
             statusCallback="/s" statusCallbackMethod="GET" byoc="BY1"
             machineDetection="DetectMessageEnd" amdStatusCallback="/amd"
             amdStatusCallbackMethod="GET" machineDetectionTimeout="10"
             machineDetectionSpeechThreshold="1000" machineDetectionSpeechEndThreshold="500"
             machineDetectionSilenceTimeout="3000" transcoder="app:agc">+15550001111</Number>"#,
    );
    assert_eq!(
        target,
        DialTarget::Number(Number {
            number: "+15550001111".into(),
            send_digits: Some("1w2".into()),
            byoc: Some("BY1".into()),
            callbacks: LegCallbacks {
                url: Some("/u".into()),
                method: HttpMethod::Get,
                status_callback: Some("/s".into()),
                status_callback_method: HttpMethod::Get,
                status_callback_event: vec![CallEvent::Ringing],
            },
            amd: AnsweringMachineDetection {
                machine_detection: Some(MachineDetection::DetectMessageEnd),
                amd_status_callback: Some("/amd".into()),
                amd_status_callback_method: HttpMethod::Get,
                machine_detection_timeout: 10,
                machine_detection_speech_threshold: 1000,
                machine_detection_speech_end_threshold: 500,
                machine_detection_silence_timeout: 3000,
            },
            transcoder: Some("agc".into()),
        })
    );
    assert_eq!(n.transcoder, None);
}

#[test]
fn sip_client_queue_attributes() {
    assert_eq!(
        dial_target(
            r#"<Sip username="u" password="p" sendDigits="9" transcoder="app:dtmf-mute">sips:bob@b.test</Sip>"#
        ),
        DialTarget::Sip(Sip {
            username: Some("u".into()),
            password: Some("p".into()),
            send_digits: Some("9".into()),
            transcoder: Some("dtmf-mute".into()),
            ..Sip::new("sips:bob@b.test")
        })
    );
    assert_eq!(
        dial_target(
            r#"<Client url="/c" statusCallbackEvent="answered completed" transcoder="app:agc">joey</Client>"#
        ),
        DialTarget::Client(Client {
            callbacks: LegCallbacks {
                url: Some("/c".into()),
                status_callback_event: vec![CallEvent::Answered, CallEvent::Completed],
                ..LegCallbacks::default()
            },
            transcoder: Some("agc".into()),
            ..Client::new("joey")
        })
    );
    assert_eq!(
        dial_target(
            r#"<Queue url="/w" method="GET" reservationSid="WR1" postWorkActivitySid="WA1">q</Queue>"#
        ),
        DialTarget::Queue(Queue {
            name: "q".into(),
            url: Some("/w".into()),
            method: HttpMethod::Get,
            reservation_sid: Some("WR1".into()),
            post_work_activity_sid: Some("WA1".into()),
        })
    );
}

#[test]
fn conference_defaults_and_remaining_attributes() {
    let DialTarget::Conference(c) = dial_target("<Conference>room</Conference>") else {
        panic!()
    };
    assert!(!c.muted);
    assert_eq!(c.beep, ConferenceBeep::True);
    assert!(c.start_conference_on_enter);
    assert!(!c.end_conference_on_exit);
    assert_eq!(c.wait_url, None);
    assert_eq!(c.wait_method, HttpMethod::Post);
    assert_eq!(c.max_participants, 250);
    assert_eq!(c.record, ConferenceRecord::DoNotRecord);
    assert_eq!(c.trim, Trim::TrimSilence);
    assert!(c.status_callback_event.is_empty());
    assert_eq!(c.jitter_buffer_size, JitterBufferSize::Large);

    let DialTarget::Conference(c) = dial_target(
        r#"<Conference waitUrl="/hold" waitMethod="GET" region="ie1" coach="CA1"
             statusCallbackMethod="GET" recordingStatusCallback="/r"
             recordingStatusCallbackMethod="GET" recordingStatusCallbackEvent="in-progress"
             eventCallbackUrl="/e" beep="false" recordingConfigurationId="RC">room</Conference>"#,
    ) else {
        panic!()
    };
    assert_eq!(
        c,
        Conference {
            wait_url: Some("/hold".into()),
            wait_method: HttpMethod::Get,
            region: Some("ie1".into()),
            coach: Some("CA1".into()),
            status_callback_method: HttpMethod::Get,
            recording_status_callback: Some("/r".into()),
            recording_status_callback_method: HttpMethod::Get,
            recording_status_callback_event: vec![RecordingEvent::InProgress],
            event_callback_url: Some("/e".into()),
            beep: ConferenceBeep::False,
            recording_configuration_id: Some("RC".into()),
            ..Conference::new("room")
        }
    );
}

#[test]
fn redirect_hangup_reject_leave() {
    assert_eq!(
        one("<Redirect>/next</Redirect>"),
        Verb::Redirect(Redirect {
            url: "/next".into(),
            method: HttpMethod::Post
        })
    );
    assert_eq!(one("<Hangup/>"), Verb::Hangup);
    assert_eq!(one("<Leave></Leave>"), Verb::Leave);
    assert_eq!(
        one("<Reject/>"),
        Verb::Reject(Reject {
            reason: RejectReason::Rejected
        })
    );
    assert_eq!(
        one(r#"<Reject reason="busy"/>"#),
        Verb::Reject(Reject {
            reason: RejectReason::Busy
        })
    );
}

#[test]
fn enqueue_defaults_attributes_and_task() {
    let Verb::Enqueue(e) = one("<Enqueue>support</Enqueue>") else {
        panic!()
    };
    assert_eq!(e, Enqueue::new("support"));
    assert_eq!(
        (e.method, e.wait_url_method),
        (HttpMethod::Post, HttpMethod::Post)
    );

    assert_eq!(
        one(
            r#"<Enqueue workflowSid="WW1" action="/a" method="GET" maxQueueSize="5">
                 <Task priority="5" timeout="200">{"lang":"es"}</Task>
               </Enqueue>"#
        ),
        Verb::Enqueue(Enqueue {
            name: String::new(),
            action: Some("/a".into()),
            method: HttpMethod::Get,
            workflow_sid: Some("WW1".into()),
            max_queue_size: Some(5),
            task: Some(Task {
                attributes: r#"{"lang":"es"}"#.into(),
                priority: Some(5),
                timeout: Some(200)
            }),
            ..Enqueue::default()
        })
    );
}

#[test]
fn message_attributes() {
    assert_eq!(
        one(
            r#"<Message to="+1" from="+2" action="/a" method="GET" statusCallback="/s">hi</Message>"#
        ),
        Verb::Message(Message {
            body: "hi".into(),
            to: Some("+1".into()),
            from: Some("+2".into()),
            action: Some("/a".into()),
            method: HttpMethod::Get,
            status_callback: Some("/s".into()),
        })
    );
}

#[test]
fn verb_names() {
    let doc = r#"<Response><Say>a</Say><Play>u</Play><Pause/><Gather/><Record/><Dial>1</Dial>
        <Redirect>u</Redirect><Hangup/><Reject/><Enqueue>q</Enqueue><Leave/>
        <Message>m</Message><Sms>m</Sms><Refer><Sip>sip:a@b</Sip></Refer></Response>"#;
    let names: Vec<&str> = parse_twiml(doc).unwrap().iter().map(Verb::name).collect();
    assert_eq!(
        names,
        [
            "Say", "Play", "Pause", "Gather", "Record", "Dial", "Redirect", "Hangup", "Reject",
            "Enqueue", "Leave", "Message", "Sms", "Refer"
        ]
    );
}

#[test]
fn declaration_comments_and_stray_text_are_ignored() {
    let doc = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- menu -->\n\
               <Response>\n  stray words\n  <Hangup/>\n</Response>\n";
    assert_eq!(parse_twiml_bytes(doc.as_bytes()).unwrap(), [Verb::Hangup]);
    assert_eq!(parse_twiml("<Response/>").unwrap(), []);
}

#[test]
fn start_stream_with_parameters_and_connect_defaults() {
    let verbs = parse_twiml(
        r#"<Response>
            <Start><Stream name="Example Audio Stream" url="wss://example.com/audiostream"
                           track="both_tracks" statusCallback="/s">
                <Parameter name="FirstName" value="Jane"/>
            </Stream></Start>
            <Say>The stream has started.</Say>
            <Stop><Stream name="Example Audio Stream"/></Stop>
            <Connect action="/next"><Stream url="wss://bot.example.com/"/></Connect>
        </Response>"#,
    )
    .unwrap();
    let Verb::Start(start) = &verbs[0] else {
        panic!("{verbs:?}")
    };
    assert_eq!(start.stream.url, "wss://example.com/audiostream");
    assert_eq!(start.stream.name.as_deref(), Some("Example Audio Stream"));
    assert_eq!(start.stream.track, StreamTrack::Both);
    assert!(start.stream.track.inbound() && start.stream.track.outbound());
    assert_eq!(start.stream.status_callback.as_deref(), Some("/s"));
    assert_eq!(start.stream.status_callback_method, HttpMethod::Post);
    assert_eq!(
        start.stream.parameters,
        vec![Parameter {
            name: "FirstName".into(),
            value: "Jane".into()
        }]
    );
    assert_eq!(
        verbs[2],
        Verb::Stop(Stop {
            name: "Example Audio Stream".into()
        })
    );
    let Verb::Connect(connect) = &verbs[3] else {
        panic!()
    };
    assert_eq!(connect.action.as_deref(), Some("/next"));
    assert_eq!(connect.stream.track, StreamTrack::Inbound);
    assert!(!connect.stream.track.outbound());
    assert_eq!(verbs[3].name(), "Connect");
}
