//! The child process of the `events` benchmark (`switchyard-bench events-server`): a
//! whole node (or the bare reference SSE server) plus a publisher driven over stdin, so
//! that the node's memory and CPU in `/proc` are its own and not the clients'.
//!
//! Protocol, one line each way: the child prints `ready <http address>` once serving;
//! then `publish <count> <rate per s> <accounts>` publishes `count` events at that rate,
//! round robin over the first `accounts` accounts of the config, each with data field
//! `t` = unix nanoseconds at publication, and answers `done <count> <start ns> <end ns>`;
//! `publish-calls <count> <rate per s> <calls>` does the same on the first account, round
//! robin over calls `0..calls` (see [`call_sid`]), for subscribers that each follow one
//! call (`?filter=Call=CA…`); `subs` answers `subs <registered subscribers>`; `quit` (or
//! end of stdin) exits.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use switchyard_events::Draft;
use switchyard_node::config::Config;
use switchyard_types::{AccountSid, CallSid};
use tokio::sync::broadcast;

/// The event type every benchmark event carries.
pub const EVENT_TYPE: &str = "bench.tick";

/// What the child serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// `switchyard_node::start` with the config: broker, router, SSE channel.
    Node,
    /// The reference: one axum route writing pre-rendered frames from a tokio
    /// broadcast channel per account (no broker, no router, no per-subscriber queue).
    Bare,
}

/// The call of number `k` in `publish-calls`.
pub fn call_sid(k: usize) -> CallSid {
    format!("CA{:032x}", 0xca11_0000 + k)
        .parse()
        .expect("a well-formed call sid")
}

/// Unix time in nanoseconds.
pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Runs the child until `quit` or end of stdin.
pub fn run(config_path: &Path, mode: Mode) -> Result<()> {
    let config = Config::load(config_path)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let accounts: Vec<AccountSid> = config.accounts.iter().map(|a| a.sid).collect();
    let http = config.http.listen;
    let server: Box<dyn Server> = match mode {
        Mode::Node => {
            let shared = rt
                .block_on(switchyard_node::start(config))
                .context("starting the node")?;
            Box::new(NodeServer { shared })
        }
        Mode::Bare => Box::new(rt.block_on(BareServer::start(&config))?),
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready {http}")?;
    out.flush()?;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["publish", count, rate, n] => {
                let (count, rate, n): (u64, f64, usize) =
                    (count.parse()?, rate.parse()?, n.parse()?);
                let n = n.clamp(1, accounts.len());
                let (start, end) = publish(count, rate, |seq| {
                    let i = (seq % n as u64) as usize;
                    server.publish(i, &accounts[i], seq, now_ns());
                });
                writeln!(out, "done {count} {start} {end}")?;
            }
            ["publish-calls", count, rate, calls] => {
                let (count, rate, calls): (u64, f64, usize) =
                    (count.parse()?, rate.parse()?, calls.parse()?);
                let calls = calls.max(1);
                let (start, end) = publish(count, rate, |seq| {
                    let call = call_sid((seq % calls as u64) as usize);
                    server.publish_call(&accounts[0], call, seq, now_ns());
                });
                writeln!(out, "done {count} {start} {end}")?;
            }
            ["subs"] => writeln!(out, "subs {}", server.subscribers())?,
            ["quit"] => break,
            _ => writeln!(out, "error unknown command {line:?}")?,
        }
        out.flush()?;
    }
    drop(server);
    rt.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}

