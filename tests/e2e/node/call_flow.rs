//! Acceptance 1 and the SIP fault cases of acceptance 3: sipp calls a number whose webhook
//! gathers a digit, then plays a WAV and hangs up.

use std::time::Duration;

use switchyard_e2e::{Node, NodeConfig, Scenario, Sipp, Webhook, AUTH_TOKEN, NUMBER};

use super::{call_with_capture, calls, eventually, tone_packets};

const WAV_SECONDS: f64 = 3.0;

fn gather_play_node() -> anyhow::Result<(Webhook, Node)> {
    let hook = Webhook::start(Scenario::GatherPlay, AUTH_TOKEN, &["--wav-seconds", "3.0"])?;
    let node = Node::start(NodeConfig::new().with_webhook(&hook.base_url()))?;
    Ok((hook, node))
}

#[test]
fn sipp_gathers_a_digit_hears_the_wav_and_gets_bye() -> anyhow::Result<()> {
    let (hook, node) = gather_play_node()?;
    let (out, packets) = call_with_capture(&node, "uac_gather.xml", &[])?;
    assert!(out.success(), "sipp failed: {out}");

    let voice = hook.requests_to("/voice")?;
    assert_eq!(voice.len(), 1, "{voice:?}");
    let first = &voice[0];
    assert!(first.signature_valid, "RequestValidator rejected {first:?}");
    assert_eq!(first.param("To"), Some(NUMBER));
    assert_eq!(first.param("Called"), Some(NUMBER));
    assert_eq!(first.param("CallStatus"), Some("ringing"));
    assert_eq!(first.param("Direction"), Some("inbound"));
    assert_eq!(first.param("ApiVersion"), Some("2010-04-01"));
    assert_eq!(first.param("AccountSid"), Some(switchyard_e2e::ACCOUNT_SID));
    let call_sid = first.param("CallSid").expect("CallSid").to_owned();
    assert!(
        call_sid.starts_with("CA") && call_sid.len() == 34,
        "{call_sid}"
    );

    let gathered = hook.requests_to("/gathered")?;
    assert_eq!(gathered.len(), 1, "{gathered:?}");
    let g = &gathered[0];
    assert!(g.signature_valid, "RequestValidator rejected {g:?}");
    assert_eq!(g.param("Digits"), Some("1"));
    assert_eq!(g.param("CallSid"), Some(call_sid.as_str()));
    assert_eq!(g.param("CallStatus"), Some("in-progress"));
    assert!(
        g.switchyard_signature_valid == Some(true) || g.switchyard_signature.is_some(),
        "no X-Switchyard-Signature on {g:?}"
    );

    // The WAV is 3 s: 150 packets of 20 ms. At least 90 % of them must carry the tone.
    let expected = (WAV_SECONDS * 50.0) as usize;
    let heard = tone_packets(&packets);
    assert!(
        heard * 10 >= expected * 9,
        "only {heard} of {expected} tone packets reached sipp ({} packets in all)",
        packets.len()
    );
    // Played without gaps: from the tone's first packet to its last, every packet of the
    // stream carries the tone (an underrun would put silence in between).
    let is_tone = |p: &switchyard_e2e::RtpPacket| super::tone_packets(std::slice::from_ref(p)) == 1;
    let first = packets.iter().position(is_tone).expect("a tone packet");
    let last = packets.iter().rposition(is_tone).expect("a tone packet");
    let gaps = packets[first..=last].iter().filter(|p| !is_tone(p)).count();
    assert_eq!(gaps, 0, "{gaps} non-tone packets inside the tone");
    // Pacing: sequence numbers of one stream are consecutive, timestamps step by 160.
    let audio: Vec<_> = packets.iter().filter(|p| p.payload_type == 0).collect();
    for w in audio.windows(2) {
        if w[1].ssrc == w[0].ssrc && w[1].seq == w[0].seq.wrapping_add(1) {
            assert_eq!(w[1].timestamp.wrapping_sub(w[0].timestamp), 160);
        }
    }

    let record = eventually(Duration::from_secs(5), || {
        Ok(calls(&node)?
            .into_iter()
            .find(|c| c["sid"] == call_sid.as_str() && c["status"] == "completed"))
    })?;
    assert_eq!(record["to"], NUMBER);
    assert!(record["duration"]
        .as_str()
        .is_some_and(|d| d.parse::<u32>().unwrap() >= 3));
    Ok(())
}

#[test]
fn completes_with_ten_percent_of_sip_datagrams_lost() -> anyhow::Result<()> {
    let (hook, node) = gather_play_node()?;
    // sipp drops 10 % of the SIP messages it sends and receives; the node's
    // retransmissions (200 OK until ACK, BYE with Timer E) must carry every call through.
    let out = Sipp::run(
        "uac_gather.xml",
        &node.sip_target(),
        &["-m", "6", "-l", "3", "-r", "2", "-s", NUMBER, "-lost", "10"],
    )?;
    assert!(out.success(), "sipp failed under loss: {out}");
    assert_eq!(out.successful_calls(), Some(6), "{out}");
    let gathered = hook.requests_to("/gathered")?;
    assert_eq!(gathered.len(), 6);
    assert!(gathered
        .iter()
        .all(|r| r.param("Digits") == Some("1") && r.signature_valid));
    Ok(())
}

#[test]
fn cancel_before_answer_gives_487_and_a_canceled_record() -> anyhow::Result<()> {
    // A slow webhook keeps the call ringing until the caller gives up.
    let hook = Webhook::start(Scenario::Slow, AUTH_TOKEN, &["--delay", "8"])?;
    let node = Node::start(NodeConfig::new().with_webhook(&hook.base_url()))?;
    let out = Sipp::run(
        "uac_cancel.xml",
        &node.sip_target(),
        &["-m", "1", "-s", NUMBER],
    )?;
    assert!(out.success(), "sipp failed: {out}");
    let record = eventually(Duration::from_secs(5), || {
        Ok(calls(&node)?.into_iter().find(|c| c["status"] != "ringing"))
    })?;
    assert_eq!(record["status"], "canceled", "{record}");
    assert!(record["end_time"].is_string(), "{record}");
    Ok(())
}
