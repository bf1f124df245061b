//! `vllm bench sweep`'s collected records: `summary.json` (the `run=N.json` records of one
//! setting) and the lists an SLA search writes of its steps, each a JSON array of vLLM
//! bench_serving records carrying the `run_number` the sweep adds. Read as the records they
//! collect, each like a `--save-result` file; the ingest leaves a list out where result files
//! beside or below it were read (`ingest::left_out_as_read_elsewhere`), so a sweep copied whole
//! counts each run once and one copied without its run files still gives its points. A list
//! without `run_number` (a collection made by hand) is not claimed: it stays a companion.

use super::serving_json::not_a_load_point;
use super::vllm_save_result::{is_record, parse_one};
use super::{Parsed, RawFormat, parse_records_except};
use crate::document::Document;
use crate::error::FormatError;
use serde_json::Value;

pub const TOOL: &str = "vllm-sweep";

pub struct VllmSweep;

impl RawFormat for VllmSweep {
    fn tool(&self) -> &'static str {
        TOOL
    }

    fn detect(&self, doc: &Document) -> bool {
        sweep_records(doc).is_some()
    }

    fn parse(&self, doc: &Document) -> Result<Parsed, FormatError> {
        let records = sweep_records(doc).unwrap_or_default();
        let item = |i: usize| Some(format!("item {}", i + 1));
        parse_records_except(records, item, parse_one, not_a_load_point)
    }
}

/// The records of a document that is a non-empty array of vLLM bench_serving records, each
/// with a `run_number`.
fn sweep_records(doc: &Document) -> Option<&[Value]> {
    let Document::Json(Value::Array(records)) = doc else {
        return None;
    };
    (!records.is_empty()
        && records
            .iter()
            .all(|r| is_record(r) && r.get("run_number").is_some()))
    .then_some(records.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(run_number: i64, rate: f64) -> Value {
        serde_json::json!({
            "request_rate": rate, "max_concurrency": null, "duration": 10.0, "completed": 20,
            "failed": 0, "request_throughput": 2.0, "output_throughput": 256.0,
            "total_token_throughput": 1280.0, "mean_ttft_ms": 40.0, "median_ttft_ms": 38.0,
            "mean_tpot_ms": 9.0, "mean_itl_ms": 9.0, "median_itl_ms": 8.5, "mean_e2el_ms": 1200.0,
            "run_number": run_number
        })
    }

    #[test]
    fn a_sweeps_list_is_read_record_by_record_without_its_warm_up() {
        let doc = Document::Json(Value::Array(vec![
            record(-1, 2.0),
            record(0, 2.0),
            record(1, 2.0),
        ]));
        assert!(VllmSweep.detect(&doc));
        let Parsed::Points(points) = VllmSweep.parse(&doc).unwrap() else {
            panic!("points expected");
        };
        assert_eq!(
            points.len(),
            2,
            "the warm-up (run_number -1) is no measurement"
        );
        assert!(points.iter().all(|p| p.output_tokens_per_s == 256.0));
    }

    #[test]
    fn lists_without_run_numbers_and_single_records_are_not_claimed() {
        let mut hand_made = record(0, 2.0);
        hand_made.as_object_mut().unwrap().remove("run_number");
        for doc in [
            Document::Json(Value::Array(vec![hand_made])),
            Document::Json(record(0, 2.0)),
            Document::Json(Value::Array(Vec::new())),
        ] {
            assert!(!VllmSweep.detect(&doc), "{doc:?}");
        }
    }

    #[test]
    fn a_broken_record_is_named_by_its_item() {
        let mut broken = record(1, 2.0);
        broken["output_throughput"] = "fast".into();
        let doc = Document::Json(Value::Array(vec![record(0, 2.0), broken]));
        let err = VllmSweep.parse(&doc).unwrap_err().to_string();
        assert!(err.contains("item 2"), "{err}");
    }
}
