//! llmperf `*_summary.json`: one concurrency point as flattened keys
//! (`results_ttft_s_quantiles_p50`, seconds; some numbers are strings), or llmperf-bench's
//! wrapper that keys several such summaries by concurrency (`{"1": {...}, "2": {...}}`).
//! llmperf's `inter_token_latency_s` is end-to-end latency / output tokens per request, which
//! is NTPOT; TPOT and pooled ITL cannot be derived from the summary and stay unknown.
//! SambaNova's fork names its client-side figures `results_client_*` (read) beside the
//! server's `results_server_*` (not read: the client is what a user waits on), and has a rate
//! mode (`qps` in place of `num_concurrent_requests`).

use super::fields::{Obj, as_object};
use super::{MS_PER_S, Parsed, RawFormat};
use crate::document::Document;
use crate::error::FormatError;
use crate::point::{Latency, Load, MeasuredPoint};
use crate::workload::WorkloadHint;
use serde_json::Value;

pub struct LlmPerf;

/// The output throughput key: llmperf's, or SambaNova's fork's (which measures each figure on
/// the client and on the server, and names the client's `results_client_*`).
const OUTPUT_THROUGHPUT: [&str; 2] = [
    "results_mean_output_throughput_token_per_s",
    "results_client_total_output_throughput",
];

/// The load: llmperf's concurrency, or the rate of the fork's rate mode (`qps`, with
/// `qps_distribution`).
const LOADS: [&str; 2] = ["num_concurrent_requests", "qps"];

fn is_summary(v: &Value) -> bool {
    LOADS.iter().any(|k| v.get(k).is_some()) && OUTPUT_THROUGHPUT.iter().any(|k| v.get(k).is_some())
}

fn is_wrapper(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        !m.is_empty()
            && m.iter()
                .all(|(k, s)| k.parse::<u64>().is_ok() && is_summary(s))
    })
}

impl RawFormat for LlmPerf {
    fn tool(&self) -> &'static str {
        "llmperf"
    }

    fn detect(&self, doc: &Document) -> bool {
        matches!(doc, Document::Json(v) if is_summary(v) || is_wrapper(v))
    }

    fn parse(&self, doc: &Document) -> Result<Parsed, FormatError> {
        let Document::Json(v) = doc else {
            return Err(doc.not_one_object());
        };
        if is_summary(v) {
            if let Some(why) = concurrency_never_reached(v) {
                return Ok(Parsed::NoPoints(why));
            }
            return parse_summary(v).map(|p| Parsed::Points(vec![p]));
        }
        if !is_wrapper(v) {
            // Only when run.toml names the tool does a document that is neither get here.
            return Err(FormatError::new(
                "neither a summary (a load, `num_concurrent_requests` or `qps`, and an output \
                 throughput) nor llmperf-bench's summaries keyed by concurrency",
            ));
        }
        parse_levels(v)
    }
}

/// llmperf-bench's wrapper: one summary per concurrency level, keyed by it. A level its
/// requests never reached is left out (noted when no level is left).
fn parse_levels(v: &Value) -> Result<Parsed, FormatError> {
    let map = v
        .as_object()
        .ok_or_else(|| FormatError::wrong_type("document", "an object", v))?;
    let mut keyed: Vec<(u64, &Value)> = Vec::with_capacity(map.len());
    for (k, s) in map {
        let level = k
            .parse::<u64>()
            .map_err(|_| FormatError::new(format!("key `{k}` is not a concurrency level")))?;
        keyed.push((level, s));
    }
    keyed.sort_by_key(|(level, _)| *level);
    let mut points = Vec::with_capacity(keyed.len());
    let mut unreached = None;
    for (level, s) in keyed {
        let disagrees = || {
            FormatError::new(format!(
                "concurrency {level}: num_concurrent_requests disagrees with its key"
            ))
        };
        if let Some(why) = concurrency_never_reached(s) {
            let stated = as_object(s, "summary")?.num("num_concurrent_requests")?;
            if stated != Some(level as f64) {
                return Err(disagrees());
            }
            unreached.get_or_insert(why);
            continue;
        }
        let p = parse_summary(s).map_err(|e| e.at(format!("concurrency {level}")))?;
        if p.load != Load::Concurrency(level as f64) {
            return Err(disagrees());
        }
        points.push(p);
    }
    match unreached {
        Some(why) if points.is_empty() => Ok(Parsed::NoPoints(why)),
        _ => Ok(Parsed::Points(points)),
    }
}

/// A summary that started fewer requests than its concurrency: at most that many ran at once,
/// so the point would sit at a load it never had (a real run: 2 started at concurrency 3).
fn concurrency_never_reached(v: &Value) -> Option<String> {
    let o = as_object(v, "summary").ok()?;
    let concurrency = o.num("num_concurrent_requests").ok()??;
    let started = o.num("results_num_requests_started").ok()??;
    super::concurrency_not_reached(started, "request(s) started", concurrency)
}

