//! `…/Conferences.json`, `…/Conferences/{Sid}` and their `Participants`: Twilio's
//! Conference and Participant resources. Rooms live in the node (its
//! [`ConferenceControl`]); this module validates, renders and routes.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use switchyard_instructions::HttpMethod;
use switchyard_store::Account;
use switchyard_types::{AccountSid, CallSid, ConferenceSid};

use crate::auth::{authenticate, reach, strip_json};
use crate::date::{created_range, rfc2822};
use crate::params::Params;
use crate::{validate, ApiState, Error, API_VERSION};

/// A room as the node reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConferenceView {
    pub sid: ConferenceSid,
    pub account_sid: AccountSid,
    pub friendly_name: String,
    /// `init`, `in-progress` or `completed`.
    pub status: &'static str,
    pub date_created: i64,
    pub date_updated: i64,
    pub participants: Vec<ParticipantView>,
}

/// A participant as the node reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantView {
    pub call_sid: CallSid,
    pub muted: bool,
    pub hold: bool,
    pub call_sid_to_coach: Option<CallSid>,
    pub start_conference_on_enter: bool,
    pub end_conference_on_exit: bool,
}

/// A validated `POST …/Participants/{CallSid}.json`: what to change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParticipantUpdate {
    pub muted: Option<bool>,
    pub hold: Option<bool>,
    /// Absolute http(s) URL of the music while held (audio or TwiML).
    pub hold_url: Option<String>,
    /// `HoldMethod`: GET by default.
    pub hold_method: HttpMethod,
    /// Absolute http(s) URL of an announcement to the participant (audio or TwiML).
    pub announce_url: Option<String>,
    /// `AnnounceMethod`: POST by default.
    pub announce_method: HttpMethod,
    /// `Coaching` with `CallSidToCoach`: `Some(None)` ends the coaching.
    pub coaching: Option<Option<CallSid>>,
}

/// The node's conference rooms.
pub trait ConferenceControl: Send + Sync {
    /// The account's rooms, live and ended, newest first.
    fn list(&self, account: AccountSid) -> Vec<ConferenceView>;
    /// `Status=completed`: end a live room; its view after.
    fn end(&self, account: AccountSid, sid: ConferenceSid) -> Result<ConferenceView, Error>;
    /// Change a participant of a live room; its view after.
    fn update_participant(
        &self,
        account: AccountSid,
        sid: ConferenceSid,
        call: CallSid,
        update: ParticipantUpdate,
    ) -> Result<ParticipantView, Error>;
    /// Take a participant out of a live room.
    fn remove_participant(
        &self,
        account: AccountSid,
        sid: ConferenceSid,
        call: CallSid,
    ) -> Result<(), Error>;
}

fn control(state: &ApiState) -> Result<&dyn ConferenceControl, Error> {
    state
        .calls
        .conferences()
        .ok_or(Error::NotImplemented("conferences"))
}

fn base(account: AccountSid) -> String {
    format!("/2010-04-01/Accounts/{account}/Conferences")
}

fn render(c: &ConferenceView) -> Value {
    let uri = format!("{}/{}", base(c.account_sid), c.sid);
    json!({
        "sid": c.sid.to_string(),
        "account_sid": c.account_sid.to_string(),
        "friendly_name": c.friendly_name,
        "status": c.status,
        "date_created": rfc2822(c.date_created),
        "date_updated": rfc2822(c.date_updated),
        "api_version": API_VERSION,
        "region": "us1",
        "reason_conference_ended": Value::Null,
        "call_sid_ending_conference": Value::Null,
        "uri": format!("{uri}.json"),
        "subresource_uris": {
            "participants": format!("{uri}/Participants.json"),
            "recordings": format!("{uri}/Recordings.json"),
        },
    })
}

fn render_participant(c: &ConferenceView, p: &ParticipantView) -> Value {
    json!({
        "account_sid": c.account_sid.to_string(),
        "call_sid": p.call_sid.to_string(),
        "conference_sid": c.sid.to_string(),
        "label": Value::Null,
        "muted": p.muted,
        "hold": p.hold,
        "coaching": p.call_sid_to_coach.is_some(),
        "call_sid_to_coach": p.call_sid_to_coach.map(|s| s.to_string()),
        "start_conference_on_enter": p.start_conference_on_enter,
        "end_conference_on_exit": p.end_conference_on_exit,
        "status": "connected",
        "queue_time": Value::Null,
        "date_created": rfc2822(c.date_created),
        "date_updated": rfc2822(c.date_updated),
        "uri": format!("{}/{}/Participants/{}.json", base(c.account_sid), c.sid, p.call_sid),
    })
}

