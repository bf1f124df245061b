//! InferenceX's per-point summaries (`agg_*.json`): one flat object per load point, written
//! from a `--save-result` file plus the run's recipe. Latencies are in **seconds** with no unit
//! suffix (`median_ttft`, `p99_tpot`, `p99.9_e2el`); throughput is per GPU (`tput_per_gpu`,
//! `output_tput_per_gpu`, `input_tput_per_gpu`); the recipe's hardware slug, image, framework,
//! precision and parallelism (`tp`/`ep`, or `prefill_*`/`decode_*` for disaggregated runs) ride
//! along. `*_intvty` (1 / TPOT) is derived and not read. Newer scenario summaries nest the
//! same figures: `request_metrics.latency.<m>.{mean,p50,p90,p95}` in seconds,
//! `request_metrics.throughput` (whole-deployment tokens/s, per GPU, `duration_seconds`) and
//! `request_metrics.tokens.{input,output_actual}.mean`. The aggregation step collects the
//! summaries into one JSON array (`agg_bmk.json`), read row by row.

use super::MS_PER_S;
use super::fields::{Obj, as_object};
use super::{Parsed, RawFormat, json_objects, parse_objects};
use crate::document::Document;
use crate::error::FormatError;
use crate::point::{Latency, Load, MeasuredPoint};
use crate::topology::{Topology, Workers};
use crate::workload::{WorkloadHint, dataset_name};
use serde_json::Value;

pub struct InferenceXAgg;

impl RawFormat for InferenceXAgg {
    fn tool(&self) -> &'static str {
        "inferencex"
    }

    fn detect(&self, doc: &Document) -> bool {
        let objects = summaries(doc);
        !objects.is_empty()
            && objects
                .iter()
                .all(|o| o.get("hw").is_some() && (is_flat(o) || nested_metrics(o).is_some()))
    }

    fn parse(&self, doc: &Document) -> Result<Parsed, FormatError> {
        match doc {
            Document::Json(Value::Array(rows)) => rows
                .iter()
                .enumerate()
                .map(|(i, row)| parse_one(row).map_err(|e| e.at(format!("item {}", i + 1))))
                .collect::<Result<Vec<_>, _>>()
                .map(Parsed::Points),
            _ => parse_objects(doc, parse_one),
        }
    }
}

/// The summaries of a document: one object, JSON Lines, or the array InferenceX's aggregation
/// step collects them into (`agg_bmk.json`).
fn summaries(doc: &Document) -> Vec<&Value> {
    match doc {
        Document::Json(Value::Array(rows)) if rows.iter().all(Value::is_object) => {
            rows.iter().collect()
        }
        _ => json_objects(doc),
    }
}

fn is_flat(o: &Value) -> bool {
    (o.get("output_tput_per_gpu").is_some() || o.get("tput_per_gpu").is_some())
        && (o.get("median_ttft").is_some() || o.get("mean_ttft").is_some())
}

/// `request_metrics` when it holds the latencies and the throughput (the nested layout).
fn nested_metrics(o: &Value) -> Option<&Value> {
    let metrics = o.get("request_metrics")?;
    (metrics.pointer("/latency/ttft").is_some() && metrics.get("throughput").is_some())
        .then_some(metrics)
}

fn concurrency(o: &Obj) -> Result<f64, FormatError> {
    o.num("conc")?
        .filter(|c| *c > 0.0)
        .ok_or_else(|| FormatError::missing("conc"))
}

fn parse_one(v: &Value) -> Result<MeasuredPoint, FormatError> {
    if !is_flat(v)
        && let Some(metrics) = nested_metrics(v)
    {
        return parse_nested(
            &as_object(v, "document")?,
            &as_object(metrics, "request_metrics")?,
        );
    }
    let o = as_object(v, "document")?;
    let topology = topology(&o)?;
    let gpus = gpu_count(&o, &topology)?;
    let conc = concurrency(&o)?;
    let per_gpu_output = o
        .num("output_tput_per_gpu")?
        .ok_or_else(|| FormatError::missing("output_tput_per_gpu"))?;
    let mut p = MeasuredPoint::new(Load::Concurrency(conc), per_gpu_output * gpus);
    p.set_input_tokens_per_s(o.num("input_tput_per_gpu")?.map(|t| t * gpus));
    p.set_total_tokens_per_s(o.num("tput_per_gpu")?.map(|t| t * gpus));
    p.ttft = seconds(&o, "ttft")?;
    p.tpot = seconds(&o, "tpot")?;
    p.itl = seconds(&o, "itl")?;
    p.e2e = seconds(&o, "e2el")?;
    read_recipe(&o, &mut p, topology)?;
    Ok(p.with_derived_totals())
}

