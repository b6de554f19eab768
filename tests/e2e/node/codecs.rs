//! Opus end to end: baresip (Opus only) hears the demo's speech in wideband; 48 kHz
//! RFC 4733 digits drive a `<Gather>`; baresip (Opus only) `<Dial>`s pjsua2 (PCMU only)
//! and each hears the other's tone through the transcoding bridge.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use switchyard_e2e::audio::{band_share, rms, Wav};
use switchyard_e2e::phone::tone_report;
use switchyard_e2e::{
    free_udp_block, CalleeOptions, Capture, Node, NodeConfig, Phone, ACCOUNT_SID, AUTH_TOKEN,
    NUMBER,
};

use super::dial::{dial_app, dial_callee, one_request};
use super::raw_ua::{final_response, offer, tag_of, RawUa};

const DEMO: &str = "+15550001111";

/// baresip speaking Opus only (no G.711 module loaded), its audio from `source`,
/// what it decodes written into `rec`.
fn baresip(dir: &Path, rec: &Path, rtp_port: u16, source: &str) -> Result<()> {
    switchyard_e2e::baresip::configure(
        dir,
        rec,
        rtp_port,
        &["opus"],
        source,
        "<sip:tester@127.0.0.1>;regint=0;audio_codecs=opus",
    )
}

/// baresip dials `uri` and stays `seconds` in the call.
fn baresip_dial(dir: &Path, uri: &str, seconds: u32) -> Result<Output> {
    Command::new("timeout")
        .args([&(seconds + 25).to_string(), "baresip", "-f"])
        .arg(dir)
        .args(["-e", &format!("/dial {uri}"), "-t", &seconds.to_string()])
        .output()
        .context("running baresip (scripts/install-deps --test installs it)")
}

fn decoded_recording(rec: &Path, said: &str) -> Result<PathBuf> {
    std::fs::read_dir(rec)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
        .with_context(|| format!("no decoded recording; baresip said:\n{said}"))
}

/// `samples` at `rate` down to 8 kHz and back, as a narrowband leg would carry them.
fn through_8_khz(samples: &[i16], rate: u32) -> Vec<i16> {
    use switchyard_media::resample::{to_f32, to_i16, Resampler};
    let convert = |input: &[f32], from: u32, to: u32| {
        let mut r = Resampler::new(from, to);
        let mut out = Vec::new();
        r.process(input, &mut out);
        r.finish(&mut out);
        out
    };
    let input: Vec<f32> = samples.iter().map(|&s| to_f32(s)).collect();
    let narrow = convert(&input, rate, 8000);
    convert(&narrow, 8000, rate)
        .into_iter()
        .map(to_i16)
        .collect()
}

