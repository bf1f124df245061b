//! The static catalog site (SPEC §8): index, per-model and per-profile pages, methodology,
//! ingest report, downloads, the static JSON API, SVG charts and manifest files, rendered from
//! `templates/site/` into an output directory. Every file name is a slug made here; nothing
//! from input data becomes a path unchecked.

use crate::api::{PointContext, all_points_json, profile_json};
use crate::charts::{self, ChartSpec, Marker, PALETTE, Series};
use crate::manifests::{self, BucketUri, ManifestRequest, Platform, create_command};
use crate::{GENERATOR, templates};
use minijinja::Environment;
use pipeline::analysis::knee::{KneeMethod, first_falling_behind};
use pipeline::analysis::percentile::Percentile;
use pipeline::analysis::{AnalysisConfig, Evaluation, PriceAt, Profile, ProfileSummary, costs_at};
use pipeline::model_facts::ModelCatalog;
use pipeline::point::{Latency, Load, MeasuredPoint};
use pipeline::pricing::{PriceBook, PriceIssue, PricingModel};
use pipeline::profile::model_slug;
use pipeline::progress::Progress;
use pipeline::report::IngestReport;
use rayon::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

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

/// What a profile's files were made from, kept between builds so an unchanged profile's
/// files can be reused instead of rendered again.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProfileRecord {
    pub fingerprint: String,
    pub manifests: Vec<Value>,
    pub cli_command: String,
}

/// The site a refresh replaces, and the records of its profiles.
pub struct PreviousSite {
    pub dir: PathBuf,
    pub records: BTreeMap<String, ProfileRecord>,
}

/// A built site's statistics and the records to keep for the next refresh.
pub struct SiteOutcome {
    pub stats: SiteStats,
    pub records: BTreeMap<String, ProfileRecord>,
}

/// Writes files under one root, refusing any path that could leave it. Shared by the
/// threads that render profiles.
struct SiteWriter {
    root: PathBuf,
    pages: AtomicUsize,
    files: AtomicUsize,
    bytes: AtomicU64,
}

fn checked(rel: &str) -> Result<&Path, SiteError> {
    let rel_path = Path::new(rel);
    let safe = rel_path.components().all(|c| {
        matches!(c, Component::Normal(s) if s.to_str().is_some_and(|s| {
            !s.is_empty() && s.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.')) && !s.starts_with('.')
        }))
    });
    if safe {
        Ok(rel_path)
    } else {
        Err(SiteError::UnsafePath(rel.to_string()))
    }
}

