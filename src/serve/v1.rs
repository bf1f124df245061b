//! The GKE Recommender API **v1** (what Google's client libraries and newer gcloud call):
//! `models:fetch`, `modelServers:fetch`, `modelServerVersions:fetch`, `profiles:fetch`,
//! `benchmarkingData:fetch`, `optimizedManifest:generate`, `useCases:fetch`. Each answer comes
//! from the same code as the CLI verb it mirrors, so the numbers are the CLI's.

use super::api_error::{ApiError, ApiResult};
use super::cli_args;
use super::lookups::Lookups;
use super::messages::{Catalogued, manifest_parts, performance_range, profile_message};
use super::proto::{
    amount_value, field, int32_field, number_field, number_param, page, param, required_text,
    text_field,
};
use crate::catalog::Catalog;
use pipeline::workload::USE_CASES;
use serde_json::{Value, json};
use std::collections::HashMap;

type Query = HashMap<String, String>;

/// `GET /v1/models:fetch`
pub fn fetch_models(cat: &Catalog, q: &Query) -> ApiResult<Value> {
    let all = cat.values(|p| Some(p.key.model.clone()));
    let (models, next) = page(&all, number_param(q, "pageSize")?, param(q, "pageToken"))?;
    Ok(json!({"models": models, "nextPageToken": next}))
}

/// `GET /v1/modelServers:fetch?model=`
pub fn fetch_model_servers(cat: &Catalog, q: &Query) -> ApiResult<Value> {
    let model = param(q, "model").ok_or_else(|| ApiError::invalid("`model` is required"))?;
    cat.require_model(model)?;
    let all = cat.values(|p| (p.key.model == model).then(|| p.key.model_server.clone()));
    let (servers, next) = page(&all, number_param(q, "pageSize")?, param(q, "pageToken"))?;
    Ok(json!({"modelServers": servers, "nextPageToken": next}))
}

/// `GET /v1/modelServerVersions:fetch?model=&modelServer=`
pub fn fetch_model_server_versions(cat: &Catalog, q: &Query) -> ApiResult<Value> {
    let model = param(q, "model").ok_or_else(|| ApiError::invalid("`model` is required"))?;
    let server =
        param(q, "modelServer").ok_or_else(|| ApiError::invalid("`modelServer` is required"))?;
    cat.require_server(model, server)?;
    let all = cat.values(|p| {
        (p.key.model == model && p.key.model_server == server)
            .then(|| p.key.model_server_version.clone())
    });
    let (versions, next) = page(&all, number_param(q, "pageSize")?, param(q, "pageToken"))?;
    Ok(json!({"modelServerVersions": versions, "nextPageToken": next}))
}

/// The `profiles list` flags a `PerformanceRequirements` message asks for. A cost ratio other
/// than the catalog's, or a currency other than USD, is refused rather than ignored.
fn requirement_flags(cat: &Catalog, req: Option<&Value>, flags: &mut Vec<String>) -> ApiResult<()> {
    let Some(req) = req else { return Ok(()) };
    for (name, flag) in [
        ("targetNtpotMilliseconds", "--target-ntpot-milliseconds"),
        ("targetTtftMilliseconds", "--target-ttft-milliseconds"),
        ("targetItlMilliseconds", "--target-itl-milliseconds"),
    ] {
        let path = format!("performanceRequirements.{name}");
        if let Some(v) = int32_field(req, name, &path)? {
            flags.push(format!("{flag}={v}"));
        }
    }
    let Some(cost) = field(req, "targetCost") else {
        return Ok(());
    };
    let at = "performanceRequirements.targetCost";
    if let Some(pm) = text_field(cost, "pricingModel", &format!("{at}.pricingModel"))? {
        let model = cli_args::pricing_model(pm)?;
        flags.push(format!("--pricing-model={}", model.as_str()));
    }
    if let Some(r) = number_field(
        cost,
        "outputInputCostRatio",
        &format!("{at}.outputInputCostRatio"),
    )? && (r - cat.cfg.output_input_cost_ratio).abs() > 1e-9
    {
        return Err(ApiError::invalid(format!(
            "`{at}.outputInputCostRatio` {r}: this catalog is costed at {} (start `infercat serve` with --output-input-cost-ratio={r} for another)",
            cat.cfg.output_input_cost_ratio
        )));
    }
    for (name, flag) in [
        (
            "costPerMillionOutputTokens",
            "--target-cost-per-million-output-tokens",
        ),
        (
            "costPerMillionInputTokens",
            "--target-cost-per-million-input-tokens",
        ),
    ] {
        if let Some(a) = field(cost, name) {
            let path = format!("{at}.{name}");
            if let Some(c) = text_field(a, "currencyCode", &format!("{path}.currencyCode"))?
                && c != "USD"
            {
                return Err(ApiError::invalid(format!(
                    "`{path}.currencyCode` {c}: only USD is supported"
                )));
            }
            flags.push(format!("{flag}={}", amount_value(a, &path)?));
        }
    }
    Ok(())
}

