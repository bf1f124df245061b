//! End-to-end: `infercat build` on the bundled catalog writes one profile row per curve, with
//! knees, prices from the checked catalog, and the user's own prices when given.

mod common;

use common::*;
use polars::prelude::*;

fn build(args: &[&str]) -> (tempfile::TempDir, DataFrame) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut full = vec![
        "build",
        "--raw",
        "data/raw",
        "--out",
        out.to_str().unwrap(),
        "--strict",
    ];
    full.extend_from_slice(args);
    let o = infercat(&repo_path(""), &full);
    assert!(o.status.success(), "{}", stderr(&o));
    let df = read_parquet(&out.join("data/profiles.parquet"));
    (tmp, df)
}

fn col_f64(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    df.column(name).unwrap().f64().unwrap().iter().collect()
}

fn col_str(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    df.column(name)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

#[test]
fn build_writes_one_profile_per_curve_with_prices_and_knees() {
    let (tmp, df) = build(&[]);
    assert_eq!(df.height(), 52);
    let accel = col_str(&df, "accelerator");
    let spot = col_f64(&df, "spot_usd_per_hour");
    let on_demand = col_f64(&df, "on_demand_usd_per_hour");
    let on_demand_why = col_str(&df, "on_demand_price_source");
    let spot_out = col_f64(&df, "spot_cost_per_m_output_tokens");
    let cud = col_f64(&df, "cud_1y_cost_per_m_output_tokens");
    let cud_3y_hourly = col_f64(&df, "cud_3y_usd_per_hour");
    for i in 0..df.height() {
        match accel[i].as_deref() {
            Some("nvidia-h100-80gb") => {
                // a3-highgpu-1g in us-central1 from the whole-machine source (2026-07-30):
                // spot 6.3261926, on-demand 11.06124999 (the list price; the component
                // source's 4.20 $/GPU-h row stays refused), 3-year CUD 4.85804764 $/h.
                assert!((spot[i].unwrap() - 6.3261926).abs() < 1e-9);
                assert!((on_demand[i].unwrap() - 11.06124999).abs() < 1e-9);
                assert!(
                    on_demand_why[i]
                        .as_deref()
                        .unwrap()
                        .contains("whole-machine price")
                );
                assert!((cud_3y_hourly[i].unwrap() - 4.85804764).abs() < 1e-9);
                assert!(cud[i].unwrap() > 0.0 && spot_out[i].unwrap() > 0.0);
            }
            Some("nvidia-a100-80gb") => {
                // a2-ultragpu-* have no committed-use price in any source: never invented.
                assert!(cud[i].is_none(), "no CUD price is ever invented");
                assert!(spot[i].is_some());
            }
            Some("unknown" | "amd-instinct-mi300x" | "amd-instinct-mi355x") => {
                assert!(
                    spot[i].is_none() && spot_out[i].is_none() && cud[i].is_none(),
                    "unknown or non-GKE hardware is N/A, never 0"
                );
            }
            _ => assert!(spot[i].is_some()),
        }
    }
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("out/data/price-report.json")).unwrap(),
    )
    .unwrap();
    let reasons: Vec<String> = report["rejected_prices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap().to_string())
        .collect();
    for needle in ["price is 0", "below the spot price", "override"] {
        assert!(
            reasons.iter().any(|r| r.contains(needle)),
            "price report lists `{needle}`"
        );
    }
    assert_eq!(report["sources"][0]["as_of"], "2026-07-30");
    assert!(
        report["disagreements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["instance_type"] == "a3-highgpu-1g" && d["pricing_model"] == "spot"),
        "6.33 vs 3.35 $/h spot is listed with both values"
    );
}

#[test]
fn user_prices_and_sizing_flags_change_the_table() {
    let tmp = tempfile::tempdir().unwrap();
    let prices = tmp.path().join("prices.csv");
    std::fs::write(
        &prices,
        "instance_type,region,pricing_model,usd_per_hour\na3-highgpu-1g,us-central1,1-year-cud,7.0\n",
    )
    .unwrap();
    let (_t, df) = build(&[
        "--prices",
        prices.to_str().unwrap(),
        "--expected-qps",
        "500",
        "--output-input-cost-ratio",
        "2",
    ]);
    let cud = col_f64(&df, "cud_1y_usd_per_hour");
    let accel = col_str(&df, "accelerator");
    let replicas: Vec<Option<u32>> = df
        .column("replicas")
        .unwrap()
        .u32()
        .unwrap()
        .iter()
        .collect();
    let knee_rps = col_f64(&df, "knee_requests_per_s");
    for i in 0..df.height() {
        if accel[i].as_deref() == Some("nvidia-h100-80gb") {
            assert_eq!(cud[i], Some(7.0));
        }
        if let (Some(r), Some(rps)) = (replicas[i], knee_rps[i]) {
            assert_eq!(r, (500.0 * 1.2 / rps).ceil() as u32);
        }
    }
    assert!(replicas.iter().any(Option::is_some));
    assert_eq!(col_f64(&df, "output_input_cost_ratio")[0], Some(2.0));
}

#[test]
fn bad_analysis_flags_are_errors() {
    let o = infercat(
        &repo_path(""),
        &[
            "analyze",
            "--out",
            "/nonexistent-infercat",
            "--percentile",
            "p42",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "a bad flag value is a usage error"
    );
    // clap refuses it while parsing and lists the valid values.
    assert!(
        stderr(&o).contains("invalid value 'p42' for '--percentile")
            && stderr(&o).contains("mean, p50, p90, p99"),
        "{}",
        stderr(&o)
    );
    let o = infercat(
        &repo_path(""),
        &["analyze", "--out", "/nonexistent-infercat"],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "a missing table is a runtime failure"
    );
    assert!(
        stderr(&o).contains("no catalog in /nonexistent-infercat"),
        "{}",
        stderr(&o)
    );
    assert!(
        !std::path::Path::new("/nonexistent-infercat").exists(),
        "nothing is written on failure"
    );
}
