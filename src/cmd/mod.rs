//! The commands, one module per family: the pipeline stages (`refresh`), the read-only list
//! verbs (`query`), and `manifests create`. This module only dispatches.

pub mod manifests;
pub mod query;

use crate::cli::{
    AcceleratorsAction, BenchmarksAction, Command, ManifestsAction, ModelServerVersionsAction,
    ModelServersAction, ModelsAction, ProfilesAction, UseCasesAction,
};
use anyhow::{Context, Result};

pub fn run(command: Command) -> Result<()> {
    use crate::refresh::{Stages, run as build};
    let stages = |ingest, analyze, site| Stages {
        ingest,
        analyze,
        site,
    };
    match command {
        Command::Ingest(args) => build(&args.out, stages(Some(&args), None, None)),
        Command::Analyze { out, analysis } => build(&out, stages(None, Some(&analysis), None)),
        Command::Build {
            pipeline,
            analysis,
            site,
        } => build(
            &pipeline.out,
            stages(Some(&pipeline), Some(&analysis), Some((&analysis, &site))),
        ),
        Command::Site {
            out,
            analysis,
            site,
        } => build(&out, stages(None, None, Some((&analysis, &site)))),
        Command::Synth {
            profiles,
            points,
            out,
        } => synth(&out, profiles, points),
        Command::Models {
            action: ModelsAction::List(list),
        } => emit(query::models(&list)),
        Command::ModelServers {
            action: ModelServersAction::List { model, list },
        } => emit(query::model_servers(&model, &list)),
        Command::ModelServerVersions {
            action:
                ModelServerVersionsAction::List {
                    model,
                    model_server,
                    list,
                },
        } => emit(query::model_server_versions(&model, &model_server, &list)),
        Command::Accelerators {
            action: AcceleratorsAction::List { model, list },
        } => emit(query::accelerators(model.as_deref(), &list)),
        Command::UseCases {
            action: UseCasesAction::List(list),
        } => emit(query::use_cases(&list)),
        Command::Profiles {
            action: ProfilesAction::List(args),
        } => emit(query::profiles(&args)),
        Command::Benchmarks {
            action: BenchmarksAction::List(args),
        } => emit(query::benchmarks(&args)),
        Command::Manifests {
            action: ManifestsAction::Create(args),
        } => manifests::create(&args),
        Command::Serve(args) => crate::serve::run(&args),
    }
}

/// Writes `profiles` synthetic runs of `points` points each (for scale tests).
fn synth(out: &std::path::Path, profiles: usize, points: usize) -> Result<()> {
    pipeline::synth::generate(out, profiles, points)
        .with_context(|| format!("cannot write synthetic runs to {}", out.display()))?;
    eprintln!(
        "synth: wrote {profiles} synthetic runs of {points} points to {}",
        out.display()
    );
    Ok(())
}

fn emit(text: Result<String>) -> Result<()> {
    print!("{}", text?);
    Ok(())
}
