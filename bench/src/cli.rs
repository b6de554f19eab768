//! The benchmark's command line: one subcommand per benchmark and its options.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

use crate::{bridge_echo, eventsrv, report};

#[derive(Parser, Debug)]
#[command(
    name = "switchyard-bench",
    about = "Benchmarks of a real node on loopback"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Call rate and concurrent media of the foundation node.
    Foundation(Foundation),
    /// Create-call requests/s through the REST API and the outbound queue's overhead.
    Api(ApiArgs),
    /// A Wasm app's call step against its loopback webhook twins; instantiation, steps/s,
    /// cold start.
    Wasm(WasmArgs),
    /// Publish → SSE latency, deliveries/s and memory per idle SSE connection, both
    /// brokers and a bare SSE reference.
    Events(EventsArgs),
    /// Bridged calls (`<Dial>`): set-up rate, post-dial delay, and concurrent calls
    /// relaying RTP both ways next to a minimal UDP relay.
    Bridge(BridgeArgs),
    /// Clean call rate with the Wasm hello app next to Kamailio's stateless responder,
    /// and goodput when offered 1×, 2× and 3× that rate (shedding with 503).
    Overload(OverloadArgs),
    /// Transcoding per core: the G.711⇄Opus bridge path of one call, both directions,
    /// next to raw libopus encode+decode of the same frames.
    Codec(CodecArgs),
    /// Conference mixing per core: rooms of participants, all talking, next to the same
    /// legs as two-party decoded bridges.
    Mixer(MixerArgs),
    /// Concurrent conference legs through a node (`<Dial><Conference>`), all talking, RTP
    /// both ways: loss, pacing jitter, CPU per leg, what each leg hears; rooms of 2 as
    /// the reference.
    Conference(ConferenceArgs),
    /// A tenant Wasm transcoder's host overhead per 20 ms frame and memory per live
    /// stream (1,000 at once).
    Transcoder(TranscoderArgs),
    /// REGISTER transactions/s with digest auth (sipp `[authentication]`) and memory per
    /// live binding.
    Registrar(RegistrarArgs),
    /// Concurrent recordings written by the recorder taps on one worker per core, every
    /// file checked for gaps, next to raw file writes.
    Recordings(RecordingsArgs),
    /// Per-module metering's cost: call rate, setup and Wasm step time and CPU per call
    /// of nodes with metering on and off, alternating in one run.
    Metering(MeteringArgs),
    /// Concurrent bidirectional Media Streams (`<Connect><Stream>`) to an echo server in
    /// the benchmark: latency RTP→WS and WS→RTP and CPU per stream, next to a minimal
    /// bridge in the benchmark.
    Streams(StreamsArgs),
    /// The child of `events`: a node (or the reference server) driven over stdin.
    #[command(hide = true)]
    EventsServer(EventsServerArgs),
}

#[derive(clap::Args, Debug, Clone)]
pub struct RegistrarArgs {
    /// Full runs, each on a fresh node.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Digest registrations per run.
    #[arg(long, default_value_t = 60_000)]
    pub registrations: usize,
    /// Identities registered once each with a token per run (the live bindings).
    #[arg(long, default_value_t = 100_000)]
    pub users: usize,
    /// Offered registrations per second.
    #[arg(long, default_value_t = 6000)]
    pub rate: u32,
    #[command(flatten)]
    pub out: Output,
}

#[derive(clap::Args, Debug, Clone)]
pub struct MeteringArgs {
    /// On/off pairs of nodes (on, off, on, off …).
    #[arg(long, default_value_t = 5)]
    pub pairs: usize,
    /// Offered calls/s per node (below the clean capacity on a shared machine).
    #[arg(long, default_value_t = 300)]
    pub rate: u32,
    /// Seconds of calls per node.
    #[arg(long, default_value_t = 10)]
    pub secs: u32,
    /// The hello component; default: `hello.wasm` of `scripts/build-wasm`.
    #[arg(long)]
    pub app: Option<PathBuf>,
    #[command(flatten)]
    pub out: Output,
}

#[derive(clap::Args, Debug, Clone)]
pub struct OverloadArgs {
    /// Full runs; the tables give their median and spread.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Offered rates of the node's ramp (calls/s), in order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "500,1000,1500,2000,2500,3000,3500,4000,5000"
    )]
    pub rates: Vec<u32>,
    /// Seconds of calls per step.
    #[arg(long, default_value_t = 10)]
    pub secs: u32,
    /// Multiples of the clean capacity offered.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    pub multiples: Vec<u32>,
    /// Offered rates of Kamailio's ramp.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "2000,4000,6000,8000,10000,12000"
    )]
    pub kamailio_rates: Vec<u32>,
    /// The Kamailio binary (`scripts/install-deps --bench` installs Debian's).
    #[arg(long, default_value = "/usr/sbin/kamailio")]
    pub kamailio: String,
    /// Skip the Kamailio reference.
    #[arg(long)]
    pub no_kamailio: bool,
    /// Kamailio's worker processes.
    #[arg(long, default_value_t = 2)]
    pub kamailio_children: usize,
    /// The hello component; default: `hello.wasm` of `scripts/build-wasm`.
    #[arg(long)]
    pub app: Option<PathBuf>,
    /// Keep sipp's files in this directory instead of a temporary one.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    #[command(flatten)]
    pub out: Output,
}

