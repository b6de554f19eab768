//! Host bindings generated from `wit/types.wit`, world `event-filter`.
//!
//! The interfaces it shares with the call-handler world (`types`, `log`, `clock`)
//! are those of [`crate::bindings`], so one implementation of each import serves
//! both worlds. The export is async so a call can be timed out and yield at epoch
//! ticks.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "switchyard:telephony/event-filter",
    with: {
        "switchyard:telephony/types": crate::bindings::switchyard::telephony::types,
        "switchyard:telephony/log": crate::bindings::switchyard::telephony::log,
        "switchyard:telephony/clock": crate::bindings::switchyard::telephony::clock,
    },
    exports: { default: async },
});
