//! The fields each v1 request message has. Like Google's servers, a field the message does not
//! have is a 400 naming it (a typo never silently drops a requirement); names may be camelCase
//! or snake_case.

use super::api_error::{ApiError, ApiResult};
use serde_json::Value;

/// A message field: its camelCase name and, for a message-typed field, its own fields.
pub struct Field(pub &'static str, pub Option<&'static [Field]>);

const AMOUNT: &[Field] = &[
    Field("units", None),
    Field("nanos", None),
    Field("currencyCode", None),
];
const COST: &[Field] = &[
    Field("costPerMillionOutputTokens", Some(AMOUNT)),
    Field("costPerMillionInputTokens", Some(AMOUNT)),
    Field("pricingModel", None),
    Field("outputInputCostRatio", None),
];
const REQUIREMENTS: &[Field] = &[
    Field("targetNtpotMilliseconds", None),
    Field("targetTtftMilliseconds", None),
    Field("targetItlMilliseconds", None),
    Field("targetCost", Some(COST)),
];
const MODEL_SERVER_INFO: &[Field] = &[
    Field("model", None),
    Field("modelServer", None),
    Field("modelServerVersion", None),
];
const SERVING_STACK: &[Field] = &[Field("name", None), Field("version", None)];
const WORKLOAD_SPEC: &[Field] = &[
    Field("averageInputLength", None),
    Field("averageOutputLength", None),
    Field("useCase", None),
];
const STORAGE: &[Field] = &[
    Field("modelBucketUri", None),
    Field("xlaCacheBucketUri", None),
];

pub const FETCH_PROFILES: &[Field] = &[
    Field("model", None),
    Field("modelServer", None),
    Field("modelServerVersion", None),
    Field("performanceRequirements", Some(REQUIREMENTS)),
    Field("pageSize", None),
    Field("pageToken", None),
    Field("servingStack", Some(SERVING_STACK)),
    Field("workloadSpec", Some(WORKLOAD_SPEC)),
];

pub const FETCH_BENCHMARKING_DATA: &[Field] = &[
    Field("modelServerInfo", Some(MODEL_SERVER_INFO)),
    Field("instanceType", None),
    Field("pricingModel", None),
    Field("servingStack", Some(SERVING_STACK)),
    Field("useCase", None),
];

pub const GENERATE_OPTIMIZED_MANIFEST: &[Field] = &[
    Field("modelServerInfo", Some(MODEL_SERVER_INFO)),
    Field("acceleratorType", None),
    Field("kubernetesNamespace", None),
    Field("performanceRequirements", Some(REQUIREMENTS)),
    Field("storageConfig", Some(STORAGE)),
    Field("servingStack", Some(SERVING_STACK)),
    Field("useCase", None),
];

fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Checks that `value` (an object) has only fields of `schema`, recursively.
pub fn check(value: &Value, schema: &[Field], path: &str) -> ApiResult<()> {
    let Value::Object(map) = value else {
        return Err(ApiError::invalid(format!(
            "`{}` must be an object",
            if path.is_empty() { "the request" } else { path }
        )));
    };
    for (name, v) in map {
        let full = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        let known = schema.iter().find(|f| f.0 == name || f.0 == camel(name));
        match known {
            None => {
                return Err(ApiError::invalid(format!(
                    "Invalid JSON payload received. Unknown name \"{name}\" at `{}`",
                    if path.is_empty() { "request" } else { path }
                )));
            }
            Some(Field(_, Some(inner))) if !v.is_null() => check(v, inner, &full)?,
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_named_at_any_depth() {
        assert!(check(&json!({"model": "m", "page_size": 2}), FETCH_PROFILES, "").is_ok());
        let e = check(&json!({"modle": "m"}), FETCH_PROFILES, "").unwrap_err();
        assert!(e.message.contains("\"modle\""), "{}", e.message);
        let nested = json!({"performanceRequirements": {"targetNtpot": 5}});
        let e = check(&nested, FETCH_PROFILES, "").unwrap_err();
        assert!(
            e.message.contains("performanceRequirements"),
            "{}",
            e.message
        );
        assert!(check(&json!({"x": 1}), &[], "").is_err());
    }
}
