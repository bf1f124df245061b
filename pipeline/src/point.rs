//! The normalized measurement every raw format is converted into: one load point of one run,
//! latencies in milliseconds and the SPEC §3 definitions (NTPOT, TPOT, ITL, TTFT, E2E).
//! A metric a tool does not report, or that cannot be derived exactly, is `None`, never 0.

use crate::record_fields::RecordFields;
use crate::topology::Topology;
use crate::workload::WorkloadHint;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What the benchmarking tool controlled for this point (the curve's x-axis).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Load {
    /// A target request rate in req/s.
    Rate(f64),
    /// A fixed number of requests in flight.
    Concurrency(f64),
    /// As fast as possible (rate = inf, throughput mode).
    Unbounded,
}

impl Load {
    pub fn kind(&self) -> &'static str {
        match self {
            Load::Rate(_) => "rate",
            Load::Concurrency(_) => "concurrency",
            Load::Unbounded => "unbounded",
        }
    }

    /// The controlled value; `None` for unbounded load.
    pub fn value(&self) -> Option<f64> {
        match self {
            Load::Rate(v) | Load::Concurrency(v) => Some(*v),
            Load::Unbounded => None,
        }
    }

    pub fn from_kind(kind: &str, value: Option<f64>) -> Result<Self, String> {
        match (kind, value) {
            ("rate", Some(v)) if v.is_infinite() => Ok(Load::Unbounded),
            ("rate", Some(v)) => Ok(Load::Rate(v)),
            ("concurrency", Some(v)) => Ok(Load::Concurrency(v)),
            ("unbounded", _) => Ok(Load::Unbounded),
            ("rate" | "concurrency", None) => Err(format!("load kind `{kind}` needs a load value")),
            _ => Err(format!(
                "unknown load kind `{kind}` (expected rate, concurrency or unbounded)"
            )),
        }
    }
}

/// Summary statistics of one latency metric over a point's requests, in milliseconds.
/// Stored as four [`Figure`]s (32 bytes, not 64 as four `Option<f64>`): a point holds five, and
/// the analysis and site hold every point at once. Read with the accessors; built from, and
/// serialized as, [`LatencyStats`].
#[derive(Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "LatencyStats", into = "LatencyStats")]
pub struct Latency([Figure; 4]);

/// A latency's statistics as options: how a [`Latency`] is built and serialized.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyStats {
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
}

impl From<LatencyStats> for Latency {
    fn from(s: LatencyStats) -> Self {
        let mut l = Latency::default();
        l.set_mean(s.mean);
        l.set_p50(s.p50);
        l.set_p90(s.p90);
        l.set_p99(s.p99);
        l
    }
}

impl From<Latency> for LatencyStats {
    fn from(l: Latency) -> Self {
        LatencyStats {
            mean: l.mean(),
            p50: l.p50(),
            p90: l.p90(),
            p99: l.p99(),
        }
    }
}

impl fmt::Debug for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Latency")
            .field("mean", &self.mean())
            .field("p50", &self.p50())
            .field("p90", &self.p90())
            .field("p99", &self.p99())
            .finish()
    }
}

impl Latency {
    const MEAN: usize = 0;
    const P50: usize = 1;
    const P90: usize = 2;
    const P99: usize = 3;

    fn stat(&self, i: usize) -> Option<f64> {
        self.0[i].get()
    }

    pub fn mean(&self) -> Option<f64> {
        self.stat(Self::MEAN)
    }

    pub fn p50(&self) -> Option<f64> {
        self.stat(Self::P50)
    }

    pub fn p90(&self) -> Option<f64> {
        self.stat(Self::P90)
    }

    pub fn p99(&self) -> Option<f64> {
        self.stat(Self::P99)
    }

    fn set(&mut self, i: usize, v: Option<f64>) {
        self.0[i] = Figure::from(v);
    }

    pub fn set_mean(&mut self, v: Option<f64>) {
        self.set(Self::MEAN, v);
    }

