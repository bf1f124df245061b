//! The template views: what a page shows of a profile, built once per profile from pipeline
//! types (labels, the knee, cost cells, the per-point table).

use pipeline::analysis::{Evaluation, PriceAt, Profile, ProfileSummary};
use pipeline::point::Load;
use pipeline::pricing::PricingModel;
use serde::{Deserialize, Serialize};

use super::*;
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub(super) use crate::format::{sig, site_load as load_text, usd_per_hour};

/// Short human label for a profile within its model and workload (chart legends of one
/// workload's profiles).
pub(super) fn configuration_label(s: &ProfileSummary) -> String {
    let k = &s.profile.key;
    let mut label = format!(
        "{} {}, {}× {}",
        k.model_server, k.model_server_version, k.accelerator_count, k.accelerator
    );
    let topology = k.topology.label();
    if !topology.is_empty() {
        label.push_str(&format!(" ({topology})"));
    }
    if let Some(v) = &k.variant {
        label.push_str(&format!(", {v}"));
    }
    label
}

/// Short human label for a profile within its model.
pub(super) fn profile_label(s: &ProfileSummary) -> String {
    format!("{} · {}", configuration_label(s), s.profile.key.workload)
}

/// One pricing model's cost at a point, as the tables show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct CostCell<'a> {
    pub model: &'static str,
    pub out: String,
    #[serde(rename = "in")]
    pub input: String,
    pub per_hour: String,
    pub region: &'a str,
    pub source: &'a str,
    pub as_of: &'a str,
}

pub(super) fn cost_cells(costs: &[PriceAt]) -> Vec<CostCell<'_>> {
    PricingModel::ALL
        .iter()
        .map(|m| {
            let c = costs.iter().find(|c| c.model == *m);
            CostCell {
                model: m.as_str(),
                out: sig(c.and_then(|c| c.cost).map(|x| x.usd_per_million_output)),
                input: sig(c.and_then(|c| c.cost).map(|x| x.usd_per_million_input)),
                per_hour: usd_per_hour(c.and_then(|c| c.usd_per_hour())),
                region: c.map_or("", |c| c.region()),
                source: c.map_or("", |c| c.source()),
                as_of: c.map_or("", |c| c.as_of()),
            }
        })
        .collect()
}

/// Pricing models that share one price source and date: the page says where prices come
/// from once per source (a whole machine's four prices come from one file), with each
/// model's hourly price as the source states it (the cost table rounds it to cents).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct SourceLine<'a> {
    pub models: String,
    /// The models' whole-machine $/h, as stated, in the order of `models`; empty unpriced.
    pub prices: String,
    /// Empty where the models have no price.
    pub source: &'a str,
    as_of: &'a str,
}

/// The sources of a point's prices, each with the models it prices, in pricing-model order.
pub(super) fn source_lines(costs: &[PriceAt]) -> Vec<SourceLine<'_>> {
    type Group<'a> = (&'a str, &'a str, Vec<&'static str>, Vec<String>);
    let mut groups: Vec<Group> = Vec::new();
    for m in PricingModel::ALL {
        let c = costs.iter().find(|c| c.model == m);
        let (source, as_of) = c.map_or(("", ""), |c| (c.source(), c.as_of()));
        let at = match groups.iter().position(|g| g.0 == source && g.1 == as_of) {
            Some(at) => at,
            None => {
                groups.push((source, as_of, Vec::new(), Vec::new()));
                groups.len() - 1
            }
        };
        groups[at].2.push(m.as_str());
        groups[at]
            .3
            .extend(c.and_then(PriceAt::usd_per_hour).map(|h| h.to_string()));
    }
    groups
        .into_iter()
        .map(|(source, as_of, models, prices)| SourceLine {
            models: models.join(", "),
            prices: prices.join(", "),
            source,
            as_of,
        })
        .collect()
}

/// A downloadable manifest of a profile, or why it could not be generated (`file` is then
/// `None`). Kept between refreshes in the profile's reuse record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestLink {
    /// The manifest file (the base variant); a derived variant has none.
    pub file: Option<String>,
    pub title: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A derived variant: its file name's ending and the hunks that make it from the base file.
    #[serde(default)]
    pub derived: Option<DerivedManifest>,
}

/// A manifest variant the page rebuilds from the profile's one manifest file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DerivedManifest {
    /// What the variant's download name adds to the base file's stem (`hpa-knee.yaml`): the
    /// page's script names it `<profile id>-hpa-knee.yaml`, so the id is not written again.
    pub file: String,
    /// A short hash of the base file the patch applies to: the page asks for the base by it,
    /// so a cache never pairs a new page with an old base.
    #[serde(default)]
    pub base_version: String,
    pub patch: Vec<super::manifest_patch::Hunk>,
}

