//! The wasmtime host for tenant call-handler apps.
//!
//! A tenant uploads a WebAssembly component targeting the `call-handler` world of
//! `switchyard:telephony@0.1.0`. [`WasmHost::compile`] validates it and caches the
//! native artifact on disk; [`WasmHost::handle`] runs one call step on a fresh
//! instance under the app's memory, CPU and wall-clock budgets and turns the verbs it
//! returns into the node's [`switchyard_instructions::Verb`] model.
//!
//! Event filters (the `event-filter` world) run the same way:
//! [`WasmHost::compile_filter`], then [`CompiledFilter::filter`] per event.
//! Transcoders (the `transcoder` world) live with their media stream:
//! [`WasmHost::compile_transcoder`], then one [`TranscoderStream`] per stream direction,
//! [`TranscoderStream::process`] every 20 ms on the media thread.
//!
//! Isolation is the point: a guest that traps, spins or exhausts its memory is
//! stopped and reported as a [`StepError`]; other calls on the same host never notice.

mod artifact;
mod bindings;
mod config;
mod context;
mod engine;
mod error;
mod filter;
mod filter_bindings;
mod host;
mod http;
mod imports;
mod instructions;
mod instructions_bindings;
mod log_budget;
mod request;
mod state;
mod step;
mod steps;
mod steps_bindings;
mod transcoder;
mod transcoder_bindings;
mod validate;
mod verbs;

pub use config::{AppLimits, HostConfig};
pub use context::{
    Level, LogSink, MemorySessionStore, SessionError, SessionScope, SessionStore, StepContext,
};
pub use error::{Error, StepError};
pub use filter::{CompiledFilter, FilterContext, FilterDecision, FilterEvent};
pub use host::{CompiledApp, Loaded, WasmHost};
pub use log_budget::LogCaps;
pub use request::CallRequest;
pub use transcoder::{
    Bypass, CompiledTranscoder, PcmFormat, TranscoderContext, TranscoderLimits, TranscoderStream,
    FUEL_PER_MS,
};
