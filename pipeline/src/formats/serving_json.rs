//! Shared reading for the two `bench_serving` descendants (vLLM `--save-result` and SGLang):
//! flat objects with `*_ms` latency keys and a `request_rate` that may be infinite.

use super::fields::{Obj, as_object};
use crate::error::FormatError;
use crate::point::{Latency, Load};
use crate::workload::{WorkloadHint, dataset_name};

/// What the record says it sent: `dataset_name`, and the requested lengths of the dataset
/// that uses them (`random_*` for random-like datasets, `sharegpt_output_len`, and the
/// generic `input_len`/`output_len` some wrappers write). SGLang writes its `random_*`
/// defaults for every dataset, so they are the request only when the dataset is random-like
/// (or not named); a shared-prefix or trace run is named by its measured lengths instead.
pub fn workload(obj: &Obj) -> Result<WorkloadHint, FormatError> {
    let dataset = obj.text("dataset_name")?.and_then(dataset_name);
    let sharegpt = dataset.as_deref() == Some("sharegpt");
    let random_like = dataset
        .as_deref()
        .is_none_or(|d| d.starts_with("random") || d == "image");
    let mut hint = WorkloadHint {
        dataset,
        ..Default::default()
    };
    if !sharegpt && !random_like {
        hint.input_len = obj.num("input_len")?;
        hint.output_len = obj.num("output_len")?;
    } else if !sharegpt {
        hint.input_len = obj.first_num(&["random_input_len", "input_len"])?;
        hint.output_len = obj.first_num(&["random_output_len", "output_len"])?;
        if hint.input_len.is_some() || hint.output_len.is_some() {
            hint.range_ratio = obj.num("random_range_ratio")?;
        }
    } else {
        hint.output_len = obj.num("sharegpt_output_len")?;
    }
    Ok(hint)
}

/// Numeric top-level keys that are settings of the run, not results (results such as
/// `accept_length` or `max_output_tokens_per_s` differ between repeats and must not split
/// curves).
const NUMERIC_SETTINGS: &[&str] = &[
    "burstiness",
    "num_prompts",
    "max_concurrency",
    "random_input_len",
    "random_output_len",
    "random_range_ratio",
    "random_prefix_len",
    "sharegpt_output_len",
    "seed",
    // Multi-turn runs (`vllm bench serve` multi-turn mode).
    "multi_turn_concurrency",
    "num_conversations",
    "turns_per_conversation",
    "inter_turn_delay_ms",
    // Server settings a sweep writes into each record (`vllm bench sweep` adds its
    // `SERVE--max_num_seqs=4` parameters): different values are different deployments.
    "max_num_seqs",
    "max_num_batched_tokens",
    "max_model_len",
    "block_size",
    "gpu_memory_utilization",
    "tensor_parallel_size",
    "pipeline_parallel_size",
    "data_parallel_size",
    "num_scheduler_steps",
    "max_running_requests",
    "max_prefill_tokens",
    "chunked_prefill_size",
    "mem_fraction_static",
    "cuda_graph_max_bs",
    "speculative_num_steps",
    "num_speculative_tokens",
];

/// The record's settings and tags: every top-level string or boolean (vLLM's `--metadata`
/// pairs, `backend`, `label`, `tag`, `dataset_name`, …) and the numeric settings above.
pub fn record_fields(obj: &Obj) -> crate::record_fields::RecordFields {
    obj.scalars(|k, v| !v.is_number() || NUMERIC_SETTINGS.contains(&k))
}

/// Reads `mean_<m>_ms`, `median_<m>_ms` (else `p50_<m>_ms`, which `--metric-percentiles 50`
/// adds), `p90_<m>_ms`, `p99_<m>_ms`.
pub fn ms_latency(obj: &Obj, metric: &str) -> Result<Latency, FormatError> {
    let mut latency = obj.latency_by(|stat| match stat {
        "p50" => format!("median_{metric}_ms"),
        s => format!("{s}_{metric}_ms"),
    })?;
    if latency.p50().is_none() {
        latency.set_p50(obj.num(&format!("p50_{metric}_ms"))?);
    }
    Ok(latency)
}

/// A request rate at or above this is a client's stand-in for "no limit", never a rate one
/// deployment was offered: a real Ray Serve LLM run passed 1e9 requests/s with concurrency caps
/// of 16 and 64 and reached 4.5–15.6 requests/s.
pub const NO_LIMIT_RATE: f64 = 1e6;

