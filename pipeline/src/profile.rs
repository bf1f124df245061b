//! The identity of a serving profile (SPEC §5): the tuple that groups points into one curve,
//! and the stable, URL-safe id derived from it.

use crate::topology::Topology;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ProfileKey {
    pub model: String,
    pub model_server: String,
    pub model_server_version: String,
    pub accelerator: String,
    pub accelerator_count: u32,
    pub instance_type: Option<String>,
    pub variant: Option<String>,
    /// What the load generator sent (`random 1024/1024`, `sharegpt`, `measured ~750/150`):
    /// points of different workloads never share a curve.
    pub workload: String,
    /// The Quickstart use case the workload corresponds to, or `custom (in/out)`.
    pub use_case: String,
    /// Tensor/expert/data parallelism and prefill/decode split, where stated.
    pub topology: Topology,
}

impl ProfileKey {
    /// A readable slug plus a hash of the exact key: unique, stable across builds, and safe as a
    /// file or URL name (only `[a-z0-9-]`).
    pub fn id(&self) -> String {
        let readable = [
            last_path_segment(&self.model),
            &self.model_server,
            &self.model_server_version,
            &self.accelerator,
            &format!("x{}", self.accelerator_count),
            self.variant.as_deref().unwrap_or(""),
            &self.distinguishing_topology(),
            &self.workload,
        ]
        .iter()
        .map(|p| slug(p))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
        let short: String = readable.chars().take(90).collect();
        format!("{}-{}", short.trim_end_matches('-'), self.hash8())
    }

    /// The topology's label when it is not plain TP over every accelerator, else empty.
    fn distinguishing_topology(&self) -> String {
        if self.topology.is_plain(self.accelerator_count) {
            String::new()
        } else {
            self.topology.label()
        }
    }

    fn hash8(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.model.as_str(),
            &self.model_server,
            &self.model_server_version,
            &self.accelerator,
            &self.accelerator_count.to_string(),
            self.instance_type.as_deref().unwrap_or("\u{0}"),
            self.variant.as_deref().unwrap_or("\u{0}"),
            &self.workload,
            &self.use_case,
        ] {
            h.update(part.as_bytes());
            h.update([0x1f]);
        }
        // Only a topology that says more than the accelerator count enters the hash, so
        // profiles without one keep their ids.
        let topology = self.distinguishing_topology();
        if !topology.is_empty() {
            h.update(topology.as_bytes());
            h.update([0x1f]);
        }
        crate::digest::hex(&h.finalize()[..4])
    }
}

/// A URL-safe, collision-free name for a model's page: its slug plus a short hash of the id.
pub fn model_slug(model: &str) -> String {
    hashed_slug(model)
}

/// A URL-safe name for `text`: its slug (at most 60 characters) plus three bytes of the text's
/// hash, so two texts that slug alike (`a/b`, `a-b`) still differ, but for a one-in-16-million
/// chance.
pub fn hashed_slug(text: &str) -> String {
    let short = crate::digest::sha256_hex(text.as_bytes(), 3);
    let base: String = slug(text).chars().take(60).collect();
    format!("{}-{short}", base.trim_end_matches('-'))
}

fn last_path_segment(model: &str) -> &str {
    model.rsplit('/').next().unwrap_or(model)
}

/// Lowercase ASCII alphanumerics separated by single dashes.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(model: &str) -> ProfileKey {
        ProfileKey {
            model: model.into(),
            model_server: "vllm".into(),
            model_server_version: "v0.11.0".into(),
            accelerator: "nvidia-h100-80gb".into(),
            accelerator_count: 1,
            instance_type: Some("a3-highgpu-1g".into()),
            variant: Some("chunked-prefill+prefix-caching".into()),
            workload: "sharegpt".into(),
            use_case: "Chatbot".into(),
            topology: Topology::default(),
        }
    }

    #[test]
    fn ids_are_readable_safe_and_distinct() {
        let id = key("meta-llama/Llama-3.1-8B-Instruct").id();
        assert!(id.starts_with("llama-3-1-8b-instruct-vllm-v0-11-0-nvidia-h100-80gb-x1-chunked-prefill-prefix-caching-"), "{id}");
        let hostile = key("../../<script>alert(1)</script>").id();
        assert!(
            hostile
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{hostile}"
        );
        assert_ne!(key("a/b").id(), key("c/b").id());
    }
}
