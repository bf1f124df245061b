//! What each subcommand does, in terms of the pipeline and site-gen libraries.

use crate::cli::{Command, PipelineArgs};
use anyhow::{Context, Result, bail};
use pipeline::ingest;

pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Build(args) | Command::Ingest(args) => run_ingest(&args),
    }
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
