//! The node's one typed configuration.
//!
//! TOML and command-line flags fill the same struct; unknown keys are errors that name the
//! key. With no file at all the node starts with a demo account and a demo number bound to
//! the built-in demo app, so it can be called at once.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use switchyard_types::AccountSid;

mod sip;

pub use sip::{DigestAlgorithm, InboundMode, SipSection};

/// The demo account's SID when no config file is given.
pub const DEMO_ACCOUNT: &str = "AC00000000000000000000000000000de0";
/// The demo number.
pub const DEMO_NUMBER: &str = "+15550001111";
/// The demo account's auth token (the demo is for a loopback node; a configured node
/// has tokens of its own).
pub const DEMO_AUTH_TOKEN: &str = "demo-auth-token";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub node: NodeSection,
    #[serde(default)]
    pub sip: SipSection,
    #[serde(default)]
    pub http: HttpSection,
    #[serde(default)]
    pub media: MediaSection,
    #[serde(default)]
    pub webhook: WebhookSection,
    #[serde(default)]
    pub events: EventsSection,
    /// When new calls are refused with 503 (overload control).
    #[serde(default)]
    pub overload: crate::overload::OverloadSection,
    /// Per-module metering of calls (spans, meters, Usage records).
    #[serde(default)]
    pub metering: MeteringSection,
    /// One trunk for every account (kept for older files; `[[trunks]]` says more).
    #[serde(default)]
    pub trunk: Option<TrunkSection>,
    /// Where calls to phone numbers go (calls to `sip:` URIs go directly): the first
    /// trunk an account may use.
    #[serde(default)]
    pub trunks: Vec<TrunkSection>,
    #[serde(default)]
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub numbers: Vec<Number>,
}

