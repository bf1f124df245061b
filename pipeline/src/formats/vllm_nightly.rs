//! vLLM's nightly benchmark summary: a JSON array of rows keyed by display names
//! (`"Mean TTFT (ms)"`, `"Tput (req/s)"`). The load exists only as the `"Test name"` suffix
//! (`…_qps_16`, `…_qps_inf`, `…_qps_inf_concurrency_16`). Rows report means (and sometimes
//! medians/p99) only, or (vllm-ascend's) medians in bare `TTFT (ms)` columns.

use super::fields::{LatencyKeys, Obj, as_object};
use super::{Parsed, RawFormat};
use crate::document::Document;
use crate::error::FormatError;
use crate::point::{Load, MeasuredPoint};
use crate::workload::dataset_name;

pub struct VllmNightly;

const TEST_NAME: &str = "Test name";

/// The tool its points are recorded under.
pub const TOOL: &str = "vllm-nightly";

impl RawFormat for VllmNightly {
    fn tool(&self) -> &'static str {
        TOOL
    }

    fn detect(&self, doc: &Document) -> bool {
        let Document::Json(serde_json::Value::Array(rows)) = doc else {
            return false;
        };
        !rows.is_empty()
            && rows
                .iter()
                .all(|r| r.get(TEST_NAME).is_some() && r.get("Output Tput (tok/s)").is_some())
    }

    fn parse(&self, doc: &Document) -> Result<Parsed, FormatError> {
        let Document::Json(serde_json::Value::Array(rows)) = doc else {
            return Err(FormatError::new("expected a JSON array of rows"));
        };
        rows.iter()
            .enumerate()
            .map(|(i, row)| parse_row(row).map_err(|e| e.at(format!("row {}", i + 1))))
            .collect::<Result<Vec<_>, _>>()
            .map(Parsed::Points)
    }
}

fn parse_row(row: &serde_json::Value) -> Result<MeasuredPoint, FormatError> {
    let o = as_object(row, "row")?;
    let name = o
        .text(TEST_NAME)?
        .ok_or_else(|| FormatError::missing(TEST_NAME))?;
    let mut p = MeasuredPoint::new(
        load_from_test_name(name)?,
        o.req_num("Output Tput (tok/s)")?,
    );
    p.label = Some(name.to_string());
    p.workload.dataset = dataset_from_test_name(name);
    p.fields = o.scalars(|_, v| v.is_string());
    if let (Load::Rate(_), Some(cap)) = (p.load, cap_from_test_name(name)) {
        p.fields.insert("concurrency_cap".into(), cap);
    }
    p.set_requests_per_s(o.num("Tput (req/s)")?);
    p.completed = completed(&o)?;
    p.set_input_tokens_per_s(o.num("Input Tput (tok/s)")?);
    if let Some(total) = o.num("Total Tput (tok/s)")? {
        p.set_total_tokens_per_s(Some(total));
        if p.input_tokens_per_s().is_none() && total >= p.output_tokens_per_s {
            p.set_input_tokens_per_s(Some(total - p.output_tokens_per_s));
        }
    }
    p.set_mean_input_tokens(per_request(&o, "Total input tokens", p.completed)?);
    p.set_mean_output_tokens(per_request(&o, "Total output tokens", p.completed)?);
    p.ttft = display_latency(&o, "TTFT")?;
    p.tpot = display_latency(&o, "TPOT")?;
    p.itl = display_latency(&o, "ITL")?;
    p.e2e = display_latency(&o, "E2EL")?;
    Ok(p.with_derived_totals())
}

/// Completed requests: `Successful req.`, or `# of req.` (what vLLM's converter names
/// `completed` in the 2025 summaries).
fn completed(o: &Obj) -> Result<Option<i64>, FormatError> {
    Ok(match o.count("Successful req.")? {
        Some(n) => Some(n),
        None => o.count("# of req.")?,
    })
}

/// The dataset is the name's last part before `_qps_` (`…_tp1_sharegpt_qps_2` → sharegpt).
fn dataset_from_test_name(name: &str) -> Option<String> {
    let (head, _) = name.rsplit_once("_qps_")?;
    let last = head.rsplit('_').next()?;
    let is_name = last.len() >= 3
        && last.chars().all(|c| c.is_ascii_alphanumeric())
        && last.starts_with(|c: char| c.is_ascii_alphabetic())
        && !is_parallelism(last);
    is_name.then(|| dataset_name(last)).flatten()
}

/// A parallelism part of a test name (`tp8`, `pp1`, `dp2`, `ep4`), not a dataset.
fn is_parallelism(part: &str) -> bool {
    let lower = part.to_ascii_lowercase();
    ["tp", "pp", "dp", "ep"].iter().any(|prefix| {
        lower
            .strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    })
}

