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
use serde_json::{Value, json};

/// A figure infercat computes (a cost, a per-user speed, an autoscaling value) to six
/// significant digits: the prices and throughputs it comes from carry no more, and the float
/// noise past them was a tenth of the JSON API's bytes. Throughputs, measured or divided by
/// the accelerator count, are stated as they are.
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

/// A price as the machine has it (hourly price, region, source, date, the output/input ratio).
fn price_json(c: &PriceAt, ratio: f64) -> Value {
    json!({
        "pricingModel": c.model.as_str(),
        "usdPerHour": c.usd_per_hour(),
        "region": c.region(),
        "priceSource": c.source(),
        "priceAsOf": (!c.as_of().is_empty()).then(|| c.as_of()),
        "outputInputCostRatio": ratio,
    })
}

/// A point's cost per million output and input tokens under one pricing model.
fn point_cost_json(c: &PriceAt) -> Value {
    json!({
        "pricingModel": c.model.as_str(),
        "costPerMillionOutputTokens": computed(c.cost.map(|x| x.usd_per_million_output)),
        "costPerMillionInputTokens": computed(c.cost.map(|x| x.usd_per_million_input)),
    })
}

/// The Quickstart's cost entry: the point's cost with its price.
fn cost_json(c: &PriceAt, ratio: f64) -> Value {
    let mut entry = price_json(c, ratio);
    if let (Value::Object(entry), Value::Object(cost)) = (&mut entry, point_cost_json(c)) {
        entry.extend(cost);
    }
    entry
}

/// The prices or costs of a point, the chosen pricing model first.
fn chosen_first(costs: &[PriceAt], first: PricingModel) -> Vec<&PriceAt> {
    let mut costs: Vec<&PriceAt> = costs.iter().collect();
    costs.sort_by_key(|c| (c.model != first, c.model));
    costs
}

/// Cost entries with the chosen pricing model first.
pub fn costs_json(ev: &Evaluation, first: PricingModel, ratio: f64) -> Vec<Value> {
    chosen_first(&ev.costs, first)
        .into_iter()
        .map(|c| cost_json(c, ratio))
        .collect()
}

/// How a point's figures are stated: the curve's statistic, the accelerators throughput is
/// shared by, and the pricing model listed first.
pub struct PointScale {
    pub stat: Percentile,
    pub accelerators: u32,
    pub first: PricingModel,
    pub ratio: f64,
}

/// One point's `performanceStats` entry.
pub fn performance_stats(p: &MeasuredPoint, ev: &Evaluation, scale: &PointScale) -> Value {
    let mut stats = point_figures(p, scale);
    stats["cost"] = Value::Array(costs_json(ev, scale.first, scale.ratio));
    stats
}

