//! SIP over TLS with SRTP (SDES): baresip calls the demo app over TLS with mandatory
//! SRTP and hears its prompt while the wire carries only ciphertext; a plain-RTP offer
//! over TLS is refused with 488.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rustls::pki_types::{CertificateDer, ServerName};
use switchyard_e2e::audio::{rms, Wav};
use switchyard_e2e::{free_udp_block, Capture, Node, NodeConfig, ACCOUNT_SID};

use super::audible_packets;

const DEMO: &str = "+15550001111";

/// A node listening for TLS, with the demo number bound to its own demo app.
fn tls_node() -> Result<Node> {
    let node = Node::start(NodeConfig {
        sip_tls: true,
        ..NodeConfig::new()
    })?;
    let voice_url = node.http_url("/demo/voice");
    let r = switchyard_e2e::http::request(
        "POST",
        &node.http_url(&format!(
            "/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json"
        )),
    )
    .basic_auth(ACCOUNT_SID, switchyard_e2e::AUTH_TOKEN)
    .send_form(&[("PhoneNumber", DEMO), ("VoiceUrl", voice_url.as_str())])?;
    anyhow::ensure!(r.status == 201 || r.status == 200, "number: {}", r.text());
    Ok(node)
}

/// Shannon entropy of a byte string, in bits per byte (8 for uniform random bytes).
fn entropy(bytes: &[u8]) -> f64 {
    let mut counts = [0usize; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// baresip's config directory: TLS account with mandatory SRTP, PCMU only, audio
/// through a virtual device, and `sndfile` writing what it decodes to `rec`.
fn baresip_config(dir: &Path, rec: &Path, rtp_port: u16) -> Result<()> {
    switchyard_e2e::baresip::configure(
        dir,
        rec,
        rtp_port,
        &["g711", "srtp"],
        "aubridge,x",
        "<sip:tester@127.0.0.1;transport=tls>;regint=0;mediaenc=srtp-mand;audio_codecs=PCMU",
    )
}

#[test]
fn baresip_over_tls_with_mandatory_srtp_hears_the_demo_and_the_wire_carries_no_plaintext(
) -> Result<()> {
    let node = tls_node()?;
    let tls_port = node.sip_tls_port().context("TLS port")?;
    let dir = tempfile::tempdir()?;
    let rec = dir.path().join("rec");
    std::fs::create_dir_all(&rec)?;
    let rtp_port = free_udp_block(2)?;
    baresip_config(dir.path(), &rec, rtp_port)?;

    let capture = Capture::start(rtp_port)?;
    let out = Command::new("timeout")
        .args(["40", "baresip", "-f"])
        .arg(dir.path())
        .args([
            "-e",
            &format!("/dial sip:{DEMO}@127.0.0.1:{tls_port};transport=tls"),
            "-t",
            "12",
        ])
        .output()
        .context("running baresip (scripts/install-deps --test installs it)")?;
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let wire = capture.stop()?;

    // The call went over TLS and SDES keyed SRTP with the 80-bit suite.
    assert!(
        said.contains("SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)"),
        "{said}"
    );
    assert!(said.contains("Call established"), "{said}");

    // What baresip decrypted and decoded is the prompt: seconds of speech.
    let recording = std::fs::read_dir(&rec)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
        .with_context(|| format!("no decoded recording; baresip said:\n{said}"))?;
    let wav = Wav::read(&recording)?;
    assert!(wav.seconds() > 8.0, "recorded {} s", wav.seconds());
    let speech_frames = wav
        .samples
        .chunks(wav.rate as usize / 50)
        .filter(|f| rms(f) > 300.0)
        .count();
    // The greeting lasts about five seconds; at least two of them must be heard.
    assert!(
        speech_frames >= 100,
        "{speech_frames} frames of speech in {} s",
        wav.seconds()
    );

    // The wire: every packet to baresip's RTP port is SRTP. As plain µ-law the same
    // prompt would have silent packets and a skewed byte histogram; ciphertext has
    // neither.
    assert!(wire.len() >= 300, "{} packets captured", wire.len());
    let payload: Vec<u8> = wire.iter().flat_map(|p| p.payload.clone()).collect();
    let wire_entropy = entropy(&payload);
    assert!(
        wire_entropy > 7.95,
        "wire payload entropy {wire_entropy:.3} bits/byte"
    );
    assert_eq!(
        audible_packets(&wire),
        wire.len(),
        "an encrypted packet never decodes as near-silent µ-law"
    );
    // The control: the recording encoded as µ-law, what plaintext RTP would carry.
    let mut plain = Vec::new();
    switchyard_media::g711::encode_frame(switchyard_media::G711::Ulaw, &wav.samples, &mut plain);
    let plain_entropy = entropy(&plain);
    eprintln!(
        "{} packets, wire entropy {wire_entropy:.3}, plaintext entropy {plain_entropy:.3}, \
         {speech_frames} speech frames in {:.1} s",
        wire.len(),
        wav.seconds()
    );
    assert!(
        plain_entropy < 7.5,
        "plaintext µ-law of the prompt has entropy {plain_entropy:.3}"
    );
    Ok(())
}

/// A TLS client trusting the node's self-signed SIP certificate from its data
/// directory (the certificate names 127.0.0.1).
fn tls_connect(node: &Node) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    let cert = std::fs::read(node.data_dir().join("sip-tls-cert.der"))?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(cert))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("127.0.0.1")?.to_owned();
    let conn = rustls::ClientConnection::new(Arc::new(config), name)?;
    let tcp = TcpStream::connect(("127.0.0.1", node.sip_tls_port().context("TLS port")?))?;
    tcp.set_read_timeout(Some(Duration::from_millis(200)))?;
    Ok(rustls::StreamOwned::new(conn, tcp))
}

