//! What the caller hears, as 8 kHz PCM: each received G.711 packet decoded and placed by
//! its RTP timestamp, so a gap in the far end's stream (silence it did not send, a lost
//! packet) stays a gap of the right length.

use switchyard_media::g711::{decode_frame, G711};
use switchyard_rtp::RtpHeader;

/// The received audio of one call.
#[derive(Debug)]
pub struct Recording {
    codec: G711,
    /// The timestamp of the first packet: sample 0.
    first: Option<u32>,
    samples: Vec<i16>,
    /// Samples beyond this are dropped (the call's length bound).
    limit: usize,
}

impl Recording {
    pub fn new(codec: G711, limit: usize) -> Recording {
        Recording {
            codec,
            first: None,
            samples: Vec::new(),
            limit,
        }
    }

    /// One received audio packet.
    pub fn packet(&mut self, header: &RtpHeader, payload: &[u8]) {
        let first = *self.first.get_or_insert(header.timestamp);
        // RFC 3550 §5.1: timestamps wrap; a packet from before the first one (reordered)
        // has a "negative" offset and is dropped.
        let offset = header.timestamp.wrapping_sub(first);
        if offset > i32::MAX as u32 {
            return;
        }
        let start = offset as usize;
        let mut pcm = Vec::with_capacity(payload.len());
        decode_frame(self.codec, payload, &mut pcm);
        let end = (start + pcm.len()).min(self.limit);
        if end <= start {
            return;
        }
        if self.samples.len() < end {
            self.samples.resize(end, 0);
        }
        self.samples[start..end].copy_from_slice(&pcm[..end - start]);
    }

    pub fn codec(&self) -> G711 {
        self.codec
    }

    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(switchyard_media::SAMPLE_RATE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_media::ulaw_encode;

    fn header(sequence: u16, timestamp: u32) -> RtpHeader {
        RtpHeader {
            marker: false,
            payload_type: 0,
            sequence,
            timestamp,
            ssrc: switchyard_rtp::Ssrc(1),
        }
    }

    #[test]
    fn packets_land_at_their_timestamps_and_gaps_stay_silent() {
        let mut r = Recording::new(G711::Ulaw, 8000);
        let loud = vec![ulaw_encode(8000); 160];
        r.packet(&header(1, u32::MAX - 159), &loud);
        // Two frames later, across the timestamp wrap: one frame of silence between.
        r.packet(&header(3, 160), &loud);
        assert_eq!(r.samples().len(), 480);
        assert!(r.samples()[..160].iter().all(|&s| s > 7000));
        assert!(r.samples()[160..320].iter().all(|&s| s == 0));
        assert!(r.samples()[320..].iter().all(|&s| s > 7000));
        // A reordered packet from before the first one is dropped.
        r.packet(&header(0, u32::MAX - 319), &loud);
        assert_eq!(r.samples().len(), 480);
    }

    #[test]
    fn the_limit_bounds_the_recording() {
        let mut r = Recording::new(G711::Ulaw, 200);
        r.packet(&header(1, 0), &[0xff; 160]);
        r.packet(&header(2, 160), &[0xff; 160]);
        r.packet(&header(3, 320), &[0xff; 160]);
        assert_eq!(r.samples().len(), 200);
        assert!((r.seconds() - 0.025).abs() < 1e-9);
    }
}
