//! Why a document no format detects is not a result file, when it has a known tool's fields:
//! a run where every request failed, or a copy with its throughput stripped, says so instead
//! of "matches no known format".

use crate::document::Document;
use serde_json::{Map, Value};

/// A tool recognized by fields only its output has, and the fields a load point needs.
struct Signature {
    tool: &'static str,
    /// Any one of these marks the tool's output.
    marks: &'static [&'static str],
    /// Each of these is needed to read a point (the first missing one is named).
    needs: &'static [&'static str],
}

const SIGNATURES: &[Signature] = &[
    Signature {
        tool: "AIPerf",
        marks: &["aiperf_version", "error_request_count"],
        needs: &["output_token_throughput", "request_throughput"],
    },
    Signature {
        tool: "vLLM or SGLang bench_serving",
        marks: &["mean_ttft_ms", "median_ttft_ms", "mean_e2e_latency_ms"],
        needs: &["output_throughput", "completed"],
    },
    Signature {
        tool: "llmperf",
        marks: &["results_ttft_s_mean", "results_inter_token_latency_s_mean"],
        needs: &["results_mean_output_throughput_token_per_s"],
    },
    Signature {
        tool: "inference-perf",
        marks: &["load_summary"],
        needs: &["successes"],
    },
];

/// What the document resembles and what it lacks, if a known tool's fields are in it.
pub fn reason(doc: &Document) -> Option<String> {
    if let Document::Csv(text) = doc {
        return table_reason(text);
    }
    let root = first_object(doc)?;
    let has = |k: &str| root.contains_key(k);
    if is_static_batch(has) {
        return Some(
            "SGLang bench_one_batch output (`batch_size`, `input_len`, `output_len`, a batch \
             latency): one fixed batch timed on its own, without request arrivals or \
             per-request latencies, so not a serving load point (SGLang's bench_serving \
             measures those)"
                .into(),
        );
    }
    if let Some(kind) = offline_benchmark(has) {
        return Some(offline_reason(
            &format!("vLLM {kind} output"),
            "`vllm bench serve` measures",
        ));
    }
    let sig = SIGNATURES
        .iter()
        .find(|s| s.marks.iter().any(|m| root.contains_key(*m)))?;
    let missing = sig.needs.iter().find(|n| !root.contains_key(**n))?;
    let mut why = format!(
        "{} output without `{missing}`, which a load point needs",
        sig.tool
    );
    if let Some(failed) = failed_requests(root) {
        why.push_str(&format!(": {failed} request(s) failed and none completed"));
    }
    Some(why)
}

/// A CSV table whose columns are those of an offline benchmark's results, collated one run a
/// row (dstack keeps `offline_results.csv` beside its serving table).
fn table_reason(text: &str) -> Option<String> {
    let header = text.lines().next()?;
    let columns: Vec<&str> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"').trim())
        .collect();
    let has = |k: &str| columns.contains(&k);
    offline_benchmark(has).map(|_| {
        offline_reason(
            "a table of offline throughput results (`elapsed_time`, `requests_per_second`, \
             `tokens_per_second` a row, as vLLM's benchmark_throughput and SGLang's \
             bench_offline_throughput report them)",
            "the serving benchmarks measure",
        )
    })
}

/// Why `what` is no load point; `measured_by` says what measures serving instead.
fn offline_reason(what: &str, measured_by: &str) -> String {
    format!(
        "{what}: requests run offline through the engine, without a server, request arrivals \
         or per-request streaming latencies, so not a serving load point ({measured_by} \
         those)"
    )
}

/// SGLang's `bench_one_batch` and `bench_one_batch_server` write one line per batch run.
fn is_static_batch(has: impl Fn(&str) -> bool) -> bool {
    has("batch_size")
        && has("input_len")
        && has("output_len")
        && ["latency", "total_latency", "prefill_latency"]
            .iter()
            .any(|k| has(k))
}

/// vLLM's offline `benchmark_throughput` (`vllm bench throughput`) and `benchmark_latency`
/// (`vllm bench latency`) write a handful of totals and nothing else.
fn offline_benchmark(has: impl Fn(&str) -> bool) -> Option<&'static str> {
    if has("elapsed_time") && has("requests_per_second") && has("tokens_per_second") {
        Some("benchmark_throughput")
    } else if has("avg_latency") && has("latencies") && !has("mean_ttft_ms") {
        Some("benchmark_latency")
    } else {
        None
    }
}

fn first_object(doc: &Document) -> Option<&Map<String, Value>> {
    match doc {
        Document::Json(Value::Object(o)) => Some(o),
        Document::JsonLines(records) => records.first()?.as_object(),
        _ => None,
    }
}