fn invite(node: &Node, local: &str, sdp: &str) -> String {
    let tls = node.sip_tls_port().unwrap_or_default();
    format!(
        "INVITE sip:{DEMO}@127.0.0.1:{tls};transport=tls SIP/2.0\r\n\
         Via: SIP/2.0/TLS {local};branch=z9hG4bK-tls-{}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:tester@127.0.0.1>;tag=t1\r\n\
         To: <sip:{DEMO}@127.0.0.1>\r\n\
         Call-ID: tls-{}@127.0.0.1\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:tester@{local};transport=tls>\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{sdp}",
        std::process::id(),
        std::process::id(),
        sdp.len()
    )
}

/// Read responses until a final one; every response read, in order.
fn responses(stream: &mut impl Read, limit: Duration) -> Result<Vec<String>> {
    let deadline = Instant::now() + limit;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&buf).into_owned();
        let all: Vec<String> = text
            .split("SIP/2.0 ")
            .filter(|s| !s.is_empty())
            .map(|s| format!("SIP/2.0 {s}"))
            .collect();
        if all.iter().any(|r| {
            r.get(8..11)
                .and_then(|c| c.parse::<u16>().ok())
                .is_some_and(|c| c >= 200)
        }) {
            return Ok(all);
        }
        if Instant::now() > deadline {
            bail!("no final response within {limit:?}: {text}");
        }
        match stream.read(&mut chunk) {
            Ok(0) => bail!("connection closed: {text}"),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

#[test]
fn a_plain_rtp_offer_over_tls_is_refused_with_488() -> Result<()> {
    let node = tls_node()?;
    let mut tls = tls_connect(&node)?;
    let local = tls.sock.local_addr()?.to_string();
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";
    tls.write_all(invite(&node, &local, sdp).as_bytes())?;
    tls.flush()?;
    let got = responses(&mut tls, Duration::from_secs(10))?;
    let last = got.last().context("a response")?;
    assert!(last.starts_with("SIP/2.0 488"), "{got:?}");
    // The response came back over the connection the INVITE used, naming its Via.
    assert!(last.contains("Via: SIP/2.0/TLS"), "{last}");
    Ok(())
}

#[test]
fn a_savp_offer_over_tls_is_answered_with_srtp_and_a_tls_contact() -> Result<()> {
    let node = tls_node()?;
    let mut tls = tls_connect(&node)?;
    let local = tls.sock.local_addr()?.to_string();
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               m=audio 4000 RTP/SAVP 0\r\n\
               a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n";
    tls.write_all(invite(&node, &local, sdp).as_bytes())?;
    tls.flush()?;
    let got = responses(&mut tls, Duration::from_secs(10))?;
    let ok = got
        .iter()
        .find(|r| r.starts_with("SIP/2.0 200"))
        .with_context(|| format!("{got:?}"))?;
    assert!(ok.contains("m=audio "), "{ok}");
    assert!(ok.contains(" RTP/SAVP 0"), "{ok}");
    assert!(
        ok.contains("a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:"),
        "{ok}"
    );
    let tls_port = node.sip_tls_port().unwrap_or_default();
    assert!(
        ok.contains(&format!("@127.0.0.1:{tls_port};transport=tls>")),
        "the Contact names the TLS port and transport: {ok}"
    );
    Ok(())
}
