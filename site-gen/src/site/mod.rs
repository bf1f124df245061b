//! The static catalog site (SPEC §8): index, per-model and per-profile pages, methodology,
//! ingest report, downloads, the static JSON API, SVG charts and manifest files, rendered from
//! `templates/site/` into an output directory. Every file name is a slug made here; nothing
//! from input data becomes a path unchecked. Split by output: `pages` (HTML and charts), `data`
//! (downloads and JSON API), `views` (what templates see), `reuse` (refresh records),
//! `writer` (confined file writes).

mod data;
mod pages;
mod reuse;
mod views;
mod writer;

pub use reuse::{PreviousSite, ProfileRecord, SiteOutcome};
pub use views::ManifestLink;

use crate::charts::PALETTE;
use crate::{GENERATOR, templates};
use pipeline::analysis::{AnalysisConfig, ProfileSummary};
use pipeline::model_facts::ModelCatalog;
use pipeline::pricing::{PriceBook, PriceIssue, PricingModel};
use pipeline::profile::model_slug;
use pipeline::progress::Progress;
use pipeline::report::IngestReport;
use rayon::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use data::*;
use pages::*;
use reuse::*;
use views::*;
use writer::*;

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("refusing to write outside the site directory: {0}")]
    UnsafePath(String),
    #[error("template error: {0}")]
    Template(#[from] minijinja::Error),
    #[error("{0}")]
    Data(String),
}

/// What the site is built from.
pub struct SiteInput<'a> {
    pub summaries: &'a [ProfileSummary],
    pub cfg: &'a AnalysisConfig,
    pub prices: &'a PriceBook,
    pub report: &'a IngestReport,
    pub models: &'a ModelCatalog,
    /// Directory holding the pipeline's tables (copied into `data/`).
    pub data_dir: &'a Path,
    /// The pricing model the pages lead with.
    pub pricing_model: PricingModel,
    /// Override rows shown on the methodology page.
    pub overrides: Vec<Value>,
    /// The site this build replaces, for reusing unchanged profiles' files.
    pub previous: Option<&'a PreviousSite>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SiteStats {
    pub pages: usize,
    pub files: usize,
    pub bytes: u64,
    /// Profiles whose files were reused from the previous site because nothing they show changed.
    pub reused_profiles: usize,
}

