//! The nouns `<Dial>` connects to, and `<Stream>` of `<Start>`/`<Connect>`.

mod client;
mod common;
mod conference;
mod number;
mod queue;
mod sip;
mod stream;

pub use client::Client;
pub use common::{AnsweringMachineDetection, LegCallbacks, MachineDetection, Parameter};
pub use conference::{
    Conference, ConferenceBeep, ConferenceEvent, ConferenceRecord, JitterBufferSize,
    MAX_PARTICIPANTS,
};
pub use number::Number;
pub(crate) use queue::check_queue_name;
pub use queue::{Queue, MAX_QUEUE_NAME};
pub use sip::Sip;
pub use stream::{Stream, StreamTrack};
