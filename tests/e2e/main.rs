//! End-to-end tests: a real node on loopback driven by real peers.
//!
//! `peers` proves each peer and the harness on their own (sipp against sipp,
//! the phone against a sipp UAS, the webhook against signatures computed here),
//! so a failure in a node test points at the node, not at the test rig.

mod node;
mod peers;
