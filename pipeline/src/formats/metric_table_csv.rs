//! The CSV tables AIPerf (`profile_export_aiperf.csv`) and GenAI-Perf
//! (`profile_export_genai_perf.csv`) write beside their JSON export: one row per metric
//! (`Metric,avg,min,max,…`) without the run's load or model. They repeat what the JSON holds,
//! so a run directory copied whole is read from its JSON and the table is noted, not rejected.

use super::{Parsed, RawFormat, csv_header};
use crate::document::Document;
use crate::error::FormatError;

pub struct MetricTableCsv;

impl RawFormat for MetricTableCsv {
    fn tool(&self) -> &'static str {
        "aiperf-csv"
    }

    fn detect(&self, doc: &Document) -> bool {
        let header = csv_header(doc);
        header.first() == Some(&"Metric") && header.contains(&"avg")
    }

    fn parse(&self, _doc: &Document) -> Result<Parsed, FormatError> {
        Ok(Parsed::NoPoints(
            "an AIPerf or GenAI-Perf metric table (CSV): it states no load or model; the \
             profile_export_*.json written beside it holds the same run and is read instead"
                .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metric_table_is_noted_not_read() {
        let table = include_str!("../../../tests/fixtures/versions/aiperf-metric-table.csv");
        let doc = Document::from_bytes(table.as_bytes()).unwrap();
        assert!(MetricTableCsv.detect(&doc));
        assert!(
            matches!(MetricTableCsv.parse(&doc).unwrap(), Parsed::NoPoints(r) if r.contains("profile_export"))
        );
        let native =
            Document::from_bytes(b"load_kind,load_value,output_tokens_per_s\nrate,1,100\n")
                .unwrap();
        assert!(!MetricTableCsv.detect(&native));
    }
}
