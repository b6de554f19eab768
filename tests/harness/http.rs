//! A minimal blocking HTTP client for talking to the node and the webhook peer.

use anyhow::{Context, Result};
use base64::Engine as _;
use std::io::Read;
use std::time::Duration;

/// A response of any status (4xx and 5xx are answers too, not errors).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers as (name, value); names in the case the server sent.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
            .with_context(|| format!("body is not JSON: {}", self.text()))
    }
}

/// A request under construction.
#[derive(Debug)]
pub struct Request {
    inner: ureq::Request,
}

/// Starts a request with a 20 s overall timeout (loopback peers answer in ms; a hang
/// must fail the test, not stall it).
pub fn request(method: &str, url: &str) -> Request {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .build();
    Request {
        inner: agent.request(method, url),
    }
}

impl Request {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.inner = self.inner.set(name, value);
        self
    }

    /// Adds HTTP Basic credentials (`AccountSid:AuthToken` for the REST API).
    pub fn basic_auth(self, user: &str, password: &str) -> Request {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.header("Authorization", &format!("Basic {token}"))
    }

    /// Overrides the overall timeout.
    pub fn timeout(mut self, timeout: Duration) -> Request {
        self.inner = self.inner.timeout(timeout);
        self
    }

    /// Sends without a body.
    pub fn call(self) -> Result<HttpResponse> {
        finish(self.inner.call())
    }

    /// Sends `application/x-www-form-urlencoded` parameters.
    pub fn send_form(self, params: &[(&str, &str)]) -> Result<HttpResponse> {
        finish(self.inner.send_form(params))
    }

    /// Sends raw bytes (set the Content-Type header yourself).
    pub fn send_bytes(self, body: &[u8]) -> Result<HttpResponse> {
        finish(self.inner.send_bytes(body))
    }
}

fn finish(result: Result<ureq::Response, ureq::Error>) -> Result<HttpResponse> {
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(anyhow::Error::new(e).context("HTTP transport error")),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .filter_map(|n| response.header(&n).map(|v| (n.clone(), v.to_string())))
        .collect();
    let mut body = Vec::new();
    response
        .into_reader()
        .take(64 * 1024 * 1024)
        .read_to_end(&mut body)
        .context("reading HTTP body")?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}