/// A profile at its knee (or stand-in), as the index, model and profile pages show it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct ProfileView<'a> {
    pub id: &'a str,
    pub label: String,
    /// The label without the workload, for charts of one workload.
    pub configuration: String,
    pub model: &'a str,
    pub model_slug: String,
    pub server: &'a str,
    pub version: &'a str,
    pub accelerator: &'a str,
    pub accelerator_count: u32,
    pub instance_type: &'a str,
    pub variant: Option<&'a str>,
    /// Parallelism (`TP8 EP8`, `1P×TP2 + 3D×TP2`), or `—` when unstated.
    pub topology: String,
    pub workload: &'a str,
    pub use_case: &'a str,
    pub lengths: String,
    pub repeats: usize,
    pub point_name: &'static str,
    /// The Point cell of the index and model tables: [`Self::point_name`], with `(means)`
    /// where the tool reports means only (its latencies are not at the site's statistic).
    pub point_cell: String,
    /// What the page's manifests are sized at ([`crate::manifests::knee_point_kind`]).
    pub sized_at: &'static str,
    pub knee_operable: bool,
    pub notes: Option<&'a str>,
    pub synthetic: bool,
    pub server_args: &'a [String],
    pub color: &'static str,
    pub stat: String,
    pub knee_method: &'static str,
    pub knee_reason: &'a str,
    pub knee: KneeView<'a>,
    pub hpa: Option<HpaView<'a>>,
    pub hpa_reason: Option<&'a str>,
    /// Every measured record; only built for the profile's own page.
    pub points: Vec<PointRow>,
    /// The columns of `points` with a value in some row, and the names of those without (with
    /// `points`, for the profile's own page).
    pub point_columns: Option<PointColumns>,
    pub has_unbounded: bool,
    pub load_unit: &'static str,
    /// The suggested NTPOT target the chart shades, in words, if the profile reports NTPOT.
    pub band_target_text: Option<String>,
    pub sources: Vec<SourceView<'a>>,
    pub cli_command: String,
    /// What a reader must know before using the numbers (quantized, modelled, …).
    pub caveats: Vec<super::caveats::Caveat>,
    /// Sorts the server column by name, then version as numbers.
    pub server_sort: String,
    /// For the "at your targets" section: the flags naming this profile (what the page sends
    /// `infercat serve` and spells its command from), and `generic` where manifests are not
    /// for GKE.
    pub flags: Vec<(&'static str, String)>,
    pub platform: &'static str,
}

/// The point a profile is summarized at.
#[derive(Debug, Clone, Serialize)]
pub(super) struct KneeView<'a> {
    pub load: String,
    pub out: String,
    pub ntpot: String,
    pub ttft: String,
    pub itl: String,
    pub per_accelerator: String,
    pub per_user: String,
    pub costs: Vec<CostCell<'a>>,
    /// Where the costs' prices come from, one line per source.
    pub sources: Vec<SourceLine<'a>>,
    /// $/M output and input at the site's pricing model.
    pub cost_out_default: String,
    pub cost_in_default: String,
}

/// A profile as the index table lists it: the columns and filter keys of one row, borrowed
/// from its view (the whole view, costs and sources included, was ≈ 9 KB of template values
/// per row).
#[derive(Debug, Clone, Serialize)]
pub(super) struct IndexRow<'v> {
    pub id: &'v str,
    pub model: &'v str,
    pub model_slug: &'v str,
    pub server: &'v str,
    pub version: &'v str,
    pub server_sort: &'v str,
    pub accelerator: &'v str,
    pub accelerator_count: u32,
    pub topology: &'v str,
    pub instance_type: &'v str,
    pub variant: Option<&'v str>,
    pub workload: &'v str,
    pub use_case: &'v str,
    pub point_name: &'static str,
    pub point_cell: &'v str,
    pub caveats: &'v [super::caveats::Caveat],
    pub knee: IndexKnee<'v>,
}

/// The knee's cells of an [`IndexRow`].
#[derive(Debug, Clone, Serialize)]
pub(super) struct IndexKnee<'v> {
    pub load: &'v str,
    pub out: &'v str,
    pub ntpot: &'v str,
    pub ttft: &'v str,
    pub itl: &'v str,
    pub cost_out_default: &'v str,
    pub cost_in_default: &'v str,
}

impl<'v> IndexRow<'v> {
    pub fn of(p: &'v ProfileView) -> Self {
        let k = &p.knee;
        Self {
            id: p.id,
            model: p.model,
            model_slug: &p.model_slug,
            server: p.server,
            version: p.version,
            server_sort: &p.server_sort,
            accelerator: p.accelerator,
            accelerator_count: p.accelerator_count,
            topology: &p.topology,
            instance_type: p.instance_type,
            variant: p.variant,
            workload: p.workload,
            use_case: p.use_case,
            point_name: p.point_name,
            point_cell: &p.point_cell,
            caveats: &p.caveats,
            knee: IndexKnee {
                load: &k.load,
                out: &k.out,
                ntpot: &k.ntpot,
                ttft: &k.ttft,
                itl: &k.itl,
                cost_out_default: &k.cost_out_default,
                cost_in_default: &k.cost_in_default,
            },
        }
    }
}

