//! The node's routes in the OpenAPI document: the REST API's own
//! ([`switchyard_api::openapi`]) plus tenant Wasm apps, the event catalogue,
//! subscriptions, signed stream URLs, the streams themselves and client events.
//!
//! As precise as the API's: what a schema allows, the handler accepts, except where a
//! description says the value must name something that exists (a deployed app).

use serde_json::{json, Map, Value};
use switchyard_api::openapi::{
    created, form, form_body, json_response, nullable, obj, op, op_ref, path_param, query_param,
    reference, responses, sid_schema, string, url_schema,
};
use switchyard_events::{catalogue, signed};

const ACC: &str = "/v1/Accounts/{AccountSid}";

/// The whole document the node serves at `GET /openapi.json`.
pub fn document() -> Value {
    let mut doc = switchyard_api::openapi();
    if let Some(paths) = doc["paths"].as_object_mut() {
        paths.extend(object(paths_json()));
    }
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        schemas.extend(object(schemas_json()));
    }
    doc
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn acc() -> Value {
    path_param("AccountSid", "AC")
}

fn app_name() -> Value {
    json!({"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"})
}

/// One event type or pattern a subscription may name.
fn event_type() -> Value {
    let mut names = catalogue::all_names();
    names.push("*".into());
    names.sort();
    json!({"type": "string", "enum": names})
}

fn subscription_form() -> Value {
    json!({"type": "object", "properties": {
        "Types": {"description": "Event types or patterns (`call.*`); comma-separated or repeated", "allOf": [event_type()]},
        "Filter": {"description": "`Name=value` (equality) or `Name^=value` (prefix) on the call, account or a data field; repeatable", "type": "string", "pattern": "^[A-Za-z0-9_]{1,32}\\^?=[A-Za-z0-9+#*._-]{0,32}$"},
        "WasmFilter": {"description": "The name of a deployed event-filter app (400 when there is none); empty clears it", "type": "string", "pattern": "^$"},
        "SinkUrl": {"description": "A webhook that receives the events as signed POSTs; empty or absent: a stream subscription", "anyOf": [url_schema(), {"type": "string", "pattern": "^$"}]},
        "Ttl": ttl(),
    }})
}

fn ttl() -> Value {
    json!({"description": "Seconds until it expires", "type": "integer", "minimum": 1, "maximum": 86_400 * 365})
}

fn signed_url_form(inline: bool) -> Value {
    let mut f = if inline {
        subscription_form()
    } else {
        json!({"type": "object", "properties": {"Ttl": ttl()}})
    };
    if let Some(p) = f["properties"].as_object_mut() {
        p.remove("SinkUrl");
        p.insert("Publish".into(), json!({"description": "`true`: the stream's WebSocket or QUIC channel may also publish client events", "type": "string", "enum": ["true", "false"]}));
    }
    f
}

/// The query of a stream request: an inline subscription, stored ones, a signature.
fn stream_params() -> Vec<Value> {
    vec![
        acc(),
        query_param("types", string()),
        query_param("filter", string()),
        query_param("wasm_filter", string()),
        query_param("subscriptions", string()),
        query_param("last_event_id", string()),
        query_param(signed::KEY_ID, string()),
        query_param(signed::EXPIRES, json!({"type": "integer"})),
        query_param(signed::SIGNATURE, string()),
        query_param("publish", string()),
    ]
}

