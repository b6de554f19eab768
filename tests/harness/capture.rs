//! Watching RTP on the wire with tcpdump, independently of the node.
//!
//! The node cannot fake what tcpdump sees: packets are counted on the loopback
//! interface, not reported by the process that sent them.

use crate::pcap::{udp_datagrams, UdpDatagram};
use crate::process::Guarded;
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One RTP packet (RFC 3550 §5.1) captured on its way to the watched port.
#[derive(Debug, Clone, PartialEq)]
pub struct RtpPacket {
    /// Capture time, seconds since the Unix epoch (comparable with the webhook log).
    pub time: f64,
    /// Length of the whole UDP payload (RTP header included).
    pub len: usize,
    /// Sending UDP port.
    pub src_port: u16,
    /// The marker bit.
    pub marker: bool,
    /// The payload type (0 PCMU, 8 PCMA, 101 telephone-event in our SDP).
    pub payload_type: u8,
    /// Sequence number.
    pub seq: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
    /// The payload after the header, CSRCs, extension and padding.
    pub payload: Vec<u8>,
}

/// An RFC 4733 §2.3 telephone-event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code: 0–9 digits, 10 `*`, 11 `#`, 12–15 A–D.
    pub event: u8,
    /// The E bit: last packets of the event.
    pub end: bool,
    /// Volume in -dBm0 (0..=63).
    pub volume: u8,
    /// Duration so far, in timestamp units.
    pub duration: u16,
}

impl RtpPacket {
    /// Parses an RTP packet; `None` if it is not RTP version 2 or is truncated.
    pub fn parse(time: f64, src_port: u16, data: &[u8]) -> Option<RtpPacket> {
        if data.len() < 12 || data[0] >> 6 != 2 {
            return None;
        }
        let csrc = usize::from(data[0] & 0x0f);
        let mut start = 12 + 4 * csrc;
        if data[0] & 0x10 != 0 {
            let words = data.get(start + 2..start + 4)?;
            start += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
        }
        let mut end = data.len();
        if data[0] & 0x20 != 0 {
            end = end.checked_sub(usize::from(*data.last()?))?;
        }
        Some(RtpPacket {
            time,
            len: data.len(),
            src_port,
            marker: data[1] & 0x80 != 0,
            payload_type: data[1] & 0x7f,
            seq: u16::from_be_bytes([data[2], data[3]]),
            timestamp: u32::from_be_bytes([data[4], data[5], data[6], data[7]]),
            ssrc: u32::from_be_bytes([data[8], data[9], data[10], data[11]]),
            payload: data.get(start..end)?.to_vec(),
        })
    }

    /// The payload read as a telephone-event (meaningful only for its payload type).
    pub fn telephone_event(&self) -> Option<TelephoneEvent> {
        let p = self.payload.get(..4)?;
        Some(TelephoneEvent {
            event: p[0],
            end: p[1] & 0x80 != 0,
            volume: p[1] & 0x3f,
            duration: u16::from_be_bytes([p[2], p[3]]),
        })
    }
}

