//! The downloads and the static JSON API: tables as Parquet and CSV, the reports,
//! `api/v1/index.json` for the pages' script, `profiles.json`, `models.json` and one
//! `benchmarks/<profile>.json` per profile.

use crate::api::{PointContext, profile_json};
use pipeline::analysis::knee::first_falling_behind;
use pipeline::pricing::PricingModel;
use serde_json::{Value, json};

use super::*;

pub(super) fn write_data(w: &SiteWriter, input: &SiteInput) -> Result<(), SiteError> {
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
pub(super) fn index_json(input: &SiteInput, pages: &[ProfilePage]) -> Value {
    let pct = input.cfg.percentile;
    let profiles: Vec<Value> = pages
        .iter()
        .map(|p| {
            let s = p.summary;
            let k = &s.profile.key;
            let display = s.stat;
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
                "topology": k.topology.label(),
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

pub(super) fn to_json_bytes(v: &Value) -> Result<Vec<u8>, SiteError> {
    let mut text = serde_json::to_string(v).map_err(|e| SiteError::Data(e.to_string()))?;
    text.push('\n');
    Ok(text.into_bytes())
}

pub(super) fn write_api(
    w: &SiteWriter,
    input: &SiteInput,
    pages: &[ProfilePage],
    models: &[ModelView],
) -> Result<(), SiteError> {
    let ratio = input.cfg.output_input_cost_ratio;
    // Serialized entry by entry: the whole array as one value tree would cost far more memory
    // than its bytes at thousands of profiles.
    let mut all: Vec<u8> = b"[".to_vec();
    for (i, p) in pages.iter().enumerate() {
        let s = p.summary;
        let ctx = PointContext {
            kind: "knee",
            knee: &s.knee,
            stat: s.stat,
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
                .filter_map(|m| m.file.as_ref().map(|f| json!(f)))
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