/// A model as the models page lists it (its whole view, charts included, is for its page).
#[derive(Debug, Clone, Serialize)]
pub(super) struct ModelRow<'v> {
    pub slug: &'v str,
    pub model: &'v str,
    pub profile_count: usize,
    pub servers: &'v [&'v str],
    pub accelerators: &'v [&'v str],
    pub weights_gib: Option<f64>,
}

impl<'v> ModelRow<'v> {
    pub fn of(m: &'v ModelView<'_, '_>) -> Self {
        Self {
            slug: &m.slug,
            model: m.model,
            profile_count: m.profiles.len(),
            servers: &m.servers,
            accelerators: &m.accelerators,
            weights_gib: m.weights_gib,
        }
    }
}

/// The autoscaling recommendation at the knee.
#[derive(Debug, Clone, Serialize)]
pub(super) struct HpaView<'a> {
    pub metric: &'static str,
    pub threshold: String,
    pub signal: &'static str,
    pub source: &'static str,
    pub note: &'a str,
}

/// One measured record in the profile page's table.
#[derive(Debug, Clone, Serialize)]
pub(super) struct PointRow {
    pub load: String,
    pub achieved: String,
    pub rps: String,
    pub out: String,
    #[serde(rename = "in")]
    pub input: String,
    pub ntpot: String,
    pub ttft: String,
    pub tpot: String,
    pub itl: String,
    pub e2e: String,
    pub per_accelerator: String,
    pub per_user: String,
    pub queue: String,
    pub cost_out: String,
    pub cost_in: String,
    pub cost_out_on_demand: String,
    pub label: String,
    pub is_knee: bool,
}

/// Which optional columns of a profile's point table have a value in some row: a column the
/// tool reported for no point is left out, and the table's note names it, instead of a
/// column of N/A.
#[derive(Debug, Clone, Serialize)]
pub(super) struct PointColumns {
    /// The load column's header ([`LoadColumn::header`]).
    pub load: &'static str,
    pub achieved: bool,
    pub rps: bool,
    #[serde(rename = "in")]
    pub input: bool,
    pub per_user: bool,
    pub ntpot: bool,
    pub ttft: bool,
    pub tpot: bool,
    pub itl: bool,
    pub e2e: bool,
    pub queue: bool,
    /// The three cost columns, shown or left out together.
    pub costs: bool,
    pub label: bool,
    /// "Sent req/s, NTPOT and Queue": the columns left out.
    pub left_out: String,
}

impl PointColumns {
    fn of(rows: &[PointRow], load: LoadColumn) -> Self {
        let any = |cell: fn(&PointRow) -> &str| rows.iter().any(|r| cell(r) != "N/A");
        let mut c = Self {
            load: load.header(),
            achieved: any(|r| &r.achieved),
            rps: any(|r| &r.rps),
            input: any(|r| &r.input),
            per_user: any(|r| &r.per_user),
            ntpot: any(|r| &r.ntpot),
            ttft: any(|r| &r.ttft),
            tpot: any(|r| &r.tpot),
            itl: any(|r| &r.itl),
            e2e: any(|r| &r.e2e),
            queue: any(|r| &r.queue),
            costs: any(|r| &r.cost_out) || any(|r| &r.cost_in) || any(|r| &r.cost_out_on_demand),
            label: rows.iter().any(|r| !r.label.is_empty()),
            left_out: String::new(),
        };
        let names = [
            (c.achieved, "Sent req/s"),
            (c.rps, "Done req/s"),
            (c.input, "Input tok/s"),
            (c.per_user, "Output tok/s per user"),
            (c.ntpot, "NTPOT"),
            (c.ttft, "TTFT"),
            (c.tpot, "TPOT"),
            (c.itl, "ITL"),
            (c.e2e, "E2E"),
            (c.queue, "Queue"),
            (c.costs, "the costs (no usable price)"),
        ];
        let missing: Vec<&str> = names
            .iter()
            .filter(|(shown, _)| !shown)
            .map(|(_, name)| *name)
            .collect();
        c.left_out = crate::format::and_list(&missing);
        c
    }
}

/// Where one raw file came from.
#[derive(Debug, Clone, Serialize)]
pub(super) struct SourceView<'a> {
    pub file: &'a str,
    pub tool: &'a str,
    pub origin: Option<&'a str>,
    pub license: Option<&'a str>,
}

