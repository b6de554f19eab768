//! The webhook side of the `wasm` benchmark: the IVR's Python twin as a child process,
//! a Rust loopback webhook serving the same documents, and the node's webhook client
//! stepping through them.

use crate::wasmapp::{params, PATHS};
use anyhow::{bail, Context, Result};
use axum::{http::header, routing::post, Form, Router};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use switchyard_instructions::{parse_twiml, Verb};
use switchyard_webhook::{AppResponse, CookieJar, Signer, Target, WebhookClient, WebhookConfig};
use tokio::sync::oneshot;

/// `examples/ivr-webhook/ivr_webhook.py` on 127.0.0.1; killed when dropped.
#[derive(Debug)]
pub struct PythonTwin {
    child: Child,
    port: u16,
}

impl PythonTwin {
    /// Starts the twin on a free port and waits for its `PORT n` line. It stops by
    /// itself after `lifetime_secs` should this process die without dropping it.
    pub fn start(workspace: &Path, lifetime_secs: u64) -> Result<Self> {
        let script = workspace.join("examples/ivr-webhook/ivr_webhook.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("0")
            .args(["--lifetime", &lifetime_secs.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", script.display()))?;
        let stdout = child.stdout.take().context("twin stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok());
        match port {
            Some(port) => Ok(PythonTwin { child, port }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the twin printed {line:?} instead of PORT n (is the twilio package installed?)")
            }
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for PythonTwin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Rust webhook on 127.0.0.1 answering the IVR's two documents as fixed text, on its
/// own 2-worker runtime and thread; stopped when dropped.
#[derive(Debug)]
pub struct RustHook {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RustHook {
    /// Serves `welcome` on `POST /` and `gathered` on `POST /gathered` when the form
    /// has `Digits=1` (400 otherwise, so a wrong request cannot pass as a step).
    pub fn start(welcome: String, gathered: String) -> Result<Self> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let docs = Arc::new((welcome, gathered));
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rusthook")
            .enable_all()
            .build()?;
        let thread = std::thread::spawn(move || {
            rt.block_on(async move {
                let (w, g) = (docs.clone(), docs);
                let app = Router::new()
                    .route("/", post(move || async move { xml(w.0.clone()) }))
                    .route(
                        "/gathered",
                        post(move |Form(f): Form<HashMap<String, String>>| async move {
                            if f.get("Digits").map(String::as_str) == Some("1") {
                                Ok(xml(g.1.clone()))
                            } else {
                                Err(axum::http::StatusCode::BAD_REQUEST)
                            }
                        }),
                    );
                let listener = match tokio::net::TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => return eprintln!("rust webhook listener: {e}"),
                };
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await;
            });
        });
        Ok(RustHook {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn xml(body: String) -> ([(header::HeaderName, &'static str); 1], String) {
    ([(header::CONTENT_TYPE, "text/xml")], body)
}

impl Drop for RustHook {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The node's webhook client stepping through one webhook's two paths. Clone one per
/// concurrent task: each clone keeps its own cookie jar, all share the connection pool.
#[derive(Debug, Clone)]
pub struct HookIvr {
    client: WebhookClient,
    signer: Arc<Signer>,
    targets: Arc<[Target; 2]>,
    forms: Arc<[Vec<(String, String)>; 2]>,
    jar: CookieJar,
}

impl HookIvr {
    /// Steps against the webhook at `base_url` with Twilio's timeouts, signing as the
    /// node does (`X-Twilio-Signature` and `X-Switchyard-Signature`).
    pub fn new(base_url: &str) -> Result<Self> {
        Ok(HookIvr {
            client: WebhookClient::new(WebhookConfig::default())?,
            signer: Arc::new(Signer::new(
                "bench-auth-token".into(),
                Some(("k1".into(), b"bench-switchyard-key".to_vec())),
            )),
            targets: Arc::new(PATHS.map(|(p, _)| Target::post(format!("{base_url}{p}")))),
            forms: Arc::new(PATHS.map(|(_, d)| params(d))),
            jar: CookieJar::default(),
        })
    }

    /// The raw TwiML of step `i`.
    pub async fn twiml(&mut self, i: u64) -> Result<String> {
        let k = (i % 2) as usize;
        match self
            .client
            .fetch(
                &self.targets[k],
                &self.forms[k],
                &self.signer,
                &mut self.jar,
            )
            .await?
        {
            AppResponse::Twiml(text) => Ok(text),
            other => bail!("{} answered {other:?}, not TwiML", self.targets[k].url),
        }
    }

    /// Step `i`: path `i % 2`, signed POST, answer parsed into verbs.
    pub async fn step(&mut self, i: u64) -> Result<Vec<Verb>> {
        let text = self.twiml(i).await?;
        Ok(parse_twiml(&text)?)
    }
}
