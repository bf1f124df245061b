//! What the load generator sent (SPEC §5 "workload"): the dataset, the requested input and
//! output lengths, and the Quickstart use case those lengths correspond to. Points of
//! different workloads never share a curve, so the workload is part of the profile key.

use serde::{Deserialize, Serialize};

/// The workload as one raw record states it (each part `None` when the tool does not say).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkloadHint {
    /// The tool's dataset name (`sharegpt`, `random`, a trace or file name), lowercase.
    pub dataset: Option<String>,
    /// Requested prompt length in tokens.
    pub input_len: Option<f64>,
    /// Requested output length in tokens.
    pub output_len: Option<f64>,
    /// SGLang/vLLM `random_range_ratio`: lengths are drawn from `[len × r, len]` (SGLang, vLLM
    /// before 0.8: 1 = exact) or `[len × (1 − r), len × (1 + r)]` (vLLM 0.8+: 0 = exact), so a
    /// file's ratio alone does not say which lengths were sent (`profile_identity` classes a
    /// ranged workload by its measured lengths).
    pub range_ratio: Option<f64>,
}

impl WorkloadHint {
    pub fn is_empty(&self) -> bool {
        self.dataset.is_none() && self.input_len.is_none() && self.output_len.is_none()
    }

    /// This hint with every part that `over` states replaced (run.toml wins over the file).
    pub fn overridden_by(&self, over: &WorkloadHint) -> WorkloadHint {
        WorkloadHint {
            dataset: over.dataset.clone().or_else(|| self.dataset.clone()),
            input_len: over.input_len.or(self.input_len),
            output_len: over.output_len.or(self.output_len),
            range_ratio: if over.input_len.is_some() || over.output_len.is_some() {
                over.range_ratio
            } else {
                over.range_ratio.or(self.range_ratio)
            },
        }
    }

    /// The readable identity of this workload, e.g. `random 1024/1024`, `sharegpt`,
    /// `sharegpt out=256`, `random 1024/1024 range=0.5`; `None` when nothing is stated.
    pub fn label(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let mut parts: Vec<String> = Vec::new();
        if let Some(d) = &self.dataset {
            parts.push(d.clone());
        }
        match (self.input_len, self.output_len) {
            (Some(i), Some(o)) => parts.push(format!("{}/{}", tokens(i), tokens(o))),
            (Some(i), None) => parts.push(format!("in={}", tokens(i))),
            (None, Some(o)) => parts.push(format!("out={}", tokens(o))),
            (None, None) => {}
        }
        if let Some(r) = self.range_ratio.filter(|r| *r != 1.0)
            && (self.input_len.is_some() || self.output_len.is_some())
        {
            parts.push(format!("range={}", trim_number(r)));
        }
        Some(parts.join(" "))
    }
}

/// A dataset name as a short lowercase token (`ShareGPT` → `sharegpt`, a path → its file stem).
pub fn dataset_name(raw: &str) -> Option<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let last = trimmed.rsplit(['/', '\\']).next().unwrap_or(trimmed);
    let stem = last
        .strip_suffix(".json")
        .or_else(|| last.strip_suffix(".jsonl"))
        .or_else(|| last.strip_suffix(".csv"))
        .unwrap_or(last);
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(48)
        .collect();
    let name = name.trim_matches('-').to_string();
    if name.is_empty() {
        return None;
    }
    Some(if name.starts_with("sharegpt") {
        "sharegpt".into()
    } else {
        name
    })
}

fn tokens(n: f64) -> String {
    trim_number((n * 10.0).round() / 10.0)
}

