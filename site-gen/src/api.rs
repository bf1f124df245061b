//! The JSON shape of a profile at a point, shared by `infercat profiles list --format=json|yaml`
//! and the site's static API so scripts see one format. Field names follow the GKE Inference
//! Quickstart API's Profile (camelCase `modelServerInfo`, `acceleratorType`, `instanceType`,
//! `performanceStats[].cost[]`), plus infercat's own fields beside them.

use pipeline::analysis::knee::Knee;
use pipeline::analysis::percentile::Percentile;
use pipeline::analysis::{Evaluation, PriceAt, Profile, ProfileSummary};
use pipeline::point::MeasuredPoint;
use pipeline::pricing::PricingModel;
use pipeline::topology::{Topology, Workers};
use serde::Serialize;
use serde_json::Value;

/// A figure infercat computes (a cost, a per-user speed, an autoscaling value) to six
/// significant digits: the prices and throughputs it comes from carry no more, and the float
/// noise past them was a tenth of the JSON API's bytes. So is the input throughput, which
/// infercat derives for most tools (input tokens over the run's duration, or the total less
/// the output: `20381.516666666666`). The output throughput, measured or divided by the
/// accelerator count, is stated as it is.
fn computed(x: Option<f64>) -> Option<f64> {
    x.map(|v| round_significant(v, 6))
}

/// `v` rounded to `digits` significant digits, as the double nearest that decimal (so it
/// prints as the short decimal). Dividing or multiplying an integer by a power of ten rounds
/// once while the power is exact (up to 10^22); beyond that the formatter rounds.
fn round_significant(v: f64, digits: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let shift = digits - 1 - v.abs().log10().floor() as i32;
    match shift {
        0..=22 => {
            let scale = 10f64.powi(shift);
            (v * scale).round() / scale
        }
        -22..0 => {
            let scale = 10f64.powi(-shift);
            (v / scale).round() * scale
        }
        _ => format!("{:.*e}", (digits - 1) as usize, v)
            .parse()
            .unwrap_or(v),
    }
}

/// A price as the machine has it: hourly price, region, source, date and the output/input
/// ratio. Every JSON shape below lists its fields in sorted order, the order the JSON API has
/// always had (the test `every_shape_lists_its_fields_sorted` holds them to it).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PriceJson<'a> {
    output_input_cost_ratio: f64,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    price_as_of: Stated<&'a str>,
    price_source: &'a str,
    pricing_model: &'static str,
    region: &'a str,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    usd_per_hour: Stated<f64>,
}

impl<'a> PriceJson<'a> {
    /// The price; a date or hourly price it does not have as `unset` says.
    fn of(c: &'a PriceAt, ratio: f64, unset: Unset) -> Self {
        Self {
            output_input_cost_ratio: ratio,
            price_as_of: Stated::of((!c.as_of().is_empty()).then(|| c.as_of()), unset),
            price_source: c.source(),
            pricing_model: c.model.as_str(),
            region: c.region(),
            usd_per_hour: Stated::of(c.usd_per_hour(), unset),
        }
    }
}

/// A point's cost per million input and output tokens (`None` where the machine is unpriced).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenCostJson {
    cost_per_million_input_tokens: Option<f64>,
    cost_per_million_output_tokens: Option<f64>,
}

impl TokenCostJson {
    fn of(c: &PriceAt) -> Self {
        Self {
            cost_per_million_input_tokens: computed(c.cost.map(|x| x.usd_per_million_input)),
            cost_per_million_output_tokens: computed(c.cost.map(|x| x.usd_per_million_output)),
        }
    }
}

/// A point's cost under one pricing model, where the prices are stated once beside the points.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PointCostJson {
    #[serde(flatten)]
    cost: TokenCostJson,
    pricing_model: &'static str,
}

impl PointCostJson {
    fn of(c: &PriceAt) -> Self {
        Self {
            cost: TokenCostJson::of(c),
            pricing_model: c.model.as_str(),
        }
    }
}

/// The Quickstart's cost entry: the point's cost with its price (the cost's two fields sort
/// before all of the price's).
#[derive(Serialize)]
pub struct CostJson<'a> {
    #[serde(flatten)]
    cost: TokenCostJson,
    #[serde(flatten)]
    price: PriceJson<'a>,
}

