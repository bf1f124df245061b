//! inference-perf `stage_N_prometheus_metrics.json`: the model server's own metrics scraped
//! during a stage (queue length, running requests, KV cache usage). It carries no load point;
//! ingest attaches it to the lifecycle point of the same stage.

use super::fields::as_object;
use super::{Parsed, RawFormat};
use crate::document::Document;
use crate::error::FormatError;
use crate::point::ServerMetrics;

pub struct InferencePerfPrometheus;

const SERVER_KEYS: [&str; 3] = [
    "queue_len",
    "num_requests_running",
    "kv_cache_usage_percentage",
];

impl RawFormat for InferencePerfPrometheus {
    fn tool(&self) -> &'static str {
        "inference-perf-prometheus"
    }

    fn detect(&self, doc: &Document) -> bool {
        let Document::Json(v) = doc else { return false };
        let Some(s) = v.get("successes").and_then(|s| s.as_object()) else {
            return false;
        };
        v.get("load_summary").is_some()
            && !s.contains_key("latency")
            && SERVER_KEYS.iter().any(|k| s.contains_key(*k))
    }

    fn parse(&self, doc: &Document) -> Result<Parsed, FormatError> {
        let Document::Json(v) = doc else {
            return Err(doc.not_one_object());
        };
        let root = as_object(v, "document")?;
        let s = root.req_child("successes")?;
        let mean_of = |key: &str| -> Result<Option<f64>, FormatError> {
            s.child(key)?.map_or(Ok(None), |d| d.num("mean"))
        };
        let kv = mean_of("kv_cache_usage_percentage")?;
        if let Some(fraction) = kv
            && fraction > 1.0
        {
            return Err(FormatError::new(format!(
                "field `successes.kv_cache_usage_percentage.mean` is {fraction}, above 1 (a usage fraction)"
            )));
        }
        Ok(Parsed::ServerMetrics(ServerMetrics::new(
            mean_of("queue_len")?,
            mean_of("num_requests_running")?,
            kv,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_queue_and_kv_cache() {
        let doc = Document::from_bytes(
            br#"{"load_summary": {}, "successes": {"count": 5, "queue_len": {"mean": 217},
                "kv_cache_usage_percentage": {"mean": 0.05, "median": 0.06}}, "failures": {}}"#,
        )
        .unwrap();
        assert!(InferencePerfPrometheus.detect(&doc));
        let Parsed::ServerMetrics(m) = InferencePerfPrometheus.parse(&doc).unwrap() else {
            panic!("expected server metrics")
        };
        assert_eq!(m.queue_len_mean(), Some(217.0));
        assert_eq!(m.kv_cache_usage_mean(), Some(0.05));
        assert_eq!(m.running_mean(), None);
    }

    #[test]
    fn lifecycle_files_are_not_taken_for_prometheus_ones() {
        let doc = Document::from_bytes(
            br#"{"load_summary": {}, "successes": {"latency": {}, "queue_len": {"mean": 1}}}"#,
        )
        .unwrap();
        assert!(!InferencePerfPrometheus.detect(&doc));
    }

    #[test]
    fn usage_above_one_is_rejected() {
        let doc = Document::from_bytes(
            br#"{"load_summary": {}, "successes": {"kv_cache_usage_percentage": {"mean": 55}}}"#,
        )
        .unwrap();
        assert!(
            InferencePerfPrometheus
                .parse(&doc)
                .unwrap_err()
                .reason
                .contains("above 1")
        );
    }
}
