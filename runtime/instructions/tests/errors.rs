//! Every class of rejected document: the error names what is wrong and carries
//! Twilio's code for it.

use switchyard_instructions::{parse_twiml, parse_twiml_bytes, Error};

fn err(body: &str) -> Error {
    let doc = format!("<Response>{body}</Response>");
    match parse_twiml(&doc) {
        Ok(verbs) => panic!("{doc} parsed to {verbs:?}"),
        Err(e) => e,
    }
}

/// Asserts a bad attribute value error naming element, attribute and value.
fn assert_bad_value(body: &str, element: &str, attribute: &str, value: &str, code: u32) {
    let e = err(body);
    match &e {
        Error::InvalidAttributeValue {
            element: el,
            attribute: at,
            value: v,
            code: c,
            ..
        } => {
            assert_eq!(
                (el.as_str(), *at, v.as_str(), *c),
                (element, attribute, value, code),
                "{body}"
            );
        }
        other => panic!("{body}: expected InvalidAttributeValue, got {other:?}"),
    }
    assert_eq!(e.twilio_code(), code);
    let message = e.to_string();
    for part in [element, attribute, value] {
        assert!(message.contains(part), "{message:?} lacks {part:?}");
    }
}

#[test]
fn malformed_xml_is_12100() {
    for doc in [
        "<Response><Say>hi</Response>",
        "<Response>",
        "<Response><Say>a &bogus; b</Say></Response>",
        "<Response><Hangup/></Response><Response/>",
        r#"<Response><Pause length="1" length="2"/></Response>"#,
        "not xml at all <",
    ] {
        let e = parse_twiml(doc).unwrap_err();
        assert!(matches!(e, Error::MalformedXml { .. }), "{doc}: {e:?}");
        assert_eq!(e.twilio_code(), 12100, "{doc}");
    }
    assert_eq!(parse_twiml("").unwrap_err(), Error::MissingRoot);
    assert_eq!(
        parse_twiml("  <!-- nothing -->").unwrap_err().twilio_code(),
        12100
    );
    let e = parse_twiml_bytes(b"<Response><Say>\xff</Say></Response>").unwrap_err();
    assert!(matches!(e, Error::MalformedXml { .. }), "{e:?}");
}

#[test]
fn wrong_root_is_12102_and_named() {
    let e = parse_twiml("<?xml version=\"1.0\"?><response><Hangup/></response>").unwrap_err();
    assert_eq!(
        e,
        Error::WrongRoot {
            found: "response".into()
        }
    );
    assert_eq!(e.twilio_code(), 12102);
    assert!(e.to_string().contains("<response>"));
}

#[test]
fn unknown_and_unsupported_verbs() {
    let e = err("<Speak>hi</Speak>");
    assert_eq!(
        e,
        Error::UnknownVerb {
            verb: "Speak".into()
        }
    );
    assert_eq!(e.twilio_code(), 12200);
    // Element names are case-sensitive in XML and in TwiML.
    assert_eq!(
        err("<say>hi</say>"),
        Error::UnknownVerb { verb: "say".into() }
    );
    let e = err("<Pay/>");
    assert_eq!(e, Error::UnsupportedVerb { verb: "Pay".into() });
    assert_eq!(e.twilio_code(), 12200);
}

