//! The one engine a host owns: pooling allocator, epochs, and its ticker thread.

use std::hash::{Hash, Hasher};
use std::time::Duration;

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings::CallHandler;
use crate::config::HostConfig;
use crate::error::Error;
use crate::filter::FilterCaller;
use crate::filter_bindings::EventFilter;
use crate::state::{Caller, StoreState};
use crate::transcoder::TranscoderCaller;
use crate::transcoder_bindings::Transcoder;

/// How often the epoch advances; CPU budgets are checked at this granularity.
pub(crate) const TICK: Duration = Duration::from_millis(1);

/// Bytes of each pool slot (memory, table) a step may dirty and still have reset in
/// place (copied back from the image or zeroed) rather than released to the kernel.
///
/// With `PAGEMAP_SCAN` (Linux 6.7+) the pool resets only the pages the guest wrote, up
/// to this much; without it, the first this-many bytes. Releasing pages instead
/// (`madvise`) is what made a fresh instance slow: the call flushed the TLB of every
/// thread of the process (an IPI per core), and the next step faulted each page back
/// in. A Rust guest's stack sits at the bottom of its memory (1 MiB by default) with
/// its data and heap above, so the pages it touches are spread over its first MiB or
/// two; a step dirtying more pays `madvise` for the rest. Resident memory is bounded
/// by this times the slots in use (the pool keeps at most 100 warm ones unused).
const KEEP_RESIDENT: usize = 1 << 20;

/// Core instances, memories and tables a `wasm32-wasip2` component needs beyond
/// its main module: `wit-component` adds shim and fixup modules holding tables
/// for indirect lowering, and a WASI adapter may bring its own memory.
pub(crate) const CORE_INSTANCES_PER_COMPONENT: u32 = 16;
pub(crate) const MEMORIES_PER_COMPONENT: u32 = 2;
pub(crate) const TABLES_PER_COMPONENT: u32 = 8;

/// Builds the engine. Everything that decides the compiled code's shape lives
/// here, so the artifact cache key (the engine's compatibility hash) covers it.
pub(crate) fn build(config: &HostConfig) -> Result<Engine, Error> {
    let max = config.max_instances.max(1);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(max)
        .total_core_instances(max.saturating_mul(CORE_INSTANCES_PER_COMPONENT))
        .total_memories(max.saturating_mul(MEMORIES_PER_COMPONENT))
        .total_tables(max.saturating_mul(TABLES_PER_COMPONENT))
        .total_stacks(max)
        .max_memory_size(config.default_memory)
        // A freed slot keeps the pages its guest dirtied mapped and resets them in
        // place, so the next step neither shoots down TLBs nor faults them in again.
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT)
        // Find those pages with the PAGEMAP_SCAN ioctl where the kernel has it.
        .pagemap_scan(Enabled::Auto);

    let mut cfg = Config::new();
    cfg.epoch_interruption(true)
        // Instantiation maps the initial heap from the compiled image instead of
        // copying data segments: this is what makes a fresh instance per step cheap.
        .memory_init_cow(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&cfg).map_err(|e| Error::Engine(format!("{e:#}")))
}

/// Builds the engine of tenant transcoders, apart from the apps' engine for three
/// reasons. Its guests run synchronously on the media worker thread, under a budget
/// of about a millisecond per 20 ms frame: the apps' 1 ms epoch tick cannot enforce
/// that (a loop would run for one to two ticks, longer when the ticker thread is
/// descheduled), so guest code here counts fuel, which stops it on its own thread at
/// the instruction its budget ends, whatever the scheduler does (bulk memory
/// instructions pay per byte); the epoch stays as a backstop, on the thread's CPU
/// clock, for what fuel does not count (time in host calls). Fuel changes the compiled code, so
/// it cannot be switched on for the apps without slowing every step. And a transcoder
/// instance lives as long as its stream (minutes, thousands at once), which would
/// exhaust the apps' pool of per-step slots: transcoders allocate on demand instead
/// (a copy-on-write image per instance, no slots reserved up front).
pub(crate) fn build_transcoder() -> Result<Engine, Error> {
    let mut cfg = Config::new();
    cfg.consume_fuel(true)
        .epoch_interruption(true)
        .memory_init_cow(true);
    Engine::new(&cfg).map_err(|e| Error::Engine(format!("{e:#}")))
}

/// The engine's compatibility hash as 16 hex digits, for artifact file names.
pub(crate) fn compat_hash(engine: &Engine) -> String {
    // `DefaultHasher::new()` is SipHash with fixed keys: stable for one build of
    // the host, which is all an on-disk cache keyed by it needs (a rebuilt host
    // with a different std simply misses the cache and recompiles).
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// The linker every app shares: WASI p2 (with an empty context per store) plus
/// the four interfaces of the call-handler world.
pub(crate) fn linker(engine: &Engine) -> Result<Linker<StoreState>, Error> {
    linker_with(engine, |linker| {
        CallHandler::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
    })
}

/// The linker every event filter shares: WASI p2 plus `log` and `clock`.
pub(crate) fn filter_linker(engine: &Engine) -> Result<Linker<StoreState<FilterCaller>>, Error> {
    linker_with(engine, |linker| {
        EventFilter::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
    })
}

/// The WASI functions that wait (on a clock, or on a stream that is not ready): on the
/// media thread a wait is time no budget counts, so for a transcoder they fail at once.
const BLOCKING: (&str, [&str; 2]) = ("wasi:io/poll@0.2.12", ["poll", "[method]pollable.block"]);

/// What a transcoder that tries to wait gets, as the error that stops it.
pub(crate) const NO_WAITING: &str = "a transcoder may not wait (wasi:io/poll)";

/// The linker every transcoder shares: WASI p2, synchronous, with its waits refused
/// ([`BLOCKING`]), plus `log`.
pub(crate) fn transcoder_linker(
    engine: &Engine,
) -> Result<Linker<StoreState<TranscoderCaller>>, Error> {
    let mut linker = Linker::new(engine);
    let wasi = |e: wasmtime::Error| Error::Engine(format!("linking WASI: {e:#}"));
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(wasi)?;
    linker.allow_shadowing(true);
    let (interface, functions) = BLOCKING;
    let mut poll = linker.instance(interface).map_err(wasi)?;
    for name in functions {
        poll.func_new(name, |_, _, _, _| Err(wasmtime::format_err!(NO_WAITING)))
            .map_err(wasi)?;
    }
    linker.allow_shadowing(false);
    Transcoder::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
        .map_err(|e| Error::Engine(format!("linking switchyard:telephony: {e:#}")))?;
    Ok(linker)
}

fn linker_with<C: Caller>(
    engine: &Engine,
    add_world: impl FnOnce(&mut Linker<StoreState<C>>) -> wasmtime::Result<()>,
) -> Result<Linker<StoreState<C>>, Error> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)
        .map_err(|e| Error::Engine(format!("linking WASI: {e:#}")))?;
    add_world(&mut linker)
        .map_err(|e| Error::Engine(format!("linking switchyard:telephony: {e:#}")))?;
    Ok(linker)
}

/// Starts the thread that advances the epoch every [`TICK`]. It holds only a weak
/// reference, so it ends once the engine (and every app compiled with it) is gone.
pub(crate) fn start_ticker(engine: &Engine) -> Result<(), Error> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(TICK);
            }
        })
        .map(drop)
        .map_err(|e| Error::Engine(format!("cannot start the epoch ticker: {e}")))
}
