//! Passes ten frames, then loops forever: the CPU budget must stop it within the frame.

use switchyard_sdk::{export_transcoder, Frame, StreamFormat, Transcoder};

/// Frames passed before the misbehaviour (the 11th frame starts at this timestamp at 8 kHz).
const GOOD_UNTIL: u32 = 1600;

struct Bad {
    #[allow(dead_code)]
    hoard: Vec<Vec<u8>>,
}

impl Transcoder for Bad {
    fn new(_input: StreamFormat, _output: StreamFormat) -> Self {
        Bad { hoard: Vec::new() }
    }

    fn process(&mut self, frame: Frame) -> Vec<Frame> {
        if frame.timestamp < GOOD_UNTIL {
            return vec![frame];
        }
        let mut n = u64::from(frame.timestamp);
        loop {
            // black_box keeps the optimiser from proving the loop pointless.
            n = std::hint::black_box(n.wrapping_mul(6364136223846793005).wrapping_add(1));
            if n == 42 && frame.marker {
                return vec![frame];
            }
        }
    }
}

export_transcoder!(Bad);
