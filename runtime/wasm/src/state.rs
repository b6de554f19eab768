//! Per-call store data: the empty WASI context, the resource limiter, and the
//! clock that charges guest execution (not host waits) to the CPU budget; the same
//! for a call-handler step and an event-filter call, which differ only in what the
//! guest is lent (their [`Caller`]).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::config::AppLimits;
use crate::context::{Level, StepContext};
use crate::engine::TICK;
use crate::log_budget::{LogBudget, LogCaps};

/// Bytes of guest stdout+stderr kept for the log (a panic message fits easily).
pub(crate) const STDIO_CAP: usize = 8 * 1024;

/// What a guest's calls run on behalf of: where its log lines go, named.
pub(crate) trait Caller: Send + 'static {
    /// Sends one (already truncated) line to the log.
    fn log(&self, level: Level, message: &str);
}

impl Caller for StepContext {
    fn log(&self, level: Level, message: &str) {
        self.log.log(&self.app_name, &self.call_sid, level, message);
    }
}

/// Data of one call's [`Store`]: a call-handler step (`C` = [`StepContext`]) or an
/// event-filter call.
pub(crate) struct StoreState<C = StepContext> {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: Limiter,
    pub(crate) clock: GuestClock,
    pub(crate) ctx: C,
    pub(crate) http_allow: Vec<String>,
    /// When the step's wall budget runs out; bounds HTTP timeouts.
    pub(crate) wall_deadline: Instant,
    pub(crate) stdio: MemoryOutputPipe,
    /// What the guest may still log this step.
    pub(crate) log_budget: LogBudget,
}

impl<C: Caller> WasiView for StoreState<C> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl<C: Caller> StoreState<C> {
    pub(crate) fn new(ctx: C, limits: &AppLimits, log_caps: LogCaps, now: Instant) -> Self {
        let stdio = MemoryOutputPipe::new(STDIO_CAP);
        // No preopens, no environment, no arguments; sockets stay refused by the
        // builder's default address check. Output is captured, never inherited.
        let wasi = WasiCtxBuilder::new()
            .stdout(stdio.clone())
            .stderr(stdio.clone())
            .build();
        StoreState {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter::new(limits.memory),
            clock: GuestClock::new(limits.cpu, now),
            ctx,
            http_allow: limits.http_allow.clone(),
            wall_deadline: now + limits.wall,
            stdio,
            log_budget: LogBudget::new(log_caps),
        }
    }
}

/// Installs the limiter and the CPU-budget deadline on a fresh store.
pub(crate) fn arm<C: Caller>(store: &mut Store<StoreState<C>>) {
    store.limiter(|s| &mut s.limiter);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|mut cx| {
        let clock = &mut cx.data_mut().clock;
        if clock.charge(Instant::now()) {
            clock.exhausted = true;
            return Ok(UpdateDeadline::Interrupt);
        }
        // Yield at every tick so a spinning guest never starves the other steps
        // sharing this executor thread, and so the wall-clock timeout can fire.
        let resumed = clock.resumed.clone();
        Ok(UpdateDeadline::YieldCustom(
            1,
            Box::pin(async move {
                tokio::task::yield_now().await;
                *resumed.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
            }),
        ))
    });
}

/// Guest execution time of one step, measured at epoch ticks and host calls.
///
/// Epochs measure wall time, so time spent suspended (yielded to other steps, or
/// waiting on an HTTP response) is subtracted: a guest pays for its own running.
pub(crate) struct GuestClock {
    budget: Duration,
    used: Duration,
    /// Since when the guest has been running uncharged.
    running_since: Instant,
    /// Set by the yield future when the executor resumes the guest.
    resumed: Arc<Mutex<Option<Instant>>>,
    /// The budget ran out (the interrupt trap is ours, not the guest's).
    pub(crate) exhausted: bool,
}

impl GuestClock {
    fn new(budget: Duration, now: Instant) -> Self {
        GuestClock {
            budget,
            used: Duration::ZERO,
            running_since: now,
            resumed: Arc::new(Mutex::new(None)),
            exhausted: false,
        }
    }

    /// Charges the time run since the last mark; true once over budget.
    fn charge(&mut self, now: Instant) -> bool {
        if let Some(resumed) = self
            .resumed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            self.running_since = self.running_since.max(resumed);
        }
        self.used += now.saturating_duration_since(self.running_since);
        self.running_since = now;
        // A tick is the granularity: stop at the tick that would overshoot, so a
        // loop is killed within the budget plus at most one tick.
        self.used + TICK / 2 >= self.budget
    }

    /// The guest called into the host: charge its run so far.
    pub(crate) fn pause(&mut self, now: Instant) {
        self.charge(now);
    }

    /// The host call returned: the guest runs again from `now`.
    pub(crate) fn resume(&mut self, now: Instant) {
        self.running_since = now;
    }

    /// The guest returned (or was stopped) at `now`: its time charged in all.
    pub(crate) fn stop(&mut self, now: Instant) -> Duration {
        self.charge(now);
        self.used
    }

    /// Guest time charged so far.
    #[cfg(test)]
    fn used(&self) -> Duration {
        self.used
    }
}

/// Enforces the app's memory limit and remembers whether the guest hit it.
pub(crate) struct Limiter {
    memory: usize,
    /// A growth was refused: a following trap is the memory limit's doing.
    pub(crate) memory_hit: bool,
}

/// Tables a component may grow to, in elements; Rust guests need a few hundred.
const MAX_TABLE_ELEMENTS: usize = 20_000;

impl Limiter {
    fn new(memory: usize) -> Self {
        Limiter {
            memory,
            memory_hit: false,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory {
            self.memory_hit = true;
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        crate::engine::CORE_INSTANCES_PER_COMPONENT as usize
    }

    fn tables(&self) -> usize {
        crate::engine::TABLES_PER_COMPONENT as usize
    }

    fn memories(&self) -> usize {
        crate::engine::MEMORIES_PER_COMPONENT as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_charges_running_time_but_not_suspensions() {
        let t0 = Instant::now();
        let mut clock = GuestClock::new(Duration::from_millis(10), t0);
        assert!(!clock.charge(t0 + Duration::from_millis(4)));
        clock.pause(t0 + Duration::from_millis(5));
        // 100 ms in a host call are not the guest's.
        clock.resume(t0 + Duration::from_millis(105));
        assert!(!clock.charge(t0 + Duration::from_millis(108)));
        assert_eq!(clock.used(), Duration::from_millis(8));
        // Suspended by a yield from 108 to 200.
        *clock.resumed.lock().unwrap() = Some(t0 + Duration::from_millis(200));
        assert!(clock.charge(t0 + Duration::from_millis(202)));
        assert_eq!(clock.used(), Duration::from_millis(10));
    }

    #[test]
    fn limiter_refuses_growth_past_the_limit_and_remembers() {
        let mut limiter = Limiter::new(1 << 20);
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap());
        assert!(!limiter.memory_hit);
        assert!(!limiter
            .memory_growing(1 << 20, (1 << 20) + 65536, None)
            .unwrap());
        assert!(limiter.memory_hit);
    }
}
