//! Host bindings generated from `wit/types.wit`, world `transcoder`.
//!
//! The shared interfaces (`types`, `log`) are those of [`crate::bindings`], so one
//! implementation of `log` serves every world. Unlike the other worlds the export is
//! synchronous: a transcoder runs on the node's media worker, a plain thread that calls
//! it every 20 ms and cannot wait on an async runtime.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "switchyard:telephony/transcoder",
    with: {
        "switchyard:telephony/types": crate::bindings::switchyard::telephony::types,
        "switchyard:telephony/log": crate::bindings::switchyard::telephony::log,
    },
});
