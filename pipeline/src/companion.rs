//! Files benchmarking tools write beside their results that hold no load point of their own:
//! HTML and YAML reports, charts, configs, per-request logs and sweep aggregates (GuideLLM's
//! YAML report is the exception: the ingest reads it, `ingest::yaml_report`). A tool's whole
//! output directory copied in as a run should read its results and note these with a reason
//! (the ingest report's `ignored`), not reject them: a rejection is an error, and fatal under
//! `--strict`. (The ingest does reject them when nothing in their run holds a load point.)
//! Recognized by content, like the formats; anything unrecognized is still rejected.

use crate::document::Document;
use serde_json::Value;

/// The tool name an ignored companion file is recorded under.
pub const TOOL: &str = "companion";

/// Why bytes that are not a JSON, JSON Lines or CSV document are a companion, if they are one.
pub fn of_bytes(bytes: &[u8]) -> Option<String> {
    if let Some(kind) = binary_kind(bytes) {
        return Some(format!(
            "{kind} (a tool's chart or report), not a result file"
        ));
    }
    let text = std::str::from_utf8(bytes)
        .ok()?
        .trim_start_matches('\u{feff}');
    let trimmed = text.trim_start();
    if trimmed.starts_with('<') {
        return Some("an HTML or XML page (a tool's report), not a result file".into());
    }
    is_yaml(trimmed).then(|| {
        "a YAML document (a tool's config or report, or results converted to YAML): not a \
         format read for load points; the tool's own results file is the one to read"
            .into()
    })
}

/// Why a document no format claims is a companion, if it is one.
pub fn of_document(doc: &Document) -> Option<String> {
    match doc {
        Document::Json(Value::Array(items)) => of_list(items),
        Document::JsonLines(records) if records.first().is_some_and(is_aiperf_record) => {
            Some(format!(
                "AIPerf's {} per-request records (`profile_export.jsonl`): \
                 the `profile_export_aiperf.json` AIPerf writes with them holds the run",
                records.len()
            ))
        }
        Document::Json(Value::Object(root)) => of_object(root),
        Document::Csv(_) => {
            let header = crate::formats::csv_header(doc);
            if header.first() == Some(&"Metric") && header.contains(&"avg") {
                return Some(
                    "an AIPerf or GenAI-Perf metric table (CSV): it states no load or model; the \
                     profile_export_*.json the tool writes with it holds the same run and is read \
                     instead"
                        .into(),
                );
            }
            if header.first() == Some(&"Run Info") && header.contains(&"Benchmark") {
                return Some(
                    "GuideLLM's CSV summary: the benchmarks JSON (or YAML) GuideLLM writes with \
                     it holds the same benchmarks and is read instead"
                        .into(),
                );
            }
            (header.contains(&"run_number") && header.contains(&"output_throughput")).then(|| {
                "`vllm bench sweep`'s summary.csv: it collects the run=N.json files written \
                 with it, which are read instead"
                    .into()
            })
        }
        _ => None,
    }
}

/// Companion lists, told apart by their first item: per-request logs and sweep summaries.
fn of_list(items: &[Value]) -> Option<String> {
    let first = items.first()?;
    let n = items.len();
    if is_llmperf_request(first) {
        Some(format!(
            "llmperf's {n} per-request responses: the `*_summary.json` llmperf writes with them holds the run"
        ))
    } else if is_bench_record(first) {
        // A sweep's own list (records with latencies and `run_number`) is read (`vllm_sweep`).
        Some(format!(
            "a list of {n} bench_serving records that is not a `vllm bench sweep` list (no \
             `run_number`, or no latencies): a collection of result files, which hold the runs"
        ))
    } else if is_request_log(first) {
        Some(format!(
            "a log of {n} requests or sessions (inference-perf's per-request or per-session \
             metrics): the stage files inference-perf writes with it hold the run"
        ))
    } else {
        None
    }
}

