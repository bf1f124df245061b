//! `infercat site`: render the catalog site from the tables, into a temporary directory beside
//! the output, then swap it in so readers never see a half-written site.

use crate::cli::{AnalysisArgs, SiteArgs};
use crate::commands::{analysis_config, price_sources, usage};
use anyhow::{Context, Result};
use pipeline::analysis::{group_profiles, summarize};
use pipeline::ingest::{BENCHMARKS_FILE, REPORT_FILE};
use pipeline::model_facts::ModelCatalog;
use pipeline::pricing::overrides;
use pipeline::report::IngestReport;
use site_gen::site::{SiteInput, build_site};
use std::path::Path;

pub const SITE_DIR: &str = "site";

pub fn run(out: &Path, analysis: &AnalysisArgs, site: &SiteArgs) -> Result<()> {
    let cfg = analysis_config(analysis)?;
    let pricing_model = site.pricing_model.parse().map_err(usage)?;
    let data = out.join("data");
    let rows = pipeline::schema::read_benchmarks(&data.join(BENCHMARKS_FILE))
        .context("cannot read the catalog")?;
    let report: IngestReport = serde_json::from_str(
        &std::fs::read_to_string(data.join(REPORT_FILE))
            .with_context(|| format!("cannot read {}", data.join(REPORT_FILE).display()))?,
    )
    .context("ingest report")?;
    let prices = price_sources(analysis)
        .load()
        .context("cannot load prices")?;
    let summaries = summarize(group_profiles(&rows), &cfg, &prices);
    let models = ModelCatalog::load(&site.models_file).context("cannot read model facts")?;
    let override_file = analysis.prices_dir.join("overrides.csv");
    let override_rows = if override_file.exists() {
        overrides::read(&override_file)?
    } else {
        Vec::new()
    };
    let input = SiteInput {
        summaries: &summaries,
        cfg: &cfg,
        prices: &prices,
        report: &report,
        models: &models,
        data_dir: &data,
        pricing_model,
        overrides: override_rows
            .iter()
            .map(|o| serde_json::to_value(o).unwrap_or_default())
            .collect(),
    };
    let final_dir = out.join(SITE_DIR);
    let staging = out.join(format!(".site-staging-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).ok();
    }
    let stats = build_site(&input, &staging)
        .with_context(|| format!("cannot build the site in {}", staging.display()));
    let stats = match stats {
        Ok(s) => s,
        Err(e) => {
            std::fs::remove_dir_all(&staging).ok();
            return Err(e);
        }
    };
    swap_in(&staging, &final_dir)?;
    eprintln!(
        "site: {} pages, {} files, {:.1} MB in {}",
        stats.pages,
        stats.files,
        stats.bytes as f64 / 1e6,
        final_dir.display()
    );
    Ok(())
}

/// Replaces `target` with `staging` by renames: the old site stays whole until the new one is.
fn swap_in(staging: &Path, target: &Path) -> Result<()> {
    let old = target.with_file_name(format!(".site-old-{}", std::process::id()));
    if target.exists() {
        std::fs::rename(target, &old)
            .with_context(|| format!("cannot move {} aside", target.display()))?;
    }
    if let Err(e) = std::fs::rename(staging, target) {
        if old.exists() {
            std::fs::rename(&old, target).ok();
        }
        return Err(e).with_context(|| format!("cannot publish {}", target.display()));
    }
    if old.exists() {
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("cannot remove {}", old.display()))?;
    }
    Ok(())
}