fn parse_summary(v: &Value) -> Result<MeasuredPoint, FormatError> {
    let o = as_object(v, "summary")?;
    let load = match o.num(LOADS[0])? {
        Some(c) if c < 1.0 => {
            return Err(FormatError::new(
                "num_concurrent_requests must be at least 1",
            ));
        }
        Some(c) => Load::Concurrency(c),
        None => match o.num(LOADS[1])? {
            Some(q) if q > 0.0 => Load::Rate(q),
            _ => return Err(FormatError::new("qps must be above 0")),
        },
    };
    let output = o
        .first_num(&OUTPUT_THROUGHPUT)?
        .ok_or_else(|| FormatError::missing(OUTPUT_THROUGHPUT[0]))?;
    let mut p = MeasuredPoint::new(load, output);
    p.label = o.text("name")?.map(str::to_string);
    p.completed = o.count("results_num_completed_requests")?;
    p.failed = o.count("results_number_errors")?;
    p.set_requests_per_s(
        o.num("results_num_completed_requests_per_min")?
            .map(|m| m / 60.0),
    );
    p.set_mean_input_tokens(o.num("results_number_input_tokens_mean")?);
    p.set_mean_output_tokens(o.num("results_number_output_tokens_mean")?);
    p.set_input_tokens_per_s(
        p.requests_per_s()
            .zip(p.mean_input_tokens())
            .map(|(r, n)| r * n),
    );
    p.workload = WorkloadHint {
        dataset: Some("random".into()),
        input_len: o.first_num(&["mean_input_tokens", "num_input_tokens"])?,
        output_len: o.first_num(&["mean_output_tokens", "num_output_tokens"])?,
        range_ratio: None,
    };
    if p.workload.input_len.is_none() && p.workload.output_len.is_none() {
        p.workload = WorkloadHint::default();
    }
    p.fields = o.scalars(|k, v| !k.starts_with("results_") && !v.is_number());
    p.ttft = seconds(&o, "ttft")?;
    p.ntpot = seconds(&o, "inter_token_latency")?;
    p.e2e = seconds(&o, "end_to_end_latency")?;
    // The fork's per-request speeds are not llmperf's inter-token latency: NTPOT stays unknown.
    if p.ttft == Latency::default() {
        p.ttft = seconds(&o, "client_ttft")?;
    }
    if p.e2e == Latency::default() {
        p.e2e = seconds(&o, "client_end_to_end_latency")?;
    }
    Ok(p.with_derived_totals())
}

