//! Modules: what controls a call at a moment, and what each used of it.
//!
//! A module is a tenant Wasm app (by name and version), a webhook application (the URL's
//! origin), or the node's built-ins (a call created with inline TwiML, the application
//! error message). Every hand-off closes the running span and opens the next, so a call's
//! spans follow each other without a gap: their durations add up to the time the call's
//! application ran. What happens during a span is metered on it.

use std::time::{Duration, Instant};

/// What kind of module controls the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModuleKind {
    Wasm,
    Webhook,
    BuiltIn,
}

impl ModuleKind {
    /// The name the API and events use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wasm => "wasm",
            Self::Webhook => "webhook",
            Self::BuiltIn => "builtin",
        }
    }
}

/// One module: its kind and its name (`app:NAME` for a Wasm app, the origin
/// `https://host:port` for a webhook, `builtin`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModuleId {
    pub kind: ModuleKind,
    pub name: String,
}

impl ModuleId {
    /// The node's own verbs (inline TwiML, the application-error message).
    pub fn built_in() -> Self {
        Self {
            kind: ModuleKind::BuiltIn,
            name: "builtin".into(),
        }
    }

    /// The module an absolute application URL names: `app://NAME/…` is the Wasm app
    /// NAME; an HTTP URL is the webhook application at its origin (scheme, host, port:
    /// the path is the application's own business, its userinfo a secret); anything
    /// else is built in.
    pub fn of_url(url: &str) -> Self {
        let Ok(u) = url::Url::parse(url) else {
            return Self::built_in();
        };
        match u.scheme() {
            "app" => Self {
                kind: ModuleKind::Wasm,
                name: format!("app:{}", u.host_str().unwrap_or_default()),
            },
            "http" | "https" => Self {
                kind: ModuleKind::Webhook,
                name: u.origin().ascii_serialization(),
            },
            _ => Self::built_in(),
        }
    }
}

/// A webhook application of the `Applications` resource: the webhook module at its
/// voice URL's origin is named by its `AP…` sid instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub sid: String,
    origin: String,
}

impl Application {
    /// The application `sid`, whose voice URL is `voice_url`.
    pub fn new(sid: impl Into<String>, voice_url: &str) -> Self {
        Self {
            sid: sid.into(),
            origin: ModuleId::of_url(voice_url).name,
        }
    }

    /// The module `url` names, this application's own being named by its sid.
    pub fn module_of(app: Option<&Self>, url: &str) -> ModuleId {
        let module = ModuleId::of_url(url);
        match app {
            Some(a) if module.kind == ModuleKind::Webhook && module.name == a.origin => ModuleId {
                kind: ModuleKind::Webhook,
                name: a.sid.clone(),
            },
            _ => module,
        }
    }
}

/// What a module used of the call during one span.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Meter {
    /// Documents requested from the module (a webhook request or a Wasm `handle` call,
    /// before fallbacks).
    pub steps: u32,
    /// Guest execution time of the module's Wasm steps, as the sandbox charged it.
    pub wasm_cpu: Duration,
    /// HTTP requests made to webhook applications (fallbacks included).
    pub webhook_requests: u32,
    /// Their time to a response, summed.
    pub webhook_latency: Duration,
    /// Characters of text synthesized to speech.
    pub tts_chars: u64,
    /// Time sounds played to the caller (speech, files, digits, silence).
    pub media: Duration,
    /// Time the caller was bridged to a dialled leg.
    pub bridged: Duration,
    /// Audio recorded (`<Record>` and whole-call recordings), charged to the module in
    /// control when each recording is finished.
    pub recorded: Duration,
    /// Application errors (failed requests, bad documents, unplayable sounds).
    pub errors: u32,
}

impl Meter {
    /// Both meters added.
    pub fn add(&mut self, other: &Meter) {
        self.steps += other.steps;
        self.wasm_cpu += other.wasm_cpu;
        self.webhook_requests += other.webhook_requests;
        self.webhook_latency += other.webhook_latency;
        self.tts_chars += other.tts_chars;
        self.media += other.media;
        self.bridged += other.bridged;
        self.recorded += other.recorded;
        self.errors += other.errors;
    }
}

/// What fetching one document cost, as the node measured it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepCost {
    /// HTTP requests made (primary, retry, fallback).
    pub webhook_requests: u32,
    pub webhook_latency: Duration,
    /// Guest time of the Wasm steps run.
    pub wasm_cpu: Duration,
    /// The version of the Wasm app that ran, when one did.
    pub version: Option<u32>,
}

impl StepCost {
    /// Both costs added (the version of the first that has one).
    pub fn add(&mut self, other: &StepCost) {
        self.webhook_requests += other.webhook_requests;
        self.webhook_latency += other.webhook_latency;
        self.wasm_cpu += other.wasm_cpu;
        self.version = self.version.or(other.version);
    }
}

/// One module's time in control of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleSpan {
    pub module: ModuleId,
    /// The Wasm app's version, once a step of it ran.
    pub version: Option<u32>,
    pub start: Instant,
    /// `None` while the module is in control.
    pub end: Option<Instant>,
    pub meter: Meter,
}

impl ModuleSpan {
    /// Its time in control, up to `now` while it lasts.
    pub fn duration(&self, now: Instant) -> Duration {
        self.end
            .unwrap_or(now)
            .saturating_duration_since(self.start)
    }
}

