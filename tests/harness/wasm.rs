//! Tenant Wasm apps for node tests: building the components (`scripts/build-wasm`) and
//! deploying them through the REST API.

use crate::http::{request, HttpResponse};
use crate::node::Node;
use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// Where the components are built: `$SWITCHYARD_WASM_TARGET_DIR`, else `wasm` next to
/// the test's own target directory's profile dirs (`<target>/wasm`), so the host build
/// and the wasm32 build never contend for one lock.
fn wasm_target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SWITCHYARD_WASM_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(format!("{}-wasm", PathBuf::from(dir).display())),
        None => crate::tests_dir().join("..").join("target").join("wasm"),
    }
}

/// Components by (tone URL the IVR was built with, app name).
type Built = HashMap<(Option<String>, String), Vec<u8>>;

/// Every component built so far. One build per tone URL per test process; the lock
/// also serialises builds, which all write the same files.
static BUILT: Mutex<Option<Built>> = Mutex::new(None);

/// The bytes of component `name` (a package of `examples/` or `tests/guests/`, e.g.
/// `"ivr"`, `"looper"`, `"twiml-redirect"`), built by `scripts/build-wasm` with
/// `IVR_TONE_URL` set to `tone_url` (unset for `None`). Builds once per tone URL.
pub fn component(name: &str, tone_url: Option<&str>) -> Result<Vec<u8>> {
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let map = built.get_or_insert_with(HashMap::new);
    let key = (tone_url.map(str::to_owned), name.to_owned());
    if let Some(bytes) = map.get(&key) {
        return Ok(bytes.clone());
    }
    let mut cmd = Command::new(crate::tests_dir().join("../scripts/build-wasm"));
    cmd.env("CARGO_TARGET_DIR", wasm_target_dir());
    match tone_url {
        Some(url) => cmd.env("IVR_TONE_URL", url),
        None => cmd.env_remove("IVR_TONE_URL"),
    };
    let out = cmd.output().context("running scripts/build-wasm")?;
    if !out.status.success() {
        bail!(
            "scripts/build-wasm failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Read every component now: the next build (another tone URL) overwrites the files.
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let path = PathBuf::from(line.trim());
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let bytes = std::fs::read(&path).with_context(|| format!("reading {line}"))?;
        map.insert((tone_url.map(str::to_owned), stem.replace('_', "-")), bytes);
    }
    map.get(&key)
        .cloned()
        .with_context(|| format!("scripts/build-wasm built no component named {name}"))
}

/// `POST /v1/Accounts/{first account}/Apps?Name=NAME&…` with `bytes` as the body;
/// `options` are extra query parameters (`MemoryLimit`, `CpuMs`, `HttpAllow`). Any
/// status is returned.
pub fn deploy(
    node: &Node,
    name: &str,
    bytes: &[u8],
    options: &[(&str, &str)],
) -> Result<HttpResponse> {
    let (sid, token) = node.credentials()?;
    let mut query = format!("Name={}", encode(name));
    for (k, v) in options {
        query.push_str(&format!("&{k}={}", encode(v)));
    }
    request(
        "POST",
        &node.http_url(&format!("/v1/Accounts/{sid}/Apps?{query}")),
    )
    .basic_auth(&sid, &token)
    .header("Content-Type", "application/wasm")
    .send_bytes(bytes)
}

/// [`deploy`], requiring 201; returns the created app's JSON.
pub fn deploy_ok(
    node: &Node,
    name: &str,
    bytes: &[u8],
    options: &[(&str, &str)],
) -> Result<serde_json::Value> {
    let r = deploy(node, name, bytes, options)?;
    anyhow::ensure!(r.status == 201, "deploy {name}: {} {}", r.status, r.text());
    r.json()
}

/// Creates `number` on the first account (`POST IncomingPhoneNumbers.json`), or updates
/// it if it exists, with these voice URLs (`app:NAME` or a webhook); returns its JSON.
pub fn bind_number(
    node: &Node,
    number: &str,
    voice_url: &str,
    fallback_url: Option<&str>,
) -> Result<serde_json::Value> {
    let (sid, token) = node.credentials()?;
    let base = format!("/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers");
    let list = node.get_json(&format!("{base}.json"))?;
    let existing = list["incoming_phone_numbers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|n| n["phone_number"] == number)
        .and_then(|n| n["sid"].as_str().map(str::to_owned));
    let mut form = vec![("VoiceUrl", voice_url)];
    if let Some(f) = fallback_url {
        form.push(("VoiceFallbackUrl", f));
    }
    let (path, want) = match &existing {
        Some(pn) => (format!("{base}/{pn}.json"), 200),
        None => {
            form.push(("PhoneNumber", number));
            (format!("{base}.json"), 201)
        }
    };
    let r = request("POST", &node.http_url(&path))
        .basic_auth(&sid, &token)
        .send_form(&form)?;
    anyhow::ensure!(
        r.status == want,
        "binding {number} to {voice_url}: {} {}",
        r.status,
        r.text()
    );
    r.json()
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