impl SiteWriter {
    fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            pages: AtomicUsize::new(0),
            files: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    fn count(&self, rel: &str, len: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(len, Ordering::Relaxed);
        if rel.ends_with(".html") {
            self.pages.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn target(&self, rel: &str) -> Result<PathBuf, SiteError> {
        let path = self.root.join(checked(rel)?);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| SiteError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        Ok(path)
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), SiteError> {
        let path = self.target(rel)?;
        std::fs::write(&path, bytes).map_err(|source| SiteError::Io {
            path: path.clone(),
            source,
        })?;
        self.count(rel, bytes.len() as u64);
        Ok(())
    }

    fn copy(&self, from: &Path, rel: &str) -> Result<(), SiteError> {
        let bytes = std::fs::read(from).map_err(|source| SiteError::Io {
            path: from.to_path_buf(),
            source,
        })?;
        self.write(rel, &bytes)
    }

    /// Reuses `<previous>/<rel>` by a hard link (same bytes, no copy); false if it cannot.
    fn reuse(&self, previous: &Path, rel: &str) -> bool {
        let (Ok(from), Ok(to)) = (checked(rel).map(|r| previous.join(r)), self.target(rel)) else {
            return false;
        };
        let Ok(meta) = std::fs::symlink_metadata(&from) else {
            return false;
        };
        if std::fs::hard_link(&from, &to).is_err() && std::fs::copy(&from, &to).is_err() {
            return false;
        }
        self.count(rel, meta.len());
        true
    }

    fn stats(&self, reused_profiles: usize) -> SiteStats {
        SiteStats {
            pages: self.pages.load(Ordering::Relaxed),
            files: self.files.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            reused_profiles,
        }
    }
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.filter(|x| x.is_finite())
        .map_or_else(|| "N/A".to_string(), |x| format!("{x:.digits$}"))
}

fn load_text(load: Load) -> String {
    match load {
        Load::Rate(r) => format!("{r:.2} req/s"),
        Load::Concurrency(c) => format!("conc. {c:.0}"),
        Load::Unbounded => "unbounded".to_string(),
    }
}

/// Short human label for a profile within its model.
fn profile_label(s: &ProfileSummary) -> String {
    let k = &s.profile.key;
    let mut label = format!(
        "{} {}, {}× {}",
        k.model_server, k.model_server_version, k.accelerator_count, k.accelerator
    );
    if let Some(v) = &k.variant {
        label.push_str(&format!(", {v}"));
    }
    label.push_str(&format!(" · {}", k.workload));
    label
}

/// What the point a profile is summarized at is, in words: its knee, or a stand-in.
fn point_name(method: KneeMethod) -> &'static str {
    match method {
        KneeMethod::PiecewiseFit | KneeMethod::SaturationRule => "knee",
        KneeMethod::NotObserved => "highest point",
        KneeMethod::BelowRange | KneeMethod::MaxThroughputOnly => "capacity",
    }
}

fn cost_cells(costs: &[PriceAt]) -> Vec<Value> {
    PricingModel::ALL
        .iter()
        .map(|m| {
            let c = costs.iter().find(|c| c.model == *m);
            json!({
                "model": m.as_str(),
                "out": num(c.and_then(|c| c.cost).map(|x| x.usd_per_million_output), 3),
                "in": num(c.and_then(|c| c.cost).map(|x| x.usd_per_million_input), 3),
                "per_hour": num(c.and_then(|c| c.usd_per_hour()), 5),
                "region": c.map(|c| c.region().to_string()).unwrap_or_default(),
                "source": c.map(|c| c.source().to_string()).unwrap_or_default(),
                "as_of": c.map(|c| c.as_of().to_string()).unwrap_or_default(),
            })
        })
        .collect()
}

struct ProfilePage<'a> {
    summary: &'a ProfileSummary,
    model_slug: String,
    color: &'static str,
    manifests: Vec<Value>,
    cli_command: String,
    fingerprint: String,
    reused: bool,
}

/// Everything a profile's own files depend on, hashed: if it matches the previous build's,
/// the files are byte-identical and can be reused.
fn fingerprint(input: &SiteInput, s: &ProfileSummary) -> String {
    use sha2::{Digest, Sha256};
    let costs: Vec<Value> = s
        .at_knee
        .costs
        .iter()
        .map(|c| {
            json!([
                c.model.as_str(),
                c.usd_per_hour(),
                c.region(),
                c.source(),
                c.as_of()
            ])
        })
        .collect();
    let facts = input
        .models
        .get(&s.profile.key.model)
        .map(|f| (f.parameters_billion, f.weights_gib));
    let text = json!([
        GENERATOR,
        templates::fingerprint(),
        format!("{:?}", input.cfg),
        input.pricing_model.as_str(),
        input
            .prices
            .sources
            .iter()
            .map(|s| (&s.name, &s.as_of))
            .collect::<Vec<_>>(),
        costs,
        facts,
        s.profile.data_hash(),
        model_slug(&s.profile.key.model),
    ])
    .to_string();
    Sha256::digest(text.as_bytes())[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The files that belong to one profile alone.
fn profile_files(id: &str, manifests: &[Value]) -> Vec<String> {
    let mut files = vec![
        format!("profiles/{id}.html"),
        format!("api/v1/benchmarks/{id}.json"),
    ];
    files.extend(
        manifests
            .iter()
            .filter_map(|m| m["file"].as_str().map(str::to_string)),
    );
    files
}

/// Renders (or reuses) one profile's page, manifests and benchmark JSON.
#[allow(clippy::too_many_arguments)]
fn build_profile<'a>(
    env: &Environment<'static>,
    w: &SiteWriter,
    input: &SiteInput,
    s: &'a ProfileSummary,
    model_slug: String,
    color: &'static str,
    site: &Value,
    pricing_models: &[Value],
) -> Result<ProfilePage<'a>, SiteError> {
    let fp = fingerprint(input, s);
    let id = &s.profile.id;
    if let Some(prev) = input.previous
        && let Some(record) = prev.records.get(id)
        && record.fingerprint == fp
        && profile_files(id, &record.manifests)
            .iter()
            .all(|f| prev.dir.join(f).is_file())
        && profile_files(id, &record.manifests)
            .iter()
            .all(|f| w.reuse(&prev.dir, f))
    {
        return Ok(ProfilePage {
            summary: s,
            model_slug,
            color,
            manifests: record.manifests.clone(),
            cli_command: record.cli_command.clone(),
            fingerprint: fp,
            reused: true,
        });
    }
    let (manifests, cli_command) = write_manifests(env, w, input, s)?;
    let page = ProfilePage {
        summary: s,
        model_slug,
        color,
        manifests,
        cli_command,
        fingerprint: fp,
        reused: false,
    };
    let view = profile_view(&page, input, true);
    let charts = profile_charts(env, s, input.cfg.percentile)?;
    let mut own_site = site.clone();
    own_site["snapshot"] = json!(s.profile.data_hash());
    let html = env
        .get_template("site/profile.html.j2")?
        .render(minijinja::context! {
            root => "../", site => templates::val(&own_site), p => templates::val(&view),
            charts => templates::val(&charts), pricing_models => templates::val(pricing_models),
        })?;
    w.write(&format!("profiles/{id}.html"), html.as_bytes())?;
    write_benchmarks_json(w, input, s)?;
    Ok(page)
}

