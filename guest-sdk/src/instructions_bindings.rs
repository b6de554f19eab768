//! The bindings `wit-bindgen` generates from `wit/` for the world
//! `instruction-handler`, the world [`crate::export_handler!`] exports:
//! `handle-instructions`, whose answer holds every step and the instructions appended
//! since (`<Record>`, conferences and queues with all their attributes).
//!
//! Its imports are the call-handler world's, mapped onto [`crate::bindings`] as for the
//! step-handler's bindings. With `pub_export_macro` the export is emitted only by the
//! macro that a handler's crate invokes.

wit_bindgen::generate!({
    path: "../wit",
    world: "instruction-handler",
    with: {
        "switchyard:telephony/types@0.1.0": crate::bindings::switchyard::telephony::types,
        "switchyard:telephony/log@0.1.0": crate::bindings::switchyard::telephony::log,
        "switchyard:telephony/session@0.1.0": crate::bindings::switchyard::telephony::session,
        "switchyard:telephony/clock@0.1.0": crate::bindings::switchyard::telephony::clock,
        "switchyard:telephony/http@0.1.0": crate::bindings::switchyard::telephony::http,
    },
    // The export macro must be reachable from the app's crate through `export_handler!`.
    pub_export_macro: true,
    export_macro_name: "__export_instruction_handler",
    default_bindings_module: "switchyard_sdk::instructions_bindings",
});
