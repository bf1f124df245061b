//! SGLang `bench_serving --output-file`: JSON Lines, one object per run, `*_ms` latencies like
//! vLLM's but `*_e2e_latency_ms` for E2E, and `request_rate` may be the bare token `Infinity`
//! (Python's json writes it; the document reader accepts it).

use super::fields::as_object;
use super::serving_json::{
    input_tokens_per_s, load, mean_per_request, ms_latency, not_a_load_point, record_fields,
    requests_per_s, token_timings, workload,
};
use super::{Parsed, RawFormat, json_objects, parse_objects_except};
use crate::document::Document;
use crate::error::FormatError;
use crate::point::MeasuredPoint;

pub struct SglangBenchServing;

/// The tool its points are recorded under.
pub const TOOL: &str = "sglang";

impl RawFormat for SglangBenchServing {
    fn tool(&self) -> &'static str {
        TOOL
    }

    fn detect(&self, doc: &Document) -> bool {
        let objects = json_objects(doc);
        !objects.is_empty()
            && objects.iter().all(|o| {
                o.get("output_throughput").is_some()
                    && (o.get("mean_e2e_latency_ms").is_some()
                        || o.get("median_e2e_latency_ms").is_some())
            })
    }

    fn parse(&self, doc: &Document) -> Result<Parsed, FormatError> {
        parse_objects_except(doc, parse_one, not_a_load_point)
    }
}

pub(super) fn parse_one(v: &serde_json::Value) -> Result<MeasuredPoint, FormatError> {
    let o = as_object(v, "document")?;
    let output = o.req_num("output_throughput")?;
    let mut p = MeasuredPoint::new(load(&o)?, output);
    p.label = o.text("tag")?.map(str::to_string);
    p.set_requests_per_s(requests_per_s(&o)?);
    p.set_duration_s(o.num("duration")?);
    p.completed = o.count("completed")?;
    p.set_input_tokens_per_s(match o.num("input_throughput")? {
        Some(v) => Some(v),
        None => input_tokens_per_s(&o, output)?,
    });
    p.set_total_tokens_per_s(o.num("total_throughput")?);
    p.set_mean_input_tokens(mean_per_request(&o, "total_input_tokens")?);
    p.set_mean_output_tokens(mean_per_request(&o, "total_output_tokens")?);
    (p.ttft, p.tpot, p.itl) = token_timings(&o, p.mean_output_tokens())?;
    p.e2e = ms_latency(&o, "e2e_latency")?;
    p.workload = workload(&o)?;
    p.fields = record_fields(&o);
    if let Some(server) = o.child("server_info")? {
        for (name, value) in server.scalars(|k, _| SERVER_SETTINGS.contains(&k)).iter() {
            p.fields
                .insert(format!("server_info.{name}"), value.clone());
        }
    }
    Ok(p.with_derived_totals())
}

