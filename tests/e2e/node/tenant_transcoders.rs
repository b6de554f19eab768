//! Tenant transcoders on a number's calls (`VoiceTranscoder=app:NAME`): the `agc`
//! example raises a quiet caller to its target level in what the callee hears, and the
//! `dtmf-mute` example removes the caller's in-band DTMF tones from the bridged audio
//! while the rest passes.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use switchyard_e2e::audio::{rms, Wav};
use switchyard_e2e::phone::wav_window;
use switchyard_e2e::wasm::{component, deploy_ok};
use switchyard_e2e::{CalleeOptions, Node, Phone, PhoneOptions, ACCOUNT_SID, AUTH_TOKEN};
use switchyard_media::tone::goertzel_power;

use super::dial::{dial_app, dial_callee};

const RATE: u32 = 8000;
const TRANSCODED: &str = "+15550002222";

/// A sine of `freq` Hz at `dbfs` RMS (relative to full scale, as the examples measure).
fn sine(freq: f64, dbfs: f64, seconds: f64) -> Vec<i16> {
    let amplitude = 32768.0 * 10f64.powf(dbfs / 20.0) * std::f64::consts::SQRT_2;
    (0..(seconds * f64::from(RATE)) as usize)
        .map(|i| {
            (amplitude * (std::f64::consts::TAU * freq * i as f64 / f64::from(RATE)).sin()) as i16
        })
        .collect()
}

fn dbfs(samples: &[i16]) -> f64 {
    20.0 * (rms(samples) / 32768.0).log10()
}

/// A node whose number `TRANSCODED` dials a PCMU callee with `transcoder` on the
/// caller's leg; the caller plays `play`; returns what the callee recorded and the
/// node's notifications after the call.
fn call_through(transcoder: &str, play: &[i16], dir: &Path) -> Result<Wav> {
    Ok(call_with_notes(transcoder, play, dir)?.0)
}

fn call_with_notes(
    transcoder: &str,
    play: &[i16],
    dir: &Path,
) -> Result<(Wav, Vec<serde_json::Value>)> {
    let callee_wav = dir.join("callee.wav");
    let callee = Phone::listen(&CalleeOptions {
        record: Some(callee_wav.clone()),
        codecs: vec!["PCMU".into()],
        ..Default::default()
    })?;
    let (_docs, hook, node) = dial_callee(&callee)?;
    let kind = [("Kind", "transcoder")];
    deploy_ok(&node, transcoder, &component(transcoder, None)?, &kind)?;
    number(&node, &hook.base_url(), transcoder)?;

    let wav = dir.join("play.wav");
    std::fs::write(&wav, switchyard_media::wav_bytes(play, RATE))?;
    let caller = Phone::call(
        &node.sip_uri(TRANSCODED),
        "",
        None,
        &PhoneOptions {
            play: Some(wav),
            codecs: vec!["PCMU".into()],
            hangup_after: Some(Duration::from_secs(7)),
            ..Default::default()
        },
    )?;
    assert!(caller.completed(), "caller: {caller:?}");
    let callee = callee.wait()?;
    assert!(callee.completed(), "callee: {callee:?}");
    Ok((Wav::read(&callee_wav)?, super::notifications(&node)?))
}

fn number(node: &Node, base: &str, transcoder: &str) -> Result<()> {
    let r = switchyard_e2e::http::request(
        "POST",
        &node.http_url(&format!(
            "/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json"
        )),
    )
    .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
    .send_form(&[
        ("PhoneNumber", TRANSCODED),
        ("VoiceUrl", &format!("{base}/voice")),
        ("VoiceTranscoder", &format!("app:{transcoder}")),
    ])?;
    anyhow::ensure!(r.status == 201, "number: {} {}", r.status, r.text());
    Ok(())
}

#[test]
fn agc_on_the_number_raises_a_quiet_caller_to_its_target() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let quiet = sine(440.0, -30.0, 10.0);
    assert!((dbfs(&quiet) + 30.0).abs() < 0.2, "{:.1}", dbfs(&quiet));
    let heard = call_through("agc", &quiet, dir.path())?;
    // After the AGC settles, the tone reaches the callee at about −20 dBFS (the
    // example's target); untouched it would stay near −30 (G.711 keeps levels).
    let window = wav_window(&heard, Duration::from_secs(3)..Duration::from_secs(5));
    let level = dbfs(window);
    eprintln!("the callee hears the caller at {level:.1} dBFS");
    assert!((level + 20.0).abs() < 3.0, "heard at {level:.1} dBFS");
    let share = goertzel_power(window, 440.0, heard.rate) / (rms(window).powi(2) / 2.0);
    assert!(share > 0.5, "440 Hz share {share:.2}");
    Ok(())
}

