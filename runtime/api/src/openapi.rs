//! The OpenAPI 3.0 document of every route, served at `GET /openapi.json`.
//!
//! Precise enough for property-based testing: every pattern the handlers enforce is in
//! the schemas, so data valid by the document is accepted and data invalid by it is
//! refused. Paths keep Twilio's `.json` suffix as a literal part of the template.

use serde_json::{json, Map, Value};

const SID_HEX: &str = "[0-9a-f]{32}";

pub fn sid_schema(prefix: &str) -> Value {
    json!({"type": "string", "pattern": format!("^{prefix}{SID_HEX}$")})
}

pub fn nullable(schema: Value) -> Value {
    let mut s = schema;
    s["nullable"] = json!(true);
    s
}

pub fn string() -> Value {
    json!({"type": "string"})
}

/// Absolute http(s) URLs whose host is a name (never a bare number, which URL parsers
/// read as an IPv4 address).
pub fn url_schema() -> Value {
    json!({
        "type": "string",
        "pattern": "^https?://[a-z][a-z0-9-]{0,20}(\\.[a-z][a-z0-9-]{0,20}){0,3}(/[A-Za-z0-9._~-]{0,20}){0,4}$",
    })
}

/// What answers a call: a webhook URL or a Wasm app (`app:NAME`).
fn handler_schema() -> Value {
    let mut s = url_schema();
    let pattern = s["pattern"].as_str().unwrap_or_default().to_owned();
    s["pattern"] = json!(format!("^app:[A-Za-z0-9_-]{{1,64}}$|{pattern}"));
    s
}

/// A call handler a number or application may clear by sending it empty.
fn clearable_handler_schema() -> Value {
    let mut s = handler_schema();
    let pattern = s["pattern"].as_str().unwrap_or_default().to_owned();
    s["pattern"] = json!(format!("^$|{pattern}"));
    s
}

/// A URL a number or application may clear by sending it empty.
fn clearable_url_schema() -> Value {
    let mut s = url_schema();
    let pattern = s["pattern"].as_str().unwrap_or_default().to_owned();
    s["pattern"] = json!(format!("^$|{pattern}"));
    s
}

pub fn method_schema() -> Value {
    json!({"type": "string", "enum": ["GET", "POST", "get", "post"]})
}

fn e164_schema() -> Value {
    json!({"type": "string", "pattern": "^\\+[1-9][0-9]{1,14}$"})
}

fn friendly_name_schema() -> Value {
    json!({"type": "string", "maxLength": 64})
}

pub fn obj(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

pub fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

pub fn json_response(description: &str, schema: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": reference(schema)}}})
}

fn error_response(description: &str) -> Value {
    json_response(description, "Error")
}

/// The error responses every authenticated operation may give.
fn errors(codes: &[u16]) -> Map<String, Value> {
    let mut m = Map::new();
    for code in codes {
        let r = match code {
            400 => error_response("Invalid parameter; `message` names it"),
            401 => json!({
                "description": "Missing or wrong credentials (code 20003)",
                "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                "content": {"application/json": {"schema": reference("Error")}},
            }),
            403 => error_response("Not allowed for this account (codes 10001, 20403)"),
            404 => error_response(
                "No such resource, or one of an account the caller cannot reach (code 20404)",
            ),
            409 => error_response("The resource's state forbids it (codes 21220, 21422, 20409)"),
            429 => error_response("The outbound queue is full (code 20429)"),
            _ => continue,
        };
        m.insert(code.to_string(), r);
    }
    m
}

pub fn responses(ok: (u16, Value), codes: &[u16]) -> Value {
    let mut m = errors(codes);
    m.insert(ok.0.to_string(), ok.1);
    Value::Object(m)
}

pub fn path_param(name: &str, prefix: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": sid_schema(prefix)})
}

pub fn query_param(name: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema})
}

pub fn paging_params() -> Vec<Value> {
    vec![
        query_param(
            "PageSize",
            json!({"type": "integer", "minimum": 1, "maximum": 1000}),
        ),
        // Page beyond 0 only together with the PageToken of a next_page_uri.
        query_param(
            "Page",
            json!({"type": "integer", "minimum": 0, "maximum": 0}),
        ),
        // Only tokens from next_page_uri: "PT<date_created>_<sid>".
        query_param(
            "PageToken",
            json!({"type": "string", "pattern": "^PT-?[0-9]{1,18}_[A-Z]{2}[0-9a-f]{32}$"}),
        ),
    ]
}