fn write_benchmarks_json(
    w: &SiteWriter,
    input: &SiteInput,
    s: &ProfileSummary,
) -> Result<(), SiteError> {
    let json = all_points_json(
        &s.profile,
        &s.knee,
        &s.at_knee,
        input.cfg,
        input.prices,
        input.pricing_model,
    );
    w.write(
        &format!("api/v1/benchmarks/{}.json", s.profile.id),
        &to_json_bytes(&json)?,
    )
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

    let view = |p: &ProfilePage| profile_view(p, input, false);
    let views: Vec<Value> = pages.par_iter().map(view).collect();

    // Model pages.
    let mut model_rows = Vec::new();
    for (model, list) in &by_model {
        let slug = model_slug(model);
        let mine: Vec<(&ProfilePage, &Value)> = pages
            .iter()
            .zip(&views)
            .filter(|(p, _)| p.summary.profile.key.model == *model)
            .collect();
        let facts = input.models.get(model);
        let mut by_workload: BTreeMap<&str, Vec<(&ProfilePage, &Value)>> = BTreeMap::new();
        for (p, v) in &mine {
            by_workload
                .entry(p.summary.profile.key.workload.as_str())
                .or_default()
                .push((p, v));
        }
        let mut workloads = Vec::new();
        for (n, (workload, group)) in by_workload.iter().enumerate() {
            workloads.push(json!({
                "workload": workload,
                "use_case": group[0].0.summary.profile.key.use_case,
                "profiles": group.iter().map(|(_, v)| (*v).clone()).collect::<Vec<_>>(),
                "cheapest": cheapest_at_knee(group, input.pricing_model),
                "charts": model_charts(&env, group, pct, n)?,
            }));
        }
        let mut servers: Vec<String> = list
            .iter()
            .map(|s| s.profile.key.model_server.clone())
            .collect();
        servers.sort();
        servers.dedup();
        let mut accels: Vec<String> = list
            .iter()
            .map(|s| s.profile.key.accelerator.clone())
            .collect();
        accels.sort();
        accels.dedup();
        let m = json!({
            "model": model,
            "slug": slug,
            "profiles": mine.iter().map(|(_, v)| (*v).clone()).collect::<Vec<_>>(),
            "workloads": workloads,
            "weights_gib": facts.map_or("unknown".to_string(), |f| format!("{}", f.weights_gib)),
            "parameters_billion": facts.map(|f| f.parameters_billion),
            "servers": servers,
            "accelerators": accels,
        });
        let html = env
            .get_template("site/model.html.j2")?
            .render(minijinja::context! {
                root => "../", site => templates::val(&site), m => templates::val(&m),
                pricing_models => templates::val(&pricing_models),
            })?;
        w.write(&format!("models/{slug}.html"), html.as_bytes())?;
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

/// Requested and measured prompt/output lengths of a profile, e.g. "requested 1024/128
/// tokens, measured 1019/127".
fn lengths_text(profile: &Profile) -> String {
    let median = |f: fn(&MeasuredPoint) -> Option<f64>| {
        let mut v: Vec<f64> = profile.points.iter().filter_map(f).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    let hint = profile.points.first().map(|p| &p.workload);
    let pair = |a: Option<f64>, b: Option<f64>| {
        format!(
            "{}/{}",
            a.map_or("?".to_string(), |x| format!("{x:.0}")),
            b.map_or("?".to_string(), |x| format!("{x:.0}"))
        )
    };
    let mut parts = Vec::new();
    if let Some(h) = hint.filter(|h| h.input_len.is_some() || h.output_len.is_some()) {
        parts.push(format!(
            "requested {} tokens",
            pair(h.input_len, h.output_len)
        ));
    }
    let (mi, mo) = (
        median(|p| p.mean_input_tokens),
        median(|p| p.mean_output_tokens),
    );
    if mi.is_some() || mo.is_some() {
        parts.push(format!("measured mean {} tokens", pair(mi, mo)));
    }
    if parts.is_empty() {
        "not reported".into()
    } else {
        parts.join(", ")
    }
}

/// The template view of a profile. The per-point table (`with_points`) is only needed on the
/// profile's own page, and is the costly part, so the index and model pages go without.
fn profile_view(p: &ProfilePage, input: &SiteInput, with_points: bool) -> Value {
    let s = p.summary;
    let profile = &s.profile;
    let k = &profile.key;
    let pct = input.cfg.percentile;
    let stat = pct.for_curve(&profile.points);
    let knee = &s.at_knee.point;
    let points: Vec<Value> = if !with_points {
        Vec::new()
    } else {
        let knee_load = pipeline::profile_identity::load_key(knee);
        profile
        .records()
        .into_iter()
        .map(|pt| {
            let costs = costs_at(k, pt, input.cfg, input.prices);
            let pick = |m: PricingModel| costs.iter().find(|c| c.model == m).and_then(|c| c.cost);
            json!({
                "load": load_text(pt.load),
                "achieved": num(pt.achieved_rate, 2),
                "rps": num(pt.requests_per_s, 2),
                "out": num(Some(pt.output_tokens_per_s), 1),
                "in": num(pt.input_tokens_per_s, 1),
                "ntpot": num(stat.of(&pt.ntpot), 2),
                "ttft": num(stat.of(&pt.ttft), 2),
                "tpot": num(stat.of(&pt.tpot), 2),
                "itl": num(stat.of(&pt.itl), 2),
                "e2e": num(stat.of(&pt.e2e), 1),
                "queue": num(pt.server.queue_len_mean, 1),
                "cost_out": num(pick(input.pricing_model).map(|c| c.usd_per_million_output), 3),
                "cost_in": num(pick(input.pricing_model).map(|c| c.usd_per_million_input), 3),
                "cost_out_on_demand": num(pick(PricingModel::OnDemand).map(|c| c.usd_per_million_output), 3),
                "label": pt.label.clone().unwrap_or_default(),
                "is_knee": s.knee.method.is_operable() && pipeline::profile_identity::load_key(pt) == knee_load,
            })
        })
        .collect()
    };
    let band = stat
        .of(&knee.ntpot)
        .map(|v| (v * 1.5 * 100.0).round() / 100.0);
    json!({
        "id": profile.id,
        "label": profile_label(s),
        "model": k.model,
        "model_slug": p.model_slug,
        "server": k.model_server,
        "version": k.model_server_version,
        "accelerator": k.accelerator,
        "accelerator_count": k.accelerator_count,
        "instance_type": k.instance_type.clone().unwrap_or_else(|| "unknown".into()),
        "variant": k.variant,
        "workload": k.workload,
        "use_case": k.use_case,
        "lengths": lengths_text(profile),
        "repeats": profile.repeats.len(),
        "point_name": point_name(s.knee.method),
        "knee_operable": s.knee.method.is_operable(),
        "notes": profile.notes,
        "synthetic": profile.synthetic,
        "server_args": profile.server_args,
        "color": p.color,
        "stat": stat.to_string(),
        "knee_method": s.knee.method.as_str(),
        "knee_reason": s.knee.reason,
        "knee": {
            "load": load_text(knee.load),
            "out": num(Some(knee.output_tokens_per_s), 2),
            "ntpot": num(stat.of(&knee.ntpot), 2),
            "ttft": num(stat.of(&knee.ttft), 2),
            "itl": num(stat.of(&knee.itl), 2),
            "costs": cost_cells(&s.at_knee.costs),
            "cost_in_default": num(s.at_knee.cost(input.pricing_model).and_then(|c| c.cost).map(|c| c.usd_per_million_input), 3),
        },
        "hpa": s.at_knee.hpa.as_ref().ok().map(|h| json!({
            "metric": h.metric, "threshold": format!("{:.2}", h.threshold), "signal": h.signal.as_str(),
            "source": h.value_source, "note": h.note,
        })),
        "hpa_reason": s.at_knee.hpa.as_ref().err(),
        "points": points,
        "has_unbounded": profile.points.iter().any(|p| p.load == Load::Unbounded),
        "load_unit": match knee.load { Load::Concurrency(_) => "concurrent requests", _ => "requested req/s" },
        "band_target": band.map(|b| format!("{b}")).unwrap_or_default(),
        "band_target_text": band.map_or("n/a".to_string(), |b| format!("{b} (1.5× the knee's NTPOT)")),
        "sources": profile.sources.iter().map(|src| json!({"file": src.file, "tool": src.tool, "origin": src.origin, "license": src.license})).collect::<Vec<_>>(),
        "manifests": p.manifests,
        "cli_command": p.cli_command,
    })
}

fn render_chart(env: &Environment<'static>, spec: &ChartSpec) -> Result<String, SiteError> {
    let view = charts::layout(spec);
    Ok(env
        .get_template("charts/line.svg.j2")?
        .render(minijinja::context! { c => templates::val(&view) })?)
}

fn series_of(
    points: &[MeasuredPoint],
    x: fn(&MeasuredPoint) -> Option<f64>,
    y: impl Fn(&MeasuredPoint) -> Option<f64>,
) -> Vec<(f64, f64)> {
    points.iter().filter_map(|p| Some((x(p)?, y(p)?))).collect()
}

/// Picks one latency metric of a point.
type LatencyOf = fn(&MeasuredPoint) -> &Latency;

fn profile_charts(
    env: &Environment<'static>,
    s: &ProfileSummary,
    pct: Percentile,
) -> Result<BTreeMap<&'static str, String>, SiteError> {
    let stat = pct.for_curve(&s.profile.points);
    let pts = &s.profile.points;
    let knee = &s.at_knee.point;
    let metrics: [(&str, LatencyOf, usize); 3] = [
        ("NTPOT", |p| &p.ntpot, 0),
        ("TTFT", |p| &p.ttft, 1),
        ("ITL", |p| &p.itl, 2),
    ];
    let build = |id: &str,
                 title: &str,
                 x_label: &str,
                 x: fn(&MeasuredPoint) -> Option<f64>|
     -> Result<String, SiteError> {
        let series = metrics
            .iter()
            .map(|(name, m, color)| Series {
                name: format!("{name} ({stat})"),
                color: PALETTE[*color].to_string(),
                points: series_of(pts, x, |p| stat.of(m(p))),
                href: None,
            })
            .collect();
        let knee_y = stat.of(&knee.ntpot).or(stat.of(&knee.ttft));
        let markers = match (x(knee), knee_y) {
            (Some(kx), Some(ky)) => vec![Marker {
                x: kx,
                y: ky,
                label: "knee".into(),
            }],
            _ => vec![],
        };
        let target = stat
            .of(&knee.ntpot)
            .map(|v| (v * 1.5 * 100.0).round() / 100.0);
        render_chart(
            env,
            &ChartSpec {
                id: id.into(),
                title: title.into(),
                x_label: x_label.into(),
                y_label: "latency (ms, log scale)".into(),
                series,
                markers,
                target,
                legend: true,
            },
        )
    };
    let mut out = BTreeMap::new();
    out.insert(
        "throughput",
        build(
            "chart-throughput",
            "Latency vs output throughput",
            "output tokens/s",
            |p| Some(p.output_tokens_per_s),
        )?,
    );
    let unit = match knee.load {
        Load::Concurrency(_) => "concurrent requests",
        _ => "requested rate (req/s)",
    };
    out.insert(
        "load",
        build("chart-load", "Latency vs load", unit, |p| p.load.value())?,
    );
    Ok(out)
}

/// The cheapest profile of one workload at its knee; profiles whose knee does not keep up
/// (capacity only) are not candidates.
fn cheapest_at_knee(group: &[(&ProfilePage, &Value)], pricing: PricingModel) -> Option<Value> {
    group
        .iter()
        .filter(|(p, _)| p.summary.knee.method.is_operable())
        .filter_map(|(p, v)| {
            let c = p.summary.at_knee.cost(pricing)?.cost?;
            Some((c.usd_per_million_output, p, v))
        })
        .min_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(a.1.summary.profile.id.cmp(&b.1.summary.profile.id))
        })
        .map(|(cost, p, v)| {
            json!({"id": p.summary.profile.id, "label": v["label"], "cost": format!("{cost:.3}")})
        })
}