fn trim_number(v: f64) -> String {
    let text = format!("{v:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// One of the GKE Inference Quickstart's use cases and its average lengths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UseCase {
    pub name: &'static str,
    pub input_tokens: f64,
    pub output_tokens: f64,
}

/// The Quickstart's use cases with the average lengths of Google's CLI constants.
pub const USE_CASES: [UseCase; 7] = [
    UseCase {
        name: "Advanced Customer Support",
        input_tokens: 8912.0,
        output_tokens: 256.0,
    },
    UseCase {
        name: "Chatbot",
        input_tokens: 128.0,
        output_tokens: 128.0,
    },
    UseCase {
        name: "Code Completion",
        input_tokens: 512.0,
        output_tokens: 32.0,
    },
    UseCase {
        name: "Deep Research",
        input_tokens: 256.0,
        output_tokens: 4096.0,
    },
    UseCase {
        name: "Multi Agent Large Document Summarization",
        input_tokens: 7936.0,
        output_tokens: 64.0,
    },
    UseCase {
        name: "Text Generation",
        input_tokens: 512.0,
        output_tokens: 2048.0,
    },
    UseCase {
        name: "Text Summarization",
        input_tokens: 1024.0,
        output_tokens: 128.0,
    },
];

/// A workload matches a use case when both its input and its output length are within this
/// factor of the use case's (either way): 1.25 accepts 1024/128 for 900/110, not for 700/128.
pub const LENGTH_TOLERANCE: f64 = 1.25;

/// The use case whose lengths both lie within [`LENGTH_TOLERANCE`] of these.
pub fn matching_use_case(input_tokens: f64, output_tokens: f64) -> Option<&'static UseCase> {
    let near = |a: f64, b: f64| a > 0.0 && b > 0.0 && (a / b).max(b / a) <= LENGTH_TOLERANCE;
    USE_CASES
        .iter()
        .find(|u| near(input_tokens, u.input_tokens) && near(output_tokens, u.output_tokens))
}

/// The use case name for a workload: the Quickstart's name when the lengths match one (or the
/// dataset is ShareGPT, which the Quickstart calls its Chatbot workload), else
/// `custom (in/out)`, else `unknown` when no length is known.
pub fn use_case_name(dataset: Option<&str>, lengths: Option<(f64, f64)>) -> String {
    if dataset == Some("sharegpt") {
        return "Chatbot".into();
    }
    match lengths {
        Some((i, o)) => match matching_use_case(i, o) {
            Some(u) => u.name.to_string(),
            None => format!("custom ({}/{})", i.round(), o.round()),
        },
        None => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_what_the_tool_said() {
        let h = WorkloadHint {
            dataset: Some("random".into()),
            input_len: Some(1024.0),
            output_len: Some(1024.0),
            range_ratio: Some(0.0),
        };
        assert_eq!(h.label().as_deref(), Some("random 1024/1024 range=0"));
        let s = WorkloadHint {
            dataset: Some("sharegpt".into()),
            ..Default::default()
        };
        assert_eq!(s.label().as_deref(), Some("sharegpt"));
        assert_eq!(WorkloadHint::default().label(), None);
    }

    #[test]
    fn run_toml_overrides_the_file() {
        let file = WorkloadHint {
            dataset: Some("random".into()),
            input_len: Some(1000.0),
            output_len: Some(100.0),
            range_ratio: Some(0.5),
        };
        let over = WorkloadHint {
            input_len: Some(1024.0),
            ..Default::default()
        };
        let got = file.overridden_by(&over);
        assert_eq!(got.input_len, Some(1024.0));
        assert_eq!(got.output_len, Some(100.0));
        assert_eq!(got.dataset.as_deref(), Some("random"));
    }

    #[test]
    fn use_cases_by_length_with_tolerance() {
        assert_eq!(
            use_case_name(None, Some((1024.0, 128.0))),
            "Text Summarization"
        );
        assert_eq!(
            use_case_name(None, Some((900.0, 110.0))),
            "Text Summarization"
        );
        assert_eq!(
            use_case_name(None, Some((700.0, 128.0))),
            "custom (700/128)"
        );
        assert_eq!(
            use_case_name(None, Some((1024.0, 1024.0))),
            "custom (1024/1024)"
        );
        assert_eq!(
            use_case_name(None, Some((8000.0, 250.0))),
            "Advanced Customer Support"
        );
        assert_eq!(use_case_name(Some("sharegpt"), None), "Chatbot");
        assert_eq!(use_case_name(None, None), "unknown");
    }

    #[test]
    fn dataset_names_are_short_tokens() {
        assert_eq!(
            dataset_name("ShareGPT_V3_unfiltered_cleaned_split.json").as_deref(),
            Some("sharegpt")
        );
        assert_eq!(
            dataset_name("/data/traces/azure_conv.jsonl").as_deref(),
            Some("azure_conv")
        );
        assert_eq!(dataset_name("random").as_deref(), Some("random"));
        assert_eq!(dataset_name("  "), None);
    }
}
