//! What NVIDIA's two load generators share (AIPerf's `profile_export_aiperf.json` and
//! GenAI-Perf's `profile_export_genai_perf.json`): one JSON object per run whose metrics are
//! objects `{unit, avg, p50, p90, p99, …}` — at the top level, or under `records` in early
//! AIPerf — and the run's settings under `input_config`, whose layout changed between versions.
//! Both tools' "inter token latency" is (request latency − TTFT) / (output tokens − 1), i.e.
//! TPOT; AIPerf's `inter_chunk_latency` is the gap between streamed chunks (ITL).

use super::MS_PER_S;
use super::fields::{Obj, as_object, check_range, checked_number};
use crate::document::Document;
use crate::error::FormatError;
use crate::point::{Latency, LatencyStats, Load, MeasuredPoint};
use crate::workload::{WorkloadHint, dataset_name};
use serde_json::Value;

/// The run object, when the document is one JSON object carrying `output_token_throughput` as
/// a metric object (top level or under `records`) and an `input_config`.
pub fn run_object(doc: &Document) -> Option<&serde_json::Map<String, Value>> {
    let Document::Json(Value::Object(root)) = doc else {
        return None;
    };
    let metric = |name: &str| {
        root.get(name)
            .or_else(|| root.get("records").and_then(|r| r.get(name)))
            .and_then(Value::as_object)
            .is_some_and(|m| m.contains_key("avg") || m.contains_key("unit"))
    };
    (metric("output_token_throughput") && root.get("input_config").is_some_and(Value::is_object))
        .then_some(root)
}

/// The run object and its `input_config`, or what is wrong with them.
pub fn run_and_config(doc: &Document) -> Result<(Obj<'_>, &Value), FormatError> {
    let Document::Json(v) = doc else {
        return Err(doc.not_one_object());
    };
    let root = as_object(v, "document")?;
    let config = root
        .raw("input_config")
        .ok_or_else(|| FormatError::missing("input_config"))?;
    Ok((root, config))
}

/// A metric object by name: top level, else under `records`.
fn metric<'a>(root: &Obj<'a>, name: &str) -> Result<Option<Obj<'a>>, FormatError> {
    match root.child(name)? {
        Some(m) => Ok(Some(m)),
        None => match root.child("records")? {
            Some(records) => records.child(name),
            None => Ok(None),
        },
    }
}

/// A metric's average (`avg`, or `value` in some exports), or a bare number in its place.
pub fn average(root: &Obj, name: &str) -> Result<Option<f64>, FormatError> {
    if let Some(v) = root.raw(name)
        && (v.is_number() || v.is_string())
    {
        return root.num(name);
    }
    match metric(root, name)? {
        Some(m) => Ok(match m.num("avg")? {
            Some(v) => Some(v),
            None => m.num("value")?,
        }),
        None => Ok(None),
    }
}

/// Milliseconds per one of a latency metric's `unit`.
fn ms_per_unit(unit: &str) -> Option<f64> {
    match unit.trim().to_ascii_lowercase().as_str() {
        "ms" | "millisecond" | "milliseconds" => Some(1.0),
        "s" | "sec" | "secs" | "second" | "seconds" => Some(MS_PER_S),
        "us" | "µs" | "microsecond" | "microseconds" => Some(1e-3),
        "ns" | "nanosecond" | "nanoseconds" => Some(1e-6),
        _ => None,
    }
}

/// A latency metric in ms: mean from `avg`, percentiles from `p50`/`p90`/`p99`, scaled by the
/// metric's `unit` (ms when absent).
pub fn latency(root: &Obj, name: &str) -> Result<Latency, FormatError> {
    let Some(m) = metric(root, name)? else {
        return Ok(Latency::default());
    };
    let factor = match m.text("unit")? {
        None => 1.0,
        Some(unit) => ms_per_unit(unit).ok_or_else(|| {
            FormatError::new(format!(
                "field `{name}.unit` is `{unit}`, not a time unit (ms, sec, us, ns)"
            ))
        })?,
    };
    let scaled = |stat: &str| -> Result<Option<f64>, FormatError> {
        m.num(stat)?
            .map(|x| check_range(&format!("{name}.{stat}"), x * factor))
            .transpose()
    };
    Ok(Latency::from(LatencyStats {
        mean: scaled("avg")?,
        p50: scaled("p50")?,
        p90: scaled("p90")?,
        p99: scaled("p99")?,
    }))
}

