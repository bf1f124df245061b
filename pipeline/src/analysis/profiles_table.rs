//! `profiles.parquet`: one row per profile, summarized at its knee. This module owns the columns.
//!
//! | column | type | meaning |
//! |---|---|---|
//! | profile_id, model, model_server, model_server_version, accelerator, accelerator_count, instance_type, variant, workload, use_case | str / u32 | the profile key (SPEC §5) |
//! | synthetic | bool | generated data |
//! | notes | str? | caveats from run.toml |
//! | server_args | str | JSON array of server flags |
//! | sources | str | JSON array of `{file, tool, origin, license}` for every raw file |
//! | n_points | u32 | measured points on the curve |
//! | latency_stat | str | statistic of the latencies below: `--percentile` (p50 by default), or `mean` for curves whose tool reports means only |
//! | knee_method | str | `piecewise-linear-fit`, `saturation-rule`, `no-knee-observed`, `max-throughput-only` or `below-measured-range` (the last two: no usable knee; the knee columns show the capacity reached) |
//! | knee_reason | str | why this point (one sentence) |
//! | knee_load_kind, knee_load | str, f64? | the knee's load (req/s or concurrency; null if unbounded) |
//! | knee_requests_per_s, knee_input_tokens_per_s, knee_output_tokens_per_s | f64? | throughput at the knee |
//! | knee_ntpot_ms, knee_ttft_ms, knee_itl_ms, knee_e2e_ms | f64? | latency at the knee (percentile above) |
//! | peak_output_tokens_per_s | f64 | highest throughput measured |
//! | min_/max_ntpot_ms, min_/max_ttft_ms, min_/max_itl_ms | f64? | latency range over the curve |
//! | output_input_cost_ratio | f64 | `r` in the cost formula |
//! | `<pm>`_usd_per_hour | f64? | machine price; `<pm>` = on_demand, spot, cud_1y, cud_3y |
//! | `<pm>`_region | str | region the price is from |
//! | `<pm>`_price_source | str | where the price came from, or why there is none |
//! | `<pm>`_cost_per_m_input_tokens, `<pm>`_cost_per_m_output_tokens | f64? | USD per million tokens at the knee; null = N/A |
//! | hpa_signal, hpa_metric | str? | `queue-size` / `batch-size` and the Prometheus metric |
//! | hpa_value, hpa_threshold | f64? | metric value at the knee and the HPA AverageValue |
//! | hpa_value_source | str? | `prometheus` or `littles-law` |
//! | hpa_note | str? | why there is no HPA, or a caveat |
//! | expected_qps, replicas | f64?, u32? | sizing at the knee when `--expected-qps` is given |

use super::{AnalysisConfig, ProfileSummary};
use crate::point::{Latency, MeasuredPoint};
use crate::pricing::PricingModel;
use polars::prelude::*;

fn s<'a>(
    name: &str,
    rows: &'a [ProfileSummary],
    f: impl Fn(&'a ProfileSummary) -> Option<String>,
) -> Column {
    Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
}

fn f(name: &str, rows: &[ProfileSummary], g: impl Fn(&ProfileSummary) -> Option<f64>) -> Column {
    Column::new(name.into(), rows.iter().map(g).collect::<Vec<_>>())
}

/// Picks one latency metric of a point.
type LatencyOf = fn(&MeasuredPoint) -> &Latency;

/// Builds the profiles table.
pub fn to_dataframe(rows: &[ProfileSummary], cfg: &AnalysisConfig) -> PolarsResult<DataFrame> {
    // The column groups are independent: made on both cores.
    let ((mut cols, knee), (range, (costs, hpa))) = rayon::join(
        || (key_columns(rows), knee_columns(rows)),
        || {
            (
                range_columns(rows),
                rayon::join(|| cost_columns(rows), || hpa_columns(rows)),
            )
        },
    );
    cols.extend(knee);
    cols.extend(range);
    cols.push(f("output_input_cost_ratio", rows, |_| {
        Some(cfg.output_input_cost_ratio)
    }));
    cols.extend(costs);
    cols.extend(hpa);
    cols.push(f("expected_qps", rows, |_| cfg.expected_qps));
    cols.push(Column::new(
        "replicas".into(),
        rows.iter().map(|r| r.at_knee.replicas).collect::<Vec<_>>(),
    ));
    DataFrame::new(rows.len(), cols)
}

/// The profile key, provenance and curve size.
fn key_columns(rows: &[ProfileSummary]) -> Vec<Column> {
    vec![
        s("profile_id", rows, |r| Some(r.profile.id.clone())),
        s("model", rows, |r| Some(r.profile.key.model.clone())),
        s("model_server", rows, |r| {
            Some(r.profile.key.model_server.clone())
        }),
        s("model_server_version", rows, |r| {
            Some(r.profile.key.model_server_version.clone())
        }),
        s("accelerator", rows, |r| {
            Some(r.profile.key.accelerator.clone())
        }),
        Column::new(
            "accelerator_count".into(),
            rows.iter()
                .map(|r| r.profile.key.accelerator_count)
                .collect::<Vec<_>>(),
        ),
        s("instance_type", rows, |r| {
            r.profile.key.instance_type.clone()
        }),
        s("variant", rows, |r| r.profile.key.variant.clone()),
        s("workload", rows, |r| Some(r.profile.key.workload.clone())),
        s("use_case", rows, |r| Some(r.profile.key.use_case.clone())),
        Column::new(
            "synthetic".into(),
            rows.iter().map(|r| r.profile.synthetic).collect::<Vec<_>>(),
        ),
        s("notes", rows, |r| r.profile.notes.clone()),
        s("server_args", rows, |r| {
            serde_json::to_string(&r.profile.server_args).ok()
        }),
        s("sources", rows, |r| {
            let list: Vec<serde_json::Value> = r
                .profile
                .sources
                .iter()
                .map(|p| serde_json::json!({"file": p.file, "tool": p.tool, "origin": p.origin, "license": p.license}))
                .collect();
            serde_json::to_string(&list).ok()
        }),
        Column::new(
            "n_points".into(),
            rows.iter()
                .map(|r| r.profile.points.len() as u32)
                .collect::<Vec<_>>(),
        ),
        s("latency_stat", rows, |r| Some(r.stat.to_string())),
    ]
}

