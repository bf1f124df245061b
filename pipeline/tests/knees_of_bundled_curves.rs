//! Acceptance test of the knee method on every real curve bundled in `data/raw`, with the
//! reason each knee is right.

use pipeline::analysis::knee::{KneeMethod, find_knee};
use pipeline::analysis::percentile::Percentile;
use pipeline::analysis::{Profile, group_profiles};
use pipeline::point::Load;
use std::path::Path;

fn bundled_profiles() -> Vec<Profile> {
    let raw = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/raw");
    let ingested = pipeline::ingest::ingest(&raw).unwrap();
    assert!(
        ingested.report.rejected.is_empty(),
        "{:?}",
        ingested.report.rejected
    );
    group_profiles(&ingested.rows)
}

fn find<'a>(
    profiles: &'a [Profile],
    model: &str,
    version: &str,
    variant: Option<&str>,
) -> &'a Profile {
    profiles
        .iter()
        .find(|p| {
            p.key.model == model
                && p.key.model_server_version == version
                && p.key.variant.as_deref() == variant
        })
        .unwrap_or_else(|| panic!("no profile {model} {version} {variant:?}"))
}

fn knee_load(p: &Profile) -> (Load, KneeMethod) {
    let k = find_knee(&p.points, Percentile::P50).unwrap();
    (p.points[k.index].load, k.method)
}

const LLAMA31: &str = "meta-llama/Llama-3.1-8B-Instruct";

#[test]
fn inference_perf_configs() {
    let all = bundled_profiles();
    use KneeMethod::{PiecewiseFit as Fit, SaturationRule as Rule};
    // `vllm`: 92.19 req/s requested, 92.22 achieved, TTFT 45 ms; at 122.59 only 106.49 is sent
    // and TTFT is 3 s. Throughput is linear up to 92.19 and flat after.
    assert_eq!(
        knee_load(find(&all, LLAMA31, "v0.11.0", Some("baseline"))),
        (Load::Rate(92.19), Fit)
    );
    // `vllm+batch_size` (192 seqs): the fit's break (111.92) comes after a saturation event:
    // NTPOT p50 grows 2.3x (12.0 -> 27.3 ms) from 74.94 to 111.92 while the load grew 1.5x, and
    // TTFT triples (37 -> 105 ms). 74.94 is the last point that keeps up without queueing.
    assert_eq!(
        knee_load(find(&all, LLAMA31, "v0.11.0", Some("max-num-seqs-192"))),
        (Load::Rate(74.94), Rule)
    );
    // Chunked prefill + prefix caching: linear to 169.99 (TTFT 55 ms); 212.24 achieves 175.66.
    assert_eq!(
        knee_load(find(
            &all,
            LLAMA31,
            "v0.11.0",
            Some("chunked-prefill+prefix-caching")
        )),
        (Load::Rate(169.99), Fit)
    );
    // + bitsandbytes quantization: linear to 170.24 (TTFT 45 ms); 212.55 achieves 177.44.
    assert_eq!(
        knee_load(find(
            &all,
            LLAMA31,
            "v0.11.0",
            Some("chunked-prefill+prefix-caching+bitsandbytes")
        )),
        (Load::Rate(170.24), Fit)
    );
    // EAGLE: at 69.65 TTFT has begun to queue (50 -> 808 ms) and NTPOT p50 doubles (20.5 ->
    // 42.5 ms) for 1.3x the load: 52.49 is the last point before saturation (the fit's 69.65
    // would present a queueing point as the knee).
    assert_eq!(
        knee_load(find(
            &all,
            LLAMA31,
            "v0.11.0",
            Some("eagle-speculative-decoding")
        )),
        (Load::Rate(52.49), Rule)
    );
    // V0 engine (v0.9.0): NTPOT doubles from 1 to 40 req/s (8.0 -> 16.8 ms), but the load grew
    // 40x: batching, not saturation. From 40.19 to 79.37 NTPOT grows 3.6x and TTFT 57x (38 ms ->
    // 2.2 s): the server reaches capacity at 79 (every higher rate achieves ~79).
    assert_eq!(
        knee_load(find(&all, LLAMA31, "v0.9.0", Some("v0-engine"))),
        (Load::Rate(40.19), Rule)
    );
}

