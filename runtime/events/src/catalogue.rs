//! The catalogue of event types: what a subscriber can ask for, and what each carries.
//!
//! Verb events are `<verb>.started` and `<verb>.ended` for every TwiML verb the call
//! runs; `.ended` carries the verb's result (`Digits` and `FinishedOnKey` for Gather)
//! or `Interrupted` when a client event or a live redirect cut it short.

/// One entry of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventType {
    pub name: &'static str,
    pub description: &'static str,
    /// The `data` fields it carries.
    pub data: &'static [&'static str],
}

const fn t(
    name: &'static str,
    description: &'static str,
    data: &'static [&'static str],
) -> EventType {
    EventType {
        name,
        description,
        data,
    }
}

const CALL: &[&str] = &["From", "To", "Direction"];

/// What a conference event carries (Twilio's conference status callback parameters).
/// A whole-call recording's fields.
const RECORDING: &[&str] = &[
    "RecordingSid",
    "RecordingUrl",
    "RecordingStatus",
    "RecordingChannels",
    "RecordingSource",
    "RecordingTrack",
    "RecordingDuration",
];

const CONFERENCE: &[&str] = &["ConferenceSid", "FriendlyName", "StatusCallbackEvent"];

/// What a participant's conference event carries.
const PARTICIPANT: &[&str] = &[
    "ConferenceSid",
    "FriendlyName",
    "StatusCallbackEvent",
    "CallSid",
    "Muted",
    "Hold",
    "Coaching",
    "EndConferenceOnExit",
    "StartConferenceOnEnter",
];

/// What a presence event carries: whose, how many contacts remain live, and the
/// registering phone's `User-Agent`.
const PRESENCE: &[&str] = &["Identity", "ContactCount", "UserAgent"];

/// The verbs that publish `<verb>.started` and `<verb>.ended`.
pub const VERBS: &[&str] = &[
    "say", "play", "pause", "gather", "record", "dial", "redirect", "hangup", "reject",
];

