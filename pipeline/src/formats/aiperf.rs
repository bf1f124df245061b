//! NVIDIA AIPerf `profile_export_aiperf.json`: one run (one load point) per file, metrics as
//! objects (see [`super::metric_objects`]). Before 0.10 the settings are flat: the load under
//! `input_config.loadgen`, the model under `input_config.endpoint.model_names`. From 0.10
//! (config v2) the load is the profiling phase's in `input_config.phases[]`, the model in
//! `models.items[]` and the dataset in `datasets[]`. Told apart from GenAI-Perf by
//! `aiperf_version`, AIPerf's `loadgen` or `phases` settings, or its command line.

use super::metric_objects::{
    config_model, config_value, failed, load, makes_every_response, measurements, output_cap_field,
    run_and_config, run_object, workload,
};
use super::{Parsed, RawFormat};
use crate::document::Document;
use crate::error::FormatError;
use crate::point::Load;
use crate::workload::WorkloadHint;
use serde_json::Value;

pub struct AiPerf;

/// The tool its points are recorded under.
pub const TOOL: &str = "aiperf";

/// Whether a metric-object run was written by AIPerf rather than GenAI-Perf.
pub fn is_aiperf(root: &serde_json::Map<String, Value>) -> bool {
    root.contains_key("aiperf_version")
        || root
            .get("input_config")
            .is_some_and(|c| c.get("loadgen").is_some() || c.get("phases").is_some())
        || root
            .get("input_config")
            .and_then(|c| c.get("cli_command"))
            .and_then(Value::as_str)
            .is_some_and(|c| c.trim_start().starts_with("aiperf"))
}

/// Where the settings state the requested output length (a cap unless the run forced it).
const OUTPUT_MEAN: &[&[&str]] = &[&["input", "prompt", "output_tokens", "mean"]];

impl RawFormat for AiPerf {
    fn tool(&self) -> &'static str {
        TOOL
    }

    fn detect(&self, doc: &Document) -> bool {
        run_object(doc).is_some_and(is_aiperf)
    }

    fn parse(&self, doc: &Document) -> Result<Parsed, FormatError> {
        let (root, config) = run_and_config(doc)?;
        if root.raw("was_cancelled").and_then(Value::as_bool) == Some(true) {
            return Ok(Parsed::NoPoints(
                "the run was cancelled before it finished (`was_cancelled: true`)".into(),
            ));
        }
        if let Some(why) = replays_trace(config) {
            return Ok(Parsed::NoPoints(why));
        }
        let phase = profiling_phase(config)?;
        let load = match phase {
            Some((_, load)) => load,
            None => load(
                config,
                &[&["loadgen", "concurrency"], &["concurrency"]],
                &[&["loadgen", "request_rate"], &["request_rate"]],
            )?,
        };
        if let Some(why) = concurrency_never_reached(config, phase.map(|(p, _)| p), load) {
            return Ok(Parsed::NoPoints(why));
        }
        let mut p = measurements(&root, config, load)?;
        failed(&root)?.record(&mut p);
        p.label = config_model(
            config,
            &[
                &["endpoint", "model_names"],
                &["model_names"],
                &["model"],
                &["models", "items"],
                &["models"],
            ],
        );
        let dataset = phase_dataset(config, phase.map(|(p, _)| p));
        p.workload = match dataset {
            Some(dataset) => dataset_workload(dataset, config)?,
            None => workload(
                config,
                &[
                    &["input", "public_dataset"],
                    // The file names the data; `custom_dataset_type` only its shape
                    // (`single_turn`), which two different files share.
                    &["input", "file"],
                    &["input", "custom_dataset_type"],
                    &["input", "detected_loader"],
                ],
                &[&["input", "prompt", "input_tokens", "mean"]],
                OUTPUT_MEAN,
            )?,
        };
        for (field, path) in [
            ("endpoint_type", &["endpoint", "type"][..]),
            ("streaming", &["endpoint", "streaming"][..]),
            ("scenario", &["scenario"][..]),
        ] {
            if let Some(v) = config_value(config, &[path]).and_then(scalar_text) {
                p.fields.insert(field.into(), v);
            }
        }
        let osl_cap = dataset
            .and_then(dataset_osl)
            .filter(|len| !makes_every_response(config, *len))
            .map(|len| len.to_string());
        if let Some(cap) = output_cap_field(config, OUTPUT_MEAN).or(osl_cap) {
            p.fields.insert("max_tokens".into(), cap);
        }
        // Cancelled requests lower what the rest measure: runs cancelling different shares
        // are different experiments, not repeats.
        if let Some(rate) = config_value(config, &[&["loadgen", "request_cancellation_rate"]])
            .and_then(Value::as_f64)
            .filter(|r| *r > 0.0)
        {
            p.fields
                .insert("request_cancellation_rate".into(), rate.to_string());
        }
        if let Some(v) = root.text("aiperf_version")? {
            p.fields.insert("aiperf_version".into(), v.to_string());
        }
        let urls = endpoint_urls(config);
        if urls.len() > 1 {
            p.fields.insert(ENDPOINT_URLS.into(), urls.join(", "));
        }
        Ok(Parsed::Points(vec![p]))
    }
}

