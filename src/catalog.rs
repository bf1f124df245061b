//! Loading the built catalog for the query verbs (building it first when absent), and checking
//! user-supplied names against it with "did you mean" suggestions.

use crate::cli::CatalogArgs;
use crate::settings::{analysis_config, price_sources, usage};
use anyhow::{Context, Result};
use pipeline::analysis::percentile::Percentile;
use pipeline::analysis::{AnalysisConfig, Profile, ProfileSummary, read_profiles, summarize};
use pipeline::model_facts::ModelCatalog;
use pipeline::pricing::PriceBook;
use pipeline::storage::BENCHMARKS_FILE;
use std::collections::BTreeSet;

pub struct Catalog {
    /// Profiles summarized at their knees, ordered by profile id.
    pub profiles: Vec<ProfileSummary>,
    /// Shared with catalogs [`Catalog::reanalyzed`] from this one.
    pub prices: std::sync::Arc<PriceBook>,
    pub cfg: AnalysisConfig,
    pub models: ModelCatalog,
}

impl Catalog {
    pub fn load(args: &CatalogArgs) -> Result<Self> {
        let data = args.out.join("data");
        if !data.join(BENCHMARKS_FILE).exists() {
            eprintln!(
                "note: no catalog at {}; building it from {} first",
                args.out.display(),
                args.raw.display()
            );
            crate::refresh::build_catalog(&args.raw, &args.out, &args.analysis)?;
        }
        Self::from_data(&data, args)
    }

    /// The catalog of one published data directory (`serve` pins a generation this way).
    pub fn from_data(data: &std::path::Path, args: &CatalogArgs) -> Result<Self> {
        let cfg = analysis_config(&args.analysis)?;
        let table = data.join(BENCHMARKS_FILE);
        let profiles = read_profiles(&table).context("cannot read the catalog")?;
        let prices = price_sources(&args.analysis)
            .load()
            .context("cannot load prices")?;
        let profiles = summarize(profiles, &cfg, &prices);
        let models = ModelCatalog::load_or_bundled(args.models_file.as_deref())
            .context("cannot read model facts")?;
        Ok(Self {
            profiles,
            prices: std::sync::Arc::new(prices),
            cfg,
            models,
        })
    }

    /// The same profiles summarized under another statistic and expected rate (`serve` answers a
    /// page's `--percentile`/`--expected-qps` this way, as the CLI would with those flags).
    pub fn reanalyzed(&self, percentile: Percentile, expected_qps: Option<f64>) -> Self {
        let cfg = AnalysisConfig {
            percentile,
            expected_qps,
            ..self.cfg.clone()
        };
        let profiles = self.profiles.iter().map(|s| s.profile.clone()).collect();
        Self {
            profiles: summarize(profiles, &cfg, &self.prices),
            prices: std::sync::Arc::clone(&self.prices),
            cfg,
            models: self.models.clone(),
        }
    }

    /// Distinct values of one profile field, sorted.
    pub fn values(&self, field: impl Fn(&Profile) -> Option<String>) -> Vec<String> {
        self.profiles
            .iter()
            .filter_map(|s| field(&s.profile))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }
}

/// Accepts `value` if it is one of `valid`; otherwise a usage error naming it and listing the
/// valid values, closest first.
pub fn check_known(flag: &str, value: &str, valid: &[String]) -> Result<()> {
    if valid.iter().any(|v| v == value) {
        return Ok(());
    }
    if valid.is_empty() {
        return Err(usage(format!(
            "unknown {flag} `{value}`: the catalog has no values for it here"
        )));
    }
    let mut ranked: Vec<&String> = valid.iter().collect();
    let lower = value.to_lowercase();
    ranked.sort_by(|a, b| {
        let sa = strsim::normalized_damerau_levenshtein(&lower, &a.to_lowercase());
        let sb = strsim::normalized_damerau_levenshtein(&lower, &b.to_lowercase());
        sb.total_cmp(&sa).then(a.cmp(b))
    });
    let list: Vec<&str> = ranked.iter().map(|s| s.as_str()).collect();
    Err(usage(format!(
        "unknown {flag} `{value}`; valid values (closest first): {}",
        list.join(", ")
    )))
}
