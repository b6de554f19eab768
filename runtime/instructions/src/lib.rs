//! The typed verb model and its TwiML front door.
//!
//! Every TwiML voice verb and noun is a plain Rust type here, with Twilio's
//! attribute names (in `snake_case`), value types and defaults. Webhook apps reach
//! this model through [`parse_twiml`]; Wasm apps will build it directly. One model,
//! two front doors, so the executor never sees XML.
//!
//! ```
//! use switchyard_instructions::{parse_twiml, Verb};
//!
//! let verbs = parse_twiml(
//!     r#"<Response><Gather numDigits="1"><Say>Press one</Say></Gather></Response>"#,
//! )
//! .unwrap();
//! let Verb::Gather(gather) = &verbs[0] else { panic!() };
//! assert_eq!(gather.num_digits, Some(1));
//! assert_eq!(gather.timeout, 5);
//! ```

mod attrs;
mod document;
mod error;
mod keywords;
mod nouns;
mod print;
mod verbs;
mod xml;

pub use document::{parse_twiml, parse_twiml_bytes, to_twiml};
pub use error::Error;
pub use keywords::{CallEvent, HttpMethod, RecordingEvent, RecordingTrack, Trim};
pub use nouns::{
    AnsweringMachineDetection, Client, Conference, ConferenceBeep, ConferenceEvent,
    ConferenceRecord, JitterBufferSize, LegCallbacks, MachineDetection, Number, Parameter, Queue,
    Sip, Stream, StreamTrack, MAX_PARTICIPANTS, MAX_QUEUE_NAME,
};
pub use verbs::{
    Connect, Dial, DialRecord, DialTarget, Enqueue, Gather, GatherChild, GatherInput, Message,
    Pause, Play, Record, Redirect, Refer, Reject, RejectReason, Say, SpeechTimeout, SsmlElement,
    SsmlNode, SsmlTag, Start, Stop, Task, Verb, DEFAULT_LANGUAGE, DEFAULT_VOICE,
    RECORD_FINISH_KEYS,
};