/// The record field naming the endpoints a run spread its requests over, when several.
pub const ENDPOINT_URLS: &str = "endpoint_urls";

/// The distinct servers of `endpoint.urls` (AIPerf's repeated `--url`), told apart by scheme,
/// host and port ([`server`]).
fn endpoint_urls(config: &Value) -> Vec<String> {
    let Some(urls) = config
        .get("endpoint")
        .and_then(|e| e.get("urls"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    let mut distinct: Vec<String> = urls.iter().filter_map(Value::as_str).map(server).collect();
    distinct.sort_unstable();
    distinct.dedup();
    distinct
}

/// The server a URL names, as `scheme://host:port` with the scheme's default port left out
/// (`H:8000/v1` is `http://h:8000`; `https://h:443/` is `https://h`).
fn server(url: &str) -> String {
    let url = url.trim().to_ascii_lowercase();
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url.as_str()));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let default_port = match scheme {
        "https" => ":443",
        _ => ":80",
    };
    let authority = authority.strip_suffix(default_port).unwrap_or(authority);
    format!("{scheme}://{authority}")
}

/// Why a point measured over more endpoints than the profile has data-parallel replicas is
/// not one deployment's load point: its throughput is that of all those servers together, so
/// per accelerator and per dollar it would overstate the deployment by their number (a real
/// run: two llama.cpp hosts at 192.168.19.150 and .9). A run.toml stating `data_parallel` as
/// the number of endpoints describes a deployment of that many replicas, which they are.
pub fn endpoints_beyond_replicas(
    fields: &crate::record_fields::RecordFields,
    data_parallel: Option<u32>,
) -> Option<String> {
    let urls = fields.get(ENDPOINT_URLS)?;
    let n = urls.split(", ").count();
    let replicas = data_parallel.unwrap_or(1) as usize;
    (n > replicas).then(|| {
        format!(
            "the run spread its requests over {n} endpoints (`endpoint.urls`: {urls}): its \
             throughput is that of {n} servers together, not of one deployment of {replicas} \
             replica(s), so it is not a load point (benchmark one server's URL, or state \
             `data_parallel = {n}` in run.toml when the endpoints are replicas of one \
             deployment)"
        )
    })
}

/// A concurrency run that asked for fewer requests than its concurrency (`--request-count 10
/// --concurrency 16`): at most that many ran at once. Only the requested count of a run not
/// bound by a duration is read: the measured counts leave out requests cancelled at the end,
/// which were in flight.
fn concurrency_never_reached(config: &Value, phase: Option<&Value>, load: Load) -> Option<String> {
    let Load::Concurrency(concurrency) = load else {
        return None;
    };
    let settings = match phase {
        Some(phase) => phase,
        None => config.get("loadgen").unwrap_or(config),
    };
    let positive = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| settings.get(*k).and_then(Value::as_f64))
            .filter(|n| *n > 0.0)
    };
    // A duration-bound run's settings may carry a count it was not bound by (a default):
    // keeping such a point beats dropping a real measurement.
    if positive(&["benchmark_duration", "duration"]).is_some() {
        return None;
    }
    let requested = positive(&["requests", "request_count"])?;
    super::concurrency_not_reached(requested, "request(s) asked for", concurrency)
}