/// `[metering]`: whether each call's modules are recorded and metered.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeteringSection {
    /// On by default; off, calls record no module spans (Usage records still count
    /// calls and minutes, the per-module breakdown is empty).
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl Default for MeteringSection {
    fn default() -> Self {
        Self { enabled: true }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// How long Ctrl-C waits for calls in progress before leaving anyway.
    #[serde(default = "default_drain_seconds")]
    pub drain_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSection {
    #[serde(default = "default_http")]
    pub listen: SocketAddr,
    /// The URL the node's own HTTP server is reached at (the demo app's webhook URL).
    #[serde(default)]
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSection {
    #[serde(default = "default_rtp_ip")]
    pub rtp_ip: IpAddr,
    #[serde(default = "default_rtp_min")]
    pub rtp_port_min: u16,
    #[serde(default = "default_rtp_max")]
    pub rtp_port_max: u16,
    /// SRTP (SDES, RFC 4568) on legs signalled over TLS: `required` (a plain-RTP offer
    /// gets 488), `optional` or `off`. Legs over UDP or TCP are never SRTP: SDES keys
    /// travel in the SDP and must not cross the network in the clear.
    #[serde(default)]
    pub srtp: SrtpMode,
    /// The codecs legs may use, in our order of preference for the offers we make
    /// (an answer follows the caller's order): `opus`, `PCMU`, `PCMA`.
    #[serde(default = "default_codecs", deserialize_with = "codec_names")]
    pub codecs: Vec<switchyard_rtp::Codec>,
}

fn default_codecs() -> Vec<switchyard_rtp::Codec> {
    switchyard_rtp::Codec::ALL.to_vec()
}

/// `codecs = ["opus", "PCMU"]`: known names, at least one, no repeats.
fn codec_names<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<switchyard_rtp::Codec>, D::Error> {
    use serde::de::Error;
    let names = Vec::<String>::deserialize(d)?;
    let mut codecs = Vec::new();
    for name in &names {
        let codec = switchyard_rtp::Codec::from_name(name).ok_or_else(|| {
            D::Error::custom(format!(
                "unknown codec {name:?} in [media] codecs (known: opus, PCMU, PCMA)"
            ))
        })?;
        if codecs.contains(&codec) {
            return Err(D::Error::custom(format!(
                "codec {name:?} is listed twice in [media] codecs"
            )));
        }
        codecs.push(codec);
    }
    if codecs.is_empty() {
        return Err(D::Error::custom("[media] codecs lists no codec"));
    }
    Ok(codecs)
}

/// See [`MediaSection::srtp`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SrtpMode {
    #[default]
    Required,
    Optional,
    Off,
}

impl MediaSection {
    /// The SRTP policy of a new leg on `transport`, with a fresh master key.
    pub fn srtp_policy(&self, transport: switchyard_sip::Transport) -> switchyard_rtp::SrtpPolicy {
        use switchyard_rtp::{MasterKey, SrtpPolicy};
        if transport != switchyard_sip::Transport::Tls {
            return SrtpPolicy::Off;
        }
        // RFC 4568 §6.1: the master key "MUST be ... random"; rand's thread generator
        // is a CSPRNG seeded from the OS.
        let key = MasterKey(rand::random());
        match self.srtp {
            SrtpMode::Required => SrtpPolicy::Required(key),
            SrtpMode::Optional => SrtpPolicy::Optional(key),
            SrtpMode::Off => SrtpPolicy::Off,
        }
    }
}

/// A SIP trunk outbound calls to numbers are sent through.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkSection {
    /// A name for logs and notifications.
    #[serde(default = "default_trunk_name")]
    pub name: String,
    /// `host:port` (a name is resolved when a call is placed).
    pub address: String,
    /// `udp` (the default), `tcp` or `tls`.
    #[serde(default)]
    pub transport: TrunkTransport,
    /// Digest credentials for the trunk's 401/407 challenges.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// The accounts that may use it; empty: every account.
    #[serde(default)]
    pub accounts: Vec<AccountSid>,
    /// Address ranges (`a.b.c.d/n`, IPv6 too) the trunk's calls come from, trusted under
    /// `[sip] inbound = "trunks"`; empty: `address`'s host when it is an IP address.
    #[serde(default)]
    pub inbound_addresses: Vec<String>,
}

impl TrunkSection {
    /// The ranges the trunk's calls are accepted from.
    pub fn inbound_ranges(&self) -> anyhow::Result<Vec<switchyard_sip::trust::IpRange>> {
        use switchyard_sip::trust::IpRange;
        if self.inbound_addresses.is_empty() {
            let host = self
                .address
                .rsplit_once(':')
                .map_or(self.address.as_str(), |(h, _)| h);
            let host = host.trim_start_matches('[').trim_end_matches(']');
            return Ok(host
                .parse::<IpAddr>()
                .map(|ip| IpRange::new(ip, 128))
                .into_iter()
                .collect());
        }
        self.inbound_addresses
            .iter()
            .map(|a| {
                IpRange::parse(a)
                    .map_err(|e| anyhow::anyhow!("trunk {:?}: inbound_addresses: {e}", self.name))
            })
            .collect()
    }
}

fn default_trunk_name() -> String {
    "default".into()
}

/// How a trunk is reached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrunkTransport {
    #[default]
    Udp,
    Tcp,
    Tls,
}

impl Config {
    /// The trunk `account` places calls to numbers through, if it has one.
    pub fn trunk_for(&self, account: AccountSid) -> Option<&TrunkSection> {
        self.trunk
            .iter()
            .chain(&self.trunks)
            .find(|t| t.accounts.is_empty() || t.accounts.contains(&account))
    }
}

/// Which broker carries events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BrokerKind {
    /// In-process, sharded by account: one node.
    Local,
    /// NATS with JetStream: many nodes share one event space.
    Nats,
}

/// The event router: broker, retention for replay, per-subscriber queues.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsSection {
    #[serde(default = "default_broker")]
    pub broker: BrokerKind,
    /// `nats://host:port`, required with `broker = "nats"`.
    #[serde(default)]
    pub nats_url: Option<String>,
    /// How many events each shard keeps for replay.
    #[serde(default = "default_retention_events")]
    pub retention_events: usize,
    /// How long events are kept for replay.
    #[serde(default = "default_retention_seconds")]
    pub retention_seconds: u64,
    /// Events queued for one subscriber before it is cut off as too slow (it resumes
    /// with Last-Event-ID).
    #[serde(default = "default_subscriber_queue")]
    pub subscriber_queue: usize,
    /// UDP address of the QUIC event channel; none: no QUIC.
    #[serde(default)]
    pub quic_listen: Option<SocketAddr>,
}

