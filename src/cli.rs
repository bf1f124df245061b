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
    /// Run the whole pipeline: ingest raw runs and write the catalog's tables.
    Build(PipelineArgs),
    /// Read raw benchmark runs into output/data/benchmarks.parquet.
    Ingest(PipelineArgs),
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
