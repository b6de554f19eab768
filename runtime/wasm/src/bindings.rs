//! Host bindings generated from `wit/types.wit`, world `call-handler`.
//!
//! Exports are async so a step can be timed out and yield at epoch ticks; only the
//! `http.fetch` import does I/O, so it alone is an async host function.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "switchyard:telephony/call-handler",
    imports: {
        "switchyard:telephony/http.fetch": async,
        default: tracing,
    },
    exports: { default: async },
});

pub use switchyard::telephony::types as wit;
