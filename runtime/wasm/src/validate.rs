//! Upload-time checks: is this a component of the call-handler world that imports
//! only what the host provides?

use wasmtime::component::{Component, Linker};
use wasmtime::Engine;

use crate::bindings::CallHandlerPre;
use crate::error::Error;
use crate::state::StoreState;

/// Import namespaces the host links; anything else cannot be satisfied.
const PROVIDED: &[&str] = &["wasi:", "switchyard:telephony/"];

/// Classifies the binary by its preamble before handing it to the compiler, so
/// the error says what the upload is rather than where a parser gave up.
pub(crate) fn check_header(wasm: &[u8]) -> Result<(), Error> {
    if Engine::detect_precompiled(wasm).is_some() {
        return Err(Error::Precompiled);
    }
    if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
        return Err(Error::NotWasm);
    }
    // The 4 bytes after the magic are a version and a layer: 1/0 for a core
    // module, 0x0d/1 for a component (component-model binary format).
    match &wasm[4..8] {
        [1, 0, 0, 0] => Err(Error::CoreModule),
        [0x0d, 0, 1, 0] => Ok(()),
        other => Err(Error::InvalidComponent(format!(
            "unsupported binary version/layer {other:02x?}"
        ))),
    }
}

/// Checks imports and the `handle` export, and pre-instantiates.
pub(crate) fn check_world(
    engine: &Engine,
    linker: &Linker<StoreState>,
    component: &Component,
) -> Result<CallHandlerPre<StoreState>, Error> {
    let ty = component.component_type();
    if let Some((name, _)) = ty
        .imports(engine)
        .find(|(name, _)| !PROVIDED.iter().any(|p| name.starts_with(p)))
    {
        return Err(Error::UnknownImport {
            name: name.to_owned(),
        });
    }
    let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
    if !exports.contains(&"handle") {
        return Err(Error::MissingExport {
            exports: if exports.is_empty() {
                "nothing".to_owned()
            } else {
                exports.join(", ")
            },
        });
    }
    // A WASI interface (or version) the linker lacks fails here, naming it.
    let pre = linker
        .instantiate_pre(component)
        .map_err(|e| Error::UnsupportedImport(format!("{e:#}")))?;
    CallHandlerPre::new(pre).map_err(|e| Error::WrongSignature(format!("{e:#}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_what_the_bytes_are() {
        assert!(matches!(check_header(b"hello world"), Err(Error::NotWasm)));
        assert!(matches!(check_header(b"\0asm"), Err(Error::NotWasm)));
        assert!(matches!(
            check_header(b"\0asm\x01\0\0\0"),
            Err(Error::CoreModule)
        ));
        assert!(check_header(b"\0asm\x0d\0\x01\0").is_ok());
        assert!(matches!(
            check_header(b"\0asm\x02\0\0\0"),
            Err(Error::InvalidComponent(_))
        ));
    }
}
