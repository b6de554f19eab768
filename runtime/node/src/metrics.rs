//! The node's Prometheus metrics, served at `GET /metrics` in the OpenMetrics text format.
//!
//! One named handle per series. Each is recorded where the node already observes the
//! fact (a call starting or ending, a webhook answering, a media task closing), and the
//! event router's own counters are read at scrape time rather than kept twice.

use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use switchyard_types::CallStatus;

/// The content type of [`Metrics::render`] (Prometheus 2 and later scrape it).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A call's final status, as a label.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct Outcome {
    pub status: String,
}

/// Why a call was refused before any work was spent on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct Rejection {
    pub reason: String,
}

/// Reasons for [`Metrics::rejected`].
pub mod reason {
    /// The node is draining for shutdown.
    pub const SHUTDOWN: &str = "shutdown";
    /// Every RTP port pair of the configured range is taken.
    pub const NO_RTP_PORT: &str = "no_rtp_port";
    /// Past capacity: the admission check refused a new INVITE (503 with Retry-After).
    pub const OVERLOAD: &str = "overload";
    /// The called number's account had `max_concurrent_calls` calls up (503).
    pub const ACCOUNT_CAP: &str = "account_cap";
}

/// What one RTP stream received, told when its media task ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamQuality {
    /// Packets expected from the far end (RFC 3550 A.3).
    pub expected: u64,
    /// Cumulative packets lost (A.3); negative when duplicates outnumber losses.
    pub lost: i64,
    /// Interarrival jitter (A.8), in RTP timestamp units.
    pub jitter: u32,
    pub clock_rate: u32,
}

/// Every series the node exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Calls whose session is running (inbound and outbound, dialled legs included).
    pub calls_active: Gauge<i64, AtomicI64>,
    /// Calls started: inbound INVITEs taken up, outbound calls dialled.
    pub calls_started: Counter,
    /// Calls ended, by final status.
    pub calls_ended: Family<Outcome, Counter>,
    /// From an inbound INVITE to the 200 OK that answers it.
    pub setup_seconds: Histogram,
    /// One request to an app's webhook, until its whole response is read.
    pub webhook_seconds: Histogram,
    /// One step of a tenant Wasm app.
    pub wasm_step_seconds: Histogram,
    pub rtp_expected: Counter,
    pub rtp_lost: Counter,
    /// Each stream's interarrival jitter when it ended.
    pub rtp_jitter_seconds: Histogram,
    /// Calls refused because the node could not take them (not the caller's fault).
    pub rejected: Family<Rejection, Counter>,
}