/// Serving stacks (llm-d and the like) are Google's; a request that names one gets a 400, not
/// an answer about something else.
fn refuse_serving_stack(body: &Value) -> ApiResult<()> {
    match field(body, "servingStack") {
        Some(Value::Object(m)) if !m.is_empty() => Err(ApiError::invalid(
            "`servingStack`: this catalog has no serving stacks; leave the field out",
        )),
        _ => Ok(()),
    }
}

/// The use case a `WorkloadSpec` names, by name or by its average lengths.
fn use_case_of(spec: &Value) -> ApiResult<Option<String>> {
    if let Some(u) = text_field(spec, "useCase", "workloadSpec.useCase")? {
        return Ok(Some(u.to_string()));
    }
    let input = int32_field(
        spec,
        "averageInputLength",
        "workloadSpec.averageInputLength",
    )?;
    let output = int32_field(
        spec,
        "averageOutputLength",
        "workloadSpec.averageOutputLength",
    )?;
    match (input, output) {
        (None, None) => Ok(None),
        (Some(i), Some(o)) => pipeline::workload::matching_use_case(i, o)
            .map(|u| Some(u.name.to_string()))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "`workloadSpec`: no use case has average lengths near {i}/{o} (see useCases:fetch)"
                ))
            }),
        _ => Err(ApiError::invalid(
            "`workloadSpec.averageInputLength` and `averageOutputLength` go together",
        )),
    }
}

/// 404s for names the catalog does not have, before the CLI's code would call them usage
/// errors in its own flag names.
fn require_names(
    cat: &Catalog,
    model: Option<&str>,
    server: Option<&str>,
    version: Option<&str>,
) -> ApiResult<()> {
    match (model, server, version) {
        (Some(m), Some(s), Some(v)) => cat.require_version(m, s, v),
        (Some(m), Some(s), None) => cat.require_server(m, s),
        (Some(m), None, _) => cat.require_model(m),
        _ => Ok(()),
    }
}

/// `POST /v1/profiles:fetch`: `profiles list` with the request's filters and targets.
pub fn fetch_profiles(cat: &Catalog, body: &Value) -> ApiResult<Value> {
    refuse_serving_stack(body)?;
    require_names(
        cat,
        text_field(body, "model", "model")?,
        text_field(body, "modelServer", "modelServer")?,
        text_field(body, "modelServerVersion", "modelServerVersion")?,
    )?;
    let mut flags = Vec::new();
    for (name, flag) in [
        ("model", "--model"),
        ("modelServer", "--model-server"),
        ("modelServerVersion", "--model-server-version"),
    ] {
        if let Some(v) = text_field(body, name, name)? {
            flags.push(format!("{flag}={v}"));
        }
    }
    if let Some(spec) = field(body, "workloadSpec")
        && let Some(u) = use_case_of(spec)?
    {
        flags.push(format!("--use-case={u}"));
    }
    requirement_flags(cat, field(body, "performanceRequirements"), &mut flags)?;
    let args = cli_args::profiles_list(&flags, cat)?;
    let rows = crate::cmd::query::select_profiles(cat, &args).map_err(ApiError::from_cli)?;
    let pm = args.pricing_model.into();
    let messages: Vec<Value> = rows
        .iter()
        .map(|r| profile_message(cat, Catalogued::at(r), pm))
        .collect();
    let page_size = number_field(body, "pageSize", "pageSize")?;
    let token = text_field(body, "pageToken", "pageToken")?;
    let (profiles, next) = page(&messages, page_size, token)?;
    let stat = cat.cfg.percentile;
    Ok(json!({
        "profile": profiles,
        "performanceRange": performance_range(&messages),
        "comments": format!(
            "Latencies are {stat} (the mean where a tool reports only means); each profile is shown at {}. Costs use a {}:1 output:input cost ratio.",
            if rows.iter().any(|r| r.kind == "operating-point") { "the operating point that meets the requirements" } else { "its knee (inflection point)" },
            cat.cfg.output_input_cost_ratio,
        ),
        "nextPageToken": next,
    }))
}

