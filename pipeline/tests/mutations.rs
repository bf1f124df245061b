//! Hostile input, per format: starting from a real (or, where no licensed real file exists, a
//! hand-written) file of each format, at least 10,000 mutated variants each — bytes flipped,
//! fields removed, types swapped, numbers as strings, `NaN`/`Infinity`, huge numbers, truncated
//! files, deep nesting — are read. None may panic; every rejection must give a reason; and a
//! sample of rejected files, ingested, is reported by file name with that reason.
//!
//! Mutations come from a fixed-seed generator, so a failure reproduces exactly.

use pipeline::document::Document;
use pipeline::formats;
use serde_json::Value;

/// The seed file of each format, by the tool name its reader reports.
const SEEDS: &[(&str, &str, &[u8])] = &[
    (
        "inference-perf",
        "stage_1_lifecycle_metrics.json",
        include_bytes!(
            "../../data/raw/inference-perf-kubecon-na-2025/vllm/stage_1_lifecycle_metrics.json"
        ),
    ),
    (
        "inference-perf-prometheus",
        "stage_1_prometheus_metrics.json",
        include_bytes!(
            "../../data/raw/inference-perf-kubecon-na-2025/vllm/stage_1_prometheus_metrics.json"
        ),
    ),
    (
        "vllm-nightly",
        "nightly_results.json",
        include_bytes!(
            "../../data/raw/vllm-nightly/v0.5.5/2024-08-23_18-47-20_vllm_055_nightly_results.json"
        ),
    ),
    (
        "llmperf",
        "tp_1_results.json",
        include_bytes!(
            "../../data/raw/llmperf-bench-tgi/mistral-7b-instruct-v0.2/mistralai_Mistral-7B-Instruct-v0.2_tp_1_results.json"
        ),
    ),
    (
        "vllm",
        "concurrency_128.json",
        include_bytes!(
            "../../data/raw/inferencex-mi355x-disagg/gpt-oss-120b/concurrency_128_req_rate_inf_gpus_16_ctx_8_gen_8.json"
        ),
    ),
    (
        "vllm-sweep",
        "summary.json",
        include_bytes!("../../tests/fixtures/raw/vllm-sweep/summary.json"),
    ),
    (
        "inferencex",
        "agg_kimik2.5_1k1k.json",
        include_bytes!("../../tests/fixtures/raw/inferencex/agg_kimik2.5_1k1k.json"),
    ),
    (
        "inferencex",
        "glm_tp4_conc8_agentic.json",
        include_bytes!("../../tests/fixtures/raw/inferencex-scenario/glm_tp4_conc8_agentic.json"),
    ),
    (
        "aiperf",
        "profile_export_aiperf.json",
        include_bytes!("../../tests/fixtures/raw/aiperf/profile_export_aiperf.json"),
    ),
    (
        "genai-perf",
        "profile_export_genai_perf.json",
        include_bytes!("../../tests/fixtures/raw/genai-perf/profile_export_genai_perf.json"),
    ),
    (
        "bench-serving-csv",
        "online_results.csv",
        include_bytes!("../../tests/fixtures/raw/bench-serving-csv/online_results.csv"),
    ),
    (
        "sglang",
        "bench.jsonl",
        include_bytes!("../../tests/fixtures/raw/sglang/bench.jsonl"),
    ),
    (
        "guidellm",
        "benchmarks.json",
        include_bytes!("../../tests/fixtures/raw/guidellm/benchmarks.json"),
    ),
    (
        "native",
        "points.csv",
        include_bytes!("../../tests/fixtures/raw/native/points.csv"),
    ),
];

const CASES_PER_FORMAT: usize = 10_000;

/// splitmix64: small, fast, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const HOSTILE_VALUES: &[&str] = &[
    "NaN",
    "Infinity",
    "-Infinity",
    "-1",
    "1e308",
    "1e400",
    "99999999999999999999999999",
    "\"12.5\"",
    "\"fast\"",
    "\"\"",
    "null",
    "true",
    "[]",
    "{}",
    "0",
    "-0.0",
];

/// One mutation of `seed`, chosen by `rng`.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let text = String::from_utf8_lossy(seed).into_owned();
    match rng.below(8) {
        0 => flip_bytes(seed, rng),
        1 => seed[..rng.below(seed.len())].to_vec(),
        2 => replace_number(&text, rng).into_bytes(),
        3 | 4 => mutate_tree(&text, rng).unwrap_or_else(|| flip_bytes(seed, rng)),
        5 => replace_csv_cell(&text, rng).into_bytes(),
        6 => nest_deeply(&text, rng).into_bytes(),
        _ => {
            let mut bytes = flip_bytes(seed, rng);
            let cut = rng.below(bytes.len());
            bytes.truncate(cut.max(1));
            bytes
        }
    }
}

fn flip_bytes(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        let i = rng.below(bytes.len());
        bytes[i] ^= 1 << rng.below(8);
    }
    bytes
}