fn seconds(o: &Obj, metric: &str) -> Result<Latency, FormatError> {
    Ok(o.latency_by(|stat| match stat {
        "mean" => format!("results_{metric}_s_mean"),
        q => format!("results_{metric}_s_quantiles_{q}"),
    })?
    .scaled(MS_PER_S))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(concurrency: u32) -> String {
        format!(
            r#"{{"version": "2023-08-31", "name": "m_550_150_summary", "model": "m", "num_concurrent_requests": {concurrency},
              "results_inter_token_latency_s_quantiles_p50": 0.03, "results_inter_token_latency_s_mean": 0.031,
              "results_ttft_s_quantiles_p50": 0.15, "results_ttft_s_quantiles_p90": 0.2, "results_ttft_s_mean": 0.16,
              "results_end_to_end_latency_s_quantiles_p50": 5.0, "results_end_to_end_latency_s_mean": 5.1,
              "results_number_input_tokens_mean": 600.0, "results_number_input_tokens_min": "550",
              "results_number_output_tokens_mean": 150.0, "results_number_errors": 0,
              "results_error_code_frequency": "{{}}", "results_mean_output_throughput_token_per_s": 30.0,
              "results_num_completed_requests": 100, "results_num_completed_requests_per_min": 12.0,
              "timestamp": 1714048581}}"#
        )
    }

    fn points(text: &str) -> Vec<MeasuredPoint> {
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        assert!(LlmPerf.detect(&doc));
        match LlmPerf.parse(&doc).unwrap() {
            Parsed::Points(p) => p,
            other => panic!("expected points, got {other:?}"),
        }
    }

    #[test]
    fn a_concurrency_its_requests_never_reached_is_not_a_load_point() {
        let started = |concurrency: u32, n: &str| {
            summary(concurrency).replace(
                "\"timestamp\"",
                &format!("\"results_num_requests_started\": {n}, \"timestamp\""),
            )
        };
        let doc = Document::from_bytes(started(3, "\"2\"").as_bytes()).unwrap();
        let Parsed::NoPoints(why) = LlmPerf.parse(&doc).unwrap() else {
            panic!("expected no points")
        };
        assert!(
            why.contains("2 request(s) started at concurrency 3"),
            "{why}"
        );
        assert_eq!(points(&started(3, "3")).len(), 1, "reached");
        let wrapper = format!(
            r#"{{"2": {}, "8": {}}}"#,
            started(2, "100"),
            started(8, "5")
        );
        let ps = points(&wrapper);
        assert_eq!(ps.len(), 1, "the level never reached is left out");
        assert_eq!(ps[0].load, Load::Concurrency(2.0));
        let none = format!(r#"{{"8": {}}}"#, started(8, "5"));
        let doc = Document::from_bytes(none.as_bytes()).unwrap();
        assert!(matches!(LlmPerf.parse(&doc).unwrap(), Parsed::NoPoints(_)));
    }

    #[test]
    fn flat_summary_in_seconds_with_string_numbers() {
        let p = &points(&summary(5))[0];
        assert_eq!(p.load, Load::Concurrency(5.0));
        assert_eq!(p.ttft.p50(), Some(150.0));
        assert_eq!(
            p.ntpot.p50(),
            Some(30.0),
            "llmperf inter_token_latency is NTPOT"
        );
        assert_eq!(p.itl, Latency::default());
        assert_eq!(p.requests_per_s(), Some(0.2));
        assert!((p.input_tokens_per_s().unwrap() - 120.0).abs() < 1e-9);
    }

    #[test]
    fn sambanova_fork_reads_the_client_side_figures() {
        // SambaNova's fork: client and server figures apart, requested lengths as `num_*`,
        // bare NaN for figures it had no samples of.
        let text = r#"{"name": "synthetic_0_m_128_1000_100_stream_1dcc_summary", "model": "m",
            "num_concurrent_requests": 100,
            "results_client_ttft_s_quantiles_p50": 1.3133, "results_client_ttft_s_quantiles_p90": 2.6266,
            "results_client_ttft_s_quantiles_p99": 3.4174, "results_client_ttft_s_mean": 1.6035,
            "results_client_end_to_end_latency_s_quantiles_p50": 5.5046, "results_client_end_to_end_latency_s_mean": 5.6281,
            "results_client_output_token_per_s_per_request_quantiles_p50": 243.5206,
            "results_server_ttft_s_mean": 0.5476, "results_acceptance_rate_mean": NaN,
            "results_number_input_tokens_mean": 162.0, "results_number_input_tokens_min": "162",
            "results_number_output_tokens_mean": 1000.1683,
            "results_num_requests_started": 1093, "results_error_rate": 0.0, "results_number_errors": 0,
            "results_client_total_output_throughput": 16806.4856, "results_num_completed_requests": 1093,
            "results_num_completed_requests_per_min": 1008.2194,
            "num_input_tokens": 128, "num_output_tokens": 1000, "timestamp": 1749490637}"#;
        let p = &points(text)[0];
        assert_eq!(p.load, Load::Concurrency(100.0));
        assert_eq!(p.output_tokens_per_s, 16806.4856);
        assert_eq!(p.ttft.p90(), Some(2626.6));
        assert_eq!(
            p.ttft.mean(),
            Some(1603.5),
            "the client's, not the server's 547.6"
        );
        assert_eq!(p.e2e.p50(), Some(5504.6));
        assert_eq!(
            p.ntpot,
            Latency::default(),
            "per-request speeds are not NTPOT"
        );
        assert_eq!((p.completed, p.failed), (Some(1093), Some(0)));
        assert_eq!(
            (p.workload.input_len, p.workload.output_len),
            (Some(128.0), Some(1000.0))
        );
        let rate_mode = text.replace(
            "\"num_concurrent_requests\": 100,",
            "\"qps\": 10, \"qps_distribution\": \"constant\",",
        );
        assert_eq!(points(&rate_mode)[0].load, Load::Rate(10.0));
        let neither = text.replace("\"num_concurrent_requests\": 100,", "");
        let doc = Document::from_bytes(neither.as_bytes()).unwrap();
        let err = LlmPerf.parse(&doc).unwrap_err().to_string();
        assert!(err.contains("neither a summary"), "{err}");
    }

    #[test]
    fn wrapper_keyed_by_concurrency_is_sorted_numerically() {
        let text = format!(
            r#"{{"16": {}, "2": {}, "1": {}}}"#,
            summary(16),
            summary(2),
            summary(1)
        );
        let loads: Vec<Load> = points(&text).iter().map(|p| p.load).collect();
        assert_eq!(
            loads,
            vec![
                Load::Concurrency(1.0),
                Load::Concurrency(2.0),
                Load::Concurrency(16.0)
            ]
        );
    }

    #[test]
    fn mismatched_key_is_rejected() {
        let text = format!(r#"{{"4": {}}}"#, summary(8));
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        assert!(
            LlmPerf
                .parse(&doc)
                .unwrap_err()
                .reason
                .contains("disagrees")
        );
    }

    #[test]
    fn author_digest_is_not_llmperf() {
        let doc = Document::from_bytes(
            br#"{"1": {"concurrency": 1, "throughput_token_per_s": 30.4, "latency_ms_per_token": 30.3}}"#,
        )
        .unwrap();
        assert!(!LlmPerf.detect(&doc));
    }
}
