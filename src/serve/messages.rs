//! The API's `Profile`, `PerformanceStats`, `Cost` and `PerformanceRange` messages from the
//! catalog's summaries, and manifests split into `KubernetesManifest`s.

use super::api_error::{ApiError, ApiResult};
use super::cli_args;
use super::proto::{amount, int32};
use crate::catalog::Catalog;
use crate::cmd::query::ProfileAtPoint;
use pipeline::analysis::{Evaluation, ProfileSummary};
use pipeline::pricing::PricingModel;
use serde_json::{Map, Value, json};

/// A profile and the points of it an answer shows (its knee or operating point, or every
/// measured record).
pub struct Catalogued<'a> {
    summary: &'a ProfileSummary,
    points: Vec<&'a Evaluation>,
}

impl<'a> Catalogued<'a> {
    pub fn at(r: &'a ProfileAtPoint<'a>) -> Self {
        Self {
            summary: r.summary,
            points: vec![&r.evaluation],
        }
    }

    pub fn records(summary: &'a ProfileSummary, records: &'a [Evaluation]) -> Self {
        Self {
            summary,
            points: records.iter().collect(),
        }
    }
}

fn insert_int(map: &mut Map<String, Value>, name: &str, v: Option<f64>) {
    if let Some(n) = int32(v) {
        map.insert(name.into(), json!(n));
    }
}

/// One point's `PerformanceStats`: int32 metrics rounded, the catalog's statistic, one `Cost`
/// per priced pricing model (the requested one first; unpriced ones are left out, never 0).
pub fn performance_stats(
    s: &ProfileSummary,
    ev: &Evaluation,
    first: PricingModel,
    ratio: f64,
) -> Value {
    let p = &ev.point;
    let stat = s.stat;
    let mut m = Map::new();
    if let Some(qps) = p.request_rate() {
        m.insert("queriesPerSecond".into(), json!(qps));
    }
    insert_int(&mut m, "outputTokensPerSecond", Some(p.output_tokens_per_s));
    insert_int(&mut m, "inputTokensPerSecond", p.input_tokens_per_s());
    insert_int(&mut m, "totalTokensPerSecond", p.total_tokens_per_s());
    insert_int(&mut m, "ntpotMilliseconds", stat.of(&p.ntpot));
    insert_int(&mut m, "ttftMilliseconds", stat.of(&p.ttft));
    insert_int(&mut m, "itlMilliseconds", stat.of(&p.itl));
    let mut costs: Vec<_> = ev.costs.iter().filter(|c| c.cost.is_some()).collect();
    costs.sort_by_key(|c| (c.model != first, c.model));
    let costs: Vec<Value> = costs
        .into_iter()
        .filter_map(|c| {
            let cost = c.cost?;
            Some(json!({
                "costPerMillionOutputTokens": amount(cost.usd_per_million_output),
                "costPerMillionInputTokens": amount(cost.usd_per_million_input),
                "pricingModel": c.model.as_str(),
                "outputInputCostRatio": ratio,
            }))
        })
        .collect();
    m.insert("cost".into(), Value::Array(costs));
    Value::Object(m)
}

/// A `Profile` message, with infercat's own identity fields beside the API's.
pub fn profile_message(cat: &Catalog, c: Catalogued, first: PricingModel) -> Value {
    let s = c.summary;
    let k = &s.profile.key;
    let ratio = cat.cfg.output_input_cost_ratio;
    let mut m = Map::new();
    m.insert(
        "modelServerInfo".into(),
        json!({"model": k.model, "modelServer": k.model_server, "modelServerVersion": k.model_server_version}),
    );
    m.insert("acceleratorType".into(), json!(k.accelerator));
    if let Some(i) = &k.instance_type {
        m.insert("instanceType".into(), json!(i));
    }
    m.insert(
        "resourcesUsed".into(),
        json!({"acceleratorCount": k.accelerator_count}),
    );
    m.insert(
        "performanceStats".into(),
        Value::Array(
            c.points
                .iter()
                .map(|ev| performance_stats(s, ev, first, ratio))
                .collect(),
        ),
    );
    m.insert(
        "workloadSpec".into(),
        json!(site_gen::api::workload_spec(&s.profile)),
    );
    m.insert("profileId".into(), json!(s.profile.id));
    if let Some(v) = &k.variant {
        m.insert("variant".into(), json!(v));
    }
    m.insert("workload".into(), json!(k.workload));
    Value::Object(m)
}

/// The combined range of the first `PerformanceStats` of every profile in an answer.
pub fn performance_range(profiles: &[Value]) -> Value {
    let range = |field: &str| -> Option<Value> {
        let values: Vec<i64> = profiles
            .iter()
            .filter_map(|p| p["performanceStats"][0][field].as_i64())
            .collect();
        Some(json!({"min": values.iter().min()?, "max": values.iter().max()?}))
    };
    let mut m = Map::new();
    for (name, field) in [
        ("throughputOutputRange", "outputTokensPerSecond"),
        ("ttftRange", "ttftMilliseconds"),
        ("ntpotRange", "ntpotMilliseconds"),
        ("itlRange", "itlMilliseconds"),
    ] {
        if let Some(r) = range(field) {
            m.insert(name.into(), r);
        }
    }
    Value::Object(m)
}

/// One YAML document of a manifest.
pub struct KubernetesManifest {
    pub kind: String,
    pub api_version: String,
    pub content: String,
}

/// `manifests create <flags>` split the way the API returns it: one entry per YAML document,
/// the setup comments as lines, and the generator and profile as the manifest version.
pub fn manifest_parts(
    cat: &Catalog,
    flags: &[String],
) -> ApiResult<(Vec<KubernetesManifest>, Vec<String>, String)> {
    let args = cli_args::manifests_create(flags, cat)?;
    let (manifest, profile_id) =
        crate::cmd::manifests::manifest(cat, &args).map_err(ApiError::from_cli)?;
    let documents = split_documents(&manifest.yaml);
    let comments = manifest
        .comments
        .lines()
        .map(|l| {
            l.strip_prefix("# ")
                .or_else(|| l.strip_prefix('#'))
                .unwrap_or(l)
                .to_string()
        })
        .collect();
    Ok((
        documents,
        comments,
        format!("{}; profile {profile_id}", site_gen::GENERATOR),
    ))
}

/// Splits multi-document YAML at its `---` lines, naming each document's kind and apiVersion.
pub fn split_documents(yaml: &str) -> Vec<KubernetesManifest> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut flush = |text: &mut String| {
        let content = std::mem::take(text);
        let top = |key: &str| {
            content
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().trim_matches('"').to_string())
                .unwrap_or_default()
        };
        if content.lines().any(|l| l.starts_with("kind:")) {
            docs.push(KubernetesManifest {
                kind: top("kind:"),
                api_version: top("apiVersion:"),
                content: content.trim_end_matches('\n').to_string(),
            });
        }
    };
    for line in yaml.lines() {
        if line == "---" {
            flush(&mut current);
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    flush(&mut current);
    docs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_split_with_their_kind() {
        let docs = split_documents(
            "# c\napiVersion: apps/v1\nkind: Deployment\n---\napiVersion: v1\nkind: Service\n",
        );
        assert_eq!(docs.len(), 2);
        assert_eq!(
            (docs[0].kind.as_str(), docs[0].api_version.as_str()),
            ("Deployment", "apps/v1")
        );
        assert!(docs[0].content.starts_with("# c\n"));
        assert_eq!(docs[1].kind, "Service");
    }
}
