//! Synthetic raw runs for scale tests and benchmarks (`infercat synth`): saturation curves in
//! the formats infercat reads (native CSV, vLLM `--save-result` JSON Lines, SGLang JSON Lines),
//! each run marked `synthetic = true` in its run.toml. Deterministic: the same arguments give
//! the same files. Never part of the default catalog.

use crate::error::PipelineError;
use std::fmt::Write as _;
use std::path::Path;

/// A small deterministic generator (xorshift64*), so no two runs differ and no crate is needed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in [0, 1).
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

const SERVERS: [(&str, &str); 3] = [("vllm", "v0.10.1"), ("sglang", "v0.4.6"), ("tgi", "3.0.1")];
const ACCELERATORS: [(&str, u32); 5] = [
    ("nvidia-l4", 1),
    ("nvidia-h100-80gb", 1),
    ("nvidia-a100-80gb", 2),
    ("nvidia-tesla-a100", 4),
    ("nvidia-h100-80gb", 8),
];

/// One synthetic measured point.
struct SynthPoint {
    rate: f64,
    achieved: f64,
    output_tps: f64,
    input_tps: f64,
    ttft_ms: f64,
    ntpot_ms: f64,
    itl_ms: f64,
    e2e_ms: f64,
}

/// A saturation curve: throughput rises linearly with rate up to capacity, then flattens;
/// latency follows an M/M/1-like queueing delay that explodes past capacity.
fn curve(rng: &mut Rng, points: usize) -> Vec<SynthPoint> {
    let out_tokens = rng.between(64.0, 512.0);
    let in_tokens = rng.between(128.0, 2048.0);
    let capacity_rps = rng.between(2.0, 120.0);
    let base_ttft = rng.between(20.0, 200.0);
    let base_tpot = rng.between(5.0, 40.0);
    (0..points)
        .map(|i| {
            let rate = capacity_rps * 1.6 * (i as f64 + 1.0) / points as f64;
            let rho = (rate / capacity_rps).min(0.999);
            let achieved = rate.min(capacity_rps * rng.between(0.97, 1.0));
            let queue = if rate < capacity_rps {
                rho / (1.0 - rho)
            } else {
                50.0 * rate / capacity_rps
            };
            let ttft = base_ttft * (1.0 + queue) * rng.between(0.97, 1.03);
            let tpot = base_tpot * (1.0 + 0.8 * rho) * rng.between(0.98, 1.02);
            let e2e = ttft + tpot * (out_tokens - 1.0);
            SynthPoint {
                rate,
                achieved,
                output_tps: achieved * out_tokens,
                input_tps: achieved * in_tokens,
                ttft_ms: ttft,
                ntpot_ms: e2e / out_tokens,
                itl_ms: tpot * 0.9,
                e2e_ms: e2e,
            }
        })
        .collect()
}

fn native_csv(points: &[SynthPoint]) -> String {
    let mut s = String::from(
        "load_kind,load_value,achieved_rate,requests_per_s,output_tokens_per_s,input_tokens_per_s,ttft_p50_ms,ntpot_p50_ms,itl_p50_ms,e2e_p50_ms\n",
    );
    for p in points {
        let _ = writeln!(
            s,
            "rate,{:.4},{:.4},{:.4},{:.3},{:.3},{:.3},{:.4},{:.4},{:.3}",
            p.rate,
            p.achieved,
            p.achieved,
            p.output_tps,
            p.input_tps,
            p.ttft_ms,
            p.ntpot_ms,
            p.itl_ms,
            p.e2e_ms
        );
    }
    s
}

