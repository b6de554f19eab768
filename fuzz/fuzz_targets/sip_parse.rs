//! Feeds arbitrary bytes to the parser, the stream framer and an Endpoint;
//! any panic is a bug.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use switchyard_sip::{frame_len, parse_message, Endpoint, EndpointConfig, Transport};

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = parse_message(data) {
        // Whatever parses must print and parse again.
        let printed = msg.to_bytes();
        let _ = parse_message(&printed);
    }
    if let Ok(Some(n)) = frame_len(data) {
        assert!(n <= data.len());
        let _ = parse_message(&data[..n]);
    }
    let cfg = EndpointConfig::new("127.0.0.1:5060".parse().unwrap(), "fuzz");
    let mut ep = Endpoint::new(cfg);
    let now = Instant::now();
    let source = "192.0.2.1:5060".parse().unwrap();
    // Twice, so the second copy exercises retransmission matching.
    ep.handle_input(now, Transport::Udp, source, data);
    ep.handle_input(now, Transport::Tcp, source, data);
    ep.handle_input(now, Transport::Udp, source, data);
    while ep.poll_transmit().is_some() {}
    while ep.poll_event().is_some() {}
    ep.handle_timeout(now + Duration::from_secs(64));
    while ep.poll_transmit().is_some() {}
    while ep.poll_event().is_some() {}
});
