//! The instruction-handler world: `<Record>`, conferences and queues with all their
//! attributes from an SDK-built app, beside components of the worlds released before
//! it, which keep running unchanged.

mod common;

use std::sync::Arc;

use common::*;
use switchyard_instructions::{
    ConferenceBeep, ConferenceEvent, DialTarget, HttpMethod, RecordingEvent, StreamTrack, Verb,
};
use switchyard_wasm::{MemorySessionStore, StepError};

async fn run(app: &switchyard_wasm::CompiledApp, path: &str) -> Result<Vec<Verb>, StepError> {
    let session = Arc::new(MemorySessionStore::default());
    let log = Arc::new(RecordingLog::default());
    shared_host()
        .handle(app, request("CA1", path), ctx("CA1", session, log))
        .await
}

/// tests/guests/rooms, built with the SDK's builders: its Record, Enqueue and Dials of a
/// room and of a queue reach the node with the attributes only the new instructions
/// carry.
#[tokio::test]
async fn an_sdk_app_records_queues_and_joins_rooms_with_every_attribute() {
    let app = shared_host()
        .compile(&workspace_guest("rooms"), limits(50, 1000))
        .unwrap();
    let h = "127.0.0.1:9";

    let voicemail = run(&app, &format!("/voicemail/{h}")).await.unwrap();
    let [Verb::Record(r)] = &voicemail[..] else {
        panic!("{voicemail:?}")
    };
    assert_eq!((r.max_length, r.timeout, r.play_beep), (10, 2, false));
    assert_eq!(r.finish_on_key, "#");
    assert_eq!(r.action.as_deref(), Some("/recorded/127.0.0.1:9"));
    assert_eq!(
        r.recording_status_callback.as_deref(),
        Some("http://127.0.0.1:9/recording")
    );
    assert_eq!(
        r.recording_status_callback_event,
        [RecordingEvent::InProgress, RecordingEvent::Completed]
    );

    let room = run(&app, &format!("/room/{h}")).await.unwrap();
    let [Verb::Dial(d)] = &room[..] else {
        panic!("{room:?}")
    };
    let [DialTarget::Conference(c)] = &d.targets[..] else {
        panic!("{d:?}")
    };
    assert_eq!(c.name, "wasm-room");
    assert_eq!(c.beep, ConferenceBeep::False);
    assert_eq!(
        c.status_callback.as_deref(),
        Some("http://127.0.0.1:9/conf")
    );
    assert_eq!(
        c.status_callback_event,
        [ConferenceEvent::Join, ConferenceEvent::Leave]
    );
    assert_eq!(
        c.recording_status_callback_event,
        [RecordingEvent::Completed]
    );

    let caller = run(&app, &format!("/caller/{h}")).await.unwrap();
    let [Verb::Enqueue(e)] = &caller[..] else {
        panic!("{caller:?}")
    };
    assert_eq!(e.name, "wasm-queue");
    assert_eq!(e.max_queue_size, Some(1));
    assert_eq!(e.wait_url.as_deref(), Some("/wait/127.0.0.1:9"));
    assert_eq!(e.wait_url_method, HttpMethod::Post);

    let agent = run(&app, &format!("/agent/{h}")).await.unwrap();
    let [Verb::Dial(d), Verb::Hangup] = &agent[..] else {
        panic!("{agent:?}")
    };
    let [DialTarget::Queue(q)] = &d.targets[..] else {
        panic!("{d:?}")
    };
    assert_eq!(q.name, "wasm-queue");
    assert_eq!(d.timeout, 30, "the Dial's default wait for a caller");
}

/// A component of the step-handler world, bound without the SDK as one built before
/// the instruction-handler world existed, still loads and answers with its steps; the
/// call-handler `ok` guest too.
#[tokio::test]
async fn components_of_the_earlier_worlds_keep_running() {
    let stepper = shared_host()
        .load(&guest("stepper"), limits(50, 1000))
        .unwrap()
        .0;
    let steps = run(&stepper, "/").await.unwrap();
    let [Verb::Start(start), Verb::Enqueue(e)] = &steps[..] else {
        panic!("{steps:?}")
    };
    assert_eq!(start.stream.url, "wss://bot.example.com/media");
    assert_eq!(start.stream.track, StreamTrack::Both);
    assert_eq!(e.name, "support");
    assert_eq!(e.action.as_deref(), Some("/left"));
    assert_eq!(e.max_queue_size, None, "the verb case has no maxQueueSize");

    let ok = app("ok", limits(50, 1000));
    let verbs = run(&ok, "/").await.unwrap();
    assert!(
        matches!(&verbs[..], [Verb::Say(_), Verb::Gather(_)]),
        "{verbs:?}"
    );
}
