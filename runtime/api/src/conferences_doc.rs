//! The Conference and Participant resources' part of the OpenAPI document.

use serde_json::{json, Value};

use crate::openapi::{
    form_body, json_response, method_schema, nullable, obj, op, page_schema, path_param,
    query_param, responses, sid_schema, string, url_schema,
};

fn conference_schema() -> Value {
    obj(
        &[
            "sid",
            "account_sid",
            "friendly_name",
            "status",
            "date_created",
            "date_updated",
            "api_version",
            "region",
            "uri",
            "subresource_uris",
        ],
        json!({
            "sid": sid_schema("CF"),
            "account_sid": sid_schema("AC"),
            "friendly_name": string(),
            "status": {"type": "string", "enum": ["init", "in-progress", "completed"]},
            "date_created": string(),
            "date_updated": string(),
            "api_version": string(),
            "region": string(),
            "reason_conference_ended": nullable(string()),
            "call_sid_ending_conference": nullable(sid_schema("CA")),
            "uri": string(),
            "subresource_uris": {"type": "object"},
        }),
    )
}

fn participant_schema() -> Value {
    let flag = || json!({"type": "boolean"});
    obj(
        &[
            "account_sid",
            "call_sid",
            "conference_sid",
            "muted",
            "hold",
            "coaching",
            "start_conference_on_enter",
            "end_conference_on_exit",
            "status",
            "uri",
        ],
        json!({
            "account_sid": sid_schema("AC"),
            "call_sid": sid_schema("CA"),
            "conference_sid": sid_schema("CF"),
            "label": nullable(string()),
            "muted": flag(),
            "hold": flag(),
            "coaching": flag(),
            "call_sid_to_coach": nullable(sid_schema("CA")),
            "start_conference_on_enter": flag(),
            "end_conference_on_exit": flag(),
            "status": {"type": "string", "enum": ["connected"]},
            "queue_time": nullable(string()),
            "date_created": string(),
            "date_updated": string(),
            "uri": string(),
        }),
    )
}

/// Add the Conference and Participant resources' schemas and paths to `doc`.
pub(crate) fn extend(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    schemas["Conference"] = conference_schema();
    schemas["ConferencePage"] = page_schema("conferences", "Conference");
    schemas["Participant"] = participant_schema();
    schemas["ParticipantPage"] = page_schema("participants", "Participant");

    let acc = || path_param("AccountSid", "AC");
    let conf = || path_param("ConferenceSid", "CF");
    let call = || path_param("CallSid", "CA");
    let std = [400, 401, 403, 404];
    let base = "/2010-04-01/Accounts/{AccountSid}/Conferences";
    let mut list = vec![acc()];
    for (name, schema) in [
        ("FriendlyName", string()),
        (
            "Status",
            json!({"type": "string", "enum": ["init", "in-progress", "completed"]}),
        ),
        ("DateCreated", json!({"type": "string", "format": "date"})),
        ("DateCreated<", json!({"type": "string", "format": "date"})),
        ("DateCreated>", json!({"type": "string", "format": "date"})),
    ] {
        list.push(query_param(name, schema));
    }
    let mut participants = vec![acc(), conf()];
    for name in ["Muted", "Hold", "Coaching"] {
        participants.push(query_param(name, json!({"type": "boolean"})));
    }
    let end = json!({"type": "object", "properties": {
        "Status": {"type": "string", "enum": ["completed"]},
    }});
    let update = json!({"type": "object", "properties": {
        "Muted": {"type": "boolean"},
        "Hold": {"type": "boolean"},
        "HoldUrl": url_schema(),
        "HoldMethod": method_schema(),
        "AnnounceUrl": url_schema(),
        "AnnounceMethod": method_schema(),
        "Coaching": {"type": "boolean"},
        "CallSidToCoach": sid_schema("CA"),
    }});
    let create = json!({"type": "object", "required": ["From", "To"], "properties": {
        "From": string(),
        "To": string(),
        "Timeout": {"type": "integer", "minimum": 5, "maximum": 600},
        "Muted": {"type": "boolean"},
        "Beep": {"type": "string", "enum": ["true", "false", "onEnter", "onExit"]},
        "StartConferenceOnEnter": {"type": "boolean"},
        "EndConferenceOnExit": {"type": "boolean"},
        "EarlyMedia": {"type": "boolean"},
        "WaitUrl": url_schema(),
        "WaitMethod": method_schema(),
        "MaxParticipants": {"type": "integer", "minimum": 2, "maximum": 250},
        "Coaching": {"type": "boolean"},
        "CallSidToCoach": sid_schema("CA"),
        "StatusCallback": url_schema(),
        "StatusCallbackMethod": {"type": "string", "enum": ["GET", "POST"]},
        "ConferenceStatusCallback": url_schema(),
        "ConferenceStatusCallbackMethod": {"type": "string", "enum": ["GET", "POST"]},
        "ConferenceStatusCallbackEvent": string(),
    }});
    let paths = &mut doc["paths"];
    paths[format!("{base}.json")] = json!({
        "get": op("List conferences, newest first", list, None, responses((200, json_response("A page", "ConferencePage")), &std)),
    });
    paths[format!("{base}/{{ConferenceSid}}.json")] = json!({
        "get": op("Fetch a conference", vec![acc(), conf()], None, responses((200, json_response("The conference", "Conference")), &std)),
        "post": op("End a conference (Status=completed)", vec![acc(), conf()], Some(form_body(false, end)), responses((200, json_response("Updated", "Conference")), &std)),
    });
    paths[format!("{base}/{{ConferenceSid}}/Participants.json")] = json!({
        "get": op("List a conference's participants", participants, None, responses((200, json_response("A page", "ParticipantPage")), &std)),
        "post": op("Dial a new participant straight into a conference", vec![acc(), conf()], Some(form_body(true, create)), responses((201, json_response("Created", "Participant")), &[400, 401, 403, 404])),
    });
    paths[format!("{base}/{{ConferenceSid}}/Participants/{{CallSid}}.json")] = json!({
        "get": op("Fetch a participant", vec![acc(), conf(), call()], None, responses((200, json_response("The participant", "Participant")), &std)),
        "post": op("Mute, hold, announce to or coach with a participant", vec![acc(), conf(), call()], Some(form_body(false, update)), responses((200, json_response("Updated", "Participant")), &std)),
        "delete": op("Remove a participant from its conference", vec![acc(), conf(), call()], None, responses((204, json!({"description": "Removed"})), &std)),
    });
}
