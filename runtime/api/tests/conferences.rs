//! The Conferences and Participants resources over a fake node's rooms.

mod common;

use axum::http::Method;
use common::{form, Harness};
use switchyard_api::{ConferenceView, ParticipantView};
use switchyard_instructions::HttpMethod;
use switchyard_types::{AccountSid, CallSid, ConferenceSid};

fn room(h: &Harness, name: &str, status: &'static str, created: i64) -> ConferenceView {
    let view = ConferenceView {
        sid: ConferenceSid::random(),
        account_sid: h.root.sid,
        friendly_name: name.into(),
        status,
        date_created: created,
        date_updated: created,
        participants: vec![ParticipantView {
            call_sid: CallSid::random(),
            muted: false,
            hold: false,
            call_sid_to_coach: None,
            start_conference_on_enter: true,
            end_conference_on_exit: false,
        }],
    };
    h.control.rooms.lock().unwrap().push(view.clone());
    view
}

/// 2023-11-14 (UTC) in milliseconds, and the day after.
const DAY: i64 = 1_699_920_000_000;
const NEXT_DAY: i64 = DAY + 86_400_000;

#[tokio::test]
async fn conferences_are_listed_with_twilios_filters_and_fetched() {
    let h = Harness::new();
    let a = room(&h, "standup", "in-progress", DAY + 1000);
    let b = room(&h, "standup", "completed", NEXT_DAY + 1000);
    room(&h, "sales", "init", DAY + 2000);
    // Another tenant's room is not listed.
    h.control.rooms.lock().unwrap().push(ConferenceView {
        account_sid: AccountSid::random(),
        ..a.clone()
    });
    let list = |q: &'static str| {
        let h = &h;
        async move {
            let r = h
                .root(Method::GET, &h.path(&format!("/Conferences.json{q}")), "")
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body["conferences"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["sid"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("").await.len(), 3);
    assert_eq!(list("?FriendlyName=standup").await.len(), 2);
    assert_eq!(
        list("?FriendlyName=standup&Status=in-progress").await,
        [a.sid.to_string()]
    );
    assert_eq!(list("?DateCreated=2023-11-15").await, [b.sid.to_string()]);
    assert_eq!(list("?DateCreated%3C=2023-11-14").await.len(), 2);
    let r = h
        .root(Method::GET, &h.path("/Conferences.json?Status=ringing"), "")
        .await;
    assert_eq!(r.status, 400, "{}", r.body);

    let r = h
        .root(
            Method::GET,
            &h.path(&format!("/Conferences/{}.json", a.sid)),
            "",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["friendly_name"], "standup");
    assert_eq!(r.body["status"], "in-progress");
    assert_eq!(r.body["date_created"], "Tue, 14 Nov 2023 00:00:01 +0000");
    assert_eq!(
        r.body["subresource_uris"]["participants"],
        format!(
            "{}/Participants.json",
            h.path(&format!("/Conferences/{}", a.sid))
        )
    );
    let r = h
        .root(
            Method::GET,
            &h.path(&format!("/Conferences/{}.json", ConferenceSid::random())),
            "",
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn status_completed_ends_a_conference_and_nothing_else_is_accepted() {
    let h = Harness::new();
    let a = room(&h, "standup", "in-progress", DAY);
    let path = h.path(&format!("/Conferences/{}.json", a.sid));
    let r = h
        .root(Method::POST, &path, &form(&[("Status", "init")]))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = h
        .root(Method::POST, &path, &form(&[("Status", "completed")]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "completed");
}

#[tokio::test]
async fn participants_are_muted_coached_and_validated() {
    let h = Harness::new();
    let a = room(&h, "standup", "in-progress", DAY);
    let call = a.participants[0].call_sid;
    let base = h.path(&format!("/Conferences/{}/Participants", a.sid));
    let r = h
        .root(Method::GET, &format!("{base}.json?Muted=false"), "")
        .await;
    assert_eq!(
        r.body["participants"].as_array().unwrap().len(),
        1,
        "{}",
        r.body
    );
    let r = h
        .root(Method::GET, &format!("{base}.json?Muted=true"), "")
        .await;
    assert_eq!(
        r.body["participants"].as_array().unwrap().len(),
        0,
        "{}",
        r.body
    );

    let one = format!("{base}/{call}.json");
    let r = h
        .root(Method::POST, &one, &form(&[("Muted", "true")]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["muted"], true);
    assert_eq!(r.body["call_sid"], call.to_string());
    let r = h
        .root(
            Method::POST,
            &one,
            &form(&[("Hold", "true"), ("HoldUrl", "not a url")]),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = h
        .root(Method::POST, &one, &form(&[("Coaching", "true")]))
        .await;
    assert_eq!(r.status, 400, "coaching whom: {}", r.body);
    let coached = CallSid::random();
    let r = h
        .root(
            Method::POST,
            &one,
            &form(&[
                ("Coaching", "true"),
                ("CallSidToCoach", &coached.to_string()),
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let hold = ("HoldUrl", "https://music.test/hold");
    let r = h
        .root(
            Method::POST,
            &one,
            &form(&[("Hold", "true"), hold, ("HoldMethod", "PUT")]),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = h
        .root(
            Method::POST,
            &one,
            &form(&[
                ("Hold", "true"),
                hold,
                ("AnnounceUrl", "https://music.test/announce"),
                ("AnnounceMethod", "get"),
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let updates = h.control.participant_updates.lock().unwrap().clone();
    assert_eq!(
        updates.len(),
        3,
        "the refused ones reached the node: {updates:?}"
    );
    assert_eq!(updates[0].1.muted, Some(true));
    assert_eq!(updates[1].1.coaching, Some(Some(coached)));
    let held = &updates[2].1;
    assert_eq!(held.hold_url.as_deref(), Some("https://music.test/hold"));
    // Twilio's defaults: HoldMethod GET; AnnounceMethod as sent.
    assert_eq!(held.hold_method, HttpMethod::Get);
    assert_eq!(
        held.announce_url.as_deref(),
        Some("https://music.test/announce")
    );
    assert_eq!(held.announce_method, HttpMethod::Get);
    let r = h
        .root(
            Method::GET,
            &format!("{base}/{}.json", CallSid::random()),
            "",
        )
        .await;
    assert_eq!(r.status, 404);
    let r = h.root(Method::DELETE, &one, "").await;
    assert_eq!(r.status, 204);
}

#[tokio::test]
async fn creating_a_participant_dials_it_into_the_room() {
    let h = Harness::new();
    let a = room(&h, "R&D <standup>", "in-progress", DAY);
    let base = h.path(&format!("/Conferences/{}/Participants.json", a.sid));
    let r = h
        .root(
            Method::POST,
            &base,
            &form(&[
                ("From", "+15550001111"),
                ("To", "sip:bob@127.0.0.1:5070"),
                ("Muted", "true"),
                ("Beep", "onEnter"),
                ("EndConferenceOnExit", "true"),
            ]),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "queued");
    assert_eq!(r.body["conference_sid"], a.sid.to_string());
    let created = h.control.created.lock().unwrap().clone();
    assert_eq!(created.len(), 1);
    let call = &created[0].1;
    assert_eq!(call.to, "sip:bob@127.0.0.1:5070");
    let twiml = call.twiml.as_deref().unwrap();
    let verbs = switchyard_instructions::parse_twiml(twiml).unwrap();
    let switchyard_instructions::Verb::Dial(dial) = &verbs[0] else {
        panic!("{twiml}")
    };
    let switchyard_instructions::DialTarget::Conference(noun) = &dial.targets[0] else {
        panic!("{twiml}")
    };
    assert_eq!(noun.name, "R&D <standup>");
    assert!(noun.muted && noun.end_conference_on_exit);
    assert_eq!(noun.beep, switchyard_instructions::ConferenceBeep::OnEnter);
    let r = h
        .root(
            Method::POST,
            &base,
            &form(&[("From", "+15550001111"), ("To", "x"), ("Beep", "loud")]),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
}
