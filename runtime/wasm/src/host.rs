//! [`WasmHost`]: the apps' engine and linkers, the transcoders' engine and linker, the
//! artifact cache; and [`CompiledApp`].

use std::fmt;
use std::sync::Arc;

use wasmtime::component::{Component, Linker};
use wasmtime::Engine;

use crate::artifact;
use crate::bindings::CallHandlerPre;
use crate::config::{AppLimits, HostConfig};
use crate::engine;
use crate::error::Error;
use crate::filter::FilterCaller;
use crate::instructions_bindings::InstructionHandlerPre;
use crate::state::StoreState;
use crate::steps_bindings::StepHandlerPre;
use crate::transcoder::TranscoderCaller;
use crate::validate::{self, CALL_HANDLER, INSTRUCTION_HANDLER, STEP_HANDLER};

/// Runs tenant call-handler components. Cheap to clone (shared inside).
#[derive(Clone)]
pub struct WasmHost {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: HostConfig,
    pub(crate) engine: Engine,
    linker: Linker<StoreState>,
    pub(crate) filter_linker: Linker<StoreState<FilterCaller>>,
    compat: String,
    /// Transcoders' own engine (see [`engine::build_transcoder`]), its linker and hash.
    pub(crate) transcoder_engine: Engine,
    pub(crate) transcoder_linker: Linker<StoreState<TranscoderCaller>>,
    transcoder_compat: String,
}

/// Which engine compiles a component: the apps' (call handlers and event filters) or
/// the transcoders'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EngineOf {
    Apps,
    Transcoders,
}

impl fmt::Debug for WasmHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmHost")
            .field("config", &self.inner.config)
            .field("compat", &self.inner.compat)
            .finish_non_exhaustive()
    }
}

/// A validated, compiled app ready to run steps. Cheap to clone.
#[derive(Clone)]
pub struct CompiledApp {
    pub(crate) inner: Arc<AppInner>,
}

/// A call app's pre-instantiated component, by the world it targets.
pub(crate) enum AppPre {
    /// Exports `handle`: answers with verbs.
    Verbs(CallHandlerPre<StoreState>),
    /// Exports `handle-steps`: answers with steps (verbs and the instructions added
    /// since).
    Steps(StepHandlerPre<StoreState>),
    /// Exports `handle-instructions`: answers with instructions (steps and the
    /// instructions added since).
    Instructions(InstructionHandlerPre<StoreState>),
}

pub(crate) struct AppInner {
    sha256: String,
    pub(crate) pre: AppPre,
    pub(crate) limits: AppLimits,
}

impl CompiledApp {
    /// Hex SHA-256 of the uploaded wasm.
    pub fn sha256(&self) -> &str {
        &self.inner.sha256
    }

    /// The budgets the app runs under.
    pub fn limits(&self) -> &AppLimits {
        &self.inner.limits
    }
}

impl fmt::Debug for CompiledApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledApp")
            .field("sha256", &self.inner.sha256)
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

/// Where [`WasmHost::load`] got the app's native code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    /// A cached artifact of this engine.
    FromCache,
    /// Compiled now (no usable artifact); the artifact is cached for next time.
    Compiled,
}

impl WasmHost {
    /// Builds the engine and linker, creates the artifact directory and starts
    /// the epoch ticker.
    pub fn new(config: HostConfig) -> Result<Self, Error> {
        std::fs::create_dir_all(&config.artifact_dir).map_err(|source| Error::Cache {
            path: config.artifact_dir.clone(),
            source,
        })?;
        let engine = engine::build(&config)?;
        let linker = engine::linker(&engine)?;
        let filter_linker = engine::filter_linker(&engine)?;
        engine::start_ticker(&engine)?;
        let compat = engine::compat_hash(&engine);
        let transcoder_engine = engine::build_transcoder()?;
        let transcoder_linker = engine::transcoder_linker(&transcoder_engine)?;
        engine::start_ticker(&transcoder_engine)?;
        let transcoder_compat = engine::compat_hash(&transcoder_engine);
        Ok(WasmHost {
            inner: Arc::new(Inner {
                config,
                engine,
                linker,
                filter_linker,
                compat,
                transcoder_engine,
                transcoder_linker,
                transcoder_compat,
            }),
        })
    }

    /// Validates an upload and compiles it, caching the artifact.
    ///
    /// Refuses anything but a component targeting the call-handler world: a core
    /// module, a precompiled artifact, random bytes, a component without the
    /// `handle` export or with the wrong signature, or one importing interfaces
    /// beyond WASI and `switchyard:telephony`.
    pub fn compile(&self, wasm: &[u8], limits: AppLimits) -> Result<CompiledApp, Error> {
        self.compile_with(EngineOf::Apps, wasm, limits, Self::finish)
    }

