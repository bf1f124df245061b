//! Autoscaling thresholds (SPEC §5): the server's load metric at the operating point, minus a
//! scale-up buffer, as the HPA `AverageValue`. Latency-sensitive targets (tighter than the knee's
//! latency) scale on batch size, throughput targets on queue size. Values come from the run's
//! Prometheus data when present, else Little's law: queue = request rate × (TTFT − TTFT at the
//! lowest load), running = request rate × (E2E − that queueing delay), or the concurrency itself
//! for closed-loop (concurrency) loads. E2E, when not reported, is NTPOT × output tokens or
//! TTFT + TPOT × (output tokens − 1).

use crate::point::{Load, MeasuredPoint};

/// The default scale-up buffer: the threshold sits 20% below the value at the operating point.
pub const DEFAULT_HPA_BUFFER: f64 = 0.2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    QueueSize,
    BatchSize,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::QueueSize => "queue-size",
            Signal::BatchSize => "batch-size",
        }
    }
}

/// Prometheus metric names a server exports for queue and batch size.
pub fn metric_name(server: &str, signal: Signal) -> Result<&'static str, String> {
    match (server, signal) {
        ("vllm", Signal::QueueSize) => Ok("vllm:num_requests_waiting"),
        ("vllm", Signal::BatchSize) => Ok("vllm:num_requests_running"),
        ("sglang", Signal::QueueSize) => Ok("sglang:num_queue_reqs"),
        ("sglang", Signal::BatchSize) => Ok("sglang:num_running_reqs"),
        ("tgi", Signal::QueueSize) => Ok("tgi_queue_size"),
        ("tgi", Signal::BatchSize) => Ok("tgi_batch_current_size"),
        ("jetstream", Signal::QueueSize) => Ok("jetstream_prefill_backlog_size"),
        ("jetstream", Signal::BatchSize) => Err(
            "JetStream reports batch use only as jetstream_slots_used_percentage; the benchmark does not give the slot count to convert it".into(),
        ),
        _ => Err(format!("no known queue or batch metric for model server `{server}`")),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HpaRecommendation {
    pub signal: Signal,
    pub metric: &'static str,
    /// The metric's value at the operating point.
    pub value: f64,
    /// `value × (1 − buffer)`: the HPA AverageValue.
    pub threshold: f64,
    /// `prometheus` or `littles-law`.
    pub value_source: &'static str,
    pub note: String,
}

/// Below this many waiting requests there is no queue to scale on.
const MIN_QUEUE: f64 = 1.0;

/// Recommends an HPA metric and threshold at `op`. `baseline` is the curve's lowest-load point
/// (its TTFT is prefill time without queueing). `Err` says why there is no HPA.
pub fn recommend(
    server: &str,
    op: &MeasuredPoint,
    baseline: &MeasuredPoint,
    latency_sensitive: bool,
    buffer: f64,
) -> Result<HpaRecommendation, String> {
    if !(0.0..1.0).contains(&buffer) {
        return Err(format!("HPA buffer {buffer} must be in [0, 1)"));
    }
    let mut note = String::new();
    let signal = if latency_sensitive {
        Signal::BatchSize
    } else {
        match queue_size(op, baseline) {
            // Before the queue test: a repeat at the lowest load differs from their mean by
            // noise, which Little's law would read as a queue.
            Some((_, "littles-law")) if op.load == baseline.load => {
                // Little's law reads the queue from TTFT beyond the lowest load's: a curve
                // of one load has nothing to compare with (a real burst of 6,000 requests
                // waited 19 to 187 s for its first tokens and read as no queue).
                note = "no lower load to tell queueing from prefill time by, so it scales on \
                        batch size"
                    .into();
                Signal::BatchSize
            }
            Some((q, _)) if q >= MIN_QUEUE => Signal::QueueSize,
            _ => {
                note = "no queue forms at this point, so it scales on batch size".into();
                Signal::BatchSize
            }
        }
    };
    let metric = metric_name(server, signal)?;
    let (value, value_source) = match signal {
        Signal::QueueSize => queue_size(op, baseline),
        Signal::BatchSize => batch_size(op, baseline),
    }
    .ok_or("the benchmark has neither server metrics nor the latencies and request rate to estimate them")?;
    let threshold = value * (1.0 - buffer);
    if threshold < 1.0 {
        return Err(format!(
            "{} at this point is {value:.2}; minus the {:.0}% buffer it is below one request, too small to scale on",
            signal.as_str(),
            buffer * 100.0
        ));
    }
    Ok(HpaRecommendation {
        signal,
        metric,
        value,
        threshold,
        value_source,
        note,
    })
}

fn ms(l: &crate::point::Latency) -> Option<f64> {
    l.mean().or(l.p50())
}

/// Queueing delay in ms: TTFT beyond the unloaded TTFT.
fn queue_delay_ms(op: &MeasuredPoint, baseline: &MeasuredPoint) -> Option<f64> {
    Some((ms(&op.ttft)? - ms(&baseline.ttft)?).max(0.0))
}

fn queue_size(op: &MeasuredPoint, baseline: &MeasuredPoint) -> Option<(f64, &'static str)> {
    if let Some(q) = op.server.queue_len_mean() {
        return Some((q, "prometheus"));
    }
    Some((
        op.request_rate()? * queue_delay_ms(op, baseline)? / 1000.0,
        "littles-law",
    ))
}

fn batch_size(op: &MeasuredPoint, baseline: &MeasuredPoint) -> Option<(f64, &'static str)> {
    if let Some(r) = op.server.running_mean() {
        return Some((r, "prometheus"));
    }
    let waiting_ms = queue_delay_ms(op, baseline).unwrap_or(0.0);
    if let Load::Concurrency(c) = op.load {
        let waiting = op.request_rate().map_or(0.0, |r| r * waiting_ms / 1000.0);
        return Some(((c - waiting).max(0.0), "littles-law"));
    }
    let e2e = ms(&op.e2e)
        .or_else(|| Some(ms(&op.ntpot)? * op.mean_output_tokens()?))
        .or_else(|| {
            Some(ms(&op.ttft)? + ms(&op.tpot)? * (op.mean_output_tokens()? - 1.0).max(0.0))
        })?;
    Some((
        op.request_rate()? * (e2e - waiting_ms).max(0.0) / 1000.0,
        "littles-law",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::{Latency, LatencyStats};

    fn point(rate: f64, ttft: f64, e2e: f64) -> MeasuredPoint {
        let mut p = MeasuredPoint::new(Load::Rate(rate), rate * 64.0);
        p.set_requests_per_s(Some(rate));
        p.ttft = Latency::from(LatencyStats {
            mean: Some(ttft),
            ..Default::default()
        });
        p.e2e = Latency::from(LatencyStats {
            mean: Some(e2e),
            ..Default::default()
        });
        p
    }

    #[test]
    fn latency_sensitive_target_scales_on_batch_size_by_littles_law() {
        let base = point(1.0, 30.0, 500.0);
        let op = point(90.0, 45.0, 600.0);
        let h = recommend("vllm", &op, &base, true, 0.2).unwrap();
        assert_eq!(h.metric, "vllm:num_requests_running");
        // 90 req/s × (600 − 15) ms = 52.65 in flight; minus 20% = 42.12.
        assert!((h.value - 52.65).abs() < 1e-9);
        assert!((h.threshold - 42.12).abs() < 1e-9);
        assert_eq!(h.value_source, "littles-law");
    }

    #[test]
    fn throughput_target_scales_on_the_measured_queue() {
        let base = point(1.0, 30.0, 500.0);
        let mut op = point(100.0, 3000.0, 4000.0);
        op.server.set_queue_len_mean(Some(210.0));
        let h = recommend("vllm", &op, &base, false, 0.2).unwrap();
        assert_eq!(
            (h.signal, h.metric, h.value_source),
            (Signal::QueueSize, "vllm:num_requests_waiting", "prometheus")
        );
        assert!((h.threshold - 168.0).abs() < 1e-9);
    }

    #[test]
    fn a_curve_of_one_load_does_not_claim_no_queue() {
        let burst = point(50.0, 90_000.0, 120_000.0);
        let h = recommend("sglang", &burst, &burst, false, 0.2).unwrap();
        assert_eq!(h.metric, "sglang:num_running_reqs");
        assert!(h.note.contains("no lower load"), "{}", h.note);
        let slower_repeat = point(50.0, 95_000.0, 125_000.0);
        let h = recommend("sglang", &slower_repeat, &burst, false, 0.2).unwrap();
        assert_eq!(
            h.metric, "sglang:num_running_reqs",
            "a repeat's noise is no queue"
        );
        let mut measured = burst.clone();
        measured.server.set_queue_len_mean(Some(0.2));
        let h = recommend("sglang", &measured, &measured, false, 0.2).unwrap();
        assert!(
            h.note.contains("no queue forms"),
            "the server said so: {}",
            h.note
        );
    }

    #[test]
    fn no_queue_falls_back_to_batch_size_and_tiny_values_give_no_hpa() {
        let base = point(1.0, 30.0, 500.0);
        let op = point(50.0, 30.0, 520.0);
        let h = recommend("tgi", &op, &base, false, 0.2).unwrap();
        assert_eq!(h.metric, "tgi_batch_current_size");
        assert!(h.note.contains("no queue"));
        let idle = point(1.0, 30.0, 500.0);
        assert!(
            recommend("vllm", &idle, &base, true, 0.2)
                .unwrap_err()
                .contains("below one request")
        );
        assert!(
            recommend("tensorrt-llm", &op, &base, true, 0.2)
                .unwrap_err()
                .contains("no known")
        );
    }
}