#[test]
fn dtmf_mute_removes_in_band_keys_from_the_bridged_audio() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // One second of a 440 Hz tone, then half a second of key 5 (770 + 1336 Hz), over
    // and over.
    let mut play = Vec::new();
    for _ in 0..8 {
        play.extend(sine(440.0, -20.0, 1.0));
        let (low, high) = (sine(770.0, -23.0, 0.5), sine(1336.0, -23.0, 0.5));
        play.extend(low.iter().zip(&high).map(|(a, b)| a.saturating_add(*b)));
    }
    let key_power = |s: &[i16]| goertzel_power(s, 770.0, RATE) + goertzel_power(s, 1336.0, RATE);
    let sent_keys = key_power(&play[8000..12000]);
    let heard = call_through("dtmf-mute", &play, dir.path())?;

    // What the callee heard from 2 s on: the 440 Hz tone is there, the keys are not.
    let from = 2 * heard.rate as usize;
    let heard_tail = &heard.samples[from.min(heard.samples.len())..];
    let frames: Vec<&[i16]> = heard_tail.chunks_exact(160).collect();
    let tone_frames = frames
        .iter()
        .filter(|f| goertzel_power(f, 440.0, RATE) > 4.0 * key_power(f) && rms(f) > 500.0)
        .count();
    let key_frames = frames
        .iter()
        .filter(|f| rms(f) > 200.0 && key_power(f) > goertzel_power(f, 440.0, RATE))
        .count();
    // The same count on what the caller played, over as many frames.
    let sent_key_frames = play
        .chunks_exact(160)
        .take(frames.len())
        .filter(|f| rms(f) > 200.0 && key_power(f) > goertzel_power(f, 440.0, RATE))
        .count();
    eprintln!(
        "{} frames: {tone_frames} of the tone, {key_frames} of keys ({sent_key_frames} sent)",
        frames.len()
    );
    assert!(
        tone_frames >= 100,
        "{tone_frames} frames of the 440 Hz tone heard"
    );
    assert!(
        sent_keys > 1000.0 && sent_key_frames >= 100,
        "the played audio has keys"
    );
    // A frame that straddles the start of a key may pass before the detector sees a
    // whole frame of it; every other key frame is muted.
    assert!(
        key_frames * 10 <= sent_key_frames,
        "{key_frames} frames of DTMF heard of {sent_key_frames} sent"
    );
    Ok(())
}

/// Acceptance 5, in calls: a transcoder that loops, traps, grows its memory or returns
/// oversized frames is taken out of the stream on its first bad frame (each guest
/// behaves for its first second), the account gets a notification naming the app, the
/// call and the reason, and the call goes on with its audio passing unchanged.
#[test]
fn a_misbehaving_transcoder_is_bypassed_with_a_notice_and_the_call_goes_on() -> Result<()> {
    let tone = sine(440.0, -20.0, 10.0);
    for (guest, reason) in [
        ("tc-looper", "CPU budget"),
        ("tc-trapper", "trapped"),
        ("tc-grower", "memory limit"),
        ("tc-oversized", "samples for one frame"),
    ] {
        let dir = tempfile::tempdir()?;
        let (heard, notes) = call_with_notes(guest, &tone, dir.path())?;
        let note = notes
            .iter()
            .find(|n| {
                n["message_text"]
                    .as_str()
                    .is_some_and(|m| m.contains(reason))
            })
            .unwrap_or_else(|| panic!("{guest}: no notice of {reason:?} in {notes:#?}"));
        let text = note["message_text"].as_str().unwrap_or_default();
        assert!(text.contains(guest), "{guest}: {text}");
        assert!(note["call_sid"].is_string(), "{guest}: {note}");
        let window = wav_window(&heard, Duration::from_secs(3)..Duration::from_secs(5));
        let level = dbfs(window);
        assert!(
            (level + 20.0).abs() < 2.0,
            "{guest}: heard at {level:.1} dBFS"
        );
        let share = goertzel_power(window, 440.0, heard.rate) / (rms(window).powi(2) / 2.0);
        assert!(share > 0.8, "{guest}: 440 Hz share {share:.2}");
    }
    Ok(())
}

/// The `<Dial>` noun's `transcoder` runs on the dialled leg: the callee's quiet tone
/// reaches the caller at the AGC's target.
#[test]
fn agc_on_a_dialled_leg_raises_a_quiet_callee() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let wav = dir.path().join("quiet.wav");
    std::fs::write(
        &wav,
        switchyard_media::wav_bytes(&sine(600.0, -30.0, 10.0), RATE),
    )?;
    let callee = Phone::listen(&CalleeOptions {
        play: Some(wav),
        codecs: vec!["PCMU".into()],
        ..Default::default()
    })?;
    let voice = format!(
        "<Response><Dial><Sip transcoder=\"app:agc\">{}</Sip></Dial></Response>",
        callee.uri()
    );
    let (_docs, _hook, node) = dial_app(&[("voice", voice)], "")?;
    deploy_ok(
        &node,
        "agc",
        &component("agc", None)?,
        &[("Kind", "transcoder")],
    )?;
    let caller_wav = dir.path().join("caller.wav");
    let caller = Phone::call(
        &node.sip_uri(switchyard_e2e::NUMBER),
        "",
        Some(&caller_wav),
        &PhoneOptions {
            codecs: vec!["PCMU".into()],
            hangup_after: Some(Duration::from_secs(7)),
            ..Default::default()
        },
    )?;
    assert!(caller.completed(), "caller: {caller:?}");
    let heard = Wav::read(&caller_wav)?;
    let window = wav_window(&heard, Duration::from_secs(4)..Duration::from_secs(6));
    let level = dbfs(window);
    eprintln!("the caller hears the callee at {level:.1} dBFS");
    assert!((level + 20.0).abs() < 3.0, "heard at {level:.1} dBFS");
    let share = goertzel_power(window, 600.0, heard.rate) / (rms(window).powi(2) / 2.0);
    assert!(share > 0.5, "600 Hz share {share:.2}");
    Ok(())
}