/// A running tcpdump on `lo` recording UDP datagrams sent to one port.
#[derive(Debug)]
pub struct Capture {
    port: u16,
    /// Watching what `port` sends rather than what it receives.
    from: bool,
    child: Guarded,
    pcap: PathBuf,
    stderr: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Capture {
    /// Starts capturing datagrams to 127.0.0.1:`port`, for at most 120 s.
    pub fn start(port: u16) -> Result<Capture> {
        Capture::start_for(port, Duration::from_secs(120))
    }

    /// Starts capturing; tcpdump is stopped by `timeout(1)` after `lifetime` even if
    /// this process dies without running destructors. Returns once tcpdump says it
    /// is listening, so no packet sent after this returns is missed.
    pub fn start_for(port: u16, lifetime: Duration) -> Result<Capture> {
        Capture::start_filtered(
            port,
            &format!("udp and dst host 127.0.0.1 and dst port {port}"),
            lifetime,
        )
    }

    /// Captures what is sent from `port` on 127.0.0.1 (e.g. the node's first RTP port,
    /// to see what its first call's caller is sent, whatever the caller's port).
    pub fn start_from(port: u16) -> Result<Capture> {
        Capture::start_filtered(
            port,
            &format!("udp and src host 127.0.0.1 and src port {port}"),
            Duration::from_secs(120),
        )
    }

    fn start_filtered(port: u16, filter: &str, lifetime: Duration) -> Result<Capture> {
        let dir = tempfile::tempdir()?;
        let pcap = dir.path().join("capture.pcap");
        let mut cmd = Command::new("timeout");
        cmd.arg("--signal=INT")
            .arg(format!("{}", lifetime.as_secs().max(1)))
            .arg("tcpdump")
            .args(["-i", "lo", "-n", "-U", "-s", "0"])
            // Without it libpcap hands packets over in blocks, up to a second late,
            // and a capture stopped right after the last packet would miss them.
            .arg("--immediate-mode");
        if running_as_root() {
            // tcpdump drops to its own user before opening the file; stay root so
            // it can write into our private temp dir.
            cmd.args(["-Z", "root"]);
        }
        cmd.arg("-w")
            .arg(&pcap)
            .arg(filter)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = Guarded::spawn(cmd, "tcpdump")?;
        let stderr = child.child_mut().stderr.take().context("tcpdump stderr")?;
        let text = Arc::new(Mutex::new(String::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let sink = Arc::clone(&text);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("listening on") {
                    let _ = ready_tx.send(());
                }
                let mut t = sink.lock().unwrap_or_else(|e| e.into_inner());
                t.push_str(&line);
                t.push('\n');
            }
        });
        if ready_rx.recv_timeout(Duration::from_secs(10)).is_err() {
            let said = text.lock().unwrap_or_else(|e| e.into_inner()).clone();
            bail!("tcpdump did not start listening within 10 s (is it installed? are we root?): {said}");
        }
        Ok(Capture {
            port,
            from: filter.contains("src port"),
            child,
            pcap,
            stderr: text,
            _dir: dir,
        })
    }

    /// The watched port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops tcpdump (SIGINT, so it flushes) and returns the RTP packets it saw, in
    /// capture order. Datagrams that are not RTP version 2 are left out.
    pub fn stop(self) -> Result<Vec<RtpPacket>> {
        Ok(self
            .stop_raw()?
            .into_iter()
            .filter_map(|d| RtpPacket::parse(d.time_us as f64 / 1e6, d.src.1, &d.payload))
            .collect())
    }

    /// Stops tcpdump and returns every UDP datagram it saw.
    pub fn stop_raw(mut self) -> Result<Vec<UdpDatagram>> {
        // A short grace period lets packets already in flight on lo be written.
        std::thread::sleep(Duration::from_millis(100));
        if self.child.try_wait()?.is_none() {
            self.child.signal("INT")?;
            if self.child.wait_timeout(Duration::from_secs(5))?.is_none() {
                self.child.kill();
            }
        }
        let bytes = std::fs::read(&self.pcap).with_context(|| {
            let said = self
                .stderr
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            format!("reading {} (tcpdump said: {said})", self.pcap.display())
        })?;
        let (port, from) = (self.port, self.from);
        Ok(udp_datagrams(&bytes)?
            .into_iter()
            .filter(|d| {
                if from {
                    d.src.1 == port
                } else {
                    d.dst.1 == port
                }
            })
            .collect())
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_csrc_extension_and_padding() {
        let mut p = vec![
            0xb1, 0xe5, 0x01, 0x02, 0, 0, 0x03, 0x20, 0xde, 0xad, 0xbe, 0xef,
        ];
        p.extend([0, 0, 0, 9]); // one CSRC
        p.extend([0xbe, 0xde, 0, 1, 1, 2, 3, 4]); // extension of one word
        p.extend([0x05, 0x8a, 0x01, 0x40]); // telephone-event: 5, end, vol 10, 320
        p.extend([0, 0, 3]); // padding of three
        let r = RtpPacket::parse(1.5, 4000, &p).unwrap();
        assert!(r.marker);
        assert_eq!(r.payload_type, 101);
        assert_eq!(r.seq, 0x0102);
        assert_eq!(r.timestamp, 800);
        assert_eq!(r.ssrc, 0xdead_beef);
        assert_eq!(r.payload, vec![0x05, 0x8a, 0x01, 0x40]);
        let ev = r.telephone_event().unwrap();
        assert_eq!(
            (ev.event, ev.end, ev.volume, ev.duration),
            (5, true, 10, 320)
        );
    }

    #[test]
    fn rejects_non_rtp() {
        assert!(RtpPacket::parse(0.0, 1, &[0x40; 20]).is_none());
        assert!(RtpPacket::parse(0.0, 1, &[0x80; 8]).is_none());
    }
}