fn model_charts(
    env: &Environment<'static>,
    mine: &[(&ProfilePage, &Value)],
    pct: Percentile,
    n: usize,
) -> Result<BTreeMap<&'static str, String>, SiteError> {
    let mut out = BTreeMap::new();
    for (key, title, metric) in [
        (
            "ntpot",
            "NTPOT vs output throughput",
            (|p: &MeasuredPoint| &p.ntpot) as fn(&MeasuredPoint) -> &Latency,
        ),
        ("ttft", "TTFT vs output throughput", |p: &MeasuredPoint| {
            &p.ttft
        }),
    ] {
        let mut series = Vec::new();
        let mut markers = Vec::new();
        for (p, v) in mine {
            let pts = &p.summary.profile.points;
            let stat = pct.for_curve(pts);
            let line = series_of(pts, |q| Some(q.output_tokens_per_s), |q| stat.of(metric(q)));
            if line.is_empty() {
                continue;
            }
            let knee = &p.summary.at_knee.point;
            if let Some(y) = stat
                .of(metric(knee))
                .filter(|_| p.summary.knee.method.is_operable())
            {
                markers.push(Marker {
                    x: knee.output_tokens_per_s,
                    y,
                    label: String::new(),
                });
            }
            series.push(Series {
                name: v["label"].as_str().unwrap_or_default().to_string(),
                color: p.color.to_string(),
                points: line,
                href: Some(format!("../profiles/{}.html", p.summary.profile.id)),
            });
        }
        let spec = ChartSpec {
            id: format!("chart-{key}-{n}"),
            title: title.into(),
            x_label: "output tokens/s".into(),
            y_label: "latency (ms, log scale)".into(),
            series,
            markers,
            target: None,
            legend: false,
        };
        out.insert(key, render_chart(env, &spec)?);
    }
    Ok(out)
}