/// Companion objects: aggregates, windows and notes written beside a run's own results.
fn of_object(root: &serde_json::Map<String, Value>) -> Option<String> {
    let has = |key: &str| root.contains_key(key);
    let aggregation = root
        .get("aggregation_type")
        .or_else(|| root.get("metadata")?.get("aggregation_type"))
        .and_then(Value::as_str);
    let why = if let Some(kind) = aggregation {
        format!(
            "AIPerf's {kind} aggregate over several runs: each run's own \
             `profile_export_aiperf.json` is read instead (copy those to read them)"
        )
    } else if has("window_metadata") && has("metrics") {
        "AIPerf's steady-state window of a run: its `profile_export_aiperf.json` holds the run"
            .into()
    } else if root.get("timeslices").is_some_and(Value::is_array) {
        "AIPerf's time slices of a run: its `profile_export_aiperf.json` holds the run".into()
    } else if has("global") && has("reports") {
        "inference-perf's validation report (`validation.json`): warnings and errors, no load point"
            .into()
    } else if has("stage_metadata") || (has("num_sessions") && has("sessions_per_second")) {
        "inference-perf's session summary: the stage lifecycle files hold the load points".into()
    } else if has("error_type")
        && has("error")
        && (has("serve_overrides") || has("bench_overrides"))
    {
        "a `vllm bench sweep` failure note: this setting did not produce a result".into()
    } else if is_llmperf_bench_digest(root) {
        "llmperf-bench's digest (`*_summary.json`: means per concurrency) of its \
         `*_results.json`, which holds every concurrency's llmperf summary and is the file to \
         read"
            .into()
    } else {
        return None;
    };
    Some(why)
}

/// llmperf-bench's `*_summary.json`: objects keyed by concurrency with only a few means
/// (`throughput_token_per_s`, `first-time-to-token_mean_in_ms`, `latency_ms_per_token`).
fn is_llmperf_bench_digest(root: &serde_json::Map<String, Value>) -> bool {
    !root.is_empty()
        && root.values().all(|level| {
            level.get("throughput_token_per_s").is_some()
                && (level.get("first-time-to-token_mean_in_ms").is_some()
                    || level.get("latency_ms_per_token").is_some())
        })
}

fn is_request_log(v: &Value) -> bool {
    let has = |key: &str| v.get(key).is_some();
    (has("start_time")
        && has("end_time")
        && (has("computed_metrics") || has("error") || has("info")))
        || (has("session_id") && has("num_events"))
}

fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF-", "a PDF document"),
    ];
    MAGIC
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, kind)| *kind)
}

/// Whether bytes read as a YAML mapping (a cheap look at the first key, before parsing).
pub fn is_yaml_bytes(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes)
        .is_ok_and(|text| is_yaml(text.trim_start_matches('\u{feff}').trim_start()))
}

/// A YAML mapping: the first meaningful line (after a `---` document start) is `key:` or
/// `key: value`, which neither JSON nor a CSV header is.
fn is_yaml(text: &str) -> bool {
    let mut lines = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some(first) = lines.next() else {
        return false;
    };
    let first = if first == "---" {
        match lines.next() {
            Some(next) => next,
            None => return false,
        }
    } else {
        first
    };
    first
        .split_once(':')
        .is_some_and(|(key, rest)| is_yaml_key(key) && (rest.is_empty() || rest.starts_with(' ')))
}

fn is_yaml_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | '\''))
}

fn is_llmperf_request(v: &Value) -> bool {
    v.get("end_to_end_latency_s").is_some() && v.get("number_input_tokens").is_some()
}

fn is_bench_record(v: &Value) -> bool {
    v.get("output_throughput").is_some()
        && (v.get("request_rate").is_some() || v.get("max_concurrency").is_some())
}

