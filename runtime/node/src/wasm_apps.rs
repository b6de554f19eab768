//! Tenant Wasm apps on this node: deploy (validate, compile once, store a version), load
//! every version at start-up from the artifact cache, and hand a session the exact version
//! its call started with. Event filters (the `event-filter` world) are deployed the same
//! way, with `Kind=event-filter`; the event router runs their latest version. So are
//! transcoders (`Kind=transcoder`): a call's media path instantiates the latest version
//! per stream direction.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use switchyard_store::{Repository, Store, WasmApp};
use switchyard_types::AccountSid;
use switchyard_wasm::{
    AppLimits, CompiledApp, CompiledFilter, CompiledTranscoder, HostConfig, Loaded, WasmHost,
};

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("Name {0:?} is invalid: use 1 to 64 letters, digits, '-' or '_'")]
    BadName(String),
    #[error("the body is empty: send the component's bytes")]
    Empty,
    #[error("{0}")]
    Invalid(String),
    #[error("store: {0}")]
    Store(#[from] switchyard_store::Error),
}

/// Which world a component targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    /// `call-handler`: answers calls.
    #[default]
    CallHandler,
    /// `event-filter`: decides what an event subscriber sees.
    EventFilter,
    /// `transcoder`: processes a call's audio, 20 ms at a time.
    Transcoder,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallHandler => "call-handler",
            Self::EventFilter => "event-filter",
            Self::Transcoder => "transcoder",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::CallHandler, Self::EventFilter, Self::Transcoder]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Deployment options (query parameters of the upload).
#[derive(Debug, Clone)]
pub struct DeployOptions {
    pub memory_limit: u64,
    pub cpu_ms: u32,
    pub http_allow: Vec<String>,
    pub kind: Kind,
}

impl Default for DeployOptions {
    fn default() -> Self {
        Self {
            memory_limit: 64 << 20,
            cpu_ms: 50,
            http_allow: Vec::new(),
            kind: Kind::CallHandler,
        }
    }
}

/// A compiled component of any world.
#[derive(Debug, Clone)]
enum Compiled {
    App(CompiledApp),
    Filter(CompiledFilter),
    Transcoder(CompiledTranscoder),
}

/// Why a call's media cannot get the transcoder it names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranscoderError {
    #[error("no app named {0:?} is deployed")]
    NotDeployed(String),
    #[error("app {name:?} is a {kind} app, not a transcoder (deploy it with Kind=transcoder)")]
    NotTranscoder { name: String, kind: String },
}

type Key = (AccountSid, String, u32);

/// The node's compiled apps, every stored version.
pub struct WasmApps {
    pub host: WasmHost,
    compiled: Mutex<HashMap<Key, Compiled>>,
    /// The latest version of each app, as stored: every deploy and delete goes through
    /// here, so it is kept exact without reading the store on each call (a stored row
    /// holds the component, and reading past it walks the blob's overflow pages).
    latest: Mutex<HashMap<(AccountSid, String), WasmApp>>,
    store: Arc<Store>,
}

impl std::fmt::Debug for WasmApps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmApps").finish_non_exhaustive()
    }
}

