use switchyard_types::{
    ConferenceSid, RecordingSid, RecordingSource, RecordingStatus, RecordingTrack,
};

use super::*;

fn recording(account: AccountSid, created: i64) -> RecordingRecord {
    RecordingRecord {
        sid: RecordingSid::random(),
        account_sid: account,
        call_sid: Some(CallSid::random()),
        conference_sid: None,
        status: RecordingStatus::InProgress,
        source: RecordingSource::RecordVerb,
        channels: 1,
        track: RecordingTrack::Inbound,
        duration_secs: None,
        start_time: created,
        date_created: created,
        date_updated: created,
        error_code: None,
    }
}

fn key(r: &RecordingRecord) -> (i64, String) {
    (r.date_created, r.sid.to_string())
}

#[test]
fn a_recording_survives_reopen_and_its_updates_replace_it() {
    let dir = tempfile::tempdir().unwrap();
    let account = AccountSid::random();
    let mut r = recording(account, 1_000);
    {
        let store = Store::open(dir.path()).unwrap();
        store.put_recording(r.clone());
        r.status = RecordingStatus::Completed;
        r.duration_secs = Some(7);
        r.channels = 2;
        r.track = RecordingTrack::Both;
        r.source = RecordingSource::DialVerb;
        r.conference_sid = Some(ConferenceSid::random());
        r.date_updated = 8_000;
        Repository::put_recording(&store, r.clone());
        Repository::flush(&store);
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.recording(account, r.sid).unwrap(), Some(r.clone()));
    assert_eq!(
        store
            .recordings(account, &RecordingFilter::default(), &page(10))
            .unwrap(),
        vec![r]
    );
}

#[test]
fn a_durable_put_is_readable_at_once_and_keeps_an_error_code() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let mut r = recording(account, 5);
    r.status = RecordingStatus::Absent;
    r.error_code = Some(16101);
    r.call_sid = None;
    r.duration_secs = Some(0);
    store.put_recording_durable(&r).unwrap();
    // No flush: the durable write committed before returning.
    assert_eq!(store.recording(account, r.sid).unwrap(), Some(r));
}

#[test]
fn another_accounts_recordings_are_never_read_or_deleted() {
    let (_dir, store) = store();
    let (mine, theirs) = (AccountSid::random(), AccountSid::random());
    let my = recording(mine, 1);
    let their = recording(theirs, 2);
    store.put_recording_durable(&my).unwrap();
    store.put_recording_durable(&their).unwrap();
    assert_eq!(store.recording(mine, their.sid).unwrap(), None);
    assert_eq!(
        store
            .recordings(mine, &RecordingFilter::default(), &page(50))
            .unwrap(),
        vec![my.clone()]
    );
    assert!(!store.delete_recording(mine, their.sid).unwrap());
    assert_eq!(store.recording(theirs, their.sid).unwrap(), Some(their));
}

#[test]
fn delete_removes_the_record_once() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let (gone, kept) = (recording(account, 1), recording(account, 2));
    store.put_recording_durable(&gone).unwrap();
    store.put_recording_durable(&kept).unwrap();
    assert!(store.delete_recording(account, gone.sid).unwrap());
    assert!(!store.delete_recording(account, gone.sid).unwrap());
    assert_eq!(store.recording(account, gone.sid).unwrap(), None);
    assert_eq!(
        store
            .recordings(account, &RecordingFilter::default(), &page(50))
            .unwrap(),
        vec![kept]
    );
}

#[test]
fn each_recording_filter_selects_exactly_its_recordings() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let calls = [CallSid::random(), CallSid::random(), CallSid::random()];
    let conference = ConferenceSid::random();
    let mut all = Vec::new();
    for i in 0..24i64 {
        let mut r = recording(account, i * 10);
        r.call_sid = Some(calls[(i % 3) as usize]);
        r.conference_sid = (i % 4 == 0).then_some(conference);
        store.put_recording(r.clone());
        all.push(r);
    }
    // Noise in another account that matches every filter.
    let mut other = all[0].clone();
    other.sid = RecordingSid::random();
    other.account_sid = AccountSid::random();
    store.put_recording(other);
    store.flush();

    let check = |filter: RecordingFilter, keep: &dyn Fn(&RecordingRecord) -> bool| {
        let got = store.recordings(account, &filter, &page(1000)).unwrap();
        let mut want: Vec<_> = all.iter().filter(|r| keep(r)).cloned().collect();
        want.sort_by_key(|r| std::cmp::Reverse(key(r)));
        assert!(!want.is_empty(), "{filter:?} should match something");
        assert!(
            want.len() < all.len(),
            "{filter:?} should exclude something"
        );
        assert_eq!(got, want, "filter {filter:?}");
    };
    check(
        RecordingFilter {
            call_sid: Some(calls[1]),
            ..Default::default()
        },
        &|r| r.call_sid == Some(calls[1]),
    );
    check(
        RecordingFilter {
            conference_sid: Some(conference),
            ..Default::default()
        },
        &|r| r.conference_sid == Some(conference),
    );
    check(
        RecordingFilter {
            created_after: Some(100),
            ..Default::default()
        },
        &|r| r.date_created >= 100,
    );
    check(
        RecordingFilter {
            created_before: Some(100),
            ..Default::default()
        },
        &|r| r.date_created < 100,
    );
    check(
        RecordingFilter {
            call_sid: Some(calls[0]),
            created_after: Some(30),
            created_before: Some(180),
            ..Default::default()
        },
        &|r| r.call_sid == Some(calls[0]) && (30..180).contains(&r.date_created),
    );
}

#[test]
fn recording_pages_have_no_gaps_or_repeats_with_equal_timestamps() {
    let (_dir, store) = store();
    let account = AccountSid::random();
    let mut all: Vec<_> = (0..23).map(|i| recording(account, i / 4)).collect();
    for r in &all {
        store.put_recording(r.clone());
    }
    store.flush();
    let pages = all_pages(5, key, |p| {
        store
            .recordings(account, &RecordingFilter::default(), p)
            .unwrap()
    });
    all.sort_by_key(|r| std::cmp::Reverse(key(r)));
    assert_eq!(pages.len(), 5);
    assert_eq!(pages.concat(), all);
}

#[test]
fn start_up_finds_every_unfinished_recording_of_every_account() {
    let (_dir, store) = store();
    let mut unfinished = Vec::new();
    for (i, status) in RecordingStatus::ALL.iter().enumerate() {
        let mut r = recording(AccountSid::random(), i as i64);
        r.status = *status;
        store.put_recording(r.clone());
        if !status.is_final() {
            unfinished.push(r);
        }
    }
    store.flush();
    assert_eq!(unfinished.len(), 4);
    assert_eq!(store.recordings_in_progress().unwrap(), unfinished);
}

#[test]
fn call_usage_counts_completed_recordings_in_whole_minutes() {
    let (_dir, store) = store();
    let a = AccountSid::random();
    let put = |created: i64, secs: u64, status: RecordingStatus| {
        let r = RecordingRecord {
            status,
            duration_secs: Some(secs),
            ..recording(a, created)
        };
        store.put_recording_durable(&r).unwrap();
    };
    put(1_000, 61, RecordingStatus::Completed);
    put(2_000, 5, RecordingStatus::Completed);
    put(3_000, 0, RecordingStatus::Absent);
    put(20_000, 30, RecordingStatus::Completed);
    let u = store.call_usage(&[a], 0, 10_000).unwrap();
    assert_eq!((u.recordings, u.recording_minutes), (2, 3));
}
