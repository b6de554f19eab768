//! WIT steps (the `step-handler` world's answer, and the first case of an
//! `instruction`) to the node's [`Verb`] model: a `verb` case as [`crate::verbs`]
//! converts it, the instructions appended after it here, with the defaults TwiML gives
//! an absent attribute.

use switchyard_instructions as ins;
use switchyard_instructions::Verb;

use crate::bindings::wit;
use crate::verbs::{method, opt, verb, verb_size, ITEM_OVERHEAD};

/// Approximate bytes of `steps`: their strings plus [`ITEM_OVERHEAD`] per item.
#[cfg(test)]
fn size(steps: &[wit::Step]) -> usize {
    steps.iter().map(step_size).sum()
}

fn stream_size(s: &wit::WebsocketStream) -> usize {
    let parameters: usize = s
        .parameters
        .iter()
        .map(|(n, v)| ITEM_OVERHEAD + n.len() + v.len())
        .sum();
    ITEM_OVERHEAD + s.url.len() + opt(&s.name) + opt(&s.status_callback) + parameters
}

pub(crate) fn step_size(s: &wit::Step) -> usize {
    match s {
        wit::Step::Verb(v) => verb_size(v),
        wit::Step::StartStream(s) => stream_size(s),
        wit::Step::StopStream(name) => ITEM_OVERHEAD + name.len(),
        wit::Step::ConnectStream(c) => ITEM_OVERHEAD + opt(&c.action) + stream_size(&c.stream),
    }
}

/// The node's verbs for `steps`.
#[cfg(test)]
fn convert(steps: Vec<wit::Step>) -> Vec<Verb> {
    steps.into_iter().map(step).collect()
}

pub(crate) fn step(s: wit::Step) -> Verb {
    match s {
        wit::Step::Verb(v) => verb(v),
        wit::Step::StartStream(s) => Verb::Start(ins::Start {
            action: None,
            method: ins::HttpMethod::Post,
            stream: stream(s),
        }),
        wit::Step::StopStream(name) => Verb::Stop(ins::Stop { name }),
        wit::Step::ConnectStream(c) => Verb::Connect(ins::Connect {
            action: c.action,
            method: method(c.method),
            // "The only track a connected stream takes": what the caller says.
            stream: ins::Stream {
                track: ins::StreamTrack::Inbound,
                ..stream(c.stream)
            },
        }),
    }
}

fn stream(s: wit::WebsocketStream) -> ins::Stream {
    ins::Stream {
        url: s.url,
        name: s.name,
        track: match s.track {
            wit::StreamTrack::InboundTrack => ins::StreamTrack::Inbound,
            wit::StreamTrack::OutboundTrack => ins::StreamTrack::Outbound,
            wit::StreamTrack::BothTracks => ins::StreamTrack::Both,
        },
        status_callback: s.status_callback,
        status_callback_method: method(s.status_callback_method),
        parameters: s
            .parameters
            .into_iter()
            .map(|(name, value)| ins::Parameter { name, value })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fork(track: wit::StreamTrack) -> wit::WebsocketStream {
        wit::WebsocketStream {
            url: "wss://bot.example.com/media".into(),
            name: Some("fork".into()),
            track,
            status_callback: Some("/status".into()),
            status_callback_method: wit::HttpMethod::Get,
            parameters: vec![("agent".into(), "7".into())],
        }
    }

    #[test]
    fn streams_become_start_stop_and_connect() {
        let out = convert(vec![
            wit::Step::Verb(wit::Verb::Hangup),
            wit::Step::StartStream(fork(wit::StreamTrack::BothTracks)),
            wit::Step::StopStream("fork".into()),
            wit::Step::ConnectStream(wit::ConnectStream {
                action: Some("/after".into()),
                method: wit::HttpMethod::Post,
                stream: fork(wit::StreamTrack::BothTracks),
            }),
        ]);
        assert_eq!(out[0], Verb::Hangup);
        let Verb::Start(start) = &out[1] else {
            panic!("{:?}", out[1])
        };
        assert_eq!(start.stream.url, "wss://bot.example.com/media");
        assert_eq!(start.stream.name.as_deref(), Some("fork"));
        assert_eq!(start.stream.track, ins::StreamTrack::Both);
        assert_eq!(start.stream.status_callback.as_deref(), Some("/status"));
        assert_eq!(start.stream.status_callback_method, ins::HttpMethod::Get);
        assert_eq!(
            start.stream.parameters,
            vec![ins::Parameter {
                name: "agent".into(),
                value: "7".into()
            }]
        );
        assert_eq!(
            out[2],
            Verb::Stop(ins::Stop {
                name: "fork".into()
            })
        );
        let Verb::Connect(connect) = &out[3] else {
            panic!("{:?}", out[3])
        };
        assert_eq!(connect.action.as_deref(), Some("/after"));
        assert_eq!(connect.stream.track, ins::StreamTrack::Inbound);
    }

    #[test]
    fn size_counts_the_stream_strings() {
        let s = fork(wit::StreamTrack::InboundTrack);
        let expected = ITEM_OVERHEAD + s.url.len() + 4 + 7 + ITEM_OVERHEAD + 5 + 1;
        assert_eq!(size(&[wit::Step::StartStream(s)]), expected);
        assert_eq!(
            size(&[wit::Step::StopStream("ab".into())]),
            ITEM_OVERHEAD + 2
        );
    }
}
