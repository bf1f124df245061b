//! A run directory's `run.toml` (SPEC §4): what was measured (the profile), how, and where the
//! files came from. One raw file may hold several profiles (vLLM's nightly summary has three
//! models); `[[series]]` tables map point labels to their profile.

use crate::machines::{self, known_accelerators};
use crate::profile::ProfileKey;
use serde::Deserialize;

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

/// A `[[series]]` table: points whose label contains `label_contains` take these fields over
/// the run's `[profile]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Series {
    pub label_contains: String,
    #[serde(flatten)]
    pub fields: ProfileFields,
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

/// A fully specified profile plus what travels with it into the table and manifests.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedProfile {
    pub key: ProfileKey,
    pub server_args: Vec<String>,
    pub notes: Option<String>,
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
            meta.resolve(None)?;
        } else {
            for s in &meta.series {
                meta.resolve(Some(&s.label_contains))?;
            }
        }
        Ok(meta)
    }

    /// The profile for a point with this label: the first `[[series]]` whose `label_contains`
    /// occurs in it, over the run's `[profile]`.
    pub fn resolve(&self, label: Option<&str>) -> Result<ResolvedProfile, String> {
        let series = match (self.series.is_empty(), label) {
            (true, _) => None,
            (false, Some(label)) => Some(
                self.series
                    .iter()
                    .find(|s| label.contains(&s.label_contains))
                    .ok_or_else(|| {
                        format!("point `{label}` matches no [[series]] label_contains")
                    })?,
            ),
            (false, None) => {
                return Err("run.toml has [[series]] but the point has no label".into());
            }
        };
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
        Ok(ResolvedProfile {
            key: ProfileKey {
                model,
                model_server,
                model_server_version,
                accelerator,
                accelerator_count,
                instance_type,
                variant: pick(|p| &p.variant),
                use_case: self.workload.use_case.clone(),
            },
            server_args,
            notes: pick(|p| &p.notes),
        })
    }
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
    if machines::accelerator_kind(accelerator).is_none() {
        return Err(format!(
            "accelerator `{accelerator}` is not a GKE accelerator name (expected one of: {})",
            known_accelerators().join(", ")
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
        let p = meta.resolve(None).unwrap();
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
    fn unknown_accelerator_and_server_list_valid_ones() {
        let err = RunMeta::parse(&BASE.replace("nvidia-h100-80gb", "h100")).unwrap_err();
        assert!(err.contains("`h100`") && err.contains("nvidia-l4"), "{err}");
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
            .resolve(Some("vllm_055_llama70B_tp4_sharegpt_qps_2"))
            .unwrap();
        assert_eq!(p.key.model, "m70");
        assert_eq!(p.key.accelerator_count, 4);
        assert_eq!(p.key.instance_type.as_deref(), Some("a3-highgpu-4g"));
        assert!(meta.resolve(Some("other")).is_err());
    }
}
