wit_bindgen::generate!({
    path: "../../../../../wit",
    world: "switchyard:telephony/event-filter",
});


/// A valid component of another world: exports `filter`, not `handle`.
struct App;
export!(App);

impl Guest for App {
    fn filter(_event: Event) -> Decision {
        Decision::Pass
    }
}
