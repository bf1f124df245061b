//! Property tests: no input, however mangled, makes detection or parsing panic.

use pipeline::document::Document;
use pipeline::formats;
use proptest::prelude::*;

fn read_all(bytes: &[u8]) {
    if let Ok(doc) = Document::from_bytes(bytes) {
        for f in formats::all() {
            if f.detect(&doc) {
                let _ = f.parse(&doc);
            }
        }
    }
}

const SEEDS: &[&str] = &[
    include_str!("../../tests/fixtures/raw/vllm-save/results.json"),
    include_str!("../../tests/fixtures/raw/sglang/bench.jsonl"),
    include_str!("../../tests/fixtures/raw/guidellm/benchmarks.json"),
    include_str!("../../tests/fixtures/raw/llmperf/fixture_results.json"),
    include_str!("../../tests/fixtures/raw/native/points.csv"),
    include_str!("../../tests/fixtures/raw/nightly/nightly_results.json"),
    include_str!("../../tests/fixtures/raw/inference-perf/stage_2_lifecycle_metrics.json"),
    include_str!("../../tests/fixtures/wild/sglang-mixed/bench_serving.jsonl"),
    include_str!("../../tests/fixtures/wild/vllm-deployments/results.jsonl"),
    include_str!("../../tests/fixtures/wild/vllm-offline/offline.jsonl"),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        read_all(&bytes);
    }

    #[test]
    fn truncated_fixtures_never_panic(seed in 0..SEEDS.len(), cut in 0usize..4000) {
        let text = SEEDS[seed];
        let cut = cut.min(text.len());
        read_all(&text.as_bytes()[..cut]);
    }

    #[test]
    fn mutated_numbers_never_panic(seed in 0..SEEDS.len(), at in 0usize..4000, with in prop_oneof![
        Just("-1"), Just("NaN"), Just("Infinity"), Just("1e308"), Just("\"x\""), Just("null"),
        Just("[]"), Just("{}"), Just("0"), Just("-0.0"), Just("99999999999999999999999"),
    ]) {
        let text = SEEDS[seed];
        // Replace the first number at or after `at` with a hostile token.
        let bytes = text.as_bytes();
        let start = (at.min(bytes.len())..bytes.len()).find(|&i| bytes[i].is_ascii_digit());
        if let Some(s) = start {
            let end = (s..bytes.len()).find(|&i| !(bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b'e')).unwrap_or(bytes.len());
            let mutated = format!("{}{}{}", &text[..s], with, &text[end..]);
            read_all(mutated.as_bytes());
        }
    }
}