/// Builds the whole site into `out` (which must be empty or new).
pub fn build_site(
    input: &SiteInput,
    out: &Path,
    progress: &dyn Progress,
) -> Result<SiteOutcome, SiteError> {
    let env = templates::environment()?;
    let w = SiteWriter::new(out);
    let pct = input.cfg.percentile;
    let ratio = input.cfg.output_input_cost_ratio;
    let site = json!({
        "generator": GENERATOR,
        "snapshot": input.report.snapshot,
        "percentile": pct.to_string(),
        "ratio": ratio,
        "pricing_model": input.pricing_model.as_str(),
        "price_sources": input.prices.sources.iter().map(|s| json!({"name": s.name, "as_of": s.as_of})).collect::<Vec<_>>(),
    });
    let pricing_models: Vec<Value> = PricingModel::ALL
        .iter()
        .map(|m| json!({"id": m.as_str()}))
        .collect();

    let mut by_model: BTreeMap<&str, Vec<&ProfileSummary>> = BTreeMap::new();
    for s in input.summaries {
        by_model
            .entry(s.profile.key.model.as_str())
            .or_default()
            .push(s);
    }
    let tasks: Vec<(&ProfileSummary, String, &'static str)> = by_model
        .iter()
        .flat_map(|(model, list)| {
            let slug = model_slug(model);
            list.iter()
                .enumerate()
                .map(move |(i, s)| (*s, slug.clone(), PALETTE[i % PALETTE.len()]))
        })
        .collect();
    progress.start("site", tasks.len());
    let built: Result<Vec<ProfilePage>, SiteError> = tasks
        .into_par_iter()
        .map(|(s, slug, color)| {
            let page = build_profile(&env, &w, input, s, slug, color, &site, &pricing_models);
            progress.advance(1);
            page
        })
        .collect();
    progress.finish();
    let mut pages = built?;
    pages.sort_by(|a, b| a.summary.profile.id.cmp(&b.summary.profile.id));
    let reused = pages.iter().filter(|p| p.reused).count();

    let view = |p| profile_view(p, input, false);
    let views: Vec<ProfileView> = pages.par_iter().map(view).collect();

    // Model pages.
    let mut model_rows = Vec::new();
    for (model, list) in &by_model {
        let m = model_view(&env, input, model, list, &pages, &views, pct)?;
        let html = env
            .get_template("site/model.html.j2")?
            .render(minijinja::context! {
                root => "../", site => templates::val(&site), m => templates::val(&m),
                pricing_models => templates::val(&pricing_models),
            })?;
        w.write(&format!("models/{}.html", m.slug), html.as_bytes())?;
        model_rows.push(m);
    }

    // Index, models, methodology, ingest report, downloads.
    let distinct = |f: fn(&ProfileSummary) -> String| {
        let mut v: Vec<String> = input.summaries.iter().map(f).collect();
        v.sort();
        v.dedup();
        v
    };
    let html = env
        .get_template("site/index.html.j2")?
        .render(minijinja::context! {
            root => "", site => templates::val(&site), profiles => templates::val(&views),
            model_count => by_model.len(), pricing_models => templates::val(&pricing_models),
            synthetic_count => input.summaries.iter().filter(|s| s.profile.synthetic).count(),
            filter_models => distinct(|s| s.profile.key.model.clone()),
            filter_servers => distinct(|s| s.profile.key.model_server.clone()),
            filter_accelerators => distinct(|s| s.profile.key.accelerator.clone()),
            filter_workloads => distinct(|s| s.profile.key.workload.clone()),
        })?;
    w.write("index.html", html.as_bytes())?;
    let html = env
        .get_template("site/models.html.j2")?
        .render(minijinja::context! {
            root => "", site => templates::val(&site), models => templates::val(&model_rows),
        })?;
    w.write("models.html", html.as_bytes())?;
    let method = json!({
        "tail_ratio": format!("{:.0}%", pipeline::analysis::knee::MAX_TAIL_SLOPE_RATIO * 100.0),
        "peak_share": format!("{:.0}%", pipeline::analysis::knee::MIN_PEAK_FRACTION * 100.0),
        "achieved_ratio": format!("{:.0}%", pipeline::analysis::knee::MIN_ACHIEVED_RATIO * 100.0),
        "latency_growth": pipeline::analysis::knee::MAX_LATENCY_GROWTH,
        "queue_growth": pipeline::analysis::knee::MIN_QUEUE_GROWTH,
        "measured_tolerance": pipeline::profile_identity::MEASURED_LENGTH_TOLERANCE,
        "output_tolerance": pipeline::profile_identity::MEASURED_OUTPUT_TOLERANCE,
        "use_case_tolerance": pipeline::workload::LENGTH_TOLERANCE,
        "use_cases": pipeline::workload::USE_CASES.iter().map(|u| json!({"name": u.name, "input": u.input_tokens, "output": u.output_tokens})).collect::<Vec<_>>(),
    });
    let html = env
        .get_template("site/methodology.html.j2")?
        .render(minijinja::context! {
            root => "", site => templates::val(&site), method => templates::val(&method),
            overrides => templates::val(&input.overrides),
            price_sources => templates::val(&input.prices.sources),
        })?;
    w.write("methodology.html", html.as_bytes())?;
    let issues: &[PriceIssue] = &input.prices.issues;
    let html = env
        .get_template("site/ingest-report.html.j2")?
        .render(minijinja::context! {
            root => "", site => templates::val(&site), report => templates::val(input.report),
            price_issues => templates::val(issues),
            disagreements => templates::val(&input.prices.disagreements),
        })?;
    w.write("ingest-report.html", html.as_bytes())?;
    let html = env.get_template("site/downloads.html.j2")?.render(minijinja::context! {
        root => "", site => templates::val(&site), first_profile => pages.first().map(|p| p.summary.profile.id.clone()),
    })?;
    w.write("downloads.html", html.as_bytes())?;

    // Assets and data.
    w.write("assets/style.css", templates::STYLE_CSS.as_bytes())?;
    w.write("assets/app.js", templates::APP_JS.as_bytes())?;
    write_data(&w, input)?;
    write_api(&w, input, &pages, &model_rows)?;
    let records = pages
        .iter()
        .map(|p| {
            let record = ProfileRecord {
                fingerprint: p.fingerprint.clone(),
                manifests: p.manifests.clone(),
                cli_command: p.cli_command.clone(),
            };
            (p.summary.profile.id.clone(), record)
        })
        .collect();
    Ok(SiteOutcome {
        stats: w.stats(reused),
        records,
    })
}
