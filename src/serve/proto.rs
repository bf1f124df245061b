//! The proto3 JSON mapping the GKE Recommender API uses: lowerCamelCase out, snake_case
//! accepted in, `int32` fields as whole numbers, `int64` (`Amount.units`) as strings, money as
//! `Amount{units, nanos}`; and page tokens.

use super::api_error::{ApiError, ApiResult};
use serde_json::{Value, json};
use std::collections::HashMap;

/// `lowerCamelCase` → `snake_case`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A query parameter by its camelCase name or the snake_case spelling (each dotted segment).
pub fn param<'a>(query: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    let snake_name = name.split('.').map(snake).collect::<Vec<_>>().join(".");
    query
        .get(name)
        .or_else(|| query.get(&snake_name))
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// A body field by its camelCase name or its snake_case spelling.
pub fn field<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body.get(name)
        .or_else(|| body.get(snake(name)))
        .filter(|v| !v.is_null())
}

/// A string body field; another type is a 400 naming it.
pub fn text_field<'a>(body: &'a Value, name: &str, path: &str) -> ApiResult<Option<&'a str>> {
    match field(body, name) {
        None => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid(format!("`{path}` must be a string"))),
    }
}

/// A required string body field.
pub fn required_text<'a>(body: &'a Value, name: &str, path: &str) -> ApiResult<&'a str> {
    text_field(body, name, path)?.ok_or_else(|| ApiError::invalid(format!("`{path}` is required")))
}

/// A non-negative number field (JSON number, or a string as proto3 JSON allows).
pub fn number_field(body: &Value, name: &str, path: &str) -> ApiResult<Option<f64>> {
    let bad = || ApiError::invalid(format!("`{path}` must be a non-negative number"));
    match field(body, name) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_f64().filter(|v| *v >= 0.0).map(Some).ok_or_else(bad),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(Some)
            .ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

/// An int32 body field (a whole number, as a number or a string).
pub fn int32_field(body: &Value, name: &str, path: &str) -> ApiResult<Option<f64>> {
    let v = number_field(body, name, path)?;
    match v {
        Some(x) if x.fract() != 0.0 || x > f64::from(i32::MAX) => Err(ApiError::invalid(format!(
            "`{path}` must be a whole number that fits an int32"
        ))),
        _ => Ok(v),
    }
}

/// A numeric query parameter.
pub fn number_param(query: &HashMap<String, String>, name: &str) -> ApiResult<Option<f64>> {
    match param(query, name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(Some)
            .ok_or_else(|| {
                ApiError::invalid(format!("`{name}` must be a non-negative number, not `{v}`"))
            }),
    }
}

/// An `int32` metric: rounded to the nearest whole number, as the proto field holds.
pub fn int32(v: Option<f64>) -> Option<i64> {
    v.filter(|x| x.is_finite())
        .map(|x| x.round().clamp(0.0, f64::from(i32::MAX)) as i64)
}

/// Dollars as `Amount{units, nanos}`: `units` an int64 string, `nanos` the rounded rest.
pub fn amount(usd: f64) -> Value {
    let mut units = usd.trunc();
    let mut nanos = ((usd - units) * 1e9).round();
    if nanos.abs() >= 1e9 {
        units += nanos.signum();
        nanos = 0.0;
    }
    json!({"units": format!("{}", units as i64), "nanos": nanos as i64})
}

/// `Amount` back to dollars; a field of the wrong shape is a 400 naming `path`.
pub fn amount_value(v: &Value, path: &str) -> ApiResult<f64> {
    let units = match field(v, "units") {
        None => 0.0,
        Some(Value::String(s)) => s
            .parse::<i64>()
            .map_err(|_| ApiError::invalid(format!("`{path}.units` must be an int64")))?
            as f64,
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| ApiError::invalid(format!("`{path}.units` must be an int64")))?
            as f64,
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "`{path}.units` must be an int64"
            )));
        }
    };
    let nanos = match field(v, "nanos") {
        None => 0.0,
        Some(n @ (Value::Number(_) | Value::String(_))) => n
            .as_i64()
            .or_else(|| n.as_str().and_then(|s| s.trim().parse::<i64>().ok()))
            .filter(|n| n.abs() < 1_000_000_000)
            .ok_or_else(|| {
                ApiError::invalid(format!("`{path}.nanos` must be an int32 below 1e9"))
            })? as f64,
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "`{path}.nanos` must be an int32"
            )));
        }
    };
    Ok(units + nanos / 1e9)
}

