//! The GKE Recommender API **v1alpha1**, the methods the installed gcloud (CLI 528) calls for
//! `gcloud alpha container ai profiles …`: models, model servers, versions, accelerators,
//! model-and-server combinations, optimized manifest. Query parameters carry the request
//! (`modelName`, `performanceRequirements.maxNtpotMilliseconds`, …).

use super::api_error::{ApiError, ApiResult};
use super::cli_args;
use super::lookups::Lookups;
use super::messages::manifest_parts;
use super::proto::{int32, number_param, param};
use crate::catalog::Catalog;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

type Query = HashMap<String, String>;

/// `ANY`, `LATEST` and absent are the API's wildcards.
fn specific<'a>(q: &'a Query, name: &str) -> Option<&'a str> {
    param(q, name).filter(|v| !matches!(*v, "ANY" | "LATEST"))
}

/// `GET /v1alpha1/models`
pub fn models(cat: &Catalog) -> Value {
    json!({"modelNames": cat.values(|p| Some(p.key.model.clone()))})
}

/// `GET /v1alpha1/modelServers?modelName=`
pub fn model_servers(cat: &Catalog, q: &Query) -> ApiResult<Value> {
    let model = specific(q, "modelName");
    if let Some(m) = model {
        cat.require_model(m)?;
    }
    let names = cat.values(|p| {
        model
            .is_none_or(|m| p.key.model == m)
            .then(|| p.key.model_server.clone())
    });
    Ok(json!({"modelServerNames": names}))
}

/// `GET /v1alpha1/modelServers/{server}/versions?modelName=`
pub fn model_server_versions(cat: &Catalog, server: &str, q: &Query) -> ApiResult<Value> {
    let model = specific(q, "modelName");
    let names = match model {
        Some(m) => {
            cat.require_server(m, server)?;
            cat.values(|p| {
                (p.key.model == m && p.key.model_server == server)
                    .then(|| p.key.model_server_version.clone())
            })
        }
        None => {
            let all = cat.values(|p| {
                (p.key.model_server == server).then(|| p.key.model_server_version.clone())
            });
            if all.is_empty() {
                return Err(ApiError::not_found(format!(
                    "model server `{server}` is not in this catalog"
                )));
            }
            all
        }
    };
    Ok(json!({"modelServerVersions": names}))
}

/// `GET /v1alpha1/modelsAndServers?modelName=&modelServerName=&modelServerVersion=`
pub fn models_and_servers(cat: &Catalog, q: &Query) -> ApiResult<Value> {
    let (model, server, version) = (
        specific(q, "modelName"),
        specific(q, "modelServerName"),
        specific(q, "modelServerVersion"),
    );
    let combos: BTreeSet<(String, String, String)> = cat
        .profiles
        .iter()
        .map(|s| &s.profile.key)
        .filter(|k| {
            model.is_none_or(|m| k.model == m)
                && server.is_none_or(|v| k.model_server == v)
                && version.is_none_or(|v| k.model_server_version == v)
        })
        .map(|k| {
            (
                k.model.clone(),
                k.model_server.clone(),
                k.model_server_version.clone(),
            )
        })
        .collect();
    let infos: Vec<Value> = combos
        .into_iter()
        .map(|(m, s, v)| json!({"modelName": m, "modelServerName": s, "modelServerVersion": v}))
        .collect();
    Ok(json!({"modelAndModelServerInfo": infos}))
}

