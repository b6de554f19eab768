//! The control channel inside a publication channel (WebSocket and QUIC): one JSON
//! object per message or line, each answered once.
//!
//! - `{"op":"subscribe","key":"k","types":[…],"filters":["From^=+1555"],"wasm_filter":null}`
//!   adds the inline subscription `k`, or replaces the one of that name;
//! - `{"op":"unsubscribe","key":"k"}` drops it (any key the stream carries: `inline`
//!   from the query, a subscription SID from `subscriptions=`);
//! - `{"op":"publish","call_sid":"CA…","name":"promo","data":{…}}` hands a client event
//!   to a live call of the account, as `POST …/Calls/{CallSid}/Events` does.
//!
//! Answers: `{"type":"ack","op":…,"ok":true}` or `{"type":"error","op":…,"message":…}`.
//! A change of subscriptions takes effect for the next event the channel sends.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value};
use switchyard_events::{Entry, Spec};
use switchyard_store::Repository;
use switchyard_types::{AccountSid, CallSid};

use super::feed::Subscriptions;
use crate::shared::Shared;

/// The most subscriptions one channel carries.
const MAX_ENTRIES: usize = 32;
/// The longest key, and the longest client event name (as the REST endpoint).
const MAX_NAME: usize = 64;
/// The largest client event data, serialized (as the REST endpoint).
const MAX_DATA: usize = 16 * 1024;
/// The longest control message a channel reads; longer ones end the channel.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// One operation, as parsed.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Op {
    Subscribe {
        key: String,
        #[serde(default)]
        types: Vec<String>,
        #[serde(default)]
        filters: Vec<String>,
        #[serde(default)]
        wasm_filter: Option<String>,
    },
    Unsubscribe {
        key: String,
    },
    Publish {
        call_sid: String,
        name: String,
        #[serde(default)]
        data: Option<Value>,
    },
}

/// The control side of one channel: the account it belongs to and its feed's
/// subscriptions.
#[derive(Debug)]
pub struct Control {
    shared: Arc<Shared>,
    account: AccountSid,
    subscriptions: Subscriptions,
    may_publish: bool,
}

impl Control {
    pub fn new(
        shared: Arc<Shared>,
        account: AccountSid,
        subscriptions: Subscriptions,
        may_publish: bool,
    ) -> Self {
        Self {
            shared,
            account,
            subscriptions,
            may_publish,
        }
    }

    /// Carry out one message; returns the answer (one line of JSON).
    pub fn handle(&self, message: &str) -> String {
        let value: Value = match serde_json::from_str(message) {
            Ok(v) => v,
            Err(e) => return refusal("", &format!("not a JSON object: {e}")),
        };
        let name = value["op"].as_str().unwrap_or("").to_owned();
        let op: Op = match serde_json::from_value(value) {
            Ok(op) => op,
            Err(e) => return refusal(&name, &e.to_string()),
        };
        match self.apply(op) {
            Ok(()) => json!({"type": "ack", "op": name, "ok": true}).to_string(),
            Err(message) => refusal(&name, &message),
        }
    }

    fn apply(&self, op: Op) -> Result<(), String> {
        match op {
            Op::Subscribe {
                key,
                types,
                filters,
                wasm_filter,
            } => self.subscribe(key, types, filters, wasm_filter),
            Op::Unsubscribe { key } => {
                let mut entries = self.subscriptions.entries();
                let before = entries.len();
                entries.retain(|e| e.key != key);
                if entries.len() == before {
                    return Err(format!("no subscription named {key:?}"));
                }
                self.subscriptions.set_entries(entries);
                Ok(())
            }
            Op::Publish {
                call_sid,
                name,
                data,
            } => self.publish(&call_sid, name, data),
        }
    }

    fn subscribe(
        &self,
        key: String,
        types: Vec<String>,
        filters: Vec<String>,
        wasm_filter: Option<String>,
    ) -> Result<(), String> {
        if key.is_empty() || key.len() > MAX_NAME {
            return Err(format!("key: 1 to {MAX_NAME} characters"));
        }
        let wasm_filter = wasm_filter.filter(|w| !w.is_empty());
        if let Some(name) = &wasm_filter {
            let app = self
                .shared
                .store
                .wasm_app(self.account, name)
                .map_err(|e| e.to_string())?;
            if app.is_none_or(|a| a.kind != "event-filter") {
                return Err(format!("no event-filter app named {name:?} is deployed"));
            }
        }
        // Checked as the router will use it: unknown types and bad filters are named.
        let spec = Spec::new(types, &filters, wasm_filter).map_err(|e| e.to_string())?;
        let mut entries = self.subscriptions.entries();
        let entry = Entry {
            key,
            spec: Arc::new(spec),
        };
        match entries.iter().position(|e| e.key == entry.key) {
            Some(i) => entries[i] = entry,
            None if entries.len() >= MAX_ENTRIES => {
                return Err(format!("at most {MAX_ENTRIES} subscriptions per stream"))
            }
            None => entries.push(entry),
        }
        self.subscriptions.set_entries(entries);
        Ok(())
    }

    fn publish(&self, call_sid: &str, name: String, data: Option<Value>) -> Result<(), String> {
        if !self.may_publish {
            return Err(
                "this stream may not publish: use the account's credentials, or a \
                        signed URL minted with Publish=true"
                    .into(),
            );
        }
        let not_found = || format!("call {call_sid} was not found");
        let call: CallSid = call_sid.parse().map_err(|_| not_found())?;
        self.shared
            .store
            .call(self.account, call)
            .map_err(|e| e.to_string())?
            .ok_or_else(not_found)?;
        if name.is_empty() || name.len() > MAX_NAME {
            return Err(format!("name: 1 to {MAX_NAME} characters"));
        }
        let data = data.unwrap_or_else(|| json!({})).to_string();
        if data.len() > MAX_DATA {
            return Err(format!("data: a JSON document of at most {MAX_DATA} bytes"));
        }
        crate::http::subscriptions::deliver_client_event(&self.shared, call, name, data)
            .map_err(|_| format!("call {call_sid} is not in progress on this node"))
    }
}

/// An error answer.
pub fn refusal(op: &str, message: &str) -> String {
    json!({"type": "error", "op": op, "message": message}).to_string()
}