#[test]
fn every_bundled_workload_is_named() {
    let all = bundled_profiles();
    for p in &all {
        assert!(!p.key.workload.is_empty(), "{}", p.id);
        assert_ne!(p.key.use_case, "unknown", "{}", p.id);
    }
    let ip = find(&all, LLAMA31, "v0.11.0", Some("baseline"));
    assert_eq!(ip.key.workload, "shared_prefix 192/64");
    assert_eq!(ip.key.use_case, "custom (192/64)");
    let nightly = find(&all, "meta-llama/Meta-Llama-3-8B", "v0.5.5", None);
    assert_eq!(
        (nightly.key.workload.as_str(), nightly.key.use_case.as_str()),
        ("sharegpt", "Chatbot")
    );
}

#[test]
fn vllm_nightly_curves() {
    let all = bundled_profiles();
    use KneeMethod::SaturationRule as Rule;
    // The nightly has rates 2/4/8/16 and an unbounded run, means only, and no sent rate: the
    // achieved rate is completions over the sending window (duration = completed / Tput, less
    // the mean E2E drain), and a shortfall counts only with TTFT or E2E growing > 1.5x.
    // Throughput keeps rising across the finite rates, so the fit never decides.
    // 0.5.5 Llama 3 8B: at 16 qps 11.4 completions/s (13.8 over the sending window, 86%) and
    // TTFT 69 -> 117 ms: falls behind; 8 qps is the knee.
    assert_eq!(
        knee_load(find(&all, "meta-llama/Meta-Llama-3-8B", "v0.5.5", None)),
        (Load::Rate(8.0), Rule)
    );
    // 0.5.5 Llama 3 70B (tp4): at 8 qps 5.4 completions/s (84% of 8 over the window) with E2E
    // rising: the knee is 4 qps.
    assert_eq!(
        knee_load(find(&all, "meta-llama/Meta-Llama-3-70B", "v0.5.5", None)),
        (Load::Rate(4.0), Rule)
    );
    // 0.5.5 Mixtral 8x7B (tp2): keeps up to 16 qps; TTFT explodes (147 ms -> 5.9 s) unbounded.
    assert_eq!(
        knee_load(find(&all, "mistralai/Mixtral-8x7B-v0.1", "v0.5.5", None)),
        (Load::Rate(16.0), Rule)
    );
    // 0.5.3.post1 Llama 3 8B: at 8 qps 7.34 req/s over the window (91.7%) with E2E rising
    // more than 1.5x (TPOT 33 ms); 4 qps is the last point that keeps up.
    assert_eq!(
        knee_load(find(
            &all,
            "meta-llama/Meta-Llama-3-8B",
            "v0.5.3.post1",
            None
        )),
        (Load::Rate(4.0), Rule)
    );
    // 0.5.3.post1 Llama 3 70B: throughput 363/651/890 for 2/4/8 qps (8 qps gives 1.37x the
    // tokens of 4): at 8 only 6.19 req/s over the window (77%) and TTFT 89 -> 142 ms.
    assert_eq!(
        knee_load(find(
            &all,
            "meta-llama/Meta-Llama-3-70B",
            "v0.5.3.post1",
            None
        )),
        (Load::Rate(4.0), Rule)
    );
    // 0.5.3.post1 Mixtral: at 8 qps 6.24 req/s over the window (78%), TTFT 59 -> 94 ms.
    assert_eq!(
        knee_load(find(
            &all,
            "mistralai/Mixtral-8x7B-v0.1",
            "v0.5.3.post1",
            None
        )),
        (Load::Rate(4.0), Rule)
    );
}

