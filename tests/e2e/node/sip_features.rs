//! SIP features beyond the basic call: caller hang-up, hold and unhold by re-INVITE,
//! digits by SIP INFO, SIP over TCP, out-of-dialog requests (OPTIONS, unknown methods,
//! SUBSCRIBE, unknown numbers), codec rejection and draining on Ctrl-C.

use std::process::Command;
use std::time::{Duration, Instant};

use switchyard_e2e::{
    Capture, Node, NodeConfig, RtpPacket, Scenario, Sipp, SippCommand, Webhook, AUTH_TOKEN, NUMBER,
};

use super::raw_ua::{ack_failure, final_response, offer, RawUa};
use super::{calls, eventually};

fn gather_play_node() -> anyhow::Result<(Webhook, Node)> {
    let hook = Webhook::start(Scenario::GatherPlay, AUTH_TOKEN, &["--wav-seconds", "3.0"])?;
    let node = Node::start(NodeConfig::new().with_webhook(&hook.base_url()))?;
    Ok((hook, node))
}

#[test]
fn caller_hangs_up_and_the_record_is_completed() -> anyhow::Result<()> {
    // gather-play's Gather waits 10 s for a digit, so the call is still up when sipp
    // sends its BYE after 2 s.
    let (hook, node) = gather_play_node()?;
    let out = Sipp::run(
        "uac_bye.xml",
        &node.sip_target(),
        &["-m", "1", "-s", NUMBER],
    )?;
    assert!(out.success(), "sipp failed: {out}");
    let record = eventually(Duration::from_secs(5), || {
        Ok(calls(&node)?
            .into_iter()
            .find(|c| c["status"] == "completed"))
    })?;
    let duration: u32 = record["duration"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {record}"));
    assert!(duration >= 2, "{record}");
    assert!(record["end_time"].is_string(), "{record}");
    // Twilio does not request a Gather's action when the caller hangs up during it.
    assert!(hook.requests_to("/gathered")?.is_empty());
    Ok(())
}

/// Capture time (seconds since the epoch) of the first datagram that is a response with
/// `status` to the request with CSeq `cseq` (e.g. "2 INVITE").
fn response_time(
    datagrams: &[switchyard_e2e::pcap::UdpDatagram],
    status: u16,
    cseq: &str,
) -> Option<f64> {
    datagrams.iter().find_map(|d| {
        let text = String::from_utf8_lossy(&d.payload);
        let first = text.lines().next()?;
        let code: u16 = first.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()?;
        let has_cseq = text.lines().any(|l| {
            l.split_once(':').is_some_and(|(n, v)| {
                n.trim().eq_ignore_ascii_case("cseq")
                    && v.split_whitespace().collect::<Vec<_>>().join(" ") == cseq
            })
        });
        (code == status && has_cseq).then_some(d.time_us as f64 / 1e6)
    })
}

fn between(packets: &[RtpPacket], from: f64, to: f64) -> Vec<&RtpPacket> {
    packets
        .iter()
        .filter(|p| p.time >= from && p.time < to)
        .collect()
}

#[test]
fn reinvite_holds_and_unholds_the_call() -> anyhow::Result<()> {
    let (_hook, node) = gather_play_node()?;
    let cmd = SippCommand::new("uac_hold.xml")?
        .target(&node.sip_target())
        .args(&["-m", "1", "-s", NUMBER])
        .timeout(Duration::from_secs(40));
    let media = Capture::start(cmd.media_port())?;
    let sip = Capture::start(cmd.sip_port())?;
    // The scenario checks the answers: a=recvonly to a=sendonly, a=sendrecv to a=sendrecv.
    let out = cmd.run()?;
    std::thread::sleep(Duration::from_millis(200));
    let packets = media.stop()?;
    let messages = sip.stop_raw()?;
    assert!(out.success(), "sipp failed: {out}");

    let held = response_time(&messages, 200, "2 INVITE").expect("no 200 to the hold re-INVITE");
    let resumed =
        response_time(&messages, 200, "3 INVITE").expect("no 200 to the unhold re-INVITE");
    assert!(resumed - held > 2.0, "held {held}, resumed {resumed}");

    // RFC 3264 §5.1: "If the offerer wishes to only send media stream to its peer, it MUST
    // mark the stream as sendonly"; §6.1: the answerer then "MUST NOT send media". The node
    // streams 20 ms frames (silence included) while it may send.
    let before = between(&packets, held - 2.0, held).len();
    assert!(before >= 75, "only {before} packets in the 2 s before hold");
    let during = between(&packets, held + 0.1, resumed);
    assert!(
        during.len() <= 1,
        "{} RTP packets arrived while on hold: {:?}",
        during.len(),
        during.iter().map(|p| p.time - held).collect::<Vec<_>>()
    );
    let after = between(&packets, resumed + 0.1, resumed + 2.1).len();
    assert!(after >= 75, "only {after} packets in the 2 s after unhold");

    // RFC 3550 §5.1: the sequence number "increments by one for each RTP data packet
    // sent", and the timestamp keeps following the sampling clock across the pause.
    let last_before = packets
        .iter()
        .rev()
        .find(|p| p.time < held + 0.1)
        .expect("packets before hold");
    let first_after = packets
        .iter()
        .find(|p| p.time >= resumed)
        .expect("packets after unhold");
    assert_eq!(
        first_after.ssrc, last_before.ssrc,
        "SSRC changed across hold"
    );
    // A frame already being paced when the hold's answer went out may arrive inside the
    // hold window (at most one, checked above); it took a sequence number too.
    assert_eq!(
        first_after.seq,
        last_before.seq.wrapping_add(1 + during.len() as u16),
        "sequence numbers not consecutive across hold"
    );
    let ts_gap = f64::from(first_after.timestamp.wrapping_sub(last_before.timestamp)) / 8000.0;
    let wall_gap = first_after.time - last_before.time;
    assert!(
        (ts_gap - wall_gap).abs() < 0.2 * wall_gap,
        "timestamp advanced {ts_gap:.2} s over {wall_gap:.2} s on hold"
    );
    Ok(())
}

#[test]
fn sip_info_dtmf_relay_digit_reaches_the_gather() -> anyhow::Result<()> {
    let (hook, node) = gather_play_node()?;
    let out = Sipp::run(
        "uac_info_dtmf.xml",
        &node.sip_target(),
        &["-m", "1", "-s", NUMBER],
    )?;
    assert!(out.success(), "sipp failed: {out}");
    let gathered = hook.requests_to("/gathered")?;
    assert_eq!(gathered.len(), 1, "{gathered:?}");
    assert_eq!(gathered[0].param("Digits"), Some("1"), "{gathered:?}");
    assert!(gathered[0].signature_valid, "{gathered:?}");
    Ok(())
}

#[test]
fn a_call_over_tcp_gathers_and_gets_bye() -> anyhow::Result<()> {
    let (hook, node) = gather_play_node()?;
    // The same port serves SIP over TCP (RFC 3261 §18: UAs MUST implement UDP and TCP);
    // the DTMF is RTP and does not care about the signalling transport.
    let udp = Capture::start(node.sip_port())?;
    let out = Sipp::run(
        "uac_gather.xml",
        &node.sip_target(),
        &["-m", "1", "-s", NUMBER, "-t", "t1"],
    )?;
    let udp = udp.stop_raw()?;
    assert!(out.success(), "sipp over TCP failed: {out}");
    // Every request and response went over the TCP connection, none over UDP.
    assert!(
        udp.is_empty(),
        "{} SIP datagrams reached the node over UDP",
        udp.len()
    );
    let gathered = hook.requests_to("/gathered")?;
    assert_eq!(gathered.len(), 1, "{gathered:?}");
    assert_eq!(gathered[0].param("Digits"), Some("1"), "{gathered:?}");
    let record = eventually(Duration::from_secs(5), || {
        Ok(calls(&node)?
            .into_iter()
            .find(|c| c["status"] == "completed"))
    })?;
    assert_eq!(record["to"], NUMBER, "{record}");
    Ok(())
}

#[test]
fn out_of_dialog_options_unknown_methods_subscribe_and_unknown_numbers() -> anyhow::Result<()> {
    let hook = Webhook::start(Scenario::SayHangup, AUTH_TOKEN, &[])?;
    let node = Node::start(NodeConfig::new().with_webhook(&hook.base_url()))?;
    let ua = RawUa::new()?;
    let uri = node.sip_uri(NUMBER);

    // RFC 3261 §11.2: "Allow, Accept, Accept-Encoding, Accept-Language, and Supported
    // header fields SHOULD be present in a 200 (OK) response to an OPTIONS request".
    let msg = ua.request("OPTIONS", &uri, "opt1", "opt1", 1, None, None, "");
    let responses = ua.exchange(&node, &msg, "opt1")?;
    let ok = final_response(&responses);
    assert_eq!(ok.status, 200, "{}", ok.text);
    let allow = ok
        .header("Allow")
        .unwrap_or_else(|| panic!("no Allow: {}", ok.text));
    let allowed: Vec<String> = allow.split(',').map(|m| m.trim().to_owned()).collect();
    for m in ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO"] {
        assert!(
            allowed.iter().any(|a| a == m),
            "{m} missing from Allow: {allow}"
        );
    }
    assert!(ok.header("Accept").is_some(), "no Accept: {}", ok.text);
    // RFC 3261 §18.2.2 / RFC 3581 §4: with rport the response goes to the source port
    // (it did, or we would not have it) and the Via says which port that was.
    let via = ok.header("Via").unwrap_or_default();
    assert!(via.contains(&format!("rport={}", ua.port)), "{via}");

    // RFC 3261 §8.2.1: "If a UAS does not understand the request method ... it MUST reply
    // with a 501 (Not Implemented) response".
    let msg = ua.request("FOO", &uri, "foo1", "foo1", 1, None, None, "");
    let r = ua.exchange(&node, &msg, "foo1")?;
    assert_eq!(final_response(&r).status, 501, "{r:?}");

    // RFC 3261 §8.2.1: "If a UAS recognizes but does not support the method of a request,
    // it MUST generate a 405 (Method Not Allowed) response ... The UAS MUST also add an
    // Allow header field to the 405".
    let msg = ua.request(
        "SUBSCRIBE",
        "sip:127.0.0.1",
        "sub1",
        "sub1",
        1,
        None,
        None,
        "",
    );
    let r = ua.exchange(&node, &msg, "sub1")?;
    let not_allowed = final_response(&r);
    assert_eq!(not_allowed.status, 405, "{r:?}");
    let allow = not_allowed.header("Allow").unwrap_or_default();
    assert!(
        allow.contains("INVITE") && allow.contains("REGISTER"),
        "405 without Allow: {}",
        not_allowed.text
    );

    // A number nobody configured: 100 Trying first (RFC 3261 §8.2.6.1: an INVITE whose
    // final answer may take a while), then 404 (§21.4.5).
    let unknown = node.sip_uri("+15559990000");
    let sdp = offer(
        40000,
        "0 8 101",
        "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
    );
    let msg = ua.request(
        "INVITE",
        &unknown,
        "inv404",
        "inv404",
        1,
        None,
        Some("application/sdp"),
        &sdp,
    );
    let r = ua.exchange(&node, &msg, "inv404")?;
    assert_eq!(r.first().map(|r| r.status), Some(100), "{r:?}");
    let not_found = final_response(&r);
    assert_eq!(not_found.status, 404, "{r:?}");
    ack_failure(&ua, &node, &unknown, "inv404", not_found)?;
    assert!(
        hook.requests_to("/voice")?.is_empty(),
        "an unknown number reached the webhook"
    );
    Ok(())
}

