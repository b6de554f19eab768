//! A real Prometheus (Debian's `prometheus`, installed by `scripts/install-deps --test`)
//! for one test: bound to a free loopback port, scraping the given targets every second
//! into a temporary storage directory, killed when dropped.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::http::request;
use crate::process::Guarded;

#[derive(Debug)]
pub struct Prometheus {
    child: Guarded,
    dir: tempfile::TempDir,
    port: u16,
}

impl Prometheus {
    /// Starts Prometheus scraping `target` (`host:port`, path `/metrics`) every second and
    /// waits until its API answers.
    pub fn start(target: &str) -> Result<Prometheus> {
        let dir = tempfile::tempdir()?;
        let port = crate::ports::free_port()?;
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: switchyard\n    \
                 static_configs:\n      - targets: ['{target}']\n"
            ),
        )?;
        let log = std::fs::File::create(dir.path().join("prometheus.log"))?;
        let mut cmd = Command::new("timeout");
        cmd.args(["--signal=KILL", "300", "prometheus"])
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let child = Guarded::spawn(cmd, "prometheus")
            .context("prometheus is not installed: run scripts/install-deps --test")?;
        let mut p = Prometheus { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = p.child.try_wait()? {
                bail!("prometheus exited ({status}):\n{}", p.log());
            }
            let ready = request("GET", &p.url("/-/ready"))
                .timeout(Duration::from_millis(500))
                .call();
            if ready.is_ok_and(|r| r.status == 200) {
                return Ok(p);
            }
            if Instant::now() >= deadline {
                bail!("prometheus not ready after 30 s:\n{}", p.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// What Prometheus logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("prometheus.log")
    }

    /// An instant query through `/api/v1/query`: each series's labels and value.
    pub fn query(&self, expr: &str) -> Result<Vec<(Value, f64)>> {
        // The API takes its parameters form-encoded in a POST as well as in the query.
        let r = request("POST", &self.url("/api/v1/query"))
            .timeout(Duration::from_secs(5))
            .send_form(&[("query", expr)])?;
        let body = r.json()?;
        anyhow::ensure!(
            body["status"] == "success",
            "query {expr}: {} {}",
            r.status,
            r.text()
        );
        let result = body["data"]["result"]
            .as_array()
            .context("a vector result")?;
        result
            .iter()
            .map(|s| {
                let value = s["value"][1]
                    .as_str()
                    .and_then(|v| v.parse::<f64>().ok())
                    .context("a sample value")?;
                Ok((s["metric"].clone(), value))
            })
            .collect()
    }

    /// The single value of `expr` once it has one (polled every 250 ms for at most
    /// `timeout`).
    pub fn wait_value(&self, expr: &str, timeout: Duration) -> Result<f64> {
        self.wait_until(expr, timeout, |_| true)
    }

    /// The single value of `expr` once `done` accepts it.
    pub fn wait_until(
        &self,
        expr: &str,
        timeout: Duration,
        done: impl Fn(f64) -> bool,
    ) -> Result<f64> {
        let deadline = Instant::now() + timeout;
        let mut last = Vec::new();
        loop {
            last = self.query(expr).unwrap_or(last);
            if let [(_, v)] = last.as_slice() {
                if done(*v) {
                    return Ok(*v);
                }
            }
            if Instant::now() >= deadline {
                bail!(
                    "{expr}: {last:?} after {timeout:?}\nprometheus log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}
