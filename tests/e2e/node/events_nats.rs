//! The event router's end-to-end tests again, with the node on the NATS JetStream
//! broker (a `nats-server` of the test's own): the same behaviour on both brokers.

use anyhow::Result;
use switchyard_e2e::nats::NatsServer;

use super::events;

fn on_nats(server: &NatsServer, more: &str) -> String {
    format!(
        "[events]\nbroker = \"nats\"\nnats_url = \"{}\"\n{more}",
        server.url
    )
}

#[test]
fn nats_sse_subscribers_see_a_calls_events_in_order_and_filtered() -> Result<()> {
    let nats = NatsServer::start();
    events::sse_subscribers_see_the_call_in_order(&on_nats(&nats, ""))
}

#[test]
fn nats_a_reconnecting_subscriber_gets_exactly_what_it_missed() -> Result<()> {
    let nats = NatsServer::start();
    events::replay_after_a_disconnect(&on_nats(&nats, ""))
}

#[test]
fn nats_resuming_beyond_retention_gets_the_gap_event() -> Result<()> {
    let nats = NatsServer::start();
    events::gap_beyond_retention(&on_nats(&nats, "retention_events = 6\n"))
}

#[test]
fn nats_a_webhook_sink_gets_signed_retried_posts() -> Result<()> {
    let nats = NatsServer::start();
    events::webhook_sink_receives_the_call(&on_nats(&nats, ""))
}

#[test]
fn nats_a_client_event_during_a_gather_changes_what_the_caller_hears() -> Result<()> {
    let nats = NatsServer::start();
    events::client_event_steers_the_call(&on_nats(&nats, ""))
}

#[test]
fn nats_websocket_and_quic_subscribers_see_the_call_beside_sse() -> Result<()> {
    let nats = NatsServer::start();
    super::channels::all_channels_see_the_call(&on_nats(&nats, ""))
}
