//! The shipped sipp scenarios against sipp test doubles.

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use switchyard_e2e::{Capture, Sipp, SippCommand, NUMBER};

const LISTEN: Duration = Duration::from_secs(5);

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn uac_bye_completes_against_builtin_uas() {
    let mut uas = SippCommand::new("uas")
        .unwrap()
        .args(&["-m", "1"])
        .spawn()
        .unwrap();
    uas.wait_listening(LISTEN).unwrap();
    let started = now();
    let out = Sipp::run("uac_bye.xml", &uas.addr(), &["-m", "1", "-s", NUMBER]).unwrap();
    assert!(out.success(), "{out}");
    assert_eq!(out.successful_calls(), Some(1), "{out}");
    assert_eq!(out.failed_calls(), Some(0), "{out}");
    // The scenario holds the call for 2 s before its BYE.
    assert!(now() - started >= 2.0);
    let uas_out = uas.wait().unwrap();
    assert_eq!(uas_out.successful_calls(), Some(1), "{uas_out}");
}

#[test]
fn uac_cancel_completes_against_ringing_uas() {
    let mut uas = SippCommand::new("uas_ring.xml")
        .unwrap()
        .args(&["-m", "1"])
        .spawn()
        .unwrap();
    uas.wait_listening(LISTEN).unwrap();
    let out = Sipp::run("uac_cancel.xml", &uas.addr(), &["-m", "1", "-s", NUMBER]).unwrap();
    assert!(out.success(), "{out}");
    assert_eq!(out.successful_calls(), Some(1), "{out}");
    let uas_out = uas.wait().unwrap();
    assert!(uas_out.success(), "{uas_out}");
}

#[test]
fn uac_cancel_fails_when_the_call_is_answered() {
    // This UAS answers right after ringing and never sends 487: the scenario must
    // count the call as failed (within its 10 s response timeout), not succeed.
    let mut uas = SippCommand::new("uas_answer_bye.xml")
        .unwrap()
        .args(&["-m", "1", "-d", "1000"])
        .spawn()
        .unwrap();
    uas.wait_listening(LISTEN).unwrap();
    let out = SippCommand::new("uac_cancel.xml")
        .unwrap()
        .target(&uas.addr())
        .args(&["-m", "1", "-s", NUMBER])
        .timeout(Duration::from_secs(25))
        .run()
        .unwrap();
    assert!(!out.success(), "{out}");
    assert!(!out.timed_out, "{out}");
    assert_eq!(out.failed_calls(), Some(1), "{out}");
}

#[test]
fn uac_gather_sends_digit_one_by_rfc4733_then_takes_the_bye() {
    let mut uas = SippCommand::new("uas_answer_bye.xml")
        .unwrap()
        .args(&["-m", "1", "-d", "5000"])
        .spawn()
        .unwrap();
    uas.wait_listening(LISTEN).unwrap();
    let capture = Capture::start(uas.media_port()).unwrap();
    let started = now();
    let out = Sipp::run("uac_gather.xml", &uas.addr(), &["-m", "1", "-s", NUMBER]).unwrap();
    let ended = now();
    assert!(out.success(), "{out}");
    assert_eq!(out.successful_calls(), Some(1), "{out}");
    // The far end hung up after 5 s; the caller waited for it.
    assert!(
        ended - started >= 5.0,
        "caller ended after {}",
        ended - started
    );
    let uas_out = uas.wait().unwrap();
    assert!(uas_out.success(), "{uas_out}");

    let packets = capture.stop().unwrap();
    let events: Vec<_> = packets.iter().filter(|p| p.payload_type == 101).collect();
    assert!(events.len() >= 3, "telephone-events seen: {packets:?}");
    for p in &events {
        let ev = p.telephone_event().unwrap();
        assert_eq!(ev.event, 1, "{p:?}");
    }
    assert!(events.iter().any(|p| p.telephone_event().unwrap().end));
    // All packets of one event share its timestamp (RFC 4733 §2.5.1.2).
    assert!(events.iter().all(|p| p.timestamp == events[0].timestamp));
    let first = events[0].time - started;
    assert!(
        first >= 2.4,
        "DTMF sent {first:.2} s after start, before the 2.5 s pause ended"
    );
}

#[test]
fn uac_bench_runs_several_calls_at_a_rate() {
    let mut uas = SippCommand::new("uas_answer_bye.xml")
        .unwrap()
        .args(&["-m", "5", "-d", "300"])
        .spawn()
        .unwrap();
    uas.wait_listening(LISTEN).unwrap();
    let out = Sipp::run(
        "uac_bench.xml",
        &uas.addr(),
        &["-m", "5", "-r", "10", "-s", NUMBER],
    )
    .unwrap();
    assert!(out.success(), "{out}");
    assert_eq!(out.successful_calls(), Some(5), "{out}");
    assert_eq!(out.failed_calls(), Some(0), "{out}");
}
