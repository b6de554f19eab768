//! RFC 4733 telephone events: the 4-byte payload, digit codes and the receiving detector.

use std::collections::VecDeque;

use crate::{Error, RtpHeader, Ssrc};

/// The payload of one telephone-event packet (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfPayload {
    /// The event code (0-9, 10 `*`, 11 `#`, 12-15 `A`-`D` for DTMF).
    pub event: u8,
    /// The E bit: this packet reports the end of the event.
    pub end: bool,
    /// Power level in -dBm0, 0-63.
    pub volume: u8,
    /// Duration so far, in timestamp units, counted from the event's RTP timestamp.
    pub duration: u16,
}

impl DtmfPayload {
    /// Parses the first four bytes of a telephone-event payload.
    pub fn parse(payload: &[u8]) -> Result<Self, Error> {
        let [event, flags, d0, d1, ..] = *payload else {
            return Err(Error::DtmfTooShort(payload.len()));
        };
        Ok(DtmfPayload {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3f,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    /// Appends the 4-byte payload to `out`. The R bit is always written as zero.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(self.event);
        out.push((u8::from(self.end) << 7) | (self.volume & 0x3f));
        out.extend_from_slice(&self.duration.to_be_bytes());
    }
}

/// The RFC 4733 §3.2 event code of a DTMF digit.
pub fn digit_to_event(digit: char) -> Result<u8, Error> {
    match digit.to_ascii_uppercase() {
        d @ '0'..='9' => Ok(d as u8 - b'0'),
        '*' => Ok(10),
        '#' => Ok(11),
        d @ 'A'..='D' => Ok(d as u8 - b'A' + 12),
        _ => Err(Error::NotADtmfDigit(digit)),
    }
}

/// The DTMF digit of an event code, or `None` for non-DTMF events (tones, flash, …).
pub fn event_to_digit(event: u8) -> Option<char> {
    match event {
        0..=9 => Some(char::from(b'0' + event)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + event - 12)),
        _ => None,
    }
}

/// The event currently being received.
#[derive(Debug, Clone, Copy)]
struct Current {
    ssrc: Ssrc,
    timestamp: u32,
    digit: char,
    reported: bool,
}

/// Turns received telephone-event packets into digits, one per event.
///
/// The node feeds it only packets whose payload type is the negotiated telephone-event
/// type. Packets of an event older than the current one (reordered) are ignored.
#[derive(Debug, Clone, Default)]
pub struct DtmfDetector {
    current: Option<Current>,
    ready: VecDeque<char>,
}

impl DtmfDetector {
    /// A detector that has seen no event.
    pub fn new() -> Self {
        Self::default()
    }

    /// Processes one telephone-event packet and returns a digit when an event is
    /// complete. In the rare case that one packet completes two events (the previous
    /// one never showed its end), the second digit is returned by the next call to
    /// `push` or [`DtmfDetector::flush`].
    pub fn push(&mut self, header: &RtpHeader, payload: &[u8]) -> Option<char> {
        self.process(header, payload);
        self.ready.pop_front()
    }

    fn process(&mut self, header: &RtpHeader, payload: &[u8]) {
        let Ok(event) = DtmfPayload::parse(payload) else {
            return;
        };
        let Some(digit) = event_to_digit(event.event) else {
            return;
        };
        // RFC 4733 §2.5.2.2 (paraphrased): the receiver identifies an event by its RTP
        // timestamp; packets with a new timestamp begin a new event.
        let same_event = matches!(self.current, Some(c)
            if c.ssrc == header.ssrc && c.timestamp == header.timestamp);
        if !same_event {
            if let Some(prev) = self.current {
                // Timestamps only move forward within one source: a packet stamped before
                // the current event is a late copy of an event we already handled.
                let older = prev.ssrc == header.ssrc
                    && (header.timestamp.wrapping_sub(prev.timestamp) as i32) < 0;
                if older {
                    return;
                }
                if !prev.reported {
                    // Its end packets were all lost, but the new event proves it ended.
                    self.ready.push_back(prev.digit);
                }
            }
            self.current = Some(Current {
                ssrc: header.ssrc,
                timestamp: header.timestamp,
                digit,
                reported: false,
            });
        }
        let Some(current) = self.current.as_mut() else {
            return;
        };
        // RFC 4733 §2.5.1.4: "The final packet for each event and for each segment SHOULD
        // be sent a total of three times at the interval used by the source for updates."
        // Only the first end packet counts; `reported` silences the retransmissions.
        if event.end && !current.reported {
            current.reported = true;
            self.ready.push_back(current.digit);
        }
    }

