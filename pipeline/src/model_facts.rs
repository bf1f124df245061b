//! `data/models.toml`: facts about models that benchmarks do not carry (parameter count, size of
//! the weights), used by manifests to decide where the weights are cached.

use crate::error::PipelineError;
use serde::Deserialize;
use std::path::Path;

/// Weights at least this large are cached in RAM (`HF_HOME=/dev/shm/hf_cache`), not on disk.
pub const LARGE_MODEL_GIB: f64 = 90.0;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFacts {
    pub id: String,
    pub parameters_billion: f64,
    pub weights_gib: f64,
}

impl ModelFacts {
    pub fn is_large(&self) -> bool {
        self.weights_gib >= LARGE_MODEL_GIB
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    model: Vec<ModelFacts>,
}

#[derive(Debug, Clone, Default)]
pub struct ModelCatalog {
    models: Vec<ModelFacts>,
}

impl ModelCatalog {
    /// Reads `models.toml`; a missing file is an empty catalog (sizes then show as unknown).
    pub fn load(path: &Path) -> Result<Self, PipelineError> {
        if !path.exists() {
            return Ok(Self::default());
        }
        let text = std::fs::read_to_string(path).map_err(|e| PipelineError::io(path, e))?;
        let file: File = toml::from_str(&text).map_err(|e| PipelineError::Table {
            path: path.to_path_buf(),
            reason: e.message().to_string(),
        })?;
        for m in &file.model {
            if !(m.weights_gib.is_finite() && m.weights_gib > 0.0) {
                return Err(PipelineError::Table {
                    path: path.to_path_buf(),
                    reason: format!("model `{}`: weights_gib must be positive", m.id),
                });
            }
        }
        Ok(Self { models: file.model })
    }

    pub fn get(&self, id: &str) -> Option<&ModelFacts> {
        self.models.iter().find(|m| m.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_facts_load_and_70b_is_large() {
        let c =
            ModelCatalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/models.toml"))
                .unwrap();
        assert!(c.get("meta-llama/Meta-Llama-3-70B").unwrap().is_large());
        assert!(!c.get("mistralai/Mixtral-8x7B-v0.1").unwrap().is_large());
        assert!(c.get("nope/none").is_none());
    }
}
