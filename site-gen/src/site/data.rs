//! The downloads and the static JSON API: tables as Parquet and CSV, the reports,
//! `api/v1/index.json` for the pages' script, `profiles.json`, `models.json` and one
//! `benchmarks/<profile>.json` per profile.

use super::caveats::caveats;
use crate::api::{PointContext, profile_json, workload_spec};
use pipeline::analysis::knee::{find_knee, first_falling_behind};
use pipeline::analysis::percentile::Percentile;
use pipeline::analysis::sizing::SIZING_HEADROOM;
use pipeline::point::MeasuredPoint;
use pipeline::pricing::PricingModel;
use rayon::prelude::*;
use serde_json::{Value, json};
use std::io::Write;

use super::*;

pub(super) fn write_data(w: &SiteWriter, input: &SiteInput) -> Result<(), SiteError> {
    for name in ["benchmarks", "profiles"] {
        let parquet = input.data_dir.join(format!("{name}.parquet"));
        w.link_or_copy(&parquet, &format!("data/{name}.parquet"))?;
        let csv = input.data_dir.join(format!("{name}.csv"));
        if csv.is_file() {
            w.link_or_copy(&csv, &format!("data/{name}.csv"))?;
        } else {
            // Tables written before CSV copies sat beside them.
            let csv = pipeline::schema::parquet_to_csv(&parquet)
                .map_err(|e| SiteError::Data(e.to_string()))?;
            w.write(&format!("data/{name}.csv"), &csv)?;
        }
    }
    for name in ["ingest-report.json", "price-report.json"] {
        w.copy(&input.data_dir.join(name), &format!("data/{name}"))?;
    }
    Ok(())
}

/// The statistics a planner target can be set at, in the order of each curve row's last column.
pub(super) const TARGET_STATISTICS: [Percentile; 4] = [
    Percentile::Mean,
    Percentile::P50,
    Percentile::P90,
    Percentile::P99,
];

/// One curve row: `[load kind, load, qps, output tok/s, input tok/s, per-user tok/s, NTPOT,
/// TTFT, ITL, [[NTPOT, TTFT, ITL] per statistic]]` — the displayed statistic first, then the
/// strict values a target at each of [`TARGET_STATISTICS`] is checked against (the CLI's rule:
/// an unreported statistic fails the target).
fn curve_row(pt: &MeasuredPoint, display: Percentile) -> Value {
    let strict: Vec<Value> = TARGET_STATISTICS
        .iter()
        .map(|s| json!([s.of(&pt.ntpot), s.of(&pt.ttft), s.of(&pt.itl)]))
        .collect();
    json!([
        pt.load.kind(),
        pt.load.value(),
        pt.request_rate(),
        pt.output_tokens_per_s,
        pt.input_tokens_per_s,
        pt.per_user_tokens_per_s(|l| display.of(l)),
        display.of(&pt.ntpot),
        display.of(&pt.ttft),
        display.of(&pt.itl),
        strict
    ])
}

/// The knee under each target statistic, as `[index or null, operable]`: `manifests create
/// --percentile=<s>` finds its knee the same way.
fn knees_by_statistic(points: &[MeasuredPoint]) -> Value {
    let knees: serde_json::Map<String, Value> = TARGET_STATISTICS
        .iter()
        .map(|s| {
            let knee = find_knee(points, *s);
            (
                s.to_string(),
                json!([
                    knee.as_ref().map(|k| k.index),
                    knee.is_some_and(|k| k.method.is_operable())
                ]),
            )
        })
        .collect();
    Value::Object(knees)
}

/// One profile's entry in `api/v1/index.json`.
fn index_entry(s: &ProfileSummary) -> Value {
    let k = &s.profile.key;
    let spec = workload_spec(&s.profile);
    json!({
        "profileId": s.profile.id,
        "model": k.model,
        "modelServer": k.model_server,
        "version": k.model_server_version,
        "acceleratorType": k.accelerator,
        "acceleratorCount": k.accelerator_count,
        "instanceType": k.instance_type,
        "variant": k.variant,
        "topology": k.topology.label(),
        "disaggregated": k.topology.is_disaggregated(),
        "workload": k.workload,
        "useCase": k.use_case,
        "lengths": [spec["averageInputLength"], spec["averageOutputLength"]],
        "caveats": caveats(&s.profile).iter().map(|c| json!([c.badge, c.text])).collect::<Vec<_>>(),
        "kneeIndex": s.knee.index,
        "kneeOperable": s.knee.method.is_operable(),
        "knees": knees_by_statistic(&s.profile.points),
        "usablePoints": first_falling_behind(&s.profile.points).unwrap_or(s.profile.points.len()),
        "prices": PricingModel::ALL.iter().map(|m| s.at_knee.cost(*m).and_then(|c| c.usd_per_hour())).collect::<Vec<_>>(),
        "curve": s.profile.points.iter().map(|pt| curve_row(pt, s.stat)).collect::<Vec<_>>(),
    })
}