/// `…_qps_16` is a rate of 16 req/s; `…_qps_inf` is unbounded. Later versions of vLLM's
/// performance-benchmark script sweep a concurrency cap too and name its tests
/// `…_qps_inf_concurrency_16`: at an unlimited rate the cap is the load (as in a bench_serving
/// record); beside a finite rate it stays a cap.
fn load_from_test_name(name: &str) -> Result<Load, FormatError> {
    let suffix = name.rsplit_once("_qps_").map(|(_, s)| s).ok_or_else(|| {
        FormatError::new(format!(
            "`{TEST_NAME}` \"{name}\" has no `_qps_<rate>` suffix"
        ))
    })?;
    let (rate, cap) = match suffix.split_once("_concurrency_") {
        Some((rate, cap)) => (rate, Some(test_name_concurrency(name, cap)?)),
        None => (suffix, None),
    };
    if rate.eq_ignore_ascii_case("inf") {
        return Ok(cap.map_or(Load::Unbounded, Load::Concurrency));
    }
    match rate.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(Load::Rate(r)),
        _ => Err(FormatError::new(format!(
            "`{TEST_NAME}` \"{name}\": rate suffix `{rate}` is not a positive number or `inf`"
        ))),
    }
}

/// The `<n>` of a test name's `_concurrency_<n>`: a positive whole number.
fn test_name_concurrency(name: &str, cap: &str) -> Result<f64, FormatError> {
    match cap.parse::<u32>() {
        Ok(n) if n > 0 => Ok(f64::from(n)),
        _ => Err(FormatError::new(format!(
            "`{TEST_NAME}` \"{name}\": concurrency suffix `{cap}` is not a positive whole number"
        ))),
    }
}

/// The concurrency cap a test name states (`…_concurrency_16`), as a record field beside a
/// finite rate, where it is not the load but still a setting; spelled as a number (`016` is 16).
fn cap_from_test_name(name: &str) -> Option<String> {
    let (_, suffix) = name.rsplit_once("_qps_")?;
    let (_, cap) = suffix.split_once("_concurrency_")?;
    test_name_concurrency(name, cap).ok().map(|n| n.to_string())
}

/// A metric's `Mean`, `Median`, `P90` and `P99` columns. A bare `TTFT (ms)` column (vllm-ascend's
/// summaries, which fill it from `median_ttft_ms`) is the median when no `Median` column is.
fn display_latency(o: &Obj, metric: &str) -> Result<crate::point::Latency, FormatError> {
    let mean = format!("Mean {metric} (ms)");
    let median = format!("Median {metric} (ms)");
    let bare = format!("{metric} (ms)");
    let p50 = if o.num(&median)?.is_none() && o.num(&bare)?.is_some() {
        bare
    } else {
        median
    };
    let p90 = format!("P90 {metric} (ms)");
    let p99 = format!("P99 {metric} (ms)");
    o.latency(LatencyKeys {
        mean: &mean,
        p50: &p50,
        p90: &p90,
        p99: &p99,
    })
}

