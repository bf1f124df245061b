//! The normalized measurement every raw format is converted into: one load point of one run,
//! latencies in milliseconds and the SPEC §3 definitions (NTPOT, TPOT, ITL, TTFT, E2E).
//! A metric a tool does not report, or that cannot be derived exactly, is `None`, never 0.

use crate::topology::Topology;
use crate::workload::WorkloadHint;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
}

impl Latency {
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
        Some(Self {
            mean: Some(samples.iter().sum::<f64>() / samples.len() as f64),
            p50: Some(rank(0.5)),
            p90: Some(rank(0.9)),
            p99: Some(rank(0.99)),
        })
    }

    /// Multiplies every statistic by `factor` (used to convert seconds to milliseconds).
    pub fn scaled(self, factor: f64) -> Self {
        let s = |v: Option<f64>| v.map(|x| x * factor);
        Self {
            mean: s(self.mean),
            p50: s(self.p50),
            p90: s(self.p90),
            p99: s(self.p99),
        }
    }
}

/// The model server's own view during the point, from scraped Prometheus metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerMetrics {
    pub queue_len_mean: Option<f64>,
    pub running_mean: Option<f64>,
    /// Fraction of KV cache in use, 0..1.
    pub kv_cache_usage_mean: Option<f64>,
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
    pub achieved_rate: Option<f64>,
    pub duration_s: Option<f64>,
    pub completed: Option<i64>,
    pub failed: Option<i64>,
    pub requests_per_s: Option<f64>,
    pub input_tokens_per_s: Option<f64>,
    pub output_tokens_per_s: f64,
    pub total_tokens_per_s: Option<f64>,
    pub mean_input_tokens: Option<f64>,
    pub mean_output_tokens: Option<f64>,
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
    pub fields: BTreeMap<String, String>,
    /// The parallelism the record states (InferenceX's `tp`/`ep`, a disaggregated split).
    #[serde(default)]
    pub topology: Topology,
}

impl MeasuredPoint {
    /// A point with only its load and output throughput known; formats fill in the rest.
    pub fn new(load: Load, output_tokens_per_s: f64) -> Self {
        Self {
            label: None,
            load,
            achieved_rate: None,
            duration_s: None,
            completed: None,
            failed: None,
            requests_per_s: None,
            input_tokens_per_s: None,
            output_tokens_per_s,
            total_tokens_per_s: None,
            mean_input_tokens: None,
            mean_output_tokens: None,
            ttft: Latency::default(),
            ntpot: Latency::default(),
            tpot: Latency::default(),
            itl: Latency::default(),
            e2e: Latency::default(),
            server: ServerMetrics::default(),
            workload: WorkloadHint::default(),
            fields: BTreeMap::new(),
            topology: Topology::default(),
        }
    }

    /// Requests per second at this point: completions measured, else the rate sent, else the
    /// requested rate. `None` for concurrency or unbounded loads without a measured rate.
    pub fn request_rate(&self) -> Option<f64> {
        self.requests_per_s
            .or(self.achieved_rate)
            .or(match self.load {
                Load::Rate(r) => Some(r),
                _ => None,
            })
    }

    /// The achieved request rate tables show as QPS: the rate the tool sent where it reports
    /// one, else its completions per second, else completions over the duration. (The knee
    /// rule's stricter figure, which discounts the drain, is `analysis::knee::achieved_rate`.)
    pub fn achieved_request_rate(&self) -> Option<f64> {
        self.achieved_rate.or(self.requests_per_s).or_else(|| {
            match (self.completed, self.duration_s) {
                (Some(c), Some(d)) if d > 0.0 => Some(c as f64 / d),
                _ => None,
            }
        })
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
        if self.total_tokens_per_s.is_none() {
            self.total_tokens_per_s = self
                .input_tokens_per_s
                .map(|i| i + self.output_tokens_per_s);
        }
        self
    }
}