/// The first of several paths through `input_config` that holds a value (GenAI-Perf writes an
/// option it was not given as `""`: `output_tokens.mean: ""`).
pub fn config_value<'a>(config: &'a Value, paths: &[&[&str]]) -> Option<&'a Value> {
    paths.iter().find_map(|path| {
        path.iter()
            .try_fold(config, |v, key| v.get(key))
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
    })
}

/// A numeric setting: the first path that holds one; a negative value means "unset" to
/// GenAI-Perf (`output_tokens_mean: -1`).
pub fn config_number(
    config: &Value,
    paths: &[&[&str]],
    what: &str,
) -> Result<Option<f64>, FormatError> {
    match config_value(config, paths) {
        None => Ok(None),
        Some(Value::Number(n)) if n.as_f64().is_some_and(|x| x < 0.0) => Ok(None),
        Some(v) => checked_number(&format!("input_config {what}"), v).map(Some),
    }
}

/// The model: a string, or the first of a list (of names, or of objects with a `name`).
pub fn config_model(config: &Value, paths: &[&[&str]]) -> Option<String> {
    let name = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("name")?.as_str().map(str::to_string),
        _ => None,
    };
    match config_value(config, paths)? {
        Value::Array(list) => name(list.first()?),
        other => name(other),
    }
}

/// Concurrency or request rate from the settings (request rate first: a rate run may also cap
/// concurrency); a run with neither is an error naming both.
pub fn load(
    config: &Value,
    concurrency: &[&[&str]],
    rate: &[&[&str]],
) -> Result<Load, FormatError> {
    if let Some(r) = config_number(config, rate, "request rate")?.filter(|r| *r > 0.0) {
        return Ok(Load::Rate(r));
    }
    match config_number(config, concurrency, "concurrency")?.filter(|c| *c > 0.0) {
        Some(c) => Ok(Load::Concurrency(c)),
        None => Err(FormatError::new(
            "input_config states neither a concurrency nor a request rate",
        )),
    }
}

/// The workload from the settings: a named dataset, and the requested synthetic lengths.
pub fn workload(
    config: &Value,
    dataset: &[&[&str]],
    input: &[&[&str]],
    output: &[&[&str]],
) -> Result<WorkloadHint, FormatError> {
    let dataset = config_value(config, dataset)
        .and_then(Value::as_str)
        .and_then(dataset_name);
    let input_len = config_number(config, input, "input tokens mean")?;
    let output_len = match config_number(config, output, "output tokens mean")? {
        Some(len) if makes_every_response(config, len) => Some(len),
        // Only a cap; an `--extra-inputs max_tokens` the run did enforce may still say more.
        Some(_) | None => output_cap(config),
    };
    Ok(WorkloadHint {
        dataset: dataset.or_else(|| input_len.map(|_| "random".to_string())),
        input_len,
        output_len,
        range_ratio: None,
    })
}

/// Whether the run made every response `len` tokens long, as its output-length setting
/// (GenAI-Perf's `--output-tokens-mean`, AIPerf's `--osl`) asks: over OpenAI endpoints both
/// tools send that setting only as `max_tokens`, a cap the model may stop well short of,
/// unless the run also set `ignore_eos` or a `min_tokens` equal to it. GenAI-Perf's
/// `--output-tokens-mean-deterministic` sets that floor only for Triton and the in-process
/// TensorRT-LLM engine (`service_kind: triton` or `tensorrtllm_engine`). A cap alone is a
/// setting ([`output_cap_field`]), and the workload is then named by what was measured.
pub fn makes_every_response(config: &Value, len: f64) -> bool {
    let deterministic = config_value(
        config,
        &[
            &["output_tokens_mean_deterministic"],
            &["input", "output_tokens", "deterministic"],
        ],
    )
    .and_then(Value::as_bool)
        == Some(true);
    let triton = config_value(config, &[&["service_kind"], &["endpoint", "service_kind"]])
        .and_then(Value::as_str)
        .is_some_and(|kind| matches!(kind, "triton" | "tensorrtllm_engine"));
    let floor =
        extra_input(config, &["min_tokens"]).and_then(|v| checked_number("min_tokens", v).ok());
    (deterministic && triton) || ignores_eos(config) || floor == Some(len)
}