/// The phase whose requests the results count (config v2, AIPerf 0.10+) and its load: the
/// phases not excluded from results (warm-up is). `None` when the settings have no phases.
/// Several counted phases at different loads would mix loads in one point: an error.
fn profiling_phase(config: &Value) -> Result<Option<(&Value, Load)>, FormatError> {
    let Some(phases) = phases(config) else {
        return Ok(None);
    };
    let mut counted = phases.into_iter().filter(|p| counts(p));
    let Some(first) = counted.next() else {
        return Err(FormatError::new(
            "input_config.phases has no phase whose results count (none, or only warm-ups)",
        ));
    };
    let load = phase_load(first)?;
    let mut others = 0;
    for phase in counted {
        others += 1;
        if phase_load(phase)? != load {
            return Err(FormatError::new(format!(
                "input_config.phases has {} profiling phases at different loads; one export is one load point",
                others + 1
            )));
        }
    }
    Ok(Some((first, load)))
}

/// The run's phases (config v2), a list or an object keyed by name; `None` before config v2.
fn phases(config: &Value) -> Option<Vec<&Value>> {
    match config.get("phases")? {
        Value::Array(list) => Some(list.iter().collect()),
        Value::Object(map) => Some(map.values().collect()),
        _ => None,
    }
}

/// Whether a phase's requests are in the results: not `exclude_from_results`, not a warm-up
/// (AIPerf infers the kind `warmup` from a phase named so).
fn counts(phase: &Value) -> bool {
    let excluded = phase.get("exclude_from_results").and_then(Value::as_bool);
    let kind = phase
        .get("kind")
        .and_then(Value::as_str)
        .or_else(|| phase.get("name").and_then(Value::as_str));
    excluded != Some(true) && kind != Some("warmup")
}

/// Why a run whose counted phase replays a trace (`type: fixed_schedule`, a mooncake trace's
/// timestamps) is no load point: requests went out when the trace says, at no rate or
/// concurrency the run chose. Set aside like the other tools' trace replays, not rejected.
fn replays_trace(config: &Value) -> Option<String> {
    // Before config v2 the switch was `--fixed-schedule`, a flag under `input`.
    let flat = config_value(config, &[&["input", "fixed_schedule"]]).and_then(Value::as_bool);
    let replayed = phases(config)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| counts(p))
        .any(|p| p.get("type").and_then(Value::as_str) == Some("fixed_schedule"));
    (replayed || flat == Some(true)).then(|| {
        "the profiling phase replays a trace (`type: fixed_schedule`): requests went out at \
             the trace's times, not at a request rate or concurrency to plot"
            .into()
    })
}

/// A phase's load: its request rate for the rate-controlled types (a concurrency there is only
/// a cap), else its concurrency (1, AIPerf's default, when a concurrency phase states none).
fn phase_load(phase: &Value) -> Result<Load, FormatError> {
    let kind = phase.get("type").and_then(Value::as_str).unwrap_or("");
    let stated = ["rate", "request_rate", "concurrency"]
        .iter()
        .any(|k| phase.get(*k).is_some_and(|v| !v.is_null()));
    if !stated {
        return match kind {
            "concurrency" => Ok(Load::Concurrency(1.0)),
            _ => Err(FormatError::new(format!(
                "the profiling phase (`type: {kind}`) states neither a `rate` nor a `concurrency`"
            ))),
        };
    }
    load(phase, &[&["concurrency"]], &[&["rate"], &["request_rate"]])
}

/// The dataset the profiling phase used (config v2): the one its `dataset` names, else the
/// first; `datasets` is a list, or an object keyed by name.
fn phase_dataset<'a>(config: &'a Value, phase: Option<&Value>) -> Option<&'a Value> {
    let named = phase.and_then(|p| p.get("dataset")).and_then(Value::as_str);
    let datasets: Vec<&Value> = match config.get("datasets")? {
        Value::Array(list) => list.iter().collect(),
        Value::Object(map) => {
            if let Some(d) = named.and_then(|n| map.get(n)) {
                return Some(d);
            }
            map.values().collect()
        }
        _ => return None,
    };
    named
        .and_then(|n| {
            datasets
                .iter()
                .copied()
                .find(|d| d.get("name").and_then(Value::as_str) == Some(n))
        })
        .or_else(|| datasets.first().copied())
}