pub fn limits(app: &WasmApp) -> AppLimits {
    AppLimits {
        memory: app.memory_limit as usize,
        cpu: Duration::from_millis(u64::from(app.cpu_ms)),
        wall: Duration::from_millis(u64::from(app.cpu_ms).max(50) * 20),
        http_allow: app.http_allow.clone(),
    }
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl WasmApps {
    pub fn new(data_dir: &std::path::Path, store: Arc<Store>) -> anyhow::Result<Self> {
        let host = WasmHost::new(HostConfig::new(data_dir.join("artifacts")))?;
        Ok(Self {
            host,
            compiled: Mutex::default(),
            latest: Mutex::default(),
            store,
        })
    }

    /// Load every stored version: from the artifact cache when this engine compiled it
    /// before, else by compiling. Returns (from cache, compiled, failed).
    pub fn load_all(&self) -> (usize, usize, usize) {
        let started = Instant::now();
        let (mut cached, mut compiled, mut failed) = (0, 0, 0);
        let apps = self.store.all_wasm_apps().unwrap_or_default();
        for app in apps {
            let bytes = self
                .store
                .wasm_app_bytes(app.account_sid, &app.name, app.version)
                .ok()
                .flatten();
            let Some(bytes) = bytes else {
                failed += 1;
                continue;
            };
            let loaded = match Kind::parse(&app.kind) {
                Some(Kind::EventFilter) => self
                    .host
                    .load_filter(&bytes, limits(&app))
                    .map(|(c, how)| (Compiled::Filter(c), how)),
                Some(Kind::Transcoder) => self
                    .host
                    .load_transcoder(&bytes, limits(&app))
                    .map(|(c, how)| (Compiled::Transcoder(c), how)),
                _ => self
                    .host
                    .load(&bytes, limits(&app))
                    .map(|(c, how)| (Compiled::App(c), how)),
            };
            match loaded {
                Ok((c, how)) => {
                    match how {
                        Loaded::FromCache => cached += 1,
                        Loaded::Compiled => compiled += 1,
                    }
                    self.lock()
                        .insert((app.account_sid, app.name.clone(), app.version), c);
                }
                Err(e) => {
                    failed += 1;
                    tracing::error!(app = %app.name, version = app.version, error = %e, "app not loaded");
                }
            }
        }
        if cached + compiled + failed > 0 {
            tracing::info!(
                from_cache = cached,
                compiled,
                failed,
                ms = started.elapsed().as_millis() as u64,
                "Wasm apps loaded"
            );
        }
        (cached, compiled, failed)
    }

    /// Validate, compile and store a new version of `name`.
    pub fn deploy(
        &self,
        account: AccountSid,
        name: &str,
        bytes: &[u8],
        options: DeployOptions,
    ) -> Result<WasmApp, DeployError> {
        if !valid_name(name) {
            return Err(DeployError::BadName(name.to_owned()));
        }
        if bytes.is_empty() {
            return Err(DeployError::Empty);
        }
        let now = crate::shared::now_ms();
        let meta = WasmApp {
            account_sid: account,
            name: name.to_owned(),
            version: 0,
            sha256: hex::encode(Sha256::digest(bytes)),
            size: bytes.len() as u64,
            memory_limit: options.memory_limit,
            cpu_ms: options.cpu_ms,
            http_allow: options.http_allow,
            date_created: now,
            kind: options.kind.as_str().into(),
        };
        // Compiled before it is stored: what the store holds always runs.
        let invalid = |e: switchyard_wasm::Error| DeployError::Invalid(e.to_string());
        let compiled = match options.kind {
            Kind::CallHandler => {
                Compiled::App(self.host.compile(bytes, limits(&meta)).map_err(invalid)?)
            }
            Kind::EventFilter => Compiled::Filter(
                self.host
                    .compile_filter(bytes, limits(&meta))
                    .map_err(invalid)?,
            ),
            Kind::Transcoder => Compiled::Transcoder(
                self.host
                    .compile_transcoder(bytes, limits(&meta))
                    .map_err(invalid)?,
            ),
        };
        let stored = self.store.put_wasm_app(&meta, bytes)?;
        self.lock()
            .insert((account, name.to_owned(), stored.version), compiled);
        self.latest()
            .insert((account, name.to_owned()), stored.clone());
        Ok(stored)
    }

    /// The latest version of an app (or `version`), ready to run.
    pub fn get(
        &self,
        account: AccountSid,
        name: &str,
        version: Option<u32>,
    ) -> Option<(WasmApp, CompiledApp)> {
        let app = match version {
            Some(v) => self.store.wasm_app_version(account, name, v).ok()??,
            None => self.latest_version(account, name)?,
        };
        let compiled = match self.lock().get(&(account, name.to_owned(), app.version)) {
            Some(Compiled::App(c)) => c.clone(),
            _ => return None,
        };
        Some((app, compiled))
    }

    /// The latest version's record, read from the store once.
    fn latest_version(&self, account: AccountSid, name: &str) -> Option<WasmApp> {
        let key = (account, name.to_owned());
        if let Some(app) = self.latest().get(&key) {
            return Some(app.clone());
        }
        let app = self.store.wasm_app(account, name).ok()??;
        self.latest().insert(key, app.clone());
        Some(app)
    }

    /// The latest version of an event filter, ready to run.
    pub fn filter(&self, account: AccountSid, name: &str) -> Option<CompiledFilter> {
        let app = self.latest_version(account, name)?;
        match self.lock().get(&(account, name.to_owned(), app.version)) {
            Some(Compiled::Filter(f)) => Some(f.clone()),
            _ => None,
        }
    }

    /// The latest version of transcoder `name`, for a stream to instantiate (with
    /// [`CompiledTranscoder::stream_limits`], its deployed memory and CPU per frame).
    pub fn transcoder(
        &self,
        account: AccountSid,
        name: &str,
    ) -> Result<CompiledTranscoder, TranscoderError> {
        let app = self
            .latest_version(account, name)
            .ok_or_else(|| TranscoderError::NotDeployed(name.to_owned()))?;
        match self.lock().get(&(account, name.to_owned(), app.version)) {
            Some(Compiled::Transcoder(t)) => Ok(t.clone()),
            Some(_) => Err(TranscoderError::NotTranscoder {
                name: name.to_owned(),
                kind: app.kind,
            }),
            None => Err(TranscoderError::NotDeployed(name.to_owned())),
        }
    }

    /// Forget every version of an app.
    pub fn delete(&self, account: AccountSid, name: &str) -> Result<bool, DeployError> {
        let deleted = self.store.delete_wasm_app(account, name)?;
        self.lock()
            .retain(|(a, n, _), _| !(*a == account && n == name));
        self.latest().remove(&(account, name.to_owned()));
        Ok(deleted)
    }

    fn latest(&self) -> std::sync::MutexGuard<'_, HashMap<(AccountSid, String), WasmApp>> {
        self.latest.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Compiled>> {
        self.compiled.lock().unwrap_or_else(|e| e.into_inner())
    }
}