/// Replaces the first number at or after a random position with a hostile token.
fn replace_number(text: &str, rng: &mut Rng) -> String {
    let bytes = text.as_bytes();
    let from = rng.below(bytes.len());
    let Some(start) = (from..bytes.len()).find(|&i| bytes[i].is_ascii_digit()) else {
        return text.to_string();
    };
    let end = (start..bytes.len())
        .find(|&i| !(bytes[i].is_ascii_digit() || matches!(bytes[i], b'.' | b'e' | b'-')))
        .unwrap_or(bytes.len());
    let with = HOSTILE_VALUES[rng.below(HOSTILE_VALUES.len())];
    format!("{}{}{}", &text[..start], with, &text[end..])
}

/// Parses the JSON (or each JSON line), then removes a field, swaps a value's type, turns a
/// number into a string, or sets a hostile number, somewhere in the tree.
fn mutate_tree(text: &str, rng: &mut Rng) -> Option<Vec<u8>> {
    if let Ok(mut v) = serde_json::from_str::<Value>(text) {
        mutate_value(&mut v, rng, 0);
        return Some(v.to_string().into_bytes());
    }
    let mut lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .ok()?;
    if lines.is_empty() {
        return None;
    }
    let i = rng.below(lines.len());
    mutate_value(&mut lines[i], rng, 0);
    Some(
        lines
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
    )
}

fn mutate_value(v: &mut Value, rng: &mut Rng, depth: usize) {
    let descend = depth < 6 && rng.below(3) > 0;
    match v {
        Value::Object(map) if !map.is_empty() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[rng.below(keys.len())];
            if descend && let Some(child) = map.get_mut(key) {
                return mutate_value(child, rng, depth + 1);
            }
            if rng.below(2) == 0 {
                map.remove(key);
            } else if let Some(child) = map.get_mut(key) {
                *child = swapped(child, rng);
            }
        }
        Value::Array(list) if !list.is_empty() => {
            let i = rng.below(list.len());
            if descend {
                return mutate_value(&mut list[i], rng, depth + 1);
            }
            list[i] = swapped(&list[i], rng);
        }
        other => *other = swapped(other, rng),
    }
}

/// A value of another type, or the same number in a hostile form.
fn swapped(v: &Value, rng: &mut Rng) -> Value {
    match (v, rng.below(6)) {
        (Value::Number(n), 0) => Value::String(n.to_string()),
        (Value::Number(_), 1) => Value::String("NaN".into()),
        (Value::Number(_), 2) => serde_json::json!(-1.0e300),
        (Value::Number(_), 3) => serde_json::json!(1.0e300),
        (Value::String(s), 0) => s
            .parse::<f64>()
            .map_or(Value::Null, |x| serde_json::json!(x)),
        (_, 4) => Value::Array(vec![v.clone()]),
        (_, 5) => Value::Null,
        _ => serde_json::json!({"unexpected": true}),
    }
}

/// For CSV: a random cell becomes a hostile value, a column is dropped, or a row loses cells.
fn replace_csv_cell(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.len() < 2 || !lines[0].contains(',') {
        return replace_number(text, rng);
    }
    let row = 1 + rng.below(lines.len() - 1);
    let mut cells: Vec<String> = lines[row].split(',').map(str::to_string).collect();
    let col = rng.below(cells.len());
    match rng.below(3) {
        0 => cells[col] = ["NaN", "inf", "-1", "1e400", "x", "\"", ""][rng.below(7)].into(),
        1 => {
            for line in lines.iter_mut() {
                let mut cs: Vec<&str> = line.split(',').collect();
                if col < cs.len() {
                    cs.remove(col);
                }
                *line = cs.join(",");
            }
            return lines.join("\n");
        }
        _ => cells.truncate(col),
    }
    lines[row] = cells.join(",");
    lines.join("\n")
}

/// A value wrapped in many levels of arrays (beyond any reader's recursion limit).
fn nest_deeply(text: &str, rng: &mut Rng) -> String {
    let depth = 100 + rng.below(2000);
    let at = text.find(": ").or_else(|| text.find(':'));
    match at {
        Some(i) => format!(
            "{}: {}{}",
            &text[..i],
            "[".repeat(depth),
            &text[i + 1..].replacen(',', &format!("{},", "]".repeat(depth)), 1)
        ),
        None => format!("{}{}", "[".repeat(depth), text),
    }
}

/// Reads bytes as ingest would: detect by content, parse with the detected format. Returns
/// the rejection reason, if any.
fn read(bytes: &[u8]) -> Option<String> {
    let doc = match Document::from_bytes(bytes) {
        Ok(doc) => doc,
        Err(e) => return Some(e.reason),
    };
    let Some(format) = formats::detect(&doc) else {
        return Some("no format".into());
    };
    match format.parse(&doc) {
        Err(e) => Some(e.reason),
        Ok(formats::Parsed::Points(points)) => {
            for p in &points {
                let latencies = [&p.ttft, &p.ntpot, &p.tpot, &p.itl, &p.e2e];
                let values = latencies
                    .iter()
                    .flat_map(|l| [l.mean(), l.p50(), l.p90(), l.p99()])
                    .flatten()
                    .chain([p.output_tokens_per_s])
                    .chain(p.input_tokens_per_s());
                for v in values {
                    assert!(v.is_finite() && v >= 0.0, "an accepted point holds {v}");
                }
            }
            None
        }
        Ok(_) => None,
    }
}