/// `GET /v1alpha1/accelerators?modelName=&modelServerName=&modelServerVersion=&
/// performanceRequirements.maxNtpotMilliseconds=`: `profiles list` for the model (an NTPOT
/// target below the API's 999999 "none" default becomes `--target-ntpot-milliseconds`).
pub fn accelerators(cat: &Catalog, q: &Query) -> ApiResult<Value> {
    let model =
        specific(q, "modelName").ok_or_else(|| ApiError::invalid("`modelName` is required"))?;
    cat.require_model(model)?;
    let mut flags = vec![format!("--model={model}")];
    let server = specific(q, "modelServerName");
    if let Some(s) = server {
        cat.require_server(model, s)?;
        flags.push(format!("--model-server={s}"));
    }
    // gcloud always sends the field default LATEST: with no server named, that is the latest
    // version of each server.
    let latest_of_each =
        server.is_none() && matches!(param(q, "modelServerVersion"), Some("LATEST") | None);
    match (param(q, "modelServerVersion"), server) {
        (Some("LATEST") | None, Some(s)) => {
            flags.push(format!(
                "--model-server-version={}",
                cat.latest_version(model, s)?
            ));
        }
        (Some(v), _) if v != "ANY" && v != "LATEST" => {
            flags.push(format!("--model-server-version={v}"));
        }
        _ => {}
    }
    let max_ntpot = number_param(q, "performanceRequirements.maxNtpotMilliseconds")?;
    if let Some(t) = max_ntpot.filter(|t| *t < 999_999.0) {
        flags.push(format!("--target-ntpot-milliseconds={t}"));
    }
    let args = cli_args::profiles_list(&flags, cat)?;
    let mut rows = crate::cmd::query::select_profiles(cat, &args).map_err(ApiError::from_cli)?;
    if latest_of_each {
        // One lookup per server, not per row.
        let mut latest: HashMap<&str, String> = HashMap::new();
        for r in &rows {
            let server = r.profile.key.model_server.as_str();
            if !latest.contains_key(server) {
                latest.insert(server, cat.latest_version(model, server)?);
            }
        }
        rows.retain(|r| {
            latest.get(r.profile.key.model_server.as_str())
                == Some(&r.profile.key.model_server_version)
        });
    }
    let options: Vec<Value> = rows
        .iter()
        .map(|r| {
            let k = &r.profile.key;
            let p = &r.evaluation.point;
            let stat = r.summary.stat;
            json!({
                "acceleratorType": k.accelerator,
                "machineType": k.instance_type,
                "modelAndModelServerInfo": {
                    "modelName": k.model, "modelServerName": k.model_server,
                    "modelServerVersion": k.model_server_version,
                },
                "performanceStats": {
                    "ntpotMilliseconds": int32(stat.of(&p.ntpot)),
                    "outputTokensPerSecond": int32(Some(p.output_tokens_per_s)),
                    "queriesPerSecond": int32(p.request_rate()),
                },
                "resourcesUsed": {"acceleratorCount": k.accelerator_count},
            })
        })
        .collect();
    let values = |field: &str| -> Vec<i64> {
        options
            .iter()
            .filter_map(|o| o["performanceStats"][field].as_i64())
            .collect()
    };
    let (ntpot, tput) = (values("ntpotMilliseconds"), values("outputTokensPerSecond"));
    Ok(json!({
        "acceleratorOptions": options,
        "minNtpotMilliseconds": ntpot.iter().min(),
        "maxNtpotMilliseconds": ntpot.iter().max(),
        "minThroughputTokensPerSecond": tput.iter().min(),
        "maxThroughputTokensPerSecond": tput.iter().max(),
    }))
}

/// `GET /v1alpha1/optimizedManifest?…`: `manifests create` with the query's fields.
pub fn optimized_manifest(cat: &Catalog, q: &Query) -> ApiResult<Value> {
    let required = |name: &str| {
        specific(q, name).ok_or_else(|| ApiError::invalid(format!("`{name}` is required")))
    };
    let (model, server) = (
        required("modelAndModelServerInfo.modelName")?,
        required("modelAndModelServerInfo.modelServerName")?,
    );
    cat.require_server(model, server)?;
    let mut flags = vec![
        format!("--model={model}"),
        format!("--model-server={server}"),
        format!("--accelerator-type={}", required("acceleratorType")?),
    ];
    if let Some(v) = specific(q, "modelAndModelServerInfo.modelServerVersion") {
        flags.push(format!("--model-server-version={v}"));
    }
    if let Some(ns) = param(q, "kubernetesNamespace") {
        flags.push(format!("--namespace={ns}"));
    }
    if let Some(uri) = param(q, "storageConfig.modelBucketUri") {
        flags.push(format!("--model-bucket-uri={uri}"));
    }
    if let Some(t) = number_param(q, "targetNtpotMilliseconds")? {
        flags.push(format!("--target-ntpot-milliseconds={t}"));
    }
    let (manifests, comments, _) = manifest_parts(cat, &flags)?;
    let manifests: Vec<Value> = manifests
        .into_iter()
        .map(|m| json!({"apiVersion": m.api_version, "content": m.content, "kind": m.kind}))
        .collect();
    Ok(json!({"k8sManifests": manifests, "comments": comments}))
}
