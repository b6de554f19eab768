//! Tenant transcoders: components of the `transcoder` world, one `media-stream`
//! resource per stream direction, called every 20 ms with linear PCM.
//!
//! Unlike a call step, an instance lives as long as its stream and keeps its state
//! (a gain, a detector's history) between frames. The node's media worker is a plain
//! thread, so [`TranscoderStream::process`] is a synchronous call on the transcoders'
//! own engine (see `engine::build_transcoder`). Containment is per frame: a guest that
//! traps, runs past its CPU budget, grows past its memory limit, or answers with more
//! audio than a frame can carry is bypassed within that frame and for the rest of the
//! stream; the stream goes on with its frames unchanged, and no other stream notices.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, ResourceAny};
use wasmtime::{Store, Trap, UpdateDeadline};

use crate::bindings::wit;
use crate::config::AppLimits;
use crate::context::{Level, LogSink};
use crate::error::Error;
use crate::host::{EngineOf, Loaded, WasmHost};
use crate::state::{Caller, StoreState};
use crate::step::flush_stdio;
use crate::transcoder_bindings::{Transcoder, TranscoderPre};
use crate::validate::{self, TRANSCODER};

/// Frames per second: every frame is 20 ms.
const FRAMES_PER_SECOND: u32 = 50;

/// Most audio one `process` may return, in frames of the output format: a transcoder
/// may hold a frame back and release two at once, never more.
const MAX_FRAMES_OUT: usize = 2;

/// Fuel (roughly one unit per WebAssembly instruction) a guest burns per millisecond
/// on the reference machine, measured with the `tc-looper` test guest (a tight loop
/// of integer arithmetic): the CPU budget is converted to fuel with it.
pub const FUEL_PER_MS: u64 = 1_500_000;

/// How many times its CPU budget a frame may spend, measured on the thread's CPU clock
/// from the first epoch tick (every millisecond) while it runs, before the epoch stops
/// it: the backstop for work fuel does not count (bulk memory instructions, host
/// calls). CPU time, not wall time, so a media thread the OS descheduled is not blamed
/// on its guest.
const BACKSTOP_FACTOR: u32 = 2;

/// Linear PCM, 16-bit, mono, at `rate` samples per second: what the host passes a
/// transcoder and takes back (`L16`, RFC 3551 §4.5.11: big-endian samples in the
/// frame's payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcmFormat {
    /// Samples per second: 8000 (G.711), 16000 (wideband) or 48000 (Opus).
    pub rate: u32,
}

impl PcmFormat {
    /// Mono linear PCM at `rate`.
    pub fn mono(rate: u32) -> Self {
        PcmFormat { rate }
    }

    /// Samples in one 20 ms frame.
    pub fn frame_samples(self) -> usize {
        (self.rate / FRAMES_PER_SECOND) as usize
    }

    fn check(self) -> Result<(), Bypass> {
        if [8000, 16000, 48000].contains(&self.rate) {
            Ok(())
        } else {
            Err(Bypass::UnsupportedRate { rate: self.rate })
        }
    }

    fn to_wit(self) -> wit::StreamFormat {
        wit::StreamFormat {
            codec: "L16".into(),
            clock_rate: self.rate,
            channels: 1,
        }
    }
}

/// What one stream's transcoder may use per frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TranscoderLimits {
    /// Guest execution per frame (and for the constructor); 1 ms by default.
    pub cpu: Duration,
    /// Linear memory, bytes; 16 MiB by default.
    pub memory: usize,
}

impl Default for TranscoderLimits {
    fn default() -> Self {
        TranscoderLimits {
            cpu: Duration::from_millis(1),
            memory: 16 << 20,
        }
    }
}

impl TranscoderLimits {
    fn fuel(&self) -> u64 {
        let ns = u64::try_from(self.cpu.as_nanos()).unwrap_or(u64::MAX);
        ns.saturating_mul(FUEL_PER_MS) / 1_000_000
    }
}

/// Whose stream a transcoder runs for: named in its log lines and in the notice of a
/// bypass.
#[derive(Clone)]
pub struct TranscoderContext {
    /// The transcoder's app name.
    pub app_name: String,
    /// `CA…` of the call whose leg the stream belongs to.
    pub call_sid: String,
    /// Where the guest's lines and the bypass notice go. The node's log sink turns
    /// `warn` and `error` lines into notifications of the account naming app and call.
    pub log: Arc<dyn LogSink>,
}