/// The three downloadable manifests of a profile, and the command for a custom one.
fn write_manifests(
    env: &Environment<'static>,
    w: &SiteWriter,
    input: &SiteInput,
    s: &ProfileSummary,
) -> Result<(Vec<Value>, String), SiteError> {
    let k = &s.profile.key;
    let mut flags = vec![
        ("model", k.model.clone()),
        ("model-server", k.model_server.clone()),
        ("accelerator-type", k.accelerator.clone()),
        ("model-server-version", k.model_server_version.clone()),
    ];
    if let Some(v) = &k.variant {
        flags.push(("variant", v.clone()));
    }
    flags.push(("workload", k.workload.clone()));
    let command = create_command(&flags);
    let bucket_name = format!(
        "gs://your-model-bucket/{}",
        pipeline::profile::slug(&k.model)
    );
    let bucket = BucketUri::parse(&bucket_name).map_err(|e| SiteError::Data(e.to_string()))?;
    let variants: [(&str, &str, bool, Option<&BucketUri>, &str); 3] = [
        (
            "base.yaml",
            "Base manifest",
            false,
            None,
            "Deployment, Service and PodMonitoring sized at the knee; weights from Hugging Face.",
        ),
        (
            "hpa-knee.yaml",
            "With autoscaling at the knee",
            true,
            None,
            "adds a HorizontalPodAutoscaler whose target is the server metric at the knee minus a 20% buffer.",
        ),
        (
            "bucket.yaml",
            "Weights from a Cloud Storage bucket",
            false,
            Some(&bucket),
            "loads the weights with Cloud Storage FUSE from gs://your-model-bucket (replace it with yours).",
        ),
    ];
    let evaluation: &Evaluation = &s.at_knee;
    let mut out = Vec::new();
    for (file, title, hpa, bucket, description) in variants {
        let request = ManifestRequest {
            profile: &s.profile,
            evaluation,
            point_kind: "knee",
            stat: input.cfg.percentile,
            namespace: "default",
            platform: Platform::Gke,
            bucket,
            model_facts: input.models.get(&k.model),
            snapshot: &s.profile.data_hash(),
            include_hpa: hpa,
            no_hpa_reason: "this variant has none; the HPA variant adds one at the knee, and `infercat manifests create` with a latency target sizes one for your target",
            hpa_buffer: input.cfg.hpa_buffer,
            expected_qps: None,
            cli_command: &command,
            selection_note: None,
        };
        match manifests::render(env, &request) {
            Ok(m) => {
                let rel = format!("manifests/{}/{file}", s.profile.id);
                w.write(&rel, m.all().as_bytes())?;
                out.push(json!({"file": rel, "title": title, "description": description}));
            }
            Err(manifests::ManifestError::Template(e)) => return Err(SiteError::Template(e)),
            Err(reason) => out.push(json!({"file": null, "title": title, "description": description, "reason": reason.to_string()})),
        }
        if hpa
            && evaluation.hpa.is_err()
            && let Some(last) = out.last_mut()
        {
            last["description"] = json!(format!(
                "{description} This profile has no HPA: {}",
                evaluation.hpa.as_ref().err().cloned().unwrap_or_default()
            ));
        }
    }
    Ok((out, command))
}

