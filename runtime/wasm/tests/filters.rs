//! Event filters: pass, drop and replace; a looping or trapping filter fails its
//! own call within budget and the host goes on filtering.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use switchyard_wasm::{
    CompiledFilter, Error, FilterContext, FilterDecision, FilterEvent, Level, Loaded, StepError,
};

fn filter(name: &str, cpu_ms: u64, wall_ms: u64) -> CompiledFilter {
    shared_host()
        .load_filter(&workspace_guest(name), limits(cpu_ms, wall_ms))
        .unwrap()
        .0
}

fn context() -> (FilterContext, Arc<RecordingLog>) {
    let log = Arc::new(RecordingLog::default());
    let ctx = FilterContext {
        filter_name: "test-filter".into(),
        log: log.clone(),
    };
    (ctx, log)
}

fn event(event_type: &str, data: &[(&str, &str)]) -> FilterEvent {
    FilterEvent {
        id: "1:0:42".into(),
        account_sid: "AC0001".into(),
        call_sid: Some("CA0001".into()),
        event_type: event_type.into(),
        timestamp_ms: 1_700_000_000_000,
        data: data
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// The redactor answers correctly: the host is fine.
async fn assert_redactor_works() {
    let (ctx, _log) = context();
    let decision = filter("redactor", 50, 1000)
        .filter(&event("call.answered", &[("From", "+15551230000")]), ctx)
        .await
        .unwrap();
    let FilterDecision::Replace(replaced) = decision else {
        panic!("{decision:?}")
    };
    assert_eq!(replaced.data, vec![("From".into(), "+*******0000".into())]);
}

#[tokio::test]
async fn redactor_masks_numbers_and_replaces_the_event() {
    let (ctx, log) = context();
    let original = event(
        "call.initiated",
        &[
            ("From", "+15551230000"),
            ("To", "+15550001111"),
            ("Caller", "+15551230000"),
            ("Called", "sip:+15550001111@pbx.example.com"),
            ("from", "+442071234567"),
            ("to", "5551234"),
            ("CallStatus", "ringing"),
            ("Digits", "123456789"),
        ],
    );
    let decision = filter("redactor", 50, 1000)
        .filter(&original, ctx)
        .await
        .unwrap();
    let FilterDecision::Replace(replaced) = decision else {
        panic!("{decision:?}")
    };
    let expected = event(
        "call.initiated",
        &[
            ("From", "+*******0000"),
            ("To", "+*******1111"),
            ("Caller", "+*******0000"),
            ("Called", "sip:+*******1111@pbx.example.com"),
            ("from", "+********4567"),
            ("to", "***1234"),
            ("CallStatus", "ringing"),
            // Not a number field: untouched.
            ("Digits", "123456789"),
        ],
    );
    assert_eq!(replaced, expected);
    assert_eq!(
        log.lines(),
        vec![(
            "test-filter".into(),
            "CA0001".into(),
            Level::Debug,
            "masked 6 fields of 1:0:42".into()
        )]
    );
}

#[tokio::test]
async fn redactor_passes_events_without_numbers_and_drops_debug_events() {
    let redactor = filter("redactor", 50, 1000);
    let (ctx, _log) = context();
    let plain = event(
        "gather.completed",
        &[("Digits", "12"), ("From", "anonymous")],
    );
    assert_eq!(
        redactor.filter(&plain, ctx.clone()).await.unwrap(),
        FilterDecision::Pass
    );
    let debug = event("debug.sip", &[("From", "+15551230000")]);
    assert_eq!(
        redactor.filter(&debug, ctx).await.unwrap(),
        FilterDecision::Drop
    );
}

#[tokio::test]
async fn a_looping_filter_is_stopped_by_its_cpu_budget_and_the_host_carries_on() {
    let looper = filter("filter-looper", 20, 2000);
    for _ in 0..2 {
        let (ctx, _log) = context();
        let started = Instant::now();
        let err = looper
            .filter(&event("call.answered", &[]), ctx)
            .await
            .unwrap_err();
        assert_eq!(err, StepError::CpuBudget);
        // 20 ms of budget, charged at 1 ms ticks; generous for a loaded machine.
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
    }
    assert_redactor_works().await;
}

#[tokio::test]
async fn a_looping_filter_is_stopped_by_its_wall_budget() {
    // A CPU budget longer than the wall budget: the wall-clock timeout fires first.
    let looper = filter("filter-looper", 5000, 50);
    let (ctx, _log) = context();
    let started = Instant::now();
    let err = looper
        .filter(&event("call.answered", &[]), ctx)
        .await
        .unwrap_err();
    assert_eq!(err, StepError::WallTimeout);
    assert!(started.elapsed() < Duration::from_millis(1000));
    assert_redactor_works().await;
}

#[tokio::test]
async fn a_trapping_filter_fails_its_call_and_its_panic_reaches_the_log() {
    let trapper = filter("filter-trapper", 50, 1000);
    let (ctx, log) = context();
    let err = trapper
        .filter(&event("call.completed", &[]), ctx)
        .await
        .unwrap_err();
    assert!(matches!(err, StepError::Trap(_)), "{err:?}");
    assert!(
        log.lines()
            .iter()
            .any(|(name, call, level, line)| name == "test-filter"
                && call == "CA0001"
                && *level == Level::Warn
                && line.contains("deliberate panic on call.completed")),
        "{:?}",
        log.lines()
    );
    assert_redactor_works().await;
}

#[tokio::test]
async fn filters_and_apps_are_refused_for_the_other_world() {
    let host = shared_host();
    let err = host
        .compile_filter(&guest("ok"), limits(50, 1000))
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::MissingExport {
                export: "filter",
                world: "event-filter",
                exports
            } if exports.contains("handle")
        ),
        "{err}"
    );
    let err = host
        .compile(&workspace_guest("redactor"), limits(50, 1000))
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::MissingExport {
                export: "handle",
                world: "call-handler",
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_filter_loads_from_the_artifact_cache_on_a_restarted_host() {
    let wasm = workspace_guest("redactor");
    let config = host_config("filter-cache");
    let first = switchyard_wasm::WasmHost::new(config.clone()).unwrap();
    let compiled = first.compile_filter(&wasm, limits(50, 1000)).unwrap();
    let restarted = switchyard_wasm::WasmHost::new(config).unwrap();
    let (loaded, how) = restarted.load_filter(&wasm, limits(50, 1000)).unwrap();
    assert_eq!(how, Loaded::FromCache);
    assert_eq!(loaded.sha256(), compiled.sha256());
    let (ctx, _log) = context();
    let decision = loaded
        .filter(&event("call.answered", &[("To", "+15550001111")]), ctx)
        .await
        .unwrap();
    assert!(
        matches!(decision, FilterDecision::Replace(_)),
        "{decision:?}"
    );
}
