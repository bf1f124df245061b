//! Tables of `bench_serving` results (SGLang's or vLLM's `benchmark_serving.py` column names,
//! one row per point) as authors collate them, e.g. dstack's `online_results.csv`. Each row is
//! read exactly like the tool's JSON record: SGLang's reader when the table has SGLang's
//! `*_e2e_latency_ms` columns, vLLM's otherwise. What such tables do differently: a UTF-8 BOM
//! (the document reader drops it), trailing empty columns, an empty `request_rate` for an
//! unbounded rate, and extra columns (`GPU`, `backend`) that `[[series]] match` can select on.
//! A row the tool's record would not be a load point for (a ramp-up, a concurrency cap its
//! `num_prompts` never reached) is left out the same way.

use super::{Parsed, RawFormat, csv_header, serving_json, sglang, vllm_save_result};
use crate::document::Document;
use crate::error::FormatError;
use crate::point::MeasuredPoint;
use serde_json::{Map, Number, Value};

pub const TOOL: &str = "bench-serving-csv";

pub struct BenchServingCsv;

impl RawFormat for BenchServingCsv {
    fn tool(&self) -> &'static str {
        TOOL
    }

    fn detect(&self, doc: &Document) -> bool {
        let names = csv_header(doc);
        let has = |n: &str| names.contains(&n);
        // `vllm bench sweep`'s summary.csv has these columns too, and a `run_number`: it
        // collects the run=N.json files beside it (a companion, see `crate::companion`).
        has("output_throughput")
            && has("request_rate")
            && (has("median_ttft_ms") || has("mean_ttft_ms"))
            && !has("run_number")
    }

    fn parse(&self, doc: &Document) -> Result<Parsed, FormatError> {
        let Document::Csv(text) = doc else {
            return Err(FormatError::new("expected CSV text"));
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| FormatError::new(format!("CSV header: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        let sglang_columns = headers.iter().any(|h| h.ends_with("_e2e_latency_ms"));
        let parse_one: fn(&Value) -> Result<MeasuredPoint, FormatError> = if sglang_columns {
            sglang::parse_one
        } else {
            vllm_save_result::parse_one
        };
        let mut points = Vec::new();
        let mut set_aside = None;
        for (i, record) in reader.records().enumerate() {
            let row = i + 2;
            let record = record.map_err(|e| FormatError::new(format!("row {row}: {e}")))?;
            if record.iter().all(str::is_empty) {
                continue;
            }
            if record.len() > headers.len()
                && record.iter().skip(headers.len()).any(|c| !c.is_empty())
            {
                return Err(FormatError::new(format!(
                    "row {row}: {} cells but the header names {} columns",
                    record.len(),
                    headers.len()
                )));
            }
            let object = row_object(&headers, &record);
            if let Some(why) = serving_json::not_a_load_point(&object) {
                set_aside.get_or_insert(format!("row {row}: {why}"));
                continue;
            }
            points.push(parse_one(&object).map_err(|e| e.at(format!("row {row}")))?);
        }
        if points.is_empty() {
            return Ok(Parsed::NoPoints(
                set_aside.unwrap_or_else(|| "the table has a header but no rows".into()),
            ));
        }
        Ok(Parsed::Points(points))
    }
}

/// One row as the JSON record the tool would have written: numbers as numbers, empty cells
/// (and `None`/`null`/`nan`) absent, and an empty `request_rate` as `"inf"` (bench_serving's
/// unbounded rate).
fn row_object(headers: &[String], record: &csv::StringRecord) -> Value {
    let mut object = Map::new();
    for (name, cell) in headers.iter().zip(record.iter()) {
        if name.is_empty() {
            continue;
        }
        // Python's writers spell a missing value `None` or `nan`.
        let missing = cell.is_empty()
            || (name != "request_rate"
                && ["none", "null", "nan"].contains(&cell.to_ascii_lowercase().as_str()));
        let value = if missing {
            if name == "request_rate" {
                Value::String("inf".into())
            } else {
                continue;
            }
        } else if let Some(n) = cell.parse::<f64>().ok().and_then(Number::from_f64) {
            Value::Number(n)
        } else {
            Value::String(cell.to_string())
        };
        object.insert(name.clone(), value);
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::Load;

    const REAL: &str =
        include_str!("../../../tests/fixtures/raw/bench-serving-csv/online_results.csv");

    fn parse(text: &str) -> Result<Parsed, FormatError> {
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        assert!(BenchServingCsv.detect(&doc), "detected");
        BenchServingCsv.parse(&doc)
    }

    #[test]
    fn the_real_table_with_bom_and_trailing_columns() {
        let Parsed::Points(points) = parse(REAL).unwrap() else {
            panic!()
        };
        assert_eq!(points.len(), 54);
        let first = &points[0];
        assert_eq!(
            first.load,
            Load::Concurrency(128.0),
            "empty rate + max_concurrency"
        );
        assert_eq!(first.fields.get("GPU").map(String::as_str), Some("mi300x"));
        assert_eq!(
            first.fields.get("backend").map(String::as_str),
            Some("vllm")
        );
        assert_eq!(first.workload.input_len, Some(3200.0));
        assert!(first.e2e.p50().is_some() && first.ttft.p99().is_some());
        assert!(first.input_tokens_per_s().is_some());
    }

    /// The real table with a first column `name`: `row_2` in its first row, `others` below.
    fn with_first_column(name: &str, row_2: &str, others: &str) -> String {
        REAL.lines()
            .enumerate()
            .map(|(i, line)| match i {
                0 => line.replacen("GPU,", &format!("{name},GPU,"), 1),
                1 => format!("{row_2},{line}"),
                _ if line.is_empty() => String::new(),
                _ => format!("{others},{line}"),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_row_whose_prompts_never_reach_its_cap_is_left_out() {
        // Row 2 is at concurrency 128.
        let with_prompts = with_first_column("num_prompts", "100", "600");
        let Parsed::Points(points) = parse(&with_prompts).unwrap() else {
            panic!()
        };
        assert_eq!(points.len(), 53, "row 2: 100 prompts at concurrency 128");
        let h200 = points
            .iter()
            .filter(|p| p.fields.get("GPU").map(String::as_str) == Some("h200"))
            .count();
        assert_eq!(h200, 33, "every row keeps its columns");
        assert_eq!(points[0].load, Load::Concurrency(64.0));
        let only = with_prompts.lines().take(2).collect::<Vec<_>>().join("\n");
        let Parsed::NoPoints(why) = parse(&only).unwrap() else {
            panic!()
        };
        assert!(
            why.starts_with("row 2: 100 `num_prompts` at concurrency 128"),
            "{why}"
        );
    }

    #[test]
    fn python_spellings_of_a_missing_value_are_missing() {
        let none = with_first_column("ramp_up_strategy", "None", "None");
        let Parsed::Points(points) = parse(&none).unwrap() else {
            panic!("no row is a ramp-up")
        };
        assert_eq!(points.len(), 54);
    }

    #[test]
    fn a_bad_cell_names_its_row_and_column() {
        let bad = REAL.replacen(",437.2835269,", ",fast,", 1);
        let err = parse(&bad).unwrap_err();
        assert!(
            err.reason.starts_with("row 2: field `duration`"),
            "{}",
            err.reason
        );
    }
}