/// Reads `CASES_PER_FORMAT` mutants of one format's seed; none may panic, every rejection
/// gives a reason. Prints the counts (`cargo test -- --nocapture`).
fn survives_mutations(tool: &str) {
    let seeds: Vec<(usize, &[u8])> = SEEDS
        .iter()
        .enumerate()
        .filter(|(_, (t, _, _))| *t == tool)
        .map(|(i, (_, _, seed))| (i, *seed))
        .collect();
    assert!(!seeds.is_empty(), "no seed for {tool}");
    for (i, seed) in seeds {
        survives_mutations_of(tool, i, seed);
    }
}

/// A format's readers survive mutations of one of its seeds (the `i`th, which seeds the
/// generator).
fn survives_mutations_of(tool: &str, i: usize, seed: &[u8]) {
    let doc = Document::from_bytes(seed).unwrap();
    assert_eq!(
        formats::detect(&doc).map(|f| f.tool()),
        Some(tool),
        "the seed reads as {tool}"
    );
    assert!(read(seed).is_none(), "the unmutated {tool} seed parses");
    let mut rng = Rng(0x1F3_u64.wrapping_add(i as u64));
    let (mut rejected, mut accepted) = (0, 0);
    for _ in 0..CASES_PER_FORMAT {
        let mutated = mutate(seed, &mut rng);
        match read(&mutated) {
            Some(reason) => {
                assert!(
                    !reason.trim().is_empty(),
                    "{tool}: a rejection without a reason"
                );
                rejected += 1;
            }
            None => accepted += 1,
        }
    }
    assert_eq!(rejected + accepted, CASES_PER_FORMAT);
    println!("{tool}: {CASES_PER_FORMAT} cases, {rejected} rejected, {accepted} read");
}

/// One test per format, so the harness spreads them over the cores.
macro_rules! mutation_tests {
    ($($name:ident => $tool:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                survives_mutations($tool);
            }
        )*

        #[test]
        fn every_format_has_a_mutation_test() {
            let tested = [$($tool),*];
            for f in formats::all() {
                assert!(tested.contains(&f.tool()), "no mutation test for {}", f.tool());
            }
        }
    };
}

mutation_tests! {
    inference_perf_survives_mutations => "inference-perf",
    inference_perf_prometheus_survives_mutations => "inference-perf-prometheus",
    vllm_nightly_survives_mutations => "vllm-nightly",
    llmperf_survives_mutations => "llmperf",
    vllm_save_result_survives_mutations => "vllm",
    vllm_sweep_survives_mutations => "vllm-sweep",
    inferencex_agg_survives_mutations => "inferencex",
    aiperf_survives_mutations => "aiperf",
    genai_perf_survives_mutations => "genai-perf",
    bench_serving_csv_survives_mutations => "bench-serving-csv",
    sglang_survives_mutations => "sglang",
    guidellm_survives_mutations => "guidellm",
    native_csv_survives_mutations => "native",
}

#[test]
fn rejected_mutants_are_reported_by_file_with_their_reason_and_spare_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("raw/mutants");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(
        run.join("run.toml"),
        "[profile]\nmodel = \"m/x\"\nmodel_server = \"vllm\"\nmodel_server_version = \"v0.11.0\"\n\
         accelerator = \"nvidia-l4\"\naccelerator_count = 1\n[source]\norigin = \"test\"\nlicense = \"MIT\"\n",
    )
    .unwrap();
    let mut expected = Vec::new();
    for (i, (tool, name, seed)) in SEEDS.iter().enumerate() {
        let mut rng = Rng(0xBAD_u64.wrapping_add(i as u64));
        let mut found = 0;
        while found < 3 {
            let mutated = mutate(seed, &mut rng);
            if read(&mutated).is_some_and(|r| r != "no format") {
                let file = format!("{tool}-{found}-{name}");
                std::fs::write(run.join(&file), &mutated).unwrap();
                expected.push(file);
                found += 1;
            }
        }
    }
    // One good file beside the mutants is still read.
    std::fs::write(run.join("good.json"), SEEDS[4].2).unwrap();
    let ingested = pipeline::ingest::ingest(&dir.path().join("raw")).unwrap();
    let rejected = &ingested.report.rejected;
    for file in &expected {
        let entry = rejected
            .iter()
            .find(|r| r.path.ends_with(file.as_str()))
            .unwrap_or_else(|| panic!("{file} is reported: {rejected:?}"));
        assert!(!entry.reason.trim().is_empty(), "{file} has a reason");
    }
    assert!(
        ingested
            .rows
            .iter()
            .any(|r| r.source_file.ends_with("good.json")),
        "the good file is read despite its neighbours"
    );
}