/// A point's throughput and latencies, without its cost.
fn point_figures(p: &MeasuredPoint, scale: &PointScale) -> Value {
    let stat = scale.stat;
    json!({
        "queriesPerSecond": p.request_rate(),
        "loadKind": p.load.kind(),
        "load": p.load.value(),
        "outputTokensPerSecond": p.output_tokens_per_s,
        "inputTokensPerSecond": p.input_tokens_per_s,
        "ntpotMilliseconds": stat.of(&p.ntpot),
        "ttftMilliseconds": stat.of(&p.ttft),
        "itlMilliseconds": stat.of(&p.itl),
        "e2eMilliseconds": stat.of(&p.e2e),
        "outputTokensPerSecondPerAccelerator": p.output_tokens_per_s_per_accelerator(scale.accelerators),
        "outputTokensPerSecondPerUser": computed(p.per_user_tokens_per_s(|l| stat.of(l))),
    })
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
/// the measured means, rounded) and the use case.
pub fn workload_spec(profile: &Profile) -> Value {
    let (asked_in, asked_out) = profile.requested_lengths();
    let (measured_in, measured_out) = profile.measured_lengths();
    let rounded = |v: Option<f64>| v.map(|v| v.round() as i64);
    json!({
        "averageInputLength": rounded(asked_in.or(measured_in)),
        "averageOutputLength": rounded(asked_out.or(measured_out)),
        "useCase": profile.key.use_case,
    })
}

/// Parallelism as stated (nulls where not), with its short label.
fn topology_json(t: &Topology) -> Value {
    let workers = |w: Option<Workers>| {
        w.map(|w| json!({"workers": w.workers, "tensorParallel": w.tensor_parallel}))
    };
    json!({
        "label": t.label(),
        "tensorParallel": t.tensor_parallel,
        "expertParallel": t.expert_parallel,
        "dataParallel": t.data_parallel,
        "prefill": workers(t.prefill),
        "decode": workers(t.decode),
    })
}

/// A profile at one point (its knee or an operating point), in the shared JSON shape.
pub fn profile_json(profile: &Profile, ev: &Evaluation, ctx: &PointContext) -> Value {
    let key = &profile.key;
    let stat = ctx.stat;
    json!({
        "profileId": profile.id,
        "modelServerInfo": {
            "model": key.model,
            "modelServer": key.model_server,
            "modelServerVersion": key.model_server_version,
        },
        "acceleratorType": key.accelerator,
        "acceleratorCount": key.accelerator_count,
        "instanceType": key.instance_type,
        "variant": key.variant,
        "topology": topology_json(&key.topology),
        "useCase": key.use_case,
        "workload": key.workload,
        "workloadSpec": workload_spec(profile),
        "synthetic": profile.synthetic,
        "notes": profile.notes,
        "pointKind": ctx.kind,
        "kneeMethod": ctx.knee.method.as_str(),
        "kneeReason": ctx.knee.reason,
        "latencyStatistic": stat.to_string(),
        "performanceStats": [performance_stats(&ev.point, ev, &PointScale { stat, accelerators: key.accelerator_count, first: ctx.pricing_model, ratio: ctx.ratio })],
        "autoscaling": ev.hpa.as_ref().ok().map(|h| json!({
            "metric": h.metric,
            "signal": h.signal.as_str(),
            "valueAtPoint": computed(Some(h.value)),
            "averageValue": computed(Some(h.threshold)),
            "valueSource": h.value_source,
        })),
        "autoscalingNote": match &ev.hpa {
            Ok(h) if h.note.is_empty() => None,
            Ok(h) => Some(h.note.clone()),
            Err(why) => Some(why.clone()),
        },
        "replicas": ev.replicas,
    })
}

/// A profile with every measured record in `performanceStats` (`benchmarks list --format=json`
/// and the site's `api/v1/benchmarks/<id>.json`); `records` is
/// [`ProfileSummary::record_evaluations`], computed once by the caller for its table too.
/// Prices are stated once in `prices` (they are the machine's, the same at every point); each
/// point's `cost` carries only its cost per million tokens.
pub fn all_points_json(
    s: &ProfileSummary,
    records: &[Evaluation],
    ratio: f64,
    pricing_model: PricingModel,
) -> Value {
    let ctx = PointContext {
        kind: "all-measured-points",
        knee: &s.knee,
        stat: s.stat,
        pricing_model,
        ratio,
    };
    let mut entry = profile_json(&s.profile, &s.at_knee, &ctx);
    entry["performanceStats"] = Value::Array(
        records
            .iter()
            .map(|ev| {
                let scale = PointScale {
                    stat: s.stat,
                    accelerators: s.profile.key.accelerator_count,
                    first: pricing_model,
                    ratio,
                };
                let mut stats = point_figures(&ev.point, &scale);
                stats["cost"] = chosen_first(&ev.costs, pricing_model)
                    .into_iter()
                    .map(point_cost_json)
                    .collect();
                stats
            })
            .collect(),
    );
    entry["prices"] = chosen_first(&s.at_knee.costs, pricing_model)
        .into_iter()
        .map(|c| price_json(c, ratio))
        .collect();
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

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