    /// Reports a digit still pending: one held back by `push`, or an event whose end
    /// packet never arrived. The node calls this when the telephone-event stream has
    /// been quiet for a while (e.g. 200 ms) or the call ends.
    pub fn flush(&mut self) -> Option<char> {
        if let Some(d) = self.ready.pop_front() {
            return Some(d);
        }
        match self.current.as_mut() {
            Some(c) if !c.reported => {
                c.reported = true;
                Some(c.digit)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(ts: u32, seq: u16) -> RtpHeader {
        RtpHeader {
            marker: false,
            payload_type: 101,
            sequence: seq,
            timestamp: ts,
            ssrc: Ssrc(7),
        }
    }

    fn pl(event: u8, end: bool, duration: u16) -> Vec<u8> {
        let mut v = Vec::new();
        DtmfPayload {
            event,
            end,
            volume: 10,
            duration,
        }
        .write(&mut v);
        v
    }

    #[test]
    fn payload_round_trips() {
        let p = DtmfPayload {
            event: 11,
            end: true,
            volume: 63,
            duration: 0x1234,
        };
        let mut v = Vec::new();
        p.write(&mut v);
        assert_eq!(v, [11, 0xbf, 0x12, 0x34]);
        assert_eq!(DtmfPayload::parse(&v), Ok(p));
        assert_eq!(DtmfPayload::parse(&v[..3]), Err(Error::DtmfTooShort(3)));
    }

    #[test]
    fn digit_codes_map_both_ways() {
        for (d, e) in [
            ('0', 0),
            ('9', 9),
            ('*', 10),
            ('#', 11),
            ('A', 12),
            ('D', 15),
        ] {
            assert_eq!(digit_to_event(d), Ok(e));
            assert_eq!(event_to_digit(e), Some(d));
        }
        assert_eq!(digit_to_event('b'), Ok(13));
        assert_eq!(digit_to_event('x'), Err(Error::NotADtmfDigit('x')));
        assert_eq!(event_to_digit(16), None);
    }

    #[test]
    fn reports_once_on_first_end_packet() {
        let mut d = DtmfDetector::new();
        assert_eq!(d.push(&hdr(100, 1), &pl(5, false, 160)), None);
        assert_eq!(d.push(&hdr(100, 2), &pl(5, false, 320)), None);
        assert_eq!(d.push(&hdr(100, 3), &pl(5, true, 480)), Some('5'));
        assert_eq!(d.push(&hdr(100, 4), &pl(5, true, 480)), None);
        assert_eq!(d.push(&hdr(100, 5), &pl(5, true, 480)), None);
        assert_eq!(d.flush(), None);
    }

    #[test]
    fn reports_an_unterminated_event_when_the_next_one_starts() {
        let mut d = DtmfDetector::new();
        assert_eq!(d.push(&hdr(100, 1), &pl(1, false, 160)), None);
        assert_eq!(d.push(&hdr(900, 9), &pl(2, false, 160)), Some('1'));
        assert_eq!(d.push(&hdr(900, 10), &pl(2, true, 320)), Some('2'));
    }

    #[test]
    fn one_packet_completing_two_events_reports_both_in_order() {
        let mut d = DtmfDetector::new();
        d.push(&hdr(100, 1), &pl(3, false, 160));
        assert_eq!(d.push(&hdr(900, 9), &pl(4, true, 160)), Some('3'));
        assert_eq!(d.flush(), Some('4'));
        assert_eq!(d.flush(), None);
    }

    #[test]
    fn ignores_late_packets_of_an_older_event_and_non_dtmf_events() {
        let mut d = DtmfDetector::new();
        assert_eq!(d.push(&hdr(900, 9), &pl(6, true, 160)), Some('6'));
        assert_eq!(d.push(&hdr(100, 1), &pl(1, true, 160)), None);
        assert_eq!(d.push(&hdr(2000, 20), &pl(16, true, 160)), None);
        assert_eq!(d.push(&hdr(2000, 21), &[1, 2]), None);
    }

    #[test]
    fn same_digit_twice_is_two_events() {
        let mut d = DtmfDetector::new();
        assert_eq!(d.push(&hdr(100, 1), &pl(7, true, 160)), Some('7'));
        assert_eq!(d.push(&hdr(1000, 5), &pl(7, true, 160)), Some('7'));
    }

    #[test]
    fn flush_reports_an_event_without_end() {
        let mut d = DtmfDetector::new();
        d.push(&hdr(100, 1), &pl(8, false, 160));
        assert_eq!(d.flush(), Some('8'));
        assert_eq!(d.flush(), None);
        assert_eq!(d.push(&hdr(100, 2), &pl(8, true, 320)), None);
    }
}