pub(super) struct ProfilePage<'a> {
    pub(super) summary: &'a ProfileSummary,
    pub(super) model_slug: String,
    pub(super) color: &'static str,
    /// The manifest files it links to (the variants are derived from them on its page).
    pub(super) manifest_files: Vec<String>,
    /// The command that makes its manifests; empty where the page is reused (only the page
    /// itself shows it).
    pub(super) cli_command: String,
    pub(super) fingerprint: String,
    /// The profile's data snapshot ([`pipeline::analysis::Profile::data_hash`]).
    pub(super) snapshot: String,
    pub(super) reused: bool,
    /// Where a reused page's entries lay in the previous build's aggregate JSON files.
    pub(super) previous_entries: Option<super::AggregateEntries>,
}

/// Requested and measured prompt/output lengths of a profile, e.g. "requested 1024/128
/// tokens, measured 1019/127".
pub(super) fn lengths_text(profile: &Profile) -> String {
    let pair = |(a, b): (Option<f64>, Option<f64>)| {
        let tokens = |x: Option<f64>| x.map_or("?".to_string(), |x| format!("{x:.0}"));
        format!("{}/{}", tokens(a), tokens(b))
    };
    let mut parts = Vec::new();
    let requested = profile.requested_lengths();
    if requested != (None, None) {
        parts.push(format!("requested {} tokens", pair(requested)));
    }
    let measured = profile.measured_lengths();
    if measured != (None, None) {
        parts.push(format!("measured mean {} tokens", pair(measured)));
    }
    if parts.is_empty() {
        "not reported".into()
    } else {
        parts.join(", ")
    }
}

/// The template view of a profile. The per-record table (`records`, from
/// [`ProfileSummary::record_evaluations`]) is only needed on the profile's own page, and is the
/// costly part, so the index and model pages go without.
pub(super) fn profile_view<'a>(
    p: &ProfilePage<'a>,
    input: &'a SiteInput,
    records: Option<&[Evaluation]>,
) -> ProfileView<'a> {
    view_of(
        p.summary,
        p.model_slug.clone(),
        p.color,
        p.cli_command.clone(),
        input,
        records,
    )
}

/// The view of profile `s`, on its model's page (`model_slug`) in `color`, with its CLI
/// command and, where given, its records' rows.
fn view_of<'a>(
    s: &'a ProfileSummary,
    model_slug: String,
    color: &'static str,
    cli_command: String,
    input: &'a SiteInput,
    records: Option<&[Evaluation]>,
) -> ProfileView<'a> {
    let profile = &s.profile;
    let k = &profile.key;
    let stat = s.stat;
    let knee = &s.at_knee.point;
    let band = crate::format::band_target(stat.of(&knee.ntpot));
    let (points, point_columns) = records.map_or((Vec::new(), None), |r| {
        let column = LoadColumn::of(r);
        let points = point_rows(s, r, input.pricing_model, column);
        let columns = PointColumns::of(&points, column);
        (points, Some(columns))
    });
    ProfileView {
        id: &profile.id,
        label: profile_label(s),
        configuration: configuration_label(s),
        model: &k.model,
        model_slug,
        server: &k.model_server,
        version: &k.model_server_version,
        accelerator: &k.accelerator,
        accelerator_count: k.accelerator_count,
        instance_type: k.instance_type.as_deref().unwrap_or("unknown"),
        variant: k.variant.as_deref(),
        topology: Some(k.topology.label())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "—".into()),
        workload: &k.workload,
        use_case: &k.use_case,
        lengths: lengths_text(profile),
        repeats: profile.repeats.len(),
        point_name: s.knee.method.point_name(),
        point_cell: if stat == input.cfg.percentile {
            s.knee.method.point_name().to_string()
        } else {
            format!("{} ({stat}s)", s.knee.method.point_name())
        },
        sized_at: crate::manifests::knee_point_kind(s.knee.method),
        knee_operable: s.knee.method.is_operable(),
        notes: profile.notes.as_deref(),
        synthetic: profile.synthetic,
        server_args: &profile.server_args,
        color,
        stat: stat.to_string(),
        knee_method: s.knee.method.as_str(),
        knee_reason: &s.knee.reason,
        knee: knee_view(s, input.pricing_model),
        hpa: s.at_knee.hpa.as_ref().ok().map(|h| HpaView {
            metric: h.metric,
            threshold: format!("{:.2}", h.threshold),
            signal: h.signal.as_str(),
            source: h.value_source,
            note: &h.note,
        }),
        hpa_reason: s.at_knee.hpa.as_ref().err().map(String::as_str),
        points,
        point_columns,
        has_unbounded: profile.points.iter().any(|p| p.load == Load::Unbounded),
        load_unit: match knee.load {
            Load::Concurrency(_) => "concurrent requests",
            _ => "requested req/s",
        },
        band_target_text: band.map(|b| {
            format!(
                "NTPOT ≤ {} ms, {}× the knee's NTPOT",
                crate::format::grouped_trimmed(Some(b), 2),
                crate::format::BAND_FACTOR
            )
        }),
        sources: profile
            .sources
            .iter()
            .map(|src| SourceView {
                file: &src.file,
                tool: &src.tool,
                origin: src.origin.as_deref(),
                license: src.license.as_deref(),
            })
            .collect(),
        cli_command,
        caveats: super::caveats::caveats(profile),
        server_sort: crate::format::version_sort_key(&k.model_server, &k.model_server_version),
        flags: crate::manifests::profile_flags(k),
        platform: match super::pages::site_platform(&k.accelerator) {
            crate::manifests::Platform::Generic => "generic",
            crate::manifests::Platform::Gke => "",
        },
    }
}