#[derive(clap::Args, Debug, Clone)]
pub struct StreamsArgs {
    /// Full runs; the table gives their median and spread.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Concurrent streams per step, in order.
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    pub streams: Vec<usize>,
    /// Call set-up rate, calls/s.
    #[arg(long, default_value_t = 100)]
    pub setup_rate: u32,
    /// Seconds between the last call up and the window.
    #[arg(long, default_value_t = 2.0)]
    pub settle_secs: f64,
    /// Measurement window, seconds.
    #[arg(long, default_value_t = 10.0)]
    pub window_secs: f64,
    /// Worker threads of the echo server and of the reference bridge.
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    #[command(flatten)]
    pub out: Output,
}

#[derive(clap::Args, Debug, Clone)]
pub struct BridgeArgs {
    /// Under a minute: one run, two small steps of each part, short windows.
    #[arg(long)]
    pub quick: bool,
    /// Full runs; the table gives their median and spread.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Part (a): offered call rates (calls/s), in order; a run's ramp stops after the
    /// first step with a failed call.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "100,200,300,400,500,600,700,800,1000"
    )]
    pub rates: Vec<u32>,
    /// Part (a): seconds of calls per rate step.
    #[arg(long, default_value_t = 10)]
    pub rate_secs: u32,
    /// Part (a): how long the callee keeps each bridge up, ms.
    #[arg(long, default_value_t = 1000)]
    pub hold_ms: u32,
    /// Part (b): concurrent bridged calls per step, in order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "100,250,500,750,1000,1500,2000,2500"
    )]
    pub calls: Vec<usize>,
    /// Part (b): call set-up rate, calls/s.
    #[arg(long, default_value_t = 200)]
    pub setup_rate: u32,
    /// Part (b): seconds between the last call up and the window.
    #[arg(long, default_value_t = 2.0)]
    pub settle_secs: f64,
    /// Part (b): measurement window, seconds.
    #[arg(long, default_value_t = 8.0)]
    pub window_secs: f64,
    /// Which echo returns the RTP: sipp's `-rtp_echo` or the benchmark's own.
    #[arg(long, value_enum, default_value = "sipp")]
    pub echo: bridge_echo::EchoKind,
    /// Worker threads of the reference relay (default: one per core).
    #[arg(long)]
    pub relay_workers: Option<usize>,
    /// Added-jitter p99 limit of the target, ms.
    #[arg(long, default_value_t = 2.0)]
    pub jitter_limit_ms: f64,
    /// Part (b) stops after a step whose node loss is over this, %…
    #[arg(long, default_value_t = 1.0)]
    pub break_loss_pct: f64,
    /// …or whose added jitter p99 is over this, ms.
    #[arg(long, default_value_t = 20.0)]
    pub break_jitter_ms: f64,
    /// Skip part (a).
    #[arg(long)]
    pub skip_rate: bool,
    /// Skip parts (b) and (c).
    #[arg(long)]
    pub skip_media: bool,
    /// Keep sipp's files (logs, statistics, errors) in this directory instead of a
    /// temporary one.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    #[command(flatten)]
    pub out: Output,
}

