//! Node → server: the messages Twilio sends to a stream's WebSocket server.
//!
//! Twilio: "sequenceNumber: Number used to keep track of message sending order. The
//! first message has a value of 1 and then is incremented for each subsequent message."
//! `connected` carries none; `start` is "1". `media.chunk`: "The first message will
//! begin with 1 and increment with each subsequent message" (per track).
//! `media.timestamp`: "Presentation Timestamp in Milliseconds from the start of the
//! stream." Numbers in these fields are strings, as Twilio sends them.

use base64::Engine;
use serde::Serialize;

/// One direction of the call's audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Track {
    /// What the caller says.
    Inbound,
    /// What the caller hears.
    Outbound,
}

impl Track {
    /// The name in `start.tracks` and `media.track`.
    pub fn as_str(self) -> &'static str {
        match self {
            Track::Inbound => "inbound",
            Track::Outbound => "outbound",
        }
    }

    fn index(self) -> usize {
        match self {
            Track::Inbound => 0,
            Track::Outbound => 1,
        }
    }
}

/// What the `start` message says about the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamStart {
    /// `MZ…`.
    pub stream_sid: String,
    pub account_sid: String,
    pub call_sid: String,
    /// The tracks `media` messages will carry.
    pub tracks: Vec<Track>,
    /// The `<Parameter>`s of the `<Stream>`, in document order.
    pub custom_parameters: Vec<(String, String)>,
}

/// Builds one stream's messages, counting sequence numbers and chunks.
#[derive(Debug)]
pub struct Outgoing {
    start: StreamStart,
    /// The last sequence number used.
    sequence: u64,
    /// The last chunk number per track.
    chunks: [u64; 2],
}

#[derive(Serialize)]
struct Connected {
    event: &'static str,
    protocol: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a, B: Serialize> {
    event: &'static str,
    sequence_number: String,
    #[serde(flatten)]
    body: B,
    stream_sid: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StartBody<'a> {
    start: StartInfo<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StartInfo<'a> {
    stream_sid: &'a str,
    account_sid: &'a str,
    call_sid: &'a str,
    tracks: Vec<&'static str>,
    custom_parameters: serde_json::Map<String, serde_json::Value>,
    media_format: MediaFormat,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MediaFormat {
    encoding: &'static str,
    sample_rate: u32,
    channels: u32,
}

#[derive(Serialize)]
struct MediaBody<'a> {
    media: Media<'a>,
}

#[derive(Serialize)]
struct Media<'a> {
    track: &'static str,
    chunk: String,
    timestamp: String,
    payload: &'a str,
}

#[derive(Serialize)]
struct DtmfBody {
    dtmf: Dtmf,
}

#[derive(Serialize)]
struct Dtmf {
    track: &'static str,
    digit: String,
}

#[derive(Serialize)]
struct MarkBody<'a> {
    mark: Mark<'a>,
}

#[derive(Serialize)]
struct Mark<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct StopBody<'a> {
    stop: StopInfo<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StopInfo<'a> {
    account_sid: &'a str,
    call_sid: &'a str,
}

impl Outgoing {
    pub fn new(start: StreamStart) -> Self {
        Outgoing {
            start,
            sequence: 0,
            chunks: [0; 2],
        }
    }

    /// The stream's `MZ…`.
    pub fn stream_sid(&self) -> &str {
        &self.start.stream_sid
    }

    /// The first message, as soon as the socket is open: the protocol and its version.
    pub fn connected(&self) -> String {
        to_json(&Connected {
            event: "connected",
            protocol: "Call",
            version: "1.0.0",
        })
    }

    /// The stream's metadata, once, right after `connected`.
    pub fn start(&mut self) -> String {
        let Outgoing {
            start: s, sequence, ..
        } = self;
        let body = StartBody {
            start: StartInfo {
                stream_sid: &s.stream_sid,
                account_sid: &s.account_sid,
                call_sid: &s.call_sid,
                tracks: s.tracks.iter().map(|t| t.as_str()).collect(),
                custom_parameters: s
                    .custom_parameters
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect(),
                media_format: MediaFormat {
                    encoding: "audio/x-mulaw",
                    sample_rate: 8000,
                    channels: 1,
                },
            },
        };
        envelope(sequence, &s.stream_sid, "start", body)
    }