/// The server's launch settings that make a different deployment, from the `server_info` that
/// newer records carry (about 400 keys, most of them paths, ports and counters that change from
/// run to run). Points of one curve at one load that differ in one of these are split by it
/// (`server_info.tp_size=4`), not averaged as repeats; `[[series]] match` can select on them.
const SERVER_SETTINGS: &[&str] = &[
    "tp_size",
    "dp_size",
    "ep_size",
    "pp_size",
    "enable_dp_attention",
    "speculative_algorithm",
    "speculative_num_steps",
    "speculative_eagle_topk",
    "speculative_num_draft_tokens",
    "quantization",
    "kv_cache_dtype",
    "dtype",
    "attention_backend",
    "chunked_prefill_size",
    "max_running_requests",
    "disaggregation_mode",
    "disable_radix_cache",
    "schedule_policy",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::Load;

    const LINE: &str = r#"{"backend": "sglang", "dataset_name": "random", "request_rate": Infinity, "max_concurrency": null, "random_input_len": 1024, "random_output_len": 256, "duration": 50.0, "completed": 500, "total_input_tokens": 512000, "total_output_tokens": 128000, "request_throughput": 10.0, "input_throughput": 10240.0, "output_throughput": 2560.0, "mean_e2e_latency_ms": 4000.0, "median_e2e_latency_ms": 3900.0, "mean_ttft_ms": 500.0, "median_ttft_ms": 450.0, "p99_ttft_ms": 1500.0, "mean_tpot_ms": 14.0, "median_tpot_ms": 13.5, "p99_tpot_ms": 20.0, "mean_itl_ms": 14.1, "median_itl_ms": 12.0, "p99_itl_ms": 60.0}"#;

    #[test]
    fn bare_infinity_rate_is_unbounded_and_e2e_is_read() {
        let text = format!("{LINE}\n{}\n", LINE.replace("Infinity", "8"));
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        assert!(SglangBenchServing.detect(&doc));
        let Parsed::Points(ps) = SglangBenchServing.parse(&doc).unwrap() else {
            panic!("expected points")
        };
        assert_eq!(ps[0].load, Load::Unbounded);
        assert_eq!(ps[1].load, Load::Rate(8.0));
        assert_eq!(ps[0].e2e.p50(), Some(3900.0));
        assert_eq!(ps[0].input_tokens_per_s(), Some(10240.0));
        assert_eq!(ps[0].total_tokens_per_s(), Some(12800.0));
        assert_eq!(ps[0].mean_output_tokens(), Some(256.0));
    }

    #[test]
    fn input_throughput_follows_from_the_total_when_only_that_is_stated() {
        // A fork's partial record: no input throughput or token totals, but SGLang's total.
        let line = LINE
            .replace("\"input_throughput\": 10240.0, ", "")
            .replace("\"total_input_tokens\": 512000, ", "")
            .replace(
                "\"output_throughput\": 2560.0,",
                "\"output_throughput\": 2560.0, \"total_throughput\": 3786.19,",
            );
        let p = parse_one(&line);
        assert!((p.input_tokens_per_s().unwrap() - 1226.19).abs() < 1e-9);
        assert_eq!(p.total_tokens_per_s(), Some(3786.19));
    }

    fn parse_one(text: &str) -> MeasuredPoint {
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        let Parsed::Points(mut ps) = SglangBenchServing.parse(&doc).unwrap() else {
            panic!("expected points")
        };
        ps.remove(0)
    }

    #[test]
    fn zero_gaps_are_unknown_and_whole_responses_have_no_token_timings() {
        let no_gaps = LINE
            .replace("\"mean_itl_ms\": 14.1", "\"mean_itl_ms\": 0.0")
            .replace("\"median_itl_ms\": 12.0", "\"median_itl_ms\": 0.0")
            .replace("\"p99_itl_ms\": 60.0", "\"p99_itl_ms\": 0.0");
        // 256 tokens a request, none seen apart: each response came whole.
        let whole = parse_one(&no_gaps);
        assert_eq!(
            (whole.ttft, whole.tpot, whole.itl),
            Default::default(),
            "TTFT timed the whole response"
        );
        assert_eq!(whole.e2e.p50(), Some(3900.0));
        // One token a request: nothing to measure a gap or a TPOT by, but the TTFT stands.
        let one_token = parse_one(
            &no_gaps
                .replace(
                    "\"total_output_tokens\": 128000",
                    "\"total_output_tokens\": 500",
                )
                .replace("\"mean_tpot_ms\": 14.0", "\"mean_tpot_ms\": 0.0")
                .replace("\"median_tpot_ms\": 13.5", "\"median_tpot_ms\": 0.0")
                .replace("\"p99_tpot_ms\": 20.0", "\"p99_tpot_ms\": 0.0"),
        );
        assert_eq!(one_token.ttft.p50(), Some(450.0));
        assert_eq!((one_token.tpot, one_token.itl), Default::default());
        // Measured gaps stay as they are, and a median of 0 beside a mean that is not is a
        // measurement (several tokens a chunk).
        let streamed = parse_one(LINE);
        assert_eq!(
            (streamed.tpot.p50(), streamed.itl.p99()),
            (Some(13.5), Some(60.0))
        );
        let chunked = parse_one(&LINE.replace("\"median_itl_ms\": 12.0", "\"median_itl_ms\": 0.0"));
        assert_eq!(
            (chunked.ttft.p50(), chunked.itl.p50(), chunked.itl.mean()),
            (Some(450.0), Some(0.0), Some(14.1))
        );
        // A client that cut whole responses into pieces: gaps no decoder could make.
        let cut = parse_one(
            &LINE
                .replace("\"mean_tpot_ms\": 14.0", "\"mean_tpot_ms\": 0.00397")
                .replace("\"mean_itl_ms\": 14.1", "\"mean_itl_ms\": 0.00397"),
        );
        assert_eq!((cut.ttft, cut.tpot, cut.itl), Default::default());
        assert_eq!(cut.e2e.p50(), Some(3900.0));
    }

    #[test]
    fn the_servers_launch_settings_are_record_fields_and_its_counters_are_not() {
        let with_server = LINE.replace(
            "\"backend\": \"sglang\", ",
            "\"backend\": \"sglang\", \"server_info\": {\"tp_size\": 4, \"speculative_algorithm\": \"EAGLE\", \"enable_dp_attention\": false, \"port\": 30000, \"last_gen_throughput\": 812.5, \"model_path\": \"/models/x\"}, ",
        );
        let p = parse_one(&with_server);
        let field = |k: &str| p.fields.get(k).map(String::as_str);
        assert_eq!(field("server_info.tp_size"), Some("4"));
        assert_eq!(field("server_info.speculative_algorithm"), Some("EAGLE"));
        assert_eq!(field("server_info.enable_dp_attention"), Some("false"));
        assert_eq!(field("server_info.port"), None);
        assert_eq!(field("server_info.last_gen_throughput"), None);
        assert_eq!(field("server_info.model_path"), None);
    }

    #[test]
    fn early_lines_without_request_throughput_give_completed_over_duration() {
        let text = LINE.replace("\"request_throughput\": 10.0, ", "");
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        let Parsed::Points(ps) = SglangBenchServing.parse(&doc).unwrap() else {
            panic!("expected points")
        };
        assert_eq!(ps[0].requests_per_s(), Some(10.0), "500 completed in 50 s");
    }

    #[test]
    fn random_lengths_are_the_request_only_for_random_datasets() {
        let gsp = LINE.replace(
            "\"dataset_name\": \"random\"",
            "\"dataset_name\": \"generated-shared-prefix\"",
        );
        let doc = Document::from_bytes(gsp.as_bytes()).unwrap();
        let Parsed::Points(ps) = SglangBenchServing.parse(&doc).unwrap() else {
            panic!("expected points")
        };
        let w = &ps[0].workload;
        assert_eq!(w.dataset.as_deref(), Some("generated-shared-prefix"));
        assert_eq!(
            (w.input_len, w.output_len),
            (None, None),
            "SGLang's random_* defaults"
        );
        let doc = Document::from_bytes(LINE.as_bytes()).unwrap();
        let Parsed::Points(ps) = SglangBenchServing.parse(&doc).unwrap() else {
            panic!("expected points")
        };
        assert_eq!(ps[0].workload.input_len, Some(1024.0));
    }

    #[test]
    fn vllm_detector_does_not_claim_sglang_lines() {
        let doc = Document::from_bytes(LINE.as_bytes()).unwrap();
        assert_eq!(
            crate::formats::detect(&doc).map(|f| f.tool()),
            Some("sglang")
        );
    }
}