#[test]
fn llmperf_tgi_concurrency_sweeps() {
    let all = bundled_profiles();
    use KneeMethod::SaturationRule as Rule;
    // Concurrency 1..128. Throughput bends smoothly, so no two-segment split reaches 85% of the
    // peak with a flat enough tail; the rule finds where TTFT p50 more than doubles (and grows
    // faster than the concurrency did).
    // Llama 3 8B: TTFT p50 2.25 s at 32 -> 9.1 s at 64.
    assert_eq!(
        knee_load(find(
            &all,
            "meta-llama/Meta-Llama-3-8B-Instruct",
            "2.0.1",
            Some("tp1")
        )),
        (Load::Concurrency(32.0), Rule)
    );
    // Mistral 7B: TTFT p50 1.32 s at 16 -> 2.82 s at 32.
    assert_eq!(
        knee_load(find(
            &all,
            "mistralai/Mistral-7B-Instruct-v0.2",
            "2.0.1",
            Some("tp1")
        )),
        (Load::Concurrency(16.0), Rule)
    );
}

/// The profile of `model` on `server` and `accelerator` with this variant and workload.
fn find_run<'a>(
    profiles: &'a [Profile],
    (model, server, accelerator): (&str, &str, &str),
    variant: Option<&str>,
    workload: &str,
) -> &'a Profile {
    profiles
        .iter()
        .find(|p| {
            p.key.model == model
                && p.key.model_server == server
                && p.key.accelerator == accelerator
                && p.key.variant.as_deref() == variant
                && p.key.workload == workload
        })
        .unwrap_or_else(|| {
            panic!("no profile {model} {server} {accelerator} {variant:?} {workload}")
        })
}

#[test]
fn dstack_prefill_decode_ratios_on_h200() {
    let all = bundled_profiles();
    use KneeMethod::{NotObserved as None_, PiecewiseFit as Fit, SaturationRule as Rule};
    let gpt = ("openai/gpt-oss-120b", "sglang", "nvidia-h200-141gb");
    let c = Load::Concurrency;
    // Concurrency 32, 64, 128 per shape. One prefill worker for three decode workers keeps up
    // with short prompts and long outputs: throughput 4014 -> 6483 -> 8706 tok/s and TTFT only
    // 111 -> 227 ms, so nothing bends within the range.
    for (variant, workload, expected) in [
        ("pd-1p3d", "random 128/2048", (c(128.0), None_)),
        ("pd-1p3d", "random 2048/2048", (c(128.0), None_)),
        // Long prompts on one prefill worker: at 128 throughput collapses (3615 -> 1465 tok/s)
        // and TTFT grows 14x; the fit's break is the peak at 64.
        ("pd-1p3d", "random 2048/128", (c(64.0), Fit)),
        // Two prefill workers: TTFT 4.2x (132 -> 552 ms), 9.5x (117 -> 1111 ms) at 128.
        ("pd-2p2d", "random 128/2048", (c(64.0), Rule)),
        ("pd-2p2d", "random 2048/2048", (c(64.0), Rule)),
        // 2048-token prompts already queue at 64 (TTFT 141 -> 552 ms, throughput flat at 2.7k).
        ("pd-2p2d", "random 2048/128", (c(32.0), Rule)),
        // One decode worker: TTFT 7.0x and 3.5x at 128 while ITL rises 11 -> 15 ms.
        ("pd-3p1d", "random 128/2048", (c(64.0), Rule)),
        ("pd-3p1d", "random 2048/2048", (c(64.0), Rule)),
        // Throughput rises 17.4 tok/s per request of concurrency to 64, then 2.4 (95% of peak).
        ("pd-3p1d", "random 2048/128", (c(64.0), Fit)),
    ] {
        assert_eq!(
            knee_load(find_run(&all, gpt, Some(variant), workload)),
            expected,
            "{variant} {workload}"
        );
    }
}

