//! Command-line surface: the verbs and flags of SPEC §6 (those of `gcloud container ai
//! profiles`), parsed with clap.

use clap::{Args, Parser, Subcommand, ValueEnum};
use pipeline::analysis::percentile::Percentile;
use pipeline::pricing::PricingModel;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "infercat",
    version,
    about = "Open catalog of LLM serving profiles: benchmarks, saturation points, costs and Kubernetes manifests",
    long_about = "Open catalog of LLM serving profiles: benchmarks, saturation points, costs and Kubernetes manifests.\n\nBuild the catalog with `infercat build`, then query it with the same verbs as `gcloud container ai profiles`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole pipeline: ingest raw runs, analyze every profile, render the site.
    Build {
        #[command(flatten)]
        pipeline: PipelineArgs,
        #[command(flatten)]
        analysis: AnalysisArgs,
        #[command(flatten)]
        site: SiteArgs,
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
    /// Render the static catalog site into <out>/site from the tables in <out>/data.
    Site {
        /// Output directory holding data/benchmarks.parquet.
        #[arg(long, default_value = "output")]
        out: PathBuf,
        #[command(flatten)]
        analysis: AnalysisArgs,
        #[command(flatten)]
        site: SiteArgs,
    },
    /// Generate synthetic raw runs (marked synthetic) for scale tests and benchmarks.
    Synth {
        /// Number of profiles (one run directory each).
        #[arg(long)]
        profiles: usize,
        /// Measured points per profile.
        #[arg(long, default_value_t = 10)]
        points: usize,
        /// Directory to write the runs into.
        #[arg(long)]
        out: PathBuf,
    },
    /// Models with benchmarked profiles.
    Models {
        #[command(subcommand)]
        action: ModelsAction,
    },
    /// Model servers benchmarked for a model.
    ModelServers {
        #[command(subcommand)]
        action: ModelServersAction,
    },
    /// Versions of a model server benchmarked for a model.
    ModelServerVersions {
        #[command(subcommand)]
        action: ModelServerVersionsAction,
    },
    /// Accelerators with benchmarked profiles.
    Accelerators {
        #[command(subcommand)]
        action: AcceleratorsAction,
    },
    /// Use cases (workloads) the profiles were measured for.
    UseCases {
        #[command(subcommand)]
        action: UseCasesAction,
    },
    /// Serving profiles at their knee, or at the operating point meeting latency targets.
    Profiles {
        #[command(subcommand)]
        action: ProfilesAction,
    },
    /// Every measured point of a model and model server.
    Benchmarks {
        #[command(subcommand)]
        action: BenchmarksAction,
    },
    /// Ready-to-apply Kubernetes manifests for a profile.
    Manifests {
        #[command(subcommand)]
        action: ManifestsAction,
    },
    /// Serve the catalog: its site, and the GKE Recommender API (v1alpha1 for gcloud, v1 for
    /// Google's client libraries) that `gcloud container ai profiles` talks to. Point gcloud at
    /// it with `gcloud config set api_endpoint_overrides/gkerecommender http://ADDR/`. A new
    /// `build` into the same --out is served from the next request on.
    Serve(ServeArgs),
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    #[command(flatten)]
    pub catalog: CatalogArgs,
}

#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// List models.
    List(ListArgs),
}

