//! vLLM `vllm bench serve --save-result` (and `benchmark_serving.py`): one flat JSON object per
//! rate point, or JSON Lines of them with `--append-result` (whatever the file is named).
//! Latencies are already in ms. vLLM reports no per-request NTPOT, so NTPOT stays unknown.

use super::fields::{Obj, as_object};
use super::serving_json::{
    e2e_from_latencies, input_tokens_per_s, load, mean_per_request, ms_latency, not_a_load_point,
    record_fields, requests_per_s, requests_sent, token_timings, ttft_of_answered_requests,
    workload,
};
use super::{Parsed, RawFormat, json_objects, parse_objects_except};
use crate::document::Document;
use crate::error::FormatError;
use crate::point::{Latency, MeasuredPoint};

pub const TOOL: &str = "vllm";

pub struct VllmSaveResult;

impl RawFormat for VllmSaveResult {
    fn tool(&self) -> &'static str {
        TOOL
    }

    fn detect(&self, doc: &Document) -> bool {
        let objects = json_objects(doc);
        !objects.is_empty() && objects.iter().all(|o| is_record(o))
    }

    fn parse(&self, doc: &Document) -> Result<Parsed, FormatError> {
        parse_objects_except(doc, parse_one, not_a_load_point)
    }
}

/// Whether a JSON object is one vLLM bench_serving record (SGLang names its end-to-end latency
/// `e2e_latency`, vLLM `e2el`).
pub(super) fn is_record(o: &serde_json::Value) -> bool {
    o.get("output_throughput").is_some()
        && [
            "mean_ttft_ms",
            "median_ttft_ms",
            "mean_e2el_ms",
            "median_e2el_ms",
        ]
        .iter()
        .any(|k| o.get(*k).is_some())
        && o.get("mean_e2e_latency_ms").is_none()
        && o.get("median_e2e_latency_ms").is_none()
}

/// Failed requests where a record states none (vLLM 0.8 and earlier): the requests it sent
/// less those completed, since the benchmark waits for every request it sends (a real 0.8.3
/// run completed 1,015 of 2,000 at an unbounded rate, with no `failed` key), counted as
/// [`requests_sent`] counts them.
fn unstated_failures(o: &Obj, completed: Option<i64>) -> Option<i64> {
    let (sent, _) = requests_sent(o)?;
    let done = completed?;
    (done as f64 <= sent).then(|| sent as i64 - done)
}