impl<'a> CostJson<'a> {
    fn of(c: &'a PriceAt, ratio: f64) -> Self {
        Self {
            cost: TokenCostJson::of(c),
            price: PriceJson::of(c, ratio, Unset::Null),
        }
    }
}

/// The prices or costs of a point, the chosen pricing model first.
fn chosen_first(costs: &[PriceAt], first: PricingModel) -> Vec<&PriceAt> {
    let mut costs: Vec<&PriceAt> = costs.iter().collect();
    costs.sort_by_key(|c| (c.model != first, c.model));
    costs
}

/// A value a profile or point may not have (a latency the tool did not report, a note, a
/// parallelism not stated, an unpriced machine's price): `null` where the document lists
/// every field (the CLI's JSON, read by scripts that index each field), left out of the site's
/// `api/v1/benchmarks/<id>.json`, as the Quickstart API's own JSON leaves out what is unset
/// (the `null`s were about a fourteenth of that file in a sample of 200 synthetic profiles).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stated<T> {
    Value(T),
    Null,
    LeftOut,
}

/// How a document writes a value it does not have.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Unset {
    Null,
    LeftOut,
}

impl<T> Stated<T> {
    fn of(value: Option<T>, unset: Unset) -> Self {
        match (value, unset) {
            (Some(v), _) => Stated::Value(v),
            (None, Unset::Null) => Stated::Null,
            (None, Unset::LeftOut) => Stated::LeftOut,
        }
    }

    fn is_left_out(&self) -> bool {
        matches!(self, Stated::LeftOut)
    }
}

impl<T: Serialize> Serialize for Stated<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Stated::Value(v) => v.serialize(s),
            Stated::Null | Stated::LeftOut => s.serialize_none(),
        }
    }
}

type Figure = Stated<f64>;

/// One point's `performanceStats` entry: its throughput and latencies, and its costs (`C`: the
/// Quickstart's whole [`CostJson`], or only the [`PointCostJson`] where the prices are stated
/// once beside the points; none where the reader derives them from those prices, as the
/// throughput per accelerator from the document's `acceleratorCount`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PerformanceStatsJson<C> {
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<Vec<C>>,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    e2e_milliseconds: Figure,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    input_tokens_per_second: Figure,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    itl_milliseconds: Figure,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    load: Figure,
    load_kind: &'static str,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    ntpot_milliseconds: Figure,
    output_tokens_per_second: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_tokens_per_second_per_accelerator: Option<f64>,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    output_tokens_per_second_per_user: Figure,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    queries_per_second: Figure,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    ttft_milliseconds: Figure,
}

impl<C> PerformanceStatsJson<C> {
    /// `p` stated with the curve's statistic, its throughput shared by `accelerators` where
    /// they are given (else the reader divides by the document's `acceleratorCount`), and what
    /// the tool did not report as `unset` says.
    fn of(
        p: &MeasuredPoint,
        stat: Percentile,
        accelerators: Option<u32>,
        cost: Option<Vec<C>>,
        unset: Unset,
    ) -> Self {
        let figure = |v: Option<f64>| Stated::of(v, unset);
        Self {
            cost,
            e2e_milliseconds: figure(stat.of(&p.e2e)),
            input_tokens_per_second: figure(computed(p.input_tokens_per_s())),
            itl_milliseconds: figure(stat.of(&p.itl)),
            load: figure(p.load.value()),
            load_kind: p.load.kind(),
            ntpot_milliseconds: figure(stat.of(&p.ntpot)),
            output_tokens_per_second: p.output_tokens_per_s,
            output_tokens_per_second_per_accelerator: accelerators
                .map(|n| p.output_tokens_per_s_per_accelerator(n)),
            output_tokens_per_second_per_user: figure(computed(
                p.per_user_tokens_per_s(|l| stat.of(l)),
            )),
            queries_per_second: figure(p.request_rate()),
            ttft_milliseconds: figure(stat.of(&p.ttft)),
        }
    }
}

/// What the profile's numbers describe.
pub struct PointContext<'a> {
    pub kind: &'a str,
    pub knee: &'a Knee,
    /// The curve's resolved statistic ([`ProfileSummary::stat`]).
    pub stat: Percentile,
    pub pricing_model: PricingModel,
    pub ratio: f64,
}

