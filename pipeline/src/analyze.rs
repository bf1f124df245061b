//! The analyze stage: `benchmarks.parquet` (or the table the same process's ingest still
//! holds) → per-profile summaries → `profiles.parquet`, plus `price-report.json` listing every
//! catalog price that could not be used and why.

use crate::analysis::{self, AnalysisConfig, ProfileSummary, profiles_table};
use crate::error::PipelineError;
use crate::pricing::{CatalogLocation, PriceBook};
use crate::schema;
use crate::storage::{BENCHMARKS_FILE, PRICE_REPORT_FILE, PROFILES_FILE};
use polars::prelude::DataFrame;
use std::path::{Path, PathBuf};

/// Where prices come from: the catalog (compiled in, or a directory) and an optional user file
/// on top.
#[derive(Debug, Clone)]
pub struct PriceSources {
    pub catalog: CatalogLocation,
    pub user_file: Option<PathBuf>,
}

impl PriceSources {
    pub fn load(&self) -> Result<PriceBook, PipelineError> {
        let mut book = PriceBook::from_location(&self.catalog)?;
        if let Some(user) = &self.user_file {
            book.apply_user_file(user)?;
        }
        Ok(book)
    }
}

/// Runs the stage and writes its outputs into `data_dir`. `table` is the benchmarks table when
/// the ingest of the same process still holds it (else it is read from `data_dir`); it is
/// dropped once its profiles are read, before they are summarized.
pub fn analyze(
    data_dir: &Path,
    table: Option<DataFrame>,
    cfg: &AnalysisConfig,
    prices: &PriceBook,
) -> Result<Vec<ProfileSummary>, PipelineError> {
    let benchmarks = data_dir.join(BENCHMARKS_FILE);
    let profiles = match table {
        Some(df) => {
            analysis::profiles_from_table(&df).map_err(|source| PipelineError::Parquet {
                path: benchmarks.clone(),
                source,
            })?
        }
        None => analysis::read_profiles(&benchmarks)?,
    };
    crate::timing::mark("analyze: profiles read");
    let summaries = analysis::summarize(profiles, cfg, prices);
    crate::timing::mark("analyze: summarized");
    let path = data_dir.join(PROFILES_FILE);
    let mut df =
        profiles_table::to_dataframe(&summaries, cfg).map_err(|source| PipelineError::Parquet {
            path: path.clone(),
            source,
        })?;
    crate::timing::mark("analyze: table made");
    // The price report is made beside the table's Parquet and CSV writers, on whichever core
    // is free first.
    let (table, report) = rayon::join(
        || schema::write_parquet(&mut df, &path),
        || write_price_report(data_dir, prices),
    );
    table?;
    report?;
    crate::timing::mark("analyze: table written");
    Ok(summaries)
}

fn write_price_report(data_dir: &Path, prices: &PriceBook) -> Result<(), PipelineError> {
    let report_path = data_dir.join(PRICE_REPORT_FILE);
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "sources": prices.sources,
        "rejected_prices": prices.issues,
        "disagreements": prices.disagreements(),
    }))
    .map_err(|e| PipelineError::Table {
        path: report_path.clone(),
        reason: e.to_string(),
    })?;
    std::fs::write(&report_path, json + "\n").map_err(|e| PipelineError::io(&report_path, e))
}
