//! The bindings `wit-bindgen` generates from `wit/` (world `call-handler`).
//!
//! Hidden from the docs: apps use the hand-written types of this crate, so the WIT can
//! grow (it is append-only) without breaking their code.

wit_bindgen::generate!({
    path: "../wit",
    world: "call-handler",
    // The export macro must be reachable from the app's crate through `export_handler!`.
    pub_export_macro: true,
    export_macro_name: "__export_call_handler",
    default_bindings_module: "switchyard_sdk::bindings",
});

pub use switchyard::telephony::types as wit;
