//! End-to-end tests on result files shaped like the ones real users bring (hand-written
//! fixtures under `tests/fixtures/wild/`): several workloads appended to one SGLang file,
//! several deployments in one vLLM JSONL, an offline max-throughput sweep, an accelerator GKE
//! does not offer, a server version that is no image tag — and the binary run from a directory
//! that is not the project.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

/// The wild fixtures built once, from a temporary working directory (so nothing is read
/// from the project's `data/`).
fn catalog() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let raw = repo_path("tests/fixtures/wild");
        let out = infercat(
            dir.path(),
            &[
                "build",
                "--raw",
                raw.to_str().unwrap(),
                "--out",
                "out",
                "--strict",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        dir
    })
    .path()
}

fn run(args: &[&str]) -> std::process::Output {
    let mut full: Vec<&str> = args.to_vec();
    full.extend(["--out", "out"]);
    infercat(catalog(), &full)
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

fn profiles(args: &[&str]) -> Vec<Value> {
    let mut full = vec!["profiles", "list", "--format=json"];
    full.extend_from_slice(args);
    serde_json::from_str::<Value>(&ok(&full))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn load_of(p: &Value) -> f64 {
    p["performanceStats"][0]["load"].as_f64().unwrap()
}

#[test]
fn workloads_appended_to_one_file_are_separate_curves() {
    let sglang = profiles(&["--model=fixture/sglang-model"]);
    let workloads: Vec<&str> = sglang
        .iter()
        .map(|p| p["workload"].as_str().unwrap())
        .collect();
    assert_eq!(workloads, ["random 1024/1024", "sharegpt"], "{sglang:#?}");
    let random = &sglang[0];
    // Rate 8: ITL 19.4 -> 70.8 ms (3.6x) and the derived achieved rate falls to 0.86 with TTFT
    // rising 1.8x: the knee is rate 4, never a ShareGPT point.
    assert_eq!(random["kneeMethod"], "saturation-rule");
    assert_eq!(load_of(random), 4.0);
    assert_eq!(
        random["performanceStats"][0]["outputTokensPerSecond"],
        2048.0
    );
    assert_eq!(random["useCase"], "custom (1024/1024)");
    assert_eq!(random["workloadSpec"]["averageInputLength"], 1024);
    assert_eq!(sglang[1]["useCase"], "Chatbot");
    // A TTFT target only ever interpolates within one workload, and never towards rate 8,
    // which falls behind its requested rate.
    let at_target = profiles(&[
        "--model=fixture/sglang-model",
        "--target-ttft-milliseconds=150",
    ]);
    let random = at_target
        .iter()
        .find(|p| p["workload"] == "random 1024/1024")
        .unwrap();
    assert_eq!(load_of(random), 4.0);
    assert_eq!(random["acceleratorType"], "nvidia-h200-141gb");
}

#[test]
fn deployments_in_one_file_are_split_by_the_field_that_differs() {
    let split: Vec<Value> = profiles(&["--model-server-version=v0.10.1"])
        .into_iter()
        .filter(|p| p["acceleratorType"] == "nvidia-l40s")
        .collect();
    let mut variants: Vec<&str> = split
        .iter()
        .map(|p| p["variant"].as_str().unwrap())
        .collect();
    variants.sort();
    assert_eq!(
        variants,
        [
            "deployment=base+gateway=none",
            "deployment=gateway+gateway=envoy",
            "deployment=kvcache+gateway=none",
            "inference-gateway",
            "kv-cache-aware-routing",
            "round-robin",
        ]
    );
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(catalog().join("out/data/ingest-report.json")).unwrap(),
    )
    .unwrap();
    let curves = report["curves"].as_array().unwrap();
    assert_eq!(curves.len(), 1, "{curves:#?}");
    assert_eq!(curves[0]["path"], "vllm-deployments/results.jsonl");
    assert!(
        curves[0]["reason"]
            .as_str()
            .unwrap()
            .contains("differed in deployment, gateway; split into 3 curves"),
        "{curves:#?}"
    );
    // Every split curve has one point per rate: 2, 4, 8.
    let csv = ok(&[
        "benchmarks",
        "list",
        "--model=meta-llama/Llama-3.1-8B-Instruct",
        "--model-server=vllm",
    ]);
    let kv_rows = csv
        .lines()
        .filter(|l| l.contains(",deployment=kvcache+gateway=none,"))
        .count();
    assert_eq!(kv_rows, 3);
}

#[test]
fn unbounded_runs_of_different_lengths_are_capacities_not_a_curve() {
    let offline: Vec<Value> = profiles(&["--accelerator-type=nvidia-h100-80gb"]);
    assert_eq!(offline.len(), 7, "{offline:#?}");
    for p in &offline {
        assert_eq!(p["kneeMethod"], "max-throughput-only", "{p:#}");
        assert!(p["workload"].as_str().unwrap().starts_with("measured ~"));
    }
    let use_cases: Vec<String> = offline
        .iter()
        .map(|p| p["useCase"].as_str().unwrap().to_string())
        .collect();
    assert!(use_cases.contains(&"Chatbot".to_string()), "{use_cases:?}");
    assert!(use_cases.contains(&"Code Completion".to_string()));
    // No capacity point is an operating point: a latency target leaves them all out.
    assert!(
        profiles(&[
            "--accelerator-type=nvidia-h100-80gb",
            "--target-ttft-milliseconds=100000"
        ])
        .is_empty()
    );
    let table = ok(&["use-cases", "list"]);
    assert!(table.starts_with("USE_CASE"), "{table}");
    assert!(table.contains("Code Completion"), "{table}");
    // --use-case matches case-insensitively, as the Quickstart's lowercase names do.
    let chat = profiles(&["--use-case=chatbot"]);
    assert!(chat.iter().all(|p| p["useCase"] == "Chatbot") && !chat.is_empty());
}

#[test]
fn a_version_that_is_no_image_tag_asks_for_run_toml_image() {
    let out = run(&[
        "manifests",
        "create",
        "--model=fixture/sglang-model",
        "--model-server=sglang",
        "--accelerator-type=nvidia-h200-141gb",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("a development build or a moving tag") && err.contains("set `image`"),
        "{err}"
    );
    assert!(err.contains("sglang-mixed"), "names the run: {err}");
}

#[test]
fn non_gke_accelerators_deploy_only_on_the_generic_platform() {
    let base = [
        "manifests",
        "create",
        "--model=meta-llama/Llama-3.1-8B-Instruct",
        "--model-server=vllm",
        "--accelerator-type=NVIDIA L40S",
        "--variant=kv-cache-aware-routing",
    ];
    let out = run(&base);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--platform=generic"),
        "{}",
        stderr(&out)
    );
    let mut generic = base.to_vec();
    generic.push("--platform=generic");
    let yaml = ok(&generic);
    assert!(yaml.contains("\"nvidia.com/gpu\": 1"), "{yaml}");
    assert!(
        yaml.contains("infercat.io/accelerator: \"nvidia-l40s\""),
        "{yaml}"
    );
    assert!(
        yaml.contains("image: \"vllm/vllm-openai:v0.10.1.1\""),
        "{yaml}"
    );
    assert!(!yaml.contains("cloud.google.com/gke-accelerator"));
    assert!(!yaml.contains("Cost (spot, )"), "no empty region: {yaml}");
}

#[test]
fn repeats_of_one_load_are_averaged_and_all_listed() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("raw/repeats");
    std::fs::create_dir_all(&run_dir).unwrap();
    std::fs::write(
        run_dir.join("points.csv"),
        "label,load_kind,load_value,output_tokens_per_s,ttft_p50_ms,ntpot_p50_ms,completed\n\
         a,rate,1,100,30,10,60\nb,rate,2,200,31,11,120\nc,rate,2,220,33,11,120\n",
    )
    .unwrap();
    std::fs::write(
        run_dir.join("run.toml"),
        "[profile]\nmodel = \"m/x\"\nmodel_server = \"vllm\"\nmodel_server_version = \"v0.11.0\"\n\
         accelerator = \"nvidia-l4\"\naccelerator_count = 1\n[source]\norigin = \"test\"\nlicense = \"MIT\"\n",
    )
    .unwrap();
    let out = infercat(dir.path(), &["build", "--raw", "raw", "--out", "out"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = report(&dir.path().join("out"));
    let note = report["curves"][0]["reason"].as_str().unwrap();
    assert!(note.contains("kept as repeats"), "{note}");
    let csv = stdout(&infercat(
        dir.path(),
        &[
            "benchmarks",
            "list",
            "--model=m/x",
            "--model-server=vllm",
            "--out",
            "out",
        ],
    ));
    assert_eq!(csv.lines().count(), 1 + 3, "every record listed: {csv}");
    let records = stdout(&infercat(
        dir.path(),
        &[
            "benchmarks",
            "list",
            "--model=m/x",
            "--model-server=vllm",
            "--format=json",
            "--out",
            "out",
        ],
    ));
    let records: Value = serde_json::from_str(&records).unwrap();
    let outputs: Vec<f64> = records[0]["performanceStats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["outputTokensPerSecond"].as_f64().unwrap())
        .collect();
    assert_eq!(
        outputs,
        vec![100.0, 200.0, 220.0],
        "the JSON lists the same records as the table"
    );
    let json = stdout(&infercat(
        dir.path(),
        &["profiles", "list", "--format=json", "--out", "out"],
    ));
    let p: Value = serde_json::from_str(&json).unwrap();
    // The curve uses the mean of the two records at 2 req/s.
    assert_eq!(p[0]["performanceStats"][0]["outputTokensPerSecond"], 210.0);
}

#[test]
fn every_command_works_outside_the_project_directory() {
    // catalog() built from a temp dir; the query verbs price with the compiled-in catalog.
    let listed = ok(&["profiles", "list", "--pricing-model=spot"]);
    assert!(listed.contains("a3-highgpu-1g"), "{listed}");
    let out = run(&["profiles", "list", "--prices-dir=no/such/dir"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no/such/dir"), "{}", stderr(&out));
}
