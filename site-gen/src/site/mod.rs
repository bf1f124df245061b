//! The static catalog site (SPEC §8): index, per-model and per-profile pages, methodology,
//! ingest report, downloads, the static JSON API, SVG charts and manifest files, rendered from
//! `templates/site/` into an output directory. Every file name is a slug made here; nothing
//! from input data becomes a path unchecked. Split by output: `pages` (HTML and charts), `data`
//! (downloads and JSON API), `views` (what templates see), `reuse` (refresh records),
//! `writer` (confined file writes).

mod caveats;
mod data;
mod frontier;
pub(crate) mod manifest_patch;
mod pages;
mod parts;
mod reuse;
mod views;
mod writer;

pub use reuse::{
    AggregateEntries, PreviousSite, ProfileRecord, SiteOutcome, SiteRecords, Span, StandbySite,
};
pub use views::ManifestLink;

use crate::charts::PALETTE;
use crate::{GENERATOR, templates};
use minijinja::Environment;
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
use parts::*;
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
    /// From a compiled (askama) template: the manifests.
    #[error("template error: {0}")]
    CompiledTemplate(#[from] askama::Error),
    #[error("{0}")]
    Data(String),
    /// A write to a file being streamed; [`SiteWriter::stream`] names the file.
    #[error("cannot write: {0}")]
    Write(std::io::Error),
}

impl SiteError {
    /// A render straight into a file fails as a template error, or as the write it could not
    /// make (then named with the file). minijinja reports formatting errors as write failures
    /// too: only one caused by the file is the file's.
    fn from_render(e: minijinja::Error) -> Self {
        use std::error::Error;
        let io_kind = (e.kind() == minijinja::ErrorKind::WriteFailure)
            .then(|| {
                e.source()?
                    .downcast_ref::<std::io::Error>()
                    .map(|io| io.kind())
            })
            .flatten();
        match io_kind {
            Some(kind) => Self::Write(std::io::Error::new(kind, e)),
            None => Self::Template(e),
        }
    }
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
    /// The site this build replaces, for reusing unchanged profiles' files and model pages.
    pub previous: Option<&'a PreviousSite>,
    /// What the output directory already holds: a stale generation's site the build writes
    /// over, or hard links to the published site made while the first stages ran; `None`
    /// where it is empty.
    pub standby: Option<&'a StandbySite>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SiteStats {
    pub pages: usize,
    pub files: usize,
    pub bytes: u64,
    /// Profiles whose files were reused from the previous site because nothing they show changed.
    pub reused_profiles: usize,
    /// Model pages reused likewise: none of their profiles changed.
    pub reused_models: usize,
}

/// The site-wide values `templates/site/base.html.j2` shows (its `site`), typed for a page
/// whose template is compiled (askama) rather than interpreted.
pub(super) struct Chrome<'a> {
    pub generator: &'static str,
    pub assets: &'static str,
    pub snapshot: &'a str,
    pub pricing_model: &'static str,
}

/// What every page render needs: the templates, the writer, the input, and the site-wide
/// template values.
struct Render<'a> {
    env: Environment<'static>,
    w: SiteWriter,
    input: &'a SiteInput<'a>,
    /// Template values made once: every page shows them.
    site: minijinja::Value,
    pricing_models: minijinja::Value,
    /// [`reuse::settings_fingerprint`], part of every profile's fingerprint.
    settings: String,
}

impl<'a> Render<'a> {
    fn new(input: &'a SiteInput<'a>, out: &Path) -> Result<Self, SiteError> {
        let site = json!({
            "generator": GENERATOR,
            // The pages ask for the assets by this version: a cached script or stylesheet of
            // another build (a host's max-age) is never paired with these pages' markup.
            "assets": templates::fingerprint(),
            "snapshot": input.report.snapshot,
            "percentile": input.cfg.percentile.to_string(),
            "ratio": input.cfg.output_input_cost_ratio,
            "pricing_model": input.pricing_model.as_str(),
            "statistics": TARGET_STATISTICS.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "price_sources": input.prices.sources.iter().map(|s| json!({"name": s.name, "as_of": s.as_of})).collect::<Vec<_>>(),
        });
        Ok(Self {
            env: templates::environment()?,
            w: SiteWriter::new(out),
            input,
            site: templates::val(site),
            settings: settings_fingerprint(input),
            pricing_models: templates::val(
                PricingModel::ALL
                    .iter()
                    .map(|m| json!({"id": m.as_str()}))
                    .collect::<Vec<_>>(),
            ),
        })
    }

    /// The site-wide values with `snapshot` as the page's data snapshot: a profile's or model's
    /// page names its own, so it changes exactly when its inputs do.
    fn site_with_snapshot(&self, snapshot: &str) -> minijinja::Value {
        minijinja::context! { snapshot => snapshot, ..self.site.clone() }
    }

