//! Tenant event filters: components of the `event-filter` world, asked per event
//! and subscriber whether to pass, drop or replace it.
//!
//! A filter runs like a call step: a fresh instance per call from the pool, the
//! filter's memory limit, CPU budget (epoch deadline) and wall-clock budget, its
//! stdout/stderr captured into the log. A filter that loops, traps or runs out of
//! memory fails that one call with a [`StepError`]; the event router decides what
//! to do with the event (e.g. deliver it unfiltered, or skip the subscriber).

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::Component;
use wasmtime::Store;

use crate::bindings::wit;
use crate::config::AppLimits;
use crate::context::{Level, LogSink};
use crate::error::{Error, StepError};
use crate::filter_bindings::EventFilterPre;
use crate::host::{EngineOf, Loaded, WasmHost};
use crate::state::{self, Caller, StoreState};
use crate::step::{settle, Failure};
use crate::validate::{self, EVENT_FILTER};

/// One event as a filter sees it: the event router's event, with its data as
/// name/value pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterEvent {
    /// `epoch:shard:seq`.
    pub id: String,
    /// `AC…`
    pub account_sid: String,
    /// `CA…`, for call events.
    pub call_sid: Option<String>,
    /// `call.answered`, `gather.completed`, …
    pub event_type: String,
    /// Unix milliseconds.
    pub timestamp_ms: u64,
    /// The event's fields, in order.
    pub data: Vec<(String, String)>,
}

/// What a filter decided for one event and one subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterDecision {
    /// Deliver the event as it is.
    Pass,
    /// Do not deliver it to this subscriber.
    Drop,
    /// Deliver this event instead (e.g. with caller numbers redacted).
    Replace(FilterEvent),
}

/// Where a filter's log lines go, and the name they carry.
#[derive(Clone)]
pub struct FilterContext {
    /// The filter's name, for logs (in the place of an app's name).
    pub filter_name: String,
    /// The log; lines name the event's call (or, for an event of no call, its id).
    pub log: Arc<dyn LogSink>,
}

impl fmt::Debug for FilterContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilterContext")
            .field("filter_name", &self.filter_name)
            .finish_non_exhaustive()
    }
}

/// The [`Caller`] of one filter call: the context plus the event it is about.
pub(crate) struct FilterCaller {
    ctx: FilterContext,
    subject: String,
}

impl Caller for FilterCaller {
    fn log(&self, level: Level, message: &str) {
        self.ctx
            .log
            .log(&self.ctx.filter_name, &self.subject, level, message);
    }
}

/// A validated, compiled event filter. Cheap to clone.
#[derive(Clone)]
pub struct CompiledFilter {
    inner: Arc<FilterInner>,
}

struct FilterInner {
    host: WasmHost,
    sha256: String,
    pre: EventFilterPre<StoreState<FilterCaller>>,
    limits: AppLimits,
}

impl fmt::Debug for CompiledFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledFilter")
            .field("sha256", &self.inner.sha256)
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

impl WasmHost {
    /// Validates an event filter and compiles it, caching the artifact (the same
    /// cache as apps, keyed by the wasm's SHA-256).
    ///
    /// Refuses what [`WasmHost::compile`] refuses, for the event-filter world: the
    /// component must export `filter` with the world's signature and import nothing
    /// beyond WASI, `log` and `clock`.
    pub fn compile_filter(&self, wasm: &[u8], limits: AppLimits) -> Result<CompiledFilter, Error> {
        self.compile_with(EngineOf::Apps, wasm, limits, Self::finish_filter)
    }

    /// Loads a filter at restart: from its cached artifact when this engine wrote
    /// one, else by compiling (and caching) it again.
    pub fn load_filter(
        &self,
        wasm: &[u8],
        limits: AppLimits,
    ) -> Result<(CompiledFilter, Loaded), Error> {
        self.load_with(EngineOf::Apps, wasm, limits, Self::finish_filter)
    }

