//! The wasmtime host for tenant Wasm apps.
