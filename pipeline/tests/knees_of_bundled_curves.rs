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
    use KneeMethod::PiecewiseFit as Fit;
    // `vllm`: 92.19 req/s requested, 92.22 achieved, TTFT 45 ms; at 122.59 only 106.49 is sent
    // and TTFT is 3 s. Throughput is linear up to 92.19 and flat after.
    assert_eq!(
        knee_load(find(&all, LLAMA31, "v0.11.0", Some("baseline"))),
        (Load::Rate(92.19), Fit)
    );
    // `vllm+batch_size` (192 seqs): 111.92 still fully achieved (TTFT 105 ms); at 148.89 only
    // 117.04 is sent and TTFT is 2.2 s.
    assert_eq!(
        knee_load(find(&all, LLAMA31, "v0.11.0", Some("max-num-seqs-192"))),
        (Load::Rate(111.92), Fit)
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
    // EAGLE: throughput still linear at 69.65 (fully achieved, 98% of peak) though TTFT has
    // begun to queue (808 ms); 86.81 achieves only 73.08 and TTFT is 4.5 s.
    assert_eq!(
        knee_load(find(
            &all,
            LLAMA31,
            "v0.11.0",
            Some("eagle-speculative-decoding")
        )),
        (Load::Rate(69.65), Fit)
    );
    // V0 engine (v0.9.0): 79.37 is fully achieved and every higher rate achieves ~79: the
    // server is exactly at capacity there (TTFT already 2.2 s). Throughput-wise that is the knee;
    // latency targets pick a lower operating point.
    assert_eq!(
        knee_load(find(&all, LLAMA31, "v0.9.0", Some("v0-engine"))),
        (Load::Rate(79.37), Fit)
    );
}

#[test]
fn vllm_nightly_curves() {
    let all = bundled_profiles();
    use KneeMethod::{PiecewiseFit as Fit, SaturationRule as Rule};
    // The nightly has rates 2/4/8/16 and an unbounded run, means only. Throughput keeps rising
    // across the finite rates in most curves, so the fit is rejected and the saturation rule
    // decides.
    // 0.5.5 Llama 3 8B: stable to 16 qps; mean TPOT doubles (35.6 -> 76.1 ms) at the unbounded run.
    assert_eq!(
        knee_load(find(&all, "meta-llama/Meta-Llama-3-8B", "v0.5.5", None)),
        (Load::Rate(16.0), Rule)
    );
    // 0.5.5 Llama 3 70B (tp4): mean TTFT grows 3.9x (196 -> 771 ms) from 8 to 16 qps.
    assert_eq!(
        knee_load(find(&all, "meta-llama/Meta-Llama-3-70B", "v0.5.5", None)),
        (Load::Rate(8.0), Rule)
    );
    // 0.5.5 Mixtral 8x7B (tp2): stable to 16 qps; TTFT explodes (147 ms -> 5.9 s) unbounded.
    assert_eq!(
        knee_load(find(&all, "mistralai/Mixtral-8x7B-v0.1", "v0.5.5", None)),
        (Load::Rate(16.0), Rule)
    );
    // 0.5.3.post1 Llama 3 8B: mean TPOT grows 2.5x (33 -> 82 ms) from 8 to 16 qps.
    assert_eq!(
        knee_load(find(
            &all,
            "meta-llama/Meta-Llama-3-8B",
            "v0.5.3.post1",
            None
        )),
        (Load::Rate(8.0), Rule)
    );
    // 0.5.3.post1 Llama 3 70B: throughput 363/651/890/979 flattens after 8 qps (tail slope 13%
    // of the rise, 86% of the 1039 tokens/s ceiling): the fit accepts 8 qps.
    assert_eq!(
        knee_load(find(
            &all,
            "meta-llama/Meta-Llama-3-70B",
            "v0.5.3.post1",
            None
        )),
        (Load::Rate(8.0), Fit)
    );
    // 0.5.3.post1 Mixtral: mean TTFT grows 4.9x (94 -> 458 ms) from 8 to 16 qps.
    assert_eq!(
        knee_load(find(
            &all,
            "mistralai/Mixtral-8x7B-v0.1",
            "v0.5.3.post1",
            None
        )),
        (Load::Rate(8.0), Rule)
    );
}

#[test]
fn llmperf_tgi_concurrency_sweeps() {
    let all = bundled_profiles();
    use KneeMethod::SaturationRule as Rule;
    // Concurrency 1..128. Throughput bends smoothly, so no two-segment split reaches 85% of the
    // peak with a flat enough tail; the rule finds where TTFT p50 more than doubles.
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
