//! One event, as the router carries it and as subscribers receive it.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use serde_json::{Map, Value};
use switchyard_types::{AccountSid, CallSid};

use crate::id::EventId;

/// An event before the broker gives it an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub account_sid: AccountSid,
    /// The top-level account: the account itself, or its parent for a subaccount.
    /// Events are sharded by it so a parent's subscriber reads one sequence.
    pub root_sid: AccountSid,
    pub call_sid: Option<CallSid>,
    /// The catalogue name, `call.answered`, `gather.ended`, …
    pub event_type: String,
    /// Unix milliseconds.
    pub timestamp_ms: u64,
    pub data: Vec<(String, String)>,
}

/// An event with its id, and its JSON rendered once for every subscriber.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: EventId,
    pub account_sid: AccountSid,
    pub root_sid: AccountSid,
    pub call_sid: Option<CallSid>,
    pub event_type: String,
    pub timestamp_ms: u64,
    pub data: Vec<(String, String)>,
    json: Arc<str>,
    /// The SSE frame, rendered by the first subscriber that needs it and shared.
    sse: OnceLock<Bytes>,
}

impl Event {
    pub fn new(id: EventId, draft: Draft) -> Self {
        let json = render(&id, &draft).into();
        Self {
            id,
            account_sid: draft.account_sid,
            root_sid: draft.root_sid,
            call_sid: draft.call_sid,
            event_type: draft.event_type,
            timestamp_ms: draft.timestamp_ms,
            data: draft.data,
            json,
            sse: OnceLock::new(),
        }
    }

    /// The Server-Sent Events frame: `id:`, `event:` and one `data:` line (the JSON is
    /// one line: serde escapes newlines). Rendered once, whatever the subscriber count.
    pub fn sse_frame(&self) -> Bytes {
        self.sse
            .get_or_init(|| {
                Bytes::from(format!(
                    "id: {}\nevent: {}\ndata: {}\n\n",
                    self.id, self.event_type, self.json
                ))
            })
            .clone()
    }

    /// The wire form:
    /// `{"id","account_sid","call_sid","type","timestamp","data":{…}}`.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// A data value by name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Parse the wire form back (what clients read).
    pub fn from_json(text: &str, root_sid: AccountSid) -> Option<Self> {
        let v: Value = serde_json::from_str(text).ok()?;
        let id = v.get("id")?.as_str()?.parse().ok()?;
        Some(Self::new(id, Draft::from_value(&v, root_sid)?))
    }
}

impl Draft {
    /// The draft a wire-form event carries, its `id` aside (the NATS broker takes ids
    /// from the stream's sequence instead).
    pub fn from_json(body: &[u8], root_sid: AccountSid) -> Option<Self> {
        Self::from_value(&serde_json::from_slice(body).ok()?, root_sid)
    }

    fn from_value(v: &Value, root_sid: AccountSid) -> Option<Self> {
        Some(Self {
            account_sid: v.get("account_sid")?.as_str()?.parse().ok()?,
            root_sid,
            call_sid: match v.get("call_sid") {
                Some(Value::String(s)) => Some(s.parse().ok()?),
                _ => None,
            },
            event_type: v.get("type")?.as_str()?.to_owned(),
            timestamp_ms: v.get("timestamp")?.as_u64()?,
            data: v
                .get("data")?
                .as_object()?
                .iter()
                .map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect::<Option<_>>()?,
        })
    }
}

/// Equal when the same event: the id, the top-level account and the wire form (which
/// holds every other field); whether the SSE frame is rendered yet does not count.
impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.root_sid == other.root_sid && self.json == other.json
    }
}

impl Eq for Event {}

fn render(id: &EventId, d: &Draft) -> String {
    let data: Map<String, Value> = d
        .data
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let mut o = Map::new();
    o.insert("id".into(), id.to_string().into());
    o.insert("account_sid".into(), d.account_sid.to_string().into());
    o.insert(
        "call_sid".into(),
        d.call_sid.map_or(Value::Null, |c| c.to_string().into()),
    );
    o.insert("type".into(), d.event_type.clone().into());
    o.insert("timestamp".into(), d.timestamp_ms.into());
    o.insert("data".into(), Value::Object(data));
    Value::Object(o).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips() {
        let account = AccountSid::random();
        let e = Event::new(
            EventId::new(1, 2, 3),
            Draft {
                account_sid: account,
                root_sid: account,
                call_sid: Some(CallSid::random()),
                event_type: "gather.ended".into(),
                timestamp_ms: 1_700_000_000_123,
                data: vec![("Digits".into(), "12#".into())],
            },
        );
        let v: Value = serde_json::from_str(e.json()).unwrap();
        assert_eq!(v["id"], "1:2:3");
        assert_eq!(v["type"], "gather.ended");
        assert_eq!(v["data"]["Digits"], "12#");
        assert_eq!(Event::from_json(e.json(), account).unwrap(), e);
        let frame = e.sse_frame();
        assert_eq!(
            frame,
            format!("id: 1:2:3\nevent: gather.ended\ndata: {}\n\n", e.json())
        );
        assert_eq!(e.sse_frame().as_ptr(), frame.as_ptr(), "rendered once");
    }
}
