//! Per-module metering: the executor records each hand-off and charges what happens to
//! the module in control (see [`crate::modules`]).

use std::time::{Duration, Instant};

use super::{Executor, MediaSource, MediaToken};
use crate::events::EventKind;
use crate::modules::{ModuleId, ModuleSpan, StepCost, Transition};

impl Executor {
    /// The same executor, metering modules or not (`[metering] enabled`).
    pub fn with_metering(mut self, enabled: bool) -> Self {
        self.metering = enabled;
        self
    }

    /// The modules that controlled the call so far, in order.
    pub fn modules(&self) -> &[ModuleSpan] {
        self.modules.spans()
    }

    /// What fetching the document that arrives next cost (the node measures it): charged
    /// to the module in control.
    pub fn charge(&mut self, cost: &StepCost) {
        if self.metering {
            self.modules.charge(cost);
        }
    }

    /// The requested document failed (an error of the module asked) and the fallback at
    /// `url` answered instead: the fallback takes control (its own span, its step and what its request cost), and
    /// the document's relative URLs resolve against it.
    pub fn fallback_answered(&mut self, url: &str, cost: &StepCost) {
        let url = super::app_url(url);
        if self.metering {
            // The module asked failed: its error.
            self.meter_error();
            self.hand_off(crate::modules::Application::module_of(
                self.application.as_ref(),
                &url,
            ));
            self.meter_step();
            self.modules.charge(cost);
        }
        self.document_url = url;
    }

    pub(crate) fn tick(&mut self, now: Instant) {
        self.clock = Some(self.clock.map_or(now, |c| c.max(now)));
    }

    fn now(&self) -> Instant {
        self.clock.or(self.started).unwrap_or_else(Instant::now)
    }

    /// `module` takes control now: `call.module.left` for the one that had it,
    /// `call.module.entered` for this one.
    pub(crate) fn hand_off(&mut self, module: ModuleId) {
        if !self.metering {
            return;
        }
        let now = self.now();
        for t in self.modules.enter(now, module) {
            self.publish_transition(now, t);
        }
    }

    /// The call's application is over: the module in control leaves.
    pub(crate) fn end_modules(&mut self) {
        if !self.metering {
            return;
        }
        self.meter_media_end(None);
        let now = self.now();
        if let Some(left) = self.modules.close(now) {
            self.publish_transition(now, Transition::Left(left));
        }
    }

    pub(crate) fn meter_step(&mut self) {
        if let Some(m) = self.meter() {
            m.steps += 1;
        }
    }

    pub(crate) fn meter_error(&mut self) {
        if let Some(m) = self.meter() {
            m.errors += 1;
        }
    }

    pub(crate) fn meter_recorded(&mut self, recorded: Duration) {
        if let Some(m) = self.meter() {
            m.recorded += recorded;
        }
    }

    pub(crate) fn meter_bridged(&mut self, bridged: Duration) {
        if let Some(m) = self.meter() {
            m.bridged += bridged;
        }
    }

    /// A sound starts: speech counts its characters; its time counts until it ends.
    pub(crate) fn meter_play(&mut self, token: MediaToken, source: &MediaSource) {
        if !self.metering {
            return;
        }
        self.meter_media_end(None);
        if let (MediaSource::Speech { text, .. }, Some(m)) = (source, self.meter()) {
            m.tts_chars += text.chars().count() as u64;
        }
        self.playing = Some((token, self.now()));
    }

    /// The sound `token` (or whatever plays, for `None`) ended or was stopped.
    pub(crate) fn meter_media_end(&mut self, token: Option<MediaToken>) {
        let Some((playing, since)) = self.playing else {
            return;
        };
        if token.is_some_and(|t| t != playing) {
            return;
        }
        self.playing = None;
        let played = self.now().saturating_duration_since(since);
        if let Some(m) = self.meter() {
            m.media += played;
        }
    }

    fn meter(&mut self) -> Option<&mut crate::modules::Meter> {
        if !self.metering {
            return None;
        }
        self.modules.meter()
    }

    fn publish_transition(&mut self, now: Instant, t: Transition) {
        let (kind, data) = match t {
            Transition::Entered(module) => (
                EventKind::ModuleEntered,
                vec![
                    ("Module".to_owned(), module.name),
                    ("ModuleKind".to_owned(), module.kind.as_str().to_owned()),
                ],
            ),
            Transition::Left(span) => (EventKind::ModuleLeft, left_data(&span, now)),
        };
        self.event(kind, data);
    }
}

/// The `call.module.left` fields: the module and its meters.
fn left_data(span: &ModuleSpan, now: Instant) -> Vec<(String, String)> {
    let m = &span.meter;
    let mut data = vec![
        ("Module".to_owned(), span.module.name.clone()),
        (
            "ModuleKind".to_owned(),
            span.module.kind.as_str().to_owned(),
        ),
    ];
    if let Some(v) = span.version {
        data.push(("Version".to_owned(), v.to_string()));
    }
    for (k, v) in [
        ("DurationMs", span.duration(now).as_millis() as u64),
        ("Steps", u64::from(m.steps)),
        ("WasmCpuUs", m.wasm_cpu.as_micros() as u64),
        ("WebhookRequests", u64::from(m.webhook_requests)),
        ("WebhookLatencyMs", m.webhook_latency.as_millis() as u64),
        ("TtsCharacters", m.tts_chars),
        ("MediaMs", m.media.as_millis() as u64),
        ("BridgedMs", m.bridged.as_millis() as u64),
        ("Errors", u64::from(m.errors)),
        ("RecordedMs", m.recorded.as_millis() as u64),
    ] {
        data.push((k.to_owned(), v.to_string()));
    }
    data
}
