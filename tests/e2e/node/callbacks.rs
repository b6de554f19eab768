//! What the node tells the app besides the voice webhook: status callbacks
//! (Twilio's `StatusCallback` with `StatusCallbackEvent`), and the media cache seen end to
//! end (one fetch of a WAV serves several calls).

use std::time::Duration;

use switchyard_e2e::{
    Node, NodeConfig, NumberConfig, Scenario, Sipp, Webhook, WebhookRequest, ACCOUNT_SID,
    AUTH_TOKEN, NUMBER,
};

use super::{call_with_capture, tone_packets};

fn gather_play_hook() -> anyhow::Result<Webhook> {
    Webhook::start(Scenario::GatherPlay, AUTH_TOKEN, &["--wav-seconds", "3.0"])
}

fn one_gather_call(node: &Node) -> anyhow::Result<()> {
    let out = Sipp::run(
        "uac_gather.xml",
        &node.sip_target(),
        &["-m", "1", "-s", NUMBER],
    )?;
    assert!(out.success(), "sipp failed: {out}");
    Ok(())
}

fn statuses(requests: &[WebhookRequest]) -> Vec<&WebhookRequest> {
    requests.iter().filter(|r| r.path == "/status").collect()
}

#[test]
fn status_callbacks_for_every_requested_event_in_sequence() -> anyhow::Result<()> {
    let hook = gather_play_hook()?;
    let mut number = NumberConfig::webhook(NUMBER, ACCOUNT_SID, &hook.base_url());
    number.status_callback = Some(hook.url("/status"));
    number.status_callback_method = Some("POST".into());
    number.status_callback_event = Some(
        ["initiated", "ringing", "answered", "completed"]
            .map(String::from)
            .to_vec(),
    );
    let mut config = NodeConfig::new();
    config.numbers.push(number);
    let node = Node::start(config)?;
    one_gather_call(&node)?;

    // The completed callback goes out after the BYE; give it time to arrive.
    let all = hook.wait_for(Duration::from_secs(5), |r| statuses(r).len() >= 4)?;
    let status = statuses(&all);
    assert_eq!(status.len(), 4, "{status:#?}");
    let call_sid = hook.requests_to("/voice")?[0]
        .param("CallSid")
        .expect("CallSid")
        .to_owned();

    let expected = ["initiated", "ringing", "in-progress", "completed"];
    for (i, (r, want)) in status.iter().zip(expected).enumerate() {
        assert_eq!(r.method, "POST", "{r:?}");
        assert!(r.signature_valid, "RequestValidator rejected {r:?}");
        assert_eq!(
            r.param("SequenceNumber"),
            Some(i.to_string().as_str()),
            "{r:?}"
        );
        assert_eq!(r.param("CallStatus"), Some(want), "{r:?}");
        assert_eq!(r.param("CallSid"), Some(call_sid.as_str()), "{r:?}");
        assert_eq!(r.param("AccountSid"), Some(ACCOUNT_SID), "{r:?}");
        assert_eq!(r.param("To"), Some(NUMBER), "{r:?}");
        assert_eq!(
            r.param("CallbackSource"),
            Some("call-progress-events"),
            "{r:?}"
        );
        let ts = r
            .param("Timestamp")
            .unwrap_or_else(|| panic!("no Timestamp: {r:?}"));
        // RFC 2822 date, as Twilio sends it: "Tue, 21 Nov 2026 06:56:03 +0000".
        assert!(
            ts.len() >= 29 && ts.as_bytes()[3] == b',' && ts.ends_with("+0000"),
            "Timestamp {ts:?}"
        );
        if want != "completed" {
            assert_eq!(r.param("CallDuration"), None, "{r:?}");
        }
    }
    // 2.5 s before the digit and 3 s of WAV: at least 3 s connected.
    let completed = status[3];
    let duration: u32 = completed
        .param("CallDuration")
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("no CallDuration: {completed:?}"));
    assert!(duration >= 3, "{completed:?}");
    // Delivery order is event order.
    assert!(status.windows(2).all(|w| w[0].time <= w[1].time));
    Ok(())
}

#[test]
fn without_status_callback_event_only_completed_is_sent() -> anyhow::Result<()> {
    let hook = gather_play_hook()?;
    let mut number = NumberConfig::webhook(NUMBER, ACCOUNT_SID, &hook.base_url());
    number.status_callback = Some(hook.url("/status"));
    number.status_callback_event = None;
    let mut config = NodeConfig::new();
    config.numbers.push(number);
    let node = Node::start(config)?;
    one_gather_call(&node)?;

    hook.wait_for(Duration::from_secs(5), |r| !statuses(r).is_empty())?;
    // Wait a little longer so a late extra callback would be seen too.
    std::thread::sleep(Duration::from_secs(1));
    let all = hook.requests()?;
    let status = statuses(&all);
    assert_eq!(status.len(), 1, "{status:#?}");
    let r = status[0];
    assert!(r.signature_valid, "{r:?}");
    assert_eq!(r.param("CallStatus"), Some("completed"), "{r:?}");
    assert!(
        r.param("SequenceNumber")
            .is_some_and(|s| s.parse::<u32>().is_ok()),
        "{r:?}"
    );
    assert!(
        r.param("CallDuration")
            .and_then(|d| d.parse::<u32>().ok())
            .is_some_and(|d| d >= 3),
        "{r:?}"
    );
    Ok(())
}

#[test]
fn the_media_cache_fetches_a_wav_once_for_two_calls() -> anyhow::Result<()> {
    let hook = gather_play_hook()?;
    let node = Node::start(NodeConfig::new().with_webhook(&hook.base_url()))?;
    // 3 s of WAV: 150 packets of 20 ms; each call must hear at least 90 % of them.
    let expected = 150;
    for call in 1..=2 {
        let (out, packets) = call_with_capture(&node, "uac_gather.xml", &[])?;
        assert!(out.success(), "call {call}: sipp failed: {out}");
        let heard = tone_packets(&packets);
        assert!(
            heard * 10 >= expected * 9,
            "call {call}: only {heard} of {expected} tone packets ({} packets in all)",
            packets.len()
        );
    }
    assert_eq!(hook.requests_to("/gathered")?.len(), 2);
    // The peer answers with Cache-Control: max-age=60, so the second call is served from
    // the cache without even a conditional request.
    let fetches = hook.requests_to("/audio/tone.wav")?;
    assert_eq!(
        fetches.len(),
        1,
        "tone.wav requested {} times: {:?}",
        fetches.len(),
        fetches
            .iter()
            .map(|r| (&r.method, r.status))
            .collect::<Vec<_>>()
    );
    Ok(())
}
