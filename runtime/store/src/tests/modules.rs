use super::*;

fn span(
    account: AccountSid,
    call: CallSid,
    seq: u32,
    module: &str,
    started: i64,
    ms: i64,
) -> ModuleSpanRecord {
    ModuleSpanRecord {
        account_sid: account,
        call_sid: call,
        seq,
        module: module.into(),
        kind: "wasm".into(),
        version: Some(1),
        started,
        ended: started + ms,
        meter: SpanMeter {
            duration_ms: ms,
            steps: 2,
            wasm_cpu_us: 150,
            tts_characters: 10,
            recorded_ms: 1_500,
            ..SpanMeter::default()
        },
    }
}

#[test]
fn spans_survive_a_restart_and_sum_per_module_across_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, other) = (
        AccountSid::random(),
        AccountSid::random(),
        AccountSid::random(),
    );
    let (c1, c2) = (CallSid::random(), CallSid::random());
    {
        let store = Store::open(dir.path()).unwrap();
        store.put_call_modules(vec![
            span(a, c1, 0, "app:ivr", 1_000, 400),
            span(a, c1, 1, "app:billing", 1_400, 600),
        ]);
        store.put_call_modules(vec![span(b, c2, 0, "app:ivr", 5_000, 100)]);
        store.put_call_modules(vec![span(other, CallSid::random(), 0, "app:ivr", 5_000, 9)]);
        store.flush();
    }
    let store = Store::open(dir.path()).unwrap();
    let spans = store.call_modules(a, c1).unwrap();
    assert_eq!(
        spans.iter().map(|s| s.module.as_str()).collect::<Vec<_>>(),
        ["app:ivr", "app:billing"]
    );
    assert_eq!(spans[1].meter.duration_ms, 600);
    assert!(
        store.call_modules(b, c1).unwrap().is_empty(),
        "another account's call"
    );

    let sums = store.module_usage(&[a, b], 0, 10_000, None).unwrap();
    let ivr = sums.iter().find(|u| u.module == "app:ivr").unwrap();
    assert_eq!((ivr.calls, ivr.spans), (2, 2));
    assert_eq!(ivr.meter.duration_ms, 500);
    assert_eq!(ivr.meter.steps, 4);
    assert_eq!(ivr.meter.wasm_cpu_us, 300);
    assert_eq!(ivr.meter.recorded_ms, 3_000);
    // The window is by start: b's span at 5 000 is outside [0, 5 000).
    let early = store
        .module_usage(&[a, b], 0, 5_000, Some("app:ivr"))
        .unwrap();
    assert_eq!(early.len(), 1);
    assert_eq!(early[0].meter.duration_ms, 400);
}

#[test]
fn call_usage_counts_answered_calls_by_direction_in_whole_minutes() {
    let (_dir, store) = store();
    let a = AccountSid::random();
    let put = |direction: &str, started: i64, secs: i64, status: CallStatus| {
        let mut c = call(a, started);
        c.direction = direction.into();
        c.start_time = Some(started);
        c.end_time = Some(started + secs * 1000);
        c.duration = Some(secs);
        c.status = status;
        store.put_call(c);
    };
    put("inbound", 1_000, 61, CallStatus::Completed);
    put("inbound", 2_000, 5, CallStatus::Completed);
    put("outbound-api", 3_000, 60, CallStatus::Completed);
    put("inbound", 4_000, 0, CallStatus::Busy);
    put("inbound", 90_000, 30, CallStatus::Completed);
    store.put_call_modules(vec![span(a, CallSid::random(), 0, "app:x", 1_000, 5)]);
    store.flush();
    let u = store.call_usage(&[a], 0, 10_000).unwrap();
    assert_eq!(
        u.inbound,
        CallSums {
            calls: 2,
            seconds: 66,
            minutes: 3
        }
    );
    assert_eq!(
        u.outbound,
        CallSums {
            calls: 1,
            seconds: 60,
            minutes: 1
        }
    );
    assert_eq!(u.tts_characters, 10);
    assert_eq!((u.recordings, u.recording_minutes), (0, 0));
}
