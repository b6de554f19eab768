//! Self-tests of the peers and the harness; none needs the node.

mod capture;
mod node;
mod phone;
mod sipp;
mod webhook;