/// A hand-off, for the `call.module.left` / `call.module.entered` events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Left(ModuleSpan),
    Entered(ModuleId),
}

/// The ordered spans of one call.
#[derive(Debug, Clone, Default)]
pub struct Modules {
    spans: Vec<ModuleSpan>,
}

impl Modules {
    /// `module` takes control at `now`: the running span ends there (unless it is the
    /// same module, which keeps its span). Returns the transitions to publish.
    pub fn enter(&mut self, now: Instant, module: ModuleId) -> Vec<Transition> {
        if let Some(last) = self.spans.last() {
            if last.end.is_none() && last.module == module {
                return Vec::new();
            }
        }
        let mut out = Vec::new();
        if let Some(left) = self.close(now) {
            out.push(Transition::Left(left));
        }
        out.push(Transition::Entered(module.clone()));
        self.spans.push(ModuleSpan {
            module,
            version: None,
            start: now,
            end: None,
            meter: Meter::default(),
        });
        out
    }

    /// The call's application is over at `now`: the running span ends. Returns it.
    pub fn close(&mut self, now: Instant) -> Option<ModuleSpan> {
        let last = self.spans.last_mut().filter(|s| s.end.is_none())?;
        last.end = Some(now.max(last.start));
        Some(last.clone())
    }

    /// The meter of the module in control (none before the first hand-off).
    pub fn meter(&mut self) -> Option<&mut Meter> {
        self.spans
            .last_mut()
            .filter(|s| s.end.is_none())
            .map(|s| &mut s.meter)
    }

    /// A document's cost, charged to the module in control.
    pub fn charge(&mut self, cost: &StepCost) {
        let Some(last) = self.spans.last_mut().filter(|s| s.end.is_none()) else {
            return;
        };
        last.meter.webhook_requests += cost.webhook_requests;
        last.meter.webhook_latency += cost.webhook_latency;
        last.meter.wasm_cpu += cost.wasm_cpu;
        if cost.version.is_some() {
            last.version = cost.version;
        }
    }

    /// The spans so far, in order.
    pub fn spans(&self) -> &[ModuleSpan] {
        &self.spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_applications_webhook_is_named_by_its_sid_and_other_origins_by_theirs() {
        let app = Application::new("AP123", "https://user:pw@apps.example.com/voice");
        let own = Application::module_of(Some(&app), "https://apps.example.com/menu?d=1");
        assert_eq!(
            (own.kind, own.name.as_str()),
            (ModuleKind::Webhook, "AP123")
        );
        let other = Application::module_of(Some(&app), "https://billing.example.com/pay");
        assert_eq!(other.name, "https://billing.example.com");
        assert_eq!(
            Application::module_of(Some(&app), "app://ivr/").kind,
            ModuleKind::Wasm
        );
        assert_eq!(
            Application::module_of(None, "https://apps.example.com/menu").name,
            "https://apps.example.com"
        );
    }

    #[test]
    fn urls_name_their_module() {
        let wasm = ModuleId::of_url("app://ivr/start?x=1");
        assert_eq!(
            (wasm.kind, wasm.name.as_str()),
            (ModuleKind::Wasm, "app:ivr")
        );
        let hook = ModuleId::of_url("https://user:secret@example.com:8443/voice?a=b");
        assert_eq!(
            (hook.kind, hook.name.as_str()),
            (ModuleKind::Webhook, "https://example.com:8443")
        );
        assert_eq!(
            ModuleId::of_url("http://127.0.0.1/x").name,
            "http://127.0.0.1"
        );
        assert_eq!(ModuleId::of_url("").kind, ModuleKind::BuiltIn);
    }

    #[test]
    fn hand_offs_make_contiguous_spans_and_same_module_stays() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut m = Modules::default();
        assert_eq!(m.enter(t0, ModuleId::of_url("app://ivr/")).len(), 1);
        m.meter().unwrap().steps += 1;
        // A request to another path of the same app is no hand-off.
        assert!(m
            .enter(t0 + ms(5), ModuleId::of_url("app://ivr/next"))
            .is_empty());
        m.charge(&StepCost {
            wasm_cpu: ms(2),
            version: Some(3),
            ..StepCost::default()
        });
        let t = m.enter(t0 + ms(100), ModuleId::of_url("http://h:1/a"));
        let [Transition::Left(left), Transition::Entered(entered)] = &t[..] else {
            panic!("{t:?}")
        };
        assert_eq!(left.module.name, "app:ivr");
        assert_eq!(left.version, Some(3));
        assert_eq!(left.meter.wasm_cpu, ms(2));
        assert_eq!(left.duration(t0), ms(100));
        assert_eq!(entered.name, "http://h:1");
        m.charge(&StepCost {
            webhook_requests: 2,
            webhook_latency: ms(30),
            ..StepCost::default()
        });
        let last = m.close(t0 + ms(250)).unwrap();
        assert_eq!(last.meter.webhook_requests, 2);
        assert!(m.close(t0 + ms(300)).is_none(), "closed once");
        let total: Duration = m.spans().iter().map(|s| s.duration(t0)).sum();
        assert_eq!(total, ms(250));
        // Nothing is charged after the end.
        m.charge(&StepCost {
            webhook_requests: 1,
            ..StepCost::default()
        });
        assert_eq!(m.spans()[1].meter.webhook_requests, 2);
    }
}