    /// The site-wide values as a compiled template shows them, with `snapshot` as the page's
    /// data snapshot (see [`Self::site_with_snapshot`]).
    fn chrome<'s>(&'s self, snapshot: &'s str) -> Chrome<'s> {
        Chrome {
            generator: GENERATOR,
            assets: templates::fingerprint(),
            snapshot,
            pricing_model: self.input.pricing_model.as_str(),
        }
    }

    /// Renders `template` with the site-wide values plus `ctx` and writes it to `path`.
    fn page(&self, template: &str, path: &str, ctx: minijinja::Value) -> Result<(), SiteError> {
        let template = self.env.get_template(template)?;
        let ctx = self.page_context(path, ctx);
        self.w.stream(path, |out| {
            template
                .render_captured_to(ctx, out)
                .map(|_| ())
                .map_err(SiteError::from_render)
        })
    }

    /// `ctx` with what every page at `path` sees: the site-wide values and the way to the root.
    fn page_context(&self, path: &str, ctx: minijinja::Value) -> minijinja::Value {
        let root = "../".repeat(path.matches('/').count());
        let base = minijinja::context! {
            root => root, site => self.site.clone(),
            pricing_models => self.pricing_models.clone(),
        };
        minijinja::context! { ..ctx, ..base }
    }
}

/// Builds the whole site into `out`, which must be empty or new, or hold what
/// `input.standby` lists.
pub fn build_site(
    input: &SiteInput,
    out: &Path,
    progress: &dyn Progress,
) -> Result<SiteOutcome, SiteError> {
    let r = Render::new(input, out)?;
    let mut by_model: BTreeMap<&str, Vec<&ProfileSummary>> = BTreeMap::new();
    for s in input.summaries {
        by_model
            .entry(s.profile.key.model.as_str())
            .or_default()
            .push(s);
    }
    let (pages, views): (Vec<ProfilePage>, Vec<LazyView>) =
        render_profiles(&r, &by_model, progress)?
            .into_iter()
            .unzip();
    pipeline::timing::mark("site: profiles rendered or reused");
    let mut mine_by_model: BTreeMap<&str, Vec<(&ProfilePage, &LazyView)>> = BTreeMap::new();
    for (p, v) in pages.iter().zip(&views) {
        mine_by_model
            .entry(p.summary.profile.key.model.as_str())
            .or_default()
            .push((p, v));
    }
    let mine_by_model: Vec<_> = mine_by_model.into_iter().collect();
    let (models, fingerprints): (Vec<ModelView>, Vec<String>) = mine_by_model
        .par_iter()
        .map(|(model, mine)| (model_view(input, model, mine), model_fingerprint(mine)))
        .unzip();
    pipeline::timing::mark("site: model views");
    // The model pages and the aggregate files are independent of each other: both cores
    // take them all, so neither waits for the other's slowest file.
    let (model_pages, (pages_done, (data_done, api_done))) = rayon::join(
        || {
            (&models, &fingerprints, &mine_by_model)
                .into_par_iter()
                .map(|(m, fingerprint, (_, mine))| render_model_page(&r, m, mine, fingerprint))
                .collect::<Result<Vec<bool>, SiteError>>()
                .inspect(|_| pipeline::timing::mark("site: model pages"))
        },
        || {
            rayon::join(
                || {
                    render_catalog_pages(&r, &pages, &views, &models)
                        .inspect(|_| pipeline::timing::mark("site: catalog pages"))
                },
                || {
                    rayon::join(
                        || write_data(&r.w, input).and_then(|()| write_assets(&r.w)),
                        || {
                            write_api(&r.w, input, &pages, &models)
                                .inspect(|_| pipeline::timing::mark("site: JSON API"))
                        },
                    )
                },
            )
        },
    );
    pipeline::timing::mark("site: aggregate files written");
    let reused_models = model_pages?.into_iter().filter(|reused| *reused).count();
    let CatalogSpans { frontier, index } = pages_done?;
    data_done?;
    let mut entries = api_done?;
    for (entry, row) in entries.iter_mut().zip(index) {
        entry.index_html = Some(row);
    }
    let model_records: BTreeMap<String, String> = models
        .into_iter()
        .zip(fingerprints)
        .map(|(m, fingerprint)| (m.slug, fingerprint))
        .collect();
    if let Some(standby) = input.standby {
        r.w.remove_leftovers(standby)?;
    }
    pipeline::timing::mark("site: leftovers removed");
    let reused = pages.iter().filter(|p| p.reused).count();
    drop(mine_by_model);
    // Ten thousand views freed on one core while the other gathers the records.
    let (profiles, ()) = rayon::join(|| records_of(&r.w, pages, entries), || drop(views));
    pipeline::timing::mark("site: records made");
    Ok(SiteOutcome {
        stats: r.w.stats(reused, reused_models),
        records: SiteRecords {
            profiles,
            models: model_records,
            frontier,
        },
    })
}

