//! `…/Recordings…`: list, fetch, filters, delete (the media: `recording_media.rs`) and
//! starting, pausing and stopping a live call's recording.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine;
use common::recordings::*;
use common::{form, Harness, PUBLIC_URL};
use http_body_util::BodyExt;
use serde_json::Value;
use switchyard_api::{router, ApiState, CallControl};
use switchyard_media::record::RecordingStorage;
use switchyard_store::{Account, CallRecord, RecordingRecord, Repository};
use switchyard_types::{
    CallSid, CallStatus, ConferenceSid, RecordingSource, RecordingStatus, RecordingTrack,
};
use tower::ServiceExt;

#[tokio::test]
async fn list_and_fetch_in_twilio_shape() {
    let h = Harness::new();
    let call_sid = CallSid::random();
    let done = recording(h.root.sid, Some(call_sid), DAY0 + 5_000);
    let mut live = recording(h.root.sid, Some(call_sid), DAY0 + 9_000);
    live.status = RecordingStatus::InProgress;
    live.duration_secs = None;
    live.channels = 2;
    live.track = RecordingTrack::Both;
    live.source = RecordingSource::DialVerb;
    h.repo.put_recording_durable(&done).unwrap();
    h.repo.put_recording_durable(&live).unwrap();

    let r = h.root(Method::GET, &h.path("/Recordings.json"), "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(sids(&r.body), [live.sid.to_string(), done.sid.to_string()]);
    let first = &r.body["recordings"][1];
    let acc = h.root.sid;
    let want = serde_json::json!({
        "account_sid": acc.to_string(),
        "api_version": "2010-04-01",
        "call_sid": call_sid.to_string(),
        "conference_sid": null,
        "channels": 1,
        "date_created": "Thu, 02 Nov 2023 00:00:05 +0000",
        "date_updated": "Thu, 02 Nov 2023 00:00:05 +0000",
        "start_time": "Thu, 02 Nov 2023 00:00:02 +0000",
        "duration": "3",
        "sid": done.sid.to_string(),
        "price": null,
        "price_unit": "USD",
        "status": "completed",
        "source": "RecordVerb",
        "error_code": null,
        "track": "inbound",
        "uri": format!("/2010-04-01/Accounts/{acc}/Recordings/{}.json", done.sid),
        "encryption_details": null,
        "subresource_uris": {},
        "media_url": format!("{PUBLIC_URL}/2010-04-01/Accounts/{acc}/Recordings/{}", done.sid),
    });
    assert_eq!(first, &want);
    // Twilio: duration is null while the recording is being made.
    let newest = &r.body["recordings"][0];
    assert_eq!(newest["duration"], Value::Null);
    assert_eq!(
        (
            &newest["status"],
            &newest["channels"],
            &newest["track"],
            &newest["source"]
        ),
        (
            &Value::from("in-progress"),
            &Value::from(2),
            &Value::from("both"),
            &Value::from("DialVerb")
        )
    );

    let one = h
        .root(
            Method::GET,
            &h.path(&format!("/Recordings/{}.json", done.sid)),
            "",
        )
        .await;
    assert_eq!(one.body, want);

    // Under the call, the uri names the call.
    let by_call = h
        .root(
            Method::GET,
            &h.path(&format!("/Calls/{call_sid}/Recordings.json")),
            "",
        )
        .await;
    // The call itself is not in the store: a call's list needs the call.
    by_call.error(404, 20404);
    h.repo
        .put_call_durable(&CallRecord {
            sid: call_sid,
            ..call(h.root.sid, CallStatus::Completed)
        })
        .unwrap();
    let by_call = h
        .root(
            Method::GET,
            &h.path(&format!("/Calls/{call_sid}/Recordings.json")),
            "",
        )
        .await;
    assert_eq!(by_call.body["recordings"].as_array().unwrap().len(), 2);
    assert_eq!(
        by_call.body["recordings"][1]["uri"],
        format!(
            "/2010-04-01/Accounts/{acc}/Calls/{call_sid}/Recordings/{}.json",
            done.sid
        )
    );
    let fetched = h
        .root(
            Method::GET,
            &h.path(&format!("/Calls/{call_sid}/Recordings/{}.json", done.sid)),
            "",
        )
        .await;
    assert_eq!(fetched.body["sid"], done.sid.to_string());
    // A recording of another call is not found under this one.
    let other = call(h.root.sid, CallStatus::Completed);
    h.repo.put_call_durable(&other).unwrap();
    h.root(
        Method::GET,
        &h.path(&format!(
            "/Calls/{}/Recordings/{}.json",
            other.sid, done.sid
        )),
        "",
    )
    .await
    .error(404, 20404);
}

#[tokio::test]
async fn filters_select_by_call_conference_and_creation_date() {
    let h = Harness::new();
    let (a, b) = (CallSid::random(), CallSid::random());
    let conference = ConferenceSid::random();
    let mut all = Vec::new();
    for day in 0..4 {
        for (i, c) in [a, b].into_iter().enumerate() {
            let mut r = recording(h.root.sid, Some(c), DAY0 + day * DAY + i as i64 * 1000);
            if day == 2 {
                r.conference_sid = Some(conference);
            }
            h.repo.put_recording_durable(&r).unwrap();
            all.push(r);
        }
    }
    let listed = |query: String| {
        let h = &h;
        async move {
            let r = h
                .root(
                    Method::GET,
                    &h.path(&format!("/Recordings.json?{query}")),
                    "",
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
            let mut got = sids(&r.body);
            got.sort();
            got
        }
    };
    let want = |keep: &dyn Fn(&RecordingRecord) -> bool| {
        let mut w: Vec<String> = all
            .iter()
            .filter(|r| keep(r))
            .map(|r| r.sid.to_string())
            .collect();
        w.sort();
        assert!(!w.is_empty() && w.len() < all.len());
        w
    };
    assert_eq!(
        listed(form(&[("CallSid", &a.to_string())])).await,
        want(&|r| r.call_sid == Some(a))
    );
    assert_eq!(
        listed(form(&[("ConferenceSid", &conference.to_string())])).await,
        want(&|r| r.conference_sid == Some(conference))
    );
    // The helper libraries send these three keys.
    assert_eq!(
        listed(form(&[("DateCreated", "2023-11-03")])).await,
        want(&|r| (DAY0 + DAY..DAY0 + 2 * DAY).contains(&r.date_created))
    );
    assert_eq!(
        listed(form(&[("DateCreated>", "2023-11-04")])).await,
        want(&|r| r.date_created >= DAY0 + 2 * DAY)
    );
    assert_eq!(
        listed(form(&[("DateCreated<", "2023-11-03")])).await,
        want(&|r| r.date_created < DAY0 + 2 * DAY)
    );
    // A date-time bound has one-second resolution: the recording of call b on day 1
    // (00:00:01) is in, the one of call a (00:00:00) is out.
    assert_eq!(
        listed(form(&[
            ("DateCreated>", "2023-11-03T00:00:01Z"),
            ("DateCreated<", "2023-11-03T23:59:59Z"),
        ]))
        .await,
        want(&|r| r.date_created == DAY0 + DAY + 1000)
    );
    assert_eq!(
        listed(form(&[("IncludeSoftDeleted", "true")])).await.len(),
        all.len()
    );

    for (query, name) in [
        ("CallSid=CF0123", "CallSid:"),
        ("DateCreated=yesterday", "DateCreated:"),
        ("IncludeSoftDeleted=maybe", "IncludeSoftDeleted:"),
    ] {
        let r = h
            .root(
                Method::GET,
                &h.path(&format!("/Recordings.json?{query}")),
                "",
            )
            .await;
        assert!(r.error(400, 400).starts_with(name), "{query}: {}", r.body);
    }

    // Pages follow next_page_uri with the filter kept.
    let mut seen = Vec::new();
    let mut uri = h.path(&format!("/Recordings.json?CallSid={b}&PageSize=3"));
    loop {
        let r = h.root(Method::GET, &uri, "").await;
        seen.extend(sids(&r.body));
        match r.body["next_page_uri"].as_str() {
            Some(next) => uri = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4);
    let mut want_b: Vec<_> = all
        .iter()
        .filter(|r| r.call_sid == Some(b))
        .collect::<Vec<_>>();
    want_b.sort_by_key(|r| std::cmp::Reverse(r.date_created));
    assert_eq!(
        seen,
        want_b.iter().map(|r| r.sid.to_string()).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn tenants_see_their_own_and_their_subaccounts_recordings_only() {
    let h = Harness::new();
    let other = h.tenant("othertoken");
    let sub = h.sub(&h.root, "subtoken");
    let theirs = recording(other.sid, None, DAY0);
    let subs = recording(sub.sid, None, DAY0);
    let wav_theirs = with_media(&h, &theirs, &tone(100));
    with_media(&h, &subs, &tone(100));
    for path in [
        format!("/Recordings/{}.json", theirs.sid),
        format!("/Recordings/{}", theirs.sid),
        format!("/Recordings/{}.mp3", theirs.sid),
    ] {
        h.root(Method::GET, &h.path(&path), "")
            .await
            .error(404, 20404);
    }
    let (status, _, _) = raw(
        &h,
        Method::GET,
        &format!(
            "/2010-04-01/Accounts/{}/Recordings/{}",
            other.sid, theirs.sid
        ),
        Some(&h.root),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    h.root(
        Method::DELETE,
        &h.path(&format!("/Recordings/{}.json", theirs.sid)),
        "",
    )
    .await
    .error(404, 20404);
    // Still there for its owner.
    let (status, _, body) = raw(
        &h,
        Method::GET,
        &format!(
            "/2010-04-01/Accounts/{}/Recordings/{}",
            other.sid, theirs.sid
        ),
        Some(&other),
        &[],
    )
    .await;
    assert_eq!((status, body.to_vec()), (StatusCode::OK, wav_theirs));
    // The parent reaches its subaccount's recordings through the subaccount's path.
    let r = h
        .root(
            Method::GET,
            &format!("/2010-04-01/Accounts/{}/Recordings.json", sub.sid),
            "",
        )
        .await;
    assert_eq!(sids(&r.body), [subs.sid.to_string()]);
    // Media needs credentials like every route.
    let (status, headers, _) = raw(
        &h,
        Method::GET,
        &format!(
            "/2010-04-01/Accounts/{}/Recordings/{}",
            other.sid, theirs.sid
        ),
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.contains_key("www-authenticate"));
}

#[tokio::test]
async fn delete_removes_the_record_and_the_media_of_a_finished_recording_only() {
    let h = Harness::new();
    let done = recording(h.root.sid, None, DAY0);
    with_media(&h, &done, &tone(200));
    let mut live = recording(h.root.sid, None, DAY0 + 1);
    live.status = RecordingStatus::InProgress;
    with_media(&h, &live, &tone(200));

    let path = h.path(&format!("/Recordings/{}.json", done.sid));
    let r = h.root(Method::DELETE, &path, "").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.body, Value::Null);
    assert_eq!(h.repo.recording(h.root.sid, done.sid).unwrap(), None);
    assert_eq!(
        h.recordings
            .open(&h.root.sid.to_string(), &done.sid.to_string())
            .err()
            .map(|e| e.kind()),
        Some(std::io::ErrorKind::NotFound)
    );
    h.root(Method::DELETE, &path, "").await.error(404, 20404);
    h.root(Method::GET, &path, "").await.error(404, 20404);

    // Twilio: "Only completed recordings can be deleted."
    let live_path = h.path(&format!("/Recordings/{}.json", live.sid));
    let msg = h
        .root(Method::DELETE, &live_path, "")
        .await
        .error(409, 20409);
    assert!(msg.contains("in-progress"), "{msg}");
    assert!(h.repo.recording(h.root.sid, live.sid).unwrap().is_some());
    assert!(h
        .recordings
        .open(&h.root.sid.to_string(), &live.sid.to_string())
        .is_ok());

    // Under a call too.
    let c = call(h.root.sid, CallStatus::Completed);
    h.repo.put_call_durable(&c).unwrap();
    let of_call = recording(h.root.sid, Some(c.sid), DAY0 + 2);
    with_media(&h, &of_call, &tone(100));
    let r = h
        .root(
            Method::DELETE,
            &h.path(&format!("/Calls/{}/Recordings/{}.json", c.sid, of_call.sid)),
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(h.repo.recording(h.root.sid, of_call.sid).unwrap(), None);
}

#[tokio::test]
async fn a_live_calls_recording_is_started_paused_resumed_and_stopped() {
    let h = Harness::new();
    let live = call(h.root.sid, CallStatus::InProgress);
    h.repo.put_call_durable(&live).unwrap();
    let path = h.path(&format!("/Calls/{}/Recordings.json", live.sid));
    let r = h
        .root(
            Method::POST,
            &path,
            &form(&[
                ("RecordingChannels", "dual"),
                ("RecordingStatusCallback", "https://app.test/rec"),
                ("RecordingStatusCallbackEvent", "in-progress completed"),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "in-progress");
    assert_eq!(r.body["source"], "StartCallRecordingAPI");
    assert_eq!(r.body["channels"], 2);
    assert_eq!(r.body["track"], "both");
    assert_eq!(r.body["call_sid"], live.sid.to_string());
    let sid = r.body["sid"].as_str().unwrap().to_owned();
    {
        let starts = h.control.recording_starts.lock().unwrap();
        let (call, start) = &starts[0];
        assert_eq!(*call, live.sid);
        assert_eq!(
            start.status_callback.as_deref(),
            Some("https://app.test/rec")
        );
        assert_eq!(start.status_callback_event, ["in-progress", "completed"]);
    }

    let one = h.path(&format!("/Calls/{}/Recordings/{sid}.json", live.sid));
    let r = h
        .root(
            Method::POST,
            &one,
            &form(&[("Status", "paused"), ("PauseBehavior", "skip")]),
        )
        .await;
    assert_eq!(r.body["status"], "paused", "{}", r.body);
    // Twilio.CURRENT names the call's one unfinished recording.
    let current = h.path(&format!(
        "/Calls/{}/Recordings/Twilio.CURRENT.json",
        live.sid
    ));
    let r = h
        .root(Method::POST, &current, &form(&[("Status", "in-progress")]))
        .await;
    assert_eq!(r.body["status"], "in-progress", "{}", r.body);
    assert_eq!(r.body["sid"], sid);
    let r = h
        .root(Method::POST, &one, &form(&[("Status", "stopped")]))
        .await;
    assert_eq!(r.body["status"], "stopped");
    assert_eq!(
        h.control
            .recording_updates
            .lock()
            .unwrap()
            .iter()
            .map(|(_, _, u)| *u)
            .collect::<Vec<_>>(),
        [
            switchyard_api::RecordingUpdate::Pause { skip: true },
            switchyard_api::RecordingUpdate::Resume,
            switchyard_api::RecordingUpdate::Stop,
        ]
    );

    // A second unfinished recording makes Twilio.CURRENT ambiguous.
    h.root(Method::POST, &path, "").await;
    h.root(Method::POST, &path, "").await;
    h.root(Method::POST, &current, &form(&[("Status", "paused")]))
        .await
        .error(400, 400);

    // A finished recording is not changed; a call not in progress is not recorded.
    let mut done = recording(h.root.sid, Some(live.sid), DAY0);
    done.status = RecordingStatus::Completed;
    h.repo.put_recording_durable(&done).unwrap();
    h.root(
        Method::POST,
        &h.path(&format!("/Calls/{}/Recordings/{}.json", live.sid, done.sid)),
        &form(&[("Status", "paused")]),
    )
    .await
    .error(409, 20409);
    let ended = call(h.root.sid, CallStatus::Completed);
    h.repo.put_call_durable(&ended).unwrap();
    let msg = h
        .root(
            Method::POST,
            &h.path(&format!("/Calls/{}/Recordings.json", ended.sid)),
            "",
        )
        .await
        .error(409, 21220);
    assert!(msg.contains("completed"), "{msg}");
    h.root(
        Method::POST,
        &path,
        &form(&[("RecordingChannels", "stereo")]),
    )
    .await
    .error(400, 400);
}

/// A call control that offers no recording control: the trait's defaults answer.
struct NoRecordingControl;

impl CallControl for NoRecordingControl {
    fn create(
        &self,
        _: &Account,
        _: switchyard_api::NewCall,
    ) -> Result<CallRecord, switchyard_api::ApiError> {
        unreachable!("not called")
    }
    fn update(
        &self,
        _: &Account,
        _: CallSid,
        _: switchyard_api::CallUpdate,
    ) -> Result<CallRecord, switchyard_api::ApiError> {
        unreachable!("not called")
    }
}

#[tokio::test]
async fn a_node_without_recording_control_answers_501() {
    let h = Harness::new();
    let app = router(ApiState {
        repo: h.repo.clone(),
        calls: Arc::new(NoRecordingControl),
        recordings: h.recordings.clone(),
        public_url: PUBLIC_URL.into(),
    });
    let live = call(h.root.sid, CallStatus::InProgress);
    h.repo.put_call_durable(&live).unwrap();
    let enc = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", h.root.sid, h.root.auth_token));
    let res = app
        .oneshot(
            Request::builder()
                .method(Method::POST)
                .uri(h.path(&format!("/Calls/{}/Recordings.json", live.sid)))
                .header("authorization", format!("Basic {enc}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_IMPLEMENTED);
    let body: Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("starting a recording"),
        "{body}"
    );
}