    /// Loads an app at restart: from its cached artifact when this engine wrote
    /// one, else by compiling (and caching) it again.
    pub fn load(&self, wasm: &[u8], limits: AppLimits) -> Result<(CompiledApp, Loaded), Error> {
        self.load_with(EngineOf::Apps, wasm, limits, Self::finish)
    }

    /// What `compile` of every world does: checks, compiles, lets `finish` validate
    /// the world, then caches the artifact.
    pub(crate) fn compile_with<X>(
        &self,
        of: EngineOf,
        wasm: &[u8],
        limits: AppLimits,
        finish: impl FnOnce(&Self, String, Component, AppLimits) -> Result<X, Error>,
    ) -> Result<X, Error> {
        self.check_limits(&limits)?;
        validate::check_header(wasm)?;
        let sha256 = artifact::sha256_hex(wasm);
        let (engine, compat) = self.engine_of(of);
        let component =
            Component::new(engine, wasm).map_err(|e| Error::InvalidComponent(format!("{e:#}")))?;
        let path = artifact::path(&self.inner.config.artifact_dir, &sha256, compat);
        // Validate before caching, so a refused upload leaves nothing on disk.
        let compiled = finish(self, sha256, component.clone(), limits)?;
        // `serialize` of a freshly compiled component is exactly what
        // `Engine::precompile_component` returns for the same bytes, without
        // compiling twice.
        let native = component
            .serialize()
            .map_err(|e| Error::Engine(format!("serializing the artifact: {e:#}")))?;
        artifact::store(&path, &native)?;
        Ok(compiled)
    }

    /// What `load` of every world does: the cached artifact if this engine wrote
    /// one, else [`WasmHost::compile_with`].
    pub(crate) fn load_with<X>(
        &self,
        of: EngineOf,
        wasm: &[u8],
        limits: AppLimits,
        finish: impl Fn(&Self, String, Component, AppLimits) -> Result<X, Error>,
    ) -> Result<(X, Loaded), Error> {
        self.check_limits(&limits)?;
        validate::check_header(wasm)?;
        let sha256 = artifact::sha256_hex(wasm);
        let (engine, compat) = self.engine_of(of);
        let path = artifact::path(&self.inner.config.artifact_dir, &sha256, compat);
        if let Some(component) = artifact::load(engine, &path) {
            return Ok((finish(self, sha256, component, limits)?, Loaded::FromCache));
        }
        Ok((
            self.compile_with(of, wasm, limits, finish)?,
            Loaded::Compiled,
        ))
    }

    /// The engine compiling `of`'s components and its compatibility hash.
    fn engine_of(&self, of: EngineOf) -> (&Engine, &str) {
        match of {
            EngineOf::Apps => (&self.inner.engine, &self.inner.compat),
            EngineOf::Transcoders => (&self.inner.transcoder_engine, &self.inner.transcoder_compat),
        }
    }

    fn check_limits(&self, limits: &AppLimits) -> Result<(), Error> {
        let max = self.inner.config.default_memory;
        if limits.memory > max {
            return Err(Error::MemoryLimit {
                requested: limits.memory,
                max,
            });
        }
        Ok(())
    }

    fn finish(
        &self,
        sha256: String,
        component: Component,
        limits: AppLimits,
    ) -> Result<CompiledApp, Error> {
        // A component exporting `handle-instructions` targets the instruction-handler
        // world, one exporting `handle-steps` the step-handler world; any other is
        // checked as a call-handler (so one with none is told it lacks `handle`, the
        // export every app had before).
        let engine = &self.inner.engine;
        let pre = if validate::exports(engine, &component, INSTRUCTION_HANDLER) {
            let pre =
                validate::check_world(engine, &self.inner.linker, &component, INSTRUCTION_HANDLER)?;
            AppPre::Instructions(
                InstructionHandlerPre::new(pre)
                    .map_err(|e| INSTRUCTION_HANDLER.wrong_signature(e))?,
            )
        } else if validate::exports(engine, &component, STEP_HANDLER) {
            let pre = validate::check_world(engine, &self.inner.linker, &component, STEP_HANDLER)?;
            AppPre::Steps(StepHandlerPre::new(pre).map_err(|e| STEP_HANDLER.wrong_signature(e))?)
        } else {
            let pre = validate::check_world(engine, &self.inner.linker, &component, CALL_HANDLER)?;
            AppPre::Verbs(CallHandlerPre::new(pre).map_err(|e| CALL_HANDLER.wrong_signature(e))?)
        };
        Ok(CompiledApp {
            inner: Arc::new(AppInner {
                sha256,
                pre,
                limits,
            }),
        })
    }

    /// The host's configuration.
    pub fn config(&self) -> &HostConfig {
        &self.inner.config
    }
}
