//! Checked access to JSON fields for the format readers: every number is validated (finite,
//! not negative, not absurdly large) and every error names the field's full path.

use crate::error::FormatError;
use crate::point::{Latency, LatencyStats};
use serde_json::{Map, Value};

/// Largest magnitude accepted for any metric; beyond it the file is corrupt, not fast.
const MAX_PLAUSIBLE: f64 = 1e12;

/// A JSON object plus the path that led to it, for error messages.
#[derive(Clone)]
pub struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

/// Views `value` as an object, or says what it is instead.
pub fn as_object<'a>(value: &'a Value, what: &str) -> Result<Obj<'a>, FormatError> {
    value
        .as_object()
        .map(|map| Obj {
            map,
            path: String::new(),
        })
        .ok_or_else(|| FormatError::wrong_type(what, "an object", value))
}

impl<'a> Obj<'a> {
    fn full(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Every top-level scalar (string, number, bool) that `keep` accepts, as text.
    pub fn scalars(
        &self,
        keep: impl Fn(&str, &Value) -> bool,
    ) -> crate::record_fields::RecordFields {
        self.map
            .iter()
            .filter(|(k, v)| k.len() <= 64 && keep(k, v))
            .filter_map(|(k, v)| {
                let text = match v {
                    Value::String(s) if s.len() <= 256 => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return None,
                };
                Some((k.clone(), text))
            })
            .collect()
    }

    /// The raw value of a field, unchecked (for fields whose shape varies).
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// A nested object; absent or null gives `None`.
    pub fn child(&self, key: &str) -> Result<Option<Obj<'a>>, FormatError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj {
                map,
                path: self.full(key),
            })),
            Some(other) => Err(FormatError::wrong_type(&self.full(key), "an object", other)),
        }
    }

    pub fn req_child(&self, key: &str) -> Result<Obj<'a>, FormatError> {
        self.child(key)?
            .ok_or_else(|| FormatError::missing(&self.full(key)))
    }

    /// A non-negative finite number (numeric strings accepted); absent or null gives `None`.
    pub fn num(&self, key: &str) -> Result<Option<f64>, FormatError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => checked_number(&self.full(key), v).map(Some),
        }
    }

    /// The number under the first of `keys` that holds one (tools and forks that renamed a key).
    pub fn first_num(&self, keys: &[&str]) -> Result<Option<f64>, FormatError> {
        for key in keys {
            if let Some(v) = self.num(key)? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    pub fn req_num(&self, key: &str) -> Result<f64, FormatError> {
        self.num(key)?
            .ok_or_else(|| FormatError::missing(&self.full(key)))
    }

    /// A whole, non-negative count.
    pub fn count(&self, key: &str) -> Result<Option<i64>, FormatError> {
        let Some(v) = self.num(key)? else {
            return Ok(None);
        };
        if v.fract() != 0.0 {
            return Err(FormatError::new(format!(
                "field `{}` should be a whole count, found {v}",
                self.full(key)
            )));
        }
        Ok(Some(v as i64))
    }

    pub fn text(&self, key: &str) -> Result<Option<&'a str>, FormatError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(FormatError::wrong_type(&self.full(key), "a string", other)),
        }
    }

    /// A request rate that may be infinite: numbers, `"inf"`, `"Infinity"` and the bare
    /// `Infinity` token (already quoted by the document reader). `Ok(Some(f64::INFINITY))` means
    /// unbounded.
    pub fn rate(&self, key: &str) -> Result<Option<f64>, FormatError> {
        match self.map.get(key) {
            Some(Value::String(s)) if is_infinity_word(s) => Ok(Some(f64::INFINITY)),
            _ => self.num(key),
        }
    }

    /// Like [`Obj::latency`], with each key named by `key` from the statistic (`mean`, `p50`,
    /// `p90`, `p99`): `|s| format!("{s}_ttft_ms")`.
    pub fn latency_by(&self, key: impl Fn(&str) -> String) -> Result<Latency, FormatError> {
        let (mean, p50, p90, p99) = (key("mean"), key("p50"), key("p90"), key("p99"));
        self.latency(LatencyKeys {
            mean: &mean,
            p50: &p50,
            p90: &p90,
            p99: &p99,
        })
    }

    /// Reads `mean`/`p50`/`p90`/`p99` from this object using the tool's key names.
    pub fn latency(&self, keys: LatencyKeys) -> Result<Latency, FormatError> {
        Ok(Latency::from(LatencyStats {
            mean: self.num(keys.mean)?,
            p50: self.num(keys.p50)?,
            p90: self.num(keys.p90)?,
            p99: self.num(keys.p99)?,
        }))
    }
}

