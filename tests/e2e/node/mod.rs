//! Tests of a real node: sipp and pjsua2 as phones, the Python webhook as the app.

mod api_twilio;
mod call_flow;
mod call_recording;
mod callbacks;
mod caller;
mod channels;
mod cli;
mod codecs;
mod conference;
mod console;
mod dial;
mod dial_ivr;
mod durability;
mod event_filters;
mod events;
mod events_nats;
mod fairness;
mod faults;
mod first_verbs;
mod metering;
mod operator;
mod overload;
mod phone;
mod presence;
mod queues;
mod raw_ua;
mod record;
mod rfc4475;
mod schemathesis;
mod sip_features;
mod sip_resources;
mod sip_trust;
mod streams;
mod streams_load;
mod streams_wasm;
mod tenant_transcoders;
mod tls;
mod uri_templates;
mod wasm_apps;
mod wasm_containment;
mod wasm_fallback;
mod wasm_quotas;
mod wasm_rooms;
mod wasm_transcoders;

use std::time::Duration;

use anyhow::Result;
use switchyard_e2e::pcap::UdpDatagram;
use switchyard_e2e::{Capture, Node, RtpPacket, SippCommand, SippOutcome, NUMBER};

/// Decoded audio of the packets the node sent (PCMU or PCMA by payload type).
pub fn decode(packets: &[RtpPacket]) -> Vec<i16> {
    let mut out = Vec::new();
    for p in packets {
        let codec = match p.payload_type {
            0 => switchyard_media::G711::Ulaw,
            8 => switchyard_media::G711::Alaw,
            _ => continue,
        };
        switchyard_media::g711::decode_frame(codec, &p.payload, &mut out);
    }
    out
}

/// A pcap of `seconds` of a `freq` Hz tone as PCMU RTP (payload type 0, 20 ms packets,
/// amplitude 8000), for sipp's `play_pcap_audio`.
pub fn ulaw_tone_pcap(freq: f64, seconds: f64) -> Vec<u8> {
    const SAMPLES: usize = 160;
    let packets = (seconds * 50.0) as usize;
    let datagrams: Vec<UdpDatagram> = (0..packets)
        .map(|n| {
            let mut payload = vec![0x80, 0];
            payload.extend((n as u16).to_be_bytes());
            payload.extend(((n * SAMPLES) as u32).to_be_bytes());
            payload.extend(0x5157_4954u32.to_be_bytes());
            payload.extend((0..SAMPLES).map(|i| {
                let t = (n * SAMPLES + i) as f64 / 8000.0;
                let s = 8000.0 * (2.0 * std::f64::consts::PI * freq * t).sin();
                switchyard_media::g711::ulaw_encode(s as i16)
            }));
            UdpDatagram {
                time_us: 1_000_000 + n as u64 * 20_000,
                src: ([127, 0, 0, 1], 4000),
                dst: ([127, 0, 0, 1], 5000),
                payload,
            }
        })
        .collect();
    switchyard_e2e::pcap::write_udp(&datagrams)
}

/// `uac_tone.xml` rewritten into `dir` to play `seconds` of a `freq` Hz PCMU tone
/// (written beside it) from the answer on: the scenario's path.
pub fn tone_scenario(dir: &std::path::Path, freq: f64, seconds: f64) -> Result<String> {
    let pcap = dir.join("tone.pcap");
    std::fs::write(&pcap, ulaw_tone_pcap(freq, seconds))?;
    let scenario = std::fs::read_to_string(switchyard_e2e::sipp_scenario("uac_tone.xml"))?;
    anyhow::ensure!(
        scenario.contains("play_pcap_audio=\"tone.pcap\""),
        "uac_tone.xml no longer plays tone.pcap"
    );
    let copy = dir.join("uac_tone.xml");
    std::fs::write(
        &copy,
        scenario.replace(
            "play_pcap_audio=\"tone.pcap\"",
            &format!("play_pcap_audio=\"{}\"", pcap.display()),
        ),
    )?;
    Ok(copy.to_string_lossy().into_owned())
}

/// Packets whose 20 ms of audio is mostly the 440 Hz test tone.
pub fn tone_packets(packets: &[RtpPacket]) -> usize {
    packets
        .iter()
        .filter(|p| {
            let pcm = decode(std::slice::from_ref(p));
            switchyard_e2e::audio::rms(&pcm) > 1000.0
                && switchyard_e2e::audio::tone_share(&pcm, 8000, 440.0) > 0.8
        })
        .count()
}

/// Packets carrying sound (not silence).
pub fn audible_packets(packets: &[RtpPacket]) -> usize {
    packets
        .iter()
        .filter(|p| switchyard_e2e::audio::rms(&decode(std::slice::from_ref(p))) > 300.0)
        .count()
}

/// Run a sipp scenario against the node's number while capturing what arrives at sipp's
/// media port.
pub fn call_with_capture(
    node: &Node,
    scenario: &str,
    extra: &[&str],
) -> Result<(SippOutcome, Vec<RtpPacket>)> {
    let mut args = vec!["-m", "1", "-s", NUMBER];
    args.extend_from_slice(extra);
    let cmd = SippCommand::new(scenario)?
        .target(&node.sip_target())
        .args(&args)
        .timeout(Duration::from_secs(60));
    let cap = Capture::start(cmd.media_port())?;
    let out = cmd.run()?;
    // Let the last packets in flight reach the capture.
    std::thread::sleep(Duration::from_millis(200));
    let packets = cap.stop()?;
    Ok((out, packets))
}

/// The node's call records, authenticated as the test account.
pub fn calls(node: &Node) -> Result<Vec<serde_json::Value>> {
    let list = node.get_json(&format!(
        "/2010-04-01/Accounts/{}/Calls.json",
        switchyard_e2e::ACCOUNT_SID
    ))?;
    Ok(list["calls"].as_array().cloned().unwrap_or_default())
}

/// The node's notifications for the test account (up to 1,000, newest first).
pub fn notifications(node: &Node) -> Result<Vec<serde_json::Value>> {
    let list = node.get_json(&format!(
        "/2010-04-01/Accounts/{}/Notifications.json?PageSize=1000",
        switchyard_e2e::ACCOUNT_SID
    ))?;
    Ok(list["notifications"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// Poll `f` until it returns Some, for at most `limit`.
pub fn eventually<T>(limit: Duration, mut f: impl FnMut() -> Result<Option<T>>) -> Result<T> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = f()? {
            return Ok(v);
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("condition not met within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
