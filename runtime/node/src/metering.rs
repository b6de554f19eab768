//! A call's module spans (kept by the executor in its own time) as the store's records.

use std::time::{Instant, SystemTime};

use switchyard_call::modules::ModuleSpan;
use switchyard_store::{ModuleSpanRecord, SpanMeter};
use switchyard_types::{AccountSid, CallSid};

/// `spans` dated on the wall clock: `now` is the same moment as `wall`. A span still
/// open ends now.
pub(crate) fn records(
    account: AccountSid,
    call: CallSid,
    spans: &[ModuleSpan],
    now: Instant,
    wall: SystemTime,
) -> Vec<ModuleSpanRecord> {
    let wall_ms = crate::shared::millis(wall);
    let unix = |t: Instant| wall_ms - now.saturating_duration_since(t).as_millis() as i64;
    spans
        .iter()
        .enumerate()
        .map(|(seq, s)| {
            let m = &s.meter;
            let end = s.end.unwrap_or(now);
            ModuleSpanRecord {
                account_sid: account,
                call_sid: call,
                seq: seq as u32,
                module: s.module.name.clone(),
                kind: s.module.kind.as_str().to_owned(),
                version: s.version,
                started: unix(s.start),
                ended: unix(end),
                meter: SpanMeter {
                    duration_ms: s.duration(now).as_millis() as i64,
                    steps: i64::from(m.steps),
                    wasm_cpu_us: m.wasm_cpu.as_micros() as i64,
                    webhook_requests: i64::from(m.webhook_requests),
                    webhook_latency_ms: m.webhook_latency.as_millis() as i64,
                    tts_characters: m.tts_chars as i64,
                    media_ms: m.media.as_millis() as i64,
                    bridged_ms: m.bridged.as_millis() as i64,
                    errors: i64::from(m.errors),
                    recorded_ms: m.recorded.as_millis() as i64,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use switchyard_call::modules::{ModuleId, Modules};

    use super::*;

    #[test]
    fn spans_are_dated_on_the_wall_clock_and_an_open_one_ends_now() {
        let t0 = Instant::now();
        let mut m = Modules::default();
        m.enter(t0, ModuleId::of_url("app://ivr/"));
        m.enter(
            t0 + Duration::from_millis(250),
            ModuleId::of_url("http://h/"),
        );
        let now = t0 + Duration::from_millis(1000);
        let wall = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let r = records(
            AccountSid::random(),
            CallSid::random(),
            m.spans(),
            now,
            wall,
        );
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].started, 1_000_000_000 - 1000);
        assert_eq!(r[0].ended, r[1].started);
        assert_eq!(r[1].ended, 1_000_000_000);
        assert_eq!(r[0].meter.duration_ms + r[1].meter.duration_ms, 1000);
        assert_eq!((r[0].seq, r[1].seq), (0, 1));
    }
}
