//! Recording fixtures shared by the Recordings tests: records, calls, a tone written as a
//! recording's media, and a raw request that keeps the response's headers and bytes.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::Value;
use switchyard_media::record::RecordingStorage;
use switchyard_media::wav::wav_bytes;
use switchyard_store::{Account, CallRecord, RecordingRecord, Repository};
use switchyard_types::{
    AccountSid, CallSid, CallStatus, RecordingSid, RecordingSource, RecordingStatus, RecordingTrack,
};
use tower::ServiceExt;

use super::Harness;

/// 2 November 2023 00:00:00 UTC and one day, in milliseconds.
pub const DAY0: i64 = 1_698_883_200_000;
pub const DAY: i64 = 86_400_000;

pub fn recording(account: AccountSid, call: Option<CallSid>, created: i64) -> RecordingRecord {
    RecordingRecord {
        sid: RecordingSid::random(),
        account_sid: account,
        call_sid: call,
        conference_sid: None,
        status: RecordingStatus::Completed,
        source: RecordingSource::RecordVerb,
        channels: 1,
        track: RecordingTrack::Inbound,
        duration_secs: Some(3),
        start_time: created - 3_000,
        date_created: created,
        date_updated: created + 500,
        error_code: None,
    }
}

pub fn call(account: AccountSid, status: CallStatus) -> CallRecord {
    CallRecord {
        sid: CallSid::random(),
        account_sid: account,
        from: "+15550001111".into(),
        to: "+15550002222".into(),
        status,
        direction: "inbound".into(),
        date_created: DAY0,
        start_time: Some(DAY0),
        end_time: None,
        duration: None,
        date_updated: DAY0,
        parent_call_sid: None,
        phone_number_sid: None,
    }
}

/// A 440 Hz tone of `ms` milliseconds at 8 kHz.
pub fn tone(ms: u32) -> Vec<i16> {
    (0..8 * ms)
        .map(|i| {
            let t = f64::from(i) / 8000.0;
            (6000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
        })
        .collect()
}

/// Store `r` and a WAV of `samples` as its media; returns the WAV's bytes.
pub fn with_media(h: &Harness, r: &RecordingRecord, samples: &[i16]) -> Vec<u8> {
    h.repo.put_recording_durable(r).unwrap();
    let wav = wav_bytes(samples, 8000);
    let mut sink = h
        .recordings
        .create(&r.account_sid.to_string(), &r.sid.to_string())
        .unwrap();
    sink.write_all(&wav).unwrap();
    wav
}

/// A raw answer: status, headers and body bytes.
pub async fn raw(
    h: &Harness,
    method: Method,
    uri: &str,
    who: Option<&Account>,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Bytes) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(a) = who {
        let enc =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", a.sid, a.auth_token));
        req = req.header("authorization", format!("Basic {enc}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = h
        .app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes)
}

pub fn sids(body: &Value) -> Vec<String> {
    body["recordings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["sid"].as_str().unwrap().to_owned())
        .collect()
}
