//! End-to-end tests of the query verbs and `manifests create` on the bundled catalog: whole
//! outputs against golden files (regenerate with `UPDATE_GOLDEN=1 cargo test --test cli_e2e`),
//! and single facts about operating points, errors and exit codes.

mod common;

use common::*;
use std::path::Path;
use std::sync::OnceLock;

/// The bundled catalog, built once into a temp dir shared by the tests of this file.
fn catalog() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = infercat(
            &repo_path(""),
            &["build", "--out", dir.path().to_str().unwrap(), "--strict"],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        dir
    })
    .path()
}

fn run(args: &[&str]) -> std::process::Output {
    let mut full: Vec<&str> = args.to_vec();
    full.extend(["--out", catalog().to_str().unwrap()]);
    infercat(&repo_path(""), &full)
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

fn golden(name: &str, actual: &str) {
    let path = repo_path("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", path.display()));
    assert!(
        expected == actual,
        "{name} differs from its golden file; diff with UPDATE_GOLDEN=1 and review"
    );
}

#[test]
fn golden_outputs() {
    golden("models_list.txt", &ok(&["models", "list"]));
    golden(
        "accelerators_list.csv",
        &ok(&["accelerators", "list", "--format=csv"]),
    );
    golden("profiles_list.txt", &ok(&["profiles", "list"]));
    golden(
        "profiles_list_ntpot20.json",
        &ok(&[
            "profiles",
            "list",
            "--model=meta-llama/Llama-3.1-8B-Instruct",
            "--target-ntpot-milliseconds=20",
            "--format=json",
        ]),
    );
    golden(
        "benchmarks_list_llama31_vllm.csv",
        &ok(&[
            "benchmarks",
            "list",
            "--model=meta-llama/Llama-3.1-8B-Instruct",
            "--model-server=vllm",
        ]),
    );
    golden(
        "manifest_llama31_h100_ntpot20.yaml",
        &ok(&[
            "manifests",
            "create",
            "--model=meta-llama/Llama-3.1-8B-Instruct",
            "--model-server=vllm",
            "--accelerator-type=nvidia-h100-80gb",
            "--variant=baseline",
            "--target-ntpot-milliseconds=20",
        ]),
    );
}

#[test]
fn benchmarks_list_has_the_spec_header_and_one_row_per_point() {
    let csv = ok(&[
        "benchmarks",
        "list",
        "--model=meta-llama/Llama-3.1-8B-Instruct",
        "--model-server=vllm",
    ]);
    let mut lines = csv.lines();
    // The gcloud header's columns first, then infercat's own.
    assert_eq!(
        lines.next().unwrap(),
        "Instance Type,Accelerator Type,Model Name,Model Server Name,Model Server Version,Output Tokens/s,NTPOT (ms),TTFT (ms),ITL (ms),QPS,Cost/M Input Tokens,Cost/M Output Tokens,Requested QPS,Concurrency,Variant,Accelerator Count,Workload"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 6 * 7);
    // QPS is the rate of completed requests, the requested one has its own column: the
    // baseline's stage at 122.59 req/s requested sent 106.49 and completed 101.23.
    let saturated = rows
        .iter()
        .find(|r| r.contains(",122.59,") && r.contains("baseline"))
        .unwrap();
    let cells: Vec<&str> = saturated.split(',').collect();
    assert_eq!((cells[9], cells[12]), ("101.23", "122.59"), "{saturated}");
    assert_eq!(cells[16], "shared_prefix 192/64");
}