impl Default for EventsSection {
    fn default() -> Self {
        Self {
            broker: default_broker(),
            nats_url: None,
            retention_events: default_retention_events(),
            retention_seconds: default_retention_seconds(),
            subscriber_queue: default_subscriber_queue(),
            quic_listen: None,
        }
    }
}

fn default_broker() -> BrokerKind {
    BrokerKind::Local
}
fn default_retention_events() -> usize {
    100_000
}
fn default_retention_seconds() -> u64 {
    900
}
fn default_subscriber_queue() -> usize {
    4096
}

/// Webhook timeouts (Twilio's are 5 s to connect, 15 s for the response), and the bounds
/// on an application (webhook or Wasm app) that keeps a call going nowhere.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSection {
    #[serde(default = "default_connect_ms")]
    pub connect_timeout_ms: u64,
    #[serde(default = "default_response_ms")]
    pub response_timeout_ms: u64,
    /// Consecutive application requests whose documents run no verb but `<Redirect>`
    /// before the call is ended (a redirect loop).
    #[serde(default = "default_max_requests_without_verb")]
    pub max_requests_without_verb: u32,
    /// How long an application may leave a call unanswered (SIP's Timer C: 3 minutes).
    #[serde(default = "default_pre_answer_timeout")]
    pub pre_answer_timeout_seconds: u64,
}

impl Default for WebhookSection {
    fn default() -> Self {
        Self {
            connect_timeout_ms: default_connect_ms(),
            response_timeout_ms: default_response_ms(),
            max_requests_without_verb: default_max_requests_without_verb(),
            pre_answer_timeout_seconds: default_pre_answer_timeout(),
        }
    }
}

impl WebhookSection {
    /// The executor's bounds on a call's application.
    pub fn app_limits(&self) -> switchyard_call::AppLimits {
        switchyard_call::AppLimits {
            max_requests_without_verb: self.max_requests_without_verb,
            pre_answer_timeout: std::time::Duration::from_secs(self.pre_answer_timeout_seconds),
        }
    }
}

fn default_max_requests_without_verb() -> u32 {
    switchyard_call::AppLimits::DEFAULT_MAX_REQUESTS_WITHOUT_VERB
}
fn default_pre_answer_timeout() -> u64 {
    switchyard_call::AppLimits::DEFAULT_PRE_ANSWER_TIMEOUT.as_secs()
}

fn default_connect_ms() -> u64 {
    5_000
}
fn default_response_ms() -> u64 {
    15_000
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub sid: AccountSid,
    pub auth_token: String,
    /// Secret for `X-Switchyard-Signature`.
    #[serde(default)]
    pub signing_key: Option<String>,
    #[serde(default)]
    pub friendly_name: Option<String>,
    /// Outbound throttle: calls started per second (Twilio's default is 1).
    #[serde(default = "default_cps")]
    pub calls_per_second: f64,
    /// Cap on the account's calls up at once: outbound calls past it wait in the
    /// outbound queue, inbound calls past it are refused with 503.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent_calls: u32,
}