fn is_aiperf_record(v: &Value) -> bool {
    v.get("metadata").is_some_and(Value::is_object)
        && v.get("metrics").is_some_and(Value::is_object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_images_and_configs_are_companions() {
        assert!(
            of_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
                .unwrap()
                .contains("PNG")
        );
        assert!(
            of_bytes(b"<!DOCTYPE html><html lang=\"en\">")
                .unwrap()
                .contains("HTML")
        );
        let config = b"api:\n  type: completion\n  streaming: true\ndata:\n  type: shared_prefix\n";
        assert!(of_bytes(config).unwrap().contains("YAML"));
        assert!(of_bytes(b"---\nmetadata:\n  version: 1\n").is_some());
        assert!(of_bytes(b"# comment\nresults:\n  a: 1\n").is_some());
    }

    #[test]
    fn garbage_and_prose_are_not_companions() {
        assert_eq!(
            of_bytes(b"\x00\x01\x02garbage"),
            None,
            "unknown binary stays rejected"
        );
        assert_eq!(
            of_bytes(b"\x1f\x8b\x08\x00"),
            None,
            "a compressed result stays rejected"
        );
        assert_eq!(of_bytes(b"just some words\nmore words\n"), None);
        assert_eq!(
            of_bytes(b"{\"request_rate\": 4, \"mean_ttft_ms\""),
            None,
            "cut JSON"
        );
        assert_eq!(of_bytes(b"http://example.com/a\n"), None);
    }

    #[test]
    fn per_request_logs_and_sweep_aggregates_are_companions() {
        let llmperf = br#"[{"error_code": null, "ttft_s": 0.3, "end_to_end_latency_s": 2.5, "number_input_tokens": 550}]"#;
        let doc = Document::from_bytes(llmperf).unwrap();
        assert!(
            of_document(&doc)
                .unwrap()
                .contains("llmperf's 1 per-request")
        );
        let aiperf = b"{\"metadata\": {\"x_request_id\": \"a\"}, \"metrics\": {}}\n{\"metadata\": {}, \"metrics\": {}}\n";
        let doc = Document::from_bytes(aiperf).unwrap();
        assert!(
            of_document(&doc)
                .unwrap()
                .contains("AIPerf's 2 per-request")
        );
        let sweep = br#"{"aggregation_type": "sweep", "per_combination_metrics": []}"#;
        let doc = Document::from_bytes(sweep).unwrap();
        assert!(of_document(&doc).unwrap().contains("sweep aggregate"));
        let table = include_bytes!("../../tests/fixtures/versions/aiperf-metric-table.csv");
        let doc = Document::from_bytes(table).unwrap();
        assert!(of_document(&doc).unwrap().contains("metric table"));
        let native =
            Document::from_bytes(b"load_kind,load_value,output_tokens_per_s\nrate,1,100\n")
                .unwrap();
        assert_eq!(of_document(&native), None);
        let sweep =
            br#"[{"request_rate": "inf", "max_concurrency": 2, "output_throughput": 199.4}]"#;
        let doc = Document::from_bytes(sweep).unwrap();
        assert!(
            of_document(&doc)
                .unwrap()
                .contains("1 bench_serving records")
        );
        for (text, why) in [
            (&br#"{"schema_version": "1.0", "metadata": {"aggregation_type": "confidence"}, "metrics": {}}"#[..], "confidence aggregate"),
            (br#"{"window_metadata": {}, "metrics": {}}"#, "steady-state"),
            (br#"{"timeslices": [], "input_config": {}}"#, "time slices"),
            (br#"{"global": {"warnings": [], "errors": []}, "reports": {}}"#, "validation"),
            (br#"{"stage_metadata": {}, "num_sessions": 4}"#, "session summary"),
            (br#"[{"start_time": 1.0, "end_time": 2.0, "error": null}]"#, "1 requests"),
            (br#"[{"session_id": "a", "num_events": 3}]"#, "sessions"),
            (br#"{"run_number": 2, "error_type": "E", "error": "x", "serve_overrides": {}}"#, "failure note"),
            (b",run_number,request_rate,output_throughput,median_ttft_ms\n0,0,inf,199.4,38.2\n", "summary.csv"),
            (b"Run Info,Run Info,Benchmark,Benchmark\nRun ID,Run Index,Type,Strategy\n,,,\nab,0,generative_benchmark,synchronous\n", "GuideLLM's CSV"),
            (br#"{"1": {"concurrency": 1, "first-time-to-token_mean_in_ms": 190.8, "throughput_token_per_s": 29.6, "latency_ms_per_token": 32.5}}"#, "llmperf-bench's digest"),
        ] {
            let doc = Document::from_bytes(text).unwrap();
            let got = of_document(&doc).unwrap_or_default();
            assert!(got.contains(why), "{}: {got}", String::from_utf8_lossy(text));
        }
        let other = Document::from_bytes(br#"[{"a": 1}]"#).unwrap();
        assert_eq!(of_document(&other), None);
        let partly = br#"{"1": {"throughput_token_per_s": 29.6, "latency_ms_per_token": 32.5}, "2": {"x": 1}}"#;
        let doc = Document::from_bytes(partly).unwrap();
        assert_eq!(of_document(&doc), None, "every level must be a digest's");
    }
}
