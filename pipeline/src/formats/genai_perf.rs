//! NVIDIA GenAI-Perf `profile_export_genai_perf.json`: AIPerf's predecessor, the same metric
//! objects (see [`super::metric_objects`]) with its own `input_config`: flat in early versions
//! (`model`, `concurrency`, `request_rate`, `synthetic_input_tokens_mean`,
//! `output_tokens_mean`, `input_dataset`), nested later (`model_names`,
//! `perf_analyzer.stimulus`, `input.synthetic_tokens.mean`, `input.output_tokens.mean`).

use super::aiperf::is_aiperf;
use super::metric_objects::{
    config_model, config_value, failed, load, measurements, output_cap_field, run_and_config,
    run_object, workload,
};
use super::{Parsed, RawFormat};
use crate::document::Document;
use crate::error::FormatError;
use serde_json::Value;

pub struct GenAiPerf;

/// Where the settings state the requested output length (a cap unless the run forced it).
const OUTPUT_MEAN: &[&[&str]] = &[&["output_tokens_mean"], &["input", "output_tokens", "mean"]];

impl RawFormat for GenAiPerf {
    fn tool(&self) -> &'static str {
        "genai-perf"
    }

    fn detect(&self, doc: &Document) -> bool {
        run_object(doc).is_some_and(|root| !is_aiperf(root))
    }

    fn parse(&self, doc: &Document) -> Result<Parsed, FormatError> {
        let (root, config) = run_and_config(doc)?;
        let load = load(
            config,
            &[
                &["concurrency"],
                &["perf_analyzer", "stimulus", "concurrency"],
            ],
            &[
                &["request_rate"],
                &["perf_analyzer", "stimulus", "request_rate"],
            ],
        )?;
        let mut p = measurements(&root, config, load)?;
        failed(&root)?.record(&mut p);
        p.label = config_model(config, &[&["model_names"], &["model"]]);
        p.workload = workload(
            config,
            &[
                &["input_dataset"],
                &["input", "dataset"],
                &["input", "file"],
            ],
            &[
                &["synthetic_input_tokens_mean"],
                &["input", "synthetic_tokens", "mean"],
            ],
            OUTPUT_MEAN,
        )?;
        for (field, path) in [
            ("endpoint_type", &["endpoint_type"][..]),
            ("endpoint_type", &["endpoint", "type"][..]),
            ("service_kind", &["service_kind"][..]),
            ("backend", &["backend"][..]),
            ("streaming", &["streaming"][..]),
            ("streaming", &["endpoint", "streaming"][..]),
        ] {
            if let Some(v) = config_value(config, &[path]).and_then(|v| match v {
                Value::String(s) if s.len() <= 256 => Some(s.clone()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            }) {
                p.fields.insert_if_absent(field.into(), v);
            }
        }
        if let Some(cap) = output_cap_field(config, OUTPUT_MEAN) {
            p.fields.insert_if_absent("max_tokens".into(), cap);
        }
        Ok(Parsed::Points(vec![p]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::{Latency, Load};

    /// Hand-written after GenAI-Perf's documented export (no real file with a licence that
    /// allows bundling was at hand): flat `input_config`, latencies in ms.
    const FLAT: &str =
        include_str!("../../../tests/fixtures/raw/genai-perf/profile_export_genai_perf.json");

    fn parse(text: &str) -> Result<Parsed, FormatError> {
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        assert!(GenAiPerf.detect(&doc));
        assert!(!super::super::aiperf::AiPerf.detect(&doc), "not AIPerf");
        GenAiPerf.parse(&doc)
    }

    #[test]
    fn flat_config_export() {
        let Parsed::Points(p) = parse(FLAT).unwrap() else {
            panic!()
        };
        let p = &p[0];
        assert_eq!(p.load, Load::Concurrency(8.0));
        assert_eq!(p.label.as_deref(), Some("meta-llama/Llama-3.1-8B-Instruct"));
        assert_eq!(p.workload.input_len, Some(550.0));
        assert_eq!(p.workload.output_len, None, "-1 means unset");
        assert_eq!(p.ttft.p99(), Some(61.1));
        assert_eq!(p.tpot.p50(), Some(7.9));
        assert_eq!(p.output_tokens_per_s, 1101.5);
    }

    #[test]
    fn a_run_without_streaming_has_no_token_timings() {
        for (streaming, nested) in [
            ("\"streaming\": false,", false),
            ("\"endpoint\": {\"streaming\": false},", true),
        ] {
            let text = FLAT.replacen("\"streaming\": true,", streaming, 1);
            let Parsed::Points(p) = parse(&text).unwrap() else {
                panic!()
            };
            let p = &p[0];
            assert_eq!(p.ttft, Latency::default(), "nested: {nested}");
            assert_eq!((p.tpot.p50(), p.itl.p50()), (None, None));
            assert!(p.e2e.p50().is_some(), "the request latency stays");
            assert_eq!(p.output_tokens_per_s, 1101.5);
        }
    }

    #[test]
    fn nested_config_export() {
        let nested = FLAT
            .replace(
                "\"concurrency\": 8,",
                "\"perf_analyzer\": {\"stimulus\": {\"request_rate\": 6}},",
            )
            .replace(
                "\"model\": [\"meta-llama/Llama-3.1-8B-Instruct\"]",
                "\"model_names\": [\"m/x\"]",
            );
        let Parsed::Points(p) = parse(&nested).unwrap() else {
            panic!()
        };
        assert_eq!(p[0].load, Load::Rate(6.0));
        assert_eq!(p[0].label.as_deref(), Some("m/x"));
    }

    #[test]
    fn an_unset_option_written_as_empty_text_is_unset() {
        // Nested GenAI-Perf configs write an output length it was not given as `""`.
        let text = FLAT.replace(
            "\"output_tokens_mean\": -1,",
            "\"input\": {\"output_tokens\": {\"mean\": \"\"}, \"file\": \"\"},",
        );
        let Parsed::Points(p) = parse(&text).unwrap() else {
            panic!()
        };
        assert_eq!(p[0].workload.output_len, None);
        assert_eq!(p[0].workload.dataset.as_deref(), Some("random"));
    }

    #[test]
    fn the_max_tokens_extra_input_is_the_requested_output_length_only_when_enforced() {
        for (extra, len) in [
            (
                "\"extra_inputs\": {\"max_tokens\": 300, \"ignore_eos\": true},",
                Some(300.0),
            ),
            (
                "\"input\": {\"extra\": {\"max_tokens\": 50, \"min_tokens\": 50}},",
                Some(50.0),
            ),
            (
                "\"input\": {\"extra\": [[\"max_completion_tokens\", 64], [\"ignore_eos\", true]]},",
                Some(64.0),
            ),
            // A cap alone: a safety limit, no length.
            (
                "\"input\": {\"extra\": {\"max_tokens\": 4096, \"temperature\": 0.7}},",
                None,
            ),
            (
                "\"extra_inputs\": {\"max_tokens\": \"many\", \"ignore_eos\": true},",
                None,
            ),
        ] {
            let text = FLAT.replace("\"output_tokens_mean\": -1,", extra);
            let Parsed::Points(p) = parse(&text).unwrap() else {
                panic!()
            };
            assert_eq!(p[0].workload.output_len, len, "{extra}");
        }
        let stated = FLAT.replace(
            "\"output_tokens_mean\": -1,",
            "\"output_tokens_mean\": 128, \"extra_inputs\": {\"max_tokens\": 300, \"ignore_eos\": true},",
        );
        let Parsed::Points(p) = parse(&stated).unwrap() else {
            panic!()
        };
        assert_eq!(
            p[0].workload.output_len,
            Some(128.0),
            "a stated length wins"
        );
    }

    #[test]
    fn an_output_length_setting_is_a_request_only_when_the_run_forced_it() {
        // The real shape (wellflat/k8s-dev): `--output-tokens-mean 300` over an OpenAI chat
        // endpoint, sent as `max_tokens` only; the model answered 73.5 tokens on average.
        let point = |setting: &str| {
            let text = FLAT.replace("\"output_tokens_mean\": -1,", setting);
            let Parsed::Points(mut p) = parse(&text).unwrap() else {
                panic!()
            };
            p.remove(0)
        };
        let capped = point(r#""input": {"output_tokens": {"mean": 300, "deterministic": false}},"#);
        assert_eq!(capped.workload.output_len, None);
        assert_eq!(
            capped.fields.get("max_tokens").map(String::as_str),
            Some("300")
        );
        // `--output-tokens-mean-deterministic` sets a floor for Triton only.
        let openai_deterministic =
            point(r#""input": {"output_tokens": {"mean": 300, "deterministic": true}},"#);
        assert_eq!(openai_deterministic.workload.output_len, None);
        let on_triton = |setting: &str| {
            let text = FLAT
                .replace("\"output_tokens_mean\": -1,", setting)
                .replace(
                    "\"service_kind\": \"openai\"",
                    "\"service_kind\": \"triton\"",
                );
            let Parsed::Points(mut p) = parse(&text).unwrap() else {
                panic!()
            };
            p.remove(0)
        };
        for deterministic in [
            r#""input": {"output_tokens": {"mean": 300, "deterministic": true}},"#,
            r#""output_tokens_mean": 300, "output_tokens_mean_deterministic": true,"#,
        ] {
            assert_eq!(on_triton(deterministic).workload.output_len, Some(300.0));
        }
        for forced in [
            r#""output_tokens_mean": 300, "extra_inputs": {"ignore_eos": true},"#,
            r#""output_tokens_mean": 300, "extra_inputs": {"min_tokens": 300},"#,
        ] {
            let p = point(forced);
            assert_eq!(p.workload.output_len, Some(300.0), "{forced}");
            assert_eq!(p.fields.get("max_tokens"), None, "{forced}");
        }
    }

    #[test]
    fn a_cap_alone_is_a_setting_that_tells_runs_apart() {
        let capped = |cap: u32| {
            let text = FLAT.replace(
                "\"output_tokens_mean\": -1,",
                &format!("\"input\": {{\"extra\": {{\"max_tokens\": {cap}}}}},"),
            );
            let Parsed::Points(mut p) = parse(&text).unwrap() else {
                panic!()
            };
            p.remove(0)
        };
        assert_eq!(
            capped(300).fields.get("max_tokens").map(String::as_str),
            Some("300")
        );
        assert_ne!(capped(300).fields, capped(50).fields);
    }
}
