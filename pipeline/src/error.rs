//! Typed errors at the pipeline's boundary: per-file format errors and pipeline-level failures.

use std::path::PathBuf;

/// Why one raw file could not be read as a benchmark result. The ingest step attaches the path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{reason}")]
pub struct FormatError {
    pub reason: String,
}

impl FormatError {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    pub fn missing(field: &str) -> Self {
        Self::new(format!("required field `{field}` is missing"))
    }

    pub fn wrong_type(field: &str, expected: &str, found: &serde_json::Value) -> Self {
        Self::new(format!(
            "field `{field}` should be {expected}, found {}",
            describe_json(found)
        ))
    }

    /// Prefixes the reason with where in the file it happened (a line, a row, a key).
    pub fn at(self, place: impl std::fmt::Display) -> Self {
        Self::new(format!("{place}: {}", self.reason))
    }
}

fn describe_json(v: &serde_json::Value) -> String {
    let text = v.to_string();
    let short: String = text.chars().take(40).collect();
    let kind = match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    };
    if text.chars().count() > 40 {
        format!("{kind} ({short}…)")
    } else {
        format!("{kind} ({short})")
    }
}

/// Failures that stop a pipeline stage (as opposed to one rejected input file).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("I/O error on {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    RunToml { path: PathBuf, reason: String },
    #[error("{path}: {source}")]
    Parquet {
        path: PathBuf,
        #[source]
        source: polars::error::PolarsError,
    },
    #[error("{path}: {reason}")]
    Table { path: PathBuf, reason: String },
    #[error("raw data directory {0} does not exist")]
    NoRawDir(PathBuf),
}

impl PipelineError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
