//! Per-profile analysis (SPEC §5): read the benchmarks table into curves, find each curve's knee,
//! price it, derive HPA thresholds and replica counts, and evaluate any point of a curve (the
//! knee, or the operating point under latency targets) the same way for the CLI and the site.

pub mod cost;
pub mod hpa;
pub mod knee;
pub mod operating_point;
pub mod percentile;
pub mod profiles_table;
pub mod sizing;

use crate::error::PipelineError;
use crate::point::MeasuredPoint;
use crate::pricing::{PriceBook, PricingModel, QuoteOutcome};
use crate::profile::ProfileKey;
use crate::schema::{BenchmarkRow, TableReader, Text};
use cost::TokenCost;
use hpa::HpaRecommendation;
use knee::Knee;
use operating_point::{OperatingPoint, Targets};
use percentile::Percentile;
use polars::prelude::{DataFrame, PolarsResult};
use std::path::Path;

/// Settings of one analysis (CLI flags of `analyze`, `profiles list`, `manifests create`).
#[derive(Debug, Clone)]
pub struct AnalysisConfig {
    pub percentile: Percentile,
    /// Region to price in; `None` = SPEC §5's default per machine family.
    pub region: Option<String>,
    pub output_input_cost_ratio: f64,
    pub hpa_buffer: f64,
    pub expected_qps: Option<f64>,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            percentile: Percentile::P50,
            region: None,
            output_input_cost_ratio: cost::DEFAULT_OUTPUT_INPUT_COST_RATIO,
            hpa_buffer: hpa::DEFAULT_HPA_BUFFER,
            expected_qps: None,
        }
    }
}

/// Where one raw file of a profile came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Provenance {
    /// The run directory (relative to the raw root) holding the file and its run.toml.
    pub run: String,
    pub file: String,
    pub tool: String,
    pub origin: Option<String>,
    pub license: Option<String>,
}

/// A serving profile and its curve (points in load order, unbounded last; one point per load:
/// a load measured more than once stands as the mean of its records).
#[derive(Debug, Clone)]
pub struct Profile {
    pub id: String,
    pub key: ProfileKey,
    pub server_args: Vec<String>,
    pub notes: Option<String>,
    /// The container image run.toml names, if any.
    pub image: Option<String>,
    pub synthetic: bool,
    pub sources: Vec<Provenance>,
    pub points: Vec<MeasuredPoint>,
    /// Every record of a load measured more than once, in load order (their means are in
    /// `points`); empty when no load repeats.
    pub repeats: Vec<MeasuredPoint>,
}

impl Profile {
    /// The profile's data snapshot: a short hash of everything measured and declared about it.
    /// Manifests and the profile's page name it, so they change exactly when this profile's
    /// inputs do (and a refresh can reuse them otherwise).
    pub fn data_hash(&self) -> String {
        let fields = (
            &self.id,
            &self.key,
            &self.server_args,
            &self.notes,
            &self.image,
            self.synthetic,
            &self.sources,
            &self.points,
            &self.repeats,
        );
        // Every build hashes every profile: as typed bytes, not text.
        crate::digest::postcard_sha256_hex(&fields, 6)
    }
}

impl Profile {
    /// Every measured record in load order: the curve's points, with a load measured more than
    /// once given as its individual records instead of their mean.
    pub fn records(&self) -> Vec<&MeasuredPoint> {
        let key = crate::profile_identity::load_key;
        let mut out = Vec::with_capacity(self.points.len() + self.repeats.len());
        for p in &self.points {
            let repeats: Vec<&MeasuredPoint> =
                self.repeats.iter().filter(|r| key(r) == key(p)).collect();
            if repeats.is_empty() {
                out.push(p);
            } else {
                out.extend(repeats);
            }
        }
        out
    }

