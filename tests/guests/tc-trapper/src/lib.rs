//! Passes ten frames, then panics: the trap must bypass it.

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
        panic!("tc-trapper gives up at timestamp {}", frame.timestamp)
    }
}

export_transcoder!(Bad);
