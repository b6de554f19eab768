//! Passes ten frames, then allocates without bound: the memory limit must stop it.

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
        loop {
            // Reserved, not filled: growing is the point, and filling a MiB would
            // spend the frame's CPU budget before the memory limit is reached.
            let block = Vec::with_capacity(1 << 20);
            self.hoard.push(std::hint::black_box(block));
        }
    }
}

export_transcoder!(Bad);
