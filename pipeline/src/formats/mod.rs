//! The raw result formats infercat reads, one file each behind [`RawFormat`], and detection by
//! content: each format recognizes its own shape from the parsed [`Document`], never from the
//! file name.

mod aiperf;
mod bench_serving_csv;
mod fields;
mod genai_perf;
mod guidellm;
mod inference_perf;
mod inference_perf_prometheus;
mod inferencex_agg;
mod llmperf;
mod metric_objects;
mod native_csv;
pub mod near_miss;
mod serving_json;
mod sglang;
mod vllm_nightly;
mod vllm_save_result;
mod vllm_sweep;

pub use aiperf::{
    ENDPOINT_URLS as AIPERF_ENDPOINT_URLS, TOOL as AIPERF_TOOL, endpoints_beyond_replicas,
};
pub use bench_serving_csv::TOOL as BENCH_SERVING_CSV_TOOL;
pub use guidellm::TOOL as GUIDELLM_TOOL;
pub use metric_objects::CANCELLED_REQUESTS;
pub use sglang::TOOL as SGLANG_TOOL;
pub use vllm_nightly::TOOL as VLLM_NIGHTLY_TOOL;
pub use vllm_save_result::TOOL as VLLM_TOOL;
pub use vllm_sweep::TOOL as VLLM_SWEEP_TOOL;

use crate::document::Document;
use crate::error::FormatError;
use crate::point::{MeasuredPoint, ServerMetrics};

/// What one raw file contributes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Parsed {
    /// Measured load points.
    Points(Vec<MeasuredPoint>),
    /// The model server's own metrics for one stage, paired with the stage's points by the
    /// shared file-name prefix (`stage_3_...`).
    ServerMetrics(ServerMetrics),
    /// A valid file that holds no load point of its own (e.g. a whole-run summary that would
    /// double-count its stages); the reason is shown in the ingest report.
    NoPoints(String),
}

/// One benchmarking tool's output format.
pub trait RawFormat: Sync {
    /// The tool name stored in the `tool` column and accepted in run.toml `[source] tool`.
    fn tool(&self) -> &'static str;
    /// Whether the document has this format's shape. Cheap; must not fail.
    fn detect(&self, doc: &Document) -> bool;
    /// Reads the document, or says exactly what breaks the format.
    fn parse(&self, doc: &Document) -> Result<Parsed, FormatError>;
}

static FORMATS: &[&dyn RawFormat] = &[
    &inference_perf::InferencePerf,
    &inference_perf_prometheus::InferencePerfPrometheus,
    &vllm_nightly::VllmNightly,
    &inferencex_agg::InferenceXAgg,
    &sglang::SglangBenchServing,
    &vllm_save_result::VllmSaveResult,
    &vllm_sweep::VllmSweep,
    &aiperf::AiPerf,
    &genai_perf::GenAiPerf,
    &guidellm::GuideLlm,
    &llmperf::LlmPerf,
    &native_csv::NativeCsv,
    &bench_serving_csv::BenchServingCsv,
];

/// Every supported format, in detection order (more specific shapes first).
pub fn all() -> &'static [&'static dyn RawFormat] {
    FORMATS
}

/// The format whose shape the document has, if any.
pub fn detect(doc: &Document) -> Option<&'static dyn RawFormat> {
    FORMATS.iter().copied().find(|f| f.detect(doc))
}

/// The format a run.toml names explicitly.
pub fn by_tool(tool: &str) -> Option<&'static dyn RawFormat> {
    FORMATS.iter().copied().find(|f| f.tool() == tool)
}

/// The JSON objects of a document that is one object or JSON Lines of objects.
fn json_objects(doc: &Document) -> Vec<&serde_json::Value> {
    match doc {
        Document::Json(v) if v.is_object() => vec![v],
        Document::JsonLines(vs) => vs.iter().collect(),
        _ => Vec::new(),
    }
}

/// Parses every object of a one-object or JSON Lines document with `parse_one`; a failure
/// names its line when there are several.
fn parse_objects(
    doc: &Document,
    parse_one: fn(&serde_json::Value) -> Result<MeasuredPoint, FormatError>,
) -> Result<Parsed, FormatError> {
    parse_objects_except(doc, parse_one, |_| None)
}

/// Like [`parse_objects`], leaving out the objects `skip` gives a reason for (records that are
/// not a load point); a document of only those is no points, with the first reason.
fn parse_objects_except(
    doc: &Document,
    parse_one: fn(&serde_json::Value) -> Result<MeasuredPoint, FormatError>,
    skip: fn(&serde_json::Value) -> Option<String>,
) -> Result<Parsed, FormatError> {
    let objects = json_objects(doc);
    let many = objects.len() > 1;
    let line = |i: usize| many.then(|| format!("line {}", i + 1));
    parse_records_except(objects, line, parse_one, skip)
}

/// Parses each record with `parse_one`, leaving out those `skip` gives a reason for; a failure
/// names the record's place where `place` gives one. No points but records left out is no
/// points, with the first reason.
fn parse_records_except<'a>(
    records: impl IntoIterator<Item = &'a serde_json::Value>,
    place: impl Fn(usize) -> Option<String>,
    parse_one: fn(&serde_json::Value) -> Result<MeasuredPoint, FormatError>,
    skip: fn(&serde_json::Value) -> Option<String>,
) -> Result<Parsed, FormatError> {
    let records = records.into_iter();
    let mut points = Vec::with_capacity(records.size_hint().0);
    let mut skipped = None;
    for (i, v) in records.enumerate() {
        if let Some(why) = skip(v) {
            skipped.get_or_insert(why);
            continue;
        }
        let point = parse_one(v).map_err(|e| match place(i) {
            Some(at) => e.at(at),
            None => e,
        })?;
        points.push(point);
    }
    match (points.is_empty(), skipped) {
        (true, Some(why)) => Ok(Parsed::NoPoints(why)),
        _ => Ok(Parsed::Points(points)),
    }
}

/// Why a run at a fixed `concurrency` that sent `sent` requests (`counted` says how they were
/// counted) is not a load point there, when it sent fewer: at most that many ran at once.
fn concurrency_not_reached(sent: f64, counted: &str, concurrency: f64) -> Option<String> {
    (sent < concurrency).then(|| {
        format!(
            "{sent} {counted} at concurrency {concurrency}: at most {sent} ran at once, so the \
             concurrency was never reached and it is not a load point"
        )
    })
}

/// The column names of a CSV document's header row (empty for other documents).
pub(crate) fn csv_header(doc: &Document) -> Vec<&str> {
    match doc {
        Document::Csv(text) => text
            .lines()
            .next()
            .unwrap_or("")
            .split(',')
            .map(|h| h.trim().trim_matches('"'))
            .collect(),
        _ => Vec::new(),
    }
}

/// Seconds-to-milliseconds factor, named so conversions read as what they are.
const MS_PER_S: f64 = 1000.0;
