//! What a subcommand prints: the same records as a table or as the API's JSON.

use serde_json::Value;

use super::table::{cell, Table, EMPTY};

/// Which resource a record is, deciding the table's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An IncomingPhoneNumber.
    Number,
    /// An Application.
    App,
    /// A Call.
    Call,
    /// A tenant Wasm app (latest version).
    WasmApp,
    /// An event subscription.
    Subscription,
    /// A minted signed stream URL.
    SignedUrl,
}

impl Kind {
    fn header(self) -> &'static [&'static str] {
        match self {
            Kind::Number => &["SID", "PHONE NUMBER", "FRIENDLY NAME", "VOICE", "METHOD"],
            Kind::App => &[
                "SID",
                "FRIENDLY NAME",
                "VOICE URL",
                "METHOD",
                "STATUS CALLBACK",
            ],
            Kind::WasmApp => &["NAME", "VERSION", "SHA-256", "SIZE", "CPU MS", "HTTP ALLOW"],
            Kind::Subscription => &["SID", "TYPES", "FILTERS", "WASM FILTER", "SINK", "EXPIRES"],
            Kind::SignedUrl => &["URL", "CONSOLE", "EXPIRES"],
            Kind::Call => &[
                "SID",
                "FROM",
                "TO",
                "STATUS",
                "DIRECTION",
                "START TIME",
                "DURATION",
            ],
        }
    }

    fn row(self, r: &Value) -> Vec<String> {
        match self {
            Kind::Number => vec![
                cell(r, "sid"),
                cell(r, "phone_number"),
                cell(r, "friendly_name"),
                number_voice(r),
                cell(r, "voice_method"),
            ],
            Kind::App => vec![
                cell(r, "sid"),
                cell(r, "friendly_name"),
                cell(r, "voice_url"),
                cell(r, "voice_method"),
                cell(r, "status_callback"),
            ],
            Kind::WasmApp => vec![
                cell(r, "name"),
                cell(r, "version"),
                cell(r, "sha256").chars().take(12).collect(),
                cell(r, "size"),
                cell(r, "cpu_ms"),
                joined(r, "http_allow"),
            ],
            Kind::Subscription => vec![
                cell(r, "sid"),
                joined(r, "types"),
                joined(r, "filters"),
                cell(r, "wasm_filter"),
                match cell(r, "sink_url") {
                    s if s == EMPTY => "stream".to_owned(),
                    s => s,
                },
                cell(r, "expires_at"),
            ],
            Kind::SignedUrl => vec![
                cell(r, "url"),
                cell(r, "console_url"),
                cell(r, "expires_at"),
            ],
            Kind::Call => vec![
                cell(r, "sid"),
                cell(r, "from"),
                cell(r, "to"),
                cell(r, "status"),
                cell(r, "direction"),
                cell(r, "start_time"),
                // Twilio sends seconds as a string; say the unit.
                match cell(r, "duration") {
                    d if d == EMPTY => d,
                    d => format!("{d}s"),
                },
            ],
        }
    }
}

/// A list field as `a,b`, or the empty mark.
fn joined(r: &Value, key: &str) -> String {
    r.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(",")
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| EMPTY.to_owned())
}

/// What answers a number's calls: an application takes precedence over the number's own
/// URL on Twilio, and a Wasm app is ours; show whichever is in force.
fn number_voice(r: &Value) -> String {
    let app = cell(r, "voice_application_sid");
    if app != EMPTY {
        return format!("app {app}");
    }
    let wasm = cell(r, "voice_wasm_app");
    if wasm != EMPTY {
        return format!("wasm {wasm}");
    }
    cell(r, "voice_url")
}

/// A subcommand's result.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Records of a list.
    List(Kind, Vec<Value>),
    /// One record (created, fetched or updated).
    One(Kind, Value),
    /// A record was deleted (the API answers without a body).
    Deleted(String),
}

impl Output {
    /// The text to print: a table, or with `json` the API's JSON (an array for lists;
    /// nothing for a delete, whose answer has no body).
    pub fn render(&self, json: bool) -> String {
        match (self, json) {
            (Output::List(_, records), true) => pretty(&Value::Array(records.clone())),
            (Output::One(_, record), true) => pretty(record),
            (Output::Deleted(_), true) => String::new(),
            (Output::List(kind, records), false) => table(*kind, records),
            (Output::One(kind, record), false) => table(*kind, std::slice::from_ref(record)),
            (Output::Deleted(sid), false) => format!("Deleted {sid}\n"),
        }
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    s.push('\n');
    s
}

fn table(kind: Kind, records: &[Value]) -> String {
    let mut t = Table::new(kind.header());
    for r in records {
        t.push(kind.row(r));
    }
    t.render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_render_as_tables_or_json_arrays() {
        let calls = vec![
            json!({"sid": "CA1", "from": "+1", "to": "+2", "status": "completed",
                   "direction": "outbound-api", "start_time": null, "duration": "12"}),
            json!({"sid": "CA2", "from": "+1", "to": "+3", "status": "queued",
                   "direction": "outbound-api", "start_time": null, "duration": null}),
        ];
        let out = Output::List(Kind::Call, calls.clone());
        let text = out.render(false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("SID  FROM  TO  STATUS"), "{text}");
        assert!(
            lines[1].contains("completed") && lines[1].ends_with("12s"),
            "{text}"
        );
        assert!(lines[2].ends_with('-'), "{text}");
        let parsed: Value = serde_json::from_str(&out.render(true)).unwrap();
        assert_eq!(parsed, Value::Array(calls));
    }

    #[test]
    fn number_shows_what_answers_it() {
        let url = json!({"voice_url": "http://a.test/v"});
        let app = json!({"voice_url": "http://a.test/v", "voice_application_sid": "AP1"});
        let wasm = json!({"voice_url": null, "voice_wasm_app": "ivr"});
        assert_eq!(number_voice(&url), "http://a.test/v");
        assert_eq!(number_voice(&app), "app AP1");
        assert_eq!(number_voice(&wasm), "wasm ivr");
    }

    #[test]
    fn deletes_say_what_went_and_print_no_json() {
        let out = Output::Deleted("PN1".into());
        assert_eq!(out.render(false), "Deleted PN1\n");
        assert_eq!(out.render(true), "");
    }
}
