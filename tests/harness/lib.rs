//! Harness for the end-to-end tests: a real `switchyard` node on loopback driven by
//! real peers (sipp, a pjsua2 phone, a Python webhook built on Twilio's own library),
//! with tcpdump watching the RTP on the wire.
//!
//! Every peer is a child process with a bounded lifetime that is killed when its
//! handle is dropped, and everything binds 127.0.0.1 only. See `tests/README.md`.

pub mod audio;
pub mod baresip;
pub mod capture;
pub mod events;
pub mod http;
pub mod media_stream;
pub mod nats;
pub mod node;
pub mod pcap;
pub mod phone;
pub mod ports;
mod process;
pub mod prometheus;
pub mod quic;
pub mod signature;
pub mod sipp;
pub mod wasm;
pub mod webhook;
pub mod ws;

pub use capture::{Capture, RtpPacket, TelephoneEvent};
pub use events::{EventStream, SseEvent};
pub use node::{AccountConfig, Node, NodeConfig, NumberConfig};
pub use phone::{
    Callee, CalleeOptions, HangUp, Phone, PhoneOptions, PhoneOutcome, PhoneProcess, PhoneSummary,
    Registration, ToneReport,
};
pub use ports::{free_port, free_udp_block};
pub use prometheus::Prometheus;
pub use quic::{QuicChannel, QuicRefusal};
pub use sipp::{Sipp, SippCommand, SippMessage, SippOutcome, SippProcess};
pub use webhook::{Scenario, Webhook, WebhookRequest};
pub use ws::WsChannel;

use std::path::PathBuf;

/// Account used by default in [`NodeConfig::new`]; matches the brief's example config.
pub const ACCOUNT_SID: &str = "AC00000000000000000000000000000001";
/// Auth token of [`ACCOUNT_SID`]: the HMAC-SHA1 key of `X-Twilio-Signature`.
pub const AUTH_TOKEN: &str = "secret-token";
/// Key for `X-Switchyard-Signature` of [`ACCOUNT_SID`].
pub const SIGNING_KEY: &str = "swy-key";
/// The number the default [`NumberConfig::webhook`] routes to its webhook.
pub const NUMBER: &str = "+15550001111";
/// The account `switchyard up` creates when started with no config file.
pub const DEMO_ACCOUNT_SID: &str = "AC00000000000000000000000000000de0";
/// Its auth token.
pub const DEMO_AUTH_TOKEN: &str = "demo-auth-token";

/// `tests/` of the workspace: the root of the peers and sipp scenarios.
pub fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Path of a sipp scenario shipped in `tests/sipp/`, e.g. `sipp_scenario("uac_bye.xml")`.
pub fn sipp_scenario(name: &str) -> PathBuf {
    tests_dir().join("sipp").join(name)
}

/// Path of a Python peer in `tests/peers/`.
pub fn peer_script(name: &str) -> PathBuf {
    tests_dir().join("peers").join(name)
}
