//! Content-hash cache of parsed raw files, so a refresh re-parses only files whose bytes (or
//! declared tool) changed. Keyed by SHA-256 of the content; invalidated wholesale when the
//! generator version changes, because a parser fix must re-read everything.

use crate::error::PipelineError;
use crate::formats::Parsed;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// What reading one file gave: the format and what it held, or why it was rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    Read { tool: String, parsed: Parsed },
    Rejected(String),
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ParseCache {
    generator: String,
    entries: BTreeMap<String, Outcome>,
    #[serde(skip)]
    pub hits: usize,
    #[serde(skip)]
    pub misses: usize,
}

const GENERATOR: &str = concat!("infercat ", env!("CARGO_PKG_VERSION"));

impl ParseCache {
    /// Loads a cache file; a missing, unreadable or foreign-version file is an empty cache
    /// (the cache is an optimization, never a source of truth).
    pub fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<ParseCache>(&bytes).ok())
            .filter(|c| c.generator == GENERATOR)
            .unwrap_or_else(|| ParseCache {
                generator: GENERATOR.into(),
                ..Default::default()
            })
    }

    pub fn key(content_hash: &str, declared_tool: Option<&str>) -> String {
        format!("{content_hash}:{}", declared_tool.unwrap_or("-"))
    }

    pub fn get(&self, key: &str) -> Option<&Outcome> {
        self.entries.get(key)
    }

    /// Keeps exactly the entries of this run (so the cache does not grow forever).
    pub fn replace(&mut self, entries: BTreeMap<String, Outcome>) {
        self.entries = entries;
    }

    /// Writes the cache atomically (temp file + rename).
    pub fn save(&self, path: &Path) -> Result<(), PipelineError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| PipelineError::io(dir, e))?;
        }
        let tmp = path.with_extension("tmp");
        // Streamed to the file: the cache is as large as the raw files it stands for.
        let file = std::fs::File::create(&tmp).map_err(|e| PipelineError::io(&tmp, e))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        serde_json::to_writer(&mut out, self).map_err(|e| PipelineError::Table {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        std::io::Write::flush(&mut out).map_err(|e| PipelineError::io(&tmp, e))?;
        drop(out);
        std::fs::rename(&tmp, path).map_err(|e| PipelineError::io(path, e))
    }
}