impl BridgeArgs {
    pub fn apply_quick(mut self) -> Self {
        if self.quick {
            self.runs = 1;
            self.rates = vec![100, 200];
            self.rate_secs = 3;
            self.calls = vec![100, 250];
            self.settle_secs = 1.0;
            self.window_secs = 3.0;
        }
        self
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct EventsServerArgs {
    #[arg(long)]
    pub config: PathBuf,
    #[arg(long, value_enum)]
    pub mode: eventsrv::Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BrokerArg {
    Local,
    Nats,
    Both,
}

#[derive(clap::Args, Debug, Clone)]
pub struct EventsArgs {
    /// The node's broker(s); NATS needs a `nats-server` (see `--nats-server`; started by
    /// the benchmark).
    #[arg(long, value_enum, default_value = "both")]
    pub broker: BrokerArg,
    /// Scenario 1: accounts, each with `--lat-subs` subscribers.
    #[arg(long, default_value_t = 100)]
    pub lat_accounts: usize,
    #[arg(long, default_value_t = 10)]
    pub lat_subs: usize,
    /// Scenario 1: events/s, spread evenly over the accounts.
    #[arg(long, default_value_t = 10_000.0)]
    pub lat_rate: f64,
    #[arg(long, default_value_t = 10.0)]
    pub lat_secs: f64,
    /// Scenario 1b: subscribers of one account, each following its own call, at
    /// `--lat-rate` for `--lat-secs` (0: skip).
    #[arg(long, default_value_t = 1000)]
    pub call_subs: usize,
    /// Scenario 2: subscribers of one account.
    #[arg(long, default_value_t = 100)]
    pub tput_subs: usize,
    /// Scenario 2: events/s per step, in order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1000,2000,3000,4000,5000,6000,8000,10000"
    )]
    pub tput_rates: Vec<f64>,
    #[arg(long, default_value_t = 4.0)]
    pub tput_secs: f64,
    /// Scenario 2 stops after a step whose p99 is over this, ms.
    #[arg(long, default_value_t = 50.0)]
    pub tput_p99_limit_ms: f64,
    /// Scenario 3: idle connections and the accounts they spread over.
    #[arg(long, default_value_t = 10_000)]
    pub idle_conns: usize,
    #[arg(long, default_value_t = 10)]
    pub idle_accounts: usize,
    /// Worker threads of the clients' runtime.
    #[arg(long, default_value_t = 2)]
    pub client_threads: usize,
    /// The node's `events.subscriber_queue` (and the reference's broadcast capacity).
    #[arg(long, default_value_t = 4096)]
    pub subscriber_queue: usize,
    /// The node's `events.retention_events`: the replay log's length (for NATS, the
    /// stream's `max_msgs`; every publication past it evicts the oldest event).
    #[arg(long, default_value_t = 100_000)]
    pub retention_events: usize,
    /// The `nats-server` binary for the NATS broker.
    #[arg(long, default_value = "nats-server")]
    pub nats_server: PathBuf,
    #[command(flatten)]
    pub out: Output,
}

#[derive(clap::Args, Debug, Clone)]
pub struct CodecArgs {
    /// Runs; the table gives their median and spread.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Seconds of each path per run.
    #[arg(long, default_value_t = 2.0)]
    pub secs: f64,
    #[command(flatten)]
    pub out: Output,
}

#[derive(clap::Args, Debug, Clone)]
pub struct RecordingsArgs {
    /// Runs; the table gives their median and spread.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Recordings at once.
    #[arg(long, default_value_t = 2000)]
    pub count: usize,
    /// Seconds recorded per run and case.
    #[arg(long, default_value_t = 10.0)]
    pub secs: f64,
    #[command(flatten)]
    pub out: Output,
}

#[derive(clap::Args, Debug, Clone)]
pub struct MixerArgs {
    /// Runs; the table gives their median and spread.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Conference rooms.
    #[arg(long, default_value_t = 100)]
    pub rooms: usize,
    /// Participants per room.
    #[arg(long, default_value_t = 10)]
    pub size: usize,
    /// Seconds of each path per run.
    #[arg(long, default_value_t = 2.0)]
    pub secs: f64,
    #[command(flatten)]
    pub out: Output,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ConferenceArgs {
    /// Full runs; the table gives their median and spread.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Concurrent legs per step, in order.
    #[arg(long, value_delimiter = ',', default_value = "500,1000,1500")]
    pub legs: Vec<usize>,
    /// Participants per room.
    #[arg(long, default_value_t = 10)]
    pub room_size: usize,
    /// Call set-up rate, calls/s.
    #[arg(long, default_value_t = 200)]
    pub setup_rate: u32,
    /// Seconds between the last leg up and the window.
    #[arg(long, default_value_t = 2.0)]
    pub settle_secs: f64,
    /// Measurement window, seconds.
    #[arg(long, default_value_t = 8.0)]
    pub window_secs: f64,
    /// Legs whose audio is checked per step.
    #[arg(long, default_value_t = 20)]
    pub checked: usize,
    /// Jitter p99 limit of the target, ms.
    #[arg(long, default_value_t = 5.0)]
    pub jitter_limit_ms: f64,
    /// A room size stops after a step whose loss is over this, %…
    #[arg(long, default_value_t = 1.0)]
    pub break_loss_pct: f64,
    /// …or whose jitter p99 is over this, ms.
    #[arg(long, default_value_t = 20.0)]
    pub break_jitter_ms: f64,
    #[command(flatten)]
    pub out: Output,
}

#[derive(clap::Args, Debug, Clone)]
pub struct WasmArgs {
    /// The IVR component (`ivr.wasm`); default: build it with `scripts/build-wasm`.
    #[arg(long)]
    pub ivr: Option<PathBuf>,
    /// Timed steps per side, and timed instantiations.
    #[arg(long, default_value_t = 10_000)]
    pub steps: u64,
    /// Untimed steps before the timed ones.
    #[arg(long, default_value_t = 2_000)]
    pub warmup: u64,
    /// Upper bound of one side's timed steps, seconds (the count reached is reported).
    #[arg(long, default_value_t = 60)]
    pub bound_secs: u64,
    /// Concurrent tasks of the steps/s runs.
    #[arg(long, value_delimiter = ',', default_value = "2,4")]
    pub tasks: Vec<usize>,
    /// Seconds of each steps/s run.
    #[arg(long, default_value_t = 5.0)]
    pub tput_secs: f64,
    /// Compiles, and loads from the cache, of the cold start.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    #[command(flatten)]
    pub out: Output,
}

#[derive(clap::Args, Debug, Clone)]
pub struct TranscoderArgs {
    /// Full runs of each guest; the table gives their median and spread.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Live streams at once (each a transcoder instance).
    #[arg(long, default_value_t = 1000)]
    pub streams: usize,
    /// Timed frames through each stream.
    #[arg(long, default_value_t = 50)]
    pub rounds: usize,
    /// Directory holding tc_null.wasm, tc_passthrough.wasm and agc.wasm; default: build
    /// them with `scripts/build-wasm`.
    #[arg(long)]
    pub components: Option<PathBuf>,
    #[command(flatten)]
    pub out: Output,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ApiArgs {
    /// Concurrent HTTP clients (keep-alive connections).
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Seconds of each HTTP load.
    #[arg(long, default_value_t = 10)]
    pub secs: u64,
    /// Items per queue run.
    #[arg(long, default_value_t = 1_000_000)]
    pub items: usize,
    /// Accounts of each queue run.
    #[arg(long, value_delimiter = ',', default_value = "1,10,1000")]
    pub accounts: Vec<usize>,
    /// Operations per timed batch of the queue runs.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    #[command(flatten)]
    pub out: Output,
}

#[derive(clap::Args, Debug, Clone)]
pub struct Foundation {
    /// A run of about a minute: two rate steps, two media steps, short windows.
    #[arg(long)]
    pub quick: bool,
    /// Offered call rates (calls/s), in order; the ramp stops after the first step with
    /// failed calls.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "100,200,400,700,1000,1300,1600,2000"
    )]
    pub rates: Vec<u32>,
    /// Seconds of calls per rate step.
    #[arg(long, default_value_t = 10)]
    pub rate_secs: u32,
    /// Concurrent playing calls per media step.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "250,500,1000,1500,2000,2500"
    )]
    pub calls: Vec<usize>,
    /// Set-up rate of the media steps (calls/s).
    #[arg(long, default_value_t = 200)]
    pub setup_rate: u32,
    /// Measurement window of a media step, seconds.
    #[arg(long, default_value_t = 8)]
    pub window_secs: u64,
    /// Length of the played WAV, seconds.
    #[arg(long, default_value_t = 30)]
    pub play_secs: u32,
    /// Jitter p99 limit of the headline, ms.
    #[arg(long, default_value_t = 5.0)]
    pub jitter_limit_ms: f64,
    /// Read all receiving sockets from one task every this many ms (kernel timestamps
    /// make the late read harmless); 0 = one task per stream, woken by each packet.
    #[arg(long, default_value_t = 0)]
    pub rx_sweep_ms: u64,
    /// Skip the call-rate part.
    #[arg(long)]
    pub skip_rate: bool,
    /// Skip the concurrent-media part.
    #[arg(long)]
    pub skip_media: bool,
    #[command(flatten)]
    pub out: Output,
}

impl Foundation {
    pub fn apply_quick(mut self) -> Self {
        if self.quick {
            self.rates = vec![200, 1000];
            self.rate_secs = 4;
            self.calls = vec![100, 500];
            self.window_secs = 4;
        }
        self
    }
}

/// Where a benchmark's section goes: every subcommand's `--write` and `--no-write`.
#[derive(Debug, Clone, clap::Args)]
pub struct Output {
    /// Where to write the section (default: BENCHMARKS.md of the workspace).
    #[arg(long)]
    pub write: Option<PathBuf>,
    /// Print only; leave BENCHMARKS.md alone.
    #[arg(long)]
    pub no_write: bool,
}

impl Output {
    /// Writes `body` as the `heading` section of the file (default: the workspace's
    /// `BENCHMARKS.md`) unless `--no-write`.
    pub fn write(&self, heading: &str, body: &str) -> Result<()> {
        if self.no_write {
            return Ok(());
        }
        let path = self
            .write
            .clone()
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../BENCHMARKS.md"));
        report::write_section(&path, heading, body)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
        Ok(())
    }
}
