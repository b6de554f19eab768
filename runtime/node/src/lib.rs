//! The Switchyard node: owns the sockets and the clock, and drives the sans-IO cores
//! (`switchyard-sip`, `switchyard-rtp`, the call executor) with them.

mod account_cap;
mod conference;
pub mod config;
mod console;
mod demo;
pub mod events;
mod http;
mod live;
mod media_io;
mod metering;
pub mod metrics;
mod outbound;
mod overload;
mod ports;
mod presence;
mod queues;
mod recording_api;
mod routing;
mod self_signed;
mod session;
mod shared;
mod sip_io;
mod status;
mod streams;
mod trust;
mod wasm_apps;
mod wasm_glue;
mod welcome;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use config::Config;
pub use shared::Shared;

/// Run a node until Ctrl-C (or SIGTERM), then drain calls in progress and return.
pub async fn run(config: Config, demo: bool) -> anyhow::Result<()> {
    let shared = start(config.clone()).await?;
    let console = demo
        .then(|| demo_account(&shared))
        .flatten()
        .map(|a| http::console_link(&a));
    print!("{}", welcome::text(&config, console.as_deref()));
    let _ = std::io::Write::flush(&mut std::io::stdout());
    shutdown_signal().await;
    drain(&shared, Duration::from_secs(config.node.drain_seconds)).await;
    Ok(())
}

/// Bind every listener and start every task of a node; returns its shared state (the
/// benchmarks publish events through it). The node runs until the runtime stops.
pub async fn start(config: Config) -> anyhow::Result<Arc<Shared>> {
    let http_listener = tokio::net::TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("binding HTTP on {}", config.http.listen))?;
    let events = events::EventHub::start(&config.events).await?;
    let (shared, sip_commands) = Shared::new(config.clone(), events)?;
    shared.sinks.start_all(&shared);
    if let Some(listen) = config.events.quic_listen {
        events::serve_quic(shared.clone(), listen, &config.node.data_dir)?;
    }
    // Every deployed app version, from the artifact cache when this engine compiled it.
    let wasm = shared.wasm.clone();
    tokio::task::spawn_blocking(move || wasm.load_all()).await?;
    sip_io::start(&config, shared.clone(), sip_commands)
        .await
        .with_context(|| format!("binding SIP on {}", config.sip.listen))?;
    overload::spawn_probe(shared.overload.clone());
    presence::spawn_expiry(shared.clone());
    let outbound = outbound::Outbound::new(shared.clone());
    tokio::spawn(outbound.clone().dispatch());
    let api = switchyard_api::ApiState {
        repo: shared.store.clone(),
        calls: outbound,
        // The recorder writes `{data_dir}/recordings/{AC…}/{RE…}.wav`; the API serves them.
        recordings: shared.recordings.clone(),
        public_url: config.http_base_url(),
    };
    let app = http::router(shared.clone(), api);
    // Each connection gets a clone of the router (an Arc); event streams get a
    // connection of their own that holds no buffers between events.
    tokio::spawn(http::serve(http_listener, app));
    tracing::info!(
        sip = %config.sip.listen,
        http = %config.http.listen,
        data_dir = %config.node.data_dir.display(),
        "switchyard node up"
    );
    Ok(shared)
}

fn demo_account(shared: &Shared) -> Option<switchyard_store::Account> {
    let sid = config::DEMO_ACCOUNT.parse().ok()?;
    switchyard_store::Repository::account(shared.store.as_ref(), sid)
        .ok()
        .flatten()
}

/// Stop taking calls, hang up the ones in progress, and wait for them to end.
async fn drain(shared: &Arc<Shared>, limit: Duration) {
    let active = shared.calls_in_progress();
    tracing::info!(active, "draining calls");
    shared.begin_shutdown();
    let deadline = tokio::time::Instant::now() + limit;
    while shared.calls_in_progress() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    shared.store.flush();
    tracing::info!(left = shared.calls_in_progress(), "stopped");
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = ctrl_c => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