/// Calls `one(seq)` `count` times at `rate` per second (catching up in bursts after a
/// late wake-up); returns the unix ns of the first and last publication.
fn publish(count: u64, rate: f64, mut one: impl FnMut(u64)) -> (u64, u64) {
    let start_ns = now_ns();
    let start = Instant::now();
    let mut seq = 0;
    while seq < count {
        let due = ((start.elapsed().as_secs_f64() * rate) as u64 + 1).min(count);
        while seq < due {
            one(seq);
            seq += 1;
        }
        if seq < count {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
    (start_ns, now_ns())
}

trait Server {
    /// Publish event `seq` of account number `index` (`account`), stamped `t_ns`.
    fn publish(&self, index: usize, account: &AccountSid, seq: u64, t_ns: u64);
    /// Publish event `seq` of `call` of `account`, stamped `t_ns`.
    fn publish_call(&self, account: &AccountSid, call: CallSid, seq: u64, t_ns: u64);
    fn subscribers(&self) -> usize;
}

struct NodeServer {
    shared: Arc<switchyard_node::Shared>,
}

impl Server for NodeServer {
    fn publish(&self, _index: usize, account: &AccountSid, _seq: u64, t_ns: u64) {
        self.draft(account, None, t_ns);
    }

    fn publish_call(&self, account: &AccountSid, call: CallSid, _seq: u64, t_ns: u64) {
        self.draft(account, Some(call), t_ns);
    }

    fn subscribers(&self) -> usize {
        self.shared.events.router.len()
    }
}

impl NodeServer {
    fn draft(&self, account: &AccountSid, call_sid: Option<CallSid>, t_ns: u64) {
        self.shared.events.broker.publish(Draft {
            account_sid: *account,
            root_sid: *account,
            call_sid,
            event_type: EVENT_TYPE.into(),
            timestamp_ms: t_ns / 1_000_000,
            data: vec![("t".into(), t_ns.to_string())],
        });
    }
}

/// The reference server's state: a broadcast channel and the expected Basic
/// credentials per account.
#[derive(Debug)]
struct BareState {
    channels: HashMap<String, (broadcast::Sender<Bytes>, String)>,
    /// One channel per followed call (`publish-calls`), made by its first subscriber.
    calls: std::sync::RwLock<HashMap<CallSid, broadcast::Sender<Bytes>>>,
    queue: usize,
    /// Lagged receivers, for the record.
    lagged: AtomicU64,
}

struct BareServer {
    /// The channels, by account number.
    senders: Vec<broadcast::Sender<Bytes>>,
    state: Arc<BareState>,
    epoch: u64,
}

impl BareServer {
    async fn start(config: &Config) -> Result<Self> {
        use base64::Engine as _;
        let queue = config.events.subscriber_queue;
        let mut channels = HashMap::new();
        let mut senders = Vec::new();
        for a in &config.accounts {
            let (tx, _) = broadcast::channel(queue);
            let basic = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", a.sid, a.auth_token))
            );
            channels.insert(a.sid.to_string(), (tx.clone(), basic));
            senders.push(tx);
        }
        let state = Arc::new(BareState {
            channels,
            calls: Default::default(),
            queue,
            lagged: AtomicU64::new(0),
        });
        let app = axum::Router::new()
            .route("/v1/Accounts/{sid}/Events", axum::routing::get(bare_stream))
            .with_state(state.clone());
        // TCP_NODELAY, as the node sets it: the same socket options on both sides.
        use axum::serve::ListenerExt as _;
        let listener = tokio::net::TcpListener::bind(config.http.listen)
            .await?
            .tap_io(|s| {
                let _ = s.set_nodelay(true);
            });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            senders,
            state,
            epoch: now_ns() / 1_000_000,
        })
    }
}

impl BareServer {
    /// The same bytes the node writes: an id, the type and the event's JSON, rendered
    /// once per event and shared by every subscriber.
    fn frame(&self, account: &AccountSid, call: Option<CallSid>, seq: u64, t_ns: u64) -> Bytes {
        let id = format!("{}:0:{}", self.epoch, seq + 1);
        let call = call.map_or("null".to_owned(), |c| format!("\"{c}\""));
        Bytes::from(format!(
            "id: {id}\nevent: {EVENT_TYPE}\ndata: {{\"account_sid\":\"{account}\",\"call_sid\":{call},\
             \"data\":{{\"t\":\"{t_ns}\"}},\"id\":\"{id}\",\"timestamp\":{},\"type\":\"{EVENT_TYPE}\"}}\n\n",
            t_ns / 1_000_000
        ))
    }
}

impl Server for BareServer {
    fn publish(&self, index: usize, account: &AccountSid, seq: u64, t_ns: u64) {
        let _ = self.senders[index].send(self.frame(account, None, seq, t_ns));
    }

    fn publish_call(&self, account: &AccountSid, call: CallSid, seq: u64, t_ns: u64) {
        let calls = self.state.calls.read().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = calls.get(&call) {
            let _ = tx.send(self.frame(account, Some(call), seq, t_ns));
        }
    }

    fn subscribers(&self) -> usize {
        let calls = self.state.calls.read().unwrap_or_else(|e| e.into_inner());
        self.senders
            .iter()
            .map(|s| s.receiver_count())
            .sum::<usize>()
            + calls.values().map(|s| s.receiver_count()).sum::<usize>()
    }
}

/// The call a reference stream follows: `?filter=Call%3DCA…` as the clients send it.
fn followed_call(query: Option<&str>) -> Option<CallSid> {
    query?.strip_prefix("filter=Call%3D")?.parse().ok()
}

async fn bare_stream(
    State(state): State<Arc<BareState>>,
    UrlPath(sid): UrlPath<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some((tx, basic)) = state.channels.get(&sid) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if auth != Some(basic.as_str()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let rx = match followed_call(query.as_deref()) {
        Some(call) => {
            let mut calls = state.calls.write().unwrap_or_else(|e| e.into_inner());
            calls
                .entry(call)
                .or_insert_with(|| broadcast::channel(state.queue).0)
                .subscribe()
        }
        None => tx.subscribe(),
    };
    let first = Some(Bytes::from_static(b"retry: 3000\n\n"));
    let stream = futures_util::stream::unfold(
        (rx, first, state.clone(), false),
        |(mut rx, first, state, done)| async move {
            if done {
                return None;
            }
            if let Some(f) = first {
                return Some((
                    Ok::<_, std::convert::Infallible>(f),
                    (rx, None, state, false),
                ));
            }
            match rx.recv().await {
                Ok(b) => Some((Ok(b), (rx, None, state, false))),
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    state.lagged.fetch_add(1, Ordering::Relaxed);
                    let last = Bytes::from_static(
                        b"event: stream.closed\ndata: {\"reason\":\"overflowed\"}\n\n",
                    );
                    Some((Ok(last), (rx, None, state, true)))
                }
                Err(broadcast::error::RecvError::Closed) => None,
            }
        },
    );
    let mut response = (StatusCode::OK, Body::from_stream(stream)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/event-stream"),
    );
    response
}