/// The key names one tool uses for a latency distribution's statistics.
#[derive(Clone, Copy)]
pub struct LatencyKeys<'k> {
    pub mean: &'k str,
    pub p50: &'k str,
    pub p90: &'k str,
    pub p99: &'k str,
}

pub fn is_infinity_word(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_lowercase().as_str(),
        "inf" | "+inf" | "infinity" | "+infinity"
    )
}

/// Validates one JSON value as a metric: a finite, non-negative, plausible number.
pub fn checked_number(field: &str, v: &Value) -> Result<f64, FormatError> {
    let x = match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| FormatError::wrong_type(field, "a number", v))?,
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| FormatError::wrong_type(field, "a number", v))?,
        other => return Err(FormatError::wrong_type(field, "a number", other)),
    };
    check_range(field, x)
}

pub fn check_range(field: &str, x: f64) -> Result<f64, FormatError> {
    if x.is_nan() {
        return Err(FormatError::new(format!("field `{field}` is NaN")));
    }
    if x.is_infinite() {
        return Err(FormatError::new(format!("field `{field}` is infinite")));
    }
    if x < 0.0 {
        return Err(FormatError::new(format!(
            "field `{field}` is negative ({x})"
        )));
    }
    if x > MAX_PLAUSIBLE {
        return Err(FormatError::new(format!(
            "field `{field}` is implausibly large ({x:e})"
        )));
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn num(v: Value) -> Result<Option<f64>, FormatError> {
        let doc = json!({ "x": v });
        let o = as_object(&doc, "root").unwrap();
        o.num("x")
    }

    #[test]
    fn numbers_and_numeric_strings_are_read() {
        assert_eq!(num(json!(1.5)).unwrap(), Some(1.5));
        assert_eq!(num(json!("550")).unwrap(), Some(550.0));
        assert_eq!(num(Value::Null).unwrap(), None);
    }

    #[test]
    fn bad_numbers_name_the_field_and_reason() {
        assert!(
            num(json!(-1))
                .unwrap_err()
                .reason
                .contains("`x` is negative")
        );
        assert!(num(json!("NaN")).unwrap_err().reason.contains("`x` is NaN"));
        assert!(
            num(json!(1e300))
                .unwrap_err()
                .reason
                .contains("implausibly large")
        );
        assert!(
            num(json!("fast"))
                .unwrap_err()
                .reason
                .contains("should be a number")
        );
        assert!(num(json!([1])).unwrap_err().reason.contains("an array"));
    }

    #[test]
    fn nested_paths_appear_in_errors() {
        let doc = json!({"a": {"b": "x"}});
        let root = as_object(&doc, "root").unwrap();
        let a = root.req_child("a").unwrap();
        assert_eq!(
            a.num("b").unwrap_err().reason,
            "field `a.b` should be a number, found a string (\"x\")"
        );
        assert_eq!(
            root.req_child("zz").err().unwrap().reason,
            "required field `zz` is missing"
        );
    }

    #[test]
    fn rates_accept_infinity_spellings() {
        let doc = json!({"a": "inf", "b": "Infinity", "c": 4});
        let o = as_object(&doc, "root").unwrap();
        assert_eq!(o.rate("a").unwrap(), Some(f64::INFINITY));
        assert_eq!(o.rate("b").unwrap(), Some(f64::INFINITY));
        assert_eq!(o.rate("c").unwrap(), Some(4.0));
    }
}