/// A profile's view, made when something first reads it. A reused profile's page, index row,
/// API entries and frontier section are copied from the published site, so in a one-run
/// refresh nearly every view was made for its id and label alone (a tenth of its CPU).
pub(super) struct LazyView<'a> {
    summary: &'a ProfileSummary,
    input: &'a SiteInput<'a>,
    model_slug: String,
    color: &'static str,
    view: OnceLock<ProfileView<'a>>,
}

impl<'a> LazyView<'a> {
    /// The view of a reused profile: its page is not made, so it shows no CLI command.
    pub fn of_reused(p: &ProfilePage<'a>, input: &'a SiteInput<'a>) -> Self {
        Self {
            summary: p.summary,
            input,
            model_slug: p.model_slug.clone(),
            color: p.color,
            view: OnceLock::new(),
        }
    }

    /// A view already made.
    pub fn made(p: &ProfilePage<'a>, input: &'a SiteInput<'a>, view: ProfileView<'a>) -> Self {
        Self {
            view: OnceLock::from(view),
            ..Self::of_reused(p, input)
        }
    }

    pub fn id(&self) -> &'a str {
        &self.summary.profile.id
    }

    pub fn workload(&self) -> &'a str {
        &self.summary.profile.key.workload
    }

    /// The view's label, without making the view.
    pub fn label(&self) -> String {
        match self.view.get() {
            Some(view) => view.label.clone(),
            None => profile_label(self.summary),
        }
    }
}

impl<'a> std::ops::Deref for LazyView<'a> {
    type Target = ProfileView<'a>;

    fn deref(&self) -> &ProfileView<'a> {
        self.view.get_or_init(|| {
            view_of(
                self.summary,
                self.model_slug.clone(),
                self.color,
                String::new(),
                self.input,
                None,
            )
        })
    }
}

impl Serialize for LazyView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

impl std::fmt::Debug for LazyView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("LazyView").field(&self.id()).finish()
    }
}

/// The point the profile is summarized at, with its costs.
fn knee_view(s: &ProfileSummary, pricing_model: PricingModel) -> KneeView<'_> {
    let (knee, stat) = (&s.at_knee.point, s.stat);
    let chosen = s.at_knee.cost(pricing_model).and_then(|c| c.cost);
    let costs = cost_cells(&s.at_knee.costs);
    KneeView {
        load: load_text(knee.load),
        out: sig(Some(knee.output_tokens_per_s)),
        ntpot: sig(stat.of(&knee.ntpot)),
        ttft: sig(stat.of(&knee.ttft)),
        itl: sig(stat.of(&knee.itl)),
        per_accelerator: sig(Some(
            knee.output_tokens_per_s_per_accelerator(s.profile.key.accelerator_count),
        )),
        per_user: sig(knee.per_user_tokens_per_s(|l| stat.of(l))),
        sources: source_lines(&s.at_knee.costs),
        costs,
        cost_out_default: sig(chosen.map(|c| c.usd_per_million_output)),
        cost_in_default: sig(chosen.map(|c| c.usd_per_million_input)),
    }
}

/// How the point table spells loads: the unit in the header where every point's load is of
/// one kind (`Load (req/s)` over `16.87`), else in each cell (`16.87 req/s`, `unbounded load`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum LoadColumn {
    Rates,
    Concurrencies,
    Mixed,
}

impl LoadColumn {
    fn of(records: &[Evaluation]) -> Self {
        let loads = || records.iter().map(|ev| ev.point.load);
        if loads().all(|l| matches!(l, Load::Rate(_))) {
            LoadColumn::Rates
        } else if loads().all(|l| matches!(l, Load::Concurrency(_))) {
            LoadColumn::Concurrencies
        } else {
            LoadColumn::Mixed
        }
    }

