//! An event filter that keeps phone numbers from a subscriber: the values of the data
//! fields `From`, `To`, `Caller` and `Called` that are phone numbers (digits, with an
//! optional leading `+`) keep only their last four digits, the others become `*`
//! (`+15551230000` -> `+*******0000`). Any other value (`anonymous`, a SIP URI, a
//! client name) and any event without such a number passes unchanged.
//!
//! Deployed with `--kind event-filter` and named by a subscription's `WasmFilter`; see
//! examples/README.md.

use switchyard_sdk::{export_filter, Decision, Event};

/// The data fields (Twilio's names) that hold the parties' numbers.
const NUMBER_FIELDS: [&str; 4] = ["From", "To", "Caller", "Called"];

/// Digits left visible at the end of a number, enough to tell calls apart.
const VISIBLE: usize = 4;

/// Masks the numbers in [`NUMBER_FIELDS`]; replaces the event only when one changed, so
/// other events pass without being copied back to the node.
fn redact(mut event: Event) -> Decision {
    let mut changed = false;
    for (name, value) in event.data_mut() {
        if !NUMBER_FIELDS.contains(&name) {
            continue;
        }
        if let Some(masked) = mask(value) {
            *value = masked;
            changed = true;
        }
    }
    if changed {
        Decision::Replace(event)
    } else {
        Decision::Pass
    }
}

export_filter!(redact);

/// The redacted form of `value` if it is a phone number with more than [`VISIBLE`]
/// digits: the `+` kept, every digit but the last [`VISIBLE`] replaced by `*`.
fn mask(value: &str) -> Option<String> {
    let (plus, digits) = match value.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", value),
    };
    if digits.len() <= VISIBLE || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hidden = digits.len() - VISIBLE;
    Some(format!("{plus}{}{}", "*".repeat(hidden), &digits[hidden..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_event(data: &[(&str, &str)]) -> Event {
        data.iter().fold(
            Event::new("call.initiated").with_call_sid("CA01"),
            |e, (k, v)| e.with_data(*k, *v),
        )
    }

    #[test]
    fn masks_numbers_in_the_party_fields() {
        let event = call_event(&[
            ("From", "+15551230000"),
            ("To", "+15550001111"),
            ("Caller", "5551234567"),
            ("Called", "+442071234567"),
            ("CallStatus", "ringing"),
            ("Digits", "123456789"),
        ]);
        let expected = call_event(&[
            ("From", "+*******0000"),
            ("To", "+*******1111"),
            ("Caller", "******4567"),
            ("Called", "+********4567"),
            ("CallStatus", "ringing"),
            ("Digits", "123456789"),
        ]);
        assert_eq!(redact(event), Decision::Replace(expected));
    }

    #[test]
    fn leaves_what_is_not_a_phone_number() {
        for value in [
            "anonymous",
            "client:alice",
            "sip:+15551230000@pbx.example.com",
            "1234",
            "+1234",
            "+",
            "",
            "(555) 123-4567",
        ] {
            assert_eq!(mask(value), None, "{value:?}");
        }
    }

    #[test]
    fn events_without_numbers_pass() {
        let event = call_event(&[("From", "anonymous"), ("Digits", "5551234567")]);
        assert_eq!(redact(event), Decision::Pass);
        assert_eq!(redact(Event::new("gather.completed")), Decision::Pass);
    }
}
