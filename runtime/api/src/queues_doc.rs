//! The Queue and Member resources' part of the OpenAPI document, added to the document
//! [`crate::openapi`] builds.

use serde_json::{json, Value};

use crate::openapi::{
    created, form, form_body, json_response, obj, op, op_ref, page_schema, paging_params,
    path_param, responses, sid_schema, string, url_schema,
};

fn queue_schema() -> Value {
    obj(
        &[
            "sid",
            "account_sid",
            "friendly_name",
            "current_size",
            "max_size",
            "average_wait_time",
            "date_created",
            "date_updated",
            "uri",
            "subresource_uris",
        ],
        json!({
            "sid": sid_schema("QU"),
            "account_sid": sid_schema("AC"),
            "friendly_name": string(),
            "current_size": {"type": "integer", "minimum": 0},
            "max_size": {"type": "integer", "minimum": 1, "maximum": 5000},
            "average_wait_time": {"type": "integer", "minimum": 0},
            "date_created": string(),
            "date_updated": string(),
            "uri": string(),
            "subresource_uris": {"type": "object"},
        }),
    )
}

fn member_schema() -> Value {
    obj(
        &[
            "call_sid",
            "queue_sid",
            "position",
            "wait_time",
            "date_enqueued",
            "uri",
        ],
        json!({
            "call_sid": sid_schema("CA"),
            "queue_sid": sid_schema("QU"),
            "position": {"type": "integer", "minimum": 1},
            "wait_time": {"type": "integer", "minimum": 0},
            "date_enqueued": string(),
            "uri": string(),
        }),
    )
}

/// Add the Queue and Member resources' schemas and paths to `doc`.
pub(crate) fn extend(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    schemas["Queue"] = queue_schema();
    schemas["QueuePage"] = page_schema("queues", "Queue");
    schemas["QueueMember"] = member_schema();
    schemas["QueueMemberPage"] = page_schema("queue_members", "QueueMember");

    let acc = || path_param("AccountSid", "AC");
    let queue = || path_param("QueueSid", "QU");
    let member = || {
        json!({"name": "CallSid", "in": "path", "required": true,
               "schema": {"type": "string", "pattern": "^(Front|CA[0-9a-f]{32})$"}})
    };
    let std = [400, 401, 403, 404, 501];
    let base = "/2010-04-01/Accounts/{AccountSid}";
    let one = format!("{base}/Queues/{{QueueSid}}.json");
    let with_paging = |mut v: Vec<Value>| {
        v.extend(paging_params());
        v
    };
    // Twilio: FriendlyName "up to 64 characters"; MaxSize at most 5000.
    let name =
        json!({"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9 _-]+$"});
    let size = json!({"type": "integer", "minimum": 1, "maximum": 5000});
    let create = json!({"type": "object", "required": ["FriendlyName"], "properties": {
        "FriendlyName": name, "MaxSize": size,
    }});
    let update = json!({"type": "object", "properties": {
        "FriendlyName": name, "MaxSize": size,
    }});
    let dequeue = json!({"type": "object", "required": ["Url"], "properties": {
        "Url": url_schema(),
        "Method": {"type": "string", "enum": ["GET", "POST"]},
    }});
    let paths = &mut doc["paths"];
    let links = [
        ("fetch", op_ref(&one, "get")),
        ("update", op_ref(&one, "post")),
        ("delete", op_ref(&one, "delete")),
    ];
    let links: Vec<(&str, &str, &str)> = links
        .iter()
        .map(|(n, r)| (*n, r.as_str(), "QueueSid"))
        .collect();
    paths[format!("{base}/Queues.json")] = json!({
        "get": op("List the account's queues, newest first", with_paging(vec![acc()]), None, responses((200, json_response("A page", "QueuePage")), &std)),
        "post": op("Create a queue", vec![acc()], Some(form_body(true, create)), responses((201, created("Created", "Queue", &links)), &std)),
    });
    paths[one.clone()] = json!({
        "get": op("Fetch a queue: its size now and its members' average wait", vec![acc(), queue()], None, responses((200, json_response("The queue", "Queue")), &std)),
        "post": op("Rename a queue or change its MaxSize", vec![acc(), queue()], Some(form(update)), responses((200, json_response("Updated", "Queue")), &std)),
        "delete": op("Delete a queue no caller waits in", vec![acc(), queue()], None, responses((204, json!({"description": "Deleted"})), &std)),
    });
    paths[format!("{base}/Queues/{{QueueSid}}/Members.json")] = json!({
        "get": op("List a queue's members, head of the queue first", with_paging(vec![acc(), queue()]), None, responses((200, json_response("A page", "QueueMemberPage")), &std)),
    });
    paths[format!("{base}/Queues/{{QueueSid}}/Members/{{CallSid}}.json")] = json!({
        "get": op("Fetch a member (Front: the head of the queue)", vec![acc(), queue(), member()], None, responses((200, json_response("The member", "QueueMember")), &std)),
        "post": op("Dequeue a member: its call continues at Url", vec![acc(), queue(), member()], Some(form_body(true, dequeue)), responses((200, json_response("The member dequeued", "QueueMember")), &std)),
    });
}