/// The site's stylesheet and scripts.
fn write_assets(w: &SiteWriter) -> Result<(), SiteError> {
    w.write("assets/style.css", templates::STYLE_CSS.as_bytes())?;
    w.write("assets/app.js", templates::APP_JS.as_bytes())?;
    w.write("assets/core.js", templates::CORE_JS.as_bytes())?;
    w.write("assets/compare.js", templates::COMPARE_JS.as_bytes())?;
    w.write(
        "assets/manifest-lines.js",
        manifest_patch::SharedLines::site().script().as_bytes(),
    )
}

/// A model's page, reused from the previous site when it was made from the same profiles
/// (`fingerprint`; then true), else rendered: its charts and tables are made here and dropped once
/// written, since the aggregate pages and the API need only the model's facts and profile
/// list, not ≈ 1 MB of SVG per model.
fn render_model_page<'a>(
    r: &Render,
    m: &ModelView<'_, 'a>,
    mine: &[(&ProfilePage<'a>, &LazyView<'a>)],
    fingerprint: &str,
) -> Result<bool, SiteError> {
    let path = format!("models/{}.html", m.slug);
    if let Some(prev) = r.input.previous
        && prev.records.models.get(&m.slug).map(String::as_str) == Some(fingerprint)
        && r.w.reuse(&prev.dir, &path)
    {
        return Ok(true);
    }
    let page = ModelView {
        workloads: workload_groups(r.input, mine),
        ..m.clone()
    };
    // A new run of another model leaves the page as it was.
    let own_site = r.site_with_snapshot(&model_snapshot(mine));
    r.page(
        "site/model.html.j2",
        &path,
        minijinja::context! {
            site => own_site, m => templates::val(&page),
            plan => templates::val(planner_choices(Some(m.model), mine.iter().map(|(p, _)| p.summary))),
        },
    )?;
    Ok(false)
}

/// At most this many profiles are rendered in a row by one core before the rest may be taken.
const PROFILES_PER_PIECE: usize = 16;

/// Every profile's page, manifests and JSON, in parallel, each with its view for the other pages;
/// sorted by profile id.
fn render_profiles<'a>(
    r: &Render<'a>,
    by_model: &BTreeMap<&str, Vec<&'a ProfileSummary>>,
    progress: &dyn Progress,
) -> Result<Vec<(ProfilePage<'a>, LazyView<'a>)>, SiteError> {
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
    // Small pieces: left to rayon's own splitting, one core went on alone with the last
    // tenth of a build's profiles while the other waited.
    let built: Result<Vec<(ProfilePage, LazyView)>, SiteError> = tasks
        .into_par_iter()
        .with_max_len(PROFILES_PER_PIECE)
        .map(|(s, slug, color)| {
            let page = build_profile(r, s, slug, color);
            progress.advance(1);
            page
        })
        .collect();
    progress.finish();
    let mut pages = built?;
    pages.sort_by(|(a, _), (b, _)| a.summary.profile.id.cmp(&b.summary.profile.id));
    Ok(pages)
}

/// Where the catalog pages' reused parts lie: each workload's section of the frontier page by
/// its fingerprint, and each profile's row of the index (in page order).
struct CatalogSpans {
    frontier: BTreeMap<String, Span>,
    index: Vec<Span>,
}