impl fmt::Debug for TranscoderContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TranscoderContext")
            .field("app_name", &self.app_name)
            .field("call_sid", &self.call_sid)
            .finish_non_exhaustive()
    }
}

/// The [`Caller`] of a transcoder instance: its context and the current frame's
/// backstop (see [`BACKSTOP_FACTOR`]).
pub(crate) struct TranscoderCaller {
    ctx: TranscoderContext,
    /// CPU time the frame may spend after its first epoch tick.
    backstop: Duration,
    /// The thread's CPU clock at the frame's first tick.
    first_tick: Option<Duration>,
    over_budget: bool,
}

impl TranscoderCaller {
    /// At an epoch tick: whether the frame has spent its backstop.
    fn tick(&mut self, cpu: Duration) -> bool {
        match self.first_tick {
            None => {
                self.first_tick = Some(cpu);
                false
            }
            Some(first) => cpu.saturating_sub(first) >= self.backstop,
        }
    }
}

/// The calling thread's CPU time (wall time since start-up where there is no such
/// clock).
fn thread_cpu() -> Duration {
    use nix::time::{clock_gettime, ClockId};
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(Duration::from)
        .unwrap_or_else(|_| START.get_or_init(Instant::now).elapsed())
}

impl Caller for TranscoderCaller {
    fn log(&self, level: Level, message: &str) {
        self.ctx
            .log
            .log(&self.ctx.app_name, &self.ctx.call_sid, level, message);
    }
}

/// Why a transcoder was taken out of its stream. Every reason is final: the stream
/// passes its frames unchanged from the frame that failed on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Bypass {
    /// The instance could not be created (its constructor trapped, …).
    #[error("cannot instantiate the transcoder: {0}")]
    Instantiate(String),
    /// The guest trapped (panic, `unreachable`, bad memory access …).
    #[error("transcoder trapped: {0}")]
    Trap(String),
    /// The guest ran past its CPU budget for one frame.
    #[error("transcoder exceeded its CPU budget of {budget_us} µs per frame")]
    CpuBudget {
        /// The budget, microseconds.
        budget_us: u64,
    },
    /// The guest tried to grow its memory past the limit.
    #[error("transcoder exceeded its memory limit of {limit} bytes")]
    Memory {
        /// The limit, bytes.
        limit: usize,
    },
    /// The guest returned more audio for one frame than the host takes.
    #[error("transcoder returned {samples} samples for one frame; at most {max} are taken")]
    OversizedFrame {
        /// Samples returned.
        samples: usize,
        /// [`PcmFormat::frame_samples`] of the output, times two.
        max: usize,
    },
    /// The guest returned a payload that is not whole 16-bit samples.
    #[error("transcoder returned a payload of {bytes} bytes, not whole 16-bit samples")]
    OddPayload {
        /// The payload's length.
        bytes: usize,
    },
    /// The stream handed the transcoder a frame at another rate than its input's.
    #[error("frame at {got} Hz on a stream whose transcoder takes {expected} Hz")]
    WrongRate {
        /// The stream's input rate.
        expected: u32,
        /// The frame's rate.
        got: u32,
    },
    /// The stream handed the transcoder a frame longer than 20 ms.
    #[error("input frame of {samples} samples; a 20 ms frame has {max}")]
    OversizedInput {
        /// Samples given.
        samples: usize,
        /// [`PcmFormat::frame_samples`] of the input.
        max: usize,
    },
    /// A format the host does not transcode.
    #[error("unsupported rate {rate} Hz (8000, 16000 or 48000 mono)")]
    UnsupportedRate {
        /// The rate asked for.
        rate: u32,
    },
}

/// A validated, compiled transcoder. Cheap to clone.
#[derive(Clone)]
pub struct CompiledTranscoder {
    inner: Arc<TranscoderInner>,
}

struct TranscoderInner {
    host: WasmHost,
    sha256: String,
    pre: TranscoderPre<StoreState<TranscoderCaller>>,
    limits: AppLimits,
}

impl fmt::Debug for CompiledTranscoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledTranscoder")
            .field("sha256", &self.inner.sha256)
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

impl WasmHost {
    /// Validates a transcoder and compiles it for the transcoders' engine, caching
    /// the artifact (the same directory as apps, under that engine's hash).
    ///
    /// Refuses what [`WasmHost::compile`] refuses, for the transcoder world: the
    /// component must export the `transcode` interface with the world's
    /// `media-stream` resource and import nothing beyond WASI and `log`.
    pub fn compile_transcoder(
        &self,
        wasm: &[u8],
        limits: AppLimits,
    ) -> Result<CompiledTranscoder, Error> {
        self.compile_with(EngineOf::Transcoders, wasm, limits, Self::finish_transcoder)
    }