impl Metrics {
    /// The series, registered; `router` is read at each scrape for event deliveries.
    pub fn new(router: Arc<switchyard_events::Router>) -> Self {
        let mut registry = Registry::with_prefix("switchyard");
        let m = Self {
            calls_active: Gauge::default(),
            calls_started: Counter::default(),
            calls_ended: Family::default(),
            // 5 ms to about 20 s.
            setup_seconds: Histogram::new(exponential_buckets(0.005, 2.0, 13)),
            // 1 ms to about 16 s (the response timeout is 15 s).
            webhook_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 15)),
            // 50 µs to about 1.6 s.
            wasm_step_seconds: Histogram::new(exponential_buckets(0.000_05, 2.0, 16)),
            rtp_expected: Counter::default(),
            rtp_lost: Counter::default(),
            // 0.5 ms to about 250 ms.
            rtp_jitter_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 10)),
            rejected: Family::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register("calls_active", "Calls in progress", m.calls_active.clone());
        r.register(
            "calls_started",
            "Calls started (inbound INVITEs taken up, outbound calls dialled)",
            m.calls_started.clone(),
        );
        r.register(
            "calls_ended",
            "Calls ended, by final status",
            m.calls_ended.clone(),
        );
        r.register(
            "call_setup_seconds",
            "Time from an inbound INVITE to the 200 OK answering it",
            m.setup_seconds.clone(),
        );
        r.register(
            "webhook_request_seconds",
            "Time of one request to an app's webhook",
            m.webhook_seconds.clone(),
        );
        r.register(
            "wasm_step_seconds",
            "Time of one step of a tenant Wasm app",
            m.wasm_step_seconds.clone(),
        );
        r.register(
            "rtp_packets_expected",
            "RTP packets expected from far ends, counted when each stream ends",
            m.rtp_expected.clone(),
        );
        r.register(
            "rtp_packets_lost",
            "RTP packets lost from far ends, counted when each stream ends",
            m.rtp_lost.clone(),
        );
        r.register(
            "rtp_jitter_seconds",
            "Interarrival jitter of each RTP stream when it ended",
            m.rtp_jitter_seconds.clone(),
        );
        r.register(
            "overload_rejections",
            "Calls refused because the node could not take them, by reason",
            m.rejected.clone(),
        );
        registry.register_collector(Box::new(EventCounts(router)));
        // Every outcome and reason is exported from the start, at zero, so a rate or an
        // alert on one works before it first happens.
        for status in [
            CallStatus::Completed,
            CallStatus::Busy,
            CallStatus::NoAnswer,
            CallStatus::Failed,
            CallStatus::Canceled,
        ] {
            let _ = m.calls_ended.get_or_create(&Outcome {
                status: status.as_str().to_owned(),
            });
        }
        for r in [reason::SHUTDOWN, reason::NO_RTP_PORT] {
            let _ = m.rejected.get_or_create(&Rejection {
                reason: r.to_owned(),
            });
        }
        Self { registry, ..m }
    }

    /// The text a scrape returns.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    pub fn call_started(&self) {
        self.calls_active.inc();
        self.calls_started.inc();
    }

    pub fn call_ended(&self, status: CallStatus) {
        self.calls_ended
            .get_or_create(&Outcome {
                status: status.as_str().to_owned(),
            })
            .inc();
    }

    pub fn rejected(&self, reason: &str) {
        self.rejected
            .get_or_create(&Rejection {
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub fn stream_ended(&self, q: StreamQuality) {
        if q.expected == 0 || q.clock_rate == 0 {
            // Nothing was received: no loss or jitter to speak of.
            return;
        }
        self.rtp_expected.inc_by(q.expected);
        self.rtp_lost.inc_by(q.lost.max(0) as u64);
        self.rtp_jitter_seconds
            .observe(f64::from(q.jitter) / f64::from(q.clock_rate));
    }

    /// Await `work`, observing how long it took in `histogram`.
    pub async fn timed<T>(histogram: &Histogram, work: impl std::future::Future<Output = T>) -> T {
        let start = std::time::Instant::now();
        let out = work.await;
        observe(histogram, start.elapsed());
        out
    }
}

pub fn observe(histogram: &Histogram, d: Duration) {
    histogram.observe(d.as_secs_f64());
}

/// The event router's counts, read at each scrape.
#[derive(Debug)]
struct EventCounts(Arc<switchyard_events::Router>);

impl prometheus_client::collector::Collector for EventCounts {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let counts = self.0.counts();
        for (name, help, value) in [
            (
                "event_deliveries",
                "Events queued for subscribers (one per subscriber that asked)",
                counts.queued,
            ),
            (
                "event_drops",
                "Events a subscriber asked for but missed because its queue was full",
                counts.dropped,
            ),
        ] {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics() -> Metrics {
        Metrics::new(switchyard_events::Router::new(4))
    }

    fn line<'a>(text: &'a str, series: &str) -> Option<&'a str> {
        text.lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
    }

    #[test]
    fn calls_are_counted_by_outcome_and_the_active_gauge_follows_them() {
        let m = metrics();
        m.call_started();
        m.call_started();
        m.calls_active.dec();
        m.call_ended(CallStatus::Completed);
        m.call_ended(CallStatus::Busy);
        m.call_ended(CallStatus::Completed);
        let text = m.render();
        assert_eq!(
            line(&text, "switchyard_calls_active"),
            Some("switchyard_calls_active 1")
        );
        assert_eq!(
            line(&text, "switchyard_calls_started_total"),
            Some("switchyard_calls_started_total 2")
        );
        assert_eq!(
            line(&text, "switchyard_calls_ended_total{status=\"completed\"}"),
            Some("switchyard_calls_ended_total{status=\"completed\"} 2")
        );
        assert_eq!(
            line(&text, "switchyard_calls_ended_total{status=\"busy\"}"),
            Some("switchyard_calls_ended_total{status=\"busy\"} 1")
        );
        assert_eq!(
            line(&text, "switchyard_calls_ended_total{status=\"no-answer\"}"),
            Some("switchyard_calls_ended_total{status=\"no-answer\"} 0"),
            "outcomes not yet seen are exported at zero"
        );
        assert_eq!(
            line(
                &text,
                "switchyard_overload_rejections_total{reason=\"shutdown\"}"
            ),
            Some("switchyard_overload_rejections_total{reason=\"shutdown\"} 0")
        );
        assert!(text.ends_with("# EOF\n"), "OpenMetrics ends with EOF");
    }

    #[test]
    fn rtp_quality_is_counted_only_for_streams_that_received() {
        let m = metrics();
        m.stream_ended(StreamQuality::default());
        m.stream_ended(StreamQuality {
            expected: 100,
            lost: 3,
            jitter: 80,
            clock_rate: 8000,
        });
        let text = m.render();
        assert_eq!(
            line(&text, "switchyard_rtp_packets_lost_total"),
            Some("switchyard_rtp_packets_lost_total 3")
        );
        assert_eq!(
            line(&text, "switchyard_rtp_jitter_seconds_count"),
            Some("switchyard_rtp_jitter_seconds_count 1")
        );
        // 80 units at 8 kHz is 10 ms.
        assert_eq!(
            line(&text, "switchyard_rtp_jitter_seconds_sum"),
            Some("switchyard_rtp_jitter_seconds_sum 0.01")
        );
    }

    #[test]
    fn event_counts_come_from_the_router() {
        let text = metrics().render();
        assert_eq!(
            line(&text, "switchyard_event_deliveries_total"),
            Some("switchyard_event_deliveries_total 0")
        );
        assert_eq!(
            line(&text, "switchyard_event_drops_total"),
            Some("switchyard_event_drops_total 0")
        );
    }
}
