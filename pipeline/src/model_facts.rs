//! `data/models.toml`: facts about models that benchmarks do not carry (parameter count, size of
//! the weights), used by manifests to decide where the weights are cached.

use crate::error::PipelineError;
use serde::Deserialize;
use std::path::Path;

/// Weights at least this large are cached in RAM (`HF_HOME=/dev/shm/hf_cache`), not on disk.
pub const LARGE_MODEL_GIB: f64 = 90.0;

const BUNDLED: &str = include_str!("../../data/models.toml");
const BUNDLED_PATH: &str = "<bundled>/data/models.toml";

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
    /// The facts compiled into the binary (`data/models.toml` at build time).
    pub fn bundled() -> Result<Self, PipelineError> {
        Self::parse(Path::new(BUNDLED_PATH), BUNDLED)
    }

    /// `path` when given (a missing file is an error: the user named it), else the bundled facts.
    pub fn load_or_bundled(path: Option<&Path>) -> Result<Self, PipelineError> {
        match path {
            Some(p) => Self::load(p),
            None => Self::bundled(),
        }
    }

    /// Reads a models.toml file.
    pub fn load(path: &Path) -> Result<Self, PipelineError> {
        let text = std::fs::read_to_string(path).map_err(|e| PipelineError::io(path, e))?;
        Self::parse(path, &text)
    }

    fn parse(path: &Path, text: &str) -> Result<Self, PipelineError> {
        let file: File = toml::from_str(text).map_err(|e| PipelineError::Table {
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
        let c = ModelCatalog::bundled().unwrap();
        assert!(c.get("meta-llama/Meta-Llama-3-70B").unwrap().is_large());
        assert!(!c.get("mistralai/Mixtral-8x7B-v0.1").unwrap().is_large());
        assert!(c.get("nope/none").is_none());
    }
}