/// Every event type the node publishes, but the verb events (see [`VERBS`]).
pub const CATALOGUE: &[EventType] = &[
    t(
        "call.initiated",
        "a call was received or an outbound call was placed",
        CALL,
    ),
    t("call.ringing", "the call is ringing", CALL),
    t("call.answered", "the call was answered", CALL),
    t(
        "call.completed",
        "the call ended after it was answered",
        &["CallStatus", "CallDuration"],
    ),
    t(
        "call.failed",
        "the call ended without being answered (busy, no-answer, failed, canceled)",
        &["CallStatus", "CallDuration"],
    ),
    t(
        "call.module.entered",
        "a module took control of the call: a Wasm app, a webhook application (by \
         origin) or the node's built-ins",
        &["Module", "ModuleKind"],
    ),
    t(
        "call.module.left",
        "a module handed the call on, or the call ended, with what it used while in \
         control",
        &[
            "Module",
            "ModuleKind",
            "Version",
            "DurationMs",
            "Steps",
            "WasmCpuUs",
            "WebhookRequests",
            "WebhookLatencyMs",
            "TtsCharacters",
            "MediaMs",
            "BridgedMs",
            "Errors",
            "RecordedMs",
        ],
    ),
    t(
        "conference.started",
        "a conference room started: its participants hear each other",
        CONFERENCE,
    ),
    t("conference.ended", "a conference room ended", CONFERENCE),
    t(
        "conference.participant.joined",
        "a call joined a conference room",
        PARTICIPANT,
    ),
    t(
        "conference.participant.left",
        "a call left a conference room",
        PARTICIPANT,
    ),
    t(
        "conference.participant.updated",
        "a participant was muted, held or made a coach, or the reverse",
        PARTICIPANT,
    ),
    t(
        "conference.participant.speech",
        "a participant started or stopped speaking",
        PARTICIPANT,
    ),
    t(
        "verb.started",
        "a verb started (`say.started`, `gather.started`, …)",
        &["Verb"],
    ),
    t(
        "verb.ended",
        "a verb ended (`gather.ended` carries Digits and FinishedOnKey, `dial.ended` the \
         Dial outcome)",
        &[
            "Verb",
            "Digits",
            "FinishedOnKey",
            "Interrupted",
            "DialCallStatus",
            "DialCallSid",
            "DialCallDuration",
            "DialBridged",
        ],
    ),
    t(
        "app.error",
        "the call's app failed (webhook error, Wasm trap, bad TwiML)",
        &["ErrorCode", "Message"],
    ),
    t(
        "webhook.failed",
        "a webhook or app request failed and the fallback is tried",
        &["Url", "ErrorCode", "Message"],
    ),
    t(
        "notification",
        "a notification was recorded for the account",
        &["ErrorCode", "Message", "Level"],
    ),
    t(
        "recording.started",
        "a whole-call recording started (`<Dial record>`, `Calls.create(Record=true)`, \
         the Recordings API)",
        RECORDING,
    ),
    t(
        "recording.updated",
        "a whole-call recording was paused, resumed or stopped through the API",
        &["RecordingSid", "RecordingStatus"],
    ),
    t(
        "recording.completed",
        "a whole-call recording is finished: completed, or absent when only silence was \
         heard",
        RECORDING,
    ),
    t(
        "queue.joined",
        "the caller joined a queue (`<Enqueue>`)",
        &["QueueSid", "QueueName", "QueuePosition", "CurrentQueueSize"],
    ),
    t(
        "queue.left",
        "the caller left its queue: bridged (after the bridge), hangup, leave, \
         queue-full, redirected, error or system-error",
        &["QueueResult", "QueueSid", "QueueTime"],
    ),
    t(
        "queue.bridged",
        "an agent's `<Dial><Queue>` took the caller and the two are connected",
        &["QueueSid", "DequeingCallSid", "QueueTime"],
    ),
    t(
        "client.event",
        "a client published an event to the call",
        &["EventName", "EventData"],
    ),
    t(
        "presence.registered",
        "a phone or client registered a new contact for an identity",
        PRESENCE,
    ),
    t(
        "presence.refreshed",
        "an identity's registration was renewed",
        PRESENCE,
    ),
    t(
        "presence.unregistered",
        "contacts of an identity were unregistered (ContactCount 0: unreachable)",
        PRESENCE,
    ),
    t(
        "presence.expired",
        "contacts of an identity lapsed without a refresh (ContactCount 0: unreachable)",
        PRESENCE,
    ),
    t(
        "stream.gap",
        "the events after `from` are no longer retained: what follows starts at `next`",
        &["from", "next", "reason"],
    ),
];

/// Whether `pattern` names catalogue events: an exact type (`gather.ended`), a family
/// (`call.*`, `gather.*`, `*.ended`) or everything (`*`).
pub fn is_known(pattern: &str) -> bool {
    let names = all_names();
    match pattern {
        "*" => true,
        p if p.ends_with(".*") => {
            let prefix = &p[..p.len() - 1];
            names.iter().any(|n| n.starts_with(prefix))
        }
        p if p.starts_with("*.") => names.iter().any(|n| n.ends_with(&p[1..])),
        p => names.iter().any(|n| n == p),
    }
}

/// Whether `event_type` matches `pattern` (as [`is_known`] spells patterns).
pub fn matches(pattern: &str, event_type: &str) -> bool {
    match pattern {
        "*" => true,
        p if p.ends_with(".*") => event_type.starts_with(&p[..p.len() - 1]),
        p if p.starts_with("*.") => event_type.ends_with(&p[1..]),
        p => p == event_type,
    }
}

/// Every concrete type name, verb events spelled out.
pub fn all_names() -> Vec<String> {
    let mut names: Vec<String> = CATALOGUE
        .iter()
        .filter(|t| !t.name.starts_with("verb."))
        .map(|t| t.name.to_owned())
        .collect();
    for v in VERBS {
        names.push(format!("{v}.started"));
        names.push(format!("{v}.ended"));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_name_known_families_only() {
        for ok in ["*", "call.*", "gather.ended", "*.ended", "client.event"] {
            assert!(is_known(ok), "{ok}");
        }
        for bad in ["calls.*", "gather.completed", "verb.started", "", "*.done"] {
            assert!(!is_known(bad), "{bad}");
        }
        assert!(matches("call.*", "call.answered"));
        assert!(!matches("call.*", "callx.answered"));
        assert!(matches("*.ended", "say.ended"));
        assert!(!matches("say.ended", "say.started"));
    }
}