pub(super) fn parse_one(v: &serde_json::Value) -> Result<MeasuredPoint, FormatError> {
    let o = as_object(v, "document")?;
    let output = o.req_num("output_throughput")?;
    let mut p = MeasuredPoint::new(load(&o)?, output);
    p.label = o.text("model_id")?.map(str::to_string);
    p.set_requests_per_s(requests_per_s(&o)?);
    p.set_duration_s(o.num("duration")?);
    p.completed = o.count("completed")?;
    p.failed = match o.count("failed")? {
        Some(n) => Some(n),
        None => unstated_failures(&o, p.completed),
    };
    p.set_input_tokens_per_s(input_tokens_per_s(&o, output)?);
    p.set_total_tokens_per_s(o.num("total_token_throughput")?);
    p.set_mean_input_tokens(mean_per_request(&o, "total_input_tokens")?);
    p.set_mean_output_tokens(mean_per_request(&o, "total_output_tokens")?);
    (p.ttft, p.tpot, p.itl) = token_timings(&o, p.mean_output_tokens())?;
    if p.ttft != Latency::default()
        && let Some(answered) = ttft_of_answered_requests(&o)
    {
        p.ttft = answered;
    }
    p.e2e = ms_latency(&o, "e2el")?;
    if p.e2e == Latency::default() {
        // Some 2024 forks name it `mean_latency_ms` / `median_latency_ms` / `p99_latency_ms`.
        p.e2e = ms_latency(&o, "latency")?;
    }
    if p.e2e == Latency::default()
        && let Some(e2e) = e2e_from_latencies(&o)
    {
        p.e2e = e2e;
    }
    p.workload = workload(&o)?;
    p.fields = record_fields(&o);
    Ok(p.with_derived_totals())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::Load;

    const ONE: &str = r#"{"date": "20250101-000000", "backend": "vllm", "model_id": "meta-llama/Llama-3.1-8B-Instruct",
      "request_rate": 4.0, "burstiness": 1.0, "max_concurrency": null, "duration": 100.0, "completed": 400,
      "failed": 0, "total_input_tokens": 80000, "total_output_tokens": 40000, "request_throughput": 3.98,
      "request_goodput:": null, "output_throughput": 400.0, "total_token_throughput": 1200.0,
      "mean_ttft_ms": 30.5, "median_ttft_ms": 29.0, "p99_ttft_ms": 80.0, "mean_tpot_ms": 9.0,
      "median_tpot_ms": 8.5, "p99_tpot_ms": 15.0, "mean_itl_ms": 9.1, "median_itl_ms": 8.0,
      "p99_itl_ms": 30.0, "mean_e2el_ms": 900.0, "median_e2el_ms": 850.0, "p99_e2el_ms": 2000.0,
      "gpu": "H100"}"#;

    fn points(text: &str) -> Vec<MeasuredPoint> {
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        assert!(VllmSaveResult.detect(&doc));
        match VllmSaveResult.parse(&doc).unwrap() {
            Parsed::Points(p) => p,
            other => panic!("expected points, got {other:?}"),
        }
    }

    #[test]
    fn single_object_with_goodput_colon_key_and_metadata() {
        let p = &points(ONE)[0];
        assert_eq!(p.load, Load::Rate(4.0));
        assert_eq!(p.ttft.p50(), Some(29.0));
        assert_eq!(p.e2e.p99(), Some(2000.0));
        assert_eq!(p.input_tokens_per_s(), Some(800.0));
        assert_eq!(p.mean_output_tokens(), Some(100.0));
        assert_eq!(p.ntpot.mean(), None, "vLLM reports no NTPOT");
        assert_eq!(p.label.as_deref(), Some("meta-llama/Llama-3.1-8B-Instruct"));
    }

    #[test]
    fn prompts_not_completed_failed_where_no_failed_count_is_stated() {
        let older = ONE.replace("\"failed\": 0, ", "\"num_prompts\": 2000, ");
        let short = older.replace("\"completed\": 400", "\"completed\": 1015");
        assert_eq!(points(&short)[0].failed, Some(985));
        let all = older.replace("\"completed\": 400", "\"completed\": 2000");
        assert_eq!(points(&all)[0].failed, Some(0));
        let stated = ONE.replace("\"failed\": 0, ", "\"failed\": 3, \"num_prompts\": 2000, ");
        assert_eq!(points(&stated)[0].failed, Some(3), "a stated count stands");
        let unknown = ONE.replace("\"failed\": 0, ", "");
        assert_eq!(points(&unknown)[0].failed, None);
        let more_done = older.replace("\"completed\": 400", "\"completed\": 6000");
        assert_eq!(
            points(&more_done)[0].failed,
            None,
            "turns counted, not prompts"
        );
        // Two completed of the requests a per-request list counts.
        let two_of = |list: &str| {
            short
                .replace(
                    "\"num_prompts\": 2000, ",
                    &format!("\"num_prompts\": 2000, {list}, "),
                )
                .replace("\"completed\": 1015", "\"completed\": 2")
        };
        let sampled_short = two_of("\"input_lens\": [5, 5, 5]");
        assert_eq!(
            points(&sampled_short)[0].failed,
            Some(1),
            "requests sent, not prompts asked for"
        );
        let listed = two_of("\"errors\": [\"\", \"timeout\", \"\", \"\"]");
        assert_eq!(
            points(&listed)[0].failed,
            Some(2),
            "one entry per request sent, whatever its text (an HTTP error's may be empty)"
        );
        let malformed = short.replace("\"num_prompts\": 2000", "\"num_prompts\": \"many\"");
        assert_eq!(
            points(&malformed)[0].failed,
            None,
            "a bad count is no count"
        );
    }

    #[test]
    fn requests_that_returned_no_token_leave_the_ttft_out() {
        // A 2024 fork's per-request lists: two of four requests returned nothing, ttft 0.
        let lists = ONE.replace(
            "\"gpu\": \"H100\"",
            "\"gpu\": \"H100\", \"ttfts\": [0.05, 0.0, 0.07, 0.0], \"output_lens\": [100, 0, 120, 0]",
        );
        let p = &points(&lists)[0];
        assert!((p.ttft.mean().unwrap() - 60.0).abs() < 1e-9, "{:?}", p.ttft);
        assert!((p.ttft.p50().unwrap() - 60.0).abs() < 1e-9);
        // Every request answered: the stated figures stand.
        let answered = lists.replace("[0.05, 0.0, 0.07, 0.0]", "[0.05, 0.02, 0.07, 0.03]");
        assert_eq!(points(&answered)[0].ttft.p50(), Some(29.0));
    }

    #[test]
    fn forks_naming_e2e_latency_and_multi_turn_runs_read() {
        let p50_only = ONE.replace("\"median_ttft_ms\"", "\"p50_ttft_ms\"");
        assert_eq!(
            points(&p50_only)[0].ttft.p50(),
            Some(29.0),
            "p50_ when median_ is absent"
        );
        let latency = ONE.replace("_e2el_ms", "_latency_ms");
        let p = &points(&latency)[0];
        assert_eq!((p.e2e.p50(), p.e2e.p99()), (Some(850.0), Some(2000.0)));
        let multi_turn = ONE.replace("\"request_rate\": 4.0, ", "").replace(
            "\"max_concurrency\": null",
            "\"multi_turn_concurrency\": 2, \"turns_per_conversation\": 3",
        );
        let p = &points(&multi_turn)[0];
        assert_eq!(p.load, Load::Concurrency(2.0), "conversations in flight");
        assert_eq!(
            p.fields.get("turns_per_conversation").map(String::as_str),
            Some("3")
        );
    }

    #[test]
    fn a_sweeps_server_settings_are_settings_and_its_run_number_is_not() {
        let run = |seqs: u32, n: u32| {
            ONE.replace(
                "\"gpu\": \"H100\"",
                &format!("\"max_num_seqs\": {seqs}, \"run_number\": {n}"),
            )
        };
        let fields = |text: &str| points(text)[0].fields.clone();
        assert_eq!(
            fields(&run(4, 1)).get("max_num_seqs").map(String::as_str),
            Some("4")
        );
        assert_ne!(fields(&run(4, 1)), fields(&run(8, 1)), "two deployments");
        assert_eq!(fields(&run(4, 1)), fields(&run(4, 2)), "repeats of one");
    }

    #[test]
    fn the_newest_default_output_reads() {
        // `--percentile-metrics` without ttft: only E2E keys.
        let e2el_only = ONE.replace(
            "\"mean_ttft_ms\": 30.5, \"median_ttft_ms\": 29.0, \"p99_ttft_ms\": 80.0, ",
            "",
        );
        let p = &points(&e2el_only)[0];
        assert_eq!((p.ttft.p50(), p.e2e.p50()), (None, Some(850.0)));
        // The default (ttft,tpot,itl): E2E from the per-request `latencies` in seconds.
        let latencies = ONE
            .replace(
                "\"mean_e2el_ms\": 900.0, \"median_e2el_ms\": 850.0, \"p99_e2el_ms\": 2000.0,",
                "",
            )
            .replace(
                "\"gpu\": \"H100\"",
                "\"latencies\": [0.5, 1.0, 0.0, 1.5, 2.0, 0.4]",
            );
        let e2e = points(&latencies)[0].e2e;
        assert_eq!(e2e.mean(), Some(1080.0), "a failed request's 0 is left out");
        assert_eq!(e2e.p50(), Some(1000.0));
        assert!(
            (e2e.p99().unwrap() - 1980.0).abs() < 1e-9,
            "interpolated: {e2e:?}"
        );
    }

    #[test]
    fn warm_ups_ramp_ups_and_trace_replays_are_not_load_points() {
        let no_points = |text: &str| {
            let doc = Document::from_bytes(text.as_bytes()).unwrap();
            match VllmSaveResult.parse(&doc).unwrap() {
                Parsed::NoPoints(why) => why,
                other => panic!("expected no points, got {other:?}"),
            }
        };
        let warmup = ONE.replace("\"gpu\": \"H100\"", "\"run_number\": -1");
        assert!(no_points(&warmup).contains("warm-up"));
        let ramp = ONE.replace(
            "\"gpu\": \"H100\"",
            "\"ramp_up_strategy\": \"linear\", \"ramp_up_start_rps\": 1, \"ramp_up_end_rps\": 20",
        );
        assert!(no_points(&ramp).contains("linear ramp-up run (1 → 20 req/s)"));
        let trace = ONE.replace("\"request_rate\": 4.0", "\"request_rate\": \"trace\"");
        assert!(no_points(&trace).contains("trace replay"));
        let capped = trace.replace("\"max_concurrency\": null", "\"max_concurrency\": 16");
        assert_eq!(points(&capped)[0].load, Load::Concurrency(16.0));
        let line = |t: &str| t.replace('\n', " ");
        let mixed = format!("{}\n{}\n", line(&warmup), line(ONE));
        assert_eq!(points(&mixed).len(), 1, "the warm-up line is left out");
        // 400 requests at a cap of 500 never had 500 in flight; at 400 they could.
        let unreached = ONE
            .replace("\"request_rate\": 4.0", "\"request_rate\": \"inf\"")
            .replace("\"max_concurrency\": null", "\"max_concurrency\": 500");
        let why = no_points(&unreached);
        assert!(
            why.contains("400 requests at concurrency 500: at most 400 ran at once"),
            "{why}"
        );
        let prompts = unreached.replace("\"gpu\": \"H100\"", "\"num_prompts\": 450");
        assert!(no_points(&prompts).contains("450 `num_prompts` at concurrency 500"));
        // Sent 600 (`num_prompts`), 400 completed: the cap was reached; the failures are the
        // knee's business.
        let sent = unreached.replace("\"gpu\": \"H100\"", "\"num_prompts\": 600");
        assert_eq!(points(&sent)[0].load, Load::Concurrency(500.0));
        // SGLang states no `failed`: its `completed` alone is no count of requests sent.
        let sglang_like = unreached.replace("\"failed\": 0, ", "");
        assert_eq!(points(&sglang_like)[0].load, Load::Concurrency(500.0));
        let zero_prompts = unreached.replace("\"gpu\": \"H100\"", "\"num_prompts\": 0");
        assert!(
            no_points(&zero_prompts).contains("400 requests"),
            "0 is unknown"
        );
        let string_cap =
            unreached.replace("\"max_concurrency\": 500", "\"max_concurrency\": \"500\"");
        assert!(no_points(&string_cap).contains("at concurrency 500"));
        let reached = unreached.replace("\"max_concurrency\": 500", "\"max_concurrency\": 400");
        assert_eq!(points(&reached)[0].load, Load::Concurrency(400.0));
        let rate_led = unreached.replace("\"request_rate\": \"inf\"", "\"request_rate\": 4.0");
        assert_eq!(
            points(&rate_led)[0].load,
            Load::Rate(4.0),
            "the cap is not the load"
        );
    }

    #[test]
    fn appended_results_and_inf_rate() {
        let inf = ONE.replace("\"request_rate\": 4.0", "\"request_rate\": \"inf\"");
        let text = format!("{}\n{}\n", ONE.replace('\n', " "), inf.replace('\n', " "));
        let ps = points(&text);
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[1].load, Load::Unbounded);
    }

    #[test]
    fn inf_rate_with_max_concurrency_is_a_concurrency_load() {
        let text = ONE
            .replace("\"request_rate\": 4.0", "\"request_rate\": \"inf\"")
            .replace("\"max_concurrency\": null", "\"max_concurrency\": 32");
        assert_eq!(points(&text)[0].load, Load::Concurrency(32.0));
        // A client's "no limit" stand-in (a real run: 1e9 requests/s) is no rate offered.
        let sentinel = ONE
            .replace("\"request_rate\": 4.0", "\"request_rate\": 1000000000.0")
            .replace("\"max_concurrency\": null", "\"max_concurrency\": 16");
        assert_eq!(points(&sentinel)[0].load, Load::Concurrency(16.0));
        let alone = ONE.replace("\"request_rate\": 4.0", "\"request_rate\": 1e9");
        assert_eq!(points(&alone)[0].load, Load::Unbounded);
        let high = ONE.replace("\"request_rate\": 4.0", "\"request_rate\": 2000.0");
        assert_eq!(points(&high)[0].load, Load::Rate(2000.0));
        let at = |rate: &str| {
            points(&ONE.replace(
                "\"request_rate\": 4.0",
                &format!("\"request_rate\": {rate}"),
            ))[0]
                .load
        };
        assert_eq!(
            at("2000.0"),
            Load::Rate(2000.0),
            "a high rate is still a rate"
        );
        assert_eq!(at("999999.0"), Load::Rate(999_999.0));
        assert_eq!(at("1000000.0"), Load::Unbounded);
    }

    #[test]
    fn newer_vllm_bench_serve_layout() {
        // `vllm bench serve`: endpoint_type instead of backend, label null, request_goodput
        // without the colon; InferenceX's copy adds p90/p99.9 keys; model_id may be a local
        // cache path (the run.toml model wins; the label only names the point).
        let text = include_str!(
            "../../../data/raw/dstack-pd-ratio-h200/1p3d-in2048-out128/1p3d_conc64_in2048_out128_20250923_033822.json"
        );
        let p = &points(text)[0];
        assert_eq!(p.load, Load::Concurrency(64.0));
        assert!(p.ttft.p99().is_some() && p.tpot.p50().is_some());
        assert_eq!(p.e2e.p50(), None, "this client wrote no e2el");
        assert_eq!(
            p.fields.get("endpoint_type").map(String::as_str),
            Some("openai")
        );
        assert!(!p.fields.contains_key("label"), "a null label is no field");
        let inferencex = include_str!(
            "../../../data/raw/inferencex-mi355x-disagg/gpt-oss-120b/concurrency_4_req_rate_inf_gpus_16_ctx_8_gen_8.json"
        );
        let q = &points(inferencex)[0];
        assert_eq!(q.load, Load::Concurrency(4.0));
        assert!(q.ttft.p90().is_some(), "p90 keys are read");
        assert!(
            q.label
                .as_deref()
                .is_some_and(|l| l.starts_with("/models/"))
        );
    }

    #[test]
    fn a_bad_line_is_named() {
        let bad = ONE.replace("\"median_ttft_ms\": 29.0", "\"median_ttft_ms\": \"fast\"");
        let text = format!("{}\n{}\n", ONE.replace('\n', " "), bad.replace('\n', " "));
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        let err = VllmSaveResult.parse(&doc).unwrap_err();
        assert!(
            err.reason.starts_with("line 2: field `median_ttft_ms`"),
            "{}",
            err.reason
        );
    }
}