    pub fn set_p50(&mut self, v: Option<f64>) {
        self.set(Self::P50, v);
    }

    pub fn set_p90(&mut self, v: Option<f64>) {
        self.set(Self::P90, v);
    }

    pub fn set_p99(&mut self, v: Option<f64>) {
        self.set(Self::P99, v);
    }

    /// Mean and percentiles of per-request samples (ms), percentiles interpolated linearly
    /// between ranks (numpy's default, which the Python tools use); `None` when empty.
    pub fn of_samples(mut samples: Vec<f64>) -> Option<Self> {
        samples.retain(|v| v.is_finite());
        if samples.is_empty() {
            return None;
        }
        samples.sort_by(f64::total_cmp);
        let rank = |q: f64| {
            let at = q * (samples.len() - 1) as f64;
            let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
            samples[lo] + (samples[hi] - samples[lo]) * (at - lo as f64)
        };
        Some(Self::from(LatencyStats {
            mean: Some(samples.iter().sum::<f64>() / samples.len() as f64),
            p50: Some(rank(0.5)),
            p90: Some(rank(0.9)),
            p99: Some(rank(0.99)),
        }))
    }

    /// Multiplies every statistic by `factor` (used to convert seconds to milliseconds), which
    /// must be finite and positive: a NaN product would read as "not reported".
    pub fn scaled(self, factor: f64) -> Self {
        debug_assert!(factor.is_finite() && factor > 0.0, "scale factor {factor}");
        // NaN, "not reported", stays NaN.
        Latency(self.0.map(|f| Figure(f.0 * factor)))
    }
}

/// A figure a tool may not report, stored as an `f64` with NaN for "not reported": 8 bytes
/// where an `Option<f64>` takes 16, and every stage holds every point. Compared, shown and
/// serialized as the option it stands for; read and set through its owner's accessors.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(from = "Option<f64>", into = "Option<f64>")]
struct Figure(f64);

impl Figure {
    const NONE: Figure = Figure(f64::NAN);

    fn get(self) -> Option<f64> {
        Some(self.0).filter(|v| !v.is_nan())
    }
}

impl Default for Figure {
    fn default() -> Self {
        Figure::NONE
    }
}

impl From<Option<f64>> for Figure {
    fn from(v: Option<f64>) -> Self {
        Figure(v.unwrap_or(f64::NAN))
    }
}

impl From<Figure> for Option<f64> {
    fn from(f: Figure) -> Self {
        f.get()
    }
}

impl PartialEq for Figure {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

/// A reader and a setter for each optional figure of a struct, as `Option<f64>`. A NaN given
/// to a setter is stored as "not reported", as a `Latency`'s is: it is no measurement.
macro_rules! figure_accessors {
    ($owner:ty { $($name:ident / $set:ident),* $(,)? }) => {
        impl $owner {
            $(
                pub fn $name(&self) -> Option<f64> {
                    self.$name.get()
                }

                pub fn $set(&mut self, v: Option<f64>) {
                    self.$name = Figure::from(v);
                }
            )*
        }
    };
}

/// The model server's own view during the point, from scraped Prometheus metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerMetrics {
    queue_len_mean: Figure,
    running_mean: Figure,
    /// Fraction of KV cache in use, 0..1.
    kv_cache_usage_mean: Figure,
}

figure_accessors!(ServerMetrics {
    queue_len_mean / set_queue_len_mean,
    running_mean / set_running_mean,
    kv_cache_usage_mean / set_kv_cache_usage_mean,
});

impl ServerMetrics {
    /// Mean queue length, mean running batch and mean KV cache usage (0..1), in that order.
    pub fn new(
        queue_len_mean: Option<f64>,
        running_mean: Option<f64>,
        kv_cache_usage_mean: Option<f64>,
    ) -> Self {
        ServerMetrics {
            queue_len_mean: queue_len_mean.into(),
            running_mean: running_mean.into(),
            kv_cache_usage_mean: kv_cache_usage_mean.into(),
        }
    }
}