/// Whether every request asked the server to ignore its end-of-sequence token.
fn ignores_eos(config: &Value) -> bool {
    extra_input(config, &["ignore_eos"])
        .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"))
}

/// The `max_tokens` passed to every request with `--extra-inputs`, when no output length is
/// set and the run made every response that long (`ignore_eos: true`, or a `min_tokens` equal
/// to it): that is how both tools ask for an output length. A cap alone (a safety limit the
/// model stops well short of) names no length; it is still a setting ([`output_cap_field`]),
/// so runs capped at 300 and at 50 tokens are not repeats of one another. GenAI-Perf keeps the
/// inputs as a map (`extra_inputs`, later `input.extra`); AIPerf as `[name, value]` pairs
/// (`input.extra`) and a map (`input.extra_inputs_parsed`).
fn output_cap(config: &Value) -> Option<f64> {
    let cap = extra_input(config, &["max_tokens", "max_completion_tokens"])
        .and_then(|v| checked_number("max_tokens", v).ok())
        .filter(|t| *t > 0.0)?;
    let floor =
        extra_input(config, &["min_tokens"]).and_then(|v| checked_number("min_tokens", v).ok());
    (ignores_eos(config) || floor == Some(cap)).then_some(cap)
}

/// The output-token cap as a record field, whatever it means for the length: the `max_tokens`
/// extra input, else an output-length setting (`output`) that only capped the responses
/// ([`makes_every_response`]), so runs capped at 300 and at 50 tokens stay apart.
pub fn output_cap_field(config: &Value, output: &[&[&str]]) -> Option<String> {
    if let Some(v) = extra_input(config, &["max_tokens", "max_completion_tokens"]) {
        return Some(match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    }
    let len = config_number(config, output, "output tokens mean").ok()??;
    (len > 0.0 && !makes_every_response(config, len)).then(|| len.to_string())
}

/// The first of `names` among the run's extra inputs.
fn extra_input<'a>(config: &'a Value, names: &[&str]) -> Option<&'a Value> {
    const MAPS: [&[&str]; 3] = [
        &["extra_inputs"],
        &["input", "extra"],
        &["input", "extra_inputs_parsed"],
    ];
    MAPS.iter()
        .find_map(|map| match config_value(config, &[map])? {
            Value::Object(o) => names.iter().find_map(|k| o.get(*k)),
            Value::Array(pairs) => {
                pairs
                    .iter()
                    .find_map(|pair| match pair.as_array()?.as_slice() {
                        [Value::String(k), v] if names.contains(&k.as_str()) => Some(v),
                        _ => None,
                    })
            }
            _ => None,
        })
}

/// The measurements both tools report the same way.
pub fn measurements(root: &Obj, config: &Value, load: Load) -> Result<MeasuredPoint, FormatError> {
    let output = average(root, "output_token_throughput")?
        .ok_or_else(|| FormatError::missing("output_token_throughput.avg"))?;
    let mut p = MeasuredPoint::new(load, output);
    p.set_requests_per_s(average(root, "request_throughput")?);
    p.set_input_tokens_per_s(average(root, "input_token_throughput")?);
    p.set_total_tokens_per_s(average(root, "total_token_throughput")?);
    p.set_mean_input_tokens(average(root, "input_sequence_length")?);
    p.set_mean_output_tokens(average(root, "output_sequence_length")?);
    p.completed = average(root, "request_count")?.map(|c| c.round() as i64);
    p.set_duration_s(average(root, "benchmark_duration")?);
    // Early AIPerf names the metric by its tag, `ttft`.
    p.ttft = latency(root, "time_to_first_token")?;
    if p.ttft == Latency::default() {
        p.ttft = latency(root, "ttft")?;
    }
    p.tpot = latency(root, "inter_token_latency")?;
    p.itl = latency(root, "inter_chunk_latency")?;
    p.e2e = latency(root, "request_latency")?;
    if !streamed(config) {
        // Without streaming the first token arrives with the whole response: GenAI-Perf then
        // writes the request latency as its TTFT (a real run: both p50 2088.08 ms), and no
        // gap between tokens is observed.
        p.ttft = Latency::default();
        p.tpot = Latency::default();
        p.itl = Latency::default();
    }
    if p.input_tokens_per_s().is_none()
        && let (Some(tokens), Some(d)) = (average(root, "total_isl")?, p.duration_s())
        && d > 0.0
    {
        p.set_input_tokens_per_s(Some(tokens / d));
    }
    // Neither stated (GenAI-Perf, some AIPerf exports): requests/s × mean prompt length.
    if p.input_tokens_per_s().is_none() {
        p.set_input_tokens_per_s(
            p.requests_per_s()
                .zip(p.mean_input_tokens())
                .map(|(r, n)| r * n),
        );
    }
    Ok(p.with_derived_totals())
}

