//! Host capabilities. Inside the node (wasm32) each call goes to the host through WIT;
//! on other targets a local stand-in answers, so handlers can be unit-tested natively
//! with `cargo test`.

pub mod clock;
pub mod http;
pub mod log;
pub mod session;