    fn finish_filter(
        &self,
        sha256: String,
        component: Component,
        limits: AppLimits,
    ) -> Result<CompiledFilter, Error> {
        let pre = validate::check_world(
            &self.inner.engine,
            &self.inner.filter_linker,
            &component,
            EVENT_FILTER,
        )?;
        let pre = EventFilterPre::new(pre).map_err(|e| EVENT_FILTER.wrong_signature(e))?;
        Ok(CompiledFilter {
            inner: Arc::new(FilterInner {
                host: self.clone(),
                sha256,
                pre,
                limits,
            }),
        })
    }
}

impl CompiledFilter {
    /// Hex SHA-256 of the uploaded wasm.
    pub fn sha256(&self) -> &str {
        &self.inner.sha256
    }

    /// The budgets the filter runs under.
    pub fn limits(&self) -> &AppLimits {
        &self.inner.limits
    }

    /// Asks the filter about `event` on a fresh instance.
    ///
    /// Memory is capped by the filter's limit, guest execution by its CPU budget
    /// and the whole call by its wall budget; a trap, a loop or a replacement
    /// larger than [`crate::HostConfig::max_verbs_bytes`] is a [`StepError`], and
    /// the host is as ready for the next call as before.
    pub async fn filter(
        &self,
        event: &FilterEvent,
        ctx: FilterContext,
    ) -> Result<FilterDecision, StepError> {
        let inner = &*self.inner;
        let host = &inner.host.inner;
        let caller = FilterCaller {
            ctx,
            subject: event.call_sid.clone().unwrap_or_else(|| event.id.clone()),
        };
        let mut store = Store::new(
            &host.engine,
            StoreState::new(caller, &inner.limits, host.config.log_caps, Instant::now()),
        );
        state::arm(&mut store);
        let wit_event = to_wit(event);

        let run = async {
            let instance = inner
                .pre
                .instantiate_async(&mut store)
                .await
                .map_err(Failure::Instantiate)?;
            instance
                .call_filter(&mut store, &wit_event)
                .await
                .map_err(Failure::Call)
        };
        let outcome = tokio::time::timeout(inner.limits.wall, run).await;
        Ok(match settle(store.data_mut(), outcome)? {
            wit::Decision::Pass => FilterDecision::Pass,
            wit::Decision::Drop => FilterDecision::Drop,
            wit::Decision::Replace(replacement) => {
                if size(&replacement) > host.config.max_verbs_bytes {
                    return Err(StepError::TooLarge);
                }
                FilterDecision::Replace(from_wit(replacement))
            }
        })
    }
}

fn to_wit(event: &FilterEvent) -> wit::Event {
    wit::Event {
        id: event.id.clone(),
        account_sid: event.account_sid.clone(),
        call_sid: event.call_sid.clone(),
        event_type: event.event_type.clone(),
        timestamp: event.timestamp_ms,
        data: event.data.clone(),
    }
}

fn from_wit(event: wit::Event) -> FilterEvent {
    FilterEvent {
        id: event.id,
        account_sid: event.account_sid,
        call_sid: event.call_sid,
        event_type: event.event_type,
        timestamp_ms: event.timestamp,
        data: event.data,
    }
}

/// Bytes of an event: its strings plus a fixed overhead per field, like verbs.
fn size(event: &wit::Event) -> usize {
    const PER_ITEM: usize = 16;
    event.id.len()
        + event.account_sid.len()
        + event.call_sid.as_ref().map_or(0, String::len)
        + event.event_type.len()
        + event
            .data
            .iter()
            .map(|(k, v)| k.len() + v.len() + PER_ITEM)
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_wit_and_size_counts_data() {
        let event = FilterEvent {
            id: "1:0:7".into(),
            account_sid: "AC1".into(),
            call_sid: Some("CA1".into()),
            event_type: "call.answered".into(),
            timestamp_ms: 1_700_000_000_000,
            data: vec![("From".into(), "+15551230000".into())],
        };
        let wit = to_wit(&event);
        assert_eq!(size(&wit), 5 + 3 + 3 + 13 + 4 + 12 + 16);
        assert_eq!(from_wit(wit), event);
    }
}