/// A form body; `required` when the operation cannot do without one.
pub fn form_body(required: bool, schema: Value) -> Value {
    json!({"required": required, "content": {"application/x-www-form-urlencoded": {"schema": schema}}})
}

/// An optional form body (every field optional).
pub fn form(schema: Value) -> Value {
    form_body(false, schema)
}

/// `json_response` with OpenAPI links from the created resource to its own operations,
/// so stateful testing reaches real resources.
pub fn created(description: &str, schema: &str, links: &[(&str, &str, &str)]) -> Value {
    let mut r = json_response(description, schema);
    let mut m = Map::new();
    for (name, operation_ref, param) in links {
        m.insert((*name).into(), json!({
            "operationRef": operation_ref,
            "parameters": {
                "AccountSid": if *param == "AccountSid" { "$response.body#/sid" } else { "$response.body#/account_sid" },
                *param: "$response.body#/sid",
            },
        }));
    }
    r["links"] = Value::Object(m);
    r
}

/// A JSON pointer to an operation of `path` in this document.
pub fn op_ref(path: &str, method: &str) -> String {
    format!(
        "#/paths/{}/{method}",
        path.replace('~', "~0").replace('/', "~1")
    )
}

pub fn op(summary: &str, params: Vec<Value>, body: Option<Value>, responses: Value) -> Value {
    let mut o = json!({"summary": summary, "parameters": params, "responses": responses});
    if let Some(b) = body {
        o["requestBody"] = b;
    }
    o
}

pub fn page_schema(key: &str, item: &str) -> Value {
    let uri = string();
    obj(
        &[
            key,
            "page",
            "page_size",
            "start",
            "end",
            "uri",
            "first_page_uri",
            "next_page_uri",
            "previous_page_uri",
        ],
        json!({
            key: {"type": "array", "items": reference(item)},
            "page": {"type": "integer", "minimum": 0},
            "page_size": {"type": "integer", "minimum": 1, "maximum": 1000},
            "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 0},
            "uri": uri,
            "first_page_uri": string(),
            "next_page_uri": nullable(string()),
            "previous_page_uri": nullable(string()),
        }),
    )
}

fn voice_properties() -> Value {
    json!({
        "voice_url": nullable(string()),
        "voice_method": string(),
        "voice_fallback_url": nullable(string()),
        "voice_fallback_method": string(),
        "status_callback": nullable(string()),
        "status_callback_method": string(),
    })
}