/// A short digest of the whole list a page is cut from: a token from another request, or from
/// before a refresh changed the list, no longer matches it.
fn list_digest<T: serde::Serialize>(items: &[T]) -> String {
    let text = serde_json::to_string(items).unwrap_or_default();
    pipeline::digest::sha256_hex(text.as_bytes(), 6)
}

/// One page of `items`: `pageSize` (0 or absent: all) from the offset `pageToken` names.
/// Tokens are opaque to clients (`o<offset>-<digest of the list>`); one this server did not
/// issue for this list — another request's, or one from before a refresh — is a 400.
pub fn page<T: Clone + serde::Serialize>(
    items: &[T],
    page_size: Option<f64>,
    token: Option<&str>,
) -> ApiResult<(Vec<T>, String)> {
    let digest = list_digest(items);
    let start = match token {
        None => 0,
        Some(t) => t
            .strip_prefix('o')
            .and_then(|rest| rest.split_once('-'))
            .filter(|(_, d)| *d == digest)
            .and_then(|(n, _)| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "`pageToken` `{t}` was not issued for this request, or the catalog has changed since: start again without it"
                ))
            })?,
    };
    let size = match page_size {
        None | Some(0.0) => items.len(),
        Some(s) if s.fract() != 0.0 => {
            return Err(ApiError::invalid("`pageSize` must be a whole number"));
        }
        Some(s) if s > f64::from(i32::MAX) => {
            return Err(ApiError::invalid("`pageSize` must fit an int32"));
        }
        Some(s) => s as usize,
    };
    let end = start.saturating_add(size).min(items.len());
    let next = if end < items.len() {
        format!("o{end}-{digest}")
    } else {
        String::new()
    };
    Ok((items[start..end].to_vec(), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_follow_the_proto_mapping() {
        assert_eq!(amount(0.362), json!({"units": "0", "nanos": 362_000_000}));
        assert_eq!(amount(12.5), json!({"units": "12", "nanos": 500_000_000}));
        assert_eq!(amount(1.9999999999), json!({"units": "2", "nanos": 0}));
        let back = amount_value(&json!({"units": "3", "nanos": 250_000_000}), "x").unwrap();
        assert!((back - 3.25).abs() < 1e-12);
        assert!(amount_value(&json!({"units": "x"}), "c").is_err());
    }

    #[test]
    fn pages_and_tokens() {
        let items: Vec<u32> = (0..5).collect();
        let (first, next) = page(&items, Some(2.0), None).unwrap();
        assert_eq!(first, vec![0, 1]);
        assert!(next.starts_with("o2-"), "{next}");
        let (last, end) = page(&items, Some(4.0), Some(&next)).unwrap();
        assert_eq!((last, end.as_str()), (vec![2, 3, 4], ""));
        let other: Vec<u32> = (0..6).collect();
        assert!(
            page(&other, None, Some(&next)).is_err(),
            "another list's token"
        );
        assert!(page(&items, None, Some("o9")).is_err());
        assert!(page(&items, None, Some("zz")).is_err());
        assert_eq!(page(&items, None, None).unwrap().0.len(), 5);
    }

    #[test]
    fn names_in_either_case() {
        let body = json!({"model_server_info": {"model": "m"}});
        assert!(field(&body, "modelServerInfo").is_some());
        let q: HashMap<String, String> = [("model_name".to_string(), "m".to_string())].into();
        assert_eq!(param(&q, "modelName"), Some("m"));
        assert_eq!(int32(Some(10523.79)), Some(10524));
    }
}
