//! What one event looks like on NATS: its subject, its headers and its body.
//!
//! - Subject: `ev.<account>.<call>.<type>`, `-` for an event of no call. The type
//!   contains dots, so it comes last: `ev.<account>.>` is everything of one account.
//! - Headers: `Sw-Root` (the top-level account, which the subject does not carry and
//!   the router shards by) and `Sw-Node` (the publishing node, so each node's router
//!   knows which events are its own).
//! - Body: the event's wire form ([`Event::json`]) with the placeholder id `0:0:0`.
//!   The real id exists only once JetStream has stored the message: it is built from
//!   the stream sequence (`Nats-Sequence` on the republished copy, the consumer's
//!   metadata on replay), never read from the body.

use async_nats::HeaderMap;
use bytes::Bytes;
use switchyard_events::{Draft, Event, EventId};
use switchyard_types::AccountSid;

/// The subjects events are published on (the stream's subjects).
pub const SUBJECTS: &str = "ev.>";
/// Where the stream republishes what it stored, with the stream sequence in a header:
/// each node's one live subscription.
pub const LIVE_SUBJECTS: &str = "live.ev.>";
/// The header carrying the top-level account.
pub const ROOT: &str = "Sw-Root";
/// The header carrying the publishing node's id.
pub const NODE: &str = "Sw-Node";

/// The id the body carries before JetStream gives the real one.
const PLACEHOLDER: EventId = EventId::new(0, 0, 0);

/// The subject of a draft, or `None` when its type cannot be a subject's tail (empty,
/// an empty token, a wildcard or white space): publishing it would land on the wrong
/// subjects.
pub fn subject(draft: &Draft) -> Option<String> {
    let t = &draft.event_type;
    let valid = !t.is_empty()
        && t.split('.').all(|token| {
            !token.is_empty()
                && token
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'*' && b != b'>')
        });
    if !valid {
        return None;
    }
    let call = draft
        .call_sid
        .map_or_else(|| "-".to_owned(), |c| c.to_string());
    Some(format!("ev.{}.{call}.{t}", draft.account_sid))
}

/// Headers and body of a draft published by `node`.
pub fn encode(draft: Draft, node: &str) -> (HeaderMap, Bytes) {
    let mut headers = HeaderMap::new();
    headers.insert(ROOT, draft.root_sid.to_string().as_str());
    headers.insert(NODE, node);
    let body = Bytes::from(Event::new(PLACEHOLDER, draft).json().to_owned());
    (headers, body)
}

/// The top-level account a message's headers name.
pub fn root(headers: Option<&HeaderMap>) -> Option<AccountSid> {
    headers?.get(ROOT)?.as_str().parse().ok()
}

/// Whether the message was published by `node`.
pub fn from_node(headers: Option<&HeaderMap>, node: &str) -> bool {
    headers
        .and_then(|h| h.get(NODE))
        .is_some_and(|v| v.as_str() == node)
}

/// The event a stored message is, given its id and top-level account.
pub fn decode(body: &[u8], id: EventId, root_sid: AccountSid) -> Option<Event> {
    Some(Event::new(id, Draft::from_json(body, root_sid)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_types::CallSid;

    fn draft(event_type: &str) -> Draft {
        let account = AccountSid::random();
        Draft {
            account_sid: account,
            root_sid: AccountSid::random(),
            call_sid: Some(CallSid::random()),
            event_type: event_type.into(),
            timestamp_ms: 1_700_000_000_123,
            data: vec![("Digits".into(), "12#".into())],
        }
    }

    #[test]
    fn a_draft_round_trips_with_the_id_of_its_sequence() {
        let d = draft("gather.ended");
        let s = subject(&d).unwrap();
        let call = d.call_sid.unwrap();
        assert_eq!(s, format!("ev.{}.{call}.gather.ended", d.account_sid));
        let (headers, body) = encode(d.clone(), "n1");
        assert!(from_node(Some(&headers), "n1"));
        assert!(!from_node(Some(&headers), "n2"));
        let root = root(Some(&headers)).unwrap();
        assert_eq!(root, d.root_sid);
        let id = EventId::new(5, 0, 42);
        let e = decode(&body, id, root).unwrap();
        assert_eq!(e, Event::new(id, d));
    }

    #[test]
    fn an_event_of_no_call_has_a_dash_and_bad_types_have_no_subject() {
        let mut d = draft("account.updated");
        d.call_sid = None;
        assert_eq!(
            subject(&d).unwrap(),
            format!("ev.{}.-.account.updated", d.account_sid)
        );
        for bad in ["", "call..x", "call.*", "a.>", "a b", ".x", "x."] {
            assert_eq!(subject(&draft(bad)), None, "{bad:?}");
        }
    }
}
