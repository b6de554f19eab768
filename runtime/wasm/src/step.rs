//! One call step: a fresh store and instance, budgets armed, the app's world's export
//! (`handle`, `handle-steps` or `handle-instructions`) called.

use std::time::{Duration, Instant};

use switchyard_instructions::Verb;
use tokio::time::error::Elapsed;
use wasmtime::{Store, Trap};

use crate::bindings::wit;
use crate::context::{Level, StepContext};
use crate::error::StepError;
use crate::host::{AppPre, CompiledApp, WasmHost};
use crate::instructions;
use crate::request::CallRequest;
use crate::state::{self, Caller, StoreState};

impl WasmHost {
    /// Runs one step of `app` for `request` on a fresh instance.
    ///
    /// Memory is capped by the app's limit, guest execution by its CPU budget
    /// (epoch deadline; waits on host HTTP are not charged) and the whole step by
    /// its wall budget. Whatever the guest does, the error stays in this step.
    pub async fn handle(
        &self,
        app: &CompiledApp,
        request: CallRequest,
        ctx: StepContext,
    ) -> Result<Vec<Verb>, StepError> {
        self.handle_measured(app, request, ctx).await.0
    }

    /// [`WasmHost::handle`], with the guest execution time the step was charged (the
    /// CPU budget's clock: instantiation and the guest's run, not its waits on the host).
    pub async fn handle_measured(
        &self,
        app: &CompiledApp,
        request: CallRequest,
        ctx: StepContext,
    ) -> (Result<Vec<Verb>, StepError>, Duration) {
        let request = match request.to_wit() {
            Ok(r) => r,
            Err(e) => return (Err(e), Duration::ZERO),
        };
        let limits = &app.inner.limits;
        let mut store = Store::new(
            &self.inner.engine,
            StoreState::new(ctx, limits, self.inner.config.log_caps, Instant::now()),
        );
        state::arm(&mut store);

        // Any world's answer, as instructions (a verb is the first case of a step, a
        // step the first case of an instruction).
        let run = async {
            match &app.inner.pre {
                AppPre::Verbs(pre) => {
                    let instance = pre
                        .instantiate_async(&mut store)
                        .await
                        .map_err(Failure::Instantiate)?;
                    let answer = instance
                        .call_handle(&mut store, &request)
                        .await
                        .map_err(Failure::Call)?;
                    Ok(answer.map(|verbs| {
                        verbs
                            .into_iter()
                            .map(|v| wit::Instruction::Step(wit::Step::Verb(v)))
                            .collect()
                    }))
                }
                AppPre::Steps(pre) => {
                    let instance = pre
                        .instantiate_async(&mut store)
                        .await
                        .map_err(Failure::Instantiate)?;
                    let answer = instance
                        .call_handle_steps(&mut store, &request)
                        .await
                        .map_err(Failure::Call)?;
                    Ok(answer.map(|steps| steps.into_iter().map(wit::Instruction::Step).collect()))
                }
                AppPre::Instructions(pre) => {
                    let instance = pre
                        .instantiate_async(&mut store)
                        .await
                        .map_err(Failure::Instantiate)?;
                    instance
                        .call_handle_instructions(&mut store, &request)
                        .await
                        .map_err(Failure::Call)
                }
            }
        };
        let outcome = tokio::time::timeout(limits.wall, run).await;
        let used = store.data_mut().clock.stop(Instant::now());
        let verbs = settle(store.data_mut(), outcome).and_then(|r| {
            let answer = r.map_err(|e| StepError::App {
                code: e.code,
                message: e.message,
            })?;
            if instructions::size(&answer) > self.inner.config.max_verbs_bytes {
                return Err(StepError::TooLarge);
            }
            Ok(instructions::convert(answer))
        });
        (verbs, used)
    }
}

impl WasmHost {
    /// Creates a fresh store and instance of `app` and drops them without calling
    /// the guest: the fixed cost of every step, for benchmarks and health checks
    /// (it fails like a step would when the pool is exhausted).
    pub async fn instantiate_only(
        &self,
        app: &CompiledApp,
        ctx: StepContext,
    ) -> Result<(), StepError> {
        let limits = &app.inner.limits;
        let mut store = Store::new(
            &self.inner.engine,
            StoreState::new(ctx, limits, self.inner.config.log_caps, Instant::now()),
        );
        state::arm(&mut store);
        let instantiated = match &app.inner.pre {
            AppPre::Verbs(pre) => pre.instantiate_async(&mut store).await.map(drop),
            AppPre::Steps(pre) => pre.instantiate_async(&mut store).await.map(drop),
            AppPre::Instructions(pre) => pre.instantiate_async(&mut store).await.map(drop),
        };
        match instantiated {
            Ok(()) => Ok(()),
            Err(e) => Err(classify(store.data(), Failure::Instantiate(e))),
        }
    }
}

/// Where a guest call failed.
pub(crate) enum Failure {
    Instantiate(wasmtime::Error),
    Call(wasmtime::Error),
}

/// Ends a guest call that ran under `tokio::time::timeout`: its captured stdout and
/// stderr go to the log, then the one notice of log lines dropped past the step's caps
/// (if any), and a timeout or a failure becomes the [`StepError`] naming why the guest
/// stopped.
pub(crate) fn settle<C: Caller, R>(
    state: &mut StoreState<C>,
    outcome: Result<Result<R, Failure>, Elapsed>,
) -> Result<R, StepError> {
    flush_stdio(state);
    if let Some(notice) = state.log_budget.truncation() {
        state.ctx.log(Level::Warn, &notice.to_string());
    }
    match outcome {
        Err(_elapsed) => Err(StepError::WallTimeout),
        Ok(Err(failure)) => Err(classify(state, failure)),
        Ok(Ok(result)) => Ok(result),
    }
}

/// Names why the guest stopped. Our own interventions (CPU budget, refused
/// memory growth) are recorded in the store, so they are recognised whatever
/// trap the guest turned them into (a refused `memory.grow` usually surfaces as
/// Rust's allocation-failure abort, an `unreachable`).
fn classify<C: Caller>(state: &StoreState<C>, failure: Failure) -> StepError {
    if state.clock.exhausted {
        return StepError::CpuBudget;
    }
    if state.limiter.memory_hit {
        return StepError::Memory;
    }
    match failure {
        Failure::Instantiate(e) => StepError::Instantiate(format!("{e:#}")),
        Failure::Call(e) => match e.downcast_ref::<Trap>() {
            Some(trap) => StepError::Trap(trap.to_string()),
            None => StepError::Trap(format!("{e:#}")),
        },
    }
}

/// Guest stdout/stderr (a panic message, stray prints) go to the log as one warning,
/// outside the log caps: the capture is bounded already, and a panic message after a
/// flood of lines is the one line worth keeping.
pub(crate) fn flush_stdio<C: Caller>(state: &StoreState<C>) {
    let out = state.stdio.contents();
    if !out.is_empty() {
        state.send_line(Level::Warn, String::from_utf8_lossy(&out).trim_end());
    }
}