#[test]
fn an_offer_without_a_common_codec_gets_488() -> anyhow::Result<()> {
    let hook = Webhook::start(Scenario::SayHangup, AUTH_TOKEN, &[])?;
    let node = Node::start(NodeConfig::new().with_webhook(&hook.base_url()))?;
    let ua = RawUa::new()?;
    let uri = node.sip_uri(NUMBER);
    // G.729 only (static payload type 18).
    let sdp = offer(40000, "18", "a=rtpmap:18 G729/8000\r\n");
    let msg = ua.request(
        "INVITE",
        &uri,
        "inv488",
        "inv488",
        1,
        None,
        Some("application/sdp"),
        &sdp,
    );
    let r = ua.exchange(&node, &msg, "inv488")?;
    let rejected = final_response(&r);
    // RFC 3264 §6: "If the answerer has no media formats in common for a particular offered
    // stream, the answerer MUST reject that media stream"; with the only stream rejected the
    // INVITE fails with 488 (RFC 3261 §21.4.26).
    assert_eq!(rejected.status, 488, "{r:?}");
    // RFC 3261 §20.43: the Warning says why, 305 Incompatible media format.
    let warning = rejected.header("Warning").unwrap_or_default();
    assert!(
        warning.starts_with("305 ") && warning.contains("Incompatible media format"),
        "{r:?}"
    );
    ack_failure(&ua, &node, &uri, "inv488", rejected)?;
    // Nothing was answered: no record may say the call was connected.
    std::thread::sleep(Duration::from_millis(500));
    for c in calls(&node)? {
        assert!(
            c["status"] != "in-progress" && c["status"] != "completed",
            "a rejected offer was answered: {c}"
        );
    }
    Ok(())
}