    /// Loads a transcoder at restart: from its cached artifact when this engine wrote
    /// one, else by compiling (and caching) it again.
    pub fn load_transcoder(
        &self,
        wasm: &[u8],
        limits: AppLimits,
    ) -> Result<(CompiledTranscoder, Loaded), Error> {
        self.load_with(EngineOf::Transcoders, wasm, limits, Self::finish_transcoder)
    }

    fn finish_transcoder(
        &self,
        sha256: String,
        component: Component,
        limits: AppLimits,
    ) -> Result<CompiledTranscoder, Error> {
        let pre = validate::check_world(
            &self.inner.transcoder_engine,
            &self.inner.transcoder_linker,
            &component,
            TRANSCODER,
        )?;
        let pre = TranscoderPre::new(pre).map_err(|e| TRANSCODER.wrong_signature(e))?;
        Ok(CompiledTranscoder {
            inner: Arc::new(TranscoderInner {
                host: self.clone(),
                sha256,
                pre,
                limits,
            }),
        })
    }
}

impl CompiledTranscoder {
    /// Hex SHA-256 of the uploaded wasm.
    pub fn sha256(&self) -> &str {
        &self.inner.sha256
    }

    /// The limits it was deployed with, per frame: its memory and its CPU budget
    /// (the deployment's `CpuMs`).
    pub fn stream_limits(&self) -> TranscoderLimits {
        TranscoderLimits {
            cpu: self.inner.limits.cpu,
            memory: self.inner.limits.memory,
        }
    }
}

/// One direction of one stream through a transcoder: a `media-stream` instance in a
/// store of its own, kept for the life of the stream.
///
/// Whatever happens, [`TranscoderStream::process`] leaves in `out` what the stream
/// should send: the transcoder's output while it runs, the input frame unchanged once
/// it is bypassed. The bypass is reported once, as the `Err` of the frame it happened
/// on (and as an `error` line to the context's log, naming app, call and reason).
pub struct TranscoderStream {
    state: State,
    input: PcmFormat,
    output: PcmFormat,
}

enum State {
    Running(Box<Running>),
    /// Failed before or on this frame, not reported yet.
    Failed(Bypass),
    /// Reported; frames pass unchanged.
    Bypassed,
}

struct Running {
    store: Store<StoreState<TranscoderCaller>>,
    instance: Transcoder,
    stream: ResourceAny,
    limits: TranscoderLimits,
    /// The frame handed to the guest, its payload buffer reused.
    frame: wit::Frame,
}

impl fmt::Debug for TranscoderStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Running(_) => "running",
            State::Failed(_) => "failed",
            State::Bypassed => "bypassed",
        };
        f.debug_struct("TranscoderStream")
            .field("input", &self.input)
            .field("output", &self.output)
            .field("state", &state)
            .finish()
    }
}

impl TranscoderStream {
    /// Instantiates `transcoder` and constructs its `media-stream` for a stream from
    /// `input` to `output`, under `limits` (the constructor gets one frame's budget).
    /// A failure here does not fail the stream: it starts bypassed, and the first
    /// [`TranscoderStream::process`] reports why.
    pub fn new(
        transcoder: &CompiledTranscoder,
        input: PcmFormat,
        output: PcmFormat,
        limits: TranscoderLimits,
        ctx: TranscoderContext,
    ) -> Self {
        let state = match Running::start(transcoder, input, output, limits, ctx) {
            Ok(running) => State::Running(Box::new(running)),
            Err(bypass) => State::Failed(bypass),
        };
        TranscoderStream {
            state,
            input,
            output,
        }
    }

    /// Runs one 20 ms frame at `rate` through the transcoder into `out` (cleared
    /// first). `Err` once, on the frame the transcoder is bypassed; `out` then holds
    /// `frame` unchanged, as it does for every later frame.
    pub fn process(&mut self, frame: &[i16], rate: u32, out: &mut Vec<i16>) -> Result<(), Bypass> {
        out.clear();
        let failed = match &mut self.state {
            State::Running(running) => {
                match running.process(frame, rate, self.input, self.output, out) {
                    Ok(()) => return Ok(()),
                    Err(bypass) => {
                        running.notify(&bypass);
                        bypass
                    }
                }
            }
            State::Failed(bypass) => bypass.clone(),
            State::Bypassed => {
                out.extend_from_slice(frame);
                return Ok(());
            }
        };
        // Dropping the store ends the instance and frees its memory.
        self.state = State::Bypassed;
        out.clear();
        out.extend_from_slice(frame);
        Err(failed)
    }

