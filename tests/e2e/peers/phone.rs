//! The pjsua2 phone against a sipp UAS that streams audio and hangs up.

use std::time::Duration;
use switchyard_e2e::audio::{rms, Wav};
use switchyard_e2e::{free_port, Capture, Phone, PhoneOptions, SippCommand, NUMBER};

#[test]
fn phone_calls_sends_dtmf_records_and_sees_the_far_end_hang_up() {
    let mut uas = SippCommand::new("uas_answer_bye.xml")
        .unwrap()
        .args(&["-m", "1", "-d", "4000"])
        .spawn()
        .unwrap();
    uas.wait_listening(Duration::from_secs(5)).unwrap();
    let capture = Capture::start(uas.media_port()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("heard.wav");
    let opts = PhoneOptions {
        dtmf_after: Duration::from_secs(1),
        timeout: Duration::from_secs(20),
        ..PhoneOptions::default()
    };
    let uri = format!("sip:{NUMBER}@{}", uas.addr());
    let out = Phone::call(&uri, "1", Some(&record), &opts).unwrap();
    assert!(out.success(), "{out:?}");
    let s = out.summary.as_ref().unwrap();
    assert_eq!(s.last_status, Some(200));
    assert_eq!(s.dtmf_sent, "1");
    assert!(s.states.iter().any(|st| st == "CONFIRMED"), "{s:?}");
    assert!(
        (3.5..6.0).contains(&s.duration),
        "connected {} s",
        s.duration
    );
    let uas_out = uas.wait().unwrap();
    assert!(uas_out.success(), "{uas_out}");

    // What the UAS streamed (g711a.pcap, speech) is in the recording.
    let wav = Wav::read(&record).unwrap();
    assert!(wav.seconds() >= 3.0, "recorded {} s", wav.seconds());
    assert!(
        rms(&wav.samples) > 300.0,
        "recording too quiet: rms {}",
        rms(&wav.samples)
    );

    // And on the wire towards the UAS: the phone's audio and the digit as RFC 4733.
    let packets = capture.stop().unwrap();
    let audio = packets.iter().filter(|p| p.payload_type == 8).count();
    assert!(audio >= 100, "{audio} PCMA packets from the phone");
    let events: Vec<_> = packets.iter().filter(|p| p.payload_type == 101).collect();
    assert!(!events.is_empty(), "no telephone-event from the phone");
    assert!(events
        .iter()
        .all(|p| p.telephone_event().unwrap().event == 1));
    assert!(events.iter().any(|p| p.telephone_event().unwrap().end));
}

#[test]
fn phone_fails_when_nobody_answers() {
    let port = free_port().unwrap();
    let opts = PhoneOptions {
        timeout: Duration::from_secs(2),
        ..PhoneOptions::default()
    };
    let out = Phone::call(&format!("sip:{NUMBER}@127.0.0.1:{port}"), "", None, &opts).unwrap();
    assert!(!out.success(), "{out:?}");
    assert_eq!(out.exit_code, Some(1), "{out:?}");
    let s = out.summary.unwrap();
    assert!(!s.connected);
    assert!(!s.ended_by_remote);
}
