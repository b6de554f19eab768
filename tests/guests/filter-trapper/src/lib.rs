//! Panics: the filter call traps, and the host must report it and carry on.

use switchyard_sdk::{export_filter, Decision, Event};

fn filter(event: Event) -> Decision {
    panic!("filter-trapper: deliberate panic on {}", event.event_type());
}

export_filter!(filter);
