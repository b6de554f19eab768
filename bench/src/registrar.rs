//! `registrar`: REGISTER transactions per second with digest authentication (sipp's
//! register scenario with `[authentication]`: REGISTER, 401, REGISTER with credentials,
//! 200), and the memory each live binding costs the node.
//!
//! Each run starts a fresh node (offering MD5 only: sipp 3.6 gives up on a challenge
//! whose first algorithm is SHA-256) and writes a SIP domain with its credential and an
//! API key into its store (the rows the SIP resources API writes). sipp then registers
//! the digest user `registrations` times at a fixed offered rate (each a new Call-ID for
//! the same contact: one binding, replaced). Bindings come next: `users` identities
//! register once each with an access token (RFC 8898 Bearer, no challenge round trip),
//! each with its own contact, and the node's RSS growth over that phase divided by the
//! live bindings it reports gives the memory per binding.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use switchyard_sip::digest::{ha1, Algorithm};

use crate::node::{Node, ACCOUNT_SID, AUTH_TOKEN};
use crate::procs::sample;

/// The section of BENCHMARKS.md this benchmark writes.
pub const HEADING: &str = "## Registrar: REGISTER with digest, live bindings";

/// The SIP domain: sipp answers a challenge with the digest uri `sip:<node address>`,
/// so the REGISTER's Request-URI, and the domain it names, is the node's address.
const DOMAIN: &str = "127.0.0.1";
const REALM: &str = "sip.switchyard";
const PASSWORD: &str = "bench-password";

/// One run's figures.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// Successful digest registrations (200 after the challenge) per second.
    pub per_second: f64,
    /// Digest registrations that did not end in 200.
    pub failed: u64,
    /// Successful token registrations per second (the bindings phase).
    pub token_per_second: f64,
    /// Live bindings the node reports afterwards.
    pub bindings: u64,
    /// Node RSS growth per binding, bytes.
    pub bytes_per_binding: f64,
    /// Node RSS afterwards, MiB.
    pub rss_mib: f64,
}

/// Writes the domain, its credential list with the one user `bench` and its
/// registration mapping, and the API key tokens are signed with, into the node's store.
fn provision(data_dir: &Path) -> Result<()> {
    let db = rusqlite::Connection::open(data_dir.join("switchyard.db"))?;
    db.busy_timeout(Duration::from_secs(10))?;
    let domain = "SD000000000000000000000000000000b1";
    let list = "CL000000000000000000000000000000b1";
    db.execute(
        "INSERT INTO sip_domains (sid, account_sid, domain_name, friendly_name, voice_url, \
         voice_method, voice_fallback_url, voice_fallback_method, voice_status_callback_url, \
         voice_status_callback_method, sip_registration, date_created, date_updated) \
         VALUES (?1, ?2, ?3, 'bench', NULL, 'POST', NULL, 'POST', NULL, 'POST', 1, 0, 0)",
        (domain, ACCOUNT_SID, DOMAIN),
    )?;
    db.execute(
        "INSERT INTO sip_credential_lists (sid, account_sid, friendly_name, date_created, \
         date_updated) VALUES (?1, ?2, 'bench', 0, 0)",
        (list, ACCOUNT_SID),
    )?;
    db.execute(
        "INSERT INTO sip_credentials (sid, account_sid, credential_list_sid, username, \
         realm, ha1_md5, ha1_sha256, date_created, date_updated) \
         VALUES ('CR000000000000000000000000000000b1', ?1, ?2, 'bench', ?3, ?4, ?5, 0, 0)",
        (
            ACCOUNT_SID,
            list,
            REALM,
            ha1(Algorithm::Md5, "bench", REALM, PASSWORD),
            ha1(Algorithm::Sha256, "bench", REALM, PASSWORD),
        ),
    )?;
    db.execute(
        "INSERT INTO sip_domain_mappings (account_sid, domain_sid, kind, sid, date_created) \
         VALUES (?1, ?2, 'registration-credentials', ?3, 0)",
        (ACCOUNT_SID, domain, list),
    )?;
    db.execute(
        "INSERT INTO api_keys (sid, account_sid, friendly_name, secret, date_created, \
         date_updated) VALUES (?1, ?2, 'bench', ?3, 0, 0)",
        (KEY_SID, ACCOUNT_SID, KEY_SECRET),
    )?;
    Ok(())
}

const KEY_SID: &str = "SK000000000000000000000000000000b1";
const KEY_SECRET: &str = "bench-key-secret-of-some-length!";

/// An access token as Twilio's `AccessToken` mints it (HS256, `cty: twilio-fpa;v=1`,
/// a `VoiceGrant` allowing incoming calls) for `identity`, valid for an hour.
fn token(identity: &str, now: u64) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use hmac::Mac;
    let header = r#"{"alg":"HS256","cty":"twilio-fpa;v=1","typ":"JWT"}"#;
    let claims = format!(
        r#"{{"jti":"{KEY_SID}-{now}","grants":{{"identity":"{identity}","voice":{{"incoming":{{"allow":true}}}}}},"iss":"{KEY_SID}","exp":{},"nbf":{now},"sub":"{ACCOUNT_SID}"}}"#,
        now + 3600
    );
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(KEY_SECRET.as_bytes()).expect("any key");
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// Runs `scenario` against the node: `calls` calls offered at `rate`/s, with `extra`
/// arguments. Returns (successful, failed, seconds).
fn sipp(
    node: &Node,
    scenario: &Path,
    calls: usize,
    rate: u32,
    extra: &[&str],
) -> Result<(u64, u64, f64)> {
    let started = Instant::now();
    let out = Command::new("sipp")
        .arg(node.sip().to_string())
        .arg("-sf")
        .arg(scenario)
        .args(["-s", DOMAIN, "-i", "127.0.0.1", "-m"])
        .arg(calls.to_string())
        .args(["-r", &rate.to_string(), "-l", "4000", "-nostdin"])
        .args(extra)
        .output()
        .context("running sipp")?;
    let took = started.elapsed().as_secs_f64();
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let (ok, failed) = outcome(&said);
    anyhow::ensure!(ok > 0, "no registration succeeded:\n{said}");
    Ok((ok, failed, took))
}