/// The compact table the pages' script (filters, planner, compare) works from: per profile its
/// key fields, caveats, knees, how many leading points targets may use (the CLI's rule: none
/// from the first that falls behind its requested rate), machine prices per pricing model and
/// its curve ([`curve_row`]).
pub(super) fn write_index_json(
    out: &mut impl Write,
    input: &SiteInput,
    pages: &[ProfilePage],
) -> Result<(), SiteError> {
    let head = json!({
        "pricingModels": PricingModel::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "outputInputCostRatio": input.cfg.output_input_cost_ratio,
        "percentile": input.cfg.percentile.to_string(),
        "pricingModel": input.pricing_model.as_str(),
        "statistics": TARGET_STATISTICS.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        "sizingHeadroom": SIZING_HEADROOM,
    });
    let mut text = to_json_bytes(&head)?;
    // `{…}\n` becomes `{…,"profiles":[…]}\n`, the entries streamed ([`write_json_array`]).
    text.truncate(text.len() - 2);
    text.extend_from_slice(br#","profiles":"#);
    out.write_all(&text).map_err(SiteError::Write)?;
    write_json_array(out, pages, |p| Ok(index_entry(p.summary)))?;
    out.write_all(b"}\n").map_err(SiteError::Write)
}

/// How many entries of a JSON array are built before they are written: the text in memory at
/// once is this many entries' (about 4 MB of `profiles.json`), whatever the catalog's size.
const ARRAY_BATCH: usize = 1024;

/// Writes a JSON array of one value per item to `out`, a batch at a time: each batch's entries
/// built and serialized on both cores, written in order, then dropped. Never the whole array
/// as one value tree, nor its whole text.
pub(super) fn write_json_array<T: Sync>(
    out: &mut impl Write,
    items: &[T],
    entry: impl Fn(&T) -> Result<Value, SiteError> + Sync,
) -> Result<(), SiteError> {
    let mut separator: &[u8] = b"[";
    for batch in items.chunks(ARRAY_BATCH) {
        let parts: Vec<Vec<u8>> = batch
            .par_chunks(64)
            .map(|chunk| {
                let mut bytes = Vec::new();
                for item in chunk {
                    bytes.push(b',');
                    serde_json::to_writer(&mut bytes, &entry(item)?)
                        .map_err(|e| SiteError::Data(e.to_string()))?;
                }
                Ok(bytes)
            })
            .collect::<Result<_, SiteError>>()?;
        for part in parts {
            // Every entry starts with a comma: the array's first one is its opening bracket.
            out.write_all(separator).map_err(SiteError::Write)?;
            out.write_all(&part[1..]).map_err(SiteError::Write)?;
            separator = b",";
        }
    }
    if separator == b"[" {
        out.write_all(b"[").map_err(SiteError::Write)?;
    }
    out.write_all(b"]").map_err(SiteError::Write)
}

pub(super) fn to_json_bytes(v: &Value) -> Result<Vec<u8>, SiteError> {
    let mut text = serde_json::to_string(v).map_err(|e| SiteError::Data(e.to_string()))?;
    text.push('\n');
    Ok(text.into_bytes())
}

/// One profile's entry in `api/v1/profiles.json`: its Quickstart-shaped profile at the knee
/// (each cost entry states the machine's price under its pricing model), its page and manifest
/// files.
fn profile_entry(input: &SiteInput, p: &ProfilePage) -> Value {
    let s = p.summary;
    let ratio = input.cfg.output_input_cost_ratio;
    let ctx = PointContext {
        kind: "knee",
        knee: &s.knee,
        stat: s.stat,
        pricing_model: input.pricing_model,
        ratio,
    };
    let mut entry = profile_json(&s.profile, &s.at_knee, &ctx);
    entry["outputInputCostRatio"] = json!(ratio);
    entry["page"] = json!(format!("profiles/{}.html", s.profile.id));
    entry["manifests"] = Value::Array(
        p.manifests
            .iter()
            .filter_map(|m| m.file.as_ref().map(|f| json!(f)))
            .collect(),
    );
    entry
}

pub(super) fn write_api(
    w: &SiteWriter,
    input: &SiteInput,
    pages: &[ProfilePage],
    models: &[ModelView],
) -> Result<(), SiteError> {
    w.stream("api/v1/profiles.json", |out| {
        write_json_array(out, pages, |p| Ok(profile_entry(input, p)))?;
        out.write_all(b"\n").map_err(SiteError::Write)
    })?;
    w.stream("api/v1/index.json", |out| {
        write_index_json(out, input, pages)
    })?;
    let models_json: Vec<Value> = models
        .iter()
        .map(|m| {
            json!({
                "model": m.model,
                "page": format!("models/{}.html", m.slug),
                "profileIds": m.profiles.iter().map(|p| p.id).collect::<Vec<_>>(),
                "modelServers": m.servers,
                "acceleratorTypes": m.accelerators,
                "parametersBillion": m.parameters_billion,
            })
        })
        .collect();
    w.write(
        "api/v1/models.json",
        &to_json_bytes(&Value::Array(models_json))?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_arrays_are_whole_at_any_length() {
        // Across the batch boundary too (ARRAY_BATCH = 1024): the separator carries over.
        for n in [0usize, 1, 63, 64, 65, 1000, 1023, 1024, 1025, 2049] {
            let items: Vec<usize> = (0..n).collect();
            let mut bytes = Vec::new();
            write_json_array(&mut bytes, &items, |i| Ok(json!({ "i": i }))).unwrap();
            let at_once: Vec<Value> = items.iter().map(|i| json!({ "i": i })).collect();
            assert_eq!(
                bytes,
                serde_json::to_vec(&at_once).unwrap(),
                "{n} items: the bytes of the array serialized whole"
            );
        }
    }

    #[test]
    fn an_entry_that_fails_fails_the_array() {
        let items = [1, 2, 3];
        let failed = write_json_array(&mut Vec::new(), &items, |i| {
            if *i == 2 {
                Err(SiteError::Data("no".into()))
            } else {
                Ok(json!(i))
            }
        });
        assert!(failed.is_err());
    }
}