#[test]
fn stream_verbs_name_unsupported_nouns_and_bad_streams() {
    // Twilio's other <Start>/<Connect> nouns are a 12200 warning, never silence.
    for (body, parent, noun) in [
        ("<Start><Siprec/></Start>", "Start", "Siprec"),
        ("<Start><Transcription/></Start>", "Start", "Transcription"),
        ("<Connect><Room>r</Room></Connect>", "Connect", "Room"),
        (
            "<Connect><VirtualAgent/></Connect>",
            "Connect",
            "VirtualAgent",
        ),
    ] {
        let e = err(body);
        assert_eq!(
            e,
            Error::UnsupportedNoun {
                parent: parent.into(),
                noun: noun.into()
            },
            "{body}"
        );
        assert_eq!(e.twilio_code(), 12200);
    }
    assert_eq!(
        err("<Start><Stream/></Start>"),
        Error::MissingAttribute {
            element: "Stream".into(),
            attribute: "url"
        }
    );
    assert_eq!(
        err("<Stop><Stream url=\"wss://x\"/></Stop>"),
        Error::UnknownAttribute {
            element: "Stream".into(),
            attribute: "url".into()
        }
    );
    assert_eq!(
        err("<Stop><Stream/></Stop>"),
        Error::MissingAttribute {
            element: "Stream".into(),
            attribute: "name"
        }
    );
    assert!(matches!(
        err("<Start></Start>"),
        Error::MissingTarget { .. }
    ));
    assert!(matches!(
        err("<Start><Stream url=\"wss://a\"/><Stream url=\"wss://b\"/></Start>"),
        Error::InvalidNesting { .. }
    ));
    assert!(matches!(
        err("<Start><Stream url=\"wss://a\" track=\"inbound\"/></Start>"),
        Error::InvalidAttributeValue {
            attribute: "track",
            ..
        }
    ));
    // A bidirectional stream carries the caller's audio only.
    assert!(matches!(
        err("<Connect><Stream url=\"wss://a\" track=\"both_tracks\"/></Connect>"),
        Error::InvalidAttributeValue {
            attribute: "track",
            ..
        }
    ));
    assert_eq!(
        err("<Stream url=\"wss://a\"/>"),
        Error::InvalidNesting {
            parent: "Response".into(),
            child: "Stream".into()
        }
    );
    assert!(matches!(
        err("<Start><Stream url=\"wss://a\"><Say>x</Say></Stream></Start>"),
        Error::InvalidNesting { .. }
    ));
}