fn default_cps() -> f64 {
    1.0
}
fn default_max_concurrent() -> u32 {
    100
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Number {
    pub number: String,
    pub account_sid: AccountSid,
    pub voice_url: String,
    #[serde(default = "default_method")]
    pub voice_method: String,
    #[serde(default)]
    pub voice_fallback_url: Option<String>,
    #[serde(default = "default_method")]
    pub voice_fallback_method: String,
    #[serde(default)]
    pub status_callback: Option<String>,
    #[serde(default = "default_method")]
    pub status_callback_method: String,
    #[serde(default)]
    pub status_callback_event: Vec<String>,
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Read a TOML file; unknown keys, bad values and dangling references are errors.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        })
    }

    /// Parse and check a TOML document.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        config.check()?;
        Ok(config)
    }

    /// The configuration with no file: a demo account and number bound to the demo app.
    pub fn demo() -> Self {
        let mut config: Config = toml::from_str("").expect("empty config parses");
        config.add_demo();
        config
    }

    /// Add the demo account and number, bound to this node's own demo app.
    pub fn add_demo(&mut self) {
        let account: AccountSid = DEMO_ACCOUNT.parse().expect("demo SID is valid");
        self.accounts.push(Account {
            sid: account,
            auth_token: DEMO_AUTH_TOKEN.into(),
            signing_key: None,
            friendly_name: Some("Demo".into()),
            calls_per_second: default_cps(),
            max_concurrent_calls: default_max_concurrent(),
        });
        self.numbers.push(Number {
            number: DEMO_NUMBER.into(),
            account_sid: account,
            voice_url: format!("{}/demo/voice", self.http_base_url()),
            voice_method: "POST".into(),
            voice_fallback_url: None,
            voice_fallback_method: "POST".into(),
            status_callback: None,
            status_callback_method: "POST".into(),
            status_callback_event: Vec::new(),
        });
    }

    /// The base URL of this node's HTTP server.
    pub fn http_base_url(&self) -> String {
        self.http
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.http.listen))
    }

    fn check(&self) -> Result<(), String> {
        for t in self.trunk.iter().chain(&self.trunks) {
            t.inbound_ranges().map_err(|e| e.to_string())?;
        }
        if self.sip.digest_block_failures == 0 {
            return Err("[sip] digest_block_failures must be at least 1".into());
        }
        for a in &self.accounts {
            if !(a.calls_per_second.is_finite() && a.calls_per_second > 0.0) {
                return Err(format!(
                    "account {}: calls_per_second must be a positive number",
                    a.sid
                ));
            }
        }
        if self.events.broker == BrokerKind::Nats && self.events.nats_url.is_none() {
            return Err("events.broker = \"nats\" needs events.nats_url".into());
        }
        if self.events.retention_events == 0 || self.events.subscriber_queue == 0 {
            return Err(
                "events.retention_events and events.subscriber_queue must be at least 1".into(),
            );
        }
        if self.media.rtp_port_min > self.media.rtp_port_max {
            return Err("media.rtp_port_min is above media.rtp_port_max".into());
        }
        for n in &self.numbers {
            if !self.accounts.iter().any(|a| a.sid == n.account_sid) {
                return Err(format!(
                    "number {} names account {} which is not in [[accounts]]",
                    n.number, n.account_sid
                ));
            }
            for m in [
                &n.voice_method,
                &n.voice_fallback_method,
                &n.status_callback_method,
            ] {
                parse_method(m).map_err(|e| format!("number {}: {e}", n.number))?;
            }
            for e in &n.status_callback_event {
                if !["initiated", "ringing", "answered", "completed"].contains(&e.as_str()) {
                    return Err(format!(
                        "number {}: status_callback_event {e:?} is not one of initiated, ringing, answered, completed",
                        n.number
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `GET` or `POST`, case-insensitively, as Twilio accepts them.
pub fn parse_method(m: &str) -> Result<switchyard_instructions::HttpMethod, String> {
    match m.to_ascii_uppercase().as_str() {
        "GET" => Ok(switchyard_instructions::HttpMethod::Get),
        "POST" => Ok(switchyard_instructions::HttpMethod::Post),
        _ => Err(format!("method {m:?} is neither GET nor POST")),
    }
}

impl Default for NodeSection {
    fn default() -> Self {
        Self {
            data_dir: default_data_dir(),
            drain_seconds: default_drain_seconds(),
        }
    }
}
impl Default for HttpSection {
    fn default() -> Self {
        Self {
            listen: default_http(),
            public_url: None,
        }
    }
}
impl Default for MediaSection {
    fn default() -> Self {
        Self {
            rtp_ip: default_rtp_ip(),
            rtp_port_min: default_rtp_min(),
            rtp_port_max: default_rtp_max(),
            srtp: SrtpMode::default(),
            codecs: default_codecs(),
        }
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from(".switchyard")
}
fn default_drain_seconds() -> u64 {
    30
}
fn default_http() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080)
}
fn default_rtp_ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}
fn default_rtp_min() -> u16 {
    20000
}
fn default_rtp_max() -> u16 {
    39999
}
fn default_method() -> String {
    "POST".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let err = Config::parse("[sip]\nlisten = \"127.0.0.1:5070\"\nlisen = 1\n").unwrap_err();
        assert!(err.contains("lisen"), "{err}");
        let err = Config::parse("[nodes]\n").unwrap_err();
        assert!(err.contains("nodes"), "{err}");
    }

    #[test]
    fn numbers_must_name_a_known_account_and_valid_methods() {
        let base =
            "[[accounts]]\nsid = \"AC00000000000000000000000000000001\"\nauth_token = \"t\"\n";
        let ok = format!(
            "{base}[[numbers]]\nnumber = \"+1\"\naccount_sid = \"AC00000000000000000000000000000001\"\nvoice_url = \"http://x/\"\n"
        );
        let c = Config::parse(&ok).unwrap();
        assert_eq!(c.numbers[0].voice_method, "POST");
        let bad = ok.replace("00000001\"\nvoice", "00000002\"\nvoice");
        assert!(Config::parse(&bad)
            .unwrap_err()
            .contains("not in [[accounts]]"));
        let put = format!("{ok}voice_method = \"PUT\"\n");
        assert!(Config::parse(&put).unwrap_err().contains("PUT"));
    }

    #[test]
    fn inbound_trust_is_any_by_default_and_trunks_name_their_ranges() {
        use switchyard_sip::trust::IpRange;
        let c = Config::parse("").unwrap();
        assert_eq!(c.sip.inbound, InboundMode::Any);
        assert_eq!(c.sip.digest_block_failures, 20);
        let trunk = "[[trunks]]\naddress = \"192.0.2.10:5060\"\n";
        let c = Config::parse(&format!("[sip]\ninbound = \"trunks\"\n{trunk}")).unwrap();
        assert_eq!(c.sip.inbound, InboundMode::Trunks);
        // Without inbound_addresses, the trunk's own address is trusted.
        assert_eq!(
            c.trunks[0].inbound_ranges().unwrap(),
            [IpRange::parse("192.0.2.10").unwrap()]
        );
        let c = Config::parse(&format!(
            "{trunk}inbound_addresses = [\"198.51.100.0/24\", \"2001:db8::/32\"]\n"
        ))
        .unwrap();
        let ranges = c.trunks[0].inbound_ranges().unwrap();
        assert!(ranges[0].contains("198.51.100.200".parse().unwrap()));
        assert!(!ranges[0].contains("192.0.2.10".parse().unwrap()));
        assert!(ranges[1].contains("2001:db8::5".parse().unwrap()));
        let err =
            Config::parse(&format!("{trunk}inbound_addresses = [\"10.0.0.0/40\"]\n")).unwrap_err();
        assert!(err.contains("inbound_addresses"), "{err}");
        assert!(Config::parse("[sip]\ninbound = \"nobody\"\n").is_err());
    }

    #[test]
    fn codecs_are_named_in_preference_order_and_checked() {
        use switchyard_rtp::Codec;
        assert_eq!(Config::parse("").unwrap().media.codecs, Codec::ALL);
        let c = Config::parse("[media]\ncodecs = [\"pcmu\", \"opus\"]\n").unwrap();
        assert_eq!(c.media.codecs, [Codec::Pcmu, Codec::Opus]);
        for (bad, says) in [
            ("[\"G729\"]", "unknown codec \"G729\""),
            ("[]", "lists no codec"),
            ("[\"PCMU\", \"pcmu\"]", "listed twice"),
        ] {
            let err = Config::parse(&format!("[media]\ncodecs = {bad}\n")).unwrap_err();
            assert!(err.contains(says), "{err}");
        }
    }

    #[test]
    fn demo_config_points_the_demo_number_at_the_node() {
        let c = Config::demo();
        assert_eq!(c.numbers[0].number, DEMO_NUMBER);
        assert_eq!(c.numbers[0].voice_url, "http://127.0.0.1:8080/demo/voice");
        assert_eq!(c.sip.listen.port(), 5060);
    }
}