fn paths_json() -> Value {
    let apps = format!("{ACC}/Apps");
    let app = format!("{ACC}/Apps/{{Name}}");
    let subs = format!("{ACC}/Subscriptions");
    let sub = format!("{ACC}/Subscriptions/{{SubscriptionSid}}");
    let sub_params = || vec![acc(), path_param("SubscriptionSid", "ES")];
    let std = [400, 401, 404];
    // Any content type is taken; `application/wasm` is what the CLI sends.
    let upload = json!({"required": true, "description": "The component's bytes", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}});
    let deploy_params = vec![
        acc(),
        {
            let mut name = query_param("Name", app_name());
            name["required"] = true.into();
            name
        },
        query_param(
            "MemoryLimit",
            json!({"type": "integer", "minimum": 1 << 20, "maximum": 1 << 30}),
        ),
        query_param(
            "CpuMs",
            json!({"type": "integer", "minimum": 1, "maximum": 10_000}),
        ),
        query_param("HttpAllow", string()),
        query_param(
            "Kind",
            json!({"type": "string", "enum": ["call-handler", "event-filter", "transcoder"]}),
        ),
    ];
    let stream_ok =
        |description: &str, content: Value| json!({"description": description, "content": content});
    json!({
        "/v1/EventTypes": {
            "get": {"summary": "The event catalogue", "security": [], "responses": {"200": json_response("Every event type and verb", "EventTypeList")}},
        },
        apps.clone(): {
            "post": op("Deploy a new version of a Wasm app (the component's bytes as the body)", deploy_params, Some(upload), responses((201, json_response("Deployed", "WasmApp")), &std)),
            "get": op("List the account's Wasm apps", vec![acc()], None, responses((200, json_response("The apps", "WasmAppList")), &[401, 404])),
        },
        app: {
            "get": op("Fetch a Wasm app's current version", vec![acc(), json!({"name": "Name", "in": "path", "required": true, "schema": app_name()})], None, responses((200, json_response("The app", "WasmApp")), &[401, 404])),
            "delete": op("Delete a Wasm app, every version", vec![acc(), json!({"name": "Name", "in": "path", "required": true, "schema": app_name()})], None, responses((204, json!({"description": "Deleted"})), &std)),
        },
        subs.clone(): {
            "post": op("Subscribe to events: a stream subscription, or a webhook sink", vec![acc()], Some(form(subscription_form())), responses((201, created("Created", "Subscription", &[
                ("get", &op_ref(&sub, "get"), "SubscriptionSid"),
                ("patch", &op_ref(&sub, "patch"), "SubscriptionSid"),
                ("delete", &op_ref(&sub, "delete"), "SubscriptionSid"),
            ])), &std)),
            "get": op("List the account's subscriptions", vec![acc()], None, responses((200, json_response("The subscriptions", "SubscriptionList")), &[401, 404])),
        },
        sub.clone(): {
            "get": op("Fetch a subscription", sub_params(), None, responses((200, json_response("The subscription", "Subscription")), &[401, 404])),
            "patch": op("Change a subscription (the parameters sent)", sub_params(), Some(form(subscription_form())), responses((200, json_response("Changed", "Subscription")), &std)),
            "post": op("Change a subscription, as Twilio updates", sub_params(), Some(form(subscription_form())), responses((200, json_response("Changed", "Subscription")), &std)),
            "delete": op("Delete a subscription", sub_params(), None, responses((204, json!({"description": "Deleted"})), &[401, 404])),
        },
        format!("{sub}/SignedUrl"): {
            "post": op("A signed stream URL for a stream subscription, for a browser", sub_params(), Some(form(signed_url_form(false))), responses((200, json_response("The URL", "SignedUrl")), &std)),
        },
        format!("{ACC}/Events"): {
            "get": op("The event stream (Server-Sent Events): HTTP Basic or a signed URL; `Last-Event-ID` resumes", stream_params(), None, responses((200, stream_ok("Events, `id:` on each", json!({"text/event-stream": {"schema": string()}}))), &[400, 401, 403, 404])),
        },
        format!("{ACC}/Events/ws"): {
            "get": op("The event stream over WebSocket, with a control channel", stream_params(), None, responses((101, json!({"description": "Switching to WebSocket"})), &[400, 401, 403, 404])),
        },
        format!("{ACC}/Events/SignedUrl"): {
            "post": op("A signed stream URL with its subscription inline", vec![acc()], Some(form(signed_url_form(true))), responses((200, json_response("The URL", "SignedUrl")), &std)),
        },
        format!("{ACC}/Calls/{{CallSid}}/Events"): {
            "post": op("Publish a client event to a live call: its app receives it as its next request", vec![acc(), path_param("CallSid", "CA")], Some(form_body(true, obj(&["Name"], json!({
                "Name": {"type": "string", "minLength": 1, "maxLength": 64},
                "Data": {"description": "A JSON document of at most 16 KiB", "type": "string", "enum": ["{}", "{\"choice\":\"1\"}"]},
            })))), responses((202, json_response("Handed to the call", "ClientEventAccepted")), &[400, 401, 404, 409])),
        },
        format!("{ACC}/Usage/Modules"): {
            "get": op("Each module's use of the account's calls (and its subaccounts') over a window", {
                let mut p = switchyard_api::openapi::usage_params();
                p.retain(|q| q["name"] != "Category");
                p.push(query_param("Module", string()));
                p
            }, None, responses((200, json_response("Per-module sums", "ModuleUsage")), &[400, 401, 404])),
        },
        format!("{ACC}/Calls/{{CallSid}}/Modules"): {
            "get": op("The modules that controlled a call, in order, with their meters", vec![acc(), path_param("CallSid", "CA")], None, responses((200, json_response("The spans", "CallModules")), &[401, 404])),
        },
        "/console/events": {
            "get": {"summary": "The live events page (give it a signed URL as `stream`)", "security": [], "parameters": [query_param("stream", string())], "responses": {"200": {"description": "HTML", "content": {"text/html": {"schema": string()}}}}},
        },
    })
}