fn write_data(w: &SiteWriter, input: &SiteInput) -> Result<(), SiteError> {
    for name in ["benchmarks", "profiles"] {
        let parquet = input.data_dir.join(format!("{name}.parquet"));
        w.copy(&parquet, &format!("data/{name}.parquet"))?;
        let csv = pipeline::schema::parquet_to_csv(&parquet)
            .map_err(|e| SiteError::Data(e.to_string()))?;
        w.write(&format!("data/{name}.csv"), &csv)?;
    }
    for name in ["ingest-report.json", "price-report.json"] {
        w.copy(&input.data_dir.join(name), &format!("data/{name}"))?;
    }
    Ok(())
}

/// The compact table the pages' script works from: per profile its key fields, knee index,
/// whether the knee keeps up, how many leading points targets may use (the CLI's rule: none
/// from the first that falls behind its requested rate),
/// machine prices per pricing model and its curve as rows of
/// `[load kind, load, qps, output tok/s, input tok/s, NTPOT, TTFT, ITL, NTPOT, TTFT, ITL]`
/// (strict `--percentile` values for targets, then the displayed statistic).
fn index_json(input: &SiteInput, pages: &[ProfilePage]) -> Value {
    let pct = input.cfg.percentile;
    let profiles: Vec<Value> = pages
        .iter()
        .map(|p| {
            let s = p.summary;
            let k = &s.profile.key;
            let display = pct.for_curve(&s.profile.points);
            let curve: Vec<Value> = s
                .profile
                .points
                .iter()
                .map(|pt| {
                    json!([pt.load.kind(), pt.load.value(), pt.request_rate(), pt.output_tokens_per_s, pt.input_tokens_per_s,
                        pct.of(&pt.ntpot), pct.of(&pt.ttft), pct.of(&pt.itl), display.of(&pt.ntpot), display.of(&pt.ttft), display.of(&pt.itl)])
                })
                .collect();
            json!({
                "profileId": s.profile.id,
                "model": k.model,
                "modelServer": k.model_server,
                "acceleratorType": k.accelerator,
                "acceleratorCount": k.accelerator_count,
                "variant": k.variant,
                "workload": k.workload,
                "useCase": k.use_case,
                "kneeIndex": s.knee.index,
                "kneeOperable": s.knee.method.is_operable(),
                "usablePoints": if s.knee.method.is_operable() {
                    first_falling_behind(&s.profile.points).unwrap_or(s.profile.points.len())
                } else {
                    0
                },
                "prices": PricingModel::ALL.iter().map(|m| s.at_knee.cost(*m).and_then(|c| c.usd_per_hour())).collect::<Vec<_>>(),
                "curve": curve,
            })
        })
        .collect();
    json!({
        "pricingModels": PricingModel::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "outputInputCostRatio": input.cfg.output_input_cost_ratio,
        "percentile": pct.to_string(),
        "profiles": profiles,
    })
}

