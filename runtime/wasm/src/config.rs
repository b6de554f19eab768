//! Host-wide and per-app configuration.

use std::path::PathBuf;
use std::time::Duration;

use crate::log_budget::LogCaps;

/// How the host is sized; fixed for the life of a [`crate::WasmHost`].
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Where compiled artifacts (`<sha256>-<compat>.cwasm`) are cached.
    pub artifact_dir: PathBuf,
    /// Concurrent component instances the pooling allocator reserves room for.
    pub max_instances: u32,
    /// Linear memory per instance; also the pool's slot size, hence the ceiling of
    /// any app's [`AppLimits::memory`].
    pub default_memory: usize,
    /// Guest execution time per step unless the app says otherwise.
    pub default_cpu: Duration,
    /// Wall-clock time per step (including HTTP waits) unless the app says otherwise.
    pub default_wall: Duration,
    /// Bytes of verbs (strings plus a fixed overhead per item) one step may return;
    /// also the largest replacement event a filter may return.
    pub max_verbs_bytes: usize,
    /// Log lines and bytes one step (or filter call) may write; past them its lines
    /// are dropped and the step ends with one "log truncated" notice.
    pub log_caps: LogCaps,
}

impl HostConfig {
    /// The defaults of the design: 1000 instances, 64 MiB, 50 ms CPU, 1 s wall,
    /// 1 MiB of verbs, 100 log lines and 64 KiB of log per step.
    pub fn new(artifact_dir: impl Into<PathBuf>) -> Self {
        HostConfig {
            artifact_dir: artifact_dir.into(),
            max_instances: 1000,
            default_memory: 64 << 20,
            default_cpu: Duration::from_millis(50),
            default_wall: Duration::from_secs(1),
            max_verbs_bytes: 1 << 20,
            log_caps: LogCaps::default(),
        }
    }

    /// The limits an app gets when its deployment declares none.
    pub fn default_limits(&self) -> AppLimits {
        AppLimits {
            memory: self.default_memory,
            cpu: self.default_cpu,
            wall: self.default_wall,
            http_allow: Vec::new(),
        }
    }
}

/// One app's budgets and capabilities, declared at deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppLimits {
    /// Linear memory, bytes (at most [`HostConfig::default_memory`]).
    pub memory: usize,
    /// Guest execution time per step (time spent waiting on host HTTP excluded).
    pub cpu: Duration,
    /// Wall-clock time per step.
    pub wall: Duration,
    /// Hosts the `http` import may reach: `host` (any port) or `host:port`.
    pub http_allow: Vec<String>,
}