#[test]
fn unknown_attributes_name_element_and_attribute() {
    for (body, element, attribute) in [
        (r#"<Say voise="man">hi</Say>"#, "Say", "voise"),
        (r#"<Gather numdigits="1"/>"#, "Gather", "numdigits"),
        (
            r#"<Dial><Number sendDigit="1">+1</Number></Dial>"#,
            "Number",
            "sendDigit",
        ),
        (r#"<Hangup reason="x"/>"#, "Hangup", "reason"),
        (r#"<Say>a <break tiem="1s"/></Say>"#, "break", "tiem"),
    ] {
        let e = err(body);
        assert_eq!(
            e,
            Error::UnknownAttribute {
                element: element.into(),
                attribute: attribute.into()
            },
            "{body}"
        );
        assert_eq!(e.twilio_code(), 12200);
        let message = e.to_string();
        assert!(
            message.contains(element) && message.contains(attribute),
            "{message}"
        );
    }
    let e = parse_twiml(r#"<Response lang="en"/>"#).unwrap_err();
    assert_eq!(
        e,
        Error::UnknownAttribute {
            element: "Response".into(),
            attribute: "lang".into()
        }
    );
}

#[test]
fn nesting_rules_name_parent_and_child() {
    for (body, parent, child, code) in [
        ("<Gather><Dial>+1</Dial></Gather>", "Gather", "Dial", 13320),
        ("<Gather><Gather/></Gather>", "Gather", "Gather", 13320),
        ("<Dial><Say>hi</Say></Dial>", "Dial", "Say", 13215),
        ("<Number>+1</Number>", "Response", "Number", 12200),
        ("<Say>hi <b>there</b></Say>", "Say", "b", 12200),
        ("<Play><Say>x</Say></Play>", "Play", "Say", 12200),
        (
            "<Dial><Number><Say>x</Say></Number></Dial>",
            "Number",
            "Say",
            12200,
        ),
        (
            "<Refer><Number>+1</Number></Refer>",
            "Refer",
            "Number",
            12200,
        ),
        (
            "<Enqueue><Queue>q</Queue></Enqueue>",
            "Enqueue",
            "Queue",
            12200,
        ),
        (
            "<Dial><Client><Bogus/></Client></Dial>",
            "Client",
            "Bogus",
            12200,
        ),
    ] {
        let e = err(body);
        assert_eq!(
            e,
            Error::InvalidNesting {
                parent: parent.into(),
                child: child.into()
            },
            "{body}"
        );
        assert_eq!(e.twilio_code(), code, "{body}");
        let message = e.to_string();
        assert!(
            message.contains(parent) && message.contains(child),
            "{message}"
        );
    }
}

#[test]
fn bad_values_from_the_brief() {
    assert_bad_value(
        r#"<Gather numDigits="abc"/>"#,
        "Gather",
        "numDigits",
        "abc",
        13314,
    );
    assert_bad_value(
        r#"<Gather numDigits="0"/>"#,
        "Gather",
        "numDigits",
        "0",
        13314,
    );
    assert_bad_value(r#"<Say loop="-1">x</Say>"#, "Say", "loop", "-1", 13510);
    assert_bad_value(
        r#"<Gather><Say loop="-1">x</Say></Gather>"#,
        "Say",
        "loop",
        "-1",
        13322,
    );
    assert_bad_value(r#"<Play loop="-1">u</Play>"#, "Play", "loop", "-1", 13410);
    assert_bad_value(
        r#"<Gather finishOnKey="xy"/>"#,
        "Gather",
        "finishOnKey",
        "xy",
        13310,
    );
    assert_bad_value(
        r#"<Gather finishOnKey="12"/>"#,
        "Gather",
        "finishOnKey",
        "12",
        13310,
    );
    assert_bad_value(
        r#"<Record finishOnKey="a"/>"#,
        "Record",
        "finishOnKey",
        "a",
        13613,
    );
    assert_bad_value(
        r#"<Gather timeout="-5"/>"#,
        "Gather",
        "timeout",
        "-5",
        13313,
    );
    assert_bad_value(
        r#"<Record timeout="-1"/>"#,
        "Record",
        "timeout",
        "-1",
        13611,
    );
    assert_bad_value(
        r#"<Dial timeout="-1">+1</Dial>"#,
        "Dial",
        "timeout",
        "-1",
        13212,
    );
    assert_bad_value(
        r#"<Redirect method="PUT">/x</Redirect>"#,
        "Redirect",
        "method",
        "PUT",
        13710,
    );
    assert_bad_value(
        r#"<Gather method="PUT"/>"#,
        "Gather",
        "method",
        "PUT",
        13312,
    );
    assert_bad_value(
        r#"<Record method="PUT"/>"#,
        "Record",
        "method",
        "PUT",
        13610,
    );
    assert_bad_value(
        r#"<Dial method="PUT">+1</Dial>"#,
        "Dial",
        "method",
        "PUT",
        13210,
    );
    assert_bad_value(
        r#"<Reject reason="maybe"/>"#,
        "Reject",
        "reason",
        "maybe",
        12200,
    );
}

#[test]
fn bad_values_per_verb_and_noun() {
    assert_bad_value(r#"<Say voice="">x</Say>"#, "Say", "voice", "", 13511);
    assert_bad_value(
        r#"<Gather><Say voice="">x</Say></Gather>"#,
        "Say",
        "voice",
        "",
        13321,
    );
    assert_bad_value(
        r#"<Play digits="12x">u</Play>"#,
        "Play",
        "digits",
        "12x",
        12200,
    );
    assert_bad_value(r#"<Pause length="1.5"/>"#, "Pause", "length", "1.5", 13910);
    assert_bad_value(
        r#"<Gather speechTimeout="0"/>"#,
        "Gather",
        "speechTimeout",
        "0",
        13327,
    );
    assert_bad_value(
        r#"<Gather input="voice"/>"#,
        "Gather",
        "input",
        "voice",
        12200,
    );
    assert_bad_value(
        r#"<Gather actionOnEmptyResult="yes"/>"#,
        "Gather",
        "actionOnEmptyResult",
        "yes",
        13338,
    );
    assert_bad_value(
        r#"<Record maxLength="0"/>"#,
        "Record",
        "maxLength",
        "0",
        13612,
    );
    assert_bad_value(
        r#"<Record playBeep="True"/>"#,
        "Record",
        "playBeep",
        "True",
        13616,
    );
    assert_bad_value(
        r#"<Record transcribe="1"/>"#,
        "Record",
        "transcribe",
        "1",
        13614,
    );
    assert_bad_value(
        r#"<Record trim="Trim-Silence"/>"#,
        "Record",
        "trim",
        "Trim-Silence",
        12200,
    );
    assert_bad_value(
        r#"<Dial hangupOnStar="no">+1</Dial>"#,
        "Dial",
        "hangupOnStar",
        "no",
        13213,
    );
    assert_bad_value(
        r#"<Dial timeLimit="x">+1</Dial>"#,
        "Dial",
        "timeLimit",
        "x",
        13216,
    );
    assert_bad_value(
        r#"<Dial record="always">+1</Dial>"#,
        "Dial",
        "record",
        "always",
        13217,
    );
    assert_bad_value(
        r#"<Dial callerId="">+1</Dial>"#,
        "Dial",
        "callerId",
        "",
        13214,
    );
    assert_bad_value(
        r#"<Dial><Number method="PUT">+1</Number></Dial>"#,
        "Number",
        "method",
        "PUT",
        13221,
    );
    assert_bad_value(
        r#"<Dial><Number sendDigits="1-2">+1</Number></Dial>"#,
        "Number",
        "sendDigits",
        "1-2",
        13222,
    );
    assert_bad_value(
        r#"<Dial><Number statusCallbackEvent="rang">+1</Number></Dial>"#,
        "Number",
        "statusCallbackEvent",
        "rang",
        12200,
    );
    assert_bad_value(
        r#"<Dial><Sip method="x">sip:a@b</Sip></Dial>"#,
        "Sip",
        "method",
        "x",
        13241,
    );
    assert_bad_value(
        r#"<Dial><Sip sendDigits="z">sip:a@b</Sip></Dial>"#,
        "Sip",
        "sendDigits",
        "z",
        13242,
    );
    // `transcoder` (a Switchyard extension) is exactly app:NAME; Twilio has no code for
    // it, so a bad one is a schema warning.
    for (body, element, value) in [
        (
            r#"<Dial><Number transcoder="agc">+1</Number></Dial>"#,
            "Number",
            "agc",
        ),
        (
            r#"<Dial><Number transcoder="app:">+1</Number></Dial>"#,
            "Number",
            "app:",
        ),
        (
            r#"<Dial><Sip transcoder="app:a/b">sip:a@b</Sip></Dial>"#,
            "Sip",
            "app:a/b",
        ),
        (
            r#"<Dial><Client transcoder="app:bad name">c</Client></Dial>"#,
            "Client",
            "app:bad name",
        ),
    ] {
        assert_bad_value(body, element, "transcoder", value, 12200);
    }
    assert_bad_value(
        r#"<Dial><Conference muted="1">r</Conference></Dial>"#,
        "Conference",
        "muted",
        "1",
        13230,
    );
    assert_bad_value(
        r#"<Dial><Conference endConferenceOnExit="y">r</Conference></Dial>"#,
        "Conference",
        "endConferenceOnExit",
        "y",
        13231,
    );
    assert_bad_value(
        r#"<Dial><Conference startConferenceOnEnter="y">r</Conference></Dial>"#,
        "Conference",
        "startConferenceOnEnter",
        "y",
        13232,
    );
    assert_bad_value(
        r#"<Dial><Conference waitMethod="y">r</Conference></Dial>"#,
        "Conference",
        "waitMethod",
        "y",
        13234,
    );
    assert_bad_value(
        r#"<Dial><Conference beep="loud">r</Conference></Dial>"#,
        "Conference",
        "beep",
        "loud",
        13235,
    );
    assert_bad_value(
        r#"<Dial><Conference maxParticipants="251">r</Conference></Dial>"#,
        "Conference",
        "maxParticipants",
        "251",
        12200,
    );
    assert_bad_value(
        r#"<Dial><Queue method="y">q</Queue></Dial>"#,
        "Queue",
        "method",
        "y",
        14210,
    );
    assert_bad_value(
        r#"<Enqueue method="y">q</Enqueue>"#,
        "Enqueue",
        "method",
        "y",
        14201,
    );
    assert_bad_value(
        r#"<Enqueue waitUrlMethod="y">q</Enqueue>"#,
        "Enqueue",
        "waitUrlMethod",
        "y",
        14206,
    );
    assert_bad_value(r#"<Sms method="y">m</Sms>"#, "Sms", "method", "y", 14104);
}

#[test]
fn missing_and_bad_text() {
    let e = err("<Say>   </Say>");
    assert!(
        matches!(&e, Error::MissingText { element, .. } if element == "Say"),
        "{e:?}"
    );
    assert_eq!(e.twilio_code(), 13520);
    let e = err("<Redirect/>");
    assert!(
        matches!(&e, Error::MissingText { element, .. } if element == "Redirect"),
        "{e:?}"
    );
    assert_eq!(e.twilio_code(), 12200);
    assert!(matches!(err("<Play/>"), Error::MissingText { element, .. } if element == "Play"));

    for (body, element, text, code) in [
        (
            "<Dial><Sip>alice@example.com</Sip></Dial>",
            "Sip",
            "alice@example.com",
            13243,
        ),
        (
            "<Dial><Conference> </Conference></Dial>",
            "Conference",
            "",
            13237,
        ),
        ("<Enqueue></Enqueue>", "Enqueue", "", 14204),
        ("<Message></Message>", "Message", "", 14103),
    ] {
        match err(body) {
            Error::InvalidText {
                element: el,
                text: t,
                code: c,
                ..
            } => {
                assert_eq!(
                    (el.as_str(), t.as_str(), c),
                    (element, text, code),
                    "{body}"
                )
            }
            other => panic!("{body}: {other:?}"),
        }
    }
    let long = "q".repeat(65);
    let e = err(&format!("<Dial><Queue>{long}</Queue></Dial>"));
    assert_eq!(e.twilio_code(), 14213);
    let e = err(&format!("<Enqueue>{long}</Enqueue>"));
    assert_eq!(e.twilio_code(), 14205);
}

#[test]
fn unexpected_text_and_missing_targets() {
    assert_eq!(
        err("<Hangup>now</Hangup>"),
        Error::UnexpectedText {
            element: "Hangup".into(),
            text: "now".into()
        }
    );
    assert_eq!(
        err("<Gather>press 1<Say>x</Say></Gather>"),
        Error::UnexpectedText {
            element: "Gather".into(),
            text: "press 1".into()
        }
    );
    assert_eq!(
        err("<Dial>+1<Number>+2</Number></Dial>"),
        Error::UnexpectedText {
            element: "Dial".into(),
            text: "+1".into()
        }
    );
    let e = err("<Dial/>");
    assert!(
        matches!(&e, Error::MissingTarget { element, .. } if element == "Dial"),
        "{e:?}"
    );
    assert_eq!(e.twilio_code(), 12200);
    assert!(matches!(err("<Refer/>"), Error::MissingTarget { element, .. } if element == "Refer"));
    assert_eq!(
        err(r#"<Dial><Client><Identity>a</Identity><Parameter value="1"/></Client></Dial>"#),
        Error::MissingAttribute {
            element: "Parameter".into(),
            attribute: "name"
        }
    );
}
