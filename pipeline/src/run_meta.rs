//! A run directory's `run.toml` (SPEC §4): what was measured (the profile), how, and where the
//! files came from. One raw file may hold several profiles (vLLM's nightly summary has three
//! models, an appended vLLM JSONL several deployments); `[[series]]` tables map points to
//! their profile by label or by any top-level field of the raw record.

use crate::machines;
use crate::point::MeasuredPoint;
use crate::profile::ProfileKey;
use crate::topology::{Topology, Workers, tensor_parallel_from_args};
use crate::workload::{WorkloadHint, dataset_name};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Model servers a profile may name (lowercase, as in SPEC §4).
pub const MODEL_SERVERS: &[&str] = &["vllm", "sglang", "tgi", "tensorrt-llm", "jetstream"];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFields {
    pub model: Option<String>,
    pub model_server: Option<String>,
    pub model_server_version: Option<String>,
    pub accelerator: Option<String>,
    pub accelerator_count: Option<u32>,
    pub instance_type: Option<String>,
    pub variant: Option<String>,
    #[serde(default)]
    pub server_args: Vec<String>,
    /// Caveats shown next to the profile (e.g. an unverified checkpoint name).
    pub notes: Option<String>,
    /// The container image the run used (a full reference); manifests use it as is.
    pub image: Option<String>,
    /// Parallelism, over what the file states (see [`crate::topology`]).
    pub tensor_parallel: Option<u32>,
    pub expert_parallel: Option<u32>,
    pub data_parallel: Option<u32>,
    /// Prefill/decode disaggregation: workers and TP per worker of each role.
    pub prefill_workers: Option<u32>,
    pub prefill_tensor_parallel: Option<u32>,
    pub decode_workers: Option<u32>,
    pub decode_tensor_parallel: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub use_case: Option<String>,
    pub dataset: Option<String>,
    pub input_tokens: Option<f64>,
    pub output_tokens: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub tool: Option<String>,
    pub origin: Option<String>,
    pub license: Option<String>,
    #[serde(default)]
    pub synthetic: bool,
}

impl Workload {
    /// What this table states about the workload, as a hint that wins over the file's.
    pub fn hint(&self) -> WorkloadHint {
        WorkloadHint {
            dataset: self.dataset.as_deref().and_then(dataset_name),
            input_len: self.input_tokens,
            output_len: self.output_tokens,
            range_ratio: None,
        }
    }
}

/// A `[[series]]` table: points whose label contains `label_contains`, whose file name (path
/// within the run) contains `file_contains`, and whose raw record has every `match` field at the
/// given value take these fields over the run's `[profile]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Series {
    pub label_contains: Option<String>,
    pub file_contains: Option<String>,
    #[serde(default, rename = "match")]
    pub match_fields: BTreeMap<String, toml::Value>,
    #[serde(flatten)]
    pub fields: ProfileFields,
}

impl Series {
    fn matches(&self, point: &MeasuredPoint, file: &str) -> bool {
        let label_ok = self
            .label_contains
            .as_deref()
            .is_none_or(|needle| point.label.as_deref().is_some_and(|l| l.contains(needle)));
        let file_ok = self
            .file_contains
            .as_deref()
            .is_none_or(|needle| file.contains(needle));
        label_ok
            && file_ok
            && self.match_fields.iter().all(|(key, want)| {
                point
                    .fields
                    .get(key)
                    .is_some_and(|have| value_matches(have, want))
            })
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(l) = &self.label_contains {
            parts.push(format!("label_contains = {l:?}"));
        }
        if let Some(f) = &self.file_contains {
            parts.push(format!("file_contains = {f:?}"));
        }
        for (k, v) in &self.match_fields {
            parts.push(format!("{k} = {v}"));
        }
        parts.join(", ")
    }
}