fn int() -> Value {
    json!({"type": "integer"})
}

fn module_kind() -> Value {
    json!({"type": "string", "enum": ["wasm", "webhook", "builtin"]})
}

fn schemas_json() -> Value {
    let date = string();
    json!({
        "EventTypeList": obj(&["event_types", "verbs"], json!({
            "event_types": {"type": "array", "items": obj(&["type", "description", "data"], json!({
                "type": string(), "description": string(), "data": {"type": "array", "items": string()},
            }))},
            "verbs": {"type": "array", "items": string()},
        })),
        "WasmApp": obj(&["account_sid", "name", "version", "sha256", "size", "memory_limit", "cpu_ms", "http_allow", "kind", "date_created", "uri"], json!({
            "account_sid": sid_schema("AC"),
            "name": app_name(),
            "version": {"type": "integer", "minimum": 1},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "size": {"type": "integer", "minimum": 0},
            "memory_limit": {"type": "integer"},
            "cpu_ms": {"type": "integer"},
            "http_allow": {"type": "array", "items": string()},
            "kind": {"type": "string", "enum": ["call-handler", "event-filter", "transcoder"]},
            "date_created": date,
            "uri": string(),
        })),
        "WasmAppList": obj(&["apps"], json!({"apps": {"type": "array", "items": reference("WasmApp")}})),
        "Subscription": obj(&["sid", "account_sid", "types", "filters", "wasm_filter", "sink_url", "expires_at", "date_created", "date_updated", "uri"], json!({
            "sid": sid_schema("ES"),
            "account_sid": sid_schema("AC"),
            "types": {"type": "array", "items": string()},
            "filters": {"type": "array", "items": string()},
            "wasm_filter": nullable(string()),
            "sink_url": nullable(string()),
            "expires_at": nullable(json!({"type": "integer"})),
            "date_created": string(),
            "date_updated": string(),
            "uri": string(),
            "stream_url": {"description": "A signed URL of this subscription's stream (stream subscriptions only)", "type": "string"},
            "stream_url_expires_at": {"type": "integer"},
        })),
        "SubscriptionList": obj(&["subscriptions"], json!({"subscriptions": {"type": "array", "items": reference("Subscription")}})),
        "SignedUrl": obj(&["url", "console_url", "expires_at"], json!({
            "url": string(), "console_url": string(), "expires_at": {"type": "integer"},
        })),
        "ModuleMeters": obj(&["duration_ms", "steps", "wasm_cpu_us", "webhook_requests", "webhook_latency_ms", "tts_characters", "media_ms", "bridged_ms", "errors", "recorded_ms"], json!({
            "duration_ms": int(), "steps": int(), "wasm_cpu_us": int(), "webhook_requests": int(),
            "webhook_latency_ms": int(), "tts_characters": int(), "media_ms": int(),
            "bridged_ms": int(), "errors": int(), "recorded_ms": int(),
        })),
        "ModuleUsage": obj(&["account_sid", "start_ms", "end_ms", "modules"], json!({
            "account_sid": sid_schema("AC"), "start_ms": int(), "end_ms": int(),
            "modules": {"type": "array", "items": obj(&["module", "kind", "calls", "spans", "meters"], json!({
                "module": string(), "kind": module_kind(), "calls": int(), "spans": int(), "meters": reference("ModuleMeters"),
            }))},
        })),
        "CallModules": obj(&["account_sid", "call_sid", "start_ms", "end_ms", "modules"], json!({
            "account_sid": sid_schema("AC"), "call_sid": sid_schema("CA"),
            "start_ms": nullable(int()), "end_ms": nullable(int()),
            "modules": {"type": "array", "items": obj(&["seq", "module", "kind", "version", "start_ms", "end_ms", "meters"], json!({
                "seq": int(), "module": string(), "kind": module_kind(), "version": nullable(int()),
                "start_ms": int(), "end_ms": int(), "meters": reference("ModuleMeters"),
            }))},
        })),
        "ClientEventAccepted": obj(&["call_sid", "name"], json!({"call_sid": sid_schema("CA"), "name": string()})),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_routes_are_documented_with_the_apis() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        let expected: &[(&str, &[&str])] = &[
            ("/v1/EventTypes", &["get"]),
            ("/v1/Accounts/{AccountSid}/Apps", &["get", "post"]),
            ("/v1/Accounts/{AccountSid}/Apps/{Name}", &["delete", "get"]),
            ("/v1/Accounts/{AccountSid}/Subscriptions", &["get", "post"]),
            (
                "/v1/Accounts/{AccountSid}/Subscriptions/{SubscriptionSid}",
                &["delete", "get", "patch", "post"],
            ),
            (
                "/v1/Accounts/{AccountSid}/Subscriptions/{SubscriptionSid}/SignedUrl",
                &["post"],
            ),
            ("/v1/Accounts/{AccountSid}/Events", &["get"]),
            ("/v1/Accounts/{AccountSid}/Events/ws", &["get"]),
            ("/v1/Accounts/{AccountSid}/Events/SignedUrl", &["post"]),
            (
                "/v1/Accounts/{AccountSid}/Calls/{CallSid}/Events",
                &["post"],
            ),
            ("/v1/Accounts/{AccountSid}/Usage/Modules", &["get"]),
            (
                "/v1/Accounts/{AccountSid}/Calls/{CallSid}/Modules",
                &["get"],
            ),
            ("/console/events", &["get"]),
            // One of the API's own, still there.
            (
                "/2010-04-01/Accounts/{AccountSid}/Calls.json",
                &["get", "post"],
            ),
        ];
        for (path, methods) in expected {
            let item = paths.get(*path).unwrap_or_else(|| panic!("{path} missing"));
            let mut got: Vec<&str> = item
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            got.sort();
            assert_eq!(got, *methods, "{path}");
        }
        // Every reference resolves, the API's schemas and the node's alike.
        let text = doc.to_string();
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            assert!(doc["components"]["schemas"].get(&name).is_some(), "{name}");
        }
        // Each catalogue type may be subscribed to, as the handler accepts it.
        let types = &paths["/v1/Accounts/{AccountSid}/Subscriptions"]["post"]["requestBody"]
            ["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]["Types"];
        let listed = types["allOf"][0]["enum"].as_array().unwrap();
        for t in listed {
            let t = t.as_str().unwrap();
            assert!(catalogue::is_known(t), "{t}");
        }
        assert!(listed.len() > 20);
    }
}
