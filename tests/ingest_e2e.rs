//! End-to-end: run the built binary's `ingest` on the bundled catalog, on hand-written fixtures
//! of every format, and on a corpus of broken inputs; read the Parquet back.

mod common;

use common::*;
use polars::prelude::*;

fn f64_at(df: &DataFrame, col: &str, row: usize) -> Option<f64> {
    df.column(col).unwrap().f64().unwrap().get(row)
}

fn str_at(df: &DataFrame, col: &str, row: usize) -> Option<String> {
    df.column(col)
        .unwrap()
        .str()
        .unwrap()
        .get(row)
        .map(str::to_string)
}

fn rows_where(df: &DataFrame, col: &str, value: &str) -> Vec<usize> {
    (0..df.height())
        .filter(|&i| str_at(df, col, i).as_deref() == Some(value))
        .collect()
}

/// A run directory `raw/<run>` holding `run_toml` as its run.toml.
fn run_dir(raw: &std::path::Path, run: &str, run_toml: &str) -> std::path::PathBuf {
    let dir = raw.join(run);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("run.toml"), run_toml).unwrap();
    dir
}

/// `infercat ingest --raw <raw> --out <out>` (with `--strict` when asked), which must succeed;
/// the benchmarks table it wrote.
fn ingest_ok(
    cwd: &std::path::Path,
    raw: &std::path::Path,
    out: &std::path::Path,
    strict: bool,
) -> DataFrame {
    let mut args = vec![
        "ingest",
        "--raw",
        raw.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    if strict {
        args.push("--strict");
    }
    let done = infercat(cwd, &args);
    assert!(done.status.success(), "{}", stderr(&done));
    read_parquet(&out.join("data/benchmarks.parquet"))
}

#[test]
fn bundled_catalog_gives_one_row_per_measured_point() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    copy_tree(&repo_path("data/raw"), &raw);
    let before = snapshot(&raw);
    let out = infercat(
        tmp.path(),
        &["ingest", "--raw", "raw", "--out", "out", "--strict"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        snapshot(&raw),
        before,
        "ingest must never modify its inputs"
    );

    let df = read_parquet(&tmp.path().join("out/data/benchmarks.parquet"));
    assert_eq!(df.height(), 193);
    for (tool, points) in [
        ("inference-perf", 42),
        ("vllm-nightly", 30),
        ("llmperf", 16),
        ("vllm", 16 + 27),
        ("inferencex", 3),
        ("aiperf", 5),
        ("bench-serving-csv", 54),
    ] {
        assert_eq!(rows_where(&df, "tool", tool).len(), points, "{tool}");
    }

    // InferenceX MI355X disaggregated: 8 prefill + 8 decode GPUs, per-GPU throughput over 16.
    let disagg = rows_where(&df, "model", "openai/gpt-oss-120b")
        .into_iter()
        .find(|&r| str_at(&df, "accelerator", r).as_deref() == Some("amd-instinct-mi355x"))
        .unwrap();
    let u32_at = |col: &str, r: usize| df.column(col).unwrap().u32().unwrap().get(r);
    assert_eq!(u32_at("prefill_workers", disagg), Some(1));
    assert_eq!(u32_at("decode_tensor_parallel", disagg), Some(8));
    assert_eq!(u32_at("accelerator_count", disagg), Some(16));
    let per_gpu = f64_at(&df, "output_tokens_per_s_per_accelerator", disagg).unwrap();
    let total = f64_at(&df, "output_tokens_per_s", disagg).unwrap();
    assert!((per_gpu * 16.0 - total).abs() < 1e-6);
    let tpot = f64_at(&df, "tpot_p50_ms", disagg).unwrap();
    let per_user = f64_at(&df, "output_tokens_per_s_per_user", disagg).unwrap();
    assert!((per_user - 1000.0 / tpot).abs() < 1e-9);

    // inference-perf `vllm` config, stage 1 (requested 31.4 req/s): seconds become ms.
    let stage1: Vec<usize> = rows_where(
        &df,
        "source_file",
        "inference-perf-kubecon-na-2025/vllm/stage_1_lifecycle_metrics.json",
    );
    assert_eq!(stage1.len(), 1);
    let r = stage1[0];
    assert!((f64_at(&df, "output_tokens_per_s", r).unwrap() - 1943.01).abs() < 0.01);
    assert!((f64_at(&df, "ttft_p50_ms", r).unwrap() - 29.31).abs() < 0.01);
    assert_eq!(f64_at(&df, "load_value", r), Some(31.4));
    assert!((f64_at(&df, "achieved_rate", r).unwrap() - 31.415).abs() < 0.001);
    assert_eq!(str_at(&df, "load_kind", r).as_deref(), Some("rate"));
    assert_eq!(
        f64_at(&df, "server_queue_len_mean", r),
        Some(0.0),
        "prometheus file attached"
    );
    assert_eq!(
        str_at(&df, "instance_type", r).as_deref(),
        Some("a3-highgpu-1g")
    );

    // vLLM nightly: the qps_inf row is unbounded with a null load value, never 0.
    let nightly_inf = rows_where(&df, "label", "vllm_055_llama70B_tp4_sharegpt_qps_inf");
    assert_eq!(nightly_inf.len(), 1);
    assert_eq!(
        str_at(&df, "load_kind", nightly_inf[0]).as_deref(),
        Some("unbounded")
    );
    assert_eq!(f64_at(&df, "load_value", nightly_inf[0]), None);
    assert_eq!(
        f64_at(&df, "ntpot_p50_ms", nightly_inf[0]),
        None,
        "nightly has no NTPOT"
    );
    assert_eq!(
        str_at(&df, "instance_type", nightly_inf[0]).as_deref(),
        Some("a2-ultragpu-4g")
    );

    // llmperf-bench: unknown hardware stays unknown.
    for r in rows_where(&df, "tool", "llmperf") {
        assert_eq!(str_at(&df, "accelerator", r).as_deref(), Some("unknown"));
        assert_eq!(str_at(&df, "instance_type", r), None);
        assert_eq!(str_at(&df, "license", r).as_deref(), Some("MIT"));
    }

    let report = report(&tmp.path().join("out"));
    assert_eq!(report["rejected"].as_array().unwrap().len(), 0);
    assert_eq!(report["points"], 193);
    assert_eq!(report["profiles"], 52);
}

#[test]
fn fixtures_of_every_format_are_detected_by_content() {
    let tmp = tempfile::tempdir().unwrap();
    let out = infercat(
        &repo_path(""),
        &[
            "ingest",
            "--raw",
            "tests/fixtures/raw",
            "--out",
            tmp.path().to_str().unwrap(),
            "--strict",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let df = read_parquet(&tmp.path().join("data/benchmarks.parquet"));
    let expected = [
        ("inference-perf", 3),
        ("vllm", 2),
        ("vllm-sweep", 2),
        ("vllm-nightly", 3),
        ("sglang", 2),
        ("guidellm", 3),
        ("llmperf", 3),
        ("native", 3),
        ("aiperf", 1),
        ("genai-perf", 1),
        ("inferencex", 2),
        ("bench-serving-csv", 54),
    ];
    for (tool, n) in expected {
        assert_eq!(
            rows_where(&df, "tool", tool).len(),
            n,
            "points read as {tool}"
        );
    }
    // Stage 2's prometheus file pairs with stage 2's lifecycle file, not another stage's.
    let stage2 = rows_where(
        &df,
        "source_file",
        "inference-perf/stage_2_lifecycle_metrics.json",
    )[0];
    assert_eq!(f64_at(&df, "server_running_mean", stage2), Some(128.0));
    assert_eq!(f64_at(&df, "server_queue_len_mean", stage2), Some(40.0));
    // SGLang's bare Infinity rate.
    let sglang = rows_where(&df, "tool", "sglang");
    assert_eq!(
        str_at(&df, "load_kind", sglang[1]).as_deref(),
        Some("unbounded")
    );
    // The nightly [[series]] supplies the model.
    let nightly = rows_where(&df, "tool", "vllm-nightly")[0];
    assert_eq!(
        str_at(&df, "model", nightly).as_deref(),
        Some("fixture/nightly-8b")
    );
}

#[test]
fn broken_inputs_are_rejected_one_by_one_and_never_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    copy_tree(&repo_path("tests/fixtures/broken"), &raw);
    let before = snapshot(&raw);
    let out = infercat(tmp.path(), &["ingest", "--raw", "raw", "--out", "out"]);
    let err = stderr(&out);
    assert!(
        out.status.success(),
        "rejections are not fatal without --strict: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(snapshot(&raw), before);

    let report = report(&tmp.path().join("out"));
    let reason = |file: &str| -> String {
        report["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(file))
            .unwrap_or_else(|| panic!("{file} not rejected: {report}"))["reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let expectations = [
        ("run/empty.json", "file is empty"),
        ("run/truncated.json", "invalid JSON: EOF while parsing"),
        (
            "run/wrong_types.json",
            "field `output_throughput` should be a number",
        ),
        ("run/negative.json", "field `median_ttft_ms` is negative"),
        ("run/nan.json", "field `median_itl_ms` is NaN"),
        ("run/huge.json", "field `p99_e2el_ms` is implausibly large"),
        ("run/overflow.json", "number out of range"),
        ("run/garbage.bin", "not UTF-8"),
        ("run/unknown.json", "matches no known format"),
        ("run/not_an_object.json", "matches no known format"),
        ("run/nothing_completed.json", "no request completed at"),
        ("run/rate_zero.json", "rate must be positive"),
        ("run/deep.json", "recursion limit"),
        (
            "missing-keys/run.toml",
            "[profile] is missing `accelerator`",
        ),
        ("missing-keys/good.json", "its run.toml is invalid"),
    ];
    for (file, why) in expectations {
        let got = reason(file);
        assert!(got.contains(why), "{file}: expected `{why}` in `{got}`");
        assert!(err.contains(file), "stderr names {file}");
    }
    assert_eq!(
        report["rejected"].as_array().unwrap().len(),
        expectations.len()
    );
    // The one good file still made it.
    let df = read_parquet(&tmp.path().join("out/data/benchmarks.parquet"));
    assert_eq!(df.height(), 1);
    assert!(err.contains("1 points in 1 profiles; 15 rejected"), "{err}");

    let strict = infercat(
        tmp.path(),
        &["ingest", "--raw", "raw", "--out", "out2", "--strict"],
    );
    assert_eq!(strict.status.code(), Some(1));
    assert!(stderr(&strict).contains("--strict: 15 raw file(s) rejected"));
}

#[test]
fn missing_raw_directory_is_a_runtime_error_and_bad_flags_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = infercat(tmp.path(), &["ingest", "--raw", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("raw data directory nope does not exist"),
        "{}",
        stderr(&out)
    );
    let out = infercat(tmp.path(), &["ingest", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_tools_whole_output_directory_reads_its_results_and_notes_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("raw/guidellm-dir");
    copy_tree(&repo_path("tests/fixtures/raw/guidellm"), &run);
    let companions: [(&str, &[u8], &str); 7] = [
        ("benchmarks.html", b"<!DOCTYPE html><html><head><title>GuideLLM</title>", "HTML"),
        ("benchmarks.yaml", b"metadata:\n  version: 1\nbenchmarks:\n- type_: benchmark\n", "YAML"),
        ("latency_vs_qps.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0", "PNG image"),
        (
            "x_individual_responses.json",
            br#"[{"error_code": null, "ttft_s": 0.31, "end_to_end_latency_s": 2.53, "number_input_tokens": 550}]"#,
            "llmperf's 1 per-request responses",
        ),
        (
            "profile_export.jsonl",
            b"{\"metadata\": {\"x_request_id\": \"a\"}, \"metrics\": {}}\n{\"metadata\": {}, \"metrics\": {}}\n",
            "AIPerf's 2 per-request records",
        ),
        (
            "summary.json",
            br#"[{"request_rate": "inf", "max_concurrency": 2, "output_throughput": 199.4}]"#,
            "vllm bench sweep",
        ),
        (
            "benchmarks.csv",
            b"Run Info,Run Info,Benchmark,Benchmark\nRun ID,Run Index,Type,Strategy\n,,,\nab,0,generative_benchmark,synchronous\n",
            "GuideLLM's CSV summary",
        ),
    ];
    for (name, bytes, _) in &companions {
        std::fs::write(run.join(name), bytes).unwrap();
    }
    // The run declares its tool, as bundled runs do: companions are still recognized first.
    let toml = std::fs::read_to_string(run.join("run.toml")).unwrap();
    let declared = if toml.contains("[source]") {
        toml.replacen("[source]", "[source]\ntool = \"guidellm\"", 1)
    } else {
        format!("{toml}\n[source]\ntool = \"guidellm\"\n")
    };
    std::fs::write(run.join("run.toml"), declared).unwrap();
    let out = infercat(
        tmp.path(),
        &["ingest", "--raw", "raw", "--out", "out", "--strict"],
    );
    assert!(
        out.status.success(),
        "companions are not errors: {}",
        stderr(&out)
    );
    let report = report(&tmp.path().join("out"));
    assert_eq!(report["rejected"].as_array().unwrap().len(), 0, "{report}");
    let ignored = report["ignored"].as_array().unwrap();
    for (name, _, why) in &companions {
        let entry = ignored
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} not noted: {report}"));
        let reason = entry["reason"].as_str().unwrap();
        assert!(
            reason.contains(why),
            "{name}: expected `{why}` in `{reason}`"
        );
    }
    assert!(
        report["points"].as_u64().unwrap() > 0,
        "the results were read"
    );

    // The same companions copied without their results: each says why nothing was read, as
    // a rejection, since the run gives no points.
    let alone = tmp.path().join("raw/guidellm-companions-alone");
    std::fs::create_dir_all(&alone).unwrap();
    for (name, bytes, _) in &companions {
        std::fs::write(alone.join(name), bytes).unwrap();
    }
    let toml = std::fs::read_to_string(run.join("run.toml")).unwrap();
    std::fs::write(alone.join("run.toml"), toml).unwrap();
    let out = infercat(
        tmp.path(),
        &["ingest", "--raw", "raw", "--out", "out2", "--strict"],
    );
    assert!(
        !out.status.success(),
        "a run of companions alone is an error under --strict"
    );
    let alone_report = common::report(&tmp.path().join("out2"));
    let rejected = alone_report["rejected"].as_array().unwrap();
    for (name, _, why) in &companions {
        let entry = rejected
            .iter()
            .find(|r| {
                r["path"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("alone/{name}"))
            })
            .unwrap_or_else(|| panic!("{name} alone not rejected: {alone_report}"));
        let reason = entry["reason"].as_str().unwrap();
        assert!(
            reason.contains(why) && reason.contains("no file of its run"),
            "{name}: `{reason}`"
        );
    }
    assert!(
        !rejected
            .iter()
            .any(|r| r["path"].as_str().unwrap().contains("guidellm-dir/")),
        "the run with results keeps its companions ignored: {alone_report}"
    );
}

#[test]
fn inference_perf_per_adapter_slices_are_noted_not_read_as_repeats_of_their_stage() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("raw/lora-run");
    copy_tree(&repo_path("tests/fixtures/raw/inference-perf"), &run);
    let stage2 = std::fs::read_to_string(run.join("stage_2_lifecycle_metrics.json")).unwrap();
    // A slice states the whole stage's rate with its adapter's share of the throughput.
    let slice = stage2.replace(
        "\"output_tokens_per_sec\": 900",
        "\"output_tokens_per_sec\": 450",
    );
    assert_ne!(slice, stage2);
    for name in [
        "adapter_sql_lora_stage_2_lifecycle_metrics.json",
        "adapter_chat-v2_stage_2_lifecycle_metrics.json",
    ] {
        std::fs::write(run.join(name), &slice).unwrap();
    }
    // An adapter that completed nothing in a stage: set aside too, not an error under --strict.
    std::fs::write(
        run.join("adapter_idle_stage_1_lifecycle_metrics.json"),
        r#"{"load_summary": {"requested_rate": 10.0}, "successes": {"count": 0, "latency": {}, "throughput": {"output_tokens_per_sec": 0}}}"#,
    )
    .unwrap();
    let out = infercat(
        tmp.path(),
        &["ingest", "--raw", "raw", "--out", "out", "--strict"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let df = read_parquet(&tmp.path().join("out/data/benchmarks.parquet"));
    assert_eq!(df.height(), 3, "one point per stage, no repeats of stage 2");
    let throughput: Vec<Option<f64>> = (0..df.height())
        .map(|i| f64_at(&df, "output_tokens_per_s", i))
        .collect();
    assert!(!throughput.contains(&Some(450.0)), "{throughput:?}");
    let report = report(&tmp.path().join("out"));
    let ignored = report["ignored"].as_array().unwrap();
    for (adapter, stage) in [("sql_lora", 2), ("chat-v2", 2), ("idle", 1)] {
        let entry = ignored
            .iter()
            .find(|r| {
                r["path"].as_str().unwrap().ends_with(&format!(
                    "adapter_{adapter}_stage_{stage}_lifecycle_metrics.json"
                ))
            })
            .unwrap_or_else(|| panic!("{adapter}'s slice not noted: {report}"));
        let reason = entry["reason"].as_str().unwrap();
        assert!(
            reason.contains(&format!("stage {stage} for LoRA adapter `{adapter}`"))
                && reason.contains(&format!("stage_{stage}_lifecycle_metrics.json")),
            "{reason}"
        );
        assert_eq!(
            reason.contains("no request completed"),
            adapter == "idle",
            "{reason}"
        );
    }
    assert_eq!(report["rejected"].as_array().unwrap().len(), 0, "{report}");
}

/// A vLLM nightly results directory copied whole: `benchmark_results.json` (the real
/// vllm-ascend summary, 8 tests) beside one test's own result file. That test is counted once,
/// from its own file; the summary's other rows stay; a summary whose every test has its own
/// file is noted as ignored, not rejected.
#[test]
fn a_nightly_summary_beside_its_tests_own_files_counts_each_test_once() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    let run = raw.join("ascend");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::copy(
        repo_path("tests/fixtures/versions/vllm-ascend-nightly-summary.json"),
        run.join("benchmark_results.json"),
    )
    .unwrap();
    std::fs::write(
        run.join("run.toml"),
        r#"[profile]
model = "Qwen/Qwen2.5-7B-Instruct"
model_server = "vllm"
model_server_version = "v0.8.5"
accelerator = "nvidia-l4"
accelerator_count = 1
[[series]]
label_contains = "qwen2_5vl_7B"
model = "Qwen/Qwen2.5-VL-7B-Instruct"
[[series]]
label_contains = "qwen2_5_7B"
[[series]]
label_contains = "Qwen2.5-7B"
[source]
origin = "vllm-ascend nightly summary and a hand-written result file of one of its tests"
license = "Apache-2.0"
"#,
    )
    .unwrap();
    // Hand-written: the shape `vllm bench serve --save-result` writes.
    std::fs::write(
        run.join("serving_qwen2_5_7B_tp1_qps_1.json"),
        r#"{"backend": "vllm", "model_id": "Qwen/Qwen2.5-7B-Instruct", "num_prompts": 200,
            "request_rate": 1.0, "max_concurrency": null, "duration": 215.8, "completed": 200,
            "total_input_tokens": 43560, "total_output_tokens": 44697,
            "request_throughput": 0.9267, "output_throughput": 207.1,
            "total_token_throughput": 408.9, "mean_ttft_ms": 96.6, "median_ttft_ms": 94.1,
            "p99_ttft_ms": 159.3, "mean_tpot_ms": 35.5, "median_tpot_ms": 35.3,
            "p99_tpot_ms": 39.8, "mean_itl_ms": 35.5, "median_itl_ms": 34.2, "p99_itl_ms": 72.8}"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let df = ingest_ok(tmp.path(), &raw, &out, true);
    assert_eq!(rows_where(&df, "tool", "vllm-nightly").len(), 7);
    assert_eq!(rows_where(&df, "tool", "vllm").len(), 1);
    let at_one_per_second = rows_where(&df, "label", "serving_qwen2_5_7B_tp1_qps_1");
    assert!(
        at_one_per_second.is_empty(),
        "the summary's row is left out"
    );
    let notes = report(&out)["curves"].to_string();
    assert!(
        notes.contains("1 of its 8 row(s) are tests whose own result file beside it was read")
            && notes.contains("serving_qwen2_5_7B_tp1_qps_1.json"),
        "{notes}"
    );

    // Every test with its own file: the summary is ignored with the reason.
    let summary: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(run.join("benchmark_results.json")).unwrap())
            .unwrap();
    for row in &summary[1..] {
        let name = row["Test name"].as_str().unwrap();
        std::fs::copy(
            run.join("serving_qwen2_5_7B_tp1_qps_1.json"),
            run.join(format!("{name}.json")),
        )
        .unwrap();
    }
    let out = tmp.path().join("out-all");
    let df = ingest_ok(tmp.path(), &raw, &out, true);
    assert_eq!(rows_where(&df, "tool", "vllm-nightly").len(), 0);
    assert_eq!(rows_where(&df, "tool", "vllm").len(), 8);
    let all_read = report(&out);
    let ignored = all_read["ignored"].to_string();
    assert!(
        ignored.contains("benchmark_results.json") && ignored.contains("8 of its 8 row(s)"),
        "{ignored}"
    );
    assert_eq!(all_read["files_read"], 8);
    assert_eq!(all_read["rejected"].as_array().unwrap().len(), 0);

    // Test files that are rejected (no [[series]] names their model) leave the summary whole.
    let toml = std::fs::read_to_string(run.join("run.toml")).unwrap();
    let toml = toml.replace("[[series]]\nlabel_contains = \"Qwen2.5-7B\"\n", "");
    std::fs::write(run.join("run.toml"), toml).unwrap();
    let out = tmp.path().join("out-rejected");
    let df = ingest_ok(tmp.path(), &raw, &out, false);
    assert_eq!(rows_where(&df, "tool", "vllm-nightly").len(), 8);
    assert_eq!(rows_where(&df, "tool", "vllm").len(), 0);
    assert_eq!(report(&out)["rejected"].as_array().unwrap().len(), 8);
}

/// A patched bench_serving that writes its record as JSON and as a one-row CSV beside it
/// (vLLM's `request_goodput:` column name included): the CSV alone is read, beside its JSON it
/// is noted, not counted twice.
#[test]
fn a_bench_serving_csv_beside_its_json_record_is_counted_once() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    let fixture = repo_path("tests/fixtures/raw/vllm-save");
    let jsonl = std::fs::read_to_string(fixture.join("results.json")).unwrap();
    let record = jsonl.lines().next().unwrap();
    let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(record).unwrap();
    let header: Vec<&str> = fields.keys().map(String::as_str).collect();
    let cells: Vec<String> = fields
        .values()
        .map(|v| match v {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    assert!(
        header.contains(&"request_goodput:"),
        "the column as vLLM spells it"
    );
    let csv = format!("{}\n{}\n", header.join(","), cells.join(","));
    let run_toml = std::fs::read_to_string(fixture.join("run.toml")).unwrap();
    for (run, with_json) in [("twins", true), ("csv-only", false)] {
        let dir = run_dir(&raw, run, &run_toml);
        std::fs::write(dir.join("bench.csv"), &csv).unwrap();
        if with_json {
            std::fs::write(dir.join("bench.json"), record).unwrap();
        }
    }
    let out = tmp.path().join("out");
    let df = ingest_ok(tmp.path(), &raw, &out, true);
    let from = |file: &str| rows_where(&df, "source_file", file);
    assert_eq!(from("twins/bench.json").len(), 1);
    assert_eq!(from("twins/bench.csv").len(), 0, "counted once");
    assert_eq!(from("csv-only/bench.csv").len(), 1);
    assert_eq!(
        f64_at(&df, "output_tokens_per_s", from("csv-only/bench.csv")[0]),
        f64_at(&df, "output_tokens_per_s", from("twins/bench.json")[0])
    );
    let ignored = report(&out)["ignored"].to_string();
    assert!(
        ignored.contains("twins/bench.csv")
            && ignored.contains("`bench.json`, which holds the same"),
        "{ignored}"
    );
}

/// `vllm bench sweep` writes a setting's repetitions as `run=N.json` and collects them into a
/// `summary.json` list beside them (an SLA search lists its steps above their directories):
/// read alone (a run copied without its run files), the list gives the points; beside or above
/// the run files it is noted and each run counted once, also when the raw root is the run.
#[test]
fn a_sweep_list_is_read_alone_and_counted_once_beside_its_run_files() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    let fixture = repo_path("tests/fixtures/raw/vllm-save");
    let jsonl = std::fs::read_to_string(fixture.join("results.json")).unwrap();
    let records: Vec<serde_json::Value> = (0..2)
        .map(|n| {
            let mut record: serde_json::Value =
                serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
            record["run_number"] = n.into();
            record
        })
        .collect();
    let list = serde_json::to_string_pretty(&records).unwrap();
    let run_toml = std::fs::read_to_string(fixture.join("run.toml")).unwrap();
    let write_runs = |dir: &std::path::Path| {
        std::fs::create_dir_all(dir).unwrap();
        for (n, record) in records.iter().enumerate() {
            std::fs::write(dir.join(format!("run={n}.json")), record.to_string()).unwrap();
        }
    };
    let sweep = run_dir(&raw, "sweep", &run_toml);
    std::fs::write(sweep.join("summary.json"), &list).unwrap();
    write_runs(&sweep);
    let sla = run_dir(&raw, "sla", &run_toml);
    std::fs::write(sla.join("SLA--ttft.json"), &list).unwrap();
    write_runs(&sla.join("request_rate=2"));
    let alone = run_dir(&raw, "summary-only", &run_toml);
    std::fs::write(alone.join("summary.json"), &list).unwrap();

    let out = tmp.path().join("out");
    let df = ingest_ok(tmp.path(), &raw, &out, true);
    let from = |file: &str| rows_where(&df, "source_file", file);
    assert_eq!(from("sweep/run=0.json").len(), 1);
    assert_eq!(from("sweep/run=1.json").len(), 1);
    assert_eq!(from("sweep/summary.json").len(), 0, "counted once");
    assert_eq!(from("sla/request_rate=2/run=0.json").len(), 1);
    assert_eq!(from("sla/SLA--ttft.json").len(), 0, "counted once");
    let alone_rows = from("summary-only/summary.json");
    assert_eq!(alone_rows.len(), 2, "both repetitions");
    assert_eq!(
        str_at(&df, "tool", alone_rows[0]).as_deref(),
        Some("vllm-sweep")
    );
    let ignored = report(&out)["ignored"].to_string();
    for (list, runs) in [("sweep/summary.json", 2), ("sla/SLA--ttft.json", 2)] {
        assert!(
            ignored.contains(list)
                && ignored.contains(&format!(
                    "the {runs} result file(s) beside or below it are read instead"
                )),
            "{list}: {ignored}"
        );
    }

    // A raw root that is itself the run: its list sits at the root, beside the run files.
    let out = tmp.path().join("out-root");
    let df = ingest_ok(tmp.path(), &sweep, &out, true);
    assert_eq!(df.height(), 2, "each run once");
    assert!(rows_where(&df, "source_file", "summary.json").is_empty());
}

/// GuideLLM's report written as YAML (its own test asset, the YAML twin of the 0.3 JSON
/// fixture) is read like the JSON; beside its JSON twin it is noted, not counted twice; a YAML
/// config beside results stays a companion.
#[test]
fn a_guidellm_yaml_report_is_read_and_counted_once_beside_its_json_twin() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    let run_toml = r#"[profile]
model = "meta-llama/Llama-3.1-8B-Instruct"
model_server = "vllm"
model_server_version = "v0.9.0"
accelerator = "nvidia-l4"
accelerator_count = 1
[source]
origin = "neuralmagic/guidellm tests/unit/entrypoints/assets (benchmarks_stripped)"
license = "Apache-2.0"
"#;
    let fixture = |name: &str| repo_path(&format!("tests/fixtures/versions/{name}"));
    for (run, files) in [
        ("twins", &["benchmarks.json", "benchmarks.yaml"][..]),
        ("yaml-only", &["benchmarks.yaml"][..]),
    ] {
        let dir = raw.join(run);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("run.toml"), run_toml).unwrap();
        for file in files {
            let ext = file.rsplit('.').next().unwrap();
            std::fs::copy(
                fixture(&format!("guidellm-0.3-benchmarks.{ext}")),
                dir.join(file),
            )
            .unwrap();
        }
    }
    std::fs::write(
        raw.join("yaml-only/scenario.yaml"),
        "target: http://localhost:8000\nrate_type: sweep\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let df = ingest_ok(tmp.path(), &raw, &out, true);
    let from = |file: &str| rows_where(&df, "source_file", file).len();
    assert_eq!(from("twins/benchmarks.json"), 1);
    assert_eq!(from("twins/benchmarks.yaml"), 0, "counted once");
    assert_eq!(from("yaml-only/benchmarks.yaml"), 1);
    let twin = rows_where(&df, "source_file", "twins/benchmarks.json")[0];
    let alone = rows_where(&df, "source_file", "yaml-only/benchmarks.yaml")[0];
    for column in [
        "output_tokens_per_s",
        "ttft_p50_ms",
        "e2e_p50_ms",
        "load_value",
    ] {
        assert_eq!(
            f64_at(&df, column, twin),
            f64_at(&df, column, alone),
            "{column}"
        );
    }
    let ignored = report(&out)["ignored"].to_string();
    assert!(
        ignored.contains("twins/benchmarks.yaml")
            && ignored.contains("`benchmarks.json` beside it holds the same benchmarks"),
        "{ignored}"
    );
    assert!(
        ignored.contains("scenario.yaml") && ignored.contains("a YAML document"),
        "{ignored}"
    );

    // Twins told apart from their names without regard to case; a JSON twin that is rejected
    // leaves the YAML read.
    let raw = tmp.path().join("raw-more");
    for (run, json) in [
        (
            "upper",
            std::fs::read(fixture("guidellm-0.3-benchmarks.json")).unwrap(),
        ),
        ("broken-twin", b"{\"benchmarks\": [".to_vec()),
    ] {
        let dir = raw.join(run);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("run.toml"), run_toml).unwrap();
        std::fs::write(dir.join("BENCHMARKS.JSON"), json).unwrap();
        std::fs::copy(
            fixture("guidellm-0.3-benchmarks.yaml"),
            dir.join("benchmarks.yml"),
        )
        .unwrap();
    }
    let out = tmp.path().join("out-more");
    let df = ingest_ok(tmp.path(), &raw, &out, false);
    let from = |file: &str| rows_where(&df, "source_file", file).len();
    assert_eq!(from("upper/BENCHMARKS.JSON"), 1);
    assert_eq!(from("upper/benchmarks.yml"), 0, "counted once");
    assert_eq!(
        from("broken-twin/benchmarks.yml"),
        1,
        "its twin was rejected"
    );
    let rejected = report(&out)["rejected"].to_string();
    assert!(
        rejected.contains("broken-twin/BENCHMARKS.JSON"),
        "{rejected}"
    );
}

#[test]
fn an_aiperf_run_over_more_endpoints_than_replicas_is_rejected_and_replicas_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let export = std::fs::read_to_string(repo_path(
        "tests/fixtures/raw/aiperf/profile_export_aiperf.json",
    ))
    .unwrap()
    .replacen(
        "\"http://localhost:8889\"",
        "\"http://10.0.0.1:8889\", \"http://10.0.0.2:8889\"",
        1,
    );
    let toml = std::fs::read_to_string(repo_path("tests/fixtures/raw/aiperf/run.toml")).unwrap();
    for (name, replicas) in [("one-replica", ""), ("two-replicas", "data_parallel = 2\n")] {
        let run = tmp.path().join("raw").join(name);
        std::fs::create_dir_all(&run).unwrap();
        std::fs::write(run.join("profile_export_aiperf.json"), &export).unwrap();
        let toml = toml.replacen(
            "tensor_parallel = 4\n",
            &format!("tensor_parallel = 2\n{replicas}"),
            1,
        );
        std::fs::write(run.join("run.toml"), toml).unwrap();
    }
    let out = tmp.path().join("out");
    let df = ingest_ok(tmp.path(), &tmp.path().join("raw"), &out, false);
    assert_eq!(df.height(), 1, "only the run of two replicas gives a point");
    assert_eq!(str_at(&df, "run_id", 0).as_deref(), Some("two-replicas"));
    let rejected = report(&out)["rejected"].to_string();
    assert!(
        rejected.contains("one-replica/profile_export_aiperf.json")
            && rejected.contains("2 endpoints"),
        "{rejected}"
    );
}

#[test]
fn server_metrics_alone_in_their_run_are_rejected_and_beside_stages_paired() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = repo_path("tests/fixtures/raw/inference-perf");
    let alone = tmp.path().join("raw/metrics-only");
    let whole = tmp.path().join("raw/whole");
    std::fs::create_dir_all(&alone).unwrap();
    copy_tree(&fixture, &whole);
    for name in ["run.toml", "stage_0_prometheus_metrics.json"] {
        std::fs::copy(fixture.join(name), alone.join(name)).unwrap();
    }
    let out = tmp.path().join("out");
    let df = ingest_ok(tmp.path(), &tmp.path().join("raw"), &out, false);
    assert!(df.height() >= 3, "the whole run's stages are read");
    let report = report(&out);
    let rejected = report["rejected"].to_string();
    assert!(
        rejected.contains("metrics-only/stage_0_prometheus_metrics.json")
            && rejected.contains("no file of its run"),
        "{rejected}"
    );
    assert!(
        !report
            .to_string()
            .contains("whole/stage_0_prometheus_metrics.json"),
        "paired with its stage, so not reported"
    );
    let strict = infercat(
        tmp.path(),
        &[
            "ingest",
            "--raw",
            tmp.path().join("raw").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--strict",
        ],
    );
    assert!(
        !strict.status.success(),
        "--strict catches a run that gave nothing"
    );
}
