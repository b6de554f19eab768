//! Never returns: the host's epoch deadline must stop the filter call, not the node.

use switchyard_sdk::{export_filter, Decision, Event};

fn filter(event: Event) -> Decision {
    // black_box keeps the optimiser from proving the loop pointless.
    let mut n = event.timestamp_ms();
    loop {
        n = std::hint::black_box(n.wrapping_mul(6364136223846793005).wrapping_add(1));
        if n == 42 && event.id() == "never" {
            return Decision::Pass;
        }
    }
}

export_filter!(filter);