/// A list answer with every row on one page (rooms live in memory, few per account).
fn listing(key: &str, path: String, rows: Vec<Value>) -> Response {
    Json(json!({
        key: rows,
        "uri": path,
        "first_page_uri": path,
        "next_page_uri": Value::Null,
        "previous_page_uri": Value::Null,
        "page": 0,
        "page_size": rows.len().max(50),
        "start": 0,
        "end": rows.len().saturating_sub(1),
    }))
    .into_response()
}

fn find(state: &ApiState, account: &Account, segment: &str) -> Result<ConferenceView, Error> {
    let not_found = || Error::NotFound(format!("{}/{segment}", base(account.sid)));
    let sid: ConferenceSid = segment
        .strip_suffix(".json")
        .unwrap_or(segment)
        .parse()
        .map_err(|_| not_found())?;
    control(state)?
        .list(account.sid)
        .into_iter()
        .find(|c| c.sid == sid)
        .ok_or_else(not_found)
}

/// `GET …/Conferences.json`, with Twilio's `FriendlyName`, `Status` and `DateCreated`
/// filters.
pub async fn list(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(account): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let params = Params::query(query.as_deref())?;
    let name = params.non_empty("FriendlyName");
    let status = params.non_empty("Status");
    if let Some(s) = status.filter(|s| !["init", "in-progress", "completed"].contains(s)) {
        return Err(Error::param(
            "Status",
            format!("{s:?} is not init, in-progress or completed"),
        ));
    }
    let (after, before) = created_range(&params)?;
    let rows = control(&state)?
        .list(account.sid)
        .iter()
        .filter(|c| name.is_none_or(|n| c.friendly_name == n))
        .filter(|c| status.is_none_or(|s| c.status == s))
        .filter(|c| after.is_none_or(|a| c.date_created >= a))
        .filter(|c| before.is_none_or(|b| c.date_created < b))
        .map(render)
        .collect();
    Ok(listing(
        "conferences",
        format!("{}.json", base(account.sid)),
        rows,
    ))
}

/// `GET …/Conferences/{Sid}.json`.
pub async fn fetch(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, segment)): Path<(String, String)>,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    strip_json(&segment)?;
    Ok(Json(render(&find(&state, &account, &segment)?)).into_response())
}

/// `POST …/Conferences/{Sid}.json` with `Status=completed`: end the room.
pub async fn update(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, segment)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let room = find(&state, &account, &segment)?;
    let params = Params::parse(&body)?;
    let view = match params.non_empty("Status") {
        Some("completed") => control(&state)?.end(account.sid, room.sid)?,
        Some(other) => {
            return Err(Error::param(
                "Status",
                format!("{other:?}: a conference can only be set to completed"),
            ))
        }
        None => room,
    };
    Ok(Json(render(&view)).into_response())
}

/// `GET …/Conferences/{Sid}/Participants.json` (`Muted`, `Hold`, `Coaching` filters).
pub async fn list_participants(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, conference)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let room = find(&state, &account, &conference)?;
    let params = Params::query(query.as_deref())?;
    let flag = |name: &'static str| params.non_empty(name).map(|v| boolean(name, v)).transpose();
    let (muted, hold, coaching) = (flag("Muted")?, flag("Hold")?, flag("Coaching")?);
    let rows = room
        .participants
        .iter()
        .filter(|p| muted.is_none_or(|m| p.muted == m))
        .filter(|p| hold.is_none_or(|h| p.hold == h))
        .filter(|p| coaching.is_none_or(|c| p.call_sid_to_coach.is_some() == c))
        .map(|p| render_participant(&room, p))
        .collect();
    let path = format!("{}/{}/Participants.json", base(account.sid), room.sid);
    Ok(listing("participants", path, rows))
}

fn participant<'a>(room: &'a ConferenceView, segment: &str) -> Result<&'a ParticipantView, Error> {
    let sid = segment.strip_suffix(".json").unwrap_or(segment);
    room.participants
        .iter()
        .find(|p| p.call_sid.to_string() == sid)
        .ok_or_else(|| {
            Error::NotFound(format!(
                "{}/{}/Participants/{segment}",
                base(room.account_sid),
                room.sid
            ))
        })
}

