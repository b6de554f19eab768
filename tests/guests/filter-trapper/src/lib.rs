//! Panics: the filter call traps, and the host must report it and carry on.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "switchyard:telephony/event-filter",
});

struct Trapper;
export!(Trapper);

impl Guest for Trapper {
    fn filter(event: Event) -> Decision {
        panic!("filter-trapper: deliberate panic on {}", event.event_type);
    }
}