/// The pid of the `switchyard` process started with `config` (not its `timeout` parent).
fn node_pid(node: &Node) -> anyhow::Result<u32> {
    let out = Command::new("pgrep")
        .arg("-f")
        .arg(node.config_path())
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "switchyard")
        })
        .ok_or_else(|| anyhow::anyhow!("no switchyard process among pgrep's {text:?}"))
}

#[test]
fn ctrl_c_hangs_up_calls_and_exits() -> anyhow::Result<()> {
    let (_hook, mut node) = gather_play_node()?;
    // Without a digit the Gather keeps the call up for about 13 s (prompt + 10 s).
    let sipp = SippCommand::new("uac_bench.xml")?
        .target(&node.sip_target())
        .args(&["-m", "1", "-s", NUMBER])
        .timeout(Duration::from_secs(40))
        .spawn()?;
    eventually(Duration::from_secs(10), || {
        Ok(calls(&node)?
            .into_iter()
            .find(|c| c["status"] == "in-progress"))
    })?;
    std::thread::sleep(Duration::from_secs(1));
    let pid = node_pid(&node)?;
    let sent = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()?;
    assert!(status.success(), "kill -INT {pid} failed");

    // uac_bench succeeds only if the node sends BYE and gets its 200.
    let out = sipp.wait()?;
    let bye_after = sent.elapsed();
    assert!(out.success(), "no clean BYE after SIGINT: {out}");
    assert!(
        bye_after < Duration::from_secs(5),
        "BYE came {bye_after:?} after SIGINT: the call ended by itself, not by the drain"
    );
    let exited = eventually(Duration::from_secs(5), || {
        Ok((!node.is_running()?).then_some(()))
    });
    assert!(
        exited.is_ok(),
        "node still running 5 s after the call was drained:\n{}",
        node.stderr()
    );
    Ok(())
}
