//! What each subcommand does, in terms of the pipeline and site-gen libraries.

use crate::cli::{
    AcceleratorsAction, AnalysisArgs, BenchmarksAction, Command, ManifestsAction,
    ModelServerVersionsAction, ModelServersAction, ModelsAction, PipelineArgs, ProfilesAction,
    UseCasesAction,
};
use anyhow::{Context, Result};
use pipeline::analysis::AnalysisConfig;
use pipeline::analyze::PriceSources;
use pipeline::pricing::CatalogLocation;
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
    use crate::build::{Stages, run as build};
    match command {
        Command::Ingest(args) => build(
            &args.out.clone(),
            Stages {
                ingest: Some(&args),
                analyze: None,
                site: None,
            },
        ),
        Command::Analyze { out, analysis } => build(
            &out,
            Stages {
                ingest: None,
                analyze: Some(&analysis),
                site: None,
            },
        ),
        Command::Build {
            pipeline,
            analysis,
            site,
        } => build(
            &pipeline.out.clone(),
            Stages {
                ingest: Some(&pipeline),
                analyze: Some(&analysis),
                site: Some((&analysis, &site)),
            },
        ),
        Command::Site {
            out,
            analysis,
            site,
        } => build(
            &out,
            Stages {
                ingest: None,
                analyze: None,
                site: Some((&analysis, &site)),
            },
        ),
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

/// Ingest and analyze with the given flags (used when a query finds no catalog).
pub fn build_catalog(raw: &Path, out: &Path, analysis: &AnalysisArgs) -> Result<()> {
    let pipeline = PipelineArgs {
        raw: raw.to_path_buf(),
        out: out.to_path_buf(),
        strict: false,
    };
    crate::build::run(
        out,
        crate::build::Stages {
            ingest: Some(&pipeline),
            analyze: Some(analysis),
            site: None,
        },
    )
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
        catalog: CatalogLocation::from_option(args.prices_dir.as_deref()),
        user_file: args.prices.clone(),
    }
}