fn serving_jsonl(points: &[SynthPoint], sglang: bool) -> String {
    let mut s = String::new();
    for p in points {
        let duration = 120.0;
        let completed = (p.achieved * duration).round().max(1.0);
        let e2e_key = if sglang { "e2e_latency" } else { "e2el" };
        let _ = writeln!(
            s,
            "{{\"backend\": \"{}\", \"request_rate\": {:.4}, \"duration\": {duration}, \"completed\": {completed}, \"request_throughput\": {:.4}, \"output_throughput\": {:.3}, \"total_input_tokens\": {:.0}, \"total_output_tokens\": {:.0}, \"total_token_throughput\": {:.3}, \"mean_ttft_ms\": {:.3}, \"median_ttft_ms\": {:.3}, \"median_tpot_ms\": {:.3}, \"median_itl_ms\": {:.3}, \"median_{e2e_key}_ms\": {:.3}, \"mean_{e2e_key}_ms\": {:.3}}}",
            if sglang { "sglang" } else { "vllm" },
            p.rate,
            p.achieved,
            p.output_tps,
            p.input_tps * duration,
            p.output_tps * duration,
            p.input_tps + p.output_tps,
            p.ttft_ms,
            p.ttft_ms,
            p.itl_ms,
            p.itl_ms,
            p.e2e_ms,
            p.e2e_ms,
        );
    }
    s
}

/// Writes `profiles` synthetic runs of `points` points each under `out`.
pub fn generate(out: &Path, profiles: usize, points: usize) -> Result<(), PipelineError> {
    let points = points.max(1);
    for i in 0..profiles {
        let mut rng = Rng::new(i as u64 + 1);
        let (server, version) = SERVERS[i % SERVERS.len()];
        let (accelerator, count) = ACCELERATORS[(i / SERVERS.len()) % ACCELERATORS.len()];
        let dir = out.join(format!("synthetic-{i:05}"));
        std::fs::create_dir_all(&dir).map_err(|e| PipelineError::io(&dir, e))?;
        let run_toml = format!(
            "# SYNTHETIC: generated by `infercat synth` for scale tests; not a benchmark.\n[profile]\nmodel = \"synthetic/model-{:03}\"\nmodel_server = \"{server}\"\nmodel_server_version = \"{version}\"\naccelerator = \"{accelerator}\"\naccelerator_count = {count}\nvariant = \"synthetic-{i:05}\"\nnotes = \"Synthetic curve generated by infercat synth; not a measurement.\"\n\n[source]\norigin = \"infercat synth\"\nlicense = \"Apache-2.0\"\nsynthetic = true\n",
            i % 50
        );
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|e| PipelineError::io(&path, e))
        };
        write("run.toml", &run_toml)?;
        let data = curve(&mut rng, points);
        match i % 3 {
            0 => write("points.csv", &native_csv(&data))?,
            1 => write("results.jsonl", &serving_jsonl(&data, false))?,
            _ => write("bench_serving.jsonl", &serving_jsonl(&data, true))?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_runs_ingest_cleanly_and_are_marked() {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path(), 9, 10).unwrap();
        let ingested = crate::ingest::ingest(dir.path()).unwrap();
        assert!(
            ingested.report.rejected.is_empty(),
            "{:?}",
            ingested.report.rejected
        );
        assert_eq!(ingested.rows.len(), 90);
        assert_eq!(ingested.report.profiles, 9);
        assert!(ingested.rows.iter().all(|r| r.synthetic));
        let tools: std::collections::BTreeSet<&str> =
            ingested.rows.iter().map(|r| r.tool.as_str()).collect();
        assert_eq!(
            tools.into_iter().collect::<Vec<_>>(),
            vec!["native", "sglang", "vllm"]
        );
    }

    #[test]
    fn same_arguments_same_files() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        generate(a.path(), 4, 5).unwrap();
        generate(b.path(), 4, 5).unwrap();
        for run in [
            "synthetic-00000/points.csv",
            "synthetic-00001/results.jsonl",
            "synthetic-00002/bench_serving.jsonl",
        ] {
            assert_eq!(
                std::fs::read(a.path().join(run)).unwrap(),
                std::fs::read(b.path().join(run)).unwrap()
            );
        }
    }
}