fn voice_form() -> Map<String, Value> {
    let Value::Object(m) = json!({
        "FriendlyName": friendly_name_schema(),
        "VoiceUrl": clearable_handler_schema(),
        "VoiceMethod": method_schema(),
        "VoiceFallbackUrl": clearable_handler_schema(),
        "VoiceFallbackMethod": method_schema(),
        "StatusCallback": clearable_url_schema(),
        "StatusCallbackMethod": method_schema(),
    }) else {
        unreachable!("a JSON object literal")
    };
    m
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

fn schemas() -> Value {
    let date = string();
    let account = obj(
        &[
            "sid",
            "owner_account_sid",
            "friendly_name",
            "status",
            "type",
            "auth_token",
            "date_created",
            "date_updated",
            "uri",
            "subresource_uris",
        ],
        json!({
            "sid": sid_schema("AC"),
            "owner_account_sid": sid_schema("AC"),
            "friendly_name": string(),
            "status": {"type": "string", "enum": ["active", "suspended", "closed"]},
            "type": {"type": "string", "enum": ["Trial", "Full"]},
            "auth_token": string(),
            "date_created": date,
            "date_updated": string(),
            "uri": string(),
            "subresource_uris": {"type": "object", "additionalProperties": {"type": "string"}},
        }),
    );
    let call = obj(
        &[
            "sid",
            "account_sid",
            "to",
            "from",
            "status",
            "direction",
            "date_created",
            "date_updated",
            "uri",
        ],
        json!({
            "sid": sid_schema("CA"),
            "account_sid": sid_schema("AC"),
            "parent_call_sid": nullable(sid_schema("CA")),
            "phone_number_sid": nullable(sid_schema("PN")),
            "to": string(), "to_formatted": string(),
            "from": string(), "from_formatted": string(),
            "status": {"type": "string", "enum": ["queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"]},
            "direction": string(),
            "date_created": string(), "date_updated": string(),
            "start_time": nullable(string()), "end_time": nullable(string()),
            "duration": nullable(string()),
            "price": nullable(string()), "price_unit": string(),
            "answered_by": nullable(string()), "caller_name": nullable(string()),
            "forwarded_from": nullable(string()), "group_sid": nullable(string()),
            "trunk_sid": nullable(string()), "queue_time": string(),
            "annotation": nullable(string()),
            "api_version": string(), "uri": string(),
            "subresource_uris": {"type": "object"},
        }),
    );
    let number = obj(
        &[
            "sid",
            "account_sid",
            "phone_number",
            "friendly_name",
            "voice_method",
            "uri",
        ],
        with(
            voice_properties(),
            json!({
                "sid": sid_schema("PN"),
                "account_sid": sid_schema("AC"),
                "phone_number": e164_schema(),
                "friendly_name": string(),
                "voice_application_sid": nullable(sid_schema("AP")),
                "voice_wasm_app": nullable(string()),
                "voice_transcoder": nullable(json!({"type": "string", "pattern": "^app:[A-Za-z0-9_-]{1,64}$", "description": "Switchyard extension: the tenant transcoder app (Kind=transcoder) on the caller's leg, both directions"})),
                "voice_caller_id_lookup": {"type": "boolean"},
                "capabilities": {"type": "object", "additionalProperties": {"type": "boolean"}},
                "status": string(), "origin": string(), "api_version": string(),
                "date_created": string(), "date_updated": string(), "uri": string(),
            }),
        ),
    );
    let application = obj(
        &["sid", "account_sid", "friendly_name", "voice_method", "uri"],
        with(
            voice_properties(),
            json!({
                "sid": sid_schema("AP"),
                "account_sid": sid_schema("AC"),
                "friendly_name": string(),
                "voice_caller_id_lookup": {"type": "boolean"},
                "api_version": string(),
                "date_created": string(), "date_updated": string(), "uri": string(),
            }),
        ),
    );
    let notification = obj(
        &[
            "sid",
            "account_sid",
            "error_code",
            "log",
            "message_text",
            "date_created",
            "uri",
        ],
        json!({
            "sid": sid_schema("NO"),
            "account_sid": sid_schema("AC"),
            "call_sid": nullable(sid_schema("CA")),
            "api_version": string(),
            "error_code": string(), "log": {"type": "string", "enum": ["0", "1"]},
            "message_text": string(), "message_date": string(), "more_info": string(),
            "request_method": nullable(string()), "request_url": nullable(string()),
            "date_created": string(), "date_updated": string(), "uri": string(),
        }),
    );
    json!({
        "Error": obj(&["code", "message", "more_info", "status"], json!({
            "code": {"type": "integer"},
            "message": string(),
            "more_info": string(),
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
        })),
        "Account": account,
        "AccountPage": page_schema("accounts", "Account"),
        "Call": call,
        "CallPage": page_schema("calls", "Call"),
        "IncomingPhoneNumber": number,
        "IncomingPhoneNumberPage": page_schema("incoming_phone_numbers", "IncomingPhoneNumber"),
        "Application": application,
        "ApplicationPage": page_schema("applications", "Application"),
        "Notification": notification,
        "NotificationPage": page_schema("notifications", "Notification"),
        "UsageRecord": usage_record_schema(),
        "UsageRecordPage": page_schema("usage_records", "UsageRecord"),
        "SecondaryAuthToken": obj(&["account_sid", "secondary_auth_token", "date_created", "date_updated", "url"], json!({
            "account_sid": sid_schema("AC"), "secondary_auth_token": string(),
            "date_created": string(), "date_updated": string(), "url": string(),
        })),
        "AuthTokenPromotion": obj(&["account_sid", "auth_token", "date_created", "date_updated", "url"], json!({
            "account_sid": sid_schema("AC"), "auth_token": string(),
            "date_created": string(), "date_updated": string(), "url": string(),
        })),
    })
}

fn call_create_form() -> Value {
    let properties = json!({
        "To": {"type": "string", "pattern": "^(\\+[1-9][0-9]{1,14}|sip:[A-Za-z0-9._~+-]{1,32}@[A-Za-z0-9.-]{1,64})$"},
        "From": {"type": "string", "pattern": "^(\\+[1-9][0-9]{1,14}|client:[A-Za-z0-9_.-]{1,121})$"},
        "Url": handler_schema(),
        "Twiml": {"type": "string", "minLength": 1, "maxLength": 4000},
        "Method": method_schema(),
        "FallbackUrl": handler_schema(),
        "FallbackMethod": method_schema(),
        "StatusCallback": url_schema(),
        "StatusCallbackMethod": method_schema(),
        "StatusCallbackEvent": {"type": "array", "items": {"type": "string", "enum": ["initiated", "ringing", "answered", "completed"]}},
        "Timeout": {"type": "integer", "minimum": 1, "maximum": 600},
        // Record the whole call from its answer, with these settings.
        "Record": {"type": "string", "enum": ["true", "false"]},
        "RecordingChannels": {"type": "string", "enum": ["mono", "dual"]},
        "RecordingTrack": {"type": "string", "enum": ["inbound", "outbound", "both"]},
        "Trim": {"type": "string", "enum": ["trim-silence", "do-not-trim"]},
        "RecordingStatusCallback": url_schema(),
        "RecordingStatusCallbackMethod": method_schema(),
    });
    json!({
        "type": "object",
        "required": ["To", "From"],
        "properties": properties,
        // Exactly one of Url and Twiml.
        "oneOf": [{"required": ["Url"]}, {"required": ["Twiml"]}],
    })
}

fn call_update_form() -> Value {
    json!({
        "type": "object",
        "properties": {
            "Url": handler_schema(),
            "Method": method_schema(),
            "Twiml": {"type": "string", "minLength": 1, "maxLength": 4000},
            "Status": {"type": "string", "enum": ["completed", "canceled"]},
        },
        // A redirect (Url or Twiml, not both) or a status change, never both.
        "oneOf": [
            {"required": ["Url"], "not": {"anyOf": [{"required": ["Twiml"]}, {"required": ["Status"]}]}},
            {"required": ["Twiml"], "not": {"anyOf": [{"required": ["Url"]}, {"required": ["Status"]}]}},
            {"required": ["Status"], "not": {"anyOf": [{"required": ["Url"]}, {"required": ["Twiml"]}]}},
        ],
    })
}

fn number_form(create: bool) -> Value {
    let mut p = voice_form();
    // Empty clears either.
    p.insert(
        "VoiceApplicationSid".into(),
        json!({"type": "string", "pattern": format!("^$|^AP{SID_HEX}$")}),
    );
    p.insert(
        "VoiceWasmApp".into(),
        json!({"type": "string", "pattern": "^$|^[A-Za-z0-9_.-]{1,64}$"}),
    );
    // A Switchyard extension; empty clears it.
    p.insert(
        "VoiceTranscoder".into(),
        json!({"type": "string", "pattern": "^$|^app:[A-Za-z0-9_-]{1,64}$", "description": "Switchyard extension: `app:NAME`, a tenant transcoder app (Kind=transcoder) applied to the caller's leg in both directions; empty clears it"}),
    );
    let mut s = json!({"type": "object", "properties": p});
    if create {
        s["properties"]["PhoneNumber"] = e164_schema();
        s["required"] = json!(["PhoneNumber"]);
    }
    s
}

fn paths() -> Value {
    let acc = || path_param("AccountSid", "AC");
    let std = [400, 401, 403, 404, 409];
    let base = "/2010-04-01/Accounts/{AccountSid}";
    let mut call_list = vec![acc()];
    call_list.extend(paging_params());
    for (name, schema) in [
        ("To", string()),
        ("From", string()),
        (
            "Status",
            json!({"type": "string", "enum": ["queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"]}),
        ),
        ("StartTime", json!({"type": "string", "format": "date"})),
        ("StartTime>", json!({"type": "string", "format": "date"})),
        ("StartTime<", json!({"type": "string", "format": "date"})),
    ] {
        call_list.push(query_param(name, schema));
    }
    let mut number_list = vec![acc()];
    number_list.extend(paging_params());
    number_list.push(query_param("PhoneNumber", string()));
    number_list.push(query_param("FriendlyName", string()));
    let listed = || {
        let mut v = vec![acc()];
        v.extend(paging_params());
        v
    };
    json!({
        "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3.0", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/2010-04-01/Accounts.json": {
            "get": op("The caller's account and its subaccounts", paging_params(), None, responses((200, json_response("A page", "AccountPage")), &std)),
            "post": op("Create a subaccount", vec![], Some(form(json!({"type": "object", "properties": {"FriendlyName": friendly_name_schema()}}))), responses((201, created("Created", "Account", &[
                ("fetch", &op_ref("/2010-04-01/Accounts/{AccountSid}.json", "get"), "AccountSid"),
                ("update", &op_ref("/2010-04-01/Accounts/{AccountSid}.json", "post"), "AccountSid"),
            ])), &std)),
        },
        "/2010-04-01/Accounts/{AccountSid}.json": {
            "get": op("Fetch an account", vec![acc()], None, responses((200, json_response("The account", "Account")), &std)),
            "post": op("Update an account", vec![acc()], Some(form(json!({"type": "object", "properties": {
                "FriendlyName": friendly_name_schema(),
                "Status": {"type": "string", "enum": ["active", "suspended", "closed"]},
            }}))), responses((200, json_response("Updated", "Account")), &std)),
        },
        format!("{base}/Calls.json"): {
            "get": op("List calls, newest first", call_list, None, responses((200, json_response("A page", "CallPage")), &std)),
            "post": op("Queue an outbound call", vec![acc()], Some(form_body(true, call_create_form())), responses((201, created("Queued", "Call", &[("get", &op_ref(&format!("{base}/Calls/{{CallSid}}.json"), "get"), "CallSid"), ("post", &op_ref(&format!("{base}/Calls/{{CallSid}}.json"), "post"), "CallSid")])), &[400, 401, 403, 404, 409, 429])),
        },
        format!("{base}/Calls/{{CallSid}}.json"): {
            "get": op("Fetch a call", vec![acc(), path_param("CallSid", "CA")], None, responses((200, json_response("The call", "Call")), &std)),
            "post": op("Redirect, hang up or cancel a call", vec![acc(), path_param("CallSid", "CA")], Some(form_body(true, call_update_form())), responses((200, json_response("Updated", "Call")), &std)),
        },
        format!("{base}/IncomingPhoneNumbers.json"): {
            "get": op("List numbers", number_list, None, responses((200, json_response("A page", "IncomingPhoneNumberPage")), &std)),
            "post": op("Add a number", vec![acc()], Some(form_body(true, number_form(true))), responses((201, created("Created", "IncomingPhoneNumber", &[("get", &op_ref(&format!("{base}/IncomingPhoneNumbers/{{PhoneNumberSid}}.json"), "get"), "PhoneNumberSid"), ("post", &op_ref(&format!("{base}/IncomingPhoneNumbers/{{PhoneNumberSid}}.json"), "post"), "PhoneNumberSid"), ("delete", &op_ref(&format!("{base}/IncomingPhoneNumbers/{{PhoneNumberSid}}.json"), "delete"), "PhoneNumberSid")])), &std)),
        },
        format!("{base}/IncomingPhoneNumbers/{{PhoneNumberSid}}.json"): {
            "get": op("Fetch a number", vec![acc(), path_param("PhoneNumberSid", "PN")], None, responses((200, json_response("The number", "IncomingPhoneNumber")), &std)),
            "post": op("Update a number", vec![acc(), path_param("PhoneNumberSid", "PN")], Some(form(number_form(false))), responses((200, json_response("Updated", "IncomingPhoneNumber")), &std)),
            "delete": op("Release a number", vec![acc(), path_param("PhoneNumberSid", "PN")], None, responses((204, json!({"description": "Deleted"})), &std)),
        },
        format!("{base}/Applications.json"): {
            "get": op("List applications", listed(), None, responses((200, json_response("A page", "ApplicationPage")), &std)),
            "post": op("Create an application", vec![acc()], Some(form(json!({"type": "object", "properties": voice_form()}))), responses((201, created("Created", "Application", &[("get", &op_ref(&format!("{base}/Applications/{{ApplicationSid}}.json"), "get"), "ApplicationSid"), ("post", &op_ref(&format!("{base}/Applications/{{ApplicationSid}}.json"), "post"), "ApplicationSid"), ("delete", &op_ref(&format!("{base}/Applications/{{ApplicationSid}}.json"), "delete"), "ApplicationSid")])), &std)),
        },
        format!("{base}/Applications/{{ApplicationSid}}.json"): {
            "get": op("Fetch an application", vec![acc(), path_param("ApplicationSid", "AP")], None, responses((200, json_response("The application", "Application")), &std)),
            "post": op("Update an application", vec![acc(), path_param("ApplicationSid", "AP")], Some(form(json!({"type": "object", "properties": voice_form()}))), responses((200, json_response("Updated", "Application")), &std)),
            "delete": op("Delete an application", vec![acc(), path_param("ApplicationSid", "AP")], None, responses((204, json!({"description": "Deleted"})), &std)),
        },
        format!("{base}/Usage/Records.json"): {
            "get": op("Usage by category over a window (all time by default)", usage_params(), None, responses((200, json_response("The records", "UsageRecordPage")), &std)),
        },
        format!("{base}/Usage/Records/AllTime.json"): usage_period("all time"),
        format!("{base}/Usage/Records/Daily.json"): usage_period("one record per UTC day"),
        format!("{base}/Usage/Records/Monthly.json"): usage_period("one record per month"),
        format!("{base}/Usage/Records/Yearly.json"): usage_period("one record per year"),
        format!("{base}/Usage/Records/Today.json"): usage_period("today"),
        format!("{base}/Usage/Records/Yesterday.json"): usage_period("yesterday"),
        format!("{base}/Usage/Records/ThisMonth.json"): usage_period("this month"),
        format!("{base}/Usage/Records/LastMonth.json"): usage_period("last month"),
        format!("{base}/Notifications.json"): {
            "get": op("List notifications", listed(), None, responses((200, json_response("A page", "NotificationPage")), &std)),
        },
        format!("{base}/Notifications/{{NotificationSid}}.json"): {
            "get": op("Fetch a notification", vec![acc(), path_param("NotificationSid", "NO")], None, responses((200, json_response("The notification", "Notification")), &std)),
        },
        "/v1/AuthTokens/Secondary": {
            "post": op("Create a secondary auth token (shown once)", vec![], None, responses((201, json_response("Created", "SecondaryAuthToken")), &[401])),
            "delete": op("Delete the secondary auth token", vec![], None, responses((204, json!({"description": "Deleted"})), &[401, 404])),
        },
        "/v1/AuthTokens/Promote": {
            "post": op("Make the secondary token the primary one", vec![], None, responses((200, json_response("Promoted", "AuthTokenPromotion")), &[401, 404])),
        },
    })
}