/// One run: `registrations` digest registrations offered at `rate`/s, then `users`
/// token registrations at the same rate.
pub fn run(registrations: usize, users: usize, rate: u32, sipp_dir: &Path) -> Result<Run> {
    let node = Node::start_sip(
        "http://127.0.0.1:9/none",
        (40000, 40010),
        "digest_algorithms = [\"MD5\"]",
    )?;
    provision(&node.data_dir())?;
    std::thread::sleep(Duration::from_millis(300));
    let (ok, failed, took) = sipp(
        &node,
        &sipp_dir.join("register_auth.xml"),
        registrations,
        rate,
        &["-au", "bench", "-ap", PASSWORD],
    )?;

    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("tokens.csv");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let mut text = String::from("SEQUENTIAL\n");
    for i in 0..users {
        let identity = format!("agent{i}");
        let _ = writeln!(text, "{};{identity}", token(&identity, now));
    }
    std::fs::write(&csv, text)?;
    std::thread::sleep(Duration::from_millis(500));
    let before = sample(node.pid())?;
    let csv_arg = csv.to_string_lossy().into_owned();
    let (token_ok, _, token_took) = sipp(
        &node,
        &sipp_dir.join("register_token.xml"),
        users,
        rate,
        &["-inf", &csv_arg],
    )?;
    std::thread::sleep(Duration::from_millis(500));
    let after = sample(node.pid())?;
    let bindings = live_bindings(&node)?;
    Ok(Run {
        per_second: ok as f64 / took,
        failed,
        token_per_second: token_ok as f64 / token_took,
        bindings,
        bytes_per_binding: (after.rss_kib.saturating_sub(before.rss_kib) * 1024) as f64
            / bindings.max(1) as f64,
        rss_mib: after.rss_kib as f64 / 1024.0,
    })
}

/// sipp's closing counts: `Successful call` and `Failed call`.
fn outcome(said: &str) -> (u64, u64) {
    let count = |label: &str| {
        said.lines()
            .rev()
            .filter(|l| l.contains(label))
            .filter_map(|l| l.split('|').nth(2))
            .find_map(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    (count("Successful call"), count("Failed call"))
}

/// How many bindings the node holds: the contact counts of `GET …/Presence`.
fn live_bindings(node: &Node) -> Result<u64> {
    use base64::Engine;
    use std::io::{Read, Write};
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"));
    let mut tcp = std::net::TcpStream::connect(node.http())?;
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        tcp,
        "GET /v1/Accounts/{ACCOUNT_SID}/Presence HTTP/1.0\r\nHost: bench\r\n\
         Authorization: Basic {auth}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    tcp.read_to_string(&mut response)?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .context("no HTTP body")?;
    // HTTP/1.0: the body is not chunked; the JSON object is the whole of it.
    let json_text =
        &body[body.find('{').context("no JSON")?..=body.rfind('}').context("no JSON")?];
    let json: serde_json::Value = serde_json::from_str(json_text)?;
    Ok(json["presence"]
        .as_array()
        .map(|l| l.iter().filter_map(|e| e["contact_count"].as_u64()).sum())
        .unwrap_or(0))
}

/// The markdown table of `runs`.
pub fn report(registrations: usize, users: usize, rate: u32, runs: &[Run]) -> String {
    let mut out = format!(
        "{HEADING}\n\nsipp (`bench/sipp/register_auth.xml`) makes {registrations} digest \
         registrations offered at {rate}/s: REGISTER, 401, REGISTER with `[authentication]` \
         (MD5: the node is configured with `digest_algorithms = [\"MD5\"]` because sipp 3.6 \
         stops at a challenge whose first algorithm is SHA-256), 200; each verifies the digest \
         against the credential read from the store and writes the binding. Then \
         `bench/sipp/register_token.xml` registers {users} identities once each with an \
         access token (Bearer, one round trip), each its own contact: the live bindings are \
         what the node reports afterwards (`GET …/Presence`), and memory per binding is the \
         node's RSS growth over that phase divided by them (allocator slack included). \
         Targets: ≥ 5,000 registrations/s, 100,000 bindings in ≤ 200 MB. One fresh node per \
         run, 2 cores shared with sipp.\n\n\
         | run | digest registrations/s | failed | token registrations/s | live bindings | bytes/binding | node RSS (MiB) |\n\
         |---|---|---|---|---|---|---|\n"
    );
    for (i, r) in runs.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {} | {:.0} | {} | {:.0} | {:.1} |",
            i + 1,
            r.per_second,
            r.failed,
            r.token_per_second,
            r.bindings,
            r.bytes_per_binding,
            r.rss_mib
        );
    }
    out
}
