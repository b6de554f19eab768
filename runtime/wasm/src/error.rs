//! The crate's errors: [`Error`] for setting up the host and accepting an app,
//! [`StepError`] for one call step that did not produce verbs.
//!
//! They are apart because they reach different people: an [`Error`] is told to the
//! tenant at upload (or to the operator at start), a [`StepError`] sends the live
//! call to the app's fallback and becomes a notification with a Twilio-style code.

use std::path::PathBuf;

/// Why the host could not start, or why an uploaded app was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The wasmtime engine refused the configuration.
    #[error("cannot configure the wasm engine: {0}")]
    Engine(String),
    /// The artifact directory could not be created or written.
    #[error("artifact cache {path}: {source}")]
    Cache {
        /// The file or directory concerned.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The upload does not start with the WebAssembly magic number.
    #[error("not a WebAssembly binary (no `\\0asm` header)")]
    NotWasm,
    /// A core module where a component was expected.
    #[error(
        "this is a core WebAssembly module, not a component: build with `--target wasm32-wasip2`"
    )]
    CoreModule,
    /// A precompiled artifact: we only run what we compiled ourselves.
    #[error("precompiled artifacts are not accepted; upload the .wasm component")]
    Precompiled,
    /// The bytes are a component header but not a valid component.
    #[error("invalid component: {0}")]
    InvalidComponent(String),
    /// The component does not export its world's function (`handle` for the
    /// call-handler world, `filter` for the event-filter world).
    #[error("missing export `{export}` (the component does not target the {world} world; it exports: {exports})")]
    MissingExport {
        /// The function the world exports.
        export: &'static str,
        /// The world the upload was meant to target.
        world: &'static str,
        /// What the component exports instead, comma-separated.
        exports: String,
    },
    /// The export exists but its type differs from the world's.
    #[error("export `{export}` does not have the {world} signature: {detail}")]
    WrongSignature {
        /// The function the world exports.
        export: &'static str,
        /// The world the upload was meant to target.
        world: &'static str,
        /// What differs.
        detail: String,
    },
    /// The component imports something the host does not provide.
    #[error("unknown import `{name}`: only WASI and switchyard:telephony interfaces are provided")]
    UnknownImport {
        /// The import's name.
        name: String,
    },
    /// A WASI import the host does not link (another interface or version).
    #[error("import not provided by this host: {0}")]
    UnsupportedImport(String),
    /// The app asks for more memory than a pool slot holds.
    #[error("memory limit {requested} bytes exceeds the host's {max} bytes per instance")]
    MemoryLimit {
        /// What the app asked for.
        requested: usize,
        /// [`crate::HostConfig::default_memory`].
        max: usize,
    },
}

/// Why one call step produced no verbs. The call continues with the app's fallback.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// The guest returned its own `app-error`.
    #[error("app error {code}: {message}")]
    App {
        /// The guest's code (Twilio-style, e.g. 12100).
        code: u32,
        /// The guest's message.
        message: String,
    },
    /// The guest trapped (panic, `unreachable`, stack overflow, bad memory access …).
    #[error("app trapped: {0}")]
    Trap(String),
    /// The guest ran longer than its CPU budget.
    #[error("app exceeded its CPU budget")]
    CpuBudget,
    /// The step took longer than its wall-clock budget.
    #[error("app exceeded its wall-clock budget")]
    WallTimeout,
    /// The guest tried to grow past its memory limit.
    #[error("app exceeded its memory limit")]
    Memory,
    /// The verbs returned were larger than the host accepts
    /// (over [`crate::HostConfig::max_verbs_bytes`]).
    #[error("app returned more verbs than the host accepts")]
    TooLarge,
    /// The instance could not be created (pool exhausted, start function failed …).
    #[error("cannot instantiate app: {0}")]
    Instantiate(String),
    /// The host's request could not be expressed in the WIT types.
    #[error("invalid call request: {0}")]
    Request(String),
}

impl StepError {
    /// A one-line reason for notifications and the `app.error` event.
    pub fn reason(&self) -> String {
        self.to_string()
    }

    /// The Twilio-style error code reported as `ErrorCode` to the fallback.
    ///
    /// Twilio's 11200 ("HTTP retrieval failure") and 11205 ("HTTP connection
    /// failure") are what a webhook app gets for a dead or slow server, and 12100
    /// ("Document parse failure") / 12300 ("Invalid Content-Type") for bad output;
    /// a Wasm app failing the same way gets the same family so existing fallback
    /// handlers keep working: a crash is like a 500 (11200), a timeout like 11205,
    /// oversized output like 11750 ("TwiML response body too large"). The guest's
    /// own `app-error` keeps the code it chose.
    pub fn code(&self) -> u32 {
        match self {
            StepError::App { code, .. } => *code,
            StepError::Trap(_) | StepError::Memory | StepError::Instantiate(_) => 11200,
            StepError::CpuBudget | StepError::WallTimeout => 11205,
            StepError::TooLarge => 11750,
            StepError::Request(_) => 12100,
        }
    }
}