fn per_request(
    o: &Obj,
    total_key: &str,
    completed: Option<i64>,
) -> Result<Option<f64>, FormatError> {
    match (o.num(total_key)?, completed) {
        (Some(t), Some(n)) if n > 0 => Ok(Some(t / n as f64)),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROWS: &str = r#"[
      {"Test name": "vllm_055_llama8B_tp1_sharegpt_qps_2", "GPU": "A100-SXM4-80GB", "Successful req.": 500,
       "Tput (req/s)": 1.92, "Mean TTFT (ms)": 59.8, "Std TTFT (ms)": 24.1, "Mean TPOT (ms)": 13.8,
       "Std TPOT (ms)": 2.0, "Input Tput (tok/s)": 387.8, "Output Tput (tok/s)": 410.2,
       "Total input tokens": 100000, "Total output tokens": 106000, "Engine": "vllm_055"},
      {"Test name": "vllm_055_llama8B_tp1_sharegpt_qps_inf", "Successful req.": 500,
       "Tput (req/s)": 9.5, "Mean TTFT (ms)": 2000.0, "Output Tput (tok/s)": 2000.0}
    ]"#;

    #[test]
    fn a_concurrency_sweep_in_the_test_name_is_the_load_at_an_unlimited_rate() {
        let load = |name: &str| load_from_test_name(name);
        assert_eq!(
            load("serving_llama8B_tp1_sharegpt_qps_inf_concurrency_16").unwrap(),
            Load::Concurrency(16.0)
        );
        assert_eq!(
            load("serving_llama8B_tp1_sharegpt_qps_4_concurrency_16").unwrap(),
            Load::Rate(4.0),
            "beside a rate the cap is only a cap"
        );
        assert_eq!(
            cap_from_test_name("serving_llama8B_tp1_sharegpt_qps_4_concurrency_016").as_deref(),
            Some("16")
        );
        let rows = ROWS
            .replacen("_qps_2\"", "_qps_2_concurrency_8\"", 1)
            .replacen("_qps_inf\"", "_qps_inf_concurrency_32\"", 1);
        let doc = Document::from_bytes(rows.as_bytes()).unwrap();
        let Parsed::Points(ps) = VllmNightly.parse(&doc).unwrap() else {
            panic!("expected points")
        };
        assert_eq!(ps[0].load, Load::Rate(2.0));
        assert_eq!(
            ps[0].fields.get("concurrency_cap").map(String::as_str),
            Some("8")
        );
        assert_eq!(ps[1].load, Load::Concurrency(32.0));
        assert_eq!(
            ps[1].fields.get("concurrency_cap"),
            None,
            "the cap is the load"
        );
        assert_eq!(
            dataset_from_test_name("serving_llama8B_tp1_sharegpt_qps_inf_concurrency_16")
                .as_deref(),
            Some("sharegpt")
        );
        let bad = load("serving_llama8B_tp1_sharegpt_qps_inf_concurrency_many").unwrap_err();
        assert!(
            bad.reason.contains("concurrency suffix `many`"),
            "{}",
            bad.reason
        );
    }

    #[test]
    fn rate_comes_from_the_test_name_suffix() {
        let doc = Document::from_bytes(ROWS.as_bytes()).unwrap();
        assert!(VllmNightly.detect(&doc));
        let Parsed::Points(ps) = VllmNightly.parse(&doc).unwrap() else {
            panic!("expected points")
        };
        assert_eq!(ps[0].load, Load::Rate(2.0));
        assert_eq!(ps[1].load, Load::Unbounded);
        assert_eq!(ps[0].ttft.mean(), Some(59.8));
        assert_eq!(ps[0].ttft.p50(), None);
        assert_eq!(ps[0].mean_input_tokens(), Some(200.0));
        assert_eq!(
            ps[0].label.as_deref(),
            Some("vllm_055_llama8B_tp1_sharegpt_qps_2")
        );
    }

    #[test]
    fn the_2025_columns_and_bare_latency_columns_read() {
        // A 2025 summary (`# of req.`, `Total Tput`) and vllm-ascend's bare `TTFT (ms)` columns.
        let rows = r##"[{"Test name": "tp8_pp1_qps_01", "# of req.": 200, "Tput (req/s)": 0.97,
            "Output Tput (tok/s)": 208.18, "Total Tput (tok/s)": 416.05, "Mean TTFT (ms)": 80.0,
            "Median TTFT (ms)": 75.0, "TTFT (ms)": 70.0, "TPOT (ms)": 21.5, "ITL (ms)": 20.9,
            "Total input tokens": 44000}]"##;
        let doc = Document::from_bytes(rows.as_bytes()).unwrap();
        let Parsed::Points(ps) = VllmNightly.parse(&doc).unwrap() else {
            panic!("expected points")
        };
        let p = &ps[0];
        assert_eq!(p.load, Load::Rate(1.0));
        assert_eq!(
            p.workload.dataset, None,
            "pp1 is parallelism, not a dataset"
        );
        assert_eq!(p.completed, Some(200));
        assert_eq!(p.total_tokens_per_s(), Some(416.05));
        let input = p.input_tokens_per_s().unwrap();
        assert!((input - 207.87).abs() < 1e-9, "total − output: {input}");
        assert_eq!(p.ttft.p50(), Some(75.0), "the Median column wins");
        assert_eq!(p.mean_input_tokens(), Some(220.0), "per `# of req.`");
        assert_eq!(p.tpot.p50(), Some(21.5), "a bare column is the median");
        assert_eq!((p.itl.p50(), p.itl.mean()), (Some(20.9), None));
    }

    #[test]
    fn the_vllm_ascend_summary_reads_its_medians() {
        let text =
            include_str!("../../../tests/fixtures/versions/vllm-ascend-nightly-summary.json");
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        assert!(VllmNightly.detect(&doc));
        let Parsed::Points(ps) = VllmNightly.parse(&doc).unwrap() else {
            panic!("expected points")
        };
        assert_eq!(ps.len(), 8);
        assert!(
            ps.iter()
                .all(|p| p.ttft.p50().is_some() && p.tpot.p50().is_some())
        );
        let ttft = ps[0].ttft.p50().unwrap();
        assert!((ttft - 94.128).abs() < 1e-3, "{ttft}");
        assert_eq!(ps[0].load, Load::Rate(1.0));
    }

    #[test]
    fn a_name_without_rate_is_rejected_with_the_row() {
        let doc = Document::from_bytes(ROWS.replace("_qps_inf", "_burst").as_bytes()).unwrap();
        let err = VllmNightly.parse(&doc).unwrap_err();
        assert!(
            err.reason.starts_with("row 2: `Test name`"),
            "{}",
            err.reason
        );
        let doc = Document::from_bytes(ROWS.replace("_qps_2\"", "_qps_-2\"").as_bytes()).unwrap();
        assert!(
            VllmNightly
                .parse(&doc)
                .unwrap_err()
                .reason
                .contains("not a positive number")
        );
    }
}