    /// The median over the curve's points of the measured mean prompt and output lengths (the
    /// upper middle value for an even count), each `None` when no point reports it.
    pub fn measured_lengths(&self) -> (Option<f64>, Option<f64>) {
        let median = |f: fn(&MeasuredPoint) -> Option<f64>| {
            let mut v: Vec<f64> = self.points.iter().filter_map(f).collect();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied()
        };
        (
            median(|p| p.mean_input_tokens()),
            median(|p| p.mean_output_tokens()),
        )
    }

    /// The lengths the tool was asked for (the curve's workload hint), each `None` when unstated.
    pub fn requested_lengths(&self) -> (Option<f64>, Option<f64>) {
        self.points.first().map_or((None, None), |p| {
            (p.workload.input_len, p.workload.output_len)
        })
    }

    /// The run directories this profile's points came from.
    pub fn run_ids(&self) -> Vec<String> {
        let mut runs: Vec<String> = self.sources.iter().map(|s| s.run.clone()).collect();
        runs.dedup();
        runs
    }
}

/// What one record adds to its profile: where it came from and what it measured.
struct Record {
    source: Provenance,
    synthetic: bool,
    point: MeasuredPoint,
}

impl Record {
    fn of_row(row: &BenchmarkRow) -> Self {
        Self {
            source: Provenance {
                run: row.run_id.clone(),
                file: row.source_file.clone(),
                tool: row.tool.clone(),
                origin: row.origin.clone(),
                license: row.license.clone(),
            },
            synthetic: row.synthetic,
            point: (*row.point).clone(),
        }
    }

    fn in_table(table: &TableReader, i: usize) -> PolarsResult<Self> {
        Ok(Self {
            source: Provenance {
                run: table.required(Text::RunId, i)?,
                file: table.required(Text::SourceFile, i)?,
                tool: table.required(Text::Tool, i)?,
                origin: table.text(Text::Origin, i),
                license: table.text(Text::License, i),
            },
            synthetic: table.synthetic(i),
            point: table.point(i)?,
        })
    }
}

impl Profile {
    /// An empty curve named as `row` names its profile (every row of a profile names it alike).
    fn named_by(row: &BenchmarkRow) -> Self {
        Self {
            id: row.profile_id.clone(),
            key: row.key.clone(),
            server_args: row.server_args.clone(),
            notes: row.notes.clone(),
            image: row.image.clone(),
            synthetic: row.synthetic,
            sources: Vec::new(),
            points: Vec::new(),
            repeats: Vec::new(),
        }
    }

    /// Adds the next record in curve order.
    fn add(&mut self, record: Record) {
        self.synthetic |= record.synthetic;
        if !self.sources.contains(&record.source) {
            self.sources.push(record.source);
        }
        self.points.push(record.point);
    }

    fn finished(mut self) -> Self {
        self.sources.sort();
        merge_repeats(&mut self);
        self
    }
}

/// Groups rows (in any order) into profiles, ordered by id: the curves of rows in memory (the
/// knee tests' ingests); a table is read with [`profiles_from_table`], which must agree.
pub fn group_profiles(rows: &[BenchmarkRow]) -> Vec<Profile> {
    let mut sorted: Vec<&BenchmarkRow> = rows.iter().collect();
    sorted.sort_by(|a, b| crate::storage::curve_order(a, b));
    let mut profiles: Vec<Profile> = Vec::new();
    for row in sorted {
        match profiles.last_mut() {
            Some(p) if p.id == row.profile_id => p.add(Record::of_row(row)),
            _ => {
                let mut p = Profile::named_by(row);
                p.add(Record::of_row(row));
                profiles.push(p);
            }
        }
    }
    profiles.into_iter().map(Profile::finished).collect()
}

/// The profiles of a benchmarks table, ordered by id, as [`group_profiles`] makes them from
/// its rows, but read curve by curve on every core: the whole table is never held as rows
/// (100,000 rows took about four times the table's own memory, and a second copy of every
/// point while grouping).
pub fn profiles_from_table(df: &DataFrame) -> PolarsResult<Vec<Profile>> {
    use rayon::prelude::*;
    let table = TableReader::of(df)?;
    table
        .curves()?
        .into_par_iter()
        .map(|rows| {
            let mut profile = Profile::named_by(&table.row(rows[0])?);
            for i in rows {
                profile.add(Record::in_table(&table, i)?);
            }
            Ok(profile.finished())
        })
        .collect()
}