/// `StartDate`, `EndDate` (a day or `±Ndays`), `Category`, `IncludeSubaccounts`.
pub fn usage_params() -> Vec<Value> {
    // A calendar date, or a day count relative to today (`-30days`).
    let day = json!({"anyOf": [
        {"type": "string", "format": "date"},
        {"type": "string", "pattern": "^[+-][0-9]{1,3}days$"},
    ]});
    vec![
        path_param("AccountSid", "AC"),
        query_param(
            "Category",
            json!({"type": "string", "enum": ["calls", "calls-inbound", "calls-outbound", "recordings", "tts"]}),
        ),
        query_param("StartDate", day.clone()),
        query_param("EndDate", day),
        query_param(
            "IncludeSubaccounts",
            json!({"type": "string", "enum": ["true", "false"]}),
        ),
    ]
}

fn usage_period(what: &str) -> Value {
    json!({"get": op(&format!("Usage by category: {what}"), usage_params(), None, responses((200, json_response("The records", "UsageRecordPage")), &[400, 401, 403, 404, 409]))})
}

fn usage_record_schema() -> Value {
    let s = string();
    obj(
        &[
            "account_sid",
            "api_version",
            "as_of",
            "category",
            "description",
            "start_date",
            "end_date",
            "count",
            "count_unit",
            "usage",
            "usage_unit",
            "price",
            "price_unit",
            "uri",
            "subresource_uris",
        ],
        json!({
            "account_sid": sid_schema("AC"), "api_version": s, "as_of": s, "category": s,
            "description": s, "start_date": s, "end_date": s, "count": s, "count_unit": s,
            "usage": s, "usage_unit": s, "price": s, "price_unit": s, "uri": s,
            "subresource_uris": {"type": "object"},
        }),
    )
}

/// The OpenAPI 3.0 description of the API.
pub fn openapi() -> Value {
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Switchyard REST API",
            "version": "2010-04-01",
            "description": "Twilio-compatible REST API. Authentication is HTTP Basic AccountSid:AuthToken (primary or secondary token). A caller acts on its own account and its subaccounts; any other account in a path is answered 404 exactly like an unknown one, so other tenants' SIDs cannot be probed.",
        },
        "components": {
            "securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"}},
            "schemas": schemas(),
        },
        "security": [{"basicAuth": []}],
        "paths": paths(),
    });
    crate::recordings_doc::extend(&mut doc);
    crate::queues_doc::extend(&mut doc);
    crate::conferences_doc::extend(&mut doc);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_resolves() {
        let doc = openapi();
        let text = doc.to_string();
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            assert!(doc["components"]["schemas"].get(&name).is_some(), "{name}");
        }
    }
}
