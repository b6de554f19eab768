//! The Recording resource's part of the OpenAPI document: its schemas and paths,
//! added to the document [`crate::openapi`] builds.

use serde_json::{json, Value};

use crate::openapi::{
    form, form_body, json_response, nullable, obj, op, page_schema, path_param, query_param,
    responses, sid_schema, string, url_schema,
};

fn recording_schema() -> Value {
    obj(
        &[
            "account_sid",
            "api_version",
            "call_sid",
            "conference_sid",
            "channels",
            "date_created",
            "date_updated",
            "start_time",
            "duration",
            "sid",
            "price",
            "price_unit",
            "status",
            "source",
            "error_code",
            "track",
            "uri",
            "encryption_details",
            "subresource_uris",
            "media_url",
        ],
        json!({
            "account_sid": sid_schema("AC"),
            "api_version": string(),
            "call_sid": nullable(sid_schema("CA")),
            "conference_sid": nullable(sid_schema("CF")),
            "channels": {"type": "integer", "enum": [1, 2]},
            "date_created": string(),
            "date_updated": string(),
            "start_time": string(),
            "duration": nullable(string()),
            "sid": sid_schema("RE"),
            "price": nullable(string()),
            "price_unit": string(),
            "status": {"type": "string", "enum": ["in-progress", "paused", "stopped", "processing", "completed", "absent", "failed"]},
            "source": {"type": "string", "enum": ["RecordVerb", "DialVerb", "Conference", "OutboundAPI", "StartCallRecordingAPI", "StartConferenceRecordingAPI", "Trunking"]},
            "error_code": nullable(json!({"type": "integer"})),
            "track": {"type": "string", "enum": ["inbound", "outbound", "both"]},
            "uri": string(),
            "encryption_details": nullable(json!({"type": "object"})),
            "subresource_uris": {"type": "object"},
            "media_url": string(),
        }),
    )
}

fn page_params(acc: Value) -> Vec<Value> {
    let mut v = vec![acc];
    for (name, schema) in [
        (
            "PageSize",
            json!({"type": "integer", "minimum": 1, "maximum": 1000}),
        ),
        (
            "Page",
            json!({"type": "integer", "minimum": 0, "maximum": 0}),
        ),
        (
            "PageToken",
            json!({"type": "string", "pattern": "^PT-?[0-9]{1,18}_[A-Z]{2}[0-9a-f]{32}$"}),
        ),
        ("DateCreated", json!({"type": "string", "format": "date"})),
        ("DateCreated<", json!({"type": "string", "format": "date"})),
        ("DateCreated>", json!({"type": "string", "format": "date"})),
        ("IncludeSoftDeleted", json!({"type": "boolean"})),
    ] {
        v.push(query_param(name, schema));
    }
    v
}

fn media(content_type: &str) -> Value {
    json!({
        "description": "The media; a Range header gets 206 with Content-Range, or 416",
        "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
    })
}

/// Add the Recording resource's schemas and paths to `doc`.
pub(crate) fn extend(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    schemas["Recording"] = recording_schema();
    schemas["RecordingPage"] = page_schema("recordings", "Recording");

    let acc = || path_param("AccountSid", "AC");
    let call = || path_param("CallSid", "CA");
    let rec = || path_param("RecordingSid", "RE");
    let std = [400, 401, 403, 404, 409];
    let base = "/2010-04-01/Accounts/{AccountSid}";
    let mut list = page_params(acc());
    list.push(query_param("CallSid", sid_schema("CA")));
    list.push(query_param("ConferenceSid", sid_schema("CF")));
    let mut call_list = page_params(acc());
    call_list.push(call());
    let channels = || {
        query_param(
            "RequestedChannels",
            json!({"type": "integer", "enum": [1, 2]}),
        )
    };
    let start = json!({"type": "object", "properties": {
        "RecordingChannels": {"type": "string", "enum": ["mono", "dual"]},
        "RecordingTrack": {"type": "string", "enum": ["inbound", "outbound", "both"]},
        "Trim": {"type": "string", "enum": ["trim-silence", "do-not-trim"]},
        "RecordingStatusCallback": url_schema(),
        "RecordingStatusCallbackMethod": {"type": "string", "enum": ["GET", "POST"]},
        "RecordingStatusCallbackEvent": {"type": "string", "enum": ["in-progress", "completed", "absent", "in-progress completed"]},
    }});
    let update = json!({"type": "object", "required": ["Status"], "properties": {
        "Status": {"type": "string", "enum": ["paused", "in-progress", "stopped"]},
        "PauseBehavior": {"type": "string", "enum": ["skip", "silence"]},
    }});
    let deleted = || json!({"description": "Deleted with its media"});
    let paths = &mut doc["paths"];
    paths[format!("{base}/Recordings.json")] = json!({
        "get": op("List recordings, newest first", list, None, responses((200, json_response("A page", "RecordingPage")), &std)),
    });
    paths[format!("{base}/Recordings/{{RecordingSid}}.json")] = json!({
        "get": op("Fetch a recording", vec![acc(), rec()], None, responses((200, json_response("The recording", "Recording")), &std)),
        "delete": op("Delete a finished recording and its media", vec![acc(), rec()], None, responses((204, deleted()), &std)),
    });
    for (suffix, content_type) in [
        ("", "audio/x-wav"),
        (".wav", "audio/x-wav"),
        (".mp3", "audio/mpeg"),
    ] {
        paths[format!("{base}/Recordings/{{RecordingSid}}{suffix}")] = json!({
            "get": op("A completed recording's media", vec![acc(), rec(), channels()], None, responses((200, media(content_type)), &[400, 401, 403, 404, 416])),
            // The media's path is the recording's too (as on Twilio, without `.json`).
            "delete": op("Delete a finished recording and its media", vec![acc(), rec()], None, responses((204, deleted()), &std)),
        });
    }
    paths[format!("{base}/Calls/{{CallSid}}/Recordings.json")] = json!({
        "get": op("List a call's recordings, newest first", call_list, None, responses((200, json_response("A page", "RecordingPage")), &std)),
        "post": op("Start recording a call in progress", vec![acc(), call()], Some(form(start)), responses((201, json_response("Started", "Recording")), &[400, 401, 403, 404, 409, 501])),
    });
    paths[format!("{base}/Calls/{{CallSid}}/Recordings/{{RecordingSid}}.json")] = json!({
        "get": op("Fetch a call's recording", vec![acc(), call(), rec()], None, responses((200, json_response("The recording", "Recording")), &std)),
        "post": op("Pause, resume or stop a call's recording", vec![acc(), call(), rec()], Some(form_body(true, update)), responses((200, json_response("Updated", "Recording")), &[400, 401, 403, 404, 409, 501])),
        "delete": op("Delete a finished recording of a call and its media", vec![acc(), call(), rec()], None, responses((204, deleted()), &std)),
    });
}