/// Whether the responses were streamed: unless the settings say `streaming: false` (flat, or
/// under `endpoint`). Both tools write the setting; an export without it keeps the token
/// timings it states (AIPerf computes them only for streamed responses).
fn streamed(config: &Value) -> bool {
    config_value(config, &[&["streaming"], &["endpoint", "streaming"]]).and_then(Value::as_bool)
        != Some(false)
}

/// Failed requests and requests the client cancelled on purpose: `error_request_count` where
/// reported, else the sum of `error_summary`, less the cancellations `error_summary` lists.
/// AIPerf cancels requests when asked to (`--request-cancellation-rate`) and when a
/// duration-bound run ends with requests in flight; both are the client's doing, not the
/// server's, so they are not failures (which would mark a healthy load as saturated).
pub fn failed(root: &Obj) -> Result<RequestErrors, FormatError> {
    let mut errors = RequestErrors::default();
    let stated = average(root, "error_request_count")?;
    let Some(Value::Array(entries)) = root.raw("error_summary") else {
        errors.failed = stated.map(|n| n.round() as i64);
        return Ok(errors);
    };
    let mut listed = 0.0;
    for (i, e) in entries.iter().enumerate() {
        // With the count stated, the summary only tells cancellations apart: an entry it
        // cannot read is left out rather than failing the file.
        let entry = as_object(e, &format!("error_summary[{i}]"))
            .and_then(|e| Ok((e.num("count")?.unwrap_or(0.0), is_cancellation(&e))));
        let (count, cancelled) = match entry {
            Ok(read) => read,
            Err(_) if stated.is_some() => continue,
            Err(e) => return Err(e),
        };
        listed += count;
        if cancelled {
            errors.cancelled += count.round() as i64;
        }
    }
    let total = stated.unwrap_or(listed);
    errors.failed = Some((total.round() as i64 - errors.cancelled).max(0));
    Ok(errors)
}

/// The record field stating how many requests the client cancelled on purpose.
pub const CANCELLED_REQUESTS: &str = "cancelled_requests";

/// What [`failed`] counts.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct RequestErrors {
    /// Requests that failed (`None`: the export says nothing of errors).
    pub failed: Option<i64>,
    /// Requests the client cancelled on purpose.
    pub cancelled: i64,
}

impl RequestErrors {
    /// Sets the point's failed count, and states the cancellations as a record field.
    pub fn record(self, p: &mut MeasuredPoint) {
        p.failed = self.failed;
        if self.cancelled > 0 {
            p.fields
                .insert(CANCELLED_REQUESTS.into(), self.cancelled.to_string());
        }
    }
}

/// An `error_summary` entry for requests the client cancelled (AIPerf's
/// `RequestCancellationError`, HTTP 499 "client closed request").
fn is_cancellation(entry: &Obj) -> bool {
    let details = entry.raw("error_details");
    let field = |k: &str| details.and_then(|d| d.get(k));
    field("type").and_then(Value::as_str) == Some("RequestCancellationError")
        || field("code").and_then(Value::as_i64) == Some(499)
}
