//! Passes ten frames, then sleeps: a wait no CPU budget counts, which the host must
//! refuse rather than let it hold the media thread.

use std::time::Duration;

use switchyard_sdk::{export_transcoder, Frame, StreamFormat, Transcoder};

/// Frames passed before the misbehaviour (the 11th frame starts at this timestamp at 8 kHz).
const GOOD_UNTIL: u32 = 1600;

struct Sleeper;

impl Transcoder for Sleeper {
    fn new(_input: StreamFormat, _output: StreamFormat) -> Self {
        Sleeper
    }

    fn process(&mut self, frame: Frame) -> Vec<Frame> {
        if frame.timestamp >= GOOD_UNTIL {
            std::thread::sleep(Duration::from_millis(200));
        }
        vec![frame]
    }
}

export_transcoder!(Sleeper);