/// One measured load point as a raw format reports it, before run metadata is attached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredPoint {
    /// The tool's own name for the point (vLLM nightly "Test name", a stage, a strategy).
    pub label: Option<String>,
    pub load: Load,
    /// Rate the tool actually sent, req/s, for tools that report it apart from the completion
    /// rate (inference-perf). Falls below the requested rate when the server cannot keep up.
    /// Tools that only report completions/duration leave it unknown: that figure includes the
    /// drain after the last request and would read as saturation at any load.
    achieved_rate: Figure,
    duration_s: Figure,
    pub completed: Option<i64>,
    pub failed: Option<i64>,
    requests_per_s: Figure,
    input_tokens_per_s: Figure,
    pub output_tokens_per_s: f64,
    total_tokens_per_s: Figure,
    mean_input_tokens: Figure,
    mean_output_tokens: Figure,
    pub ttft: Latency,
    pub ntpot: Latency,
    pub tpot: Latency,
    pub itl: Latency,
    pub e2e: Latency,
    pub server: ServerMetrics,
    /// The workload the record says it sent (dataset, requested lengths).
    #[serde(default)]
    pub workload: WorkloadHint,
    /// The record's own top-level settings and tags (not its measurements), as text: what
    /// `[[series]] match` selects on and what tells colliding points of one file apart
    /// (e.g. vLLM's `--metadata deployment=kvcache`).
    #[serde(default)]
    pub fields: RecordFields,
    /// The parallelism the record states (InferenceX's `tp`/`ep`, a disaggregated split).
    #[serde(default)]
    pub topology: Topology,
}

figure_accessors!(MeasuredPoint {
    achieved_rate / set_achieved_rate,
    duration_s / set_duration_s,
    requests_per_s / set_requests_per_s,
    input_tokens_per_s / set_input_tokens_per_s,
    total_tokens_per_s / set_total_tokens_per_s,
    mean_input_tokens / set_mean_input_tokens,
    mean_output_tokens / set_mean_output_tokens,
});

impl MeasuredPoint {
    /// A point with only its load and output throughput known; formats fill in the rest.
    pub fn new(load: Load, output_tokens_per_s: f64) -> Self {
        Self {
            label: None,
            load,
            achieved_rate: Figure::NONE,
            duration_s: Figure::NONE,
            completed: None,
            failed: None,
            requests_per_s: Figure::NONE,
            input_tokens_per_s: Figure::NONE,
            output_tokens_per_s,
            total_tokens_per_s: Figure::NONE,
            mean_input_tokens: Figure::NONE,
            mean_output_tokens: Figure::NONE,
            ttft: Latency::default(),
            ntpot: Latency::default(),
            tpot: Latency::default(),
            itl: Latency::default(),
            e2e: Latency::default(),
            server: ServerMetrics::default(),
            workload: WorkloadHint::default(),
            fields: RecordFields::default(),
            topology: Topology::default(),
        }
    }

    /// Requests per second at this point ([`Self::served_request_rate`]), else the requested
    /// rate. `None` for concurrency or unbounded loads without a measured rate.
    pub fn request_rate(&self) -> Option<f64> {
        self.served_request_rate().or(match self.load {
            Load::Rate(r) => Some(r),
            _ => None,
        })
    }

    /// The request rate tables show as QPS: completions per second as the tool measured them,
    /// else completions over the duration, else the rate the tool sent. The rate sent comes
    /// last because an open-loop generator sends on schedule while the server falls behind (a
    /// real inference-perf stage sent 86.9 req/s while 36.1 req/s completed). (The knee rule's
    /// figure, which discounts the drain, is `analysis::knee::achieved_rate`.)
    pub fn served_request_rate(&self) -> Option<f64> {
        self.requests_per_s()
            .or_else(|| match (self.completed, self.duration_s()) {
                (Some(c), Some(d)) if d > 0.0 => Some(c as f64 / d),
                _ => None,
            })
            .or(self.achieved_rate())
    }