/// A finite `request_rate` is a rate load; an infinite one (or one of [`NO_LIMIT_RATE`] or
/// more) with `max_concurrency` set is a concurrency load; infinite alone is unbounded. A
/// multi-turn run states no rate, only its `multi_turn_concurrency` (conversations in flight).
pub fn load(obj: &Obj) -> Result<Load, FormatError> {
    // SGLang writes `"trace"` for a replay of trace timestamps: no rate; a concurrency cap, if
    // any, is the load.
    let trace = obj.raw("request_rate").and_then(|v| v.as_str()) == Some("trace");
    let rate = if trace {
        None
    } else {
        obj.rate("request_rate")?
            .map(|r| if r >= NO_LIMIT_RATE { f64::INFINITY } else { r })
    };
    let concurrency = match obj.num("max_concurrency")? {
        Some(c) => Some(c),
        None => obj.num("multi_turn_concurrency")?,
    };
    if rate.is_none()
        && !trace
        && let Some(c) = concurrency.filter(|c| *c > 0.0)
    {
        return Ok(Load::Concurrency(c));
    }
    match (rate, concurrency) {
        (Some(r), _) if r.is_finite() => Ok(Load::Rate(r)),
        (_, Some(c)) if c > 0.0 => Ok(Load::Concurrency(c)),
        (Some(_), _) => Ok(Load::Unbounded),
        (None, _) if trace => Err(FormatError::new(
            "`request_rate` is \"trace\" without a `max_concurrency`: no controlled load",
        )),
        (None, _) => Err(FormatError::missing("request_rate")),
    }
}

/// Why a record is not one load point, when it is not: a sweep's warm-up, a ramp-up run (its
/// rate changes during the run), a trace replay without a concurrency cap, or a concurrency
/// cap its requests never reached.
pub fn not_a_load_point(v: &serde_json::Value) -> Option<String> {
    if v.get("run_number")
        .and_then(serde_json::Value::as_f64)
        .is_some_and(|n| n < 0.0)
    {
        return Some(
            "a `vllm bench sweep` warm-up (`run_number` below 0), not a measurement".into(),
        );
    }
    if let Some(strategy) = v
        .get("ramp_up_strategy")
        .and_then(serde_json::Value::as_str)
    {
        let rps = |k: &str| v.get(k).map_or("?".into(), |r| r.to_string());
        return Some(format!(
            "a {strategy} ramp-up run ({} → {} req/s): the load changes during the run, so it \
             is not one load point",
            rps("ramp_up_start_rps"),
            rps("ramp_up_end_rps")
        ));
    }
    let trace = v.get("request_rate").and_then(serde_json::Value::as_str) == Some("trace");
    let capped = v
        .get("max_concurrency")
        .and_then(serde_json::Value::as_f64)
        .is_some_and(|c| c > 0.0);
    if trace && !capped {
        return Some(
            "a trace replay (`request_rate: \"trace\"`): the trace sets the arrivals, so it has \
             no controlled load"
                .into(),
        );
    }
    concurrency_never_reached(v)
}

/// A run whose load is its `max_concurrency` that sent fewer requests than the cap: at most
/// that many ran at once, so the point would sit at a load it never had (`--num-prompts 50
/// --max-concurrency 64`). Requests sent are those the per-request lists count, else vLLM's
/// `num_prompts`, else completed + failed
/// when both are stated (SGLang's `completed` alone leaves out failures, which would make a
/// run that reached its cap look short); unknown, the point stays.
fn concurrency_never_reached(v: &serde_json::Value) -> Option<String> {
    let o = as_object(v, "record").ok()?;
    let count = |key: &str| o.num(key).ok().flatten();
    // Most records have no cap: they are done before their load is read. A multi-turn run's
    // cap counts conversations, not requests, so only `max_concurrency` counts.
    let cap = count("max_concurrency")?;
    if load(&o).ok()? != Load::Concurrency(cap) {
        return None;
    }
    let (sent, counted) = match requests_sent(&o) {
        Some(sent) => sent,
        None => (count("completed")? + count("failed")?, "requests"),
    };
    super::concurrency_not_reached(sent, counted, cap)
}

/// Requests a record sent, and how they were counted: its per-request lists' entries
/// (`errors` or `input_lens`, one per request sent; a failed request's error text may be
/// empty, so entries are counted, not texts), else its `num_prompts`, which is what was asked
/// for (older samplers stopped short of it when a dataset ran out).
pub fn requests_sent(o: &Obj) -> Option<(f64, &'static str)> {
    let listed = ["errors", "input_lens"]
        .iter()
        .find_map(|key| Some(o.raw(key)?.as_array()?.len()))
        .filter(|n| *n > 0);
    match listed {
        Some(n) => Some((n as f64, "request(s) sent")),
        None => o
            .count("num_prompts")
            .ok()
            .flatten()
            .filter(|n| *n > 0)
            .map(|n| (n as f64, "`num_prompts`")),
    }
}

/// TTFT from the per-request lists (`--save-detailed`, and 2024 forks that always keep them)
/// when some request returned no token: its `ttfts` entry is 0, which the stated statistics
/// average in (a real record: 4 of 10 requests with no output, mean TTFT 31.0 ms where the six
/// that answered took 51.7 ms). `None` when every request answered: the stated figures stand.
pub fn ttft_of_answered_requests(obj: &Obj) -> Option<Latency> {
    let numbers = |key: &str| -> Option<Vec<f64>> {
        obj.raw(key)?
            .as_array()?
            .iter()
            .map(serde_json::Value::as_f64)
            .collect()
    };
    let (ttfts, outputs) = (numbers("ttfts")?, numbers("output_lens")?);
    if ttfts.len() != outputs.len() {
        return None;
    }
    let unanswered = |(t, n): (&f64, &f64)| *t == 0.0 && *n == 0.0;
    if !ttfts.iter().zip(&outputs).any(unanswered) {
        return None;
    }
    let ms: Vec<f64> = ttfts
        .iter()
        .zip(&outputs)
        .filter(|&(t, n)| *t > 0.0 && *n > 0.0)
        .map(|(t, _)| t * super::MS_PER_S)
        .collect();
    Latency::of_samples(ms)
}