/// The workload a config v2 dataset describes: a file's name, or synthetic prompts of
/// `prompts.isl`/`osl` tokens (a number, or a distribution's `mean`); the output length only
/// where the run's settings make every response that long ([`makes_every_response`]).
fn dataset_workload(dataset: &Value, config: &Value) -> Result<WorkloadHint, FormatError> {
    let mut hint = workload(
        dataset,
        &[&["path"], &["file"], &["public_dataset"]],
        &[&["prompts", "isl", "mean"]],
        &[],
    )?;
    hint.input_len = hint.input_len.or_else(|| dataset_length(dataset, "isl"));
    hint.output_len = dataset_osl(dataset).filter(|len| makes_every_response(config, *len));
    if hint.dataset.is_none() && hint.input_len.is_some() {
        hint.dataset = Some("random".into());
    }
    Ok(hint)
}

/// A config v2 dataset's requested output length (`prompts.osl`).
fn dataset_osl(dataset: &Value) -> Option<f64> {
    dataset_length(dataset, "osl")
}

/// A config v2 dataset's `prompts.<key>` length: a number, or a distribution's `mean`.
fn dataset_length(dataset: &Value, key: &str) -> Option<f64> {
    let prompts = dataset.get("prompts")?.get(key)?;
    prompts
        .as_f64()
        .or_else(|| prompts.get("mean").and_then(Value::as_f64))
        .filter(|x| *x > 0.0)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if s.len() <= 256 => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::MeasuredPoint;

    const RUN: &str = r#"{
      "schema_version": "1.2", "aiperf_version": "0.8.0",
      "request_throughput": {"unit": "requests/sec", "avg": 2.5},
      "request_latency": {"unit": "ms", "avg": 4000.0, "p50": 3900.0, "p90": 5000.0, "p99": 6000.0},
      "request_count": {"unit": "requests", "avg": 300.0},
      "time_to_first_token": {"unit": "ms", "avg": 120.0, "p50": 110.0, "p90": 200.0, "p99": 300.0},
      "inter_token_latency": {"unit": "ms", "avg": 15.0, "p50": 14.5, "p90": 18.0, "p99": 22.0},
      "inter_chunk_latency": {"unit": "ms", "avg": 14.0, "p50": 13.0},
      "output_token_throughput": {"unit": "tokens/sec", "avg": 640.0},
      "output_sequence_length": {"unit": "tokens", "avg": 256.0},
      "input_sequence_length": {"unit": "tokens", "avg": 1024.0},
      "benchmark_duration": {"unit": "sec", "avg": 120.0},
      "total_isl": {"unit": "tokens", "avg": 307200.0},
      "was_cancelled": false, "error_summary": [{"error_details": {"code": 500}, "count": 3}],
      "input_config": {
        "endpoint": {"model_names": ["meta-llama/Llama-3.1-8B-Instruct"], "type": "chat", "streaming": true},
        "input": {"prompt": {"input_tokens": {"mean": 1024}, "output_tokens": {"mean": 256}}},
        "loadgen": {"concurrency": 16}
      }
    }"#;

    fn point(text: &str) -> MeasuredPoint {
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        assert!(AiPerf.detect(&doc), "detected");
        match AiPerf.parse(&doc).unwrap() {
            Parsed::Points(mut p) => p.remove(0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn metric_objects_become_a_point() {
        let p = point(RUN);
        assert_eq!(p.load, Load::Concurrency(16.0));
        assert_eq!(p.output_tokens_per_s, 640.0);
        assert_eq!(p.completed, Some(300));
        assert_eq!(p.failed, Some(3));
        assert_eq!(p.ttft.p90(), Some(200.0));
        assert_eq!(p.tpot.p50(), Some(14.5), "AIPerf's ITL is TPOT");
        assert_eq!(p.itl.p50(), Some(13.0), "inter-chunk latency is ITL");
        assert_eq!(p.ntpot.mean(), None, "not reported");
        assert_eq!(p.input_tokens_per_s(), Some(2560.0), "total_isl / duration");
        assert_eq!(p.workload.input_len, Some(1024.0));
        assert_eq!(p.workload.dataset.as_deref(), Some("random"));
        assert_eq!(p.label.as_deref(), Some("meta-llama/Llama-3.1-8B-Instruct"));
        assert_eq!(
            p.fields.get("endpoint_type").map(String::as_str),
            Some("chat")
        );
    }

    #[test]
    fn a_custom_file_names_the_workload_not_its_shape() {
        let text = RUN.replace(
            "\"input\": {\"prompt\"",
            "\"input\": {\"file\": \"/data/chat/inputs.jsonl\", \"custom_dataset_type\": \"single_turn\", \"prompt\"",
        );
        assert_eq!(point(&text).workload.dataset.as_deref(), Some("inputs"));
    }

    #[test]
    fn early_records_layout_rates_and_seconds() {
        let text = RUN
            .replace(
                "\"request_throughput\"",
                "\"records\": {\"request_throughput\": {\"unit\": \"requests/sec\", \"avg\": 2.5}, \"output_token_throughput\": {\"unit\": \"tokens/sec\", \"avg\": 700.0}}, \"x\"",
            )
            .replace("\"output_token_throughput\": {\"unit\": \"tokens/sec\", \"avg\": 640.0},", "")
            .replace("{\"unit\": \"ms\", \"avg\": 120.0", "{\"unit\": \"sec\", \"avg\": 0.12")
            .replace("\"loadgen\": {\"concurrency\": 16}", "\"loadgen\": {\"request_rate\": 4}");
        let p = point(&text);
        assert_eq!(p.output_tokens_per_s, 700.0);
        assert_eq!(p.load, Load::Rate(4.0));
        assert_eq!(p.ttft.mean(), Some(120.0), "seconds become ms");
    }

    #[test]
    fn bad_units_and_cancelled_runs_are_named() {
        let bad = RUN.replace(
            "{\"unit\": \"ms\", \"avg\": 120.0",
            "{\"unit\": \"tokens\", \"avg\": 120.0",
        );
        let doc = Document::from_bytes(bad.as_bytes()).unwrap();
        let err = AiPerf.parse(&doc).unwrap_err();
        assert!(
            err.reason.contains("time_to_first_token.unit"),
            "{}",
            err.reason
        );
        let cancelled = RUN.replace("\"was_cancelled\": false", "\"was_cancelled\": true");
        let doc = Document::from_bytes(cancelled.as_bytes()).unwrap();
        assert!(matches!(AiPerf.parse(&doc).unwrap(), Parsed::NoPoints(_)));
        let no_load = RUN.replace("\"loadgen\": {\"concurrency\": 16}", "\"loadgen\": {}");
        let doc = Document::from_bytes(no_load.as_bytes()).unwrap();
        assert!(
            AiPerf
                .parse(&doc)
                .unwrap_err()
                .reason
                .contains("neither a concurrency")
        );
    }

    /// The run above as AIPerf 0.10 (config v2) exports it: phases, model items, datasets.
    fn config_v2(phases: &str, datasets: &str) -> String {
        let start = RUN.find("\"input_config\"").unwrap();
        format!(
            r#"{}"input_config": {{
                "models": {{"items": [{{"name": "qwen3.6-nvfp4"}}]}},
                "endpoint": {{"type": "chat", "streaming": true}},
                "datasets": {datasets},
                "phases": {phases}
            }}}}"#,
            &RUN[..start]
        )
    }

    const WARMUP: &str = r#"{"name": "warmup", "type": "concurrency", "exclude_from_results": true, "concurrency": 2}"#;

    #[test]
    fn config_v2_reads_the_profiling_phase_model_and_dataset() {
        let file = r#"[{"name": "main", "type": "file", "path": "datasets/aiperf/agent.jsonl"}]"#;
        let p = point(&config_v2(
            &format!(
                r#"[{WARMUP}, {{"name": "profiling", "type": "concurrency", "concurrency": 8}}]"#
            ),
            file,
        ));
        assert_eq!(p.load, Load::Concurrency(8.0), "not the warm-up's 2");
        assert_eq!(p.label.as_deref(), Some("qwen3.6-nvfp4"));
        assert_eq!(p.workload.dataset.as_deref(), Some("agent"));
        let synthetic = r#"[{"name": "default", "type": "synthetic", "prompts": {"isl": {"mean": 512, "stddev": 8}, "osl": 64}}]"#;
        let p = point(&config_v2(
            r#"[{"name": "steady", "kind": "profiling", "type": "poisson", "rate": 12.5, "concurrency": 64}]"#,
            synthetic,
        ));
        assert_eq!(
            p.load,
            Load::Rate(12.5),
            "a rate phase's concurrency is only a cap"
        );
        assert_eq!(p.workload.dataset.as_deref(), Some("random"));
        // `osl` goes out as `max_tokens` only: a cap, not a length, unless the run forced it.
        assert_eq!(
            (p.workload.input_len, p.workload.output_len),
            (Some(512.0), None)
        );
        assert_eq!(p.fields.get("max_tokens").map(String::as_str), Some("64"));
        let two =
            r#"[{"name": "warm", "path": "warm.jsonl"}, {"name": "main", "path": "main.jsonl"}]"#;
        let p = point(&config_v2(
            r#"[{"name": "profiling", "type": "constant", "rate": 4, "dataset": "main"},
                {"name": "more", "kind": "profiling", "type": "constant", "rate": 4.0, "concurrency": 9}]"#,
            two,
        ));
        assert_eq!(p.load, Load::Rate(4.0), "the same load in two phases");
        assert_eq!(
            p.workload.dataset.as_deref(),
            Some("main"),
            "the phase's own dataset"
        );
        let p = point(&config_v2(
            r#"[{"name": "profiling", "type": "concurrency"}]"#,
            "[]",
        ));
        assert_eq!(
            p.load,
            Load::Concurrency(1.0),
            "AIPerf's default concurrency"
        );
    }

    #[test]
    fn config_v2_phases_without_one_load_are_named() {
        let reason = |phases: &str| {
            let text = config_v2(phases, "[]");
            let doc = Document::from_bytes(text.as_bytes()).unwrap();
            AiPerf.parse(&doc).unwrap_err().reason
        };
        assert!(reason(&format!("[{WARMUP}]")).contains("only warm-ups"));
        assert!(
            reason(r#"[{"name": "profiling", "type": "concurrency", "concurrency": "eight"}]"#)
                .contains("concurrency"),
            "a malformed concurrency is an error, not the default"
        );
        assert!(
            reason(
                r#"[{"name": "a", "kind": "profiling", "type": "concurrency", "concurrency": 4},
                    {"name": "b", "kind": "profiling", "type": "concurrency", "concurrency": 8}]"#
            )
            .contains("2 profiling phases at different loads")
        );
        assert!(reason(r#"[{"name": "profiling", "type": "gamma"}]"#).contains("neither a `rate`"));
    }

    fn no_points(text: &str) -> String {
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        match AiPerf.parse(&doc).unwrap() {
            Parsed::NoPoints(why) => why,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn endpoints_beyond_the_replicas_are_not_one_deployment() {
        let with_urls = |urls: &str| {
            RUN.replace(
                "\"type\": \"chat\", \"streaming\": true}",
                &format!("\"type\": \"chat\", \"streaming\": true, \"urls\": [{urls}]}}"),
            )
        };
        let two = point(&with_urls(r#""http://10.0.0.1:8080", "10.0.0.2:8080/""#));
        let why = endpoints_beyond_replicas(&two.fields, None).unwrap();
        assert!(why.contains("2 endpoints"), "{why}");
        assert!(why.contains("http://10.0.0.2:8080"), "{why}");
        assert_eq!(
            endpoints_beyond_replicas(&two.fields, Some(2)),
            None,
            "two replicas"
        );
        assert!(endpoints_beyond_replicas(&two.fields, Some(1)).is_some());
        let one = point(&with_urls(
            r#""http://H:8080", "h:8080/v1", "http://h:8080/?x=1""#,
        ));
        assert_eq!(
            one.fields.get(ENDPOINT_URLS),
            None,
            "one server named thrice"
        );
        assert_eq!(server("https://H:443/v1"), "https://h");
        assert_eq!(server("h"), server("http://h:80"));
        assert_eq!(server("http://[::1]:8000/"), "http://[::1]:8000");
        assert_eq!(endpoints_beyond_replicas(&point(RUN).fields, None), None);
    }

    #[test]
    fn a_run_without_streaming_has_no_token_timings() {
        let p = point(&RUN.replacen("\"streaming\": true", "\"streaming\": false", 1));
        assert_eq!(
            (p.ttft.p50(), p.tpot.p50(), p.itl.p50()),
            (None, None, None)
        );
        assert!(p.e2e.p50().is_some());
    }

    /// The run above with `input_config.loadgen` set to `settings`.
    fn with_loadgen(settings: &str) -> String {
        RUN.replace(
            "\"loadgen\": {\"concurrency\": 16}",
            &format!("\"loadgen\": {settings}"),
        )
    }

    #[test]
    fn a_trace_replay_is_set_aside_not_rejected() {
        // The real shape: a mooncake trace replayed by a config v2 `fixed_schedule` phase.
        let replay = config_v2(
            &format!(
                r#"[{WARMUP}, {{"name": "profiling", "type": "fixed_schedule", "requests": 320}}]"#
            ),
            r#"[{"name": "main", "type": "file", "format": "mooncake_trace"}]"#,
        );
        assert!(no_points(&replay).contains("replays a trace"));
        let flat = RUN.replace(
            r#""input": {"prompt""#,
            r#""input": {"fixed_schedule": true, "prompt""#,
        );
        assert!(no_points(&flat).contains("replays a trace"));
        // A warm-up that replays a trace does not make the counted phase one.
        let warm_replay = config_v2(
            r#"[{"name": "warmup", "type": "fixed_schedule", "exclude_from_results": true},
                {"name": "profiling", "type": "concurrency", "concurrency": 8}]"#,
            "[]",
        );
        assert_eq!(point(&warm_replay).load, Load::Concurrency(8.0));
    }

    #[test]
    fn fewer_requests_than_the_concurrency_never_reach_it() {
        let short = with_loadgen(r#"{"concurrency": 16, "request_count": 10}"#);
        let why = no_points(&short);
        assert!(
            why.contains("10 request(s) asked for at concurrency 16"),
            "{why}"
        );
        let enough = with_loadgen(r#"{"concurrency": 16, "request_count": 16}"#);
        assert_eq!(point(&enough).load, Load::Concurrency(16.0));
        let rate = with_loadgen(r#"{"request_rate": 4, "request_count": 2}"#);
        assert_eq!(
            point(&rate).load,
            Load::Rate(4.0),
            "a rate has no concurrency to reach"
        );
        let phase = config_v2(
            r#"[{"name": "profiling", "type": "concurrency", "concurrency": 8, "requests": 5}]"#,
            "[]",
        );
        assert!(no_points(&phase).contains("5 request(s) asked for at concurrency 8"));
        let timed =
            with_loadgen(r#"{"concurrency": 16, "request_count": 10, "benchmark_duration": 60}"#);
        assert_eq!(
            point(&timed).load,
            Load::Concurrency(16.0),
            "a duration bounds it"
        );
        // The real c32 shape: a short warm-up at the same concurrency, not counted.
        let warm = config_v2(
            r#"[{"name": "warmup", "type": "concurrency", "exclude_from_results": true, "requests": 16, "concurrency": 32},
                {"name": "profiling", "type": "concurrency", "requests": 96, "concurrency": 32}]"#,
            "[]",
        );
        assert_eq!(point(&warm).load, Load::Concurrency(32.0));
    }

    #[test]
    fn the_early_records_export_reads_its_ttft_tag() {
        let text = include_str!(
            "../../../tests/fixtures/versions/aiperf-records-profile_export_aiperf.json"
        );
        let p = point(text);
        assert_eq!(p.load, Load::Concurrency(100.0));
        let ttft = p.ttft;
        assert!((ttft.p50().unwrap() - 2369.3177).abs() < 1e-3, "{ttft:?}");
        assert!((ttft.p99().unwrap() - 3833.3894).abs() < 1e-3);
        // Its 11 errors are the 10% of requests `--request-cancellation-rate 10` cancelled:
        // the client's doing, not failures that would mark the load saturated.
        assert_eq!((p.completed, p.failed), (Some(89), Some(0)));
        assert_eq!(
            p.fields
                .get(super::super::CANCELLED_REQUESTS)
                .map(String::as_str),
            Some("11")
        );
        assert_eq!(
            p.fields
                .get("request_cancellation_rate")
                .map(String::as_str),
            Some("10"),
            "a setting that tells runs apart"
        );
        assert_eq!(p.label.as_deref(), Some("openai/gpt-oss-20b"));
    }

    #[test]
    fn the_real_export_reads() {
        let text = include_str!("../../../tests/fixtures/raw/aiperf/profile_export_aiperf.json");
        let p = point(text);
        assert!(matches!(p.load, Load::Concurrency(_)));
        assert!(p.ttft.p50().is_some() && p.tpot.p50().is_some() && p.e2e.p99().is_some());
        assert!(p.workload.dataset.is_some());
    }
}
