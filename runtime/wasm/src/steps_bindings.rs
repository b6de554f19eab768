//! Host bindings generated from `wit/types.wit`, world `step-handler`.
//!
//! Its imports are the call-handler world's, mapped onto [`crate::bindings`] so one
//! implementation of each serves both worlds; only the export differs
//! (`handle-steps`). Async like the call-handler's, so a step can be timed out and
//! yield at epoch ticks.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "switchyard:telephony/step-handler",
    with: {
        "switchyard:telephony/types": crate::bindings::switchyard::telephony::types,
        "switchyard:telephony/log": crate::bindings::switchyard::telephony::log,
        "switchyard:telephony/session": crate::bindings::switchyard::telephony::session,
        "switchyard:telephony/clock": crate::bindings::switchyard::telephony::clock,
        "switchyard:telephony/http": crate::bindings::switchyard::telephony::http,
    },
    exports: { default: async },
});