/// The Quickstart's `WorkloadSpec`: average lengths (requested where the tool states them, else
/// the measured means, rounded; left out where neither is known, as the Quickstart's own JSON
/// leaves an unset length out) and the use case.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSpecJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_input_length: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_output_length: Option<i64>,
    pub use_case: &'a str,
}

/// A profile's [`WorkloadSpecJson`].
pub fn workload_spec(profile: &Profile) -> WorkloadSpecJson<'_> {
    let (asked_in, asked_out) = profile.requested_lengths();
    let (measured_in, measured_out) = profile.measured_lengths();
    let rounded = |v: Option<f64>| v.map(|v| v.round() as i64);
    WorkloadSpecJson {
        average_input_length: rounded(asked_in.or(measured_in)),
        average_output_length: rounded(asked_out.or(measured_out)),
        use_case: &profile.key.use_case,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WorkersJson {
    tensor_parallel: u32,
    workers: u32,
}

impl From<Workers> for WorkersJson {
    fn from(w: Workers) -> Self {
        Self {
            tensor_parallel: w.tensor_parallel,
            workers: w.workers,
        }
    }
}

/// Parallelism as stated (what is not: as `unset` says), with its short label.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TopologyJson {
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    data_parallel: Stated<u32>,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    decode: Stated<WorkersJson>,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    expert_parallel: Stated<u32>,
    label: String,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    prefill: Stated<WorkersJson>,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    tensor_parallel: Stated<u32>,
}

impl TopologyJson {
    fn of(t: &Topology, unset: Unset) -> Self {
        Self {
            data_parallel: Stated::of(t.data_parallel, unset),
            decode: Stated::of(t.decode.map(WorkersJson::from), unset),
            expert_parallel: Stated::of(t.expert_parallel, unset),
            label: t.label(),
            prefill: Stated::of(t.prefill.map(WorkersJson::from), unset),
            tensor_parallel: Stated::of(t.tensor_parallel, unset),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AutoscalingJson<'a> {
    average_value: Option<f64>,
    metric: &'a str,
    signal: &'static str,
    value_at_point: Option<f64>,
    value_source: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelServerInfoJson<'a> {
    model: &'a str,
    model_server: &'a str,
    model_server_version: &'a str,
}

/// A profile at one point (its knee or an operating point), in the shared JSON shape, plus
/// what the site's `profiles.json` adds (`manifests`, `outputInputCostRatio`, `page`) and what
/// the benchmarks API adds (`prices`), each left out where not set. `C` is the cost entry of
/// its [`PerformanceStatsJson`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileJson<'a, C> {
    accelerator_count: u32,
    accelerator_type: &'a str,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    autoscaling: Stated<AutoscalingJson<'a>>,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    autoscaling_note: Stated<&'a str>,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    instance_type: Stated<&'a str>,
    knee_method: &'static str,
    knee_reason: &'a str,
    latency_statistic: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifests: Option<Vec<&'a str>>,
    model_server_info: ModelServerInfoJson<'a>,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    notes: Stated<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_input_cost_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    performance_stats: Vec<PerformanceStatsJson<C>>,
    point_kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    prices: Option<Vec<PriceJson<'a>>>,
    profile_id: &'a str,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    replicas: Stated<u32>,
    synthetic: bool,
    topology: TopologyJson,
    use_case: &'a str,
    #[serde(skip_serializing_if = "Stated::is_left_out")]
    variant: Stated<&'a str>,
    workload: &'a str,
    workload_spec: WorkloadSpecJson<'a>,
}

impl<'a, C> ProfileJson<'a, C> {
    fn of(
        profile: &'a Profile,
        ev: &'a Evaluation,
        ctx: &PointContext<'a>,
        performance_stats: Vec<PerformanceStatsJson<C>>,
        unset: Unset,
    ) -> Self {
        let key = &profile.key;
        let autoscaling = ev.hpa.as_ref().ok().map(|h| AutoscalingJson {
            average_value: computed(Some(h.threshold)),
            metric: h.metric,
            signal: h.signal.as_str(),
            value_at_point: computed(Some(h.value)),
            value_source: h.value_source,
        });
        let autoscaling_note = match &ev.hpa {
            Ok(h) if h.note.is_empty() => None,
            Ok(h) => Some(h.note.as_str()),
            Err(why) => Some(why.as_str()),
        };
        Self {
            accelerator_count: key.accelerator_count,
            accelerator_type: &key.accelerator,
            autoscaling: Stated::of(autoscaling, unset),
            autoscaling_note: Stated::of(autoscaling_note, unset),
            instance_type: Stated::of(key.instance_type.as_deref(), unset),
            knee_method: ctx.knee.method.as_str(),
            knee_reason: &ctx.knee.reason,
            latency_statistic: ctx.stat.to_string(),
            manifests: None,
            model_server_info: ModelServerInfoJson {
                model: &key.model,
                model_server: &key.model_server,
                model_server_version: &key.model_server_version,
            },
            notes: Stated::of(profile.notes.as_deref(), unset),
            output_input_cost_ratio: None,
            page: None,
            performance_stats,
            point_kind: ctx.kind,
            prices: None,
            profile_id: &profile.id,
            replicas: Stated::of(ev.replicas, unset),
            synthetic: profile.synthetic,
            topology: TopologyJson::of(&key.topology, unset),
            use_case: &key.use_case,
            variant: Stated::of(key.variant.as_deref(), unset),
            workload: &key.workload,
            workload_spec: workload_spec(profile),
        }
    }
}

/// A profile at one point (its knee or an operating point), in the shared JSON shape: the
/// point's costs with their prices.
pub fn profile_doc<'a>(
    profile: &'a Profile,
    ev: &'a Evaluation,
    ctx: &PointContext<'a>,
) -> ProfileJson<'a, CostJson<'a>> {
    let costs = chosen_first(&ev.costs, ctx.pricing_model)
        .into_iter()
        .map(|c| CostJson::of(c, ctx.ratio))
        .collect();
    let stats = vec![PerformanceStatsJson::of(
        &ev.point,
        ctx.stat,
        Some(profile.key.accelerator_count),
        Some(costs),
        Unset::Null,
    )];
    ProfileJson::of(profile, ev, ctx, stats, Unset::Null)
}

