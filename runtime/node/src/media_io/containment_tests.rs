//! Tenant transcoders in the media engine under containment: 50 bridged calls run the
//! `agc` example on their callers' legs while, on the same workers, legs with
//! transcoders that loop, trap, grow their memory and return oversized frames are
//! bypassed. Every one of the 50 callees keeps hearing its caller's tone, whole and at
//! the AGC's level, and the bad legs' audio passes unchanged once bypassed.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use switchyard_media::tone::goertzel_power;
use switchyard_rtp::{parse_rtp, write_rtp, Codec, RtpHeader, Ssrc};
use switchyard_wasm::{
    AppLimits, CompiledTranscoder, HostConfig, Level, LogSink, TranscoderContext, WasmHost,
};

use super::transcode_tests::{phone, Phone};
use super::{MediaCommand, MediaEngine, TenantTranscoder};

const CLEAN_CALLS: usize = 50;
const BAD: [&str; 4] = ["tc-looper", "tc-trapper", "tc-grower", "tc-oversized"];
const FRAMES: usize = 100;

/// Log lines at warn and above, as the node's notifying sink would record them.
#[derive(Default)]
struct Notices(Mutex<Vec<(String, String)>>);

impl LogSink for Notices {
    fn log(&self, app: &str, call: &str, level: Level, message: &str) {
        if level >= Level::Warn {
            let mut lines = self.0.lock().unwrap();
            lines.push((app.to_owned(), format!("{call}: {message}")));
        }
    }
}

fn compile(host: &WasmHost, name: &str) -> CompiledTranscoder {
    let bytes = switchyard_e2e::wasm::component(name, None).unwrap();
    let limits = AppLimits {
        cpu: Duration::from_millis(1),
        memory: 16 << 20,
        ..host_config().default_limits()
    };
    host.compile_transcoder(&bytes, limits).unwrap()
}

fn host_config() -> HostConfig {
    let dir = std::env::temp_dir().join(format!("sy-containment-{}", std::process::id()));
    HostConfig {
        max_instances: 16,
        ..HostConfig::new(dir)
    }
}

/// A caller leg with `transcoder` bridged to a callee leg.
fn call(
    engine: &MediaEngine,
    transcoder: &CompiledTranscoder,
    app: &str,
    sid: usize,
    log: &Arc<Notices>,
) -> (Phone, Phone) {
    let caller = phone(engine, Codec::Pcmu, None);
    let callee = phone(engine, Codec::Pcmu, Some(&caller.media.link()));
    caller
        .media
        .send(MediaCommand::Transcoder(Box::new(TenantTranscoder {
            compiled: transcoder.clone(),
            ctx: TranscoderContext {
                app_name: app.to_owned(),
                call_sid: format!("CA{sid:032}"),
                log: log.clone(),
            },
        })));
    caller
        .media
        .send(MediaCommand::Bridge(Some(callee.media.link())));
    callee
        .media
        .send(MediaCommand::Bridge(Some(caller.media.link())));
    (caller, callee)
}

/// A 440 Hz tone at about −30 dBFS in µ-law, one 20 ms frame.
fn tone_frame(i: usize) -> Vec<u8> {
    let pcm: Vec<i16> = (0..160)
        .map(|n| {
            let t = (i * 160 + n) as f64 / 8000.0;
            (1465.0 * (std::f64::consts::TAU * 440.0 * t).sin()) as i16
        })
        .collect();
    let mut out = Vec::new();
    switchyard_media::encode_frame(switchyard_media::G711::Ulaw, &pcm, &mut out);
    out
}

fn dbfs(pcm: &[i16]) -> f64 {
    let ms: f64 = pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len() as f64;
    10.0 * (ms / 32768f64.powi(2)).log10()
}