/// A raw field's text against a run.toml value: strings exactly, numbers by value, booleans
/// by their spelling.
fn value_matches(have: &str, want: &toml::Value) -> bool {
    match want {
        toml::Value::String(s) => have == s,
        toml::Value::Integer(i) => have.parse::<f64>().is_ok_and(|h| h == *i as f64),
        toml::Value::Float(f) => have.parse::<f64>().is_ok_and(|h| h == *f),
        toml::Value::Boolean(b) => have == b.to_string(),
        _ => false,
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunMeta {
    #[serde(default)]
    pub profile: ProfileFields,
    #[serde(default)]
    pub workload: Workload,
    #[serde(default)]
    pub source: Source,
    #[serde(default)]
    pub series: Vec<Series>,
}

/// A fully specified profile plus what travels with it into the table and manifests. The
/// key's workload and use case are filled in later, when ingest has seen the whole curve.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedProfile {
    pub key: ProfileKey,
    pub server_args: Vec<String>,
    pub notes: Option<String>,
    pub image: Option<String>,
    /// The point's workload: the file's, with run.toml's `[workload]` on top.
    pub workload: WorkloadHint,
    /// run.toml's `[workload] use_case`, which names the use case outright.
    pub use_case: Option<String>,
}

impl RunMeta {
    /// Parses and validates a run.toml's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let meta: RunMeta = toml::from_str(text).map_err(|e| e.message().to_string())?;
        if let Some(tool) = &meta.source.tool
            && !crate::formats::all().iter().any(|f| f.tool() == tool)
        {
            return Err(format!(
                "[source] tool `{tool}` is not a supported format (known: {})",
                crate::formats::all()
                    .iter()
                    .map(|f| f.tool())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if meta.series.is_empty() {
            meta.resolve_fields(None)?;
        } else {
            for s in &meta.series {
                if s.label_contains.is_none()
                    && s.file_contains.is_none()
                    && s.match_fields.is_empty()
                {
                    return Err(
                        "every [[series]] needs label_contains, file_contains or match".into(),
                    );
                }
                if let Some((k, v)) = s.match_fields.iter().find(|(_, v)| {
                    !matches!(
                        v,
                        toml::Value::String(_)
                            | toml::Value::Integer(_)
                            | toml::Value::Float(_)
                            | toml::Value::Boolean(_)
                    )
                }) {
                    return Err(format!(
                        "[[series]] match `{k}` must be a string, number or boolean, found {v}"
                    ));
                }
                meta.resolve_fields(Some(s))?;
            }
        }
        Ok(meta)
    }

    /// The profile for a measured point of `file` (its path within the run): the first
    /// `[[series]]` that matches it (by label, file name and raw fields) over the run's
    /// `[profile]`, and its workload.
    pub fn resolve(&self, point: &MeasuredPoint, file: &str) -> Result<ResolvedProfile, String> {
        let series = if self.series.is_empty() {
            None
        } else {
            Some(
                self.series
                    .iter()
                    .find(|s| s.matches(point, file))
                    .ok_or_else(|| {
                        format!(
                            "point `{}` matches no [[series]] (tried: {})",
                            point.label.as_deref().unwrap_or("(no label)"),
                            self.series
                                .iter()
                                .map(Series::describe)
                                .collect::<Vec<_>>()
                                .join("; ")
                        )
                    })?,
            )
        };
        let mut resolved = self.resolve_fields(series)?;
        resolved.workload = point.workload.overridden_by(&self.workload.hint());
        // The file's own statement of its parallelism wins; run.toml fills in what it omits.
        let mut topology = point
            .topology
            .normalized()
            .stated_else(&resolved.key.topology.normalized())?;
        if topology.tensor_parallel.is_none() && !topology.is_disaggregated() {
            topology.tensor_parallel = tensor_parallel_from_args(&resolved.server_args);
        }
        topology.check(resolved.key.accelerator_count)?;
        resolved.key.topology = topology;
        Ok(resolved)
    }

    /// Every model the run's rows can name: `[profile]`'s and each `[[series]]`'s, as
    /// [`Self::resolve`] takes them (blank ones name none).
    pub fn models(&self) -> std::collections::BTreeSet<String> {
        std::iter::once(&self.profile)
            .chain(self.series.iter().map(|s| &s.fields))
            .filter_map(|fields| fields.model.clone())
            .filter(|model| !model.trim().is_empty())
            .collect()
    }

    /// The run's `[profile]` with one `[[series]]` on top (no workload yet).
    fn resolve_fields(&self, series: Option<&Series>) -> Result<ResolvedProfile, String> {
        let base = &self.profile;
        let over = series.map(|s| &s.fields);
        let pick = |f: fn(&ProfileFields) -> &Option<String>| -> Option<String> {
            over.and_then(|o| f(o).clone()).or_else(|| f(base).clone())
        };
        let need = |v: Option<String>, key: &str| {
            v.filter(|s| !s.trim().is_empty())
                .ok_or_else(|| format!("[profile] is missing `{key}`"))
        };
        let model = need(pick(|p| &p.model), "model")?;
        let model_server = need(pick(|p| &p.model_server), "model_server")?;
        let model_server_version = need(pick(|p| &p.model_server_version), "model_server_version")?;
        let accelerator = need(pick(|p| &p.accelerator), "accelerator")?;
        let accelerator = machines::normalize_accelerator(&accelerator)
            .ok_or_else(|| format!("accelerator `{accelerator}` names nothing"))?;
        let accelerator_count = over
            .and_then(|o| o.accelerator_count)
            .or(base.accelerator_count)
            .ok_or("[profile] is missing `accelerator_count`")?;
        check_model_server(&model_server)?;
        check_accelerator(&accelerator, accelerator_count)?;
        let instance_type = pick(|p| &p.instance_type)
            .or_else(|| machines::default_instance_type(&accelerator, accelerator_count));
        let server_args = match over {
            Some(o) if !o.server_args.is_empty() => o.server_args.clone(),
            _ => base.server_args.clone(),
        };
        let image = pick(|p| &p.image);
        if let Some(i) = &image
            && !crate::oci::is_valid_reference(i)
        {
            return Err(format!(
                "image `{i}` is not a valid image reference (e.g. vllm/vllm-openai:v0.11.0)"
            ));
        }
        Ok(ResolvedProfile {
            key: ProfileKey {
                model,
                model_server,
                model_server_version,
                accelerator,
                accelerator_count,
                instance_type,
                variant: pick(|p| &p.variant),
                workload: String::new(),
                use_case: String::new(),
                topology: topology(base, over)?,
            },
            server_args,
            notes: pick(|p| &p.notes),
            image,
            workload: self.workload.hint(),
            use_case: self.workload.use_case.clone(),
        })
    }
}

/// The parallelism run.toml states: a `[[series]]`'s fields over `[profile]`'s.
fn topology(base: &ProfileFields, over: Option<&ProfileFields>) -> Result<Topology, String> {
    let pick = |f: fn(&ProfileFields) -> Option<u32>| over.and_then(f).or_else(|| f(base));
    let role = |name: &str,
                workers: fn(&ProfileFields) -> Option<u32>,
                tp: fn(&ProfileFields) -> Option<u32>| {
        match (pick(workers), pick(tp)) {
            (Some(workers), Some(tensor_parallel)) => Ok(Some(Workers {
                workers,
                tensor_parallel,
            })),
            (None, None) => Ok(None),
            _ => Err(format!(
                "`{name}_workers` and `{name}_tensor_parallel` go together: give both or neither"
            )),
        }
    };
    Ok(Topology {
        tensor_parallel: pick(|p| p.tensor_parallel),
        expert_parallel: pick(|p| p.expert_parallel),
        data_parallel: pick(|p| p.data_parallel),
        prefill: role(
            "prefill",
            |p| p.prefill_workers,
            |p| p.prefill_tensor_parallel,
        )?,
        decode: role("decode", |p| p.decode_workers, |p| p.decode_tensor_parallel)?,
    })
}

fn check_model_server(server: &str) -> Result<(), String> {
    if MODEL_SERVERS.contains(&server) {
        Ok(())
    } else {
        Err(format!(
            "model_server `{server}` is not known (expected one of: {})",
            MODEL_SERVERS.join(", ")
        ))
    }
}

fn check_accelerator(accelerator: &str, count: u32) -> Result<(), String> {
    if accelerator.len() > 64 {
        return Err(format!(
            "accelerator `{accelerator}` is longer than 64 characters"
        ));
    }
    if count == 0 {
        return Err("accelerator_count must be at least 1".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[profile]
model = "meta-llama/Llama-3.1-8B-Instruct"
model_server = "vllm"
model_server_version = "v0.11.0"
accelerator = "nvidia-h100-80gb"
accelerator_count = 1
[source]
origin = "repo@abc:path"
license = "Apache-2.0"
"#;

    #[test]
    fn instance_type_is_derived_when_absent() {
        let meta = RunMeta::parse(BASE).unwrap();
        let p = meta.resolve(&point(None, &[]), "f.json").unwrap();
        assert_eq!(p.key.instance_type.as_deref(), Some("a3-highgpu-1g"));
    }

    #[test]
    fn missing_keys_are_named() {
        let text = BASE.replace("model_server_version = \"v0.11.0\"\n", "");
        assert_eq!(
            RunMeta::parse(&text).unwrap_err(),
            "[profile] is missing `model_server_version`"
        );
    }

    #[test]
    fn accelerators_are_normalized_and_unknown_servers_list_valid_ones() {
        let meta = RunMeta::parse(&BASE.replace("nvidia-h100-80gb", "H100")).unwrap();
        let p = meta.resolve(&point(None, &[]), "f.json").unwrap();
        assert_eq!(p.key.accelerator, "nvidia-h100-80gb");
        assert_eq!(p.key.instance_type.as_deref(), Some("a3-highgpu-1g"));
        let meta = RunMeta::parse(&BASE.replace("nvidia-h100-80gb", "NVIDIA L40S")).unwrap();
        let p = meta.resolve(&point(None, &[]), "f.json").unwrap();
        assert_eq!(p.key.accelerator, "nvidia-l40s");
        assert_eq!(p.key.instance_type, None, "no GKE machine carries an L40S");
        let err = RunMeta::parse(&BASE.replace("\"vllm\"", "\"VLLM\"")).unwrap_err();
        assert!(err.contains("`VLLM`") && err.contains("sglang"), "{err}");
    }

    #[test]
    fn typos_and_wrong_types_are_rejected() {
        assert!(
            RunMeta::parse(&BASE.replace("accelerator_count = 1", "accelerator_count = \"one\""))
                .is_err()
        );
        assert!(RunMeta::parse(&format!("{BASE}\n[profile2]\nx=1")).is_err());
        assert!(RunMeta::parse("this is = not toml [").is_err());
    }

    #[test]
    fn series_override_by_label() {
        let text = format!(
            "{BASE}\n[[series]]\nlabel_contains = \"llama70B_tp4\"\nmodel = \"m70\"\naccelerator_count = 4\n"
        );
        let meta = RunMeta::parse(&text).unwrap();
        let p = meta
            .resolve(
                &point(Some("vllm_055_llama70B_tp4_sharegpt_qps_2"), &[]),
                "f.json",
            )
            .unwrap();
        assert_eq!(p.key.model, "m70");
        assert_eq!(p.key.accelerator_count, 4);
        assert_eq!(p.key.instance_type.as_deref(), Some("a3-highgpu-4g"));
        assert!(meta.resolve(&point(Some("other"), &[]), "f.json").is_err());
    }

    #[test]
    fn series_match_any_raw_field() {
        let text = format!(
            "{BASE}\n[[series]]\nmatch = {{ deployment = \"kvcache\", gpu = 1 }}\nvariant = \"kv-cache-aware\"\n\n[[series]]\nmatch = {{ deployment = \"base\" }}\n"
        );
        let meta = RunMeta::parse(&text).unwrap();
        let kv = meta
            .resolve(
                &point(None, &[("deployment", "kvcache"), ("gpu", "1")]),
                "f.json",
            )
            .unwrap();
        assert_eq!(kv.key.variant.as_deref(), Some("kv-cache-aware"));
        let base = meta
            .resolve(&point(None, &[("deployment", "base")]), "f.json")
            .unwrap();
        assert_eq!(base.key.variant, None);
        let err = meta
            .resolve(&point(None, &[("deployment", "gateway")]), "f.json")
            .unwrap_err();
        assert!(err.contains("deployment = \"kvcache\""), "{err}");
        assert!(RunMeta::parse(&format!("{BASE}\n[[series]]\nvariant = \"x\"\n")).is_err());
        let by_file = format!(
            "{BASE}\n[[series]]\nfile_contains = \"1p3d\"\nvariant = \"1p3d\"\n[[series]]\nfile_contains = \"2p2d\"\nvariant = \"2p2d\"\n"
        );
        let meta = RunMeta::parse(&by_file).unwrap();
        let r = meta
            .resolve(&point(None, &[]), "raw/2p2d_conc32.json")
            .unwrap();
        assert_eq!(r.key.variant.as_deref(), Some("2p2d"));
    }

    #[test]
    fn run_toml_workload_wins_over_the_file() {
        let text = format!("{BASE}\n[workload]\ndataset = \"ShareGPT\"\n");
        let meta = RunMeta::parse(&text).unwrap();
        let mut p = point(None, &[]);
        p.workload.dataset = Some("random".into());
        p.workload.input_len = Some(128.0);
        let r = meta.resolve(&p, "f.json").unwrap();
        assert_eq!(r.workload.dataset.as_deref(), Some("sharegpt"));
        assert_eq!(r.workload.input_len, Some(128.0));
    }

    #[test]
    fn images_must_be_valid_references() {
        let ok = BASE.replace(
            "accelerator_count = 1",
            "accelerator_count = 1\nimage = \"lmsysorg/sglang:v0.4.1\"",
        );
        assert!(RunMeta::parse(&ok).is_ok());
        let bad = BASE.replace(
            "accelerator_count = 1",
            "accelerator_count = 1\nimage = \"lmsysorg/sglang:latest (Dec 2024)\"",
        );
        assert!(
            RunMeta::parse(&bad)
                .unwrap_err()
                .contains("not a valid image reference")
        );
    }

    fn point(label: Option<&str>, fields: &[(&str, &str)]) -> MeasuredPoint {
        let mut p = MeasuredPoint::new(crate::point::Load::Rate(1.0), 1.0);
        p.label = label.map(str::to_string);
        p.fields = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        p
    }
}