#[test]
fn inferencex_mi355x_sweeps() {
    let all = bundled_profiles();
    use KneeMethod::{NotObserved, SaturationRule as Rule};
    let c = Load::Concurrency;
    // Disaggregated 8 + 8 GPUs, concurrency 4..512: throughput keeps rising (gpt-oss 459 ->
    // 22534 tok/s, MiniMax 259 -> 12788) while TTFT stays under 320 ms: no knee in range.
    for model in ["openai/gpt-oss-120b", "MiniMaxAI/MiniMax-M2.5"] {
        let p = find_run(
            &all,
            (model, "vllm", "amd-instinct-mi355x"),
            Some("pd-disaggregated"),
            "random 1024/1024",
        );
        assert_eq!(knee_load(p), (c(512.0), NotObserved), "{model}");
    }
    // Kimi-K2.5 (modelled speed-up): one and two points, too few to locate a knee.
    for workload in ["random 1024/1024", "random 8192/1024"] {
        let p = find_run(
            &all,
            ("moonshotai/Kimi-K2.5", "vllm", "amd-instinct-mi355x"),
            Some("modelled-eagle3-fixed-acceptance"),
            workload,
        );
        assert_eq!(knee_load(p).1, NotObserved, "{workload}");
    }
    // AIPerf agentic replay. Prefix caching alone: TTFT p50 2.1 s -> 5.8 s -> 12.0 s; the
    // doubling from 4 to 8 outgrows the load step while throughput gains only 22%.
    let kimi = ("amd/Kimi-K2.7-Code-MXFP4", "vllm", "amd-instinct-mi355x");
    let trace = "semianalysis_cc_traces_weka_062126_256k";
    assert_eq!(
        knee_load(find_run(&all, kimi, Some("prefix-caching"), trace)),
        (c(4.0), Rule)
    );
    // With LMCache offload, 16 -> 32 adds 3% throughput while E2E p50 grows 2.8x.
    assert_eq!(
        knee_load(find_run(
            &all,
            kimi,
            Some("prefix-caching+lmcache-dram-offload"),
            trace
        )),
        (c(16.0), Rule)
    );
}

#[test]
fn dstack_deepseek_r1_servers_on_h200_and_mi300x() {
    let all = bundled_profiles();
    use KneeMethod::{NotObserved, PiecewiseFit as Fit, SaturationRule as Rule};
    let c = Load::Concurrency;
    let r1 = "deepseek-ai/DeepSeek-R1";
    let (h200, mi300x) = ("nvidia-h200-141gb", "amd-instinct-mi300x");
    let fixed = "random 3200/800";
    for ((server, accelerator), expected) in [
        // TTFT grows with concurrency but never doubles faster than the load does.
        (("sglang", mi300x), (c(128.0), NotObserved)),
        (("sglang", h200), (c(128.0), NotObserved)),
        (("vllm", mi300x), (c(128.0), NotObserved)),
        // TensorRT-LLM: 10.7 tok/s per request of concurrency up to 64, then 1.7 (87% of peak).
        (("tensorrt-llm", h200), (c(64.0), Fit)),
        // vLLM H200: TTFT p50 3.4 s -> 7.7 s from 16 to 32 (2.3x for a 2x step).
        (("vllm", h200), (c(16.0), Rule)),
    ] {
        assert_eq!(
            knee_load(find_run(&all, (r1, server, accelerator), None, fixed)),
            expected,
            "{server} {accelerator}"
        );
    }
    // Shared-prefix prompts, concurrency 32/64/128: SGLang on MI300X doubles TTFT (7.4 -> 15.2
    // s) at 128; the other two keep up.
    let shared = "generated-shared-prefix";
    assert_eq!(
        knee_load(find_run(&all, (r1, "sglang", mi300x), None, shared)),
        (c(64.0), Rule)
    );
    for server in ["sglang", "vllm"] {
        assert_eq!(
            knee_load(find_run(&all, (r1, server, h200), None, shared)).1,
            NotObserved,
            "{server}"
        );
    }
    // The 128-concurrency rows at other output lengths are single points: no curve.
    for out in [1600, 3200, 6400] {
        let p = find_run(
            &all,
            (r1, "vllm", h200),
            None,
            &format!("random 3200/{out}"),
        );
        assert_eq!(p.points.len(), 1);
        assert_eq!(knee_load(p).1, NotObserved);
    }
}