    /// Whether frames now pass unchanged (reported or not).
    pub fn is_bypassed(&self) -> bool {
        !matches!(self.state, State::Running(_))
    }

    /// The rate of what [`TranscoderStream::process`] leaves in `out`: the output
    /// format's while the transcoder runs, the input's once it is bypassed.
    pub fn out_rate(&self) -> u32 {
        match self.state {
            State::Running(_) => self.output.rate,
            _ => self.input.rate,
        }
    }
}

impl Running {
    fn start(
        transcoder: &CompiledTranscoder,
        input: PcmFormat,
        output: PcmFormat,
        limits: TranscoderLimits,
        ctx: TranscoderContext,
    ) -> Result<Self, Bypass> {
        input.check()?;
        output.check()?;
        let inner = &*transcoder.inner;
        let host = &inner.host.inner;
        let app_limits = AppLimits {
            memory: limits.memory,
            cpu: limits.cpu,
            wall: limits.cpu * BACKSTOP_FACTOR,
            http_allow: Vec::new(),
        };
        let now = Instant::now();
        let caller = TranscoderCaller {
            ctx,
            backstop: limits.cpu * BACKSTOP_FACTOR,
            first_tick: None,
            over_budget: false,
        };
        let mut store = Store::new(
            &host.transcoder_engine,
            StoreState::new(caller, &app_limits, host.config.log_caps, now),
        );
        store.limiter(|s| &mut s.limiter);
        store.epoch_deadline_callback(|mut cx| {
            let caller = &mut cx.data_mut().ctx;
            if caller.tick(thread_cpu()) {
                caller.over_budget = true;
                return Ok(UpdateDeadline::Interrupt);
            }
            Ok(UpdateDeadline::Continue(1))
        });
        let mut running = None;
        let started = arm(&mut store, &limits).and_then(|()| {
            let instance = inner.pre.instantiate(&mut store)?;
            let stream = instance
                .switchyard_telephony_transcode()
                .media_stream()
                .call_constructor(&mut store, &input.to_wit(), &output.to_wit())?;
            running = Some((instance, stream));
            Ok(())
        });
        let bypass = |store: &mut Store<_>, e| match classify(store, &limits, e) {
            Bypass::Trap(message) => Bypass::Instantiate(message),
            other => other,
        };
        match (started, running) {
            (Ok(()), Some((instance, stream))) => Ok(Running {
                store,
                instance,
                stream,
                limits,
                frame: wit::Frame {
                    payload: Vec::with_capacity(input.frame_samples() * 2),
                    timestamp: 0,
                    marker: true,
                },
            }),
            (Err(e), _) => Err(bypass(&mut store, e)),
            (Ok(()), None) => unreachable!("the constructor returned a stream"),
        }
    }

    fn process(
        &mut self,
        frame: &[i16],
        rate: u32,
        input: PcmFormat,
        output: PcmFormat,
        out: &mut Vec<i16>,
    ) -> Result<(), Bypass> {
        if rate != input.rate {
            return Err(Bypass::WrongRate {
                expected: input.rate,
                got: rate,
            });
        }
        let max_in = input.frame_samples();
        if frame.len() > max_in {
            return Err(Bypass::OversizedInput {
                samples: frame.len(),
                max: max_in,
            });
        }
        let payload = &mut self.frame.payload;
        payload.clear();
        payload.extend(frame.iter().flat_map(|s| s.to_be_bytes()));
        let frames = arm(&mut self.store, &self.limits)
            .and_then(|()| {
                self.instance
                    .switchyard_telephony_transcode()
                    .media_stream()
                    .call_process(&mut self.store, self.stream, &self.frame)
            })
            .map_err(|e| classify(&mut self.store, &self.limits, e))?;
        self.frame.timestamp = self.frame.timestamp.wrapping_add(frame.len() as u32);
        self.frame.marker = false;

        let max = output.frame_samples() * MAX_FRAMES_OUT;
        let bytes: usize = frames.iter().map(|f| f.payload.len()).sum();
        if bytes / 2 > max {
            return Err(Bypass::OversizedFrame {
                samples: bytes / 2,
                max,
            });
        }
        for f in &frames {
            if f.payload.len() % 2 != 0 {
                return Err(Bypass::OddPayload {
                    bytes: f.payload.len(),
                });
            }
            out.extend(
                f.payload
                    .chunks_exact(2)
                    .map(|b| i16::from_be_bytes([b[0], b[1]])),
            );
        }
        Ok(())
    }