/// Reads `benchmarks.parquet` into profiles ([`profiles_from_table`]).
pub fn read_profiles(path: &Path) -> Result<Vec<Profile>, PipelineError> {
    let df = crate::schema::read_parquet(path)?;
    profiles_from_table(&df).map_err(|source| PipelineError::Parquet {
        path: path.to_path_buf(),
        source,
    })
}

/// Replaces the records of a load measured more than once by their mean (kept in `repeats`).
fn merge_repeats(profile: &mut Profile) {
    let mut curve: Vec<MeasuredPoint> = Vec::with_capacity(profile.points.len());
    let mut run: Vec<MeasuredPoint> = Vec::new();
    let same_load = |a: &MeasuredPoint, b: &MeasuredPoint| {
        crate::profile_identity::load_key(a) == crate::profile_identity::load_key(b)
    };
    for point in std::mem::take(&mut profile.points) {
        if run.last().is_some_and(|last| !same_load(last, &point)) {
            flush_run(&mut run, &mut curve, &mut profile.repeats);
        }
        run.push(point);
    }
    flush_run(&mut run, &mut curve, &mut profile.repeats);
    profile.points = curve;
}

fn flush_run(
    run: &mut Vec<MeasuredPoint>,
    curve: &mut Vec<MeasuredPoint>,
    repeats: &mut Vec<MeasuredPoint>,
) {
    match run.len() {
        0 => {}
        1 => curve.append(run),
        _ => {
            curve.push(mean_point(run));
            repeats.append(run);
        }
    }
}

/// The mean of several records of one load: every metric averaged over the records that
/// report it, counts summed, and so the durations too when every record states one (a rate
/// derived from completions over an averaged duration would be as many times too high as there
/// are records).
pub fn mean_point(records: &[MeasuredPoint]) -> MeasuredPoint {
    let n = records.len() as f64;
    let mut mean = MeasuredPoint::new(
        records[0].load,
        records.iter().map(|r| r.output_tokens_per_s).sum::<f64>() / n,
    );
    for column in crate::schema::metric_columns() {
        if column.name == "output_tokens_per_s" {
            continue;
        }
        let values: Vec<f64> = records.iter().filter_map(|r| (column.get)(r)).collect();
        if !values.is_empty() {
            (column.set)(&mut mean, values.iter().sum::<f64>() / values.len() as f64);
        }
    }
    // Checked: the counts come from input files.
    let sum = |f: fn(&MeasuredPoint) -> Option<i64>| {
        records
            .iter()
            .try_fold(0i64, |total, r| total.checked_add(f(r)?))
    };
    mean.completed = sum(|r| r.completed);
    mean.failed = sum(|r| r.failed);
    if let Some(total) = records.iter().map(|r| r.duration_s()).sum::<Option<f64>>() {
        mean.set_duration_s(Some(total));
    }
    mean.workload = records[0].workload.clone();
    mean.label = Some(format!("mean of {} repeats", records.len()));
    mean
}

/// One pricing model's price and cost at a point.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceAt {
    pub model: PricingModel,
    pub quote: QuoteOutcome,
    pub cost: Option<TokenCost>,
}

impl PriceAt {
    pub fn usd_per_hour(&self) -> Option<f64> {
        match &self.quote {
            QuoteOutcome::Priced(q) => Some(q.usd_per_hour),
            QuoteOutcome::NotAvailable { .. } => None,
        }
    }

    pub fn region(&self) -> &str {
        match &self.quote {
            QuoteOutcome::Priced(q) => &q.region,
            QuoteOutcome::NotAvailable { region, .. } => region,
        }
    }

    /// The date of the price's source (`unknown` when it does not say; empty with no price).
    pub fn as_of(&self) -> &str {
        match &self.quote {
            QuoteOutcome::Priced(q) => &q.as_of,
            QuoteOutcome::NotAvailable { .. } => "",
        }
    }

