//! A guest cannot flood the log or the session store: per-step log caps with one
//! truncation notice, and session quotas answered with a named error.

mod common;

use std::sync::Arc;

use common::*;
use switchyard_instructions::Verb;
use switchyard_wasm::{Level, MemorySessionStore};

#[tokio::test]
async fn a_guest_logging_200000_lines_in_one_step_leaves_the_cap_and_one_truncation_notice() {
    let caps = shared_host().config().log_caps;
    let app = shared_host()
        .load(&workspace_guest("chatter"), limits(10_000, 30_000))
        .unwrap()
        .0;
    let (ctx, log) = simple_ctx("CA-chatter");
    let verbs = shared_host()
        .handle(&app, request("CA-chatter", "/"), ctx)
        .await
        .unwrap();
    assert!(
        matches!(verbs[..], [Verb::Say(_), Verb::Hangup]),
        "{verbs:?}"
    );

    let lines = log.lines();
    let kept: Vec<_> = lines
        .iter()
        .filter(|(_, _, _, m)| m.starts_with("chatter line "))
        .collect();
    assert_eq!(kept.len(), caps.lines as usize);
    // The first lines are the ones kept, in order.
    assert_eq!(kept[0].3, "chatter line 0");
    assert_eq!(
        kept[kept.len() - 1].3,
        format!("chatter line {}", caps.lines - 1)
    );
    let notices: Vec<_> = lines
        .iter()
        .filter(|(_, _, _, m)| m.starts_with("log truncated"))
        .collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    let (app_name, call, level, text) = notices[0];
    assert_eq!(
        (app_name.as_str(), call.as_str()),
        ("test-app", "CA-chatter")
    );
    assert_eq!(*level, Level::Warn);
    let dropped = 200_000 - caps.lines;
    assert!(
        text.starts_with(&format!("log truncated: {dropped} more lines (")),
        "{text}"
    );
    assert_eq!(lines.len(), caps.lines as usize + 1);
}

#[tokio::test]
async fn a_guest_filling_its_conversation_gets_quota_exceeded_and_the_store_stays_within_it() {
    const MAX_BYTES: usize = 256 * 1024;
    let session = Arc::new(MemorySessionStore::new(100).with_max_bytes(MAX_BYTES));
    let log = Arc::new(RecordingLog::default());
    let app = shared_host()
        .load(&workspace_guest("hoarder"), limits(2_000, 10_000))
        .unwrap()
        .0;
    let ctx = ctx("CA-hoarder", session.clone(), log.clone());
    let scope = ctx.session_scope.clone();
    let verbs = shared_host()
        .handle(&app, request("CA-hoarder", "/"), ctx)
        .await
        .unwrap();
    assert!(
        matches!(verbs[..], [Verb::Say(_), Verb::Hangup]),
        "{verbs:?}"
    );

    // Each entry is a 11-byte key and a 60 KiB value: four fit in 256 KiB, the fifth
    // is refused by name.
    let entry = "hoard-00000".len() + 60 * 1024;
    let lines = log.lines();
    let said = &lines.last().unwrap().3;
    assert!(
        said.starts_with("hoarder stored 4 values, then quota-exceeded: "),
        "{said}"
    );
    assert_eq!(session.usage(&scope), (4, 4 * entry));
    assert!(session.usage(&scope).1 <= MAX_BYTES);
}
