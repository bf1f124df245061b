//! infercat's native `points.csv`: many points per file, columns named exactly as the
//! normalized table (`load_kind`, `load_value`, `output_tokens_per_s`, `ttft_p50_ms`, …; see
//! `schema`). Units are the table's (ms, tokens/s). Empty cells are unknown. Unknown columns are
//! rejected so a typo never silently drops a metric.

use super::fields::check_range;
use super::{Parsed, RawFormat, csv_header};
use crate::document::Document;
use crate::error::FormatError;
use crate::point::{Load, MeasuredPoint};
use crate::schema::metric_column;
use crate::workload::{WorkloadHint, dataset_name};

pub struct NativeCsv;

/// Columns accepted besides the metric columns.
const NATIVE_COLUMNS: &[&str] = &[
    "label",
    "load_kind",
    "load_value",
    "completed",
    "failed",
    "dataset",
    "requested_input_tokens",
    "requested_output_tokens",
];

impl RawFormat for NativeCsv {
    fn tool(&self) -> &'static str {
        "native"
    }

    fn detect(&self, doc: &Document) -> bool {
        let names = csv_header(doc);
        names.contains(&"load_kind") && names.contains(&"output_tokens_per_s")
    }

    fn parse(&self, doc: &Document) -> Result<Parsed, FormatError> {
        let Document::Csv(text) = doc else {
            return Err(FormatError::new("expected CSV text"));
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| FormatError::new(format!("CSV header: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        check_headers(&headers)?;
        let mut points = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let record = record.map_err(|e| FormatError::new(format!("line {line}: {e}")))?;
            points.push(parse_record(&headers, &record).map_err(|e| e.at(format!("line {line}")))?);
        }
        if points.is_empty() {
            return Err(FormatError::new("CSV has a header but no data rows"));
        }
        Ok(Parsed::Points(points))
    }
}

fn check_headers(headers: &[String]) -> Result<(), FormatError> {
    for h in headers {
        if !NATIVE_COLUMNS.contains(&h.as_str()) && metric_column(h).is_none() {
            return Err(FormatError::new(format!("unknown column `{h}`")));
        }
    }
    for required in ["load_kind", "output_tokens_per_s"] {
        if !headers.iter().any(|h| h == required) {
            return Err(FormatError::missing(required));
        }
    }
    Ok(())
}

fn parse_record(
    headers: &[String],
    record: &csv::StringRecord,
) -> Result<MeasuredPoint, FormatError> {
    let cell = |name: &str| -> Option<&str> {
        headers
            .iter()
            .position(|h| h == name)
            .and_then(|i| record.get(i))
            .filter(|v| !v.is_empty())
    };
    let number = |name: &str| -> Result<Option<f64>, FormatError> {
        cell(name)
            .map(|v| {
                let x = v.parse::<f64>().map_err(|_| {
                    FormatError::new(format!("column `{name}`: `{v}` is not a number"))
                })?;
                if name == "load_value" && x.is_infinite() && x > 0.0 {
                    return Ok(x);
                }
                check_range(name, x)
            })
            .transpose()
    };
    let kind = cell("load_kind").ok_or_else(|| FormatError::missing("load_kind"))?;
    let load = Load::from_kind(kind, number("load_value")?).map_err(FormatError::new)?;
    let output = number("output_tokens_per_s")?
        .ok_or_else(|| FormatError::missing("output_tokens_per_s"))?;
    let mut p = MeasuredPoint::new(load, output);
    p.label = cell("label").map(str::to_string);
    p.completed = number("completed")?.map(|v| v as i64);
    p.failed = number("failed")?.map(|v| v as i64);
    p.workload = WorkloadHint {
        dataset: cell("dataset").and_then(dataset_name),
        input_len: number("requested_input_tokens")?,
        output_len: number("requested_output_tokens")?,
        range_ratio: None,
    };
    for name in headers {
        if let Some(column) = metric_column(name)
            && let Some(v) = number(name)?
        {
            (column.set)(&mut p, v);
        }
    }
    Ok(p.with_derived_totals())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Parsed, FormatError> {
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        assert!(NativeCsv.detect(&doc), "not detected: {text}");
        NativeCsv.parse(&doc)
    }

    #[test]
    fn reads_points_with_empty_cells_as_unknown() {
        let Parsed::Points(ps) = parse(
            "label,load_kind,load_value,output_tokens_per_s,ttft_p50_ms,ntpot_p50_ms\n\
             \"a, quoted\",rate,1.5,100,20,\n\
             b,unbounded,,900,400,30\n",
        )
        .unwrap() else {
            panic!("expected points")
        };
        assert_eq!(ps[0].load, Load::Rate(1.5));
        assert_eq!(ps[0].label.as_deref(), Some("a, quoted"));
        assert_eq!(ps[0].ntpot.p50(), None);
        assert_eq!(ps[1].load, Load::Unbounded);
        assert_eq!(ps[1].ttft.p50(), Some(400.0));
    }

    #[test]
    fn typos_bad_cells_and_missing_values_are_named() {
        let err = parse("load_kind,load_value,output_tokens_per_s,ttft_p5O_ms\nrate,1,2,3\n")
            .unwrap_err();
        assert_eq!(err.reason, "unknown column `ttft_p5O_ms`");
        let err = parse("load_kind,load_value,output_tokens_per_s\nrate,1,fast\n").unwrap_err();
        assert_eq!(
            err.reason,
            "line 2: column `output_tokens_per_s`: `fast` is not a number"
        );
        let err = parse("load_kind,load_value,output_tokens_per_s\nrate,,2\n").unwrap_err();
        assert!(err.reason.contains("needs a load value"), "{}", err.reason);
        let err = parse("load_kind,load_value,output_tokens_per_s\nrate,1,-2\n").unwrap_err();
        assert!(err.reason.contains("negative"), "{}", err.reason);
        let err = parse("load_kind,load_value,output_tokens_per_s\nrate,1\n").unwrap_err();
        assert!(err.reason.starts_with("line 2:"), "{}", err.reason);
        assert!(parse("load_kind,load_value,output_tokens_per_s\n").is_err());
    }
}