/// `GET …/Participants/{CallSid}.json`.
pub async fn fetch_participant(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, conference, segment)): Path<(String, String, String)>,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let room = find(&state, &account, &conference)?;
    let p = participant(&room, &segment)?;
    Ok(Json(render_participant(&room, p)).into_response())
}

/// `POST …/Participants/{CallSid}.json`: `Muted`, `Hold` (with `HoldUrl`, `HoldMethod`),
/// `AnnounceUrl` (with `AnnounceMethod`), `Coaching` with `CallSidToCoach`.
pub async fn update_participant(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, conference, segment)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let room = find(&state, &account, &conference)?;
    let call = participant(&room, &segment)?.call_sid;
    let params = Params::parse(&body)?;
    let update = participant_update(&params)?;
    let p = control(&state)?.update_participant(account.sid, room.sid, call, update)?;
    Ok(Json(render_participant(&room, &p)).into_response())
}

/// `DELETE …/Participants/{CallSid}.json`: the participant leaves the room.
pub async fn remove_participant(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, conference, segment)): Path<(String, String, String)>,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let room = find(&state, &account, &conference)?;
    let call = participant(&room, &segment)?.call_sid;
    control(&state)?.remove_participant(account.sid, room.sid, call)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST …/Participants.json`: dial `To` from `From` straight into the room. The
/// new call runs `<Dial><Conference>` with the participant's settings; its record is
/// the participant's (status `queued` until it is answered).
pub async fn create_participant(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((account, conference)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Error> {
    let caller = authenticate(state.repo.as_ref(), &headers)?;
    let account = reach(state.repo.as_ref(), &caller, &account)?;
    let room = find(&state, &account, &conference)?;
    if room.status == "completed" {
        return Err(Error::NotFound(format!(
            "{}/{}",
            base(account.sid),
            room.sid
        )));
    }
    let params = Params::parse(&body)?;
    let call = participant_call(&params, &room.friendly_name)?;
    crate::calls::ensure_active(&state, &account)?;
    let record = state.calls.create(&account, call)?;
    let p = ParticipantView {
        call_sid: record.sid,
        muted: params.get("Muted") == Some("true"),
        hold: false,
        call_sid_to_coach: None,
        start_conference_on_enter: params.get("StartConferenceOnEnter") != Some("false"),
        end_conference_on_exit: params.get("EndConferenceOnExit") == Some("true"),
    };
    let mut json = render_participant(&room, &p);
    json["status"] = json!("queued");
    Ok((StatusCode::CREATED, Json(json)).into_response())
}

/// The outbound call of a new participant: its `<Conference>` noun from the create's
/// `Muted`, `Beep`, `StartConferenceOnEnter`, `EndConferenceOnExit`, `WaitUrl`
/// (`WaitMethod`), `MaxParticipants`, `Coaching`/`CallSidToCoach` and `ConferenceStatusCallback…`.
fn participant_call(params: &Params, room: &str) -> Result<crate::NewCall, Error> {
    use switchyard_instructions::{ConferenceBeep, ConferenceEvent, Dial, DialTarget, Verb};
    let flag = |name: &'static str| params.non_empty(name).map(|v| boolean(name, v)).transpose();
    let mut noun = switchyard_instructions::Conference::new(room);
    noun.muted = flag("Muted")?.unwrap_or(false);
    noun.start_conference_on_enter = flag("StartConferenceOnEnter")?.unwrap_or(true);
    noun.end_conference_on_exit = flag("EndConferenceOnExit")?.unwrap_or(false);
    if let Some(b) = params.non_empty("Beep") {
        noun.beep = match b {
            "true" => ConferenceBeep::True,
            "false" => ConferenceBeep::False,
            "onEnter" => ConferenceBeep::OnEnter,
            "onExit" => ConferenceBeep::OnExit,
            other => {
                return Err(Error::param(
                    "Beep",
                    format!("{other:?} is not true, false, onEnter or onExit"),
                ))
            }
        };
    }
    noun.wait_url = validate::strict_url(params, "WaitUrl")?;
    let wait_method = validate::method(params, "WaitMethod", "POST")?;
    noun.wait_method = HttpMethod::parse(&wait_method).unwrap_or_default();
    if let Some(n) = params.non_empty("MaxParticipants") {
        noun.max_participants = n
            .parse()
            .ok()
            .filter(|n| (2..=250).contains(n))
            .ok_or_else(|| Error::param("MaxParticipants", format!("{n:?} is not 2 to 250")))?;
    }
    if flag("Coaching")? == Some(true) {
        let sid = params
            .non_empty("CallSidToCoach")
            .ok_or_else(|| Error::param("CallSidToCoach", "required when Coaching is true"))?;
        noun.coach = Some(validate::sid::<CallSid>("CallSidToCoach", sid)?.to_string());
    }
    noun.status_callback = validate::strict_url(params, "ConferenceStatusCallback")?;
    if params.get("ConferenceStatusCallbackMethod") == Some("GET") {
        noun.status_callback_method = HttpMethod::Get;
    }
    noun.status_callback_event = params
        .all("ConferenceStatusCallbackEvent")
        .iter()
        .flat_map(|v| v.split_whitespace())
        .map(|e| {
            Ok(match e {
                "start" => ConferenceEvent::Start,
                "end" => ConferenceEvent::End,
                "join" => ConferenceEvent::Join,
                "leave" => ConferenceEvent::Leave,
                "mute" => ConferenceEvent::Mute,
                "hold" => ConferenceEvent::Hold,
                "modify" => ConferenceEvent::Modify,
                "speaker" => ConferenceEvent::Speaker,
                "announcement" => ConferenceEvent::Announcement,
                other => {
                    return Err(Error::param(
                        "ConferenceStatusCallbackEvent",
                        format!("{other:?} is not a conference event"),
                    ))
                }
            })
        })
        .collect::<Result<_, _>>()?;
    let twiml = switchyard_instructions::to_twiml(&[Verb::Dial(Dial {
        targets: vec![DialTarget::Conference(noun)],
        ..Dial::default()
    })]);
    let timeout = match params.get("Timeout") {
        None => 60,
        Some(t) => t
            .parse::<u32>()
            .ok()
            .filter(|n| (5..=600).contains(n))
            .ok_or_else(|| Error::InvalidTimeout(t.to_owned()))?,
    };
    Ok(crate::NewCall {
        to: validate::to(params.get("To"))?,
        from: validate::from(params.get("From"))?,
        url: None,
        twiml: Some(twiml),
        method: "POST".into(),
        fallback_url: None,
        fallback_method: "POST".into(),
        status_callback: validate::strict_url(params, "StatusCallback")?,
        status_callback_method: validate::method(params, "StatusCallbackMethod", "POST")?,
        status_callback_event: validate::events(
            params,
            "StatusCallbackEvent",
            &crate::calls::EVENTS,
        )?,
        timeout,
        // Twilio records a participant's leg with `Record`; the room has its own `record`.
        record: match params.get("Record") {
            Some(v) if boolean("Record", v)? => Some(crate::recordings::start_recording(params)?),
            _ => None,
        },
    })
}

fn boolean(name: &'static str, v: &str) -> Result<bool, Error> {
    match v {
        "true" | "True" => Ok(true),
        "false" | "False" => Ok(false),
        other => Err(Error::param(
            name,
            format!("{other:?} is not true or false"),
        )),
    }
}

fn participant_update(params: &Params) -> Result<ParticipantUpdate, Error> {
    let flag = |name: &'static str| params.non_empty(name).map(|v| boolean(name, v)).transpose();
    let url = |name: &'static str| {
        params
            .non_empty(name)
            .map(|v| validate::url(name, v))
            .transpose()
    };
    let coaching = match flag("Coaching")? {
        Some(true) => {
            let sid = params
                .non_empty("CallSidToCoach")
                .ok_or_else(|| Error::param("CallSidToCoach", "required when Coaching is true"))?;
            Some(Some(validate::sid::<CallSid>("CallSidToCoach", sid)?))
        }
        Some(false) => Some(None),
        None => None,
    };
    // Twilio: "HoldMethod … Can be: GET or POST and the default is GET";
    // "AnnounceMethod … Can be: GET or POST and defaults to POST".
    let method = |name: &'static str, default: HttpMethod| {
        validate::method(params, name, default.as_str())
            .map(|m| HttpMethod::parse(&m).unwrap_or(default))
    };
    Ok(ParticipantUpdate {
        muted: flag("Muted")?,
        hold: flag("Hold")?,
        hold_url: url("HoldUrl")?,
        hold_method: method("HoldMethod", HttpMethod::Get)?,
        announce_url: url("AnnounceUrl")?,
        announce_method: method("AnnounceMethod", HttpMethod::Post)?,
        coaching,
    })
}
