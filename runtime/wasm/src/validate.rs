//! Upload-time checks: is this a component of the expected world (call-handler,
//! event-filter or transcoder) that imports only what the host provides?

use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::Engine;

use crate::error::Error;

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

/// A world a tenant's component may target: its name and its one export (a function,
/// or for the transcoder world an interface).
#[derive(Debug, Clone, Copy)]
pub(crate) struct World {
    pub(crate) name: &'static str,
    pub(crate) export: &'static str,
}

/// Tenant call apps: `handle` per call step.
pub(crate) const CALL_HANDLER: World = World {
    name: "call-handler",
    export: "handle",
};

/// Tenant call apps that answer with steps: `handle-steps` per call step.
pub(crate) const STEP_HANDLER: World = World {
    name: "step-handler",
    export: "handle-steps",
};

/// Tenant call apps that answer with instructions: `handle-instructions` per call step.
pub(crate) const INSTRUCTION_HANDLER: World = World {
    name: "instruction-handler",
    export: "handle-instructions",
};

/// Whether `component` exports `world`'s function (to tell the call-handler worlds
/// apart before checking one).
pub(crate) fn exports(engine: &Engine, component: &Component, world: World) -> bool {
    component
        .component_type()
        .exports(engine)
        .any(|(name, _)| name == world.export)
}

/// Tenant event filters: `filter` per event and subscriber.
pub(crate) const EVENT_FILTER: World = World {
    name: "event-filter",
    export: "filter",
};

/// Tenant transcoders: the `transcode` interface (its `media-stream` resource) per
/// media stream.
pub(crate) const TRANSCODER: World = World {
    name: "transcoder",
    export: "switchyard:telephony/transcode@0.1.0",
};

impl World {
    /// The error for an export whose type is not the world's.
    pub(crate) fn wrong_signature(&self, e: wasmtime::Error) -> Error {
        Error::WrongSignature {
            export: self.export,
            world: self.name,
            detail: format!("{e:#}"),
        }
    }
}

/// Checks imports and the world's export, and pre-instantiates; the caller checks
/// the export's type with the world's generated `…Pre::new`.
pub(crate) fn check_world<T>(
    engine: &Engine,
    linker: &Linker<T>,
    component: &Component,
    world: World,
) -> Result<InstancePre<T>, Error> {
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
    if !exports.contains(&world.export) {
        return Err(Error::MissingExport {
            export: world.export,
            world: world.name,
            exports: if exports.is_empty() {
                "nothing".to_owned()
            } else {
                exports.join(", ")
            },
        });
    }
    // An interface the world does not import (or a WASI version the linker lacks)
    // fails here, naming it.
    linker
        .instantiate_pre(component)
        .map_err(|e| Error::UnsupportedImport(format!("{e:#}")))
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
