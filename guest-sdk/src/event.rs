//! `Event`: one call event, as the event router hands it to a filter.

/// One event on its way to a subscriber: what happened (`event_type`), to which
/// account and call, when, and its fields (`data`: `From`, `To`, `CallStatus`,
/// `Digits` …, the same names a subscriber sees in the event's JSON).
///
/// A filter reads it and, to change what the subscriber receives, edits it and returns
/// [`crate::Decision::Replace`]. Only the type, the timestamp and the data of a
/// replacement count: the node keeps the original's id, account and call so that
/// replay and ordering still hold (which is why those have no setters).
///
/// ```
/// use switchyard_sdk::Event;
///
/// let mut event = Event::new("call.answered")
///     .with_call_sid("CA01")
///     .with_data("From", "+15551230000")
///     .with_data("To", "+15550001111");
/// assert_eq!(event.get("From"), Some("+15551230000"));
///
/// event.set("From", "anonymous");
/// assert_eq!(event.remove("To").as_deref(), Some("+15550001111"));
/// assert_eq!(event.data().collect::<Vec<_>>(), [("From", "anonymous")]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    pub(crate) id: String,
    pub(crate) account_sid: String,
    pub(crate) call_sid: Option<String>,
    pub(crate) event_type: String,
    pub(crate) timestamp_ms: u64,
    pub(crate) data: Vec<(String, String)>,
}

impl Event {
    /// An event of type `event_type` with no data, an empty id and account, no call
    /// and timestamp 0; with the `with_*` methods, for testing filters natively.
    pub fn new(event_type: impl Into<String>) -> Self {
        Event {
            event_type: event_type.into(),
            ..Event::default()
        }
    }

    /// This event with id `id` (`epoch:shard:seq`).
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// This event with account `account_sid` (`AC…`).
    pub fn with_account_sid(mut self, account_sid: impl Into<String>) -> Self {
        self.account_sid = account_sid.into();
        self
    }

    /// This event about the call `call_sid` (`CA…`).
    pub fn with_call_sid(mut self, call_sid: impl Into<String>) -> Self {
        self.call_sid = Some(call_sid.into());
        self
    }

    /// This event at `timestamp_ms` (Unix milliseconds).
    pub fn with_timestamp_ms(mut self, timestamp_ms: u64) -> Self {
        self.timestamp_ms = timestamp_ms;
        self
    }

    /// This event with the field `name` appended (even if one of that name exists:
    /// use [`Event::set`] to replace).
    pub fn with_data(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.data.push((name.into(), value.into()));
        self
    }

    /// The event's id, `epoch:shard:seq`: the position subscribers resume from.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The account it belongs to, `AC…`.
    pub fn account_sid(&self) -> &str {
        &self.account_sid
    }

    /// The call it is about (`CA…`); `None` for an event of no call.
    pub fn call_sid(&self) -> Option<&str> {
        self.call_sid.as_deref()
    }

    /// What happened: `call.answered`, `gather.completed`, …
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// When it happened, in Unix milliseconds.
    pub fn timestamp_ms(&self) -> u64 {
        self.timestamp_ms
    }

    /// The first data field called `name` (case-sensitive, as the node names them:
    /// `From`, `CallStatus` …).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every data field, in the order the node sent them.
    pub fn data(&self) -> impl Iterator<Item = (&str, &str)> {
        self.data.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Every data field with its value editable in place, in order; the way to rewrite
    /// values (e.g. redact numbers) without reordering the fields.
    pub fn data_mut(&mut self) -> impl Iterator<Item = (&str, &mut String)> {
        self.data.iter_mut().map(|(k, v)| (k.as_str(), v))
    }

    /// Sets the field `name` to `value`: the first field of that name keeps its place
    /// and any later ones are removed, so the subscriber sees exactly `value`; a new
    /// field goes last.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let (name, value) = (name.into(), value.into());
        match self.data.iter().position(|(k, _)| *k == name) {
            Some(first) => {
                self.data[first].1 = value;
                let mut index = 0;
                self.data.retain(|(k, _)| {
                    let keep = index <= first || *k != name;
                    index += 1;
                    keep
                });
            }
            None => self.data.push((name, value)),
        }
    }

    /// Removes every field called `name`; the first one's value, if there was one.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        let first = self.data.iter().position(|(k, _)| k == name)?;
        let (_, value) = self.data.remove(first);
        self.data.retain(|(k, _)| k != name);
        Some(value)
    }

    /// Changes the event's type, e.g. to mark a redacted copy (`call.answered.redacted`).
    pub fn set_event_type(&mut self, event_type: impl Into<String>) {
        self.event_type = event_type.into();
    }

    /// Changes the event's timestamp (Unix milliseconds).
    pub fn set_timestamp_ms(&mut self, timestamp_ms: u64) {
        self.timestamp_ms = timestamp_ms;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Event {
        Event::new("call.initiated")
            .with_id("1:0:42")
            .with_account_sid("AC01")
            .with_call_sid("CA01")
            .with_timestamp_ms(1_700_000_000_000)
            .with_data("From", "+1555")
            .with_data("To", "+1666")
            .with_data("From", "+1777")
    }

    #[test]
    fn accessors_read_the_parts() {
        let e = sample();
        assert_eq!(
            (e.id(), e.account_sid(), e.call_sid(), e.event_type()),
            ("1:0:42", "AC01", Some("CA01"), "call.initiated")
        );
        assert_eq!(e.timestamp_ms(), 1_700_000_000_000);
        assert_eq!(Event::new("x").call_sid(), None);
    }

    #[test]
    fn get_finds_the_first_field_of_a_name() {
        let e = sample();
        assert_eq!(e.get("From"), Some("+1555"));
        assert_eq!(e.get("from"), None);
        assert_eq!(e.data().count(), 3);
    }

    #[test]
    fn set_replaces_in_place_and_drops_later_duplicates() {
        let mut e = sample();
        e.set("From", "x");
        assert_eq!(
            e.data().collect::<Vec<_>>(),
            [("From", "x"), ("To", "+1666")]
        );
        e.set("Digits", "12");
        assert_eq!(e.data().last(), Some(("Digits", "12")));
    }

    #[test]
    fn remove_takes_every_field_of_a_name() {
        let mut e = sample();
        assert_eq!(e.remove("From").as_deref(), Some("+1555"));
        assert_eq!(e.data().collect::<Vec<_>>(), [("To", "+1666")]);
        assert_eq!(e.remove("From"), None);
    }

    #[test]
    fn data_mut_edits_values_keeping_order() {
        let mut e = sample();
        for (name, value) in e.data_mut() {
            if name == "From" {
                value.push('0');
            }
        }
        assert_eq!(
            e.data().collect::<Vec<_>>(),
            [("From", "+15550"), ("To", "+1666"), ("From", "+17770")]
        );
    }

    #[test]
    fn type_and_time_can_change() {
        let mut e = sample();
        e.set_event_type("call.initiated.redacted");
        e.set_timestamp_ms(5);
        assert_eq!(
            (e.event_type(), e.timestamp_ms()),
            ("call.initiated.redacted", 5)
        );
    }
}