/// [`profile_doc`] as a JSON value, for output that formats it further (YAML, tables).
pub fn profile_json(
    profile: &Profile,
    ev: &Evaluation,
    ctx: &PointContext,
) -> serde_json::Result<Value> {
    serde_json::to_value(profile_doc(profile, ev, ctx))
}

/// Whether each point of an all-points document lists the figures that follow from the
/// document's others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivable {
    /// Each point's `cost` carries its cost per million tokens under every pricing model, and
    /// its throughput per accelerator is stated (`benchmarks list --format=json`, where a
    /// script reads the figures as printed).
    Listed,
    /// Points carry no `cost`, which follows from `prices` and the point's throughputs by the
    /// methodology's formula, and no throughput per accelerator, which is the throughput over
    /// `acceleratorCount` (the site's `api/v1/benchmarks/<id>.json`, where the two were half
    /// of the file and every page shows them); a value the profile does not have (a latency
    /// the tool did not report, a note, a parallelism) is left out rather than `null`.
    LeftOut,
}

/// A profile with every measured record in `performanceStats` (`benchmarks list --format=json`
/// and the site's `api/v1/benchmarks/<id>.json`); `records` is
/// [`ProfileSummary::record_evaluations`], computed once by the caller for its table too.
/// Prices are stated once in `prices` (they are the machine's, the same at every point); each
/// point's `cost`, where `derivable` lists it, carries only its cost per million tokens.
pub fn all_points_doc<'a>(
    s: &'a ProfileSummary,
    records: &[Evaluation],
    ratio: f64,
    pricing_model: PricingModel,
    derivable: Derivable,
) -> ProfileJson<'a, PointCostJson> {
    let ctx = PointContext {
        kind: "all-measured-points",
        knee: &s.knee,
        stat: s.stat,
        pricing_model,
        ratio,
    };
    let unset = match derivable {
        Derivable::Listed => Unset::Null,
        Derivable::LeftOut => Unset::LeftOut,
    };
    let stats = records
        .iter()
        .map(|ev| {
            let listed = derivable == Derivable::Listed;
            let costs = listed.then(|| {
                chosen_first(&ev.costs, pricing_model)
                    .into_iter()
                    .map(PointCostJson::of)
                    .collect()
            });
            let accelerators = listed.then_some(s.profile.key.accelerator_count);
            PerformanceStatsJson::of(&ev.point, s.stat, accelerators, costs, unset)
        })
        .collect();
    let mut doc = ProfileJson::of(&s.profile, &s.at_knee, &ctx, stats, unset);
    doc.prices = Some(
        chosen_first(&s.at_knee.costs, pricing_model)
            .into_iter()
            .map(|c| PriceJson::of(c, ratio, unset))
            .collect(),
    );
    doc
}

