//! End-to-end tests of the price book through the binary: all four pricing models for the
//! GPU machines the whole-machine source covers, every cost naming its source and date, and
//! a user's own accelerator-hour prices for hardware GKE does not sell.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

/// A raw tree with one native-CSV run per (accelerator, count).
fn raw_tree(root: &Path, runs: &[(&str, &str, u32)]) {
    for (name, accelerator, count) in runs {
        let dir = root.join("raw").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("points.csv"),
            "load_kind,load_value,output_tokens_per_s,input_tokens_per_s,ttft_p50_ms,ntpot_p50_ms\n\
             rate,1,1000,4000,30,10\nrate,2,2000,8000,31,11\nrate,4,3000,12000,35,12\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("run.toml"),
            format!(
                "[profile]\nmodel = \"m/{name}\"\nmodel_server = \"vllm\"\nmodel_server_version = \"v0.11.0\"\n\
                 accelerator = \"{accelerator}\"\naccelerator_count = {count}\n\
                 [source]\norigin = \"test\"\nlicense = \"MIT\"\n"
            ),
        )
        .unwrap();
    }
}

fn profiles(cwd: &Path, args: &[&str]) -> Vec<Value> {
    let mut full = vec!["profiles", "list", "--format=json", "--out", "out"];
    full.extend_from_slice(args);
    let out = infercat(cwd, &full);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str::<Value>(&stdout(&out))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn cost_of(p: &Value) -> &Value {
    &p["performanceStats"][0]["cost"][0]
}

#[test]
fn committed_use_prices_for_a100_h100_and_l4() {
    let dir = tempfile::tempdir().unwrap();
    raw_tree(
        dir.path(),
        &[
            ("a100", "nvidia-tesla-a100", 1),
            ("h100", "nvidia-h100-80gb", 1),
            ("l4", "nvidia-l4", 1),
        ],
    );
    let out = infercat(dir.path(), &["build", "--raw", "raw", "--out", "out"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Whole-machine prices (2026-07-30), regions by SPEC §5: a2/g2 in us-east5, a3 in us-central1.
    let expected = [
        ("1-year-cud", "m/a100", 2.314207),
        ("1-year-cud", "m/h100", 7.67295902),
        ("1-year-cud", "m/l4", 0.60570534),
        ("3-years-cud", "m/a100", 1.28570855),
        ("3-years-cud", "m/h100", 4.85804764),
        ("3-years-cud", "m/l4", 0.43264666),
    ];
    for (model_flag, model, usd) in expected {
        let list = profiles(dir.path(), &[&format!("--pricing-model={model_flag}")]);
        let p = list
            .iter()
            .find(|p| p["modelServerInfo"]["model"] == model)
            .unwrap();
        let c = cost_of(p);
        assert_eq!(c["pricingModel"], model_flag);
        assert_eq!(c["usdPerHour"], usd, "{model} {model_flag}");
        assert_eq!(c["priceAsOf"], "2026-07-30");
        // Knee at 3000 output + 12000 input tok/s: usd / 3600 / (12000 / 4 + 3000) x 1e6,
        // stated to six significant digits.
        let want = usd / 3600.0 / (12000.0 / 4.0 + 3000.0) * 1e6;
        let got = c["costPerMillionOutputTokens"].as_f64().unwrap();
        assert!(
            ((got - want) / want).abs() <= 5e-6,
            "{model} {model_flag}: {got} vs {want}"
        );
    }
}

#[test]
fn accelerator_hour_prices_cover_hardware_gke_does_not_sell() {
    let dir = tempfile::tempdir().unwrap();
    raw_tree(
        dir.path(),
        &[
            ("l40s", "NVIDIA L40S", 2),
            ("mi300x", "MI300X", 8),
            ("onprem", "nvidia-h100-80gb", 8),
        ],
    );
    std::fs::write(
        dir.path().join("own.csv"),
        "accelerator,usd_per_accelerator_hour,pricing_model\n\
         nvidia-l40s,0.90,\n\
         amd-instinct-mi300x,1.75,on-demand\n\
         nvidia-h100-80gb,1.20,\n",
    )
    .unwrap();
    let out = infercat(
        dir.path(),
        &[
            "build", "--raw", "raw", "--out", "out", "--prices", "own.csv",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let list = profiles(
        dir.path(),
        &["--pricing-model=on-demand", "--prices", "own.csv"],
    );
    let usd = |model: &str| {
        let p = list
            .iter()
            .find(|p| p["modelServerInfo"]["model"] == model)
            .unwrap();
        cost_of(p)["usdPerHour"].as_f64()
    };
    assert_eq!(usd("m/l40s"), Some(0.90 * 2.0));
    assert_eq!(usd("m/mi300x"), Some(1.75 * 8.0));
    // The owned H100s' amortized rate wins over the cloud's a3-highgpu-8g price.
    assert_eq!(usd("m/onprem"), Some(1.20 * 8.0));
    // MI300X was priced for on-demand only; spot stays N/A.
    let spot = profiles(dir.path(), &["--pricing-model=spot", "--prices", "own.csv"]);
    let mi = spot
        .iter()
        .find(|p| p["modelServerInfo"]["model"] == "m/mi300x")
        .unwrap();
    assert!(cost_of(mi)["costPerMillionOutputTokens"].is_null());
    assert!(
        cost_of(mi)["priceSource"]
            .as_str()
            .unwrap()
            .contains("not a GKE accelerator")
    );
}