    /// The price's source, or why there is none.
    pub fn source(&self) -> &str {
        match &self.quote {
            QuoteOutcome::Priced(q) => &q.source,
            QuoteOutcome::NotAvailable { reason, .. } => reason,
        }
    }
}

/// Everything infercat says about one point of a curve.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub point: MeasuredPoint,
    pub costs: Vec<PriceAt>,
    pub hpa: Result<HpaRecommendation, String>,
    pub replicas: Option<u32>,
}

impl Evaluation {
    pub fn cost(&self, model: PricingModel) -> Option<&PriceAt> {
        self.costs.iter().find(|c| c.model == model)
    }
}

/// Prices a profile's machine under every pricing model and costs the point's throughput.
pub fn costs_at(
    key: &ProfileKey,
    point: &MeasuredPoint,
    cfg: &AnalysisConfig,
    prices: &PriceBook,
) -> Vec<PriceAt> {
    PricingModel::ALL
        .into_iter()
        .map(|model| {
            let quote = machine_quote(key, model, cfg, prices);
            let cost = cost_with(&quote, point, cfg);
            PriceAt { model, quote, cost }
        })
        .collect()
}

/// What a profile's machine costs by the hour under `model`: the same for every point of its
/// curve, so a caller costing many points asks once.
pub fn machine_quote(
    key: &ProfileKey,
    model: PricingModel,
    cfg: &AnalysisConfig,
    prices: &PriceBook,
) -> QuoteOutcome {
    let own = prices.accelerator_quote(&key.accelerator, key.accelerator_count, model);
    match (own, &key.instance_type) {
        (Some(q), _) => QuoteOutcome::Priced(q),
        (None, Some(machine)) => prices.quote(machine, cfg.region.as_deref(), model),
        (None, None) => QuoteOutcome::NotAvailable {
            region: cfg.region.clone().unwrap_or_default(),
            reason: if crate::machines::is_gke_accelerator(&key.accelerator) {
                format!(
                    "no machine type: {} x{} has no standard GKE shape (set instance_type in run.toml)",
                    key.accelerator, key.accelerator_count
                )
            } else {
                format!(
                    "{} is not a GKE accelerator: price it by the hour with --prices (accelerator,usd_per_accelerator_hour)",
                    key.accelerator
                )
            },
        },
    }
}

/// A point's cost per million tokens on a machine priced at `quote`.
pub fn cost_with(
    quote: &QuoteOutcome,
    point: &MeasuredPoint,
    cfg: &AnalysisConfig,
) -> Option<TokenCost> {
    match quote {
        QuoteOutcome::Priced(q) => cost::cost_per_million(
            q.usd_per_hour,
            point.input_tokens_per_s(),
            point.output_tokens_per_s,
            cfg.output_input_cost_ratio,
        ),
        QuoteOutcome::NotAvailable { .. } => None,
    }
}

/// Evaluates a point of `profile`: costs, HPA (latency-sensitive or not), replicas.
pub fn evaluate(
    profile: &Profile,
    point: MeasuredPoint,
    latency_sensitive: bool,
    cfg: &AnalysisConfig,
    prices: &PriceBook,
) -> Evaluation {
    let costs = costs_at(&profile.key, &point, cfg, prices);
    let hpa = match profile.points.first() {
        // Prefill and decode saturate on different signals (TTFT/queue vs batch), and one
        // Deployment-wide metric would scale both roles together.
        _ if profile.key.topology.is_disaggregated() => Err(
            "a prefill/decode disaggregated deployment scales its two roles on different signals; no single HPA target is given".into(),
        ),
        Some(baseline) => hpa::recommend(
            &profile.key.model_server,
            &point,
            baseline,
            latency_sensitive,
            cfg.hpa_buffer,
        ),
        None => Err("empty curve".into()),
    };
    let replicas = cfg
        .expected_qps
        .and_then(|q| sizing::replicas_for(q, &point));
    Evaluation {
        point,
        costs,
        hpa,
        replicas,
    }
}

