//! Returns every frame as it came: what the host costs per frame, guest work aside.

use switchyard_sdk::{export_transcoder, Frame, StreamFormat, Transcoder};

struct Passthrough;

impl Transcoder for Passthrough {
    fn new(_input: StreamFormat, _output: StreamFormat) -> Self {
        Passthrough
    }

    fn process(&mut self, frame: Frame) -> Vec<Frame> {
        vec![frame]
    }
}

export_transcoder!(Passthrough);