#[test]
fn fifty_calls_keep_clean_audio_while_bad_transcoders_beside_them_are_bypassed() {
    let host = WasmHost::new(host_config()).unwrap();
    let agc = compile(&host, "agc");
    let engine = MediaEngine::with_workers(2).unwrap();
    let log = Arc::new(Notices::default());
    let mut calls: Vec<(Phone, Phone, &str)> = (0..CLEAN_CALLS)
        .map(|i| {
            let (a, b) = call(&engine, &agc, "agc", i, &log);
            (a, b, "agc")
        })
        .collect();
    for (i, bad) in BAD.iter().enumerate() {
        let compiled = compile(&host, bad);
        let (a, b) = call(&engine, &compiled, bad, CLEAN_CALLS + i, &log);
        calls.push((a, b, bad));
    }
    std::thread::sleep(Duration::from_millis(100));

    // Every caller's phone sends FRAMES of tone, paced at 20 ms, all calls at once; each
    // callee's phone decodes what it hears.
    let heard: Vec<Vec<i16>> = std::thread::scope(|s| {
        s.spawn(|| {
            let start = Instant::now();
            for i in 0..FRAMES {
                let payload = tone_frame(i);
                for (k, (caller, _, _)) in calls.iter().enumerate() {
                    let header = RtpHeader {
                        marker: i == 0,
                        payload_type: 0,
                        sequence: i as u16,
                        timestamp: 160 * i as u32,
                        ssrc: Ssrc(0x1000 + k as u32),
                    };
                    let mut packet = Vec::new();
                    write_rtp(&header, &payload, &mut packet);
                    let to = SocketAddr::from(([127, 0, 0, 1], caller.port));
                    caller.socket.send_to(&packet, to).unwrap();
                }
                let next = start + Duration::from_millis(20 * (i as u64 + 1));
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        });
        let listeners: Vec<_> = calls
            .iter()
            .map(|(_, callee, _)| {
                s.spawn(move || {
                    let end = Instant::now() + Duration::from_millis(20 * FRAMES as u64 + 600);
                    let mut pcm = Vec::new();
                    let mut buf = [0u8; 1500];
                    while Instant::now() < end {
                        if let Ok(n) = callee.socket.recv(&mut buf) {
                            if let Ok(p) = parse_rtp(&buf[..n]) {
                                if p.header.payload_type == 0 {
                                    pcm.extend(
                                        p.payload.iter().map(|&b| switchyard_media::ulaw_decode(b)),
                                    );
                                }
                            }
                        }
                    }
                    pcm
                })
            })
            .collect();
        listeners.into_iter().map(|l| l.join().unwrap()).collect()
    });

    for (k, ((_, _, app), pcm)) in calls.iter().zip(&heard).enumerate() {
        // The tone's last second, once the AGC has settled.
        let tail: Vec<i16> = pcm
            .chunks_exact(160)
            .filter(|f| dbfs(f) > -45.0)
            .skip(FRAMES / 2)
            .flatten()
            .copied()
            .collect();
        assert!(
            tail.len() >= 160 * 40,
            "call {k} ({app}): {} samples of tone",
            tail.len()
        );
        let power = goertzel_power(&tail, 440.0, 8000);
        let ms = tail.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / tail.len() as f64;
        let share = power / (ms / 2.0);
        assert!(share > 0.9, "call {k} ({app}): 440 Hz share {share:.2}");
        let level = dbfs(&tail);
        if *app == "agc" {
            assert!((level + 20.0).abs() < 3.0, "call {k}: {level:.1} dBFS");
        } else {
            // Bypassed: the caller's own −30 dBFS.
            assert!(
                (level + 30.0).abs() < 2.0,
                "call {k} ({app}): {level:.1} dBFS"
            );
        }
    }
    let notices = log.0.lock().unwrap();
    for bad in BAD {
        assert!(
            notices
                .iter()
                .any(|(app, line)| app == bad && line.contains("bypassed")),
            "{bad}: {notices:?}"
        );
    }
    assert!(
        !notices.iter().any(|(app, _)| app == "agc"),
        "a clean transcoder was reported: {notices:?}"
    );
}
