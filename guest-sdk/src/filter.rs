//! Event filters: what an `event-filter` component decides for each event, and
//! [`crate::export_filter!`], which makes a function that component's `filter`.
//!
//! The event router runs a subscription's filter before every delivery to that
//! subscriber, so one event can reach different subscribers differently (one sees
//! caller numbers, another a redacted copy, a third nothing). A filter is a separate
//! component from a call handler (another WIT world, deployed with
//! `switchyard wasm deploy FILE --name NAME --kind event-filter`): it can log and read
//! the clock, but has no session store and no outbound HTTP, so it stays cheap enough
//! to run per event and per subscriber.

use crate::Event;

/// What a filter decides for one event and one subscriber.
///
/// A filter that panics, loops past its CPU budget or runs out of memory decides
/// nothing: the node notifies the account and delivers the event as if there were no
/// filter.
///
/// ```
/// use switchyard_sdk::{Decision, Event};
///
/// fn hide_debug(event: Event) -> Decision {
///     if event.event_type().starts_with("debug.") {
///         Decision::Drop
///     } else {
///         Decision::Pass
///     }
/// }
///
/// assert_eq!(hide_debug(Event::new("debug.sip")), Decision::Drop);
/// assert_eq!(hide_debug(Event::new("call.answered")), Decision::Pass);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Deliver the event as it is (cheaper than replacing it with an unchanged copy:
    /// nothing is copied back to the node).
    Pass,
    /// Do not deliver the event to this subscriber. With several filters on one
    /// subscription, the next filter decides; when all drop it, nothing is delivered.
    Drop,
    /// Deliver this event instead: its type, timestamp and data replace the
    /// original's (the id, account and call stay the original's).
    Replace(Event),
}

impl From<Event> for Decision {
    /// An edited event is a replacement.
    fn from(event: Event) -> Self {
        Decision::Replace(event)
    }
}

/// Exports `filter` as the component's `filter` function (world `event-filter`). The
/// filter is any `fn(Event) -> Decision`; use this once per filter component, and not
/// in a crate that is meant to be a call handler (a node deploys each kind on its own).
///
/// ```
/// use switchyard_sdk::{Decision, Event};
///
/// /// Subscribers never see what callers typed.
/// fn no_digits(mut event: Event) -> Decision {
///     match event.remove("Digits") {
///         Some(_) => Decision::Replace(event),
///         None => Decision::Pass,
///     }
/// }
///
/// switchyard_sdk::export_filter!(no_digits);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_filter {
    ($filter:path) => {
        // Natively (unit tests of the filter) there is no component to export to: only
        // check the filter's type, so the same crate builds and tests on both.
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn($crate::Event) -> $crate::Decision = $filter;

        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct SwitchyardFilter;

            impl $crate::__private::filter_bindings::Guest for SwitchyardFilter {
                fn filter(
                    event: $crate::__private::bindings::wit::Event,
                ) -> $crate::__private::bindings::wit::Decision {
                    $crate::__private::dispatch_filter(event, $filter)
                }
            }

            $crate::__private::filter_bindings::__export_event_filter!(
                SwitchyardFilter with_types_in $crate::__private::filter_bindings
            );
        };
    };
}