/// What both layouts state at the top level: the model, workload, parallelism, counts and the
/// recipe's settings.
fn read_recipe(o: &Obj, p: &mut MeasuredPoint, topology: Topology) -> Result<(), FormatError> {
    p.label = o.text("model")?.map(str::to_string);
    p.workload = workload(o)?;
    p.topology = topology;
    read_counts(o, p)?;
    p.fields =
        o.scalars(|k, v| !v.is_number() || matches!(k, "tp" | "ep" | "isl" | "osl" | "conc"));
    Ok(())
}

/// The nested layout: throughput as the deployment's tokens/s (else per GPU × GPUs), latencies
/// as `latency.<m>.<stat>` in seconds, measured mean lengths under `tokens`.
fn parse_nested(o: &Obj, metrics: &Obj) -> Result<MeasuredPoint, FormatError> {
    let topology = topology(o)?;
    let conc = concurrency(o)?;
    let throughput = metrics.req_child("throughput")?;
    let per_gpu = throughput.child("per_gpu")?;
    let rate = |kind: &str, per_gpu_key: &str| -> Result<Option<f64>, FormatError> {
        let whole = throughput.child(kind)?.map(|t| t.num("tokens_per_second"));
        if let Some(v) = whole.transpose()?.flatten() {
            return Ok(Some(v));
        }
        let each = per_gpu.as_ref().map(|g| g.num(per_gpu_key));
        match each.transpose()?.flatten() {
            Some(v) => Ok(Some(v * gpu_count(o, &topology)?)),
            None => Ok(None),
        }
    };
    let output = rate("output", "output_tput_tps")?.ok_or_else(|| {
        FormatError::missing("request_metrics.throughput.output.tokens_per_second")
    })?;
    let mut p = MeasuredPoint::new(Load::Concurrency(conc), output);
    p.set_input_tokens_per_s(rate("input", "input_tput_tps")?);
    p.set_total_tokens_per_s(rate("total", "total_tput_tps")?);
    let latency = metrics.req_child("latency")?;
    let nested_seconds = |metric: &str| -> Result<Latency, FormatError> {
        Ok(match latency.child(metric)? {
            Some(m) => m.latency_by(str::to_string)?.scaled(MS_PER_S),
            None => Latency::default(),
        })
    };
    p.ttft = nested_seconds("ttft")?;
    p.tpot = nested_seconds("tpot")?;
    p.itl = nested_seconds("itl")?;
    p.e2e = nested_seconds("e2el")?;
    read_recipe(o, &mut p, topology)?;
    if p.workload.dataset.is_none()
        && let Some(dataset) = o.child("dataset")?
    {
        p.workload.dataset = dataset.text("hf_dataset_name")?.and_then(dataset_name);
    }
    set_window(&mut p, throughput.num("duration_seconds")?);
    if let Some(tokens) = metrics.child("tokens")? {
        let mean = |kind: &str| -> Result<Option<f64>, FormatError> {
            tokens.child(kind)?.map_or(Ok(None), |t| t.num("mean"))
        };
        if let Some(n) = mean("input")? {
            p.set_mean_input_tokens(Some(n));
        }
        if let Some(n) = mean("output_actual")? {
            p.set_mean_output_tokens(Some(n));
        }
    }
    Ok(p.with_derived_totals())
}

