//! The bindings `wit-bindgen` generates from `wit/` for the world `event-filter`.
//!
//! A second `generate!` next to [`crate::bindings`] (world `call-handler`) because the
//! two worlds are separate components with different exports. The interfaces the worlds
//! share (`types`, `log`, `clock`) are mapped onto the call-handler's modules, so there
//! is one `Event` type and one import of each host function in the crate; the host
//! does the same (`runtime/wasm/src/filter_bindings.rs`).
//!
//! With `pub_export_macro`, wit-bindgen puts the world's export (`filter`) only in the
//! custom section that the export macro emits: a crate that never invokes
//! [`crate::export_filter!`] does not claim to export `filter`, so an app can export a
//! handler alone, a filter alone, or (unusually) both.
//!
//! Hidden from the docs: filters use [`crate::Event`] and [`crate::Decision`].

wit_bindgen::generate!({
    path: "../wit",
    world: "event-filter",
    with: {
        "switchyard:telephony/types@0.1.0": crate::bindings::switchyard::telephony::types,
        "switchyard:telephony/log@0.1.0": crate::bindings::switchyard::telephony::log,
        "switchyard:telephony/clock@0.1.0": crate::bindings::switchyard::telephony::clock,
    },
    // The export macro must be reachable from the app's crate through `export_filter!`.
    pub_export_macro: true,
    export_macro_name: "__export_event_filter",
    default_bindings_module: "switchyard_sdk::filter_bindings",
});
