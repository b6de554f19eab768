//! An event filter that keeps caller numbers from a subscriber: in the data fields
//! `From`, `To`, `Caller`, `Called` (Twilio's names) and `from`, `to`, every digit but
//! the last four becomes `*` (`+15551230000` -> `+*******0000`). Events of type
//! `debug.*` are dropped; events with nothing to mask pass unchanged.

use switchyard_sdk::{export_filter, log, Decision, Event};

/// Fields holding a phone number or SIP user.
const NUMBER_FIELDS: &[&str] = &["From", "To", "Caller", "Called", "from", "to"];

/// Digits left visible at the end of a number.
const VISIBLE: usize = 4;

/// Drops `debug.*`, masks the number fields; replaces the event only if one changed.
fn redact(mut event: Event) -> Decision {
    if event.event_type().starts_with("debug.") {
        return Decision::Drop;
    }
    let mut masked = 0;
    for (name, value) in event.data_mut() {
        if NUMBER_FIELDS.contains(&name) {
            let redacted = mask(value);
            if redacted != *value {
                *value = redacted;
                masked += 1;
            }
        }
    }
    if masked == 0 {
        return Decision::Pass;
    }
    log::debug(format!("masked {masked} fields of {}", event.id()));
    Decision::Replace(event)
}

export_filter!(redact);

/// Every ASCII digit of `value` but the last [`VISIBLE`] replaced by `*`.
fn mask(value: &str) -> String {
    let digits = value.bytes().filter(u8::is_ascii_digit).count();
    let mut to_mask = digits.saturating_sub(VISIBLE);
    value
        .chars()
        .map(|c| {
            if c.is_ascii_digit() && to_mask > 0 {
                to_mask -= 1;
                '*'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{mask, redact};
    use switchyard_sdk::{Decision, Event};

    fn event(event_type: &str, data: &[(&str, &str)]) -> Event {
        data.iter().fold(
            Event::new(event_type)
                .with_id("1:0:42")
                .with_call_sid("CA0001"),
            |e, (k, v)| e.with_data(*k, *v),
        )
    }

    #[test]
    fn masks_all_but_the_last_four_digits() {
        assert_eq!(mask("+15551230000"), "+*******0000");
        assert_eq!(mask("sip:alice@example.com"), "sip:alice@example.com");
        assert_eq!(mask("1234"), "1234");
        assert_eq!(mask("(555) 123-4567"), "(***) ***-4567");
    }

    /// The node's tests (runtime/wasm/tests/filters.rs) expect exactly this of the
    /// component; here natively, through the same SDK types.
    #[test]
    fn masks_the_number_fields_and_replaces_the_event() {
        let original = event(
            "call.initiated",
            &[
                ("From", "+15551230000"),
                ("To", "+15550001111"),
                ("Caller", "+15551230000"),
                ("Called", "sip:+15550001111@pbx.example.com"),
                ("from", "+442071234567"),
                ("to", "5551234"),
                ("CallStatus", "ringing"),
                ("Digits", "123456789"),
            ],
        );
        let expected = event(
            "call.initiated",
            &[
                ("From", "+*******0000"),
                ("To", "+*******1111"),
                ("Caller", "+*******0000"),
                ("Called", "sip:+*******1111@pbx.example.com"),
                ("from", "+********4567"),
                ("to", "***1234"),
                ("CallStatus", "ringing"),
                ("Digits", "123456789"),
            ],
        );
        assert_eq!(redact(original), Decision::Replace(expected));
    }

    #[test]
    fn passes_events_without_numbers_and_drops_debug_events() {
        let plain = event(
            "gather.completed",
            &[("Digits", "12"), ("From", "anonymous")],
        );
        assert_eq!(redact(plain), Decision::Pass);
        let debug = event("debug.sip", &[("From", "+15551230000")]);
        assert_eq!(redact(debug), Decision::Drop);
    }
}