fn profiles_json(args: &[&str]) -> Vec<serde_json::Value> {
    let mut full = vec!["profiles", "list", "--format=json"];
    full.extend_from_slice(args);
    serde_json::from_str::<serde_json::Value>(&ok(&full))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn operating_point_lies_between_the_measured_points_around_it() {
    // Baseline vLLM config: NTPOT p50 is 10.66 ms at 61.79 req/s and 16.04 ms at 92.19 req/s.
    let list = profiles_json(&[
        "--model=meta-llama/Llama-3.1-8B-Instruct",
        "--model-server-version=v0.11.0",
        "--target-ntpot-milliseconds=12",
    ]);
    let baseline = list.iter().find(|p| p["variant"] == "baseline").unwrap();
    let stats = &baseline["performanceStats"][0];
    let load = stats["load"].as_f64().unwrap();
    assert!(load > 61.79 && load < 92.19, "{load}");
    assert!((stats["ntpotMilliseconds"].as_f64().unwrap() - 12.0).abs() < 1e-9);
    assert_eq!(baseline["pointKind"], "operating-point");
    // NTPOT <= 20 ms: the next stage (122.59 req/s requested) sent only 106.49, so it does not
    // keep up and nothing is interpolated towards it: the operating point is 92.19 itself.
    let list = profiles_json(&[
        "--model=meta-llama/Llama-3.1-8B-Instruct",
        "--model-server-version=v0.11.0",
        "--target-ntpot-milliseconds=20",
    ]);
    let baseline = list.iter().find(|p| p["variant"] == "baseline").unwrap();
    assert_eq!(baseline["performanceStats"][0]["load"], 92.19);
    // Without targets, the knee.
    let knees = profiles_json(&[
        "--model=meta-llama/Llama-3.1-8B-Instruct",
        "--model-server-version=v0.11.0",
    ]);
    let k = knees.iter().find(|p| p["variant"] == "baseline").unwrap();
    assert_eq!(k["performanceStats"][0]["load"], 92.19);
    assert_eq!(k["pointKind"], "knee");
    assert_eq!(k["performanceStats"][0]["cost"][0]["pricingModel"], "spot");
}

#[test]
fn a_target_below_every_measured_latency_returns_nothing_and_no_hpa() {
    assert!(profiles_json(&["--target-ntpot-milliseconds=1"]).is_empty());
    let yaml = ok(&[
        "manifests",
        "create",
        "--model=meta-llama/Llama-3.1-8B-Instruct",
        "--model-server=vllm",
        "--accelerator-type=nvidia-h100-80gb",
        "--target-ntpot-milliseconds=1",
    ]);
    assert!(!yaml.contains("kind: HorizontalPodAutoscaler"));
    assert!(yaml.contains(
        "# No HorizontalPodAutoscaler: no measured point of this profile meets NTPOT <= 1 ms"
    ));
}

#[test]
fn cost_targets_filter_on_the_chosen_pricing_model() {
    let cheap = profiles_json(&["--target-cost-per-million-output-tokens=0.1"]);
    assert!(!cheap.is_empty());
    for p in &cheap {
        assert!(
            p["performanceStats"][0]["cost"][0]["costPerMillionOutputTokens"]
                .as_f64()
                .unwrap()
                <= 0.1
        );
    }
    // On-demand H100 is priced now (a3-highgpu-1g 11.06124999 $/h, whole-machine source), and
    // every cost is p / 3600 / (input tok/s / 4 + output tok/s) x 1e6, stated to six
    // significant digits.
    let on_demand = profiles_json(&[
        "--pricing-model=on-demand",
        "--accelerator-type=nvidia-h100-80gb",
    ]);
    assert_eq!(on_demand.len(), 6);
    for p in &on_demand {
        let stats = &p["performanceStats"][0];
        let cost = &stats["cost"][0];
        assert_eq!(cost["pricingModel"], "on-demand");
        assert_eq!(cost["usdPerHour"], 11.06124999);
        assert_eq!(cost["priceAsOf"], "2026-07-30");
        let input = stats["inputTokensPerSecond"].as_f64().unwrap();
        let output = stats["outputTokensPerSecond"].as_f64().unwrap();
        let expected = 11.06124999 / 3600.0 / (input / 4.0 + output) * 1e6;
        let got = cost["costPerMillionOutputTokens"].as_f64().unwrap();
        assert!(
            ((got - expected) / expected).abs() <= 5e-6,
            "{got} vs {expected}"
        );
        let mantissa = format!("{got:e}");
        let digits = mantissa
            .split('e')
            .next()
            .unwrap()
            .chars()
            .filter(char::is_ascii_digit)
            .count();
        assert!(digits <= 6, "{got}");
    }
    assert!(
        profiles_json(&[
            "--pricing-model=on-demand",
            "--accelerator-type=nvidia-h100-80gb",
            "--target-cost-per-million-output-tokens=0.01"
        ])
        .is_empty()
    );
}

#[test]
fn unknown_names_are_usage_errors_with_the_closest_valid_value_first() {
    let out = run(&[
        "model-servers",
        "list",
        "--model=meta-llama/Llama-3.1-8B-Instruc",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("unknown --model `meta-llama/Llama-3.1-8B-Instruc`; valid values (closest first): meta-llama/Llama-3.1-8B-Instruct,"), "{err}");
    let out = run(&["profiles", "list", "--accelerator-type=nvidia-h10"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nvidia-h100-80gb"));
    // Common spellings name the same accelerator.
    let out = run(&[
        "profiles",
        "list",
        "--accelerator-type=H100",
        "--format=csv",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nvidia-h100-80gb"));
    let out = run(&["profiles", "list", "--pricing-model=weekly"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "manifests",
        "create",
        "--model=meta-llama/Meta-Llama-3-8B-Instruct",
        "--model-server=tgi",
        "--accelerator-type=unknown",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "unknown hardware cannot be deployed"
    );
    assert!(stderr(&out).contains("accelerator is unknown"));
    let out = run(&[
        "manifests",
        "create",
        "--model=meta-llama/Meta-Llama-3-8B",
        "--model-server=vllm",
        "--accelerator-type=nvidia-a100-80gb",
        "--model-bucket-uri=s3://x",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn list_verbs_answer_from_the_catalog() {
    assert_eq!(
        ok(&[
            "model-servers",
            "list",
            "--model=mistralai/Mistral-7B-Instruct-v0.2"
        ]),
        "MODEL_SERVER\ntgi\n"
    );
    assert_eq!(
        ok(&[
            "model-server-versions",
            "list",
            "--model=meta-llama/Meta-Llama-3-8B",
            "--model-server=vllm"
        ]),
        "MODEL_SERVER_VERSION\nv0.5.3.post1\nv0.5.5\n"
    );
    let yaml = ok(&[
        "accelerators",
        "list",
        "--model=meta-llama/Meta-Llama-3-70B",
        "--format=yaml",
    ]);
    assert!(yaml.contains("acceleratorType: nvidia-a100-80gb"), "{yaml}");
}

#[test]
fn a_missing_catalog_is_built_first_with_a_note() {
    let tmp = tempfile::tempdir().unwrap();
    let out = infercat(
        &repo_path(""),
        &[
            "models",
            "list",
            "--out",
            tmp.path().join("fresh").to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    assert!(stderr(&out).contains("note: no catalog at"));
    assert!(stdout(&out).starts_with("MODEL\n"));
}

#[test]
fn help_lists_the_gcloud_flags() {
    let help = stdout(&infercat(&repo_path(""), &["profiles", "list", "--help"]));
    for flag in [
        "--model",
        "--model-server",
        "--model-server-version",
        "--accelerator-type",
        "--pricing-model",
        "--target-ntpot-milliseconds",
        "--target-ttft-milliseconds",
        "--target-itl-milliseconds",
        "--target-cost-per-million-output-tokens",
        "--target-cost-per-million-input-tokens",
        "--use-case",
        "--format",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
    let help = stdout(&infercat(
        &repo_path(""),
        &["manifests", "create", "--help"],
    ));
    for flag in [
        "--namespace",
        "--model-bucket-uri",
        "--output",
        "--output-path",
        "--platform",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

/// A vLLM `--save-result` record at `rate` (`None`: unbounded) with `output` tokens/s.
fn vllm_record(rate: Option<f64>, output: f64, ttft: f64) -> String {
    let rate = rate.map_or("\"inf\"".to_string(), |r| r.to_string());
    format!(
        r#"{{"backend": "vllm", "model_id": "meta-llama/Llama-3.1-8B-Instruct", "request_rate": {rate},
        "max_concurrency": null, "duration": 100.0, "completed": 400, "failed": 0, "num_prompts": 400,
        "total_input_tokens": 80000, "total_output_tokens": 40000, "request_throughput": 4.0,
        "output_throughput": {output}, "total_token_throughput": {total},
        "mean_ttft_ms": {ttft}, "median_ttft_ms": {ttft}, "p99_ttft_ms": {ttft},
        "mean_tpot_ms": 9.0, "median_tpot_ms": 9.0, "p99_tpot_ms": 9.0,
        "mean_itl_ms": 9.0, "median_itl_ms": 9.0, "p99_itl_ms": 9.0,
        "mean_e2el_ms": 1000.0, "median_e2el_ms": 1000.0, "p99_e2el_ms": 1000.0}}"#,
        total = output * 3.0
    )
    .replace('\n', " ")
}

/// A capacity (unbounded load only) is no point to run at: a cost target does not list it and
/// `manifests create` picks a configuration with a knee over it, however cheap it looks.
#[test]
fn a_capacity_is_never_chosen_as_a_point_to_run_at() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    let run_toml = |variant: &str| {
        format!(
            "[profile]\nmodel = \"meta-llama/Llama-3.1-8B-Instruct\"\nmodel_server = \"vllm\"\n\
             model_server_version = \"v0.11.0\"\naccelerator = \"nvidia-l4\"\naccelerator_count = 1\n\
             variant = \"{variant}\"\n[source]\norigin = \"hand-written for this test\"\nlicense = \"MIT\"\n"
        )
    };
    let runs = [
        (
            "curve",
            vec![
                vllm_record(Some(1.0), 100.0, 30.0),
                vllm_record(Some(2.0), 200.0, 35.0),
            ],
        ),
        ("probe", vec![vllm_record(None, 5000.0, 9000.0)]),
        (
            "wobble",
            vec![
                vllm_record(Some(1.0), 100.0, 500.0),
                vllm_record(Some(2.0), 200.0, 100.0),
            ],
        ),
    ];
    for (run, records) in runs {
        let dir = raw.join(run);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("run.toml"), run_toml(run)).unwrap();
        std::fs::write(dir.join("results.jsonl"), records.join("\n")).unwrap();
    }
    let out = tmp.path().join("out");
    let (raw, out) = (raw.to_str().unwrap(), out.to_str().unwrap());
    let built = infercat(
        tmp.path(),
        &["build", "--raw", raw, "--out", out, "--strict"],
    );
    assert!(built.status.success(), "{}", stderr(&built));
    let listed = |extra: &[&str]| {
        let mut args = vec!["profiles", "list", "--out", out, "--format=csv"];
        args.extend_from_slice(extra);
        let done = infercat(tmp.path(), &args);
        assert!(done.status.success(), "{}", stderr(&done));
        stdout(&done)
    };
    assert!(
        listed(&[]).contains("probe"),
        "shown at its capacity without targets"
    );
    let within_cost = listed(&["--target-cost-per-million-output-tokens=1000"]);
    assert!(
        within_cost.contains("curve") && !within_cost.contains("probe"),
        "{within_cost}"
    );
    let manifests_create = |extra: &[&str]| {
        let mut args = vec![
            "manifests",
            "create",
            "--out",
            out,
            "--model=meta-llama/Llama-3.1-8B-Instruct",
            "--model-server=vllm",
            "--accelerator-type=nvidia-l4",
        ];
        args.extend_from_slice(extra);
        let done = infercat(tmp.path(), &args);
        assert!(done.status.success(), "{}", stderr(&done));
        stdout(&done)
    };
    let comments_of = |extra: &[&str]| manifests_create(&[&["--output=comments"], extra].concat());
    let comments = comments_of(&[]);
    assert!(
        comments.contains(
            "Picked the cheapest (spot) of the 2 of 3 benchmarked configurations with a knee that keeps up: curve ("
        ),
        "{comments}"
    );
    // A curve whose lowest load misses the target and a later one meets it: said so, not
    // that nothing met it.
    let comments = comments_of(&["--variant=wobble", "--target-ttft-milliseconds=200"]);
    assert!(
        comments.contains("the lowest load of this profile already misses TTFT <= 200 ms"),
        "{comments}"
    );
    // Two points that keep up show no knee: the CLI and the site's file name the point they
    // are sized at as the profile page does, its highest point, not a knee.
    assert!(
        comments.contains("the manifest is sized at the highest point instead"),
        "{comments}"
    );
    let yaml = |variant: &str| manifests_create(&[variant]);
    let sized_line = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("# Sized at "))
            .map(str::to_string)
    };
    let site_files = |variant: &str| {
        let id = profile_id_of(out, variant);
        let page = std::fs::read_to_string(Path::new(out).join(format!("site/profiles/{id}.html")))
            .unwrap();
        let manifest =
            std::fs::read_to_string(Path::new(out).join(format!("site/manifests/{id}.yaml")))
                .unwrap();
        (page, manifest)
    };
    let cli = yaml("--variant=curve");
    let (page, manifest) = site_files("curve");
    let sized = sized_line(&cli).unwrap_or_default();
    assert!(sized.starts_with("# Sized at the highest point: "), "{cli}");
    assert_eq!(sized_line(&manifest).as_deref(), Some(sized.as_str()));
    for said in [
        "<dt>Autoscaling at the highest point<dd>",
        "With autoscaling at the highest point</a>",
        "sized at the highest point; weights from Hugging Face",
        "data-sized-at=\"highest point\"",
        "<dt>Highest point<dd>",
        "The highlighted row is the highest point.",
        "data-file=\"hpa-highest-point.yaml\"",
    ] {
        assert!(page.contains(said), "{said}");
    }
    assert!(!page.contains("at the knee"));
    // So does the model page's cheapest profile of a workload where no curve shows a knee.
    let model_page = std::fs::read_dir(Path::new(out).join("site/models"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .find(|p| p.contains("planner-static"))
        .unwrap();
    assert!(
        model_page.contains("at each profile's knee (or highest point, where none was observed), the cheapest profile"),
        "{model_page}"
    );
    assert!(model_page.contains("$/M output tokens, at its highest point.</p>"));
    assert!(model_page.contains("<h3>At the knee or highest point</h3>"));
    assert!(model_page.contains(
        "Filled dots: up to the knee (or highest point); hollow dots: beyond it. Circled: that point."
    ));
    // A capacity is sized at as what it is, on both.
    let cli = yaml("--variant=probe");
    let (page, manifest) = site_files("probe");
    let sized = sized_line(&cli).unwrap_or_default();
    assert!(
        sized.starts_with("# Sized at the capacity it reached (no knee that keeps up): "),
        "{cli}"
    );
    assert_eq!(sized_line(&manifest).as_deref(), Some(sized.as_str()));
    assert!(page.contains("data-sized-at=\"capacity it reached (no knee that keeps up)\""));
}

/// The id of the one profile of `variant` in the site built at `out` (ids name the variant).
fn profile_id_of(out: &str, variant: &str) -> String {
    let ids: Vec<String> = std::fs::read_dir(Path::new(out).join("site/profiles"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            let id = name.strip_suffix(".html")?.to_string();
            id.contains(&format!("-{variant}-")).then_some(id)
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids[0].clone()
}

/// An empty answer to a latency target says when the target's metric is one the matching
/// profiles do not report (vLLM's nightly results carry no NTPOT).
#[test]
fn an_empty_answer_names_a_targeted_metric_the_profiles_do_not_report() {
    let out = run(&[
        "profiles",
        "list",
        "--model=meta-llama/Meta-Llama-3-8B",
        "--target-ntpot-milliseconds=1000",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("NTPOT at p50 is reported by 0 of the 2 profiles matching the filters"),
        "{said}"
    );
    let reported = run(&[
        "profiles",
        "list",
        "--model=meta-llama/Llama-3.1-8B-Instruct",
        "--target-ttft-milliseconds=0.001",
    ]);
    assert!(
        !stderr(&reported).contains("is reported by"),
        "TTFT is reported: {}",
        stderr(&reported)
    );
}

/// Latencies a tool reports only as means are shown at the mean whatever `--percentile` asks;
/// the table does not name the statistic, so stderr says so.
#[test]
fn a_statistic_shown_in_place_of_the_one_asked_for_is_said() {
    for verb in [
        &["profiles", "list", "--model=meta-llama/Meta-Llama-3-8B"][..],
        &[
            "benchmarks",
            "list",
            "--model=meta-llama/Meta-Llama-3-8B",
            "--model-server=vllm",
        ][..],
    ] {
        let out = run(&[verb, &["--percentile=p90"]].concat());
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("report no p90 latencies and are shown at mean instead"),
            "{verb:?}: {}",
            stderr(&out)
        );
    }
    let reported = run(&[
        "profiles",
        "list",
        "--model=meta-llama/Llama-3.1-8B-Instruct",
        "--percentile=p90",
    ]);
    assert!(
        !stderr(&reported).contains("shown at mean"),
        "{}",
        stderr(&reported)
    );
}