/// [`all_points_doc`] as a JSON value, for output that formats it further.
pub fn all_points_json(
    s: &ProfileSummary,
    records: &[Evaluation],
    ratio: f64,
    pricing_model: PricingModel,
) -> serde_json::Result<Value> {
    serde_json::to_value(all_points_doc(
        s,
        records,
        ratio,
        pricing_model,
        Derivable::Listed,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every bundled profile's knee document (with the site's `profiles.json` additions) and
    /// all-points document list their fields sorted, down to topology workers, autoscaling and
    /// each cost; the bundle holds the nested shapes the check needs.
    #[test]
    fn every_shape_lists_its_fields_sorted() {
        let (summaries, prices) = crate::test_support::bundled_summaries();
        let cfg = pipeline::analysis::AnalysisConfig::default();
        let (mut disaggregated, mut autoscaled, mut noted) = (0, 0, 0);
        for s in summaries {
            let ctx = PointContext {
                kind: "knee",
                knee: &s.knee,
                stat: s.stat,
                pricing_model: PricingModel::Spot,
                ratio: 4.0,
            };
            let mut knee = profile_doc(&s.profile, &s.at_knee, &ctx);
            knee.manifests = Some(vec!["manifests/a.yaml"]);
            knee.output_input_cost_ratio = Some(4.0);
            knee.page = Some("profiles/a.html".into());
            crate::test_support::assert_fields_sorted(&knee, &s.profile.id);
            let records = s.record_evaluations(&cfg, prices);
            for derivable in [Derivable::Listed, Derivable::LeftOut] {
                let all = all_points_doc(s, &records, 4.0, PricingModel::OnDemand, derivable);
                crate::test_support::assert_fields_sorted(&all, &s.profile.id);
            }
            disaggregated += usize::from(s.profile.key.topology.is_disaggregated());
            autoscaled += usize::from(matches!(knee.autoscaling, Stated::Value(_)));
            noted += usize::from(matches!(knee.autoscaling_note, Stated::Value(_)));
        }
        assert!(disaggregated > 0 && autoscaled > 0 && noted > 0);
    }

    /// The site's all-points file leaves each point's costs, throughput per accelerator and
    /// every unset value out; the methodology's formula on its `prices` and the point's
    /// throughputs gives back every cost the CLI lists, and the throughput over
    /// `acceleratorCount` its throughput per accelerator.
    #[test]
    fn figures_left_out_of_the_site_file_follow_from_the_rest() {
        let (summaries, prices) = crate::test_support::bundled_summaries();
        let cfg = pipeline::analysis::AnalysisConfig::default();
        let (mut checked, mut unreported, mut unset_fields) = (0, 0, 0);
        for s in summaries {
            let records = s.record_evaluations(&cfg, prices);
            let doc = |derivable| {
                let doc = all_points_doc(s, &records, 4.0, PricingModel::Spot, derivable);
                serde_json::to_value(doc).unwrap()
            };
            let (listed, site) = (doc(Derivable::Listed), doc(Derivable::LeftOut));
            // Beside the points, the two documents differ only in the nulls the site leaves out.
            let beside_points = |doc: &Value| {
                let mut doc = doc.clone();
                doc.as_object_mut().unwrap().remove("performanceStats");
                doc
            };
            assert_eq!(
                without_nulls(&beside_points(&listed)),
                beside_points(&site),
                "{}",
                s.profile.id
            );
            unset_fields += count_nulls(&beside_points(&listed));
            for (point, stats) in site["performanceStats"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
            {
                assert!(
                    stats.get("cost").is_none(),
                    "{}: point {point}",
                    s.profile.id
                );
                let per_accelerator = "outputTokensPerSecondPerAccelerator";
                assert!(stats.get(per_accelerator).is_none());
                let listed_point = listed["performanceStats"][point].as_object().unwrap();
                for (field, value) in listed_point {
                    if field == "cost" || field == per_accelerator {
                        continue;
                    }
                    let in_site = stats.get(field);
                    if value.is_null() {
                        assert_eq!(in_site, None, "{}: {field} left out", s.profile.id);
                        unreported += 1;
                    } else {
                        assert_eq!(in_site, Some(value), "{}: {field}", s.profile.id);
                    }
                }
                let out = stats["outputTokensPerSecond"].as_f64().unwrap();
                let count = site["acceleratorCount"].as_f64().unwrap();
                let stated = listed["performanceStats"][point][per_accelerator].as_f64();
                assert_eq!(
                    Some(out / count.max(1.0)),
                    stated,
                    "{}: point {point}",
                    s.profile.id
                );
                let listed_costs = listed["performanceStats"][point]["cost"]
                    .as_array()
                    .unwrap();
                for (price, cost) in site["prices"].as_array().unwrap().iter().zip(listed_costs) {
                    assert_eq!(price["pricingModel"], cost["pricingModel"]);
                    let derived = derive_costs(price, stats);
                    let stated = [
                        cost["costPerMillionOutputTokens"].as_f64(),
                        cost["costPerMillionInputTokens"].as_f64(),
                    ];
                    for (d, c) in derived.into_iter().zip(stated) {
                        match (d, c) {
                            (Some(d), Some(c)) => {
                                assert!((d - c).abs() <= 1e-5 * c.abs(), "{d} vs {c}");
                                checked += 1;
                            }
                            (d, c) => assert_eq!(d, c, "{}: point {point}", s.profile.id),
                        }
                    }
                }
            }
        }
        assert!(
            checked > 100 && unreported > 100 && unset_fields > 50,
            "{checked} {unreported} {unset_fields}"
        );
    }

    /// `v` with every object field that is `null` removed, at any depth.
    fn without_nulls(v: &Value) -> Value {
        match v {
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .filter(|(_, f)| !f.is_null())
                    .map(|(k, f)| (k.clone(), without_nulls(f)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
            other => other.clone(),
        }
    }

    /// The `null` fields of `v`'s objects, at any depth.
    fn count_nulls(v: &Value) -> usize {
        match v {
            Value::Object(fields) => fields
                .values()
                .map(|f| if f.is_null() { 1 } else { count_nulls(f) })
                .sum(),
            Value::Array(items) => items.iter().map(count_nulls).sum(),
            _ => 0,
        }
    }

    /// $/M output and input tokens at a point from the machine's price, by the methodology's
    /// formula: a reader's own computation from the site file.
    fn derive_costs(price: &Value, stats: &Value) -> [Option<f64>; 2] {
        let (Some(usd_per_hour), Some(out)) = (
            price["usdPerHour"].as_f64(),
            stats["outputTokensPerSecond"].as_f64(),
        ) else {
            return [None, None];
        };
        // No input throughput, no cost: the formula splits the price over input and output.
        let (Some(ratio), Some(input)) = (
            price["outputInputCostRatio"].as_f64(),
            stats["inputTokensPerSecond"].as_f64(),
        ) else {
            return [None, None];
        };
        let per_output = usd_per_hour / 3600.0 / (input / ratio + out) * 1e6;
        [Some(per_output), Some(per_output / ratio)]
    }

    #[test]
    fn computed_figures_print_as_six_significant_digits() {
        let cases = [
            (0.04248581771054504, "0.0424858"),
            (54.368173147300006, "54.3682"),
            (46.05747973470892, "46.0575"),
            (1234567.891, "1234570.0"),
            (0.000012345678, "0.0000123457"),
            (-2.5, "-2.5"),
            (0.0, "0.0"),
            (9.999995, "10.0"),
            (999999.5, "1000000.0"),
            (1.234567e-20, "1.23457e-20"),
            (7.654321e30, "7.65432e+30"),
            (3.3e-310, "3.3e-310"),
        ];
        for (v, shown) in cases {
            let value = computed(Some(v)).unwrap();
            assert_eq!(serde_json::to_string(&value).unwrap(), shown, "{v}");
        }
        assert_eq!(computed(None), None);
        assert!(computed(Some(f64::INFINITY)).unwrap().is_infinite());
    }
}