/// E2E from vLLM's `latencies` list (seconds per request, 0 for a failed one), which it keeps
/// even when `--percentile-metrics` leaves `e2el` out (the default).
pub fn e2e_from_latencies(obj: &Obj) -> Option<Latency> {
    let list = obj.raw("latencies")?.as_array()?;
    let ms: Vec<f64> = list
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .filter(|s| *s > 0.0)
        .map(|s| s * super::MS_PER_S)
        .collect();
    Latency::of_samples(ms)
}

/// Input tokens/s from totals over duration, else total minus output throughput.
pub fn input_tokens_per_s(obj: &Obj, output_tokens_per_s: f64) -> Result<Option<f64>, FormatError> {
    if let (Some(tokens), Some(duration)) = (obj.num("total_input_tokens")?, obj.num("duration")?)
        && duration > 0.0
    {
        return Ok(Some(tokens / duration));
    }
    // vLLM names the total `total_token_throughput`, SGLang `total_throughput`.
    let total = obj.first_num(&["total_token_throughput", "total_throughput"])?;
    Ok(total.map(|t| (t - output_tokens_per_s).max(0.0)))
}

/// Requests per second: `request_throughput`, else completed requests over `duration` (early
/// SGLang lines carry only those two).
pub fn requests_per_s(obj: &Obj) -> Result<Option<f64>, FormatError> {
    if let Some(r) = obj.num("request_throughput")? {
        return Ok(Some(r));
    }
    match (obj.count("completed")?, obj.num("duration")?) {
        (Some(c), Some(d)) if d > 0.0 => Ok(Some(c as f64 / d)),
        _ => Ok(None),
    }
}

/// Total tokens / completed requests, when both are known and non-zero.
pub fn mean_per_request(obj: &Obj, total_key: &str) -> Result<Option<f64>, FormatError> {
    match (obj.num(total_key)?, obj.count("completed")?) {
        (Some(t), Some(c)) if c > 0 => Ok(Some(t / c as f64)),
        _ => Ok(None),
    }
}

/// TTFT, TPOT and ITL of a record, as (ttft, tpot, itl). The benchmark writes 0 for a figure it
/// had nothing to measure by (the mean of an empty list is taken as 0): TPOT when no request
/// returned a second token, ITL when no response came in more than one chunk
/// ([`nothing_measured`]). Such a 0 is
/// unknown, never a measurement. And where requests did return several tokens
/// (`mean_output_tokens` above 1) but no response came in more than one chunk, the responses
/// arrived whole: the TTFT measured the whole response and the TPOT its tail, so both are
/// unknown too (a real SGLang record: TTFT 3,473 ms of a 3,500 ms E2E, TPOT 0.88 ms, ITL 0).
/// So they are when the mean TPOT or ITL is below [`WHOLE_RESPONSE_GAP_MS`]: a client that cut
/// one whole response into pieces (a real non-streaming vLLM run: TTFT 21,720 ms of a 21,721 ms
/// E2E, TPOT 0.004 ms, which would be 250,000 tokens a second for one user).
pub fn token_timings(
    obj: &Obj,
    mean_output_tokens: Option<f64>,
) -> Result<(Latency, Latency, Latency), FormatError> {
    let measured = |latency: Latency| {
        if nothing_measured(&latency) {
            Latency::default()
        } else {
            latency
        }
    };
    let ttft = ms_latency(obj, "ttft")?;
    let tpot = measured(ms_latency(obj, "tpot")?);
    let itl = ms_latency(obj, "itl")?;
    let several_tokens = mean_output_tokens.is_some_and(|n| n > 1.0);
    let too_fast = |l: &Latency| l.mean().is_some_and(|ms| ms < WHOLE_RESPONSE_GAP_MS);
    if several_tokens && (nothing_measured(&itl) || too_fast(&tpot) || too_fast(&itl)) {
        return Ok(Default::default());
    }
    Ok((ttft, tpot, measured(itl)))
}

/// A mean gap between tokens (or chunks) below this, in ms, is no decoding: 20,000 tokens a
/// second for one user, where the fastest servers stream a few thousand.
pub const WHOLE_RESPONSE_GAP_MS: f64 = 0.05;

/// Whether the mean (else the p99) is 0: only an empty list averages to 0. A median of 0 alone
/// proves nothing (a server sending several tokens a chunk makes most gaps near 0, and a file
/// written to one decimal rounds them to 0.0).
fn nothing_measured(latency: &Latency) -> bool {
    latency.mean().or(latency.p99()) == Some(0.0)
}