/// A profile summarized at its knee: what every output (pages, API, CLI, tables) projects from.
#[derive(Debug, Clone)]
pub struct ProfileSummary {
    pub profile: Profile,
    pub knee: Knee,
    /// The statistic this curve's latencies are shown with, resolved once
    /// ([`Percentile::for_curve`]): `--percentile`, or the mean when the tool reports only means.
    pub stat: Percentile,
    pub at_knee: Evaluation,
}

impl ProfileSummary {
    /// Every measured record of the profile (repeats included), each evaluated once at its own
    /// load: the rows of the profile page's table, `benchmarks list` and the benchmarks API.
    pub fn record_evaluations(&self, cfg: &AnalysisConfig, prices: &PriceBook) -> Vec<Evaluation> {
        self.profile
            .records()
            .into_iter()
            .map(|point| evaluate(&self.profile, point.clone(), false, cfg, prices))
            .collect()
    }
}

/// Summarizes every profile at its knee (profiles with no points are skipped).
pub fn summarize(
    profiles: Vec<Profile>,
    cfg: &AnalysisConfig,
    prices: &PriceBook,
) -> Vec<ProfileSummary> {
    use rayon::prelude::*;
    // Sized up front: grown by doubling, the vector took 21 MB for 14 MB of summaries at
    // 10,000 profiles, and it lives until the site is written. Each profile on any core.
    let mut summaries = Vec::with_capacity(profiles.len());
    summaries.par_extend(profiles.into_par_iter().filter_map(|profile| {
        let knee = knee::find_knee(&profile.points, cfg.percentile)?;
        let point = profile.points[knee.index].clone();
        let at_knee = evaluate(&profile, point, false, cfg, prices);
        let stat = cfg.percentile.for_curve(&profile.points);
        Some(ProfileSummary {
            profile,
            knee,
            stat,
            at_knee,
        })
    }));
    summaries
}

/// The operating point of `profile` under `targets`, evaluated; `None` if the profile cannot
/// meet them within its measured range.
pub fn evaluate_targets(
    profile: &Profile,
    knee: &Knee,
    targets: &Targets,
    cfg: &AnalysisConfig,
    prices: &PriceBook,
) -> Option<(OperatingPoint, Evaluation)> {
    if !knee.method.is_operable() {
        return None;
    }
    let op = operating_point::operating_point(&profile.points, targets, cfg.percentile)?;
    let knee_point = &profile.points[knee.index];
    let pct = cfg.percentile;
    let tighter = |target: Option<f64>, at_knee: Option<f64>| matches!((target, at_knee), (Some(t), Some(k)) if t < k);
    let latency_sensitive = tighter(targets.ntpot_ms, pct.of(&knee_point.ntpot))
        || tighter(targets.ttft_ms, pct.of(&knee_point.ttft))
        || tighter(targets.itl_ms, pct.of(&knee_point.itl));
    let evaluation = evaluate(profile, op.point.clone(), latency_sensitive, cfg, prices);
    Some((op, evaluation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::Load;

    fn record(completed: i64, duration: Option<f64>) -> MeasuredPoint {
        let mut p = MeasuredPoint::new(Load::Rate(2.0), 100.0);
        p.completed = Some(completed);
        p.set_duration_s(duration);
        p
    }

    #[test]
    fn repeats_sum_their_counts_and_the_time_they_took() {
        let mean = mean_point(&[record(120, Some(60.0)), record(118, Some(60.0))]);
        assert_eq!(mean.completed, Some(238));
        assert_eq!(mean.duration_s(), Some(120.0));
        let rate = knee::achieved_rate(&mean).unwrap();
        assert!((rate - 238.0 / 120.0).abs() < 1e-9, "{rate}");
        let partly = mean_point(&[record(120, Some(60.0)), record(118, None)]);
        assert_eq!(
            partly.duration_s(),
            Some(60.0),
            "averaged when one is unknown"
        );
    }
}