/// `POST /v1/benchmarkingData:fetch`: every measured point of the matching profiles, as
/// `benchmarks list` gives them.
pub fn fetch_benchmarking_data(cat: &Catalog, body: &Value) -> ApiResult<Value> {
    refuse_serving_stack(body)?;
    let info = field(body, "modelServerInfo")
        .ok_or_else(|| ApiError::invalid("`modelServerInfo` is required"))?;
    let model = required_text(info, "model", "modelServerInfo.model")?;
    let server = required_text(info, "modelServer", "modelServerInfo.modelServer")?;
    cat.require_server(model, server)?;
    let version = match text_field(
        info,
        "modelServerVersion",
        "modelServerInfo.modelServerVersion",
    )? {
        Some(v) => {
            cat.require_version(model, server, v)?;
            v.to_string()
        }
        None => cat.latest_version(model, server)?,
    };
    let instance = text_field(body, "instanceType", "instanceType")?;
    if let Some(i) = instance {
        let known = cat.values(|p| {
            (p.key.model == model && p.key.model_server == server)
                .then(|| p.key.instance_type.clone())
                .flatten()
        });
        if !known.iter().any(|k| k == i) {
            return Err(ApiError::not_found(format!(
                "instance type `{i}` has no {server} profile of {model} (known: {})",
                known.join(", ")
            )));
        }
    }
    let pm = match text_field(body, "pricingModel", "pricingModel")? {
        Some(p) => cli_args::pricing_model(p)?,
        None => pipeline::pricing::PricingModel::Spot,
    };
    let use_case = text_field(body, "useCase", "useCase")?;
    let profiles: Vec<Value> = cat
        .profiles
        .iter()
        .filter(|s| {
            let k = &s.profile.key;
            k.model == model
                && k.model_server == server
                && k.model_server_version == version
                && instance.is_none_or(|i| k.instance_type.as_deref() == Some(i))
                && use_case.is_none_or(|u| k.use_case.eq_ignore_ascii_case(u))
        })
        .map(|s| {
            let records = s.record_evaluations(&cat.cfg, &cat.prices);
            profile_message(cat, Catalogued::records(s, &records), pm)
        })
        .collect();
    Ok(json!({"profile": profiles}))
}

/// `POST /v1/optimizedManifest:generate`: `manifests create` with the request's fields.
pub fn generate_optimized_manifest(cat: &Catalog, body: &Value) -> ApiResult<Value> {
    refuse_serving_stack(body)?;
    let info = field(body, "modelServerInfo")
        .ok_or_else(|| ApiError::invalid("`modelServerInfo` is required"))?;
    require_names(
        cat,
        Some(required_text(info, "model", "modelServerInfo.model")?),
        Some(required_text(
            info,
            "modelServer",
            "modelServerInfo.modelServer",
        )?),
        text_field(
            info,
            "modelServerVersion",
            "modelServerInfo.modelServerVersion",
        )?,
    )?;
    let mut flags = vec![
        format!(
            "--model={}",
            required_text(info, "model", "modelServerInfo.model")?
        ),
        format!(
            "--model-server={}",
            required_text(info, "modelServer", "modelServerInfo.modelServer")?
        ),
        format!(
            "--accelerator-type={}",
            required_text(body, "acceleratorType", "acceleratorType")?
        ),
    ];
    if let Some(v) = text_field(
        info,
        "modelServerVersion",
        "modelServerInfo.modelServerVersion",
    )? {
        flags.push(format!("--model-server-version={v}"));
    }
    if let Some(ns) = text_field(body, "kubernetesNamespace", "kubernetesNamespace")? {
        flags.push(format!("--namespace={ns}"));
    }
    if let Some(storage) = field(body, "storageConfig") {
        if let Some(uri) = text_field(storage, "modelBucketUri", "storageConfig.modelBucketUri")? {
            flags.push(format!("--model-bucket-uri={uri}"));
        }
        if text_field(
            storage,
            "xlaCacheBucketUri",
            "storageConfig.xlaCacheBucketUri",
        )?
        .is_some()
        {
            return Err(ApiError::invalid(
                "`storageConfig.xlaCacheBucketUri`: a separate XLA cache bucket is not generated; the TPU manifests cache in the model bucket",
            ));
        }
    }
    if let Some(u) = text_field(body, "useCase", "useCase")? {
        flags.push(format!("--use-case={u}"));
    }
    let requirements = field(body, "performanceRequirements");
    if requirements.is_some_and(|r| field(r, "targetCost").is_some()) {
        return Err(ApiError::invalid(
            "`performanceRequirements.targetCost`: cost targets do not size a manifest (as in the Quickstart); use profiles:fetch",
        ));
    }
    requirement_flags(cat, requirements, &mut flags)?;
    let (manifests, comments, version) = manifest_parts(cat, &flags)?;
    let manifests: Vec<Value> = manifests
        .into_iter()
        .map(|m| json!({"kind": m.kind, "apiVersion": m.api_version, "content": m.content}))
        .collect();
    Ok(json!({
        "kubernetesManifests": manifests,
        "comments": comments,
        "manifestVersion": version,
    }))
}

/// `POST /v1/useCases:fetch`: the Quickstart's use cases and their average lengths.
pub fn fetch_use_cases() -> Value {
    let specs: Vec<Value> = USE_CASES
        .iter()
        .map(|u| {
            json!({
                "averageInputLength": u.input_tokens.round() as i64,
                "averageOutputLength": u.output_tokens.round() as i64,
                "useCase": u.name,
            })
        })
        .collect();
    json!({"workloadSpecs": specs})
}