fn said(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// Acceptance 1: the answer chooses Opus, and what baresip decodes of the demo's
/// greeting is wideband speech: a real share of its energy lies above 4 kHz, which no
/// G.711 path can carry.
#[test]
fn an_opus_caller_hears_the_demo_in_wideband() -> Result<()> {
    let node = Node::start(NodeConfig::new())?;
    let voice_url = node.http_url("/demo/voice");
    let r = switchyard_e2e::http::request(
        "POST",
        &node.http_url(&format!(
            "/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json"
        )),
    )
    .basic_auth(ACCOUNT_SID, AUTH_TOKEN)
    .send_form(&[("PhoneNumber", DEMO), ("VoiceUrl", voice_url.as_str())])?;
    anyhow::ensure!(r.status == 201 || r.status == 200, "number: {}", r.text());

    let dir = tempfile::tempdir()?;
    let rec = dir.path().join("rec");
    std::fs::create_dir_all(&rec)?;
    let rtp_port = free_udp_block(2)?;
    baresip(dir.path(), &rec, rtp_port, "aubridge,x")?;
    let capture = Capture::start(rtp_port)?;
    let out = baresip_dial(dir.path(), &node.sip_uri(DEMO), 10)?;
    let said = said(&out);
    let wire = capture.stop()?;
    assert!(said.contains("Call established"), "{said}");

    // baresip numbered Opus 96 in its offer; the node's packets carry it.
    assert!(wire.len() >= 200, "{} packets", wire.len());
    let opus = wire.iter().filter(|p| p.payload_type == 96).count();
    assert!(
        opus * 10 >= wire.len() * 9,
        "{opus} of {} packets are Opus",
        wire.len()
    );

    let wav = Wav::read(&decoded_recording(&rec, &said)?)?;
    let frame = wav.rate as usize / 50;
    let speech: Vec<i16> = wav
        .samples
        .chunks_exact(frame)
        .filter(|f| rms(f) > 300.0)
        .flatten()
        .copied()
        .collect();
    let seconds = speech.len() as f64 / f64::from(wav.rate);
    assert!(seconds >= 2.0, "{seconds:.1} s of speech heard");
    let high = band_share(&speech, wav.rate, 4500.0..7800.0);
    eprintln!(
        "{seconds:.1} s of speech at {} Hz; {:.2} % of its energy in 4.5-7.8 kHz",
        wav.rate,
        high * 100.0
    );
    // The control: the same recording through an 8 kHz path (what a G.711 leg
    // carries) keeps next to nothing there.
    let narrow = through_8_khz(&speech, wav.rate);
    let narrow_high = band_share(&narrow, wav.rate, 4500.0..7800.0);
    eprintln!("through 8 kHz: {:.3} %", narrow_high * 100.0);
    assert!(
        narrow_high < 0.0001,
        "{:.4} % through 8 kHz",
        narrow_high * 100.0
    );
    assert!(
        high > 0.003 && high > 30.0 * narrow_high,
        "{:.3} % above 4 kHz, {:.3} % through 8 kHz",
        high * 100.0,
        narrow_high * 100.0
    );
    Ok(())
}

/// Acceptance 1, digits: an Opus offer with only a 48 kHz telephone-event gets it in
/// the answer, and a key sent as 48 kHz RFC 4733 events completes a `<Gather>`.
#[test]
fn rfc_4733_digits_at_48_khz_drive_a_gather() -> Result<()> {
    let gather = "<Response><Gather numDigits=\"1\" action=\"/gathered\" timeout=\"15\">\
                  <Say>Press a key.</Say></Gather></Response>";
    let (_docs, hook, node) = dial_app(
        &[
            ("voice", gather.into()),
            ("gathered", "<Response><Hangup/></Response>".into()),
        ],
        "",
    )?;
    let ua = RawUa::new()?;
    let media = std::net::UdpSocket::bind("127.0.0.1:0")?;
    let sdp = offer(
        media.local_addr()?.port(),
        "111 110",
        "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n\
         a=rtpmap:110 telephone-event/48000\r\na=fmtp:110 0-16\r\n",
    );
    let uri = node.sip_uri(NUMBER);
    let invite = ua.request(
        "INVITE",
        &uri,
        "opus48",
        "opus48",
        1,
        None,
        Some("application/sdp"),
        &sdp,
    );
    let responses = ua.exchange(&node, &invite, "opus48")?;
    let ok = final_response(&responses);
    assert_eq!(ok.status, 200, "{responses:?}");
    let body = ok.text.split("\r\n\r\n").nth(1).unwrap_or_default();
    assert!(body.contains("a=rtpmap:111 opus/48000/2"), "{body}");
    assert!(
        body.contains("a=rtpmap:110 telephone-event/48000"),
        "{body}"
    );
    let port: u16 = body
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|l| l.split(' ').next())
        .and_then(|p| p.parse().ok())
        .context("answer's media port")?;
    let tag = ok.header("To").and_then(tag_of).map(str::to_owned);
    let ack = ua.request(
        "ACK",
        &uri,
        "opus48",
        "opus48ack",
        1,
        tag.as_deref(),
        None,
        "",
    );
    ua.sock.send_to(ack.as_bytes(), node.sip_target())?;

    // Key 5 pressed for 100 ms: events every 20 ms, durations in 48 kHz units, three
    // end packets (RFC 4733 §2.5.1.4).
    std::thread::sleep(Duration::from_millis(500));
    let node_media = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let durations = [960u16, 1920, 2880, 3840, 4800, 4800, 4800];
    for (i, duration) in durations.into_iter().enumerate() {
        let mut body = Vec::new();
        switchyard_rtp::DtmfPayload {
            event: 5,
            end: i >= 4,
            volume: 10,
            duration,
        }
        .write(&mut body);
        let header = switchyard_rtp::RtpHeader {
            marker: i == 0,
            payload_type: 110,
            sequence: 7 + i as u16,
            timestamp: 480_000,
            ssrc: switchyard_rtp::Ssrc(0x48_000),
        };
        let mut packet = Vec::new();
        switchyard_rtp::write_rtp(&header, &body, &mut packet);
        media.send_to(&packet, node_media)?;
        std::thread::sleep(Duration::from_millis(20));
    }
    let gathered = one_request(&hook, "/gathered")?;
    assert_eq!(gathered.param("Digits"), Some("5"), "{gathered:?}");
    Ok(())
}

/// Acceptance 2: baresip speaks only Opus, pjsua2 only PCMU. The node transcodes at
/// the leg boundary: each plays its tone and hears the other's, and nothing is refused.
#[test]
fn an_opus_caller_and_a_pcmu_callee_hear_each_others_tones() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let callee_wav = dir.path().join("callee.wav");
    let callee = Phone::listen(&CalleeOptions {
        answer_after: Duration::from_millis(500),
        tone: Some(1000.0),
        record: Some(callee_wav.clone()),
        codecs: vec!["PCMU".into()],
        ..Default::default()
    })?;
    let (_docs, _hook, node) = dial_callee(&callee)?;
    let rec = dir.path().join("rec");
    std::fs::create_dir_all(&rec)?;
    let rtp_port = free_udp_block(2)?;
    baresip(dir.path(), &rec, rtp_port, "ausine,600")?;
    let started = Instant::now();
    let out = baresip_dial(dir.path(), &node.sip_uri(NUMBER), 8)?;
    let said = said(&out);
    assert!(said.contains("Call established"), "{said}");
    assert!(!said.contains("488"), "{said}");
    let callee = callee.wait()?;
    assert!(
        callee.completed(),
        "callee: {callee:?} after {:?}",
        started.elapsed()
    );

    // The caller's recording (Opus decoded at 48 kHz): the callee's 1 kHz tone.
    let caller_wav = decoded_recording(&rec, &said)?;
    let window = Duration::from_secs(3)..Duration::from_secs(6);
    let theirs = tone_report(&caller_wav, 1000.0, window.clone())?;
    let own = tone_report(&caller_wav, 600.0, window.clone())?;
    assert!(
        theirs.share > 0.8 && theirs.rms > 1000.0,
        "caller heard {theirs:?}"
    );
    assert!(
        own.level < theirs.level / 10.0,
        "caller hears itself: {own:?}"
    );
    // The callee's recording (PCMU): baresip's 600 Hz tone.
    let theirs = tone_report(&callee_wav, 600.0, window.clone())?;
    let own = tone_report(&callee_wav, 1000.0, window)?;
    assert!(
        theirs.share > 0.8 && theirs.rms > 1000.0,
        "callee heard {theirs:?}"
    );
    assert!(
        own.level < theirs.level / 10.0,
        "callee hears itself: {own:?}"
    );
    Ok(())
}
