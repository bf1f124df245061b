//! The template views: what a page shows of a profile, built once per profile from pipeline
//! types (labels, the knee, cost cells, the per-point table).

use pipeline::analysis::knee::KneeMethod;
use pipeline::analysis::{PriceAt, Profile, ProfileSummary, costs_at};
use pipeline::point::{Load, MeasuredPoint};
use pipeline::pricing::PricingModel;
use serde_json::{Value, json};

use super::*;

pub(super) use crate::format::{load as load_text, num};

/// Short human label for a profile within its model.
pub(super) fn profile_label(s: &ProfileSummary) -> String {
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
pub(super) fn point_name(method: KneeMethod) -> &'static str {
    match method {
        KneeMethod::PiecewiseFit | KneeMethod::SaturationRule => "knee",
        KneeMethod::NotObserved => "highest point",
        KneeMethod::BelowRange | KneeMethod::MaxThroughputOnly => "capacity",
    }
}

pub(super) fn cost_cells(costs: &[PriceAt]) -> Vec<Value> {
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

pub(super) struct ProfilePage<'a> {
    pub(super) summary: &'a ProfileSummary,
    pub(super) model_slug: String,
    pub(super) color: &'static str,
    pub(super) manifests: Vec<Value>,
    pub(super) cli_command: String,
    pub(super) fingerprint: String,
    pub(super) reused: bool,
}

/// Requested and measured prompt/output lengths of a profile, e.g. "requested 1024/128
/// tokens, measured 1019/127".
pub(super) fn lengths_text(profile: &Profile) -> String {
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
pub(super) fn profile_view(p: &ProfilePage, input: &SiteInput, with_points: bool) -> Value {
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
    let band = crate::format::band_target(stat.of(&knee.ntpot));
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
        "band_target_text": band.map_or("n/a".to_string(), |b| format!("{b} ({}× the knee's NTPOT)", crate::format::BAND_FACTOR)),
        "sources": profile.sources.iter().map(|src| json!({"file": src.file, "tool": src.tool, "origin": src.origin, "license": src.license})).collect::<Vec<_>>(),
        "manifests": p.manifests,
        "cli_command": p.cli_command,
    })
}
