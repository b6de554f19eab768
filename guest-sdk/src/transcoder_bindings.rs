//! The bindings `wit-bindgen` generates from `wit/` for the world `transcoder`.
//!
//! Like [`crate::filter_bindings`]: the shared interfaces (`types`, `log`) map onto the
//! call-handler's modules, and the world's export (the `transcode` interface) is only
//! claimed by a crate that invokes [`crate::export_transcoder!`].
//!
//! Hidden from the docs: transcoders use [`crate::Frame`] and [`crate::StreamFormat`].

wit_bindgen::generate!({
    path: "../wit",
    world: "transcoder",
    with: {
        "switchyard:telephony/types@0.1.0": crate::bindings::switchyard::telephony::types,
        "switchyard:telephony/log@0.1.0": crate::bindings::switchyard::telephony::log,
    },
    // The export macro must be reachable from the app's crate through `export_transcoder!`.
    pub_export_macro: true,
    export_macro_name: "__export_transcoder",
    default_bindings_module: "switchyard_sdk::transcoder_bindings",
});
