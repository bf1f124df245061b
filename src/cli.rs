//! Command-line surface: the verbs and flags of SPEC §6, parsed with clap.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "infercat",
    version,
    about = "Open catalog of LLM serving profiles: benchmarks, saturation points, costs and Kubernetes manifests",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole pipeline: ingest raw runs, analyze every profile.
    Build {
        #[command(flatten)]
        pipeline: PipelineArgs,
        #[command(flatten)]
        analysis: AnalysisArgs,
    },
    /// Read raw benchmark runs into <out>/data/benchmarks.parquet.
    Ingest(PipelineArgs),
    /// Summarize every profile at its knee into <out>/data/profiles.parquet.
    Analyze {
        /// Output directory holding data/benchmarks.parquet.
        #[arg(long, default_value = "output")]
        out: PathBuf,
        #[command(flatten)]
        analysis: AnalysisArgs,
    },
}

#[derive(Debug, Args, Clone)]
pub struct PipelineArgs {
    /// Directory of raw runs, one sub-directory per run with a run.toml.
    #[arg(long, default_value = "data/raw")]
    pub raw: PathBuf,
    /// Output directory (tables go to <out>/data).
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// Fail (exit code 1) if any raw file is rejected.
    #[arg(long)]
    pub strict: bool,
}

/// Flags that change how profiles are priced and summarized.
#[derive(Debug, Args, Clone)]
pub struct AnalysisArgs {
    /// Price catalog directory.
    #[arg(long, default_value = "data/prices")]
    pub prices_dir: PathBuf,
    /// Your own prices (CSV: the catalog's columns, or instance_type,region,pricing_model,usd_per_hour).
    #[arg(long)]
    pub prices: Option<PathBuf>,
    /// Region to price in (default: us-central1 for A3 machines, us-east5 otherwise).
    #[arg(long)]
    pub region: Option<String>,
    /// Latency statistic for knees and targets: mean, p50, p90, p99.
    #[arg(long, default_value = "p50")]
    pub percentile: String,
    /// How much more an output token costs than an input token.
    #[arg(long, default_value_t = 4.0)]
    pub output_input_cost_ratio: f64,
    /// Scale-up buffer below the metric value at the operating point (0.2 = 20%).
    #[arg(long, default_value_t = 0.2)]
    pub hpa_buffer: f64,
    /// Expected request rate (req/s) to size the replica count for.
    #[arg(long)]
    pub expected_qps: Option<f64>,
}
