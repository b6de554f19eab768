//! `switchyard dial`, the built-in caller, against the demo node: it is answered, presses
//! 2 and records the demo's prompt and the read-back of that digit.

use std::process::Command;

use anyhow::{ensure, Result};
use switchyard_e2e::audio::{rms, Wav};
use switchyard_e2e::node::node_binary;
use switchyard_e2e::{Node, NodeConfig, NUMBER};

/// RMS above this is speech; the demo's TTS speaks at several thousand, silence is 0.
const SPEECH: f64 = 300.0;

/// The RMS of the recording between `from` and `to` seconds.
fn loudness(wav: &Wav, from: f64, to: f64) -> f64 {
    let at = |s: f64| ((s * f64::from(wav.rate)) as usize).min(wav.samples.len());
    rms(&wav.samples[at(from)..at(to)])
}

#[test]
fn dial_records_the_demo_prompt_and_the_digit_read_back() -> Result<()> {
    let node = Node::start(NodeConfig::demo())?;
    let dir = tempfile::tempdir()?;
    let wav_path = dir.path().join("out.wav");
    let out = Command::new(node_binary()?)
        .args(["dial", NUMBER, "--to", &node.sip_target(), "--digits", "2"])
        .arg("--record")
        .arg(&wav_path)
        .args(["--seconds", "15"])
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = format!(
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    ensure!(out.status.code() == Some(0), "{}: {report}", out.status);
    for line in [
        "Final response: 200 OK",
        "Digits sent:    2",
        // The demo hangs up after the read-back; the caller did not have to.
        "Hung up by:     the far end",
    ] {
        ensure!(stdout.contains(line), "no {line:?} in {report}");
    }

    let wav = Wav::read(&wav_path)?;
    assert_eq!(wav.rate, 8000);
    let seconds = wav.seconds();
    // The prompt until the key (3 s after the answer), then "You pressed 2. Goodbye.";
    // without the key the demo would speak on, wait 5 s and say goodbye (past 10 s).
    ensure!(
        (4.5..9.0).contains(&seconds),
        "recorded {seconds:.1} s; {report}"
    );
    let prompt = loudness(&wav, 0.3, 2.5);
    ensure!(prompt > SPEECH, "no prompt before the key: RMS {prompt:.0}");
    let read_back = loudness(&wav, 3.6, seconds - 0.2);
    ensure!(
        read_back > SPEECH,
        "no read-back after the key: RMS {read_back:.0}"
    );
    Ok(())
}
