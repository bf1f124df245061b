//! What each subcommand does, in terms of the pipeline and site-gen libraries.

use crate::cli::{
    AcceleratorsAction, AnalysisArgs, BenchmarksAction, Command, ManifestsAction,
    ModelServerVersionsAction, ModelServersAction, ModelsAction, PipelineArgs, ProfilesAction,
    UseCasesAction,
};
use anyhow::{Context, Result, bail};
use pipeline::analysis::AnalysisConfig;
use pipeline::analyze::{self, PriceSources};
use pipeline::ingest;
use std::path::Path;

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

pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Ingest(args) => run_ingest(&args),
        Command::Analyze { out, analysis } => run_analyze(&out, &analysis),
        Command::Build {
            pipeline,
            analysis,
            site,
        } => {
            run_ingest(&pipeline)?;
            run_analyze(&pipeline.out, &analysis)?;
            crate::site_cmd::run(&pipeline.out, &analysis, &site)
        }
        Command::Site {
            out,
            analysis,
            site,
        } => crate::site_cmd::run(&out, &analysis, &site),
        Command::Synth {
            profiles,
            points,
            out,
        } => {
            pipeline::synth::generate(&out, profiles, points)
                .with_context(|| format!("cannot write synthetic runs to {}", out.display()))?;
            eprintln!(
                "synth: wrote {profiles} synthetic runs of {points} points to {}",
                out.display()
            );
            Ok(())
        }
        Command::Models {
            action: ModelsAction::List(list),
        } => emit(crate::query::models(&list)),
        Command::ModelServers {
            action: ModelServersAction::List { model, list },
        } => emit(crate::query::model_servers(&model, &list)),
        Command::ModelServerVersions {
            action:
                ModelServerVersionsAction::List {
                    model,
                    model_server,
                    list,
                },
        } => emit(crate::query::model_server_versions(
            &model,
            &model_server,
            &list,
        )),
        Command::Accelerators {
            action: AcceleratorsAction::List { model, list },
        } => emit(crate::query::accelerators(model.as_deref(), &list)),
        Command::UseCases {
            action: UseCasesAction::List(list),
        } => emit(crate::query::use_cases(&list)),
        Command::Profiles {
            action: ProfilesAction::List(args),
        } => emit(crate::query::profiles(&args)),
        Command::Benchmarks {
            action: BenchmarksAction::List(args),
        } => emit(crate::query::benchmarks(&args)),
        Command::Manifests {
            action: ManifestsAction::Create(args),
        } => crate::manifest_cmd::create(&args),
    }
}

fn emit(text: Result<String>) -> Result<()> {
    print!("{}", text?);
    Ok(())
}

/// Ingest and analyze with default flags (used when a query finds no catalog).
pub fn build_catalog(raw: &Path, out: &Path, analysis: &AnalysisArgs) -> Result<()> {
    run_ingest(&PipelineArgs {
        raw: raw.to_path_buf(),
        out: out.to_path_buf(),
        strict: false,
    })?;
    run_analyze(out, analysis)
}

fn run_ingest(args: &PipelineArgs) -> Result<()> {
    let ingested = ingest::ingest(&args.raw).context("ingest failed")?;
    let data_dir = args.out.join("data");
    ingest::write_outputs(&ingested, &data_dir)
        .with_context(|| format!("cannot write tables to {}", data_dir.display()))?;
    let report = &ingested.report;
    for issue in &report.rejected {
        eprintln!("rejected {}: {}", issue.path, issue.reason);
    }
    eprintln!("{}", report.summary_line());
    if args.strict && !report.rejected.is_empty() {
        bail!(
            "--strict: {} raw file(s) rejected (see {})",
            report.rejected.len(),
            data_dir.join(ingest::REPORT_FILE).display()
        );
    }
    Ok(())
}

pub fn analysis_config(args: &AnalysisArgs) -> Result<AnalysisConfig> {
    let percentile = args.percentile.parse().map_err(usage)?;
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
        percentile,
        region: args.region.clone(),
        output_input_cost_ratio: args.output_input_cost_ratio,
        hpa_buffer: args.hpa_buffer,
        expected_qps: args.expected_qps,
    })
}

pub fn price_sources(args: &AnalysisArgs) -> PriceSources {
    PriceSources {
        catalog_dir: args.prices_dir.clone(),
        user_file: args.prices.clone(),
    }
}

fn run_analyze(out: &Path, args: &AnalysisArgs) -> Result<()> {
    let cfg = analysis_config(args)?;
    let data_dir = out.join("data");
    let summaries = analyze::analyze(&data_dir, &cfg, &price_sources(args))
        .with_context(|| format!("analysis of {} failed", data_dir.display()))?;
    let knees = summaries
        .iter()
        .filter(|s| s.knee.method != pipeline::analysis::knee::KneeMethod::NotObserved)
        .count();
    eprintln!(
        "analyze: {} profiles, {} with a knee; wrote {}",
        summaries.len(),
        knees,
        data_dir.join(analyze::PROFILES_FILE).display()
    );
    Ok(())
}