    /// The notice of a bypass: the guest's captured stdout/stderr (a panic message),
    /// then one `error` line naming the reason (the log sink names app and call).
    fn notify(&self, bypass: &Bypass) {
        let state = self.store.data();
        flush_stdio(state);
        state.ctx.log(
            Level::Error,
            &format!("transcoder bypassed for the rest of the stream: {bypass}"),
        );
    }
}

/// Gives the guest one frame's budget: fuel for its instructions, and the CPU-time
/// backstop checked at every epoch tick (nothing read here: most frames end before a
/// tick, and pay no clock read at all).
fn arm(
    store: &mut Store<StoreState<TranscoderCaller>>,
    limits: &TranscoderLimits,
) -> wasmtime::Result<()> {
    store.set_fuel(limits.fuel())?;
    let caller = &mut store.data_mut().ctx;
    caller.first_tick = None;
    caller.over_budget = false;
    store.set_epoch_deadline(1);
    Ok(())
}

/// Names why the guest stopped: our own interventions (fuel, the epoch backstop, a
/// refused memory growth) first, whatever trap the guest turned them into.
fn classify(
    store: &mut Store<StoreState<TranscoderCaller>>,
    limits: &TranscoderLimits,
    e: wasmtime::Error,
) -> Bypass {
    let out_of_fuel = matches!(e.downcast_ref::<Trap>(), Some(Trap::OutOfFuel));
    let state = store.data();
    if out_of_fuel || state.ctx.over_budget {
        return Bypass::CpuBudget {
            budget_us: u64::try_from(limits.cpu.as_micros()).unwrap_or(u64::MAX),
        };
    }
    if state.limiter.memory_hit {
        return Bypass::Memory {
            limit: limits.memory,
        };
    }
    match e.downcast_ref::<Trap>() {
        Some(trap) => Bypass::Trap(trap.to_string()),
        None => Bypass::Trap(format!("{e:#}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_can_move_to_the_media_thread() {
        fn send<T: Send>() {}
        fn shared<T: Send + Sync>() {}
        send::<TranscoderStream>();
        shared::<CompiledTranscoder>();
    }

    #[test]
    fn formats_count_a_frame_and_refuse_odd_rates() {
        assert_eq!(PcmFormat::mono(8000).frame_samples(), 160);
        assert_eq!(PcmFormat::mono(16000).frame_samples(), 320);
        assert!(PcmFormat::mono(16000).check().is_ok());
        assert_eq!(
            PcmFormat::mono(44100).check(),
            Err(Bypass::UnsupportedRate { rate: 44100 })
        );
    }

    #[test]
    fn the_cpu_budget_becomes_fuel_in_proportion() {
        let limits = TranscoderLimits::default();
        assert_eq!(limits.fuel(), FUEL_PER_MS);
        let half = TranscoderLimits {
            cpu: Duration::from_micros(500),
            ..limits
        };
        assert_eq!(half.fuel(), FUEL_PER_MS / 2);
    }

    #[test]
    fn the_backstop_counts_cpu_from_the_first_tick() {
        let log: Arc<dyn LogSink> = Arc::new(NoLog);
        let mut caller = TranscoderCaller {
            ctx: TranscoderContext {
                app_name: "a".into(),
                call_sid: "CA1".into(),
                log,
            },
            backstop: Duration::from_millis(2),
            first_tick: None,
            over_budget: false,
        };
        let ms = Duration::from_millis;
        // However long the thread ran before the first tick, counting starts there.
        assert!(!caller.tick(ms(500)));
        assert!(!caller.tick(ms(501)));
        assert!(caller.tick(ms(502)));
    }

    struct NoLog;

    impl LogSink for NoLog {
        fn log(&self, _: &str, _: &str, _: Level, _: &str) {}
    }

    #[test]
    fn bypass_reasons_read_as_sentences() {
        assert_eq!(
            Bypass::CpuBudget { budget_us: 1000 }.to_string(),
            "transcoder exceeded its CPU budget of 1000 µs per frame"
        );
        assert_eq!(
            Bypass::OversizedFrame {
                samples: 800,
                max: 320
            }
            .to_string(),
            "transcoder returned 800 samples for one frame; at most 320 are taken"
        );
    }
}