    fn header(self) -> &'static str {
        match self {
            LoadColumn::Rates => "Load (req/s)",
            LoadColumn::Concurrencies => "Concurrency",
            LoadColumn::Mixed => "Load",
        }
    }

    fn cell(self, load: Load) -> String {
        let unit_in_header = self != LoadColumn::Mixed;
        unit_in_header
            .then(|| crate::format::site_load_value(load))
            .flatten()
            .unwrap_or_else(|| load_text(load))
    }
}

/// Every measured record of a profile with its costs, the knee's load marked.
fn point_rows(
    s: &ProfileSummary,
    records: &[Evaluation],
    pm: PricingModel,
    column: LoadColumn,
) -> Vec<PointRow> {
    let stat = s.stat;
    let knee_load = pipeline::profile_identity::load_key(&s.at_knee.point);
    records
        .iter()
        .map(|ev| {
            let pt = &ev.point;
            let pick = |m: PricingModel| ev.cost(m).and_then(|c| c.cost);
            PointRow {
                load: column.cell(pt.load),
                achieved: sig(pt.achieved_rate()),
                rps: sig(pt.requests_per_s()),
                out: sig(Some(pt.output_tokens_per_s)),
                input: sig(pt.input_tokens_per_s()),
                ntpot: sig(stat.of(&pt.ntpot)),
                ttft: sig(stat.of(&pt.ttft)),
                tpot: sig(stat.of(&pt.tpot)),
                itl: sig(stat.of(&pt.itl)),
                e2e: sig(stat.of(&pt.e2e)),
                per_accelerator: sig(Some(
                    pt.output_tokens_per_s_per_accelerator(s.profile.key.accelerator_count),
                )),
                per_user: sig(pt.per_user_tokens_per_s(|l| stat.of(l))),
                queue: sig(pt.server.queue_len_mean()),
                cost_out: sig(pick(pm).map(|c| c.usd_per_million_output)),
                cost_in: sig(pick(pm).map(|c| c.usd_per_million_input)),
                cost_out_on_demand: sig(
                    pick(PricingModel::OnDemand).map(|c| c.usd_per_million_output)
                ),
                label: pt.label.clone().unwrap_or_default(),
                is_knee: s.knee.method.is_operable()
                    && pipeline::profile_identity::load_key(pt) == knee_load,
            }
        })
        .collect()
}

/// A model's page: its profiles, grouped by workload, each group with its charts and the
/// cheapest profile at the knee.
#[derive(Debug, Clone, Serialize)]
pub(super) struct ModelView<'v, 'a> {
    pub model: &'a str,
    pub slug: String,
    pub profiles: Vec<&'v LazyView<'a>>,
    pub workloads: Vec<WorkloadGroup<'v>>,
    pub weights_gib: Option<f64>,
    pub parameters_billion: Option<f64>,
    pub servers: Vec<&'a str>,
    pub accelerators: Vec<&'a str>,
}

/// The profiles of one model that ran one workload.
#[derive(Debug, Clone, Serialize)]
pub(super) struct WorkloadGroup<'a> {
    pub workload: &'a str,
    pub use_case: &'a str,
    pub profiles: Vec<&'a ProfileView<'a>>,
    pub cheapest: Option<Cheapest<'a>>,
    pub charts: BTreeMap<&'static str, String>,
    pub frontier: Option<super::frontier::FrontierView>,
}

/// The cheapest profile of a group at its knee.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Cheapest<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub cost: String,
    /// Its knee, or its highest point where none was observed ([`KneeMethod::point_name`]).
    ///
    /// [`KneeMethod::point_name`]: pipeline::analysis::knee::KneeMethod::point_name
    pub point: &'static str,
}