#[derive(Debug, Subcommand)]
pub enum ModelServersAction {
    /// List model servers for a model.
    List {
        /// Model (Hugging Face id), e.g. meta-llama/Llama-3.1-8B-Instruct.
        #[arg(long)]
        model: String,
        #[command(flatten)]
        list: ListArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelServerVersionsAction {
    /// List versions of a model server for a model.
    List {
        #[arg(long)]
        model: String,
        #[arg(long)]
        model_server: String,
        #[command(flatten)]
        list: ListArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum AcceleratorsAction {
    /// List accelerators (optionally for one model).
    List {
        #[arg(long)]
        model: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum UseCasesAction {
    /// List use cases.
    List(ListArgs),
}

#[derive(Debug, Subcommand)]
pub enum ProfilesAction {
    /// List profiles that match the filters and meet the targets.
    List(Box<ProfilesListArgs>),
}

#[derive(Debug, Subcommand)]
pub enum BenchmarksAction {
    /// List every measured point (CSV by default), in load order.
    List(BenchmarksListArgs),
}

#[derive(Debug, Subcommand)]
pub enum ManifestsAction {
    /// Generate Deployment, Service, monitoring and (with a reachable target) HPA manifests.
    Create(Box<ManifestsCreateArgs>),
}

/// `--pricing-model`: parsed once by clap, so a bad value is refused with the valid ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PricingModelArg {
    #[value(name = "on-demand")]
    OnDemand,
    Spot,
    #[value(name = "1-year-cud")]
    OneYearCud,
    #[value(name = "3-years-cud")]
    ThreeYearsCud,
}

impl From<PricingModelArg> for PricingModel {
    fn from(arg: PricingModelArg) -> Self {
        match arg {
            PricingModelArg::OnDemand => PricingModel::OnDemand,
            PricingModelArg::Spot => PricingModel::Spot,
            PricingModelArg::OneYearCud => PricingModel::OneYearCud,
            PricingModelArg::ThreeYearsCud => PricingModel::ThreeYearsCud,
        }
    }
}

/// `--percentile`: the latency statistic, parsed once by clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PercentileArg {
    Mean,
    #[value(alias = "50", alias = "median")]
    P50,
    #[value(alias = "90")]
    P90,
    #[value(alias = "99")]
    P99,
}

impl From<PercentileArg> for Percentile {
    fn from(arg: PercentileArg) -> Self {
        match arg {
            PercentileArg::Mean => Percentile::Mean,
            PercentileArg::P50 => Percentile::P50,
            PercentileArg::P90 => Percentile::P90,
            PercentileArg::P99 => Percentile::P99,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Yaml,
}

/// Where the catalog is and how it is priced; shared by every query verb.
#[derive(Debug, Args, Clone)]
pub struct CatalogArgs {
    /// Catalog output directory (built from --raw first if it does not exist).
    #[arg(long, default_value = "output", help_heading = "Catalog")]
    pub out: PathBuf,
    /// Raw runs to build the catalog from when it does not exist yet.
    #[arg(long, default_value = "data/raw", help_heading = "Catalog")]
    pub raw: PathBuf,
    /// Model facts (weight sizes) for manifests [default: the data/models.toml built into the
    /// binary].
    #[arg(long, help_heading = "Catalog")]
    pub models_file: Option<PathBuf>,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

#[derive(Debug, Args, Clone)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub catalog: CatalogArgs,
}

/// Latency targets (milliseconds, at --percentile).
#[derive(Debug, Args, Clone, Default)]
pub struct TargetArgs {
    /// Largest acceptable normalized time per output token (e2e latency / output tokens).
    #[arg(long, help_heading = "Targets")]
    pub target_ntpot_milliseconds: Option<f64>,
    /// Largest acceptable time to first token.
    #[arg(long, help_heading = "Targets")]
    pub target_ttft_milliseconds: Option<f64>,
    /// Largest acceptable inter-token latency.
    #[arg(long, help_heading = "Targets")]
    pub target_itl_milliseconds: Option<f64>,
}

#[derive(Debug, Args, Clone)]
pub struct ProfilesListArgs {
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long)]
    pub model_server: Option<String>,
    #[arg(long)]
    pub model_server_version: Option<String>,
    /// GKE accelerator name, e.g. nvidia-h100-80gb.
    #[arg(long)]
    pub accelerator_type: Option<String>,
    #[arg(long)]
    pub use_case: Option<String>,
    /// Pricing model the costs are for.
    #[arg(long, value_enum, default_value_t = PricingModelArg::Spot)]
    pub pricing_model: PricingModelArg,
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Keep profiles costing at most this many USD per million output tokens.
    #[arg(long, help_heading = "Targets")]
    pub target_cost_per_million_output_tokens: Option<f64>,
    /// Keep profiles costing at most this many USD per million input tokens.
    #[arg(long, help_heading = "Targets")]
    pub target_cost_per_million_input_tokens: Option<f64>,
    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, Args, Clone)]
pub struct BenchmarksListArgs {
    #[arg(long)]
    pub model: String,
    #[arg(long)]
    pub model_server: String,
    /// Machine type, e.g. a3-highgpu-1g.
    #[arg(long)]
    pub instance_type: Option<String>,
    #[arg(long, value_enum, default_value_t = PricingModelArg::Spot)]
    pub pricing_model: PricingModelArg,
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    #[command(flatten)]
    pub catalog: CatalogArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ManifestOutput {
    Manifest,
    Comments,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlatformArg {
    Gke,
    Generic,
}

#[derive(Debug, Args, Clone)]
pub struct ManifestsCreateArgs {
    #[arg(long)]
    pub model: String,
    #[arg(long)]
    pub model_server: String,
    #[arg(long)]
    pub accelerator_type: String,
    /// Default: the newest version benchmarked.
    #[arg(long)]
    pub model_server_version: Option<String>,
    /// Pick one configuration when several were benchmarked (default: the cheapest).
    #[arg(long)]
    pub variant: Option<String>,
    /// Only profiles benchmarked for this use case (e.g. chatbot; see `use-cases list`).
    #[arg(long)]
    pub use_case: Option<String>,
    /// Only profiles of this exact workload (e.g. "random 1024/1024"; see `profiles list`).
    #[arg(long)]
    pub workload: Option<String>,
    #[arg(long, default_value = "default")]
    pub namespace: String,
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Load the weights from gs://BUCKET/PATH with Cloud Storage FUSE instead of Hugging Face.
    #[arg(long)]
    pub model_bucket_uri: Option<String>,
    /// What to print: the YAML, the setup comments, or both.
    #[arg(long, value_enum, default_value_t = ManifestOutput::All)]
    pub output: ManifestOutput,
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub output_path: Option<PathBuf>,
    /// gke (PodMonitoring, Stackdriver adapter metrics) or generic (ServiceMonitor, prometheus-adapter).
    #[arg(long, value_enum, default_value_t = PlatformArg::Gke)]
    pub platform: PlatformArg,
    /// Pricing model used to pick the cheapest configuration and shown in the comments.
    #[arg(long, value_enum, default_value_t = PricingModelArg::Spot)]
    pub pricing_model: PricingModelArg,
    #[command(flatten)]
    pub catalog: CatalogArgs,
}

#[derive(Debug, Args, Clone)]
pub struct SiteArgs {
    /// Model facts (weight sizes) for the site's manifests [default: the data/models.toml built
    /// into the binary].
    #[arg(long = "models-file", help_heading = "Site")]
    pub models_file: Option<PathBuf>,
    /// Pricing model the pages lead with (all four are shown).
    #[arg(
        long = "site-pricing-model",
        value_enum,
        default_value_t = PricingModelArg::Spot,
        help_heading = "Site"
    )]
    pub pricing_model: PricingModelArg,
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
    /// Price catalog directory with the files of data/prices [default: the catalog built into
    /// the binary].
    #[arg(long, help_heading = "Pricing and analysis")]
    pub prices_dir: Option<PathBuf>,
    /// Your own prices (CSV: the catalog's columns, or instance_type,region,pricing_model,usd_per_hour).
    #[arg(long, help_heading = "Pricing and analysis")]
    pub prices: Option<PathBuf>,
    /// Region to price in (default: us-central1 for A3 machines, us-east5 otherwise).
    #[arg(long, help_heading = "Pricing and analysis")]
    pub region: Option<String>,
    /// Latency statistic for knees and targets.
    #[arg(long, value_enum, default_value_t = PercentileArg::P50, help_heading = "Pricing and analysis")]
    pub percentile: PercentileArg,
    /// How much more an output token costs than an input token.
    #[arg(long, default_value_t = 4.0, help_heading = "Pricing and analysis")]
    pub output_input_cost_ratio: f64,
    /// Scale-up buffer below the metric value at the operating point (0.2 = 20%).
    #[arg(long, default_value_t = 0.2, help_heading = "Pricing and analysis")]
    pub hpa_buffer: f64,
    /// Expected request rate (req/s) to size the replica count for.
    #[arg(long, help_heading = "Pricing and analysis")]
    pub expected_qps: Option<f64>,
}
