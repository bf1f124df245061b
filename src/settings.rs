//! What the command line means to the libraries: usage errors (exit code 2), the analysis
//! settings and price sources the flags describe, and latency targets, each validated once.

use crate::cli::{AnalysisArgs, TargetArgs};
use anyhow::Result;
use pipeline::analysis::AnalysisConfig;
use pipeline::analysis::operating_point::Targets;
use pipeline::analyze::PriceSources;
use pipeline::pricing::CatalogLocation;

/// A mistake in how the command was called (exit code 2), as opposed to a runtime failure.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

pub fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

pub fn analysis_config(args: &AnalysisArgs) -> Result<AnalysisConfig> {
    if args.output_input_cost_ratio.is_nan() || args.output_input_cost_ratio <= 0.0 {
        return Err(usage("--output-input-cost-ratio must be positive"));
    }
    if !(0.0..1.0).contains(&args.hpa_buffer) {
        return Err(usage("--hpa-buffer must be in [0, 1)"));
    }
    if args.expected_qps.is_some_and(|q| q.is_nan() || q < 0.0) {
        return Err(usage("--expected-qps must be a non-negative number"));
    }
    Ok(AnalysisConfig {
        percentile: args.percentile.into(),
        region: args.region.clone(),
        output_input_cost_ratio: args.output_input_cost_ratio,
        hpa_buffer: args.hpa_buffer,
        expected_qps: args.expected_qps,
    })
}

pub fn price_sources(args: &AnalysisArgs) -> PriceSources {
    PriceSources {
        catalog: CatalogLocation::from_option(args.prices_dir.as_deref()),
        user_file: args.prices.clone(),
    }
}

/// Targets from flags; each must be a positive number of milliseconds.
pub fn targets(t: &TargetArgs) -> Result<Targets> {
    for (flag, v) in [
        ("--target-ntpot-milliseconds", t.target_ntpot_milliseconds),
        ("--target-ttft-milliseconds", t.target_ttft_milliseconds),
        ("--target-itl-milliseconds", t.target_itl_milliseconds),
    ] {
        if v.is_some_and(|x| x.is_nan() || x <= 0.0) {
            return Err(usage(format!(
                "{flag} must be a positive number of milliseconds"
            )));
        }
    }
    Ok(Targets {
        ntpot_ms: t.target_ntpot_milliseconds,
        ttft_ms: t.target_ttft_milliseconds,
        itl_ms: t.target_itl_milliseconds,
    })
}

/// An `--accelerator-type` value as the catalog spells it (`H100` → `nvidia-h100-80gb`); a
/// value that normalizes to nothing is kept, so the error names what was typed.
pub fn accelerator_flag(raw: &str) -> String {
    pipeline::machines::normalize_accelerator(raw).unwrap_or_else(|| raw.to_string())
}
