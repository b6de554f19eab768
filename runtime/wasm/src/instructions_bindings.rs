//! Host bindings generated from `wit/types.wit`, world `instruction-handler`.
//!
//! Its imports are the call-handler world's, mapped onto [`crate::bindings`] like the
//! step-handler's; only the export differs (`handle-instructions`).

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "switchyard:telephony/instruction-handler",
    with: {
        "switchyard:telephony/types": crate::bindings::switchyard::telephony::types,
        "switchyard:telephony/log": crate::bindings::switchyard::telephony::log,
        "switchyard:telephony/session": crate::bindings::switchyard::telephony::session,
        "switchyard:telephony/clock": crate::bindings::switchyard::telephony::clock,
        "switchyard:telephony/http": crate::bindings::switchyard::telephony::http,
    },
    exports: { default: async },
});