/// A model's facts and profiles (`mine`: its pages and views, in page order), without the
/// charts of its page: [`workload_groups`] adds those when the page is rendered.
pub(super) fn model_view<'v, 'a>(
    input: &SiteInput,
    model: &'a str,
    mine: &[(&'v ProfilePage<'a>, &'v LazyView<'a>)],
) -> ModelView<'v, 'a> {
    let distinct = |f: fn(&'a ProfileSummary) -> &'a str| {
        let mut v: Vec<&str> = mine.iter().map(|(p, _)| f(p.summary)).collect();
        v.sort();
        v.dedup();
        v
    };
    let facts = input.models.get(model);
    ModelView {
        model,
        slug: pipeline::profile::model_slug(model),
        profiles: mine.iter().map(|(_, v)| *v).collect(),
        workloads: Vec::new(),
        weights_gib: facts.map(|f| f.weights_gib),
        parameters_billion: facts.map(|f| f.parameters_billion),
        servers: distinct(|s| &s.profile.key.model_server),
        accelerators: distinct(|s| &s.profile.key.accelerator),
    }
}

/// A model page's sections: its profiles by workload, each with its overlaid curves, the
/// cheapest at the knee and its frontier.
pub(super) fn workload_groups<'v, 'a>(
    input: &SiteInput,
    mine: &[(&'v ProfilePage<'a>, &'v LazyView<'a>)],
) -> Vec<WorkloadGroup<'v>> {
    let mut by_workload: BTreeMap<&str, Vec<(&ProfilePage, &LazyView)>> = BTreeMap::new();
    for (p, v) in mine {
        by_workload.entry(v.workload()).or_default().push((p, v));
    }
    let mut by_workload: Vec<_> = by_workload.into_iter().collect();
    by_workload.sort_by_cached_key(|(workload, _)| crate::format::natural_key(workload));
    let mut workloads = Vec::new();
    for (n, (workload, group)) in by_workload.into_iter().enumerate() {
        workloads.push(WorkloadGroup {
            workload,
            use_case: group[0].1.use_case,
            profiles: group.iter().map(|(_, v)| &***v).collect(),
            cheapest: cheapest_at_knee(&group, input.pricing_model),
            charts: model_charts(&group, n),
            frontier: super::frontier::frontier(
                input,
                &group,
                &super::frontier::Placement {
                    id: &n.to_string(),
                    href_root: "../",
                    colour_by_position: false,
                },
            ),
        });
    }
    workloads
}

/// What the site's unit tests build a profile's view from: the `tests/fixtures/wild` profiles
/// summarized, a site input over them, and a page of one of them.
#[cfg(test)]
pub(super) mod test_pages {
    use super::*;
    use pipeline::analysis::{AnalysisConfig, group_profiles, summarize};
    use pipeline::model_facts::ModelCatalog;
    use pipeline::pricing::PriceBook;
    use pipeline::report::IngestReport;
    use std::path::Path;

    pub(in crate::site) fn wild_summaries(
        cfg: &AnalysisConfig,
        prices: &PriceBook,
    ) -> Vec<ProfileSummary> {
        let raw = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/wild");
        let ingested = pipeline::ingest::ingest(&raw).unwrap();
        summarize(group_profiles(&ingested.rows), cfg, prices)
    }

    /// Calls `f` with a site input over `all` (spot prices first, no previous site).
    pub(in crate::site) fn with_input<R>(
        all: &[ProfileSummary],
        cfg: &AnalysisConfig,
        prices: &PriceBook,
        f: impl FnOnce(&SiteInput) -> R,
    ) -> R {
        let (report, models) = (IngestReport::default(), ModelCatalog::default());
        f(&SiteInput {
            summaries: all,
            cfg,
            prices,
            report: &report,
            models: &models,
            data_dir: Path::new("."),
            pricing_model: PricingModel::Spot,
            overrides: Vec::new(),
            previous: None,
            standby: None,
        })
    }