fn to_json_bytes(v: &Value) -> Result<Vec<u8>, SiteError> {
    let mut text = serde_json::to_string(v).map_err(|e| SiteError::Data(e.to_string()))?;
    text.push('\n');
    Ok(text.into_bytes())
}

fn write_api(
    w: &SiteWriter,
    input: &SiteInput,
    pages: &[ProfilePage],
    models: &[Value],
) -> Result<(), SiteError> {
    let pct = input.cfg.percentile;
    let ratio = input.cfg.output_input_cost_ratio;
    // Serialized entry by entry: the whole array as one value tree would cost far more memory
    // than its bytes at thousands of profiles.
    let mut all: Vec<u8> = b"[".to_vec();
    for (i, p) in pages.iter().enumerate() {
        let s = p.summary;
        let ctx = PointContext {
            kind: "knee",
            knee: &s.knee,
            stat: pct,
            pricing_model: input.pricing_model,
            ratio,
        };
        let mut entry = profile_json(&s.profile, &s.at_knee, &ctx);
        entry["outputInputCostRatio"] = json!(ratio);
        entry["prices"] = Value::Array(
            s.at_knee.costs.iter().map(|c| json!({"pricingModel": c.model.as_str(), "usdPerHour": c.usd_per_hour(), "region": c.region()})).collect(),
        );
        entry["page"] = json!(format!("profiles/{}.html", s.profile.id));
        entry["manifests"] = Value::Array(
            p.manifests
                .iter()
                .filter_map(|m| m["file"].as_str().map(|f| json!(f)))
                .collect(),
        );
        if i > 0 {
            all.push(b',');
        }
        serde_json::to_writer(&mut all, &entry).map_err(|e| SiteError::Data(e.to_string()))?;
    }
    all.extend_from_slice(b"]\n");
    w.write("api/v1/profiles.json", &all)?;
    w.write(
        "api/v1/index.json",
        &to_json_bytes(&index_json(input, pages))?,
    )?;
    let models_json: Vec<Value> = models
        .iter()
        .map(|m| {
            json!({
                "model": m["model"],
                "page": format!("models/{}.html", m["slug"].as_str().unwrap_or_default()),
                "profileIds": m["profiles"].as_array().map(|ps| ps.iter().map(|p| p["id"].clone()).collect::<Vec<_>>()),
                "modelServers": m["servers"],
                "acceleratorTypes": m["accelerators"],
                "parametersBillion": m["parameters_billion"],
            })
        })
        .collect();
    w.write(
        "api/v1/models.json",
        &to_json_bytes(&Value::Array(models_json))?,
    )?;
    Ok(())
}