/// What the scenario runs' summaries (`scenario_type`, e.g. agentic coding) state besides: the
/// requests sent and completed, the run's length and the measured mean lengths
/// (`mean_output_tokens_actual`; their requested lengths vary per conversation turn).
fn read_counts(o: &Obj, p: &mut MeasuredPoint) -> Result<(), FormatError> {
    p.completed = match o.count("total_requests_completed")? {
        Some(n) => Some(n),
        None => o.count("num_requests_successful")?,
    };
    // The total counts warm-up requests left out of the profiled ones: only the errors failed,
    // and a total equal to the completed says none did. Errors during the warm-up are counted
    // among both the warm-up and the error drops (a real run: 46 dropped, 44 in the warm-up, 39
    // errors), so the errors of the measured window are the drops past the warm-up.
    let errors = match o.child("request_accounting")? {
        Some(accounting) => match (
            accounting.count("records_dropped_total")?,
            accounting.count("records_warmup_dropped")?,
        ) {
            (Some(dropped), Some(warmup)) if dropped >= warmup => Some(dropped - warmup),
            _ => accounting.count("records_error_dropped")?,
        },
        None => None,
    };
    p.failed = match (errors, o.count("num_requests_total")?, p.completed) {
        (Some(errors), _, _) => Some(errors),
        (None, Some(sent), Some(done)) if sent == done => Some(0),
        _ => None,
    };
    set_window(p, o.num("duration_seconds")?);
    if let Some(n) = o.num("mean_input_tokens")? {
        p.set_mean_input_tokens(Some(n));
    }
    if let Some(n) = o.num("mean_output_tokens_actual")? {
        p.set_mean_output_tokens(Some(n));
    }
    Ok(())
}

/// The run's length, and the completed requests per second over it.
fn set_window(p: &mut MeasuredPoint, duration: Option<f64>) {
    let Some(duration) = duration.filter(|d| *d > 0.0) else {
        return;
    };
    p.set_duration_s(Some(duration));
    if let Some(done) = p.completed {
        p.set_requests_per_s(Some(done as f64 / duration));
    }
}

/// `mean_<m>`, `median_<m>`, `p90_<m>`, `p99_<m>` in seconds, as ms.
fn seconds(o: &Obj, metric: &str) -> Result<Latency, FormatError> {
    Ok(o.latency_by(|stat| match stat {
        "p50" => format!("median_{metric}"),
        s => format!("{s}_{metric}"),
    })?
    .scaled(MS_PER_S))
}

/// A count setting; InferenceX writes some as strings (`"dp_attention": "false"`).
fn whole(o: &Obj, key: &str) -> Result<Option<u32>, FormatError> {
    match o.count(key)? {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .map(Some)
            .map_err(|_| FormatError::new(format!("field `{key}` is too large ({n})"))),
    }
}

/// Parallelism: `tp`/`ep` for one server; `prefill_*`/`decode_*` workers × TP when disaggregated.
fn topology(o: &Obj) -> Result<Topology, FormatError> {
    let role = |prefix: &str| -> Result<Option<Workers>, FormatError> {
        match (
            whole(o, &format!("{prefix}_num_workers"))?,
            whole(o, &format!("{prefix}_tp"))?,
        ) {
            (Some(workers), Some(tensor_parallel)) => Ok(Some(Workers {
                workers,
                tensor_parallel,
            })),
            _ => Ok(None),
        }
    };
    let disaggregated = matches!(o.raw("disagg"), Some(Value::Bool(true)))
        || o.text("disagg").ok().flatten() == Some("true");
    let mut t = Topology {
        tensor_parallel: whole(o, "tp")?,
        expert_parallel: whole(o, "ep")?,
        ..Default::default()
    };
    if disaggregated {
        t.prefill = role("prefill")?;
        t.decode = role("decode")?;
        t.expert_parallel = t.expert_parallel.or(whole(o, "decode_ep")?);
    }
    Ok(t)
}

/// The GPUs the per-GPU figures are divided by: both roles' GPUs when disaggregated, else TP.
fn gpu_count(o: &Obj, t: &Topology) -> Result<f64, FormatError> {
    if let (Some(p), Some(d)) = (o.num("num_prefill_gpu")?, o.num("num_decode_gpu")?)
        && t.is_disaggregated()
    {
        return Ok(p + d);
    }
    if let Some(n) = t.disaggregated_accelerators() {
        return Ok(n as f64);
    }
    if t.tensor_parallel == Some(0) {
        return Err(FormatError::new("field `tp` is 0"));
    }
    t.tensor_parallel
        .map(f64::from)
        .ok_or_else(|| {
            FormatError::new(
                "no GPU count: neither `tp` nor the prefill/decode workers are given, so the per-GPU throughput cannot be totalled",
            )
        })
}