    /// One frame of `track` (µ-law, 8 kHz), captured `timestamp_ms` after the stream
    /// started.
    pub fn media(&mut self, track: Track, timestamp_ms: u64, mulaw: &[u8]) -> String {
        let chunk = &mut self.chunks[track.index()];
        *chunk += 1;
        let chunk = chunk.to_string();
        let payload = base64::engine::general_purpose::STANDARD.encode(mulaw);
        let body = MediaBody {
            media: Media {
                track: track.as_str(),
                chunk,
                timestamp: timestamp_ms.to_string(),
                payload: &payload,
            },
        };
        self.envelope("media", body)
    }

    /// A key the caller pressed (bidirectional streams only).
    pub fn dtmf(&mut self, digit: char) -> String {
        let body = DtmfBody {
            dtmf: Dtmf {
                track: "inbound_track",
                digit: digit.to_string(),
            },
        };
        self.envelope("dtmf", body)
    }

    /// A mark the server sent, returned: the audio before it has played (or was
    /// cleared).
    pub fn mark(&mut self, name: &str) -> String {
        self.envelope(
            "mark",
            MarkBody {
                mark: Mark { name },
            },
        )
    }

    /// The last message: the stream ended (the call hung up, `<Stop>`, or the API).
    pub fn stop(&mut self) -> String {
        let Outgoing {
            start: s, sequence, ..
        } = self;
        let body = StopBody {
            stop: StopInfo {
                account_sid: &s.account_sid,
                call_sid: &s.call_sid,
            },
        };
        envelope(sequence, &s.stream_sid, "stop", body)
    }

    fn envelope<B: Serialize>(&mut self, event: &'static str, body: B) -> String {
        envelope(&mut self.sequence, &self.start.stream_sid, event, body)
    }
}

/// `body` with the fields every message but `connected` has, numbered next.
fn envelope<B: Serialize>(
    sequence: &mut u64,
    stream_sid: &str,
    event: &'static str,
    body: B,
) -> String {
    *sequence += 1;
    to_json(&Envelope {
        event,
        sequence_number: sequence.to_string(),
        body,
        stream_sid,
    })
}

fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("these messages hold only strings and maps")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn stream() -> Outgoing {
        Outgoing::new(StreamStart {
            stream_sid: "MZ18ad3ab5a668481ce02b83e7395059f0".into(),
            account_sid: "AC123".into(),
            call_sid: "CA123".into(),
            tracks: vec![Track::Inbound, Track::Outbound],
            custom_parameters: vec![("FirstName".into(), "Jane".into())],
        })
    }

    fn value(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn connected_then_start_exactly_as_twilio_documents_them() {
        let mut out = stream();
        assert_eq!(
            value(&out.connected()),
            json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        );
        assert_eq!(
            value(&out.start()),
            json!({
                "event": "start",
                "sequenceNumber": "1",
                "start": {
                    "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
                    "accountSid": "AC123",
                    "callSid": "CA123",
                    "tracks": ["inbound", "outbound"],
                    "customParameters": {"FirstName": "Jane"},
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
                },
                "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0"
            })
        );
    }

    #[test]
    fn media_counts_chunks_per_track_and_sequence_across_messages() {
        let mut out = stream();
        out.start();
        let a = value(&out.media(Track::Inbound, 0, &[0xFF; 160]));
        let b = value(&out.media(Track::Outbound, 0, &[0x7F; 160]));
        let c = value(&out.media(Track::Inbound, 20, &[1, 2, 3]));
        assert_eq!(a["sequenceNumber"], "2");
        assert_eq!(b["sequenceNumber"], "3");
        assert_eq!(c["sequenceNumber"], "4");
        assert_eq!(a["media"]["chunk"], "1");
        assert_eq!(b["media"]["chunk"], "1");
        assert_eq!(c["media"]["chunk"], "2");
        assert_eq!(b["media"]["track"], "outbound");
        assert_eq!(c["media"]["timestamp"], "20");
        assert_eq!(c["media"]["payload"], "AQID");
        assert_eq!(c["streamSid"], "MZ18ad3ab5a668481ce02b83e7395059f0");
        assert_eq!(c["event"], "media");
    }

    #[test]
    fn dtmf_mark_and_stop() {
        let mut out = stream();
        out.start();
        assert_eq!(
            value(&out.dtmf('#')),
            json!({"event": "dtmf", "sequenceNumber": "2", "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
                   "dtmf": {"track": "inbound_track", "digit": "#"}})
        );
        assert_eq!(
            value(&out.mark("said \"hi\"")),
            json!({"event": "mark", "sequenceNumber": "3", "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
                   "mark": {"name": "said \"hi\""}})
        );
        assert_eq!(
            value(&out.stop()),
            json!({"event": "stop", "sequenceNumber": "4", "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
                   "stop": {"accountSid": "AC123", "callSid": "CA123"}})
        );
    }
}