/// Failed requests a run states when it has no completed ones (AIPerf's
/// `error_request_count`, an object with `avg`, or bench_serving's `failed`): none completed
/// when `completed` (or AIPerf's `request_count`) is 0, or AIPerf states no request count.
fn failed_requests(root: &Map<String, Value>) -> Option<u64> {
    let completed = match root.get("completed").or_else(|| root.get("request_count")) {
        Some(v) => stated_count(v),
        None => Some(0.0),
    };
    if completed != Some(0.0) {
        return None;
    }
    let count = stated_count(
        root.get("error_request_count")
            .or_else(|| root.get("failed"))?,
    )?;
    (count > 0.0 && count.fract() == 0.0).then_some(count as u64)
}

/// A count as a number, or as AIPerf's metric object (`{"unit": "requests", "avg": 20.0}`).
fn stated_count(v: &Value) -> Option<f64> {
    match v {
        Value::Object(o) => o.get("avg").and_then(Value::as_f64),
        v => v.as_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(text: &str) -> Option<String> {
        reason(&Document::from_bytes(text.as_bytes()).unwrap())
    }

    #[test]
    fn a_known_tools_fields_name_what_is_missing() {
        let failed = r#"{"aiperf_version": "0.8.0", "error_request_count": {"unit": "requests", "avg": 20.0},
            "input_config": {"loadgen": {"concurrency": 1}}, "was_cancelled": false}"#;
        assert_eq!(
            why(failed).as_deref(),
            Some(
                "AIPerf output without `output_token_throughput`, which a load point needs: \
                 20 request(s) failed and none completed"
            )
        );
        let stripped = r#"{"backend": "vllm", "request_rate": 1, "mean_ttft_ms": 94.1, "median_ttft_ms": 90.2}"#;
        assert_eq!(
            why(stripped).as_deref(),
            Some(
                "vLLM or SGLang bench_serving output without `output_throughput`, which a load point needs"
            )
        );
    }

    #[test]
    fn a_static_batch_is_named() {
        for line in [
            r#"{"run_name": "default", "batch_size": 256, "input_len": 3300, "output_len": 400, "latency": 157.18, "output_throughput": 1841.95, "last_ttft": 101.59}"#,
            r#"{"run_name": "default", "batch_size": 32, "input_len": 256, "output_len": 32, "prefill_latency": 0.18, "median_decode_latency": 0.008, "total_latency": 0.43}"#,
        ] {
            let why = why(line).unwrap();
            assert!(why.starts_with("SGLang bench_one_batch output"), "{why}");
        }
    }

    #[test]
    fn vllm_offline_benchmarks_are_named() {
        let throughput = why(
            r#"{"elapsed_time": 51.2, "num_requests": 32, "total_num_tokens": 131072,
                "requests_per_second": 0.62, "tokens_per_second": 2559.8}"#,
        )
        .unwrap();
        assert!(
            throughput.starts_with("vLLM benchmark_throughput output"),
            "{throughput}"
        );
        let latency =
            why(r#"{"avg_latency": 30.1, "latencies": [30.0, 30.2], "percentiles": {"50": 30.1}}"#)
                .unwrap();
        assert!(latency.contains("benchmark_latency"), "{latency}");
        // dstack's collated offline_results.csv (its real header).
        let table = why(
            "model,backend,input_len,output_len,num_prompts,elapsed_time,requests_per_second,tokens_per_second\n\
             deepseek-ai/DeepSeek-R1,sglang,3200,800,500,612.4,0.82,3266.1\n",
        )
        .unwrap();
        assert!(
            table.starts_with("a table of offline throughput results"),
            "{table}"
        );
    }

    #[test]
    fn some_completed_requests_are_not_called_none() {
        let partly = r#"{"aiperf_version": "0.8.0", "error_request_count": {"avg": 3.0},
            "request_count": {"unit": "requests", "avg": 17.0}}"#;
        assert_eq!(
            why(partly).as_deref(),
            Some("AIPerf output without `output_token_throughput`, which a load point needs")
        );
    }

    #[test]
    fn unknown_or_complete_documents_get_no_reason() {
        assert_eq!(why(r#"{"a": 1}"#), None);
        assert_eq!(why("[1, 2]"), None);
        assert_eq!(
            why(r#"{"mean_ttft_ms": 1, "output_throughput": 2, "completed": 3}"#),
            None,
            "nothing a point needs is missing: not this module's to explain"
        );
    }
}