/// `isl`/`osl` are the requested lengths of InferenceX's random workload; trace-driven runs
/// name their `benchmark_type`, scenario runs their `scenario_type` instead.
fn workload(o: &Obj) -> Result<WorkloadHint, FormatError> {
    let input_len = o.num("isl")?;
    let output_len = o.num("osl")?;
    let kind = match o.text("benchmark_type")? {
        Some(kind) => Some(kind),
        None => o.text("scenario_type")?,
    };
    let dataset = match (input_len, kind) {
        (Some(_), _) => Some("random".to_string()),
        (None, Some(kind)) => dataset_name(kind),
        (None, None) => None,
    };
    Ok(WorkloadHint {
        dataset,
        input_len,
        output_len,
        range_ratio: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str =
        include_str!("../../../tests/fixtures/raw/inferencex/agg_kimik2.5_1k1k.json");

    fn point(text: &str) -> Result<MeasuredPoint, FormatError> {
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        assert!(InferenceXAgg.detect(&doc));
        match InferenceXAgg.parse(&doc)? {
            Parsed::Points(mut p) => Ok(p.remove(0)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_nested_layout_reads_like_the_flat_one() {
        let nested = r#"{"hw": "mi355x", "conc": 4, "framework": "sglang", "tp": 4, "ep": 1,
            "model": "amd/GLM-5.3-Flash-Quark-MXFP4", "scenario_type": "agentic-coding",
            "num_requests_total": 693, "num_requests_successful": 647,
            "request_accounting": {"records_dropped_total": 46, "records_warmup_dropped": 7,
                "records_error_dropped": 39},
            "request_metrics": {
                "latency": {"ttft": {"mean": 0.829, "p50": 0.59, "p90": 1.745, "p95": 2.1},
                    "e2el": {"mean": 4.47, "p50": 2.26}, "tpot": {"mean": 0.00411, "p50": 0.00353},
                    "itl": {"mean": 0.00411, "p50": 0.00353}},
                "tokens": {"input": {"mean": 182891.4}, "output_actual": {"mean": 1032.1},
                    "output_expected": {"mean": 1804.0}},
                "throughput": {"input": {"tokens_per_second": 32951.2},
                    "output": {"tokens_per_second": 185.95}, "total": {"tokens_per_second": 33137.2},
                    "duration_seconds": 3591.1,
                    "per_gpu": {"output_tput_tps": 46.49, "input_tput_tps": 8237.8}}}}"#;
        let p = point(nested).unwrap();
        assert_eq!(p.load, Load::Concurrency(4.0));
        assert_eq!(
            p.output_tokens_per_s, 185.95,
            "the deployment's, not per GPU"
        );
        assert_eq!(p.input_tokens_per_s(), Some(32951.2));
        assert_eq!(
            (p.ttft.p50(), p.ttft.p90(), p.ttft.p99()),
            (Some(590.0), Some(1745.0), None)
        );
        assert_eq!(p.e2e.mean(), Some(4470.0));
        assert_eq!(
            (p.completed, p.failed),
            (Some(647), Some(39)),
            "warm-up drops did not fail"
        );
        // A real run's errors fell mostly in its warm-up, counted among both kinds of drop.
        let overlapping = nested.replace(
            r#""records_warmup_dropped": 7"#,
            r#""records_warmup_dropped": 44"#,
        );
        assert_eq!(point(&overlapping).unwrap().failed, Some(2));
        let errors_only = nested.replace(r#""records_dropped_total": 46, "#, "");
        assert_eq!(point(&errors_only).unwrap().failed, Some(39));
        assert_eq!(p.duration_s(), Some(3591.1));
        assert_eq!(p.mean_output_tokens(), Some(1032.1));
        assert_eq!(p.workload.dataset.as_deref(), Some("agentic-coding"));
        assert_eq!(p.topology.tensor_parallel, Some(4));
        // Without the totals, per GPU × TP.
        let per_gpu_only = nested
            .replace(r#""output": {"tokens_per_second": 185.95}, "#, "")
            .replace(r#""input": {"tokens_per_second": 32951.2},"#, "");
        let q = point(&per_gpu_only).unwrap();
        assert_eq!(q.output_tokens_per_s, 46.49 * 4.0);
        assert_eq!(q.input_tokens_per_s(), Some(8237.8 * 4.0));
    }

    #[test]
    fn the_aggregated_array_is_read_row_by_row() {
        let row = |offloading: &str, ttft: f64| {
            format!(
                r#"{{"hw": "mi300x", "conc": 128, "framework": "", "tp": 8, "ep": 1,
                "offloading": "{offloading}", "num_requests_total": 439,
                "num_requests_successful": 439, "mean_ttft": {ttft}, "p90_ttft": 400.0,
                "mean_e2el": 500.0, "mean_tpot": 0.05, "duration_seconds": 1827.06,
                "tput_per_gpu": 900.0, "output_tput_per_gpu": 100.0, "input_tput_per_gpu": 800.0}}"#
            )
        };
        let text = format!("[{}, {}]", row("none", 329.3787), row("hicache", 120.5));
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        assert!(InferenceXAgg.detect(&doc));
        let Parsed::Points(points) = InferenceXAgg.parse(&doc).unwrap() else {
            panic!("expected points")
        };
        assert_eq!(points.len(), 2);
        assert!((points[0].ttft.mean().unwrap() - 329_378.7).abs() < 1e-6);
        assert_eq!(
            points[1].fields.get("offloading").map(String::as_str),
            Some("hicache")
        );
        let broken = text.replacen("\"conc\": 128", "\"conc\": 0", 1);
        let doc = Document::from_bytes(broken.as_bytes()).unwrap();
        let err = InferenceXAgg.parse(&doc).unwrap_err().to_string();
        assert!(err.contains("item 1"), "{err}");
    }

    #[test]
    fn a_scenario_run_states_its_counts_window_and_measured_lengths() {
        let scenario = r#"{"hw": "mi355x", "conc": 4, "framework": "sglang", "tp": 2, "ep": 1,
            "scenario_type": "agentic-coding", "num_requests_total": 300,
            "num_requests_successful": 294, "total_requests_completed": 294,
            "mean_ttft": 1.3, "p90_ttft": 1.24, "mean_e2el": 13.6, "mean_tpot": 0.028,
            "mean_input_tokens": 67176.1, "mean_output_tokens_actual": 427.3,
            "duration_seconds": 1820.3, "tput_per_gpu": 5459.3, "output_tput_per_gpu": 34.5,
            "input_tput_per_gpu": 5424.8}"#;
        let p = point(scenario).unwrap();
        assert_eq!(
            (p.completed, p.failed),
            (Some(294), None),
            "6 not profiled, warm-up or failed: the summary does not say"
        );
        let all_done =
            scenario.replace("\"num_requests_total\": 300", "\"num_requests_total\": 294");
        assert_eq!(point(&all_done).unwrap().failed, Some(0));
        assert_eq!(p.duration_s(), Some(1820.3));
        assert_eq!(p.requests_per_s(), Some(294.0 / 1820.3));
        assert_eq!(
            (p.mean_input_tokens(), p.mean_output_tokens()),
            (Some(67176.1), Some(427.3))
        );
        assert_eq!(p.workload.dataset.as_deref(), Some("agentic-coding"));
        assert_eq!(p.output_tokens_per_s, 69.0, "per GPU × TP 2");
        assert_eq!(p.ttft.p90(), Some(1240.0));
    }

    #[test]
    fn seconds_per_gpu_figures_and_recipe() {
        let p = point(REAL).unwrap();
        assert_eq!(p.load, Load::Concurrency(4.0));
        assert!(
            (p.output_tokens_per_s - 221.424).abs() < 0.01,
            "{}",
            p.output_tokens_per_s
        );
        assert!(
            (p.ttft.p50().unwrap() - 296.977).abs() < 0.01,
            "seconds become ms"
        );
        assert_eq!(p.topology.tensor_parallel, Some(8));
        assert_eq!(p.workload.input_len, Some(1024.0));
        assert_eq!(p.fields.get("hw").map(String::as_str), Some("mi355x"));
        assert_eq!(
            p.fields.get("image").map(String::as_str),
            Some("vllm/vllm-openai-rocm:v0.21.0")
        );
    }

    #[test]
    fn disaggregated_runs_total_both_roles() {
        let text = REAL.replace(
            "\"disagg\": false,",
            "\"disagg\": true, \"prefill_tp\": 8, \"prefill_num_workers\": 1, \"decode_tp\": 8, \"decode_num_workers\": 1, \"num_prefill_gpu\": 8, \"num_decode_gpu\": 8,",
        );
        let p = point(&text).unwrap();
        assert_eq!(p.topology.label(), "1P×TP8 + 1D×TP8");
        assert!((p.output_tokens_per_s - 442.848).abs() < 0.01);
    }

    #[test]
    fn a_missing_gpu_count_is_named() {
        let text = REAL.replace("\"tp\": 8,", "");
        let err = point(&text).unwrap_err();
        assert!(err.reason.contains("no GPU count"), "{}", err.reason);
    }
}