    /// Output tokens per second per accelerator, over all `accelerators` of the deployment
    /// (both roles of a disaggregated one).
    pub fn output_tokens_per_s_per_accelerator(&self, accelerators: u32) -> f64 {
        self.output_tokens_per_s / f64::from(accelerators.max(1))
    }

    /// Output tokens per second one user sees (InferenceX's "interactivity"): 1000 ÷ TPOT, the
    /// decode speed, else 1000 ÷ NTPOT, with `stat` picking the statistic.
    pub fn per_user_tokens_per_s(&self, stat: impl Fn(&Latency) -> Option<f64>) -> Option<f64> {
        stat(&self.tpot)
            .or_else(|| stat(&self.ntpot))
            .filter(|ms| *ms > 0.0)
            .map(|ms| 1000.0 / ms)
    }

    /// Fills total throughput from input + output when the tool did not report it.
    pub fn with_derived_totals(mut self) -> Self {
        if self.total_tokens_per_s().is_none() {
            let total = self
                .input_tokens_per_s()
                .map(|i| i + self.output_tokens_per_s);
            self.set_total_tokens_per_s(total);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_latency_keeps_unreported_statistics_unreported() {
        let stats = LatencyStats {
            mean: Some(12.5),
            p50: None,
            p90: Some(0.0),
            p99: None,
        };
        let mut l = Latency::from(stats);
        assert_eq!(
            (l.mean(), l.p50(), l.p90(), l.p99()),
            (Some(12.5), None, Some(0.0), None)
        );
        assert_eq!(LatencyStats::from(l.scaled(1000.0)).p90, Some(0.0));
        assert_eq!(l.scaled(2.0).p50(), None);
        l.set_p50(Some(f64::NAN));
        assert_eq!(l.p50(), None, "NaN is not a measurement");
        l.set_p99(Some(30.0));
        assert_eq!(l.p99(), Some(30.0));
        assert_eq!(Latency::default(), Latency::from(LatencyStats::default()));
        assert_ne!(l, Latency::default());
    }

    #[test]
    fn optional_figures_read_compare_and_serialize_as_options() {
        let mut p = MeasuredPoint::new(Load::Rate(2.0), 100.0);
        p.set_achieved_rate(Some(0.0));
        p.set_duration_s(Some(f64::NAN));
        p.server.set_running_mean(Some(3.5));
        assert_eq!(p.achieved_rate(), Some(0.0), "zero is a measurement");
        assert_eq!(p.duration_s(), None, "NaN is not");
        assert_eq!(p.requests_per_s(), None);
        assert_eq!(p.server, ServerMetrics::new(None, Some(3.5), None));
        assert_eq!(p, p.clone());
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["achieved_rate"], serde_json::json!(0.0));
        assert_eq!(json["duration_s"], serde_json::Value::Null);
        assert_eq!(json["server"]["running_mean"], serde_json::json!(3.5));
        let back: MeasuredPoint = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
        let bytes = postcard::to_allocvec(&p).unwrap();
        assert_eq!(postcard::from_bytes::<MeasuredPoint>(&bytes).unwrap(), p);
        // Ten figures of 8 bytes where options took 16; the analysis holds every point.
        assert!(std::mem::size_of::<MeasuredPoint>() <= 464);
    }

    #[test]
    fn a_latency_serializes_as_its_options_and_stays_small() {
        let stats = LatencyStats {
            mean: Some(1.5),
            p50: None,
            p90: Some(2.0),
            p99: None,
        };
        let json = serde_json::to_string(&Latency::from(stats)).unwrap();
        assert_eq!(json, serde_json::to_string(&stats).unwrap());
        assert_eq!(
            serde_json::from_str::<Latency>(&json).unwrap(),
            Latency::from(stats)
        );
        let bytes = postcard::to_allocvec(&Latency::from(stats)).unwrap();
        assert_eq!(bytes, postcard::to_allocvec(&stats).unwrap());
        // Every point holds five; four options would be twice the size.
        assert_eq!(std::mem::size_of::<Latency>(), 32);
    }
}
