//! What a subscription asks for: event types and parameter filters.
//!
//! Parameter filters compare one field of the event by equality (`From=+15551234567`)
//! or prefix (`From^=+1555`). `Call` names the call SID and `Account` the account SID;
//! any other name is a `data` field (`From`, `To`, `Digits`, …), compared exactly as
//! published. All filters must hold for an event to match.

use switchyard_types::{AccountSid, CallSid};

use crate::catalogue;
use crate::error::Error;
use crate::event::Event;

/// How a [`ParamFilter`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    Prefix,
}

/// One parameter filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamFilter {
    pub name: String,
    pub op: Op,
    pub value: String,
    /// What `name` designates, resolved once at parse time: matching runs for every
    /// event and every subscription, and must not allocate.
    field: Field,
}

/// The event field a filter compares; SIDs compared for equality are parsed up front
/// (a value that is not a SID never matches, as its text never equals one).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Call(Option<CallSid>),
    Account(Option<AccountSid>),
    Data,
}

impl ParamFilter {
    /// Parse `Name=value` or `Name^=prefix`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = || Error::BadFilter(text.to_owned());
        let (name, value) = text.split_once('=').ok_or_else(bad)?;
        let (name, op) = match name.strip_suffix('^') {
            Some(n) => (n, Op::Prefix),
            None => (name, Op::Equals),
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(bad());
        }
        let field = match name.to_ascii_lowercase().as_str() {
            "call" | "callsid" => Field::Call(value.parse().ok()),
            "account" | "accountsid" => Field::Account(value.parse().ok()),
            _ => Field::Data,
        };
        Ok(Self {
            name: name.to_owned(),
            op,
            value: value.to_owned(),
            field,
        })
    }

    pub fn matches(&self, event: &Event) -> bool {
        match (&self.field, self.op) {
            (Field::Call(sid), Op::Equals) => event.call_sid.is_some_and(|c| Some(c) == *sid),
            (Field::Account(sid), Op::Equals) => Some(event.account_sid) == *sid,
            // A SID prefix is rare enough to pay for the text.
            (Field::Call(_), Op::Prefix) => {
                event.call_sid.is_some_and(|c| self.compare(&c.to_string()))
            }
            (Field::Account(_), Op::Prefix) => self.compare(&event.account_sid.to_string()),
            (Field::Data, _) => event
                .data
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&self.name))
                .is_some_and(|(_, v)| self.compare(v)),
        }
    }

    fn compare(&self, v: &str) -> bool {
        match self.op {
            Op::Equals => v == self.value,
            Op::Prefix => v.starts_with(&self.value),
        }
    }
}

impl std::fmt::Display for ParamFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = match self.op {
            Op::Equals => "=",
            Op::Prefix => "^=",
        };
        write!(f, "{}{op}{}", self.name, self.value)
    }
}

/// Types and filters of one subscription (no types means every type).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spec {
    pub types: Vec<String>,
    pub filters: Vec<ParamFilter>,
    /// A deployed `event-filter` app run before delivery.
    pub wasm_filter: Option<String>,
}

impl Spec {
    /// Checked types and parsed filters.
    pub fn new(
        types: Vec<String>,
        filters: &[String],
        wasm_filter: Option<String>,
    ) -> Result<Self, Error> {
        if let Some(bad) = types.iter().find(|t| !catalogue::is_known(t)) {
            return Err(Error::UnknownEventType(bad.clone()));
        }
        Ok(Self {
            types,
            filters: filters
                .iter()
                .map(|f| ParamFilter::parse(f))
                .collect::<Result<_, _>>()?,
            wasm_filter,
        })
    }

    /// Whether the event is one this spec asks for (the Wasm filter runs later).
    pub fn matches(&self, event: &Event) -> bool {
        (self.types.is_empty()
            || self
                .types
                .iter()
                .any(|t| catalogue::matches(t, &event.event_type)))
            && self.filters.iter().all(|f| f.matches(event))
    }
}

/// Which accounts' events a subscriber of `account` may see: its own, and its
/// subaccounts' when it is a top-level account.
pub fn visible(account: AccountSid, event: &Event) -> bool {
    event.account_sid == account || event.root_sid == account
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Draft, EventId};
    use switchyard_types::CallSid;

    fn event(kind: &str, data: &[(&str, &str)]) -> Event {
        let a = AccountSid::random();
        Event::new(
            EventId::new(1, 0, 1),
            Draft {
                account_sid: a,
                root_sid: a,
                call_sid: Some(CallSid::random()),
                event_type: kind.into(),
                timestamp_ms: 0,
                data: data
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            },
        )
    }

    #[test]
    fn filters_compare_by_equality_and_prefix() {
        let e = event(
            "call.initiated",
            &[("From", "+15551234567"), ("To", "+15550001111")],
        );
        let spec = |types: &[&str], filters: &[&str]| {
            Spec::new(
                types.iter().map(|t| t.to_string()).collect(),
                &filters.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
                None,
            )
            .unwrap()
        };
        assert!(spec(&[], &[]).matches(&e));
        assert!(spec(&["call.*"], &["From^=+1555"]).matches(&e));
        assert!(spec(&["call.initiated"], &["from=+15551234567"]).matches(&e));
        assert!(!spec(&["call.initiated"], &["From=+1555"]).matches(&e));
        assert!(!spec(&["say.*"], &[]).matches(&e));
        assert!(!spec(&[], &["Digits=1"]).matches(&e));
        let call = e.call_sid.unwrap().to_string();
        assert!(spec(&[], &[&format!("Call={call}")]).matches(&e));
        assert!(!spec(&[], &[&format!("Call={}", CallSid::random())]).matches(&e));
    }

    #[test]
    fn bad_types_and_filters_are_named() {
        assert_eq!(
            Spec::new(vec!["call.exploded".into()], &[], None),
            Err(Error::UnknownEventType("call.exploded".into()))
        );
        for bad in ["From", "=x", "Fr om=1", "^=1"] {
            assert_eq!(ParamFilter::parse(bad), Err(Error::BadFilter(bad.into())));
        }
        assert_eq!(
            ParamFilter::parse("From^=+1").unwrap().to_string(),
            "From^=+1"
        );
    }
}