    /// A freshly rendered page of `s` (nothing reused, no manifests).
    pub(in crate::site) fn page_of(s: &ProfileSummary) -> ProfilePage<'_> {
        ProfilePage {
            summary: s,
            model_slug: "m".into(),
            color: "#000",
            manifest_files: Vec::new(),
            cli_command: String::new(),
            fingerprint: String::new(),
            snapshot: String::new(),
            reused: false,
            previous_entries: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeline::analysis::AnalysisConfig;
    use pipeline::pricing::PriceBook;

    /// A table of one load kind states the unit once in its header; a mixed one in each cell.
    #[test]
    fn the_load_column_states_its_unit_once_where_every_load_has_one_kind() {
        let (summaries, prices) = crate::test_support::bundled_summaries();
        let cfg = AnalysisConfig::default();
        let mut kinds = Vec::new();
        for s in summaries {
            let records = s.record_evaluations(&cfg, prices);
            let column = LoadColumn::of(&records);
            let rows = point_rows(s, &records, PricingModel::Spot, column);
            for (row, ev) in rows.iter().zip(&records) {
                let full = load_text(ev.point.load);
                match column {
                    LoadColumn::Mixed => assert_eq!(row.load, full),
                    _ => assert!(full.contains(&row.load) && full != row.load, "{full}"),
                }
            }
            kinds.push(column);
        }
        assert!(kinds.contains(&LoadColumn::Rates) && kinds.contains(&LoadColumn::Concurrencies));
        assert_eq!(LoadColumn::Rates.cell(Load::Rate(1234.5)), "1,234.5");
        assert_eq!(LoadColumn::Mixed.cell(Load::Unbounded), "unbounded load");
        assert_eq!(LoadColumn::Concurrencies.header(), "Concurrency");
    }

    #[test]
    fn the_page_names_each_price_source_once_with_the_models_it_prices() {
        use pipeline::pricing::{Quote, QuoteOutcome};
        let priced = |model, usd_per_hour, source: &str| PriceAt {
            model,
            quote: QuoteOutcome::Priced(Quote {
                usd_per_hour,
                region: "r".into(),
                source: source.into(),
                as_of: "2026-07-30".into(),
            }),
            cost: None,
        };
        let costs = [
            priced(PricingModel::Spot, 5.84426, "file a"),
            priced(PricingModel::OnDemand, 11.06124999, "file a"),
            PriceAt {
                model: PricingModel::OneYearCud,
                quote: QuoteOutcome::NotAvailable {
                    region: "r".into(),
                    reason: "no price".into(),
                },
                cost: None,
            },
            priced(PricingModel::ThreeYearsCud, 4.85804764, "file a"),
        ];
        let lines: Vec<(String, String, &str)> = source_lines(&costs)
            .into_iter()
            .map(|l| (l.models, l.prices, l.source))
            .collect();
        assert_eq!(
            lines,
            [
                (
                    "on-demand, spot, 3-years-cud".to_string(),
                    "11.06124999, 5.84426, 4.85804764".to_string(),
                    "file a"
                ),
                ("1-year-cud".to_string(), String::new(), "no price")
            ]
        );
    }

    fn row(ntpot: &str, cost: &str, label: &str) -> PointRow {
        let v = || "1".to_string();
        PointRow {
            load: v(),
            achieved: "N/A".into(),
            rps: v(),
            out: v(),
            input: v(),
            ntpot: ntpot.into(),
            ttft: v(),
            tpot: v(),
            itl: v(),
            e2e: v(),
            per_accelerator: v(),
            per_user: v(),
            queue: "N/A".into(),
            cost_out: cost.into(),
            cost_in: cost.into(),
            cost_out_on_demand: "N/A".into(),
            label: label.into(),
            is_knee: false,
        }
    }

    #[test]
    fn a_point_column_no_row_has_a_value_for_is_left_out_and_named() {
        let c = PointColumns::of(
            &[row("N/A", "N/A", ""), row("N/A", "N/A", "")],
            LoadColumn::Mixed,
        );
        assert!(!c.achieved && !c.ntpot && !c.queue && !c.costs && !c.label);
        assert!(c.rps && c.ttft && c.itl && c.per_user);
        assert_eq!(
            c.left_out,
            "Sent req/s, NTPOT, Queue and the costs (no usable price)"
        );
        // One value in one row keeps the column (its other rows say N/A).
        let c = PointColumns::of(
            &[row("N/A", "0.5", "a"), row("12", "N/A", "")],
            LoadColumn::Mixed,
        );
        assert!(c.ntpot && c.costs && c.label);
        assert_eq!(c.left_out, "Sent req/s and Queue");
    }

    #[test]
    fn a_profile_view_carries_workload_knee_costs_and_rows() {
        let cfg = AnalysisConfig::default();
        let prices = PriceBook::bundled().unwrap();
        let all = test_pages::wild_summaries(&cfg, &prices);
        let s = all
            .iter()
            .find(|s| {
                s.profile.key.model == "fixture/sglang-model"
                    && s.profile.key.workload == "random 1024/1024"
            })
            .unwrap();
        test_pages::with_input(&all, &cfg, &prices, |input| {
            let page = test_pages::page_of(s);
            let records = s.record_evaluations(&cfg, &prices);
            let v = profile_view(&page, input, Some(&records));
            assert_eq!(v.workload, "random 1024/1024");
            assert_eq!(v.point_name, "knee");
            assert_eq!(v.knee.load, "4 req/s");
            assert_eq!(v.knee.costs.len(), 4);
            assert!(
                v.knee.costs.iter().all(|c| c.out == "N/A"),
                "one H200 has no GKE machine"
            );
            assert_eq!(v.points.len(), 5);
            assert_eq!(v.points.iter().filter(|p| p.is_knee).count(), 1);
            assert!(v.label.ends_with("· random 1024/1024"), "{}", v.label);
            let json = serde_json::to_value(&v).unwrap();
            assert!(
                json["knee"]["costs"][0].get("in").is_some(),
                "templates read `in`"
            );
            assert!(profile_view(&page, input, None).points.is_empty());
        });
    }

    #[test]
    fn manifest_links_round_trip_through_the_reuse_record() {
        let link = ManifestLink {
            file: None,
            title: "Base manifest".into(),
            description: "d".into(),
            reason: Some("no image".into()),
            derived: Some(DerivedManifest {
                file: "hpa-knee.yaml".into(),
                base_version: "abc".into(),
                patch: vec![super::super::manifest_patch::Hunk(
                    3,
                    1,
                    vec![super::super::manifest_patch::Line::Text("a\n".into())],
                )],
            }),
        };
        let text = serde_json::to_string(&link).unwrap();
        assert_eq!(serde_json::from_str::<ManifestLink>(&text).unwrap(), link);
    }
}