/// The index, frontier, models list, methodology, ingest report and downloads pages; hands back
/// where their reused parts lie ([`render_index_page`], [`render_frontier_page`]).
fn render_catalog_pages<'a>(
    r: &Render,
    pages: &[ProfilePage<'a>],
    views: &[LazyView<'a>],
    models: &[ModelView<'_, 'a>],
) -> Result<CatalogSpans, SiteError> {
    let input = r.input;
    let (index, frontier) = rayon::join(
        || render_index_page(r, pages, views, models.len()),
        || {
            render_frontier_page(r, pages, views)
                .inspect(|_| pipeline::timing::mark("site: frontier page"))
        },
    );
    pipeline::timing::mark("site: index and frontier pages");
    let index = index?;
    let frontier = frontier?;
    r.page(
        "site/compare.html.j2",
        "compare.html",
        minijinja::context! { models => templates::val(compare_choices(models)) },
    )?;
    r.page(
        "site/models.html.j2",
        "models.html",
        minijinja::context! { models => templates::val(models.iter().map(ModelRow::of).collect::<Vec<_>>()) },
    )?;
    r.page(
        "site/methodology.html.j2",
        "methodology.html",
        minijinja::context! {
            method => templates::val(method_facts()), overrides => templates::val(&input.overrides),
            price_sources => templates::val(&input.prices.sources),
        },
    )?;
    let issues: &[PriceIssue] = &input.prices.issues;
    r.page(
        "site/ingest-report.html.j2",
        "ingest-report.html",
        minijinja::context! {
            report => templates::val(input.report), price_issues => templates::val(issues),
            disagreements => templates::val(input.prices.disagreements()),
        },
    )?;
    r.page(
        "site/downloads.html.j2",
        "downloads.html",
        minijinja::context! { first_profile => pages.first().map(|p| p.summary.profile.id.clone()) },
    )?;
    Ok(CatalogSpans { frontier, index })
}

/// The compare page's choices: each model's profiles by id and label.
fn compare_choices(models: &[ModelView]) -> Value {
    Value::Array(
        models
            .iter()
            .map(|m| {
                let profiles: Vec<Value> = m
                    .profiles
                    .iter()
                    .map(|p| json!({"id": p.id(), "label": p.label()}))
                    .collect();
                json!({"model": m.model, "profiles": profiles})
            })
            .collect(),
    )
}

/// The planner form's choices for these profiles (`model` fixed on a model page).
fn planner_choices<'a>(
    model: Option<&str>,
    summaries: impl Iterator<Item = &'a ProfileSummary>,
) -> Value {
    let mut fields: [std::collections::BTreeSet<&str>; 5] = Default::default();
    for s in summaries {
        let k = &s.profile.key;
        for (set, value) in fields.iter_mut().zip([
            k.model.as_str(),
            k.model_server.as_str(),
            k.accelerator.as_str(),
            k.workload.as_str(),
            k.use_case.as_str(),
        ]) {
            set.insert(value);
        }
    }
    let [models, servers, accelerators, workloads, use_cases] = fields;
    json!({
        "model": model,
        "models": models, "servers": servers, "accelerators": accelerators,
        "workloads": workloads, "use_cases": use_cases,
    })
}

/// The constants the methodology page states, from the code that applies them.
fn method_facts() -> Value {
    use pipeline::analysis::knee;
    json!({
        "tail_ratio": format!("{:.0}%", knee::MAX_TAIL_SLOPE_RATIO * 100.0),
        "peak_share": format!("{:.0}%", knee::MIN_PEAK_FRACTION * 100.0),
        "achieved_ratio": format!("{:.0}%", knee::MIN_ACHIEVED_RATIO * 100.0),
        "failed_share": format!("{:.0}%", knee::MAX_FAILED_SHARE * 100.0),
        "latency_growth": knee::MAX_LATENCY_GROWTH,
        "queue_growth": knee::MIN_QUEUE_GROWTH,
        "measured_tolerance": pipeline::profile_identity::MEASURED_LENGTH_TOLERANCE,
        "output_tolerance": pipeline::profile_identity::MEASURED_OUTPUT_TOLERANCE,
        "use_case_tolerance": pipeline::workload::LENGTH_TOLERANCE,
        "use_cases": pipeline::workload::USE_CASES.iter().map(|u| json!({"name": u.name, "input": u.input_tokens, "output": u.output_tokens})).collect::<Vec<_>>(),
    })
}

/// What to keep of each profile for the next refresh: what its files were made from, which
/// manifest files it has, how long each of its files is and where its parts of the aggregate
/// files lie. The rest of a reused profile's page (its manifest links and patches, its command)
/// is in the page itself, or made again from the profile where another page shows it.
fn records_of(
    w: &SiteWriter,
    pages: Vec<ProfilePage>,
    entries: Vec<AggregateEntries>,
) -> BTreeMap<String, ProfileRecord> {
    pages
        .into_iter()
        .zip(entries)
        .map(|(p, entries)| {
            let id = &p.summary.profile.id;
            let lengths = profile_files(id, &p.manifest_files)
                .iter()
                .map(|rel| w.placed_len(rel))
                .collect();
            let record = ProfileRecord {
                fingerprint: p.fingerprint,
                manifest_files: p.manifest_files,
                entries: Some(entries),
                lengths,
            };
            (p.summary.profile.id.clone(), record)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct FullDisk;

    impl std::io::Write for FullDisk {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "no space",
            ))
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_render_that_cannot_write_is_a_write_error_and_a_bad_template_is_not() {
        let mut env = Environment::new();
        env.add_template("ok", "hello {{ x }}").unwrap();
        env.add_template("bad", "{{ x|no_such_filter }}").unwrap();
        let render = |name: &str| {
            env.get_template(name)
                .unwrap()
                .render_captured_to(minijinja::context! { x => 1 }, FullDisk)
                .map(|_| ())
                .map_err(SiteError::from_render)
        };
        match render("ok") {
            Err(SiteError::Write(io)) => assert_eq!(io.kind(), std::io::ErrorKind::StorageFull),
            other => panic!("{other:?}"),
        }
        assert!(matches!(render("bad"), Err(SiteError::Template(_))));
    }
}