/// The knee (or its stand-in): method, reason, load, throughput and latency.
fn knee_columns(rows: &[ProfileSummary]) -> Vec<Column> {
    let at = |r: &ProfileSummary, pick: LatencyOf| r.stat.of(pick(&r.at_knee.point));
    vec![
        s("knee_method", rows, |r| {
            Some(r.knee.method.as_str().to_string())
        }),
        s("knee_reason", rows, |r| Some(r.knee.reason.clone())),
        s("knee_load_kind", rows, |r| {
            Some(r.at_knee.point.load.kind().to_string())
        }),
        f("knee_load", rows, |r| r.at_knee.point.load.value()),
        f("knee_requests_per_s", rows, |r| {
            r.at_knee.point.requests_per_s()
        }),
        f("knee_input_tokens_per_s", rows, |r| {
            r.at_knee.point.input_tokens_per_s()
        }),
        f("knee_output_tokens_per_s", rows, |r| {
            Some(r.at_knee.point.output_tokens_per_s)
        }),
        f("knee_ntpot_ms", rows, |r| at(r, |p| &p.ntpot)),
        f("knee_ttft_ms", rows, |r| at(r, |p| &p.ttft)),
        f("knee_itl_ms", rows, |r| at(r, |p| &p.itl)),
        f("knee_e2e_ms", rows, |r| at(r, |p| &p.e2e)),
    ]
}

/// Peak throughput and the latency range over the whole curve.
fn range_columns(rows: &[ProfileSummary]) -> Vec<Column> {
    let mut cols = vec![f("peak_output_tokens_per_s", rows, |r| {
        r.profile
            .points
            .iter()
            .map(|p| p.output_tokens_per_s)
            .reduce(f64::max)
    })];
    let latencies: [(&str, LatencyOf); 3] = [
        ("ntpot", |p| &p.ntpot),
        ("ttft", |p| &p.ttft),
        ("itl", |p| &p.itl),
    ];
    for (name, pick) in latencies {
        let values = |r: &ProfileSummary| -> Vec<f64> {
            r.profile
                .points
                .iter()
                .filter_map(|p| r.stat.of(pick(p)))
                .collect()
        };
        cols.push(f(&format!("min_{name}_ms"), rows, |r| {
            values(r).into_iter().reduce(f64::min)
        }));
        cols.push(f(&format!("max_{name}_ms"), rows, |r| {
            values(r).into_iter().reduce(f64::max)
        }));
    }
    cols
}

/// Price, region, source and cost per million tokens at the knee, per pricing model.
fn cost_columns(rows: &[ProfileSummary]) -> Vec<Column> {
    let mut cols = Vec::new();
    for model in PricingModel::ALL {
        let p = model.column_prefix();
        cols.push(f(&format!("{p}_usd_per_hour"), rows, |r| {
            price_at(r, model).and_then(|c| c.usd_per_hour())
        }));
        cols.push(s(&format!("{p}_region"), rows, |r| {
            price_at(r, model).map(|c| c.region().to_string())
        }));
        cols.push(s(&format!("{p}_price_source"), rows, |r| {
            price_at(r, model).map(|c| c.source().to_string())
        }));
        cols.push(f(&format!("{p}_cost_per_m_input_tokens"), rows, |r| {
            price_at(r, model)
                .and_then(|c| c.cost)
                .map(|c| c.usd_per_million_input)
        }));
        cols.push(f(&format!("{p}_cost_per_m_output_tokens"), rows, |r| {
            price_at(r, model)
                .and_then(|c| c.cost)
                .map(|c| c.usd_per_million_output)
        }));
    }
    cols
}

/// The machine's price and the costs at the knee under `model`, borrowed (200,000 copies of
/// them were a tenth of the table's time).
fn price_at(r: &ProfileSummary, model: PricingModel) -> Option<&super::PriceAt> {
    r.at_knee.cost(model)
}

fn hpa(r: &ProfileSummary) -> Option<&super::hpa::HpaRecommendation> {
    r.at_knee.hpa.as_ref().ok()
}

/// The autoscaling recommendation at the knee, or why there is none.
fn hpa_columns(rows: &[ProfileSummary]) -> Vec<Column> {
    vec![
        s("hpa_signal", rows, |r| {
            hpa(r).map(|h| h.signal.as_str().to_string())
        }),
        s("hpa_metric", rows, |r| hpa(r).map(|h| h.metric.to_string())),
        f("hpa_value", rows, |r| hpa(r).map(|h| h.value)),
        f("hpa_threshold", rows, |r| hpa(r).map(|h| h.threshold)),
        s("hpa_value_source", rows, |r| {
            hpa(r).map(|h| h.value_source.to_string())
        }),
        s("hpa_note", rows, |r| match &r.at_knee.hpa {
            Ok(h) if h.note.is_empty() => None,
            Ok(h) => Some(h.note.clone()),
            Err(why) => Some(why.clone()),
        }),
    ]
}
