//! An event filter that keeps caller numbers from a subscriber: in the data fields
//! `From`, `To`, `Caller`, `Called` (Twilio's names) and `from`, `to`, every digit but
//! the last four becomes `*` (`+15551230000` -> `+*******0000`). Events of type
//! `debug.*` are dropped; events with nothing to mask pass unchanged.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "switchyard:telephony/event-filter",
});

use switchyard::telephony::log::{log, Level};

/// Fields holding a phone number or SIP user.
const NUMBER_FIELDS: &[&str] = &["From", "To", "Caller", "Called", "from", "to"];

/// Digits left visible at the end of a number.
const VISIBLE: usize = 4;

struct Redactor;
export!(Redactor);

impl Guest for Redactor {
    fn filter(mut event: Event) -> Decision {
        if event.event_type.starts_with("debug.") {
            return Decision::Drop;
        }
        let mut masked = 0;
        for (name, value) in &mut event.data {
            if NUMBER_FIELDS.contains(&name.as_str()) {
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
        log(
            Level::Debug,
            &format!("masked {masked} fields of {}", event.id),
        );
        Decision::Replace(event)
    }
}

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
    use super::mask;

    #[test]
    fn masks_all_but_the_last_four_digits() {
        assert_eq!(mask("+15551230000"), "+*******0000");
        assert_eq!(mask("sip:alice@example.com"), "sip:alice@example.com");
        assert_eq!(mask("1234"), "1234");
        assert_eq!(mask("(555) 123-4567"), "(***) ***-4567");
    }
}
